//! Error handling end to end: a sink fed 1% malformed JSON sends every bad record to the dead letter queue with
//! Kafka's context headers under `errors.tolerance=all`, and fails at the first bad record under `none`.

use std::time::Duration;

use connect_tests::{
    client_config, consume_n, create_topic, produce, read_complete_lines, unique_name, wait_until,
    Worker,
};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::TopicPartitionList;
use serde_json::json;

const RECORDS: usize = 1000;

/// Every 100th record is not JSON.
fn is_bad(i: usize) -> bool {
    i % 100 == 37
}

fn produce_mixed(topic: &str) {
    create_topic(topic, 1);
    produce(
        topic,
        (0..RECORDS).map(|i| {
            let value = if is_bad(i) {
                format!("{{not json {i}")
            } else {
                format!("{{\"n\":{i}}}")
            };
            (format!("k{i}"), value)
        }),
    );
}

fn sink_config(topic: &str, out: &std::path::Path, extra: &[(&str, &str)]) -> serde_json::Value {
    let mut config = json!({
        "connector.class": "FileStreamSink",
        "topics": topic,
        "file": out.display().to_string(),
        "value.converter": "org.apache.kafka.connect.json.JsonConverter",
        "value.converter.schemas.enable": "false",
        "consumer.override.session.timeout.ms": "6000",
    });
    for (k, v) in extra {
        config[*k] = json!(v);
    }
    config
}

#[test]
fn tolerance_all_sends_bad_records_to_the_dlq_with_context_headers() {
    let topic = unique_name("mixed-json");
    let dlq = unique_name("dlq");
    produce_mixed(&topic);
    let worker = Worker::start_standalone(&[("offset.flush.interval.ms", "1000")], &[]);
    let out = worker.dir().join("good.txt");
    let config = sink_config(
        &topic,
        &out,
        &[
            ("errors.tolerance", "all"),
            ("errors.deadletterqueue.topic.name", &dlq),
            ("errors.deadletterqueue.topic.replication.factor", "1"),
            ("errors.deadletterqueue.context.headers.enable", "true"),
        ],
    );
    let created = worker.rest().post_json(
        "/connectors",
        &json!({"name": "dlq-sink", "config": config}),
    );
    assert_eq!(created.status, 201, "{created}");

    let good: Vec<usize> = (0..RECORDS).filter(|i| !is_bad(*i)).collect();
    assert!(
        wait_until(Duration::from_secs(90), || read_complete_lines(&out).len()
            >= good.len()),
        "good records did not all arrive: {} of {}",
        read_complete_lines(&out).len(),
        good.len()
    );
    // FileStreamSink writes schemaless maps as Java's Map.toString.
    let expected: Vec<String> = good.iter().map(|i| format!("{{n={i}}}")).collect();
    assert_eq!(read_complete_lines(&out), expected);

    let bad: Vec<usize> = (0..RECORDS).filter(|i| is_bad(*i)).collect();
    let dead = consume_n(&dlq, bad.len(), Duration::from_secs(60));
    assert_eq!(dead.len(), bad.len(), "every bad record is in the DLQ");
    for (record, i) in dead.iter().zip(&bad) {
        let headers = &record.headers;
        assert_eq!(
            record.value_str(),
            format!("{{not json {i}"),
            "original bytes kept"
        );
        assert_eq!(headers["__connect.errors.topic"], topic);
        assert_eq!(headers["__connect.errors.partition"], "0");
        assert_eq!(headers["__connect.errors.offset"], i.to_string());
        assert_eq!(headers["__connect.errors.connector.name"], "dlq-sink");
        assert_eq!(headers["__connect.errors.task.id"], "0");
        assert_eq!(headers["__connect.errors.stage"], "VALUE_CONVERTER");
        assert_eq!(
            headers["__connect.errors.class.name"],
            "org.apache.kafka.connect.json.JsonConverter"
        );
        assert_eq!(
            headers["__connect.errors.exception.class.name"],
            "org.apache.kafka.connect.errors.DataException"
        );
        assert!(headers["__connect.errors.exception.message"]
            .starts_with("Converting byte[] to Kafka Connect data failed"));
        assert!(headers.contains_key("__connect.errors.exception.stacktrace"));
    }
}

#[test]
fn tolerance_none_fails_the_task_and_commits_nothing_past_the_bad_record() {
    let topic = unique_name("mixed-json-strict");
    produce_mixed(&topic);
    let worker = Worker::start_standalone(&[("offset.flush.interval.ms", "500")], &[]);
    let out = worker.dir().join("strict.txt");
    let name = unique_name("strict-sink");
    let created = worker.rest().post_json(
        "/connectors",
        &json!({"name": name, "config": sink_config(&topic, &out, &[])}),
    );
    assert_eq!(created.status, 201, "{created}");
    let status = || {
        worker
            .rest()
            .get(&format!("/connectors/{name}/status"))
            .body
    };
    assert!(
        wait_until(Duration::from_secs(60), || status()["tasks"][0]["state"]
            == "FAILED"),
        "task should fail: {}",
        status()
    );
    let trace = status()["tasks"][0]["trace"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        trace.contains("Converting byte[] to Kafka Connect data failed"),
        "trace: {trace}"
    );
    let first_bad = (0..RECORDS).find(|i| is_bad(*i)).unwrap() as i64;
    let lines = read_complete_lines(&out);
    assert!(
        lines.len() as i64 <= first_bad,
        "nothing after the bad record reached the sink: {}",
        lines.len()
    );

    let consumer: BaseConsumer = client_config()
        .set("group.id", format!("connect-{name}"))
        .create()
        .unwrap();
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition(&topic, 0);
    let committed = consumer
        .committed_offsets(tpl, Duration::from_secs(10))
        .unwrap();
    let offset = committed
        .find_partition(&topic, 0)
        .and_then(|e| e.offset().to_raw())
        .unwrap_or(-1);
    assert!(
        offset <= first_bad,
        "committed offset {offset} must not pass the bad record at {first_bad}"
    );
}
