//! Kafka's default header converter, `SimpleHeaderConverter` (`org.apache.kafka.connect.storage.SimpleHeaderConverter`).

mod simple;

pub use simple::SimpleHeaderConverter;

/// Kafka's class name for this header converter.
pub const CLASS_NAME: &str = "org.apache.kafka.connect.storage.SimpleHeaderConverter";
