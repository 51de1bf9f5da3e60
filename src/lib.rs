//! `unanswered` turns the call journal of a telephone system into missed-call e-mails.
//!
//! The pipeline, in the order the data flows:
//! - [`journal`]: ingest (native CSV / JSON Lines, Asterisk CDR) → [`journal::Entry`]
//! - [`chains`]: entries → chains (who was rung, who answered) — pure
//! - [`policy`]: exceptions and recipients → a [`policy::Verdict`] per chain — pure
//! - [`render`]: verdicts → mails (XSLT)
//! - [`deliver`]: mails → SMTP, `.eml` files, or standard output
//!
//! with [`state`] beside it (what was sent, what is queued), and [`config`], [`directory`],
//! [`numbers`] as the ground they stand on. [`run`] carries out a command; `main` only parses
//! the arguments and maps the outcome to an exit code.

pub mod chains;
pub mod cli;
pub mod config;
pub mod csvlines;
pub mod decode;
pub mod deliver;
pub mod directory;
pub mod exit_codes;
pub mod explain;
pub mod generate;
pub mod init;
pub mod journal;
pub mod lookup;
pub mod numbers;
pub mod pipeline;
pub mod policy;
pub mod render;
pub mod run;
pub mod send_test;
pub mod state;
#[cfg(test)]
mod testkit;
pub mod time;
pub mod vcard;
