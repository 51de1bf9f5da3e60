//! The XML document a template receives (see `xsl/README.md`). Every value is escaped, and
//! characters XML 1.0 cannot carry (most control characters) are dropped, so nothing from the
//! journal can change the document's structure.

use std::fmt::Write as _;

use jiff::tz::TimeZone;
use jiff::Timestamp;

use crate::decide::lookup::Lookup;
use crate::decide::numbers::NumberPlan;
use crate::decide::recipients::Verdict;
use crate::directory::User;
use crate::directory::{Contact, Phone};
use crate::render::language::Language;

/// Keeps only characters that XML 1.0 allows, turns line breaks and tabs into spaces (no
/// value of ours spans lines) and trims.
pub fn clean(s: &str) -> String {
    sanitize(s).trim().to_string()
}

/// [`clean`] without trimming (for language strings, whose spaces matter).
pub fn sanitize(s: &str) -> String {
    s.chars()
        .map(|c| if matches!(c, '\n' | '\r' | '\t') { ' ' } else { c })
        .filter(|&c| {
            matches!(c, '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..='\u{10FFFF}')
                && !matches!(c, '\u{7F}'..='\u{9F}')
                // bidi overrides and isolates could make a name display as something else
                && !matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
        })
        .collect()
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

/// A name (of a caller, a company, a user) as it may be shown or put into a header: [`clean`],
/// line and paragraph separators made spaces, invisible characters removed (SPEC §7), runs of
/// spaces collapsed.
pub fn clean_name(s: &str) -> String {
    let s: String = sanitize(s)
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
pub fn short(s: &str) -> String {
    let c = clean_name(s);
    if c.chars().count() > 200 {
        let mut t: String = c.chars().take(199).collect();
        t.push('…');
        t
    } else {
        c
    }
}

/// Escapes text for an element or an attribute value.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in sanitize(s).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// A small XML writer: elements with escaped attributes and text.
#[derive(Default)]
pub struct Xml {
    out: String,
}

impl Xml {
    pub fn new() -> Xml {
        Xml {
            out: String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"),
        }
    }

    fn attrs(&mut self, attrs: &[(&str, &str)]) {
        for (k, v) in attrs {
            let _ = write!(self.out, " {k}=\"{}\"", escape(v));
        }
    }

    pub fn open(&mut self, name: &str, attrs: &[(&str, &str)]) {
        self.out.push('<');
        self.out.push_str(name);
        self.attrs(attrs);
        self.out.push('>');
    }

    pub fn close(&mut self, name: &str) {
        let _ = write!(self.out, "</{name}>");
    }

    pub fn empty(&mut self, name: &str, attrs: &[(&str, &str)]) {
        self.out.push('<');
        self.out.push_str(name);
        self.attrs(attrs);
        self.out.push_str("/>");
    }

    pub fn text(&mut self, name: &str, attrs: &[(&str, &str)], text: &str) {
        self.open(name, attrs);
        self.out.push_str(&escape(text));
        self.close(name);
    }

    pub fn finish(self) -> String {
        self.out
    }
}

/// What the document is built from.
pub struct Input<'a> {
    pub per_call: bool,
    pub recipient: &'a User,
    pub email: &'a str,
    pub language: &'a Language,
    pub time_zone: &'a TimeZone,
    pub time_zone_name: &'a str,
    /// The system's zone (`time_zone` of the config): times carry their zone's name when the
    /// recipient's zone differs from it.
    pub system_time_zone: &'a TimeZone,
    pub link_prefix: &'a str,
    pub now: Timestamp,
    pub calls: &'a [&'a Verdict],
    pub lookup: &'a Lookup,
    /// File name of the vCard attached for each call (None: none attached).
    pub vcards: &'a [Option<String>],
    /// The caller is the mail's sender (`caller_as_sender = true`).
    pub caller_is_sender: bool,
    /// Replies go to the caller (`caller_as_sender`, either way).
    pub replies_to_caller: bool,
}

fn number_attrs(plan: &NumberPlan, raw: &str, prefix: &str) -> Vec<(&'static str, String)> {
    let dial = plan.dial_string(raw);
    let e164 = match plan.normalise(raw) {
        Some(crate::decide::numbers::Number::E164(s)) => s,
        _ => String::new(),
    };
    let href = match (&dial, prefix.is_empty()) {
        (Some(d), false) => format!("{prefix}{d}"),
        _ => String::new(),
    };
    vec![
        ("dialled", raw.to_string()),
        ("e164", e164),
        ("display", clean(raw)),
        ("href", href),
    ]
}

fn as_refs<'a>(v: &'a [(&'static str, String)]) -> Vec<(&'a str, &'a str)> {
    v.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

/// Builds the document for one mail.
pub fn build(input: &Input<'_>) -> String {
    let mut x = Xml::new();
    let tz = input.time_zone;
    let generated = crate::ingest::time::rfc3339(input.now, tz);
    x.open(
        "notification",
        &[
            ("mode", if input.per_call { "per-call" } else { "digest" }),
            ("generated", &generated),
            ("product", "unanswered"),
            (
                "system-time-zone",
                input.system_time_zone.iana_name().unwrap_or(""),
            ),
            ("version", env!("CARGO_PKG_VERSION")),
            (
                "sender",
                if input.caller_is_sender {
                    "caller"
                } else {
                    "system"
                },
            ),
            (
                "replies-to",
                if input.replies_to_caller {
                    "caller"
                } else {
                    "system"
                },
            ),
        ],
    );
    let r = input.recipient;
    x.empty(
        "recipient",
        &[
            ("user", r.user.as_str()),
            ("name", &clean_name(&r.name)),
            ("email", input.email),
            ("language", &input.language.code),
            ("time-zone", input.time_zone_name),
        ],
    );
    let other_zone =
        tz != input.system_time_zone && tz.iana_name() != input.system_time_zone.iana_name();
    x.text("link-prefix", &[], input.link_prefix);
    x.open("strings", &[("language", &input.language.code)]);
    for (k, v) in &input.language.strings {
        x.text("string", &[("key", k)], v);
    }
    x.close("strings");
    let count = input.calls.len().to_string();
    x.open("calls", &[("count", &count)]);
    let today = input.now.to_zoned_datetime(tz.clone()).date();
    let plan = &input.lookup.plan;
    let name_of = |user: &str| {
        input
            .lookup
            .user(user)
            .map_or(user.to_string(), |u| clean_name(&u.name))
    };
    for (i, v) in input.calls.iter().enumerate() {
        let f = &v.facts;
        let index = (i + 1).to_string();
        // a redirection from one of the recipient's own lines tells them nothing
        let redirect = f.redirected_from.as_ref().and_then(|from| {
            let owner = plan
                .normalise(from)
                .and_then(|n| input.lookup.user_by_line(&n));
            match owner {
                Some(u) if u.user == r.user => None,
                _ => Some((from, owner.map(|u| clean_name(&u.name)).unwrap_or_default())),
            }
        });
        x.open(
            "call",
            &[
                ("chain", &f.id),
                ("index", &index),
                ("answered", if f.answered { "true" } else { "false" }),
                (
                    "redirected",
                    if redirect.is_some() { "true" } else { "false" },
                ),
                ("voicemail", if f.voicemail { "true" } else { "false" }),
            ],
        );
        let z = f.start.to_zoned_datetime(tz.clone());
        let zone = tz.to_offset_info(f.start).abbreviation().to_string();
        let dt = z.datetime();
        let day = z.date();
        let relative = if day == today {
            "today"
        } else if day.tomorrow().ok() == Some(today) {
            "yesterday"
        } else {
            "earlier"
        };
        x.empty(
            "arrival",
            &[
                ("iso", &crate::ingest::time::rfc3339(f.start, tz)),
                ("date", &input.language.format_key("date", dt)),
                ("time", &input.language.format_key("time", dt)),
                ("weekday", &input.language.format("%A", dt)),
                ("date-long", &input.language.format_key("date-long", dt)),
                ("relative-day", relative),
                ("zone", &zone),
                ("show-zone", if other_zone { "true" } else { "false" }),
            ],
        );
        let c = &v.caller;
        let hidden = c.number.is_none();
        let known = c.name.is_some() || c.company.is_some();
        // callers are told apart by number (hidden ones are one caller): the digest groups
        // the calls of one caller under this key
        let key = match &c.number {
            None => "hidden".to_string(),
            Some(crate::decide::numbers::Number::E164(e)) => e.clone(),
            Some(_) => clean(&c.raw),
        };
        x.open(
            "caller",
            &[
                ("hidden", if hidden { "true" } else { "false" }),
                ("known", if known { "true" } else { "false" }),
                ("key", &key),
            ],
        );
        if !hidden {
            let attrs = number_attrs(plan, &c.raw, input.link_prefix);
            x.empty("number", &as_refs(&attrs));
            if let Some(n) = &c.name {
                x.text("name", &[], &short(n));
            }
            if let Some(co) = &c.company {
                if c.name.as_deref() != Some(co.as_str()) {
                    x.text("company", &[], &short(co));
                }
            }
            if let Some(e) = &c.email {
                x.text("email", &[], e);
            }
            if let Some(Contact { phones, .. }) = &c.contact {
                let own = c.number.clone();
                for Phone { number: p, kind } in phones {
                    if plan.normalise(p) == own {
                        continue;
                    }
                    let mut attrs = number_attrs(plan, p, input.link_prefix);
                    attrs.retain(|(k, _)| *k != "dialled");
                    attrs.push(("kind", kind.word().to_string()));
                    x.empty("other-number", &as_refs(&attrs));
                }
            }
        }
        x.close("caller");
        let secs = f.ring_seconds.max(0);
        x.empty(
            "ring",
            &[
                ("seconds", &secs.to_string()),
                ("clock", &format!("{}:{:02}", secs / 60, secs % 60)),
            ],
        );
        // the lines that rang: the recipient's own first (which of their lines was called)
        x.open("lines", &[]);
        for (owner, line) in &f.lines {
            let own = owner.as_deref().is_some_and(|o| r.user.is(o));
            let owner_name = owner.as_deref().map(name_of).unwrap_or_default();
            x.empty(
                "line",
                &[
                    ("number", &clean(line)),
                    ("user", owner.as_deref().unwrap_or("")),
                    ("name", &owner_name),
                    ("recipient", if own { "true" } else { "false" }),
                ],
            );
        }
        x.close("lines");
        x.open("rang", &[]);
        let mut rang: Vec<&String> = f.participants.iter().collect();
        if let Some(a) = &f.answered_by {
            if !rang.contains(&a) && input.lookup.user(a).is_some() {
                rang.push(a);
            }
        }
        for u in rang {
            let answered = !f.not_answered.contains(u);
            x.empty(
                "user",
                &[
                    ("user", u),
                    ("name", &name_of(u)),
                    ("answered", if answered { "true" } else { "false" }),
                    ("recipient", if r.user.is(u) { "true" } else { "false" }),
                ],
            );
        }
        x.close("rang");
        // answered on a line without a user: the line stands in for the user
        if let Some(a) = f.answered_by.as_ref().or(f.answered_line.as_ref()) {
            x.empty("answered-by", &[("user", a), ("name", &name_of(a))]);
        }
        if let Some((from, owner)) = &redirect {
            x.empty("redirected-from", &[("number", from), ("name", owner)]);
        }
        if let Some(Some(file)) = input.vcards.get(i) {
            x.empty("vcard", &[("file", file)]);
        }
        x.close("call");
    }
    x.close("calls");
    x.close("notification");
    x.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_and_cleaning() {
        assert_eq!(escape("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&apos;");
        assert_eq!(
            clean("Evil\r\nBcc: x\u{0}\u{1}\u{7f}\u{85}"),
            "Evil  Bcc: x"
        );
        assert_eq!(clean(" Müller 😀 "), "Müller 😀");
        assert_eq!(clean("abc\u{202E}fdp.exe"), "abcfdp.exe");
        for bad in [
            '\u{200B}', '\u{200D}', '\u{FEFF}', '\u{2060}', '\u{200F}', '\u{061C}', '\u{202E}',
            '\u{2066}', '\u{AD}',
        ] {
            assert_eq!(clean_name(&format!("Ad{bad}min")), "Admin", "{:?}", bad);
        }
        assert_eq!(clean_name("Evil\u{2028}Bcc:\u{2029} x"), "Evil Bcc: x");
        assert_eq!(short("  Max \u{200B} Mustermann "), "Max Mustermann");
        assert_eq!(short(&"x".repeat(300)).chars().count(), 200);
        let mut x = Xml::new();
        x.text("name", &[("k", "\"><script>")], "</name><injected/>");
        let s = x.finish();
        assert!(
            s.ends_with(
                "<name k=\"&quot;&gt;&lt;script&gt;\">&lt;/name&gt;&lt;injected/&gt;</name>"
            ),
            "{s}"
        );
    }
}
