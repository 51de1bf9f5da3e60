//! `explain`: one JSON object per chain (JSON Lines), or a table a person reads (SPEC §6).

use std::io::{self, Write};

use jiff::tz::TimeZone;

use super::read_ahead;
use super::session::{load_config, Session};
use super::{fail, log, outcome, report, Env};
use crate::cli::ExplainArgs;
use crate::decide::recipients::Verdict;
use crate::decide::stream as pipeline;
use crate::exit_codes::ExitCode;
use crate::ingest::time::rfc3339;

/// One chain as a JSON line, with its newline, into `out`. Written by hand, byte for byte
/// what `serde_json` writes for the same record (a test compares them): the serializer spent
/// about 1,900 instructions per row escaping strings byte by byte, a quarter of the deciding
/// thread's work.
pub(crate) fn write_json_line(out: &mut impl Write, v: &Verdict, tz: &TimeZone) -> io::Result<()> {
    let mut line = Vec::with_capacity(512);
    json_line(&mut line, v, tz);
    out.write_all(&line)
}

/// The JSON line of a verdict (SPEC §6; the keys after `recipients` are more than it asks, for
/// people and scripts: `answered_line` is the line that answered when no user did, SPEC §4).
fn json_line(b: &mut Vec<u8>, v: &Verdict, tz: &TimeZone) {
    let f = &v.facts;
    b.extend_from_slice(b"{\"chain\":");
    json_str(b, &f.id);
    b.extend_from_slice(b",\"caller\":");
    json_opt(b, v.caller.number.as_ref().map(|n| n.as_str()));
    b.extend_from_slice(b",\"start\":");
    json_str(b, &rfc3339(f.start, tz));
    b.extend_from_slice(b",\"answered_by\":");
    json_opt(b, f.answered_by.as_deref());
    b.extend_from_slice(b",\"participants\":[");
    for (i, p) in f.not_answered.iter().enumerate() {
        if i > 0 {
            b.push(b',');
        }
        json_str(b, p);
    }
    b.extend_from_slice(b"],\"suppressed_by\":");
    json_opt(b, v.suppressed_by.map(|s| s.as_str()));
    b.extend_from_slice(b",\"recipients\":[");
    for (i, r) in v.recipients.iter().enumerate() {
        if i > 0 {
            b.push(b',');
        }
        b.extend_from_slice(b"{\"user\":");
        json_str(b, &r.user);
        b.extend_from_slice(b",\"email\":");
        json_opt(b, r.email.as_deref());
        b.extend_from_slice(b",\"status\":");
        json_str(b, r.status.as_str());
        b.push(b'}');
    }
    b.extend_from_slice(b"],\"caller_name\":");
    json_opt(b, v.caller.name.as_deref());
    b.extend_from_slice(b",\"ring_seconds\":");
    json_int(b, f.ring_seconds);
    b.extend_from_slice(b",\"answered_line\":");
    json_opt(b, f.answered_line.as_deref());
    b.extend_from_slice(b",\"voicemail\":");
    b.extend_from_slice(if f.voicemail { b"true" } else { b"false" });
    b.extend_from_slice(b"}\n");
}

/// An integer in decimal, without the formatting machinery.
fn json_int(b: &mut Vec<u8>, n: i64) {
    if n < 0 {
        b.push(b'-');
    }
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut m = n.unsigned_abs();
    loop {
        at -= 1;
        digits[at] = b'0' + (m % 10) as u8;
        m /= 10;
        if m == 0 {
            break;
        }
    }
    b.extend_from_slice(&digits[at..]);
}

fn json_opt(b: &mut Vec<u8>, s: Option<&str>) {
    match s {
        Some(s) => json_str(b, s),
        None => b.extend_from_slice(b"null"),
    }
}

/// A JSON string as `serde_json` writes it: `"` and `\` escaped, the control characters
/// below U+0020 as `\b \f \n \r \t` or `\u00xx`, everything else (U+007F, non-ASCII) as is.
fn json_str(b: &mut Vec<u8>, s: &str) {
    b.push(b'"');
    let bytes = s.as_bytes();
    // mostly nothing to escape: one look at every byte (no early exit, so it goes by whole
    // registers), then one copy
    let plain = bytes
        .iter()
        .fold(true, |ok, &c| ok & (c >= 0x20) & (c != b'"') & (c != b'\\'));
    if plain {
        b.extend_from_slice(bytes);
        b.push(b'"');
        return;
    }
    let mut from = 0;
    for (i, &c) in bytes.iter().enumerate() {
        if c >= 0x20 && c != b'"' && c != b'\\' {
            continue;
        }
        b.extend_from_slice(&bytes[from..i]);
        from = i + 1;
        match c {
            b'"' => b.extend_from_slice(b"\\\""),
            b'\\' => b.extend_from_slice(b"\\\\"),
            0x08 => b.extend_from_slice(b"\\b"),
            0x0c => b.extend_from_slice(b"\\f"),
            b'\n' => b.extend_from_slice(b"\\n"),
            b'\r' => b.extend_from_slice(b"\\r"),
            b'\t' => b.extend_from_slice(b"\\t"),
            _ => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                b.extend_from_slice(b"\\u00");
                b.push(HEX[usize::from(c >> 4)]);
                b.push(HEX[usize::from(c & 0xf)]);
            }
        }
    }
    b.extend_from_slice(&bytes[from..]);
    b.push(b'"');
}

/// The table: collects rows, then prints them aligned within [`WIDTH`] columns (long cells
/// wrap onto more lines; widths count terminal columns, so CJK names keep the alignment),
/// a line with the date where the day changes, and a summary at the end.
#[derive(Default)]
pub(crate) struct Table {
    rows: Vec<(String, [String; 6])>,
    calls: usize,
    notifying: usize,
    recipients: usize,
    suppressed: Vec<(&'static str, usize)>,
    not_notified: Vec<(&'static str, usize)>,
}

/// The widest line the table prints (a terminal of 100 columns).
pub(crate) const WIDTH: usize = 100;
const GAP: usize = 2;
const HEAD: [&str; 6] = ["TIME", "CALLER", "RANG", "OUTCOME", "NOTIFIED", "CHAIN"];
/// No column is narrowed below this while another can give.
const MIN: [usize; 6] = [8, 14, 12, 12, 14, 5];

/// Keeps a cell on one line and printable: no escape sequence, control or bidi character
/// from the journal reaches the terminal.
fn cell(s: &str) -> String {
    crate::render::sanitize::terminal_line(s)
}

fn width(s: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(s)
}

fn bump(counts: &mut Vec<(&'static str, usize)>, what: &'static str) {
    match counts.iter_mut().find(|(w, _)| *w == what) {
        Some((_, n)) => *n += 1,
        None => counts.push((what, 1)),
    }
}

/// Splits `text` into lines of at most `w` columns: at ", " between list items first, then
/// at blanks, and a word wider than the column by characters.
fn wrap(text: &str, w: usize) -> Vec<String> {
    let w = w.max(1);
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    let push_piece = |line: &mut String, lines: &mut Vec<String>, piece: &str| {
        let candidate = format!("{line}{piece}");
        if width(candidate.trim_end()) <= w {
            *line = candidate;
            return;
        }
        if !line.trim_end().is_empty() {
            lines.push(line.trim_end().to_string());
        }
        line.clear();
        if width(piece.trim_end()) <= w {
            line.push_str(piece);
            return;
        }
        // wider than the column: by characters
        for c in piece.chars() {
            let cw = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
            if width(line) + cw > w && !line.is_empty() {
                lines.push(std::mem::take(line));
            }
            line.push(c);
        }
    };
    for item in text.split_inclusive(", ") {
        if width(&format!("{line}{}", item.trim_end())) <= w {
            line.push_str(item);
            continue;
        }
        if width(item.trim_end()) <= w {
            // the whole item on the next line
            lines.push(std::mem::take(&mut line).trim_end().to_string());
            line.push_str(item);
            continue;
        }
        for word in item.split_inclusive(' ') {
            push_piece(&mut line, &mut lines, word);
        }
    }
    if !line.trim_end().is_empty() || lines.is_empty() {
        lines.push(line.trim_end().to_string());
    }
    lines
}

/// Column widths that fit [`WIDTH`]: each column as wide as its widest cell, then the
/// widest column narrowed, one column at a time, until the line fits — first not below
/// `floor` (a column's longest word, so words are not cut), then not below [`MIN`].
fn fit(natural: [usize; 6], floor: [usize; 6]) -> [usize; 6] {
    let mut w = natural;
    let budget = WIDTH - GAP * (w.len() - 1);
    for min in [floor, MIN] {
        while w.iter().sum::<usize>() > budget {
            let Some(i) = (0..w.len())
                .filter(|&i| w[i] > min[i].max(MIN[i]))
                .max_by_key(|&i| (w[i], i))
            else {
                break;
            };
            w[i] -= 1;
        }
    }
    w
}

impl Table {
    /// Adds a chain; `name` gives a user's name for a user id.
    pub(crate) fn push(
        &mut self,
        v: &Verdict,
        tz: &TimeZone,
        lookup: &crate::decide::lookup::Lookup,
    ) {
        let name = |u: &str| lookup.user(u).map_or(u.to_string(), |i| i.name.clone());
        let name = |u: &str| {
            let n = name(u);
            if n.trim().is_empty() {
                u.to_string()
            } else {
                n
            }
        };
        let z = v.facts.start.to_zoned_datetime(tz.clone());
        let day = z.strftime("%Y-%m-%d").to_string();
        let time = z.strftime("%H:%M:%S").to_string();
        let mut caller = if v.caller.raw.is_empty() {
            "(hidden)".to_string()
        } else {
            v.caller
                .number
                .as_ref()
                .map_or(v.caller.raw.clone(), |n| n.to_string())
        };
        if let Some(n) = v.caller.name.as_deref().or(v.caller.company.as_deref()) {
            caller = format!("{caller} ({n})");
        }
        let mut rang: Vec<String> = v.facts.participants.iter().map(|u| name(u)).collect();
        if !v.facts.unowned_lines.is_empty() {
            rang.push(format!(
                "lines without user: {}",
                v.facts.unowned_lines.join(", ")
            ));
        }
        let outcome = match (&v.facts.answered_by, &v.facts.answered_line) {
            (Some(u), _) => format!("answered by {} ({} s)", name(u), v.facts.ring_seconds),
            (None, Some(line)) => format!("answered at {line} ({} s)", v.facts.ring_seconds),
            (None, None) => format!("missed ({} s)", v.facts.ring_seconds),
        };
        self.calls += 1;
        let notified = match v.suppressed_by {
            Some(s) => {
                bump(&mut self.suppressed, s.as_str());
                format!("nobody: {}", s.as_str())
            }
            None => {
                let mut told = 0;
                let list = v
                    .recipients
                    .iter()
                    .map(|r| match r.status {
                        crate::decide::recipients::Status::Notify => {
                            told += 1;
                            name(&r.user)
                        }
                        s => {
                            bump(&mut self.not_notified, s.as_str());
                            format!("{} ({})", name(&r.user), s.as_str())
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(", ");
                if told > 0 {
                    self.notifying += 1;
                    self.recipients += told;
                }
                list
            }
        };
        self.rows.push((
            day,
            [
                time,
                caller,
                rang.join(", "),
                outcome,
                notified,
                v.facts.id.to_string(),
            ]
            .map(|s| cell(&s)),
        ));
    }

    pub(crate) fn print(&self, out: &mut dyn Write) -> io::Result<()> {
        let mut natural = HEAD.map(width);
        let mut floor = [0; 6];
        for (_, r) in &self.rows {
            for (i, c) in r.iter().enumerate() {
                natural[i] = natural[i].max(width(c));
                let longest = c.split(' ').map(width).max().unwrap_or(0);
                floor[i] = floor[i].max(longest.min(24));
            }
        }
        let widths = fit(natural, floor);
        let line = |cells: [&str; 6], out: &mut dyn Write| -> io::Result<()> {
            let wrapped: Vec<Vec<String>> =
                cells.iter().zip(widths).map(|(c, w)| wrap(c, w)).collect();
            let height = wrapped.iter().map(Vec::len).max().unwrap_or(1);
            for k in 0..height {
                let mut s = String::new();
                for (i, (col, w)) in wrapped.iter().zip(widths).enumerate() {
                    let c = col.get(k).map_or("", String::as_str);
                    s.push_str(c);
                    if i + 1 < wrapped.len() {
                        s.push_str(&" ".repeat(w.saturating_sub(width(c)) + GAP));
                    }
                }
                writeln!(out, "{}", s.trim_end())?;
            }
            Ok(())
        };
        line(HEAD, out)?;
        let mut day = None;
        for (d, r) in &self.rows {
            if day != Some(d) {
                writeln!(out, "{d}")?;
                day = Some(d);
            }
            line(
                [&r[0], &r[1], &r[2], &r[3], &r[4], &r[5]].map(|s| s.as_str()),
                out,
            )?;
        }
        for l in self.summary() {
            for w in wrap(&l, WIDTH) {
                writeln!(out, "{w}")?;
            }
        }
        Ok(())
    }

    /// The closing lines: calls, how many notify someone, and why the others do not.
    fn summary(&self) -> Vec<String> {
        let list = |counts: &[(&'static str, usize)]| {
            let mut c = counts.to_vec();
            c.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
            c.iter()
                .map(|(w, n)| format!("{n} {w}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let suppressed: usize = self.suppressed.iter().map(|(_, n)| n).sum();
        let skipped = self.calls - suppressed - self.notifying;
        let mut lines = vec![format!(
            "{} calls: {} notify {} recipient(s), {suppressed} suppressed, {skipped} with every recipient skipped",
            self.calls, self.notifying, self.recipients
        )];
        if !self.suppressed.is_empty() {
            lines.push(format!("suppressed: {}", list(&self.suppressed)));
        }
        if !self.not_notified.is_empty() {
            lines.push(format!("not notified: {}", list(&self.not_notified)));
        }
        lines
    }
}

/// `explain`: who gets mail for each call, and why (or why not); nothing is written.
pub(crate) fn explain_cmd(args: ExplainArgs, mut env: Env<'_>) -> ExitCode {
    let config = match load_config(&args.common.config, Some(&args.input)) {
        Ok(c) => c,
        Err(e) => return fail(&mut env, e),
    };
    let Session {
        config,
        now,
        lookup,
        mut history,
        problems,
        sources,
        pending_ids,
        heavy_reading,
        ..
    } = match Session::open(config, &args.input, &mut env, None) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let tz = config.rules.time_zone.clone();
    let mut table = Table::default();
    let mut write_failed = false;
    let mut rows = log::Repeats::new("rows", log::Priority::Warning, env.journal);
    let mut spill = super::spill::TempFile::new();
    let decided = {
        // one buffer for the JSON lines (standard output would flush each line); row problems
        // go to standard error at once, so the buffer is flushed before each of them
        let stdout =
            std::cell::RefCell::new(io::BufWriter::with_capacity(1 << 16, &mut *env.stdout));
        let failed = std::cell::Cell::new(false);
        let stderr = &mut *env.stderr;
        let decided = std::thread::scope(|scope| {
            pipeline::decide_events_in(
                &mut spill,
                false,
                read_ahead::events(scope, sources, &config.rules, &lookup, heavy_reading),
                (&config.rules, &lookup, &mut history, now),
                // a verdict settled while it waits is held as its line
                args.json.then_some(pipeline::Settled {
                    write: &|v, b| json_line(b, v, &tz),
                    take: &mut |line| {
                        if stdout.borrow_mut().write_all(line).is_err() {
                            failed.set(true);
                        }
                    },
                }),
                |e| {
                    if stdout.borrow_mut().flush().is_err() {
                        failed.set(true);
                    }
                    rows.note(stderr, &e.pos.to_string(), &e.message, &e.to_string())
                },
                |v, _| {
                    if args.json {
                        if write_json_line(&mut *stdout.borrow_mut(), &v, &tz).is_err() {
                            failed.set(true);
                        }
                    } else {
                        table.push(&v, &tz, &lookup);
                    }
                },
            )
        });
        if stdout.into_inner().flush().is_err() || failed.get() {
            write_failed = true;
        }
        decided
    };
    rows.finish(env.stderr);
    if let Some(w) = spill.warning() {
        let w = format!("unanswered: {w}");
        log::line(env.stderr, env.journal, log::Priority::Warning, &w);
    }
    let mut stats = match decided {
        Ok(stats) => stats,
        Err(e) => {
            let e = format!(
                "unanswered: the calls held in a temporary file could not be read back ({e}); \
                 the calls after the last one shown were not decided"
            );
            log::line(env.stderr, env.journal, log::Priority::Error, &e);
            return ExitCode::Partial;
        }
    };
    // the entries kept from earlier runs are not the journals' entries
    stats.entries = stats.entries.saturating_sub(pending_ids.len() as u64);
    if !args.json && table.print(env.stdout).is_err() {
        write_failed = true;
    }
    let bad = stats.rejected + stats.late + problems;
    if args.verbose || bad > 0 {
        let priority = if bad > 0 {
            log::Priority::Warning
        } else {
            log::Priority::Info
        };
        report::summary(env.stderr, (env.journal, priority), &stats, "");
    }
    outcome(write_failed || bad > 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::Text;
    use proptest::prelude::*;
    use serde::Serialize;

    /// The record as `serde_json` writes it: what [`json_line`] must write byte for byte.
    fn serde_line(v: &Verdict, tz: &TimeZone) -> String {
        #[derive(Serialize)]
        struct Recipient<'a> {
            user: &'a str,
            email: Option<&'a str>,
            status: &'static str,
        }
        #[derive(Serialize)]
        struct Chain<'a> {
            chain: &'a str,
            caller: Option<&'a str>,
            start: String,
            answered_by: Option<&'a str>,
            participants: &'a [Text],
            suppressed_by: Option<&'static str>,
            recipients: Vec<Recipient<'a>>,
            caller_name: Option<&'a str>,
            ring_seconds: i64,
            answered_line: Option<&'a str>,
            voicemail: bool,
        }
        let rec = Chain {
            chain: &v.facts.id,
            caller: v.caller.number.as_ref().map(|n| n.as_str()),
            start: rfc3339(v.facts.start, tz),
            answered_by: v.facts.answered_by.as_deref(),
            participants: &v.facts.not_answered,
            suppressed_by: v.suppressed_by.map(|s| s.as_str()),
            recipients: v
                .recipients
                .iter()
                .map(|r| Recipient {
                    user: &r.user,
                    email: r.email.as_deref(),
                    status: r.status.as_str(),
                })
                .collect(),
            caller_name: v.caller.name.as_deref(),
            ring_seconds: v.facts.ring_seconds,
            answered_line: v.facts.answered_line.as_deref(),
            voicemail: v.facts.voicemail,
        };
        serde_json::to_string(&rec).unwrap() + "\n"
    }

    proptest! {
        #[test]
        fn strings_are_written_as_serde_json_writes_them(s in any::<String>(), c in 0u8..0x80) {
            // any text, and each ASCII character (control characters included) among others
            let s = format!("{s}a{}b\"\\", char::from(c));
            let mut b = Vec::new();
            json_str(&mut b, &s);
            prop_assert_eq!(String::from_utf8(b).unwrap(), serde_json::to_string(&s).unwrap());
        }
    }

    proptest! {
        #[test]
        fn integers_are_written_as_serde_json_writes_them(n in any::<i64>()) {
            let mut b = Vec::new();
            json_int(&mut b, n);
            prop_assert_eq!(String::from_utf8(b).unwrap(), serde_json::to_string(&n).unwrap());
        }
    }

    #[test]
    fn the_widest_integers_are_written_whole() {
        for n in [i64::MIN, i64::MAX, 0, -1, 10] {
            let mut b = Vec::new();
            json_int(&mut b, n);
            assert_eq!(String::from_utf8(b).unwrap(), n.to_string());
        }
    }

    #[test]
    fn a_line_is_what_serde_json_writes() {
        use crate::decide::recipients::{Recipient, Status};
        use crate::decide::testkit::{group_call, lookup, rules, verdicts};
        let mut vs = verdicts(group_call(), &rules(), &lookup());
        assert!(!vs.is_empty());
        // and every field filled, with text that must be escaped
        let mut v = vs[0].clone();
        v.facts.id = "T\"1\\\u{1}".into();
        v.facts.answered_by = Some("anna\n".into());
        v.facts.answered_line = Some("20\t1".into());
        v.facts.ring_seconds = -3;
        v.facts.voicemail = true;
        v.facts.not_answered = ["bert".into(), "c\u{7f}é".into()].into_iter().collect();
        v.caller.name = Some("Evil\"},{\"x\":1".into());
        v.recipients = vec![
            Recipient {
                user: "anna".into(),
                email: None,
                status: Status::Notify,
            },
            Recipient {
                user: "bert".into(),
                email: Some("b@x".into()),
                status: Status::Notify,
            },
        ];
        vs.push(v);
        let tz = TimeZone::fixed(jiff::tz::offset(2));
        for v in &vs {
            let mut b = Vec::new();
            json_line(&mut b, v, &tz);
            assert_eq!(String::from_utf8(b).unwrap(), serde_line(v, &tz));
        }
    }

    #[test]
    fn cells_carry_nothing_a_terminal_would_obey() {
        for (raw, shown) in [
            ("Acme\u{1b}[2J\u{1b}[31m", "Acme[2J[31m"),
            ("Evil\u{9b}1m\u{0}Corp", "Evil1mCorp"),
            ("abc\u{202E}gnp.exe", "abcgnp.exe"),
            ("two\nlines", "two lines"),
        ] {
            assert_eq!(cell(raw), shown, "{raw:?}");
            assert!(!cell(raw).chars().any(|c| c.is_control()));
        }
    }

    #[test]
    fn wrap_breaks_lists_then_words_then_characters() {
        assert_eq!(
            wrap("Anna Schmidt, Bert Meyer", 14),
            ["Anna Schmidt,", "Bert Meyer"]
        );
        assert_eq!(wrap("a, b, c", 10), ["a, b, c"]);
        assert_eq!(
            wrap("1 excluded, 1 internal", 12),
            ["1 excluded,", "1 internal"]
        );
        assert_eq!(
            wrap("+49305550100 (Max Mustermann)", 16),
            ["+49305550100", "(Max Mustermann)"]
        );
        assert_eq!(wrap("abcdefgh", 3), ["abc", "def", "gh"]);
        // wide characters count two columns
        assert_eq!(wrap("山田太郎 様", 8), ["山田太郎", "様"]);
        assert_eq!(wrap("", 5), [""]);
        for l in wrap("山田太郎山田太郎", 5) {
            assert!(width(&l) <= 5, "{l}");
        }
    }

    #[test]
    fn fit_narrows_the_widest_columns_to_the_width() {
        let w = fit([8, 31, 60, 28, 50, 5], [8, 12, 10, 10, 20, 5]);
        assert_eq!(w.iter().sum::<usize>() + GAP * 5, WIDTH);
        assert_eq!(w[0], 8);
        assert_eq!(w[5], 5);
        assert!(w[4] >= 20, "{w:?}");
        assert_eq!(fit([8, 10, 10, 10, 10, 5], [0; 6]), [8, 10, 10, 10, 10, 5]);
        // words too long for any fit: down to MIN
        let w = fit([40, 40, 40, 40, 40, 40], [40; 6]);
        assert_eq!(w.iter().sum::<usize>() + GAP * 5, WIDTH);
    }
}
