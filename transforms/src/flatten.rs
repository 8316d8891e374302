//! `Flatten$Key` / `Flatten$Value`: flattens nested Structs or Maps into `parent.child` fields (arrays untouched).

use connect_api::config::{ConfigDef, ConfigType, Importance};
use connect_api::connector::Config;
use connect_api::data::{Schema, SchemaBuilder, SchemaRef, SchemaType, Struct, Value};
use connect_api::transform::Transformation;
use connect_api::{ConnectError, ConnectRecord, ConnectResult};

use crate::util::config as cfg;
use crate::util::java::{class_name, class_string};
use crate::util::requirements::{into_map, into_struct};
use crate::util::schema::{copy_basics_of, struct_like, SchemaCache};
use crate::util::Side;

pub const DELIMITER_CONFIG: &str = "delimiter";
const PURPOSE: &str = "flattening";

pub fn config_def() -> ConfigDef {
    ConfigDef::new()
        .define(
            DELIMITER_CONFIG,
            ConfigType::String,
            Importance::Medium,
            "Delimiter to insert between field names from the input record when generating field names for the \
             output record",
        )
        .default_value(".")
        .add()
}

/// Flattens nested data into top-level fields named `parent<delimiter>child`.
#[derive(Debug)]
pub struct Flatten {
    side: Side,
    delimiter: String,
    cache: SchemaCache,
}

impl Flatten {
    pub fn new(side: Side) -> Self {
        Flatten {
            side,
            delimiter: ".".into(),
            cache: SchemaCache::new(),
        }
    }

    fn name(&self, prefix: &str, field: &str) -> String {
        if prefix.is_empty() {
            field.to_string()
        } else {
            format!("{prefix}{}{field}", self.delimiter)
        }
    }

    fn flatten_map(
        &self,
        entries: Vec<(Value, Value)>,
        prefix: &str,
        out: &mut Vec<(Value, Value)>,
    ) -> ConnectResult<()> {
        for (key, value) in entries {
            let key = match key {
                Value::String(k) => k,
                other => {
                    return Err(ConnectError::data(format!(
                        "Flatten transformation does not support map keys of {} for record without schemas.",
                        class_string(class_name(&other))
                    )))
                }
            };
            let name = self.name(prefix, &key);
            match value {
                Value::Map(nested) => self.flatten_map(nested, &name, out)?,
                Value::Struct(_) => {
                    return Err(ConnectError::data(format!(
                        "Flatten transformation does not support {} for record without schemas (for field {name}).",
                        class_string(class_name(&value))
                    )))
                }
                other => out.push((Value::String(name), other)),
            }
        }
        Ok(())
    }

    fn build_schema(&self, schema: &Schema) -> ConnectResult<SchemaRef> {
        let mut builder = struct_like(schema);
        let default = schema.default_value.as_ref().and_then(Value::as_struct);
        builder = self.add_fields(schema, "", builder, schema.optional, default)?;
        if schema.optional {
            builder = builder.optional();
        }
        Ok(builder.build())
    }

    fn add_fields(
        &self,
        schema: &Schema,
        prefix: &str,
        mut builder: SchemaBuilder,
        optional: bool,
        parent_default: Option<&Struct>,
    ) -> ConnectResult<SchemaBuilder> {
        for field in &schema.fields {
            let name = self.name(prefix, &field.name);
            let field_optional = optional || field.schema.optional;
            let default = field
                .schema
                .default_value
                .as_ref()
                .or_else(|| parent_default.and_then(|d| d.get(&field.name)))
                .filter(|d| !d.is_null());
            if field.schema.schema_type == SchemaType::Struct {
                builder = self.add_fields(
                    &field.schema,
                    &name,
                    builder,
                    field_optional,
                    default.and_then(Value::as_struct),
                )?;
            } else {
                let mut fb = copy_basics_of(&field.schema);
                if field_optional {
                    fb = fb.optional();
                }
                if let Some(d) = default {
                    fb = fb.default_value(d.clone())?;
                }
                builder = builder.field(name, fb.build())?;
            }
        }
        Ok(builder)
    }

    /// Copies leaf values in schema order; output fields were created in the same order, so the output index is a
    /// running counter (a null nested struct skips as many slots as it has leaves).
    fn flatten_struct(value: &Struct, out: &mut Struct, index: &mut usize) {
        for (field, v) in value.iter() {
            if field.schema.schema_type == SchemaType::Struct {
                match v {
                    Value::Struct(nested) => Self::flatten_struct(nested, out, index),
                    _ => *index += leaf_count(&field.schema),
                }
            } else {
                out.put_unchecked(*index, v.clone());
                *index += 1;
            }
        }
    }
}

fn leaf_count(schema: &Schema) -> usize {
    schema
        .fields
        .iter()
        .map(|f| match f.schema.schema_type {
            SchemaType::Struct => leaf_count(&f.schema),
            _ => 1,
        })
        .sum()
}

impl Transformation for Flatten {
    fn configure(&mut self, config: &Config) -> ConnectResult<()> {
        let parsed = cfg::parse(&config_def(), config)?;
        self.delimiter = parsed.string(DELIMITER_CONFIG).unwrap_or(".").to_string();
        self.cache = SchemaCache::new();
        Ok(())
    }

    fn apply(&mut self, mut record: ConnectRecord) -> ConnectResult<Option<ConnectRecord>> {
        if self.side.value(&record).is_null() {
            return Ok(Some(record));
        }
        let (schema, value) = self.side.take(&mut record);
        match schema {
            None => {
                let entries = into_map(value, PURPOSE)?;
                let mut out = Vec::with_capacity(entries.len());
                self.flatten_map(entries, "", &mut out)?;
                self.side.set(&mut record, None, Value::Map(out));
            }
            Some(schema) => {
                let value = into_struct(value, PURPOSE)?;
                let updated = self
                    .cache
                    .get_or_try_insert(&schema, |s| self.build_schema(s))?;
                let mut out = Struct::new(updated.clone())?;
                Self::flatten_struct(&value, &mut out, &mut 0);
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
    use connect_api::data::schemas;

    fn value_xform(pairs: &[(&str, &str)]) -> Flatten {
        configured(Flatten::new(Side::Value), pairs)
    }

    #[test]
    fn top_level_struct_or_map_required() {
        let mut t = value_xform(&[]);
        assert!(matches!(
            t.apply(record(Some(schemas::int32()), Value::Int32(42))),
            Err(ConnectError::Data(_))
        ));
        assert!(matches!(
            t.apply(record(None, Value::Int32(42))),
            Err(ConnectError::Data(_))
        ));
    }

    fn supported_types() -> (SchemaRef, Struct) {
        let schema = SchemaBuilder::struct_()
            .with_field("int8", schemas::int8())
            .with_field("int16", schemas::int16())
            .with_field("int32", schemas::int32())
            .with_field("int64", schemas::int64())
            .with_field("float32", schemas::float32())
            .with_field("float64", schemas::float64())
            .with_field("boolean", schemas::boolean())
            .with_field("string", schemas::string())
            .with_field("bytes", schemas::bytes())
            .build();
        let value = Struct::new(schema.clone())
            .unwrap()
            .with("int8", Value::Int8(8))
            .unwrap()
            .with("int16", Value::Int16(16))
            .unwrap()
            .with("int32", 32)
            .unwrap()
            .with("int64", 64i64)
            .unwrap()
            .with("float32", Value::Float32(32.0))
            .unwrap()
            .with("float64", 64.0)
            .unwrap()
            .with("boolean", true)
            .unwrap()
            .with("string", "stringy")
            .unwrap()
            .with("bytes", b"bytes".to_vec())
            .unwrap();
        (schema, value)
    }

    #[test]
    fn nested_struct() {
        let (inner_schema, inner) = supported_types();
        let one = SchemaBuilder::struct_()
            .with_field("B", inner_schema)
            .build();
        let two = SchemaBuilder::struct_()
            .with_field("A", one.clone())
            .build();
        let value = Struct::new(two.clone())
            .unwrap()
            .with("A", Struct::new(one).unwrap().with("B", inner).unwrap())
            .unwrap();
        let out = apply(
            &mut value_xform(&[]),
            record(Some(two), Value::Struct(value)),
        );
        let v = out.value.as_struct().unwrap();
        assert_eq!(v.schema().fields.len(), 9);
        assert_eq!(v.get("A.B.int8"), Some(&Value::Int8(8)));
        assert_eq!(v.get("A.B.int64"), Some(&Value::Int64(64)));
        assert_eq!(v.get("A.B.string"), Some(&s("stringy")));
        assert_eq!(v.get("A.B.bytes"), Some(&Value::from(b"bytes".to_vec())));
        v.validate().unwrap();
    }

    #[test]
    fn nested_map_with_delimiter() {
        let inner = map(&[
            ("int8", Value::Int8(8)),
            ("string", s("stringy")),
            ("bytes", Value::from(b"b".to_vec())),
        ]);
        let value = map(&[("A", map(&[("B", inner)]))]);
        let out = apply(
            &mut value_xform(&[(DELIMITER_CONFIG, "#")]),
            record(None, value),
        );
        assert!(out.value_schema.is_none());
        assert_eq!(out.value.map_get("A#B#int8"), Some(&Value::Int8(8)));
        assert_eq!(out.value.map_get("A#B#string"), Some(&s("stringy")));
        let Value::Map(entries) = &out.value else {
            panic!()
        };
        assert_eq!(entries.len(), 3);
    }

    #[test]
    fn optional_fields_and_structs() {
        let inner = SchemaBuilder::struct_()
            .with_field("opt_int32", schemas::optional_int32())
            .build();
        let outer = SchemaBuilder::struct_()
            .with_field("B", inner.clone())
            .build();
        let value = Struct::new(outer.clone())
            .unwrap()
            .with("B", Struct::new(inner).unwrap())
            .unwrap();
        let out = apply(
            &mut value_xform(&[]),
            record(Some(outer), Value::Struct(value)),
        );
        assert_eq!(
            out.value.as_struct().unwrap().get("B.opt_int32"),
            Some(&Value::Null)
        );

        // An optional nested struct that is null.
        let inner = SchemaBuilder::struct_()
            .optional()
            .with_field("opt_int32", schemas::optional_int32())
            .build();
        let outer = SchemaBuilder::struct_().with_field("B", inner).build();
        let value = Struct::new(outer.clone()).unwrap();
        let out = apply(
            &mut value_xform(&[]),
            record(Some(outer), Value::Struct(value)),
        );
        assert_eq!(
            out.value.as_struct().unwrap().get("B.opt_int32"),
            Some(&Value::Null)
        );

        let mut t = value_xform(&[]);
        let out = apply(
            &mut t,
            record(None, map(&[("B", map(&[("opt_int32", Value::Null)]))])),
        );
        assert_eq!(out.value.map_get("B.opt_int32"), Some(&Value::Null));
    }

    #[test]
    fn key_schemaless() {
        let mut t = configured(Flatten::new(Side::Key), &[]);
        let out = apply(
            &mut t,
            keyed(None, map(&[("A", map(&[("B", Value::Int32(12))]))])),
        );
        assert_eq!(out.key.map_get("A.B"), Some(&Value::Int32(12)));
    }

    #[test]
    fn arrays_pass_through() {
        let value = map(&[(
            "foo",
            Value::Array(vec![s("bar"), map(&[("baz", map(&[("lfg", s("lfg"))]))])]),
        )]);
        assert_eq!(
            apply(&mut value_xform(&[]), record(None, value.clone())).value,
            value
        );

        let nested = SchemaBuilder::struct_()
            .with_field("lfg", schemas::string())
            .build();
        let inner = SchemaBuilder::struct_()
            .with_field("baz", nested.clone())
            .build();
        let schema = SchemaBuilder::struct_()
            .with_field(
                "foo",
                SchemaBuilder::array(inner.clone()).doc("durk").build(),
            )
            .build();
        let inner_value = Struct::new(inner)
            .unwrap()
            .with(
                "baz",
                Struct::new(nested).unwrap().with("lfg", "lfg").unwrap(),
            )
            .unwrap();
        let value = Struct::new(schema.clone())
            .unwrap()
            .with("foo", Value::Array(vec![Value::Struct(inner_value)]))
            .unwrap();
        let out = apply(
            &mut value_xform(&[]),
            record(Some(schema.clone()), Value::Struct(value.clone())),
        );
        assert_eq!(out.value, Value::Struct(value));
        assert_eq!(out.value_schema, Some(schema));
    }

    #[test]
    fn optional_and_default_values_nested() {
        let child_builder = SchemaBuilder::struct_()
            .optional()
            .with_field("req_field", schemas::string())
            .with_field(
                "opt_field",
                SchemaBuilder::string()
                    .optional()
                    .default_value(s("child_default"))
                    .unwrap()
                    .build(),
            );
        let partial = child_builder.clone().build();
        let default = Struct::new(partial)
            .unwrap()
            .with("req_field", "req_default")
            .unwrap();
        let schema = child_builder
            .default_value(Value::Struct(default))
            .unwrap()
            .build();
        let value = Struct::new(schema.clone()).unwrap();
        let out = apply(
            &mut value_xform(&[]),
            record(Some(schema), Value::Struct(value)),
        );
        let schema = out.value_schema.unwrap();
        assert_eq!(schema.fields.len(), 2);
        assert_eq!(
            *schema.field("req_field").unwrap().schema,
            SchemaBuilder::string()
                .optional()
                .default_value(s("req_default"))
                .unwrap()
                .build_schema()
        );
        assert_eq!(
            *schema.field("opt_field").unwrap().schema,
            SchemaBuilder::string()
                .optional()
                .default_value(s("child_default"))
                .unwrap()
                .build_schema()
        );
    }

    #[test]
    fn tombstones_pass_through() {
        let out = apply(&mut value_xform(&[]), record(None, Value::Null));
        assert_eq!((out.value_schema, out.value), (None, Value::Null));
        let schema = SchemaBuilder::struct_()
            .name("name")
            .version(1)
            .doc("doc")
            .with_field("magic", schemas::optional_int64())
            .build();
        let out = apply(
            &mut value_xform(&[]),
            record(Some(schema.clone()), Value::Null),
        );
        assert_eq!(out.value_schema, Some(schema));
        assert_eq!(out.value, Value::Null);
    }

    #[test]
    fn flat_values_are_unchanged() {
        let value = map(&[
            ("firstNull", Value::Null),
            ("firstNonNull", s("nonNull")),
            ("secondNull", Value::Null),
        ]);
        assert_eq!(
            apply(&mut value_xform(&[]), record(None, value.clone())).value,
            value
        );
        let schema = SchemaBuilder::struct_()
            .with_field("firstNull", schemas::optional_string())
            .with_field("firstNonNull", schemas::optional_string())
            .build();
        let value = Struct::new(schema.clone())
            .unwrap()
            .with("firstNonNull", "nonNull")
            .unwrap();
        let out = apply(
            &mut value_xform(&[]),
            record(Some(schema), Value::Struct(value.clone())),
        );
        assert_eq!(out.value, Value::Struct(value));
    }

    #[test]
    fn struct_inside_schemaless_map_is_rejected() {
        let schema = SchemaBuilder::struct_()
            .with_field("a", schemas::int32())
            .build();
        let inner = Struct::new(schema).unwrap().with("a", 1).unwrap();
        let err = value_xform(&[])
            .apply(record(None, map(&[("x", Value::Struct(inner))])))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "Flatten transformation does not support class org.apache.kafka.connect.data.Struct for record without \
             schemas (for field x)."
        );
    }

    #[test]
    fn key_with_schema_and_duplicate_names() {
        let inner = SchemaBuilder::struct_()
            .with_field("b", schemas::int32())
            .build();
        let schema = SchemaBuilder::struct_()
            .with_field("a", inner.clone())
            .with_field("x", schemas::string())
            .build();
        let key = Struct::new(schema.clone())
            .unwrap()
            .with(
                "a",
                Struct::new(inner.clone()).unwrap().with("b", 7).unwrap(),
            )
            .unwrap()
            .with("x", "y")
            .unwrap();
        let mut t = configured(Flatten::new(Side::Key), &[(DELIMITER_CONFIG, "_")]);
        let out = apply(&mut t, keyed(Some(schema), Value::Struct(key)));
        let k = out.key.as_struct().unwrap();
        assert_eq!(k.get("a_b"), Some(&Value::Int32(7)));
        assert_eq!(k.get("x"), Some(&s("y")));

        // "a.b" exists both nested and at the top level: Kafka refuses the duplicate field name.
        let clash = SchemaBuilder::struct_()
            .with_field("a", inner)
            .with_field("a.b", schemas::int32())
            .build();
        let value = Struct::new(clash.clone()).unwrap();
        let err = value_xform(&[])
            .apply(record(Some(clash), Value::Struct(value)))
            .unwrap_err();
        assert!(err.to_string().contains("field name duplication"));
    }
}
