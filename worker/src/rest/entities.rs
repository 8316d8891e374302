//! Kafka Connect's REST entity JSON shapes (`RT/rest/entities/*.java`), field for field.

use std::collections::BTreeMap;

use connect_api::config::{ConfigKey, ConfigValue};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Clone, Debug)]
pub struct ServerInfo {
    pub version: String,
    pub commit: String,
    pub kafka_cluster_id: Option<String>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct ConnectorTaskId {
    pub connector: String,
    pub task: u32,
}

#[derive(Serialize, Clone, Debug)]
pub struct ConnectorInfo {
    pub name: String,
    pub config: BTreeMap<String, String>,
    pub tasks: Vec<ConnectorTaskId>,
    #[serde(rename = "type")]
    pub connector_type: String,
}

#[derive(Serialize, Clone, Debug)]
pub struct ConnectorState {
    pub state: String,
    pub worker_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace: Option<String>,
}

#[derive(Serialize, Clone, Debug)]
pub struct TaskState {
    pub id: u32,
    pub state: String,
    pub worker_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace: Option<String>,
}

#[derive(Serialize, Clone, Debug)]
pub struct ConnectorStateInfo {
    pub name: String,
    pub connector: ConnectorState,
    pub tasks: Vec<TaskState>,
    #[serde(rename = "type")]
    pub connector_type: String,
}

#[derive(Serialize, Clone, Debug)]
pub struct TaskInfo {
    pub id: ConnectorTaskId,
    pub config: BTreeMap<String, String>,
}

#[derive(Serialize, Clone, Debug)]
pub struct PluginInfo {
    pub class: String,
    #[serde(rename = "type")]
    pub plugin_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

#[derive(Serialize, Clone, Debug)]
pub struct ConfigKeyInfo {
    pub name: String,
    #[serde(rename = "type")]
    pub config_type: String,
    pub required: bool,
    pub default_value: Option<String>,
    pub importance: String,
    pub documentation: String,
    pub group: Option<String>,
    pub order: i32,
    pub width: String,
    pub display_name: String,
    pub dependents: Vec<String>,
}

impl From<&ConfigKey> for ConfigKeyInfo {
    fn from(k: &ConfigKey) -> Self {
        ConfigKeyInfo {
            name: k.name.clone(),
            config_type: k.config_type.name().to_string(),
            required: k.required(),
            default_value: k.default_string(),
            importance: k.importance.name().to_string(),
            documentation: k.documentation.clone(),
            group: k.group.clone(),
            order: k.order_in_group,
            width: k.width.name().to_string(),
            display_name: k.display_name.clone(),
            dependents: k.dependents.clone(),
        }
    }
}

#[derive(Serialize, Clone, Debug)]
pub struct ConfigValueInfo {
    pub name: String,
    pub value: Option<String>,
    pub recommended_values: Vec<String>,
    pub errors: Vec<String>,
    pub visible: bool,
}

impl From<ConfigValue> for ConfigValueInfo {
    fn from(v: ConfigValue) -> Self {
        ConfigValueInfo {
            name: v.name,
            value: v.value,
            recommended_values: v.recommended_values,
            errors: v.errors,
            visible: v.visible,
        }
    }
}

#[derive(Serialize, Clone, Debug)]
pub struct ConfigInfo {
    pub definition: Option<ConfigKeyInfo>,
    pub value: Option<ConfigValueInfo>,
}

#[derive(Serialize, Clone, Debug)]
pub struct ConfigInfos {
    pub name: String,
    pub error_count: usize,
    pub groups: Vec<String>,
    pub configs: Vec<ConfigInfo>,
}

impl ConfigInfos {
    /// Every error message, `key: message` per line, as Kafka lists them in a 400.
    pub fn error_lines(&self) -> Vec<String> {
        self.configs
            .iter()
            .filter_map(|c| c.value.as_ref())
            .flat_map(|v| v.errors.iter().map(move |e| format!("{}: {e}", v.name)))
            .collect()
    }
}

/// `POST /connectors` body.
#[derive(Deserialize, Debug)]
pub struct CreateConnectorRequest {
    pub name: Option<String>,
    #[serde(default)]
    pub config: Option<BTreeMap<String, String>>,
    pub initial_state: Option<String>,
}

#[derive(Serialize, Clone, Debug)]
pub struct ErrorMessage {
    pub error_code: u16,
    pub message: String,
}
