//! connect-worker: the Kafka Connect–compatible worker runtime (Kafka's connect-runtime).

pub mod config;
pub mod distributed;
pub mod herder;
pub mod kafka;
pub mod logging;
pub mod metrics;
pub mod plugins;
pub mod process;
pub mod rest;
pub mod standalone;
pub mod storage;
pub mod task;
