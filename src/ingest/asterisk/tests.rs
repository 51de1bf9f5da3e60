//! The Asterisk reader as a whole, on rows cut from the real files and on random input.
use std::io::Cursor;
use std::path::{Path, PathBuf};

use jiff::tz::TimeZone;
use proptest::prelude::*;

use super::channel::*;
use super::columns::*;
use super::row::names_another_line;
use super::*;
use crate::ingest::{Entry, Origin, RowError};

fn ctx_in(zone: &str) -> ReadContext {
    ReadContext {
        file: crate::ingest::FileName::new("Master.csv"),
        time_zone: TimeZone::get(zone).unwrap(),
    }
}

fn ctx() -> ReadContext {
    ctx_in("Europe/Berlin")
}

fn read_bytes(bytes: &[u8], columns: Option<ColumnMap>) -> Vec<Item> {
    read(Box::new(Cursor::new(bytes.to_vec())), ctx(), columns).collect()
}

fn read_str(text: &str) -> Vec<Item> {
    read_bytes(text.as_bytes(), None)
}

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn line_of(item: &Item) -> u64 {
    match item {
        Item::Entry(e) => e.pos.line,
        Item::Skipped { pos, .. } => pos.line,
        Item::Error(e) => e.pos.line,
    }
}

fn entry(item: &Item) -> &Entry {
    match item {
        Item::Entry(e) => e,
        other => panic!("expected an entry, got {other:?}"),
    }
}

fn error(item: &Item) -> &RowError {
    match item {
        Item::Error(e) => e,
        other => panic!("expected an error, got {other:?}"),
    }
}

/// Quotes a field the way cdr_csv does.
fn quote(field: &str) -> String {
    format!("\"{}\"", field.replace('"', "\"\""))
}

fn join(fields: &[String]) -> String {
    fields
        .iter()
        .map(|f| quote(f))
        .collect::<Vec<_>>()
        .join(",")
}

/// A 21-column row: Anna Meier (0301234567) rings SIP/201, not answered.
fn fields21() -> Vec<String> {
    [
        "",
        "0301234567",
        "201",
        "from-trunk",
        "\"Anna Meier\" <0301234567>",
        "SIP/trunk-00000001",
        "SIP/201-0000002a",
        "Dial",
        "SIP/201,30",
        "2026-11-26 09:14:03",
        "",
        "2026-11-26 09:14:20",
        "17",
        "0",
        "NO ANSWER",
        "DOCUMENTATION",
        "1764144843.10",
        "",
        "",
        "1764144843.7",
        "12",
    ]
    .map(String::from)
    .to_vec()
}

fn with(mut fields: Vec<String>, changes: &[(usize, &str)]) -> Vec<String> {
    for &(k, v) in changes {
        fields[k] = v.to_string();
    }
    fields
}

fn one(fields: &[String]) -> Item {
    let mut items = read_str(&join(fields));
    assert_eq!(items.len(), 1, "{items:?}");
    items.remove(0)
}

#[test]
fn channel_lines() {
    let cases: &[(&str, Option<&str>)] = &[
        ("SIP/201-0000002a", Some("201")),
        ("PJSIP/201-00000001", Some("201")),
        ("IAX2/201-1234", Some("201")),
        ("DAHDI/1-1", Some("DAHDI/1")),
        ("DAHDI/i1/0301234-5", Some("DAHDI/i1")),
        ("Zap/3-1", Some("Zap/3")),
        ("Local/201@from-queue-00000001;1", Some("201")),
        // FreePBX conventions (Issabel Master.csv)
        ("Local/FMPR-1001@from-internal-00000000;1", Some("1001")),
        ("Local/FMGL-1002@from-internal-00000001;1", Some("1002")),
        ("Local/FMPR-1001@from-internal", Some("1001")),
        ("Local/LC-1001@from-internal-0000000a;1", Some("1001")),
        ("Local/vmu1001@ext-local-00000002;1", Some("1001")),
        ("Local/0301234#@from-internal-00000003;1", Some("0301234")),
        ("Local/FMPR-@from-internal-1;1", Some("FMPR-")),
        ("Local/201@from-queue-00000001;2", Some("201")),
        ("Local/ch1@TimeDelay-00000000;2", Some("ch1")),
        ("Local/201@from-queue", Some("201")),
        ("Local/201@from-queue/n", Some("201")),
        ("local/201@ctx-1;1", Some("201")),
        ("SIP/stadionpbx-00000005", Some("stadionpbx")),
        ("SIP/my-trunk-0000001f", Some("my-trunk")),
        ("SIP/10.0.0.5-00000001", Some("10.0.0.5")),
        ("SIP/trunk/0301234", Some("0301234")),
        ("SIP/200@stadionpbx", Some("200")),
        ("SIP/200@stadionpbx:5060", Some("200")),
        ("SIP/stadionpbx:5060", Some("stadionpbx")),
        ("SIP/[2001:db8::1]-00000001", Some("[2001:db8::1]")),
        ("PJSIP/201/sip:201@10.0.0.5:5060", Some("201")),
        ("IAX2/peer/201@default", Some("201")),
        ("SIP/201-0000002a<ZOMBIE>", Some("201")),
        ("Local/201@ctx-0001;1<MASQ>", Some("201")),
        ("  SIP/201-0000002a  ", Some("201")),
        ("SIP/201", Some("201")),
        ("201", Some("201")),
        ("SIP/Jürgen-0000002a", Some("Jürgen")),
        ("PJSIP/日本-00000001", Some("日本")),
        ("SIP/\u{fffd}\u{fffd}-1", Some("\u{fffd}\u{fffd}")),
        ("", None),
        ("   ", None),
        ("SIP/", None),
        ("SIP/ ", None),
        ("///", None),
        ("/201", None),
        ("SIP/-0000002a", None),
        ("Local/;2", None),
        ("Local/@ctx-1;1", None),
        ("DAHDI/", None),
        ("DAHDI/-1", None),
        ("<ZOMBIE>", None),
    ];
    for (channel, want) in cases {
        assert_eq!(
            channel_line(channel).as_deref(),
            *want,
            "channel_line({channel:?})"
        );
    }
}

#[test]
fn dispositions() {
    // (word, answered, user_offline)
    let cases: &[(&str, bool, Option<bool>)] = &[
        ("ANSWERED", true, None),
        ("answered", true, None),
        ("NO ANSWER", false, None),
        ("BUSY", false, Some(false)),
        ("FAILED", false, Some(true)),
        ("CONGESTION", false, Some(true)),
        ("CHANUNAVAIL", false, Some(true)),
        ("CANCEL", false, None),
        ("WHATEVER", false, None),
    ];
    for (word, answered, offline) in cases {
        let item = one(&with(fields21(), &[(DISPOSITION, word)]));
        let e = entry(&item);
        let want = answered.then(|| ts("2026-11-26T08:14:03Z"));
        assert_eq!(e.connect, want, "{word}");
        assert_eq!(e.user_offline, *offline, "{word}");
    }
    // an answer time is the connect time; a NO ANSWER row's answer column is not used
    let answered = one(&with(
        fields21(),
        &[(DISPOSITION, "ANSWERED"), (ANSWER, "2026-11-26 09:14:09")],
    ));
    assert_eq!(entry(&answered).connect, Some(ts("2026-11-26T08:14:09Z")));
    let not = one(&with(fields21(), &[(ANSWER, "2026-11-26 09:14:09")]));
    assert_eq!(entry(&not).connect, None);
    // empty disposition is an error
    let item = one(&with(fields21(), &[(DISPOSITION, " ")]));
    let e = error(&item);
    assert!(
        e.message.contains("column 15 (disposition) is empty"),
        "{e}"
    );
}

#[test]
fn clid_forms() {
    // (clid, src, contact name)
    let cases: &[(&str, &str, Option<&str>)] = &[
        (
            "\"Anna Meier\" <0301234567>",
            "0301234567",
            Some("Anna Meier"),
        ),
        ("<0301234567>", "0301234567", None),
        ("Anna Meier <0301234567>", "0301234567", Some("Anna Meier")),
        ("Anna Meier", "0301234567", Some("Anna Meier")),
        ("0301234567", "0301234567", None),
        ("\"0301234567\" <0301234567>", "0301234567", None),
        ("\"+49 30 1234567\" <0301234567>", "0301234567", None),
        (
            "\"Anna \"Ani\" Meier\" <0301234567>",
            "0301234567",
            Some("Anna \"Ani\" Meier"),
        ),
        (
            "\"Anna \\\"Ani\\\" Meier\" <0301234567>",
            "0301234567",
            Some("Anna \"Ani\" Meier"),
        ),
        (
            "\"Meier <GmbH>\" <0301234567>",
            "0301234567",
            Some("Meier <GmbH>"),
        ),
        ("\"\" <0301234567>", "0301234567", None),
        ("\"  \" <0301234567>", "0301234567", None),
        ("\"Anna", "", Some("Anna")),
        ("", "0301234567", None),
        (
            "\"M\u{fffd}ller\" <0301234567>",
            "0301234567",
            Some("M\u{fffd}ller"),
        ),
        ("\"0301234567\" <>", "0301234567", None),
        ("\"bob\" <bob>", "0301234567", None),
    ];
    for (clid, src, want) in cases {
        let item = one(&with(fields21(), &[(CLID, clid), (SRC, src)]));
        let e = entry(&item);
        assert_eq!(e.contact_name.as_deref(), *want, "clid {clid:?}");
        assert_eq!(e.phone_number, *src, "clid {clid:?}");
    }
    // the caller is src, trimmed
    let item = one(&with(fields21(), &[(SRC, "  0301234567 ")]));
    assert_eq!(entry(&item).phone_number, "0301234567");
}

#[test]
fn layouts_16_18_21() {
    let f21 = fields21();
    let f18: Vec<String> = f21[..18].to_vec();
    let f16: Vec<String> = f21[..16].to_vec();
    let text = [join(&f16), join(&f18), join(&f21)].join("\n");
    let items = read_str(&text);
    assert_eq!(items.len(), 3);

    let e16 = entry(&items[0]);
    assert_eq!(
        e16.tracker_id.as_deref(),
        Some("SIP/trunk-00000001@2026-11-26 09:14:03")
    );
    assert_eq!(e16.connection_id, "Master.csv:1");
    let e18 = entry(&items[1]);
    assert_eq!(e18.tracker_id.as_deref(), Some("1764144843.10"));
    assert_eq!(e18.connection_id, "1764144843.10@2");
    let e21 = entry(&items[2]);
    assert_eq!(e21.tracker_id.as_deref(), Some("1764144843.7"));
    assert_eq!(e21.connection_id, "1764144843.10/12");

    for (i, e) in [e16, e18, e21].into_iter().enumerate() {
        assert_eq!(e.seq, i as u64);
        assert_eq!(e.pos.line, i as u64 + 1);
        assert_eq!(&*e.pos.file, "Master.csv");
        assert_eq!(e.line_number, "201");
        assert_eq!(e.phone_number, "0301234567");
        assert_eq!(e.contact_name.as_deref(), Some("Anna Meier"));
        assert_eq!(e.start, ts("2026-11-26T08:14:03Z"));
        assert_eq!(e.stop, ts("2026-11-26T08:14:20Z"));
        assert_eq!(e.connect, None);
        assert_eq!(e.origin, Origin::Incoming);
        assert!(!e.internal);
        assert_eq!(e.call_type, 0);
        assert!(!e.tracker_last);
        assert_eq!(e.user_offline, None);
        assert!(e.line_user.is_none() && e.acceptor.is_none());
        assert!(e.redirecting_number.is_none() && e.contact_company.is_none());
    }

    // fallbacks: no linkedid → uniqueid; no sequence → uniqueid@line; nothing → file:line
    let items = read_str(
        &[
            join(&with(fields21(), &[(LINKEDID, "")])),
            join(&with(fields21(), &[(SEQUENCE, "")])),
            join(&with(fields21(), &[(LINKEDID, ""), (UNIQUEID, "")])),
            join(&with(
                fields21(),
                &[(LINKEDID, ""), (UNIQUEID, ""), (CHANNEL, "")],
            )),
        ]
        .join("\n"),
    );
    let e = entry(&items[0]);
    assert_eq!(e.tracker_id.as_deref(), Some("1764144843.10"));
    let e = entry(&items[1]);
    assert_eq!(e.connection_id, "1764144843.10@2");
    assert_eq!(e.tracker_id.as_deref(), Some("1764144843.7"));
    let e = entry(&items[2]);
    assert_eq!(
        e.tracker_id.as_deref(),
        Some("SIP/trunk-00000001@2026-11-26 09:14:03")
    );
    assert_eq!(e.connection_id, "Master.csv:3");
    let e = entry(&items[3]);
    assert_eq!(e.tracker_id, None);
    assert_eq!(e.connection_id, "Master.csv:4");
}

#[test]
fn wrong_column_counts() {
    let f21 = fields21();
    for n in [1, 15, 17, 19, 20, 22, 30] {
        let fields: Vec<String> = (0..n).map(|i| f21[i % 21].clone()).collect();
        let item = one(&fields);
        let e = error(&item);
        assert_eq!(
            e.message,
            format!("expected 16, 18 or 21 columns (cdr_csv), found {n}")
        );
        assert_eq!(e.pos.line, 1);
        assert_eq!(e.to_string(), format!("Master.csv:1: {}", e.message));
    }
    // a forced layout takes only its own width
    let forced = ColumnMap::cdr_csv(21).unwrap();
    let items = read_bytes(join(&f21[..16]).as_bytes(), Some(forced.clone()));
    assert_eq!(
        error(&items[0]).message,
        "expected 21 columns (cdr_csv), found 16"
    );
    let items = read_bytes(join(&f21).as_bytes(), Some(forced));
    assert_eq!(entry(&items[0]).line_number, "201");
    assert_eq!(ColumnMap::cdr_csv(18).map(|m| m.width()), Some(18));
    for n in [0, 15, 17, 19, 20, 22] {
        assert!(ColumnMap::cdr_csv(n).is_none(), "{n}");
    }
}

#[test]
fn cdr_custom_layouts() {
    let names = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let map = ColumnMap::from_names(&names(&[
        "Start",
        " end ",
        "-",
        "src",
        "clid",
        "dstchannel",
        "",
        "disposition",
        "uniqueid",
        "answer",
    ]))
    .unwrap();
    assert_eq!(map.width(), 10);
    let row = join(
        &[
            "2026-11-26 09:14:03",
            "2026-11-26 09:14:20",
            "junk",
            "0301234567",
            "\"Anna Meier\" <0301234567>",
            "PJSIP/202-00000001",
            "",
            "ANSWERED",
            "1764144843.10",
            "2026-11-26 09:14:10",
        ]
        .map(String::from),
    );
    let items = read_bytes(format!("{row}\n{row},\"x\"\n").as_bytes(), Some(map));
    let e = entry(&items[0]);
    assert_eq!(e.line_number, "202");
    assert_eq!(e.tracker_id.as_deref(), Some("1764144843.10"));
    assert_eq!(e.connection_id, "1764144843.10@1");
    assert_eq!(e.connect, Some(ts("2026-11-26T08:14:10Z")));
    assert_eq!(e.contact_name.as_deref(), Some("Anna Meier"));
    assert_eq!(
        error(&items[1]).message,
        "expected 10 columns (the configured cdr_custom layout), found 11"
    );

    let bad = ColumnMap::from_names(&names(&[
        "src",
        "dstchannel",
        "start",
        "end",
        "disposition",
        "caller",
        "x",
    ]))
    .unwrap_err()
    .to_string();
    assert!(bad.contains("\"caller\" (column 6)"), "{bad}");
    assert!(bad.contains("\"x\" (column 7)"), "{bad}");
    assert!(bad.starts_with("unknown CDR column names"), "{bad}");

    let missing = ColumnMap::from_names(&names(&["src", "dstchannel", "answer"]))
        .unwrap_err()
        .to_string();
    assert!(
        missing.contains("lacks start, end, disposition"),
        "{missing}"
    );
    let none = ColumnMap::from_names(&[]).unwrap_err().to_string();
    assert!(
        none.contains("lacks src, dstchannel, start, end, disposition"),
        "{none}"
    );

    let twice = ColumnMap::from_names(&names(&[
        "src",
        "dstchannel",
        "start",
        "end",
        "disposition",
        "SRC",
    ]))
    .unwrap_err()
    .to_string();
    assert!(twice.contains("src (columns 1 and 6)"), "{twice}");
}

#[test]
fn bad_times_are_errors_naming_column_and_value() {
    let cases: &[(usize, &str, &str)] = &[
        (START, "", "column 10 (start) is empty"),
        (
            START,
            "yesterday",
            "column 10 (start): \"yesterday\" is not a timestamp",
        ),
        (END, "", "column 12 (end) is empty"),
        (
            END,
            "2026-13-01 00:00:00",
            "column 12 (end): \"2026-13-01 00:00:00\"",
        ),
    ];
    for (k, value, want) in cases {
        // (an empty end is start + duration; without a duration it is an error)
        let item = one(&with(fields21(), &[(*k, value), (DURATION, "")]));
        let e = error(&item);
        assert!(e.message.starts_with(want), "{value:?}: {e}");
        assert!(e.message.contains("expected"), "{value:?}: {e}");
    }
    // a broken answer time only matters when the row was answered
    let item = one(&with(
        fields21(),
        &[(DISPOSITION, "ANSWERED"), (ANSWER, "soon")],
    ));
    assert!(error(&item)
        .message
        .starts_with("column 11 (answer): \"soon\""));
    let item = one(&with(fields21(), &[(ANSWER, "soon")]));
    assert!(matches!(item, Item::Entry(_)));
    // an empty end with a duration that is not a number
    let item = one(&with(fields21(), &[(END, ""), (DURATION, "long")]));
    assert_eq!(
        error(&item).message,
        "column 12 (end) is empty and column 13 (duration) is \"long\" (expected an end time, or a duration in whole seconds)"
    );
}

#[test]
fn empty_end_is_start_plus_duration() {
    // Grandstream excerpt line 531: an outgoing BUSY row with no End Time, Call Time 29
    let e = entry(&one(&with(fields21(), &[(END, ""), (DURATION, "29")]))).clone();
    assert_eq!(e.start, ts("2026-11-26T08:14:03Z"));
    assert_eq!(e.stop, ts("2026-11-26T08:14:32Z"));
}

#[test]
fn dst_fold_resolves_forward() {
    // 2026-10-25 02:30 happens twice in Berlin; the end lies after the start
    let fields = with(
        fields21(),
        &[
            (START, "2026-10-25 02:59:00"),
            (ANSWER, "2026-10-25 02:00:30"),
            (END, "2026-10-25 02:01:00"),
            (DISPOSITION, "ANSWERED"),
        ],
    );
    let item = one(&fields);
    let e = entry(&item);
    assert_eq!(e.start, ts("2026-10-25T00:59:00Z"));
    assert_eq!(e.connect, Some(ts("2026-10-25T01:00:30Z")));
    assert_eq!(e.stop, ts("2026-10-25T01:01:00Z"));
}

#[test]
fn dialplan_rows_are_skipped() {
    let item = one(&with(fields21(), &[(DSTCHANNEL, ""), (START, "")]));
    match item {
        Item::Skipped { pos, reason } => {
            assert_eq!(pos.line, 1);
            assert_eq!(reason, SKIP_NO_DESTINATION);
        }
        other => panic!("expected skipped, got {other:?}"),
    }
    let item = one(&with(fields21(), &[(DSTCHANNEL, "SIP/")]));
    let e = error(&item);
    assert!(
        e.message
            .starts_with("column 7 (dstchannel) \"SIP/\" names no line"),
        "{e}"
    );
}

#[test]
fn lines_blanks_and_line_breaks() {
    let row = join(&fields21());
    let text = format!("\n{row}\r\n   \r\n\n{row}\n\u{feff}{row}");
    let items = read_str(&format!("\u{feff}{text}"));
    assert_eq!(items.iter().map(line_of).collect::<Vec<_>>(), [2, 5, 6]);
    assert_eq!(entry(&items[0]).seq, 0);
    assert_eq!(entry(&items[1]).seq, 1);
    // a BOM is only a BOM at the start of the file
    assert!(matches!(items[2], Item::Entry(_)));
    assert_eq!(entry(&items[1]).line_number, "201");
    assert!(read_str("").is_empty());
    assert!(read_str("\n\r\n \t\n").is_empty());
}

#[test]
fn a_cut_off_row_does_not_swallow_the_next_rows() {
    let row = join(&fields21());
    let cut = &row[..row.len() - 10]; // ends inside the quoted linkedid
    let text = format!("{row}\n{cut}\n{row}\n{row}\n");
    let items = read_str(&text);
    assert_eq!(items.len(), 4, "{items:?}");
    let e = error(&items[1]);
    assert_eq!(e.pos.line, 2);
    assert!(
        e.message
            .contains("column 20 opens a quoted field that is not closed"),
        "{e}"
    );
    for i in [0, 2, 3] {
        assert_eq!(entry(&items[i]).pos.line, i as u64 + 1);
    }
    // a row whose quote is never closed, at the end of the file, without a line break
    let items = read_str(&format!("{row}\n{cut}"));
    assert_eq!(items.len(), 2);
    assert_eq!(error(&items[1]).pos.line, 2);
    // a quote inside an unquoted field is data, as csv reads it
    let items = read_str("a\"b,c");
    assert!(error(&items[0]).message.contains("found 2"));
}

#[test]
fn overlong_line_is_an_error_and_reading_goes_on() {
    let row = join(&fields21());
    let long = "x".repeat(MAX_LINE_BYTES + 10);
    let items = read_str(&format!("{long}\n{row}\n"));
    assert_eq!(items.len(), 2);
    assert!(error(&items[0])
        .message
        .starts_with("line is longer than 1 MiB"));
    assert_eq!(entry(&items[1]).pos.line, 2);
}

#[test]
fn read_errors_are_reported_once() {
    struct Broken(bool);
    impl std::io::Read for Broken {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if std::mem::replace(&mut self.0, true) {
                Err(std::io::Error::other("disk on fire"))
            } else {
                let row = "\"\"\n";
                buf[..row.len()].copy_from_slice(row.as_bytes());
                Ok(row.len())
            }
        }
    }
    let input = Box::new(std::io::BufReader::new(Broken(false)));
    let items: Vec<Item> = read(input, ctx(), None).collect();
    assert_eq!(items.len(), 2, "{items:?}");
    assert_eq!(error(&items[1]).pos.line, 2);
    assert!(error(&items[1]).message.contains("disk on fire"));
}

#[test]
fn detects_cdr_rows() {
    let record = |line: &str| crate::ingest::csv::first_record(line, b',');
    let f21 = fields21();
    assert!(looks_like_cdr(&record(&join(&f21))));
    assert!(looks_like_cdr(&record(&join(&f21[..18]))));
    assert!(looks_like_cdr(&record(&join(&f21[..16]))));
    assert!(!looks_like_cdr(&record(&join(&f21[..17]))));
    assert!(!looks_like_cdr(&record(&join(&with(
        f21.clone(),
        &[(START, "start")]
    )))));
    assert!(!looks_like_cdr(&record(&join(&with(
        f21.clone(),
        &[(DISPOSITION, "")]
    )))));
    assert!(!looks_like_cdr(&record(&join(&with(
        f21,
        &[(DISPOSITION, "MAYBE")]
    )))));
    let native = "u8sConnectionID,u8sTrackerID,stStartTime,stStopTime,stConnectTime,iOrigin,\
        iInternal,u8sLineNumber,u8sLineUserName,iLineUserOffline,u8sPhoneNumber,\
        u8sRedirectingNumber,u8sContactName,u8sContactCompany,u8sAcceptorCtiServerUserName,\
        TrackerLastCall";
    assert!(!looks_like_cdr(&record(native)));
}

// ---- mapping rules, on rows cut from the real files (SPEC §1.2) ----------------------

/// issabel/Master.csv lines 7-17.
const ISSABEL_FORWARD: &str = r#""","1002","1001","from-internal","""ram"" <1002>","SIP/1002-00000008","SIP/1001-00000009","Dial","SIP/1001,,trIb(func-apply-sipheaders^s^1)","2022-06-17 06:27:09",,"2022-06-17 06:27:14",4,0,"NO ANSWER","DOCUMENTATION","1655447229.55",""
"","1002","1001","from-internal","""ram"" <1002>","SIP/1002-00000008","Local/1001@from-internal-00000000;1","Dial","SIP/1001,,trIb(func-apply-sipheaders^s^1)","2022-06-17 06:27:14",,"2022-06-17 06:27:19",5,0,"BUSY","DOCUMENTATION","1655447229.55",""
"","1002","1001","from-internal","""ram"" <1002>","SIP/1002-00000008","","Busy","20","2022-06-17 06:27:19",,"2022-06-17 06:27:19",0,0,"BUSY","DOCUMENTATION","1655447229.55",""
"","1002","1001","from-internal","""ram"" <1002>","Local/1001@from-internal-00000001;2","SIP/1001-0000000b","Dial","SIP/1001,,trIb(func-apply-sipheaders^s^1)","2022-06-17 06:27:16",,"2022-06-17 06:27:17",1,0,"NO ANSWER","DOCUMENTATION","1655447236.69",""
"","1002","1001","from-internal","""ram"" <1002>","Local/1001@from-internal-00000001;2","Local/1001@from-internal-00000002;1","Dial","SIP/1001,,trIb(func-apply-sipheaders^s^1)","2022-06-17 06:27:17",,"2022-06-17 06:27:19",2,0,"BUSY","DOCUMENTATION","1655447236.69",""
"","1002","1001","from-internal","""ram"" <1002>","Local/1001@from-internal-00000001;2","","Busy","20","2022-06-17 06:27:19",,"2022-06-17 06:27:19",0,0,"BUSY","DOCUMENTATION","1655447236.69",""
"","1002","1001","from-internal","""ram"" <1002>","Local/1001@from-internal-00000000;2","SIP/1001-0000000a","Dial","SIP/1001,,trIb(func-apply-sipheaders^s^1)","2022-06-17 06:27:14",,"2022-06-17 06:27:16",2,0,"NO ANSWER","DOCUMENTATION","1655447234.60",""
"","1002","1001","from-internal","""ram"" <1002>","Local/1001@from-internal-00000000;2","Local/1001@from-internal-00000001;1","Dial","SIP/1001,,trIb(func-apply-sipheaders^s^1)","2022-06-17 06:27:16",,"2022-06-17 06:27:19",3,0,"BUSY","DOCUMENTATION","1655447234.60",""
"","1002","1001","from-internal","""ram"" <1002>","Local/1001@from-internal-00000000;2","","Busy","20","2022-06-17 06:27:19",,"2022-06-17 06:27:19",0,0,"BUSY","DOCUMENTATION","1655447234.60",""
"","1002","1001","from-internal","""ram"" <1002>","Local/1001@from-internal-00000002;2","SIP/1001-0000000c","Dial","SIP/1001,,trIb(func-apply-sipheaders^s^1)","2022-06-17 06:27:17",,"2022-06-17 06:27:19",2,0,"BUSY","DOCUMENTATION","1655447237.78",""
"","1002","1001","from-internal","""ram"" <1002>","Local/1001@from-internal-00000002;2","","Busy","20","2022-06-17 06:27:19",,"2022-06-17 06:27:19",0,0,"BUSY","DOCUMENTATION","1655447237.78",""
"#;

/// issabel/Master.csv lines 434-440.
const ISSABEL_VOICEMAIL: &str = r#""","1001","1001","from-internal","""karthik"" <1001>","Local/1001@from-internal-00000000;2","SIP/1001-00000021","Dial","SIP/1001,15,trIb(func-apply-sipheaders^s^1)","2022-07-19 12:26:41",,"2022-07-19 12:26:42",1,0,"NO ANSWER","DOCUMENTATION","1658233601.223",""
"","1001","1001","from-internal","""karthik"" <1001>","Local/1001@from-internal-00000000;2","Local/1001@from-internal-00000001;1","Dial","SIP/1001,15,trIb(func-apply-sipheaders^s^1)","2022-07-19 12:26:42","2022-07-19 12:26:47","2022-07-19 12:26:47",4,0,"ANSWERED","DOCUMENTATION","1658233601.223",""
"","1001","1001","from-internal","""karthik"" <1001>","SIP/1001-0000001f","SIP/1001-00000020","Dial","SIP/1001,15,trIb(func-apply-sipheaders^s^1)","2022-07-19 12:26:39",,"2022-07-19 12:26:41",2,0,"NO ANSWER","DOCUMENTATION","1658233599.218",""
"","1001","1001","from-internal","""karthik"" <1001>","SIP/1001-0000001f","Local/1001@from-internal-00000000;1","Dial","SIP/1001,15,trIb(func-apply-sipheaders^s^1)","2022-07-19 12:26:41","2022-07-19 12:26:47","2022-07-19 12:26:47",5,0,"ANSWERED","DOCUMENTATION","1658233599.218",""
"","1001","1001","from-internal","""karthik"" <1001>","SIP/1001-0000001f","Local/1001@from-internal-00000001;1","Dial","SIP/1001,15,trIb(func-apply-sipheaders^s^1)","2022-07-19 12:26:47","2022-07-19 12:26:47","2022-07-19 12:28:48",121,121,"ANSWERED","DOCUMENTATION","1658233599.218",""
"","1001","1001","from-internal","""karthik"" <1001>","Local/1001@from-internal-00000001;2","SIP/1001-00000022","Dial","SIP/1001,15,trIb(func-apply-sipheaders^s^1)","2022-07-19 12:26:42",,"2022-07-19 12:26:47",4,0,"BUSY","DOCUMENTATION","1658233602.232",""
"","1001","1001","from-internal","""karthik"" <1001>","Local/1001@from-internal-00000001;2","","VoiceMail","1001@default,b","2022-07-19 12:26:47","2022-07-19 12:26:47","2022-07-19 12:28:48",121,121,"ANSWERED","DOCUMENTATION","1658233602.232",""
"#;

/// issabel/Master.csv lines 57, 58.
const ISSABEL_FOLLOW_ME: &str = r#""","1002","1001","from-internal","""ram"" <1002>","SIP/1002-00000015","Local/FMPR-1001@from-internal-0000000a;1","Dial","Local/FMPR-1001@from-internal&Local/FMGL-1002@from-internal,26,trIM(auto-blkvm)","2022-07-18 07:12:04",,"2022-07-18 07:12:07",3,0,"BUSY","DOCUMENTATION","1658128324.268",""
"","1002","1001","from-internal","""ram"" <1002>","SIP/1002-00000015","Local/FMGL-1002@from-internal-0000000b;1","Dial","Local/FMPR-1001@from-internal&Local/FMGL-1002@from-internal,26,trIM(auto-blkvm)","2022-07-18 07:12:04",,"2022-07-18 07:12:14",9,0,"NO ANSWER","DOCUMENTATION","1658128324.268",""
"#;

/// issabel/Master.csv lines 43-46.
const ISSABEL_CALLEE_LEG: &str = r#""","1001","s","macro-dial-one","""karthik"" <1001>","SIP/1001-0000000a","Local/FMPR-1001@from-internal-00000000;1","ExecIf","0?Set(MASTER_CHANNEL(CONNECTEDLINE(name))=karthik)","2022-07-18 07:10:11","2022-07-18 07:10:11","2022-07-18 07:10:11",0,0,"ANSWERED","DOCUMENTATION","1658128205.79",""
"","1001","1001","from-internal","""karthik"" <1001>","SIP/1001-00000009","Local/FMPR-1001@from-internal-00000000;1","Dial","Local/FMPR-1001@from-internal&Local/FMGL-1002@from-internal,26,trIM(auto-blkvm)","2022-07-18 07:10:05","2022-07-18 07:10:11","2022-07-18 07:10:11",5,0,"ANSWERED","DOCUMENTATION","1658128205.69",""
"","1001","1001","from-internal","""karthik"" <1001>","SIP/1001-00000009","Local/FMGL-1002@from-internal-00000001;1","Dial","Local/FMPR-1001@from-internal&Local/FMGL-1002@from-internal,26,trIM(auto-blkvm)","2022-07-18 07:10:05",,"2022-07-18 07:10:11",5,0,"NO ANSWER","DOCUMENTATION","1658128205.69",""
"","1001","1001","from-internal","""karthik"" <1001>","SIP/1001-00000009","SIP/1001-0000000a","Dial","Local/FMPR-1001@from-internal&Local/FMGL-1002@from-internal,26,trIM(auto-blkvm)","2022-07-18 07:10:11","2022-07-18 07:10:11","2022-07-18 07:10:18",7,7,"ANSWERED","DOCUMENTATION","1658128205.69",""
"#;

/// issabel/Master.csv lines 50-56.
const ISSABEL_ORPHAN_HALVES: &str = r#""","1001","1001","from-internal","""karthik"" <1001>","Local/1001@from-internal-00000004;2","Local/FMPR-1001@from-internal-00000005;1","Dial","Local/FMPR-1001@from-internal&Local/FMGL-1002@from-internal,26,trIM(auto-blkvm)","2022-07-18 07:11:23",,"2022-07-18 07:11:27",3,0,"NO ANSWER","DOCUMENTATION","1658128283.161",""
"","1001","1001","from-internal","""karthik"" <1001>","Local/1001@from-internal-00000004;2","Local/FMGL-1002@from-internal-00000006;1","Dial","Local/FMPR-1001@from-internal&Local/FMGL-1002@from-internal,26,trIM(auto-blkvm)","2022-07-18 07:11:23",,"2022-07-18 07:11:27",3,0,"NO ANSWER","DOCUMENTATION","1658128283.161",""
"","1001","1001","from-internal","""karthik"" <1001>","Local/1001@from-internal-00000007;2","Local/FMPR-1001@from-internal-00000008;1","Dial","Local/FMPR-1001@from-internal&Local/FMGL-1002@from-internal,26,trIM(auto-blkvm)","2022-07-18 07:11:25",,"2022-07-18 07:11:27",1,0,"BUSY","DOCUMENTATION","1658128285.178",""
"","1001","1001","from-internal","""karthik"" <1001>","Local/1001@from-internal-00000007;2","Local/FMGL-1002@from-internal-00000009;1","Dial","Local/FMPR-1001@from-internal&Local/FMGL-1002@from-internal,26,trIM(auto-blkvm)","2022-07-18 07:11:25",,"2022-07-18 07:11:27",1,0,"NO ANSWER","DOCUMENTATION","1658128285.178",""
"","1001","1001","from-internal","""karthik"" <1001>","SIP/1001-0000000f","Local/FMPR-1001@from-internal-00000002;1","Dial","Local/FMPR-1001@from-internal&Local/FMGL-1002@from-internal,26,trIM(auto-blkvm)","2022-07-18 07:11:21",,"2022-07-18 07:11:27",6,0,"NO ANSWER","DOCUMENTATION","1658128281.148",""
"","1001","1001","from-internal","""karthik"" <1001>","SIP/1001-0000000f","Local/FMGL-1002@from-internal-00000003;1","Dial","Local/FMPR-1001@from-internal&Local/FMGL-1002@from-internal,26,trIM(auto-blkvm)","2022-07-18 07:11:21","2022-07-18 07:11:35","2022-07-18 07:11:35",14,0,"ANSWERED","DOCUMENTATION","1658128281.148",""
"","1001","1001","from-internal","""karthik"" <1001>","SIP/1001-0000000f","SIP/1002-00000013","Dial","Local/FMPR-1001@from-internal&Local/FMGL-1002@from-internal,26,trIM(auto-blkvm)","2022-07-18 07:11:35","2022-07-18 07:11:35","2022-07-18 07:11:42",7,7,"ANSWERED","DOCUMENTATION","1658128281.148",""
"#;

/// issabel/Master.csv lines 39, 40.
const ISSABEL_BUSY_VOICEMAIL: &str = r#""","1001","1002","from-internal","""karthik"" <1001>","SIP/1001-00000005","SIP/1002-00000006","Dial","SIP/1002,15,trIb(func-apply-sipheaders^s^1)","2022-07-18 07:06:33",,"2022-07-18 07:06:37",4,0,"BUSY","DOCUMENTATION","1658127993.41",""
"","1001","1002","from-internal","""karthik"" <1001>","SIP/1001-00000005","","VoiceMail","1002@default,b","2022-07-18 07:06:37","2022-07-18 07:06:37","2022-07-18 07:07:06",28,28,"ANSWERED","DOCUMENTATION","1658127993.41",""
"#;

/// bugadm/Master.csv lines 33, 75.
const BUGADM_VOICEMAIL: &str = r#""","101","100","phones","""USER101"" <101>","SIP/101-00000000","SIP/100-00000001","VoiceMail","100@vmphones,b","2015-04-07 14:10:49","2015-04-07 14:10:53","2015-04-07 14:11:11",22,18,"ANSWERED","DOCUMENTATION","1428415849.0",""
"","102","100","phones","""USER102"" <102>","SIP/102-00000003","SIP/100-00000004","VoiceMail","100@vmphones,u","2015-04-14 15:28:59","2015-04-14 15:28:59","2015-04-14 15:29:14",15,15,"NO ANSWER","DOCUMENTATION","1429025339.3",""
"#;

/// grandstream/Master-excerpt.csv lines 1-668.
const GRANDSTREAM: &str = r#"Account Code,Caller Number,Callee Number,Context,CallerID Number,Source Channel,Dest. Channel,Last app.,Last date,Start Time,Answer Time,End Time,Call Time,Talk Time,Disposition,AMA Flags,Unique ID,Log Userfield,Dest Channel Extension,Caller Name,Answered by,Session,Premier Caller,Action Type,Source Trunk Name,Destination Trunk Name
,207,957168028,outbound-route-4,"""XODIM03 A’ZAM O‘G‘LI"" <785033398>",PJSIP/207-00025c9f,PJSIP/trunk_1-00025ca0,Dial,"PJSIP/957168028@trunk_1,,M(record-check,StartMonitor)b(callee-handler^s^1)",2026-07-03 11:01:05,,,29,0,BUSY,DOCUMENTATION,1783058465.623472,Outbound,trunk_1,XODIM03 A’ZAM O‘G‘LI,,1783058465488259-207,207,DIAL,,EASTTELECOM
,918270538,788303594,ext-did-1,""""" <918270538>",PJSIP/trunk_1-00025cf8,,ForkCDR,ae,2026-07-03 11:12:27,2026-07-03 11:12:37,2026-07-03 11:12:37,10,0,NO ANSWER,DOCUMENTATION,1783059147.623744,Inbound,788303594,,,1783059147652704-918270538,918270538,DIAL,EASTTELECOM,
,918270538,7000,ivr-1,""""" <918270538>",PJSIP/trunk_1-00025cf8,,ForkCDR,are,2026-07-03 11:12:27,2026-07-03 11:12:37,2026-07-03 11:13:16,48,38,ANSWERED,DOCUMENTATION,1783059147.623744,Inbound,7000,,7000,1783059147652704-918270538,918270538,IVR[7000],EASTTELECOM,
,918270538,6500,ext-queues,""""" <918270538>",PJSIP/trunk_1-00025cf8,,ForkCDR,are,2026-07-03 11:13:16,2026-07-03 11:13:24,2026-07-03 11:13:24,8,0,ANSWERED,DOCUMENTATION,1783059147.623744,Inbound,6500,,6500,1783059147652704-918270538,918270538,QUEUE[6500],EASTTELECOM,
,918270538,177,ext-did-1,""""" <918270538>",PJSIP/trunk_1-00025cf8,PJSIP/177-00025d1b,Queue,"6500,,,,900,,,",2026-07-03 11:19:30,2026-07-03 11:19:32,2026-07-03 11:19:32,2,0,NO ANSWER,DOCUMENTATION,1783059147.623744,Inbound,177,,,1783059147652704-918270538,918270538,QUEUE[6500],EASTTELECOM,
"#;

/// grandstream/Master-excerpt.csv lines 273-280.
const GRANDSTREAM_RING_ALL: &str = r#",949938238,788303594,ext-did-1,""""" <949938238>",PJSIP/trunk_1-00025b6d,,ForkCDR,ae,2026-07-03 10:00:54,2026-07-03 10:01:04,2026-07-03 10:01:04,10,0,NO ANSWER,DOCUMENTATION,1783054854.622645,Inbound,788303594,,,1783054854435882-949938238,949938238,DIAL,EASTTELECOM,
,949938238,7000,ivr-1,""""" <949938238>",PJSIP/trunk_1-00025b6d,,ForkCDR,are,2026-07-03 10:00:54,2026-07-03 10:01:04,2026-07-03 10:01:30,36,26,ANSWERED,DOCUMENTATION,1783054854.622645,Inbound,7000,,7000,1783054854435882-949938238,949938238,IVR[7000],EASTTELECOM,
,949938238,6500,ext-queues,""""" <949938238>",PJSIP/trunk_1-00025b6d,,ForkCDR,are,2026-07-03 10:01:30,2026-07-03 10:01:39,2026-07-03 10:01:39,8,0,ANSWERED,DOCUMENTATION,1783054854.622645,Inbound,6500,,6500,1783054854435882-949938238,949938238,QUEUE[6500],EASTTELECOM,
,949938238,194,ext-did-1,""""" <949938238>",PJSIP/trunk_1-00025b6d,PJSIP/194-00025b72,Queue,"6500,,,,900,,,",2026-07-03 10:01:39,2026-07-03 10:01:42,2026-07-03 10:06:04,265,262,ANSWERED,DOCUMENTATION,1783054854.622645,Inbound,194,,194,1783054854435882-949938238,949938238,QUEUE[6500],EASTTELECOM,
,949938238,173,from-internal,""""" <949938238>",PJSIP/trunk_1-00025b6d,PJSIP/173-00025b73,Queue,"6500,,,,900,,,",2026-07-03 10:01:39,2026-07-03 10:01:42,2026-07-03 10:01:42,3,0,NO ANSWER,DOCUMENTATION,1783054854.622645,Inbound,173,,,1783054854435882-949938238,949938238,QUEUE[6500],EASTTELECOM,
,949938238,177,from-internal,""""" <949938238>",PJSIP/trunk_1-00025b6d,PJSIP/177-00025b74,Queue,"6500,,,,900,,,",2026-07-03 10:01:39,2026-07-03 10:01:42,2026-07-03 10:01:42,3,0,NO ANSWER,DOCUMENTATION,1783054854.622645,Inbound,177,,,1783054854435882-949938238,949938238,QUEUE[6500],EASTTELECOM,
"#;

/// Reads rows in UTC (the zone of the real files' tests).
fn read_utc(text: &str) -> Vec<Item> {
    let ctx = ReadContext {
        file: crate::ingest::FileName::new("Master.csv"),
        time_zone: TimeZone::UTC,
    };
    read(Box::new(Cursor::new(text.as_bytes().to_vec())), ctx, None).collect()
}

fn entries(items: &[Item]) -> Vec<&Entry> {
    items
        .iter()
        .filter_map(|i| match i {
            Item::Entry(e) => Some(&**e),
            _ => None,
        })
        .collect()
}

fn skipped(items: &[Item]) -> Vec<(u64, &'static str)> {
    items
        .iter()
        .filter_map(|i| match i {
            Item::Skipped { pos, reason } => Some((pos.line, *reason)),
            _ => None,
        })
        .collect()
}

/// (line in the excerpt, line number, answered, voicemail) of every entry.
fn summary(items: &[Item]) -> Vec<(u64, &str, bool, bool)> {
    entries(items)
        .iter()
        .map(|e| {
            (
                e.pos.line,
                e.line_number.as_str(),
                e.connect.is_some(),
                e.voicemail,
            )
        })
        .collect()
}

#[test]
fn local_halves_are_one_call() {
    // Issabel 06-17 06:27:09: 1002 → 1001, forwarded three times through
    // Local/1001@from-internal-0000000{0,1,2}; each ;2 half has its own uniqueid.
    let items = read_utc(ISSABEL_FORWARD);
    assert_eq!(items.len(), 11);
    let es = entries(&items);
    assert_eq!(es.len(), 7); // and 4 Busy rows that rang no phone
    for e in &es {
        assert_eq!(e.tracker_id.as_deref(), Some("1655447229.55"), "{}", e.pos);
        assert_eq!(e.line_number, "1001");
        assert!(e.connect.is_none());
    }
    // the arrival is the first row's start; entries that rang later carry it
    let first = ts("2022-06-17T06:27:09Z");
    assert_eq!(es[0].start, first);
    assert_eq!(es[0].arrival, None);
    assert!(es[1..].iter().all(|e| e.arrival == Some(first)));
    // without the time overlap a reused Local channel name is another call
    let later = ISSABEL_FORWARD
        .lines()
        .skip(3)
        .map(|l| l.replace("2022-06-17", "2022-06-18"))
        .collect::<Vec<_>>()
        .join("\n");
    let items = read_utc(&format!(
        "{}\n{later}",
        ISSABEL_FORWARD
            .lines()
            .take(3)
            .collect::<Vec<_>>()
            .join("\n")
    ));
    let trackers: std::collections::BTreeSet<_> = entries(&items)
        .iter()
        .map(|e| e.tracker_id.clone().unwrap())
        .collect();
    assert!(trackers.len() > 1, "{trackers:?}");
}

#[test]
fn a_local_half_answered_by_voicemail_is_not_answered() {
    // Issabel 07-19 12:26:39 (lines 434-440): NO ANSWER, BUSY, VoiceMail; the ;1 rows say
    // ANSWERED only because voicemail answered the far half.
    let items = read_utc(ISSABEL_VOICEMAIL);
    assert_eq!(
        summary(&items),
        vec![
            (1, "1001", false, true),
            (2, "1001", false, true),
            (3, "1001", false, true),
            (4, "1001", false, true),
            (5, "1001", false, true),
            (6, "1001", false, true),
        ]
    );
    assert_eq!(skipped(&items), vec![(7, SKIP_NO_DESTINATION)]);
    let es = entries(&items);
    assert!(es
        .iter()
        .all(|e| e.tracker_id.as_deref() == Some("1658233599.218")));
    // a voicemail entry stops ringing when voicemail answered (line 5: 12:26:47)
    assert_eq!(es[4].stop, ts("2022-07-19T12:26:47Z"));
}

#[test]
fn busy_then_voicemail_marks_the_mailbox_line() {
    // Issabel lines 39-40: 1002 BUSY, then VoiceMail(1002@default,b) on the caller's channel
    let items = read_utc(ISSABEL_BUSY_VOICEMAIL);
    assert_eq!(summary(&items), vec![(1, "1002", false, true)]);
    assert_eq!(skipped(&items), vec![(2, SKIP_NO_DESTINATION)]);
}

#[test]
fn voicemail_rows_with_the_phone_as_destination() {
    // BugaDM line 33: dstchannel SIP/100, lastapp VoiceMail, ANSWERED: voicemail answered.
    // Line 75: the same with NO ANSWER: a plain missed call, not voicemail.
    let items = read_utc(BUGADM_VOICEMAIL);
    assert_eq!(
        summary(&items),
        vec![(1, "100", false, true), (2, "100", false, false)]
    );
    assert_eq!(entries(&items)[0].stop, ts("2015-04-07T14:10:53Z"));
}

#[test]
fn follow_me_belongs_to_the_extension() {
    // Issabel 07-18 07:12:04: 1002 → 1001 with follow-me: Local/FMPR-1001 (1001's phone)
    // BUSY, Local/FMGL-1002 (the list: 1002, the caller himself) NO ANSWER.
    let items = read_utc(ISSABEL_FOLLOW_ME);
    assert_eq!(summary(&items), vec![(1, "1001", false, false)]);
    assert_eq!(skipped(&items), vec![(2, SKIP_OWN_LINE)]);
}

#[test]
fn a_callee_leg_joins_its_call_and_is_no_entry() {
    // Issabel 07-18 07:10:05: line 1 is the row of SIP/1001-0000000a, the phone line 4 rang
    // (macro-dial-one, its own uniqueid); 1001 answered on it.
    let items = read_utc(ISSABEL_CALLEE_LEG);
    assert_eq!(skipped(&items), vec![(1, SKIP_CALLEE_LEG)]);
    let es = entries(&items);
    assert!(es
        .iter()
        .all(|e| e.tracker_id.as_deref() == Some("1658128205.69")));
    assert_eq!(
        summary(&items),
        vec![
            (2, "1001", true, false),
            (3, "1002", false, false),
            (4, "1001", true, false)
        ]
    );
}

#[test]
fn orphan_local_halves_join_the_call_that_created_them() {
    // Issabel 07-18 07:11:21 (lines 50-56): Local/1001@from-internal-00000004;2 and -07;2
    // were dialled by the FMPR/FMGL halves (-02, -03) of line 54's call, whose own rows
    // Asterisk did not write.
    let items = read_utc(ISSABEL_ORPHAN_HALVES);
    let trackers: std::collections::BTreeSet<_> = entries(&items)
        .iter()
        .map(|e| e.tracker_id.clone().unwrap())
        .collect();
    assert_eq!(
        trackers.into_iter().collect::<Vec<_>>(),
        vec!["1658128281.148".to_string()]
    );
    // 1002 answered through the follow-me list; 1001 (the caller) rang among them
    let answered: Vec<&str> = entries(&items)
        .iter()
        .filter(|e| e.connect.is_some())
        .map(|e| e.line_number.as_str())
        .collect();
    assert_eq!(answered, vec!["1002", "1002"]);
}

#[test]
fn outgoing_cdr_csv_rows() {
    // a user's line dials an outside number through a trunk, answered at 09:14:10
    let dialled = with(
        fields21(),
        &[
            (SRC, "201"),
            (DST, "004930555010"),
            (CHANNEL, "SIP/201-00000001"),
            (DSTCHANNEL, "SIP/trunk-00000002"),
            (ANSWER, "2026-11-26 09:14:10"),
            (DISPOSITION, "ANSWERED"),
        ],
    );
    let e = entry(&one(&dialled)).clone();
    assert_eq!(e.origin, Origin::Outgoing);
    assert_eq!(
        (e.line_number.as_str(), e.phone_number.as_str()),
        ("201", "004930555010")
    );
    assert_eq!(e.connect, Some(ts("2026-11-26T08:14:10Z")));
    // the outbound route put the company's number in src: the source channel's extension
    let e = entry(&one(&with(dialled.clone(), &[(SRC, "0305550000")]))).clone();
    assert_eq!(
        (e.origin, e.line_number.as_str()),
        (Origin::Outgoing, "201")
    );
    // an outside caller to a long DID, and a user calling an extension, are incoming
    let e = entry(&one(&fields21())).clone();
    assert_eq!(e.origin, Origin::Incoming);
    let e = entry(&one(&with(
        dialled,
        &[(DST, "202"), (DSTCHANNEL, "SIP/202-1")],
    )))
    .clone();
    assert_eq!(
        (e.origin, e.line_number.as_str()),
        (Origin::Incoming, "202")
    );
}

#[test]
fn rows_of_a_call_written_far_apart_still_meet_in_a_long_file() {
    // 1,500 calls 10 s apart (more than CHECK_EVERY rows, over four hours): each a BUSY
    // Dial row, and its VoiceMail row written 100 rows (about 17 minutes) later.
    let at = |secs: i64| {
        (ts("2026-11-26T08:00:00Z") + jiff::SignedDuration::from_secs(secs))
            .strftime("%Y-%m-%d %H:%M:%S")
            .to_string()
    };
    let dial = |i: i64| {
        join(&with(
            fields21()[..18].to_vec(),
            &[
                (START, &at(i * 10)),
                (ANSWER, ""),
                (END, &at(i * 10 + 5)),
                (DISPOSITION, "BUSY"),
                (UNIQUEID, &format!("1764144843.{i}")),
            ],
        ))
    };
    let voicemail = |i: i64| {
        join(&with(
            fields21()[..18].to_vec(),
            &[
                (DSTCHANNEL, ""),
                (LASTAPP, "VoiceMail"),
                (LASTDATA, "201@default,b"),
                (START, &at(i * 10 + 5)),
                (ANSWER, &at(i * 10 + 5)),
                (END, &at(i * 10 + 30)),
                (DISPOSITION, "ANSWERED"),
                (UNIQUEID, &format!("1764144843.{i}")),
            ],
        ))
    };
    let mut text = String::new();
    for i in 0..1600 {
        if i < 1500 {
            text.push_str(&dial(i));
            text.push('\n');
        }
        if i >= 100 {
            text.push_str(&voicemail(i - 100));
            text.push('\n');
        }
    }
    let items = read_utc(&text);
    assert_eq!(items.len(), 3000);
    let es = entries(&items);
    assert_eq!(es.len(), 1500);
    assert!(
        es.iter().all(|e| e.voicemail),
        "a call lost its VoiceMail row"
    );
    assert_eq!(skipped(&items).len(), 1500);
}

#[test]
fn grandstream_header_empty_end_outgoing_and_arrival() {
    let items = read_utc(GRANDSTREAM);
    assert_eq!(items.len(), 6);
    assert_eq!(skipped(&items)[0], (1, SKIP_HEADER));
    let es = entries(&items);
    assert_eq!(es.len(), 2);
    // line 531: outgoing BUSY, no End Time: ends at start + Call Time (29 s)
    let out = es[0];
    assert_eq!(out.origin, Origin::Outgoing);
    assert_eq!(
        (out.line_number.as_str(), out.phone_number.as_str()),
        ("207", "957168028")
    );
    assert_eq!(out.stop, ts("2026-07-03T11:01:34Z"));
    assert!(out.connect.is_none());
    // lines 628-668: arrived 11:12:27 (DID, IVR, queue rows that rang no phone); agent 177
    // rang at 11:19:30
    let agent = es[1];
    assert_eq!(agent.origin, Origin::Incoming);
    assert_eq!(agent.line_number, "177");
    assert_eq!(agent.start, ts("2026-07-03T11:19:30Z"));
    assert_eq!(agent.arrival, Some(ts("2026-07-03T11:12:27Z")));
    assert_eq!(agent.tracker_id.as_deref(), Some("1783059147.623744"));
    // a header of another width than the rows: each row is an error naming the header
    let header = GRANDSTREAM.lines().next().unwrap();
    let items = read_utc(&format!(
        "{header},Extra\n{}",
        GRANDSTREAM.lines().nth(1).unwrap()
    ));
    assert_eq!(
        error(&items[1]).message,
        "expected 27 columns (the Grandstream header), found 26"
    );
}

#[test]
fn grandstream_answered_by_names_who_took_the_call() {
    // lines 273-280: ring-all queue; 194 ANSWERED, 173 and 177 NO ANSWER (with the
    // winner's answer time)
    let header = GRANDSTREAM.lines().next().unwrap();
    let items = read_utc(&format!("{header}\n{GRANDSTREAM_RING_ALL}"));
    assert_eq!(
        summary(&items),
        vec![
            (5, "194", true, false),
            (6, "173", false, false),
            (7, "177", false, false)
        ]
    );
    // were the winner's row to say ANSWERED with another agent in "Answered by", it is not
    // this line's answer
    let changed = GRANDSTREAM_RING_ALL.replace(
        ",ANSWERED,DOCUMENTATION,1783054854.622645,Inbound,194,,194,",
        ",ANSWERED,DOCUMENTATION,1783054854.622645,Inbound,194,,173,",
    );
    assert_ne!(changed, GRANDSTREAM_RING_ALL);
    let items = read_utc(&format!("{header}\n{changed}"));
    assert!(entries(&items).iter().all(|e| e.connect.is_none()));
    assert!(names_another_line("173", "194"));
    assert!(names_another_line("Agent <173>", "194"));
    assert!(!names_another_line("194", "194"));
    assert!(!names_another_line("Agent 194", "194"));
    assert!(!names_another_line("", "194"));
}

// ---- the real files -----------------------------------------------------------------

/// `../shared/data` next to the crate (the project), else the shared copy.
fn data_dir() -> Option<PathBuf> {
    let near = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data");
    [near, PathBuf::from("/work/shared/data")]
        .into_iter()
        .find(|d| d.join("asterisk").is_dir())
}

/// Reads a real file the way the program does (through the decoder), or None (printed).
fn read_real(name: &str) -> Option<Vec<Item>> {
    let Some(dir) = data_dir() else {
        println!("skipped: the shared test data (../shared/data/asterisk) is not there");
        return None;
    };
    let path = dir.join("asterisk").join(name);
    let file = std::fs::File::open(&path).unwrap();
    let input = crate::ingest::text::utf8_reader(file, crate::ingest::text::TextEncoding::Auto);
    let ctx = ReadContext {
        file: crate::ingest::FileName::new(name),
        time_zone: TimeZone::UTC,
    };
    Some(read(input, ctx, None).collect())
}

fn at(items: &[Item], line: u64) -> &Item {
    items.iter().find(|i| line_of(i) == line).unwrap()
}

#[test]
fn real_ringgroups_master() {
    let Some(items) = read_real("ringgroups-Master.csv") else {
        return;
    };
    assert_eq!(items.len(), 84);
    assert_eq!(
        items.iter().map(line_of).collect::<Vec<_>>(),
        (1..=84).collect::<Vec<_>>()
    );
    let errors: Vec<&Item> = items
        .iter()
        .filter(|i| matches!(i, Item::Error(_)))
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    let entries: Vec<&Entry> = items
        .iter()
        .filter_map(|i| match i {
            Item::Entry(e) => Some(&**e),
            _ => None,
        })
        .collect();
    let skipped: Vec<u64> = items
        .iter()
        .filter(|i| matches!(i, Item::Skipped { .. }))
        .map(line_of)
        .collect();
    assert_eq!(entries.len(), 77);
    assert_eq!(skipped, [1, 2, 3, 6, 21, 32, 33]);
    for (i, e) in entries.iter().enumerate() {
        assert_eq!(e.seq, e.pos.line - 1, "{i}");
    }

    let count = |line: &str| entries.iter().filter(|e| e.line_number == line).count();
    assert_eq!(count("301"), 31);
    assert_eq!(count("stadionpbx"), 31);
    assert_eq!((count("ch1"), count("ch2"), count("ch3")), (5, 5, 5));
    assert_eq!(entries.iter().filter(|e| e.connect.is_some()).count(), 30);
    let trackers: std::collections::BTreeSet<_> = entries
        .iter()
        .map(|e| e.tracker_id.clone().unwrap())
        .collect();
    assert_eq!(trackers.len(), 30);
    let ids: std::collections::BTreeSet<_> =
        entries.iter().map(|e| e.connection_id.clone()).collect();
    assert_eq!(ids.len(), 77, "connection ids are unique");

    // Dial(SIP/301&SIP/200@stadionpbx): both targets share the chain
    let (a, b) = (entry(at(&items, 4)), entry(at(&items, 5)));
    assert_eq!(a.tracker_id.as_deref(), Some("1706369600.6"));
    assert_eq!(b.tracker_id, a.tracker_id);
    assert_eq!(
        (a.line_number.as_str(), b.line_number.as_str()),
        ("301", "stadionpbx")
    );
    assert_eq!(
        (a.connection_id.as_str(), b.connection_id.as_str()),
        ("1706369600.6/3", "1706369600.6/6")
    );
    // NO ANSWER rows whose answer column is filled (with the start) are not connected
    assert_eq!((a.connect, b.connect), (None, None));
    assert_eq!(a.phone_number, "89000000001");
    assert_eq!(a.contact_name, None);

    // Local/ch1…;2 rings SIP/301: line 301 in the chain of the party-A row's linkedid
    let local2 = entry(at(&items, 7));
    assert_eq!(local2.line_number, "301");
    assert_eq!(local2.tracker_id.as_deref(), Some("1706372196.12"));
    assert_eq!(local2.connection_id, "1706372196.14/10");
    assert_eq!(local2.start, ts("2024-01-27T16:16:36Z"));
    assert_eq!(local2.stop, ts("2024-01-27T16:16:51Z"));
    let party_a = entry(at(&items, 9));
    assert_eq!(party_a.line_number, "ch1");
    assert_eq!(party_a.tracker_id, local2.tracker_id);
    let chain: Vec<u64> = entries
        .iter()
        .filter(|e| e.tracker_id.as_deref() == Some("1706372196.12"))
        .map(|e| e.pos.line)
        .collect();
    assert_eq!(chain, [7, 8, 9, 10, 11, 12, 13]);

    // answered through the ring group: ;2 row, ;1 row and the caller's row after the
    // Local channel was optimised away all name line 301 / ch1 as answered
    for (line, number) in [(22, "301"), (23, "ch1"), (26, "301")] {
        let e = entry(at(&items, line));
        assert_eq!(e.line_number, number, "line {line}");
        assert_eq!(
            e.tracker_id.as_deref(),
            Some("1706407446.50"),
            "line {line}"
        );
        assert_eq!(e.connect, Some(ts("2024-01-28T02:04:12Z")), "line {line}");
    }

    // the second uniqueid style, sequence starting again at 0
    let m = entry(at(&items, 43));
    assert_eq!(m.tracker_id.as_deref(), Some("mainserverdss-1706420300.0"));
    assert_eq!(m.connection_id, "mainserverdss-1706420300.0/0");
    assert_eq!(m.line_number, "301");
    assert_eq!(m.connect, Some(ts("2024-01-28T05:38:24Z")));
    assert_eq!(m.phone_number, "81000000000012");
    let m2 = entry(at(&items, 44));
    assert_eq!(m2.tracker_id, m.tracker_id);
    assert_eq!((m2.line_number.as_str(), m2.connect), ("stadionpbx", None));

    // BUSY: a missed call of a logged-on line
    let busy = entry(at(&items, 83));
    assert_eq!(
        (busy.line_number.as_str(), busy.connect),
        ("stadionpbx", None)
    );
    assert_eq!(busy.user_offline, Some(false));
    assert_eq!(
        entries.iter().filter(|e| e.user_offline.is_some()).count(),
        1
    );

    // names with 0xA5 bytes: replaced, kept; all other names are just the number
    assert_eq!(
        m.contact_name.as_deref(),
        Some("8100000013\u{fffd}\u{fffd}X")
    );
    let named: Vec<u64> = entries
        .iter()
        .filter(|e| e.contact_name.is_some())
        .map(|e| e.pos.line)
        .collect();
    assert_eq!(named, [41, 42, 43, 44, 69, 70, 79, 80]);
    assert!(entries
        .iter()
        .filter_map(|e| e.contact_name.as_deref())
        .all(|n| n.matches('\u{fffd}').count() == 2));
}

#[test]
fn real_testsuite_good() {
    let Some(items) = read_real("testsuite-good.csv") else {
        return;
    };
    assert_eq!(items.len(), 5);
    // every row was answered by the dialplan (Hangup) without a destination channel
    for (i, item) in items.iter().enumerate() {
        match item {
            Item::Skipped { pos, reason } => {
                assert_eq!(pos.line, i as u64 + 1);
                assert_eq!(*reason, SKIP_NO_DESTINATION);
            }
            other => panic!("expected skipped, got {other:?}"),
        }
    }
    // with a destination channel, each disposition maps as specified
    let path = data_dir().unwrap().join("asterisk/testsuite-good.csv");
    let text = std::fs::read_to_string(path).unwrap();
    let patched = text.replace(
        "\"SIP/test-02897fd8\",\"\"",
        "\"SIP/test-02897fd8\",\"SIP/201-00000001\"",
    );
    let items = read_str(&patched);
    let got: Vec<(bool, Option<bool>)> = items
        .iter()
        .map(|i| (entry(i).connect.is_some(), entry(i).user_offline))
        .collect();
    assert_eq!(
        got,
        [
            (true, None),
            (true, None),
            (false, Some(true)),
            (false, None),
            (false, Some(false))
        ]
    );
    assert_eq!(entry(&items[0]).contact_name.as_deref(), Some("Test User"));
    assert_eq!(entry(&items[0]).connection_id, "1231977075.0@1");
    assert_eq!(entry(&items[4]).connection_id, "1231977075.0@5");
}

#[test]
fn real_testsuite_buggy() {
    let Some(items) = read_real("testsuite-buggy.csv") else {
        return;
    };
    assert_eq!(items.len(), 1, "{items:?}");
    let e = error(&items[0]);
    assert_eq!(e.pos.line, 1);
    assert_eq!(&*e.pos.file, "testsuite-buggy.csv");
    assert!(
        e.message
            .contains("column 18 opens a quoted field that is not closed"),
        "{e}"
    );
}

#[test]
fn real_first_rows_are_detected() {
    for name in ["ringgroups-Master.csv", "testsuite-good.csv"] {
        let Some(dir) = data_dir() else {
            println!("skipped: the shared test data is not there");
            return;
        };
        let bytes = std::fs::read(dir.join("asterisk").join(name)).unwrap();
        let record = crate::ingest::csv::first_record(&String::from_utf8_lossy(&bytes), b',');
        assert!(looks_like_cdr(&record), "{name}");
    }
}

// ---- never panics, one item per non-blank line --------------------------------------

/// The 1-based numbers of the lines of `bytes` that are not blank.
fn non_blank_lines(bytes: &[u8]) -> Vec<u64> {
    let mut lines: Vec<&[u8]> = bytes.split(|&b| b == b'\n').collect();
    if lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    lines
        .iter()
        .enumerate()
        .filter(|(i, l)| {
            let text = String::from_utf8_lossy(l);
            let text = if *i == 0 {
                text.trim_start_matches('\u{feff}')
            } else {
                &text
            };
            !text.trim().is_empty()
        })
        .map(|(i, _)| i as u64 + 1)
        .collect()
}

fn csvish_bytes() -> impl Strategy<Value = Vec<u8>> {
    let byte = prop_oneof![
        4 => prop::sample::select(b"\",\n\r ;<>@/-0123456789".to_vec()),
        1 => any::<u8>(),
    ];
    prop::collection::vec(byte, 0..300)
}

proptest! {
    #[test]
    fn arbitrary_bytes_one_item_per_line(bytes in csvish_bytes()) {
        let items = read_bytes(&bytes, None);
        let lines: Vec<u64> = items.iter().map(line_of).collect();
        prop_assert_eq!(lines, non_blank_lines(&bytes));
    }

    #[test]
    fn arbitrary_text_one_item_per_line(text in "(\"|,|\n|\r\n|[ -~]|[^\n]){0,200}") {
        let items = read_str(&text);
        let lines: Vec<u64> = items.iter().map(line_of).collect();
        prop_assert_eq!(lines, non_blank_lines(text.as_bytes()));
    }

    #[test]
    fn rows_with_arbitrary_fields(
        src in "[^\n]{0,20}",
        clid in "[^\n]{0,30}",
        dst in "[^\n]{0,30}",
        broken in "[^\n]{0,12}",
        width in prop::sample::select(vec![16usize, 18, 21]),
    ) {
        let fields = with(fields21(), &[(SRC, &src), (CLID, &clid), (DSTCHANNEL, &dst)]);
        let good = join(&fields[..width]);
        let text = format!("{good}\n{broken}\n{good}\n");
        let items = read_str(&text);
        prop_assert_eq!(items.iter().map(line_of).collect::<Vec<_>>(), non_blank_lines(text.as_bytes()));
        for item in [items.first().unwrap(), items.last().unwrap()] {
            match item {
                Item::Entry(e) => {
                    prop_assert_eq!(&e.phone_number, src.trim());
                    prop_assert_eq!(Some(e.line_number.to_string()), channel_line(&dst));
                }
                Item::Skipped { .. } => prop_assert!(dst.trim().is_empty()),
                Item::Error(e) => {
                    prop_assert!(channel_line(&dst).is_none(), "{}", e);
                    prop_assert!(e.message.contains("names no line"), "{}", e);
                }
            }
        }
    }
}

// ---- the incremental grouping against the batch one ----

fn pick(options: &'static [&'static str]) -> impl Strategy<Value = &'static str> {
    prop::sample::select(options)
}

/// A random CDR row of a small world (few channels, keys and callers, so rows meet), or a
/// broken line now and then; `width` picks the layout.
fn small_cdr_line() -> impl Strategy<Value = String> {
    let fields = (
        (
            pick(&["0301234567", "201", "202", ""]),
            pick(&["201", "202", "0301234567"]),
            pick(&[
                "SIP/trunk-00000001",
                "SIP/trunk-00000002",
                "SIP/201-0000000a",
                "SIP/202-0000000b",
                "Local/201@from-internal-00000001;2",
                "Local/202@from-internal-00000003;2",
                "Local/201@from-internal-00000004;1",
                "Local/FMPR-201@from-internal-00000002;2",
                "",
            ]),
            pick(&[
                "",
                "SIP/201-0000000a",
                "SIP/202-0000000b",
                "SIP/trunk-00000002",
                "Local/201@from-internal-00000001;1",
                "Local/202@from-internal-00000003;1",
                "Local/FMPR-201@from-internal-00000002;1",
                "Local/201@from-internal-00000004;1",
            ]),
            pick(&["Dial", "Dial", "VoiceMail", "Queue"]),
        ),
        (
            0i64..24,
            0i64..120,
            0i64..400,
            pick(&["ANSWERED", "NO ANSWER", "BUSY", "FAILED"]),
            pick(&["100.1", "100.2", "100.3", "100.4", ""]),
            pick(&["", "100.1", "100.2"]),
            prop::sample::select(vec![16usize, 18, 21]),
        ),
    );
    let row = fields.prop_map(
        |((src, dst, channel, dstchannel, app), (slot, ring, talk, disp, uid, linked, width))| {
            let at = |s: i64| {
                (ts("2026-11-26T08:00:00Z") + jiff::SignedDuration::from_secs(s))
                    .strftime("%Y-%m-%d %H:%M:%S")
                    .to_string()
            };
            let start = slot * 400;
            let answered = disp == "ANSWERED";
            let end = start + ring + if answered { talk } else { 0 };
            let fields = with(
                fields21(),
                &[
                    (SRC, src),
                    (DST, dst),
                    (CHANNEL, channel),
                    (DSTCHANNEL, dstchannel),
                    (LASTAPP, app),
                    (LASTDATA, "201@default"),
                    (START, &at(start)),
                    (
                        ANSWER,
                        &if answered {
                            at(start + ring)
                        } else {
                            String::new()
                        },
                    ),
                    (END, &at(end)),
                    (DURATION, &(end - start).to_string()),
                    (DISPOSITION, disp),
                    (UNIQUEID, uid),
                    (LINKEDID, linked),
                ],
            );
            join(&fields[..width])
        },
    );
    prop_oneof![
        12 => row,
        1 => pick(&["\"cut off", "a,b,c", "", "\"\",\"201\""]).prop_map(String::from),
    ]
}

fn read_small(text: &str, check_every: usize, window: i64, batch: bool) -> Vec<Item> {
    let input = Box::new(Cursor::new(text.as_bytes().to_vec()));
    read_with(input, ctx_in("UTC"), check_every, window, batch).collect()
}

proptest! {
    /// Handing out calls as rows come in gives the same items, in the same order, as
    /// regrouping every open row at each hand-out; with one hand-out at the end
    /// (`check_every` beyond the file) that is the batch grouping of all rows at once.
    #[test]
    fn incremental_grouping_is_the_batch_grouping(
        lines in prop::collection::vec(small_cdr_line(), 0..40),
        check_every in prop_oneof![1usize..6, Just(usize::MAX)],
        window in prop::sample::select(vec![300i64, 1200, 3600]),
    ) {
        let text = lines.join("\n");
        let incremental = read_small(&text, check_every, window, false);
        let batch = read_small(&text, check_every, window, true);
        prop_assert_eq!(incremental.len(), non_blank_lines(text.as_bytes()).len());
        prop_assert_eq!(incremental, batch);
    }
}

#[test]
fn an_orphan_half_waits_for_the_call_that_created_it() {
    // the creator (line 1) stops last; the orphan half's own call (line 2) stops early: it
    // may not be handed out before its creator is, however far the file has moved on
    let creator = with(
        fields21(),
        &[
            (DSTCHANNEL, "Local/FMPR-201@from-internal-00000001;1"),
            (UNIQUEID, "1.1"),
            (LINKEDID, ""),
            (END, "2026-11-26 09:30:00"),
        ],
    );
    let orphan = with(
        fields21(),
        &[
            (CHANNEL, "Local/201@from-internal-00000002;2"),
            (UNIQUEID, "1.2"),
            (LINKEDID, ""),
        ],
    );
    let later = with(
        fields21(),
        &[
            (START, "2026-11-26 10:20:00"),
            (END, "2026-11-26 10:20:10"),
            (UNIQUEID, "2.1"),
            (LINKEDID, ""),
        ],
    );
    let text = [join(&orphan), join(&creator), join(&later), join(&later)].join("\n");
    for batch in [false, true] {
        let items = read_small(&text, 1, 3600, batch);
        let ids: Vec<Option<String>> = items
            .iter()
            .map(|i| match i {
                Item::Entry(e) => e.tracker_id.as_deref().map(str::to_string),
                _ => None,
            })
            .collect();
        // one call: the chain key of its earliest row (the orphan's, by line)
        assert_eq!(
            ids[..2],
            [Some("1.2".to_string()), Some("1.2".to_string())],
            "{items:?}"
        );
    }
}

#[test]
fn local_halves_that_lead_to_each_other_cost_their_rows_only() {
    // A damaged or hostile file: 16 layers of 4 Local halves, each ;2 half dialling every half
    // of the next layer, the last layer dialling the first again (a cycle). Followed path by
    // path that is 4^16 walks (the reader hung); each half is looked at once, so it is read at
    // once. The person
    // who answers is deep down (a phone behind the last layer), and that reaches the top.
    const LAYERS: usize = 16;
    const WIDE: usize = 4;
    let half =
        |layer: usize, i: usize, end: u8| format!("Local/L{layer}x{i}@from-internal-0000;{end}");
    let mut rows = vec![with(
        fields21(),
        &[
            (DSTCHANNEL, &half(0, 0, 1)),
            (DISPOSITION, "ANSWERED"),
            (ANSWER, "2026-11-26 09:14:05"),
            (SEQUENCE, "1"),
        ],
    )];
    let mut seq = 2;
    for layer in 0..LAYERS {
        for i in 0..WIDE {
            for j in 0..WIDE {
                let next = half((layer + 1) % LAYERS, j, 1);
                let channel = half(layer, i, 2);
                let seq_text = seq.to_string();
                rows.push(with(
                    fields21(),
                    &[
                        (CHANNEL, &channel),
                        (DSTCHANNEL, &next),
                        (DISPOSITION, "ANSWERED"),
                        (ANSWER, "2026-11-26 09:14:05"),
                        (UNIQUEID, &format!("1764144843.{seq}")),
                        (SEQUENCE, &seq_text),
                    ],
                ));
                seq += 1;
            }
        }
    }
    // the phone that answered, behind a half of the last layer
    rows.push(with(
        fields21(),
        &[
            (CHANNEL, &half(LAYERS - 1, 0, 2)),
            (DSTCHANNEL, "SIP/201-0000002a"),
            (DISPOSITION, "ANSWERED"),
            (ANSWER, "2026-11-26 09:14:06"),
            (UNIQUEID, "1764144843.999"),
            (SEQUENCE, "999"),
        ],
    ));
    let text = rows.iter().map(|r| join(r)).collect::<Vec<_>>().join("\n");
    let items = read_str(&text);
    assert_eq!(items.len(), rows.len());
    // the top row went through halves to a person who answered: it is answered
    assert!(entry(&items[0]).connect.is_some(), "{:?}", items[0]);
}
