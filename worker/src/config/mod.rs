//! Worker and connector configuration: properties files, config providers, and the ConfigDefs of worker and
//! connector settings with Kafka's names and defaults.

pub mod connector;
pub mod jaas;
pub mod override_policy;
pub mod pem;
pub mod properties;
pub mod providers;
pub mod worker;

/// Settings from `(key, value)` pairs, for unit tests.
#[cfg(test)]
pub fn settings_of(pairs: &[(&str, &str)]) -> std::collections::BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}
