//! Tests over real exports that nobody here wrote (`make test-real`). The files are not in the
//! repository: they are read from `$UNANSWERED_REAL_DATA`, else `../shared/data` beside the
//! repository. Missing data fails loudly; it is never a skip.
//!
//! Each file of real data has its own module.

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

mod bugadm;
mod grandstream;
mod issabel;
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
pub fn explain(extra_config: &str, files: &[PathBuf]) -> Out {
    explain_with(
        "stadion,Stadion Desk,desk@example.com,301\n",
        extra_config,
        "2025-01-01T00:00:00Z",
        files,
    )
}

/// `explain --json` over `files` with these users (rows of `user,name,email,lines`), this
/// config text (before `[directory]`) and `--now`.
pub fn explain_with(users: &str, extra_config: &str, now: &str, files: &[PathBuf]) -> Out {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("unanswered.toml"),
        format!("time_zone = \"UTC\"\n{extra_config}\n[directory]\nusers = \"users.csv\"\n"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("users.csv"),
        format!("user,name,email,lines\n{users}"),
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_unanswered"))
        .arg("explain")
        .arg("--json")
        .arg("--config")
        .arg(dir.path().join("unanswered.toml"))
        .args(["--now", now])
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

/// `(answered_by, suppressed_by, [(user, status)])` of chain `id`.
pub fn verdict(chains: &[Value], id: &str) -> (Value, Value, Vec<(String, String)>) {
    let c = chains
        .iter()
        .find(|c| c["chain"] == id)
        .unwrap_or_else(|| panic!("no chain {id}"));
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

/// What the reader made of a file: per call (tracker id) whether an entry went to voicemail,
/// and the counts of entries, outgoing entries, skipped rows (by reason) and errors.
pub struct Read {
    pub voicemail: std::collections::BTreeMap<String, bool>,
    pub incoming: usize,
    pub outgoing: usize,
    pub skipped: std::collections::BTreeMap<&'static str, usize>,
    pub errors: Vec<String>,
}

/// Reads a real file through the library, as `run` does (format detected, UTF-8 decoded).
pub fn read(path: &std::path::Path) -> Read {
    use unanswered::journal::{detect, Item, Origin};
    let file = std::fs::File::open(path).unwrap();
    let (_, items) = detect::open(
        Box::new(file),
        path.display().to_string().into(),
        unanswered::decode::TextEncoding::Auto,
        None,
        jiff::tz::TimeZone::UTC,
        None,
    )
    .unwrap();
    let mut r = Read {
        voicemail: Default::default(),
        incoming: 0,
        outgoing: 0,
        skipped: Default::default(),
        errors: Vec::new(),
    };
    for item in items {
        match item {
            Item::Entry(e) if e.origin == Origin::Outgoing => r.outgoing += 1,
            Item::Entry(e) => {
                r.incoming += 1;
                let vm = r
                    .voicemail
                    .entry(e.tracker_id.clone().unwrap_or_default())
                    .or_default();
                *vm |= e.voicemail;
            }
            Item::Skipped { reason, .. } => *r.skipped.entry(reason).or_default() += 1,
            Item::Error(e) => r.errors.push(e.to_string()),
        }
    }
    r
}

/// One line per chain, in the order `explain` gives them:
/// `<start> <caller> <answered_by|-> <vm|-> <notified users, or nobody: reason>`.
pub fn table(chains: &[Value], read: &Read) -> String {
    chains
        .iter()
        .map(|c| {
            let id = c["chain"].as_str().unwrap();
            let notified: Vec<&str> = c["recipients"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|r| r["status"] == "notify")
                .map(|r| r["user"].as_str().unwrap())
                .collect();
            let outcome = match c["suppressed_by"].as_str() {
                Some(why) => format!("nobody: {why}"),
                None if notified.is_empty() => "nobody".to_string(),
                None => notified.join(","),
            };
            format!(
                "{} {} {} {} {}",
                c["start"]
                    .as_str()
                    .unwrap()
                    .trim_end_matches('Z')
                    .replace('T', " "),
                c["caller"].as_str().unwrap_or("-"),
                c["answered_by"].as_str().unwrap_or("-"),
                if read.voicemail.get(id).copied().unwrap_or(false) {
                    "vm"
                } else {
                    "-"
                },
                outcome
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Compares the table of what the tool concluded with the expectations written from the rows,
/// line by line (blank lines and `#` comments in `expected` are ignored).
pub fn assert_table(actual: &str, expected: &str) {
    let want: Vec<&str> = expected
        .lines()
        .map(|l| l.split('#').next().unwrap().trim())
        .filter(|l| !l.is_empty())
        .collect();
    let got: Vec<&str> = actual.lines().collect();
    let mut diff = Vec::new();
    for i in 0..want.len().max(got.len()) {
        let (w, g) = (want.get(i).copied(), got.get(i).copied());
        if w.map(|w| w.split_whitespace().collect::<Vec<_>>())
            != g.map(|g| g.split_whitespace().collect::<Vec<_>>())
        {
            diff.push(format!(
                "line {}: expected {:?}\n         found    {:?}",
                i + 1,
                w.unwrap_or("(none)"),
                g.unwrap_or("(none)")
            ));
        }
    }
    assert!(
        diff.is_empty(),
        "{} of {} calls differ:\n{}\n\nwhat the tool concluded:\n{actual}",
        diff.len(),
        want.len(),
        diff.join("\n")
    );
}

/// Runs `explain` over one real file (below `asterisk/`) with these users, config and `--now`,
/// reads it through the library too, and checks exit 0, no row error, and the table of
/// verdicts against `expected` call by call. Returns both for the test's own checks.
pub fn call_by_call(
    name: &str,
    users: &str,
    config: &str,
    now: &str,
    expected: &str,
) -> (Out, Read) {
    let file = data(name);
    let out = explain_with(users, config, now, std::slice::from_ref(&file));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let r = read(&file);
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    assert_table(&table(&out.chains, &r), expected);
    (out, r)
}
