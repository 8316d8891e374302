//! Checks the harness itself against the real test broker: topic creation, produce and consume, unique names.

use std::collections::BTreeSet;
use std::time::Duration;

use connect_tests::{
    consume_all, consume_n, create_topic, partition_count, produce, try_create_topic, unique_name,
};

#[test]
fn broker_roundtrip() {
    let topic = unique_name("harness-roundtrip");
    assert_eq!(
        partition_count(&topic),
        None,
        "fresh topic {topic} must not exist yet"
    );
    create_topic(&topic, 3);
    assert_eq!(partition_count(&topic), Some(3));

    let sent: Vec<(String, String)> = (0..1000)
        .map(|i| (format!("key-{i:04}"), format!("value-{i:04}")))
        .collect();
    produce(
        &topic,
        sent.iter().map(|(k, v)| (k.as_bytes(), v.as_bytes())),
    );

    let received = consume_n(&topic, 1000, Duration::from_secs(30));
    let got: BTreeSet<(String, String)> = received
        .iter()
        .map(|r| (r.key_str().unwrap_or_default(), r.value_str()))
        .collect();
    let want: BTreeSet<(String, String)> = sent.iter().cloned().collect();
    assert_eq!(
        received.len(),
        1000,
        "exactly 1000 records expected, got {}",
        received.len()
    );
    assert_eq!(got, want, "consumed records differ from produced ones");
    let partitions: BTreeSet<i32> = received.iter().map(|r| r.partition).collect();
    assert_eq!(
        partitions,
        BTreeSet::from([0, 1, 2]),
        "keyed records should spread over all 3 partitions"
    );
    // Offsets within each partition are dense from 0 (one producer, no retries).
    for p in 0..3 {
        let mut offsets: Vec<i64> = received
            .iter()
            .filter(|r| r.partition == p)
            .map(|r| r.offset)
            .collect();
        offsets.sort_unstable();
        let expected: Vec<i64> = (0..offsets.len() as i64).collect();
        assert_eq!(offsets, expected, "partition {p} offsets are not 0..n");
    }

    // Reading the whole topic again (idle-based, no watermarks) sees the same 1000 records, no more.
    assert_eq!(consume_all(&topic, Duration::from_secs(2)).len(), 1000);
}

#[test]
fn creating_an_existing_topic_fails() {
    let topic = unique_name("harness-dup");
    create_topic(&topic, 1);
    let error = try_create_topic(&topic, 1).expect_err("creating an existing topic must fail");
    assert!(
        error.contains("TopicAlreadyExists"),
        "unexpected error: {error}"
    );
}

#[test]
fn unique_names_differ() {
    let names: BTreeSet<String> = (0..1000).map(|_| unique_name("t")).collect();
    assert_eq!(names.len(), 1000);
}
