//! Which rows are one call (SPEC §1.2, "One call, one chain").

use foldhash::{HashMap, HashMapExt};

use super::channel::{local_half, local_number};
use super::row::Raw;
use crate::ingest::Text;

/// The two intervals overlap (a second of slack for the rounding of CDR times).
pub(super) fn overlaps(a: &Raw, b: &Raw) -> bool {
    match (a.start, a.stop, b.start, b.stop) {
        (Some(s1), Some(e1), Some(s2), Some(e2)) => {
            let slack = jiff::SignedDuration::from_secs(1);
            s1 <= e2 + slack && s2 <= e1 + slack
        }
        _ => false,
    }
}

#[cfg(test)]
pub(super) struct UnionFind(Vec<usize>);

#[cfg(test)]
impl UnionFind {
    fn find(&mut self, i: usize) -> usize {
        let mut r = i;
        while self.0[r] != r {
            r = self.0[r];
        }
        let mut j = i;
        while self.0[j] != r {
            let next = self.0[j];
            self.0[j] = r;
            j = next;
        }
        r
    }
    fn union(&mut self, a: usize, b: usize) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            self.0[ra.max(rb)] = ra.min(rb);
        }
    }
}

#[cfg(test)]
/// The batch grouping, kept as the oracle of [`Grouper`]. Groups rows into calls (SPEC §1.2):
/// shared `linkedid`, else shared `uniqueid` or Grandstream Session; a Local channel's `;2` half joins the row whose `dstchannel` is its `;1` half; a
/// callee's own row (its `channel` is another row's `dstchannel`) joins that row; the last two
/// only when the rows overlap in time. Returns the group index of each row.
pub(super) fn group_rows(rows: &[Raw]) -> Vec<usize> {
    let mut uf = UnionFind((0..rows.len()).collect());
    let by_dst = by_keys(rows, &mut uf);
    by_channels(rows, &by_dst, &mut uf);
    orphan_halves(rows, &by_dst, &mut uf);
    (0..rows.len()).map(|i| uf.find(i)).collect()
}

#[cfg(test)]
/// The rows of each destination channel.
type ByDst<'a> = HashMap<&'a str, Vec<usize>>;

#[cfg(test)]
/// Joins the rows that share `linkedid` (else `uniqueid`, else the channel@start key) or
/// Grandstream's Session; returns the rows of each destination channel.
fn by_keys<'a>(rows: &'a [Raw], uf: &mut UnionFind) -> ByDst<'a> {
    let mut keys: HashMap<(u8, &str), usize> = HashMap::new();
    let mut by_dst: ByDst = HashMap::new();
    for (i, r) in rows.iter().enumerate() {
        let mut ks: Vec<(u8, &str)> = Vec::new();
        if !r.linkedid.is_empty() {
            ks.push((0, &r.linkedid));
        } else if !r.uniqueid.is_empty() {
            ks.push((1, &r.uniqueid));
        } else if let Some(k) = &r.fallback_key {
            ks.push((2, k));
        }
        if !r.session.is_empty() {
            ks.push((3, &r.session));
        }
        for k in ks {
            match keys.get(&k) {
                Some(&j) => uf.union(i, j),
                None => {
                    keys.insert(k, i);
                }
            }
        }
        if !r.dstchannel.is_empty() {
            by_dst.entry(&r.dstchannel).or_default().push(i);
        }
    }
    by_dst
}

#[cfg(test)]
/// Joins a Local `;2` half to the row that dialled its `;1` half, and a callee's own row to
/// the row whose destination it is, when they overlap in time.
fn by_channels(rows: &[Raw], by_dst: &ByDst<'_>, uf: &mut UnionFind) {
    for (i, r) in rows.iter().enumerate() {
        if r.channel.is_empty() {
            continue;
        }
        let target = match local_half(&r.channel) {
            Some((base, 2)) => compact_str::format_compact!("{base};1"),
            Some(_) => continue,
            None => r.channel.clone(),
        };
        if let Some(js) = by_dst.get(target.as_str()) {
            for &j in js {
                if j != i && overlaps(r, &rows[j]) {
                    uf.union(i, j);
                }
            }
        }
    }
}

#[cfg(test)]
/// Joins the `;2` halves whose `;1` half is no row's destination to the call that created them.
fn orphan_halves(rows: &[Raw], by_dst: &ByDst<'_>, uf: &mut UnionFind) {
    // A `;2` half whose `;1` half is no row's destination was created by the dialplan of
    // another Local half whose own row Asterisk did not write (FreePBX follow-me: the
    // `FMPR-1001` half dials `Local/1001@from-internal`). It joins the call of the same caller
    // that rang the latest Local channel created before it (Local channels are numbered in
    // creation order) while it was up.
    let mut orphans: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, r) in rows.iter().enumerate() {
        if let Some((base, 2)) = local_half(&r.channel) {
            let first = format!("{base};1");
            let linked = by_dst
                .get(first.as_str())
                .is_some_and(|js| js.iter().any(|&j| overlaps(r, &rows[j])));
            if !linked {
                orphans.entry(base).or_default().push(i);
            }
        }
    }
    for (base, members) in orphans {
        let Some(number) = local_number(base) else {
            continue;
        };
        let r = &rows[members[0]];
        let creator = rows
            .iter()
            .enumerate()
            .filter(|(j, q)| {
                !members.contains(j)
                    && !r.src.is_empty()
                    && q.src == r.src
                    && q.start <= r.start
                    && members.iter().any(|&m| overlaps(&rows[m], q))
            })
            .filter_map(|(j, q)| match local_half(&q.dstchannel) {
                Some((b, 1)) => local_number(b)
                    .filter(|n| *n < number)
                    .map(|n| (n, q.start, j)),
                _ => None,
            })
            .max();
        if let Some((_, _, j)) = creator {
            for &m in &members {
                uf.union(m, j);
            }
        }
    }
}

/// One row kept by [`Grouper`] until its call is handed out.
struct Slot {
    /// Boxed: the slots stay small, so the open rows grow and move cheaply.
    raw: Box<Raw>,
    /// A Local `;2` half that is joined to a row dialling its `;1` half.
    linked: bool,
}

/// A call being gathered: its rows (slots) and the latest stop (else start) among them.
struct Comp {
    members: Vec<usize>,
    last: Option<jiff::Timestamp>,
    /// Changes whenever `last` or `members` change: older heap entries are stale.
    stamp: u64,
}

/// Groups rows into calls as they are read (SPEC §1.2), with the same rules and the same
/// result as [`group_rows`] over the rows kept at each hand-out: each row is joined to its call
/// once, through indexes of the open rows (keys, destination channels, the channels rows point
/// at, orphan `;2` halves, the rows that may have created them); two calls merge by size. The
/// orphan rule depends on which rows are there (a later row may link a half, or be a better
/// creator), so it is decided when a call is about to be handed out, for that call only.
pub(super) struct Grouper {
    slots: Vec<Option<Slot>>,
    free: Vec<usize>,
    parent: Vec<usize>,
    /// Indexed by root slot.
    comps: Vec<Comp>,
    stamp: u64,
    /// The first open row of each key, by kind of key (linkedid, uniqueid, channel@start,
    /// Session).
    keys: [HashMap<Text, usize>; 4],
    /// Open rows by `dstchannel`.
    by_dst: HashMap<Text, Vec<usize>>,
    /// Open rows by the destination their channel points at (a `;2` half: its `;1` half; a
    /// non-Local channel: itself).
    by_target: HashMap<Text, Vec<usize>>,
    /// Open `;2` halves not linked to a row dialling their `;1` half, by base, in read order.
    orphans: HashMap<Text, Vec<usize>>,
    /// The same rows by `src`.
    orphans_by_src: HashMap<Text, Vec<usize>>,
    /// Open rows whose destination is a numbered Local `;1` half, by `src`.
    creators: HashMap<Text, Vec<usize>>,
    /// Calls by their last stop, earliest first (entries may be stale: see [`Comp::stamp`]).
    heap: std::collections::BinaryHeap<std::cmp::Reverse<(jiff::Timestamp, u64, usize)>>,
    open: usize,
}

fn remove_from(map: &mut HashMap<Text, Vec<usize>>, key: &str, slot: usize) {
    if let Some(v) = map.get_mut(key) {
        v.retain(|&s| s != slot);
        if v.is_empty() {
            map.remove(key);
        }
    }
}

/// The destination a row's channel points at: its `;1` half for a `;2` half, the channel
/// itself for any other non-Local channel.
fn target(channel: &str) -> Option<Text> {
    if channel.is_empty() {
        return None;
    }
    match local_half(channel) {
        Some((base, 2)) => Some(compact_str::format_compact!("{base};1")),
        Some(_) => None,
        None => Some(Text::from(channel)),
    }
}

/// The grouping keys of a row (see [`by_keys`]).
fn row_keys(r: &Raw) -> impl Iterator<Item = (u8, &str)> {
    let first = if !r.linkedid.is_empty() {
        Some((0, r.linkedid.as_str()))
    } else if !r.uniqueid.is_empty() {
        Some((1, r.uniqueid.as_str()))
    } else {
        r.fallback_key.as_deref().map(|k| (2, k))
    };
    let session = (!r.session.is_empty()).then_some((3, r.session.as_str()));
    first.into_iter().chain(session)
}

/// A row that may have created an orphan half: its destination is a numbered Local `;1` half.
fn is_creator(r: &Raw) -> bool {
    !r.src.is_empty()
        && matches!(local_half(&r.dstchannel), Some((b, 1)) if local_number(b).is_some())
}

impl Grouper {
    pub(super) fn new() -> Grouper {
        Grouper {
            slots: Vec::new(),
            free: Vec::new(),
            parent: Vec::new(),
            comps: Vec::new(),
            stamp: 0,
            keys: Default::default(),
            by_dst: HashMap::new(),
            by_target: HashMap::new(),
            orphans: HashMap::new(),
            orphans_by_src: HashMap::new(),
            creators: HashMap::new(),
            heap: Default::default(),
            open: 0,
        }
    }

    /// Rows not handed out yet.
    pub(super) fn open(&self) -> usize {
        self.open
    }

    fn raw(&self, slot: usize) -> &Raw {
        &self.slots[slot].as_ref().expect("an open slot").raw
    }

    fn find(&mut self, i: usize) -> usize {
        let mut r = i;
        while self.parent[r] != r {
            r = self.parent[r];
        }
        let mut j = i;
        while self.parent[j] != r {
            let next = self.parent[j];
            self.parent[j] = r;
            j = next;
        }
        r
    }

    /// Read-only root (no path compression), for the hand-out, which must not change state.
    fn root(&self, mut i: usize) -> usize {
        while self.parent[i] != i {
            i = self.parent[i];
        }
        i
    }

    fn restamp(&mut self, root: usize) {
        self.stamp += 1;
        let c = &mut self.comps[root];
        c.stamp = self.stamp;
        if let Some(l) = c.last {
            self.heap.push(std::cmp::Reverse((l, c.stamp, root)));
        }
    }

    fn union(&mut self, a: usize, b: usize) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra == rb {
            return;
        }
        let (big, small) = if self.comps[ra].members.len() >= self.comps[rb].members.len() {
            (ra, rb)
        } else {
            (rb, ra)
        };
        self.parent[small] = big;
        let moved = std::mem::take(&mut self.comps[small].members);
        let last = self.comps[small].last;
        let c = &mut self.comps[big];
        c.members.extend(moved);
        c.last = c.last.max(last);
        self.restamp(big);
    }

    /// Joins a row to its call (or starts one).
    pub(super) fn add(&mut self, raw: Raw) {
        let last = raw.stop.or(raw.start);
        let slot = match self.free.pop() {
            Some(s) => s,
            None => {
                self.slots.push(None);
                self.parent.push(0);
                self.comps.push(Comp {
                    members: Vec::new(),
                    last: None,
                    stamp: 0,
                });
                self.slots.len() - 1
            }
        };
        self.parent[slot] = slot;
        self.comps[slot] = Comp {
            members: vec![slot],
            last,
            stamp: 0,
        };
        self.restamp(slot);
        self.open += 1;
        let half2 = matches!(local_half(&raw.channel), Some((_, 2)));
        let tgt = target(&raw.channel);
        self.slots[slot] = Some(Slot {
            raw: Box::new(raw),
            linked: false,
        });

        let mut joins: Vec<usize> = Vec::new();
        let r = &self.slots[slot].as_ref().expect("just stored").raw;
        for (kind, key) in row_keys(r) {
            let keys = &mut self.keys[usize::from(kind)];
            match keys.get(key) {
                Some(&j) => joins.push(j),
                None => {
                    keys.insert(Text::from(key), slot);
                }
            }
        }
        let dst = self.raw(slot).dstchannel.clone();
        if !dst.is_empty() {
            self.by_dst.entry(dst.clone()).or_default().push(slot);
        }
        // this row's channel → the rows whose destination it is
        let mut linked = false;
        if let Some(t) = &tgt {
            if let Some(js) = self.by_dst.get(t.as_str()) {
                for &j in js {
                    if overlaps(self.raw(slot), self.raw(j)) {
                        linked = true;
                        if j != slot {
                            joins.push(j);
                        }
                    }
                }
            }
        }
        // this row's destination → the rows whose channel points at it
        let mut newly_linked = Vec::new();
        if !dst.is_empty() {
            if let Some(is) = self.by_target.get(dst.as_str()) {
                for &i in is {
                    if overlaps(self.raw(slot), self.raw(i)) {
                        joins.push(i);
                        newly_linked.push(i);
                    }
                }
            }
        }
        for j in joins {
            self.union(slot, j);
        }
        for i in newly_linked {
            self.link(i);
        }
        if let Some(t) = tgt {
            self.by_target.entry(t).or_default().push(slot);
        }
        let r = self.raw(slot);
        if half2 {
            if linked {
                self.slots[slot].as_mut().expect("open").linked = true;
            } else {
                let base = Text::from(local_half(&r.channel).expect("a ;2 half").0);
                let src = r.src.clone();
                self.orphans.entry(base).or_default().push(slot);
                self.orphans_by_src.entry(src).or_default().push(slot);
            }
        }
        let r = self.raw(slot);
        if is_creator(r) {
            let src = r.src.clone();
            self.creators.entry(src).or_default().push(slot);
        }
    }

    /// A `;2` half (of the rows pointing at a destination) is now joined to a row dialling it.
    fn link(&mut self, i: usize) {
        let s = self.slots[i].as_mut().expect("open");
        let Some((base, 2)) = local_half(&s.raw.channel) else {
            return;
        };
        if s.linked {
            return;
        }
        s.linked = true;
        let (base, src) = (base.to_string(), s.raw.src.clone());
        remove_from(&mut self.orphans, &base, i);
        remove_from(&mut self.orphans_by_src, &src, i);
    }

    /// The row that created the orphan halves of `base` (see [`orphan_halves`]), if any.
    fn creator(&self, base: &str) -> Option<usize> {
        let members = self.orphans.get(base)?;
        let number = local_number(base)?;
        let r = self.raw(members[0]);
        if r.src.is_empty() {
            return None;
        }
        self.creators
            .get(r.src.as_str())?
            .iter()
            .map(|&j| (j, self.raw(j)))
            .filter(|(j, q)| {
                !members.contains(j)
                    && q.start <= r.start
                    && members.iter().any(|&m| overlaps(self.raw(m), q))
            })
            .filter_map(|(j, q)| match local_half(&q.dstchannel) {
                Some((b, 1)) => local_number(b)
                    .filter(|n| *n < number)
                    .map(|n| (n, q.start, q.seq, j)),
                _ => None,
            })
            .max()
            .map(|(_, _, _, j)| j)
    }

    /// The calls (their roots) joined to `root` by the orphan rule, `root` included.
    fn soft_class(&self, root: usize, memo: &mut HashMap<Text, Option<usize>>) -> Vec<usize> {
        let mut class = vec![root];
        let mut k = 0;
        while k < class.len() {
            let c = class[k];
            k += 1;
            let mut next: Vec<usize> = Vec::new();
            for &m in &self.comps[c].members {
                let s = self.slots[m].as_ref().expect("open");
                let r = &s.raw;
                // (base, m is one of its orphans): else m may be their creator
                let mut bases: Vec<(&str, bool)> = Vec::new();
                if let (false, Some((base, 2))) = (s.linked, local_half(&r.channel)) {
                    bases.push((base, true));
                }
                if is_creator(r) {
                    for &o in self
                        .orphans_by_src
                        .get(r.src.as_str())
                        .into_iter()
                        .flatten()
                    {
                        if let Some((base, 2)) = local_half(&self.raw(o).channel) {
                            bases.push((base, false));
                        }
                    }
                }
                for (base, own) in bases {
                    let creator = *memo
                        .entry(Text::from(base))
                        .or_insert_with(|| self.creator(base));
                    let Some(j) = creator else { continue };
                    if !own && j != m {
                        continue;
                    }
                    next.push(self.root(j));
                    for &o in &self.orphans[base] {
                        next.push(self.root(o));
                    }
                }
            }
            for n in next {
                if !class.contains(&n) {
                    class.push(n);
                }
            }
        }
        class
    }

    /// Hands out the calls whose last stop is before `horizon` (all when `all`), joined by the
    /// orphan rule as [`group_rows`] would join the open rows; each call's rows in read order.
    pub(super) fn take_ready(
        &mut self,
        horizon: Option<jiff::Timestamp>,
        all: bool,
    ) -> Vec<Vec<Raw>> {
        let mut memo = HashMap::new();
        let mut closed: foldhash::HashSet<usize> = Default::default();
        let mut classes: Vec<Vec<usize>> = Vec::new();
        let mut deferred = Vec::new();
        let mut candidates: Vec<usize> = Vec::new();
        if all {
            candidates = (0..self.slots.len())
                .filter(|&s| self.slots[s].is_some() && self.parent[s] == s)
                .collect();
            self.heap.clear();
        }
        let mut k = 0;
        loop {
            let root = if all {
                let Some(&r) = candidates.get(k) else { break };
                k += 1;
                r
            } else {
                let Some(h) = horizon else { break };
                let Some(&std::cmp::Reverse((last, stamp, root))) = self.heap.peek() else {
                    break;
                };
                if last >= h {
                    break;
                }
                let entry = self.heap.pop().expect("peeked");
                let live = self.slots[root].is_some()
                    && self.parent[root] == root
                    && self.comps[root].stamp == stamp;
                if !live {
                    continue;
                }
                deferred.push(entry);
                root
            };
            if closed.contains(&root) {
                continue;
            }
            let class = self.soft_class(root, &mut memo);
            let last = class.iter().filter_map(|&c| self.comps[c].last).max();
            let ready = all || matches!((last, horizon), (Some(l), Some(h)) if l < h);
            if ready {
                closed.extend(class.iter().copied());
                classes.push(class);
            }
        }
        // calls not handed out (joined to a later call) wait for the next hand-out
        for e in deferred {
            if !closed.contains(&e.0 .2) {
                self.heap.push(e);
            }
        }
        let mut calls = Vec::with_capacity(classes.len());
        for class in classes {
            let mut slots: Vec<usize> = Vec::new();
            for c in class {
                slots.extend(std::mem::take(&mut self.comps[c].members));
            }
            let mut rows: Vec<Raw> = slots.iter().map(|&s| self.remove(s)).collect();
            rows.sort_by_key(|r| r.seq);
            calls.push(rows);
        }
        calls
    }

    /// Takes a row out of every index.
    fn remove(&mut self, slot: usize) -> Raw {
        let s = self.slots[slot].take().expect("an open slot");
        let r = s.raw;
        for (kind, key) in row_keys(&r) {
            self.keys[usize::from(kind)].remove(key);
        }
        if !r.dstchannel.is_empty() {
            remove_from(&mut self.by_dst, &r.dstchannel, slot);
        }
        if let Some(t) = target(&r.channel) {
            remove_from(&mut self.by_target, &t, slot);
        }
        if let (false, Some((base, 2))) = (s.linked, local_half(&r.channel)) {
            remove_from(&mut self.orphans, base, slot);
            remove_from(&mut self.orphans_by_src, &r.src, slot);
        }
        if is_creator(&r) {
            remove_from(&mut self.creators, &r.src, slot);
        }
        self.free.push(slot);
        self.open -= 1;
        *r
    }
}
