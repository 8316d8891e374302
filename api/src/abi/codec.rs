//! The compact binary encoding records and structured values use across the plugin ABI.
//!
//! Little-endian fixed-width integers; strings and byte arrays as a u32 length then the bytes. Schemas within one
//! message are written once and referred to by index afterwards, so a batch of records sharing a schema carries it
//! once and decodes to one shared `SchemaRef`. The layout is specified in `api/include/connect_plugin.h`.

use std::collections::BTreeMap;
use std::sync::Arc;

use bytes::Bytes;
use indexmap::IndexMap;
use serde_json::Value as Json;

use crate::data::{Field, Schema, SchemaRef, SchemaType, Struct, Value};
use crate::error::ConnectError;
use crate::header::{Header, Headers};
use crate::record::{
    ConnectRecord, OffsetMap, RecordMetadata, SourceRecord, TimestampType, TopicPartition,
};
use crate::sink::PartitionOffsets;

const SCHEMA_NONE: u8 = 0;
const SCHEMA_INLINE: u8 = 1;
const SCHEMA_REF: u8 = 2;

const TAG_NULL: u8 = 0;
const TAG_BOOLEAN: u8 = 1;
const TAG_INT8: u8 = 2;
const TAG_INT16: u8 = 3;
const TAG_INT32: u8 = 4;
const TAG_INT64: u8 = 5;
const TAG_FLOAT32: u8 = 6;
const TAG_FLOAT64: u8 = 7;
const TAG_STRING: u8 = 8;
const TAG_BYTES: u8 = 9;
const TAG_ARRAY: u8 = 10;
const TAG_MAP: u8 = 11;
/// A struct followed by its schema, then its field values.
const TAG_STRUCT: u8 = 12;

fn type_code(t: SchemaType) -> u8 {
    match t {
        SchemaType::Int8 => 1,
        SchemaType::Int16 => 2,
        SchemaType::Int32 => 3,
        SchemaType::Int64 => 4,
        SchemaType::Float32 => 5,
        SchemaType::Float64 => 6,
        SchemaType::Boolean => 7,
        SchemaType::String => 8,
        SchemaType::Bytes => 9,
        SchemaType::Array => 10,
        SchemaType::Map => 11,
        SchemaType::Struct => 12,
    }
}

fn type_from_code(c: u8) -> Option<SchemaType> {
    Some(match c {
        1 => SchemaType::Int8,
        2 => SchemaType::Int16,
        3 => SchemaType::Int32,
        4 => SchemaType::Int64,
        5 => SchemaType::Float32,
        6 => SchemaType::Float64,
        7 => SchemaType::Boolean,
        8 => SchemaType::String,
        9 => SchemaType::Bytes,
        10 => SchemaType::Array,
        11 => SchemaType::Map,
        12 => SchemaType::Struct,
        _ => return None,
    })
}

/// Writes one message.
#[derive(Default)]
pub struct Encoder {
    buf: Vec<u8>,
    schemas: Vec<SchemaRef>,
}

impl Encoder {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn finish(self) -> Vec<u8> {
        self.buf
    }
    pub fn u8(&mut self, v: u8) -> &mut Self {
        self.buf.push(v);
        self
    }
    pub fn u32(&mut self, v: u32) -> &mut Self {
        self.buf.extend_from_slice(&v.to_le_bytes());
        self
    }
    pub fn i32(&mut self, v: i32) -> &mut Self {
        self.buf.extend_from_slice(&v.to_le_bytes());
        self
    }
    pub fn i64(&mut self, v: i64) -> &mut Self {
        self.buf.extend_from_slice(&v.to_le_bytes());
        self
    }
    fn len(&mut self, n: usize) -> &mut Self {
        self.u32(u32::try_from(n).unwrap_or(u32::MAX))
    }
    pub fn bytes(&mut self, b: &[u8]) -> &mut Self {
        self.len(b.len());
        self.buf.extend_from_slice(b);
        self
    }
    pub fn str(&mut self, s: &str) -> &mut Self {
        self.bytes(s.as_bytes())
    }
    pub fn opt_str(&mut self, s: Option<&str>) -> &mut Self {
        match s {
            Some(s) => self.u8(1).str(s),
            None => self.u8(0),
        }
    }
    pub fn opt_i64(&mut self, v: Option<i64>) -> &mut Self {
        match v {
            Some(v) => self.u8(1).i64(v),
            None => self.u8(0),
        }
    }
    pub fn opt_bytes(&mut self, b: Option<&[u8]>) -> &mut Self {
        match b {
            Some(b) => self.u8(1).bytes(b),
            None => self.u8(0),
        }
    }

    pub fn schema(&mut self, schema: Option<&SchemaRef>) -> &mut Self {
        let Some(schema) = schema else {
            return self.u8(SCHEMA_NONE);
        };
        if let Some(i) = self.schemas.iter().position(|s| Arc::ptr_eq(s, schema)) {
            return self.u8(SCHEMA_REF).u32(i as u32);
        }
        self.u8(SCHEMA_INLINE);
        let s: &Schema = schema;
        self.u8(type_code(s.schema_type)).u8(s.optional as u8);
        self.opt_str(s.name.as_deref());
        match s.version {
            Some(v) => self.u8(1).i32(v),
            None => self.u8(0),
        };
        self.opt_str(s.doc.as_deref());
        self.len(s.parameters.len());
        for (k, v) in &s.parameters {
            self.str(k).str(v);
        }
        match s.schema_type {
            SchemaType::Struct => {
                self.len(s.fields.len());
                for f in &s.fields {
                    self.str(&f.name).schema(Some(&f.schema));
                }
            }
            SchemaType::Array => {
                self.schema(s.value_schema.as_ref());
            }
            SchemaType::Map => {
                self.schema(s.key_schema.as_ref())
                    .schema(s.value_schema.as_ref());
            }
            _ => {}
        }
        match &s.default_value {
            Some(d) => self.u8(1).value(d),
            None => self.u8(0),
        };
        self.schemas.push(schema.clone());
        self
    }

    pub fn value(&mut self, v: &Value) -> &mut Self {
        match v {
            Value::Null => self.u8(TAG_NULL),
            Value::Boolean(b) => self.u8(TAG_BOOLEAN).u8(*b as u8),
            Value::Int8(i) => self.u8(TAG_INT8).u8(*i as u8),
            Value::Int16(i) => {
                self.u8(TAG_INT16);
                self.buf.extend_from_slice(&i.to_le_bytes());
                self
            }
            Value::Int32(i) => self.u8(TAG_INT32).i32(*i),
            Value::Int64(i) => self.u8(TAG_INT64).i64(*i),
            Value::Float32(f) => {
                self.u8(TAG_FLOAT32);
                self.buf.extend_from_slice(&f.to_le_bytes());
                self
            }
            Value::Float64(f) => {
                self.u8(TAG_FLOAT64);
                self.buf.extend_from_slice(&f.to_le_bytes());
                self
            }
            Value::String(s) => self.u8(TAG_STRING).str(s),
            Value::Bytes(b) => self.u8(TAG_BYTES).bytes(b),
            Value::Array(items) => {
                self.u8(TAG_ARRAY).len(items.len());
                items.iter().for_each(|i| {
                    self.value(i);
                });
                self
            }
            Value::Map(entries) => {
                self.u8(TAG_MAP).len(entries.len());
                for (k, v) in entries {
                    self.value(k).value(v);
                }
                self
            }
            Value::Struct(s) => {
                self.u8(TAG_STRUCT).schema(Some(s.schema()));
                s.values().iter().for_each(|v| {
                    self.value(v);
                });
                self
            }
        }
    }

    pub fn config(&mut self, config: &BTreeMap<String, String>) -> &mut Self {
        self.len(config.len());
        for (k, v) in config {
            self.str(k).str(v);
        }
        self
    }

    pub fn configs(&mut self, configs: &[BTreeMap<String, String>]) -> &mut Self {
        self.len(configs.len());
        configs.iter().for_each(|c| {
            self.config(c);
        });
        self
    }

    /// A source partition or offset, as the `Value::Map` that [`json_to_value`] makes of it (same bytes), written
    /// straight from the JSON: offsets travel with every source record.
    pub fn offset_map(&mut self, map: &OffsetMap) -> &mut Self {
        self.u8(TAG_MAP).len(map.len());
        for (k, v) in map {
            self.u8(TAG_STRING).str(k).json(v);
        }
        self
    }

    fn json(&mut self, j: &Json) -> &mut Self {
        match j {
            Json::Null => self.u8(TAG_NULL),
            Json::Bool(b) => self.u8(TAG_BOOLEAN).u8(*b as u8),
            Json::Number(n) => match n.as_i64() {
                Some(i) => self.u8(TAG_INT64).i64(i),
                None => {
                    self.u8(TAG_FLOAT64);
                    let f = n.as_f64().unwrap_or(f64::NAN);
                    self.buf.extend_from_slice(&f.to_le_bytes());
                    self
                }
            },
            Json::String(s) => self.u8(TAG_STRING).str(s),
            Json::Array(items) => {
                self.u8(TAG_ARRAY).len(items.len());
                items.iter().for_each(|i| {
                    self.json(i);
                });
                self
            }
            Json::Object(map) => self.offset_map(map),
        }
    }

    pub fn opt_offset_map(&mut self, map: Option<&OffsetMap>) -> &mut Self {
        match map {
            Some(m) => self.u8(1).offset_map(m),
            None => self.u8(0),
        }
    }

    pub fn headers(&mut self, headers: &Headers) -> &mut Self {
        self.len(headers.len());
        for h in headers {
            self.str(&h.key).schema(h.schema.as_ref()).value(&h.value);
        }
        self
    }

    pub fn record(&mut self, r: &ConnectRecord) -> &mut Self {
        self.str(&r.topic);
        match r.kafka_partition {
            Some(p) => self.u8(1).i32(p),
            None => self.u8(0),
        };
        self.schema(r.key_schema.as_ref()).value(&r.key);
        self.schema(r.value_schema.as_ref()).value(&r.value);
        self.opt_i64(r.timestamp)
            .headers(&r.headers)
            .opt_i64(r.kafka_offset);
        self.u8(r.timestamp_type.code() as u8)
    }

    pub fn source_record(&mut self, r: &SourceRecord) -> &mut Self {
        self.offset_map(&r.source_partition)
            .offset_map(&r.source_offset)
            .record(&r.record)
    }

    /// A source record and where it was written (`SOURCE_COMMIT_RECORD`).
    pub fn committed_record(
        &mut self,
        record: &SourceRecord,
        metadata: Option<&RecordMetadata>,
    ) -> &mut Self {
        self.source_record(record);
        match metadata {
            None => self.u8(0),
            Some(m) => self
                .u8(1)
                .str(&m.topic)
                .i32(m.partition)
                .i64(m.offset)
                .opt_i64(m.timestamp),
        }
    }

    pub fn partitions(&mut self, parts: &[TopicPartition]) -> &mut Self {
        self.len(parts.len());
        for p in parts {
            self.str(&p.topic).i32(p.partition);
        }
        self
    }

    pub fn partition_offsets(&mut self, offsets: &PartitionOffsets) -> &mut Self {
        self.len(offsets.len());
        for (p, o) in offsets {
            self.str(&p.topic).i32(p.partition).i64(*o);
        }
        self
    }
}

/// Reads one message. Byte values share the message buffer when it is a `Bytes` (no copy).
pub struct Decoder {
    buf: Bytes,
    pos: usize,
    schemas: Vec<SchemaRef>,
    /// Where the last source partition decoded lies in `buf`, and what it decoded to: a batch's records mostly
    /// share one partition, and equal bytes are not decoded again.
    last_partition: Option<(std::ops::Range<usize>, OffsetMap)>,
}

fn truncated() -> ConnectError {
    ConnectError::data("plugin ABI message is truncated")
}

impl Decoder {
    pub fn new(buf: Bytes) -> Self {
        Decoder {
            buf,
            pos: 0,
            schemas: Vec::new(),
            last_partition: None,
        }
    }
    pub fn from_slice(buf: &[u8]) -> Self {
        Self::new(Bytes::copy_from_slice(buf))
    }
    pub fn is_empty(&self) -> bool {
        self.pos >= self.buf.len()
    }
    fn take(&mut self, n: usize) -> Result<&[u8], ConnectError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|e| *e <= self.buf.len())
            .ok_or_else(truncated)?;
        let s = &self.buf[self.pos..end];
        self.pos = end;
        Ok(s)
    }
    fn array<const N: usize>(&mut self) -> Result<[u8; N], ConnectError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }
    pub fn u8(&mut self) -> Result<u8, ConnectError> {
        Ok(self.take(1)?[0])
    }
    pub fn bool(&mut self) -> Result<bool, ConnectError> {
        Ok(self.u8()? != 0)
    }
    pub fn u32(&mut self) -> Result<u32, ConnectError> {
        Ok(u32::from_le_bytes(self.array()?))
    }
    pub fn i32(&mut self) -> Result<i32, ConnectError> {
        Ok(i32::from_le_bytes(self.array()?))
    }
    pub fn i64(&mut self) -> Result<i64, ConnectError> {
        Ok(i64::from_le_bytes(self.array()?))
    }
    /// A count, checked against the bytes left so a corrupt length cannot allocate wildly.
    fn count(&mut self) -> Result<usize, ConnectError> {
        let n = self.u32()? as usize;
        if n > self.buf.len() - self.pos {
            return Err(truncated());
        }
        Ok(n)
    }
    pub fn bytes(&mut self) -> Result<Bytes, ConnectError> {
        let n = self.u32()? as usize;
        let start = self.pos;
        self.take(n)?;
        Ok(self.buf.slice(start..start + n))
    }
    pub fn str(&mut self) -> Result<String, ConnectError> {
        let n = self.u32()? as usize;
        let raw = self.take(n)?;
        std::str::from_utf8(raw)
            .map(str::to_string)
            .map_err(|_| ConnectError::data("plugin ABI message holds invalid UTF-8"))
    }
    pub fn opt_str(&mut self) -> Result<Option<String>, ConnectError> {
        Ok(if self.bool()? {
            Some(self.str()?)
        } else {
            None
        })
    }
    pub fn opt_i64(&mut self) -> Result<Option<i64>, ConnectError> {
        Ok(if self.bool()? {
            Some(self.i64()?)
        } else {
            None
        })
    }
    pub fn opt_bytes(&mut self) -> Result<Option<Bytes>, ConnectError> {
        Ok(if self.bool()? {
            Some(self.bytes()?)
        } else {
            None
        })
    }

    pub fn schema(&mut self) -> Result<Option<SchemaRef>, ConnectError> {
        match self.u8()? {
            SCHEMA_NONE => Ok(None),
            SCHEMA_REF => {
                let i = self.u32()? as usize;
                self.schemas
                    .get(i)
                    .cloned()
                    .map(Some)
                    .ok_or_else(|| ConnectError::data("unknown schema reference"))
            }
            SCHEMA_INLINE => {
                let t = type_from_code(self.u8()?)
                    .ok_or_else(|| ConnectError::data("unknown schema type"))?;
                let optional = self.bool()?;
                let name = self.opt_str()?;
                let version = if self.bool()? {
                    Some(self.i32()?)
                } else {
                    None
                };
                let doc = self.opt_str()?;
                let mut parameters = IndexMap::new();
                for _ in 0..self.count()? {
                    parameters.insert(self.str()?, self.str()?);
                }
                let mut schema = Schema {
                    schema_type: t,
                    optional,
                    default_value: None,
                    name,
                    version,
                    doc,
                    parameters,
                    fields: Vec::new(),
                    key_schema: None,
                    value_schema: None,
                };
                match t {
                    SchemaType::Struct => {
                        for index in 0..self.count()? {
                            let name = self.str()?;
                            let s = self
                                .schema()?
                                .ok_or_else(|| ConnectError::data("struct field without schema"))?;
                            schema.fields.push(Field {
                                name,
                                index,
                                schema: s,
                            });
                        }
                    }
                    SchemaType::Array => schema.value_schema = self.schema()?,
                    SchemaType::Map => {
                        schema.key_schema = self.schema()?;
                        schema.value_schema = self.schema()?;
                    }
                    _ => {}
                }
                if self.bool()? {
                    schema.default_value = Some(self.value()?);
                }
                let schema = Arc::new(schema);
                self.schemas.push(schema.clone());
                Ok(Some(schema))
            }
            other => Err(ConnectError::data(format!("unknown schema marker {other}"))),
        }
    }

    pub fn value(&mut self) -> Result<Value, ConnectError> {
        Ok(match self.u8()? {
            TAG_NULL => Value::Null,
            TAG_BOOLEAN => Value::Boolean(self.bool()?),
            TAG_INT8 => Value::Int8(self.u8()? as i8),
            TAG_INT16 => Value::Int16(i16::from_le_bytes(self.array()?)),
            TAG_INT32 => Value::Int32(self.i32()?),
            TAG_INT64 => Value::Int64(self.i64()?),
            TAG_FLOAT32 => Value::Float32(f32::from_le_bytes(self.array()?)),
            TAG_FLOAT64 => Value::Float64(f64::from_le_bytes(self.array()?)),
            TAG_STRING => Value::String(self.str()?),
            TAG_BYTES => Value::Bytes(self.bytes()?),
            TAG_ARRAY => {
                let n = self.count()?;
                let mut items = Vec::with_capacity(n);
                for _ in 0..n {
                    items.push(self.value()?);
                }
                Value::Array(items)
            }
            TAG_MAP => {
                let n = self.count()?;
                let mut entries = Vec::with_capacity(n);
                for _ in 0..n {
                    entries.push((self.value()?, self.value()?));
                }
                Value::Map(entries)
            }
            TAG_STRUCT => {
                let schema = self
                    .schema()?
                    .ok_or_else(|| ConnectError::data("struct without schema"))?;
                let mut s = Struct::new(schema.clone())?;
                for i in 0..schema.fields.len() {
                    s.put_unchecked(i, self.value()?);
                }
                Value::Struct(s)
            }
            other => return Err(ConnectError::data(format!("unknown value tag {other}"))),
        })
    }

    pub fn config(&mut self) -> Result<BTreeMap<String, String>, ConnectError> {
        let mut map = BTreeMap::new();
        for _ in 0..self.count()? {
            map.insert(self.str()?, self.str()?);
        }
        Ok(map)
    }

    pub fn configs(&mut self) -> Result<Vec<BTreeMap<String, String>>, ConnectError> {
        (0..self.count()?).map(|_| self.config()).collect()
    }

    /// The inverse of [`Encoder::offset_map`]: what `value_to_json(value())` gives, read straight into JSON.
    pub fn offset_map(&mut self) -> Result<OffsetMap, ConnectError> {
        match self.json()? {
            Json::Object(map) => Ok(map),
            Json::Null => Ok(OffsetMap::new()),
            _ => Err(ConnectError::data(
                "source partition and offset must be maps",
            )),
        }
    }

    fn json(&mut self) -> Result<Json, ConnectError> {
        let start = self.pos;
        Ok(match self.u8()? {
            TAG_NULL => Json::Null,
            TAG_BOOLEAN => Json::Bool(self.bool()?),
            TAG_INT32 => Json::from(self.i32()?),
            TAG_INT64 => Json::from(self.i64()?),
            TAG_FLOAT64 => Json::from(f64::from_le_bytes(self.array()?)),
            TAG_STRING => Json::String(self.str()?),
            TAG_ARRAY => {
                let n = self.count()?;
                let mut items = Vec::with_capacity(n);
                for _ in 0..n {
                    items.push(self.json()?);
                }
                Json::Array(items)
            }
            TAG_MAP => {
                let n = self.count()?;
                let mut map = OffsetMap::with_capacity(n);
                for _ in 0..n {
                    let key = if self.buf.get(self.pos) == Some(&TAG_STRING) {
                        self.pos += 1;
                        self.str()?
                    } else {
                        let k = self.value()?;
                        format!("{k:?}")
                    };
                    map.insert(key, self.json()?);
                }
                Json::Object(map)
            }
            // Kinds JSON offsets never produce (a plugin may still send them): the general path.
            _ => {
                self.pos = start;
                value_to_json(&self.value()?)
            }
        })
    }

    pub fn opt_offset_map(&mut self) -> Result<Option<OffsetMap>, ConnectError> {
        Ok(if self.bool()? {
            Some(self.offset_map()?)
        } else {
            None
        })
    }

    pub fn headers(&mut self) -> Result<Headers, ConnectError> {
        (0..self.count()?)
            .map(|_| {
                Ok(Header {
                    key: self.str()?,
                    schema: self.schema()?,
                    value: self.value()?,
                })
            })
            .collect()
    }

    pub fn record(&mut self) -> Result<ConnectRecord, ConnectError> {
        let topic = self.str()?;
        let kafka_partition = if self.bool()? {
            Some(self.i32()?)
        } else {
            None
        };
        let key_schema = self.schema()?;
        let key = self.value()?;
        let value_schema = self.schema()?;
        let value = self.value()?;
        Ok(ConnectRecord {
            topic,
            kafka_partition,
            key_schema,
            key,
            value_schema,
            value,
            timestamp: self.opt_i64()?,
            headers: self.headers()?,
            kafka_offset: self.opt_i64()?,
            timestamp_type: TimestampType::from_code(self.u8()? as i8),
        })
    }

    pub fn source_record(&mut self) -> Result<SourceRecord, ConnectError> {
        Ok(SourceRecord {
            source_partition: self.source_partition()?,
            source_offset: self.offset_map()?,
            record: self.record()?,
        })
    }

    /// A source partition: the previous one again when its bytes repeat (the encoding is prefix-free, so bytes
    /// starting with the previous partition's encoding hold that partition).
    fn source_partition(&mut self) -> Result<OffsetMap, ConnectError> {
        if let Some((range, map)) = &self.last_partition {
            let end = self.pos + range.len();
            if self.buf.get(self.pos..end) == self.buf.get(range.clone()) {
                self.pos = end;
                return Ok(map.clone());
            }
        }
        let start = self.pos;
        let map = self.offset_map()?;
        self.last_partition = Some((start..self.pos, map.clone()));
        Ok(map)
    }

    pub fn committed_record(
        &mut self,
    ) -> Result<(SourceRecord, Option<RecordMetadata>), ConnectError> {
        let record = self.source_record()?;
        let metadata = match self.u8()? {
            0 => None,
            _ => Some(RecordMetadata {
                topic: self.str()?,
                partition: self.i32()?,
                offset: self.i64()?,
                timestamp: self.opt_i64()?,
            }),
        };
        Ok((record, metadata))
    }

    pub fn partitions(&mut self) -> Result<Vec<TopicPartition>, ConnectError> {
        (0..self.count()?)
            .map(|_| Ok(TopicPartition::new(self.str()?, self.i32()?)))
            .collect()
    }

    pub fn partition_offsets(&mut self) -> Result<PartitionOffsets, ConnectError> {
        (0..self.count()?)
            .map(|_| Ok((TopicPartition::new(self.str()?, self.i32()?), self.i64()?)))
            .collect()
    }

    /// Decodes `count` items with `item`, as batches are written (`u32` count, then the items).
    pub fn batch<T>(
        &mut self,
        mut item: impl FnMut(&mut Self) -> Result<T, ConnectError>,
    ) -> Result<Vec<T>, ConnectError> {
        let n = self.count()?;
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            out.push(item(self)?);
        }
        Ok(out)
    }
}

/// JSON offset values as Connect values (integers as INT64, other numbers as FLOAT64).
pub fn json_to_value(j: &Json) -> Value {
    match j {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Boolean(*b),
        Json::Number(n) => match n.as_i64() {
            Some(i) => Value::Int64(i),
            None => Value::Float64(n.as_f64().unwrap_or(f64::NAN)),
        },
        Json::String(s) => Value::String(s.clone()),
        Json::Array(a) => Value::Array(a.iter().map(json_to_value).collect()),
        Json::Object(o) => Value::Map(
            o.iter()
                .map(|(k, v)| (Value::String(k.clone()), json_to_value(v)))
                .collect(),
        ),
    }
}

/// The inverse of [`json_to_value`] for the value kinds offsets can hold.
pub fn value_to_json(v: &Value) -> Json {
    match v {
        Value::Null => Json::Null,
        Value::Boolean(b) => Json::Bool(*b),
        Value::Int8(i) => Json::from(*i),
        Value::Int16(i) => Json::from(*i),
        Value::Int32(i) => Json::from(*i),
        Value::Int64(i) => Json::from(*i),
        Value::Float32(f) => Json::from(f64::from(*f)),
        Value::Float64(f) => Json::from(*f),
        Value::String(s) => Json::String(s.clone()),
        Value::Bytes(b) => Json::Array(b.iter().map(|x| Json::from(*x)).collect()),
        Value::Array(a) => Json::Array(a.iter().map(value_to_json).collect()),
        Value::Map(entries) => Json::Object(
            entries
                .iter()
                .map(|(k, v)| {
                    (
                        k.as_str()
                            .map(str::to_string)
                            .unwrap_or_else(|| format!("{k:?}")),
                        value_to_json(v),
                    )
                })
                .collect(),
        ),
        Value::Struct(s) => Json::Object(
            s.iter()
                .map(|(f, v)| (f.name.clone(), value_to_json(v)))
                .collect(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{schemas, SchemaBuilder};

    #[test]
    fn offset_maps_keep_the_general_value_encoding() {
        let offsets = [
            serde_json::json!({}),
            serde_json::json!({"server": "pg", "lsn": 42, "ts": -1.5, "big": u64::MAX, "done": true, "none": null}),
            serde_json::json!({"nested": {"a": [1, "x", [false]], "b": {}}, "file": "in.txt"}),
        ];
        for offset in offsets {
            let map = offset.as_object().cloned().expect("map");
            let mut direct = Encoder::default();
            direct.offset_map(&map);
            let mut general = Encoder::default();
            general.value(&json_to_value(&offset));
            assert_eq!(direct.buf, general.buf, "same bytes for {offset}");

            let mut decoder = Decoder::new(Bytes::from(direct.buf.clone()));
            let expected = value_to_json(&Decoder::new(Bytes::from(direct.buf)).value().unwrap());
            assert_eq!(Json::Object(decoder.offset_map().unwrap()), expected);
        }
        // Kinds only a hand-built value holds still decode as value_to_json has them.
        let odd = Value::Map(vec![
            (Value::Int32(7), Value::Int8(3)),
            (Value::String("f".into()), Value::Float32(0.5)),
            (
                Value::String("b".into()),
                Value::Bytes(Bytes::from_static(b"\x01\x02")),
            ),
        ]);
        let mut enc = Encoder::default();
        enc.value(&odd);
        let mut decoder = Decoder::new(Bytes::from(enc.buf));
        assert_eq!(
            Json::Object(decoder.offset_map().unwrap()),
            value_to_json(&odd)
        );
    }

    #[test]
    fn records_round_trip_and_share_schemas() {
        let schema = SchemaBuilder::struct_()
            .with_field("id", schemas::int64())
            .with_field("name", schemas::optional_string())
            .with_field(
                "tags",
                SchemaBuilder::array(schemas::string()).optional().build(),
            )
            .name("rec")
            .build();
        let mk = |id: i64, file: &str| {
            let s = Struct::new(schema.clone())
                .unwrap()
                .with("id", id)
                .unwrap()
                .with("name", "x")
                .unwrap();
            let mut r = ConnectRecord::new("t", Some(schema.clone()), Value::Struct(s));
            r.headers
                .add("h", Some(schemas::string()), Value::from("v"));
            r.timestamp = Some(42);
            r.kafka_partition = Some(3);
            let mut partition = OffsetMap::new();
            if !file.is_empty() {
                partition.insert("filename".into(), Json::from(file));
            }
            let mut offset = OffsetMap::new();
            offset.insert("position".into(), Json::from(id));
            SourceRecord::new(partition, offset, r)
        };
        // Repeated partitions are decoded once; a changed one (longer, shorter, empty, back again) is not mistaken.
        let records = vec![
            mk(1, "a"),
            mk(2, "a"),
            mk(3, "ab"),
            mk(4, "a"),
            mk(5, ""),
            mk(6, ""),
            mk(7, "a"),
        ];
        let mut e = Encoder::new();
        e.u32(records.len() as u32);
        records.iter().for_each(|r| {
            e.source_record(r);
        });
        let mut d = Decoder::new(Bytes::from(e.finish()));
        let back = d.batch(Decoder::source_record).unwrap();
        assert_eq!(back, records);
        assert!(Arc::ptr_eq(
            back[0].record.value_schema.as_ref().unwrap(),
            back[1].record.value_schema.as_ref().unwrap()
        ));
        assert!(d.is_empty());
    }

    #[test]
    fn truncated_input_is_an_error_not_a_panic() {
        let mut e = Encoder::new();
        e.record(&ConnectRecord::new(
            "topic",
            Some(schemas::string()),
            Value::from("hello"),
        ));
        let full = e.finish();
        for cut in 0..full.len() {
            assert!(
                Decoder::from_slice(&full[..cut]).record().is_err(),
                "cut at {cut}"
            );
        }
        assert!(Decoder::from_slice(&[0xff, 0xff, 0xff, 0xff])
            .configs()
            .is_err());
    }
}
