//! `SetSchemaMetadata$Key` / `SetSchemaMetadata$Value`: sets the name and/or version of the key or value schema.

use connect_api::config::{ConfigDef, ConfigType, Importance};
use connect_api::connector::Config;
use connect_api::data::{Schema, SchemaRef, SchemaType, Struct, Value};
use connect_api::transform::Transformation;
use connect_api::{ConnectError, ConnectRecord, ConnectResult};

use crate::util::config as cfg;
use crate::util::requirements::require_schema;
use crate::util::schema::{field_value, SchemaCache};
use crate::util::Side;

pub const SCHEMA_NAME_CONFIG: &str = "schema.name";
pub const SCHEMA_VERSION_CONFIG: &str = "schema.version";

pub fn config_def() -> ConfigDef {
    cfg::with_replace_null_with_default(
        ConfigDef::new()
            .define(
                SCHEMA_NAME_CONFIG,
                ConfigType::String,
                Importance::High,
                "Schema name to set.",
            )
            .default_null()
            .define(
                SCHEMA_VERSION_CONFIG,
                ConfigType::Int,
                Importance::High,
                "Schema version to set.",
            )
            .default_null()
            .add(),
    )
}

/// Overrides the schema name and/or version; Struct values are rebuilt on the new schema.
#[derive(Debug)]
pub struct SetSchemaMetadata {
    side: Side,
    name: Option<String>,
    version: Option<i32>,
    replace_null_with_default: bool,
    cache: SchemaCache,
}

impl SetSchemaMetadata {
    pub fn new(side: Side) -> Self {
        SetSchemaMetadata {
            side,
            name: None,
            version: None,
            replace_null_with_default: true,
            cache: SchemaCache::new(),
        }
    }

    fn updated_schema(&self, schema: &Schema) -> SchemaRef {
        let mut updated = schema.clone();
        if let Some(name) = &self.name {
            updated.name = Some(name.clone());
        }
        if let Some(version) = self.version {
            updated.version = Some(version);
        }
        if !matches!(updated.schema_type, SchemaType::Map) {
            updated.key_schema = None;
        }
        if !matches!(updated.schema_type, SchemaType::Map | SchemaType::Array) {
            updated.value_schema = None;
        }
        SchemaRef::new(updated)
    }
}

impl Transformation for SetSchemaMetadata {
    fn configure(&mut self, config: &Config) -> ConnectResult<()> {
        let parsed = cfg::parse(&config_def(), config)?;
        self.name = cfg::optional_string(&parsed, SCHEMA_NAME_CONFIG);
        self.version = parsed.int(SCHEMA_VERSION_CONFIG);
        self.replace_null_with_default = cfg::replace_null_with_default(&parsed);
        self.cache = SchemaCache::new();
        if self.name.is_none() && self.version.is_none() {
            return Err(ConnectError::config(
                "Neither schema name nor version configured",
            ));
        }
        Ok(())
    }

    fn apply(&mut self, mut record: ConnectRecord) -> ConnectResult<Option<ConnectRecord>> {
        let schema = require_schema(self.side.schema(&record), "updating schema metadata")?.clone();
        let updated = self
            .cache
            .get_or_try_insert(&schema, |s| Ok(self.updated_schema(s)))?;
        let (_, value) = self.side.take(&mut record);
        let value = match value {
            Value::Struct(original) => {
                let mut rebuilt = Struct::new(updated.clone())?;
                for field in &original.schema().fields {
                    rebuilt.put_unchecked(
                        field.index,
                        field_value(&original, field, self.replace_null_with_default).clone(),
                    );
                }
                Value::Struct(rebuilt)
            }
            other => other,
        };
        self.side.set(&mut record, Some(updated), value);
        Ok(Some(record))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::testing::*;
    use connect_api::data::{schemas, SchemaBuilder};

    fn value_xform(pairs: &[(&str, &str)]) -> SetSchemaMetadata {
        configured(SetSchemaMetadata::new(Side::Value), pairs)
    }

    #[test]
    fn schema_name_and_version_update() {
        let out = apply(
            &mut value_xform(&[(SCHEMA_NAME_CONFIG, "foo")]),
            record(Some(SchemaBuilder::struct_().build()), Value::Null),
        );
        assert_eq!(out.value_schema.unwrap().name.as_deref(), Some("foo"));
        let out = apply(
            &mut value_xform(&[(SCHEMA_VERSION_CONFIG, "42")]),
            record(Some(SchemaBuilder::struct_().build()), Value::Null),
        );
        assert_eq!(out.value_schema.unwrap().version, Some(42));
        let mut t = value_xform(&[(SCHEMA_NAME_CONFIG, "foo"), (SCHEMA_VERSION_CONFIG, "42")]);
        let mut key_t = configured(
            SetSchemaMetadata::new(Side::Key),
            &[(SCHEMA_NAME_CONFIG, "foo"), (SCHEMA_VERSION_CONFIG, "42")],
        );
        let out = apply(
            &mut t,
            record(Some(SchemaBuilder::struct_().build()), Value::Null),
        );
        let schema = out.value_schema.unwrap();
        assert_eq!(
            (schema.name.as_deref(), schema.version),
            (Some("foo"), Some(42))
        );
        let out = apply(
            &mut key_t,
            keyed(Some(SchemaBuilder::struct_().build()), Value::Null),
        );
        let schema = out.key_schema.unwrap();
        assert_eq!(
            (schema.name.as_deref(), schema.version),
            (Some("foo"), Some(42))
        );
    }

    #[test]
    fn struct_values_move_to_the_new_schema() {
        let schema = SchemaBuilder::struct_()
            .name("my.orig.SchemaDefn")
            .with_field("name", schemas::string())
            .build();
        let value = Struct::new(schema.clone())
            .unwrap()
            .with("name", "value")
            .unwrap();
        let mut t = value_xform(&[(SCHEMA_NAME_CONFIG, "foo"), (SCHEMA_VERSION_CONFIG, "42")]);
        let out = apply(&mut t, record(Some(schema), Value::Struct(value)));
        let v = out.value.as_struct().unwrap();
        assert_eq!(v.schema().name.as_deref(), Some("foo"));
        assert_eq!(v.schema().version, Some(42));
        assert_eq!(v.get("name"), Some(&s("value")));
        assert_eq!(out.value_schema.as_ref(), Some(v.schema()));
    }

    #[test]
    fn non_struct_values_and_required_schema() {
        let mut t = value_xform(&[(SCHEMA_NAME_CONFIG, "foo")]);
        let out = apply(&mut t, record(Some(schemas::string()), s("x")));
        assert_eq!(out.value, s("x"));
        assert_eq!(out.value_schema.unwrap().name.as_deref(), Some("foo"));
        let err = t.apply(record(None, s("x"))).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Schema required for [updating schema metadata]"
        );
    }

    #[test]
    fn replace_null_with_default() {
        let schema = SchemaBuilder::struct_()
            .with_field(
                "a",
                SchemaBuilder::string()
                    .optional()
                    .default_value(s("d"))
                    .unwrap()
                    .build(),
            )
            .build();
        let value = Value::Struct(Struct::new(schema.clone()).unwrap());
        let out = apply(
            &mut value_xform(&[(SCHEMA_NAME_CONFIG, "n")]),
            record(Some(schema.clone()), value.clone()),
        );
        assert_eq!(
            out.value.as_struct().unwrap().get_without_default("a"),
            Some(&s("d"))
        );
        let mut t = value_xform(&[
            (SCHEMA_NAME_CONFIG, "n"),
            ("replace.null.with.default", "false"),
        ]);
        let out = apply(&mut t, record(Some(schema), value));
        assert_eq!(
            out.value.as_struct().unwrap().get_without_default("a"),
            Some(&Value::Null)
        );
    }

    #[test]
    fn config_errors() {
        assert_eq!(
            config_error(SetSchemaMetadata::new(Side::Value), &[]).to_string(),
            "Neither schema name nor version configured"
        );
        assert_eq!(
            config_error(
                SetSchemaMetadata::new(Side::Value),
                &[(SCHEMA_VERSION_CONFIG, "x")]
            )
            .to_string(),
            "Invalid value x for configuration schema.version: Not a number of type INT"
        );
    }

    #[test]
    fn array_and_map_schemas_keep_their_element_schemas() {
        let mut t = value_xform(&[(SCHEMA_NAME_CONFIG, "list")]);
        let array = SchemaBuilder::array(schemas::int32()).build();
        let out = apply(
            &mut t,
            record(Some(array), Value::Array(vec![Value::Int32(1)])),
        );
        let schema = out.value_schema.unwrap();
        assert_eq!(schema.name.as_deref(), Some("list"));
        assert_eq!(schema.value_schema, Some(schemas::int32()));
        let map_schema = SchemaBuilder::map(schemas::string(), schemas::int64()).build();
        let out = apply(&mut t, record(Some(map_schema), Value::Map(vec![])));
        let schema = out.value_schema.unwrap();
        assert_eq!(schema.key_schema, Some(schemas::string()));
        assert_eq!(schema.value_schema, Some(schemas::int64()));
    }
}
