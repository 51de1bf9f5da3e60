//! Delivery end to end against aiosmtpd (`tests/smtp/server.py`): STARTTLS and implicit TLS
//! with a test CA and a separate server certificate, AUTH, and a connection dropped in the
//! middle of DATA. Needs python3 with aiosmtpd and openssl (`make ci` / `.ci/run` install them).

mod common;

use common::*;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Test certificates, made once per test process into target/.
fn certs() -> PathBuf {
    let dir = repo().join("target/test-certs");
    let ok = Command::new("bash")
        .arg(repo().join("tests/smtp/make-certs.sh"))
        .arg(&dir)
        .status()
        .expect("bash and openssl are needed for the TLS tests");
    assert!(ok.success(), "make-certs.sh failed");
    dir
}

/// The interpreter that has aiosmtpd: `$UNANSWERED_TEST_PYTHON` (set by `make ci` to the
/// virtual environment under `target/`, see `scripts/test-python.sh`), else `python3`.
fn python() -> std::ffi::OsString {
    std::env::var_os("UNANSWERED_TEST_PYTHON")
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| "python3".into())
}

struct Server {
    child: Child,
    port: u16,
    record: PathBuf,
    events: PathBuf,
    _dir: tempfile::TempDir,
}

impl Server {
    fn start(args: &[&str]) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let record = dir.path().join("received.jsonl");
        let events = dir.path().join("events.jsonl");
        let mut child = Command::new(python())
            .arg(repo().join("tests/smtp/server.py"))
            .args(["--port", "0", "--exit-on-stdin-eof", "--record"])
            .arg(&record)
            .arg("--events")
            .arg(&events)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("python3 is needed for the SMTP tests");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line
            .strip_prefix("LISTENING ")
            .unwrap_or_else(|| panic!("tests/smtp/server.py did not start (does the interpreter have aiosmtpd? `make ci` sets one up: scripts/test-python.sh): {line:?}"))
            .trim()
            .parse()
            .unwrap();
        Server {
            child,
            port,
            record,
            events,
            _dir: dir,
        }
    }

    /// How many times the server saw `event` ("connect", "auth").
    fn count(&self, event: &str) -> usize {
        std::fs::read_to_string(&self.events)
            .unwrap_or_default()
            .lines()
            .filter(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["event"] == event)
            .count()
    }

    fn received(&self) -> Vec<serde_json::Value> {
        std::fs::read_to_string(&self.record)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn project(smtp: &str) -> (Project, String) {
    let p = Project::new(&format!(
        "mode = \"per-call\"\n[mail]\nfrom = \"PBX <pbx@example.com>\"\n{smtp}"
    ));
    let j = p.write(
        "journal.csv",
        &format!(
            "{HEADER}{}{}{}",
            row("a", "09:00:00", "201", "030 5550100"),
            row("b", "09:10:00", "202", "030 5550101"),
            row("c", "09:20:00", "203", "030 5550102")
        ),
    );
    (p, j.display().to_string())
}

fn tls_args(dir: &Path, mode: &str) -> Vec<String> {
    vec![
        "--tls".into(),
        mode.into(),
        "--cert".into(),
        dir.join("server.pem").display().to_string(),
        "--key".into(),
        dir.join("server.key").display().to_string(),
    ]
}

const NOW: &str = "2026-11-26T12:00:00Z";

#[test]
fn starttls_with_auth_end_to_end() {
    let c = certs();
    let mut args = tls_args(&c, "starttls");
    args.extend([
        "--require-tls".into(),
        "--auth".into(),
        "pbx:s3cret pass".into(),
    ]);
    let s = Server::start(&args.iter().map(String::as_str).collect::<Vec<_>>());
    let (p, j) = project(&format!(
        "[smtp]\nhost = \"localhost\"\nport = {}\ntls = \"starttls\"\nusername = \"pbx\"\npassword_env = \"UNANSWERED_TEST_PW\"\nca_file = \"{}\"\n",
        s.port,
        c.join("ca.pem").display()
    ));
    let out = p
        .command(&["run", "--now", NOW, &j])
        .env("UNANSWERED_TEST_PW", "s3cret pass")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let got = s.received();
    assert_eq!(got.len(), 3);
    assert!(
        got.iter()
            .all(|r| r["tls"] == true && r["auth_user"] == "pbx"),
        "{got:?}"
    );
    assert!(!text(&out.stderr).contains("s3cret"));
}

#[test]
fn implicit_tls_end_to_end() {
    let c = certs();
    let args = tls_args(&c, "implicit");
    let s = Server::start(&args.iter().map(String::as_str).collect::<Vec<_>>());
    let (p, j) = project(&format!(
        "[smtp]\nhost = \"localhost\"\nport = {}\ntls = \"tls\"\nca_file = \"{}\"\n",
        s.port,
        c.join("ca.pem").display()
    ));
    let out = p.run(&["run", "--now", NOW, &j]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(s.received().len(), 3);
}

#[test]
fn an_untrusted_certificate_keeps_the_mails_queued() {
    let c = certs();
    let args = tls_args(&c, "starttls");
    let s = Server::start(&args.iter().map(String::as_str).collect::<Vec<_>>());
    // no ca_file: the test CA is not trusted
    let (p, j) = project(&format!(
        "[smtp]\nhost = \"localhost\"\nport = {}\ntls = \"starttls\"\n",
        s.port
    ));
    let out = p.run(&["run", "--now", NOW, &j]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("STARTTLS failed"), "{err}");
    assert!(err.contains("3 mail(s) stay queued"), "{err}");
    assert_eq!(s.received().len(), 0);
    assert_eq!(s.count("connect"), 1, "one connection per run");
}

#[test]
fn wrong_password_keeps_the_mails_queued_and_says_why() {
    let c = certs();
    let mut args = tls_args(&c, "starttls");
    args.extend(["--auth".into(), "pbx:right".into()]);
    let s = Server::start(&args.iter().map(String::as_str).collect::<Vec<_>>());
    let (p, j) = project(&format!(
        "[smtp]\nhost = \"localhost\"\nport = {}\nusername = \"pbx\"\npassword_file = \"pw.txt\"\nca_file = \"{}\"\n",
        s.port,
        c.join("ca.pem").display()
    ));
    p.write("pw.txt", "wrong\n");
    let out = p.run(&["run", "--now", NOW, &j]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("535"), "{err}");
    // one login per run, not one per mail: an account lock-out needs many
    assert_eq!(s.count("auth"), 1, "{err}");
    assert_eq!(s.count("connect"), 1, "{err}");
    assert!(err.contains("`smtp.username`"), "{err}");
    assert!(err.contains("3 mail(s) stay queued"), "{err}");
    assert!(!err.contains("temporar"), "{err}");
    assert!(
        !err.contains("wrong"),
        "the password is never logged: {err}"
    );
    // fixed: the next run sends them
    p.write("pw.txt", "right\n");
    let out = p.run(&["run", "--now", "2026-11-26T12:10:00Z", &j]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(s.received().len(), 3);
    assert_eq!(s.count("auth"), 2);
}

#[test]
fn auth_without_tls_is_refused_by_check_and_run() {
    let s = Server::start(&["--auth", "pbx:pw"]);
    let (p, j) = project(&format!(
        "[smtp]\nhost = \"127.0.0.1\"\nport = {}\ntls = \"none\"\nusername = \"pbx\"\npassword_env = \"UNANSWERED_TEST_PW\"\n",
        s.port
    ));
    let check = p
        .command(&["check"])
        .env("UNANSWERED_TEST_PW", "pw")
        .output()
        .unwrap();
    let err = text(&check.stderr);
    assert_eq!(check.status.code(), Some(1), "{err}");
    assert!(
        err.contains("clear text") && err.contains("`smtp.tls`"),
        "{err}"
    );
    let run = p
        .command(&["run", "--now", NOW, &j])
        .env("UNANSWERED_TEST_PW", "pw")
        .output()
        .unwrap();
    let err = text(&run.stderr);
    assert_eq!(run.status.code(), Some(2), "{err}");
    assert!(err.contains("clear text"), "{err}");
    assert_eq!(s.count("connect"), 0, "nothing crossed the network");
}

#[test]
fn starttls_not_offered_is_a_configuration_error() {
    let s = Server::start(&[]);
    let (p, j) = project(&format!(
        "[smtp]\nhost = \"127.0.0.1\"\nport = {}\ntls = \"starttls\"\n",
        s.port
    ));
    let out = p.run(&["run", "--now", NOW, &j]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("does not offer STARTTLS") && err.contains("`smtp.port`"),
        "{err}"
    );
    assert!(!err.contains("internal client error"), "{err}");
    assert!(err.contains("3 mail(s) stay queued"), "{err}");
    assert_eq!(s.count("connect"), 1);
}

#[test]
fn no_usable_auth_mechanism_is_a_configuration_error() {
    let c = certs();
    let mut args = tls_args(&c, "implicit");
    args.push("--no-auth-offer".into());
    let s = Server::start(&args.iter().map(String::as_str).collect::<Vec<_>>());
    let (p, j) = project(&format!(
        "[smtp]\nhost = \"localhost\"\nport = {}\ntls = \"tls\"\nusername = \"pbx\"\npassword_env = \"UNANSWERED_TEST_PW\"\nca_file = \"{}\"\n",
        s.port,
        c.join("ca.pem").display()
    ));
    let out = p
        .command(&["run", "--now", NOW, &j])
        .env("UNANSWERED_TEST_PW", "pw")
        .output()
        .unwrap();
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("offers no login we can use"), "{err}");
    assert!(!err.contains("internal client error"), "{err}");
    assert_eq!(s.count("connect"), 1);
    assert_eq!(s.received().len(), 0);
}

/// `calls` per-call mails to a server whose every reply (and greeting) comes after `delay_ms`;
/// the run's output, its stderr and how long it took.
fn run_against_slow_server(
    delay_ms: &str,
    smtp: &str,
    calls: usize,
) -> (Server, String, std::time::Duration) {
    let s = Server::start(&["--reply-delay-ms", delay_ms]);
    let p = Project::new(&format!(
        "mode = \"per-call\"\n[smtp]\nhost = \"127.0.0.1\"\nport = {}\ntls = \"none\"\n{smtp}",
        s.port
    ));
    let j = p
        .write("journal.csv", &many_calls(calls, "s"))
        .display()
        .to_string();
    let t = std::time::Instant::now();
    let out = p.run(&["run", "--now", NOW, &j]);
    let dt = t.elapsed();
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    println!("{calls} mails, replies after {delay_ms} ms, {smtp:?}: {dt:?}");
    (s, err, dt)
}

#[test]
fn a_silent_server_costs_one_timeout_and_says_timed_out() {
    // every reply after 4 s, timeout 1 s: before, each of the 12 mails waited on its own
    // connection (12+ s); now the first timeout ends the run's delivery
    let (s, err, dt) = run_against_slow_server("4000", "timeout_seconds = 1", 12);
    assert!(err.contains("timed out"), "{err}");
    assert!(!err.contains("os error 11"), "{err}");
    assert!(err.contains("12 mail(s) stay queued"), "{err}");
    assert_eq!(s.count("connect"), 1, "{err}");
    assert!(dt < std::time::Duration::from_secs(10), "stops: {dt:?}");
}

#[test]
fn max_run_seconds_ends_delivery_and_keeps_the_rest_queued() {
    // each reply after 0.4 s (2 s a mail): 30 mails would take a minute
    let (s, err, dt) =
        run_against_slow_server("400", "timeout_seconds = 5\nmax_run_seconds = 3", 30);
    assert!(err.contains("`smtp.max_run_seconds` = 3"), "{err}");
    let sent = s.received().len();
    assert!(sent < 30, "{sent}");
    assert!(
        err.contains(&format!("{} mail(s) stay queued", 30 - sent)),
        "{err}"
    );
    assert!(dt < std::time::Duration::from_secs(30), "stops: {dt:?}");
    assert_eq!(s.count("connect"), 1, "one connection per run: {err}");
}

#[test]
fn a_connection_dropped_in_data_loses_nothing() {
    let s = Server::start(&["--drop-in-data", "2"]);
    let (p, j) = project(&format!(
        "[smtp]\nhost = \"127.0.0.1\"\nport = {}\ntls = \"none\"\n",
        s.port
    ));
    let out = p.run(&["run", "--now", NOW, &j]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(err.matches("stays queued").count(), 1, "{err}");
    // the third mail went out on a new connection
    assert_eq!(s.received().len(), 2);
    let out = p.run(&["run", "--now", "2026-11-26T12:10:00Z", &j]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let got = s.received();
    assert_eq!(got.len(), 3);
    let mut ids: Vec<&str> = got
        .iter()
        .map(|r| r["message_id"].as_str().unwrap())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 3, "each mail once");
}

#[test]
fn send_rate_to_a_local_server_is_measured() {
    // not a timing assertion: prints the rate for the notes (cargo test -- --nocapture)
    let s = Server::start(&[]);
    let p = Project::new(&format!(
        "mode = \"per-call\"\n[smtp]\nhost = \"127.0.0.1\"\nport = {}\ntls = \"none\"\n",
        s.port
    ));
    let journal = many_calls(300, "r");
    let j = p.write("journal.csv", &journal).display().to_string();
    let t = std::time::Instant::now();
    let out = p.run(&["run", "--now", NOW, &j]);
    let dt = t.elapsed().as_secs_f64();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(s.received().len(), 300);
    println!(
        "300 mails to aiosmtpd on loopback in {dt:.2} s: {:.0} mails/s",
        300.0 / dt
    );
}

// ---- check --send-test: one mail through the configured transport, the answer or the fix

fn send_test(p: &Project, envs: &[(&str, &str)]) -> (Option<i32>, String, String) {
    let mut cmd = p.command(&["check", "--send-test", "admin@example.com"]);
    cmd.env_remove("UNANSWERED_SMTP_PASSWORD")
        .env_remove("CREDENTIALS_DIRECTORY");
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    (out.status.code(), text(&out.stdout), text(&out.stderr))
}

#[test]
fn send_test_accepted_prints_the_servers_reply() {
    let c = certs();
    let mut args = tls_args(&c, "starttls");
    args.extend(["--require-tls".into(), "--auth".into(), "pbx:s3cret".into()]);
    let s = Server::start(&args.iter().map(String::as_str).collect::<Vec<_>>());
    let (p, _) = project(&format!(
        "[smtp]\nhost = \"localhost\"\nport = {}\nusername = \"pbx\"\npassword_credential = \"smtp-password\"\nca_file = \"{}\"\n",
        s.port,
        c.join("ca.pem").display()
    ));
    // systemd's LoadCredential= hands the password over as a file in $CREDENTIALS_DIRECTORY
    let creds = tempfile::tempdir().unwrap();
    std::fs::write(creds.path().join("smtp-password"), "s3cret\n").unwrap();
    let (code, out, err) = send_test(
        &p,
        &[("CREDENTIALS_DIRECTORY", creds.path().to_str().unwrap())],
    );
    assert_eq!(code, Some(0), "{err}");
    assert!(
        out.contains(&format!(
            "test mail to admin@example.com accepted by localhost:{} (tls = \"starttls\"): 250 ",
            s.port
        )),
        "{out}"
    );
    assert!(out.contains("\nok: "), "{out}");
    let got = s.received();
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0]["tls"], true);
    assert_eq!(got[0]["auth_user"], "pbx");
    assert_eq!(got[0]["subject"], "unanswered: test mail");
    assert!(!err.contains("s3cret") && !out.contains("s3cret"));
}

#[test]
fn send_test_bad_login_names_the_password_key() {
    let c = certs();
    let mut args = tls_args(&c, "starttls");
    args.extend(["--auth".into(), "pbx:right".into()]);
    let s = Server::start(&args.iter().map(String::as_str).collect::<Vec<_>>());
    let (p, _) = project(&format!(
        "[smtp]\nhost = \"localhost\"\nport = {}\nusername = \"pbx\"\npassword_file = \"pw.txt\"\nca_file = \"{}\"\n",
        s.port,
        c.join("ca.pem").display()
    ));
    p.write("pw.txt", "wrong\n");
    let (code, out, err) = send_test(&p, &[]);
    assert_eq!(code, Some(1), "{out}{err}");
    assert!(
        err.contains("test mail to admin@example.com not sent"),
        "{err}"
    );
    assert!(err.contains("(535)"), "{err}");
    assert!(
        err.contains("  fix: the server refused the login: check `smtp.username` (\"pbx\") and the password in `smtp.password_file` ("),
        "{err}"
    );
    assert!(!err.contains("wrong"), "the password is never shown: {err}");
    assert!(!out.contains("ok:"), "{out}");
    assert_eq!(s.received().len(), 0);
}

#[test]
fn send_test_without_starttls_says_which_tls_mode() {
    // a plain server: no STARTTLS in its EHLO
    let s = Server::start(&[]);
    let (p, _) = project(&format!(
        "[smtp]\nhost = \"127.0.0.1\"\nport = {}\ntls = \"starttls\"\n",
        s.port
    ));
    let (code, _, err) = send_test(&p, &[]);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains(&format!(
            "  fix: the server does not offer STARTTLS on port {}: use the port that does",
            s.port
        )),
        "{err}"
    );
    assert_eq!(s.received().len(), 0);
}

#[test]
fn send_test_untrusted_certificate_names_ca_file() {
    let c = certs();
    let args = tls_args(&c, "starttls");
    let s = Server::start(&args.iter().map(String::as_str).collect::<Vec<_>>());
    let (p, _) = project(&format!(
        "[smtp]\nhost = \"localhost\"\nport = {}\ntls = \"starttls\"\n",
        s.port
    ));
    let (code, _, err) = send_test(&p, &[]);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("  fix: the server's certificate is not signed by a CA this system trusts: set `smtp.ca_file`"),
        "{err}"
    );
    assert_eq!(s.received().len(), 0);
}

#[test]
fn send_test_implicit_tls_against_a_plain_port_names_the_tls_mode() {
    let s = Server::start(&[]);
    let (p, _) = project(&format!(
        "[smtp]\nhost = \"127.0.0.1\"\nport = {}\ntls = \"tls\"\ntimeout_seconds = 5\n",
        s.port
    ));
    let (code, _, err) = send_test(&p, &[]);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("does not speak TLS at once: use `tls = \"starttls\"`"),
        "{err}"
    );
}

#[test]
fn password_credential_outside_systemd_is_named() {
    let (p, _) = project(
        "[smtp]\nhost = \"localhost\"\nusername = \"pbx\"\npassword_credential = \"smtp-password\"\n",
    );
    let (code, _, err) = send_test(&p, &[]);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("key `smtp.password_credential`: $CREDENTIALS_DIRECTORY is not set"),
        "{err}"
    );
    assert!(err.contains("no test mail sent"), "{err}");
}
