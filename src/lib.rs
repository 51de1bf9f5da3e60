//! `unanswered` turns the call journal of a telephone system into missed-call e-mails.
//!
//! The tree is the pipeline, in the order the data flows (SPEC sections in brackets):
//!
//! | module | what | SPEC |
//! |---|---|---|
//! | `ingest::native` | native journal, CSV / JSON Lines | §1.1 |
//! | `ingest::asterisk` (`columns`, `row`, `channel`, `group`, `resolve`) | Asterisk `Master.csv` / `cdr_custom` / Grandstream: layouts, one row, channel names, rows → calls, a call → entries | §1.2 |
//! | `ingest::detect` | opening a journal, telling its format | §1.1, §1.2 |
//! | `ingest::csv` | the one CSV reader (journals, detection, directory files): physical line numbers, quotes, borrowed fields | §1, §1.3 |
//! | `ingest::text`, `ingest::time` | encodings, timestamps | §1 |
//! | `ingest` (`model`) | [`ingest::Entry`], what every reader yields | §1 |
//! | `directory` | users, contacts, logons | §1.3 |
//! | `directory::user_id` | [`directory::UserId`]: a user name, compared ignoring case | §1.3 |
//! | `directory::vcard` | vCard contacts files, read | §1.3 |
//! | `decide::numbers` | numbers to E.164 | §1.4 |
//! | `decide::lookup` | the directory as the decisions see it | §1.3, §4 |
//! | `decide::chains` | entries → chains: who was rung, who answered — pure | §2 |
//! | `decide::exceptions` | the chains that notify nobody; callbacks gathered — pure | §2.6, §3.1–3.9 |
//! | `decide::recipients` | who is told, the repeated rules → a verdict per chain — pure | §3.10–3.11, §4 |
//! | `decide::intake` | items → events: row problems, callbacks, logons, chains handed out — pure | §2, §3.8, §3.11 |
//! | `decide::stream` | events → verdicts, streaming; the chains that wait for a callback — pure | §2–§4 |
//! | `decide::spill` | the queue of waiting chains in blocks, past a budget in an injected store — pure | §3.8 |
//! | `decide::plan` | which mails a run makes (digest / per-call), their Message-IDs — pure | §5 `mode`, §8 |
//! | `render` (`document`, `language`, `xslt`, `mail`, `headers`) | planned mails → mails: document, languages, XSLT, MIME, headers | §7 |
//! | `render::sanitize` | text cleaned for XML (document, headers) and for a terminal | §7 |
//! | `render::error` | why a mail, a template or a language file could not be used | §7 |
//! | `render::vcard` | the caller's card attached to a mail, written | §7 |
//! | `deliver` | mails (envelope + bytes) → SMTP, sendmail, `.eml` files, standard output | §6, §8 |
//! | `state` | SQLite beside the pipeline: sent, outbox, pending, logons | §8 |
//! | `config` (`raw`, `validate`, `error`) | the TOML file as written → validated `Config` | §5 |
//! | `cli`, `exit_codes` | the command line, exit codes | §6, §8 |
//! | `error` | the errors that end a command, each with its exit code | §8 |
//! | `app::run`, `app::explain`, `app::check`, `app::outbox` | one file per command; only `app` orchestrates the stages | §6 |
//! | `app::session`, `app::report` | what the commands open once; summary and outbox listing | §6 |
//! | `app::send_test`, `app::init`, `app::generate` | `check`'s mail side and `--send-test`; `init`; man pages and completions | §6 |
//! | `app::parallel` | `run`'s mails made on every core, taken in plan order | §8 |
//! | `app::read_ahead`, `app::spill` | reading and grouping on their own threads; the waiting chains' temp file | §8 |
//! | `bench_api` | the hot functions of reading and deciding, for `benches/` (hidden) | — |
//!
//! `main` only parses the arguments, reads the clock once and maps the outcome to an exit
//! code. Only what `main` and the tests outside the crate need is `pub`.

pub mod allocator;
pub mod app;
pub mod cli;
mod config;
mod decide;
mod deliver;
mod directory;
mod error;
pub mod exit_codes;
mod ingest;
mod render;
mod state;

/// For `benches/` only (the micro-benchmarks of the hot functions, across the stages: it
/// sits beside them, not inside `decide`, which never reaches up into `app`); not an
/// interface.
#[doc(hidden)]
pub mod bench_api;

/// Reads a journal the way `explain` does (UTF-8 or BOM, UTC, format detected) and
/// counts its entries and its other items: the reading part of `explain`, alone, for
/// `examples/ingest_only.rs` (measured against `examples/csv_baseline.rs`). Not an API.
#[doc(hidden)]
pub fn read_journal_for_bench(
    path: &std::path::Path,
) -> Result<(u64, u64), Box<dyn std::error::Error>> {
    let file = std::fs::File::open(path)?;
    let zone = ingest::time::zone("UTC")?;
    let (_, items) = ingest::detect::open(
        Box::new(file),
        ingest::FileName::new(&path.display().to_string()),
        ingest::text::TextEncoding::Auto,
        None,
        zone,
        None,
    )?;
    let (mut entries, mut other) = (0, 0);
    for item in items {
        match item {
            ingest::Item::Entry(_) => entries += 1,
            _ => other += 1,
        }
    }
    Ok((entries, other))
}
