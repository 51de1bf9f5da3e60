//! Opening a journal: decoding, and telling the format from its first line.

use std::io::{BufRead, Cursor, Read};
use std::sync::Arc;

use super::{asterisk, native, Format, Item, ReadContext};
use crate::ingest::text::{utf8_reader, TextEncoding};

/// Guesses the format from the first non-blank line. With a configured Asterisk column map,
/// a headerless row of that width is an Asterisk CDR too.
pub fn detect_with(first_line: &str, columns: Option<&asterisk::ColumnMap>) -> Option<Format> {
    let found = detect(first_line);
    if found.is_some() {
        return found;
    }
    let columns = columns?;
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(first_line.trim().as_bytes());
    match rdr.records().next() {
        Some(Ok(rec)) if rec.len() == columns.width() => Some(Format::AsteriskCdr),
        _ => None,
    }
}

/// Guesses the format from the first non-blank line.
pub fn detect(first_line: &str) -> Option<Format> {
    let t = first_line.trim_start_matches('\u{feff}').trim();
    if t.starts_with('{') {
        return Some(Format::NativeJsonLines);
    }
    if t.to_ascii_lowercase().contains("u8sconnectionid") {
        return Some(Format::NativeCsv);
    }
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(t.as_bytes());
    if let Some(Ok(rec)) = rdr.records().next() {
        if asterisk::looks_like_cdr(&rec) {
            return Some(Format::AsteriskCdr);
        }
    }
    None
}

/// Opens a decoded stream, detects (or takes) its format and returns its items.
pub fn open(
    raw: Box<dyn Read>,
    file: Arc<str>,
    encoding: TextEncoding,
    forced: Option<Format>,
    ctx_zone: jiff::tz::TimeZone,
    asterisk_columns: Option<asterisk::ColumnMap>,
) -> Result<(Format, Box<dyn Iterator<Item = Item>>), String> {
    let mut reader = utf8_reader(raw, encoding);
    // read up to the first non-blank line, keep it, and put it back in front
    let mut head = String::new();
    let first;
    loop {
        let mut line = String::new();
        let n = reader
            .read_line(&mut line)
            .map_err(|e| format!("cannot read: {e}"))?;
        head.push_str(&line);
        if n == 0 || !line.trim().is_empty() {
            first = line;
            break;
        }
    }
    let format = match forced {
        Some(f) => f,
        None if head.trim().is_empty() => Format::NativeCsv, // empty input: nothing to read
        None => detect_with(&first, asterisk_columns.as_ref()).ok_or_else(|| {
            "cannot tell the format from the first line: expected a CSV header with u8sConnectionID, a JSON object per line, or an Asterisk Master.csv row of 16, 18 or 21 columns (or use --format)".to_string()
        })?,
    };
    let stream: Box<dyn BufRead> =
        Box::new(std::io::BufReader::new(Cursor::new(head).chain(reader)));
    let ctx = ReadContext {
        file,
        time_zone: ctx_zone,
    };
    let items = match format {
        Format::NativeCsv => {
            let d = native::detect_delimiter(&first);
            native::read_csv(stream, ctx, d)
        }
        Format::NativeJsonLines => native::read_json_lines(stream, ctx),
        Format::AsteriskCdr => asterisk::read(stream, ctx, asterisk_columns),
    };
    Ok((format, items))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_each_format() {
        assert_eq!(
            detect("u8sConnectionID,stStartTime"),
            Some(Format::NativeCsv)
        );
        assert_eq!(
            detect("\u{feff}\"U8SCONNECTIONID\";x"),
            Some(Format::NativeCsv)
        );
        assert_eq!(
            detect("  {\"u8sConnectionID\":1}"),
            Some(Format::NativeJsonLines)
        );
        assert_eq!(
            detect(
                r#""","test","100","context","""Test User"" <test>","SIP/test-02897fd8","","Hangup","","2009-01-14 23:51:15","2009-01-14 23:51:15","2009-01-14 23:51:20",5,5,"ANSWERED","DOCUMENTATION","1231977075.0","""#
            ),
            Some(Format::AsteriskCdr)
        );
        assert_eq!(detect("name,email"), None);
    }
}
