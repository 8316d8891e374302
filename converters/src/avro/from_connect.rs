//! Connect schema → Avro schema JSON, as Confluent's `AvroData.fromConnectSchema` writes it (with
//! `connect.meta.data=true`): the same types, names, `connect.*` properties, logical types, unions and property order,
//! so that the text registered with the Schema Registry is the one a Java worker would register.

use connect_api::data::{logical, Schema, SchemaType, Value};
use connect_api::{ConnectError, ConnectResult};
use serde_json::{json, Map, Value as Json};

use super::{
    AVRO_FIELD_DEFAULT_FLAG_PROP, AVRO_FIELD_DOC_PREFIX_PROP, AVRO_RECORD_DOC_PROP,
    AVRO_TYPE_UNION, CONNECT_AVRO_DECIMAL_PRECISION_DEFAULT, CONNECT_AVRO_DECIMAL_PRECISION_PROP,
    CONNECT_DEFAULT_VALUE_PROP, CONNECT_DOC_PROP, CONNECT_INTERNAL_TYPE_NAME, CONNECT_NAME_PROP,
    CONNECT_PARAMETERS_PROP, CONNECT_TYPE_PROP, CONNECT_VERSION_PROP, DEFAULT_SCHEMA_NAME,
    MAP_ENTRY_TYPE_NAME, NAMESPACE,
};

/// The Avro schema (as JSON) Confluent's AvroData derives from a Connect schema; `meta` is `connect.meta.data`.
pub fn avro_schema_json(schema: &Schema, meta: bool) -> ConnectResult<Json> {
    FromConnect {
        meta,
        defined: Vec::new(),
        used_names: Vec::new(),
    }
    .convert(schema, false, None)
}

/// Whether a Connect map is written as an Avro map (required string keys) rather than an array of entries.
pub(crate) fn is_string_keyed(schema: &Schema) -> bool {
    schema
        .key_schema
        .as_deref()
        .is_some_and(|k| k.schema_type == SchemaType::String && !k.optional)
}

/// `name` split at its last dot into (namespace, simple name), as Confluent's `splitName`.
fn split_name(name: &str) -> (Option<&str>, &str) {
    match name.rfind('.') {
        Some(i) => (Some(&name[..i]), &name[i + 1..]),
        None => (None, name),
    }
}

fn full_name(namespace: Option<&str>, name: &str) -> String {
    match namespace {
        Some(ns) if !ns.is_empty() => format!("{ns}.{name}"),
        _ => name.to_string(),
    }
}

struct FromConnect {
    meta: bool,
    /// Records already written in this schema (by their required Connect schema) and their full names: a second
    /// use is written as a name reference, as Avro prints a schema object it has printed before.
    defined: Vec<(Schema, String, Option<String>)>,
    used_names: Vec<String>,
}

impl FromConnect {
    fn convert(
        &mut self,
        s: &Schema,
        ignore_optional: bool,
        ns: Option<&str>,
    ) -> ConnectResult<Json> {
        if s.schema_type == SchemaType::Struct && s.name.as_deref() == Some(AVRO_TYPE_UNION) {
            let mut branches = Vec::with_capacity(s.fields.len() + 1);
            if s.optional {
                branches.push(json!("null"));
            }
            for f in &s.fields {
                branches.push(self.convert(&f.schema, true, ns)?);
            }
            return Ok(Json::Array(branches));
        }
        if s.optional && !ignore_optional {
            let inner = self.convert(s, true, ns)?;
            return Ok(
                if s.schema_type == SchemaType::Struct || s.default_value.is_none() {
                    json!(["null", inner])
                } else {
                    json!([inner, "null"])
                },
            );
        }
        self.base(s, ns)
    }

    /// The name reference if an equal record was already written, else None.
    fn reference(&self, s: &Schema, ns: Option<&str>) -> Option<Json> {
        let key = required(s);
        let (_, full, space) = self.defined.iter().find(|(d, _, _)| *d == key)?;
        let short = full.rsplit('.').next().unwrap_or(full);
        Some(if space.as_deref() == ns {
            json!(short)
        } else {
            json!(full)
        })
    }

    /// A record name not used yet in this schema: Avro cannot define two different records with one name, so
    /// further unnamed structs (and map entries) get a numeric suffix (`ConnectDefault2`, ...).
    fn unique_name(&mut self, namespace: Option<&str>, name: &str) -> String {
        let mut candidate = name.to_string();
        let mut n = 1;
        while self.used_names.contains(&full_name(namespace, &candidate)) {
            n += 1;
            candidate = format!("{name}{n}");
        }
        self.used_names.push(full_name(namespace, &candidate));
        candidate
    }

    fn base(&mut self, s: &Schema, ns: Option<&str>) -> ConnectResult<Json> {
        let (namespace, name) = match &s.name {
            Some(n) => split_name(n),
            None => (Some(NAMESPACE), DEFAULT_SCHEMA_NAME),
        };
        let mut props = Map::new();
        let mut connect_type = None;
        let avro_type = match s.schema_type {
            SchemaType::Int8 => {
                connect_type = Some("int8");
                "int"
            }
            SchemaType::Int16 => {
                connect_type = Some("int16");
                "int"
            }
            SchemaType::Int32 => "int",
            SchemaType::Int64 => "long",
            SchemaType::Float32 => "float",
            SchemaType::Float64 => "double",
            SchemaType::Boolean => "boolean",
            SchemaType::String => "string",
            SchemaType::Bytes => "bytes",
            SchemaType::Array => "array",
            SchemaType::Map => {
                if is_string_keyed(s) {
                    "map"
                } else {
                    "array"
                }
            }
            SchemaType::Struct => "record",
        };
        props.insert("type".into(), json!(avro_type));
        if is_decimal(s) {
            // AvroData puts scale and precision on the bytes schema before anything else.
            props.insert("scale".into(), json!(decimal_scale(s)?));
            props.insert("precision".into(), json!(decimal_precision(s)?));
        }
        match s.schema_type {
            SchemaType::Array => {
                let items = s
                    .value_schema
                    .as_deref()
                    .ok_or_else(|| missing(s, "value"))?;
                props.insert("items".into(), self.convert(items, false, ns)?);
            }
            SchemaType::Map if is_string_keyed(s) => {
                let values = s
                    .value_schema
                    .as_deref()
                    .ok_or_else(|| missing(s, "value"))?;
                props.insert("values".into(), self.convert(values, false, ns)?);
            }
            SchemaType::Map => {
                let entry = match self.reference(s, ns) {
                    Some(reference) => reference,
                    None => {
                        let (space, entry_name) = match &s.name {
                            Some(_) => (namespace, name),
                            None => (Some(NAMESPACE), MAP_ENTRY_TYPE_NAME),
                        };
                        let entry_name = self.unique_name(space, entry_name);
                        self.defined.push((
                            required(s),
                            full_name(space, &entry_name),
                            space.map(str::to_string),
                        ));
                        let mut record = Map::new();
                        record.insert("type".into(), json!("record"));
                        write_name(&mut record, &entry_name, space, ns);
                        let key = s.key_schema.as_deref().ok_or_else(|| missing(s, "key"))?;
                        let value = s
                            .value_schema
                            .as_deref()
                            .ok_or_else(|| missing(s, "value"))?;
                        let fields = vec![
                            self.field("key", key, None, space)?,
                            self.field("value", value, None, space)?,
                        ];
                        record.insert("fields".into(), Json::Array(fields));
                        if s.name.is_some() {
                            record.insert(
                                CONNECT_INTERNAL_TYPE_NAME.into(),
                                json!(MAP_ENTRY_TYPE_NAME),
                            );
                        }
                        Json::Object(record)
                    }
                };
                props.insert("items".into(), entry);
            }
            SchemaType::Struct => {
                if let Some(reference) = self.reference(s, ns) {
                    return Ok(reference);
                }
                let record_name = if s.name.is_some() {
                    self.used_names.push(full_name(namespace, name));
                    name.to_string()
                } else {
                    self.unique_name(namespace, name)
                };
                self.defined.push((
                    required(s),
                    full_name(namespace, &record_name),
                    namespace.map(str::to_string),
                ));
                write_name(&mut props, &record_name, namespace, ns);
                if let Some(doc) = s.parameter(AVRO_RECORD_DOC_PROP) {
                    props.insert("doc".into(), json!(doc));
                }
                let mut fields = Vec::with_capacity(s.fields.len());
                for f in &s.fields {
                    let doc = s.parameter(&format!("{AVRO_FIELD_DOC_PREFIX_PROP}{}", f.name));
                    fields.push(self.field(&f.name, &f.schema, doc, namespace)?);
                }
                props.insert("fields".into(), Json::Array(fields));
            }
            _ => {}
        }

        if self.meta {
            if let Some(doc) = &s.doc {
                props.insert(CONNECT_DOC_PROP.into(), json!(doc));
            }
            if let Some(version) = s.version {
                props.insert(CONNECT_VERSION_PROP.into(), json!(version));
            }
            let params: Map<String, Json> = s
                .parameters
                .iter()
                .filter(|(k, _)| k.as_str() != AVRO_FIELD_DEFAULT_FLAG_PROP)
                .map(|(k, v)| (k.clone(), json!(v)))
                .collect();
            if !params.is_empty() {
                props.insert(CONNECT_PARAMETERS_PROP.into(), Json::Object(params));
            }
            if let Some(default) = &s.default_value {
                if s.parameter(AVRO_FIELD_DEFAULT_FLAG_PROP).is_none() {
                    props.insert(CONNECT_DEFAULT_VALUE_PROP.into(), default_json(s, default)?);
                }
            }
            if let Some(n) = &s.name {
                props.insert(CONNECT_NAME_PROP.into(), json!(n));
            }
            if let Some(t) = connect_type {
                props.insert(CONNECT_TYPE_PROP.into(), json!(t));
            }
        }
        let logical_type = match s.name.as_deref() {
            Some(logical::DECIMAL) if s.schema_type == SchemaType::Bytes => Some("decimal"),
            Some(logical::TIME) if s.schema_type == SchemaType::Int32 => Some("time-millis"),
            Some(logical::TIMESTAMP) if s.schema_type == SchemaType::Int64 => {
                Some("timestamp-millis")
            }
            Some(logical::DATE) if s.schema_type == SchemaType::Int32 => Some("date"),
            _ => None,
        };
        if let Some(lt) = logical_type {
            props.insert("logicalType".into(), json!(lt));
        }
        for (k, v) in &s.parameters {
            if k.starts_with("avro") && !props.contains_key(k) {
                props.insert(k.clone(), json!(v));
            }
        }
        if props.len() == 1 {
            return Ok(props.remove("type").unwrap_or(Json::Null));
        }
        Ok(Json::Object(props))
    }

    /// One record field: name, type, doc, then `default` (the Connect default, or null for an optional field).
    fn field(
        &mut self,
        name: &str,
        schema: &Schema,
        doc: Option<&str>,
        ns: Option<&str>,
    ) -> ConnectResult<Json> {
        let mut f = Map::new();
        f.insert("name".into(), json!(name));
        f.insert("type".into(), self.convert(schema, false, ns)?);
        if let Some(doc) = doc {
            f.insert("doc".into(), json!(doc));
        }
        if let Some(default) = &schema.default_value {
            f.insert("default".into(), default_json(schema, default)?);
        } else if schema.optional {
            f.insert("default".into(), Json::Null);
        }
        Ok(Json::Object(f))
    }
}

/// `"name"`, then `"namespace"` when it differs from the enclosing one (as Avro's `Schema.toString` writes it).
fn write_name(
    out: &mut Map<String, Json>,
    name: &str,
    namespace: Option<&str>,
    enclosing: Option<&str>,
) {
    out.insert("name".into(), json!(name));
    match namespace {
        Some(space) if Some(space) != enclosing => {
            out.insert("namespace".into(), json!(space));
        }
        None if enclosing.is_some() => {
            out.insert("namespace".into(), json!(""));
        }
        _ => {}
    }
}

fn required(s: &Schema) -> Schema {
    let mut copy = s.clone();
    copy.optional = false;
    copy
}

fn missing(s: &Schema, what: &str) -> ConnectError {
    ConnectError::data(format!("{} schema has no {what} schema", s.schema_type))
}

pub(crate) fn is_decimal(s: &Schema) -> bool {
    s.schema_type == SchemaType::Bytes
        && s.name
            .as_deref()
            .is_some_and(|n| n.eq_ignore_ascii_case(logical::DECIMAL))
}

fn decimal_scale(s: &Schema) -> ConnectResult<i64> {
    let text = s
        .parameter(logical::SCALE)
        .ok_or_else(|| ConnectError::data("Invalid Decimal schema: scale parameter not found."))?;
    text.trim()
        .parse()
        .map_err(|_| ConnectError::data(format!("Invalid Decimal scale: {text}")))
}

fn decimal_precision(s: &Schema) -> ConnectResult<i64> {
    match s.parameter(CONNECT_AVRO_DECIMAL_PRECISION_PROP) {
        Some(text) => text.trim().parse().map_err(|_| {
            ConnectError::data(format!(
                "Invalid {CONNECT_AVRO_DECIMAL_PRECISION_PROP}: {text}"
            ))
        }),
        None => Ok(CONNECT_AVRO_DECIMAL_PRECISION_DEFAULT),
    }
}

/// A float as Java prints it (`1.1f` stays 1.1 rather than becoming 1.100000023841858).
fn float_json(v: f32) -> Json {
    v.to_string()
        .parse::<f64>()
        .ok()
        .and_then(|d| serde_json::Number::from_f64(d).map(Json::Number))
        .unwrap_or(Json::Null)
}

/// A Connect default value as the JSON of an Avro default (Confluent's `defaultValueFromConnect`).
pub(crate) fn default_json(s: &Schema, v: &Value) -> ConnectResult<Json> {
    let bad = || {
        ConnectError::data(format!(
            "Invalid type used for default value of {} field: {}",
            s.schema_type,
            crate::java::class_of(v)
        ))
    };
    Ok(match (s.schema_type, v) {
        (_, Value::Null) => Json::Null,
        (SchemaType::Int8, Value::Int8(i)) => json!(i),
        (SchemaType::Int16, Value::Int16(i)) => json!(i),
        (SchemaType::Int32, Value::Int32(i)) => json!(i),
        (SchemaType::Int64, Value::Int64(i)) => json!(i),
        (SchemaType::Float32, Value::Float32(f)) => float_json(*f),
        (SchemaType::Float64, Value::Float64(f)) => serde_json::Number::from_f64(*f)
            .map(Json::Number)
            .unwrap_or(Json::Null),
        (SchemaType::Boolean, Value::Boolean(b)) => json!(b),
        (SchemaType::String, Value::String(t)) => json!(t),
        (SchemaType::Bytes, Value::Bytes(b)) => {
            Json::String(b.iter().map(|&c| c as char).collect())
        }
        (SchemaType::Array, Value::Array(items)) => {
            let item = s.value_schema.as_deref().ok_or_else(bad)?;
            Json::Array(
                items
                    .iter()
                    .map(|i| default_json(item, i))
                    .collect::<ConnectResult<_>>()?,
            )
        }
        (SchemaType::Map, Value::Map(entries)) => {
            let key = s.key_schema.as_deref().ok_or_else(bad)?;
            let value = s.value_schema.as_deref().ok_or_else(bad)?;
            if is_string_keyed(s) {
                let mut out = Map::new();
                for (k, v) in entries {
                    let k = k.as_str().ok_or_else(bad)?;
                    out.insert(k.to_string(), default_json(value, v)?);
                }
                Json::Object(out)
            } else {
                Json::Array(
                    entries
                        .iter()
                        .map(|(k, v)| Ok(json!([default_json(key, k)?, default_json(value, v)?])))
                        .collect::<ConnectResult<_>>()?,
                )
            }
        }
        (SchemaType::Struct, Value::Struct(st)) => {
            let mut out = Map::new();
            for f in &s.fields {
                let fv = st.get(&f.name).unwrap_or(&Value::Null);
                out.insert(f.name.clone(), default_json(&f.schema, fv)?);
            }
            Json::Object(out)
        }
        _ => return Err(bad()),
    })
}
