//! The directory files (SPEC §1.3): users, contacts (CSV or vCard) and logons.
//!
//! All three CSV files have a header row. Column order is free, unknown columns are ignored,
//! header names are compared trimmed and ignoring case. The delimiter is detected from the
//! header: `,`, `;` (what Excel writes in Germany) or a tab (Excel's "Unicode text"); an Excel
//! `sep=X` first line is honoured too. Blank lines (also lines of empty fields only, as Excel
//! writes them) are ignored.
//!
//! Nothing here panics or drops a row silently: every rejected or repaired row yields a
//! [`DirError`] with the file, the physical line where the record starts and the column.

use std::collections::HashMap;
use std::fmt;
use std::path::Path;

use jiff::tz::TimeZone;
use jiff::Timestamp;

use crate::ingest::csv;
use crate::ingest::text::{read_to_string, TextEncoding};
use crate::ingest::SourcePos;

mod user_id;
pub(crate) mod vcard;

pub(crate) use user_id::{fold as fold_user, UserId, UserKey};

/// A problem with a directory file: where, which column (or vCard property), what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DirError {
    pub(crate) pos: SourcePos,
    /// The column the problem is in, when it is about one column.
    pub(crate) key: Option<String>,
    pub(crate) message: String,
}

impl DirError {
    fn new(
        file: &crate::ingest::FileName,
        line: u64,
        key: Option<&str>,
        message: impl Into<String>,
    ) -> Self {
        DirError {
            pos: SourcePos { file: *file, line },
            key: key.map(str::to_string),
            message: message.into(),
        }
    }
}

impl fmt::Display for DirError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // line 0: the whole file (it could not be read)
        let at = if self.pos.line == 0 {
            self.pos.file.to_string()
        } else {
            self.pos.to_string()
        };
        match &self.key {
            Some(key) => write!(f, "{at}: column `{key}`: {}", self.message),
            None => write!(f, "{at}: {}", self.message),
        }
    }
}

impl std::error::Error for DirError {}

/// A user of the phone system: a row of the users file (SPEC §1.3), the one user type of
/// the program.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct User {
    /// The user name as written; compared ignoring case.
    pub(crate) user: UserId,
    /// The display name; the user name when the file gives none.
    pub(crate) name: String,
    pub(crate) email: Option<String>,
    /// The user's numbers as written (trimmed, non-empty, no duplicates).
    pub(crate) lines: Vec<String>,
    /// As written; validated against the languages directory elsewhere.
    pub(crate) language: Option<String>,
    pub(crate) notify: bool,
    /// A valid IANA zone name, as written.
    pub(crate) time_zone: Option<String>,
    /// The same zone, resolved.
    pub(crate) zone: Option<TimeZone>,
    pub(crate) pos: SourcePos,
}

impl User {
    /// A user with defaults, for tests and builders (no place in a file: line 0).
    pub(crate) fn new(user: &str, email: Option<&str>, lines: &[&str]) -> User {
        User {
            user: UserId::new(user),
            name: user.into(),
            email: email.map(Into::into),
            lines: lines.iter().map(|s| s.to_string()).collect(),
            language: None,
            notify: true,
            time_zone: None,
            zone: None,
            pos: SourcePos {
                file: crate::ingest::FileName::new(""),
                line: 0,
            },
        }
    }
}

/// A caller's contact from a contacts file (CSV or vCard).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Contact {
    /// Never empty: the person's name, or the company's when no person is named (then
    /// `company` holds the same text; do not show it twice).
    pub(crate) name: String,
    pub(crate) company: Option<String>,
    pub(crate) email: Option<String>,
    /// Never empty.
    pub(crate) phones: Vec<Phone>,
    pub(crate) pos: SourcePos,
}

impl Contact {
    /// A contact with these numbers and nothing else, for tests and builders (no place in a
    /// file: line 0).
    pub(crate) fn new(name: &str, phones: &[(&str, PhoneKind)]) -> Contact {
        Contact {
            name: name.into(),
            company: None,
            email: None,
            phones: phones
                .iter()
                .map(|&(number, kind)| Phone {
                    number: number.into(),
                    kind,
                })
                .collect(),
            pos: SourcePos {
                file: crate::ingest::FileName::new(""),
                line: 0,
            },
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Phone {
    /// As written.
    pub(crate) number: String,
    pub(crate) kind: PhoneKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum PhoneKind {
    Work,
    Home,
    Cell,
    Fax,
    Other,
}

impl PhoneKind {
    /// The kind as the mail document names it (`WORK`, `CELL`, `HOME`, `FAX`, `OTHER`).
    pub(crate) fn word(self) -> &'static str {
        match self {
            PhoneKind::Work => "WORK",
            PhoneKind::Cell => "CELL",
            PhoneKind::Home => "HOME",
            PhoneKind::Fax => "FAX",
            PhoneKind::Other => "OTHER",
        }
    }
}

/// A row of the logons file: the user logged on at that time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Logon {
    pub(crate) user: UserId,
    pub(crate) time: Timestamp,
    pub(crate) pos: SourcePos,
}

// ---------------------------------------------------------------------------------------
// Loading files

fn read_file(path: &Path, enc: TextEncoding) -> Result<(String, String), DirError> {
    let file = path.display().to_string();
    match read_to_string(path, enc) {
        Ok(text) => Ok((text, file)),
        Err(e) => Err(DirError::new(
            &crate::ingest::FileName::new(file.as_str()),
            0,
            None,
            format!("cannot read the file: {e}"),
        )),
    }
}

/// Reads the users file. `Err` only when the file cannot be read; bad rows are reported in
/// the second list.
pub(crate) fn load_users(
    path: &Path,
    enc: TextEncoding,
) -> Result<(Vec<User>, Vec<DirError>), DirError> {
    let (text, file) = read_file(path, enc)?;
    Ok(parse_users(&text, &file))
}

/// Reads a contacts file: a vCard file when the name ends in `.vcf` or `.vcard`, else CSV.
pub(crate) fn load_contacts(
    path: &Path,
    enc: TextEncoding,
) -> Result<(Vec<Contact>, Vec<DirError>), DirError> {
    let (text, file) = read_file(path, enc)?;
    let is_vcard = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("vcf") || e.eq_ignore_ascii_case("vcard"));
    if is_vcard {
        Ok(crate::directory::vcard::parse(&text, &file))
    } else {
        Ok(parse_contacts_csv(&text, &file))
    }
}

/// Reads the logons file; local times are read in `tz`.
pub(crate) fn load_logons(
    path: &Path,
    enc: TextEncoding,
    tz: &TimeZone,
) -> Result<(Vec<Logon>, Vec<DirError>), DirError> {
    let (text, file) = read_file(path, enc)?;
    Ok(parse_logons(&text, &file, tz))
}

// ---------------------------------------------------------------------------------------
// The CSV table reader shared by the three files

const USER_COLUMNS: &[&str] = &[
    "user",
    "name",
    "email",
    "lines",
    "language",
    "notify",
    "time_zone",
];
const CONTACT_COLUMNS: &[&str] = &["name", "company", "email", "phones"];
const LOGON_COLUMNS: &[&str] = &["user", "time"];

struct Row {
    line: u64,
    fields: Vec<String>,
}

struct Table {
    file: crate::ingest::FileName,
    index: HashMap<String, usize>,
    rows: Vec<Row>,
}

impl Table {
    /// The trimmed value of a column, "" when the column or the field is missing.
    fn get<'r>(&self, row: &'r Row, column: &str) -> &'r str {
        self.index
            .get(column)
            .and_then(|&i| row.fields.get(i))
            .map(|s| s.trim())
            .unwrap_or("")
    }

    fn pos(&self, row: &Row) -> SourcePos {
        SourcePos {
            file: self.file,
            line: row.line,
        }
    }

    fn err(&self, row: &Row, key: &str, message: impl Into<String>) -> DirError {
        DirError::new(&self.file, row.line, Some(key), message)
    }

    /// The column `email`: None when empty; a bad address is reported and the row kept
    /// without one (`who` names the row's user or contact in the message).
    fn email(&self, row: &Row, who: &str, errors: &mut Vec<DirError>) -> Option<String> {
        match self.get(row, "email") {
            "" => None,
            raw => match parse_address(raw) {
                Ok(a) => Some(a),
                Err(e) => {
                    let message = format!("{e}; {who} is kept without an address");
                    errors.push(self.err(row, "email", message));
                    None
                }
            },
        }
    }
}

/// One parsed record: its first physical line and its fields.
type RawRecord = (u64, Vec<String>);

/// The records of a file, and where a quote opened that is never closed (its line, and the
/// line the file ends on): it takes the rest of the file with it.
struct Records {
    list: Vec<RawRecord>,
    unclosed: Option<(u64, u64)>,
}

fn records(text: &str, delimiter: u8) -> Records {
    let dialect = csv::Dialect {
        bare_cr: csv::BareCr::EndsRecord,
        ..csv::Dialect::text(delimiter, csv::OpenQuote::RunsToEnd)
    };
    let mut reader = csv::Reader::new(text.as_bytes(), dialect);
    let mut record = csv::Record::default();
    let mut out = Records {
        list: Vec::new(),
        unclosed: None,
    };
    loop {
        match reader.read(&mut record) {
            Ok(true) => out
                .list
                .push((record.line(), record.iter().map(str::to_string).collect())),
            Ok(false) => break,
            Err(bad) => {
                // Input is a &str: only an open quote makes a bad record, and it runs to the end
                if let csv::BadKind::Unclosed { line_ends, .. } = bad.kind {
                    out.unclosed = Some((bad.line, bad.line + line_ends));
                }
                break;
            }
        }
    }
    out
}

fn is_blank(fields: &[String]) -> bool {
    fields.iter().all(|f| f.trim().is_empty())
}

/// An Excel `sep=;` first line: the delimiter and the line to skip.
fn sep_hint(text: &str) -> Option<(u8, u64)> {
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        if t.is_empty() {
            continue;
        }
        let lower = t.to_ascii_lowercase();
        let rest = lower.strip_prefix("sep=")?;
        let b = rest.as_bytes();
        if b.len() == 1 && matches!(b[0], b',' | b';' | b'\t' | b'|') {
            return Some((b[0], i as u64 + 1));
        }
        return None;
    }
    None
}

fn list_columns(cols: &[String]) -> String {
    let shown: Vec<String> = cols
        .iter()
        .filter(|c| !c.is_empty())
        .map(|c| format!("`{c}`"))
        .collect();
    if shown.is_empty() {
        "no column names".to_string()
    } else {
        shown.join(", ")
    }
}

/// The columns a table must or may have: `required`: every one must be present; `one_of`:
/// at least one of them must be present (empty = no such rule); `known`: all it may have.
#[derive(Clone, Copy)]
struct Columns<'c> {
    required: &'c [&'c str],
    one_of: &'c [&'c str],
    known: &'c [&'c str],
}

/// The records read with one delimiter, and where its header is.
struct Candidate {
    score: (usize, usize, usize),
    records: Records,
    header: usize,
    columns: Vec<String>,
}

/// Reads a CSV table with a header row (see [`Columns`]). Returns None (and reports why)
/// when the header is missing or lacks a required column.
fn read_table(
    text: &str,
    file: &str,
    required: &[&str],
    one_of: &[&str],
    known: &[&str],
    errors: &mut Vec<DirError>,
) -> Option<Table> {
    let cols = Columns {
        required,
        one_of,
        known,
    };
    let file: crate::ingest::FileName = crate::ingest::FileName::new(file);
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let hint = sep_hint(text);
    let skip_line = hint.map(|(_, l)| l).unwrap_or(0);
    let candidates: Vec<u8> = match hint {
        Some((d, _)) => vec![d],
        None => vec![b',', b';', b'\t'],
    };
    let Some(best) = best_candidate(text, &candidates, skip_line, cols) else {
        errors.push(DirError::new(
            &file,
            1,
            None,
            format!(
                "the file has no header row (expected the columns {})",
                known.join(",")
            ),
        ));
        return None;
    };
    let header_line = best.records.list[best.header].0;
    if let Some((key, message)) = missing_columns(&best.columns, cols) {
        errors.push(DirError::new(&file, header_line, key, message));
        return None;
    }
    let index = column_index(&best.columns, known, &file, header_line, errors);
    let rows = data_rows(best, skip_line, &file, errors);
    Some(Table { file, index, rows })
}

/// For each candidate delimiter: the records and the header; the best of them.
fn best_candidate(
    text: &str,
    candidates: &[u8],
    skip_line: u64,
    cols: Columns<'_>,
) -> Option<Candidate> {
    let mut best: Option<Candidate> = None;
    for &d in candidates {
        let recs = records(text, d);
        let Some(header) = recs
            .list
            .iter()
            .position(|(line, f)| *line != skip_line && !is_blank(f))
        else {
            continue;
        };
        let columns: Vec<String> = recs.list[header]
            .1
            .iter()
            .map(|c| c.trim().to_lowercase())
            .collect();
        let has = |c: &str| columns.iter().any(|h| h == c);
        let req = cols.required.iter().filter(|c| has(c)).count()
            + usize::from(cols.one_of.is_empty() || cols.one_of.iter().any(|c| has(c)));
        let score = (
            req,
            cols.known.iter().filter(|c| has(c)).count(),
            columns.len(),
        );
        if best.as_ref().is_none_or(|b| score > b.score) {
            best = Some(Candidate {
                score,
                records: recs,
                header,
                columns,
            });
        }
    }
    best
}

/// The key and the message when the header lacks a required column.
fn missing_columns<'c>(columns: &[String], cols: Columns<'c>) -> Option<(Option<&'c str>, String)> {
    let Columns {
        required,
        one_of,
        known,
    } = cols;
    let missing: Vec<&str> = required
        .iter()
        .copied()
        .filter(|c| !columns.iter().any(|h| h == c))
        .collect();
    let missing_one_of =
        !one_of.is_empty() && !one_of.iter().any(|c| columns.contains(&c.to_string()));
    if missing.is_empty() && !missing_one_of {
        return None;
    }
    let mut names: Vec<String> = missing.iter().map(|c| format!("`{c}`")).collect();
    if missing_one_of {
        names.push(
            one_of
                .iter()
                .map(|c| format!("`{c}`"))
                .collect::<Vec<_>>()
                .join(" or "),
        );
    }
    let what = if names.len() == 1 {
        format!("required column {} is missing", names[0])
    } else {
        format!("required columns {} are missing", names.join(", "))
    };
    let key = missing.first().copied().or(one_of.first().copied());
    let message = format!(
        "{what} (the header has {}; expected the columns {})",
        list_columns(columns),
        known.join(",")
    );
    Some((key, message))
}

/// Column name → index; a known column named twice is reported, the first one is used.
fn column_index(
    columns: &[String],
    known: &[&str],
    file: &crate::ingest::FileName,
    header_line: u64,
    errors: &mut Vec<DirError>,
) -> HashMap<String, usize> {
    let mut index = HashMap::new();
    for (i, c) in columns.iter().enumerate() {
        if index.contains_key(c.as_str()) {
            if known.contains(&c.as_str()) {
                errors.push(DirError::new(
                    file,
                    header_line,
                    Some(c),
                    "the column appears more than once; the first one is used",
                ));
            }
            continue;
        }
        index.insert(c.clone(), i);
    }
    index
}

/// The records after the header, without blank lines and the `sep=` line.
fn data_rows(
    best: Candidate,
    skip_line: u64,
    file: &crate::ingest::FileName,
    errors: &mut Vec<DirError>,
) -> Vec<Row> {
    let mut rows = Vec::new();
    let header_line = best.records.list[best.header].0;
    for (n, (line, fields)) in best.records.list.into_iter().enumerate() {
        if n <= best.header || line == skip_line || is_blank(&fields) {
            continue;
        }
        rows.push(Row { line, fields });
    }
    // A quote that is never closed takes the rest of the file as one field of one record:
    // report it instead of losing those lines unnoticed.
    if let Some((line, last)) = best.records.unclosed {
        if line > header_line && line != skip_line {
            errors.push(DirError::new(
                file,
                line,
                None,
                format!(
                    "a quote opened in this row is never closed: lines {line} to {last} \
                     were read as one row; it is skipped"
                ),
            ));
        }
    }
    rows
}

// ---------------------------------------------------------------------------------------
// Values

/// Splits a list of numbers (`;` or `,` separated) into trimmed non-empty items.
fn split_list(s: &str) -> Vec<String> {
    s.split([';', ','])
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect()
}

/// A name-like text: trimmed, control characters (line breaks, tabs) become one space.
fn clean_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut space = false;
    for c in s.trim().chars() {
        if c.is_control() {
            if !space {
                out.push(' ');
                space = true;
            }
        } else {
            out.push(c);
            space = false;
        }
    }
    out.trim().to_string()
}

/// A value of a directory file that is not what its column expects; it names the value as
/// written (trimmed). Row-level: the reader puts it into a [`DirError`] with the file, line
/// and column, and goes on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum ValueError {
    #[error(
        "{0:?} is not yes or no (expected yes/no, true/false, 1/0, y/n, ja/nein; empty = yes)"
    )]
    NotYesNo(String),
    #[error("{given:?} is not an e-mail address ({why})")]
    NotAnAddress { given: String, why: AddressProblem },
}

/// Why a text is not an e-mail address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum AddressProblem {
    #[error("it contains a line break or a control character")]
    ControlCharacter,
    #[error("expected `Name <local@domain>`")]
    NotNameAddr,
    #[error("it is empty")]
    Empty,
    #[error("{0:?} is not allowed in an address")]
    Character(char),
    #[error("expected exactly one @")]
    NotOneAt,
    #[error("expected local@domain")]
    EmptyPart,
    #[error("it is too long")]
    TooLong,
    #[error("misplaced dot in the part before @")]
    MisplacedDot,
    #[error("the domain is not a host name")]
    NotAHost,
}

/// Reads a yes/no value; empty = yes.
pub(crate) fn parse_yes_no(s: &str) -> Result<bool, ValueError> {
    match s.trim().to_lowercase().as_str() {
        "" | "yes" | "y" | "true" | "1" | "ja" | "j" | "on" => Ok(true),
        "no" | "n" | "false" | "0" | "nein" | "off" => Ok(false),
        _ => Err(ValueError::NotYesNo(s.trim().to_string())),
    }
}

/// Checks an e-mail address: one plain `local@domain`, or `Name <local@domain>` reduced to
/// the address. Returns the address.
pub(crate) fn parse_address(s: &str) -> Result<String, ValueError> {
    let bad = |why: AddressProblem| {
        Err(ValueError::NotAnAddress {
            given: s.trim().to_string(),
            why,
        })
    };
    if s.chars().any(char::is_control) {
        return bad(AddressProblem::ControlCharacter);
    }
    let s = s.trim();
    let addr = if let Some(open) = s.find('<') {
        let Some(inner) = s[open + 1..].strip_suffix('>') else {
            return bad(AddressProblem::NotNameAddr);
        };
        let display = &s[..open];
        if display.contains('>') || inner.contains(['<', '>']) {
            return bad(AddressProblem::NotNameAddr);
        }
        inner.trim()
    } else {
        s
    };
    let addr = if addr.len() > 7
        && addr.is_char_boundary(7)
        && addr[..7].eq_ignore_ascii_case("mailto:")
    {
        &addr[7..]
    } else {
        addr
    };
    if addr.is_empty() {
        return bad(AddressProblem::Empty);
    }
    if let Some(c) = addr
        .chars()
        .find(|&c| c.is_whitespace() || "<>,;:()[]\\\"".contains(c))
    {
        return bad(AddressProblem::Character(c));
    }
    let mut parts = addr.split('@');
    let (Some(local), Some(domain), None) = (parts.next(), parts.next(), parts.next()) else {
        return bad(AddressProblem::NotOneAt);
    };
    if local.is_empty() || domain.is_empty() {
        return bad(AddressProblem::EmptyPart);
    }
    if local.len() > 64 || domain.len() > 253 {
        return bad(AddressProblem::TooLong);
    }
    if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
        return bad(AddressProblem::MisplacedDot);
    }
    for label in domain.split('.') {
        if label.is_empty()
            || label.starts_with('-')
            || label.ends_with('-')
            || !label.chars().all(|c| c.is_alphanumeric() || c == '-')
        {
            return bad(AddressProblem::NotAHost);
        }
    }
    Ok(addr.to_string())
}

/// A line number reduced for comparing two users' lines: visual separators removed.
fn line_key(line: &str) -> String {
    line.chars()
        .filter(|c| !(c.is_whitespace() || matches!(c, '-' | '/' | '(' | ')' | '.')))
        .collect()
}

// ---------------------------------------------------------------------------------------
// The three files

/// Parses a users file (see the module docs).
pub(crate) fn parse_users(text: &str, file: &str) -> (Vec<User>, Vec<DirError>) {
    let mut errors = Vec::new();
    let Some(table) = read_table(text, file, &["user"], &[], USER_COLUMNS, &mut errors) else {
        return (Vec::new(), errors);
    };
    let mut users: Vec<User> = Vec::new();
    // user → index in `users`
    let mut by_name: HashMap<UserKey, usize> = HashMap::new();
    // line key → (user, where)
    let mut by_line: HashMap<String, (String, u64)> = HashMap::new();

    for row in &table.rows {
        let user = table.get(row, "user");
        if user.is_empty() {
            errors.push(table.err(row, "user", "the user name is empty; row skipped"));
            continue;
        }
        if user.chars().any(char::is_control) {
            errors.push(table.err(
                row,
                "user",
                "the user name contains a line break or a control character; row skipped",
            ));
            continue;
        }
        let notify = match parse_yes_no(table.get(row, "notify")) {
            Ok(b) => b,
            Err(e) => {
                errors.push(table.err(row, "notify", format!("{e}; row skipped")));
                continue;
            }
        };
        let id = UserId::new(user);
        if let Some(&first) = by_name.get(id.key()) {
            let first = &users[first];
            errors.push(table.err(
                row,
                "user",
                format!(
                    "user `{user}` is already defined at {} (as `{}`); this row is skipped",
                    first.pos, first.user
                ),
            ));
            continue;
        }

        let name = clean_text(table.get(row, "name"));
        let email = table.email(row, &format!("user `{user}`"), &mut errors);
        let (time_zone, zone) = user_zone(&table, row, user, &mut errors);
        let language = Some(clean_text(table.get(row, "language"))).filter(|l| !l.is_empty());

        let lines = user_lines(&table, row, user, &mut by_line, &mut errors);

        by_name.insert(id.key().clone(), users.len());
        users.push(User {
            user: id,
            name: if name.is_empty() {
                user.to_string()
            } else {
                name
            },
            email,
            lines,
            language,
            notify,
            time_zone,
            zone,
            pos: table.pos(row),
        });
    }
    (users, errors)
}

/// The column `time_zone` of a user: as written and resolved; a bad zone is reported and
/// the user kept with the default zone.
fn user_zone(
    table: &Table,
    row: &Row,
    user: &str,
    errors: &mut Vec<DirError>,
) -> (Option<String>, Option<TimeZone>) {
    match table.get(row, "time_zone") {
        "" => (None, None),
        z => match crate::ingest::time::zone(z) {
            Ok(tz) => (Some(z.to_string()), Some(tz)),
            Err(e) => {
                errors.push(table.err(
                    row,
                    "time_zone",
                    format!("{e}; user `{user}` is kept with the default zone"),
                ));
                (None, None)
            }
        },
    }
}

/// The column `lines` of a user, without repeats; a line an earlier user claimed stays with
/// that user (`by_line`: line key → (user, where)) and is reported.
fn user_lines(
    table: &Table,
    row: &Row,
    user: &str,
    by_line: &mut HashMap<String, (String, u64)>,
    errors: &mut Vec<DirError>,
) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for line in split_list(table.get(row, "lines")) {
        let key = line_key(&line);
        if key.is_empty() || lines.iter().any(|l| line_key(l) == key) {
            continue;
        }
        if let Some((owner, at)) = by_line.get(&key) {
            errors.push(table.err(
                row,
                "lines",
                format!(
                    "line `{line}` of user `{user}` is already claimed by user `{owner}` \
                     (line {at}); it stays with `{owner}`"
                ),
            ));
            continue;
        }
        by_line.insert(key, (user.to_string(), row.line));
        lines.push(line);
    }
    lines
}

/// Parses a contacts file in CSV (`name,company,email,phones`).
pub(crate) fn parse_contacts_csv(text: &str, file: &str) -> (Vec<Contact>, Vec<DirError>) {
    let mut errors = Vec::new();
    let Some(table) = read_table(
        text,
        file,
        &["phones"],
        &["name", "company"],
        CONTACT_COLUMNS,
        &mut errors,
    ) else {
        return (Vec::new(), errors);
    };
    let mut contacts = Vec::new();
    for row in &table.rows {
        let name = clean_text(table.get(row, "name"));
        let company = Some(clean_text(table.get(row, "company"))).filter(|c| !c.is_empty());
        let phones: Vec<Phone> = split_list(table.get(row, "phones"))
            .into_iter()
            .map(|number| Phone {
                number,
                kind: PhoneKind::Work,
            })
            .collect();
        if name.is_empty() && company.is_none() {
            errors.push(table.err(
                row,
                "name",
                "the contact has neither a name nor a company; row skipped",
            ));
            continue;
        }
        let shown = if name.is_empty() {
            company.clone().unwrap_or_default()
        } else {
            name
        };
        if phones.is_empty() {
            errors.push(table.err(
                row,
                "phones",
                format!("contact `{shown}` has no phone number; row skipped"),
            ));
            continue;
        }
        let email = table.email(row, &format!("contact `{shown}`"), &mut errors);
        contacts.push(Contact {
            name: shown,
            company,
            email,
            phones,
            pos: table.pos(row),
        });
    }
    (contacts, errors)
}

/// Parses a logons file (`user,time`); local times are read in `tz`.
pub(crate) fn parse_logons(text: &str, file: &str, tz: &TimeZone) -> (Vec<Logon>, Vec<DirError>) {
    let mut errors = Vec::new();
    let Some(table) = read_table(
        text,
        file,
        &["user", "time"],
        &[],
        LOGON_COLUMNS,
        &mut errors,
    ) else {
        return (Vec::new(), errors);
    };
    let mut logons = Vec::new();
    for row in &table.rows {
        let user = table.get(row, "user");
        if user.is_empty() {
            errors.push(table.err(row, "user", "the user name is empty; row skipped"));
            continue;
        }
        let time = table.get(row, "time");
        let time = if time.is_empty() {
            Err("the time is empty (expected RFC 3339 like 2026-11-26T09:14:03+01:00 or local YYYY-MM-DD HH:MM:SS)".to_string())
        } else {
            crate::ingest::time::parse_timestamp(time, tz, None).map_err(|e| e.to_string())
        };
        match time {
            Ok(time) => logons.push(Logon {
                user: UserId::new(user),
                time,
                pos: table.pos(row),
            }),
            Err(e) => errors.push(table.err(row, "time", format!("{e}; row skipped"))),
        }
    }
    (logons, errors)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn berlin() -> TimeZone {
        TimeZone::get("Europe/Berlin").unwrap()
    }

    fn lines(u: &User) -> Vec<&str> {
        u.lines.iter().map(String::as_str).collect()
    }

    #[test]
    fn users_comma_file() {
        let text = "user,name,email,lines,language,notify,time_zone\n\
                    alice,Alice Adams,alice@example.com,201;0170 1234567,de,yes,Europe/Berlin\n\
                    bob,,bob@example.com,202,,,\n\
                    carol,Carol,,\"203, 204\",,no,\n";
        let (users, errors) = parse_users(text, "users.csv");
        assert_eq!(errors, vec![]);
        assert_eq!(users.len(), 3);
        let a = &users[0];
        assert_eq!(a.user.as_str(), "alice");
        assert_eq!(a.name, "Alice Adams");
        assert_eq!(a.email.as_deref(), Some("alice@example.com"));
        assert_eq!(lines(a), ["201", "0170 1234567"]);
        assert_eq!(a.language.as_deref(), Some("de"));
        assert!(a.notify);
        assert_eq!(a.time_zone.as_deref(), Some("Europe/Berlin"));
        assert_eq!(a.pos.to_string(), "users.csv:2");
        let b = &users[1];
        assert_eq!(b.name, "bob", "empty name = user");
        assert!(b.notify, "empty notify = yes");
        assert_eq!(b.language, None);
        assert_eq!(b.time_zone, None);
        let c = &users[2];
        assert_eq!(c.email, None);
        assert!(!c.notify);
        assert_eq!(lines(c), ["203", "204"]);
        assert_eq!(c.pos.line, 4);
    }

    #[test]
    fn users_semicolon_file_excel_style() {
        // German Excel: `;`, a BOM, header names in another case and order, an unknown
        // column, CRLF, quoted lines field, and empty rows of only delimiters.
        let text = "\u{feff} Name ;USER;Lines;Notify;Abteilung;EMAIL\r\n\
                    Müller, Hans;hmueller;\"201;0170 1234567\";JA;Vertrieb;h.mueller@example.de\r\n\
                    ;;;;;\r\n\
                    \r\n\
                    Schulz;schulz;202;nein;;\r\n";
        let (users, errors) = parse_users(text, "u.csv");
        assert_eq!(errors, vec![]);
        assert_eq!(users.len(), 2);
        assert_eq!(users[0].user.as_str(), "hmueller");
        assert_eq!(users[0].name, "Müller, Hans");
        assert_eq!(lines(&users[0]), ["201", "0170 1234567"]);
        assert!(users[0].notify);
        assert_eq!(users[0].email.as_deref(), Some("h.mueller@example.de"));
        assert_eq!(users[1].user.as_str(), "schulz");
        assert!(!users[1].notify);
        assert_eq!(users[1].pos.line, 5);
    }

    #[test]
    fn excel_sep_hint_and_tabs() {
        let (users, errors) = parse_users("sep=;\nuser;lines\nalice;201,202\n", "u.csv");
        assert_eq!(errors, vec![]);
        assert_eq!(users.len(), 1);
        assert_eq!(lines(&users[0]), ["201", "202"]);
        assert_eq!(users[0].pos.line, 3);

        let (users, errors) = parse_users("user\tname\nalice\tAlice A\n", "u.txt");
        assert_eq!(errors, vec![]);
        assert_eq!(users[0].name, "Alice A");
    }

    #[test]
    fn missing_required_column() {
        let (users, errors) = parse_users("benutzer,name\nalice,Alice\n", "users.csv");
        assert!(users.is_empty());
        assert_eq!(errors.len(), 1);
        let e = &errors[0];
        assert_eq!(e.pos.line, 1);
        assert_eq!(e.key.as_deref(), Some("user"));
        assert!(e.message.contains("`benutzer`"), "{e}");
        assert!(e.message.contains("`name`"), "{e}");

        let (logons, errors) = parse_logons("who;when\nx;y\n", "logons.csv", &berlin());
        assert!(logons.is_empty());
        assert_eq!(errors.len(), 1);
        assert!(
            errors[0].message.contains("`user`, `time`"),
            "{}",
            errors[0]
        );

        let (_, errors) = parse_contacts_csv("email,phones\na@b,1\n", "c.csv");
        assert_eq!(errors.len(), 1);
        assert!(
            errors[0].message.contains("`name` or `company`"),
            "{}",
            errors[0]
        );

        for empty in ["", "\n\n", "\u{feff}", " ; \n"] {
            let (users, errors) = parse_users(empty, "users.csv");
            assert!(users.is_empty());
            assert_eq!(errors.len(), 1, "{empty:?}");
            assert_eq!(errors[0].pos.line, 1);
        }
    }

    #[test]
    fn user_row_errors() {
        let text = "user,name,email,lines,notify,time_zone\n\
                    alice,Alice,alice@example.com,201,yes,\n\
                    bob,Bob,not-an-address,202,yes,\n\
                    carol,Carol,Carol Clark <carol@example.com>,203,maybe,\n\
                    ALICE,Alice 2,a2@example.com,299,yes,\n\
                    dave,Dave,,20 1;204,yes,Mars/Olympus\n\
                    ,Nobody,,205,,\n\
                    erin,Erin,\"Erin E <erin@example.com>\",206,,\n";
        let (users, errors) = parse_users(text, "users.csv");
        let names: Vec<&str> = users.iter().map(|u| u.user.as_str()).collect();
        assert_eq!(names, ["alice", "bob", "dave", "erin"]);
        assert_eq!(users[0].name, "Alice", "the first alice is kept");
        assert_eq!(users[1].email, None, "bad address: kept without one");
        assert_eq!(users[2].time_zone, None);
        assert_eq!(lines(&users[2]), ["204"], "201 stays with alice");
        assert_eq!(users[3].email.as_deref(), Some("erin@example.com"));

        let got: Vec<(u64, Option<&str>)> = errors
            .iter()
            .map(|e| (e.pos.line, e.key.as_deref()))
            .collect();
        assert_eq!(
            got,
            [
                (3, Some("email")),
                (4, Some("notify")),
                (5, Some("user")),
                (6, Some("time_zone")),
                (6, Some("lines")),
                (7, Some("user")),
            ]
        );
        assert!(errors[0].message.contains("not-an-address"));
        assert!(errors[1].message.contains("maybe"));
        assert!(errors[2].message.contains("users.csv:2"), "{}", errors[2]);
        assert!(errors[3].message.contains("Mars/Olympus"));
        let dup_line = &errors[4].message;
        assert!(
            dup_line.contains("`alice`") && dup_line.contains("`dave`"),
            "{dup_line}"
        );
        assert_eq!(
            errors[0].to_string(),
            format!("users.csv:3: column `email`: {}", errors[0].message)
        );
    }

    #[test]
    fn the_zone_is_resolved_with_its_name() {
        let text = "user,time_zone\nann,Europe/Berlin\nbob,\n";
        let (users, errors) = parse_users(text, "u.csv");
        assert_eq!(errors, vec![]);
        assert_eq!(users[0].zone, Some(berlin()));
        assert_eq!(users[1].zone, None);
        assert_eq!(User::new("cy", None, &[]).pos.line, 0);
    }

    #[test]
    fn yes_no_values() {
        for y in ["", "yes", "YES", " y ", "true", "1", "ja", "Ja", "J"] {
            assert_eq!(parse_yes_no(y), Ok(true), "{y:?}");
        }
        for n in ["no", "N", "false", "0", "nein", "NEIN"] {
            assert_eq!(parse_yes_no(n), Ok(false), "{n:?}");
        }
        for bad in ["maybe", "2", "yess", "non"] {
            assert!(parse_yes_no(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn addresses() {
        let good = [
            ("a@b", "a@b"),
            ("hans.mueller@example.de", "hans.mueller@example.de"),
            (" x+tag@sub.example.com ", "x+tag@sub.example.com"),
            ("Hans Müller <hm@example.de>", "hm@example.de"),
            ("\"Müller, Hans\" <hm@example.de>", "hm@example.de"),
            ("<hm@example.de>", "hm@example.de"),
            ("mailto:hm@example.de", "hm@example.de"),
            ("jörg@bücher.de", "jörg@bücher.de"),
        ];
        for (input, want) in good {
            assert_eq!(parse_address(input).as_deref(), Ok(want), "{input:?}");
        }
        let bad = [
            "",
            "plain",
            "a@",
            "@b",
            "a@b@c",
            "a b@c",
            "a@b\r\nBcc: x@y",
            "a@b\n",
            "a@b,c@d",
            "a@b;c@d",
            "Name <a@b",
            "Name <a@b> trailing",
            "<<a@b>>",
            "a@-b.de",
            "a@b..de",
            ".a@b",
            "a..b@c",
            "a\u{7}@b",
            "a@b_c.de",
        ];
        for input in bad {
            assert!(parse_address(input).is_err(), "{input:?}");
        }
    }

    #[test]
    fn line_numbers_count_physical_lines() {
        // A quoted name over two lines: the next record starts on line 5.
        let text = "user,name\n\nalice,\"Alice\nAdams\"\nbob,Bob\n";
        let (users, errors) = parse_users(text, "u.csv");
        assert_eq!(errors, vec![]);
        assert_eq!(users[0].pos.line, 3);
        assert_eq!(users[0].name, "Alice Adams", "line break in a name → space");
        assert_eq!(users[1].pos.line, 5);
    }

    #[test]
    fn unclosed_quote_is_reported() {
        let text = "user,name\nalice,\"Alice\nbob,Bob\ncarol,Carol\n";
        let (users, errors) = parse_users(text, "u.csv");
        assert!(users.is_empty());
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].pos.line, 2);
        assert!(errors[0].message.contains("lines 2 to 5"), "{}", errors[0]);
    }

    #[test]
    fn duplicate_header_column() {
        let (users, errors) = parse_users("user,email,email\nalice,a@b,c@d\n", "u.csv");
        assert_eq!(users[0].email.as_deref(), Some("a@b"));
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].key.as_deref(), Some("email"));
        assert_eq!(errors[0].pos.line, 1);
    }

    #[test]
    fn contacts_csv() {
        let text = "name;company;email;phones\n\
                    Hans Huber;Huber GmbH;hh@huber.de;\"+49 89 123456; 0171 9876543\"\n\
                    ;Stadtwerke;;030 555\n\
                    Nobody;;;\n\
                    ;;x@y.de;030 1\n\
                    Eve;;bad address;030 2\n";
        let (contacts, errors) = parse_contacts_csv(text, "c.csv");
        assert_eq!(contacts.len(), 3);
        let h = &contacts[0];
        assert_eq!(h.name, "Hans Huber");
        assert_eq!(h.company.as_deref(), Some("Huber GmbH"));
        assert_eq!(h.email.as_deref(), Some("hh@huber.de"));
        assert_eq!(
            h.phones,
            vec![
                Phone {
                    number: "+49 89 123456".into(),
                    kind: PhoneKind::Work
                },
                Phone {
                    number: "0171 9876543".into(),
                    kind: PhoneKind::Work
                },
            ]
        );
        assert_eq!(contacts[1].name, "Stadtwerke");
        assert_eq!(contacts[1].company.as_deref(), Some("Stadtwerke"));
        assert_eq!(contacts[2].name, "Eve");
        assert_eq!(contacts[2].email, None);
        let got: Vec<(u64, Option<&str>)> = errors
            .iter()
            .map(|e| (e.pos.line, e.key.as_deref()))
            .collect();
        assert_eq!(
            got,
            [(4, Some("phones")), (5, Some("name")), (6, Some("email"))]
        );
        assert!(errors[0].message.contains("Nobody"));
    }

    #[test]
    fn logons() {
        let text = "time,user\n\
                    2026-11-26 08:00:00,alice\n\
                    2026-11-26T09:00:00Z,bob\n\
                    gestern,carol\n\
                    ,dave\n\
                    2026-11-26 08:00:00,\n";
        let (logons, errors) = parse_logons(text, "logons.csv", &berlin());
        assert_eq!(logons.len(), 2);
        assert_eq!(logons[0].user.as_str(), "alice");
        assert_eq!(
            logons[0].time,
            "2026-11-26T07:00:00Z".parse::<Timestamp>().unwrap()
        );
        assert_eq!(
            logons[1].time,
            "2026-11-26T09:00:00Z".parse::<Timestamp>().unwrap()
        );
        assert_eq!(logons[1].pos.line, 3);
        let got: Vec<(u64, Option<&str>)> = errors
            .iter()
            .map(|e| (e.pos.line, e.key.as_deref()))
            .collect();
        assert_eq!(
            got,
            [(4, Some("time")), (5, Some("time")), (6, Some("user"))]
        );
        assert!(errors[0].message.contains("gestern"), "{}", errors[0]);
        assert!(errors[0].message.contains("YYYY-MM-DD"), "{}", errors[0]);
        assert!(errors[1].message.contains("YYYY-MM-DD"), "{}", errors[1]);
    }

    #[test]
    fn load_files() {
        let dir = tempfile::tempdir().unwrap();
        // UTF-16 LE with BOM, as Windows tools write it
        let users = dir.path().join("users.csv");
        let mut bytes = vec![0xff, 0xfe];
        for u in "user;name\r\nmm;Mäx Müller\r\n".encode_utf16() {
            bytes.extend_from_slice(&u.to_le_bytes());
        }
        std::fs::write(&users, bytes).unwrap();
        let (u, e) = load_users(&users, TextEncoding::Auto).unwrap();
        assert_eq!(e, vec![]);
        assert_eq!(u[0].name, "Mäx Müller");
        assert_eq!(&*u[0].pos.file, users.display().to_string());

        // Windows-1252
        let contacts = dir.path().join("contacts.csv");
        std::fs::write(&contacts, b"name,phones\nJ\xfcrgen,030 1\n").unwrap();
        let (c, e) = load_contacts(&contacts, TextEncoding::Windows1252).unwrap();
        assert_eq!(e, vec![]);
        assert_eq!(c[0].name, "Jürgen");

        // .vcf goes to the vCard reader
        let vcf = dir.path().join("people.VCF");
        std::fs::write(&vcf, "BEGIN:VCARD\r\nFN:Ann\r\nTEL:1\r\nEND:VCARD\r\n").unwrap();
        let (c, e) = load_contacts(&vcf, TextEncoding::Auto).unwrap();
        assert_eq!(e, vec![]);
        assert_eq!(c[0].name, "Ann");

        let logons = dir.path().join("logons.csv");
        std::fs::write(&logons, "user,time\nmm,2026-01-01 10:00:00\n").unwrap();
        let (l, e) = load_logons(&logons, TextEncoding::Auto, &berlin()).unwrap();
        assert_eq!((l.len(), e.len()), (1, 0));

        let missing = dir.path().join("nope.csv");
        let err = load_users(&missing, TextEncoding::Auto).unwrap_err();
        assert_eq!(err.pos.line, 0);
        assert!(err.to_string().starts_with(&missing.display().to_string()));
        assert!(load_contacts(&missing, TextEncoding::Auto).is_err());
        assert!(load_logons(&missing, TextEncoding::Auto, &berlin()).is_err());
    }

    fn line_count(text: &str) -> u64 {
        text.split('\n').count() as u64
    }

    proptest! {
        #[test]
        fn parsers_never_panic(text in "\\PC*", tail in "[,;\"\\n\\r a-z@0-9:-]*") {
            for t in [text.clone(), format!("user,name,email,lines,notify,time_zone,phones,time\n{tail}"),
                      format!("user;time;name;phones\n{text}{tail}")] {
                let n = line_count(&t).max(1);
                let (_, errors) = parse_users(&t, "f");
                prop_assert!(errors.iter().all(|e| e.pos.line >= 1 && e.pos.line <= n));
                let (_, errors) = parse_contacts_csv(&t, "f");
                prop_assert!(errors.iter().all(|e| e.pos.line >= 1 && e.pos.line <= n));
                let (_, errors) = parse_logons(&t, "f", &TimeZone::UTC);
                prop_assert!(errors.iter().all(|e| e.pos.line >= 1 && e.pos.line <= n));
                let (_, errors) = crate::directory::vcard::parse(&t, "f");
                prop_assert!(errors.iter().all(|e| e.pos.line >= 1 && e.pos.line <= n));
            }
        }

        #[test]
        fn every_data_row_is_a_user_or_an_error(rows in proptest::collection::vec(
            ("[a-c]{0,2}", "(yes|no|maybe|)", "([0-9]{1,2}|)"), 0..12)) {
            let mut text = String::from("user,notify,lines\n");
            for (u, n, l) in &rows {
                text.push_str(&format!("{u},{n},{l}\n"));
            }
            let (users, errors) = parse_users(&text, "u.csv");
            let non_blank = rows.iter().filter(|(u, n, l)| !(u.is_empty() && n.is_empty() && l.is_empty())).count();
            let rejected: std::collections::BTreeSet<u64> = errors.iter()
                .filter(|e| e.key.as_deref() != Some("lines")).map(|e| e.pos.line).collect();
            prop_assert_eq!(users.len() + rejected.len(), non_blank);
        }
    }
}
