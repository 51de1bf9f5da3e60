//! The first half of the decision stream: items in, events out. Each item is counted, an
//! outgoing call noted as a possible callback, a logged-on entry noted, and an incoming call
//! pushed into the [`Assembler`]; what comes out (row problems, callbacks, logons, chains
//! handed out) is an [`Event`], in exactly the order the single loop over the items met it.
//! [`super::stream`] decides the events; the two halves may run on two threads (the events
//! are `Send`), and the verdicts are the same either way.

use std::collections::VecDeque;

use jiff::Timestamp;

use crate::config::Rules;
use crate::decide::chains::{self, Assembler, Chain, Notice};
use crate::decide::lookup::Lookup;
use crate::decide::numbers::Number;
use crate::decide::stream::Stats;
use crate::directory::UserKey;
use crate::ingest::{Entry, Item, Origin, RowError};

/// What the intake hands the decisions, in input order.
#[derive(Debug)]
pub(crate) enum Event {
    /// A row problem (a rejected row, or an entry that came after its chain was decided).
    Error(RowError),
    /// An outgoing call that connected (§3.8): a callback to this number (None: hidden).
    Callback(Option<Number>, Timestamp),
    /// A journal entry says this user was logged on (§3.11).
    Online(UserKey, Timestamp),
    /// Chains handed out, in start order; empty: a callback was read since the chains were
    /// last handed on, so the chain at the front, which may wait for one, may be decided now.
    /// (Nothing else frees it before the end, so an entry that closed no chain after no
    /// callback makes no event.)
    Chains(Vec<Chain>),
    /// The input is over; what the intake counted. Always the last event.
    Done(Box<Stats>),
}

/// The events of `items` (see the module). Ends with [`Event::Done`].
pub(crate) struct Intake<'a, I> {
    items: Option<I>,
    assembler: Assembler<'a>,
    rules: &'a Rules,
    lookup: &'a Lookup,
    stats: Stats,
    notices: Vec<Notice>,
    out: VecDeque<Event>,
    /// A callback was handed on since the last [`Event::Chains`].
    callback_since_chains: bool,
}

impl<'a, I: Iterator<Item = Item>> Intake<'a, I> {
    pub(crate) fn new(items: I, rules: &'a Rules, lookup: &'a Lookup) -> Self {
        Intake::with(Assembler::new(lookup), items, rules, lookup)
    }

    /// With a given assembler (tests set how often it hands out chains).
    pub(crate) fn with(
        assembler: Assembler<'a>,
        items: I,
        rules: &'a Rules,
        lookup: &'a Lookup,
    ) -> Self {
        Intake {
            items: Some(items),
            assembler,
            rules,
            lookup,
            stats: Stats::default(),
            notices: Vec::new(),
            out: VecDeque::new(),
            callback_since_chains: false,
        }
    }

    /// Takes one item; its events go to `out`.
    fn take(&mut self, item: Item) {
        let stats = &mut self.stats;
        match item {
            Item::Error(e) => {
                stats.rejected += 1;
                self.out.push_back(Event::Error(e));
            }
            Item::Skipped { reason, .. } => *stats.skipped.entry(reason).or_default() += 1,
            Item::Entry(e) => {
                stats.entries += 1;
                self.note_online(&e);
                let stats = &mut self.stats;
                if !e.is_incoming_call() {
                    if e.origin == Origin::Outgoing {
                        stats.outgoing += 1;
                        // an outgoing phone entry with a connect time is a callback (§3.8)
                        if e.connect.is_some() && matches!(e.call_type, 0 | 7) {
                            // normalised; a hidden number is None and never matches
                            let n = self.lookup.plan.normalise(&e.phone_number);
                            self.out.push_back(Event::Callback(n, e.start));
                            self.callback_since_chains = true;
                        }
                    } else {
                        stats.other_types += 1;
                    }
                    return;
                }
                stats.incoming += 1;
                let closed = self.assembler.push(e, &mut self.notices);
                for n in self.notices.drain(..) {
                    match n {
                        Notice::Duplicate => self.stats.duplicates += 1,
                        Notice::Late(e) => {
                            self.stats.late += 1;
                            self.out.push_back(Event::Error(e));
                        }
                    }
                }
                // even when none closed, after a callback: the chain waiting at the front
                // may be decided now
                if !closed.is_empty() || self.callback_since_chains {
                    self.callback_since_chains = false;
                    self.out.push_back(Event::Chains(closed));
                }
            }
        }
    }

    /// The one place an entry's "logged on" is noted: for this run's decisions (an event) and,
    /// when asked, in the statistics' `logons` (latest per user, for the state).
    fn note_online(&mut self, e: &Entry) {
        if e.user_offline != Some(false) {
            return;
        }
        let Some(user) = chains::owner(e, self.lookup) else {
            return;
        };
        let user = UserKey::of(&user);
        if self.rules.exceptions.repeated_until_logon {
            let t = self.stats.logons.entry(user.clone()).or_insert(e.start);
            *t = (*t).max(e.start);
        }
        self.out.push_back(Event::Online(user, e.start));
    }
}

impl<I: Iterator<Item = Item>> Iterator for Intake<'_, I> {
    type Item = Event;

    fn next(&mut self) -> Option<Event> {
        loop {
            if let Some(ev) = self.out.pop_front() {
                return Some(ev);
            }
            let items = self.items.as_mut()?;
            match items.next() {
                Some(item) => self.take(item),
                None => {
                    self.items = None;
                    let rest = self.assembler.finish();
                    self.out.push_back(Event::Chains(rest));
                    let stats = std::mem::take(&mut self.stats);
                    self.out.push_back(Event::Done(Box::new(stats)));
                }
            }
        }
    }
}
