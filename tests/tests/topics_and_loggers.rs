//! KIP-558 active topics (`/connectors/{name}/topics`, `.../topics/reset`, the `status-topic-*` records) and
//! `/admin/loggers` (levels that change what a worker logs, and `scope=cluster` reaching every worker).

use std::fs::OpenOptions;
use std::io::Write;
use std::path::Path;
use std::time::Duration;

use connect_tests::{
    consume_all, count_complete_lines, create_topic, unique_name, wait_until, write_lines, Cluster,
    Rest, Worker,
};
use serde_json::{json, Value};

/// Generous: the test broker takes seconds per group join.
const LONG: Duration = Duration::from_secs(120);

#[track_caller]
fn create_connector(rest: &Rest, name: &str, config: Value) {
    let body = json!({ "name": name, "config": config });
    let mut last = String::new();
    let created = wait_until(LONG, || {
        let r = rest.post_json("/connectors", &body);
        last = r.to_string();
        r.status == 201
    });
    assert!(created, "creating {name} did not succeed: {last}");
}

/// `GET /connectors/{name}/topics`, checked to be 200 with Kafka's `{"<name>":{"topics":[...]}}` shape.
#[track_caller]
fn active_topics(rest: &Rest, name: &str) -> Vec<String> {
    let r = rest.get(&format!("/connectors/{name}/topics"));
    assert_eq!(r.status, 200, "{r}");
    let object = r.body.as_object().expect("an object");
    assert_eq!(object.len(), 1, "one entry, for the connector: {r}");
    let entry = object[name]
        .as_object()
        .expect("an entry for the connector");
    assert_eq!(entry.len(), 1, "only `topics`: {r}");
    entry["topics"]
        .as_array()
        .expect("a topics array")
        .iter()
        .map(|t| t.as_str().expect("topic names").to_string())
        .collect()
}

#[track_caller]
fn wait_for_topics(rest: &Rest, name: &str, expected: &[&str]) {
    assert!(
        wait_until(LONG, || active_topics(rest, name) == expected),
        "active topics of {name} never became {expected:?}: {:?}",
        active_topics(rest, name)
    );
}

#[track_caller]
fn expect_error(r: &connect_tests::Response, status: u16, message: &str) {
    assert_eq!(
        r.body,
        json!({ "error_code": status, "message": message }),
        "{r}"
    );
    assert_eq!(r.status, status, "{r}");
}

fn append_line(path: &Path, line: &str) {
    let mut file = OpenOptions::new()
        .append(true)
        .open(path)
        .unwrap_or_else(|e| panic!("opening {}: {e}", path.display()));
    writeln!(file, "{line}").expect("appending a line");
}

#[test]
fn standalone_tracks_source_and_sink_topics_and_resets_them() {
    let data = tempfile::tempdir().expect("temp dir");
    let (input, output) = (data.path().join("in.txt"), data.path().join("out.txt"));
    write_lines(&input, &["a", "b", "c"]);
    let topic = unique_name("kip558-topic");
    create_topic(&topic, 1);
    let worker = Worker::start_standalone(&[("offset.flush.interval.ms", "500")], &[]);
    let rest = worker.rest();
    let (src, sink) = (unique_name("kip558-src"), unique_name("kip558-sink"));
    create_connector(
        &rest,
        &src,
        json!({"connector.class": "FileStreamSource", "file": input.display().to_string(), "topic": topic}),
    );
    create_connector(
        &rest,
        &sink,
        json!({"connector.class": "FileStreamSink", "file": output.display().to_string(), "topics": topic}),
    );
    wait_for_topics(&rest, &src, &[&topic]);
    wait_for_topics(&rest, &sink, &[&topic]);
    // Every record is through the sink before the reset: one consumed after it would record the topic again.
    assert!(
        wait_until(Duration::from_secs(30), || count_complete_lines(&output)
            == 3),
        "the sink did not write a, b, c: {}",
        worker.log_tail_block()
    );

    let reset = rest.put_empty(&format!("/connectors/{sink}/topics/reset"));
    assert_eq!(reset.status, 202, "{reset}");
    assert!(reset.text.is_empty(), "no body: {reset}");
    assert!(active_topics(&rest, &sink).is_empty());
    // The next record the sink consumes records the topic again.
    append_line(&input, "d");
    wait_for_topics(&rest, &sink, &[&topic]);

    let deleted = rest.delete(&format!("/connectors/{src}"));
    assert_eq!(deleted.status, 204, "{deleted}");
    assert!(
        active_topics(&rest, &src).is_empty(),
        "deleting a connector forgets its topics"
    );
    assert_eq!(active_topics(&rest, &sink), [topic.as_str()]);
    assert!(
        active_topics(&rest, "no-such-connector").is_empty(),
        "Kafka answers an unknown connector with no topics"
    );
}

#[test]
fn disabled_topic_tracking_and_reset_answer_kafkas_403() {
    let no_reset = Worker::start_standalone(&[("topic.tracking.allow.reset", "false")], &[]);
    let rest = no_reset.rest();
    assert!(active_topics(&rest, "c").is_empty());
    expect_error(
        &rest.put_empty("/connectors/c/topics/reset"),
        403,
        "Topic tracking reset is disabled.",
    );

    let disabled = Worker::start_standalone(&[("topic.tracking.enable", "false")], &[]);
    let rest = disabled.rest();
    expect_error(
        &rest.get("/connectors/c/topics"),
        403,
        "Topic tracking is disabled.",
    );
    expect_error(
        &rest.put_empty("/connectors/c/topics/reset"),
        403,
        "Topic tracking is disabled.",
    );
}

/// Creates and deletes a FileStreamSource, whose deletion the standalone herder logs at INFO.
#[track_caller]
fn create_and_delete(rest: &Rest, name: &str, file: &Path, topic: &str) {
    create_connector(
        rest,
        name,
        json!({"connector.class": "FileStreamSource", "file": file.display().to_string(), "topic": topic}),
    );
    let r = rest.delete(&format!("/connectors/{name}"));
    assert_eq!(r.status, 204, "{r}");
}

#[test]
fn logger_levels_change_what_the_worker_logs() {
    let data = tempfile::tempdir().expect("temp dir");
    let input = data.path().join("in.txt");
    write_lines(&input, &["x"]);
    let topic = unique_name("loggers-topic");
    let worker = Worker::start_standalone(&[], &[]);
    let rest = worker.rest();

    let all = rest.get("/admin/loggers");
    assert_eq!(all.status, 200, "{all}");
    assert_eq!(
        all.body["root"],
        json!({"level": "INFO", "last_modified": null}),
        "{all}"
    );
    let herder = "connect_worker::herder";
    expect_error(
        &rest.get(&format!("/admin/loggers/{herder}")),
        404,
        &format!("Logger {herder} not found."),
    );
    expect_error(
        &rest.put_json(&format!("/admin/loggers/{herder}"), &json!({})),
        400,
        "Desired 'level' parameter was not specified in request.",
    );
    expect_error(
        &rest.put_json(
            &format!("/admin/loggers/{herder}"),
            &json!({"level": "LOUD"}),
        ),
        404,
        "invalid log level 'LOUD'.",
    );

    // WARN on the herder's target: its INFO lines stop.
    let set = rest.put_json(
        &format!("/admin/loggers/{herder}"),
        &json!({"level": "warn"}),
    );
    assert_eq!(set.status, 200, "{set}");
    assert_eq!(set.body, json!([herder]));
    let level = rest.get(&format!("/admin/loggers/{herder}"));
    assert_eq!(level.body["level"], "WARN", "{level}");
    assert!(level.body["last_modified"].as_i64().is_some(), "{level}");
    let quiet = unique_name("quiet");
    create_and_delete(&rest, &quiet, &input, &topic);

    // DEBUG on the parent namespace covers the herder's target too: its INFO lines are back.
    let set = rest.put_json("/admin/loggers/connect_worker", &json!({"level": "DEBUG"}));
    assert_eq!(set.status, 200, "{set}");
    assert_eq!(set.body, json!(["connect_worker", herder]));
    let loud = unique_name("loud");
    create_and_delete(&rest, &loud, &input, &topic);
    let log = worker.log();
    assert!(
        log.contains(&format!("Connector {loud} deleted")),
        "the INFO line is logged again at DEBUG:\n{}",
        worker.log_tail_block()
    );
    assert!(
        !log.contains(&format!("Connector {quiet} deleted")),
        "the INFO line was logged while the herder's level was WARN:\n{}",
        worker.log_tail_block()
    );
    let all = rest.get("/admin/loggers").body;
    assert_eq!(all["connect_worker"]["level"], "DEBUG", "{all}");
    assert_eq!(all[herder]["level"], "DEBUG", "{all}");
}

/// The raw value of the last record with `key` in `topic` (`Some(None)` for a tombstone, `None` if absent).
fn last_value(topic: &str, key: &str) -> Option<Option<String>> {
    consume_all(topic, Duration::from_secs(3))
        .into_iter()
        .rev()
        .find(|r| r.key.as_deref() == Some(key.as_bytes()))
        .map(|r| r.value.map(|v| String::from_utf8_lossy(&v).into_owned()))
}

#[test]
fn distributed_workers_share_topics_through_the_status_topic_and_cluster_logger_levels() {
    let cluster = Cluster::new("kip558-group");
    let data = tempfile::tempdir().expect("temp dir");
    let input = data.path().join("in.txt");
    write_lines(&input, &["a", "b"]);
    let topic = unique_name("kip558-dist-topic");
    create_topic(&topic, 1);
    let (w1, w2) = (cluster.worker(), cluster.worker());
    let (r1, r2) = (w1.rest(), w2.rest());
    let name = unique_name("kip558-dist-src");
    create_connector(
        &r1,
        &name,
        json!({"connector.class": "FileStreamSource", "file": input.display().to_string(), "topic": topic}),
    );
    wait_for_topics(&r1, &name, &[&topic]);
    wait_for_topics(&r2, &name, &[&topic]);

    // Java's record: key status-topic-<topic>:connector-<name>, value {"topic":{name,connector,task,discoverTimestamp}}.
    let key = format!("status-topic-{topic}:connector-{name}");
    let value = last_value(&cluster.statuses, &key)
        .flatten()
        .unwrap_or_else(|| panic!("no {key} record in {}", cluster.statuses));
    let parsed: Value = serde_json::from_str(&value).expect("JSON");
    let discovered = parsed["topic"]["discoverTimestamp"]
        .as_i64()
        .unwrap_or_else(|| panic!("discoverTimestamp is a number: {value}"));
    assert_eq!(
        value,
        format!(
            r#"{{"topic":{{"name":"{topic}","connector":"{name}","task":0,"discoverTimestamp":{discovered}}}}}"#
        )
    );

    let reset = r2.put_empty(&format!("/connectors/{name}/topics/reset"));
    assert_eq!(reset.status, 202, "{reset}");
    wait_for_topics(&r1, &name, &[]);
    wait_for_topics(&r2, &name, &[]);
    assert_eq!(
        last_value(&cluster.statuses, &key),
        Some(None),
        "a reset writes a tombstone"
    );
    append_line(&input, "c");
    wait_for_topics(&r2, &name, &[&topic]);
    let deleted = r2.delete(&format!("/connectors/{name}"));
    assert_eq!(deleted.status, 204, "{deleted}");
    wait_for_topics(&r1, &name, &[]);
    wait_for_topics(&r2, &name, &[]);

    // scope=cluster: 204, Java's config record, applied by both workers.
    let namespace = "connect_worker::herder";
    let set = r1.put_json(
        &format!("/admin/loggers/{namespace}?scope=cluster"),
        &json!({"level": "DEBUG"}),
    );
    assert_eq!(set.status, 204, "{set}");
    assert!(set.text.is_empty(), "no body: {set}");
    let record = format!("logger-cluster-{namespace}");
    assert_eq!(
        last_value(&cluster.configs, &record),
        Some(Some(r#"{"level":"DEBUG"}"#.to_string()))
    );
    for (worker, rest) in [(&w1, &r1), (&w2, &r2)] {
        let applied = wait_until(LONG, || {
            rest.get(&format!("/admin/loggers/{namespace}")).body["level"] == "DEBUG"
        });
        assert!(
            applied,
            "worker {} never applied the cluster level:\n{}",
            worker.url(),
            worker.log_tail_block()
        );
        assert!(worker.log().contains(&format!(
            "Set level of namespace {namespace} and children to DEBUG"
        )));
    }
}
