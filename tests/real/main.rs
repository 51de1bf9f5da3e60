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
/// The calls are from 2024 and `--now` is 2025-01-01: `max_age_hours = 0`, or every call would
/// be `too_old`.
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
    run_explain(users, extra_config, now, files, false)
}

fn run_explain(
    users: &str,
    extra_config: &str,
    now: &str,
    files: &[PathBuf],
    verbose: bool,
) -> Out {
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
        format!("user,name,email,lines\n{users}"),
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_unanswered"))
        .arg("explain")
        .arg("--json")
        .args(verbose.then_some("-v"))
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

/// What the reader made of a file, from the summary `explain -v` writes on standard error:
/// the count of each kind ("entries", "calls", "outgoing", one per skip reason, "rows rejected").
pub struct Read {
    pub counts: std::collections::BTreeMap<String, usize>,
}

impl Read {
    pub fn count(&self, what: &str) -> usize {
        self.counts.get(what).copied().unwrap_or(0)
    }
    /// Rows skipped on purpose, all reasons.
    pub fn skipped(&self) -> usize {
        self.counts
            .iter()
            .filter(|(k, _)| k.starts_with("rows skipped"))
            .map(|(_, n)| n)
            .sum()
    }
}

/// Parses "unanswered: 381 entries; 192 calls; 339 rows skipped: no destination …".
pub fn summary(stderr: &str) -> Read {
    let line = stderr
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix("unanswered: "))
        .unwrap_or_else(|| panic!("no summary on standard error: {stderr}"));
    let counts = line
        .split("; ")
        .filter_map(|part| {
            let (n, what) = part.split_once(' ')?;
            Some((what.to_string(), n.parse().ok()?))
        })
        .collect();
    Read { counts }
}

/// Who answered: the user, else `@line` (a line that belongs to no user), else `-`.
pub fn answered(c: &Value) -> String {
    match (c["answered_by"].as_str(), c["answered_line"].as_str()) {
        (Some(u), _) => u.to_string(),
        (None, Some(line)) => format!("@{line}"),
        (None, None) => "-".to_string(),
    }
}

/// One line per chain, in the order `explain` gives them:
/// `<start> <caller> <answered_by|@line|-> <vm|-> <notified users, or nobody: reason>`.
pub fn table(chains: &[Value]) -> String {
    chains
        .iter()
        .map(|c| {
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
                answered(c),
                if c["voicemail"]
                    .as_bool()
                    .expect("explain --json has voicemail")
                {
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

/// Runs `explain -v` over one real file (below `asterisk/`) with these users, config and
/// `--now`, and checks exit 0, no row rejected, and the table of verdicts against `expected`
/// call by call. Returns the chains and the reader's counts for the test's own checks.
pub fn call_by_call(
    name: &str,
    users: &str,
    config: &str,
    now: &str,
    expected: &str,
) -> (Out, Read) {
    let file = data(name);
    let out = run_explain(users, config, now, std::slice::from_ref(&file), true);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let r = summary(&out.stderr);
    assert_eq!(r.count("rows rejected"), 0, "{}", out.stderr);
    assert_table(&table(&out.chains), expected);
    (out, r)
}
