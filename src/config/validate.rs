//! Raw keys → resolved values, one validator per section. A bad value is reported with its
//! line and key and replaced by the default, so that every problem of the file is found in
//! one pass; [`super::Config::parse`] fails when any was.

use std::collections::BTreeMap;
use std::ops::{Range, RangeInclusive};
use std::path::{Path, PathBuf};

use jiff::tz::TimeZone;
use toml::Spanned;

use super::raw::{
    Digits, Raw, RawDirectory, RawExceptions, RawMail, RawNotify, RawNumbers, RawSmtp, RawState,
    StringOrList, Value,
};
use super::{
    defaults, ConfigError, Exceptions, Mode, RecipientPolicy, Rules, Smtp, Tls, Transport,
};
use crate::decide::numbers::{NumberPattern, NumberPlan};
use crate::ingest::text::TextEncoding;

/// Collects the problems of one file while its sections are validated.
pub(super) struct Validator<'t> {
    file: &'t Path,
    text: &'t str,
    /// The config file's directory: relative paths are read from there.
    base: PathBuf,
    pub(super) errors: Vec<ConfigError>,
    /// The line of each key that names a file or a language, for messages found later
    /// (a users file that cannot be read, a language that is not offered).
    pub(super) places: BTreeMap<String, usize>,
}

impl<'t> Validator<'t> {
    pub(super) fn new(file: &'t Path, text: &'t str) -> Self {
        Validator {
            file,
            text,
            base: file.parent().unwrap_or(Path::new("")).to_path_buf(),
            errors: Vec::new(),
            places: BTreeMap::new(),
        }
    }

    /// Remembers the line of `key` when it is written.
    fn place<T>(&mut self, key: &str, v: Option<&Spanned<T>>) {
        if let Some(v) = v {
            let line = Self::line_at(self.text, v.span().start);
            self.places.insert(key.to_string(), line);
        }
    }

    /// The 1-based line of a byte offset.
    pub(super) fn line_at(text: &str, offset: usize) -> usize {
        text[..offset.min(text.len())].matches('\n').count() + 1
    }

    pub(super) fn err(&mut self, key: &str, at: Option<Range<usize>>, message: String) {
        self.errors.push(ConfigError {
            file: self.file.to_path_buf(),
            line: at.map(|s| Self::line_at(self.text, s.start)),
            key: Some(key.to_string()),
            message,
        });
    }

    /// A path as written, relative to the config file's directory.
    fn rel(&self, p: &str) -> PathBuf {
        let p = Path::new(p);
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.base.join(p)
        }
    }

    /// An optional path key: relative to the config file, remembered with its line.
    pub(super) fn path_key(&mut self, key: &str, v: &Value<String>) -> Option<PathBuf> {
        self.place(key, v.as_ref());
        self.rel_opt(v)
    }

    fn rel_opt(&self, v: &Value<String>) -> Option<PathBuf> {
        v.as_ref().map(|s| self.rel(s.get_ref()))
    }

    /// One of the words in `choices`; `expected` completes the message of any other word.
    fn choose<T: Copy>(
        &mut self,
        key: &str,
        v: &Value<String>,
        default: T,
        choices: &[(&str, T)],
        expected: &str,
    ) -> T {
        let Some(v) = v else { return default };
        match choices.iter().find(|(w, _)| w == v.get_ref()) {
            Some(&(_, t)) => t,
            None => {
                self.err(
                    key,
                    Some(v.span()),
                    format!("{:?}: {expected}", v.get_ref()),
                );
                default
            }
        }
    }

    /// A whole number in `range`; `expected` completes the message of any other.
    fn int(
        &mut self,
        key: &str,
        v: &Value<i64>,
        default: i64,
        range: RangeInclusive<i64>,
        expected: &str,
    ) -> i64 {
        let Some(v) = v else { return default };
        let n = *v.get_ref();
        if range.contains(&n) {
            n
        } else {
            self.err(key, Some(v.span()), format!("{n}: {expected}"));
            default
        }
    }

    /// Digits only (a leading `+` and spaces around are dropped); "" only when `allow_empty`.
    fn digits(&mut self, key: &str, v: &Value<Digits>, default: &str, allow_empty: bool) -> String {
        let written = v.as_ref().map_or(default, |s| s.get_ref().0.as_str());
        let d = written.trim().trim_start_matches('+').to_string();
        if (d.is_empty() && !allow_empty) || !d.bytes().all(|b| b.is_ascii_digit()) {
            let at = v.as_ref().map(Spanned::span);
            self.err(key, at, format!("{d:?}: expected digits only"));
        }
        d
    }
}

/// The top-level keys.
pub(super) struct Top {
    pub(crate) time_zone_name: String,
    pub(crate) time_zone: TimeZone,
    pub(crate) mode: Mode,
    pub(crate) encoding: TextEncoding,
    pub(crate) language: String,
    pub(crate) templates: Option<PathBuf>,
    pub(crate) languages: Option<PathBuf>,
}

pub(super) fn top(v: &mut Validator<'_>, raw: &Raw) -> Top {
    let time_zone_name = raw
        .time_zone
        .as_ref()
        .map_or(defaults::TIME_ZONE, |s| s.get_ref().as_str())
        .to_string();
    let time_zone = match crate::ingest::time::zone(&time_zone_name) {
        Ok(tz) => tz,
        Err(m) => {
            v.err(
                "time_zone",
                raw.time_zone.as_ref().map(Spanned::span),
                m.to_string(),
            );
            Rules::default().time_zone
        }
    };
    let mode = v.choose(
        "mode",
        &raw.mode,
        Mode::default(),
        &[
            ("digest", Mode::Digest),
            ("per-call", Mode::PerCall),
            ("per_call", Mode::PerCall),
        ],
        "expected \"digest\" or \"per-call\"",
    );
    let encoding = match &raw.encoding {
        None => TextEncoding::Auto,
        Some(e) => e.get_ref().parse::<TextEncoding>().unwrap_or_else(|m| {
            v.err("encoding", Some(e.span()), m.to_string());
            TextEncoding::Auto
        }),
    };
    let language = raw
        .language
        .as_ref()
        .map_or(defaults::LANGUAGE, |s| s.get_ref().as_str())
        .to_string();
    let is_name = |l: &str| {
        !l.is_empty()
            && l.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    };
    v.place("language", raw.language.as_ref());
    v.place("templates", raw.templates.as_ref());
    v.place("languages", raw.languages.as_ref());
    if !is_name(&language) {
        let at = raw.language.as_ref().map(Spanned::span);
        let message = format!("{language:?} is not a language name (like en or de)");
        v.err("language", at, message);
    }
    Top {
        time_zone_name,
        time_zone,
        mode,
        encoding,
        language,
        templates: v.rel_opt(&raw.templates),
        languages: v.rel_opt(&raw.languages),
    }
}

/// `[numbers]` (SPEC §1.4).
pub(super) fn numbers(v: &mut Validator<'_>, n: &RawNumbers) -> NumberPlan {
    let d = NumberPlan::default();
    let country_code = v.digits(
        "numbers.country_code",
        &n.country_code,
        &d.country_code,
        false,
    );
    let area_code = v.digits("numbers.area_code", &n.area_code, &d.area_code, true);
    let pbx_number = v.digits("numbers.pbx_number", &n.pbx_number, &d.pbx_number, true);
    let outside_line_prefix = v.digits(
        "numbers.outside_line_prefix",
        &n.outside_line_prefix,
        &d.outside_line_prefix,
        true,
    );
    let national_prefix = v.digits(
        "numbers.national_prefix",
        &n.national_prefix,
        &d.national_prefix,
        true,
    );
    let international_prefix = v.digits(
        "numbers.international_prefix",
        &n.international_prefix,
        &d.international_prefix,
        true,
    );
    let internal_max_digits = v.int(
        "numbers.internal_max_digits",
        &n.internal_max_digits,
        d.internal_max_digits as i64,
        0..=15,
        "expected 0 to 15",
    ) as usize;
    NumberPlan {
        country_code,
        area_code: area_code.trim_start_matches('0').to_string(),
        pbx_number,
        outside_line_prefix,
        national_prefix,
        international_prefix,
        internal_max_digits,
    }
}

/// `[notify]`.
pub(super) struct Notify {
    pub(crate) recipients: RecipientPolicy,
    pub(crate) even_if_answered_elsewhere: bool,
    pub(crate) caller_as_sender: super::CallerAsSender,
    pub(crate) attach_vcard: bool,
    pub(crate) link_prefix: String,
    pub(crate) settle_seconds: u64,
    pub(crate) max_age_hours: u64,
}

pub(super) fn notify(v: &mut Validator<'_>, nt: &RawNotify) -> Notify {
    let d = Rules::default();
    let recipients = v.choose(
        "notify.recipients",
        &nt.recipients,
        d.recipients,
        &[
            ("none", RecipientPolicy::None),
            ("first", RecipientPolicy::First),
            ("last", RecipientPolicy::Last),
            ("all", RecipientPolicy::All),
        ],
        "expected one of none, first, last, all",
    );
    let link_prefix = nt
        .link_prefix
        .as_ref()
        .map_or(defaults::LINK_PREFIX, |s| s.get_ref().as_str())
        .to_string();
    if !super::valid_link_prefix(&link_prefix) {
        let at = nt.link_prefix.as_ref().map(Spanned::span);
        let message = format!(
            "{link_prefix:?}: expected \"\" or a scheme of 1 to 9 letters, digits, +, - or . (starting with a letter) followed by a colon, like \"tel:\", \"callto:\""
        );
        v.err("notify.link_prefix", at, message);
    }
    use super::raw::BoolOrString;
    use super::CallerAsSender;
    let caller_as_sender = match nt
        .caller_as_sender
        .as_ref()
        .map(|s| (s.get_ref(), s.span()))
    {
        None | Some((BoolOrString::Bool(false), _)) => CallerAsSender::Off,
        Some((BoolOrString::Bool(true), _)) => CallerAsSender::From,
        Some((BoolOrString::String(s), _)) if s == "reply-to" => CallerAsSender::ReplyTo,
        Some((BoolOrString::String(other), at)) => {
            let message = format!("{other:?}: expected false, true or \"reply-to\"");
            v.err("notify.caller_as_sender", Some(at), message);
            CallerAsSender::Off
        }
    };
    let settle_seconds = v.int(
        "notify.settle_seconds",
        &nt.settle_seconds,
        d.settle_seconds as i64,
        0..=i64::MAX,
        "expected 0 or more seconds",
    ) as u64;
    let max_age_hours = v.int(
        "notify.max_age_hours",
        &nt.max_age_hours,
        d.max_age_hours as i64,
        0..=876_000,
        "expected 0 (no limit) to 876000 hours",
    ) as u64;
    Notify {
        recipients,
        even_if_answered_elsewhere: nt
            .even_if_answered_elsewhere
            .unwrap_or(d.even_if_answered_elsewhere),
        caller_as_sender,
        attach_vcard: nt.attach_vcard.unwrap_or(defaults::ATTACH_VCARD),
        link_prefix,
        settle_seconds,
        max_age_hours,
    }
}

/// `[exceptions]` (SPEC §3); `plan` reads the excluded numbers.
pub(super) fn exceptions(
    v: &mut Validator<'_>,
    x: &RawExceptions,
    plan: &NumberPlan,
) -> Exceptions {
    let d = Exceptions::default();
    let min_ring_seconds = v.int(
        "exceptions.min_ring_seconds",
        &x.min_ring_seconds,
        d.min_ring_seconds as i64,
        0..=i64::MAX,
        "expected 0 or more seconds",
    ) as u64;
    let mut excluded_numbers = Vec::new();
    for p in x.excluded_numbers.iter().flatten() {
        match NumberPattern::parse(plan, p.get_ref()) {
            Ok(pat) => excluded_numbers.push(pat),
            Err(e) => v.err("exceptions.excluded_numbers", Some(p.span()), e.to_string()),
        }
    }
    Exceptions {
        internal: x.internal.unwrap_or(d.internal),
        hidden_number: x.hidden_number.unwrap_or(d.hidden_number),
        no_contact: x.no_contact.unwrap_or(d.no_contact),
        short_ring: x.short_ring.unwrap_or(d.short_ring),
        min_ring_seconds,
        repeated_same_day: x.repeated_same_day.unwrap_or(d.repeated_same_day),
        repeated_until_logon: x.repeated_until_logon.unwrap_or(d.repeated_until_logon),
        excluded_numbers,
        voicemail: x.voicemail.unwrap_or(d.voicemail),
        called_back: x.called_back.unwrap_or(d.called_back),
    }
}

/// `[directory]` (SPEC §1.3): the users file, the contacts files, the logons file.
pub(super) fn directory(
    v: &mut Validator<'_>,
    d: &RawDirectory,
) -> (PathBuf, Vec<PathBuf>, Option<PathBuf>) {
    let users = v.rel(
        d.users
            .as_ref()
            .map_or(defaults::USERS, |s| s.get_ref().as_str()),
    );
    v.place("directory.users", d.users.as_ref());
    v.place("directory.contacts", d.contacts.as_ref());
    v.place("directory.logons", d.logons.as_ref());
    let contacts = match d.contacts.as_ref().map(Spanned::get_ref) {
        None => Vec::new(),
        Some(StringOrList::One(s)) => vec![v.rel(s)],
        Some(StringOrList::Many(list)) => list.iter().map(|s| v.rel(s)).collect(),
    };
    (users, contacts, v.rel_opt(&d.logons))
}

/// `[mail] from`.
pub(super) fn mail_from(v: &mut Validator<'_>, m: &RawMail) -> String {
    let from = m
        .from
        .as_ref()
        .map_or(defaults::FROM, |s| s.get_ref().as_str())
        .to_string();
    if from.contains(['\r', '\n']) || !from.contains('@') {
        let at = m.from.as_ref().map(Spanned::span);
        let message =
            format!("{from:?}: expected an address like \"Telephone system <pbx@example.com>\"");
        v.err("mail.from", at, message);
    }
    from
}

/// `[mail] transport` and `sendmail_command`.
pub(super) fn mail_transport(v: &mut Validator<'_>, m: &RawMail) -> Transport {
    #[derive(Clone, Copy)]
    enum Kind {
        Smtp,
        Sendmail,
    }
    let kind = v.choose(
        "mail.transport",
        &m.transport,
        Kind::Smtp,
        &[("smtp", Kind::Smtp), ("sendmail", Kind::Sendmail)],
        "expected \"smtp\" or \"sendmail\"",
    );
    match kind {
        Kind::Smtp => Transport::Smtp,
        Kind::Sendmail => Transport::Sendmail(PathBuf::from(
            m.sendmail_command
                .as_ref()
                .map_or(defaults::SENDMAIL, |s| s.get_ref().as_str()),
        )),
    }
}

/// `[smtp]`, when the section is there.
pub(super) fn smtp(v: &mut Validator<'_>, s: &RawSmtp) -> Smtp {
    let tls = v.choose(
        "smtp.tls",
        &s.tls,
        Tls::StartTls,
        &[
            ("starttls", Tls::StartTls),
            ("tls", Tls::Tls),
            ("none", Tls::None),
        ],
        "expected starttls, tls or none",
    );
    let port = v.int(
        "smtp.port",
        &s.port,
        tls.default_port().into(),
        1..=65535,
        "expected 1 to 65535",
    );
    let host = s
        .host
        .as_ref()
        .map(|h| h.get_ref().clone())
        .unwrap_or_default();
    if host.trim().is_empty() {
        let at = s.host.as_ref().map(Spanned::span);
        v.err(
            "smtp.host",
            at,
            "missing: expected the mail server's host name".into(),
        );
    }
    let text = |x: &Value<String>| x.as_ref().map(|s| s.get_ref().clone());
    let credential = text(&s.password_credential);
    let credential_at = s.password_credential.as_ref().map(Spanned::span);
    if let Some(name) = &credential {
        if name.is_empty() || name.contains(['/', '\0']) || name == "." || name == ".." {
            v.err(
                "smtp.password_credential",
                credential_at.clone(),
                format!("{name:?}: expected a credential name like \"smtp-password\" (as in LoadCredential=smtp-password:/etc/unanswered/smtp-password)"),
            );
        }
    }
    let password_keys = [&s.password_env, &s.password_file, &s.password_credential];
    if password_keys.iter().filter(|k| k.is_some()).count() > 1 {
        let at = password_keys
            .iter()
            .rev()
            .find_map(|k| k.as_ref().map(Spanned::span));
        v.err(
            "smtp.password_credential",
            at,
            "give only one of password_env, password_file, password_credential".into(),
        );
    }
    let timeout = s.timeout_seconds.as_ref().map(|t| *t.get_ref());
    let max_run_seconds = v.int(
        "smtp.max_run_seconds",
        &s.max_run_seconds,
        defaults::SMTP_MAX_RUN_SECONDS,
        1..=86400,
        "expected 1 to 86400 seconds",
    ) as u64;
    Smtp {
        host,
        port: port as u16,
        tls,
        username: text(&s.username),
        password_env: text(&s.password_env),
        password_file: v.rel_opt(&s.password_file),
        password_credential: credential,
        timeout_seconds: timeout.unwrap_or(defaults::SMTP_TIMEOUT_SECONDS).max(1) as u64,
        max_run_seconds,
        ca_file: v.rel_opt(&s.ca_file),
    }
}

/// `[state]`: its path and how long a run waits for another one's lock.
pub(super) fn state(v: &mut Validator<'_>, s: &RawState) -> (PathBuf, u64) {
    let lock_wait_seconds = v.int(
        "state.lock_wait_seconds",
        &s.lock_wait_seconds,
        defaults::LOCK_WAIT_SECONDS,
        0..=86400,
        "expected 0 to 86400 seconds",
    ) as u64;
    let path = v.rel(
        s.path
            .as_ref()
            .map_or(defaults::STATE, |p| p.get_ref().as_str()),
    );
    (path, lock_wait_seconds)
}
