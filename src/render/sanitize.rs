//! Cleaning text from the journal, the directory and mail servers for where it goes.
//!
//! Two destinations, two rules:
//! - **XML** ([`xml_safe`], [`clean`], [`clean_name`], [`short`]): the document a template
//!   receives, and from it the mail's bodies and headers. Only characters XML 1.0 allows
//!   stay; names also lose the invisible characters that change how they read (SPEC §7).
//! - **A terminal** ([`terminal_line`]): what a person reads on standard output or standard
//!   error (the outbox listing, a server's answer, a delivery problem). No escape sequence,
//!   no control character and no bidi control reaches the terminal; the text stays one line.

/// Keeps only characters that XML 1.0 allows (no C0 or C1 controls, no DEL, no bidi
/// overrides or isolates), turns line breaks and tabs into spaces (no value of ours spans
/// lines); not trimmed (language strings keep their spaces).
pub(crate) fn xml_safe(s: &str) -> String {
    s.chars().filter_map(xml_char).collect()
}

/// [`xml_safe`] for one character: what it becomes, or None when it is dropped.
pub(crate) fn xml_char(c: char) -> Option<char> {
    match c {
        '\n' | '\r' | '\t' => Some(' '),
        '\u{7F}'..='\u{9F}' => None,
        // bidi overrides and isolates could make a name display as something else
        c if bidi_override(c) => None,
        '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..='\u{10FFFF}' => Some(c),
        _ => None,
    }
}

/// [`xml_safe`], trimmed.
pub(crate) fn clean(s: &str) -> String {
    xml_safe(s).trim().to_string()
}

/// The bidi embeddings, overrides and isolates: they reorder the text around them.
fn bidi_override(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Invisible characters that change how a name reads without being seen: zero-width
/// spaces and joiners, word joiners and invisible operators, the byte-order mark, the bidi
/// marks, embeddings, overrides and isolates, and the soft hyphen.
fn invisible(c: char) -> bool {
    matches!(
        c,
        '\u{AD}'
            | '\u{61C}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206F}'
            | '\u{FEFF}'
            | '\u{FFF9}'..='\u{FFFB}'
    )
}

/// A name (of a caller, a company, a user) as it may be shown or put into a header:
/// [`xml_safe`], line and paragraph separators made spaces, invisible characters removed
/// (SPEC §7), runs of spaces collapsed.
pub(crate) fn clean_name(s: &str) -> String {
    let s: String = xml_safe(s)
        .chars()
        .map(|c| {
            if matches!(c, '\u{2028}' | '\u{2029}') {
                ' '
            } else {
                c
            }
        })
        .filter(|&c| !invisible(c))
        .collect();
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A name or company for display: [`clean_name`] and at most 200 characters.
pub(crate) fn short(s: &str) -> String {
    let c = clean_name(s);
    if c.chars().count() > 200 {
        let mut t: String = c.chars().take(199).collect();
        t.push('…');
        t
    } else {
        c
    }
}

/// Text for one line of a terminal: line breaks and tabs become spaces; every other control
/// character (C0 including ESC and NUL, DEL, C1 including CSI), the bidi marks, embeddings,
/// overrides and isolates, and the line and paragraph separators are removed, so nothing
/// can move the cursor, recolour the screen or reorder what is shown; trimmed.
pub(crate) fn terminal_line(s: &str) -> String {
    let s: String = s
        .chars()
        .filter_map(|c| match c {
            '\n' | '\r' | '\t' => Some(' '),
            c if c.is_control() => None,
            '\u{200E}' | '\u{200F}' | '\u{61C}' | '\u{2028}' | '\u{2029}' => None,
            c if bidi_override(c) => None,
            c => Some(c),
        })
        .collect();
    s.trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn xml_text_keeps_what_xml_allows() {
        for (input, want) in [
            ("Evil\r\nBcc: x\u{0}\u{1}\u{7f}\u{85}", "Evil  Bcc: x"),
            (" Müller 😀 ", "Müller 😀"),
            ("abc\u{202E}fdp.exe", "abcfdp.exe"),
            ("\u{1b}[31mred\u{1b}[0m", "[31mred[0m"),
            ("a\u{9b}31mb", "a31mb"),
            ("nul\u{0}byte", "nulbyte"),
            ("iso\u{2066}late\u{2069}", "isolate"),
            ("\u{FFFE}\u{FFFF}x", "x"),
        ] {
            assert_eq!(clean(input), want, "{input:?}");
        }
        assert_eq!(xml_safe(" a\tb "), " a b ", "not trimmed");
    }

    #[test]
    fn names_lose_invisible_characters() {
        for bad in [
            '\u{200B}', '\u{200D}', '\u{FEFF}', '\u{2060}', '\u{200F}', '\u{061C}', '\u{202E}',
            '\u{2066}', '\u{AD}',
        ] {
            assert_eq!(clean_name(&format!("Ad{bad}min")), "Admin", "{bad:?}");
        }
        assert_eq!(clean_name("Evil\u{2028}Bcc:\u{2029} x"), "Evil Bcc: x");
        assert_eq!(short("  Max \u{200B} Mustermann "), "Max Mustermann");
        assert_eq!(short(&"x".repeat(300)).chars().count(), 200);
    }

    #[test]
    fn terminal_lines_carry_no_controls() {
        for (input, want) in [
            ("250 2.0.0 Ok: queued as 4F1", "250 2.0.0 Ok: queued as 4F1"),
            ("\u{1b}[2J\u{1b}[1;1Hcleared", "[2J[1;1Hcleared"),
            ("\u{1b}]0;title\u{7}x", "]0;titlex"),
            ("a\u{9b}2Jb\u{85}c", "a2Jbc"),
            ("nul\u{0}\u{7f}byte", "nulbyte"),
            ("two\r\nlines\tand tab", "two  lines and tab"),
            ("abc\u{202E}gpj.exe", "abcgpj.exe"),
            ("\u{2067}rtl\u{2069} \u{200F}mark", "rtl mark"),
            ("line\u{2028}sep", "linesep"),
            ("  Müller 😀 東京  ", "Müller 😀 東京"),
        ] {
            assert_eq!(terminal_line(input), want, "{input:?}");
        }
    }

    proptest! {
        #[test]
        fn terminal_lines_are_one_line_without_controls(s in any::<String>()) {
            let t = terminal_line(&s);
            prop_assert!(!t.chars().any(|c| c.is_control() || bidi_override(c)), "{t:?}");
            prop_assert_eq!(terminal_line(&t), t.clone(), "idempotent");
        }

        #[test]
        fn xml_text_is_xml_and_one_line(s in any::<String>()) {
            let t = clean(&s);
            prop_assert!(!t.chars().any(|c| c.is_control() || bidi_override(c)), "{t:?}");
            prop_assert_eq!(clean(&t), t.clone(), "idempotent");
        }
    }
}
