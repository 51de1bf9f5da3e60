//! Micro-benchmarks of the hot functions of reading and deciding (`cargo bench --bench
//! decide`), with divan. The journals are made here, in the shapes of `bench/gen.py` (sparse)
//! and `bench/gen_busy.py` (a busy day): the same inputs every run. `make bench` measures the
//! program itself against the bare csv read.

use std::fmt::Write as _;

use unanswered::bench_api::{self, Journal};

/// The allocator the binary uses (src/main.rs).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    divan::main();
}

/// A small deterministic generator (xorshift), so the journals need no dependency.
struct Rnd(u64);

impl Rnd {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn ts(t: i64) -> String {
    jiff::Timestamp::from_second(t)
        .expect("in range")
        .strftime("%Y-%m-%d %H:%M:%S")
        .to_string()
}

/// `rows` entries: busy (a pool of 2,000 callers calling back and again, ring groups, untracked
/// redirects) or sparse (every caller new, calls of 1 to 5 entries).
fn journal(rows: usize, busy: bool) -> String {
    let mut r = Rnd(0x9e37_79b9_7f4a_7c15);
    let mut out = String::from(
        "u8sConnectionID,u8sTrackerID,stStartTime,stStopTime,stConnectTime,iOrigin,u8sLineNumber,u8sPhoneNumber,u8sRedirectingNumber,u8sContactName,TrackerLastCall\n",
    );
    let mut t = 1_764_000_000i64;
    let (mut n, mut call) = (0, 0);
    while n < rows {
        call += 1;
        t += r.below(if busy { 1 } else { 4 }) as i64;
        let caller = if busy {
            format!("030{:07}", 1_000_000 + r.below(2000))
        } else {
            format!("0{}{:07}", 30 + r.below(60), r.below(10_000_000))
        };
        let k = [1, 1, 1, 2, 3, 5][r.below(6) as usize];
        let answered = r.below(10) < if busy { 5 } else { 1 };
        let redirects = busy && r.below(5) == 0;
        let mut at = t;
        let mut prev = String::new();
        for i in 0..k {
            n += 1;
            let line = 200 + r.below(400);
            let stop = at + 3 + r.below(30) as i64;
            let conn = if answered && i == k - 1 {
                ts(at + 2)
            } else {
                String::new()
            };
            let (tracker, redirect) = if redirects {
                (String::new(), std::mem::take(&mut prev))
            } else {
                (format!("T{call}"), String::new())
            };
            let _ = writeln!(
                out,
                "c{n},{tracker},{},{},{conn},0,{line},{caller},{redirect},Kunde {},{}",
                ts(at),
                ts(stop),
                call % 977,
                u8::from(i == k - 1)
            );
            if redirects {
                prev = line.to_string();
                at = stop + r.below(10) as i64;
            } else {
                at += 2;
            }
        }
    }
    out
}

const ROWS: usize = 20_000;

fn users() -> impl Iterator<Item = u32> {
    200..600
}

#[divan::bench(args = [false, true])]
fn read(b: divan::Bencher, busy: bool) {
    let csv = journal(ROWS, busy);
    b.counter(divan::counter::ItemsCount::new(ROWS))
        .bench(|| bench_api::read(divan::black_box(csv.as_bytes())));
}

#[divan::bench(args = [false, true])]
fn decide(b: divan::Bencher, busy: bool) {
    let j = Journal::new(journal(ROWS, busy).as_bytes(), users());
    b.counter(divan::counter::ItemsCount::new(j.len()))
        .bench(|| divan::black_box(&j).decide());
}

#[divan::bench(args = [false, true])]
fn explain_json(b: divan::Bencher, busy: bool) {
    let j = Journal::new(journal(ROWS, busy).as_bytes(), users());
    b.counter(divan::counter::ItemsCount::new(j.len()))
        .bench(|| divan::black_box(&j).explain_json());
}

#[divan::bench]
fn normalise(b: divan::Bencher) {
    let mut r = Rnd(7);
    let numbers: Vec<String> = (0..10_000)
        .map(|i| match i % 4 {
            0 => format!("0{}{:07}", 30 + r.below(60), r.below(10_000_000)),
            1 => format!("+49 30 {:07}", r.below(10_000_000)),
            2 => format!("{}", 200 + r.below(400)),
            _ => format!("0049 (0)30 {:04}-{:03}", r.below(10_000), r.below(1000)),
        })
        .collect();
    b.counter(divan::counter::ItemsCount::new(numbers.len()))
        .bench(|| bench_api::normalise(divan::black_box(&numbers)));
}
