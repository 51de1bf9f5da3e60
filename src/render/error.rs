//! Why a mail, a template or a language file could not be used. Each message names what it
//! is about (the template, the file and line, the address) and what was expected. None ends
//! a command by itself: a mail that cannot be made is one failure of a run that goes on, and
//! a language file that cannot be read is one of the problems `Renderer::load` returns.

use crate::render::xslt::XsltError;

#[derive(Debug, thiserror::Error)]
pub(crate) enum Error {
    /// A template failed on this mail's document.
    #[error("template {template}: {source}")]
    Template {
        template: &'static str,
        source: XsltError,
    },
    /// A mail address (the recipient's, `mail.from`, `--send-test`) that is not one.
    #[error("{given:?} is not a mail address: {source}")]
    Address {
        given: String,
        source: lettre::address::AddressError,
    },
    /// The envelope (sender and recipient) cannot be made.
    #[error("{0}")]
    Envelope(lettre::error::Error),
    /// The message cannot be assembled.
    #[error("cannot build the mail: {0}")]
    Build(lettre::error::Error),
    /// A language file that cannot be used: the file, the line when the problem has one,
    /// what is wrong.
    #[error("{file}{}: {what}", line.map(|l| format!(":{l}")).unwrap_or_default())]
    Language {
        file: String,
        line: Option<usize>,
        what: String,
    },
    /// The languages directory cannot be listed.
    #[error("{}: cannot read the languages directory: {source}", dir.display())]
    LanguagesDir {
        dir: std::path::PathBuf,
        source: std::io::Error,
    },
    /// A language file cannot be read.
    #[error("{file}: cannot read: {source}")]
    Unreadable {
        file: String,
        source: std::io::Error,
    },
    /// The languages directory holds no language file.
    #[error("{}: no language files (<code>.xml) in the languages directory", dir.display())]
    NoLanguages { dir: std::path::PathBuf },
    /// A language lacks a string a template uses.
    #[error("language {language}: string `{key}` (used by {template}) is missing")]
    MissingString {
        language: String,
        key: String,
        template: String,
    },
    /// The configured language is not offered.
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    /// The thread rendering the mail ended without a result.
    #[error("the mail could not be rendered")]
    Lost,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_place_and_the_problem() {
        let e = Error::Language {
            file: "de.xml".into(),
            line: Some(3),
            what: "string `a` is defined twice".into(),
        };
        assert_eq!(e.to_string(), "de.xml:3: string `a` is defined twice");
        let e = Error::Language {
            file: "de.xml".into(),
            line: None,
            what: "expected a <language> element".into(),
        };
        assert_eq!(e.to_string(), "de.xml: expected a <language> element");
        let source = "no at sign".parse::<lettre::Address>().unwrap_err();
        let e = Error::Address {
            given: "no at sign".into(),
            source,
        };
        assert!(
            e.to_string()
                .starts_with("\"no at sign\" is not a mail address: "),
            "{e}"
        );
        assert_eq!(Error::Lost.to_string(), "the mail could not be rendered");
        let e = Error::MissingString {
            language: "de".into(),
            key: "title".into(),
            template: "t/mail.html.xsl".into(),
        };
        assert_eq!(
            e.to_string(),
            "language de: string `title` (used by t/mail.html.xsl) is missing"
        );
        let e = Error::NoLanguages {
            dir: "/etc/unanswered/languages".into(),
        };
        assert_eq!(
            e.to_string(),
            "/etc/unanswered/languages: no language files (<code>.xml) in the languages directory"
        );
    }
}
