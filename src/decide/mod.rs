//! The decision stages, pure: lookup, chains, exceptions and recipients, the stream over them.

pub mod chains;
pub mod lookup;
pub mod numbers;
pub mod policy;
pub mod stream;
#[cfg(test)]
pub(crate) mod testkit;
