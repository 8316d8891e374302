//! Record encoders for the formats this connector writes: Confluent's JsonFormat (one JSON value per line, as
//! `JsonConverter` with `schemas.enable=false` and `decimal.format=BASE64` prints it), ByteArrayFormat (raw
//! bytes plus a separator), AvroFormat and ParquetFormat (container files, see their modules), and the byte stream
//! of one object (plain, gzip, Avro or Parquet).

use std::io::Write;

use connect_api::data::json_text::{self, write_str};
use connect_api::data::{Schema, SchemaType, Value};

use crate::avro_file::{self, AvroCodec, AvroFileWriter};
use crate::parquet_file::{self, ParquetCodec, ParquetFileWriter};
use connect_api::{ConnectError, ConnectResult};
use flate2::write::GzEncoder;
use flate2::Compression;

pub const JSON_FORMAT: &str = "io.confluent.connect.s3.format.json.JsonFormat";
pub const BYTEARRAY_FORMAT: &str = "io.confluent.connect.s3.format.bytearray.ByteArrayFormat";
pub const AVRO_FORMAT: &str = "io.confluent.connect.s3.format.avro.AvroFormat";
pub const PARQUET_FORMAT: &str = "io.confluent.connect.s3.format.parquet.ParquetFormat";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FormatKind {
    Json,
    ByteArray,
    Avro,
    Parquet,
}

impl FormatKind {
    pub fn from_class(class: &str) -> Option<FormatKind> {
        match class {
            JSON_FORMAT | "JsonFormat" => Some(Self::Json),
            BYTEARRAY_FORMAT | "ByteArrayFormat" => Some(Self::ByteArray),
            AVRO_FORMAT | "AvroFormat" => Some(Self::Avro),
            PARQUET_FORMAT | "ParquetFormat" => Some(Self::Parquet),
            _ => None,
        }
    }
}

/// Appends one record value to `out` in the given format (including the line separator / record separator).
pub fn encode_record(
    kind: FormatKind,
    separator: &[u8],
    value: &Value,
    schema: Option<&Schema>,
    out: &mut Vec<u8>,
) -> ConnectResult<()> {
    match kind {
        FormatKind::Json => {
            write_json(out, value, schema);
            out.push(b'\n');
        }
        FormatKind::ByteArray => match value {
            Value::Bytes(b) => {
                out.extend_from_slice(b);
                out.extend_from_slice(separator);
            }
            other => {
                return Err(ConnectError::data(format!(
                    "ByteArrayFormat needs BYTES values (use value.converter=org.apache.kafka.connect.converters.ByteArrayConverter), got {}",
                    other.type_name()
                )))
            }
        },
        FormatKind::Avro => avro_file::encode_value(value, schema, out)?,
        // Parquet files take the value itself (column by column); only check it here.
        FormatKind::Parquet => parquet_file::check_value(value, schema)?,
    }
    Ok(())
}

/// Writes `value` as `JsonConverter.convertToJson` does without schemas in the envelope.
pub fn write_json(out: &mut Vec<u8>, value: &Value, schema: Option<&Schema>) {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Boolean(b) => json_text::write_bool(out, *b),
        Value::Int8(v) => json_text::write_i64(out, i64::from(*v)),
        Value::Int16(v) => json_text::write_i64(out, i64::from(*v)),
        Value::Int32(v) => json_text::write_i64(out, i64::from(*v)),
        Value::Int64(v) => json_text::write_i64(out, *v),
        Value::Float32(v) => json_text::write_f32(out, *v),
        Value::Float64(v) => json_text::write_f64(out, *v),
        Value::String(s) => write_str(out, s),
        // Decimal (`decimal.format=BASE64`, the default) and plain bytes are both base64 of the bytes.
        Value::Bytes(b) => json_text::write_base64(out, b),
        Value::Array(items) => {
            let item_schema = schema.and_then(|s| s.value_schema.as_deref());
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_json(out, item, item_schema);
            }
            out.push(b']');
        }
        Value::Map(entries) => {
            let key_schema = schema.and_then(|s| s.key_schema.as_deref());
            let value_schema = schema.and_then(|s| s.value_schema.as_deref());
            let object = match key_schema {
                Some(ks) => ks.schema_type == SchemaType::String,
                None => entries.iter().all(|(k, _)| matches!(k, Value::String(_))),
            };
            if object {
                out.push(b'{');
                for (i, (k, v)) in entries.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    write_str(out, k.as_str().unwrap_or_default());
                    out.push(b':');
                    write_json(out, v, value_schema);
                }
                out.push(b'}');
            } else {
                out.push(b'[');
                for (i, (k, v)) in entries.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    out.push(b'[');
                    write_json(out, k, key_schema);
                    out.push(b',');
                    write_json(out, v, value_schema);
                    out.push(b']');
                }
                out.push(b']');
            }
        }
        Value::Struct(s) => {
            out.push(b'{');
            for (i, (field, v)) in s.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_str(out, &field.name);
                out.push(b':');
                write_json(out, v, Some(&field.schema));
            }
            out.push(b'}');
        }
    }
}

/// How a file's bytes are produced, from the config.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StreamKind {
    Plain,
    Gzip(u32),
    Avro(AvroCodec),
    /// The codec and the bytes buffered before a row group is written.
    Parquet(ParquetCodec, usize),
}

/// The byte stream of one object, drained in parts as it grows.
pub enum ObjectStream {
    Plain(Vec<u8>),
    Gzip(GzEncoder<Vec<u8>>),
    Avro(AvroFileWriter),
    /// Boxed: its writer is much larger than the other variants.
    Parquet(Box<ParquetFileWriter>),
}

impl ObjectStream {
    /// Opens the stream of the object `key`, whose records have the value schema `schema`.
    pub fn new(
        kind: StreamKind,
        key: &str,
        schema: Option<&Schema>,
    ) -> ConnectResult<ObjectStream> {
        Ok(match kind {
            StreamKind::Plain => ObjectStream::Plain(Vec::new()),
            StreamKind::Gzip(level) => {
                ObjectStream::Gzip(GzEncoder::new(Vec::new(), Compression::new(level)))
            }
            StreamKind::Avro(codec) => {
                let schema = schema.ok_or_else(|| {
                    ConnectError::data("AvroFormat needs records with a value schema")
                })?;
                ObjectStream::Avro(AvroFileWriter::new(schema, codec, key)?)
            }
            StreamKind::Parquet(codec, row_group_bytes) => {
                let schema = schema.ok_or_else(|| {
                    ConnectError::data("ParquetFormat needs records with a value schema")
                })?;
                ObjectStream::Parquet(Box::new(ParquetFileWriter::new(
                    schema,
                    codec,
                    row_group_bytes,
                )?))
            }
        })
    }

    /// Adds one record: `bytes` as [`encode_record`] encoded `value`.
    pub fn write(&mut self, bytes: &[u8], value: &Value) -> ConnectResult<()> {
        match self {
            ObjectStream::Plain(buf) => buf.extend_from_slice(bytes),
            // Writing into a Vec cannot fail.
            ObjectStream::Gzip(enc) => {
                let _ = enc.write_all(bytes);
            }
            ObjectStream::Avro(w) => w.append(bytes),
            ObjectStream::Parquet(w) => w.append(value)?,
        }
        Ok(())
    }

    fn buffer(&mut self) -> &mut Vec<u8> {
        match self {
            ObjectStream::Plain(buf) => buf,
            ObjectStream::Gzip(enc) => enc.get_mut(),
            ObjectStream::Avro(w) => w.ready(),
            ObjectStream::Parquet(w) => w.ready(),
        }
    }

    /// Bytes ready to upload (compressed output so far).
    pub fn ready_len(&self) -> usize {
        match self {
            ObjectStream::Plain(buf) => buf.len(),
            ObjectStream::Gzip(enc) => enc.get_ref().len(),
            ObjectStream::Avro(w) => w.ready_len(),
            ObjectStream::Parquet(w) => w.ready_len(),
        }
    }

    /// Takes exactly `n` ready bytes from the front (n <= ready_len). The buffer keeps its capacity for the next
    /// part instead of growing again from the few bytes left, which copied it at every doubling.
    pub fn take_part(&mut self, n: usize) -> Vec<u8> {
        let buf = self.buffer();
        let mut rest = Vec::with_capacity(buf.capacity());
        rest.extend_from_slice(&buf[n..]);
        buf.truncate(n);
        buf.shrink_to_fit();
        std::mem::replace(buf, rest)
    }

    /// Ends the stream and returns every remaining byte.
    pub fn finish(self) -> ConnectResult<Vec<u8>> {
        Ok(match self {
            ObjectStream::Plain(buf) => buf,
            ObjectStream::Gzip(enc) => enc.finish().unwrap_or_default(),
            ObjectStream::Avro(w) => w.finish(),
            ObjectStream::Parquet(w) => (*w).finish()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use connect_api::data::{schemas, SchemaBuilder, Struct};

    use super::*;

    fn json(value: &Value, schema: Option<&Schema>) -> String {
        let mut out = Vec::new();
        encode_record(FormatKind::Json, b"\n", value, schema, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn json_lines_as_json_converter() {
        let schema = SchemaBuilder::struct_()
            .with_field("id", schemas::int32())
            .with_field("name", schemas::optional_string())
            .with_field("score", schemas::float64())
            .build();
        let s = Struct::new(schema.clone())
            .unwrap()
            .with("id", 7)
            .unwrap()
            .with("score", 1e20)
            .unwrap();
        assert_eq!(
            json(&Value::Struct(s), Some(&schema)),
            "{\"id\":7,\"name\":null,\"score\":1.0E20}\n"
        );
        let map = Value::Map(vec![
            (
                "a".into(),
                Value::Array(vec![Value::Int64(1), Value::Boolean(false)]),
            ),
            ("b\"q".into(), Value::Float64(2.5)),
        ]);
        assert_eq!(json(&map, None), "{\"a\":[1,false],\"b\\\"q\":2.5}\n");
        let int_keys = Value::Map(vec![(Value::Int32(1), "x".into())]);
        assert_eq!(json(&int_keys, None), "[[1,\"x\"]]\n");
        assert_eq!(
            json(&Value::from("line\nbreak"), None),
            "\"line\\nbreak\"\n"
        );
        assert_eq!(json(&Value::from(vec![1u8, 2, 3]), None), "\"AQID\"\n");
        assert_eq!(json(&Value::Float32(0.1), None), "0.1\n");
        // Jackson's escapes: upper-case hex for control characters.
        assert_eq!(json(&Value::from("\u{1f}"), None), "\"\\u001F\"\n");
        assert_eq!(json(&Value::Float64(f64::NAN), None), "\"NaN\"\n");
        assert_eq!(json(&Value::Float64(-0.0), None), "-0.0\n");
    }

    #[test]
    fn bytearray_and_gzip() {
        let mut out = Vec::new();
        encode_record(
            FormatKind::ByteArray,
            b"|",
            &Value::from(b"ab".to_vec()),
            None,
            &mut out,
        )
        .unwrap();
        assert_eq!(out, b"ab|");
        assert!(encode_record(
            FormatKind::ByteArray,
            b"\n",
            &Value::from("s"),
            None,
            &mut out
        )
        .is_err());

        let mut s = ObjectStream::new(StreamKind::Gzip(6), "k", None).unwrap();
        for _ in 0..1000 {
            s.write(b"hello world\n", &Value::Null).unwrap();
        }
        let mut all = Vec::new();
        let n = s.ready_len();
        all.extend(s.take_part(n));
        all.extend(s.finish().unwrap());
        let mut text = String::new();
        flate2::read::GzDecoder::new(&all[..])
            .read_to_string(&mut text)
            .unwrap();
        assert_eq!(text, "hello world\n".repeat(1000));

        let mut p = ObjectStream::new(StreamKind::Plain, "k", None).unwrap();
        p.write(b"0123456789", &Value::Null).unwrap();
        assert_eq!(p.take_part(4), b"0123");
        assert_eq!(p.finish().unwrap(), b"456789");
    }
}
