//! Chains: which entries belong to one call, who was rung, who answered (SPEC §2).
//!
//! Pure: entries in, chains out; no files, no clock (`now` is a parameter).
//!
//! [`Assembler`] streams: it keeps only the entries of chains that may still grow and hands
//! out chains once the input has moved [`REORDER_WINDOW_SECONDS`] past their last stop, in the
//! order of their start. For a time-ordered export memory is bounded by the calls still open,
//! not by the file. Within the window the input may be in any order: grouping does not depend
//! on it. An entry that arrives after its chain was already handed out (an export out of order
//! by more than the window) is reported, not merged silently into a wrong chain.

use std::collections::HashMap;

use jiff::{SignedDuration, Timestamp};

use crate::decide::lookup::Lookup;
use crate::decide::numbers::{is_hidden, Number, NumberPlan};
use crate::ingest::{prefetch, Entry, RowError, Text};

/// How far the input may run ahead of a chain before the chain is handed out.
pub(crate) const REORDER_WINDOW_SECONDS: i64 = 3600;
/// SPEC §2.2: an untracked entry joins the chain of the line that redirected it when that
/// entry stopped no more than this before the redirected one started.
pub(crate) const REDIRECT_GAP_SECONDS: i64 = 10;

/// Maps whose keys come from the journal: a fast hasher, seeded per process.
pub(crate) type Map<K, V> = HashMap<K, V, foldhash::fast::RandomState>;
/// A key from the journal (an id, a raw number): up to 24 bytes inline, so a probe of a map
/// compares it in place instead of following a pointer to it.
type Key = Text;

/// A chain's entries, boxed as read: handing a chain on moves pointers, not entries. Up to
/// four are held in place (most calls ring one to four lines), so handing out a chain
/// allocates nothing (and its list is not freed on another thread than made it).
pub(crate) type Entries = smallvec::SmallVec<[Box<Entry>; 4]>;

/// The entries of one call, ordered by start time (ties: input order).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Chain {
    /// The tracker id, else the first entry's connection id.
    pub(crate) id: crate::ingest::Text,
    pub(crate) entries: Entries,
}

/// What the assembler says besides chains.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Notice {
    /// The same connection id was read again (overlapping exports): the first one counts.
    Duplicate,
    /// The entry belongs to a chain that was already handed out.
    Late(RowError),
}

/// Groups entries into chains, streaming.
pub(crate) struct Assembler<'a> {
    lookup: &'a Lookup,
    grouping: Grouping,
    /// Connection ids read recently, with the entry's stop (its start, if later) in whole
    /// seconds: an id is forgotten a window behind the horizon, unless its chain may still be
    /// open (it stopped after the earliest open chain started). (Seconds, not a timestamp: a
    /// smaller table, and an id kept up to a second longer.)
    seen: Map<Key, i64>,
    watermark: Option<Timestamp>,
    /// Up to where `seen` and the ids of chains handed out were last swept of what is old
    /// enough to forget.
    swept: Option<Timestamp>,
    since_flush: usize,
    flush_every: usize,
}

impl<'a> Assembler<'a> {
    pub(crate) fn new(lookup: &'a Lookup) -> Self {
        Assembler {
            lookup,
            grouping: Grouping::default(),
            // grown as the journal needs: each window's sweep reads the whole table, so a
            // table sized up front for a busy hour's ids (2^18) cost a quiet journal 16 MiB
            // read per hour of calls, 5 % of its run; grown from here the first window moves
            // a busy hour's ids about once
            seen: Map::with_capacity_and_hasher(1 << 14, Default::default()),
            watermark: None,
            swept: None,
            since_flush: 0,
            flush_every: 4096,
        }
    }

    /// Tries to hand out chains after every `n` entries (default 4096). Tests use small values.
    #[cfg(test)]
    pub(crate) fn flush_every(mut self, n: usize) -> Self {
        self.flush_every = n.max(1);
        self
    }

    /// Keeps `n` raw numbers before the numbers no open entry holds are forgotten (default
    /// 65,536), and sweeps the indexes once `n` records of entries handed out are in them
    /// (default 4,096, or the open slots). Tests use small values.
    #[cfg(test)]
    pub(crate) fn small_caches(mut self, n: usize) -> Self {
        self.grouping.numbers.kept = Some(n.max(1));
        self.grouping.sweep_at = Some(n);
        self
    }

    /// Adds an incoming phone entry. Returns chains that are now closed (in start order).
    pub(crate) fn push(
        &mut self,
        entry: impl Into<Box<Entry>>,
        notices: &mut Vec<Notice>,
    ) -> Vec<Chain> {
        let entry: Box<Entry> = entry.into();
        debug_assert!(entry.is_incoming_call());
        let id = match self.seen.entry(entry.connection_id.clone()) {
            std::collections::hash_map::Entry::Occupied(_) => {
                notices.push(Notice::Duplicate);
                return Vec::new();
            }
            std::collections::hash_map::Entry::Vacant(v) => {
                // what the chain ids say of its tracker id, looked up once for both uses
                let id = self.grouping.chain_id_of(&entry);
                if let (Some(ChainId::HandedOut(_)), Some(t)) = (id, &entry.tracker_id) {
                    notices.push(Notice::Late(RowError {
                        pos: entry.pos.clone(),
                        message: format!(
                            "this entry of call {t} arrived more than {} s after the call's other entries had been decided (is the export in time order?); it was not used",
                            REORDER_WINDOW_SECONDS
                        ),
                    }));
                    return Vec::new();
                }
                v.insert(entry.stop.max(entry.start).as_second());
                id
            }
        };
        self.watermark = Some(self.watermark.map_or(entry.start, |w| w.max(entry.start)));
        self.grouping.push_known(entry, &self.lookup.plan, id);
        self.since_flush += 1;
        if self.since_flush >= self.flush_every {
            self.since_flush = 0;
            let horizon = self
                .watermark
                .map(|w| w - SignedDuration::from_secs(REORDER_WINDOW_SECONDS));
            return self.flush(horizon);
        }
        Vec::new()
    }

    /// Hands out every chain still open (end of input).
    pub(crate) fn finish(&mut self) -> Vec<Chain> {
        self.flush(None)
    }

    /// Hands out the chains whose last stop lies before `horizon` (all when None), as long as
    /// no chain that started earlier is still open.
    fn flush(&mut self, horizon: Option<Timestamp>) -> Vec<Chain> {
        let out = self.grouping.take_closed(horizon);
        if let Some(h) = horizon {
            // forget what lies a window behind the horizon; sweep once per window, so a sweep
            // costs a few steps per entry, and a mark is kept at most a window longer (the
            // tables hold two to three windows of ids, and do not grow for it: a sweep per
            // half window kept two and a half, in a table of the same capacity)
            let forget = h - SignedDuration::from_secs(REORDER_WINDOW_SECONDS);
            let due = self
                .swept
                .is_none_or(|s| forget >= s + SignedDuration::from_secs(REORDER_WINDOW_SECONDS));
            if due {
                // every open entry stopped after its chain started
                let open = self
                    .grouping
                    .earliest_start()
                    .map_or(forget, |t| t.min(forget));
                let open = open.as_second();
                self.seen.retain(|_, t| *t >= open);
                self.grouping.forget_handed_out(forget);
                self.swept = Some(forget);
            }
        }
        out
    }
}

#[cfg(test)]
fn chain_order(a: &Chain, b: &Chain) -> std::cmp::Ordering {
    let ka = (&a.entries[0].start, &a.entries[0].seq);
    let kb = (&b.entries[0].start, &b.entries[0].seq);
    ka.cmp(&kb).then_with(|| a.id.cmp(&b.id))
}

/// Groups a set of entries into chains (SPEC §2.2), in chain order (tests: the one-shot form). The result does not
/// depend on the order of `entries` except for ties in start time.
#[cfg(test)]
pub(crate) fn group(entries: Vec<Entry>, lookup: &Lookup) -> Vec<Chain> {
    let mut g = Grouping::default();
    for e in entries {
        g.push(Box::new(e), &lookup.plan);
    }
    g.take_closed(None)
}

/// A normalised number as grouping holds it: an id from [`NumberCache`], the same for equal
/// numbers, so the indexes hash and compare integers (no digits, no pointer to follow).
/// (Never 0: an absent number, `Option<Num>`, takes no room of its own.)
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
struct Num(std::num::NonZeroU32);

/// A caller as grouping compares them: the normalised number; every hidden caller is one.
type CallerKey = Option<Num>;

/// One open entry of [`Grouping`].
struct Node {
    /// Boxed as read: the slots stay small, so the open set grows and moves cheaply.
    entry: Box<Entry>,
    /// Union-find parent (a slot of the same chain; itself at the chain's root). (Slots are
    /// kept in 32 bits: a node of 80 bytes instead of 112.)
    parent: u32,
    /// The next member of its chain: the members form a ring, so chains join in O(1).
    next: u32,
    /// The caller and the line, normalised once entries are indexed by line (None before:
    /// see [`Grouping::push_known`]).
    caller: CallerKey,
    line: Option<Num>,
    /// An untracked entry's redirecting number, normalised: it looks for a chain to join.
    redirect: Option<Num>,
    /// The entry it joined by that redirect ([`Node::UNLINKED`]: none).
    link: u32,
    /// Arrival order (ties in start time and seq keep it, as a stable sort of the input would).
    arrival: u64,
    /// The entry's start, stop and seq, copied: the redirect checks and handing a chain out
    /// read them from here, not from the entry (a block of its own, last read long before).
    start: Timestamp,
    stop: Timestamp,
    seq: u64,
}

impl Node {
    /// In `link`: the entry joined no chain by a redirect.
    const UNLINKED: u32 = u32::MAX;

    fn link(&self) -> Option<usize> {
        (self.link != Self::UNLINKED).then_some(self.link as usize)
    }
}

/// An entry in an index: its slot, and its arrival to tell it from a later entry in the same
/// slot. An entry handed out is not taken out of the indexes one by one (a probe of each per
/// entry); its records are skipped, and swept out once there are as many of them as entries.
#[derive(Clone, Copy)]
struct Indexed {
    slot: u32,
    /// The arrival, in 32 bits ([`held_arrival`]): records are swept long before 2^32 more
    /// entries arrive, so no later entry in the slot can be taken for this one.
    arrival: u32,
}

impl Indexed {
    /// The entry is still open (its slot holds it, not a later one), by `held`.
    fn is_open(&self, held: &[u32]) -> bool {
        held[self.slot as usize] == self.arrival
    }
}

/// An arrival as `held` and the index records keep it: in 32 bits, never [`Grouping::FREE`].
fn held_arrival(arrival: u64) -> u32 {
    (arrival % u64::from(Grouping::FREE)) as u32
}

/// The records of one key of an index: mostly one (a caller rings a line once an hour), held
/// in the table itself, so a new key allocates nothing and a sweep reads no other block.
type Records = smallvec::SmallVec<[Indexed; 2]>;

/// What [`Grouping::ids`] knows of a chain id.
#[derive(Clone, Copy)]
enum ChainId {
    /// A tracker id of an open chain: one of its slots.
    Open(u32),
    /// The id of a chain handed out, with its last stop in whole seconds.
    HandedOut(i64),
}

/// What the root of a chain knows of the whole chain.
struct Root {
    /// How many entries the chain has.
    size: usize,
    /// The first entry's (start, seq): the chain's place in the order chains are handed out.
    first: (Timestamp, u64),
    last_stop: Timestamp,
    /// The tracker id of its entries (of one of them, when `trackers` is more than one):
    /// handing the chain out names it without reading its entries.
    tracker: Option<Key>,
    /// Its entries have more than one tracker id (a chain joined by redirects; then each
    /// id is read when it is handed out).
    trackers: bool,
    /// Its current place in [`Grouping::order`] (earlier places of it are left behind).
    placed: u32,
}

impl Root {
    /// Entries with tracker id `t` (None: untracked) joined the chain.
    fn join_trackers(&mut self, t: Option<Key>) {
        match (&self.tracker, t) {
            (_, None) => {}
            (None, t) => self.tracker = t,
            (Some(mine), Some(t)) => self.trackers |= *mine != t,
        }
    }
}

/// SPEC §2.2, incrementally: each entry is joined to its chain once, when it arrives, through
/// an index on tracker id and one on caller + line (for redirects). Chains are handed out in
/// start order. Only when an entry arrives that would have been a better redirect target for
/// an entry already joined elsewhere (input out of time order) is the open set grouped anew.
#[derive(Default)]
struct Grouping {
    nodes: Vec<Option<Node>>,
    /// The arrival of the entry in each slot ([`Grouping::FREE`]: none): whether an index
    /// record is still open is read from this dense array, not from the (larger) nodes.
    held: Vec<u32>,
    roots: Vec<Option<Root>>,
    free: Vec<usize>,
    /// Chain ids: the tracker ids of the open chains (a slot of the chain), and the ids of
    /// the chains handed out recently (with their last stop), in one table, so an entry's
    /// tracker id is looked up once for both.
    ids: Map<Key, ChainId>,
    /// Open entries by (caller, their line). Empty until the first untracked entry with a
    /// redirecting number comes (see `redirects`).
    by_line: Map<(CallerKey, Num), Records>,
    /// Open untracked entries with a redirecting number, by (caller, that number): a table of
    /// its own, small (few entries are such), so the large one above keeps its buckets small.
    waiting: Map<(CallerKey, Num), Records>,
    /// An untracked entry with a redirecting number was read: only from then on can an entry
    /// be looked for by its line, so only then are the entries indexed by line (the open
    /// ones at once). A journal whose calls are all tracked never fills the index.
    redirects: bool,
    /// Records in `by_line` and `waiting` of entries handed out since they were last swept.
    gone: usize,
    /// Sweep past this many records (tests); None: past as many as there are slots, and at
    /// least [`Grouping::SWEEP_AT_LEAST`].
    sweep_at: Option<usize>,
    /// Chain roots by their first entry.
    order: Order,
    /// An earlier redirect decision is no longer the best one: regroup before handing out.
    stale: bool,
    numbers: NumberCache,
    arrivals: u64,
    /// The entries of the chain being handed out, with their order (a buffer kept between
    /// chains).
    #[allow(clippy::type_complexity)]
    handing_out: Vec<((Timestamp, u64, u64), Box<Entry>)>,
}

/// Normalised numbers of recently seen raw numbers (a cache: forgotten when it grows large),
/// and the id of every number an open entry holds.
#[derive(Default)]
struct NumberCache {
    map: Map<Key, Option<Num>>,
    /// The id of every number handed out since the last collection, or held then.
    ids: Map<Number, Num>,
    /// Ids given back by a collection.
    free: Vec<std::num::NonZeroU32>,
    next: u32,
    /// The one hidden caller.
    hidden: Option<Num>,
    /// How many raw numbers are kept before a collection (tests); None: [`NumberCache::KEPT`].
    kept: Option<usize>,
    /// The last caller asked for, raw, and what it is.
    last_caller: Option<(Key, CallerKey)>,
}

impl NumberCache {
    const KEPT: usize = 1 << 16;

    /// Time for a [`collect`](Self::collect).
    fn full(&self) -> bool {
        self.map.len() >= self.kept.unwrap_or(Self::KEPT)
    }

    /// Forgets the raw numbers, and the id of every number but those in `live` (the numbers of
    /// the open entries) and the hidden caller.
    fn collect(&mut self, live: impl Iterator<Item = Num>) {
        self.map.clear();
        self.last_caller = None;
        // (ids run from 1 to `next`)
        let mut keep = vec![false; self.next as usize + 1];
        for Num(i) in live.chain(self.hidden) {
            keep[i.get() as usize] = true;
        }
        let free = &mut self.free;
        self.ids.retain(|_, &mut Num(i)| {
            let k = keep[i.get() as usize];
            if !k {
                free.push(i);
            }
            k
        });
    }

    fn intern(&mut self, n: Number) -> Num {
        if let Some(&id) = self.ids.get(&n) {
            return id;
        }
        let id = Num(self.free.pop().unwrap_or_else(|| {
            self.next += 1;
            std::num::NonZeroU32::MIN.saturating_add(self.next - 1)
        }));
        self.ids.insert(n, id);
        id
    }

    fn normalise(&mut self, plan: &NumberPlan, raw: &str) -> Option<Num> {
        if let Some(&n) = self.map.get(raw) {
            return n;
        }
        let n = plan.normalise(raw).map(|n| self.intern(n));
        self.map.insert(raw.into(), n);
        n
    }

    fn caller(&mut self, plan: &NumberPlan, raw: &str) -> CallerKey {
        // the entries of a call come one after the other, mostly: the last caller again
        if let Some((last, n)) = &self.last_caller {
            if last == raw {
                return *n;
            }
        }
        let n = self.look_up_caller(plan, raw);
        self.last_caller = Some((raw.into(), n));
        n
    }

    fn look_up_caller(&mut self, plan: &NumberPlan, raw: &str) -> CallerKey {
        if is_hidden(raw) {
            if self.hidden.is_none() {
                self.hidden = Some(self.intern(Number::Other(Text::default())));
            }
            self.hidden
        } else {
            self.normalise(plan, raw)
        }
    }
}

/// A chain's place in [`Order`].
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
struct Place {
    start: Timestamp,
    seq: u64,
    slot: u32,
    /// Which place of the chain at `slot` this is (the root's `placed` names its current one).
    placed: u32,
}

/// The open chains in the order they are handed out: by their first entry's (start, seq),
/// then slot. Kept sorted in a ring buffer, as chains mostly open in that order: a new one
/// goes in at the back (or near it), and the chains handed out leave at the front. A chain
/// whose first entry changes is put in again, and a chain joined to another is not taken out:
/// the place left behind no longer matches a root, and is dropped when it reaches the front.
/// (A B-tree of the chains cost three descents per chain handed out, and two per join.)
#[derive(Default)]
struct Order {
    places: std::collections::VecDeque<Place>,
    /// Places handed out so far (a chain's current place is told by it; it wraps around, long
    /// after any place left behind has reached the front).
    placed: u32,
}

impl Order {
    /// Puts the chain at `slot` with this first entry in its place; its `placed`.
    fn insert(&mut self, (start, seq): (Timestamp, u64), slot: usize) -> u32 {
        self.placed = self.placed.wrapping_add(1);
        let p = Place {
            start,
            seq,
            slot: slot as u32,
            placed: self.placed,
        };
        let at = self.place_of(&p);
        self.places.insert(at, p);
        self.placed
    }

    /// Where `p` goes: looked for from the back, in steps that double, then by halving (a
    /// chain that opens, or is joined, mostly goes at the back or a few places before it).
    fn place_of(&self, p: &Place) -> usize {
        let places = &self.places;
        // every place before `lo` goes before `p`, every one from `hi` on after it
        let (mut lo, mut hi) = (0, places.len());
        let mut step = 1;
        while hi > lo {
            let i = hi.saturating_sub(step).max(lo);
            if places[i] < *p {
                lo = i + 1;
                break;
            }
            hi = i;
            step *= 2;
        }
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if places[mid] < *p {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    }

    /// The place is a chain's current one.
    fn current(p: &Place, roots: &[Option<Root>]) -> bool {
        matches!(&roots[p.slot as usize], Some(r) if r.placed == p.placed)
    }

    /// The first chain (the places left behind before it are dropped).
    fn front(&mut self, roots: &[Option<Root>]) -> Option<Place> {
        while let Some(p) = self.places.front() {
            if Self::current(p, roots) {
                return Some(*p);
            }
            self.places.pop_front();
        }
        None
    }

    /// Takes the first place (after [`Order::front`] returned it).
    fn pop_front(&mut self) {
        self.places.pop_front();
    }

    /// The slots of the chains that start with the same (start, seq) as `first` (the front),
    /// in order, `first`'s among them.
    fn same_start<'a>(
        &'a self,
        first: Place,
        roots: &'a [Option<Root>],
    ) -> impl Iterator<Item = usize> + 'a {
        self.places
            .iter()
            .take_while(move |p| (p.start, p.seq) == (first.start, first.seq))
            .filter(|p| Self::current(p, roots))
            .map(|p| p.slot as usize)
    }

    /// The slot at the `i`th place from the front (it may be a place left behind).
    fn slot_at(&self, i: usize) -> Option<usize> {
        self.places.get(i).map(|p| p.slot as usize)
    }
}

/// What [`Grouping::join`] knows of the open chain of an entry's tracker id.
#[derive(Clone, Copy)]
enum Ids {
    /// The entry was put into it already.
    Joined,
    /// There is none: the entry's chain is the one of its tracker id from now on.
    NoneOpen,
    /// Not looked up yet.
    LookUp,
}

fn node_in(nodes: &[Option<Node>], i: usize) -> &Node {
    nodes[i].as_ref().expect("an open slot")
}

/// The slots of the entries of an index record list that are still open (by `held`).
fn open<'g>(list: &'g Records, held: &'g [u32]) -> impl Iterator<Item = usize> + 'g {
    list.iter()
        .filter(|x| x.is_open(held))
        .map(|x| x.slot as usize)
}

/// Among the open entries on `by_line`, the one that redirected the entry in `slot` (which
/// started at `start`): the best ranked of those that stopped just before it, if any.
fn best_redirect(
    nodes: &[Option<Node>],
    held: &[u32],
    by_line: &Records,
    slot: usize,
    start: Timestamp,
) -> Option<usize> {
    open(by_line, held)
        .filter(|&j| j != slot && redirected_by(node_in(nodes, j).stop, start))
        .max_by(|&a, &b| {
            redirect_rank(&node_in(nodes, a).entry).cmp(&redirect_rank(&node_in(nodes, b).entry))
        })
}

/// An entry that stopped at `x_stop` may be the entry that redirected one that started at
/// `e_start` (SPEC §2.2): it stopped no more than 10 s before.
fn redirected_by(x_stop: Timestamp, e_start: Timestamp) -> bool {
    x_stop <= e_start && x_stop >= e_start - SignedDuration::from_secs(REDIRECT_GAP_SECONDS)
}

/// Among redirect candidates, the one that stopped last (then started last, then a stable id).
fn redirect_rank(x: &Entry) -> (Timestamp, Timestamp, &str) {
    (x.stop, x.start, x.connection_id.as_str())
}

fn tracker(e: &Entry) -> Option<&str> {
    e.tracker_id.as_deref().filter(|t| !t.is_empty())
}

impl Grouping {
    /// Index records of entries handed out are swept past at least this many.
    const SWEEP_AT_LEAST: usize = 4096;
    /// In `held`: the slot holds no entry (no arrival is kept as this).
    const FREE: u32 = u32::MAX;

    #[cfg(test)]
    fn push(&mut self, entry: Box<Entry>, plan: &NumberPlan) {
        let id = self.chain_id_of(&entry);
        self.push_known(entry, plan, id);
    }

    /// What the chain ids hold for the entry's tracker id (as the journal wrote it).
    fn chain_id_of(&self, e: &Entry) -> Option<ChainId> {
        e.tracker_id
            .as_deref()
            .and_then(|t| self.ids.get(t).copied())
    }

    /// Adds an entry, with what [`Grouping::chain_id_of`] said of it (looked up by the caller,
    /// so the ids are looked up once per entry).
    fn push_known(&mut self, entry: Box<Entry>, plan: &NumberPlan, id: Option<ChainId>) {
        if self.numbers.full() {
            let live = self.nodes.iter().flatten();
            let live = live.flat_map(|n| [n.caller, n.line, n.redirect].into_iter().flatten());
            self.numbers.collect(live);
        }
        let redirect = match (tracker(&entry), entry.redirecting_number.as_deref()) {
            (None, Some(r)) => self.numbers.normalise(plan, r),
            _ => None,
        };
        if redirect.is_some() && !self.redirects {
            self.index_lines(plan);
        }
        // the caller and the line are only ever looked for by redirects: until the first
        // redirected entry they are not normalised (a journal without one, every caller a
        // new number, spent a fifth of its grouping on them)
        let (caller, line) = match self.redirects {
            true => (
                self.numbers.caller(plan, &entry.phone_number),
                self.numbers.normalise(plan, &entry.line_number),
            ),
            false => (None, None),
        };
        // a chain with this tracker id is open: the entry goes straight into it
        let chain = match (tracker(&entry), id) {
            (Some(_), Some(ChainId::Open(j))) => Some(j as usize),
            _ => None,
        };
        let node = Node {
            start: entry.start,
            stop: entry.stop,
            seq: entry.seq,
            entry,
            parent: 0,
            next: 0,
            caller,
            line,
            redirect,
            link: Node::UNLINKED,
            arrival: self.arrivals,
        };
        self.arrivals += 1;
        let slot = match chain {
            Some(j) => self.insert_into(node, j),
            None => self.insert(node),
        };
        let ids = match chain {
            Some(_) => Ids::Joined,
            None => Ids::NoneOpen,
        };
        self.join(slot, true, ids);
    }

    /// Puts `node` into the chain of slot `j`, as `insert` and `union` would, without making
    /// it a chain of its own first.
    fn insert_into(&mut self, mut node: Node, j: usize) -> usize {
        let r = self.find(j);
        let slot = self.free.pop().unwrap_or(self.nodes.len());
        node.parent = r as u32;
        let first = (node.start, node.seq);
        let stop = node.stop;
        let t = tracker(&node.entry).map(Key::from);
        let Some(n) = self.nodes[r].as_mut() else {
            unreachable!("the root of an open chain")
        };
        node.next = std::mem::replace(&mut n.next, slot as u32);
        self.place(slot, node, None);
        let Some(root) = self.roots[r].as_mut() else {
            unreachable!("the root of an open chain")
        };
        root.size += 1;
        root.last_stop = root.last_stop.max(stop);
        root.join_trackers(t);
        if first < root.first {
            root.first = first;
            root.placed = self.order.insert(first, r);
        }
        slot
    }

    /// From now on entries are indexed by line: the open ones now (their callers and lines
    /// normalised now), the others as they come.
    fn index_lines(&mut self, plan: &NumberPlan) {
        self.redirects = true;
        for (slot, n) in self.nodes.iter_mut().enumerate() {
            if let Some(n) = n {
                // normalised now (see `push_known`)
                n.caller = self.numbers.caller(plan, &n.entry.phone_number);
                n.line = self.numbers.normalise(plan, &n.entry.line_number);
                if let Some(l) = n.line {
                    let here = Indexed {
                        slot: slot as u32,
                        arrival: held_arrival(n.arrival),
                    };
                    self.by_line.entry((n.caller, l)).or_default().push(here);
                }
            }
        }
    }

    /// A slot of the open chain with this tracker id.
    fn open_chain(&self, tracker: &str) -> Option<usize> {
        match self.ids.get(tracker) {
            Some(&ChainId::Open(j)) => Some(j as usize),
            _ => None,
        }
    }

    /// Forgets the ids of the chains handed out that stopped before `t`.
    fn forget_handed_out(&mut self, t: Timestamp) {
        let t = t.as_second();
        self.ids.retain(|_, c| match c {
            ChainId::Open(_) => true,
            ChainId::HandedOut(stop) => *stop >= t,
        });
    }

    /// When the earliest open chain started.
    fn earliest_start(&mut self) -> Option<Timestamp> {
        self.order.front(&self.roots).map(|p| p.start)
    }

    fn node(&self, i: usize) -> &Node {
        node_in(&self.nodes, i)
    }

    fn insert(&mut self, mut node: Node) -> usize {
        let slot = self.free.pop().unwrap_or(self.nodes.len());
        node.parent = slot as u32;
        node.next = slot as u32;
        let first = (node.start, node.seq);
        let root = Root {
            size: 1,
            first,
            last_stop: node.stop,
            tracker: tracker(&node.entry).map(Key::from),
            trackers: false,
            placed: self.order.insert(first, slot),
        };
        self.place(slot, node, Some(root));
        slot
    }

    /// Puts a node (and its root, if it is one) into `slot`: a free one, or the next new one.
    fn place(&mut self, slot: usize, node: Node, root: Option<Root>) {
        let arrival = held_arrival(node.arrival);
        if slot == self.nodes.len() {
            self.held.push(arrival);
            self.nodes.push(Some(node));
            self.roots.push(root);
        } else {
            self.held[slot] = arrival;
            self.nodes[slot] = Some(node);
            self.roots[slot] = root;
        }
    }

    /// Indexes the entry in `slot` and joins it to its chain. With `redirects` false only the
    /// indexes and the tracker ids (a regrouping resolves redirects afterwards). `ids`: what is
    /// known of the open chain of its tracker id.
    fn join(&mut self, slot: usize, redirects: bool, ids: Ids) {
        let n = self.node(slot);
        if let Some(t) = tracker(&n.entry).filter(|_| !matches!(ids, Ids::Joined)) {
            let open = match ids {
                Ids::LookUp => self.open_chain(t),
                Ids::NoneOpen | Ids::Joined => None,
            };
            match open {
                Some(j) => self.union(slot, j),
                None => {
                    let t = Key::from(t);
                    self.ids.insert(t, ChainId::Open(slot as u32));
                }
            }
        }
        let n = self.node(slot);
        let (caller, line, redirect, stop) = (n.caller, n.line, n.redirect, n.stop);
        let here = Indexed {
            slot: slot as u32,
            arrival: held_arrival(n.arrival),
        };
        if let Some(l) = line.filter(|_| self.redirects) {
            let key = (caller, l);
            let mut join = Vec::new();
            if let Some(waiting) = self.waiting.get(&key).filter(|_| redirects) {
                // entries already here that this one redirected (input out of time order)
                let nodes = &self.nodes;
                for w in open(waiting, &self.held) {
                    let e = node_in(nodes, w);
                    if w == slot || !redirected_by(stop, e.start) {
                        continue;
                    }
                    match e.link() {
                        None => join.push(w),
                        Some(y)
                            if redirect_rank(&node_in(nodes, slot).entry)
                                > redirect_rank(&node_in(nodes, y).entry) =>
                        {
                            self.stale = true
                        }
                        Some(_) => {}
                    }
                }
            }
            self.by_line.entry(key).or_default().push(here);
            for w in join {
                self.link(w, slot);
            }
        }
        if let Some(r) = redirect {
            let key = (caller, r);
            self.waiting.entry(key).or_default().push(here);
            if redirects {
                self.resolve(slot);
            }
        }
    }

    /// Joins an untracked redirected entry to the best open candidate, if any.
    fn resolve(&mut self, slot: usize) {
        let n = self.node(slot);
        let Some(by_line) = n.redirect.and_then(|r| self.by_line.get(&(n.caller, r))) else {
            return;
        };
        if let Some(j) = best_redirect(&self.nodes, &self.held, by_line, slot, n.start) {
            self.link(slot, j);
        }
    }

    fn link(&mut self, from: usize, to: usize) {
        if let Some(n) = self.nodes[from].as_mut() {
            n.link = to as u32;
        }
        self.union(from, to);
    }

    fn find(&mut self, mut i: usize) -> usize {
        loop {
            let p = self.node(i).parent as usize;
            if p == i {
                return i;
            }
            let gp = self.node(p).parent;
            if let Some(n) = self.nodes[i].as_mut() {
                n.parent = gp;
            }
            i = gp as usize;
        }
    }

    fn union(&mut self, a: usize, b: usize) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra == rb {
            return;
        }
        let (Some(x), Some(y)) = (self.roots[ra].take(), self.roots[rb].take()) else {
            unreachable!("roots of open chains")
        };
        let (keep, gone, mut big, small) = if x.size >= y.size {
            (ra, rb, x, y)
        } else {
            (rb, ra, y, x)
        };
        big.size += small.size;
        // the two rings become one: swap the successors of their roots
        let (nk, ng) = (self.node(keep).next, self.node(gone).next);
        if let Some(n) = self.nodes[keep].as_mut() {
            n.next = ng;
        }
        if let Some(n) = self.nodes[gone].as_mut() {
            n.next = nk;
        }
        if small.first < big.first {
            // (the place of `gone` is left behind: its root is gone)
            big.first = small.first;
            big.placed = self.order.insert(big.first, keep);
        }
        big.last_stop = big.last_stop.max(small.last_stop);
        big.trackers |= small.trackers;
        big.join_trackers(small.tracker);
        self.roots[keep] = Some(big);
        if let Some(n) = self.nodes[gone].as_mut() {
            n.parent = keep as u32;
        }
    }

    /// Hands out the chains whose last stop (plus the redirect gap) lies before `horizon`
    /// (all when None), in chain order, as long as no chain that started earlier is still open.
    fn take_closed(&mut self, horizon: Option<Timestamp>) -> Vec<Chain> {
        if self.stale {
            self.regroup();
        }
        let mut out = Vec::new();
        while let Some(first) = self.order.front(&self.roots) {
            self.prefetch_ahead();
            let r = first.slot as usize;
            if self.order.same_start(first, &self.roots).nth(1).is_none() {
                // the one chain that starts first (the rule when every entry has its own seq)
                if !self.closable(r, horizon) {
                    break;
                }
                self.order.pop_front();
                out.push(self.remove(r));
                continue;
            }
            // the chains that start with the same (start, seq) go in the order of their ids
            // (only when entries share a seq, as in tests)
            let same = self.order.same_start(first, &self.roots);
            let mut run: Vec<(String, usize)> = same.map(|r| (self.chain_id(r), r)).collect();
            run.sort();
            for (_, r) in run {
                if !self.closable(r, horizon) {
                    self.sweep_if_due();
                    return out;
                }
                out.push(self.remove(r));
            }
        }
        self.sweep_if_due();
        out
    }

    /// Asks for what handing out the next chains reads, a few chains ahead: their slots were
    /// last touched about an hour of input before. The root's node and root six chains ahead;
    /// two chains ahead, the next member (its slot is in the root's node, asked for before)
    /// and, for a chain without a tracker id, its first entry (the chain is named by it).
    fn prefetch_ahead(&self) {
        if let Some(r) = self.order.slot_at(2) {
            if let (Some(n), Some(root)) = (&self.nodes[r], &self.roots[r]) {
                prefetch(&self.nodes[n.next as usize]);
                if root.tracker.is_none() {
                    n.entry.prefetch();
                }
            }
        }
        if let Some(r) = self.order.slot_at(6) {
            prefetch(&self.nodes[r]);
            prefetch(&self.roots[r]);
        }
    }

    /// The chain rooted at `r` may be handed out: its last stop (plus the redirect gap) lies
    /// before `horizon` (always at the end of the input, None).
    fn closable(&self, r: usize, horizon: Option<Timestamp>) -> bool {
        match (horizon, &self.roots[r]) {
            (None, _) => true,
            (Some(h), Some(root)) => {
                root.last_stop + SignedDuration::from_secs(REDIRECT_GAP_SECONDS) < h
            }
            (Some(_), None) => false,
        }
    }

    /// Sweeps the records of entries handed out from the indexes, once there are as many of
    /// them as slots (so a sweep costs a step or two per entry, and the records stay bounded
    /// by twice the open entries).
    fn sweep_if_due(&mut self) {
        let due = self
            .sweep_at
            .unwrap_or(self.nodes.len().max(Self::SWEEP_AT_LEAST));
        if self.gone <= due {
            return;
        }
        let held = &self.held;
        for index in [&mut self.by_line, &mut self.waiting] {
            index.retain(|_, l| {
                l.retain(|x| x.is_open(held));
                !l.is_empty()
            });
        }
        self.gone = 0;
    }

    /// The slots of the chain rooted at `r`, the root first.
    fn members(&self, r: usize) -> impl Iterator<Item = usize> + '_ {
        let mut at = Some(r);
        std::iter::from_fn(move || {
            let m = at?;
            let next = self.node(m).next as usize;
            at = (next != r).then_some(next);
            Some(m)
        })
    }

    /// The id of the chain rooted at `r`: its tracker id, else its first entry's connection id.
    fn chain_id(&self, r: usize) -> String {
        if self.roots[r].is_none() {
            return String::new();
        }
        if let Some(t) = self.members(r).find_map(|m| tracker(&self.node(m).entry)) {
            return t.to_string();
        }
        self.members(r)
            .map(|m| self.node(m))
            .min_by_key(|n| (n.entry.start, n.entry.seq, n.arrival))
            .map_or_else(String::new, |n| n.entry.connection_id.to_string())
    }

    /// Takes the chain rooted at `r` out of every index.
    fn remove(&mut self, r: usize) -> Chain {
        // (its place in the order is left behind, if it is not taken already: its root is gone)
        let root = self.roots[r].take().expect("a chain root");
        let mut nodes = std::mem::take(&mut self.handing_out);
        // one tracker id (or none): the root knows it; else each member's is read
        let mut id = root.tracker.clone().filter(|_| !root.trackers);
        // round the ring, the root first, taking each member out
        let mut m = r;
        loop {
            let n = self.nodes[m].take().expect("a member of an open chain");
            self.held[m] = Self::FREE;
            self.free.push(m);
            if self.redirects {
                self.gone += usize::from(n.line.is_some()) + usize::from(n.redirect.is_some());
            }
            // (the entries are not read unless the chain has several tracker ids: they were
            // last read long ago)
            if let Some(t) = root.trackers.then(|| tracker(&n.entry)).flatten() {
                // the entries of a chain share their tracker id: it is marked once, below
                match &id {
                    None => id = Some(Text::from(t)),
                    Some(i) if i != t => {
                        self.ids.remove(t);
                    }
                    Some(_) => {}
                }
            }
            let next = n.next as usize;
            nodes.push(((n.start, n.seq, n.arrival), n.entry));
            if next == r {
                break;
            }
            m = next;
        }
        nodes.sort_by_key(|&(key, _)| key);
        let mut entries = Entries::with_capacity(nodes.len());
        entries.extend(nodes.drain(..).map(|(_, e)| e));
        self.handing_out = nodes;
        let id = id.unwrap_or_else(|| entries[0].connection_id.clone());
        // handed out; a later chain with the same id (reported late, never merged) keeps the
        // later mark
        let mark = self
            .ids
            .entry(id.clone())
            .or_insert(ChainId::HandedOut(root.last_stop.as_second()));
        *mark = match *mark {
            ChainId::HandedOut(t) => ChainId::HandedOut(t.max(root.last_stop.as_second())),
            ChainId::Open(_) => ChainId::HandedOut(root.last_stop.as_second()),
        };
        Chain { id, entries }
    }

    /// Groups the open entries anew: tracker ids and indexes first, then every redirect.
    fn regroup(&mut self) {
        let nodes: Vec<Node> = std::mem::take(&mut self.nodes)
            .into_iter()
            .flatten()
            .collect();
        let numbers = std::mem::take(&mut self.numbers);
        // the ids of the chains handed out stay; the open ones are indexed again
        let mut ids = std::mem::take(&mut self.ids);
        ids.retain(|_, c| matches!(c, ChainId::HandedOut(_)));
        *self = Grouping {
            numbers,
            ids,
            arrivals: self.arrivals,
            sweep_at: self.sweep_at,
            redirects: self.redirects,
            ..Grouping::default()
        };
        let mut slots = Vec::with_capacity(nodes.len());
        for mut n in nodes {
            n.link = Node::UNLINKED;
            let s = self.insert(n);
            self.join(s, false, Ids::LookUp);
            slots.push(s);
        }
        for s in slots {
            self.resolve(s);
        }
    }
}

/// Who a chain rang, who answered, how long it rang (SPEC §2.3–2.6).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Facts {
    pub(crate) id: Text,
    /// The caller's number as the journal wrote it ("" when hidden).
    pub(crate) caller_raw: Text,
    /// The caller's number normalised; None when hidden.
    pub(crate) caller: Option<Number>,
    /// The caller's name and company from the journal entries.
    pub(crate) journal_contact_name: Option<Text>,
    pub(crate) journal_contact_company: Option<Text>,
    pub(crate) start: Timestamp,
    pub(crate) last_stop: Timestamp,
    pub(crate) first_connect: Option<Timestamp>,
    /// Every participant (known users), in chain order.
    pub(crate) participants: Names,
    /// The participants who did not answer, in chain order.
    pub(crate) not_answered: Names,
    pub(crate) answered: bool,
    /// The answering user; None when nobody answered or only a line without a user did.
    pub(crate) answered_by: Option<Text>,
    /// The line that answered when no user did (SPEC §4: `answered_by` is null then).
    pub(crate) answered_line: Option<Text>,
    pub(crate) ring_seconds: i64,
    pub(crate) complete: bool,
    pub(crate) internal_flag: bool,
    /// Lines rung that belong to no user.
    pub(crate) unowned_lines: Names,
    /// The line the call was first redirected from, if any.
    pub(crate) redirected_from: Option<Text>,
    /// Users with an entry in this chain that says they were logged on.
    pub(crate) online_users: Names,
    /// The call went to voicemail (SPEC §1.2, §3.7): an entry of it was taken by voicemail.
    pub(crate) voicemail: bool,
    /// Every line rung, in chain order, once each: (its owner, the line as the journal wrote it).
    pub(crate) lines: Lines,
}

/// The users or lines of a chain: most chains ring a few, so they are kept in the facts
/// themselves, not in a heap block each (a chain held to the end is unpacked on one thread
/// and dropped on another, which costs both).
pub(crate) type Names = smallvec::SmallVec<[Text; 4]>;
/// The lines of a chain with their owners, kept as [`Names`] are.
pub(crate) type Lines = smallvec::SmallVec<[(Option<Text>, Text); 4]>;

/// The owner of an entry: the line user name, else the user of the line number.
pub(crate) fn owner(e: &Entry, lookup: &Lookup) -> Option<String> {
    owner_of(e, lookup).map(str::to_string)
}

/// [`owner`], borrowed from the entry or the users file.
fn owner_of<'a>(e: &'a Entry, lookup: &'a Lookup) -> Option<&'a str> {
    if let Some(u) = e
        .line_user
        .as_deref()
        .map(str::trim)
        .filter(|u| !u.is_empty())
    {
        return Some(canonical_user(u, lookup));
    }
    lookup
        .user_by_raw_line(&e.line_number)
        .map(|u| u.user.as_str())
}

/// A user name as the users file writes it (any case matches), else as given.
fn canonical_user<'a>(name: &'a str, lookup: &'a Lookup) -> &'a str {
    lookup.user(name).map_or(name, |u| u.user.as_str())
}

/// Derives the facts of a chain. `now` decides completeness (SPEC §2.6).
pub(crate) fn facts(
    chain: &Chain,
    lookup: &Lookup,
    settle_seconds: u64,
    now: Timestamp,
) -> Box<Facts> {
    let es = &chain.entries;
    // (the lists of this function are kept on the stack for a chain of a few entries)
    let owners: smallvec::SmallVec<[Option<&str>; 8]> =
        es.iter().map(|e| owner_of(e, lookup)).collect();
    // The first ring (ring time counts from it, §2.5) and the caller's arrival, which may be
    // earlier (IVR / queue rows that rang no phone, §1.2): the chain's `start` is the arrival.
    let first_ring = es.iter().map(|e| e.start).min().expect("chain has entries");
    let start = es
        .iter()
        .map(|e| e.arrival.map_or(e.start, |a| a.min(e.start)))
        .min()
        .unwrap_or(first_ring);
    let last_stop = es.iter().map(|e| e.stop).max().expect("chain has entries");
    let first_connect = es.iter().filter_map(|e| e.connect).min();

    // who answered: the earliest answering entry, a known user preferred
    struct Answer<'a> {
        at: Timestamp,
        start: Timestamp,
        seq: u64,
        user: &'a str,
        known: bool,
    }
    let mut answers: smallvec::SmallVec<[Answer; 4]> = smallvec::SmallVec::new();
    // a handful at most: a list, not a set
    let mut answered_users: smallvec::SmallVec<[&str; 4]> = smallvec::SmallVec::new();
    for (e, o) in es.iter().zip(&owners) {
        let acceptor = e
            .acceptor
            .as_deref()
            .map(str::trim)
            .filter(|a| !a.is_empty());
        let (user, known) = match (acceptor, o) {
            (Some(a), _) => (canonical_user(a, lookup), true),
            (None, Some(o)) if e.connect.is_some() => (*o, true),
            (None, None) if e.connect.is_some() => (e.line_number.as_str(), false),
            _ => continue,
        };
        if known && !answered_users.contains(&user) {
            answered_users.push(user);
        }
        answers.push(Answer {
            at: e.connect.unwrap_or(e.stop),
            start: e.start,
            seq: e.seq,
            user,
            known,
        });
    }
    answers.sort_by_key(|a| (!a.known, a.at, a.start, a.seq));
    let answered = !answers.is_empty();
    let (answered_by, answered_line) = match answers.first() {
        Some(a) if a.known => (Some(Text::from(a.user)), None),
        Some(a) => (None, Some(Text::from(a.user))),
        None => (None, None),
    };
    let answered_at = answers.iter().map(|a| a.at).min();

    let mut participants = Names::new();
    let mut unowned_lines = Names::new();
    for (e, o) in es.iter().zip(&owners) {
        match o {
            Some(o) => {
                if !participants.iter().any(|p| p == o) {
                    participants.push(Text::from(*o));
                }
            }
            None => {
                if !unowned_lines.contains(&e.line_number) {
                    unowned_lines.push(e.line_number.clone());
                }
            }
        }
    }
    let not_answered = participants
        .iter()
        .filter(|p| !answered_users.contains(&p.as_str()) && answered_by.as_ref() != Some(*p))
        .cloned()
        .collect();

    let ring_end = if answered {
        first_connect.or(answered_at).unwrap_or(last_stop)
    } else {
        last_stop
    };
    let ring_seconds = (ring_end - first_ring).as_secs().max(0);
    let complete = es.iter().any(|e| e.tracker_last)
        || now.duration_since(last_stop) >= SignedDuration::from_secs(settle_seconds as i64);

    let first_visible = es.iter().find(|e| !is_hidden(&e.phone_number));
    let caller_raw = first_visible.map_or(Text::default(), |e| e.phone_number.trim().into());
    let caller = lookup.plan.normalise(&caller_raw);
    let pick = |f: fn(&Entry) -> Option<&crate::ingest::Text>| {
        es.iter()
            .filter_map(|e| f(e))
            .map(|s| s.trim())
            .find(|s| !s.is_empty())
            .map(Text::from)
    };
    // boxed where it is made: the facts (some 500 bytes) are handed on several times
    Box::new(Facts {
        id: chain.id.clone(),
        caller_raw,
        caller,
        journal_contact_name: pick(|e| e.contact_name.as_ref()),
        journal_contact_company: pick(|e| e.contact_company.as_ref()),
        start,
        last_stop,
        first_connect,
        participants,
        not_answered,
        answered,
        answered_by,
        answered_line,
        ring_seconds,
        complete,
        internal_flag: es.iter().any(|e| e.internal),
        voicemail: es.iter().any(|e| e.voicemail),
        lines: {
            let mut lines = Lines::new();
            for (e, o) in es.iter().zip(&owners) {
                let line = e.line_number.trim();
                if !line.is_empty() && !lines.iter().any(|(_, l)| l == line) {
                    lines.push((o.map(Text::from), Text::from(line)));
                }
            }
            lines
        },
        unowned_lines,
        redirected_from: pick(|e| e.redirecting_number.as_ref()),
        online_users: es
            .iter()
            .zip(&owners)
            .filter(|(e, _)| e.user_offline == Some(false))
            .filter_map(|(_, o)| o.map(Text::from))
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decide::testkit::*;

    #[test]
    fn interned_numbers_are_equal_exactly_when_the_numbers_are() {
        let plan = NumberPlan::default();
        let mut c = NumberCache::default();
        let a = c.normalise(&plan, "030 5550100").unwrap();
        assert!(a == c.normalise(&plan, "+49 30 5550100").unwrap());
        assert!(a == c.normalise(&plan, "0049305550100").unwrap());
        assert!(a != c.normalise(&plan, "030 5550101").unwrap());
        // every hidden caller is one, and nobody else
        assert!(c.caller(&plan, "") == c.caller(&plan, "anonymous"));
        assert!(c.caller(&plan, "") != c.caller(&plan, "030 5550100"));
        // the cache forgets (several times over), what is still held stays the same number
        c.kept = Some(1000);
        for i in 0..3000 {
            if c.full() {
                c.collect([a].into_iter());
            }
            c.normalise(&plan, &format!("0171 {i:08}"));
        }
        assert!(c.ids.len() <= 1002, "{}", c.ids.len());
        assert!(c.next <= 1003, "ids are reused: {}", c.next);
        assert!(a == c.normalise(&plan, "+49 30 5550100").unwrap());
        assert!(a != c.normalise(&plan, "0171 00000001").unwrap());
        assert!(c.caller(&plan, "") == c.caller(&plan, "private"));
    }

    fn chains_of(entries: Vec<Entry>) -> Vec<Chain> {
        let mut cs = group(entries, &lookup());
        cs.sort_by(chain_order);
        cs
    }

    fn ids(c: &Chain) -> Vec<&str> {
        c.entries.iter().map(|e| e.connection_id.as_str()).collect()
    }

    #[test]
    fn grouping_by_tracker_and_redirect() {
        // (name, entries, expected chains as lists of connection ids)
        type Case = (&'static str, Vec<Entry>, Vec<Vec<&'static str>>);
        let cases: Vec<Case> = vec![
            (
                "same tracker id is one chain",
                vec![entry("a").tracker("T"), entry("b").tracker("T").line("202")],
                vec![vec!["a", "b"]],
            ),
            (
                "different trackers are different chains",
                vec![entry("a").tracker("T1"), entry("b").tracker("T2")],
                vec![vec!["a"], vec!["b"]],
            ),
            (
                "no tracker, no redirect: each its own chain",
                vec![entry("a"), entry("b").line("202")],
                vec![vec!["a"], vec!["b"]],
            ),
            (
                "redirect within 10 s joins",
                vec![
                    entry("a").ring("09:00:00", "09:00:20"),
                    entry("b")
                        .line("202")
                        .ring("09:00:25", "09:00:50")
                        .redirected_from("201"),
                ],
                vec![vec!["a", "b"]],
            ),
            (
                "redirect exactly 10 s after the stop joins",
                vec![
                    entry("a").ring("09:00:00", "09:00:20"),
                    entry("b")
                        .line("202")
                        .ring("09:00:30", "09:00:50")
                        .redirected_from("201"),
                ],
                vec![vec!["a", "b"]],
            ),
            (
                "redirect 11 s after the stop does not join",
                vec![
                    entry("a").ring("09:00:00", "09:00:20"),
                    entry("b")
                        .line("202")
                        .ring("09:00:31", "09:00:50")
                        .redirected_from("201"),
                ],
                vec![vec!["a"], vec!["b"]],
            ),
            (
                "a line still ringing when the redirected entry starts did not redirect it",
                vec![
                    entry("a").ring("09:00:00", "09:00:40"),
                    entry("b")
                        .line("202")
                        .ring("09:00:25", "09:00:50")
                        .redirected_from("201"),
                ],
                vec![vec!["a"], vec!["b"]],
            ),
            (
                "among candidates the one that stopped last",
                vec![
                    entry("a").ring("09:00:00", "09:00:15"),
                    entry("b").ring("09:00:05", "09:00:20"),
                    entry("c")
                        .line("202")
                        .ring("09:00:25", "09:00:50")
                        .redirected_from("201"),
                ],
                vec![vec!["a"], vec!["b", "c"]],
            ),
            (
                "redirect from another caller does not join",
                vec![
                    entry("a").ring("09:00:00", "09:00:20"),
                    entry("b")
                        .line("202")
                        .ring("09:00:25", "09:00:50")
                        .redirected_from("201")
                        .caller("0301111111"),
                ],
                vec![vec!["a"], vec!["b"]],
            ),
            (
                "redirect naming another line does not join",
                vec![
                    entry("a").ring("09:00:00", "09:00:20"),
                    entry("b")
                        .line("202")
                        .ring("09:00:25", "09:00:50")
                        .redirected_from("203"),
                ],
                vec![vec!["a"], vec!["b"]],
            ),
            (
                "redirect into a tracked chain joins it; rows in reverse order",
                vec![
                    entry("b")
                        .line("202")
                        .ring("09:00:25", "09:00:50")
                        .redirected_from("201"),
                    entry("a").tracker("T").ring("09:00:00", "09:00:20"),
                ],
                vec![vec!["a", "b"]],
            ),
            (
                "a tracked entry never joins by redirect",
                vec![
                    entry("a").ring("09:00:00", "09:00:20"),
                    entry("b")
                        .tracker("T")
                        .line("202")
                        .ring("09:00:25", "09:00:50")
                        .redirected_from("201"),
                ],
                vec![vec!["a"], vec!["b"]],
            ),
            (
                "redirect numbers are compared normalised",
                vec![
                    entry("a").ring("09:00:00", "09:00:20").line("0171 2222222"),
                    entry("b")
                        .line("202")
                        .ring("09:00:22", "09:00:50")
                        .redirected_from("+49 171 2222222"),
                ],
                vec![vec!["a", "b"]],
            ),
            (
                "a redirect never joins an entry still ringing when it started",
                vec![
                    entry("g1")
                        .tracker("T1")
                        .ring("09:00:00", "09:01:00")
                        .connect("09:00:50"),
                    entry("r1")
                        .line("203")
                        .ring("09:00:20", "09:00:45")
                        .redirected_from("201"),
                ],
                vec![vec!["g1"], vec!["r1"]],
            ),
            (
                "a redirect joins the entry that had stopped, not the one still ringing",
                vec![
                    entry("g1")
                        .tracker("T1")
                        .ring("09:00:00", "09:01:00")
                        .connect("09:00:50"),
                    entry("g2").tracker("T2").ring("09:00:05", "09:00:15"),
                    entry("r1")
                        .line("203")
                        .ring("09:00:20", "09:00:45")
                        .redirected_from("201"),
                ],
                vec![vec!["g1"], vec!["g2", "r1"]],
            ),
            (
                "a redirect starting the second its source stopped joins",
                vec![
                    entry("a").ring("09:00:00", "09:00:20"),
                    entry("b")
                        .line("202")
                        .ring("09:00:20", "09:00:50")
                        .redirected_from("201"),
                ],
                vec![vec!["a", "b"]],
            ),
            (
                "redirect chains are transitive",
                vec![
                    entry("a").ring("09:00:00", "09:00:20"),
                    entry("b")
                        .line("202")
                        .ring("09:00:21", "09:00:40")
                        .redirected_from("201"),
                    entry("c")
                        .line("203")
                        .ring("09:00:41", "09:01:00")
                        .redirected_from("202"),
                ],
                vec![vec!["a", "b", "c"]],
            ),
        ];
        let as_sets = |cs: Vec<Chain>| {
            let mut v: Vec<Vec<String>> = cs
                .iter()
                .map(|c| {
                    let mut ids: Vec<String> = ids(c).into_iter().map(String::from).collect();
                    ids.sort();
                    ids
                })
                .collect();
            v.sort();
            v
        };
        for (name, entries, want) in cases {
            let got: Vec<Vec<String>> = chains_of(entries.clone())
                .iter()
                .map(|c| ids(c).into_iter().map(String::from).collect())
                .collect();
            assert_eq!(got, want, "{name}");
            // the same grouping with the rows reversed
            let mut rev = entries;
            rev.reverse();
            let mut want_sets: Vec<Vec<String>> = want
                .iter()
                .map(|c| {
                    let mut v: Vec<String> = c.iter().map(|s| s.to_string()).collect();
                    v.sort();
                    v
                })
                .collect();
            want_sets.sort();
            assert_eq!(as_sets(chains_of(rev)), want_sets, "{name} (reversed)");
        }
    }

    proptest::proptest! {
        /// The order of the open chains, with places left behind, gives the chains of a
        /// sorted set of the current ones: the same front, the same ties.
        #[test]
        fn the_order_of_chains_is_the_sorted_order_of_the_current_places(
            ops in proptest::collection::vec((0u8..4, 0usize..12, 0i64..20, 0u64..3), 1..200)
        ) {
            let t0 = Timestamp::UNIX_EPOCH;
            let mut order = Order::default();
            let mut roots: Vec<Option<Root>> = (0..12).map(|_| None).collect();
            let mut model = std::collections::BTreeSet::new();
            let root = |first: (Timestamp, u64), placed| Root {
                size: 1,
                first,
                last_stop: first.0,
                tracker: None,
                trackers: false,
                placed,
            };
            for (op, slot, secs, seq) in ops {
                let first = (t0 + SignedDuration::from_secs(secs), seq);
                match (op, &roots[slot]) {
                    // a new chain in a free slot
                    (0, None) => {
                        let placed = order.insert(first, slot);
                        roots[slot] = Some(root(first, placed));
                        model.insert((first.0, first.1, slot));
                    }
                    // an earlier entry joins it: it is put in again
                    (1, Some(r)) if first < r.first => {
                        model.remove(&(r.first.0, r.first.1, slot));
                        let placed = order.insert(first, slot);
                        roots[slot] = Some(root(first, placed));
                        model.insert((first.0, first.1, slot));
                    }
                    // joined to another chain, or handed out out of turn: its root is gone
                    (2, Some(r)) => {
                        model.remove(&(r.first.0, r.first.1, slot));
                        roots[slot] = None;
                    }
                    // the first chain is handed out
                    (3, _) => {
                        if let Some(p) = order.front(&roots) {
                            order.pop_front();
                            let s = p.slot as usize;
                            roots[s] = None;
                            let m = model.pop_first().map(|(_, _, s)| s);
                            proptest::prop_assert_eq!(Some(s), m);
                        }
                    }
                    _ => {}
                }
                let front = order.front(&roots);
                let m = model.first().copied();
                proptest::prop_assert_eq!(front.map(|p| (p.start, p.seq, p.slot as usize)), m);
                if let Some(p) = front {
                    let same: Vec<usize> = order.same_start(p, &roots).collect();
                    let want: Vec<usize> = model
                        .iter()
                        .filter(|&&(t, q, _)| (t, q) == (p.start, p.seq))
                        .map(|&(_, _, s)| s)
                        .collect();
                    proptest::prop_assert_eq!(same, want);
                }
            }
        }
    }

    #[test]
    fn a_root_knows_its_tracker_and_whether_it_has_several() {
        let root = |t: Option<&str>| Root {
            size: 1,
            first: (t0(), 0),
            last_stop: t0(),
            tracker: t.map(Key::from),
            trackers: false,
            placed: 0,
        };
        fn t0() -> Timestamp {
            Timestamp::UNIX_EPOCH
        }
        // (the root's tracker, the one joined) -> (the root's tracker then, several)
        type Case = (
            Option<&'static str>,
            Option<&'static str>,
            Option<&'static str>,
            bool,
        );
        let cases: [Case; 5] = [
            (None, None, None, false),
            (None, Some("T"), Some("T"), false),
            (Some("T"), None, Some("T"), false),
            (Some("T"), Some("T"), Some("T"), false),
            (Some("T"), Some("U"), Some("T"), true),
        ];
        for (mine, joined, want, several) in cases {
            let mut r = root(mine);
            r.join_trackers(joined.map(Key::from));
            assert_eq!(
                (r.tracker.as_deref(), r.trackers),
                (want, several),
                "{mine:?} + {joined:?}"
            );
        }
    }

    #[test]
    fn chain_id_is_tracker_else_first_connection_id() {
        let cs = chains_of(vec![
            entry("b").ring("09:00:05", "09:00:20"),
            entry("a").tracker("T"),
        ]);
        assert_eq!(cs[0].id, "T");
        let cs = chains_of(vec![
            entry("second")
                .line("202")
                .ring("09:00:22", "09:00:40")
                .redirected_from("201"),
            entry("first"),
        ]);
        assert_eq!(cs[0].id, "first");
    }

    fn facts_of(entries: Vec<Entry>) -> Facts {
        let l = lookup();
        let mut cs = group(
            entries
                .into_iter()
                .enumerate()
                .map(|(i, mut e)| {
                    e.seq = i as u64;
                    e
                })
                .collect(),
            &l,
        );
        assert_eq!(cs.len(), 1);
        *facts(&cs.remove(0), &l, 120, t("12:00:00"))
    }

    #[test]
    fn participants_in_chain_order_twins_once_ties_by_input() {
        // parallel ringing: 202 and 201 at the same time (input order decides), anna's twin later
        let f = facts_of(vec![
            entry("a")
                .tracker("T")
                .line("202")
                .ring("09:00:00", "09:00:20"),
            entry("b")
                .tracker("T")
                .line("201")
                .ring("09:00:00", "09:00:20"),
            entry("c")
                .tracker("T")
                .line("0171 2222222")
                .ring("09:00:05", "09:00:20"),
            entry("d")
                .tracker("T")
                .line("203")
                .ring("09:00:10", "09:00:20"),
        ]);
        assert_eq!(f.participants[..], ["bert", "anna", "carl"]);
        assert_eq!(f.not_answered[..], ["bert", "anna", "carl"]);
        assert!(!f.answered);
        assert_eq!(f.ring_seconds, 20);
        let lines: Vec<(Option<&str>, &str)> = f
            .lines
            .iter()
            .map(|(o, l)| (o.as_deref(), l.as_str()))
            .collect();
        assert_eq!(lines.len(), f.participants.len() + 1, "{lines:?}");
        assert!(lines.contains(&(Some("anna"), "0171 2222222")), "{lines:?}");
        assert!(lines.contains(&(Some("carl"), "203")), "{lines:?}");
    }

    #[test]
    fn line_user_name_wins_over_the_users_file() {
        let f = facts_of(vec![entry("a").line("999").user("carl")]);
        assert_eq!(f.participants[..], ["carl"]);
        let f = facts_of(vec![entry("a").line("999")]);
        assert!(f.participants.is_empty());
        assert_eq!(f.unowned_lines[..], ["999"]);
    }

    #[test]
    fn answered_and_who_did_not_answer() {
        // group call: anna, bert, carl; bert answers after 7 s
        let f = facts_of(vec![
            entry("a").tracker("T").line("201"),
            entry("b").tracker("T").line("202").connect("09:00:07"),
            entry("c").tracker("T").line("203"),
        ]);
        assert!(f.answered);
        assert_eq!(f.answered_by.as_deref(), Some("bert"));
        assert_eq!(f.not_answered[..], ["anna", "carl"]);
        assert_eq!(f.ring_seconds, 7);
    }

    #[test]
    fn answered_on_a_line_without_user() {
        // answered_by is a user or null; the line goes to answered_line
        let f = facts_of(vec![
            entry("a").tracker("T").line("201"),
            entry("b").tracker("T").line("299").connect("09:00:05"),
        ]);
        assert!(f.answered);
        assert_eq!(f.answered_by, None);
        assert_eq!(f.answered_line.as_deref(), Some("299"));
        assert_eq!(f.not_answered[..], ["anna"]);
        // a user's answer wins over the line's
        let f = facts_of(vec![
            entry("a").tracker("T").line("201").connect("09:00:07"),
            entry("b").tracker("T").line("299").connect("09:00:05"),
        ]);
        assert_eq!(f.answered_by.as_deref(), Some("anna"));
        assert_eq!(f.answered_line, None);
    }

    #[test]
    fn voicemail_is_not_an_answer() {
        let f = facts_of(vec![entry("a").voicemail()]);
        assert!(f.voicemail);
        assert!(!f.answered);
        assert_eq!(f.not_answered[..], ["anna"]);
        assert!(!facts_of(vec![entry("a")]).voicemail);
    }

    #[test]
    fn pickup_by_acceptor() {
        // rang at anna, carl picked it up: anna did not answer, carl did
        let f = facts_of(vec![entry("a")
            .tracker("T")
            .line("201")
            .connect("09:00:04")
            .acceptor("carl")]);
        assert_eq!(f.answered_by.as_deref(), Some("carl"));
        assert_eq!(f.participants[..], ["anna"]);
        assert_eq!(f.not_answered[..], ["anna"]);
        // the acceptor was also rung: not a non-answerer
        let f = facts_of(vec![
            entry("a").tracker("T").line("201").acceptor("carl"),
            entry("b").tracker("T").line("203"),
        ]);
        assert_eq!(f.answered_by.as_deref(), Some("carl"));
        assert_eq!(f.not_answered[..], ["anna"]);
        assert_eq!(f.ring_seconds, 20);
    }

    #[test]
    fn answered_on_the_users_own_twin() {
        let f = facts_of(vec![
            entry("a").tracker("T").line("201"),
            entry("b")
                .tracker("T")
                .line("0171 2222222")
                .connect("09:00:05"),
            entry("c").tracker("T").line("202"),
        ]);
        assert_eq!(f.answered_by.as_deref(), Some("anna"));
        assert_eq!(f.participants[..], ["anna", "bert"]);
        assert_eq!(f.not_answered[..], ["bert"]);
    }

    #[test]
    fn the_chain_starts_at_the_callers_arrival_and_rings_from_the_first_ring() {
        // a caller in the IVR / queue from 08:55:00; the first line rang at 09:00:00
        let mut early = entry("1").tracker("T").ring("09:00:00", "09:00:20");
        early.arrival = Some(t("08:55:00"));
        let f = facts_of(vec![early, entry("2").tracker("T").line("202")]);
        assert_eq!(f.start, t("08:55:00"));
        assert_eq!(f.ring_seconds, 20);
        // an arrival after the entry's own start does not move the start
        let mut late = entry("1").ring("09:00:00", "09:00:20");
        late.arrival = Some(t("09:00:10"));
        assert_eq!(facts_of(vec![late]).start, t("09:00:00"));
    }

    #[test]
    fn cyclic_distribution_from_rows_in_any_order() {
        let rows = vec![
            entry("3")
                .tracker("T")
                .line("203")
                .ring("09:00:40", "09:01:00"),
            entry("1")
                .tracker("T")
                .line("201")
                .ring("09:00:00", "09:00:20"),
            entry("2")
                .tracker("T")
                .line("202")
                .ring("09:00:20", "09:00:40"),
        ];
        let f = facts_of(rows);
        assert_eq!(f.participants[..], ["anna", "bert", "carl"]);
        assert_eq!(f.start, t("09:00:00"));
        assert_eq!(f.last_stop, t("09:01:00"));
        assert_eq!(f.ring_seconds, 60);
    }

    #[test]
    fn completeness() {
        let l = lookup();
        let c = Chain {
            id: "x".into(),
            entries: smallvec::smallvec![Box::new(entry("a").ring("09:00:00", "09:00:20"))],
        };
        // settle 120 s: complete exactly 120 s after the last stop, not 1 s before
        assert!(facts(&c, &l, 120, t("09:02:20")).complete);
        assert!(!facts(&c, &l, 120, t("09:02:19")).complete);
        // TrackerLastCall completes at once
        let c = Chain {
            id: "x".into(),
            entries: smallvec::smallvec![Box::new(entry("a").last())],
        };
        assert!(facts(&c, &l, 120, t("09:00:21")).complete);
    }
}
