//! `check`: the configuration, the directory, the templates and the transport, without
//! reading a journal or connecting (SPEC §6).

use super::session::load_config;
use super::session::load_directory;
use super::{fail, Env};
use crate::cli::CheckArgs;
use crate::exit_codes::ExitCode;

pub(crate) fn check_cmd(args: CheckArgs, mut env: Env<'_>) -> ExitCode {
    let config = match load_config(&args.common.config, None) {
        Ok(c) => c,
        Err(e) => return fail(&mut env, e),
    };
    // a language that is not offered is a bad value in the configuration: exit 2, like the rest
    if let Ok(languages) = crate::render::language::load_all(config.languages.as_deref()) {
        let offered: Vec<&str> = languages.keys().map(String::as_str).collect();
        if let Some(e) = config.language_not_offered(&offered) {
            return fail(&mut env, crate::config::ConfigErrors::from(e));
        }
    }
    let loaded = match load_directory(&config, env.stderr) {
        Ok(l) => l,
        Err(e) => return fail(&mut env, e),
    };
    let mut problems = loaded.problems;
    problems += crate::render::check(&config, &loaded.lookup, env.stderr);
    problems +=
        super::sample::check_sample_mail(&config, loaded.lookup.users(), env.clock, env.stderr);
    // the mail side: the sender, the transport as `run` sets it up, and --send-test
    problems += super::send_test::check_mail(
        &config,
        args.send_test.as_deref(),
        env.clock,
        env.stdout,
        env.stderr,
    );
    if problems > 0 {
        let _ = writeln!(env.stderr, "unanswered: {problems} problem(s) found");
        return ExitCode::Partial;
    }
    let _ = writeln!(
        env.stdout,
        "ok: {} ({} users, zone {}, language {})",
        config.path.display(),
        loaded.lookup.users().len(),
        config.time_zone_name,
        config.language
    );
    ExitCode::Success
}
