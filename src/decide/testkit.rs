//! Builders for the tests of the pure stages.

use jiff::Timestamp;

use crate::config::Rules;
use crate::decide::exceptions::Suppression;
use crate::decide::lookup::Lookup;
use crate::decide::recipients::{History, Verdict};
use crate::decide::stream as pipeline;
use crate::directory::User;
use crate::ingest::{Entry, Item, Origin, SourcePos};

/// "HH:MM:SS" on 2026-11-26 UTC, or a full RFC 3339 timestamp.
pub(crate) fn t(s: &str) -> Timestamp {
    if s.len() <= 8 {
        format!("2026-11-26T{s}Z").parse().unwrap()
    } else {
        s.parse().unwrap()
    }
}

/// An incoming entry from caller 030 5550100 to line 201 that rang 09:00:00–09:00:20.
pub(crate) fn entry(id: &str) -> Entry {
    Entry {
        pos: SourcePos {
            file: crate::ingest::FileName::new("test"),
            line: 1,
        },
        seq: 0,
        connection_id: id.into(),
        tracker_id: None,
        start: t("09:00:00"),
        stop: t("09:00:20"),
        connect: None,
        origin: Origin::Incoming,
        internal: false,
        line_number: "201".into(),
        line_user: None,
        user_offline: None,
        phone_number: "030 5550100".into(),
        redirecting_number: None,
        contact_name: None,
        contact_company: None,
        acceptor: None,
        tracker_last: false,
        call_type: 0,
        voicemail: false,
        arrival: None,
    }
}

/// Builder-style changes to an entry.
pub(crate) trait EntryExt {
    fn tracker(self, t: &str) -> Self;
    fn ring(self, start: &str, stop: &str) -> Self;
    fn line(self, l: &str) -> Self;
    fn user(self, u: &str) -> Self;
    fn caller(self, c: &str) -> Self;
    fn connect(self, at: &str) -> Self;
    fn acceptor(self, u: &str) -> Self;
    fn redirected_from(self, l: &str) -> Self;
    fn last(self) -> Self;
    fn internal(self) -> Self;
    fn outgoing(self) -> Self;
    fn call_type(self, ct: u32) -> Self;
    fn online(self, logged_on: bool) -> Self;
    fn contact(self, name: &str) -> Self;
    fn voicemail(self) -> Self;
}

impl EntryExt for Entry {
    fn tracker(mut self, t: &str) -> Self {
        self.tracker_id = Some(t.into());
        self
    }
    fn ring(mut self, start: &str, stop: &str) -> Self {
        self.start = t(start);
        self.stop = t(stop);
        self
    }
    fn line(mut self, l: &str) -> Self {
        self.line_number = l.into();
        self
    }
    fn user(mut self, u: &str) -> Self {
        self.line_user = Some(u.into());
        self
    }
    fn caller(mut self, c: &str) -> Self {
        self.phone_number = c.into();
        self
    }
    fn connect(mut self, at: &str) -> Self {
        self.connect = Some(t(at));
        self
    }
    fn acceptor(mut self, u: &str) -> Self {
        self.acceptor = Some(u.into());
        self
    }
    fn redirected_from(mut self, l: &str) -> Self {
        self.redirecting_number = Some(l.into());
        self
    }
    fn last(mut self) -> Self {
        self.tracker_last = true;
        self
    }
    fn internal(mut self) -> Self {
        self.internal = true;
        self
    }
    fn outgoing(mut self) -> Self {
        self.origin = Origin::Outgoing;
        self
    }
    fn call_type(mut self, ct: u32) -> Self {
        self.call_type = ct;
        self
    }
    fn online(mut self, logged_on: bool) -> Self {
        self.user_offline = Some(!logged_on);
        self
    }
    fn contact(mut self, name: &str) -> Self {
        self.contact_name = Some(name.into());
        self
    }
    fn voicemail(mut self) -> Self {
        self.voicemail = true;
        self
    }
}

/// Users anna (201, twin 0171 2222222), bert (202), carl (203), dora (204, no mail),
/// emil (205, notify=no); contact "Acme" at 030 5550100.
pub(crate) fn lookup() -> Lookup {
    let mut dora = User::new("dora", None, &["204"]);
    dora.name = "Dora".into();
    let mut emil = User::new("emil", Some("emil@example.com"), &["205"]);
    emil.notify = false;
    Lookup::new(
        crate::decide::numbers::NumberPlan::default(),
        vec![
            User::new("anna", Some("anna@example.com"), &["201", "0171 2222222"]),
            User::new("bert", Some("bert@example.com"), &["202"]),
            User::new("carl", Some("carl@example.com"), &["203"]),
            dora,
            emil,
        ],
        vec![crate::directory::Contact::new(
            "Acme",
            &[("030 5550100", crate::directory::PhoneKind::Work)],
        )],
    )
}

/// Rules as the SPEC's defaults, in UTC.
pub(crate) fn rules() -> Rules {
    Rules::default()
}

/// Runs the pure pipeline: entries (in this input order) → verdicts, `now` = 12:00.
pub(crate) fn verdicts(entries: Vec<Entry>, rules: &Rules, lookup: &Lookup) -> Vec<Verdict> {
    verdicts_at(
        entries,
        rules,
        lookup,
        &mut History::default(),
        t("12:00:00"),
    )
}

pub(crate) fn verdicts_at(
    entries: Vec<Entry>,
    rules: &Rules,
    lookup: &Lookup,
    history: &mut History,
    now: Timestamp,
) -> Vec<Verdict> {
    let items = entries.into_iter().enumerate().map(|(i, mut e)| {
        e.seq = i as u64;
        Item::Entry(Box::new(e))
    });
    let mut out = Vec::new();
    pipeline::decide(
        items,
        rules,
        lookup,
        history,
        now,
        |e| panic!("{e}"),
        |v, _| out.push(v),
    );
    out
}

// Verdicts, for the table tests of exceptions and recipients.

/// The verdict of the only chain of `entries`.
pub(crate) fn one(entries: Vec<Entry>, rules: &Rules) -> Verdict {
    let mut vs = verdicts(entries, rules, &lookup());
    assert_eq!(vs.len(), 1, "one chain expected");
    vs.remove(0)
}

/// `(suppressed_by, [(user, status)])` of a verdict, for table tests.
pub(crate) fn summary(v: &Verdict) -> (Option<&'static str>, Vec<(String, &'static str)>) {
    (
        v.suppressed_by.map(Suppression::as_str),
        v.recipients
            .iter()
            .map(|r| (r.user.clone(), r.status.as_str()))
            .collect(),
    )
}

/// The summary of a chain that notifies `users`.
pub(crate) fn notify(users: &[&str]) -> (Option<&'static str>, Vec<(String, &'static str)>) {
    (
        None,
        users.iter().map(|u| (u.to_string(), "notify")).collect(),
    )
}

/// The summary of a chain suppressed by `s`.
pub(crate) fn suppressed(s: &'static str) -> (Option<&'static str>, Vec<(String, &'static str)>) {
    (Some(s), vec![])
}

/// The default rules, changed by `f`.
pub(crate) fn with(f: impl FnOnce(&mut Rules)) -> Rules {
    let mut r = rules();
    f(&mut r);
    r
}

/// A group call of 030 5550100 that rang anna, bert and carl; nobody answered.
pub(crate) fn group_call() -> Vec<Entry> {
    vec![
        entry("a").tracker("T").line("201"),
        entry("b")
            .tracker("T")
            .line("202")
            .ring("09:00:01", "09:00:20"),
        entry("c")
            .tracker("T")
            .line("203")
            .ring("09:00:02", "09:00:20"),
    ]
}

/// One-entry calls of 030 5550100 to anna at the given (start, stop) times.
pub(crate) fn calls_from_same_caller(times: &[(&str, &str)]) -> Vec<Entry> {
    times
        .iter()
        .enumerate()
        .map(|(i, (a, b))| entry(&format!("c{i}")).ring(a, b))
        .collect()
}

/// The verdict of the chain `id` among all chains of `entries`.
pub(crate) fn verdict_of(entries: Vec<Entry>, rules: &Rules, id: &str) -> Verdict {
    verdicts(entries, rules, &lookup())
        .into_iter()
        .find(|v| v.facts.id == id)
        .unwrap_or_else(|| panic!("no chain {id}"))
}
