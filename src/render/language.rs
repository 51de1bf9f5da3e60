//! Language files: one `<code>.xml` per language (SPEC §7). The languages offered are the
//! files that exist; English and German are built in. A file holds the date formats, the names
//! of weekdays and months, and every string the templates show.

use std::collections::BTreeMap;
use std::path::Path;

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use crate::render::Error;

/// The built-in languages, as shipped in `languages/`.
pub(crate) const BUILT_IN: &[(&str, &str)] = &[
    ("de", include_str!("../../languages/de.xml")),
    ("en", include_str!("../../languages/en.xml")),
];

/// One language.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Language {
    pub(crate) code: String,
    pub(crate) name: String,
    /// `date`, `time`, `date-long`.
    pub(crate) formats: BTreeMap<String, String>,
    pub(crate) weekdays: Vec<String>,
    pub(crate) months: Vec<String>,
    /// key → text, in file order.
    pub(crate) strings: Vec<(String, String)>,
}

impl Language {
    pub(crate) fn string(&self, key: &str) -> Option<&str> {
        self.strings
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Formats a civil date-time with a pattern of the language file:
    /// `%d %m %Y %y %H %M %S %A %B %e %-m %-d %%`.
    pub(crate) fn format(&self, pattern: &str, dt: jiff::civil::DateTime) -> String {
        let mut out = String::new();
        let mut chars = pattern.chars().peekable();
        while let Some(c) = chars.next() {
            if c != '%' {
                out.push(c);
                continue;
            }
            let mut spec = chars.next().unwrap_or('%');
            let no_pad = spec == '-';
            if no_pad {
                spec = chars.next().unwrap_or('%');
            }
            let num = |n: i64, width: usize| {
                if no_pad {
                    n.to_string()
                } else {
                    format!("{n:0width$}")
                }
            };
            match spec {
                'd' => out.push_str(&num(dt.day().into(), 2)),
                'e' => out.push_str(&dt.day().to_string()),
                'm' => out.push_str(&num(dt.month().into(), 2)),
                'Y' => out.push_str(&dt.year().to_string()),
                'y' => out.push_str(&num((dt.year() % 100).into(), 2)),
                'H' => out.push_str(&num(dt.hour().into(), 2)),
                'M' => out.push_str(&num(dt.minute().into(), 2)),
                'S' => out.push_str(&num(dt.second().into(), 2)),
                'A' => {
                    let i = dt.weekday().to_monday_zero_offset() as usize;
                    out.push_str(self.weekdays.get(i).map_or("", String::as_str));
                }
                'B' => {
                    let i = dt.month() as usize - 1;
                    out.push_str(self.months.get(i).map_or("", String::as_str));
                }
                '%' => out.push('%'),
                other => {
                    out.push('%');
                    out.push(other);
                }
            }
        }
        out
    }

    pub(crate) fn format_key(&self, key: &str, dt: jiff::civil::DateTime) -> String {
        let pattern = self
            .formats
            .get(key)
            .map_or("%Y-%m-%d %H:%M", String::as_str);
        self.format(pattern, dt)
    }
}

/// A language file being read: what is known so far, and the element whose text is read.
struct Reading<'a> {
    text: &'a str,
    file: &'a str,
    lang: Language,
    seen_root: bool,
    /// The element open below the root: its name, its `key` and its line.
    open: Option<(String, Option<String>, usize)>,
    /// The text of that element so far.
    buf: String,
}

impl Reading<'_> {
    fn line_of(&self, pos: u64) -> usize {
        let text = self.text;
        text[..(pos as usize).min(text.len())].matches('\n').count() + 1
    }

    fn error(&self, line: Option<usize>, what: impl std::fmt::Display) -> Error {
        Error::Language {
            file: self.file.to_string(),
            line,
            what: what.to_string(),
        }
    }

    /// An error at the byte position `pos`.
    fn at(&self, pos: u64, what: impl std::fmt::Display) -> Error {
        self.error(Some(self.line_of(pos)), what)
    }

    /// The root element: `<language code="…" name="…">`.
    fn root(&mut self, e: &BytesStart<'_>, pos: u64) -> Result<(), Error> {
        if e.name().as_ref() != b"language" {
            return Err(self.at(pos, "expected the root element <language>"));
        }
        self.seen_root = true;
        for a in e.attributes().flatten() {
            let v = a.unescape_value().map_err(|e| self.at(pos, e))?.to_string();
            match a.key.as_ref() {
                b"code" => self.lang.code = v,
                b"name" => self.lang.name = v,
                _ => {}
            }
        }
        Ok(())
    }

    /// An element below the root: its text is read until it ends.
    fn start(&mut self, e: &BytesStart<'_>, pos: u64) -> Result<(), Error> {
        let name = String::from_utf8_lossy(e.name().as_ref()).to_string();
        let mut key = None;
        for a in e.attributes().flatten() {
            if a.key.as_ref() == b"key" {
                key = Some(a.unescape_value().map_err(|e| self.at(pos, e))?.to_string());
            }
        }
        self.open = Some((name, key, self.line_of(pos)));
        self.buf.clear();
        Ok(())
    }

    /// The open element ends: its text goes where its name says.
    fn end(&mut self) -> Result<(), Error> {
        let Some((name, key, line)) = self.open.take() else {
            return Ok(());
        };
        let value = self.buf.clone();
        let list = |v: &str| v.split(',').map(|s| s.trim().to_string()).collect();
        match (name.as_str(), key) {
            ("string", Some(k)) => {
                if self.lang.strings.iter().any(|(x, _)| *x == k) {
                    return Err(self.error(Some(line), format!("string `{k}` is defined twice")));
                }
                self.lang.strings.push((k, value));
            }
            ("format", Some(k)) => {
                self.lang.formats.insert(k, value);
            }
            ("weekdays", _) => self.lang.weekdays = list(&value),
            ("months", _) => self.lang.months = list(&value),
            ("string" | "format", None) => {
                return Err(self.error(Some(line), format!("<{name}> needs a key attribute")))
            }
            _ => {}
        }
        Ok(())
    }

    /// One event of the file.
    fn event(&mut self, ev: Event<'_>, pos: u64) -> Result<(), Error> {
        match ev {
            Event::Start(e) | Event::Empty(e) if !self.seen_root => self.root(&e, pos)?,
            Event::Start(e) => self.start(&e, pos)?,
            Event::Text(t) if self.open.is_some() => {
                let s = t.decode().map_err(|e| self.at(pos, e))?;
                let s = quick_xml::escape::unescape(&s).map_err(|e| self.at(pos, e))?;
                self.buf.push_str(&s);
            }
            Event::GeneralRef(g) if self.open.is_some() => {
                let entity = format!("&{};", String::from_utf8_lossy(&g));
                let s = quick_xml::escape::unescape(&entity).map_err(|e| self.at(pos, e))?;
                self.buf.push_str(&s);
            }
            Event::CData(c) if self.open.is_some() => {
                self.buf.push_str(&String::from_utf8_lossy(&c));
            }
            Event::End(_) => self.end()?,
            _ => {}
        }
        Ok(())
    }

    /// The whole file is read: what every language must have.
    fn finish(self) -> Result<Language, Error> {
        let lang = &self.lang;
        if !self.seen_root {
            return Err(self.error(None, "expected a <language> element"));
        }
        if lang.weekdays.len() != 7 {
            let n = lang.weekdays.len();
            let what = format!("<weekdays> must list 7 names (Monday first), found {n}");
            return Err(self.error(None, what));
        }
        if lang.months.len() != 12 {
            let n = lang.months.len();
            return Err(self.error(None, format!("<months> must list 12 names, found {n}")));
        }
        for k in ["date", "time", "date-long"] {
            if !lang.formats.contains_key(k) {
                return Err(self.error(None, format!("missing <format key=\"{k}\">")));
            }
        }
        Ok(self.lang)
    }
}

/// Reads a language file; `Err` says what is wrong, with the line.
pub(crate) fn parse(text: &str, file: &str) -> Result<Language, Error> {
    let mut r = Reader::from_str(text);
    r.config_mut().trim_text(false);
    let mut reading = Reading {
        text,
        file,
        lang: Language {
            code: String::new(),
            name: String::new(),
            formats: BTreeMap::new(),
            weekdays: Vec::new(),
            months: Vec::new(),
            strings: Vec::new(),
        },
        seen_root: false,
        open: None,
        buf: String::new(),
    };
    loop {
        let pos = r.buffer_position();
        let ev = r
            .read_event()
            .map_err(|e| reading.at(pos, format!("not well-formed XML: {e}")))?;
        if matches!(ev, Event::Eof) {
            break;
        }
        reading.event(ev, pos)?;
    }
    reading.finish()
}

/// The languages offered: the built-in ones, or the files of `dir` (`<code>.xml`).
pub(crate) fn load_all(dir: Option<&Path>) -> Result<BTreeMap<String, Language>, Vec<Error>> {
    let mut out = BTreeMap::new();
    let mut errors = Vec::new();
    match dir {
        None => {
            for (code, text) in BUILT_IN {
                match parse(text, &format!("(built-in) languages/{code}.xml")) {
                    Ok(l) => {
                        out.insert(code.to_string(), l);
                    }
                    Err(e) => errors.push(e),
                }
            }
        }
        Some(dir) => {
            let entries = match std::fs::read_dir(dir) {
                Ok(e) => e,
                Err(e) => {
                    return Err(vec![Error::LanguagesDir {
                        dir: dir.to_path_buf(),
                        source: e,
                    }])
                }
            };
            let mut paths: Vec<_> = entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "xml"))
                .collect();
            paths.sort();
            for p in paths {
                let code = p
                    .file_stem()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .to_string();
                let name = p.display().to_string();
                match std::fs::read(&p) {
                    Ok(bytes) => {
                        let text = crate::ingest::text::decode_bytes(
                            &bytes,
                            crate::ingest::text::TextEncoding::Auto,
                        );
                        match parse(&text, &name) {
                            Ok(l) => {
                                out.insert(code, l);
                            }
                            Err(e) => errors.push(e),
                        }
                    }
                    Err(source) => errors.push(Error::Unreadable { file: name, source }),
                }
            }
            if out.is_empty() && errors.is_empty() {
                errors.push(Error::NoLanguages {
                    dir: dir.to_path_buf(),
                });
            }
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_languages_parse_and_have_the_same_keys() {
        let all = load_all(None).unwrap();
        assert_eq!(all.keys().collect::<Vec<_>>(), vec!["de", "en"]);
        let keys = |l: &Language| {
            let mut k: Vec<String> = l.strings.iter().map(|(k, _)| k.clone()).collect();
            k.sort();
            k
        };
        assert_eq!(keys(&all["de"]), keys(&all["en"]));
        assert!(all["de"].strings.len() > 10);
    }

    #[test]
    fn formats_dates_the_way_each_language_writes_them() {
        let all = load_all(None).unwrap();
        let dt = jiff::civil::date(2026, 11, 26).at(9, 5, 3, 0);
        assert_eq!(all["de"].format_key("date", dt), "26.11.2026");
        assert_eq!(all["de"].format_key("time", dt), "09:05");
        assert_eq!(
            all["de"].format_key("date-long", dt),
            "Donnerstag, 26. November 2026"
        );
        assert!(all["en"].format_key("date-long", dt).contains("Thursday"));
        let l = &all["en"];
        assert_eq!(
            l.format(
                "%-d.%-m. %% %q",
                jiff::civil::date(2026, 3, 1).at(0, 0, 0, 0)
            ),
            "1.3. % %q"
        );
    }

    #[test]
    fn bad_files_say_what_is_wrong() {
        let ok_head = r#"<language code="xx" name="X"><format key="date">%d</format><format key="time">%H</format><format key="date-long">%d</format><weekdays>a,b,c,d,e,f,g</weekdays><months>1,2,3,4,5,6,7,8,9,10,11,12</months>"#;
        assert!(parse(
            &format!("{ok_head}<string key=\"a\">x &amp; y</string></language>"),
            "x.xml"
        )
        .is_ok());
        let l = parse(
            &format!("{ok_head}<string key=\"a\">x &amp; y</string></language>"),
            "x.xml",
        )
        .unwrap();
        assert_eq!(l.string("a"), Some("x & y"));
        let e = parse(&format!("{ok_head}<string>x</string></language>"), "x.xml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("needs a key"), "{e}");
        let e = parse(
            &format!(
                "{ok_head}<string key=\"a\">x</string><string key=\"a\">y</string></language>"
            ),
            "x.xml",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("twice"), "{e}");
        let e = parse("<language><weekdays>a</weekdays></language>", "x.xml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("7 names"), "{e}");
        let e = parse("<language><string key='a'>x</strin></language>", "x.xml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("x.xml:1"), "{e}");
    }
}
#[cfg(test)]
mod keep_spaces {
    #[test]
    fn spaces_in_strings_are_kept() {
        let l = super::load_all(None).unwrap();
        assert_eq!(l["en"].string("list-separator"), Some(", "));
    }
}
