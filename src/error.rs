//! The errors that end a command, one enum over the layers' own: each layer's error says its
//! exit code, and [`Error::exit_code`] asks the layer.

use crate::config::ConfigErrors;
use crate::deliver::SetupError;
use crate::directory::DirError;
use crate::exit_codes::ExitCode;
use crate::state::StateError;

#[derive(Debug, thiserror::Error)]
pub(crate) enum Error {
    #[error(transparent)]
    Config(#[from] ConfigErrors),
    #[error(transparent)]
    State(#[from] StateError),
    /// Directory files that cannot be read (without the users nobody can be mailed
    /// correctly); all of them, one a line.
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Directory(Vec<DirError>),
    /// The transport cannot be set up; every problem, each with the configuration file.
    #[error("{}", errors.iter().map(|e| format!("{file}: {e}")).collect::<Vec<_>>().join("\n"))]
    Transport {
        file: String,
        errors: Vec<SetupError>,
    },
    /// The command line asks for something that cannot be (`--now`, `--encoding`, no journal).
    #[error("{0}")]
    Usage(String),
}

impl Error {
    pub(crate) fn exit_code(&self) -> ExitCode {
        match self {
            Error::Config(e) => e.exit_code(),
            Error::State(e) => e.exit_code(),
            Error::Directory(_) => ExitCode::Fatal,
            Error::Transport { errors, .. } => errors
                .iter()
                .map(SetupError::exit_code)
                .fold(ExitCode::Success, ExitCode::and),
            Error::Usage(_) => ExitCode::Fatal,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::text::TextEncoding;

    #[test]
    fn unreadable_directory_files_are_fatal_and_each_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let missing = |name: &str| {
            crate::directory::load_users(&dir.path().join(name), TextEncoding::Auto).unwrap_err()
        };
        let e = Error::Directory(vec![missing("users.csv"), missing("logons.csv")]);
        assert_eq!(e.exit_code(), ExitCode::Fatal);
        let text = e.to_string();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2, "{text}");
        assert!(
            lines[0].contains("users.csv") && lines[1].contains("logons.csv"),
            "{text}"
        );
    }
}
