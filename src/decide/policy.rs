//! Exceptions and recipients: the verdict for every chain (SPEC §3, §4).
//!
//! Pure: facts and history in, verdict out. Chains must be decided in the order of their
//! start, so that "an earlier call" in the repeated rules means what it says; [`History`]
//! carries what earlier chains (of this run, or of earlier runs through the state) did.

use std::collections::{BTreeSet, HashMap, HashSet};

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::Timestamp;
use serde::Serialize;

use crate::config::{RecipientPolicy, Rules};
use crate::decide::chains::Facts;
use crate::decide::lookup::{ContactInfo, Lookup};
use crate::decide::numbers::Number;

/// Why a chain notifies nobody (SPEC §3, in the order `explain` names them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Suppression {
    Incomplete,
    Internal,
    HiddenNumber,
    NoContact,
    ShortRing,
    ExcludedNumber,
    Answered,
    PolicyNone,
}

impl Suppression {
    pub fn as_str(self) -> &'static str {
        match self {
            Suppression::Incomplete => "incomplete",
            Suppression::Internal => "internal",
            Suppression::HiddenNumber => "hidden_number",
            Suppression::NoContact => "no_contact",
            Suppression::ShortRing => "short_ring",
            Suppression::ExcludedNumber => "excluded_number",
            Suppression::Answered => "answered",
            Suppression::PolicyNone => "policy_none",
        }
    }
}

/// What happens for one recipient (SPEC §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Notify,
    OptedOut,
    NoAddress,
    RepeatedSameDay,
    RepeatedUntilLogon,
    AlreadySent,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Notify => "notify",
            Status::OptedOut => "opted_out",
            Status::NoAddress => "no_address",
            Status::RepeatedSameDay => "repeated_same_day",
            Status::RepeatedUntilLogon => "repeated_until_logon",
            Status::AlreadySent => "already_sent",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Recipient {
    pub user: String,
    pub email: Option<String>,
    pub status: Status,
}

/// The caller as the mail shows it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Caller {
    pub raw: String,
    pub number: Option<Number>,
    pub name: Option<String>,
    pub company: Option<String>,
    pub email: Option<String>,
    /// The contact from the contacts files, when one matched.
    pub contact: Option<ContactInfo>,
}

/// The verdict for one chain.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    pub facts: Facts,
    pub caller: Caller,
    pub suppressed_by: Option<Suppression>,
    pub recipients: Vec<Recipient>,
}

impl Verdict {
    /// The users this verdict mails.
    pub fn to_notify(&self) -> impl Iterator<Item = &Recipient> {
        self.recipients
            .iter()
            .filter(|r| r.status == Status::Notify)
    }
}

/// What earlier chains did, for the repeated rules and idempotence.
#[derive(Debug, Clone, Default)]
pub struct History {
    /// (user, caller) → starts of the calls the user was notified about.
    notified: HashMap<(String, Number), BTreeSet<Timestamp>>,
    /// (chain, user) pairs already sent in an earlier run.
    sent: HashSet<(String, String)>,
    /// user → times the user was seen logged on.
    online: HashMap<String, BTreeSet<Timestamp>>,
}

impl History {
    /// Records that `user` was notified about a call from `caller` that started at `start`.
    pub fn record_notified(&mut self, user: &str, caller: &Number, start: Timestamp) {
        self.notified
            .entry((user.to_lowercase(), caller.clone()))
            .or_default()
            .insert(start);
    }

    /// Records that (chain, user) was sent in an earlier run.
    pub fn record_sent(&mut self, chain: &str, user: &str) {
        self.sent.insert((chain.to_string(), user.to_lowercase()));
    }

    /// Records that `user` was logged on at `at` (a logon, or a journal entry with
    /// `iLineUserOffline=0`).
    pub fn record_online(&mut self, user: &str, at: Timestamp) {
        self.online
            .entry(user.to_lowercase())
            .or_default()
            .insert(at);
    }

    fn was_sent(&self, chain: &str, user: &str) -> bool {
        self.sent
            .contains(&(chain.to_string(), user.to_lowercase()))
    }

    /// The notifications of `user` about `caller` for calls that started no later than
    /// `before` (the call being decided is not among them: it has not been recorded yet).
    fn notified_before(&self, user: &str, caller: &Number, before: Timestamp) -> Vec<Timestamp> {
        self.notified
            .get(&(user.to_lowercase(), caller.clone()))
            .map(|s| s.range(..=before).copied().collect())
            .unwrap_or_default()
    }

    fn online_between(&self, user: &str, after: Timestamp, until: Timestamp) -> bool {
        self.online
            .get(&user.to_lowercase())
            .is_some_and(|s| s.range(after..=until).any(|t| *t > after))
    }

    /// Forgets notifications that can no longer matter once chains up to `decided_until` have
    /// been decided: for "same day" only the last two days count, for "until logon" only the
    /// latest notification of each user and caller.
    pub fn prune_notified(&mut self, decided_until: Timestamp, until_logon: bool) {
        let cutoff = decided_until - jiff::SignedDuration::from_hours(50);
        self.notified.retain(|_, set| {
            let latest = set.last().copied();
            set.retain(|t| *t >= cutoff || Some(*t) == latest);
            until_logon || latest.is_some_and(|l| l >= cutoff)
        });
    }

    /// Forgets logon times that can no longer matter once chains up to `decided_until` have
    /// been decided (keeps the latest one before it). Bounds memory on long inputs.
    pub fn prune_online(&mut self, decided_until: Timestamp) {
        for set in self.online.values_mut() {
            let keep_from = set.range(..decided_until).next_back().copied();
            if let Some(k) = keep_from {
                *set = set.split_off(&k);
            }
        }
    }
}

fn day_in(ts: Timestamp, tz: &TimeZone) -> Date {
    ts.to_zoned_datetime(tz.clone()).date()
}

/// Decides one chain and records its notifications in `history`.
pub fn decide(facts: Facts, rules: &Rules, lookup: &Lookup, history: &mut History) -> Verdict {
    let x = &rules.exceptions;
    let caller = caller_of(&facts, lookup);
    let number = caller.number.clone();
    let hidden = number.is_none();

    let internal = facts.internal_flag || number.as_ref().is_some_and(|n| lookup.is_user_line(n));
    let has_contact = caller.name.is_some() || caller.company.is_some();
    let short =
        x.short_ring && x.min_ring_seconds > 0 && facts.ring_seconds < x.min_ring_seconds as i64;
    let excluded = number
        .as_ref()
        .is_some_and(|n| x.excluded_numbers.iter().any(|p| p.matches(n)));
    let answered_stop = facts.answered && !rules.even_if_answered_elsewhere;

    let suppressed_by = if !facts.complete {
        Some(Suppression::Incomplete)
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
    } else {
        let picked = pick(&facts.not_answered, rules.recipients);
        if picked.is_empty() {
            Some(Suppression::PolicyNone)
        } else {
            None
        }
    };

    let mut recipients = Vec::new();
    if suppressed_by.is_none() {
        for user in pick(&facts.not_answered, rules.recipients) {
            let info = lookup.user(user);
            let email = info.and_then(|u| u.email.clone());
            let tz = info
                .and_then(|u| u.zone.clone())
                .unwrap_or_else(|| rules.time_zone.clone());
            let status = if info.is_some_and(|u| !u.notify) {
                Status::OptedOut
            } else if email.is_none() {
                Status::NoAddress
            } else if history.was_sent(&facts.id, user) {
                Status::AlreadySent
            } else if let Some(s) = repeated(&facts, number.as_ref(), user, &tz, rules, history) {
                s
            } else {
                Status::Notify
            };
            recipients.push(Recipient {
                user: user.clone(),
                email,
                status,
            });
        }
    }
    let remember = rules.exceptions.repeated_same_day || rules.exceptions.repeated_until_logon;
    if let (Some(n), true) = (&number, remember) {
        for r in &recipients {
            if matches!(r.status, Status::Notify | Status::AlreadySent) {
                history.record_notified(&r.user, n, facts.start);
            }
        }
    }
    Verdict {
        facts,
        caller,
        suppressed_by,
        recipients,
    }
}

fn repeated(
    facts: &Facts,
    number: Option<&Number>,
    user: &str,
    tz: &TimeZone,
    rules: &Rules,
    history: &History,
) -> Option<Status> {
    let n = number?;
    let earlier = history.notified_before(user, n, facts.start);
    if earlier.is_empty() {
        return None;
    }
    if rules.exceptions.repeated_same_day {
        let today = day_in(facts.start, tz);
        if earlier.iter().any(|t| day_in(*t, tz) == today) {
            return Some(Status::RepeatedSameDay);
        }
    }
    if rules.exceptions.repeated_until_logon {
        let last = *earlier.last().expect("not empty");
        let own_entry_online = facts
            .online_users
            .iter()
            .any(|u| u.eq_ignore_ascii_case(user));
        if !own_entry_online && !history.online_between(user, last, facts.start) {
            return Some(Status::RepeatedUntilLogon);
        }
    }
    None
}

fn pick(not_answered: &[String], policy: RecipientPolicy) -> Vec<&String> {
    match policy {
        RecipientPolicy::None => Vec::new(),
        RecipientPolicy::First => not_answered.first().into_iter().collect(),
        RecipientPolicy::Last => not_answered.last().into_iter().collect(),
        RecipientPolicy::All => not_answered.iter().collect(),
    }
}

fn caller_of(facts: &Facts, lookup: &Lookup) -> Caller {
    let number = facts.caller.clone();
    let r = lookup.caller_record(
        number.as_ref(),
        facts.journal_contact_name.as_deref(),
        facts.journal_contact_company.as_deref(),
    );
    Caller {
        raw: facts.caller_raw.clone(),
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
    use crate::config::{Exceptions, Rules};
    use crate::decide::numbers::NumberPattern;
    use crate::decide::testkit::*;
    use crate::ingest::Entry;

    fn one(entries: Vec<Entry>, rules: &Rules) -> Verdict {
        let mut vs = verdicts(entries, rules, &lookup());
        assert_eq!(vs.len(), 1, "one chain expected");
        vs.remove(0)
    }

    fn summary(v: &Verdict) -> (Option<&'static str>, Vec<(String, &'static str)>) {
        (
            v.suppressed_by.map(Suppression::as_str),
            v.recipients
                .iter()
                .map(|r| (r.user.clone(), r.status.as_str()))
                .collect(),
        )
    }

    fn notify(users: &[&str]) -> (Option<&'static str>, Vec<(String, &'static str)>) {
        (
            None,
            users.iter().map(|u| (u.to_string(), "notify")).collect(),
        )
    }

    fn suppressed(s: &'static str) -> (Option<&'static str>, Vec<(String, &'static str)>) {
        (Some(s), vec![])
    }

    fn with(f: impl FnOnce(&mut Rules)) -> Rules {
        let mut r = rules();
        f(&mut r);
        r
    }

    fn group_call() -> Vec<Entry> {
        vec![
            entry("a").tracker("T").line("201"),
            entry("b")
                .tracker("T")
                .line("202")
                .ring("09:00:01", "09:00:20"),
            entry("c")
                .tracker("T")
                .line("203")
                .ring("09:00:02", "09:00:20"),
        ]
    }

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
                suppressed("policy_none"),
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
                suppressed("policy_none"),
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

    fn calls_from_same_caller(times: &[(&str, &str)]) -> Vec<Entry> {
        times
            .iter()
            .enumerate()
            .map(|(i, (a, b))| entry(&format!("c{i}")).ring(a, b))
            .collect()
    }

    #[test]
    fn repeated_same_day() {
        let r = with(|r| r.exceptions.repeated_same_day = true);
        let vs = verdicts(
            calls_from_same_caller(&[("08:00:00", "08:00:20"), ("10:00:00", "10:00:20")]),
            &r,
            &lookup(),
        );
        assert_eq!(summary(&vs[0]), notify(&["anna"]));
        assert_eq!(
            summary(&vs[1]),
            (None, vec![("anna".into(), "repeated_same_day")])
        );
        // off: both notify
        let vs = verdicts(
            calls_from_same_caller(&[("08:00:00", "08:00:20"), ("10:00:00", "10:00:20")]),
            &rules(),
            &lookup(),
        );
        assert_eq!(summary(&vs[1]), notify(&["anna"]));
        // another caller is not a repetition
        let mut es = calls_from_same_caller(&[("08:00:00", "08:00:20"), ("10:00:00", "10:00:20")]);
        es[1].phone_number = "030 5550199".into();
        let vs = verdicts(es, &r, &lookup());
        assert_eq!(summary(&vs[1]), notify(&["anna"]));
    }

    #[test]
    fn repeated_same_day_uses_the_users_zone() {
        // 22:30 and 23:30 UTC on the 26th: the same day in UTC, but in Berlin 23:30 on the
        // 26th and 00:30 on the 27th.
        let es = calls_from_same_caller(&[("22:30:00", "22:30:20"), ("23:30:00", "23:30:20")]);
        let r = with(|r| r.exceptions.repeated_same_day = true);
        let now = t("2026-11-27T12:00:00Z");
        let vs = verdicts_at(es.clone(), &r, &lookup(), &mut History::default(), now);
        assert_eq!(summary(&vs[1]).1[0].1, "repeated_same_day");
        let mut r2 = r.clone();
        r2.time_zone = crate::ingest::time::zone("Europe/Berlin").unwrap();
        let vs = verdicts_at(es.clone(), &r2, &lookup(), &mut History::default(), now);
        assert_eq!(summary(&vs[1]).1[0].1, "notify");
        // a per-user zone overrides the configured one
        let mut l = lookup();
        let mut users: Vec<_> = l.users().to_vec();
        users[0].zone = Some(crate::ingest::time::zone("Europe/Berlin").unwrap());
        l = crate::decide::lookup::Lookup::new(l.plan.clone(), users, vec![]);
        let vs = verdicts_at(es, &r, &l, &mut History::default(), now);
        assert_eq!(summary(&vs[1]).1[0].1, "notify");
    }

    #[test]
    fn repeated_same_day_on_a_dst_change_day() {
        // 2026-10-25 in Berlin has 25 hours: 00:30 local (22:30Z the day before) and
        // 23:30 local (22:30Z) are the same local day.
        let es = calls_from_same_caller(&[
            ("2026-10-24T22:30:00Z", "2026-10-24T22:30:20Z"),
            ("2026-10-25T22:30:00Z", "2026-10-25T22:30:20Z"),
        ]);
        let mut r = with(|r| r.exceptions.repeated_same_day = true);
        r.time_zone = crate::ingest::time::zone("Europe/Berlin").unwrap();
        let vs = verdicts_at(
            es,
            &r,
            &lookup(),
            &mut History::default(),
            t("2026-10-26T12:00:00Z"),
        );
        assert_eq!(summary(&vs[1]).1[0].1, "repeated_same_day");
    }

    #[test]
    fn repeated_until_logon() {
        let r = with(|r| r.exceptions.repeated_until_logon = true);
        let three = || {
            calls_from_same_caller(&[
                ("08:00:00", "08:00:20"),
                ("09:00:00", "09:00:20"),
                ("10:00:00", "10:00:20"),
            ])
        };
        // never logged on: only the first notifies
        let vs = verdicts(three(), &r, &lookup());
        let st: Vec<_> = vs.iter().map(|v| summary(v).1[0].1).collect();
        assert_eq!(
            st,
            vec!["notify", "repeated_until_logon", "repeated_until_logon"]
        );
        // logged on between the first and the second call (logons file)
        let mut h = History::default();
        h.record_online("anna", t("08:30:00"));
        let vs = verdicts_at(three(), &r, &lookup(), &mut h, t("12:00:00"));
        let st: Vec<_> = vs.iter().map(|v| summary(v).1[0].1).collect();
        assert_eq!(st, vec!["notify", "notify", "repeated_until_logon"]);
        // a logon exactly at the start of the call counts; one exactly at T does not
        let mut h = History::default();
        h.record_online("anna", t("08:00:00"));
        h.record_online("anna", t("10:00:00"));
        let vs = verdicts_at(three(), &r, &lookup(), &mut h, t("12:00:00"));
        let st: Vec<_> = vs.iter().map(|v| summary(v).1[0].1).collect();
        assert_eq!(st, vec!["notify", "repeated_until_logon", "notify"]);
        // a journal entry of the user with iLineUserOffline=0 in between (an outgoing call)
        let mut es = three();
        es.push(
            entry("out")
                .outgoing()
                .ring("09:30:00", "09:31:00")
                .online(true)
                .caller("0301111111"),
        );
        let vs = verdicts(es, &r, &lookup());
        let st: Vec<_> = vs.iter().map(|v| summary(v).1[0].1).collect();
        assert_eq!(st, vec!["notify", "repeated_until_logon", "notify"]);
        // this call's own entry says logged on
        let mut es = three();
        es[1] = es[1].clone().online(true);
        let vs = verdicts(es, &r, &lookup());
        let st: Vec<_> = vs.iter().map(|v| summary(v).1[0].1).collect();
        assert_eq!(st, vec!["notify", "notify", "repeated_until_logon"]);
        // offline=1 entries are no logon
        let mut es = three();
        es[1] = es[1].clone().online(false);
        let vs = verdicts(es, &r, &lookup());
        let st: Vec<_> = vs.iter().map(|v| summary(v).1[0].1).collect();
        assert_eq!(
            st,
            vec!["notify", "repeated_until_logon", "repeated_until_logon"]
        );
    }

    #[test]
    fn repeated_rules_are_per_recipient() {
        // call 1 rings anna only; call 2 rings anna and bert: bert is notified, anna is not
        let r = with(|r| r.exceptions.repeated_same_day = true);
        let es = vec![
            entry("1").ring("08:00:00", "08:00:20"),
            entry("2a").tracker("T").ring("09:00:00", "09:00:20"),
            entry("2b")
                .tracker("T")
                .line("202")
                .ring("09:00:00", "09:00:20"),
        ];
        let vs = verdicts(es, &r, &lookup());
        assert_eq!(
            summary(&vs[1]).1,
            vec![
                ("anna".to_string(), "repeated_same_day"),
                ("bert".to_string(), "notify")
            ]
        );
    }

    #[test]
    fn a_suppressed_earlier_call_is_no_repetition() {
        let r = with(|r| r.exceptions.repeated_same_day = true);
        let es = vec![
            entry("1").ring("08:00:00", "08:00:01"),
            entry("2").ring("09:00:00", "09:00:20"),
        ];
        let vs = verdicts(es, &r, &lookup());
        assert_eq!(summary(&vs[0]), suppressed("short_ring"));
        assert_eq!(summary(&vs[1]), notify(&["anna"]));
    }

    #[test]
    fn already_sent_from_the_state() {
        let mut h = History::default();
        h.record_sent("c0", "anna");
        let vs = verdicts_at(
            calls_from_same_caller(&[("08:00:00", "08:00:20")]),
            &rules(),
            &lookup(),
            &mut h,
            t("12:00:00"),
        );
        assert_eq!(summary(&vs[0]).1[0].1, "already_sent");
    }

    #[test]
    fn defaults_match_the_spec() {
        let x = Exceptions::default();
        assert!(x.internal && x.hidden_number && x.short_ring);
        assert!(!x.no_contact && !x.repeated_same_day && !x.repeated_until_logon);
        assert_eq!(x.min_ring_seconds, 2);
    }
}
