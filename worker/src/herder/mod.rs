//! The control plane behind the REST API: the `Herder` contract, its errors, target states, and connector config
//! validation shared by every mode.

mod standalone;
mod validate;

use connect_api::Config;

use crate::plugins::Plugins;
use crate::rest::entities::{ConfigInfos, ConnectorInfo, ConnectorStateInfo, TaskInfo, TaskState};

pub use standalone::StandaloneHerder;
pub use validate::validate_connector_config;

/// A failed herder request, mapped to Kafka's HTTP status codes by the REST layer.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum HerderError {
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    AlreadyExists(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Internal(String),
}

pub type HerderResult<T> = Result<T, HerderError>;

/// The state a user asked a connector to be in (stored as `target-state-*` in distributed mode).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TargetState {
    Started,
    Paused,
    Stopped,
}

impl TargetState {
    /// Parses `initial_state` of a create request (case-insensitive RUNNING/PAUSED/STOPPED).
    pub fn from_initial_state(s: &str) -> Option<TargetState> {
        match s.trim().to_ascii_uppercase().as_str() {
            "RUNNING" => Some(Self::Started),
            "PAUSED" => Some(Self::Paused),
            "STOPPED" => Some(Self::Stopped),
            _ => None,
        }
    }
}

/// What the REST API asks of the worker's control plane.
pub trait Herder: Send + Sync {
    fn worker_id(&self) -> &str;
    fn kafka_cluster_id(&self) -> Option<String>;
    fn plugins(&self) -> &Plugins;
    fn connectors(&self) -> Vec<String>;
    fn connector_info(&self, name: &str) -> HerderResult<ConnectorInfo>;
    fn connector_config(&self, name: &str) -> HerderResult<Config>;
    /// Creates or replaces a connector; returns whether it was created.
    fn put_connector_config(
        &self,
        name: &str,
        config: Config,
        allow_replace: bool,
        initial_state: Option<TargetState>,
    ) -> HerderResult<(bool, ConnectorInfo)>;
    fn delete_connector(&self, name: &str) -> HerderResult<()>;
    fn connector_status(&self, name: &str) -> HerderResult<ConnectorStateInfo>;
    fn task_status(&self, name: &str, task: u32) -> HerderResult<TaskState>;
    fn task_configs(&self, name: &str) -> HerderResult<Vec<TaskInfo>>;
    fn pause_connector(&self, name: &str) -> HerderResult<()>;
    fn resume_connector(&self, name: &str) -> HerderResult<()>;
    fn stop_connector(&self, name: &str) -> HerderResult<()>;
    /// Restarts the connector (and tasks per the flags); `Some(plan)` when tasks were involved.
    fn restart_connector(
        &self,
        name: &str,
        include_tasks: bool,
        only_failed: bool,
    ) -> HerderResult<Option<ConnectorStateInfo>>;
    fn restart_task(&self, name: &str, task: u32) -> HerderResult<()>;
    fn validate(&self, config: &Config) -> HerderResult<ConfigInfos> {
        validate_connector_config(self.plugins(), config)
    }
    /// Stops every connector and task (graceful shutdown).
    fn shutdown(&self);
}
