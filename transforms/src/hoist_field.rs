//! `HoistField$Key` / `HoistField$Value`: wraps the key or value as `{field: data}` (Struct or Map).

use connect_api::config::{ConfigDef, ConfigType, Importance};
use connect_api::connector::Config;
use connect_api::data::{SchemaBuilder, Struct, Value};
use connect_api::transform::Transformation;
use connect_api::{ConnectRecord, ConnectResult};

use crate::util::config as cfg;
use crate::util::schema::{put_fitting, SchemaCache};
use crate::util::Side;

pub const FIELD_CONFIG: &str = "field";

pub fn config_def() -> ConfigDef {
    ConfigDef::new()
        .define(
            FIELD_CONFIG,
            ConfigType::String,
            Importance::Medium,
            "Field name for the single field that will be created in the resulting Struct or Map.",
        )
        .add()
}

/// Wraps the data as `{field: data}`.
#[derive(Debug)]
pub struct HoistField {
    side: Side,
    field: String,
    cache: SchemaCache,
}

impl HoistField {
    pub fn new(side: Side) -> Self {
        HoistField {
            side,
            field: String::new(),
            cache: SchemaCache::new(),
        }
    }
}

impl Transformation for HoistField {
    fn configure(&mut self, config: &Config) -> ConnectResult<()> {
        let parsed = cfg::parse(&config_def(), config)?;
        self.field = parsed.string(FIELD_CONFIG).unwrap_or_default().to_string();
        self.cache = SchemaCache::new();
        Ok(())
    }

    fn apply(&mut self, mut record: ConnectRecord) -> ConnectResult<Option<ConnectRecord>> {
        let (schema, value) = self.side.take(&mut record);
        match schema {
            None => {
                let wrapped = Value::Map(vec![(Value::String(self.field.clone()), value)]);
                self.side.set(&mut record, None, wrapped);
            }
            Some(schema) => {
                let field = &self.field;
                let updated = self.cache.get_or_try_insert(&schema, |_| {
                    Ok(SchemaBuilder::struct_()
                        .field(field.clone(), schema.clone())?
                        .build())
                })?;
                let mut wrapped = Struct::new(updated.clone())?;
                put_fitting(&mut wrapped, 0, field, &schema, value)?;
                self.side
                    .set(&mut record, Some(updated), Value::Struct(wrapped));
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

    #[test]
    fn schemaless() {
        let mut t = configured(HoistField::new(Side::Key), &[(FIELD_CONFIG, "magic")]);
        let out = apply(&mut t, keyed(None, Value::Int32(42)));
        assert!(out.key_schema.is_none());
        assert_eq!(out.key, map(&[("magic", Value::Int32(42))]));
    }

    #[test]
    fn with_schema() {
        let mut t = configured(HoistField::new(Side::Key), &[(FIELD_CONFIG, "magic")]);
        let out = apply(&mut t, keyed(Some(schemas::int32()), Value::Int32(42)));
        let schema = out.key_schema.unwrap();
        assert_eq!(schema.field("magic").unwrap().schema, schemas::int32());
        assert_eq!(
            out.key.as_struct().unwrap().get("magic"),
            Some(&Value::Int32(42))
        );
    }

    #[test]
    fn optional_null_values() {
        let mut t = configured(HoistField::new(Side::Value), &[(FIELD_CONFIG, "magic")]);
        let out = apply(&mut t, record(Some(schemas::optional_int32()), Value::Null));
        assert_eq!(
            out.value.as_struct().unwrap().get("magic"),
            Some(&Value::Null)
        );
        let out = apply(&mut t, record(None, Value::Null));
        assert_eq!(out.value, map(&[("magic", Value::Null)]));
        assert!(t
            .apply(record(Some(schemas::int32()), Value::Null))
            .is_err());
    }

    #[test]
    fn field_is_required() {
        assert!(config_error(HoistField::new(Side::Value), &[])
            .to_string()
            .contains("\"field\""));
    }
}
