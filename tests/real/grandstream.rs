//! `grandstream/Master-excerpt.csv`: the first 700 rows of a Grandstream UCM call centre's CDR
//! export (header row, 26 columns): DID → IVR → ring-all queue 6500 with agents 173, 177, 194;
//! outgoing calls of 203, 207, 241 through trunk_1.

use crate::call_by_call;

const USERS: &str = "u173,Agent 173,a173@example.com,173\nu177,Agent 177,a177@example.com,177\n\
                     u194,Agent 194,a194@example.com,194\nu203,Agent 203,a203@example.com,203\n\
                     u207,Agent 207,a207@example.com,207\nu241,Agent 241,a241@example.com,241\n";
const CONFIG: &str = "[exceptions]\ninternal = false\ncalled_back = false\n";
/// The tables below are the reader's verdicts under `called_back = false` (with it on, later calls
/// change some verdicts; see the tests that switch it on) and with no age limit.
const NOW: &str = "2026-07-04T00:00:00Z";

const EXPECTED: &str = r#"
2026-07-03 08:57:59 +49991217907 u194 - nobody: answered
2026-07-03 08:58:43 +49909406763 u177 - nobody: answered
2026-07-03 08:59:04 +49956948477 u177 - nobody: answered
2026-07-03 09:00:19 +49936429927 u177 - nobody: answered
2026-07-03 09:01:45 +49903850575 u194 - nobody: answered
2026-07-03 09:03:28 +49912486176 u177 - nobody: answered
2026-07-03 09:04:53 +49996372923 u194 - nobody: answered
2026-07-03 09:08:16 +49947991026 u177 - nobody: answered
2026-07-03 09:09:06 +49909406763 u194 - nobody: answered
2026-07-03 09:14:35 111 @118 - nobody: answered
2026-07-03 09:14:04 +49886556399 u177 - nobody: answered
2026-07-03 09:18:56 +49978369356 u194 - nobody: answered
2026-07-03 09:21:54 +49905906606 u177 - nobody: answered
2026-07-03 09:21:57 +49935629668 u173 - nobody: answered
2026-07-03 09:30:08 +49990591870 u173 - nobody: answered
2026-07-03 09:30:24 +49996372923 u194 - nobody: short_ring
2026-07-03 09:31:10 +49916894244 u177 - nobody: answered  # lines 176-180: 177 NO ANSWER 30 s, then 177 again ANSWERED
2026-07-03 09:33:28 +49995358536 u177 - nobody: short_ring
2026-07-03 09:33:35 +49917634315 u173 - nobody: answered
2026-07-03 09:35:36 +49914012846 u194 - nobody: answered
2026-07-03 09:37:54 +49909406763 u173 - nobody: answered
2026-07-03 09:40:05 +49997736341 u194 - nobody: answered
2026-07-03 09:41:20 +49916490292 u177 - nobody: answered
2026-07-03 09:42:22 +49916582879 u194 - nobody: answered
2026-07-03 09:44:36 +49942234948 u194 - nobody: answered
2026-07-03 09:47:33 +49939318459 u177 - nobody: answered
2026-07-03 09:50:12 +49971251494 u173 - nobody: answered
2026-07-03 09:56:37 109 @111 - nobody: answered
2026-07-03 10:00:54 +49949938238 u194 - nobody: answered  # lines 273-280: ring-all: 194 ANSWERED, 173 and 177 NO ANSWER with the winner's answer time
2026-07-03 10:03:29 116 @111 - nobody: answered
2026-07-03 10:05:57 +49883873165 u173 - nobody: answered
2026-07-03 10:07:25 303 @116 - nobody: answered
2026-07-03 10:07:10 +49506875627 u177 - nobody: answered
2026-07-03 10:08:44 +49947952560 u194 - nobody: answered
2026-07-03 10:13:10 +49939680846 u194 - nobody: answered
2026-07-03 10:13:59 +49995603573 u173 - nobody: answered
2026-07-03 10:14:35 +49971251494 u177 - nobody: answered
2026-07-03 10:16:55 +49886197480 u194 - nobody: answered
2026-07-03 10:18:37 +49919469595 u173 - nobody: answered
2026-07-03 10:19:30 +49933621992 u194 - nobody: answered
2026-07-03 10:29:23 +49911941992 u194 - nobody: answered
2026-07-03 10:33:18 +49930594274 u194 - nobody: answered
2026-07-03 10:34:41 +49994839154 u173 - nobody: answered
2026-07-03 10:42:05 +49902535291 u194 - nobody: answered
2026-07-03 10:45:46 +49911454368 u194 - nobody: answered
2026-07-03 10:45:51 +49991786044 u177 - nobody: short_ring
2026-07-03 10:46:15 +49943284795 u173 - nobody: answered
2026-07-03 10:47:12 +49935780931 u173 - nobody: answered
2026-07-03 10:54:23 +49997736341 u173 - nobody: answered
2026-07-03 10:56:03 +49931880353 u194 - nobody: answered
2026-07-03 10:57:29 +49930303265 u194 - nobody: answered
2026-07-03 10:58:47 +49991786044 u173 - nobody: answered
2026-07-03 10:59:59 +49974278088 u177 - nobody: answered
2026-07-03 11:03:47 +49904191511 u194 - nobody: answered
2026-07-03 11:05:48 +49918270538 u173 - nobody: answered
2026-07-03 11:06:11 +49956948477 u177 - nobody: answered
2026-07-03 11:07:52 +49935780931 u173 - nobody: answered
2026-07-03 11:08:25 +49992953598 u194 - nobody: answered
2026-07-03 11:08:44 +49884111039 u177 - nobody: answered
2026-07-03 11:10:12 +49936902638 u173 - nobody: answered
2026-07-03 11:10:01 +49995603573 u194 - nobody: answered
2026-07-03 11:10:36 +49930594274 u177 - nobody: answered
2026-07-03 11:11:06 +49917283908 u194 - nobody: answered
2026-07-03 11:12:01 +49989678920 u194 - nobody: answered
2026-07-03 11:12:27 +49918270538 - - u177  # lines 628-668: arrived 11:12:27, IVR, queue from 11:13:16, agent 177 rang only at 11:19:30 (2 s): start is the arrival
2026-07-03 11:13:11 +49885299164 u173 - nobody: answered
2026-07-03 11:13:18 +49974278088 u177 - nobody: answered
2026-07-03 11:14:09 +49995967831 u177 - nobody: answered
2026-07-03 11:16:04 +49874433405 u173 - nobody: answered
2026-07-03 11:16:16 +49991833632 u194 - nobody: answered
"#;

#[test]
fn grandstream_call_by_call() {
    let (out, r) = call_by_call(
        "grandstream/Master-excerpt.csv",
        USERS,
        CONFIG,
        NOW,
        EXPECTED,
    );
    // 701 lines: the header, 349 IVR / queue / DID rows that rang no phone, 90 rings of an
    // agent or extension, 261 outgoing calls through trunk_1
    assert_eq!((r.count("entries"), r.count("outgoing")), (351, 261));
    assert_eq!(r.skipped(), 1 + 349);
    assert_eq!(r.count("calls"), out.chains.len());
    assert_eq!(out.chains.len(), 70);
}
