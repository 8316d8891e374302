//! The source side of the plugin API: `SourceTask` and the context that reads committed offsets.

use crate::connector::Config;
use crate::error::ConnectResult;
use crate::record::{OffsetMap, RecordMetadata, SourceRecord};

/// What the runtime offers a running source task (Kafka's `SourceTaskContext`).
pub trait SourceTaskContext: Send + Sync {
    /// The last committed offset for a source partition (Kafka's `offsetStorageReader().offset`).
    fn offset(&self, partition: &OffsetMap) -> Option<OffsetMap>;
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
