//! The decision pipeline over journals: ingest → chains → exceptions/recipients, streaming.
//! Verdicts come out in the order of the chains' start; row problems come out as they are met.
//!
//! `called_back` (SPEC §3.8) counts every callback the run reads, wherever it stands in the
//! input: a chain that would notify someone waits until its call was returned or the input
//! ends, and the chains after it wait behind it (the order of the verdicts is what the
//! repeated rules need). So with the rule on, the run holds the chains from the first one that
//! waits; `too_old` keeps that to the last `max_age_hours` of a long export. Only the chain at
//! the front is held as screened; what waits behind it is a record in the blocks of a
//! [`Queue`]: a byte of flags (its suppression, whether it has entries) and its facts packed
//! ([`super::packed`]), no heap block of its own, and past a budget of memory the full blocks
//! go to an injected [`Overflow`] store (a temporary file, for `run` and `explain`). Its
//! entries are kept, in memory, only when the consumer may need them (a chain that may
//! notify, or is still ringing), and never for `explain` ([`decide_verdicts`]).

use std::collections::{BTreeMap, VecDeque};
use std::iter::Peekable;

use jiff::Timestamp;

use crate::config::Rules;
use crate::decide::chains;
use crate::decide::exceptions::{self, Callbacks, Screened, Suppression};
use crate::decide::intake::{Event, Intake};
use crate::decide::lookup::Lookup;
use crate::decide::packed;
use crate::decide::recipients::{self, History, Verdict};
use crate::decide::spill::{InMemory, Limits, Overflow, Queue};
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
/// chains waiting behind one that waits for a callback (§3.8) hold no entries. What waits is
/// held in memory ([`decide_in`] puts it elsewhere past a budget).
pub(crate) fn decide(
    items: impl Iterator<Item = Item>,
    rules: &Rules,
    lookup: &Lookup,
    history: &mut History,
    now: Timestamp,
    on_error: impl FnMut(&RowError),
    on_verdict: impl FnMut(Verdict, &chains::Chain),
) -> Stats {
    let args = (rules, lookup, history, now);
    let stats = decide_in(InMemory::default(), true, items, args, on_error, on_verdict);
    stats.unwrap_or_else(|never| match never {})
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
    let args = (rules, lookup, history, now);
    let on_verdict = |v, _: &chains::Chain| on_verdict(v);
    let stats = decide_in(
        InMemory::default(),
        false,
        items,
        args,
        on_error,
        on_verdict,
    );
    stats.unwrap_or_else(|never| match never {})
}

/// What deciding needs besides the items: the rules, the directory, the history and *now*.
pub(crate) type Context<'a> = (&'a Rules, &'a Lookup, &'a mut History, Timestamp);

/// [`decide`] (or, without `keep_entries`, [`decide_verdicts`]) with the chains that wait put
/// in `store` past [`Limits::DEFAULT`]'s budget. An error: a block of waiting chains could not
/// be read back, so the chains from there on were not decided (the verdicts given so far
/// stand).
pub(crate) fn decide_in<S: Overflow>(
    store: S,
    keep_entries: bool,
    items: impl Iterator<Item = Item>,
    context: Context<'_>,
    on_error: impl FnMut(&RowError),
    on_verdict: impl FnMut(Verdict, &chains::Chain),
) -> Result<Stats, S::Error> {
    let events = Intake::new(items, context.0, context.1);
    decide_events_in(
        store,
        keep_entries,
        events,
        context,
        None,
        on_error,
        on_verdict,
    )
}

/// How a consumer shows a verdict that no later input can change, as bytes: a chain that
/// waits behind another (§3.8) while its verdict is already settled (it is suppressed, and
/// does not wait for a callback itself) is held as what the consumer makes of it, not as its
/// facts to be decided again. `write` makes the bytes (nothing, for a consumer that drops such
/// verdicts); `take` gets them, in the verdicts' turn, instead of `on_verdict`.
pub(crate) struct Settled<'a> {
    pub(crate) write: &'a dyn Fn(&Verdict, &mut Vec<u8>),
    pub(crate) take: &'a mut dyn FnMut(&[u8]),
}

/// The second half of [`decide_in`]: decides the events of an [`Intake`] (made on this thread
/// or another), in their order. With `settled`, the verdicts it can show are shown through it.
pub(crate) fn decide_events_in<S: Overflow>(
    store: S,
    keep_entries: bool,
    events: impl Iterator<Item = Event>,
    context: Context<'_>,
    settled: Option<Settled<'_>>,
    on_error: impl FnMut(&RowError),
    on_verdict: impl FnMut(Verdict, &chains::Chain),
) -> Result<Stats, S::Error> {
    let waiting = Queue::new(store, Limits::DEFAULT);
    decide_queued(
        keep_entries,
        waiting,
        events,
        context,
        settled,
        on_error,
        on_verdict,
    )
}

/// Decides `events` with the chains that wait in `waiting`.
fn decide_queued<S: Overflow>(
    keep_entries: bool,
    waiting: Queue<S>,
    events: impl Iterator<Item = Event>,
    (rules, lookup, history, now): Context<'_>,
    settled: Option<Settled<'_>>,
    mut on_error: impl FnMut(&RowError),
    mut on_verdict: impl FnMut(Verdict, &chains::Chain),
) -> Result<Stats, S::Error> {
    let mut stats = Stats::default();
    let mut d = Decider {
        rules,
        lookup,
        now,
        callbacks: Callbacks::default(),
        front: None,
        waiting,
        waiting_entries: VecDeque::new(),
        decided: 0,
        keep_entries,
        packing: Vec::new(),
        settled,
    };
    for event in events {
        match event {
            Event::Error(e) => on_error(&e),
            Event::Callback(number, at) => d.callbacks.record(number.as_ref(), at),
            Event::Online(user, at) => history.record_online(&user, at),
            Event::Chains(closed) => d.add(closed, &mut stats, history, &mut on_verdict, false)?,
            Event::Done(intake) => {
                // the input is over: nothing waits any more
                d.finish(&mut stats, history, &mut on_verdict)?;
                // the intake counted the rows, the decisions the chains
                return Ok(Stats {
                    chains: stats.chains,
                    too_old: stats.too_old,
                    called_back: stats.called_back,
                    ..*intake
                });
            }
        }
    }
    unreachable!("an intake's events end with Done")
}

/// The first byte of a waiting chain's record: its suppression (0: none, else 1 + its place
/// in [`SUPPRESSIONS`]) times two, plus one when its entries are kept.
fn flags(suppressed_by: Option<Suppression>, has_entries: bool) -> u8 {
    let code = match suppressed_by {
        None => 0,
        Some(s) => 1 + s as u8,
    };
    let b = code << 1 | u8::from(has_entries);
    debug_assert_eq!(unflag(b), (suppressed_by, has_entries), "in SUPPRESSIONS");
    b
}

/// Every suppression, in the order of their discriminants (the test below checks it).
const SUPPRESSIONS: [Suppression; 12] = [
    Suppression::Incomplete,
    Suppression::TooOld,
    Suppression::Internal,
    Suppression::HiddenNumber,
    Suppression::NoContact,
    Suppression::ShortRing,
    Suppression::ExcludedNumber,
    Suppression::Answered,
    Suppression::Voicemail,
    Suppression::CalledBack,
    Suppression::PolicyNone,
    Suppression::NoRecipient,
];

/// What [`flags`] wrote: the suppression, and whether the entries are kept.
fn unflag(b: u8) -> (Option<Suppression>, bool) {
    let s = match b >> 1 {
        0 => None,
        code => SUPPRESSIONS.get(usize::from(code) - 1).copied(),
    };
    (s, b & 1 == 1)
}

/// Decides the chains handed out, in their order, holding back those that wait for a
/// callback (§3.8) and every chain after them.
struct Decider<'a, 'o, S: Overflow> {
    rules: &'a Rules,
    lookup: &'a Lookup,
    now: Timestamp,
    callbacks: Callbacks,
    /// The chain whose turn it is, as screened, with the entries kept for the consumer (its
    /// id is in its facts).
    front: Option<(Screened, chains::Entries)>,
    /// The chains behind it, in their turn: records of [`flags`] and packed facts.
    waiting: Queue<S>,
    /// The entries kept for the chains in `waiting` that have some, in their turn.
    waiting_entries: VecDeque<chains::Entries>,
    decided: u64,
    /// The consumer wants the entries of the chains that may need them (see [`decide`]).
    keep_entries: bool,
    /// A buffer for packing.
    packing: Vec<u8>,
    /// How the consumer shows a settled verdict, if it can.
    settled: Option<Settled<'o>>,
}

/// The first byte of a record of a settled verdict, as the consumer showed it: its suppression
/// code as [`flags`] writes it, with this bit set. After it: the chain's start (for the
/// history's pruning, in the verdict's turn), then the bytes.
const SHOWN: u8 = 0x80;

impl<S: Overflow> Decider<'_, '_, S> {
    /// Takes the chains handed out (in start order); `end`: the input is over, nothing waits.
    /// An error: waiting chains could not be read back from the store.
    fn add(
        &mut self,
        chains: Vec<chains::Chain>,
        stats: &mut Stats,
        history: &mut History,
        on_verdict: &mut impl FnMut(Verdict, &chains::Chain),
        end: bool,
    ) -> Result<(), S::Error> {
        let mut chains = chains.into_iter().peekable();
        while let Some(c) = chains.next() {
            // the next chain's entries were last read an hour of input ago: asked for now,
            // they arrive while this one is decided
            for e in chains.peek().into_iter().flat_map(|n| &n.entries) {
                e.prefetch();
            }
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
                chains::Entries::new()
            };
            if self.front.is_none() && self.waiting.is_empty() {
                self.front = Some((screened, entries));
                continue;
            }
            // it waits behind another: a record in the queue
            self.packing.clear();
            if let (Some(settled), true) = (&self.settled, entries.is_empty()) {
                if self.settles(&screened) {
                    // its verdict is what it would be in its turn: suppressed, no recipients,
                    // no callback (nothing the history or a later row changes)
                    let (s, start) = (screened.suppressed_by, screened.facts.start);
                    let v = recipients::decide(screened, None, self.rules, self.lookup, history);
                    self.packing.push(SHOWN | flags(s, false));
                    self.packing
                        .extend_from_slice(&start.as_second().to_le_bytes());
                    self.packing
                        .extend_from_slice(&start.subsec_nanosecond().to_le_bytes());
                    (settled.write)(&v, &mut self.packing);
                    self.waiting.push(&self.packing);
                    continue;
                }
            }
            self.packing
                .push(flags(screened.suppressed_by, !entries.is_empty()));
            packed::pack(&screened.facts, &mut self.packing);
            self.waiting.push(&self.packing);
            if !entries.is_empty() {
                self.waiting_entries.push_back(entries);
            }
        }
        loop {
            if self.front.is_none() {
                let Some(record) = self.waiting.pop()? else {
                    break;
                };
                match read_back(record, &mut self.waiting_entries) {
                    Back::Shown(shown) => {
                        if let Some(settled) = &mut self.settled {
                            (settled.take)(shown.bytes);
                        }
                        if shown.suppressed_by == Some(Suppression::TooOld) {
                            stats.too_old += 1;
                        }
                        count_decided(&mut self.decided, self.rules, shown.start, history);
                        continue;
                    }
                    Back::Held(held) => self.front = Some(held.screened(self.lookup)),
                }
            }
            let Some((s, _)) = &self.front else {
                break;
            };
            let callback = callback_of(s, self.rules, &self.callbacks);
            if !end && callback.waits {
                break;
            }
            let Some((s, entries)) = self.front.take() else {
                break;
            };
            let start = s.facts.start;
            let args = (self.rules, self.lookup, &mut *history);
            give(s, entries, callback.returned_at, args, stats, on_verdict);
            count_decided(&mut self.decided, self.rules, start, history);
        }
        Ok(())
    }

    /// The input is over: every chain still held gets its verdict, in its turn. With
    /// `called_back`, one call that was never returned holds every later one to here, so
    /// this may be most of the run's verdicts: past [`Limits::read_apart`] of them, the
    /// records are read back and unpacked on a thread of their own while this one decides
    /// and shows them (the grouping's thread is done by now, so its core is free). The
    /// verdicts, their order and the counts are those of [`Decider::add`] with `end`.
    fn finish(
        &mut self,
        stats: &mut Stats,
        history: &mut History,
        on_verdict: &mut impl FnMut(Verdict, &chains::Chain),
    ) -> Result<(), S::Error> {
        if self.waiting.len() < self.waiting.limits().read_apart {
            return self.add(Vec::new(), stats, history, on_verdict, true);
        }
        // the front was read back already
        if let Some((s, entries)) = self.front.take() {
            let start = s.facts.start;
            let returned_at = callback_of(&s, self.rules, &self.callbacks).returned_at;
            let args = (self.rules, self.lookup, &mut *history);
            give(s, entries, returned_at, args, stats, on_verdict);
            count_decided(&mut self.decided, self.rules, start, history);
        }
        let Decider {
            rules,
            lookup,
            callbacks,
            waiting,
            waiting_entries,
            decided,
            settled,
            ..
        } = self;
        let (rules, lookup, callbacks) = (*rules, *lookup, &*callbacks);
        #[cfg(test)]
        READ_APART.with(|n| n.set(n.get() + 1));
        let (to_decide, batches) = std::sync::mpsc::sync_channel::<Batch>(8);
        std::thread::scope(|scope| {
            let reading = std::thread::Builder::new()
                .name("held".into())
                .spawn_scoped(scope, move || {
                    let mut batch = Batch::new();
                    loop {
                        let record = match waiting.pop() {
                            Ok(Some(record)) => record,
                            Ok(None) => break,
                            Err(e) => {
                                // what was read before stands, as it would have in turn
                                let _ = to_decide.send(batch);
                                return Err(e);
                            }
                        };
                        let ready = match read_back(record, waiting_entries) {
                            Back::Shown(shown) => {
                                batch.shown.extend_from_slice(shown.bytes);
                                Ready::Shown {
                                    suppressed_by: shown.suppressed_by,
                                    start: shown.start,
                                    to: batch.shown.len(),
                                }
                            }
                            Back::Held(held) => {
                                // screened here, and what §3.8 says of it: the input is over,
                                // so the callbacks no longer change (the deciding thread
                                // keeps only what needs the history, in turn)
                                let (s, entries) = held.screened(lookup);
                                let returned_at = callback_of(&s, rules, callbacks).returned_at;
                                batch.held.push((s, entries, returned_at));
                                Ready::Held
                            }
                        };
                        batch.ready.push(ready);
                        if batch.ready.len() == Batch::LEN
                            && to_decide
                                .send(std::mem::replace(&mut batch, Batch::new()))
                                .is_err()
                        {
                            break;
                        }
                    }
                    // (the deciding side reads to the end, so the last batch always arrives)
                    let _ = to_decide.send(batch);
                    Ok(())
                })
                .expect("a thread to read back the chains held to the end");
            for batch in batches {
                let mut from = 0;
                let mut held = batch.held.into_iter();
                for ready in batch.ready {
                    match ready {
                        Ready::Shown {
                            suppressed_by,
                            start,
                            to,
                        } => {
                            if let Some(settled) = settled.as_mut() {
                                (settled.take)(&batch.shown[from..to]);
                            }
                            from = to;
                            if suppressed_by == Some(Suppression::TooOld) {
                                stats.too_old += 1;
                            }
                            count_decided(decided, rules, start, history);
                        }
                        Ready::Held => {
                            let held = held.next().expect("one for each Ready::Held");
                            let (s, entries, returned_at) = held;
                            let start = s.facts.start;
                            let args = (rules, lookup, &mut *history);
                            give(s, entries, returned_at, args, stats, on_verdict);
                            count_decided(decided, rules, start, history);
                        }
                    }
                }
            }
            reading
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        })
    }

    /// A chain held behind another has a verdict now that no later input changes: it is
    /// suppressed (the first exceptions, before §3.8), and does not wait for a callback,
    /// neither as a call that may notify nor as one still ringing.
    fn settles(&self, s: &Screened) -> bool {
        let (suppressed_by, number) = (s.suppressed_by, s.caller.number.as_ref());
        suppressed_by.is_some()
            && exceptions::awaits_callback(suppressed_by, number, self.rules).is_none()
            && exceptions::keeps_callbacks(suppressed_by, number, self.rules).is_none()
    }
}

/// A record of the queue read back. (A value returned and matched at once: boxing the larger
/// variant would only add an allocation per chain.)
#[allow(clippy::large_enum_variant)]
enum Back<'r> {
    /// A settled verdict, as the consumer showed it.
    Shown(Shown<'r>),
    /// A chain to decide in its turn.
    Held(Held),
}

/// A settled verdict read back: what [`SHOWN`] records hold.
struct Shown<'r> {
    suppressed_by: Option<Suppression>,
    start: Timestamp,
    bytes: &'r [u8],
}

/// A chain read back to be decided: its facts unpacked, with the entries kept for it.
struct Held {
    /// (Boxed: a chain's facts are some 500 bytes, and a held chain is handed on four times
    /// before it is shown: moving them took a fifth of the end of a run.)
    facts: Box<chains::Facts>,
    suppressed_by: Option<Suppression>,
    entries: chains::Entries,
}

impl Held {
    /// The chain as screened when it was held (its caller looked up again), and its entries.
    fn screened(self, lookup: &Lookup) -> (Screened, chains::Entries) {
        let s = Screened {
            caller: exceptions::caller_of(&self.facts, lookup),
            facts: self.facts,
            suppressed_by: self.suppressed_by,
        };
        (s, self.entries)
    }
}

/// A record of the queue (as [`Decider::add`] writes them) read back; the entries of a chain
/// that has some are the next ones of `waiting_entries`.
fn read_back<'r>(record: &'r [u8], waiting_entries: &mut VecDeque<chains::Entries>) -> Back<'r> {
    if record[0] & SHOWN != 0 {
        let (suppressed_by, _) = unflag(record[0] & !SHOWN);
        let (start, bytes) = record[1..].split_at(12);
        let (secs, nanos) = start.split_at(8);
        let secs = i64::from_le_bytes(secs.try_into().expect("8 bytes"));
        let nanos = i32::from_le_bytes(nanos.try_into().expect("4 bytes"));
        let start = Timestamp::new(secs, nanos).expect("a start written by add");
        return Back::Shown(Shown {
            suppressed_by,
            start,
            bytes,
        });
    }
    let (suppressed_by, has_entries) = unflag(record[0]);
    let facts = Box::new(packed::unpack(&record[1..]));
    let entries = if has_entries {
        waiting_entries.pop_front().expect("kept in turn")
    } else {
        chains::Entries::new()
    };
    Back::Held(Held {
        facts,
        suppressed_by,
        entries,
    })
}

/// What §3.8 says of a screened chain now.
struct CallbackNow {
    /// When its call was returned, as far as the input read so far shows.
    returned_at: Option<Timestamp>,
    /// It waits for a later callback (or, still ringing, for the end, so that the state keeps
    /// its callbacks) unless the input is over.
    waits: bool,
}

fn callback_of(s: &Screened, rules: &Rules, callbacks: &Callbacks) -> CallbackNow {
    let (suppressed_by, number) = (s.suppressed_by, s.caller.number.as_ref());
    let awaits = exceptions::awaits_callback(suppressed_by, number, rules);
    let keeps = exceptions::keeps_callbacks(suppressed_by, number, rules);
    let returned_at = awaits
        .or(keeps)
        .and_then(|n| callbacks.after(n, s.facts.start));
    // a call still ringing waits for the end too: the state keeps its callbacks
    let returned = awaits.is_some() && returned_at.is_some();
    let waits = (awaits.is_some() || keeps.is_some()) && !returned;
    CallbackNow { returned_at, waits }
}

/// Gives a screened chain its verdict, counts it and hands it to the consumer.
fn give(
    s: Screened,
    entries: chains::Entries,
    returned_at: Option<Timestamp>,
    (rules, lookup, history): (&Rules, &Lookup, &mut History),
    stats: &mut Stats,
    on_verdict: &mut impl FnMut(Verdict, &chains::Chain),
) {
    let v = recipients::decide(s, returned_at, rules, lookup, history);
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
}

/// Counts a verdict given for a chain that started at `start`; now and then the history
/// forgets what no later chain needs.
fn count_decided(decided: &mut u64, rules: &Rules, start: Timestamp, history: &mut History) {
    *decided += 1;
    if decided.is_multiple_of(1 << 16) {
        history.prune_online(start);
        history.prune_notified(start, rules.exceptions.repeated_until_logon);
    }
}

#[cfg(test)]
thread_local! {
    /// How often [`Decider::finish`] read the chains held back on a thread of their own.
    static READ_APART: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Records read back at the end of the input ([`Decider::finish`]), sent to be decided.
struct Batch {
    /// The bytes of the settled verdicts, one after the other.
    shown: Vec<u8>,
    /// The chains to decide, one after the other: screened, and when their call was returned.
    held: Vec<(Screened, chains::Entries, Option<Timestamp>)>,
    /// What each record is, in their order.
    ready: Vec<Ready>,
}

impl Batch {
    const LEN: usize = 256;

    /// Sized at once for a batch (grown one record at a time, its lists were copied some
    /// 35 times per batch, on the thread the end of a run waits for).
    fn new() -> Batch {
        Batch {
            shown: Vec::with_capacity(Self::LEN * 256),
            held: Vec::with_capacity(Self::LEN),
            ready: Vec::with_capacity(Self::LEN),
        }
    }
}

enum Ready {
    /// A settled verdict: its bytes end at `to` in [`Batch::shown`] (and begin where the
    /// previous one's end).
    Shown {
        suppressed_by: Option<Suppression>,
        start: Timestamp,
        to: usize,
    },
    /// The next of [`Batch::held`].
    Held,
}

/// The callback a call still ringing keeps in the state (§3.8): an outgoing entry to the caller
/// that connected when they last spoke, so the next run counts it even when its exports no
/// longer hold the entry it came from. None when there is nothing to keep.
pub(crate) fn kept_callback(v: &Verdict, chain: &chains::Chain) -> Option<Entry> {
    let at = v.returned_at?;
    let first = chain.entries.first()?;
    Some(Entry {
        connection_id: compact_str::format_compact!("callback:{}", chain.id),
        tracker_id: None,
        start: at,
        stop: at,
        connect: Some(at),
        origin: crate::ingest::Origin::Outgoing,
        internal: false,
        user_offline: None,
        phone_number: v.caller.raw.as_str().into(),
        redirecting_number: None,
        contact_name: None,
        contact_company: None,
        acceptor: None,
        tracker_last: false,
        voicemail: false,
        ..(**first).clone()
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
        let (shown, _) = run_in(entries, rules, flush_every, Limits::DEFAULT);
        shown.into_iter().map(|(v, _)| v).collect()
    }

    /// [`run`] with the chains that wait in a queue of these limits, each verdict with the
    /// number of entries that came with it; the blocks that went to the store.
    fn run_in(
        entries: Vec<Entry>,
        rules: &crate::config::Rules,
        flush_every: usize,
        limits: Limits,
    ) -> (Vec<(String, usize)>, u64) {
        let (shown, _, puts, _) = run_with(entries, rules, flush_every, limits, false);
        (shown, puts)
    }

    /// [`run_in`], and with `settle` the verdicts settled while they wait shown through
    /// [`Settled`] (as [`shown`] writes them, with no entries); the statistics, and how many
    /// verdicts were settled.
    fn run_with(
        entries: Vec<Entry>,
        rules: &crate::config::Rules,
        flush_every: usize,
        limits: Limits,
        settle: bool,
    ) -> (Vec<(String, usize)>, Stats, u64, usize) {
        let l = lookup();
        let items = entries.into_iter().enumerate().map(|(i, mut e)| {
            e.seq = i as u64;
            Item::Entry(Box::new(e))
        });
        let out = std::cell::RefCell::new(Vec::new());
        let mut settled = 0;
        let mut take = |b: &[u8]| {
            settled += 1;
            let line = String::from_utf8(b.to_vec()).expect("written as text");
            out.borrow_mut().push((line, 0));
        };
        let write = |v: &Verdict, b: &mut Vec<u8>| b.extend_from_slice(shown(v).as_bytes());
        let mut store = InMemory::default();
        // a small flush interval comes with small caches: the numbers no open entry holds are
        // forgotten, and the index records of entries handed out swept, every few entries
        let assembler = Assembler::new(&l)
            .flush_every(flush_every)
            .small_caches(flush_every);
        // the decisions with a given assembler and a queue of the given limits
        let stats = decide_queued(
            true,
            Queue::new(&mut store, limits),
            Intake::with(assembler, items, rules, &l),
            (
                rules,
                &l,
                &mut History::default(),
                t("2026-11-27T12:00:00Z"),
            ),
            settle.then_some(Settled {
                write: &write,
                take: &mut take,
            }),
            |e| panic!("{e}"),
            |v, c| out.borrow_mut().push((shown(&v), c.entries.len())),
        );
        let stats = stats.unwrap_or_else(|never| match never {});
        (out.into_inner(), stats, store.puts, settled)
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
        fn spilling_never_changes_a_verdict(
            es in journal(), every in 1usize..6, block_bytes in 1usize..400, budget in 0usize..800,
            read_apart in 0usize..4,
        ) {
            // the verdicts and the entries that come with them, with every block in memory
            // and with blocks of any size past any budget going to the store, and the chains
            // held to the end read back on this thread or on one of their own
            let small = Limits { block_bytes, budget, read_apart };
            for r in all_rules() {
                let (want, _) = run_in(es.clone(), &r, every, Limits::DEFAULT);
                let (got, _) = run_in(es.clone(), &r, every, small);
                prop_assert_eq!(want, got);
            }
        }

        #[test]
        fn a_verdict_settled_while_it_waits_is_shown_as_in_its_turn(
            es in journal(), every in 1usize..6, block_bytes in 1usize..400, budget in 0usize..800,
            read_apart in 0usize..4,
        ) {
            // shown through `Settled` or given in its turn: the same verdicts in the same
            // order, the same counts, wherever the blocks of the queue are and whichever thread
            // reads them back at the end
            let small = Limits { block_bytes, budget, read_apart };
            for r in all_rules() {
                let (want, want_stats, _, none) = run_with(es.clone(), &r, every, Limits::DEFAULT, false);
                let (got, got_stats, _, _) = run_with(es.clone(), &r, every, small, true);
                prop_assert_eq!(none, 0);
                prop_assert_eq!(want, got);
                prop_assert_eq!(want_stats, got_stats);
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
            let mut a = Assembler::new(&l).flush_every(every).small_caches(every);
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
    fn every_suppression_has_its_flags() {
        for (i, s) in SUPPRESSIONS.iter().enumerate() {
            assert_eq!(*s as usize, i, "{}", s.as_str());
            for has_entries in [false, true] {
                assert_eq!(
                    unflag(flags(Some(*s), has_entries)),
                    (Some(*s), has_entries)
                );
            }
        }
        assert_eq!(unflag(flags(None, true)), (None, true));
        assert_eq!(unflag(flags(None, false)), (None, false));
        // the mark of a settled verdict's record is no record's flags
        for s in SUPPRESSIONS.iter().map(|s| Some(*s)).chain([None]) {
            for has_entries in [false, true] {
                assert_eq!(flags(s, has_entries) & SHOWN, 0);
            }
        }
    }

    #[test]
    fn what_waits_behind_a_call_is_settled_when_nothing_can_change_it() {
        // the first call waits for its callback to the end; behind it an answered call and a
        // hidden one are settled, the call that may notify is not, and a call of the first
        // caller (answered: a callback for it) is settled too
        let mut es = vec![entry("first").caller("030 5550100")];
        for (i, (caller, answered)) in [
            ("0171 9999999", true),
            ("", false),
            ("0171 8888888", false),
            ("030 5550100", true),
        ]
        .into_iter()
        .enumerate()
        {
            let mut e = entry(&format!("e{i}")).caller(caller);
            e.start += jiff::SignedDuration::from_secs(600 * (i as i64 + 1));
            e.stop = e.start + jiff::SignedDuration::from_secs(20);
            if answered {
                e.connect = Some(e.start + jiff::SignedDuration::from_secs(5));
            }
            es.push(e);
        }
        let mut r = rules();
        r.max_age_hours = 0;
        let (want, want_stats, _, _) = run_with(es.clone(), &r, 1, Limits::DEFAULT, false);
        let (got, got_stats, _, settled) = run_with(es.clone(), &r, 1, Limits::DEFAULT, true);
        assert_eq!(settled, 3, "{got:?}");
        assert_eq!(got, want);
        assert_eq!(got_stats, want_stats);
        let order: Vec<&str> = got
            .iter()
            .map(|(v, _)| v.split(' ').next().unwrap_or_default())
            .collect();
        assert_eq!(order, ["first", "e0", "e1", "e2", "e3"]);
        // too old: settled, and counted in its turn
        r.max_age_hours = 1;
        let (want, want_stats, _, _) = run_with(es.clone(), &r, 1, Limits::DEFAULT, false);
        let (got, got_stats, _, _) = run_with(es, &r, 1, Limits::DEFAULT, true);
        assert_eq!((got, got_stats.too_old), (want, want_stats.too_old));
        assert!(got_stats.too_old > 0);
    }

    #[test]
    fn chains_that_wait_go_to_the_store_past_the_budget() {
        // a notifying call waits to the end for its callback; the 30 after it wait behind it
        let mut es = vec![entry("first").caller("030 5550100")];
        for i in 0..30 {
            let mut e = entry(&format!("e{i}")).caller("0171 9999999");
            e.start += jiff::SignedDuration::from_secs(600 * (i + 1));
            e.stop = e.start + jiff::SignedDuration::from_secs(20);
            es.push(e);
        }
        let mut r = rules();
        r.max_age_hours = 0;
        let (want, none) = run_in(es.clone(), &r, 1, Limits::DEFAULT);
        let tiny = Limits {
            block_bytes: 64,
            budget: 0,
            ..Limits::DEFAULT
        };
        let (got, puts) = run_in(es, &r, 1, tiny);
        assert_eq!(want.len(), 31);
        assert_eq!(want, got);
        assert_eq!(none, 0);
        assert!(puts >= 25, "{puts} blocks spilled");
    }

    #[test]
    fn the_chains_held_to_the_end_are_decided_alike_on_a_thread_of_their_own() {
        // a notifying call waits to the end for its callback; behind it, calls that notify,
        // calls whose verdict is settled (hidden numbers) and one returned by a later call
        let mut es = vec![entry("first").caller("030 5550100")];
        for i in 0..40 {
            let caller = match i % 4 {
                0 => "",
                1 => "0171 5550101",
                _ => &format!("0171 {:07}", 1000 + i),
            };
            let mut e = entry(&format!("e{i}")).caller(caller);
            e.start += jiff::SignedDuration::from_secs(600 * (i + 1));
            e.stop = e.start + jiff::SignedDuration::from_secs(20);
            if i == 37 {
                // 0171 5550101 calls again and is answered: its earlier calls were returned
                e.connect = Some(e.start + jiff::SignedDuration::from_secs(5));
            }
            es.push(e);
        }
        let mut r = rules();
        r.max_age_hours = 0;
        let apart = |read_apart, budget| Limits {
            block_bytes: 64,
            budget,
            read_apart,
        };
        for settle in [false, true] {
            let before = READ_APART.with(|n| n.get());
            let (want, want_stats, _, want_settled) =
                run_with(es.clone(), &r, 1, Limits::DEFAULT, settle);
            assert_eq!(
                READ_APART.with(|n| n.get()),
                before,
                "41 chains: read back here"
            );
            assert_eq!(want.len(), 41);
            assert!(want_stats.called_back > 0 && want_stats.called_back < 10);
            assert_eq!(want_settled > 0, settle);
            for limits in [apart(0, 0), apart(1, 1 << 20), apart(16, 0)] {
                let got = run_with(es.clone(), &r, 1, limits, settle);
                assert_eq!(
                    (got.0, got.1, got.3),
                    (want.clone(), want_stats.clone(), want_settled)
                );
            }
            assert_eq!(
                READ_APART.with(|n| n.get()),
                before + 3,
                "read apart each time"
            );
        }
    }

    /// A store that loses its blocks after giving back `left` of them.
    struct Loses {
        blocks: VecDeque<Vec<u8>>,
        left: usize,
    }

    impl Overflow for Loses {
        type Slot = ();
        type Error = &'static str;
        fn put(&mut self, block: Vec<u8>) -> Result<(), Vec<u8>> {
            self.blocks.push_back(block);
            Ok(())
        }
        fn take(&mut self, (): ()) -> Result<Vec<u8>, &'static str> {
            if self.left == 0 {
                return Err("lost");
            }
            self.left -= 1;
            Ok(self.blocks.pop_front().expect("put before"))
        }
    }

    #[test]
    fn a_block_lost_ends_the_verdicts_where_it_begins_on_either_thread() {
        // a notifying call waits to the end; the 40 after it go to the store in small blocks,
        // and the store loses them after the fourth: the verdicts before the lost block are
        // given, then the error, whichever thread reads them back
        let mut es = vec![entry("first").caller("030 5550100")];
        for i in 0..40 {
            let mut e = entry(&format!("e{i}")).caller(&format!("0171 {:07}", 1000 + i));
            e.start += jiff::SignedDuration::from_secs(600 * (i + 1));
            e.stop = e.start + jiff::SignedDuration::from_secs(20);
            es.push(e);
        }
        let mut r = rules();
        r.max_age_hours = 0;
        let l = lookup();
        let decide_with = |read_apart| {
            let items = es.clone().into_iter().enumerate().map(|(i, mut e)| {
                e.seq = i as u64;
                Item::Entry(Box::new(e))
            });
            let mut store = Loses {
                blocks: VecDeque::new(),
                left: 4,
            };
            let limits = Limits {
                block_bytes: 64,
                budget: 0,
                read_apart,
            };
            let mut out = Vec::new();
            let result = decide_queued(
                true,
                Queue::new(&mut store, limits),
                Intake::with(Assembler::new(&l).flush_every(1), items, &r, &l),
                (&r, &l, &mut History::default(), t("2026-11-27T12:00:00Z")),
                None,
                |e| panic!("{e}"),
                |v, _| out.push(shown(&v)),
            );
            (out, result.err())
        };
        let (here, here_error) = decide_with(usize::MAX);
        let (apart, apart_error) = decide_with(0);
        assert_eq!(here_error, Some("lost"));
        assert!(here.len() > 1 && here.len() < 41, "{} verdicts", here.len());
        assert_eq!((apart, apart_error), (here, here_error));
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
    fn a_tracker_id_that_names_a_chain_handed_out_before_any_tracker_id_came_is_late() {
        // untracked chains are handed out while no entry has had a tracker id; the first
        // tracked entry names one of them by its id (its first connection id): late
        let l = lookup();
        let mut a = Assembler::new(&l).flush_every(1);
        let mut notices = Vec::new();
        let mut chains = Vec::new();
        chains.extend(a.push(entry("x").ring("08:00:00", "08:00:20"), &mut notices));
        chains.extend(a.push(entry("y").ring("09:30:00", "09:30:20"), &mut notices));
        assert_eq!(chains.len(), 1, "x is handed out");
        chains.extend(a.push(
            entry("c").tracker("x").ring("09:31:00", "09:31:20"),
            &mut notices,
        ));
        assert!(
            matches!(&notices[..], [crate::decide::chains::Notice::Late(_)]),
            "{notices:?}"
        );
        // an id not handed out is a new chain; y's id, handed out after that, is late too
        chains.extend(a.push(
            entry("d").tracker("T").ring("09:32:00", "09:32:20"),
            &mut notices,
        ));
        chains.extend(a.push(entry("e").ring("11:00:00", "11:00:20"), &mut notices));
        chains.extend(a.push(
            entry("f").tracker("y").ring("11:01:00", "11:01:20"),
            &mut notices,
        ));
        assert_eq!(notices.len(), 2, "{notices:?}");
        assert!(matches!(notices[1], crate::decide::chains::Notice::Late(_)));
        chains.extend(a.finish());
        let ids: Vec<&str> = chains.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["x", "y", "T", "e"]);
    }

    #[test]
    fn connection_ids_are_forgotten_two_windows_after_they_stop() {
        let l = lookup();
        let mut a = Assembler::new(&l).flush_every(1);
        let mut notices = Vec::new();
        let mut chains = Vec::new();
        chains.extend(a.push(entry("a").ring("08:00:00", "08:00:20"), &mut notices));
        // 90 minutes on: a is handed out, and still known
        chains.extend(a.push(entry("b").ring("09:30:00", "09:30:20"), &mut notices));
        chains.extend(a.push(entry("a").ring("08:00:00", "08:00:20"), &mut notices));
        assert_eq!(chains.len(), 1);
        assert_eq!(notices, vec![crate::decide::chains::Notice::Duplicate]);
        // three hours on: forgotten, so a is read as a new entry (its own chain again)
        chains.extend(a.push(entry("c").ring("11:00:00", "11:00:20"), &mut notices));
        chains.extend(a.push(entry("a").ring("08:00:00", "08:00:20"), &mut notices));
        assert_eq!(notices.len(), 1, "{notices:?}");
        chains.extend(a.finish());
        let ids: Vec<&str> = chains.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["a", "b", "a", "c"]);
    }

    #[test]
    fn an_entry_of_an_open_chain_is_never_forgotten() {
        // call T rings at 08:00 and again at 10:30 (a long call, transferred): at 11:00 its
        // first entry stopped three hours ago, but the chain is still open
        let l = lookup();
        let mut a = Assembler::new(&l).flush_every(1);
        let mut notices = Vec::new();
        let mut chains = Vec::new();
        let first = || entry("a").tracker("T").ring("08:00:00", "08:00:20");
        chains.extend(a.push(first(), &mut notices));
        chains.extend(a.push(
            entry("b").tracker("T").ring("10:30:00", "10:30:20"),
            &mut notices,
        ));
        chains.extend(a.push(entry("x").ring("11:00:00", "11:00:20"), &mut notices));
        chains.extend(a.push(first(), &mut notices));
        assert_eq!(notices, vec![crate::decide::chains::Notice::Duplicate]);
        chains.extend(a.finish());
        let sizes: Vec<(&str, usize)> = chains
            .iter()
            .map(|c| (c.id.as_str(), c.entries.len()))
            .collect();
        assert_eq!(sizes, [("T", 2), ("x", 1)]);
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
                Item::Entry(e) => e.connection_id.to_string(),
                _ => unreachable!(),
            })
            .collect();
        assert_eq!(ids, vec!["a1", "b1", "a2"]);
    }
}
