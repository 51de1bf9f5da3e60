//! `run`: decide, render, record, deliver (SPEC §6, §8).
//!
//! Order of work, so that nothing is lost or doubled: set up (configuration, templates,
//! transport, lock, state) → decide → render → one transaction (notifications, outbox,
//! pending entries, logons) → deliver everything due, marking each mail at once.

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::ops::ControlFlow;
use std::path::PathBuf;
use std::time::Duration;

use jiff::Timestamp;
use lettre::message::Mailbox;

use super::log::{Priority, Repeats};
use super::parallel::make_in_order;
use super::read_ahead;
use super::session::{load_config, Session, Sources};
use super::spill::TempFile;
use super::summary::{self, Delivery, RunSummary};
use super::{fail, fatal, outcome, report, Env};
use crate::cli::RunArgs;
use crate::config::Config;
use crate::decide::exceptions::Suppression;
use crate::decide::lookup::Lookup;
use crate::decide::plan::{self, Plan};
use crate::decide::recipients::{History, Verdict};
use crate::decide::stream::{self as pipeline, Stats};
use crate::deliver::{self, Deliver, SendError, WriteError};
use crate::directory::UserKey;
use crate::error::Error;
use crate::exit_codes::ExitCode;
use crate::ingest::Entry;
use crate::render::sanitize::terminal_line;
use crate::render::{self, mail, MailSettings, Outgoing, Renderer};
use crate::state::{NewMail, NotificationRecord, RunLock, RunTx, State, StateError};

/// What a run sets up before anything is decided.
struct Setup {
    config: Config,
    renderer: Renderer,
    from: Mailbox,
    /// None: a dry run (`--dry-run`, `--show`, `--preview`).
    transport: Option<Box<dyn Deliver>>,
    /// A run that writes the state holds its lock from before reading it until the end.
    _lock: Option<RunLock>,
    state: Option<State>,
}

/// Configuration, templates, sender, transport, lock and state; a problem is fatal (a bad
/// `[smtp]` is a usage error before anything is decided).
fn setup(args: &RunArgs, env: &mut Env<'_>) -> Result<Setup, ExitCode> {
    let config = load_config(&args.common.config, Some(&args.input)).map_err(|e| fail(env, e))?;
    let renderer = Renderer::load(&config).map_err(|errors| {
        let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
        fatal(env, lines.join("\n"))
    })?;
    let from = mail::parse_from(&config.from).map_err(|e| {
        fatal(
            env,
            format!("{}: key `mail.from`: {e}", config.path.display()),
        )
    })?;
    let dry_run = args.dry_run || args.show || args.preview.is_some();
    let transport: Option<Box<dyn Deliver>> = if dry_run {
        None
    } else if let Some(dir) = &args.out {
        Some(Box::new(deliver::DirDeliver { dir: dir.clone() }))
    } else {
        match deliver::transport_for(&config, from.email.clone()) {
            Ok(t) => Some(t),
            Err(errors) => {
                let file = config.path.display().to_string();
                return Err(fail(env, Error::Transport { file, errors }));
            }
        }
    };
    let (lock, state) = if dry_run {
        (None, None)
    } else {
        let wait = Duration::from_secs(config.lock_wait_seconds);
        let lock = State::lock(&config.state_path, wait).map_err(|e| fail(env, e))?;
        let state = State::open(&config.state_path).map_err(|e| fail(env, e))?;
        (Some(lock), Some(state))
    };
    Ok(Setup {
        config,
        renderer,
        from,
        transport,
        _lock: lock,
        state,
    })
}

/// What the decisions leave for the rest of the run: the verdicts that mail someone (with
/// their entries, should the mail not be made), the chains still ringing, which of the
/// entries kept from earlier runs were decided now, and each user's latest logon.
struct Decided {
    verdicts: Vec<Verdict>,
    chain_entries: Vec<crate::decide::chains::Entries>,
    pending: Vec<(String, Entry)>,
    decided_entries: Vec<String>,
    stats: Stats,
}

/// Decides every chain; remembers which chains are still ringing (the stream notes who was
/// seen logged on).
fn decide_all(
    session: &mut Session,
    sources: Vec<Sources>,
    rows: &mut Repeats,
    spill: &mut TempFile,
    err: &mut dyn Write,
) -> std::io::Result<Decided> {
    let mut d = Decided {
        verdicts: Vec::new(),
        chain_entries: Vec::new(),
        pending: Vec::new(),
        decided_entries: Vec::new(),
        stats: Stats::default(),
    };
    let lookup: &Lookup = &session.lookup;
    let history: &mut History = &mut session.history;
    let (verdicts, chain_entries, pending) =
        (&mut d.verdicts, &mut d.chain_entries, &mut d.pending);
    d.stats = std::thread::scope(|scope| {
        pipeline::decide_events_in(
            spill,
            true,
            read_ahead::events(
                scope,
                sources,
                &session.config.rules,
                lookup,
                session.heavy_reading,
            ),
            (&session.config.rules, lookup, history, session.now),
            // a verdict settled while it waits is suppressed, and not `incomplete` (whose
            // entries are kept): there is nothing to keep of it
            Some(pipeline::Settled {
                write: &|_, _| {},
                take: &mut |_| {},
            }),
            |e| rows.note(err, &e.pos.to_string(), &e.message, &e.to_string()),
            |v, chain| {
                if v.suppressed_by == Some(Suppression::Incomplete) {
                    pending.extend(
                        chain
                            .entries
                            .iter()
                            .map(|e| (chain.id.to_string(), (**e).clone())),
                    );
                    // a callback already read counts for it in the next run too (§3.8)
                    if let Some(e) = pipeline::kept_callback(&v, chain) {
                        pending.push((chain.id.to_string(), e));
                    }
                    return;
                }
                if v.to_notify().next().is_some() {
                    chain_entries.push(chain.entries.clone());
                    verdicts.push(v);
                }
            },
        )
    })?;
    Ok(d)
}

/// What rendering left: mails made, mails that could not be made, and whether showing them
/// (dry run) failed.
#[derive(Default)]
struct Rendered {
    made: u64,
    failed: u64,
    show_failed: bool,
}

/// Queues one mail and the notifications it carries in the run's transaction.
fn queue_mail(
    tx: &mut RunTx<'_>,
    p: &Plan,
    m: &Outgoing,
    verdicts: &[Verdict],
) -> Result<(), StateError> {
    let notifications: Vec<NotificationRecord> = p
        .calls
        .iter()
        .map(|&i| NotificationRecord {
            chain: verdicts[i].facts.id.to_string(),
            user: UserKey::of(&m.user),
            caller: verdicts[i].caller.number.clone(),
            call_start: verdicts[i].facts.start,
            message_id: m.message_id.clone(),
        })
        .collect();
    let mail = NewMail {
        message_id: &m.message_id,
        user: &m.user,
        email: &m.email,
        subject: &m.subject,
        chains: &m.chains,
        bytes: &m.bytes,
    };
    tx.add_mail(&mail, &notifications)
}

/// `--dry-run` / `--show` / `--preview`: shows one mail, changes nothing.
fn show_mail(
    args: &RunArgs,
    m: &Outgoing,
    now: Timestamp,
    previews: &mut HashMap<String, usize>,
    out: &mut dyn Write,
) -> Result<(), WriteError> {
    match &args.preview {
        Some(dir) => deliver::write_preview(dir, m, previews),
        None if args.show => deliver::write_readable(out, m).map_err(WriteError::Stdout),
        None => deliver::write_mbox(out, m, now).map_err(WriteError::Stdout),
    }
}

/// Renders the mails on every core and takes them in plan order as they are made: shown
/// (dry run), or queued in the run's transaction. A mail that cannot be made keeps its chains
/// for the next run.
fn render_all(
    args: &RunArgs,
    session: &Session,
    renderer: &Renderer,
    settings: &MailSettings<'_>,
    d: &mut Decided,
    run_tx: &mut Option<RunTx<'_>>,
    env: &mut Env<'_>,
) -> Result<Rendered, ExitCode> {
    let mut r = Rendered::default();
    let mut unmade: HashSet<usize> = HashSet::new();
    let mut previews: HashMap<String, usize> = HashMap::new();
    let mut broken: Option<StateError> = None;
    let now = session.now;
    let plans = plan::plan(&d.verdicts, session.config.mode);
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let (verdicts, lookup) = (&d.verdicts, &session.lookup);
    make_in_order(
        &plans,
        threads,
        |p| renderer.compose_plans(vec![p.clone()], verdicts, lookup, settings, now),
        |p| vec![(p.clone(), Err(render::Error::Lost))],
        |parts| {
            for (p, m) in parts {
                let m = match m {
                    Ok(m) => m,
                    Err(e) => {
                        r.failed += 1;
                        unmade.extend(p.calls.iter().copied());
                        let _ = writeln!(env.stderr, "mail to {} <{}>: {e}", p.user, p.email);
                        continue;
                    }
                };
                r.made += 1;
                let shown = match run_tx {
                    Some(tx) => match queue_mail(tx, &p, &m, verdicts) {
                        Ok(()) => Ok(()),
                        Err(e) => {
                            broken = Some(e);
                            return ControlFlow::Break(());
                        }
                    },
                    None => show_mail(args, &m, now, &mut previews, env.stdout),
                };
                if let Err(e) = shown {
                    r.show_failed = true;
                    let _ = writeln!(env.stderr, "unanswered: {e}");
                    return ControlFlow::Break(());
                }
            }
            ControlFlow::Continue(())
        },
    );
    if let Some(e) = broken {
        return Err(fatal(env, format!("nothing was sent: {e}")));
    }
    keep_unmade(d, &unmade);
    Ok(r)
}

/// Keeps the entries of the chains whose mail could not be made, so the next run decides
/// them again.
fn keep_unmade(d: &mut Decided, unmade: &HashSet<usize>) {
    for (i, entries) in std::mem::take(&mut d.chain_entries).into_iter().enumerate() {
        if unmade.contains(&i) {
            let id = d.verdicts[i].facts.id.to_string();
            d.pending
                .extend(entries.into_iter().map(|e| (id.clone(), *e)));
        }
    }
}

/// What delivery did.
#[derive(Default)]
struct Delivered {
    sent: u64,
    queued: u64,
    refused: u64,
    /// Why delivery stopped early (the rest stays queued), if it did.
    stopped: Option<String>,
}

/// A progress bar for a person at a terminal; nothing under cron.
fn progress_bar(due: usize) -> indicatif::ProgressBar {
    if due >= 20 && std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        indicatif::ProgressBar::new(due as u64).with_style(
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} mails {eta}")
                .expect("a valid template"),
        )
    } else {
        indicatif::ProgressBar::hidden()
    }
}

/// Sends one mail and marks it in the state at once. Returns the problem to report (if the
/// mail was not accepted: the recipient, what happened) and how marking went.
fn deliver_one(
    state: &State,
    transport: &mut dyn Deliver,
    m: &crate::state::OutboxMail,
    now: Timestamp,
    d: &mut Delivered,
) -> (Option<(String, String)>, Result<(), StateError>) {
    let result = transport.deliver(&deliver::Message {
        user: &m.user,
        message_id: &m.message_id,
        email: &m.email,
        bytes: &m.bytes,
    });
    let mark = match &result {
        Ok(()) => state.mark_sent(&m.message_id, now),
        Err(SendError::Transient(why)) => state.mark_retry(&m.message_id, now, why).map(|_| ()),
        Err(SendError::Permanent(why)) => state.mark_failed(&m.message_id, why),
        // untouched: due again at the next run
        Err(SendError::Stop(_)) => Ok(()),
    };
    let problem = match result {
        Ok(()) => {
            d.sent += 1;
            None
        }
        Err(SendError::Transient(why)) => {
            d.queued += 1;
            let who = format!("{} <{}>", m.user, m.email);
            Some((who, format!("stays queued: {why}")))
        }
        Err(SendError::Permanent(why)) => {
            d.refused += 1;
            let who = format!("{} <{}>", m.user, m.email);
            Some((who, format!("failed: {why}")))
        }
        Err(SendError::Stop(why)) => {
            d.stopped = Some(why);
            None
        }
    };
    (problem, mark)
}

/// Delivers everything due: this run's mails and what earlier runs left queued.
fn deliver_due(
    state: &State,
    transport: &mut dyn Deliver,
    now: Timestamp,
    env: &mut Env<'_>,
) -> Result<Delivered, ExitCode> {
    let due = state.due(now).map_err(|e| fail(env, e))?;
    let mut d = Delivered::default();
    let mut problems = Repeats::new("mails", Priority::Error, env.journal);
    let progress = progress_bar(due.len());
    // when delivery stops: the mail that stopped it and those after it
    let mut left = 1;
    for (i, id) in due.iter().enumerate() {
        if d.stopped.is_some() {
            // the mail before this one stopped delivery: it and the rest stay queued
            left = (due.len() - i + 1) as u64;
            break;
        }
        progress.inc(1);
        let m = match state.outbox_mail(id) {
            Ok(Some(m)) => m,
            Ok(None) => continue,
            Err(e) => {
                problems.finish(env.stderr);
                return Err(fail(env, e));
            }
        };
        let (problem, mark) = deliver_one(state, transport, &m, now, &mut d);
        if let Some((who, what)) = problem {
            let (who, what) = (terminal_line(&who), terminal_line(&what));
            let line = format!("mail to {who} {what}");
            progress.suspend(|| problems.note(env.stderr, &who, &what, &line));
        }
        if let Err(e) = mark {
            progress.abandon();
            problems.finish(env.stderr);
            return Err(fatal(
                env,
                format!("the state could not record a delivery: {e}"),
            ));
        }
    }
    if let Some(why) = &d.stopped {
        d.queued += left;
        let _ = writeln!(
            env.stderr,
            "delivery stopped: {}; {left} mail(s) stay queued for the next run",
            terminal_line(why)
        );
    }
    progress.finish_and_clear();
    problems.finish(env.stderr);
    Ok(d)
}

/// Where the run's summary and metrics go: the command line, else `[report]`.
fn report_paths(args: &RunArgs, config: &Config) -> (Option<PathBuf>, Option<PathBuf>) {
    (
        args.summary_json.clone().or(config.summary_json.clone()),
        args.metrics.clone().or(config.metrics.clone()),
    )
}

/// The state's outbox after the run: how many mails are queued, and how long the oldest
/// has waited (by the run's clock).
fn queued_after(state: Option<&State>, now: Timestamp) -> (u64, Option<i64>) {
    let Some(Ok(mails)) = state.map(State::unsent) else {
        return (0, None);
    };
    let queued: Vec<Timestamp> = mails
        .iter()
        .filter(|m| m.status == crate::state::OutboxStatus::Queued)
        .map(|m| m.created)
        .collect();
    let oldest = queued
        .iter()
        .min()
        .map(|t| (now.as_second() - t.as_second()).max(0));
    (queued.len() as u64, oldest)
}

/// The summary line (`-v`, or when something went wrong), then the summary and metrics
/// files; returns the exit code (a file that cannot be written makes it at least 1).
fn finish_run(
    args: &RunArgs,
    config: &Config,
    stats: &Stats,
    summary: RunSummary,
    extra: &str,
    env: &mut Env<'_>,
) -> ExitCode {
    let code = match summary.exit_code {
        0 => ExitCode::Success,
        _ => ExitCode::Partial,
    };
    if args.verbose || code != ExitCode::Success {
        let priority = match code {
            ExitCode::Success => Priority::Info,
            _ => Priority::Warning,
        };
        report::summary(env.stderr, (env.journal, priority), stats, extra);
    }
    let (json, metrics) = report_paths(args, config);
    let problems = summary::write_files(&summary, json.as_deref(), metrics.as_deref());
    for p in &problems {
        super::log::line(
            env.stderr,
            env.journal,
            Priority::Error,
            &format!("unanswered: {p}"),
        );
    }
    if problems.is_empty() {
        code
    } else {
        code.and(ExitCode::Partial)
    }
}

/// `run`: decide, render, record, deliver.
pub(crate) fn run_cmd(args: RunArgs, mut env: Env<'_>) -> ExitCode {
    let Setup {
        config,
        renderer,
        from,
        transport,
        _lock,
        mut state,
    } = match setup(&args, &mut env) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let mut session = match Session::open(config, &args.input, &mut env, state.as_ref()) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let mut d = match decide_run(&mut session, &mut env) {
        Ok(d) => d,
        Err(code) => return code,
    };
    let settings = MailSettings::of(&session.config, &from);
    let mut run_tx = match (&transport, state.as_mut()) {
        (Some(_), Some(s)) => match s.begin_run(session.now) {
            Ok(tx) => Some(tx),
            Err(e) => return fail(&mut env, e),
        },
        _ => None,
    };
    let r = match render_all(
        &args,
        &session,
        &renderer,
        &settings,
        &mut d,
        &mut run_tx,
        &mut env,
    ) {
        Ok(r) => r,
        Err(code) => return code,
    };
    d.verdicts = Vec::new();
    let summary = RunSummary::made(session.now, &d.stats, r.made, r.failed);
    let bad = d.stats.rejected + d.stats.late + session.problems + r.failed;
    let (Some(mut transport), Some(tx)) = (transport, run_tx) else {
        let extra = format!("{} mails made (dry run)", r.made);
        let summary = RunSummary {
            exit_code: outcome(r.show_failed || bad > 0).code(),
            duration: (env.elapsed)(),
            ..summary
        };
        return finish_run(&args, &session.config, &d.stats, summary, &extra, &mut env);
    };
    if let Err(e) = record(tx, &session, &mut d) {
        return fatal(&mut env, format!("nothing was sent: {e}"));
    }
    let state = state.as_ref().expect("a state when not a dry run");
    let done = match deliver_due(state, transport.as_mut(), session.now, &mut env) {
        Ok(done) => done,
        Err(code) => return code,
    };
    let (delivery, verb) = match &args.out {
        Some(dir) => (Delivery::Written, format!("written to {}", dir.display())),
        None => (Delivery::Sent, "sent".to_string()),
    };
    let extra = format!(
        "{} mails {verb}, {} queued for retry, {} failed",
        done.sent, done.queued, done.refused
    );
    let (queued_now, oldest_queued_seconds) = queued_after(Some(state), session.now);
    let summary = RunSummary {
        exit_code: outcome(bad + done.queued + done.refused > 0).code(),
        delivery,
        mails_delivered: done.sent,
        mails_queued: done.queued,
        mails_failed: r.failed + done.refused,
        queued_now,
        oldest_queued_seconds,
        duration: (env.elapsed)(),
        ..summary
    };
    finish_run(&args, &session.config, &d.stats, summary, &extra, &mut env)
}

/// Decides the journals of the session, reporting bad rows; the entries kept from earlier
/// runs (calls that were still ringing) are read again, but they are not the journals'
/// entries, so they do not count as entries read.
fn decide_run(session: &mut Session, env: &mut Env<'_>) -> Result<Decided, ExitCode> {
    let sources = std::mem::take(&mut session.sources);
    let mut rows = Repeats::new("rows", Priority::Warning, env.journal);
    let mut spill = TempFile::new();
    let decided = decide_all(session, sources, &mut rows, &mut spill, env.stderr);
    rows.finish(env.stderr);
    if let Some(w) = spill.warning() {
        let w = format!("unanswered: {w}");
        super::log::line(env.stderr, env.journal, Priority::Warning, &w);
    }
    // nothing decided is recorded: the next run decides these calls again
    let mut d = decided.map_err(|e| {
        let e = format!(
            "nothing was sent: the calls held in a temporary file could not be read back ({e})"
        );
        fatal(env, e)
    })?;
    d.stats.entries = d
        .stats
        .entries
        .saturating_sub(session.pending_ids.len() as u64);
    Ok(d)
}

/// Ends the run's transaction: besides the mails queued, the entries still ringing, the
/// entries kept from earlier runs that were decided now, and who was seen logged on.
fn record(tx: RunTx<'_>, session: &Session, d: &mut Decided) -> Result<(), StateError> {
    let online: Vec<(UserKey, Timestamp)> =
        std::mem::take(&mut d.stats.logons).into_iter().collect();
    // every entry kept from earlier runs that is not kept again was decided now (or was a
    // callback kept for a call decided now)
    let kept: HashSet<&str> = d
        .pending
        .iter()
        .map(|(_, e)| e.connection_id.as_str())
        .collect();
    d.decided_entries = session
        .pending_ids
        .iter()
        .filter(|id| !kept.contains(id.as_str()))
        .cloned()
        .collect();
    tx.finish(&d.pending, &d.decided_entries, &online)
}
