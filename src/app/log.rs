//! Lines on standard error: a syslog priority prefix (`<3>` error, `<4>` warning, `<6>` info)
//! when standard error is the systemd journal, so `journalctl -p warning` finds the problems;
//! and repeated identical problems shown once with their count.

use std::collections::HashMap;
use std::io::Write;

/// How much a line matters (syslog priorities).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Priority {
    Error = 3,
    Warning = 4,
    Info = 6,
}

/// True when standard error is the journal: `JOURNAL_STREAM` (`device:inode`, set by systemd)
/// names the file that file descriptor 2 is. An inherited variable alone (stderr redirected
/// by a shell script run from a unit) is not enough.
pub fn stderr_is_journal() -> bool {
    use std::os::unix::fs::MetadataExt;
    let Some(stream) = std::env::var_os("JOURNAL_STREAM") else {
        return false;
    };
    let Some((dev, ino)) = stream.to_str().and_then(|s| s.split_once(':')) else {
        return false;
    };
    match std::fs::metadata("/proc/self/fd/2") {
        Ok(m) => dev.parse() == Ok(m.dev()) && ino.parse() == Ok(m.ino()),
        Err(_) => false,
    }
}

/// Writes `text` with its priority prefix on each of its lines (when `journal`).
pub(crate) fn line(err: &mut dyn Write, journal: bool, p: Priority, text: &str) {
    for l in text.lines() {
        let _ = if journal {
            writeln!(err, "<{}>{l}", p as u8)
        } else {
            writeln!(err, "{l}")
        };
    }
}

/// Standard error for the journal: every line that carries no priority gets `<4>` (what the
/// program writes on standard error is a problem unless said otherwise). Lines are buffered
/// until their end, so a prefix is never put into the middle of one.
pub struct JournalStderr<W: Write> {
    inner: W,
    pending: Vec<u8>,
}

impl<W: Write> JournalStderr<W> {
    pub fn new(inner: W) -> Self {
        JournalStderr {
            inner,
            pending: Vec::new(),
        }
    }

    fn emit(&mut self, line: &[u8]) -> std::io::Result<()> {
        let marked =
            line.len() >= 3 && line[0] == b'<' && line[1].is_ascii_digit() && line[2] == b'>';
        if !marked {
            self.inner.write_all(b"<4>")?;
        }
        self.inner.write_all(line)
    }
}

impl<W: Write> Write for JournalStderr<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.pending.extend_from_slice(buf);
        while let Some(end) = self.pending.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = self.pending.drain(..=end).collect();
            self.emit(&line)?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if !self.pending.is_empty() {
            let mut rest = std::mem::take(&mut self.pending);
            rest.push(b'\n');
            self.emit(&rest)?;
        }
        self.inner.flush()
    }
}

impl<W: Write> Drop for JournalStderr<W> {
    fn drop(&mut self) {
        let _ = self.flush();
    }
}

/// How many lines of one problem are shown, each with its place, before they are only
/// counted.
pub(crate) const SHOWN: u64 = 10;

struct Group {
    message: String,
    count: u64,
    first: String,
    last: String,
}

/// Problems that repeat (the same row error in 54 rows, the same SMTP answer for 23 mails):
/// the first [`SHOWN`] of each are written as they come, with their place; [`Repeats::finish`]
/// then writes one line per problem that was seen more often, with the exact count and the
/// first and last place. Every distinct message is shown; none vanishes.
pub(crate) struct Repeats {
    /// What is counted: "rows", "mails".
    what: &'static str,
    priority: Priority,
    journal: bool,
    groups: Vec<Group>,
    index: HashMap<String, usize>,
}

impl Repeats {
    pub(crate) fn new(what: &'static str, priority: Priority, journal: bool) -> Self {
        Repeats {
            what,
            priority,
            journal,
            groups: Vec::new(),
            index: HashMap::new(),
        }
    }

    /// One problem at `place` (a file:line, a recipient); `text` is the whole line to show.
    pub(crate) fn note(&mut self, err: &mut dyn Write, place: &str, message: &str, text: &str) {
        let i = *self.index.entry(message.to_string()).or_insert_with(|| {
            self.groups.push(Group {
                message: message.to_string(),
                count: 0,
                first: place.to_string(),
                last: String::new(),
            });
            self.groups.len() - 1
        });
        let g = &mut self.groups[i];
        g.count += 1;
        g.last = place.to_string();
        if g.count <= SHOWN {
            line(err, self.journal, self.priority, text);
        }
    }

    /// The count lines of the problems seen more than [`SHOWN`] times.
    pub(crate) fn finish(&mut self, err: &mut dyn Write) {
        for g in self.groups.drain(..) {
            if g.count > SHOWN {
                let text = format!(
                    "{} {}: {} (first at {}, last at {}; {} more not shown)",
                    g.count,
                    self.what,
                    g.message,
                    g.first,
                    g.last,
                    g.count - SHOWN
                );
                line(err, self.journal, self.priority, &text);
            }
        }
        self.index.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_problems_are_counted_exactly_and_shown_once() {
        let mut out = Vec::new();
        let mut r = Repeats::new("rows", Priority::Warning, false);
        for n in 1..=54 {
            let place = format!("journal.csv:{}", n + 2);
            r.note(
                &mut out,
                &place,
                "missing stStartTime",
                &format!("{place}: missing stStartTime"),
            );
        }
        r.note(
            &mut out,
            "journal.csv:99",
            "bad time",
            "journal.csv:99: bad time",
        );
        r.finish(&mut out);
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 12, "{text}");
        assert_eq!(lines[0], "journal.csv:3: missing stStartTime");
        assert_eq!(lines[10], "journal.csv:99: bad time");
        assert_eq!(
            lines[11],
            "54 rows: missing stStartTime (first at journal.csv:3, last at journal.csv:56; 44 more not shown)"
        );
    }

    #[test]
    fn the_journal_gets_priorities_on_every_line() {
        let mut buf = Vec::new();
        {
            let mut w = JournalStderr::new(&mut buf);
            line(&mut w, true, Priority::Info, "done");
            write!(w, "a row ").unwrap();
            writeln!(w, "error").unwrap();
            line(&mut w, true, Priority::Error, "failed");
            write!(w, "no newline").unwrap();
        }
        assert_eq!(
            String::from_utf8(buf).unwrap(),
            "<6>done\n<4>a row error\n<3>failed\n<4>no newline\n"
        );
    }
}
