//! Debezium's `ExtractNewRecordState`: unwraps change-event envelopes, with its delete/tombstone modes and add-ons.

use connect_api::config::{ConfigDef, ConfigType, Importance};
use connect_api::connector::Config;
use connect_api::data::{schemas, Schema, SchemaRef, SchemaType, Struct, Value};
use connect_api::transform::Transformation;
use connect_api::{ConnectError, ConnectRecord, ConnectResult};

use crate::util::config::{self as cfg, invalid};
use crate::util::schema::{copy_basics_of, struct_like, SchemaCache};

pub const DROP_TOMBSTONES_CONFIG: &str = "drop.tombstones";
pub const DELETE_HANDLING_MODE_CONFIG: &str = "delete.handling.mode";
pub const DELETE_TOMBSTONE_HANDLING_MODE_CONFIG: &str = "delete.tombstone.handling.mode";
pub const ROUTE_BY_FIELD_CONFIG: &str = "route.by.field";
pub const ADD_FIELDS_CONFIG: &str = "add.fields";
pub const ADD_FIELDS_PREFIX_CONFIG: &str = "add.fields.prefix";
pub const ADD_HEADERS_CONFIG: &str = "add.headers";
pub const ADD_HEADERS_PREFIX_CONFIG: &str = "add.headers.prefix";
pub const DROP_FIELDS_HEADER_NAME_CONFIG: &str = "drop.fields.header.name";
pub const DROP_FIELDS_FROM_KEY_CONFIG: &str = "drop.fields.from.key";
pub const DROP_FIELDS_KEEP_SCHEMA_COMPATIBLE_CONFIG: &str = "drop.fields.keep.schema.compatible";
/// The field marking rewritten records (`"true"` on deletes, `"false"` otherwise).
pub const DELETED_FIELD: &str = "__deleted";
const ENVELOPE_SUFFIX: &str = ".Envelope";
const PURPOSE: &str = "source field insertion";

pub fn config_def() -> ConfigDef {
    let def = ConfigDef::new()
        .define(
            DROP_TOMBSTONES_CONFIG,
            ConfigType::Boolean,
            Importance::Low,
            "Deprecated, use delete.tombstone.handling.mode. Debezium by default generates a tombstone record to \
             enable Kafka compaction after a delete record was generated. This record is usually filtered out to \
             avoid duplicates as a delete record is converted to a tombstone record, too.",
        )
        .default_value("true")
        .define(
            DELETE_HANDLING_MODE_CONFIG,
            ConfigType::String,
            Importance::Medium,
            "Deprecated, use delete.tombstone.handling.mode. How to handle delete records. Options are: none - \
             records are passed, drop - records are removed (the default), rewrite - __deleted field is added to \
             records.",
        )
        .default_value("drop")
        .one_of_ignore_case(&["drop", "rewrite", "none"])
        .define(
            DELETE_TOMBSTONE_HANDLING_MODE_CONFIG,
            ConfigType::String,
            Importance::Medium,
            "How to handle delete records and tombstones. Options are: drop - delete records and tombstones are \
             removed, tombstone - delete records become tombstones and tombstones are removed (the default), \
             rewrite - delete records are rewritten to their previous state with __deleted=true and tombstones \
             are removed, rewrite-with-tombstone - like rewrite but tombstones are kept, delete-to-tombstone - \
             delete records become tombstones with a null schema and tombstones are removed.",
        )
        .default_null()
        .one_of_ignore_case(&["drop", "tombstone", "rewrite", "rewrite-with-tombstone", "delete-to-tombstone"])
        .define(
            ROUTE_BY_FIELD_CONFIG,
            ConfigType::String,
            Importance::Low,
            "The column which determines how the events will be routed, the value will replace the topic name.",
        )
        .default_value("")
        .define(
            ADD_FIELDS_PREFIX_CONFIG,
            ConfigType::String,
            Importance::Low,
            "Adds this prefix to each field listed in add.fields.",
        )
        .default_value("__")
        .define(
            ADD_FIELDS_CONFIG,
            ConfigType::String,
            Importance::Low,
            "Adds each field listed, prefixed with __ (or __<struct>_ if the struct is specified). Example: \
             'version,connector,source.ts_ms' would add __version, __connector and __source_ts_ms fields. \
             Optionally one can also map new field name like version:VERSION,connector:CONNECTOR,source.ts_ms:EVENT_TIMESTAMP.",
        )
        .default_value("")
        .define(
            ADD_HEADERS_PREFIX_CONFIG,
            ConfigType::String,
            Importance::Low,
            "Adds this prefix listed to each header.",
        )
        .default_value("__")
        .define(
            ADD_HEADERS_CONFIG,
            ConfigType::String,
            Importance::Low,
            "Adds each field listed to the header, __ (or __<struct>_ if the struct is specified). Example: \
             'version,connector,source.ts_ms' would add __version, __connector and __source_ts_ms fields.",
        )
        .default_value("")
        .define(
            DROP_FIELDS_HEADER_NAME_CONFIG,
            ConfigType::String,
            Importance::Low,
            "Specifies the name of a header that contains a list of fields to be removed from the event value \
             (not supported by this runtime).",
        )
        .default_null()
        .define(
            DROP_FIELDS_FROM_KEY_CONFIG,
            ConfigType::Boolean,
            Importance::Low,
            "Specifies whether to apply the drop fields behavior to the event key as well as the value.",
        )
        .default_value("false")
        .define(
            DROP_FIELDS_KEEP_SCHEMA_COMPATIBLE_CONFIG,
            ConfigType::Boolean,
            Importance::Low,
            "Controls the output event's schema compatibility when using the drop fields feature.",
        )
        .default_value("true")
        .add();
    cfg::with_replace_null_with_default(def)
}

/// What happens to a delete event (`op=d`, `after` null).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum DeleteHandling {
    /// The event is removed.
    Drop,
    /// The value becomes null; the value schema stays that of the row (`tombstone` mode, legacy `none`).
    NullValue,
    /// The value and its schema become null: a real tombstone (`delete-to-tombstone`).
    Tombstone,
    /// The value becomes the `before` row plus `__deleted: "true"`.
    Rewrite,
}

/// A reference to an envelope field for `add.fields`/`add.headers` (Debezium's `FieldReference`).
#[derive(Clone, Debug, PartialEq, Eq)]
struct FieldReference {
    /// The struct hosting the field (`source`, `transaction`), or None for top-level fields (`op`, `ts_ms`).
    parent: Option<String>,
    field: String,
    new_name: String,
}

impl FieldReference {
    fn parse_list(prefix: &str, list: &str) -> ConnectResult<Vec<FieldReference>> {
        if list.trim().is_empty() {
            return Ok(Vec::new());
        }
        list.split(',')
            .map(|f| Self::parse(prefix, f.trim()))
            .collect()
    }

    fn parse(prefix: &str, spec: &str) -> ConnectResult<FieldReference> {
        let parts = cfg::java_split(spec, ':');
        let splits = cfg::java_split(parts.first().copied().unwrap_or(""), '.');
        let (parent, field) = match splits.as_slice() {
            [field] => (Self::parent_of(field), field.to_string()),
            [parent, field, ..] => (Some(parent.to_string()), field.to_string()),
            [] => (None, String::new()),
        };
        let new_name = match parts.len() {
            0 | 1 => match (&parent, splits.len()) {
                (Some(p), n) if n > 1 => format!("{prefix}{p}_{field}"),
                _ => format!("{prefix}{field}"),
            },
            2 => format!("{prefix}{}", parts[1]),
            _ => {
                return Err(ConnectError::config(format!(
                    "Unexpected field name: {spec}"
                )))
            }
        };
        Ok(FieldReference {
            parent,
            field,
            new_name,
        })
    }

    fn parent_of(field: &str) -> Option<String> {
        match field {
            "id" | "total_order" | "data_collection_order" => Some("transaction".into()),
            "op" | "ts_ms" | "ts_us" | "ts_ns" => None,
            "updateDescription" => Some("updateDescription".into()),
            _ => Some("source".into()),
        }
    }

    /// The referenced field: in its parent struct, else at the top level of the envelope.
    fn field<'a>(&self, envelope: &'a Schema) -> Option<&'a connect_api::data::Field> {
        match &self.parent {
            None => envelope.field(&self.field),
            Some(p) => envelope
                .field(p)
                .and_then(|p| p.schema.field(&self.field))
                .or_else(|| envelope.field(&self.field)),
        }
    }

    /// The schema of the referenced field made optional, or None when the envelope has no such field.
    fn schema(&self, envelope: &Schema) -> Option<SchemaRef> {
        let field = self.field(envelope)?;
        let schema = if field.schema.schema_type == SchemaType::Struct {
            let mut copy = (*field.schema).clone();
            copy.optional = true;
            SchemaRef::new(copy)
        } else {
            copy_basics_of(&field.schema).optional().build()
        };
        Some(schema)
    }

    fn value(&self, envelope: &Struct) -> Value {
        let parent = match &self.parent {
            None => Some(envelope),
            Some(p) => match envelope.get_without_default(p) {
                Some(Value::Struct(s)) => Some(s),
                _ => None,
            },
        };
        let Some(parent) = parent else {
            return Value::Null;
        };
        parent
            .get_without_default(&self.field)
            .or_else(|| envelope.get_without_default(&self.field))
            .cloned()
            .unwrap_or(Value::Null)
    }
}

/// The row schema plus the added fields (and `__deleted` when rewriting).
fn output_schema(
    add_fields: &[FieldReference],
    rewrite: bool,
    envelope: &Schema,
    row: &Schema,
) -> ConnectResult<SchemaRef> {
    let mut builder = struct_like(row);
    for field in &row.fields {
        builder = builder.field(field.name.clone(), field.schema.clone())?;
    }
    for reference in add_fields {
        if let Some(schema) = reference.schema(envelope) {
            builder = builder.field(reference.new_name.clone(), schema)?;
        }
    }
    if rewrite {
        builder = builder.field(DELETED_FIELD, schemas::optional_string())?;
    }
    Ok(builder.build())
}

/// Debezium's `ExtractNewRecordState`.
#[derive(Debug)]
pub struct ExtractNewRecordState {
    drop_tombstones: bool,
    deletes: DeleteHandling,
    rewrite: bool,
    route_by_field: Option<String>,
    add_fields: Vec<FieldReference>,
    add_headers: Vec<FieldReference>,
    /// Output schema per envelope schema, for updates and for rewritten deletes.
    update_cache: SchemaCache,
    delete_cache: SchemaCache,
}

impl Default for ExtractNewRecordState {
    fn default() -> Self {
        ExtractNewRecordState {
            drop_tombstones: true,
            deletes: DeleteHandling::NullValue,
            rewrite: false,
            route_by_field: None,
            add_fields: Vec::new(),
            add_headers: Vec::new(),
            update_cache: SchemaCache::with_capacity(64),
            delete_cache: SchemaCache::with_capacity(64),
        }
    }
}

impl ExtractNewRecordState {
    pub fn new() -> Self {
        Self::default()
    }

    /// The unwrapped row with the added fields, on the cached output schema.
    fn unwrap_row(
        &mut self,
        envelope: &Struct,
        envelope_schema: &SchemaRef,
        row_field: &str,
        deleted: bool,
    ) -> ConnectResult<(SchemaRef, Value)> {
        let row_schema = envelope_schema
            .field(row_field)
            .map(|f| f.schema.clone())
            .ok_or_else(|| ConnectError::data(format!("Unknown field: {row_field}")))?;
        let row = match envelope.get_without_default(row_field) {
            Some(Value::Struct(s)) => s,
            _ => {
                return Err(ConnectError::data(format!(
                    "Only Struct objects supported for [{PURPOSE}], found: null"
                )))
            }
        };
        if self.add_fields.is_empty() && !self.rewrite {
            return Ok((row_schema, Value::Struct(row.clone())));
        }
        let (add_fields, rewrite) = (&self.add_fields, self.rewrite);
        let cache = if deleted {
            &mut self.delete_cache
        } else {
            &mut self.update_cache
        };
        let output = cache.get_or_try_insert(envelope_schema, |s| {
            output_schema(add_fields, rewrite, s, &row_schema)
        })?;
        let mut out = Struct::new(output.clone())?;
        let mut index = 0;
        for v in row.values() {
            out.put_unchecked(index, v.clone());
            index += 1;
        }
        for reference in &self.add_fields {
            if reference.field(envelope_schema).is_some() {
                out.put_unchecked(index, reference.value(envelope));
                index += 1;
            }
        }
        if self.rewrite {
            out.put_unchecked(index, Value::String(deleted.to_string()));
        }
        Ok((output, Value::Struct(out)))
    }

    fn add_headers(&self, record: &mut ConnectRecord, envelope: Option<(&Struct, &Schema)>) {
        for reference in &self.add_headers {
            match envelope {
                None => {
                    if reference.field == "op" {
                        record.headers.add(
                            reference.new_name.clone(),
                            Some(schemas::string()),
                            Value::from("d"),
                        );
                    }
                }
                Some((value, schema)) => {
                    if let Some(header_schema) = reference.schema(schema) {
                        record.headers.add(
                            reference.new_name.clone(),
                            Some(header_schema),
                            reference.value(value),
                        );
                    }
                }
            }
        }
    }

    fn route(&self, record: &mut ConnectRecord, row: Option<&Value>) {
        let Some(field) = &self.route_by_field else {
            return;
        };
        if let Some(Value::Struct(row)) = row {
            if let Some(Value::String(topic)) = row.get_without_default(field) {
                if !topic.trim().is_empty() {
                    record.topic = topic.clone();
                }
            }
        }
    }
}

impl Transformation for ExtractNewRecordState {
    fn configure(&mut self, config: &Config) -> ConnectResult<()> {
        let parsed = cfg::parse(&config_def(), config)?;
        let mode = parsed
            .string(DELETE_TOMBSTONE_HANDLING_MODE_CONFIG)
            .filter(|m| !m.trim().is_empty())
            .map(str::to_ascii_lowercase);
        let legacy = config.contains_key(DROP_TOMBSTONES_CONFIG)
            || config.contains_key(DELETE_HANDLING_MODE_CONFIG);
        (self.drop_tombstones, self.deletes) = match mode.as_deref() {
            Some("drop") => (true, DeleteHandling::Drop),
            Some("rewrite") => (true, DeleteHandling::Rewrite),
            Some("rewrite-with-tombstone") => (false, DeleteHandling::Rewrite),
            Some("delete-to-tombstone") => (true, DeleteHandling::Tombstone),
            Some(_) => (true, DeleteHandling::NullValue),
            None if legacy => {
                let deletes = match parsed
                    .string(DELETE_HANDLING_MODE_CONFIG)
                    .unwrap_or("drop")
                    .to_ascii_lowercase()
                    .as_str()
                {
                    "rewrite" => DeleteHandling::Rewrite,
                    "none" => DeleteHandling::NullValue,
                    _ => DeleteHandling::Drop,
                };
                (
                    parsed.boolean(DROP_TOMBSTONES_CONFIG).unwrap_or(true),
                    deletes,
                )
            }
            None => (true, DeleteHandling::NullValue),
        };
        self.rewrite = self.deletes == DeleteHandling::Rewrite;
        if let Some(name) = parsed
            .string(DROP_FIELDS_HEADER_NAME_CONFIG)
            .filter(|n| !n.trim().is_empty())
        {
            return Err(invalid(
                DROP_FIELDS_HEADER_NAME_CONFIG,
                name,
                "dropping fields by header is not supported",
            ));
        }
        let route = parsed.string(ROUTE_BY_FIELD_CONFIG).unwrap_or_default();
        self.route_by_field = (!route.is_empty()).then(|| route.to_string());
        self.add_fields = FieldReference::parse_list(
            parsed.string(ADD_FIELDS_PREFIX_CONFIG).unwrap_or("__"),
            parsed.string(ADD_FIELDS_CONFIG).unwrap_or_default(),
        )?;
        self.add_headers = FieldReference::parse_list(
            parsed.string(ADD_HEADERS_PREFIX_CONFIG).unwrap_or("__"),
            parsed.string(ADD_HEADERS_CONFIG).unwrap_or_default(),
        )?;
        self.update_cache = SchemaCache::with_capacity(64);
        self.delete_cache = SchemaCache::with_capacity(64);
        Ok(())
    }

    fn apply(&mut self, mut record: ConnectRecord) -> ConnectResult<Option<ConnectRecord>> {
        if record.value.is_null() {
            if self.drop_tombstones {
                return Ok(None);
            }
            self.add_headers(&mut record, None);
            return Ok(Some(record));
        }
        let is_envelope = record
            .value_schema
            .as_ref()
            .and_then(|s| s.name.as_deref())
            .is_some_and(|n| n.ends_with(ENVELOPE_SUFFIX));
        if !is_envelope || !matches!(record.value, Value::Struct(_)) {
            return Ok(Some(record));
        }
        let envelope_schema = record.value_schema.take().expect("envelope schema");
        let Value::Struct(envelope) = std::mem::take(&mut record.value) else {
            unreachable!("checked above")
        };
        self.add_headers(&mut record, Some((&envelope, &envelope_schema)));
        let after = envelope
            .get_without_default("after")
            .filter(|v| !v.is_null());
        let before = envelope
            .get_without_default("before")
            .filter(|v| !v.is_null());
        match (after, before) {
            (None, None) => Ok(None),
            (None, Some(before)) => {
                self.route(&mut record, Some(before));
                match self.deletes {
                    DeleteHandling::Drop => Ok(None),
                    DeleteHandling::NullValue => {
                        record.value_schema =
                            envelope_schema.field("after").map(|f| f.schema.clone());
                        Ok(Some(record))
                    }
                    DeleteHandling::Tombstone => Ok(Some(record)),
                    DeleteHandling::Rewrite => {
                        let (schema, value) =
                            self.unwrap_row(&envelope, &envelope_schema, "before", true)?;
                        record.value_schema = Some(schema);
                        record.value = value;
                        Ok(Some(record))
                    }
                }
            }
            (Some(after), _) => {
                self.route(&mut record, Some(after));
                let (schema, value) =
                    self.unwrap_row(&envelope, &envelope_schema, "after", false)?;
                record.value_schema = Some(schema);
                record.value = value;
                Ok(Some(record))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::testing::*;
    use connect_api::data::SchemaBuilder;

    fn row_schema() -> SchemaRef {
        SchemaBuilder::struct_()
            .name("dbserver1.inventory.customers.Value")
            .optional()
            .with_field("id", schemas::int32())
            .with_field("name", schemas::optional_string())
            .build()
    }

    fn source_schema() -> SchemaRef {
        SchemaBuilder::struct_()
            .name("io.debezium.connector.postgresql.Source")
            .with_field("db", schemas::string())
            .with_field("table", schemas::string())
            .with_field("lsn", schemas::optional_int64())
            .with_field("ts_ms", schemas::int64())
            .build()
    }

    fn envelope_schema() -> SchemaRef {
        SchemaBuilder::struct_()
            .name("dbserver1.inventory.customers.Envelope")
            .with_field("before", row_schema())
            .with_field("after", row_schema())
            .with_field("source", source_schema())
            .with_field("op", schemas::string())
            .with_field("ts_ms", schemas::optional_int64())
            .build()
    }

    fn row(id: i32, name: &str) -> Value {
        Value::Struct(
            Struct::new(row_schema())
                .unwrap()
                .with("id", id)
                .unwrap()
                .with("name", name)
                .unwrap(),
        )
    }

    fn event(op: &str, before: Value, after: Value) -> ConnectRecord {
        let source = Struct::new(source_schema())
            .unwrap()
            .with("db", "postgres")
            .unwrap()
            .with("table", "customers")
            .unwrap()
            .with("lsn", 1234i64)
            .unwrap()
            .with("ts_ms", 1_000i64)
            .unwrap();
        let envelope = Struct::new(envelope_schema())
            .unwrap()
            .with("before", before)
            .unwrap()
            .with("after", after)
            .unwrap()
            .with("source", source)
            .unwrap()
            .with("op", op)
            .unwrap()
            .with("ts_ms", 2_000i64)
            .unwrap();
        ConnectRecord::new(
            "dbserver1.inventory.customers",
            Some(envelope_schema()),
            Value::Struct(envelope),
        )
    }

    fn create() -> ConnectRecord {
        event("c", Value::Null, row(1, "alice"))
    }

    fn delete() -> ConnectRecord {
        event("d", row(1, "alice"), Value::Null)
    }

    fn tombstone() -> ConnectRecord {
        ConnectRecord::new("dbserver1.inventory.customers", None, Value::Null)
    }

    fn xform(pairs: &[(&str, &str)]) -> ExtractNewRecordState {
        configured(ExtractNewRecordState::new(), pairs)
    }

    #[test]
    fn create_is_unwrapped_to_after() {
        let out = apply(&mut xform(&[]), create());
        assert_eq!(out.value_schema, Some(row_schema()));
        assert_eq!(out.value, row(1, "alice"));
        assert_eq!(out.topic, "dbserver1.inventory.customers");
    }

    #[test]
    fn default_mode_is_tombstone() {
        let mut t = xform(&[]);
        let out = apply(&mut t, delete());
        assert_eq!(out.value, Value::Null);
        assert_eq!(out.value_schema, Some(row_schema()));
        assert_eq!(t.apply(tombstone()).unwrap(), None);
    }

    #[test]
    fn handling_modes() {
        let mode = |m: &str| xform(&[(DELETE_TOMBSTONE_HANDLING_MODE_CONFIG, m)]);
        assert_eq!(mode("drop").apply(delete()).unwrap(), None);
        assert_eq!(mode("drop").apply(tombstone()).unwrap(), None);

        let out = apply(&mut mode("rewrite"), delete());
        let v = out.value.as_struct().unwrap();
        assert_eq!(v.get("id"), Some(&Value::Int32(1)));
        assert_eq!(v.get(DELETED_FIELD), Some(&s("true")));
        assert_eq!(
            v.schema().field(DELETED_FIELD).unwrap().schema,
            schemas::optional_string()
        );
        assert_eq!(
            v.schema().name.as_deref(),
            Some("dbserver1.inventory.customers.Value")
        );
        let out = apply(&mut mode("rewrite"), create());
        assert_eq!(
            out.value.as_struct().unwrap().get(DELETED_FIELD),
            Some(&s("false"))
        );
        assert_eq!(mode("rewrite").apply(tombstone()).unwrap(), None);

        let mut t = mode("rewrite-with-tombstone");
        assert_eq!(apply(&mut t, tombstone()), tombstone());
        assert_eq!(
            apply(&mut t, delete())
                .value
                .as_struct()
                .unwrap()
                .get(DELETED_FIELD),
            Some(&s("true"))
        );

        let out = apply(&mut mode("delete-to-tombstone"), delete());
        assert_eq!((out.value_schema, out.value), (None, Value::Null));
    }

    #[test]
    fn legacy_modes() {
        let mut t = xform(&[(DROP_TOMBSTONES_CONFIG, "false")]);
        assert_eq!(t.apply(delete()).unwrap(), None);
        assert_eq!(apply(&mut t, tombstone()), tombstone());
        let mut t = xform(&[(DELETE_HANDLING_MODE_CONFIG, "none")]);
        assert_eq!(apply(&mut t, delete()).value, Value::Null);
        assert_eq!(t.apply(tombstone()).unwrap(), None);
        let mut t = xform(&[(DELETE_HANDLING_MODE_CONFIG, "rewrite")]);
        assert_eq!(
            apply(&mut t, delete())
                .value
                .as_struct()
                .unwrap()
                .get(DELETED_FIELD),
            Some(&s("true"))
        );
        // The new key wins over the legacy ones.
        let mut t = xform(&[
            (DELETE_HANDLING_MODE_CONFIG, "rewrite"),
            (DELETE_TOMBSTONE_HANDLING_MODE_CONFIG, "drop"),
        ]);
        assert_eq!(t.apply(delete()).unwrap(), None);
    }

    #[test]
    fn add_fields_and_headers() {
        let mut t = xform(&[
            (
                ADD_FIELDS_CONFIG,
                "op,table,lsn,source.ts_ms,ts_ms:event_ts",
            ),
            (ADD_HEADERS_CONFIG, "op,db"),
            (ADD_HEADERS_PREFIX_CONFIG, "dbz."),
        ]);
        let out = apply(&mut t, create());
        let v = out.value.as_struct().unwrap();
        let names: Vec<_> = v.schema().fields.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(
            names,
            vec![
                "id",
                "name",
                "__op",
                "__table",
                "__lsn",
                "__source_ts_ms",
                "__event_ts"
            ]
        );
        assert_eq!(v.get("__op"), Some(&s("c")));
        assert_eq!(v.get("__table"), Some(&s("customers")));
        assert_eq!(v.get("__lsn"), Some(&Value::Int64(1234)));
        assert_eq!(v.get("__source_ts_ms"), Some(&Value::Int64(1000)));
        assert_eq!(v.get("__event_ts"), Some(&Value::Int64(2000)));
        assert!(v.schema().fields.iter().skip(2).all(|f| f.schema.optional));
        v.validate().unwrap();
        let headers: Vec<_> = out
            .headers
            .iter()
            .map(|h| (h.key.as_str(), h.value.clone()))
            .collect();
        assert_eq!(headers, vec![("dbz.op", s("c")), ("dbz.db", s("postgres"))]);
        // Same schema instance for the next record of the same table.
        let again = apply(&mut t, create());
        assert!(std::sync::Arc::ptr_eq(
            again.value_schema.as_ref().unwrap(),
            out.value_schema.as_ref().unwrap()
        ));
    }

    #[test]
    fn add_fields_on_rewritten_delete_and_tombstone_headers() {
        let mut t = xform(&[
            (
                DELETE_TOMBSTONE_HANDLING_MODE_CONFIG,
                "rewrite-with-tombstone",
            ),
            (ADD_FIELDS_CONFIG, "op"),
            (ADD_HEADERS_CONFIG, "op"),
        ]);
        let out = apply(&mut t, delete());
        let v = out.value.as_struct().unwrap();
        assert_eq!(v.get("__op"), Some(&s("d")));
        assert_eq!(v.get(DELETED_FIELD), Some(&s("true")));
        let out = apply(&mut t, tombstone());
        assert_eq!(out.headers.last_with_name("__op").unwrap().value, s("d"));
    }

    #[test]
    fn route_by_field() {
        let mut t = xform(&[
            (ROUTE_BY_FIELD_CONFIG, "name"),
            (DELETE_TOMBSTONE_HANDLING_MODE_CONFIG, "rewrite"),
        ]);
        assert_eq!(apply(&mut t, create()).topic, "alice");
        assert_eq!(apply(&mut t, delete()).topic, "alice");
    }

    #[test]
    fn non_envelopes_and_truncates() {
        let mut t = xform(&[]);
        let heartbeat_schema = SchemaBuilder::struct_()
            .name("io.debezium.connector.common.Heartbeat")
            .with_field("ts_ms", schemas::int64())
            .build();
        let heartbeat = ConnectRecord::new(
            "__debezium-heartbeat",
            Some(heartbeat_schema.clone()),
            Value::Struct(
                Struct::new(heartbeat_schema)
                    .unwrap()
                    .with("ts_ms", 1i64)
                    .unwrap(),
            ),
        );
        assert_eq!(apply(&mut t, heartbeat.clone()), heartbeat);
        let schemaless = record(None, map(&[("after", map(&[]))]));
        assert_eq!(apply(&mut t, schemaless.clone()), schemaless);
        assert_eq!(t.apply(event("t", Value::Null, Value::Null)).unwrap(), None);
    }

    #[test]
    fn config_errors() {
        let err = config_error(
            ExtractNewRecordState::new(),
            &[(DELETE_TOMBSTONE_HANDLING_MODE_CONFIG, "keep")],
        );
        assert!(err
            .to_string()
            .starts_with("Invalid value keep for configuration delete.tombstone.handling.mode"));
        let err = config_error(
            ExtractNewRecordState::new(),
            &[(ADD_FIELDS_CONFIG, "a:b:c")],
        );
        assert_eq!(err.to_string(), "Unexpected field name: a:b:c");
    }
}
