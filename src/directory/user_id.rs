//! Who a user is: a user name compared ignoring case (SPEC §1.3 names users by `user`; the
//! journal's `u8sLineUserName`, the acceptor and the logons file may write it in any case).
//!
//! [`UserKey`] is the identity: the name folded with Unicode lower case (`str::to_lowercase`),
//! the form the state stores, so a database written before this type still matches.
//! [`UserId`] is a name as written (what mails and `explain` show) together with its key; it
//! compares, orders and hashes by the key only.

use std::borrow::{Borrow, Cow};
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};

/// A user name folded for comparing: two names are one user when their keys are equal.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct UserKey(String);

impl UserKey {
    /// The key of a name as written (any case).
    pub(crate) fn of(name: &str) -> UserKey {
        UserKey(fold(name).into_owned())
    }

    /// The folded text, as the state stores it.
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

/// The folded text of a name, borrowed when the name is folded already (plain ASCII without
/// capitals, as most user names are): for looking a name up in a map keyed by [`UserKey`]
/// without building a key (the map's `get` takes it through `Borrow<str>`).
pub(crate) fn fold(name: &str) -> Cow<'_, str> {
    if name
        .bytes()
        .any(|b| b.is_ascii_uppercase() || !b.is_ascii())
    {
        Cow::Owned(name.to_lowercase())
    } else {
        Cow::Borrowed(name)
    }
}

/// A key is looked up by its folded text (see [`fold`]); hash and equality are the text's.
impl Borrow<str> for UserKey {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for UserKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A user name as written, with its [`UserKey`]. Equality, order and hash are the key's.
#[derive(Debug, Clone)]
pub(crate) struct UserId {
    name: String,
    key: UserKey,
}

impl UserId {
    pub(crate) fn new(name: impl Into<String>) -> UserId {
        let name = name.into();
        let key = UserKey::of(&name);
        UserId { name, key }
    }

    /// The name as written.
    pub(crate) fn as_str(&self) -> &str {
        &self.name
    }

    pub(crate) fn key(&self) -> &UserKey {
        &self.key
    }

    /// True when `name` (any case) names this user.
    pub(crate) fn is(&self, name: &str) -> bool {
        fold(name) == self.key.as_str()
    }
}

impl PartialEq for UserId {
    fn eq(&self, other: &UserId) -> bool {
        self.key == other.key
    }
}

impl Eq for UserId {}

impl Hash for UserId {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.key.hash(state);
    }
}

impl PartialOrd for UserId {
    fn partial_cmp(&self, other: &UserId) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for UserId {
    fn cmp(&self, other: &UserId) -> Ordering {
        self.key.cmp(&other.key)
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

impl From<&str> for UserId {
    fn from(name: &str) -> UserId {
        UserId::new(name)
    }
}

impl From<String> for UserId {
    fn from(name: String) -> UserId {
        UserId::new(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::hash_map::DefaultHasher;

    fn hash_of(u: &UserId) -> u64 {
        let mut h = DefaultHasher::new();
        u.hash(&mut h);
        h.finish()
    }

    #[test]
    fn keys_fold_like_to_lowercase() {
        // (a, b, one user?, a's key)
        let cases: &[(&str, &str, bool, &str)] = &[
            ("Anna", "anna", true, "anna"),
            ("ANNA", "aNnA", true, "anna"),
            ("anna", "anne", false, "anna"),
            ("HMüller", "hmüller", true, "hmüller"),
            ("ÄRGER", "ärger", true, "ärger"),
            // ß has no one-letter capital in to_lowercase's view: ẞ folds to ß, "SS" stays ss
            ("Strauß", "STRAUß", true, "strauß"),
            ("ẞ", "ß", true, "ß"),
            ("Strauss", "Strauß", false, "strauss"),
            // Turkish dotted capital I folds to i + combining dot, not to a plain i
            ("İlker", "i\u{307}lker", true, "i\u{307}lker"),
            ("İlker", "ilker", false, "i\u{307}lker"),
            // the dotless ı is its own letter; I folds to a plain i
            ("ILKER", "ılker", false, "ilker"),
            ("ILKER", "ilker", true, "ilker"),
            // Greek final sigma as to_lowercase writes it at the end of a word
            // Greek: a capital sigma at the end of a word folds to the final ς, not to σ
            (
                "ΟΔΟΣ",
                "\u{3bf}\u{3b4}\u{3bf}\u{3c3}",
                false,
                "\u{3bf}\u{3b4}\u{3bf}\u{3c2}",
            ),
            ("", "", true, ""),
        ];
        for &(a, b, same, key) in cases {
            let (ua, ub) = (UserId::new(a), UserId::new(b));
            assert_eq!(ua == ub, same, "{a:?} vs {b:?}");
            assert_eq!(ua.is(b), same, "{a:?}.is({b:?})");
            assert_eq!(ua.key().as_str(), key, "{a:?}");
        }
    }

    #[test]
    fn the_name_as_written_is_kept() {
        let u = UserId::new("HMüller");
        assert_eq!(u.as_str(), "HMüller");
        assert_eq!(u.to_string(), "HMüller");
        assert_eq!(u.key().to_string(), "hmüller");
        assert_eq!(UserId::from("x").as_str(), "x");
    }

    #[test]
    fn a_map_of_keys_is_searched_by_the_folded_text() {
        let mut m = std::collections::HashMap::new();
        m.insert(UserKey::of("HMüller"), 1);
        m.insert(UserKey::of("anna"), 2);
        for (name, want) in [
            ("hmüller", Some(1)),
            ("HMÜLLER", Some(1)),
            ("Anna", Some(2)),
            ("ann", None),
        ] {
            assert_eq!(m.get(&*fold(name)).copied(), want, "{name:?}");
        }
        assert!(matches!(fold("anna.b-1"), Cow::Borrowed(_)));
        assert!(matches!(fold("Anna"), Cow::Owned(_)));
    }

    proptest! {
        #[test]
        fn eq_hash_and_order_agree(a in "[a-zA-ZäöüÄÖÜßẞİıIσΣς0-9._-]{0,8}", upper in any::<bool>()) {
            let b: String = if upper { a.to_uppercase() } else { a.to_lowercase() };
            let (ua, ub) = (UserId::new(a.as_str()), UserId::new(b.as_str()));
            prop_assert_eq!(ua == ub, a.to_lowercase() == b.to_lowercase());
            if ua == ub {
                prop_assert_eq!(hash_of(&ua), hash_of(&ub));
                prop_assert_eq!(ua.cmp(&ub), Ordering::Equal);
            } else {
                prop_assert_ne!(ua.cmp(&ub), Ordering::Equal);
            }
            prop_assert_eq!(ua.as_str(), a.as_str());
            prop_assert_eq!(fold(&a), a.to_lowercase());
        }
    }
}
