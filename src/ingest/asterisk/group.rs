//! Which rows are one call (SPEC §1.2, "One call, one chain").

use foldhash::{HashMap, HashMapExt};

use super::channel::{local_half, local_number};
use super::row::Raw;

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

pub(super) struct UnionFind(Vec<usize>);

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

/// Groups rows into calls (SPEC §1.2): shared `linkedid`, else shared `uniqueid` or Grandstream
/// Session; a Local channel's `;2` half joins the row whose `dstchannel` is its `;1` half; a
/// callee's own row (its `channel` is another row's `dstchannel`) joins that row; the last two
/// only when the rows overlap in time. Returns the group index of each row.
pub(super) fn group_rows(rows: &[Raw]) -> Vec<usize> {
    let mut uf = UnionFind((0..rows.len()).collect());
    let by_dst = by_keys(rows, &mut uf);
    by_channels(rows, &by_dst, &mut uf);
    orphan_halves(rows, &by_dst, &mut uf);
    (0..rows.len()).map(|i| uf.find(i)).collect()
}

/// The rows of each destination channel.
type ByDst<'a> = HashMap<&'a str, Vec<usize>>;

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

/// Joins a Local `;2` half to the row that dialled its `;1` half, and a callee's own row to
/// the row whose destination it is, when they overlap in time.
fn by_channels(rows: &[Raw], by_dst: &ByDst<'_>, uf: &mut UnionFind) {
    for (i, r) in rows.iter().enumerate() {
        if r.channel.is_empty() {
            continue;
        }
        let target = match local_half(&r.channel) {
            Some((base, 2)) => format!("{base};1"),
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
