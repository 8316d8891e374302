//! Kafka's `ByteArrayConverter` (`org.apache.kafka.connect.converters.ByteArrayConverter`): raw bytes passed through.

mod converter;

pub use converter::ByteArrayConverter;

/// Kafka's class name for this converter.
pub const CLASS_NAME: &str = "org.apache.kafka.connect.converters.ByteArrayConverter";
