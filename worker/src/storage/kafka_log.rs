//! A compacted internal topic used as a log (Kafka's `KafkaBasedLog`): created at startup when missing, read from
//! the beginning to the end, and written synchronously.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use rdkafka::admin::{AdminClient, AdminOptions, ResourceSpecifier};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::FromClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::producer::{BaseRecord, DefaultProducerContext, Producer, ThreadedProducer};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use tracing::{info, warn};

use crate::kafka::topics::{create_topic, Created, TopicSettings};
use crate::kafka::{is_fatal_consume_error, FETCH_QUEUE_BACKOFF};

/// One record read from the log.
pub struct LogRecord<'a> {
    pub partition: i32,
    pub offset: i64,
    pub key: Option<&'a [u8]>,
    pub value: Option<&'a [u8]>,
}

/// How to create the topic when it is missing.
#[derive(Clone, Debug)]
pub struct TopicSpec {
    pub name: String,
    pub partitions: i32,
    /// -1 = the broker default.
    pub replication_factor: i32,
    /// Extra topic configs; `cleanup.policy=compact` is always set.
    pub configs: BTreeMap<String, String>,
}

pub struct KafkaLog {
    topic: String,
    producer: ThreadedProducer<DefaultProducerContext>,
    consumer: BaseConsumer,
    partitions: Vec<i32>,
}

fn admin_call<T>(f: impl std::future::Future<Output = T>) -> Result<T, String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    Ok(rt.block_on(f))
}

/// Whether the cluster's metadata lists `topic` with partitions; the request cannot auto-create it.
fn topic_exists(client: &ClientConfig, topic: &str) -> bool {
    let mut config = client.clone();
    config
        .remove("partitioner")
        .set("allow.auto.create.topics", "false");
    let Ok(consumer) = config.create::<BaseConsumer>() else {
        return false;
    };
    consumer
        .fetch_metadata(Some(topic), Duration::from_secs(10))
        .is_ok_and(|m| {
            m.topics()
                .iter()
                .any(|t| t.name() == topic && t.error().is_none() && !t.partitions().is_empty())
        })
}

/// Creates the topic if missing; an existing topic must be compacted (Kafka refuses to start otherwise). Existence is
/// checked first, so that a worker restart needs no CreateTopics call (clusters that refuse it to the worker's
/// principal, or do not implement it, like librdkafka's mock cluster, work once the topics exist).
pub fn ensure_topic(client: &ClientConfig, spec: &TopicSpec) -> Result<(), String> {
    if topic_exists(client, &spec.name) {
        return check_compacted(client, &spec.name);
    }
    let mut configs = spec.configs.clone();
    configs.insert("cleanup.policy".into(), "compact".into());
    let settings = TopicSettings {
        partitions: spec.partitions,
        replication_factor: spec.replication_factor,
        configs,
    };
    match create_topic(client, &spec.name, &settings).map_err(|e| e.to_string())? {
        Created::New => {
            info!("Created internal topic {}", spec.name);
            Ok(())
        }
        Created::Existed => check_compacted(client, &spec.name),
    }
}

/// How long the compaction check waits for the cluster's answer. librdkafka sends DescribeConfigs to the controller;
/// a cluster that names no reachable controller (librdkafka's mock cluster reports broker 0, which does not exist)
/// would otherwise hold the worker's start-up for the full 60 s request timeout, once per internal topic.
const COMPACTION_CHECK_TIMEOUT: Duration = Duration::from_secs(10);

/// Set once a compaction check got no answer: the cluster is the same for every internal topic, so the others skip
/// the check instead of each waiting out the timeout.
static COMPACTION_CHECK_UNANSWERED: AtomicBool = AtomicBool::new(false);

/// An existing internal topic must have `cleanup.policy=compact`. A cluster that does not answer DescribeConfigs
/// (unsupported, not authorized, timed out) is trusted with a warning, as Kafka's TopicAdmin skips the check when
/// the brokers do not support it.
fn check_compacted(client: &ClientConfig, topic: &str) -> Result<(), String> {
    if COMPACTION_CHECK_UNANSWERED.load(Ordering::Relaxed) {
        return Ok(());
    }
    let admin =
        AdminClient::<DefaultClientContext>::from_config(client).map_err(|e| e.to_string())?;
    let options = AdminOptions::new()
        .operation_timeout(Some(COMPACTION_CHECK_TIMEOUT))
        .request_timeout(Some(COMPACTION_CHECK_TIMEOUT));
    let described =
        admin_call(admin.describe_configs([&ResourceSpecifier::Topic(topic)], &options))?;
    let policy = match described.map(|mut rs| rs.pop()) {
        Ok(Some(Ok(resource))) => resource.get("cleanup.policy").and_then(|e| e.value.clone()),
        Ok(Some(Err(code))) => {
            warn!("Could not verify that internal topic '{topic}' is compacted: {code}");
            None
        }
        Ok(None) => None,
        Err(e) => {
            warn!(
                "Could not verify that internal topic '{topic}' is compacted, the cluster did not answer \
                 DescribeConfigs: {e}; skipping the check for the other internal topics"
            );
            COMPACTION_CHECK_UNANSWERED.store(true, Ordering::Relaxed);
            None
        }
    };
    // Brokers that report no value (some test brokers list only explicit configs) are trusted.
    match policy.filter(|p| p != "compact") {
        Some(p) => Err(format!(
            "Topic '{topic}' supplied via the internal topic configuration is required to have 'cleanup.policy=compact', but found '{p}'"
        )),
        None => Ok(()),
    }
}

impl KafkaLog {
    /// Opens the log over every partition of `topic` (producer-only settings such as `partitioner` in `client`
    /// apply to its producer).
    pub fn open(client: &ClientConfig, topic: &str, client_id: &str) -> Result<KafkaLog, String> {
        let mut producer_config = client.clone();
        producer_config
            .remove("isolation.level")
            .set("client.id", format!("{client_id}-producer"))
            .set("enable.idempotence", "false")
            .set("acks", "all");
        let producer: ThreadedProducer<DefaultProducerContext> =
            producer_config.create().map_err(|e| e.to_string())?;
        let mut consumer_config = client.clone();
        consumer_config
            .remove("partitioner")
            .set("client.id", format!("{client_id}-consumer"))
            .set("group.id", format!("{client_id}-unused"))
            .set("enable.auto.commit", "false")
            .set("enable.partition.eof", "false");
        if consumer_config.get(FETCH_QUEUE_BACKOFF.0).is_none() {
            consumer_config.set(FETCH_QUEUE_BACKOFF.0, FETCH_QUEUE_BACKOFF.1);
        }
        let consumer: BaseConsumer = consumer_config.create().map_err(|e| e.to_string())?;
        let metadata = consumer
            .fetch_metadata(Some(topic), Duration::from_secs(30))
            .map_err(|e| e.to_string())?;
        let partitions: Vec<i32> = metadata
            .topics()
            .iter()
            .filter(|t| t.name() == topic)
            .flat_map(|t| t.partitions().iter().map(|p| p.id()))
            .collect();
        if partitions.is_empty() {
            return Err(format!("internal topic {topic} has no partitions"));
        }
        let mut tpl = TopicPartitionList::new();
        for p in &partitions {
            tpl.add_partition_offset(topic, *p, Offset::Beginning)
                .map_err(|e| e.to_string())?;
        }
        consumer.assign(&tpl).map_err(|e| e.to_string())?;
        Ok(KafkaLog {
            topic: topic.to_string(),
            producer,
            consumer,
            partitions,
        })
    }

    pub fn partition_count(&self) -> usize {
        self.partitions.len()
    }

    /// Writes one record and waits for the broker's acknowledgement.
    pub fn send(
        &self,
        key: &str,
        value: Option<&[u8]>,
        partition: Option<i32>,
    ) -> Result<(), String> {
        let mut record: BaseRecord<'_, str, [u8]> = BaseRecord::to(&self.topic).key(key);
        if let Some(v) = value {
            record = record.payload(v);
        }
        if let Some(p) = partition {
            record = record.partition(p);
        }
        self.producer.send(record).map_err(|(e, _)| e.to_string())?;
        crate::kafka::wait_delivered(&self.producer, Duration::from_secs(30))
    }

    /// Writes several records (each to the partition the producer's partitioner picks for its key) and waits for
    /// the broker's acknowledgement of all of them.
    pub fn send_all(&self, records: &[(String, Option<Vec<u8>>)]) -> Result<(), String> {
        for (key, value) in records {
            let mut record: BaseRecord<'_, str, [u8]> = BaseRecord::to(&self.topic).key(key);
            if let Some(v) = value {
                record = record.payload(v);
            }
            self.producer.send(record).map_err(|(e, _)| e.to_string())?;
        }
        crate::kafka::wait_delivered(&self.producer, Duration::from_secs(30))
    }

    /// Hands every record that can be read within `timeout` to `apply` (background readers use this in a loop).
    pub fn poll(
        &self,
        timeout: Duration,
        mut apply: impl FnMut(LogRecord<'_>),
    ) -> Result<(), String> {
        // Only the first poll waits: after a record or a transient error, the turn ends at the first empty poll.
        let mut wait = timeout;
        while let Some(m) = self.consumer.poll(wait) {
            wait = Duration::ZERO;
            match m {
                Ok(m) => apply(LogRecord {
                    partition: m.partition(),
                    offset: m.offset(),
                    key: m.key(),
                    value: m.payload(),
                }),
                Err(e) if is_fatal_consume_error(&e) => return Err(e.to_string()),
                Err(e) => warn!("Reading {}: {e} (retried)", self.topic),
            }
        }
        Ok(())
    }

    /// Reads everything up to the current end of every partition, handing each record to `apply`.
    pub fn read_to_end(
        &self,
        timeout: Duration,
        mut apply: impl FnMut(LogRecord<'_>),
    ) -> Result<(), String> {
        let deadline = Instant::now() + timeout;
        let mut ends = BTreeMap::new();
        for p in &self.partitions {
            let (_, high) = self
                .consumer
                .fetch_watermarks(&self.topic, *p, timeout)
                .map_err(|e| e.to_string())?;
            ends.insert(*p, high);
        }
        let position = |consumer: &BaseConsumer, p: i32| -> i64 {
            consumer
                .position()
                .ok()
                .and_then(|tpl| {
                    tpl.find_partition(&self.topic, p)
                        .and_then(|e| e.offset().to_raw())
                })
                .unwrap_or(0)
        };
        let mut done: BTreeMap<i32, bool> = ends
            .iter()
            .map(|(p, end)| (*p, *end <= 0 || position(&self.consumer, *p) >= *end))
            .collect();
        while done.values().any(|d| !d) {
            if Instant::now() >= deadline {
                return Err(format!(
                    "timed out reading internal topic {} to its end",
                    self.topic
                ));
            }
            match self.consumer.poll(Duration::from_millis(100)) {
                Some(Ok(m)) => {
                    apply(LogRecord {
                        partition: m.partition(),
                        offset: m.offset(),
                        key: m.key(),
                        value: m.payload(),
                    });
                    if m.offset() + 1 >= ends[&m.partition()] {
                        done.insert(m.partition(), true);
                    }
                }
                Some(Err(e)) if is_fatal_consume_error(&e) => return Err(e.to_string()),
                Some(Err(e)) => warn!("Reading {} to its end: {e} (retried)", self.topic),
                None => {
                    for (p, end) in &ends {
                        if position(&self.consumer, *p) >= *end {
                            done.insert(*p, true);
                        }
                    }
                }
            }
        }
        // Records already fetched past the end offsets are handed over too: brokers that under-report the end of a
        // multi-record batch (the test broker does) would otherwise leave the batch's tail for the next read.
        self.poll(Duration::ZERO, apply)
    }
}

/// How long a transactional writer waits for the coordinator to initialize or commit.
const TRANSACTION_TIMEOUT: Duration = Duration::from_secs(30);

/// A transactional producer over one topic (Kafka's fencable config topic writer): each batch of records is one
/// transaction, and opening it fences out an older producer with the same transactional id, whose later commits fail.
pub struct TransactionalWriter {
    topic: String,
    producer: ThreadedProducer<DefaultProducerContext>,
}

impl TransactionalWriter {
    /// Creates the producer with `transactional_id` and initializes its transactions (the fencing step).
    pub fn open(
        client: &ClientConfig,
        topic: &str,
        transactional_id: &str,
    ) -> Result<TransactionalWriter, String> {
        let mut config = client.clone();
        config
            .remove("isolation.level")
            .set("client.id", format!("{transactional_id}-leader"))
            .set("transactional.id", transactional_id)
            .set("enable.idempotence", "true")
            .set("acks", "all");
        let producer: ThreadedProducer<DefaultProducerContext> =
            config.create().map_err(|e| e.to_string())?;
        producer
            .init_transactions(TRANSACTION_TIMEOUT)
            .map_err(|e| format!("initializing transactional id {transactional_id}: {e}"))?;
        Ok(TransactionalWriter {
            topic: topic.to_string(),
            producer,
        })
    }

    /// Writes `records` to `partition` in one transaction; on failure the transaction is aborted (a fenced producer
    /// cannot abort either; its records are then never committed).
    pub fn send_all(
        &self,
        records: &[(String, Option<Vec<u8>>)],
        partition: i32,
    ) -> Result<(), String> {
        self.producer
            .begin_transaction()
            .map_err(|e| e.to_string())?;
        let sent = records.iter().try_for_each(|(key, value)| {
            let mut record: BaseRecord<'_, str, [u8]> = BaseRecord::to(&self.topic)
                .key(key.as_str())
                .partition(partition);
            if let Some(v) = value {
                record = record.payload(v);
            }
            self.producer.send(record).map_err(|(e, _)| e.to_string())
        });
        let committed = sent.and_then(|()| {
            self.producer
                .commit_transaction(TRANSACTION_TIMEOUT)
                .map_err(|e| e.to_string())
        });
        if committed.is_err() {
            let _ = self.producer.abort_transaction(TRANSACTION_TIMEOUT);
        }
        committed
    }
}
