//! The decision stages, pure: lookup, chains, exceptions and recipients, the stream over them.

pub(crate) mod chains;
pub(crate) mod exceptions;
pub(crate) mod intake;
pub(crate) mod lookup;
pub(crate) mod numbers;
pub(crate) mod packed;
pub(crate) mod plan;
pub(crate) mod recipients;
pub(crate) mod spill;
pub(crate) mod stream;
#[cfg(test)]
pub(crate) mod testkit;
