//! The commands: each one carries out configuration → directory → journals → verdicts → output.

pub mod explain;
pub mod run;
