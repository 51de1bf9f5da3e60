//! Header values we write ourselves: the subject and every display name are encoded here
//! (RFC 2047 `B` encoded-words, or plain ASCII), so text from the journal is always literal
//! text. A caller named `=?utf-8?B?RXZpbA0KQmNjOiB2aWN0aW0y?=` is encoded like any other
//! name, and a mail program shows those characters, never what they would decode to.

use lettre::message::Mailbox;

const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding.
pub(crate) fn base64(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(BASE64[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// True when `s` cannot go into a header as it is: anything but printable ASCII and space,
/// or something a decoder could take for an encoded-word.
fn needs_encoding(s: &str) -> bool {
    !s.chars().all(|c| c == ' ' || c.is_ascii_graphic()) || s.contains("=?") || s.contains("?=")
}

/// `s` as `=?utf-8?B?…?=` words of at most 75 characters, folded onto continuation lines.
/// Words split at character boundaries, so each one decodes on its own.
pub(crate) fn encoded_words(s: &str) -> String {
    let mut words = Vec::new();
    let mut chunk = String::new();
    for c in s.chars() {
        if chunk.len() + c.len_utf8() > 45 {
            words.push(format!("=?utf-8?B?{}?=", base64(chunk.as_bytes())));
            chunk.clear();
        }
        chunk.push(c);
    }
    if !chunk.is_empty() || words.is_empty() {
        words.push(format!("=?utf-8?B?{}?=", base64(chunk.as_bytes())));
    }
    words.join("\r\n ")
}

/// Unstructured text (the subject): plain ASCII folded at spaces, else encoded-words.
pub(crate) fn unstructured(s: &str) -> String {
    if needs_encoding(s) || s.split(' ').any(|w| w.len() > 66) {
        return encoded_words(s);
    }
    let mut out = String::new();
    let mut line = 0;
    for (i, w) in s.split(' ').enumerate() {
        if i > 0 {
            if line + 1 + w.len() > 66 {
                out.push_str("\r\n ");
                line = 1;
            } else {
                out.push(' ');
                line += 1;
            }
        }
        out.push_str(w);
        line += w.len();
    }
    out
}

/// A display name: a quoted string when it is short printable ASCII, else encoded-words.
pub(crate) fn phrase(name: &str) -> String {
    if needs_encoding(name) || name.len() > 60 {
        return encoded_words(name);
    }
    let mut out = String::from("\"");
    for c in name.chars() {
        if matches!(c, '"' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// `"Name" <address>` (or the bare address).
pub(crate) fn mailbox(m: &Mailbox) -> String {
    match m.name.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
        Some(n) => format!("{} <{}>", phrase(n), m.email),
        None => m.email.to_string(),
    }
}

/// RFC 5322 date in the offset of `tz` ("Thu, 26 Nov 2026 12:47:00 +0100").
pub(crate) fn date(at: jiff::Timestamp, tz: &jiff::tz::TimeZone) -> String {
    at.to_zoned_datetime(tz.clone())
        .strftime("%a, %d %b %Y %H:%M:%S %z")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use mail_parser::MessageParser;

    fn parse_header(name: &str, value: &str) -> mail_parser::Message<'static> {
        let raw = format!("{name}: {value}\r\nTo: x@example.com\r\n\r\nbody\r\n");
        MessageParser::default()
            .parse(raw.as_bytes())
            .unwrap()
            .into_owned()
    }

    #[test]
    fn base64_matches_the_rfc_4648_vectors() {
        for (i, o) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(i.as_bytes()), o);
        }
    }

    #[test]
    fn an_encoded_word_in_a_subject_stays_literal() {
        // decodes to "Evil\r\nBcc: victim2@example.com" if passed through raw
        let evil = "Missed call from =?utf-8?B?RXZpbA0KQmNjOiB2aWN0aW0yQGV4YW1wbGUuY29t?=";
        let v = unstructured(evil);
        assert!(!v.contains("RXZpbA0K?="), "{v}");
        assert!(v.lines().all(|l| l.len() <= 76), "{v}");
        let m = parse_header("Subject", &v);
        assert_eq!(m.subject(), Some(evil));
        assert!(m.bcc().is_none());
    }

    #[test]
    fn display_names_stay_literal() {
        let addr: lettre::Address = "pbx@example.com".parse().unwrap();
        for name in [
            "Admin <admin@example.com>",
            "=?utf-8?Q?Admin_=3Cadmin@example.com=3E?=",
            "Frau \"Müller\" \\ Söhne",
            "李小龙",
            "Anna Schmidt",
        ] {
            let v = mailbox(&Mailbox::new(Some(name.to_string()), addr.clone()));
            let m = parse_header("From", &v);
            let from = m.from().unwrap().first().unwrap();
            assert_eq!(from.name(), Some(name), "{v}");
            assert_eq!(from.address(), Some("pbx@example.com"), "{v}");
        }
        assert_eq!(
            mailbox(&Mailbox::new(Some("Anna Schmidt".into()), addr)),
            "\"Anna Schmidt\" <pbx@example.com>"
        );
    }

    #[test]
    fn long_subjects_fold_and_decode_whole() {
        let s = "Ein sehr langer Betreff mit Umlauten äöü ".repeat(5);
        let v = unstructured(s.trim());
        assert!(v.lines().all(|l| l.len() <= 76), "{v}");
        assert_eq!(parse_header("Subject", &v).subject(), Some(s.trim()));
        let plain = "5 missed calls (Max Mustermann, Acme GmbH, and a few more callers today)";
        let v = unstructured(plain);
        assert!(v.contains("\r\n "), "{v}");
        assert_eq!(parse_header("Subject", &v).subject(), Some(plain));
    }

    #[test]
    fn date_carries_the_zone_offset() {
        let t: jiff::Timestamp = "2026-11-26T11:47:00Z".parse().unwrap();
        let berlin = jiff::tz::TimeZone::get("Europe/Berlin").unwrap();
        assert_eq!(date(t, &berlin), "Thu, 26 Nov 2026 12:47:00 +0100");
        let ny = jiff::tz::TimeZone::get("America/New_York").unwrap();
        assert_eq!(date(t, &ny), "Thu, 26 Nov 2026 06:47:00 -0500");
    }
}
