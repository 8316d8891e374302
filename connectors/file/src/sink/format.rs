//! How FileStreamSink prints a value: Java's `String.valueOf`, i.e. Kafka's `toString` of each Connect type.

use std::fmt::Write as _;
use std::io::{self, Write};

use connect_api::data::logical::{self, BigDecimal};
use connect_api::data::{Schema, Value};

/// Writes one value (without a line terminator).
///
/// Strings as is, numbers and booleans as Java prints them (`1.0`, `1.0E10`, `NaN`), null as `null`, arrays as
/// `[a, b]`, maps as `{k=v, k2=v2}`, structs as `Struct{a=1,b=x}` (null fields left out), exactly as Kafka.
/// Where Java's output is useless we decided otherwise: top-level BYTES are written raw (Java prints `[B@1b6d3586`),
/// nested BYTES as base64, Decimal as its plain decimal text, and Date/Time/Timestamp as their physical integer
/// (Java prints `java.util.Date.toString()` in the worker's time zone).
pub fn write_value<W: Write>(
    out: &mut W,
    value: &Value,
    schema: Option<&Schema>,
) -> io::Result<()> {
    match value {
        Value::String(s) => out.write_all(s.as_bytes()),
        Value::Bytes(b) if !is_decimal(schema) => out.write_all(b),
        other => out.write_all(java_string(other, schema).as_bytes()),
    }
}

/// The value as Java's `String.valueOf` prints it (with the exceptions [`write_value`] lists).
pub fn java_string(value: &Value, schema: Option<&Schema>) -> String {
    let mut out = String::new();
    push_value(&mut out, value, schema);
    out
}

fn push_value(out: &mut String, value: &Value, schema: Option<&Schema>) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Boolean(v) => out.push_str(if *v { "true" } else { "false" }),
        Value::Int8(v) => push_display(out, v),
        Value::Int16(v) => push_display(out, v),
        Value::Int32(v) => push_display(out, v),
        Value::Int64(v) => push_display(out, v),
        Value::Float32(v) => out.push_str(&java_float(*v)),
        Value::Float64(v) => out.push_str(&java_double(*v)),
        Value::String(s) => out.push_str(s),
        Value::Bytes(b) => match decimal_scale(schema) {
            Some(scale) => out.push_str(
                &BigDecimal {
                    unscaled: b.to_vec(),
                    scale,
                }
                .to_plain_string(),
            ),
            None => push_base64(out, b),
        },
        Value::Array(items) => {
            let items_schema = schema.and_then(|s| s.value_schema.as_deref());
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                push_value(out, item, items_schema);
            }
            out.push(']');
        }
        Value::Map(entries) => {
            let key_schema = schema.and_then(|s| s.key_schema.as_deref());
            let value_schema = schema.and_then(|s| s.value_schema.as_deref());
            out.push('{');
            for (i, (k, v)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                push_value(out, k, key_schema);
                out.push('=');
                push_value(out, v, value_schema);
            }
            out.push('}');
        }
        Value::Struct(s) => {
            out.push_str("Struct{");
            let mut first = true;
            for (field, v) in s.iter().filter(|(_, v)| !v.is_null()) {
                if !first {
                    out.push(',');
                }
                first = false;
                out.push_str(&field.name);
                out.push('=');
                push_value(out, v, Some(&field.schema));
            }
            out.push('}');
        }
    }
}

fn push_display(out: &mut String, v: impl std::fmt::Display) {
    let _ = write!(out, "{v}");
}

fn is_decimal(schema: Option<&Schema>) -> bool {
    decimal_scale(schema).is_some()
}

fn decimal_scale(schema: Option<&Schema>) -> Option<i32> {
    let schema = schema.filter(|s| s.name.as_deref() == Some(logical::DECIMAL))?;
    schema.parameter(logical::SCALE)?.parse().ok()
}

/// Java's `Double.toString`: plain for 1e-3 <= |v| < 1e7, otherwise `d.dddE±n`, always with a fraction digit.
pub fn java_double(v: f64) -> String {
    if v.is_nan() || v.is_infinite() || v == 0.0 {
        return java_special(v.is_nan(), v.is_sign_negative(), v.is_infinite());
    }
    java_number(v.to_string(), format!("{v:e}"), v.abs())
}

/// Java's `Float.toString`, with the same layout as [`java_double`] and the shortest digits of the f32.
pub fn java_float(v: f32) -> String {
    if v.is_nan() || v.is_infinite() || v == 0.0 {
        return java_special(v.is_nan(), v.is_sign_negative(), v.is_infinite());
    }
    java_number(v.to_string(), format!("{v:e}"), f64::from(v.abs()))
}

fn java_special(nan: bool, negative: bool, infinite: bool) -> String {
    match (nan, negative, infinite) {
        (true, _, _) => "NaN",
        (_, false, true) => "Infinity",
        (_, true, true) => "-Infinity",
        (_, false, false) => "0.0",
        (_, true, false) => "-0.0",
    }
    .to_string()
}

fn java_number(plain: String, scientific: String, abs: f64) -> String {
    if (1e-3..1e7).contains(&abs) {
        return if plain.contains('.') {
            plain
        } else {
            plain + ".0"
        };
    }
    let (mantissa, exponent) = scientific
        .split_once('e')
        .unwrap_or((scientific.as_str(), "0"));
    let dot = if mantissa.contains('.') { "" } else { ".0" };
    format!("{mantissa}{dot}E{exponent}")
}

fn push_base64(out: &mut String, bytes: &[u8]) {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | (u32::from(b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 0x3f) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use connect_api::data::{schemas, SchemaBuilder, Struct};

    use super::*;

    #[test]
    fn primitives_print_as_java() {
        let cases: Vec<(Value, &str)> = vec![
            (Value::Null, "null"),
            (Value::Boolean(true), "true"),
            (Value::Int8(-8), "-8"),
            (Value::Int16(300), "300"),
            (Value::Int32(42), "42"),
            (Value::Int64(-9_000_000_000), "-9000000000"),
            (Value::Float64(1.0), "1.0"),
            (Value::Float64(-2.5), "-2.5"),
            (Value::Float64(0.001), "0.001"),
            (Value::Float64(0.0001), "1.0E-4"),
            (Value::Float64(1234567.0), "1234567.0"),
            (Value::Float64(1e7), "1.0E7"),
            (Value::Float64(1.2345e20), "1.2345E20"),
            (Value::Float64(0.1 + 0.2), "0.30000000000000004"),
            (Value::Float64(f64::NAN), "NaN"),
            (Value::Float64(f64::NEG_INFINITY), "-Infinity"),
            (Value::Float64(-0.0), "-0.0"),
            (Value::Float32(0.1), "0.1"),
            (Value::Float32(3.0e10), "3.0E10"),
            (Value::String("text".into()), "text"),
        ];
        for (value, expected) in cases {
            assert_eq!(java_string(&value, None), expected, "{value:?}");
        }
    }

    #[test]
    fn containers_print_as_java_collections_and_kafka_struct() {
        let array = Value::Array(vec![
            Value::Int32(1),
            Value::String("b".into()),
            Value::Null,
        ]);
        assert_eq!(java_string(&array, None), "[1, b, null]");
        let map = Value::Map(vec![
            (Value::String("k".into()), Value::Float64(1.5)),
            (Value::String("n".into()), Value::Null),
        ]);
        assert_eq!(java_string(&map, None), "{k=1.5, n=null}");

        let schema = SchemaBuilder::struct_()
            .with_field("id", schemas::int32())
            .with_field("name", schemas::optional_string())
            .with_field("tags", SchemaBuilder::array(schemas::string()).build())
            .build();
        let s = Struct::new(schema.clone())
            .unwrap()
            .with("id", 7)
            .unwrap()
            .with("tags", Value::Array(vec!["x".into(), "y".into()]))
            .unwrap();
        let value = Value::Struct(s);
        assert_eq!(
            java_string(&value, Some(&schema)),
            "Struct{id=7,tags=[x, y]}"
        );
    }

    #[test]
    fn bytes_and_decimals() {
        let mut out = Vec::new();
        write_value(&mut out, &Value::from(b"raw\x00bytes".to_vec()), None).unwrap();
        assert_eq!(out, b"raw\x00bytes");
        let nested = Value::Array(vec![
            Value::from(b"hello".to_vec()),
            Value::from(vec![0xff]),
        ]);
        assert_eq!(java_string(&nested, None), "[aGVsbG8=, /w==]");

        let decimal = logical::decimal(2);
        let value = Value::from(vec![0x04, 0xd2]); // 1234 unscaled
        let mut out = Vec::new();
        write_value(&mut out, &value, Some(&decimal)).unwrap();
        assert_eq!(out, b"12.34");
    }
}
