//! The decision stages, pure: lookup, chains, exceptions and recipients, the stream over them.

pub mod chains;
pub mod exceptions;
pub mod lookup;
pub mod numbers;
pub mod packed;
pub mod plan;
pub mod recipients;
pub mod stream;
#[cfg(test)]
pub(crate) mod testkit;
