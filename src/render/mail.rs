//! Mails: which mails a run makes (pure), and each one as an RFC 5322 / MIME message.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::Address;

use crate::config::Mode;
use crate::lookup::Lookup;
use crate::numbers::Number;
use crate::policy::{Status, Verdict};
use crate::render::document::clean;
use crate::vcard;

/// One mail to make: a user and the chains it tells about (indexes into the verdicts).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub user: String,
    pub email: String,
    pub calls: Vec<usize>,
}

/// Groups the notifications of a run into mails: one per user (digest, calls in order), or
/// one per chain and user (per-call). Pure.
pub fn plan(verdicts: &[Verdict], mode: Mode) -> Vec<Plan> {
    let mut out: Vec<Plan> = Vec::new();
    let mut by_user: BTreeMap<String, usize> = BTreeMap::new();
    for (i, v) in verdicts.iter().enumerate() {
        for r in v.recipients.iter().filter(|r| r.status == Status::Notify) {
            let Some(email) = &r.email else { continue };
            match mode {
                Mode::PerCall => out.push(Plan {
                    user: r.user.clone(),
                    email: email.clone(),
                    calls: vec![i],
                }),
                Mode::Digest => match by_user.get(&r.user.to_lowercase()) {
                    Some(&p) => out[p].calls.push(i),
                    None => {
                        by_user.insert(r.user.to_lowercase(), out.len());
                        out.push(Plan {
                            user: r.user.clone(),
                            email: email.clone(),
                            calls: vec![i],
                        });
                    }
                },
            }
        }
    }
    out
}

/// A stable 128-bit hash (two FNV-1a 64 lanes) as hex: the same input gives the same id in
/// every run and every build.
pub fn stable_hash(parts: &[&str]) -> String {
    let mut a: u64 = 0xcbf2_9ce4_8422_2325;
    let mut b: u64 = 0x6c62_272e_07bb_0142;
    for p in parts {
        for byte in p.bytes().chain(std::iter::once(0xff)) {
            a ^= u64::from(byte);
            a = a.wrapping_mul(0x0000_0100_0000_01b3);
            b ^= u64::from(byte.rotate_left(3));
            b = b.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    format!("{a:016x}{b:016x}")
}

/// The Message-ID of a mail about `chains` for `user` (stable across re-runs).
pub fn message_id(chains: &[&str], user: &str, from: &Address) -> String {
    let mut parts: Vec<&str> = chains.to_vec();
    parts.sort_unstable();
    parts.push(user);
    format!("<{}.unanswered@{}>", stable_hash(&parts), from.domain())
}

/// Everything a composed mail needs besides the rendered bodies.
pub struct Envelope<'a> {
    pub from: &'a Mailbox,
    pub to: Mailbox,
    pub message_id: String,
    pub date: jiff::Timestamp,
    /// The caller as sender (caller_as_sender with a known address): From and Reply-To.
    pub caller_sender: Option<Mailbox>,
    pub vcards: Vec<(String, String)>,
}

/// Builds a mailbox, with a display name cleaned of anything that could break the header.
pub fn mailbox(name: &str, email: &str) -> Result<Mailbox, String> {
    let addr: Address = email
        .trim()
        .parse()
        .map_err(|e| format!("{email:?} is not a mail address: {e}"))?;
    let name = clean(name);
    Ok(Mailbox::new((!name.is_empty()).then_some(name), addr))
}

/// Parses the configured `from`.
pub fn parse_from(from: &str) -> Result<Mailbox, String> {
    from.parse::<Mailbox>()
        .map_err(|e| format!("{from:?} is not a mail address: {e}"))
}

/// The message as RFC 5322 bytes (CRLF line ends).
pub fn compose(env: &Envelope<'_>, rendered: &super::Rendered) -> Result<Vec<u8>, String> {
    let hash = stable_hash(&[&env.message_id]);
    let secs = env.date.as_second().max(0) as u64;
    let date = SystemTime::UNIX_EPOCH + Duration::from_secs(secs);
    let mut b = lettre::Message::builder()
        .to(env.to.clone())
        .subject(clean(&rendered.subject))
        .message_id(Some(env.message_id.clone()))
        .date(date)
        .user_agent(format!("unanswered/{}", env!("CARGO_PKG_VERSION")));
    match &env.caller_sender {
        Some(caller) => {
            // the caller is the author, so an absence reply reaches them: no Auto-Submitted
            b = b
                .from(caller.clone())
                .sender(env.from.clone())
                .reply_to(caller.clone());
        }
        None => {
            b = b.from(env.from.clone()).raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("Auto-Submitted"),
                "auto-generated".to_string(),
            ));
        }
    }
    let envelope =
        lettre::address::Envelope::new(Some(env.from.email.clone()), vec![env.to.email.clone()])
            .map_err(|e| e.to_string())?;
    b = b.envelope(envelope);
    let alternative = MultiPart::alternative()
        .boundary(format!("alt-{}", &hash[..24]))
        .singlepart(SinglePart::plain(rendered.text.clone()))
        .singlepart(SinglePart::html(rendered.html.clone()));
    let message = if env.vcards.is_empty() {
        b.multipart(alternative)
    } else {
        let mut mixed = MultiPart::mixed()
            .boundary(format!("mix-{}", &hash[..24]))
            .multipart(alternative);
        for (file, card) in &env.vcards {
            let ct = ContentType::parse("text/vcard; charset=utf-8").expect("valid content type");
            mixed = mixed.singlepart(Attachment::new(file.clone()).body(card.clone(), ct));
        }
        b.multipart(mixed)
    }
    .map_err(|e| format!("cannot build the mail: {e}"))?;
    Ok(message.formatted())
}

/// The vCard of a call's caller, with its file name; None for unknown or hidden callers.
pub fn caller_vcard(v: &Verdict, lookup: &Lookup) -> Option<(String, String)> {
    let c = &v.caller;
    c.number.as_ref()?;
    let name = c.name.clone().or_else(|| c.company.clone())?;
    let plan = &lookup.plan;
    let mut phones: Vec<(String, vcard_kind::Kind)> = Vec::new();
    let mut push = |raw: &str, kind: vcard_kind::Kind| {
        if let Some(d) = plan.dial_string(raw) {
            if !phones.iter().any(|(p, _)| *p == d) {
                phones.push((d, kind));
            }
        }
    };
    push(&c.raw, vcard_kind::Kind::Work);
    if let Some(contact) = &c.contact {
        for (p, k) in &contact.phones {
            push(p, vcard_kind::from_word(k));
        }
    }
    let emails: Vec<String> = c.email.iter().cloned().collect();
    let card = vcard::write_v30(&vcard::CardOut {
        name: &clean(&name),
        company: c.company.as_deref().filter(|co| *co != name),
        emails: &emails,
        phones: &phones,
    });
    Some((vcard::file_name(&name), card))
}

mod vcard_kind {
    pub use crate::directory::PhoneKind as Kind;
    pub fn from_word(w: &str) -> Kind {
        match w {
            "CELL" => Kind::Cell,
            "HOME" => Kind::Home,
            "FAX" => Kind::Fax,
            "WORK" => Kind::Work,
            _ => Kind::Other,
        }
    }
}

/// The caller's mailbox when `caller_as_sender` may use it: a known address, and every call of
/// the mail from that one caller.
pub fn caller_sender(calls: &[&Verdict]) -> Option<Mailbox> {
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
