//! `InsertField$Key` / `InsertField$Value`: adds topic, partition, offset, timestamp or static fields.

use connect_api::config::{ConfigDef, ConfigType, Importance};
use connect_api::connector::Config;
use connect_api::data::logical;
use connect_api::data::{schemas, Schema, SchemaRef, Struct, Value};
use connect_api::transform::Transformation;
use connect_api::{ConnectError, ConnectRecord, ConnectResult};

use crate::util::config::{self as cfg, invalid};
use crate::util::requirements::{into_map, into_struct, require_sink_offset};
use crate::util::schema::{field_value, struct_like, SchemaCache};
use crate::util::{map, Side};

pub const TOPIC_FIELD: &str = "topic.field";
pub const PARTITION_FIELD: &str = "partition.field";
pub const OFFSET_FIELD: &str = "offset.field";
pub const TIMESTAMP_FIELD: &str = "timestamp.field";
pub const STATIC_FIELD: &str = "static.field";
pub const STATIC_VALUE: &str = "static.value";
const PURPOSE: &str = "field insertion";
const OPTIONALITY_DOC: &str =
    "Suffix with <code>!</code> to make this a required field, or <code>?</code> to keep \
     it optional (the default).";

pub fn config_def() -> ConfigDef {
    let keys = [
        (TOPIC_FIELD, "Field name for Kafka topic. "),
        (PARTITION_FIELD, "Field name for Kafka partition. "),
        (
            OFFSET_FIELD,
            "Field name for Kafka offset - only applicable to sink connectors.<br/>",
        ),
        (TIMESTAMP_FIELD, "Field name for record timestamp. "),
        (STATIC_FIELD, "Field name for static data field. "),
    ];
    let mut def = ConfigDef::new();
    for (key, doc) in keys {
        def = def
            .define(
                key,
                ConfigType::String,
                Importance::Medium,
                &format!("{doc}{OPTIONALITY_DOC}"),
            )
            .default_null()
            .add();
    }
    let def = def
        .define(
            STATIC_VALUE,
            ConfigType::String,
            Importance::Medium,
            "Static field value, if field name configured.",
        )
        .default_null()
        .add();
    cfg::with_replace_null_with_default(def)
}

/// A field to insert: name, and whether its schema is optional (`name?`, the default) or required (`name!`).
#[derive(Clone, Debug, PartialEq, Eq)]
struct InsertionSpec {
    name: String,
    optional: bool,
}

impl InsertionSpec {
    fn parse(spec: Option<&str>) -> Option<InsertionSpec> {
        let spec = spec?;
        let (name, optional) = if let Some(name) = spec.strip_suffix('?') {
            (name, true)
        } else if let Some(name) = spec.strip_suffix('!') {
            (name, false)
        } else {
            (spec, true)
        };
        Some(InsertionSpec {
            name: name.to_string(),
            optional,
        })
    }

    fn schema(&self, optional: SchemaRef, required: SchemaRef) -> SchemaRef {
        if self.optional {
            optional
        } else {
            required
        }
    }
}

/// Inserts record metadata fields.
#[derive(Debug)]
pub struct InsertField {
    side: Side,
    topic: Option<InsertionSpec>,
    partition: Option<InsertionSpec>,
    offset: Option<InsertionSpec>,
    timestamp: Option<InsertionSpec>,
    static_field: Option<InsertionSpec>,
    static_value: Option<String>,
    replace_null_with_default: bool,
    cache: SchemaCache,
}

impl InsertField {
    pub fn new(side: Side) -> Self {
        InsertField {
            side,
            topic: None,
            partition: None,
            offset: None,
            timestamp: None,
            static_field: None,
            static_value: None,
            replace_null_with_default: true,
            cache: SchemaCache::new(),
        }
    }

    /// An inserter of one static string field (used by other SMTs as a delegate).
    pub fn static_field(side: Side, field: &str, value: &str) -> Self {
        InsertField {
            static_field: InsertionSpec::parse(Some(field)),
            static_value: Some(value.to_string()),
            ..Self::new(side)
        }
    }

    fn build_schema(&self, schema: &Schema) -> ConnectResult<SchemaRef> {
        let mut builder = struct_like(schema);
        for field in &schema.fields {
            builder = builder.field(field.name.clone(), field.schema.clone())?;
        }
        if let Some(spec) = &self.topic {
            builder = builder.field(
                spec.name.clone(),
                spec.schema(schemas::optional_string(), schemas::string()),
            )?;
        }
        if let Some(spec) = &self.partition {
            builder = builder.field(
                spec.name.clone(),
                spec.schema(schemas::optional_int32(), schemas::int32()),
            )?;
        }
        if let Some(spec) = &self.offset {
            builder = builder.field(
                spec.name.clone(),
                spec.schema(schemas::optional_int64(), schemas::int64()),
            )?;
        }
        if let Some(spec) = &self.timestamp {
            let optional = logical::timestamp_builder().optional().build();
            builder = builder.field(
                spec.name.clone(),
                spec.schema(optional, logical::timestamp_builder().build()),
            )?;
        }
        if let Some(spec) = &self.static_field {
            builder = builder.field(
                spec.name.clone(),
                spec.schema(schemas::optional_string(), schemas::string()),
            )?;
        }
        Ok(builder.build())
    }

    /// The (name, value) pairs to insert into this record.
    fn insertions(&self, record: &ConnectRecord) -> ConnectResult<Vec<(&str, Value)>> {
        let mut out = Vec::with_capacity(5);
        if let Some(spec) = &self.topic {
            out.push((spec.name.as_str(), Value::String(record.topic.clone())));
        }
        if let (Some(spec), Some(p)) = (&self.partition, record.kafka_partition) {
            out.push((spec.name.as_str(), Value::Int32(p)));
        }
        if let Some(spec) = &self.offset {
            out.push((
                spec.name.as_str(),
                Value::Int64(require_sink_offset(record, PURPOSE)?),
            ));
        }
        if let (Some(spec), Some(ts)) = (&self.timestamp, record.timestamp) {
            out.push((spec.name.as_str(), Value::Int64(ts)));
        }
        if let (Some(spec), Some(v)) = (&self.static_field, &self.static_value) {
            out.push((spec.name.as_str(), Value::String(v.clone())));
        }
        Ok(out)
    }
}

impl Transformation for InsertField {
    fn configure(&mut self, config: &Config) -> ConnectResult<()> {
        let parsed = cfg::parse(&config_def(), config)?;
        self.topic = InsertionSpec::parse(parsed.string(TOPIC_FIELD));
        self.partition = InsertionSpec::parse(parsed.string(PARTITION_FIELD));
        self.offset = InsertionSpec::parse(parsed.string(OFFSET_FIELD));
        self.timestamp = InsertionSpec::parse(parsed.string(TIMESTAMP_FIELD));
        self.static_field = InsertionSpec::parse(parsed.string(STATIC_FIELD));
        self.static_value = parsed.string(STATIC_VALUE).map(str::to_string);
        self.replace_null_with_default = cfg::replace_null_with_default(&parsed);
        self.cache = SchemaCache::new();
        if self.topic.is_none()
            && self.partition.is_none()
            && self.offset.is_none()
            && self.timestamp.is_none()
            && self.static_field.is_none()
        {
            return Err(ConnectError::config("No field insertion configured"));
        }
        if let (Some(spec), None) = (&self.static_field, &self.static_value) {
            return Err(invalid(
                STATIC_VALUE,
                "null",
                &format!("No value specified for static field: {}", spec.name),
            ));
        }
        Ok(())
    }

    fn apply(&mut self, mut record: ConnectRecord) -> ConnectResult<Option<ConnectRecord>> {
        if self.side.value(&record).is_null() {
            return Ok(Some(record));
        }
        let insertions = self.insertions(&record)?;
        let (schema, value) = self.side.take(&mut record);
        match schema {
            None => {
                let mut entries = into_map(value, PURPOSE)?;
                for (name, v) in insertions {
                    map::put(&mut entries, name, v);
                }
                self.side.set(&mut record, None, Value::Map(entries));
            }
            Some(schema) => {
                let value = into_struct(value, PURPOSE)?;
                let updated = self
                    .cache
                    .get_or_try_insert(&schema, |s| self.build_schema(s))?;
                let mut out = Struct::new(updated.clone())?;
                for field in &value.schema().fields {
                    out.put_unchecked(
                        field.index,
                        field_value(&value, field, self.replace_null_with_default).clone(),
                    );
                }
                // The inserted fields' schemas accept these values (never null); absent ones (no partition or
                // timestamp on this record) stay null.
                for (name, v) in insertions {
                    if let Some(f) = updated.field(name) {
                        out.put_unchecked(f.index, v);
                    }
                }
                self.side
                    .set(&mut record, Some(updated), Value::Struct(out));
            }
        }
        Ok(Some(record))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::testing::*;
    use connect_api::data::SchemaBuilder;

    fn value_xform(pairs: &[(&str, &str)]) -> InsertField {
        configured(InsertField::new(Side::Value), pairs)
    }

    fn full() -> InsertField {
        value_xform(&[
            (TOPIC_FIELD, "topic_field!"),
            (PARTITION_FIELD, "partition_field"),
            (TIMESTAMP_FIELD, "timestamp_field?"),
            (STATIC_FIELD, "instance_id"),
            (STATIC_VALUE, "my-instance-id"),
        ])
    }

    #[test]
    fn topic_field_config_rejects_missing_static_value_and_nothing_configured() {
        assert_eq!(
            config_error(InsertField::new(Side::Value), &[]).to_string(),
            "No field insertion configured"
        );
        assert_eq!(
            config_error(InsertField::new(Side::Value), &[(STATIC_FIELD, "x")]).to_string(),
            "Invalid value null for configuration static.value: No value specified for static field: x"
        );
    }

    #[test]
    fn schemaless_insert_config_fields() {
        let mut t = full();
        let r = record(None, map(&[("magic", Value::Int64(42))]))
            .with_timestamp(Some(1_483_425_001_864));
        let out = apply(&mut t, r);
        assert_eq!(out.value.map_get("magic"), Some(&Value::Int64(42)));
        assert_eq!(out.value.map_get("topic_field"), Some(&s("topic")));
        assert_eq!(out.value.map_get("partition_field"), Some(&Value::Int32(0)));
        assert_eq!(
            out.value.map_get("timestamp_field"),
            Some(&Value::Int64(1_483_425_001_864))
        );
        assert_eq!(out.value.map_get("instance_id"), Some(&s("my-instance-id")));
    }

    #[test]
    fn with_schema_insert_config_fields() {
        let mut t = full();
        let schema = SchemaBuilder::struct_()
            .name("name")
            .version(1)
            .doc("doc")
            .with_field("magic", schemas::optional_int64())
            .build();
        let value = Struct::new(schema.clone())
            .unwrap()
            .with("magic", 42i64)
            .unwrap();
        let out = apply(
            &mut t,
            record(Some(schema), Value::Struct(value)).with_timestamp(Some(0)),
        );
        let schema = out.value_schema.clone().unwrap();
        assert_eq!(schema.name.as_deref(), Some("name"));
        assert_eq!(schema.version, Some(1));
        assert_eq!(schema.doc.as_deref(), Some("doc"));
        assert_eq!(
            schema.field("magic").unwrap().schema,
            schemas::optional_int64()
        );
        assert_eq!(
            schema.field("topic_field").unwrap().schema,
            schemas::string()
        );
        assert_eq!(
            schema.field("partition_field").unwrap().schema,
            schemas::optional_int32()
        );
        assert_eq!(
            *schema.field("timestamp_field").unwrap().schema,
            logical::timestamp_builder().optional().build_schema()
        );
        assert_eq!(
            schema.field("instance_id").unwrap().schema,
            schemas::optional_string()
        );
        let v = out.value.as_struct().unwrap();
        assert_eq!(v.get("magic"), Some(&Value::Int64(42)));
        assert_eq!(v.get("topic_field"), Some(&s("topic")));
        assert_eq!(v.get("partition_field"), Some(&Value::Int32(0)));
        assert_eq!(v.get("timestamp_field"), Some(&Value::Int64(0)));
        assert_eq!(v.get("instance_id"), Some(&s("my-instance-id")));
        v.validate().unwrap();
        // The updated schema is cached.
        let again = apply(&mut t, record(out.value_schema.clone(), Value::Null));
        assert_eq!(again.value, Value::Null);
    }

    #[test]
    fn null_values_pass_through() {
        let mut t = full();
        let schemaless = record(None, Value::Null);
        assert_eq!(apply(&mut t, schemaless.clone()), schemaless);
        let schema = SchemaBuilder::struct_()
            .optional()
            .with_field("magic", schemas::optional_int64())
            .build();
        let with_schema = record(Some(schema), Value::Null);
        assert_eq!(apply(&mut t, with_schema.clone()), with_schema);
    }

    #[test]
    fn offset_needs_a_sink_record() {
        let mut t = value_xform(&[(OFFSET_FIELD, "offset")]);
        let err = t.apply(record(None, map(&[]))).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Only SinkRecord supported for [field insertion], found: org.apache.kafka.connect.source.SourceRecord"
        );
        let mut sink = record(None, map(&[]));
        sink.kafka_offset = Some(7);
        assert_eq!(
            apply(&mut t, sink).value.map_get("offset"),
            Some(&Value::Int64(7))
        );
    }

    #[test]
    fn insert_into_key_and_missing_timestamp_is_skipped() {
        let mut t = configured(
            InsertField::new(Side::Key),
            &[(TOPIC_FIELD, "topic_field!"), (TIMESTAMP_FIELD, "ts")],
        );
        let out = apply(&mut t, keyed(None, map(&[])));
        assert_eq!(out.key, map(&[("topic_field", s("topic"))]));
    }

    #[test]
    fn replace_null_with_default() {
        let schema = SchemaBuilder::struct_()
            .with_field(
                "opt",
                SchemaBuilder::int32()
                    .optional()
                    .default_value(Value::Int32(7))
                    .unwrap()
                    .build(),
            )
            .build();
        let value = Value::Struct(Struct::new(schema.clone()).unwrap());
        let mut t = value_xform(&[(TOPIC_FIELD, "t")]);
        let out = apply(&mut t, record(Some(schema.clone()), value.clone()));
        assert_eq!(
            out.value.as_struct().unwrap().get_without_default("opt"),
            Some(&Value::Int32(7))
        );
        let mut t = value_xform(&[(TOPIC_FIELD, "t"), ("replace.null.with.default", "false")]);
        let out = apply(&mut t, record(Some(schema), value));
        assert_eq!(
            out.value.as_struct().unwrap().get_without_default("opt"),
            Some(&Value::Null)
        );
    }

    #[test]
    fn updated_schema_is_cached() {
        let mut t = value_xform(&[(TOPIC_FIELD, "topic_field")]);
        let schema = SchemaBuilder::struct_()
            .with_field("magic", schemas::optional_int64())
            .build();
        let first = apply(
            &mut t,
            record(
                Some(schema.clone()),
                Value::Struct(Struct::new(schema.clone()).unwrap()),
            ),
        );
        let second = apply(
            &mut t,
            record(
                Some(schema.clone()),
                Value::Struct(Struct::new(schema).unwrap()),
            ),
        );
        assert!(std::sync::Arc::ptr_eq(
            first.value_schema.as_ref().unwrap(),
            second.value_schema.as_ref().unwrap()
        ));
    }
}
