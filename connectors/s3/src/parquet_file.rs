//! Parquet files (`.<codec>.parquet`) as Confluent's ParquetFormat writes them through parquet-avro: one column per
//! field of the record's Connect struct, typed as parquet-avro types the Avro schema Confluent's AvroData derives
//! (that schema is also stored under `parquet.avro.schema`). Rows are buffered per column and written as a row group
//! whenever about `s3.part.size` bytes are buffered, and at the end of the file. Fields must be primitive or a
//! primitive logical type (Decimal, Date, Time, Timestamp); nested structs, arrays and maps are rejected as data
//! errors (so `errors.*` decides what happens to such a record).

use std::sync::Arc;

use connect_api::data::{logical, Schema, SchemaType, Value};
use connect_api::{ConnectError, ConnectResult};
use connect_converters::avro::avro_schema_json;
use parquet::basic::{Compression, GzipLevel, LogicalType, Repetition, TimeUnit, Type as Physical};
use parquet::data_type::{
    BoolType, ByteArray, ByteArrayType, DoubleType, FloatType, Int32Type, Int64Type,
};
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::types::Type;

/// The `parquet.codec` values this connector writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParquetCodec {
    None,
    Snappy,
    Gzip,
}

impl ParquetCodec {
    pub fn parse(name: &str) -> Option<ParquetCodec> {
        match name.to_ascii_lowercase().as_str() {
            "none" | "uncompressed" => Some(Self::None),
            "snappy" => Some(Self::Snappy),
            "gzip" => Some(Self::Gzip),
            _ => None,
        }
    }

    /// Parquet's `CompressionCodecName` extension in front of `.parquet`, as in Confluent's file names.
    pub fn extension(self) -> &'static str {
        match self {
            Self::None => ".parquet",
            Self::Snappy => ".snappy.parquet",
            Self::Gzip => ".gz.parquet",
        }
    }

    fn compression(self) -> Compression {
        match self {
            Self::None => Compression::UNCOMPRESSED,
            Self::Snappy => Compression::SNAPPY,
            Self::Gzip => Compression::GZIP(GzipLevel::default()),
        }
    }
}

/// One cell of a row, as its column stores it.
enum Cell<'a> {
    Null,
    Bool(bool),
    Int32(i32),
    Int64(i64),
    Float(f32),
    Double(f64),
    Binary(&'a [u8]),
}

fn cell<'a>(schema: &Schema, value: &'a Value) -> Option<Cell<'a>> {
    Some(match (schema.schema_type, value) {
        (_, Value::Null) if schema.optional => Cell::Null,
        (SchemaType::Boolean, Value::Boolean(b)) => Cell::Bool(*b),
        (SchemaType::Int8, Value::Int8(v)) => Cell::Int32(i32::from(*v)),
        (SchemaType::Int16, Value::Int16(v)) => Cell::Int32(i32::from(*v)),
        (SchemaType::Int32, Value::Int32(v)) => Cell::Int32(*v),
        (SchemaType::Int64, Value::Int64(v)) => Cell::Int64(*v),
        (SchemaType::Float32, Value::Float32(v)) => Cell::Float(*v),
        (SchemaType::Float64, Value::Float64(v)) => Cell::Double(*v),
        (SchemaType::String, Value::String(s)) => Cell::Binary(s.as_bytes()),
        (SchemaType::Bytes, Value::Bytes(b)) => Cell::Binary(b),
        _ => return None,
    })
}

fn unsupported(what: &str) -> ConnectError {
    ConnectError::data(format!(
        "ParquetFormat writes records whose value is a struct of primitive fields; {what}"
    ))
}

/// Checks that `value` can be written by [`ParquetFileWriter`] (the check made before a record is accepted).
pub fn check_value(value: &Value, schema: Option<&Schema>) -> ConnectResult<()> {
    let schema = schema.ok_or_else(|| unsupported("this record has no value schema"))?;
    let Value::Struct(row) = value else {
        return Err(unsupported(&format!("got {}", value.type_name())));
    };
    for (field, v) in row.iter() {
        if cell(&field.schema, v).is_none() {
            return Err(unsupported(&format!(
                "field {} ({}) cannot be written",
                field.name, field.schema.schema_type
            )));
        }
    }
    if row.iter().count() != schema.fields.len() {
        return Err(unsupported("the value does not match its schema"));
    }
    Ok(())
}

/// The Parquet type of one field, as parquet-avro converts the Avro type AvroData gives it.
fn column_type(name: &str, schema: &Schema) -> ConnectResult<Type> {
    let physical = match schema.schema_type {
        SchemaType::Boolean => Physical::BOOLEAN,
        SchemaType::Int8 | SchemaType::Int16 | SchemaType::Int32 => Physical::INT32,
        SchemaType::Int64 => Physical::INT64,
        SchemaType::Float32 => Physical::FLOAT,
        SchemaType::Float64 => Physical::DOUBLE,
        SchemaType::String | SchemaType::Bytes => Physical::BYTE_ARRAY,
        other => return Err(unsupported(&format!("field {name} is a {other}"))),
    };
    let mut precision = 0;
    let mut scale = 0;
    let logical_type = match (schema.name.as_deref(), schema.schema_type) {
        (Some(logical::DECIMAL), SchemaType::Bytes) => {
            scale = schema
                .parameter(logical::SCALE)
                .and_then(|s| s.parse().ok())
                .unwrap_or(0);
            precision = schema
                .parameter("connect.decimal.precision")
                .and_then(|s| s.parse().ok())
                .unwrap_or(64);
            Some(LogicalType::Decimal { scale, precision })
        }
        (Some(logical::DATE), SchemaType::Int32) => Some(LogicalType::Date),
        (Some(logical::TIME), SchemaType::Int32) => Some(LogicalType::Time {
            is_adjusted_to_u_t_c: true,
            unit: TimeUnit::MILLIS,
        }),
        (Some(logical::TIMESTAMP), SchemaType::Int64) => Some(LogicalType::Timestamp {
            is_adjusted_to_u_t_c: true,
            unit: TimeUnit::MILLIS,
        }),
        (_, SchemaType::String) => Some(LogicalType::String),
        _ => None,
    };
    let repetition = if schema.optional {
        Repetition::OPTIONAL
    } else {
        Repetition::REQUIRED
    };
    Type::primitive_type_builder(name, physical)
        .with_repetition(repetition)
        .with_logical_type(logical_type)
        .with_precision(precision)
        .with_scale(scale)
        .build()
        .map_err(|e| unsupported(&format!("field {name}: {e}")))
}

/// The values of one column in the current row group.
enum Values {
    Bool(Vec<bool>),
    Int32(Vec<i32>),
    Int64(Vec<i64>),
    Float(Vec<f32>),
    Double(Vec<f64>),
    Binary(Vec<ByteArray>),
}

struct Column {
    values: Values,
    /// Definition levels (optional columns only): 1 for a value, 0 for null.
    defs: Option<Vec<i16>>,
}

/// One Parquet file being written.
pub struct ParquetFileWriter {
    writer: SerializedFileWriter<Vec<u8>>,
    columns: Vec<Column>,
    buffered_bytes: usize,
    row_group_bytes: usize,
}

impl ParquetFileWriter {
    /// Starts a file for records of the struct schema `schema`.
    pub fn new(
        schema: &Schema,
        codec: ParquetCodec,
        row_group_bytes: usize,
    ) -> ConnectResult<ParquetFileWriter> {
        if schema.schema_type != SchemaType::Struct {
            return Err(unsupported(&format!(
                "the value schema is {}",
                schema.schema_type
            )));
        }
        let avro_schema = avro_schema_json(schema, true)?;
        let name = schema
            .name
            .clone()
            .unwrap_or_else(|| "io.confluent.connect.avro.ConnectDefault".to_string());
        let mut fields = Vec::new();
        let mut columns = Vec::new();
        for field in &schema.fields {
            fields.push(Arc::new(column_type(&field.name, &field.schema)?));
            let values = match cell_kind(&field.schema) {
                Physical::BOOLEAN => Values::Bool(Vec::new()),
                Physical::INT32 => Values::Int32(Vec::new()),
                Physical::INT64 => Values::Int64(Vec::new()),
                Physical::FLOAT => Values::Float(Vec::new()),
                Physical::DOUBLE => Values::Double(Vec::new()),
                _ => Values::Binary(Vec::new()),
            };
            columns.push(Column {
                values,
                defs: field.schema.optional.then(Vec::new),
            });
        }
        let message = Type::group_type_builder(&name)
            .with_fields(fields)
            .build()
            .map_err(|e| unsupported(&e.to_string()))?;
        let props = WriterProperties::builder()
            .set_compression(codec.compression())
            .set_key_value_metadata(Some(vec![KeyValue::new(
                "parquet.avro.schema".to_string(),
                avro_schema.to_string(),
            )]))
            .build();
        let writer = SerializedFileWriter::new(Vec::new(), Arc::new(message), Arc::new(props))
            .map_err(parquet_error)?;
        Ok(ParquetFileWriter {
            writer,
            columns,
            buffered_bytes: 0,
            row_group_bytes,
        })
    }

    /// Adds one row (a value [`check_value`] accepted); writes a row group when enough bytes are buffered.
    pub fn append(&mut self, value: &Value) -> ConnectResult<()> {
        let Value::Struct(row) = value else {
            return Err(unsupported(&format!("got {}", value.type_name())));
        };
        for ((field, v), column) in row.iter().zip(&mut self.columns) {
            let c = cell(&field.schema, v).ok_or_else(|| unsupported("a field does not match"))?;
            if let Some(defs) = &mut column.defs {
                defs.push(i16::from(!matches!(c, Cell::Null)));
            }
            self.buffered_bytes += match (&mut column.values, c) {
                (_, Cell::Null) => 0,
                (Values::Bool(vs), Cell::Bool(b)) => {
                    vs.push(b);
                    1
                }
                (Values::Int32(vs), Cell::Int32(n)) => {
                    vs.push(n);
                    4
                }
                (Values::Int64(vs), Cell::Int64(n)) => {
                    vs.push(n);
                    8
                }
                (Values::Float(vs), Cell::Float(n)) => {
                    vs.push(n);
                    4
                }
                (Values::Double(vs), Cell::Double(n)) => {
                    vs.push(n);
                    8
                }
                (Values::Binary(vs), Cell::Binary(b)) => {
                    vs.push(ByteArray::from(b.to_vec()));
                    b.len() + 4
                }
                _ => return Err(unsupported("a field does not match its column")),
            };
        }
        if self.buffered_bytes >= self.row_group_bytes {
            self.write_row_group()?;
        }
        Ok(())
    }

    fn write_row_group(&mut self) -> ConnectResult<()> {
        let mut group = self.writer.next_row_group().map_err(parquet_error)?;
        for column in &mut self.columns {
            let Some(mut out) = group.next_column().map_err(parquet_error)? else {
                break;
            };
            let defs = column.defs.as_deref();
            let written = match &mut column.values {
                Values::Bool(vs) => out.typed::<BoolType>().write_batch(vs, defs, None),
                Values::Int32(vs) => out.typed::<Int32Type>().write_batch(vs, defs, None),
                Values::Int64(vs) => out.typed::<Int64Type>().write_batch(vs, defs, None),
                Values::Float(vs) => out.typed::<FloatType>().write_batch(vs, defs, None),
                Values::Double(vs) => out.typed::<DoubleType>().write_batch(vs, defs, None),
                Values::Binary(vs) => out.typed::<ByteArrayType>().write_batch(vs, defs, None),
            };
            written.map_err(parquet_error)?;
            out.close().map_err(parquet_error)?;
            column.clear();
        }
        group.close().map_err(parquet_error)?;
        self.buffered_bytes = 0;
        Ok(())
    }

    /// The finished bytes (row groups written so far), for the uploader to take from the front.
    pub fn ready(&mut self) -> &mut Vec<u8> {
        self.writer.inner_mut()
    }

    pub fn ready_len(&self) -> usize {
        self.writer.inner().len()
    }

    /// Writes the last row group and the footer; returns every byte not taken yet.
    pub fn finish(mut self) -> ConnectResult<Vec<u8>> {
        if self.buffered_rows() > 0 {
            self.write_row_group()?;
        }
        self.writer.into_inner().map_err(parquet_error)
    }

    fn buffered_rows(&self) -> usize {
        self.columns.first().map_or(0, |c| match &c.defs {
            Some(defs) => defs.len(),
            None => c.values.len(),
        })
    }
}

impl Column {
    fn clear(&mut self) {
        if let Some(defs) = &mut self.defs {
            defs.clear();
        }
        match &mut self.values {
            Values::Bool(v) => v.clear(),
            Values::Int32(v) => v.clear(),
            Values::Int64(v) => v.clear(),
            Values::Float(v) => v.clear(),
            Values::Double(v) => v.clear(),
            Values::Binary(v) => v.clear(),
        }
    }
}

impl Values {
    fn len(&self) -> usize {
        match self {
            Values::Bool(v) => v.len(),
            Values::Int32(v) => v.len(),
            Values::Int64(v) => v.len(),
            Values::Float(v) => v.len(),
            Values::Double(v) => v.len(),
            Values::Binary(v) => v.len(),
        }
    }
}

fn cell_kind(schema: &Schema) -> Physical {
    match schema.schema_type {
        SchemaType::Boolean => Physical::BOOLEAN,
        SchemaType::Int8 | SchemaType::Int16 | SchemaType::Int32 => Physical::INT32,
        SchemaType::Int64 => Physical::INT64,
        SchemaType::Float32 => Physical::FLOAT,
        SchemaType::Float64 => Physical::DOUBLE,
        _ => Physical::BYTE_ARRAY,
    }
}

fn parquet_error(e: parquet::errors::ParquetError) -> ConnectError {
    ConnectError::connect(format!("Parquet writer: {e}"))
}

#[cfg(test)]
mod tests {
    use connect_api::data::{schemas, SchemaBuilder, Struct};
    use parquet::file::reader::{FileReader, SerializedFileReader};

    use super::*;

    #[test]
    fn writes_a_readable_file_with_row_groups() {
        let schema = SchemaBuilder::struct_()
            .with_field("id", schemas::int32())
            .with_field("name", schemas::optional_string())
            .with_field("ts", logical::timestamp_builder().build())
            .build();
        let mut w = ParquetFileWriter::new(&schema, ParquetCodec::Snappy, 64).unwrap();
        for i in 0..20 {
            let mut s = Struct::new(schema.clone())
                .unwrap()
                .with("id", i)
                .unwrap()
                .with("ts", Value::Int64(1_700_000_000_000 + i64::from(i)))
                .unwrap();
            if i % 2 == 0 {
                s = s.with("name", format!("n{i}")).unwrap();
            }
            let v = Value::Struct(s);
            check_value(&v, Some(&schema)).unwrap();
            w.append(&v).unwrap();
        }
        let mut taken = Vec::new();
        let n = w.ready_len();
        taken.extend(w.ready().drain(..n));
        taken.extend(w.finish().unwrap());
        let reader = SerializedFileReader::new(bytes::Bytes::from(taken)).unwrap();
        let meta = reader.metadata();
        assert_eq!(meta.file_metadata().num_rows(), 20);
        assert!(meta.num_row_groups() > 1, "64-byte row groups");
        let text = format!("{:?}", meta.file_metadata().schema());
        assert!(text.contains("ConnectDefault"), "{text}");
        assert!(meta
            .file_metadata()
            .key_value_metadata()
            .unwrap()
            .iter()
            .any(|kv| kv.key == "parquet.avro.schema"));

        let nested = SchemaBuilder::struct_()
            .with_field("a", SchemaBuilder::array(schemas::int32()).build())
            .build();
        assert!(ParquetFileWriter::new(&nested, ParquetCodec::None, 1).is_err());
        assert!(check_value(&Value::from("x"), Some(&schema)).is_err());
    }
}
