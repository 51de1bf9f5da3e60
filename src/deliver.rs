//! Delivery: the mails of a run go to standard output (`--dry-run`, an mbox stream), into a
//! folder as `.eml` files (`--out`), or to the mail server.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use lettre::address::Envelope;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls as LettreTls, TlsParameters};
use lettre::transport::smtp::PoolConfig;
use lettre::{SendmailTransport, SmtpTransport, Transport as _};

use crate::config::{Config, Smtp, Tls, Transport as TransportKind};
use crate::state::OutboxMail;

/// Writes mails as an mbox stream (mboxrd quoting), which mail clients open.
pub fn write_mbox(
    out: &mut dyn Write,
    mails: &[crate::render::Outgoing],
    now: jiff::Timestamp,
) -> std::io::Result<()> {
    let stamp = now
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .strftime("%a %b %e %H:%M:%S %Y")
        .to_string();
    for m in mails {
        writeln!(out, "From unanswered@localhost {stamp}")?;
        let text = String::from_utf8_lossy(&m.bytes).replace("\r\n", "\n");
        for line in text.split_terminator('\n') {
            if line.trim_start_matches('>').starts_with("From ") {
                out.write_all(b">")?;
            }
            writeln!(out, "{line}")?;
        }
        writeln!(out)?;
    }
    Ok(())
}

/// The stable file name of a mail: the user and the Message-ID's hash.
pub fn eml_name(m: &crate::render::Outgoing) -> String {
    eml_name_of(&m.user, &m.message_id)
}

fn eml_name_of(user: &str, message_id: &str) -> String {
    let user: String = user
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .take(40)
        .collect();
    let hash = message_id
        .trim_start_matches('<')
        .split('.')
        .next()
        .unwrap_or("mail");
    format!("{user}-{}.eml", &hash[..hash.len().min(16)])
}

/// Why a mail was not delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendError {
    /// Try again later (4xx, connection refused or dropped, timeout).
    Transient(String),
    /// The server said no for good (5xx).
    Permanent(String),
}

/// Where mails go. Modelled on lettre's `Transport`: one mail at a time, raw bytes.
pub trait Deliver {
    fn deliver(&mut self, mail: &OutboxMail) -> Result<(), SendError>;
}

/// SMTP through lettre (pooled connection, TLS, AUTH).
pub struct SmtpDeliver {
    transport: SmtpTransport,
    from: lettre::Address,
}

fn read_password(s: &Smtp) -> Result<Option<String>, String> {
    if let Some(var) = &s.password_env {
        return match std::env::var(var) {
            Ok(p) => Ok(Some(p)),
            Err(_) => Err(format!(
                "key `smtp.password_env`: the environment variable {var} is not set"
            )),
        };
    }
    if let Some(file) = &s.password_file {
        return std::fs::read_to_string(file)
            .map(|p| Some(p.trim_end_matches(['\r', '\n']).to_string()))
            .map_err(|e| format!("key `smtp.password_file`: {}: {e}", file.display()));
    }
    Ok(None)
}

impl SmtpDeliver {
    pub fn new(s: &Smtp, from: lettre::Address) -> Result<SmtpDeliver, String> {
        let tls_params = || -> Result<TlsParameters, String> {
            let mut b = TlsParameters::builder(s.host.clone());
            if let Some(ca) = &s.ca_file {
                let pem = std::fs::read(ca)
                    .map_err(|e| format!("key `smtp.ca_file`: {}: {e}", ca.display()))?;
                let cert = Certificate::from_pem(&pem)
                    .map_err(|e| format!("key `smtp.ca_file`: {}: {e}", ca.display()))?;
                b = b.add_root_certificate(cert);
            }
            b.build_rustls().map_err(|e| format!("TLS setup: {e}"))
        };
        let tls = match s.tls {
            Tls::None => LettreTls::None,
            Tls::StartTls => LettreTls::Required(tls_params()?),
            Tls::Tls => LettreTls::Wrapper(tls_params()?),
        };
        let mut b = SmtpTransport::builder_dangerous(s.host.clone())
            .port(s.port)
            .tls(tls)
            .timeout(Some(Duration::from_secs(s.timeout_seconds)))
            .pool_config(PoolConfig::new().max_size(1));
        if let Some(user) = &s.username {
            let password = read_password(s)?.ok_or_else(|| {
                "key `smtp.username` is set, but neither `password_env` nor `password_file`"
                    .to_string()
            })?;
            b = b.credentials(Credentials::new(user.clone(), password));
        }
        Ok(SmtpDeliver {
            transport: b.build(),
            from,
        })
    }
}

fn envelope(from: &lettre::Address, to: &str) -> Result<Envelope, SendError> {
    let to: lettre::Address = to
        .parse()
        .map_err(|e| SendError::Permanent(format!("{to:?} is not a mail address: {e}")))?;
    Envelope::new(Some(from.clone()), vec![to]).map_err(|e| SendError::Permanent(e.to_string()))
}

impl Deliver for SmtpDeliver {
    fn deliver(&mut self, mail: &OutboxMail) -> Result<(), SendError> {
        let env = envelope(&self.from, &mail.email)?;
        self.transport
            .send_raw(&env, &mail.bytes)
            .map(|_| ())
            .map_err(|e| {
                let words = e.to_string();
                if e.is_permanent() {
                    SendError::Permanent(words)
                } else {
                    SendError::Transient(words)
                }
            })
    }
}

/// The local `sendmail` program.
pub struct SendmailDeliver {
    transport: SendmailTransport,
    from: lettre::Address,
}

impl SendmailDeliver {
    pub fn new(command: &Path, from: lettre::Address) -> SendmailDeliver {
        SendmailDeliver {
            transport: SendmailTransport::new_with_command(command.as_os_str()),
            from,
        }
    }
}

impl Deliver for SendmailDeliver {
    fn deliver(&mut self, mail: &OutboxMail) -> Result<(), SendError> {
        let env = envelope(&self.from, &mail.email)?;
        // sendmail's refusals carry no SMTP code: try again next run
        self.transport
            .send_raw(&env, &mail.bytes)
            .map_err(|e| SendError::Transient(format!("sendmail: {e}")))
    }
}

/// `--out DIR`: the "server" is a folder.
pub struct DirDeliver {
    pub dir: PathBuf,
}

impl Deliver for DirDeliver {
    fn deliver(&mut self, mail: &OutboxMail) -> Result<(), SendError> {
        let name = eml_name_of(&mail.user, &mail.message_id);
        std::fs::create_dir_all(&self.dir).map_err(|e| {
            SendError::Transient(format!("{}: cannot create: {e}", self.dir.display()))
        })?;
        let path = self.dir.join(&name);
        let tmp = self.dir.join(format!(".{name}.tmp"));
        std::fs::write(&tmp, &mail.bytes)
            .and_then(|_| std::fs::rename(&tmp, &path))
            .map_err(|e| SendError::Transient(format!("{}: cannot write: {e}", path.display())))
    }
}

/// The transport the configuration asks for.
pub fn transport_for(config: &Config, from: lettre::Address) -> Result<Box<dyn Deliver>, String> {
    match &config.transport {
        TransportKind::Sendmail(cmd) => Ok(Box::new(SendmailDeliver::new(cmd, from))),
        TransportKind::Smtp => match &config.smtp {
            Some(s) => Ok(Box::new(SmtpDeliver::new(s, from)?)),
            None => Err(format!(
                "{}: no [smtp] section: configure the mail server, or use --dry-run or --out DIR",
                config.path.display()
            )),
        },
    }
}
