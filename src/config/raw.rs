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
    pub(crate) time_zone: Value<String>,
    pub(crate) language: Value<String>,
    pub(crate) mode: Value<String>,
    pub(crate) encoding: Value<String>,
    pub(crate) templates: Value<String>,
    pub(crate) languages: Value<String>,
    pub(crate) numbers: RawNumbers,
    pub(crate) directory: RawDirectory,
    pub(crate) notify: RawNotify,
    pub(crate) exceptions: RawExceptions,
    pub(crate) mail: RawMail,
    pub(crate) smtp: Option<RawSmtp>,
    pub(crate) state: RawState,
    pub(crate) asterisk: RawAsterisk,
    pub(crate) report: RawReport,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct RawNumbers {
    pub(crate) country_code: Value<Digits>,
    pub(crate) area_code: Value<Digits>,
    pub(crate) pbx_number: Value<Digits>,
    pub(crate) outside_line_prefix: Value<Digits>,
    pub(crate) national_prefix: Value<Digits>,
    pub(crate) international_prefix: Value<Digits>,
    pub(crate) internal_max_digits: Value<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct RawDirectory {
    pub(crate) users: Value<String>,
    pub(crate) contacts: Value<StringOrList>,
    pub(crate) logons: Value<String>,
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
    pub(crate) recipients: Value<String>,
    pub(crate) even_if_answered_elsewhere: Option<bool>,
    pub(crate) caller_as_sender: Value<BoolOrString>,
    pub(crate) attach_vcard: Option<bool>,
    pub(crate) link_prefix: Value<String>,
    pub(crate) settle_seconds: Value<i64>,
    pub(crate) max_age_hours: Value<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct RawExceptions {
    pub(crate) internal: Option<bool>,
    pub(crate) hidden_number: Option<bool>,
    pub(crate) no_contact: Option<bool>,
    pub(crate) short_ring: Option<bool>,
    pub(crate) min_ring_seconds: Value<i64>,
    pub(crate) repeated_same_day: Option<bool>,
    pub(crate) repeated_until_logon: Option<bool>,
    pub(crate) excluded_numbers: Option<Vec<Spanned<String>>>,
    pub(crate) voicemail: Option<bool>,
    pub(crate) called_back: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct RawMail {
    pub(crate) from: Value<String>,
    pub(crate) transport: Value<String>,
    pub(crate) sendmail_command: Value<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct RawSmtp {
    pub(crate) host: Value<String>,
    pub(crate) port: Value<i64>,
    pub(crate) tls: Value<String>,
    pub(crate) username: Value<String>,
    pub(crate) password_env: Value<String>,
    pub(crate) password_file: Value<String>,
    pub(crate) password_credential: Value<String>,
    pub(crate) timeout_seconds: Value<i64>,
    pub(crate) max_run_seconds: Value<i64>,
    pub(crate) ca_file: Value<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct RawState {
    pub(crate) path: Value<String>,
    pub(crate) lock_wait_seconds: Value<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct RawReport {
    pub(crate) summary_json: Value<String>,
    pub(crate) metrics: Value<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct RawAsterisk {
    pub(crate) columns: Option<Vec<String>>,
}
