//! What the micro-benchmarks of `benches/decide.rs` (`cargo bench`) measure: the hot functions
//! of reading and deciding, behind a few plain types. Not part of the program's interface
//! (hidden from the docs); `make bench` measures the program itself.

use std::io::Write;

use jiff::Timestamp;

use crate::config::Rules;
use crate::decide::lookup::Lookup;
use crate::decide::numbers::NumberPlan;
use crate::decide::recipients::History;
use crate::decide::stream;
use crate::directory::User;
use crate::ingest::{self, Item, SourcePos};

/// A native CSV journal read into memory, with a directory of one user per line.
pub struct Journal {
    items: Vec<Item>,
    lookup: Lookup,
    rules: Rules,
    now: Timestamp,
}

/// Reads a native CSV journal: how many rows (entries, errors and skipped rows alike).
pub fn read(csv: &[u8]) -> usize {
    items(csv).len()
}

/// The rows of a native CSV journal, read (entries, errors and skipped rows alike).
fn items(csv: &[u8]) -> Vec<Item> {
    let raw: Box<dyn std::io::Read + Send> = Box::new(std::io::Cursor::new(csv.to_vec()));
    match ingest::detect::open(
        raw,
        crate::ingest::FileName::new("bench"),
        ingest::text::TextEncoding::Auto,
        None,
        jiff::tz::TimeZone::UTC,
        None,
    ) {
        Ok((_, items)) => items.collect(),
        Err(e) => panic!("the benchmark's journal: {e}"),
    }
}

impl Journal {
    /// Reads `csv`; `lines` are the users' lines (user `u{line}` on each), the rules the
    /// defaults without an age limit, `now` far after the journal.
    pub fn new(csv: &[u8], lines: impl IntoIterator<Item = u32>) -> Journal {
        let users = lines
            .into_iter()
            .map(|l| User {
                user: format!("u{l}").into(),
                name: format!("User {l}"),
                email: Some(format!("u{l}@example.com")),
                lines: vec![l.to_string()],
                language: None,
                notify: true,
                time_zone: None,
                zone: None,
                pos: SourcePos {
                    file: crate::ingest::FileName::new("users"),
                    line: 1,
                },
            })
            .collect();
        let rules = Rules {
            max_age_hours: 0,
            ..Rules::default()
        };
        Journal {
            items: items(csv),
            lookup: Lookup::new(rules.numbers.clone(), users, Vec::new()),
            rules,
            now: "2030-01-01T00:00:00Z".parse().expect("a timestamp"),
        }
    }

    /// Rows read.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Groups and decides every row (copies of them: the copying is part of the time, as
    /// reading is in the program); the number of chains.
    pub fn decide(&self) -> u64 {
        let mut n = 0;
        self.each_verdict(|_| n += 1);
        n
    }

    fn each_verdict(&self, on_verdict: impl FnMut(crate::decide::recipients::Verdict)) {
        stream::decide_verdicts(
            self.items.iter().cloned(),
            &self.rules,
            &self.lookup,
            &mut History::default(),
            self.now,
            |_| {},
            on_verdict,
        );
    }

    /// [`Journal::decide`] with every verdict written as `explain --json` writes it; the
    /// bytes written.
    pub fn explain_json(&self) -> usize {
        let mut out = std::io::BufWriter::new(Counter(0));
        self.each_verdict(|v| {
            crate::app::explain::write_json_line(&mut out, &v, &jiff::tz::TimeZone::UTC)
                .expect("a counter takes every byte")
        });
        out.into_inner().map_or(0, |c| c.0)
    }
}

/// Counts the bytes written to it.
struct Counter(usize);

impl Write for Counter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Normalises every number with the default plan (area code 30); how many were numbers.
pub fn normalise(numbers: &[String]) -> usize {
    let plan = NumberPlan {
        area_code: "30".into(),
        ..NumberPlan::default()
    };
    numbers
        .iter()
        .filter(|n| plan.normalise(n).is_some())
        .count()
}
