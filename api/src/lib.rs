//! connect-api: the contract every Connect plugin compiles against (the Rust counterpart of Kafka's connect-api):
//! the data model, records and headers, the connector/task/converter/transform traits, ConfigDef, and the stable
//! plugin ABI with the macro a plugin crate uses to export itself.

pub mod abi;
pub mod config;
pub mod connector;
pub mod converter;
pub mod data;
pub mod error;
pub mod header;
pub mod plugin;
pub mod record;
pub mod sink;
pub mod source;
pub mod transform;

pub use connector::{Config, Connector, ConnectorContext, ExactlyOnceSupport};
pub use error::{ConnectError, ConnectResult};
pub use record::{
    ConnectRecord, OffsetMap, RecordMetadata, SinkRecord, SourceRecord, TopicPartition,
};
pub use sink::{SinkTask, SinkTaskContext};
pub use source::{SourceTask, SourceTaskContext, TransactionContext};
