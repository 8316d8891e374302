//! `GET /metrics` on a running worker: Kafka's metric groups and names in the Prometheus text format, with values
//! that move as records flow through a FileStream pipeline and as malformed records hit the error policy and DLQ.

use std::collections::BTreeMap;
use std::time::Duration;

use connect_tests::{
    count_records, create_topic, produce, read_complete_lines, unique_name, wait_until,
    write_lines, Worker,
};
use serde_json::json;

const LINES: usize = 500;
const MIXED: usize = 200;

/// Every 50th mixed record is not JSON.
fn is_bad(i: usize) -> bool {
    i % 50 == 7
}

/// `name{labels}` → value, for every sample line.
fn scrape(worker: &Worker) -> BTreeMap<String, f64> {
    let response = worker.rest().get("/metrics");
    assert_eq!(response.status, 200, "{response}");
    assert!(
        response
            .content_type
            .as_deref()
            .is_some_and(|t| t.starts_with("text/plain; version=0.0.4")),
        "content type {:?}",
        response.content_type
    );
    response
        .text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| {
            let (sample, value) = l.rsplit_once(' ').expect("sample and value");
            (sample.to_string(), value.parse().expect("numeric value"))
        })
        .collect()
}

fn task_metric(group: &str, metric: &str, connector: &str) -> String {
    format!(
        "kafka_connect_{}_{}{{connector=\"{connector}\",task=\"0\"}}",
        group.replace('-', "_"),
        metric.replace('-', "_")
    )
}

#[test]
fn metrics_move_as_records_flow_and_count_errors() {
    let topic = unique_name("metrics-lines");
    let mixed = unique_name("metrics-mixed");
    let dlq = unique_name("metrics-dlq");
    create_topic(&topic, 1);
    create_topic(&mixed, 1);
    produce(
        &mixed,
        (0..MIXED).map(|i| {
            let value = if is_bad(i) {
                format!("{{broken {i}")
            } else {
                format!("{{\"n\":{i}}}")
            };
            (format!("k{i}"), value)
        }),
    );
    let worker = Worker::start_standalone(&[("offset.flush.interval.ms", "500")], &[]);
    let input = worker.dir().join("in.txt");
    let output = worker.dir().join("out.txt");
    let good = worker.dir().join("good.txt");
    let lines: Vec<String> = (0..LINES).map(|i| format!("line {i}")).collect();
    write_lines(&input, &lines);

    let before = scrape(&worker);
    assert_eq!(
        before["kafka_connect_connect_worker_metrics_connector_count"],
        0.0
    );

    let (source, sink, strict) = (
        unique_name("m-source"),
        unique_name("m-sink"),
        unique_name("m-json"),
    );
    let configs = [
        (
            &source,
            json!({"connector.class": "FileStreamSource", "file": input.display().to_string(),
                   "topic": topic}),
        ),
        (
            &sink,
            json!({"connector.class": "FileStreamSink", "file": output.display().to_string(),
                   "topics": topic, "consumer.override.session.timeout.ms": "6000"}),
        ),
        (
            &strict,
            json!({"connector.class": "FileStreamSink", "file": good.display().to_string(),
                   "topics": mixed, "consumer.override.session.timeout.ms": "6000",
                   "value.converter": "org.apache.kafka.connect.json.JsonConverter",
                   "value.converter.schemas.enable": "false",
                   "errors.tolerance": "all", "errors.log.enable": "true",
                   "errors.deadletterqueue.topic.name": dlq,
                   "errors.deadletterqueue.topic.replication.factor": "1"}),
        ),
    ];
    for (name, config) in &configs {
        let created = worker
            .rest()
            .post_json("/connectors", &json!({"name": name, "config": config}));
        assert_eq!(created.status, 201, "{created}");
    }
    let bad = (0..MIXED).filter(|i| is_bad(*i)).count();
    assert!(
        wait_until(Duration::from_secs(90), || {
            read_complete_lines(&output).len() >= LINES
                && read_complete_lines(&good).len() >= MIXED - bad
        }),
        "pipelines did not finish: {} of {LINES} lines, {} of {} good records\n{}",
        read_complete_lines(&output).len(),
        read_complete_lines(&good).len(),
        MIXED - bad,
        worker.log_tail_block()
    );

    let source_poll = task_metric("source-task-metrics", "source-record-poll-total", &source);
    let source_write = task_metric("source-task-metrics", "source-record-write-total", &source);
    let sink_read = task_metric("sink-task-metrics", "sink-record-read-total", &sink);
    let sink_send = task_metric("sink-task-metrics", "sink-record-send-total", &sink);
    let commits = task_metric("sink-task-metrics", "offset-commit-completion-total", &sink);
    let expected = LINES as f64;
    let mut m = scrape(&worker);
    // The sink's offsets are committed on the next flush after its last put.
    assert!(
        wait_until(Duration::from_secs(20), || {
            m = scrape(&worker);
            m.get(&commits).is_some_and(|c| *c > 0.0)
        }),
        "no sink commit counted: {m:#?}"
    );
    assert_eq!(m[&source_poll], expected, "{m:#?}");
    assert_eq!(m[&source_write], expected);
    assert_eq!(m[&sink_read], expected);
    assert_eq!(m[&sink_send], expected);
    assert!(m[&task_metric("source-task-metrics", "source-record-poll-rate", &source)] > 0.0);
    assert!(m[&task_metric("sink-task-metrics", "sink-record-send-rate", &sink)] > 0.0);
    assert_eq!(
        m[&task_metric("sink-task-metrics", "partition-count", &sink)],
        1.0
    );
    assert!(m[&task_metric("connector-task-metrics", "batch-size-max", &sink)] >= 1.0);
    assert_eq!(
        m["kafka_connect_connect_worker_metrics_connector_count"],
        3.0
    );
    assert_eq!(m["kafka_connect_connect_worker_metrics_task_count"], 3.0);
    assert_eq!(
        m["kafka_connect_connect_worker_metrics_task_startup_success_total"],
        3.0
    );
    assert_eq!(
        m[&format!(
            "kafka_connect_connect_worker_metrics_connector_running_task_count{{connector=\"{sink}\"}}"
        )],
        1.0
    );
    assert_eq!(
        m[&format!(
            "kafka_connect_connector_task_metrics_status{{connector=\"{source}\",task=\"0\",status=\"running\"}}"
        )],
        1.0
    );

    // The JSON sink: every malformed record is an error, skipped, logged and sent to the DLQ.
    let errors = |metric: &str| m[&task_metric("task-error-metrics", metric, &strict)];
    let bad = bad as f64;
    assert_eq!(errors("total-record-errors"), bad, "{m:#?}");
    assert_eq!(errors("total-record-failures"), bad);
    assert_eq!(errors("total-records-skipped"), bad);
    assert_eq!(errors("total-errors-logged"), bad);
    assert_eq!(errors("deadletterqueue-produce-requests"), bad);
    assert_eq!(errors("deadletterqueue-produce-failures"), 0.0);
    assert!(errors("last-error-timestamp") > 0.0);
    assert_eq!(
        m[&task_metric("task-error-metrics", "total-record-errors", &sink)],
        0.0
    );
    assert_eq!(count_records(&dlq, Duration::from_secs(3)), bad as usize);

    // More input moves the counters on; pausing shows in the status metric.
    let more: Vec<String> = (LINES..LINES + 100).map(|i| format!("line {i}")).collect();
    let mut all = lines.clone();
    all.extend(more);
    write_lines(&input, &all);
    assert!(
        wait_until(Duration::from_secs(60), || scrape(&worker)
            .get(&sink_send)
            .is_some_and(|v| *v == expected + 100.0)),
        "sink-record-send-total did not reach {}",
        expected + 100.0
    );
    assert_eq!(
        worker
            .rest()
            .put_empty(&format!("/connectors/{sink}/pause"))
            .status,
        202
    );
    let paused = format!(
        "kafka_connect_connector_task_metrics_status{{connector=\"{sink}\",task=\"0\",status=\"paused\"}}"
    );
    assert!(
        wait_until(Duration::from_secs(20), || scrape(&worker)
            .contains_key(&paused)),
        "paused task not shown"
    );
    assert_eq!(
        worker
            .rest()
            .delete(&format!("/connectors/{source}"))
            .status,
        204
    );
    assert!(
        wait_until(Duration::from_secs(20), || !scrape(&worker)
            .contains_key(&source_poll)),
        "a deleted connector's task metrics disappear"
    );
}
