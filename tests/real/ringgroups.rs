//! The 21-column `ringgroups-Master.csv` and the Asterisk test-suite files.

use crate::{chain, data, explain, notify, verdict};
use serde_json::Value;

#[test]
fn real_ring_groups_default_rules() {
    let out = explain("", &[data("ringgroups-Master.csv")]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stderr, "");
    assert_eq!(out.chains.len(), 30);
    // Dial(SIP/301&SIP/200@stadionpbx): both legs NO ANSWER → 301's owner is told
    assert_eq!(
        verdict(&out.chains, "1706369600.6"),
        (Value::Null, Value::Null, notify())
    );
    // a ring group of Local channels: the phone (Local/ch1…;2 → SIP/301) rang, nobody answered
    assert_eq!(
        verdict(&out.chains, "1706372196.12"),
        (Value::Null, Value::Null, notify())
    );
    // the ring group answered at 301 (the ;1, ;2 and Party-A rows all say ANSWERED)
    let (by, sup, rec) = verdict(&out.chains, "1706407446.50");
    assert_eq!(
        (by.as_str(), sup.as_str(), rec.len()),
        (Some("stadion"), Some("answered"), 0)
    );
    // 301 missed it, the other PBX (200@stadionpbx, a line without user) answered: answered
    // elsewhere, answered_by is null and answered_line names the line
    let (by, sup, _) = verdict(&out.chains, "1706415046.98");
    assert_eq!((by, sup.as_str()), (Value::Null, Some("answered")));
    assert_eq!(
        chain(&out.chains, "1706415046.98")["answered_line"].as_str(),
        Some("stadionpbx")
    );
    // the second uniqueid style, answered at 301
    let (by, _, _) = verdict(&out.chains, "mainserverdss-1706420300.0");
    assert_eq!(by.as_str(), Some("stadion"));
    // two unanswered calls of one caller 37 s apart: two chains, each told
    assert_eq!(
        verdict(&out.chains, "mainserverdss-1706430495.50").2,
        notify()
    );
    assert_eq!(
        verdict(&out.chains, "mainserverdss-1706430532.55").2,
        notify()
    );
    // BUSY on the trunk leg only, 0 s: nobody of ours rang
    assert_eq!(
        verdict(&out.chains, "mainserverdss-1706443058.100")
            .1
            .as_str(),
        Some("short_ring")
    );
    // exactly these five chains notify
    let notified: Vec<&str> = out
        .chains
        .iter()
        .filter(|c| c["suppressed_by"].is_null())
        .map(|c| c["chain"].as_str().unwrap())
        .collect();
    assert_eq!(
        notified,
        vec![
            "1706369600.6",
            "1706372196.12",
            "1706401101.30",
            "mainserverdss-1706430495.50",
            "mainserverdss-1706430532.55"
        ]
    );
}

#[test]
fn real_ring_groups_even_if_answered_elsewhere() {
    // called_back off: this test is about who is told of a call answered elsewhere
    let out = explain(
        "[notify]\neven_if_answered_elsewhere = true\n[exceptions]\ncalled_back = false",
        &[data("ringgroups-Master.csv")],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    // answered by the other PBX: now 301's owner is told
    for id in [
        "1706415046.98",
        "mainserverdss-1706422609.10",
        "mainserverdss-1706434176.65",
        "mainserverdss-1706437649.85",
    ] {
        let (by, sup, rec) = verdict(&out.chains, id);
        assert_eq!((by, sup, rec), (Value::Null, Value::Null, notify()), "{id}");
        assert_eq!(
            chain(&out.chains, id)["answered_line"].as_str(),
            Some("stadionpbx"),
            "{id}"
        );
    }
    // answered at 301 itself: the answering user never gets mail, nobody is left
    assert_eq!(
        verdict(&out.chains, "1706407446.50").1.as_str(),
        Some("no_recipient")
    );
    let notified = out
        .chains
        .iter()
        .filter(|c| c["suppressed_by"].is_null())
        .count();
    assert_eq!(notified, 9);
}

#[test]
fn real_call_answered_elsewhere_then_returned() {
    // with called_back on (the default), a call the other PBX answered whose caller was
    // answered again later tells nobody, even with even_if_answered_elsewhere
    let out = explain(
        "[notify]\neven_if_answered_elsewhere = true",
        &[data("ringgroups-Master.csv")],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        verdict(&out.chains, "mainserverdss-1706422609.10")
            .1
            .as_str(),
        Some("called_back")
    );
    assert_eq!(
        verdict(&out.chains, "1706415046.98"),
        (Value::Null, Value::Null, notify())
    );
}

#[test]
fn real_repeated_caller() {
    let out = explain(
        "[exceptions]\nrepeated_same_day = true",
        &[data("ringgroups-Master.csv")],
    );
    assert_eq!(
        verdict(&out.chains, "mainserverdss-1706430495.50").2,
        notify()
    );
    assert_eq!(
        verdict(&out.chains, "mainserverdss-1706430532.55").2,
        vec![("stadion".to_string(), "repeated_same_day".to_string())]
    );
}

#[test]
fn asterisk_test_suite_files() {
    // every row of the good file is read (they are all dialplan-only rows: skipped, counted)
    let out = explain("", &[data("testsuite-good.csv")]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.chains.is_empty());
    // the cut-off row is reported with file and line; the good file is still read; exit 1
    let out = explain(
        "",
        &[data("testsuite-buggy.csv"), data("testsuite-good.csv")],
    );
    assert_eq!(out.code, 1);
    let first = out.stderr.lines().next().unwrap();
    assert!(first.contains("testsuite-buggy.csv:1: "), "{}", out.stderr);
    assert!(out.stderr.contains("1 rows rejected"), "{}", out.stderr);
    assert!(out.stderr.contains("5 rows skipped"), "{}", out.stderr);
}
