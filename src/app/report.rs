//! What a person reads at the end of a command: the summary line, the outbox listing.

use std::io::Write;

use jiff::tz::TimeZone;
use jiff::Timestamp;

use super::log::Priority;
use crate::decide::stream::Stats;
use crate::render::sanitize::terminal_line;
use crate::state::{OutboxMail, OutboxStatus};

/// Writes the run summary line to stderr (`priority`: info when all went well, else warning).
pub(crate) fn summary(
    err: &mut dyn Write,
    (journal, priority): (bool, Priority),
    stats: &Stats,
    extra: &str,
) {
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
    let text = format!("unanswered: {}", parts.join("; "));
    super::log::line(err, journal, priority, &text);
}

/// The outbox of a state: the counts per status, then every mail not yet sent.
pub(crate) fn outbox(
    out: &mut dyn Write,
    state_path: &std::path::Path,
    mails: &[OutboxMail],
    counts: &[(String, i64)],
    tz: &TimeZone,
) {
    let fmt = |t: Timestamp| {
        t.to_zoned_datetime(tz.clone())
            .strftime("%Y-%m-%d %H:%M")
            .to_string()
    };
    let counts: Vec<String> = counts.iter().map(|(s, n)| format!("{n} {s}")).collect();
    let _ = writeln!(
        out,
        "outbox of {}: {}",
        state_path.display(),
        if counts.is_empty() {
            "empty".to_string()
        } else {
            counts.join(", ")
        }
    );
    for m in mails {
        let _ = writeln!(
            out,
            "\n{} {}\n  to:       {} <{}>\n  subject:  {}\n  made:     {}\n  attempts: {}{}\n  reason:   {}",
            m.status,
            m.message_id,
            m.user,
            m.email,
            terminal_line(&m.subject),
            fmt(m.created),
            m.attempts,
            if m.status == OutboxStatus::Queued { format!(", next try {}", fmt(m.next_try)) } else { String::new() },
            m.last_error.as_deref().map(terminal_line).unwrap_or_else(|| "-".into())
        );
    }
}
