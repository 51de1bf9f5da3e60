//! The native journal (SPEC §1.1): CSV with a header (any column order, `,` `;` or tab) and
//! JSON Lines with the same keys. Empty and missing mean the same.

use std::io::BufRead;

use jiff::Timestamp;

use super::{Entry, Item, Origin, ReadContext, RowError, SourcePos, Text};
use crate::ingest::csv::{self, BadKind, BadRecord, Dialect, OpenQuote, Record};
use crate::ingest::time::{parse_timestamp, TimeError};

/// The columns of SPEC §1.1, in the order of [`Col`].
const NAMES: [&str; N_COLS] = [
    "u8sConnectionID",
    "u8sTrackerID",
    "stStartTime",
    "stStopTime",
    "stConnectTime",
    "iOrigin",
    "iInternal",
    "u8sLineNumber",
    "u8sLineUserName",
    "iLineUserOffline",
    "u8sPhoneNumber",
    "u8sRedirectingNumber",
    "u8sContactName",
    "u8sContactCompany",
    "u8sAcceptorCtiServerUserName",
    "TrackerLastCall",
    "CallType",
];
const N_COLS: usize = 17;

/// A column of SPEC §1.1 (an index into `NAMES`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Col {
    ConnectionId,
    TrackerId,
    StartTime,
    StopTime,
    ConnectTime,
    Origin,
    Internal,
    LineNumber,
    LineUserName,
    LineUserOffline,
    PhoneNumber,
    RedirectingNumber,
    ContactName,
    ContactCompany,
    Acceptor,
    TrackerLastCall,
    CallType,
}

impl Col {
    /// The column's name as SPEC §1.1 spells it.
    pub(crate) fn name(self) -> &'static str {
        NAMES[self as usize]
    }
}

/// Required columns (SPEC §1.1).
pub(crate) const REQUIRED: [Col; 5] = [
    Col::ConnectionId,
    Col::StartTime,
    Col::StopTime,
    Col::Origin,
    Col::LineNumber,
];

/// What is wrong with a row of the native journal; the texts are the messages users see.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum RowFault {
    #[error("column `{}` is empty, expected a value", .0.name())]
    Empty(Col),
    #[error("column `{}`: {value:?} is not 0 or 1", .col.name())]
    NotFlag { col: Col, value: String },
    #[error("column `{}`: {source}", .col.name())]
    Time { col: Col, source: TimeError },
    #[error("column `stStopTime` ({stop}) lies before `stStartTime` ({start})")]
    StopBeforeStart { stop: String, start: String },
    #[error("column `iOrigin`: {0:?} is not 0 (incoming) or 1 (outgoing)")]
    Origin(String),
    #[error("column `CallType`: {0:?} is not a number")]
    CallType(String),
}

/// One row's fields by column; empty and missing are the same.
pub(crate) trait Fields {
    /// The field's text, trimmed; None when empty or missing.
    fn get(&self, col: Col) -> Option<&str>;
}

/// Turns one row's fields into an entry.
pub(crate) fn entry_from(
    fields: &impl Fields,
    pos: SourcePos,
    ctx: &ReadContext,
    seq: u64,
) -> Result<Entry, RowFault> {
    let field = |c: Col| fields.get(c);
    let text = |c: Col| field(c).map(Text::from);
    let required = |c: Col| field(c).ok_or(RowFault::Empty(c));
    let flag = |c: Col| -> Result<Option<bool>, RowFault> {
        match field(c) {
            None => Ok(None),
            Some(v)
                if ["1", "true", "yes"]
                    .iter()
                    .any(|t| v.eq_ignore_ascii_case(t)) =>
            {
                Ok(Some(true))
            }
            Some(v)
                if ["0", "false", "no"]
                    .iter()
                    .any(|t| v.eq_ignore_ascii_case(t)) =>
            {
                Ok(Some(false))
            }
            Some(v) => Err(RowFault::NotFlag {
                col: c,
                value: v.to_string(),
            }),
        }
    };
    let time = |c: Col, not_before: Option<Timestamp>| -> Result<Timestamp, RowFault> {
        let v = required(c)?;
        parse_timestamp(v, &ctx.time_zone, not_before)
            .map_err(|source| RowFault::Time { col: c, source })
    };

    let connection_id = Text::from(required(Col::ConnectionId)?);
    let start = time(Col::StartTime, None)?;
    let stop = time(Col::StopTime, Some(start))?;
    if stop < start {
        return Err(RowFault::StopBeforeStart {
            stop: field(Col::StopTime).unwrap_or("").to_string(),
            start: field(Col::StartTime).unwrap_or("").to_string(),
        });
    }
    let connect = match field(Col::ConnectTime) {
        None => None,
        Some(_) => Some(time(Col::ConnectTime, Some(start))?),
    };
    let origin = match required(Col::Origin)? {
        "0" => Origin::Incoming,
        "1" => Origin::Outgoing,
        v => return Err(RowFault::Origin(v.to_string())),
    };
    let call_type = match field(Col::CallType) {
        None => 0,
        Some(v) => v
            .parse::<u32>()
            .map_err(|_| RowFault::CallType(v.to_string()))?,
    };
    Ok(Entry {
        pos,
        seq,
        connection_id,
        tracker_id: text(Col::TrackerId),
        start,
        stop,
        connect,
        origin,
        internal: flag(Col::Internal)?.unwrap_or(false),
        line_number: required(Col::LineNumber)?.into(),
        line_user: text(Col::LineUserName),
        user_offline: flag(Col::LineUserOffline)?,
        phone_number: field(Col::PhoneNumber).unwrap_or("").into(),
        redirecting_number: text(Col::RedirectingNumber),
        contact_name: text(Col::ContactName),
        contact_company: text(Col::ContactCompany),
        acceptor: text(Col::Acceptor),
        tracker_last: flag(Col::TrackerLastCall)?.unwrap_or(false),
        call_type,
        voicemail: false,
        arrival: None,
    })
}

/// The known column a header name stands for, matched without regard to case.
fn canonical(name: &str) -> Option<usize> {
    let n = name.trim().trim_start_matches('\u{feff}');
    NAMES.iter().position(|c| c.eq_ignore_ascii_case(n))
}

/// The delimiter of a header line: the one that splits out `u8sConnectionID`.
pub(crate) fn detect_delimiter(header: &str) -> u8 {
    csv::delimiter_naming(header, b",;\t|", "u8sConnectionID")
}

/// A CSV row with the column map of its header.
struct CsvFields<'r> {
    index: &'r [Option<usize>; N_COLS],
    record: &'r Record,
}

impl Fields for CsvFields<'_> {
    fn get(&self, col: Col) -> Option<&str> {
        let i = self.index[col as usize]?;
        Some(crate::ingest::text::trim(self.record.get(i)?)).filter(|s| !s.is_empty())
    }
}

/// The message of a record that could not be read.
fn bad_message(bad: &BadKind) -> String {
    match bad {
        BadKind::Unclosed { .. } | BadKind::Overlong => {
            "a quoted field is not closed (the row is cut off or has a stray quote)".into()
        }
        BadKind::Io(e) => format!("cannot read: {e}"),
    }
}

fn row_error(ctx: &ReadContext, line: u64, message: String) -> Item {
    Item::Error(RowError {
        pos: SourcePos {
            file: ctx.file,
            line,
        },
        message,
    })
}

/// Streams a native CSV journal.
pub(crate) fn read_csv(
    input: Box<dyn BufRead + Send>,
    ctx: ReadContext,
    delimiter: u8,
) -> Box<dyn Iterator<Item = Item> + Send> {
    let mut reader = csv::Reader::new(input, Dialect::text(delimiter, OpenQuote::ResumeNextLine));
    // the header is the first record
    let mut header = Record::default();
    match reader.read(&mut header) {
        Ok(true) => {}
        Ok(false) => return Box::new(std::iter::empty()),
        Err(e) => {
            let message = format!("cannot read the header row: {}", bad_message(&e.kind));
            return Box::new(std::iter::once(row_error(&ctx, e.line, message)));
        }
    }
    let mut index = [None; N_COLS];
    for (i, name) in header.iter().enumerate() {
        if let Some(c) = canonical(name) {
            index[c].get_or_insert(i);
        }
    }
    let missing: Vec<&str> = REQUIRED
        .iter()
        .filter(|c| index[**c as usize].is_none())
        .map(|c| c.name())
        .collect();
    if !missing.is_empty() {
        // every row would fail the same way: say it once, and count the rows not read
        let mut rows = 0;
        let mut scratch = Record::default();
        while !matches!(reader.read(&mut scratch), Ok(false)) {
            rows += 1;
        }
        let message = format!(
            "the header lacks the required column(s) {}; found: {}; none of the {rows} row(s) was read",
            missing.join(", "),
            header.iter().collect::<Vec<_>>().join(", ")
        );
        return Box::new(std::iter::once(row_error(&ctx, header.line(), message)));
    }
    Box::new(CsvRows {
        width: header.len(),
        reader,
        record: header,
        index,
        ctx,
        seq: 0,
    })
}

/// The rows after the header of a native CSV journal.
struct CsvRows {
    reader: csv::Reader<Box<dyn BufRead + Send>>,
    /// Reused for every row.
    record: Record,
    index: [Option<usize>; N_COLS],
    width: usize,
    ctx: ReadContext,
    seq: u64,
}

impl Iterator for CsvRows {
    type Item = Item;

    fn next(&mut self) -> Option<Item> {
        match self.reader.read(&mut self.record) {
            Ok(true) => {}
            Ok(false) => return None,
            Err(BadRecord { line, kind }) => {
                return Some(row_error(&self.ctx, line, bad_message(&kind)))
            }
        }
        let pos = SourcePos {
            file: self.ctx.file,
            line: self.record.line(),
        };
        if self.record.len() != self.width {
            let message = format!(
                "the row has {} fields, the header has {}",
                self.record.len(),
                self.width
            );
            return Some(Item::Error(RowError { pos, message }));
        }
        self.seq += 1;
        let fields = CsvFields {
            index: &self.index,
            record: &self.record,
        };
        Some(
            match entry_from(&fields, pos.clone(), &self.ctx, self.seq - 1) {
                Ok(e) => Item::Entry(Box::new(e)),
                Err(fault) => Item::Error(RowError {
                    pos,
                    message: fault.to_string(),
                }),
            },
        )
    }
}

/// The fields of a JSON Lines object, by column.
struct JsonFields([Option<String>; N_COLS]);

impl Fields for JsonFields {
    fn get(&self, col: Col) -> Option<&str> {
        self.0[col as usize]
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
    }
}

/// Streams a native JSON Lines journal: one object a line.
pub(crate) fn read_json_lines(
    input: Box<dyn BufRead + Send>,
    ctx: ReadContext,
) -> Box<dyn Iterator<Item = Item> + Send> {
    let mut line_no = 0u64;
    let mut seq = 0u64;
    Box::new(input.lines().filter_map(move |line| {
        line_no += 1;
        let pos = SourcePos {
            file: ctx.file,
            line: line_no,
        };
        let line = match line {
            Ok(l) => l,
            Err(e) => {
                return Some(Item::Error(RowError {
                    pos,
                    message: format!("cannot read: {e}"),
                }))
            }
        };
        let t = line.trim();
        if t.is_empty() {
            return None;
        }
        let obj: serde_json::Map<String, serde_json::Value> = match serde_json::from_str(t) {
            Ok(serde_json::Value::Object(m)) => m,
            Ok(_) => {
                return Some(Item::Error(RowError {
                    pos,
                    message: "expected a JSON object ({\"u8sConnectionID\": …}) on this line"
                        .into(),
                }))
            }
            Err(e) => {
                return Some(Item::Error(RowError {
                    pos,
                    message: format!("not valid JSON: {e}"),
                }))
            }
        };
        let mut fields = JsonFields(Default::default());
        for (k, v) in &obj {
            let Some(c) = canonical(k) else { continue };
            let s = match v {
                serde_json::Value::Null => String::new(),
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Bool(b) => {
                    if *b {
                        "1".into()
                    } else {
                        "0".into()
                    }
                }
                serde_json::Value::Number(n) => n.to_string(),
                other => {
                    return Some(Item::Error(RowError {
                        pos,
                        message: format!("key `{k}`: expected a string or number, found {other}"),
                    }))
                }
            };
            fields.0[c] = Some(s);
        }
        seq += 1;
        Some(match entry_from(&fields, pos.clone(), &ctx, seq - 1) {
            Ok(e) => Item::Entry(Box::new(e)),
            Err(fault) => Item::Error(RowError {
                pos,
                message: fault.to_string(),
            }),
        })
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn ctx() -> ReadContext {
        ReadContext {
            file: crate::ingest::FileName::new("j.csv"),
            time_zone: crate::ingest::time::zone("Europe/Berlin").unwrap(),
        }
    }

    fn csv(text: &str) -> Vec<Item> {
        let d = detect_delimiter(text.lines().next().unwrap_or(""));
        read_csv(Box::new(Cursor::new(text.as_bytes().to_vec())), ctx(), d).collect()
    }

    fn entries(items: &[Item]) -> Vec<&Entry> {
        items
            .iter()
            .filter_map(|i| match i {
                Item::Entry(e) => Some(e.as_ref()),
                _ => None,
            })
            .collect()
    }

    fn errors(items: &[Item]) -> Vec<String> {
        items
            .iter()
            .filter_map(|i| match i {
                Item::Error(e) => Some(e.to_string()),
                _ => None,
            })
            .collect()
    }

    const HEAD: &str = "u8sConnectionID,stStartTime,stStopTime,iOrigin,u8sLineNumber,u8sPhoneNumber,stConnectTime,TrackerLastCall\n";

    #[test]
    fn reads_any_column_order_and_semicolons() {
        let a = csv(&format!(
            "{HEAD}c1,2026-11-26 09:00:00,2026-11-26 09:00:20,0,201,030 555,,1\n"
        ));
        let b = csv("U8SPHONENUMBER;iOrigin;u8sLineNumber;stStopTime;stStartTime;u8sConnectionID;extra\n030 555;0;201;2026-11-26 09:00:20;2026-11-26 09:00:00;c1;x\n");
        let (ea, eb) = (entries(&a), entries(&b));
        assert_eq!(ea.len(), 1);
        assert_eq!(eb.len(), 1);
        assert_eq!(ea[0].phone_number, eb[0].phone_number);
        assert_eq!(ea[0].start, eb[0].start);
        assert!(ea[0].tracker_last);
        assert_eq!(ea[0].start, "2026-11-26T08:00:00Z".parse().unwrap());
    }

    #[test]
    fn bad_rows_are_reported_with_line_and_the_rest_is_read() {
        let items = csv(&format!(
            "{HEAD}c1,2026-11-26 09:00:00,2026-11-26 09:00:20,0,201,,,\n\
             c2,yesterday,2026-11-26 09:00:20,0,201,,,\n\
             c3,2026-11-26 09:00:00,2026-11-26 09:00:20,2,201,,,\n\
             c4,2026-11-26 09:00:00\n\
             ,2026-11-26 09:00:00,2026-11-26 09:00:20,0,201,,,\n\
             c6,2026-11-26 09:00:30,2026-11-26 09:00:20,0,201,,,\n\
             \n\
             c7,2026-11-26 09:00:00,2026-11-26 09:00:20,0,201,,,\n"
        ));
        assert_eq!(entries(&items).len(), 2);
        let errs = errors(&items);
        assert_eq!(errs.len(), 5, "{errs:#?}");
        assert!(
            errs[0].starts_with("j.csv:3: column `stStartTime`"),
            "{}",
            errs[0]
        );
        assert!(
            errs[1].starts_with("j.csv:4: column `iOrigin`"),
            "{}",
            errs[1]
        );
        assert!(
            errs[2].starts_with("j.csv:5: the row has 2 fields"),
            "{}",
            errs[2]
        );
        assert!(
            errs[3].starts_with("j.csv:6: column `u8sConnectionID` is empty"),
            "{}",
            errs[3]
        );
        assert!(
            errs[4].starts_with("j.csv:7: column `stStopTime`"),
            "{}",
            errs[4]
        );
        assert_eq!(entries(&items)[1].pos.line, 9);
    }

    #[test]
    fn a_name_with_a_quote_inside_is_read() {
        let items = csv(&format!(
            "{HEAD}c1,2026-11-26 09:00:00,2026-11-26 09:00:20,0,201,O\"Brien 555,,1\nc2,2026-11-26 09:00:00,2026-11-26 09:00:20,0,201,,,\n"
        ));
        let es = entries(&items);
        assert_eq!(es.len(), 2, "{items:?}");
        assert_eq!(es[0].phone_number, "O\"Brien 555");
        assert_eq!(es[1].pos.line, 3);
    }

    #[test]
    fn missing_required_column_is_one_error_that_counts_rows() {
        let items =
            csv("u8sConnectionID,stStartTime\nc1,2026-11-26 09:00:00\nc2,2026-11-26 09:00:00\n");
        let errs = errors(&items);
        assert_eq!(errs.len(), 1);
        assert!(
            errs[0].contains("stStopTime, iOrigin, u8sLineNumber"),
            "{}",
            errs[0]
        );
        assert!(errs[0].contains("2 row(s)"), "{}", errs[0]);
    }

    #[test]
    fn json_lines() {
        let text = r#"{"u8sConnectionID":"c1","stStartTime":"2026-11-26T09:00:00+01:00","stStopTime":"2026-11-26T09:00:20+01:00","iOrigin":0,"u8sLineNumber":201,"TrackerLastCall":true,"iLineUserOffline":"0"}

{"u8sConnectionID":"c2"}
[1,2]
{"u8sConnectionID":"c3",
"#;
        let items: Vec<Item> =
            read_json_lines(Box::new(Cursor::new(text.as_bytes().to_vec())), ctx()).collect();
        let es = entries(&items);
        assert_eq!(es.len(), 1);
        assert_eq!(es[0].line_number, "201");
        assert!(es[0].tracker_last);
        assert_eq!(es[0].user_offline, Some(false));
        let errs = errors(&items);
        assert_eq!(errs.len(), 3, "{errs:#?}");
        assert!(errs[0].starts_with("j.csv:3:"));
        assert!(errs[1].starts_with("j.csv:4: expected a JSON object"));
        assert!(errs[2].starts_with("j.csv:5: not valid JSON"));
    }

    #[test]
    fn connect_time_and_flags() {
        let items = csv("u8sConnectionID,u8sTrackerID,stStartTime,stStopTime,stConnectTime,iOrigin,iInternal,u8sLineNumber,u8sLineUserName,u8sAcceptorCtiServerUserName,CallType\n\
            c1,t1,2026-11-26T09:00:00Z,2026-11-26T09:05:00Z,2026-11-26T09:00:07Z,0,1,201,anna,bert,7\n");
        let e = entries(&items)[0];
        assert_eq!(e.tracker_id.as_deref(), Some("t1"));
        assert_eq!(e.connect, Some("2026-11-26T09:00:07Z".parse().unwrap()));
        assert!(e.internal);
        assert_eq!(e.line_user.as_deref(), Some("anna"));
        assert_eq!(e.acceptor.as_deref(), Some("bert"));
        assert_eq!(e.call_type, 7);
        assert!(e.is_incoming_call());
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;
    use std::io::Cursor;

    fn ctx() -> ReadContext {
        ReadContext {
            file: crate::ingest::FileName::new("p.csv"),
            time_zone: crate::ingest::time::zone("Europe/Berlin").unwrap(),
        }
    }

    const HEAD: &str =
        "u8sConnectionID,stStartTime,stStopTime,iOrigin,u8sLineNumber,u8sPhoneNumber\n";

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Any bytes after a good header: no panic, and every line that is not blank ends as
        /// exactly one entry or one error (no quotes here, so records are lines).
        #[test]
        fn csv_rows_never_panic_and_none_vanish(lines in prop::collection::vec("[^\"\r\n]{0,80}", 0..30)) {
            let text = format!("{HEAD}{}", lines.join("\n"));
            let items: Vec<Item> = read_csv(Box::new(Cursor::new(text.into_bytes())), ctx(), b',').collect();
            let non_blank = lines.iter().filter(|l| !l.trim().is_empty()).count();
            prop_assert_eq!(items.len(), non_blank);
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
            let mut text = HEAD.as_bytes().to_vec();
            text.extend(bytes.iter().copied());
            let decoded = crate::ingest::text::decode_bytes(&text, crate::ingest::text::TextEncoding::Auto);
            let _ = read_csv(Box::new(Cursor::new(decoded.clone().into_bytes())), ctx(), b',').count();
            let _ = read_json_lines(Box::new(Cursor::new(decoded.into_bytes())), ctx()).count();
        }

        #[test]
        fn json_lines_never_panic_and_none_vanish(lines in prop::collection::vec("[^\r\n]{0,80}", 0..30)) {
            let text = lines.join("\n");
            let items: Vec<Item> = read_json_lines(Box::new(Cursor::new(text.into_bytes())), ctx()).collect();
            let non_blank = lines.iter().filter(|l| !l.trim().is_empty()).count();
            prop_assert_eq!(items.len(), non_blank);
        }
    }
}
