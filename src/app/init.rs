//! `unanswered init [DIR]`: a setup to start from that `check` passes and `run --dry-run`
//! runs — the commented configuration, empty users and contacts files, and the systemd
//! service and timer pointing at DIR. The texts are the ones in `contrib/` (built in), so the
//! packaged example and what `init` writes are one file.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::deliver::WriteError;
use crate::error::Error;

const CONFIG: &str = include_str!("../../contrib/unanswered.toml");
const SERVICE: &str = include_str!("../../contrib/systemd/unanswered.service");
const TIMER: &str = include_str!("../../contrib/systemd/unanswered.timer");
const USERS: &str = "user,name,email,lines,language,notify,time_zone\n";
const CONTACTS: &str = "name,company,email,phones\n";

/// The files `init` writes, by name.
pub(crate) fn files(dir: &Path, exe: &Path) -> Vec<(&'static str, String)> {
    let dir = dir.display().to_string();
    let service = SERVICE
        .replace(
            "/usr/bin/unanswered",
            &unit_word(&exe.display().to_string()),
        )
        .replace(
            "/etc/unanswered/unanswered.toml",
            &unit_word(&format!("{dir}/unanswered.toml")),
        )
        .replace(
            "/etc/unanswered/smtp-password",
            &format!("{dir}/smtp-password"),
        );
    vec![
        ("unanswered.toml", CONFIG.to_string()),
        ("users.csv", USERS.to_string()),
        ("contacts.csv", CONTACTS.to_string()),
        ("unanswered.service", service),
        ("unanswered.timer", TIMER.to_string()),
    ]
}

/// A path as one word of a unit's command line (quoted when it has blanks; `%` escaped).
fn unit_word(s: &str) -> String {
    let s = s.replace('%', "%%");
    if s.contains([' ', '\t', '"', '\\', '\'']) {
        format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
    } else {
        s
    }
}

/// Writes the files into `dir` (made when missing). Refuses, writing nothing, when any of
/// them exists; the error names every one.
pub(crate) fn init(dir: &Path, out: &mut dyn Write) -> Result<(), Error> {
    std::fs::create_dir_all(dir).map_err(|source| WriteError::CreateDir {
        dir: dir.to_path_buf(),
        source,
    })?;
    let abs = std::fs::canonicalize(dir).map_err(|source| WriteError::Resolve {
        dir: dir.to_path_buf(),
        source,
    })?;
    let exe = std::env::current_exe()
        .ok()
        .filter(|p| p.is_absolute())
        .unwrap_or_else(|| PathBuf::from("/usr/bin/unanswered"));
    let files = files(&abs, &exe);
    let existing: Vec<String> = files
        .iter()
        .map(|(name, _)| dir.join(name))
        .filter(|p| p.symlink_metadata().is_ok())
        .map(|p| p.display().to_string())
        .collect();
    if !existing.is_empty() {
        return Err(Error::Exists(existing));
    }
    for (name, text) in &files {
        let path = dir.join(name);
        // create_new: never over a file or a link that appeared in the meantime
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .and_then(|mut f| f.write_all(text.as_bytes()))
            .map_err(|source| WriteError::Write {
                path: path.clone(),
                source,
            })?;
        let _ = writeln!(out, "wrote {}", path.display());
    }
    let config = dir.join("unanswered.toml");
    let _ = writeln!(
        out,
        "\nnext:\n  1. edit {c} (time_zone, [numbers], [mail] from, [smtp]) and fill in {u}\n  2. unanswered check --config {c} --send-test you@example.com\n  3. unanswered explain --config {c} EXPORT.csv   (who would be told, and why)\n  4. copy unanswered.service and unanswered.timer to /etc/systemd/system/ (set the export path\n     in ExecStart), then: systemctl enable --now unanswered.timer",
        c = config.display(),
        u = dir.join("users.csv").display(),
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_point_at_the_folder_and_the_binary() {
        let f = files(Path::new("/srv/pbx one"), Path::new("/opt/bin/unanswered"));
        let service = &f
            .iter()
            .find(|(n, _)| *n == "unanswered.service")
            .unwrap()
            .1;
        assert!(service.contains(
            "ExecStart=/opt/bin/unanswered run --config \"/srv/pbx one/unanswered.toml\" --state %S/unanswered/unanswered.db"
        ), "{service}");
        assert!(service.contains("LoadCredential=smtp-password:/srv/pbx one/smtp-password"));
        assert!(!service.contains("/etc/unanswered"), "{service}");
        assert_eq!(unit_word("/a/100%"), "/a/100%%");
    }
}
