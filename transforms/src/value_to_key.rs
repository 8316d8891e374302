//! `ValueToKey`: replaces the record key with a Struct (with schema) or Map (schemaless) of some value fields.

use connect_api::config::{ConfigDef, ConfigType, Importance};
use connect_api::connector::Config;
use connect_api::data::{Schema, SchemaBuilder, SchemaRef, Struct, Value};
use connect_api::transform::Transformation;
use connect_api::{ConnectError, ConnectRecord, ConnectResult};

use crate::util::config as cfg;
use crate::util::map;
use crate::util::requirements::{require_map, require_struct};
use crate::util::schema::{field_value, put_fitting, SchemaCache};

pub const FIELDS_CONFIG: &str = "fields";
const PURPOSE: &str = "copying fields from value to key";

pub fn config_def() -> ConfigDef {
    cfg::with_replace_null_with_default(
        ConfigDef::new()
            .define(
                FIELDS_CONFIG,
                ConfigType::List,
                Importance::High,
                "Field names on the record value to extract as the record key.",
            )
            .add(),
    )
}

/// Builds the key from value fields.
#[derive(Debug, Default)]
pub struct ValueToKey {
    fields: Vec<String>,
    replace_null_with_default: bool,
    /// Key schema and, per key field, the index of the value field it comes from.
    cache: SchemaCache<(SchemaRef, std::sync::Arc<Vec<usize>>)>,
}

impl ValueToKey {
    pub fn new() -> Self {
        ValueToKey {
            replace_null_with_default: true,
            ..Self::default()
        }
    }

    fn key_schema(
        &self,
        schema: &Schema,
    ) -> ConnectResult<(SchemaRef, std::sync::Arc<Vec<usize>>)> {
        let mut builder = SchemaBuilder::struct_();
        let mut sources = Vec::with_capacity(self.fields.len());
        for name in &self.fields {
            let field = schema
                .field(name)
                .ok_or_else(|| ConnectError::data(format!("Field does not exist: {name}")))?;
            builder = builder.field(name.clone(), field.schema.clone())?;
            sources.push(field.index);
        }
        Ok((builder.build(), std::sync::Arc::new(sources)))
    }
}

impl Transformation for ValueToKey {
    fn configure(&mut self, config: &Config) -> ConnectResult<()> {
        let parsed = cfg::parse(&config_def(), config)?;
        self.fields = cfg::non_empty_list(&parsed, FIELDS_CONFIG)?;
        self.replace_null_with_default = cfg::replace_null_with_default(&parsed);
        self.cache = SchemaCache::new();
        Ok(())
    }

    fn apply(&mut self, mut record: ConnectRecord) -> ConnectResult<Option<ConnectRecord>> {
        match &record.value_schema {
            None => {
                let entries = require_map(&record.value, PURPOSE)?;
                let key: Vec<(Value, Value)> = self
                    .fields
                    .iter()
                    .map(|f| {
                        (
                            Value::String(f.clone()),
                            map::get(entries, f).cloned().unwrap_or(Value::Null),
                        )
                    })
                    .collect();
                record.key_schema = None;
                record.key = Value::Map(key);
            }
            Some(schema) => {
                let value = require_struct(&record.value, PURPOSE)?;
                let (key_schema, sources) = self
                    .cache
                    .get_or_try_insert(schema, |s| self.key_schema(s))?;
                let mut key = Struct::new(key_schema.clone())?;
                let value_fields = &value.schema().fields;
                for (index, source) in sources.iter().enumerate() {
                    let field = &value_fields[*source];
                    let v = field_value(value, field, self.replace_null_with_default).clone();
                    put_fitting(&mut key, index, &field.name, &field.schema, v)?;
                }
                record.key_schema = Some(key_schema);
                record.key = Value::Struct(key);
            }
        }
        Ok(Some(record))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::testing::*;
    use connect_api::data::schemas;

    fn xform(fields: &str) -> ValueToKey {
        configured(ValueToKey::new(), &[(FIELDS_CONFIG, fields)])
    }

    #[test]
    fn schemaless() {
        let value = map(&[
            ("a", Value::Int32(1)),
            ("b", Value::Int32(2)),
            ("c", Value::Int32(3)),
        ]);
        let out = apply(&mut xform("a,b"), record(None, value.clone()));
        assert!(out.key_schema.is_none());
        assert_eq!(
            out.key,
            map(&[("a", Value::Int32(1)), ("b", Value::Int32(2))])
        );
        assert_eq!(out.value, value);
    }

    #[test]
    fn with_schema() {
        let schema = SchemaBuilder::struct_()
            .with_field("a", schemas::int32())
            .with_field("b", schemas::int32())
            .with_field("c", schemas::int32())
            .build();
        let value = Struct::new(schema.clone())
            .unwrap()
            .with("a", 1)
            .unwrap()
            .with("b", 2)
            .unwrap()
            .with("c", 3)
            .unwrap();
        let out = apply(
            &mut xform("a,b"),
            record(Some(schema), Value::Struct(value)),
        );
        let expected_schema = SchemaBuilder::struct_()
            .with_field("a", schemas::int32())
            .with_field("b", schemas::int32())
            .build();
        assert_eq!(out.key_schema, Some(expected_schema.clone()));
        let expected = Struct::new(expected_schema)
            .unwrap()
            .with("a", 1)
            .unwrap()
            .with("b", 2)
            .unwrap();
        assert_eq!(out.key, Value::Struct(expected));
    }

    #[test]
    fn non_existing_field() {
        let schema = SchemaBuilder::struct_()
            .with_field("a", schemas::int32())
            .build();
        let value = Struct::new(schema.clone()).unwrap().with("a", 1).unwrap();
        let err = xform("not_exist")
            .apply(record(Some(schema), Value::Struct(value)))
            .unwrap_err();
        assert!(matches!(err, ConnectError::Data(_)));
        assert_eq!(err.to_string(), "Field does not exist: not_exist");
    }

    #[test]
    fn replace_null_with_default() {
        let schema = SchemaBuilder::struct_()
            .with_field(
                "a",
                SchemaBuilder::int32()
                    .optional()
                    .default_value(Value::Int32(9))
                    .unwrap()
                    .build(),
            )
            .build();
        let value = Value::Struct(Struct::new(schema.clone()).unwrap());
        let out = apply(&mut xform("a"), record(Some(schema.clone()), value.clone()));
        assert_eq!(
            out.key.as_struct().unwrap().get_without_default("a"),
            Some(&Value::Int32(9))
        );
        let mut t = configured(
            ValueToKey::new(),
            &[(FIELDS_CONFIG, "a"), ("replace.null.with.default", "false")],
        );
        let out = apply(&mut t, record(Some(schema), value));
        assert_eq!(
            out.key.as_struct().unwrap().get_without_default("a"),
            Some(&Value::Null)
        );
    }

    #[test]
    fn config_and_type_errors() {
        assert_eq!(
            config_error(ValueToKey::new(), &[(FIELDS_CONFIG, "")]).to_string(),
            "Invalid value [] for configuration fields: Empty list"
        );
        let err = xform("a").apply(record(None, Value::Null)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Only Map objects supported in absence of schema for [copying fields from value to key], found: null"
        );
    }
}
