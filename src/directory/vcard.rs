//! vCard: reading contacts files (2.1, 3.0 and 4.0; RFC 2426, RFC 6350). Writing the
//! caller's card attached to a mail is [`crate::render::vcard`].
//!
//! Reading takes what a contact search needs: the name (FN, else N, else ORG), the company
//! (first ORG component), the e-mail address and the phone numbers with their kind. Folded
//! lines, property groups (`item1.TEL`), quoted and 2.1-style bare parameters, `tel:` URIs,
//! escapes, QUOTED-PRINTABLE with soft line breaks and CHARSET are understood; unknown
//! properties are ignored.

use crate::directory::{parse_address, Contact, DirError, Phone, PhoneKind, ValueError};
use crate::ingest::SourcePos;

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
    bad_emails: Vec<(u64, String, ValueError)>,
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

    fn finish(
        self,
        file: &crate::ingest::FileName,
        contacts: &mut Vec<Contact>,
        errors: &mut Vec<DirError>,
    ) {
        let err = |line: u64, message: String| DirError {
            pos: SourcePos { file: *file, line },
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
                    pos: SourcePos { file: *file, line },
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
                file: *file,
                line: self.begin,
            },
        });
    }
}

/// Reads the cards of a vCard file. Cards without END, without a name (FN, N or ORG) or
/// without a TEL are reported (with the line of their BEGIN) and skipped.
pub(crate) fn parse(text: &str, file: &str) -> (Vec<Contact>, Vec<DirError>) {
    let file: crate::ingest::FileName = crate::ingest::FileName::new(file);
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut contacts = Vec::new();
    let mut errors = Vec::new();
    let mut card: Option<CardBuilder> = None;
    let no_end = |file: &crate::ingest::FileName, begin: u64, why: &str| DirError {
        pos: SourcePos {
            file: *file,
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
                    pos: SourcePos { file, line },
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

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;

    pub(crate) fn one(text: &str) -> Contact {
        let (mut contacts, errors) = parse(text, "c.vcf");
        assert_eq!(errors, vec![], "{text}");
        assert_eq!(contacts.len(), 1, "{text}");
        contacts.remove(0)
    }

    pub(crate) fn phones_of(c: &Contact) -> Vec<(&str, PhoneKind)> {
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

    proptest! {
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
    }
}
