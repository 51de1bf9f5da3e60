//! The one CSV reader: records with exact physical line numbers, for the native journal, the
//! Asterisk CDR, format detection and the directory files.
//!
//! We cut the stream into physical lines ourselves (at `\n`, and where asked at a bare `\r` —
//! old Mac exports end their lines with CR alone), know the line each record starts on, and
//! split the fields with a small quote state machine that reads exactly as the `csv` crate
//! does (a field is quoted only when its first byte is `"`; `""` inside quotes is one `"`;
//! bytes after a closing quote belong to the field; a quote inside an unquoted field is data).
//!
//! A record is complete at a line end outside quotes. What a line end *inside* quotes means
//! is the caller's choice ([`OpenQuote`]): one line is one record (Asterisk `cdr_csv`); a
//! quoted field may span up to [`MAX_RECORD_LINES`] lines, and a quote still open after them
//! is reported at the line it starts on and reading resumes on the next line (the native
//! journal: one cut-off row never takes the rest of the file with it); or the quote runs to
//! the end of the input (the directory files, reported as one broken record).
//!
//! Nothing is allocated per record or field: a [`Record`] keeps its buffers and lends its
//! fields as `&str`. A BOM at the start of the input is removed; bytes that are not UTF-8
//! are replaced by U+FFFD (the journal readers decode first, so this is for other callers).

use std::collections::VecDeque;
use std::io::{self, BufRead, ErrorKind};

/// At most this many physical lines make one record in [`OpenQuote::ResumeNextLine`]; more
/// means an unclosed quote.
pub(crate) const MAX_RECORD_LINES: usize = 64;

/// What a line end inside a quoted field means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OpenQuote {
    /// A record is one line: a quote open at its end makes the line a bad record.
    EndsLine,
    /// The field goes on over up to `MAX_RECORD_LINES` lines; still open after them (or at
    /// the end of the input) the first line is a bad record and reading goes on with the next.
    ResumeNextLine,
    /// The field goes on to the end of the input if need be; then all of it is one bad record.
    RunsToEnd,
}

/// What a `\r` not followed by `\n` is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BareCr {
    /// Data (Asterisk writes one row per `\n` line).
    Data,
    /// A line end (old Mac exports end their lines with CR alone).
    EndsLine,
    /// It ends a record outside quotes but is not counted as a line, as the `csv` crate
    /// counts (the directory files' line numbers count `\n` only).
    EndsRecord,
}

/// How to cut an input into records.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Dialect {
    pub(crate) delimiter: u8,
    pub(crate) open_quote: OpenQuote,
    /// What a `\r` not followed by `\n` is.
    pub(crate) bare_cr: BareCr,
    /// Longest line kept; a longer one is cut there and reported ([`BadKind::Overlong`]).
    pub(crate) max_line_bytes: Option<usize>,
}

impl Dialect {
    /// The native journal and the directory files: `\n`, `\r\n` or `\r` end a line.
    pub(crate) fn text(delimiter: u8, open_quote: OpenQuote) -> Dialect {
        Dialect {
            delimiter,
            open_quote,
            bare_cr: BareCr::EndsLine,
            max_line_bytes: None,
        }
    }
}

/// One record: its fields and the physical line it starts on (1-based). Reused from record
/// to record.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Record {
    line: u64,
    /// The fields, each but the last followed by one byte that is not part of it.
    text: String,
    /// Where each field ends in `text`.
    ends: Vec<usize>,
}

impl Record {
    /// The physical line the record starts on.
    pub(crate) fn line(&self) -> u64 {
        self.line
    }

    pub(crate) fn len(&self) -> usize {
        self.ends.len()
    }

    /// Field `i`, as written (unquoted, not trimmed).
    pub(crate) fn get(&self, i: usize) -> Option<&str> {
        let end = *self.ends.get(i)?;
        // one byte after each field but the last: the delimiter (see `Splitter`)
        let start = if i == 0 { 0 } else { self.ends[i - 1] + 1 };
        Some(&self.text[start..end])
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &str> + '_ {
        (0..self.len()).map(|i| self.get(i).unwrap_or(""))
    }
}

/// Why a record could not be read, and where.
#[derive(Debug)]
pub(crate) struct BadRecord {
    /// The physical line the record starts on.
    pub(crate) line: u64,
    pub(crate) kind: BadKind,
}

#[derive(Debug)]
pub(crate) enum BadKind {
    /// A quoted field is still open at the end of what the dialect allows. `column` is the
    /// 1-based field that opened it; `line_ends` the line ends read inside the record.
    Unclosed { column: usize, line_ends: u64 },
    /// The line is longer than the dialect's `max_line_bytes`.
    Overlong,
    /// The input could not be read; nothing more is read after it.
    Io(io::Error),
}

/// A physical line held in `raw`: its number, where its content ends and where its line
/// end ends.
#[derive(Debug, Clone, Copy)]
struct Line {
    number: u64,
    start: usize,
    content_end: usize,
    end: usize,
    overlong: bool,
}

/// The reader.
pub(crate) struct Reader<R> {
    input: R,
    dialect: Dialect,
    /// Lines read but not yet used, their bytes in `raw`.
    raw: Vec<u8>,
    lines: VecDeque<Line>,
    next_line: u64,
    eof: bool,
}

impl<R: BufRead> Reader<R> {
    pub(crate) fn new(input: R, dialect: Dialect) -> Self {
        Reader {
            input,
            dialect,
            raw: Vec::with_capacity(1024),
            lines: VecDeque::new(),
            next_line: 1,
            eof: false,
        }
    }

    /// Reads the next record that is not a blank line into `record`: `Ok(true)`, or
    /// `Ok(false)` at the end of the input. A bad record is an `Err`; reading may go on.
    pub(crate) fn read(&mut self, record: &mut Record) -> Result<bool, BadRecord> {
        loop {
            if self.lines.is_empty() {
                if self.raw.len() > 1 << 16 {
                    self.raw = Vec::with_capacity(1024);
                } else {
                    self.raw.clear();
                }
                if !self.fill()? {
                    return Ok(false);
                }
            }
            let first = self.lines[0];
            if first.overlong {
                self.lines.pop_front();
                return Err(BadRecord {
                    line: first.number,
                    kind: BadKind::Overlong,
                });
            }
            if is_blank(&self.raw[first.start..first.content_end]) {
                self.lines.pop_front();
                continue;
            }
            return self.record(record);
        }
    }

    /// Parses a record from the first pending line on (it is not blank).
    fn record(&mut self, record: &mut Record) -> Result<bool, BadRecord> {
        let number = self.lines[0].number;
        let mut split = Splitter::new(self.dialect.delimiter);
        // the fields are written straight into the record's own buffer
        let mut out = std::mem::take(&mut record.text).into_bytes();
        out.clear();
        record.ends.clear();
        let mut used = 0;
        loop {
            if used == self.lines.len() && !self.fill()? {
                // the input ends inside a quoted field
                return Err(self.unclosed(number, split.fields + 1, used));
            }
            let line = self.lines[used];
            used += 1;
            if line.overlong {
                // a cut line inside a quoted field: the record cannot be whole
                return Err(self.unclosed(number, split.fields + 1, used - 1));
            }
            split.feed(
                &self.raw[line.start..line.content_end],
                &mut out,
                &mut record.ends,
            );
            if !split.quoted {
                break;
            }
            let limit = match self.dialect.open_quote {
                OpenQuote::EndsLine => 1,
                OpenQuote::ResumeNextLine => MAX_RECORD_LINES,
                OpenQuote::RunsToEnd => usize::MAX,
            };
            if used >= limit {
                return Err(self.unclosed(number, split.fields + 1, used));
            }
            // the line end is data of the quoted field
            out.extend_from_slice(&self.raw[line.content_end..line.end]);
        }
        split.finish(&mut out, &mut record.ends);
        self.lines.drain(..used);
        record.line = number;
        record.text = match String::from_utf8(out) {
            // UTF-8 as a whole is not enough with a delimiter that is not ASCII: a field's
            // last byte may make a character with it (see `fields_are_text`)
            Ok(s) if fields_are_text(&s, &record.ends) => s,
            Ok(s) => lossy_fields(s.into_bytes(), &mut record.ends),
            Err(e) => lossy_fields(e.into_bytes(), &mut record.ends),
        };
        Ok(true)
    }

    /// The bad record of an open quote; which lines it uses up depends on the dialect.
    fn unclosed(&mut self, number: u64, column: usize, used: usize) -> BadRecord {
        let line_ends = self
            .lines
            .iter()
            .take(used.max(1))
            .filter(|l| self.raw[l.content_end..l.end].contains(&b'\n'))
            .count() as u64;
        match self.dialect.open_quote {
            OpenQuote::RunsToEnd => self.lines.clear(),
            _ => {
                self.lines.pop_front();
            }
        }
        BadRecord {
            line: number,
            kind: BadKind::Unclosed { column, line_ends },
        }
    }

    /// Reads one more physical line into `raw` / `lines` (a `\n`-terminated piece may make
    /// several lines where bare CRs end lines). False at the end of the input.
    fn fill(&mut self) -> Result<bool, BadRecord> {
        if self.eof {
            return Ok(false);
        }
        let start = self.raw.len();
        let mut overlong = false;
        let mut complete = false;
        while !complete {
            let chunk = match self.input.fill_buf() {
                Ok(c) => c,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.eof = true;
                    self.raw.truncate(start);
                    return Err(BadRecord {
                        line: self.next_line,
                        kind: BadKind::Io(e),
                    });
                }
            };
            if chunk.is_empty() {
                self.eof = true;
                break;
            }
            let (take, found) = match memchr::memchr(b'\n', chunk) {
                Some(i) => (i + 1, true),
                None => (chunk.len(), false),
            };
            complete = found;
            let keep = match self.dialect.max_line_bytes {
                Some(max) => {
                    let room = (start + max).saturating_sub(self.raw.len());
                    if take > room {
                        overlong = true;
                    }
                    take.min(room)
                }
                None => take,
            };
            self.raw.extend_from_slice(&chunk[..keep]);
            self.input.consume(take);
        }
        if self.raw.len() == start && !overlong {
            return Ok(false);
        }
        self.cut_lines(start, overlong);
        Ok(true)
    }

    /// Cuts the bytes read from `start` on into physical lines.
    fn cut_lines(&mut self, start: usize, overlong: bool) {
        if overlong {
            let end = self.raw.len();
            self.push_line(start, end, end, true);
            return;
        }
        let first_line = self.next_line == 1;
        let mut from = start;
        if first_line && self.raw[start..].starts_with("\u{feff}".as_bytes()) {
            from += 3;
        }
        let end = self.raw.len();
        if self.dialect.bare_cr != BareCr::Data {
            // a bare CR ends a line (but not one at the very end of the input, which is the
            // line end of the last line)
            let mut s = from;
            let mut i = from;
            while let Some(off) = memchr::memchr(b'\r', &self.raw[i..end]) {
                let cr = i + off;
                if cr + 1 < end && self.raw[cr + 1] != b'\n' {
                    self.push_line(s, cr, cr + 1, false);
                    if self.dialect.bare_cr == BareCr::EndsRecord {
                        self.next_line -= 1;
                    }
                    s = cr + 1;
                }
                i = cr + 1;
            }
            let content_end = line_content_end(&self.raw[s..end]) + s;
            self.push_line(s, content_end, end, false);
        } else {
            let content_end = line_content_end(&self.raw[from..end]) + from;
            self.push_line(from, content_end, end, false);
        }
    }

    fn push_line(&mut self, start: usize, content_end: usize, end: usize, overlong: bool) {
        self.lines.push_back(Line {
            number: self.next_line,
            start,
            content_end,
            end,
            overlong,
        });
        self.next_line += 1;
    }
}

/// Where a line's content ends: before its `\n`, `\r\n`, or a last `\r`.
fn line_content_end(line: &[u8]) -> usize {
    let mut n = line.len();
    if n > 0 && line[n - 1] == b'\n' {
        n -= 1;
    }
    if n > 0 && line[n - 1] == b'\r' {
        n -= 1;
    }
    n
}

/// Blank as `str::trim` sees it (a line of whitespace only).
fn is_blank(content: &[u8]) -> bool {
    // the first ASCII byte that is not white space decides it (nearly always the first byte)
    let mut wide = false;
    for &b in content {
        match b {
            b' ' | b'\t' | b'\x0b' | b'\x0c' | b'\r' | b'\n' => {}
            0x80.. => wide = true,
            _ => return false,
        }
    }
    !wide || String::from_utf8_lossy(content).trim().is_empty()
}

/// Splits lines into fields, with the state of an open quote carried from line to line.
struct Splitter {
    delimiter: u8,
    /// Fields completed so far.
    fields: usize,
    /// Inside a quoted field.
    quoted: bool,
    /// Just after a quote inside a quoted field (it closes the field, or is the first of `""`).
    after_quote: bool,
    /// At the start of a field (a quote here opens a quoted field).
    field_start: bool,
}

impl Splitter {
    fn new(delimiter: u8) -> Self {
        Splitter {
            delimiter,
            fields: 0,
            quoted: false,
            after_quote: false,
            field_start: true,
        }
    }

    /// Takes one line's content (no line end); field bytes go to `out`, each field's end to
    /// `ends` and, after it, the delimiter to `out` (so that a line without quotes is copied
    /// whole, and only its delimiters are looked for, with `memchr`).
    fn feed(&mut self, content: &[u8], out: &mut Vec<u8>, ends: &mut Vec<usize>) {
        let d = self.delimiter;
        if !self.quoted && !content.contains(&b'"') {
            // the common line: no quotes, the fields are the pieces between delimiters
            let base = out.len();
            out.extend_from_slice(content);
            let before = ends.len();
            ends.extend(memchr::memchr_iter(d, content).map(|i| base + i));
            self.fields += ends.len() - before;
            if let Some(&last) = content.last() {
                self.field_start = last == d;
            }
            return;
        }
        // runs of data are copied whole, up to the next quote (inside quotes) or the next
        // delimiter or quote (outside)
        let mut i = 0;
        while let Some(&b) = content.get(i) {
            if self.quoted {
                if self.after_quote {
                    self.after_quote = false;
                    if b == b'"' {
                        out.push(b'"');
                        i += 1;
                        continue;
                    }
                    // the quote closed the field; this byte goes on as unquoted data
                    self.quoted = false;
                } else {
                    let rest = &content[i..];
                    let run = memchr::memchr(b'"', rest).unwrap_or(rest.len());
                    out.extend_from_slice(&rest[..run]);
                    self.after_quote = run < rest.len();
                    i += run + usize::from(self.after_quote);
                    continue;
                }
            }
            if b == d {
                ends.push(out.len());
                out.push(d);
                self.fields += 1;
                self.field_start = true;
                i += 1;
            } else if b == b'"' && self.field_start {
                self.quoted = true;
                self.field_start = false;
                i += 1;
            } else {
                // this byte is data (a quote inside an unquoted field too), and so is what
                // follows up to the next delimiter or quote
                let rest = &content[i + 1..];
                let run = memchr::memchr2(d, b'"', rest).unwrap_or(rest.len());
                out.extend_from_slice(&content[i..i + 1 + run]);
                self.field_start = false;
                i += 1 + run;
            }
        }
        if self.quoted && self.after_quote {
            // a quote at the end of the line closes the field
            self.quoted = false;
            self.after_quote = false;
        }
    }

    /// Ends the record: the last field.
    fn finish(&mut self, out: &mut [u8], ends: &mut Vec<usize>) {
        ends.push(out.len());
        self.fields += 1;
    }
}

/// Each field of a record's text (ending at `ends`, one byte between two) is text of its own:
/// UTF-8 as a whole is not enough when the delimiter is not ASCII, as a byte of a field may
/// make a character with it.
fn fields_are_text(text: &str, ends: &[usize]) -> bool {
    ends.iter()
        .all(|&e| e == text.len() || (text.is_char_boundary(e) && text.is_char_boundary(e + 1)))
}

/// The fields of `bytes` (ending at `ends`, one byte between two) with what is not UTF-8
/// replaced, field by field: a field's bytes stay its own. `ends` are moved to match.
fn lossy_fields(bytes: Vec<u8>, ends: &mut [usize]) -> String {
    let mut text = String::with_capacity(bytes.len() + 8);
    let mut start = 0;
    for (i, end) in ends.iter_mut().enumerate() {
        if i > 0 {
            // the byte between two fields, never read
            text.push(',');
        }
        text.push_str(&String::from_utf8_lossy(&bytes[start..*end]));
        start = *end + 1;
        *end = text.len();
    }
    text
}

/// The first record of a text, read as the `csv` crate reads it (for sniffing a first
/// line): `\n`, `\r\n` or `\r` end it outside quotes, and a quote never closed runs to the
/// end of the text.
pub(crate) fn first_record(text: &str, delimiter: u8) -> Record {
    let dialect = Dialect::text(delimiter, OpenQuote::RunsToEnd);
    let mut record = Record::default();
    if let Ok(true) = Reader::new(text.as_bytes(), dialect).read(&mut record) {
        return record;
    }
    let mut split = Splitter::new(delimiter);
    let (mut out, mut ends) = (Vec::new(), Vec::new());
    let content = text.strip_prefix('\u{feff}').unwrap_or(text).as_bytes();
    split.feed(content, &mut out, &mut ends);
    split.finish(&mut out, &mut ends);
    let text = lossy_fields(out, &mut ends);
    Record {
        line: 1,
        text,
        ends,
    }
}

/// The delimiter of a header line: the first of `candidates` that splits out a field equal
/// (trimmed, unquoted, ignoring ASCII case) to `name`; else the first candidate.
pub(crate) fn delimiter_naming(header: &str, candidates: &[u8], name: &str) -> u8 {
    for &d in candidates {
        if header.split(d as char).any(|f| {
            f.trim()
                .trim_matches('"')
                .trim_start_matches('\u{feff}')
                .eq_ignore_ascii_case(name)
        }) {
            return d;
        }
    }
    candidates.first().copied().unwrap_or(b',')
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn read_with(text: &[u8], dialect: Dialect) -> Vec<Result<(u64, Vec<String>), u64>> {
        let mut r = Reader::new(text, dialect);
        let mut rec = Record::default();
        let mut out = Vec::new();
        loop {
            match r.read(&mut rec) {
                Ok(true) => out.push(Ok((rec.line(), rec.iter().map(String::from).collect()))),
                Ok(false) => break,
                Err(e) => out.push(Err(e.line)),
            }
        }
        out
    }

    fn read(text: &str) -> Vec<Result<(u64, Vec<String>), u64>> {
        read_with(
            text.as_bytes(),
            Dialect::text(b',', OpenQuote::ResumeNextLine),
        )
    }

    fn ok(line: u64, f: &[&str]) -> Result<(u64, Vec<String>), u64> {
        Ok((line, f.iter().map(|s| s.to_string()).collect()))
    }

    #[test]
    fn lines_are_physical_lines() {
        assert_eq!(
            read("a,b\n1,2\n\n\n3,4\n"),
            vec![ok(1, &["a", "b"]), ok(2, &["1", "2"]), ok(5, &["3", "4"])]
        );
        assert_eq!(
            read("a,b\r\n1,2\r\n\r\n3,4"),
            vec![ok(1, &["a", "b"]), ok(2, &["1", "2"]), ok(4, &["3", "4"])]
        );
        assert_eq!(
            read("a,b\n\"x\ny\",2\n3,\"q\"\"\"\n"),
            vec![
                ok(1, &["a", "b"]),
                ok(2, &["x\ny", "2"]),
                ok(4, &["3", "q\""])
            ]
        );
    }

    #[test]
    fn fields_not_utf8_alone_stay_apart_when_they_would_be_together() {
        // 0xC2 | 0x80 is U+0080 across the delimiter: each field is replaced on its own
        let dialect = Dialect::text(b',', OpenQuote::ResumeNextLine);
        let want = ok(1, &["\u{fffd}", "\u{fffd}x"]);
        assert_eq!(read_with(b"\xc2,\x80x\n", dialect), vec![want]);
        // and a character that is whole in one field stays as it is
        let dialect = Dialect::text(b',', OpenQuote::ResumeNextLine);
        assert_eq!(
            read_with("\u{80},é\n".as_bytes(), dialect),
            vec![ok(1, &["\u{80}", "é"])]
        );
    }

    #[test]
    fn a_bare_cr_ends_a_line() {
        // old Mac exports: CR alone; mixed with LF; a CR-only file
        assert_eq!(
            read("a,b\n1,2\r3,4\n"),
            vec![ok(1, &["a", "b"]), ok(2, &["1", "2"]), ok(3, &["3", "4"])]
        );
        assert_eq!(
            read("a,b\r1,2\r\r3,4\r"),
            vec![ok(1, &["a", "b"]), ok(2, &["1", "2"]), ok(4, &["3", "4"])]
        );
        // a bare CR inside quotes stays in the field
        assert_eq!(
            read("a,b\r\"x\ry\",2\r"),
            vec![ok(1, &["a", "b"]), ok(2, &["x\ry", "2"])]
        );
    }

    #[test]
    fn an_unclosed_quote_is_reported_and_reading_goes_on() {
        let r = read("a,b\n\"cut,off\n3,4\n");
        // the unclosed quote swallows to the end of input: reported at line 2, then line 3 read
        assert_eq!(r, vec![ok(1, &["a", "b"]), Err(2), ok(3, &["3", "4"])]);
        let mut long = String::from("\"x\n");
        for i in 0..100 {
            long.push_str(&format!("{i},y\n"));
        }
        let r = read(&long);
        assert_eq!(r[0], Err(1));
        assert_eq!(r.len(), 101);
        assert_eq!(r[1], ok(2, &["0", "y"]));
    }

    #[test]
    fn a_quote_inside_an_unquoted_field_is_data() {
        // as the csv crate reads it: only a quote that starts a field opens one
        assert_eq!(
            read("a,O\"Brien\nb,\"x\"y\n"),
            vec![ok(1, &["a", "O\"Brien"]), ok(2, &["b", "xy"])]
        );
    }

    #[test]
    fn each_dialect_of_an_open_quote() {
        let text = b"a,\"b\nc,d\ne\n";
        let one_line = Dialect {
            delimiter: b',',
            open_quote: OpenQuote::EndsLine,
            bare_cr: BareCr::Data,
            max_line_bytes: None,
        };
        assert_eq!(
            read_with(text, one_line),
            vec![Err(1), ok(2, &["c", "d"]), ok(3, &["e"])]
        );
        let to_end = Dialect::text(b',', OpenQuote::RunsToEnd);
        assert_eq!(read_with(text, to_end), vec![Err(1)]);
        let mut r = Reader::new(&text[..], one_line);
        match r.read(&mut Record::default()) {
            Err(BadRecord {
                kind: BadKind::Unclosed { column, .. },
                ..
            }) => assert_eq!(column, 2),
            other => panic!("{other:?}"),
        }
        // without bare CR line ends a CR is data, the CR of a CRLF is not
        assert_eq!(
            read_with(b"a\rb,c\r\nd\r", one_line),
            vec![ok(1, &["a\rb", "c"]), ok(2, &["d"])]
        );
    }

    #[test]
    fn overlong_lines_and_bom() {
        let d = Dialect {
            delimiter: b',',
            open_quote: OpenQuote::EndsLine,
            bare_cr: BareCr::Data,
            max_line_bytes: Some(8),
        };
        assert_eq!(
            read_with(b"\xef\xbb\xbfa,b\n123456789\nc\n", d),
            vec![ok(1, &["a", "b"]), Err(2), ok(3, &["c"])]
        );
        // invalid UTF-8 is replaced field by field
        assert_eq!(read_with(b"a\xa5,b\n", d), vec![ok(1, &["a\u{fffd}", "b"])]);
    }

    #[test]
    fn sniffing_helpers() {
        assert_eq!(
            first_record("\"a;b\";c\r\nx", b';')
                .iter()
                .collect::<Vec<_>>(),
            ["a;b", "c"]
        );
        assert_eq!(
            first_record("\"a,b\nc", b',').iter().collect::<Vec<_>>(),
            ["a,b\nc"]
        );
        assert_eq!(delimiter_naming("x;\"ID\";y", b",;\t", "id"), b';');
        assert_eq!(delimiter_naming("x|y", b",;", "id"), b',');
    }

    /// The physical lines of a text as `Dialect::text` cuts them: at `\n`, `\r\n` and a bare `\r`.
    fn physical_lines(text: &str) -> Vec<&str> {
        let mut lines: Vec<&str> = text
            .split('\n')
            .flat_map(|l| {
                let l = l.strip_suffix('\r').unwrap_or(l);
                l.split('\r')
            })
            .collect();
        if lines.last() == Some(&"") {
            lines.pop();
        }
        lines
    }

    /// The splitter as it was, a byte at a time: the oracle of the one that copies runs.
    fn feed_bytewise(sp: &mut Splitter, content: &[u8], out: &mut Vec<u8>, ends: &mut Vec<usize>) {
        let d = sp.delimiter;
        for &b in content {
            if sp.quoted {
                if sp.after_quote {
                    sp.after_quote = false;
                    if b == b'"' {
                        out.push(b'"');
                        continue;
                    }
                    // the quote closed the field; this byte goes on as unquoted data
                    sp.quoted = false;
                } else {
                    if b == b'"' {
                        sp.after_quote = true;
                    } else {
                        out.push(b);
                    }
                    continue;
                }
            }
            if b == d {
                ends.push(out.len());
                out.push(d);
                sp.fields += 1;
                sp.field_start = true;
            } else if b == b'"' && sp.field_start {
                sp.quoted = true;
                sp.field_start = false;
            } else {
                out.push(b);
                sp.field_start = false;
            }
        }

        if sp.quoted && sp.after_quote {
            sp.quoted = false;
            sp.after_quote = false;
        }
    }

    proptest! {
        /// A line is blank exactly when, read as text, only white space is left to trim.
        #[test]
        fn blank_lines(parts in proptest::collection::vec(
            proptest::sample::select(vec![
                &b" "[..], b"\t", b"\r", b"\x0b", b"a", b",", b"\xc2\xa0", b"\xe3\x80\x80",
                b"\xc3\xa4", b"\xff", b"\xe2\x80",
            ]),
            0..6,
        )) {
            let line = parts.concat();
            let by_text = String::from_utf8_lossy(&line).trim().is_empty();
            prop_assert_eq!(is_blank(&line), by_text, "{:?}", line);
        }

        /// Copying runs of data splits as a byte at a time did, line after line (an open
        /// quote carried over), with any delimiter.
        #[test]
        fn runs_split_as_bytes_did(
            lines in prop::collection::vec(prop::collection::vec(prop::sample::select(b"ab;,\" \t\xc3\xa9".to_vec()), 0..30), 1..4),
            delimiter in prop::sample::select(b",;".to_vec()),
        ) {
            let (mut a, mut b) = (Splitter::new(delimiter), Splitter::new(delimiter));
            let (mut out_a, mut ends_a, mut out_b, mut ends_b) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
            for line in &lines {
                a.feed(line, &mut out_a, &mut ends_a);
                feed_bytewise(&mut b, line, &mut out_b, &mut ends_b);
                prop_assert_eq!((&out_a, &ends_a, a.quoted, a.after_quote, a.field_start, a.fields),
                    (&out_b, &ends_b, b.quoted, b.after_quote, b.field_start, b.fields));
            }
        }

        /// Records and bad records come in line order, within the file; without quotes every
        /// non-blank line is one record with its own number.
        #[test]
        fn every_line_is_accounted_for(text in "[a,;\" \r\n]{0,60}") {
            let got = read(&text);
            let lines: Vec<u64> = got.iter().map(|r| match r { Ok((l, _)) => *l, Err(l) => *l }).collect();
            prop_assert!(lines.windows(2).all(|w| w[0] < w[1]), "{:?}", got);
            let physical = physical_lines(&text);
            prop_assert!(lines.iter().all(|&l| l >= 1 && l as usize <= physical.len()), "{:?}", got);
            if !text.contains('"') {
                let want: Vec<u64> = physical.iter().enumerate()
                    .filter(|(_, l)| !l.trim().is_empty())
                    .map(|(i, _)| i as u64 + 1)
                    .collect();
                prop_assert_eq!(lines, want);
            }
        }

        /// One line reads as the `csv` crate reads it; a quote it leaves open is a bad record.
        #[test]
        fn fields_are_what_the_csv_crate_reads(text in "[a\",; \r]{0,24}") {
            let line = format!("{text}\n");
            let mut theirs = csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .terminator(csv::Terminator::Any(b'\n'))
                .from_reader(line.as_bytes());
            let mut want = csv::StringRecord::new();
            let any = theirs.read_record(&mut want).unwrap();
            let one = Dialect { delimiter: b',', open_quote: OpenQuote::EndsLine, bare_cr: BareCr::Data, max_line_bytes: None };
            let mut ours = Record::default();
            let got = Reader::new(line.as_bytes(), one).read(&mut ours);
            if text.trim().is_empty() {
                prop_assert!(matches!(got, Ok(false)));
            } else if !any {
                prop_assert!(false, "the csv crate read nothing of {:?}", text);
            } else if let Some(i) = want.iter().position(|f| f.contains('\n')) {
                match got {
                    Err(BadRecord { kind: BadKind::Unclosed { column, .. }, line: 1 }) => prop_assert_eq!(column, i + 1),
                    other => prop_assert!(false, "{:?}", other),
                }
            } else {
                prop_assert!(matches!(got, Ok(true)));
                // the csv crate keeps the CR of a CRLF line end in the last field; we drop it
                let mut want: Vec<String> = want.iter().map(String::from).collect();
                if text.ends_with('\r') {
                    let last = want.last_mut().unwrap();
                    last.pop();
                }
                prop_assert_eq!(ours.iter().collect::<Vec<_>>(), want);
                if !text.contains('\r') {
                    let first = first_record(&text, b',');
                    prop_assert_eq!(first.iter().collect::<Vec<_>>(), ours.iter().collect::<Vec<_>>());
                }
            }
        }
    }
}
