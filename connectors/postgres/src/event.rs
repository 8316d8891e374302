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

/// The optional `event.block` transaction schema (built once, shared).
fn transaction_schema() -> SchemaRef {
    static SCHEMA: LazyLock<SchemaRef> = LazyLock::new(build_transaction_schema);
    SCHEMA.clone()
}

fn build_transaction_schema() -> SchemaRef {
    SchemaBuilder::struct_()
        .optional()
        .name("event.block")
        .version(1)
        .with_field("id", schemas::string())
        .with_field("total_order", schemas::int64())
        .with_field("data_collection_order", schemas::int64())
        .build()
}

fn tx_block(t: &TxBlock) -> Struct {
    let mut s = Struct::new(transaction_schema()).expect("struct schema");
    s.put_unchecked(0, Value::String(t.id.clone()));
    s.put_unchecked(1, Value::Int64(t.total_order));
    s.put_unchecked(2, Value::Int64(t.data_collection_order));
    s
}

/// Key and value schemas of the `<prefix>.transaction` topic (Debezium's `TransactionMetadataKey`/`Value`).
fn transaction_topic_schemas() -> (SchemaRef, SchemaRef, SchemaRef) {
    static SCHEMAS: LazyLock<(SchemaRef, SchemaRef, SchemaRef)> = LazyLock::new(|| {
        let key = SchemaBuilder::struct_()
            .name("io.debezium.connector.common.TransactionMetadataKey")
            .with_field("id", schemas::string())
            .build();
        let per_collection = SchemaBuilder::struct_()
            .with_field("data_collection", schemas::string())
            .with_field("event_count", schemas::int64())
            .build();
        let value = SchemaBuilder::struct_()
            .name("io.debezium.connector.common.TransactionMetadataValue")
            .with_field("status", schemas::string())
            .with_field("id", schemas::string())
            .with_field("event_count", schemas::optional_int64())
            .with_field(
                "data_collections",
                SchemaBuilder::array(per_collection.clone())
                    .optional()
                    .build(),
            )
            .with_field("ts_ms", schemas::int64())
            .build();
        (key, value, per_collection)
    });
    SCHEMAS.clone()
}

/// A BEGIN or END event of the transaction topic.
#[derive(Clone, Debug)]
pub struct TxBoundary<'a> {
    pub id: &'a str,
    /// Commit time, milliseconds since the epoch.
    pub ts_ms: i64,
    /// For END: events per data collection (`schema.table`), in first-seen order.
    pub end: Option<&'a [(String, i64)]>,
}

/// Where an event comes from (the variable part of the `source` block) and its place in its transaction.
#[derive(Clone, Debug, Default)]
pub struct SourceInfo {
    /// Commit (or snapshot read) time in microseconds since the epoch.
    pub ts_us: i64,
    pub snapshot: &'static str,
    pub sequence: Option<String>,
    pub tx_id: Option<i64>,
    pub lsn: Option<i64>,
    /// The envelope's `transaction` block, with `provide.transaction.metadata`.
    pub transaction: Option<TxBlock>,
}

/// The `transaction` block of a change event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TxBlock {
    pub id: String,
    pub total_order: i64,
    pub data_collection_order: i64,
}

/// Which columns of a table go where: the value holds the columns the column filter keeps, the key the
/// `message.key.columns` of the table (in table order) or else its primary key.
pub struct ColumnSelection<'a> {
    pub primary_key: &'a [String],
    pub message_key: Option<&'a [String]>,
    pub included: &'a dyn Fn(&str) -> bool,
}

impl ColumnSelection<'_> {
    /// Every column in the value, the primary key as key.
    pub fn all(primary_key: &[String]) -> ColumnSelection<'_> {
        ColumnSelection {
            primary_key,
            message_key: None,
            included: &|_| true,
        }
    }
}

/// Everything needed to turn rows of one table into events.
#[derive(Clone, Debug)]
pub struct TableSchema {
    pub schema: String,
    pub table: String,
    pub topic: String,
    /// Every column, in the order the server sends them.
    pub columns: Vec<ColumnType>,
    /// Indexes into `columns` of the value's columns.
    pub value_columns: Vec<usize>,
    /// Indexes into `columns` of the key columns.
    pub key_columns: Vec<usize>,
    pub key_schema: Option<SchemaRef>,
    pub value_schema: SchemaRef,
    pub envelope_schema: SchemaRef,
}

/// A converted row: one value per column of the table (null where neither key nor value needs it).
pub type Row = Vec<Value>;

impl TableSchema {
    pub fn new(
        prefix: &str,
        conv: &Conversion,
        schema: &str,
        table: &str,
        columns: Vec<ColumnType>,
        select: &ColumnSelection,
    ) -> TableSchema {
        let base = format!("{prefix}.{schema}.{table}");
        let value_columns: Vec<usize> = (0..columns.len())
            .filter(|&i| (select.included)(&columns[i].name))
            .collect();
        let mut value = SchemaBuilder::struct_()
            .optional()
            .name(format!("{base}.Value"));
        for &i in &value_columns {
            let c = &columns[i];
            value = value.with_field(&c.name, types::column_schema(conv, c));
        }
        let value_schema = value.build();
        let custom: Vec<usize> = select
            .message_key
            .map(|names| {
                (0..columns.len())
                    .filter(|&i| names.iter().any(|n| n == &columns[i].name))
                    .collect()
            })
            .unwrap_or_default();
        let (key_columns, custom_key) = if custom.is_empty() {
            let pk = select
                .primary_key
                .iter()
                .filter_map(|k| columns.iter().position(|c| &c.name == k))
                .collect();
            (pk, false)
        } else {
            (custom, true)
        };
        let key_schema = (!key_columns.is_empty()).then(|| {
            let mut key = SchemaBuilder::struct_().name(format!("{base}.Key"));
            for &i in &key_columns {
                let mut c = columns[i].clone();
                // Primary-key columns are never null; `message.key.columns` keep their nullability.
                c.optional = custom_key && c.optional;
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
            value_columns,
            key_columns,
            key_schema,
            value_schema,
            envelope_schema,
        }
    }

    /// Converts the tuple the server sent; only the columns that the key or the value use are converted.
    pub fn row(&self, conv: &Conversion, tuple: &[TupleValue]) -> Result<Row, String> {
        let mut row = vec![Value::Null; self.columns.len()];
        let used = self.value_columns.iter().chain(&self.key_columns);
        for &i in used {
            let (Some(col), Some(v)) = (self.columns.get(i), tuple.get(i)) else {
                continue;
            };
            row[i] = match v {
                TupleValue::Null if !col.optional => types::fallback(conv, col),
                TupleValue::Null => Value::Null,
                TupleValue::UnchangedToast => types::unavailable(conv, col),
                TupleValue::Text(t) => types::convert(conv, col, t)?,
            };
        }
        Ok(row)
    }

    /// A row from text columns (snapshot rows), `None` meaning SQL NULL.
    pub fn row_from_text(&self, conv: &Conversion, cols: &[Option<&str>]) -> Result<Row, String> {
        let tuple: Vec<TupleValue> = cols
            .iter()
            .map(|c| match c {
                Some(t) => TupleValue::Text(t.to_string()),
                None => TupleValue::Null,
            })
            .collect();
        self.row(conv, &tuple)
    }

    /// The value struct (`before`/`after`) of a row.
    pub fn value(&self, row: &[Value]) -> Struct {
        let mut s = Struct::new(self.value_schema.clone()).expect("struct schema");
        for (k, &i) in self.value_columns.iter().enumerate() {
            s.put_unchecked(k, row[i].clone());
        }
        s
    }

    /// The key struct of a row, None when the table has neither a primary key nor `message.key.columns`.
    pub fn key(&self, row: &[Value]) -> Option<Struct> {
        let schema = self.key_schema.clone()?;
        let mut key = Struct::new(schema).ok()?;
        for (k, &i) in self.key_columns.iter().enumerate() {
            key.put_unchecked(k, row[i].clone());
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
            info.transaction
                .as_ref()
                .map(|t| Value::Struct(tx_block(t)))
                .unwrap_or(Value::Null),
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

    /// A transaction BEGIN or END record for the transaction topic.
    pub fn transaction(&self, topic: &str, tx: &TxBoundary, offset: OffsetMap) -> SourceRecord {
        let (key_schema, value_schema, per_collection) = transaction_topic_schemas();
        let mut k = Struct::new(key_schema.clone()).expect("struct");
        k.put_unchecked(0, Value::String(tx.id.to_string()));
        let mut v = Struct::new(value_schema.clone()).expect("struct");
        let (status, count, collections) = match tx.end {
            None => ("BEGIN", Value::Null, Value::Null),
            Some(counts) => {
                let items = counts
                    .iter()
                    .map(|(name, n)| {
                        let mut c = Struct::new(per_collection.clone()).expect("struct");
                        c.put_unchecked(0, Value::String(name.clone()));
                        c.put_unchecked(1, Value::Int64(*n));
                        Value::Struct(c)
                    })
                    .collect();
                let total = counts.iter().map(|(_, n)| n).sum();
                ("END", Value::Int64(total), Value::Array(items))
            }
        };
        let vals = [
            Value::String(status.into()),
            Value::String(tx.id.to_string()),
            count,
            collections,
            Value::Int64(tx.ts_ms),
        ];
        for (i, val) in vals.into_iter().enumerate() {
            v.put_unchecked(i, val);
        }
        let record = ConnectRecord::new(topic, Some(value_schema), Value::Struct(v))
            .with_key(Some(key_schema), Value::Struct(k));
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
        TableSchema::new(
            "srv",
            &conv(),
            "public",
            "customers",
            cols,
            &ColumnSelection::all(&["id".into()]),
        )
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
            transaction: None,
        };
        let rec = ctx.change(
            &t,
            "c",
            Some(key.clone()),
            None,
            Some(t.value(&row)),
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
            t.value(&row).get("email"),
            Some(&Value::String("__debezium_unavailable_value".into()))
        );
    }

    #[test]
    fn column_filter_and_message_key_columns() {
        let col = |name: &str, optional| ColumnType {
            name: name.into(),
            type_oid: oid::TEXT,
            type_modifier: -1,
            optional,
        };
        let cols = vec![col("a", false), col("secret", true), col("b", true)];
        let keep = |c: &str| c != "secret";
        let t = TableSchema::new(
            "srv",
            &conv(),
            "public",
            "log",
            cols,
            &ColumnSelection {
                primary_key: &[],
                message_key: Some(&["b".into(), "a".into()]),
                included: &keep,
            },
        );
        let fields: Vec<_> = t
            .value_schema
            .fields
            .iter()
            .map(|f| f.name.as_str())
            .collect();
        assert_eq!(fields, ["a", "b"]);
        let key_schema = t.key_schema.clone().unwrap();
        let key_fields: Vec<_> = key_schema
            .fields
            .iter()
            .map(|f| (f.name.as_str(), f.schema.optional))
            .collect();
        // Table order, nullability kept.
        assert_eq!(key_fields, [("a", false), ("b", true)]);
        let row = t
            .row(
                &conv(),
                &[
                    TupleValue::Text("x".into()),
                    TupleValue::Text("hidden".into()),
                    TupleValue::Null,
                ],
            )
            .unwrap();
        let value = t.value(&row);
        value.validate().unwrap();
        assert_eq!(value.values(), &[Value::String("x".into()), Value::Null]);
        assert_eq!(
            t.key(&row).unwrap().values(),
            &[Value::String("x".into()), Value::Null]
        );
    }

    #[test]
    fn transaction_block_and_boundaries() {
        let t = customers();
        let ctx = EventContext::new("srv", "postgres");
        let row = t
            .row(&conv(), &[TupleValue::Text("1".into()), TupleValue::Null])
            .unwrap();
        let info = SourceInfo {
            ts_us: 1,
            snapshot: "false",
            transaction: Some(TxBlock {
                id: "7:100".into(),
                total_order: 2,
                data_collection_order: 1,
            }),
            ..SourceInfo::default()
        };
        let rec = ctx.change(
            &t,
            "c",
            t.key(&row),
            None,
            Some(t.value(&row)),
            &info,
            OffsetMap::new(),
        );
        let env = rec.record.value.as_struct().unwrap();
        env.validate().unwrap();
        let block = env.get("transaction").unwrap().as_struct().unwrap();
        assert_eq!(
            block.values(),
            &[
                Value::String("7:100".into()),
                Value::Int64(2),
                Value::Int64(1)
            ]
        );
        let counts = vec![("public.a".to_string(), 2), ("public.b".to_string(), 1)];
        let end = TxBoundary {
            id: "7:100",
            ts_ms: 5,
            end: Some(&counts),
        };
        let rec = ctx.transaction("srv.transaction", &end, OffsetMap::new());
        assert_eq!(rec.record.topic, "srv.transaction");
        let v = rec.record.value.as_struct().unwrap();
        v.validate().unwrap();
        assert_eq!(v.get("status"), Some(&Value::String("END".into())));
        assert_eq!(v.get("event_count"), Some(&Value::Int64(3)));
        let begin = TxBoundary { end: None, ..end };
        let rec = ctx.transaction("srv.transaction", &begin, OffsetMap::new());
        let v = rec.record.value.as_struct().unwrap();
        v.validate().unwrap();
        assert_eq!(v.get("data_collections"), Some(&Value::Null));
    }
}
