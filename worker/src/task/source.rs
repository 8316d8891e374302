//! The source task loop on its own thread: poll the plugin, transform, convert, produce; source offsets become
//! committable only once every record before them was acked, and are flushed every `offset.flush.interval.ms`.
//! Under exactly-once support (KIP-618) records and their offsets are instead written in one producer transaction
//! per batch, per interval, or where the task asks (connector-defined boundaries).

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use connect_api::{
    Config, ConnectError, ConnectRecord, OffsetMap, RecordMetadata, SourceRecord, SourceTask,
    SourceTaskContext, TransactionContext,
};
use connect_transforms::TransformChain;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{Header, Message, OwnedHeaders};
use rdkafka::producer::{BaseRecord, DeliveryResult, Producer, ProducerContext, ThreadedProducer};
use rdkafka::{ClientConfig, ClientContext};
use tracing::{error, info};

use super::convert::RecordConverters;
use super::errors::{ErrorPolicy, Stage};
use super::topic_creation::TopicCreation;
use super::transaction_context::{TransactionEnd, TransactionRequests};
use super::{State, StatusBoard, TaskControl, TaskHandle, TaskId};
use crate::metrics::TaskMetrics;
use crate::storage::{copy_to_worker_store, offset_key, OffsetStore};

/// Everything a source task thread needs.
pub struct SourceTaskSetup {
    pub id: TaskId,
    pub task: Box<dyn SourceTask>,
    pub task_config: Config,
    pub converters: RecordConverters,
    pub transforms: TransformChain,
    /// KIP-158 rules when the connector uses topic creation.
    pub topic_creation: Option<TopicCreation>,
    pub producer: ClientConfig,
    /// Set when the worker has exactly-once source support enabled (`producer` then has a transactional id).
    pub transactions: Option<Transactions>,
    pub offsets: Arc<dyn OffsetStore>,
    pub status: Arc<StatusBoard>,
    pub policy: ErrorPolicy,
    pub flush_interval: Duration,
    pub flush_timeout: Duration,
    pub metrics: Arc<TaskMetrics>,
}

/// How an exactly-once task writes: its records and their source offsets in one producer transaction.
pub struct Transactions {
    pub connector: String,
    /// The offsets topic the transaction writes the offsets to (the same topic its offset store reads).
    pub offsets_topic: String,
    /// Where transactions end (`transaction.boundary`).
    pub boundary: Boundary,
    /// The worker's offsets store when `offsets_topic` is the connector's own: committed offsets are copied to it.
    pub worker_offsets: Option<Arc<dyn OffsetStore>>,
}

/// `transaction.boundary`: where an exactly-once task's transactions end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Boundary {
    /// After each non-empty batch from `poll`.
    Poll,
    /// Once this long has passed since the transaction began (checked after each batch).
    Interval(Duration),
    /// Where the task asks, through its transaction context.
    Connector,
}

/// How long initializing, committing or aborting a transaction may take.
const TRANSACTION_TIMEOUT: Duration = Duration::from_secs(60);
/// Delivery opaque of offset records, which are no source record of the task.
const OFFSET_RECORD: usize = usize::MAX;

/// The transaction in progress: when it began and the last offset sent in it per source partition.
#[derive(Default)]
struct OpenTransaction {
    began: Option<Instant>,
    offsets: HashMap<String, (OffsetMap, OffsetMap)>,
}

/// What the plugin reaches through its `SourceTaskContext`: committed offsets, and the transaction context under
/// connector-defined boundaries.
struct SourceContext {
    connector: String,
    store: Arc<dyn OffsetStore>,
    transactions: Option<Arc<TransactionRequests>>,
}

impl SourceTaskContext for SourceContext {
    fn offset(&self, partition: &OffsetMap) -> Option<OffsetMap> {
        self.store.get(&self.connector, partition)
    }
    fn transaction_context(&self) -> Option<&dyn TransactionContext> {
        self.transactions
            .as_deref()
            .map(|t| t as &dyn TransactionContext)
    }
}

/// Delivery reports, collected by the producer's polling thread and drained by the task thread. (librdkafka sends
/// only as fast as its producer is polled, so polling cannot wait for the task's own loop, which may sit in a
/// plugin's `poll` for a second.)
#[derive(Default)]
struct Deliveries(Mutex<Vec<(usize, Delivery)>>);

/// Where Kafka wrote a record (partition, offset, timestamp), or why it did not.
type Delivery = Result<(i32, i64, Option<i64>), String>;

impl ClientContext for Deliveries {}

impl ProducerContext for Deliveries {
    type DeliveryOpaque = usize;
    fn delivery(&self, result: &DeliveryResult<'_>, seq: usize) {
        let failure = match result {
            Ok(m) => Ok((m.partition(), m.offset(), m.timestamp().to_millis())),
            Err((e, _)) => Err(e.to_string()),
        };
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((seq, failure));
    }
}

struct Submitted {
    partition: OffsetMap,
    offset: OffsetMap,
    acked: bool,
}

/// Records in submission order; offsets are committable up to the first record not yet acked.
#[derive(Default)]
struct SubmittedRecords {
    base: usize,
    queue: VecDeque<Submitted>,
    committable: HashMap<String, (OffsetMap, OffsetMap)>,
    /// The key of the partition acked last: consecutive records usually share it, which spares serializing the
    /// partition into a key per record.
    last_key: Option<String>,
}

impl SubmittedRecords {
    fn submit(&mut self, partition: OffsetMap, offset: OffsetMap) -> usize {
        self.queue.push_back(Submitted {
            partition,
            offset,
            acked: false,
        });
        self.base + self.queue.len() - 1
    }
    fn ack(&mut self, seq: usize) {
        if let Some(entry) = seq
            .checked_sub(self.base)
            .and_then(|i| self.queue.get_mut(i))
        {
            entry.acked = true;
        }
        while self.queue.front().is_some_and(|e| e.acked) {
            let done = self.queue.pop_front().expect("front exists");
            self.base += 1;
            if done.partition.is_empty() && done.offset.is_empty() {
                continue;
            }
            let same = self
                .last_key
                .as_ref()
                .and_then(|k| self.committable.get_mut(k));
            match same {
                Some(entry) if entry.0 == done.partition => entry.1 = done.offset,
                _ => {
                    let key = offset_key("", &done.partition);
                    self.committable
                        .insert(key.clone(), (done.partition, done.offset));
                    self.last_key = Some(key);
                }
            }
        }
    }
    fn take_committable(&mut self) -> Vec<(OffsetMap, Option<OffsetMap>)> {
        self.committable
            .drain()
            .map(|(_, (p, o))| (p, Some(o)))
            .collect()
    }
    fn restore(&mut self, offsets: Vec<(OffsetMap, Option<OffsetMap>)>) {
        for (p, o) in offsets {
            let key = offset_key("", &p);
            if let Some(o) = o {
                self.committable.entry(key).or_insert((p, o));
            }
        }
    }
    fn in_flight(&self) -> usize {
        self.queue.len()
    }
}

pub fn spawn(setup: SourceTaskSetup) -> std::io::Result<TaskHandle> {
    let control = Arc::new(TaskControl::default());
    let ctl = control.clone();
    let thread = std::thread::Builder::new()
        .name(format!("task-{}", setup.id))
        .spawn(move || {
            let id = setup.id.clone();
            let status = setup.status.clone();
            let mut runner = SourceRunner::new(setup, ctl);
            if let Err(e) = runner.run() {
                error!("Task {id} failed: {e}");
                status.set_task(&id, State::Failed, Some(e.trace()));
            }
        })?;
    Ok(TaskHandle { control, thread })
}

struct SourceRunner {
    setup: SourceTaskSetup,
    control: Arc<TaskControl>,
    submitted: SubmittedRecords,
    last_flush: Instant,
    /// Records handed to the producer in the current batch (`source-record-write`).
    written: u64,
    transaction: OpenTransaction,
    /// Whether the task wants `commit_record` calls (asked once, after it started).
    commits_records: bool,
    /// For such a task: each record in flight as polled, and the topic it was sent to.
    retained: HashMap<usize, (SourceRecord, Option<String>)>,
    /// Under connector-defined transaction boundaries: what the task asked for.
    requests: Option<Arc<TransactionRequests>>,
}

impl SourceRunner {
    fn new(setup: SourceTaskSetup, control: Arc<TaskControl>) -> Self {
        SourceRunner {
            setup,
            control,
            submitted: SubmittedRecords::default(),
            last_flush: Instant::now(),
            written: 0,
            transaction: OpenTransaction::default(),
            commits_records: false,
            retained: HashMap::new(),
            requests: None,
        }
    }

    fn run(&mut self) -> Result<(), ConnectError> {
        let producer: ThreadedProducer<Deliveries> = self
            .setup
            .producer
            .create_with_context(Deliveries::default())
            .map_err(|e| ConnectError::connect(format!("Failed to create the producer: {e}")))?;
        if self.setup.transactions.is_some() {
            // Fences out an older producer with this transactional id and aborts its open transaction.
            producer
                .init_transactions(TRANSACTION_TIMEOUT)
                .map_err(|e| {
                    ConnectError::connect(format!(
                        "Failed to initialize the transactional producer of task {}: {e}",
                        self.setup.id
                    ))
                })?;
        }
        if self.boundary() == Some(Boundary::Connector) {
            self.requests = Some(Arc::default());
        }
        let context = SourceContext {
            connector: self.setup.id.connector.clone(),
            store: self.setup.offsets.clone(),
            transactions: self.requests.clone(),
        };
        self.setup
            .task
            .start(&self.setup.task_config, Box::new(context))?;
        self.commits_records = self.setup.task.commits_records();
        info!("Task {} started", self.setup.id);
        self.setup
            .status
            .set_task(&self.setup.id, State::Running, None);
        let result = self.poll_loop(&producer);
        let stopped = self.setup.task.stop();
        let result = if self.setup.transactions.is_some() {
            // A clean stop commits what was sent (under connector-defined boundaries only if the task asked);
            // anything else aborts the open transaction.
            let end = match result {
                Ok(()) if self.requests.is_some() => self.requested_after_batch(),
                Ok(()) => Ok(Some(TransactionEnd::Commit)),
                Err(e) => Err(e),
            };
            match end {
                Ok(Some(end)) => self.end_transaction(&producer, end),
                Ok(None) => {
                    self.abort_transaction(&producer);
                    Ok(())
                }
                Err(e) => {
                    self.abort_transaction(&producer);
                    Err(e)
                }
            }
        } else {
            crate::kafka::wait_delivered(&producer, self.setup.flush_timeout).ok();
            self.drain_deliveries(&producer).ok();
            self.commit_offsets();
            result
        };
        info!(
            "Task {} stopped ({} records still unacknowledged)",
            self.setup.id,
            self.submitted.in_flight()
        );
        result.and(stopped)
    }

    fn poll_loop(&mut self, producer: &ThreadedProducer<Deliveries>) -> Result<(), ConnectError> {
        let mut paused = false;
        while !self.control.is_stopping() {
            if self.control.is_paused() {
                if !paused {
                    self.setup
                        .status
                        .set_task(&self.setup.id, State::Paused, None);
                    paused = true;
                }
                std::thread::sleep(Duration::from_millis(100));
            } else {
                if paused {
                    self.setup
                        .status
                        .set_task(&self.setup.id, State::Running, None);
                    paused = false;
                }
                let polling = Instant::now();
                let batch = self.setup.task.poll()?;
                let metrics = &self.setup.metrics;
                metrics.batch_time.record_millis(polling.elapsed());
                if !batch.is_empty() {
                    metrics.records_in.add(batch.len() as u64);
                    metrics.batch_size.record(batch.len() as u64);
                }
                for record in batch {
                    if self.setup.transactions.is_some() {
                        self.add_to_transaction(producer, &record)?;
                    }
                    let end = match &self.requests {
                        Some(r) if r.names_records() => r.after_record(&record)?,
                        _ => None,
                    };
                    let polled = self.commits_records.then(|| record.clone());
                    let seq = self
                        .submitted
                        .submit(record.source_partition, record.source_offset);
                    if let Some(polled) = polled {
                        self.retained.insert(seq, (polled, None));
                    }
                    self.send(producer, seq, record.record)?;
                    if let Some(end) = end {
                        self.end_transaction(producer, end)?;
                    }
                }
                self.setup.metrics.records_out.add(self.written);
                self.written = 0;
            }
            self.drain_deliveries(producer)?;
            self.setup
                .metrics
                .active
                .set(self.submitted.in_flight() as u64);
            match self.boundary() {
                Some(Boundary::Connector) => {
                    if let Some(end) = self.requested_after_batch()? {
                        self.end_transaction(producer, end)?;
                    }
                }
                Some(boundary) => {
                    let due = self.transaction.began.is_some_and(|began| match boundary {
                        Boundary::Interval(interval) => began.elapsed() >= interval,
                        _ => true,
                    });
                    if due {
                        self.commit_transaction(producer)?;
                    }
                }
                None if self.last_flush.elapsed() >= self.setup.flush_interval => {
                    self.commit_offsets()
                }
                None => {}
            }
        }
        Ok(())
    }

    fn boundary(&self) -> Option<Boundary> {
        self.setup.transactions.as_ref().map(|t| t.boundary)
    }

    fn requested_after_batch(&self) -> Result<Option<TransactionEnd>, ConnectError> {
        match &self.requests {
            Some(r) => r.after_batch(),
            None => Ok(None),
        }
    }

    /// Ends the transaction as the task asked. An abort drops the records sent in it, but their offsets are still
    /// committed, in a transaction of their own, so that the task does not read them again (as in Kafka).
    fn end_transaction(
        &mut self,
        producer: &ThreadedProducer<Deliveries>,
        end: TransactionEnd,
    ) -> Result<(), ConnectError> {
        if end == TransactionEnd::Abort && self.transaction.began.is_some() {
            // Every record acked first, so that none fails as purged by the abort.
            crate::kafka::wait_delivered(producer, TRANSACTION_TIMEOUT)
                .and_then(|()| {
                    producer
                        .abort_transaction(TRANSACTION_TIMEOUT)
                        .map_err(|e| e.to_string())
                })
                .and_then(|()| producer.begin_transaction().map_err(|e| e.to_string()))
                .map_err(|e| {
                    ConnectError::connect(format!(
                        "Failed to abort the producer transaction of task {} as its connector requested: {e}",
                        self.setup.id
                    ))
                })?;
            info!(
                "Task {} aborted its transaction as its connector requested",
                self.setup.id
            );
            self.transaction.began = Some(Instant::now());
        }
        self.commit_transaction(producer)
    }

    /// Begins a transaction if none is open, and notes the record's source offset for it.
    fn add_to_transaction(
        &mut self,
        producer: &ThreadedProducer<Deliveries>,
        record: &SourceRecord,
    ) -> Result<(), ConnectError> {
        if self.transaction.began.is_none() {
            producer.begin_transaction().map_err(|e| {
                ConnectError::connect(format!("Failed to begin a producer transaction: {e}"))
            })?;
            self.transaction.began = Some(Instant::now());
        }
        if !record.source_partition.is_empty() || !record.source_offset.is_empty() {
            self.transaction.offsets.insert(
                offset_key("", &record.source_partition),
                (
                    record.source_partition.clone(),
                    record.source_offset.clone(),
                ),
            );
        }
        Ok(())
    }

    /// Writes the open transaction's offsets into it and commits it, then tells the task (`commit`). A failure is
    /// the task's failure: the transaction is aborted and nothing of it becomes visible to read-committed readers.
    fn commit_transaction(
        &mut self,
        producer: &ThreadedProducer<Deliveries>,
    ) -> Result<(), ConnectError> {
        let Some(t) = &self.setup.transactions else {
            return Ok(());
        };
        if self.transaction.began.take().is_none() {
            return Ok(());
        }
        let started = Instant::now();
        let offsets = std::mem::take(&mut self.transaction.offsets);
        let copy_to = t
            .worker_offsets
            .clone()
            .map(|store| (store, t.connector.clone()));
        let written = (|| {
            for (partition, offset) in offsets.values() {
                let key = offset_key(&t.connector, partition);
                let value = serde_json::to_vec(offset).unwrap_or_default();
                let mut out = BaseRecord::with_opaque_to(&t.offsets_topic, OFFSET_RECORD)
                    .key(&key)
                    .payload(&value);
                loop {
                    match producer.send(out) {
                        Ok(()) => break,
                        Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                            out = back;
                            std::thread::sleep(Duration::from_millis(5));
                        }
                        Err((e, _)) => return Err(e.to_string()),
                    }
                }
            }
            // The commit flushes first; with nothing in flight its flush returns at once (see `wait_delivered`).
            crate::kafka::wait_delivered(producer, TRANSACTION_TIMEOUT)?;
            producer
                .commit_transaction(TRANSACTION_TIMEOUT)
                .map_err(|e| e.to_string())
        })();
        if let Err(e) = written {
            self.abort_transaction(producer);
            return Err(ConnectError::connect(format!(
                "Failed to commit the producer transaction of task {}: {e}",
                self.setup.id
            )));
        }
        if let Some((store, connector)) = copy_to {
            let committed = offsets.into_values().map(|(p, o)| (p, Some(o))).collect();
            copy_to_worker_store(store.as_ref(), &connector, committed);
        }
        self.drain_deliveries(producer)?;
        self.setup.metrics.commits.record_millis(started.elapsed());
        if let Err(e) = self.setup.task.commit() {
            error!("Task {} commit() failed: {e}", self.setup.id);
        }
        Ok(())
    }

    fn abort_transaction(&mut self, producer: &ThreadedProducer<Deliveries>) {
        self.transaction = OpenTransaction::default();
        if let Err(e) = producer.abort_transaction(TRANSACTION_TIMEOUT) {
            error!(
                "Task {} could not abort its producer transaction: {e}",
                self.setup.id
            );
        }
    }

    /// Transforms, converts and produces one record; a record dropped or tolerated counts as done at once.
    fn send(
        &mut self,
        producer: &ThreadedProducer<Deliveries>,
        seq: usize,
        record: ConnectRecord,
    ) -> Result<(), ConnectError> {
        // Described up front only when the log needs it: the attempts below consume the record.
        let description = (self.setup.policy.log && self.setup.policy.log_messages)
            .then(|| format!(" for record {record:?}"));
        let (transforms, converters) = (&mut self.setup.transforms, &mut self.setup.converters);
        let attempt = |record| {
            let transformed = transforms
                .apply(record)
                .map_err(|e| (Stage::Transformation, e))?;
            let Some(mut record) = transformed else {
                return Ok(None);
            };
            let parts = converters.to_kafka(&mut record)?;
            Ok(Some((record, parts)))
        };
        let (record, (key, value, headers)) = match self.setup.policy.retry(record, attempt) {
            Ok(Some(done)) => done,
            Ok(None) => {
                self.finished(seq, None);
                return Ok(());
            }
            Err((stage, e)) => {
                let task = self.setup.id.to_string();
                self.setup
                    .policy
                    .handle(&task, stage, e, || description.unwrap_or_default())?;
                self.finished(seq, None);
                return Ok(());
            }
        };
        if let Some(creation) = &mut self.setup.topic_creation {
            creation.ensure(&record.topic)?;
        }
        let mut out = BaseRecord::with_opaque_to(&record.topic, seq);
        // librdkafka allocates a header list even when empty; most records carry none.
        if !headers.is_empty() {
            let mut kafka_headers = OwnedHeaders::new_with_capacity(headers.len());
            for (k, v) in &headers {
                kafka_headers = kafka_headers.insert(Header {
                    key: k,
                    value: v.as_deref(),
                });
            }
            out = out.headers(kafka_headers);
        }
        if let Some(k) = &key {
            out = out.key(k);
        }
        if let Some(v) = &value {
            out = out.payload(v);
        }
        if let Some(p) = record.kafka_partition {
            out = out.partition(p);
        }
        if let Some(ts) = record.timestamp {
            out = out.timestamp(ts);
        }
        loop {
            match producer.send(out) {
                Ok(()) => {
                    self.written += 1;
                    if self.commits_records {
                        if let Some(retained) = self.retained.get_mut(&seq) {
                            retained.1 = Some(record.topic.clone());
                        }
                    }
                    self.setup
                        .status
                        .record_active_topic(&self.setup.id, &record.topic);
                    return Ok(());
                }
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                    out = back;
                    // The producer's own thread delivers meanwhile; acknowledged records make room.
                    std::thread::sleep(Duration::from_millis(5));
                    self.drain_deliveries(producer)?;
                }
                Err((e, _)) => {
                    self.setup.policy.handle(
                        &self.setup.id.to_string(),
                        Stage::KafkaProduce,
                        ConnectError::connect(e.to_string()),
                        String::new,
                    )?;
                    self.finished(seq, None);
                    return Ok(());
                }
            }
        }
    }

    fn drain_deliveries(
        &mut self,
        producer: &ThreadedProducer<Deliveries>,
    ) -> Result<(), ConnectError> {
        let reports = std::mem::take(
            &mut *producer
                .context()
                .0
                .lock()
                .unwrap_or_else(|p| p.into_inner()),
        );
        for (seq, delivery) in reports {
            match delivery {
                Ok(written) => self.finished(seq, Some(written)),
                Err(msg) => {
                    let e = ConnectError::connect(format!(
                        "Unrecoverable exception from producer send callback: {msg}"
                    ));
                    self.setup.policy.handle(
                        &self.setup.id.to_string(),
                        Stage::KafkaProduce,
                        e,
                        String::new,
                    )?;
                    self.finished(seq, None);
                }
            }
        }
        Ok(())
    }

    /// A record is done: written (partition, offset, timestamp), or dropped or skipped. Its offset may become
    /// committable, and a task that asked for them gets its `commit_record` call (errors are only logged, as Kafka
    /// does).
    fn finished(&mut self, seq: usize, written: Option<(i32, i64, Option<i64>)>) {
        self.submitted.ack(seq);
        // Empty unless the task asked for commit_record calls; spares hashing every sequence number.
        if self.retained.is_empty() {
            return;
        }
        let Some((record, topic)) = self.retained.remove(&seq) else {
            return;
        };
        let metadata = written
            .zip(topic)
            .map(|((partition, offset, timestamp), topic)| RecordMetadata {
                topic,
                partition,
                offset,
                timestamp,
            });
        if let Err(e) = self.setup.task.commit_record(&record, metadata.as_ref()) {
            error!("Task {} commit_record() failed: {e}", self.setup.id);
        }
    }

    /// Writes committable offsets to the store, then tells the task (`commit`). A failed write keeps the offsets
    /// for the next attempt.
    fn commit_offsets(&mut self) {
        self.last_flush = Instant::now();
        let offsets = self.submitted.take_committable();
        if offsets.is_empty() {
            return;
        }
        let started = Instant::now();
        if let Err(e) = self
            .setup
            .offsets
            .set(&self.setup.id.connector, offsets.clone())
        {
            error!("Task {} failed to commit offsets: {e}", self.setup.id);
            self.setup
                .metrics
                .commit_failures
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            self.submitted.restore(offsets);
            return;
        }
        self.setup.metrics.commits.record_millis(started.elapsed());
        if let Err(e) = self.setup.task.commit() {
            error!("Task {} commit() failed: {e}", self.setup.id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(v: serde_json::Value) -> OffsetMap {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn offsets_commit_only_up_to_the_first_unacked_record() {
        let mut s = SubmittedRecords::default();
        let p = map(json!({"filename": "f"}));
        let a = s.submit(p.clone(), map(json!({"position": 10})));
        let b = s.submit(p.clone(), map(json!({"position": 20})));
        let c = s.submit(p.clone(), map(json!({"position": 30})));
        s.ack(b);
        s.ack(c);
        assert!(
            s.take_committable().is_empty(),
            "nothing before the unacked first record"
        );
        s.ack(a);
        assert_eq!(
            s.take_committable(),
            vec![(p.clone(), Some(map(json!({"position": 30}))))]
        );
        assert_eq!(s.in_flight(), 0);

        // Interleaved partitions each keep their own latest offset, also after a drain.
        let q = map(json!({"filename": "g"}));
        for (part, pos) in [(&p, 40), (&q, 5), (&p, 50), (&q, 6)] {
            let seq = s.submit(part.clone(), map(json!({ "position": pos })));
            s.ack(seq);
        }
        let mut committed = s.take_committable();
        committed.sort_by_key(|(part, _)| part["filename"].as_str().map(str::to_string));
        assert_eq!(
            committed,
            vec![
                (p.clone(), Some(map(json!({"position": 50})))),
                (q.clone(), Some(map(json!({"position": 6})))),
            ]
        );
        let seq = s.submit(q.clone(), map(json!({"position": 7})));
        s.ack(seq);
        assert_eq!(
            s.take_committable(),
            vec![(q, Some(map(json!({"position": 7}))))]
        );
    }
}
