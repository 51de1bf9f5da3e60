//! Benchmark: the reading part of `explain` alone — a journal decoded, cut into records and
//! turned into entries, nothing decided. Compare with `csv_baseline` on the same file.

/// The allocator the binary uses (src/main.rs), so that the figure is the binary's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    unanswered::allocator::configure();
    let path = std::env::args().nth(1).expect("usage: ingest_only FILE");
    match unanswered::read_journal_for_bench(std::path::Path::new(&path)) {
        Ok((entries, other)) => println!("{entries} entries, {other} other items"),
        Err(e) => {
            eprintln!("{path}: {e}");
            std::process::exit(1);
        }
    }
}
