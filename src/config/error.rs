//! Configuration errors: each one names the file, the line (when the problem has a place) and
//! the key, and says what was expected.

use std::fmt;
use std::path::PathBuf;

use crate::exit_codes::ExitCode;

/// One problem with the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ConfigError {
    pub(crate) file: PathBuf,
    /// 1-based; None when the problem has no place in the file (unreadable, key missing).
    pub(crate) line: Option<usize>,
    /// The full key, `section.key` (`time_zone` at the top level).
    pub(crate) key: Option<String>,
    /// What is wrong and what was expected.
    pub(crate) message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(key) = &self.key {
            write!(f, ": key `{key}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for ConfigError {}

/// All problems found in one configuration file, in the order of the sections.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ConfigErrors(pub Vec<ConfigError>);

impl ConfigErrors {
    /// A bad configuration: nothing was done.
    pub(crate) fn exit_code(&self) -> ExitCode {
        ExitCode::Fatal
    }
}

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

impl From<ConfigError> for ConfigErrors {
    fn from(e: ConfigError) -> Self {
        ConfigErrors(vec![e])
    }
}
