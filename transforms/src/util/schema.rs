//! Schema helpers: `copySchemaBasics`, default-aware field access, and the per-input-schema `SchemaCache`.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::sync::Arc;

use connect_api::data::{Field, Schema, SchemaBuilder, SchemaRef, SchemaType, Struct, Value};
use connect_api::ConnectResult;

/// `SchemaUtil.copySchemaBasics(source, builder)`: name, version, doc and parameters.
pub fn copy_basics(source: &Schema, mut builder: SchemaBuilder) -> SchemaBuilder {
    if let Some(name) = &source.name {
        builder = builder.name(name.clone());
    }
    if let Some(version) = source.version {
        builder = builder.version(version);
    }
    if let Some(doc) = &source.doc {
        builder = builder.doc(doc.clone());
    }
    if !source.parameters.is_empty() {
        builder = builder.parameters(source.parameters.clone());
    }
    builder
}

/// `SchemaUtil.copySchemaBasics(source)`: a builder of the same type (with element/key/value schemas) and basics.
pub fn copy_basics_of(source: &Schema) -> SchemaBuilder {
    let builder = match source.schema_type {
        SchemaType::Array => SchemaBuilder::array(value_schema(source)),
        SchemaType::Map => SchemaBuilder::map(
            source
                .key_schema
                .clone()
                .unwrap_or_else(connect_api::data::schemas::optional_string),
            value_schema(source),
        ),
        other => SchemaBuilder::new(other),
    };
    copy_basics(source, builder)
}

fn value_schema(source: &Schema) -> SchemaRef {
    source
        .value_schema
        .clone()
        .unwrap_or_else(connect_api::data::schemas::optional_string)
}

/// A STRUCT builder with `source`'s basics and the given optionality (no fields yet).
pub fn struct_like(source: &Schema) -> SchemaBuilder {
    copy_basics(source, SchemaBuilder::struct_())
}

/// A struct field's value: `struct.get(field)` (null replaced by the field default) when `replace_null_with_default`,
/// else `struct.getWithoutDefault(field)`.
pub fn field_value<'a>(
    s: &'a Struct,
    field: &'a Field,
    replace_null_with_default: bool,
) -> &'a Value {
    let value = &s.values()[field.index];
    if replace_null_with_default && value.is_null() {
        if let Some(default) = &field.schema.default_value {
            return default;
        }
    }
    value
}

/// [`field_value`] by name (`None` when the struct has no such field).
pub fn named_field_value<'a>(
    s: &'a Struct,
    name: &str,
    replace_null_with_default: bool,
) -> Option<&'a Value> {
    let field = s.schema().field(name)?;
    let value = &s.values()[field.index];
    if replace_null_with_default && value.is_null() {
        if let Some(default) = &field.schema.default_value {
            return Some(default);
        }
    }
    Some(value)
}

/// Stores a value whose type already fits `schema` (it comes from a field of that schema, or was converted to it),
/// checking only what `Struct.put` would still reject: a null in a required field without default.
pub fn put_fitting(
    s: &mut Struct,
    index: usize,
    name: &str,
    schema: &Schema,
    value: Value,
) -> ConnectResult<()> {
    if value.is_null() && !schema.optional && schema.default_value.is_none() {
        return Err(connect_api::ConnectError::data(format!(
            "Invalid value: null used for required field: \"{name}\", schema type: {}",
            schema.schema_type
        )));
    }
    s.put_unchecked(index, value);
    Ok(())
}

/// The default capacity Kafka gives its schema caches (`new LRUCache<>(16)`).
pub const CACHE_CAPACITY: usize = 16;

/// A small cache from input schema to whatever an SMT derives from it (usually the output schema), so that the
/// derived schema is built once per input schema and shared (same `Arc`) by every record that carries it.
///
/// Lookups compare `Arc` pointers first (the common case: one schema instance per stream) and fall back to deep
/// equality, remembering the new pointer so that the next lookup is a pointer hit. The oldest entry is evicted
/// past the capacity. Interior mutability lets an SMT build the value from `&self` while it looks up.
#[derive(Debug)]
pub struct SchemaCache<V: Clone = SchemaRef> {
    entries: RefCell<VecDeque<(SchemaRef, V)>>,
    capacity: usize,
}

impl<V: Clone> Default for SchemaCache<V> {
    fn default() -> Self {
        Self::new()
    }
}

impl<V: Clone> SchemaCache<V> {
    pub fn new() -> Self {
        Self::with_capacity(CACHE_CAPACITY)
    }

    pub fn with_capacity(capacity: usize) -> Self {
        SchemaCache {
            entries: RefCell::new(VecDeque::with_capacity(capacity)),
            capacity: capacity.max(1),
        }
    }

    /// The cached value for `key`, if any.
    pub fn get(&self, key: &SchemaRef) -> Option<V> {
        let found = {
            let entries = self.entries.borrow();
            if let Some((_, v)) = entries.iter().find(|(k, _)| Arc::ptr_eq(k, key)) {
                return Some(v.clone());
            }
            entries
                .iter()
                .find(|(k, _)| **k == **key)
                .map(|(_, v)| v.clone())?
        };
        self.insert(key.clone(), found.clone());
        Some(found)
    }

    pub fn insert(&self, key: SchemaRef, value: V) {
        let mut entries = self.entries.borrow_mut();
        if entries.len() >= self.capacity {
            entries.pop_front();
        }
        entries.push_back((key, value));
    }

    /// The cached value for `key`, building and caching it on a miss.
    pub fn get_or_try_insert(
        &self,
        key: &SchemaRef,
        build: impl FnOnce(&Schema) -> ConnectResult<V>,
    ) -> ConnectResult<V> {
        if let Some(v) = self.get(key) {
            return Ok(v);
        }
        let value = build(key)?;
        self.insert(key.clone(), value.clone());
        Ok(value)
    }

    pub fn len(&self) -> usize {
        self.entries.borrow().len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.borrow().is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use connect_api::data::schemas;

    #[test]
    fn cache_builds_once_per_schema_and_matches_equal_schemas() {
        let cache: SchemaCache = SchemaCache::new();
        let a = SchemaBuilder::struct_()
            .with_field("x", schemas::int32())
            .build();
        let same = SchemaBuilder::struct_()
            .with_field("x", schemas::int32())
            .build();
        let mut builds = 0;
        let first = cache
            .get_or_try_insert(&a, |_| {
                builds += 1;
                Ok(schemas::string())
            })
            .unwrap();
        let second = cache
            .get_or_try_insert(&same, |_| {
                builds += 1;
                Ok(schemas::int8())
            })
            .unwrap();
        assert_eq!(builds, 1);
        assert!(Arc::ptr_eq(&first, &second));
    }

    #[test]
    fn cache_is_bounded() {
        let cache: SchemaCache<i32> = SchemaCache::with_capacity(2);
        for i in 0..5 {
            let s = SchemaBuilder::int32().version(i).build();
            cache.insert(s, i);
        }
        assert_eq!(cache.len(), 2);
    }
}
