//! `unanswered` turns the call journal of a telephone system into missed-call e-mails.
//!
//! The pipeline, in the order the data flows:
//! - [`ingest`]: ingest (native CSV / JSON Lines, Asterisk CDR) → [`ingest::Entry`]
//! - [`decide`]: entries → chains (who was rung, who answered) → exceptions and recipients →
//!   a verdict per chain — pure
//! - [`render`]: verdicts → mails (XSLT)
//! - [`deliver`]: mails → SMTP, `.eml` files, or standard output
//!
//! with [`state`] beside it (what was sent, what is queued), and [`config`], [`directory`]
//! as the ground they stand on. [`app`] carries out a command; `main` only parses
//! the arguments and maps the outcome to an exit code.

pub mod app;
pub mod cli;
pub mod config;
pub mod decide;
pub mod deliver;
pub mod directory;
pub mod exit_codes;
pub mod ingest;
pub mod render;
pub mod state;
