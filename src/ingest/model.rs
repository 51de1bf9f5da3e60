//! The journal model every reader maps onto.

use std::collections::BTreeSet;
use std::fmt;
use std::sync::Mutex;

use jiff::Timestamp;

/// Where a row came from: a file (or `-` for standard input) and its 1-based line.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct SourcePos {
    pub(crate) file: FileName,
    pub(crate) line: u64,
}

/// The name of an input file as its rows carry it: interned for the life of the process (a
/// run reads a handful of files), so a row copies a pointer. (An `Arc` per row had the reading
/// thread count up and the deciding thread count down one shared counter, a cache line passed
/// between two cores for every row: 40 % of the time spent turning rows into entries.)
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct FileName(&'static str);

impl FileName {
    pub(crate) fn new(name: &str) -> FileName {
        static NAMES: Mutex<BTreeSet<&'static str>> = Mutex::new(BTreeSet::new());
        let mut names = NAMES.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(&n) = names.get(name) {
            return FileName(n);
        }
        let n: &'static str = Box::leak(name.into());
        names.insert(n);
        FileName(n)
    }
}

impl From<&str> for FileName {
    fn from(name: &str) -> FileName {
        FileName::new(name)
    }
}

impl std::ops::Deref for FileName {
    type Target = str;
    fn deref(&self) -> &str {
        self.0
    }
}

impl fmt::Display for FileName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl fmt::Debug for FileName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.0, f)
    }
}

impl serde::Serialize for FileName {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0)
    }
}

impl<'de> serde::Deserialize<'de> for FileName {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<FileName, D::Error> {
        let name = std::borrow::Cow::<'de, str>::deserialize(d)?;
        Ok(FileName::new(&name))
    }
}

impl fmt::Display for SourcePos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// Direction of the call as the journal records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) enum Origin {
    Incoming,
    Outgoing,
}

/// A field of an entry: up to 24 bytes inline (most ids, numbers and names), so reading a row
/// allocates little, and comparing a field does not follow a pointer.
pub(crate) type Text = compact_str::CompactString;

/// One journal entry, in the native model (SPEC §1.1). Other formats map onto it.
///
/// Laid out in the order written (`repr(C)`): what the grouping thread reads of every entry
/// first, in its first three cache lines ([`Entry::GROUPING_BYTES`]), so that thread asks for
/// those only, and the rest (names, the position, the Asterisk fields) after them.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[repr(C)]
pub(crate) struct Entry {
    pub(crate) connection_id: Text,
    pub(crate) tracker_id: Option<Text>,
    /// The caller's number as the journal wrote it; empty = hidden.
    pub(crate) phone_number: Text,
    pub(crate) line_number: Text,
    pub(crate) redirecting_number: Option<Text>,
    pub(crate) start: Timestamp,
    pub(crate) stop: Timestamp,
    /// Global input order over all inputs of a run (ties in start time are broken by it).
    pub(crate) seq: u64,
    pub(crate) connect: Option<Timestamp>,
    /// 0 PBX call, 7 SIP call via PBX; everything else is not a phone call.
    pub(crate) call_type: u32,
    pub(crate) origin: Origin,
    /// `iLineUserOffline`: Some(true) not logged on, Some(false) logged on, None unknown.
    pub(crate) user_offline: Option<bool>,
    pub(crate) internal: bool,
    pub(crate) tracker_last: bool,
    pub(crate) pos: SourcePos,
    pub(crate) line_user: Option<Text>,
    pub(crate) contact_name: Option<Text>,
    pub(crate) contact_company: Option<Text>,
    pub(crate) acceptor: Option<Text>,
    /// When the caller arrived, if earlier than `start`: the earliest row of the call, including
    /// rows in IVRs and queues that rang no phone (SPEC §1.2). The chain's `start` (what the
    /// mail shows) is the earliest arrival; the ring time still counts from `start`.
    /// Set by the Asterisk reader; the native journal has no column for it.
    #[serde(default)]
    pub(crate) arrival: Option<Timestamp>,
    /// The call reached voicemail (or an IVR / another application) on this entry, and no
    /// person answered it here: the system took the call, not the line (SPEC §1.2, §3.7). Such an
    /// entry has no connect time. Set by the Asterisk reader; the native journal has no column for it.
    #[serde(default)]
    pub(crate) voicemail: bool,
}

// the fields the grouping thread reads of every entry lie in its first bytes
const _: () = assert!(std::mem::offset_of!(Entry, tracker_last) < Entry::GROUPING_BYTES);

impl Entry {
    /// Asks the processor to bring this entry into the cache, ahead of its use: entries are
    /// made on one thread and read on another, and those of a chain handed out were last
    /// read an hour of input before. A hint: it changes nothing but when the memory arrives.
    #[inline]
    pub(crate) fn prefetch(&self) {
        prefetch(self);
    }

    /// How many of its first bytes the grouping reads (the ids, numbers, times, call type and
    /// direction, the logged-on flag; see the struct).
    pub(crate) const GROUPING_BYTES: usize = 192;

    /// [`Entry::prefetch`] of what the grouping reads of it.
    #[inline]
    pub(crate) fn prefetch_for_grouping(&self) {
        prefetch_bytes((self as *const Entry).cast(), Entry::GROUPING_BYTES);
    }

    /// Takes part in chains (SPEC §2.1): incoming phone calls.
    pub(crate) fn is_incoming_call(&self) -> bool {
        self.origin == Origin::Incoming && matches!(self.call_type, 0 | 7)
    }
}

/// Asks the processor to bring `x` (every cache line it lies on) into the cache, ahead of its
/// use. A hint: it changes nothing but when the memory arrives (and nothing on other
/// processors than x86_64).
#[inline]
pub(crate) fn prefetch<T>(x: &T) {
    prefetch_bytes((x as *const T).cast(), size_of::<T>());
}

/// [`prefetch`] of the `len` bytes from `p`.
#[inline]
fn prefetch_bytes(p: *const i8, len: usize) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        // from the start of the line `p` is on to the line the last byte is on
        let line = p.wrapping_sub(p as usize % 64);
        let lines = (p as usize % 64 + len.max(1)).div_ceil(64);
        for i in 0..lines {
            // SAFETY: a prefetch is a hint that reads no memory through the pointer (any
            // address is allowed), and SSE, which it needs, is part of every x86_64
            unsafe { _mm_prefetch::<_MM_HINT_T0>(line.wrapping_add(i * 64)) };
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (p, len);
}

/// A row error: what was wrong, where.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RowError {
    pub(crate) pos: SourcePos,
    pub(crate) message: String,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.pos, self.message)
    }
}

/// What a reader yields for each row.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Item {
    Entry(Box<Entry>),
    /// A row that is valid but is not an entry of anyone (e.g. the system's own Local-channel
    /// fan-out in Asterisk). Counted in the run summary.
    Skipped {
        pos: SourcePos,
        reason: &'static str,
    },
    Error(RowError),
}

/// The input formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    NativeCsv,
    NativeJsonLines,
    AsteriskCdr,
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::NativeCsv => "native CSV",
            Format::NativeJsonLines => "native JSON Lines",
            Format::AsteriskCdr => "Asterisk CDR",
        })
    }
}

/// What every reader needs to turn rows into entries.
#[derive(Debug, Clone)]
pub(crate) struct ReadContext {
    pub(crate) file: FileName,
    pub(crate) time_zone: jiff::tz::TimeZone,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_name_is_interned_once_and_reads_back_as_written() {
        let a = FileName::new("calls/Master 1.csv");
        let b = FileName::new(&String::from("calls/Master 1.csv"));
        assert!(std::ptr::eq(&*a, &*b), "one copy per name");
        assert_ne!(a, FileName::new("calls/Master 2.csv"));
        let pos = SourcePos { file: a, line: 7 };
        assert_eq!(pos.to_string(), "calls/Master 1.csv:7");
        let json = serde_json::to_string(&pos).unwrap();
        assert_eq!(json, r#"{"file":"calls/Master 1.csv","line":7}"#);
        let back: SourcePos = serde_json::from_str(&json).unwrap();
        assert_eq!(back, pos);
        assert!(std::ptr::eq(&*back.file, &*a));
    }
}
