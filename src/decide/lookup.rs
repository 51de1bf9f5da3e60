//! The directory as the decision stages see it: users by name and by line, contacts by
//! number. Pure: built from already-loaded records, no files.

use crate::decide::chains::Map;
use crate::decide::numbers::{Number, NumberPlan};
use crate::directory::{fold_user, Contact, User, UserKey};

/// Who a caller is, every field from one record (see [`Lookup::caller_record`]).
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct CallerRecord {
    pub(crate) name: Option<String>,
    pub(crate) company: Option<String>,
    pub(crate) email: Option<String>,
    /// The contacts-file record, when that is the source.
    pub(crate) contact: Option<Contact>,
}

/// Users and contacts, indexed by normalised number.
#[derive(Debug, Clone, Default)]
pub(crate) struct Lookup {
    pub(crate) plan: NumberPlan,
    users: Vec<User>,
    by_name: Map<UserKey, usize>,
    by_line: Map<Number, usize>,
    /// The users' lines as the users file writes them, with the user `by_line` gives each:
    /// a journal that writes a line the same way finds its user without normalising it.
    by_line_as_written: Map<Box<str>, usize>,
    contacts: Vec<Contact>,
    contact_by_number: Map<Number, usize>,
}

impl Lookup {
    /// Indexes users and contacts. The first user (or contact) to claim a number keeps it.
    pub(crate) fn new(plan: NumberPlan, users: Vec<User>, contacts: Vec<Contact>) -> Lookup {
        let mut l = Lookup {
            plan,
            ..Lookup::default()
        };
        for u in users {
            let idx = l.users.len();
            l.by_name.entry(u.user.key().clone()).or_insert(idx);
            for line in &u.lines {
                if let Some(n) = l.plan.normalise(line) {
                    // the first claim is final: the line as written goes to its owner
                    let owner = *l.by_line.entry(n).or_insert(idx);
                    l.by_line_as_written.insert(line.as_str().into(), owner);
                }
            }
            l.users.push(u);
        }
        for c in contacts {
            let idx = l.contacts.len();
            for p in &c.phones {
                if let Some(n) = l.plan.normalise(&p.number) {
                    l.contact_by_number.entry(n).or_insert(idx);
                }
            }
            l.contacts.push(c);
        }
        l
    }

    /// The user a name (any case) names.
    pub(crate) fn user(&self, name: &str) -> Option<&User> {
        // names are mostly written in lower case already: folded only when needed
        self.by_name.get(&*fold_user(name)).map(|&i| &self.users[i])
    }

    pub(crate) fn user_by_line(&self, line: &Number) -> Option<&User> {
        self.by_line.get(line).map(|&i| &self.users[i])
    }

    /// The user of a line as a journal writes it: `user_by_line` of the normalised number.
    pub(crate) fn user_by_raw_line(&self, raw: &str) -> Option<&User> {
        if let Some(&i) = self.by_line_as_written.get(raw) {
            return Some(&self.users[i]);
        }
        self.user_by_line(&self.plan.normalise(raw)?)
    }

    /// True when the number is a line of a user (an internal caller, SPEC §3.1).
    pub(crate) fn is_user_line(&self, n: &Number) -> bool {
        self.by_line.contains_key(n)
    }

    pub(crate) fn contact(&self, n: &Number) -> Option<&Contact> {
        self.contact_by_number.get(n).map(|&i| &self.contacts[i])
    }

    /// The caller's contact as one record (SPEC §7): the contacts files' record for the
    /// number, whole (name, company, e-mail, further numbers), when there is one; else the
    /// name and company the journal gave, with no e-mail and no further numbers. Fields of two
    /// records are never mixed, so a card never pairs one person's name with another's address.
    pub(crate) fn caller_record(
        &self,
        number: Option<&Number>,
        journal_name: Option<&str>,
        journal_company: Option<&str>,
    ) -> CallerRecord {
        let nonempty = |s: Option<&str>| {
            s.map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        match number.and_then(|n| self.contact(n)) {
            Some(c) => CallerRecord {
                name: nonempty(Some(&c.name)),
                company: nonempty(c.company.as_deref()),
                email: nonempty(c.email.as_deref()),
                contact: Some(c.clone()),
            },
            None => CallerRecord {
                name: nonempty(journal_name),
                company: nonempty(journal_company),
                email: None,
                contact: None,
            },
        }
    }

    pub(crate) fn users(&self) -> &[User] {
        &self.users
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::directory::PhoneKind;

    fn lookup() -> Lookup {
        let plan = NumberPlan {
            country_code: "49".into(),
            area_code: "30".into(),
            ..NumberPlan::default()
        };
        let jane = Contact {
            company: Some("Globex Ltd.".into()),
            email: Some("jane.doe@globex.example".into()),
            ..Contact::new("Jane Doe", &[("+44 20 7946 0000", PhoneKind::Work)])
        };
        Lookup::new(plan, Vec::new(), vec![jane])
    }

    #[test]
    fn a_line_as_written_finds_the_user_its_number_does() {
        let plan = NumberPlan {
            area_code: "30".into(),
            pbx_number: "555".into(),
            ..NumberPlan::default()
        };
        // bob's "+49 30 555 201" is anna's 201: the first to claim a number keeps it
        let l = Lookup::new(
            plan,
            vec![
                User::new("anna", None, &["201"]),
                User::new("bob", None, &["+49 30 555 201", "202"]),
            ],
            Vec::new(),
        );
        for raw in [
            "201",
            "+49 30 555 201",
            " 201",
            "030555201",
            "202",
            "203",
            "",
            "x",
        ] {
            let by_number = l.plan.normalise(raw).and_then(|n| l.user_by_line(&n));
            assert_eq!(
                l.user_by_raw_line(raw).map(|u| u.user.to_string()),
                by_number.map(|u| u.user.to_string()),
                "{raw:?}"
            );
        }
        assert_eq!(
            l.user_by_raw_line("+49 30 555 201")
                .unwrap()
                .user
                .to_string(),
            "anna"
        );
    }

    #[test]
    fn a_caller_is_one_record() {
        let l = lookup();
        let known = l.plan.normalise("+44 20 7946 0000");
        // the journal says 李小龙, the contacts file Jane Doe: every field is Jane Doe's
        let r = l.caller_record(known.as_ref(), Some("李小龙"), Some("Other Co"));
        assert_eq!(r.name.as_deref(), Some("Jane Doe"));
        assert_eq!(r.company.as_deref(), Some("Globex Ltd."));
        assert_eq!(r.email.as_deref(), Some("jane.doe@globex.example"));
        assert!(r.contact.is_some());
        // no record for the number: the journal's name and company, and no address
        let other = l.plan.normalise("+44 20 7946 1111");
        let r = l.caller_record(other.as_ref(), Some("李小龙"), Some(" "));
        assert_eq!(r.name.as_deref(), Some("李小龙"));
        assert_eq!(r.company, None);
        assert_eq!(r.email, None);
        assert_eq!(r.contact, None);
    }
}
