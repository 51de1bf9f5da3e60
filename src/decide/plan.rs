//! Which mails a run makes, pure: the notifications of the verdicts grouped into mails —
//! one per user (digest) or one per chain and user (per-call) — and the inputs of each mail's
//! Message-ID (SPEC §5 `mode`, §8: the same chains for the same user give the same id in
//! every run, so a mail recorded once is never made twice).

use std::collections::BTreeMap;

use lettre::Address;

use crate::config::Mode;
use crate::decide::recipients::{Status, Verdict};
use crate::directory::{fold_user, UserKey};

/// One mail to make: a user and the chains it tells about (indexes into the verdicts).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Plan {
    pub(crate) user: String,
    pub(crate) email: String,
    pub(crate) calls: Vec<usize>,
}

/// At most this many calls in one digest mail; more are split over several mails (a first
/// run over a long export must not make a mail nobody can read, or render).
pub(crate) const MAX_CALLS_PER_MAIL: usize = 50;

/// Groups the notifications of a run into mails: one per user (digest, calls in order, at
/// most [`MAX_CALLS_PER_MAIL`] a mail), or one per chain and user (per-call).
pub(crate) fn plan(verdicts: &[Verdict], mode: Mode) -> Vec<Plan> {
    let mut out: Vec<Plan> = Vec::new();
    // the user's open digest: the index of their latest plan in `out`
    let mut by_user: BTreeMap<UserKey, usize> = BTreeMap::new();
    for (i, v) in verdicts.iter().enumerate() {
        for r in v.recipients.iter().filter(|r| r.status == Status::Notify) {
            let Some(email) = &r.email else { continue };
            let new = || Plan {
                user: r.user.clone(),
                email: email.clone(),
                calls: vec![i],
            };
            match mode {
                Mode::PerCall => out.push(new()),
                Mode::Digest => match by_user.get(&*fold_user(&r.user)) {
                    Some(&p) if out[p].calls.len() < MAX_CALLS_PER_MAIL => out[p].calls.push(i),
                    _ => {
                        by_user.insert(UserKey::of(&r.user), out.len());
                        out.push(new());
                    }
                },
            }
        }
    }
    out
}

/// A stable 128-bit hash (two FNV-1a 64 lanes) as hex: the same input gives the same id in
/// every run and every build.
pub(crate) fn stable_hash(parts: &[&str]) -> String {
    let mut a: u64 = 0xcbf2_9ce4_8422_2325;
    let mut b: u64 = 0x6c62_272e_07bb_0142;
    for p in parts {
        for byte in p.bytes().chain(std::iter::once(0xff)) {
            a ^= u64::from(byte);
            a = a.wrapping_mul(0x0000_0100_0000_01b3);
            b ^= u64::from(byte.rotate_left(3));
            b = b.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    format!("{a:016x}{b:016x}")
}

/// The Message-ID of a mail about `chains` for `user` (stable across re-runs; the order of
/// the chains does not matter).
pub(crate) fn message_id(chains: &[&str], user: &str, from: &Address) -> String {
    let mut parts: Vec<&str> = chains.to_vec();
    parts.sort_unstable();
    parts.push(user);
    format!("<{}.unanswered@{}>", stable_hash(&parts), from.domain())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decide::testkit::*;

    #[test]
    fn plans_digest_and_per_call() {
        // anna misses 3 calls, bert 1 (the group call)
        let es = vec![
            entry("1").ring("08:00:00", "08:00:20"),
            entry("2").tracker("G").ring("09:00:00", "09:00:20"),
            entry("3")
                .tracker("G")
                .line("202")
                .ring("09:00:00", "09:00:20"),
            entry("4").ring("10:00:00", "10:00:20").caller("0301111111"),
        ];
        let vs = verdicts(es, &rules(), &lookup());
        let digest = plan(&vs, Mode::Digest);
        let summary: Vec<(&str, usize)> = digest
            .iter()
            .map(|p| (p.user.as_str(), p.calls.len()))
            .collect();
        assert_eq!(summary, vec![("anna", 3), ("bert", 1)]);
        let per_call = plan(&vs, Mode::PerCall);
        assert_eq!(per_call.len(), 4);
    }

    #[test]
    fn a_long_digest_is_split() {
        let es: Vec<_> = (0..120)
            .map(|i| {
                entry(&format!("c{i}"))
                    .ring(
                        &format!("08:{:02}:00", i / 2),
                        &format!("08:{:02}:20", i / 2),
                    )
                    .caller(&format!("0301{i:06}"))
            })
            .collect();
        let vs = verdicts(es, &rules(), &lookup());
        let sizes: Vec<usize> = plan(&vs, Mode::Digest)
            .iter()
            .map(|p| p.calls.len())
            .collect();
        assert_eq!(sizes, vec![50, 50, 20]);
    }

    #[test]
    fn message_ids_are_stable_and_distinct() {
        let from: Address = "pbx@example.com".parse().unwrap();
        let a = message_id(&["T1", "T2"], "anna", &from);
        assert_eq!(a, message_id(&["T2", "T1"], "anna", &from));
        assert_ne!(a, message_id(&["T1", "T2"], "bert", &from));
        assert_ne!(a, message_id(&["T1"], "anna", &from));
        assert!(a.starts_with('<') && a.ends_with("@example.com>"));
        // the hash is fixed across builds: a golden value
        // (the same value computed independently, in Python, from the definition)
        assert_eq!(
            stable_hash(&["T1", "anna"]),
            "36ab45289c16511aa579f1a81cf17195"
        );
        assert_ne!(stable_hash(&["T1a", "nna"]), stable_hash(&["T1", "anna"]));
    }
}
