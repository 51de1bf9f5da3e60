//! Stages on their own threads: the journals are decoded, cut into rows and turned into items
//! on one thread, the items grouped into chains on another ([`crate::decide::intake`]), while
//! the calling thread decides. What a stage makes arrives in exactly the order it was made
//! (row problems included), in batches through a bounded channel, so at most [`BATCHES`] ×
//! [`BATCH`] of them are ever held between two stages. What an item weighs is the stage's
//! to say: an event of the chains handed out weighs as many chains as it holds, so a batch
//! holds about [`BATCH`] chains, however many (or few) events carry them.

use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex};
use std::thread::{Scope, ScopedJoinHandle};

use super::session::Sources;
use crate::config::Rules;
use crate::decide::intake::{Event, Intake};
use crate::decide::lookup::Lookup;
use crate::decide::stream::Merge;

/// Items per batch: enough that the channel's cost per item is small.
const BATCH: usize = 1024;
/// Batches the reader may be ahead of the decisions.
const BATCHES: usize = 8;

/// What the reader sends: a batch, or that it read everything (the input ended, not the reader).
enum Message<T> {
    Batch(Vec<T>),
    Done,
}

/// The events of the journals for [`crate::decide::stream::decide_events_in`]: read on one
/// thread of `scope`, grouped into chains on another.
pub(crate) fn events<'scope, 'env>(
    scope: &'scope Scope<'scope, 'env>,
    sources: Vec<Sources>,
    rules: &'env Rules,
    lookup: &'env Lookup,
) -> impl Iterator<Item = Event> + 'scope {
    let items = read_ahead(scope, "read", Merge::new(sources), |_| 1).ahead(touch_entry);
    let chains = |e: &Event| match e {
        Event::Chains(c) => c.len().max(1),
        _ => 1,
    };
    read_ahead(scope, "chains", Intake::new(items, rules, lookup), chains)
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
        e.prefetch();
    }
}

impl<'scope, I: Iterator> ReadAhead<'scope, I> {
    /// Calls `f` on each item a few places before it is taken.
    pub(crate) fn ahead(mut self, f: fn(&I::Item)) -> Self {
        self.ahead = Some(f);
        self
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
