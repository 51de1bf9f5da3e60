//! Delivery: the mails of a run go to standard output (`--dry-run`, an mbox stream), into a
//! folder as `.eml` files (`--out`), or to the mail server.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use lettre::address::Envelope;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{
    Certificate, SmtpConnection, Tls as LettreTls, TlsParameters,
};
use lettre::transport::smtp::commands::{Data, Mail, Rcpt, Rset};
use lettre::transport::smtp::extension::{ClientId, MailBodyParameter, MailParameter};
use lettre::{SendmailTransport, Transport as _};

use crate::config::{Config, Smtp, Tls, Transport as TransportKind};

/// Writes a mail to an mbox stream (mboxrd quoting), which mail clients open.
pub fn write_mbox(
    out: &mut dyn Write,
    m: &crate::render::Outgoing,
    now: jiff::Timestamp,
) -> std::io::Result<()> {
    let stamp = now
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .strftime("%a %b %e %H:%M:%S %Y")
        .to_string();
    writeln!(out, "From unanswered@localhost {stamp}")?;
    let text = String::from_utf8_lossy(&m.bytes).replace("\r\n", "\n");
    for line in text.split_terminator('\n') {
        if line.trim_start_matches('>').starts_with("From ") {
            out.write_all(b">")?;
        }
        writeln!(out, "{line}")?;
    }
    writeln!(out)
}

/// Writes a mail for a person at a terminal: recipient, subject and Message-ID as plain text,
/// then the mail's text part (what `--dry-run` shows as quoted-printable MIME).
pub fn write_readable(out: &mut dyn Write, m: &crate::render::Outgoing) -> std::io::Result<()> {
    let rule = "=".repeat(72);
    writeln!(out, "{rule}")?;
    writeln!(out, "To:         {} (user {})", m.email, m.user)?;
    writeln!(out, "Subject:    {}", m.subject)?;
    writeln!(out, "Message-ID: {}", m.message_id)?;
    writeln!(out, "{}", "-".repeat(72))?;
    let text = m.text.replace("\r\n", "\n");
    out.write_all(text.trim_end().as_bytes())?;
    writeln!(out)?;
    writeln!(out)
}

/// Writes a mail's HTML and text parts as `<user>.html` / `<user>.txt` for a browser (the
/// second mail of a user as `<user>-2.html`, …); `seen` counts the mails per user.
pub fn write_preview(
    dir: &Path,
    m: &crate::render::Outgoing,
    seen: &mut std::collections::HashMap<String, usize>,
) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: cannot create: {e}", dir.display()))?;
    let n = seen.entry(m.user.clone()).or_insert(0);
    *n += 1;
    let base = eml_name_of(&m.user, "")
        .trim_end_matches("-.eml")
        .to_string();
    let base = if *n > 1 { format!("{base}-{n}") } else { base };
    for (ext, body) in [(".html", &m.html), (".txt", &m.text)] {
        let path = dir.join(format!("{base}{ext}"));
        std::fs::write(&path, body)
            .map_err(|e| format!("{}: cannot write: {e}", path.display()))?;
    }
    Ok(())
}

/// The stable file name of a mail: the user and the Message-ID's hash.
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

/// One mail to deliver: the envelope (recipient, and whose and which mail it is, for file
/// names and messages) and the message as made. Delivery knows nothing of the state.
pub struct Message<'a> {
    pub user: &'a str,
    pub message_id: &'a str,
    /// The envelope recipient.
    pub email: &'a str,
    pub bytes: &'a [u8],
}

/// Where mails go. Modelled on lettre's `Transport::send_raw`: one mail at a time, envelope
/// and raw bytes.
pub trait Deliver {
    fn deliver(&mut self, mail: &Message<'_>) -> Result<(), SendError>;
    /// What the server answered to the last mail it accepted (`250 …`), where there is one.
    fn last_reply(&self) -> Option<String> {
        None
    }
}

/// SMTP on one connection kept open for the whole run (reconnected when it breaks), built on
/// lettre's low-level `SmtpConnection`: TLS (STARTTLS or implicit), AUTH, and the message body
/// written in a single write.
///
/// Why not `SmtpTransport::send_raw`: lettre 0.11.23 writes the body and the closing
/// `.` line in two writes without TCP_NODELAY, so every mail waits for the server's delayed
/// ACK (about 40 ms on Linux): 1,000 mails took 44 s on loopback. One write: no wait.
pub struct SmtpDeliver {
    host: String,
    port: u16,
    tls: LettreTls,
    credentials: Option<Credentials>,
    timeout: Duration,
    hello: ClientId,
    from: lettre::Address,
    conn: Option<SmtpConnection>,
    last_reply: Option<String>,
}

/// A transport the configuration asks for that cannot be set up. Each names the key, not the
/// file (the caller adds the file); `check` reports every one, `run` stops at them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SetupError {
    #[error("key `smtp.password_env`: the environment variable {var} is not set")]
    PasswordEnvUnset { var: String },
    #[error("key `smtp.password_file`: {}: {reason}", file.display())]
    PasswordFile { file: PathBuf, reason: String },
    #[error("key `smtp.password_credential`: {}: {reason}", file.display())]
    PasswordCredential { file: PathBuf, reason: String },
    #[error("key `smtp.password_credential`: $CREDENTIALS_DIRECTORY is not set: systemd sets it for a unit with LoadCredential={name}:/path/to/password-file (outside systemd use password_file)")]
    NoCredentialsDirectory { name: String },
    #[error("key `smtp.username` is set, but none of `password_env`, `password_file`, `password_credential`")]
    NoPassword,
    #[error("key `smtp.ca_file`: {}: {reason}", file.display())]
    CaFile { file: PathBuf, reason: String },
    #[error("TLS setup: {0}")]
    Tls(String),
    #[error("no [smtp] section: configure the mail server, or use --dry-run or --out DIR")]
    NoSmtp,
}

impl SetupError {
    /// Nothing can be sent: a usage error.
    pub fn exit_code(&self) -> crate::exit_codes::ExitCode {
        crate::exit_codes::ExitCode::Fatal
    }
}

fn read_password(s: &Smtp) -> Result<Option<String>, SetupError> {
    if let Some(var) = &s.password_env {
        return match std::env::var(var) {
            Ok(p) => Ok(Some(p)),
            Err(_) => Err(SetupError::PasswordEnvUnset { var: var.clone() }),
        };
    }
    // a password file: the line end after it does not count
    let read = |file: &Path| {
        std::fs::read_to_string(file)
            .map(|p| Some(p.trim_end_matches(['\r', '\n']).to_string()))
            .map_err(|e| (file.to_path_buf(), e.to_string()))
    };
    if let Some(file) = &s.password_file {
        return read(file).map_err(|(file, reason)| SetupError::PasswordFile { file, reason });
    }
    if let Some(name) = &s.password_credential {
        // systemd's LoadCredential=: the service sees the file in $CREDENTIALS_DIRECTORY
        let Some(dir) = std::env::var_os("CREDENTIALS_DIRECTORY").filter(|d| !d.is_empty()) else {
            return Err(SetupError::NoCredentialsDirectory { name: name.clone() });
        };
        return read(&Path::new(&dir).join(name))
            .map_err(|(file, reason)| SetupError::PasswordCredential { file, reason });
    }
    Ok(None)
}

/// The message as the DATA phase sends it: dot-stuffed, CRLF line ends, closing `.` line.
pub fn data_phase(message: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(message.len() + 64);
    let mut at_line_start = true;
    let mut prev = 0u8;
    for &b in message {
        if b == b'\n' && prev != b'\r' {
            out.push(b'\r');
        }
        if at_line_start && b == b'.' {
            out.push(b'.');
        }
        out.push(b);
        at_line_start = b == b'\n';
        prev = b;
    }
    if !out.ends_with(b"\r\n") {
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b".\r\n");
    out
}

/// Sends bytes as a "command": lettre writes a command in one write, then reads the reply.
struct RawData(String);

impl std::fmt::Display for RawData {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn classify(e: lettre::transport::smtp::Error) -> SendError {
    let words = e.to_string();
    if e.is_permanent() {
        SendError::Permanent(words)
    } else {
        SendError::Transient(words)
    }
}

impl SmtpDeliver {
    pub fn new(s: &Smtp, from: lettre::Address) -> Result<SmtpDeliver, Vec<SetupError>> {
        let tls_params = || -> Result<TlsParameters, SetupError> {
            let mut b = TlsParameters::builder(s.host.clone());
            if let Some(ca) = &s.ca_file {
                let ca_error = |reason: String| SetupError::CaFile {
                    file: ca.clone(),
                    reason,
                };
                let pem = std::fs::read(ca).map_err(|e| ca_error(e.to_string()))?;
                let cert = Certificate::from_pem(&pem).map_err(|e| ca_error(e.to_string()))?;
                b = b.add_root_certificate(cert);
            }
            b.build_rustls().map_err(|e| SetupError::Tls(e.to_string()))
        };
        let tls = match s.tls {
            Tls::None => Ok(LettreTls::None),
            Tls::StartTls => tls_params().map(LettreTls::Required),
            Tls::Tls => tls_params().map(LettreTls::Wrapper),
        };
        let credentials = match &s.username {
            Some(user) => read_password(s).and_then(|p| {
                p.map(|p| Some(Credentials::new(user.clone(), p)))
                    .ok_or(SetupError::NoPassword)
            }),
            None => Ok(None),
        };
        // both problems at once, so `check` names every one
        let (tls, credentials) = match (tls, credentials) {
            (Ok(t), Ok(c)) => (t, c),
            (t, c) => return Err([t.err(), c.err()].into_iter().flatten().collect()),
        };
        Ok(SmtpDeliver {
            host: s.host.clone(),
            port: s.port,
            tls,
            credentials,
            timeout: Duration::from_secs(s.timeout_seconds),
            hello: ClientId::default(),
            from,
            conn: None,
            last_reply: None,
        })
    }

    fn connect(&self) -> Result<SmtpConnection, lettre::transport::smtp::Error> {
        let wrapper = match &self.tls {
            LettreTls::Wrapper(p) => Some(p),
            _ => None,
        };
        let mut conn = SmtpConnection::connect(
            (self.host.as_str(), self.port),
            Some(self.timeout),
            &self.hello,
            wrapper,
            None,
        )?;
        if let LettreTls::Required(p) = &self.tls {
            conn.starttls(p, &self.hello)?;
        }
        if let Some(c) = &self.credentials {
            conn.auth(&[Mechanism::Plain, Mechanism::Login], c)?;
        }
        Ok(conn)
    }

    fn transaction(
        conn: &mut SmtpConnection,
        from: &lettre::Address,
        to: lettre::Address,
        body: &[u8],
    ) -> Result<lettre::transport::smtp::response::Response, lettre::transport::smtp::Error> {
        let mut options = Vec::new();
        if !body.is_ascii() {
            options.push(MailParameter::Body(MailBodyParameter::EightBitMime));
        }
        conn.command(Mail::new(Some(from.clone()), options))?;
        conn.command(Rcpt::new(to, vec![]))?;
        conn.command(Data)?;
        let data = String::from_utf8_lossy(&data_phase(body)).into_owned();
        conn.command(RawData(data))
    }
}

impl Deliver for SmtpDeliver {
    fn last_reply(&self) -> Option<String> {
        self.last_reply.clone()
    }

    fn deliver(&mut self, mail: &Message<'_>) -> Result<(), SendError> {
        let to: lettre::Address = mail.email.parse().map_err(|e| {
            SendError::Permanent(format!("{:?} is not a mail address: {e}", mail.email))
        })?;
        if self.conn.as_ref().is_none_or(|c| c.has_broken()) {
            self.conn = Some(self.connect().map_err(|e| {
                // a server that cannot be reached or refuses us: the mail waits for the next run
                SendError::Transient(format!("{}:{}: {e}", self.host, self.port))
            })?);
        }
        let conn = self.conn.as_mut().expect("connected");
        match Self::transaction(conn, &self.from, to, mail.bytes) {
            Ok(reply) => {
                let words: Vec<&str> = reply.message().collect();
                self.last_reply = Some(format!("{} {}", reply.code(), words.join(" ")));
                Ok(())
            }
            Err(e) => {
                let answered = e.is_permanent() || e.is_transient();
                let err = classify(e);
                if answered {
                    // the server answered: the session goes on after a reset
                    if conn.command(Rset).is_err() {
                        self.conn = None;
                    }
                } else {
                    // the connection broke: reconnect for the next mail
                    self.conn = None;
                }
                Err(err)
            }
        }
    }
}

impl SmtpDeliver {
    /// Where this transport connects, for messages: `host:port (tls)`.
    pub fn describe(s: &Smtp) -> String {
        let tls = match s.tls {
            Tls::StartTls => "starttls",
            Tls::Tls => "tls",
            Tls::None => "none",
        };
        format!("{}:{} (tls = \"{tls}\")", s.host, s.port)
    }
}

impl Drop for SmtpDeliver {
    fn drop(&mut self) {
        if let Some(mut c) = self.conn.take() {
            let _ = c.quit();
        }
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

fn envelope(from: &lettre::Address, to: &str) -> Result<Envelope, SendError> {
    let to: lettre::Address = to
        .parse()
        .map_err(|e| SendError::Permanent(format!("{to:?} is not a mail address: {e}")))?;
    Envelope::new(Some(from.clone()), vec![to]).map_err(|e| SendError::Permanent(e.to_string()))
}

impl Deliver for SendmailDeliver {
    fn deliver(&mut self, mail: &Message<'_>) -> Result<(), SendError> {
        let env = envelope(&self.from, mail.email)?;
        // sendmail's refusals carry no SMTP code: try again next run
        self.transport
            .send_raw(&env, mail.bytes)
            .map_err(|e| SendError::Transient(format!("sendmail: {e}")))
    }
}

/// `--out DIR`: the "server" is a folder.
pub struct DirDeliver {
    pub dir: PathBuf,
}

impl Deliver for DirDeliver {
    fn deliver(&mut self, mail: &Message<'_>) -> Result<(), SendError> {
        let name = eml_name_of(mail.user, mail.message_id);
        std::fs::create_dir_all(&self.dir).map_err(|e| {
            SendError::Transient(format!("{}: cannot create: {e}", self.dir.display()))
        })?;
        let path = self.dir.join(&name);
        let tmp = self.dir.join(format!(".{name}.tmp"));
        std::fs::write(&tmp, mail.bytes)
            .and_then(|_| std::fs::rename(&tmp, &path))
            .map_err(|e| SendError::Transient(format!("{}: cannot write: {e}", path.display())))
    }
}

/// The transport the configuration asks for; every problem, each naming the key.
pub fn transport_for(
    config: &Config,
    from: lettre::Address,
) -> Result<Box<dyn Deliver>, Vec<SetupError>> {
    match &config.transport {
        TransportKind::Sendmail(cmd) => Ok(Box::new(SendmailDeliver::new(cmd, from))),
        TransportKind::Smtp => match &config.smtp {
            Some(s) => Ok(Box::new(SmtpDeliver::new(s, from)?)),
            None => Err(vec![SetupError::NoSmtp]),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_phase_stuffs_dots_and_ends_with_the_dot_line() {
        assert_eq!(
            data_phase(b"a\r\n.b\r\n..c\r\n"),
            b"a\r\n..b\r\n...c\r\n.\r\n"
        );
        assert_eq!(data_phase(b".\nx"), b"..\r\nx\r\n.\r\n");
        assert_eq!(data_phase(b""), b"\r\n.\r\n");
    }
}
