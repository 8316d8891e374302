//! End-to-end tests of the OpenSearch sink (`connectors/opensearch`) through a real `connect standalone` worker,
//! the test broker and the OpenSearch API server (osmem) started by `tests/scripts/services.sh up broker opensearch`.
//!
//! Needs `cargo build --release -p connect-worker -p connect-opensearch` (same CARGO_TARGET_DIR as the tests).
//! Run: `cargo test -p connect-tests --test opensearch_sink -- --nocapture`; the throughput comparison is
//! `cargo test --release -p connect-tests --test opensearch_sink -- --ignored --nocapture throughput`.
//! Every test uses its own topic, index and connector name, so they run in parallel with each other and others.

use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use connect_tests::{
    client_config, create_topic, target_dir, unique_name, wait_until, workspace_root,
    write_properties, Worker,
};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use serde_json::{json, Value};
use tempfile::TempDir;
use ureq::Agent;

const PLUGIN_FILE: &str = "libconnect_opensearch.so";
const CLASS: &str = "io.aiven.kafka.connect.opensearch.OpensearchSinkConnector";
const WAIT: Duration = Duration::from_secs(90);

static OPENSEARCH: OnceLock<Result<String, String>> = OnceLock::new();

/// Starts (idempotently) the OpenSearch test server and returns its base URL.
fn opensearch_url() -> String {
    let started = OPENSEARCH.get_or_init(|| {
        let script = workspace_root().join("tests/scripts/services.sh");
        let output = Command::new("bash")
            .arg(&script)
            .args(["up", "broker", "opensearch"])
            .output()
            .map_err(|e| format!("cannot run {}: {e}", script.display()))?;
        if !output.status.success() {
            return Err(format!(
                "`services.sh up broker opensearch` failed:\n{}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            ));
        }
        let port = std::env::var("CONNECT_OPENSEARCH_PORT").unwrap_or_else(|_| "9200".into());
        Ok(format!("http://127.0.0.1:{port}"))
    });
    match started {
        Ok(url) => url.clone(),
        Err(e) => panic!("{e}"),
    }
}

fn agent() -> Agent {
    Agent::new_with_config(
        Agent::config_builder()
            .http_status_as_error(false)
            .proxy(None)
            .timeout_global(Some(Duration::from_secs(30)))
            .build(),
    )
}

/// An HTTP call to OpenSearch: (status, JSON body or Null).
fn os(method: &str, path: &str, body: Option<&Value>) -> (u16, Value) {
    let url = format!("{}{path}", opensearch_url());
    let agent = agent();
    let result = match (method, body) {
        ("GET", _) => agent.get(&url).call(),
        ("PUT", Some(b)) => agent.put(&url).send_json(b),
        ("POST", Some(b)) => agent.post(&url).send_json(b),
        ("POST", None) => agent.post(&url).send_empty(),
        ("DELETE", _) => agent.delete(&url).call(),
        _ => panic!("unsupported {method}"),
    };
    let mut response = result.unwrap_or_else(|e| panic!("{method} {url}: {e}"));
    let status = response.status().as_u16();
    let text = response.body_mut().read_to_string().unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// Every document of `index` by id (after a refresh), or empty if the index does not exist.
fn documents(index: &str) -> Vec<(String, Value, i64)> {
    os("POST", &format!("/{index}/_refresh"), None);
    let (status, body) = os(
        "POST",
        &format!("/{index}/_search?version=true"),
        Some(&json!({"size": 10000, "query": {"match_all": {}}})),
    );
    if status == 404 {
        return Vec::new();
    }
    assert_eq!(status, 200, "search {index}: {body}");
    let hits = body["hits"]["hits"].as_array().cloned().unwrap_or_default();
    let mut docs: Vec<(String, Value, i64)> = hits
        .iter()
        .map(|h| {
            (
                h["_id"].as_str().unwrap_or_default().to_string(),
                h["_source"].clone(),
                h["_version"].as_i64().unwrap_or(-1),
            )
        })
        .collect();
    docs.sort_by(|a, b| a.0.cmp(&b.0));
    docs
}

fn count(index: &str) -> usize {
    os("POST", &format!("/{index}/_refresh"), None);
    let (status, body) = os("GET", &format!("/{index}/_count"), None);
    if status != 200 {
        return 0;
    }
    body["count"].as_u64().unwrap_or(0) as usize
}

fn get_doc(index: &str, id: &str) -> Option<Value> {
    let (status, body) = os("GET", &format!("/{index}/_doc/{id}"), None);
    (status == 200 && body["found"] == json!(true)).then(|| body["_source"].clone())
}

/// Produces `(key, value)` pairs in order to partition 0; a None value is a tombstone.
fn produce(topic: &str, records: &[(String, Option<String>)]) {
    let producer: BaseProducer = client_config()
        .set("linger.ms", "5")
        .set("message.timeout.ms", "30000")
        .create()
        .expect("creating producer");
    for (key, value) in records {
        let mut record = BaseRecord::<String, String>::to(topic)
            .key(key)
            .partition(0);
        if let Some(v) = value {
            record = record.payload(v);
        }
        let mut pending = record;
        loop {
            match producer.send(pending) {
                Ok(()) => break,
                Err((_, back)) => {
                    pending = back;
                    producer.poll(Duration::from_millis(20));
                }
            }
        }
        producer.poll(Duration::ZERO);
    }
    producer
        .flush(Duration::from_secs(60))
        .expect("flushing produced records");
}

fn put(key: &str, value: Value) -> (String, Option<String>) {
    (key.to_string(), Some(value.to_string()))
}

/// A plugin dir holding a hard link (or copy) of the OpenSearch plugin.
fn plugin_dir() -> TempDir {
    let source = target_dir().join("release").join(PLUGIN_FILE);
    assert!(
        source.is_file(),
        "{} not found: run `cargo build --release -p connect-worker -p connect-opensearch` first",
        source.display()
    );
    let dir = tempfile::Builder::new()
        .prefix("opensearch-plugin-")
        .tempdir()
        .expect("plugin temp dir");
    let target = dir.path().join(PLUGIN_FILE);
    if std::fs::hard_link(&source, &target).is_err() {
        std::fs::copy(&source, &target).expect("copying the plugin");
    }
    dir
}

/// One sink connector under test: topic, index, connector file and the worker running it.
struct Sink {
    topic: String,
    index: String,
    name: String,
    _plugins: TempDir,
    _files: TempDir,
    worker: Worker,
}

impl Sink {
    /// Creates a one-partition topic and starts a worker with the connector configured by `extra`.
    fn start(prefix: &str, extra: &[(&str, &str)], before_start: impl FnOnce(&str, &str)) -> Sink {
        Sink::start_with(prefix, extra, &[], before_start)
    }

    /// [`Sink::start`] with extra worker properties.
    fn start_with(
        prefix: &str,
        extra: &[(&str, &str)],
        worker_extra: &[(&str, &str)],
        before_start: impl FnOnce(&str, &str),
    ) -> Sink {
        let url = opensearch_url();
        let topic = unique_name(prefix);
        let index = topic.to_lowercase();
        let name = unique_name("os-sink");
        create_topic(&topic, 1);
        before_start(&topic, &index);
        let files = tempfile::tempdir().expect("temp dir");
        let connector = files.path().join("opensearch-sink.properties");
        let mut props = vec![
            ("name", name.as_str()),
            ("connector.class", CLASS),
            ("tasks.max", "1"),
            ("topics", topic.as_str()),
            ("connection.url", url.as_str()),
        ];
        props.extend_from_slice(extra);
        write_properties(&connector, &props);
        let plugins = plugin_dir();
        let plugin_path = plugins.path().display().to_string();
        let mut worker_props = vec![
            ("plugin.path", plugin_path.as_str()),
            ("offset.flush.interval.ms", "1000"),
        ];
        worker_props.extend_from_slice(worker_extra);
        let worker = Worker::start_standalone(&worker_props, &[connector]);
        Sink {
            topic,
            index,
            name,
            _plugins: plugins,
            _files: files,
            worker,
        }
    }

    fn task_state(&self) -> (String, String) {
        let status = self
            .worker
            .rest()
            .get(&format!("/connectors/{}/status", self.name));
        let task = &status.body["tasks"][0];
        (
            task["state"].as_str().unwrap_or("").to_string(),
            task["trace"].as_str().unwrap_or("").to_string(),
        )
    }

    #[track_caller]
    fn wait_for(&self, what: &str, mut condition: impl FnMut() -> bool) {
        if !wait_until(WAIT, &mut condition) {
            panic!(
                "timed out waiting for {what} (task {:?}, docs {:?})\n{}",
                self.task_state(),
                documents(&self.index),
                self.worker.log_tail_block()
            );
        }
    }

    #[track_caller]
    fn assert_running(&self) {
        let (state, trace) = self.task_state();
        assert_eq!(
            state,
            "RUNNING",
            "task trace: {trace}\n{}",
            self.worker.log_tail_block()
        );
    }
}

#[test]
fn insert_update_and_tombstone_delete_with_record_keys() {
    let sink = Sink::start(
        "os-keys",
        &[("behavior.on.null.values", "delete")],
        |_, _| {},
    );
    produce(
        &sink.topic,
        &[
            put("k1", json!({"name": "one", "n": 1})),
            put("k2", json!({"name": "two", "n": 2})),
            put("k3", json!({"name": "three", "n": 3})),
            put("k2", json!({"name": "two again", "n": 22})),
            ("k3".to_string(), None),
            put("k4", json!({"name": "four", "nested": {"a": [1, 2]}})),
        ],
    );
    sink.wait_for("k4 indexed", || get_doc(&sink.index, "k4").is_some());
    let docs = documents(&sink.index);
    let ids: Vec<&str> = docs.iter().map(|d| d.0.as_str()).collect();
    assert_eq!(ids, ["k1", "k2", "k4"], "{docs:?}");
    assert_eq!(docs[1].1, json!({"name": "two again", "n": 22}));
    // The external version is the Kafka offset of the record that wrote the document.
    let versions: Vec<i64> = docs.iter().map(|d| d.2).collect();
    assert_eq!(versions, [0, 3, 5]);
    assert_eq!(docs[2].1, json!({"name": "four", "nested": {"a": [1, 2]}}));
    sink.assert_running();
}

#[test]
fn key_ignore_uses_topic_partition_offset_ids_and_ignores_tombstones() {
    let sink = Sink::start("os-keyignore", &[("key.ignore", "true")], |_, _| {});
    let mut records: Vec<(String, Option<String>)> =
        (0..5).map(|i| put("same-key", json!({ "i": i }))).collect();
    records.push(("same-key".to_string(), None));
    records.push(put("same-key", json!({"i": 6})));
    produce(&sink.topic, &records);
    sink.wait_for("7 records handled", || count(&sink.index) == 6);
    let docs = documents(&sink.index);
    let expected: Vec<String> = [0, 1, 2, 3, 4, 6]
        .iter()
        .map(|o| format!("{}+0+{o}", sink.topic))
        .collect();
    let ids: Vec<String> = docs.iter().map(|d| d.0.clone()).collect();
    assert_eq!(ids, expected);
    sink.assert_running();
}

#[test]
fn upsert_merges_documents() {
    let sink = Sink::start("os-upsert", &[("index.write.method", "upsert")], |_, _| {});
    produce(
        &sink.topic,
        &[
            put("u1", json!({"a": 1})),
            put("u2", json!({"a": 2})),
            put("u1", json!({"b": "x"})),
            put("u3", json!({"done": true})),
        ],
    );
    sink.wait_for("u3 indexed", || get_doc(&sink.index, "u3").is_some());
    assert_eq!(get_doc(&sink.index, "u1"), Some(json!({"a": 1, "b": "x"})));
    assert_eq!(get_doc(&sink.index, "u2"), Some(json!({"a": 2})));
    sink.assert_running();
}

/// Creates the index with `n` mapped as integer, so that `{"n": "text"}` is a malformed document.
fn strict_index(_topic: &str, index: &str) {
    let (status, body) = os(
        "PUT",
        &format!("/{index}"),
        Some(&json!({"mappings": {"properties": {"n": {"type": "integer"}}}})),
    );
    assert_eq!(status, 200, "creating {index}: {body}");
}

fn malformed_records() -> Vec<(String, Option<String>)> {
    vec![
        put("m1", json!({"n": 1})),
        put("m2", json!({"n": "not a number"})),
        put("m3", json!({"n": 3})),
    ]
}

#[test]
fn malformed_documents_ignored() {
    let sink = Sink::start(
        "os-malformed-ignore",
        &[("behavior.on.malformed.documents", "ignore")],
        strict_index,
    );
    produce(&sink.topic, &malformed_records());
    sink.wait_for("m3 indexed", || get_doc(&sink.index, "m3").is_some());
    assert_eq!(get_doc(&sink.index, "m2"), None);
    assert_eq!(count(&sink.index), 2);
    sink.assert_running();
}

#[test]
fn malformed_documents_warned() {
    let sink = Sink::start(
        "os-malformed-warn",
        &[("behavior.on.malformed.documents", "warn")],
        strict_index,
    );
    produce(&sink.topic, &malformed_records());
    sink.wait_for("m3 indexed", || get_doc(&sink.index, "m3").is_some());
    assert_eq!(count(&sink.index), 2);
    let log = sink.worker.log();
    assert!(
        log.contains("mapper_parsing_exception")
            && log.contains("behavior.on.malformed.documents=warn"),
        "{}",
        sink.worker.log_tail_block()
    );
    sink.assert_running();
}

#[test]
fn malformed_documents_fail_the_task() {
    let sink = Sink::start("os-malformed-fail", &[], strict_index);
    produce(&sink.topic, &malformed_records());
    sink.wait_for("task FAILED", || sink.task_state().0 == "FAILED");
    let (_, trace) = sink.task_state();
    assert!(
        trace.contains("mapper_parsing_exception")
            && trace.contains("behavior.on.malformed.documents"),
        "{trace}"
    );
    assert_eq!(get_doc(&sink.index, "m1"), Some(json!({"n": 1})));
}

#[test]
fn struct_like_keys_fail_with_the_smt_named() {
    // A JSON key read by JsonConverter is a map, which cannot be a document id.
    let sink = Sink::start(
        "os-badkey",
        &[
            (
                "key.converter",
                "org.apache.kafka.connect.json.JsonConverter",
            ),
            ("key.converter.schemas.enable", "false"),
        ],
        |_, _| {},
    );
    produce(&sink.topic, &[put("{\"id\": 1}", json!({"a": 1}))]);
    sink.wait_for("task FAILED", || sink.task_state().0 == "FAILED");
    let (_, trace) = sink.task_state();
    assert!(trace.contains("ExtractField$Key"), "{trace}");
}

#[test]
fn replay_after_sigkill_indexes_each_record_once() {
    const N: usize = 3000;
    // Small batches so that the kill lands mid-stream; no offset commit before the kill, so that everything
    // indexed so far is replayed (and must not be indexed twice or overwritten by older data).
    let mut sink = Sink::start_with(
        "os-replay",
        &[("batch.size", "100"), ("max.in.flight.requests", "3")],
        &[("offset.flush.interval.ms", "600000")],
        |_, _| {},
    );
    let records: Vec<(String, Option<String>)> = (0..N)
        .map(|i| {
            put(
                &format!("id-{i:05}"),
                json!({ "i": i, "pad": "x".repeat(100) }),
            )
        })
        .collect();
    produce(&sink.topic, &records[..N / 2]);
    sink.wait_for("a quarter of the documents", || count(&sink.index) >= N / 4);
    sink.worker.kill9();
    produce(&sink.topic, &records[N / 2..]);
    sink.worker.restart();
    sink.wait_for("all records indexed", || count(&sink.index) == N);
    let docs = documents(&sink.index);
    assert_eq!(docs.len(), N, "one document per id");
    for (i, (id, source, version)) in docs.iter().enumerate() {
        assert_eq!(id, &format!("id-{i:05}"));
        assert_eq!(source["i"], json!(i));
        assert_eq!(*version, i as i64, "version of {id} is its offset");
    }
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(count(&sink.index), N);
    sink.assert_running();
}

/// Documents/s through the worker vs a raw `_bulk` loop with the same documents against the same server.
#[test]
#[ignore = "throughput measurement; run with --ignored --nocapture"]
fn throughput_vs_raw_bulk() {
    const N: usize = 100_000;
    let doc = |i: usize| {
        let mut v = json!({ "i": i, "name": format!("record-{i:08}"), "pad": "" });
        let len = v.to_string().len();
        v["pad"] = json!("p".repeat(200usize.saturating_sub(len)));
        v.to_string()
    };
    // Raw: the same documents, 2000 per _bulk, one request at a time, with a reused connection.
    let raw_index = unique_name("os-raw");
    let agent = agent();
    let url = format!("{}/_bulk", opensearch_url());
    let started = Instant::now();
    for chunk in (0..N).collect::<Vec<_>>().chunks(2000) {
        let mut body = String::new();
        for &i in chunk {
            body.push_str(&format!(
                "{{\"index\":{{\"_index\":\"{raw_index}\",\"_id\":\"k{i}\",\"version\":{i},\"version_type\":\"external\"}}}}\n{}\n",
                doc(i)
            ));
        }
        let mut response = agent
            .post(&url)
            .header("content-type", "application/x-ndjson")
            .send(body.as_bytes())
            .expect("raw bulk");
        let text = response.body_mut().read_to_string().unwrap_or_default();
        assert!(
            text.contains("\"errors\":false"),
            "{}",
            &text[..text.len().min(500)]
        );
    }
    let raw = N as f64 / started.elapsed().as_secs_f64();
    assert_eq!(count(&raw_index), N);

    let topic_records: Vec<(String, Option<String>)> =
        (0..N).map(|i| (format!("k{i}"), Some(doc(i)))).collect();
    // One put per 2000 records, so that the worker sends the same 2000-document bulks as the raw loop.
    let sink = Sink::start(
        "os-perf",
        &[("consumer.override.max.poll.records", "2000")],
        |topic, _| produce(topic, &topic_records),
    );
    // Timed from the first indexed document, so that the consumer group join is not counted.
    sink.wait_for("first documents", || count(&sink.index) > 0);
    let started = Instant::now();
    let first = count(&sink.index);
    let deadline = Instant::now() + Duration::from_secs(600);
    // Polled with a plain _count (no _refresh) once a second, to load the server as little as possible.
    let indexed = || {
        let (_, body) = os("GET", &format!("/{}/_count", sink.index), None);
        body["count"].as_u64().unwrap_or(0) as usize
    };
    while indexed() < N {
        assert!(
            Instant::now() < deadline,
            "not all indexed\n{}",
            sink.worker.log_tail_block()
        );
        std::thread::sleep(Duration::from_millis(1000));
    }
    let through = (N - first) as f64 / started.elapsed().as_secs_f64();
    println!(
        "opensearch sink: {N} docs of ~200 bytes: worker {through:.0} docs/s, raw _bulk {raw:.0} docs/s, ratio {:.2}",
        through / raw
    );
}
