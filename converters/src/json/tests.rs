//! JsonConverter against the facts of Kafka's `JsonConverterTest` (expected JSON texts and values), plus byte-exact
//! output in Kafka's key order, errors, caches and round trips.

use connect_api::converter::{Converter, HeaderConverter};
use connect_api::data::{
    logical, schemas, SchemaAndValue, SchemaBuilder, SchemaRef, Struct, Value,
};
use connect_api::header::Headers;
use connect_api::Config;

use super::JsonConverter;

const TOPIC: &str = "topic";

fn converter(props: &[(&str, &str)]) -> JsonConverter {
    let mut c = JsonConverter::new();
    let config: Config = props
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Converter::configure(&mut c, &config, false).unwrap();
    c
}

fn to_json(c: &mut JsonConverter, schema: Option<SchemaRef>, value: Value) -> String {
    let bytes = c
        .from_connect_data(TOPIC, &mut Headers::new(), schema.as_ref(), &value)
        .unwrap()
        .expect("not a tombstone");
    String::from_utf8(bytes).unwrap()
}

fn to_connect(c: &mut JsonConverter, json: &str) -> SchemaAndValue {
    c.to_connect_data(TOPIC, &Headers::new(), Some(json.as_bytes()))
        .unwrap()
}

fn to_connect_err(c: &mut JsonConverter, json: &str) -> String {
    c.to_connect_data(TOPIC, &Headers::new(), Some(json.as_bytes()))
        .unwrap_err()
        .message()
        .to_string()
}

fn sv(schema: SchemaRef, value: impl Into<Value>) -> SchemaAndValue {
    SchemaAndValue::new(Some(schema), value.into())
}

#[test]
fn connect_schema_metadata_translation() {
    let mut c = converter(&[]);
    assert_eq!(
        to_connect(
            &mut c,
            r#"{ "schema": { "type": "boolean" }, "payload": true }"#
        ),
        sv(schemas::boolean(), true)
    );
    assert_eq!(
        to_connect(
            &mut c,
            r#"{ "schema": { "type": "boolean", "optional": true }, "payload": null }"#
        ),
        SchemaAndValue::new(Some(schemas::optional_boolean()), Value::Null)
    );
    let with_default = SchemaBuilder::boolean()
        .default_value(Value::Boolean(true))
        .unwrap()
        .build();
    assert_eq!(
        to_connect(
            &mut c,
            r#"{ "schema": { "type": "boolean", "default": true }, "payload": null }"#
        ),
        sv(with_default, true)
    );
    let full = SchemaBuilder::boolean()
        .required()
        .name("bool")
        .version(2)
        .doc("the documentation")
        .parameter("foo", "bar")
        .build();
    assert_eq!(
        to_connect(
            &mut c,
            r#"{ "schema": { "type": "boolean", "optional": false, "name": "bool", "version": 2, "doc": "the documentation", "parameters": { "foo": "bar" }}, "payload": true }"#
        ),
        sv(full, true)
    );
}

#[test]
fn primitive_types_to_connect() {
    let mut c = converter(&[]);
    let cases: Vec<(&str, SchemaRef, Value)> = vec![
        (
            r#"{ "schema": { "type": "boolean" }, "payload": false }"#,
            schemas::boolean(),
            Value::Boolean(false),
        ),
        (
            r#"{ "schema": { "type": "int8" }, "payload": 12 }"#,
            schemas::int8(),
            Value::Int8(12),
        ),
        (
            r#"{ "schema": { "type": "int16" }, "payload": 12 }"#,
            schemas::int16(),
            Value::Int16(12),
        ),
        (
            r#"{ "schema": { "type": "int32" }, "payload": 12 }"#,
            schemas::int32(),
            Value::Int32(12),
        ),
        (
            r#"{ "schema": { "type": "int64" }, "payload": 12 }"#,
            schemas::int64(),
            Value::Int64(12),
        ),
        (
            r#"{ "schema": { "type": "int64" }, "payload": 4398046511104 }"#,
            schemas::int64(),
            Value::Int64(4_398_046_511_104),
        ),
        (
            r#"{ "schema": { "type": "float" }, "payload": 12.34 }"#,
            schemas::float32(),
            Value::Float32(12.34),
        ),
        (
            r#"{ "schema": { "type": "double" }, "payload": 12.34 }"#,
            schemas::float64(),
            Value::Float64(12.34),
        ),
        (
            r#"{ "schema": { "type": "bytes" }, "payload": "dGVzdC1zdHJpbmc=" }"#,
            schemas::bytes(),
            Value::Bytes(b"test-string".to_vec().into()),
        ),
        (
            r#"{ "schema": { "type": "string" }, "payload": "foo-bar-baz" }"#,
            schemas::string(),
            "foo-bar-baz".into(),
        ),
    ];
    for (json, schema, value) in cases {
        assert_eq!(to_connect(&mut c, json), sv(schema, value), "{json}");
    }
}

#[test]
fn structured_types_to_connect() {
    let mut c = converter(&[]);
    assert_eq!(
        to_connect(
            &mut c,
            r#"{ "schema": { "type": "array", "items": { "type" : "int32" } }, "payload": [1, 2, 3] }"#
        ),
        sv(
            SchemaBuilder::array(schemas::int32()).build(),
            Value::Array(vec![Value::Int32(1), Value::Int32(2), Value::Int32(3)])
        )
    );
    assert_eq!(
        to_connect(
            &mut c,
            r#"{ "schema": { "type": "map", "keys": { "type" : "string" }, "values": { "type" : "int32" } }, "payload": { "key1": 12, "key2": 15} }"#
        ),
        sv(
            SchemaBuilder::map(schemas::string(), schemas::int32()).build(),
            Value::Map(vec![
                ("key1".into(), Value::Int32(12)),
                ("key2".into(), Value::Int32(15))
            ])
        )
    );
    assert_eq!(
        to_connect(
            &mut c,
            r#"{ "schema": { "type": "map", "keys": { "type" : "int32" }, "values": { "type" : "int32" } }, "payload": [ [1, 12], [2, 15] ] }"#
        ),
        sv(
            SchemaBuilder::map(schemas::int32(), schemas::int32()).build(),
            Value::Map(vec![
                (Value::Int32(1), Value::Int32(12)),
                (Value::Int32(2), Value::Int32(15))
            ])
        )
    );
    let schema = SchemaBuilder::struct_()
        .with_field("field1", schemas::boolean())
        .with_field("field2", schemas::string())
        .build();
    let expected = Struct::new(schema.clone())
        .unwrap()
        .with("field1", true)
        .unwrap()
        .with("field2", "string")
        .unwrap();
    assert_eq!(
        to_connect(
            &mut c,
            r#"{ "schema": { "type": "struct", "fields": [{ "field": "field1", "type": "boolean" }, { "field": "field2", "type": "string" }] }, "payload": { "field1": true, "field2": "string" } }"#
        ),
        sv(schema, expected)
    );
}

#[test]
fn null_schema_payloads_to_connect() {
    let mut c = converter(&[]);
    assert_eq!(
        to_connect(&mut c, r#"{ "schema": null, "payload": null }"#),
        SchemaAndValue::null()
    );
    let cases: Vec<(&str, Value)> = vec![
        (
            r#"{ "schema": null, "payload": true }"#,
            Value::Boolean(true),
        ),
        (r#"{ "schema": null, "payload": 12 }"#, Value::Int64(12)),
        (
            r#"{ "schema": null, "payload": 12.24 }"#,
            Value::Float64(12.24),
        ),
        (
            r#"{ "schema": null, "payload": "a string" }"#,
            "a string".into(),
        ),
        (
            r#"{ "schema": null, "payload": [1, "2", 3] }"#,
            Value::Array(vec![Value::Int64(1), "2".into(), Value::Int64(3)]),
        ),
        (
            r#"{ "schema": null, "payload": { "field1": 1, "field2": 2} }"#,
            Value::Map(vec![
                ("field1".into(), Value::Int64(1)),
                ("field2".into(), Value::Int64(2)),
            ]),
        ),
    ];
    for (json, value) in cases {
        assert_eq!(
            to_connect(&mut c, json),
            SchemaAndValue::new(None, value),
            "{json}"
        );
    }
}

#[test]
fn logical_types_to_connect() {
    let mut c = converter(&[]);
    let decimal = to_connect(
        &mut c,
        r#"{ "schema": { "type": "bytes", "name": "org.apache.kafka.connect.data.Decimal", "version": 1, "parameters": { "scale": "2" } }, "payload": "AJw=" }"#,
    );
    assert_eq!(
        decimal,
        sv(logical::decimal(2), Value::Bytes(vec![0, 0x9c].into()))
    );
    let numeric = to_connect(
        &mut c,
        r#"{ "schema": { "type": "bytes", "name": "org.apache.kafka.connect.data.Decimal", "version": 1, "parameters": { "scale": "2" } }, "payload": 1.56 }"#,
    );
    assert_eq!(numeric, decimal);
    let defaulted = to_connect(
        &mut c,
        r#"{ "schema": { "type": "bytes", "name": "org.apache.kafka.connect.data.Decimal", "version": 1, "default": "AJw=", "parameters": { "scale": "2" } }, "payload": null }"#,
    );
    assert_eq!(defaulted.value, Value::Bytes(vec![0, 0x9c].into()));
    assert_eq!(
        to_connect(
            &mut c,
            r#"{ "schema": { "type": "int32", "name": "org.apache.kafka.connect.data.Date", "version": 1 }, "payload": 10000 }"#
        ),
        sv(logical::date_builder().build(), Value::Int32(10000))
    );
    assert_eq!(
        to_connect(
            &mut c,
            r#"{ "schema": { "type": "int32", "name": "org.apache.kafka.connect.data.Time", "version": 1 }, "payload": 14400000 }"#
        ),
        sv(logical::time_builder().build(), Value::Int32(14_400_000))
    );
    assert_eq!(
        to_connect(
            &mut c,
            r#"{ "schema": { "type": "int64", "name": "org.apache.kafka.connect.data.Timestamp", "version": 1 }, "payload": 4000000000 }"#
        ),
        sv(
            logical::timestamp_builder().build(),
            Value::Int64(4_000_000_000)
        )
    );
}

#[test]
fn schema_metadata_to_json_in_kafka_key_order() {
    let mut c = converter(&[]);
    assert_eq!(
        to_json(&mut c, Some(schemas::boolean()), Value::Boolean(true)),
        r#"{"schema":{"type":"boolean","optional":false},"payload":true}"#
    );
    assert_eq!(
        to_json(&mut c, Some(schemas::optional_boolean()), Value::Null),
        r#"{"schema":{"type":"boolean","optional":true},"payload":null}"#
    );
    let with_default = SchemaBuilder::boolean()
        .default_value(Value::Boolean(true))
        .unwrap()
        .build();
    assert_eq!(
        to_json(&mut c, Some(with_default), Value::Boolean(true)),
        r#"{"schema":{"type":"boolean","optional":false,"default":true},"payload":true}"#
    );
    let full = SchemaBuilder::boolean()
        .required()
        .name("bool")
        .version(3)
        .doc("the documentation")
        .parameter("foo", "bar")
        .build();
    assert_eq!(
        to_json(&mut c, Some(full), Value::Boolean(true)),
        r#"{"schema":{"type":"boolean","optional":false,"name":"bool","version":3,"doc":"the documentation","parameters":{"foo":"bar"}},"payload":true}"#
    );
}

#[test]
fn types_to_json() {
    let mut c = converter(&[]);
    let cases: Vec<(SchemaRef, Value, &str)> = vec![
        (
            schemas::int8(),
            Value::Int8(12),
            r#"{"schema":{"type":"int8","optional":false},"payload":12}"#,
        ),
        (
            schemas::int16(),
            Value::Int16(12),
            r#"{"schema":{"type":"int16","optional":false},"payload":12}"#,
        ),
        (
            schemas::int32(),
            Value::Int32(12),
            r#"{"schema":{"type":"int32","optional":false},"payload":12}"#,
        ),
        (
            schemas::int64(),
            Value::Int64(4_398_046_511_104),
            r#"{"schema":{"type":"int64","optional":false},"payload":4398046511104}"#,
        ),
        (
            schemas::float32(),
            Value::Float32(12.34),
            r#"{"schema":{"type":"float","optional":false},"payload":12.34}"#,
        ),
        (
            schemas::float64(),
            Value::Float64(12.34),
            r#"{"schema":{"type":"double","optional":false},"payload":12.34}"#,
        ),
        (
            schemas::bytes(),
            Value::Bytes(b"test-string".to_vec().into()),
            r#"{"schema":{"type":"bytes","optional":false},"payload":"dGVzdC1zdHJpbmc="}"#,
        ),
        (
            schemas::string(),
            "test-string".into(),
            r#"{"schema":{"type":"string","optional":false},"payload":"test-string"}"#,
        ),
        (
            SchemaBuilder::array(schemas::int32()).build(),
            Value::Array(vec![Value::Int32(1), Value::Int32(2), Value::Int32(3)]),
            r#"{"schema":{"type":"array","items":{"type":"int32","optional":false},"optional":false},"payload":[1,2,3]}"#,
        ),
        (
            SchemaBuilder::map(schemas::string(), schemas::int32()).build(),
            Value::Map(vec![
                ("key1".into(), Value::Int32(12)),
                ("key2".into(), Value::Int32(15)),
            ]),
            r#"{"schema":{"type":"map","keys":{"type":"string","optional":false},"values":{"type":"int32","optional":false},"optional":false},"payload":{"key1":12,"key2":15}}"#,
        ),
        (
            SchemaBuilder::map(schemas::int32(), schemas::int32()).build(),
            Value::Map(vec![
                (Value::Int32(1), Value::Int32(12)),
                (Value::Int32(2), Value::Int32(15)),
            ]),
            r#"{"schema":{"type":"map","keys":{"type":"int32","optional":false},"values":{"type":"int32","optional":false},"optional":false},"payload":[[1,12],[2,15]]}"#,
        ),
        (
            logical::decimal(2),
            Value::Bytes(vec![0, 0x9c].into()),
            r#"{"schema":{"type":"bytes","optional":false,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"2"}},"payload":"AJw="}"#,
        ),
        (
            logical::date_builder().build(),
            Value::Int32(10000),
            r#"{"schema":{"type":"int32","optional":false,"name":"org.apache.kafka.connect.data.Date","version":1},"payload":10000}"#,
        ),
        (
            logical::time_builder().build(),
            Value::Int32(14_400_000),
            r#"{"schema":{"type":"int32","optional":false,"name":"org.apache.kafka.connect.data.Time","version":1},"payload":14400000}"#,
        ),
        (
            logical::timestamp_builder().build(),
            Value::Int64(4_000_000_000),
            r#"{"schema":{"type":"int64","optional":false,"name":"org.apache.kafka.connect.data.Timestamp","version":1},"payload":4000000000}"#,
        ),
    ];
    for (schema, value, expected) in cases {
        assert_eq!(to_json(&mut c, Some(schema), value), expected);
    }
}

#[test]
fn struct_to_json() {
    let mut c = converter(&[]);
    let schema = SchemaBuilder::struct_()
        .with_field("field1", schemas::boolean())
        .with_field("field2", schemas::string())
        .with_field("field3", schemas::string())
        .with_field("field4", schemas::boolean())
        .build();
    let input = Struct::new(schema.clone())
        .unwrap()
        .with("field1", true)
        .unwrap()
        .with("field2", "string2")
        .unwrap()
        .with("field3", "string3")
        .unwrap()
        .with("field4", false)
        .unwrap();
    assert_eq!(
        to_json(&mut c, Some(schema), Value::Struct(input)),
        concat!(
            r#"{"schema":{"type":"struct","fields":[{"type":"boolean","optional":false,"field":"field1"},"#,
            r#"{"type":"string","optional":false,"field":"field2"},{"type":"string","optional":false,"field":"field3"},"#,
            r#"{"type":"boolean","optional":false,"field":"field4"}],"optional":false},"#,
            r#""payload":{"field1":true,"field2":"string2","field3":"string3","field4":false}}"#
        )
    );
}

#[test]
fn decimal_numeric_format() {
    let mut c = converter(&[("decimal.format", "NUMERIC")]);
    assert_eq!(
        to_json(
            &mut c,
            Some(logical::decimal(2)),
            Value::Bytes(vec![0, 0x9c].into())
        ),
        r#"{"schema":{"type":"bytes","optional":false,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"2"}},"payload":1.56}"#
    );
    // new BigDecimal(new BigInteger("15600"), 4): trailing zeros are kept.
    let trailing = to_json(
        &mut c,
        Some(logical::decimal(4)),
        Value::Bytes(vec![0x3c, 0xf0].into()),
    );
    assert!(trailing.ends_with(r#""payload":1.5600}"#), "{trailing}");
    // Non-minimal unscaled bytes are written as Java's BigInteger would.
    let mut b64 = converter(&[]);
    let json = to_json(
        &mut b64,
        Some(logical::decimal(2)),
        Value::Bytes(vec![0, 0, 0x9c].into()),
    );
    assert!(json.ends_with(r#""payload":"AJw="}"#), "{json}");
}

#[test]
fn null_schema_to_json() {
    let mut c = converter(&[]);
    assert_eq!(
        to_json(&mut c, None, Value::Boolean(true)),
        r#"{"schema":null,"payload":true}"#
    );
    assert_eq!(
        to_json(
            &mut c,
            None,
            Value::Array(vec![Value::Int32(1), "string".into(), Value::Boolean(true)])
        ),
        r#"{"schema":null,"payload":[1,"string",true]}"#
    );
    assert_eq!(
        to_json(
            &mut c,
            None,
            Value::Map(vec![
                ("key1".into(), Value::Int32(12)),
                ("key2".into(), "string".into()),
                ("key3".into(), Value::Boolean(true))
            ])
        ),
        r#"{"schema":null,"payload":{"key1":12,"key2":"string","key3":true}}"#
    );
    assert_eq!(
        to_json(
            &mut c,
            None,
            Value::Map(vec![
                ("string".into(), Value::Int32(12)),
                (Value::Int32(52), "string".into()),
                (Value::Boolean(false), Value::Boolean(true))
            ])
        ),
        r#"{"schema":null,"payload":[["string",12],[52,"string"],[false,true]]}"#
    );
}

#[test]
fn mismatched_schema_is_a_data_error() {
    let mut c = converter(&[]);
    let err = c
        .from_connect_data(
            TOPIC,
            &mut Headers::new(),
            Some(&schemas::float64()),
            &Value::Boolean(true),
        )
        .unwrap_err();
    assert_eq!(
        err.message(),
        "Invalid type for FLOAT64: class java.lang.Boolean"
    );
    let err = c
        .from_connect_data(
            TOPIC,
            &mut Headers::new(),
            Some(&schemas::int32()),
            &Value::Null,
        )
        .unwrap_err();
    assert_eq!(
        err.message(),
        "Conversion error: null value for field that is required and has no default value"
    );
}

#[test]
fn schemas_disabled() {
    let mut c = converter(&[("schemas.enable", "false")]);
    assert_eq!(
        to_connect(&mut c, "true"),
        SchemaAndValue::new(None, Value::Boolean(true))
    );
    assert_eq!(to_json(&mut c, None, Value::Boolean(true)), "true");
    assert_eq!(
        to_json(&mut c, Some(schemas::int32()), Value::Int32(5)),
        "5"
    );
    assert_eq!(to_connect(&mut c, ""), SchemaAndValue::null());
    assert_eq!(to_connect(&mut c, "  "), SchemaAndValue::null());
    assert_eq!(
        to_connect(&mut c, r#"{"a":{"b":[1,2.5,"x",null,false]}}"#).value,
        Value::Map(vec![(
            "a".into(),
            Value::Map(vec![(
                "b".into(),
                Value::Array(vec![
                    Value::Int64(1),
                    Value::Float64(2.5),
                    "x".into(),
                    Value::Null,
                    Value::Boolean(false)
                ])
            )])
        )])
    );
    // Jackson reads only the first root value.
    assert_eq!(to_connect(&mut c, "{} trailing").value, Value::Map(vec![]));
    assert!(to_connect_err(&mut c, "12abc").starts_with(
        "Converting byte[] to Kafka Connect data failed due to serialization error: "
    ));
}

#[test]
fn tombstones() {
    let mut c = converter(&[]);
    assert_eq!(
        c.from_connect_data(TOPIC, &mut Headers::new(), None, &Value::Null)
            .unwrap(),
        None
    );
    assert_eq!(
        c.to_connect_data(TOPIC, &Headers::new(), None).unwrap(),
        SchemaAndValue::null()
    );
}

#[test]
fn envelope_errors() {
    let mut c = converter(&[]);
    let envelope = "JsonConverter with schemas.enable requires \"schema\" and \"payload\" fields and may not contain additional fields. If you are trying to deserialize plain JSON data, set schemas.enable=false in your converter configuration.";
    for bad in [
        r#"{"schema":null,"payload":1,"extra":2}"#,
        r#"{"payload":1}"#,
        r#"{"schema":null}"#,
        "[1,2]",
        "true",
        "",
    ] {
        assert_eq!(to_connect_err(&mut c, bad), envelope, "{bad}");
    }
    let malformed = to_connect_err(&mut c, r#"{"schema": {"type": "int32"}, "payload": 1"#);
    assert!(
        malformed.starts_with(
            "Converting byte[] to Kafka Connect data failed due to serialization error: "
        ),
        "{malformed}"
    );
    // Payload first is accepted too.
    assert_eq!(
        to_connect(&mut c, r#"{"payload": 7, "schema": {"type": "int16"}}"#),
        sv(schemas::int16(), Value::Int16(7))
    );
}

#[test]
fn payload_not_matching_schema() {
    let mut c = converter(&[]);
    let cases = [
        (
            r#"{"schema":{"type":"int32"},"payload":"x"}"#,
            "Invalid value for INT32 schema: expected an integer but found STRING",
        ),
        (
            r#"{"schema":{"type":"int32"},"payload":null}"#,
            "Invalid null value for required INT32 field",
        ),
        (
            r#"{"schema":{"type":"int8"},"payload":300}"#,
            "Invalid value for INT8 schema: 300 is out of range",
        ),
        (
            r#"{"schema":{"type":"struct","fields":[]},"payload":[]}"#,
            "Structs should be encoded as JSON objects, but found ARRAY",
        ),
        (
            r#"{"schema":{"type":"map","keys":{"type":"string"},"values":{"type":"int32"}},"payload":[]}"#,
            "Maps with string fields should be encoded as JSON objects, but found ARRAY",
        ),
        (
            r#"{"schema":{"type":"map","keys":{"type":"int32"},"values":{"type":"int32"}},"payload":[[1,2,3]]}"#,
            "Found invalid map entry, expected length 2 but found :3",
        ),
        (
            r#"{"schema":{"type":"struct","fields":[{"field":"a","type":"int32"}]},"payload":{}}"#,
            "Invalid null value for required INT32 field",
        ),
        (
            r#"{"schema":{"type":"nope"},"payload":1}"#,
            "Unknown schema type: nope",
        ),
        (
            r#"{"schema":{"optional":true},"payload":1}"#,
            "Schema must contain 'type' field",
        ),
        (
            r#"{"schema":{"type":"array"},"payload":[]}"#,
            "Array schema did not specify the element type",
        ),
        (
            r#"{"schema":{"type":"int32","name":"org.apache.kafka.connect.data.Date"},"payload":"x"}"#,
            "Invalid type for Date, underlying representation should be integer but was STRING",
        ),
        (
            r#"{"schema":{"type":"string","parameters":{"a":1}},"payload":"x"}"#,
            "Schema parameters must have string values.",
        ),
    ];
    for (json, message) in cases {
        assert_eq!(to_connect_err(&mut c, json), message, "{json}");
    }
}

#[test]
fn replace_null_with_default() {
    let schema = SchemaBuilder::string()
        .optional()
        .default_value("default".into())
        .unwrap()
        .build();
    let mut on = converter(&[("replace.null.with.default", "true")]);
    assert_eq!(
        to_json(&mut on, Some(schema.clone()), Value::Null),
        r#"{"schema":{"type":"string","optional":true,"default":"default"},"payload":"default"}"#
    );
    let mut off = converter(&[("replace.null.with.default", "false")]);
    assert_eq!(
        to_json(&mut off, Some(schema.clone()), Value::Null),
        r#"{"schema":{"type":"string","optional":true,"default":"default"},"payload":null}"#
    );
    let json = r#"{"schema":{"type":"string","optional":true,"default":"default"},"payload":null}"#;
    assert_eq!(to_connect(&mut on, json).value, "default".into());
    assert_eq!(to_connect(&mut off, json).value, Value::Null);

    let struct_schema = SchemaBuilder::struct_()
        .with_field("field1", schema)
        .build();
    let input = Value::Struct(Struct::new(struct_schema.clone()).unwrap());
    assert_eq!(
        to_json(&mut on, Some(struct_schema.clone()), input.clone()),
        r#"{"schema":{"type":"struct","fields":[{"type":"string","optional":true,"default":"default","field":"field1"}],"optional":false},"payload":{"field1":"default"}}"#
    );
    assert_eq!(
        to_json(&mut off, Some(struct_schema), input),
        r#"{"schema":{"type":"struct","fields":[{"type":"string","optional":true,"default":"default","field":"field1"}],"optional":false},"payload":{"field1":null}}"#
    );
}

#[test]
fn schema_caches() {
    let mut c = converter(&[]);
    assert_eq!(c.to_connect_schema_cache_len(), 0);
    to_connect(
        &mut c,
        r#"{ "schema": { "type": "boolean" }, "payload": true }"#,
    );
    assert_eq!(c.to_connect_schema_cache_len(), 1);
    to_connect(
        &mut c,
        r#"{ "schema": { "type": "boolean" }, "payload": true }"#,
    );
    assert_eq!(c.to_connect_schema_cache_len(), 1);
    to_connect(
        &mut c,
        r#"{ "schema": { "type": "boolean", "optional": true }, "payload": true }"#,
    );
    assert_eq!(c.to_connect_schema_cache_len(), 2);
    to_connect(
        &mut c,
        r#"{ "schema": { "type": "boolean", "optional": false }, "payload": true }"#,
    );
    assert_eq!(c.to_connect_schema_cache_len(), 3);

    assert_eq!(c.to_json_schema_cache_len(), 0);
    to_json(
        &mut c,
        Some(SchemaBuilder::boolean().build()),
        Value::Boolean(true),
    );
    assert_eq!(c.to_json_schema_cache_len(), 1);
    to_json(
        &mut c,
        Some(SchemaBuilder::boolean().build()),
        Value::Boolean(true),
    );
    assert_eq!(c.to_json_schema_cache_len(), 1);
    to_json(
        &mut c,
        Some(SchemaBuilder::boolean().optional().build()),
        Value::Boolean(true),
    );
    assert_eq!(c.to_json_schema_cache_len(), 2);

    let mut small = converter(&[("schemas.cache.size", "1")]);
    to_json(&mut small, Some(schemas::int32()), Value::Int32(1));
    to_json(&mut small, Some(schemas::int64()), Value::Int64(1));
    assert_eq!(small.to_json_schema_cache_len(), 1);
}

#[test]
fn reads_schema_keys_in_any_order() {
    let mut c = converter(&[]);
    let a = to_connect(
        &mut c,
        r#"{"schema":{"fields":[{"optional":true,"field":"x","type":"int32"}],"name":"rec","optional":false,"type":"struct"},"payload":{"x":1}}"#,
    );
    let b = to_connect(
        &mut c,
        r#"{"schema":{"type":"struct","fields":[{"type":"int32","optional":true,"field":"x"}],"optional":false,"name":"rec"},"payload":{"x":1}}"#,
    );
    assert_eq!(a, b);
}

#[test]
fn header_converter_uses_the_envelope() {
    let mut c = JsonConverter::new();
    HeaderConverter::configure(&mut c, &Config::new()).unwrap();
    let bytes = c
        .from_connect_header(
            TOPIC,
            "headerName",
            Some(&schemas::string()),
            &"test-string".into(),
        )
        .unwrap()
        .unwrap();
    assert_eq!(
        String::from_utf8(bytes.clone()).unwrap(),
        r#"{"schema":{"type":"string","optional":false},"payload":"test-string"}"#
    );
    assert_eq!(
        c.to_connect_header(TOPIC, "headerName", Some(&bytes))
            .unwrap(),
        sv(schemas::string(), "test-string")
    );
}

#[test]
fn round_trips_every_type() {
    let inner = SchemaBuilder::struct_()
        .name("inner")
        .with_field("d", logical::decimal(3))
        .with_field("day", logical::date_builder().build())
        .with_field("t", logical::time_builder().optional().build())
        .with_field("ts", logical::timestamp_builder().build())
        .build();
    let schema = SchemaBuilder::struct_()
        .name("outer")
        .version(7)
        .doc("doc \"quoted\"")
        .with_field("i8", schemas::int8())
        .with_field("i16", schemas::int16())
        .with_field("i32", schemas::int32())
        .with_field("i64", schemas::int64())
        .with_field("f32", schemas::float32())
        .with_field("f64", schemas::float64())
        .with_field("b", schemas::boolean())
        .with_field("s", schemas::string())
        .with_field("bytes", schemas::optional_bytes())
        .with_field(
            "list",
            SchemaBuilder::array(schemas::optional_string()).build(),
        )
        .with_field(
            "smap",
            SchemaBuilder::map(schemas::string(), schemas::int64()).build(),
        )
        .with_field(
            "imap",
            SchemaBuilder::map(schemas::int32(), inner.clone()).build(),
        )
        .with_field(
            "dflt",
            SchemaBuilder::int32()
                .optional()
                .default_value(Value::Int32(42))
                .unwrap()
                .build(),
        )
        .build();
    let inner_value = Struct::new(inner.clone())
        .unwrap()
        .with("d", Value::Bytes(vec![0xfe, 0x0c].into()))
        .unwrap()
        .with("day", Value::Int32(-3))
        .unwrap()
        .with("ts", Value::Int64(-1))
        .unwrap();
    let value = Struct::new(schema.clone())
        .unwrap()
        .with("i8", Value::Int8(-128))
        .unwrap()
        .with("i16", Value::Int16(32767))
        .unwrap()
        .with("i32", Value::Int32(i32::MIN))
        .unwrap()
        .with("i64", Value::Int64(i64::MAX))
        .unwrap()
        .with("f32", Value::Float32(0.1))
        .unwrap()
        .with("f64", Value::Float64(-1.5e-300))
        .unwrap()
        .with("b", true)
        .unwrap()
        .with("s", "tab\t \"quote\" é 😀 \u{1}")
        .unwrap()
        .with("list", Value::Array(vec!["a".into(), Value::Null]))
        .unwrap()
        .with("smap", Value::Map(vec![("k".into(), Value::Int64(1))]))
        .unwrap()
        .with(
            "imap",
            Value::Map(vec![(Value::Int32(5), Value::Struct(inner_value))]),
        )
        .unwrap()
        .with("dflt", Value::Int32(1))
        .unwrap();
    for format in ["BASE64", "NUMERIC"] {
        let mut c = converter(&[("decimal.format", format)]);
        let json = to_json(&mut c, Some(schema.clone()), Value::Struct(value.clone()));
        let back = to_connect(&mut c, &json);
        assert_eq!(back.schema.as_deref(), Some(&*schema), "{format}: {json}");
        assert_eq!(back.value, Value::Struct(value.clone()), "{format}: {json}");
        // What we read back, we write again identically.
        assert_eq!(to_json(&mut c, back.schema.clone(), back.value), json);
    }
}
