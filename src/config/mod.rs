//! The configuration file (TOML, SPEC §5): [`raw`] holds the keys as written (with their
//! place in the file), [`validate`] turns each section into resolved values, and [`Config`]
//! is what the rest of the program uses. Every default is written once, here or in the
//! `Default` of the type it belongs to; every problem names the file, the line and the key
//! ([`ConfigError`]).

use std::path::{Path, PathBuf};

use jiff::tz::TimeZone;

use crate::decide::numbers::{NumberPattern, NumberPlan};
use crate::ingest::text::TextEncoding;

mod error;
mod raw;
mod suggest;
mod validate;

pub(crate) use error::{ConfigError, ConfigErrors};
pub(crate) use suggest::closest;

/// The defaults of the keys whose type carries none (SPEC §5). The rules' defaults are
/// [`Rules::default`], [`Exceptions::default`] and [`NumberPlan::default`].
mod defaults {
    pub(crate) const TIME_ZONE: &str = "UTC";
    pub(crate) const LANGUAGE: &str = "en";
    pub(crate) const LINK_PREFIX: &str = "tel:";
    pub(crate) const FROM: &str = "Telephone system <pbx@localhost>";
    pub(crate) const USERS: &str = "users.csv";
    pub(crate) const STATE: &str = "unanswered.db";
    pub(crate) const SENDMAIL: &str = "/usr/sbin/sendmail";
    pub(crate) const SMTP_TIMEOUT_SECONDS: i64 = 30;
    pub(crate) const SMTP_MAX_RUN_SECONDS: i64 = 300;
    pub(crate) const LOCK_WAIT_SECONDS: i64 = 60;
    pub(crate) const ATTACH_VCARD: bool = true;
}

// ---------------------------------------------------------------------------------------------
// Resolved configuration.

/// `[notify] caller_as_sender`: who the mail says it is from (SPEC §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum CallerAsSender {
    /// `false`: the system is the sender.
    #[default]
    Off,
    /// `true`: the caller is `From:` (fails DMARC at the caller's domain; `check` warns).
    From,
    /// `"reply-to"`: the system sends, the caller is `Reply-To:` only.
    ReplyTo,
}

/// One mail per recipient per run, or one per chain and recipient.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Mode {
    #[default]
    Digest,
    PerCall,
}

/// Which of the participants who did not answer get mail (SPEC §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RecipientPolicy {
    None,
    First,
    Last,
    All,
}

/// The exception switches (SPEC §3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Exceptions {
    pub(crate) internal: bool,
    pub(crate) hidden_number: bool,
    pub(crate) no_contact: bool,
    pub(crate) short_ring: bool,
    pub(crate) min_ring_seconds: u64,
    pub(crate) repeated_same_day: bool,
    pub(crate) repeated_until_logon: bool,
    pub(crate) excluded_numbers: Vec<NumberPattern>,
    /// §3.7: a call that went to voicemail notifies nobody.
    pub(crate) voicemail: bool,
    /// §3.8: a call already returned notifies nobody.
    pub(crate) called_back: bool,
}

impl Default for Exceptions {
    fn default() -> Self {
        Exceptions {
            internal: true,
            hidden_number: true,
            no_contact: false,
            short_ring: true,
            min_ring_seconds: 2,
            repeated_same_day: false,
            repeated_until_logon: false,
            excluded_numbers: Vec::new(),
            voicemail: false,
            called_back: true,
        }
    }
}

/// The rules the pure decision stages need (no paths, no I/O).
#[derive(Debug, Clone)]
pub(crate) struct Rules {
    pub(crate) time_zone: TimeZone,
    pub(crate) numbers: NumberPlan,
    pub(crate) exceptions: Exceptions,
    pub(crate) recipients: RecipientPolicy,
    pub(crate) even_if_answered_elsewhere: bool,
    pub(crate) settle_seconds: u64,
    /// §3.9: calls that arrived more than this many hours before now are not mailed; 0 = off.
    pub(crate) max_age_hours: u64,
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            time_zone: TimeZone::UTC,
            numbers: NumberPlan::default(),
            exceptions: Exceptions::default(),
            recipients: RecipientPolicy::All,
            even_if_answered_elsewhere: false,
            settle_seconds: 120,
            max_age_hours: 24,
        }
    }
}

/// The variants are named as the key `tls` is written.
#[allow(clippy::enum_variant_names)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tls {
    StartTls,
    Tls,
    None,
}

impl Tls {
    /// The port of the key `port` when it is not given.
    pub(crate) fn default_port(self) -> u16 {
        match self {
            Tls::Tls => 465,
            Tls::StartTls => 587,
            Tls::None => 25,
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Smtp {
    pub(crate) host: String,
    pub(crate) port: u16,
    pub(crate) tls: Tls,
    pub(crate) username: Option<String>,
    pub(crate) password_env: Option<String>,
    pub(crate) password_file: Option<PathBuf>,
    /// The name of a systemd credential (`LoadCredential=NAME:…`): the password is read from
    /// `$CREDENTIALS_DIRECTORY/NAME`.
    pub(crate) password_credential: Option<String>,
    pub(crate) timeout_seconds: u64,
    /// A run stops delivering after this many seconds; the rest stays queued.
    pub(crate) max_run_seconds: u64,
    /// An extra CA certificate (PEM) to trust, e.g. a company CA.
    pub(crate) ca_file: Option<PathBuf>,
}

/// How mails leave: an SMTP server, or the local sendmail program.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Transport {
    Smtp,
    Sendmail(PathBuf),
}

/// The whole resolved configuration.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    pub(crate) path: PathBuf,
    pub(crate) time_zone_name: String,
    pub(crate) rules: Rules,
    pub(crate) language: String,
    pub(crate) mode: Mode,
    pub(crate) encoding: TextEncoding,
    pub(crate) templates: Option<PathBuf>,
    pub(crate) languages: Option<PathBuf>,
    pub(crate) users: PathBuf,
    pub(crate) contacts: Vec<PathBuf>,
    pub(crate) logons: Option<PathBuf>,
    pub(crate) caller_as_sender: CallerAsSender,
    pub(crate) attach_vcard: bool,
    pub(crate) link_prefix: String,
    pub(crate) from: String,
    pub(crate) smtp: Option<Smtp>,
    pub(crate) transport: Transport,
    pub(crate) state_path: PathBuf,
    pub(crate) lock_wait_seconds: u64,
    pub(crate) asterisk_columns: Option<Vec<String>>,
    /// `[report] summary_json`: what each run did, as JSON.
    pub(crate) summary_json: Option<PathBuf>,
    /// `[report] metrics`: a Prometheus textfile-collector file.
    pub(crate) metrics: Option<PathBuf>,
    /// The line of each key that names a file or the language, as written.
    places: std::collections::BTreeMap<String, usize>,
}

/// `link_prefix`: "" or a scheme of 1 to 9 characters plus the colon (SPEC §5).
pub(crate) fn valid_link_prefix(p: &str) -> bool {
    if p.is_empty() {
        return true;
    }
    let Some(scheme) = p.strip_suffix(':') else {
        return false;
    };
    let mut chars = scheme.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
    first_ok
        && (1..=9).contains(&scheme.len())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

impl Config {
    /// A problem found after loading (a file the key names cannot be read, a language that
    /// is not offered), reported at the key: its line when written, else as its default.
    pub(crate) fn error_at(&self, key: &str, message: impl Into<String>) -> ConfigError {
        let line = self.places.get(key).copied();
        let mut message = message.into();
        if line.is_none() {
            message.push_str(&format!(" (the default of `{key}`; set it in this file)"));
        }
        ConfigError {
            file: self.path.clone(),
            line,
            key: Some(key.to_string()),
            message,
        }
    }

    /// The problem of a `language` that is not among `offered`, at its key (None: it is).
    pub(crate) fn language_not_offered(&self, offered: &[&str]) -> Option<ConfigError> {
        if offered.contains(&self.language.as_str()) {
            return None;
        }
        let mut m = format!(
            "{:?} is not offered; the languages are: {}",
            self.language,
            offered.join(", ")
        );
        if let Some(k) = closest(&self.language, offered) {
            m.push_str(&format!("; did you mean `{k}`?"));
        }
        Some(self.error_at("language", m))
    }

    /// Reads and validates a configuration file. All problems are reported together.
    pub(crate) fn load(path: &Path) -> Result<Config, ConfigErrors> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            file: path.to_path_buf(),
            line: None,
            key: None,
            message: format!("cannot read the configuration: {e}"),
        })?;
        Self::parse(&text, path)
    }

    /// Validates configuration text; `path` names it in messages and anchors relative paths.
    pub(crate) fn parse(text: &str, path: &Path) -> Result<Config, ConfigErrors> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let raw: raw::Raw = toml::from_str(text).map_err(|e| toml_error(e, text, path))?;
        let mut v = validate::Validator::new(path, text);
        let top = validate::top(&mut v, &raw);
        let numbers = validate::numbers(&mut v, &raw.numbers);
        let notify = validate::notify(&mut v, &raw.notify);
        let exceptions = validate::exceptions(&mut v, &raw.exceptions, &numbers);
        let (users, contacts, logons) = validate::directory(&mut v, &raw.directory);
        let from = validate::mail_from(&mut v, &raw.mail);
        let smtp = raw.smtp.as_ref().map(|s| validate::smtp(&mut v, s));
        let transport = validate::mail_transport(&mut v, &raw.mail);
        let (state_path, lock_wait_seconds) = validate::state(&mut v, &raw.state);
        let summary_json = v.path_key("report.summary_json", &raw.report.summary_json);
        let metrics = v.path_key("report.metrics", &raw.report.metrics);
        if !v.errors.is_empty() {
            return Err(ConfigErrors(v.errors));
        }
        Ok(Config {
            path: path.to_path_buf(),
            time_zone_name: top.time_zone_name,
            rules: Rules {
                time_zone: top.time_zone,
                numbers,
                exceptions,
                recipients: notify.recipients,
                even_if_answered_elsewhere: notify.even_if_answered_elsewhere,
                settle_seconds: notify.settle_seconds,
                max_age_hours: notify.max_age_hours,
            },
            language: top.language,
            mode: top.mode,
            encoding: top.encoding,
            templates: top.templates,
            languages: top.languages,
            users,
            contacts,
            logons,
            caller_as_sender: notify.caller_as_sender,
            attach_vcard: notify.attach_vcard,
            link_prefix: notify.link_prefix,
            from,
            smtp,
            transport,
            state_path,
            lock_wait_seconds,
            asterisk_columns: raw.asterisk.columns,
            summary_json,
            metrics,
            places: v.places,
        })
    }
}

/// The TOML reader's error with its line and the keys it was in.
fn toml_error(mut e: toml::de::Error, text: &str, path: &Path) -> ConfigError {
    let line = e
        .span()
        .map(|s| validate::Validator::line_at(text, s.start));
    let message = e.message().to_string();
    // without the input, the error's text ends with "in `section.key`"
    e.set_input(None);
    let shown = e.to_string();
    let keys: Vec<String> = shown
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix("in `")?.strip_suffix('`'))
        .map(|k| k.split('.').map(str::to_string).collect())
        // a syntax error names no key: the key written on its line (an unknown key at the top
        // level names none either, and is that key itself)
        .or_else(|| {
            let unknown = message.starts_with("unknown field");
            (!unknown)
                .then(|| suggest::key_on_line(text, line?))
                .flatten()
        })
        .unwrap_or_default();
    suggest::from_toml(path, line, &keys, &message)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigErrors> {
        Config::parse(text, Path::new("/etc/unanswered/unanswered.toml"))
    }

    #[test]
    fn defaults_follow_the_spec() {
        let c = parse("").unwrap();
        assert_eq!(c.rules.recipients, RecipientPolicy::All);
        assert!(!c.rules.even_if_answered_elsewhere);
        assert_eq!(c.rules.settle_seconds, 120);
        assert_eq!(c.rules.exceptions, Exceptions::default());
        assert_eq!(c.rules.numbers.internal_max_digits, 5);
        assert_eq!(c.link_prefix, "tel:");
        assert!(c.attach_vcard);
        assert_eq!(c.caller_as_sender, CallerAsSender::Off);
        assert_eq!(c.mode, Mode::Digest);
        assert_eq!(c.users, Path::new("/etc/unanswered/users.csv"));
        assert_eq!(c.state_path, Path::new("/etc/unanswered/unanswered.db"));
    }

    #[test]
    fn unknown_keys_are_named() {
        let e = parse("[notify]\nrecipient = \"all\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("recipient"), "{e}");
        assert!(e.contains(":2"), "{e}");
        let e = parse("colour = 1\n").unwrap_err().to_string();
        assert!(e.contains("colour"), "{e}");
    }

    #[test]
    fn bad_values_name_file_line_and_key() {
        let e = parse("time_zone = \"Europe/Berlin\"\n[notify]\nlink_prefix = \"javascript\"\n")
            .unwrap_err();
        assert_eq!(e.0.len(), 1);
        assert_eq!(e.0[0].line, Some(3));
        assert_eq!(e.0[0].key.as_deref(), Some("notify.link_prefix"));
        let e =
            parse("time_zone = \"Mars/Olympus\"\n[notify]\nrecipients = \"some\"\n").unwrap_err();
        assert_eq!(e.0.len(), 2, "{e}");
    }

    #[test]
    fn caller_as_sender_values() {
        let v = |t: &str| parse(&format!("[notify]\ncaller_as_sender = {t}\n"));
        assert_eq!(v("false").unwrap().caller_as_sender, CallerAsSender::Off);
        assert_eq!(v("true").unwrap().caller_as_sender, CallerAsSender::From);
        assert_eq!(
            v("\"reply-to\"").unwrap().caller_as_sender,
            CallerAsSender::ReplyTo
        );
        let e = v("\"from\"").unwrap_err().to_string();
        assert!(e.contains("notify.caller_as_sender"), "{e}");
        assert!(e.contains("reply-to"), "{e}");
    }

    #[test]
    fn link_prefixes() {
        for ok in [
            "",
            "tel:",
            "phone:",
            "callto:",
            "sip:",
            "x:",
            "abcdefghi:",
            "web+tel:",
        ] {
            assert!(valid_link_prefix(ok), "{ok}");
        }
        for bad in [
            ":",
            "tel",
            "abcdefghij:",
            "1tel:",
            "te l:",
            "tel:/",
            "java\"script:",
            "tel::",
        ] {
            assert!(!valid_link_prefix(bad), "{bad}");
        }
    }

    #[test]
    fn contacts_take_one_or_many() {
        let c = parse("[directory]\ncontacts = \"a.vcf\"\n").unwrap();
        assert_eq!(c.contacts.len(), 1);
        let c = parse("[directory]\ncontacts = [\"a.csv\", \"b.vcf\"]\n").unwrap();
        assert_eq!(c.contacts.len(), 2);
    }

    #[test]
    fn every_bad_value_names_its_key_and_line() {
        let cases = [
            ("mode = \"weekly\"", "mode"),
            ("encoding = \"ebcdic\"", "encoding"),
            ("language = \"e n\"", "language"),
            ("[numbers]\ncountry_code = \"4x\"", "numbers.country_code"),
            ("[numbers]\ncountry_code = \"\"", "numbers.country_code"),
            (
                "[numbers]\ninternal_max_digits = 16",
                "numbers.internal_max_digits",
            ),
            ("[notify]\nsettle_seconds = -1", "notify.settle_seconds"),
            ("[notify]\nmax_age_hours = -1", "notify.max_age_hours"),
            (
                "[exceptions]\nmin_ring_seconds = -2",
                "exceptions.min_ring_seconds",
            ),
            ("[mail]\nfrom = \"nobody\"", "mail.from"),
            ("[mail]\ntransport = \"pigeon\"", "mail.transport"),
            ("[smtp]\nhost = \"mx\"\ntls = \"ssl\"", "smtp.tls"),
            ("[smtp]\nhost = \"mx\"\nport = 0", "smtp.port"),
            ("[smtp]\nhost = \" \"", "smtp.host"),
            (
                "[state]\nlock_wait_seconds = 86401",
                "state.lock_wait_seconds",
            ),
        ];
        for (text, key) in cases {
            // two lines before it, so the line is not 1 by chance
            let text = format!("# a comment\n\n{text}\n");
            let e = parse(&text).unwrap_err();
            assert_eq!(e.0.len(), 1, "{text}: {e}");
            assert_eq!(e.0[0].key.as_deref(), Some(key), "{text}");
            assert_eq!(e.0[0].line, Some(text.lines().count()), "{text}: {e}");
            assert_eq!(e.exit_code(), crate::exit_codes::ExitCode::Fatal);
        }
        // a key that is missing has no line
        let e = parse("[smtp]\nport = 25\n").unwrap_err();
        assert_eq!(
            (e.0[0].key.as_deref(), e.0[0].line),
            (Some("smtp.host"), None)
        );
    }

    #[test]
    fn type_errors_name_the_key_the_line_and_what_was_expected() {
        let e = parse("# c\n[exceptions]\nmin_ring_seconds = \"two\"\n").unwrap_err();
        assert_eq!(e.0.len(), 1, "{e}");
        assert_eq!(e.0[0].key.as_deref(), Some("exceptions.min_ring_seconds"));
        assert_eq!(e.0[0].line, Some(3));
        assert!(e.0[0].message.contains("a whole number"), "{e}");
        assert!(!e.to_string().contains("i64"), "{e}");
        let e = parse("[notify]\nattach_vcard = \"yes\"\n").unwrap_err();
        assert_eq!(e.0[0].key.as_deref(), Some("notify.attach_vcard"));
        assert!(e.0[0].message.contains("true or false"), "{e}");
    }

    #[test]
    fn a_syntax_error_in_a_value_names_its_key() {
        let e = parse("[numbers]\narea_code = 030\n").unwrap_err();
        assert_eq!(e.0[0].key.as_deref(), Some("numbers.area_code"));
        assert_eq!(e.0[0].line, Some(2));
        assert!(e.0[0].message.contains("\"030\""), "{e}");
        let e = parse("mode = digest\n").unwrap_err();
        assert_eq!(e.0[0].key.as_deref(), Some("mode"));
    }

    #[test]
    fn numbers_may_be_written_as_integers() {
        let c =
            parse("[numbers]\ncountry_code = 49\narea_code = 30\npbx_number = \"1234\"\n").unwrap();
        assert_eq!(c.rules.numbers.country_code, "49");
        assert_eq!(c.rules.numbers.area_code, "30");
        let e = parse("[numbers]\ncountry_code = true\n").unwrap_err();
        assert_eq!(e.0[0].key.as_deref(), Some("numbers.country_code"));
        assert_eq!(e.0[0].line, Some(2));
    }

    #[test]
    fn a_typo_in_a_key_is_answered_with_the_closest_key() {
        let e = parse("[notify]\nrecipient = \"all\"\n").unwrap_err();
        assert_eq!(e.0[0].key.as_deref(), Some("notify.recipient"));
        assert!(e.0[0].message.contains("did you mean `recipients`?"), "{e}");
        let e = parse("langauge = \"de\"\n").unwrap_err();
        assert_eq!(e.0[0].key.as_deref(), Some("langauge"));
        assert!(e.0[0].message.contains("did you mean `language`?"), "{e}");
        // nothing close: no guess
        let e = parse("colour = 1\n").unwrap_err();
        assert!(!e.0[0].message.contains("did you mean"), "{e}");
    }

    #[test]
    fn later_problems_are_reported_at_the_key_that_set_them() {
        let c = parse("# c\n[directory]\nusers = \"people.csv\"\n").unwrap();
        let e = c.error_at("directory.users", "cannot read");
        assert_eq!(
            (e.line, e.key.as_deref()),
            (Some(3), Some("directory.users"))
        );
        let e = c.error_at("language", "not offered");
        assert_eq!(e.line, None);
        assert!(e.message.contains("the default of `language`"), "{e}");
    }

    #[test]
    fn a_bad_element_of_a_list_names_its_own_line() {
        let e = parse("[exceptions]\nexcluded_numbers = [\n  \"030 555\",\n  \"doorman\",\n]\n")
            .unwrap_err();
        assert_eq!(e.0[0].line, Some(4), "{e}");
    }

    #[test]
    fn the_smtp_port_follows_tls() {
        for (tls, port) in [("starttls", 587), ("tls", 465), ("none", 25)] {
            let c = parse(&format!("[smtp]\nhost = \"mx\"\ntls = \"{tls}\"\n")).unwrap();
            assert_eq!(c.smtp.unwrap().port, port, "{tls}");
        }
    }

    #[test]
    fn defaults_are_those_of_the_types() {
        let c = parse("").unwrap();
        assert_eq!(c.rules.numbers, NumberPlan::default());
        assert_eq!(c.rules.exceptions, Exceptions::default());
        let d = Rules::default();
        assert_eq!(c.rules.recipients, d.recipients);
        assert_eq!(c.rules.settle_seconds, d.settle_seconds);
        assert_eq!(c.rules.max_age_hours, d.max_age_hours);
        assert_eq!(c.rules.time_zone, d.time_zone);
    }

    #[test]
    fn round_two_rule_keys() {
        let c = parse(
            "[notify]\nmax_age_hours = 0\n[exceptions]\nvoicemail = true\ncalled_back = false\n",
        )
        .unwrap();
        assert_eq!(c.rules.max_age_hours, 0);
        assert!(c.rules.exceptions.voicemail);
        assert!(!c.rules.exceptions.called_back);
    }

    #[test]
    fn excluded_numbers_are_validated() {
        let c = parse("[exceptions]\nexcluded_numbers = [\"030 555\", \"0800*\"]\n").unwrap();
        assert_eq!(c.rules.exceptions.excluded_numbers.len(), 2);
        assert!(parse("[exceptions]\nexcluded_numbers = [\"doorman\"]\n").is_err());
    }
}
