//! The S3 sink plugin (connect-s3) in a real standalone worker against the test broker and s3s-fs
//! (`tests/scripts/services.sh up broker s3`): Confluent's object names and JSON lines, Avro files read by fastavro
//! and Parquet files read by pyarrow, rotation by flush.size, by record time and by wall-clock schedule, the field
//! partitioner, gzip, a missing bucket failing the task, SIGKILL of the worker and a restart of the S3 server
//! mid-stream without loss or duplicates. Objects are read back through the S3 API with boto3.
//!
//! Build first: `cargo build --release --workspace --all-targets`; the tests run with `tests/run.sh`, the throughput
//! measurement with `cargo test --release --workspace throughput_json -- --ignored --nocapture`.

use std::collections::{BTreeMap, HashSet};
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant, SystemTime};

use connect_tests::{
    create_topic, produce, read_time_after_warmup, service_script, services_home, services_up,
    target_dir, test_python, unique_name, wait_until, write_properties, Worker,
};
use serde_json::Value;
use tempfile::TempDir;

const ACCESS_KEY: &str = "connect-test";
const SECRET_KEY: &str = "connect-test-secret";
const JSON_FORMAT: &str = "io.confluent.connect.s3.format.json.JsonFormat";

fn s3_port() -> String {
    std::env::var("CONNECT_S3_PORT").unwrap_or_else(|_| "9000".to_owned())
}

fn endpoint() -> String {
    format!("http://127.0.0.1:{}", s3_port())
}

/// Starts s3s-fs once per process (idempotent and locked across parallel test binaries).
fn ensure_s3() {
    static UP: OnceLock<Result<(), String>> = OnceLock::new();
    let result = UP.get_or_init(|| services_up(&["s3"]));
    if let Err(e) = result {
        panic!("{e}");
    }
}

/// Runs a boto3 snippet with `s3` bound to a client for the test server; returns its stdout parsed as JSON.
const PY_PRELUDE: &str = r#"
import base64, gzip, json, sys, boto3
from botocore.config import Config
s3 = boto3.client('s3', endpoint_url=sys.argv[1], aws_access_key_id=sys.argv[2],
                  aws_secret_access_key=sys.argv[3], region_name='us-east-1',
                  config=Config(s3={'addressing_style': 'path'}))
args = sys.argv[4:]
# s3s-fs 0.14 ignores EncodingType=url in ListObjectsV2 but boto3 asks for it and url-decodes the answer, which turns
# the '+' of Confluent's file names into spaces; list without it.
import botocore.handlers as h
s3.meta.events.unregister('before-parameter-build.s3.ListObjectsV2', h.set_list_objects_encoding_type_url)
s3.meta.events.unregister('after-call.s3.ListObjectsV2', h.decode_list_object_v2)
"#;

#[track_caller]
fn boto3(script: &str, args: &[&str]) -> Value {
    ensure_s3();
    let home = services_home();
    // boto3, and the Avro/Parquet readers of requirements-s3.txt (both installed by s3.sh).
    let path = std::env::join_paths([home.join("s3/python"), home.join("s3/readers")])
        .expect("PYTHONPATH");
    let out = Command::new(test_python())
        .env("PYTHONPATH", path)
        .arg("-c")
        .arg(format!("{PY_PRELUDE}\n{script}"))
        .args([endpoint().as_str(), ACCESS_KEY, SECRET_KEY])
        .args(args)
        .output()
        .expect("running python3");
    assert!(
        out.status.success(),
        "boto3 script failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or(Value::Null)
}

fn create_bucket(name: &str) {
    boto3("s3.create_bucket(Bucket=args[0]); print('null')", &[name]);
}

/// Every object of the bucket: key → content (gunzipped for `.gz`).
fn objects(bucket: &str) -> BTreeMap<String, String> {
    let v = boto3(
        r#"
out = {}
for page in s3.get_paginator('list_objects_v2').paginate(Bucket=args[0]):
    for o in page.get('Contents', []):
        body = s3.get_object(Bucket=args[0], Key=o['Key'])['Body'].read()
        if o['Key'].endswith('.gz'):
            body = gzip.decompress(body)
        out[o['Key']] = body.decode('utf-8')
print(json.dumps(out))
"#,
        &[bucket],
    );
    serde_json::from_value(v).expect("object map")
}

fn object_count(bucket: &str) -> usize {
    boto3(
        r#"
n = 0
for page in s3.get_paginator('list_objects_v2').paginate(Bucket=args[0]):
    n += len(page.get('Contents', []))
print(n)
"#,
        &[bucket],
    )
    .as_u64()
    .unwrap_or(0) as usize
}

/// A temp dir holding a copy of the S3 plugin, for `plugin.path`.
fn s3_plugin_dir() -> TempDir {
    let lib = target_dir().join("release/libconnect_s3.so");
    assert!(
        lib.is_file(),
        "{} not found: build with `cargo build --release -p connect-worker -p connect-s3`",
        lib.display()
    );
    let dir = tempfile::Builder::new()
        .prefix("connect-s3-plugin-")
        .tempdir()
        .expect("temp dir");
    let target = dir.path().join("libconnect_s3.so");
    if std::fs::hard_link(&lib, &target).is_err() {
        std::fs::copy(&lib, &target).expect("copying the plugin");
    }
    dir
}

/// A worker running one S3 sink connector over `topic` into `bucket`, JSON values without schemas.
struct Sink {
    worker: Worker,
    name: String,
    _plugins: TempDir,
    _config: TempDir,
}

fn start_sink(topic: &str, bucket: &str, extra: &[(&str, &str)]) -> Sink {
    start_sink_with(topic, bucket, extra, &[])
}

/// As [`start_sink`], with `worker_extra` added to (or replacing) the worker's properties.
fn start_sink_with(
    topic: &str,
    bucket: &str,
    extra: &[(&str, &str)],
    worker_extra: &[(&str, &str)],
) -> Sink {
    ensure_s3();
    let plugins = s3_plugin_dir();
    let config = tempfile::tempdir().expect("temp dir");
    let name = unique_name("s3sink");
    let url = endpoint();
    let mut props: Vec<(&str, &str)> = vec![
        ("name", name.as_str()),
        ("connector.class", "S3SinkConnector"),
        ("tasks.max", "1"),
        ("topics", topic),
        ("s3.bucket.name", bucket),
        ("s3.region", "us-east-1"),
        ("store.url", url.as_str()),
        ("aws.access.key.id", ACCESS_KEY),
        ("aws.secret.access.key", SECRET_KEY),
        ("format.class", JSON_FORMAT),
        ("flush.size", "3"),
        ("s3.retry.backoff.ms", "50"),
    ];
    for (k, v) in extra {
        props.retain(|(key, _)| key != k);
        props.push((*k, *v));
    }
    let file = config.path().join("s3-sink.properties");
    write_properties(&file, &props);
    let plugin_path = plugins.path().display().to_string();
    let mut worker_props = vec![
        ("plugin.path", plugin_path.as_str()),
        (
            "value.converter",
            "org.apache.kafka.connect.json.JsonConverter",
        ),
        ("value.converter.schemas.enable", "false"),
        ("offset.flush.interval.ms", "500"),
        ("consumer.auto.offset.reset", "earliest"),
    ];
    for (k, v) in worker_extra {
        worker_props.retain(|(key, _)| key != k);
        worker_props.push((*k, *v));
    }
    let worker = Worker::start_standalone(&worker_props, &[file]);
    Sink {
        worker,
        name,
        _plugins: plugins,
        _config: config,
    }
}

impl Sink {
    fn task_state(&self) -> (String, String) {
        let r = self
            .worker
            .rest()
            .get(&format!("/connectors/{}/status", self.name));
        let task = &r.body["tasks"][0];
        (
            task["state"].as_str().unwrap_or("").to_string(),
            task["trace"].as_str().unwrap_or("").to_string(),
        )
    }
}

#[track_caller]
fn wait_for_objects(sink: &Sink, bucket: &str, n: usize, timeout: Duration) {
    let ok = wait_until(timeout, || object_count(bucket) >= n);
    assert!(
        ok,
        "expected {n} objects in {bucket}, found {}; task {:?}; worker log:\n{}",
        object_count(bucket),
        sink.task_state(),
        sink.worker.log_tail(40)
    );
}

fn fresh(prefix: &str) -> (String, String) {
    let topic = unique_name(prefix);
    let bucket = unique_name(&format!("{prefix}-b")).to_lowercase();
    create_topic(&topic, 1);
    create_bucket(&bucket);
    (topic, bucket)
}

#[test]
fn json_objects_named_and_rotated_as_confluent() {
    let (topic, bucket) = fresh("s3json");
    let values: Vec<String> = (0..10)
        .map(|i| format!(r#"{{"id":{i},"name":"n{i}","ok":true,"x":1.5}}"#))
        .collect();
    produce(&topic, values.iter().map(|v| ("k", v.as_str())));
    let sink = start_sink(&topic, &bucket, &[]);
    wait_for_objects(&sink, &bucket, 3, Duration::from_secs(60));
    std::thread::sleep(Duration::from_secs(1));
    let objs = objects(&bucket);
    let expected: Vec<String> = [0, 3, 6]
        .iter()
        .map(|o| format!("topics/{topic}/partition=0/{topic}+0+{o:010}.json"))
        .collect();
    assert_eq!(objs.keys().cloned().collect::<Vec<_>>(), expected);
    for (i, key) in expected.iter().enumerate() {
        let want: String = values[i * 3..i * 3 + 3]
            .iter()
            .map(|v| format!("{v}\n"))
            .collect();
        assert_eq!(objs[key], want, "{key}");
    }
    // The 10th record stays in an open file (flush.size=3): 9 records in S3, nothing else.
    assert_eq!(sink.task_state().0, "RUNNING");
}

#[test]
fn field_partitioner_and_gzip() {
    let (topic, bucket) = fresh("s3field");
    let values: Vec<String> = (0..8)
        .map(|i| {
            let region = if i % 2 == 0 { "eu" } else { "us" };
            format!(r#"{{"region":"{region}","id":{i}}}"#)
        })
        .collect();
    produce(&topic, values.iter().map(|v| ("k", v.as_str())));
    let sink = start_sink(
        &topic,
        &bucket,
        &[
            ("flush.size", "4"),
            (
                "partitioner.class",
                "io.confluent.connect.storage.partitioner.FieldPartitioner",
            ),
            ("partition.field.name", "region"),
            ("s3.compression.type", "gzip"),
            ("topics.dir", "data"),
        ],
    );
    wait_for_objects(&sink, &bucket, 4, Duration::from_secs(60));
    let objs = objects(&bucket);
    let key = |region: &str, off: i64| {
        format!("data/{topic}/region={region}/{topic}+0+{off:010}.json.gz")
    };
    let line = |i: usize| format!("{}\n", values[i]);
    let expected: BTreeMap<String, String> = [
        (key("eu", 0), line(0) + &line(2)),
        (key("us", 1), line(1) + &line(3)),
        (key("eu", 4), line(4) + &line(6)),
        (key("us", 5), line(5) + &line(7)),
    ]
    .into_iter()
    .collect();
    assert_eq!(objs, expected);
}

#[test]
fn missing_bucket_fails_the_task_naming_the_bucket() {
    let topic = unique_name("s3nobucket");
    create_topic(&topic, 1);
    let bucket = unique_name("no-such-bucket").to_lowercase();
    let sink = start_sink(&topic, &bucket, &[]);
    let mut state = (String::new(), String::new());
    let failed = wait_until(Duration::from_secs(30), || {
        state = sink.task_state();
        state.0 == "FAILED"
    });
    assert!(failed, "task state {state:?}\n{}", sink.worker.log_tail(30));
    assert!(
        state.1.contains(&bucket),
        "trace does not name the bucket: {}",
        state.1
    );
}

/// SIGKILL the worker while it writes, restart it: every record is in the bucket exactly once, in files whose names
/// follow from flush.size (start offsets are multiples of it).
#[test]
fn sigkill_mid_stream_loses_and_duplicates_nothing() {
    // 40k records of ~170 bytes per file: each file is a multipart upload of two 5 MiB parts.
    const N: usize = 200_000;
    const FLUSH: usize = 40_000;
    let (topic, bucket) = fresh("s3kill");
    let values: Vec<String> = (0..N)
        .map(|i| format!(r#"{{"id":{i},"pad":"{}"}}"#, "x".repeat(150)))
        .collect();
    produce(&topic, values.iter().map(|v| ("k", v.as_str())));
    let flush = FLUSH.to_string();
    let mut sink = start_sink(
        &topic,
        &bucket,
        &[("flush.size", flush.as_str()), ("s3.part.size", "5242880")],
    );
    wait_for_objects(&sink, &bucket, 1, Duration::from_secs(60));
    sink.worker.kill9();
    let before = object_count(&bucket);
    sink.worker.restart();
    wait_for_objects(&sink, &bucket, N / FLUSH, Duration::from_secs(120));
    std::thread::sleep(Duration::from_secs(2));
    let objs = objects(&bucket);
    assert_eq!(
        objs.len(),
        N / FLUSH,
        "objects: {:?}",
        objs.keys().collect::<Vec<_>>()
    );
    let mut seen = HashSet::new();
    for (key, body) in &objs {
        let start: usize = key
            .rsplit('+')
            .next()
            .and_then(|s| s.strip_suffix(".json"))
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("unexpected key {key}"));
        assert_eq!(start % FLUSH, 0, "{key}");
        let lines: Vec<&str> = body.lines().collect();
        assert_eq!(lines.len(), FLUSH, "{key}");
        for (j, line) in lines.iter().enumerate() {
            let v: Value = serde_json::from_str(line).expect("JSON line");
            let id = v["id"].as_u64().expect("id") as usize;
            assert_eq!(id, start + j, "{key} line {j}");
            assert!(seen.insert(id), "duplicate id {id}");
        }
    }
    assert_eq!(seen.len(), N);
    eprintln!(
        "sigkill test: {before} objects before the kill, {} after recovery, no loss, no duplicate",
        objs.len()
    );
}

/// Connector settings for values in JsonConverter's schema envelope, so that records carry a Connect schema.
const WITH_SCHEMAS: [(&str, &str); 2] = [
    (
        "value.converter",
        "org.apache.kafka.connect.json.JsonConverter",
    ),
    ("value.converter.schemas.enable", "true"),
];

/// Record `i` as a JsonConverter envelope with a struct schema (id int32, optional name, score double) and its
/// payload; every third name is null.
fn row_with_schema(i: usize) -> (String, Value) {
    let name = if i % 3 == 2 {
        Value::Null
    } else {
        Value::from(format!("n{i}"))
    };
    let payload = serde_json::json!({"id": i, "name": name, "score": i as f64 + 0.5});
    let envelope = serde_json::json!({
        "schema": {"type": "struct", "optional": false, "fields": [
            {"field": "id", "type": "int32", "optional": false},
            {"field": "name", "type": "string", "optional": true},
            {"field": "score", "type": "double", "optional": false}
        ]},
        "payload": payload,
    });
    (envelope.to_string(), payload)
}

/// Every object of the bucket read by a standard reader: key → what `reader` (Python, given `body`) returns.
fn read_objects(bucket: &str, reader: &str) -> BTreeMap<String, Value> {
    let script = format!(
        r#"
import io
def read(body):
{reader}
out = {{}}
for page in s3.get_paginator('list_objects_v2').paginate(Bucket=args[0]):
    for o in page.get('Contents', []):
        out[o['Key']] = read(s3.get_object(Bucket=args[0], Key=o['Key'])['Body'].read())
print(json.dumps(out))
"#
    );
    serde_json::from_value(boto3(&script, &[bucket])).expect("object map")
}

#[test]
fn avro_files_read_by_fastavro() {
    let (topic, bucket) = fresh("s3avro");
    let rows: Vec<(String, Value)> = (0..7).map(row_with_schema).collect();
    produce(&topic, rows.iter().map(|(v, _)| ("k", v.as_str())));
    let mut extra = WITH_SCHEMAS.to_vec();
    extra.extend([
        (
            "format.class",
            "io.confluent.connect.s3.format.avro.AvroFormat",
        ),
        ("avro.codec", "snappy"),
    ]);
    let sink = start_sink(&topic, &bucket, &extra);
    wait_for_objects(&sink, &bucket, 2, Duration::from_secs(60));
    let objs = read_objects(
        &bucket,
        r#"
    import fastavro
    r = fastavro.reader(io.BytesIO(body))
    return {'schema': json.loads(r.metadata['avro.schema']), 'codec': r.codec, 'records': list(r)}
"#,
    );
    let key = |o: usize| format!("topics/{topic}/partition=0/{topic}+0+{o:010}.avro");
    assert_eq!(
        objs.keys().cloned().collect::<Vec<_>>(),
        [key(0), key(3)],
        "{objs:?}"
    );
    // The writer schema AvroData derives from the Connect schema.
    let schema = serde_json::json!({
        "type": "record", "name": "ConnectDefault", "namespace": "io.confluent.connect.avro",
        "fields": [
            {"name": "id", "type": "int"},
            {"name": "name", "type": ["null", "string"], "default": null},
            {"name": "score", "type": "double"}
        ]
    });
    for (start, file) in [(0, &objs[&key(0)]), (3, &objs[&key(3)])] {
        assert_eq!(file["schema"], schema);
        assert_eq!(file["codec"], "snappy");
        let want: Vec<Value> = rows[start..start + 3]
            .iter()
            .map(|(_, p)| p.clone())
            .collect();
        assert_eq!(file["records"], Value::Array(want), "file at {start}");
    }
    assert_eq!(sink.task_state().0, "RUNNING");
}

#[test]
fn parquet_files_read_by_pyarrow() {
    let (topic, bucket) = fresh("s3parquet");
    let rows: Vec<(String, Value)> = (0..7).map(row_with_schema).collect();
    produce(&topic, rows.iter().map(|(v, _)| ("k", v.as_str())));
    let mut extra = WITH_SCHEMAS.to_vec();
    extra.push((
        "format.class",
        "io.confluent.connect.s3.format.parquet.ParquetFormat",
    ));
    let sink = start_sink(&topic, &bucket, &extra);
    wait_for_objects(&sink, &bucket, 2, Duration::from_secs(60));
    let objs = read_objects(
        &bucket,
        r#"
    import pyarrow.parquet as pq
    f = pq.ParquetFile(io.BytesIO(body))
    t = f.read()
    return {'fields': [[x.name, str(x.type), x.nullable] for x in t.schema],
            'codec': f.metadata.row_group(0).column(0).compression,
            'rows': t.to_pylist()}
"#,
    );
    let key = |o: usize| format!("topics/{topic}/partition=0/{topic}+0+{o:010}.snappy.parquet");
    assert_eq!(
        objs.keys().cloned().collect::<Vec<_>>(),
        [key(0), key(3)],
        "{objs:?}"
    );
    let fields = serde_json::json!([
        ["id", "int32", false],
        ["name", "string", true],
        ["score", "double", false]
    ]);
    for (start, file) in [(0, &objs[&key(0)]), (3, &objs[&key(3)])] {
        assert_eq!(file["fields"], fields);
        assert_eq!(file["codec"], "SNAPPY");
        let want: Vec<Value> = rows[start..start + 3]
            .iter()
            .map(|(_, p)| p.clone())
            .collect();
        assert_eq!(file["rows"], Value::Array(want), "file at {start}");
    }
    assert_eq!(sink.task_state().0, "RUNNING");
}

/// `rotate.interval.ms` measured on a record field: a file closes when a record is 1 s or more younger than the
/// file's first record, whatever the wall clock does, so the files are the same on every run.
#[test]
fn rotation_by_record_time() {
    let (topic, bucket) = fresh("s3rotate");
    let base: i64 = 1_700_000_000_000;
    let offsets_ms = [0, 100, 999, 1000, 1500, 2100];
    let values: Vec<String> = offsets_ms
        .iter()
        .enumerate()
        .map(|(i, d)| format!(r#"{{"id":{i},"ts":{}}}"#, base + d))
        .collect();
    produce(&topic, values.iter().map(|v| ("k", v.as_str())));
    let sink = start_sink(
        &topic,
        &bucket,
        &[
            ("flush.size", "100"),
            ("rotate.interval.ms", "1000"),
            (
                "partitioner.class",
                "io.confluent.connect.storage.partitioner.TimeBasedPartitioner",
            ),
            ("partition.duration.ms", "86400000"),
            ("path.format", "'day'=YYYYMMdd"),
            ("locale", "en-US"),
            ("timezone", "UTC"),
            ("timestamp.extractor", "RecordField"),
            ("timestamp.field", "ts"),
        ],
    );
    wait_for_objects(&sink, &bucket, 2, Duration::from_secs(60));
    std::thread::sleep(Duration::from_secs(2));
    let objs = objects(&bucket);
    // 1000 - 0 >= 1000 closes [0, 1, 2]; 2100 - 1000 >= 1000 closes [3, 4]; record 5 stays in the open file.
    let key = |o: usize| format!("topics/{topic}/day=20231114/{topic}+0+{o:010}.json");
    let lines = |r: std::ops::Range<usize>| {
        values[r]
            .iter()
            .map(|v| format!("{v}\n"))
            .collect::<String>()
    };
    let expected: BTreeMap<String, String> = [(key(0), lines(0..3)), (key(3), lines(3..5))]
        .into_iter()
        .collect();
    assert_eq!(objs, expected);
}

/// `rotate.schedule.interval.ms` closes the open file on the wall clock while no record arrives. Offsets are flushed
/// only every 10 minutes here, so the rotation can only come from the empty put() the worker makes after an idle
/// poll (as Kafka's WorkerSinkTask does), not from preCommit.
#[test]
fn scheduled_rotation_while_idle() {
    let (topic, bucket) = fresh("s3sched");
    let values: Vec<String> = (0..8).map(|i| format!(r#"{{"id":{i}}}"#)).collect();
    produce(&topic, values[..5].iter().map(|v| ("k", v.as_str())));
    let sink = start_sink_with(
        &topic,
        &bucket,
        &[
            ("flush.size", "1000"),
            ("rotate.schedule.interval.ms", "2000"),
            ("timezone", "UTC"),
        ],
        &[("offset.flush.interval.ms", "600000")],
    );
    wait_for_objects(&sink, &bucket, 1, Duration::from_secs(60));
    let key = |o: usize| format!("topics/{topic}/partition=0/{topic}+0+{o:010}.json");
    let lines = |r: std::ops::Range<usize>| {
        values[r]
            .iter()
            .map(|v| format!("{v}\n"))
            .collect::<String>()
    };
    assert_eq!(
        objects(&bucket),
        [(key(0), lines(0..5))].into_iter().collect()
    );
    produce(&topic, values[5..].iter().map(|v| ("k", v.as_str())));
    // The next records go to files starting at offset 5 (one, unless a schedule boundary fell between two polls).
    let mut objs = BTreeMap::new();
    let all_in = wait_until(Duration::from_secs(60), || {
        objs = objects(&bucket);
        objs.values().map(|b| b.lines().count()).sum::<usize>() >= values.len()
    });
    assert!(all_in, "{objs:?}\n{}", sink.worker.log_tail(30));
    assert_eq!(objs.remove(&key(0)).as_deref(), Some(lines(0..5).as_str()));
    assert!(objs.contains_key(&key(5)), "{objs:?}");
    assert_eq!(objs.values().cloned().collect::<String>(), lines(5..8));
}

/// Restarts the S3 server (`s3.sh restart`) while the sink uploads multipart files: the task stays RUNNING, retries,
/// and the bucket ends up with every record exactly once.
#[test]
fn s3_server_restart_mid_upload() {
    const N: usize = 160_000;
    const FLUSH: usize = 40_000;
    let (topic, bucket) = fresh("s3restart");
    let values: Vec<String> = (0..N)
        .map(|i| format!(r#"{{"id":{i},"pad":"{}"}}"#, "x".repeat(150)))
        .collect();
    produce(&topic, values.iter().map(|v| ("k", v.as_str())));
    let flush = FLUSH.to_string();
    let sink = start_sink(
        &topic,
        &bucket,
        &[("flush.size", flush.as_str()), ("s3.part.size", "5242880")],
    );
    wait_for_objects(&sink, &bucket, 1, Duration::from_secs(60));
    service_script("s3.sh", &["restart"]).unwrap_or_else(|e| panic!("{e}"));
    wait_for_objects(&sink, &bucket, N / FLUSH, Duration::from_secs(180));
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(
        sink.task_state().0,
        "RUNNING",
        "{}",
        sink.worker.log_tail(30)
    );
    let objs = objects(&bucket);
    assert_eq!(
        objs.len(),
        N / FLUSH,
        "{:?}",
        objs.keys().collect::<Vec<_>>()
    );
    let mut seen = HashSet::new();
    for (key, body) in &objs {
        for line in body.lines() {
            let v: Value = serde_json::from_str(line).expect("JSON line");
            let id = v["id"].as_u64().expect("id") as usize;
            assert!(seen.insert(id), "duplicate id {id} in {key}");
        }
    }
    assert_eq!(seen.len(), N);
}

/// Throughput of one task for 200-byte records, JSON lines then Parquet (run with --ignored --nocapture; prints
/// MB/s and records/s for each, counting the 200 bytes of each record's data as the JSON line holds it).
#[test]
#[ignore]
fn throughput_json_and_parquet_200_byte_records() {
    let n: usize = std::env::var("S3_PERF_RECORDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(500_000);
    // 200 bytes per JSON line including the newline.
    let line = |i: usize| {
        let head = format!(r#"{{"id":{i},"pad":""#);
        format!("{head}{}\"}}", "p".repeat(199 - head.len() - 2))
    };
    assert_eq!(line(0).len() + 1, 200);
    let json: Vec<String> = (0..n).map(line).collect();
    throughput("JSON", &json, &[]);

    // The same fields with a schema (JsonConverter envelope), written as Parquet.
    let schema = r#"{"type":"struct","optional":false,"fields":[{"field":"id","type":"int64","optional":false},{"field":"pad","type":"string","optional":false}]}"#;
    let enveloped: Vec<String> = json
        .iter()
        .map(|l| format!(r#"{{"schema":{schema},"payload":{l}}}"#))
        .collect();
    let mut extra = WITH_SCHEMAS.to_vec();
    extra.push((
        "format.class",
        "io.confluent.connect.s3.format.parquet.ParquetFormat",
    ));
    throughput("Parquet", &enveloped, &extra);
}

/// When `dir` of `bucket` held `n` objects whose names start with `prefix`, looked up every 2 ms in the S3 server's
/// own storage. s3s-fs writes an object to a temporary file at its data root and renames it to `<bucket>/<key>` as
/// the upload completes, so an object's file appears whole, as the object becomes visible. (A boto3 process listing
/// the bucket every 20 ms took a sixth of a core from the run it timed.)
fn objects_complete_at(
    bucket: &str,
    dir: &str,
    prefix: &str,
    n: usize,
    timeout: Duration,
) -> SystemTime {
    let dir = services_home().join("s3/data").join(bucket).join(dir);
    let deadline = Instant::now() + timeout;
    loop {
        let count = std::fs::read_dir(&dir).map_or(0, |entries| {
            entries
                .filter_map(Result::ok)
                .filter(|e| e.file_name().to_string_lossy().starts_with(prefix))
                .count()
        });
        if count >= n {
            return SystemTime::now();
        }
        assert!(
            Instant::now() < deadline,
            "{} held {count} of {n} objects after {timeout:?}",
            dir.display()
        );
        std::thread::sleep(Duration::from_millis(2));
    }
}

fn throughput(label: &str, values: &[String], extra: &[(&str, &str)]) {
    let n = values.len();
    let flush = 50_000;
    let files = n / flush;
    let (topic, bucket) = fresh("s3perf");
    produce(&topic, values.iter().map(|v| ("k", v.as_str())));
    let bytes = (n * 200) as f64;

    // Ceiling 1: the raw rdkafka consumer reading the same records, timed from the fifth of them on (its first
    // fetches, up to 50 MB, arrive before it hands out the first record) and scaled to all of them.
    let warmup = n / 5;
    let raw_time = read_time_after_warmup(&topic, n, warmup, Duration::from_secs(300));
    let raw_rate = (n - warmup) as f64 / raw_time.as_secs_f64();
    let raw_consume = n as f64 / raw_rate;

    // Ceiling 2: boto3 (as `aws s3 cp` does: multipart, parts in parallel) uploading the same bytes as the same
    // number of objects to another bucket of the same server.
    let raw_bucket = format!("{bucket}-raw");
    create_bucket(&raw_bucket);
    let object_bytes = (flush * 200).to_string();
    let raw_upload = boto3(
        r#"
import io, time
data = b'x' * int(args[1])
t = time.time()
for i in range(int(args[2])):
    s3.upload_fileobj(io.BytesIO(data), args[0], f'raw/{i}')
print(json.dumps(time.time() - t))
"#,
        &[&raw_bucket, &object_bytes, &files.to_string()],
    )
    .as_f64()
    .expect("upload seconds");

    // The sink: from its first record read (off /metrics, polled every 10 ms until then) until the last object is
    // complete.
    let flush_text = flush.to_string();
    let mut props = vec![
        ("flush.size", flush_text.as_str()),
        ("s3.part.size", "5242880"),
    ];
    props.extend_from_slice(extra);
    let sink = start_sink(&topic, &bucket, &props);
    let read = format!(
        "kafka_connect_sink_task_metrics_sink_record_read_total{{connector=\"{}\",task=\"0\"}}",
        sink.name
    );
    let deadline = Instant::now() + Duration::from_secs(120);
    while !sink
        .worker
        .rest()
        .get("/metrics")
        .text
        .lines()
        .any(|l| l.starts_with(&read) && !l.ends_with(" 0"))
    {
        assert!(
            Instant::now() < deadline,
            "the sink read nothing: {}",
            sink.worker.log_tail(30)
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let started = SystemTime::now();
    let secs = objects_complete_at(
        &bucket,
        &format!("topics/{topic}/partition=0"),
        &format!("{topic}+0+"),
        files,
        Duration::from_secs(600),
    )
    .duration_since(started)
    .unwrap_or_default()
    .as_secs_f64();
    // The same objects through the S3 API.
    let listed = boto3(
        "print(json.dumps(sum(len(p.get('Contents', [])) for p in s3.get_paginator('list_objects_v2').paginate(Bucket=args[0]))))",
        &[&bucket],
    );
    assert_eq!(listed, files, "objects listed in {bucket}");
    let peak_kb =
        std::fs::read_to_string(format!("/proc/{}/status", sink.worker.pid().unwrap_or(0)))
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("VmHWM:"))
                    .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
            })
            .unwrap_or(0);
    let ceiling = raw_consume.max(raw_upload);
    eprintln!(
        "S3 sink, 1 task, {label} 200-byte records: {n} records, {:.1} MB in {files} objects\n  \
         sink {secs:.2} s: {:.1} MB/s, {:.0} records/s; worker peak RSS {} MB\n  \
         raw rdkafka consumer {raw_consume:.2} s ({:.0} records/s); boto3 upload of the same bytes {raw_upload:.2} s \
         ({:.1} MB/s); ratio to the lower ceiling {:.2}",
        bytes / 1e6,
        bytes / 1e6 / secs,
        n as f64 / secs,
        peak_kb / 1024,
        n as f64 / raw_consume,
        bytes / 1e6 / raw_upload,
        ceiling / secs
    );
}
