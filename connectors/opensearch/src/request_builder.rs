//! One sink record → one `_bulk` operation: the index name from the topic, the document id and external version
//! from the key or coordinates, and the action line plus document (index, update-as-upsert or delete).

use connect_api::data::{Schema, Value};
use connect_api::{ConnectError, ConnectResult, SinkRecord};

use crate::config::{
    DataStream, IdStrategy, NullValueBehavior, SinkConfig, WriteMethod, DEFAULT_TIMESTAMP_FIELD,
};
use crate::encoder::{push_str, Encoder};

/// Longest index name OpenSearch accepts, in bytes.
const MAX_INDEX_NAME: usize = 255;

/// The index for a topic (Aiven's rules): lower-cased, `:` → `_`, leading `-`, `_` and `+` stripped, `.` → `dot`
/// and `..` → `dotdot`, truncated to 255 bytes.
pub fn index_name(topic: &str) -> String {
    let lowered = topic.to_lowercase().replace(':', "_");
    let trimmed = lowered.trim_start_matches(['-', '_', '+']);
    let mut name = match trimmed {
        "." => "dot".to_string(),
        ".." => "dotdot".to_string(),
        other => other.to_string(),
    };
    if name.len() > MAX_INDEX_NAME {
        let mut end = MAX_INDEX_NAME;
        while !name.is_char_boundary(end) {
            end -= 1;
        }
        name.truncate(end);
    }
    name
}

/// `<topic>+<partition>+<offset>`, the id of a record whose key is ignored.
pub fn coordinates_id(record: &SinkRecord) -> String {
    format!(
        "{}+{}+{}",
        record.topic,
        record.kafka_partition.unwrap_or(0),
        record.kafka_offset.unwrap_or(0)
    )
}

/// The document id from the record key: only integer and string keys qualify.
pub fn key_id(record: &SinkRecord) -> ConnectResult<String> {
    match &record.key {
        Value::String(s) if !s.is_empty() => Ok(s.clone()),
        Value::String(_) => Err(ConnectError::data(format!(
            "Key is used as document id and can not be empty (topic {}, partition {}, offset {}).",
            record.topic,
            record.kafka_partition.unwrap_or(-1),
            record.kafka_offset.unwrap_or(-1)
        ))),
        v @ (Value::Int8(_) | Value::Int16(_) | Value::Int32(_) | Value::Int64(_)) => {
            Ok(v.as_i64().unwrap_or_default().to_string())
        }
        Value::Null => Err(ConnectError::data(format!(
            "Key is used as document id and can not be null (topic {}, partition {}, offset {}); set key.ignore=true to use topic+partition+offset ids.",
            record.topic,
            record.kafka_partition.unwrap_or(-1),
            record.kafka_offset.unwrap_or(-1)
        ))),
        Value::Struct(_) | Value::Map(_) => Err(ConnectError::data(format!(
            "Key of type {} can not be used as document id (only INT8, INT16, INT32, INT64 and STRING keys can): extract one field with the SMT org.apache.kafka.connect.transforms.ExtractField$Key (e.g. transforms=key, transforms.key.type=org.apache.kafka.connect.transforms.ExtractField$Key, transforms.key.field=id), or set key.ignore=true.",
            record.key.type_name().to_uppercase()
        ))),
        other => Err(ConnectError::data(format!(
            "Key of type {} can not be used as document id (only INT8, INT16, INT32, INT64 and STRING keys can); set key.ignore=true or convert the key with an SMT such as Cast$Key.",
            other.type_name().to_uppercase()
        ))),
    }
}

/// What a record turns into.
#[derive(Debug, PartialEq)]
pub enum Operation {
    /// NDJSON lines (action, and document unless a delete), each ending in `\n`, for this index.
    Write { index: String, lines: Vec<u8> },
    /// Nothing to write (ignored tombstone); the record counts as handled.
    Skip,
}

/// Builds bulk operations for records of one connector config.
pub struct RequestBuilder {
    encoder: Encoder,
    write_method: WriteMethod,
    null_values: NullValueBehavior,
    key_ignore: bool,
    topic_key_ignore: std::collections::HashSet<String>,
    id_strategy: IdStrategy,
    retry_on_conflict: usize,
    data_stream: Option<DataStream>,
}

impl RequestBuilder {
    pub fn new(config: &SinkConfig) -> RequestBuilder {
        RequestBuilder {
            encoder: Encoder {
                compact_map_entries: config.compact_map_entries,
            },
            write_method: config.index_write_method,
            null_values: config.behavior_on_null_values,
            key_ignore: config.key_ignore,
            topic_key_ignore: config.topic_key_ignore.clone(),
            id_strategy: config.key_ignore_id_strategy,
            retry_on_conflict: config.retry_on_conflict(),
            data_stream: config.data_stream.clone(),
        }
    }

    /// The index, or with data streams the stream (`{data.stream.prefix}-{index}` or the index name), that
    /// records of `topic` go to.
    pub fn target(&self, topic: &str) -> String {
        let index = index_name(topic);
        match self.data_stream.as_ref().and_then(|d| d.prefix.as_deref()) {
            Some(prefix) => format!("{prefix}-{index}"),
            None => index,
        }
    }

    /// Whether a version conflict on this record's write means "already written": an externally versioned
    /// write (a replay older than the stored document), or a data stream `create` whose id is the record's
    /// coordinates (the same record written before).
    pub fn conflict_is_replay(&self, record: &SinkRecord) -> bool {
        let ignore_key = self.key_ignore || self.topic_key_ignore.contains(&record.topic);
        if self.data_stream.is_some() {
            return ignore_key && self.id_strategy == IdStrategy::TopicPartitionOffset;
        }
        record.value.is_null() || (!ignore_key && self.write_method == WriteMethod::Insert)
    }

    /// `(id, external version)` of a record; the version is set only when the id comes from the key.
    fn id_and_version(&self, record: &SinkRecord) -> ConnectResult<(Option<String>, Option<i64>)> {
        let ignore_key = self.key_ignore || self.topic_key_ignore.contains(&record.topic);
        if !ignore_key {
            return Ok((Some(key_id(record)?), record.kafka_offset));
        }
        Ok(match self.id_strategy {
            IdStrategy::TopicPartitionOffset => (Some(coordinates_id(record)), None),
            IdStrategy::RecordKey => (Some(key_id(record)?), None),
            IdStrategy::None => (None, None),
        })
    }

    /// The bulk operation for one record, or an error for a record that cannot be written (bad key, tombstone
    /// with `behavior.on.null.values=fail`).
    pub fn build(&self, record: &SinkRecord) -> ConnectResult<Operation> {
        let index = self.target(&record.topic);
        if record.value.is_null() {
            return self.build_delete(record, index);
        }
        let (id, version) = self.id_and_version(record)?;
        if let Some(stream) = &self.data_stream {
            // Data streams take only `create`, without versions (Aiven's connector writes the same).
            let mut lines = Vec::with_capacity(128);
            lines.extend_from_slice(b"{\"create\":{\"_index\":");
            push_str(&mut lines, &index);
            push_id_and_version(&mut lines, id.as_deref(), None);
            lines.extend_from_slice(b"}}\n");
            let mut document = Vec::with_capacity(96);
            self.encoder.write_document(
                &mut document,
                &record.value,
                record.value_schema.as_deref(),
            );
            if stream.timestamp_field == DEFAULT_TIMESTAMP_FIELD {
                document = with_record_timestamp(document, record)?;
            }
            lines.extend_from_slice(&document);
            lines.push(b'\n');
            return Ok(Operation::Write { index, lines });
        }
        let mut lines = Vec::with_capacity(128);
        let schema: Option<&Schema> = record.value_schema.as_deref();
        match (self.write_method, &id) {
            (WriteMethod::Upsert, Some(id)) => {
                lines.extend_from_slice(b"{\"update\":{\"_index\":");
                push_str(&mut lines, &index);
                lines.extend_from_slice(b",\"_id\":");
                push_str(&mut lines, id);
                lines.extend_from_slice(
                    format!(
                        ",\"retry_on_conflict\":{}}}}}\n{{\"doc\":",
                        self.retry_on_conflict
                    )
                    .as_bytes(),
                );
                self.encoder
                    .write_document(&mut lines, &record.value, schema);
                lines.extend_from_slice(b",\"doc_as_upsert\":true}\n");
            }
            _ => {
                lines.extend_from_slice(b"{\"index\":{\"_index\":");
                push_str(&mut lines, &index);
                push_id_and_version(&mut lines, id.as_deref(), version);
                lines.extend_from_slice(b"}}\n");
                self.encoder
                    .write_document(&mut lines, &record.value, schema);
                lines.push(b'\n');
            }
        }
        Ok(Operation::Write { index, lines })
    }

    fn build_delete(&self, record: &SinkRecord, index: String) -> ConnectResult<Operation> {
        match self.null_values {
            NullValueBehavior::Ignore => Ok(Operation::Skip),
            NullValueBehavior::Fail => Err(ConnectError::data(format!(
                "Sink record with key of {} and null value encountered for topic/partition/offset {}/{}/{} (to ignore future records like this change the configuration behavior.on.null.values to 'ignore')",
                describe_key(&record.key),
                record.topic,
                record.kafka_partition.unwrap_or(-1),
                record.kafka_offset.unwrap_or(-1)
            ))),
            NullValueBehavior::Delete => {
                // A delete needs the key's id; without a key (or with ids from coordinates) there is nothing to
                // delete, as in Aiven's and Confluent's sinks.
                let ignore_key = self.key_ignore || self.topic_key_ignore.contains(&record.topic);
                if record.key.is_null() || ignore_key {
                    return Ok(Operation::Skip);
                }
                let id = key_id(record)?;
                let mut lines = Vec::with_capacity(96);
                lines.extend_from_slice(b"{\"delete\":{\"_index\":");
                push_str(&mut lines, &index);
                let version = if self.data_stream.is_some() {
                    None
                } else {
                    record.kafka_offset
                };
                push_id_and_version(&mut lines, Some(&id), version);
                lines.extend_from_slice(b"}}\n");
                Ok(Operation::Write { index, lines })
            }
        }
    }
}

/// A data stream document gets `@timestamp` = the record timestamp (epoch millis) unless it has that field,
/// as Aiven's connector does when `data.stream.timestamp.field` is left at `@timestamp`.
fn with_record_timestamp(document: Vec<u8>, record: &SinkRecord) -> ConnectResult<Vec<u8>> {
    let fields: std::collections::HashMap<String, serde::de::IgnoredAny> =
        serde_json::from_slice(&document).map_err(|_| {
            ConnectError::data(format!(
                "The document of record {}-{}@{} is not a JSON object; a data stream needs one",
                record.topic,
                record.kafka_partition.unwrap_or(-1),
                record.kafka_offset.unwrap_or(-1)
            ))
        })?;
    if fields.contains_key(DEFAULT_TIMESTAMP_FIELD) {
        return Ok(document);
    }
    let Some(timestamp) = record.timestamp else {
        return Err(ConnectError::data(format!(
            "Record timestamp hasn't been set (record {}-{}@{}), and the document has no {DEFAULT_TIMESTAMP_FIELD}",
            record.topic,
            record.kafka_partition.unwrap_or(-1),
            record.kafka_offset.unwrap_or(-1)
        )));
    };
    let mut out = Vec::with_capacity(document.len() + 32);
    out.extend_from_slice(format!("{{\"{DEFAULT_TIMESTAMP_FIELD}\":{timestamp}").as_bytes());
    // `document` is an object: `{}` or `{"a":...}`; keep its fields after the timestamp.
    let rest = document[1..].trim_ascii_start();
    if rest.first() != Some(&b'}') {
        out.push(b',');
    }
    out.extend_from_slice(rest);
    Ok(out)
}

fn push_id_and_version(lines: &mut Vec<u8>, id: Option<&str>, version: Option<i64>) {
    if let Some(id) = id {
        lines.extend_from_slice(b",\"_id\":");
        push_str(lines, id);
    }
    if let Some(version) = version {
        lines.extend_from_slice(
            format!(",\"version\":{version},\"version_type\":\"external\"").as_bytes(),
        );
    }
}

fn describe_key(key: &Value) -> String {
    match key {
        Value::Null => "null".into(),
        Value::String(s) => s.clone(),
        other => other
            .as_i64()
            .map(|v| v.to_string())
            .unwrap_or_else(|| other.type_name().to_string()),
    }
}

#[cfg(test)]
mod tests {
    use connect_api::data::{schemas, SchemaBuilder, Struct};
    use connect_api::record::ConnectRecord;

    use super::*;
    use crate::config::SinkConfig;

    fn config(extra: &[(&str, &str)]) -> SinkConfig {
        let mut props: connect_api::Config =
            [("connection.url".into(), "http://h:9200".into())].into();
        for (k, v) in extra {
            props.insert(k.to_string(), v.to_string());
        }
        SinkConfig::parse(&props).unwrap()
    }

    fn record(key: Value, value: Value) -> SinkRecord {
        let mut r = ConnectRecord::new("Orders", None, value).with_key(None, key);
        r.kafka_partition = Some(2);
        r.kafka_offset = Some(41);
        r
    }

    fn lines(op: Operation) -> String {
        match op {
            Operation::Write { lines, .. } => String::from_utf8(lines).unwrap(),
            Operation::Skip => "skip".into(),
        }
    }

    #[test]
    fn index_names_follow_the_spec() {
        assert_eq!(index_name("Orders"), "orders");
        assert_eq!(index_name("_-+my:topic"), "my_topic");
        assert_eq!(index_name("."), "dot");
        assert_eq!(index_name(".."), "dotdot");
        assert_eq!(index_name(&"x".repeat(300)).len(), 255);
    }

    #[test]
    fn ids_from_key_or_coordinates() {
        let doc = Value::Map(vec![(Value::from("a"), Value::Int32(1))]);
        let b = RequestBuilder::new(&config(&[]));
        assert_eq!(
            lines(b.build(&record(Value::from("k1"), doc.clone())).unwrap()),
            "{\"index\":{\"_index\":\"orders\",\"_id\":\"k1\",\"version\":41,\"version_type\":\"external\"}}\n{\"a\":1}\n"
        );
        assert_eq!(
            lines(b.build(&record(Value::Int64(-3), doc.clone())).unwrap()),
            "{\"index\":{\"_index\":\"orders\",\"_id\":\"-3\",\"version\":41,\"version_type\":\"external\"}}\n{\"a\":1}\n"
        );
        let b = RequestBuilder::new(&config(&[("key.ignore", "true")]));
        assert_eq!(
            lines(b.build(&record(Value::Null, doc.clone())).unwrap()),
            "{\"index\":{\"_index\":\"orders\",\"_id\":\"Orders+2+41\"}}\n{\"a\":1}\n"
        );
        let b = RequestBuilder::new(&config(&[
            ("key.ignore", "true"),
            ("key.ignore.id.strategy", "none"),
        ]));
        assert_eq!(
            lines(b.build(&record(Value::Null, doc)).unwrap()),
            "{\"index\":{\"_index\":\"orders\"}}\n{\"a\":1}\n"
        );
    }

    #[test]
    fn struct_keys_name_the_smt() {
        let schema = SchemaBuilder::struct_()
            .with_field("id", schemas::int32())
            .build();
        let key = Value::Struct(Struct::new(schema).unwrap().with("id", 1).unwrap());
        let b = RequestBuilder::new(&config(&[]));
        let err = b.build(&record(key, Value::from("{}"))).unwrap_err();
        assert!(err.message().contains("ExtractField$Key"), "{err}");
        let err = b
            .build(&record(Value::Null, Value::from("{}")))
            .unwrap_err();
        assert!(err.message().contains("can not be null"), "{err}");
    }

    #[test]
    fn upserts_and_tombstones() {
        let doc = Value::Map(vec![(Value::from("a"), Value::Int32(1))]);
        let b = RequestBuilder::new(&config(&[("index.write.method", "upsert")]));
        assert_eq!(
            lines(b.build(&record(Value::from("k"), doc)).unwrap()),
            "{\"update\":{\"_index\":\"orders\",\"_id\":\"k\",\"retry_on_conflict\":5}}\n{\"doc\":{\"a\":1},\"doc_as_upsert\":true}\n"
        );
        let tombstone = record(Value::from("k"), Value::Null);
        assert_eq!(b.build(&tombstone).unwrap(), Operation::Skip);
        let b = RequestBuilder::new(&config(&[("behavior.on.null.values", "delete")]));
        assert_eq!(
            lines(b.build(&tombstone).unwrap()),
            "{\"delete\":{\"_index\":\"orders\",\"_id\":\"k\",\"version\":41,\"version_type\":\"external\"}}\n"
        );
        let b = RequestBuilder::new(&config(&[("behavior.on.null.values", "fail")]));
        let err = b.build(&tombstone).unwrap_err();
        assert!(err.message().contains("behavior.on.null.values"), "{err}");
    }

    #[test]
    fn data_streams_take_creates_with_a_timestamp() {
        let b = RequestBuilder::new(&config(&[
            ("data.stream.enabled", "true"),
            ("data.stream.prefix", "logs"),
        ]));
        let mut r = record(Value::from("k"), Value::from(r#"{"a":1}"#));
        r.timestamp = Some(1700000000123);
        assert_eq!(b.target("Orders"), "logs-orders");
        assert_eq!(
            lines(b.build(&r).unwrap()),
            "{\"create\":{\"_index\":\"logs-orders\",\"_id\":\"k\"}}\n{\"@timestamp\":1700000000123,\"a\":1}\n"
        );
        // A document with its own @timestamp keeps it; an empty one gets the record's.
        r.value = Value::from(r#"{"@timestamp":"2026-01-01T00:00:00Z"}"#);
        assert!(
            lines(b.build(&r).unwrap()).ends_with("\n{\"@timestamp\":\"2026-01-01T00:00:00Z\"}\n")
        );
        r.value = Value::from("{}");
        assert!(lines(b.build(&r).unwrap()).ends_with("\n{\"@timestamp\":1700000000123}\n"));
        r.timestamp = None;
        assert!(b.build(&r).unwrap_err().message().contains("timestamp"));
        // Replays of coordinate ids are recognised; key ids go through behavior.on.version.conflict.
        assert!(!b.conflict_is_replay(&r));
        let b = RequestBuilder::new(&config(&[
            ("data.stream.enabled", "true"),
            ("key.ignore", "true"),
            ("data.stream.timestamp.field", "ts"),
        ]));
        assert!(b.conflict_is_replay(&r));
        assert_eq!(b.target("Orders"), "orders");
        r.value = Value::from(r#"{"ts":5}"#);
        assert_eq!(
            lines(b.build(&r).unwrap()),
            "{\"create\":{\"_index\":\"orders\",\"_id\":\"Orders+2+41\"}}\n{\"ts\":5}\n"
        );
        let upsert = SinkConfig::parse(
            &[
                ("connection.url".to_string(), "http://h".to_string()),
                ("data.stream.enabled".to_string(), "true".to_string()),
                ("index.write.method".to_string(), "upsert".to_string()),
            ]
            .into(),
        );
        assert!(upsert.unwrap_err().message().contains("upsert"));
    }
}
