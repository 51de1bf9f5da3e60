//! What the TOML reader says, said as a configuration error: the key (with its section), the
//! line, what was expected in words, and for an unknown key the closest valid one.

use std::path::Path;

use super::ConfigError;

/// The number of single-character edits (insert, delete, replace, swap of neighbours) that
/// turn `a` into `b` (optimal string alignment distance).
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // rows i-2, i-1, i of the table
    let mut before: Vec<usize> = Vec::new();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for i in 1..=a.len() {
        let mut cur = vec![i; b.len() + 1];
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                cur[j] = cur[j].min(before[j - 2] + 1);
            }
        }
        before = std::mem::replace(&mut prev, cur);
    }
    prev[b.len()]
}

/// The valid key closest to `word`, when it is close enough to be a typo: at most a third of
/// the word's length in edits (at least one), or the word is a prefix of it.
pub(crate) fn closest<'k>(word: &str, valid: &[&'k str]) -> Option<&'k str> {
    let limit = (word.chars().count() / 3).max(1);
    valid
        .iter()
        .map(|k| (edit_distance(word, k), *k))
        .filter(|(d, k)| *d <= limit || (word.len() >= 3 && k.starts_with(word)))
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

/// The key written on line `line` (1-based) of `text`, with its section: for a syntax error
/// in a value, where the reader names no key.
pub(crate) fn key_on_line(text: &str, line: usize) -> Option<Vec<String>> {
    let lines: Vec<&str> = text.lines().collect();
    let (key, _) = lines.get(line.checked_sub(1)?)?.split_once('=')?;
    let key = key.trim();
    let bare = |k: &str| {
        !k.is_empty()
            && k.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    };
    if !bare(key) {
        return None;
    }
    let section = lines[..line - 1].iter().rev().find_map(|l| {
        let t = l.trim();
        let name = t.strip_prefix('[')?.split(']').next()?.trim();
        bare(name).then_some(name)
    });
    Some(
        section
            .into_iter()
            .chain([key])
            .map(str::to_string)
            .collect(),
    )
}

/// The words between backticks in serde's "expected one of `a`, `b`" (or "expected `a` or
/// `b`").
fn quoted_words(s: &str) -> Vec<&str> {
    s.split('`').skip(1).step_by(2).collect()
}

/// serde's name of a type, in words a person writing the file understands.
fn expected_in_words(expected: &str) -> String {
    let e = expected.trim();
    if e.starts_with("i64") || e.starts_with("u64") || e.contains("integer") {
        "a whole number, written without quotes (like 2)".into()
    } else if e.contains("boolean") {
        "true or false, written without quotes".into()
    } else if e == "a string" || e.starts_with("a string") {
        "text in double quotes".into()
    } else if e.contains("sequence") {
        "a list, like [\"a\", \"b\"]".into()
    } else if e.starts_with("struct ") || e.contains("map") || e.contains("table") {
        "a section (a [name] line with keys under it)".into()
    } else {
        e.to_string()
    }
}

/// A TOML reader's error as a [`ConfigError`]: `keys` is where the reader was (section and
/// key), `message` what it said.
pub(crate) fn from_toml(
    file: &Path,
    line: Option<usize>,
    keys: &[String],
    message: &str,
) -> ConfigError {
    let message = message.trim();
    let joined = |extra: Option<&str>| {
        let mut k: Vec<&str> = keys.iter().map(String::as_str).collect();
        k.extend(extra);
        (!k.is_empty()).then(|| k.join("."))
    };
    let error = |key: Option<String>, message: String| ConfigError {
        file: file.to_path_buf(),
        line,
        key,
        message,
    };
    if let Some(rest) = message.strip_prefix("unknown field `") {
        let (word, expected) = rest.split_once('`').unwrap_or((rest, ""));
        let valid = quoted_words(expected);
        let section = if keys.is_empty() {
            "at the top level".to_string()
        } else {
            format!("in [{}]", keys.join("."))
        };
        let mut m = format!("unknown key {section}");
        if let Some(k) = closest(word, &valid) {
            m.push_str(&format!("; did you mean `{k}`?"));
        }
        if !valid.is_empty() {
            m.push_str(&format!(" (expected one of: {})", valid.join(", ")));
        }
        return error(joined(Some(word)), m);
    }
    if let Some(rest) = message.strip_prefix("invalid type: ") {
        if let Some((found, expected)) = rest.rsplit_once(", expected ") {
            let m = format!("expected {}, found {found}", expected_in_words(expected));
            return error(joined(None), m);
        }
    }
    if message.starts_with("data did not match any variant of untagged enum StringOrList") {
        let m = "expected a file name in double quotes, or a list of them (like [\"contacts.csv\", \"people.vcf\"])";
        return error(joined(None), m.into());
    }
    if message.starts_with("unexpected leading zero") {
        let m = "a number with a leading zero: write it in double quotes, like \"030\"";
        return error(joined(None), m.into());
    }
    if message.starts_with("data did not match any variant of untagged enum BoolOrString") {
        let m = "expected true, false or a word in double quotes";
        return error(joined(None), m.into());
    }
    error(joined(None), message.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        assert_eq!(edit_distance("", ""), 0);
        assert_eq!(edit_distance("abc", ""), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("recipient", "recipients"), 1);
        // a swap of neighbours is one edit
        assert_eq!(edit_distance("langauge", "language"), 1);
        assert_eq!(
            edit_distance("even_if_answerd_elsewhere", "even_if_answered_elsewhere"),
            1
        );
    }

    #[test]
    fn only_close_keys_are_suggested() {
        let valid = ["recipients", "link_prefix", "settle_seconds"];
        assert_eq!(closest("recipient", &valid), Some("recipients"));
        assert_eq!(closest("setle_seconds", &valid), Some("settle_seconds"));
        assert_eq!(closest("link", &valid), Some("link_prefix"));
        assert_eq!(closest("colour", &valid), None);
        assert_eq!(closest("x", &valid), None);
    }

    #[test]
    fn a_syntax_error_names_the_key_of_its_line() {
        let text = "time_zone = \"UTC\"\n[numbers]\n# c\narea_code = 030\n";
        assert_eq!(
            key_on_line(text, 4),
            Some(vec!["numbers".to_string(), "area_code".to_string()])
        );
        assert_eq!(key_on_line(text, 1), Some(vec!["time_zone".to_string()]));
        assert_eq!(key_on_line(text, 3), None);
        assert_eq!(key_on_line(text, 9), None);
    }

    #[test]
    fn serde_words_become_a_persons_words() {
        let e = from_toml(
            Path::new("u.toml"),
            Some(3),
            &["exceptions".into(), "min_ring_seconds".into()],
            "invalid type: string \"two\", expected i64",
        );
        assert_eq!(e.key.as_deref(), Some("exceptions.min_ring_seconds"));
        assert_eq!(
            e.message,
            "expected a whole number, written without quotes (like 2), found string \"two\""
        );
        let e = from_toml(
            Path::new("u.toml"),
            Some(2),
            &["notify".into()],
            "unknown field `recipient`, expected one of `recipients`, `link_prefix`",
        );
        assert_eq!(e.key.as_deref(), Some("notify.recipient"));
        assert!(e.message.contains("did you mean `recipients`?"), "{e}");
    }
}
