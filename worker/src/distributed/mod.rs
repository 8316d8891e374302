//! Distributed mode: Kafka Connect group membership protocol, the leader's assignors, and `connect distributed`.

pub mod assignor;
pub mod group;
pub mod protocol;
mod run;

pub use run::run;
