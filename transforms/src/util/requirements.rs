//! Kafka's `Requirements`: Map/Struct/schema/sink-record checks with Kafka's error messages.

use connect_api::data::{SchemaRef, Struct, Value};
use connect_api::{ConnectError, ConnectRecord, ConnectResult};

use super::java::class_name;

fn not_a_map(value: &Value, purpose: &str) -> ConnectError {
    ConnectError::data(format!(
        "Only Map objects supported in absence of schema for [{purpose}], found: {}",
        class_name(value)
    ))
}

fn not_a_struct(value: &Value, purpose: &str) -> ConnectError {
    ConnectError::data(format!(
        "Only Struct objects supported for [{purpose}], found: {}",
        class_name(value)
    ))
}

/// `requireMap`: the entries of a Map value.
pub fn require_map<'a>(value: &'a Value, purpose: &str) -> ConnectResult<&'a Vec<(Value, Value)>> {
    match value {
        Value::Map(entries) => Ok(entries),
        other => Err(not_a_map(other, purpose)),
    }
}

/// `requireMap` taking ownership.
pub fn into_map(value: Value, purpose: &str) -> ConnectResult<Vec<(Value, Value)>> {
    match value {
        Value::Map(entries) => Ok(entries),
        other => Err(not_a_map(&other, purpose)),
    }
}

/// `requireMapOrNull`.
pub fn require_map_or_null<'a>(
    value: &'a Value,
    purpose: &str,
) -> ConnectResult<Option<&'a Vec<(Value, Value)>>> {
    match value {
        Value::Null => Ok(None),
        other => require_map(other, purpose).map(Some),
    }
}

/// `requireStruct`.
pub fn require_struct<'a>(value: &'a Value, purpose: &str) -> ConnectResult<&'a Struct> {
    match value {
        Value::Struct(s) => Ok(s),
        other => Err(not_a_struct(other, purpose)),
    }
}

/// `requireStruct` taking ownership.
pub fn into_struct(value: Value, purpose: &str) -> ConnectResult<Struct> {
    match value {
        Value::Struct(s) => Ok(s),
        other => Err(not_a_struct(&other, purpose)),
    }
}

/// `requireStructOrNull`.
pub fn require_struct_or_null<'a>(
    value: &'a Value,
    purpose: &str,
) -> ConnectResult<Option<&'a Struct>> {
    match value {
        Value::Null => Ok(None),
        other => require_struct(other, purpose).map(Some),
    }
}

/// `requireSchema`.
pub fn require_schema<'a>(
    schema: Option<&'a SchemaRef>,
    purpose: &str,
) -> ConnectResult<&'a SchemaRef> {
    schema.ok_or_else(|| ConnectError::data(format!("Schema required for [{purpose}]")))
}

/// `requireSinkRecord`: the Kafka offset of a record read from Kafka.
pub fn require_sink_offset(record: &ConnectRecord, purpose: &str) -> ConnectResult<i64> {
    record.kafka_offset.ok_or_else(|| {
        ConnectError::data(format!(
            "Only SinkRecord supported for [{purpose}], found: org.apache.kafka.connect.source.SourceRecord"
        ))
    })
}
