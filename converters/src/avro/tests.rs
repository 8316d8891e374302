//! Unit tests of the Avro converter without a registry: the Connect → Avro schema texts Confluent's AvroData
//! produces, Avro → Connect schemas, binary round trips, cross-checks against the `apache-avro` crate, and bad input.

use std::io::Cursor;

use apache_avro::types::Value as AvroValue;
use connect_api::data::{logical, schemas, SchemaBuilder, SchemaRef, Struct, Value};

use super::decoder::{decode, Reader};
use super::encoder::encode;
use super::from_connect::avro_schema_json;
use super::schema::AvroSchema;
use super::to_connect::to_connect_schema;

fn avro_text(schema: &SchemaRef) -> String {
    avro_schema_json(schema, true).unwrap().to_string()
}

/// Asserts the Avro text of `schema`, that apache-avro accepts it, and that it maps back to the same Connect schema.
#[track_caller]
fn check(schema: SchemaRef, expected: &str) {
    let text = avro_text(&schema);
    assert_eq!(text, expected);
    apache_avro::Schema::parse_str(&text)
        .unwrap_or_else(|e| panic!("apache-avro rejects {text}: {e}"));
    let back = to_connect_schema(&AvroSchema::parse(&text).unwrap(), None, true).unwrap();
    assert_eq!(back, schema, "round trip of {text}");
}

fn roundtrip(schema: &SchemaRef, value: &Value) -> (Vec<u8>, SchemaRef, Value) {
    let mut out = Vec::new();
    encode(&mut out, schema, value).unwrap();
    let avro = AvroSchema::parse(&avro_text(schema)).unwrap();
    let connect = to_connect_schema(&avro, None, true).unwrap();
    let mut reader = Reader::new(&out);
    let decoded = decode(&mut reader, &avro, avro.root, &connect).unwrap();
    assert_eq!(reader.remaining(), 0);
    (out, connect, decoded)
}

/// apache-avro's reading of bytes we wrote.
fn apache_decode(schema: &SchemaRef, bytes: &[u8]) -> AvroValue {
    let parsed = apache_avro::Schema::parse_str(&avro_text(schema)).unwrap();
    apache_avro::from_avro_datum(&parsed, &mut Cursor::new(bytes), None).unwrap()
}

#[test]
fn primitive_schemas() {
    check(schemas::int8(), r#"{"type":"int","connect.type":"int8"}"#);
    check(schemas::int16(), r#"{"type":"int","connect.type":"int16"}"#);
    check(schemas::int32(), r#""int""#);
    check(schemas::int64(), r#""long""#);
    check(schemas::float32(), r#""float""#);
    check(schemas::float64(), r#""double""#);
    check(schemas::boolean(), r#""boolean""#);
    check(schemas::string(), r#""string""#);
    check(schemas::bytes(), r#""bytes""#);
    check(schemas::optional_string(), r#"["null","string"]"#);
    check(
        schemas::optional_int8(),
        r#"["null",{"type":"int","connect.type":"int8"}]"#,
    );
}

#[test]
fn metadata_and_defaults() {
    check(
        SchemaBuilder::string()
            .name("com.example.Name")
            .version(2)
            .doc("a doc")
            .parameter("p", "v")
            .build(),
        r#"{"type":"string","connect.doc":"a doc","connect.version":2,"connect.parameters":{"p":"v"},"connect.name":"com.example.Name"}"#,
    );
    check(
        SchemaBuilder::string()
            .default_value(Value::from("x"))
            .unwrap()
            .build(),
        r#"{"type":"string","connect.default":"x"}"#,
    );
    // An optional schema with a default puts the type first so that the default matches the union's first branch.
    check(
        SchemaBuilder::int64()
            .optional()
            .default_value(Value::Int64(7))
            .unwrap()
            .build(),
        r#"[{"type":"long","connect.default":7},"null"]"#,
    );
}

#[test]
fn logical_types() {
    check(
        logical::decimal(2),
        r#"{"type":"bytes","scale":2,"precision":64,"connect.version":1,"connect.parameters":{"scale":"2"},"connect.name":"org.apache.kafka.connect.data.Decimal","logicalType":"decimal"}"#,
    );
    check(
        logical::decimal_builder(3)
            .parameter("connect.decimal.precision", "10")
            .build(),
        r#"{"type":"bytes","scale":3,"precision":10,"connect.version":1,"connect.parameters":{"scale":"3","connect.decimal.precision":"10"},"connect.name":"org.apache.kafka.connect.data.Decimal","logicalType":"decimal"}"#,
    );
    check(
        logical::date_builder().build(),
        r#"{"type":"int","connect.version":1,"connect.name":"org.apache.kafka.connect.data.Date","logicalType":"date"}"#,
    );
    check(
        logical::time_builder().build(),
        r#"{"type":"int","connect.version":1,"connect.name":"org.apache.kafka.connect.data.Time","logicalType":"time-millis"}"#,
    );
    check(
        logical::timestamp_builder().optional().build(),
        r#"["null",{"type":"long","connect.version":1,"connect.name":"org.apache.kafka.connect.data.Timestamp","logicalType":"timestamp-millis"}]"#,
    );
}

#[test]
fn arrays_and_maps() {
    check(
        SchemaBuilder::array(schemas::int32()).build(),
        r#"{"type":"array","items":"int"}"#,
    );
    check(
        SchemaBuilder::map(schemas::string(), schemas::optional_float64()).build(),
        r#"{"type":"map","values":["null","double"]}"#,
    );
    check(
        SchemaBuilder::map(schemas::int32(), schemas::string()).build(),
        r#"{"type":"array","items":{"type":"record","name":"MapEntry","namespace":"io.confluent.connect.avro","fields":[{"name":"key","type":"int"},{"name":"value","type":"string"}]}}"#,
    );
    // Optional string keys are not Avro map keys either.
    check(
        SchemaBuilder::map(schemas::optional_string(), schemas::int64()).build(),
        r#"{"type":"array","items":{"type":"record","name":"MapEntry","namespace":"io.confluent.connect.avro","fields":[{"name":"key","type":["null","string"],"default":null},{"name":"value","type":"long"}]}}"#,
    );
}

#[test]
fn structs_and_nesting() {
    let unnamed = SchemaBuilder::struct_()
        .with_field("a", schemas::int32())
        .with_field("b", schemas::optional_string())
        .build();
    check(
        unnamed.clone(),
        r#"{"type":"record","name":"ConnectDefault","namespace":"io.confluent.connect.avro","fields":[{"name":"a","type":"int"},{"name":"b","type":["null","string"],"default":null}]}"#,
    );
    let address = SchemaBuilder::struct_()
        .name("com.example.Address")
        .with_field("city", schemas::string())
        .optional()
        .build();
    let person = SchemaBuilder::struct_()
        .name("com.example.Person")
        .version(3)
        .doc("someone")
        .with_field(
            "age",
            SchemaBuilder::int32()
                .default_value(Value::Int32(18))
                .unwrap()
                .build(),
        )
        .with_field("home", address.clone())
        .with_field("tags", SchemaBuilder::array(schemas::string()).build())
        .build();
    check(
        person,
        r#"{"type":"record","name":"Person","namespace":"com.example","fields":[{"name":"age","type":{"type":"int","connect.default":18},"default":18},{"name":"home","type":["null",{"type":"record","name":"Address","fields":[{"name":"city","type":"string"}],"connect.name":"com.example.Address"}],"default":null},{"name":"tags","type":{"type":"array","items":"string"}}],"connect.doc":"someone","connect.version":3,"connect.name":"com.example.Person"}"#,
    );
    // The same struct used twice is defined once and then referred to by name, as Avro prints it.
    let twice = SchemaBuilder::struct_()
        .name("com.example.Pair")
        .with_field("first", address.clone())
        .with_field("second", address)
        .build();
    check(
        twice,
        r#"{"type":"record","name":"Pair","namespace":"com.example","fields":[{"name":"first","type":["null",{"type":"record","name":"Address","fields":[{"name":"city","type":"string"}],"connect.name":"com.example.Address"}],"default":null},{"name":"second","type":["null","Address"],"default":null}],"connect.name":"com.example.Pair"}"#,
    );
}

fn all_types() -> (SchemaRef, Value) {
    let inner = SchemaBuilder::struct_()
        .with_field("x", schemas::optional_int16())
        .build();
    let schema = SchemaBuilder::struct_()
        .name("com.example.All")
        .with_field("i8", schemas::int8())
        .with_field("i16", schemas::int16())
        .with_field("i32", schemas::int32())
        .with_field("i64", schemas::int64())
        .with_field("f32", schemas::float32())
        .with_field("f64", schemas::float64())
        .with_field("bool", schemas::boolean())
        .with_field("str", schemas::string())
        .with_field("bytes", schemas::bytes())
        .with_field("opt", schemas::optional_string())
        .with_field("dec", logical::decimal(2))
        .with_field("date", logical::date_builder().build())
        .with_field("time", logical::time_builder().build())
        .with_field("ts", logical::timestamp_builder().build())
        .with_field("arr", SchemaBuilder::array(schemas::int64()).build())
        .with_field(
            "smap",
            SchemaBuilder::map(schemas::string(), schemas::int32()).build(),
        )
        .with_field(
            "imap",
            SchemaBuilder::map(schemas::int32(), schemas::string()).build(),
        )
        .with_field("inner", inner.clone())
        .build();
    let value = Struct::new(schema.clone())
        .unwrap()
        .with("i8", Value::Int8(-8))
        .unwrap()
        .with("i16", Value::Int16(1600))
        .unwrap()
        .with("i32", Value::Int32(-320_000))
        .unwrap()
        .with("i64", Value::Int64(1 << 40))
        .unwrap()
        .with("f32", Value::Float32(1.5))
        .unwrap()
        .with("f64", Value::Float64(-2.25))
        .unwrap()
        .with("bool", true)
        .unwrap()
        .with("str", "héllo")
        .unwrap()
        .with("bytes", vec![0u8, 1, 255])
        .unwrap()
        .with("dec", vec![0x00u8, 0x9c])
        .unwrap()
        .with("date", Value::Int32(19_000))
        .unwrap()
        .with("time", Value::Int32(3_600_000))
        .unwrap()
        .with("ts", Value::Int64(1_700_000_000_123))
        .unwrap()
        .with("arr", Value::Array(vec![Value::Int64(1), Value::Int64(-1)]))
        .unwrap()
        .with(
            "smap",
            Value::Map(vec![(Value::from("k"), Value::Int32(1))]),
        )
        .unwrap()
        .with(
            "imap",
            Value::Map(vec![(Value::Int32(7), Value::from("seven"))]),
        )
        .unwrap()
        .with(
            "inner",
            Struct::new(inner)
                .unwrap()
                .with("x", Value::Int16(3))
                .unwrap(),
        )
        .unwrap();
    (schema, Value::Struct(value))
}

#[test]
fn every_type_round_trips_and_apache_avro_reads_it() {
    let (schema, value) = all_types();
    let (bytes, back_schema, back) = roundtrip(&schema, &value);
    assert_eq!(back_schema, schema);
    assert_eq!(back, value);
    let AvroValue::Record(fields) = apache_decode(&schema, &bytes) else {
        panic!("not a record")
    };
    let get = |name: &str| fields.iter().find(|(n, _)| n == name).unwrap().1.clone();
    assert_eq!(get("i8"), AvroValue::Int(-8));
    assert_eq!(get("i64"), AvroValue::Long(1 << 40));
    assert_eq!(get("str"), AvroValue::String("héllo".into()));
    assert_eq!(get("opt"), AvroValue::Union(0, Box::new(AvroValue::Null)));
    assert_eq!(get("date"), AvroValue::Date(19_000));
    assert_eq!(get("time"), AvroValue::TimeMillis(3_600_000));
    assert_eq!(get("ts"), AvroValue::TimestampMillis(1_700_000_000_123));
    assert_eq!(
        get("smap"),
        AvroValue::Map([("k".to_string(), AvroValue::Int(1))].into_iter().collect())
    );
    assert_eq!(
        get("imap"),
        AvroValue::Array(vec![AvroValue::Record(vec![
            ("key".into(), AvroValue::Int(7)),
            ("value".into(), AvroValue::String("seven".into())),
        ])])
    );
    let AvroValue::Decimal(d) = get("dec") else {
        panic!("not a decimal")
    };
    assert_eq!(Vec::<u8>::try_from(d).unwrap(), vec![0x00, 0x9c]);
}

#[test]
fn null_fields_take_defaults_and_optionals_with_defaults_use_the_second_branch_for_null() {
    let schema = SchemaBuilder::struct_()
        .with_field(
            "d",
            SchemaBuilder::string()
                .default_value(Value::from("dflt"))
                .unwrap()
                .build(),
        )
        .with_field(
            "o",
            SchemaBuilder::int32()
                .optional()
                .default_value(Value::Int32(5))
                .unwrap()
                .build(),
        )
        .build();
    let mut st = Struct::new(schema.clone()).unwrap();
    st.put_unchecked(1, Value::Null);
    let mut out = Vec::new();
    encode(&mut out, &schema, &Value::Struct(st)).unwrap();
    // "dflt" (len 4 → zigzag 8), then union index 0 (the long branch comes first) and 5 (zigzag 10): Kafka's
    // Struct.get gives the default for a null field.
    assert_eq!(out, vec![8, b'd', b'f', b'l', b't', 0, 10]);
}

#[test]
fn reads_avro_written_by_other_tools() {
    // A schema as Python's clients register it: no connect.* properties, enum, fixed, a general union, docs.
    let text = r#"{"type":"record","name":"Order","namespace":"shop","doc":"an order","fields":[
        {"name":"id","type":"long"},
        {"name":"status","type":{"type":"enum","name":"Status","symbols":["NEW","PAID"]}},
        {"name":"hash","type":{"type":"fixed","name":"Hash","size":2}},
        {"name":"amount","type":["null","int","string"],"default":null},
        {"name":"note","type":"string","default":"none","doc":"free text"},
        {"name":"props","type":{"type":"map","values":"long"}}]}"#;
    let avro = AvroSchema::parse(text).unwrap();
    let connect = to_connect_schema(&avro, Some(4), true).unwrap();
    assert_eq!(connect.name.as_deref(), Some("shop.Order"));
    assert_eq!(connect.version, Some(4));
    assert_eq!(
        connect.parameter("io.confluent.connect.avro.record.doc"),
        Some("an order")
    );
    assert_eq!(
        connect.parameter("io.confluent.connect.avro.field.doc.note"),
        Some("free text")
    );
    let status = &connect.field("status").unwrap().schema;
    assert_eq!(status.schema_type, connect_api::data::SchemaType::String);
    assert_eq!(status.name.as_deref(), Some("shop.Status"));
    assert_eq!(
        status.parameter("io.confluent.connect.avro.Enum"),
        Some("shop.Status")
    );
    assert_eq!(
        status.parameter("io.confluent.connect.avro.Enum.PAID"),
        Some("PAID")
    );
    let hash = &connect.field("hash").unwrap().schema;
    assert_eq!(hash.parameter("connect.fixed.size"), Some("2"));
    let amount = &connect.field("amount").unwrap().schema;
    assert_eq!(
        amount.name.as_deref(),
        Some("io.confluent.connect.avro.Union")
    );
    assert!(amount.optional);
    assert_eq!(
        amount
            .fields
            .iter()
            .map(|f| f.name.as_str())
            .collect::<Vec<_>>(),
        vec!["int", "string"]
    );
    let note = &connect.field("note").unwrap().schema;
    assert_eq!(note.default_value, Some(Value::from("none")));
    assert_eq!(
        note.parameter("io.confluent.connect.avro.field.default"),
        Some("true")
    );
    // id 42, status PAID (1), fixed "ab", amount: union branch 2 (string) "x", note "n", props {"a": 1}.
    let bytes = [84, 2, b'a', b'b', 4, 2, b'x', 2, b'n', 2, 2, b'a', 2, 0];
    let value = decode(&mut Reader::new(&bytes), &avro, avro.root, &connect).unwrap();
    let st = value.as_struct().unwrap();
    assert_eq!(st.get("id"), Some(&Value::Int64(42)));
    assert_eq!(st.get("status"), Some(&Value::from("PAID")));
    assert_eq!(st.get("hash"), Some(&Value::from(b"ab".to_vec())));
    let amount = st.get("amount").unwrap().as_struct().unwrap();
    assert_eq!(amount.get("string"), Some(&Value::from("x")));
    assert_eq!(amount.get("int"), Some(&Value::Null));
    assert_eq!(
        st.get("props"),
        Some(&Value::Map(vec![(Value::from("a"), Value::Int64(1))]))
    );
    // The Union struct writes back the same union bytes (branch 2, "x").
    let mut out = Vec::new();
    let amount_schema = &connect.field("amount").unwrap().schema;
    encode(&mut out, amount_schema, st.get("amount").unwrap()).unwrap();
    assert_eq!(out, vec![4, 2, b'x']);
}

#[test]
fn bad_input_is_an_error_not_a_panic() {
    let (schema, value) = all_types();
    let (bytes, connect, _) = roundtrip(&schema, &value);
    let avro = AvroSchema::parse(&avro_text(&schema)).unwrap();
    for cut in 0..bytes.len() {
        let r = decode(&mut Reader::new(&bytes[..cut]), &avro, avro.root, &connect);
        assert!(
            r.is_err(),
            "decoding {cut} of {} bytes succeeded",
            bytes.len()
        );
    }
    let mut seed = 0x1234_5678_9abc_def0u64;
    for _ in 0..20_000 {
        let mut mutated = bytes.clone();
        for _ in 0..3 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let at = (seed % mutated.len() as u64) as usize;
            mutated[at] = (seed >> 32) as u8;
        }
        let _ = decode(&mut Reader::new(&mutated), &avro, avro.root, &connect);
    }
    let union = AvroSchema::parse(r#"["null","string"]"#).unwrap();
    let us = to_connect_schema(&union, None, true).unwrap();
    let e = decode(&mut Reader::new(&[4]), &union, union.root, &us).unwrap_err();
    assert!(e.message().contains("Union index 2 out of range"), "{e}");
    let e = decode(&mut Reader::new(&[2, 2, 0xff]), &union, union.root, &us).unwrap_err();
    assert!(e.message().contains("Invalid UTF-8"), "{e}");
    assert!(AvroSchema::parse(
        r#"{"type":"record","name":"R","fields":[{"name":"a","type":"Nope"}]}"#
    )
    .unwrap_err()
    .message()
    .contains("undefined name"));
    let mismatched = Value::Struct(
        Struct::new(
            SchemaBuilder::struct_()
                .with_field("a", schemas::int32())
                .build(),
        )
        .unwrap(),
    );
    let e = encode(&mut Vec::new(), &schema, &mismatched).unwrap_err();
    assert!(e.message().contains("Mismatching struct schema"), "{e}");
    let e = encode(&mut Vec::new(), &schemas::int32(), &Value::from("x")).unwrap_err();
    assert_eq!(
        e.message(),
        "Invalid type for INT32: class java.lang.String"
    );
}

#[test]
fn schemaless_values_use_the_anything_record() {
    use super::schemaless::{decode_schemaless, encode_schemaless, ANYTHING_SCHEMA};
    let parsed = apache_avro::Schema::parse_str(ANYTHING_SCHEMA).unwrap();
    let value = Value::Map(vec![
        (Value::from("a"), Value::Int64(1)),
        (
            Value::from("b"),
            Value::Array(vec![Value::from("x"), Value::Boolean(true), Value::Null]),
        ),
        (Value::Int32(3), Value::Float64(0.5)),
    ]);
    let mut out = Vec::new();
    encode_schemaless(&mut out, &value).unwrap();
    let back = decode_schemaless(&mut Reader::new(&out), 0).unwrap();
    assert_eq!(back, value);
    // apache-avro reads the same bytes as an Anything record whose `map` field is set.
    let AvroValue::Record(fields) =
        apache_avro::from_avro_datum(&parsed, &mut Cursor::new(&out), None).unwrap()
    else {
        panic!("not a record")
    };
    let names: Vec<_> = fields.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        ["boolean", "bytes", "double", "float", "int", "long", "string", "array", "map"]
    );
    for (name, v) in &fields {
        let AvroValue::Union(branch, _) = v else {
            panic!("{name} is not a union")
        };
        assert_eq!(*branch, u32::from(name == "map"), "{name}");
    }
    // Int8/Int16 go into `int` (read back as Int32), as AvroData does; structs need a schema.
    let mut small = Vec::new();
    encode_schemaless(&mut small, &Value::Int8(-3)).unwrap();
    assert_eq!(
        decode_schemaless(&mut Reader::new(&small), 0).unwrap(),
        Value::Int32(-3)
    );
    let (_, st) = all_types();
    assert!(encode_schemaless(&mut Vec::new(), &st)
        .unwrap_err()
        .message()
        .contains("Unknown Java type for schemaless data"));
}

#[test]
fn layouts_compare_types_and_field_names_not_docs_or_names() {
    use super::schema::same_layout;
    let parse = |t: &str| AvroSchema::parse(t).unwrap();
    let own = parse(
        r#"{"type":"record","name":"ConnectDefault","namespace":"io.confluent.connect.avro","fields":[{"name":"a","type":"int"},{"name":"b","type":["null","string"],"default":null}]}"#,
    );
    let documented = parse(
        r#"{"type":"record","name":"Thing","namespace":"x","doc":"d","fields":[{"name":"a","type":"int","doc":"an a"},{"name":"b","type":["null",{"type":"string","avro.java.string":"String"}],"default":null}]}"#,
    );
    assert!(same_layout(&own, &documented));
    let reordered = parse(
        r#"{"type":"record","name":"T","fields":[{"name":"b","type":["null","string"]},{"name":"a","type":"int"}]}"#,
    );
    assert!(!same_layout(&own, &reordered));
    let widened = parse(
        r#"{"type":"record","name":"T","fields":[{"name":"a","type":"long"},{"name":"b","type":["null","string"]}]}"#,
    );
    assert!(!same_layout(&own, &widened));
    let recursive =
        r#"{"type":"record","name":"N","fields":[{"name":"next","type":["null","N"]}]}"#;
    assert!(same_layout(&parse(recursive), &parse(recursive)));
}

#[test]
fn without_connect_meta_data_only_avro_attributes_remain() {
    let schema = SchemaBuilder::struct_()
        .name("com.example.P")
        .version(2)
        .doc("d")
        .with_field("i8", schemas::int8())
        .with_field("dec", logical::decimal(1))
        .build();
    assert_eq!(
        avro_schema_json(&schema, false).unwrap().to_string(),
        r#"{"type":"record","name":"P","namespace":"com.example","fields":[{"name":"i8","type":"int"},{"name":"dec","type":{"type":"bytes","scale":1,"precision":64,"logicalType":"decimal"}}]}"#
    );
}
