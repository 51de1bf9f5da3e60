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
    /// Standard input is a terminal (a person, not a pipe): not read without `-`.
    pub stdin_is_terminal: bool,
}

/// Runs one command and says how it ended.
pub fn execute(cli: Cli, env: Env<'_>) -> ExitCode {
    match cli.command {
        Command::Explain(args) => explain_cmd(args, env),
        Command::Check(args) => check_cmd(args, env),
        Command::Run(args) => run_cmd(args, env),
        Command::Outbox(args) => outbox_cmd(args, env),
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
    // a file that cannot be read is fatal (mails would be wrong without it); all such files
    // are named at once. Bad rows are reported and counted.
    struct Sink<'e> {
        unreadable: Vec<String>,
        problems: u64,
        err: &'e mut dyn Write,
    }
    impl Sink<'_> {
        fn rows<T>(
            &mut self,
            loaded: Result<(Vec<T>, Vec<directory::DirError>), directory::DirError>,
        ) -> Vec<T> {
            match loaded {
                Ok((list, errs)) => {
                    for e in &errs {
                        self.problems += 1;
                        let _ = writeln!(self.err, "{e}");
                    }
                    list
                }
                Err(e) => {
                    self.unreadable.push(e.to_string());
                    Vec::new()
                }
            }
        }
    }
    let mut sink = Sink {
        unreadable: Vec::new(),
        problems: 0,
        err,
    };
    let users: Vec<UserInfo> = sink
        .rows(directory::load_users(&config.users, enc))
        .into_iter()
        .map(|u| UserInfo {
            time_zone: u
                .time_zone
                .as_deref()
                .and_then(|z| crate::time::zone(z).ok()),
            user: u.user,
            name: u.name,
            email: u.email,
            lines: u.lines,
            language: u.language,
            notify: u.notify,
        })
        .collect();
    let mut contacts = Vec::new();
    for path in &config.contacts {
        for c in sink.rows(directory::load_contacts(path, enc)) {
            contacts.push(ContactInfo {
                name: c.name,
                company: c.company,
                email: c.email,
                phones: c.phones.into_iter().map(|p| (p.number, p.kind)).collect(),
            });
        }
    }
    let lookup = Lookup::new(config.rules.numbers.clone(), users, contacts);
    let mut history = History::default();
    if let Some(path) = &config.logons {
        for l in sink.rows(directory::load_logons(path, enc, &config.rules.time_zone)) {
            let user = lookup
                .user(&l.user)
                .map_or(l.user.clone(), |u| u.user.clone());
            history.record_online(&user, l.time);
        }
    }
    let Sink {
        unreadable,
        problems,
        ..
    } = sink;
    if !unreadable.is_empty() {
        return Err(unreadable.join("\n"));
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
    stdin_is_terminal: bool,
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
        if stdin_is_terminal {
            return Err(
                "no journal: name the export files, or pipe one into standard input (or give `-`)"
                    .into(),
            );
        }
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
    if stats.too_old > 0 {
        parts.push(format!(
            "{} calls too old to mail (max_age_hours)",
            stats.too_old
        ));
    }
    if stats.called_back > 0 {
        parts.push(format!("{} calls already returned", stats.called_back));
    }
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
    /// Connection ids of the entries kept from earlier runs (chains that were still ringing).
    pub pending_ids: std::collections::HashSet<String>,
}

/// Loads the directory, the state's history and the chains still ringing at the last run,
/// and opens the journals (the pending chains first). `state`: the run's own (locked) state;
/// None reads the state file without writing. `Err` is the exit code of a fatal problem,
/// already reported.
pub fn prepare(
    config: Config,
    input: &InputArgs,
    env: &mut Env<'_>,
    state: Option<&crate::state::State>,
) -> Result<Prepared, ExitCode> {
    let now = resolve_now(input, &config, env.clock).map_err(|e| fatal(env, e))?;
    let Loaded {
        lookup,
        mut history,
        problems,
    } = load_directory(&config, env.stderr).map_err(|e| fatal(env, e))?;
    let read_only;
    let state = match state {
        Some(s) => Some(s),
        None => {
            read_only = crate::state::State::open_read_only(&config.state_path)
                .map_err(|e| fatal(env, e))?;
            read_only.as_ref()
        }
    };
    let mut pending: Vec<Item> = Vec::new();
    let mut pending_ids = std::collections::HashSet::new();
    if let Some(state) = state {
        state
            .load_history(&mut history)
            .map_err(|e| fatal(env, e))?;
        for e in state.pending_entries().map_err(|e| fatal(env, e))? {
            pending_ids.insert(e.connection_id.clone());
            pending.push(Item::Entry(Box::new(e)));
        }
    }
    let mut stdin = Some(std::mem::replace(
        &mut env.stdin,
        Box::new(std::io::empty()),
    ));
    let (mut sources, failed) = open_journals(
        input,
        &config,
        &mut stdin,
        env.stdin_is_terminal,
        env.stderr,
    )
    .map_err(|e| fatal(env, e))?;
    sources.insert(0, Box::new(pending.into_iter()));
    Ok(Prepared {
        config,
        now,
        lookup,
        history,
        problems: problems + failed,
        sources,
        pending_ids,
    })
}

fn explain_cmd(args: ExplainArgs, mut env: Env<'_>) -> ExitCode {
    let config = match load_config(&args.common.config, Some(&args.input)) {
        Ok(c) => c,
        Err(e) => return fatal(&mut env, e),
    };
    let Prepared {
        config,
        now,
        lookup,
        mut history,
        problems,
        sources,
        ..
    } = match prepare(config, &args.input, &mut env, None) {
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
            |v, _| {
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
    if !args.json && table.print(env.stdout).is_err() {
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
    // the mail side: the sender address, and the transport as `run` would set it up (CA
    // file, password from its variable or file) — without connecting
    let path = config.path.display().to_string();
    match crate::render::mail::parse_from(&config.from) {
        Err(e) => {
            problems += 1;
            let _ = writeln!(env.stderr, "{path}: key `mail.from`: {e}");
        }
        Ok(from) => {
            let wants_transport = config.smtp.is_some()
                || matches!(config.transport, crate::config::Transport::Sendmail(_));
            if wants_transport {
                if let Err(e) = crate::deliver::transport_for(&config, from.email) {
                    for line in e.lines() {
                        problems += 1;
                        let _ = writeln!(env.stderr, "{path}: {line}");
                    }
                }
            }
        }
    }
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

/// `run`: decide, render, record, deliver.
pub fn run_cmd(args: crate::cli::RunArgs, mut env: Env<'_>) -> ExitCode {
    use crate::deliver::{self, SendError};
    use crate::render::{mail, MailSettings, Renderer};
    use crate::state::{NotificationRecord, State};

    let config = match load_config(&args.common.config, Some(&args.input)) {
        Ok(c) => c,
        Err(e) => return fatal(&mut env, e),
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
    // the transport is set up before anything is decided: a bad [smtp] is a usage error
    let dry_run = args.dry_run || args.show || args.preview.is_some();
    let mut transport: Option<Box<dyn deliver::Deliver>> = if dry_run {
        None
    } else if let Some(dir) = &args.out {
        Some(Box::new(deliver::DirDeliver { dir: dir.clone() }))
    } else {
        match deliver::transport_for(&config, from.email.clone()) {
            Ok(t) => Some(t),
            Err(e) => {
                let path = config.path.display().to_string();
                let lines: Vec<String> = e.lines().map(|l| format!("{path}: {l}")).collect();
                return fatal(&mut env, lines.join("\n"));
            }
        }
    };
    // a run that writes the state holds its lock from before reading it until the end
    let _lock = if dry_run {
        None
    } else {
        match State::lock(
            &config.state_path,
            std::time::Duration::from_secs(config.lock_wait_seconds),
        ) {
            Ok(l) => Some(l),
            Err(e) => return fatal(&mut env, e),
        }
    };
    let mut state = if dry_run {
        None
    } else {
        match State::open(&config.state_path) {
            Ok(s) => Some(s),
            Err(e) => return fatal(&mut env, e),
        }
    };
    let Prepared {
        config,
        now,
        lookup,
        mut history,
        problems,
        sources,
        pending_ids,
    } = match prepare(config, &args.input, &mut env, state.as_ref()) {
        Ok(p) => p,
        Err(code) => return code,
    };

    // decide; remember who was seen logged on, and which chains are still ringing
    let mut verdicts = Vec::new();
    // Only what the rest of the run needs is kept: the verdicts that mail someone (with their
    // entries, should the mail not be made), the chains still ringing, which of the entries
    // kept from earlier runs were decided now, and each user's latest logon.
    let mut pending: Vec<(String, crate::journal::Entry)> = Vec::new();
    let mut chain_entries: Vec<Vec<crate::journal::Entry>> = Vec::new();
    let mut online: std::collections::HashMap<String, Timestamp> = std::collections::HashMap::new();
    let track_online = config.rules.exceptions.repeated_until_logon;
    let stats = {
        let stderr = &mut *env.stderr;
        let lookup_ref = &lookup;
        let items = Merge::new(sources).inspect(|item| {
            if let (Item::Entry(e), true) = (item, track_online) {
                if e.user_offline == Some(false) {
                    if let Some(u) = crate::chains::owner(e, lookup_ref) {
                        let t = online.entry(u.to_lowercase()).or_insert(e.start);
                        *t = (*t).max(e.start);
                    }
                }
            }
        });
        pipeline::decide(
            items,
            &config.rules,
            &lookup,
            &mut history,
            now,
            |e| {
                let _ = writeln!(stderr, "{e}");
            },
            |v, chain| {
                if v.suppressed_by == Some(crate::policy::Suppression::Incomplete) {
                    pending.extend(chain.entries.iter().map(|e| (chain.id.clone(), e.clone())));
                    // a callback already read counts for it in the next run too (§3.8)
                    if let Some(e) = pipeline::kept_callback(&v, chain) {
                        pending.push((chain.id.clone(), e));
                    }
                    return;
                }
                if v.to_notify().next().is_some() {
                    chain_entries.push(chain.entries.clone());
                    verdicts.push(v);
                }
            },
        )
    };

    // render, one mail at a time: printed (dry run), or queued in the run's transaction; a mail
    // that cannot be made keeps its chains for the next run
    let settings = MailSettings::of(&config, &from);
    let mut failed = 0u64;
    let mut made = 0u64;
    let mut unmade: std::collections::HashSet<usize> = std::collections::HashSet::new();
    let mut show_failed = false;
    let mut run_tx = match (&transport, state.as_mut()) {
        (Some(_), Some(s)) => match s.begin_run(now) {
            Ok(tx) => Some(tx),
            Err(e) => return fatal(&mut env, e),
        },
        _ => None,
    };
    let mut previews: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for p in mail::plan(&verdicts, config.mode) {
        let m = match renderer.compose(&p, &verdicts, &lookup, &settings, now) {
            Ok(m) => m,
            Err(e) => {
                failed += 1;
                unmade.extend(p.calls.iter().copied());
                let _ = writeln!(env.stderr, "mail to {} <{}>: {e}", p.user, p.email);
                continue;
            }
        };
        made += 1;
        match &mut run_tx {
            Some(tx) => {
                let notifications: Vec<NotificationRecord> = p
                    .calls
                    .iter()
                    .map(|&i| NotificationRecord {
                        chain: verdicts[i].facts.id.clone(),
                        user: m.user.clone(),
                        caller: verdicts[i].caller.number.clone(),
                        call_start: verdicts[i].facts.start,
                        message_id: m.message_id.clone(),
                    })
                    .collect();
                if let Err(e) = tx.add_mail(&m, &notifications) {
                    return fatal(&mut env, format!("nothing was sent: {e}"));
                }
            }
            None => {
                // --dry-run / --preview: show, change nothing
                let shown = match &args.preview {
                    Some(dir) => deliver::write_preview(dir, &m, &mut previews),
                    None if args.show => deliver::write_readable(env.stdout, &m)
                        .map_err(|e| format!("standard output: {e}")),
                    None => deliver::write_mbox(env.stdout, &m, now)
                        .map_err(|e| format!("standard output: {e}")),
                };
                if let Err(e) = shown {
                    show_failed = true;
                    let _ = writeln!(env.stderr, "unanswered: {e}");
                    break;
                }
            }
        }
    }
    for (i, entries) in chain_entries.into_iter().enumerate() {
        if unmade.contains(&i) {
            // keep the entries so the next run decides this chain again
            let id = verdicts[i].facts.id.clone();
            pending.extend(entries.into_iter().map(|e| (id.clone(), e)));
        }
    }
    drop(verdicts);

    let (Some(transport), Some(tx)) = (transport.as_mut(), run_tx) else {
        let bad = stats.rejected + stats.late + problems + failed;
        if args.verbose || bad > 0 {
            summary(env.stderr, &stats, &format!("{made} mails made (dry run)"));
        }
        return if show_failed || bad > 0 {
            ExitCode::Partial
        } else {
            ExitCode::Success
        };
    };
    let online: Vec<(String, Timestamp)> = online.into_iter().collect();
    // every entry kept from earlier runs that is not kept again was decided now (or was a
    // callback kept for a call decided now)
    let kept: std::collections::HashSet<&str> = pending
        .iter()
        .map(|(_, e)| e.connection_id.as_str())
        .collect();
    let decided_entries: Vec<String> = pending_ids
        .iter()
        .filter(|id| !kept.contains(id.as_str()))
        .cloned()
        .collect();
    if let Err(e) = tx.finish(&pending, &decided_entries, &online) {
        return fatal(&mut env, format!("nothing was sent: {e}"));
    }
    let state = state.as_mut().expect("a state when not a dry run");

    // deliver everything due: this run's mails and what earlier runs left queued
    let due = match state.due(now) {
        Ok(d) => d,
        Err(e) => return fatal(&mut env, e),
    };
    let (mut sent, mut queued, mut refused) = (0u64, 0u64, 0u64);
    // a progress bar for a person at a terminal; nothing under cron
    let progress = if due.len() >= 20 && std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        indicatif::ProgressBar::new(due.len() as u64).with_style(
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} mails {eta}")
                .expect("a valid template"),
        )
    } else {
        indicatif::ProgressBar::hidden()
    };
    for id in &due {
        progress.inc(1);
        let m = match state.outbox_mail(id) {
            Ok(Some(m)) => m,
            Ok(None) => continue,
            Err(e) => return fatal(&mut env, e),
        };
        let result = transport.deliver(&m);
        let mark = match &result {
            Ok(()) => state.mark_sent(&m.message_id, now),
            Err(SendError::Transient(why)) => state.mark_retry(&m.message_id, now, why).map(|_| ()),
            Err(SendError::Permanent(why)) => state.mark_failed(&m.message_id, why),
        };
        let problem = match result {
            Ok(()) => {
                sent += 1;
                None
            }
            Err(SendError::Transient(why)) => {
                queued += 1;
                Some(format!(
                    "mail to {} <{}> stays queued: {why}",
                    m.user, m.email
                ))
            }
            Err(SendError::Permanent(why)) => {
                refused += 1;
                Some(format!("mail to {} <{}> failed: {why}", m.user, m.email))
            }
        };
        if let Some(line) = problem {
            progress.suspend(|| {
                let _ = writeln!(env.stderr, "{}", crate::render::document::clean(&line));
            });
        }
        if let Err(e) = mark {
            progress.abandon();
            return fatal(
                &mut env,
                format!("the state could not record a delivery: {e}"),
            );
        }
    }
    progress.finish_and_clear();
    let bad = stats.rejected + stats.late + problems + failed + queued + refused;
    if args.verbose || bad > 0 {
        summary(
            env.stderr,
            &stats,
            &format!("{sent} mails sent, {queued} queued for retry, {refused} failed"),
        );
    }
    if bad > 0 {
        ExitCode::Partial
    } else {
        ExitCode::Success
    }
}

fn outbox_cmd(args: crate::cli::OutboxArgs, mut env: Env<'_>) -> ExitCode {
    use crate::state::State;
    let mut config = match load_config(&args.common.config, None) {
        Ok(c) => c,
        Err(e) => return fatal(&mut env, e),
    };
    if let Some(s) = &args.state {
        config.state_path = s.clone();
    }
    let change = args
        .retry
        .as_deref()
        .map(|id| (true, id))
        .or(args.drop.as_deref().map(|id| (false, id)));
    if let Some((retry, id)) = change {
        let _lock = match State::lock(
            &config.state_path,
            std::time::Duration::from_secs(config.lock_wait_seconds),
        ) {
            Ok(l) => l,
            Err(e) => return fatal(&mut env, e),
        };
        let state = match State::open(&config.state_path) {
            Ok(s) => s,
            Err(e) => return fatal(&mut env, e),
        };
        let which = (id != "all").then_some(id);
        let n = if retry {
            state.retry(which)
        } else {
            state.drop_mail(which, env.clock)
        };
        return match n {
            Ok(0) => {
                let _ = writeln!(env.stderr, "unanswered: no queued or failed mail {id}");
                ExitCode::Partial
            }
            Ok(n) => {
                let what = if retry {
                    "queued for the next run"
                } else {
                    "dropped"
                };
                let _ = writeln!(env.stdout, "{n} mail(s) {what}");
                ExitCode::Success
            }
            Err(e) => fatal(&mut env, e),
        };
    }
    let state = match State::open_read_only(&config.state_path) {
        Ok(Some(s)) => s,
        Ok(None) => {
            let _ = writeln!(
                env.stdout,
                "no state yet at {}: nothing queued",
                config.state_path.display()
            );
            return ExitCode::Success;
        }
        Err(e) => return fatal(&mut env, e),
    };
    let (mails, counts) = match (state.unsent(), state.counts()) {
        (Ok(m), Ok(c)) => (m, c),
        (Err(e), _) | (_, Err(e)) => return fatal(&mut env, e),
    };
    let tz = config.rules.time_zone.clone();
    let fmt = |t: Timestamp| {
        t.to_zoned_datetime(tz.clone())
            .strftime("%Y-%m-%d %H:%M")
            .to_string()
    };
    let counts: Vec<String> = counts.iter().map(|(s, n)| format!("{n} {s}")).collect();
    let _ = writeln!(
        env.stdout,
        "outbox of {}: {}",
        config.state_path.display(),
        if counts.is_empty() {
            "empty".to_string()
        } else {
            counts.join(", ")
        }
    );
    for m in &mails {
        let _ = writeln!(
            env.stdout,
            "\n{} {}\n  to:       {} <{}>\n  subject:  {}\n  made:     {}\n  attempts: {}{}\n  reason:   {}",
            m.status,
            m.message_id,
            m.user,
            m.email,
            crate::render::document::clean(&m.subject),
            fmt(m.created),
            m.attempts,
            if m.status == "queued" { format!(", next try {}", fmt(m.next_try)) } else { String::new() },
            m.last_error.as_deref().map(crate::render::document::clean).unwrap_or_else(|| "-".into())
        );
    }
    ExitCode::Success
}
