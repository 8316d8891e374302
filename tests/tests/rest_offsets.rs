//! KIP-875 offsets (`GET|PATCH|DELETE /connectors/{c}/offsets`) and KIP-477 `PATCH /connectors/{c}/config`, on a
//! standalone worker and on a two-worker distributed cluster: Kafka's status codes and messages, and connectors
//! resuming from the offsets written (FileStreamSource re-reads its file, FileStreamSink re-reads its topic).

use std::path::Path;
use std::time::Duration;

use connect_tests::{
    consume_n, count_records, create_topic, produce, read_complete_lines, unique_name, wait_until,
    write_lines, Cluster, Response, Rest, Worker,
};
use serde_json::{json, Value};

/// Generous: the test broker takes seconds per group join, and a cold cluster more.
const LONG: Duration = Duration::from_secs(120);

const ALTERED: &str = "The Connect framework-managed offsets for this connector have been altered successfully. However, if this connector manages offsets externally, they will need to be manually altered in the system that the connector uses.";
const RESET: &str = "The Connect framework-managed offsets for this connector have been reset successfully. However, if this connector manages offsets externally, they will need to be manually reset in the system that the connector uses.";

fn not_stopped(name: &str) -> String {
    format!("Connectors must be in the STOPPED state before their offsets can be modified. This can be done for the specified connector by issuing a 'PUT' request to the '/connectors/{name}/stop' endpoint")
}

/// Where requests go: `read` for GETs, `write` for changes (in the cluster, the two workers: one of them is not the
/// leader, so its writes are forwarded), and the workers whose logs explain a failure.
struct Api<'a> {
    read: Rest,
    write: Rest,
    workers: Vec<&'a Worker>,
}

impl Api<'_> {
    fn logs(&self) -> String {
        self.workers
            .iter()
            .map(|w| w.log_tail_block())
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Sends a request until it is not refused for a rebalance (409) or a group still settling (500, which Kafka
    /// also answers while a stopped sink's tasks are leaving their consumer group).
    #[track_caller]
    fn settled(&self, what: &str, mut send: impl FnMut(&Rest) -> Response) -> Response {
        let mut last = None;
        let done = wait_until(LONG, || {
            let r = send(&self.write);
            let busy = r.status == 409 || r.status == 500;
            last = Some(r);
            !busy
        });
        let last = last.expect("at least one attempt");
        assert!(
            done,
            "{what}: still refused after {LONG:?}: {last}\n{}",
            self.logs()
        );
        last
    }

    #[track_caller]
    fn expect(&self, what: &str, response: &Response, status: u16) {
        assert_eq!(
            response.status,
            status,
            "{what}: expected HTTP {status}, got {response}\n{}",
            self.logs()
        );
    }

    /// Checks a `{"error_code","message"}` error with the exact message.
    #[track_caller]
    fn expect_error(&self, what: &str, response: &Response, status: u16, message: &str) {
        self.expect(what, response, status);
        assert_eq!(
            response.body,
            json!({"error_code": status, "message": message}),
            "{what}: error body"
        );
    }

    #[track_caller]
    fn create(&self, name: &str, config: Value) {
        let body = json!({"name": name, "config": config});
        let r = self.settled("POST /connectors", |w| w.post_json("/connectors", &body));
        self.expect("POST /connectors", &r, 201);
    }

    #[track_caller]
    fn wait_offsets(&self, name: &str, expected: &Value) {
        let path = format!("/connectors/{name}/offsets");
        let mut last = None;
        let ok = wait_until(LONG, || {
            let r = self.read.get(&path);
            let done = r.status == 200 && &r.body == expected;
            last = Some(r);
            done
        });
        assert!(
            ok,
            "GET {path} never answered 200 {expected}; last: {}\n{}",
            last.map(|r| r.to_string()).unwrap_or_default(),
            self.logs()
        );
    }

    /// `PUT stop` (204), then waits until the connector reports STOPPED with no tasks.
    #[track_caller]
    fn stop(&self, name: &str) {
        let path = format!("/connectors/{name}/stop");
        let r = self.settled("PUT stop", |w| w.put_empty(&path));
        self.expect("PUT stop", &r, 204);
        let status = format!("/connectors/{name}/status");
        let stopped = wait_until(LONG, || {
            let s = self.read.get(&status).body;
            s["connector"]["state"] == "STOPPED" && s["tasks"].as_array().is_some_and(Vec::is_empty)
        });
        assert!(
            stopped,
            "{name} did not stop: {}\n{}",
            self.read.get(&status),
            self.logs()
        );
    }

    #[track_caller]
    fn resume(&self, name: &str) {
        let path = format!("/connectors/{name}/resume");
        let r = self.settled("PUT resume", |w| w.put_empty(&path));
        self.expect("PUT resume", &r, 202);
    }

    #[track_caller]
    fn alter(&self, name: &str, body: &Value) -> Response {
        let path = format!("/connectors/{name}/offsets");
        self.settled("PATCH offsets", |w| w.patch_json(&path, body))
    }

    #[track_caller]
    fn reset(&self, name: &str) -> Response {
        let path = format!("/connectors/{name}/offsets");
        self.settled("DELETE offsets", |w| w.delete(&path))
    }
}

fn values(records: &[connect_tests::Record]) -> Vec<String> {
    records.iter().map(|r| r.value_str()).collect()
}

/// Unknown connectors: 404 on every offsets method and on PATCH config.
fn unknown_connector_is_404(api: &Api<'_>) {
    let unknown = unique_name("no-such-connector");
    let path = format!("/connectors/{unknown}/offsets");
    let message = format!("Connector {unknown} not found");
    api.expect_error(
        "GET offsets of an unknown connector",
        &api.read.get(&path),
        404,
        &message,
    );
    let body = json!({"offsets": [{"partition": {"a": 1}, "offset": {"b": 2}}]});
    let r = api.settled("PATCH offsets of an unknown connector", |w| {
        w.patch_json(&path, &body)
    });
    api.expect_error("PATCH offsets of an unknown connector", &r, 404, &message);
    let r = api.settled("DELETE offsets of an unknown connector", |w| {
        w.delete(&path)
    });
    api.expect_error("DELETE offsets of an unknown connector", &r, 404, &message);
    let config = format!("/connectors/{unknown}/config");
    let r = api.settled("PATCH config of an unknown connector", |w| {
        w.patch_json(&config, &json!({"tasks.max": "2"}))
    });
    api.expect_error("PATCH config of an unknown connector", &r, 404, &message);
}

/// A FileStreamSource: its offset is listed, modifications are refused while it runs, a reset makes it read the
/// file again from the start, and an altered position makes it resume there.
fn source_offsets(api: &Api<'_>, dir: &Path) {
    let input = dir.join("source-input.txt");
    // Each line is 8 bytes with its newline: positions 8, 16, 24.
    write_lines(&input, &["line-01", "line-02", "line-03"]);
    let file = input.display().to_string();
    let topic = unique_name("offsets-src");
    create_topic(&topic, 1);
    let name = unique_name("offsets-source");
    api.create(
        &name,
        json!({"connector.class": "FileStreamSource", "tasks.max": "1", "file": file, "topic": topic}),
    );
    let lines = ["line-01", "line-02", "line-03"];
    assert_eq!(values(&consume_n(&topic, 3, LONG)), lines);
    let at_end =
        json!({"offsets": [{"partition": {"filename": file}, "offset": {"position": 24}}]});
    api.wait_offsets(&name, &at_end);

    let path = format!("/connectors/{name}/offsets");
    let alter_to_8 =
        json!({"offsets": [{"partition": {"filename": file}, "offset": {"position": 8}}]});
    api.expect_error(
        "DELETE offsets while running",
        &api.write.delete(&path),
        400,
        &not_stopped(&name),
    );
    api.expect_error(
        "PATCH offsets while running",
        &api.write.patch_json(&path, &alter_to_8),
        400,
        &not_stopped(&name),
    );

    api.stop(&name);
    let missing = "Partitions / offsets need to be provided for an alter offsets request";
    api.expect_error(
        "PATCH {}",
        &api.write.patch_json(&path, &json!({})),
        400,
        missing,
    );
    api.expect_error(
        "PATCH no offsets",
        &api.write.patch_json(&path, &json!({"offsets": []})),
        400,
        missing,
    );

    // Reset: the offset is gone, and the resumed connector reads the whole file again.
    let reset = api.reset(&name);
    api.expect("DELETE offsets", &reset, 200);
    assert_eq!(reset.body, json!({"message": RESET}));
    api.wait_offsets(&name, &json!({"offsets": []}));
    api.resume(&name);
    let again = consume_n(&topic, 6, LONG);
    assert_eq!(
        values(&again[3..6]),
        lines,
        "after a reset the file is read from the start"
    );
    api.wait_offsets(&name, &at_end);

    // Alter: position 8 is just after the first line, so the resumed connector emits the other two again.
    api.stop(&name);
    let altered = api.alter(&name, &alter_to_8);
    api.expect("PATCH offsets", &altered, 200);
    assert_eq!(altered.body, json!({"message": ALTERED}));
    api.wait_offsets(&name, &alter_to_8);
    api.resume(&name);
    let resumed = consume_n(&topic, 8, LONG);
    assert_eq!(
        values(&resumed[6..8]),
        ["line-02", "line-03"],
        "resumed at the altered position"
    );
    api.wait_offsets(&name, &at_end);
    assert_eq!(
        count_records(&topic, Duration::from_secs(2)),
        8,
        "nothing but the two lines was re-read"
    );
}

/// A FileStreamSink: its committed offset is listed, an altered `kafka_offset` makes it re-read from there, a
/// reset from the beginning; malformed sink offsets are refused with Kafka's message.
fn sink_offsets(api: &Api<'_>, dir: &Path) {
    let topic = unique_name("offsets-sink");
    create_topic(&topic, 1);
    let records: Vec<(String, String)> = (0..5)
        .map(|i| (format!("k{i}"), format!("rec-{i}")))
        .collect();
    produce(
        &topic,
        records.iter().map(|(k, v)| (k.as_bytes(), v.as_bytes())),
    );
    let output = dir.join("sink-output.txt");
    let name = unique_name("offsets-sink");
    api.create(
        &name,
        json!({"connector.class": "FileStreamSink", "tasks.max": "1", "topics": topic, "file": output.display().to_string()}),
    );
    let all: Vec<String> = records.iter().map(|(_, v)| v.clone()).collect();
    let wait_lines = |n: usize| {
        let ok = wait_until(LONG, || read_complete_lines(&output).len() >= n);
        assert!(
            ok,
            "the sink wrote {} of {n} lines\n{}",
            read_complete_lines(&output).len(),
            api.logs()
        );
        read_complete_lines(&output)
    };
    assert_eq!(wait_lines(5), all);
    let offset = |o: i64| json!({"offsets": [{"partition": {"kafka_topic": topic, "kafka_partition": 0}, "offset": {"kafka_offset": o}}]});
    api.wait_offsets(&name, &offset(5));

    let path = format!("/connectors/{name}/offsets");
    api.expect_error(
        "DELETE sink offsets while running",
        &api.write.delete(&path),
        400,
        &not_stopped(&name),
    );

    api.stop(&name);
    let no_partition =
        json!({"offsets": [{"partition": {"kafka_topic": topic}, "offset": {"kafka_offset": 1}}]});
    api.expect_error(
        "PATCH sink offsets without kafka_partition",
        &api.write.patch_json(&path, &no_partition),
        400,
        "The partition for a sink connector offset must contain the keys 'kafka_topic' and 'kafka_partition'",
    );

    // Alter to offset 2: the resumed sink writes rec-2..rec-4 again.
    let altered = api.alter(&name, &offset(2));
    api.expect("PATCH sink offsets", &altered, 200);
    assert_eq!(altered.body, json!({"message": ALTERED}));
    api.wait_offsets(&name, &offset(2));
    api.resume(&name);
    assert_eq!(
        wait_lines(8)[5..],
        all[2..],
        "resumed at the altered offset"
    );
    api.wait_offsets(&name, &offset(5));

    // Reset: the group's offsets are gone and the resumed sink reads the topic from the beginning.
    api.stop(&name);
    let reset = api.reset(&name);
    api.expect("DELETE sink offsets", &reset, 200);
    assert_eq!(reset.body, json!({"message": RESET}));
    api.wait_offsets(&name, &json!({"offsets": []}));
    api.resume(&name);
    assert_eq!(
        wait_lines(13)[8..],
        all[..],
        "after a reset the topic is read from the start"
    );
}

/// PATCH config merges (200 with the connector info), a null value removes a key, an invalid result is a 400.
fn patch_config(api: &Api<'_>, dir: &Path) {
    let input = dir.join("patch-input.txt");
    write_lines(&input, &["x"]);
    let topic = unique_name("patch-cfg");
    create_topic(&topic, 1);
    let name = unique_name("patch-source");
    let file = input.display().to_string();
    api.create(
        &name,
        json!({"connector.class": "FileStreamSource", "tasks.max": "1", "file": file, "topic": topic, "batch.size": "50"}),
    );
    let path = format!("/connectors/{name}/config");
    let patch = json!({"batch.size": null, "tasks.max": 1, "topic": format!("{topic}-b")});
    let patched = api.settled("PATCH config", |w| w.patch_json(&path, &patch));
    api.expect("PATCH config", &patched, 200);
    let expected = json!({
        "connector.class": "FileStreamSource", "tasks.max": "1", "file": file, "topic": format!("{topic}-b"),
        "name": name,
    });
    assert_eq!(
        patched.body["name"],
        json!(name),
        "ConnectorInfo.name: {patched}"
    );
    assert_eq!(
        patched.body["type"],
        json!("source"),
        "ConnectorInfo.type: {patched}"
    );
    assert_eq!(
        patched.body["config"], expected,
        "ConnectorInfo.config: {patched}"
    );
    let stored = wait_until(LONG, || api.read.get(&path).body == expected);
    assert!(stored, "GET config after PATCH: {}", api.read.get(&path));

    let invalid = api.settled("PATCH config removing topic", |w| {
        w.patch_json(&path, &json!({"topic": null}))
    });
    api.expect("PATCH config removing a required key", &invalid, 400);
    let message = invalid.str("message").unwrap_or_default().to_owned();
    assert!(
        message.contains("topic"),
        "the 400 names the missing key: {invalid}"
    );
    assert_eq!(
        api.read.get(&path).body,
        expected,
        "a rejected PATCH changes nothing"
    );
}

fn temp_dir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("rest-offsets-")
        .tempdir()
        .expect("creating a temp dir")
}

#[test]
fn standalone_offsets_and_config_patch() {
    let dir = temp_dir();
    let worker = Worker::start_standalone(&[("offset.flush.interval.ms", "500")], &[]);
    let api = Api {
        read: worker.rest(),
        write: worker.rest(),
        workers: vec![&worker],
    };
    unknown_connector_is_404(&api);
    patch_config(&api, dir.path());
    source_offsets(&api, dir.path());
    sink_offsets(&api, dir.path());
}

#[test]
fn distributed_offsets_and_config_patch_through_either_worker() {
    let dir = temp_dir();
    let cluster = Cluster::new("offsets-group");
    let first = cluster.worker();
    let second = cluster.worker();
    // Writes go to both workers in turn across the scenarios, so some reach the non-leader and are forwarded.
    for (read, write) in [(&first, &second), (&second, &first)] {
        let api = Api {
            read: read.rest(),
            write: write.rest(),
            workers: vec![&first, &second],
        };
        unknown_connector_is_404(&api);
        patch_config(&api, dir.path());
    }
    let api = Api {
        read: first.rest(),
        write: second.rest(),
        workers: vec![&first, &second],
    };
    source_offsets(&api, dir.path());
    let api = Api {
        read: second.rest(),
        write: first.rest(),
        workers: vec![&first, &second],
    };
    sink_offsets(&api, dir.path());
}
