//! The errors that end a command, one enum over the layers' own: each layer's error says its
//! exit code, and [`Error::exit_code`] asks the layer.

use crate::config::ConfigErrors;
use crate::deliver::{SetupError, WriteError};
use crate::exit_codes::ExitCode;
use crate::state::StateError;

#[derive(Debug, thiserror::Error)]
pub(crate) enum Error {
    #[error(transparent)]
    Config(#[from] ConfigErrors),
    #[error(transparent)]
    State(#[from] StateError),
    /// The transport cannot be set up; every problem, each with the configuration file.
    #[error("{}", errors.iter().map(|e| format!("{file}: {e}")).collect::<Vec<_>>().join("\n"))]
    Transport {
        file: String,
        errors: Vec<SetupError>,
    },
    /// The command line asks for something that cannot be (`--now`, `--encoding`, no journal).
    #[error("{0}")]
    Usage(String),
    /// A file or folder the command writes cannot be made (`init`, `generate`).
    #[error(transparent)]
    Write(#[from] WriteError),
    /// `init`: these files exist already; nothing was written.
    #[error("nothing written: these files exist already (move them away, or init another folder): {}", .0.join(", "))]
    Exists(Vec<String>),
}

impl Error {
    pub(crate) fn exit_code(&self) -> ExitCode {
        match self {
            Error::Config(e) => e.exit_code(),
            Error::State(e) => e.exit_code(),
            Error::Transport { errors, .. } => errors
                .iter()
                .map(SetupError::exit_code)
                .fold(ExitCode::Success, ExitCode::and),
            Error::Usage(_) | Error::Write(_) | Error::Exists(_) => ExitCode::Fatal,
        }
    }
}
