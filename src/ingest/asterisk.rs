//! Reader for Asterisk CDR files: `Master.csv` of `cdr_csv` (SPEC §1.2), and `cdr_custom`
//! files whose column order the configuration names.
//!
//! # Layouts
//! `cdr_csv` writes no header and one of three layouts, chosen per row by its field count:
//! - 16 columns: `accountcode, src, dst, dcontext, clid, channel, dstchannel, lastapp,
//!   lastdata, start, answer, end, duration, billsec, disposition, amaflags`;
//! - 18 columns (`loguniqueid`, `loguserfield`): the 16 plus `uniqueid, userfield`;
//! - 21 columns (`newcdrcolumns`): the 18 plus `peeraccount, linkedid, sequence`.
//!
//! A `cdr_custom` layout ([`ColumnMap::from_names`]) names its columns in order; its rows must
//! have exactly that many fields.
//!
//! # How a row becomes an entry
//! One row is one dialled target: one line that was offered one call.
//! - **Chain key** (`u8sTrackerID`): `linkedid` when the layout has it and it is not empty,
//!   else `uniqueid`, else (16 columns) `channel` + `@` + `start` as written.
//! - **Connection id**, unique per row: `uniqueid/sequence` when there is a sequence, else
//!   `uniqueid@line` (the row's line in the file), else `file:line`.
//! - **Line**: the extension the destination channel stands for ([`channel_line`]):
//!   `SIP/201-0000002a`, `PJSIP/201-…` and `IAX2/201-…` give `201`; `Local/201@ctx-…;1`
//!   gives `201`; `DAHDI/1-1` gives `DAHDI/1` (a DAHDI channel number is not an extension,
//!   so it is kept as a stable id); a trunk (`SIP/stadionpbx-00000005`) gives its peer name,
//!   which belongs to no user. Dial strings give the number dialled (`SIP/trunk/0301234` gives
//!   `0301234`, `SIP/200@pbx` gives `200`), but a URI is not a number
//!   (`PJSIP/201/sip:201@host` gives `201`).
//! - A row with an **empty `dstchannel`** was handled by the dialplan itself (Answer,
//!   Playback, Hangup, Voicemail…) and rang no phone: it is [`Item::Skipped`], not an entry.
//! - **Local channels** are not de-duplicated here: the `;1` half's row (`dstchannel`
//!   `Local/ch1@ctx-…;1`) gives line `ch1`, the `;2` half's own row (`channel`
//!   `Local/ch1@ctx-…;2`, `dstchannel SIP/301-…`) gives line `301`. The chain stage merges one
//!   user's entries into one participant and ignores lines that belong to no user.
//! - **Caller**: `src`, trimmed. **Contact name**: the name part of `clid`
//!   (`"Anna Meier" <0301234567>` gives `Anna Meier`) when it is not empty, differs from the
//!   number in `clid` and from `src`, and is not itself written as a phone number; else none.
//!   Bytes that were not valid UTF-8 have been replaced with U+FFFD by the decoder and stay so.
//! - **Times**: start = `start`, stop = `end`, connect = `answer` (or `start` when `answer` is
//!   empty) only when the disposition is `ANSWERED`. `end` and `answer` are read with `start`
//!   as their lower bound, so a local time in a DST fold resolves forward.
//!   An empty or unreadable `start` or `end` is an error naming the column and the value.
//! - **Disposition**: `ANSWERED` answered; every other word (`NO ANSWER`, `BUSY`, `FAILED`,
//!   `CONGESTION`, `CANCEL`…) not answered. `BUSY` means the user was on another call, so was
//!   logged on: a missed call with `user_offline = Some(false)`. `FAILED`, `CONGESTION` and
//!   `CHANUNAVAIL` mean the phone could not be reached: `user_offline = Some(true)`. Others
//!   leave it unknown. An empty disposition is an error.
//! - Every entry is incoming (`origin` Incoming), `internal` false (the policy decides internal
//!   callers by the users file), call type 0, not marked as the last of its chain; line user,
//!   acceptor, redirecting number and contact company are unknown. `seq` is the 0-based index
//!   of the row among the file's non-blank lines.
//!
//! # Rows and errors
//! `cdr_csv` writes one row per line, so the reader takes the file line by line and parses each
//! line as one CSV record. Blank lines are ignored; every other line yields exactly one item.
//! A line that ends inside a quoted field (a row cut off while it was written, or a line break
//! in a field, which cannot be told apart) is an error, and the next line is read as a row of
//! its own: a broken row never swallows the rows after it, which matters for a file that grows
//! for years. Wrong field counts, CSV errors, lines over 1 MiB and unreadable times are errors
//! with the file and line; reading goes on with the next line.

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
const NAMES: [&str; 21] = [
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
];

// Indexes into NAMES of the columns the reader uses.
const SRC: usize = 1;
const CLID: usize = 4;
const CHANNEL: usize = 5;
const DSTCHANNEL: usize = 6;
const START: usize = 9;
const ANSWER: usize = 10;
const END: usize = 11;
const DISPOSITION: usize = 14;
const UNIQUEID: usize = 16;
const LINKEDID: usize = 19;
const SEQUENCE: usize = 20;

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
    /// A `cdr_custom` layout from the config (only changes the error messages).
    custom: bool,
    /// For each name in `NAMES`, its 0-based field index, if the layout has it.
    pos: [Option<usize>; 21],
}

impl ColumnMap {
    /// The cdr_csv layout for a row of n fields (16, 18 or 21), None otherwise.
    pub fn cdr_csv(n: usize) -> Option<ColumnMap> {
        if !matches!(n, 16 | 18 | 21) {
            return None;
        }
        let mut pos = [None; 21];
        for (i, p) in pos.iter_mut().enumerate().take(n) {
            *p = Some(i);
        }
        Some(ColumnMap {
            width: n,
            custom: false,
            pos,
        })
    }

    /// A cdr_custom layout from column names in order (config key; names as above, unknown
    /// names allowed only as "" / "-" placeholders or an error naming them; src, dstchannel,
    /// start, end, disposition are required). Names are compared ignoring ASCII case and
    /// surrounding blanks.
    pub fn from_names(names: &[String]) -> Result<ColumnMap, String> {
        let mut pos = [None; 21];
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
            custom: true,
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
        if self.custom {
            format!(
                "expected {} columns (the configured cdr_custom layout), found {found}",
                self.width
            )
        } else {
            format!("expected {} columns (cdr_csv), found {found}", self.width)
        }
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
    })
}

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
        while !self.done {
            let overlong = match self.next_line() {
                Physical::Eof => {
                    self.done = true;
                    return None;
                }
                Physical::Failed(e) => {
                    self.done = true;
                    return Some(self.error(
                        self.line + 1,
                        format!("cannot read further: {e} (the rest of the file is not read)"),
                    ));
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
            let result = if overlong {
                Err(format!(
                    "line is longer than {} MiB (expected a CDR row of a few hundred bytes)",
                    MAX_LINE_BYTES >> 20
                ))
            } else {
                self.parser
                    .parse(text)
                    .and_then(|record| row(record, &self.ctx, self.columns.as_ref(), line, seq))
            };
            return Some(match result {
                Ok(item) => item,
                Err(message) => self.error(line, message),
            });
        }
        None
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

/// Maps one non-blank line onto an item; `Err` is the message of a row error.
fn row(
    record: StringRecord,
    ctx: &ReadContext,
    columns: Option<&ColumnMap>,
    line: u64,
    seq: u64,
) -> Result<Item, String> {
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
    let field = |k| map.field(&record, k);
    let pos = SourcePos {
        file: ctx.file.clone(),
        line,
    };

    let dstchannel = field(DSTCHANNEL);
    if dstchannel.is_empty() {
        return Ok(Item::Skipped {
            pos,
            reason: SKIP_NO_DESTINATION,
        });
    }
    let line_number = channel_line(dstchannel).ok_or_else(|| {
        format!(
            "{} {dstchannel:?} names no line (expected a channel like SIP/201-0000002a or Local/201@context-00000001;1)",
            map.describe(DSTCHANNEL)
        )
    })?;

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
    let start = time(START, None)?;
    let stop = time(END, Some(start))?;

    let disposition = field(DISPOSITION);
    if disposition.is_empty() {
        return Err(format!(
            "{} is empty (expected ANSWERED, NO ANSWER, BUSY, FAILED or CONGESTION)",
            map.describe(DISPOSITION)
        ));
    }
    let (answered, user_offline) = disposition_meaning(disposition);
    let connect = if !answered {
        None
    } else if field(ANSWER).is_empty() {
        Some(start)
    } else {
        Some(time(ANSWER, Some(start))?)
    };

    let phone_number = field(SRC).to_string();
    let contact_name = contact_name(field(CLID), &phone_number);

    let uniqueid = field(UNIQUEID);
    let linkedid = field(LINKEDID);
    let sequence = field(SEQUENCE);
    let channel = field(CHANNEL);
    let tracker_id = if !linkedid.is_empty() {
        Some(linkedid.to_string())
    } else if !uniqueid.is_empty() {
        Some(uniqueid.to_string())
    } else if !channel.is_empty() {
        Some(format!("{channel}@{}", field(START)))
    } else {
        None
    };
    let connection_id = match (uniqueid.is_empty(), sequence.is_empty()) {
        (false, false) => format!("{uniqueid}/{sequence}"),
        (false, true) => format!("{uniqueid}@{line}"),
        (true, _) => format!("{}:{line}", ctx.file),
    };

    Ok(Item::Entry(Box::new(Entry {
        pos,
        seq,
        connection_id,
        tracker_id,
        start,
        stop,
        connect,
        origin: Origin::Incoming,
        internal: false,
        line_number,
        line_user: None,
        user_offline,
        phone_number,
        redirecting_number: None,
        contact_name,
        contact_company: None,
        acceptor: None,
        tracker_last: false,
        call_type: 0,
        voicemail: false,
    })))
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
        return non_empty(exten);
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
            let item = one(&with(fields21(), &[(*k, value)]));
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
