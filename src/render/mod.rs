//! Rendering: verdicts → mails. Templates (XSLT 1.0 through the system libxslt) turn the
//! document of [`document`] into HTML, text and a subject; [`mail`] wraps them into MIME.

pub(crate) mod document;
mod error;
pub(crate) mod headers;
pub(crate) mod language;
pub(crate) mod mail;
pub(crate) mod sanitize;
pub(crate) mod vcard;
pub(crate) mod xslt;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use jiff::tz::TimeZone;

use crate::config::{CallerAsSender, Config};
use crate::decide::lookup::Lookup;
use crate::decide::plan::{self, Plan};
use crate::decide::recipients::Verdict;
pub(crate) use error::Error;
use language::Language;
use xslt::Stylesheet;

const BUILT_IN_TEMPLATES: [(&str, &str); 3] = [
    ("mail.html.xsl", include_str!("../../xsl/mail.html.xsl")),
    ("mail.txt.xsl", include_str!("../../xsl/mail.txt.xsl")),
    ("subject.xsl", include_str!("../../xsl/subject.xsl")),
];

/// The compiled templates.
pub(crate) struct Templates {
    html: Stylesheet,
    text: Stylesheet,
    subject: Stylesheet,
    /// The text of each template, for the string keys they use.
    sources: Vec<(String, String)>,
}

/// A rendered mail body.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Rendered {
    pub(crate) subject: String,
    pub(crate) html: String,
    pub(crate) text: String,
}

impl Templates {
    /// Compiles the built-in templates, or those of `dir`. Every problem is returned.
    pub(crate) fn load(dir: Option<&Path>) -> Result<Templates, Vec<Error>> {
        let mut errors = Vec::new();
        let mut sheets = Vec::new();
        let mut sources = Vec::new();
        for (name, built_in) in BUILT_IN_TEMPLATES {
            let result = match dir {
                None => {
                    sources.push((name.to_string(), built_in.to_string()));
                    Stylesheet::compile(
                        built_in.as_bytes(),
                        &format!("(built-in) xsl/{name}"),
                        None,
                    )
                }
                Some(d) => {
                    let path: PathBuf = d.join(name);
                    sources.push((
                        path.display().to_string(),
                        std::fs::read_to_string(&path).unwrap_or_default(),
                    ));
                    Stylesheet::from_file(&path)
                }
            };
            match result {
                Ok(s) => sheets.push(s),
                Err(source) => errors.push(Error::Template {
                    template: name,
                    source,
                }),
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let mut it = sheets.into_iter();
        Ok(Templates {
            html: it.next().expect("three"),
            text: it.next().expect("three"),
            subject: it.next().expect("three"),
            sources,
        })
    }

    /// Renders one document: parsed once, then each template applied to it (parsed again
    /// only when a template before changed it in a way the next would not).
    pub(crate) fn render(&self, doc: &str) -> Result<Rendered, Error> {
        let first = "mail.html.xsl";
        let mut parsed =
            xslt::Document::parse(doc.as_bytes()).map_err(|source| Error::Template {
                template: first,
                source,
            })?;
        let mut run = |s: &Stylesheet, template: &'static str| {
            if !parsed.fits(s) {
                parsed = xslt::Document::parse(doc.as_bytes())
                    .map_err(|source| Error::Template { template, source })?;
            }
            s.apply(&mut parsed, &[])
                .map(utf8)
                .map_err(|source| Error::Template { template, source })
        };
        let html = run(&self.html, first)?;
        let text = run(&self.text, "mail.txt.xsl")?;
        let subject = run(&self.subject, "subject.xsl")?;
        Ok(Rendered {
            subject: one_line_subject(&subject),
            html,
            text: if text.contains('\r') {
                text.replace("\r\n", "\n")
            } else {
                text
            },
        })
    }

    /// The string keys the templates look up (`@key='…'`).
    pub(crate) fn string_keys(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for (file, text) in &self.sources {
            for quote in ['\'', '"'] {
                let pat = format!("@key={quote}");
                let mut rest = text.as_str();
                while let Some(i) = rest.find(&pat) {
                    rest = &rest[i + pat.len()..];
                    if let Some(end) = rest.find(quote) {
                        let key = &rest[..end];
                        if !key.is_empty() && !out.iter().any(|(k, _): &(String, String)| k == key)
                        {
                            out.push((key.to_string(), file.clone()));
                        }
                    }
                }
            }
        }
        out
    }
}

/// A template's output as text (it is UTF-8 unless a template says otherwise; then what is
/// not UTF-8 becomes U+FFFD).
fn utf8(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// The subject template's output as a subject: [`sanitize::clean`], whitespace collapsed, at
/// most 200 characters.
fn one_line_subject(subject: &str) -> String {
    let subject: String = sanitize::clean(subject)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    subject.chars().take(200).collect()
}

/// Languages and templates, loaded and cross-checked for a configuration.
pub(crate) struct Renderer {
    pub(crate) templates: Templates,
    pub(crate) languages: BTreeMap<String, Language>,
}

impl Renderer {
    /// Loads templates and languages; every problem is returned (file, line, key).
    pub(crate) fn load(config: &Config) -> Result<Renderer, Vec<Error>> {
        let mut errors = Vec::new();
        let templates = Templates::load(config.templates.as_deref());
        let languages = language::load_all(config.languages.as_deref());
        let (templates, languages) = match (templates, languages) {
            (Ok(t), Ok(l)) => (t, l),
            (t, l) => {
                if let Err(e) = t {
                    errors.extend(e);
                }
                if let Err(e) = l {
                    errors.extend(e);
                }
                return Err(errors);
            }
        };
        let offered: Vec<&str> = languages.keys().map(String::as_str).collect();
        if let Some(e) = config.language_not_offered(&offered) {
            errors.push(e.into());
        }
        let keys = templates.string_keys();
        for (code, lang) in &languages {
            for (key, file) in &keys {
                if lang.string(key).is_none() {
                    errors.push(Error::MissingString {
                        language: code.clone(),
                        key: key.clone(),
                        template: file.clone(),
                    });
                }
            }
        }
        if errors.is_empty() {
            Ok(Renderer {
                templates,
                languages,
            })
        } else {
            Err(errors)
        }
    }

    /// The language of a user: their own when offered, else the configured one.
    pub(crate) fn language_for(&self, wanted: Option<&str>, default: &str) -> &Language {
        wanted
            .and_then(|w| self.languages.get(w))
            .or_else(|| self.languages.get(default))
            .or_else(|| self.languages.values().next())
            .expect("at least one language is loaded")
    }
}

/// Checks templates and languages; returns the number of problems written to `err`.
pub(crate) fn check(config: &Config, lookup: &Lookup, err: &mut dyn Write) -> u64 {
    if config.caller_as_sender == crate::config::CallerAsSender::From {
        // a warning, not a problem: the setting works where the server allows it
        let _ = writeln!(
            err,
            "{}: warning: key `notify.caller_as_sender`: true puts the caller's address in From:, \
             which fails DMARC at the caller's domain and is refused by Microsoft 365 and Gmail \
             submission; caller_as_sender = \"reply-to\" sends from `mail.from` with the caller \
             as Reply-To",
            config.path.display()
        );
    }
    match Renderer::load(config) {
        Ok(r) => {
            let mut n = 0;
            for u in lookup.users() {
                if let Some(l) = &u.language {
                    if !r.languages.contains_key(l) {
                        n += 1;
                        let _ = writeln!(
                            err,
                            "user {}: language {l:?} is not offered (mails use {:?}); the languages are: {}",
                            u.user,
                            config.language,
                            r.languages.keys().cloned().collect::<Vec<_>>().join(", ")
                        );
                    }
                }
            }
            n
        }
        Err(errors) => {
            for e in &errors {
                let _ = writeln!(err, "{e}");
            }
            errors.len() as u64
        }
    }
}

/// A composed mail, ready to deliver.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Outgoing {
    pub(crate) message_id: String,
    pub(crate) user: String,
    pub(crate) email: String,
    /// The chains it tells about (what the state records as notified).
    pub(crate) chains: Vec<String>,
    pub(crate) subject: String,
    /// RFC 5322 with CRLF line ends.
    pub(crate) bytes: Vec<u8>,
    /// The rendered parts, for previews.
    pub(crate) html: String,
    pub(crate) text: String,
}

/// What composing needs from the configuration.
pub(crate) struct MailSettings<'a> {
    pub(crate) mode: crate::config::Mode,
    pub(crate) from: &'a lettre::message::Mailbox,
    pub(crate) language: &'a str,
    pub(crate) time_zone: &'a jiff::tz::TimeZone,
    pub(crate) time_zone_name: &'a str,
    pub(crate) link_prefix: &'a str,
    pub(crate) attach_vcard: bool,
    pub(crate) caller_as_sender: crate::config::CallerAsSender,
}

impl MailSettings<'_> {
    /// Settings from a configuration; `from` is parsed by the caller (see [`mail::parse_from`]).
    pub(crate) fn of<'a>(
        config: &'a Config,
        from: &'a lettre::message::Mailbox,
    ) -> MailSettings<'a> {
        MailSettings {
            mode: config.mode,
            from,
            language: &config.language,
            time_zone: &config.rules.time_zone,
            time_zone_name: &config.time_zone_name,
            link_prefix: &config.link_prefix,
            attach_vcard: config.attach_vcard,
            caller_as_sender: config.caller_as_sender,
        }
    }
}

/// A mail's HTML stays below this many bytes: Gmail clips a mail whose HTML passes about
/// 102 KB and shows the rest only behind a link (SPEC §7).
pub(crate) const MAX_HTML_BYTES: usize = 100_000;

impl Renderer {
    /// Renders and composes planned mails; a digest whose HTML passes [`MAX_HTML_BYTES`] is
    /// split in halves (in call order) until each part fits or holds one call. Each mail comes
    /// with the plan it was made from.
    pub(crate) fn compose_plans(
        &self,
        plans: Vec<Plan>,
        verdicts: &[Verdict],
        lookup: &Lookup,
        settings: &MailSettings<'_>,
        now: jiff::Timestamp,
    ) -> Vec<(Plan, Result<Outgoing, Error>)> {
        let mut out = Vec::new();
        let mut todo: std::collections::VecDeque<Plan> = plans.into();
        while let Some(p) = todo.pop_front() {
            let m = self.compose(&p, verdicts, lookup, settings, now);
            match &m {
                Ok(o) if o.html.len() > MAX_HTML_BYTES && p.calls.len() > 1 => {
                    let (a, b) = p.calls.split_at(p.calls.len() / 2);
                    let half = |calls: &[usize]| Plan {
                        calls: calls.to_vec(),
                        ..p.clone()
                    };
                    todo.push_front(half(b));
                    todo.push_front(half(a));
                }
                _ => out.push((p, m)),
            }
        }
        out
    }

    /// Renders and composes one planned mail.
    pub(crate) fn compose(
        &self,
        plan: &Plan,
        verdicts: &[Verdict],
        lookup: &Lookup,
        settings: &MailSettings<'_>,
        now: jiff::Timestamp,
    ) -> Result<Outgoing, Error> {
        let calls: Vec<&Verdict> = plan.calls.iter().map(|&i| &verdicts[i]).collect();
        let fallback;
        let user = match lookup.user(&plan.user) {
            Some(u) => u,
            None => {
                fallback = crate::directory::User::new(&plan.user, Some(&plan.email), &[]);
                &fallback
            }
        };
        let language = self.language_for(user.language.as_deref(), settings.language);
        let (tz, tz_name) = zone_of(user, settings);
        let cards = Cards::of(&calls, lookup, settings.attach_vcard);
        let caller = caller_role(settings.caller_as_sender, &calls);
        let doc = document::build(&document::Input {
            per_call: settings.mode == crate::config::Mode::PerCall,
            recipient: user,
            email: &plan.email,
            language,
            time_zone: &tz,
            time_zone_name: &tz_name,
            system_time_zone: settings.time_zone,
            link_prefix: settings.link_prefix,
            now,
            calls: &calls,
            lookup,
            vcards: &cards.of_call,
            caller_is_sender: matches!(caller, mail::CallerRole::From(_)),
            replies_to_caller: caller != mail::CallerRole::None,
        });
        let rendered = self.templates.render(&doc)?;
        let chains: Vec<String> = calls.iter().map(|v| v.facts.id.to_string()).collect();
        let chain_refs: Vec<&str> = chains.iter().map(String::as_str).collect();
        let message_id = plan::message_id(&chain_refs, user.user.as_str(), &settings.from.email);
        let bytes = mail::compose(
            &mail::Envelope {
                from: settings.from,
                to: mail::mailbox(&user.name, &plan.email)?,
                message_id: message_id.clone(),
                date: now,
                zone: &tz,
                language: &language.code,
                caller,
                vcards: cards.files,
            },
            &rendered,
        )?;
        Ok(Outgoing {
            message_id,
            user: user.user.to_string(),
            email: plan.email.clone(),
            chains,
            subject: rendered.subject,
            bytes,
            html: rendered.html,
            text: rendered.text,
        })
    }
}

/// The zone a recipient reads their times in, and its name: their own, else the system's.
fn zone_of(user: &crate::directory::User, settings: &MailSettings<'_>) -> (TimeZone, String) {
    match &user.zone {
        Some(tz) => (
            tz.clone(),
            tz.iana_name()
                .unwrap_or(settings.time_zone_name)
                .to_string(),
        ),
        None => (
            settings.time_zone.clone(),
            settings.time_zone_name.to_string(),
        ),
    }
}

/// How the caller appears in the headers (`caller_as_sender`): only when every call of the
/// mail is from one caller with a known address.
fn caller_role(setting: CallerAsSender, calls: &[&Verdict]) -> mail::CallerRole {
    let sender = || mail::caller_sender(calls);
    match setting {
        CallerAsSender::Off => mail::CallerRole::None,
        CallerAsSender::From => sender().map_or(mail::CallerRole::None, mail::CallerRole::From),
        CallerAsSender::ReplyTo => {
            sender().map_or(mail::CallerRole::None, mail::CallerRole::ReplyTo)
        }
    }
}

/// The vCards a mail attaches: one per distinct known caller (file name, card), and the file
/// of each call's caller.
struct Cards {
    files: Vec<(String, String)>,
    of_call: Vec<Option<String>>,
}

impl Cards {
    fn of(calls: &[&Verdict], lookup: &Lookup, attach: bool) -> Cards {
        let mut cards = Cards {
            files: Vec::new(),
            of_call: Vec::with_capacity(calls.len()),
        };
        for v in calls {
            let card = if attach {
                mail::caller_vcard(v, lookup)
            } else {
                None
            };
            let file = card.map(|(file, text)| cards.add(file, text));
            cards.of_call.push(file);
        }
        cards
    }

    /// Adds a card unless the same card is there; returns its file name (made distinct from
    /// the others when two callers' cards would share one).
    fn add(&mut self, file: String, text: String) -> String {
        if let Some((f, _)) = self.files.iter().find(|(_, t)| *t == text) {
            return f.clone();
        }
        let mut f = file;
        if self.files.iter().any(|(x, _)| *x == f) {
            f = format!(
                "{}-{}.vcf",
                f.trim_end_matches(".vcf"),
                self.files.len() + 1
            );
        }
        self.files.push((f.clone(), text));
        f
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decide::testkit::*;

    fn renderer() -> Renderer {
        Renderer {
            templates: Templates::load(None).unwrap(),
            languages: language::load_all(None).unwrap(),
        }
    }

    /// The mails of these entries (digest), composed with the built-in templates in `lang`.
    fn mails(entries: Vec<crate::ingest::Entry>, lang: &str) -> Vec<Outgoing> {
        mails_with(entries, lang, &rules())
    }

    fn mails_with(
        entries: Vec<crate::ingest::Entry>,
        lang: &str,
        rules: &crate::config::Rules,
    ) -> Vec<Outgoing> {
        let lookup = lookup();
        let vs = verdicts(entries, rules, &lookup);
        let from = mail::parse_from("PBX <pbx@example.com>").unwrap();
        let settings = MailSettings {
            mode: crate::config::Mode::Digest,
            from: &from,
            language: lang,
            time_zone: &jiff::tz::TimeZone::UTC,
            time_zone_name: "UTC",
            link_prefix: "tel:",
            attach_vcard: true,
            caller_as_sender: crate::config::CallerAsSender::Off,
        };
        let r = renderer();
        r.compose_plans(
            plan::plan(&vs, crate::config::Mode::Digest),
            &vs,
            &lookup,
            &settings,
            t("12:00:00"),
        )
        .into_iter()
        .map(|(_, m)| m.unwrap())
        .collect()
    }

    #[test]
    fn a_call_that_went_to_voicemail_says_so() {
        let mut e = entry("v1");
        e.voicemail = true;
        let vs = verdicts(vec![e.clone()], &rules(), &lookup());
        assert!(vs[0].facts.voicemail, "the chain facts carry it");
        for (lang, words) in [("en", "Went to voicemail"), ("de", "Ging auf die Mailbox")] {
            let m = &mails(vec![e.clone()], lang)[0];
            assert!(m.html.contains(words), "{lang}: {}", m.html);
            assert!(m.text.contains(words), "{lang}: {}", m.text);
            assert!(
                m.subject.contains("(voicemail)") || m.subject.contains("(Mailbox)"),
                "{}",
                m.subject
            );
        }
        // and a call that did not, does not
        let m = &mails(vec![entry("n1")], "en")[0];
        assert!(!m.html.contains("voicemail") && !m.subject.contains("voicemail"));
    }

    #[test]
    fn a_call_answered_elsewhere_is_not_called_missed() {
        let mut rules = rules();
        rules.even_if_answered_elsewhere = true;
        let es = vec![
            entry("a").tracker("T"),
            entry("b").tracker("T").line("202").connect("09:00:07"),
        ];
        let ms = mails_with(es, "en", &rules);
        let anna = ms.iter().find(|m| m.user == "anna").unwrap();
        assert_eq!(anna.subject, "Call from Acme, answered by bert");
        assert!(anna.html.contains("A call for you, answered by bert"));
        assert!(anna.text.starts_with("A call for you, answered by bert\n"));
        assert!(!anna.html.contains("You missed"), "{}", anna.html);
    }

    #[test]
    fn a_digest_groups_the_calls_of_one_caller_in_one_row() {
        let es = vec![
            entry("a").tracker("A").ring("08:05:00", "08:05:20"),
            entry("b").tracker("B").ring("09:15:00", "09:15:20"),
            entry("c")
                .tracker("C")
                .ring("10:00:00", "10:00:20")
                .caller("0301111111"),
            entry("d").tracker("D").ring("11:40:00", "11:41:00"),
        ];
        let m = &mails(es, "en")[0];
        assert!(m.html.contains("You missed 4 calls"), "{}", m.html);
        // Acme: one row with 3 calls and the range; the other caller a row of its own
        assert_eq!(m.html.matches(">Acme<").count(), 1, "{}", m.html);
        assert!(m.html.contains("3 calls"), "{}", m.html);
        assert!(m.html.contains("08:05–11:40"), "{}", m.html);
        // one ring-time format for every call
        assert!(m.html.contains("0:20 min") && m.html.contains("1:00 min"));
        assert_eq!(
            m.html.matches("href=\"tel:").count(),
            2,
            "one call-back link per caller"
        );
        // the line that rang
        assert!(m.html.contains("Line 201"), "{}", m.html);
    }
}
