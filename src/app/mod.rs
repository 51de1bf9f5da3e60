//! The commands (SPEC §6): each one carries out configuration → directory → journals →
//! verdicts → output. Nothing outside `app` orchestrates the stages.

pub(crate) mod explain;
pub mod run;
