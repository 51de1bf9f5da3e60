//! The directory as the decision stages see it: users by name and by line, contacts by
//! number. Pure: built from already-loaded records, no files.

use std::collections::HashMap;

use crate::decide::numbers::{Number, NumberPlan};
use crate::directory::User;

/// A caller's contact (SPEC §1.3).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ContactInfo {
    pub name: String,
    pub company: Option<String>,
    pub email: Option<String>,
    /// Raw numbers with their kind.
    pub phones: Vec<(String, crate::directory::PhoneKind)>,
}

/// Users and contacts, indexed by normalised number.
#[derive(Debug, Clone, Default)]
pub struct Lookup {
    pub plan: NumberPlan,
    users: Vec<User>,
    by_name: HashMap<String, usize>,
    by_line: HashMap<Number, usize>,
    contacts: Vec<ContactInfo>,
    contact_by_number: HashMap<Number, usize>,
}

impl Lookup {
    /// Indexes users and contacts. The first user (or contact) to claim a number keeps it.
    pub fn new(plan: NumberPlan, users: Vec<User>, contacts: Vec<ContactInfo>) -> Lookup {
        let mut l = Lookup {
            plan,
            ..Lookup::default()
        };
        for u in users {
            let idx = l.users.len();
            l.by_name.entry(u.user.to_lowercase()).or_insert(idx);
            for line in &u.lines {
                if let Some(n) = l.plan.normalise(line) {
                    l.by_line.entry(n).or_insert(idx);
                }
            }
            l.users.push(u);
        }
        for c in contacts {
            let idx = l.contacts.len();
            for (p, _) in &c.phones {
                if let Some(n) = l.plan.normalise(p) {
                    l.contact_by_number.entry(n).or_insert(idx);
                }
            }
            l.contacts.push(c);
        }
        l
    }

    pub fn user(&self, name: &str) -> Option<&User> {
        self.by_name
            .get(&name.to_lowercase())
            .map(|&i| &self.users[i])
    }

    pub fn user_by_line(&self, line: &Number) -> Option<&User> {
        self.by_line.get(line).map(|&i| &self.users[i])
    }

    /// True when the number is a line of a user (an internal caller, SPEC §3.1).
    pub fn is_user_line(&self, n: &Number) -> bool {
        self.by_line.contains_key(n)
    }

    pub fn contact(&self, n: &Number) -> Option<&ContactInfo> {
        self.contact_by_number.get(n).map(|&i| &self.contacts[i])
    }

    pub fn users(&self) -> &[User] {
        &self.users
    }
}
