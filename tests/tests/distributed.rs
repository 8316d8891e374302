//! `connect distributed`: one worker keeping its state in the three internal topics with Java's records, and two
//! workers in one group sharing connectors, spreading tasks, and taking over a SIGKILLed worker's tasks.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use connect_tests::{
    append_lines, consume_all, consume_n, create_topic, numbered_lines, partition_count,
    read_complete_lines, unique_name, wait_until, write_lines, Cluster, Rest, Worker,
};
use serde_json::{json, Value};

/// Generous: the test broker takes seconds per group join, and a lost worker is detected after the session timeout.
const LONG: Duration = Duration::from_secs(120);

fn status(rest: &Rest, name: &str) -> Value {
    rest.get(&format!("/connectors/{name}/status")).body
}

/// Whether the connector and all of its `tasks` tasks are RUNNING.
fn all_running(rest: &Rest, name: &str, tasks: usize) -> bool {
    let s = status(rest, name);
    let running = |v: &Value| v["state"] == "RUNNING";
    running(&s["connector"])
        && s["tasks"]
            .as_array()
            .is_some_and(|t| t.len() == tasks && t.iter().all(running))
}

/// The latest value of every key of a compacted topic, in first-seen order of the keys.
fn latest_by_key(topic: &str) -> Vec<(String, Option<Value>)> {
    let mut order = Vec::new();
    let mut latest: BTreeMap<String, Option<Value>> = BTreeMap::new();
    for r in consume_all(topic, Duration::from_secs(3)) {
        let key = r.key_str().unwrap_or_default();
        let value = r
            .value
            .as_deref()
            .map(|v| serde_json::from_slice(v).expect("internal topic values are JSON"));
        if !latest.contains_key(&key) {
            order.push(key.clone());
        }
        latest.insert(key, value);
    }
    order
        .into_iter()
        .map(|k| {
            let v = latest.remove(&k).flatten();
            (k, v)
        })
        .collect()
}

#[test]
fn one_worker_keeps_configs_statuses_and_offsets_in_kafka() {
    let cluster = Cluster::new("dist-group");
    let data = tempfile::tempdir().expect("temp dir");
    let input = data.path().join("input.txt");
    let expected = numbered_lines(1..=50);
    write_lines(&input, &expected);
    let topic = unique_name("dist-src-topic");
    create_topic(&topic, 1);

    let worker = cluster.worker();
    let rest = worker.rest();
    let root = rest.get("/");
    assert_eq!(root.status, 200, "{root}");
    assert!(
        root.body["kafka_cluster_id"]
            .as_str()
            .is_some_and(|id| !id.is_empty()),
        "GET / must show the Kafka cluster id: {root}"
    );

    assert!(
        wait_until(LONG, || rest.get("/health").status == 200),
        "GET /health never said healthy: {}",
        rest.get("/health")
    );
    assert_eq!(rest.get("/health").str("status"), Some("healthy"));

    // REST latency of GET /connectors on an idle worker (reported, not asserted).
    let mut micros: Vec<u128> = (0..1000)
        .map(|_| {
            let started = std::time::Instant::now();
            let r = rest.get("/connectors");
            assert_eq!(r.status, 200, "{r}");
            started.elapsed().as_micros()
        })
        .collect();
    micros.sort_unstable();
    eprintln!(
        "GET /connectors x1000: p50 {} us, p99 {} us",
        micros[499], micros[989]
    );

    let name = unique_name("dist-src");
    let file = input.display().to_string();
    let config = json!({
        "connector.class": "FileStreamSource",
        "tasks.max": "1",
        "file": file,
        "topic": topic,
    });
    rest.create_connector(&name, config.clone());

    let records = consume_n(&topic, expected.len(), LONG);
    let values: Vec<String> = records.iter().map(|r| r.value_str()).collect();
    assert_eq!(values, expected);

    assert!(
        wait_until(LONG, || all_running(&rest, &name, 1)),
        "connector and task not RUNNING: {}",
        status(&rest, &name)
    );
    let s = status(&rest, &name);
    let me = format!("127.0.0.1:{}", worker.port());
    assert_eq!(s["connector"]["worker_id"], me.as_str());
    assert_eq!(s["tasks"][0]["worker_id"], me.as_str());
    assert_eq!(s["type"], "source");
    let tasks = rest.get(&format!("/connectors/{name}/tasks"));
    assert_eq!(tasks.status, 200, "{tasks}");
    assert_eq!(tasks.body[0]["id"], json!({"connector": name, "task": 0}));

    // The config topic holds Java's records: the connector config, the task config, then the commit.
    let configs = latest_by_key(&cluster.configs);
    let keys: Vec<&str> = configs.iter().map(|(k, _)| k.as_str()).collect();
    let connector_key = format!("connector-{name}");
    let task_key = format!("task-{name}-0");
    let commit_key = format!("commit-{name}");
    let position = |k: &str| keys.iter().position(|x| *x == k);
    assert!(
        position(&connector_key) < position(&task_key)
            && position(&task_key) < position(&commit_key)
            && position(&connector_key).is_some(),
        "config topic keys in the wrong order or missing: {keys:?}"
    );
    let value = |k: &str| {
        configs
            .iter()
            .find(|(key, _)| key == k)
            .and_then(|(_, v)| v.clone())
            .unwrap_or(Value::Null)
    };
    let mut with_name = config.clone();
    with_name["name"] = json!(name);
    assert_eq!(value(&connector_key), json!({ "properties": with_name }));
    assert_eq!(value(&commit_key), json!({ "tasks": 1 }));
    let task = value(&task_key);
    assert_eq!(task["properties"]["file"], file.as_str(), "{task}");
    assert!(task["properties"]["task.class"].is_string(), "{task}");
    let raw_commit = consume_all(&cluster.configs, Duration::from_secs(2))
        .into_iter()
        .find(|r| r.key_str().as_deref() == Some(commit_key.as_str()))
        .and_then(|r| r.value)
        .expect("a commit record");
    assert_eq!(raw_commit, br#"{"tasks":1}"#);

    // The leader of a `sessioned` group (the default) wrote a session key for signing internal requests.
    let session = value("session-key");
    assert_eq!(session["algorithm"], "HmacSHA256", "{session}");
    assert!(session["creation-timestamp"].is_i64(), "{session}");
    assert_eq!(
        session["key"].as_str().map(str::len),
        Some(44),
        "a 32-byte key in base64: {session}"
    );

    // The status topic says RUNNING for both, with this worker's id.
    let statuses = latest_by_key(&cluster.statuses);
    for key in [
        format!("status-connector-{name}"),
        format!("status-task-{name}-0"),
    ] {
        let v = statuses
            .iter()
            .find(|(k, _)| *k == key)
            .and_then(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("no {key} in the status topic: {statuses:?}"));
        assert_eq!(v["state"], "RUNNING", "{key}: {v}");
        assert_eq!(v["worker_id"], me.as_str(), "{key}: {v}");
        assert!(v["generation"].is_i64(), "{key}: {v}");
        assert!(v.get("trace").is_some(), "{key}: {v}");
    }

    // The offsets topic holds the source offset of the whole file under Java's key.
    let size = std::fs::metadata(&input).expect("input size").len();
    let offset_key = serde_json::to_string(&json!([name, {"filename": file}])).expect("key");
    let mut last = Vec::new();
    let committed = wait_until(LONG, || {
        last = latest_by_key(&cluster.offsets);
        last.iter()
            .any(|(k, v)| *k == offset_key && *v == Some(json!({ "position": size })))
    });
    assert!(
        committed,
        "offsets topic has no {offset_key} -> position {size}: {last:?}"
    );

    // A source with its own `offsets.storage.topic` (KIP-618): the worker creates that topic and commits there, then
    // copies the offsets to the worker's offsets topic (Kafka's secondary write), and the offsets endpoint reads them.
    let own_topic = unique_name("dist-own-offsets");
    let second = unique_name("dist-src-own");
    rest.create_connector(
        &second,
        json!({
            "connector.class": "FileStreamSource",
            "tasks.max": "1",
            "file": file,
            "topic": topic,
            "offsets.storage.topic": own_topic,
        }),
    );
    let own_key = serde_json::to_string(&json!([second, {"filename": file}])).expect("key");
    let mut own = Vec::new();
    let committed = wait_until(LONG, || {
        if partition_count(&own_topic).is_none() {
            return false;
        }
        own = latest_by_key(&own_topic);
        own.iter()
            .any(|(k, v)| *k == own_key && *v == Some(json!({ "position": size })))
    });
    assert!(
        committed,
        "{own_topic} has no {own_key} -> position {size}: {own:?}"
    );
    let mut global = Vec::new();
    let copied = wait_until(LONG, || {
        global = latest_by_key(&cluster.offsets);
        global
            .iter()
            .any(|(k, v)| *k == own_key && *v == Some(json!({ "position": size })))
    });
    assert!(
        copied,
        "the worker's offsets topic has no copy {own_key} -> position {size}: {global:?}"
    );
    let offsets = rest.get(&format!("/connectors/{second}/offsets"));
    assert_eq!(offsets.status, 200, "{offsets}");
    assert_eq!(
        offsets.body["offsets"],
        json!([{"partition": {"filename": file}, "offset": {"position": size}}]),
        "{offsets}"
    );
}

#[test]
fn two_workers_share_connectors_and_survive_a_sigkill() {
    let cluster = Cluster::new("dist-group");
    let data = tempfile::tempdir().expect("temp dir");
    let input = data.path().join("input.txt");
    let output = data.path().join("output.txt");
    let first = numbered_lines(1..=2000);
    write_lines(&input, &first);
    let topic = unique_name("dist-pipe");
    create_topic(&topic, 1);

    let mut a = cluster.worker();
    let mut b = cluster.worker();
    let (ra, rb) = (a.rest(), b.rest());
    let source = unique_name("dist-src");
    let sink = unique_name("dist-sink");
    // One connector through each worker: whichever is not the leader forwards its request.
    ra.create_connector(
        &source,
        json!({
            "connector.class": "FileStreamSource",
            "tasks.max": "1",
            "file": input.display().to_string(),
            "topic": topic,
        }),
    );
    rb.create_connector(
        &sink,
        json!({
            "connector.class": "FileStreamSink",
            "tasks.max": "1",
            "file": output.display().to_string(),
            "topics": topic,
        }),
    );

    // Both workers see both connectors, with the same config.
    for rest in [&ra, &rb] {
        assert!(
            wait_until(LONG, || {
                let list = rest.get("/connectors").body;
                let names: BTreeSet<&str> = list
                    .as_array()
                    .map(|l| l.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                names.contains(source.as_str()) && names.contains(sink.as_str())
            }),
            "{} does not list both connectors",
            rest.base_url()
        );
        let info = rest.get(&format!("/connectors/{source}"));
        assert_eq!(info.status, 200, "{info}");
        assert_eq!(info.body["config"]["connector.class"], "FileStreamSource");
    }

    // Both run, and the two tasks run on different workers.
    let workers_of_tasks = |rest: &Rest| -> BTreeSet<String> {
        [&source, &sink]
            .iter()
            .filter_map(|n| {
                status(rest, n)["tasks"][0]["worker_id"]
                    .as_str()
                    .map(str::to_string)
            })
            .collect()
    };
    assert!(
        wait_until(LONG, || all_running(&rb, &source, 1)
            && all_running(&ra, &sink, 1)
            && workers_of_tasks(&ra).len() == 2),
        "tasks not RUNNING on two workers: {} / {}",
        status(&ra, &source),
        status(&ra, &sink)
    );
    assert!(
        wait_until(LONG, || read_complete_lines(&output).len() >= first.len()),
        "the sink wrote {} of {} lines",
        read_complete_lines(&output).len(),
        first.len()
    );

    // SIGKILL the worker running the source task; its tasks move to the survivor.
    let source_worker = status(&ra, &source)["tasks"][0]["worker_id"]
        .as_str()
        .expect("source task worker")
        .to_string();
    let (victim, survivor) = if source_worker.ends_with(&format!(":{}", a.port())) {
        (&mut a, &mut b)
    } else {
        (&mut b, &mut a)
    };
    victim.kill9();
    let killed_at = std::time::Instant::now();
    let second = numbered_lines(2001..=4000);
    append_lines(&input, &second);
    let rest = survivor.rest();
    let me = format!("127.0.0.1:{}", survivor.port());
    let moved = wait_until(LONG, || {
        [&source, &sink].iter().all(|n| {
            let s = status(&rest, n);
            s["connector"]["worker_id"] == me.as_str()
                && s["tasks"][0]["worker_id"] == me.as_str()
                && all_running(&rest, n, 1)
        })
    });
    eprintln!(
        "SIGKILL to all tasks RUNNING on the survivor: {} ms (session.timeout.ms 6000, scheduled.rebalance.max.delay.ms 2000)",
        killed_at.elapsed().as_millis()
    );
    assert!(
        moved,
        "the survivor did not take over: {} / {}\n{}",
        status(&rest, &source),
        status(&rest, &sink),
        survivor.log_tail_block()
    );

    // The pipeline continues from the committed offsets: every line arrives (duplicates are allowed).
    let all: BTreeSet<String> = first.iter().chain(&second).cloned().collect();
    let mut missing = all.len();
    let complete = wait_until(LONG, || {
        let got: BTreeSet<String> = read_complete_lines(&output).into_iter().collect();
        missing = all.difference(&got).count();
        missing == 0
    });
    assert!(
        complete,
        "{missing} of {} lines never reached the sink\n{}",
        all.len(),
        survivor.log_tail_block()
    );
    let written = read_complete_lines(&output).len();
    eprintln!(
        "sink output: {written} lines for {} distinct ({} duplicates after the SIGKILL)",
        all.len(),
        written - all.len()
    );
}

#[test]
fn writes_through_either_worker_reach_the_whole_group() {
    let cluster = Cluster::new("dist-group");
    let data = tempfile::tempdir().expect("temp dir");
    let input = data.path().join("input.txt");
    write_lines(&input, &numbered_lines(1..=10));
    let topic = unique_name("dist-rest");
    create_topic(&topic, 1);
    let a = cluster.worker();
    let b = cluster.worker();
    let (ra, rb) = (a.rest(), b.rest());
    let name = unique_name("dist-rest-src");
    let config = json!({
        "connector.class": "FileStreamSource",
        "tasks.max": "1",
        "file": input.display().to_string(),
        "topic": topic,
    });
    rb.create_connector(&name, config.clone());
    assert!(
        wait_until(LONG, || all_running(&ra, &name, 1)),
        "not RUNNING: {}",
        status(&ra, &name)
    );
    let again = ra.post_json("/connectors", &json!({ "name": name, "config": config }));
    assert_eq!(again.status, 409, "{again}");

    // A config update through each worker: both see it.
    for (i, rest) in [&ra, &rb].into_iter().enumerate() {
        let mut updated = config.clone();
        updated["batch.size"] = json!(format!("{}", 100 + i));
        let r = rest.put_json(&format!("/connectors/{name}/config"), &updated);
        assert_eq!(r.status, 200, "{r}");
        assert_eq!(r.body["name"], name.as_str(), "{r}");
        for reader in [&ra, &rb] {
            assert!(
                wait_until(LONG, || reader
                    .get(&format!("/connectors/{name}/config"))
                    .body["batch.size"]
                    == json!(format!("{}", 100 + i))),
                "{} does not see update {i}",
                reader.base_url()
            );
        }
    }

    // Pause through one worker, resume through the other.
    let r = ra.put_empty(&format!("/connectors/{name}/pause"));
    assert_eq!(r.status, 202, "{r}");
    assert!(
        wait_until(LONG, || {
            let s = status(&rb, &name);
            s["connector"]["state"] == "PAUSED" && s["tasks"][0]["state"] == "PAUSED"
        }),
        "not PAUSED: {}",
        status(&rb, &name)
    );
    let r = rb.put_empty(&format!("/connectors/{name}/resume"));
    assert_eq!(r.status, 202, "{r}");
    assert!(
        wait_until(LONG, || all_running(&ra, &name, 1)),
        "not resumed: {}",
        status(&ra, &name)
    );

    // Stop (leader-only: one of the two forwards it): no tasks left; resume brings them back.
    let r = rb.put_empty(&format!("/connectors/{name}/stop"));
    assert_eq!(r.status, 204, "{r}");
    assert!(
        wait_until(LONG, || {
            let s = status(&ra, &name);
            s["connector"]["state"] == "STOPPED" && s["tasks"].as_array().is_some_and(Vec::is_empty)
        }),
        "not STOPPED: {}",
        status(&ra, &name)
    );
    let r = ra.put_empty(&format!("/connectors/{name}/resume"));
    assert_eq!(r.status, 202, "{r}");
    assert!(
        wait_until(LONG, || all_running(&rb, &name, 1)),
        "not running after resume from STOPPED: {}",
        status(&rb, &name)
    );

    // Restart with tasks through each worker: 202 with a plan.
    for rest in [&ra, &rb] {
        let r = rest.post_json(
            &format!("/connectors/{name}/restart?includeTasks=true"),
            &json!({}),
        );
        assert_eq!(r.status, 202, "{r}");
        assert_eq!(r.body["connector"]["state"], "RESTARTING", "{r}");
    }
    assert!(
        wait_until(LONG, || all_running(&ra, &name, 1)),
        "not running after restart: {}",
        status(&ra, &name)
    );
    let r = rb.post_json(&format!("/connectors/{name}/tasks/0/restart"), &json!({}));
    assert_eq!(r.status, 204, "{r}");
    let r = ra.post_json(&format!("/connectors/{name}/tasks/0/restart"), &json!({}));
    assert_eq!(r.status, 204, "{r}");
    let r = ra.post_json(&format!("/connectors/{name}/tasks/7/restart"), &json!({}));
    assert_eq!(r.status, 404, "{r}");

    // The internal task-config endpoint needs the group's signature (KIP-507, `sessioned` protocol).
    let unsigned = ra.post_json(&format!("/connectors/{name}/tasks"), &json!([]));
    assert_eq!(unsigned.status, 400, "{unsigned}");
    assert_eq!(
        unsigned.str("message"),
        Some("Internal request missing required signature")
    );
    let forged = ureq::Agent::new_with_config(
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .proxy(None)
            .build(),
    )
    .post(format!("{}/connectors/{name}/tasks", rb.base_url()))
    .header("X-Connect-Authorization", "bm90IGEgc2lnbmF0dXJl")
    .header("X-Connect-Request-Signature-Algorithm", "HmacSHA256")
    .header("Content-Type", "application/json")
    .send("[]")
    .expect("POST with a forged signature");
    assert_eq!(forged.status().as_u16(), 403);

    // Delete through the other worker: gone everywhere.
    let r = rb.delete(&format!("/connectors/{name}"));
    assert_eq!(r.status, 204, "{r}");
    for rest in [&ra, &rb] {
        assert!(
            wait_until(LONG, || rest.get(&format!("/connectors/{name}")).status
                == 404),
            "{} still has {name}",
            rest.base_url()
        );
    }
    let r = ra.delete(&format!("/connectors/{name}"));
    assert_eq!(r.status, 404, "{r}");
}

#[test]
fn an_eager_group_runs_a_pipeline_over_two_workers() {
    let cluster = Cluster::new("dist-group");
    let data = tempfile::tempdir().expect("temp dir");
    let input = data.path().join("input.txt");
    let output = data.path().join("output.txt");
    let expected = numbered_lines(1..=300);
    write_lines(&input, &expected);
    let topic = unique_name("dist-eager");
    create_topic(&topic, 1);
    let a = cluster.worker_with(&[("connect.protocol", "eager")]);
    let b = cluster.worker_with(&[("connect.protocol", "EAGER")]);
    let (ra, rb) = (a.rest(), b.rest());
    let source = unique_name("eager-src");
    let sink = unique_name("eager-sink");
    ra.create_connector(
        &source,
        json!({
            "connector.class": "FileStreamSource",
            "tasks.max": "1",
            "file": input.display().to_string(),
            "topic": topic,
        }),
    );
    rb.create_connector(
        &sink,
        json!({
            "connector.class": "FileStreamSink",
            "tasks.max": "1",
            "file": output.display().to_string(),
            "topics": topic,
        }),
    );
    assert!(
        wait_until(LONG, || all_running(&rb, &source, 1)
            && all_running(&ra, &sink, 1)),
        "not RUNNING: {} / {}",
        status(&rb, &source),
        status(&ra, &sink)
    );
    assert!(
        wait_until(LONG, || read_complete_lines(&output) == expected),
        "the sink wrote {} of {} lines",
        read_complete_lines(&output).len(),
        expected.len()
    );
    // Only `sessioned` groups use session keys (KIP-507).
    let configs = latest_by_key(&cluster.configs);
    assert!(
        configs.iter().all(|(k, _)| k != "session-key"),
        "an eager group wrote a session key: {configs:?}"
    );
}

/// The worker (`host:port`) running each task of `name`.
fn task_workers(rest: &Rest, name: &str) -> BTreeMap<u64, String> {
    status(rest, name)["tasks"]
        .as_array()
        .map(|tasks| {
            tasks
                .iter()
                .filter_map(|t| Some((t["id"].as_u64()?, t["worker_id"].as_str()?.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

/// How many times `worker` started task `<name>-<task>` (its herder logs one line per start).
fn task_starts(worker: &Worker, name: &str, task: u64) -> usize {
    let needle = format!("distributed::work: Task {name}-{task} started");
    worker
        .log()
        .lines()
        .filter(|l| l.ends_with(&needle))
        .count()
}

#[test]
fn a_joining_worker_takes_a_share_without_restarting_the_rest_and_a_restarted_cluster_resumes() {
    const TASKS: u64 = 6;
    let cluster = Cluster::new("dist-group");
    let data = tempfile::tempdir().expect("temp dir");
    let topic = unique_name("dist-join");
    create_topic(&topic, TASKS as i32);
    let mut a = cluster.worker();
    let mut b = cluster.worker();
    let ra = a.rest();
    let name = unique_name("dist-join-sink");
    ra.create_connector(
        &name,
        json!({
            "connector.class": "FileStreamSink",
            "tasks.max": TASKS.to_string(),
            "file": data.path().join("out.txt").display().to_string(),
            "topics": topic,
        }),
    );
    let id = |w: &Worker| format!("127.0.0.1:{}", w.port());
    let spread = |rest: &Rest, workers: &[&str]| {
        let placed = task_workers(rest, &name);
        all_running(rest, &name, TASKS as usize)
            && workers.iter().all(|w| {
                placed.values().filter(|p| p == w).count() == TASKS as usize / workers.len()
            })
    };
    let (ida, idb) = (id(&a), id(&b));
    assert!(
        wait_until(LONG, || spread(&ra, &[&ida, &idb])),
        "{TASKS} tasks not spread 3/3 over two workers: {}",
        status(&ra, &name)
    );
    let before = task_workers(&ra, &name);

    let mut c = cluster.worker();
    let idc = id(&c);
    assert!(
        wait_until(LONG, || spread(&ra, &[&ida, &idb, &idc])),
        "{TASKS} tasks not spread 2/2/2 after a third worker joined: {}",
        status(&ra, &name)
    );
    let after = task_workers(&ra, &name);
    let mut stayed = 0;
    for (task, worker) in &after {
        if before.get(task) == Some(worker) {
            stayed += 1;
            let w = if *worker == ida { &a } else { &b };
            assert_eq!(
                task_starts(w, &name, *task),
                1,
                "task {task} stayed on {worker} but was restarted\n{}",
                w.log_tail_block()
            );
        }
    }
    assert_eq!(stayed, 4, "before {before:?}, after {after:?}");
    eprintln!("task restarts caused by a joining worker: 0 of {stayed} tasks that stayed");

    // connect-worker-rebalance-metrics: the first worker went through its own join and the two that followed.
    let metrics = ra.get("/metrics").text;
    let value = |metric: &str| {
        let prefix = format!("kafka_connect_connect_worker_rebalance_metrics_{metric} ");
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(&prefix)?.parse::<f64>().ok())
            .unwrap_or_else(|| panic!("no {metric} in /metrics:\n{metrics}"))
    };
    assert!(value("completed_rebalances_total") >= 3.0, "{metrics}");
    assert!(value("epoch") >= 1.0, "{metrics}");
    assert!(value("rebalance_max_time_ms") >= value("rebalance_avg_time_ms"));
    assert!(
        metrics.contains("kafka_connect_connect_worker_rebalance_metrics_connect_protocol{protocol=\"sessioned\"} 1"),
        "{metrics}"
    );

    // Stop the whole cluster, start two workers on the same internal topics: everything comes back from the topics
    // alone. They join under a new group.id because the test broker (tansu) keeps a departed leader as the leader of
    // a group that every member left, so workers rejoining that group would wait for it forever (Kafka starts a new
    // generation there); the group holds no connector state, the topics do.
    for w in [&mut a, &mut b, &mut c] {
        w.stop();
    }
    let group = format!("{}-after-restart", cluster.group);
    let a = cluster.worker_with(&[("group.id", group.as_str())]);
    let b = cluster.worker_with(&[("group.id", group.as_str())]);
    let ra = a.rest();
    let (ida, idb) = (id(&a), id(&b));
    assert!(
        wait_until(LONG, || spread(&ra, &[&ida, &idb])),
        "the restarted cluster does not run the connector from its topics: {}",
        status(&ra, &name)
    );
    assert_eq!(
        b.rest().get(&format!("/connectors/{name}/config")).body["tasks.max"],
        TASKS.to_string().as_str()
    );
}

#[test]
fn a_config_topic_with_more_than_one_partition_is_refused() {
    let cluster = Cluster::new("dist-group");
    create_topic(&cluster.configs, 3);
    refuses_to_start(&cluster, &[], "is required to have a single partition");
}

#[test]
fn a_worker_configured_for_kerberos_to_kafka_refuses_to_start_and_says_why() {
    let cluster = Cluster::new("dist-group");
    // SASL_SSL with Kafka's default mechanism, GSSAPI: the group connection speaks PLAIN and SCRAM only.
    refuses_to_start(
        &cluster,
        &[("security.protocol", "SASL_SSL")],
        "sasl.mechanism=GSSAPI is not supported by the group connection",
    );
}

/// Starts a worker of `cluster` with `props` and checks that it refused to start, saying `why`.
fn refuses_to_start(cluster: &Cluster, props: &[(&str, &str)], why: &str) {
    let Err(failed) = std::panic::catch_unwind(|| cluster.worker_with(props)) else {
        panic!("a worker started with {props:?}; expected it to refuse: {why}");
    };
    let message = failed.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(
        message.contains(why),
        "the worker did not say why it refused to start: {message}"
    );
}

/// Issue 5's takeover figure: from a worker's SIGKILL until every connector and task it ran is RUNNING on the
/// survivor, with `scheduled.rebalance.max.delay.ms` 0 and with Kafka's default (5 minutes); `session.timeout.ms` is
/// the harness's 6000. Measurement only (no timing assertion):
/// `cargo test --release --workspace --test distributed sigkill_takeover -- --ignored --nocapture`.
#[test]
#[ignore = "measurement; run by hand with --ignored --nocapture"]
fn sigkill_takeover_time_without_delay_and_with_the_default_delay() {
    for delay in ["0", "300000"] {
        let cluster = Cluster::new("dist-takeover");
        let data = tempfile::tempdir().expect("temp dir");
        let topic = unique_name("dist-takeover");
        create_topic(&topic, 1);
        let props = [("scheduled.rebalance.max.delay.ms", delay)];
        let survivor = cluster.worker_with(&props);
        let mut victim = cluster.worker_with(&props);
        let rest = survivor.rest();
        let names: Vec<String> = (0..4).map(|_| unique_name("dist-takeover-src")).collect();
        for name in &names {
            let input = data.path().join(format!("{name}.txt"));
            write_lines(&input, &numbered_lines(1..=10));
            rest.create_connector(
                name,
                json!({"connector.class": "FileStreamSource", "file": input.display().to_string(),
                       "topic": topic}),
            );
        }
        let on = |w: &Worker| format!("127.0.0.1:{}", w.port());
        let (victim_id, survivor_id) = (on(&victim), on(&survivor));
        let runs_on = |name: &str, id: &str| {
            let s = status(&rest, name);
            s["tasks"][0]["worker_id"] == id || s["connector"]["worker_id"] == id
        };
        assert!(
            wait_until(LONG, || names.iter().all(|n| all_running(&rest, n, 1))
                && names.iter().any(|n| runs_on(n, &victim_id))),
            "the victim never ran any of the work"
        );
        victim.kill9();
        let killed = std::time::Instant::now();
        let moved = wait_until(Duration::from_secs(600), || {
            names.iter().all(|n| {
                let s = status(&rest, n);
                s["connector"]["worker_id"] == survivor_id.as_str()
                    && s["tasks"][0]["worker_id"] == survivor_id.as_str()
                    && all_running(&rest, n, 1)
            })
        });
        assert!(
            moved,
            "the survivor did not take everything over\n{}",
            survivor.log_tail_block()
        );
        eprintln!(
            "scheduled.rebalance.max.delay.ms={delay}: SIGKILL to every connector and task RUNNING on the survivor in \
             {} ms",
            killed.elapsed().as_millis()
        );
    }
}
