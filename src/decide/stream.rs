//! The decision pipeline over journals: ingest → chains → exceptions/recipients, streaming.
//! Verdicts come out in the order of the chains' start; row problems come out as they are met.
//!
//! `called_back` (SPEC §3.8) counts every callback the run reads, wherever it stands in the
//! input: a chain that would notify someone waits until its call was returned or the input
//! ends, and the chains after it wait behind it (the order of the verdicts is what the
//! repeated rules need). So with the rule on, memory holds the chains from the first one that
//! waits; `too_old` keeps that to the last `max_age_hours` of a long export. What waits behind
//! the front is held compact: its facts packed into one block of bytes ([`super::packed`]),
//! its entries only when the consumer may need them (a chain that may notify, or is still
//! ringing), and none at all for `explain` ([`decide_verdicts`]).

use std::collections::{BTreeMap, VecDeque};
use std::iter::Peekable;

use jiff::Timestamp;

use crate::config::Rules;
use crate::decide::chains::{self, Assembler};
use crate::decide::exceptions::{self, Callbacks, Screened, Suppression};
use crate::decide::intake::{Event, Intake};
use crate::decide::lookup::Lookup;
use crate::decide::numbers::Number;
use crate::decide::packed;
use crate::decide::recipients::{self, History, Verdict};
use crate::directory::UserKey;
use crate::ingest::{Entry, Item, RowError};

/// What the run saw, for the summary. Nothing read is left uncounted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Stats {
    /// Entries read (all directions and call types).
    pub(crate) entries: u64,
    /// Entries that take part in chains (incoming phone calls).
    pub(crate) incoming: u64,
    /// Outgoing entries (read, never notify).
    pub(crate) outgoing: u64,
    /// Entries of other call types (chats, SMS, …), ignored by the rules.
    pub(crate) other_types: u64,
    /// Rows that are not entries of anyone, by reason.
    pub(crate) skipped: BTreeMap<&'static str, u64>,
    /// Rows rejected with an error.
    pub(crate) rejected: u64,
    /// Entries read twice (overlapping exports); the first counts.
    pub(crate) duplicates: u64,
    /// Entries that came after their chain had been decided.
    pub(crate) late: u64,
    pub(crate) chains: u64,
    /// Chains that arrived longer than `max_age_hours` ago (SPEC §3.9).
    pub(crate) too_old: u64,
    /// Chains already returned (SPEC §3.8).
    pub(crate) called_back: u64,
    /// With `repeated_until_logon`: each user's latest time logged on as the journal shows it
    /// (by user key), for the state to keep for later runs.
    pub(crate) logons: BTreeMap<UserKey, Timestamp>,
}

/// Merges several time-ordered inputs into one stream ordered by start time; row errors and
/// skipped rows pass through at once. `seq` becomes the input order (file, then row).
pub(crate) struct Merge {
    sources: Vec<Peekable<Box<dyn Iterator<Item = Item> + Send>>>,
}

impl Merge {
    pub(crate) fn new(sources: Vec<Box<dyn Iterator<Item = Item> + Send>>) -> Merge {
        Merge {
            sources: sources.into_iter().map(Iterator::peekable).collect(),
        }
    }
}

impl Iterator for Merge {
    type Item = Item;
    fn next(&mut self) -> Option<Item> {
        let mut best: Option<(usize, Timestamp)> = None;
        for i in 0..self.sources.len() {
            match self.sources[i].peek() {
                None => continue,
                Some(Item::Entry(e)) => {
                    if best.is_none_or(|(_, t)| e.start < t) {
                        best = Some((i, e.start));
                    }
                }
                Some(_) => return self.sources[i].next(),
            }
        }
        let (i, _) = best?;
        match self.sources[i].next() {
            Some(Item::Entry(mut e)) => {
                e.seq += (i as u64) << 40;
                Some(Item::Entry(e))
            }
            other => other,
        }
    }
}

/// Decides every chain of `items`. `on_error` gets each row problem, `on_verdict` each chain
/// (its verdict and its chain) in start order. The chain's entries are there when the verdict
/// may need them (the chain is `incomplete`, or no exception of §2.6/§3.1–3.7 applies, so it
/// may notify); a chain suppressed otherwise comes with its id and no entries, so that the
/// chains waiting behind one that waits for a callback (§3.8) hold no entries.
pub(crate) fn decide(
    items: impl Iterator<Item = Item>,
    rules: &Rules,
    lookup: &Lookup,
    history: &mut History,
    now: Timestamp,
    on_error: impl FnMut(&RowError),
    on_verdict: impl FnMut(Verdict, &chains::Chain),
) -> Stats {
    decide_with(
        Assembler::new(lookup),
        true,
        items,
        rules,
        lookup,
        history,
        now,
        on_error,
        on_verdict,
    )
}

/// [`decide`] for a consumer that needs no entries (`explain`): every chain comes with its id
/// only, so nothing that waits holds entries.
pub(crate) fn decide_verdicts(
    items: impl Iterator<Item = Item>,
    rules: &Rules,
    lookup: &Lookup,
    history: &mut History,
    now: Timestamp,
    on_error: impl FnMut(&RowError),
    mut on_verdict: impl FnMut(Verdict),
) -> Stats {
    decide_with(
        Assembler::new(lookup),
        false,
        items,
        rules,
        lookup,
        history,
        now,
        on_error,
        |v, _| on_verdict(v),
    )
}

/// [`decide`] with a given assembler (tests set how often it hands out chains) and whether
/// the entries are kept for the consumer.
#[allow(clippy::too_many_arguments)]
pub(crate) fn decide_with(
    assembler: Assembler<'_>,
    keep_entries: bool,
    items: impl Iterator<Item = Item>,
    rules: &Rules,
    lookup: &Lookup,
    history: &mut History,
    now: Timestamp,
    on_error: impl FnMut(&RowError),
    on_verdict: impl FnMut(Verdict, &chains::Chain),
) -> Stats {
    let events = Intake::with(assembler, items, rules, lookup);
    decide_events(
        events,
        keep_entries,
        rules,
        lookup,
        history,
        now,
        on_error,
        on_verdict,
    )
}

/// The second half of [`decide`]: decides the events of an [`Intake`] (made on this thread
/// or another), in their order. `keep_entries`: see [`decide`] and [`decide_verdicts`].
#[allow(clippy::too_many_arguments)]
pub(crate) fn decide_events(
    events: impl Iterator<Item = Event>,
    keep_entries: bool,
    rules: &Rules,
    lookup: &Lookup,
    history: &mut History,
    now: Timestamp,
    mut on_error: impl FnMut(&RowError),
    mut on_verdict: impl FnMut(Verdict, &chains::Chain),
) -> Stats {
    let mut stats = Stats::default();
    let mut d = Decider {
        rules,
        lookup,
        now,
        callbacks: Callbacks::default(),
        waiting: VecDeque::new(),
        decided: 0,
        keep_entries,
        packing: Vec::new(),
    };
    for event in events {
        match event {
            Event::Error(e) => on_error(&e),
            Event::Callback(number, at) => d.callbacks.record(number.as_ref(), at),
            Event::Online(user, at) => history.record_online(&user, at),
            Event::Chains(closed) => d.add(closed, &mut stats, history, &mut on_verdict, false),
            Event::Done(intake) => {
                // the input is over: nothing waits any more
                d.add(Vec::new(), &mut stats, history, &mut on_verdict, true);
                // the intake counted the rows, the decisions the chains
                return Stats {
                    chains: stats.chains,
                    too_old: stats.too_old,
                    called_back: stats.called_back,
                    ..*intake
                };
            }
        }
    }
    unreachable!("an intake's events end with Done")
}

/// A chain in the decider's queue: as screened at the front, packed while it waits behind
/// another (see [`packed`]); the caller is found again from the facts when it is unpacked.
enum Held {
    /// Boxed: the queue's slots are as small as a packed chain's.
    Open(Box<Screened>),
    Packed {
        facts: Box<[u8]>,
        suppressed_by: Option<Suppression>,
        caller: Option<Number>,
        start: Timestamp,
    },
}

impl Held {
    /// What the queue needs to know of it: its suppression, its caller's number, its start.
    fn key(&self) -> (Option<Suppression>, Option<&Number>, Timestamp) {
        match self {
            Held::Open(s) => (s.suppressed_by, s.caller.number.as_ref(), s.facts.start),
            Held::Packed {
                suppressed_by,
                caller,
                start,
                ..
            } => (*suppressed_by, caller.as_ref(), *start),
        }
    }
}

/// Decides the chains handed out, in their order, holding back those that wait for a
/// callback (§3.8) and every chain after them.
struct Decider<'a> {
    rules: &'a Rules,
    lookup: &'a Lookup,
    now: Timestamp,
    callbacks: Callbacks,
    /// The chains in their turn, each with the entries kept for the consumer (its id is in
    /// its facts).
    waiting: VecDeque<(Held, Vec<Entry>)>,
    decided: u64,
    /// The consumer wants the entries of the chains that may need them (see [`decide`]).
    keep_entries: bool,
    /// A buffer for packing.
    packing: Vec<u8>,
}

impl Decider<'_> {
    /// Takes the chains handed out (in start order); `end`: the input is over, nothing waits.
    fn add(
        &mut self,
        chains: Vec<chains::Chain>,
        stats: &mut Stats,
        history: &mut History,
        on_verdict: &mut impl FnMut(Verdict, &chains::Chain),
        end: bool,
    ) {
        for c in chains {
            stats.chains += 1;
            let facts = chains::facts(&c, self.lookup, self.rules.settle_seconds, self.now);
            // an answered incoming call is a callback for the earlier calls of its number
            if facts.answered {
                self.callbacks.record(facts.caller.as_ref(), facts.start);
            }
            let screened = exceptions::screen(facts, self.rules, self.lookup, self.now);
            let may_need_entries =
                matches!(screened.suppressed_by, None | Some(Suppression::Incomplete));
            // what waits behind a chain that waits for a callback holds no entries it need not
            let entries = if self.keep_entries && may_need_entries {
                c.entries
            } else {
                Vec::new()
            };
            let held = if self.waiting.is_empty() {
                Held::Open(Box::new(screened))
            } else {
                // it waits behind another: held packed
                self.packing.clear();
                packed::pack(&screened.facts, &mut self.packing);
                Held::Packed {
                    facts: self.packing.as_slice().into(),
                    suppressed_by: screened.suppressed_by,
                    caller: screened.facts.caller,
                    start: screened.facts.start,
                }
            };
            self.waiting.push_back((held, entries));
        }
        while let Some((h, _)) = self.waiting.front() {
            let (suppressed_by, number, start) = h.key();
            let awaits = exceptions::awaits_callback(suppressed_by, number, self.rules);
            let keeps = exceptions::keeps_callbacks(suppressed_by, number, self.rules);
            let returned_at = awaits
                .or(keeps)
                .and_then(|n| self.callbacks.after(n, start));
            // a call still ringing waits for the end too: the state keeps its callbacks
            let waits = awaits.is_some() || keeps.is_some();
            if !end && waits && !(awaits.is_some() && returned_at.is_some()) {
                break;
            }
            let (h, entries) = self.waiting.pop_front().expect("a front");
            let s = match h {
                Held::Open(s) => *s,
                Held::Packed {
                    facts,
                    suppressed_by,
                    ..
                } => {
                    let facts = packed::unpack(&facts);
                    Screened {
                        caller: exceptions::caller_of(&facts, self.lookup),
                        facts,
                        suppressed_by,
                    }
                }
            };
            let v = recipients::decide(s, returned_at, self.rules, self.lookup, history);
            match v.suppressed_by {
                Some(Suppression::TooOld) => stats.too_old += 1,
                Some(Suppression::CalledBack) => stats.called_back += 1,
                _ => {}
            }
            let c = chains::Chain {
                id: v.facts.id.clone(),
                entries,
            };
            on_verdict(v, &c);
            self.decided += 1;
            if self.decided.is_multiple_of(1 << 16) {
                history.prune_online(start);
                history.prune_notified(start, self.rules.exceptions.repeated_until_logon);
            }
        }
    }
}

/// The callback a call still ringing keeps in the state (§3.8): an outgoing entry to the caller
/// that connected when they last spoke, so the next run counts it even when its exports no
/// longer hold the entry it came from. None when there is nothing to keep.
pub(crate) fn kept_callback(v: &Verdict, chain: &chains::Chain) -> Option<Entry> {
    let at = v.returned_at?;
    let first = chain.entries.first()?;
    Some(Entry {
        connection_id: format!("callback:{}", chain.id),
        tracker_id: None,
        start: at,
        stop: at,
        connect: Some(at),
        origin: crate::ingest::Origin::Outgoing,
        internal: false,
        user_offline: None,
        phone_number: v.caller.raw.clone(),
        redirecting_number: None,
        contact_name: None,
        contact_company: None,
        acceptor: None,
        tracker_last: false,
        voicemail: false,
        ..first.clone()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::RecipientPolicy;
    use crate::decide::chains::Assembler;
    use crate::decide::testkit::*;
    use crate::ingest::Entry;
    use proptest::prelude::*;

    /// A journal of call clusters: each cluster rings one to four lines around its own time,
    /// tracked or untracked (then sometimes redirected from the previous line); some entries
    /// are outgoing calls (callbacks when they connected).
    fn journal() -> impl Strategy<Value = Vec<Entry>> {
        let one = (
            0u8..7,
            0u8..4,
            0u64..40,
            0u64..60,
            prop::bool::ANY,
            0u8..6,
            prop::bool::ANY,
        );
        let cluster = (
            0u64..5000,
            prop::bool::ANY,
            prop::collection::vec(one, 1..5),
        );
        prop::collection::vec(cluster, 1..25).prop_map(|clusters| {
            let mut out = Vec::new();
            let mut base = t("2026-11-26T06:00:00Z");
            let mut n = 0u64;
            for (ci, (gap, tracked, es)) in clusters.into_iter().enumerate() {
                base += jiff::SignedDuration::from_secs(gap as i64 + 200);
                let mut prev_line: Option<String> = None;
                let mut offset = 0u64;
                for (line, caller, delay, dur, answered, extra, last) in es {
                    n += 1;
                    // distinct start times: ties would be broken by input order
                    offset += delay + 1;
                    let start =
                        base + jiff::SignedDuration::from_millis((offset * 1000 + n) as i64);
                    let stop = start + jiff::SignedDuration::from_secs(dur as i64);
                    let line =
                        ["201", "202", "203", "204", "205", "0171 2222222", "299"][line as usize];
                    let caller =
                        ["030 5550100", "+49 30 5550199", "", "0171 9999999"][caller as usize];
                    let mut e = entry(&format!("e{n}")).line(line).caller(caller);
                    e.start = start;
                    e.stop = stop;
                    if tracked {
                        e = e.tracker(&format!("T{ci}"));
                    } else if let (Some(p), true) = (&prev_line, extra % 2 == 0) {
                        e = e.redirected_from(p);
                    }
                    if answered && extra == 1 {
                        e.connect = Some(start + jiff::SignedDuration::from_secs(1));
                    }
                    if extra == 3 {
                        e = e.acceptor("carl");
                    }
                    if extra == 5 {
                        e = e.online(true);
                    }
                    if extra == 4 && dur % 3 == 0 {
                        e = e.outgoing();
                        if answered {
                            e.connect = Some(start + jiff::SignedDuration::from_secs(2));
                        }
                    }
                    if last {
                        e = e.last();
                    }
                    prev_line = Some(line.to_string());
                    out.push(e);
                }
            }
            out
        })
    }

    fn all_rules() -> Vec<crate::config::Rules> {
        let mut v = Vec::new();
        for (policy, even_if, same_day, until_logon, called_back) in [
            (RecipientPolicy::All, false, false, false, true),
            (RecipientPolicy::First, true, true, false, true),
            (RecipientPolicy::Last, true, false, true, false),
            (RecipientPolicy::All, true, true, true, true),
            (RecipientPolicy::All, true, true, false, false),
        ] {
            let mut r = rules();
            r.recipients = policy;
            r.even_if_answered_elsewhere = even_if;
            r.exceptions.repeated_same_day = same_day;
            r.exceptions.repeated_until_logon = until_logon;
            r.exceptions.called_back = called_back;
            v.push(r);
        }
        v
    }

    /// What `explain --json` shows of a verdict, as one line: two runs decide alike when
    /// these lines are equal.
    fn shown(v: &Verdict) -> String {
        let recipients: Vec<_> = v
            .recipients
            .iter()
            .map(|r| (r.user.as_str(), r.email.as_deref(), r.status.as_str()))
            .collect();
        format!(
            "{} {:?} {} {:?} {:?} {:?} {:?} {:?} {} {:?} {}",
            v.facts.id,
            v.caller.number.as_ref().map(|n| n.as_str()),
            v.facts.start,
            v.facts.answered_by,
            v.facts.not_answered,
            v.suppressed_by.map(|s| s.as_str()),
            recipients,
            v.caller.name,
            v.facts.ring_seconds,
            v.facts.answered_line,
            v.facts.voicemail,
        )
    }

    fn run(entries: Vec<Entry>, rules: &crate::config::Rules, flush_every: usize) -> Vec<String> {
        let l = lookup();
        let items = entries.into_iter().enumerate().map(|(i, mut e)| {
            e.seq = i as u64;
            Item::Entry(Box::new(e))
        });
        let mut out = Vec::new();
        decide_with(
            Assembler::new(&l).flush_every(flush_every),
            true,
            items,
            rules,
            &l,
            &mut History::default(),
            t("2026-11-27T12:00:00Z"),
            |e| panic!("{e}"),
            |v, _| out.push(shown(&v)),
        );
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(96))]

        #[test]
        fn shuffling_rows_never_changes_a_verdict(es in journal(), seed in any::<u64>()) {
            let mut shuffled = es.clone();
            // a deterministic shuffle from the seed
            let mut s = seed | 1;
            for i in (1..shuffled.len()).rev() {
                s ^= s << 13; s ^= s >> 7; s ^= s << 17;
                shuffled.swap(i, (s % (i as u64 + 1)) as usize);
            }
            for r in all_rules() {
                prop_assert_eq!(run(es.clone(), &r, 1_000_000), run(shuffled.clone(), &r, 1_000_000));
            }
        }

        #[test]
        fn streaming_decides_like_reading_everything(es in journal(), every in 1usize..6) {
            for r in all_rules() {
                prop_assert_eq!(run(es.clone(), &r, 1_000_000), run(es.clone(), &r, every));
            }
        }

        #[test]
        fn a_chain_never_notifies_a_user_twice(es in journal()) {
            let l = lookup();
            for r in all_rules() {
                let vs = verdicts_at(es.clone(), &r, &l, &mut History::default(), t("2026-11-27T12:00:00Z"));
                let mut seen = std::collections::HashSet::new();
                for v in &vs {
                    for rec in &v.recipients {
                        prop_assert!(seen.insert((v.facts.id.clone(), rec.user.clone())), "{} twice in {}", rec.user, v.facts.id);
                    }
                }
            }
        }

        #[test]
        fn a_chain_is_never_both_notified_and_returned(es in journal()) {
            // returned, found from the input itself: an outgoing entry to the caller with a
            // connect time that started after the arrival, or an answered chain of the caller
            // that arrived after it
            let l = lookup();
            for r in all_rules().into_iter().filter(|r| r.exceptions.called_back) {
                let vs = verdicts_at(es.clone(), &r, &l, &mut History::default(), t("2026-11-27T12:00:00Z"));
                for v in vs.iter().filter(|v| v.to_notify().next().is_some()) {
                    let n = v.caller.number.as_ref().expect("a notified call has a number");
                    let by_phone = es.iter().any(|e| {
                        e.origin == crate::ingest::Origin::Outgoing
                            && e.connect.is_some()
                            && e.start > v.facts.start
                            && l.plan.normalise(&e.phone_number).as_ref() == Some(n)
                    });
                    let by_call = vs.iter().any(|w| {
                        w.facts.answered && w.facts.start > v.facts.start && w.caller.number.as_ref() == Some(n)
                    });
                    prop_assert!(!by_phone && !by_call, "{} notified, but returned", v.facts.id);
                }
            }
        }

        #[test]
        fn every_incoming_entry_ends_in_exactly_one_chain(es in journal(), every in 1usize..50) {
            let l = lookup();
            let es: Vec<Entry> = es.into_iter().filter(|e| e.is_incoming_call()).collect();
            let mut a = Assembler::new(&l).flush_every(every);
            let mut notices = Vec::new();
            let mut chains = Vec::new();
            for e in es.iter().cloned() {
                chains.extend(a.push(e, &mut notices));
            }
            chains.extend(a.finish());
            prop_assert!(notices.is_empty());
            let mut ids: Vec<&str> = chains.iter().flat_map(|c| c.entries.iter().map(|e| e.connection_id.as_str())).collect();
            ids.sort_unstable();
            let mut want: Vec<&str> = es.iter().map(|e| e.connection_id.as_str()).collect();
            want.sort_unstable();
            prop_assert_eq!(ids, want);
        }
    }

    #[test]
    fn duplicates_count_once_and_late_entries_are_reported() {
        let l = lookup();
        let mut a = Assembler::new(&l).flush_every(1);
        let mut notices = Vec::new();
        let mut chains = Vec::new();
        chains.extend(a.push(entry("a").tracker("T"), &mut notices));
        chains.extend(a.push(entry("a").tracker("T"), &mut notices));
        // two hours later: T is handed out
        chains.extend(a.push(entry("b").ring("11:00:00", "11:00:20"), &mut notices));
        assert_eq!(chains.len(), 1);
        // now a late entry of T, and a duplicate of a
        chains.extend(a.push(entry("c").tracker("T").line("202"), &mut notices));
        chains.extend(a.push(entry("a").tracker("T"), &mut notices));
        assert!(matches!(
            notices[0],
            crate::decide::chains::Notice::Duplicate
        ));
        assert!(matches!(notices[1], crate::decide::chains::Notice::Late(_)));
        assert!(matches!(
            notices[2],
            crate::decide::chains::Notice::Duplicate
        ));
        chains.extend(a.finish());
        assert_eq!(chains.len(), 2);
    }

    #[test]
    fn merge_orders_inputs_by_start() {
        let a: Vec<Item> = vec![
            entry("a1").ring("09:00:00", "09:00:10"),
            entry("a2").ring("09:02:00", "09:02:10"),
        ]
        .into_iter()
        .map(|e| Item::Entry(Box::new(e)))
        .collect();
        let b: Vec<Item> = vec![entry("b1").ring("09:01:00", "09:01:10")]
            .into_iter()
            .map(|e| Item::Entry(Box::new(e)))
            .collect();
        let m = Merge::new(vec![Box::new(a.into_iter()), Box::new(b.into_iter())]);
        let ids: Vec<String> = m
            .map(|i| match i {
                Item::Entry(e) => e.connection_id,
                _ => unreachable!(),
            })
            .collect();
        assert_eq!(ids, vec!["a1", "b1", "a2"]);
    }
}
