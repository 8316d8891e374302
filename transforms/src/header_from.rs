//! `HeaderFrom$Key` / `HeaderFrom$Value`: copies or moves fields of the key or value into record headers.

use connect_api::config::{ConfigDef, ConfigType, Importance};
use connect_api::connector::Config;
use connect_api::data::{Schema, SchemaRef, Struct, Value};
use connect_api::transform::Transformation;
use connect_api::{ConnectError, ConnectRecord, ConnectResult};

use crate::util::config as cfg;
use crate::util::requirements::{into_map, into_struct};
use crate::util::schema::{named_field_value, struct_like, SchemaCache};
use crate::util::{map, Side};

pub const FIELDS_CONFIG: &str = "fields";
pub const HEADERS_CONFIG: &str = "headers";
pub const OPERATION_CONFIG: &str = "operation";

pub fn config_def() -> ConfigDef {
    cfg::with_replace_null_with_default(
        ConfigDef::new()
            .define(
                FIELDS_CONFIG,
                ConfigType::List,
                Importance::High,
                "Field names in the record whose values are to be copied or moved to headers.",
            )
            .define(
                HEADERS_CONFIG,
                ConfigType::List,
                Importance::High,
                "Header names, in the same order as the field names listed in the fields configuration property.",
            )
            .define(
                OPERATION_CONFIG,
                ConfigType::String,
                Importance::High,
                "Either <code>move</code> if the fields are to be moved to the headers (removed from the key/value), \
                 or <code>copy</code> if the fields are to be copied to the headers (retained in the key/value).",
            )
            .one_of(&["move", "copy"])
            .add(),
    )
}

/// Copies (`copy`) or moves (`move`) fields into headers, pairing `fields` with `headers` by position.
#[derive(Debug)]
pub struct HeaderFrom {
    side: Side,
    fields: Vec<String>,
    headers: Vec<String>,
    moving: bool,
    replace_null_with_default: bool,
    move_cache: SchemaCache,
}

impl HeaderFrom {
    pub fn new(side: Side) -> Self {
        HeaderFrom {
            side,
            fields: Vec::new(),
            headers: Vec::new(),
            moving: false,
            replace_null_with_default: true,
            move_cache: SchemaCache::new(),
        }
    }

    fn purpose(&self) -> &'static str {
        if self.moving {
            "header move"
        } else {
            "header copy"
        }
    }

    fn moved_schema(&self, schema: &Schema) -> ConnectResult<SchemaRef> {
        let mut builder = struct_like(schema);
        for field in &schema.fields {
            if !self.fields.contains(&field.name) {
                builder = builder.field(field.name.clone(), field.schema.clone())?;
            }
        }
        Ok(builder.build())
    }
}

impl Transformation for HeaderFrom {
    fn configure(&mut self, config: &Config) -> ConnectResult<()> {
        let parsed = cfg::parse(&config_def(), config)?;
        self.fields = cfg::non_empty_list(&parsed, FIELDS_CONFIG)?;
        self.headers = cfg::non_empty_list(&parsed, HEADERS_CONFIG)?;
        if self.fields.len() != self.headers.len() {
            return Err(ConnectError::config(format!(
                "'{FIELDS_CONFIG}' config must have the same number of elements as '{HEADERS_CONFIG}' config."
            )));
        }
        self.moving = parsed.string(OPERATION_CONFIG) == Some("move");
        self.replace_null_with_default = cfg::replace_null_with_default(&parsed);
        self.move_cache = SchemaCache::new();
        Ok(())
    }

    fn apply(&mut self, mut record: ConnectRecord) -> ConnectResult<Option<ConnectRecord>> {
        let (schema, value) = self.side.take(&mut record);
        match schema {
            None => {
                let mut entries = into_map(value, self.purpose())?;
                for (field, header) in self.fields.iter().zip(&self.headers) {
                    let v = if self.moving {
                        map::remove(&mut entries, field)
                    } else {
                        map::get(&entries, field).cloned()
                    };
                    record
                        .headers
                        .add(header.clone(), None, v.unwrap_or(Value::Null));
                }
                self.side.set(&mut record, None, Value::Map(entries));
            }
            Some(schema) => {
                let value = into_struct(value, self.purpose())?;
                for (field, header) in self.fields.iter().zip(&self.headers) {
                    let field_schema = schema
                        .field(field)
                        .ok_or_else(|| {
                            ConnectError::data(format!("Field does not exist: {field}"))
                        })?
                        .schema
                        .clone();
                    let v = named_field_value(&value, field, self.replace_null_with_default)
                        .cloned()
                        .unwrap_or(Value::Null);
                    record.headers.add(header.clone(), Some(field_schema), v);
                }
                if self.moving {
                    let updated = self
                        .move_cache
                        .get_or_try_insert(&schema, |s| self.moved_schema(s))?;
                    let mut moved = Struct::new(updated.clone())?;
                    for (index, field) in updated.fields.iter().enumerate() {
                        let v =
                            named_field_value(&value, &field.name, self.replace_null_with_default)
                                .cloned()
                                .unwrap_or(Value::Null);
                        moved.put_unchecked(index, v);
                    }
                    self.side
                        .set(&mut record, Some(updated), Value::Struct(moved));
                } else {
                    self.side
                        .set(&mut record, Some(schema), Value::Struct(value));
                }
            }
        }
        Ok(Some(record))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::testing::*;
    use connect_api::data::{schemas, SchemaBuilder};

    fn xform(side: Side, fields: &str, headers: &str, op: &str) -> HeaderFrom {
        configured(
            HeaderFrom::new(side),
            &[
                (FIELDS_CONFIG, fields),
                (HEADERS_CONFIG, headers),
                (OPERATION_CONFIG, op),
            ],
        )
    }

    fn schema() -> SchemaRef {
        SchemaBuilder::struct_()
            .name("reason")
            .with_field("field1", schemas::string())
            .with_field("field2", schemas::string())
            .build()
    }

    fn value() -> Value {
        Value::Struct(
            Struct::new(schema())
                .unwrap()
                .with("field1", "field1-value")
                .unwrap()
                .with("field2", "field2-value")
                .unwrap(),
        )
    }

    fn headers(r: &ConnectRecord) -> Vec<(String, Value)> {
        r.headers
            .iter()
            .map(|h| (h.key.clone(), h.value.clone()))
            .collect()
    }

    #[test]
    fn copy_with_schema() {
        let mut t = xform(Side::Value, "field1,field2", "inserted1,inserted2", "copy");
        let mut r = record(Some(schema()), value());
        r.headers
            .add("existing", Some(schemas::string()), s("existing-value"));
        let out = apply(&mut t, r);
        assert_eq!(out.value, value());
        assert_eq!(
            headers(&out),
            vec![
                ("existing".into(), s("existing-value")),
                ("inserted1".into(), s("field1-value")),
                ("inserted2".into(), s("field2-value")),
            ]
        );
        assert_eq!(
            out.headers.last_with_name("inserted1").unwrap().schema,
            Some(schemas::string())
        );
    }

    #[test]
    fn move_with_schema_and_same_header_twice() {
        let mut t = xform(Side::Value, "field1,field2", "inserted1,inserted1", "move");
        let out = apply(&mut t, record(Some(schema()), value()));
        let v = out.value.as_struct().unwrap();
        assert!(v.schema().fields.is_empty());
        assert_eq!(v.schema().name.as_deref(), Some("reason"));
        assert_eq!(v.get("field2"), None);
        assert_eq!(
            headers(&out),
            vec![
                ("inserted1".into(), s("field1-value")),
                ("inserted1".into(), s("field2-value"))
            ]
        );
        let mut t = xform(Side::Value, "field1", "inserted1", "move");
        let out = apply(&mut t, record(Some(schema()), value()));
        let names: Vec<_> = out
            .value
            .as_struct()
            .unwrap()
            .schema()
            .fields
            .iter()
            .map(|f| f.name.clone())
            .collect();
        assert_eq!(names, vec!["field2"]);
        assert_eq!(
            out.value.as_struct().unwrap().get("field2"),
            Some(&s("field2-value"))
        );
    }

    #[test]
    fn schemaless_copy_and_move_on_key() {
        let key = map(&[("field1", s("field1-value")), ("field2", s("field2-value"))]);
        let mut t = xform(Side::Key, "field1", "inserted1", "copy");
        let out = apply(&mut t, keyed(None, key.clone()));
        assert_eq!(out.key, key);
        assert_eq!(headers(&out), vec![("inserted1".into(), s("field1-value"))]);
        let mut t = xform(Side::Key, "field1,missing", "inserted1,h2", "move");
        let out = apply(&mut t, keyed(None, key));
        assert_eq!(out.key, map(&[("field2", s("field2-value"))]));
        assert_eq!(
            headers(&out),
            vec![
                ("inserted1".into(), s("field1-value")),
                ("h2".into(), Value::Null)
            ]
        );
    }

    #[test]
    fn config_errors() {
        let err =
            |pairs: &[(&str, &str)]| config_error(HeaderFrom::new(Side::Value), pairs).to_string();
        assert_eq!(
            err(&[
                (FIELDS_CONFIG, "a,b"),
                (HEADERS_CONFIG, "h"),
                (OPERATION_CONFIG, "copy")
            ]),
            "'fields' config must have the same number of elements as 'headers' config."
        );
        assert_eq!(
            err(&[
                (FIELDS_CONFIG, "a"),
                (HEADERS_CONFIG, "h"),
                (OPERATION_CONFIG, "cut")
            ]),
            "Invalid value cut for configuration operation: String must be one of: move, copy"
        );
        assert_eq!(
            err(&[
                (FIELDS_CONFIG, ""),
                (HEADERS_CONFIG, "h"),
                (OPERATION_CONFIG, "copy")
            ]),
            "Invalid value [] for configuration fields: Empty list"
        );
        assert!(err(&[(FIELDS_CONFIG, "a"), (HEADERS_CONFIG, "h")]).contains("\"operation\""));
    }
}
