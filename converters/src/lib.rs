//! connect-converters: Kafka Connect's built-in converters, byte-compatible with Kafka's: `JsonConverter`,
//! `StringConverter`, `ByteArrayConverter`, the number and boolean converters, `SimpleHeaderConverter`, Confluent's
//! `AvroConverter` with its Schema Registry client, and the registry the worker lists and creates them from.

pub mod avro;
pub mod bytearray;
pub mod config;
pub mod header;
mod java;
pub mod json;
pub mod number;
pub mod registry;
pub mod string;

pub use avro::AvroConverter;
pub use bytearray::ByteArrayConverter;
pub use header::SimpleHeaderConverter;
pub use json::{DecimalFormat, JsonConverter, JsonConverterConfig};
pub use number::{
    BooleanConverter, DoubleConverter, FloatConverter, IntegerConverter, LongConverter,
    ShortConverter,
};
pub use registry::{
    converter_plugins, header_converter_plugins, new_converter, new_header_converter,
    ConverterFactory, HeaderConverterFactory,
};
pub use string::StringConverter;
