//! Worker settings (Kafka's `WorkerConfig`, `StandaloneConfig`, `RestServerConfig`): declared once, parsed into
//! `WorkerConfig`.

use std::collections::BTreeMap;

use connect_api::config::{
    with_prefix, ConfigDef, ConfigParseError, ConfigType, Importance, ParsedConfig,
};

pub const BOOTSTRAP_SERVERS: &str = "bootstrap.servers";
pub const KEY_CONVERTER: &str = "key.converter";
pub const VALUE_CONVERTER: &str = "value.converter";
pub const HEADER_CONVERTER: &str = "header.converter";
pub const OFFSET_STORAGE_FILE: &str = "offset.storage.file.filename";
pub const OFFSET_FLUSH_INTERVAL_MS: &str = "offset.flush.interval.ms";
pub const OFFSET_FLUSH_TIMEOUT_MS: &str = "offset.flush.timeout.ms";
pub const TASK_SHUTDOWN_TIMEOUT_MS: &str = "task.shutdown.graceful.timeout.ms";
pub const LISTENERS: &str = "listeners";
pub const REST_ADVERTISED_HOST: &str = "rest.advertised.host.name";
pub const REST_ADVERTISED_PORT: &str = "rest.advertised.port";
pub const PLUGIN_PATH: &str = "plugin.path";
pub const CONFIG_PROVIDERS: &str = "config.providers";
pub const CLIENT_ID: &str = "client.id";
pub const TOPIC_CREATION_ENABLE: &str = "topic.creation.enable";

const SIMPLE_HEADER_CONVERTER: &str = "org.apache.kafka.connect.storage.SimpleHeaderConverter";

/// The worker ConfigDef for standalone mode.
pub fn standalone_config_def() -> ConfigDef {
    ConfigDef::new()
        .define(BOOTSTRAP_SERVERS, ConfigType::List, Importance::High, "A list of host/port pairs used to establish the initial connection to the Kafka cluster.")
        .default_value("localhost:9092")
        .define(KEY_CONVERTER, ConfigType::Class, Importance::High, "Converter class used to convert between Kafka Connect format and the serialized form that is written to Kafka (record keys).")
        .define(VALUE_CONVERTER, ConfigType::Class, Importance::High, "Converter class used to convert between Kafka Connect format and the serialized form that is written to Kafka (record values).")
        .define(HEADER_CONVERTER, ConfigType::Class, Importance::Low, "HeaderConverter class used to convert between Kafka Connect format and the serialized form that is written to Kafka (record headers).")
        .default_value(SIMPLE_HEADER_CONVERTER)
        .define(OFFSET_STORAGE_FILE, ConfigType::String, Importance::High, "File to store source connector offsets in.")
        .define(OFFSET_FLUSH_INTERVAL_MS, ConfigType::Long, Importance::Low, "Interval at which to try committing offsets for tasks.")
        .default_value("60000")
        .define(OFFSET_FLUSH_TIMEOUT_MS, ConfigType::Long, Importance::Low, "Maximum number of milliseconds to wait for records to flush and partition offset data to be committed to offset storage before cancelling the process and restoring the offset data to be committed in a future attempt.")
        .default_value("5000")
        .define(TASK_SHUTDOWN_TIMEOUT_MS, ConfigType::Long, Importance::Low, "Amount of time to wait for tasks to shutdown gracefully. This is the total amount of time, not per task.")
        .default_value("5000")
        .define(LISTENERS, ConfigType::List, Importance::Low, "List of comma-separated URIs the REST API will listen on.")
        .default_value("http://:8083")
        .define(REST_ADVERTISED_HOST, ConfigType::String, Importance::Low, "If this is set, this is the hostname that will be given out to other workers to connect to.")
        .default_null()
        .define(REST_ADVERTISED_PORT, ConfigType::Int, Importance::Low, "If this is set, this is the port that will be given out to other workers to connect to.")
        .default_null()
        .define(PLUGIN_PATH, ConfigType::List, Importance::Low, "List of paths separated by commas (,) that contain plugins (connectors, converters, transformations).")
        .default_null()
        .define(CONFIG_PROVIDERS, ConfigType::List, Importance::Low, "Comma-separated names of ConfigProvider classes, loaded and used in the order specified.")
        .default_value("")
        .define(CLIENT_ID, ConfigType::String, Importance::Low, "An id string to pass to the server when making requests.")
        .default_value("")
        .define(TOPIC_CREATION_ENABLE, ConfigType::Boolean, Importance::Low, "Whether to allow automatic creation of topics used by source connectors, when source connectors are configured with `topic.creation.` properties.")
        .default_value("true")
        .add()
}

/// Parsed worker settings.
#[derive(Clone, Debug)]
pub struct WorkerConfig {
    pub raw: BTreeMap<String, String>,
    pub bootstrap_servers: String,
    pub key_converter: String,
    pub value_converter: String,
    pub header_converter: String,
    pub offset_file: String,
    pub offset_flush_interval_ms: u64,
    pub offset_flush_timeout_ms: u64,
    pub task_shutdown_timeout_ms: u64,
    pub listeners: Vec<String>,
    pub advertised_host: Option<String>,
    pub advertised_port: Option<u16>,
    pub plugin_path: Vec<String>,
    pub topic_creation_enable: bool,
}

impl WorkerConfig {
    pub fn standalone(raw: BTreeMap<String, String>) -> Result<WorkerConfig, ConfigParseError> {
        let parsed: ParsedConfig = standalone_config_def().parse(&raw)?;
        let text = |k: &str| parsed.string(k).unwrap_or_default().to_string();
        let millis = |k: &str| parsed.long(k).unwrap_or(0).max(0) as u64;
        Ok(WorkerConfig {
            bootstrap_servers: parsed.list(BOOTSTRAP_SERVERS).join(","),
            key_converter: text(KEY_CONVERTER),
            value_converter: text(VALUE_CONVERTER),
            header_converter: text(HEADER_CONVERTER),
            offset_file: text(OFFSET_STORAGE_FILE),
            offset_flush_interval_ms: millis(OFFSET_FLUSH_INTERVAL_MS),
            offset_flush_timeout_ms: millis(OFFSET_FLUSH_TIMEOUT_MS),
            task_shutdown_timeout_ms: millis(TASK_SHUTDOWN_TIMEOUT_MS),
            listeners: parsed.list(LISTENERS),
            advertised_host: parsed.string(REST_ADVERTISED_HOST).map(str::to_string),
            advertised_port: parsed
                .int(REST_ADVERTISED_PORT)
                .and_then(|p| u16::try_from(p).ok()),
            plugin_path: parsed.list(PLUGIN_PATH),
            topic_creation_enable: parsed.boolean(TOPIC_CREATION_ENABLE).unwrap_or(true),
            raw,
        })
    }

    /// Worker settings under a prefix (`producer.`, `consumer.`, `admin.`, `key.converter.` ...), prefix removed.
    pub fn with_prefix(&self, prefix: &str) -> BTreeMap<String, String> {
        with_prefix(&self.raw, prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_required_keys_follow_kafka() {
        let raw: BTreeMap<String, String> = [
            (
                "key.converter",
                "org.apache.kafka.connect.json.JsonConverter",
            ),
            (
                "value.converter",
                "org.apache.kafka.connect.json.JsonConverter",
            ),
            ("offset.storage.file.filename", "/tmp/o"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let c = WorkerConfig::standalone(raw.clone()).unwrap();
        assert_eq!(c.bootstrap_servers, "localhost:9092");
        assert_eq!(c.offset_flush_interval_ms, 60000);
        assert_eq!(c.listeners, vec!["http://:8083"]);
        assert_eq!(c.header_converter, SIMPLE_HEADER_CONVERTER);
        let mut missing = raw;
        missing.remove("value.converter");
        let err = WorkerConfig::standalone(missing).unwrap_err();
        assert_eq!(
            err.message,
            "Missing required configuration \"value.converter\" which has no default value."
        );
    }
}
