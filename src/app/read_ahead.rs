//! Stages on two threads: the journals are decoded, cut into rows and turned into items on
//! the calling thread, which also decides, while the items are grouped into chains on another
//! ([`crate::decide::intake`]). What a stage makes arrives in exactly the order it was made
//! (row problems included), in batches through bounded channels, so at most [`BATCHES`] ×
//! [`BATCH`] of them are ever held between two stages. What an item weighs is the stage's
//! to say: an event of the chains handed out weighs as many chains as it holds, so a batch
//! holds about [`BATCH`] chains, however many (or few) events carry them.
//!
//! Reading and deciding share a thread because together they take about as long as grouping
//! does: on two cores, three busy threads took turns and the grouping, which the others wait
//! for, had a core only two thirds of the time. The calling thread decides what has been
//! grouped, and reads on whenever the grouping has room for more.

use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender, TryRecvError, TrySendError};
use std::sync::{Arc, Mutex};
use std::thread::{Scope, ScopedJoinHandle};
use std::time::Duration;

use super::session::Sources;
use crate::config::Rules;
use crate::decide::intake::{Event, Intake};
use crate::decide::lookup::Lookup;
use crate::decide::stream::Merge;
use crate::ingest::Item;

/// Items per batch: enough that the channel's cost per item is small.
const BATCH: usize = 1024;
/// Batches a stage may be ahead of the next.
const BATCHES: usize = 8;
/// How long the calling thread waits for the grouping's events before it offers it more
/// items again.
const FEED_AGAIN: Duration = Duration::from_micros(200);

/// What a stage sends: a batch, or that it made everything (the input ended, not the stage).
enum Message<T> {
    Batch(Vec<T>),
    Done,
}

/// What an event weighs in a batch: the chains it hands out (at least 1).
fn weigh_event(e: &Event) -> usize {
    match e {
        Event::Chains(c) => c.len().max(1),
        _ => 1,
    }
}

/// The events of the journals for [`crate::decide::stream::decide_events_in`]: read on this
/// thread as the grouping, on another thread of `scope`, takes them (all on this thread when
/// no thread can be started). With `heavy_reading` (an Asterisk CDR, whose reading is most of
/// the work) they are read on a third thread instead.
pub(crate) fn events<'scope, 'env>(
    scope: &'scope Scope<'scope, 'env>,
    sources: Vec<Sources>,
    rules: &'env Rules,
    lookup: &'env Lookup,
    heavy_reading: bool,
) -> impl Iterator<Item = Event> + 'scope {
    if heavy_reading {
        let mut items = read_ahead(scope, "read", Merge::new(sources), |_| 1);
        items.ahead = Some(touch_entry);
        let chains = read_ahead(
            scope,
            "chains",
            Intake::new(items, rules, lookup),
            weigh_event,
        );
        return Events::Apart(Box::new(chains));
    }
    let (tx, rx) = mpsc::sync_channel(BATCHES);
    let fed: Fed<'scope> = ReadAhead {
        from: Stage::Fed { rx, done: false },
        batch: Vec::new().into_iter(),
        ahead: Some(touch_entry),
    };
    let chains = read_ahead(
        scope,
        "chains",
        Intake::new(fed, rules, lookup),
        weigh_event,
    );
    let items = Merge::new(sources);
    if chains.here() {
        // no thread: read and group here, in turn
        return Events::Here(Box::new(Intake::new(items, rules, lookup)));
    }
    Events::Interleaved(Box::new(Interleave {
        items,
        ended: false,
        tx: Some(tx),
        unsent: None,
        chains,
    }))
}

/// The events, as [`events`] makes them.
enum Events<'scope, 'env> {
    Interleaved(Box<Interleave<'scope, 'env>>),
    Here(Box<Intake<'env, Merge>>),
    /// Read on a thread of its own, grouped on another.
    Apart(Box<ReadAhead<'scope, Intake<'env, ReadAhead<'scope, Merge>>>>),
}

impl Iterator for Events<'_, '_> {
    type Item = Event;
    fn next(&mut self) -> Option<Event> {
        match self {
            Events::Interleaved(i) => i.next(),
            Events::Here(i) => i.next(),
            Events::Apart(i) => i.next(),
        }
    }
}

/// The chains' events, the items read on this thread between them.
struct Interleave<'scope, 'env> {
    items: Merge,
    /// The input is read to the end (its last batch may still be unsent).
    ended: bool,
    /// To the grouping thread; None once everything (and the end) went to it.
    tx: Option<SyncSender<Message<Item>>>,
    /// A batch read for which the grouping had no room yet.
    unsent: Option<Message<Item>>,
    chains: ReadAhead<'scope, Intake<'env, Fed<'scope>>>,
}

/// The items as the grouping thread takes them from the channel [`Interleave`] feeds (the
/// iterator type is only a name: a fed stage has none of its own).
type Fed<'scope> = ReadAhead<'scope, std::iter::Empty<Item>>;

impl Interleave<'_, '_> {
    /// Reads a batch (or the end) and hands it to the grouping; false when it has no room, or
    /// everything went to it already.
    fn feed(&mut self) -> bool {
        let Some(tx) = &self.tx else {
            return false;
        };
        let message = match self.unsent.take() {
            Some(m) => m,
            None if self.ended => Message::Done,
            None => {
                let mut batch = Vec::with_capacity(BATCH);
                batch.extend(self.items.by_ref().take(BATCH));
                self.ended = batch.len() < BATCH;
                if batch.is_empty() {
                    Message::Done
                } else {
                    Message::Batch(batch)
                }
            }
        };
        let done = matches!(message, Message::Done);
        match tx.try_send(message) {
            Ok(()) => {
                if done {
                    self.tx = None;
                }
                true
            }
            Err(TrySendError::Full(m)) => {
                self.unsent = Some(m);
                false
            }
            // the grouping ended: its events say why
            Err(TrySendError::Disconnected(_)) => {
                self.tx = None;
                false
            }
        }
    }
}

impl Iterator for Interleave<'_, '_> {
    type Item = Event;

    fn next(&mut self) -> Option<Event> {
        // the grouping is what the rest waits for: before a batch of its events is taken, it
        // gets all the items it has room for
        if self.chains.batch.len() == 0 {
            while self.feed() {}
        }
        loop {
            // what is grouped comes next; else read on while the grouping has room; else wait
            // for the grouping
            if let Some(ready) = self.chains.ready(None) {
                return ready;
            }
            if self.feed() {
                continue;
            }
            if self.tx.is_none() {
                // all of the input went to the grouping: its events are all that is left
                return self.chains.next();
            }
            // no room: wait for events, but not for long. The grouping hands its events on in
            // batches, so it may take all the items it has and wait for more before it sends
            // any; waiting here for its events alone would then wait for ever
            if let Some(ready) = self.chains.ready(Some(FEED_AGAIN)) {
                return ready;
            }
        }
    }
}

/// The items of `items`, made on a thread of `scope` (or on this one, when no thread can be
/// started). Dropping it stops the reader at its next batch.
pub(crate) struct ReadAhead<'scope, I: Iterator> {
    from: Stage<'scope, I>,
    batch: std::vec::IntoIter<I::Item>,
    /// Called on the item [`AHEAD`] places ahead of the one taken.
    ahead: Option<fn(&I::Item)>,
}

/// How far ahead of the item taken [`ReadAhead::ahead`] looks.
const AHEAD: usize = 6;

/// Asks for an entry read on another thread a few items before it is needed: the chains
/// look at its ids and numbers at once.
fn touch_entry(item: &crate::ingest::Item) {
    if let crate::ingest::Item::Entry(e) = item {
        e.prefetch_for_grouping();
    }
}

impl<I: Iterator> ReadAhead<'_, I> {
    /// The items are made on this thread (no thread could be started).
    fn here(&self) -> bool {
        matches!(self.from, Stage::Here(_))
    }

    /// The next item if it is there without waiting, or within `wait` (Some(None): there are
    /// no more); None when it is still being made.
    fn ready(&mut self, wait: Option<Duration>) -> Option<Option<I::Item>> {
        if let (0, Stage::Thread { rx, done, .. }) = (self.batch.len(), &mut self.from) {
            if !*done {
                // Err(true): nothing yet; Err(false): the stage is gone
                let got = match wait {
                    None => rx.try_recv().map_err(|e| e == TryRecvError::Empty),
                    Some(w) => rx
                        .recv_timeout(w)
                        .map_err(|e| e == RecvTimeoutError::Timeout),
                };
                match got {
                    Ok(Message::Batch(b)) => self.batch = b.into_iter(),
                    Ok(Message::Done) => *done = true,
                    Err(true) => return None,
                    // what it means is for `next` to say
                    Err(false) => {}
                }
            }
        }
        Some(self.next())
    }
}

/// Where the items come from: a thread of the scope, or (none could be started) this one.
enum Stage<'scope, I: Iterator> {
    Thread {
        rx: Receiver<Message<I::Item>>,
        reader: Option<ScopedJoinHandle<'scope, ()>>,
        done: bool,
    },
    Here(I),
    /// Fed by this process through a channel (see [`events`]): a sender that goes away
    /// without saying the input ended stopped taking events, so the stage ends quietly.
    Fed {
        rx: Receiver<Message<I::Item>>,
        done: bool,
    },
}

/// Starts taking `items` on a thread of `scope`, named `name`; a batch is sent when the items
/// in it weigh [`BATCH`] (by `weigh`, at least 1 each).
pub(crate) fn read_ahead<'scope, 'env, I>(
    scope: &'scope Scope<'scope, 'env>,
    name: &str,
    items: I,
    weigh: fn(&I::Item) -> usize,
) -> ReadAhead<'scope, I>
where
    I: Iterator + Send + 'scope,
    I::Item: Send,
{
    let (tx, rx) = mpsc::sync_channel(BATCHES);
    // the items go to the thread through a slot, so that they are still here if it cannot start
    let slot = Arc::new(Mutex::new(Some(items)));
    let theirs = Arc::clone(&slot);
    let reader = std::thread::Builder::new()
        .name(name.into())
        .spawn_scoped(scope, move || {
            let Some(mut items) = theirs.lock().unwrap_or_else(|e| e.into_inner()).take() else {
                return;
            };
            loop {
                // sized at once: collected one by one it would grow (and be copied) ten times
                let mut batch: Vec<I::Item> = Vec::with_capacity(BATCH);
                let mut weight = 0;
                let mut last = false;
                while weight < BATCH {
                    let Some(item) = items.next() else {
                        last = true;
                        break;
                    };
                    weight += weigh(&item).max(1);
                    batch.push(item);
                }
                if !batch.is_empty() && tx.send(Message::Batch(batch)).is_err() {
                    return; // the decisions stopped taking items
                }
                if last {
                    let _ = tx.send(Message::Done);
                    return;
                }
            }
        });
    let from = match reader {
        Ok(reader) => Stage::Thread {
            rx,
            reader: Some(reader),
            done: false,
        },
        Err(_) => match slot.lock().unwrap_or_else(|e| e.into_inner()).take() {
            Some(items) => Stage::Here(items),
            None => unreachable!("a thread that did not start took nothing"),
        },
    };
    ReadAhead {
        from,
        batch: Vec::new().into_iter(),
        ahead: None,
    }
}

impl<I: Iterator> Iterator for ReadAhead<'_, I> {
    type Item = I::Item;

    fn next(&mut self) -> Option<I::Item> {
        loop {
            if let Some(item) = self.batch.next() {
                if let (Some(f), Some(next)) = (self.ahead, self.batch.as_slice().get(AHEAD)) {
                    f(next);
                }
                return Some(item);
            }
            let (rx, reader, done) = match &mut self.from {
                Stage::Here(items) => return items.next(),
                Stage::Thread { rx, reader, done } => (rx, reader, done),
                Stage::Fed { rx, done } => {
                    if *done {
                        return None;
                    }
                    match rx.recv() {
                        Ok(Message::Batch(b)) => self.batch = b.into_iter(),
                        Ok(Message::Done) | Err(_) => *done = true,
                    }
                    continue;
                }
            };
            if *done {
                return None;
            }
            match rx.recv() {
                Ok(Message::Batch(b)) => self.batch = b.into_iter(),
                Ok(Message::Done) => *done = true,
                // the stage ended without saying it took everything: it panicked. Never let
                // that pass for the end of the input (the run would decide on half a journal).
                Err(_) => {
                    *done = true;
                    if let Some(Err(panic)) = reader.take().map(ScopedJoinHandle::join) {
                        std::panic::resume_unwind(panic);
                    }
                    panic!("a stage's thread ended before its input did");
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::{Item, RowError, SourcePos};

    fn error(line: u64) -> Item {
        Item::Error(RowError {
            pos: SourcePos {
                file: crate::ingest::FileName::new("j.csv"),
                line,
            },
            message: "bad".into(),
        })
    }

    fn lines(items: impl Iterator<Item = Item>) -> Vec<u64> {
        items
            .map(|i| match i {
                Item::Error(e) => e.pos.line,
                _ => unreachable!("only errors here"),
            })
            .collect()
    }

    #[test]
    fn every_item_in_order_at_every_batch_boundary() {
        for n in [
            0,
            1,
            BATCH - 1,
            BATCH,
            BATCH + 1,
            3 * BATCH,
            BATCH * (BATCHES + 3) + 7,
        ] {
            let want: Vec<u64> = (1..=n as u64).collect();
            let got = std::thread::scope(|s| {
                lines(read_ahead(
                    s,
                    "test",
                    want.clone().into_iter().map(error),
                    |_| 1,
                ))
            });
            assert_eq!(got, want, "{n} items");
        }
    }

    #[test]
    fn heavy_items_go_in_small_batches() {
        // items that weigh a batch each: the reader runs ahead by the channel's batches of
        // one item, not by batches of BATCH items
        use std::sync::atomic::{AtomicU64, Ordering};
        let made = AtomicU64::new(0);
        let (first, ahead) = std::thread::scope(|s| {
            let items = (1..).map(|i| {
                made.store(i, Ordering::SeqCst);
                error(i)
            });
            let mut r = read_ahead(s, "test", items, |_| BATCH);
            let first = lines(r.by_ref().take(1));
            // give the reader time to fill the channel
            std::thread::sleep(std::time::Duration::from_millis(200));
            (first, made.load(Ordering::SeqCst))
        });
        assert_eq!(first, vec![1]);
        assert!(ahead <= BATCHES as u64 + 3, "{ahead} items made");
        // and in order, whatever they weigh
        let want: Vec<u64> = (1..=300).collect();
        let got = std::thread::scope(|s| {
            let weigh = |i: &Item| match i {
                Item::Error(e) => (e.pos.line as usize * 37) % (2 * BATCH),
                _ => 1,
            };
            lines(read_ahead(
                s,
                "test",
                want.clone().into_iter().map(error),
                weigh,
            ))
        });
        assert_eq!(got, want);
    }

    /// Entries of calls that ring one after another, `gap` ms apart (a chain is handed out
    /// once the rows are an hour past it), with a row problem among them now and then; as
    /// two sources that merge.
    fn journal(n: usize, gap: i64) -> Vec<Sources> {
        use crate::decide::testkit::{entry, EntryExt};
        let mut a = Vec::new();
        let mut b = Vec::new();
        let from = jiff::Timestamp::from_second(1_790_000_000).expect("a time");
        for i in 0..n {
            let start = from + jiff::SignedDuration::from_millis(gap * i as i64);
            let mut e = entry(&format!("e{i}")).tracker(&format!("T{}", i / 3));
            e.start = start;
            e.stop = start + jiff::SignedDuration::from_secs(20);
            e.seq = i as u64;
            let item = if i % 997 == 0 {
                error(i as u64)
            } else {
                Item::Entry(Box::new(e))
            };
            if i % 2 == 0 {
                a.push(item)
            } else {
                b.push(item)
            }
        }
        vec![Box::new(a.into_iter()), Box::new(b.into_iter())]
    }

    #[test]
    fn the_events_are_those_of_one_thread_whatever_the_grouping_holds_back() {
        // rows a tenth of a second apart close no chain for 36,000 rows: the grouping takes
        // every item it is given before it has a batch of events to send, and must not then
        // wait for more items while the reading waits for its events (that hung: a watchdog
        // fails it instead). Rows a second apart hand chains out on the way.
        let l = crate::decide::testkit::lookup();
        let r = crate::decide::testkit::rules();
        let cases = [
            (0, 1000),
            (5, 1000),
            (BATCH * (BATCHES + 3) + 7, 100),
            (BATCH * 30, 100),
            (3 * 3600 + 11, 1000),
        ];
        // (and the same with the reading on a thread of its own)
        for ((n, gap), apart) in cases.into_iter().flat_map(|c| [(c, false), (c, true)]) {
            let want: Vec<String> = Intake::new(Merge::new(journal(n, gap)), &r, &l)
                .map(|e| format!("{e:?}"))
                .collect();
            let (tx, rx) = mpsc::channel();
            let (r2, l2) = (r.clone(), crate::decide::testkit::lookup());
            std::thread::spawn(move || {
                let got: Vec<String> = std::thread::scope(|s| {
                    events(s, journal(n, gap), &r2, &l2, apart)
                        .map(|e| format!("{e:?}"))
                        .collect()
                });
                let _ = tx.send(got);
            });
            let got = rx
                .recv_timeout(Duration::from_secs(120))
                .unwrap_or_else(|_| panic!("{n} rows ({apart}): no end after two minutes"));
            assert_eq!(got.len(), want.len(), "{n} rows ({apart})");
            assert!(got == want, "{n} rows ({apart}): the events differ");
        }
    }

    #[test]
    fn stopping_early_stops_the_reader() {
        // an endless input: the scope ends only if the reader stops once nobody takes items
        let got = std::thread::scope(|s| {
            let items = read_ahead(s, "test", (1..).map(error), |_| 1);
            lines(items.take(5))
        });
        assert_eq!(got, vec![1, 2, 3, 4, 5]);
    }

    #[test]
    fn a_reader_that_panics_is_not_the_end_of_the_input() {
        let outcome = std::panic::catch_unwind(|| {
            std::thread::scope(|s| {
                let items = (1..=BATCH as u64 + 10).map(|i| {
                    assert!(i <= BATCH as u64 + 5, "a reader bug");
                    error(i)
                });
                lines(read_ahead(s, "test", items, |_| 1))
            })
        });
        let message = outcome.expect_err("the panic reaches the decisions");
        let text = message
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| message.downcast_ref::<&str>().copied())
            .unwrap_or_default();
        assert!(text.contains("a reader bug"), "{text}");
    }
}
