//! An index mapping from a Connect value schema (used when `schema.ignore=false`): Connect types to OpenSearch
//! field types, Decimals as `double`, Date and Timestamp as `date` (epoch millis), Time as `integer`.

use connect_api::data::{logical, Schema, SchemaType};
use serde_json::{json, Value as Json};

/// The `mappings` body for a STRUCT value schema; None for other schemas (dynamic mapping then decides).
pub fn mapping_for(schema: &Schema) -> Option<Json> {
    (schema.schema_type == SchemaType::Struct).then(|| properties(schema))
}

fn properties(schema: &Schema) -> Json {
    let fields: serde_json::Map<String, Json> = schema
        .fields
        .iter()
        .filter_map(|f| field_type(&f.schema).map(|t| (f.name.clone(), t)))
        .collect();
    json!({ "properties": fields })
}

fn field_type(schema: &Schema) -> Option<Json> {
    match schema.name.as_deref() {
        Some(logical::DECIMAL) => return Some(json!({"type": "double"})),
        Some(logical::DATE) | Some(logical::TIMESTAMP) => {
            return Some(
                json!({"type": "date", "format": "epoch_millis||strict_date_optional_time"}),
            )
        }
        Some(logical::TIME) => return Some(json!({"type": "integer"})),
        _ => {}
    }
    let simple = match schema.schema_type {
        SchemaType::Int8 => "byte",
        SchemaType::Int16 => "short",
        SchemaType::Int32 => "integer",
        SchemaType::Int64 => "long",
        SchemaType::Float32 => "float",
        SchemaType::Float64 => "double",
        SchemaType::Boolean => "boolean",
        SchemaType::String => "text",
        SchemaType::Bytes => "binary",
        // Arrays take their element's mapping; maps are left to dynamic mapping.
        SchemaType::Array => return schema.value_schema.as_deref().and_then(field_type),
        SchemaType::Map => return None,
        SchemaType::Struct => return Some(properties(schema)),
    };
    Some(json!({ "type": simple }))
}

#[cfg(test)]
mod tests {
    use connect_api::data::{schemas, SchemaBuilder};

    use super::*;

    #[test]
    fn struct_schema_to_mapping() {
        let inner = SchemaBuilder::struct_()
            .with_field("x", schemas::int16())
            .build();
        let schema = SchemaBuilder::struct_()
            .with_field("id", schemas::int64())
            .with_field("name", schemas::string())
            .with_field("price", logical::decimal(2))
            .with_field("at", logical::timestamp_builder().build())
            .with_field("tags", SchemaBuilder::array(schemas::string()).build())
            .with_field("inner", inner)
            .build();
        assert_eq!(
            mapping_for(&schema).unwrap(),
            json!({"properties": {
                "id": {"type": "long"},
                "name": {"type": "text"},
                "price": {"type": "double"},
                "at": {"type": "date", "format": "epoch_millis||strict_date_optional_time"},
                "tags": {"type": "text"},
                "inner": {"properties": {"x": {"type": "short"}}},
            }})
        );
        assert_eq!(mapping_for(&schemas::string()), None);
    }
}
