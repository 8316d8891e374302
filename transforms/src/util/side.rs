//! `Side`: which half of a record (`$Key` or `$Value`) a key/value SMT reads and rewrites.

use connect_api::data::{SchemaRef, Value};
use connect_api::ConnectRecord;

/// The part of a record a `$Key` or `$Value` transformation operates on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Side {
    Key,
    Value,
}

impl Side {
    /// `Key` or `Value`, as in the nested Java class name `Cast$Value`.
    pub fn suffix(self) -> &'static str {
        match self {
            Side::Key => "Key",
            Side::Value => "Value",
        }
    }

    /// The operating schema (Kafka's `operatingSchema(record)`).
    pub fn schema(self, record: &ConnectRecord) -> Option<&SchemaRef> {
        match self {
            Side::Key => record.key_schema.as_ref(),
            Side::Value => record.value_schema.as_ref(),
        }
    }

    /// The operating value (Kafka's `operatingValue(record)`).
    pub fn value(self, record: &ConnectRecord) -> &Value {
        match self {
            Side::Key => &record.key,
            Side::Value => &record.value,
        }
    }

    /// Moves the operating schema and value out of the record, leaving nulls behind.
    pub fn take(self, record: &mut ConnectRecord) -> (Option<SchemaRef>, Value) {
        match self {
            Side::Key => (record.key_schema.take(), std::mem::take(&mut record.key)),
            Side::Value => (
                record.value_schema.take(),
                std::mem::take(&mut record.value),
            ),
        }
    }

    /// Replaces the operating schema and value (Kafka's `newRecord(record, updatedSchema, updatedValue)`).
    pub fn set(self, record: &mut ConnectRecord, schema: Option<SchemaRef>, value: Value) {
        match self {
            Side::Key => {
                record.key_schema = schema;
                record.key = value;
            }
            Side::Value => {
                record.value_schema = schema;
                record.value = value;
            }
        }
    }

    /// Builder-style [`Side::set`].
    pub fn with(
        self,
        mut record: ConnectRecord,
        schema: Option<SchemaRef>,
        value: Value,
    ) -> ConnectRecord {
        self.set(&mut record, schema, value);
        record
    }
}
