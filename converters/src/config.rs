//! The config key every converter shares (Kafka's `ConverterConfig`) and how a converter parses its config.

use connect_api::config::{ConfigDef, ConfigType, Importance, ParsedConfig};
use connect_api::{Config, ConnectError, ConnectResult};

/// `converter.type`: how the converter is used (`key`, `value` or `header`), set by the worker.
pub const TYPE_CONFIG: &str = "converter.type";
const TYPE_DOC: &str = "How this converter will be used.";

/// The role a converter instance plays (Kafka's `ConverterType`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConverterType {
    Key,
    Value,
    Header,
}

impl ConverterType {
    pub fn name(self) -> &'static str {
        match self {
            Self::Key => "key",
            Self::Value => "value",
            Self::Header => "header",
        }
    }

    pub fn for_key(is_key: bool) -> Self {
        if is_key {
            Self::Key
        } else {
            Self::Value
        }
    }
}

/// Kafka's `ConverterConfig.newConfigDef()`: just `converter.type`, required, one of key/value/header.
pub fn converter_config_def() -> ConfigDef {
    ConfigDef::new()
        .define(TYPE_CONFIG, ConfigType::String, Importance::Low, TYPE_DOC)
        .one_of(&["key", "value", "header"])
        .add()
}

/// Parses `config` against `def` after setting `converter.type` to `role`, as Kafka's `configure(configs, isKey)`.
pub(crate) fn parse(
    def: &ConfigDef,
    config: &Config,
    role: ConverterType,
) -> ConnectResult<ParsedConfig> {
    let mut props = config.clone();
    props.insert(TYPE_CONFIG.to_string(), role.name().to_string());
    def.parse(&props)
        .map_err(|e| ConnectError::config(e.message))
}
