//! The configuration as written (SPEC §5): every key optional, every value with its place in
//! the file (a [`Spanned`] value), so that a validator can name the line. Unknown keys are
//! errors (`deny_unknown_fields`) that name them. No defaults and no checks here: those are
//! in [`super::validate`].

use serde::Deserialize;
use toml::Spanned;

/// A value as written, with its byte range in the file.
pub(crate) type Value<T> = Option<Spanned<T>>;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct Raw {
    pub time_zone: Value<String>,
    pub language: Value<String>,
    pub mode: Value<String>,
    pub encoding: Value<String>,
    pub templates: Value<String>,
    pub languages: Value<String>,
    pub numbers: RawNumbers,
    pub directory: RawDirectory,
    pub notify: RawNotify,
    pub exceptions: RawExceptions,
    pub mail: RawMail,
    pub smtp: Option<RawSmtp>,
    pub state: RawState,
    pub asterisk: RawAsterisk,
    pub report: RawReport,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct RawNumbers {
    pub country_code: Value<Digits>,
    pub area_code: Value<Digits>,
    pub pbx_number: Value<Digits>,
    pub outside_line_prefix: Value<Digits>,
    pub national_prefix: Value<Digits>,
    pub international_prefix: Value<Digits>,
    pub internal_max_digits: Value<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct RawDirectory {
    pub users: Value<String>,
    pub contacts: Value<StringOrList>,
    pub logons: Value<String>,
}

/// A number that is a string of digits (`country_code = "49"`), also when written as a TOML
/// integer (`country_code = 49`, the natural way to write it). Checked in the validator.
#[derive(Debug, Clone)]
pub(crate) struct Digits(pub String);

impl<'de> Deserialize<'de> for Digits {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit;
        impl serde::de::Visitor<'_> for Visit {
            type Value = Digits;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("digits, as text (\"49\") or a whole number (49)")
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Digits, E> {
                Ok(Digits(s.to_string()))
            }
            fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<Digits, E> {
                Ok(Digits(n.to_string()))
            }
            fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<Digits, E> {
                Ok(Digits(n.to_string()))
            }
        }
        d.deserialize_any(Visit)
    }
}

/// `caller_as_sender = true` or `caller_as_sender = "reply-to"`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(crate) enum BoolOrString {
    Bool(bool),
    String(String),
}

/// `contacts = "a.vcf"` or `contacts = ["a.csv", "b.vcf"]`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(crate) enum StringOrList {
    One(String),
    Many(Vec<String>),
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct RawNotify {
    pub recipients: Value<String>,
    pub even_if_answered_elsewhere: Option<bool>,
    pub caller_as_sender: Value<BoolOrString>,
    pub attach_vcard: Option<bool>,
    pub link_prefix: Value<String>,
    pub settle_seconds: Value<i64>,
    pub max_age_hours: Value<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct RawExceptions {
    pub internal: Option<bool>,
    pub hidden_number: Option<bool>,
    pub no_contact: Option<bool>,
    pub short_ring: Option<bool>,
    pub min_ring_seconds: Value<i64>,
    pub repeated_same_day: Option<bool>,
    pub repeated_until_logon: Option<bool>,
    pub excluded_numbers: Option<Vec<Spanned<String>>>,
    pub voicemail: Option<bool>,
    pub called_back: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct RawMail {
    pub from: Value<String>,
    pub transport: Value<String>,
    pub sendmail_command: Value<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct RawSmtp {
    pub host: Value<String>,
    pub port: Value<i64>,
    pub tls: Value<String>,
    pub username: Value<String>,
    pub password_env: Value<String>,
    pub password_file: Value<String>,
    pub password_credential: Value<String>,
    pub timeout_seconds: Value<i64>,
    pub max_run_seconds: Value<i64>,
    pub ca_file: Value<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct RawState {
    pub path: Value<String>,
    pub lock_wait_seconds: Value<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct RawReport {
    pub summary_json: Value<String>,
    pub metrics: Value<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct RawAsterisk {
    pub columns: Option<Vec<String>>,
}
