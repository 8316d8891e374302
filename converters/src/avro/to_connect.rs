//! Avro schema → Connect schema, as Confluent's `AvroData.toConnectSchema` maps it: `connect.*` properties restore
//! the original Connect schema, logical types become Decimal/Date/Time/Timestamp, `[null, T]` unions optional
//! schemas, other unions `io.confluent.connect.avro.Union` structs, enums strings, and arrays of `MapEntry`
//! records maps.

use connect_api::data::{logical, SchemaBuilder, SchemaRef, SchemaType, Struct, Value};
use connect_api::{ConnectError, ConnectResult};
use serde_json::Value as Json;

use super::schema::{AvroSchema, Kind, Node};
use super::{
    AVRO_ENUM_DEFAULT_PREFIX_PROP, AVRO_ENUM_DOC_PREFIX_PROP, AVRO_FIELD_DEFAULT_FLAG_PROP,
    AVRO_FIELD_DOC_PREFIX_PROP, AVRO_RECORD_DOC_PROP, AVRO_TYPE_ENUM, AVRO_TYPE_UNION,
    CONNECT_AVRO_DECIMAL_PRECISION_DEFAULT, CONNECT_AVRO_DECIMAL_PRECISION_PROP,
    CONNECT_AVRO_FIXED_SIZE_PROP, CONNECT_DEFAULT_VALUE_PROP, CONNECT_DOC_PROP,
    CONNECT_INTERNAL_TYPE_NAME, CONNECT_NAME_PROP, CONNECT_PARAMETERS_PROP, CONNECT_TYPE_PROP,
    CONNECT_VERSION_PROP, DEFAULT_SCHEMA_NAME, MAP_ENTRY_TYPE_NAME, NAMESPACE,
};

/// The Connect schema of an Avro schema; `version` (the registry version) is used when the schema carries no
/// `connect.version`; `meta` is `connect.meta.data`.
pub(crate) fn to_connect_schema(
    avro: &AvroSchema,
    version: Option<i32>,
    meta: bool,
) -> ConnectResult<SchemaRef> {
    ToConnect {
        avro,
        meta,
        stack: Vec::new(),
    }
    .convert(avro.root, false, None, version)
}

/// Whether an array's items are the key/value records Confluent writes for maps with non-string keys.
pub(crate) fn is_map_entry(avro: &AvroSchema, items: usize) -> bool {
    let node = avro.node(items);
    match &node.kind {
        Kind::Record { name, .. } => {
            name == &format!("{NAMESPACE}.{MAP_ENTRY_TYPE_NAME}")
                || node.prop_str(CONNECT_INTERNAL_TYPE_NAME) == Some(MAP_ENTRY_TYPE_NAME)
        }
        _ => false,
    }
}

/// The field name of a union member in a Connect Union struct: a named type's simple name, else the type name.
pub(crate) fn union_member_field_name(node: &Node) -> String {
    match node.full_name() {
        Some(full) => full.rsplit('.').next().unwrap_or(full).to_string(),
        None => node.type_name().to_string(),
    }
}

/// For a union `[null, T]` or `[T, null]`: the index of T.
pub(crate) fn nullable_branch(avro: &AvroSchema, branches: &[usize]) -> Option<usize> {
    if branches.len() != 2 {
        return None;
    }
    let is_null = |i: usize| matches!(avro.node(branches[i]).kind, Kind::Null);
    match (is_null(0), is_null(1)) {
        (true, false) => Some(1),
        (false, true) => Some(0),
        _ => None,
    }
}

fn err(msg: impl Into<String>) -> ConnectError {
    ConnectError::data(msg)
}

struct ToConnect<'a> {
    avro: &'a AvroSchema,
    meta: bool,
    stack: Vec<usize>,
}

impl ToConnect<'_> {
    fn convert(
        &mut self,
        index: usize,
        force_optional: bool,
        field_default: Option<&Json>,
        version: Option<i32>,
    ) -> ConnectResult<SchemaRef> {
        let node = self.avro.node(index);
        let logical_type = node.prop_str("logicalType");
        let mut builder = match &node.kind {
            Kind::Null => {
                return Err(err(
                    "Standalone null schemas are not supported by this converter",
                ))
            }
            Kind::Boolean => SchemaBuilder::boolean(),
            Kind::Bytes | Kind::Fixed { .. } => {
                let mut b = if logical_type.is_some_and(|l| l.eq_ignore_ascii_case("decimal")) {
                    let scale = match node.props.get("scale") {
                        Some(Json::Number(n)) => n.as_i64().unwrap_or(0) as i32,
                        _ => 0,
                    };
                    let mut b = logical::decimal_builder(scale);
                    match node.props.get("precision") {
                        None => {}
                        Some(Json::Number(n)) if n.as_i64().is_some() => {
                            let precision = n.as_i64().unwrap_or_default();
                            if precision != CONNECT_AVRO_DECIMAL_PRECISION_DEFAULT {
                                b = b.parameter(
                                    CONNECT_AVRO_DECIMAL_PRECISION_PROP,
                                    precision.to_string(),
                                );
                            }
                        }
                        Some(_) => {
                            return Err(err(
                                "precision property must be a JSON Integer. https://avro.apache.org/docs/1.9.1/spec.html#Decimal",
                            ))
                        }
                    }
                    b
                } else {
                    SchemaBuilder::bytes()
                };
                if let Kind::Fixed { size, .. } = &node.kind {
                    b = b.parameter(CONNECT_AVRO_FIXED_SIZE_PROP, size.to_string());
                }
                b
            }
            Kind::Double => SchemaBuilder::float64(),
            Kind::Float => SchemaBuilder::float32(),
            Kind::Int => {
                let connect_type = node.prop_str(CONNECT_TYPE_PROP);
                match (connect_type, logical_type) {
                    (None, None) => SchemaBuilder::int32(),
                    (_, Some(l)) if l.eq_ignore_ascii_case("date") => logical::date_builder(),
                    (_, Some(l)) if l.eq_ignore_ascii_case("time-millis") => {
                        logical::time_builder()
                    }
                    (_, Some(_)) => SchemaBuilder::int32(),
                    (Some("int8"), None) => SchemaBuilder::int8(),
                    (Some("int16"), None) => SchemaBuilder::int16(),
                    (Some(_), None) => {
                        return Err(err("Connect type annotation for Avro int field is null"))
                    }
                }
            }
            Kind::Long => {
                if logical_type.is_some_and(|l| l.eq_ignore_ascii_case("timestamp-millis")) {
                    logical::timestamp_builder()
                } else {
                    SchemaBuilder::int64()
                }
            }
            Kind::String => SchemaBuilder::string(),
            Kind::Array(items) => {
                let items = *items;
                if is_map_entry(self.avro, items) {
                    let Kind::Record { fields, .. } = &self.avro.node(items).kind else {
                        unreachable!("is_map_entry checked the kind")
                    };
                    let key = fields.iter().find(|f| f.name == "key");
                    let value = fields.iter().find(|f| f.name == "value");
                    let (Some(key), Some(value), 2) = (key, value, fields.len()) else {
                        return Err(err("Found map encoded as array of key-value pairs, but array elements do not match the expected format."));
                    };
                    let (key, value) = (key.node, value.node);
                    SchemaBuilder::map(
                        self.convert(key, false, None, None)?,
                        self.convert(value, false, None, None)?,
                    )
                } else {
                    SchemaBuilder::array(self.convert(items, false, None, None)?)
                }
            }
            Kind::Map(values) => SchemaBuilder::map(
                connect_api::data::schemas::string(),
                self.convert(*values, false, None, None)?,
            ),
            Kind::Record { name, doc, fields } => {
                if self.stack.contains(&index) {
                    return Err(err(format!(
                        "Recursive Avro schemas are not supported by this converter: {name}"
                    )));
                }
                self.stack.push(index);
                let mut b = SchemaBuilder::struct_();
                if self.meta {
                    if let Some(doc) = doc {
                        b = b.parameter(AVRO_RECORD_DOC_PROP, doc.clone());
                    }
                }
                for f in fields {
                    if self.meta {
                        if let Some(doc) = &f.doc {
                            b = b.parameter(
                                format!("{AVRO_FIELD_DOC_PREFIX_PROP}{}", f.name),
                                doc.clone(),
                            );
                        }
                    }
                    let schema = self.convert(f.node, false, f.default.as_ref(), None)?;
                    b = b.field(f.name.clone(), schema)?;
                }
                self.stack.pop();
                b
            }
            Kind::Enum {
                name,
                doc,
                symbols,
                default,
            } => {
                let simple = name.rsplit('.').next().unwrap_or(name);
                let mut b = SchemaBuilder::string();
                if self.meta {
                    if let Some(doc) = doc {
                        b = b
                            .parameter(format!("{AVRO_ENUM_DOC_PREFIX_PROP}{simple}"), doc.clone());
                    }
                    if let Some(default) = default {
                        b = b.parameter(
                            format!("{AVRO_ENUM_DEFAULT_PREFIX_PROP}{simple}"),
                            default.clone(),
                        );
                    }
                }
                b = b.parameter(AVRO_TYPE_ENUM, name.clone());
                for s in symbols {
                    b = b.parameter(format!("{AVRO_TYPE_ENUM}.{s}"), s.clone());
                }
                b
            }
            Kind::Union(branches) => {
                if let Some(i) = nullable_branch(self.avro, branches) {
                    return self.convert(branches[i], true, None, None);
                }
                let mut b = SchemaBuilder::struct_().name(AVRO_TYPE_UNION);
                let mut names: Vec<String> = Vec::new();
                for &m in branches {
                    let member = self.avro.node(m);
                    if matches!(member.kind, Kind::Null) {
                        b = b.optional();
                        continue;
                    }
                    let field = union_member_field_name(member);
                    if names.contains(&field) {
                        return Err(err(
                            "Multiple union schemas map to the Connect union field name",
                        ));
                    }
                    names.push(field.clone());
                    let schema = self.convert(m, true, None, None)?;
                    b = b.field(field, schema)?;
                }
                b
            }
        };

        if self.meta {
            if let Some(doc) = node.prop_str(CONNECT_DOC_PROP) {
                builder = builder.doc(doc);
            }
        }
        let version = match node.props.get(CONNECT_VERSION_PROP) {
            Some(Json::Number(n)) => Some(n.as_i64().unwrap_or(-1) as i32),
            Some(other) => return Err(err(format!("Invalid Connect version found: {other}"))),
            None => version,
        };
        if let Some(v) = version.filter(|v| *v >= 0) {
            let built = builder.clone().build();
            match built.version {
                Some(existing) if existing != v => {
                    return Err(err(format!("Mismatched versions: version already added to SchemaBuilder ({existing}) differs from version in source schema ({v})")))
                }
                Some(_) => {}
                None => builder = builder.version(v),
            }
        }
        if self.meta {
            match node.props.get(CONNECT_PARAMETERS_PROP) {
                None => {}
                Some(Json::Object(params)) => {
                    for (k, v) in params {
                        let Json::String(v) = v else {
                            return Err(err(format!(
                                "Expected schema parameter values to be strings but found: {v}"
                            )));
                        };
                        builder = builder.parameter(k.clone(), v.clone());
                    }
                }
                Some(other) => {
                    return Err(err(format!(
                        "Expected JSON object for schema parameters but found: {other}"
                    )))
                }
            }
        }
        for (k, v) in &node.props {
            if k.starts_with("avro") {
                let text = match v {
                    Json::String(s) => s.clone(),
                    other => other.to_string(),
                };
                builder = builder.parameter(k.clone(), text);
            }
        }
        let connect_default = node.props.get(CONNECT_DEFAULT_VALUE_PROP);
        let default = match field_default {
            None => connect_default,
            Some(d) => {
                if connect_default.is_none() {
                    builder = builder.parameter(AVRO_FIELD_DEFAULT_FLAG_PROP, "true");
                }
                Some(d)
            }
        };
        let name = match node.props.get(CONNECT_NAME_PROP) {
            Some(Json::String(n)) => Some(n.clone()),
            Some(other) => return Err(err(format!("Invalid schema name: {other}"))),
            None => match &node.kind {
                Kind::Record { name, .. } | Kind::Enum { name, .. } => Some(name.clone()),
                _ => None,
            },
        };
        if let Some(name) = name.filter(|n| n != &format!("{NAMESPACE}.{DEFAULT_SCHEMA_NAME}")) {
            let current = builder.clone().build();
            match &current.name {
                Some(existing) if existing != &name => {
                    return Err(err(format!("Mismatched names: name already added to SchemaBuilder ({existing}) differs from name in source schema ({name})")))
                }
                Some(_) => {}
                None => builder = builder.name(name),
            }
        }
        if force_optional {
            builder = builder.optional();
        }
        if let Some(default) = default.filter(|d| !d.is_null()) {
            let schema = builder.clone().build();
            let value = default_from_avro(self.avro, index, &schema, default)?;
            if !value.is_null() {
                builder = builder.default_value(value)?;
            }
        }
        Ok(builder.build())
    }
}

/// An Avro default (JSON) as a Connect value of `schema` (Confluent's `defaultValueFromAvro`).
pub(crate) fn default_from_avro(
    avro: &AvroSchema,
    index: usize,
    schema: &SchemaRef,
    json: &Json,
) -> ConnectResult<Value> {
    if json.is_null() {
        return Ok(Value::Null);
    }
    let bad = || {
        err(format!(
            "Invalid default value {json} for Avro type {}",
            avro.node(index).type_name()
        ))
    };
    Ok(match &avro.node(index).kind {
        Kind::Null => Value::Null,
        Kind::Int => {
            let i = json.as_i64().ok_or_else(bad)?;
            match schema.schema_type {
                SchemaType::Int8 => Value::Int8(i as i8),
                SchemaType::Int16 => Value::Int16(i as i16),
                _ => Value::Int32(i as i32),
            }
        }
        Kind::Long => Value::Int64(json.as_i64().ok_or_else(bad)?),
        Kind::Float => Value::Float32(json.as_f64().ok_or_else(bad)? as f32),
        Kind::Double => Value::Float64(json.as_f64().ok_or_else(bad)?),
        Kind::Boolean => Value::Boolean(json.as_bool().ok_or_else(bad)?),
        Kind::String | Kind::Enum { .. } => {
            Value::String(json.as_str().ok_or_else(bad)?.to_string())
        }
        Kind::Bytes | Kind::Fixed { .. } => {
            let text = json.as_str().ok_or_else(bad)?;
            let bytes: Option<Vec<u8>> =
                text.chars().map(|c| u8::try_from(c as u32).ok()).collect();
            Value::from(bytes.ok_or_else(bad)?)
        }
        Kind::Array(items) => {
            let list = json.as_array().ok_or_else(bad)?;
            if schema.schema_type == SchemaType::Map {
                let ks = schema.key_schema.as_ref().ok_or_else(bad)?;
                let vs = schema.value_schema.as_ref().ok_or_else(bad)?;
                let Kind::Record { fields, .. } = &avro.node(*items).kind else {
                    return Err(bad());
                };
                let kn = fields
                    .iter()
                    .find(|f| f.name == "key")
                    .ok_or_else(bad)?
                    .node;
                let vn = fields
                    .iter()
                    .find(|f| f.name == "value")
                    .ok_or_else(bad)?
                    .node;
                let mut entries = Vec::with_capacity(list.len());
                for e in list {
                    let (k, v) = match e {
                        Json::Array(pair) if pair.len() == 2 => (&pair[0], &pair[1]),
                        Json::Object(o) => (
                            o.get("key").unwrap_or(&Json::Null),
                            o.get("value").unwrap_or(&Json::Null),
                        ),
                        _ => return Err(bad()),
                    };
                    entries.push((
                        default_from_avro(avro, kn, ks, k)?,
                        default_from_avro(avro, vn, vs, v)?,
                    ));
                }
                Value::Map(entries)
            } else {
                let vs = schema.value_schema.as_ref().ok_or_else(bad)?;
                Value::Array(
                    list.iter()
                        .map(|e| default_from_avro(avro, *items, vs, e))
                        .collect::<ConnectResult<_>>()?,
                )
            }
        }
        Kind::Map(values) => {
            let obj = json.as_object().ok_or_else(bad)?;
            let vs = schema.value_schema.as_ref().ok_or_else(bad)?;
            Value::Map(
                obj.iter()
                    .map(|(k, v)| {
                        Ok((
                            Value::String(k.clone()),
                            default_from_avro(avro, *values, vs, v)?,
                        ))
                    })
                    .collect::<ConnectResult<_>>()?,
            )
        }
        Kind::Record { fields, .. } => {
            let obj = json.as_object().ok_or_else(bad)?;
            let mut st = Struct::new(schema.clone())?;
            for (i, f) in fields.iter().enumerate() {
                let fs = &schema.fields[i].schema;
                let v =
                    default_from_avro(avro, f.node, fs, obj.get(&f.name).unwrap_or(&Json::Null))?;
                st.put_unchecked(i, v);
            }
            Value::Struct(st)
        }
        Kind::Union(branches) => {
            let first = *branches.first().ok_or_else(bad)?;
            if matches!(avro.node(first).kind, Kind::Null) {
                return Ok(Value::Null);
            }
            if nullable_branch(avro, branches).is_some() {
                return default_from_avro(avro, first, schema, json);
            }
            let field = schema.fields.first().ok_or_else(bad)?;
            let mut st = Struct::new(schema.clone())?;
            st.put_unchecked(0, default_from_avro(avro, first, &field.schema, json)?);
            Value::Struct(st)
        }
    })
}
