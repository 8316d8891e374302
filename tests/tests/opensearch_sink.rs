//! End-to-end tests of the OpenSearch sink (`connectors/opensearch`) through a real `connect standalone` worker,
//! the test broker and the OpenSearch API server (osmem) started by `tests/scripts/services.sh up broker opensearch`.
//!
//! Needs `cargo build --release -p connect-worker -p connect-opensearch` (same CARGO_TARGET_DIR as the tests).
//! Run: `cargo test -p connect-tests --test opensearch_sink -- --nocapture`; the throughput comparison is
//! `cargo test --release -p connect-tests --test opensearch_sink -- --ignored --nocapture throughput`.
//! Every test uses its own topic, index and connector name, so they run in parallel with each other and others.

use std::process::Command;
use std::sync::{OnceLock, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};

use connect_tests::{
    client_config, consume_n, create_topic, postgres_source_props, psql, service_script,
    services_home, services_up, target_dir, test_python, unique_name, wait_until, workspace_root,
    write_properties, TlsFront, Worker,
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
        services_up(&["broker", "opensearch"])?;
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

/// A plugin dir holding hard links (or copies) of the given plugin libraries from the release target dir.
fn plugin_dir(files: &[&str]) -> TempDir {
    let dir = tempfile::Builder::new()
        .prefix("opensearch-plugin-")
        .tempdir()
        .expect("plugin temp dir");
    for file in files {
        let source = target_dir().join("release").join(file);
        assert!(
            source.is_file(),
            "{} not found: run `cargo build --release --workspace` first",
            source.display()
        );
        let target = dir.path().join(file);
        if std::fs::hard_link(&source, &target).is_err() {
            std::fs::copy(&source, &target).expect("copying the plugin");
        }
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
    // Last, so that the worker is gone before the server may restart.
    _server: ServerLock,
}

/// Tests share the one OpenSearch server; the test that restarts it (losing every index: osmem keeps them in
/// memory) holds it alone.
static SERVER: RwLock<()> = RwLock::new(());

enum ServerLock {
    Shared(#[allow(dead_code)] RwLockReadGuard<'static, ()>),
    Exclusive(#[allow(dead_code)] RwLockWriteGuard<'static, ()>),
}

impl ServerLock {
    fn shared() -> ServerLock {
        ServerLock::Shared(SERVER.read().unwrap_or_else(|p| p.into_inner()))
    }

    fn exclusive() -> ServerLock {
        ServerLock::Exclusive(SERVER.write().unwrap_or_else(|p| p.into_inner()))
    }
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
        Sink::launch(
            prefix,
            extra,
            worker_extra,
            before_start,
            ServerLock::shared(),
        )
    }

    fn launch(
        prefix: &str,
        extra: &[(&str, &str)],
        worker_extra: &[(&str, &str)],
        before_start: impl FnOnce(&str, &str),
        server: ServerLock,
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
        let plugins = plugin_dir(&[PLUGIN_FILE]);
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
            _server: server,
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
fn malformed_documents_reported_to_the_dead_letter_queue() {
    let dlq = unique_name("os-dlq");
    let sink = Sink::start(
        "os-malformed-report",
        &[
            ("behavior.on.malformed.documents", "report"),
            ("errors.tolerance", "all"),
            ("errors.deadletterqueue.topic.name", &dlq),
            ("errors.deadletterqueue.topic.replication.factor", "1"),
            ("errors.deadletterqueue.context.headers.enable", "true"),
        ],
        strict_index,
    );
    produce(&sink.topic, &malformed_records());
    sink.wait_for("m3 indexed", || get_doc(&sink.index, "m3").is_some());
    assert_eq!(get_doc(&sink.index, "m2"), None);
    assert_eq!(count(&sink.index), 2);

    let dead = consume_n(&dlq, 1, WAIT);
    assert_eq!(dead.len(), 1, "only the malformed record: {dead:?}");
    let record = &dead[0];
    assert_eq!(record.key_str().as_deref(), Some("m2"));
    assert_eq!(
        serde_json::from_slice::<Value>(record.value.as_deref().unwrap_or_default()).ok(),
        Some(json!({"n": "not a number"})),
        "the original bytes"
    );
    let headers = &record.headers;
    assert_eq!(headers["__connect.errors.topic"], sink.topic);
    assert_eq!(headers["__connect.errors.partition"], "0");
    assert_eq!(headers["__connect.errors.offset"], "1");
    assert_eq!(headers["__connect.errors.connector.name"], sink.name);
    assert_eq!(headers["__connect.errors.stage"], "TASK_PUT");
    assert!(
        headers["__connect.errors.exception.message"].contains("mapper_parsing_exception"),
        "{headers:?}"
    );
    sink.assert_running();
}

/// Indexes `(id, document)` pairs with opensearch-py's `helpers.bulk` (installed by opensearch.sh).
fn index_with_opensearch_py(index: &str, docs: &[(String, Value)]) {
    let mut child = Command::new(test_python())
        .env("PYTHONPATH", services_home().join("opensearch/client"))
        .arg(workspace_root().join("tests/scripts/opensearch_py_index.py"))
        .args([opensearch_url().as_str(), index])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("running opensearch_py_index.py");
    let lines: String = docs
        .iter()
        .map(|(id, doc)| format!("{}\n", json!({"id": id, "doc": doc})))
        .collect();
    use std::io::Write;
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(lines.as_bytes())
        .expect("writing documents");
    let out = child.wait_with_output().expect("opensearch_py_index.py");
    assert!(
        out.status.success(),
        "opensearch-py bulk failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// JSON records through JsonConverter (schemaless) and the sink end up as the same documents opensearch-py's
/// `helpers.bulk` indexes for the same input: strings with escapes and non-ASCII text, large integers, floats,
/// nested objects and arrays, nulls and booleans.
#[test]
fn documents_match_what_opensearch_py_indexes() {
    let input: Vec<(String, Value)> = vec![
        ("plain".into(), json!({"name": "one", "n": 1, "ok": true})),
        (
            "text".into(),
            json!({"s": "grüße ✓ \"quoted\" back\\slash\nnew line\ttab", "empty": ""}),
        ),
        (
            "numbers".into(),
            json!({"big": 9_007_199_254_740_993_i64, "neg": -42, "f": 1.5, "small": 1e-7, "third": 0.333_333_333_333_333_3}),
        ),
        (
            "nested".into(),
            json!({"o": {"a": {"b": [1, 2, 3]}, "tags": ["x", "y"]}, "none": null, "no": false}),
        ),
        ("empties".into(), json!({"obj": {}, "list": []})),
    ];
    let sink = Sink::start_with(
        "os-vs-py",
        &[("key.ignore", "false"), ("schema.ignore", "true")],
        &[
            (
                "value.converter",
                "org.apache.kafka.connect.json.JsonConverter",
            ),
            ("value.converter.schemas.enable", "false"),
        ],
        |_, _| {},
    );
    let records: Vec<(String, Option<String>)> =
        input.iter().map(|(id, doc)| put(id, doc.clone())).collect();
    produce(&sink.topic, &records);
    sink.wait_for("every record indexed", || count(&sink.index) == input.len());
    let py_index = format!("{}-py", sink.index);
    index_with_opensearch_py(&py_index, &input);
    let ours: Vec<(String, Value)> = documents(&sink.index)
        .into_iter()
        .map(|(id, doc, _)| (id, doc))
        .collect();
    let theirs: Vec<(String, Value)> = documents(&py_index)
        .into_iter()
        .map(|(id, doc, _)| (id, doc))
        .collect();
    assert_eq!(ours.len(), input.len(), "{ours:?}");
    assert_eq!(ours, theirs);
    sink.assert_running();
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

#[test]
fn replayed_record_older_than_the_stored_document_is_ignored() {
    // The index already holds k1 at external version 1000, as if a later run had written offset 1000: the
    // record at offset 0 is a replay and must neither overwrite it nor fail the task.
    let sink = Sink::start("os-conflict", &[], |_, index| {
        let (status, body) = os(
            "PUT",
            &format!("/{index}/_doc/k1?version=1000&version_type=external&refresh=true"),
            Some(&json!({"from": "newer run"})),
        );
        assert!(status == 200 || status == 201, "{body}");
    });
    produce(
        &sink.topic,
        &[
            put("k1", json!({"from": "replay"})),
            put("k2", json!({"n": 2})),
        ],
    );
    sink.wait_for("k2 indexed", || get_doc(&sink.index, "k2").is_some());
    let docs = documents(&sink.index);
    assert_eq!(
        docs[0],
        ("k1".to_string(), json!({"from": "newer run"}), 1000)
    );
    assert_eq!(docs[1], ("k2".to_string(), json!({"n": 2}), 1));
    sink.assert_running();
}

fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970")
        .as_millis() as i64
}

/// Sink settings writing to the data stream `<prefix>-<index>` with ids from the coordinates.
fn data_stream_config(prefix: &str) -> Vec<(&str, &str)> {
    vec![
        ("data.stream.enabled", "true"),
        ("data.stream.prefix", prefix),
        ("key.ignore", "true"),
    ]
}

#[test]
fn data_stream_written_with_creates_and_record_timestamps() {
    // osmem has no data streams (`PUT _data_stream/..` and writes to a name matching a data-stream template
    // answer 400 unsupported_operation_exception), so the target exists here as a plain index: the connector
    // then writes to it as to an existing data stream, `create` operations with `@timestamp`.
    let prefix = unique_name("ds").to_lowercase();
    let sink = Sink::start("os-stream", &data_stream_config(&prefix), |_, index| {
        let (status, body) = os("PUT", &format!("/{prefix}-{index}"), Some(&json!({})));
        assert_eq!(status, 200, "{body}");
    });
    let stream = format!("{prefix}-{}", sink.index);
    let before = now_millis();
    produce(
        &sink.topic,
        &[
            put("a", json!({"msg": "first"})),
            put(
                "b",
                json!({"msg": "second", "@timestamp": 1_700_000_000_000i64}),
            ),
            put("c", json!({"msg": "third"})),
        ],
    );
    sink.wait_for("3 documents in the stream", || count(&stream) == 3);
    let docs = documents(&stream);
    let ids: Vec<String> = docs.iter().map(|d| d.0.clone()).collect();
    let expected: Vec<String> = (0..3).map(|o| format!("{}+0+{o}", sink.topic)).collect();
    assert_eq!(ids, expected);
    // Documents without @timestamp get the record timestamp (the producer's create time).
    for i in [0, 2] {
        let ts = docs[i].1["@timestamp"].as_i64().unwrap_or(0);
        assert!(ts >= before - 60_000 && ts <= now_millis(), "{docs:?}");
    }
    assert_eq!(
        docs[1].1,
        json!({"msg": "second", "@timestamp": 1_700_000_000_000i64})
    );
    assert_eq!(
        count(&sink.index),
        0,
        "nothing goes to the plain index name"
    );
    sink.assert_running();
}

#[test]
fn data_stream_created_through_an_index_template() {
    let prefix = unique_name("ds").to_lowercase();
    let mut config = data_stream_config(&prefix);
    config.push(("data.stream.timestamp.field", "event_time"));
    let sink = Sink::start("os-newstream", &config, |_, _| {});
    let stream = format!("{prefix}-{}", sink.index);
    produce(
        &sink.topic,
        &[put("a", json!({"event_time": 1, "msg": "x"}))],
    );
    // The connector first creates Aiven's template for the stream, then the stream itself.
    let template = format!("{stream}-connector-data-stream-template");
    sink.wait_for("the index template", || {
        os("GET", &format!("/_index_template/{template}"), None).0 == 200
    });
    let (_, body) = os("GET", &format!("/_index_template/{template}"), None);
    assert_eq!(
        body["index_templates"][0]["index_template"],
        json!({"index_patterns": [stream], "priority": 200,
            "data_stream": {"timestamp_field": {"name": "event_time"}}}),
        "{body}"
    );
    // osmem refuses `PUT _data_stream/<name>`, which the task retries (a real server creates the stream, and the
    // document lands in it).
    let refusal = format!("Could not create data stream {stream}: HTTP 400");
    sink.wait_for("the stream, or osmem's refusal", || {
        count(&stream) == 1 || sink.worker.log().contains(&refusal)
    });
    if count(&stream) == 1 {
        assert_eq!(
            documents(&stream)[0].1,
            json!({"event_time": 1, "msg": "x"})
        );
    } else {
        assert!(
            sink.worker
                .log()
                .contains("data streams are not supported by osmem"),
            "{}",
            sink.worker.log_tail_block()
        );
    }
}

#[test]
fn server_restart_mid_stream_loses_no_record() {
    const N: usize = 2000;
    // One request at a time, so that what the server acknowledged before it went away (and lost: osmem keeps
    // data in memory) is a prefix of the stream, and everything after it must arrive once it is back.
    let sink = Sink::launch(
        "os-restart",
        &[
            ("batch.size", "50"),
            ("max.in.flight.requests", "1"),
            ("max.retries", "30"),
            ("retry.backoff.ms", "100"),
            ("flush.timeout.ms", "300000"),
        ],
        &[],
        |_, _| {},
        ServerLock::exclusive(),
    );
    let records: Vec<(String, Option<String>)> = (0..N)
        .map(|i| put(&format!("id-{i:05}"), json!({ "i": i })))
        .collect();
    produce(&sink.topic, &records[..N / 2]);
    sink.wait_for("some documents", || count(&sink.index) >= N / 8);
    service_script("opensearch.sh", &["restart"]).unwrap_or_else(|e| panic!("{e}"));
    produce(&sink.topic, &records[N / 2..]);
    let last = format!("id-{:05}", N - 1);
    sink.wait_for("the last record", || get_doc(&sink.index, &last).is_some());
    let docs = documents(&sink.index);
    let first: usize = docs[0].0["id-".len()..].parse().unwrap();
    assert!(
        first <= N / 2,
        "records after the restart are missing: first is {first}"
    );
    assert_eq!(docs.len(), N - first, "a hole after id-{first:05}");
    for (i, (id, source, version)) in docs.iter().enumerate() {
        let n = first + i;
        assert_eq!(id, &format!("id-{n:05}"));
        assert_eq!(source["i"], json!(n));
        assert_eq!(*version, n as i64);
    }
    sink.assert_running();
}

#[test]
fn https_with_a_pem_trust_store() {
    // osmem has no TLS: an HTTPS front relays to it.
    let front = TlsFront::start(&opensearch_url());
    let url = format!("https://127.0.0.1:{}", front.port);
    let ca = front.ca().display().to_string();
    let sink = Sink::start(
        "os-tls",
        &[
            ("connection.url", &url),
            ("connection.ssl.truststore.location", &ca),
            ("connection.ssl.truststore.type", "PEM"),
        ],
        |_, _| {},
    );
    produce(
        &sink.topic,
        &[
            put("t1", json!({"over": "tls"})),
            put("t2", json!({"n": 2})),
        ],
    );
    sink.wait_for("t2 indexed", || get_doc(&sink.index, "t2").is_some());
    assert_eq!(get_doc(&sink.index, "t1"), Some(json!({"over": "tls"})));
    sink.assert_running();
    // Without the trust store the same server is not trusted: nothing is indexed, the log says why.
    let untrusted = Sink::start("os-tls-untrusted", &[("connection.url", &url)], |_, _| {});
    produce(&untrusted.topic, &[put("u1", json!({"n": 1}))]);
    untrusted.wait_for("a certificate error", || {
        let log = untrusted.worker.log().to_lowercase();
        log.contains("certificate") || log.contains("unknownissuer")
    });
    assert_eq!(get_doc(&untrusted.index, "u1"), None);
}

/// The rows of `table` as JSON objects by id, the shape the sink should have indexed.
fn table_rows(db: &str, table: &str) -> Vec<(String, Value)> {
    let out = psql(
        db,
        &format!("SELECT id, row_to_json(t) FROM {table} t ORDER BY id::text"),
    );
    out.lines()
        .filter(|l| !l.is_empty())
        .map(|line| {
            let (id, row) = line.split_once('|').expect("id|row");
            (id.to_string(), serde_json::from_str(row).expect("row JSON"))
        })
        .collect()
}

#[test]
fn debezium_change_stream_keeps_an_index_in_step_with_a_table() {
    let _server = ServerLock::shared();
    let url = opensearch_url();
    services_up(&["postgres"]).unwrap_or_else(|e| panic!("{e}"));
    // One name for the database, slot, publication and topic prefix; the index is the topic lower-cased.
    let db = unique_name("os_cdc").replace('-', "_").to_lowercase();
    psql("postgres", &format!("CREATE DATABASE {db}"));
    psql(
        &db,
        "CREATE TABLE items (id int PRIMARY KEY, name text, qty int NOT NULL, active boolean);
         INSERT INTO items VALUES (1, 'one', 1, true), (2, 'two', 2, false), (3, 'three', 3, NULL);",
    );
    let topic = format!("{db}_srv.public.items");
    create_topic(&topic, 1);
    let files = tempfile::tempdir().expect("temp dir");
    let source = files.path().join("pg-source.properties");
    let source_props = postgres_source_props(&format!("{db}-source"), &db, &format!("{db}_srv"));
    let source_props: Vec<(&str, &str)> =
        source_props.iter().map(|(k, v)| (*k, v.as_str())).collect();
    write_properties(&source, &source_props);
    let sink_name = format!("{db}-sink");
    let sink = files.path().join("os-sink.properties");
    write_properties(
        &sink,
        &[
            ("name", &sink_name),
            ("connector.class", CLASS),
            ("tasks.max", "1"),
            ("topics", &topic),
            ("connection.url", &url),
            ("key.ignore", "false"),
            ("behavior.on.null.values", "delete"),
            ("transforms", "unwrap,key"),
            (
                "transforms.unwrap.type",
                "io.debezium.transforms.ExtractNewRecordState",
            ),
            // Deletes become tombstones (value null, key kept), Debezium's own tombstones are dropped.
            (
                "transforms.unwrap.delete.tombstone.handling.mode",
                "tombstone",
            ),
            (
                "transforms.key.type",
                "org.apache.kafka.connect.transforms.ExtractField$Key",
            ),
            ("transforms.key.field", "id"),
        ],
    );
    let plugins = plugin_dir(&[PLUGIN_FILE, "libconnect_postgres.so"]);
    let plugin_path = plugins.path().display().to_string();
    let json = "org.apache.kafka.connect.json.JsonConverter";
    let worker = Worker::start_standalone(
        &[
            ("plugin.path", &plugin_path),
            ("key.converter", json),
            ("value.converter", json),
            ("offset.flush.interval.ms", "500"),
        ],
        &[source, sink],
    );
    let index = topic.to_lowercase();
    let in_step = || {
        documents(&index)
            .into_iter()
            .map(|(id, doc, _)| (id, doc))
            .collect::<Vec<_>>()
            == table_rows(&db, "items")
    };
    let failure = |what: &str| {
        format!(
            "timed out waiting for {what}: index {:?}, table {:?}\n{}",
            documents(&index),
            table_rows(&db, "items"),
            worker.log_tail_block()
        )
    };
    assert!(wait_until(WAIT, in_step), "{}", failure("the snapshot"));
    // Inserts, updates (one row twice in one transaction), deletes and a re-insert of a deleted id; the last statement changes a row no earlier state had, so "in step" means all were applied.
    psql(
        &db,
        "INSERT INTO items VALUES (4, 'four', 4, true), (5, 'five', 5, true)",
    );
    psql(
        &db,
        "UPDATE items SET name = 'two, updated', qty = 20 WHERE id = 2",
    );
    psql(&db, "DELETE FROM items WHERE id = 3");
    psql(
        &db,
        "UPDATE items SET qty = 41 WHERE id = 4; UPDATE items SET qty = 42, active = NULL WHERE id = 4",
    );
    psql(&db, "DELETE FROM items WHERE id = 5");
    psql(
        &db,
        "INSERT INTO items VALUES (3, 'three again', 33, false)",
    );
    psql(
        &db,
        "UPDATE items SET name = 'one, last change' WHERE id = 1",
    );
    assert!(wait_until(WAIT, in_step), "{}", failure("the changes"));
    let ids: Vec<String> = documents(&index).into_iter().map(|d| d.0).collect();
    assert_eq!(ids, ["1", "2", "3", "4"]);
    assert_eq!(
        get_doc(&index, "4"),
        Some(json!({"id": 4, "name": "four", "qty": 42, "active": null}))
    );
    let status = worker
        .rest()
        .get(&format!("/connectors/{sink_name}/status"));
    assert_eq!(
        status.body["tasks"][0]["state"],
        "RUNNING",
        "{}",
        worker.log_tail_block()
    );
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
