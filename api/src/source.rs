//! The source side of the plugin API: `SourceTask`, the context that reads committed offsets, and the transaction
//! context of tasks that define their own transaction boundaries.

use crate::connector::Config;
use crate::error::ConnectResult;
use crate::record::{OffsetMap, RecordMetadata, SourceRecord};

/// What the runtime offers a running source task (Kafka's `SourceTaskContext`).
pub trait SourceTaskContext: Send + Sync {
    /// The last committed offset for a source partition (Kafka's `offsetStorageReader().offset`).
    fn offset(&self, partition: &OffsetMap) -> Option<OffsetMap>;
    /// Kafka's `transactionContext()`: present only when the worker has exactly-once source support enabled and the
    /// connector runs with `transaction.boundary=connector`.
    fn transaction_context(&self) -> Option<&dyn TransactionContext> {
        None
    }
}

/// How a task with connector-defined boundaries ends its producer transactions (Kafka's `TransactionContext`).
/// An aborted transaction's records are dropped, but their source offsets are still committed, as in Kafka, so the
/// task does not read them again. Asking for both a commit and an abort of the same transaction fails the task.
pub trait TransactionContext: Send + Sync {
    /// Commits the transaction once every record of the batch being polled was sent.
    fn commit_transaction(&self);
    /// Commits the transaction right after `record` (one of the polled records, as polled) was sent.
    fn commit_transaction_on(&self, record: &SourceRecord);
    /// Aborts the transaction once every record of the batch being polled was sent.
    fn abort_transaction(&self);
    /// Aborts the transaction right after `record` was sent; `record` is the last one it drops.
    fn abort_transaction_on(&self, record: &SourceRecord);
}

/// A source task: polls records from the source system.
pub trait SourceTask: Send {
    fn start(&mut self, config: &Config, context: Box<dyn SourceTaskContext>) -> ConnectResult<()>;
    /// The next batch; empty when nothing is ready. May block briefly (it runs on its own thread).
    fn poll(&mut self) -> ConnectResult<Vec<SourceRecord>>;
    /// Called after the runtime committed offsets for the records polled so far.
    fn commit(&mut self) -> ConnectResult<()> {
        Ok(())
    }
    /// Whether this task wants [`commit_record`](Self::commit_record) calls. The runtime then keeps each polled
    /// record until Kafka acknowledged it, so it asks once, at start.
    fn commits_records(&self) -> bool {
        false
    }
    /// Kafka's `commitRecord`: `record` (as polled, before transformations) was written where `metadata` says, or,
    /// with `None`, was dropped by a transformation or skipped under `errors.tolerance=all`.
    fn commit_record(
        &mut self,
        _record: &SourceRecord,
        _metadata: Option<&RecordMetadata>,
    ) -> ConnectResult<()> {
        Ok(())
    }
    fn stop(&mut self) -> ConnectResult<()>;
}
