//! Opening a journal: decoding, and telling the format from its first line.

use std::io::{BufRead, Cursor, Read};

use super::{asterisk, native, Format, Item, ReadContext};
use crate::ingest::csv::first_record;
use crate::ingest::text::{utf8_reader, TextEncoding};

/// Guesses the format from the first non-blank line. With a configured Asterisk column map,
/// a headerless row of that width is an Asterisk CDR too.
pub(crate) fn detect_with(
    first_line: &str,
    columns: Option<&asterisk::ColumnMap>,
) -> Option<Format> {
    let found = detect(first_line);
    if found.is_some() {
        return found;
    }
    let columns = columns?;
    let trimmed = first_line.trim();
    (!trimmed.is_empty() && first_record(trimmed, b',').len() == columns.width())
        .then_some(Format::AsteriskCdr)
}

/// Guesses the format from the first non-blank line.
pub(crate) fn detect(first_line: &str) -> Option<Format> {
    let t = first_line.trim_start_matches('\u{feff}').trim();
    if t.starts_with('{') {
        return Some(Format::NativeJsonLines);
    }
    if t.to_ascii_lowercase().contains("u8sconnectionid") {
        return Some(Format::NativeCsv);
    }
    let rec = first_record(t, b',');
    (asterisk::looks_like_cdr(&rec) || asterisk::grandstream_header(&rec).is_some())
        .then_some(Format::AsteriskCdr)
}

/// Why a journal could not be opened; the texts are the messages users see.
#[derive(Debug, thiserror::Error)]
pub(crate) enum OpenError {
    #[error("cannot read: {0}")]
    Read(#[from] std::io::Error),
    #[error("cannot tell the format from the first line: expected a CSV header with u8sConnectionID, a JSON object per line, an Asterisk Master.csv row of 16, 18 or 21 columns, or a Grandstream UCM CDR header (or use --format)")]
    UnknownFormat,
}

/// Opens a decoded stream, detects (or takes) its format and returns its items.
pub(crate) fn open(
    raw: Box<dyn Read + Send>,
    file: crate::ingest::FileName,
    encoding: TextEncoding,
    forced: Option<Format>,
    ctx_zone: jiff::tz::TimeZone,
    asterisk_columns: Option<asterisk::ColumnMap>,
) -> Result<(Format, Box<dyn Iterator<Item = Item> + Send>), OpenError> {
    let mut reader = utf8_reader(raw, encoding);
    // read up to the first non-blank line, keep it, and put it back in front
    let mut head = String::new();
    let first;
    loop {
        let mut line = String::new();
        let n = reader.read_line(&mut line)?;
        head.push_str(&line);
        if n == 0 || !line.trim().is_empty() {
            first = line;
            break;
        }
    }
    let format = match forced {
        Some(f) => f,
        None if head.trim().is_empty() => Format::NativeCsv, // empty input: nothing to read
        None => detect_with(&first, asterisk_columns.as_ref()).ok_or(OpenError::UnknownFormat)?,
    };
    let empty_file = head.trim().is_empty();
    // both halves are buffered already: the chain reads from their buffers, no third copy
    let stream: Box<dyn BufRead + Send> = Box::new(Cursor::new(head).chain(reader));
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
    Ok((format, Box::new(NoRows::new(items, file, empty_file))))
}

/// Passes a journal's items on; a journal that yields none (an empty file, or a header and
/// nothing else) ends with one error, so a cron job whose export went empty is noticed
/// (exit code 1, SPEC §8) instead of finishing in silence.
struct NoRows {
    inner: Box<dyn Iterator<Item = Item> + Send>,
    seen: bool,
    file: Option<crate::ingest::FileName>,
    empty_file: bool,
}

impl NoRows {
    fn new(
        inner: Box<dyn Iterator<Item = Item> + Send>,
        file: crate::ingest::FileName,
        empty_file: bool,
    ) -> Self {
        NoRows {
            inner,
            seen: false,
            file: Some(file),
            empty_file,
        }
    }
}

impl Iterator for NoRows {
    type Item = Item;

    fn next(&mut self) -> Option<Item> {
        if let Some(item) = self.inner.next() {
            self.seen = true;
            return Some(item);
        }
        if self.seen {
            return None;
        }
        let file = self.file.take()?;
        let message = if self.empty_file {
            "the journal is empty: no header and no rows (did the export fail?)"
        } else {
            "the journal has no rows, only a header (did the export fail?)"
        };
        Some(Item::Error(super::RowError {
            pos: super::SourcePos { file, line: 1 },
            message: message.into(),
        }))
    }
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
        // the header of a Grandstream UCM CDR export (the first line of the real excerpt)
        let grandstream = "Account Code,Caller Number,Callee Number,Context,CallerID Number,Source Channel,Dest. Channel,Last app.,Last date,Start Time,Answer Time,End Time,Call Time,Talk Time,Disposition,AMA Flags,Unique ID,Log Userfield,Dest Channel Extension,Caller Name,Answered by,Session,Premier Caller,Action Type,Source Trunk Name,Destination Trunk Name\r\n";
        assert_eq!(detect(grandstream), Some(Format::AsteriskCdr));
        assert_eq!(
            detect(&format!("\u{feff}{grandstream}")),
            Some(Format::AsteriskCdr)
        );
        // a header with only some of the names is not one
        assert_eq!(detect("Caller Number,Callee Number,Start Time"), None);
    }

    fn open_text(text: &'static str) -> Vec<Item> {
        let zone = crate::ingest::time::zone("Europe/Berlin").unwrap();
        let raw: Box<dyn Read + Send> = Box::new(text.as_bytes());
        open(
            raw,
            crate::ingest::FileName::new("j.csv"),
            TextEncoding::Auto,
            None,
            zone,
            None,
        )
        .unwrap()
        .1
        .collect()
    }

    #[test]
    fn an_empty_or_header_only_journal_is_an_error() {
        let head = "u8sConnectionID,stStartTime,stStopTime,iOrigin,u8sLineNumber\n";
        for (text, want) in [
            ("", "empty"),
            ("\n\r\n  \n", "empty"),
            (head, "only a header"),
            ("{\"x\":1}\n", ""),
        ] {
            let items = open_text(text);
            assert_eq!(items.len(), 1, "{text:?}");
            match &items[0] {
                Item::Error(e) if !want.is_empty() => {
                    assert_eq!(e.pos.to_string(), "j.csv:1");
                    assert!(e.message.contains(want), "{}", e.message);
                }
                Item::Error(e) => assert!(!e.message.contains("no rows"), "{}", e.message),
                other => panic!("{other:?}"),
            }
        }
        // a journal with rows gets no such error
        let rows = open_text("u8sConnectionID,stStartTime,stStopTime,iOrigin,u8sLineNumber\nc1,2026-11-26 09:00:00,2026-11-26 09:01:00,0,201\n");
        assert!(matches!(rows.as_slice(), [Item::Entry(_)]), "{rows:?}");
    }
}
