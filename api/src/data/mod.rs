//! Kafka Connect's data model: schemas, values, structs and logical types.

pub mod json_text;
pub mod logical;
mod schema;
mod value;
pub mod values;

pub use schema::{schemas, Field, Schema, SchemaBuilder, SchemaRef, SchemaType};
pub use value::{Struct, Value};

/// A value with its (optional) schema, as converters return it.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct SchemaAndValue {
    pub schema: Option<SchemaRef>,
    pub value: Value,
}

impl SchemaAndValue {
    pub fn new(schema: Option<SchemaRef>, value: Value) -> Self {
        SchemaAndValue { schema, value }
    }
    pub fn null() -> Self {
        Self::default()
    }
}
