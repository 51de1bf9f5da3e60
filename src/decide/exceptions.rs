//! Exceptions: the chains that notify nobody (SPEC §2.6, §3.1–3.9).
//!
//! Pure. [`screen`] applies what the chain alone decides (`incomplete`, `too_old`,
//! §3.1–3.7); whether the call was returned (§3.8) needs the rest of the run's input, which
//! [`Callbacks`] gathers, and is applied with the recipients ([`super::recipients::decide`]).

use jiff::Timestamp;
use serde::Serialize;

use crate::config::Rules;
use crate::decide::chains::Facts;
use crate::decide::lookup::Lookup;
use crate::decide::numbers::Number;

/// Why a chain notifies nobody (SPEC §3, in the order `explain` names them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Suppression {
    Incomplete,
    TooOld,
    Internal,
    HiddenNumber,
    NoContact,
    ShortRing,
    ExcludedNumber,
    Answered,
    Voicemail,
    CalledBack,
    PolicyNone,
    NoRecipient,
}

impl Suppression {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Suppression::Incomplete => "incomplete",
            Suppression::TooOld => "too_old",
            Suppression::Internal => "internal",
            Suppression::HiddenNumber => "hidden_number",
            Suppression::NoContact => "no_contact",
            Suppression::ShortRing => "short_ring",
            Suppression::ExcludedNumber => "excluded_number",
            Suppression::Answered => "answered",
            Suppression::Voicemail => "voicemail",
            Suppression::CalledBack => "called_back",
            Suppression::PolicyNone => "policy_none",
            Suppression::NoRecipient => "no_recipient",
        }
    }
}

/// The caller as the mail shows it.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Caller {
    pub(crate) raw: String,
    pub(crate) number: Option<Number>,
    pub(crate) name: Option<String>,
    pub(crate) company: Option<String>,
    pub(crate) email: Option<String>,
    /// The contact from the contacts files, when one matched.
    pub(crate) contact: Option<crate::directory::Contact>,
}

/// When the caller and the company last spoke (SPEC §3.8), per caller number: the latest
/// arrival of an answered incoming call, and the latest start of an outgoing entry to that
/// number with a connect time. Only the latest time matters: a chain was returned when one of
/// them lies after its arrival.
#[derive(Debug, Clone, Default)]
pub(crate) struct Callbacks {
    latest: crate::decide::chains::Map<Number, Timestamp>,
}

impl Callbacks {
    /// The caller and the company spoke at `at` (a hidden number never matches: pass None).
    pub(crate) fn record(&mut self, number: Option<&Number>, at: Timestamp) {
        if let Some(n) = number {
            let t = self.latest.entry(n.clone()).or_insert(at);
            *t = (*t).max(at);
        }
    }

    /// The latest time they spoke, when that is strictly after `arrival`.
    pub(crate) fn after(&self, number: &Number, arrival: Timestamp) -> Option<Timestamp> {
        self.latest.get(number).copied().filter(|t| *t > arrival)
    }
}

/// A chain after the exceptions that need nothing but the chain itself.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Screened {
    pub(crate) facts: Box<Facts>,
    pub(crate) caller: Caller,
    /// `incomplete`, `too_old` or one of §3.1–3.7; None: §3.8 and §4 decide.
    pub(crate) suppressed_by: Option<Suppression>,
}

/// The number whose callbacks decide a chain (§3.8), from its suppression after [`screen`] and
/// its caller's number: Some when the rule is on, nothing earlier suppressed the chain, and the
/// caller's number is known.
pub(crate) fn awaits_callback<'n>(
    suppressed_by: Option<Suppression>,
    number: Option<&'n Number>,
    rules: &Rules,
) -> Option<&'n Number> {
    callback_number(suppressed_by, None, number, rules)
}

/// The number whose callbacks the next run must know of: a call still ringing, kept in the
/// state, that §3.8 may decide later.
pub(crate) fn keeps_callbacks<'n>(
    suppressed_by: Option<Suppression>,
    number: Option<&'n Number>,
    rules: &Rules,
) -> Option<&'n Number> {
    callback_number(suppressed_by, Some(Suppression::Incomplete), number, rules)
}

/// `number` when the rule of §3.8 is on and the chain's suppression is `when`.
fn callback_number<'n>(
    suppressed_by: Option<Suppression>,
    when: Option<Suppression>,
    number: Option<&'n Number>,
    rules: &Rules,
) -> Option<&'n Number> {
    number.filter(|_| rules.exceptions.called_back && suppressed_by == when)
}

/// The call arrived more than `max_age_hours` before `now` (§3.9; 0 = no limit).
fn too_old(start: Timestamp, max_age_hours: u64, now: Timestamp) -> bool {
    max_age_hours > 0
        && now.duration_since(start)
            > jiff::SignedDuration::from_hours(max_age_hours.min(i64::MAX as u64 / 3600) as i64)
}

/// The first exception that applies of `incomplete` (§2.6), `too_old` (§3.9) and §3.1–3.7.
pub(crate) fn screen(
    facts: Box<Facts>,
    rules: &Rules,
    lookup: &Lookup,
    now: Timestamp,
) -> Screened {
    let x = &rules.exceptions;
    let caller = caller_of(&facts, lookup);
    let number = caller.number.as_ref();
    let hidden = number.is_none();

    let internal = facts.internal_flag || number.is_some_and(|n| lookup.is_user_line(n));
    let has_contact = caller.name.is_some() || caller.company.is_some();
    let short =
        x.short_ring && x.min_ring_seconds > 0 && facts.ring_seconds < x.min_ring_seconds as i64;
    let excluded = number.is_some_and(|n| x.excluded_numbers.iter().any(|p| p.matches(n)));
    let answered_stop = facts.answered && !rules.even_if_answered_elsewhere;

    let suppressed_by = if !facts.complete {
        Some(Suppression::Incomplete)
    } else if too_old(facts.start, rules.max_age_hours, now) {
        Some(Suppression::TooOld)
    } else if x.internal && internal {
        Some(Suppression::Internal)
    } else if x.hidden_number && hidden {
        Some(Suppression::HiddenNumber)
    } else if x.no_contact && !has_contact {
        Some(Suppression::NoContact)
    } else if short {
        Some(Suppression::ShortRing)
    } else if excluded {
        Some(Suppression::ExcludedNumber)
    } else if answered_stop {
        Some(Suppression::Answered)
    } else if x.voicemail && facts.voicemail {
        Some(Suppression::Voicemail)
    } else {
        None
    };
    Screened {
        facts,
        caller,
        suppressed_by,
    }
}

/// The caller as [`screen`] finds it: from the facts and the directory alone.
pub(crate) fn caller_of(facts: &Facts, lookup: &Lookup) -> Caller {
    let number = facts.caller.clone();
    let r = lookup.caller_record(
        number.as_ref(),
        facts.journal_contact_name.as_deref(),
        facts.journal_contact_company.as_deref(),
    );
    Caller {
        raw: String::from(facts.caller_raw.as_str()),
        number,
        name: r.name,
        company: r.company,
        email: r.email,
        contact: r.contact,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Exceptions, RecipientPolicy};
    use crate::decide::numbers::NumberPattern;
    use crate::decide::recipients::History;
    use crate::decide::testkit::*;
    use crate::ingest::Entry;

    #[test]
    fn exceptions_and_policies() {
        type Case = (
            &'static str,
            Vec<Entry>,
            Rules,
            (Option<&'static str>, Vec<(String, &'static str)>),
        );
        let answered = || {
            vec![
                entry("a").tracker("T").line("201"),
                entry("b")
                    .tracker("T")
                    .line("202")
                    .ring("09:00:01", "09:00:20")
                    .connect("09:00:09"),
                entry("c")
                    .tracker("T")
                    .line("203")
                    .ring("09:00:02", "09:00:20"),
            ]
        };
        let cases: Vec<Case> = vec![
            (
                "plain missed call",
                vec![entry("a")],
                rules(),
                notify(&["anna"]),
            ),
            (
                "group call, all",
                group_call(),
                rules(),
                notify(&["anna", "bert", "carl"]),
            ),
            (
                "group call, first",
                group_call(),
                with(|r| r.recipients = RecipientPolicy::First),
                notify(&["anna"]),
            ),
            (
                "group call, last",
                group_call(),
                with(|r| r.recipients = RecipientPolicy::Last),
                notify(&["carl"]),
            ),
            (
                "group call, none",
                group_call(),
                with(|r| r.recipients = RecipientPolicy::None),
                suppressed("policy_none"),
            ),
            (
                "answered elsewhere: nobody",
                answered(),
                rules(),
                suppressed("answered"),
            ),
            (
                "answered elsewhere, even_if on: the others",
                answered(),
                with(|r| r.even_if_answered_elsewhere = true),
                notify(&["anna", "carl"]),
            ),
            (
                "answered, even_if, last",
                answered(),
                with(|r| {
                    r.even_if_answered_elsewhere = true;
                    r.recipients = RecipientPolicy::Last
                }),
                notify(&["carl"]),
            ),
            (
                "answered by the only participant, even_if on",
                vec![entry("a").connect("09:00:05")],
                with(|r| r.even_if_answered_elsewhere = true),
                suppressed("no_recipient"),
            ),
            (
                "internal flag",
                vec![entry("a").internal()],
                rules(),
                suppressed("internal"),
            ),
            (
                "caller is a user's line",
                vec![entry("a").caller("202")],
                rules(),
                suppressed("internal"),
            ),
            (
                "caller is a user's twin",
                vec![entry("a").caller("+49 171 2222222")],
                rules(),
                suppressed("internal"),
            ),
            (
                "internal switched off",
                vec![entry("a").internal()],
                with(|r| r.exceptions.internal = false),
                notify(&["anna"]),
            ),
            (
                "hidden: empty",
                vec![entry("a").caller("")],
                rules(),
                suppressed("hidden_number"),
            ),
            (
                "hidden: Anonymous",
                vec![entry("a").caller("Anonymous")],
                rules(),
                suppressed("hidden_number"),
            ),
            (
                "hidden: RESTRICTED",
                vec![entry("a").caller("RESTRICTED")],
                rules(),
                suppressed("hidden_number"),
            ),
            (
                "hidden: unknown",
                vec![entry("a").caller("unknown")],
                rules(),
                suppressed("hidden_number"),
            ),
            (
                "hidden: private",
                vec![entry("a").caller("private")],
                rules(),
                suppressed("hidden_number"),
            ),
            (
                "hidden switched off",
                vec![entry("a").caller("")],
                with(|r| r.exceptions.hidden_number = false),
                notify(&["anna"]),
            ),
            (
                "no contact, switch on",
                vec![entry("a").caller("0309999999")],
                with(|r| r.exceptions.no_contact = true),
                suppressed("no_contact"),
            ),
            (
                "contact from the journal",
                vec![entry("a").caller("0309999999").contact("Zoe")],
                with(|r| r.exceptions.no_contact = true),
                notify(&["anna"]),
            ),
            (
                "contact from the contacts file",
                vec![entry("a")],
                with(|r| r.exceptions.no_contact = true),
                notify(&["anna"]),
            ),
            (
                "no contact, switch off",
                vec![entry("a").caller("0309999999")],
                rules(),
                notify(&["anna"]),
            ),
            (
                "short ring: 1 s < 2",
                vec![entry("a").ring("09:00:00", "09:00:01")],
                rules(),
                suppressed("short_ring"),
            ),
            (
                "ring exactly min_ring_seconds",
                vec![entry("a").ring("09:00:00", "09:00:02")],
                rules(),
                notify(&["anna"]),
            ),
            (
                "min_ring_seconds 0 switches it off",
                vec![entry("a").ring("09:00:00", "09:00:00")],
                with(|r| r.exceptions.min_ring_seconds = 0),
                notify(&["anna"]),
            ),
            (
                "short_ring off",
                vec![entry("a").ring("09:00:00", "09:00:01")],
                with(|r| r.exceptions.short_ring = false),
                notify(&["anna"]),
            ),
            (
                "excluded exact",
                vec![entry("a")],
                with(|r| {
                    r.exceptions.excluded_numbers =
                        vec![NumberPattern::parse(&r.numbers, "+49 30 5550100").unwrap()]
                }),
                suppressed("excluded_number"),
            ),
            (
                "excluded prefix",
                vec![entry("a")],
                with(|r| {
                    r.exceptions.excluded_numbers =
                        vec![NumberPattern::parse(&r.numbers, "030555*").unwrap()]
                }),
                suppressed("excluded_number"),
            ),
            (
                "not excluded",
                vec![entry("a")],
                with(|r| {
                    r.exceptions.excluded_numbers =
                        vec![NumberPattern::parse(&r.numbers, "030556*").unwrap()]
                }),
                notify(&["anna"]),
            ),
            (
                "incomplete",
                vec![entry("a").ring("11:59:00", "11:59:30")],
                rules(),
                suppressed("incomplete"),
            ),
            (
                "incomplete but TrackerLastCall",
                vec![entry("a").ring("11:59:00", "11:59:30").last()],
                rules(),
                notify(&["anna"]),
            ),
            (
                "opted out",
                vec![entry("a").line("205")],
                rules(),
                (None, vec![("emil".into(), "opted_out")]),
            ),
            (
                "no address",
                vec![entry("a").line("204")],
                rules(),
                (None, vec![("dora".into(), "no_address")]),
            ),
            (
                "unknown line user has no address",
                vec![entry("a").user("zeno")],
                rules(),
                (None, vec![("zeno".into(), "no_address")]),
            ),
            (
                "line without user: nobody",
                vec![entry("a").line("299")],
                rules(),
                suppressed("no_recipient"),
            ),
            (
                "policy none before no_recipient",
                vec![entry("a").line("299")],
                with(|r| r.recipients = RecipientPolicy::None),
                suppressed("policy_none"),
            ),
            (
                "voicemail, rule off: a missed call like any other",
                vec![entry("a").voicemail()],
                rules(),
                notify(&["anna"]),
            ),
            (
                "voicemail, rule on",
                vec![entry("a").voicemail()],
                with(|r| r.exceptions.voicemail = true),
                suppressed("voicemail"),
            ),
            (
                "voicemail on, no voicemail entry",
                vec![entry("a")],
                with(|r| r.exceptions.voicemail = true),
                notify(&["anna"]),
            ),
            (
                "one entry of a group went to voicemail",
                vec![
                    entry("a").tracker("T"),
                    entry("b").tracker("T").line("202").voicemail(),
                ],
                with(|r| r.exceptions.voicemail = true),
                suppressed("voicemail"),
            ),
            (
                "answered before voicemail",
                vec![
                    entry("a").tracker("T").connect("09:00:05"),
                    entry("b").tracker("T").line("202").voicemail(),
                ],
                with(|r| r.exceptions.voicemail = true),
                suppressed("answered"),
            ),
            (
                "voicemail before policy_none",
                vec![entry("a").voicemail()],
                with(|r| {
                    r.exceptions.voicemail = true;
                    r.recipients = RecipientPolicy::None
                }),
                suppressed("voicemail"),
            ),
            (
                "first picks the opted-out user",
                vec![entry("a").line("205")],
                with(|r| r.recipients = RecipientPolicy::First),
                (None, vec![("emil".into(), "opted_out")]),
            ),
            // order of the exceptions: the first one that applies is named
            (
                "internal before hidden",
                vec![entry("a").internal().caller("")],
                rules(),
                suppressed("internal"),
            ),
            (
                "hidden before short",
                vec![entry("a").caller("").ring("09:00:00", "09:00:01")],
                rules(),
                suppressed("hidden_number"),
            ),
            (
                "no_contact before short",
                vec![entry("a").caller("0309999999").ring("09:00:00", "09:00:01")],
                with(|r| r.exceptions.no_contact = true),
                suppressed("no_contact"),
            ),
            (
                "short before excluded",
                vec![entry("a").ring("09:00:00", "09:00:01")],
                with(|r| {
                    r.exceptions.excluded_numbers =
                        vec![NumberPattern::parse(&r.numbers, "030*").unwrap()]
                }),
                suppressed("short_ring"),
            ),
            (
                "excluded before answered",
                vec![entry("a").connect("09:00:05")],
                with(|r| {
                    r.exceptions.excluded_numbers =
                        vec![NumberPattern::parse(&r.numbers, "030*").unwrap()]
                }),
                suppressed("excluded_number"),
            ),
            (
                "incomplete before all",
                vec![entry("a").internal().ring("11:59:00", "11:59:30")],
                rules(),
                suppressed("incomplete"),
            ),
            (
                "answered before policy_none",
                vec![entry("a").connect("09:00:05")],
                with(|r| r.recipients = RecipientPolicy::None),
                suppressed("answered"),
            ),
            (
                "outgoing never notifies",
                vec![entry("a").outgoing()],
                rules(),
                (Some("__none__"), vec![]),
            ),
        ];
        for (name, entries, rules, want) in cases {
            if want.0 == Some("__none__") {
                assert!(verdicts(entries, &rules, &lookup()).is_empty(), "{name}");
                continue;
            }
            let v = one(entries, &rules);
            assert_eq!(summary(&v), want, "{name}");
        }
    }

    #[test]
    fn short_ring_is_measured_to_the_first_connect() {
        // rang 1 s, then answered, with even_if on: short ring
        let es = vec![
            entry("a")
                .tracker("T")
                .line("201")
                .ring("09:00:00", "09:05:00"),
            entry("b")
                .tracker("T")
                .line("202")
                .ring("09:00:00", "09:05:00")
                .connect("09:00:01"),
        ];
        let v = one(es, &with(|r| r.even_if_answered_elsewhere = true));
        assert_eq!(v.facts.ring_seconds, 1);
        assert_eq!(summary(&v), suppressed("short_ring"));
    }

    #[test]
    fn chat_and_sms_types_are_ignored() {
        assert!(verdicts(vec![entry("a").call_type(3)], &rules(), &lookup()).is_empty());
        assert_eq!(
            verdicts(vec![entry("a").call_type(7)], &rules(), &lookup()).len(),
            1
        );
    }

    #[test]
    fn defaults_match_the_spec() {
        let x = Exceptions::default();
        assert!(x.internal && x.hidden_number && x.short_ring && x.called_back);
        assert!(!x.no_contact && !x.repeated_same_day && !x.repeated_until_logon);
        assert!(!x.voicemail);
        assert_eq!(x.min_ring_seconds, 2);
        assert_eq!(Rules::default().max_age_hours, 24);
    }

    #[test]
    fn called_back() {
        // the missed call: 030 5550100 rang anna 09:00:00–09:00:20
        let missed = || entry("m");
        // an outgoing entry of bert to `to`, started at `at`, connected 5 s later unless not
        let out = |to: &str, at: &str, connected: bool| {
            let mut e = entry(&format!("o{at}"))
                .outgoing()
                .line("202")
                .caller(to)
                .ring(at, "11:00:00");
            if connected {
                e.connect = Some(e.start + jiff::SignedDuration::from_secs(5));
            }
            e
        };
        // a later incoming call from `from` at `at`, answered by `line` (None: missed)
        let later = |from: &str, at: &str, line: Option<&str>| {
            let e = entry("later")
                .tracker("L")
                .caller(from)
                .line(line.unwrap_or("203"))
                .ring(at, "10:30:00");
            match line {
                Some(_) => e.connect(at),
                None => e,
            }
        };
        type Case = (&'static str, Vec<Entry>, Rules, &'static str);
        let cases: Vec<Case> = vec![
            ("no callback", vec![missed()], rules(), "notify"),
            (
                "outgoing callback 1 s after the arrival",
                vec![missed(), out("030 5550100", "09:00:01", true)],
                rules(),
                "called_back",
            ),
            (
                "outgoing callback in the same second as the arrival is not after it",
                vec![missed(), out("030 5550100", "09:00:00", true)],
                rules(),
                "notify",
            ),
            (
                "callback that did not connect",
                vec![missed(), out("030 5550100", "09:05:00", false)],
                rules(),
                "notify",
            ),
            (
                "callback before the arrival",
                vec![missed(), out("030 5550100", "08:59:00", true)],
                rules(),
                "notify",
            ),
            (
                "callback to another number",
                vec![missed(), out("030 5550101", "09:05:00", true)],
                rules(),
                "notify",
            ),
            (
                "callback to the number written another way",
                vec![missed(), out("+49 (30) 555-0100", "09:05:00", true)],
                rules(),
                "called_back",
            ),
            (
                "callback read before the missed call",
                vec![out("0049 30 5550100", "09:05:00", true), missed()],
                rules(),
                "called_back",
            ),
            (
                "a later incoming call of the caller, answered",
                vec![missed(), later("+49 30 5550100", "10:00:00", Some("202"))],
                rules(),
                "called_back",
            ),
            (
                "a later incoming call of the caller, answered on a line without user",
                vec![missed(), later("030 5550100", "10:00:00", Some("299"))],
                rules(),
                "called_back",
            ),
            (
                "a later incoming call of the caller, picked up",
                vec![
                    missed(),
                    later("030 5550100", "10:00:00", None).acceptor("carl"),
                ],
                rules(),
                "called_back",
            ),
            (
                "a later incoming call of the caller, missed too",
                vec![missed(), later("030 5550100", "10:00:00", None)],
                rules(),
                "notify",
            ),
            (
                "another caller's answered call",
                vec![missed(), later("030 5550199", "10:00:00", Some("202"))],
                rules(),
                "notify",
            ),
            (
                "an answered call that arrived before the missed one but connected after",
                vec![
                    missed(),
                    entry("early")
                        .tracker("L")
                        .line("202")
                        .ring("08:59:00", "09:10:00")
                        .connect("09:05:00"),
                ],
                rules(),
                "notify",
            ),
            (
                "a callback still ringing counts (it was answered)",
                vec![missed(), later("030 5550100", "11:59:00", Some("202"))],
                rules(),
                "called_back",
            ),
            (
                "rule off",
                vec![missed(), out("030 5550100", "09:05:00", true)],
                with(|r| r.exceptions.called_back = false),
                "notify",
            ),
            (
                "short ring comes first",
                vec![
                    missed().ring("09:00:00", "09:00:01"),
                    out("030 5550100", "09:05:00", true),
                ],
                rules(),
                "short_ring",
            ),
            (
                "voicemail comes first",
                vec![missed().voicemail(), out("030 5550100", "09:05:00", true)],
                with(|r| r.exceptions.voicemail = true),
                "voicemail",
            ),
            (
                "called_back comes before policy_none",
                vec![missed(), out("030 5550100", "09:05:00", true)],
                with(|r| r.recipients = RecipientPolicy::None),
                "called_back",
            ),
            (
                "called_back comes before no_recipient",
                vec![missed().line("299"), out("030 5550100", "09:05:00", true)],
                rules(),
                "called_back",
            ),
        ];
        for (name, entries, rules, want) in cases {
            let v = verdict_of(entries, &rules, "m");
            let got = v
                .suppressed_by
                .map_or_else(|| v.recipients[0].status.as_str(), Suppression::as_str);
            assert_eq!(got, want, "{name}");
        }
    }

    #[test]
    fn a_hidden_number_is_never_called_back() {
        let r = with(|r| r.exceptions.hidden_number = false);
        let es = vec![
            entry("m").caller(""),
            entry("o")
                .outgoing()
                .caller("")
                .ring("09:05:00", "09:06:00")
                .connect("09:05:05"),
            entry("later")
                .caller("anonymous")
                .line("202")
                .ring("10:00:00", "10:00:30")
                .connect("10:00:05"),
        ];
        let v = verdict_of(es, &r, "m");
        assert_eq!(summary(&v), notify(&["anna"]));
    }

    #[test]
    fn too_old() {
        let call = || vec![entry("a")]; // arrived 2026-11-26 09:00:00Z
        type Case = (&'static str, Vec<Entry>, Rules, &'static str, &'static str);
        let cases: Vec<Case> = vec![
            (
                "exactly max_age_hours",
                call(),
                rules(),
                "2026-11-27T09:00:00Z",
                "notify",
            ),
            (
                "one second more",
                call(),
                rules(),
                "2026-11-27T09:00:01Z",
                "too_old",
            ),
            (
                "measured from the arrival, not the last stop",
                vec![entry("a").ring("09:00:00", "09:30:00")],
                rules(),
                "2026-11-27T09:10:00Z",
                "too_old",
            ),
            (
                "0 switches it off",
                call(),
                with(|r| r.max_age_hours = 0),
                "2030-01-01T00:00:00Z",
                "notify",
            ),
            (
                "a smaller limit",
                call(),
                with(|r| r.max_age_hours = 1),
                "2026-11-26T10:00:01Z",
                "too_old",
            ),
            (
                "too_old before internal",
                vec![entry("a").internal()],
                rules(),
                "2026-11-28T00:00:00Z",
                "too_old",
            ),
            (
                "too_old before called_back",
                vec![
                    entry("a"),
                    entry("o")
                        .outgoing()
                        .ring("09:05:00", "09:06:00")
                        .connect("09:05:05"),
                ],
                rules(),
                "2026-11-28T00:00:00Z",
                "too_old",
            ),
            (
                "incomplete before too_old",
                vec![
                    entry("a")
                        .tracker("T")
                        .ring("2026-11-25T09:00:00Z", "2026-11-25T09:00:20Z"),
                    entry("b")
                        .tracker("T")
                        .line("202")
                        .ring("11:59:00", "11:59:50"),
                ],
                rules(),
                "2026-11-26T12:00:00Z",
                "incomplete",
            ),
        ];
        for (name, entries, rules, now, want) in cases {
            let mut vs = verdicts_at(entries, &rules, &lookup(), &mut History::default(), t(now));
            let v = vs.remove(0);
            let got = v
                .suppressed_by
                .map_or_else(|| v.recipients[0].status.as_str(), Suppression::as_str);
            assert_eq!(got, want, "{name}");
        }
    }

    #[test]
    fn a_pending_chain_that_became_too_old_while_it_waited() {
        // still ringing at the first run; the state keeps its entries, the next run is two
        // days later
        let es = vec![entry("a").ring("09:00:00", "09:00:20")];
        let first = verdicts_at(
            es.clone(),
            &rules(),
            &lookup(),
            &mut History::default(),
            t("09:01:00"),
        );
        assert_eq!(summary(&first[0]), suppressed("incomplete"));
        let next = verdicts_at(
            es,
            &rules(),
            &lookup(),
            &mut History::default(),
            t("2026-11-28T09:00:00Z"),
        );
        assert_eq!(summary(&next[0]), suppressed("too_old"));
    }
}
