//! Kafka's `StringConverter` (`org.apache.kafka.connect.storage.StringConverter`): values as text in a configurable
//! character set, also usable as a header converter.

mod charset;
mod config;
mod converter;
mod java_text;

pub use charset::Charset;
pub use config::{StringConverterConfig, ENCODING_CONFIG};
pub use converter::StringConverter;

/// Kafka's class name for this converter.
pub const CLASS_NAME: &str = "org.apache.kafka.connect.storage.StringConverter";
