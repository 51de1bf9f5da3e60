//! Commands through the library (`run::execute` with an `Env`), for what a process test cannot
//! set up: a terminal on standard input, a pinned clock.

use clap::Parser;
use unanswered::app::{execute, Env};
use unanswered::cli::Cli;
use unanswered::exit_codes::ExitCode;

fn exec(args: &[&str], stdin: &str, terminal: bool) -> (ExitCode, String, String) {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = execute(
        Cli::parse_from(args),
        Env {
            stdin: Box::new(std::io::Cursor::new(stdin.as_bytes().to_vec())),
            stdout: &mut out,
            stderr: &mut err,
            clock: "2026-11-26T12:47:00+01:00".parse().unwrap(),
            elapsed: &|| std::time::Duration::ZERO,
            journal: false,
            stdin_is_terminal: terminal,
        },
    );
    (
        code,
        String::from_utf8(out).unwrap(),
        String::from_utf8(err).unwrap(),
    )
}

fn config() -> String {
    concat!(env!("CARGO_MANIFEST_DIR"), "/samples/unanswered.toml").to_string()
}

#[test]
fn a_terminal_on_standard_input_is_not_waited_for() {
    let c = config();
    let (code, _, err) = exec(&["unanswered", "explain", "--config", &c], "", true);
    assert_eq!(code, ExitCode::Fatal);
    assert!(err.contains("no journal"), "{err}");
}

#[test]
fn a_pipe_on_standard_input_is_read_and_the_clock_decides_completeness() {
    let c = config();
    let journal =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/samples/journal.csv"))
            .unwrap();
    let (code, out, err) = exec(
        &["unanswered", "explain", "--json", "--config", &c],
        &journal,
        false,
    );
    assert_eq!(code, ExitCode::Success, "{err}");
    assert_eq!(out.lines().count(), 29);
    // the clock (12:47) is 30 s after the last call stopped: still ringing
    assert!(
        out.lines()
            .last()
            .unwrap()
            .contains("\"suppressed_by\":\"incomplete\""),
        "{out}"
    );
}
