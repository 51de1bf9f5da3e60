//! The commands (SPEC §6), one file each: [`run`], [`explain`], [`check`], [`outbox`]. A
//! [`session`] opens what they share (configuration with the command line's overrides,
//! directory, state, journals) once; [`report`] writes the summary and the outbox listing.
//! Nothing outside `app` orchestrates the stages.
//!
//! Everything the process touches (standard streams, the clock) comes in through [`Env`], so
//! every command runs in tests without a process.

use std::io::{Read, Write};

use jiff::Timestamp;

use crate::cli::{Cli, Command};
use crate::exit_codes::ExitCode;

mod check;
pub(crate) mod explain;
mod generate;
mod init;
pub mod log;
mod outbox;
mod parallel;
mod read_ahead;
mod report;
mod run;
mod sample;
mod send_test;
mod session;
mod spill;
mod summary;

/// The process around a command.
pub struct Env<'a> {
    pub stdin: Box<dyn Read + Send>,
    pub stdout: &'a mut dyn Write,
    pub stderr: &'a mut dyn Write,
    /// The clock, read once by main: what the run did is stamped with it.
    pub clock: Timestamp,
    /// Time since the process started, by a monotonic clock (never the clock above): how
    /// long a run took.
    pub elapsed: &'a dyn Fn() -> std::time::Duration,
    /// Standard error is the systemd journal: lines carry a syslog priority (`<3>`).
    pub journal: bool,
    /// Standard input is a terminal (a person, not a pipe): not read without `-`.
    pub stdin_is_terminal: bool,
}

/// Runs one command and says how it ended.
pub fn execute(cli: Cli, env: Env<'_>) -> ExitCode {
    match cli.command {
        Command::Explain(args) => explain::explain_cmd(args, env),
        Command::Check(args) => check::check_cmd(args, env),
        Command::Run(args) => run::run_cmd(args, env),
        Command::Outbox(args) => outbox::outbox_cmd(args, env),
        Command::Init(args) => match init::init(&args.dir, env.stdout) {
            Ok(()) => ExitCode::Success,
            Err(e) => fail(&mut { env }, e),
        },
        Command::Generate(args) => match generate::generate(&args.what, env.stdout) {
            Ok(()) => ExitCode::Success,
            Err(e) => fail(&mut { env }, e),
        },
    }
}

/// Reports a fatal problem and returns exit code 2.
fn fatal(env: &mut Env<'_>, msg: impl std::fmt::Display) -> ExitCode {
    log::line(
        env.stderr,
        env.journal,
        log::Priority::Error,
        &format!("unanswered: {msg}"),
    );
    ExitCode::Fatal
}

/// Reports an error that ends the command and returns the exit code its layer gives it.
fn fail(env: &mut Env<'_>, e: impl Into<crate::error::Error>) -> ExitCode {
    let e = e.into();
    log::line(
        env.stderr,
        env.journal,
        log::Priority::Error,
        &format!("unanswered: {e}"),
    );
    e.exit_code()
}

/// Partial when anything went wrong, else success.
fn outcome(bad: bool) -> ExitCode {
    if bad {
        ExitCode::Partial
    } else {
        ExitCode::Success
    }
}
