//! vCard: the caller's card attached to a mail (3.0, which iOS and Outlook read).
//!
//! Writing escapes every text value and removes control characters, so no value can start a
//! property of its own, and folds lines at 75 octets without splitting a UTF-8 character.
//! The reader of contacts files is [`crate::directory::vcard`].

use crate::directory::{parse_address, PhoneKind};

/// What goes into an attached card.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CardOut<'a> {
    pub(crate) name: &'a str,
    pub(crate) company: Option<&'a str>,
    pub(crate) emails: &'a [String],
    /// (dial string, kind)
    pub(crate) phones: &'a [(String, PhoneKind)],
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
pub(crate) fn write_v30(card: &CardOut) -> String {
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
pub(crate) fn file_name_for(name: &str, number: &str) -> String {
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
pub(crate) fn file_name(name: &str) -> String {
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
    use crate::directory::vcard::tests::{one, phones_of};
    use crate::directory::Contact;
    use proptest::prelude::*;

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
