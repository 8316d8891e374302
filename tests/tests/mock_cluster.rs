//! Distributed workers on librdkafka's mock cluster, hosted by this test process: the broker-down and coordinator
//! moves the single-broker test broker cannot stage (issue 5 item 8), end to end through worker processes.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::{Duration, Instant};

use connect_tests::{
    append_lines, numbered_lines, unique_name, wait_until, write_lines, Cluster, Rest, Worker,
};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::mocking::{MockCluster, MockCoordinator};
use rdkafka::types::RDKafkaApiKey;
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use serde_json::{json, Value};

type Mock = MockCluster<'static, rdkafka::producer::DefaultProducerContext>;

const LONG: Duration = Duration::from_secs(90);
/// The broker that leads every topic partition; the coordinator starts elsewhere so that taking its broker down
/// leaves the data in place.
const DATA_BROKER: i32 = 3;

/// Three mock brokers with the group's internal topics (and `topics`) led by [`DATA_BROKER`] and the group's
/// coordinator on broker 1. The mock advertises newer group API versions than it parses (see the group member's
/// mock tests); capping them makes the worker negotiate the versions the mock reads.
fn mock_cluster(cluster: &Cluster, topics: &[&str]) -> Mock {
    let mock = MockCluster::new(3).expect("mock cluster");
    for (api, max) in [
        (RDKafkaApiKey::JoinGroup, 5),
        (RDKafkaApiKey::SyncGroup, 3),
        (RDKafkaApiKey::LeaveGroup, 2),
    ] {
        mock.apiversion(api, Some(0), Some(max))
            .expect("cap a group API version");
    }
    let mut partitioned = vec![
        (cluster.configs.as_str(), 1),
        (cluster.offsets.as_str(), 5),
        (cluster.statuses.as_str(), 2),
    ];
    partitioned.extend(topics.iter().map(|t| (*t, 1)));
    for (topic, partitions) in partitioned {
        mock.create_topic(topic, partitions, 1)
            .unwrap_or_else(|e| panic!("creating {topic}: {e}"));
        for p in 0..partitions {
            mock.partition_leader(topic, p, Some(DATA_BROKER))
                .unwrap_or_else(|e| panic!("leader of {topic}-{p}: {e}"));
        }
    }
    mock.coordinator(MockCoordinator::Group(cluster.group.clone()), 1)
        .expect("pin the coordinator");
    mock
}

fn worker_on(mock: &Mock, cluster: &Cluster) -> Worker {
    cluster.worker_with(&[("bootstrap.servers", mock.bootstrap_servers().as_str())])
}

/// Every value in partition 0 of `topic` on the mock cluster: read until `n` have arrived (panics if they do not),
/// then for one more second, so that a record written twice shows.
fn read_values(mock: &Mock, topic: &str, n: usize) -> Vec<String> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", mock.bootstrap_servers())
        .set("group.id", unique_name("mock-reader"))
        .set("enable.auto.commit", "false")
        .create()
        .expect("consumer");
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition_offset(topic, 0, Offset::Beginning)
        .expect("partition");
    consumer.assign(&tpl).expect("assign");
    let (mut values, deadline) = (Vec::new(), Instant::now() + LONG);
    while values.len() < n && Instant::now() < deadline {
        if let Some(Ok(m)) = consumer.poll(Duration::from_millis(100)) {
            values.push(String::from_utf8_lossy(m.payload().unwrap_or_default()).into_owned());
        }
    }
    assert!(
        values.len() >= n,
        "{} of {n} records in {topic}",
        values.len()
    );
    let more = Instant::now() + Duration::from_secs(1);
    while Instant::now() < more {
        if let Some(Ok(m)) = consumer.poll(Duration::from_millis(100)) {
            values.push(String::from_utf8_lossy(m.payload().unwrap_or_default()).into_owned());
        }
    }
    values
}

/// Whether the connector and its one task are RUNNING, as `rest` reports them.
fn running(rest: &Rest, name: &str) -> bool {
    let s: Value = rest.get(&format!("/connectors/{name}/status")).body;
    s["connector"]["state"] == "RUNNING"
        && s["tasks"]
            .as_array()
            .is_some_and(|t| t.len() == 1 && t[0]["state"] == "RUNNING")
}

#[track_caller]
fn create_source(rest: &Rest, name: &str, file: &Path, topic: &str) {
    let config = json!({"connector.class": "FileStreamSource", "file": file.display().to_string(), "topic": topic});
    rest.create_connector(name, config);
}

/// The coordinator's broker goes down and the coordinator moves: the running worker finds the new coordinator and
/// keeps its connector running, a second worker joins the group through the new coordinator, writes forwarded to
/// the leader still land, and no line of either pipeline is lost or doubled.
#[test]
fn workers_follow_the_coordinator_when_its_broker_goes_down() {
    let cluster = Cluster::new("mock-group");
    let (first_topic, second_topic) = (unique_name("mock-src"), unique_name("mock-src"));
    let mock = mock_cluster(&cluster, &[&first_topic, &second_topic]);
    let data = tempfile::tempdir().expect("temp dir");
    let (first_input, second_input) = (data.path().join("a.txt"), data.path().join("b.txt"));
    write_lines(&first_input, &numbered_lines(1..=20));
    write_lines(&second_input, &numbered_lines(1..=10));

    let started = Instant::now();
    let a = worker_on(&mock, &cluster);
    println!("worker A answered after {:?}", started.elapsed());
    create_source(&a.rest(), "first", &first_input, &first_topic);
    assert!(
        wait_until(LONG, || running(&a.rest(), "first")),
        "first never ran\n{}",
        a.log_tail_block()
    );
    assert_eq!(read_values(&mock, &first_topic, 20), numbered_lines(1..=20));

    mock.coordinator(MockCoordinator::Group(cluster.group.clone()), 2)
        .expect("move the coordinator");
    mock.broker_down(1).expect("broker 1 down");

    let started = Instant::now();
    let b = worker_on(&mock, &cluster);
    println!(
        "worker B (one bootstrap broker down) answered after {:?}",
        started.elapsed()
    );
    // B is a member once it knows the connector and reports its status: the group's assignment reached it.
    assert!(
        wait_until(LONG, || running(&b.rest(), "first")),
        "the joining worker never saw first running\nA:\n{}\nB:\n{}",
        a.log_tail_block(),
        b.log_tail_block()
    );
    create_source(&b.rest(), "second", &second_input, &second_topic);
    assert!(
        wait_until(LONG, || running(&a.rest(), "second")
            && running(&a.rest(), "first")),
        "both connectors never ran after the move\nA:\n{}\nB:\n{}",
        a.log_tail_block(),
        b.log_tail_block()
    );
    append_lines(&first_input, &numbered_lines(21..=40));
    assert_eq!(
        read_values(&mock, &second_topic, 10),
        numbered_lines(1..=10)
    );
    assert_eq!(read_values(&mock, &first_topic, 40), numbered_lines(1..=40));

    // The group spread the work over both members: B got its share through the new coordinator.
    let ids: BTreeSet<String> = [&a, &b]
        .iter()
        .map(|w| format!("127.0.0.1:{}", w.port()))
        .collect();
    let mut holders = BTreeSet::new();
    let spread = wait_until(LONG, || {
        holders = ["first", "second"]
            .iter()
            .flat_map(|name| {
                let s = a.rest().get(&format!("/connectors/{name}/status")).body;
                let mut ids = vec![s["connector"]["worker_id"].clone()];
                ids.extend(
                    s["tasks"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|t| t["worker_id"].clone()),
                );
                ids
            })
            .filter_map(|id| id.as_str().map(str::to_string))
            .collect();
        holders == ids
    });
    assert!(
        spread,
        "work held by {holders:?}, workers {ids:?}\nB:\n{}",
        b.log_tail_block()
    );
}
