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
    let update = std::env::var_os("UPDATE_EXPECT").is_some();
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names.len(), 10, "{names:?}");
    let mut diffs = Vec::new();
    for n in &names {
        let got = std::fs::read_to_string(dir.path().join(n)).unwrap();
        let path = golden.join(n);
        if update {
            std::fs::create_dir_all(&golden).unwrap();
            std::fs::write(&path, &got).unwrap();
            continue;
        }
        let want = std::fs::read_to_string(&path).unwrap_or_default();
        if want != got {
            diffs.push(format!(
                "tests/golden/{n} differs (UPDATE_EXPECT=1 to accept)"
            ));
        }
    }
    assert!(diffs.is_empty(), "{}", diffs.join("\n"));
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
    assert!(m.message_id().unwrap().ends_with(".unanswered@example.com"));
    assert_eq!(m.date().unwrap().to_rfc3339(), "2026-11-26T11:47:00Z");
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
    let carl = msgs
        .iter()
        .find(|m| m.contains("carl@example.com"))
        .unwrap();
    let m = MessageParser::default().parse(carl.as_bytes()).unwrap();
    assert_eq!(
        m.from().unwrap().first().unwrap().address(),
        Some("evil@example.org")
    );
    assert_eq!(
        m.reply_to().unwrap().first().unwrap().address(),
        Some("evil@example.org")
    );
    assert_eq!(
        m.sender().unwrap().first().unwrap().address(),
        Some("pbx@example.com")
    );
    assert!(
        m.header_raw("Auto-Submitted").is_none(),
        "absence replies must reach the caller"
    );
    // a caller without an address: the system is the sender, marked auto-generated
    let anna = msgs
        .iter()
        .find(|m| m.contains("anna@example.com"))
        .unwrap();
    let m = MessageParser::default().parse(anna.as_bytes()).unwrap();
    assert_eq!(
        m.from().unwrap().first().unwrap().address(),
        Some("pbx@example.com")
    );
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
