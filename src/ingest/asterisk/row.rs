//! One CDR row, read on its own: what it says before the other rows of its call are seen.

use jiff::Timestamp;

use super::channel::{channel_line, is_voicemail_channel};
use super::columns::*;
use crate::ingest::csv::Record;
use crate::ingest::time::TimeError;
use crate::ingest::{ReadContext, SourcePos, Text};

/// What the reader knows of one row before it sees the other rows of its call.
#[derive(Debug, Clone)]
pub(super) struct Raw {
    pub(super) pos: SourcePos,
    pub(super) seq: u64,
    /// The row's own start; None only for a dialplan row whose start is unreadable.
    pub(super) start: Option<Timestamp>,
    pub(super) stop: Option<Timestamp>,
    /// The answer time, when the disposition says ANSWERED (else unused).
    pub(super) answer: Option<Timestamp>,
    /// `disposition` ANSWERED, corrected by Grandstream's "Answered by".
    pub(super) answered: bool,
    pub(super) user_offline: Option<bool>,
    /// The line of `dstchannel`; None for a row that rang no phone (empty `dstchannel`).
    pub(super) line: Option<Text>,
    /// The source is a user's line and the dialled number is outside: an outgoing entry.
    pub(super) outgoing: bool,
    /// The user's line of an outgoing row ("" for others).
    pub(super) caller_line: Text,
    /// `lastapp` VoiceMail (Grandstream: Action Type VM).
    pub(super) voicemail_app: bool,
    pub(super) src: Text,
    pub(super) dst: Text,
    pub(super) contact_name: Option<Text>,
    pub(super) channel: Text,
    pub(super) dstchannel: Text,
    pub(super) lastdata: Text,
    pub(super) uniqueid: Text,
    pub(super) linkedid: Text,
    pub(super) session: Text,
    /// The channel@start key of a 16-column row (no uniqueid).
    pub(super) fallback_key: Option<Text>,
    pub(super) connection_id: Text,
}

/// What is wrong with a CDR row; the texts are the messages users see.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum RowFault {
    #[error("expected {width} columns ({layout}), found {found}")]
    Width {
        width: usize,
        layout: &'static str,
        found: usize,
    },
    #[error("expected 16, 18 or 21 columns (cdr_csv), found {0}")]
    CdrCsvWidth(usize),
    #[error("{0} is empty (expected a time like 2024-01-27 15:07:24)")]
    NoTime(Column),
    #[error("{column}: {source}")]
    Time { column: Column, source: TimeError },
    #[error("{end} is empty and {duration} is {value:?} (expected an end time, or a duration in whole seconds)")]
    Duration {
        end: Column,
        duration: Column,
        value: String,
    },
    #[error("{column}: {reason}")]
    TooLate { column: Column, reason: String },
    #[error("{column} {value:?} names no line (expected a channel like SIP/201-0000002a or Local/201@context-00000001;1)")]
    NoLine { column: Column, value: String },
    #[error("{0} is empty (expected ANSWERED, NO ANSWER, BUSY, FAILED or CONGESTION)")]
    NoDisposition(Column),
}

/// A row's fields through its layout, with its time zone.
struct Fields<'r> {
    record: &'r Record,
    map: &'r ColumnMap,
    ctx: &'r ReadContext,
}

impl Fields<'_> {
    /// The trimmed field of column `k` (an index into `NAMES`); "" when the layout lacks it.
    fn get(&self, k: usize) -> &str {
        self.map.field(self.record, k)
    }

    fn time(&self, k: usize, not_before: Option<Timestamp>) -> Result<Timestamp, RowFault> {
        let value = self.get(k);
        if value.is_empty() {
            return Err(RowFault::NoTime(self.map.describe(k)));
        }
        crate::ingest::time::parse_timestamp(value, &self.ctx.time_zone, not_before).map_err(
            |source| RowFault::Time {
                column: self.map.describe(k),
                source,
            },
        )
    }

    /// The stop: `end`, or (Grandstream writes none on BUSY / FAILED rows) `start` + `duration`.
    fn stop(&self, start: Timestamp) -> Result<Timestamp, RowFault> {
        if !self.get(END).is_empty() || self.get(DURATION).is_empty() {
            return self.time(END, Some(start));
        }
        let secs: i64 = self.get(DURATION).parse().map_err(|_| RowFault::Duration {
            end: self.map.describe(END),
            duration: self.map.describe(DURATION),
            value: self.get(DURATION).to_string(),
        })?;
        start
            .checked_add(jiff::SignedDuration::from_secs(secs.max(0)))
            .map_err(|e| RowFault::TooLate {
                column: self.map.describe(DURATION),
                reason: e.to_string(),
            })
    }
}

/// The layout of a row: the configured one, else cdr_csv by the row's width.
fn layout(
    columns: Option<&ColumnMap>,
    found: usize,
) -> Result<std::borrow::Cow<'_, ColumnMap>, RowFault> {
    match columns {
        Some(map) if found == map.width => Ok(std::borrow::Cow::Borrowed(map)),
        Some(map) => Err(RowFault::Width {
            width: map.width,
            layout: map.source,
            found,
        }),
        None => ColumnMap::cdr_csv(found)
            .map(std::borrow::Cow::Owned)
            .ok_or(RowFault::CdrCsvWidth(found)),
    }
}

/// Parses one non-blank line into a [`Raw`] row.
pub(super) fn parse_row(
    record: &Record,
    ctx: &ReadContext,
    columns: Option<&ColumnMap>,
    line: u64,
    seq: u64,
) -> Result<Raw, RowFault> {
    let map = layout(columns, record.len())?;
    let f = Fields {
        record,
        map: &map,
        ctx,
    };
    let mut raw = identity(&f, ctx, line, seq);
    if raw.dstchannel.is_empty() {
        // Rang no phone. Its times only serve the call's arrival: unreadable ones are no error.
        raw.start = f.time(START, None).ok();
        raw.stop = raw.start.and_then(|s| f.stop(s).ok());
        raw.answered = f.get(DISPOSITION).eq_ignore_ascii_case("ANSWERED");
        return Ok(raw);
    }
    rang(&f, raw)
}

/// What a row says about who and what, before its times: ids, caller, channels.
fn identity(f: &Fields<'_>, ctx: &ReadContext, line: u64, seq: u64) -> Raw {
    let src = Text::from(f.get(SRC));
    let action = f.get(ACTION_TYPE);
    let voicemail_app = f.get(LASTAPP).eq_ignore_ascii_case("voicemail")
        || is_voicemail_channel(f.get(DSTCHANNEL))
        || action.eq_ignore_ascii_case("vm")
        || action.to_ascii_uppercase().starts_with("VM[");
    let uniqueid = Text::from(f.get(UNIQUEID));
    let linkedid = Text::from(f.get(LINKEDID));
    let sequence = f.get(SEQUENCE);
    let channel = Text::from(f.get(CHANNEL));
    let fallback_key = (uniqueid.is_empty() && linkedid.is_empty() && !channel.is_empty())
        .then(|| compact_str::format_compact!("{channel}@{}", f.get(START)));
    let connection_id = match (uniqueid.is_empty(), sequence.is_empty()) {
        (false, false) => compact_str::format_compact!("{uniqueid}/{sequence}"),
        (false, true) => compact_str::format_compact!("{uniqueid}@{line}"),
        (true, _) => compact_str::format_compact!("{}:{line}", ctx.file),
    };
    let caller_name = f.get(CALLER_NAME);
    let contact_name = if !caller_name.is_empty() {
        contact_name(caller_name, &src).or_else(|| contact_name(f.get(CLID), &src))
    } else {
        contact_name(f.get(CLID), &src)
    };
    Raw {
        pos: SourcePos {
            file: ctx.file,
            line,
        },
        seq,
        start: None,
        stop: None,
        answer: None,
        answered: false,
        user_offline: None,
        line: None,
        outgoing: false,
        caller_line: Text::default(),
        voicemail_app,
        dst: f.get(DST).into(),
        src,
        contact_name: contact_name.map(Text::from),
        channel,
        dstchannel: f.get(DSTCHANNEL).into(),
        lastdata: f.get(LASTDATA).into(),
        uniqueid,
        linkedid,
        session: f.get(SESSION).into(),
        fallback_key,
        connection_id,
    }
}

/// The rest of a row that rang a line: its line, times, direction and answer.
fn rang(f: &Fields<'_>, mut raw: Raw) -> Result<Raw, RowFault> {
    let line_number = channel_line(&raw.dstchannel).ok_or_else(|| RowFault::NoLine {
        column: f.map.describe(DSTCHANNEL),
        value: raw.dstchannel.to_string(),
    })?;
    let start = f.time(START, None)?;
    let stop = f.stop(start)?;
    let disposition = f.get(DISPOSITION);
    if disposition.is_empty() {
        return Err(RowFault::NoDisposition(f.map.describe(DISPOSITION)));
    }
    let (mut answered, user_offline) = disposition_meaning(disposition);
    direction(f, &mut raw);
    // Grandstream "Answered by": on a row that rang one of ours it names who took the call.
    if !raw.outgoing && answered && names_another_line(f.get(ANSWERED_BY), &line_number) {
        answered = false;
    }
    raw.answer = if !answered {
        None
    } else if f.get(ANSWER).is_empty() {
        Some(start)
    } else {
        Some(f.time(ANSWER, Some(start))?)
    };
    raw.start = Some(start);
    raw.stop = Some(stop);
    raw.answered = answered;
    raw.user_offline = user_offline;
    raw.line = Some(line_number.into());
    Ok(raw)
}

/// Outgoing or not, and the caller's line of an outgoing row.
fn direction(f: &Fields<'_>, raw: &mut Raw) {
    // The caller's line: `src` when it is an extension, else the extension of the source
    // channel (an outbound route may have replaced `src` with the company's number).
    let own_line = if is_extension(&raw.src) {
        Some(raw.src.clone())
    } else {
        channel_line(&raw.channel)
            .filter(|l| is_extension(l))
            .map(Text::from)
    };
    raw.outgoing = if f.map.pos[DST_TRUNK].is_some() || f.map.pos[SRC_TRUNK].is_some() {
        f.get(SRC_TRUNK).is_empty() && !f.get(DST_TRUNK).is_empty()
    } else {
        own_line.is_some() && is_outside_number(&raw.dst)
    };
    raw.caller_line = if raw.outgoing {
        own_line.unwrap_or_else(|| raw.src.clone())
    } else {
        Text::default()
    };
}

/// Grandstream "Answered by" names a line (digits, possibly as `Name <194>`) other than `line`.
/// Anything else (empty, a name) leaves the disposition to decide.
pub(super) fn names_another_line(answered_by: &str, line: &str) -> bool {
    let (_, number) = split_clid(answered_by);
    let who = if number.is_empty() {
        answered_by.trim()
    } else {
        number.as_str()
    };
    !who.is_empty() && who.bytes().all(|b| b.is_ascii_digit()) && who != line
}

/// Digits only, 1 to 5 of them (the default `internal_max_digits`): a user's line.
pub(super) fn is_extension(s: &str) -> bool {
    (1..=5).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
}

/// A dialled number of 6 digits or more (`+` allowed in front): outside the PBX.
pub(super) fn is_outside_number(s: &str) -> bool {
    let d = s.strip_prefix('+').unwrap_or(s);
    d.len() >= 6 && d.bytes().all(|b| b.is_ascii_digit())
}

/// (answered, user_offline) of a disposition word.
pub(super) fn disposition_meaning(word: &str) -> (bool, Option<bool>) {
    let word = word.trim().to_ascii_uppercase();
    match word.as_str() {
        "ANSWERED" => (true, None),
        "BUSY" => (false, Some(false)),
        "FAILED" | "CONGESTION" | "CHANUNAVAIL" => (false, Some(true)),
        _ => (false, None),
    }
}

/// Splits an Asterisk caller id (`"Name" <number>`, `Name <number>`, `<number>`, or a bare
/// name or number) into its name and number, either possibly empty.
pub(super) fn split_clid(clid: &str) -> (String, String) {
    let s = clid.trim();
    if let Some(body) = s.strip_suffix('>') {
        if let Some(lt) = body.rfind('<') {
            let number = body[lt + 1..].trim().to_string();
            return (unquote(body[..lt].trim()), number);
        }
    }
    if looks_like_number(s) {
        (String::new(), s.to_string())
    } else {
        (unquote(s), String::new())
    }
}

/// Removes the quotes around a caller id name and its backslash escapes.
pub(super) fn unquote(s: &str) -> String {
    let inner = match s.strip_prefix('"') {
        Some(rest) => rest.strip_suffix('"').unwrap_or(rest),
        None => s,
    };
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some(next @ ('"' | '\\')) => out.push(next),
                Some(next) => {
                    out.push('\\');
                    out.push(next);
                }
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    out.trim().to_string()
}

/// Written like a phone number: digits and dialling punctuation only, at least one digit.
pub(super) fn looks_like_number(s: &str) -> bool {
    s.chars().any(|c| c.is_ascii_digit())
        && s.chars().all(|c| {
            c.is_ascii_digit() || matches!(c, '+' | '*' | '#' | '-' | '(' | ')' | '/' | '.' | ' ')
        })
}

/// The caller's name from `clid`, unless it is empty or just the number again.
pub(super) fn contact_name(clid: &str, src: &str) -> Option<String> {
    let (name, number) = split_clid(clid);
    if name.is_empty() || name == number || name == src.trim() || looks_like_number(&name) {
        None
    } else {
        Some(name)
    }
}
