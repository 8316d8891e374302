//! Kafka's `JsonConverter` (`org.apache.kafka.connect.json.JsonConverter`): JSON with or without an embedded schema.

pub(crate) mod cache;
mod config;
mod converter;
mod decoder;
mod encoder;
mod reader;
mod schema;

#[cfg(test)]
mod tests;

pub use config::{
    DecimalFormat, JsonConverterConfig, DECIMAL_FORMAT_CONFIG, REPLACE_NULL_WITH_DEFAULT_CONFIG,
    SCHEMAS_CACHE_SIZE_CONFIG, SCHEMAS_ENABLE_CONFIG,
};
pub use converter::JsonConverter;

/// Kafka's class name for this converter.
pub const CLASS_NAME: &str = "org.apache.kafka.connect.json.JsonConverter";
