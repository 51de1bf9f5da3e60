//! Each planned mail ([`crate::decide::plan`]) as an RFC 5322 / MIME message.

use std::time::{Duration, SystemTime};

use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Attachment, Mailbox, MessageBuilder, MultiPart, SinglePart};
use lettre::Address;

use crate::decide::lookup::Lookup;
use crate::decide::numbers::Number;
use crate::decide::plan::stable_hash;
use crate::decide::recipients::Verdict;
use crate::directory::PhoneKind;
use crate::render::headers;
use crate::render::sanitize::clean_name;
use crate::render::vcard;
use crate::render::Error;

/// How the caller appears in a mail's headers (`caller_as_sender`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum CallerRole {
    /// The system is the only sender.
    None,
    /// The caller is `From:` and `Reply-To:`, the system `Sender:` (`caller_as_sender = true`).
    From(Mailbox),
    /// The system is `From:`, the caller `Reply-To:` (`caller_as_sender = "reply-to"`).
    ReplyTo(Mailbox),
}

/// Everything a composed mail needs besides the rendered bodies.
pub(crate) struct Envelope<'a> {
    pub(crate) from: &'a Mailbox,
    pub(crate) to: Mailbox,
    pub(crate) message_id: String,
    pub(crate) date: jiff::Timestamp,
    /// The zone whose offset the `Date:` header carries.
    pub(crate) zone: &'a jiff::tz::TimeZone,
    /// The mail's language code (`Content-Language:`).
    pub(crate) language: &'a str,
    pub(crate) caller: CallerRole,
    pub(crate) vcards: Vec<(String, String)>,
}

/// Builds a mailbox, with a display name cleaned of anything that could break the header or
/// change how it reads.
pub(crate) fn mailbox(name: &str, email: &str) -> Result<Mailbox, Error> {
    let addr: Address = email.trim().parse().map_err(|source| Error::Address {
        given: email.to_string(),
        source,
    })?;
    let name = clean_name(name);
    Ok(Mailbox::new((!name.is_empty()).then_some(name), addr))
}

/// Parses the configured `from`.
pub(crate) fn parse_from(from: &str) -> Result<Mailbox, Error> {
    from.parse::<Mailbox>().map_err(|source| Error::Address {
        given: from.to_string(),
        source,
    })
}

fn header(name: &'static str, value: String) -> HeaderValue {
    HeaderValue::new(HeaderName::new_from_ascii_str(name), value)
}

/// A header whose value we encoded ourselves ([`headers`]): `parse_as` is what lettre parses
/// it as (only the address), `encoded` is what is written.
fn encoded(name: &'static str, parse_as: String, encoded: String) -> HeaderValue {
    HeaderValue::dangerous_new_pre_encoded(HeaderName::new_from_ascii_str(name), parse_as, encoded)
}

/// A mailbox header encoded by [`headers::mailbox`].
fn mailbox_header(name: &'static str, m: &Mailbox) -> HeaderValue {
    encoded(name, m.email.to_string(), headers::mailbox(m))
}

/// The message as RFC 5322 bytes (CRLF line ends). The subject and every display name are
/// encoded by [`headers`], never by lettre's encoder (which passes ASCII that looks like an
/// encoded-word through raw).
pub(crate) fn compose(env: &Envelope<'_>, rendered: &super::Rendered) -> Result<Vec<u8>, Error> {
    let hash = stable_hash(&[&env.message_id]);
    let secs = env.date.as_second().max(0) as u64;
    let date = SystemTime::UNIX_EPOCH + Duration::from_secs(secs);
    let subject = clean_name(&rendered.subject);
    let b = lettre::Message::builder()
        .to(env.to.clone())
        .subject(subject.clone())
        .message_id(Some(env.message_id.clone()))
        .date(date)
        .user_agent(format!("unanswered/{}", env!("CARGO_PKG_VERSION")));
    let b = authorship(b, env);
    let b = encoded_headers(b, env, &subject);
    let envelope =
        lettre::address::Envelope::new(Some(env.from.email.clone()), vec![env.to.email.clone()])
            .map_err(Error::Envelope)?;
    let message = b
        .envelope(envelope)
        .multipart(body(env, rendered, &hash))
        .map_err(Error::Build)?;
    Ok(message.formatted())
}

/// Who wrote the mail and where replies go (`caller_as_sender`), and the headers that keep
/// absence replies away when the system is the author.
fn authorship(mut b: MessageBuilder, env: &Envelope<'_>) -> MessageBuilder {
    let from = match &env.caller {
        CallerRole::From(caller) => caller,
        _ => env.from,
    };
    b = b.from(from.clone());
    match &env.caller {
        CallerRole::From(caller) => {
            // the caller is the author, so an absence reply reaches them: no Auto-Submitted
            b.sender(env.from.clone()).reply_to(caller.clone())
        }
        CallerRole::ReplyTo(caller) => {
            // the system is the author; replies (and absence replies) go to the caller
            b.reply_to(caller.clone())
        }
        CallerRole::None => b
            .raw_header(header("Auto-Submitted", "auto-generated".into()))
            // Exchange and Outlook ignore Auto-Submitted; this stops their absence replies
            .raw_header(header("X-Auto-Response-Suppress", "All".into())),
    }
}

/// `Content-Language:`, and our own encoding of every header that carries text from the
/// journal or the directory (subject, display names) and of the date in the recipient's zone.
fn encoded_headers(mut b: MessageBuilder, env: &Envelope<'_>, subject: &str) -> MessageBuilder {
    let language: String = env
        .language
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .take(35)
        .collect();
    if !language.is_empty() {
        b = b.raw_header(header("Content-Language", language));
    }
    let from = match &env.caller {
        CallerRole::From(caller) => caller,
        _ => env.from,
    };
    b = b
        .raw_header(encoded(
            "Subject",
            subject.to_string(),
            headers::unstructured(subject),
        ))
        .raw_header(mailbox_header("From", from))
        .raw_header(mailbox_header("To", &env.to))
        .raw_header(encoded(
            "Date",
            // what lettre parses (it reads only GMT dates; unparsed, it would put in "now")
            headers::date(env.date, &jiff::tz::TimeZone::UTC).replace("+0000", "GMT"),
            headers::date(env.date, env.zone),
        ));
    match &env.caller {
        CallerRole::From(caller) => b
            .raw_header(mailbox_header("Sender", env.from))
            .raw_header(mailbox_header("Reply-To", caller)),
        CallerRole::ReplyTo(caller) => b.raw_header(mailbox_header("Reply-To", caller)),
        CallerRole::None => b,
    }
}

/// The body: text and HTML as alternatives, and the vCards (if any) as attachments beside
/// them. The boundaries come from the Message-ID's hash, so a mail is the same in every run.
fn body(env: &Envelope<'_>, rendered: &super::Rendered, hash: &str) -> MultiPart {
    let alternative = MultiPart::alternative()
        .boundary(format!("alt-{}", &hash[..24]))
        .singlepart(SinglePart::plain(rendered.text.clone()))
        .singlepart(SinglePart::html(rendered.html.clone()));
    if env.vcards.is_empty() {
        return alternative;
    }
    let mut mixed = MultiPart::mixed()
        .boundary(format!("mix-{}", &hash[..24]))
        .multipart(alternative);
    for (file, card) in &env.vcards {
        let ct = ContentType::parse("text/vcard; charset=utf-8").expect("valid content type");
        mixed = mixed.singlepart(Attachment::new(file.clone()).body(card.clone(), ct));
    }
    mixed
}

/// The vCard of a call's caller, with its file name; None for unknown or hidden callers.
pub(crate) fn caller_vcard(v: &Verdict, lookup: &Lookup) -> Option<(String, String)> {
    let c = &v.caller;
    c.number.as_ref()?;
    let name = c.name.clone().or_else(|| c.company.clone())?;
    let plan = &lookup.plan;
    let mut phones: Vec<(String, PhoneKind)> = Vec::new();
    let mut push = |raw: &str, kind: PhoneKind| {
        if let Some(d) = plan.dial_string(raw) {
            if !phones.iter().any(|(p, _)| *p == d) {
                phones.push((d, kind));
            }
        }
    };
    push(&c.raw, PhoneKind::Work);
    if let Some(contact) = &c.contact {
        for p in &contact.phones {
            push(&p.number, p.kind);
        }
    }
    let emails: Vec<String> = c.email.iter().cloned().collect();
    let name = clean_name(&name);
    let company = c.company.as_deref().map(clean_name);
    let card = vcard::write_v30(&vcard::CardOut {
        name: &name,
        company: company
            .as_deref()
            .filter(|co| *co != name && !co.is_empty()),
        emails: &emails,
        phones: &phones,
    });
    let number = plan.dial_string(&c.raw).unwrap_or_default();
    Some((vcard::file_name_for(&name, &number), card))
}

/// The caller's mailbox when `caller_as_sender` may use it: a known address, and every call of
/// the mail from that one caller.
pub(crate) fn caller_sender(calls: &[&Verdict]) -> Option<Mailbox> {
    let first = calls.first()?;
    let number: &Number = first.caller.number.as_ref()?;
    if calls
        .iter()
        .any(|v| v.caller.number.as_ref() != Some(number))
    {
        return None;
    }
    let email = first.caller.email.as_deref()?;
    let name = first
        .caller
        .name
        .clone()
        .or_else(|| first.caller.company.clone())
        .unwrap_or_default();
    mailbox(&name, email).ok()
}
