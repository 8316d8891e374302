//! Converter throughput for a 10-field struct record of about 200 bytes: JSON with schemas, JSON without, String,
//! Avro (warm caches, against the test Schema Registry script started on a free port), and raw serde_json
//! parsing/serializing of the same JSON text as the ceiling.

use std::hint::black_box;

use connect_api::converter::Converter;
use connect_api::data::{logical, schemas, SchemaBuilder, SchemaRef, Struct, Value};
use connect_api::header::Headers;
use connect_api::Config;
use connect_converters::{AvroConverter, JsonConverter, StringConverter};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

fn record() -> (SchemaRef, Value) {
    let schema = SchemaBuilder::struct_()
        .name("com.example.Customer")
        .with_field("id", schemas::int64())
        .with_field("name", schemas::string())
        .with_field("email", schemas::string())
        .with_field("age", schemas::int32())
        .with_field("score", schemas::float64())
        .with_field("active", schemas::boolean())
        .with_field("created_at", logical::timestamp_builder().build())
        .with_field("country", schemas::string())
        .with_field("visits", schemas::int64())
        .with_field("note", schemas::optional_string())
        .build();
    let value = Struct::new(schema.clone())
        .and_then(|s| s.with("id", Value::Int64(1_234_567)))
        .and_then(|s| s.with("name", "Ada Lovelace"))
        .and_then(|s| s.with("email", "ada.lovelace@example.com"))
        .and_then(|s| s.with("age", 36))
        .and_then(|s| s.with("score", 98.25))
        .and_then(|s| s.with("active", true))
        .and_then(|s| s.with("created_at", Value::Int64(1_700_000_000_123)))
        .and_then(|s| s.with("country", "GB"))
        .and_then(|s| s.with("visits", Value::Int64(4242)))
        .and_then(|s| s.with("note", "first programmer"))
        .expect("valid record");
    (schema, Value::Struct(value))
}

fn json_converter(schemas_enable: bool) -> JsonConverter {
    let mut c = JsonConverter::new();
    let mut config = Config::new();
    config.insert("schemas.enable".into(), schemas_enable.to_string());
    Converter::configure(&mut c, &config, false).expect("config");
    c
}

fn bench_json(c: &mut Criterion, schemas_enable: bool) {
    let (schema, value) = record();
    let mut converter = json_converter(schemas_enable);
    let mut headers = Headers::new();
    let bytes = converter
        .from_connect_data("t", &mut headers, Some(&schema), &value)
        .expect("encode")
        .expect("bytes");
    let name = if schemas_enable {
        "json_with_schema"
    } else {
        "json_schemaless"
    };
    let mut group = c.benchmark_group(name);
    group.throughput(Throughput::Elements(1));
    group.bench_function(format!("to_bytes ({} B)", bytes.len()), |b| {
        b.iter(|| {
            converter
                .from_connect_data("t", &mut headers, Some(&schema), black_box(&value))
                .expect("encode")
        })
    });
    group.bench_function("from_bytes", |b| {
        b.iter(|| {
            converter
                .to_connect_data("t", &headers, Some(black_box(&bytes)))
                .expect("decode")
        })
    });
    group.finish();
}

fn json_with_schema(c: &mut Criterion) {
    bench_json(c, true);
}

fn json_schemaless(c: &mut Criterion) {
    bench_json(c, false);
}

fn string(c: &mut Criterion) {
    let (schema, value) = record();
    let text = String::from_utf8(
        json_converter(false)
            .from_connect_data("t", &mut Headers::new(), Some(&schema), &value)
            .expect("encode")
            .expect("bytes"),
    )
    .expect("utf-8");
    let value = Value::String(text.clone());
    let bytes = text.into_bytes();
    let mut converter = StringConverter::new();
    let mut headers = Headers::new();
    let mut group = c.benchmark_group("string");
    group.throughput(Throughput::Elements(1));
    group.bench_function(format!("to_bytes ({} B)", bytes.len()), |b| {
        b.iter(|| {
            converter
                .from_connect_data(
                    "t",
                    &mut headers,
                    Some(&schemas::string()),
                    black_box(&value),
                )
                .expect("encode")
        })
    });
    group.bench_function("from_bytes", |b| {
        b.iter(|| {
            converter
                .to_connect_data("t", &headers, Some(black_box(&bytes)))
                .expect("decode")
        })
    });
    group.finish();
}

/// The ceiling: serde_json on the same texts the JSON converter produces.
fn serde_json_ceiling(c: &mut Criterion) {
    let (schema, value) = record();
    let mut group = c.benchmark_group("serde_json");
    group.throughput(Throughput::Elements(1));
    for schemas_enable in [true, false] {
        let bytes = json_converter(schemas_enable)
            .from_connect_data("t", &mut Headers::new(), Some(&schema), &value)
            .expect("encode")
            .expect("bytes");
        let parsed: serde_json::Value = serde_json::from_slice(&bytes).expect("valid JSON");
        let label = if schemas_enable {
            "envelope"
        } else {
            "payload"
        };
        group.bench_function(format!("parse {label} ({} B)", bytes.len()), |b| {
            b.iter(|| {
                serde_json::from_slice::<serde_json::Value>(black_box(&bytes)).expect("parse")
            })
        });
        group.bench_function(format!("serialize {label}"), |b| {
            b.iter(|| serde_json::to_vec(black_box(&parsed)).expect("serialize"))
        });
    }
    group.finish();
}

/// The test Schema Registry (`tests/scripts/schema_registry.py`, in memory) on a free port, killed on drop.
struct Registry {
    child: std::process::Child,
    url: String,
}

impl Registry {
    fn start() -> Registry {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let script = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/scripts/schema_registry.py"
        );
        let child = std::process::Command::new("python3")
            .args([script, "--port", &port.to_string()])
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("starting the test schema registry (python3)");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "registry did not start"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        Registry {
            child,
            url: format!("http://127.0.0.1:{port}"),
        }
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn avro(c: &mut Criterion) {
    let registry = Registry::start();
    let (schema, value) = record();
    let mut converter = AvroConverter::new();
    let mut config = Config::new();
    config.insert("schema.registry.url".into(), registry.url.clone());
    Converter::configure(&mut converter, &config, false).expect("config");
    let mut headers = Headers::new();
    // The first calls register the schema and fetch it by id; the measured ones hit the caches.
    let bytes = converter
        .from_connect_data("t", &mut headers, Some(&schema), &value)
        .expect("encode")
        .expect("bytes");
    converter
        .to_connect_data("t", &headers, Some(&bytes))
        .expect("decode");
    let mut group = c.benchmark_group("avro");
    group.throughput(Throughput::Elements(1));
    group.bench_function(format!("to_bytes ({} B)", bytes.len()), |b| {
        b.iter(|| {
            converter
                .from_connect_data("t", &mut headers, Some(&schema), black_box(&value))
                .expect("encode")
        })
    });
    group.bench_function("from_bytes", |b| {
        b.iter(|| {
            converter
                .to_connect_data("t", &headers, Some(black_box(&bytes)))
                .expect("decode")
        })
    });
    group.finish();
    drop(registry);
}

criterion_group!(
    benches,
    json_with_schema,
    json_schemaless,
    string,
    avro,
    serde_json_ceiling
);
criterion_main!(benches);
