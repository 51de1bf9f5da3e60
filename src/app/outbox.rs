//! `outbox`: list the mails not yet accepted by the server, retry or drop them (SPEC §6).

use std::time::Duration;

use super::session::load_config;
use super::{fail, report, Env};
use crate::cli::OutboxArgs;
use crate::config::Config;
use crate::exit_codes::ExitCode;
use crate::state::State;

pub(crate) fn outbox_cmd(args: OutboxArgs, mut env: Env<'_>) -> ExitCode {
    let mut config = match load_config(&args.common.config, None) {
        Ok(c) => c,
        Err(e) => return fail(&mut env, e),
    };
    if let Some(s) = &args.state {
        config.state_path = s.clone();
    }
    let change = args
        .retry
        .as_deref()
        .map(|id| (true, id))
        .or(args.drop.as_deref().map(|id| (false, id)));
    match change {
        Some((retry, id)) => change_outbox(&config, retry, id, &mut env),
        None => list_outbox(&config, &mut env),
    }
}

/// `--retry ID|all` (`retry`) or `--drop ID|all`, under the state's lock.
fn change_outbox(config: &Config, retry: bool, id: &str, env: &mut Env<'_>) -> ExitCode {
    let _lock = match State::lock(
        &config.state_path,
        Duration::from_secs(config.lock_wait_seconds),
    ) {
        Ok(l) => l,
        Err(e) => return fail(env, e),
    };
    let state = match State::open(&config.state_path) {
        Ok(s) => s,
        Err(e) => return fail(env, e),
    };
    let which = (id != "all").then_some(id);
    let n = if retry {
        state.retry(which)
    } else {
        state.drop_mail(which, env.clock)
    };
    match n {
        Ok(0) => {
            let _ = writeln!(env.stderr, "unanswered: no queued or failed mail {id}");
            ExitCode::Partial
        }
        Ok(n) => {
            let what = if retry {
                "queued for the next run"
            } else {
                "dropped"
            };
            let _ = writeln!(env.stdout, "{n} mail(s) {what}");
            ExitCode::Success
        }
        Err(e) => fail(env, e),
    }
}

fn list_outbox(config: &Config, env: &mut Env<'_>) -> ExitCode {
    let state = match State::open_read_only(&config.state_path) {
        Ok(Some(s)) => s,
        Ok(None) => {
            let _ = writeln!(
                env.stdout,
                "no state yet at {}: nothing queued",
                config.state_path.display()
            );
            return ExitCode::Success;
        }
        Err(e) => return fail(env, e),
    };
    let (mails, counts) = match (state.unsent(), state.counts()) {
        (Ok(m), Ok(c)) => (m, c),
        (Err(e), _) | (_, Err(e)) => return fail(env, e),
    };
    report::outbox(
        env.stdout,
        &config.state_path,
        &mails,
        &counts,
        &config.rules.time_zone,
    );
    ExitCode::Success
}
