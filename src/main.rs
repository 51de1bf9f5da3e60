//! `unanswered`: parses the command line, runs the command, maps the outcome to an exit code.

use clap::Parser;
use unanswered::app::log::JournalStderr;

/// The allocator: mimalloc (a run allocates and frees many small strings per journal row;
/// glibc's malloc spent about 40 % of `explain`'s time in that). With the crate's `override`
/// feature it is `malloc` for the C libraries too (libxml2 and libxslt, about 22 % of
/// rendering went to glibc's malloc; SQLite), one allocator for every block.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's `mi_option_purge_delay` (its place in `mi_option_e`, mimalloc.h v3; the test
/// below checks it by its default of 1000 ms).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Keeps the memory a run has freed instead of giving it back to the system a second later.
/// The window of open calls frees and grows all the time; given back, each 2 MiB huge page is
/// faulted in and zeroed again (about 5 % of `explain`'s time went to that; keeping them cut
/// its wall time on a busy journal by 12–18 %). A run is short, and its peak is the same either way.
fn keep_freed_memory() {
    // SAFETY: sets an option of the allocator; valid at any time, from any thread
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1) }
}

fn main() -> std::process::ExitCode {
    keep_freed_memory();
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_purge_delay_is_the_option_set() {
        // SAFETY: reads and sets an option of the allocator
        let default = unsafe { libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) };
        assert_eq!(default, 1000, "mimalloc's purge delay defaults to 1000 ms");
        keep_freed_memory();
        let set = unsafe { libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) };
        assert_eq!(set, -1);
    }
}
