//! Connect values: the physical value of every schema type, and `Struct`.

use std::sync::Arc;

use bytes::Bytes;

use super::{Schema, SchemaRef, SchemaType};
use crate::error::ConnectError;

/// A Connect value. Logical types keep their physical representation (Decimal: unscaled big-endian bytes, Date:
/// days as INT32, Time: millis as INT32, Timestamp: epoch millis as INT64); `crate::data::logical` converts.
#[derive(Clone, Debug, PartialEq, Default)]
pub enum Value {
    #[default]
    Null,
    Boolean(bool),
    Int8(i8),
    Int16(i16),
    Int32(i32),
    Int64(i64),
    Float32(f32),
    Float64(f64),
    String(String),
    Bytes(Bytes),
    Array(Vec<Value>),
    /// Entries in insertion order; keys may be any value, as in Kafka.
    Map(Vec<(Value, Value)>),
    Struct(Struct),
}

impl Value {
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The schema type this value naturally belongs to (None for null).
    pub fn schema_type(&self) -> Option<SchemaType> {
        Some(match self {
            Value::Null => return None,
            Value::Boolean(_) => SchemaType::Boolean,
            Value::Int8(_) => SchemaType::Int8,
            Value::Int16(_) => SchemaType::Int16,
            Value::Int32(_) => SchemaType::Int32,
            Value::Int64(_) => SchemaType::Int64,
            Value::Float32(_) => SchemaType::Float32,
            Value::Float64(_) => SchemaType::Float64,
            Value::String(_) => SchemaType::String,
            Value::Bytes(_) => SchemaType::Bytes,
            Value::Array(_) => SchemaType::Array,
            Value::Map(_) => SchemaType::Map,
            Value::Struct(_) => SchemaType::Struct,
        })
    }

    /// Whether this (non-null) value has the physical type `schema` asks for.
    pub fn fits(&self, schema: &Schema) -> bool {
        self.schema_type() == Some(schema.schema_type)
    }

    /// A short type description for error messages.
    pub fn type_name(&self) -> &'static str {
        self.schema_type().map(SchemaType::name).unwrap_or("null")
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_struct(&self) -> Option<&Struct> {
        match self {
            Value::Struct(s) => Some(s),
            _ => None,
        }
    }

    /// Any integer variant widened to i64.
    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            Value::Int8(v) => Some(v.into()),
            Value::Int16(v) => Some(v.into()),
            Value::Int32(v) => Some(v.into()),
            Value::Int64(v) => Some(v),
            _ => None,
        }
    }

    /// Looks a key up in a MAP value.
    pub fn map_get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Map(entries) => entries
                .iter()
                .find(|(k, _)| k.as_str() == Some(key))
                .map(|(_, v)| v),
            _ => None,
        }
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::String(v.to_string())
    }
}
impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::String(v)
    }
}
impl From<i32> for Value {
    fn from(v: i32) -> Self {
        Value::Int32(v)
    }
}
impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int64(v)
    }
}
impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Boolean(v)
    }
}
impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::Float64(v)
    }
}
impl From<Struct> for Value {
    fn from(v: Struct) -> Self {
        Value::Struct(v)
    }
}
impl From<Vec<u8>> for Value {
    fn from(v: Vec<u8>) -> Self {
        Value::Bytes(Bytes::from(v))
    }
}

/// A STRUCT value: one slot per schema field (Kafka's `Struct`).
#[derive(Clone, Debug, PartialEq)]
pub struct Struct {
    schema: SchemaRef,
    values: Vec<Value>,
}

impl Struct {
    /// An empty struct for a STRUCT schema; every field starts null.
    pub fn new(schema: SchemaRef) -> Result<Struct, ConnectError> {
        if schema.schema_type != SchemaType::Struct {
            return Err(ConnectError::data(
                "Not a struct schema: ".to_string() + schema.schema_type.name(),
            ));
        }
        let values = vec![Value::Null; schema.fields.len()];
        Ok(Struct { schema, values })
    }

    pub fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    /// Sets a field, checking the value against the field's schema.
    pub fn put(&mut self, field: &str, value: impl Into<Value>) -> Result<&mut Self, ConnectError> {
        let value = value.into();
        let f = self
            .schema
            .field(field)
            .ok_or_else(|| ConnectError::data(format!("{field} is not a valid field name")))?;
        super::schema::Schema::validate_value(&f.schema, &value)
            .map_err(|e| ConnectError::data(format!("{} for field: \"{field}\"", e.message())))?;
        self.values[f.index] = value;
        Ok(self)
    }

    /// Builder-style `put` for code that constructs known-good structs.
    pub fn with(mut self, field: &str, value: impl Into<Value>) -> Result<Self, ConnectError> {
        self.put(field, value)?;
        Ok(self)
    }

    /// Sets a field by index without validation (for decoders that already checked the type).
    pub fn put_unchecked(&mut self, index: usize, value: Value) {
        self.values[index] = value;
    }

    /// The field's value, or its schema default when the value is null (Kafka's `get`).
    pub fn get(&self, field: &str) -> Option<&Value> {
        let f = self.schema.field(field)?;
        let v = &self.values[f.index];
        if v.is_null() {
            if let Some(d) = &f.schema.default_value {
                return Some(d);
            }
        }
        Some(v)
    }

    /// The field's value as stored, without applying its default.
    pub fn get_without_default(&self, field: &str) -> Option<&Value> {
        self.schema.field(field).map(|f| &self.values[f.index])
    }

    pub fn values(&self) -> &[Value] {
        &self.values
    }

    /// The schema fields paired with their stored values.
    pub fn iter(&self) -> impl Iterator<Item = (&super::Field, &Value)> {
        self.schema.fields.iter().zip(self.values.iter())
    }

    pub fn schema_arc(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }
}
