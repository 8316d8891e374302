//! Records as plugins see them: the common `ConnectRecord`, `SourceRecord` with its source partition and offset,
//! and `SinkRecord` (a `ConnectRecord` read from Kafka, so with partition and offset set).

use serde_json::{Map, Value as JsonValue};

use crate::data::{SchemaRef, Value};
use crate::header::Headers;

/// A source partition or offset: a map of string keys to primitive values, stored as JSON by the runtime.
pub type OffsetMap = Map<String, JsonValue>;

/// How a record's timestamp was set (Kafka's `TimestampType`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum TimestampType {
    #[default]
    NoTimestampType,
    CreateTime,
    LogAppendTime,
}

impl TimestampType {
    pub fn code(self) -> i8 {
        match self {
            Self::NoTimestampType => -1,
            Self::CreateTime => 0,
            Self::LogAppendTime => 1,
        }
    }
    pub fn from_code(code: i8) -> Self {
        match code {
            0 => Self::CreateTime,
            1 => Self::LogAppendTime,
            _ => Self::NoTimestampType,
        }
    }
}

/// The fields every record has, whichever direction it travels; what transformations operate on.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct ConnectRecord {
    pub topic: String,
    pub kafka_partition: Option<i32>,
    pub key_schema: Option<SchemaRef>,
    pub key: Value,
    pub value_schema: Option<SchemaRef>,
    pub value: Value,
    /// Milliseconds since the epoch.
    pub timestamp: Option<i64>,
    pub headers: Headers,
    /// Set on records read from Kafka (sink side); None on source records.
    pub kafka_offset: Option<i64>,
    pub timestamp_type: TimestampType,
}

impl ConnectRecord {
    /// A record with a topic and a value and nothing else.
    pub fn new(topic: impl Into<String>, value_schema: Option<SchemaRef>, value: Value) -> Self {
        ConnectRecord {
            topic: topic.into(),
            value_schema,
            value,
            ..Default::default()
        }
    }

    pub fn with_key(mut self, key_schema: Option<SchemaRef>, key: Value) -> Self {
        self.key_schema = key_schema;
        self.key = key;
        self
    }

    pub fn with_timestamp(mut self, timestamp: Option<i64>) -> Self {
        self.timestamp = timestamp;
        self
    }
}

/// A record a sink task receives: `kafka_partition` and `kafka_offset` are always set.
pub type SinkRecord = ConnectRecord;

/// A record a source task produces, with where it came from in the source system.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct SourceRecord {
    pub source_partition: OffsetMap,
    pub source_offset: OffsetMap,
    pub record: ConnectRecord,
}

impl SourceRecord {
    pub fn new(
        source_partition: OffsetMap,
        source_offset: OffsetMap,
        record: ConnectRecord,
    ) -> Self {
        SourceRecord {
            source_partition,
            source_offset,
            record,
        }
    }
}

/// Where Kafka wrote a source record (Kafka's `RecordMetadata`, as `SourceTask.commitRecord` receives it).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct RecordMetadata {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    /// The record's timestamp in ms, when the broker reported one.
    pub timestamp: Option<i64>,
}

/// A topic and partition, as Kafka's `TopicPartition`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TopicPartition {
    pub topic: String,
    pub partition: i32,
}

impl TopicPartition {
    pub fn new(topic: impl Into<String>, partition: i32) -> Self {
        TopicPartition {
            topic: topic.into(),
            partition,
        }
    }
}

impl std::fmt::Display for TopicPartition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}", self.topic, self.partition)
    }
}
