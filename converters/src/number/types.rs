//! The number types Kafka's serdes handle: their names, schemas and big-endian byte forms.

use connect_api::data::{schemas, SchemaRef, Value};

/// One number type of Kafka's serdes.
pub trait NumberType: Send + Sync + 'static {
    /// Kafka's class name of the converter.
    const CLASS_NAME: &'static str;
    /// The Java type name in messages (`Integer`).
    const TYPE_NAME: &'static str;
    /// The deserializer's name in its size message (`IntegerDeserializer`, or `Deserializer` for floats).
    const DESERIALIZER: &'static str;
    const SIZE: usize;
    /// The optional schema every deserialized value gets.
    fn schema() -> SchemaRef;
    /// The big-endian bytes of a value of this type; None for any other kind of value.
    fn to_bytes(value: &Value) -> Option<Vec<u8>>;
    /// The value of exactly `SIZE` bytes.
    fn from_bytes(bytes: &[u8]) -> Value;
}

macro_rules! number_type {
    ($name:ident, $class:literal, $type_name:literal, $deser:literal, $rust:ty, $variant:ident, $schema:ident) => {
        #[doc = concat!("Java `", $type_name, "`, as `", $class, "` converts it.")]
        #[derive(Clone, Copy, Debug, Default)]
        pub struct $name;

        impl NumberType for $name {
            const CLASS_NAME: &'static str = $class;
            const TYPE_NAME: &'static str = $type_name;
            const DESERIALIZER: &'static str = $deser;
            const SIZE: usize = std::mem::size_of::<$rust>();
            fn schema() -> SchemaRef {
                schemas::$schema()
            }
            fn to_bytes(value: &Value) -> Option<Vec<u8>> {
                match value {
                    Value::$variant(v) => Some(v.to_be_bytes().to_vec()),
                    _ => None,
                }
            }
            fn from_bytes(bytes: &[u8]) -> Value {
                let mut raw = [0u8; std::mem::size_of::<$rust>()];
                raw.copy_from_slice(bytes);
                Value::$variant(<$rust>::from_be_bytes(raw))
            }
        }
    };
}

number_type!(
    ShortType,
    "org.apache.kafka.connect.converters.ShortConverter",
    "Short",
    "ShortDeserializer",
    i16,
    Int16,
    optional_int16
);
number_type!(
    IntegerType,
    "org.apache.kafka.connect.converters.IntegerConverter",
    "Integer",
    "IntegerDeserializer",
    i32,
    Int32,
    optional_int32
);
number_type!(
    LongType,
    "org.apache.kafka.connect.converters.LongConverter",
    "Long",
    "LongDeserializer",
    i64,
    Int64,
    optional_int64
);
number_type!(
    FloatType,
    "org.apache.kafka.connect.converters.FloatConverter",
    "Float",
    "Deserializer",
    f32,
    Float32,
    optional_float32
);
number_type!(
    DoubleType,
    "org.apache.kafka.connect.converters.DoubleConverter",
    "Double",
    "Deserializer",
    f64,
    Float64,
    optional_float64
);
