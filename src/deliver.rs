//! Delivery: the mails of a run go to standard output (`--dry-run`, an mbox stream), into a
//! folder as `.eml` files (`--out`), or to the mail server.

use std::io::Write;
use std::path::Path;

use crate::cli::RunArgs;
use crate::exit_codes::ExitCode;
use crate::pipeline::{self, Merge};
use crate::render::{mail, MailSettings, Outgoing, Renderer};
use crate::run::{fatal, prepare, summary, Env, Prepared};

/// Writes mails as an mbox stream (mboxrd quoting), which mail clients open.
pub fn write_mbox(
    out: &mut dyn Write,
    mails: &[Outgoing],
    now: jiff::Timestamp,
) -> std::io::Result<()> {
    let stamp = now
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .strftime("%a %b %e %H:%M:%S %Y")
        .to_string();
    for m in mails {
        writeln!(out, "From unanswered@localhost {stamp}")?;
        let text = String::from_utf8_lossy(&m.bytes).replace("\r\n", "\n");
        for line in text.split_terminator('\n') {
            if line.trim_start_matches('>').starts_with("From ") {
                out.write_all(b">")?;
            }
            writeln!(out, "{line}")?;
        }
        writeln!(out)?;
    }
    Ok(())
}

/// The stable file name of a mail: the user and the Message-ID's hash.
pub fn eml_name(m: &Outgoing) -> String {
    let user: String = m
        .user
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .take(40)
        .collect();
    let hash = m
        .message_id
        .trim_start_matches('<')
        .split('.')
        .next()
        .unwrap_or("mail");
    format!("{user}-{}.eml", &hash[..hash.len().min(16)])
}

/// Writes one `.eml` per mail into `dir` (created if missing), each written whole or not at all.
pub fn write_eml(dir: &Path, mails: &[Outgoing]) -> Result<usize, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: cannot create: {e}", dir.display()))?;
    for m in mails {
        let path = dir.join(eml_name(m));
        let tmp = dir.join(format!(".{}.tmp", eml_name(m)));
        std::fs::write(&tmp, &m.bytes)
            .and_then(|_| std::fs::rename(&tmp, &path))
            .map_err(|e| format!("{}: cannot write: {e}", path.display()))?;
    }
    Ok(mails.len())
}

pub fn run_cmd(args: RunArgs, mut env: Env<'_>) -> ExitCode {
    let Prepared {
        config,
        now,
        lookup,
        mut history,
        problems,
        sources,
    } = match prepare(&args.common.config, &args.input, &mut env) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let renderer = match Renderer::load(&config) {
        Ok(r) => r,
        Err(errors) => return fatal(&mut env, errors.join("\n")),
    };
    let from = match mail::parse_from(&config.from) {
        Ok(f) => f,
        Err(e) => {
            return fatal(
                &mut env,
                format!("{}: key `mail.from`: {e}", config.path.display()),
            )
        }
    };
    if !args.dry_run && args.out.is_none() && config.smtp.is_none() {
        return fatal(
            &mut env,
            format!(
                "{}: no [smtp] section: configure the mail server, or use --dry-run or --out DIR",
                config.path.display()
            ),
        );
    }
    let mut verdicts = Vec::new();
    let stats = {
        let stderr = &mut *env.stderr;
        pipeline::decide(
            Merge::new(sources),
            &config.rules,
            &lookup,
            &mut history,
            now,
            |e| {
                let _ = writeln!(stderr, "{e}");
            },
            |v| verdicts.push(v),
        )
    };
    let settings = MailSettings::of(&config, &from);
    let mut mails = Vec::new();
    let mut failed = 0u64;
    for p in mail::plan(&verdicts, config.mode) {
        match renderer.compose(&p, &verdicts, &lookup, &settings, now) {
            Ok(m) => mails.push(m),
            Err(e) => {
                failed += 1;
                let _ = writeln!(env.stderr, "mail to {} <{}>: {e}", p.user, p.email);
            }
        }
    }
    let delivered = if args.dry_run {
        write_mbox(env.stdout, &mails, now)
            .map(|_| mails.len())
            .map_err(|e| format!("standard output: {e}"))
    } else if let Some(dir) = &args.out {
        write_eml(dir, &mails)
    } else {
        Err("sending by SMTP is not built yet: use --dry-run or --out DIR".to_string())
    };
    let extra = match &delivered {
        Ok(n) if args.dry_run => format!("{n} mails printed"),
        Ok(n) => format!("{n} mails written"),
        Err(_) => String::new(),
    };
    if let Err(e) = &delivered {
        failed += mails.len() as u64;
        let _ = writeln!(env.stderr, "unanswered: {e}");
    }
    let bad = stats.rejected + stats.late + problems + failed;
    if args.verbose || bad > 0 {
        summary(env.stderr, &stats, &extra);
    }
    if bad > 0 {
        ExitCode::Partial
    } else {
        ExitCode::Success
    }
}
