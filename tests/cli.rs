//! Runs the real binary on the fixture folders under `tests/fixtures/` and compares what it
//! prints with what the folder expects.
//!
//! A fixture folder holds:
//! - `args`: the command line, one argument per line (run from the repository root; `$FIXTURE`
//!   stands for the folder);
//! - `stdin` (optional): fed to standard input;
//! - `expected.stdout`, `expected.stderr` (optional; when missing, stderr must be empty), and
//!   `expected.code` (optional, default 0).
//!
//! `UPDATE_EXPECT=1 cargo test --test cli` rewrites the expected files from what the binary does
//! now; review the diff before committing it.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn run_fixture(dir: &Path) -> Result<(), String> {
    let rel = dir.strip_prefix(root()).unwrap().display().to_string();
    let args_text =
        std::fs::read_to_string(dir.join("args")).map_err(|e| format!("{rel}/args: {e}"))?;
    let args: Vec<String> = args_text
        .lines()
        .filter(|l| !l.is_empty())
        .map(|l| l.replace("$FIXTURE", &rel))
        .collect();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_unanswered"));
    cmd.args(&args)
        .current_dir(root())
        .env_remove("UNANSWERED_SMTP_PASSWORD")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .stdin(Stdio::piped());
    let mut child = cmd.spawn().map_err(|e| e.to_string())?;
    let input = std::fs::read(dir.join("stdin")).unwrap_or_default();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(&input).map_err(|e| e.to_string())?;
    }
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    let code = out.status.code().unwrap_or(-1).to_string();
    let update = std::env::var_os("UPDATE_EXPECT").is_some();
    let mut problems = Vec::new();
    for (name, got, default) in [
        ("expected.stdout", &stdout, Some("")),
        ("expected.stderr", &stderr, Some("")),
        ("expected.code", &format!("{code}\n"), Some("0\n")),
    ] {
        let path = dir.join(name);
        if update {
            if Some(got.as_str()) == default {
                let _ = std::fs::remove_file(&path);
            } else {
                std::fs::write(&path, got).unwrap();
            }
            continue;
        }
        let want = std::fs::read_to_string(&path)
            .ok()
            .or(default.map(str::to_string))
            .unwrap();
        if &want != got {
            problems.push(format!(
                "{rel}/{name} differs\n--- expected\n{want}\n--- got\n{got}"
            ));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n"))
    }
}

#[test]
fn fixtures() {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root().join("tests/fixtures"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("args").exists())
        .collect();
    dirs.sort();
    assert!(!dirs.is_empty(), "no fixtures found");
    let failures: Vec<String> = dirs.iter().filter_map(|d| run_fixture(d).err()).collect();
    println!("{} fixtures, {} failed", dirs.len(), failures.len());
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
