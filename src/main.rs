//! `unanswered`: parses the command line, runs the command, maps the outcome to an exit code.

use clap::Parser;
use unanswered::app::log::JournalStderr;

/// The allocator: mimalloc (a run allocates and frees many small strings per journal row;
/// glibc's malloc spent about 40 % of `explain`'s time in that). With the crate's `override`
/// feature it is `malloc` for the C libraries too (libxml2 and libxslt, about 22 % of
/// rendering went to glibc's malloc; SQLite), one allocator for every block.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    unanswered::allocator::configure();
    let started = std::time::Instant::now();
    let cli = unanswered::cli::Cli::parse();
    let stdout = std::io::stdout();
    let journal = unanswered::app::log::stderr_is_journal();
    let mut to_journal = journal.then(|| JournalStderr::new(std::io::stderr().lock()));
    let mut plain = std::io::stderr().lock();
    let stderr: &mut dyn std::io::Write = match to_journal.as_mut() {
        Some(j) => j,
        None => &mut plain,
    };
    let env = unanswered::app::Env {
        stdin: Box::new(std::io::stdin()),
        stdout: &mut stdout.lock(),
        stderr,
        clock: jiff::Timestamp::now(),
        elapsed: &|| started.elapsed(),
        journal,
        stdin_is_terminal: std::io::IsTerminal::is_terminal(&std::io::stdin()),
    };
    let code = unanswered::app::execute(cli, env);
    drop(to_journal);
    code.into()
}
