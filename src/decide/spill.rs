//! The queue of the chains that wait behind the front (SPEC §3.8), as records of bytes in
//! blocks, so that memory stays flat however long the export: with `called_back` on and no
//! `max_age_hours`, every chain after the first one that waits for a callback is held to the
//! end of the input.
//!
//! A record is whatever the decider packs ([`super::stream`]: a byte of flags and the facts of
//! [`super::packed`]), length-prefixed (LEB128) in a block of about [`Limits::block_bytes`]
//! bytes; a record never spans two blocks (one larger than a block has a block of its own).
//! No chain has a heap block of its own. When more than [`Limits::budget`] bytes of blocks
//! are in memory, a block that is full goes to an [`Overflow`] store as it is closed, unless
//! it is the one being read; it comes back when the reading reaches it. So memory holds at
//! most the budget plus the block being read and the one being written.
//!
//! The store is injected (this stage opens no file): [`InMemory`] keeps the blocks in memory
//! (tests, and the commands that read little); `app` has one over an unlinked temporary file.

use std::collections::VecDeque;
use std::convert::Infallible;

/// Where full blocks go when memory holds more than the budget. Blocks are taken back in the
/// order they were put.
/// (`Send`: at the end of the input the queue is read on a thread of its own.)
pub(crate) trait Overflow: Send {
    /// What finds a block again.
    type Slot: Send;
    /// Why a block stored could not be read back.
    type Error: Send;
    /// Stores a block; gives it back when it cannot (the queue then holds it in memory, so a
    /// store that fails to write loses nothing).
    fn put(&mut self, block: Vec<u8>) -> Result<Self::Slot, Vec<u8>>;
    /// The block stored as `slot`.
    fn take(&mut self, slot: Self::Slot) -> Result<Vec<u8>, Self::Error>;
}

impl<S: Overflow> Overflow for &mut S {
    type Slot = S::Slot;
    type Error = S::Error;
    fn put(&mut self, block: Vec<u8>) -> Result<S::Slot, Vec<u8>> {
        (**self).put(block)
    }
    fn take(&mut self, slot: S::Slot) -> Result<Vec<u8>, S::Error> {
        (**self).take(slot)
    }
}

/// The store that keeps the blocks in memory: it never fails.
#[derive(Debug, Default)]
pub(crate) struct InMemory {
    blocks: VecDeque<Vec<u8>>,
    /// Blocks put so far (for tests: that spilling happened).
    pub(crate) puts: u64,
}

impl Overflow for InMemory {
    type Slot = ();
    type Error = Infallible;
    fn put(&mut self, block: Vec<u8>) -> Result<(), Vec<u8>> {
        self.blocks.push_back(block);
        self.puts += 1;
        Ok(())
    }
    fn take(&mut self, (): ()) -> Result<Vec<u8>, Infallible> {
        // taken in the order put, as many as put (the queue's own bookkeeping)
        Ok(self.blocks.pop_front().unwrap_or_default())
    }
}

/// How the queue holds its bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Limits {
    /// The size of a block.
    pub(crate) block_bytes: usize,
    /// Bytes of blocks held in memory before full blocks go to the store.
    pub(crate) budget: usize,
    /// From how many records held at the end of the input on they are read back on a thread
    /// of their own while the deciding thread decides them (`stream`'s `Decider::finish`).
    pub(crate) read_apart: usize,
}

impl Limits {
    /// 1 MiB blocks, 32 MiB in memory: a chain packs to about 150 bytes, so some 220 000
    /// chains wait in memory before any goes to the store, and a block read back costs one
    /// read of 1 MiB per 7 000 chains. Read apart from 4,096 records on: a thread costs some
    /// tens of microseconds, a record read back and decided a few.
    pub(crate) const DEFAULT: Limits = Limits {
        block_bytes: 1 << 20,
        budget: 32 << 20,
        read_apart: 4096,
    };
}

/// A block between the one being read and the one being written.
enum Block<Slot> {
    /// In memory.
    Held(Vec<u8>),
    /// In the store, with its length.
    Out(Slot, usize),
}

/// A FIFO of records (byte strings), in blocks; see the module's comment.
pub(crate) struct Queue<S: Overflow> {
    limits: Limits,
    store: S,
    /// The block being read, from `read` on.
    head: Vec<u8>,
    read: usize,
    /// The full blocks after it, in their order.
    middle: VecDeque<Block<S::Slot>>,
    /// The block being written, after them.
    back: Vec<u8>,
    /// Records held.
    len: usize,
    /// Bytes of the blocks in memory (head, middle and back).
    in_memory: usize,
}

impl<S: Overflow> Queue<S> {
    pub(crate) fn new(store: S, limits: Limits) -> Self {
        Queue {
            limits,
            store,
            head: Vec::new(),
            read: 0,
            middle: VecDeque::new(),
            back: Vec::new(),
            len: 0,
            in_memory: 0,
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Records held.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn limits(&self) -> Limits {
        self.limits
    }

    /// Bytes of blocks in memory now.
    #[cfg(test)]
    pub(crate) fn in_memory(&self) -> usize {
        self.in_memory
    }

    /// Appends a record.
    pub(crate) fn push(&mut self, record: &[u8]) {
        let mut prefix = [0u8; 10];
        let n = leb128(record.len() as u64, &mut prefix);
        let need = n + record.len();
        if !self.back.is_empty() && self.back.len() + need > self.limits.block_bytes {
            self.close_back(need);
        }
        if self.back.capacity() == 0 {
            self.back.reserve_exact(self.limits.block_bytes.max(need));
        }
        self.back.extend_from_slice(&prefix[..n]);
        self.back.extend_from_slice(record);
        self.in_memory += need;
        self.len += 1;
    }

    /// The back block is full: it joins the middle, in the store when memory holds more than
    /// the budget, and a new block (for a record of `need` bytes) is begun.
    fn close_back(&mut self, need: usize) {
        let full = std::mem::replace(
            &mut self.back,
            Vec::with_capacity(self.limits.block_bytes.max(need)),
        );
        let len = full.len();
        let block = if self.in_memory > self.limits.budget {
            match self.store.put(full) {
                Ok(slot) => {
                    self.in_memory -= len;
                    Block::Out(slot, len)
                }
                // the store could not take it: it stays
                Err(full) => Block::Held(full),
            }
        } else {
            Block::Held(full)
        };
        self.middle.push_back(block);
    }

    /// The first record, taken off the queue; None when it is empty. An error: a block could
    /// not be read back from the store (the records in it, and so the queue, are lost).
    pub(crate) fn pop(&mut self) -> Result<Option<&[u8]>, S::Error> {
        if self.len == 0 {
            // all read (the back too, so it is empty): the head's buffer is the next back
            self.in_memory = 0;
            self.read = 0;
            self.head.clear();
            std::mem::swap(&mut self.head, &mut self.back);
            return Ok(None);
        }
        while self.read == self.head.len() {
            // the head is read: the next block
            self.in_memory -= self.head.len();
            self.read = 0;
            match self.middle.pop_front() {
                Some(Block::Held(b)) => self.head = b,
                Some(Block::Out(slot, len)) => {
                    let b = self.store.take(slot)?;
                    debug_assert_eq!(b.len(), len);
                    self.in_memory += b.len();
                    self.head = b;
                }
                None if self.back.is_empty() => return Ok(None),
                None => {
                    // the back is next: it is read where it is written, and the head's
                    // buffer becomes the next back
                    std::mem::swap(&mut self.head, &mut self.back);
                    self.back.clear();
                }
            }
        }
        let (n, used) = read_leb128(&self.head[self.read..]);
        let start = self.read + used;
        let end = start + n as usize;
        self.read = end;
        self.len -= 1;
        Ok(Some(&self.head[start..end]))
    }
}

/// Writes `v` as LEB128 into `out`; the bytes used.
fn leb128(mut v: u64, out: &mut [u8; 10]) -> usize {
    let mut i = 0;
    while v >= 0x80 {
        out[i] = (v as u8) | 0x80;
        v >>= 7;
        i += 1;
    }
    out[i] = v as u8;
    i + 1
}

/// The LEB128 number at the start of `b` (written by [`leb128`]), and the bytes it used.
fn read_leb128(b: &[u8]) -> (u64, usize) {
    let mut v = 0u64;
    for (i, &byte) in b.iter().enumerate() {
        v |= u64::from(byte & 0x7f) << (7 * i);
        if byte < 0x80 {
            return (v, i + 1);
        }
    }
    (v, b.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Pushes and pops `ops` (Some: push that record, None: pop one), checking the records
    /// come out as a plain FIFO has them and that memory keeps to the limits; the store's puts.
    fn play(what: &str, ops: &[Option<Vec<u8>>], limits: Limits) -> u64 {
        let mut store = InMemory::default();
        let mut q = Queue::new(&mut store, limits);
        let mut model: VecDeque<Vec<u8>> = VecDeque::new();
        let biggest = ops
            .iter()
            .flatten()
            .map(|r| r.len() + 10)
            .max()
            .unwrap_or(0);
        let bound = limits.budget + 2 * limits.block_bytes.max(biggest);
        for op in ops {
            match op {
                Some(r) => {
                    q.push(r);
                    model.push_back(r.clone());
                }
                None => {
                    let got = q.pop().expect("in memory").map(<[u8]>::to_vec);
                    assert_eq!(got, model.pop_front(), "{what}");
                }
            }
            assert_eq!(q.is_empty(), model.is_empty(), "{what}");
            assert!(
                q.in_memory() <= bound,
                "{what}: {} > {bound}",
                q.in_memory()
            );
        }
        while let Some(r) = q.pop().expect("in memory") {
            assert_eq!(Some(r.to_vec()), model.pop_front(), "{what}");
        }
        assert!(model.is_empty(), "{what}");
        assert_eq!(q.in_memory(), 0, "{what}");
        store.puts
    }

    #[test]
    fn records_come_back_in_order_through_the_store() {
        // (what, records, limits): each pushed, then all popped
        let r = |n: usize, b: u8| vec![b; n];
        let cases = [
            ("nothing", vec![], Limits::DEFAULT),
            (
                "empty records",
                vec![r(0, 0), r(0, 0), r(1, 1)],
                Limits::DEFAULT,
            ),
            (
                "one record larger than a block",
                vec![r(3, 1), r(300, 2), r(3, 3)],
                Limits {
                    block_bytes: 16,
                    budget: 0,
                    ..Limits::DEFAULT
                },
            ),
            (
                "a block each, all spilled",
                (0..50).map(|i| r(20, i)).collect(),
                Limits {
                    block_bytes: 16,
                    budget: 0,
                    ..Limits::DEFAULT
                },
            ),
            (
                "a length of two bytes",
                vec![r(200, 7), r(129, 8), r(128, 9), r(127, 10)],
                Limits {
                    block_bytes: 256,
                    budget: 300,
                    ..Limits::DEFAULT
                },
            ),
        ];
        for (what, records, limits) in cases {
            let ops: Vec<_> = records.into_iter().map(Some).collect();
            play(what, &ops, limits);
        }
    }

    #[test]
    fn over_the_budget_full_blocks_go_to_the_store_and_within_it_none() {
        let ops: Vec<_> = (0..100u8).map(|i| Some(vec![i; 30])).collect();
        let small = Limits {
            block_bytes: 64,
            budget: 256,
            ..Limits::DEFAULT
        };
        // 100 records of 31 bytes, 2 a block: 50 blocks, all but the head's and the ones
        // within the budget spilled
        let puts = play("small", &ops, small);
        assert!(puts >= 40, "{puts} blocks spilled");
        assert_eq!(play("default", &ops, Limits::DEFAULT), 0);
    }

    /// A store that takes nothing: the queue holds every block itself.
    struct Refuses;
    impl Overflow for Refuses {
        type Slot = ();
        type Error = Infallible;
        fn put(&mut self, block: Vec<u8>) -> Result<(), Vec<u8>> {
            Err(block)
        }
        fn take(&mut self, (): ()) -> Result<Vec<u8>, Infallible> {
            unreachable!("nothing was put")
        }
    }

    #[test]
    fn a_store_that_refuses_loses_nothing() {
        let mut q = Queue::new(
            Refuses,
            Limits {
                block_bytes: 8,
                budget: 0,
                ..Limits::DEFAULT
            },
        );
        for i in 0..20u8 {
            q.push(&[i; 5]);
        }
        for i in 0..20u8 {
            assert_eq!(q.pop().expect("held"), Some(&[i; 5][..]));
        }
        assert_eq!(q.pop().expect("held"), None);
    }

    proptest! {
        #[test]
        fn the_queue_is_a_fifo_whatever_the_limits(
            ops in prop::collection::vec(
                prop::option::weighted(0.7, prop::collection::vec(any::<u8>(), 0..300)),
                0..200,
            ),
            block_bytes in 1usize..700,
            budget in 0usize..2000,
        ) {
            play("random", &ops, Limits { block_bytes, budget, ..Limits::DEFAULT });
        }
    }
}
