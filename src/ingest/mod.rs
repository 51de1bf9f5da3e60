//! Journal ingest: turns export files into [`Entry`] values, one per journal entry (one line
//! of one owner that was offered one call), streaming.
//!
//! Every reader yields [`Item`]s: an entry, a row that is deliberately not an entry (with the
//! reason, so nothing vanishes silently), or a row error with its file and line.

pub(crate) mod asterisk;
pub(crate) mod csv;
pub(crate) mod detect;
#[cfg(test)]
mod fuzz;
mod model;
pub(crate) mod native;
pub(crate) mod text;
pub(crate) mod time;

pub(crate) use model::*;
