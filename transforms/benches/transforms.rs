//! Criterion bench: ns/record of every built-in SMT on a 10-field record (Struct and Map) and a five-SMT chain.

use std::collections::BTreeMap;
use std::hint::black_box;

use connect_api::data::logical;
use connect_api::data::{schemas, SchemaBuilder, SchemaRef, Struct, Value};
use connect_api::transform::Transformation;
use connect_api::ConnectRecord;
use connect_transforms::{builtin_predicate, builtin_transformation, TransformChain};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};

fn row_schema() -> SchemaRef {
    SchemaBuilder::struct_()
        .name("bench.Row")
        .with_field("id", schemas::int64())
        .with_field("name", schemas::string())
        .with_field("email", schemas::optional_string())
        .with_field("age", schemas::int32())
        .with_field("score", schemas::float64())
        .with_field("active", schemas::boolean())
        .with_field("created_at", logical::timestamp_builder().build())
        .with_field("city", schemas::optional_string())
        .with_field("country", schemas::optional_string())
        .with_field("balance", schemas::float32())
        .build()
}

fn fields() -> Vec<(&'static str, Value)> {
    vec![
        ("id", Value::Int64(42)),
        ("name", Value::from("Ada Lovelace")),
        ("email", Value::from("ada@example.com")),
        ("age", Value::Int32(36)),
        ("score", Value::Float64(98.5)),
        ("active", Value::Boolean(true)),
        ("created_at", Value::Int64(1_700_000_000_123)),
        ("city", Value::from("London")),
        ("country", Value::from("UK")),
        ("balance", Value::Float32(1234.5)),
    ]
}

fn with_schema() -> ConnectRecord {
    let mut value = Struct::new(row_schema()).unwrap();
    for (k, v) in fields() {
        value.put(k, v).unwrap();
    }
    let mut r = ConnectRecord::new("orders", Some(row_schema()), Value::Struct(value))
        .with_key(Some(schemas::string()), Value::from("k1"))
        .with_timestamp(Some(1_700_000_000_000));
    r.kafka_partition = Some(3);
    r
}

fn schemaless() -> ConnectRecord {
    let entries = fields()
        .into_iter()
        .map(|(k, v)| (Value::from(k), v))
        .collect();
    let mut r = ConnectRecord::new("orders", None, Value::Map(entries))
        .with_key(None, Value::from("k1"))
        .with_timestamp(Some(1_700_000_000_000));
    r.kafka_partition = Some(3);
    r
}

fn envelope() -> ConnectRecord {
    let source_schema = SchemaBuilder::struct_()
        .name("io.debezium.connector.postgresql.Source")
        .with_field("table", schemas::string())
        .with_field("lsn", schemas::optional_int64())
        .build();
    let optional_row = {
        let mut s = (*row_schema()).clone();
        s.optional = true;
        SchemaRef::new(s)
    };
    let schema = SchemaBuilder::struct_()
        .name("bench.public.orders.Envelope")
        .with_field("before", optional_row.clone())
        .with_field("after", optional_row.clone())
        .with_field("source", source_schema.clone())
        .with_field("op", schemas::string())
        .with_field("ts_ms", schemas::optional_int64())
        .build();
    let mut row = Struct::new(optional_row).unwrap();
    for (k, v) in fields() {
        row.put(k, v).unwrap();
    }
    let source = Struct::new(source_schema)
        .unwrap()
        .with("table", "orders")
        .unwrap()
        .with("lsn", 77i64)
        .unwrap();
    let value = Struct::new(schema.clone())
        .unwrap()
        .with("after", Value::Struct(row))
        .unwrap()
        .with("source", source)
        .unwrap()
        .with("op", "c")
        .unwrap()
        .with("ts_ms", 1_700_000_000_000i64)
        .unwrap();
    ConnectRecord::new("bench.public.orders", Some(schema), Value::Struct(value))
}

fn smt(class: &str, props: &[(&str, &str)]) -> Box<dyn Transformation> {
    let mut t = builtin_transformation(class).expect(class);
    let config: BTreeMap<String, String> = props
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    t.configure(&config).expect(class);
    t
}

type Props = Vec<(&'static str, &'static str)>;

/// (bench name, class, config) for each SMT on the 10-field record.
fn cases() -> Vec<(&'static str, &'static str, Props)> {
    vec![
        (
            "Cast$Value",
            "Cast$Value",
            vec![("spec", "age:int64,score:string,active:int8")],
        ),
        ("DropHeaders", "DropHeaders", vec![("headers", "h1")]),
        (
            "ExtractField$Value",
            "ExtractField$Value",
            vec![("field", "name")],
        ),
        ("Filter", "Filter", vec![]),
        ("Flatten$Value", "Flatten$Value", vec![]),
        (
            "HeaderFrom$Value",
            "HeaderFrom$Value",
            vec![
                ("fields", "id,city"),
                ("headers", "h_id,h_city"),
                ("operation", "copy"),
            ],
        ),
        (
            "HoistField$Value",
            "HoistField$Value",
            vec![("field", "payload")],
        ),
        (
            "InsertField$Value",
            "InsertField$Value",
            vec![
                ("topic.field", "topic"),
                ("partition.field", "partition"),
                ("timestamp.field", "ts"),
            ],
        ),
        (
            "InsertHeader",
            "InsertHeader",
            vec![("header", "source"), ("value.literal", "bench")],
        ),
        (
            "MaskField$Value",
            "MaskField$Value",
            vec![("fields", "email,name")],
        ),
        (
            "RegexRouter",
            "RegexRouter",
            vec![("regex", "(.*)"), ("replacement", "prefix-$1")],
        ),
        (
            "ReplaceField$Value",
            "ReplaceField$Value",
            vec![("exclude", "email"), ("renames", "name:full_name")],
        ),
        (
            "SetSchemaMetadata$Value",
            "SetSchemaMetadata$Value",
            vec![("schema.name", "bench.Renamed"), ("schema.version", "2")],
        ),
        (
            "TimestampConverter$Value",
            "TimestampConverter$Value",
            vec![
                ("field", "created_at"),
                ("target.type", "string"),
                ("format", "yyyy-MM-dd'T'HH:mm:ss.SSSZ"),
            ],
        ),
        ("TimestampRouter", "TimestampRouter", vec![]),
        ("ValueToKey", "ValueToKey", vec![("fields", "id")]),
    ]
}

fn bench_smts(c: &mut Criterion) {
    for (mode, make) in [
        ("with_schema", with_schema as fn() -> ConnectRecord),
        ("schemaless", schemaless),
    ] {
        let mut group = c.benchmark_group(format!("smt/{mode}"));
        let template = make();
        group.bench_function("clone_only", |b| b.iter(|| black_box(template.clone())));
        for (name, class, props) in cases() {
            let mut props = props;
            if mode == "schemaless" && name == "TimestampConverter$Value" {
                props[0] = ("field", "created_at");
                props[1] = ("target.type", "Timestamp");
            }
            if mode == "schemaless" && name == "SetSchemaMetadata$Value" {
                continue; // needs a schema
            }
            let mut t = smt(class, &props);
            t.apply(template.clone()).expect(name);
            group.bench_function(name, |b| {
                b.iter_batched(
                    || template.clone(),
                    |r| black_box(t.apply(r).unwrap()),
                    BatchSize::SmallInput,
                )
            });
        }
        group.finish();
    }
    let mut group = c.benchmark_group("smt/debezium");
    let template = envelope();
    let mut t = smt("ExtractNewRecordState", &[]);
    group.bench_function("ExtractNewRecordState", |b| {
        b.iter_batched(
            || template.clone(),
            |r| black_box(t.apply(r).unwrap()),
            BatchSize::SmallInput,
        )
    });
    let mut t = smt(
        "ExtractNewRecordState",
        &[
            ("add.fields", "op,table,lsn"),
            ("delete.tombstone.handling.mode", "rewrite"),
        ],
    );
    group.bench_function("ExtractNewRecordState+add.fields+rewrite", |b| {
        b.iter_batched(
            || template.clone(),
            |r| black_box(t.apply(r).unwrap()),
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

fn bench_chain(c: &mut Criterion) {
    let config: BTreeMap<String, String> = [
        ("transforms", "key,extractKey,drop,insert,route"),
        (
            "transforms.key.type",
            "org.apache.kafka.connect.transforms.ValueToKey",
        ),
        ("transforms.key.fields", "id"),
        (
            "transforms.extractKey.type",
            "org.apache.kafka.connect.transforms.ExtractField$Key",
        ),
        ("transforms.extractKey.field", "id"),
        (
            "transforms.drop.type",
            "org.apache.kafka.connect.transforms.ReplaceField$Value",
        ),
        ("transforms.drop.exclude", "email"),
        ("transforms.drop.renames", "name:full_name"),
        (
            "transforms.insert.type",
            "org.apache.kafka.connect.transforms.InsertField$Value",
        ),
        ("transforms.insert.topic.field", "source_topic"),
        ("transforms.insert.timestamp.field", "ingested_at"),
        (
            "transforms.route.type",
            "org.apache.kafka.connect.transforms.RegexRouter",
        ),
        ("transforms.route.regex", "(.*)"),
        ("transforms.route.replacement", "dw.$1"),
        ("transforms.route.predicate", "notTombstone"),
        ("transforms.route.negate", "true"),
        ("predicates", "notTombstone"),
        ("predicates.notTombstone.type", "RecordIsTombstone"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let mut group = c.benchmark_group("chain5");
    for (mode, make) in [
        ("with_schema", with_schema as fn() -> ConnectRecord),
        ("schemaless", schemaless),
    ] {
        let mut chain =
            TransformChain::from_config(&config, &builtin_transformation, &builtin_predicate)
                .unwrap();
        let template = make();
        chain.apply(template.clone()).unwrap();
        group.bench_function(mode, |b| {
            b.iter_batched(
                || template.clone(),
                |r| black_box(chain.apply(r).unwrap()),
                BatchSize::SmallInput,
            )
        });
    }
    group.finish();
}

criterion_group!(benches, bench_smts, bench_chain);
criterion_main!(benches);
