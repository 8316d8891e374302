//! The Connector trait (Kafka's `Connector`, `SourceConnector`, `SinkConnector`) and its context.

use std::collections::BTreeMap;

use crate::config::{ConfigDef, ConfigValue};
use crate::error::ConnectResult;

/// A connector or task configuration: string keys and values, as Kafka passes them.
pub type Config = BTreeMap<String, String>;

/// What a connector lets the runtime know between calls (Kafka's `ConnectorContext`).
pub trait ConnectorContext: Send + Sync {
    /// Asks the runtime to call `task_configs` again and restart tasks whose config changed.
    fn request_task_reconfiguration(&self);
    /// Fails the connector with this error from a background thread.
    fn raise_error(&self, message: &str);
}

/// What a source connector says of exactly-once delivery with a given config (Kafka's `ExactlyOnceSupport`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExactlyOnceSupport {
    Supported,
    Unsupported,
}

/// A connector: validates its config, splits work into task configs, and watches the source or sink system.
pub trait Connector: Send {
    /// Called once with the connector's config before anything else.
    fn start(&mut self, config: &Config, context: Box<dyn ConnectorContext>) -> ConnectResult<()>;
    /// Up to `max_tasks` task configs; each becomes one task.
    fn task_configs(&mut self, max_tasks: usize) -> ConnectResult<Vec<Config>>;
    fn stop(&mut self) -> ConnectResult<()>;
    /// Per-key validation; the default checks the plugin's ConfigDef.
    fn validate(&self, config: &Config, def: &ConfigDef) -> Vec<ConfigValue> {
        def.validate(config)
    }
    /// Source connectors: whether exactly-once delivery works with `config` (Kafka's `exactlyOnceSupport`).
    /// `None`, the default, says nothing: `exactly.once.support=required` is then refused at validation.
    fn exactly_once_support(&self, _config: &Config) -> Option<ExactlyOnceSupport> {
        None
    }
    /// Source connectors: whether tasks define their own transaction boundaries with `config` through
    /// [`TransactionContext`](crate::source::TransactionContext) (Kafka's `canDefineTransactionBoundaries`);
    /// `transaction.boundary=connector` is refused unless this says yes.
    fn can_define_transaction_boundaries(&self, _config: &Config) -> bool {
        false
    }
}
