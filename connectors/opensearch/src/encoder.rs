//! Connect values → JSON documents, written straight into a byte buffer (what Kafka's JsonConverter with
//! `schemas.enable=false` would produce, with the choices the OpenSearch sinks make).
//!
//! Structs become objects (null fields kept as `null`); maps with string keys become objects when
//! `compact.map.entries=true`, otherwise (and for non-string keys) arrays of `{"key":k,"value":v}`; bytes are
//! base64; Decimals are plain JSON numbers with all their digits; Date/Time/Timestamp keep their physical integer
//! (days, millis of day, epoch millis) as JsonConverter does; NaN and infinities become strings.
//! A top-level STRING value that holds a JSON object is taken as the document itself (StringConverter pipelines).

use base64::Engine as _;
use connect_api::data::logical::{self, BigDecimal};
use connect_api::data::{Schema, Value};

/// Encoding options.
#[derive(Clone, Copy, Debug)]
pub struct Encoder {
    pub compact_map_entries: bool,
}

impl Encoder {
    /// Appends the document for a record value to `out`.
    pub fn write_document(&self, out: &mut Vec<u8>, value: &Value, schema: Option<&Schema>) {
        if let Value::String(s) = value {
            let t = s.trim();
            if t.starts_with('{') && t.ends_with('}') {
                if !t.contains('\n') && is_json(t) {
                    out.extend_from_slice(t.as_bytes());
                    return;
                }
                // Pretty-printed JSON: re-written on one line, as NDJSON requires.
                if let Ok(parsed) = serde_json::from_str::<serde_json::Value>(t) {
                    if serde_json::to_writer(&mut *out, &parsed).is_ok() {
                        return;
                    }
                }
            }
        }
        self.write_value(out, value, schema);
    }

    pub fn write_value(&self, out: &mut Vec<u8>, value: &Value, schema: Option<&Schema>) {
        match value {
            Value::Null => out.extend_from_slice(b"null"),
            Value::Boolean(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
            Value::Int8(v) => push_int(out, i64::from(*v)),
            Value::Int16(v) => push_int(out, i64::from(*v)),
            Value::Int32(v) => push_int(out, i64::from(*v)),
            Value::Int64(v) => push_int(out, *v),
            Value::Float32(v) => push_float(out, f64::from(*v), Some(*v)),
            Value::Float64(v) => push_float(out, *v, None),
            Value::String(s) => push_str(out, s),
            Value::Bytes(b) => match decimal_scale(schema) {
                Some(scale) => {
                    let text = BigDecimal {
                        unscaled: b.to_vec(),
                        scale,
                    }
                    .to_plain_string();
                    out.extend_from_slice(text.as_bytes());
                }
                None => {
                    out.push(b'"');
                    out.extend_from_slice(
                        base64::engine::general_purpose::STANDARD
                            .encode(b)
                            .as_bytes(),
                    );
                    out.push(b'"');
                }
            },
            Value::Array(items) => {
                let item_schema = schema.and_then(|s| s.value_schema.as_deref());
                out.push(b'[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    self.write_value(out, item, item_schema);
                }
                out.push(b']');
            }
            Value::Map(entries) => self.write_map(out, entries, schema),
            Value::Struct(s) => {
                out.push(b'{');
                for (i, (field, v)) in s.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    push_str(out, &field.name);
                    out.push(b':');
                    self.write_value(out, v, Some(&field.schema));
                }
                out.push(b'}');
            }
        }
    }

    fn write_map(&self, out: &mut Vec<u8>, entries: &[(Value, Value)], schema: Option<&Schema>) {
        let key_schema = schema.and_then(|s| s.key_schema.as_deref());
        let value_schema = schema.and_then(|s| s.value_schema.as_deref());
        let string_keys = entries.iter().all(|(k, _)| matches!(k, Value::String(_)));
        if self.compact_map_entries && string_keys {
            out.push(b'{');
            for (i, (k, v)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                push_str(out, k.as_str().unwrap_or_default());
                out.push(b':');
                self.write_value(out, v, value_schema);
            }
            out.push(b'}');
        } else {
            out.push(b'[');
            for (i, (k, v)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                out.extend_from_slice(b"{\"key\":");
                self.write_value(out, k, key_schema);
                out.extend_from_slice(b",\"value\":");
                self.write_value(out, v, value_schema);
                out.push(b'}');
            }
            out.push(b']');
        }
    }
}

fn decimal_scale(schema: Option<&Schema>) -> Option<i32> {
    let schema = schema.filter(|s| s.name.as_deref() == Some(logical::DECIMAL))?;
    schema.parameter(logical::SCALE)?.parse().ok()
}

fn push_int(out: &mut Vec<u8>, v: i64) {
    out.extend_from_slice(v.to_string().as_bytes());
}

fn push_float(out: &mut Vec<u8>, v: f64, as_f32: Option<f32>) {
    if !v.is_finite() {
        let text = if v.is_nan() {
            "\"NaN\""
        } else if v > 0.0 {
            "\"Infinity\""
        } else {
            "\"-Infinity\""
        };
        out.extend_from_slice(text.as_bytes());
        return;
    }
    // Shortest round-trip digits of the original width, so 0.1f32 is written as 0.1, not 0.10000000149011612.
    let text = match as_f32 {
        Some(f) => format!("{f:?}"),
        None => format!("{v:?}"),
    };
    out.extend_from_slice(text.as_bytes());
}

/// Appends `s` as a JSON string literal.
pub fn push_str(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escape: Option<&[u8]> = match b {
            b'"' => Some(b"\\\""),
            b'\\' => Some(b"\\\\"),
            b'\n' => Some(b"\\n"),
            b'\r' => Some(b"\\r"),
            b'\t' => Some(b"\\t"),
            0..=0x1f => None,
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..i]);
        match escape {
            Some(e) => out.extend_from_slice(e),
            None => out.extend_from_slice(format!("\\u{b:04x}").as_bytes()),
        }
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// Whether `s` is one valid JSON value (a full parse, so that a bad string never corrupts the bulk body).
fn is_json(s: &str) -> bool {
    serde_json::from_str::<serde::de::IgnoredAny>(s).is_ok()
}

#[cfg(test)]
mod tests {
    use connect_api::data::{schemas, SchemaBuilder, Struct};

    use super::*;

    fn encode(value: &Value, schema: Option<&Schema>, compact: bool) -> String {
        let mut out = Vec::new();
        Encoder {
            compact_map_entries: compact,
        }
        .write_document(&mut out, value, schema);
        let text = String::from_utf8(out).unwrap();
        serde_json::from_str::<serde_json::Value>(&text).expect("valid JSON");
        text
    }

    #[test]
    fn structs_with_nested_types() {
        let schema = SchemaBuilder::struct_()
            .with_field("id", schemas::int64())
            .with_field("name", schemas::optional_string())
            .with_field("price", logical::decimal(2))
            .with_field("ratio", schemas::float32())
            .with_field("tags", SchemaBuilder::array(schemas::string()).build())
            .with_field("blob", schemas::optional_bytes())
            .build();
        let s = Struct::new(schema.clone())
            .unwrap()
            .with("id", 7i64)
            .unwrap()
            .with("price", Value::from(vec![0x04, 0xd2]))
            .unwrap()
            .with("ratio", Value::Float32(0.1))
            .unwrap()
            .with("tags", Value::Array(vec!["a\"b".into(), "c\n".into()]))
            .unwrap()
            .with("blob", Value::from(b"hi".to_vec()))
            .unwrap();
        assert_eq!(
            encode(&Value::Struct(s), Some(&schema), true),
            r#"{"id":7,"name":null,"price":12.34,"ratio":0.1,"tags":["a\"b","c\n"],"blob":"aGk="}"#
        );
    }

    #[test]
    fn maps_compact_or_as_entries() {
        let map = Value::Map(vec![
            (Value::from("k"), Value::Int32(1)),
            (Value::from("n"), Value::Null),
        ]);
        assert_eq!(encode(&map, None, true), r#"{"k":1,"n":null}"#);
        assert_eq!(
            encode(&map, None, false),
            r#"[{"key":"k","value":1},{"key":"n","value":null}]"#
        );
        let int_keys = Value::Map(vec![(Value::Int32(1), Value::from("x"))]);
        assert_eq!(encode(&int_keys, None, true), r#"[{"key":1,"value":"x"}]"#);
    }

    #[test]
    fn strings_holding_json_objects_pass_through() {
        assert_eq!(
            encode(&Value::from(r#" {"a": [1, 2]} "#), None, true),
            r#"{"a": [1, 2]}"#
        );
        assert_eq!(
            encode(&Value::from("{not json"), None, true),
            r#""{not json""#
        );
        assert_eq!(
            encode(&Value::from("{\n \"a\": 1\n}"), None, true),
            r#"{"a":1}"#
        );
        assert_eq!(encode(&Value::from("\u{1}x"), None, true), r#""\u0001x""#);
    }

    #[test]
    fn special_floats_are_strings() {
        assert_eq!(encode(&Value::Float64(f64::NAN), None, true), r#""NaN""#);
        assert_eq!(encode(&Value::Float64(1e300), None, true), "1e300");
        assert_eq!(encode(&Value::Float64(2.0), None, true), "2.0");
    }
}
