//! Fuzzing every parser with arbitrary bytes, bounded (`make fuzz` runs many inputs, `make ci`
//! a few): mutations of real sample files (bytes flipped, inserted, cut, lines doubled, BOMs and
//! UTF-16 added) and plain random bytes. Nothing may panic.
//!
//! `UNANSWERED_FUZZ_INPUTS` (default 64) inputs per parser, at most
//! `UNANSWERED_FUZZ_SECONDS` (default 60) per parser; each prints how many it ran.

use std::io::Cursor;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::ingest::text::{decode_bytes, TextEncoding};
use crate::ingest::{detect, Format};

/// xorshift64*: deterministic, so a failing input can be found again from its number.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const NASTY: &[&[u8]] = &[
    b"\r",
    b"\n",
    b"\r\n",
    b"\"",
    b",",
    b";",
    b"\t",
    b"\0",
    b"\xff\xfe",
    b"\xfe\xff",
    b"\xef\xbb\xbf",
    b"\xc3",
    b"\x80",
    b"=?utf-8?q?x?=",
    b"\\",
    b"BEGIN:VCARD\r\n",
    b"END:VCARD\r\n",
    b"\r\n ",
    b"[",
    b"]",
    b"{",
    b"}",
    b"=",
    b"'''",
    b"9999-99-99 99:99:99",
];

fn mutate(seed: &[u8], rng: &mut Rng) -> Vec<u8> {
    let mut b = seed.to_vec();
    if rng.below(16) == 0 {
        // plain random bytes
        let n = rng.below(600);
        return (0..n).map(|_| rng.next() as u8).collect();
    }
    for _ in 0..1 + rng.below(8) {
        let at = rng.below(b.len() + 1);
        match rng.below(7) {
            0 if !b.is_empty() => {
                let i = at.min(b.len() - 1);
                b[i] ^= 1 << rng.below(8);
            }
            1 => b
                .splice(at..at, NASTY[rng.below(NASTY.len())].iter().copied())
                .for_each(drop),
            2 => b.truncate(at),
            3 => {
                let end = (at + rng.below(200)).min(b.len());
                let part = b[at..end].to_vec();
                b.splice(at..at, part).for_each(drop);
            }
            4 => {
                let end = (at + rng.below(50)).min(b.len());
                b.drain(at..end);
            }
            5 => b.insert(at, rng.next() as u8),
            _ => {}
        }
    }
    match rng.below(12) {
        // UTF-16 with a BOM, sometimes with a stray last byte
        0 => {
            let text = String::from_utf8_lossy(&b).into_owned();
            let mut u = vec![0xff, 0xfe];
            u.extend(text.encode_utf16().flat_map(|c| c.to_le_bytes()));
            if rng.below(2) == 0 {
                u.push(b'\n');
            }
            u
        }
        1 => [&b"\xef\xbb\xbf"[..], &b].concat(),
        _ => b,
    }
}

fn budget() -> (usize, Duration) {
    let var = |k: &str, d: u64| {
        std::env::var(k)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(d)
    };
    (
        var("UNANSWERED_FUZZ_INPUTS", 64) as usize,
        Duration::from_secs(var("UNANSWERED_FUZZ_SECONDS", 60)),
    )
}

/// Feeds mutated seeds to `parse` until the budget is spent; returns the inputs run.
fn fuzz(name: &str, seeds: &[&[u8]], mut parse: impl FnMut(&[u8])) -> usize {
    let (inputs, time) = budget();
    let start = Instant::now();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ name.len() as u64);
    let mut n = 0;
    while n < inputs && start.elapsed() < time {
        let input = mutate(seeds[n % seeds.len()], &mut rng);
        parse(&input);
        n += 1;
    }
    println!(
        "fuzz {name}: {n} inputs in {:.1} s",
        start.elapsed().as_secs_f64()
    );
    n
}

fn journal(bytes: &[u8], forced: Option<Format>) {
    let zone = crate::ingest::time::zone("Europe/Berlin").unwrap();
    let raw: Box<dyn std::io::Read + Send> = Box::new(Cursor::new(bytes.to_vec()));
    if let Ok((_, items)) = detect::open(
        raw,
        crate::ingest::FileName::new("f.csv"),
        TextEncoding::Auto,
        forced,
        zone,
        None,
    ) {
        // every journal yields at least one item: an entry, a skip, or an error
        assert!(items.count() > 0);
    }
}

#[test]
fn fuzz_native_csv_and_json_lines() {
    let jsonl = br#"{"u8sConnectionID":"a","stStartTime":"2026-11-26 09:00:00","stStopTime":"2026-11-26 09:01:00","iOrigin":0,"u8sLineNumber":"201","u8sPhoneNumber":"030 5550100"}
"#;
    let csv = include_bytes!("../../samples/journal.csv");
    assert!(fuzz("native", &[csv, jsonl], |b| journal(b, None)) > 0);
}

#[test]
fn fuzz_asterisk_cdr() {
    let row = br#""","0305550100","201","from-internal","""Caller"" <0305550100>","SIP/trunk-00000001","SIP/201-00000002","Dial","SIP/201,30","2026-11-26 09:00:00","","2026-11-26 09:00:20",20,0,"NO ANSWER","DOCUMENTATION","1764147600.1","""#;
    let seed = [&row[..], b"\n", &row[..], b"\n"].concat();
    assert!(
        fuzz("asterisk", &[&seed], |b| journal(
            b,
            Some(Format::AsteriskCdr)
        )) > 0
    );
}

#[test]
fn fuzz_directory_files() {
    let tz = crate::ingest::time::zone("Europe/Berlin").unwrap();
    let users = include_bytes!("../../samples/users.csv");
    let contacts = include_bytes!("../../samples/contacts.csv");
    let vcf = include_bytes!("../../samples/contacts.vcf");
    let logons = include_bytes!("../../samples/logons.csv");
    let text = |b: &[u8]| decode_bytes(b, TextEncoding::Auto);
    fuzz("users", &[users], |b| {
        drop(crate::directory::parse_users(&text(b), "u.csv"))
    });
    fuzz("contacts", &[contacts], |b| {
        drop(crate::directory::parse_contacts_csv(&text(b), "c.csv"))
    });
    fuzz("vcard", &[vcf], |b| {
        drop(crate::directory::vcard::parse(&text(b), "c.vcf"))
    });
    fuzz("logons", &[logons], |b| {
        drop(crate::directory::parse_logons(&text(b), "l.csv", &tz))
    });
}

#[test]
fn fuzz_config() {
    let sample = include_bytes!("../../samples/unanswered.toml");
    let dir = std::env::temp_dir();
    let path = dir.join("unanswered-fuzz.toml");
    fuzz("config", &[sample], |b| {
        let _ = crate::config::Config::parse(&String::from_utf8_lossy(b), Path::new(&path));
    });
}
