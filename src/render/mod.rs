//! Rendering: verdicts → mails.

use std::io::Write;

use crate::config::Config;

/// Checks templates and languages; returns the number of problems written to `err`.
pub fn check(_config: &Config, _err: &mut dyn Write) -> u64 {
    0
}
