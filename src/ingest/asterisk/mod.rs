//! Reader for Asterisk CDR files: `Master.csv` of `cdr_csv` (SPEC §1.2), `cdr_custom` files
//! whose column order the configuration names, and the CDR export of Grandstream UCM systems.
//!
//! # Layouts
//! `cdr_csv` writes no header and one of three layouts, chosen per row by its field count:
//! - 16 columns: `accountcode, src, dst, dcontext, clid, channel, dstchannel, lastapp,
//!   lastdata, start, answer, end, duration, billsec, disposition, amaflags`;
//! - 18 columns (`loguniqueid`, `loguserfield`): the 16 plus `uniqueid, userfield`;
//! - 21 columns (`newcdrcolumns`): the 18 plus `peeraccount, linkedid, sequence`.
//!
//! A `cdr_custom` layout ([`ColumnMap::from_names`]) names its columns in order; its rows must
//! have exactly that many fields. A **Grandstream UCM** export starts with a header row of
//! display names ([`grandstream_header`]: "Caller Number", "Dest. Channel", "Start Time",
//! "Unique ID"… then "Dest Channel Extension", "Caller Name", "Answered by", "Session",
//! "Premier Caller", "Action Type", "Source Trunk Name", "Destination Trunk Name"); the header
//! sets the layout by name (no `[asterisk] columns` needed), is counted as a skipped row, and
//! every later row must have its width.
//!
//! # One call, one chain
//! Asterisk writes a row per dialled target and per Local-channel half, often not in time order
//! and without a shared key. The reader therefore groups the rows of a call before it maps them
//! (it keeps rows until the file has moved an hour past a call's last stop; the whole file at
//! most). Rows are one call, transitively, when
//! - they share `linkedid` (21 columns); without one, when they share `uniqueid` (a channel's
//!   rows: its Dial legs, its Busy/VoiceMail/Queue rows), or Grandstream's Session;
//! - one row's `channel` is the `;2` half of the Local channel that is another row's
//!   `dstchannel` (`Local/1001@from-internal-00000000;1` → `…;2`), and the two overlap in time
//!   (Local channel names are reused after a restart) — Issabel call forwarding;
//! - a `;2` half whose `;1` half is no row's destination (its creator, another Local half such as
//!   FreePBX's `Local/FMPR-1001@…;2`, wrote no row of its own) joins the call of the same `src`
//!   that rang the latest Local channel numbered below it while it was up;
//! - one row's `channel` is another row's (non-Local) `dstchannel`, overlapping: the callee's own
//!   leg (FreePBX `macro-dial-one` rows of the answering phone). That row is
//!   [`Item::Skipped`] ([`SKIP_CALLEE_LEG`]): the other row already records the ring.
//!
//! The **chain key** (`u8sTrackerID`) of every entry of a call: the `linkedid`, else the
//! `uniqueid` of its earliest row, else (16 columns) that row's `channel` + `@` + `start`.
//! **Connection id**, unique per row: `uniqueid/sequence` when there is a sequence, else
//! `uniqueid@line` (the row's line in the file), else `file:line`.
//!
//! # How a row becomes an entry
//! - **Line**: the extension the destination channel stands for ([`channel::channel_line`]):
//!   `SIP/201-0000002a`, `PJSIP/201-…` and `IAX2/201-…` give `201`; `Local/201@ctx-…;1`
//!   gives `201`; `DAHDI/1-1` gives `DAHDI/1` (a DAHDI channel number is not an extension,
//!   so it is kept as a stable id); a trunk (`SIP/stadionpbx-00000005`) gives its peer name,
//!   which belongs to no user. Dial strings give the number dialled (`SIP/trunk/0301234` gives
//!   `0301234`, `SIP/200@pbx` gives `200`), but a URI is not a number
//!   (`PJSIP/201/sip:201@host` gives `201`). FreePBX Local extensions: follow-me
//!   `Local/FMPR-1001@…` (the pre-ring of extension 1001) gives `1001`, `Local/FMGL-1002@…` (the
//!   follow-me list) gives `1002`, `Local/LC-1001@…` (FreePBX 13+ macro-dial-one) gives `1001`,
//!   voicemail `Local/vmu1001@…` (`vmb`, `vms`, `vmi`) gives `1001` and counts as voicemail,
//!   a trailing `#` is dropped; queue members `Local/1001@from-queue/n` and ring-group members
//!   `Local/1001@from-internal` give `1001`.
//! - A row with an **empty `dstchannel`** was handled by the dialplan itself (Answer, IVR,
//!   Playback, Queue with no member rung, VoiceMail…) and rang no phone: it is
//!   [`Item::Skipped`] ([`SKIP_NO_DESTINATION`]), but it still counts for the call's arrival and
//!   for voicemail.
//! - **Local channels** are not de-duplicated: the `;1` half's row (`dstchannel`
//!   `Local/ch1@ctx-…;1`) gives line `ch1`, the `;2` half's own row (`channel`
//!   `Local/ch1@ctx-…;2`, `dstchannel SIP/301-…`) gives line `301`. The chain stage merges one
//!   user's entries into one participant and ignores lines that belong to no user.
//! - **The caller's own line** rung among other lines (his follow-me list, a ring group he is in:
//!   Issabel `Local/FMGL-1002` when 1002 calls 1001) is not a participant: the row is
//!   [`Item::Skipped`] ([`SKIP_OWN_LINE`]) unless it answered. A call whose only line is the
//!   caller's (he dialled himself) keeps it.
//! - **Caller**: `src`, trimmed. **Contact name**: Grandstream's "Caller Name", else the name
//!   part of `clid` (`"Anna Meier" <0301234567>` gives `Anna Meier`) when it is not empty,
//!   differs from the number in `clid` and from `src`, and is not itself written as a phone
//!   number; else none. Bytes that were not valid UTF-8 have been replaced with U+FFFD by the
//!   decoder and stay so.
//! - **Times**: start = `start`, stop = `end`; an empty `end` (Grandstream BUSY / FAILED rows) is
//!   `start` + `duration`. `end` and `answer` are read with `start` as their lower bound, so a
//!   local time in a DST fold resolves forward. An unreadable `start` or `end`, or an empty `end`
//!   without a duration, is an error naming the column and the value (for a row that rang no
//!   phone the times only serve the arrival, and are no error). **Arrival**: every entry whose
//!   start is later than the earliest row of its call (IVR, queue, DID rows included) carries
//!   that time in `arrival`: the chain starts there, the ring time still counts from the first
//!   ring.
//! - **Answered**: connect = `answer` (or `start` when `answer` is empty) only when the
//!   disposition is `ANSWERED` and a person answered:
//!   - a row whose `lastapp` is `VoiceMail` (BugaDM: `dstchannel` still the phone) was answered
//!     by voicemail: no connect, `voicemail` set, its stop is the answer time (the ringing
//!     ended there). With `NO ANSWER` it is a plain missed call, not voicemail;
//!   - a Local `;1` row is answered only when a row of its `;2` half (through further halves)
//!     was answered at a phone; when that half's rows went to `VoiceMail` instead, the `;1` row
//!     went to voicemail. When the half wrote no rows, the disposition stands. Its connect is the
//!     answer of the phone row the call went on to (a Local channel answers at once), if any;
//!   - a `VoiceMail` row that rang no phone (the dialplan's row after `Dial`, `1002@default,b`)
//!     sets `voicemail` on the unanswered entries of the mailbox's line, else on every unanswered
//!     entry that rang before it;
//!   - Grandstream "Answered by", when not empty, names who took the call: an `ANSWERED` row of
//!     another line is not answered by this one. A `NO ANSWER` row with an answer time (a losing
//!     queue agent's row carries the winner's) is not answered.
//! - **Disposition**: every word but `ANSWERED` (`NO ANSWER`, `BUSY`, `FAILED`, `CONGESTION`,
//!   `CANCEL`…) is not answered. `BUSY` means the user was on another call, so was logged on:
//!   `user_offline = Some(false)`. `FAILED`, `CONGESTION` and `CHANUNAVAIL` mean the phone could
//!   not be reached: `user_offline = Some(true)`. Others leave it unknown. An empty disposition
//!   is an error.
//! - **Outgoing**: a row whose source is a user's line dialling outside is an outgoing entry
//!   (`origin` Outgoing: it notifies nobody, it counts for `called_back`), with the user's line
//!   as its line, the dialled number (`dst`) as `phone_number` and a connect time when
//!   answered. Grandstream: the row has a "Destination Trunk Name" and no "Source Trunk Name".
//!   `cdr_csv`: `src` is 1–5 digits (an extension), or else the source `channel` is one
//!   (`SIP/1001-…`, when an outbound route put the company's number in `src`), and `dst` has 6
//!   digits or more (an outside number, `+` allowed); that extension is the entry's line.
//! - Every other entry is incoming, `internal` false (the policy decides internal callers by the
//!   users file), call type 0, not marked as the last of its chain; line user, acceptor,
//!   redirecting number and contact company are unknown. `seq` is the 0-based index of the row
//!   among the file's non-blank lines.
//!
//! # Rows and errors
//! `cdr_csv` writes one row per line, so the reader takes the file line by line and parses each
//! line as one CSV record. Blank lines are ignored; every other line yields exactly one item
//! (entry, skipped row with its reason, or error), in line order within a call. A line that
//! ends inside a quoted field (a row cut off while it was written, or a line break in a field,
//! which cannot be told apart) is an error, and the next line is read as a row of its own: a
//! broken row never swallows the rows after it, which matters for a file that grows for years.
//! Wrong field counts, CSV errors, lines over 1 MiB and unreadable times are errors with the
//! file and line; reading goes on with the next line.

mod channel;
mod columns;
mod group;
mod resolve;
mod row;
#[cfg(test)]
mod tests;

use std::io::BufRead;

use jiff::Timestamp;

pub(crate) use columns::{grandstream_header, looks_like_cdr, ColumnMap};

use group::Grouper;
use resolve::resolve_call;
use row::{parse_row, Raw};

use super::{Item, ReadContext, RowError, SourcePos};
use crate::ingest::csv::{self, BadKind, Dialect, OpenQuote, Record};

/// The reason of [`Item::Skipped`] for a row with an empty `dstchannel`.
pub(crate) const SKIP_NO_DESTINATION: &str =
    "no destination channel (handled by the dialplan, not rung at a phone)";

/// Longest line read; a CDR row is a few hundred bytes.
const MAX_LINE_BYTES: usize = 1 << 20;

/// The reason of [`Item::Skipped`] for the header row of a Grandstream export.
pub(crate) const SKIP_HEADER: &str = "header row (Grandstream UCM CDR export)";
/// The reason of [`Item::Skipped`] for the callee's own row of a leg another row records.
pub(crate) const SKIP_CALLEE_LEG: &str =
    "the callee's own side of a call another row records (its channel is that row's destination)";
/// The reason of [`Item::Skipped`] for the caller's own line rung in a list with other lines.
pub(crate) const SKIP_OWN_LINE: &str =
    "rang the caller's own line among other lines (a follow-me list or ring group with the caller in it)";

/// Streams the rows of a CDR file (already decoded to UTF-8; invalid bytes are replaced
/// anyway). `columns` forces a layout; `None` picks the cdr_csv layout by each row's field
/// count. Yields one item per non-blank line. Never panics on input.
pub(crate) fn read(
    input: Box<dyn BufRead + Send>,
    ctx: ReadContext,
    columns: Option<ColumnMap>,
) -> Box<dyn Iterator<Item = Item> + Send> {
    Box::new(new_rows(input, ctx, columns))
}

fn new_rows(input: Box<dyn BufRead + Send>, ctx: ReadContext, columns: Option<ColumnMap>) -> Rows {
    let dialect = Dialect {
        delimiter: b',',
        open_quote: OpenQuote::EndsLine,
        bare_cr: csv::BareCr::Data,
        max_line_bytes: Some(MAX_LINE_BYTES),
    };
    Rows {
        reader: csv::Reader::new(input, dialect),
        record: Record::default(),
        ctx,
        columns,
        rows: 0,
        done: false,
        calls: Grouper::new(),
        errors: Vec::new(),
        out: std::collections::VecDeque::new(),
        check_every: CHECK_EVERY,
        next_check: CHECK_EVERY,
        window: jiff::SignedDuration::from_secs(CALL_WINDOW_SECONDS),
        watermark: None,
        #[cfg(test)]
        batch: false,
    }
}

/// Rows are grouped into calls in the buffer; every this many buffered rows, the calls whose
/// last row stopped [`CALL_WINDOW_SECONDS`] before the latest start read are handed out.
const CHECK_EVERY: usize = 512;
/// How long after a call's last stop a row of it may still come (rows are written at hangup).
const CALL_WINDOW_SECONDS: i64 = 3600;

struct Rows {
    reader: csv::Reader<Box<dyn BufRead + Send>>,
    /// Reused for every row.
    record: Record,
    ctx: ReadContext,
    columns: Option<ColumnMap>,
    /// Non-blank lines so far (the next row's `seq`).
    rows: u64,
    done: bool,
    /// Rows not handed out yet, grouped into calls as they are read: a call is resolved once
    /// all its rows are in.
    calls: Grouper,
    /// Row errors and skipped rows not handed out yet (they go out with the next calls, in line
    /// order).
    errors: Vec<Item>,
    out: std::collections::VecDeque<Item>,
    /// Every this many more rows kept (and errors), the complete calls are handed out.
    check_every: usize,
    next_check: usize,
    /// [`CALL_WINDOW_SECONDS`].
    window: jiff::SignedDuration,
    /// Tests: hand out as the batch reader did (regroup every open row at each hand-out).
    #[cfg(test)]
    batch: bool,
    /// The latest start read so far.
    watermark: Option<Timestamp>,
}

impl Iterator for Rows {
    type Item = Item;

    fn next(&mut self) -> Option<Item> {
        loop {
            if let Some(item) = self.out.pop_front() {
                return Some(item);
            }
            if self.done {
                if self.pending() == 0 {
                    return None;
                }
                self.flush(true);
                continue;
            }
            let pending = self.pending();
            self.read_one();
            if self.pending() >= self.next_check && self.pending() > pending {
                self.flush(false);
                self.next_check = self.pending() + self.check_every;
            }
        }
    }
}

/// The message of a line that is no CSV record.
fn bad_message(kind: &BadKind) -> String {
    match kind {
        BadKind::Unclosed { column, .. } => format!(
            "column {column} opens a quoted field that is not closed on this line (expected a closing \" before the end of the line; the row was cut off?)"
        ),
        BadKind::Overlong => format!(
            "line is longer than {} MiB (expected a CDR row of a few hundred bytes)",
            MAX_LINE_BYTES >> 20
        ),
        BadKind::Io(e) => format!("cannot read further: {e} (the rest of the file is not read)"),
    }
}

impl Rows {
    /// Rows and errors not handed out yet.
    fn pending(&self) -> usize {
        self.calls.open() + self.errors.len()
    }

    /// Reads the next non-blank line into `pending` (or marks the end).
    fn read_one(&mut self) {
        let read = self.reader.read(&mut self.record);
        let (line, seq) = match &read {
            Ok(false) => {
                self.done = true;
                return;
            }
            Ok(true) => (self.record.line(), self.rows),
            Err(bad) => (bad.line, self.rows),
        };
        let pos = SourcePos {
            file: self.ctx.file,
            line,
        };
        if let Err(bad) = read {
            if matches!(bad.kind, BadKind::Io(_)) {
                self.done = true;
            } else {
                self.rows += 1;
            }
            let message = bad_message(&bad.kind);
            self.errors.push(Item::Error(RowError { pos, message }));
            return;
        }
        self.rows += 1;
        // The first row of a Grandstream export is its header: it sets the layout.
        if seq == 0 {
            if let Some(map) = grandstream_header(&self.record) {
                self.columns = Some(map);
                self.errors.push(Item::Skipped {
                    pos,
                    reason: SKIP_HEADER,
                });
                return;
            }
        }
        match parse_row(&self.record, &self.ctx, self.columns.as_ref(), line, seq) {
            Ok(raw) => {
                if let Some(s) = raw.start {
                    self.watermark = Some(self.watermark.map_or(s, |w| w.max(s)));
                }
                self.calls.add(raw);
            }
            Err(fault) => self.errors.push(Item::Error(RowError {
                pos,
                message: fault.to_string(),
            })),
        }
    }

    /// Resolves the calls that are complete (all when `all`) and queues their items, with the
    /// row errors, in row order.
    fn flush(&mut self, all: bool) {
        let horizon = self.watermark.map(|w| w - self.window);
        let mut items = std::mem::take(&mut self.errors);
        #[cfg(test)]
        if self.batch {
            return self.flush_batch(all, horizon, items);
        }
        for call in self.calls.take_ready(horizon, all) {
            let rows: Vec<&Raw> = call.iter().collect();
            items.extend(resolve_call(&rows));
        }
        items.sort_by_key(item_line);
        self.out.extend(items);
    }
}

#[cfg(test)]
impl Rows {
    /// The batch reader (the oracle of the incremental grouping): every open row regrouped
    /// from scratch at each hand-out.
    fn flush_batch(&mut self, all: bool, horizon: Option<Timestamp>, mut items: Vec<Item>) {
        let mut rows: Vec<Raw> = self
            .calls
            .take_ready(None, true)
            .into_iter()
            .flatten()
            .collect();
        rows.sort_by_key(|r| r.seq);
        let (done, kept) = resolve::resolve(rows, |last| {
            all || matches!((last, horizon), (Some(l), Some(h)) if l < h)
        });
        items.extend(done);
        items.sort_by_key(item_line);
        self.out.extend(items);
        for r in kept {
            self.calls.add(r);
        }
    }
}

/// Tests: a reader that hands out every `check_every` rows with this window, incremental or
/// as the batch reader did.
#[cfg(test)]
fn read_with(
    input: Box<dyn BufRead + Send>,
    ctx: ReadContext,
    check_every: usize,
    window_seconds: i64,
    batch: bool,
) -> Rows {
    let mut rows = new_rows(input, ctx, None);
    rows.check_every = check_every;
    rows.next_check = check_every;
    rows.window = jiff::SignedDuration::from_secs(window_seconds);
    rows.batch = batch;
    rows
}

fn item_line(item: &Item) -> u64 {
    match item {
        Item::Entry(e) => e.pos.line,
        Item::Skipped { pos, .. } => pos.line,
        Item::Error(e) => e.pos.line,
    }
}
