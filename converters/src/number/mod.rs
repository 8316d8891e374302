//! Kafka's number and boolean converters (`org.apache.kafka.connect.converters.{Short,Integer,Long,Float,Double,
//! Boolean}Converter`): the fixed-size big-endian formats of Kafka's serializers.

mod boolean;
mod converter;
mod types;

pub use boolean::BooleanConverter;
pub use converter::NumberConverter;
pub use types::{DoubleType, FloatType, IntegerType, LongType, NumberType, ShortType};

/// `org.apache.kafka.connect.converters.ShortConverter`: INT16 as 2 bytes.
pub type ShortConverter = NumberConverter<ShortType>;
/// `org.apache.kafka.connect.converters.IntegerConverter`: INT32 as 4 bytes.
pub type IntegerConverter = NumberConverter<IntegerType>;
/// `org.apache.kafka.connect.converters.LongConverter`: INT64 as 8 bytes.
pub type LongConverter = NumberConverter<LongType>;
/// `org.apache.kafka.connect.converters.FloatConverter`: FLOAT32 as 4 bytes (IEEE 754).
pub type FloatConverter = NumberConverter<FloatType>;
/// `org.apache.kafka.connect.converters.DoubleConverter`: FLOAT64 as 8 bytes (IEEE 754).
pub type DoubleConverter = NumberConverter<DoubleType>;
