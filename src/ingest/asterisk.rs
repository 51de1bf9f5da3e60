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
//! - **Line**: the extension the destination channel stands for ([`channel_line`]):
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

use std::io::{BufRead, ErrorKind, Read};

use csv::StringRecord;
use jiff::Timestamp;

use super::{Entry, Item, Origin, ReadContext, RowError, SourcePos};

/// The reason of [`Item::Skipped`] for a row with an empty `dstchannel`.
pub const SKIP_NO_DESTINATION: &str =
    "no destination channel (handled by the dialplan, not rung at a phone)";

/// Longest line read; a CDR row is a few hundred bytes.
const MAX_LINE_BYTES: usize = 1 << 20;

/// The `cdr_csv` column names, in `cdr_csv` order (also the names `cdr_custom` layouts use).
const NAMES: [&str; N_NAMES] = [
    "accountcode",
    "src",
    "dst",
    "dcontext",
    "clid",
    "channel",
    "dstchannel",
    "lastapp",
    "lastdata",
    "start",
    "answer",
    "end",
    "duration",
    "billsec",
    "disposition",
    "amaflags",
    "uniqueid",
    "userfield",
    "peeraccount",
    "linkedid",
    "sequence",
    // the columns Grandstream UCM exports add (names of ours; see GRANDSTREAM_HEADER)
    "dstchannel_extension",
    "caller_name",
    "answered_by",
    "session",
    "premier_caller",
    "action_type",
    "source_trunk",
    "destination_trunk",
];

const N_NAMES: usize = 29;

/// The display names of a Grandstream UCM CDR export's header, and the column each stands for
/// (compared ignoring case, blanks and dots).
const GRANDSTREAM_HEADER: [(&str, usize); 26] = [
    ("account code", 0),
    ("caller number", SRC),
    ("callee number", DST),
    ("context", 3),
    ("callerid number", CLID),
    ("source channel", CHANNEL),
    ("dest channel", DSTCHANNEL),
    ("last app", LASTAPP),
    ("last date", LASTDATA),
    ("start time", START),
    ("answer time", ANSWER),
    ("end time", END),
    ("call time", DURATION),
    ("talk time", 13),
    ("disposition", DISPOSITION),
    ("ama flags", 15),
    ("unique id", UNIQUEID),
    ("log userfield", 17),
    ("dest channel extension", 21),
    ("caller name", CALLER_NAME),
    ("answered by", ANSWERED_BY),
    ("session", SESSION),
    ("premier caller", 25),
    ("action type", ACTION_TYPE),
    ("source trunk name", SRC_TRUNK),
    ("destination trunk name", DST_TRUNK),
];

/// The reason of [`Item::Skipped`] for the header row of a Grandstream export.
pub const SKIP_HEADER: &str = "header row (Grandstream UCM CDR export)";

// Indexes into NAMES of the columns the reader uses.
const SRC: usize = 1;
const DST: usize = 2;
const CLID: usize = 4;
const CHANNEL: usize = 5;
const DSTCHANNEL: usize = 6;
const LASTAPP: usize = 7;
const LASTDATA: usize = 8;
const START: usize = 9;
const ANSWER: usize = 10;
const END: usize = 11;
const DURATION: usize = 12;
const DISPOSITION: usize = 14;
const UNIQUEID: usize = 16;
const LINKEDID: usize = 19;
const SEQUENCE: usize = 20;
const CALLER_NAME: usize = 22;
const ANSWERED_BY: usize = 23;
const SESSION: usize = 24;
const ACTION_TYPE: usize = 26;
const SRC_TRUNK: usize = 27;
const DST_TRUNK: usize = 28;

const REQUIRED: [usize; 5] = [SRC, DSTCHANNEL, START, END, DISPOSITION];

/// The disposition words Asterisk writes (and the dial states some setups put there).
const KNOWN_DISPOSITIONS: [&str; 8] = [
    "ANSWERED",
    "NO ANSWER",
    "BUSY",
    "FAILED",
    "CONGESTION",
    "CANCEL",
    "CHANUNAVAIL",
    "UNKNOWN",
];

/// Column layout. cdr_csv writes 16 columns (accountcode, src, dst, dcontext, clid, channel,
/// dstchannel, lastapp, lastdata, start, answer, end, duration, billsec, disposition,
/// amaflags), 18 (+ uniqueid, userfield) or 21 (+ peeraccount, linkedid, sequence).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnMap {
    /// Fields a row of this layout has.
    width: usize,
    /// What the layout came from, for the error messages: "cdr_csv", "the configured cdr_custom
    /// layout", "the Grandstream header".
    source: &'static str,
    /// For each name in `NAMES`, its 0-based field index, if the layout has it.
    pos: [Option<usize>; N_NAMES],
}

impl ColumnMap {
    /// The cdr_csv layout for a row of n fields (16, 18 or 21), None otherwise.
    pub fn cdr_csv(n: usize) -> Option<ColumnMap> {
        if !matches!(n, 16 | 18 | 21) {
            return None;
        }
        let mut pos = [None; N_NAMES];
        for (i, p) in pos.iter_mut().enumerate().take(n) {
            *p = Some(i);
        }
        Some(ColumnMap {
            width: n,
            source: "cdr_csv",
            pos,
        })
    }

    /// A cdr_custom layout from column names in order (config key; names as above, unknown
    /// names allowed only as "" / "-" placeholders or an error naming them; src, dstchannel,
    /// start, end, disposition are required). Names are compared ignoring ASCII case and
    /// surrounding blanks.
    pub fn from_names(names: &[String]) -> Result<ColumnMap, String> {
        let mut pos = [None; N_NAMES];
        let mut unknown = Vec::new();
        let mut twice = Vec::new();
        for (i, raw) in names.iter().enumerate() {
            let name = raw.trim();
            if name.is_empty() || name == "-" {
                continue;
            }
            match NAMES.iter().position(|n| n.eq_ignore_ascii_case(name)) {
                None => unknown.push(format!("{name:?} (column {})", i + 1)),
                Some(k) => match pos[k] {
                    Some(first) => twice.push(format!(
                        "{} (columns {} and {})",
                        NAMES[k],
                        first + 1,
                        i + 1
                    )),
                    None => pos[k] = Some(i),
                },
            }
        }
        if !unknown.is_empty() {
            return Err(format!(
                "unknown CDR column name{} {} (expected one of {}, or \"\" / \"-\" for a column to ignore)",
                plural(unknown.len()),
                unknown.join(", "),
                NAMES.join(", ")
            ));
        }
        if !twice.is_empty() {
            return Err(format!(
                "CDR column named more than once: {} (expected each name at most once)",
                twice.join(", ")
            ));
        }
        let missing: Vec<&str> = REQUIRED
            .iter()
            .filter(|&&k| pos[k].is_none())
            .map(|&k| NAMES[k])
            .collect();
        if !missing.is_empty() {
            return Err(format!(
                "the CDR column list lacks {} (required: src, dstchannel, start, end, disposition)",
                missing.join(", ")
            ));
        }
        Ok(ColumnMap {
            width: names.len(),
            source: "the configured cdr_custom layout",
            pos,
        })
    }

    /// The number of fields a row of this layout has.
    pub fn width(&self) -> usize {
        self.width
    }

    /// The trimmed field of column `k` (an index into `NAMES`); "" when the layout lacks it.
    fn field<'r>(&self, record: &'r StringRecord, k: usize) -> &'r str {
        self.pos[k].and_then(|i| record.get(i)).unwrap_or("").trim()
    }

    /// "column 10 (start)".
    fn describe(&self, k: usize) -> String {
        match self.pos[k] {
            Some(i) => format!("column {} ({})", i + 1, NAMES[k]),
            None => format!("column {}", NAMES[k]),
        }
    }

    fn count_error(&self, found: usize) -> String {
        format!(
            "expected {} columns ({}), found {found}",
            self.width, self.source
        )
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// True when this first record looks like a cdr_csv row (16/18/21 fields, a parsable start
/// timestamp in the right column, a known disposition word). Used for format detection.
pub fn looks_like_cdr(record: &csv::StringRecord) -> bool {
    let Some(map) = ColumnMap::cdr_csv(record.len()) else {
        return false;
    };
    let start = map.field(record, START);
    let disposition = map.field(record, DISPOSITION);
    crate::ingest::time::parse_timestamp(start, &jiff::tz::TimeZone::UTC, None).is_ok()
        && KNOWN_DISPOSITIONS
            .iter()
            .any(|d| d.eq_ignore_ascii_case(disposition))
}

/// The layout of a Grandstream UCM CDR export from its header row (display names such as
/// "Caller Number", "Dest. Channel", "Start Time", "Disposition", "Unique ID"), or None when
/// the record is not such a header. Columns with other names are ignored.
pub fn grandstream_header(record: &csv::StringRecord) -> Option<ColumnMap> {
    let norm = |s: &str| {
        s.trim_start_matches('\u{feff}')
            .chars()
            .filter(|c| *c != '.')
            .collect::<String>()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_ascii_lowercase()
    };
    let mut pos = [None; N_NAMES];
    for (i, name) in record.iter().enumerate() {
        let name = norm(name);
        if let Some(&(_, k)) = GRANDSTREAM_HEADER.iter().find(|(n, _)| *n == name) {
            pos[k].get_or_insert(i);
        }
    }
    let needed = [SRC, DSTCHANNEL, START, DISPOSITION, UNIQUEID];
    needed
        .iter()
        .all(|&k| pos[k].is_some())
        .then_some(ColumnMap {
            width: record.len(),
            source: "the Grandstream header",
            pos,
        })
}

/// Streams the rows of a CDR file (already decoded to UTF-8; invalid bytes are replaced
/// anyway). `columns` forces a layout; `None` picks the cdr_csv layout by each row's field
/// count. Yields one item per non-blank line. Never panics on input.
pub fn read(
    input: Box<dyn BufRead>,
    ctx: ReadContext,
    columns: Option<ColumnMap>,
) -> Box<dyn Iterator<Item = Item>> {
    Box::new(Rows {
        input,
        ctx,
        columns,
        line: 0,
        rows: 0,
        buf: Vec::new(),
        parser: LineParser::default(),
        done: false,
        pending: Vec::new(),
        out: std::collections::VecDeque::new(),
        next_check: CHECK_EVERY,
        watermark: None,
    })
}

/// Rows are grouped into calls in the buffer; every this many buffered rows, the calls whose
/// last row stopped [`CALL_WINDOW_SECONDS`] before the latest start read are handed out.
const CHECK_EVERY: usize = 512;
/// How long after a call's last stop a row of it may still come (rows are written at hangup).
const CALL_WINDOW_SECONDS: i64 = 3600;

struct Rows {
    input: Box<dyn BufRead>,
    ctx: ReadContext,
    columns: Option<ColumnMap>,
    /// Physical lines read so far (1-based number of the current line).
    line: u64,
    /// Non-blank lines so far (the next row's `seq`).
    rows: u64,
    buf: Vec<u8>,
    parser: LineParser,
    done: bool,
    /// Rows (and row errors) not handed out yet: a call is resolved once all its rows are in.
    pending: Vec<Pending>,
    out: std::collections::VecDeque<Item>,
    next_check: usize,
    /// The latest start read so far.
    watermark: Option<Timestamp>,
}

enum Pending {
    Row(Box<Raw>),
    Item(Item),
}

enum Physical {
    Eof,
    /// A line is in `buf` (with its `\n` if it had one); `overlong`: cut at MAX_LINE_BYTES.
    Line {
        overlong: bool,
    },
    Failed(std::io::Error),
}

impl Rows {
    /// Reads the next physical line into `buf`, keeping at most MAX_LINE_BYTES of it.
    fn next_line(&mut self) -> Physical {
        self.buf.clear();
        let mut overlong = false;
        let mut any = false;
        loop {
            let chunk = match self.input.fill_buf() {
                Ok(c) => c,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => return Physical::Failed(e),
            };
            if chunk.is_empty() {
                return if any {
                    Physical::Line { overlong }
                } else {
                    Physical::Eof
                };
            }
            any = true;
            let (take, complete) = match chunk.iter().position(|&b| b == b'\n') {
                Some(i) => (i + 1, true),
                None => (chunk.len(), false),
            };
            let room = MAX_LINE_BYTES.saturating_sub(self.buf.len());
            if take > room {
                overlong = true;
            }
            self.buf.extend_from_slice(&chunk[..take.min(room)]);
            self.input.consume(take);
            if complete {
                return Physical::Line { overlong };
            }
        }
    }

    fn error(&self, line: u64, message: String) -> Item {
        Item::Error(RowError {
            pos: SourcePos {
                file: self.ctx.file.clone(),
                line,
            },
            message,
        })
    }
}

impl Iterator for Rows {
    type Item = Item;

    fn next(&mut self) -> Option<Item> {
        loop {
            if let Some(item) = self.out.pop_front() {
                return Some(item);
            }
            if self.done {
                if self.pending.is_empty() {
                    return None;
                }
                self.flush(true);
                continue;
            }
            let pending = self.pending.len();
            self.read_one();
            if self.pending.len() >= self.next_check && self.pending.len() > pending {
                self.flush(false);
                self.next_check = self.pending.len() + CHECK_EVERY;
            }
        }
    }
}

impl Rows {
    /// Reads the next non-blank line into `pending` (or marks the end).
    fn read_one(&mut self) {
        loop {
            let overlong = match self.next_line() {
                Physical::Eof => {
                    self.done = true;
                    return;
                }
                Physical::Failed(e) => {
                    self.done = true;
                    let item = self.error(
                        self.line + 1,
                        format!("cannot read further: {e} (the rest of the file is not read)"),
                    );
                    self.pending.push(Pending::Item(item));
                    return;
                }
                Physical::Line { overlong } => overlong,
            };
            self.line += 1;
            let line = self.line;
            let decoded = String::from_utf8_lossy(&self.buf);
            let mut text: &str = &decoded;
            text = text.strip_suffix('\n').unwrap_or(text);
            text = text.strip_suffix('\r').unwrap_or(text);
            if line == 1 {
                text = text.strip_prefix('\u{feff}').unwrap_or(text);
            }
            if !overlong && text.trim().is_empty() {
                continue;
            }
            let seq = self.rows;
            self.rows += 1;
            let parsed = if overlong {
                Err(format!(
                    "line is longer than {} MiB (expected a CDR row of a few hundred bytes)",
                    MAX_LINE_BYTES >> 20
                ))
            } else {
                self.parser.parse(text)
            };
            let pos = SourcePos {
                file: self.ctx.file.clone(),
                line,
            };
            let record = match parsed {
                Ok(record) => record,
                Err(message) => {
                    self.pending
                        .push(Pending::Item(Item::Error(RowError { pos, message })));
                    return;
                }
            };
            // The first row of a Grandstream export is its header: it sets the layout.
            if seq == 0 {
                if let Some(map) = grandstream_header(&record) {
                    self.columns = Some(map);
                    self.pending.push(Pending::Item(Item::Skipped {
                        pos,
                        reason: SKIP_HEADER,
                    }));
                    return;
                }
            }
            match parse_row(&record, &self.ctx, self.columns.as_ref(), line, seq) {
                Ok(raw) => {
                    if let Some(s) = raw.start {
                        self.watermark = Some(self.watermark.map_or(s, |w| w.max(s)));
                    }
                    self.pending.push(Pending::Row(Box::new(raw)));
                }
                Err(message) => self
                    .pending
                    .push(Pending::Item(Item::Error(RowError { pos, message }))),
            }
            return;
        }
    }

    /// Resolves the calls that are complete (all when `all`) and queues their items, with the
    /// row errors, in row order.
    fn flush(&mut self, all: bool) {
        let mut rows = Vec::new();
        let mut items = Vec::new();
        for p in std::mem::take(&mut self.pending) {
            match p {
                Pending::Row(r) => rows.push(*r),
                Pending::Item(i) => items.push(i),
            }
        }
        let horizon = self
            .watermark
            .map(|w| w - jiff::SignedDuration::from_secs(CALL_WINDOW_SECONDS));
        let (done, kept) = resolve(rows, |last| {
            all || matches!((last, horizon), (Some(l), Some(h)) if l < h)
        });
        items.extend(done);
        items.sort_by_key(item_line);
        self.out.extend(items);
        self.pending = kept
            .into_iter()
            .map(|r| Pending::Row(Box::new(r)))
            .collect();
    }
}

fn item_line(item: &Item) -> u64 {
    match item {
        Item::Entry(e) => e.pos.line,
        Item::Skipped { pos, .. } => pos.line,
        Item::Error(e) => e.pos.line,
    }
}

/// Parses single lines as CSV records, with one csv reader for the whole file (building a
/// reader for each line would cost more than all the rest of a row's work).
#[derive(Default)]
struct LineParser {
    reader: Option<csv::Reader<LineFeed>>,
    /// Bytes given to `reader` so far.
    fed: u64,
}

/// The csv reader's input: the line being parsed, then the end of input.
#[derive(Default)]
struct LineFeed {
    data: Vec<u8>,
    pos: usize,
}

impl Read for LineFeed {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let rest = &self.data[self.pos..];
        let n = rest.len().min(buf.len());
        buf[..n].copy_from_slice(&rest[..n]);
        self.pos += n;
        Ok(n)
    }
}

impl LineParser {
    /// Parses one line (without its line break) as one CSV record.
    fn parse(&mut self, text: &str) -> Result<StringRecord, String> {
        let reader = self.reader.get_or_insert_with(|| {
            self.fed = 0;
            csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .terminator(csv::Terminator::Any(b'\n'))
                .from_reader(LineFeed::default())
        });
        // The line break is given back so that a quoted field still open at the end of the
        // line swallows it: that is how an unclosed quote shows.
        let feed = reader.get_mut();
        feed.data.clear();
        feed.pos = 0;
        feed.data.extend_from_slice(text.as_bytes());
        feed.data.push(b'\n');
        self.fed += feed.data.len() as u64;
        let mut record = StringRecord::new();
        let result = reader.read_record(&mut record);
        // A record that ran into the end of the input (an open quote), or an error, leaves
        // the reader in a state of its own: the next line gets a fresh one.
        if result.is_err() || reader.is_done() || reader.position().byte() != self.fed {
            self.reader = None;
        }
        match result {
            Ok(true) => {}
            Ok(false) => return Err("expected a CSV row, found nothing".into()),
            Err(e) => return Err(format!("not a CSV row: {e}")),
        }
        if let Some(i) = record.iter().position(|f| f.contains('\n')) {
            return Err(format!(
                "column {} opens a quoted field that is not closed on this line (expected a closing \" before the end of the line; the row was cut off?)",
                i + 1
            ));
        }
        Ok(record)
    }
}

/// What the reader knows of one row before it sees the other rows of its call.
#[derive(Debug, Clone)]
struct Raw {
    pos: SourcePos,
    seq: u64,
    /// The row's own start; None only for a dialplan row whose start is unreadable.
    start: Option<Timestamp>,
    stop: Option<Timestamp>,
    /// The answer time, when the disposition says ANSWERED (else unused).
    answer: Option<Timestamp>,
    /// `disposition` ANSWERED, corrected by Grandstream's "Answered by".
    answered: bool,
    user_offline: Option<bool>,
    /// The line of `dstchannel`; None for a row that rang no phone (empty `dstchannel`).
    line: Option<String>,
    /// The source is a user's line and the dialled number is outside: an outgoing entry.
    outgoing: bool,
    /// The user's line of an outgoing row ("" for others).
    caller_line: String,
    /// `lastapp` VoiceMail (Grandstream: Action Type VM).
    voicemail_app: bool,
    src: String,
    dst: String,
    contact_name: Option<String>,
    channel: String,
    dstchannel: String,
    lastdata: String,
    uniqueid: String,
    linkedid: String,
    session: String,
    /// The channel@start key of a 16-column row (no uniqueid).
    fallback_key: Option<String>,
    connection_id: String,
}

/// Parses one non-blank line into a [`Raw`] row; `Err` is the message of a row error.
fn parse_row(
    record: &StringRecord,
    ctx: &ReadContext,
    columns: Option<&ColumnMap>,
    line: u64,
    seq: u64,
) -> Result<Raw, String> {
    let auto;
    let map = match columns {
        Some(map) if record.len() == map.width => map,
        Some(map) => return Err(map.count_error(record.len())),
        None => match ColumnMap::cdr_csv(record.len()) {
            Some(m) => {
                auto = m;
                &auto
            }
            None => {
                return Err(format!(
                    "expected 16, 18 or 21 columns (cdr_csv), found {}",
                    record.len()
                ))
            }
        },
    };
    let field = |k| map.field(record, k);
    let pos = SourcePos {
        file: ctx.file.clone(),
        line,
    };
    let time = |k: usize, not_before: Option<Timestamp>| -> Result<Timestamp, String> {
        let value = field(k);
        if value.is_empty() {
            return Err(format!(
                "{} is empty (expected a time like 2024-01-27 15:07:24)",
                map.describe(k)
            ));
        }
        crate::ingest::time::parse_timestamp(value, &ctx.time_zone, not_before)
            .map_err(|e| format!("{}: {e}", map.describe(k)))
    };
    // An empty `end` (Grandstream writes none on BUSY / FAILED rows) is `start` + `duration`.
    let stop_of = |start: Timestamp| -> Result<Timestamp, String> {
        if !field(END).is_empty() || field(DURATION).is_empty() {
            return time(END, Some(start));
        }
        let secs: i64 = field(DURATION).parse().map_err(|_| {
            format!(
                "{} is empty and {} is {:?} (expected an end time, or a duration in whole seconds)",
                map.describe(END),
                map.describe(DURATION),
                field(DURATION)
            )
        })?;
        start
            .checked_add(jiff::SignedDuration::from_secs(secs.max(0)))
            .map_err(|e| format!("{}: {e}", map.describe(DURATION)))
    };

    let dstchannel = field(DSTCHANNEL).to_string();
    let src = field(SRC).to_string();
    let disposition = field(DISPOSITION);
    let lastapp = field(LASTAPP);
    let action = field(ACTION_TYPE);
    let voicemail_app = lastapp.eq_ignore_ascii_case("voicemail")
        || is_voicemail_channel(field(DSTCHANNEL))
        || action.eq_ignore_ascii_case("vm")
        || action.to_ascii_uppercase().starts_with("VM[");
    let uniqueid = field(UNIQUEID).to_string();
    let linkedid = field(LINKEDID).to_string();
    let sequence = field(SEQUENCE);
    let channel = field(CHANNEL).to_string();
    let fallback_key = (uniqueid.is_empty() && linkedid.is_empty() && !channel.is_empty())
        .then(|| format!("{channel}@{}", field(START)));
    let connection_id = match (uniqueid.is_empty(), sequence.is_empty()) {
        (false, false) => format!("{uniqueid}/{sequence}"),
        (false, true) => format!("{uniqueid}@{line}"),
        (true, _) => format!("{}:{line}", ctx.file),
    };
    let caller_name = field(CALLER_NAME);
    let contact_name = if !caller_name.is_empty() {
        contact_name(caller_name, &src).or_else(|| contact_name(field(CLID), &src))
    } else {
        contact_name(field(CLID), &src)
    };
    let mut raw = Raw {
        pos,
        seq,
        start: None,
        stop: None,
        answer: None,
        answered: false,
        user_offline: None,
        line: None,
        outgoing: false,
        caller_line: String::new(),
        voicemail_app,
        dst: field(DST).to_string(),
        src,
        contact_name,
        channel,
        dstchannel,
        lastdata: field(LASTDATA).to_string(),
        uniqueid,
        linkedid,
        session: field(SESSION).to_string(),
        fallback_key,
        connection_id,
    };

    if raw.dstchannel.is_empty() {
        // Rang no phone. Its times only serve the call's arrival: unreadable ones are no error.
        raw.start = time(START, None).ok();
        raw.stop = raw.start.and_then(|s| stop_of(s).ok());
        raw.answered = disposition.eq_ignore_ascii_case("ANSWERED");
        return Ok(raw);
    }
    let line_number = channel_line(&raw.dstchannel).ok_or_else(|| {
        format!(
            "{} {:?} names no line (expected a channel like SIP/201-0000002a or Local/201@context-00000001;1)",
            map.describe(DSTCHANNEL),
            raw.dstchannel
        )
    })?;
    let start = time(START, None)?;
    let stop = stop_of(start)?;
    if disposition.is_empty() {
        return Err(format!(
            "{} is empty (expected ANSWERED, NO ANSWER, BUSY, FAILED or CONGESTION)",
            map.describe(DISPOSITION)
        ));
    }
    let (mut answered, user_offline) = disposition_meaning(disposition);
    // Grandstream "Answered by": on a row that rang one of ours it names who took the call.
    let answered_by = field(ANSWERED_BY);
    let src_trunk = field(SRC_TRUNK);
    let dst_trunk = field(DST_TRUNK);
    // The caller's line: `src` when it is an extension, else the extension of the source
    // channel (an outbound route may have replaced `src` with the company's number).
    let own_line = if is_extension(&raw.src) {
        Some(raw.src.clone())
    } else {
        channel_line(&raw.channel).filter(|l| is_extension(l))
    };
    raw.outgoing = if map.pos[DST_TRUNK].is_some() || map.pos[SRC_TRUNK].is_some() {
        src_trunk.is_empty() && !dst_trunk.is_empty()
    } else {
        own_line.is_some() && is_outside_number(&raw.dst)
    };
    raw.caller_line = if raw.outgoing {
        own_line.unwrap_or_else(|| raw.src.clone())
    } else {
        String::new()
    };
    if !raw.outgoing && answered && names_another_line(answered_by, &line_number) {
        answered = false;
    }
    raw.answer = if !answered {
        None
    } else if field(ANSWER).is_empty() {
        Some(start)
    } else {
        Some(time(ANSWER, Some(start))?)
    };
    raw.start = Some(start);
    raw.stop = Some(stop);
    raw.answered = answered;
    raw.user_offline = user_offline;
    raw.line = Some(line_number);
    Ok(raw)
}

/// Grandstream "Answered by" names a line (digits, possibly as `Name <194>`) other than `line`.
/// Anything else (empty, a name) leaves the disposition to decide.
fn names_another_line(answered_by: &str, line: &str) -> bool {
    let (_, number) = split_clid(answered_by);
    let who = if number.is_empty() {
        answered_by.trim()
    } else {
        number.as_str()
    };
    !who.is_empty() && who.bytes().all(|b| b.is_ascii_digit()) && who != line
}

/// Digits only, 1 to 5 of them (the default `internal_max_digits`): a user's line.
fn is_extension(s: &str) -> bool {
    (1..=5).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
}

/// A dialled number of 6 digits or more (`+` allowed in front): outside the PBX.
fn is_outside_number(s: &str) -> bool {
    let d = s.strip_prefix('+').unwrap_or(s);
    d.len() >= 6 && d.bytes().all(|b| b.is_ascii_digit())
}

/// A Local channel half: "Local/1001@from-internal-00000001;2" → ("Local/1001@from-internal-00000001", 2).
fn local_half(channel: &str) -> Option<(&str, u8)> {
    let (tech, _) = channel.split_once('/')?;
    if !tech.eq_ignore_ascii_case("local") {
        return None;
    }
    match channel.rsplit_once(';') {
        Some((base, "1")) => Some((base, 1)),
        Some((base, "2")) => Some((base, 2)),
        _ => None,
    }
}

/// The two intervals overlap (a second of slack for the rounding of CDR times).
fn overlaps(a: &Raw, b: &Raw) -> bool {
    match (a.start, a.stop, b.start, b.stop) {
        (Some(s1), Some(e1), Some(s2), Some(e2)) => {
            let slack = jiff::SignedDuration::from_secs(1);
            s1 <= e2 + slack && s2 <= e1 + slack
        }
        _ => false,
    }
}

struct UnionFind(Vec<usize>);

impl UnionFind {
    fn find(&mut self, i: usize) -> usize {
        let mut r = i;
        while self.0[r] != r {
            r = self.0[r];
        }
        let mut j = i;
        while self.0[j] != r {
            let next = self.0[j];
            self.0[j] = r;
            j = next;
        }
        r
    }
    fn union(&mut self, a: usize, b: usize) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            self.0[ra.max(rb)] = ra.min(rb);
        }
    }
}

/// Groups rows into calls (SPEC §1.2): shared `linkedid`, else shared `uniqueid` or Grandstream
/// Session; a Local channel's `;2` half joins the row whose `dstchannel` is its `;1` half; a
/// callee's own row (its `channel` is another row's `dstchannel`) joins that row; the last two
/// only when the rows overlap in time. Returns the group index of each row.
fn group_rows(rows: &[Raw]) -> Vec<usize> {
    use std::collections::HashMap;
    let mut uf = UnionFind((0..rows.len()).collect());
    let mut keys: HashMap<(u8, &str), usize> = HashMap::new();
    let mut by_dst: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, r) in rows.iter().enumerate() {
        let mut ks: Vec<(u8, &str)> = Vec::new();
        if !r.linkedid.is_empty() {
            ks.push((0, &r.linkedid));
        } else if !r.uniqueid.is_empty() {
            ks.push((1, &r.uniqueid));
        } else if let Some(k) = &r.fallback_key {
            ks.push((2, k));
        }
        if !r.session.is_empty() {
            ks.push((3, &r.session));
        }
        for k in ks {
            match keys.get(&k) {
                Some(&j) => uf.union(i, j),
                None => {
                    keys.insert(k, i);
                }
            }
        }
        if !r.dstchannel.is_empty() {
            by_dst.entry(&r.dstchannel).or_default().push(i);
        }
    }
    for (i, r) in rows.iter().enumerate() {
        if r.channel.is_empty() {
            continue;
        }
        let target = match local_half(&r.channel) {
            Some((base, 2)) => format!("{base};1"),
            Some(_) => continue,
            None => r.channel.clone(),
        };
        if let Some(js) = by_dst.get(target.as_str()) {
            for &j in js {
                if j != i && overlaps(r, &rows[j]) {
                    uf.union(i, j);
                }
            }
        }
    }
    // A `;2` half whose `;1` half is no row's destination was created by the dialplan of
    // another Local half whose own row Asterisk did not write (FreePBX follow-me: the
    // `FMPR-1001` half dials `Local/1001@from-internal`). It joins the call of the same caller
    // that rang the latest Local channel created before it (Local channels are numbered in
    // creation order) while it was up.
    let mut orphans: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, r) in rows.iter().enumerate() {
        if let Some((base, 2)) = local_half(&r.channel) {
            let first = format!("{base};1");
            let linked = by_dst
                .get(first.as_str())
                .is_some_and(|js| js.iter().any(|&j| overlaps(r, &rows[j])));
            if !linked {
                orphans.entry(base).or_default().push(i);
            }
        }
    }
    for (base, members) in orphans {
        let Some(number) = local_number(base) else {
            continue;
        };
        let r = &rows[members[0]];
        let creator = rows
            .iter()
            .enumerate()
            .filter(|(j, q)| {
                !members.contains(j)
                    && !r.src.is_empty()
                    && q.src == r.src
                    && q.start <= r.start
                    && members.iter().any(|&m| overlaps(&rows[m], q))
            })
            .filter_map(|(j, q)| match local_half(&q.dstchannel) {
                Some((b, 1)) => local_number(b)
                    .filter(|n| *n < number)
                    .map(|n| (n, q.start, j)),
                _ => None,
            })
            .max();
        if let Some((_, _, j)) = creator {
            for &m in &members {
                uf.union(m, j);
            }
        }
    }
    (0..rows.len()).map(|i| uf.find(i)).collect()
}

/// The creation number of a Local channel: "Local/1001@from-internal-0000000a" → 10.
fn local_number(base: &str) -> Option<u64> {
    let (_, tail) = base.rsplit_once('-')?;
    u64::from_str_radix(tail, 16).ok()
}

/// The reason of [`Item::Skipped`] for the callee's own row of a leg another row records.
pub const SKIP_CALLEE_LEG: &str =
    "the callee's own side of a call another row records (its channel is that row's destination)";
/// The reason of [`Item::Skipped`] for the caller's own line rung in a list with other lines.
pub const SKIP_OWN_LINE: &str =
    "rang the caller's own line among other lines (a follow-me list or ring group with the caller in it)";

/// Turns the rows of one call into items (SPEC §1.2), in row order.
fn resolve_call(rows: &[&Raw]) -> Vec<Item> {
    use std::collections::{HashMap, HashSet};
    let root = rows
        .iter()
        .min_by_key(|r| (r.start.is_none(), r.start, r.seq))
        .expect("a call has rows");
    let tracker_id = rows
        .iter()
        .find(|r| !r.linkedid.is_empty())
        .map(|r| r.linkedid.clone())
        .or_else(|| (!root.uniqueid.is_empty()).then(|| root.uniqueid.clone()))
        .or_else(|| root.fallback_key.clone());
    let arrival = rows.iter().filter_map(|r| r.start).min();

    // Local halves: the rows each `;2` half made (their channel is `<base>;2`).
    let mut halves: HashMap<&str, Vec<&Raw>> = HashMap::new();
    for r in rows {
        if let Some((base, 2)) = local_half(&r.channel) {
            halves.entry(base).or_default().push(r);
        }
    }
    // Did a person answer behind this `;1` half / did voicemail take it? Some only when the
    // half's rows are in the file.
    fn behind(base: &str, halves: &HashMap<&str, Vec<&Raw>>, depth: u8) -> Option<(bool, bool)> {
        let rows = halves.get(base)?;
        let (mut person, mut voicemail) = (false, false);
        for h in rows {
            if h.voicemail_app && h.answered {
                voicemail = true;
                continue;
            }
            match local_half(&h.dstchannel) {
                Some((next, 1)) if depth < 16 => match behind(next, halves, depth + 1) {
                    Some((p, v)) => {
                        person |= p && h.answered;
                        voicemail |= v;
                    }
                    None => person |= h.answered,
                },
                _ => person |= h.answered && h.line.is_some(),
            }
        }
        Some((person, voicemail))
    }

    let callee_channels: HashSet<&str> = rows
        .iter()
        .filter(|r| !r.dstchannel.is_empty() && local_half(&r.dstchannel).is_none())
        .map(|r| r.dstchannel.as_str())
        .collect();

    struct Decided<'a> {
        raw: &'a Raw,
        connect: Option<Timestamp>,
        voicemail: bool,
        skip: Option<&'static str>,
    }
    let mut decided: Vec<Decided> = rows
        .iter()
        .map(|r| {
            let mut d = Decided {
                raw: r,
                connect: None,
                voicemail: false,
                skip: None,
            };
            if r.line.is_none() {
                d.skip = Some(SKIP_NO_DESTINATION);
                return d;
            }
            if callee_channels.contains(r.channel.as_str())
                && rows
                    .iter()
                    .any(|o| o.dstchannel == r.channel && o.seq != r.seq && overlaps(o, r))
            {
                d.skip = Some(SKIP_CALLEE_LEG);
                return d;
            }
            let mut answered = r.answered;
            if r.voicemail_app && !r.outgoing {
                // voicemail answered the caller, not the line (BugaDM rows 33, 36, 37)
                d.voicemail = answered;
                answered = false;
            } else if let Some((base, 1)) = local_half(&r.dstchannel) {
                if let Some((person, voicemail)) = behind(base, &halves, 0) {
                    d.voicemail = answered && !person && voicemail;
                    answered &= person;
                }
            }
            d.connect = if !answered {
                None
            } else if local_half(&r.dstchannel).is_some() {
                // A Local channel answers at once (FreePBX follow-me, early media): the person
                // answered when the phone the call went on to answered, if a row shows it.
                rows.iter()
                    .filter(|p| {
                        p.line.is_some()
                            && local_half(&p.dstchannel).is_none()
                            && !p.voicemail_app
                            && p.start >= r.start
                    })
                    .filter_map(|p| p.answer)
                    .filter(|a| Some(*a) >= r.answer)
                    .min()
                    .or(r.answer)
            } else {
                r.answer
            };
            d
        })
        .collect();

    // A VoiceMail row that rang no phone (the dialplan's own row after Dial): the mailbox's
    // line, else every line that did not answer before it, went to voicemail.
    for vm in rows
        .iter()
        .filter(|r| r.line.is_none() && r.voicemail_app && r.answered)
    {
        let mailbox = vm
            .lastdata
            .split(['@', ',', '&'])
            .next()
            .unwrap_or("")
            .trim();
        let open = |d: &Decided| {
            d.skip.is_none() && !d.raw.outgoing && d.connect.is_none() && d.raw.line.is_some()
        };
        let by_mailbox = decided
            .iter()
            .any(|d| open(d) && d.raw.line.as_deref() == Some(mailbox));
        for d in decided.iter_mut() {
            if open(d)
                && (if by_mailbox {
                    d.raw.line.as_deref() == Some(mailbox)
                } else {
                    d.raw.start <= vm.start
                })
            {
                d.voicemail = true;
            }
        }
    }

    // The caller's own line rung together with other lines is not a participant.
    let lines: HashSet<&str> = decided
        .iter()
        .filter(|d| d.skip.is_none() && !d.raw.outgoing)
        .filter_map(|d| d.raw.line.as_deref())
        .collect();
    for d in decided.iter_mut() {
        if d.skip.is_none()
            && !d.raw.outgoing
            && d.connect.is_none()
            && d.raw.line.as_deref() == Some(d.raw.src.as_str())
            && lines.len() > 1
        {
            d.skip = Some(SKIP_OWN_LINE);
        }
    }

    decided
        .into_iter()
        .map(|d| {
            let r = d.raw;
            if let Some(reason) = d.skip {
                return Item::Skipped {
                    pos: r.pos.clone(),
                    reason,
                };
            }
            let start = r.start.expect("a row that rang a line has a start");
            let (origin, line_number, phone_number) = if r.outgoing {
                (Origin::Outgoing, r.caller_line.clone(), r.dst.clone())
            } else {
                (
                    Origin::Incoming,
                    r.line.clone().unwrap_or_default(),
                    r.src.clone(),
                )
            };
            Item::Entry(Box::new(Entry {
                pos: r.pos.clone(),
                seq: r.seq,
                connection_id: r.connection_id.clone(),
                tracker_id: tracker_id.clone(),
                start,
                // voicemail took the call when it answered: the line stopped ringing then
                stop: match (d.voicemail, r.answer) {
                    (true, Some(a)) => a,
                    _ => r.stop.unwrap_or(start),
                },
                connect: d.connect,
                origin,
                internal: false,
                line_number,
                line_user: None,
                user_offline: r.user_offline,
                phone_number,
                redirecting_number: None,
                contact_name: r.contact_name.clone(),
                contact_company: None,
                acceptor: None,
                tracker_last: false,
                call_type: 0,
                voicemail: d.voicemail,
                arrival: arrival.filter(|a| *a < start),
            }))
        })
        .collect()
}

/// Groups `rows` into calls and returns the items of the calls `ready` accepts (by the latest
/// stop of the call), keeping the other rows.
fn resolve(rows: Vec<Raw>, ready: impl Fn(Option<Timestamp>) -> bool) -> (Vec<Item>, Vec<Raw>) {
    let groups = group_rows(&rows);
    let mut members: std::collections::BTreeMap<usize, Vec<usize>> = Default::default();
    for (i, g) in groups.iter().enumerate() {
        members.entry(*g).or_default().push(i);
    }
    let mut out = Vec::new();
    let mut keep = vec![false; rows.len()];
    for idx in members.values() {
        let last = idx
            .iter()
            .filter_map(|&i| rows[i].stop.or(rows[i].start))
            .max();
        if ready(last) {
            let call: Vec<&Raw> = idx.iter().map(|&i| &rows[i]).collect();
            out.extend(resolve_call(&call));
        } else {
            for &i in idx {
                keep[i] = true;
            }
        }
    }
    let kept = rows
        .into_iter()
        .zip(keep)
        .filter_map(|(r, k)| k.then_some(r))
        .collect();
    (out, kept)
}

/// (answered, user_offline) of a disposition word.
fn disposition_meaning(word: &str) -> (bool, Option<bool>) {
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
fn split_clid(clid: &str) -> (String, String) {
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
fn unquote(s: &str) -> String {
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
fn looks_like_number(s: &str) -> bool {
    s.chars().any(|c| c.is_ascii_digit())
        && s.chars().all(|c| {
            c.is_ascii_digit() || matches!(c, '+' | '*' | '#' | '-' | '(' | ')' | '/' | '.' | ' ')
        })
}

/// The caller's name from `clid`, unless it is empty or just the number again.
fn contact_name(clid: &str, src: &str) -> Option<String> {
    let (name, number) = split_clid(clid);
    if name.is_empty() || name == number || name == src.trim() || looks_like_number(&name) {
        None
    } else {
        Some(name)
    }
}

/// The line (extension) a channel name stands for: "SIP/201-0000002a" → "201",
/// "PJSIP/201-00000001" → "201", "IAX2/201-1234" → "201", "DAHDI/1-1" → "DAHDI/1" (a DAHDI
/// channel number is not an extension: a stable id is kept), "Local/201@from-queue-00000001;1"
/// → "201", "SIP/stadionpbx-00000005" → "stadionpbx" (a trunk/peer name; the chain stage
/// will simply not find a user for it), "" → None.
///
/// Dial strings are read too: "SIP/trunk/0301234" → "0301234" (the number dialled at that
/// peer), "SIP/200@stadionpbx" → "200", "PJSIP/201/sip:201@10.0.0.5" → "201" (a URI after
/// the slash is not a number), "Local/201@ctx" and "Local/201@ctx/n" → "201". Masquerade tags
/// (`…<ZOMBIE>`, `…<MASQ>`) are ignored.
pub fn channel_line(channel: &str) -> Option<String> {
    let mut s = channel.trim();
    while let Some(body) = s.strip_suffix('>') {
        match body.rfind('<') {
            Some(i) => s = body[..i].trim_end(),
            None => break,
        }
    }
    let Some((tech, rest)) = s.split_once('/') else {
        return non_empty(s);
    };
    let tech = tech.trim();
    if tech.is_empty() {
        return None;
    }
    if tech.eq_ignore_ascii_case("local") {
        // Local/<exten>@<context>[-<seq>][;<half>][/<options>]
        let rest = match rest.rsplit_once(';') {
            Some((body, half)) if !half.is_empty() && half.bytes().all(|b| b.is_ascii_digit()) => {
                body
            }
            _ => rest,
        };
        let exten = rest.split('@').next().unwrap_or("");
        let exten = exten.split('/').next().unwrap_or("");
        return non_empty(freepbx_exten(exten));
    }
    let mut segments = rest.split('/');
    let first = segments.next().unwrap_or("");
    if tech.eq_ignore_ascii_case("dahdi") || tech.eq_ignore_ascii_case("zap") {
        // DAHDI/<channel>-<seq>, DAHDI/i<span>/<number>-<seq>: keep the channel or span.
        let id = strip_sequence(first.trim());
        return non_empty(id).map(|id| format!("{tech}/{id}"));
    }
    // Dial string TECH/<peer>/<exten>[@context]: the extension dialled at that peer.
    let second = segments.next().unwrap_or("").trim();
    if !second.is_empty() && !second.contains(':') {
        if let Some(exten) = non_empty(second.split('@').next().unwrap_or("")) {
            return Some(exten);
        }
    }
    // Channel TECH/<peer>-<seq>, or dial string TECH/[<exten>@]<peer>[:<port>].
    let name = strip_sequence(first.trim());
    let name = match name.split_once('@') {
        Some((exten, _)) if !exten.trim().is_empty() => exten,
        _ => name,
    };
    non_empty(strip_port(name))
}

/// FreePBX's Local-channel extensions name the extension they stand for: follow-me
/// `FMPR-1001` (the pre-ring of extension 1001) and `FMGL-1002` (its follow-me list, here 1002),
/// `LC-1001` (FreePBX 13+ `macro-dial-one`), voicemail `vmb1001` / `vmu1001` / `vms1001` /
/// `vmi1001` (busy, unavailable, no message, instructions of mailbox 1001); a trailing `#`
/// (ring group member dialled as an outside number) is dropped. Anything else is kept.
fn freepbx_exten(exten: &str) -> &str {
    let e = exten.trim();
    let e = e.strip_suffix('#').unwrap_or(e);
    for prefix in ["FMPR-", "FMGL-", "LC-"] {
        if let Some(rest) = e.strip_prefix(prefix) {
            if !rest.is_empty() {
                return rest;
            }
        }
    }
    voicemail_exten(e).unwrap_or(e)
}

/// The mailbox of a FreePBX voicemail extension (`vmu1001` → `1001`), else None.
fn voicemail_exten(exten: &str) -> Option<&str> {
    ["vmb", "vmu", "vms", "vmi"].iter().find_map(|p| {
        exten
            .strip_prefix(p)
            .filter(|rest| !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit()))
    })
}

/// A `Local/vmu1001@…` style channel: the call was sent to voicemail box 1001.
fn is_voicemail_channel(channel: &str) -> bool {
    let Some((tech, rest)) = channel.trim().split_once('/') else {
        return false;
    };
    tech.eq_ignore_ascii_case("local")
        && voicemail_exten(rest.split('@').next().unwrap_or("").trim()).is_some()
}

/// "201-0000002a" → "201": drops the hexadecimal channel sequence Asterisk appends.
fn strip_sequence(s: &str) -> &str {
    match s.rsplit_once('-') {
        Some((head, tail)) if !tail.is_empty() && tail.bytes().all(|b| b.is_ascii_hexdigit()) => {
            head
        }
        _ => s,
    }
}

/// "peer:5060" → "peer"; IPv6 hosts in brackets keep their colons.
fn strip_port(s: &str) -> &str {
    if s.starts_with('[') {
        return match s.find(']') {
            Some(i) => &s[..=i],
            None => s,
        };
    }
    match s.rsplit_once(':') {
        Some((head, port)) if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => head,
        _ => s,
    }
}

fn non_empty(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_string())
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;
    use std::path::{Path, PathBuf};
    use std::sync::Arc;

    use jiff::tz::TimeZone;
    use proptest::prelude::*;

    use super::*;
    use crate::ingest::RowError;

    fn ctx_in(zone: &str) -> ReadContext {
        ReadContext {
            file: Arc::from("Master.csv"),
            time_zone: TimeZone::get(zone).unwrap(),
        }
    }

    fn ctx() -> ReadContext {
        ctx_in("Europe/Berlin")
    }

    fn read_bytes(bytes: &[u8], columns: Option<ColumnMap>) -> Vec<Item> {
        read(Box::new(Cursor::new(bytes.to_vec())), ctx(), columns).collect()
    }

    fn read_str(text: &str) -> Vec<Item> {
        read_bytes(text.as_bytes(), None)
    }

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn line_of(item: &Item) -> u64 {
        match item {
            Item::Entry(e) => e.pos.line,
            Item::Skipped { pos, .. } => pos.line,
            Item::Error(e) => e.pos.line,
        }
    }

    fn entry(item: &Item) -> &Entry {
        match item {
            Item::Entry(e) => e,
            other => panic!("expected an entry, got {other:?}"),
        }
    }

    fn error(item: &Item) -> &RowError {
        match item {
            Item::Error(e) => e,
            other => panic!("expected an error, got {other:?}"),
        }
    }

    /// Quotes a field the way cdr_csv does.
    fn quote(field: &str) -> String {
        format!("\"{}\"", field.replace('"', "\"\""))
    }

    fn join(fields: &[String]) -> String {
        fields
            .iter()
            .map(|f| quote(f))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// A 21-column row: Anna Meier (0301234567) rings SIP/201, not answered.
    fn fields21() -> Vec<String> {
        [
            "",
            "0301234567",
            "201",
            "from-trunk",
            "\"Anna Meier\" <0301234567>",
            "SIP/trunk-00000001",
            "SIP/201-0000002a",
            "Dial",
            "SIP/201,30",
            "2026-11-26 09:14:03",
            "",
            "2026-11-26 09:14:20",
            "17",
            "0",
            "NO ANSWER",
            "DOCUMENTATION",
            "1764144843.10",
            "",
            "",
            "1764144843.7",
            "12",
        ]
        .map(String::from)
        .to_vec()
    }

    fn with(mut fields: Vec<String>, changes: &[(usize, &str)]) -> Vec<String> {
        for &(k, v) in changes {
            fields[k] = v.to_string();
        }
        fields
    }

    fn one(fields: &[String]) -> Item {
        let mut items = read_str(&join(fields));
        assert_eq!(items.len(), 1, "{items:?}");
        items.remove(0)
    }

    #[test]
    fn channel_lines() {
        let cases: &[(&str, Option<&str>)] = &[
            ("SIP/201-0000002a", Some("201")),
            ("PJSIP/201-00000001", Some("201")),
            ("IAX2/201-1234", Some("201")),
            ("DAHDI/1-1", Some("DAHDI/1")),
            ("DAHDI/i1/0301234-5", Some("DAHDI/i1")),
            ("Zap/3-1", Some("Zap/3")),
            ("Local/201@from-queue-00000001;1", Some("201")),
            // FreePBX conventions (Issabel Master.csv)
            ("Local/FMPR-1001@from-internal-00000000;1", Some("1001")),
            ("Local/FMGL-1002@from-internal-00000001;1", Some("1002")),
            ("Local/FMPR-1001@from-internal", Some("1001")),
            ("Local/LC-1001@from-internal-0000000a;1", Some("1001")),
            ("Local/vmu1001@ext-local-00000002;1", Some("1001")),
            ("Local/0301234#@from-internal-00000003;1", Some("0301234")),
            ("Local/FMPR-@from-internal-1;1", Some("FMPR-")),
            ("Local/201@from-queue-00000001;2", Some("201")),
            ("Local/ch1@TimeDelay-00000000;2", Some("ch1")),
            ("Local/201@from-queue", Some("201")),
            ("Local/201@from-queue/n", Some("201")),
            ("local/201@ctx-1;1", Some("201")),
            ("SIP/stadionpbx-00000005", Some("stadionpbx")),
            ("SIP/my-trunk-0000001f", Some("my-trunk")),
            ("SIP/10.0.0.5-00000001", Some("10.0.0.5")),
            ("SIP/trunk/0301234", Some("0301234")),
            ("SIP/200@stadionpbx", Some("200")),
            ("SIP/200@stadionpbx:5060", Some("200")),
            ("SIP/stadionpbx:5060", Some("stadionpbx")),
            ("SIP/[2001:db8::1]-00000001", Some("[2001:db8::1]")),
            ("PJSIP/201/sip:201@10.0.0.5:5060", Some("201")),
            ("IAX2/peer/201@default", Some("201")),
            ("SIP/201-0000002a<ZOMBIE>", Some("201")),
            ("Local/201@ctx-0001;1<MASQ>", Some("201")),
            ("  SIP/201-0000002a  ", Some("201")),
            ("SIP/201", Some("201")),
            ("201", Some("201")),
            ("SIP/Jürgen-0000002a", Some("Jürgen")),
            ("PJSIP/日本-00000001", Some("日本")),
            ("SIP/\u{fffd}\u{fffd}-1", Some("\u{fffd}\u{fffd}")),
            ("", None),
            ("   ", None),
            ("SIP/", None),
            ("SIP/ ", None),
            ("///", None),
            ("/201", None),
            ("SIP/-0000002a", None),
            ("Local/;2", None),
            ("Local/@ctx-1;1", None),
            ("DAHDI/", None),
            ("DAHDI/-1", None),
            ("<ZOMBIE>", None),
        ];
        for (channel, want) in cases {
            assert_eq!(
                channel_line(channel).as_deref(),
                *want,
                "channel_line({channel:?})"
            );
        }
    }

    #[test]
    fn dispositions() {
        // (word, answered, user_offline)
        let cases: &[(&str, bool, Option<bool>)] = &[
            ("ANSWERED", true, None),
            ("answered", true, None),
            ("NO ANSWER", false, None),
            ("BUSY", false, Some(false)),
            ("FAILED", false, Some(true)),
            ("CONGESTION", false, Some(true)),
            ("CHANUNAVAIL", false, Some(true)),
            ("CANCEL", false, None),
            ("WHATEVER", false, None),
        ];
        for (word, answered, offline) in cases {
            let item = one(&with(fields21(), &[(DISPOSITION, word)]));
            let e = entry(&item);
            let want = answered.then(|| ts("2026-11-26T08:14:03Z"));
            assert_eq!(e.connect, want, "{word}");
            assert_eq!(e.user_offline, *offline, "{word}");
        }
        // an answer time is the connect time; a NO ANSWER row's answer column is not used
        let answered = one(&with(
            fields21(),
            &[(DISPOSITION, "ANSWERED"), (ANSWER, "2026-11-26 09:14:09")],
        ));
        assert_eq!(entry(&answered).connect, Some(ts("2026-11-26T08:14:09Z")));
        let not = one(&with(fields21(), &[(ANSWER, "2026-11-26 09:14:09")]));
        assert_eq!(entry(&not).connect, None);
        // empty disposition is an error
        let item = one(&with(fields21(), &[(DISPOSITION, " ")]));
        let e = error(&item);
        assert!(
            e.message.contains("column 15 (disposition) is empty"),
            "{e}"
        );
    }

    #[test]
    fn clid_forms() {
        // (clid, src, contact name)
        let cases: &[(&str, &str, Option<&str>)] = &[
            (
                "\"Anna Meier\" <0301234567>",
                "0301234567",
                Some("Anna Meier"),
            ),
            ("<0301234567>", "0301234567", None),
            ("Anna Meier <0301234567>", "0301234567", Some("Anna Meier")),
            ("Anna Meier", "0301234567", Some("Anna Meier")),
            ("0301234567", "0301234567", None),
            ("\"0301234567\" <0301234567>", "0301234567", None),
            ("\"+49 30 1234567\" <0301234567>", "0301234567", None),
            (
                "\"Anna \"Ani\" Meier\" <0301234567>",
                "0301234567",
                Some("Anna \"Ani\" Meier"),
            ),
            (
                "\"Anna \\\"Ani\\\" Meier\" <0301234567>",
                "0301234567",
                Some("Anna \"Ani\" Meier"),
            ),
            (
                "\"Meier <GmbH>\" <0301234567>",
                "0301234567",
                Some("Meier <GmbH>"),
            ),
            ("\"\" <0301234567>", "0301234567", None),
            ("\"  \" <0301234567>", "0301234567", None),
            ("\"Anna", "", Some("Anna")),
            ("", "0301234567", None),
            (
                "\"M\u{fffd}ller\" <0301234567>",
                "0301234567",
                Some("M\u{fffd}ller"),
            ),
            ("\"0301234567\" <>", "0301234567", None),
            ("\"bob\" <bob>", "0301234567", None),
        ];
        for (clid, src, want) in cases {
            let item = one(&with(fields21(), &[(CLID, clid), (SRC, src)]));
            let e = entry(&item);
            assert_eq!(e.contact_name.as_deref(), *want, "clid {clid:?}");
            assert_eq!(e.phone_number, *src, "clid {clid:?}");
        }
        // the caller is src, trimmed
        let item = one(&with(fields21(), &[(SRC, "  0301234567 ")]));
        assert_eq!(entry(&item).phone_number, "0301234567");
    }

    #[test]
    fn layouts_16_18_21() {
        let f21 = fields21();
        let f18: Vec<String> = f21[..18].to_vec();
        let f16: Vec<String> = f21[..16].to_vec();
        let text = [join(&f16), join(&f18), join(&f21)].join("\n");
        let items = read_str(&text);
        assert_eq!(items.len(), 3);

        let e16 = entry(&items[0]);
        assert_eq!(
            e16.tracker_id.as_deref(),
            Some("SIP/trunk-00000001@2026-11-26 09:14:03")
        );
        assert_eq!(e16.connection_id, "Master.csv:1");
        let e18 = entry(&items[1]);
        assert_eq!(e18.tracker_id.as_deref(), Some("1764144843.10"));
        assert_eq!(e18.connection_id, "1764144843.10@2");
        let e21 = entry(&items[2]);
        assert_eq!(e21.tracker_id.as_deref(), Some("1764144843.7"));
        assert_eq!(e21.connection_id, "1764144843.10/12");

        for (i, e) in [e16, e18, e21].into_iter().enumerate() {
            assert_eq!(e.seq, i as u64);
            assert_eq!(e.pos.line, i as u64 + 1);
            assert_eq!(&*e.pos.file, "Master.csv");
            assert_eq!(e.line_number, "201");
            assert_eq!(e.phone_number, "0301234567");
            assert_eq!(e.contact_name.as_deref(), Some("Anna Meier"));
            assert_eq!(e.start, ts("2026-11-26T08:14:03Z"));
            assert_eq!(e.stop, ts("2026-11-26T08:14:20Z"));
            assert_eq!(e.connect, None);
            assert_eq!(e.origin, Origin::Incoming);
            assert!(!e.internal);
            assert_eq!(e.call_type, 0);
            assert!(!e.tracker_last);
            assert_eq!(e.user_offline, None);
            assert!(e.line_user.is_none() && e.acceptor.is_none());
            assert!(e.redirecting_number.is_none() && e.contact_company.is_none());
        }

        // fallbacks: no linkedid → uniqueid; no sequence → uniqueid@line; nothing → file:line
        let items = read_str(
            &[
                join(&with(fields21(), &[(LINKEDID, "")])),
                join(&with(fields21(), &[(SEQUENCE, "")])),
                join(&with(fields21(), &[(LINKEDID, ""), (UNIQUEID, "")])),
                join(&with(
                    fields21(),
                    &[(LINKEDID, ""), (UNIQUEID, ""), (CHANNEL, "")],
                )),
            ]
            .join("\n"),
        );
        let e = entry(&items[0]);
        assert_eq!(e.tracker_id.as_deref(), Some("1764144843.10"));
        let e = entry(&items[1]);
        assert_eq!(e.connection_id, "1764144843.10@2");
        assert_eq!(e.tracker_id.as_deref(), Some("1764144843.7"));
        let e = entry(&items[2]);
        assert_eq!(
            e.tracker_id.as_deref(),
            Some("SIP/trunk-00000001@2026-11-26 09:14:03")
        );
        assert_eq!(e.connection_id, "Master.csv:3");
        let e = entry(&items[3]);
        assert_eq!(e.tracker_id, None);
        assert_eq!(e.connection_id, "Master.csv:4");
    }

    #[test]
    fn wrong_column_counts() {
        let f21 = fields21();
        for n in [1, 15, 17, 19, 20, 22, 30] {
            let fields: Vec<String> = (0..n).map(|i| f21[i % 21].clone()).collect();
            let item = one(&fields);
            let e = error(&item);
            assert_eq!(
                e.message,
                format!("expected 16, 18 or 21 columns (cdr_csv), found {n}")
            );
            assert_eq!(e.pos.line, 1);
            assert_eq!(e.to_string(), format!("Master.csv:1: {}", e.message));
        }
        // a forced layout takes only its own width
        let forced = ColumnMap::cdr_csv(21).unwrap();
        let items = read_bytes(join(&f21[..16]).as_bytes(), Some(forced.clone()));
        assert_eq!(
            error(&items[0]).message,
            "expected 21 columns (cdr_csv), found 16"
        );
        let items = read_bytes(join(&f21).as_bytes(), Some(forced));
        assert_eq!(entry(&items[0]).line_number, "201");
        assert_eq!(ColumnMap::cdr_csv(18).map(|m| m.width()), Some(18));
        for n in [0, 15, 17, 19, 20, 22] {
            assert!(ColumnMap::cdr_csv(n).is_none(), "{n}");
        }
    }

    #[test]
    fn cdr_custom_layouts() {
        let names = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let map = ColumnMap::from_names(&names(&[
            "Start",
            " end ",
            "-",
            "src",
            "clid",
            "dstchannel",
            "",
            "disposition",
            "uniqueid",
            "answer",
        ]))
        .unwrap();
        assert_eq!(map.width(), 10);
        let row = join(
            &[
                "2026-11-26 09:14:03",
                "2026-11-26 09:14:20",
                "junk",
                "0301234567",
                "\"Anna Meier\" <0301234567>",
                "PJSIP/202-00000001",
                "",
                "ANSWERED",
                "1764144843.10",
                "2026-11-26 09:14:10",
            ]
            .map(String::from),
        );
        let items = read_bytes(format!("{row}\n{row},\"x\"\n").as_bytes(), Some(map));
        let e = entry(&items[0]);
        assert_eq!(e.line_number, "202");
        assert_eq!(e.tracker_id.as_deref(), Some("1764144843.10"));
        assert_eq!(e.connection_id, "1764144843.10@1");
        assert_eq!(e.connect, Some(ts("2026-11-26T08:14:10Z")));
        assert_eq!(e.contact_name.as_deref(), Some("Anna Meier"));
        assert_eq!(
            error(&items[1]).message,
            "expected 10 columns (the configured cdr_custom layout), found 11"
        );

        let bad = ColumnMap::from_names(&names(&[
            "src",
            "dstchannel",
            "start",
            "end",
            "disposition",
            "caller",
            "x",
        ]))
        .unwrap_err();
        assert!(bad.contains("\"caller\" (column 6)"), "{bad}");
        assert!(bad.contains("\"x\" (column 7)"), "{bad}");
        assert!(bad.starts_with("unknown CDR column names"), "{bad}");

        let missing = ColumnMap::from_names(&names(&["src", "dstchannel", "answer"])).unwrap_err();
        assert!(
            missing.contains("lacks start, end, disposition"),
            "{missing}"
        );
        let none = ColumnMap::from_names(&[]).unwrap_err();
        assert!(
            none.contains("lacks src, dstchannel, start, end, disposition"),
            "{none}"
        );

        let twice = ColumnMap::from_names(&names(&[
            "src",
            "dstchannel",
            "start",
            "end",
            "disposition",
            "SRC",
        ]))
        .unwrap_err();
        assert!(twice.contains("src (columns 1 and 6)"), "{twice}");
    }

    #[test]
    fn bad_times_are_errors_naming_column_and_value() {
        let cases: &[(usize, &str, &str)] = &[
            (START, "", "column 10 (start) is empty"),
            (
                START,
                "yesterday",
                "column 10 (start): \"yesterday\" is not a timestamp",
            ),
            (END, "", "column 12 (end) is empty"),
            (
                END,
                "2026-13-01 00:00:00",
                "column 12 (end): \"2026-13-01 00:00:00\"",
            ),
        ];
        for (k, value, want) in cases {
            // (an empty end is start + duration; without a duration it is an error)
            let item = one(&with(fields21(), &[(*k, value), (DURATION, "")]));
            let e = error(&item);
            assert!(e.message.starts_with(want), "{value:?}: {e}");
            assert!(e.message.contains("expected"), "{value:?}: {e}");
        }
        // a broken answer time only matters when the row was answered
        let item = one(&with(
            fields21(),
            &[(DISPOSITION, "ANSWERED"), (ANSWER, "soon")],
        ));
        assert!(error(&item)
            .message
            .starts_with("column 11 (answer): \"soon\""));
        let item = one(&with(fields21(), &[(ANSWER, "soon")]));
        assert!(matches!(item, Item::Entry(_)));
        // an empty end with a duration that is not a number
        let item = one(&with(fields21(), &[(END, ""), (DURATION, "long")]));
        assert_eq!(
            error(&item).message,
            "column 12 (end) is empty and column 13 (duration) is \"long\" (expected an end time, or a duration in whole seconds)"
        );
    }

    #[test]
    fn empty_end_is_start_plus_duration() {
        // Grandstream excerpt line 531: an outgoing BUSY row with no End Time, Call Time 29
        let e = entry(&one(&with(fields21(), &[(END, ""), (DURATION, "29")]))).clone();
        assert_eq!(e.start, ts("2026-11-26T08:14:03Z"));
        assert_eq!(e.stop, ts("2026-11-26T08:14:32Z"));
    }

    #[test]
    fn dst_fold_resolves_forward() {
        // 2026-10-25 02:30 happens twice in Berlin; the end lies after the start
        let fields = with(
            fields21(),
            &[
                (START, "2026-10-25 02:59:00"),
                (ANSWER, "2026-10-25 02:00:30"),
                (END, "2026-10-25 02:01:00"),
                (DISPOSITION, "ANSWERED"),
            ],
        );
        let item = one(&fields);
        let e = entry(&item);
        assert_eq!(e.start, ts("2026-10-25T00:59:00Z"));
        assert_eq!(e.connect, Some(ts("2026-10-25T01:00:30Z")));
        assert_eq!(e.stop, ts("2026-10-25T01:01:00Z"));
    }

    #[test]
    fn dialplan_rows_are_skipped() {
        let item = one(&with(fields21(), &[(DSTCHANNEL, ""), (START, "")]));
        match item {
            Item::Skipped { pos, reason } => {
                assert_eq!(pos.line, 1);
                assert_eq!(reason, SKIP_NO_DESTINATION);
            }
            other => panic!("expected skipped, got {other:?}"),
        }
        let item = one(&with(fields21(), &[(DSTCHANNEL, "SIP/")]));
        let e = error(&item);
        assert!(
            e.message
                .starts_with("column 7 (dstchannel) \"SIP/\" names no line"),
            "{e}"
        );
    }

    #[test]
    fn lines_blanks_and_line_breaks() {
        let row = join(&fields21());
        let text = format!("\n{row}\r\n   \r\n\n{row}\n\u{feff}{row}");
        let items = read_str(&format!("\u{feff}{text}"));
        assert_eq!(items.iter().map(line_of).collect::<Vec<_>>(), [2, 5, 6]);
        assert_eq!(entry(&items[0]).seq, 0);
        assert_eq!(entry(&items[1]).seq, 1);
        // a BOM is only a BOM at the start of the file
        assert!(matches!(items[2], Item::Entry(_)));
        assert_eq!(entry(&items[1]).line_number, "201");
        assert!(read_str("").is_empty());
        assert!(read_str("\n\r\n \t\n").is_empty());
    }

    #[test]
    fn a_cut_off_row_does_not_swallow_the_next_rows() {
        let row = join(&fields21());
        let cut = &row[..row.len() - 10]; // ends inside the quoted linkedid
        let text = format!("{row}\n{cut}\n{row}\n{row}\n");
        let items = read_str(&text);
        assert_eq!(items.len(), 4, "{items:?}");
        let e = error(&items[1]);
        assert_eq!(e.pos.line, 2);
        assert!(
            e.message
                .contains("column 20 opens a quoted field that is not closed"),
            "{e}"
        );
        for i in [0, 2, 3] {
            assert_eq!(entry(&items[i]).pos.line, i as u64 + 1);
        }
        // a row whose quote is never closed, at the end of the file, without a line break
        let items = read_str(&format!("{row}\n{cut}"));
        assert_eq!(items.len(), 2);
        assert_eq!(error(&items[1]).pos.line, 2);
        // a quote inside an unquoted field is data, as csv reads it
        let items = read_str("a\"b,c");
        assert!(error(&items[0]).message.contains("found 2"));
    }

    #[test]
    fn overlong_line_is_an_error_and_reading_goes_on() {
        let row = join(&fields21());
        let long = "x".repeat(MAX_LINE_BYTES + 10);
        let items = read_str(&format!("{long}\n{row}\n"));
        assert_eq!(items.len(), 2);
        assert!(error(&items[0])
            .message
            .starts_with("line is longer than 1 MiB"));
        assert_eq!(entry(&items[1]).pos.line, 2);
    }

    #[test]
    fn read_errors_are_reported_once() {
        struct Broken(bool);
        impl std::io::Read for Broken {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                if std::mem::replace(&mut self.0, true) {
                    Err(std::io::Error::other("disk on fire"))
                } else {
                    let row = "\"\"\n";
                    buf[..row.len()].copy_from_slice(row.as_bytes());
                    Ok(row.len())
                }
            }
        }
        let input = Box::new(std::io::BufReader::new(Broken(false)));
        let items: Vec<Item> = read(input, ctx(), None).collect();
        assert_eq!(items.len(), 2, "{items:?}");
        assert_eq!(error(&items[1]).pos.line, 2);
        assert!(error(&items[1]).message.contains("disk on fire"));
    }

    #[test]
    fn detects_cdr_rows() {
        let record = |line: &str| {
            csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .from_reader(line.as_bytes())
                .records()
                .next()
                .unwrap()
                .unwrap()
        };
        let f21 = fields21();
        assert!(looks_like_cdr(&record(&join(&f21))));
        assert!(looks_like_cdr(&record(&join(&f21[..18]))));
        assert!(looks_like_cdr(&record(&join(&f21[..16]))));
        assert!(!looks_like_cdr(&record(&join(&f21[..17]))));
        assert!(!looks_like_cdr(&record(&join(&with(
            f21.clone(),
            &[(START, "start")]
        )))));
        assert!(!looks_like_cdr(&record(&join(&with(
            f21.clone(),
            &[(DISPOSITION, "")]
        )))));
        assert!(!looks_like_cdr(&record(&join(&with(
            f21,
            &[(DISPOSITION, "MAYBE")]
        )))));
        let native = "u8sConnectionID,u8sTrackerID,stStartTime,stStopTime,stConnectTime,iOrigin,\
            iInternal,u8sLineNumber,u8sLineUserName,iLineUserOffline,u8sPhoneNumber,\
            u8sRedirectingNumber,u8sContactName,u8sContactCompany,u8sAcceptorCtiServerUserName,\
            TrackerLastCall";
        assert!(!looks_like_cdr(&record(native)));
    }

    // ---- mapping rules, on rows cut from the real files (SPEC §1.2) ----------------------

    /// issabel/Master.csv lines 7-17.
    const ISSABEL_FORWARD: &str = r#""","1002","1001","from-internal","""ram"" <1002>","SIP/1002-00000008","SIP/1001-00000009","Dial","SIP/1001,,trIb(func-apply-sipheaders^s^1)","2022-06-17 06:27:09",,"2022-06-17 06:27:14",4,0,"NO ANSWER","DOCUMENTATION","1655447229.55",""
"","1002","1001","from-internal","""ram"" <1002>","SIP/1002-00000008","Local/1001@from-internal-00000000;1","Dial","SIP/1001,,trIb(func-apply-sipheaders^s^1)","2022-06-17 06:27:14",,"2022-06-17 06:27:19",5,0,"BUSY","DOCUMENTATION","1655447229.55",""
"","1002","1001","from-internal","""ram"" <1002>","SIP/1002-00000008","","Busy","20","2022-06-17 06:27:19",,"2022-06-17 06:27:19",0,0,"BUSY","DOCUMENTATION","1655447229.55",""
"","1002","1001","from-internal","""ram"" <1002>","Local/1001@from-internal-00000001;2","SIP/1001-0000000b","Dial","SIP/1001,,trIb(func-apply-sipheaders^s^1)","2022-06-17 06:27:16",,"2022-06-17 06:27:17",1,0,"NO ANSWER","DOCUMENTATION","1655447236.69",""
"","1002","1001","from-internal","""ram"" <1002>","Local/1001@from-internal-00000001;2","Local/1001@from-internal-00000002;1","Dial","SIP/1001,,trIb(func-apply-sipheaders^s^1)","2022-06-17 06:27:17",,"2022-06-17 06:27:19",2,0,"BUSY","DOCUMENTATION","1655447236.69",""
"","1002","1001","from-internal","""ram"" <1002>","Local/1001@from-internal-00000001;2","","Busy","20","2022-06-17 06:27:19",,"2022-06-17 06:27:19",0,0,"BUSY","DOCUMENTATION","1655447236.69",""
"","1002","1001","from-internal","""ram"" <1002>","Local/1001@from-internal-00000000;2","SIP/1001-0000000a","Dial","SIP/1001,,trIb(func-apply-sipheaders^s^1)","2022-06-17 06:27:14",,"2022-06-17 06:27:16",2,0,"NO ANSWER","DOCUMENTATION","1655447234.60",""
"","1002","1001","from-internal","""ram"" <1002>","Local/1001@from-internal-00000000;2","Local/1001@from-internal-00000001;1","Dial","SIP/1001,,trIb(func-apply-sipheaders^s^1)","2022-06-17 06:27:16",,"2022-06-17 06:27:19",3,0,"BUSY","DOCUMENTATION","1655447234.60",""
"","1002","1001","from-internal","""ram"" <1002>","Local/1001@from-internal-00000000;2","","Busy","20","2022-06-17 06:27:19",,"2022-06-17 06:27:19",0,0,"BUSY","DOCUMENTATION","1655447234.60",""
"","1002","1001","from-internal","""ram"" <1002>","Local/1001@from-internal-00000002;2","SIP/1001-0000000c","Dial","SIP/1001,,trIb(func-apply-sipheaders^s^1)","2022-06-17 06:27:17",,"2022-06-17 06:27:19",2,0,"BUSY","DOCUMENTATION","1655447237.78",""
"","1002","1001","from-internal","""ram"" <1002>","Local/1001@from-internal-00000002;2","","Busy","20","2022-06-17 06:27:19",,"2022-06-17 06:27:19",0,0,"BUSY","DOCUMENTATION","1655447237.78",""
"#;

    /// issabel/Master.csv lines 434-440.
    const ISSABEL_VOICEMAIL: &str = r#""","1001","1001","from-internal","""karthik"" <1001>","Local/1001@from-internal-00000000;2","SIP/1001-00000021","Dial","SIP/1001,15,trIb(func-apply-sipheaders^s^1)","2022-07-19 12:26:41",,"2022-07-19 12:26:42",1,0,"NO ANSWER","DOCUMENTATION","1658233601.223",""
"","1001","1001","from-internal","""karthik"" <1001>","Local/1001@from-internal-00000000;2","Local/1001@from-internal-00000001;1","Dial","SIP/1001,15,trIb(func-apply-sipheaders^s^1)","2022-07-19 12:26:42","2022-07-19 12:26:47","2022-07-19 12:26:47",4,0,"ANSWERED","DOCUMENTATION","1658233601.223",""
"","1001","1001","from-internal","""karthik"" <1001>","SIP/1001-0000001f","SIP/1001-00000020","Dial","SIP/1001,15,trIb(func-apply-sipheaders^s^1)","2022-07-19 12:26:39",,"2022-07-19 12:26:41",2,0,"NO ANSWER","DOCUMENTATION","1658233599.218",""
"","1001","1001","from-internal","""karthik"" <1001>","SIP/1001-0000001f","Local/1001@from-internal-00000000;1","Dial","SIP/1001,15,trIb(func-apply-sipheaders^s^1)","2022-07-19 12:26:41","2022-07-19 12:26:47","2022-07-19 12:26:47",5,0,"ANSWERED","DOCUMENTATION","1658233599.218",""
"","1001","1001","from-internal","""karthik"" <1001>","SIP/1001-0000001f","Local/1001@from-internal-00000001;1","Dial","SIP/1001,15,trIb(func-apply-sipheaders^s^1)","2022-07-19 12:26:47","2022-07-19 12:26:47","2022-07-19 12:28:48",121,121,"ANSWERED","DOCUMENTATION","1658233599.218",""
"","1001","1001","from-internal","""karthik"" <1001>","Local/1001@from-internal-00000001;2","SIP/1001-00000022","Dial","SIP/1001,15,trIb(func-apply-sipheaders^s^1)","2022-07-19 12:26:42",,"2022-07-19 12:26:47",4,0,"BUSY","DOCUMENTATION","1658233602.232",""
"","1001","1001","from-internal","""karthik"" <1001>","Local/1001@from-internal-00000001;2","","VoiceMail","1001@default,b","2022-07-19 12:26:47","2022-07-19 12:26:47","2022-07-19 12:28:48",121,121,"ANSWERED","DOCUMENTATION","1658233602.232",""
"#;

    /// issabel/Master.csv lines 57, 58.
    const ISSABEL_FOLLOW_ME: &str = r#""","1002","1001","from-internal","""ram"" <1002>","SIP/1002-00000015","Local/FMPR-1001@from-internal-0000000a;1","Dial","Local/FMPR-1001@from-internal&Local/FMGL-1002@from-internal,26,trIM(auto-blkvm)","2022-07-18 07:12:04",,"2022-07-18 07:12:07",3,0,"BUSY","DOCUMENTATION","1658128324.268",""
"","1002","1001","from-internal","""ram"" <1002>","SIP/1002-00000015","Local/FMGL-1002@from-internal-0000000b;1","Dial","Local/FMPR-1001@from-internal&Local/FMGL-1002@from-internal,26,trIM(auto-blkvm)","2022-07-18 07:12:04",,"2022-07-18 07:12:14",9,0,"NO ANSWER","DOCUMENTATION","1658128324.268",""
"#;

    /// issabel/Master.csv lines 43-46.
    const ISSABEL_CALLEE_LEG: &str = r#""","1001","s","macro-dial-one","""karthik"" <1001>","SIP/1001-0000000a","Local/FMPR-1001@from-internal-00000000;1","ExecIf","0?Set(MASTER_CHANNEL(CONNECTEDLINE(name))=karthik)","2022-07-18 07:10:11","2022-07-18 07:10:11","2022-07-18 07:10:11",0,0,"ANSWERED","DOCUMENTATION","1658128205.79",""
"","1001","1001","from-internal","""karthik"" <1001>","SIP/1001-00000009","Local/FMPR-1001@from-internal-00000000;1","Dial","Local/FMPR-1001@from-internal&Local/FMGL-1002@from-internal,26,trIM(auto-blkvm)","2022-07-18 07:10:05","2022-07-18 07:10:11","2022-07-18 07:10:11",5,0,"ANSWERED","DOCUMENTATION","1658128205.69",""
"","1001","1001","from-internal","""karthik"" <1001>","SIP/1001-00000009","Local/FMGL-1002@from-internal-00000001;1","Dial","Local/FMPR-1001@from-internal&Local/FMGL-1002@from-internal,26,trIM(auto-blkvm)","2022-07-18 07:10:05",,"2022-07-18 07:10:11",5,0,"NO ANSWER","DOCUMENTATION","1658128205.69",""
"","1001","1001","from-internal","""karthik"" <1001>","SIP/1001-00000009","SIP/1001-0000000a","Dial","Local/FMPR-1001@from-internal&Local/FMGL-1002@from-internal,26,trIM(auto-blkvm)","2022-07-18 07:10:11","2022-07-18 07:10:11","2022-07-18 07:10:18",7,7,"ANSWERED","DOCUMENTATION","1658128205.69",""
"#;

    /// issabel/Master.csv lines 50-56.
    const ISSABEL_ORPHAN_HALVES: &str = r#""","1001","1001","from-internal","""karthik"" <1001>","Local/1001@from-internal-00000004;2","Local/FMPR-1001@from-internal-00000005;1","Dial","Local/FMPR-1001@from-internal&Local/FMGL-1002@from-internal,26,trIM(auto-blkvm)","2022-07-18 07:11:23",,"2022-07-18 07:11:27",3,0,"NO ANSWER","DOCUMENTATION","1658128283.161",""
"","1001","1001","from-internal","""karthik"" <1001>","Local/1001@from-internal-00000004;2","Local/FMGL-1002@from-internal-00000006;1","Dial","Local/FMPR-1001@from-internal&Local/FMGL-1002@from-internal,26,trIM(auto-blkvm)","2022-07-18 07:11:23",,"2022-07-18 07:11:27",3,0,"NO ANSWER","DOCUMENTATION","1658128283.161",""
"","1001","1001","from-internal","""karthik"" <1001>","Local/1001@from-internal-00000007;2","Local/FMPR-1001@from-internal-00000008;1","Dial","Local/FMPR-1001@from-internal&Local/FMGL-1002@from-internal,26,trIM(auto-blkvm)","2022-07-18 07:11:25",,"2022-07-18 07:11:27",1,0,"BUSY","DOCUMENTATION","1658128285.178",""
"","1001","1001","from-internal","""karthik"" <1001>","Local/1001@from-internal-00000007;2","Local/FMGL-1002@from-internal-00000009;1","Dial","Local/FMPR-1001@from-internal&Local/FMGL-1002@from-internal,26,trIM(auto-blkvm)","2022-07-18 07:11:25",,"2022-07-18 07:11:27",1,0,"NO ANSWER","DOCUMENTATION","1658128285.178",""
"","1001","1001","from-internal","""karthik"" <1001>","SIP/1001-0000000f","Local/FMPR-1001@from-internal-00000002;1","Dial","Local/FMPR-1001@from-internal&Local/FMGL-1002@from-internal,26,trIM(auto-blkvm)","2022-07-18 07:11:21",,"2022-07-18 07:11:27",6,0,"NO ANSWER","DOCUMENTATION","1658128281.148",""
"","1001","1001","from-internal","""karthik"" <1001>","SIP/1001-0000000f","Local/FMGL-1002@from-internal-00000003;1","Dial","Local/FMPR-1001@from-internal&Local/FMGL-1002@from-internal,26,trIM(auto-blkvm)","2022-07-18 07:11:21","2022-07-18 07:11:35","2022-07-18 07:11:35",14,0,"ANSWERED","DOCUMENTATION","1658128281.148",""
"","1001","1001","from-internal","""karthik"" <1001>","SIP/1001-0000000f","SIP/1002-00000013","Dial","Local/FMPR-1001@from-internal&Local/FMGL-1002@from-internal,26,trIM(auto-blkvm)","2022-07-18 07:11:35","2022-07-18 07:11:35","2022-07-18 07:11:42",7,7,"ANSWERED","DOCUMENTATION","1658128281.148",""
"#;

    /// issabel/Master.csv lines 39, 40.
    const ISSABEL_BUSY_VOICEMAIL: &str = r#""","1001","1002","from-internal","""karthik"" <1001>","SIP/1001-00000005","SIP/1002-00000006","Dial","SIP/1002,15,trIb(func-apply-sipheaders^s^1)","2022-07-18 07:06:33",,"2022-07-18 07:06:37",4,0,"BUSY","DOCUMENTATION","1658127993.41",""
"","1001","1002","from-internal","""karthik"" <1001>","SIP/1001-00000005","","VoiceMail","1002@default,b","2022-07-18 07:06:37","2022-07-18 07:06:37","2022-07-18 07:07:06",28,28,"ANSWERED","DOCUMENTATION","1658127993.41",""
"#;

    /// bugadm/Master.csv lines 33, 75.
    const BUGADM_VOICEMAIL: &str = r#""","101","100","phones","""USER101"" <101>","SIP/101-00000000","SIP/100-00000001","VoiceMail","100@vmphones,b","2015-04-07 14:10:49","2015-04-07 14:10:53","2015-04-07 14:11:11",22,18,"ANSWERED","DOCUMENTATION","1428415849.0",""
"","102","100","phones","""USER102"" <102>","SIP/102-00000003","SIP/100-00000004","VoiceMail","100@vmphones,u","2015-04-14 15:28:59","2015-04-14 15:28:59","2015-04-14 15:29:14",15,15,"NO ANSWER","DOCUMENTATION","1429025339.3",""
"#;

    /// grandstream/Master-excerpt.csv lines 1-668.
    const GRANDSTREAM: &str = r#"Account Code,Caller Number,Callee Number,Context,CallerID Number,Source Channel,Dest. Channel,Last app.,Last date,Start Time,Answer Time,End Time,Call Time,Talk Time,Disposition,AMA Flags,Unique ID,Log Userfield,Dest Channel Extension,Caller Name,Answered by,Session,Premier Caller,Action Type,Source Trunk Name,Destination Trunk Name
,207,957168028,outbound-route-4,"""XODIM03 A’ZAM O‘G‘LI"" <785033398>",PJSIP/207-00025c9f,PJSIP/trunk_1-00025ca0,Dial,"PJSIP/957168028@trunk_1,,M(record-check,StartMonitor)b(callee-handler^s^1)",2026-07-03 11:01:05,,,29,0,BUSY,DOCUMENTATION,1783058465.623472,Outbound,trunk_1,XODIM03 A’ZAM O‘G‘LI,,1783058465488259-207,207,DIAL,,EASTTELECOM
,918270538,788303594,ext-did-1,""""" <918270538>",PJSIP/trunk_1-00025cf8,,ForkCDR,ae,2026-07-03 11:12:27,2026-07-03 11:12:37,2026-07-03 11:12:37,10,0,NO ANSWER,DOCUMENTATION,1783059147.623744,Inbound,788303594,,,1783059147652704-918270538,918270538,DIAL,EASTTELECOM,
,918270538,7000,ivr-1,""""" <918270538>",PJSIP/trunk_1-00025cf8,,ForkCDR,are,2026-07-03 11:12:27,2026-07-03 11:12:37,2026-07-03 11:13:16,48,38,ANSWERED,DOCUMENTATION,1783059147.623744,Inbound,7000,,7000,1783059147652704-918270538,918270538,IVR[7000],EASTTELECOM,
,918270538,6500,ext-queues,""""" <918270538>",PJSIP/trunk_1-00025cf8,,ForkCDR,are,2026-07-03 11:13:16,2026-07-03 11:13:24,2026-07-03 11:13:24,8,0,ANSWERED,DOCUMENTATION,1783059147.623744,Inbound,6500,,6500,1783059147652704-918270538,918270538,QUEUE[6500],EASTTELECOM,
,918270538,177,ext-did-1,""""" <918270538>",PJSIP/trunk_1-00025cf8,PJSIP/177-00025d1b,Queue,"6500,,,,900,,,",2026-07-03 11:19:30,2026-07-03 11:19:32,2026-07-03 11:19:32,2,0,NO ANSWER,DOCUMENTATION,1783059147.623744,Inbound,177,,,1783059147652704-918270538,918270538,QUEUE[6500],EASTTELECOM,
"#;

    /// grandstream/Master-excerpt.csv lines 273-280.
    const GRANDSTREAM_RING_ALL: &str = r#",949938238,788303594,ext-did-1,""""" <949938238>",PJSIP/trunk_1-00025b6d,,ForkCDR,ae,2026-07-03 10:00:54,2026-07-03 10:01:04,2026-07-03 10:01:04,10,0,NO ANSWER,DOCUMENTATION,1783054854.622645,Inbound,788303594,,,1783054854435882-949938238,949938238,DIAL,EASTTELECOM,
,949938238,7000,ivr-1,""""" <949938238>",PJSIP/trunk_1-00025b6d,,ForkCDR,are,2026-07-03 10:00:54,2026-07-03 10:01:04,2026-07-03 10:01:30,36,26,ANSWERED,DOCUMENTATION,1783054854.622645,Inbound,7000,,7000,1783054854435882-949938238,949938238,IVR[7000],EASTTELECOM,
,949938238,6500,ext-queues,""""" <949938238>",PJSIP/trunk_1-00025b6d,,ForkCDR,are,2026-07-03 10:01:30,2026-07-03 10:01:39,2026-07-03 10:01:39,8,0,ANSWERED,DOCUMENTATION,1783054854.622645,Inbound,6500,,6500,1783054854435882-949938238,949938238,QUEUE[6500],EASTTELECOM,
,949938238,194,ext-did-1,""""" <949938238>",PJSIP/trunk_1-00025b6d,PJSIP/194-00025b72,Queue,"6500,,,,900,,,",2026-07-03 10:01:39,2026-07-03 10:01:42,2026-07-03 10:06:04,265,262,ANSWERED,DOCUMENTATION,1783054854.622645,Inbound,194,,194,1783054854435882-949938238,949938238,QUEUE[6500],EASTTELECOM,
,949938238,173,from-internal,""""" <949938238>",PJSIP/trunk_1-00025b6d,PJSIP/173-00025b73,Queue,"6500,,,,900,,,",2026-07-03 10:01:39,2026-07-03 10:01:42,2026-07-03 10:01:42,3,0,NO ANSWER,DOCUMENTATION,1783054854.622645,Inbound,173,,,1783054854435882-949938238,949938238,QUEUE[6500],EASTTELECOM,
,949938238,177,from-internal,""""" <949938238>",PJSIP/trunk_1-00025b6d,PJSIP/177-00025b74,Queue,"6500,,,,900,,,",2026-07-03 10:01:39,2026-07-03 10:01:42,2026-07-03 10:01:42,3,0,NO ANSWER,DOCUMENTATION,1783054854.622645,Inbound,177,,,1783054854435882-949938238,949938238,QUEUE[6500],EASTTELECOM,
"#;

    /// Reads rows in UTC (the zone of the real files' tests).
    fn read_utc(text: &str) -> Vec<Item> {
        let ctx = ReadContext {
            file: Arc::from("Master.csv"),
            time_zone: TimeZone::UTC,
        };
        read(Box::new(Cursor::new(text.as_bytes().to_vec())), ctx, None).collect()
    }

    fn entries(items: &[Item]) -> Vec<&Entry> {
        items
            .iter()
            .filter_map(|i| match i {
                Item::Entry(e) => Some(&**e),
                _ => None,
            })
            .collect()
    }

    fn skipped(items: &[Item]) -> Vec<(u64, &'static str)> {
        items
            .iter()
            .filter_map(|i| match i {
                Item::Skipped { pos, reason } => Some((pos.line, *reason)),
                _ => None,
            })
            .collect()
    }

    /// (line in the excerpt, line number, answered, voicemail) of every entry.
    fn summary(items: &[Item]) -> Vec<(u64, &str, bool, bool)> {
        entries(items)
            .iter()
            .map(|e| {
                (
                    e.pos.line,
                    e.line_number.as_str(),
                    e.connect.is_some(),
                    e.voicemail,
                )
            })
            .collect()
    }

    #[test]
    fn local_halves_are_one_call() {
        // Issabel 06-17 06:27:09: 1002 → 1001, forwarded three times through
        // Local/1001@from-internal-0000000{0,1,2}; each ;2 half has its own uniqueid.
        let items = read_utc(ISSABEL_FORWARD);
        assert_eq!(items.len(), 11);
        let es = entries(&items);
        assert_eq!(es.len(), 7); // and 4 Busy rows that rang no phone
        for e in &es {
            assert_eq!(e.tracker_id.as_deref(), Some("1655447229.55"), "{}", e.pos);
            assert_eq!(e.line_number, "1001");
            assert!(e.connect.is_none());
        }
        // the arrival is the first row's start; entries that rang later carry it
        let first = ts("2022-06-17T06:27:09Z");
        assert_eq!(es[0].start, first);
        assert_eq!(es[0].arrival, None);
        assert!(es[1..].iter().all(|e| e.arrival == Some(first)));
        // without the time overlap a reused Local channel name is another call
        let later = ISSABEL_FORWARD
            .lines()
            .skip(3)
            .map(|l| l.replace("2022-06-17", "2022-06-18"))
            .collect::<Vec<_>>()
            .join("\n");
        let items = read_utc(&format!(
            "{}\n{later}",
            ISSABEL_FORWARD
                .lines()
                .take(3)
                .collect::<Vec<_>>()
                .join("\n")
        ));
        let trackers: std::collections::BTreeSet<_> = entries(&items)
            .iter()
            .map(|e| e.tracker_id.clone().unwrap())
            .collect();
        assert!(trackers.len() > 1, "{trackers:?}");
    }

    #[test]
    fn a_local_half_answered_by_voicemail_is_not_answered() {
        // Issabel 07-19 12:26:39 (lines 434-440): NO ANSWER, BUSY, VoiceMail; the ;1 rows say
        // ANSWERED only because voicemail answered the far half.
        let items = read_utc(ISSABEL_VOICEMAIL);
        assert_eq!(
            summary(&items),
            vec![
                (1, "1001", false, true),
                (2, "1001", false, true),
                (3, "1001", false, true),
                (4, "1001", false, true),
                (5, "1001", false, true),
                (6, "1001", false, true),
            ]
        );
        assert_eq!(skipped(&items), vec![(7, SKIP_NO_DESTINATION)]);
        let es = entries(&items);
        assert!(es
            .iter()
            .all(|e| e.tracker_id.as_deref() == Some("1658233599.218")));
        // a voicemail entry stops ringing when voicemail answered (line 5: 12:26:47)
        assert_eq!(es[4].stop, ts("2022-07-19T12:26:47Z"));
    }

    #[test]
    fn busy_then_voicemail_marks_the_mailbox_line() {
        // Issabel lines 39-40: 1002 BUSY, then VoiceMail(1002@default,b) on the caller's channel
        let items = read_utc(ISSABEL_BUSY_VOICEMAIL);
        assert_eq!(summary(&items), vec![(1, "1002", false, true)]);
        assert_eq!(skipped(&items), vec![(2, SKIP_NO_DESTINATION)]);
    }

    #[test]
    fn voicemail_rows_with_the_phone_as_destination() {
        // BugaDM line 33: dstchannel SIP/100, lastapp VoiceMail, ANSWERED: voicemail answered.
        // Line 75: the same with NO ANSWER: a plain missed call, not voicemail.
        let items = read_utc(BUGADM_VOICEMAIL);
        assert_eq!(
            summary(&items),
            vec![(1, "100", false, true), (2, "100", false, false)]
        );
        assert_eq!(entries(&items)[0].stop, ts("2015-04-07T14:10:53Z"));
    }

    #[test]
    fn follow_me_belongs_to_the_extension() {
        // Issabel 07-18 07:12:04: 1002 → 1001 with follow-me: Local/FMPR-1001 (1001's phone)
        // BUSY, Local/FMGL-1002 (the list: 1002, the caller himself) NO ANSWER.
        let items = read_utc(ISSABEL_FOLLOW_ME);
        assert_eq!(summary(&items), vec![(1, "1001", false, false)]);
        assert_eq!(skipped(&items), vec![(2, SKIP_OWN_LINE)]);
    }

    #[test]
    fn a_callee_leg_joins_its_call_and_is_no_entry() {
        // Issabel 07-18 07:10:05: line 1 is the row of SIP/1001-0000000a, the phone line 4 rang
        // (macro-dial-one, its own uniqueid); 1001 answered on it.
        let items = read_utc(ISSABEL_CALLEE_LEG);
        assert_eq!(skipped(&items), vec![(1, SKIP_CALLEE_LEG)]);
        let es = entries(&items);
        assert!(es
            .iter()
            .all(|e| e.tracker_id.as_deref() == Some("1658128205.69")));
        assert_eq!(
            summary(&items),
            vec![
                (2, "1001", true, false),
                (3, "1002", false, false),
                (4, "1001", true, false)
            ]
        );
    }

    #[test]
    fn orphan_local_halves_join_the_call_that_created_them() {
        // Issabel 07-18 07:11:21 (lines 50-56): Local/1001@from-internal-00000004;2 and -07;2
        // were dialled by the FMPR/FMGL halves (-02, -03) of line 54's call, whose own rows
        // Asterisk did not write.
        let items = read_utc(ISSABEL_ORPHAN_HALVES);
        let trackers: std::collections::BTreeSet<_> = entries(&items)
            .iter()
            .map(|e| e.tracker_id.clone().unwrap())
            .collect();
        assert_eq!(
            trackers.into_iter().collect::<Vec<_>>(),
            vec!["1658128281.148".to_string()]
        );
        // 1002 answered through the follow-me list; 1001 (the caller) rang among them
        let answered: Vec<&str> = entries(&items)
            .iter()
            .filter(|e| e.connect.is_some())
            .map(|e| e.line_number.as_str())
            .collect();
        assert_eq!(answered, vec!["1002", "1002"]);
    }

    #[test]
    fn outgoing_cdr_csv_rows() {
        // a user's line dials an outside number through a trunk, answered at 09:14:10
        let dialled = with(
            fields21(),
            &[
                (SRC, "201"),
                (DST, "004930555010"),
                (CHANNEL, "SIP/201-00000001"),
                (DSTCHANNEL, "SIP/trunk-00000002"),
                (ANSWER, "2026-11-26 09:14:10"),
                (DISPOSITION, "ANSWERED"),
            ],
        );
        let e = entry(&one(&dialled)).clone();
        assert_eq!(e.origin, Origin::Outgoing);
        assert_eq!(
            (e.line_number.as_str(), e.phone_number.as_str()),
            ("201", "004930555010")
        );
        assert_eq!(e.connect, Some(ts("2026-11-26T08:14:10Z")));
        // the outbound route put the company's number in src: the source channel's extension
        let e = entry(&one(&with(dialled.clone(), &[(SRC, "0305550000")]))).clone();
        assert_eq!(
            (e.origin, e.line_number.as_str()),
            (Origin::Outgoing, "201")
        );
        // an outside caller to a long DID, and a user calling an extension, are incoming
        let e = entry(&one(&fields21())).clone();
        assert_eq!(e.origin, Origin::Incoming);
        let e = entry(&one(&with(
            dialled,
            &[(DST, "202"), (DSTCHANNEL, "SIP/202-1")],
        )))
        .clone();
        assert_eq!(
            (e.origin, e.line_number.as_str()),
            (Origin::Incoming, "202")
        );
    }

    #[test]
    fn rows_of_a_call_written_far_apart_still_meet_in_a_long_file() {
        // 1,500 calls 10 s apart (more than CHECK_EVERY rows, over four hours): each a BUSY
        // Dial row, and its VoiceMail row written 100 rows (about 17 minutes) later.
        let at = |secs: i64| {
            (ts("2026-11-26T08:00:00Z") + jiff::SignedDuration::from_secs(secs))
                .strftime("%Y-%m-%d %H:%M:%S")
                .to_string()
        };
        let dial = |i: i64| {
            join(&with(
                fields21()[..18].to_vec(),
                &[
                    (START, &at(i * 10)),
                    (ANSWER, ""),
                    (END, &at(i * 10 + 5)),
                    (DISPOSITION, "BUSY"),
                    (UNIQUEID, &format!("1764144843.{i}")),
                ],
            ))
        };
        let voicemail = |i: i64| {
            join(&with(
                fields21()[..18].to_vec(),
                &[
                    (DSTCHANNEL, ""),
                    (LASTAPP, "VoiceMail"),
                    (LASTDATA, "201@default,b"),
                    (START, &at(i * 10 + 5)),
                    (ANSWER, &at(i * 10 + 5)),
                    (END, &at(i * 10 + 30)),
                    (DISPOSITION, "ANSWERED"),
                    (UNIQUEID, &format!("1764144843.{i}")),
                ],
            ))
        };
        let mut text = String::new();
        for i in 0..1600 {
            if i < 1500 {
                text.push_str(&dial(i));
                text.push('\n');
            }
            if i >= 100 {
                text.push_str(&voicemail(i - 100));
                text.push('\n');
            }
        }
        let items = read_utc(&text);
        assert_eq!(items.len(), 3000);
        let es = entries(&items);
        assert_eq!(es.len(), 1500);
        assert!(
            es.iter().all(|e| e.voicemail),
            "a call lost its VoiceMail row"
        );
        assert_eq!(skipped(&items).len(), 1500);
    }

    #[test]
    fn grandstream_header_empty_end_outgoing_and_arrival() {
        let items = read_utc(GRANDSTREAM);
        assert_eq!(items.len(), 6);
        assert_eq!(skipped(&items)[0], (1, SKIP_HEADER));
        let es = entries(&items);
        assert_eq!(es.len(), 2);
        // line 531: outgoing BUSY, no End Time: ends at start + Call Time (29 s)
        let out = es[0];
        assert_eq!(out.origin, Origin::Outgoing);
        assert_eq!(
            (out.line_number.as_str(), out.phone_number.as_str()),
            ("207", "957168028")
        );
        assert_eq!(out.stop, ts("2026-07-03T11:01:34Z"));
        assert!(out.connect.is_none());
        // lines 628-668: arrived 11:12:27 (DID, IVR, queue rows that rang no phone); agent 177
        // rang at 11:19:30
        let agent = es[1];
        assert_eq!(agent.origin, Origin::Incoming);
        assert_eq!(agent.line_number, "177");
        assert_eq!(agent.start, ts("2026-07-03T11:19:30Z"));
        assert_eq!(agent.arrival, Some(ts("2026-07-03T11:12:27Z")));
        assert_eq!(agent.tracker_id.as_deref(), Some("1783059147.623744"));
        // a header of another width than the rows: each row is an error naming the header
        let header = GRANDSTREAM.lines().next().unwrap();
        let items = read_utc(&format!(
            "{header},Extra\n{}",
            GRANDSTREAM.lines().nth(1).unwrap()
        ));
        assert_eq!(
            error(&items[1]).message,
            "expected 27 columns (the Grandstream header), found 26"
        );
    }

    #[test]
    fn grandstream_answered_by_names_who_took_the_call() {
        // lines 273-280: ring-all queue; 194 ANSWERED, 173 and 177 NO ANSWER (with the
        // winner's answer time)
        let header = GRANDSTREAM.lines().next().unwrap();
        let items = read_utc(&format!("{header}\n{GRANDSTREAM_RING_ALL}"));
        assert_eq!(
            summary(&items),
            vec![
                (5, "194", true, false),
                (6, "173", false, false),
                (7, "177", false, false)
            ]
        );
        // were the winner's row to say ANSWERED with another agent in "Answered by", it is not
        // this line's answer
        let changed = GRANDSTREAM_RING_ALL.replace(
            ",ANSWERED,DOCUMENTATION,1783054854.622645,Inbound,194,,194,",
            ",ANSWERED,DOCUMENTATION,1783054854.622645,Inbound,194,,173,",
        );
        assert_ne!(changed, GRANDSTREAM_RING_ALL);
        let items = read_utc(&format!("{header}\n{changed}"));
        assert!(entries(&items).iter().all(|e| e.connect.is_none()));
        assert!(names_another_line("173", "194"));
        assert!(names_another_line("Agent <173>", "194"));
        assert!(!names_another_line("194", "194"));
        assert!(!names_another_line("Agent 194", "194"));
        assert!(!names_another_line("", "194"));
    }

    // ---- the real files -----------------------------------------------------------------

    /// `../shared/data` next to the crate (the project), else the shared copy.
    fn data_dir() -> Option<PathBuf> {
        let near = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data");
        [near, PathBuf::from("/work/shared/data")]
            .into_iter()
            .find(|d| d.join("asterisk").is_dir())
    }

    /// Reads a real file the way the program does (through the decoder), or None (printed).
    fn read_real(name: &str) -> Option<Vec<Item>> {
        let Some(dir) = data_dir() else {
            println!("skipped: the shared test data (../shared/data/asterisk) is not there");
            return None;
        };
        let path = dir.join("asterisk").join(name);
        let file = std::fs::File::open(&path).unwrap();
        let input = crate::ingest::text::utf8_reader(file, crate::ingest::text::TextEncoding::Auto);
        let ctx = ReadContext {
            file: Arc::from(name),
            time_zone: TimeZone::UTC,
        };
        Some(read(input, ctx, None).collect())
    }

    fn at(items: &[Item], line: u64) -> &Item {
        items.iter().find(|i| line_of(i) == line).unwrap()
    }

    #[test]
    fn real_ringgroups_master() {
        let Some(items) = read_real("ringgroups-Master.csv") else {
            return;
        };
        assert_eq!(items.len(), 84);
        assert_eq!(
            items.iter().map(line_of).collect::<Vec<_>>(),
            (1..=84).collect::<Vec<_>>()
        );
        let errors: Vec<&Item> = items
            .iter()
            .filter(|i| matches!(i, Item::Error(_)))
            .collect();
        assert!(errors.is_empty(), "{errors:?}");
        let entries: Vec<&Entry> = items
            .iter()
            .filter_map(|i| match i {
                Item::Entry(e) => Some(&**e),
                _ => None,
            })
            .collect();
        let skipped: Vec<u64> = items
            .iter()
            .filter(|i| matches!(i, Item::Skipped { .. }))
            .map(line_of)
            .collect();
        assert_eq!(entries.len(), 77);
        assert_eq!(skipped, [1, 2, 3, 6, 21, 32, 33]);
        for (i, e) in entries.iter().enumerate() {
            assert_eq!(e.seq, e.pos.line - 1, "{i}");
        }

        let count = |line: &str| entries.iter().filter(|e| e.line_number == line).count();
        assert_eq!(count("301"), 31);
        assert_eq!(count("stadionpbx"), 31);
        assert_eq!((count("ch1"), count("ch2"), count("ch3")), (5, 5, 5));
        assert_eq!(entries.iter().filter(|e| e.connect.is_some()).count(), 30);
        let trackers: std::collections::BTreeSet<_> = entries
            .iter()
            .map(|e| e.tracker_id.clone().unwrap())
            .collect();
        assert_eq!(trackers.len(), 30);
        let ids: std::collections::BTreeSet<_> =
            entries.iter().map(|e| e.connection_id.clone()).collect();
        assert_eq!(ids.len(), 77, "connection ids are unique");

        // Dial(SIP/301&SIP/200@stadionpbx): both targets share the chain
        let (a, b) = (entry(at(&items, 4)), entry(at(&items, 5)));
        assert_eq!(a.tracker_id.as_deref(), Some("1706369600.6"));
        assert_eq!(b.tracker_id, a.tracker_id);
        assert_eq!(
            (a.line_number.as_str(), b.line_number.as_str()),
            ("301", "stadionpbx")
        );
        assert_eq!(
            (a.connection_id.as_str(), b.connection_id.as_str()),
            ("1706369600.6/3", "1706369600.6/6")
        );
        // NO ANSWER rows whose answer column is filled (with the start) are not connected
        assert_eq!((a.connect, b.connect), (None, None));
        assert_eq!(a.phone_number, "89000000001");
        assert_eq!(a.contact_name, None);

        // Local/ch1…;2 rings SIP/301: line 301 in the chain of the party-A row's linkedid
        let local2 = entry(at(&items, 7));
        assert_eq!(local2.line_number, "301");
        assert_eq!(local2.tracker_id.as_deref(), Some("1706372196.12"));
        assert_eq!(local2.connection_id, "1706372196.14/10");
        assert_eq!(local2.start, ts("2024-01-27T16:16:36Z"));
        assert_eq!(local2.stop, ts("2024-01-27T16:16:51Z"));
        let party_a = entry(at(&items, 9));
        assert_eq!(party_a.line_number, "ch1");
        assert_eq!(party_a.tracker_id, local2.tracker_id);
        let chain: Vec<u64> = entries
            .iter()
            .filter(|e| e.tracker_id.as_deref() == Some("1706372196.12"))
            .map(|e| e.pos.line)
            .collect();
        assert_eq!(chain, [7, 8, 9, 10, 11, 12, 13]);

        // answered through the ring group: ;2 row, ;1 row and the caller's row after the
        // Local channel was optimised away all name line 301 / ch1 as answered
        for (line, number) in [(22, "301"), (23, "ch1"), (26, "301")] {
            let e = entry(at(&items, line));
            assert_eq!(e.line_number, number, "line {line}");
            assert_eq!(
                e.tracker_id.as_deref(),
                Some("1706407446.50"),
                "line {line}"
            );
            assert_eq!(e.connect, Some(ts("2024-01-28T02:04:12Z")), "line {line}");
        }

        // the second uniqueid style, sequence starting again at 0
        let m = entry(at(&items, 43));
        assert_eq!(m.tracker_id.as_deref(), Some("mainserverdss-1706420300.0"));
        assert_eq!(m.connection_id, "mainserverdss-1706420300.0/0");
        assert_eq!(m.line_number, "301");
        assert_eq!(m.connect, Some(ts("2024-01-28T05:38:24Z")));
        assert_eq!(m.phone_number, "81000000000012");
        let m2 = entry(at(&items, 44));
        assert_eq!(m2.tracker_id, m.tracker_id);
        assert_eq!((m2.line_number.as_str(), m2.connect), ("stadionpbx", None));

        // BUSY: a missed call of a logged-on line
        let busy = entry(at(&items, 83));
        assert_eq!(
            (busy.line_number.as_str(), busy.connect),
            ("stadionpbx", None)
        );
        assert_eq!(busy.user_offline, Some(false));
        assert_eq!(
            entries.iter().filter(|e| e.user_offline.is_some()).count(),
            1
        );

        // names with 0xA5 bytes: replaced, kept; all other names are just the number
        assert_eq!(
            m.contact_name.as_deref(),
            Some("8100000013\u{fffd}\u{fffd}X")
        );
        let named: Vec<u64> = entries
            .iter()
            .filter(|e| e.contact_name.is_some())
            .map(|e| e.pos.line)
            .collect();
        assert_eq!(named, [41, 42, 43, 44, 69, 70, 79, 80]);
        assert!(entries
            .iter()
            .filter_map(|e| e.contact_name.as_deref())
            .all(|n| n.matches('\u{fffd}').count() == 2));
    }

    #[test]
    fn real_testsuite_good() {
        let Some(items) = read_real("testsuite-good.csv") else {
            return;
        };
        assert_eq!(items.len(), 5);
        // every row was answered by the dialplan (Hangup) without a destination channel
        for (i, item) in items.iter().enumerate() {
            match item {
                Item::Skipped { pos, reason } => {
                    assert_eq!(pos.line, i as u64 + 1);
                    assert_eq!(*reason, SKIP_NO_DESTINATION);
                }
                other => panic!("expected skipped, got {other:?}"),
            }
        }
        // with a destination channel, each disposition maps as specified
        let path = data_dir().unwrap().join("asterisk/testsuite-good.csv");
        let text = std::fs::read_to_string(path).unwrap();
        let patched = text.replace(
            "\"SIP/test-02897fd8\",\"\"",
            "\"SIP/test-02897fd8\",\"SIP/201-00000001\"",
        );
        let items = read_str(&patched);
        let got: Vec<(bool, Option<bool>)> = items
            .iter()
            .map(|i| (entry(i).connect.is_some(), entry(i).user_offline))
            .collect();
        assert_eq!(
            got,
            [
                (true, None),
                (true, None),
                (false, Some(true)),
                (false, None),
                (false, Some(false))
            ]
        );
        assert_eq!(entry(&items[0]).contact_name.as_deref(), Some("Test User"));
        assert_eq!(entry(&items[0]).connection_id, "1231977075.0@1");
        assert_eq!(entry(&items[4]).connection_id, "1231977075.0@5");
    }

    #[test]
    fn real_testsuite_buggy() {
        let Some(items) = read_real("testsuite-buggy.csv") else {
            return;
        };
        assert_eq!(items.len(), 1, "{items:?}");
        let e = error(&items[0]);
        assert_eq!(e.pos.line, 1);
        assert_eq!(&*e.pos.file, "testsuite-buggy.csv");
        assert!(
            e.message
                .contains("column 18 opens a quoted field that is not closed"),
            "{e}"
        );
    }

    #[test]
    fn real_first_rows_are_detected() {
        for name in ["ringgroups-Master.csv", "testsuite-good.csv"] {
            let Some(dir) = data_dir() else {
                println!("skipped: the shared test data is not there");
                return;
            };
            let mut reader = csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .from_path(dir.join("asterisk").join(name))
                .unwrap();
            let mut record = csv::ByteRecord::new();
            reader.read_byte_record(&mut record).unwrap();
            let record = StringRecord::from_byte_record_lossy(record);
            assert!(looks_like_cdr(&record), "{name}");
        }
    }

    // ---- never panics, one item per non-blank line --------------------------------------

    /// The 1-based numbers of the lines of `bytes` that are not blank.
    fn non_blank_lines(bytes: &[u8]) -> Vec<u64> {
        let mut lines: Vec<&[u8]> = bytes.split(|&b| b == b'\n').collect();
        if lines.last().is_some_and(|l| l.is_empty()) {
            lines.pop();
        }
        lines
            .iter()
            .enumerate()
            .filter(|(i, l)| {
                let text = String::from_utf8_lossy(l);
                let text = if *i == 0 {
                    text.trim_start_matches('\u{feff}')
                } else {
                    &text
                };
                !text.trim().is_empty()
            })
            .map(|(i, _)| i as u64 + 1)
            .collect()
    }

    fn csvish_bytes() -> impl Strategy<Value = Vec<u8>> {
        let byte = prop_oneof![
            4 => prop::sample::select(b"\",\n\r ;<>@/-0123456789".to_vec()),
            1 => any::<u8>(),
        ];
        prop::collection::vec(byte, 0..300)
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_one_item_per_line(bytes in csvish_bytes()) {
            let items = read_bytes(&bytes, None);
            let lines: Vec<u64> = items.iter().map(line_of).collect();
            prop_assert_eq!(lines, non_blank_lines(&bytes));
        }

        #[test]
        fn arbitrary_text_one_item_per_line(text in "(\"|,|\n|\r\n|[ -~]|[^\n]){0,200}") {
            let items = read_str(&text);
            let lines: Vec<u64> = items.iter().map(line_of).collect();
            prop_assert_eq!(lines, non_blank_lines(text.as_bytes()));
        }

        #[test]
        fn rows_with_arbitrary_fields(
            src in "[^\n]{0,20}",
            clid in "[^\n]{0,30}",
            dst in "[^\n]{0,30}",
            broken in "[^\n]{0,12}",
            width in prop::sample::select(vec![16usize, 18, 21]),
        ) {
            let fields = with(fields21(), &[(SRC, &src), (CLID, &clid), (DSTCHANNEL, &dst)]);
            let good = join(&fields[..width]);
            let text = format!("{good}\n{broken}\n{good}\n");
            let items = read_str(&text);
            prop_assert_eq!(items.iter().map(line_of).collect::<Vec<_>>(), non_blank_lines(text.as_bytes()));
            for item in [items.first().unwrap(), items.last().unwrap()] {
                match item {
                    Item::Entry(e) => {
                        prop_assert_eq!(&e.phone_number, src.trim());
                        prop_assert_eq!(Some(e.line_number.clone()), channel_line(&dst));
                    }
                    Item::Skipped { .. } => prop_assert!(dst.trim().is_empty()),
                    Item::Error(e) => {
                        prop_assert!(channel_line(&dst).is_none(), "{}", e);
                        prop_assert!(e.message.contains("names no line"), "{}", e);
                    }
                }
            }
        }
    }
}
