//! The compact form of a chain's facts, for the chains that wait (SPEC §3.8): a chain that
//! waits for a possible callback, and every chain decided behind it, is held until its turn
//! comes, possibly to the end of the input. Held as [`Facts`] each costs a few dozen heap
//! blocks; packed it is a run of bytes, a tenth of the size, written into the blocks of the
//! queue the chains wait in ([`super::spill`]), so it has no heap block of its own. Packing is
//! exact: what is unpacked equals what was packed, field by field (the destructuring below
//! names every field, so a new one cannot be forgotten).

use jiff::Timestamp;

use crate::decide::chains::Facts;
use crate::decide::numbers::Number;
use crate::ingest::Text;

/// Appends the facts to `out`.
pub(crate) fn pack(f: &Facts, out: &mut Vec<u8>) {
    let Facts {
        id,
        caller_raw,
        caller,
        journal_contact_name,
        journal_contact_company,
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
        internal_flag,
        unowned_lines,
        redirected_from,
        online_users,
        voicemail,
        lines,
    } = f;
    let w = &mut Writer(out);
    w.str(id);
    w.str(caller_raw);
    w.number(caller.as_ref());
    w.opt(journal_contact_name.as_deref());
    w.opt(journal_contact_company.as_deref());
    w.time(*start);
    w.time(*last_stop);
    match first_connect {
        Some(t) => {
            w.byte(1);
            w.time(*t);
        }
        None => w.byte(0),
    }
    w.list(participants);
    w.list(not_answered);
    w.byte(
        u8::from(*answered)
            | u8::from(*complete) << 1
            | u8::from(*internal_flag) << 2
            | u8::from(*voicemail) << 3,
    );
    w.opt(answered_by.as_deref());
    w.opt(answered_line.as_deref());
    w.uint(ring_seconds.unsigned_abs());
    w.byte(u8::from(*ring_seconds < 0));
    w.list(unowned_lines);
    w.opt(redirected_from.as_deref());
    w.list(online_users);
    w.uint(lines.len() as u64);
    for (owner, line) in lines {
        w.opt(owner.as_deref());
        w.str(line);
    }
}

/// The facts packed by [`pack`]. `bytes` must be what `pack` wrote (the decider's own
/// record, read back from memory or from its store): anything else is a bug, and panics.
pub(crate) fn unpack(bytes: &[u8]) -> Facts {
    let r = &mut Reader(bytes);
    let id = r.str();
    let caller_raw = r.str();
    let caller = r.number();
    let journal_contact_name = r.opt();
    let journal_contact_company = r.opt();
    let start = r.time();
    let last_stop = r.time();
    let first_connect = (r.byte() == 1).then(|| r.time());
    let participants = r.list();
    let not_answered = r.list();
    let flags = r.byte();
    let answered_by = r.opt();
    let answered_line = r.opt();
    let magnitude = r.uint() as i64;
    let ring_seconds = if r.byte() == 1 { -magnitude } else { magnitude };
    let unowned_lines = r.list();
    let redirected_from = r.opt();
    let online_users = r.list();
    let n = r.uint() as usize;
    let lines = (0..n).map(|_| (r.opt(), r.str())).collect();
    Facts {
        id,
        caller_raw,
        caller,
        journal_contact_name,
        journal_contact_company,
        start,
        last_stop,
        first_connect,
        participants,
        not_answered,
        answered: flags & 1 != 0,
        answered_by,
        answered_line,
        ring_seconds,
        complete: flags & 2 != 0,
        internal_flag: flags & 4 != 0,
        unowned_lines,
        redirected_from,
        online_users,
        voicemail: flags & 8 != 0,
        lines,
    }
}

struct Writer<'a>(&'a mut Vec<u8>);

impl Writer<'_> {
    fn byte(&mut self, b: u8) {
        self.0.push(b);
    }
    /// LEB128.
    fn uint(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.0.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.0.push(v as u8);
    }
    fn str(&mut self, s: &str) {
        self.uint(s.len() as u64);
        self.0.extend_from_slice(s.as_bytes());
    }
    fn opt(&mut self, s: Option<&str>) {
        match s {
            Some(s) => {
                self.byte(1);
                self.str(s);
            }
            None => self.byte(0),
        }
    }
    fn list(&mut self, l: &[Text]) {
        self.uint(l.len() as u64);
        for s in l {
            self.str(s);
        }
    }
    fn number(&mut self, n: Option<&Number>) {
        match n {
            None => self.byte(0),
            Some(Number::E164(s)) => {
                self.byte(1);
                self.str(s);
            }
            Some(Number::Extension(s)) => {
                self.byte(2);
                self.str(s);
            }
            Some(Number::Other(s)) => {
                self.byte(3);
                self.str(s);
            }
        }
    }
    fn time(&mut self, t: Timestamp) {
        self.0.extend_from_slice(&t.as_second().to_le_bytes());
        self.0
            .extend_from_slice(&t.subsec_nanosecond().to_le_bytes());
    }
}

struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn take(&mut self, n: usize) -> &[u8] {
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        head
    }
    fn byte(&mut self) -> u8 {
        self.take(1)[0]
    }
    fn uint(&mut self) -> u64 {
        let mut v = 0u64;
        let mut shift = 0;
        loop {
            let b = self.byte();
            v |= u64::from(b & 0x7f) << shift;
            if b < 0x80 {
                return v;
            }
            shift += 7;
        }
    }
    fn str(&mut self) -> Text {
        let n = self.uint() as usize;
        Text::from_utf8(self.take(n)).expect("packed from a string")
    }
    fn opt(&mut self) -> Option<Text> {
        (self.byte() == 1).then(|| self.str())
    }
    fn list(&mut self) -> crate::decide::chains::Names {
        let n = self.uint() as usize;
        (0..n).map(|_| self.str()).collect()
    }
    fn number(&mut self) -> Option<Number> {
        match self.byte() {
            0 => None,
            1 => Some(Number::E164(self.str())),
            2 => Some(Number::Extension(self.str())),
            _ => Some(Number::Other(self.str())),
        }
    }
    fn time(&mut self) -> Timestamp {
        let s = i64::from_le_bytes(self.take(8).try_into().expect("8 bytes"));
        let ns = i32::from_le_bytes(self.take(4).try_into().expect("4 bytes"));
        Timestamp::new(s, ns).expect("packed from a Timestamp")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decide::chains::{self, Chain};
    use crate::decide::testkit::*;
    use proptest::prelude::*;

    fn facts_of(entries: Vec<crate::ingest::Entry>) -> Facts {
        let c = Chain {
            id: "T".into(),
            entries: entries.into_iter().map(Box::new).collect(),
        };
        *chains::facts(&c, &lookup(), 120, t("12:00:00"))
    }

    #[test]
    fn packing_is_exact() {
        // (what, facts): every kind of field filled and empty
        let mut odd = facts_of(group_call());
        odd.ring_seconds = -3;
        odd.caller = Some(Number::Other("sip-name".into()));
        odd.first_connect = Some(t("2026-11-26T09:00:01.000000123Z"));
        odd.answered_line = Some("299".into());
        odd.lines.push((None, "2 99".into()));
        let mut extension = facts_of(vec![entry("a").caller("")]);
        extension.caller = Some(Number::Extension("201".into()));
        extension.redirected_from = Some("202".into());
        let cases: Vec<(&str, Facts)> = vec![
            ("group call", facts_of(group_call())),
            ("hidden caller", facts_of(vec![entry("a").caller("")])),
            (
                "answered, with contact and voicemail",
                facts_of(vec![
                    entry("a").connect("09:00:05").contact("Acme Ltd"),
                    entry("b").line("202").voicemail().online(true),
                ]),
            ),
            ("odd values", odd),
            ("extension caller", extension),
        ];
        for (what, f) in cases {
            let mut bytes = Vec::new();
            pack(&f, &mut bytes);
            assert_eq!(unpack(&bytes), f, "{what}");
        }
    }

    proptest! {
        #[test]
        fn packing_round_trips(
            id in ".{0,12}", raw in "[0-9 +]{0,14}", names in prop::collection::vec("\\PC{0,9}", 0..6),
            secs in -100_000_000_000i64..100_000_000_000, ns in 0i32..1_000_000_000,
            ring in any::<i64>(), flags in any::<u8>(),
        ) {
            let mut f = facts_of(group_call());
            // long texts too (past the 24 bytes held inline)
            let names: Vec<Text> = names.iter().map(|n| Text::from(n.repeat(3))).collect();
            f.id = id.into();
            f.caller_raw = raw.as_str().into();
            f.caller = (flags & 1 == 1).then_some(Number::E164(raw.into()));
            f.participants = names.iter().cloned().collect();
            f.online_users = names.iter().cloned().collect();
            f.lines = names.iter().map(|n| (Some(n.clone()), n.clone())).collect();
            f.start = Timestamp::new(secs, ns).expect("in range");
            f.ring_seconds = ring;
            f.answered = flags & 2 != 0;
            f.voicemail = flags & 4 != 0;
            f.first_connect = (flags & 8 != 0).then_some(f.start);
            let mut bytes = Vec::new();
            pack(&f, &mut bytes);
            prop_assert_eq!(unpack(&bytes), f);
        }
    }
}
