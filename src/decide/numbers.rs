//! Phone numbers: normalisation to E.164 with the configured location (SPEC §1.4).
//!
//! We do not use a libphonenumber port here: those parse by ISO region and know nothing of a
//! PBX's own number, its extensions, an outside-line prefix or the area code a local number
//! was dialled in, which is exactly what comparing journal numbers needs. The rules are few
//! and all come from the configuration:
//!
//! 1. Empty, or one of `anonymous`, `unknown`, `restricted`, `private` (any case): hidden.
//! 2. A `tel:`/`sip:` URI is reduced to its user part (`sip:201@pbx` → `201`).
//! 3. Spaces, `-`, `/`, `.`, `(`, `)` are dropped; `(0)` after an international form is dropped
//!    (`+49 (0)30 …`).
//! 4. Anything that then is not `+` and digits is kept as written (lower case): not a phone
//!    number, but still comparable (`test`, a SIP name).
//! 5. An outside-line prefix is removed when what follows it starts with the national or
//!    international prefix (`0` + `030…`, `0` + `0049…`).
//! 6. `+…` stays; international prefix (`00`) → `+`; national prefix (`0`) → `+CC`; at most
//!    `internal_max_digits` digits → an extension of the PBX (`+CC AREA PBX EXT`, or the bare
//!    extension when no `pbx_number` is set); anything longer → a local number (`+CC AREA …`).

use crate::ingest::Text;
use std::borrow::Cow;
use std::fmt;

/// The location numbers are read in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NumberPlan {
    pub(crate) country_code: String,
    pub(crate) area_code: String,
    pub(crate) pbx_number: String,
    pub(crate) outside_line_prefix: String,
    pub(crate) national_prefix: String,
    pub(crate) international_prefix: String,
    pub(crate) internal_max_digits: usize,
}

impl Default for NumberPlan {
    fn default() -> Self {
        NumberPlan {
            country_code: "49".into(),
            area_code: String::new(),
            pbx_number: String::new(),
            outside_line_prefix: String::new(),
            national_prefix: "0".into(),
            international_prefix: "00".into(),
            internal_max_digits: 5,
        }
    }
}

/// A normalised number: the comparison key of a caller or a line.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Number {
    /// `+` and digits.
    E164(Text),
    /// An extension when no PBX number is configured (digits only).
    Extension(Text),
    /// Not a phone number, kept lower-case for comparison.
    Other(Text),
}

impl Number {
    pub(crate) fn as_str(&self) -> &str {
        match self {
            Number::E164(s) | Number::Extension(s) | Number::Other(s) => s,
        }
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

const HIDDEN_WORDS: [&str; 4] = ["anonymous", "unknown", "restricted", "private"];

/// True when the caller withheld the number (SPEC §3.2).
pub(crate) fn is_hidden(raw: &str) -> bool {
    let t = crate::ingest::text::trim(raw);
    t.is_empty() || HIDDEN_WORDS.iter().any(|w| t.eq_ignore_ascii_case(w))
}

/// The characters of a number that a dial string may keep. One pass, one allocation: "(0)"
/// is dropped in the international form (as a left-to-right replace of the text would), then
/// the separators. A number with none of them (the usual case) is its own text.
fn dial_chars(raw: &str) -> Cow<'_, str> {
    let s = strip_uri(crate::ingest::text::trim(raw));
    // (0xC2 begins U+00A0 and other characters: those take the long way)
    let dropped = |b: &u8| matches!(b, b' ' | b'-' | b'/' | b'.' | b'(' | b')' | b'\t' | 0xC2);
    if !s.as_bytes().iter().any(dropped) {
        return Cow::Borrowed(s);
    }
    let drop_trunk_zero = s.starts_with('+') || s.starts_with("00");
    let mut out = String::with_capacity(s.len());
    // the runs of characters kept are copied whole, between the ones dropped
    let (mut run, mut at) = (0, 0);
    while let Some(c) = s[at..].chars().next() {
        let skip = if drop_trunk_zero && s[at..].starts_with("(0)") {
            3
        } else if matches!(c, ' ' | '-' | '/' | '.' | '(' | ')' | '\u{a0}' | '\t') {
            c.len_utf8()
        } else {
            at += c.len_utf8();
            continue;
        };
        out.push_str(&s[run..at]);
        at += skip;
        run = at;
    }
    out.push_str(&s[run..]);
    Cow::Owned(out)
}

fn strip_uri(s: &str) -> &str {
    let scheme =
        |p: &str| s.len() >= p.len() && s.as_bytes()[..p.len()].eq_ignore_ascii_case(p.as_bytes());
    // an ASCII scheme matched, so its length is a character boundary
    let rest = if scheme("tel:") || scheme("sip:") {
        &s[4..]
    } else if scheme("sips:") {
        &s[5..]
    } else {
        s
    };
    rest.split(['@', ';']).next().unwrap_or(rest)
}

/// `+` and the parts: put together on the stack and made a text once when they fit (every
/// E.164 number does), else in one allocation of the right size.
fn e164(parts: &[&str]) -> Number {
    let len = 1 + parts.iter().map(|p| p.len()).sum::<usize>();
    let mut buf = [0u8; 32];
    if len <= buf.len() {
        buf[0] = b'+';
        let mut at = 1;
        for p in parts {
            buf[at..at + p.len()].copy_from_slice(p.as_bytes());
            at += p.len();
        }
        if let Ok(s) = std::str::from_utf8(&buf[..len]) {
            return Number::E164(Text::from(s));
        }
    }
    let mut s = Text::with_capacity(len);
    s.push_str("+");
    for p in parts {
        s.push_str(p);
    }
    Number::E164(s)
}

fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

impl NumberPlan {
    /// Normalises a number; `None` when it is hidden.
    pub(crate) fn normalise(&self, raw: &str) -> Option<Number> {
        if is_hidden(raw) {
            return None;
        }
        let s = dial_chars(raw);
        if let Some(rest) = s.strip_prefix('+') {
            return Some(if is_digits(rest) {
                Number::E164(Text::from(&*s))
            } else {
                Number::Other(raw.trim().to_lowercase().into())
            });
        }
        if !is_digits(&s) {
            return Some(Number::Other(raw.trim().to_lowercase().into()));
        }
        Some(self.normalise_digits(&s))
    }

    fn normalise_digits(&self, digits: &str) -> Number {
        let mut d = digits;
        let np = self.national_prefix.as_str();
        let ip = self.international_prefix.as_str();
        if !self.outside_line_prefix.is_empty() {
            if let Some(rest) = d.strip_prefix(self.outside_line_prefix.as_str()) {
                let before_prefix = (!np.is_empty() && rest.starts_with(np))
                    || (!ip.is_empty() && rest.starts_with(ip));
                if before_prefix {
                    d = rest;
                }
            }
        }
        if !ip.is_empty() {
            if let Some(rest) = d.strip_prefix(ip) {
                if !rest.is_empty() {
                    return e164(&[rest]);
                }
            }
        }
        if !np.is_empty() && d.len() > self.internal_max_digits {
            if let Some(rest) = d.strip_prefix(np) {
                return e164(&[&self.country_code, rest]);
            }
        }
        if d.len() <= self.internal_max_digits {
            if self.pbx_number.is_empty() {
                return Number::Extension(d.into());
            }
            return e164(&[&self.country_code, &self.area_code, &self.pbx_number, d]);
        }
        e164(&[&self.country_code, &self.area_code, d])
    }

    /// The number as a clean dial string for a link (`tel:+4930…`): E.164, or the bare
    /// extension. Something that is not a phone number gets no link at all (None).
    pub(crate) fn dial_string(&self, raw: &str) -> Option<String> {
        match self.normalise(raw)? {
            Number::E164(s) | Number::Extension(s) => Some(s.into()),
            Number::Other(_) => None,
        }
    }
}

/// What is wrong with an entry of `excluded_numbers`; it names the entry as written. A
/// configuration value: [`crate::config`] reports it with the key and line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum PatternError {
    #[error("{0:?}: only one `*`, at the end, is allowed")]
    StarInside(String),
    #[error("{0:?}: a prefix needs at least one digit before `*`")]
    EmptyPrefix(String),
    #[error("{0:?} is not a number or a number prefix ending in `*`")]
    NotANumber(String),
}

/// An entry of `excluded_numbers`: an exact number or a prefix ending in `*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum NumberPattern {
    Exact(Number),
    Prefix(String),
}

impl NumberPattern {
    /// Reads a pattern; `Err` says what is wrong with it.
    pub(crate) fn parse(plan: &NumberPlan, s: &str) -> Result<NumberPattern, PatternError> {
        let t = s.trim();
        if let Some(prefix) = t.strip_suffix('*') {
            if prefix.contains('*') {
                return Err(PatternError::StarInside(s.to_string()));
            }
            let cleaned = dial_chars(prefix);
            let key = if let Some(rest) = cleaned.strip_prefix('+') {
                format!("+{rest}")
            } else if is_digits(&cleaned) {
                // a prefix is read like a number, but never as an extension unless short
                let ip = plan.international_prefix.as_str();
                let np = plan.national_prefix.as_str();
                if !ip.is_empty() && cleaned.starts_with(ip) {
                    format!("+{}", &cleaned[ip.len()..])
                } else if !np.is_empty() && cleaned.starts_with(np) {
                    format!("+{}{}", plan.country_code, &cleaned[np.len()..])
                } else {
                    match plan.normalise_digits(&cleaned) {
                        Number::E164(s) | Number::Extension(s) | Number::Other(s) => s.into(),
                    }
                }
            } else if cleaned.is_empty() {
                return Err(PatternError::EmptyPrefix(s.to_string()));
            } else {
                return Err(PatternError::NotANumber(s.to_string()));
            };
            return Ok(NumberPattern::Prefix(key));
        }
        match plan.normalise(t) {
            Some(n @ (Number::E164(_) | Number::Extension(_))) => Ok(NumberPattern::Exact(n)),
            _ => Err(PatternError::NotANumber(s.to_string())),
        }
    }

    pub(crate) fn matches(&self, n: &Number) -> bool {
        match self {
            NumberPattern::Exact(x) => x == n,
            NumberPattern::Prefix(p) => match n {
                Number::E164(s) | Number::Extension(s) => s.starts_with(p.as_str()),
                Number::Other(_) => false,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn berlin() -> NumberPlan {
        NumberPlan {
            area_code: "30".into(),
            pbx_number: "1234".into(),
            ..NumberPlan::default()
        }
    }

    fn e(s: &str) -> Option<Number> {
        Some(Number::E164(s.into()))
    }

    #[test]
    fn normalises_the_forms_of_german_and_international_exports() {
        let p = berlin();
        let cases: &[(&str, Option<Number>)] = &[
            ("030 1234567", e("+49301234567")),
            ("+49 30 1234567", e("+49301234567")),
            ("004930 1234567", e("+49301234567")),
            ("+49 (30) 123-4567", e("+49301234567")),
            ("+49 (0)30 1234567", e("+49301234567")),
            ("0049 (0)30/1234567", e("+49301234567")),
            ("030/123 45 67", e("+49301234567")),
            ("1234567", e("+49301234567")), // local, dialled without area code
            ("201", e("+49301234201")),     // extension
            ("+49 30 1234 201", e("+49301234201")),
            ("030 1234-201", e("+49301234201")),
            ("12345", e("+4930123412345")), // 5 digits: still an extension
            ("123456", e("+4930123456")),   // 6 digits: local number
            ("+1 (212) 555-0100", e("+12125550100")),
            ("0044 20 7946 0000", e("+442079460000")),
            ("0171 2345678", e("+491712345678")),
            ("tel:+49301234567", e("+49301234567")),
            ("sip:201@pbx.example.com", e("+49301234201")),
            ("", None),
            ("  ", None),
            ("Anonymous", None),
            ("UNKNOWN", None),
            ("restricted", None),
            ("private", None),
            ("Test", Some(Number::Other("test".into()))),
        ];
        for (raw, want) in cases {
            assert_eq!(&p.normalise(raw), want, "{raw:?}");
        }
    }

    #[test]
    fn extension_without_pbx_number_stays_bare() {
        let p = NumberPlan::default();
        assert_eq!(p.normalise("201"), Some(Number::Extension("201".into())));
        assert_eq!(p.normalise(" 201 "), Some(Number::Extension("201".into())));
    }

    #[test]
    fn internal_max_digits_is_the_boundary() {
        let p = NumberPlan {
            internal_max_digits: 3,
            ..berlin()
        };
        assert_eq!(p.normalise("201"), e("+49301234201"));
        assert_eq!(p.normalise("2010"), e("+49302010"));
    }

    #[test]
    fn outside_line_prefix_is_removed_before_a_prefix() {
        let p = NumberPlan {
            outside_line_prefix: "0".into(),
            ..berlin()
        };
        assert_eq!(p.normalise("0030 1234567"), e("+49301234567"));
        assert_eq!(p.normalise("00049 30 1234567"), e("+49301234567"));
        assert_eq!(p.normalise("030 1234567"), e("+49301234567"));
        assert_eq!(p.normalise("201"), e("+49301234201"));
        let p9 = NumberPlan {
            outside_line_prefix: "9".into(),
            ..berlin()
        };
        assert_eq!(p9.normalise("9030 1234567"), e("+49301234567"));
        assert_eq!(p9.normalise("90049301234567"), e("+49301234567"));
    }

    #[test]
    fn patterns() {
        let p = berlin();
        let pat = |s: &str| NumberPattern::parse(&p, s).unwrap();
        let num = |s: &str| p.normalise(s).unwrap();
        assert!(pat("030 1234567").matches(&num("+49301234567")));
        assert!(!pat("030 1234567").matches(&num("+49301234568")));
        assert!(pat("0800*").matches(&num("0800 1234567")));
        assert!(pat("+49800*").matches(&num("0800 1234567")));
        assert!(!pat("0800*").matches(&num("0900 1234567")));
        assert!(pat("030555*").matches(&num("+4930555123")));
        assert!(pat("0030555*").matches(&num("+30555123")));
        assert!(pat("201").matches(&num("201")));
        for bad in ["*", "abc", "12*3*", "foo*"] {
            assert!(NumberPattern::parse(&p, bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn dial_strings_are_clean() {
        let p = berlin();
        assert_eq!(
            p.dial_string("030 1234567").as_deref(),
            Some("+49301234567")
        );
        assert_eq!(p.dial_string("\"><script>1"), None);
        assert_eq!(p.dial_string("javascript:alert(1)"), None);
        assert_eq!(p.dial_string("201").as_deref(), Some("+49301234201"));
        assert_eq!(p.dial_string("anonymous"), None);
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Normalising never panics, and a normalised number normalises to itself.
        #[test]
        fn normalise_is_idempotent(raw in "[ +()/0-9a-z.-]{0,24}", ext in 0usize..8) {
            let plan = NumberPlan { area_code: "30".into(), pbx_number: "1234".into(), internal_max_digits: ext, ..NumberPlan::default() };
            if let Some(n @ Number::E164(_)) = plan.normalise(&raw) {
                prop_assert_eq!(plan.normalise(n.as_str()), Some(n.clone()));
                // and its dial string is + and digits only
                let d = plan.dial_string(n.as_str()).unwrap();
                prop_assert!(d.starts_with('+') && d[1..].bytes().all(|b| b.is_ascii_digit()));
            }
        }

        /// The one-pass cleaning does what the text operations it replaced did: trim, strip a
        /// tel:/sip:/sips: scheme and what follows @ or ;, drop "(0)" in the international
        /// form, drop the separators.
        #[test]
        fn dial_chars_is_the_text_operations(parts in prop::collection::vec(prop::sample::select(vec![
            "(0)", "+", "00", "0", "49", "30", " ", "-", "/", ".", "(", ")", "@", ";", "tel:", "SIP:",
            "sips:", "\u{a0}", "\t", "a", "ü", "漢",
        ]), 0..12)) {
            let raw = parts.concat();
            let t = raw.trim();
            let lower = |n: usize| t.get(..n).map(str::to_ascii_lowercase);
            let rest = match lower(4).as_deref() {
                Some("tel:") | Some("sip:") => &t[4..],
                _ if lower(5).as_deref() == Some("sips:") => &t[5..],
                _ => t,
            };
            let mut want = rest.split(['@', ';']).next().unwrap_or(rest).to_string();
            if want.starts_with('+') || want.starts_with("00") {
                want = want.replace("(0)", "");
            }
            let want: String = want
                .chars()
                .filter(|c| !matches!(c, ' ' | '-' | '/' | '.' | '(' | ')' | '\u{a0}' | '\t'))
                .collect();
            prop_assert_eq!(dial_chars(&raw), want);
        }

        #[test]
        fn timestamps_never_panic(s in "\\PC{0,40}") {
            let _ = crate::ingest::time::parse_timestamp(&s, &jiff::tz::TimeZone::UTC, None);
        }
    }
}
