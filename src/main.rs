//! `unanswered`: parses the command line, runs the command, maps the outcome to an exit code.

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = unanswered::cli::Cli::parse();
    let stdout = std::io::stdout();
    let stderr = std::io::stderr();
    let env = unanswered::app::Env {
        stdin: Box::new(std::io::stdin()),
        stdout: &mut stdout.lock(),
        stderr: &mut stderr.lock(),
        clock: jiff::Timestamp::now(),
        stdin_is_terminal: std::io::IsTerminal::is_terminal(&std::io::stdin()),
    };
    unanswered::app::execute(cli, env).into()
}
