//! Setting up: `init` (its output passes `check` and runs), the systemd units and the cron
//! example in `contrib/` (their content, `systemd-analyze verify` where it exists, and that
//! their command lines parse), and what `scripts/install.sh` (`make install`, `make deb`)
//! lays out, with the Debian package's assets.

mod common;

use common::*;
use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn unanswered(args: &[&str]) -> std::process::Output {
    Command::new(bin())
        .args(args)
        .env_remove("CREDENTIALS_DIRECTORY")
        .output()
        .unwrap()
}

#[test]
fn init_writes_a_setup_that_check_passes_and_run_dry_runs() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("pbx");
    let out = unanswered(&["init", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    for f in [
        "unanswered.toml",
        "users.csv",
        "contacts.csv",
        "unanswered.service",
        "unanswered.timer",
    ] {
        assert!(dir.join(f).is_file(), "{f}");
        assert!(text(&out.stdout).contains(&format!("wrote {}", dir.join(f).display())));
    }
    let config = dir.join("unanswered.toml");
    let config = config.to_str().unwrap();
    let out = unanswered(&["check", "--config", config]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).starts_with("ok: "),
        "{}",
        text(&out.stdout)
    );
    // no [smtp] yet: check says so (run would stop with exit 2)
    assert!(
        text(&out.stderr).contains("warning: no mail transport configured"),
        "{}",
        text(&out.stderr)
    );
    let out = unanswered(&["check", "--config", config, "--send-test", "a@example.com"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("no test mail sent: no transport"));
    let journal = dir.join("journal.csv");
    std::fs::write(
        &journal,
        format!("{HEADER}{}", row("a", "09:00:00", "201", "030 5550100")),
    )
    .unwrap();
    let out = unanswered(&[
        "run",
        "--config",
        config,
        "--dry-run",
        "--now",
        "2026-11-26T12:00:00Z",
        journal.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    // the unit points at this folder and this binary
    let service = std::fs::read_to_string(dir.join("unanswered.service")).unwrap();
    let exec = exec_start(&service);
    assert_eq!(
        exec[0],
        std::fs::canonicalize(bin()).unwrap().to_str().unwrap()
    );
    let canon = std::fs::canonicalize(&dir).unwrap();
    assert!(
        exec.contains(&format!("{}/unanswered.toml", canon.display())),
        "{exec:?}"
    );
    verify_units(&[dir.join("unanswered.service"), dir.join("unanswered.timer")]);
}

#[test]
fn init_refuses_to_overwrite_and_names_every_existing_file() {
    let t = tempfile::tempdir().unwrap();
    std::fs::write(t.path().join("users.csv"), "mine\n").unwrap();
    std::fs::write(t.path().join("unanswered.timer"), "mine too\n").unwrap();
    let out = unanswered(&["init", t.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("nothing written"), "{err}");
    assert!(
        err.contains(&t.path().join("users.csv").display().to_string()),
        "{err}"
    );
    assert!(
        err.contains(&t.path().join("unanswered.timer").display().to_string()),
        "{err}"
    );
    assert!(!err.contains("contacts.csv"), "{err}");
    assert!(
        !t.path().join("unanswered.toml").exists(),
        "nothing written"
    );
    assert_eq!(
        std::fs::read_to_string(t.path().join("users.csv")).unwrap(),
        "mine\n"
    );
}

/// The words of `ExecStart=` (no quoting in ours, except what init adds for blanks).
fn exec_start(unit: &str) -> Vec<String> {
    let line = unit
        .lines()
        .find_map(|l| l.strip_prefix("ExecStart="))
        .expect("an ExecStart= line");
    line.split_whitespace().map(str::to_string).collect()
}

fn contrib(name: &str) -> String {
    std::fs::read_to_string(repo().join("contrib/systemd").join(name)).unwrap()
}

/// `systemd-analyze verify` where it exists: exit 0 and not a word on stderr (it reports
/// unknown keys and bad values only as warnings). The units are copied with ExecStart on the
/// binary under test, which verify requires to exist.
fn verify_units(units: &[PathBuf]) {
    let Some(analyze) = which("systemd-analyze") else {
        eprintln!("systemd-analyze not found: unit files checked by content only");
        return;
    };
    let t = tempfile::tempdir().unwrap();
    let mut copies = Vec::new();
    for u in units {
        let text = std::fs::read_to_string(u)
            .unwrap()
            .replace("/usr/bin/unanswered", bin());
        let copy = t.path().join(u.file_name().unwrap());
        std::fs::write(&copy, text).unwrap();
        copies.push(copy);
    }
    let out = Command::new(&analyze)
        .arg("verify")
        .arg("--man=no")
        .args(&copies)
        .output()
        .unwrap();
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "systemd-analyze verify {copies:?}: {}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
}

fn which(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join(name))
            .find(|p| p.is_file())
    })
}

#[test]
fn systemd_analyze_verify_is_not_blind() {
    // the check above would pass a unit with a typo if verify said nothing about it
    let t = tempfile::tempdir().unwrap();
    let bad = t.path().join("bad.service");
    std::fs::write(
        &bad,
        "[Service]\nExecStart=/bin/true\nProtectSystem=strictly\n",
    )
    .unwrap();
    if let Some(analyze) = which("systemd-analyze") {
        let out = Command::new(analyze)
            .args(["verify", "--man=no"])
            .arg(&bad)
            .output()
            .unwrap();
        let err = text(&out.stderr);
        assert!(err.contains("bad.service:3:"), "{err}");
    } else {
        // no systemd here: the content checks are what guards the units
        assert!(!contrib("unanswered.service").contains("strictly"));
    }
}

#[test]
fn the_units_are_hardened_and_their_command_lines_parse() {
    for name in ["unanswered.service", "unanswered@.service"] {
        let unit = contrib(name);
        for key in [
            "Type=oneshot",
            "DynamicUser=yes",
            "ProtectSystem=strict",
            "ProtectHome=yes",
            "PrivateTmp=yes",
            "NoNewPrivileges=yes",
            "StateDirectory=unanswered",
            "UMask=0077",
            "CapabilityBoundingSet=\n",
        ] {
            assert!(unit.contains(&format!("\n{key}")), "{name}: {key}");
        }
        let cred = unit
            .lines()
            .find_map(|l| l.strip_prefix("LoadCredential="))
            .unwrap_or_else(|| panic!("{name}: LoadCredential="));
        assert!(
            cred.starts_with("smtp-password:/etc/unanswered/"),
            "{name}: {cred}"
        );
        // the state lives in StateDirectory= (/etc is read-only under ProtectSystem=strict)
        let exec = exec_start(&unit);
        assert_eq!(exec[0], "/usr/bin/unanswered");
        assert_eq!(exec[1], "run");
        let state = exec.iter().position(|w| w == "--state").expect("--state");
        assert!(exec[state + 1].starts_with("%S/unanswered/"), "{exec:?}");
        // the arguments parse: the run gets as far as reading the configuration
        let t = tempfile::tempdir().unwrap();
        let words: Vec<String> = exec[1..]
            .iter()
            .map(|w| {
                w.replace("%S", t.path().to_str().unwrap())
                    .replace("%i", "pbx1")
            })
            .collect();
        let out = Command::new(bin()).args(&words).output().unwrap();
        assert_eq!(out.status.code(), Some(2));
        assert!(
            text(&out.stderr).contains("cannot read the configuration"),
            "{name}: {}",
            text(&out.stderr)
        );
    }
    let template = contrib("unanswered@.service");
    assert!(exec_start(&template).contains(&"/etc/unanswered/%i.toml".to_string()));
    assert!(template.contains("LoadCredential=smtp-password:/etc/unanswered/%i.smtp-password"));
    for timer in ["unanswered.timer", "unanswered@.timer"] {
        let t = contrib(timer);
        assert!(
            t.contains("\nOnCalendar=*:0/5\n") && t.contains("\nPersistent=true\n"),
            "{timer}"
        );
        assert!(t.contains("\nWantedBy=timers.target\n"), "{timer}");
    }
    let dir = repo().join("contrib/systemd");
    verify_units(&[
        dir.join("unanswered.service"),
        dir.join("unanswered.timer"),
        dir.join("unanswered@.service"),
        dir.join("unanswered@.timer"),
    ]);
    // the cron example runs the same command every 5 minutes
    let cron = std::fs::read_to_string(repo().join("contrib/cron/unanswered")).unwrap();
    let job = cron
        .lines()
        .find(|l| l.starts_with("*/5 "))
        .expect("a */5 line");
    let words: Vec<&str> = job.split_whitespace().collect();
    assert_eq!(&words[5..8], &["pbx", "unanswered", "run"], "{job}");
}

fn install(dest: &Path, prefix: &str) {
    let out = Command::new("sh")
        .arg(repo().join("scripts/install.sh"))
        .arg(bin())
        .arg(dest)
        .arg(prefix)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
}

#[test]
fn install_lays_out_binary_man_pages_completions_units_and_examples() {
    let t = tempfile::tempdir().unwrap();
    install(t.path(), "/opt/pbx");
    let root = t.path().join("opt/pbx");
    assert!(root.join("bin/unanswered").is_file());
    let man = std::fs::read_to_string(root.join("share/man/man1/unanswered.1")).unwrap();
    assert!(man.starts_with(".ie"), "roff");
    assert!(man.contains(".TH unanswered 1"), "{man}");
    let check = std::fs::read_to_string(root.join("share/man/man1/unanswered-check.1")).unwrap();
    assert!(check.contains("send\\-test"), "{check}");
    assert!(
        !root.join("share/man/man1/unanswered-generate.1").exists(),
        "hidden"
    );
    for (file, needle) in [
        (
            "share/bash-completion/completions/unanswered",
            "--send-test",
        ),
        ("share/zsh/site-functions/_unanswered", "--send-test"),
        (
            "share/fish/vendor_completions.d/unanswered.fish",
            "send-test",
        ),
    ] {
        let s = std::fs::read_to_string(root.join(file)).unwrap();
        assert!(s.contains(needle), "{file}");
    }
    let unit = std::fs::read_to_string(root.join("lib/systemd/system/unanswered.service")).unwrap();
    assert_eq!(exec_start(&unit)[0], "/opt/pbx/bin/unanswered");
    for f in [
        "unanswered.timer",
        "unanswered@.service",
        "unanswered@.timer",
    ] {
        assert!(root.join("lib/systemd/system").join(f).is_file(), "{f}");
    }
    let example = root.join("share/doc/unanswered/examples/unanswered.toml");
    assert_eq!(
        std::fs::read_to_string(&example).unwrap(),
        std::fs::read_to_string(repo().join("contrib/unanswered.toml")).unwrap()
    );
    assert!(
        root.join("share/doc/unanswered/examples/unanswered")
            .is_file(),
        "cron"
    );
}

#[test]
fn the_debian_package_takes_what_install_lays_out() {
    let t = tempfile::tempdir().unwrap();
    install(t.path(), "/usr");
    let manifest: toml::Value =
        toml::from_str(&std::fs::read_to_string(repo().join("Cargo.toml")).unwrap()).unwrap();
    let deb = &manifest["package"]["metadata"]["deb"];
    assert!(deb["depends"].as_str().unwrap().contains("libxslt1.1"));
    assert_eq!(
        manifest["profile"]["release"]["strip"].as_bool(),
        Some(true)
    );
    let assets = deb["assets"].as_array().unwrap();
    let mut targets = Vec::new();
    for a in assets {
        let (src, dst) = (a[0].as_str().unwrap(), a[1].as_str().unwrap());
        targets.push(dst.to_string());
        if src == "target/release/unanswered" {
            continue; // built by `make deb`
        }
        // `make deb` runs scripts/install.sh into target/deb-root
        let path = match src.strip_prefix("target/deb-root/") {
            Some(rest) => t.path().join(rest),
            None => repo().join(src),
        };
        let found = match path.file_name().and_then(|n| n.to_str()) {
            Some("*") => std::fs::read_dir(path.parent().unwrap()).unwrap().count() > 0,
            _ => path.is_file(),
        };
        assert!(found, "asset {src} ({})", path.display());
    }
    for want in [
        "usr/bin/",
        "usr/share/man/man1/",
        "usr/share/bash-completion/completions/",
        "lib/systemd/system/",
        "usr/share/doc/unanswered/examples/",
    ] {
        assert!(targets.iter().any(|t| t == want), "{want}: {targets:?}");
    }
}

#[test]
fn one_password_key_at_a_time_and_credential_names_are_checked() {
    let p = Project::new(
        "[smtp]\nhost = \"mail.example.com\"\nusername = \"pbx\"\npassword_env = \"X\"\npassword_credential = \"smtp-password\"\n",
    );
    let out = p.run(&["check"]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains(":6: key `smtp.password_credential`: give only one of password_env, password_file, password_credential"),
        "{err}"
    );
    p.config("[smtp]\nhost = \"mail.example.com\"\nusername = \"pbx\"\npassword_credential = \"../etc/shadow\"\n");
    let out = p.run(&["check"]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains(
            ":5: key `smtp.password_credential`: \"../etc/shadow\": expected a credential name"
        ),
        "{err}"
    );
}
