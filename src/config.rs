//! The configuration file (TOML, SPEC §5): the raw keys as written, and the resolved,
//! validated [`Config`] the rest of the program uses. Every problem names the file, the line
//! and the key.

use std::fmt;
use std::path::{Path, PathBuf};

use jiff::tz::TimeZone;
use serde::Deserialize;

use crate::decode::TextEncoding;
use crate::numbers::{NumberPattern, NumberPlan};

/// One problem with the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub file: PathBuf,
    pub line: Option<usize>,
    pub key: Option<String>,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(key) = &self.key {
            write!(f, ": key `{key}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for ConfigError {}

/// All problems found in one configuration file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

// ---------------------------------------------------------------------------------------------
// Raw keys, as written. Unknown keys are errors (deny_unknown_fields) that name them.

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct Raw {
    time_zone: Option<String>,
    language: Option<String>,
    mode: Option<String>,
    encoding: Option<String>,
    templates: Option<String>,
    languages: Option<String>,
    numbers: RawNumbers,
    directory: RawDirectory,
    notify: RawNotify,
    exceptions: RawExceptions,
    mail: RawMail,
    smtp: Option<RawSmtp>,
    state: RawState,
    asterisk: RawAsterisk,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawNumbers {
    country_code: Option<String>,
    area_code: Option<String>,
    pbx_number: Option<String>,
    outside_line_prefix: Option<String>,
    national_prefix: Option<String>,
    international_prefix: Option<String>,
    internal_max_digits: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawDirectory {
    users: Option<String>,
    contacts: Option<StringOrList>,
    logons: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum StringOrList {
    One(String),
    Many(Vec<String>),
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawNotify {
    recipients: Option<String>,
    even_if_answered_elsewhere: Option<bool>,
    caller_as_sender: Option<bool>,
    attach_vcard: Option<bool>,
    link_prefix: Option<String>,
    settle_seconds: Option<i64>,
    max_age_hours: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawExceptions {
    internal: Option<bool>,
    hidden_number: Option<bool>,
    no_contact: Option<bool>,
    short_ring: Option<bool>,
    min_ring_seconds: Option<i64>,
    repeated_same_day: Option<bool>,
    repeated_until_logon: Option<bool>,
    excluded_numbers: Option<Vec<String>>,
    voicemail: Option<bool>,
    called_back: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawMail {
    from: Option<String>,
    transport: Option<String>,
    sendmail_command: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawSmtp {
    host: Option<String>,
    port: Option<i64>,
    tls: Option<String>,
    username: Option<String>,
    password_env: Option<String>,
    password_file: Option<String>,
    timeout_seconds: Option<i64>,
    ca_file: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawState {
    path: Option<String>,
    lock_wait_seconds: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawAsterisk {
    columns: Option<Vec<String>>,
}

// ---------------------------------------------------------------------------------------------
// Resolved configuration.

/// One mail per recipient per run, or one per chain and recipient.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Digest,
    PerCall,
}

/// Which of the participants who did not answer get mail (SPEC §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecipientPolicy {
    None,
    First,
    Last,
    All,
}

/// The exception switches (SPEC §3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exceptions {
    pub internal: bool,
    pub hidden_number: bool,
    pub no_contact: bool,
    pub short_ring: bool,
    pub min_ring_seconds: u64,
    pub repeated_same_day: bool,
    pub repeated_until_logon: bool,
    pub excluded_numbers: Vec<NumberPattern>,
    /// §3.7: a call that went to voicemail notifies nobody.
    pub voicemail: bool,
    /// §3.8: a call already returned notifies nobody.
    pub called_back: bool,
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
pub struct Rules {
    pub time_zone: TimeZone,
    pub numbers: NumberPlan,
    pub exceptions: Exceptions,
    pub recipients: RecipientPolicy,
    pub even_if_answered_elsewhere: bool,
    pub settle_seconds: u64,
    /// §3.9: calls that arrived more than this many hours before now are not mailed; 0 = off.
    pub max_age_hours: u64,
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

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tls {
    StartTls,
    Tls,
    None,
}

#[derive(Debug, Clone)]
pub struct Smtp {
    pub host: String,
    pub port: u16,
    pub tls: Tls,
    pub username: Option<String>,
    pub password_env: Option<String>,
    pub password_file: Option<PathBuf>,
    pub timeout_seconds: u64,
    /// An extra CA certificate (PEM) to trust, e.g. a company CA.
    pub ca_file: Option<PathBuf>,
}

/// How mails leave: an SMTP server, or the local sendmail program.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transport {
    Smtp,
    Sendmail(PathBuf),
}

/// The whole resolved configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub path: PathBuf,
    pub time_zone_name: String,
    pub rules: Rules,
    pub language: String,
    pub mode: Mode,
    pub encoding: TextEncoding,
    pub templates: Option<PathBuf>,
    pub languages: Option<PathBuf>,
    pub users: PathBuf,
    pub contacts: Vec<PathBuf>,
    pub logons: Option<PathBuf>,
    pub caller_as_sender: bool,
    pub attach_vcard: bool,
    pub link_prefix: String,
    pub from: String,
    pub smtp: Option<Smtp>,
    pub transport: Transport,
    pub state_path: PathBuf,
    pub lock_wait_seconds: u64,
    pub asterisk_columns: Option<Vec<String>>,
}

/// `link_prefix`: "" or a scheme of 1 to 9 characters plus the colon (SPEC §5).
pub fn valid_link_prefix(p: &str) -> bool {
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

/// Finds the line of `key` in `[section]` (or at the top level when section is empty).
fn line_of(text: &str, section: &str, key: &str) -> Option<usize> {
    let mut current = String::new();
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        if let Some(rest) = t.strip_prefix('[') {
            current = rest.split(']').next().unwrap_or("").trim().to_string();
            continue;
        }
        if current == section {
            if let Some((k, _)) = t.split_once('=') {
                if k.trim().trim_matches('"') == key {
                    return Some(i + 1);
                }
            }
        }
    }
    None
}

impl Config {
    /// Reads and validates a configuration file. All problems are reported together.
    pub fn load(path: &Path) -> Result<Config, ConfigErrors> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            ConfigErrors(vec![ConfigError {
                file: path.to_path_buf(),
                line: None,
                key: None,
                message: format!("cannot read the configuration: {e}"),
            }])
        })?;
        Self::parse(&text, path)
    }

    /// Validates configuration text; `path` names it in messages and anchors relative paths.
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigErrors> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let raw: Raw = toml::from_str(text).map_err(|e| {
            let line = e
                .span()
                .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
            ConfigErrors(vec![ConfigError {
                file: path.to_path_buf(),
                line,
                key: None,
                message: e.message().trim().to_string(),
            }])
        })?;
        let mut errors = Vec::new();
        let mut err = |section: &str, key: &str, message: String| {
            let full = if section.is_empty() {
                key.to_string()
            } else {
                format!("{section}.{key}")
            };
            errors.push(ConfigError {
                file: path.to_path_buf(),
                line: line_of(text, section, key),
                key: Some(full),
                message,
            });
        };
        let base = path.parent().unwrap_or(Path::new("")).to_path_buf();
        let rel = |p: &str| -> PathBuf {
            let p = Path::new(p);
            if p.is_absolute() {
                p.to_path_buf()
            } else {
                base.join(p)
            }
        };

        let tz_name = raw.time_zone.clone().unwrap_or_else(|| "UTC".into());
        let time_zone = match crate::time::zone(&tz_name) {
            Ok(tz) => tz,
            Err(m) => {
                err("", "time_zone", m);
                TimeZone::UTC
            }
        };
        let mode = match raw.mode.as_deref().unwrap_or("digest") {
            "digest" => Mode::Digest,
            "per-call" | "per_call" => Mode::PerCall,
            other => {
                err(
                    "",
                    "mode",
                    format!("{other:?}: expected \"digest\" or \"per-call\""),
                );
                Mode::Digest
            }
        };
        let encoding = match raw.encoding.as_deref().unwrap_or("auto").parse() {
            Ok(e) => e,
            Err(m) => {
                err("", "encoding", m);
                TextEncoding::Auto
            }
        };
        let language = raw.language.clone().unwrap_or_else(|| "en".into());
        if language.is_empty()
            || !language
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            err(
                "",
                "language",
                format!("{language:?} is not a language name (like en or de)"),
            );
        }

        // [numbers]
        let n = &raw.numbers;
        let digits_key = |errs: &mut dyn FnMut(&str, &str, String),
                          key: &str,
                          v: &Option<String>,
                          default: &str,
                          allow_empty: bool|
         -> String {
            let v = v.clone().unwrap_or_else(|| default.to_string());
            let v = v.trim().trim_start_matches('+').to_string();
            if (v.is_empty() && !allow_empty) || !v.bytes().all(|b| b.is_ascii_digit()) {
                errs("numbers", key, format!("{v:?}: expected digits only"));
            }
            v
        };
        let country_code = digits_key(&mut err, "country_code", &n.country_code, "49", false);
        let area_code = digits_key(&mut err, "area_code", &n.area_code, "", true);
        let area_code = area_code.trim_start_matches('0').to_string();
        let pbx_number = digits_key(&mut err, "pbx_number", &n.pbx_number, "", true);
        let outside_line_prefix = digits_key(
            &mut err,
            "outside_line_prefix",
            &n.outside_line_prefix,
            "",
            true,
        );
        let national_prefix =
            digits_key(&mut err, "national_prefix", &n.national_prefix, "0", true);
        let international_prefix = digits_key(
            &mut err,
            "international_prefix",
            &n.international_prefix,
            "00",
            true,
        );
        let internal_max_digits = match n.internal_max_digits.unwrap_or(5) {
            d @ 0..=15 => d as usize,
            d => {
                err(
                    "numbers",
                    "internal_max_digits",
                    format!("{d}: expected 0 to 15"),
                );
                5
            }
        };
        let plan = NumberPlan {
            country_code,
            area_code,
            pbx_number,
            outside_line_prefix,
            national_prefix,
            international_prefix,
            internal_max_digits,
        };

        // [notify]
        let nt = &raw.notify;
        let recipients = match nt.recipients.as_deref().unwrap_or("all") {
            "none" => RecipientPolicy::None,
            "first" => RecipientPolicy::First,
            "last" => RecipientPolicy::Last,
            "all" => RecipientPolicy::All,
            other => {
                err(
                    "notify",
                    "recipients",
                    format!("{other:?}: expected one of none, first, last, all"),
                );
                RecipientPolicy::All
            }
        };
        let link_prefix = nt.link_prefix.clone().unwrap_or_else(|| "tel:".into());
        if !valid_link_prefix(&link_prefix) {
            err(
                "notify",
                "link_prefix",
                format!(
                    "{link_prefix:?}: expected \"\" or a scheme of 1 to 9 letters, digits, +, - or . (starting with a letter) followed by a colon, like \"tel:\", \"callto:\""
                ),
            );
        }
        let settle_seconds = match nt.settle_seconds.unwrap_or(120) {
            s if s >= 0 => s as u64,
            s => {
                err(
                    "notify",
                    "settle_seconds",
                    format!("{s}: expected 0 or more seconds"),
                );
                120
            }
        };
        let max_age_hours = match nt.max_age_hours.unwrap_or(24) {
            h @ 0..=876_000 => h as u64,
            h => {
                err(
                    "notify",
                    "max_age_hours",
                    format!("{h}: expected 0 (no limit) to 876000 hours"),
                );
                24
            }
        };

        // [exceptions]
        let x = &raw.exceptions;
        let min_ring_seconds = match x.min_ring_seconds.unwrap_or(2) {
            s if s >= 0 => s as u64,
            s => {
                err(
                    "exceptions",
                    "min_ring_seconds",
                    format!("{s}: expected 0 or more seconds"),
                );
                2
            }
        };
        let mut excluded_numbers = Vec::new();
        for p in x.excluded_numbers.clone().unwrap_or_default() {
            match NumberPattern::parse(&plan, &p) {
                Ok(pat) => excluded_numbers.push(pat),
                Err(m) => err("exceptions", "excluded_numbers", m),
            }
        }
        let exceptions = Exceptions {
            internal: x.internal.unwrap_or(true),
            hidden_number: x.hidden_number.unwrap_or(true),
            no_contact: x.no_contact.unwrap_or(false),
            short_ring: x.short_ring.unwrap_or(true),
            min_ring_seconds,
            repeated_same_day: x.repeated_same_day.unwrap_or(false),
            repeated_until_logon: x.repeated_until_logon.unwrap_or(false),
            excluded_numbers,
            voicemail: x.voicemail.unwrap_or(false),
            called_back: x.called_back.unwrap_or(true),
        };

        // [directory]
        let d = &raw.directory;
        let users = rel(d.users.as_deref().unwrap_or("users.csv"));
        let contacts = match &d.contacts {
            None => Vec::new(),
            Some(StringOrList::One(s)) => vec![rel(s)],
            Some(StringOrList::Many(v)) => v.iter().map(|s| rel(s)).collect(),
        };
        let logons = d.logons.as_deref().map(rel);

        // [mail]
        let from = raw
            .mail
            .from
            .clone()
            .unwrap_or_else(|| "Telephone system <pbx@localhost>".into());
        if from.contains(['\r', '\n']) || !from.contains('@') {
            err(
                "mail",
                "from",
                format!(
                    "{from:?}: expected an address like \"Telephone system <pbx@example.com>\""
                ),
            );
        }

        // [smtp]
        let smtp = raw.smtp.as_ref().map(|s| {
            let tls = match s.tls.as_deref().unwrap_or("starttls") {
                "starttls" => Tls::StartTls,
                "tls" => Tls::Tls,
                "none" => Tls::None,
                other => {
                    err(
                        "smtp",
                        "tls",
                        format!("{other:?}: expected starttls, tls or none"),
                    );
                    Tls::StartTls
                }
            };
            let default_port = match tls {
                Tls::Tls => 465,
                Tls::StartTls => 587,
                Tls::None => 25,
            };
            let port = match s.port.unwrap_or(default_port) {
                p @ 1..=65535 => p as u16,
                p => {
                    err("smtp", "port", format!("{p}: expected 1 to 65535"));
                    default_port as u16
                }
            };
            let host = s.host.clone().unwrap_or_default();
            if host.trim().is_empty() {
                err(
                    "smtp",
                    "host",
                    "missing: expected the mail server's host name".into(),
                );
            }
            Smtp {
                host,
                port,
                tls,
                username: s.username.clone(),
                password_env: s.password_env.clone(),
                password_file: s.password_file.as_deref().map(rel),
                timeout_seconds: s.timeout_seconds.unwrap_or(30).max(1) as u64,
                ca_file: s.ca_file.as_deref().map(rel),
            }
        });
        let transport = match raw.mail.transport.as_deref().unwrap_or("smtp") {
            "smtp" => Transport::Smtp,
            "sendmail" => Transport::Sendmail(PathBuf::from(
                raw.mail
                    .sendmail_command
                    .as_deref()
                    .unwrap_or("/usr/sbin/sendmail"),
            )),
            other => {
                err(
                    "mail",
                    "transport",
                    format!("{other:?}: expected \"smtp\" or \"sendmail\""),
                );
                Transport::Smtp
            }
        };
        let lock_wait_seconds = match raw.state.lock_wait_seconds.unwrap_or(60) {
            s @ 0..=86400 => s as u64,
            s => {
                err(
                    "state",
                    "lock_wait_seconds",
                    format!("{s}: expected 0 to 86400 seconds"),
                );
                60
            }
        };

        let state_path = rel(raw.state.path.as_deref().unwrap_or("unanswered.db"));
        let templates = raw.templates.as_deref().map(rel);
        let languages = raw.languages.as_deref().map(rel);
        let asterisk_columns = raw.asterisk.columns.clone();

        if !errors.is_empty() {
            return Err(ConfigErrors(errors));
        }
        Ok(Config {
            path: path.to_path_buf(),
            time_zone_name: tz_name,
            rules: Rules {
                time_zone,
                numbers: plan,
                exceptions,
                recipients,
                even_if_answered_elsewhere: nt.even_if_answered_elsewhere.unwrap_or(false),
                settle_seconds,
                max_age_hours,
            },
            language,
            mode,
            encoding,
            templates,
            languages,
            users,
            contacts,
            logons,
            caller_as_sender: nt.caller_as_sender.unwrap_or(false),
            attach_vcard: nt.attach_vcard.unwrap_or(true),
            link_prefix,
            from,
            smtp,
            transport,
            state_path,
            lock_wait_seconds,
            asterisk_columns,
        })
    }
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
        assert_eq!(c.rules.max_age_hours, 24);
        assert_eq!(c.rules.exceptions, Exceptions::default());
        assert_eq!(c.rules.numbers.internal_max_digits, 5);
        assert_eq!(c.link_prefix, "tel:");
        assert!(c.attach_vcard);
        assert!(!c.caller_as_sender);
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
    fn round_two_rule_keys() {
        let c = parse(
            "[notify]\nmax_age_hours = 0\n[exceptions]\nvoicemail = true\ncalled_back = false\n",
        )
        .unwrap();
        assert_eq!(c.rules.max_age_hours, 0);
        assert!(c.rules.exceptions.voicemail);
        assert!(!c.rules.exceptions.called_back);
        let e = parse("[notify]\nmax_age_hours = -1\n").unwrap_err();
        assert_eq!(e.0[0].key.as_deref(), Some("notify.max_age_hours"), "{e}");
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
    fn excluded_numbers_are_validated() {
        let c = parse("[exceptions]\nexcluded_numbers = [\"030 555\", \"0800*\"]\n").unwrap();
        assert_eq!(c.rules.exceptions.excluded_numbers.len(), 2);
        assert!(parse("[exceptions]\nexcluded_numbers = [\"doorman\"]\n").is_err());
    }
}
