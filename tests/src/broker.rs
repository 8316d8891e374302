//! The test broker (tansu via tests/scripts/services.sh, once per process) and rdkafka topic/produce/consume helpers.

// tansu's ListOffsets LATEST is not exact (see TEST-INFRA.md), so nothing here trusts high watermarks: consumers
// read until they have what they expect, or until the topic has been idle for a while.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, ResourceSpecifier, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{Headers, Message};
use rdkafka::producer::{BaseProducer, BaseRecord, DeliveryResult, Producer, ProducerContext};
use rdkafka::{ClientContext, Offset, TopicPartitionList};

use crate::util::{services_up, unique_name, wait_until};

static BROKER: OnceLock<Result<String, String>> = OnceLock::new();

/// Installs and starts the test broker once per process (`tests/scripts/services.sh up broker`, idempotent and
/// safe across parallel test binaries) and returns its bootstrap address, `127.0.0.1:${CONNECT_BROKER_PORT:-9092}`.
/// With `CONNECT_BROKER_BOOTSTRAP=host:port` set, a broker started by other means is used as it is.
pub fn ensure_broker() -> String {
    match BROKER.get_or_init(start_broker) {
        Ok(bootstrap) => bootstrap.clone(),
        Err(e) => panic!("{e}"),
    }
}

fn start_broker() -> Result<String, String> {
    if let Some(bootstrap) = std::env::var("CONNECT_BROKER_BOOTSTRAP")
        .ok()
        .filter(|b| !b.trim().is_empty())
    {
        return Ok(bootstrap);
    }
    services_up(&["broker"])?;
    let port = std::env::var("CONNECT_BROKER_PORT").unwrap_or_else(|_| "9092".to_owned());
    Ok(format!("127.0.0.1:{port}"))
}

/// A client config pointing at the test broker (starts it if needed).
pub fn client_config() -> ClientConfig {
    let mut config = ClientConfig::new();
    config
        .set("bootstrap.servers", ensure_broker())
        .set("log_level", "4");
    config
}

fn block_on<F: Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("building a tokio runtime")
        .block_on(future)
}

/// Creates `name` with `partitions` partitions (replication 1) and waits until the broker's metadata shows
/// all of them. Panics if the topic already exists or creation fails.
#[track_caller]
pub fn create_topic(name: &str, partitions: i32) {
    if let Err(e) = try_create_topic(name, partitions) {
        panic!("{e}");
    }
}

/// [`create_topic`] returning the error instead of panicking (e.g. TopicAlreadyExists).
pub fn try_create_topic(name: &str, partitions: i32) -> Result<(), String> {
    let admin: AdminClient<DefaultClientContext> = client_config()
        .create()
        .map_err(|e| format!("creating admin client: {e}"))?;
    let topic = NewTopic::new(name, partitions, TopicReplication::Fixed(1));
    let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(30)));
    let results = block_on(admin.create_topics([&topic], &options))
        .map_err(|e| format!("CreateTopics {name} ({partitions} partitions) failed: {e}"))?;
    for result in results {
        if let Err((topic, code)) = result {
            return Err(format!(
                "CreateTopics {topic} ({partitions} partitions) failed: {code:?}"
            ));
        }
    }
    let mut seen = None;
    if wait_until(Duration::from_secs(15), || {
        seen = partition_count(name);
        seen == Some(partitions)
    }) {
        Ok(())
    } else {
        Err(format!(
            "topic {name} was created but metadata shows {seen:?} partitions, not {partitions}"
        ))
    }
}

/// The number of partitions of `topic` according to the broker's metadata, or None if it does not exist.
/// Uses a consumer handle, which never asks the broker to auto-create the topic.
pub fn partition_count(topic: &str) -> Option<i32> {
    let consumer: BaseConsumer = client_config()
        .set("allow.auto.create.topics", "false")
        .create()
        .unwrap_or_else(|e| panic!("creating consumer for metadata: {e}"));
    let metadata = consumer
        .fetch_metadata(Some(topic), Duration::from_secs(10))
        .ok()?;
    let t = metadata.topics().iter().find(|t| t.name() == topic)?;
    if t.error().is_some() || t.partitions().is_empty() {
        return None;
    }
    Some(t.partitions().len() as i32)
}

/// One config of `topic` as the broker describes it (DescribeConfigs), or None if it reports no value.
pub fn topic_config(topic: &str, key: &str) -> Option<String> {
    let admin: AdminClient<DefaultClientContext> = client_config()
        .create()
        .unwrap_or_else(|e| panic!("creating admin client: {e}"));
    let options = AdminOptions::new().request_timeout(Some(Duration::from_secs(10)));
    let described = block_on(admin.describe_configs([&ResourceSpecifier::Topic(topic)], &options));
    let resource = described.ok()?.pop()?.ok()?;
    resource.get(key).and_then(|entry| entry.value.clone())
}

/// Counts delivery failures of a producer and keeps the first error.
#[derive(Default)]
struct DeliveryTracker {
    delivered: AtomicUsize,
    failed: AtomicUsize,
    first_error: Mutex<Option<String>>,
}

impl ClientContext for DeliveryTracker {}

impl ProducerContext for DeliveryTracker {
    type DeliveryOpaque = ();

    fn delivery(&self, result: &DeliveryResult<'_>, _: ()) {
        match result {
            Ok(_) => {
                self.delivered.fetch_add(1, Ordering::Relaxed);
            }
            Err((error, _)) => {
                self.failed.fetch_add(1, Ordering::Relaxed);
                let mut first = self.first_error.lock().unwrap_or_else(|p| p.into_inner());
                first.get_or_insert_with(|| error.to_string());
            }
        }
    }
}

/// Produces every `(key, value)` to `topic` (partition chosen by key hash), waits for all acknowledgements,
/// and panics if any record was not delivered.
#[track_caller]
pub fn produce<K, V>(topic: &str, records: impl IntoIterator<Item = (K, V)>)
where
    K: AsRef<[u8]>,
    V: AsRef<[u8]>,
{
    let producer: BaseProducer<DeliveryTracker> = client_config()
        .set("linger.ms", "5")
        .set("message.timeout.ms", "30000")
        .create_with_context(DeliveryTracker::default())
        .unwrap_or_else(|e| panic!("creating producer: {e}"));
    let mut sent = 0usize;
    for (key, value) in records {
        let mut record = BaseRecord::to(topic)
            .key(key.as_ref())
            .payload(value.as_ref());
        loop {
            match producer.send(record) {
                Ok(()) => break,
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                    record = back;
                    producer.poll(Duration::from_millis(50));
                }
                Err((e, _)) => panic!("producing to {topic}: {e}"),
            }
        }
        sent += 1;
        producer.poll(Duration::ZERO);
    }
    producer
        .flush(Duration::from_secs(60))
        .unwrap_or_else(|e| panic!("flushing {sent} records to {topic}: {e}"));
    let context = producer.context();
    let failed = context.failed.load(Ordering::Relaxed);
    let delivered = context.delivered.load(Ordering::Relaxed);
    assert!(
        failed == 0 && delivered == sent,
        "producing to {topic}: {delivered} of {sent} delivered, {failed} failed, first error: {:?}",
        context
            .first_error
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    );
}

/// One consumed record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    pub partition: i32,
    pub offset: i64,
    pub key: Option<Vec<u8>>,
    pub value: Option<Vec<u8>>,
    /// Header names and (lossy UTF-8) values; a repeated name keeps its last value.
    pub headers: BTreeMap<String, String>,
}

impl Record {
    /// The value as (lossy) UTF-8; empty for a null value.
    pub fn value_str(&self) -> String {
        self.value
            .as_deref()
            .map(|v| String::from_utf8_lossy(v).into_owned())
            .unwrap_or_default()
    }

    /// The key as (lossy) UTF-8, if any.
    pub fn key_str(&self) -> Option<String> {
        self.key
            .as_deref()
            .map(|k| String::from_utf8_lossy(k).into_owned())
    }
}

/// Reads `topic` from the beginning of every partition (no consumer group commits) and returns what was read
/// once `done(records so far)` is true, or when `timeout` passes (whatever was read by then).
pub fn consume_until(
    topic: &str,
    timeout: Duration,
    mut done: impl FnMut(&[Record]) -> bool,
) -> Vec<Record> {
    let consumer = assigned_consumer(topic);
    let deadline = Instant::now() + timeout;
    let mut records = Vec::new();
    while !done(&records) && Instant::now() < deadline {
        poll_batch(&consumer, topic, &mut records, Duration::from_millis(100));
    }
    records
}

/// Like [`consume_until`] without keeping the records (for large volumes): `each` sees every record as soon as it
/// is read and returns true when done. Returns whether it was done before `timeout`.
pub fn consume_each(topic: &str, timeout: Duration, mut each: impl FnMut(Record) -> bool) -> bool {
    let consumer = assigned_consumer(topic);
    let deadline = Instant::now() + timeout;
    let mut batch = Vec::new();
    while Instant::now() < deadline {
        poll_batch(&consumer, topic, &mut batch, Duration::from_millis(100));
        for record in batch.drain(..) {
            if each(record) {
                return true;
            }
        }
    }
    false
}

/// Reads `topic` from the beginning until `n` records have arrived, keeping none of them; returns when the first and
/// the `n`th arrived (for throughput figures that leave out client start-up). Panics if they do not within `timeout`.
#[track_caller]
pub fn read_span(topic: &str, n: usize, timeout: Duration) -> (Instant, Instant) {
    let (mut first, mut count) = (None, 0);
    let done = consume_each(topic, timeout, |_| {
        first.get_or_insert_with(Instant::now);
        count += 1;
        count >= n
    });
    assert!(done, "{count} of {n} records in {topic} within {timeout:?}");
    (first.expect("a first record"), Instant::now())
}

/// Reads `topic` from the beginning until `n` records have arrived and returns how long records `warmup` to `n`
/// took: a consumer's first fetches (up to 50 MB) arrive before it hands out its first record, so timing from the
/// first record would leave part of a pre-filled topic untimed. Panics if they do not arrive within `timeout`.
#[track_caller]
pub fn read_time_after_warmup(topic: &str, n: usize, warmup: usize, timeout: Duration) -> Duration {
    let (mut from, mut count) = (None, 0);
    let all = consume_each(topic, timeout, |_| {
        count += 1;
        if count == warmup {
            from = Some(Instant::now());
        }
        count >= n
    });
    assert!(all, "{count} of {n} records in {topic} within {timeout:?}");
    from.expect("warm-up reached").elapsed()
}

/// Reads `topic` from the beginning until `n` records have arrived; panics (saying how many came) if they do not
/// within `timeout`. Returns exactly what was read, which may be more than `n` if more were in flight.
#[track_caller]
pub fn consume_n(topic: &str, n: usize, timeout: Duration) -> Vec<Record> {
    let records = consume_until(topic, timeout, |r| r.len() >= n);
    assert!(
        records.len() >= n,
        "expected {n} records in {topic} within {timeout:?}, got {}",
        records.len()
    );
    records
}

/// Reads `topic` from the beginning until no record has arrived for `idle` (the topic's current content).
pub fn consume_all(topic: &str, idle: Duration) -> Vec<Record> {
    let consumer = assigned_consumer(topic);
    let mut records = Vec::new();
    let mut last_progress = Instant::now();
    while last_progress.elapsed() < idle {
        let before = records.len();
        poll_batch(&consumer, topic, &mut records, Duration::from_millis(100));
        if records.len() > before {
            last_progress = Instant::now();
        }
    }
    records
}

/// The number of records in `topic` (see [`consume_all`]).
pub fn count_records(topic: &str, idle: Duration) -> usize {
    consume_all(topic, idle).len()
}

fn assigned_consumer(topic: &str) -> BaseConsumer {
    let partitions =
        partition_count(topic).unwrap_or_else(|| panic!("topic {topic} does not exist"));
    let consumer: BaseConsumer = client_config()
        .set("group.id", unique_name("e2e-reader"))
        .set("enable.auto.commit", "false")
        // tansu answers a fetch that found no data only when fetch.wait.max.ms has passed, even if records arrive
        // meanwhile: librdkafka's 500 ms would add up to half a second to every read (and to measured latencies).
        .set("fetch.wait.max.ms", "10")
        // The worker's own consumer default (worker/src/kafka): without it librdkafka pauses a full partition queue
        // for 1 s, and the raw baseline of the throughput measurements would be throttled where the worker is not.
        .set("fetch.queue.backoff.ms", "10")
        .set("allow.auto.create.topics", "false")
        .create()
        .unwrap_or_else(|e| panic!("creating consumer for {topic}: {e}"));
    let offsets: HashMap<(String, i32), Offset> = (0..partitions)
        .map(|p| ((topic.to_owned(), p), Offset::Beginning))
        .collect();
    let assignment = TopicPartitionList::from_topic_map(&offsets)
        .unwrap_or_else(|e| panic!("building assignment for {topic}: {e}"));
    consumer
        .assign(&assignment)
        .unwrap_or_else(|e| panic!("assigning {topic}: {e}"));
    consumer
}

/// Polls one message (waiting up to `wait`) and then whatever else is immediately available.
fn poll_batch(consumer: &BaseConsumer, topic: &str, records: &mut Vec<Record>, wait: Duration) {
    let mut timeout = wait;
    while let Some(result) = consumer.poll(timeout) {
        let message = result.unwrap_or_else(|e| panic!("consuming {topic}: {e}"));
        records.push(Record {
            partition: message.partition(),
            offset: message.offset(),
            key: message.key().map(<[u8]>::to_vec),
            value: message.payload().map(<[u8]>::to_vec),
            headers: message
                .headers()
                .map(|headers| {
                    headers
                        .iter()
                        .map(|h| {
                            let value = String::from_utf8_lossy(h.value.unwrap_or_default());
                            (h.key.to_string(), value.into_owned())
                        })
                        .collect()
                })
                .unwrap_or_default(),
        });
        timeout = Duration::ZERO;
    }
}
