//! `ReplaceField$Key` / `ReplaceField$Value`: `include`/`exclude`/`renames` fields (`whitelist`/`blacklist` aliases).

use std::collections::{HashMap, HashSet};

use connect_api::config::{ConfigDef, ConfigType, Importance};
use connect_api::connector::Config;
use connect_api::data::{Schema, SchemaRef, Struct, Value};
use connect_api::transform::Transformation;
use connect_api::{ConnectRecord, ConnectResult};

use crate::util::config::{self as cfg, invalid, java_list, java_split};
use crate::util::requirements::{into_map, into_struct};
use crate::util::schema::{field_value, struct_like, SchemaCache};
use crate::util::Side;

pub const EXCLUDE_CONFIG: &str = "exclude";
pub const INCLUDE_CONFIG: &str = "include";
pub const RENAMES_CONFIG: &str = "renames";
/// Deprecated name of `include` (removed from Kafka in 4.0, still accepted here).
pub const WHITELIST_CONFIG: &str = "whitelist";
/// Deprecated name of `exclude` (removed from Kafka in 4.0, still accepted here).
pub const BLACKLIST_CONFIG: &str = "blacklist";
const PURPOSE: &str = "field replacement";

pub fn config_def() -> ConfigDef {
    cfg::with_replace_null_with_default(
        ConfigDef::new()
            .define(
                EXCLUDE_CONFIG,
                ConfigType::List,
                Importance::Medium,
                "Fields to exclude. This takes precedence over the fields to include.",
            )
            .default_value("")
            .define(
                INCLUDE_CONFIG,
                ConfigType::List,
                Importance::Medium,
                "Fields to include. If specified, only these fields will be used.",
            )
            .default_value("")
            .define(
                RENAMES_CONFIG,
                ConfigType::List,
                Importance::Medium,
                "Field rename mappings.",
            )
            .default_value("")
            .add(),
    )
}

/// Filters and renames fields.
#[derive(Debug)]
pub struct ReplaceField {
    side: Side,
    exclude: HashSet<String>,
    include: HashSet<String>,
    renames: HashMap<String, String>,
    replace_null_with_default: bool,
    cache: SchemaCache<(SchemaRef, std::sync::Arc<Vec<usize>>)>,
}

impl ReplaceField {
    pub fn new(side: Side) -> Self {
        ReplaceField {
            side,
            exclude: HashSet::new(),
            include: HashSet::new(),
            renames: HashMap::new(),
            replace_null_with_default: true,
            cache: SchemaCache::new(),
        }
    }

    fn keep(&self, field: &str) -> bool {
        !self.exclude.contains(field) && (self.include.is_empty() || self.include.contains(field))
    }

    fn renamed<'a>(&'a self, field: &'a str) -> &'a str {
        self.renames.get(field).map_or(field, String::as_str)
    }

    /// The output schema, and for each output field the index of its source field.
    fn build_schema(
        &self,
        schema: &Schema,
    ) -> ConnectResult<(SchemaRef, std::sync::Arc<Vec<usize>>)> {
        let mut builder = struct_like(schema);
        let mut sources = Vec::new();
        for field in &schema.fields {
            if self.keep(&field.name) {
                builder =
                    builder.field(self.renamed(&field.name).to_string(), field.schema.clone())?;
                sources.push(field.index);
            }
        }
        Ok((builder.build(), std::sync::Arc::new(sources)))
    }
}

/// Parses `old:new` pairs with Kafka's error for anything else.
fn parse_renames(mappings: &[String]) -> ConnectResult<HashMap<String, String>> {
    let mut renames = HashMap::new();
    for mapping in mappings {
        match java_split(mapping, ':').as_slice() {
            [from, to] => {
                renames.insert(from.to_string(), to.to_string());
            }
            _ => {
                return Err(invalid(
                    RENAMES_CONFIG,
                    &java_list(mappings),
                    &format!("Invalid rename mapping: {mapping}"),
                ))
            }
        }
    }
    Ok(renames)
}

impl Transformation for ReplaceField {
    fn configure(&mut self, config: &Config) -> ConnectResult<()> {
        // Kafka's translateDeprecatedConfigs: the new name wins; the old one is used when the new one is absent.
        let mut props = config.clone();
        for (new, old) in [
            (INCLUDE_CONFIG, WHITELIST_CONFIG),
            (EXCLUDE_CONFIG, BLACKLIST_CONFIG),
        ] {
            if let Some(v) = config.get(old) {
                props.entry(new.to_string()).or_insert_with(|| v.clone());
            }
        }
        let parsed = cfg::parse(&config_def(), &props)?;
        self.exclude = parsed.list(EXCLUDE_CONFIG).into_iter().collect();
        self.include = parsed.list(INCLUDE_CONFIG).into_iter().collect();
        self.renames = parse_renames(&parsed.list(RENAMES_CONFIG))?;
        self.replace_null_with_default = cfg::replace_null_with_default(&parsed);
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
                let mut out: Vec<(Value, Value)> = Vec::with_capacity(entries.len());
                for (key, v) in entries {
                    let Value::String(name) = &key else { continue };
                    if !self.keep(name) {
                        continue;
                    }
                    match self.renames.get(name) {
                        // Input keys are unique; only a renamed key can collide (Java's HashMap.put replaces).
                        Some(new_name) => {
                            match out.iter_mut().find(|(k, _)| k.as_str() == Some(new_name)) {
                                Some(slot) => slot.1 = v,
                                None => out.push((Value::String(new_name.clone()), v)),
                            }
                        }
                        None => out.push((key, v)),
                    }
                }
                self.side.set(&mut record, None, Value::Map(out));
            }
            Some(schema) => {
                let value = into_struct(value, PURPOSE)?;
                let (updated, sources) = self
                    .cache
                    .get_or_try_insert(&schema, |s| self.build_schema(s))?;
                let mut out = Struct::new(updated.clone())?;
                let source_fields = &value.schema().fields;
                for (index, source) in sources.iter().enumerate() {
                    let field = &source_fields[*source];
                    out.put_unchecked(
                        index,
                        field_value(&value, field, self.replace_null_with_default).clone(),
                    );
                }
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
    use connect_api::data::{schemas, SchemaBuilder};

    fn xform(pairs: &[(&str, &str)]) -> ReplaceField {
        configured(ReplaceField::new(Side::Value), pairs)
    }

    fn schemaless_value() -> Value {
        map(&[
            ("dont", s("whatever")),
            ("abc", Value::Int32(42)),
            ("foo", Value::Boolean(true)),
            ("etc", s("etc")),
        ])
    }

    #[test]
    fn tombstones_pass_through() {
        let mut t = xform(&[
            (EXCLUDE_CONFIG, "dont"),
            (RENAMES_CONFIG, "abc:xyz,foo:bar"),
        ]);
        let r = record(None, Value::Null);
        assert_eq!(apply(&mut t, r.clone()), r);
        let schema = SchemaBuilder::struct_()
            .optional()
            .with_field("dont", schemas::string())
            .build();
        let r = record(Some(schema), Value::Null);
        assert_eq!(apply(&mut t, r.clone()), r);
    }

    #[test]
    fn schemaless() {
        let mut t = xform(&[
            (EXCLUDE_CONFIG, "dont"),
            (RENAMES_CONFIG, "abc:xyz,foo:bar"),
        ]);
        let out = apply(&mut t, record(None, schemaless_value()));
        assert_eq!(
            out.value,
            map(&[
                ("xyz", Value::Int32(42)),
                ("bar", Value::Boolean(true)),
                ("etc", s("etc"))
            ])
        );
    }

    #[test]
    fn include_with_renames_schemaless() {
        let mut t = xform(&[
            (INCLUDE_CONFIG, "abc,foo"),
            (RENAMES_CONFIG, "abc:xyz,foo:bar"),
        ]);
        let out = apply(&mut t, record(None, schemaless_value()));
        assert_eq!(
            out.value,
            map(&[("xyz", Value::Int32(42)), ("bar", Value::Boolean(true))])
        );
    }

    #[test]
    fn legacy_whitelist_and_blacklist() {
        let mut t = xform(&[(WHITELIST_CONFIG, "abc,foo"), (BLACKLIST_CONFIG, "foo")]);
        let out = apply(&mut t, record(None, schemaless_value()));
        assert_eq!(out.value, map(&[("abc", Value::Int32(42))]));
        // The new names win over the old ones.
        let mut t = xform(&[(INCLUDE_CONFIG, "etc"), (WHITELIST_CONFIG, "abc")]);
        assert_eq!(
            apply(&mut t, record(None, schemaless_value())).value,
            map(&[("etc", s("etc"))])
        );
    }

    #[test]
    fn with_schema() {
        let mut t = xform(&[
            (INCLUDE_CONFIG, "abc,foo,bar"),
            (EXCLUDE_CONFIG, "dont"),
            (RENAMES_CONFIG, "abc:xyz,foo:bar"),
        ]);
        let schema = SchemaBuilder::struct_()
            .name("test")
            .with_field("dont", schemas::string())
            .with_field("abc", schemas::int32())
            .with_field("foo", schemas::boolean())
            .with_field("etc", schemas::string())
            .build();
        let value = Struct::new(schema.clone())
            .unwrap()
            .with("dont", "whatever")
            .unwrap()
            .with("abc", 42)
            .unwrap()
            .with("foo", true)
            .unwrap()
            .with("etc", "etc")
            .unwrap();
        let out = apply(&mut t, record(Some(schema), Value::Struct(value)));
        let v = out.value.as_struct().unwrap();
        assert_eq!(v.schema().name.as_deref(), Some("test"));
        let names: Vec<_> = v.schema().fields.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, vec!["xyz", "bar"]);
        assert_eq!(v.get("xyz"), Some(&Value::Int32(42)));
        assert_eq!(v.get("bar"), Some(&Value::Boolean(true)));
        assert_eq!(out.value_schema.as_ref(), Some(v.schema()));
    }

    #[test]
    fn invalid_renames() {
        for bad in ["foo", "abc:xyz:zzz", "abc:"] {
            let err =
                config_error(ReplaceField::new(Side::Value), &[(RENAMES_CONFIG, bad)]).to_string();
            assert_eq!(err, format!("Invalid value [{bad}] for configuration renames: Invalid rename mapping: {bad}"));
        }
    }

    #[test]
    fn replace_null_with_default() {
        let schema = SchemaBuilder::struct_()
            .with_field(
                "a",
                SchemaBuilder::int32()
                    .optional()
                    .default_value(Value::Int32(5))
                    .unwrap()
                    .build(),
            )
            .build();
        let value = Value::Struct(Struct::new(schema.clone()).unwrap());
        let out = apply(&mut xform(&[]), record(Some(schema.clone()), value.clone()));
        assert_eq!(
            out.value.as_struct().unwrap().get_without_default("a"),
            Some(&Value::Int32(5))
        );
        let out = apply(
            &mut xform(&[("replace.null.with.default", "false")]),
            record(Some(schema), value),
        );
        assert_eq!(
            out.value.as_struct().unwrap().get_without_default("a"),
            Some(&Value::Null)
        );
    }

    #[test]
    fn key_side_schemaless() {
        let mut t = configured(ReplaceField::new(Side::Key), &[(EXCLUDE_CONFIG, "dont")]);
        let out = apply(&mut t, keyed(None, schemaless_value()));
        assert_eq!(
            out.key,
            map(&[
                ("abc", Value::Int32(42)),
                ("foo", Value::Boolean(true)),
                ("etc", s("etc"))
            ])
        );
    }
}
