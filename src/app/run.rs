//! `run`: decide, render, record, deliver (SPEC §6, §8).
//!
//! Order of work, so that nothing is lost or doubled: set up (configuration, templates,
//! transport, lock, state) → decide → render → one transaction (notifications, outbox,
//! pending entries, logons) → deliver everything due, marking each mail at once.

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use jiff::Timestamp;
use lettre::message::Mailbox;

use super::log::{Priority, Repeats};
use super::session::{load_config, Session, Sources};
use super::summary::{self, Delivery, RunSummary};
use super::{fail, fatal, outcome, report, Env};
use crate::cli::RunArgs;
use crate::config::Config;
use crate::decide::exceptions::Suppression;
use crate::decide::lookup::Lookup;
use crate::decide::recipients::{History, Verdict};
use crate::decide::stream::{self as pipeline, Merge, Stats};
use crate::deliver::{self, Deliver, SendError};
use crate::directory::UserKey;
use crate::error::Error;
use crate::exit_codes::ExitCode;
use crate::ingest::Entry;
use crate::render::document::clean;
use crate::render::{mail, MailSettings, Outgoing, Renderer};
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
    let renderer = Renderer::load(&config).map_err(|errors| fatal(env, errors.join("\n")))?;
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
    chain_entries: Vec<Vec<Entry>>,
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
    err: &mut dyn Write,
) -> Decided {
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
    d.stats = pipeline::decide(
        Merge::new(sources),
        &session.config.rules,
        lookup,
        history,
        session.now,
        |e| rows.note(err, &e.pos.to_string(), &e.message, &e.to_string()),
        |v, chain| {
            if v.suppressed_by == Some(Suppression::Incomplete) {
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
    );
    d
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
    p: &mail::Plan,
    m: &Outgoing,
    verdicts: &[Verdict],
) -> Result<(), StateError> {
    let notifications: Vec<NotificationRecord> = p
        .calls
        .iter()
        .map(|&i| NotificationRecord {
            chain: verdicts[i].facts.id.clone(),
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
) -> Result<(), String> {
    match &args.preview {
        Some(dir) => deliver::write_preview(dir, m, previews).map_err(|e| e.to_string()),
        None if args.show => {
            deliver::write_readable(out, m).map_err(|e| format!("standard output: {e}"))
        }
        None => deliver::write_mbox(out, m, now).map_err(|e| format!("standard output: {e}")),
    }
}

/// Mails rendered per thread and batch: the batch's mails are held until they are queued or
/// shown, in plan order.
const RENDER_BATCH: usize = 32;

/// Renders `plans` on up to `threads` threads (the compiled stylesheets are shared; each
/// transform has its own context) and hands the results back in the order of `plans`.
fn compose_in_parallel<P: Sync, T: Send>(
    plans: &[P],
    threads: usize,
    compose: impl Fn(&P) -> Result<T, String> + Sync,
) -> Vec<Result<T, String>> {
    let threads = threads.min(plans.len());
    if threads <= 1 {
        return plans.iter().map(&compose).collect();
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut out: Vec<Option<Result<T, String>>> = (0..plans.len()).map(|_| None).collect();
    std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(p) = plans.get(i) else { break };
                        done.push((i, compose(p)));
                    }
                    done
                })
            })
            .collect();
        for w in workers {
            for (i, m) in w.join().unwrap_or_default() {
                out[i] = Some(m);
            }
        }
    });
    out.into_iter()
        .map(|m| m.unwrap_or_else(|| Err("the mail could not be rendered".to_string())))
        .collect()
}

/// Renders the mails (on every core, results in plan order): shown (dry run), or queued in the run's transaction. A mail
/// that cannot be made keeps its chains for the next run.
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
    let now = session.now;
    let plans = mail::plan(&d.verdicts, session.config.mode);
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let (verdicts, lookup) = (&d.verdicts, &session.lookup);
    'batches: for batch in plans.chunks(RENDER_BATCH * threads) {
        let made = compose_in_parallel(batch, threads, |p| {
            Ok(renderer.compose_plans(vec![p.clone()], verdicts, lookup, settings, now))
        });
        for (plan, parts) in batch.iter().zip(made) {
            let parts = parts.unwrap_or_else(|e| vec![(plan.clone(), Err(e))]);
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
                match run_tx {
                    Some(tx) => queue_mail(tx, &p, &m, verdicts)
                        .map_err(|e| fatal(env, format!("nothing was sent: {e}")))?,
                    None => {
                        if let Err(e) = show_mail(args, &m, now, &mut previews, env.stdout) {
                            r.show_failed = true;
                            let _ = writeln!(env.stderr, "unanswered: {e}");
                            break 'batches;
                        }
                    }
                }
            }
        }
    }
    for (i, entries) in std::mem::take(&mut d.chain_entries).into_iter().enumerate() {
        if unmade.contains(&i) {
            // keep the entries so the next run decides this chain again
            let id = d.verdicts[i].facts.id.clone();
            d.pending
                .extend(entries.into_iter().map(|e| (id.clone(), e)));
        }
    }
    Ok(r)
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
            let (who, what) = (clean(&who), clean(&what));
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
            crate::render::document::clean(why)
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
        mut transport,
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
    let sources = std::mem::take(&mut session.sources);
    let mut rows = Repeats::new("rows", Priority::Warning, env.journal);
    let mut d = decide_all(&mut session, sources, &mut rows, env.stderr);
    rows.finish(env.stderr);
    // the entries kept from earlier runs (calls that were still ringing) are read again, but
    // they are not the journals' entries
    d.stats.entries = d
        .stats
        .entries
        .saturating_sub(session.pending_ids.len() as u64);
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
    let bad = d.stats.rejected + d.stats.late + session.problems + r.failed;
    let mut summary = RunSummary {
        time: session.now,
        exit_code: 0,
        delivery: Delivery::DryRun,
        entries: d.stats.entries,
        chains: d.stats.chains,
        rows_rejected: d.stats.rejected,
        too_old: d.stats.too_old,
        mails_made: r.made,
        mails_delivered: 0,
        mails_queued: 0,
        mails_failed: r.failed,
        queued_now: 0,
        oldest_queued_seconds: None,
        duration: Duration::ZERO,
    };
    let (Some(transport), Some(tx)) = (transport.as_mut(), run_tx) else {
        let extra = format!("{} mails made (dry run)", r.made);
        summary.exit_code = outcome(r.show_failed || bad > 0).code();
        summary.duration = (env.elapsed)();
        return finish_run(&args, &session.config, &d.stats, summary, &extra, &mut env);
    };
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
    if let Err(e) = tx.finish(&d.pending, &d.decided_entries, &online) {
        return fatal(&mut env, format!("nothing was sent: {e}"));
    }
    let state = state.as_mut().expect("a state when not a dry run");
    let done = match deliver_due(state, transport.as_mut(), session.now, &mut env) {
        Ok(done) => done,
        Err(code) => return code,
    };
    let bad = bad + done.queued + done.refused;
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
        exit_code: outcome(bad > 0).code(),
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
