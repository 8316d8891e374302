//! Connect value → Avro binary, walking the Connect schema the way `from_connect` maps it to Avro (so no Avro schema
//! is needed at encode time): optional schemas are `[null, T]` unions (`[T, null]` with a default), maps with
//! non-string keys arrays of key/value records, Union structs Avro unions.

use connect_api::data::{Schema, SchemaType, Value};
use connect_api::{ConnectError, ConnectResult};

use super::from_connect::is_string_keyed;
use super::AVRO_TYPE_UNION;
use crate::java::class_of;

/// Appends Avro's zig-zag varint encoding of `n`.
#[inline]
pub fn write_long(out: &mut Vec<u8>, n: i64) {
    let mut z = ((n << 1) ^ (n >> 63)) as u64;
    while z >= 0x80 {
        out.push((z as u8) | 0x80);
        z >>= 7;
    }
    out.push(z as u8);
}

#[inline]
fn write_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    write_long(out, bytes.len() as i64);
    out.extend_from_slice(bytes);
}

fn mismatch(schema: &Schema, value: &Value) -> ConnectError {
    ConnectError::data(format!(
        "Invalid type for {}: {}",
        schema.schema_type,
        class_of(value)
    ))
}

/// Writes `value` as Avro binary of the Avro schema `from_connect` derives from `schema`.
pub fn encode(out: &mut Vec<u8>, schema: &Schema, value: &Value) -> ConnectResult<()> {
    encode_value(out, schema, value, false)
}

fn encode_value(
    out: &mut Vec<u8>,
    schema: &Schema,
    value: &Value,
    ignore_optional: bool,
) -> ConnectResult<()> {
    let is_union_struct =
        schema.schema_type == SchemaType::Struct && schema.name.as_deref() == Some(AVRO_TYPE_UNION);
    if is_union_struct {
        return encode_union_struct(out, schema, value);
    }
    if schema.optional && !ignore_optional {
        // `[T, null]` when the schema has a default (not for structs), else `[null, T]`.
        let null_first = schema.schema_type == SchemaType::Struct || schema.default_value.is_none();
        let (null_index, value_index) = if null_first { (0, 1) } else { (1, 0) };
        if value.is_null() {
            write_long(out, null_index);
            return Ok(());
        }
        write_long(out, value_index);
        return encode_value(out, schema, value, true);
    }
    let value = match value {
        Value::Null => match &schema.default_value {
            Some(default) => default,
            None => {
                return Err(ConnectError::data(
                    "Found null value for non-optional schema",
                ))
            }
        },
        v => v,
    };
    match (schema.schema_type, value) {
        (SchemaType::Int8, Value::Int8(v)) => write_long(out, i64::from(*v)),
        (SchemaType::Int16, Value::Int16(v)) => write_long(out, i64::from(*v)),
        (SchemaType::Int32, Value::Int32(v)) => write_long(out, i64::from(*v)),
        (SchemaType::Int64, Value::Int64(v)) => write_long(out, *v),
        (SchemaType::Float32, Value::Float32(v)) => out.extend_from_slice(&v.to_le_bytes()),
        (SchemaType::Float64, Value::Float64(v)) => out.extend_from_slice(&v.to_le_bytes()),
        (SchemaType::Boolean, Value::Boolean(v)) => out.push(u8::from(*v)),
        (SchemaType::String, Value::String(v)) => write_bytes(out, v.as_bytes()),
        (SchemaType::Bytes, Value::Bytes(v)) => write_bytes(out, v),
        (SchemaType::Array, Value::Array(items)) => {
            let item_schema = schema
                .value_schema
                .as_deref()
                .ok_or_else(|| ConnectError::data("ARRAY schema has no value schema"))?;
            if !items.is_empty() {
                write_long(out, items.len() as i64);
                for item in items {
                    encode_value(out, item_schema, item, false)?;
                }
            }
            out.push(0);
        }
        (SchemaType::Map, Value::Map(entries)) => {
            let (Some(key_schema), Some(value_schema)) =
                (schema.key_schema.as_deref(), schema.value_schema.as_deref())
            else {
                return Err(ConnectError::data("MAP schema has no key or value schema"));
            };
            if !entries.is_empty() {
                write_long(out, entries.len() as i64);
                let string_keys = is_string_keyed(schema);
                for (k, v) in entries {
                    if string_keys {
                        match k {
                            Value::String(k) => write_bytes(out, k.as_bytes()),
                            other => return Err(mismatch(key_schema, other)),
                        }
                    } else {
                        encode_value(out, key_schema, k, false)?;
                    }
                    encode_value(out, value_schema, v, false)?;
                }
            }
            out.push(0);
        }
        (SchemaType::Struct, Value::Struct(st)) => {
            if st.schema().as_ref() != schema {
                return Err(ConnectError::data(format!(
                    "Mismatching struct schema: the value's schema {} is not the record schema {}",
                    st.schema().name.as_deref().unwrap_or("(unnamed)"),
                    schema.name.as_deref().unwrap_or("(unnamed)")
                )));
            }
            for (field, v) in st.iter() {
                // Kafka's Struct.get: a null field takes its schema default.
                let v = match (v, &field.schema.default_value) {
                    (Value::Null, Some(d)) => d,
                    _ => v,
                };
                encode_value(out, &field.schema, v, false).map_err(|e| {
                    ConnectError::data(format!("{} (field \"{}\")", e.message(), field.name))
                })?;
            }
        }
        (_, v) => return Err(mismatch(schema, v)),
    }
    Ok(())
}

/// A Connect Union struct: the one non-null field picks the Avro union branch.
fn encode_union_struct(out: &mut Vec<u8>, schema: &Schema, value: &Value) -> ConnectResult<()> {
    let offset = i64::from(schema.optional);
    let st = match value {
        Value::Null if schema.optional => {
            write_long(out, 0);
            return Ok(());
        }
        Value::Struct(st) => st,
        other => return Err(mismatch(schema, other)),
    };
    for (i, (field, v)) in st.iter().enumerate() {
        if !v.is_null() {
            write_long(out, i as i64 + offset);
            return encode_value(out, &field.schema, v, true);
        }
    }
    if schema.optional {
        write_long(out, 0);
        return Ok(());
    }
    Err(ConnectError::data("Union struct has no field set"))
}
