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

use std::collections::{HashMap, HashSet};

use jiff::{SignedDuration, Timestamp};

use crate::decide::lookup::Lookup;
use crate::decide::numbers::{is_hidden, Number};
use crate::ingest::{Entry, RowError};

/// How far the input may run ahead of a chain before the chain is handed out.
pub const REORDER_WINDOW_SECONDS: i64 = 3600;
/// SPEC §2.2: an untracked entry joins the chain of the line that redirected it when that
/// entry stopped no more than this before the redirected one started.
pub const REDIRECT_GAP_SECONDS: i64 = 10;

/// The entries of one call, ordered by start time (ties: input order).
#[derive(Debug, Clone, PartialEq)]
pub struct Chain {
    /// The tracker id, else the first entry's connection id.
    pub id: String,
    pub entries: Vec<Entry>,
}

/// What the assembler says besides chains.
#[derive(Debug, Clone, PartialEq)]
pub enum Notice {
    /// The same connection id was read again (overlapping exports): the first one counts.
    Duplicate,
    /// The entry belongs to a chain that was already handed out.
    Late(RowError),
}

/// Groups entries into chains, streaming.
pub struct Assembler<'a> {
    lookup: &'a Lookup,
    open: Vec<Entry>,
    open_ids: HashSet<String>,
    watermark: Option<Timestamp>,
    /// Chain ids and connection ids handed out recently, with the chain's last stop.
    done_chains: HashMap<String, Timestamp>,
    done_entries: HashMap<String, Timestamp>,
    since_flush: usize,
    flush_every: usize,
}

impl<'a> Assembler<'a> {
    pub fn new(lookup: &'a Lookup) -> Self {
        Assembler {
            lookup,
            open: Vec::new(),
            open_ids: HashSet::new(),
            watermark: None,
            done_chains: HashMap::new(),
            done_entries: HashMap::new(),
            since_flush: 0,
            flush_every: 4096,
        }
    }

    /// Tries to hand out chains after every `n` entries (default 4096). Tests use small values.
    #[cfg(test)]
    pub fn flush_every(mut self, n: usize) -> Self {
        self.flush_every = n.max(1);
        self
    }

    /// Adds an incoming phone entry. Returns chains that are now closed (in start order).
    pub fn push(&mut self, entry: Entry, notices: &mut Vec<Notice>) -> Vec<Chain> {
        debug_assert!(entry.is_incoming_call());
        if self.open_ids.contains(&entry.connection_id)
            || self.done_entries.contains_key(&entry.connection_id)
        {
            notices.push(Notice::Duplicate);
            return Vec::new();
        }
        if let Some(t) = &entry.tracker_id {
            if self.done_chains.contains_key(t) {
                notices.push(Notice::Late(RowError {
                    pos: entry.pos.clone(),
                    message: format!(
                        "this entry of call {t} arrived more than {} s after the call's other entries had been decided (is the export in time order?); it was not used",
                        REORDER_WINDOW_SECONDS
                    ),
                }));
                return Vec::new();
            }
        }
        self.watermark = Some(self.watermark.map_or(entry.start, |w| w.max(entry.start)));
        self.open_ids.insert(entry.connection_id.clone());
        self.open.push(entry);
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
    pub fn finish(&mut self) -> Vec<Chain> {
        self.flush(None)
    }

    /// Hands out the chains whose last stop lies before `horizon` (all when None), as long as
    /// no chain that started earlier is still open.
    fn flush(&mut self, horizon: Option<Timestamp>) -> Vec<Chain> {
        let entries = std::mem::take(&mut self.open);
        let mut chains = group(entries, self.lookup);
        chains.sort_by(chain_order);
        let mut out = Vec::new();
        let mut keep = Vec::new();
        let mut blocked = false;
        for c in chains {
            let last_stop = c
                .entries
                .iter()
                .map(|e| e.stop)
                .max()
                .expect("chain has entries");
            let closable = match horizon {
                None => true,
                Some(h) => last_stop + SignedDuration::from_secs(REDIRECT_GAP_SECONDS) < h,
            };
            if closable && !blocked {
                self.done_chains.insert(c.id.clone(), last_stop);
                for e in &c.entries {
                    self.open_ids.remove(&e.connection_id);
                    self.done_entries.insert(e.connection_id.clone(), last_stop);
                }
                out.push(c);
            } else {
                blocked = true;
                keep.extend(c.entries);
            }
        }
        self.open = keep;
        if let Some(h) = horizon {
            let forget = h - SignedDuration::from_secs(REORDER_WINDOW_SECONDS);
            self.done_chains.retain(|_, t| *t >= forget);
            self.done_entries.retain(|_, t| *t >= forget);
        }
        out
    }
}

fn chain_order(a: &Chain, b: &Chain) -> std::cmp::Ordering {
    let ka = (&a.entries[0].start, &a.entries[0].seq);
    let kb = (&b.entries[0].start, &b.entries[0].seq);
    ka.cmp(&kb).then_with(|| a.id.cmp(&b.id))
}

/// Groups a set of entries into chains (SPEC §2.2). The result does not depend on the order
/// of `entries` except for ties in start time.
pub fn group(entries: Vec<Entry>, lookup: &Lookup) -> Vec<Chain> {
    let n = entries.len();
    let mut parent: Vec<usize> = (0..n).collect();
    fn find(p: &mut [usize], mut i: usize) -> usize {
        while p[i] != i {
            p[i] = p[p[i]];
            i = p[i];
        }
        i
    }
    fn union(p: &mut [usize], a: usize, b: usize) {
        let (ra, rb) = (find(p, a), find(p, b));
        if ra != rb {
            p[ra.max(rb)] = ra.min(rb);
        }
    }
    // 1. the same non-empty tracker id
    let mut by_tracker: HashMap<&str, usize> = HashMap::new();
    for (i, e) in entries.iter().enumerate() {
        if let Some(t) = e.tracker_id.as_deref().filter(|t| !t.is_empty()) {
            match by_tracker.get(t) {
                Some(&j) => union(&mut parent, i, j),
                None => {
                    by_tracker.insert(t, i);
                }
            }
        }
    }
    // 2. untracked redirection: the redirecting number names the line of an entry of the
    //    same caller that stopped no more than 10 s before this one started.
    let plan = &lookup.plan;
    let caller_key = |e: &Entry| -> Option<Number> {
        if is_hidden(&e.phone_number) {
            Some(Number::Other(String::new()))
        } else {
            plan.normalise(&e.phone_number)
        }
    };
    let mut by_caller_line: HashMap<(Option<Number>, Number), Vec<usize>> = HashMap::new();
    for (i, e) in entries.iter().enumerate() {
        if let Some(line) = plan.normalise(&e.line_number) {
            by_caller_line
                .entry((caller_key(e), line))
                .or_default()
                .push(i);
        }
    }
    for (i, e) in entries.iter().enumerate() {
        if e.tracker_id.as_deref().is_some_and(|t| !t.is_empty()) {
            continue;
        }
        let Some(redirect) = e
            .redirecting_number
            .as_deref()
            .and_then(|r| plan.normalise(r))
        else {
            continue;
        };
        let Some(candidates) = by_caller_line.get(&(caller_key(e), redirect)) else {
            continue;
        };
        let gap = SignedDuration::from_secs(REDIRECT_GAP_SECONDS);
        let best = candidates
            .iter()
            .copied()
            .filter(|&j| j != i)
            .filter(|&j| {
                // it had stopped ringing when this one started, no more than 10 s before
                let x = &entries[j];
                x.stop <= e.start && x.stop >= e.start - gap
            })
            // the closest one before it: latest stop, then latest start, then a stable id
            .max_by(|&a, &b| {
                let (x, y) = (&entries[a], &entries[b]);
                (x.stop, x.start, &x.connection_id).cmp(&(y.stop, y.start, &y.connection_id))
            });
        if let Some(j) = best {
            union(&mut parent, i, j);
        }
    }
    // collect
    let mut groups: HashMap<usize, Vec<Entry>> = HashMap::new();
    let roots: Vec<usize> = (0..n).map(|i| find(&mut parent, i)).collect();
    for (e, r) in entries.into_iter().zip(roots) {
        groups.entry(r).or_default().push(e);
    }
    groups
        .into_values()
        .map(|mut es| {
            es.sort_by_key(|e| (e.start, e.seq));
            let id = es
                .iter()
                .find_map(|e| e.tracker_id.clone().filter(|t| !t.is_empty()))
                .unwrap_or_else(|| es[0].connection_id.clone());
            Chain { id, entries: es }
        })
        .collect()
}

/// Who a chain rang, who answered, how long it rang (SPEC §2.3–2.6).
#[derive(Debug, Clone, PartialEq)]
pub struct Facts {
    pub id: String,
    /// The caller's number as the journal wrote it ("" when hidden).
    pub caller_raw: String,
    /// The caller's number normalised; None when hidden.
    pub caller: Option<Number>,
    /// The caller's name and company from the journal entries.
    pub journal_contact_name: Option<String>,
    pub journal_contact_company: Option<String>,
    pub start: Timestamp,
    pub last_stop: Timestamp,
    pub first_connect: Option<Timestamp>,
    /// Every participant (known users), in chain order.
    pub participants: Vec<String>,
    /// The participants who did not answer, in chain order.
    pub not_answered: Vec<String>,
    pub answered: bool,
    /// The answering user; None when nobody answered or only a line without a user did.
    pub answered_by: Option<String>,
    /// The line that answered when no user did (SPEC §4: `answered_by` is null then).
    pub answered_line: Option<String>,
    pub ring_seconds: i64,
    pub complete: bool,
    pub internal_flag: bool,
    /// Lines rung that belong to no user.
    pub unowned_lines: Vec<String>,
    /// The line the call was first redirected from, if any.
    pub redirected_from: Option<String>,
    /// Users with an entry in this chain that says they were logged on.
    pub online_users: Vec<String>,
    /// The call went to voicemail (SPEC §1.2, §3.7): an entry of it was taken by voicemail.
    pub voicemail: bool,
    /// Every line rung, in chain order, once each: (its owner, the line as the journal wrote it).
    pub lines: Vec<(Option<String>, String)>,
}

/// The owner of an entry: the line user name, else the user of the line number.
pub fn owner(e: &Entry, lookup: &Lookup) -> Option<String> {
    if let Some(u) = e
        .line_user
        .as_deref()
        .map(str::trim)
        .filter(|u| !u.is_empty())
    {
        return Some(
            lookup
                .user(u)
                .map_or_else(|| u.to_string(), |x| x.user.clone()),
        );
    }
    let n = lookup.plan.normalise(&e.line_number)?;
    lookup.user_by_line(&n).map(|u| u.user.clone())
}

fn canonical_user(name: &str, lookup: &Lookup) -> String {
    lookup
        .user(name)
        .map_or_else(|| name.to_string(), |u| u.user.clone())
}

/// Derives the facts of a chain. `now` decides completeness (SPEC §2.6).
pub fn facts(chain: &Chain, lookup: &Lookup, settle_seconds: u64, now: Timestamp) -> Facts {
    let es = &chain.entries;
    let owners: Vec<Option<String>> = es.iter().map(|e| owner(e, lookup)).collect();
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
    struct Answer {
        at: Timestamp,
        start: Timestamp,
        seq: u64,
        user: String,
        known: bool,
    }
    let mut answers: Vec<Answer> = Vec::new();
    let mut answered_users: HashSet<String> = HashSet::new();
    for (e, o) in es.iter().zip(&owners) {
        let acceptor = e
            .acceptor
            .as_deref()
            .map(str::trim)
            .filter(|a| !a.is_empty());
        let (user, known) = match (acceptor, o) {
            (Some(a), _) => (canonical_user(a, lookup), true),
            (None, Some(o)) if e.connect.is_some() => (o.clone(), true),
            (None, None) if e.connect.is_some() => (e.line_number.clone(), false),
            _ => continue,
        };
        if known {
            answered_users.insert(user.clone());
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
        Some(a) if a.known => (Some(a.user.clone()), None),
        Some(a) => (None, Some(a.user.clone())),
        None => (None, None),
    };
    let answered_at = answers.iter().map(|a| a.at).min();

    let mut participants: Vec<String> = Vec::new();
    let mut unowned_lines: Vec<String> = Vec::new();
    for (e, o) in es.iter().zip(&owners) {
        match o {
            Some(o) => {
                if !participants.contains(o) {
                    participants.push(o.clone());
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
        .filter(|p| !answered_users.contains(*p) && answered_by.as_ref() != Some(*p))
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
    let caller_raw = first_visible.map_or(String::new(), |e| e.phone_number.trim().to_string());
    let caller = lookup.plan.normalise(&caller_raw);
    let pick = |f: fn(&Entry) -> Option<&String>| {
        es.iter()
            .filter_map(f)
            .map(|s| s.trim())
            .find(|s| !s.is_empty())
            .map(str::to_string)
    };
    Facts {
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
            let mut lines: Vec<(Option<String>, String)> = Vec::new();
            for (e, o) in es.iter().zip(&owners) {
                let line = e.line_number.trim().to_string();
                if !line.is_empty() && !lines.iter().any(|(_, l)| *l == line) {
                    lines.push((o.clone(), line));
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
            .filter_map(|(_, o)| o.clone())
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decide::testkit::*;

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
        facts(&cs.remove(0), &l, 120, t("12:00:00"))
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
        assert_eq!(f.participants, vec!["bert", "anna", "carl"]);
        assert_eq!(f.not_answered, vec!["bert", "anna", "carl"]);
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
        assert_eq!(f.participants, vec!["carl"]);
        let f = facts_of(vec![entry("a").line("999")]);
        assert!(f.participants.is_empty());
        assert_eq!(f.unowned_lines, vec!["999"]);
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
        assert_eq!(f.not_answered, vec!["anna", "carl"]);
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
        assert_eq!(f.not_answered, vec!["anna"]);
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
        assert_eq!(f.not_answered, vec!["anna"]);
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
        assert_eq!(f.participants, vec!["anna"]);
        assert_eq!(f.not_answered, vec!["anna"]);
        // the acceptor was also rung: not a non-answerer
        let f = facts_of(vec![
            entry("a").tracker("T").line("201").acceptor("carl"),
            entry("b").tracker("T").line("203"),
        ]);
        assert_eq!(f.answered_by.as_deref(), Some("carl"));
        assert_eq!(f.not_answered, vec!["anna"]);
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
        assert_eq!(f.participants, vec!["anna", "bert"]);
        assert_eq!(f.not_answered, vec!["bert"]);
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
        assert_eq!(f.participants, vec!["anna", "bert", "carl"]);
        assert_eq!(f.start, t("09:00:00"));
        assert_eq!(f.last_stop, t("09:01:00"));
        assert_eq!(f.ring_seconds, 60);
    }

    #[test]
    fn completeness() {
        let l = lookup();
        let c = Chain {
            id: "x".into(),
            entries: vec![entry("a").ring("09:00:00", "09:00:20")],
        };
        // settle 120 s: complete exactly 120 s after the last stop, not 1 s before
        assert!(facts(&c, &l, 120, t("09:02:20")).complete);
        assert!(!facts(&c, &l, 120, t("09:02:19")).complete);
        // TrackerLastCall completes at once
        let c = Chain {
            id: "x".into(),
            entries: vec![entry("a").last()],
        };
        assert!(facts(&c, &l, 120, t("09:00:21")).complete);
    }
}
