//! The decision rules across runs: a callback read in one run counts for a call the state
//! kept still ringing (SPEC §3.8), and the summary counts calls too old to mail (§3.9).

mod common;

use common::*;

const H: &str = "u8sConnectionID,u8sTrackerID,stStartTime,stStopTime,stConnectTime,iOrigin,u8sLineNumber,u8sPhoneNumber\n";
/// Missed by anna 11:59:00–11:59:40: still ringing at 12:00:30 (settle 120 s).
const MISSED: &str = "m,,2026-11-26 11:59:00,2026-11-26 11:59:40,,0,201,030 5550100\n";
/// bert calls the caller back at 11:59:50; they speak from 11:59:55.
const CALLBACK: &str =
    "o,,2026-11-26 11:59:50,2026-11-26 12:00:20,2026-11-26 11:59:55,1,202,+49 30 5550100\n";

fn eml_count(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir).map_or(0, |d| d.count())
}

/// `run --out` at `now` over `journal`; it must succeed.
fn run_out(p: &Project, now: &str, journal: &std::path::Path) {
    let out_dir = p.path("out");
    let out = p.run(&[
        "run",
        "--now",
        now,
        "--out",
        out_dir.to_str().unwrap(),
        journal.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

/// Run 1 reads `first` while the call still rings; run 2 reads an export with nothing new.
fn two_runs(first: &str) -> (Project, String, usize) {
    let p = Project::new("");
    let first = p.write("first.csv", &format!("{H}{first}"));
    let empty = p.write("empty.csv", H);
    run_out(&p, "2026-11-26T12:00:30Z", &first);
    assert_eq!(
        eml_count(&p.path("out")),
        0,
        "still ringing: nothing mailed yet"
    );
    let explained = p.run(&[
        "explain",
        "--json",
        "--now",
        "2026-11-26T12:10:00Z",
        empty.to_str().unwrap(),
    ]);
    // a header-only export finishes, and says so (exit 1: an empty export must be noticed)
    let out = p.run(&[
        "run",
        "--now",
        "2026-11-26T12:10:00Z",
        "--out",
        p.path("out").to_str().unwrap(),
        empty.to_str().unwrap(),
    ]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("empty.csv:1: the journal has no rows, only a header"),
        "{err}"
    );
    let mails = eml_count(&p.path("out"));
    (p, text(&explained.stdout), mails)
}

#[test]
fn a_callback_read_while_the_call_still_rang_counts_in_the_next_run() {
    let (p, explained, mails) = two_runs(&format!("{MISSED}{CALLBACK}"));
    assert!(
        explained.contains("\"suppressed_by\":\"called_back\""),
        "{explained}"
    );
    assert_eq!(mails, 0, "the call was returned: no mail");
    // nothing of it is left in the state: a third run sees no chain at all
    let empty = p.path("empty.csv");
    let out = p.run(&[
        "explain",
        "--json",
        "--now",
        "2026-11-26T12:20:00Z",
        empty.to_str().unwrap(),
    ]);
    assert_eq!(text(&out.stdout), "");
}

#[test]
fn without_the_callback_the_next_run_mails() {
    let (_, explained, mails) = two_runs(MISSED);
    assert!(explained.contains("\"suppressed_by\":null"), "{explained}");
    assert_eq!(mails, 1);
}

#[test]
fn a_callback_that_did_not_connect_is_no_callback() {
    let (_, _, mails) = two_runs(&format!(
        "{MISSED}o,,2026-11-26 11:59:50,2026-11-26 12:00:20,,1,202,030 5550100\n"
    ));
    assert_eq!(mails, 1);
}

#[test]
fn the_summary_counts_calls_too_old_and_calls_returned() {
    let p = Project::new("");
    let j = p.write(
        "j.csv",
        &format!(
            "{H}old,,2026-11-20 09:00:00,2026-11-20 09:00:30,,0,201,030 5550199\n{MISSED}{CALLBACK}"
        ),
    );
    let out = p.run(&[
        "run",
        "--dry-run",
        "-v",
        "--now",
        "2026-11-26T13:00:00Z",
        j.to_str().unwrap(),
    ]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("1 calls too old to mail"), "{err}");
    assert!(err.contains("1 calls already returned"), "{err}");
}
