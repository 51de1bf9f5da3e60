//! Tests over real exports that nobody here wrote (`make test-real`). The files are not in the
//! repository: they are read from `$UNANSWERED_REAL_DATA`, else `../shared/data` beside the
//! repository. Missing data fails loudly; it is never a skip.
//!
//! Each file of real data has its own module.

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

mod ringgroups;

/// The folder of real data: `$UNANSWERED_REAL_DATA`, else `../shared/data`.
pub fn data_root() -> PathBuf {
    match std::env::var_os("UNANSWERED_REAL_DATA") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data"),
    }
}

/// A file below `asterisk/` of the real data; panics (fails the test) when it is missing.
pub fn data(name: &str) -> PathBuf {
    let p = data_root().join("asterisk").join(name);
    assert!(
        p.exists(),
        "real data missing: {} (set UNANSWERED_REAL_DATA to the folder of real exports, \
         or put the shared folder beside the repository)",
        p.display()
    );
    p
}

pub struct Out {
    pub chains: Vec<Value>,
    pub stderr: String,
    pub code: i32,
}

/// `explain --json` over `files` with a users file that maps extension 301, `--now` pinned.
/// The calls are from 2024 and `--now` is 2025-01-01: `max_age_hours = 0`, or every call would
/// be `too_old`.
pub fn explain(extra_config: &str, files: &[PathBuf]) -> Out {
    let dir = tempfile::tempdir().unwrap();
    let no_age_limit = "[notify]\nmax_age_hours = 0\n";
    let extra = if extra_config.contains("[notify]") {
        extra_config.replacen("[notify]\n", no_age_limit, 1)
    } else {
        format!("{extra_config}\n{no_age_limit}")
    };
    std::fs::write(
        dir.path().join("unanswered.toml"),
        format!("time_zone = \"UTC\"\n{extra}\n[directory]\nusers = \"users.csv\"\n"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("users.csv"),
        "user,name,email,lines\nstadion,Stadion Desk,desk@example.com,301\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_unanswered"))
        .arg("explain")
        .arg("--json")
        .arg("--config")
        .arg(dir.path().join("unanswered.toml"))
        .args(["--now", "2025-01-01T00:00:00Z"])
        .args(files)
        .output()
        .unwrap();
    Out {
        chains: String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect(),
        stderr: String::from_utf8(out.stderr).unwrap(),
        code: out.status.code().unwrap(),
    }
}

/// The JSON object of chain `id`.
pub fn chain<'a>(chains: &'a [Value], id: &str) -> &'a Value {
    chains
        .iter()
        .find(|c| c["chain"] == id)
        .unwrap_or_else(|| panic!("no chain {id}"))
}

/// `(answered_by, suppressed_by, [(user, status)])` of chain `id`.
pub fn verdict(chains: &[Value], id: &str) -> (Value, Value, Vec<(String, String)>) {
    let c = chain(chains, id);
    let recipients = c["recipients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["user"].as_str().unwrap().to_string(),
                r["status"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    (
        c["answered_by"].clone(),
        c["suppressed_by"].clone(),
        recipients,
    )
}

pub fn notify() -> Vec<(String, String)> {
    vec![("stadion".into(), "notify".into())]
}
