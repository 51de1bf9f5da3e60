//! Recipients: who of a chain is told (SPEC §4) and the per-recipient rules (§3.10–3.11).
//!
//! Pure: a screened chain ([`super::exceptions::screen`]), whether it was returned (§3.8) and
//! the history in, the verdict out. Chains must be decided in the order of their start, so that
//! "an earlier call" in the repeated rules means what it says; [`History`] carries what earlier
//! chains (of this run, or of earlier runs through the state) did.

use std::collections::{BTreeSet, HashMap, HashSet};

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::Timestamp;
use serde::Serialize;

use crate::config::{RecipientPolicy, Rules};
use crate::decide::chains::Facts;
use crate::decide::exceptions::{Caller, Screened, Suppression};
use crate::decide::lookup::Lookup;
use crate::decide::numbers::Number;
use crate::directory::{fold_user, UserKey};
use crate::ingest::Text;

/// What happens for one recipient (SPEC §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Status {
    Notify,
    OptedOut,
    NoAddress,
    RepeatedSameDay,
    RepeatedUntilLogon,
    AlreadySent,
}

impl Status {
    pub(crate) fn as_str(self) -> &'static str {
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
pub(crate) struct Recipient {
    pub(crate) user: String,
    pub(crate) email: Option<String>,
    pub(crate) status: Status,
}

/// The verdict for one chain.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Verdict {
    pub(crate) facts: Box<Facts>,
    pub(crate) caller: Caller,
    pub(crate) suppressed_by: Option<Suppression>,
    pub(crate) recipients: Vec<Recipient>,
    /// When the caller and the company last spoke after the call arrived, as far as the run
    /// read (§3.8); kept with a call still ringing so the next run knows it too.
    pub(crate) returned_at: Option<Timestamp>,
}

impl Verdict {
    /// The users this verdict mails.
    pub(crate) fn to_notify(&self) -> impl Iterator<Item = &Recipient> {
        self.recipients
            .iter()
            .filter(|r| r.status == Status::Notify)
    }
}

/// What earlier chains did, for the repeated rules and idempotence.
#[derive(Debug, Clone, Default)]
pub(crate) struct History {
    /// (user, caller) → starts of the calls the user was notified about.
    notified: HashMap<(UserKey, Number), BTreeSet<Timestamp>>,
    /// (chain, user) pairs already sent in an earlier run.
    sent: HashSet<(String, UserKey)>,
    /// user → times the user was seen logged on.
    online: HashMap<UserKey, BTreeSet<Timestamp>>,
}

impl History {
    /// Records that `user` was notified about a call from `caller` that started at `start`.
    pub(crate) fn record_notified(&mut self, user: &UserKey, caller: &Number, start: Timestamp) {
        self.notified
            .entry((user.clone(), caller.clone()))
            .or_default()
            .insert(start);
    }

    /// Records that (chain, user) was sent in an earlier run.
    pub(crate) fn record_sent(&mut self, chain: &str, user: &UserKey) {
        self.sent.insert((chain.to_string(), user.clone()));
    }

    /// Records that `user` was logged on at `at` (a logon, or a journal entry with
    /// `iLineUserOffline=0`).
    pub(crate) fn record_online(&mut self, user: &UserKey, at: Timestamp) {
        self.online.entry(user.clone()).or_default().insert(at);
    }

    fn was_sent(&self, chain: &str, user: &UserKey) -> bool {
        // nothing sent before (no state, or a first run): no key to build
        !self.sent.is_empty() && self.sent.contains(&(chain.to_string(), user.clone()))
    }

    /// The notifications of `user` about `caller` for calls that started no later than
    /// `before` (the call being decided is not among them: it has not been recorded yet).
    fn notified_before(
        &self,
        user: &UserKey,
        caller: &Number,
        before: Timestamp,
    ) -> Vec<Timestamp> {
        self.notified
            .get(&(user.clone(), caller.clone()))
            .map(|s| s.range(..=before).copied().collect())
            .unwrap_or_default()
    }

    fn online_between(&self, user: &UserKey, after: Timestamp, until: Timestamp) -> bool {
        self.online
            .get(user)
            .is_some_and(|s| s.range(after..=until).any(|t| *t > after))
    }

    /// Forgets notifications that can no longer matter once chains up to `decided_until` have
    /// been decided: for "same day" only the last two days count, for "until logon" only the
    /// latest notification of each user and caller.
    pub(crate) fn prune_notified(&mut self, decided_until: Timestamp, until_logon: bool) {
        let cutoff = decided_until - jiff::SignedDuration::from_hours(50);
        self.notified.retain(|_, set| {
            let latest = set.last().copied();
            set.retain(|t| *t >= cutoff || Some(*t) == latest);
            until_logon || latest.is_some_and(|l| l >= cutoff)
        });
    }

    /// Forgets logon times that can no longer matter once chains up to `decided_until` have
    /// been decided (keeps the latest one before it). Bounds memory on long inputs.
    pub(crate) fn prune_online(&mut self, decided_until: Timestamp) {
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

/// Decides a screened chain and records its notifications in `history`. `returned_at`: when
/// the caller and the company last spoke after the call arrived (§3.8; see
/// [`super::exceptions::Callbacks`]); it counts only when the rule is on.
pub(crate) fn decide(
    screened: Screened,
    returned_at: Option<Timestamp>,
    rules: &Rules,
    lookup: &Lookup,
    history: &mut History,
) -> Verdict {
    let Screened {
        facts,
        caller,
        suppressed_by,
    } = screened;
    let number = caller.number.clone();
    let picked = pick(&facts.not_answered, rules.recipients);
    // a mail already sent is never taken back: a callback read after it changes nothing
    let mailed = !history.sent.is_empty()
        && picked
            .iter()
            .any(|u| history.was_sent(&facts.id, &UserKey::of(u)));
    let suppressed_by = suppressed_by.or(
        if rules.exceptions.called_back && returned_at.is_some() && number.is_some() && !mailed {
            Some(Suppression::CalledBack)
        } else if rules.recipients == RecipientPolicy::None {
            Some(Suppression::PolicyNone)
        } else if picked.is_empty() {
            // every line rung belongs to no user, or only the answering user rang
            Some(Suppression::NoRecipient)
        } else {
            None
        },
    );

    let mut recipients = Vec::new();
    if suppressed_by.is_none() {
        for user in picked {
            let info = lookup.user(user);
            let email = info.and_then(|u| u.email.clone());
            let status = match info {
                Some(u) if !u.notify => Status::OptedOut,
                // the user the directory names: the same key as the name in the chain
                Some(u) if email.is_some() => {
                    let key = u.user.key();
                    let tz = u.zone.as_ref().unwrap_or(&rules.time_zone);
                    if history.was_sent(&facts.id, key) {
                        Status::AlreadySent
                    } else if let Some(s) =
                        repeated(&facts, number.as_ref(), key, tz, rules, history)
                    {
                        s
                    } else {
                        Status::Notify
                    }
                }
                _ => Status::NoAddress,
            };
            recipients.push(Recipient {
                user: String::from(user.as_str()),
                email,
                status,
            });
        }
    }
    let remember = rules.exceptions.repeated_same_day || rules.exceptions.repeated_until_logon;
    if let (Some(n), true) = (&number, remember) {
        for r in &recipients {
            if matches!(r.status, Status::Notify | Status::AlreadySent) {
                history.record_notified(&UserKey::of(&r.user), n, facts.start);
            }
        }
    }
    Verdict {
        facts,
        caller,
        suppressed_by,
        recipients,
        returned_at,
    }
}

fn repeated(
    facts: &Facts,
    number: Option<&Number>,
    user: &UserKey,
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
            .any(|u| fold_user(u) == user.as_str());
        if !own_entry_online && !history.online_between(user, last, facts.start) {
            return Some(Status::RepeatedUntilLogon);
        }
    }
    None
}

fn pick(not_answered: &[Text], policy: RecipientPolicy) -> Vec<&Text> {
    match policy {
        RecipientPolicy::None => Vec::new(),
        RecipientPolicy::First => not_answered.first().into_iter().collect(),
        RecipientPolicy::Last => not_answered.last().into_iter().collect(),
        RecipientPolicy::All => not_answered.iter().collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decide::testkit::*;

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
        let mut r = with(|r| {
            r.exceptions.repeated_same_day = true;
            r.max_age_hours = 0 // the first call is 37.5 h before now
        });
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
        h.record_online(&UserKey::of("anna"), t("08:30:00"));
        let vs = verdicts_at(three(), &r, &lookup(), &mut h, t("12:00:00"));
        let st: Vec<_> = vs.iter().map(|v| summary(v).1[0].1).collect();
        assert_eq!(st, vec!["notify", "notify", "repeated_until_logon"]);
        // a logon exactly at the start of the call counts; one exactly at T does not
        let mut h = History::default();
        h.record_online(&UserKey::of("anna"), t("08:00:00"));
        h.record_online(&UserKey::of("anna"), t("10:00:00"));
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
        h.record_sent("c0", &UserKey::of("anna"));
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
    fn a_call_mailed_in_an_earlier_run_stays_mailed() {
        // run 1 mailed anna; run 2 reads the call again with a callback after it
        let mut h = History::default();
        h.record_sent("m", &UserKey::of("anna"));
        let es = vec![
            entry("m"),
            entry("o")
                .outgoing()
                .ring("09:05:00", "09:06:00")
                .connect("09:05:05"),
        ];
        let vs = verdicts_at(es, &rules(), &lookup(), &mut h, t("12:00:00"));
        assert_eq!(
            summary(&vs[0]),
            (None, vec![("anna".into(), "already_sent")])
        );
    }

    #[test]
    fn a_returned_call_is_no_repetition() {
        // 08:00 missed and returned at 08:30; 10:00 missed again: anna hears of the 10:00 call
        let r = with(|r| r.exceptions.repeated_same_day = true);
        let es = vec![
            entry("1").ring("08:00:00", "08:00:20"),
            entry("o")
                .outgoing()
                .ring("08:30:00", "08:31:00")
                .connect("08:30:05"),
            entry("2").ring("10:00:00", "10:00:20"),
        ];
        let vs = verdicts(es, &r, &lookup());
        assert_eq!(summary(&vs[0]), suppressed("called_back"));
        assert_eq!(summary(&vs[1]), notify(&["anna"]));
    }
}
