//! Delivery: SMTP, `.eml` files, or standard output.

use crate::cli::RunArgs;
use crate::exit_codes::ExitCode;
use crate::run::Env;

pub fn run_cmd(_args: RunArgs, env: Env<'_>) -> ExitCode {
    let _ = writeln!(
        env.stderr,
        "unanswered: `run` is not built yet; use `explain`"
    );
    ExitCode::Fatal
}
