//! Debezium change events: per-table key/value/envelope schemas, the `source` block, and the records for
//! create/update/delete/read/truncate, tombstones and heartbeats.

use std::sync::LazyLock;
use std::time::{SystemTime, UNIX_EPOCH};

use connect_api::data::{schemas, SchemaBuilder, SchemaRef, Struct, Value};
use connect_api::record::ConnectRecord;
use connect_api::{OffsetMap, SourceRecord};
use serde_json::json;

use crate::pgoutput::TupleValue;
use crate::types::{self, ColumnType, Conversion};

pub const SOURCE_SCHEMA_NAME: &str = "io.debezium.connector.postgresql.Source";
/// The `version` field of the source block: this connector's version.
pub const CONNECTOR_VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), "-connect-rs");

/// The `io.debezium.connector.postgresql.Source` schema, fields in Debezium's order (built once, shared).
pub fn source_schema() -> SchemaRef {
    static SCHEMA: LazyLock<SchemaRef> = LazyLock::new(build_source_schema);
    SCHEMA.clone()
}

fn build_source_schema() -> SchemaRef {
    let snapshot = SchemaBuilder::string()
        .optional()
        .name("io.debezium.data.Enum")
        .version(1)
        .parameter(
            "allowed",
            "true,first,first_in_data_collection,last_in_data_collection,last,false,incremental",
        )
        .default_value(Value::String("false".into()))
        .expect("valid default")
        .build();
    SchemaBuilder::struct_()
        .name(SOURCE_SCHEMA_NAME)
        .with_field("version", schemas::string())
        .with_field("connector", schemas::string())
        .with_field("name", schemas::string())
        .with_field("ts_ms", schemas::int64())
        .with_field("snapshot", snapshot)
        .with_field("db", schemas::string())
        .with_field("sequence", schemas::optional_string())
        .with_field("ts_us", schemas::optional_int64())
        .with_field("ts_ns", schemas::optional_int64())
        .with_field("schema", schemas::string())
        .with_field("table", schemas::string())
        .with_field("txId", schemas::optional_int64())
        .with_field("lsn", schemas::optional_int64())
        .with_field("xmin", schemas::optional_int64())
        .build()
}

/// The optional `event.block` transaction schema.
fn transaction_schema() -> SchemaRef {
    SchemaBuilder::struct_()
        .optional()
        .name("event.block")
        .version(1)
        .with_field("id", schemas::string())
        .with_field("total_order", schemas::int64())
        .with_field("data_collection_order", schemas::int64())
        .build()
}

/// Where an event comes from (the variable part of the `source` block).
#[derive(Clone, Debug, Default)]
pub struct SourceInfo {
    /// Commit (or snapshot read) time in microseconds since the epoch.
    pub ts_us: i64,
    pub snapshot: &'static str,
    pub sequence: Option<String>,
    pub tx_id: Option<i64>,
    pub lsn: Option<i64>,
}

/// Everything needed to turn rows of one table into events.
#[derive(Clone, Debug)]
pub struct TableSchema {
    pub schema: String,
    pub table: String,
    pub topic: String,
    pub columns: Vec<ColumnType>,
    /// Indexes into `columns` of the primary-key columns.
    pub key_columns: Vec<usize>,
    pub key_schema: Option<SchemaRef>,
    pub value_schema: SchemaRef,
    pub envelope_schema: SchemaRef,
}

impl TableSchema {
    pub fn new(
        prefix: &str,
        conv: &Conversion,
        schema: &str,
        table: &str,
        columns: Vec<ColumnType>,
        primary_key: &[String],
    ) -> TableSchema {
        let base = format!("{prefix}.{schema}.{table}");
        let mut value = SchemaBuilder::struct_()
            .optional()
            .name(format!("{base}.Value"));
        for c in &columns {
            value = value.with_field(&c.name, types::column_schema(conv, c));
        }
        let value_schema = value.build();
        let key_columns: Vec<usize> = primary_key
            .iter()
            .filter_map(|k| columns.iter().position(|c| &c.name == k))
            .collect();
        let key_schema = (!key_columns.is_empty()).then(|| {
            let mut key = SchemaBuilder::struct_().name(format!("{base}.Key"));
            for &i in &key_columns {
                let mut c = columns[i].clone();
                c.optional = false;
                key = key.with_field(&c.name, types::column_schema(conv, &c));
            }
            key.build()
        });
        let envelope_schema = SchemaBuilder::struct_()
            .name(format!("{base}.Envelope"))
            .version(2)
            .with_field("before", value_schema.clone())
            .with_field("after", value_schema.clone())
            .with_field("source", source_schema())
            .with_field("transaction", transaction_schema())
            .with_field("op", schemas::string())
            .with_field("ts_ms", schemas::optional_int64())
            .with_field("ts_us", schemas::optional_int64())
            .with_field("ts_ns", schemas::optional_int64())
            .build();
        TableSchema {
            schema: schema.to_string(),
            table: table.to_string(),
            topic: base,
            columns,
            key_columns,
            key_schema,
            value_schema,
            envelope_schema,
        }
    }

    /// A row struct from the tuple the server sent (`None` columns are left null).
    pub fn row(&self, conv: &Conversion, tuple: &[TupleValue]) -> Result<Struct, String> {
        let mut s = Struct::new(self.value_schema.clone()).map_err(|e| e.to_string())?;
        for (i, (col, v)) in self.columns.iter().zip(tuple).enumerate() {
            let value = match v {
                TupleValue::Null if !col.optional => types::fallback(conv, col),
                TupleValue::Null => Value::Null,
                TupleValue::UnchangedToast => types::unavailable(conv, col),
                TupleValue::Text(t) => types::convert(conv, col, t)?,
            };
            s.put_unchecked(i, value);
        }
        Ok(s)
    }

    /// A row struct from text columns (snapshot rows), `None` meaning SQL NULL.
    pub fn row_from_text(
        &self,
        conv: &Conversion,
        cols: &[Option<&str>],
    ) -> Result<Struct, String> {
        let tuple: Vec<TupleValue> = cols
            .iter()
            .map(|c| match c {
                Some(t) => TupleValue::Text(t.to_string()),
                None => TupleValue::Null,
            })
            .collect();
        self.row(conv, &tuple)
    }

    /// The key struct taken from a row, None when the table has no primary key.
    pub fn key(&self, row: &Struct) -> Option<Struct> {
        let schema = self.key_schema.clone()?;
        let mut key = Struct::new(schema).ok()?;
        for (k, &i) in self.key_columns.iter().enumerate() {
            key.put_unchecked(k, row.values()[i].clone());
        }
        Some(key)
    }
}

/// Now in microseconds since the epoch.
pub fn now_micros() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as i64)
        .unwrap_or(0)
}

/// What the event builder needs from the connector config.
#[derive(Clone, Debug)]
pub struct EventContext {
    pub prefix: String,
    pub db: String,
    pub partition: OffsetMap,
}

impl EventContext {
    pub fn new(prefix: &str, db: &str) -> Self {
        let mut partition = OffsetMap::new();
        partition.insert("server".into(), json!(prefix));
        EventContext {
            prefix: prefix.to_string(),
            db: db.to_string(),
            partition,
        }
    }

    fn source(&self, table: &TableSchema, info: &SourceInfo) -> Struct {
        let mut s = Struct::new(source_schema()).expect("struct schema");
        let vals = [
            Value::String(CONNECTOR_VERSION.into()),
            Value::String("postgresql".into()),
            Value::String(self.prefix.clone()),
            Value::Int64(info.ts_us.div_euclid(1000)),
            Value::String(info.snapshot.into()),
            Value::String(self.db.clone()),
            info.sequence
                .clone()
                .map(Value::String)
                .unwrap_or(Value::Null),
            Value::Int64(info.ts_us),
            Value::Int64(info.ts_us.saturating_mul(1000)),
            Value::String(table.schema.clone()),
            Value::String(table.table.clone()),
            info.tx_id.map(Value::Int64).unwrap_or(Value::Null),
            info.lsn.map(Value::Int64).unwrap_or(Value::Null),
            Value::Null,
        ];
        for (i, v) in vals.into_iter().enumerate() {
            s.put_unchecked(i, v);
        }
        s
    }

    /// One change event (`op` c, u, d, r or t) with its source offset.
    #[allow(clippy::too_many_arguments)]
    pub fn change(
        &self,
        table: &TableSchema,
        op: &str,
        key: Option<Struct>,
        before: Option<Struct>,
        after: Option<Struct>,
        info: &SourceInfo,
        offset: OffsetMap,
    ) -> SourceRecord {
        let now = now_micros();
        let mut env = Struct::new(table.envelope_schema.clone()).expect("struct schema");
        let vals = [
            before.map(Value::Struct).unwrap_or(Value::Null),
            after.map(Value::Struct).unwrap_or(Value::Null),
            Value::Struct(self.source(table, info)),
            Value::Null,
            Value::String(op.into()),
            Value::Int64(now / 1000),
            Value::Int64(now),
            Value::Int64(now * 1000),
        ];
        for (i, v) in vals.into_iter().enumerate() {
            env.put_unchecked(i, v);
        }
        let (key_schema, key) = match key {
            Some(k) => (table.key_schema.clone(), Value::Struct(k)),
            None => (None, Value::Null),
        };
        let record = ConnectRecord::new(
            &table.topic,
            Some(table.envelope_schema.clone()),
            Value::Struct(env),
        )
        .with_key(key_schema, key);
        SourceRecord::new(self.partition.clone(), offset, record)
    }

    /// The tombstone that follows a delete: same key, null value.
    pub fn tombstone(&self, table: &TableSchema, key: Struct, offset: OffsetMap) -> SourceRecord {
        let record = ConnectRecord::new(&table.topic, None, Value::Null)
            .with_key(table.key_schema.clone(), Value::Struct(key));
        SourceRecord::new(self.partition.clone(), offset, record)
    }

    /// A heartbeat: key `ServerNameKey {serverName}`, value `Heartbeat {ts_ms}`.
    pub fn heartbeat(&self, topic: &str, offset: OffsetMap) -> SourceRecord {
        let key_schema = SchemaBuilder::struct_()
            .name("io.debezium.connector.common.ServerNameKey")
            .with_field("serverName", schemas::string())
            .build();
        let value_schema = SchemaBuilder::struct_()
            .name("io.debezium.connector.common.Heartbeat")
            .with_field("ts_ms", schemas::int64())
            .build();
        let mut k = Struct::new(key_schema.clone()).expect("struct");
        k.put_unchecked(0, Value::String(self.prefix.clone()));
        let mut v = Struct::new(value_schema.clone()).expect("struct");
        v.put_unchecked(0, Value::Int64(now_micros() / 1000));
        let record = ConnectRecord::new(topic, Some(value_schema), Value::Struct(v))
            .with_key(Some(key_schema), Value::Struct(k));
        SourceRecord::new(self.partition.clone(), offset, record)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{BinaryMode, DecimalMode, TimePrecision};
    use crate::types::oid;

    fn conv() -> Conversion {
        Conversion {
            decimal: DecimalMode::Precise,
            time: TimePrecision::Adaptive,
            binary: BinaryMode::Bytes,
            placeholder: "__debezium_unavailable_value".into(),
        }
    }

    fn customers() -> TableSchema {
        let cols = vec![
            ColumnType {
                name: "id".into(),
                type_oid: oid::INT4,
                type_modifier: -1,
                optional: false,
            },
            ColumnType {
                name: "email".into(),
                type_oid: oid::TEXT,
                type_modifier: -1,
                optional: true,
            },
        ];
        TableSchema::new("srv", &conv(), "public", "customers", cols, &["id".into()])
    }

    #[test]
    fn builds_debezium_envelope() {
        let t = customers();
        assert_eq!(t.topic, "srv.public.customers");
        assert_eq!(
            t.key_schema.as_ref().unwrap().name.as_deref(),
            Some("srv.public.customers.Key")
        );
        assert_eq!(
            t.value_schema.name.as_deref(),
            Some("srv.public.customers.Value")
        );
        assert_eq!(
            t.envelope_schema.name.as_deref(),
            Some("srv.public.customers.Envelope")
        );
        let names: Vec<_> = t
            .envelope_schema
            .fields
            .iter()
            .map(|f| f.name.as_str())
            .collect();
        assert_eq!(
            names,
            [
                "before",
                "after",
                "source",
                "transaction",
                "op",
                "ts_ms",
                "ts_us",
                "ts_ns"
            ]
        );
        let source: Vec<_> = source_schema()
            .fields
            .iter()
            .map(|f| f.name.clone())
            .collect();
        assert_eq!(
            source,
            [
                "version",
                "connector",
                "name",
                "ts_ms",
                "snapshot",
                "db",
                "sequence",
                "ts_us",
                "ts_ns",
                "schema",
                "table",
                "txId",
                "lsn",
                "xmin"
            ]
        );

        let ctx = EventContext::new("srv", "postgres");
        let row = t
            .row(
                &conv(),
                &[TupleValue::Text("1".into()), TupleValue::Text("a@b".into())],
            )
            .unwrap();
        let key = t.key(&row).unwrap();
        assert_eq!(key.values(), &[Value::Int32(1)]);
        let info = SourceInfo {
            ts_us: 1_559_033_904_863_123,
            snapshot: "false",
            sequence: Some("[\"24023119\",\"24023128\"]".into()),
            tx_id: Some(555),
            lsn: Some(24023128),
        };
        let rec = ctx.change(
            &t,
            "c",
            Some(key.clone()),
            None,
            Some(row),
            &info,
            OffsetMap::new(),
        );
        assert_eq!(rec.record.topic, "srv.public.customers");
        assert_eq!(rec.source_partition.get("server"), Some(&json!("srv")));
        let env = rec.record.value.as_struct().unwrap();
        env.validate().unwrap();
        assert_eq!(env.get("op"), Some(&Value::String("c".into())));
        assert_eq!(env.get("before"), Some(&Value::Null));
        let src = env.get("source").unwrap().as_struct().unwrap();
        assert_eq!(src.get("ts_ms"), Some(&Value::Int64(1_559_033_904_863)));
        assert_eq!(
            src.get("connector"),
            Some(&Value::String("postgresql".into()))
        );
        assert_eq!(src.get("txId"), Some(&Value::Int64(555)));
        let tomb = ctx.tombstone(&t, key, OffsetMap::new());
        assert!(tomb.record.value.is_null() && tomb.record.value_schema.is_none());
    }

    #[test]
    fn unchanged_toast_becomes_placeholder() {
        let t = customers();
        let row = t
            .row(
                &conv(),
                &[TupleValue::Text("1".into()), TupleValue::UnchangedToast],
            )
            .unwrap();
        assert_eq!(
            row.get("email"),
            Some(&Value::String("__debezium_unavailable_value".into()))
        );
    }
}
