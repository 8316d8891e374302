//! The FileStreamSink ConfigDef (`file`; `topics`/`topics.regex` are the worker's) and its typed form.

use connect_api::config::{ConfigDef, ConfigType, Importance};
use connect_api::{Config, ConnectError, ConnectResult};

pub const FILE_CONFIG: &str = "file";

/// Kafka's `FileStreamSinkConnector.CONFIG_DEF`.
pub fn config_def() -> ConfigDef {
    ConfigDef::new()
        .define(
            FILE_CONFIG,
            ConfigType::String,
            Importance::High,
            "Destination filename. If not specified, the standard output will be used",
        )
        .default_null()
        .add()
}

/// A parsed sink config.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SinkConfig {
    /// The file to append to; None (unset or empty) means standard output.
    pub file: Option<String>,
}

impl SinkConfig {
    pub fn parse(props: &Config) -> ConnectResult<SinkConfig> {
        let parsed = config_def()
            .parse(props)
            .map_err(|e| ConnectError::config(e.message))?;
        let file = parsed
            .string(FILE_CONFIG)
            .filter(|f| !f.is_empty())
            .map(str::to_string);
        Ok(SinkConfig { file })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_is_optional() {
        assert_eq!(
            SinkConfig::parse(&Config::new()).unwrap(),
            SinkConfig { file: None }
        );
        let props: Config = [("file".to_string(), " out.txt ".to_string())].into();
        assert_eq!(
            SinkConfig::parse(&props).unwrap().file.as_deref(),
            Some("out.txt")
        );
        assert!(config_def()
            .validate(&Config::new())
            .iter()
            .all(|v| v.errors.is_empty()));
    }
}
