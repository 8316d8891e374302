//! OpensearchSinkTask: turns records into bulk operations, sends batches of `batch.size` on the library's own
//! tokio runtime with up to `max.in.flight.requests` in flight, handles each item's result, and returns from
//! `put` (and so from `flush`/`pre_commit`) only once every record handed to it is indexed or deliberately
//! dropped.

use std::collections::{HashSet, VecDeque};
use std::time::Instant;

use bytes::Bytes;
use connect_api::sink::PartitionOffsets;
use connect_api::{
    Config, ConnectError, ConnectResult, SinkRecord, SinkTask, SinkTaskContext, TopicPartition,
};
use tokio::runtime::Runtime;
use tokio::task::JoinHandle;

use crate::config::{ItemErrorBehavior, SinkConfig, WriteMethod};
use crate::mapping::mapping_for;
use crate::request_builder::{Operation, RequestBuilder};
use crate::service::{BatchResult, ItemOutcome, Service};

/// Records of one bulk request, kept on the task thread for error reporting.
#[derive(Default)]
struct Batch {
    records: Vec<SinkRecord>,
    items: Vec<Bytes>,
    /// Whether each item's version conflict means "already written" (see `RequestBuilder::conflict_is_replay`).
    versioned: Vec<bool>,
}

struct InFlight {
    batch: Batch,
    handle: JoinHandle<BatchResult>,
}

struct Running {
    config: SinkConfig,
    builder: RequestBuilder,
    service: Service,
    runtime: Runtime,
    context: Box<dyn SinkTaskContext>,
    max_in_flight: usize,
    buffer: Batch,
    in_flight: VecDeque<InFlight>,
    in_flight_records: usize,
    known_indices: HashSet<String>,
    /// The first fatal error; every later call returns it, so no commit can pass the failed records.
    failure: Option<ConnectError>,
}

/// The OpenSearch sink task.
#[derive(Default)]
pub struct OpensearchSinkTask {
    state: Option<Running>,
}

impl OpensearchSinkTask {
    fn running(&mut self) -> ConnectResult<&mut Running> {
        self.state
            .as_mut()
            .ok_or_else(|| ConnectError::connect("OpensearchSinkTask used before it was started"))
    }
}

impl SinkTask for OpensearchSinkTask {
    fn start(&mut self, config: &Config, context: Box<dyn SinkTaskContext>) -> ConnectResult<()> {
        let config = SinkConfig::parse(config)?;
        let needs_reporter = config.behavior_on_malformed_documents == ItemErrorBehavior::Report
            || config.behavior_on_version_conflict == ItemErrorBehavior::Report;
        if needs_reporter && !context.has_errant_record_reporter() {
            return Err(ConnectError::config(
                "behavior.on.malformed.documents or behavior.on.version.conflict is 'report', but no errant record reporter is configured (set errors.deadletterqueue.topic.name or errors.log.enable=true)",
            ));
        }
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("opensearch-sink")
            .enable_all()
            .build()
            .map_err(|e| ConnectError::connect(format!("Could not start a tokio runtime: {e}")))?;
        let service = Service::new(&config).map_err(ConnectError::connect)?;
        let max_in_flight = match config.index_write_method {
            // Updates carry no version: keep them in order by sending one request at a time.
            WriteMethod::Upsert => 1,
            WriteMethod::Insert => config.max_in_flight_requests,
        };
        self.state = Some(Running {
            builder: RequestBuilder::new(&config),
            config,
            service,
            runtime,
            context,
            max_in_flight,
            buffer: Batch::default(),
            in_flight: VecDeque::new(),
            in_flight_records: 0,
            known_indices: HashSet::new(),
            failure: None,
        });
        Ok(())
    }

    fn put(&mut self, records: Vec<SinkRecord>) -> ConnectResult<()> {
        let state = self.running()?;
        state.check()?;
        let result = state.put(records);
        if result.as_ref().is_err_and(ConnectError::is_retriable) {
            // The worker redelivers the whole batch: drop what this call buffered but did not send.
            state.buffer = Batch::default();
        }
        state.remember(result)
    }

    fn flush(&mut self, _offsets: &PartitionOffsets) -> ConnectResult<()> {
        let state = self.running()?;
        state.check()?;
        let result = state.flush_all();
        state.remember(result)
    }

    fn pre_commit(&mut self, offsets: PartitionOffsets) -> ConnectResult<PartitionOffsets> {
        self.flush(&offsets)?;
        Ok(offsets)
    }

    fn close(&mut self, _partitions: &[TopicPartition]) -> ConnectResult<()> {
        match self.state.as_mut() {
            Some(state) if state.failure.is_none() => {
                let result = state.flush_all();
                state.remember(result)
            }
            _ => Ok(()),
        }
    }

    fn stop(&mut self) -> ConnectResult<()> {
        if let Some(state) = self.state.take() {
            for in_flight in &state.in_flight {
                in_flight.handle.abort();
            }
            state
                .runtime
                .shutdown_timeout(std::time::Duration::from_secs(1));
        }
        Ok(())
    }
}

impl Running {
    fn check(&self) -> ConnectResult<()> {
        match &self.failure {
            Some(e) => Err(e.clone()),
            None => Ok(()),
        }
    }

    /// Keeps the first non-retriable error for every later call.
    fn remember(&mut self, result: ConnectResult<()>) -> ConnectResult<()> {
        if let Err(e) = &result {
            if !e.is_retriable() && self.failure.is_none() {
                self.failure = Some(e.clone());
            }
        }
        result
    }

    fn put(&mut self, records: Vec<SinkRecord>) -> ConnectResult<()> {
        for record in records {
            let operation = match self.builder.build(&record) {
                Ok(op) => op,
                Err(e) => {
                    self.bad_record(&record, e)?;
                    continue;
                }
            };
            let Operation::Write { index, lines } = operation else {
                continue;
            };
            if !self.known_indices.contains(&index) {
                self.ensure_index(&index, &record)?;
            }
            let versioned = self.builder.conflict_is_replay(&record);
            self.buffer.items.push(Bytes::from(lines));
            self.buffer.versioned.push(versioned);
            self.buffer.records.push(record);
            if self.buffer.items.len() >= self.config.batch_size {
                self.dispatch()?;
            }
        }
        // Every record of this call is indexed (or dropped) before put returns: the worker treats a failing
        // preCommit as "no commit this time", so an item failure must surface here to fail the task (an empty
        // put after an idle poll sends nothing). Batches of one call still go out `max.in.flight.requests` at a time.
        self.flush_all()
    }

    /// A record that cannot become a bulk operation: dropped (`drop.invalid.message`), reported and skipped
    /// (errant record reporter, when tolerated), or the task fails.
    fn bad_record(&mut self, record: &SinkRecord, error: ConnectError) -> ConnectResult<()> {
        if self.config.drop_invalid_message {
            crate::log_warn!(
                "Dropping invalid record {}-{}@{}: {error}",
                record.topic,
                record.kafka_partition.unwrap_or(-1),
                record.kafka_offset.unwrap_or(-1)
            );
            return Ok(());
        }
        if self.context.has_errant_record_reporter() {
            return self.context.report(record, &error);
        }
        Err(error)
    }

    fn ensure_index(&mut self, index: &str, record: &SinkRecord) -> ConnectResult<()> {
        let mapping = if self.config.ignores_schema(&record.topic) {
            None
        } else {
            record.value_schema.as_deref().and_then(mapping_for)
        };
        let service = self.service.clone();
        let timeout = self.config.flush_timeout;
        let data_stream = self.config.data_stream.clone();
        let result = self.runtime.block_on(async {
            match data_stream {
                Some(stream) => {
                    let ensure = service.ensure_data_stream(index, &stream.timestamp_field);
                    tokio::time::timeout(timeout, ensure).await
                }
                None => tokio::time::timeout(timeout, service.ensure_index(index, mapping)).await,
            }
        });
        match result {
            Ok(Ok(())) => {
                self.known_indices.insert(index.to_string());
                Ok(())
            }
            Ok(Err(e)) => Err(ConnectError::retriable(e)),
            Err(_) => Err(ConnectError::retriable(format!(
                "Timed out creating index {index}"
            ))),
        }
    }

    /// Sends the buffered batch, first waiting for room: at most `max_in_flight` requests and about
    /// `max.buffered.records` records in flight.
    fn dispatch(&mut self) -> ConnectResult<()> {
        self.collect_finished()?;
        let size = self.buffer.items.len();
        while !self.in_flight.is_empty()
            && (self.in_flight.len() >= self.max_in_flight
                || self.in_flight_records + size > self.config.max_buffered_records)
        {
            self.wait_oldest()?;
        }
        let batch = std::mem::take(&mut self.buffer);
        let service = self.service.clone();
        let items = batch.items.clone();
        let handle = self.runtime.spawn(async move { service.bulk(items).await });
        self.in_flight_records += batch.items.len();
        self.in_flight.push_back(InFlight { batch, handle });
        Ok(())
    }

    /// Handles the results of requests that already finished, oldest first.
    fn collect_finished(&mut self) -> ConnectResult<()> {
        while self
            .in_flight
            .front()
            .is_some_and(|f| f.handle.is_finished())
        {
            self.wait_oldest()?;
        }
        Ok(())
    }

    /// Sends what is buffered and waits for every request in flight.
    fn flush_all(&mut self) -> ConnectResult<()> {
        if !self.buffer.items.is_empty() {
            self.dispatch()?;
        }
        while !self.in_flight.is_empty() {
            self.wait_oldest()?;
        }
        Ok(())
    }

    fn wait_oldest(&mut self) -> ConnectResult<()> {
        let Some(InFlight { batch, handle }) = self.in_flight.pop_front() else {
            return Ok(());
        };
        self.in_flight_records -= batch.items.len();
        let started = Instant::now();
        let timeout = self.config.flush_timeout;
        let joined = self
            .runtime
            .block_on(async { tokio::time::timeout(timeout, handle).await });
        let result = match joined {
            Err(_) => {
                return Err(ConnectError::connect(format!(
                    "Flush timeout expired with unflushed records: {} (flush.timeout.ms={}, waited {:?})",
                    batch.items.len() + self.in_flight_records,
                    timeout.as_millis(),
                    started.elapsed()
                )))
            }
            Ok(Err(e)) => {
                return Err(ConnectError::connect(format!(
                    "Bulk request task failed: {e}"
                )))
            }
            Ok(Ok(result)) => result,
        };
        let outcomes = result.map_err(|e| {
            ConnectError::connect(format!(
                "Bulk request of {} records failed: {e}",
                batch.items.len()
            ))
        })?;
        for ((record, outcome), versioned) in batch
            .records
            .iter()
            .zip(outcomes)
            .zip(batch.versioned.iter().copied())
        {
            self.handle_item(record, outcome, versioned)?;
        }
        Ok(())
    }

    /// One item's result, per `behavior.on.malformed.documents` / `behavior.on.version.conflict`.
    fn handle_item(
        &mut self,
        record: &SinkRecord,
        outcome: ItemOutcome,
        versioned: bool,
    ) -> ConnectResult<()> {
        let place = || {
            format!(
                "{}-{}@{}",
                record.topic,
                record.kafka_partition.unwrap_or(-1),
                record.kafka_offset.unwrap_or(-1)
            )
        };
        match outcome {
            ItemOutcome::Ok => Ok(()),
            // An externally versioned write lost to a document of the same or a newer offset: a replay.
            ItemOutcome::VersionConflict { .. } if versioned => Ok(()),
            ItemOutcome::VersionConflict { reason } => {
                let error = ConnectError::connect(format!(
                    "Version conflict for record {}: {reason}",
                    place()
                ));
                self.apply(
                    self.config.behavior_on_version_conflict,
                    "behavior.on.version.conflict",
                    record,
                    error,
                    false,
                )
            }
            ItemOutcome::Malformed { reason } => {
                let error = ConnectError::data(format!(
                    "Malformed document for record {}: {reason}",
                    place()
                ));
                self.apply(
                    self.config.behavior_on_malformed_documents,
                    "behavior.on.malformed.documents",
                    record,
                    error,
                    true,
                )
            }
            ItemOutcome::Failed { reason } => {
                let error =
                    ConnectError::connect(format!("Indexing record {} failed: {reason}", place()));
                if self.context.has_errant_record_reporter() {
                    self.context.report(record, &error)?;
                }
                Err(error)
            }
        }
    }

    fn apply(
        &self,
        behavior: ItemErrorBehavior,
        key: &str,
        record: &SinkRecord,
        error: ConnectError,
        report_always: bool,
    ) -> ConnectResult<()> {
        let reporter = self.context.has_errant_record_reporter();
        if reporter && (report_always || behavior == ItemErrorBehavior::Report) {
            self.context.report(record, &error)?;
        }
        match behavior {
            ItemErrorBehavior::Ignore | ItemErrorBehavior::Report => Ok(()),
            ItemErrorBehavior::Warn => {
                crate::log_warn!("{error} (ignored, {key}=warn)");
                Ok(())
            }
            ItemErrorBehavior::Fail => Err(ConnectError::connect(format!(
                "{} (set {key} to 'ignore', 'warn' or 'report' to skip such records)",
                error.message()
            ))),
        }
    }
}
