//! CSV records with exact physical line numbers.
//!
//! The `csv` crate does the field parsing, but its record positions skip blank lines and
//! miscount CRLF files, and an unclosed quote swallows the rest of a file into one field. So
//! we cut the stream into records ourselves (a record ends at a line end outside quotes), know
//! the line each one starts on, and hand each record to `csv` alone. An unclosed quote is
//! reported at the line it starts on; reading goes on with the next line, so one cut-off row
//! never takes the rest of the file with it.

use std::collections::VecDeque;
use std::io::BufRead;

/// At most this many physical lines make one record; more means an unclosed quote.
pub const MAX_RECORD_LINES: usize = 64;

/// A CSV record and the physical line it starts on (1-based).
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub line: u64,
    pub fields: csv::StringRecord,
}

/// A record that could not be read, with its line.
/// (csv-core accepts any bytes, so only an unclosed quote or a read error makes one.)
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadRecord {
    pub line: u64,
    pub message: String,
}

/// Iterates over the records of a decoded CSV stream. Blank lines are skipped.
pub struct CsvLines<R: BufRead> {
    input: R,
    delimiter: u8,
    core: csv_core::Reader,
    out: Vec<u8>,
    ends: Vec<usize>,
    /// Lines read ahead but not yet used, with their numbers.
    pending: VecDeque<(u64, String)>,
    next_line: u64,
    eof: bool,
}

impl<R: BufRead> CsvLines<R> {
    pub fn new(input: R, delimiter: u8) -> Self {
        CsvLines {
            input,
            delimiter,
            core: csv_core::ReaderBuilder::new().delimiter(delimiter).build(),
            out: vec![0; 4096],
            ends: vec![0; 64],
            pending: VecDeque::new(),
            next_line: 1,
            eof: false,
        }
    }

    fn fill(&mut self) -> Result<bool, BadRecord> {
        if self.eof {
            return Ok(false);
        }
        let mut s = String::new();
        match self.input.read_line(&mut s) {
            Ok(0) => {
                self.eof = true;
                Ok(false)
            }
            Ok(_) => {
                for piece in split_bare_cr(s) {
                    self.pending.push_back((self.next_line, piece));
                    self.next_line += 1;
                }
                Ok(true)
            }
            Err(e) => {
                self.eof = true;
                Err(BadRecord {
                    line: self.next_line,
                    message: format!("cannot read: {e}"),
                })
            }
        }
    }
}

impl<R: BufRead> CsvLines<R> {
    /// Splits one record's text (balanced quotes) into its fields with csv-core, reusing
    /// the buffers.
    fn parse(&mut self, mut input: &[u8]) -> csv::StringRecord {
        use csv_core::ReadRecordResult as R;
        let _ = self.delimiter;
        let (mut nout, mut nend) = (0usize, 0usize);
        loop {
            let (res, nin, o, e) =
                self.core
                    .read_record(input, &mut self.out[nout..], &mut self.ends[nend..]);
            input = &input[nin..];
            nout += o;
            nend += e;
            match res {
                R::OutputFull => self.out.resize(self.out.len() * 2, 0),
                R::OutputEndsFull => self.ends.resize(self.ends.len() * 2, 0),
                R::InputEmpty if input.is_empty() => {
                    // the text ends without a line end: tell csv-core the input is over
                    input = &[];
                    let (res, _, o, e) =
                        self.core
                            .read_record(input, &mut self.out[nout..], &mut self.ends[nend..]);
                    nout += o;
                    nend += e;
                    if matches!(res, R::Record | R::End) {
                        break;
                    }
                }
                R::InputEmpty => {}
                R::Record | R::End => break,
            }
        }
        self.core.reset();
        let mut rec = csv::StringRecord::with_capacity(nout, nend);
        let mut start = 0;
        for &end in &self.ends[..nend] {
            rec.push_field(&String::from_utf8_lossy(&self.out[start..end]));
            start = end;
        }
        rec
    }
}

/// Cuts a line read up to `\n` at every bare CR (a `\r` not followed by `\n`): old Mac
/// exports end their lines with CR alone, and a row after one must not vanish. Each piece
/// keeps its line end, so a quoted field that spans pieces is joined back unchanged.
fn split_bare_cr(s: String) -> Vec<String> {
    let b = s.as_bytes();
    let cuts: Vec<usize> = (0..b.len())
        .filter(|&i| b[i] == b'\r' && b.get(i + 1) != Some(&b'\n') && i + 1 < b.len())
        .collect();
    if cuts.is_empty() {
        return vec![s];
    }
    let mut out = Vec::with_capacity(cuts.len() + 1);
    let mut start = 0;
    for c in cuts {
        out.push(s[start..=c].to_string());
        start = c + 1;
    }
    out.push(s[start..].to_string());
    out
}

fn quotes(s: &str) -> usize {
    s.bytes().filter(|&b| b == b'"').count()
}

impl<R: BufRead> Iterator for CsvLines<R> {
    type Item = Result<Record, BadRecord>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if self.pending.is_empty() {
                match self.fill() {
                    Ok(true) => {}
                    Ok(false) => return None,
                    Err(e) => return Some(Err(e)),
                }
            }
            let (line, first) = self.pending.front().cloned().expect("filled");
            if first.trim().is_empty() {
                self.pending.pop_front();
                continue;
            }
            // take lines until the quotes balance
            let mut used = 1;
            let mut q = quotes(&first);
            while q % 2 == 1 && used < MAX_RECORD_LINES {
                if used == self.pending.len() {
                    match self.fill() {
                        Ok(true) => {}
                        Ok(false) => break,
                        Err(e) => return Some(Err(e)),
                    }
                }
                q += quotes(&self.pending[used].1);
                used += 1;
            }
            if q % 2 == 1 {
                // unclosed quote: report it here and go on with the next line
                self.pending.pop_front();
                return Some(Err(BadRecord {
                    line,
                    message:
                        "a quoted field is not closed (the row is cut off or has a stray quote)"
                            .into(),
                }));
            }
            let text: String = self.pending.drain(..used).map(|(_, s)| s).collect();
            return Some(Ok(Record {
                line,
                fields: self.parse(text.as_bytes()),
            }));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Vec<Result<(u64, Vec<String>), u64>> {
        CsvLines::new(text.as_bytes(), b',')
            .map(|r| match r {
                Ok(r) => Ok((r.line, r.fields.iter().map(String::from).collect())),
                Err(e) => Err(e.line),
            })
            .collect()
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
}
