//! Distributed mode: Kafka Connect group membership protocol and the leader's assignors.

pub mod assignor;
pub mod group;
pub mod protocol;
