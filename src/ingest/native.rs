//! The native journal (SPEC §1.1): CSV with a header (any column order, `,` `;` or tab) and
//! JSON Lines with the same keys. Empty and missing mean the same.

use std::collections::HashMap;
use std::io::BufRead;

use jiff::Timestamp;

use super::{Entry, Item, Origin, ReadContext, RowError, SourcePos};
use crate::ingest::csv::CsvLines;
use crate::ingest::time::parse_timestamp;

/// Required columns (SPEC §1.1).
pub const REQUIRED: [&str; 5] = [
    "u8sConnectionID",
    "stStartTime",
    "stStopTime",
    "iOrigin",
    "u8sLineNumber",
];

/// Turns one row's fields into an entry. `get` answers a column name (exact spelling of
/// SPEC §1.1) with the field's text; empty and missing are the same.
pub fn entry_from<'a>(
    get: impl Fn(&str) -> Option<&'a str>,
    pos: &SourcePos,
    ctx: &ReadContext,
    seq: u64,
) -> Result<Entry, String> {
    let field = |name: &str| get(name).map(str::trim).filter(|s| !s.is_empty());
    let text = |name: &str| field(name).map(str::to_string);
    let required = |name: &str| {
        field(name).ok_or_else(|| format!("column `{name}` is empty, expected a value"))
    };
    let flag = |name: &str| -> Result<Option<bool>, String> {
        match field(name) {
            None => Ok(None),
            Some(v) => match v.to_ascii_lowercase().as_str() {
                "1" | "true" | "yes" => Ok(Some(true)),
                "0" | "false" | "no" => Ok(Some(false)),
                _ => Err(format!("column `{name}`: {v:?} is not 0 or 1")),
            },
        }
    };
    let time = |name: &str, not_before: Option<Timestamp>| -> Result<Timestamp, String> {
        let v = required(name)?;
        parse_timestamp(v, &ctx.time_zone, not_before).map_err(|e| format!("column `{name}`: {e}"))
    };

    let connection_id = required("u8sConnectionID")?.to_string();
    let start = time("stStartTime", None)?;
    let stop = time("stStopTime", Some(start))?;
    if stop < start {
        return Err(format!(
            "column `stStopTime` ({}) lies before `stStartTime` ({})",
            field("stStopTime").unwrap_or(""),
            field("stStartTime").unwrap_or("")
        ));
    }
    let connect = match field("stConnectTime") {
        None => None,
        Some(_) => Some(time("stConnectTime", Some(start))?),
    };
    let origin = match required("iOrigin")? {
        "0" => Origin::Incoming,
        "1" => Origin::Outgoing,
        v => {
            return Err(format!(
                "column `iOrigin`: {v:?} is not 0 (incoming) or 1 (outgoing)"
            ))
        }
    };
    let call_type = match field("CallType") {
        None => 0,
        Some(v) => v
            .parse::<u32>()
            .map_err(|_| format!("column `CallType`: {v:?} is not a number"))?,
    };
    Ok(Entry {
        pos: pos.clone(),
        seq,
        connection_id,
        tracker_id: text("u8sTrackerID"),
        start,
        stop,
        connect,
        origin,
        internal: flag("iInternal")?.unwrap_or(false),
        line_number: required("u8sLineNumber")?.to_string(),
        line_user: text("u8sLineUserName"),
        user_offline: flag("iLineUserOffline")?,
        phone_number: field("u8sPhoneNumber").unwrap_or("").to_string(),
        redirecting_number: text("u8sRedirectingNumber"),
        contact_name: text("u8sContactName"),
        contact_company: text("u8sContactCompany"),
        acceptor: text("u8sAcceptorCtiServerUserName"),
        tracker_last: flag("TrackerLastCall")?.unwrap_or(false),
        call_type,
        voicemail: false,
        arrival: None,
    })
}

/// The canonical spelling of a known column, matched without regard to case.
fn canonical(name: &str) -> Option<&'static str> {
    const ALL: [&str; 17] = [
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
    let n = name.trim().trim_start_matches('\u{feff}');
    ALL.into_iter().find(|c| c.eq_ignore_ascii_case(n))
}

/// The delimiter of a header line: the one that splits out `u8sConnectionID`.
pub fn detect_delimiter(header: &str) -> u8 {
    for d in [b',', b';', b'\t', b'|'] {
        if header.split(d as char).any(|f| {
            f.trim()
                .trim_matches('"')
                .eq_ignore_ascii_case("u8sConnectionID")
        }) {
            return d;
        }
    }
    b','
}

/// Streams a native CSV journal.
pub fn read_csv(
    input: Box<dyn BufRead>,
    ctx: ReadContext,
    delimiter: u8,
) -> Box<dyn Iterator<Item = Item>> {
    let mut records = CsvLines::new(input, delimiter);
    let err = |ctx: &ReadContext, line: u64, message: String| {
        Item::Error(RowError {
            pos: SourcePos {
                file: ctx.file.clone(),
                line,
            },
            message,
        })
    };
    // the header is the first record
    let header = match records.next() {
        None => return Box::new(std::iter::empty()),
        Some(Err(e)) => {
            let item = err(
                &ctx,
                e.line,
                format!("cannot read the header row: {}", e.message),
            );
            return Box::new(std::iter::once(item));
        }
        Some(Ok(r)) => r,
    };
    let mut index: HashMap<&'static str, usize> = HashMap::new();
    for (i, name) in header.fields.iter().enumerate() {
        if let Some(c) = canonical(name) {
            index.entry(c).or_insert(i);
        }
    }
    let missing: Vec<&str> = REQUIRED
        .iter()
        .copied()
        .filter(|c| !index.contains_key(c))
        .collect();
    if !missing.is_empty() {
        // every row would fail the same way: say it once, and count the rows not read
        let rows = records.count();
        let item = err(
            &ctx,
            header.line,
            format!(
                "the header lacks the required column(s) {}; found: {}; none of the {rows} row(s) was read",
                missing.join(", "),
                header.fields.iter().collect::<Vec<_>>().join(", ")
            ),
        );
        return Box::new(std::iter::once(item));
    }
    let width = header.fields.len();
    let mut seq = 0u64;
    Box::new(records.map(move |rec| {
        let rec = match rec {
            Ok(r) => r,
            Err(e) => return err(&ctx, e.line, e.message),
        };
        let pos = SourcePos {
            file: ctx.file.clone(),
            line: rec.line,
        };
        if rec.fields.len() != width {
            return Item::Error(RowError {
                pos,
                message: format!(
                    "the row has {} fields, the header has {width}",
                    rec.fields.len()
                ),
            });
        }
        seq += 1;
        let get = |name: &str| index.get(name).and_then(|&i| rec.fields.get(i));
        match entry_from(get, &pos, &ctx, seq - 1) {
            Ok(e) => Item::Entry(Box::new(e)),
            Err(message) => Item::Error(RowError { pos, message }),
        }
    }))
}

/// Streams a native JSON Lines journal: one object a line.
pub fn read_json_lines(
    input: Box<dyn BufRead>,
    ctx: ReadContext,
) -> Box<dyn Iterator<Item = Item>> {
    let mut line_no = 0u64;
    let mut seq = 0u64;
    Box::new(input.lines().filter_map(move |line| {
        line_no += 1;
        let pos = SourcePos {
            file: ctx.file.clone(),
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
        let mut fields: HashMap<&'static str, String> = HashMap::new();
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
            fields.insert(c, s);
        }
        seq += 1;
        let get = |name: &str| fields.get(name).map(String::as_str);
        Some(match entry_from(get, &pos, &ctx, seq - 1) {
            Ok(e) => Item::Entry(Box::new(e)),
            Err(message) => Item::Error(RowError { pos, message }),
        })
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;
    use std::sync::Arc;

    fn ctx() -> ReadContext {
        ReadContext {
            file: Arc::from("j.csv"),
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
    use std::sync::Arc;

    fn ctx() -> ReadContext {
        ReadContext {
            file: Arc::from("p.csv"),
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
