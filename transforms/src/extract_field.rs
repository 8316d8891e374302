//! `ExtractField$Key` / `ExtractField$Value`: replaces the key or value with one (possibly nested) field of it.

use connect_api::config::{ConfigDef, ConfigType, Importance};
use connect_api::connector::Config;
use connect_api::data::Value;
use connect_api::transform::Transformation;
use connect_api::{ConnectError, ConnectRecord, ConnectResult};

use crate::util::config as cfg;
use crate::util::field_path::{FieldSyntaxVersion, SingleFieldPath};
use crate::util::requirements::{require_map_or_null, require_struct_or_null};
use crate::util::Side;

pub const FIELD_CONFIG: &str = "field";
const PURPOSE: &str = "field extraction";

pub fn config_def() -> ConfigDef {
    let def = ConfigDef::new()
        .define(
            FIELD_CONFIG,
            ConfigType::String,
            Importance::Medium,
            "Field name to extract.",
        )
        .add();
    cfg::with_replace_null_with_default(FieldSyntaxVersion::define(def))
}

/// Extracts one field of a Struct (with schema) or Map (schemaless); a null key/value stays null.
#[derive(Debug)]
pub struct ExtractField {
    side: Side,
    original_path: String,
    path: SingleFieldPath,
    replace_null_with_default: bool,
}

impl ExtractField {
    pub fn new(side: Side) -> Self {
        ExtractField {
            side,
            original_path: String::new(),
            path: SingleFieldPath::new("", FieldSyntaxVersion::V1).expect("V1 path"),
            replace_null_with_default: true,
        }
    }

    /// A ready-to-use extractor of a top-level field (used by other SMTs as a delegate).
    pub fn of(side: Side, field: &str, replace_null_with_default: bool) -> Self {
        ExtractField {
            side,
            original_path: field.to_string(),
            path: SingleFieldPath::new(field, FieldSyntaxVersion::V1).expect("V1 path"),
            replace_null_with_default,
        }
    }

    /// The extraction on a record that is borrowed, returning the new schema and value.
    pub(crate) fn extract(
        &self,
        record: &ConnectRecord,
    ) -> ConnectResult<(Option<connect_api::data::SchemaRef>, Value)> {
        let value = self.side.value(record);
        match self.side.schema(record) {
            None => {
                let extracted = match require_map_or_null(value, PURPOSE)? {
                    Some(entries) => self.path.value_from_map(entries)?,
                    None => Value::Null,
                };
                Ok((None, extracted))
            }
            Some(schema) => {
                let s = require_struct_or_null(value, PURPOSE)?;
                let field = self.path.field_from(schema).ok_or_else(|| {
                    ConnectError::data(format!("Unknown field: {}", self.original_path))
                })?;
                let extracted = match s {
                    Some(s) => self
                        .path
                        .value_from_struct(s, self.replace_null_with_default)?,
                    None => Value::Null,
                };
                Ok((Some(field.schema.clone()), extracted))
            }
        }
    }
}

impl Transformation for ExtractField {
    fn configure(&mut self, config: &Config) -> ConnectResult<()> {
        let parsed = cfg::parse(&config_def(), config)?;
        self.original_path = parsed.string(FIELD_CONFIG).unwrap_or_default().to_string();
        self.path = SingleFieldPath::new(
            &self.original_path,
            FieldSyntaxVersion::from_config(&parsed),
        )?;
        self.replace_null_with_default = cfg::replace_null_with_default(&parsed);
        Ok(())
    }

    fn apply(&mut self, mut record: ConnectRecord) -> ConnectResult<Option<ConnectRecord>> {
        let (schema, value) = self.extract(&record)?;
        self.side.set(&mut record, schema, value);
        Ok(Some(record))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::testing::*;
    use connect_api::data::{schemas, SchemaBuilder, Struct};

    fn key_xform(pairs: &[(&str, &str)]) -> ExtractField {
        configured(ExtractField::new(Side::Key), pairs)
    }

    #[test]
    fn schemaless() {
        let mut t = key_xform(&[(FIELD_CONFIG, "magic")]);
        let out = apply(&mut t, keyed(None, map(&[("magic", Value::Int32(42))])));
        assert!(out.key_schema.is_none());
        assert_eq!(out.key, Value::Int32(42));
    }

    #[test]
    fn nested_schemaless_v2() {
        let mut t = key_xform(&[(FIELD_CONFIG, "magic.foo"), ("field.syntax.version", "v2")]);
        let key = map(&[("magic", map(&[("foo", Value::Int32(42))]))]);
        assert_eq!(apply(&mut t, keyed(None, key)).key, Value::Int32(42));
    }

    #[test]
    fn null_schemaless() {
        let mut t = key_xform(&[(FIELD_CONFIG, "magic")]);
        let out = apply(&mut t, keyed(None, Value::Null));
        assert!(out.key_schema.is_none());
        assert_eq!(out.key, Value::Null);
    }

    #[test]
    fn with_schema() {
        let mut t = key_xform(&[(FIELD_CONFIG, "magic")]);
        let schema = SchemaBuilder::struct_()
            .with_field("magic", schemas::int32())
            .build();
        let key = Struct::new(schema.clone())
            .unwrap()
            .with("magic", 42)
            .unwrap();
        let out = apply(&mut t, keyed(Some(schema), Value::Struct(key)));
        assert_eq!(out.key_schema, Some(schemas::int32()));
        assert_eq!(out.key, Value::Int32(42));
    }

    #[test]
    fn nested_with_schema_v2() {
        let mut t = key_xform(&[(FIELD_CONFIG, "magic.foo"), ("field.syntax.version", "V2")]);
        let inner = SchemaBuilder::struct_()
            .with_field("foo", schemas::int32())
            .build();
        let schema = SchemaBuilder::struct_()
            .with_field("magic", inner.clone())
            .build();
        let key = Struct::new(schema.clone())
            .unwrap()
            .with(
                "magic",
                Struct::new(inner).unwrap().with("foo", 42).unwrap(),
            )
            .unwrap();
        let out = apply(&mut t, keyed(Some(schema), Value::Struct(key)));
        assert_eq!(out.key_schema, Some(schemas::int32()));
        assert_eq!(out.key, Value::Int32(42));
    }

    #[test]
    fn null_with_schema_keeps_field_schema() {
        let mut t = key_xform(&[(FIELD_CONFIG, "magic")]);
        let schema = SchemaBuilder::struct_()
            .with_field("magic", schemas::int32())
            .optional()
            .build();
        let out = apply(&mut t, keyed(Some(schema), Value::Null));
        assert_eq!(out.key_schema, Some(schemas::int32()));
        assert_eq!(out.key, Value::Null);
    }

    #[test]
    fn non_existent_field() {
        let mut t = key_xform(&[(FIELD_CONFIG, "nonexistent")]);
        let out = apply(&mut t, keyed(None, map(&[("magic", Value::Int32(42))])));
        assert_eq!(out.key, Value::Null);
        let schema = SchemaBuilder::struct_()
            .with_field("magic", schemas::int32())
            .build();
        let key = Struct::new(schema.clone())
            .unwrap()
            .with("magic", 42)
            .unwrap();
        let err = t
            .apply(keyed(Some(schema), Value::Struct(key)))
            .unwrap_err();
        assert_eq!(err.to_string(), "Unknown field: nonexistent");
    }

    #[test]
    fn replace_null_with_default() {
        let schema = SchemaBuilder::struct_()
            .with_field(
                "magic",
                SchemaBuilder::int32()
                    .optional()
                    .default_value(Value::Int32(42))
                    .unwrap()
                    .build(),
            )
            .build();
        let key = Struct::new(schema.clone()).unwrap();
        let mut t = key_xform(&[(FIELD_CONFIG, "magic")]);
        assert_eq!(
            apply(
                &mut t,
                keyed(Some(schema.clone()), Value::Struct(key.clone()))
            )
            .key,
            Value::Int32(42)
        );
        let mut t = key_xform(&[
            (FIELD_CONFIG, "magic"),
            ("replace.null.with.default", "false"),
        ]);
        assert_eq!(
            apply(&mut t, keyed(Some(schema), Value::Struct(key))).key,
            Value::Null
        );
    }

    #[test]
    fn wrong_type_and_config_errors() {
        let mut t = key_xform(&[(FIELD_CONFIG, "magic")]);
        let err = t.apply(keyed(None, Value::Int32(1))).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Only Map objects supported in absence of schema for [field extraction], found: java.lang.Integer"
        );
        assert!(config_error(ExtractField::new(Side::Value), &[])
            .to_string()
            .contains("\"field\""));
        assert_eq!(
            config_error(ExtractField::new(Side::Value), &[(FIELD_CONFIG, "a"), ("field.syntax.version", "v3")])
                .to_string(),
            "Invalid value v3 for configuration field.syntax.version: String must be one of (case insensitive): \
             V1, V2"
        );
    }

    #[test]
    fn value_side() {
        let mut t = configured(ExtractField::new(Side::Value), &[(FIELD_CONFIG, "magic")]);
        let out = apply(
            &mut t,
            record(None, map(&[("magic", s("x"))])).with_key(None, s("k")),
        );
        assert_eq!((out.key, out.value), (s("k"), s("x")));
    }
}
