//! Timestamps of the journal: RFC 3339 with an offset, or a local `YYYY-MM-DD HH:MM:SS`
//! (also with `T`) read in the configured zone.
//!
//! Local times around a DST change are handled on purpose:
//! - a time in the *gap* (02:30 on the spring-forward day does not exist) is read with the
//!   offset before the gap, i.e. moved forward by the gap's length (what a clock that was not
//!   yet switched would have meant);
//! - a time in the *fold* (02:30 happens twice on the fall-back day) is read as the earlier
//!   instant, unless the caller gives a lower bound (`not_before`) that the earlier instant
//!   would violate, e.g. a stop time that must not lie before its start: then the later one.

use jiff::civil::DateTime;
use jiff::tz::{AmbiguousOffset, TimeZone};
use jiff::Timestamp;

/// Why a timestamp or a zone name could not be read; the texts are the messages users see.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum TimeError {
    #[error("empty timestamp")]
    Empty,
    #[error("{0:?} is not a timestamp (expected RFC 3339 like 2026-11-26T09:14:03+01:00 or local YYYY-MM-DD HH:MM:SS)")]
    NotTimestamp(String),
    /// A local time the zone cannot place.
    #[error("{value:?}: {reason}")]
    Local { value: String, reason: String },
    #[error("unknown time zone {0:?} (expected an IANA name like Europe/Berlin or UTC)")]
    UnknownZone(String),
}

/// Parses a journal timestamp. `not_before` resolves a local time in a DST fold.
pub(crate) fn parse_timestamp(
    s: &str,
    tz: &TimeZone,
    not_before: Option<Timestamp>,
) -> Result<Timestamp, TimeError> {
    let s = s.trim();
    if s.is_empty() {
        return Err(TimeError::Empty);
    }
    if let Some(parsed) = fast(s.as_bytes()) {
        return match parsed {
            (dt, Some(offset)) => offset
                .to_timestamp(dt)
                .map_err(|_| TimeError::NotTimestamp(s.to_string())),
            (dt, None) => local_to_timestamp(dt, tz, not_before).map_err(|e| TimeError::Local {
                value: s.to_string(),
                reason: e.to_string(),
            }),
        };
    }
    let has_offset = {
        // after the date (10 chars) and the time: a Z or a +/- sign means an offset
        let tail = s.get(10..).unwrap_or("");
        tail.ends_with('Z') || tail.ends_with('z') || tail.contains('+') || tail.contains('-')
    };
    let normalised = s.replacen(' ', "T", 1);
    if has_offset {
        return normalised
            .parse::<Timestamp>()
            .map_err(|_| TimeError::NotTimestamp(s.to_string()));
    }
    let dt: DateTime = normalised
        .parse()
        .map_err(|_| TimeError::NotTimestamp(s.to_string()))?;
    local_to_timestamp(dt, tz, not_before).map_err(|e| TimeError::Local {
        value: s.to_string(),
        reason: e.to_string(),
    })
}

/// The common forms read straight from the bytes: `YYYY-MM-DD[ T]HH:MM:SS`, then nothing,
/// `Z`, or `±HH:MM`. None for anything else (the general parser reads it, or says why not).
fn fast(b: &[u8]) -> Option<(DateTime, Option<jiff::tz::Offset>)> {
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b' ' | b'T') {
        return None;
    }
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i32> {
        b[r].iter().try_fold(0i32, |n, &d| {
            d.is_ascii_digit().then(|| n * 10 + i32::from(d - b'0'))
        })
    };
    let dt = DateTime::new(
        i16::try_from(num(0..4)?).ok()?,
        i8::try_from(num(5..7)?).ok()?,
        i8::try_from(num(8..10)?).ok()?,
        i8::try_from(num(11..13)?).ok()?,
        i8::try_from(num(14..16)?).ok()?,
        i8::try_from(num(17..19)?).ok()?,
        0,
    )
    .ok()?;
    let offset = match &b[19..] {
        [] => None,
        [b'Z' | b'z'] => Some(jiff::tz::Offset::UTC),
        [sign @ (b'+' | b'-'), _, _, b':', _, _] => {
            let (h, m) = (num(20..22)?, num(23..25)?);
            if h > 23 || m > 59 {
                return None;
            }
            let secs = (h * 3600 + m * 60) * if *sign == b'-' { -1 } else { 1 };
            Some(jiff::tz::Offset::from_seconds(secs).ok()?)
        }
        _ => return None,
    };
    Some((dt, offset))
}

/// Turns a civil date-time in `tz` into an instant, resolving gaps and folds as documented.
pub(crate) fn local_to_timestamp(
    dt: DateTime,
    tz: &TimeZone,
    not_before: Option<Timestamp>,
) -> Result<Timestamp, jiff::Error> {
    let amb = tz.to_ambiguous_timestamp(dt);
    match amb.offset() {
        AmbiguousOffset::Unambiguous { .. } => amb.compatible(),
        AmbiguousOffset::Gap { .. } => amb.compatible(),
        AmbiguousOffset::Fold { .. } => {
            let earlier = amb.earlier()?;
            match not_before {
                Some(min) if earlier < min => amb.later(),
                _ => Ok(earlier),
            }
        }
    }
}

/// RFC 3339 in the zone's offset at that instant, seconds precision (`Z` for offset zero).
pub(crate) fn rfc3339(ts: Timestamp, tz: &TimeZone) -> String {
    let off = tz.to_offset(ts).seconds();
    let civil = tz.to_datetime(ts);
    let year = civil.year();
    if !(0..=9999).contains(&year) {
        return rfc3339_slow(civil, off);
    }
    // the common case by hand: the formatting machinery costs more than the rest of a verdict
    let mut s = String::with_capacity(25);
    let two = |s: &mut String, n: i32| {
        s.push(char::from(b'0' + (n / 10 % 10) as u8));
        s.push(char::from(b'0' + (n % 10) as u8));
    };
    two(&mut s, i32::from(year) / 100);
    two(&mut s, i32::from(year) % 100);
    s.push('-');
    two(&mut s, i32::from(civil.month()));
    s.push('-');
    two(&mut s, i32::from(civil.day()));
    s.push('T');
    two(&mut s, i32::from(civil.hour()));
    s.push(':');
    two(&mut s, i32::from(civil.minute()));
    s.push(':');
    two(&mut s, i32::from(civil.second()));
    if off == 0 {
        s.push('Z');
    } else {
        let a = off.unsigned_abs();
        s.push(if off < 0 { '-' } else { '+' });
        two(&mut s, (a / 3600) as i32);
        s.push(':');
        two(&mut s, ((a % 3600) / 60) as i32);
    }
    s
}

/// [`rfc3339`] for years outside 0..=9999, through the formatting machinery.
fn rfc3339_slow(civil: jiff::civil::DateTime, secs: i32) -> String {
    let sign = if secs < 0 { '-' } else { '+' };
    let a = secs.unsigned_abs();
    let offset = if secs == 0 {
        "Z".to_string()
    } else {
        format!("{sign}{:02}:{:02}", a / 3600, (a % 3600) / 60)
    };
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{offset}",
        civil.year(),
        civil.month(),
        civil.day(),
        civil.hour(),
        civil.minute(),
        civil.second(),
    )
}

/// Parses a zone name (IANA), with a message that says what was expected.
pub(crate) fn zone(name: &str) -> Result<TimeZone, TimeError> {
    TimeZone::get(name).map_err(|_| TimeError::UnknownZone(name.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn berlin() -> TimeZone {
        zone("Europe/Berlin").unwrap()
    }

    #[test]
    fn forms() {
        let tz = berlin();
        let want: Timestamp = "2026-11-26T08:14:03Z".parse().unwrap();
        for s in [
            "2026-11-26T09:14:03+01:00",
            "2026-11-26T08:14:03Z",
            "2026-11-26 09:14:03+01:00",
            "2026-11-26 09:14:03",
            "2026-11-26T09:14:03",
            " 2026-11-26 09:14:03 ",
        ] {
            assert_eq!(parse_timestamp(s, &tz, None), Ok(want), "{s}");
        }
        for bad in ["", "yesterday", "2026-13-01 00:00:00", "26.11.2026 09:14"] {
            assert!(parse_timestamp(bad, &tz, None).is_err(), "{bad}");
        }
        // the fast path and the general parser agree, on good and bad input alike
        for s in [
            "2026-11-26 09:14:03.5",
            "2026-11-26T09:14:03+0100",
            "2026-11-26T09:14:03-05:30",
            "2026-11-26T09:14:03+24:00",
            "2026-02-30 09:14:03",
            "2026-11-26 25:14:03",
            "2026-11-26 09:14:03Z",
            "+2026-11-26 09:14:03",
        ] {
            let general = match s.replacen(' ', "T", 1).parse::<Timestamp>() {
                Ok(t) => Ok(t),
                Err(_) => s
                    .replacen(' ', "T", 1)
                    .parse::<DateTime>()
                    .map_err(|_| ())
                    .and_then(|dt| local_to_timestamp(dt, &tz, None).map_err(|_| ())),
            };
            assert_eq!(
                parse_timestamp(s, &tz, None).map_err(|_| ()),
                general,
                "{s}"
            );
        }
        assert_eq!(
            parse_timestamp("yesterday", &tz, None).unwrap_err().to_string(),
            "\"yesterday\" is not a timestamp (expected RFC 3339 like 2026-11-26T09:14:03+01:00 or local YYYY-MM-DD HH:MM:SS)"
        );
        assert_eq!(
            zone("Mars/Olympus").unwrap_err().to_string(),
            "unknown time zone \"Mars/Olympus\" (expected an IANA name like Europe/Berlin or UTC)"
        );
    }

    #[test]
    fn dst_gap_moves_forward() {
        // 2026-03-29 02:30 does not exist in Berlin: read with the old offset (+01:00)
        let ts = parse_timestamp("2026-03-29 02:30:00", &berlin(), None).unwrap();
        assert_eq!(ts, "2026-03-29T01:30:00Z".parse::<Timestamp>().unwrap());
    }

    #[test]
    fn dst_fold_earlier_unless_bound() {
        let tz = berlin();
        // 2026-10-25 02:30 happens twice: at 00:30Z (+02:00) and 01:30Z (+01:00)
        let first = parse_timestamp("2026-10-25 02:30:00", &tz, None).unwrap();
        assert_eq!(first, "2026-10-25T00:30:00Z".parse::<Timestamp>().unwrap());
        // a stop that would lie before its start takes the later instant
        let start = parse_timestamp("2026-10-25 02:59:00", &tz, None).unwrap();
        let stop = parse_timestamp("2026-10-25 02:01:00", &tz, Some(start)).unwrap();
        assert_eq!(stop, "2026-10-25T01:01:00Z".parse::<Timestamp>().unwrap());
        assert!(stop > start);
    }

    #[test]
    fn formats_in_zone() {
        let ts: Timestamp = "2026-07-01T10:00:00Z".parse().unwrap();
        assert_eq!(rfc3339(ts, &berlin()), "2026-07-01T12:00:00+02:00");
        assert_eq!(rfc3339(ts, &TimeZone::UTC), "2026-07-01T10:00:00Z");
        let ny = zone("America/New_York").unwrap();
        assert_eq!(rfc3339(ts, &ny), "2026-07-01T06:00:00-04:00");
    }

    proptest::proptest! {
        #[test]
        fn formatting_by_hand_is_the_formatting_machinery(
            secs in -62_135_596_800i64..253_402_300_799, zone in 0usize..5,
        ) {
            let ts = Timestamp::from_second(secs).unwrap();
            let tz = match zone {
                0 => TimeZone::UTC,
                1 => berlin(),
                2 => super::zone("America/St_Johns").unwrap(),
                3 => super::zone("Asia/Kolkata").unwrap(),
                _ => TimeZone::fixed(jiff::tz::Offset::from_seconds(-3 * 3600 - 1800 - 17).unwrap()),
            };
            let slow = rfc3339_slow(tz.to_datetime(ts), tz.to_offset(ts).seconds());
            proptest::prop_assert_eq!(rfc3339(ts, &tz), slow);
        }
    }
}
