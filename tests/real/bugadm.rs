//! `bugadm/Master.csv`: Asterisk 11, 18 columns, extensions 100..103 (SIP), `Dial(SIP/x,10)`
//! then `VoiceMail` on the same CDR (the row keeps `dstchannel` SIP/101-…, `lastapp`
//! VoiceMail), BUSY, FAILED, IVR.

use crate::call_by_call;

const USERS: &str = "u100,A100,a100@example.com,100\nu101,A101,a101@example.com,101\n\
                     u102,A102,a102@example.com,102\nu103,A103,a103@example.com,103\n";
const CONFIG: &str = "[exceptions]\ninternal = false\ncalled_back = false\n";
/// The tables below are the reader's verdicts under `called_back = false` (with it on, later calls
/// change some verdicts; see the tests that switch it on) and with no age limit.
const NOW: &str = "2015-05-01T00:00:00Z";

const EXPECTED: &str = r#"
2015-03-24 16:22:44 100 - - nobody: short_ring
2015-03-24 16:28:31 100 - - nobody: short_ring
2015-03-24 16:29:58 100 - - nobody: short_ring
2015-03-24 16:32:55 100 @localhost - nobody: short_ring  # lines 18-19: answered by the SIP peer localhost:5020 (no user), 1 s
2015-03-24 16:33:08 100 @localhost - nobody: short_ring
2015-03-26 12:49:35 101 u100 - nobody: answered
2015-03-26 12:50:45 101 - - u100
2015-03-26 12:52:00 101 - - u100
2015-04-07 14:10:49 101 - vm u100  # line 33: lastapp VoiceMail, dstchannel still SIP/100, ANSWERED: voicemail answered, not 100
2015-04-07 14:11:28 100 u101 - nobody: answered
2015-04-07 14:11:42 100 - - u101
2015-04-07 14:11:50 100 - vm u101  # line 36: VoiceMail answered
2015-04-07 14:12:11 100 - vm u101  # line 37: VoiceMail answered
2015-04-14 15:27:36 102 - - u100  # line 74: BUSY with billsec 27: missed
2015-04-14 15:28:59 102 - - u100  # line 75: VoiceMail NO ANSWER: a plain missed call
2015-04-14 15:44:59 102 - - u100  # line 89: the same
2015-04-16 08:22:34 100 - - u102
2015-04-16 08:37:30 102 - - u103  # line 105: the same
"#;

#[test]
fn bugadm_call_by_call() {
    let (out, r) = call_by_call("bugadm/Master.csv", USERS, CONFIG, NOW, EXPECTED);
    // 105 rows: 18 entries, 87 dialplan rows (IVR, Echo, Playback, Hangup) that rang no phone
    assert_eq!((r.count("entries"), r.count("outgoing")), (18, 0));
    assert_eq!(r.skipped(), 87);
    assert_eq!(r.count("calls"), out.chains.len());
    assert_eq!(out.chains.len(), 18);
}

#[test]
fn bugadm_with_the_voicemail_switch_on() {
    // [exceptions] voicemail = true: the three calls voicemail answered (lines 33, 36, 37)
    // notify nobody; the VoiceMail rows that said NO ANSWER (75, 89, 105) are still mailed
    let out = crate::explain_with(
        USERS,
        "[exceptions]\ninternal = false\ncalled_back = false\nvoicemail = true\n",
        NOW,
        &[crate::data("bugadm/Master.csv")],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let by = |why: &str| -> Vec<&str> {
        out.chains
            .iter()
            .filter(|c| c["suppressed_by"] == why)
            .map(|c| c["start"].as_str().unwrap())
            .collect()
    };
    assert_eq!(
        by("voicemail"),
        vec![
            "2015-04-07T14:10:49Z",
            "2015-04-07T14:11:50Z",
            "2015-04-07T14:12:11Z"
        ]
    );
    let mailed = out
        .chains
        .iter()
        .filter(|c| c["suppressed_by"].is_null())
        .count();
    assert_eq!(mailed, 11 - 3);
}
