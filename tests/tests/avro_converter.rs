//! The Avro converter against the test Schema Registry (`tests/scripts/services.sh up schema_registry`) and the
//! test broker: wire-format interop both ways with confluent-kafka's AvroSerializer/AvroDeserializer (Python),
//! worker pipelines with `value.converter=io.confluent.connect.avro.AvroConverter`, registry errors, basic auth,
//! subject name strategies, `use.latest.version`, and schema ids that survive a registry restart.
//!
//! Needs `cargo build --release -p connect-worker -p connect-file` (same CARGO_TARGET_DIR as the tests).
//! Run: `cargo test --release -p connect-tests --test avro_converter -- --nocapture`.
//! Every test uses its own topics and subjects, so they run in parallel with each other and with other tests.

use std::io::Write;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use connect_api::converter::Converter;
use connect_api::data::{logical, schemas, SchemaBuilder, SchemaRef, Struct, Value};
use connect_api::header::Headers;
use connect_api::Config;
use connect_converters::AvroConverter;
use connect_tests::{
    consume_n, create_topic, free_port, produce, read_complete_lines, services_home, services_up,
    test_python, unique_name, wait_until, workspace_root, Worker,
};
use serde_json::{json, Value as Json};

const CONVERTER: &str = "io.confluent.connect.avro.AvroConverter";
const WAIT: Duration = Duration::from_secs(60);

static REGISTRY: OnceLock<Result<String, String>> = OnceLock::new();

/// Starts (idempotently) the test Schema Registry and returns its URL.
fn registry_url() -> String {
    let started = REGISTRY.get_or_init(|| {
        services_up(&["schema_registry"])?;
        let port = std::env::var("CONNECT_SCHEMA_REGISTRY_PORT").unwrap_or_else(|_| "8081".into());
        Ok(format!("http://127.0.0.1:{port}"))
    });
    match started {
        Ok(url) => url.clone(),
        Err(e) => panic!("{e}"),
    }
}

/// Runs tests/scripts/avro_interop.py (confluent-kafka's Avro serde) with `request` on stdin; returns its JSON.
#[track_caller]
fn python(url: &str, action: &str, topic: &str, request: &Json) -> Json {
    registry_url(); // installs the Python clients
    let script = workspace_root().join("tests/scripts/avro_interop.py");
    let mut child = Command::new(test_python())
        .arg(&script)
        .args([url, action, topic])
        .env("PYTHONPATH", services_home().join("schema_registry/python"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("running python3");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(request.to_string().as_bytes())
        .expect("writing the request");
    let output = child.wait_with_output().expect("waiting for python");
    assert!(
        output.status.success(),
        "avro_interop.py {action} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("python printed JSON")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex"))
        .collect()
}

fn converter(props: &[(&str, &str)], is_key: bool) -> AvroConverter {
    let config: Config = props
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let mut c = AvroConverter::new();
    Converter::configure(&mut c, &config, is_key).expect("configure AvroConverter");
    c
}

fn encode(
    c: &mut AvroConverter,
    topic: &str,
    schema: &SchemaRef,
    value: &Value,
) -> Result<Vec<u8>, String> {
    c.from_connect_data(topic, &mut Headers::new(), Some(schema), value)
        .map(|b| b.expect("bytes for a non-null value"))
        .map_err(|e| e.to_string())
}

/// A GET on a registry, as JSON.
fn registry_get(url: &str, path: &str) -> (u16, Json) {
    registry_call(url, "GET", path, None)
}

/// A call on a registry's REST API: (status, JSON body or Null).
fn registry_call(url: &str, method: &str, path: &str, body: Option<&Json>) -> (u16, Json) {
    let agent = ureq::Agent::new_with_config(
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .proxy(None)
            .build(),
    );
    let full = format!("{url}{path}");
    let result = match (method, body) {
        ("GET", _) => agent.get(&full).call(),
        ("DELETE", _) => agent.delete(&full).call(),
        ("POST", Some(b)) => agent.post(&full).send_json(b),
        ("PUT", Some(b)) => agent.put(&full).send_json(b),
        _ => panic!("unsupported {method} {path}"),
    };
    let mut response = result.unwrap_or_else(|e| panic!("registry {method} {path}: {e}"));
    let status = response.status().as_u16();
    let text = response.body_mut().read_to_string().unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Json::Null))
}

/// A private registry process (same script) on a free port: for basic auth and restarts. Killed on drop.
struct PrivateRegistry {
    child: Option<Child>,
    port: u16,
    args: Vec<String>,
}

impl PrivateRegistry {
    fn start(args: &[&str]) -> PrivateRegistry {
        let mut r = PrivateRegistry {
            child: None,
            port: free_port(),
            args: args.iter().map(|s| s.to_string()).collect(),
        };
        r.launch();
        r
    }

    fn launch(&mut self) {
        let script = workspace_root().join("tests/scripts/schema_registry.py");
        let child = Command::new("python3")
            .arg(&script)
            .args(["--port", &self.port.to_string()])
            .args(&self.args)
            .stderr(Stdio::null())
            .spawn()
            .expect("starting schema_registry.py");
        self.child = Some(child);
        let port = self.port;
        assert!(
            wait_until(Duration::from_secs(20), || std::net::TcpStream::connect((
                "127.0.0.1",
                port
            ))
            .is_ok()),
            "private registry did not start on {port}"
        );
    }

    fn restart(&mut self) {
        self.stop();
        self.launch();
    }

    fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for PrivateRegistry {
    fn drop(&mut self) {
        self.stop();
    }
}

/// `read` holds the fields of `written`, and its schema carries the subject's registry version (1), as Confluent's
/// converter sets it on schemas without `connect.version`.
#[track_caller]
fn assert_same_record(read: &connect_api::data::SchemaAndValue, written: &Value) {
    let schema = read.schema.as_ref().expect("a schema");
    assert_eq!(schema.version, Some(1));
    let (Value::Struct(got), Value::Struct(want)) = (&read.value, written) else {
        panic!("not structs: {read:?}");
    };
    assert_eq!(got.values(), want.values());
    assert_eq!(schema.name, want.schema().name);
    assert_eq!(schema.fields, want.schema().fields);
}

/// A struct with every Connect type the converter maps.
fn all_types() -> (SchemaRef, Value) {
    let address = SchemaBuilder::struct_()
        .name("com.example.Address")
        .with_field("city", schemas::string())
        .build();
    let schema = SchemaBuilder::struct_()
        .name("com.example.Customer")
        .version(1)
        .with_field("i8", schemas::int8())
        .with_field("i16", schemas::int16())
        .with_field("i32", schemas::int32())
        .with_field("i64", schemas::int64())
        .with_field("f32", schemas::float32())
        .with_field("f64", schemas::float64())
        .with_field("flag", schemas::boolean())
        .with_field("name", schemas::string())
        .with_field("raw", schemas::bytes())
        .with_field("missing", schemas::optional_string())
        .with_field("price", logical::decimal(2))
        .with_field("day", logical::date_builder().build())
        .with_field("at", logical::time_builder().build())
        .with_field("ts", logical::timestamp_builder().build())
        .with_field("tags", SchemaBuilder::array(schemas::string()).build())
        .with_field(
            "counts",
            SchemaBuilder::map(schemas::string(), schemas::int64()).build(),
        )
        .with_field(
            "by_id",
            SchemaBuilder::map(schemas::int32(), schemas::string()).build(),
        )
        .with_field("address", address.clone())
        .build();
    let value = Struct::new(schema.clone())
        .and_then(|s| s.with("i8", Value::Int8(-8)))
        .and_then(|s| s.with("i16", Value::Int16(1600)))
        .and_then(|s| s.with("i32", Value::Int32(-320_000)))
        .and_then(|s| s.with("i64", Value::Int64(1 << 40)))
        .and_then(|s| s.with("f32", Value::Float32(1.5)))
        .and_then(|s| s.with("f64", Value::Float64(-2.25)))
        .and_then(|s| s.with("flag", true))
        .and_then(|s| s.with("name", "Ada"))
        .and_then(|s| s.with("raw", vec![0u8, 255]))
        // 1.56 at scale 2: unscaled 156 = 0x009c
        .and_then(|s| s.with("price", vec![0x00u8, 0x9c]))
        .and_then(|s| s.with("day", Value::Int32(19_000)))
        .and_then(|s| s.with("at", Value::Int32(3_600_000)))
        .and_then(|s| s.with("ts", Value::Int64(1_700_000_000_123)))
        .and_then(|s| {
            s.with(
                "tags",
                Value::Array(vec![Value::from("a"), Value::from("b")]),
            )
        })
        .and_then(|s| {
            s.with(
                "counts",
                Value::Map(vec![(Value::from("x"), Value::Int64(3))]),
            )
        })
        .and_then(|s| {
            s.with(
                "by_id",
                Value::Map(vec![(Value::Int32(7), Value::from("seven"))]),
            )
        })
        .and_then(|s| s.with("address", Struct::new(address)?.with("city", "London")?))
        .expect("valid struct");
    (schema, Value::Struct(value))
}

#[test]
fn our_bytes_are_read_by_confluent_kafka_python() {
    let url = registry_url();
    let topic = unique_name("avro-out");
    let (schema, value) = all_types();
    let mut c = converter(&[("schema.registry.url", &url)], false);
    let bytes = encode(&mut c, &topic, &schema, &value).unwrap();
    assert_eq!(bytes[0], 0, "magic byte");
    let decoded = python(&url, "deserialize", &topic, &json!({"hex": [hex(&bytes)]}));
    assert_eq!(
        decoded,
        json!([{
            "i8": -8, "i16": 1600, "i32": -320000, "i64": 1_099_511_627_776_i64, "f32": 1.5, "f64": -2.25,
            "flag": true, "name": "Ada", "raw": {"$bytes": "00ff"}, "missing": null,
            "price": {"$decimal": "1.56"}, "day": "2022-01-08", "at": "01:00:00",
            "ts": "2023-11-14T22:13:20.123000+00:00", "tags": ["a", "b"], "counts": {"x": 3},
            "by_id": [{"key": 7, "value": "seven"}], "address": {"city": "London"}
        }])
    );
    // The schema went to the topic's value subject, and the id in the bytes is the one the registry gave it.
    let (status, latest) = registry_get(&url, &format!("/subjects/{topic}-value/versions/latest"));
    assert_eq!(status, 200, "{latest}");
    let id = i32::from_be_bytes([bytes[1], bytes[2], bytes[3], bytes[4]]);
    assert_eq!(latest["id"], json!(id));
    let registered: Json = serde_json::from_str(latest["schema"].as_str().unwrap()).unwrap();
    assert_eq!(registered["name"], "Customer");
    assert_eq!(registered["namespace"], "com.example");
    assert_eq!(registered["connect.name"], "com.example.Customer");
    // And we read our own bytes back to the same record.
    let back = c
        .to_connect_data(&topic, &Headers::new(), Some(&bytes))
        .unwrap();
    assert_eq!(back.schema.as_ref(), Some(&schema));
    assert_eq!(back.value, value);
}

const ORDER_SCHEMA: &str = r#"{"type":"record","name":"Order","namespace":"shop","fields":[
  {"name":"id","type":"long"},
  {"name":"item","type":"string"},
  {"name":"discount","type":["null","double"],"default":null},
  {"name":"tags","type":{"type":"array","items":"string"}},
  {"name":"stock","type":{"type":"map","values":"int"}},
  {"name":"created","type":{"type":"long","logicalType":"timestamp-millis"}},
  {"name":"price","type":{"type":"bytes","logicalType":"decimal","precision":10,"scale":2}},
  {"name":"status","type":{"type":"enum","name":"Status","symbols":["NEW","PAID"]}},
  {"name":"paid","type":"boolean","default":false},
  {"name":"customer","type":{"type":"record","name":"Customer","fields":[{"name":"name","type":"string"}]}}
]}"#;

/// The Connect schema Confluent's AvroData derives from ORDER_SCHEMA registered as version 1.
fn order_connect_schema() -> SchemaRef {
    let status = SchemaBuilder::string()
        .name("shop.Status")
        .parameter("io.confluent.connect.avro.Enum", "shop.Status")
        .parameter("io.confluent.connect.avro.Enum.NEW", "NEW")
        .parameter("io.confluent.connect.avro.Enum.PAID", "PAID")
        .build();
    let customer = SchemaBuilder::struct_()
        .name("shop.Customer")
        .with_field("name", schemas::string())
        .build();
    SchemaBuilder::struct_()
        .name("shop.Order")
        .version(1)
        .with_field("id", schemas::int64())
        .with_field("item", schemas::string())
        .with_field("discount", schemas::optional_float64())
        .with_field("tags", SchemaBuilder::array(schemas::string()).build())
        .with_field(
            "stock",
            SchemaBuilder::map(schemas::string(), schemas::int32()).build(),
        )
        .with_field("created", logical::timestamp_builder().build())
        .with_field(
            "price",
            logical::decimal_builder(2)
                .parameter("connect.decimal.precision", "10")
                .build(),
        )
        .with_field("status", status)
        .with_field(
            "paid",
            SchemaBuilder::boolean()
                .parameter("io.confluent.connect.avro.field.default", "true")
                .default_value(Value::Boolean(false))
                .unwrap()
                .build(),
        )
        .with_field("customer", customer)
        .build()
}

#[test]
fn confluent_kafka_python_bytes_are_read_by_our_converter() {
    let url = registry_url();
    let topic = unique_name("avro-in");
    let hexes = python(
        &url,
        "serialize",
        &topic,
        &json!({"schema": ORDER_SCHEMA, "values": [{
            "id": 42, "item": "book", "discount": 0.5, "tags": ["new"], "stock": {"lon": 3},
            "created": 1_700_000_000_123_i64, "price": {"$decimal": "12.34"}, "status": "PAID", "paid": true,
            "customer": {"name": "Ada"}
        }, {
            "id": 43, "item": "pen", "discount": null, "tags": [], "stock": {},
            "created": 0, "price": {"$decimal": "-0.05"}, "status": "NEW", "paid": false,
            "customer": {"name": "Bob"}
        }]}),
    );
    let mut c = converter(&[("schema.registry.url", &url)], false);
    let schema = order_connect_schema();
    let customer_schema = schema.field("customer").unwrap().schema.clone();
    let expected = [
        Struct::new(schema.clone())
            .and_then(|s| s.with("id", Value::Int64(42)))
            .and_then(|s| s.with("item", "book"))
            .and_then(|s| s.with("discount", Value::Float64(0.5)))
            .and_then(|s| s.with("tags", Value::Array(vec![Value::from("new")])))
            .and_then(|s| {
                s.with(
                    "stock",
                    Value::Map(vec![(Value::from("lon"), Value::Int32(3))]),
                )
            })
            .and_then(|s| s.with("created", Value::Int64(1_700_000_000_123)))
            // 12.34 at scale 2: unscaled 1234 = 0x04d2
            .and_then(|s| s.with("price", vec![0x04u8, 0xd2]))
            .and_then(|s| s.with("status", "PAID"))
            .and_then(|s| s.with("paid", true))
            .and_then(|s| {
                s.with(
                    "customer",
                    Struct::new(customer_schema.clone())?.with("name", "Ada")?,
                )
            })
            .unwrap(),
        Struct::new(schema.clone())
            .and_then(|s| s.with("id", Value::Int64(43)))
            .and_then(|s| s.with("item", "pen"))
            .and_then(|s| s.with("tags", Value::Array(vec![])))
            .and_then(|s| s.with("stock", Value::Map(vec![])))
            .and_then(|s| s.with("created", Value::Int64(0)))
            // -0.05 at scale 2: unscaled -5 = 0xfb
            .and_then(|s| s.with("price", vec![0xfbu8]))
            .and_then(|s| s.with("status", "NEW"))
            .and_then(|s| s.with("paid", false))
            .and_then(|s| {
                s.with(
                    "customer",
                    Struct::new(customer_schema.clone())?.with("name", "Bob")?,
                )
            })
            .unwrap(),
    ];
    let hexes = hexes.as_array().unwrap();
    assert_eq!(hexes.len(), 2);
    for (h, want) in hexes.iter().zip(expected) {
        let got = c
            .to_connect_data(&topic, &Headers::new(), Some(&unhex(h.as_str().unwrap())))
            .unwrap();
        assert_eq!(got.schema.as_ref(), Some(&schema));
        assert_eq!(got.value, Value::Struct(want));
    }
}

#[test]
fn source_pipeline_writes_avro_that_python_reads() {
    let url = registry_url();
    let topic = unique_name("avro-source");
    create_topic(&topic, 1);
    let data = tempfile::tempdir().unwrap();
    let input = data.path().join("in.txt");
    std::fs::write(&input, "alpha\nbeta\ngamma\n").unwrap();
    let worker = Worker::start_standalone(
        &[
            ("value.converter", CONVERTER),
            ("value.converter.schema.registry.url", &url),
        ],
        &[],
    );
    let created = worker.rest().post_json(
        "/connectors",
        &json!({"name": unique_name("avro-src"), "config": {
            "connector.class": "FileStreamSource",
            "file": input.display().to_string(),
            "topic": topic,
            "transforms": "hoist",
            "transforms.hoist.type": "org.apache.kafka.connect.transforms.HoistField$Value",
            "transforms.hoist.field": "line",
        }}),
    );
    assert_eq!(created.status, 201, "{created}");
    let records = consume_n(&topic, 3, WAIT);
    assert_eq!(records.len(), 3, "{}", worker.log_tail_block());
    let hexes: Vec<String> = records
        .iter()
        .map(|r| hex(r.value.as_deref().expect("a value")))
        .collect();
    let decoded = python(&url, "deserialize", &topic, &json!({"hex": hexes}));
    assert_eq!(
        decoded,
        json!([{"line": "alpha"}, {"line": "beta"}, {"line": "gamma"}])
    );
}

#[test]
fn sink_pipeline_reads_avro_written_by_python() {
    let url = registry_url();
    let topic = unique_name("avro-sink");
    create_topic(&topic, 1);
    let schema = r#"{"type":"record","name":"Reading","namespace":"lab","fields":[{"name":"sensor","type":"string"},{"name":"value","type":"double"},{"name":"note","type":["null","string"],"default":null}]}"#;
    let hexes = python(
        &url,
        "serialize",
        &topic,
        &json!({"schema": schema, "values": [
            {"sensor": "s1", "value": 1.5, "note": "ok"},
            {"sensor": "s2", "value": -3.0, "note": null},
        ]}),
    );
    let values: Vec<Vec<u8>> = hexes
        .as_array()
        .unwrap()
        .iter()
        .map(|h| unhex(h.as_str().unwrap()))
        .collect();
    produce(
        &topic,
        values
            .iter()
            .enumerate()
            .map(|(i, v)| (format!("k{i}"), v.clone())),
    );
    // The sink flushes its file when offsets are committed.
    let worker = Worker::start_standalone(&[("offset.flush.interval.ms", "500")], &[]);
    let out = worker.dir().join("readings.txt");
    let created = worker.rest().post_json(
        "/connectors",
        &json!({"name": unique_name("avro-snk"), "config": {
            "connector.class": "FileStreamSink",
            "topics": topic,
            "file": out.display().to_string(),
            "value.converter": CONVERTER,
            "value.converter.schema.registry.url": url,
            "consumer.override.session.timeout.ms": "6000",
        }}),
    );
    assert_eq!(created.status, 201, "{created}");
    assert!(
        wait_until(WAIT, || read_complete_lines(&out).len() >= 2),
        "sink wrote {:?}\n{}",
        read_complete_lines(&out),
        worker.log_tail_block()
    );
    assert_eq!(
        read_complete_lines(&out),
        vec![
            "Struct{sensor=s1,value=1.5,note=ok}",
            "Struct{sensor=s2,value=-3.0}"
        ]
    );
}

#[test]
fn registry_errors_are_clear_errors() {
    let url = registry_url();
    let topic = unique_name("avro-errors");
    let mut c = converter(&[("schema.registry.url", &url)], false);
    // An id the registry never gave out.
    let e = c
        .to_connect_data(
            &topic,
            &Headers::new(),
            Some(&[0, 0x7f, 0xff, 0xff, 0x00, 2]),
        )
        .unwrap_err();
    assert_eq!(
        e.class_name(),
        "org.apache.kafka.connect.errors.DataException"
    );
    assert!(
        e.message()
            .contains("Error retrieving Avro value schema for id 2147483392")
            && e.message().contains("error code: 40403"),
        "{e}"
    );
    let e = c
        .to_connect_data(&topic, &Headers::new(), Some(b"{\"json\":1}"))
        .unwrap_err();
    assert!(e.message().ends_with("Unknown magic byte!"), "{e}");

    // Nothing listens on the URL: the registry is down.
    let dead = format!("http://127.0.0.1:{}", free_port());
    let mut down = converter(&[("schema.registry.url", &dead)], false);
    let schema = SchemaBuilder::struct_()
        .with_field("a", schemas::int32())
        .build();
    let value = Value::Struct(Struct::new(schema.clone()).unwrap().with("a", 1).unwrap());
    let e = encode(&mut down, &topic, &schema, &value).unwrap_err();
    assert!(
        e.contains("Error registering Avro schema")
            && e.contains("Schema Registry unreachable")
            && e.contains(&dead),
        "{e}"
    );
    // With a second URL that works, the converter fails over to it.
    let mut failover = converter(&[("schema.registry.url", &format!("{dead},{url}"))], false);
    let bytes = encode(&mut failover, &topic, &schema, &value).unwrap();
    assert_eq!(bytes[0], 0);

    // auto.register.schemas=false and a subject that does not exist: the registry's 40401 comes through.
    let mut lookup_only = converter(
        &[
            ("schema.registry.url", &url),
            ("auto.register.schemas", "false"),
        ],
        false,
    );
    let other = unique_name("avro-unregistered");
    let e = encode(&mut lookup_only, &other, &schema, &value).unwrap_err();
    assert!(
        e.contains(&format!("Subject '{other}-value' not found"))
            && e.contains("error code: 40401"),
        "{e}"
    );
    // Registered already (by the failover converter above): the lookup finds the same id.
    let found = encode(&mut lookup_only, &topic, &schema, &value).unwrap();
    assert_eq!(found[..5], bytes[..5]);

    // An incompatible change under BACKWARD compatibility: the registry's 409 comes through.
    let changed = SchemaBuilder::struct_()
        .with_field("b", schemas::string())
        .build();
    let changed_value = Value::Struct(
        Struct::new(changed.clone())
            .unwrap()
            .with("b", "x")
            .unwrap(),
    );
    let e = encode(&mut c, &topic, &changed, &changed_value).unwrap_err();
    assert!(
        e.contains("incompatible") && e.contains("error code: 409"),
        "{e}"
    );
}

#[test]
fn an_unknown_schema_id_fails_the_sink_task() {
    let url = registry_url();
    let topic = unique_name("avro-bad-id");
    create_topic(&topic, 1);
    produce(&topic, [("k", vec![0u8, 0x7f, 0xff, 0xff, 0x01, 2, 4])]);
    let worker = Worker::start_standalone(&[], &[]);
    let name = unique_name("avro-bad-sink");
    let created = worker.rest().post_json(
        "/connectors",
        &json!({"name": name, "config": {
            "connector.class": "FileStreamSink",
            "topics": topic,
            "file": worker.dir().join("never.txt").display().to_string(),
            "value.converter": CONVERTER,
            "value.converter.schema.registry.url": url,
            "consumer.override.session.timeout.ms": "6000",
        }}),
    );
    assert_eq!(created.status, 201, "{created}");
    let status = || {
        worker
            .rest()
            .get(&format!("/connectors/{name}/status"))
            .body
    };
    assert!(
        wait_until(WAIT, || status()["tasks"][0]["state"] == "FAILED"),
        "task should fail: {}\n{}",
        status(),
        worker.log_tail_block()
    );
    let trace = status()["tasks"][0]["trace"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        trace.contains("org.apache.kafka.connect.errors.DataException")
            && trace.contains("Error retrieving Avro value schema for id 2147483393")
            && trace.contains("40403"),
        "trace: {trace}"
    );
    assert!(
        worker.rest().get("/").status == 200,
        "the worker keeps serving"
    );
}

#[test]
fn basic_auth_from_user_info_or_url() {
    let registry = PrivateRegistry::start(&["--basic-auth", "connect:s3cret"]);
    let base = registry.url();
    let topic = unique_name("avro-auth");
    let schema = SchemaBuilder::struct_()
        .with_field("a", schemas::int32())
        .build();
    let value = Value::Struct(Struct::new(schema.clone()).unwrap().with("a", 5).unwrap());

    let mut none = converter(&[("schema.registry.url", &base)], false);
    let e = encode(&mut none, &topic, &schema, &value).unwrap_err();
    assert!(
        e.contains("Unauthorized") && e.contains("error code: 401"),
        "{e}"
    );

    let mut wrong = converter(
        &[
            ("schema.registry.url", &base),
            ("basic.auth.credentials.source", "USER_INFO"),
            ("basic.auth.user.info", "connect:nope"),
        ],
        false,
    );
    assert!(encode(&mut wrong, &topic, &schema, &value)
        .unwrap_err()
        .contains("401"));

    let mut user_info = converter(
        &[
            ("schema.registry.url", &base),
            ("basic.auth.credentials.source", "USER_INFO"),
            ("basic.auth.user.info", "connect:s3cret"),
        ],
        false,
    );
    let bytes = encode(&mut user_info, &topic, &schema, &value).unwrap();
    let with_url_creds = base.replace("http://", "http://connect:s3cret@");
    let mut url_source = converter(&[("schema.registry.url", &with_url_creds)], false);
    let back = url_source
        .to_connect_data(&topic, &Headers::new(), Some(&bytes))
        .unwrap();
    assert_same_record(&back, &value);
}

#[test]
fn subject_strategies_latest_version_and_ids_stable_across_restart() {
    let data = tempfile::tempdir().unwrap();
    let file = data.path().join("registry.json");
    let mut registry = PrivateRegistry::start(&["--data", file.to_str().unwrap()]);
    let url = registry.url();
    let topic = unique_name("avro-subjects");
    let schema = SchemaBuilder::struct_()
        .name("com.example.Event")
        .with_field("n", schemas::int64())
        .build();
    let value = Value::Struct(
        Struct::new(schema.clone())
            .unwrap()
            .with("n", Value::Int64(1))
            .unwrap(),
    );
    let key_schema = schemas::string();

    let mut record_name = converter(
        &[
            ("schema.registry.url", &url),
            (
                "value.subject.name.strategy",
                "io.confluent.kafka.serializers.subject.RecordNameStrategy",
            ),
        ],
        false,
    );
    let by_record = encode(&mut record_name, &topic, &schema, &value).unwrap();
    let mut topic_record = converter(
        &[
            ("schema.registry.url", &url),
            (
                "value.subject.name.strategy",
                "io.confluent.kafka.serializers.subject.TopicRecordNameStrategy",
            ),
        ],
        false,
    );
    let by_topic_record = encode(&mut topic_record, &topic, &schema, &value).unwrap();
    let mut key = converter(&[("schema.registry.url", &url)], true);
    let key_bytes = encode(&mut key, &topic, &key_schema, &Value::from("k1")).unwrap();
    assert_eq!(key_bytes[5..], [4, b'k', b'1']);
    let (_, subjects) = registry_get(&url, "/subjects");
    assert_eq!(
        subjects,
        json!([
            format!("{topic}-com.example.Event"),
            format!("{topic}-key"),
            "com.example.Event"
        ])
    );
    // One schema, one id, whatever the subject.
    assert_eq!(by_record[..5], by_topic_record[..5]);

    // use.latest.version without auto-registration: the subject's latest id.
    let mut latest = converter(
        &[
            ("schema.registry.url", &url),
            ("auto.register.schemas", "false"),
            ("use.latest.version", "true"),
            ("value.subject.name.strategy", "RecordNameStrategy"),
        ],
        false,
    );
    assert_eq!(
        encode(&mut latest, &topic, &schema, &value).unwrap(),
        by_record
    );

    // The registry restarts from its file: same ids, and registering again gives the same id.
    registry.restart();
    let (status, by_id) = registry_get(
        &url,
        &format!(
            "/schemas/ids/{}",
            i32::from_be_bytes([by_record[1], by_record[2], by_record[3], by_record[4]])
        ),
    );
    assert_eq!(status, 200, "{by_id}");
    let mut fresh = converter(
        &[
            ("schema.registry.url", &url),
            ("value.subject.name.strategy", "RecordNameStrategy"),
        ],
        false,
    );
    assert_eq!(
        encode(&mut fresh, &topic, &schema, &value).unwrap(),
        by_record
    );
    let back = fresh
        .to_connect_data(&topic, &Headers::new(), Some(&by_record))
        .unwrap();
    assert_same_record(&back, &value);
}

#[test]
fn test_registry_speaks_the_confluent_rest_subset() {
    let registry = PrivateRegistry::start(&[]);
    let url = registry.url();
    let call = |method: &str, path: &str, body: Option<Json>| {
        registry_call(&url, method, path, body.as_ref())
    };
    let v1 = r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"}]}"#;
    let v1_spaced =
        r#"{ "type": "record", "name": "R", "fields": [ {"name": "a", "type": "int"} ] }"#;
    let v2 = r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"},{"name":"b","type":"string","default":"x"}]}"#;
    let no_default = r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"},{"name":"c","type":"string"}]}"#;
    let register = |subject: &str, schema: &str| {
        call(
            "POST",
            &format!("/subjects/{subject}/versions"),
            Some(json!({"schema": schema})),
        )
    };

    assert_eq!(register("s", v1), (200, json!({"id": 1})));
    assert_eq!(
        register("s", v1_spaced),
        (200, json!({"id": 1})),
        "same schema, same id"
    );
    assert_eq!(
        register("other", v1),
        (200, json!({"id": 1})),
        "ids are global"
    );
    assert_eq!(register("s", v2), (200, json!({"id": 2})));
    assert_eq!(call("GET", "/subjects", None), (200, json!(["other", "s"])));
    assert_eq!(
        call("GET", "/subjects/s/versions", None),
        (200, json!([1, 2]))
    );
    let (status, latest) = call("GET", "/subjects/s/versions/latest", None);
    assert_eq!(
        (status, &latest["version"], &latest["id"]),
        (200, &json!(2), &json!(2))
    );
    assert_eq!(latest["subject"], "s");
    let (status, found) = call("POST", "/subjects/s", Some(json!({"schema": v1_spaced})));
    assert_eq!(
        (status, &found["version"], &found["id"]),
        (200, &json!(1), &json!(1))
    );
    let (status, by_id) = call("GET", "/schemas/ids/2", None);
    assert_eq!(status, 200);
    assert_eq!(
        serde_json::from_str::<Json>(by_id["schema"].as_str().unwrap()).unwrap(),
        serde_json::from_str::<Json>(v2).unwrap()
    );

    // Confluent's error codes.
    assert_eq!(call("GET", "/schemas/ids/99", None).1["error_code"], 40403);
    assert_eq!(
        call("GET", "/subjects/nope/versions", None).1["error_code"],
        40401
    );
    assert_eq!(
        call("GET", "/subjects/s/versions/7", None).1["error_code"],
        40402
    );
    assert_eq!(
        call("POST", "/subjects/s", Some(json!({"schema": no_default}))).1["error_code"],
        40403
    );
    let (status, invalid) = register(
        "s",
        r#"{"type":"record","name":"R","fields":[{"name":"a","type":"nope"}]}"#,
    );
    assert_eq!((status, &invalid["error_code"]), (422, &json!(42201)));

    // BACKWARD (the default): an added field needs a default; the check endpoint and registration agree.
    let check = |schema: &str| {
        call(
            "POST",
            "/compatibility/subjects/s/versions/latest",
            Some(json!({"schema": schema})),
        )
        .1["is_compatible"]
            .clone()
    };
    assert_eq!(check(no_default), json!(false));
    assert_eq!(check(v2), json!(true));
    let (status, conflict) = register("s", no_default);
    assert_eq!((status, &conflict["error_code"]), (409, &json!(409)));
    // FORWARD on the subject: old readers must read new data, so dropping field b (which has a default in the
    // old schema) is fine, and dropping a (no default) is not.
    assert_eq!(
        call(
            "PUT",
            "/config/s",
            Some(json!({"compatibility": "FORWARD"}))
        ),
        (200, json!({"compatibility": "FORWARD"}))
    );
    assert_eq!(
        call("GET", "/config/s", None),
        (200, json!({"compatibilityLevel": "FORWARD"}))
    );
    assert_eq!(
        call("GET", "/config", None),
        (200, json!({"compatibilityLevel": "BACKWARD"}))
    );
    assert_eq!(check(v1), json!(true));
    assert_eq!(
        check(r#"{"type":"record","name":"R","fields":[{"name":"b","type":"string"}]}"#),
        json!(false)
    );
    assert_eq!(
        call("PUT", "/config", Some(json!({"compatibility": "SIDEWAYS"}))).1["error_code"],
        42203
    );
    assert_eq!(
        call("PUT", "/config/s", Some(json!({"compatibility": "NONE"}))).0,
        200
    );
    assert_eq!(register("s", no_default), (200, json!({"id": 3})));

    // Soft delete hides the subject; a permanent delete needs the soft one first.
    assert_eq!(
        call("DELETE", "/subjects/other?permanent=true", None).1["error_code"],
        40405
    );
    assert_eq!(call("DELETE", "/subjects/other", None), (200, json!([1])));
    assert_eq!(call("GET", "/subjects", None), (200, json!(["s"])));
    assert_eq!(
        call("GET", "/subjects/other/versions", None).1["error_code"],
        40401
    );
    assert_eq!(
        call("DELETE", "/subjects/other?permanent=true", None),
        (200, json!([1]))
    );
    assert_eq!(
        call("GET", "/schemas/ids/1", None).0,
        200,
        "the id stays resolvable"
    );
}

/// An `io.confluent.connect.avro.Anything` record as Python sees it: every field null but `slot`.
fn anything(slot: &str, value: Json) -> Json {
    let fields = [
        "boolean", "bytes", "double", "float", "int", "long", "string", "array", "map",
    ];
    Json::Object(
        fields
            .iter()
            .map(|f| {
                let v = if *f == slot {
                    value.clone()
                } else {
                    Json::Null
                };
                (f.to_string(), v)
            })
            .collect(),
    )
}

#[test]
fn schemaless_values_interoperate_as_the_anything_record() {
    let url = registry_url();
    let topic = unique_name("avro-schemaless");
    let mut c = converter(&[("schema.registry.url", &url)], false);
    let value = Value::Map(vec![
        (Value::from("a"), Value::Int64(1)),
        (Value::from("b"), Value::Array(vec![Value::from("x")])),
    ]);
    let bytes = c
        .from_connect_data(&topic, &mut Headers::new(), None, &value)
        .unwrap()
        .unwrap();
    let decoded = python(&url, "deserialize", &topic, &json!({"hex": [hex(&bytes)]}));
    assert_eq!(
        decoded,
        json!([anything(
            "map",
            json!([
                {"key": anything("string", json!("a")), "value": anything("long", json!(1))},
                {"key": anything("string", json!("b")),
                 "value": anything("array", json!([anything("string", json!("x"))]))},
            ])
        )])
    );
    let id = i32::from_be_bytes([bytes[1], bytes[2], bytes[3], bytes[4]]);
    let (status, registered) = registry_get(&url, &format!("/schemas/ids/{id}"));
    assert_eq!(status, 200);
    let schema = registered["schema"].as_str().unwrap().to_string();
    assert!(schema.contains(r#""name":"Anything""#), "{schema}");
    // Python writes an Anything record; we read it as a schemaless value.
    let hexes = python(
        &url,
        "serialize",
        &topic,
        &json!({"schema": schema, "values": [anything("double", json!(2.5))]}),
    );
    let back = c
        .to_connect_data(
            &topic,
            &Headers::new(),
            Some(&unhex(hexes[0].as_str().unwrap())),
        )
        .unwrap();
    assert_eq!(back.schema, None);
    assert_eq!(back.value, Value::Float64(2.5));
}

#[test]
fn use_latest_version_takes_the_latest_id_when_its_layout_matches() {
    let url = registry_url();
    let topic = unique_name("avro-latest");
    let subject = format!("{topic}-value");
    let schema = SchemaBuilder::struct_()
        .with_field("a", schemas::int32())
        .with_field("b", schemas::optional_string())
        .build();
    let value = Value::Struct(
        Struct::new(schema.clone())
            .unwrap()
            .with("a", 7)
            .unwrap()
            .with("b", "x")
            .unwrap(),
    );
    // Managed outside Connect: another name, docs; the same layout.
    let managed = r#"{"type":"record","name":"Thing","namespace":"ops","doc":"managed","fields":[{"name":"a","type":"int","doc":"an a"},{"name":"b","type":["null","string"],"default":null}]}"#;
    let (status, registered) = registry_call(
        &url,
        "POST",
        &format!("/subjects/{subject}/versions"),
        Some(&json!({ "schema": managed })),
    );
    assert_eq!(status, 200, "{registered}");
    let mut latest = converter(
        &[
            ("schema.registry.url", &url),
            ("auto.register.schemas", "false"),
            ("use.latest.version", "true"),
        ],
        false,
    );
    let bytes = encode(&mut latest, &topic, &schema, &value).unwrap();
    assert_eq!(
        json!(i32::from_be_bytes([bytes[1], bytes[2], bytes[3], bytes[4]])),
        registered["id"]
    );
    let decoded = python(&url, "deserialize", &topic, &json!({"hex": [hex(&bytes)]}));
    assert_eq!(decoded, json!([{"a": 7, "b": "x"}]));
    // A latest schema with another layout is refused with a clear error, not written wrongly.
    let other = format!("{topic}-b");
    let widened = r#"{"type":"record","name":"Thing","fields":[{"name":"a","type":"long"},{"name":"b","type":["null","string"],"default":null}]}"#;
    registry_call(
        &url,
        "POST",
        &format!("/subjects/{other}-value/versions"),
        Some(&json!({ "schema": widened })),
    );
    let e = encode(&mut latest, &other, &schema, &value).unwrap_err();
    assert!(e.contains("does not have the layout"), "{e}");
}

#[test]
fn a_registry_that_is_down_fails_the_source_task_with_a_clear_trace() {
    let topic = unique_name("avro-down");
    create_topic(&topic, 1);
    let data = tempfile::tempdir().unwrap();
    let input = data.path().join("in.txt");
    std::fs::write(&input, "one\n").unwrap();
    let dead = format!("http://127.0.0.1:{}", free_port());
    let worker = Worker::start_standalone(&[], &[]);
    let name = unique_name("avro-down-src");
    let created = worker.rest().post_json(
        "/connectors",
        &json!({"name": name, "config": {
            "connector.class": "FileStreamSource",
            "file": input.display().to_string(),
            "topic": topic,
            "value.converter": CONVERTER,
            "value.converter.schema.registry.url": dead,
        }}),
    );
    assert_eq!(created.status, 201, "{created}");
    let status = || {
        worker
            .rest()
            .get(&format!("/connectors/{name}/status"))
            .body
    };
    assert!(
        wait_until(WAIT, || status()["tasks"][0]["state"] == "FAILED"),
        "task should fail: {}\n{}",
        status(),
        worker.log_tail_block()
    );
    let trace = status()["tasks"][0]["trace"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        trace.contains("org.apache.kafka.connect.errors.DataException")
            && trace.contains("Error registering Avro schema")
            && trace.contains("Schema Registry unreachable")
            && trace.contains(&dead),
        "trace: {trace}"
    );
    assert_eq!(
        worker.rest().get("/").status,
        200,
        "the worker keeps serving"
    );
}
