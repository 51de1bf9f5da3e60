//! The mail side of `check`: the sender address, the transport as `run` sets it up (CA file,
//! password — without connecting), a warning when there is none, and `--send-test ADDRESS`:
//! one test mail through that same transport (`deliver::transport_for`, no second client),
//! reporting the server's answer, or what to fix in one line.

use std::io::Write;

use crate::config::{Config, Smtp, Tls, Transport};
use crate::deliver::{self, SendError};
use crate::render::sanitize::terminal_line;
use crate::render::{mail, Rendered};
use lettre::message::Mailbox;

/// Checks the mail side and sends the test mail when asked; returns the problems found
/// (each reported on `err`, with the file and the key).
pub(crate) fn check_mail(
    config: &Config,
    send_test: Option<&str>,
    now: jiff::Timestamp,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> u64 {
    let path = config.path.display().to_string();
    let not_sent = |err: &mut dyn Write, why: &str| {
        if send_test.is_some() {
            let _ = writeln!(err, "unanswered: no test mail sent: {why}");
        }
    };
    let from = match mail::parse_from(&config.from) {
        Ok(f) => f,
        Err(e) => {
            let _ = writeln!(err, "{path}: key `mail.from`: {e}");
            not_sent(err, "fix `mail.from` first");
            return 1;
        }
    };
    let configured = config.smtp.is_some() || matches!(config.transport, Transport::Sendmail(_));
    if !configured {
        let _ = writeln!(
            err,
            "{path}: warning: no mail transport configured: `run` stops with exit 2 until there is an [smtp] section with `host` (or [mail] transport = \"sendmail\"); `run --dry-run`, `--show`, `--preview` and `--out DIR` work without one"
        );
        not_sent(err, "no transport to send it with");
        return u64::from(send_test.is_some());
    }
    let mut transport = match deliver::transport_for(config, from.email.clone()) {
        Ok(t) => t,
        Err(e) => {
            for line in &e {
                let _ = writeln!(err, "{path}: {line}");
            }
            not_sent(err, "fix the key(s) above first");
            return e.len() as u64;
        }
    };
    let Some(address) = send_test else {
        return 0;
    };
    let to = match mail::mailbox("", address) {
        Ok(to) => to,
        Err(e) => {
            let _ = writeln!(err, "--send-test: {e}");
            return 1;
        }
    };
    send(config, transport.as_mut(), (&from, &to), now, out, err)
}

/// How the configured transport is named in the report.
fn via(config: &Config) -> String {
    match (&config.transport, &config.smtp) {
        (Transport::Sendmail(cmd), _) => format!("sendmail ({})", cmd.display()),
        (Transport::Smtp, Some(s)) => deliver::SmtpDeliver::describe(s),
        (Transport::Smtp, None) => "SMTP (no [smtp] section)".to_string(),
    }
}

/// The test mail: a short text (and the same as HTML) saying where it came from.
fn test_mail(config: &Config, via: &str) -> Rendered {
    let text = format!(
        "This is a test mail from unanswered {}.\r\n\r\nIt was sent by `unanswered check --send-test` with the configuration\r\n{}\r\nthrough {via}.\r\nWhen it arrived, missed-call mails can be sent the same way.\r\n",
        env!("CARGO_PKG_VERSION"),
        config.path.display()
    );
    Rendered {
        subject: "unanswered: test mail".into(),
        html: format!(
            "<!DOCTYPE html><html><body><p>{}</p></body></html>",
            text.replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;")
                .replace("\r\n", "<br>")
        ),
        text,
    }
}

/// Makes the test mail and sends it; reports the server's answer, or why it was not sent
/// and what to fix. Returns the problems (0 or 1).
fn send(
    config: &Config,
    transport: &mut dyn deliver::Deliver,
    (from, to): (&Mailbox, &Mailbox),
    now: jiff::Timestamp,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> u64 {
    let via = via(config);
    let message_id = format!(
        "<test-{}.unanswered@{}>",
        now.as_second(),
        from.email.domain()
    );
    let envelope = mail::Envelope {
        from,
        to: to.clone(),
        message_id: message_id.clone(),
        date: now,
        zone: &config.rules.time_zone,
        language: &config.language,
        caller: mail::CallerRole::None,
        vcards: Vec::new(),
    };
    let bytes = match mail::compose(&envelope, &test_mail(config, &via)) {
        Ok(b) => b,
        Err(e) => {
            let _ = writeln!(err, "unanswered: the test mail could not be made: {e}");
            return 1;
        }
    };
    let email = to.email.to_string();
    let m = deliver::Message {
        user: "test",
        message_id: &message_id,
        email: &email,
        bytes: &bytes,
    };
    match transport.deliver(&m) {
        Ok(()) => {
            let reply = transport
                .last_reply()
                .map(|r| format!(": {}", terminal_line(&r)))
                .unwrap_or_default();
            let _ = writeln!(out, "test mail to {} accepted by {via}{reply}", to.email);
            0
        }
        Err(e) => {
            let why = match e {
                SendError::Transient(w) | SendError::Permanent(w) | SendError::Stop(w) => w,
            };
            let _ = writeln!(
                err,
                "test mail to {} not sent through {via}: {}",
                to.email,
                terminal_line(&why)
            );
            if let Some(h) = hint(&why, config) {
                let _ = writeln!(err, "  fix: {h}");
            }
            1
        }
    }
}

/// A rule of [`hint`]: words of the error (any of them), and the hint they call for.
type Rule = (&'static [&'static str], fn(&Smtp) -> String);

/// The rules of [`hint`], the first that matches wins.
const RULES: &[Rule] = &[
    (
        &[
            "(535)",
            "(534)",
            "authentication failed",
            "authentication credentials invalid",
        ],
        |s| {
            format!(
                "the server refused the login: check `smtp.username` (\"{}\") and the password in {}",
                s.username.as_deref().unwrap_or(""),
                password_key(s)
            )
        },
    ),
    (
        &[
            "no compatible authentication mechanism",
            "offers no login we can use",
        ],
        |_| {
            "the server offers neither AUTH PLAIN nor AUTH LOGIN on this connection: ask for one of them, or check `smtp.tls` (many servers offer AUTH only after STARTTLS)".to_string()
        },
    ),
    (
        &["starttls is not supported", "does not offer starttls"],
        |s| {
            format!("the server does not offer STARTTLS on port {}: use the port that does (usually 587), or `tls = \"tls\"` for a port that speaks TLS at once (usually 465)", s.port)
        },
    ),
    (
        &[
            "unknownissuer",
            "unknown issuer",
            "unknownca",
            "selfsigned",
            "self-signed",
            "self signed",
        ],
        |_| {
            "the server's certificate is not signed by a CA this system trusts: set `smtp.ca_file` to the CA certificate (PEM) that signed it".to_string()
        },
    ),
    (
        &[
            "notvalidforname",
            "not valid for name",
            "certificatenotvalidforname",
        ],
        |s| {
            format!("the server's certificate is not for `smtp.host` = \"{}\": use the host name the certificate names", s.host)
        },
    ),
    (&["expired"], |_| {
        "the server's certificate has expired (or this machine's clock is wrong)".to_string()
    }),
    (
        &[
            "(530)",
            "must issue a starttls",
            "tls required",
            "requires tls",
            "encryption required",
        ],
        |_| {
            "the server wants TLS first: set `tls = \"starttls\"` (port 587) or `tls = \"tls\"` (port 465)".to_string()
        },
    ),
    (&["connection refused"], |s| {
        format!("nothing accepts connections on {}:{}: check `smtp.host` and `smtp.port` (587 for starttls, 465 for tls, 25 for none)", s.host, s.port)
    }),
    (
        &[
            "failed to lookup",
            "name or service not known",
            "no address associated",
            "nodename nor servname",
            "temporary failure in name resolution",
        ],
        |s| {
            format!(
                "`smtp.host` = \"{}\" is not a host name this machine can resolve",
                s.host
            )
        },
    ),
    (
        &[
            "corrupt message",
            "invalidcontenttype",
            "invalid content type",
            "wrong version number",
            "peer is incompatible",
            "peerincompatible",
            "received fatal alert",
        ],
        |s| {
            match s.tls {
            Tls::Tls => format!("the server on port {} does not speak TLS at once: use `tls = \"starttls\"` (ports 587 and 25), or its implicit-TLS port (usually 465)", s.port),
            _ => "the TLS handshake failed: check `smtp.tls` and `smtp.port` (587 for starttls, 465 for tls)".to_string(),
        }
        },
    ),
    (
        &[
            "timed out",
            "timeout",
            "would block",
            "temporarily unavailable",
        ],
        |s| {
            if s.tls != Tls::Tls && s.port == 465 {
                "port 465 speaks TLS at once: set `tls = \"tls\"`".to_string()
            } else {
                format!("the server did not answer within `smtp.timeout_seconds` = {}: check `smtp.host`, `smtp.port`, a firewall, and `smtp.tls` (port 465 expects tls = \"tls\")", s.timeout_seconds)
            }
        },
    ),
    (&["(550)", "(551)", "(553)", "(554)", "relay"], |_| {
        "the server refused the sender or the recipient: check the address and `mail.from` (many servers accept only their own domain as sender)".to_string()
    }),
];

/// The key to fix for a delivery error, in one line; None when the server's words are all
/// there is to say.
pub(crate) fn hint(why: &str, config: &Config) -> Option<String> {
    let w = why.to_lowercase();
    let Some(s) = &config.smtp else {
        return matches!(config.transport, Transport::Sendmail(_)).then(|| {
            "check `mail.sendmail_command` (the program and its permissions) and the local mail system's log".to_string()
        });
    };
    RULES
        .iter()
        .find(|(needles, _)| needles.iter().any(|n| w.contains(n)))
        .map(|(_, hint)| hint(s))
}

/// The key the password comes from, as the hint names it.
fn password_key(s: &Smtp) -> String {
    if let Some(v) = &s.password_env {
        format!("`smtp.password_env` (the variable {v})")
    } else if let Some(f) = &s.password_file {
        format!("`smtp.password_file` ({})", f.display())
    } else if let Some(c) = &s.password_credential {
        format!("`smtp.password_credential` (the credential {c})")
    } else {
        "`smtp.password_env`, `password_file` or `password_credential`".to_string()
    }
}
