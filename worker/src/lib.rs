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

/// Helpers shared by the crate's unit tests.
#[cfg(test)]
pub(crate) mod test_support {
    /// A config map from `(key, value)` pairs.
    pub fn config(pairs: &[(&str, &str)]) -> connect_api::Config {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }
}
