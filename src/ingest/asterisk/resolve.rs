//! The rows of one call → its items: chain key, arrival, who answered, voicemail.

use std::cell::RefCell;

use foldhash::{HashMap, HashMapExt, HashSet};

use jiff::Timestamp;

use super::channel::local_half;
#[cfg(test)]
use super::group::group_rows;
use super::group::overlaps;
use super::row::Raw;
use super::{SKIP_CALLEE_LEG, SKIP_NO_DESTINATION, SKIP_OWN_LINE};
use crate::ingest::{Entry, Item, Origin, Text};

/// One row of a call as the call decides it.
struct Decided<'a> {
    raw: &'a Raw,
    connect: Option<Timestamp>,
    voicemail: bool,
    skip: Option<&'static str>,
}

/// What the rows of a call say together.
struct Call<'a> {
    /// The rows each Local `;2` half made (their channel is `<base>;2`).
    halves: HashMap<&'a str, Vec<&'a Raw>>,
    /// The rows by destination, for the destinations that are not Local channels: a row whose
    /// channel is one of them may be the callee's own leg.
    by_callee: HashMap<&'a str, Vec<&'a Raw>>,
    /// For each row that dialled a Local channel (by seq): when the phone the call went on to
    /// answered ([`local_answers`]).
    local_answer: HashMap<u64, Timestamp>,
    /// What [`behind`] found for each `;1` half already looked at (None: being looked at).
    behind: RefCell<HashMap<&'a str, Option<(bool, bool)>>>,
}

/// Turns the rows of one call into items (SPEC §1.2), in row order.
pub(super) fn resolve_call(rows: &[&Raw]) -> Vec<Item> {
    let root = rows
        .iter()
        .min_by_key(|r| (r.start.is_none(), r.start, r.seq))
        .expect("a call has rows");
    let tracker_id = rows
        .iter()
        .find(|r| !r.linkedid.is_empty())
        .map(|r| r.linkedid.clone())
        .or_else(|| (!root.uniqueid.is_empty()).then(|| root.uniqueid.clone()))
        .or_else(|| root.fallback_key.clone());
    let arrival = rows.iter().filter_map(|r| r.start).min();
    let mut halves: HashMap<&str, Vec<&Raw>> = HashMap::new();
    for r in rows {
        if let Some((base, 2)) = local_half(&r.channel) {
            halves.entry(base).or_default().push(r);
        }
    }
    let mut by_callee: HashMap<&str, Vec<&Raw>> = HashMap::new();
    for r in rows {
        if !r.dstchannel.is_empty() && local_half(&r.dstchannel).is_none() {
            by_callee.entry(r.dstchannel.as_str()).or_default().push(r);
        }
    }
    let call = Call {
        halves,
        by_callee,
        local_answer: local_answers(rows),
        behind: RefCell::new(HashMap::new()),
    };
    let mut decided: Vec<Decided> = rows.iter().map(|r| call.decide(r)).collect();
    voicemail_rows(rows, &mut decided);
    own_line(&mut decided);
    decided
        .into_iter()
        .map(|d| item(d, &tracker_id, arrival))
        .collect()
}

impl<'a> Call<'a> {
    /// A row on its own terms and those of the other rows: skipped, answered, voicemail.
    fn decide(&self, r: &'a Raw) -> Decided<'a> {
        let mut d = Decided {
            raw: r,
            connect: None,
            voicemail: false,
            skip: None,
        };
        if r.line.is_none() {
            d.skip = Some(SKIP_NO_DESTINATION);
            return d;
        }
        let callers = self.by_callee.get(r.channel.as_str());
        if callers.is_some_and(|c| c.iter().any(|o| o.seq != r.seq && overlaps(o, r))) {
            d.skip = Some(SKIP_CALLEE_LEG);
            return d;
        }
        let mut answered = r.answered;
        if r.voicemail_app && !r.outgoing {
            // voicemail answered the caller, not the line (BugaDM rows 33, 36, 37)
            d.voicemail = answered;
            answered = false;
        } else if let Some((base, 1)) = local_half(&r.dstchannel) {
            let found = behind(base, &self.halves, &mut self.behind.borrow_mut(), 0);
            if let Some((person, voicemail)) = found {
                d.voicemail = answered && !person && voicemail;
                answered &= person;
            }
        }
        d.connect = if !answered {
            None
        } else if local_half(&r.dstchannel).is_some() {
            // A Local channel answers at once (FreePBX follow-me, early media): the person
            // answered when the phone the call went on to answered, if a row shows it.
            self.local_answer.get(&r.seq).copied().or(r.answer)
        } else {
            r.answer
        };
        d
    }
}

/// For each row that dialled a Local channel (by seq): the earliest answer, no earlier than
/// its own, of a phone row (a line, not a Local destination, not voicemail) that started no
/// earlier than it. One sweep from the latest start back, the answers seen so far in an
/// ordered set: a call of many rows costs n log n, not n² (a damaged file made it hang).
fn local_answers(rows: &[&Raw]) -> HashMap<u64, Timestamp> {
    let mut phones: Vec<(Option<Timestamp>, Timestamp, u64)> = rows
        .iter()
        .filter(|p| p.line.is_some() && local_half(&p.dstchannel).is_none() && !p.voicemail_app)
        .filter_map(|p| Some((p.start, p.answer?, p.seq)))
        .collect();
    let mut asks: Vec<&Raw> = rows
        .iter()
        .copied()
        .filter(|r| local_half(&r.dstchannel).is_some())
        .collect();
    let mut found = HashMap::new();
    if phones.is_empty() || asks.is_empty() {
        return found;
    }
    // latest start first; the phones that start no earlier than a row are in `seen` when it asks
    phones.sort_unstable_by(|a, b| b.cmp(a));
    asks.sort_unstable_by_key(|r| std::cmp::Reverse((r.start, r.seq)));
    let mut seen = std::collections::BTreeSet::new();
    let mut next = phones.iter().peekable();
    for r in asks {
        while let Some(&&(start, answer, seq)) = next.peek() {
            if start < r.start {
                break;
            }
            seen.insert((answer, seq));
            next.next();
        }
        let earliest = match r.answer {
            Some(own) => seen.range((own, 0)..).next(),
            None => seen.iter().next(),
        };
        if let Some(&(answer, _)) = earliest {
            found.insert(r.seq, answer);
        }
    }
    found
}

/// Did a person answer behind this `;1` half / did voicemail take it? Some only when the
/// half's rows are in the file. Each half is looked at once (`seen`): halves that lead to the
/// same halves, or back to themselves (a damaged or hostile file), cost no more than their
/// rows; a half met again while it is being looked at says nothing.
fn behind<'a>(
    base: &'a str,
    halves: &HashMap<&'a str, Vec<&'a Raw>>,
    seen: &mut HashMap<&'a str, Option<(bool, bool)>>,
    depth: u8,
) -> Option<(bool, bool)> {
    if let Some(found) = seen.get(base) {
        return *found;
    }
    let rows = halves.get(base)?;
    seen.insert(base, None);
    let (mut person, mut voicemail) = (false, false);
    for h in rows {
        if h.voicemail_app && h.answered {
            voicemail = true;
            continue;
        }
        match local_half(&h.dstchannel) {
            Some((next, 1)) if depth < 16 => match behind(next, halves, seen, depth + 1) {
                Some((p, v)) => {
                    person |= p && h.answered;
                    voicemail |= v;
                }
                None => person |= h.answered,
            },
            _ => person |= h.answered && h.line.is_some(),
        }
    }
    seen.insert(base, Some((person, voicemail)));
    Some((person, voicemail))
}

/// A VoiceMail row that rang no phone (the dialplan's own row after Dial): the mailbox's
/// line, else every line that did not answer before it, went to voicemail.
fn voicemail_rows(rows: &[&Raw], decided: &mut [Decided<'_>]) {
    for vm in rows
        .iter()
        .filter(|r| r.line.is_none() && r.voicemail_app && r.answered)
    {
        let mailbox = vm
            .lastdata
            .split(['@', ',', '&'])
            .next()
            .unwrap_or("")
            .trim();
        let open = |d: &Decided| {
            d.skip.is_none() && !d.raw.outgoing && d.connect.is_none() && d.raw.line.is_some()
        };
        let by_mailbox = decided
            .iter()
            .any(|d| open(d) && d.raw.line.as_deref() == Some(mailbox));
        for d in decided.iter_mut() {
            if open(d)
                && (if by_mailbox {
                    d.raw.line.as_deref() == Some(mailbox)
                } else {
                    d.raw.start <= vm.start
                })
            {
                d.voicemail = true;
            }
        }
    }
}

/// The caller's own line rung together with other lines is not a participant.
fn own_line(decided: &mut [Decided<'_>]) {
    let lines: HashSet<&str> = decided
        .iter()
        .filter(|d| d.skip.is_none() && !d.raw.outgoing)
        .filter_map(|d| d.raw.line.as_deref())
        .collect();
    for d in decided.iter_mut() {
        if d.skip.is_none()
            && !d.raw.outgoing
            && d.connect.is_none()
            && d.raw.line.as_deref() == Some(d.raw.src.as_str())
            && lines.len() > 1
        {
            d.skip = Some(SKIP_OWN_LINE);
        }
    }
}

/// The item of a decided row.
fn item(d: Decided<'_>, tracker_id: &Option<Text>, arrival: Option<Timestamp>) -> Item {
    let r = d.raw;
    if let Some(reason) = d.skip {
        return Item::Skipped {
            pos: r.pos.clone(),
            reason,
        };
    }
    let start = r.start.expect("a row that rang a line has a start");
    let (origin, line_number, phone_number) = if r.outgoing {
        (Origin::Outgoing, r.caller_line.clone(), r.dst.clone())
    } else {
        (
            Origin::Incoming,
            r.line.clone().unwrap_or_default(),
            r.src.clone(),
        )
    };
    Item::Entry(Box::new(Entry {
        pos: r.pos.clone(),
        seq: r.seq,
        connection_id: r.connection_id.clone(),
        tracker_id: tracker_id.clone(),
        start,
        // voicemail took the call when it answered: the line stopped ringing then
        stop: match (d.voicemail, r.answer) {
            (true, Some(a)) => a,
            _ => r.stop.unwrap_or(start),
        },
        connect: d.connect,
        origin,
        internal: false,
        line_number,
        line_user: None,
        user_offline: r.user_offline,
        phone_number,
        redirecting_number: None,
        contact_name: r.contact_name.clone(),
        contact_company: None,
        acceptor: None,
        tracker_last: false,
        call_type: 0,
        voicemail: d.voicemail,
        arrival: arrival.filter(|a| *a < start),
    }))
}

#[cfg(test)]
/// The batch reader's hand-out, kept as the oracle of the incremental one: groups `rows` into
/// calls and returns the items of the calls `ready` accepts (by the latest
/// stop of the call), keeping the other rows.
pub(super) fn resolve(
    rows: Vec<Raw>,
    ready: impl Fn(Option<Timestamp>) -> bool,
) -> (Vec<Item>, Vec<Raw>) {
    let groups = group_rows(&rows);
    let mut members: std::collections::BTreeMap<usize, Vec<usize>> = Default::default();
    for (i, g) in groups.iter().enumerate() {
        members.entry(*g).or_default().push(i);
    }
    let mut out = Vec::new();
    let mut keep = vec![false; rows.len()];
    for idx in members.values() {
        let last = idx
            .iter()
            .filter_map(|&i| rows[i].stop.or(rows[i].start))
            .max();
        if ready(last) {
            let call: Vec<&Raw> = idx.iter().map(|&i| &rows[i]).collect();
            out.extend(resolve_call(&call));
        } else {
            for &i in idx {
                keep[i] = true;
            }
        }
    }
    let kept = rows
        .into_iter()
        .zip(keep)
        .filter_map(|(r, k)| k.then_some(r))
        .collect();
    (out, kept)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::SourcePos;
    use proptest::prelude::*;

    fn raw(seq: u64, dst: &str, start: Option<i64>, answer: Option<i64>, vm: bool) -> Raw {
        let t = |s: i64| Timestamp::from_second(1_764_000_000 + s).expect("in range");
        Raw {
            pos: SourcePos {
                file: "Master.csv".into(),
                line: seq + 1,
            },
            seq,
            start: start.map(t),
            stop: None,
            answer: answer.map(t),
            answered: answer.is_some(),
            user_offline: None,
            line: (!dst.is_empty()).then(|| "201".into()),
            outgoing: false,
            caller_line: Text::default(),
            voicemail_app: vm,
            src: Text::default(),
            dst: Text::default(),
            contact_name: None,
            channel: Text::default(),
            dstchannel: dst.into(),
            lastdata: Text::default(),
            uniqueid: Text::default(),
            linkedid: Text::default(),
            session: Text::default(),
            fallback_key: None,
            connection_id: seq.to_string().into(),
        }
    }

    proptest! {
        /// The sweep finds what looking at every pair of rows finds.
        #[test]
        fn local_answers_is_the_earliest_later_phone_answer(
            rows in prop::collection::vec(
                (0u8..4, prop::option::weighted(0.9, 0i64..20), prop::option::of(0i64..30), prop::bool::weighted(0.2)),
                0..30,
            ),
        ) {
            let dsts = ["SIP/201-1", "Local/201@x-1;1", "", "PJSIP/202-2"];
            let rows: Vec<Raw> = rows
                .iter()
                .enumerate()
                .map(|(i, &(d, start, answer, vm))| raw(i as u64, dsts[d as usize], start, answer, vm))
                .collect();
            let refs: Vec<&Raw> = rows.iter().collect();
            let got = local_answers(&refs);
            for r in refs.iter().filter(|r| local_half(&r.dstchannel).is_some()) {
                let want = refs
                    .iter()
                    .filter(|p| {
                        p.line.is_some()
                            && local_half(&p.dstchannel).is_none()
                            && !p.voicemail_app
                            && p.start >= r.start
                    })
                    .filter_map(|p| p.answer)
                    .filter(|a| Some(*a) >= r.answer)
                    .min();
                prop_assert_eq!(got.get(&r.seq).copied(), want, "row {}", r.seq);
            }
        }
    }
}
