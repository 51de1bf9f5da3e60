//! Benchmark baseline: reads a CSV journal with the `csv` crate and counts its records and
//! distinct tracker ids — the least any reader of the file must do.

fn main() {
    let path = std::env::args().nth(1).expect("usage: csv_baseline FILE");
    let mut rdr = csv::Reader::from_path(path).expect("open");
    let mut n = 0u64;
    let mut trackers = std::collections::HashSet::new();
    for r in rdr.records() {
        let r = r.expect("record");
        trackers.insert(r.get(1).unwrap_or("").to_string());
        n += 1;
    }
    println!("{n} records, {} trackers", trackers.len());
}
