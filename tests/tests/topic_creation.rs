//! Source topic creation (KIP-158) against the real broker: topics are created with the partitions and configs of
//! the first `topic.creation.groups` group that matches them, else the default group; `topic.creation.enable=false`
//! on the worker leaves creation to the broker; bad group settings are 400s naming the key.

use std::path::PathBuf;
use std::time::Duration;

use connect_tests::{
    consume_n, partition_count, topic_config, unique_name, wait_until, write_lines,
    write_properties, Worker,
};
use serde_json::{json, Value};
use tempfile::TempDir;

/// The topic creation settings every connector of these tests uses: compacted topics get 2 partitions, the rest 3.
const CREATION: &[(&str, &str)] = &[
    ("topic.creation.groups", "compacted"),
    ("topic.creation.default.replication.factor", "1"),
    ("topic.creation.default.partitions", "3"),
    ("topic.creation.compacted.include", ".*-compacted"),
    ("topic.creation.compacted.partitions", "2"),
    ("topic.creation.compacted.cleanup.policy", "compact"),
];

/// A FileStreamSource connector file writing three lines to `topic`.
fn source(dir: &TempDir, topic: &str) -> PathBuf {
    let input = dir.path().join(format!("{topic}.txt"));
    write_lines(&input, &["one", "two", "three"]);
    let path = dir.path().join(format!("{topic}.properties"));
    let name = unique_name("creating-source");
    let file = input.display().to_string();
    let mut props = vec![
        ("name", name.as_str()),
        ("connector.class", "FileStreamSource"),
        ("file", file.as_str()),
        ("topic", topic),
    ];
    props.extend_from_slice(CREATION);
    write_properties(&path, &props);
    path
}

#[test]
fn source_topics_are_created_by_their_group() {
    let dir = tempfile::tempdir().expect("temp dir");
    let compacted = unique_name("created") + "-compacted";
    let plain = unique_name("created-plain");
    assert_eq!(partition_count(&compacted), None);
    let worker = Worker::start_standalone(&[], &[source(&dir, &compacted), source(&dir, &plain)]);
    for topic in [&compacted, &plain] {
        let records = consume_n(topic, 3, Duration::from_secs(60));
        assert_eq!(
            records.len(),
            3,
            "records in {topic}\n{}",
            worker.log_tail_block()
        );
    }
    // The broker would auto-create them with 4 partitions: 2 and 3 show the worker created them.
    assert_eq!(partition_count(&compacted), Some(2));
    assert_eq!(partition_count(&plain), Some(3));
    assert_eq!(
        topic_config(&compacted, "cleanup.policy").as_deref(),
        Some("compact")
    );
    assert_ne!(
        topic_config(&plain, "cleanup.policy").as_deref(),
        Some("compact")
    );
    let log = worker.log();
    assert!(
        log.contains(&format!(
            "Created topic '{compacted}' using creation group 'compacted'"
        )),
        "{}",
        worker.log_tail_block()
    );
}

#[test]
fn disabled_on_the_worker_leaves_topics_to_the_broker() {
    let dir = tempfile::tempdir().expect("temp dir");
    let topic = unique_name("not-created") + "-compacted";
    let worker = Worker::start_standalone(
        &[("topic.creation.enable", "false")],
        &[source(&dir, &topic)],
    );
    let records = consume_n(&topic, 3, Duration::from_secs(60));
    assert_eq!(records.len(), 3, "{}", worker.log_tail_block());
    assert!(wait_until(Duration::from_secs(5), || partition_count(
        &topic
    )
    .is_some()));
    assert_ne!(partition_count(&topic), Some(2), "the group was applied");
    assert!(!worker.log().contains("using creation group"));
}

#[test]
fn invalid_group_settings_are_rejected_with_the_key() {
    let worker = Worker::start_standalone(&[], &[]);
    let config = json!({
        "connector.class": "FileStreamSource",
        "name": "bad-creation",
        "topic": "t",
        "topic.creation.default.partitions": "0",
        "topic.creation.default.replication.factor": "1",
    });
    let validated = worker.rest().put_json(
        "/connector-plugins/FileStreamSource/config/validate",
        &config,
    );
    assert_eq!(validated.status, 200, "{validated}");
    assert_eq!(validated.body["error_count"], 1, "{validated}");
    let errors: Vec<&Value> = validated.body["configs"]
        .as_array()
        .expect("configs")
        .iter()
        .filter(|c| c["value"]["name"] == "topic.creation.default.partitions")
        .collect();
    assert_eq!(errors.len(), 1, "{validated}");
    assert_eq!(
        errors[0]["value"]["errors"][0],
        "Invalid value 0 for configuration topic.creation.default.partitions: Number of partitions must be positive, or -1 to use the broker's default"
    );
    let created = worker
        .rest()
        .put_json("/connectors/bad-creation/config", &config);
    assert_eq!(created.status, 400, "{created}");
    assert!(
        created.body["message"]
            .as_str()
            .unwrap_or_default()
            .contains("topic.creation.default.partitions"),
        "{created}"
    );
}
