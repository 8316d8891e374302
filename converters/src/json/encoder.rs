//! Connect values to JSON bytes, as Kafka's `JsonConverter.convertToJson` renders them through Jackson: logical
//! types, base64 bytes, maps as objects or as `[key, value]` pairs, structs as objects, defaults for nulls.

use connect_api::data::logical::{self, MILLIS_PER_DAY};
use connect_api::data::values::decimal_to_string;
use connect_api::data::{Schema, SchemaType, Value};
use connect_api::{ConnectError, ConnectResult};

use super::config::DecimalFormat;
use crate::java::class_of;
use connect_api::data::json_text::{
    write_base64, write_bool, write_f32, write_f64, write_i64, write_key, write_str,
};

/// Writes Connect values as JSON.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Encoder {
    pub decimal_format: DecimalFormat,
    /// `replace.null.with.default`: a null where the schema has a default is written as the default.
    pub replace_null_with_default: bool,
}

fn invalid_type(ty: SchemaType, value: &Value) -> ConnectError {
    ConnectError::data(format!("Invalid type for {ty}: {}", class_of(value)))
}

impl Encoder {
    pub fn encode(
        &self,
        out: &mut Vec<u8>,
        schema: Option<&Schema>,
        value: &Value,
    ) -> ConnectResult<()> {
        let Some(schema) = schema else {
            return self.schemaless(out, value);
        };
        if value.is_null() {
            if self.replace_null_with_default {
                if let Some(default) = &schema.default_value {
                    return self.encode(out, Some(schema), default);
                }
            }
            if schema.optional {
                out.extend_from_slice(b"null");
                return Ok(());
            }
            return Err(ConnectError::data(
                "Conversion error: null value for field that is required and has no default value",
            ));
        }
        if let Some(name) = schema.name.as_deref() {
            if self.logical(out, schema, name, value)? {
                return Ok(());
            }
        }
        let ty = schema.schema_type;
        match (ty, value) {
            (SchemaType::Int8, Value::Int8(v)) => write_i64(out, (*v).into()),
            (SchemaType::Int16, Value::Int16(v)) => write_i64(out, (*v).into()),
            (SchemaType::Int32, Value::Int32(v)) => write_i64(out, (*v).into()),
            (SchemaType::Int64, Value::Int64(v)) => write_i64(out, *v),
            (SchemaType::Float32, Value::Float32(v)) => write_f32(out, *v),
            (SchemaType::Float64, Value::Float64(v)) => write_f64(out, *v),
            (SchemaType::Boolean, Value::Boolean(v)) => write_bool(out, *v),
            (SchemaType::String, Value::String(v)) => write_str(out, v),
            (SchemaType::Bytes, Value::Bytes(v)) => write_base64(out, v),
            (SchemaType::Array, Value::Array(items)) => {
                let element = schema.value_schema.as_deref();
                out.push(b'[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    self.encode(out, element, item)?;
                }
                out.push(b']');
            }
            (SchemaType::Map, Value::Map(entries)) => {
                let keys = schema
                    .key_schema
                    .as_deref()
                    .ok_or_else(|| ConnectError::data("MAP schema has no key schema"))?;
                let values = schema.value_schema.as_deref();
                if keys.schema_type == SchemaType::String {
                    self.object(out, Some(keys), values, entries)?;
                } else {
                    self.pairs(out, Some(keys), values, entries)?;
                }
            }
            (SchemaType::Struct, Value::Struct(s)) => {
                if !std::ptr::eq(s.schema().as_ref(), schema) && s.schema().as_ref() != schema {
                    return Err(ConnectError::data("Mismatching schema."));
                }
                out.push(b'{');
                for (i, (field, stored)) in s.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    write_key(out, &field.name);
                    // Struct.get applies the field default; with replacement off the stored null is kept.
                    let v = match (&field.schema.default_value, stored) {
                        (Some(d), Value::Null) if self.replace_null_with_default => d,
                        _ => stored,
                    };
                    self.encode(out, Some(&field.schema), v)?;
                }
                out.push(b'}');
            }
            _ => return Err(invalid_type(ty, value)),
        }
        Ok(())
    }

    /// Writes a logical-type value; false when the schema's name is not a logical type for its physical type.
    fn logical(
        &self,
        out: &mut Vec<u8>,
        schema: &Schema,
        name: &str,
        value: &Value,
    ) -> ConnectResult<bool> {
        let expected = |kind: &str, java: &str| {
            ConnectError::data(format!(
                "Invalid type for {kind}, expected {java} but was {}",
                class_of(value)
            ))
        };
        match (name, schema.schema_type) {
            (logical::DECIMAL, SchemaType::Bytes) => {
                let Value::Bytes(unscaled) = value else {
                    return Err(expected("Decimal", "BigDecimal"));
                };
                let minimal = minimal_twos_complement(unscaled);
                match self.decimal_format {
                    DecimalFormat::Base64 => write_base64(out, minimal),
                    DecimalFormat::Numeric => {
                        let scale: i32 = schema
                            .parameter(logical::SCALE)
                            .and_then(|s| s.parse().ok())
                            .ok_or_else(|| {
                                ConnectError::data(
                                    "Invalid Decimal schema: scale parameter not found.",
                                )
                            })?;
                        out.extend_from_slice(decimal_to_string(minimal, scale).as_bytes());
                    }
                }
            }
            (logical::DATE, SchemaType::Int32) => match value {
                Value::Int32(days) => write_i64(out, (*days).into()),
                _ => return Err(expected("Date", "Date")),
            },
            (logical::TIME, SchemaType::Int32) => match value {
                Value::Int32(millis) => {
                    if !(0..MILLIS_PER_DAY).contains(&i64::from(*millis)) {
                        return Err(ConnectError::data(
                            "Kafka Connect Time type should not have any date fields set to non-zero values.",
                        ));
                    }
                    write_i64(out, (*millis).into())
                }
                _ => return Err(expected("Time", "Date")),
            },
            (logical::TIMESTAMP, SchemaType::Int64) => match value {
                Value::Int64(millis) => write_i64(out, *millis),
                _ => return Err(expected("Timestamp", "Date")),
            },
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// A map with string keys as a JSON object.
    fn object(
        &self,
        out: &mut Vec<u8>,
        keys: Option<&Schema>,
        values: Option<&Schema>,
        entries: &[(Value, Value)],
    ) -> ConnectResult<()> {
        out.push(b'{');
        for (i, (k, v)) in entries.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            match k {
                Value::String(key) => write_key(out, key),
                // Jackson's `asText()` of the key's JSON form.
                other => {
                    let mut key = Vec::new();
                    self.encode(&mut key, keys, other)?;
                    let text = String::from_utf8_lossy(&key);
                    write_key(out, text.trim_matches('"'));
                }
            }
            self.encode(out, values, v)?;
        }
        out.push(b'}');
        Ok(())
    }

    /// A map with other keys as an array of `[key, value]` arrays.
    fn pairs(
        &self,
        out: &mut Vec<u8>,
        keys: Option<&Schema>,
        values: Option<&Schema>,
        entries: &[(Value, Value)],
    ) -> ConnectResult<()> {
        out.push(b'[');
        for (i, (k, v)) in entries.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.push(b'[');
            self.encode(out, keys, k)?;
            out.push(b',');
            self.encode(out, values, v)?;
            out.push(b']');
        }
        out.push(b']');
        Ok(())
    }

    /// A value without a schema: its type decides (Kafka's `ConnectSchema.schemaType(value.getClass())`).
    fn schemaless(&self, out: &mut Vec<u8>, value: &Value) -> ConnectResult<()> {
        match value {
            Value::Null => out.extend_from_slice(b"null"),
            Value::Boolean(v) => write_bool(out, *v),
            Value::Int8(v) => write_i64(out, (*v).into()),
            Value::Int16(v) => write_i64(out, (*v).into()),
            Value::Int32(v) => write_i64(out, (*v).into()),
            Value::Int64(v) => write_i64(out, *v),
            Value::Float32(v) => write_f32(out, *v),
            Value::Float64(v) => write_f64(out, *v),
            Value::String(v) => write_str(out, v),
            Value::Bytes(v) => write_base64(out, v),
            Value::Array(items) => {
                out.push(b'[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    self.schemaless(out, item)?;
                }
                out.push(b']');
            }
            Value::Map(entries) => {
                if entries.iter().all(|(k, _)| matches!(k, Value::String(_))) {
                    self.object(out, None, None, entries)?;
                } else {
                    self.pairs(out, None, None, entries)?;
                }
            }
            Value::Struct(s) => {
                let schema = s.schema().clone();
                self.encode(out, Some(&schema), value)?;
            }
        }
        Ok(())
    }
}

/// The shortest two's-complement form of the same integer (Java's `BigInteger.toByteArray`).
fn minimal_twos_complement(bytes: &[u8]) -> &[u8] {
    let mut start = 0;
    while start + 1 < bytes.len() {
        let (b, next) = (bytes[start], bytes[start + 1]);
        if (b == 0x00 && next & 0x80 == 0) || (b == 0xff && next & 0x80 != 0) {
            start += 1;
        } else {
            break;
        }
    }
    &bytes[start..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_redundant_sign_bytes() {
        assert_eq!(minimal_twos_complement(&[0, 0, 0x9c]), &[0, 0x9c]);
        assert_eq!(minimal_twos_complement(&[0xff, 0xff, 0x64]), &[0xff, 0x64]);
        assert_eq!(minimal_twos_complement(&[0, 0x7f]), &[0x7f]);
        assert_eq!(minimal_twos_complement(&[0]), &[0]);
        assert_eq!(minimal_twos_complement(&[]), &[] as &[u8]);
    }
}
