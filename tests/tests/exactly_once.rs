//! Exactly-once source support (KIP-618) on a distributed worker: records and their source offsets in one producer
//! transaction per batch, the task's transactional id fencing out a zombie producer, task count records in the
//! config topic, a restarted task resuming after the transactionally committed offset, and the preflight checks of
//! `exactly.once.support` and `transaction.boundary`; a new task generation fencing out the producers of every task
//! of the previous one, with its offsets in the connector's own topic and copied to the worker's; and the leader's
//! transactional config topic writer fencing out an older leader's. One ignored measurement compares an exactly-once
//! generator pipeline with the same pipeline at least once and with the raw producer:
//! `cargo test --release --workspace exactly_once_throughput -- --ignored --nocapture`.
//!
//! Neither the test broker nor librdkafka's mock cluster filters aborted transactions for `read_committed` readers
//! (the mock answers every fetch with no aborted transactions and writes no transaction markers), so what a crash
//! mid-transaction leaves behind cannot be observed here; these tests check the commit path and the fencing.

use std::collections::BTreeMap;
use std::fs;
use std::time::Duration;

use connect_tests::{
    client_config, consume_all, consume_n, create_topic, plugin_library, produce, read_span,
    test_plugin_library, unique_name, wait_until, Cluster, Rest,
};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use serde_json::{json, Value};

const LONG: Duration = Duration::from_secs(120);

/// The latest value of every key of a compacted topic, and how many records each key had.
fn by_key(topic: &str) -> BTreeMap<String, (usize, Option<Value>)> {
    let mut out: BTreeMap<String, (usize, Option<Value>)> = BTreeMap::new();
    for r in consume_all(topic, Duration::from_secs(3)) {
        let value = r
            .value
            .as_deref()
            .map(|v| serde_json::from_slice(v).expect("internal topic values are JSON"));
        let entry = out.entry(r.key_str().unwrap_or_default()).or_default();
        entry.0 += 1;
        entry.1 = value;
    }
    out
}

/// A temp dir with the test plugins and the FileStream plugins, for `plugin.path`.
fn plugins_dir() -> tempfile::TempDir {
    let plugins = tempfile::tempdir().expect("temp dir");
    for lib in [test_plugin_library(), plugin_library()] {
        let file = lib.file_name().expect("library file name");
        fs::copy(&lib, plugins.path().join(file)).expect("copying a plugin library");
    }
    plugins
}

/// A producer with `transactional.id` that has a transaction open, holding one record for `topic`.
fn zombie(transactional_id: &str, topic: &str) -> BaseProducer {
    let zombie: BaseProducer = client_config()
        .set("transactional.id", transactional_id)
        .create()
        .expect("zombie producer");
    zombie
        .init_transactions(Duration::from_secs(30))
        .expect("zombie init_transactions");
    zombie
        .begin_transaction()
        .expect("zombie begin_transaction");
    zombie
        .send(BaseRecord::<(), str>::to(topic).payload("zombie"))
        .map_err(|(e, _)| e)
        .expect("zombie send");
    zombie.flush(Duration::from_secs(10)).expect("zombie flush");
    zombie
}

/// `PUT /connectors/{name}/config`, retried while the group is still forming.
#[track_caller]
fn put_config(rest: &Rest, name: &str, config: &Value) {
    let mut last = String::new();
    let done = wait_until(LONG, || {
        let r = rest.put_json(&format!("/connectors/{name}/config"), config);
        last = r.to_string();
        r.status == 200 || r.status == 201
    });
    assert!(done, "PUT config of {name} failed: {last}");
}

/// The errors a validation response gives for `key`.
fn errors_of(validated: &Value, key: &str) -> Vec<String> {
    validated["configs"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| c["value"]["name"] == key)
        .and_then(|c| c["value"]["errors"].as_array())
        .map(|e| {
            e.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// Record values `record-<from>` .. `record-<to - 1>`, as the generator writes them with `value.size=0`.
fn generated(from: u64, to: u64) -> Vec<String> {
    (from..to).map(|seq| format!("record-{seq}")).collect()
}

#[test]
fn exactly_once_tasks_commit_offsets_in_their_transactions_and_fence_zombies() {
    let plugins = plugins_dir();
    let plugin_path = plugins.path().display().to_string();
    let cluster = Cluster::new("eos-group");
    let worker = cluster.worker_with(&[
        ("plugin.path", &plugin_path),
        ("exactly.once.source.support", "enabled"),
    ]);
    let rest = worker.rest();

    // Preflight checks of a connector that says nothing of exactly-once support or transaction boundaries.
    let topic = unique_name("eos-out");
    create_topic(&topic, 1);
    let name = unique_name("eos-gen");
    let mut config = json!({
        "connector.class": "GeneratorSource",
        "tasks.max": "1",
        "topic": topic,
        "records": "1000",
        "batch.size": "100",
        "value.size": "0",
        "exactly.once.support": "required",
        "transaction.boundary": "connector",
    });
    let mut named = config.clone();
    named["name"] = json!(name);
    let validated = rest.put_json("/connector-plugins/GeneratorSource/config/validate", &named);
    assert_eq!(validated.status, 200, "{validated}");
    let errors = |key: &str| errors_of(&validated.body, key);
    assert_eq!(validated.body["error_count"], 2, "{validated}");
    assert!(
        errors("exactly.once.support")[0].starts_with(
            "The connector does not implement the API required for preflight validation of exactly-once source support."
        ),
        "{validated}"
    );
    assert!(
        errors("transaction.boundary")[0]
            .starts_with("The connector does not support connector-defined transaction boundaries"),
        "{validated}"
    );
    let groups = validated.body["groups"].to_string();
    assert!(
        groups.contains("\"Exactly Once Support\"") && groups.contains("\"offsets.topic\""),
        "{validated}"
    );
    let refused = rest.put_json(&format!("/connectors/{name}/config"), &config);
    assert_eq!(refused.status, 400, "{refused}");

    // A zombie: an older producer of task 0 with an open transaction.
    let transactional_id = format!("{}-{name}-0", cluster.group);
    let zombie_topic = unique_name("eos-zombie");
    create_topic(&zombie_topic, 1);
    let zombie = zombie(&transactional_id, &zombie_topic);

    config["exactly.once.support"] = json!("requested");
    config["transaction.boundary"] = json!("poll");
    put_config(&rest, &name, &config);

    let values: Vec<String> = consume_n(&topic, 1000, LONG)
        .iter()
        .map(|r| r.value_str())
        .collect();
    assert_eq!(values, generated(0, 1000));

    // The task's producer took over the transactional id: the zombie can no longer commit.
    assert!(
        zombie.commit_transaction(Duration::from_secs(10)).is_err(),
        "the zombie producer committed after the task with its transactional id started"
    );

    // The offset of the last record went into the offsets topic (in the task's last transaction).
    let offset_key = serde_json::to_string(&json!([name, {"generator": "0"}])).expect("key");
    let mut offsets = BTreeMap::new();
    assert!(
        wait_until(LONG, || {
            offsets = by_key(&cluster.offsets);
            offsets.get(&offset_key).and_then(|(_, v)| v.clone()) == Some(json!({"seq": 999}))
        }),
        "no {offset_key} -> seq 999 in the offsets topic: {offsets:?}"
    );
    // One transaction per batch of 100, each with the batch's last offset.
    assert!(
        offsets[&offset_key].0 >= 10,
        "expected an offset record per transaction: {offsets:?}"
    );

    // The leader wrote the task count record before the task started.
    let fencing_key = format!("tasks-fencing-{name}");
    let configs = by_key(&cluster.configs);
    assert_eq!(
        configs.get(&fencing_key),
        Some(&(1, Some(json!({"task-count": 1})))),
        "{configs:?}"
    );

    // New task configs: a new generation, a new task count record, and the task resumes after seq 999.
    config["records"] = json!("1500");
    put_config(&rest, &name, &config);
    let values: Vec<String> = consume_n(&topic, 1500, LONG)
        .iter()
        .map(|r| r.value_str())
        .collect();
    assert_eq!(values, generated(0, 1500), "every record exactly once");
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(
        consume_all(&topic, Duration::from_secs(2)).len(),
        1500,
        "no record written twice after the restart"
    );
    let configs = by_key(&cluster.configs);
    assert_eq!(
        configs.get(&fencing_key),
        Some(&(2, Some(json!({"task-count": 1})))),
        "{configs:?}"
    );

    // The internal fencing endpoint takes only requests signed with the session key.
    let unsigned = rest.put_empty(&format!("/connectors/{name}/fence"));
    assert_eq!(unsigned.status, 400, "{unsigned}");
    assert!(
        unsigned
            .text
            .contains("Internal request missing required signature"),
        "{unsigned}"
    );
}

#[test]
fn a_new_task_generation_fences_out_every_producer_of_the_previous_one() {
    let plugins = plugins_dir();
    let plugin_path = plugins.path().display().to_string();
    let cluster = Cluster::new("eos-fence");
    let worker = cluster.worker_with(&[
        ("plugin.path", &plugin_path),
        ("exactly.once.source.support", "enabled"),
    ]);
    let rest = worker.rest();
    let topic = unique_name("eos-fence-out");
    create_topic(&topic, 1);
    let name = unique_name("eos-fence-gen");
    let own_offsets = unique_name("eos-fence-offsets");
    let mut config = json!({
        "connector.class": "GeneratorSource",
        "tasks.max": "2",
        "tasks": "2",
        "topic": topic,
        "records": "100",
        "batch.size": "10",
        "value.size": "0",
        "offsets.storage.topic": own_offsets,
    });
    put_config(&rest, &name, &config);
    // The tasks share the generator's source partition: whichever starts second resumes after the first's offset.
    consume_n(&topic, 100, LONG);
    // The offsets go to the connector's own topic in the transactions, then are copied to the worker's topic.
    let offset_key = serde_json::to_string(&json!([name, {"generator": "0"}])).expect("key");
    for offsets_topic in [&own_offsets, &cluster.offsets] {
        let mut offsets = BTreeMap::new();
        assert!(
            wait_until(LONG, || {
                offsets = by_key(offsets_topic);
                offsets.get(&offset_key).and_then(|(_, v)| v.clone()) == Some(json!({"seq": 99}))
            }),
            "no {offset_key} -> seq 99 in {offsets_topic}: {offsets:?}"
        );
    }
    let fencing_key = format!("tasks-fencing-{name}");
    let mut configs = BTreeMap::new();
    assert!(
        wait_until(LONG, || {
            configs = by_key(&cluster.configs);
            configs.get(&fencing_key).and_then(|(_, v)| v.clone()) == Some(json!({"task-count": 2}))
        }),
        "no task count record of 2: {configs:?}"
    );

    // A zombie of task 1 of this generation (it takes the id over from the idle task 1), with an open transaction.
    let zombie_topic = unique_name("eos-fence-zombie");
    create_topic(&zombie_topic, 1);
    let zombie = zombie(&format!("{}-{name}-1", cluster.group), &zombie_topic);

    // One task in the next generation: only a fencing round of the previous generation's two ids reaches id 1.
    config["tasks"] = json!("1");
    put_config(&rest, &name, &config);
    assert!(
        wait_until(LONG, || {
            configs = by_key(&cluster.configs);
            configs.get(&fencing_key) == Some(&(2, Some(json!({"task-count": 1}))))
        }),
        "no task count record of 1 after the new generation: {configs:?}"
    );
    assert!(
        zombie.commit_transaction(Duration::from_secs(10)).is_err(),
        "the producer of the previous generation's task 1 committed after the fencing round"
    );
    assert!(
        worker.log().contains(&format!(
            "Fenced out the producers of 2 older task(s) of {name}"
        )),
        "{}",
        worker.log_tail(40)
    );
}

/// A connector that says it supports exactly-once delivery and defines its own transaction boundaries: its
/// preflight checks pass, and its task's transactions end where the task asks, each committing the offset of the
/// record it ended on; an aborted transaction still commits its offset, as in Kafka. (That the aborted records are
/// hidden from `read_committed` readers cannot be observed on the test broker.)
#[test]
fn connector_defined_transaction_boundaries_end_transactions_where_the_task_asks() {
    let plugins = plugins_dir();
    let plugin_path = plugins.path().display().to_string();
    let cluster = Cluster::new("eos-boundary");
    let worker = cluster.worker_with(&[
        ("plugin.path", &plugin_path),
        ("exactly.once.source.support", "enabled"),
    ]);
    let rest = worker.rest();
    let topic = unique_name("eos-boundary-out");
    create_topic(&topic, 1);
    let name = unique_name("eos-boundary-gen");
    let mut config = json!({
        "name": name,
        "connector.class": "GeneratorSource",
        "tasks.max": "1",
        "topic": topic,
        "records": "30",
        "batch.size": "10",
        "value.size": "0",
        "exactly.once.support": "required",
        "declares.exactly.once": "unsupported",
        "transaction.boundary": "connector",
    });
    let validate = |config: &Value| {
        let plugin = config["connector.class"].as_str().unwrap_or_default();
        let validated = rest.put_json(
            &format!("/connector-plugins/{plugin}/config/validate"),
            config,
        );
        assert_eq!(validated.status, 200, "{validated}");
        validated.body
    };
    let refused = validate(&config);
    assert_eq!(refused["error_count"], 2, "{refused}");
    assert_eq!(
        errors_of(&refused, "exactly.once.support"),
        ["The connector does not support exactly-once semantics with the provided configuration."],
        "{refused}"
    );
    assert!(
        errors_of(&refused, "transaction.boundary")[0]
            .starts_with("The connector does not support connector-defined transaction boundaries"),
        "{refused}"
    );

    // FileStreamSource says it supports exactly-once delivery when it reads a file, not standard input.
    for (file, expected) in [
        ("/tmp/input.txt", vec![]),
        ("", vec!["The connector does not support exactly-once semantics with the provided configuration."]),
    ] {
        let file_config = json!({
            "name": "eos-file", "connector.class": "FileStreamSource", "topic": topic, "file": file,
            "exactly.once.support": "required",
        });
        let validated = validate(&file_config);
        assert_eq!(errors_of(&validated, "exactly.once.support"), expected, "{validated}");
    }

    // Commits after seq 6, 13, 20 and 27, except that the transaction ending at 13 is aborted. Seq 28 and 29 stay
    // in a transaction the task never ends.
    config["declares.exactly.once"] = json!("supported");
    config["transaction.commit.every"] = json!("7");
    config["transaction.abort.at"] = json!("13");
    let accepted = validate(&config);
    assert_eq!(accepted["error_count"], 0, "{accepted}");
    put_config(&rest, &name, &config);

    let offset_key = serde_json::to_string(&json!([name, {"generator": "0"}])).expect("key");
    let mut committed = Vec::new();
    assert!(
        wait_until(LONG, || {
            committed = consume_all(&cluster.offsets, Duration::from_secs(2))
                .iter()
                .filter(|r| r.key_str().as_deref() == Some(offset_key.as_str()))
                .filter_map(|r| serde_json::from_slice::<Value>(r.value.as_deref()?).ok())
                .map(|v| v["seq"].clone())
                .collect();
            committed.len() >= 4
        }),
        "expected four transactions to commit offsets: {committed:?}\n{}",
        worker.log_tail(30)
    );
    assert_eq!(committed, [json!(6), json!(13), json!(20), json!(27)]);
    assert!(
        worker.log().contains(&format!(
            "Task {name}-0 aborted its transaction as its connector requested"
        )),
        "{}",
        worker.log_tail(30)
    );
    // No transaction ended after seq 27: nothing more is committed.
    std::thread::sleep(Duration::from_secs(2));
    let later = consume_all(&cluster.offsets, Duration::from_secs(2))
        .iter()
        .filter(|r| r.key_str().as_deref() == Some(offset_key.as_str()))
        .count();
    assert_eq!(later, 4, "an offset was committed without the task asking");
}

/// With `exactly.once.source.support=preparing` (the first step of a rolling upgrade), the leader writes the config
/// topic through a transactional producer (`connect-cluster-<group.id>`): claiming it fences out an older leader's
/// writer, whose open transaction can then no longer commit, and the connector's configs still land.
#[test]
fn the_leader_writes_the_config_topic_transactionally_and_fences_an_older_leader() {
    let plugins = plugins_dir();
    let plugin_path = plugins.path().display().to_string();
    let cluster = Cluster::new("eos-leader");
    let zombie_topic = unique_name("eos-leader-zombie");
    create_topic(&zombie_topic, 1);
    let zombie = zombie(&format!("connect-cluster-{}", cluster.group), &zombie_topic);

    let worker = cluster.worker_with(&[
        ("plugin.path", &plugin_path),
        ("exactly.once.source.support", "preparing"),
    ]);
    let topic = unique_name("eos-leader-out");
    create_topic(&topic, 1);
    let name = unique_name("eos-leader-gen");
    put_config(
        &worker.rest(),
        &name,
        &json!({"connector.class": "GeneratorSource", "topic": topic, "records": "50", "value.size": "0"}),
    );
    consume_n(&topic, 50, LONG);
    assert!(
        zombie.commit_transaction(Duration::from_secs(10)).is_err(),
        "the older leader's writer committed after the new leader claimed the config topic"
    );
    assert!(
        worker
            .log()
            .contains("Claimed write privileges on the config topic as the leader of generation"),
        "{}",
        worker.log_tail(40)
    );
    let configs = by_key(&cluster.configs);
    for key in [
        format!("connector-{name}"),
        format!("task-{name}-0"),
        format!("commit-{name}"),
    ] {
        assert!(configs.contains_key(&key), "no {key} in {configs:?}");
    }
    assert!(
        !configs.contains_key(&format!("tasks-fencing-{name}")),
        "'preparing' does not fence tasks yet: {configs:?}"
    );
}

/// Records moved per measured pipeline, and the generator's value length (100 bytes, as the pipeline measurement).
const PERF_RECORDS: usize = 500_000;
const PERF_VALUE_SIZE: usize = 100;

/// Records/s of a generator connector writing `PERF_RECORDS` records through a worker of `cluster`: from the first
/// `/metrics` scrape (every 10 ms) showing that its task polled records, to a reader already waiting having read the
/// last record. (Timing from the first record read would flatter transactions committed once a second: their
/// records only become readable at the first commit.)
fn generator_rate(
    cluster: &Cluster,
    plugin_path: &str,
    extra: &[(&str, &str)],
    boundary: &str,
) -> f64 {
    let mut props = vec![("plugin.path", plugin_path)];
    props.extend_from_slice(extra);
    let worker = cluster.worker_with(&props);
    let topic = unique_name("eos-perf");
    create_topic(&topic, 1);
    let reader = {
        let topic = topic.clone();
        std::thread::spawn(move || read_span(&topic, PERF_RECORDS, Duration::from_secs(300)))
    };
    std::thread::sleep(Duration::from_secs(2));
    let name = unique_name("eos-perf-gen");
    put_config(
        &worker.rest(),
        &name,
        &json!({
            "connector.class": "GeneratorSource",
            "topic": topic,
            "records": PERF_RECORDS.to_string(),
            "value.size": PERF_VALUE_SIZE.to_string(),
            "batch.size": "2000",
            "transaction.boundary": boundary,
            "transaction.boundary.interval.ms": "1000",
        }),
    );
    let polled = format!(
        "kafka_connect_source_task_metrics_source_record_poll_total{{connector=\"{name}\",task=\"0\"}} "
    );
    let deadline = std::time::Instant::now() + LONG;
    let started = loop {
        let metrics = worker.rest().get("/metrics").text;
        let polls = metrics
            .lines()
            .find_map(|l| l.strip_prefix(polled.as_str()));
        if polls
            .and_then(|v| v.trim().parse::<f64>().ok())
            .unwrap_or(0.0)
            > 0.0
        {
            break std::time::Instant::now();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the task never polled"
        );
        std::thread::sleep(Duration::from_millis(10));
    };
    let (_, last) = reader.join().expect("reader");
    PERF_RECORDS as f64 / (last - started).as_secs_f64()
}

#[test]
#[ignore = "measurement; run by hand with --ignored --nocapture"]
fn exactly_once_throughput_against_at_least_once_and_raw() {
    let plugins = plugins_dir();
    let plugin_path = plugins.path().display().to_string();

    let raw_topic = unique_name("eos-perf-raw");
    create_topic(&raw_topic, 1);
    let reader = {
        let topic = raw_topic.clone();
        std::thread::spawn(move || read_span(&topic, PERF_RECORDS, Duration::from_secs(300)))
    };
    std::thread::sleep(Duration::from_secs(2));
    let value = "x".repeat(PERF_VALUE_SIZE);
    produce(
        &raw_topic,
        (0..PERF_RECORDS).map(|_| (b"", value.as_bytes())),
    );
    let (first, last) = reader.join().expect("raw reader");
    let raw = PERF_RECORDS as f64 / (last - first).as_secs_f64();

    let at_least_once = generator_rate(&Cluster::new("perf-alo"), &plugin_path, &[], "poll");
    let enabled = [("exactly.once.source.support", "enabled")];
    let poll = generator_rate(&Cluster::new("perf-eos"), &plugin_path, &enabled, "poll");
    let interval = generator_rate(
        &Cluster::new("perf-eos-i"),
        &plugin_path,
        &enabled,
        "interval",
    );
    println!(
        "exactly_once_throughput: {PERF_RECORDS} records of {PERF_VALUE_SIZE} bytes, batches of 2000, 1 task\n\
         raw rdkafka producer {raw:.0} rec/s\n\
         at least once {at_least_once:.0} rec/s ({:.2} of raw)\n\
         exactly once, transaction per poll {poll:.0} rec/s ({:.2} of raw, {:.2} of at least once)\n\
         exactly once, transaction per 1000 ms {interval:.0} rec/s ({:.2} of raw, {:.2} of at least once)",
        at_least_once / raw,
        poll / raw,
        poll / at_least_once,
        interval / raw,
        interval / at_least_once,
    );
}
