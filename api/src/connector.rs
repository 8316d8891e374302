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
}
