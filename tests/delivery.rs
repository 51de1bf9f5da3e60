//! Delivery against a real SMTP server (in this process), with faults: each notification
//! exactly once, nothing lost.

mod common;

use common::*;

const NOW: &str = "2026-11-26T12:00:00Z";

/// Three missed calls: anna, bert, carl each get one mail (per-call mode).
fn three_calls(p: &Project) -> std::path::PathBuf {
    p.write(
        "journal.csv",
        &format!(
            "{HEADER}{}{}{}",
            row("a", "09:00:00", "201", "030 5550100"),
            row("b", "09:10:00", "202", "030 5550101"),
            row("c", "09:20:00", "203", "030 5550102")
        ),
    )
}

fn setup(faults: Faults) -> (Project, Smtp, String) {
    let smtp = Smtp::start(faults);
    let p = Project::new(&format!(
        "mode = \"per-call\"\n[mail]\nfrom = \"PBX <pbx@example.com>\"\n{}",
        smtp.config()
    ));
    let j = three_calls(&p).display().to_string();
    (p, smtp, j)
}

#[test]
fn sends_each_notification_once_across_runs() {
    let (p, smtp, j) = setup(Faults::default());
    let out = p.run(&["run", "--now", NOW, &j]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stderr), "", "quiet on success");
    let got = smtp.received();
    assert_eq!(got.len(), 3);
    let mut to: Vec<String> = got.iter().flat_map(|r| r.to.clone()).collect();
    to.sort();
    assert_eq!(
        to,
        vec!["anna@example.com", "bert@example.com", "carl@example.com"]
    );
    assert!(got.iter().all(|r| r.from == "pbx@example.com"));
    // the same export again, and an overlapping one: nothing new
    let out = p.run(&["run", "--now", NOW, &j]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let overlap = p.write(
        "overlap.csv",
        &format!(
            "{HEADER}{}{}",
            row("c", "09:20:00", "203", "030 5550102"),
            row("d", "09:30:00", "201", "030 5550103")
        ),
    );
    let out = p.run(&["run", "--now", NOW, overlap.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let ids = smtp.message_ids();
    assert_eq!(ids.len(), 4, "only the new call d is mailed");
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 4);
    // explain reads the state
    let out = p.run(&["explain", "--json", "--now", NOW, &j]);
    assert!(
        text(&out.stdout).matches("\"already_sent\"").count() == 3,
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn a_4xx_leaves_the_mail_queued_and_the_next_run_sends_it() {
    let (p, smtp, j) = setup(Faults {
        tempfail_first: 2,
        ..Faults::default()
    });
    let out = p.run(&["run", "--now", NOW, &j]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert_eq!(err.matches("stays queued").count(), 2, "{err}");
    assert!(err.contains("451"), "{err}");
    assert!(
        err.contains("1 mails sent, 2 queued for retry, 0 failed"),
        "{err}"
    );
    assert_eq!(smtp.received().len(), 1);
    let list = text(&p.run(&["outbox"]).stdout);
    assert_eq!(list.matches("\nqueued <").count(), 2, "{list}");
    // not yet due: the backoff holds them
    let out = p.run(&["run", "--now", "2026-11-26T12:00:30Z", &j]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(smtp.received().len(), 1);
    // later: sent, each once
    let out = p.run(&["run", "--now", "2026-11-26T12:05:00Z", &j]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(smtp.received().len(), 3);
    let mut ids = smtp.message_ids();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 3);
}

#[test]
fn a_5xx_fails_that_mail_only_and_the_admin_can_retry_or_drop_it() {
    let (p, smtp, j) = setup(Faults {
        reject_rcpt: Some("bert".into()),
        ..Faults::default()
    });
    let out = p.run(&["run", "--now", NOW, &j]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("mail to bert <bert@example.com> failed"),
        "{err}"
    );
    assert!(err.contains("550"), "{err}");
    assert_eq!(smtp.received().len(), 2);
    let list = text(&p.run(&["outbox"]).stdout);
    assert!(list.contains("failed <"), "{list}");
    assert!(list.contains("mailbox unavailable"), "{list}");
    // a failed mail is not retried by itself
    let out = p.run(&["run", "--now", "2026-11-26T13:00:00Z", &j]);
    assert_eq!(out.status.code(), Some(0));
    // the admin retries it: tried again (and refused again)
    let out = p.run(&["outbox", "--retry", "all"]);
    assert_eq!(text(&out.stdout), "1 mail(s) queued for the next run\n");
    let out = p.run(&["run", "--now", "2026-11-26T13:00:00Z", &j]);
    assert_eq!(out.status.code(), Some(1));
    // or drops it: gone from the outbox, and the call is not mailed again
    let id = list
        .lines()
        .find_map(|l| l.strip_prefix("failed "))
        .unwrap()
        .to_string();
    let out = p.run(&["outbox", "--drop", &id]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let list = text(&p.run(&["outbox"]).stdout);
    assert!(!list.contains("failed <"), "{list}");
    let out = p.run(&["run", "--now", "2026-11-26T14:00:00Z", &j]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(smtp.received().len(), 2);
}

#[test]
fn a_server_that_is_not_listening_loses_nothing() {
    // a port with nobody on it
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let p = Project::new(&format!("mode = \"per-call\"\n[smtp]\nhost = \"127.0.0.1\"\nport = {port}\ntls = \"none\"\ntimeout_seconds = 2\n"));
    let j = three_calls(&p).display().to_string();
    let out = p.run(&["run", "--now", NOW, &j]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    // one attempt to connect, not one per mail
    assert_eq!(err.matches("cannot connect").count(), 1, "{err}");
    assert!(err.contains("3 mail(s) stay queued"), "{err}");
    // the server comes up; the next run (the same export again) sends all three, once
    let smtp = Smtp::start(Faults::default());
    p.config(&format!("mode = \"per-call\"\n{}", smtp.config()));
    let out = p.run(&["run", "--now", "2026-11-26T12:10:00Z", &j]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(smtp.received().len(), 3);
    // a run over an empty export still sends what is queued, and says the export is empty
    let empty = p.write("empty.csv", "");
    let out = p.run(&[
        "run",
        "--now",
        "2026-11-26T12:20:00Z",
        empty.to_str().unwrap(),
    ]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("empty.csv:1: the journal is empty"), "{err}");
}

#[test]
fn a_chain_split_across_the_settle_boundary_is_mailed_once() {
    let smtp = Smtp::start(Faults::default());
    let p = Project::new(&format!("mode = \"per-call\"\n{}", smtp.config()));
    // first export: anna's entry of a group call, still within settle_seconds (no last flag)
    let first = p.write(
        "first.csv",
        &format!("{HEADER}g1,G,2026-11-26 11:59:00,2026-11-26 11:59:30,,0,201,030 5550100,0\n"),
    );
    let out = p.run(&["run", "--now", NOW, first.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(smtp.received().len(), 0, "incomplete: kept, not mailed");
    // second export: bert's entry of the same chain, the last one
    let second = p.write(
        "second.csv",
        &format!("{HEADER}g2,G,2026-11-26 11:59:30,2026-11-26 12:00:00,,0,202,030 5550100,1\n"),
    );
    // explain (and a dry run) see the kept entry too, and change nothing
    let out = p.run(&[
        "explain",
        "--json",
        "--now",
        "2026-11-26T12:01:00Z",
        second.to_str().unwrap(),
    ]);
    let json = text(&out.stdout);
    assert!(
        json.contains("\"participants\":[\"anna\",\"bert\"]"),
        "{json}"
    );
    let out = p.run(&[
        "run",
        "--now",
        "2026-11-26T12:01:00Z",
        second.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let mut to: Vec<String> = smtp.received().iter().flat_map(|r| r.to.clone()).collect();
    to.sort();
    assert_eq!(
        to,
        vec!["anna@example.com", "bert@example.com"],
        "one chain, both told"
    );
    // and never again
    let out = p.run(&[
        "run",
        "--now",
        "2026-11-26T13:00:00Z",
        first.to_str().unwrap(),
        second.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(smtp.received().len(), 2);
}

#[test]
fn a_second_run_waits_for_the_lock_then_says_so() {
    let (p, smtp, j) = setup(Faults::default());
    p.config(&format!(
        "mode = \"per-call\"\n[state]\nlock_wait_seconds = 1\n{}",
        smtp.config()
    ));
    // another run holds the lock: an flock on the state itself (a new, empty database)
    rusqlite::Connection::open(p.path("unanswered.db"))
        .unwrap()
        .execute_batch("PRAGMA journal_mode = WAL")
        .unwrap();
    let empty_state = std::fs::read(p.path("unanswered.db")).unwrap();
    let lock = std::fs::File::open(p.path("unanswered.db")).unwrap();
    lock.lock().unwrap();
    let out = p.run(&["run", "--now", NOW, &j]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("another unanswered run holds the state"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(smtp.received().len(), 0);
    // --dry-run and explain do not need it
    assert_eq!(
        p.run(&["run", "--dry-run", "--now", NOW, &j]).status.code(),
        Some(0)
    );
    // and a dry run changes no state
    assert_eq!(std::fs::read(p.path("unanswered.db")).unwrap(), empty_state);
    drop(lock);
    assert_eq!(p.run(&["run", "--now", NOW, &j]).status.code(), Some(0));
    assert_eq!(smtp.received().len(), 3);
    // a dry run now prints nothing new and leaves the state as it was
    let before = std::fs::read(p.path("unanswered.db")).unwrap();
    let out = p.run(&["run", "--dry-run", "--now", NOW, &j]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(text(&out.stdout), "", "already sent: nothing to print");
    assert_eq!(std::fs::read(p.path("unanswered.db")).unwrap(), before);
}

#[test]
fn two_runs_started_together_do_not_both_send() {
    let (p, smtp, j) = setup(Faults {
        delay_ms: 100,
        ..Faults::default()
    });
    let a = p.command(&["run", "--now", NOW, &j]).spawn().unwrap();
    let b = p.command(&["run", "--now", NOW, &j]).spawn().unwrap();
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    assert_eq!(a.status.code(), Some(0), "{}", text(&a.stderr));
    assert_eq!(b.status.code(), Some(0), "{}", text(&b.stderr));
    let mut ids = smtp.message_ids();
    assert_eq!(ids.len(), 3);
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 3);
}

#[test]
fn killed_in_the_middle_of_a_thousand_mails_then_run_again() {
    let smtp = Smtp::start(Faults {
        delay_ms: 3,
        ..Faults::default()
    });
    let p = Project::new(&format!("mode = \"per-call\"\n{}", smtp.config()));
    let journal = many_calls(1000, "k");
    let j = p.write("journal.csv", &journal).display().to_string();
    let mut child = p.command(&["run", "--now", NOW, &j]).spawn().unwrap();
    let start = std::time::Instant::now();
    while smtp.received().len() < 200 {
        assert!(start.elapsed().as_secs() < 60, "the run did not get going");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let before = smtp.received().len();
    assert!(before < 1000, "killed too late to test anything ({before})");
    let out = p.run(&["run", "--now", NOW, &j]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let ids = smtp.message_ids();
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 1000, "every mail arrived");
    // the documented window: at most the one mail accepted just before the kill
    assert!(
        ids.len() - unique.len() <= 1,
        "{} duplicates",
        ids.len() - unique.len()
    );
}

#[test]
fn sendmail_as_the_transport() {
    let p = Project::new("");
    let spool = p.path("spool");
    std::fs::create_dir_all(&spool).unwrap();
    let script = p.write(
        "fake-sendmail",
        &format!(
            "#!/bin/sh\n# records its arguments and the message, like a local MTA would take them\nn=$(ls {spool} | wc -l)\necho \"$@\" > {spool}/args-$n\ncat > {spool}/mail-$n\n",
            spool = spool.display()
        ),
    );
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    p.config(&format!(
        "mode = \"per-call\"\n[mail]\nfrom = \"PBX <pbx@example.com>\"\ntransport = \"sendmail\"\nsendmail_command = \"{}\"\n",
        script.display()
    ));
    let j = three_calls(&p).display().to_string();
    let out = p.run(&["run", "--now", NOW, &j]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let mut args: Vec<String> = std::fs::read_dir(&spool)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("args-")
        })
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();
    args.sort();
    assert_eq!(args.len(), 3);
    assert!(
        args[0].contains("pbx@example.com") && args[0].contains("anna@example.com"),
        "{args:?}"
    );
    // recorded like any delivery: not again
    let out = p.run(&["run", "--now", NOW, &j]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(std::fs::read_dir(&spool).unwrap().count(), 6);
}

#[test]
fn repeated_rules_across_runs() {
    let smtp = Smtp::start(Faults::default());
    let p = Project::new(&format!(
        "mode = \"per-call\"\n[exceptions]\nrepeated_until_logon = true\n{}",
        smtp.config()
    ));
    let call = |id: &str, start: &str| {
        p.write(
            &format!("{id}.csv"),
            &format!("{HEADER}{}", row(id, start, "201", "030 5550100")),
        )
        .display()
        .to_string()
    };
    let explain =
        |file: &str, now: &str| text(&p.run(&["explain", "--json", "--now", now, file]).stdout);
    // run 1: anna is told
    assert_eq!(
        p.run(&[
            "run",
            "--now",
            "2026-11-26T09:10:00Z",
            &call("x1", "09:00:00")
        ])
        .status
        .code(),
        Some(0)
    );
    assert_eq!(smtp.received().len(), 1);
    // run 2: the same caller again, anna has not logged on since: not told
    let x2 = call("x2", "10:00:00");
    assert!(explain(&x2, "2026-11-26T10:10:00Z").contains("repeated_until_logon"));
    assert_eq!(
        p.run(&["run", "--now", "2026-11-26T10:10:00Z", &x2])
            .status
            .code(),
        Some(0)
    );
    assert_eq!(smtp.received().len(), 1);
    // run 3: an export with only an outgoing call of anna's at 10:30 (she was logged on)
    let o1 = p.write(
        "o1.csv",
        "u8sConnectionID,stStartTime,stStopTime,iOrigin,u8sLineNumber,u8sPhoneNumber,iLineUserOffline,TrackerLastCall\n\
         o1,2026-11-26 10:30:00,2026-11-26 10:31:00,1,201,0301111111,0,1\n",
    );
    assert_eq!(
        p.run(&["run", "--now", "2026-11-26T10:40:00Z", o1.to_str().unwrap()])
            .status
            .code(),
        Some(0)
    );
    // run 4: the caller tries again at 11:00; the state remembers the logon: told
    assert_eq!(
        p.run(&[
            "run",
            "--now",
            "2026-11-26T11:10:00Z",
            &call("x3", "11:00:00")
        ])
        .status
        .code(),
        Some(0)
    );
    assert_eq!(smtp.received().len(), 2);
    // and again at 12:00, no logon since 11:00: not told
    let x4 = call("x4", "12:00:00");
    assert!(explain(&x4, "2026-11-26T12:10:00Z").contains("repeated_until_logon"));
}

/// `--out` into `out/` with the state at `state` (relative to the project).
fn run_out(p: &Project, state: &str, out: &str, j: &str) -> std::process::Output {
    let state = p.path(state).display().to_string();
    let out = p.path(out).display().to_string();
    p.run(&["run", "--now", NOW, "--state", &state, "--out", &out, j])
}

#[test]
fn the_lock_is_on_the_state_whatever_path_names_it() {
    let p = Project::new("mode = \"per-call\"\n[state]\nlock_wait_seconds = 0\n");
    let j = three_calls(&p).display().to_string();
    let out = run_out(&p, "real.db", "first", &j);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    std::os::unix::fs::symlink(p.path("real.db"), p.path("alias.db")).unwrap();
    // a run holds the state through its alias; a run through the real name must not start
    // (an flock, as a run takes it, on the file the alias names)
    let held = std::fs::File::open(p.path("alias.db")).unwrap();
    held.try_lock().unwrap();
    let other = p.write(
        "other.csv",
        &format!("{HEADER}{}", row("z", "09:30:00", "201", "030 5550199")),
    );
    let out = run_out(&p, "real.db", "second", other.to_str().unwrap());
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("another unanswered run holds the state"),
        "{err}"
    );
    assert!(!p.path("second").exists(), "nothing sent");
    drop(held);
    let out = run_out(&p, "alias.db", "second", other.to_str().unwrap());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

#[test]
fn call_data_files_are_private_and_planted_links_are_not_followed() {
    use std::os::unix::fs::PermissionsExt;
    let p = Project::new("mode = \"per-call\"");
    let j = three_calls(&p).display().to_string();
    let out = run_out(&p, "s1.db", "first", &j);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let mode =
        |path: &std::path::Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    for suffix in ["", "-wal", "-shm"] {
        let f = p.path(&format!("s1.db{suffix}"));
        if f.exists() {
            assert_eq!(mode(&f), 0o600, "{}", f.display());
        }
    }
    let names: Vec<String> = std::fs::read_dir(p.path("first"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 3, "{names:?}");
    for n in &names {
        assert_eq!(mode(&p.path("first").join(n)), 0o600, "{n}");
    }
    // a fresh state writes the same names: plant links at each name and its old temp name
    let victim = p.write("victim.txt", "precious\n");
    std::fs::create_dir(p.path("second")).unwrap();
    for n in &names {
        std::os::unix::fs::symlink(&victim, p.path("second").join(n)).unwrap();
        std::os::unix::fs::symlink(&victim, p.path("second").join(format!(".{n}.tmp"))).unwrap();
    }
    let out = run_out(&p, "s2.db", "second", &j);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
    for n in &names {
        let f = p.path("second").join(n);
        assert!(std::fs::symlink_metadata(&f).unwrap().is_file(), "{n}");
        assert_eq!(mode(&f), 0o600, "{n}");
    }
}

#[test]
fn an_empty_or_backwards_state_is_refused_with_what_to_do() {
    let p = Project::new("mode = \"per-call\"");
    let j = three_calls(&p).display().to_string();
    std::fs::write(p.path("zero.db"), "").unwrap();
    let out = run_out(&p, "zero.db", "out", &j);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("0 bytes") && err.contains("delete it to start afresh"),
        "{err}"
    );
    assert!(!p.path("out").exists(), "nothing re-mailed");
    // a state whose schema version was set back
    let out = run_out(&p, "s.db", "out", &j);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    rusqlite::Connection::open(p.path("s.db"))
        .unwrap()
        .execute_batch("PRAGMA user_version = 0")
        .unwrap();
    let out = run_out(&p, "s.db", "out2", &j);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("schema version went backwards"), "{err}");
    assert!(!err.contains("already exists"), "{err}");
    let state = p.path("s.db").display().to_string();
    let out = p.run(&["explain", "--now", NOW, "--state", &state, &j]);
    assert!(
        text(&out.stderr).contains("went backwards"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn check_renders_a_sample_mail_and_a_template_that_always_fails_fails_it() {
    let p = Project::new("templates = \"tpl\"");
    std::fs::create_dir(p.path("tpl")).unwrap();
    let sheet = |body: &str| {
        format!("<xsl:stylesheet version=\"1.0\" xmlns:xsl=\"http://www.w3.org/1999/XSL/Transform\"><xsl:template match=\"/\">{body}</xsl:template></xsl:stylesheet>")
    };
    p.write("tpl/mail.txt.xsl", &sheet("text"));
    p.write("tpl/subject.xsl", &sheet("subject"));
    p.write("tpl/mail.html.xsl", &sheet("<html><body>ok</body></html>"));
    let out = p.run(&["check"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    // compiles, but fails on every mail
    p.write(
        "tpl/mail.html.xsl",
        &sheet("<xsl:message terminate=\"yes\">no mail today</xsl:message>"),
    );
    let out = p.run(&["check"]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("fail on a sample mail") && err.contains("no mail today"),
        "{err}"
    );
    // one that never ends is stopped by the render limits, in check as in a run
    p.write(
        "tpl/mail.html.xsl",
        "<xsl:stylesheet version=\"1.0\" xmlns:xsl=\"http://www.w3.org/1999/XSL/Transform\">\
         <xsl:template match=\"/\"><xsl:call-template name=\"t\"><xsl:with-param name=\"n\" select=\"60\"/></xsl:call-template></xsl:template>\
         <xsl:template name=\"t\"><xsl:param name=\"n\"/><xsl:if test=\"$n &gt; 0\">x<xsl:call-template name=\"t\"><xsl:with-param name=\"n\" select=\"$n - 1\"/></xsl:call-template><xsl:call-template name=\"t\"><xsl:with-param name=\"n\" select=\"$n - 1\"/></xsl:call-template></xsl:if></xsl:template>\
         </xsl:stylesheet>",
    );
    let t = std::time::Instant::now();
    let out = p.run(&["check"]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("stopped: the transformation"), "{err}");
    assert!(t.elapsed() < std::time::Duration::from_secs(60), "stops");
}

#[test]
fn send_test_through_sendmail_and_a_failing_sendmail() {
    let p = Project::new("");
    let got = p.path("got.eml");
    let script = p.write(
        "fake-sendmail",
        &format!("#!/bin/sh\ncat > {}\n", got.display()),
    );
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    p.config(&format!(
        "[mail]\nfrom = \"PBX <pbx@example.com>\"\ntransport = \"sendmail\"\nsendmail_command = \"{}\"\n",
        script.display()
    ));
    let out = p.run(&["check", "--send-test", "admin@example.com"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).starts_with("test mail to admin@example.com accepted by sendmail ("),
        "{}",
        text(&out.stdout)
    );
    let mail = std::fs::read_to_string(&got).unwrap();
    assert!(mail.contains("Subject: unanswered: test mail"), "{mail}");
    assert!(mail.contains("To: admin@example.com"), "{mail}");
    // a sendmail that fails: not sent, and where to look
    std::fs::write(&script, "#!/bin/sh\necho 'no such user' >&2\nexit 67\n").unwrap();
    let out = p.run(&["check", "--send-test", "admin@example.com"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("test mail to admin@example.com not sent through sendmail"),
        "{err}"
    );
    assert!(
        err.contains("  fix: check `mail.sendmail_command`"),
        "{err}"
    );
    // a bad address is named
    let out = p.run(&["check", "--send-test", "not an address"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("--send-test: \"not an address\" is not a mail address"),
        "{}",
        text(&out.stderr)
    );
}
