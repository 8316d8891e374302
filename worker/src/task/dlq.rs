//! The sink dead letter queue (`errors.deadletterqueue.*`): failed records go to a Kafka topic with their original
//! key, value and headers, plus Kafka's `__connect.errors.*` context headers when enabled.

use std::time::Duration;

use connect_api::{Config, ConnectError};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{BaseRecord, DefaultProducerContext, ThreadedProducer};
use tracing::{info, warn};

use super::errors::Stage;
use super::TaskId;
use crate::config::worker::WorkerConfig;
use crate::kafka;
use crate::kafka::topics::{create_topic, Created, TopicSettings};

pub const DLQ_TOPIC: &str = "errors.deadletterqueue.topic.name";
pub const DLQ_REPLICATION_FACTOR: &str = "errors.deadletterqueue.topic.replication.factor";
pub const DLQ_CONTEXT_HEADERS: &str = "errors.deadletterqueue.context.headers.enable";

/// A consumed record exactly as it was read from Kafka.
#[derive(Clone, Debug, Default)]
pub struct RawRecord {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    pub timestamp: Option<i64>,
    pub key: Option<Vec<u8>>,
    pub value: Option<Vec<u8>>,
    pub headers: Vec<(String, Option<Vec<u8>>)>,
}

/// What failed, for the context headers.
pub struct Failure<'a> {
    pub stage: Stage,
    /// The class that was executing (converter, transformation or connector class).
    pub class_name: &'a str,
    pub error: &'a ConnectError,
}

pub struct DeadLetterQueue {
    producer: ThreadedProducer<DefaultProducerContext>,
    topic: String,
    context_headers: bool,
    task: TaskId,
}

impl DeadLetterQueue {
    /// The connector's DLQ, or None when `errors.deadletterqueue.topic.name` is empty.
    pub fn create(
        worker: &WorkerConfig,
        connector: &Config,
        task: &TaskId,
    ) -> Result<Option<Self>, ConnectError> {
        let topic = connector
            .get(DLQ_TOPIC)
            .map(|t| t.trim().to_string())
            .unwrap_or_default();
        if topic.is_empty() {
            return Ok(None);
        }
        let replication = connector
            .get(DLQ_REPLICATION_FACTOR)
            .and_then(|r| r.trim().parse().ok())
            .unwrap_or(3);
        // One partition, the configured replication factor, as Kafka creates it; failing to create it is logged and
        // left to the producer, which fails the records if the topic is missing.
        let settings = TopicSettings {
            partitions: 1,
            replication_factor: replication,
            configs: Default::default(),
        };
        match create_topic(&kafka::admin_config(worker, connector), &topic, &settings) {
            Ok(Created::New) => info!("Created dead letter queue topic {topic}"),
            Ok(Created::Existed) => info!("Dead letter queue topic {topic} exists"),
            Err(e) => warn!("Could not create dead letter queue topic {topic}: {e}"),
        }
        let config = kafka::producer_config(
            worker,
            connector,
            &format!("connector-dlq-producer-{}-{}", task.connector, task.task),
        );
        let producer = config.create().map_err(|e| {
            ConnectError::connect(format!(
                "Failed to create the dead letter queue producer: {e}"
            ))
        })?;
        let context_headers = connector
            .get(DLQ_CONTEXT_HEADERS)
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
        Ok(Some(DeadLetterQueue {
            producer,
            topic,
            context_headers,
            task: task.clone(),
        }))
    }

    /// Sends the original record with the context headers; waits while the producer queue is full. False when the
    /// producer refused it.
    pub fn send(&self, original: &RawRecord, failure: &Failure<'_>) -> bool {
        let mut headers = OwnedHeaders::new_with_capacity(original.headers.len() + 10);
        for (k, v) in &original.headers {
            headers = headers.insert(Header {
                key: k,
                value: v.as_deref(),
            });
        }
        if self.context_headers {
            let context = [
                ("__connect.errors.topic", original.topic.clone()),
                ("__connect.errors.partition", original.partition.to_string()),
                ("__connect.errors.offset", original.offset.to_string()),
                (
                    "__connect.errors.connector.name",
                    self.task.connector.clone(),
                ),
                ("__connect.errors.task.id", self.task.task.to_string()),
                ("__connect.errors.stage", failure.stage.name().to_string()),
                (
                    "__connect.errors.class.name",
                    failure.class_name.to_string(),
                ),
                (
                    "__connect.errors.exception.class.name",
                    failure.error.class_name().to_string(),
                ),
                (
                    "__connect.errors.exception.message",
                    failure.error.message().to_string(),
                ),
                (
                    "__connect.errors.exception.stacktrace",
                    failure.error.trace(),
                ),
            ];
            for (k, v) in &context {
                headers = headers.insert(Header {
                    key: k,
                    value: Some(v.as_bytes()),
                });
            }
        }
        let mut record = BaseRecord::to(&self.topic).headers(headers);
        if let Some(k) = &original.key {
            record = record.key(k);
        }
        if let Some(v) = &original.value {
            record = record.payload(v);
        }
        if let Some(ts) = original.timestamp {
            record = record.timestamp(ts);
        }
        loop {
            match self.producer.send(record) {
                Ok(()) => return true,
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                    record = back;
                    std::thread::sleep(Duration::from_millis(10));
                }
                Err((e, _)) => {
                    warn!(
                        "Task {} could not send a record to the dead letter queue {}: {e}",
                        self.task, self.topic
                    );
                    return false;
                }
            }
        }
    }

    /// Waits until everything sent so far is acknowledged (before the task's offsets are committed).
    pub fn flush(&self, timeout: Duration) -> Result<(), ConnectError> {
        crate::kafka::wait_delivered(&self.producer, timeout).map_err(|e| {
            ConnectError::connect(format!(
                "Dead letter queue {} did not acknowledge in time: {e}",
                self.topic
            ))
        })
    }
}
