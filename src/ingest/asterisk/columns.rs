//! Column layouts: `cdr_csv` by width, `cdr_custom` by configured names, Grandstream by its
//! header; and the look of a CDR row, for format detection.

use crate::ingest::csv::Record;

/// The `cdr_csv` column names, in `cdr_csv` order (also the names `cdr_custom` layouts use).
pub(super) const NAMES: [&str; N_NAMES] = [
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

pub(super) const N_NAMES: usize = 29;

/// The display names of a Grandstream UCM CDR export's header, and the column each stands for
/// (compared ignoring case, blanks and dots).
pub(super) const GRANDSTREAM_HEADER: [(&str, usize); 26] = [
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

// Indexes into NAMES of the columns the reader uses.
pub(super) const SRC: usize = 1;
pub(super) const DST: usize = 2;
pub(super) const CLID: usize = 4;
pub(super) const CHANNEL: usize = 5;
pub(super) const DSTCHANNEL: usize = 6;
pub(super) const LASTAPP: usize = 7;
pub(super) const LASTDATA: usize = 8;
pub(super) const START: usize = 9;
pub(super) const ANSWER: usize = 10;
pub(super) const END: usize = 11;
pub(super) const DURATION: usize = 12;
pub(super) const DISPOSITION: usize = 14;
pub(super) const UNIQUEID: usize = 16;
pub(super) const LINKEDID: usize = 19;
pub(super) const SEQUENCE: usize = 20;
pub(super) const CALLER_NAME: usize = 22;
pub(super) const ANSWERED_BY: usize = 23;
pub(super) const SESSION: usize = 24;
pub(super) const ACTION_TYPE: usize = 26;
pub(super) const SRC_TRUNK: usize = 27;
pub(super) const DST_TRUNK: usize = 28;

pub(super) const REQUIRED: [usize; 5] = [SRC, DSTCHANNEL, START, END, DISPOSITION];

/// The disposition words Asterisk writes (and the dial states some setups put there).
pub(super) const KNOWN_DISPOSITIONS: [&str; 8] = [
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
pub(crate) struct ColumnMap {
    /// Fields a row of this layout has.
    pub(super) width: usize,
    /// What the layout came from, for the error messages: "cdr_csv", "the configured cdr_custom
    /// layout", "the Grandstream header".
    pub(super) source: &'static str,
    /// For each name in `NAMES`, its 0-based field index, if the layout has it.
    pub(super) pos: [Option<usize>; N_NAMES],
}

impl ColumnMap {
    /// The cdr_csv layout for a row of n fields (16, 18 or 21), None otherwise.
    pub(crate) fn cdr_csv(n: usize) -> Option<ColumnMap> {
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
    pub(crate) fn from_names(names: &[String]) -> Result<ColumnMap, LayoutError> {
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
            return Err(LayoutError::Unknown(unknown));
        }
        if !twice.is_empty() {
            return Err(LayoutError::Twice(twice));
        }
        let missing: Vec<&'static str> = REQUIRED
            .iter()
            .filter(|&&k| pos[k].is_none())
            .map(|&k| NAMES[k])
            .collect();
        if !missing.is_empty() {
            return Err(LayoutError::Missing(missing));
        }
        Ok(ColumnMap {
            width: names.len(),
            source: "the configured cdr_custom layout",
            pos,
        })
    }

    /// The number of fields a row of this layout has.
    pub(crate) fn width(&self) -> usize {
        self.width
    }

    /// The trimmed field of column `k` (an index into `NAMES`); "" when the layout lacks it.
    pub(super) fn field<'r>(&self, record: &'r Record, k: usize) -> &'r str {
        self.pos[k].and_then(|i| record.get(i)).unwrap_or("").trim()
    }

    /// Column `k` as messages name it: "column 10 (start)".
    pub(super) fn describe(&self, k: usize) -> Column {
        Column {
            index: self.pos[k],
            name: NAMES[k],
        }
    }
}

/// A column as messages name it: "column 10 (start)", or "column start" when the layout
/// lacks it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Column {
    index: Option<usize>,
    name: &'static str,
}

impl std::fmt::Display for Column {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.index {
            Some(i) => write!(f, "column {} ({})", i + 1, self.name),
            None => write!(f, "column {}", self.name),
        }
    }
}

/// What is wrong with a configured `cdr_custom` column list; the texts are the messages
/// users see.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum LayoutError {
    #[error("unknown CDR column name{} {} (expected one of {}, or \"\" / \"-\" for a column to ignore)", plural(.0.len()), .0.join(", "), NAMES.join(", "))]
    Unknown(Vec<String>),
    #[error("CDR column named more than once: {} (expected each name at most once)", .0.join(", "))]
    Twice(Vec<String>),
    #[error("the CDR column list lacks {} (required: src, dstchannel, start, end, disposition)", .0.join(", "))]
    Missing(Vec<&'static str>),
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
pub(crate) fn looks_like_cdr(record: &Record) -> bool {
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
pub(crate) fn grandstream_header(record: &Record) -> Option<ColumnMap> {
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
