//! `issabel/Master.csv`: an Issabel (FreePBX 2.x dialplan) test system, 18 columns, no
//! `linkedid`; extensions 1001 (karthik) and 1002 (ram) call each other. Every call is
//! internal, so the `internal` exception is switched off to see the verdicts.

use crate::call_by_call;

const USERS: &str = "u1001,Karthik,k@example.com,1001\nu1002,Ram,r@example.com,1002\n";
const CONFIG: &str = "[exceptions]\ninternal = false\ncalled_back = false\n";
/// The tables below are the reader's verdicts under `called_back = false` (with it on, later calls
/// change some verdicts; see the tests that switch it on) and with no age limit.
const NOW: &str = "2022-11-01T00:00:00Z";

/// Written from the rows, call by call: arrival, caller, answered by, went to voicemail,
/// who is told. (The Issabel rows this follows are given for the calls that are not plain.)
const EXPECTED: &str = r#"
2022-06-17 04:15:03 1001 u1002 - nobody: answered
2022-06-17 04:16:55 1002 - - nobody: short_ring
2022-06-17 04:17:02 1002 - - u1001
2022-06-17 06:27:09 1002 - - u1001  # lines 7-17: forwarded through Local/1001@from-internal-0…2 ;1/;2 — one call, 1001 told once
2022-06-17 06:27:27 1001 - - u1002
2022-06-17 06:27:49 1002 u1001 - nobody: answered
2022-06-20 10:08:18 1002 - - nobody: short_ring
2022-06-20 10:08:53 1002 - - u1001  # lines 25-31: three Local hops, one call
2022-06-20 11:20:00 1001 u1002 - nobody: answered
2022-06-21 05:31:14 1002 u1001 - nobody: answered
2022-07-08 05:20:25 1001 u1002 - nobody: answered
2022-07-18 06:36:37 1001 u1002 - nobody: answered
2022-07-18 07:06:33 1001 - vm u1002  # lines 39-40: 1002 BUSY, then VoiceMail 1002@default (no dstchannel)
2022-07-18 07:07:43 1002 - vm nobody: short_ring
2022-07-18 07:10:05 1001 u1001 - nobody: answered  # lines 43-46: follow-me, 1001 answered on his phone (row 43: callee leg)
2022-07-18 07:10:24 1001 u1002 - nobody: answered
2022-07-18 07:10:55 1002 - vm nobody: short_ring
2022-07-18 07:11:21 1001 u1002 - nobody: answered  # lines 50-56: follow-me, orphan Local/1001@…-04;2 and -07;2 halves join; FMGL-1002 answered
2022-07-18 07:12:04 1002 - - u1001  # line 57-58: follow-me FMPR-1001 BUSY, FMGL-1002 is the caller (skipped): tell 1001
2022-07-18 07:13:20 1001 u1002 - nobody: answered
2022-07-18 07:13:48 1001 - - u1002
2022-07-18 07:14:20 1002 - - nobody: short_ring
2022-07-18 07:14:36 1002 - - u1001  # lines 68-69: follow-me, tell 1001
2022-07-18 07:15:06 1001 u1002 - nobody: answered
2022-07-18 07:15:26 1001 - - u1002
2022-07-18 07:15:58 1001 u1001 - nobody: answered  # lines 75-78: follow-me answered by 1001
2022-07-18 07:16:11 1001 u1002 - nobody: answered
2022-07-18 07:16:27 1001 - - u1002
2022-07-18 07:17:37 1001 u1002 - nobody: answered
2022-07-18 07:17:57 1001 - - u1002
2022-07-18 07:20:07 1001 u1002 - nobody: answered
2022-07-18 07:20:17 1001 u1002 - nobody: answered
2022-07-18 07:23:42 1001 u1002 - nobody: answered
2022-07-18 07:24:28 1001 - - u1002
2022-07-18 07:25:13 1002 - - u1001  # lines 111-112: follow-me NO ANSWER (answer time on NO ANSWER rows is not an answer): tell 1001
2022-07-18 07:25:44 1002 - - u1001  # lines 113-114: follow-me NO ANSWER: tell 1001
2022-07-18 07:26:15 1002 u1001 - nobody: answered  # lines 115-117: FMPR ;1 answers at once, 1001 answered 11 s later (row 117)
2022-07-18 07:26:43 1002 u1001 - nobody: answered  # lines 118-123: follow-me BUSY, then from-did-direct FMPR answered by 1001 (row 118: callee leg)
2022-07-18 07:30:05 1001 u1002 - nobody: answered
2022-07-18 07:30:28 1001 - - u1002
2022-07-18 07:31:08 1002 u1001 - nobody: short_ring
2022-07-18 07:36:33 1002 u1001 - nobody: short_ring
2022-07-18 07:37:01 1002 - - u1001
2022-07-18 07:37:57 1002 - - u1001
2022-07-18 07:38:13 1001 u1002 - nobody: answered
2022-07-18 07:38:27 1001 u1002 - nobody: answered
2022-07-18 07:38:46 1001 - - u1002
2022-07-18 07:44:13 1001 u1002 - nobody: answered
2022-07-18 07:44:37 1001 - - u1002
2022-07-18 07:45:17 1002 u1001 - nobody: short_ring
2022-07-18 07:45:42 1002 - - u1001
2022-07-18 07:46:16 1001 - - u1002
2022-07-18 07:46:32 1001 - - u1002
2022-07-18 07:48:26 1001 u1002 - nobody: short_ring
2022-07-18 07:48:57 1001 - - u1002
2022-07-18 07:49:11 1001 - - u1002
2022-07-18 07:49:57 1002 - - u1001
2022-07-18 07:52:02 1001 u1002 - nobody: short_ring
2022-07-18 07:52:29 1001 - - u1002
2022-07-18 07:54:17 1001 u1002 - nobody: answered
2022-07-18 07:54:40 1001 - vm u1002
2022-07-18 07:55:58 1001 u1002 - nobody: answered
2022-07-18 07:56:10 1001 u1002 - nobody: answered
2022-07-18 07:56:18 1001 - vm u1002
2022-07-18 07:56:38 1002 u1001 - nobody: answered
2022-07-18 07:57:03 1002 - vm u1001
2022-07-18 07:57:30 1002 - vm u1001
2022-07-18 08:00:11 1001 u1002 - nobody: answered
2022-07-18 08:00:26 1001 - vm u1002
2022-07-18 08:01:25 1002 u1001 - nobody: answered
2022-07-18 08:05:20 1001 u1002 - nobody: answered
2022-07-18 08:05:32 1001 - vm u1002
2022-07-18 08:06:09 1002 u1001 - nobody: answered
2022-07-18 08:06:36 1002 - vm u1001
2022-07-18 08:07:32 1001 u1002 - nobody: answered
2022-07-18 08:09:47 1001 - vm u1002
2022-07-18 08:10:26 1001 u1002 - nobody: answered
2022-07-18 08:10:40 1001 - vm u1002
2022-07-18 08:14:04 1001 u1002 - nobody: answered
2022-07-18 08:14:17 1001 - vm u1002
2022-07-18 08:14:29 1001 - - u1002
2022-07-18 08:14:38 1002 - - u1001
2022-07-18 08:14:48 1002 u1001 - nobody: answered
2022-07-18 08:14:57 1002 - vm u1001
2022-07-18 08:16:32 1001 u1002 - nobody: answered
2022-07-18 08:16:49 1001 u1002 - nobody: answered
2022-07-18 08:16:59 1001 - vm u1002
2022-07-18 08:17:27 1002 u1001 - nobody: answered
2022-07-18 08:17:43 1002 - - u1001
2022-07-18 08:18:51 1001 - vm u1002
2022-07-18 08:19:15 1001 u1002 - nobody: answered
2022-07-18 08:19:24 1002 u1001 - nobody: short_ring
2022-07-18 08:19:54 1002 - - u1001
2022-07-18 08:21:20 1002 - - u1001
2022-07-18 08:24:01 1002 u1001 - nobody: short_ring
2022-07-18 08:24:24 1002 - - u1001
2022-07-18 08:25:07 1002 - - u1001
2022-07-18 08:27:39 1002 u1001 - nobody: short_ring
2022-07-18 08:27:58 1002 - - u1001
2022-07-18 08:31:54 1002 u1001 - nobody: short_ring
2022-07-18 08:32:22 1002 - - u1001
2022-07-18 08:35:43 1002 - - u1001
2022-07-18 09:10:45 1002 u1001 - nobody: short_ring
2022-07-18 09:11:39 1002 - - u1001
2022-07-18 09:13:45 1001 u1002 - nobody: answered
2022-07-18 09:14:22 1001 - - u1002
2022-07-18 09:14:41 1002 - - u1001
2022-07-18 09:18:33 1002 - - u1001
2022-07-18 09:18:55 1001 u1002 - nobody: short_ring
2022-07-18 09:31:24 1001 u1001 - nobody: short_ring
2022-07-18 09:31:42 1001 - - u1002
2022-07-18 09:32:34 1001 u1002 - nobody: short_ring
2022-07-18 09:33:08 1001 u1002 - nobody: short_ring
2022-07-18 09:33:24 1001 - - u1002
2022-07-18 09:34:00 1002 - - u1001
2022-07-18 09:35:51 1002 - - u1001
2022-07-18 09:38:01 1002 - - u1001
2022-07-18 10:18:39 1001 - - u1002
2022-07-18 10:47:03 1001 u1002 - nobody: short_ring
2022-07-18 10:48:31 1001 u1002 - nobody: short_ring
2022-07-18 10:52:37 1002 u1001 - nobody: short_ring
2022-07-18 11:42:59 1002 u1001 - nobody: short_ring
2022-07-18 11:43:32 1002 - - u1001  # lines 300-310: three Local hops, then queue 500 rang nobody: one call
2022-07-18 11:45:19 1002 - - u1001
2022-07-18 11:45:33 1002 - - u1001
2022-07-18 11:46:03 1002 u1001 - nobody: short_ring
2022-07-18 11:47:28 1001 - - u1002
2022-07-18 11:48:03 1001 - - u1002
2022-07-18 11:54:29 1002 - - u1001
2022-07-18 12:30:58 1002 - - u1001
2022-07-19 04:24:17 1002 - - u1001
2022-07-19 04:26:08 1002 u1001 - nobody: short_ring
2022-07-19 04:26:40 1002 - - u1001
2022-07-19 04:27:15 1002 - - u1001  # lines 341-352: three Local hops, then queue 500: one call
2022-07-19 04:27:46 1001 - - u1002
2022-07-19 04:28:23 1001 - - u1002
2022-07-19 05:57:07 1002 u1001 - nobody: short_ring
2022-07-19 06:05:08 1001 u1002 - nobody: short_ring
2022-07-19 06:05:48 1002 u1001 - nobody: short_ring
2022-07-19 06:06:58 1002 - - u1001
2022-07-19 06:07:59 1002 - - u1001
2022-07-19 06:45:58 1002 - - u1001
2022-07-19 06:46:35 1002 - - u1001
2022-07-19 06:48:27 1001 u1002 - nobody: short_ring
2022-07-19 06:55:33 1001 - - u1002
2022-07-19 06:56:28 1002 - - u1001
2022-07-19 06:57:28 1002 - - u1001
2022-07-19 07:20:16 1002 u1001 - nobody: short_ring
2022-07-19 07:20:33 1002 - - u1001
2022-07-19 11:12:05 1001 u1002 - nobody: short_ring
2022-07-19 11:12:51 1002 - - u1001
2022-07-19 11:58:54 1002 - - u1001
2022-07-19 12:07:18 1002 u1001 - nobody: short_ring
2022-07-19 12:07:42 1001 u1002 - nobody: short_ring
2022-07-19 12:08:02 1001 - - u1002
2022-07-19 12:08:18 1002 - - u1001
2022-07-19 12:09:54 1001 - vm u1002
2022-07-19 12:10:12 1002 - vm u1001
2022-07-19 12:17:04 1001 - vm u1001
2022-07-19 12:19:38 1002 u1001 - nobody: short_ring
2022-07-19 12:19:59 1002 - vm u1001
2022-07-19 12:21:03 1001 - vm u1001
2022-07-19 12:21:11 1001 - vm u1002
2022-07-19 12:26:39 1001 - vm u1001  # lines 434-440: 1001 NO ANSWER, BUSY, the ;1 halves say ANSWERED because VoiceMail answered the far half
2022-07-19 12:29:02 1001 - - u1002
2022-07-19 12:29:23 1002 - - u1001
2022-07-19 12:29:48 1002 - - u1001
2022-07-19 12:31:30 1001 - - u1001
2022-07-19 12:35:03 1001 u1001 - nobody: short_ring
2022-07-19 12:37:20 1001 u1002 - nobody: short_ring
2022-07-19 12:38:12 1002 - - u1001
2022-07-20 04:21:56 1002 - - u1001
2022-07-20 04:23:23 1001 u1001 - nobody: short_ring
2022-07-20 04:42:28 1002 u1001 - nobody: short_ring
2022-07-20 04:42:54 1001 - - u1001
2022-07-20 04:43:22 1001 - - u1002
2022-07-20 04:44:01 1002 - - u1001
2022-07-20 04:45:03 1001 u1001 - nobody: short_ring
2022-07-20 04:45:25 1002 - vm u1001
2022-07-20 05:06:59 1002 u1001 - nobody: short_ring
2022-07-20 05:07:30 1002 - vm u1001
2022-07-20 05:08:07 1001 - vm u1001
2022-07-20 07:27:40 1001 - vm u1001
2022-07-20 11:05:00 1001 - vm u1001
2022-07-20 11:08:08 1001 - vm u1001
2022-07-20 11:08:26 1002 - vm u1001
2022-07-20 12:12:45 1001 - vm u1002
2022-07-26 05:44:55 1001 u1001 - nobody: short_ring
2022-07-26 11:44:08 1001 u1001 - nobody: short_ring
2022-07-26 11:45:03 1002 u1001 - nobody: short_ring
2022-07-27 07:12:56 1002 - - u1001
2022-09-12 06:47:30 1000 @1000 - nobody: answered
"#;

#[test]
fn issabel_call_by_call() {
    let (out, r) = call_by_call("issabel/Master.csv", USERS, CONFIG, NOW, EXPECTED);
    // 736 rows: 381 entries; 339 dialplan rows that rang no phone, 13 rings of the caller's own
    // line in his follow-me list / ring group, 3 callee legs (macro-dial-one rows)
    assert_eq!((r.count("entries"), r.count("outgoing")), (381, 0));
    assert_eq!(r.skipped(), 339 + 13 + 3, "{}", out.stderr);
    assert_eq!(r.count("calls"), out.chains.len());
    assert_eq!(out.chains.len(), 192);
}

#[test]
fn issabel_with_the_default_internal_exception() {
    // every caller is 1001 or 1002, lines of the users file: nobody is told
    let out = crate::explain_with(USERS, "", NOW, &[crate::data("issabel/Master.csv")]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.chains.len(), 192);
    let notified = out
        .chains
        .iter()
        .filter(|c| c["suppressed_by"].is_null())
        .count();
    assert_eq!(notified, 0);
    // the calls that were missed say so first: internal
    let forwarded = out
        .chains
        .iter()
        .find(|c| c["start"] == "2022-06-17T06:27:09Z")
        .unwrap();
    assert_eq!(forwarded["suppressed_by"], "internal");
}

#[test]
fn issabel_with_called_back_on() {
    // called_back (default on): 1002's forwarded call at 06:27:09 that 1001 missed was
    // returned when 1002 called again at 06:27:49 and 1001 answered (line 20); the last missed
    // call of the file (07-27 07:12:56) was never returned and is still mailed.
    let out = crate::explain_with(
        USERS,
        "[exceptions]\ninternal = false\n",
        NOW,
        &[crate::data("issabel/Master.csv")],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let at = |start: &str| {
        out.chains
            .iter()
            .find(|c| c["start"] == start)
            .unwrap_or_else(|| panic!("no chain at {start}"))
    };
    assert_eq!(at("2022-06-17T06:27:09Z")["suppressed_by"], "called_back");
    assert_eq!(
        at("2022-07-27T07:12:56Z")["suppressed_by"],
        serde_json::Value::Null
    );
    assert_eq!(at("2022-07-27T07:12:56Z")["recipients"][0]["user"], "u1001");
}
