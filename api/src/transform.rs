//! Single message transforms and predicates (Kafka's `Transformation` and `Predicate`).

use crate::connector::Config;
use crate::error::ConnectResult;
use crate::record::ConnectRecord;

/// Rewrites one record at a time; returning `None` drops the record.
pub trait Transformation: Send {
    fn configure(&mut self, config: &Config) -> ConnectResult<()>;
    fn apply(&mut self, record: ConnectRecord) -> ConnectResult<Option<ConnectRecord>>;
}

/// Decides whether a transformation applies to a record.
pub trait Predicate: Send {
    fn configure(&mut self, config: &Config) -> ConnectResult<()>;
    fn test(&mut self, record: &ConnectRecord) -> ConnectResult<bool>;
}
