//! Connect schemas: types, attributes, fields, the builder, and value validation against a schema.

use std::fmt;
use std::sync::{Arc, LazyLock};

use indexmap::IndexMap;

use super::{Struct, Value};
use crate::error::ConnectError;

/// The physical types of Kafka Connect's data model.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SchemaType {
    Int8,
    Int16,
    Int32,
    Int64,
    Float32,
    Float64,
    Boolean,
    String,
    Bytes,
    Array,
    Map,
    Struct,
}

impl SchemaType {
    /// Kafka's `Schema.Type` name (`INT8`, `STRUCT`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Self::Int8 => "INT8",
            Self::Int16 => "INT16",
            Self::Int32 => "INT32",
            Self::Int64 => "INT64",
            Self::Float32 => "FLOAT32",
            Self::Float64 => "FLOAT64",
            Self::Boolean => "BOOLEAN",
            Self::String => "STRING",
            Self::Bytes => "BYTES",
            Self::Array => "ARRAY",
            Self::Map => "MAP",
            Self::Struct => "STRUCT",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name.to_ascii_uppercase().as_str() {
            "INT8" => Self::Int8,
            "INT16" => Self::Int16,
            "INT32" => Self::Int32,
            "INT64" => Self::Int64,
            "FLOAT32" => Self::Float32,
            "FLOAT64" => Self::Float64,
            "BOOLEAN" => Self::Boolean,
            "STRING" => Self::String,
            "BYTES" => Self::Bytes,
            "ARRAY" => Self::Array,
            "MAP" => Self::Map,
            "STRUCT" => Self::Struct,
            _ => return None,
        })
    }

    pub fn is_primitive(self) -> bool {
        !matches!(self, Self::Array | Self::Map | Self::Struct)
    }
}

impl fmt::Display for SchemaType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Schemas are shared immutably between records.
pub type SchemaRef = Arc<Schema>;

/// One field of a STRUCT schema.
#[derive(Clone, Debug, PartialEq)]
pub struct Field {
    pub name: String,
    pub index: usize,
    pub schema: SchemaRef,
}

/// A Connect schema (Kafka's `ConnectSchema`).
#[derive(Clone, Debug, PartialEq)]
pub struct Schema {
    pub schema_type: SchemaType,
    pub optional: bool,
    pub default_value: Option<Value>,
    pub name: Option<String>,
    pub version: Option<i32>,
    pub doc: Option<String>,
    pub parameters: IndexMap<String, String>,
    /// STRUCT fields in order.
    pub fields: Vec<Field>,
    /// MAP key schema.
    pub key_schema: Option<SchemaRef>,
    /// ARRAY element schema or MAP value schema.
    pub value_schema: Option<SchemaRef>,
}

impl Schema {
    fn of(schema_type: SchemaType, optional: bool) -> Schema {
        Schema {
            schema_type,
            optional,
            default_value: None,
            name: None,
            version: None,
            doc: None,
            parameters: IndexMap::new(),
            fields: Vec::new(),
            key_schema: None,
            value_schema: None,
        }
    }

    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    pub fn parameter(&self, key: &str) -> Option<&str> {
        self.parameters.get(key).map(String::as_str)
    }

    /// Checks `value` against this schema as Kafka's `ConnectSchema.validateValue` does.
    pub fn validate_value(&self, value: &Value) -> Result<(), ConnectError> {
        validate(self, value, None)
    }
}

fn validate(schema: &Schema, value: &Value, field: Option<&str>) -> Result<(), ConnectError> {
    let location = || {
        field
            .map(|f| format!(" for field: \"{f}\""))
            .unwrap_or_default()
    };
    if value.is_null() {
        if schema.optional || schema.default_value.is_some() {
            return Ok(());
        }
        return Err(ConnectError::data(format!(
            "Invalid value: null used for required field: \"{}\", schema type: {}",
            field.unwrap_or("null"),
            schema.schema_type
        )));
    }
    if !value.fits(schema) {
        return Err(ConnectError::data(format!(
            "Invalid Java object for schema {} with type {}: {}{}",
            schema.name.as_deref().unwrap_or("\"null\""),
            schema.schema_type,
            value.type_name(),
            location()
        )));
    }
    match value {
        Value::Array(items) => {
            let element = schema
                .value_schema
                .as_deref()
                .ok_or_else(|| missing("value", schema))?;
            items
                .iter()
                .try_for_each(|v| validate(element, v, Some("entry")))
        }
        Value::Map(entries) => {
            let key = schema
                .key_schema
                .as_deref()
                .ok_or_else(|| missing("key", schema))?;
            let val = schema
                .value_schema
                .as_deref()
                .ok_or_else(|| missing("value", schema))?;
            entries.iter().try_for_each(|(k, v)| {
                validate(key, k, Some("key"))?;
                validate(val, v, Some("value"))
            })
        }
        Value::Struct(s) => {
            if s.schema().as_ref() != schema {
                return Err(ConnectError::data("Struct schemas do not match."));
            }
            s.validate()
        }
        _ => Ok(()),
    }
}

fn missing(what: &str, schema: &Schema) -> ConnectError {
    ConnectError::data(format!(
        "{} schema has no {what} schema",
        schema.schema_type
    ))
}

/// Builds schemas the way Kafka's `SchemaBuilder` does.
#[derive(Clone, Debug)]
pub struct SchemaBuilder {
    schema: Schema,
}

impl SchemaBuilder {
    pub fn new(schema_type: SchemaType) -> Self {
        SchemaBuilder {
            schema: Schema::of(schema_type, false),
        }
    }
    pub fn int8() -> Self {
        Self::new(SchemaType::Int8)
    }
    pub fn int16() -> Self {
        Self::new(SchemaType::Int16)
    }
    pub fn int32() -> Self {
        Self::new(SchemaType::Int32)
    }
    pub fn int64() -> Self {
        Self::new(SchemaType::Int64)
    }
    pub fn float32() -> Self {
        Self::new(SchemaType::Float32)
    }
    pub fn float64() -> Self {
        Self::new(SchemaType::Float64)
    }
    pub fn boolean() -> Self {
        Self::new(SchemaType::Boolean)
    }
    pub fn string() -> Self {
        Self::new(SchemaType::String)
    }
    pub fn bytes() -> Self {
        Self::new(SchemaType::Bytes)
    }
    pub fn struct_() -> Self {
        Self::new(SchemaType::Struct)
    }
    pub fn array(items: SchemaRef) -> Self {
        let mut b = Self::new(SchemaType::Array);
        b.schema.value_schema = Some(items);
        b
    }
    pub fn map(keys: SchemaRef, values: SchemaRef) -> Self {
        let mut b = Self::new(SchemaType::Map);
        b.schema.key_schema = Some(keys);
        b.schema.value_schema = Some(values);
        b
    }
    /// Starts a builder from an existing schema (fields, attributes and all).
    pub fn from_schema(schema: &Schema) -> Self {
        SchemaBuilder {
            schema: schema.clone(),
        }
    }

    pub fn optional(mut self) -> Self {
        self.schema.optional = true;
        self
    }
    pub fn required(mut self) -> Self {
        self.schema.optional = false;
        self
    }
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.schema.name = Some(name.into());
        self
    }
    pub fn version(mut self, version: i32) -> Self {
        self.schema.version = Some(version);
        self
    }
    pub fn doc(mut self, doc: impl Into<String>) -> Self {
        self.schema.doc = Some(doc.into());
        self
    }
    pub fn parameter(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.schema.parameters.insert(key.into(), value.into());
        self
    }
    pub fn parameters(mut self, params: IndexMap<String, String>) -> Self {
        self.schema.parameters.extend(params);
        self
    }
    /// Sets the default value; it must be valid for the schema built so far.
    pub fn default_value(mut self, value: Value) -> Result<Self, ConnectError> {
        self.schema
            .validate_value(&value)
            .map_err(|e| ConnectError::data(format!("Invalid default value: {}", e.message())))?;
        self.schema.default_value = Some(value);
        Ok(self)
    }
    /// Adds a STRUCT field; a duplicate name is an error as in Kafka.
    pub fn field(
        mut self,
        name: impl Into<String>,
        schema: SchemaRef,
    ) -> Result<Self, ConnectError> {
        let name = name.into();
        if self.schema.schema_type != SchemaType::Struct {
            return Err(ConnectError::data(
                "Cannot create fields on type ".to_string() + self.schema.schema_type.name(),
            ));
        }
        if self.schema.field(&name).is_some() {
            return Err(ConnectError::data(format!(
                "Cannot create field because of field name duplication {name}"
            )));
        }
        let index = self.schema.fields.len();
        self.schema.fields.push(Field {
            name,
            index,
            schema,
        });
        Ok(self)
    }
    /// Adds a field whose name is known to be new (for code that builds fixed schemas).
    pub fn with_field(self, name: &str, schema: SchemaRef) -> Self {
        let dup = self.schema.field(name).is_some();
        assert!(!dup, "duplicate field {name}");
        self.field(name, schema).expect("struct builder")
    }
    pub fn build(self) -> SchemaRef {
        Arc::new(self.schema)
    }
    pub fn build_schema(self) -> Schema {
        self.schema
    }
}

macro_rules! shared_schema {
    ($($fn_name:ident => $ty:ident, $optional:expr;)*) => {
        $(
            #[doc = concat!("The shared `", stringify!($fn_name), "` schema.")]
            pub fn $fn_name() -> SchemaRef {
                static S: LazyLock<SchemaRef> = LazyLock::new(|| Arc::new(Schema::of(SchemaType::$ty, $optional)));
                S.clone()
            }
        )*
    };
}

/// Kafka's predefined `Schema.*_SCHEMA` constants.
pub mod schemas {
    use super::*;
    shared_schema! {
        int8 => Int8, false;
        int16 => Int16, false;
        int32 => Int32, false;
        int64 => Int64, false;
        float32 => Float32, false;
        float64 => Float64, false;
        boolean => Boolean, false;
        string => String, false;
        bytes => Bytes, false;
        optional_int8 => Int8, true;
        optional_int16 => Int16, true;
        optional_int32 => Int32, true;
        optional_int64 => Int64, true;
        optional_float32 => Float32, true;
        optional_float64 => Float64, true;
        optional_boolean => Boolean, true;
        optional_string => String, true;
        optional_bytes => Bytes, true;
    }
}

impl Struct {
    /// Validates every field value against its field schema.
    pub fn validate(&self) -> Result<(), ConnectError> {
        for field in &self.schema().fields {
            validate(
                &field.schema,
                self.get_without_default(&field.name)
                    .unwrap_or(&Value::Null),
                Some(&field.name),
            )?;
        }
        Ok(())
    }
}
