//! Delivery: the mails of a run go to standard output (`--dry-run`, an mbox stream), into a
//! folder as `.eml` files (`--out`), or to the mail server.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use lettre::address::Envelope;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{
    Certificate, SmtpConnection, Tls as LettreTls, TlsParameters,
};
use lettre::transport::smtp::commands::{Data, Mail, Rcpt, Rset};
use lettre::transport::smtp::extension::{ClientId, Extension, MailBodyParameter, MailParameter};
use lettre::{SendmailTransport, Transport as _};

use crate::config::{Config, Smtp, Tls, Transport as TransportKind};

/// Writes a mail to an mbox stream (mboxrd quoting), which mail clients open.
pub(crate) fn write_mbox(
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
pub(crate) fn write_readable(
    out: &mut dyn Write,
    m: &crate::render::Outgoing,
) -> std::io::Result<()> {
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

/// A file, folder or stream the program writes that could not be written: mails shown
/// (`--preview`, where it does not end the command: the run stops showing mails, says why and
/// ends with exit code 1), and the files of `init` and `generate` (where it does, through
/// [`crate::error::Error::Write`]).
#[derive(Debug, thiserror::Error)]
pub(crate) enum WriteError {
    #[error("{}: cannot create: {source}", dir.display())]
    CreateDir {
        dir: PathBuf,
        source: std::io::Error,
    },
    /// The folder exists but its full path cannot be found.
    #[error("{}: {source}", dir.display())]
    Resolve {
        dir: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: cannot write: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: cannot write the man pages: {source}", dir.display())]
    ManPages {
        dir: PathBuf,
        source: std::io::Error,
    },
    #[error("standard output: {0}")]
    Stdout(std::io::Error),
}

/// Writes a mail's HTML and text parts as `<user>.html` / `<user>.txt` for a browser (the
/// second mail of a user as `<user>-2.html`, …); `seen` counts the mails per user.
pub(crate) fn write_preview(
    dir: &Path,
    m: &crate::render::Outgoing,
    seen: &mut std::collections::HashMap<String, usize>,
) -> Result<(), WriteError> {
    std::fs::create_dir_all(dir).map_err(|source| WriteError::CreateDir {
        dir: dir.to_path_buf(),
        source,
    })?;
    let n = seen.entry(m.user.clone()).or_insert(0);
    *n += 1;
    let base = eml_name_of(&m.user, "")
        .trim_end_matches("-.eml")
        .to_string();
    let base = if *n > 1 { format!("{base}-{n}") } else { base };
    for (ext, body) in [(".html", &m.html), (".txt", &m.text)] {
        let path = dir.join(format!("{base}{ext}"));
        write_private(&path, body.as_bytes())
            .map_err(|source| WriteError::Write { path, source })?;
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
pub(crate) enum SendError {
    /// Try again later (4xx, connection refused or dropped, timeout).
    Transient(String),
    /// The server said no for good (5xx).
    Permanent(String),
    /// Delivery ends for this run: this mail and every one after it stay queued, untouched,
    /// for the next run (a refused login, a server set up unlike the configuration, a
    /// timeout, `[smtp] max_run_seconds` spent, a server that cannot be reached).
    Stop(String),
}

/// One mail to deliver: the envelope (recipient, and whose and which mail it is, for file
/// names and messages) and the message as made. Delivery knows nothing of the state.
pub(crate) struct Message<'a> {
    pub(crate) user: &'a str,
    pub(crate) message_id: &'a str,
    /// The envelope recipient.
    pub(crate) email: &'a str,
    pub(crate) bytes: &'a [u8],
}

/// Where mails go. Modelled on lettre's `Transport::send_raw`: one mail at a time, envelope
/// and raw bytes.
pub(crate) trait Deliver {
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
pub(crate) struct SmtpDeliver {
    host: String,
    port: u16,
    tls: LettreTls,
    credentials: Option<Credentials>,
    timeout: Duration,
    /// `[smtp] max_run_seconds`, counted from the first mail.
    max_run: Duration,
    started: Option<Instant>,
    hello: ClientId,
    from: lettre::Address,
    conn: Option<SmtpConnection>,
    /// A broken connection is opened again only when the last one carried a mail.
    may_reconnect: bool,
    /// Why delivery stopped for this run, once it did.
    stopped: Option<String>,
    last_reply: Option<String>,
}

/// A transport the configuration asks for that cannot be set up. Each names the key, not the
/// file (the caller adds the file); `check` reports every one, `run` stops at them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum SetupError {
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
    #[error("key `smtp.username` is set, but `smtp.tls = \"none\"`: the password would cross the network in clear text; set `smtp.tls` to \"starttls\" (port 587) or \"tls\" (port 465), or remove `smtp.username` if the server relays without a login")]
    AuthWithoutTls,
    #[error("TLS setup: {0}")]
    Tls(String),
    #[error("no [smtp] section: configure the mail server, or use --dry-run or --out DIR")]
    NoSmtp,
}

impl SetupError {
    /// Nothing can be sent: a usage error.
    pub(crate) fn exit_code(&self) -> crate::exit_codes::ExitCode {
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
pub(crate) fn data_phase(message: &[u8]) -> Vec<u8> {
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
    pub(crate) fn new(s: &Smtp, from: lettre::Address) -> Result<SmtpDeliver, Vec<SetupError>> {
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
            Some(_) if s.tls == Tls::None => Err(SetupError::AuthWithoutTls),
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
            max_run: Duration::from_secs(s.max_run_seconds),
            started: None,
            hello: ClientId::default(),
            from,
            conn: None,
            may_reconnect: true,
            stopped: None,
            last_reply: None,
        })
    }

    fn server(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }

    /// The socket timeout for the next step: `timeout_seconds`, or what is left of
    /// `max_run_seconds` when that is less; Stop when nothing is left.
    fn budget(&self) -> Result<Duration, SendError> {
        let started = self.started.unwrap_or_else(Instant::now);
        let left = self.max_run.saturating_sub(started.elapsed());
        if left < Duration::from_millis(200) {
            return Err(SendError::Stop(format!(
                "delivery took longer than `smtp.max_run_seconds` = {}",
                self.max_run.as_secs()
            )));
        }
        Ok(self.timeout.min(left))
    }

    /// Words for a failure of the connection (not an answer of the server).
    fn broken(&self, e: &lettre::transport::smtp::Error) -> String {
        if is_timeout(e) {
            format!(
                "{}: timed out: no answer within {} s (`smtp.timeout_seconds`)",
                self.server(),
                self.timeout.as_secs()
            )
        } else {
            format!("{}: {e}", self.server())
        }
    }

    /// Opens the run's connection: TLS as configured, then the login. Every failure stops
    /// the run's delivery (one login attempt per run, never one per mail).
    fn connect(&self) -> Result<SmtpConnection, SendError> {
        let stop = SendError::Stop;
        let wrapper = match &self.tls {
            LettreTls::Wrapper(p) => Some(p),
            _ => None,
        };
        let mut conn = SmtpConnection::connect(
            (self.host.as_str(), self.port),
            Some(self.budget()?),
            &self.hello,
            wrapper,
            None,
        )
        .map_err(|e| stop(format!("cannot connect: {}", self.broken(&e))))?;
        if let LettreTls::Required(p) = &self.tls {
            if !conn.server_info().supports_feature(Extension::StartTls) {
                return Err(stop(format!(
                    "{} does not offer STARTTLS: check `smtp.port` (587 is the usual submission port), or set `smtp.tls = \"tls\"` if the port speaks TLS at once (465)",
                    self.server()
                )));
            }
            conn.starttls(p, &self.hello).map_err(|e| {
                stop(format!(
                    "STARTTLS failed: {}; check `smtp.host` (the certificate's name), `smtp.ca_file`, `smtp.tls`",
                    self.broken(&e)
                ))
            })?;
        }
        if let Some(c) = &self.credentials {
            let ours = [Mechanism::Plain, Mechanism::Login];
            if conn.server_info().get_auth_mechanism(&ours).is_none() {
                return Err(stop(format!(
                    "{} offers no login we can use (PLAIN or LOGIN; the server says: {}): check `smtp.port` and `smtp.tls` (many servers offer AUTH only on the submission port, after TLS), or remove `smtp.username` if it relays without a login",
                    self.server(),
                    conn.server_info()
                )));
            }
            conn.auth(&ours, c).map_err(|e| {
                if e.is_permanent() || e.is_transient() {
                    stop(format!(
                        "{} refused the login ({e}): check `smtp.username` and the password (`smtp.password_env`, `smtp.password_file` or `smtp.password_credential`); no further login is tried in this run",
                        self.server()
                    ))
                } else {
                    stop(format!("login failed: {}", self.broken(&e)))
                }
            })?;
        }
        Ok(conn)
    }

    /// One mail on the open connection; each command waits at most [`Self::budget`].
    fn transaction(&mut self, to: lettre::Address, body: &[u8]) -> Result<(), SendError> {
        let mut options = Vec::new();
        if !body.is_ascii() {
            options.push(MailParameter::Body(MailBodyParameter::EightBitMime));
        }
        let data = String::from_utf8_lossy(&data_phase(body)).into_owned();
        let commands: [&dyn std::fmt::Display; 4] = [
            &Mail::new(Some(self.from.clone()), options),
            &Rcpt::new(to, vec![]),
            &Data,
            &RawData(data),
        ];
        for command in commands {
            let budget = self.budget()?;
            let conn = self.conn.as_mut().expect("connected");
            let _ = conn.set_timeout(Some(budget));
            match conn.command(command) {
                Ok(reply) => {
                    let words: Vec<&str> = reply.message().collect();
                    self.last_reply = Some(format!("{} {}", reply.code(), words.join(" ")));
                }
                Err(e) => return Err(self.failed(e)),
            }
        }
        Ok(())
    }

    /// A command failed: an answer of the server is about this mail (the session goes on
    /// after a reset); a timeout stops the run's delivery; a broken connection fails this
    /// mail for now.
    fn failed(&mut self, e: lettre::transport::smtp::Error) -> SendError {
        if e.is_permanent() || e.is_transient() {
            // the server answered for this mail: it is alive, a new connection may follow
            self.may_reconnect = true;
            let conn = self.conn.as_mut().expect("connected");
            if conn.command(Rset).is_err() {
                self.conn = None;
            }
            return classify(e);
        }
        let why = self.broken(&e);
        if let Some(mut c) = self.conn.take() {
            c.abort();
        }
        if is_timeout(&e) {
            // cut short by the run's budget rather than by the server's silence
            SendError::Stop(self.budget().err().map_or(why, |e| match e {
                SendError::Stop(w) => w,
                _ => unreachable!("budget only stops"),
            }))
        } else {
            SendError::Transient(why)
        }
    }
}

/// A socket timeout, however it shows (Linux reports one as EAGAIN, "Resource temporarily
/// unavailable").
fn is_timeout(e: &lettre::transport::smtp::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            if matches!(
                io.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ) {
                return true;
            }
        }
        source = s.source();
    }
    e.is_timeout()
}

impl Deliver for SmtpDeliver {
    fn last_reply(&self) -> Option<String> {
        self.last_reply.clone()
    }

    fn deliver(&mut self, mail: &Message<'_>) -> Result<(), SendError> {
        let to: lettre::Address = mail.email.parse().map_err(|e| {
            SendError::Permanent(format!("{:?} is not a mail address: {e}", mail.email))
        })?;
        if let Some(why) = &self.stopped {
            return Err(SendError::Stop(why.clone()));
        }
        self.started.get_or_insert_with(Instant::now);
        let result = self.deliver_to(to, mail.bytes);
        if let Err(SendError::Stop(why)) = &result {
            self.stopped = Some(why.clone());
            if let Some(mut c) = self.conn.take() {
                c.abort();
            }
        }
        result
    }
}

impl SmtpDeliver {
    fn deliver_to(&mut self, to: lettre::Address, body: &[u8]) -> Result<(), SendError> {
        if self.conn.as_ref().is_some_and(|c| c.has_broken()) {
            self.conn = None;
        }
        if self.conn.is_none() {
            if !self.may_reconnect {
                return Err(SendError::Stop(format!(
                    "{}: the connection broke again before a mail got through",
                    self.server()
                )));
            }
            self.conn = Some(self.connect()?);
            self.may_reconnect = false;
        }
        self.transaction(to, body)?;
        self.may_reconnect = true;
        Ok(())
    }
}

impl SmtpDeliver {
    /// Where this transport connects, for messages: `host:port (tls)`.
    pub(crate) fn describe(s: &Smtp) -> String {
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
pub(crate) struct SendmailDeliver {
    transport: SendmailTransport,
    from: lettre::Address,
}

impl SendmailDeliver {
    pub(crate) fn new(command: &Path, from: lettre::Address) -> SendmailDeliver {
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
pub(crate) struct DirDeliver {
    pub(crate) dir: PathBuf,
}

impl Deliver for DirDeliver {
    fn deliver(&mut self, mail: &Message<'_>) -> Result<(), SendError> {
        let name = eml_name_of(mail.user, mail.message_id);
        std::fs::create_dir_all(&self.dir).map_err(|e| {
            SendError::Transient(format!("{}: cannot create: {e}", self.dir.display()))
        })?;
        let path = self.dir.join(&name);
        write_private(&path, mail.bytes)
            .map_err(|e| SendError::Transient(format!("{}: cannot write: {e}", path.display())))
    }
}

/// Writes a file that holds call data: readable by its owner only (see [`write_replacing`]).
pub(crate) fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_replacing(path, bytes, 0o600)
}

/// Writes `bytes` to `path` so that a reader sees the old file or the new one, never a part:
/// a temporary file beside it, created exclusively with `mode` (`O_EXCL | O_NOFOLLOW`, a name
/// no one can guess ahead), synced, then renamed into place — a link planted at either name is
/// never followed, only replaced.
pub(crate) fn write_replacing(path: &Path, bytes: &[u8], mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    use std::sync::atomic::{AtomicU64, Ordering};
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut attempt = 0;
    let (tmp, mut file) = loop {
        // unguessable without reading a clock: std seeds each RandomState from the OS
        let nonce = {
            use std::hash::{BuildHasher, Hasher};
            std::collections::hash_map::RandomState::new()
                .build_hasher()
                .finish()
        };
        let tmp = dir.join(format!(
            ".{name}.{}.{}.{nonce:x}.tmp",
            std::process::id(),
            SEQ.fetch_add(1, Ordering::Relaxed)
        ));
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .custom_flags(libc::O_NOFOLLOW)
            .open(&tmp)
        {
            Ok(f) => break (tmp, f),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && attempt < 16 => attempt += 1,
            Err(e) => return Err(e),
        }
    };
    let written = file.write_all(bytes).and_then(|_| file.sync_all());
    drop(file);
    match written.and_then(|_| std::fs::rename(&tmp, path)) {
        Ok(()) => Ok(()),
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(e)
        }
    }
}

/// The transport the configuration asks for; every problem, each naming the key.
pub(crate) fn transport_for(
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
