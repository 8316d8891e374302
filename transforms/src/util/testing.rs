//! Test helpers: configuring an SMT from string pairs and building records and values tersely.

use connect_api::connector::Config;
use connect_api::data::{SchemaRef, Value};
use connect_api::transform::{Predicate, Transformation};
use connect_api::{ConnectError, ConnectRecord};

pub fn props(pairs: &[(&str, &str)]) -> Config {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

pub fn configured<T: Transformation>(mut t: T, pairs: &[(&str, &str)]) -> T {
    t.configure(&props(pairs)).expect("configure");
    t
}

pub fn configured_predicate<P: Predicate>(mut p: P, pairs: &[(&str, &str)]) -> P {
    p.configure(&props(pairs)).expect("configure");
    p
}

pub fn config_error<T: Transformation>(mut t: T, pairs: &[(&str, &str)]) -> ConnectError {
    match t.configure(&props(pairs)) {
        Ok(()) => panic!("expected a config error for {pairs:?}"),
        Err(e) => e,
    }
}

/// A source record (no Kafka offset) with a value.
pub fn record(value_schema: Option<SchemaRef>, value: Value) -> ConnectRecord {
    ConnectRecord {
        kafka_partition: Some(0),
        ..ConnectRecord::new("topic", value_schema, value)
    }
}

/// A source record with a key.
pub fn keyed(key_schema: Option<SchemaRef>, key: Value) -> ConnectRecord {
    record(None, Value::Null).with_key(key_schema, key)
}

pub fn apply<T: Transformation>(t: &mut T, r: ConnectRecord) -> ConnectRecord {
    t.apply(r).expect("apply").expect("record kept")
}

pub fn s(v: &str) -> Value {
    Value::String(v.to_string())
}

/// A schemaless map value from string keys.
pub fn map(pairs: &[(&str, Value)]) -> Value {
    Value::Map(pairs.iter().map(|(k, v)| (s(k), v.clone())).collect())
}
