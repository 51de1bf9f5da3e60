//! Channel names: the line a channel stands for, Local-channel halves, FreePBX extensions.

/// A Local channel half: "Local/1001@from-internal-00000001;2" → ("Local/1001@from-internal-00000001", 2).
pub(super) fn local_half(channel: &str) -> Option<(&str, u8)> {
    let (tech, _) = channel.split_once('/')?;
    if !tech.eq_ignore_ascii_case("local") {
        return None;
    }
    match channel.rsplit_once(';') {
        Some((base, "1")) => Some((base, 1)),
        Some((base, "2")) => Some((base, 2)),
        _ => None,
    }
}

/// The line (extension) a channel name stands for: "SIP/201-0000002a" → "201",
/// "PJSIP/201-00000001" → "201", "IAX2/201-1234" → "201", "DAHDI/1-1" → "DAHDI/1" (a DAHDI
/// channel number is not an extension: a stable id is kept), "Local/201@from-queue-00000001;1"
/// → "201", "SIP/stadionpbx-00000005" → "stadionpbx" (a trunk/peer name; the chain stage
/// will simply not find a user for it), "" → None.
///
/// Dial strings are read too: "SIP/trunk/0301234" → "0301234" (the number dialled at that
/// peer), "SIP/200@stadionpbx" → "200", "PJSIP/201/sip:201@10.0.0.5" → "201" (a URI after
/// the slash is not a number), "Local/201@ctx" and "Local/201@ctx/n" → "201". Masquerade tags
/// (`…<ZOMBIE>`, `…<MASQ>`) are ignored.
pub(crate) fn channel_line(channel: &str) -> Option<String> {
    let mut s = channel.trim();
    while let Some(body) = s.strip_suffix('>') {
        match body.rfind('<') {
            Some(i) => s = body[..i].trim_end(),
            None => break,
        }
    }
    let Some((tech, rest)) = s.split_once('/') else {
        return non_empty(s);
    };
    let tech = tech.trim();
    if tech.is_empty() {
        return None;
    }
    if tech.eq_ignore_ascii_case("local") {
        // Local/<exten>@<context>[-<seq>][;<half>][/<options>]
        let rest = match rest.rsplit_once(';') {
            Some((body, half)) if !half.is_empty() && half.bytes().all(|b| b.is_ascii_digit()) => {
                body
            }
            _ => rest,
        };
        let exten = rest.split('@').next().unwrap_or("");
        let exten = exten.split('/').next().unwrap_or("");
        return non_empty(freepbx_exten(exten));
    }
    let mut segments = rest.split('/');
    let first = segments.next().unwrap_or("");
    if tech.eq_ignore_ascii_case("dahdi") || tech.eq_ignore_ascii_case("zap") {
        // DAHDI/<channel>-<seq>, DAHDI/i<span>/<number>-<seq>: keep the channel or span.
        let id = strip_sequence(first.trim());
        return non_empty(id).map(|id| format!("{tech}/{id}"));
    }
    // Dial string TECH/<peer>/<exten>[@context]: the extension dialled at that peer.
    let second = segments.next().unwrap_or("").trim();
    if !second.is_empty() && !second.contains(':') {
        if let Some(exten) = non_empty(second.split('@').next().unwrap_or("")) {
            return Some(exten);
        }
    }
    // Channel TECH/<peer>-<seq>, or dial string TECH/[<exten>@]<peer>[:<port>].
    let name = strip_sequence(first.trim());
    let name = match name.split_once('@') {
        Some((exten, _)) if !exten.trim().is_empty() => exten,
        _ => name,
    };
    non_empty(strip_port(name))
}

/// FreePBX's Local-channel extensions name the extension they stand for: follow-me
/// `FMPR-1001` (the pre-ring of extension 1001) and `FMGL-1002` (its follow-me list, here 1002),
/// `LC-1001` (FreePBX 13+ `macro-dial-one`), voicemail `vmb1001` / `vmu1001` / `vms1001` /
/// `vmi1001` (busy, unavailable, no message, instructions of mailbox 1001); a trailing `#`
/// (ring group member dialled as an outside number) is dropped. Anything else is kept.
pub(super) fn freepbx_exten(exten: &str) -> &str {
    let e = exten.trim();
    let e = e.strip_suffix('#').unwrap_or(e);
    for prefix in ["FMPR-", "FMGL-", "LC-"] {
        if let Some(rest) = e.strip_prefix(prefix) {
            if !rest.is_empty() {
                return rest;
            }
        }
    }
    voicemail_exten(e).unwrap_or(e)
}

/// The mailbox of a FreePBX voicemail extension (`vmu1001` → `1001`), else None.
pub(super) fn voicemail_exten(exten: &str) -> Option<&str> {
    ["vmb", "vmu", "vms", "vmi"].iter().find_map(|p| {
        exten
            .strip_prefix(p)
            .filter(|rest| !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit()))
    })
}

/// A `Local/vmu1001@…` style channel: the call was sent to voicemail box 1001.
pub(super) fn is_voicemail_channel(channel: &str) -> bool {
    let Some((tech, rest)) = channel.trim().split_once('/') else {
        return false;
    };
    tech.eq_ignore_ascii_case("local")
        && voicemail_exten(rest.split('@').next().unwrap_or("").trim()).is_some()
}

/// "201-0000002a" → "201": drops the hexadecimal channel sequence Asterisk appends.
pub(super) fn strip_sequence(s: &str) -> &str {
    match s.rsplit_once('-') {
        Some((head, tail)) if !tail.is_empty() && tail.bytes().all(|b| b.is_ascii_hexdigit()) => {
            head
        }
        _ => s,
    }
}

/// "peer:5060" → "peer"; IPv6 hosts in brackets keep their colons.
pub(super) fn strip_port(s: &str) -> &str {
    if s.starts_with('[') {
        return match s.find(']') {
            Some(i) => &s[..=i],
            None => s,
        };
    }
    match s.rsplit_once(':') {
        Some((head, port)) if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => head,
        _ => s,
    }
}

pub(super) fn non_empty(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_string())
}

/// The creation number of a Local channel: "Local/1001@from-internal-0000000a" → 10.
pub(super) fn local_number(base: &str) -> Option<u64> {
    let (_, tail) = base.rsplit_once('-')?;
    u64::from_str_radix(tail, 16).ok()
}
