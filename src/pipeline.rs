//! The decision pipeline over journals: ingest → chains → exceptions/recipients, streaming.
//! Verdicts come out in the order of the chains' start; row problems come out as they are met.

use std::collections::BTreeMap;
use std::iter::Peekable;

use jiff::Timestamp;

use crate::chains::{self, Assembler, Notice};
use crate::config::Rules;
use crate::journal::{Entry, Item, RowError};
use crate::lookup::Lookup;
use crate::policy::{self, History, Verdict};

/// What the run saw, for the summary. Nothing read is left uncounted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    /// Entries read (all directions and call types).
    pub entries: u64,
    /// Entries that take part in chains (incoming phone calls).
    pub incoming: u64,
    /// Outgoing entries (read, never notify).
    pub outgoing: u64,
    /// Entries of other call types (chats, SMS, …), ignored by the rules.
    pub other_types: u64,
    /// Rows that are not entries of anyone, by reason.
    pub skipped: BTreeMap<&'static str, u64>,
    /// Rows rejected with an error.
    pub rejected: u64,
    /// Entries read twice (overlapping exports); the first counts.
    pub duplicates: u64,
    /// Entries that came after their chain had been decided.
    pub late: u64,
    pub chains: u64,
}

/// Merges several time-ordered inputs into one stream ordered by start time; row errors and
/// skipped rows pass through at once. `seq` becomes the input order (file, then row).
pub struct Merge {
    sources: Vec<Peekable<Box<dyn Iterator<Item = Item>>>>,
}

impl Merge {
    pub fn new(sources: Vec<Box<dyn Iterator<Item = Item>>>) -> Merge {
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
/// in start order.
pub fn decide(
    items: impl Iterator<Item = Item>,
    rules: &Rules,
    lookup: &Lookup,
    history: &mut History,
    now: Timestamp,
    mut on_error: impl FnMut(&RowError),
    mut on_verdict: impl FnMut(Verdict),
) -> Stats {
    let mut stats = Stats::default();
    let mut assembler = Assembler::new(lookup);
    let mut notices = Vec::new();
    let mut handle = |chains: Vec<chains::Chain>, stats: &mut Stats, history: &mut History| {
        for c in chains {
            stats.chains += 1;
            let facts = chains::facts(&c, lookup, rules.settle_seconds, now);
            let start = facts.start;
            on_verdict(policy::decide(facts, rules, lookup, history));
            if stats.chains % 1024 == 0 {
                history.prune_online(start);
            }
        }
    };
    for item in items {
        match item {
            Item::Error(e) => {
                stats.rejected += 1;
                on_error(&e);
            }
            Item::Skipped { reason, .. } => *stats.skipped.entry(reason).or_default() += 1,
            Item::Entry(e) => {
                stats.entries += 1;
                note_online(&e, lookup, history);
                if e.is_incoming_call() {
                    stats.incoming += 1;
                } else {
                    if e.origin == crate::journal::Origin::Outgoing {
                        stats.outgoing += 1;
                    } else {
                        stats.other_types += 1;
                    }
                    continue;
                }
                let closed = assembler.push(*e, &mut notices);
                for n in notices.drain(..) {
                    match n {
                        Notice::Duplicate => stats.duplicates += 1,
                        Notice::Late(e) => {
                            stats.late += 1;
                            on_error(&e);
                        }
                    }
                }
                handle(closed, &mut stats, history);
            }
        }
    }
    let rest = assembler.finish();
    handle(rest, &mut stats, history);
    stats
}

fn note_online(e: &Entry, lookup: &Lookup, history: &mut History) {
    if e.user_offline == Some(false) {
        if let Some(user) = chains::owner(e, lookup) {
            history.record_online(&user, e.start);
        }
    }
}
