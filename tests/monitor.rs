//! Monitoring through the real binary: the summary JSON and the Prometheus metrics (parsed
//! back), priorities for the journal, repeated problems counted, the entries counted once.

mod common;

use common::*;

const NOW: &str = "2026-11-26T12:00:00Z";
/// NOW as Unix seconds.
const NOW_SECONDS: f64 = 1_795_694_400.0;

fn json(path: &std::path::Path) -> serde_json::Value {
    let t = std::fs::read_to_string(path).unwrap();
    serde_json::from_str(&t).unwrap_or_else(|e| panic!("{e}: {t}"))
}

/// The value of a metric without labels.
fn metric(path: &std::path::Path, name: &str) -> f64 {
    let t = std::fs::read_to_string(path).unwrap();
    assert!(
        t.contains(&format!("# TYPE {name} ")),
        "{name} has no TYPE in\n{t}"
    );
    t.lines()
        .find_map(|l| l.strip_prefix(&format!("{name} ")))
        .unwrap_or_else(|| panic!("{name} missing in\n{t}"))
        .parse()
        .unwrap()
}

fn three_calls() -> String {
    format!(
        "{HEADER}{}{}{}",
        row("a", "09:00:00", "201", "030 5550100"),
        row("b", "09:10:00", "202", "030 5550101"),
        row("c", "09:20:00", "203", "030 5550102")
    )
}

#[test]
fn the_summary_and_the_metrics_say_what_each_run_did() {
    let p = Project::new("mode = \"per-call\"\n[mail]\nfrom = \"PBX <pbx@example.com>\"\n");
    let j = p.write("journal.csv", &three_calls());
    let (s, m, out) = (
        p.path("last-run.json"),
        p.path("unanswered.prom"),
        p.path("out"),
    );
    let args = |now: &'static str, journal: &std::path::Path| {
        vec![
            "run".to_string(),
            "--out".into(),
            out.display().to_string(),
            "--summary-json".into(),
            s.display().to_string(),
            "--metrics".into(),
            m.display().to_string(),
            "--now".into(),
            now.into(),
            journal.display().to_string(),
        ]
    };
    let a = args(NOW, &j);
    let r = p.run(&a.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
    let v = json(&s);
    assert_eq!(v["time"], NOW);
    assert_eq!(v["exit_code"], 0);
    assert_eq!(v["entries"], 3);
    assert_eq!(v["chains"], 3);
    assert_eq!(v["rows_rejected"], 0);
    assert_eq!(v["mails_written"], 3, "{v}");
    assert_eq!(v["mails_sent"], 0, "{v}");
    assert_eq!(v["mails_queued"], 0);
    assert_eq!(v["too_old"], 0);
    assert_eq!(v["oldest_queued_seconds"], serde_json::Value::Null);
    assert!(v["duration_seconds"].as_f64().is_some(), "{v}");
    assert_eq!(
        metric(&m, "unanswered_last_success_timestamp_seconds"),
        NOW_SECONDS
    );
    assert_eq!(metric(&m, "unanswered_mails_written_total"), 3.0);
    assert_eq!(metric(&m, "unanswered_runs_total"), 1.0);
    // a later run with a bad row: exit 1; the last success stays, the counters add up
    let bad = p.write(
        "bad.csv",
        &format!("{}x1,Tx1,yesterday,,,0,201,030 5550109,1\n", three_calls()),
    );
    let a = args("2026-11-26T12:05:00Z", &bad);
    let r = p.run(&a.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(r.status.code(), Some(1), "{}", text(&r.stderr));
    let v = json(&s);
    assert_eq!(
        (v["exit_code"].as_i64(), v["rows_rejected"].as_i64()),
        (Some(1), Some(1))
    );
    assert_eq!(v["mails_written"], 0, "nothing new: {v}");
    assert_eq!(
        metric(&m, "unanswered_last_success_timestamp_seconds"),
        NOW_SECONDS
    );
    assert_eq!(
        metric(&m, "unanswered_last_run_timestamp_seconds"),
        NOW_SECONDS + 300.0
    );
    assert_eq!(metric(&m, "unanswered_last_run_exit_code"), 1.0);
    assert_eq!(metric(&m, "unanswered_runs_total"), 2.0);
    assert_eq!(metric(&m, "unanswered_rows_rejected_total"), 1.0);
    assert_eq!(metric(&m, "unanswered_entries_total"), 6.0);
    // written whole: no temporary file left beside them
    let names: Vec<String> = std::fs::read_dir(p.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(names.is_empty(), "{names:?}");
}

#[test]
fn the_report_section_names_the_files_and_queued_mails_are_aged() {
    let smtp = Smtp::start(Faults {
        tempfail_first: 6,
        ..Faults::default()
    });
    let p = Project::new(&format!(
        "mode = \"per-call\"\n[mail]\nfrom = \"PBX <pbx@example.com>\"\n{}\n[report]\nsummary_json = \"run.json\"\nmetrics = \"run.prom\"\n",
        smtp.config()
    ));
    let j = p.write("journal.csv", &three_calls());
    let j = j.to_str().unwrap();
    let r = p.run(&["run", "--now", NOW, j]);
    assert_eq!(r.status.code(), Some(1), "{}", text(&r.stderr));
    let v = json(&p.path("run.json"));
    assert_eq!(v["mails_queued"], 3, "{v}");
    assert_eq!(v["queued_now"], 3, "{v}");
    assert_eq!(v["oldest_queued_seconds"], 0, "{v}");
    // ten minutes later, still refused: the oldest has waited 600 s
    let r = p.run(&["run", "--now", "2026-11-26T12:10:00Z", j]);
    assert_eq!(r.status.code(), Some(1), "{}", text(&r.stderr));
    let v = json(&p.path("run.json"));
    assert_eq!(v["oldest_queued_seconds"], 600, "{v}");
    assert_eq!(
        metric(
            &p.path("run.prom"),
            "unanswered_oldest_queued_mail_age_seconds"
        ),
        600.0
    );
    assert_eq!(
        metric(&p.path("run.prom"), "unanswered_mails_queued_total"),
        6.0
    );
    assert_eq!(metric(&p.path("run.prom"), "unanswered_queued_mails"), 3.0);
}

#[test]
fn the_same_delivery_error_for_many_mails_is_counted_once() {
    use std::os::unix::fs::PermissionsExt;
    let p = Project::new("");
    // a sendmail that refuses every mail the same way (fast, unlike 23 SMTP round trips)
    let sendmail = p.write(
        "sendmail",
        "#!/bin/sh\ncat >/dev/null\necho 'queue full' >&2\nexit 75\n",
    );
    std::fs::set_permissions(&sendmail, std::fs::Permissions::from_mode(0o755)).unwrap();
    p.config(&format!(
        "mode = \"per-call\"\n[mail]\nfrom = \"PBX <pbx@example.com>\"\ntransport = \"sendmail\"\nsendmail_command = \"{}\"\n",
        sendmail.display()
    ));
    let j = p.write("journal.csv", &many_calls(23, "m"));
    let r = p.run(&["run", "--now", NOW, j.to_str().unwrap()]);
    assert_eq!(r.status.code(), Some(1));
    let err = text(&r.stderr);
    assert_eq!(err.matches("stays queued").count(), 11, "{err}");
    assert!(err.contains("23 mails: stays queued: sendmail"), "{err}");
    assert!(err.contains("13 more not shown"), "{err}");
    assert!(err.contains("0 mails sent, 23 queued for retry"), "{err}");
}

#[test]
fn the_same_row_error_is_counted_once_with_its_first_and_last_line() {
    let p = Project::new("");
    let mut journal = three_calls();
    for i in 0..54 {
        journal.push_str(&format!("x{i},Tx{i},yesterday,,,0,201,030 5550109,1\n"));
    }
    let j = p.write("journal.csv", &journal);
    let r = p.run(&["explain", "--now", NOW, j.to_str().unwrap()]);
    assert_eq!(r.status.code(), Some(1));
    let err = text(&r.stderr);
    let name = j.display().to_string();
    let lines: Vec<&str> = err.lines().collect();
    // ten with their place, one count line, the summary
    assert_eq!(lines.len(), 12, "{err}");
    assert!(lines[0].starts_with(&format!("{name}:5: ")), "{err}");
    assert!(lines[10].starts_with("54 rows: "), "{err}");
    assert!(
        lines[10].ends_with(&format!(
            "(first at {name}:5, last at {name}:58; 44 more not shown)"
        )),
        "{err}"
    );
    assert!(lines[11].contains("54 rows rejected"), "{err}");
}

#[test]
fn a_second_run_over_an_overlapping_export_counts_the_files_entries() {
    let p = Project::new("[mail]\nfrom = \"PBX <pbx@example.com>\"\n");
    // c is still ringing at NOW (no TrackerLastCall, stopped 40 s ago): kept in the state
    let ringing = row("c", "11:59:00", "203", "030 5550102").replace(",1\n", ",\n");
    let journal = format!(
        "{HEADER}{}{}{ringing}",
        row("a", "09:00:00", "201", "030 5550100"),
        row("b", "09:10:00", "202", "030 5550101"),
    );
    let j = p.write("journal.csv", &journal);
    let out = p.path("out").display().to_string();
    let j = j.to_str().unwrap();
    for _ in 0..2 {
        let r = p.run(&["run", "-v", "--out", &out, "--now", NOW, j]);
        assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
        let err = text(&r.stderr);
        assert!(err.contains("unanswered: 3 entries;"), "{err}");
        // --out writes, it does not send
        assert!(err.contains("mails written to"), "{err}");
        assert!(!err.contains("mails sent"), "{err}");
    }
}

#[test]
fn lines_for_the_journal_carry_their_priority() {
    use std::os::unix::fs::MetadataExt;
    let p = Project::new("[mail]\nfrom = \"PBX <pbx@example.com>\"\n");
    let good = p.write("good.csv", &three_calls());
    let bad = p.write(
        "bad.csv",
        &format!("{}x1,Tx1,yesterday,,,0,201,030 5550109,1\n", three_calls()),
    );
    let run = |journal: &std::path::Path, name: &str| {
        let log = p.path(name);
        let file = std::fs::File::create(&log).unwrap();
        let meta = file.metadata().unwrap();
        let status = p
            .command(&["explain", "-v", "--now", NOW, journal.to_str().unwrap()])
            .env("JOURNAL_STREAM", format!("{}:{}", meta.dev(), meta.ino()))
            .stdout(std::process::Stdio::null())
            .stderr(file)
            .status()
            .unwrap();
        (status.code(), std::fs::read_to_string(&log).unwrap())
    };
    let (code, err) = run(&good, "good.log");
    assert_eq!(code, Some(0), "{err}");
    assert!(err.starts_with("<6>unanswered: 3 entries"), "{err}");
    let (code, err) = run(&bad, "bad.log");
    assert_eq!(code, Some(1), "{err}");
    let lines: Vec<&str> = err.lines().collect();
    assert!(
        lines[0].starts_with("<4>") && lines[0].contains("bad.csv:5"),
        "{err}"
    );
    assert!(lines[1].starts_with("<4>unanswered: 3 entries"), "{err}");
    // a fatal problem is an error
    p.config("[notify]\nrecipients = \"some\"\n");
    let (code, err) = run(&good, "fatal.log");
    assert_eq!(code, Some(2), "{err}");
    assert!(err.starts_with("<3>unanswered: "), "{err}");
    // the variable alone (standard error elsewhere) adds nothing
    let r = p
        .command(&["explain", "-v", "--now", NOW, good.to_str().unwrap()])
        .env("JOURNAL_STREAM", "1:1")
        .output()
        .unwrap();
    assert!(!text(&r.stderr).contains("<6>"), "{}", text(&r.stderr));
}

#[test]
fn calls_too_old_to_mail_are_counted_in_the_summary() {
    let p = Project::new("[notify]\nmax_age_hours = 1\n");
    let j = p.write("journal.csv", &three_calls());
    let s = p.path("s.json").display().to_string();
    let out = p.path("out").display().to_string();
    let r = p.run(&[
        "run",
        "--out",
        &out,
        "--summary-json",
        &s,
        "--now",
        NOW,
        j.to_str().unwrap(),
    ]);
    assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
    let v = json(&p.path("s.json"));
    assert_eq!(v["too_old"], 3, "{v}");
    assert_eq!(v["mails_written"], 0, "{v}");
}
