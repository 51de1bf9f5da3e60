//! `unanswered generate` (hidden): the man pages and shell completions, made from the same
//! clap definitions as `--help`, so they never drift from the program. `make install` and the
//! Debian package call it on the binary they install.

use std::io::Write;

use clap::CommandFactory;

use crate::cli::{Cli, Generate};
use crate::deliver::WriteError;

/// Writes what was asked for; errors name the file.
pub(crate) fn generate(what: &Generate, out: &mut dyn Write) -> Result<(), WriteError> {
    let cmd = Cli::command();
    match what {
        Generate::Man { dir } => {
            std::fs::create_dir_all(dir).map_err(|source| WriteError::CreateDir {
                dir: dir.clone(),
                source,
            })?;
            clap_mangen::generate_to(cmd, dir).map_err(|source| WriteError::ManPages {
                dir: dir.clone(),
                source,
            })
        }
        Generate::Completions { shell } => {
            let mut cmd = cmd;
            let mut buf = Vec::new();
            clap_complete::generate(*shell, &mut cmd, "unanswered", &mut buf);
            out.write_all(&buf).map_err(WriteError::Stdout)
        }
    }
}
