//! Schemaless values (no Connect schema) as Confluent's AvroData writes them: one record type,
//! `io.confluent.connect.avro.Anything`, with an optional field per kind of value, itself recursive for arrays and
//! for maps (arrays of key/value `MapEntry` records).

use connect_api::data::Value;
use connect_api::{ConnectError, ConnectResult};

use super::decoder::Reader;
use super::encoder::write_long;
use crate::java::class_of;

/// The full name of the schemaless record.
pub(crate) const ANYTHING_FULL_NAME: &str = "io.confluent.connect.avro.Anything";

/// The Avro schema text of `AvroData.ANYTHING_SCHEMA`, as Avro prints it.
pub(crate) const ANYTHING_SCHEMA: &str = concat!(
    r#"{"type":"record","name":"Anything","namespace":"io.confluent.connect.avro","fields":["#,
    r#"{"name":"boolean","type":["null","boolean"],"default":null},"#,
    r#"{"name":"bytes","type":["null","bytes"],"default":null},"#,
    r#"{"name":"double","type":["null","double"],"default":null},"#,
    r#"{"name":"float","type":["null","float"],"default":null},"#,
    r#"{"name":"int","type":["null","int"],"default":null},"#,
    r#"{"name":"long","type":["null","long"],"default":null},"#,
    r#"{"name":"string","type":["null","string"],"default":null},"#,
    r#"{"name":"array","type":["null",{"type":"array","items":"Anything"}],"default":null},"#,
    r#"{"name":"map","type":["null",{"type":"array","items":{"type":"record","name":"MapEntry","fields":["#,
    r#"{"name":"key","type":"Anything"},{"name":"value","type":"Anything"}]}}],"default":null}]}"#
);

/// The position of each kind of value among the Anything record's fields.
#[derive(Clone, Copy, PartialEq)]
enum Slot {
    Boolean = 0,
    Bytes = 1,
    Double = 2,
    Float = 3,
    Int = 4,
    Long = 5,
    String = 6,
    Array = 7,
    Map = 8,
}

const FIELDS: usize = 9;

/// Writes a schemaless value as an Anything record (Connect's INT8 and INT16 go into `int`, as in AvroData).
pub(crate) fn encode_schemaless(out: &mut Vec<u8>, value: &Value) -> ConnectResult<()> {
    let slot = match value {
        Value::Null => None,
        Value::Boolean(_) => Some(Slot::Boolean),
        Value::Bytes(_) => Some(Slot::Bytes),
        Value::Float64(_) => Some(Slot::Double),
        Value::Float32(_) => Some(Slot::Float),
        Value::Int8(_) | Value::Int16(_) | Value::Int32(_) => Some(Slot::Int),
        Value::Int64(_) => Some(Slot::Long),
        Value::String(_) => Some(Slot::String),
        Value::Array(_) => Some(Slot::Array),
        Value::Map(_) => Some(Slot::Map),
        Value::Struct(_) => {
            return Err(ConnectError::data(format!(
                "Unknown Java type for schemaless data: {}",
                class_of(value)
            )))
        }
    };
    for i in 0..FIELDS {
        if slot.map(|s| s as usize) != Some(i) {
            out.push(0); // union branch 0: null
            continue;
        }
        out.push(2); // union branch 1
        match value {
            Value::Boolean(b) => out.push(u8::from(*b)),
            Value::Bytes(b) => {
                write_long(out, b.len() as i64);
                out.extend_from_slice(b);
            }
            Value::Float64(f) => out.extend_from_slice(&f.to_le_bytes()),
            Value::Float32(f) => out.extend_from_slice(&f.to_le_bytes()),
            Value::Int8(v) => write_long(out, i64::from(*v)),
            Value::Int16(v) => write_long(out, i64::from(*v)),
            Value::Int32(v) => write_long(out, i64::from(*v)),
            Value::Int64(v) => write_long(out, *v),
            Value::String(s) => {
                write_long(out, s.len() as i64);
                out.extend_from_slice(s.as_bytes());
            }
            Value::Array(items) => {
                if !items.is_empty() {
                    write_long(out, items.len() as i64);
                    for item in items {
                        encode_schemaless(out, item)?;
                    }
                }
                out.push(0);
            }
            Value::Map(entries) => {
                if !entries.is_empty() {
                    write_long(out, entries.len() as i64);
                    for (k, v) in entries {
                        encode_schemaless(out, k)?;
                        encode_schemaless(out, v)?;
                    }
                }
                out.push(0);
            }
            Value::Null | Value::Struct(_) => {}
        }
    }
    Ok(())
}

/// Reads an Anything record: the first field that is set gives the value; none set is null.
pub(crate) fn decode_schemaless(r: &mut Reader<'_>, depth: usize) -> ConnectResult<Value> {
    if depth > 256 {
        return Err(ConnectError::data("Schemaless Avro data nested too deeply"));
    }
    let mut found = Value::Null;
    for i in 0..FIELDS {
        match r.read_long()? {
            0 => continue,
            1 => {}
            n => {
                return Err(ConnectError::data(format!(
                    "Union index {n} out of range in Avro data"
                )))
            }
        }
        let v = match i {
            0 => Value::Boolean(r.read_boolean()?),
            1 => Value::Bytes(r.read_bytes()?.to_vec().into()),
            2 => Value::Float64(r.read_double()?),
            3 => Value::Float32(r.read_float()?),
            4 => Value::Int32(r.read_int()?),
            5 => Value::Int64(r.read_long()?),
            6 => Value::String(r.read_string()?),
            7 => {
                let mut items = Vec::new();
                let mut count = r.block_count()?;
                while count > 0 {
                    for _ in 0..count {
                        items.push(decode_schemaless(r, depth + 1)?);
                    }
                    count = r.block_count()?;
                }
                Value::Array(items)
            }
            _ => {
                let mut entries = Vec::new();
                let mut count = r.block_count()?;
                while count > 0 {
                    for _ in 0..count {
                        let k = decode_schemaless(r, depth + 1)?;
                        let v = decode_schemaless(r, depth + 1)?;
                        entries.push((k, v));
                    }
                    count = r.block_count()?;
                }
                Value::Map(entries)
            }
        };
        // AvroData takes the first field that is set; later ones are read and ignored.
        if found.is_null() {
            found = v;
        }
    }
    Ok(found)
}
