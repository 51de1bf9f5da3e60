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
use crate::ingest::Text;
use crate::render::language::Language;
use crate::render::sanitize::{clean, clean_name, short, xml_char};

/// Escapes text for an element or an attribute value.
#[cfg(test)]
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    escape_into(&mut out, s);
    out
}

/// [`escape`], appended to `out`.
fn escape_into(out: &mut String, s: &str) {
    for c in s.chars().filter_map(xml_char) {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
}

/// A small XML writer: elements with escaped attributes and text.
#[derive(Default)]
pub(crate) struct Xml {
    out: String,
}

impl Xml {
    pub(crate) fn new() -> Xml {
        Xml {
            out: String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"),
        }
    }

    fn attrs(&mut self, attrs: &[(&str, &str)]) {
        for (k, v) in attrs {
            self.out.push(' ');
            self.out.push_str(k);
            self.out.push_str("=\"");
            escape_into(&mut self.out, v);
            self.out.push('"');
        }
    }

    pub(crate) fn open(&mut self, name: &str, attrs: &[(&str, &str)]) {
        self.out.push('<');
        self.out.push_str(name);
        self.attrs(attrs);
        self.out.push('>');
    }

    pub(crate) fn close(&mut self, name: &str) {
        let _ = write!(self.out, "</{name}>");
    }

    pub(crate) fn empty(&mut self, name: &str, attrs: &[(&str, &str)]) {
        self.out.push('<');
        self.out.push_str(name);
        self.attrs(attrs);
        self.out.push_str("/>");
    }

    pub(crate) fn text(&mut self, name: &str, attrs: &[(&str, &str)], text: &str) {
        self.open(name, attrs);
        escape_into(&mut self.out, text);
        self.close(name);
    }

    pub(crate) fn finish(self) -> String {
        self.out
    }
}

/// What the document is built from.
pub(crate) struct Input<'a> {
    pub(crate) per_call: bool,
    pub(crate) recipient: &'a User,
    pub(crate) email: &'a str,
    pub(crate) language: &'a Language,
    pub(crate) time_zone: &'a TimeZone,
    pub(crate) time_zone_name: &'a str,
    /// The system's zone (`time_zone` of the config): times carry their zone's name when the
    /// recipient's zone differs from it.
    pub(crate) system_time_zone: &'a TimeZone,
    pub(crate) link_prefix: &'a str,
    pub(crate) now: Timestamp,
    pub(crate) calls: &'a [&'a Verdict],
    pub(crate) lookup: &'a Lookup,
    /// File name of the vCard attached for each call (None: none attached).
    pub(crate) vcards: &'a [Option<String>],
    /// The caller is the mail's sender (`caller_as_sender = true`).
    pub(crate) caller_is_sender: bool,
    /// Replies go to the caller (`caller_as_sender`, either way).
    pub(crate) replies_to_caller: bool,
}

fn number_attrs(plan: &NumberPlan, raw: &str, prefix: &str) -> Vec<(&'static str, String)> {
    let dial = plan.dial_string(raw);
    let e164 = match plan.normalise(raw) {
        Some(crate::decide::numbers::Number::E164(s)) => s.into(),
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

fn flag(b: bool) -> &'static str {
    if b {
        "true"
    } else {
        "false"
    }
}

/// Builds the document for one mail.
pub(crate) fn build(input: &Input<'_>) -> String {
    let mut x = Xml::new();
    notification(&mut x, input);
    recipient(&mut x, input);
    x.text("link-prefix", &[], input.link_prefix);
    strings(&mut x, input.language);
    let count = input.calls.len().to_string();
    x.open("calls", &[("count", &count)]);
    let day = Days::of(input);
    for (i, v) in input.calls.iter().enumerate() {
        call(&mut x, input, &day, i, v);
    }
    x.close("calls");
    x.close("notification");
    x.finish()
}

/// The root element `<notification>`, opened: mode, clock, system zone, who sends.
fn notification(x: &mut Xml, input: &Input<'_>) {
    let generated = crate::ingest::time::rfc3339(input.now, input.time_zone);
    let party = |caller: bool| if caller { "caller" } else { "system" };
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
            ("sender", party(input.caller_is_sender)),
            ("replies-to", party(input.replies_to_caller)),
        ],
    );
}

/// `<recipient>`: who the mail is for, their language and zone.
fn recipient(x: &mut Xml, input: &Input<'_>) {
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
}

/// `<strings>`: every string of the language, in file order.
fn strings(x: &mut Xml, language: &Language) {
    x.open("strings", &[("language", &language.code)]);
    for (k, v) in &language.strings {
        x.text("string", &[("key", k)], v);
    }
    x.close("strings");
}

/// What the arrivals are measured against: today in the recipient's zone, and whether that
/// zone is not the system's (then times carry the zone's name).
struct Days {
    today: jiff::civil::Date,
    other_zone: bool,
}

impl Days {
    fn of(input: &Input<'_>) -> Days {
        let tz = input.time_zone;
        Days {
            today: input.now.to_zoned_datetime(tz.clone()).date(),
            other_zone: tz != input.system_time_zone
                && tz.iana_name() != input.system_time_zone.iana_name(),
        }
    }
}

/// The recipient's name for a user, else the user name itself.
fn name_of(input: &Input<'_>, user: &str) -> String {
    input
        .lookup
        .user(user)
        .map_or(user.to_string(), |u| clean_name(&u.name))
}

/// The line the call was redirected from and its owner's name; None when there is none, or
/// when it is one of the recipient's own lines (that tells them nothing).
fn redirect<'a>(input: &Input<'_>, v: &'a Verdict) -> Option<(&'a Text, String)> {
    let from = v.facts.redirected_from.as_ref()?;
    let owner = input
        .lookup
        .plan
        .normalise(from)
        .and_then(|n| input.lookup.user_by_line(&n));
    match owner {
        Some(u) if u.user == input.recipient.user => None,
        _ => Some((from, owner.map(|u| clean_name(&u.name)).unwrap_or_default())),
    }
}

/// One `<call>` of the mail: arrival, caller, ring time, the lines and users rung, who
/// answered, the redirection and the attached card.
fn call(x: &mut Xml, input: &Input<'_>, day: &Days, i: usize, v: &Verdict) {
    let f = &v.facts;
    let index = (i + 1).to_string();
    let redirect = redirect(input, v);
    x.open(
        "call",
        &[
            ("chain", &f.id),
            ("index", &index),
            ("answered", flag(f.answered)),
            ("redirected", flag(redirect.is_some())),
            ("voicemail", flag(f.voicemail)),
        ],
    );
    arrival(x, input, day, f.start);
    caller(x, input, v);
    let secs = f.ring_seconds.max(0);
    x.empty(
        "ring",
        &[
            ("seconds", &secs.to_string()),
            ("clock", &format!("{}:{:02}", secs / 60, secs % 60)),
        ],
    );
    lines(x, input, v);
    rang(x, input, v);
    // answered on a line without a user: the line stands in for the user
    if let Some(a) = f.answered_by.as_ref().or(f.answered_line.as_ref()) {
        x.empty("answered-by", &[("user", a), ("name", &name_of(input, a))]);
    }
    if let Some((from, owner)) = &redirect {
        x.empty("redirected-from", &[("number", from), ("name", owner)]);
    }
    if let Some(Some(file)) = input.vcards.get(i) {
        x.empty("vcard", &[("file", file)]);
    }
    x.close("call");
}

/// `<arrival>`: when the call came, in the recipient's zone and language.
fn arrival(x: &mut Xml, input: &Input<'_>, day: &Days, start: Timestamp) {
    let tz = input.time_zone;
    let z = start.to_zoned_datetime(tz.clone());
    let zone = tz.to_offset_info(start).abbreviation().to_string();
    let dt = z.datetime();
    let date = z.date();
    let relative = if date == day.today {
        "today"
    } else if date.tomorrow().ok() == Some(day.today) {
        "yesterday"
    } else {
        "earlier"
    };
    let lang = input.language;
    x.empty(
        "arrival",
        &[
            ("iso", &crate::ingest::time::rfc3339(start, tz)),
            ("date", &lang.format_key("date", dt)),
            ("time", &lang.format_key("time", dt)),
            ("weekday", &lang.format("%A", dt)),
            ("date-long", &lang.format_key("date-long", dt)),
            ("relative-day", relative),
            ("zone", &zone),
            ("show-zone", flag(day.other_zone)),
        ],
    );
}

/// `<caller>`: hidden or not, known or not, the key the digest groups by, the number, name,
/// company, address and the contact's other numbers.
fn caller(x: &mut Xml, input: &Input<'_>, v: &Verdict) {
    let c = &v.caller;
    let hidden = c.number.is_none();
    let known = c.name.is_some() || c.company.is_some();
    // callers are told apart by number (hidden ones are one caller): the digest groups
    // the calls of one caller under this key
    let key = match &c.number {
        None => "hidden".to_string(),
        Some(crate::decide::numbers::Number::E164(e)) => e.to_string(),
        Some(_) => clean(&c.raw),
    };
    x.open(
        "caller",
        &[
            ("hidden", flag(hidden)),
            ("known", flag(known)),
            ("key", &key),
        ],
    );
    if !hidden {
        let plan = &input.lookup.plan;
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
            for Phone { number: p, kind } in phones {
                if plan.normalise(p) == c.number {
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
}

/// `<lines>`: the lines that rang, with their owners (which of the recipient's lines was
/// called).
fn lines(x: &mut Xml, input: &Input<'_>, v: &Verdict) {
    x.open("lines", &[]);
    for (owner, line) in &v.facts.lines {
        let own = owner.as_deref().is_some_and(|o| input.recipient.user.is(o));
        let owner_name = owner
            .as_deref()
            .map(|o| name_of(input, o))
            .unwrap_or_default();
        x.empty(
            "line",
            &[
                ("number", &clean(line)),
                ("user", owner.as_deref().unwrap_or("")),
                ("name", &owner_name),
                ("recipient", flag(own)),
            ],
        );
    }
    x.close("lines");
}

/// `<rang>`: the users rung, in chain order, and the answering user (when a user) last.
fn rang(x: &mut Xml, input: &Input<'_>, v: &Verdict) {
    let f = &v.facts;
    x.open("rang", &[]);
    let mut rang: Vec<&Text> = f.participants.iter().collect();
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
                ("name", &name_of(input, u)),
                ("answered", flag(answered)),
                ("recipient", flag(input.recipient.user.is(u))),
            ],
        );
    }
    x.close("rang");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_and_the_xml_writer() {
        assert_eq!(escape("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&apos;");
        assert_eq!(escape("\u{1b}[1m\u{0}x\u{202E}"), "[1mx");
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
