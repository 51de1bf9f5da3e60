//! Carrying out a command: configuration → directory → journals → verdicts → output.
//! Everything the process touches (standard streams, the clock) comes in through [`Env`], so
//! the whole command runs in tests without a process.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use jiff::Timestamp;

use crate::cli::{CheckArgs, Cli, Command, ExplainArgs, FormatArg, InputArgs};
use crate::config::Config;
use crate::decode::TextEncoding;
use crate::directory;
use crate::exit_codes::ExitCode;
use crate::explain;
use crate::journal::{self, asterisk::ColumnMap, Format, Item};
use crate::lookup::{ContactInfo, Lookup, UserInfo};
use crate::pipeline::{self, Merge, Stats};
use crate::policy::History;

/// The process around a command.
pub struct Env<'a> {
    pub stdin: Box<dyn Read>,
    pub stdout: &'a mut dyn Write,
    pub stderr: &'a mut dyn Write,
    /// The clock, read once by main.
    pub clock: Timestamp,
}

/// Runs one command and says how it ended.
pub fn execute(cli: Cli, env: Env<'_>) -> ExitCode {
    match cli.command {
        Command::Explain(args) => explain_cmd(args, env),
        Command::Check(args) => check_cmd(args, env),
        Command::Run(args) => crate::deliver::run_cmd(args, env),
    }
}

/// Reports a fatal problem and returns exit code 2.
pub fn fatal(env: &mut Env<'_>, msg: impl std::fmt::Display) -> ExitCode {
    let _ = writeln!(env.stderr, "unanswered: {msg}");
    ExitCode::Fatal
}

/// The configuration with the command line's overrides.
pub fn load_config(path: &Path, input: Option<&InputArgs>) -> Result<Config, String> {
    let mut config = Config::load(path).map_err(|e| e.to_string())?;
    if let Some(input) = input {
        if let Some(enc) = &input.encoding {
            config.encoding = enc
                .parse::<TextEncoding>()
                .map_err(|e| format!("--encoding: {e}"))?;
        }
        if let Some(state) = &input.state {
            config.state_path = state.clone();
        }
    }
    Ok(config)
}

/// The directory, loaded; problems with rows are reported and counted, an unreadable file is
/// fatal (without the users nobody can be mailed correctly).
pub struct Loaded {
    pub lookup: Lookup,
    pub history: History,
    pub problems: u64,
}

pub fn load_directory(config: &Config, err: &mut dyn Write) -> Result<Loaded, String> {
    // directory files are kept by hand: UTF-8 (BOM or not), UTF-16 with BOM, else Windows-1252,
    // whatever the journals' encoding is
    let enc = TextEncoding::Auto;
    let mut problems = 0u64;
    let mut report = |e: &dyn std::fmt::Display, problems: &mut u64| {
        *problems += 1;
        let _ = writeln!(err, "{e}");
    };
    let mut users = Vec::new();
    if let Some(path) = &config.users {
        let (list, errs) = directory::load_users(path, enc).map_err(|e| e.to_string())?;
        for e in &errs {
            report(e, &mut problems);
        }
        for u in list {
            let time_zone = u
                .time_zone
                .as_deref()
                .and_then(|z| crate::time::zone(z).ok());
            users.push(UserInfo {
                user: u.user,
                name: u.name,
                email: u.email,
                lines: u.lines,
                language: u.language,
                notify: u.notify,
                time_zone,
            });
        }
    }
    let mut contacts = Vec::new();
    for path in &config.contacts {
        let (list, errs) = directory::load_contacts(path, enc).map_err(|e| e.to_string())?;
        for e in &errs {
            report(e, &mut problems);
        }
        for c in list {
            contacts.push(ContactInfo {
                name: c.name,
                company: c.company,
                email: c.email,
                phones: c
                    .phones
                    .into_iter()
                    .map(|p| {
                        let kind = match p.kind {
                            directory::PhoneKind::Work => "WORK",
                            directory::PhoneKind::Home => "HOME",
                            directory::PhoneKind::Cell => "CELL",
                            directory::PhoneKind::Fax => "FAX",
                            directory::PhoneKind::Other => "VOICE",
                        };
                        (p.number, kind.to_string())
                    })
                    .collect(),
            });
        }
    }
    let lookup = Lookup::new(config.rules.numbers.clone(), users, contacts);
    let mut history = History::default();
    if let Some(path) = &config.logons {
        let (list, errs) = directory::load_logons(path, enc, &config.rules.time_zone)
            .map_err(|e| e.to_string())?;
        for e in &errs {
            report(e, &mut problems);
        }
        for l in list {
            let user = lookup
                .user(&l.user)
                .map_or(l.user.clone(), |u| u.user.clone());
            history.record_online(&user, l.time);
        }
    }
    Ok(Loaded {
        lookup,
        history,
        problems,
    })
}

/// `--now`, or the clock.
pub fn resolve_now(
    input: &InputArgs,
    config: &Config,
    clock: Timestamp,
) -> Result<Timestamp, String> {
    match &input.now {
        None => Ok(clock),
        Some(s) => crate::time::parse_timestamp(s, &config.rules.time_zone, None)
            .map_err(|e| format!("--now: {e}")),
    }
}

/// The items of one journal.
pub type Sources = Box<dyn Iterator<Item = Item>>;

/// Opens every journal named (or standard input). A journal that cannot be opened is
/// reported and counted; the others are read.
pub fn open_journals(
    input: &InputArgs,
    config: &Config,
    stdin: &mut Option<Box<dyn Read>>,
    err: &mut dyn Write,
) -> Result<(Vec<Sources>, u64), String> {
    let forced = input.format.map(|f| match f {
        FormatArg::Native => None,
        FormatArg::AsteriskCdr => Some(Format::AsteriskCdr),
    });
    let columns = match &config.asterisk_columns {
        Some(names) => Some(
            ColumnMap::from_names(names)
                .map_err(|e| format!("{}: key `asterisk.columns`: {e}", config.path.display()))?,
        ),
        None => None,
    };
    let mut paths: Vec<PathBuf> = input.journals.clone();
    if paths.is_empty() {
        paths.push(PathBuf::from("-"));
    }
    let mut sources = Vec::new();
    let mut failed = 0;
    for path in paths {
        let name: Arc<str> = Arc::from(path.display().to_string());
        let raw: Box<dyn Read> = if path.as_os_str() == "-" {
            match stdin.take() {
                Some(s) => s,
                None => {
                    let _ = writeln!(err, "-: standard input can be read only once");
                    failed += 1;
                    continue;
                }
            }
        } else {
            match std::fs::File::open(&path) {
                Ok(f) => Box::new(f),
                Err(e) => {
                    let _ = writeln!(err, "{name}: cannot open: {e}");
                    failed += 1;
                    continue;
                }
            }
        };
        // --format native: CSV or JSON Lines is still told apart by the first line
        let forced_format = match forced {
            Some(Some(f)) => Some(f),
            _ => None,
        };
        let native_only = matches!(forced, Some(None));
        match journal::detect::open(
            raw,
            name.clone(),
            config.encoding,
            forced_format,
            config.rules.time_zone.clone(),
            columns.clone(),
        ) {
            Ok((format, _)) if native_only && format == Format::AsteriskCdr => {
                let _ = writeln!(err, "{name}: --format native, but the file looks like an Asterisk CDR (no u8sConnectionID header)");
                failed += 1;
            }
            Ok((_, items)) => sources.push(items),
            Err(e) => {
                let _ = writeln!(err, "{name}: {e}");
                failed += 1;
            }
        }
    }
    Ok((sources, failed))
}

/// Writes the run summary line(s) to stderr.
pub fn summary(err: &mut dyn Write, stats: &Stats, extra: &str) {
    let mut parts = vec![
        format!("{} entries", stats.entries),
        format!("{} calls", stats.chains),
    ];
    if stats.rejected > 0 {
        parts.push(format!("{} rows rejected", stats.rejected));
    }
    if stats.late > 0 {
        parts.push(format!(
            "{} entries after their call was decided",
            stats.late
        ));
    }
    if stats.duplicates > 0 {
        parts.push(format!("{} duplicate entries ignored", stats.duplicates));
    }
    if stats.outgoing > 0 {
        parts.push(format!("{} outgoing", stats.outgoing));
    }
    if stats.other_types > 0 {
        parts.push(format!("{} not phone calls", stats.other_types));
    }
    for (reason, n) in &stats.skipped {
        parts.push(format!("{n} rows skipped: {reason}"));
    }
    if !extra.is_empty() {
        parts.push(extra.to_string());
    }
    let _ = writeln!(err, "unanswered: {}", parts.join("; "));
}

/// Everything a command that reads journals needs, loaded.
pub struct Prepared {
    pub config: Config,
    pub now: Timestamp,
    pub lookup: Lookup,
    pub history: History,
    /// Problems so far (directory rows, journals that could not be opened).
    pub problems: u64,
    pub sources: Vec<Sources>,
}

/// Loads configuration, directory, state history and opens the journals. `Err` is the exit
/// code of a fatal problem, already reported.
pub fn prepare(
    config_path: &Path,
    input: &InputArgs,
    env: &mut Env<'_>,
) -> Result<Prepared, ExitCode> {
    let config = load_config(config_path, Some(input)).map_err(|e| fatal(env, e))?;
    let now = resolve_now(input, &config, env.clock).map_err(|e| fatal(env, e))?;
    let Loaded {
        lookup,
        mut history,
        problems,
    } = load_directory(&config, env.stderr).map_err(|e| fatal(env, e))?;
    if let Some(state) =
        crate::state::State::open_read_only(&config.state_path).map_err(|e| fatal(env, e))?
    {
        state
            .load_history(&mut history)
            .map_err(|e| fatal(env, e))?;
    }
    let mut stdin = Some(std::mem::replace(
        &mut env.stdin,
        Box::new(std::io::empty()),
    ));
    let (sources, failed) =
        open_journals(input, &config, &mut stdin, env.stderr).map_err(|e| fatal(env, e))?;
    Ok(Prepared {
        config,
        now,
        lookup,
        history,
        problems: problems + failed,
        sources,
    })
}

fn explain_cmd(args: ExplainArgs, mut env: Env<'_>) -> ExitCode {
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
    let tz = config.rules.time_zone.clone();
    let mut table = explain::Table::default();
    let mut write_failed = false;
    let stats = {
        let stdout = &mut *env.stdout;
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
            |v| {
                if args.json {
                    if writeln!(stdout, "{}", explain::json_line(&v, &tz)).is_err() {
                        write_failed = true;
                    }
                } else {
                    table.push(&v, &tz);
                }
            },
        )
    };
    if !args.json && table_print(&table, env.stdout).is_err() {
        write_failed = true;
    }
    let bad = stats.rejected + stats.late + problems;
    if args.verbose || bad > 0 {
        summary(env.stderr, &stats, "");
    }
    if write_failed || bad > 0 {
        ExitCode::Partial
    } else {
        ExitCode::Success
    }
}

fn table_print(t: &explain::Table, out: &mut dyn Write) -> std::io::Result<()> {
    t.print(out)
}

fn check_cmd(args: CheckArgs, mut env: Env<'_>) -> ExitCode {
    let config = match load_config(&args.common.config, None) {
        Ok(c) => c,
        Err(e) => return fatal(&mut env, e),
    };
    let loaded = match load_directory(&config, env.stderr) {
        Ok(l) => l,
        Err(e) => return fatal(&mut env, e),
    };
    let mut problems = loaded.problems;
    problems += crate::render::check(&config, &loaded.lookup, env.stderr);
    if problems > 0 {
        let _ = writeln!(env.stderr, "unanswered: {problems} problem(s) found");
        return ExitCode::Partial;
    }
    let _ = writeln!(
        env.stdout,
        "ok: {} ({} users, zone {}, language {})",
        config.path.display(),
        loaded.lookup.users().len(),
        config.time_zone_name,
        config.language
    );
    ExitCode::Success
}
