//! The sink task loop on its own thread: consume, convert, transform, `put`; every `offset.flush.interval.ms` (or
//! on request) `preCommit` decides which offsets the consumer group commits.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use connect_api::record::TimestampType;
use connect_api::sink::PartitionOffsets;
use connect_api::{
    Config, ConnectError, ConnectRecord, SinkRecord, SinkTask, SinkTaskContext, TopicPartition,
};
use connect_transforms::TransformChain;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer, ConsumerContext, Rebalance};
use rdkafka::message::{BorrowedMessage, Headers, Message};
use rdkafka::{ClientConfig, ClientContext, Offset, Timestamp, TopicPartitionList};
use tracing::{error, info, warn};

use super::convert::RecordConverters;
use super::dlq::{DeadLetterQueue, Failure, RawRecord};
use super::errors::{ErrorPolicy, Stage};
use super::{State, StatusBoard, TaskControl, TaskHandle, TaskId};
use crate::kafka::is_fatal_consume_error;
use crate::metrics::TaskMetrics;

/// Everything a sink task thread needs.
pub struct SinkTaskSetup {
    pub id: TaskId,
    pub task: Box<dyn SinkTask>,
    pub task_config: Config,
    pub converters: RecordConverters,
    pub transforms: TransformChain,
    pub consumer: ClientConfig,
    pub topics: Vec<String>,
    pub topics_regex: Option<String>,
    pub status: Arc<StatusBoard>,
    pub policy: ErrorPolicy,
    pub flush_interval: Duration,
    pub max_poll_records: usize,
    pub dlq: Option<DeadLetterQueue>,
    /// The connector class, reported as the failing class for `put` errors.
    pub connector_class: String,
    pub metrics: Arc<TaskMetrics>,
}

enum Assignment {
    Assigned(Vec<TopicPartition>),
    Revoked(Vec<TopicPartition>),
}

/// Rebalance events from librdkafka, handled by the task thread after each poll.
#[derive(Default)]
struct Rebalances(Mutex<Vec<Assignment>>);

fn partitions(tpl: &TopicPartitionList) -> Vec<TopicPartition> {
    tpl.elements()
        .iter()
        .map(|e| TopicPartition::new(e.topic(), e.partition()))
        .collect()
}

impl ClientContext for Rebalances {}

impl ConsumerContext for Rebalances {
    fn post_rebalance(&self, _consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        let event = match rebalance {
            Rebalance::Assign(tpl) => Assignment::Assigned(partitions(tpl)),
            Rebalance::Revoke(tpl) => Assignment::Revoked(partitions(tpl)),
            Rebalance::Error(e) => {
                warn!("consumer rebalance error: {e}");
                return;
            }
        };
        self.0.lock().unwrap_or_else(|p| p.into_inner()).push(event);
    }
}

/// What the plugin asks through its `SinkTaskContext`, applied by the task thread between `put` calls.
#[derive(Default)]
struct SinkRequests {
    assignment: Mutex<Vec<TopicPartition>>,
    rewinds: Mutex<Vec<(TopicPartition, i64)>>,
    pauses: Mutex<Vec<(TopicPartition, bool)>>,
    commit_requested: AtomicBool,
    retry_timeout_ms: AtomicI64,
    policy: ErrorPolicy,
    task: String,
    has_dlq: bool,
    /// Records the task reported as bad and the policy tolerated; sent to the DLQ after `put` returns.
    reported: Mutex<Vec<(SinkRecord, ConnectError)>>,
}

struct SinkContext(Arc<SinkRequests>);

impl SinkTaskContext for SinkContext {
    fn offset(&self, partition: &TopicPartition, offset: i64) {
        self.0
            .rewinds
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((partition.clone(), offset));
    }
    fn timeout(&self, ms: i64) {
        self.0.retry_timeout_ms.store(ms, Ordering::Relaxed);
    }
    fn assignment(&self) -> Vec<TopicPartition> {
        self.0
            .assignment
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
    fn pause(&self, partitions: &[TopicPartition]) {
        let mut p = self.0.pauses.lock().unwrap_or_else(|p| p.into_inner());
        p.extend(partitions.iter().map(|tp| (tp.clone(), true)));
    }
    fn resume(&self, partitions: &[TopicPartition]) {
        let mut p = self.0.pauses.lock().unwrap_or_else(|p| p.into_inner());
        p.extend(partitions.iter().map(|tp| (tp.clone(), false)));
    }
    fn request_commit(&self) {
        self.0.commit_requested.store(true, Ordering::Relaxed);
    }
    fn has_errant_record_reporter(&self) -> bool {
        self.0.policy.log || self.0.has_dlq
    }
    fn report(&self, record: &SinkRecord, error: &ConnectError) -> Result<(), ConnectError> {
        let describe = || {
            format!(
                " for record {}-{}@{:?}",
                record.topic,
                record.kafka_partition.unwrap_or(-1),
                record.kafka_offset
            )
        };
        self.0
            .policy
            .handle(&self.0.task, Stage::TaskPut, error.clone(), describe)?;
        self.0
            .reported
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((record.clone(), error.clone()));
        Ok(())
    }
}

pub fn spawn(setup: SinkTaskSetup) -> std::io::Result<TaskHandle> {
    let control = Arc::new(TaskControl::default());
    let ctl = control.clone();
    let thread = std::thread::Builder::new()
        .name(format!("task-{}", setup.id))
        .spawn(move || {
            let id = setup.id.clone();
            let status = setup.status.clone();
            if let Err(e) = SinkRunner::run(setup, ctl) {
                error!("Task {id} failed: {e}");
                status.set_task(&id, State::Failed, Some(e.trace()));
            }
        })?;
    Ok(TaskHandle { control, thread })
}

struct SinkRunner {
    setup: SinkTaskSetup,
    consumer: BaseConsumer<Rebalances>,
    requests: Arc<SinkRequests>,
    /// Next offset to consume per partition, for the records delivered to `put` so far.
    current: PartitionOffsets,
    last_commit: Instant,
}

impl SinkRunner {
    fn run(setup: SinkTaskSetup, control: Arc<TaskControl>) -> Result<(), ConnectError> {
        let consumer: BaseConsumer<Rebalances> = setup
            .consumer
            .create_with_context(Rebalances::default())
            .map_err(|e| ConnectError::connect(format!("Failed to create the consumer: {e}")))?;
        let subscription: Vec<String> = match &setup.topics_regex {
            Some(regex) => vec![format!("^{}", regex.trim_start_matches('^'))],
            None => setup.topics.clone(),
        };
        let topics: Vec<&str> = subscription.iter().map(String::as_str).collect();
        consumer.subscribe(&topics).map_err(|e| {
            ConnectError::connect(format!("Failed to subscribe to {topics:?}: {e}"))
        })?;
        let requests = Arc::new(SinkRequests {
            policy: setup.policy.clone(),
            task: setup.id.to_string(),
            has_dlq: setup.dlq.is_some(),
            ..Default::default()
        });
        let mut runner = SinkRunner {
            setup,
            consumer,
            requests,
            current: BTreeMap::new(),
            last_commit: Instant::now(),
        };
        runner.setup.task.start(
            &runner.setup.task_config,
            Box::new(SinkContext(runner.requests.clone())),
        )?;
        info!(
            "Task {} started, subscribed to {:?}",
            runner.setup.id, subscription
        );
        runner
            .setup
            .status
            .set_task(&runner.setup.id, State::Running, None);
        let result = runner.poll_loop(&control);
        if result.is_ok() {
            runner.commit(CommitMode::Sync);
        }
        let assigned = runner
            .requests
            .assignment
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let closed = runner.setup.task.close(&assigned);
        let stopped = runner.setup.task.stop();
        info!("Task {} stopped", runner.setup.id);
        result.and(closed).and(stopped)
    }

    fn poll_loop(&mut self, control: &TaskControl) -> Result<(), ConnectError> {
        let mut paused = false;
        while !control.is_stopping() {
            if control.is_paused() != paused {
                paused = !paused;
                self.set_all_paused(paused);
                let state = if paused {
                    State::Paused
                } else {
                    State::Running
                };
                self.setup.status.set_task(&self.setup.id, state, None);
            }
            let batch = self.poll_batch()?;
            self.handle_rebalances()?;
            // As Kafka's WorkerSinkTask, put() runs after every poll, with an empty batch when nothing came: tasks
            // that act on time (the S3 sink's scheduled rotation) get their chance while the topic is idle.
            self.put(batch, control)?;
            self.send_reported_to_dlq();
            self.apply_requests();
            let requested = self
                .requests
                .commit_requested
                .swap(false, Ordering::Relaxed);
            if requested || self.last_commit.elapsed() >= self.setup.flush_interval {
                self.commit(CommitMode::Async);
            }
        }
        Ok(())
    }

    fn poll_batch(&mut self) -> Result<Vec<SinkRecord>, ConnectError> {
        let SinkRunner {
            setup,
            consumer,
            current,
            ..
        } = self;
        // Sized up front: growing a vector of records moves every record already in it.
        let mut batch = Vec::with_capacity(setup.max_poll_records.min(8192));
        let mut wait = Duration::from_millis(200);
        let mut read = 0;
        // Consecutive messages mostly come from one partition: its position and the active topic are recorded once
        // per run of messages instead of once per message.
        let mut run: Option<(TopicPartition, i64)> = None;
        while batch.len() < setup.max_poll_records {
            let Some(polled) = consumer.poll(wait) else {
                break;
            };
            wait = Duration::ZERO;
            let msg = match polled {
                Ok(msg) => msg,
                Err(e) if is_fatal_consume_error(&e) => {
                    return Err(ConnectError::connect(format!("Error while consuming: {e}")))
                }
                Err(e) => {
                    warn!("Task {} consumer: {e} (retried by the client)", setup.id);
                    continue;
                }
            };
            read += 1;
            // rdkafka measures and checks the topic name on every call: once per message.
            let topic = msg.topic();
            match &mut run {
                Some((tp, next)) if tp.partition == msg.partition() && tp.topic == topic => {
                    *next = msg.offset() + 1;
                }
                _ => {
                    if let Some((tp, next)) = run.take() {
                        current.insert(tp, next);
                    }
                    setup.status.record_active_topic(&setup.id, topic);
                    let tp = TopicPartition::new(topic, msg.partition());
                    run = Some((tp, msg.offset() + 1));
                }
            }
            if let Some(record) = convert(setup, &msg, topic)? {
                batch.push(record);
            }
        }
        if let Some((tp, next)) = run {
            current.insert(tp, next);
        }
        setup.metrics.records_in.add(read);
        Ok(batch)
    }

    /// Calls `put`; after a retriable error the same batch is redelivered once the task's timeout passed.
    fn put(&mut self, batch: Vec<SinkRecord>, control: &TaskControl) -> Result<(), ConnectError> {
        let metrics = self.setup.metrics.clone();
        metrics.batch_size.record(batch.len() as u64);
        loop {
            let started = Instant::now();
            let result = self.setup.task.put_borrowed(&batch);
            metrics.batch_time.record_millis(started.elapsed());
            match result {
                Ok(()) => {
                    metrics.records_out.add(batch.len() as u64);
                    return Ok(());
                }
                Err(e) if e.is_retriable() && !control.is_stopping() => {
                    let wait = self
                        .requests
                        .retry_timeout_ms
                        .load(Ordering::Relaxed)
                        .max(100) as u64;
                    warn!(
                        "Task {} put() failed with a retriable error, retrying in {wait} ms: {e}",
                        self.setup.id
                    );
                    std::thread::sleep(Duration::from_millis(wait));
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Sends the records the task reported through its errant record reporter to the DLQ, converted back to bytes
    /// with the task's own converters (the original bytes are not kept past conversion).
    fn send_reported_to_dlq(&mut self) {
        let reported = std::mem::take(
            &mut *self
                .requests
                .reported
                .lock()
                .unwrap_or_else(|p| p.into_inner()),
        );
        let Some(dlq) = &self.setup.dlq else { return };
        for (mut record, error) in reported {
            let (topic, partition, offset, timestamp) = (
                record.topic.clone(),
                record.kafka_partition.unwrap_or(-1),
                record.kafka_offset.unwrap_or(-1),
                record.timestamp,
            );
            let raw = match self.setup.converters.to_kafka(&mut record) {
                Ok((key, value, headers)) => RawRecord {
                    topic,
                    partition,
                    offset,
                    timestamp,
                    key,
                    value,
                    headers,
                },
                Err((_, e)) => {
                    warn!("Task {} could not convert a reported record back to bytes for the DLQ: {e}", self.setup.id);
                    RawRecord {
                        topic,
                        partition,
                        offset,
                        timestamp,
                        ..Default::default()
                    }
                }
            };
            let sent = dlq.send(
                &raw,
                &Failure {
                    stage: Stage::TaskPut,
                    class_name: &self.setup.connector_class,
                    error: &error,
                },
            );
            self.setup.policy.metrics.record_dlq(sent);
        }
    }

    fn handle_rebalances(&mut self) -> Result<(), ConnectError> {
        let events = std::mem::take(
            &mut *self
                .consumer
                .context()
                .0
                .lock()
                .unwrap_or_else(|p| p.into_inner()),
        );
        for event in events {
            let mut assignment = self
                .requests
                .assignment
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .clone();
            match event {
                Assignment::Assigned(parts) => {
                    assignment.extend(parts.iter().cloned());
                    *self
                        .requests
                        .assignment
                        .lock()
                        .unwrap_or_else(|p| p.into_inner()) = assignment;
                    self.setup.task.open(&parts)?;
                }
                Assignment::Revoked(parts) => {
                    assignment.retain(|tp| !parts.contains(tp));
                    *self
                        .requests
                        .assignment
                        .lock()
                        .unwrap_or_else(|p| p.into_inner()) = assignment;
                    self.setup.task.close(&parts)?;
                    self.current.retain(|tp, _| !parts.contains(tp));
                }
            }
            let count = self
                .requests
                .assignment
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .len();
            self.setup
                .metrics
                .partition_count
                .store(count as u64, Ordering::Relaxed);
        }
        Ok(())
    }

    fn apply_requests(&mut self) {
        let rewinds = std::mem::take(
            &mut *self
                .requests
                .rewinds
                .lock()
                .unwrap_or_else(|p| p.into_inner()),
        );
        for (tp, offset) in rewinds {
            match self.consumer.seek(
                &tp.topic,
                tp.partition,
                Offset::Offset(offset),
                Duration::from_secs(5),
            ) {
                Ok(()) => {
                    self.current.insert(tp, offset);
                }
                Err(e) => warn!(
                    "Task {} could not rewind {tp} to {offset}: {e}",
                    self.setup.id
                ),
            }
        }
        let pauses = std::mem::take(
            &mut *self
                .requests
                .pauses
                .lock()
                .unwrap_or_else(|p| p.into_inner()),
        );
        for (tp, pause) in pauses {
            let mut tpl = TopicPartitionList::new();
            tpl.add_partition(&tp.topic, tp.partition);
            let result = if pause {
                self.consumer.pause(&tpl)
            } else {
                self.consumer.resume(&tpl)
            };
            if let Err(e) = result {
                warn!("Task {} could not pause/resume {tp}: {e}", self.setup.id);
            }
        }
    }

    fn set_all_paused(&self, pause: bool) {
        if let Ok(tpl) = self.consumer.assignment() {
            let result = if pause {
                self.consumer.pause(&tpl)
            } else {
                self.consumer.resume(&tpl)
            };
            if let Err(e) = result {
                warn!(
                    "Task {} could not pause/resume its partitions: {e}",
                    self.setup.id
                );
            }
        }
    }

    /// Commits what `preCommit` says is safe.
    fn commit(&mut self, mode: CommitMode) {
        self.last_commit = Instant::now();
        let metrics = self.setup.metrics.clone();
        if self.current.is_empty() {
            metrics.commit_skips.fetch_add(1, Ordering::Relaxed);
            return;
        }
        if let Some(dlq) = &self.setup.dlq {
            if let Err(e) = dlq.flush(Duration::from_secs(30)) {
                error!(
                    "Task {}: {e}; offsets not committed this time",
                    self.setup.id
                );
                return;
            }
        }
        let safe = match self.setup.task.pre_commit(self.current.clone()) {
            Ok(offsets) => offsets,
            Err(e) => {
                error!(
                    "Task {} preCommit failed; offsets not committed this time: {e}",
                    self.setup.id
                );
                return;
            }
        };
        let mut tpl = TopicPartitionList::new();
        for (tp, offset) in &safe {
            if let Err(e) =
                tpl.add_partition_offset(&tp.topic, tp.partition, Offset::Offset(*offset))
            {
                warn!("Task {} skipped committing {tp}: {e}", self.setup.id);
            }
        }
        if tpl.count() == 0 {
            metrics.commit_skips.fetch_add(1, Ordering::Relaxed);
            return;
        }
        match self.consumer.commit(&tpl, mode) {
            Ok(()) => metrics.commits.record_millis(self.last_commit.elapsed()),
            Err(e) => {
                warn!("Task {} offset commit failed: {e}", self.setup.id);
                metrics.commit_failures.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

/// One Kafka message → a transformed sink record, or None when dropped or tolerated.
fn convert(
    setup: &mut SinkTaskSetup,
    msg: &BorrowedMessage<'_>,
    topic: &str,
) -> Result<Option<SinkRecord>, ConnectError> {
    let (timestamp, timestamp_type) = match msg.timestamp() {
        Timestamp::CreateTime(t) => (Some(t), TimestampType::CreateTime),
        Timestamp::LogAppendTime(t) => (Some(t), TimestampType::LogAppendTime),
        Timestamp::NotAvailable => (None, TimestampType::NoTimestampType),
    };
    let raw_headers: Vec<(&str, Option<&[u8]>)> = msg
        .headers()
        .map(|hs| hs.iter().map(|h| (h.key, h.value)).collect())
        .unwrap_or_default();
    let (converters, transforms) = (&mut setup.converters, &mut setup.transforms);
    let attempt = |()| {
        let mut record = ConnectRecord {
            topic: topic.to_string(),
            kafka_partition: Some(msg.partition()),
            kafka_offset: Some(msg.offset()),
            timestamp,
            timestamp_type,
            ..Default::default()
        };
        converters.to_connect(topic, msg.key(), msg.payload(), &raw_headers, &mut record)?;
        transforms
            .apply(record)
            .map_err(|e| (Stage::Transformation, e))
    };
    let (stage, error) = match setup.policy.retry((), attempt) {
        Ok(r) => return Ok(r),
        Err(failure) => failure,
    };
    let task = setup.id.to_string();
    let describe = || {
        format!(
            " for record {}-{}@{}",
            msg.topic(),
            msg.partition(),
            msg.offset()
        )
    };
    setup.policy.handle(&task, stage, error.clone(), describe)?;
    if let Some(dlq) = &setup.dlq {
        let raw = RawRecord {
            topic: msg.topic().to_string(),
            partition: msg.partition(),
            offset: msg.offset(),
            timestamp,
            key: msg.key().map(<[u8]>::to_vec),
            value: msg.payload().map(<[u8]>::to_vec),
            headers: raw_headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.map(<[u8]>::to_vec)))
                .collect(),
        };
        let class_name = match stage {
            Stage::Transformation => "transformation chain",
            other => setup.converters.class_name(other),
        };
        let sent = dlq.send(
            &raw,
            &Failure {
                stage,
                class_name,
                error: &error,
            },
        );
        setup.policy.metrics.record_dlq(sent);
    }
    Ok(None)
}
