//! Work on every core, results in order: `run` renders its mails on worker threads while the
//! calling thread queues (or shows) the ones already made, strictly in plan order.

use std::collections::BTreeMap;
use std::ops::ControlFlow;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Condvar, Mutex};

/// How far the workers may run ahead of the results taken (items made but not yet taken are
/// held in memory).
const AHEAD: usize = 64;

/// Where the workers are: the next item to take up, how many results were taken, and
/// whether the taker has stopped.
struct Progress {
    next: AtomicUsize,
    taken: Mutex<usize>,
    moved: Condvar,
    stop: AtomicBool,
}

impl Progress {
    /// Waits until item `i` is close enough to the items taken; false: stop instead.
    fn may_start(&self, i: usize) -> bool {
        let mut taken = self.taken.lock().unwrap_or_else(|e| e.into_inner());
        while i >= *taken + AHEAD && !self.stop.load(Ordering::Relaxed) {
            taken = self.moved.wait(taken).unwrap_or_else(|e| e.into_inner());
        }
        !self.stop.load(Ordering::Relaxed)
    }

    fn set_taken(&self, n: usize) {
        *self.taken.lock().unwrap_or_else(|e| e.into_inner()) = n;
        self.moved.notify_all();
    }

    fn halt(&self) {
        self.stop.store(true, Ordering::Relaxed);
        let _guard = self.taken.lock().unwrap_or_else(|e| e.into_inner());
        self.moved.notify_all();
    }
}

/// Makes every item with `make` on `threads` worker threads and gives each result to `take`
/// on the calling thread, in the order of `items`, as soon as it and all before it are made
/// (so taking overlaps making). `take` may stop early (`Break`): nothing more is taken, and
/// the workers stop. An item whose making panicked (a bug) is taken as `lost(item)`.
pub(crate) fn make_in_order<I: Sync, T: Send>(
    items: &[I],
    threads: usize,
    make: impl Fn(&I) -> T + Sync,
    lost: impl Fn(&I) -> T + Sync,
    mut take: impl FnMut(T) -> ControlFlow<()>,
) {
    let threads = threads.min(items.len());
    let make_one =
        |item: &I| catch_unwind(AssertUnwindSafe(|| make(item))).unwrap_or_else(|_| lost(item));
    if threads <= 1 {
        for item in items {
            if take(make_one(item)).is_break() {
                return;
            }
        }
        return;
    }
    let progress = Progress {
        next: AtomicUsize::new(0),
        taken: Mutex::new(0),
        moved: Condvar::new(),
        stop: AtomicBool::new(false),
    };
    let (tx, rx) = mpsc::channel::<(usize, T)>();
    std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                let tx = tx.clone();
                let (progress, make_one) = (&progress, &make_one);
                s.spawn(move || loop {
                    let i = progress.next.fetch_add(1, Ordering::Relaxed);
                    let Some(item) = items.get(i) else { break };
                    if !progress.may_start(i) {
                        break;
                    }
                    // a bug in making one item costs that item, not the run
                    if tx.send((i, make_one(item))).is_err() {
                        break;
                    }
                })
            })
            .collect();
        drop(tx);
        let mut made: BTreeMap<usize, T> = BTreeMap::new();
        let mut want = 0;
        'taking: for (i, t) in rx.iter() {
            // every item is sent once it is made (or lost), until taking stops
            made.insert(i, t);
            while let Some(t) = made.remove(&want) {
                want += 1;
                if take(t).is_break() {
                    break 'taking;
                }
                progress.set_taken(want);
            }
        }
        progress.halt();
        for w in workers {
            let _ = w.join();
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_come_in_order_whatever_the_threads() {
        for threads in [1, 2, 3, 8] {
            for n in [0, 1, 5, 200] {
                let items: Vec<usize> = (0..n).collect();
                let mut got = Vec::new();
                make_in_order(
                    &items,
                    threads,
                    |&i| {
                        // later items are quicker, so they finish first
                        std::thread::sleep(std::time::Duration::from_micros(
                            ((n - i) % 7) as u64 * 50,
                        ));
                        i * 10
                    },
                    |_| usize::MAX,
                    |t| {
                        got.push(t);
                        ControlFlow::Continue(())
                    },
                );
                let want: Vec<usize> = (0..n).map(|i| i * 10).collect();
                assert_eq!(got, want, "{threads} threads, {n} items");
            }
        }
    }

    #[test]
    fn taking_can_stop_and_nothing_more_is_taken() {
        for threads in [1, 2, 4] {
            let items: Vec<usize> = (0..500).collect();
            let made = AtomicUsize::new(0);
            let mut got = Vec::new();
            make_in_order(
                &items,
                threads,
                |&i| {
                    made.fetch_add(1, Ordering::Relaxed);
                    i
                },
                |_| usize::MAX,
                |t| {
                    got.push(t);
                    if t == 9 {
                        ControlFlow::Break(())
                    } else {
                        ControlFlow::Continue(())
                    }
                },
            );
            assert_eq!(got, (0..10).collect::<Vec<_>>(), "{threads} threads");
            // the workers ran at most a window (and one item each) ahead
            assert!(
                made.load(Ordering::Relaxed) <= 10 + AHEAD + threads,
                "{threads}"
            );
        }
    }

    #[test]
    fn an_item_whose_worker_died_is_taken_as_lost() {
        for threads in [1, 2] {
            an_item_whose_making_panicked_is_lost(threads);
        }
    }

    fn an_item_whose_making_panicked_is_lost(threads: usize) {
        let items: Vec<usize> = (0..20).collect();
        let mut got = Vec::new();
        make_in_order(
            &items,
            threads,
            |&i| {
                if i == 7 {
                    panic!("a bug in making item 7");
                }
                i
            },
            |_| usize::MAX,
            |t| {
                got.push(t);
                ControlFlow::Continue(())
            },
        );
        assert_eq!(got.len(), 20, "{threads}: {got:?}");
        assert_eq!(got[7], usize::MAX, "{threads}");
        assert_eq!(&got[..7], &[0, 1, 2, 3, 4, 5, 6]);
    }
}
