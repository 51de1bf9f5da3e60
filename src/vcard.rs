//! vCard: reading contacts files (2.1, 3.0 and 4.0; RFC 2426, RFC 6350) and writing the
//! caller's card attached to a mail (3.0, which iOS and Outlook read).
//!
//! Reading takes what a contact search needs: the name (FN, else N, else ORG), the company
//! (first ORG component), the e-mail address and the phone numbers with their kind. Folded
//! lines, property groups (`item1.TEL`), quoted and 2.1-style bare parameters, `tel:` URIs,
//! escapes, QUOTED-PRINTABLE with soft line breaks and CHARSET are understood; unknown
//! properties are ignored.
//!
//! Writing escapes every text value and removes control characters, so no value can start a
//! property of its own, and folds lines at 75 octets without splitting a UTF-8 character.

use std::sync::Arc;

use crate::directory::{parse_address, Contact, DirError, Phone, PhoneKind};
use crate::journal::SourcePos;

// ---------------------------------------------------------------------------------------
// Reading

/// One content line: `[group.]NAME[;PARAM[=VALUE[,VALUE]]]*:value`.
struct Property {
    /// Upper case, without the group.
    name: String,
    /// Parameter names upper case; values unquoted, split at commas.
    params: Vec<(String, Vec<String>)>,
    /// The raw value, still escaped / encoded.
    value: String,
}

impl Property {
    fn param_values<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.params
            .iter()
            .filter(move |(k, _)| k == key)
            .flat_map(|(_, v)| v.iter().map(String::as_str))
    }

    fn has_type(&self, t: &str) -> bool {
        self.param_values("TYPE").any(|v| v.eq_ignore_ascii_case(t))
    }

    fn is_quoted_printable(&self) -> bool {
        self.param_values("ENCODING")
            .any(|v| v.eq_ignore_ascii_case("QUOTED-PRINTABLE"))
    }

    fn is_preferred(&self) -> bool {
        self.has_type("pref") || self.param_values("PREF").next().is_some()
    }

    /// The value as text, still escaped: QUOTED-PRINTABLE and CHARSET undone.
    fn decoded(&self) -> String {
        if !self.is_quoted_printable() {
            return self.value.clone();
        }
        let bytes = qp_decode(&self.value);
        let enc = self
            .param_values("CHARSET")
            .next()
            .and_then(|c| encoding_rs::Encoding::for_label(c.trim().as_bytes()))
            .unwrap_or(encoding_rs::UTF_8);
        enc.decode_without_bom_handling(&bytes).0.into_owned()
    }
}

/// Position of the colon that ends the name and parameters (not one inside quotes).
fn value_colon(line: &str) -> Option<usize> {
    let mut quoted = false;
    for (i, c) in line.char_indices() {
        match c {
            '"' => quoted = !quoted,
            ':' if !quoted => return Some(i),
            _ => {}
        }
    }
    None
}

/// Splits at `sep` outside double quotes.
fn split_outside_quotes(s: &str, sep: char) -> Vec<&str> {
    let mut out = Vec::new();
    let mut quoted = false;
    let mut start = 0;
    for (i, c) in s.char_indices() {
        if c == '"' {
            quoted = !quoted;
        } else if c == sep && !quoted {
            out.push(&s[start..i]);
            start = i + c.len_utf8();
        }
    }
    out.push(&s[start..]);
    out
}

fn parse_property(line: &str) -> Option<Property> {
    let colon = value_colon(line)?;
    let head = &line[..colon];
    let value = line[colon + 1..].to_string();
    let mut parts = split_outside_quotes(head, ';').into_iter();
    let full_name = parts.next()?.trim();
    let name = full_name.rsplit('.').next()?.trim().to_ascii_uppercase();
    if name.is_empty() {
        return None;
    }
    let mut params = Vec::new();
    for p in parts {
        let p = p.trim();
        if p.is_empty() {
            continue;
        }
        let (key, raw) = match p.split_once('=') {
            Some((k, v)) => (k.trim().to_ascii_uppercase(), v),
            None => {
                // vCard 2.1: a bare value names its parameter by itself
                let key = match p.to_ascii_uppercase().as_str() {
                    "QUOTED-PRINTABLE" | "BASE64" | "8BIT" | "7BIT" | "B" => "ENCODING",
                    _ => "TYPE",
                };
                (key.to_string(), p)
            }
        };
        // `TYPE="voice,cell"` is a list as well as `TYPE=voice,cell`
        let values = raw
            .split(',')
            .map(|v| v.trim().trim_matches('"').trim().to_string())
            .filter(|v| !v.is_empty())
            .collect();
        params.push((key, values));
    }
    Some(Property {
        name,
        params,
        value,
    })
}

/// Decodes QUOTED-PRINTABLE (soft line breaks are already joined).
fn qp_decode(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'=' && i + 2 < b.len() {
            let hex = |c: u8| (c as char).to_digit(16);
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    out
}

/// True when a line is a QUOTED-PRINTABLE value ending in a soft line break (`=`).
fn qp_continues(line: &str) -> bool {
    if !line.ends_with('=') {
        return false;
    }
    match value_colon(line) {
        Some(colon) => line[..colon]
            .to_ascii_uppercase()
            .contains("QUOTED-PRINTABLE"),
        None => false,
    }
}

/// Unfolds physical lines into content lines, each with the number of its first line.
fn logical_lines(text: &str) -> Vec<(u64, String)> {
    let mut out: Vec<(u64, String)> = Vec::new();
    for (i, raw) in text.split('\n').enumerate() {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if let Some((_, last)) = out.last_mut() {
            if qp_continues(last) {
                last.pop();
                last.push_str(line);
                continue;
            }
            if line.starts_with([' ', '\t']) {
                last.push_str(&line[1..]);
                continue;
            }
        }
        if !line.trim().is_empty() {
            out.push((i as u64 + 1, line.to_string()));
        }
    }
    out
}

/// Splits a structured value at unescaped `sep`; the parts keep their escapes.
fn split_unescaped(s: &str, sep: char) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == sep {
            out.push(&s[start..i]);
            start = i + c.len_utf8();
        }
    }
    out.push(&s[start..]);
    out
}

/// Undoes the text escapes `\\` `\,` `\;` `\:` `\n` `\N`; other backslashes stay.
fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n' | 'N') => out.push('\n'),
            Some(c @ ('\\' | ',' | ';' | ':')) => out.push(c),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

/// A structured component: its comma-separated values unescaped and joined by a space.
fn component(s: &str) -> String {
    split_unescaped(s, ',')
        .into_iter()
        .map(|v| unescape(v).trim().to_string())
        .filter(|v| !v.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn phone_kind(p: &Property) -> PhoneKind {
    let has = |names: &[&str]| names.iter().any(|n| p.has_type(n));
    if has(&["fax"]) {
        PhoneKind::Fax
    } else if has(&["cell", "mobile", "iphone"]) {
        PhoneKind::Cell
    } else if has(&["home"]) {
        PhoneKind::Home
    } else if has(&["work", "main"]) {
        PhoneKind::Work
    } else {
        PhoneKind::Other
    }
}

fn phone_number(p: &Property) -> String {
    let raw = p.decoded();
    let trimmed = raw.trim();
    let is_uri = p
        .param_values("VALUE")
        .any(|v| v.eq_ignore_ascii_case("uri"));
    let has_scheme = trimmed.len() >= 4
        && trimmed.is_char_boundary(4)
        && trimmed[..4].eq_ignore_ascii_case("tel:");
    if has_scheme {
        // tel:+49-30-1234;ext=5 → the number, without URI parameters
        let number = &trimmed[4..];
        number.split(';').next().unwrap_or("").trim().to_string()
    } else if is_uri {
        trimmed.split(';').next().unwrap_or("").trim().to_string()
    } else {
        unescape(trimmed).trim().to_string()
    }
}

#[derive(Default)]
struct CardBuilder {
    begin: u64,
    full_name: Option<String>,
    structured_name: Option<String>,
    org: Option<String>,
    /// (preferred, address)
    emails: Vec<(bool, String)>,
    /// (line, value, why) of addresses that are not valid
    bad_emails: Vec<(u64, String, String)>,
    phones: Vec<Phone>,
}

impl CardBuilder {
    fn add(&mut self, p: &Property, line: u64) {
        match p.name.as_str() {
            "FN" if self.full_name.is_none() => {
                let v = unescape(&p.decoded()).trim().to_string();
                if !v.is_empty() {
                    self.full_name = Some(v);
                }
            }
            "N" if self.structured_name.is_none() => {
                let decoded = p.decoded();
                let parts = split_unescaped(&decoded, ';');
                let family = parts.first().map(|s| component(s)).unwrap_or_default();
                let given = parts.get(1).map(|s| component(s)).unwrap_or_default();
                let v = format!("{given} {family}").trim().to_string();
                if !v.is_empty() {
                    self.structured_name = Some(v);
                }
            }
            "ORG" if self.org.is_none() => {
                let decoded = p.decoded();
                let first = split_unescaped(&decoded, ';')
                    .first()
                    .map(|s| unescape(s).trim().to_string())
                    .unwrap_or_default();
                if !first.is_empty() {
                    self.org = Some(first);
                }
            }
            "EMAIL" => {
                let v = unescape(&p.decoded()).trim().to_string();
                if v.is_empty() {
                    return;
                }
                match parse_address(&v) {
                    Ok(a) => self.emails.push((p.is_preferred(), a)),
                    Err(e) => self.bad_emails.push((line, v, e)),
                }
            }
            "TEL" => {
                let number = phone_number(p);
                if !number.is_empty() {
                    self.phones.push(Phone {
                        number,
                        kind: phone_kind(p),
                    });
                }
            }
            _ => {}
        }
    }

    fn finish(self, file: &Arc<str>, contacts: &mut Vec<Contact>, errors: &mut Vec<DirError>) {
        let err = |line: u64, message: String| DirError {
            pos: SourcePos {
                file: file.clone(),
                line,
            },
            key: None,
            message,
        };
        let name = self
            .full_name
            .or(self.structured_name)
            .or_else(|| self.org.clone());
        let mut ok = true;
        if name.is_none() {
            errors.push(err(
                self.begin,
                "the card has no name (no FN, N or ORG); card skipped".into(),
            ));
            ok = false;
        }
        if self.phones.is_empty() {
            errors.push(err(
                self.begin,
                format!(
                    "the card{} has no telephone number (TEL); card skipped",
                    name.as_deref()
                        .map(|n| format!(" of `{n}`"))
                        .unwrap_or_default()
                ),
            ));
            ok = false;
        }
        let (Some(name), true) = (name, ok) else {
            return;
        };
        let email = self
            .emails
            .iter()
            .find(|(pref, _)| *pref)
            .or(self.emails.first())
            .map(|(_, a)| a.clone());
        if email.is_none() {
            if let Some((line, _, why)) = self.bad_emails.into_iter().next() {
                errors.push(DirError {
                    pos: SourcePos {
                        file: file.clone(),
                        line,
                    },
                    key: None,
                    message: format!("EMAIL: {why}; contact `{name}` is kept without an address"),
                });
            }
        }
        contacts.push(Contact {
            name,
            company: self.org,
            email,
            phones: self.phones,
            pos: SourcePos {
                file: file.clone(),
                line: self.begin,
            },
        });
    }
}

/// Reads the cards of a vCard file. Cards without END, without a name (FN, N or ORG) or
/// without a TEL are reported (with the line of their BEGIN) and skipped.
pub fn parse(text: &str, file: &str) -> (Vec<Contact>, Vec<DirError>) {
    let file: Arc<str> = Arc::from(file);
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut contacts = Vec::new();
    let mut errors = Vec::new();
    let mut card: Option<CardBuilder> = None;
    let no_end = |file: &Arc<str>, begin: u64, why: &str| DirError {
        pos: SourcePos {
            file: file.clone(),
            line: begin,
        },
        key: None,
        message: format!("the card has no END:VCARD ({why}); card skipped"),
    };
    for (line, content) in logical_lines(text) {
        let Some(p) = parse_property(&content) else {
            continue;
        };
        let is_vcard = p.value.trim().eq_ignore_ascii_case("VCARD");
        match p.name.as_str() {
            "BEGIN" if is_vcard => {
                if let Some(open) = card.take() {
                    errors.push(no_end(
                        &file,
                        open.begin,
                        &format!("a new card begins at line {line}"),
                    ));
                }
                card = Some(CardBuilder {
                    begin: line,
                    ..CardBuilder::default()
                });
            }
            "END" if is_vcard => match card.take() {
                Some(c) => c.finish(&file, &mut contacts, &mut errors),
                None => errors.push(DirError {
                    pos: SourcePos {
                        file: file.clone(),
                        line,
                    },
                    key: None,
                    message: "END:VCARD without BEGIN:VCARD".into(),
                }),
            },
            _ => {
                if let Some(c) = card.as_mut() {
                    c.add(&p, line);
                }
            }
        }
    }
    if let Some(open) = card {
        errors.push(no_end(&file, open.begin, "the file ends inside it"));
    }
    (contacts, errors)
}

// ---------------------------------------------------------------------------------------
// Writing

/// What goes into an attached card.
#[derive(Debug, Clone, Copy)]
pub struct CardOut<'a> {
    pub name: &'a str,
    pub company: Option<&'a str>,
    pub emails: &'a [String],
    /// (dial string, kind)
    pub phones: &'a [(String, PhoneKind)],
}

/// Removes control characters except line feeds and trims.
fn clean(s: &str) -> String {
    s.chars()
        .filter(|&c| c == '\n' || !c.is_control())
        .collect::<String>()
        .trim()
        .to_string()
}

/// Removes every control character (line feeds too) and trims: for one-line values.
fn clean_line(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_control())
        .collect::<String>()
        .trim()
        .to_string()
}

/// Escapes a text value (RFC 6350 §3.4); control characters are removed, a line feed is
/// written as `\n`.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ',' => out.push_str("\\,"),
            ';' => out.push_str("\\;"),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Appends a content line folded at 75 octets (continuations start with one space) + CRLF.
fn push_line(out: &mut String, line: &str) {
    let mut rest = line;
    let mut first = true;
    loop {
        let limit = if first { 75 } else { 74 };
        if !first {
            out.push(' ');
        }
        if rest.len() <= limit {
            out.push_str(rest);
            out.push_str("\r\n");
            return;
        }
        let mut cut = limit;
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        out.push_str(&rest[..cut]);
        out.push_str("\r\n");
        rest = &rest[cut..];
        first = false;
    }
}

/// A vCard 3.0 of the caller, CRLF line ends, for a mail attachment.
pub fn write_v30(card: &CardOut) -> String {
    let name = clean(card.name);
    let company = card.company.map(clean).filter(|c| !c.is_empty());
    let person = !name.is_empty();
    let shown = if person {
        name.clone()
    } else if let Some(c) = &company {
        c.clone()
    } else {
        card.phones
            .iter()
            .map(|(n, _)| clean_line(n))
            .find(|n| !n.is_empty())
            .unwrap_or_default()
    };

    let mut out = String::new();
    push_line(&mut out, "BEGIN:VCARD");
    push_line(&mut out, "VERSION:3.0");
    let n = if person {
        let mut words: Vec<&str> = name.split_whitespace().collect();
        // leading honorifics ("Frau", "Dr.") are prefixes, never a given name: "Frau Müller"
        // is N:Müller;;;Frau; (a name that is only an honorific stays a family name)
        let mut prefixes = Vec::new();
        while words.len() > 1 && is_honorific(words[0]) {
            prefixes.push(words.remove(0));
        }
        let (family, given) = match words.split_last() {
            Some((family, given)) => (*family, given.join(" ")),
            None => ("", String::new()),
        };
        format!(
            "N:{};{};;{};",
            escape(family),
            escape(&given),
            escape(&prefixes.join(" "))
        )
    } else {
        "N:;;;;".to_string()
    };
    push_line(&mut out, &n);
    push_line(&mut out, &format!("FN:{}", escape(&shown)));
    if let Some(c) = &company {
        push_line(&mut out, &format!("ORG:{}", escape(c)));
    }
    for (number, kind) in card.phones {
        let number = clean_line(number);
        if number.is_empty() {
            continue;
        }
        let types = match kind {
            PhoneKind::Work => "WORK,VOICE",
            PhoneKind::Cell => "CELL,VOICE",
            PhoneKind::Home => "HOME,VOICE",
            PhoneKind::Fax => "FAX",
            PhoneKind::Other => "VOICE",
        };
        push_line(&mut out, &format!("TEL;TYPE={types}:{}", escape(&number)));
    }
    // only valid addresses: a card must not carry one a mail client cannot use
    for email in card.emails {
        if let Ok(email) = parse_address(email) {
            push_line(&mut out, &format!("EMAIL;TYPE=INTERNET:{}", escape(&email)));
        }
    }
    push_line(&mut out, "END:VCARD");
    out
}

/// Words that stand before a name as a form of address or a title.
fn is_honorific(word: &str) -> bool {
    const HONORIFICS: [&str; 24] = [
        "frau",
        "herr",
        "fr.",
        "hr.",
        "dr.",
        "prof.",
        "dipl.-ing.",
        "ing.",
        "mag.",
        "mr",
        "mr.",
        "mrs",
        "mrs.",
        "ms",
        "ms.",
        "miss",
        "mx.",
        "sir",
        "dame",
        "mme",
        "mme.",
        "mlle",
        "m.",
        "sr.",
    ];
    let w = word.to_lowercase();
    HONORIFICS.contains(&w.as_str())
}

/// The attachment name of a caller's card: the name in ASCII (`Juergen_Gross.vcf`), or, when
/// the name has letters with no simple ASCII form (李小龙, Ελένη) or nothing usable, the
/// caller's number (`contact-442079460000.vcf`), so two such cards never both become
/// `contact.vcf` and the file still says whose it is.
pub fn file_name_for(name: &str, number: &str) -> String {
    let foldable = name
        .chars()
        .all(|c| !c.is_alphabetic() || c.is_ascii_alphabetic() || ascii_fold(c).is_some());
    let by_name = file_name(name);
    if foldable && by_name != "contact.vcf" {
        return by_name;
    }
    let digits: String = number
        .chars()
        .filter(char::is_ascii_digit)
        .take(20)
        .collect();
    if digits.is_empty() {
        by_name
    } else {
        format!("contact-{digits}.vcf")
    }
}

/// Folds a letter to ASCII where that is simple (ä → ae, é → e); None otherwise.
fn ascii_fold(c: char) -> Option<&'static str> {
    Some(match c {
        'ä' | 'æ' => "ae",
        'ö' | 'ø' | 'œ' => "oe",
        'ü' => "ue",
        'ß' => "ss",
        'Ä' | 'Æ' => "Ae",
        'Ö' | 'Ø' | 'Œ' => "Oe",
        'Ü' => "Ue",
        'à' | 'á' | 'â' | 'ã' | 'å' | 'ā' | 'ă' | 'ą' => "a",
        'À' | 'Á' | 'Â' | 'Ã' | 'Å' | 'Ā' | 'Ă' | 'Ą' => "A",
        'ç' | 'ć' | 'č' => "c",
        'Ç' | 'Ć' | 'Č' => "C",
        'ď' | 'đ' => "d",
        'Ď' | 'Đ' => "D",
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ė' | 'ę' | 'ě' => "e",
        'È' | 'É' | 'Ê' | 'Ë' | 'Ē' | 'Ė' | 'Ę' | 'Ě' => "E",
        'ğ' => "g",
        'Ğ' => "G",
        'ì' | 'í' | 'î' | 'ï' | 'ī' | 'ı' | 'į' => "i",
        'Ì' | 'Í' | 'Î' | 'Ï' | 'Ī' | 'İ' | 'Į' => "I",
        'ł' => "l",
        'Ł' => "L",
        'ñ' | 'ń' | 'ň' => "n",
        'Ñ' | 'Ń' | 'Ň' => "N",
        'ò' | 'ó' | 'ô' | 'õ' | 'ō' | 'ő' => "o",
        'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ō' | 'Ő' => "O",
        'ř' => "r",
        'Ř' => "R",
        'ś' | 'š' | 'ş' | 'ș' => "s",
        'Ś' | 'Š' | 'Ş' | 'Ș' => "S",
        'ť' | 'ţ' | 'ț' => "t",
        'Ť' | 'Ţ' | 'Ț' => "T",
        'ù' | 'ú' | 'û' | 'ū' | 'ů' | 'ű' | 'ų' => "u",
        'Ù' | 'Ú' | 'Û' | 'Ū' | 'Ů' | 'Ű' | 'Ų' => "U",
        'ý' | 'ÿ' => "y",
        'Ý' | 'Ÿ' => "Y",
        'ź' | 'ż' | 'ž' => "z",
        'Ź' | 'Ż' | 'Ž' => "Z",
        _ => return None,
    })
}

/// A safe attachment file name for a contact: ASCII letters, digits, `-`, `.` and `_`
/// (for everything else), at most 60 characters plus `.vcf`; `contact.vcf` when nothing is
/// left.
pub fn file_name(name: &str) -> String {
    let mut base = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
            base.push(c);
        } else if let Some(s) = ascii_fold(c) {
            base.push_str(s);
        } else {
            base.push('_');
        }
    }
    // collapse runs of separators to their first character
    let mut collapsed = String::with_capacity(base.len());
    for c in base.chars() {
        let sep = |c: char| matches!(c, '_' | '.' | '-');
        if sep(c) && collapsed.ends_with(sep) {
            continue;
        }
        collapsed.push(c);
    }
    let trim = |s: &str| s.trim_matches(['_', '.', '-']).to_string();
    let mut base = trim(&collapsed);
    if base.len() > 60 {
        base.truncate(60); // ASCII only by now
        base = trim(&base);
    }
    if base.is_empty() {
        return "contact.vcf".to_string();
    }
    // names Windows reserves for devices, even with an extension
    let stem = base.split('.').next().unwrap_or("").to_ascii_uppercase();
    let reserved = matches!(stem.as_str(), "CON" | "PRN" | "AUX" | "NUL")
        || (stem.len() == 4
            && (stem.starts_with("COM") || stem.starts_with("LPT"))
            && stem.as_bytes()[3].is_ascii_digit());
    if reserved {
        base.insert(0, '_');
    }
    format!("{base}.vcf")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn one(text: &str) -> Contact {
        let (mut contacts, errors) = parse(text, "c.vcf");
        assert_eq!(errors, vec![], "{text}");
        assert_eq!(contacts.len(), 1, "{text}");
        contacts.remove(0)
    }

    fn phones_of(c: &Contact) -> Vec<(&str, PhoneKind)> {
        c.phones
            .iter()
            .map(|p| (p.number.as_str(), p.kind))
            .collect()
    }

    #[test]
    fn reads_v30_apple_style() {
        let text = "BEGIN:VCARD\r\n\
                    VERSION:3.0\r\n\
                    N:M\u{fc}ller;Hans;Peter,Paul;Dr.;\r\n\
                    FN:Dr. Hans M\u{fc}ller\\, Jr.\r\n\
                    ORG:Huber\\; Partner GmbH;Vertrieb\r\n\
                    item1.EMAIL;type=INTERNET;type=pref:hm@huber.de\r\n\
                    EMAIL;TYPE=internet:other@huber.de\r\n\
                    TEL;TYPE=work,voice:+49 89 1234\r\n\
                    TEL;type=CELL;type=VOICE;type=pref:0171 55\r\n\
                    \x205 66\r\n\
                    item2.TEL:030 1\r\n\
                    item2.X-ABLabel:_$!<Other>!$_\r\n\
                    TEL;TYPE=HOME:\t040 2\r\n\
                    TEL;TYPE=\"fax,work\":040 3\r\n\
                    X-UNKNOWN;FOO=bar:whatever\r\n\
                    END:VCARD\r\n";
        let c = one(text);
        assert_eq!(c.name, "Dr. Hans Müller, Jr.");
        assert_eq!(c.company.as_deref(), Some("Huber; Partner GmbH"));
        assert_eq!(c.email.as_deref(), Some("hm@huber.de"));
        assert_eq!(
            phones_of(&c),
            [
                ("+49 89 1234", PhoneKind::Work),
                ("0171 555 66", PhoneKind::Cell),
                ("030 1", PhoneKind::Other),
                ("040 2", PhoneKind::Home),
                ("040 3", PhoneKind::Fax),
            ]
        );
        assert_eq!(c.pos.line, 1);
    }

    #[test]
    fn reads_v40_uris_and_several_cards() {
        let text = "BEGIN:VCARD\n\
                    VERSION:4.0\n\
                    FN:Ann\n\
                    TEL;VALUE=uri;TYPE=\"voice,cell\":tel:+49-171-1234\n\
                    TEL;VALUE=uri;TYPE=work:tel:+49-30-1234;ext=5\n\
                    EMAIL;PREF=1:ann@example.org\n\
                    END:VCARD\n\
                    \n\
                    begin:vcard\n\
                    version:4.0\n\
                    n:Berg;Bea;;;\n\
                    tel:+4940999\n\
                    end:vcard\n";
        let (contacts, errors) = parse(text, "c.vcf");
        assert_eq!(errors, vec![]);
        assert_eq!(contacts.len(), 2);
        assert_eq!(
            phones_of(&contacts[0]),
            [
                ("+49-171-1234", PhoneKind::Cell),
                ("+49-30-1234", PhoneKind::Work)
            ]
        );
        assert_eq!(contacts[0].email.as_deref(), Some("ann@example.org"));
        assert_eq!(contacts[1].name, "Bea Berg", "from N when FN is missing");
        assert_eq!(phones_of(&contacts[1]), [("+4940999", PhoneKind::Other)]);
        assert_eq!(contacts[1].pos.line, 9);
    }

    #[test]
    fn reads_v21_quoted_printable() {
        let text = "BEGIN:VCARD\r\n\
                    VERSION:2.1\r\n\
                    N;CHARSET=ISO-8859-1;ENCODING=QUOTED-PRINTABLE:M=FCller;J=\r\n\
                    =FCrgen\r\n\
                    FN;CHARSET=UTF-8;QUOTED-PRINTABLE:J=C3=BCrgen M=C3=BC=\r\n\
                    ller =3D Chef\r\n\
                    ORG;ENCODING=QUOTED-PRINTABLE;CHARSET=windows-1252:Caf=E9 =80uro\r\n\
                    TEL;CELL;VOICE:0172 1\r\n\
                    TEL;WORK;FAX:030 9\r\n\
                    END:VCARD\r\n";
        let c = one(text);
        assert_eq!(c.name, "Jürgen Müller = Chef");
        assert_eq!(c.company.as_deref(), Some("Café €uro"));
        assert_eq!(
            phones_of(&c),
            [("0172 1", PhoneKind::Cell), ("030 9", PhoneKind::Fax)]
        );

        // N alone, QP in ISO-8859-1 over a soft break
        let c = one(
            "BEGIN:VCARD\nN;CHARSET=ISO-8859-1;ENCODING=QUOTED-PRINTABLE:M=FCller;J=\n=FCrgen\nTEL:1\nEND:VCARD\n",
        );
        assert_eq!(c.name, "Jürgen Müller");
    }

    #[test]
    fn company_only_card() {
        let c =
            one("BEGIN:VCARD\nVERSION:3.0\nFN:\nN:;;;;\nORG:Stadtwerke;IT\nTEL:030 1\nEND:VCARD\n");
        assert_eq!(c.name, "Stadtwerke");
        assert_eq!(c.company.as_deref(), Some("Stadtwerke"));
    }

    #[test]
    fn card_errors() {
        let text = "BEGIN:VCARD\n\
                    FN:No End\n\
                    TEL:1\n\
                    BEGIN:VCARD\n\
                    TEL:2\n\
                    END:VCARD\n\
                    BEGIN:VCARD\n\
                    FN:No Phone\n\
                    END:VCARD\n\
                    BEGIN:VCARD\n\
                    FN:Good\n\
                    TEL:3\n\
                    EMAIL:not an address\n\
                    END:VCARD\n\
                    END:VCARD\n\
                    BEGIN:VCARD\n\
                    FN:Truncated\n";
        let (contacts, errors) = parse(text, "c.vcf");
        assert_eq!(contacts.len(), 1);
        assert_eq!(contacts[0].name, "Good");
        assert_eq!(contacts[0].email, None);
        let lines: Vec<u64> = errors.iter().map(|e| e.pos.line).collect();
        assert_eq!(lines, [1, 4, 7, 13, 15, 16]);
        assert!(errors[0].message.contains("END:VCARD"), "{}", errors[0]);
        assert!(errors[1].message.contains("no name"), "{}", errors[1]);
        assert!(errors[2].message.contains("TEL"), "{}", errors[2]);
        assert!(errors[2].message.contains("No Phone"), "{}", errors[2]);
        assert!(
            errors[3].message.contains("not an address"),
            "{}",
            errors[3]
        );
        assert!(errors[4].message.contains("without BEGIN"), "{}", errors[4]);
        assert!(errors[5].message.contains("END:VCARD"), "{}", errors[5]);
        assert_eq!(
            errors[0].to_string(),
            format!("c.vcf:1: {}", errors[0].message)
        );
    }

    fn card<'a>(
        name: &'a str,
        company: Option<&'a str>,
        emails: &'a [String],
        phones: &'a [(String, PhoneKind)],
    ) -> CardOut<'a> {
        CardOut {
            name,
            company,
            emails,
            phones,
        }
    }

    #[test]
    fn writes_v30() {
        let emails = vec!["hm@huber.de".to_string()];
        let phones = vec![
            ("+49891234".to_string(), PhoneKind::Work),
            ("+491715556".to_string(), PhoneKind::Cell),
            ("+49402".to_string(), PhoneKind::Home),
            ("+49403".to_string(), PhoneKind::Fax),
            ("+49404".to_string(), PhoneKind::Other),
        ];
        let out = write_v30(&card(
            "Hans Peter Müller",
            Some("Huber, Söhne; Co"),
            &emails,
            &phones,
        ));
        assert_eq!(
            out,
            "BEGIN:VCARD\r\n\
             VERSION:3.0\r\n\
             N:Müller;Hans Peter;;;\r\n\
             FN:Hans Peter Müller\r\n\
             ORG:Huber\\, Söhne\\; Co\r\n\
             TEL;TYPE=WORK,VOICE:+49891234\r\n\
             TEL;TYPE=CELL,VOICE:+491715556\r\n\
             TEL;TYPE=HOME,VOICE:+49402\r\n\
             TEL;TYPE=FAX:+49403\r\n\
             TEL;TYPE=VOICE:+49404\r\n\
             EMAIL;TYPE=INTERNET:hm@huber.de\r\n\
             END:VCARD\r\n"
        );
        let back = one(&out);
        assert_eq!(back.name, "Hans Peter Müller");
        assert_eq!(back.company.as_deref(), Some("Huber, Söhne; Co"));
        assert_eq!(back.email.as_deref(), Some("hm@huber.de"));
        let want: Vec<(&str, PhoneKind)> = phones.iter().map(|(n, k)| (n.as_str(), *k)).collect();
        assert_eq!(phones_of(&back), want);

        let frau = write_v30(&card("Frau Müller", None, &[], &phones[..1]));
        assert!(frau.contains("\r\nN:Müller;;;Frau;\r\n"), "{frau}");
        let dr = write_v30(&card("Dr. med Hans Huber", None, &[], &phones[..1]));
        assert!(dr.contains("\r\nN:Huber;med Hans;;Dr.;\r\n"), "{dr}");
        let herr = write_v30(&card("Herr", None, &[], &phones[..1]));
        assert!(herr.contains("\r\nN:Herr;;;;\r\n"), "{herr}");
        let single = write_v30(&card("Cher", None, &[], &phones[..1]));
        assert!(single.contains("\r\nN:Cher;;;;\r\n"), "{single}");
        let company = write_v30(&card("  ", Some("Stadtwerke"), &[], &phones[..1]));
        assert!(company.contains("\r\nN:;;;;\r\nFN:Stadtwerke\r\nORG:Stadtwerke\r\n"));
        assert_eq!(one(&company).name, "Stadtwerke");
    }

    /// Removes what the writer removes: control characters but line feeds; trims.
    fn expected(s: &str) -> String {
        clean(s)
    }

    /// The checks every written card must pass; returns the parsed contact.
    fn check_written(out: &str, allowed: &[&str]) -> Contact {
        let pieces: Vec<&[u8]> = out.as_bytes().split(|&b| b == b'\n').collect();
        let (last, lines) = pieces.split_last().unwrap();
        assert!(last.is_empty(), "the card ends with a line end");
        for physical in lines {
            let physical = physical.strip_suffix(b"\r").expect("CRLF line ends");
            assert!(!physical.contains(&b'\r'), "a lone CR in {out:?}");
            assert!(physical.len() <= 75, "{} octets", physical.len());
            let line = std::str::from_utf8(physical).expect("a character was split");
            if !line.starts_with(' ') {
                let name = line.split([':', ';']).next().unwrap();
                assert!(allowed.contains(&name), "unexpected property {line:?}");
            }
            assert!(!line.chars().any(|c| c.is_control()), "{line:?}");
        }
        one(out)
    }

    const PROPS: &[&str] = &["BEGIN", "VERSION", "N", "FN", "ORG", "TEL", "EMAIL", "END"];

    #[test]
    fn hostile_values_stay_in_place() {
        let long: String = "Jürgen 😀 Ölmüller-Straße "
            .repeat(8)
            .chars()
            .take(200)
            .collect();
        assert_eq!(long.chars().count(), 200);
        let names = [
            "Evil\r\nEMAIL:x@evil",
            "Evil\nEND:VCARD\nBEGIN:VCARD",
            "a;b,c\\",
            "<script>alert(1)</script>",
            "tab\there\u{0}nul\u{1b}[31m",
            long.as_str(),
            "😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀",
        ];
        let emails = vec![
            "x@evil.example\r\nBCC:y@evil".to_string(),
            "ok@example.com".to_string(),
        ];
        let phones = vec![("+4930\r\nEMAIL:z@evil".to_string(), PhoneKind::Work)];
        for name in names {
            for company in [None, Some(name)] {
                let out = write_v30(&card(name, company, &emails, &phones));
                let back = check_written(&out, PROPS);
                assert_eq!(back.name, expected(name), "{out}");
                assert_eq!(back.company, company.map(expected));
                assert_eq!(back.phones[0].number, "+4930EMAIL:z@evil");
                assert_eq!(back.email.as_deref(), Some("ok@example.com"));
                assert_eq!(out.matches("\r\nEMAIL").count(), 1, "{out}");
                assert_eq!(out.matches("\r\nEND:VCARD").count(), 1, "{out}");
            }
        }
        // the long lines were folded
        let out = write_v30(&card(&long, None, &[], &phones));
        assert!(out.contains("\r\n "), "{out}");
    }

    #[test]
    fn folds_at_75_octets_on_char_boundaries() {
        for len in 60..80 {
            for ch in ["a", "ä", "€", "😀"] {
                let name = ch.repeat(len);
                let out = write_v30(&card(&name, None, &[], &[]));
                let back = check_written(&(out.replace("END:VCARD", "TEL:1\r\nEND:VCARD")), PROPS);
                assert_eq!(back.name, name);
            }
        }
        // exactly 75 octets stay on one line, 76 are folded
        let mut out = String::new();
        push_line(&mut out, &"x".repeat(75));
        assert_eq!(out, format!("{}\r\n", "x".repeat(75)));
        out.clear();
        push_line(&mut out, &"x".repeat(76));
        assert_eq!(out, format!("{}\r\n x\r\n", "x".repeat(75)));
    }

    #[test]
    fn file_names() {
        let cases = [
            ("Hans Müller", "Hans_Mueller.vcf"),
            ("Jürgen Öztürk-Weiß", "Juergen_Oeztuerk-Weiss.vcf"),
            ("René Côté", "Rene_Cote.vcf"),
            ("../../etc/passwd", "etc_passwd.vcf"),
            ("C:\\Windows\\evil", "C_Windows_evil.vcf"),
            ("\"quoted\" name\r\n", "quoted_name.vcf"),
            ("  .hidden  ", "hidden.vcf"),
            ("a  __  b", "a_b.vcf"),
            ("", "contact.vcf"),
            ("😀😀", "contact.vcf"),
            ("...", "contact.vcf"),
            ("张伟", "contact.vcf"),
            ("CON", "_CON.vcf"),
            ("nul.txt", "_nul.txt.vcf"),
            ("Com1", "_Com1.vcf"),
            ("Dr. Hans", "Dr.Hans.vcf"),
        ];
        for (name, want) in cases {
            assert_eq!(file_name(name), want, "{name:?}");
        }
        assert_eq!(
            file_name_for("李小龙", "+44 20 7946-0000"),
            "contact-442079460000.vcf"
        );
        assert_eq!(
            file_name_for("Ελένη", "+30 21 0000"),
            "contact-30210000.vcf"
        );
        assert_eq!(file_name_for("Jürgen Groß", "+49 171"), "Juergen_Gross.vcf");
        assert_eq!(file_name_for("😀", ""), "contact.vcf");
        let long = file_name(&"Müller ".repeat(30));
        assert!(long.len() <= 64, "{long}");
        assert!(long.ends_with(".vcf") && !long.ends_with("_.vcf"), "{long}");
        assert!(long.starts_with("Mueller_Mueller"), "{long}");
    }

    proptest! {
        #[test]
        fn round_trip(name in "\\PC{0,120}", company in proptest::option::of("\\PC{0,90}"),
                      raw in proptest::collection::vec(any::<char>(), 0..40),
                      local in "[a-z0-9]{1,10}(\\.[a-z0-9]{1,5})?", phone in "\\+[0-9]{4,20}") {
            // mix in the characters that matter most
            let hostile: String = raw.iter().map(|c| match *c as u32 % 7 {
                0 => '\n', 1 => '\r', 2 => ';', 3 => ',', 4 => '\\', _ => *c }).collect();
            let name = format!("{name}{hostile}");
            let email = format!("{local}@example.com");
            let emails = vec![email.clone()];
            let phones = vec![(phone.clone(), PhoneKind::Cell)];
            let out = write_v30(&card(&name, company.as_deref(), &emails, &phones));
            let back = check_written(&out, PROPS);
            let want_company = company.as_deref().map(expected).filter(|c| !c.is_empty());
            let want_name = if expected(&name).is_empty() {
                want_company.clone().unwrap_or(phone.clone())
            } else {
                expected(&name)
            };
            prop_assert_eq!(&back.name, &want_name);
            prop_assert_eq!(&back.company, &want_company);
            prop_assert_eq!(&back.email, &Some(email));
            prop_assert_eq!(phones_of(&back), vec![(phone.as_str(), PhoneKind::Cell)]);
        }

        #[test]
        fn parse_never_panics(text in "\\PC*", parts in proptest::collection::vec(
            "(BEGIN:VCARD|END:VCARD|FN[;:]|TEL;TYPE=\"|N:|;|=|=\r?\n| |\\\\|ORG;QUOTED-PRINTABLE:|EMAIL:|\r\n|\n|[a-z=:;,\"]+)", 0..40)) {
            let _ = parse(&text, "x.vcf");
            let joined = parts.concat();
            let (contacts, errors) = parse(&joined, "x.vcf");
            prop_assert!(contacts.iter().all(|c| !c.name.is_empty() && !c.phones.is_empty()));
            let n = joined.split('\n').count() as u64;
            prop_assert!(errors.iter().all(|e| e.pos.line >= 1 && e.pos.line <= n));
        }

        #[test]
        fn file_name_is_safe(name in "\\PC{0,200}") {
            let f = file_name(&name);
            prop_assert!(f.ends_with(".vcf"));
            prop_assert!(f.len() <= 64);
            prop_assert!(f.len() > 4);
            prop_assert!(f.chars().all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c)), "{}", f);
            prop_assert!(!f.starts_with('.'));
        }
    }
}
