//! Text decoding of input files: UTF-8 (with or without BOM), UTF-16 with BOM, and
//! Windows-1252 when asked for. Streaming: nothing holds a whole file.
//!
//! Bytes that are not valid in the chosen encoding are replaced by U+FFFD, never fatal
//! (real exports contain them).

use std::io::{self, BufRead, BufReader, Read};
use std::str::FromStr;

use encoding_rs::Encoding;

/// The encoding an input is read in. A byte-order mark always wins over it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum TextEncoding {
    /// UTF-8, or UTF-16 when the file starts with a BOM.
    #[default]
    Auto,
    Utf8,
    Utf16Le,
    Utf16Be,
    Windows1252,
}

impl TextEncoding {
    fn encoding(self) -> &'static Encoding {
        match self {
            TextEncoding::Auto | TextEncoding::Utf8 => encoding_rs::UTF_8,
            TextEncoding::Utf16Le => encoding_rs::UTF_16LE,
            TextEncoding::Utf16Be => encoding_rs::UTF_16BE,
            TextEncoding::Windows1252 => encoding_rs::WINDOWS_1252,
        }
    }

    pub(crate) const NAMES: &'static str = "auto, utf-8, utf-16le, utf-16be, windows-1252";
}

/// An encoding name that is not one of [`TextEncoding::NAMES`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown encoding {0:?} (expected one of: {names})", names = TextEncoding::NAMES)]
pub(crate) struct UnknownEncoding(String);

impl FromStr for TextEncoding {
    type Err = UnknownEncoding;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().replace('_', "-").as_str() {
            "auto" | "" => Ok(TextEncoding::Auto),
            "utf-8" | "utf8" => Ok(TextEncoding::Utf8),
            "utf-16le" | "utf-16" | "utf16" | "utf16le" => Ok(TextEncoding::Utf16Le),
            "utf-16be" | "utf16be" => Ok(TextEncoding::Utf16Be),
            "windows-1252" | "cp1252" | "latin1" | "latin-1" | "iso-8859-1" | "ansi" => {
                Ok(TextEncoding::Windows1252)
            }
            other => Err(UnknownEncoding(other.to_string())),
        }
    }
}

/// Wraps a byte stream so that it yields valid UTF-8 without a BOM.
pub(crate) fn utf8_reader<R: Read + Send + 'static>(
    inner: R,
    enc: TextEncoding,
) -> Box<dyn BufRead + Send> {
    Box::new(BufReader::with_capacity(
        64 * 1024,
        Decoding::new(inner, enc),
    ))
}

/// A byte stream decoded to UTF-8 as it is read (our own, over `encoding_rs`): the BOM, if
/// any, chooses the encoding and is removed; malformed sequences — a stray last byte of a
/// UTF-16 file, say — become U+FFFD. Any caller buffer size works, down to one byte.
struct Decoding<R> {
    inner: R,
    decoder: encoding_rs::Decoder,
    input: Vec<u8>,
    in_pos: (usize, usize),
    out: Vec<u8>,
    out_pos: (usize, usize),
    eof: bool,
    done: bool,
}

impl<R: Read> Decoding<R> {
    fn new(inner: R, enc: TextEncoding) -> Self {
        Decoding {
            inner,
            // new_decoder sniffs a BOM: it wins over `enc` and is not passed on
            decoder: enc.encoding().new_decoder(),
            input: vec![0; 16 * 1024],
            in_pos: (0, 0),
            out: vec![0; 64 * 1024],
            out_pos: (0, 0),
            eof: false,
            done: false,
        }
    }

    /// Decodes more into `out`; false at the end of the stream.
    fn refill(&mut self) -> io::Result<bool> {
        while !self.done {
            if self.in_pos.0 == self.in_pos.1 && !self.eof {
                let n = loop {
                    match self.inner.read(&mut self.input) {
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                        other => break other?,
                    }
                };
                self.in_pos = (0, n);
                self.eof = n == 0;
            }
            let (res, read, written, _) = self.decoder.decode_to_utf8(
                &self.input[self.in_pos.0..self.in_pos.1],
                &mut self.out,
                self.eof,
            );
            self.in_pos.0 += read;
            self.out_pos = (0, written);
            if self.eof && res == encoding_rs::CoderResult::InputEmpty {
                self.done = true;
            }
            if written > 0 {
                return Ok(true);
            }
        }
        Ok(false)
    }
}

impl<R: Read> Read for Decoding<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        if self.out_pos.0 == self.out_pos.1 && !self.refill()? {
            return Ok(0);
        }
        let (start, end) = self.out_pos;
        let n = buf.len().min(end - start);
        buf[..n].copy_from_slice(&self.out[start..start + n]);
        self.out_pos.0 += n;
        Ok(n)
    }
}

/// Reads a whole (small) text file, decoded. For directory files, not journals.
///
/// With [`TextEncoding::Auto`] a file without a BOM that is not valid UTF-8 is read as
/// Windows-1252: hand-kept files saved by Excel on Windows are, and a typo there should not
/// turn "Müller" into "M�ller".
pub(crate) fn read_to_string(path: &std::path::Path, enc: TextEncoding) -> io::Result<String> {
    let bytes = std::fs::read(path)?;
    Ok(decode_bytes(&bytes, enc))
}

/// Decodes a whole byte buffer (see [`read_to_string`]).
pub(crate) fn decode_bytes(bytes: &[u8], enc: TextEncoding) -> String {
    let has_bom = bytes.starts_with(b"\xef\xbb\xbf")
        || bytes.starts_with(b"\xff\xfe")
        || bytes.starts_with(b"\xfe\xff");
    let enc = if enc == TextEncoding::Auto && !has_bom && std::str::from_utf8(bytes).is_err() {
        TextEncoding::Windows1252
    } else {
        enc
    };
    // decode sniffs a BOM (which wins and is removed) and replaces what is malformed
    enc.encoding().decode(bytes).0.into_owned()
}

/// `str::trim`, with the common case (ASCII at both ends) without decoding characters.
pub(crate) fn trim(s: &str) -> &str {
    let t = s.trim_ascii();
    // what `trim_ascii` leaves that `trim` takes: a vertical tab, or white space beyond ASCII
    let odd = |b: Option<&u8>| b.is_some_and(|&b| b >= 0x80 || b == 0x0b);
    if odd(t.as_bytes().first()) || odd(t.as_bytes().last()) {
        t.trim()
    } else {
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(bytes: &[u8], enc: TextEncoding) -> String {
        let mut s = String::new();
        utf8_reader(std::io::Cursor::new(bytes.to_vec()), enc)
            .read_to_string(&mut s)
            .unwrap();
        s
    }

    #[test]
    fn decodes_each_encoding() {
        let cases: &[(&[u8], TextEncoding, &str)] = &[
            (b"M\xc3\xbcller", TextEncoding::Auto, "Müller"),
            (b"\xef\xbb\xbfM\xc3\xbcller", TextEncoding::Auto, "Müller"),
            (b"\xff\xfeM\x00\xfc\x00", TextEncoding::Auto, "Mü"),
            (b"\xfe\xff\x00M\x00\xfc", TextEncoding::Auto, "Mü"),
            (b"M\xfcller \x80", TextEncoding::Windows1252, "Müller €"),
            // a BOM wins over the configured encoding
            (b"\xef\xbb\xbfM\xc3\xbc", TextEncoding::Windows1252, "Mü"),
            // invalid UTF-8 is replaced, not fatal
            (b"a\xa5b", TextEncoding::Auto, "a\u{fffd}b"),
        ];
        for (bytes, enc, want) in cases {
            assert_eq!(decode(bytes, *enc), *want, "{bytes:?} as {enc:?}");
        }
    }

    #[test]
    fn whole_files_fall_back_to_windows_1252() {
        assert_eq!(decode_bytes(b"M\xfcller", TextEncoding::Auto), "Müller");
        assert_eq!(decode_bytes(b"M\xc3\xbcller", TextEncoding::Auto), "Müller");
        assert_eq!(decode_bytes(b"\xff\xfeM\x00", TextEncoding::Auto), "M");
        // an explicit UTF-8 keeps replacing
        assert_eq!(
            decode_bytes(b"M\xfcller", TextEncoding::Utf8),
            "M\u{fffd}ller"
        );
    }

    #[test]
    fn parses_names() {
        assert_eq!(
            "CP1252".parse::<TextEncoding>(),
            Ok(TextEncoding::Windows1252)
        );
        assert_eq!("utf-8".parse::<TextEncoding>(), Ok(TextEncoding::Utf8));
        assert!("klingon".parse::<TextEncoding>().is_err());
        assert_eq!(
            "Klingon".parse::<TextEncoding>().unwrap_err().to_string(),
            "unknown encoding \"klingon\" (expected one of: auto, utf-8, utf-16le, utf-16be, windows-1252)"
        );
    }
}

#[cfg(test)]
mod odd_utf16 {
    use super::*;

    #[test]
    fn utf16_with_a_stray_trailing_byte_never_panics() {
        for units in 0..600usize {
            for bom in [&b"\xff\xfe"[..], &b"\xfe\xff"[..]] {
                let mut bytes = bom.to_vec();
                for _ in 0..units {
                    bytes.extend_from_slice(b"a\x00");
                }
                bytes.push(b'\n');
                let s = decode_bytes(&bytes, TextEncoding::Auto);
                assert!(s.ends_with('\u{fffd}'), "{units}: {s:?}");
                let mut s = String::new();
                utf8_reader(std::io::Cursor::new(bytes.clone()), TextEncoding::Auto)
                    .read_to_string(&mut s)
                    .unwrap();
                assert!(s.ends_with('\u{fffd}'), "{units}: {s:?}");
                // the decoder itself, read a byte at a time
                let mut d = Decoding::new(std::io::Cursor::new(bytes.clone()), TextEncoding::Auto);
                let (mut one, mut all) = ([0u8; 1], Vec::new());
                while d.read(&mut one).unwrap() == 1 {
                    all.push(one[0]);
                }
                assert_eq!(String::from_utf8(all).unwrap(), s);
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn trim_is_str_trim(s in "[ \t\r\n\x0b\x0c\u{a0}\u{3000}\u{2028}\u{85}a\u{e4},]{0,8}") {
            proptest::prop_assert_eq!(trim(&s), s.trim());
        }
    }
}
