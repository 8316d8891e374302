//! Connect schemas to and from their JSON form (Kafka's `asJsonSchema`/`asConnectSchema`): keys written in Kafka's
//! order (type, items|keys/values|fields, optional, name, version, doc, parameters, default), read in any order.

use connect_api::data::{Schema, SchemaBuilder, SchemaRef, SchemaType, Value};
use connect_api::{ConnectError, ConnectResult};

use super::decoder::Decoder;
use super::encoder::Encoder;
use super::reader::{JsonError, JsonResult, Reader, Tree};
use connect_api::data::json_text::{write_bool, write_i64, write_key, write_str};

/// The JSON `type` name of a schema type (FLOAT32 is `float`, FLOAT64 is `double`).
pub(crate) fn type_name(ty: SchemaType) -> &'static str {
    match ty {
        SchemaType::Boolean => "boolean",
        SchemaType::Int8 => "int8",
        SchemaType::Int16 => "int16",
        SchemaType::Int32 => "int32",
        SchemaType::Int64 => "int64",
        SchemaType::Float32 => "float",
        SchemaType::Float64 => "double",
        SchemaType::Bytes => "bytes",
        SchemaType::String => "string",
        SchemaType::Array => "array",
        SchemaType::Map => "map",
        SchemaType::Struct => "struct",
    }
}

fn type_for_name(name: &str) -> Option<SchemaType> {
    Some(match name {
        "boolean" => SchemaType::Boolean,
        "int8" => SchemaType::Int8,
        "int16" => SchemaType::Int16,
        "int32" => SchemaType::Int32,
        "int64" => SchemaType::Int64,
        "float" => SchemaType::Float32,
        "double" => SchemaType::Float64,
        "bytes" => SchemaType::Bytes,
        "string" => SchemaType::String,
        "array" => SchemaType::Array,
        "map" => SchemaType::Map,
        "struct" => SchemaType::Struct,
        _ => return None,
    })
}

/// Writes the JSON form of `schema`; `null` when there is none.
pub(crate) fn write_schema(
    out: &mut Vec<u8>,
    schema: Option<&Schema>,
    encoder: &Encoder,
) -> ConnectResult<()> {
    match schema {
        None => {
            out.extend_from_slice(b"null");
            Ok(())
        }
        Some(schema) => write_object(out, schema, None, encoder),
    }
}

/// One schema object; struct fields carry their name as a trailing `"field"` key.
fn write_object(
    out: &mut Vec<u8>,
    schema: &Schema,
    field: Option<&str>,
    encoder: &Encoder,
) -> ConnectResult<()> {
    out.push(b'{');
    write_key(out, "type");
    write_str(out, type_name(schema.schema_type));
    match schema.schema_type {
        SchemaType::Array => {
            out.extend_from_slice(b",\"items\":");
            write_schema(out, schema.value_schema.as_deref(), encoder)?;
        }
        SchemaType::Map => {
            out.extend_from_slice(b",\"keys\":");
            write_schema(out, schema.key_schema.as_deref(), encoder)?;
            out.extend_from_slice(b",\"values\":");
            write_schema(out, schema.value_schema.as_deref(), encoder)?;
        }
        SchemaType::Struct => {
            out.extend_from_slice(b",\"fields\":[");
            for (i, f) in schema.fields.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_object(out, &f.schema, Some(&f.name), encoder)?;
            }
            out.push(b']');
        }
        _ => {}
    }
    out.extend_from_slice(b",\"optional\":");
    write_bool(out, schema.optional);
    if let Some(name) = &schema.name {
        out.push(b',');
        write_key(out, "name");
        write_str(out, name);
    }
    if let Some(version) = schema.version {
        out.extend_from_slice(b",\"version\":");
        write_i64(out, version.into());
    }
    if let Some(doc) = &schema.doc {
        out.push(b',');
        write_key(out, "doc");
        write_str(out, doc);
    }
    if !schema.parameters.is_empty() {
        out.extend_from_slice(b",\"parameters\":{");
        for (i, (k, v)) in schema.parameters.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            write_key(out, k);
            write_str(out, v);
        }
        out.push(b'}');
    }
    if let Some(default) = &schema.default_value {
        out.extend_from_slice(b",\"default\":");
        encoder.encode(out, Some(schema), default)?;
    }
    if let Some(name) = field {
        out.push(b',');
        write_key(out, "field");
        write_str(out, name);
    }
    out.push(b'}');
    Ok(())
}

/// Parses the JSON form of a schema (the bytes of the envelope's `schema` value); None for JSON `null`.
pub(crate) fn read_schema(json: &[u8], decoder: &Decoder) -> JsonResult<Option<SchemaRef>> {
    let mut reader = Reader::new(json);
    let tree = reader.tree()?;
    to_schema(&tree, json, decoder)
}

fn data(message: impl Into<String>) -> JsonError {
    JsonError::Data(message.into())
}

fn connect_err(e: ConnectError) -> JsonError {
    JsonError::Data(e.message().to_string())
}

fn to_schema(tree: &Tree<'_>, source: &[u8], decoder: &Decoder) -> JsonResult<Option<SchemaRef>> {
    if matches!(tree, Tree::Null) {
        return Ok(None);
    }
    let type_name = match tree.get("type").map(|m| &m.value) {
        Some(Tree::String(t)) => t,
        _ => return Err(data("Schema must contain 'type' field")),
    };
    let ty = type_for_name(type_name)
        .ok_or_else(|| data(format!("Unknown schema type: {type_name}")))?;
    let mut builder = match ty {
        SchemaType::Array => {
            let items = match tree.get("items").map(|m| &m.value) {
                None | Some(Tree::Null) => {
                    return Err(data("Array schema did not specify the element type"))
                }
                Some(items) => items,
            };
            let items = to_schema(items, source, decoder)?
                .ok_or_else(|| data("Array schema did not specify the element type"))?;
            SchemaBuilder::array(items)
        }
        SchemaType::Map => {
            let keys = tree
                .get("keys")
                .ok_or_else(|| data("Map schema did not specify the key type"))?;
            let values = tree
                .get("values")
                .ok_or_else(|| data("Map schema did not specify the value type"))?;
            let keys = to_schema(&keys.value, source, decoder)?
                .ok_or_else(|| data("keySchema cannot be null."))?;
            let values = to_schema(&values.value, source, decoder)?
                .ok_or_else(|| data("valueSchema cannot be null."))?;
            SchemaBuilder::map(keys, values)
        }
        SchemaType::Struct => {
            let fields = match tree.get("fields").map(|m| &m.value) {
                Some(Tree::Array(fields)) => fields,
                _ => return Err(data("Struct schema's \"fields\" argument is not an array.")),
            };
            let mut builder = SchemaBuilder::struct_();
            for field in fields {
                let name = match field.get("field").map(|m| &m.value) {
                    Some(Tree::String(name)) => name.to_string(),
                    _ => return Err(data("Struct schema's field name not specified properly")),
                };
                let schema = to_schema(field, source, decoder)?
                    .ok_or_else(|| data("Struct schema's field name not specified properly"))?;
                builder = builder.field(name, schema).map_err(connect_err)?;
            }
            builder
        }
        other => SchemaBuilder::new(other),
    };

    builder = match tree.get("optional").map(|m| &m.value) {
        Some(Tree::Bool(true)) => builder.optional(),
        _ => builder.required(),
    };
    if let Some(Tree::String(name)) = tree.get("name").map(|m| &m.value) {
        builder = builder.name(name.as_ref());
    }
    if let Some(Tree::Number(n)) = tree.get("version").map(|m| &m.value) {
        if n.integral {
            // Jackson's intValue(): the low 32 bits.
            let v = n.text.parse::<i64>().unwrap_or(0) as i32;
            builder = builder.version(v);
        }
    }
    if let Some(Tree::String(doc)) = tree.get("doc").map(|m| &m.value) {
        builder = builder.doc(doc.as_ref());
    }
    if let Some(Tree::Object(params)) = tree.get("parameters").map(|m| &m.value) {
        for p in params {
            match &p.value {
                Tree::String(v) => builder = builder.parameter(p.key.as_ref(), v.as_ref()),
                _ => return Err(data("Schema parameters must have string values.")),
            }
        }
    }
    if let Some(default) = tree.get("default") {
        let partial = builder.clone().build();
        let mut reader = Reader::new(&source[default.span.0..default.span.1]);
        let value = decoder.decode(&mut reader, Some(&partial))?;
        if !matches!(value, Value::Null) {
            builder = builder.default_value(value).map_err(connect_err)?;
        }
    }
    Ok(Some(builder.build()))
}
