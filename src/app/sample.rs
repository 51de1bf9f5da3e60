//! `check` renders a sample mail through the configured templates (SPEC §6), the way `run`
//! makes one (decide → plan → compose): a template that fails on every mail, or that hits the
//! render limits, fails `check` instead of every run.

use std::io::Write;

use crate::config::Config;
use crate::decide::lookup::Lookup;
use crate::decide::recipients::History;
use crate::decide::stream as pipeline;
use crate::directory::{Contact, PhoneKind, User};
use crate::ingest::{Entry, Item, Origin, SourcePos};
use crate::render::{mail, MailSettings, Renderer};

const CALLER: &str = "+1 212 555 0199";

/// A missed call from a known contact to `user`'s first line, ringing 20 s, 5 minutes ago.
fn sample_entry(user: &User, now: jiff::Timestamp) -> Entry {
    let start = now - jiff::SignedDuration::from_secs(300);
    Entry {
        pos: SourcePos {
            file: crate::ingest::FileName::new("(sample call)"),
            line: 1,
        },
        seq: 0,
        connection_id: "sample".into(),
        tracker_id: Some("sample".into()),
        start,
        stop: start + jiff::SignedDuration::from_secs(20),
        connect: None,
        origin: Origin::Incoming,
        internal: false,
        line_number: user.lines[0].as_str().into(),
        line_user: Some(user.user.as_str().into()),
        user_offline: None,
        phone_number: CALLER.into(),
        redirecting_number: None,
        contact_name: None,
        contact_company: None,
        acceptor: None,
        tracker_last: true,
        call_type: 0,
        voicemail: false,
        arrival: None,
    }
}

/// Renders one sample mail for the first user who gets mail (else a made-up one); returns the
/// problems reported. Template loading problems are `render::check`'s, not counted here.
/// `now` is the command's clock (`main` reads it once), so the sample is stamped like a run's mail.
pub(crate) fn check_sample_mail(
    config: &Config,
    users: &[User],
    now: jiff::Timestamp,
    err: &mut dyn Write,
) -> u64 {
    let (Ok(renderer), Ok(from)) = (Renderer::load(config), mail::parse_from(&config.from)) else {
        return 0;
    };
    let user = users
        .iter()
        .find(|u| u.notify && u.email.is_some() && !u.lines.is_empty())
        .cloned()
        .unwrap_or_else(|| User::new("sample", Some("sample@example.com"), &["201"]));
    let contact = Contact {
        company: Some("Sample Company".into()),
        email: Some("caller@example.com".into()),
        ..Contact::new("Sample Caller", &[(CALLER, PhoneKind::Work)])
    };
    let lookup = Lookup::new(
        config.rules.numbers.clone(),
        vec![user.clone()],
        vec![contact],
    );
    let mut rules = config.rules.clone();
    rules.recipients = crate::config::RecipientPolicy::All;
    let mut verdicts = Vec::new();
    pipeline::decide(
        std::iter::once(Item::Entry(Box::new(sample_entry(&user, now)))),
        &rules,
        &lookup,
        &mut History::default(),
        now,
        |_| {},
        |v, _| verdicts.push(v),
    );
    let settings = MailSettings::of(config, &from);
    let plans = crate::decide::plan::plan(&verdicts, config.mode);
    let mut problems = 0;
    for (_, made) in renderer.compose_plans(plans, &verdicts, &lookup, &settings, now) {
        if let Err(e) = made {
            problems += 1;
            let _ = writeln!(
                err,
                "{}: the templates fail on a sample mail (to {}): {e}",
                config.path.display(),
                user.user
            );
        }
    }
    problems
}
