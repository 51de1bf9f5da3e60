//! The mails: golden files of the samples (clock pinned), MIME parsed back, hostile journal
//! data kept inert in headers, HTML, links and vCards, and templates that try to escape.

mod common;

use common::*;
use mail_parser::{MessageParser, MimeHeaders};
use std::path::{Path, PathBuf};

const NOW: &str = "2026-11-26 12:47:00";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn samples_run(args: &[&str]) -> std::process::Output {
    std::process::Command::new(bin())
        .arg("run")
        .arg("--config")
        .arg(root().join("samples/unanswered.toml"))
        .args(["--now", NOW])
        .args(args)
        .arg(root().join("samples/journal.csv"))
        .output()
        .unwrap()
}

#[test]
fn golden_html_and_text_of_the_samples() {
    let dir = tempfile::tempdir().unwrap();
    let out = samples_run(&["--preview", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let golden = root().join("tests/golden");
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names.len(), 10, "{names:?}");
    let mut diffs = Vec::new();
    for n in &names {
        let got = std::fs::read_to_string(dir.path().join(n)).unwrap();
        golden_file(&golden.join(n), &got, &mut diffs);
    }
    assert!(diffs.is_empty(), "{}", diffs.join("\n"));
}

/// Per-call mails of the samples (with `even_if_answered_elsewhere`): a card each. The first
/// mail of anna (a known caller, card attached), of finn (New York: times carry EST) and an
/// answered-elsewhere one are kept as golden files.
#[test]
fn golden_per_call_mails_of_the_samples() {
    let dir = tempfile::tempdir().unwrap();
    let samples = root().join("samples");
    let config = std::fs::read_to_string(samples.join("unanswered.toml"))
        .unwrap()
        .replace("mode = \"digest\"", "mode = \"per-call\"")
        .replace(
            "even_if_answered_elsewhere = false",
            "even_if_answered_elsewhere = true",
        );
    let config = ["users.csv", "contacts.csv", "contacts.vcf", "logons.csv"]
        .iter()
        .fold(config, |c, f| {
            c.replace(
                &format!("\"{f}\""),
                &format!("{:?}", samples.join(f).display().to_string()),
            )
        })
        .replace("\"unanswered.db\"", "\"state.db\"");
    std::fs::write(dir.path().join("per-call.toml"), config).unwrap();
    let out_dir = dir.path().join("preview");
    let out = std::process::Command::new(bin())
        .arg("run")
        .arg("--config")
        .arg(dir.path().join("per-call.toml"))
        .args(["--now", NOW, "--preview"])
        .arg(&out_dir)
        .arg(samples.join("journal.csv"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let golden = root().join("tests/golden/per-call");
    let answered = std::fs::read_dir(&out_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".html"))
        .filter(|n| {
            std::fs::read_to_string(out_dir.join(n))
                .unwrap()
                .contains("angenommen von Bert Meyer")
        })
        .min()
        .expect("an answered-elsewhere mail");
    let answered = answered.trim_end_matches(".html").to_string();
    let mut diffs = Vec::new();
    for stem in ["anna", "finn", answered.as_str()] {
        for ext in ["html", "txt"] {
            let n = format!("{stem}.{ext}");
            let got = std::fs::read_to_string(out_dir.join(&n)).unwrap();
            let keep = if stem == answered {
                format!("answered.{ext}")
            } else {
                n
            };
            golden_file(&golden.join(&keep), &got, &mut diffs);
        }
    }
    assert!(diffs.is_empty(), "{}", diffs.join("\n"));
}

/// The mail of `msgs` that goes to `to`, parsed.
fn mail_to<'a>(msgs: &'a [String], to: &str) -> mail_parser::Message<'a> {
    let raw = msgs.iter().find(|m| m.contains(to)).unwrap();
    MessageParser::default().parse(raw.as_bytes()).unwrap()
}

/// The first address of a From/Reply-To/Sender header.
fn address<'a>(h: Option<&'a mail_parser::Address<'a>>) -> Option<&'a str> {
    h?.first()?.address()
}

/// Compares (or, with UPDATE_EXPECT, writes) one golden file; a difference is pushed.
fn golden_file(path: &Path, got: &str, diffs: &mut Vec<String>) {
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, got).unwrap();
    } else if std::fs::read_to_string(path).unwrap_or_default() != got {
        diffs.push(format!(
            "{} differs (UPDATE_EXPECT=1 to accept)",
            path.strip_prefix(root()).unwrap_or(path).display()
        ));
    }
}

fn mbox_messages(mbox: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for line in mbox.split_inclusive('\n') {
        if line.starts_with("From unanswered@localhost ") {
            out.push(String::new());
            continue;
        }
        let line = line
            .strip_prefix('>')
            .filter(|l| l.trim_start_matches('>').starts_with("From "))
            .unwrap_or(line);
        out.last_mut().unwrap().push_str(line);
    }
    out
}

#[test]
fn mime_structure_headers_and_attachment() {
    let out = samples_run(&["--dry-run"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let msgs = mbox_messages(&text(&out.stdout));
    assert_eq!(msgs.len(), 5);
    let anna = msgs
        .iter()
        .find(|m| m.contains("anna.schmidt@example.com"))
        .unwrap();
    let m = MessageParser::default().parse(anna.as_bytes()).unwrap();
    assert_eq!(
        m.subject(),
        Some("5 verpasste Anrufe (Max Mustermann, Frau Müller, …)")
    );
    assert_eq!(
        m.from().unwrap().first().unwrap().address(),
        Some("pbx@example.com")
    );
    assert_eq!(
        m.to().unwrap().first().unwrap().name(),
        Some("Anna Schmidt")
    );
    assert_eq!(
        m.header_raw("Auto-Submitted").map(str::trim),
        Some("auto-generated")
    );
    // Exchange and Outlook ignore Auto-Submitted
    assert_eq!(
        m.header_raw("X-Auto-Response-Suppress").map(str::trim),
        Some("All")
    );
    assert_eq!(m.header_raw("Content-Language").map(str::trim), Some("de"));
    assert!(m.message_id().unwrap().ends_with(".unanswered@example.com"));
    assert_eq!(m.date().unwrap().to_rfc3339(), "2026-11-26T12:47:00+01:00");
    // in the configured zone's offset
    assert_eq!(
        m.header_raw("Date").map(str::trim),
        Some("Thu, 26 Nov 2026 12:47:00 +0100")
    );
    // multipart/mixed: alternative (text, html) + one vCard per known caller
    let ct = m.content_type().unwrap();
    assert_eq!((ct.ctype(), ct.subtype()), ("multipart", Some("mixed")));
    assert_eq!(m.text_body_count(), 1);
    assert_eq!(m.html_body_count(), 1);
    let text_part = m.body_text(0).unwrap();
    assert!(
        text_part.contains("Sie haben 5 Anrufe verpasst"),
        "{text_part}"
    );
    let html = m.body_html(0).unwrap();
    assert!(
        html.contains("href=\"tel:+49305550100\""),
        "links carry the clean dial string"
    );
    assert!(html.contains("<html lang=\"de\""));
    let cards: Vec<_> = m.attachments().collect();
    assert_eq!(cards.len(), 3, "Acme, Müller, Jürgen Groß");
    for a in &cards {
        let ct = a.content_type().unwrap();
        assert_eq!((ct.ctype(), ct.subtype()), ("text", Some("vcard")));
        assert_eq!(ct.attribute("charset"), Some("utf-8"));
        // (the mbox stream has LF line ends; by SMTP the card has CRLF)
        let body = String::from_utf8(a.contents().to_vec())
            .unwrap()
            .replace("\r\n", "\n");
        assert!(body.starts_with("BEGIN:VCARD\nVERSION:3.0\n"), "{body}");
        assert!(a.attachment_name().unwrap().ends_with(".vcf"));
    }
    let names: Vec<&str> = cards.iter().map(|a| a.attachment_name().unwrap()).collect();
    assert!(names.contains(&"Juergen_Gross.vcf"), "{names:?}");
    // the same run again gives the same Message-IDs (stable across re-runs)
    let again = mbox_messages(&text(&samples_run(&["--dry-run"]).stdout));
    let ids = |ms: &[String]| -> Vec<String> {
        ms.iter()
            .map(|m| {
                MessageParser::default()
                    .parse(m.as_bytes())
                    .unwrap()
                    .message_id()
                    .unwrap()
                    .to_string()
            })
            .collect()
    };
    assert_eq!(ids(&msgs), ids(&again));
}

/// A dry run over a journal with hostile data in every field that reaches a mail: its output
/// and the mails in it.
fn hostile(extra: &str) -> (std::process::Output, Vec<String>) {
    let p = Project::new("");
    p.write(
        "contacts.csv",
        "name,company,email,phones\n\"Evil\r\nBcc: victim@example.org\",\"<script>alert(1)</script> & \"\"Co\"\"\",evil@example.org,+49 30 6660001\n",
    );
    // the journal: contact name and company with CR/LF, header and vCard injections; a
    // number with markup
    let j = p.write(
        "journal.jsonl",
        &[
            r#"{"u8sConnectionID":"h1","stStartTime":"2026-11-26T09:00:00Z","stStopTime":"2026-11-26T09:00:30Z","iOrigin":0,"u8sLineNumber":"201","u8sPhoneNumber":"+49 30 6660002","u8sContactName":"Mallory\r\nBcc: all@example.org\r\nX-Evil: 1","u8sContactCompany":"\"><img src=x onerror=alert(1)>\nEND:VCARD\nBEGIN:VCARD\nFN:Injected","TrackerLastCall":1}"#,
            r#"{"u8sConnectionID":"h2","stStartTime":"2026-11-26T09:10:00Z","stStopTime":"2026-11-26T09:10:30Z","iOrigin":0,"u8sLineNumber":"202","u8sPhoneNumber":"\"><script>alert(2)</script>0301234567","u8sContactName":"Trudy;TEL:+1 900 EVIL","TrackerLastCall":1}"#,
            r#"{"u8sConnectionID":"h3","stStartTime":"2026-11-26T09:20:00Z","stStopTime":"2026-11-26T09:20:30Z","iOrigin":0,"u8sLineNumber":"203","u8sPhoneNumber":"+49 30 6660001","TrackerLastCall":1}"#,
        ]
        .join("\n"),
    );
    p.config(&format!("mode = \"per-call\"\n[directory]\nusers = \"users.csv\"\ncontacts = [\"contacts.csv\"]\n[mail]\nfrom = \"PBX <pbx@example.com>\"\n{extra}"));
    let out = p.run(&[
        "run",
        "--dry-run",
        "--now",
        "2026-11-26T12:00:00Z",
        j.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let msgs = mbox_messages(&text(&out.stdout));
    assert_eq!(msgs.len(), 3);
    (out, msgs)
}

#[test]
fn hostile_journal_data_stays_inert() {
    let (out, msgs) = hostile("");
    for raw in &msgs {
        // headers: no injected header line anywhere in the header block
        let head = raw.split("\n\n").next().unwrap();
        for bad in ["\nBcc:", "\nX-Evil:", "\nbcc:"] {
            assert!(!head.contains(bad), "{bad} in headers:\n{head}");
        }
        let m = MessageParser::default().parse(raw.as_bytes()).unwrap();
        assert_eq!(m.to().unwrap().iter().count(), 1);
        assert!(m.bcc().is_none());
        assert!(m.subject().unwrap().lines().count() == 1);
        // HTML: no markup from the journal, links only tel: with a clean dial string
        let html = m.body_html(0).unwrap();
        assert!(!html.to_lowercase().contains("<script"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        // every tag in the HTML is one the template wrote: none opens with journal text
        for tag in html.split('<').skip(1) {
            let tag = tag.split('>').next().unwrap();
            let name: String = tag
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '/' || *c == '!')
                .collect();
            assert!(
                !tag.to_lowercase().contains("onerror"),
                "<{}",
                &tag[..tag.len().min(80)]
            );
            assert!(
                !name.eq_ignore_ascii_case("img") && !name.eq_ignore_ascii_case("script"),
                "<{name}"
            );
        }
        for href in html.split("href=\"").skip(1) {
            let v = href.split('"').next().unwrap();
            assert!(
                v.starts_with("mailto:")
                    || (v.starts_with("tel:+") && v[5..].bytes().all(|b| b.is_ascii_digit())),
                "bad link {v}"
            );
        }
        // vCard: only the properties we write, each at a line start, folded lines ≤ 75 octets
        for a in m.attachments() {
            let card = String::from_utf8(a.contents().to_vec())
                .unwrap()
                .replace("\r\n", "\n")
                .replace('\n', "\r\n");
            assert_eq!(
                card.split("\r\n").filter(|l| *l == "BEGIN:VCARD").count(),
                1,
                "{card}"
            );
            assert_eq!(
                card.split("\r\n").filter(|l| *l == "END:VCARD").count(),
                1,
                "{card}"
            );
            for line in card.split("\r\n").filter(|l| !l.is_empty()) {
                assert!(line.len() <= 75, "{line}");
                if !line.starts_with(' ') {
                    let prop = line.split([':', ';']).next().unwrap();
                    assert!(
                        ["BEGIN", "VERSION", "N", "FN", "ORG", "TEL", "EMAIL", "END"]
                            .contains(&prop),
                        "unexpected property {prop} in\n{card}"
                    );
                }
            }
            assert!(!card.contains("\r\nTEL:+1 900"), "{card}");
        }
    }
    // the hostile text is still shown, as text
    let all = text(&out.stdout);
    assert!(all.contains("Mallory"));
}

#[test]
fn caller_as_sender_uses_the_callers_address_and_allows_absence_replies() {
    let (_, msgs) = hostile("[notify]\ncaller_as_sender = true\n");
    let m = mail_to(&msgs, "carl@example.com");
    assert_eq!(address(m.from()), Some("evil@example.org"));
    assert_eq!(address(m.reply_to()), Some("evil@example.org"));
    assert_eq!(address(m.sender()), Some("pbx@example.com"));
    assert!(
        m.header_raw("Auto-Submitted").is_none(),
        "absence replies must reach the caller"
    );
    // a caller without an address: the system is the sender, marked auto-generated
    let m = mail_to(&msgs, "anna@example.com");
    assert_eq!(address(m.from()), Some("pbx@example.com"));
    assert!(m.header_raw("Auto-Submitted").is_some());
}

fn templates_dir(p: &Project, html: &str) -> PathBuf {
    let dir = p.path("templates");
    std::fs::create_dir_all(&dir).unwrap();
    for f in ["mail.txt.xsl", "subject.xsl"] {
        std::fs::copy(root().join("xsl").join(f), dir.join(f)).unwrap();
    }
    std::fs::write(dir.join("mail.html.xsl"), html).unwrap();
    dir
}

fn refused_before_any_mail(html: &str, expect: &str) {
    let p = Project::new("");
    let dir = templates_dir(&p, html);
    p.config(&format!(
        "templates = \"{}\"\n[directory]\nusers = \"users.csv\"\n",
        dir.display()
    ));
    let j = p.write(
        "j.csv",
        &format!("{HEADER}{}", row("a", "09:00:00", "201", "030 5550100")),
    );
    let out_dir = p.path("out");
    let out = p.run(&[
        "run",
        "--out",
        out_dir.to_str().unwrap(),
        "--now",
        "2026-11-26T12:00:00Z",
        j.to_str().unwrap(),
    ]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains(expect), "expected {expect:?} in {err}");
    assert!(
        !out_dir.exists() || std::fs::read_dir(&out_dir).unwrap().next().is_none(),
        "a mail was written"
    );
    assert!(
        !Path::new(&p.path("unanswered.db")).exists(),
        "the state was touched"
    );
    // check says the same
    let out = p.run(&["check"]);
    assert_ne!(out.status.code(), Some(0));
}

const XSL_HEAD: &str = r#"<?xml version="1.0"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform" xmlns:exsl="http://exslt.org/common" extension-element-prefixes="exsl">
<xsl:output method="html"/>"#;

#[test]
fn a_broken_template_is_refused() {
    refused_before_any_mail(
        &format!("{XSL_HEAD}<xsl:template match=\"/\"><p></xsl:template>"),
        "mail.html.xsl",
    );
}

/// A dry run with a custom mail.html.xsl: the one call's mail cannot be made.
fn dry_run_with_template(html: &str) -> std::process::Output {
    let p = Project::new("");
    let dir = templates_dir(&p, html);
    p.config(&format!(
        "templates = \"{}\"\n[directory]\nusers = \"users.csv\"\n",
        dir.display()
    ));
    let j = p.write(
        "j.csv",
        &format!("{HEADER}{}", row("a", "09:00:00", "201", "030 5550100")),
    );
    p.run(&[
        "run",
        "--dry-run",
        "--now",
        "2026-11-26T12:00:00Z",
        j.to_str().unwrap(),
    ])
}

#[test]
fn a_template_that_reads_a_local_file_is_refused() {
    let secret = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(secret.path(), "<secret>s3cret</secret>").unwrap();
    let out = dry_run_with_template(&format!(
        "{XSL_HEAD}<xsl:template match=\"/\"><p><xsl:value-of select=\"document('{}')\"/></p></xsl:template></xsl:stylesheet>",
        secret.path().display()
    ));
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(!all.contains("s3cret"), "the file was read:\n{all}");
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(text(&out.stderr).contains("mail to anna"), "{all}");
}

#[test]
fn a_template_that_writes_a_file_is_refused() {
    let target = tempfile::tempdir().unwrap();
    let file = target.path().join("written.txt");
    let out = dry_run_with_template(&format!(
        "{XSL_HEAD}<xsl:template match=\"/\"><exsl:document href=\"{}\" method=\"text\">pwned</exsl:document><p>x</p></xsl:template></xsl:stylesheet>",
        file.display()
    ));
    assert!(!file.exists(), "exsl:document wrote a file");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
}

#[test]
fn languages_unknown_language_lists_the_offered_ones() {
    let p = Project::new("language = \"fr\"\n[directory]\nusers = \"users.csv\"\n");
    let out = p.run(&["check"]);
    let err = text(&out.stderr);
    assert!(
        err.contains("\"fr\" is not offered; the languages are: de, en"),
        "{err}"
    );
}

/// `run --show` (what `make demo` prints) is for a person: each mail's recipient, subject and
/// text part as readable text, no MIME encoding; it changes no state.
#[test]
fn show_prints_readable_mails_for_a_person() {
    let out = samples_run(&["--show"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let shown = text(&out.stdout);
    assert_eq!(shown.matches("\nSubject:    ").count(), 5, "{shown}");
    assert!(shown.contains("To:         anna.schmidt@example.com (user anna)"));
    assert!(shown.contains("Subject:    5 verpasste Anrufe (Max Mustermann, Frau Müller, …)"));
    assert!(shown.contains("Anrufer:             Jürgen Groß"));
    for mime in [
        "Content-Transfer-Encoding",
        "quoted-printable",
        "=C3=BC",
        "=?utf-8?",
    ] {
        assert!(!shown.contains(mime), "{mime} in {shown}");
    }
    assert!(!root().join("samples/unanswered.db").exists());
}

/// A journal of `n` calls to anna, bert and carl at once from distinct callers the journal
/// names (a name and a company each), one a minute from 08:00.
fn named_calls(n: usize) -> String {
    let mut j = String::from("u8sConnectionID,u8sTrackerID,stStartTime,stStopTime,stConnectTime,iOrigin,u8sLineNumber,u8sPhoneNumber,u8sContactName,u8sContactCompany,TrackerLastCall\n");
    for i in 0..n {
        let (h, m) = (8 + i / 60, i % 60);
        for line in ["201", "202", "203"] {
            j.push_str(&format!(
                "c{i}-{line},T{i},2026-11-26 {h:02}:{m:02}:00,2026-11-26 {h:02}:{m:02}:35,,0,{line},+49 30 77{i:05},Maximilian Mustermann-Lüdenscheid {i},Müller & Söhne Gebäudetechnik GmbH & Co. KG,1\n"
            ));
        }
    }
    j
}

/// `run ARGS --now 2026-11-26T12:00:00Z JOURNAL` in the project; it must succeed.
fn run_at_noon(p: &Project, args: &[&str], journal: &Path) -> std::process::Output {
    let mut all = vec!["run"];
    all.extend_from_slice(args);
    all.extend(["--now", "2026-11-26T12:00:00Z", journal.to_str().unwrap()]);
    let out = p.run(&all);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    out
}

#[test]
fn a_digest_of_50_calls_is_shown_whole_by_gmail() {
    let p = Project::new("[directory]\nusers = \"users.csv\"\n");
    let j = p.write("j.csv", &named_calls(50));
    let dir = p.path("preview");
    run_at_noon(&p, &["--preview", dir.to_str().unwrap()], &j);
    let html = std::fs::read_to_string(dir.join("anna.html")).unwrap();
    // Gmail clips a mail whose HTML passes about 102 KB (SPEC §7: 50 calls < 100 KB)
    assert!(html.len() < 100_000, "{} bytes", html.len());
    assert!(html.contains("Sie haben 50 Anrufe verpasst"));
    for i in [0, 17, 49] {
        assert!(
            html.contains(&format!("Mustermann-Lüdenscheid {i}<")),
            "call {i}"
        );
    }
    assert_eq!(html.matches("href=\"tel:+493077").count(), 50);
}

#[test]
fn a_digest_too_large_for_gmail_is_split_by_size() {
    // a template that makes 30 KB of HTML per call: 5 calls are two mails, each under 100 KB
    let p = Project::new("");
    let pad = "x".repeat(30_000);
    let dir = templates_dir(
        &p,
        &format!(
            r#"<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:template match="/"><html><body><xsl:for-each select="/notification/calls/call"><p class="call">{pad}</p></xsl:for-each></body></html></xsl:template>
</xsl:stylesheet>"#
        ),
    );
    p.config(&format!(
        "templates = \"{}\"\n[directory]\nusers = \"users.csv\"\n",
        dir.display()
    ));
    let j = p.write("j.csv", &many_calls(5, "s"));
    let out_dir = p.path("out");
    run_at_noon(&p, &["--out", out_dir.to_str().unwrap()], &j);
    let mut calls = 0;
    let mut mails = 0;
    for e in std::fs::read_dir(&out_dir).unwrap() {
        let raw = std::fs::read(e.unwrap().path()).unwrap();
        let m = MessageParser::default().parse(&raw).unwrap();
        let html = m.body_html(0).unwrap();
        assert!(html.len() < 100_000, "{} bytes", html.len());
        calls += html.matches("class=\"call\"").count();
        mails += 1;
    }
    assert_eq!((mails, calls), (2, 5));
}

/// One call to anna (201) from `number` whose journal contact name is `name`, as a dry run
/// with `extra` config; the parsed mail.
fn one_call_mail(p: &Project, name: &str, number: &str, extra: &str) -> String {
    p.config(&format!(
        "mode = \"per-call\"\n[directory]\nusers = \"users.csv\"\ncontacts = [\"contacts.csv\"]\n[mail]\nfrom = \"PBX <pbx@example.com>\"\n{extra}"
    ));
    let j = p.write(
        "j.jsonl",
        &format!(
            "{{\"u8sConnectionID\":\"e1\",\"stStartTime\":\"2026-11-26T09:00:00Z\",\"stStopTime\":\"2026-11-26T09:00:30Z\",\"iOrigin\":0,\"u8sLineNumber\":\"201\",\"u8sPhoneNumber\":\"{number}\",\"u8sContactName\":{},\"TrackerLastCall\":1}}\n",
            serde_json_string(name)
        ),
    );
    let out = run_at_noon(p, &["--dry-run"], &j);
    let msgs = mbox_messages(&text(&out.stdout));
    assert_eq!(msgs.len(), 1);
    msgs.into_iter().next().unwrap()
}

/// A JSON string literal (the journal line is JSON).
fn serde_json_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 || !c.is_ascii() => {
                let mut buf = [0u16; 2];
                for u in c.encode_utf16(&mut buf) {
                    out.push_str(&format!("\\u{:04x}", u));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[test]
fn an_encoded_word_from_the_journal_stays_literal() {
    // decodes to "Evil\r\nBcc: victim2@example.org" when a header carries it raw
    let evil = "=?utf-8?B?RXZpbA0KQmNjOiB2aWN0aW0yQGV4YW1wbGUub3Jn?=";
    let p = Project::new("");
    p.write(
        "contacts.csv",
        "name,company,email,phones\n\"=?utf-8?Q?Admin_=3Cadmin@example.com=3E?=\",,caller@example.org,+49 30 6660001\n",
    );
    let raw = one_call_mail(&p, evil, "+49 30 6660002", "");
    let m = MessageParser::default().parse(raw.as_bytes()).unwrap();
    assert!(m.bcc().is_none());
    assert_eq!(
        m.subject(),
        Some(format!("Verpasster Anruf von {evil}").as_str())
    );
    let head = raw.split("\n\n").next().unwrap();
    assert!(!head.contains(evil), "written raw:\n{head}");
    // with caller_as_sender, a contact name cannot make From read "Admin <admin@…>"
    for mode in ["true", "\"reply-to\""] {
        let raw = one_call_mail(
            &p,
            "",
            "+49 30 6660001",
            &format!("[notify]\ncaller_as_sender = {mode}\n"),
        );
        let m = MessageParser::default().parse(raw.as_bytes()).unwrap();
        let reply = m.reply_to().unwrap().first().unwrap();
        assert_eq!(
            reply.name(),
            Some("=?utf-8?Q?Admin_=3Cadmin@example.com=3E?="),
            "{mode}"
        );
        assert_eq!(reply.address(), Some("caller@example.org"));
        assert_eq!(m.from().unwrap().iter().count(), 1);
    }
}

#[test]
fn invisible_and_bidi_characters_are_removed_from_names() {
    let p = Project::new("");
    p.write("contacts.csv", "name,company,email,phones\n");
    let name = "Ma\u{200B}x\u{200D} Mu\u{FEFF}ster\u{2060}mann\u{200F}\u{061C}\u{202E}nnamtsuM\u{2028}Bcc: x@example.org";
    let raw = one_call_mail(&p, name, "+49 30 6660002", "");
    let m = MessageParser::default().parse(raw.as_bytes()).unwrap();
    let bad = [
        '\u{200B}', '\u{200D}', '\u{FEFF}', '\u{2060}', '\u{200F}', '\u{061C}', '\u{202E}',
        '\u{2028}',
    ];
    let subject = m.subject().unwrap();
    assert_eq!(
        subject,
        "Verpasster Anruf von Max MustermannnnamtsuM Bcc: x@example.org"
    );
    let body = m.body_text(0).unwrap();
    let html = m.body_html(0).unwrap();
    for c in bad {
        assert!(!body.contains(c), "{c:?} in the text part");
        assert!(!html.contains(c), "{c:?} in the HTML");
    }
    assert!(
        body.contains("Max MustermannnnamtsuM Bcc: x@example.org"),
        "{body}"
    );
}

#[test]
fn a_contact_card_is_one_record() {
    // the journal names the caller 李小龙, the contacts file has Jane Doe for that number:
    // the card is Jane Doe's, whole; a caller only the journal knows gets a card without
    // anyone else's address, named by number
    let p = Project::new("");
    p.write(
        "contacts.csv",
        "name,company,email,phones\nJane Doe,Globex Ltd.,jane.doe@globex.example,+44 20 7946 0000\nFrau Müller,Müller & Söhne KG,info@mueller.example,+49 30 5550200\n",
    );
    let card_of = |raw: &str| -> (String, String) {
        let m = MessageParser::default().parse(raw.as_bytes()).unwrap();
        let a = m.attachments().next().expect("a card");
        (
            a.attachment_name().unwrap().to_string(),
            String::from_utf8(a.contents().to_vec()).unwrap(),
        )
    };
    let (file, card) = card_of(&one_call_mail(&p, "李小龙", "+44 20 7946 0000", ""));
    assert!(card.contains("FN:Jane Doe"), "{card}");
    assert!(card.contains("ORG:Globex Ltd."), "{card}");
    assert!(card.contains("EMAIL;TYPE=INTERNET:jane.doe@globex.example"));
    assert!(!card.contains("李小龙"), "{card}");
    assert_eq!(file, "Jane_Doe.vcf");
    let (file, card) = card_of(&one_call_mail(&p, "李小龙", "+44 20 7946 1234", ""));
    assert!(card.contains("FN:李小龙"), "{card}");
    assert!(!card.contains("EMAIL"), "{card}");
    assert_eq!(file, "contact-442079461234.vcf");
    // an honorific is a prefix, not a given name
    let (_, card) = card_of(&one_call_mail(&p, "", "+49 30 5550200", ""));
    assert!(card.contains("N:Müller;;;Frau;"), "{card}");
}

#[test]
fn caller_as_sender_reply_to_keeps_the_system_as_sender() {
    let (_, msgs) = hostile("[notify]\ncaller_as_sender = \"reply-to\"\n");
    let m = mail_to(&msgs, "carl@example.com");
    assert_eq!(address(m.from()), Some("pbx@example.com"));
    assert!(m.sender().is_none());
    assert_eq!(address(m.reply_to()), Some("evil@example.org"));
    let html = m.body_html(0).unwrap();
    assert!(html.contains("A reply to this e-mail goes to the caller."));
}

#[test]
fn check_warns_that_a_foreign_from_fails_dmarc() {
    let p = Project::new("[directory]\nusers = \"users.csv\"\n[notify]\ncaller_as_sender = true\n");
    let out = p.run(&["check"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(
        err.contains("warning: key `notify.caller_as_sender`"),
        "{err}"
    );
    assert!(err.contains("DMARC") && err.contains("reply-to"), "{err}");
    let p = Project::new(
        "[directory]\nusers = \"users.csv\"\n[notify]\ncaller_as_sender = \"reply-to\"\n",
    );
    let out = p.run(&["check"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(!text(&out.stderr).contains("DMARC"));
}
