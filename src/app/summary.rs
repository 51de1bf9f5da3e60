//! What a run did, for monitoring: a JSON summary (`--summary-json FILE`, `[report]
//! summary_json`) and a Prometheus textfile-collector file (`--metrics FILE`, `[report]
//! metrics`). Both are written atomically (a temporary file in the same folder, created
//! exclusively, then renamed), so a reader never sees half a file.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use jiff::Timestamp;

use crate::decide::stream::Stats;

/// How the run's mails left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Delivery {
    /// By SMTP or sendmail.
    Sent,
    /// As .eml files (`--out`).
    Written,
    /// Not at all (`--dry-run`, `--show`, `--preview`).
    DryRun,
}

/// The counts of one run.
#[derive(Debug, Clone)]
pub(crate) struct RunSummary {
    /// The run's clock (`--now`, or the system clock read once).
    pub(crate) time: Timestamp,
    pub(crate) exit_code: i32,
    pub(crate) delivery: Delivery,
    pub(crate) entries: u64,
    pub(crate) chains: u64,
    pub(crate) rows_rejected: u64,
    /// Calls older than `[notify] max_age_hours`, not mailed.
    pub(crate) too_old: u64,
    pub(crate) mails_made: u64,
    /// Accepted by the server (or written, with `--out`).
    pub(crate) mails_delivered: u64,
    pub(crate) mails_queued: u64,
    pub(crate) mails_failed: u64,
    /// Mails still queued after the run (its own and earlier runs').
    pub(crate) queued_now: u64,
    /// How long the oldest mail still queued has waited, by the run's clock.
    pub(crate) oldest_queued_seconds: Option<i64>,
    /// Measured by a monotonic clock, not the run's clock.
    pub(crate) duration: Duration,
}

impl RunSummary {
    pub(crate) fn to_json(&self) -> serde_json::Value {
        let (sent, written) = match self.delivery {
            Delivery::Written => (0, self.mails_delivered),
            _ => (self.mails_delivered, 0),
        };
        serde_json::json!({
            "time": self.time.to_string(),
            "exit_code": self.exit_code,
            "dry_run": self.delivery == Delivery::DryRun,
            "entries": self.entries,
            "chains": self.chains,
            "rows_rejected": self.rows_rejected,
            "too_old": self.too_old,
            "mails_made": self.mails_made,
            "mails_sent": sent,
            "mails_written": written,
            "mails_queued": self.mails_queued,
            "mails_failed": self.mails_failed,
            "queued_now": self.queued_now,
            "oldest_queued_seconds": self.oldest_queued_seconds,
            "duration_seconds": self.duration.as_secs_f64(),
        })
    }

    /// The counts of a run once its mails are made, before delivery (a dry run's counts).
    pub(crate) fn made(time: Timestamp, stats: &Stats, made: u64, failed: u64) -> RunSummary {
        RunSummary {
            time,
            exit_code: 0,
            delivery: Delivery::DryRun,
            entries: stats.entries,
            chains: stats.chains,
            rows_rejected: stats.rejected,
            too_old: stats.too_old,
            mails_made: made,
            mails_delivered: 0,
            mails_queued: 0,
            mails_failed: failed,
            queued_now: 0,
            oldest_queued_seconds: None,
            duration: Duration::ZERO,
        }
    }

    /// The gauges of this run: name, help, value (`last_success` as carried over).
    fn gauges(&self, last_success: f64) -> [(&'static str, &'static str, f64); 6] {
        [
            (
                "unanswered_last_run_timestamp_seconds",
                "When the last run ran (its clock).",
                self.time.as_second() as f64,
            ),
            (
                "unanswered_last_success_timestamp_seconds",
                "When a run last ended with exit code 0.",
                last_success,
            ),
            (
                "unanswered_last_run_exit_code",
                "0 all done, 1 something failed, 2 nothing was done.",
                self.exit_code.into(),
            ),
            (
                "unanswered_last_run_duration_seconds",
                "How long the last run took.",
                self.duration.as_secs_f64(),
            ),
            (
                "unanswered_queued_mails",
                "Mails waiting in the outbox after the last run.",
                self.queued_now as f64,
            ),
            (
                "unanswered_oldest_queued_mail_age_seconds",
                "How long the oldest queued mail has waited (0: none queued).",
                self.oldest_queued_seconds.unwrap_or(0) as f64,
            ),
        ]
    }

    /// The textfile-collector text: gauges of this run, counters added to those of `previous`
    /// (the file as the last run left it; counters start at 0 when there is none), and the
    /// last success carried over from `previous` when this run did not succeed.
    pub(crate) fn to_prometheus(&self, previous: &str) -> String {
        let before = |name: &str| -> f64 {
            previous
                .lines()
                .filter(|l| !l.starts_with('#'))
                .find_map(|l| {
                    let (n, v) = l.rsplit_once(' ')?;
                    (n == name).then(|| v.parse().ok()).flatten()
                })
                .unwrap_or(0.0)
        };
        let last_success = if self.exit_code == 0 {
            self.time.as_second() as f64
        } else {
            before("unanswered_last_success_timestamp_seconds")
        };
        let mut out = String::new();
        for (name, help, value) in self.gauges(last_success) {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}"
            );
        }
        let json = self.to_json();
        for (name, help, field) in COUNTERS {
            let add = match field {
                Some(f) => json[f].as_u64().unwrap_or(0) as f64,
                None => 1.0,
            };
            let total = before(name) + add;
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {total}"
            );
        }
        out
    }
}

/// The counters: name, help, and the field of the JSON summary each run adds (None: one per
/// run).
const COUNTERS: [(&str, &str, Option<&str>); 9] = [
    ("unanswered_runs_total", "Runs.", None),
    (
        "unanswered_entries_total",
        "Journal entries read.",
        Some("entries"),
    ),
    ("unanswered_chains_total", "Calls decided.", Some("chains")),
    (
        "unanswered_rows_rejected_total",
        "Journal rows rejected with an error.",
        Some("rows_rejected"),
    ),
    (
        "unanswered_too_old_total",
        "Calls too old to be mailed.",
        Some("too_old"),
    ),
    (
        "unanswered_mails_sent_total",
        "Mails accepted by the server.",
        Some("mails_sent"),
    ),
    (
        "unanswered_mails_written_total",
        "Mails written as .eml files (--out).",
        Some("mails_written"),
    ),
    (
        "unanswered_mails_queued_total",
        "Delivery attempts that left the mail queued (4xx, timeouts).",
        Some("mails_queued"),
    ),
    (
        "unanswered_mails_failed_total",
        "Mails refused for good (5xx).",
        Some("mails_failed"),
    ),
];

/// Writes the files asked for; a problem is returned as the line to report.
pub(crate) fn write_files(
    summary: &RunSummary,
    json: Option<&Path>,
    metrics: Option<&Path>,
) -> Vec<String> {
    let mut problems = Vec::new();
    if let Some(path) = json {
        let mut text = summary.to_json().to_string();
        text.push('\n');
        if let Err(e) = crate::deliver::write_replacing(path, text.as_bytes(), 0o644) {
            problems.push(format!("{}: cannot write the summary: {e}", path.display()));
        }
    }
    if let Some(path) = metrics {
        let previous = std::fs::read_to_string(path).unwrap_or_default();
        let text = summary.to_prometheus(&previous);
        if let Err(e) = crate::deliver::write_replacing(path, text.as_bytes(), 0o644) {
            problems.push(format!("{}: cannot write the metrics: {e}", path.display()));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(exit_code: i32) -> RunSummary {
        RunSummary {
            time: "2026-11-26T12:00:00Z".parse().unwrap(),
            exit_code,
            delivery: Delivery::Sent,
            entries: 54,
            chains: 20,
            rows_rejected: 1,
            too_old: 0,
            mails_made: 5,
            mails_delivered: 4,
            mails_queued: 1,
            mails_failed: 0,
            queued_now: 1,
            oldest_queued_seconds: Some(60),
            duration: Duration::from_millis(1500),
        }
    }

    fn value(text: &str, name: &str) -> f64 {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{name} ")))
            .unwrap_or_else(|| panic!("{name} missing in\n{text}"))
            .parse()
            .unwrap()
    }

    #[test]
    fn counters_add_up_and_a_failed_run_keeps_the_last_success() {
        let first = summary(0).to_prometheus("");
        let t = 1_795_694_400.0;
        assert_eq!(
            value(&first, "unanswered_last_success_timestamp_seconds"),
            t
        );
        assert_eq!(value(&first, "unanswered_mails_sent_total"), 4.0);
        let mut later = summary(1);
        later.time = "2026-11-26T12:05:00Z".parse().unwrap();
        let second = later.to_prometheus(&first);
        assert_eq!(
            value(&second, "unanswered_last_success_timestamp_seconds"),
            t
        );
        assert_eq!(
            value(&second, "unanswered_last_run_timestamp_seconds"),
            t + 300.0
        );
        assert_eq!(value(&second, "unanswered_mails_sent_total"), 8.0);
        assert_eq!(value(&second, "unanswered_runs_total"), 2.0);
        assert_eq!(value(&second, "unanswered_last_run_duration_seconds"), 1.5);
    }

    #[test]
    fn files_are_replaced_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("last-run.json");
        std::fs::write(&path, "old").unwrap();
        assert!(write_files(&summary(0), Some(&path), None).is_empty());
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(v["mails_sent"], 4);
        // nothing left beside it
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        let missing = dir.path().join("no/such/dir/m.prom");
        assert_eq!(write_files(&summary(0), None, Some(&missing)).len(), 1);
    }
}
