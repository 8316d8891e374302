//! `MaskField$Key` / `MaskField$Value`: replaces fields with their type's empty value or a `replacement`.

use std::collections::HashSet;
use std::sync::Arc;

use connect_api::config::{ConfigDef, ConfigType, Importance, Validator};
use connect_api::connector::Config;
use connect_api::data::logical::{self, BigDecimal};
use connect_api::data::{Schema, Struct, Value};
use connect_api::transform::Transformation;
use connect_api::{ConnectError, ConnectRecord, ConnectResult};

use crate::util::config as cfg;
use crate::util::java::{class_name_with_schema, class_string, decimal_scale};
use crate::util::requirements::{into_map, into_struct};
use crate::util::schema::{field_value, put_fitting, SchemaCache};
use crate::util::{map, Side};

pub const FIELDS_CONFIG: &str = "fields";
pub const REPLACEMENT_CONFIG: &str = "replacement";
const PURPOSE: &str = "mask fields";

pub fn config_def() -> ConfigDef {
    cfg::with_replace_null_with_default(
        ConfigDef::new()
            .define(FIELDS_CONFIG, ConfigType::List, Importance::High, "Names of fields to mask.")
            .define(
                REPLACEMENT_CONFIG,
                ConfigType::String,
                Importance::Low,
                "Custom value replacement, that will be applied to all 'fields' values (numeric or non-empty \
                 string values only).",
            )
            .default_null()
            .validator(Validator::NonEmptyString)
            .add(),
    )
}

/// Masks the configured fields.
#[derive(Debug)]
pub struct MaskField {
    side: Side,
    fields: HashSet<String>,
    field_order: Vec<String>,
    replacement: Option<String>,
    replace_null_with_default: bool,
    /// Per input schema: which fields are masked.
    plans: SchemaCache<Arc<Vec<bool>>>,
}

impl MaskField {
    pub fn new(side: Side) -> Self {
        MaskField {
            side,
            fields: HashSet::new(),
            field_order: Vec::new(),
            replacement: None,
            replace_null_with_default: true,
            plans: SchemaCache::new(),
        }
    }

    fn masked(&self, schema: Option<&Schema>, value: &Value) -> ConnectResult<Value> {
        if value.is_null() {
            return Ok(Value::Null);
        }
        match &self.replacement {
            None => mask_with_empty(schema, value),
            Some(replacement) => mask_with_replacement(schema, value, replacement),
        }
    }
}

fn logical_name(schema: Option<&Schema>) -> Option<&str> {
    schema.and_then(|s| s.name.as_deref())
}

/// Kafka's `maskWithNullValue`: the "empty" value of the value's Java class.
fn mask_with_empty(schema: Option<&Schema>, value: &Value) -> ConnectResult<Value> {
    if let Some(logical::DATE | logical::TIME | logical::TIMESTAMP | logical::DECIMAL) =
        logical_name(schema)
    {
        return Ok(match value {
            Value::Int32(_) => Value::Int32(0),
            Value::Int64(_) => Value::Int64(0),
            _ => Value::from(vec![0u8]),
        });
    }
    Ok(match value {
        Value::Boolean(_) => Value::Boolean(false),
        Value::Int8(_) => Value::Int8(0),
        Value::Int16(_) => Value::Int16(0),
        Value::Int32(_) => Value::Int32(0),
        Value::Int64(_) => Value::Int64(0),
        Value::Float32(_) => Value::Float32(0.0),
        Value::Float64(_) => Value::Float64(0.0),
        Value::String(_) => Value::String(String::new()),
        Value::Array(_) => Value::Array(Vec::new()),
        Value::Map(_) => Value::Map(Vec::new()),
        other => {
            return Err(ConnectError::data(format!(
                "Cannot mask value of type: {}",
                class_string(class_name_with_schema(schema, other))
            )))
        }
    })
}

/// Kafka's `maskWithCustomReplacement`: the replacement text converted to the value's Java class.
fn mask_with_replacement(
    schema: Option<&Schema>,
    value: &Value,
    replacement: &str,
) -> ConnectResult<Value> {
    let unsupported = || {
        ConnectError::data(format!(
            "Cannot mask value of type {} with custom replacement.",
            class_string(class_name_with_schema(schema, value))
        ))
    };
    let not_a_number = || {
        ConnectError::data(format!(
            "Unable to convert {replacement} (class java.lang.String) to number"
        ))
    };
    match logical_name(schema) {
        Some(logical::DATE | logical::TIME | logical::TIMESTAMP) => return Err(unsupported()),
        Some(logical::DECIMAL) => {
            let scale = schema.map(decimal_scale).unwrap_or(0);
            let d =
                BigDecimal::parse(replacement.trim(), Some(scale)).map_err(|_| not_a_number())?;
            return Ok(Value::from(d.unscaled));
        }
        _ => {}
    }
    Ok(match value {
        Value::Int8(_) => Value::Int8(replacement.parse().map_err(|_| not_a_number())?),
        Value::Int16(_) => Value::Int16(replacement.parse().map_err(|_| not_a_number())?),
        Value::Int32(_) => Value::Int32(replacement.parse().map_err(|_| not_a_number())?),
        Value::Int64(_) => Value::Int64(replacement.parse().map_err(|_| not_a_number())?),
        Value::Float32(_) => {
            Value::Float32(replacement.trim().parse().map_err(|_| not_a_number())?)
        }
        Value::Float64(_) => {
            Value::Float64(replacement.trim().parse().map_err(|_| not_a_number())?)
        }
        Value::String(_) => Value::String(replacement.to_string()),
        _ => return Err(unsupported()),
    })
}

impl Transformation for MaskField {
    fn configure(&mut self, config: &Config) -> ConnectResult<()> {
        let parsed = cfg::parse(&config_def(), config)?;
        self.field_order = cfg::non_empty_list(&parsed, FIELDS_CONFIG)?;
        self.fields = self.field_order.iter().cloned().collect();
        self.replacement = cfg::optional_string(&parsed, REPLACEMENT_CONFIG);
        self.replace_null_with_default = cfg::replace_null_with_default(&parsed);
        self.plans = SchemaCache::new();
        Ok(())
    }

    fn apply(&mut self, mut record: ConnectRecord) -> ConnectResult<Option<ConnectRecord>> {
        if self.side.value(&record).is_null() {
            return Ok(Some(record));
        }
        let (schema, value) = self.side.take(&mut record);
        match schema {
            None => {
                let mut entries = into_map(value, PURPOSE)?;
                for field in &self.field_order {
                    let masked =
                        self.masked(None, map::get(&entries, field).unwrap_or(&Value::Null))?;
                    map::put(&mut entries, field, masked);
                }
                self.side.set(&mut record, None, Value::Map(entries));
            }
            Some(schema) => {
                let value = into_struct(value, PURPOSE)?;
                let plan = self.plans.get_or_try_insert(&schema, |s| {
                    Ok(Arc::new(
                        s.fields
                            .iter()
                            .map(|f| self.fields.contains(&f.name))
                            .collect::<Vec<_>>(),
                    ))
                })?;
                let mut out = Struct::new(value.schema_arc())?;
                for (field, masked) in value.schema().fields.iter().zip(plan.iter()) {
                    let original = field_value(&value, field, self.replace_null_with_default);
                    if *masked {
                        let v = self.masked(Some(&field.schema), original)?;
                        put_fitting(&mut out, field.index, &field.name, &field.schema, v)?;
                    } else {
                        out.put_unchecked(field.index, original.clone());
                    }
                }
                self.side.set(&mut record, Some(schema), Value::Struct(out));
            }
        }
        Ok(Some(record))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::testing::*;
    use connect_api::data::{schemas, SchemaBuilder, SchemaRef};

    fn xform(fields: &str, replacement: Option<&str>) -> MaskField {
        let mut pairs = vec![(FIELDS_CONFIG, fields)];
        if let Some(r) = replacement {
            pairs.push((REPLACEMENT_CONFIG, r));
        }
        configured(MaskField::new(Side::Value), &pairs)
    }

    fn schema() -> SchemaRef {
        SchemaBuilder::struct_()
            .with_field("magic", schemas::int32())
            .with_field("bool", schemas::boolean())
            .with_field("byte", schemas::int8())
            .with_field("short", schemas::int16())
            .with_field("int", schemas::int32())
            .with_field("long", schemas::int64())
            .with_field("float", schemas::float32())
            .with_field("double", schemas::float64())
            .with_field("string", schemas::string())
            .with_field("date", logical::date_builder().optional().build())
            .with_field("time", logical::time_builder().optional().build())
            .with_field("timestamp", logical::timestamp_builder().optional().build())
            .with_field("decimal", logical::decimal_builder(0).optional().build())
            .with_field(
                "array",
                SchemaBuilder::array(schemas::int32()).optional().build(),
            )
            .with_field(
                "map",
                SchemaBuilder::map(schemas::string(), schemas::string())
                    .optional()
                    .build(),
            )
            .with_field(
                "withDefault",
                SchemaBuilder::string()
                    .optional()
                    .default_value(s("default"))
                    .unwrap()
                    .build(),
            )
            .build()
    }

    fn value() -> Value {
        Value::Struct(
            Struct::new(schema())
                .unwrap()
                .with("magic", 42)
                .unwrap()
                .with("bool", true)
                .unwrap()
                .with("byte", Value::Int8(42))
                .unwrap()
                .with("short", Value::Int16(42))
                .unwrap()
                .with("int", 42)
                .unwrap()
                .with("long", 42i64)
                .unwrap()
                .with("float", Value::Float32(42.0))
                .unwrap()
                .with("double", 42.0)
                .unwrap()
                .with("string", "55.121.20.20")
                .unwrap()
                .with("date", Value::Int32(17_000))
                .unwrap()
                .with("time", Value::Int32(1000))
                .unwrap()
                .with("timestamp", Value::Int64(1_000_000))
                .unwrap()
                .with("decimal", Value::from(vec![0x2a]))
                .unwrap()
                .with(
                    "array",
                    Value::Array(vec![Value::Int32(1), Value::Int32(2)]),
                )
                .unwrap()
                .with("map", Value::Map(vec![(s("k"), s("v"))]))
                .unwrap(),
        )
    }

    const ALL: &str = "bool,byte,short,int,long,float,double,string,date,time,timestamp,decimal,array,map,withDefault";

    #[test]
    fn with_schema_masks_to_empty_values() {
        let out = apply(&mut xform(ALL, None), record(Some(schema()), value()));
        let v = out.value.as_struct().unwrap();
        assert_eq!(v.get("magic"), Some(&Value::Int32(42)));
        assert_eq!(v.get("bool"), Some(&Value::Boolean(false)));
        assert_eq!(v.get("byte"), Some(&Value::Int8(0)));
        assert_eq!(v.get("short"), Some(&Value::Int16(0)));
        assert_eq!(v.get("int"), Some(&Value::Int32(0)));
        assert_eq!(v.get("long"), Some(&Value::Int64(0)));
        assert_eq!(v.get("float"), Some(&Value::Float32(0.0)));
        assert_eq!(v.get("double"), Some(&Value::Float64(0.0)));
        assert_eq!(v.get("string"), Some(&s("")));
        assert_eq!(v.get("date"), Some(&Value::Int32(0)));
        assert_eq!(v.get("time"), Some(&Value::Int32(0)));
        assert_eq!(v.get("timestamp"), Some(&Value::Int64(0)));
        assert_eq!(v.get("decimal"), Some(&Value::from(vec![0u8])));
        assert_eq!(v.get("array"), Some(&Value::Array(vec![])));
        assert_eq!(v.get("map"), Some(&Value::Map(vec![])));
        assert_eq!(v.get_without_default("withDefault"), Some(&s("")));
        v.validate().unwrap();
    }

    #[test]
    fn replace_null_with_default_off_keeps_null() {
        let out = apply(
            &mut configured(
                MaskField::new(Side::Value),
                &[
                    (FIELDS_CONFIG, "withDefault"),
                    ("replace.null.with.default", "false"),
                ],
            ),
            record(Some(schema()), value()),
        );
        assert_eq!(
            out.value
                .as_struct()
                .unwrap()
                .get_without_default("withDefault"),
            Some(&Value::Null)
        );
    }

    #[test]
    fn schemaless_masks_to_empty_values() {
        let value = map(&[
            ("magic", Value::Int32(42)),
            ("bool", Value::Boolean(true)),
            ("byte", Value::Int8(42)),
            ("long", Value::Int64(42)),
            ("double", Value::Float64(42.0)),
            ("string", s("55.121.20.20")),
            ("array", Value::Array(vec![Value::Int32(1)])),
            ("map", map(&[("k", s("v"))])),
        ]);
        let out = apply(
            &mut xform("bool,byte,long,double,string,array,map", None),
            record(None, value),
        );
        assert_eq!(out.value.map_get("magic"), Some(&Value::Int32(42)));
        assert_eq!(out.value.map_get("bool"), Some(&Value::Boolean(false)));
        assert_eq!(out.value.map_get("byte"), Some(&Value::Int8(0)));
        assert_eq!(out.value.map_get("long"), Some(&Value::Int64(0)));
        assert_eq!(out.value.map_get("double"), Some(&Value::Float64(0.0)));
        assert_eq!(out.value.map_get("string"), Some(&s("")));
        assert_eq!(out.value.map_get("array"), Some(&Value::Array(vec![])));
        assert_eq!(out.value.map_get("map"), Some(&Value::Map(vec![])));
    }

    #[test]
    fn custom_replacements() {
        let value = map(&[
            ("int", Value::Int32(42)),
            ("string", s("x")),
            ("double", Value::Float64(1.5)),
        ]);
        let out = apply(&mut xform("int", Some("123")), record(None, value.clone()));
        assert_eq!(out.value.map_get("int"), Some(&Value::Int32(123)));
        let out = apply(
            &mut xform("string", Some("******")),
            record(None, value.clone()),
        );
        assert_eq!(out.value.map_get("string"), Some(&s("******")));
        let out = apply(
            &mut xform("double", Some("-1.5")),
            record(None, value.clone()),
        );
        assert_eq!(out.value.map_get("double"), Some(&Value::Float64(-1.5)));
        let err = xform("int", Some("not-a-number"))
            .apply(record(None, value))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "Unable to convert not-a-number (class java.lang.String) to number"
        );

        let out = apply(
            &mut xform("decimal,string", Some("7")),
            record(Some(schema()), self::value()),
        );
        let v = out.value.as_struct().unwrap();
        assert_eq!(v.get("decimal"), Some(&Value::from(vec![7u8])));
        assert_eq!(v.get("string"), Some(&s("7")));
    }

    #[test]
    fn unsupported_replacements_and_types() {
        let err = xform("bool", Some("x"))
            .apply(record(Some(schema()), value()))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "Cannot mask value of type class java.lang.Boolean with custom replacement."
        );
        let err = xform("date", Some("1"))
            .apply(record(Some(schema()), value()))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "Cannot mask value of type class java.util.Date with custom replacement."
        );
        let err = xform("b", None)
            .apply(record(None, map(&[("b", Value::from(vec![1u8]))])))
            .unwrap_err();
        assert_eq!(err.to_string(), "Cannot mask value of type: class [B");
    }

    #[test]
    fn nulls_and_config_errors() {
        let r = record(None, Value::Null);
        assert_eq!(apply(&mut xform("a", None), r.clone()), r);
        let out = apply(&mut xform("missing", None), record(None, map(&[])));
        assert_eq!(out.value, map(&[("missing", Value::Null)]));
        assert_eq!(
            config_error(
                MaskField::new(Side::Value),
                &[(FIELDS_CONFIG, "a"), (REPLACEMENT_CONFIG, "")]
            )
            .to_string(),
            "Invalid value  for configuration replacement: String must be non-empty"
        );
        assert_eq!(
            config_error(MaskField::new(Side::Value), &[(FIELDS_CONFIG, "")]).to_string(),
            "Invalid value [] for configuration fields: Empty list"
        );
    }
}
