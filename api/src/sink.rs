//! The sink side of the plugin API: `SinkTask` and its context (rewinds, pause/resume, commit requests, errant
//! record reporting).

use std::collections::BTreeMap;

use crate::connector::Config;
use crate::error::{ConnectError, ConnectResult};
use crate::record::{SinkRecord, TopicPartition};

/// Per-partition offsets: the next offset to consume, as Kafka commits them.
pub type PartitionOffsets = BTreeMap<TopicPartition, i64>;

/// What the runtime offers a running sink task (Kafka's `SinkTaskContext`).
pub trait SinkTaskContext: Send + Sync {
    /// Rewinds (or advances) consumption of a partition to `offset`.
    fn offset(&self, partition: &TopicPartition, offset: i64);
    /// After a retriable error, waits this long before redelivering the batch.
    fn timeout(&self, ms: i64);
    fn assignment(&self) -> Vec<TopicPartition>;
    fn pause(&self, partitions: &[TopicPartition]);
    fn resume(&self, partitions: &[TopicPartition]);
    /// Asks for an offset commit soon, instead of waiting for `offset.flush.interval.ms`.
    fn request_commit(&self);
    /// Whether an errant record reporter is configured (a DLQ topic or error logging).
    fn has_errant_record_reporter(&self) -> bool;
    /// Sends one bad record to the DLQ/log per the connector's `errors.*` settings; an error here means the task
    /// must fail (tolerance none).
    fn report(&self, record: &SinkRecord, error: &ConnectError) -> ConnectResult<()>;
}

/// A sink task: receives records from Kafka and writes them to the sink system.
pub trait SinkTask: Send {
    fn start(&mut self, config: &Config, context: Box<dyn SinkTaskContext>) -> ConnectResult<()>;
    fn open(&mut self, _partitions: &[TopicPartition]) -> ConnectResult<()> {
        Ok(())
    }
    fn put(&mut self, records: Vec<SinkRecord>) -> ConnectResult<()>;
    /// `put` for a caller that keeps the batch to redeliver it after a retriable error; the default clones it,
    /// a task that only reads the records (the host side of a plugin) overrides it to avoid the copy.
    fn put_borrowed(&mut self, records: &[SinkRecord]) -> ConnectResult<()> {
        self.put(records.to_vec())
    }
    fn flush(&mut self, _offsets: &PartitionOffsets) -> ConnectResult<()> {
        Ok(())
    }
    /// Which offsets are safe to commit; the default flushes and returns them all.
    fn pre_commit(&mut self, offsets: PartitionOffsets) -> ConnectResult<PartitionOffsets> {
        self.flush(&offsets)?;
        Ok(offsets)
    }
    fn close(&mut self, _partitions: &[TopicPartition]) -> ConnectResult<()> {
        Ok(())
    }
    fn stop(&mut self) -> ConnectResult<()>;
}
