//! Connector-level settings common to every connector (Kafka's `ConnectorConfig`, `SinkConnectorConfig`,
//! `SourceConnectorConfig`), declared once for parsing, validation and `/connector-plugins/.../config`.

use connect_api::config::{ConfigDef, ConfigType, Importance, Validator, Width};
use connect_api::plugin::PluginKind;

pub const NAME: &str = "name";
pub const CONNECTOR_CLASS: &str = "connector.class";
pub const TASKS_MAX: &str = "tasks.max";
pub const KEY_CONVERTER: &str = "key.converter";
pub const VALUE_CONVERTER: &str = "value.converter";
pub const HEADER_CONVERTER: &str = "header.converter";
pub const TRANSFORMS: &str = "transforms";
pub const PREDICATES: &str = "predicates";
pub const ERRORS_RETRY_TIMEOUT: &str = "errors.retry.timeout";
pub const ERRORS_RETRY_DELAY_MAX_MS: &str = "errors.retry.delay.max.ms";
pub const ERRORS_TOLERANCE: &str = "errors.tolerance";
pub const ERRORS_LOG_ENABLE: &str = "errors.log.enable";
pub const ERRORS_LOG_INCLUDE_MESSAGES: &str = "errors.log.include.messages";
pub const TOPICS: &str = "topics";
pub const TOPICS_REGEX: &str = "topics.regex";
pub const TASK_CLASS: &str = "task.class";
pub const TOPIC_CREATION_GROUPS: &str = "topic.creation.groups";
/// A source connector's own offsets topic (KIP-618); distributed mode only.
pub const OFFSETS_STORAGE_TOPIC: &str = "offsets.storage.topic";
/// KIP-618 per-connector settings, used when the worker has `exactly.once.source.support=enabled`.
pub const EXACTLY_ONCE_SUPPORT: &str = "exactly.once.support";
pub const TRANSACTION_BOUNDARY: &str = "transaction.boundary";
pub const TRANSACTION_BOUNDARY_INTERVAL_MS: &str = "transaction.boundary.interval.ms";

const COMMON: &str = "Common";
const TRANSFORMS_GROUP: &str = "Transforms";
const PREDICATES_GROUP: &str = "Predicates";
const ERROR_GROUP: &str = "Error Handling";
const TOPIC_CREATION_GROUP: &str = "Topic Creation";
const EXACTLY_ONCE_GROUP: &str = "Exactly Once Support";
const OFFSETS_TOPIC_GROUP: &str = "offsets.topic";

/// The settings every connector has, in Kafka's group order.
pub fn base_config_def() -> ConfigDef {
    ConfigDef::new()
        .define(NAME, ConfigType::String, Importance::High, "Globally unique name to use for this connector.")
        .validator(Validator::NonEmptyStringWithoutControlChars)
        .group(COMMON, 1)
        .width(Width::Medium)
        .display_name("Connector name")
        .define(CONNECTOR_CLASS, ConfigType::String, Importance::High, "Name or alias of the class for this connector. Must be a subclass of org.apache.kafka.connect.connector.Connector. If the connector is org.apache.kafka.connect.file.FileStreamSinkConnector, you can either specify this full name, or use \"FileStreamSink\" or \"FileStreamSinkConnector\" to make the configuration a bit shorter")
        .group(COMMON, 2)
        .width(Width::Long)
        .display_name("Connector class")
        .define(TASKS_MAX, ConfigType::Int, Importance::High, "Maximum number of tasks to use for this connector.")
        .default_value("1")
        .at_least(1.0)
        .group(COMMON, 3)
        .width(Width::Short)
        .display_name("Tasks max")
        .define(KEY_CONVERTER, ConfigType::Class, Importance::Low, "Converter class used to convert between Kafka Connect format and the serialized form that is written to Kafka. This controls the format of the keys in messages written to or read from Kafka, and since this is independent of connectors it allows any connector to work with any serialization format. Examples of common formats include JSON and Avro.")
        .default_null()
        .group(COMMON, 5)
        .width(Width::Short)
        .display_name("Key converter class")
        .define(VALUE_CONVERTER, ConfigType::Class, Importance::Low, "Converter class used to convert between Kafka Connect format and the serialized form that is written to Kafka. This controls the format of the values in messages written to or read from Kafka, and since this is independent of connectors it allows any connector to work with any serialization format. Examples of common formats include JSON and Avro.")
        .default_null()
        .group(COMMON, 6)
        .width(Width::Short)
        .display_name("Value converter class")
        .define(HEADER_CONVERTER, ConfigType::Class, Importance::Low, "HeaderConverter class used to convert between Kafka Connect format and the serialized form that is written to Kafka. This controls the format of the header values in messages written to or read from Kafka, and since this is independent of connectors it allows any connector to work with any serialization format. Examples of common formats include JSON and Avro. By default, the SimpleHeaderConverter is used to serialize header values to strings and deserialize them by inferring the schemas.")
        .default_null()
        .group(COMMON, 7)
        .width(Width::Short)
        .display_name("Header converter class")
        .define(TRANSFORMS, ConfigType::List, Importance::Low, "Aliases for the transformations to be applied to records.")
        .default_value("")
        .group(TRANSFORMS_GROUP, 1)
        .width(Width::Long)
        .display_name("Transforms")
        .define(PREDICATES, ConfigType::List, Importance::Low, "Aliases for the predicates used by transformations.")
        .default_value("")
        .group(PREDICATES_GROUP, 1)
        .width(Width::Long)
        .display_name("Predicates")
        .define(ERRORS_RETRY_TIMEOUT, ConfigType::Long, Importance::Medium, "The maximum duration in milliseconds that a failed operation will be reattempted. The default is 0, which means no retries will be attempted. Use -1 for infinite retries.")
        .default_value("0")
        .group(ERROR_GROUP, 1)
        .width(Width::Medium)
        .display_name("Retry Timeout for Errors")
        .define(ERRORS_RETRY_DELAY_MAX_MS, ConfigType::Long, Importance::Medium, "The maximum duration in milliseconds between consecutive retry attempts. Jitter will be added to the delay once this limit is reached to prevent thundering herd issues.")
        .default_value("60000")
        .group(ERROR_GROUP, 2)
        .width(Width::Medium)
        .display_name("Maximum Delay Between Retries for Errors")
        .define(ERRORS_TOLERANCE, ConfigType::String, Importance::Medium, "Behavior for tolerating errors during connector operation. 'none' is the default value and signals that any error will result in an immediate connector task failure; 'all' changes the behavior to skip over problematic records.")
        .default_value("none")
        .one_of_ignore_case(&["none", "all"])
        .group(ERROR_GROUP, 3)
        .width(Width::Short)
        .display_name("Error Tolerance")
        .define(ERRORS_LOG_ENABLE, ConfigType::Boolean, Importance::Medium, "If true, write each error and the details of the failed operation and problematic record to the Connect application log. This is 'false' by default, so that only errors that are not tolerated are reported.")
        .default_value("false")
        .group(ERROR_GROUP, 4)
        .width(Width::Short)
        .display_name("Log Errors")
        .define(ERRORS_LOG_INCLUDE_MESSAGES, ConfigType::Boolean, Importance::Medium, "Whether to include in the log the Connect record that resulted in a failure. For sink records, the topic, partition, offset, and timestamp will be logged. For source records, the key and value (and their schemas), all headers, and the timestamp, Kafka topic, Kafka partition, source partition, and source offset will be logged. This is 'false' by default, which will prevent record keys, values, and headers from being written to log files.")
        .default_value("false")
        .group(ERROR_GROUP, 5)
        .width(Width::Short)
        .display_name("Log Error Details")
        .add()
}

/// Sink-only settings.
pub fn sink_config_def() -> ConfigDef {
    base_config_def()
        .define(TOPICS, ConfigType::List, Importance::High, "List of topics to consume, separated by commas")
        .default_value("")
        .group(COMMON, 4)
        .width(Width::Long)
        .display_name("Topics")
        .define(TOPICS_REGEX, ConfigType::String, Importance::High, "Regular expression giving topics to consume. Under the hood, the regex is compiled to a <code>java.util.regex.Pattern</code>. Only one of topics or topics.regex should be specified.")
        .default_value("")
        .group(COMMON, 4)
        .width(Width::Long)
        .display_name("Topics regex")
        .define("errors.deadletterqueue.topic.name", ConfigType::String, Importance::Medium, "The name of the topic to be used as the dead letter queue (DLQ) for messages that result in an error when processed by this sink connector, or its transformations or converters. The topic name is blank by default, which means that no messages are to be recorded in the DLQ.")
        .default_value("")
        .group(ERROR_GROUP, 6)
        .width(Width::Medium)
        .display_name("Dead Letter Queue Topic Name")
        .define("errors.deadletterqueue.topic.replication.factor", ConfigType::Short, Importance::Medium, "Replication factor used to create the dead letter queue topic when it doesn't already exist.")
        .default_value("3")
        .group(ERROR_GROUP, 7)
        .width(Width::Medium)
        .display_name("Dead Letter Queue Topic Replication Factor")
        .define("errors.deadletterqueue.context.headers.enable", ConfigType::Boolean, Importance::Medium, "If true, add headers containing error context to the messages written to the dead letter queue. To avoid clashing with headers from the original record, all error context header keys, all error context header keys will start with <code>__connect.errors.</code>")
        .default_value("false")
        .group(ERROR_GROUP, 8)
        .width(Width::Medium)
        .display_name("Enable Error Context Headers")
        .add()
}

/// Source-only settings (the `topic.creation.<group>.*` keys are checked by `task::topic_creation`).
pub fn source_config_def() -> ConfigDef {
    base_config_def()
        .define(
            TOPIC_CREATION_GROUPS,
            ConfigType::List,
            Importance::Low,
            "Groups of configurations for topics created by source connectors",
        )
        .default_value("")
        .group(TOPIC_CREATION_GROUP, 1)
        .width(Width::Long)
        .display_name("Topic Creation Groups")
        .add()
        .define(
            EXACTLY_ONCE_SUPPORT,
            ConfigType::String,
            Importance::Medium,
            "'requested' or 'required'. With 'required', creating or validating the connector fails unless the worker has exactly-once source support enabled and the connector declares that it can deliver exactly once with this configuration.",
        )
        .default_value("requested")
        .one_of_ignore_case(&["requested", "required"])
        .group(EXACTLY_ONCE_GROUP, 1)
        .width(Width::Short)
        .display_name("Exactly once support")
        .add()
        .define(
            TRANSACTION_BOUNDARY,
            ConfigType::String,
            Importance::Medium,
            "Where the producer transactions of this connector's tasks end, when the worker has exactly-once source support enabled: 'poll' commits one transaction per batch a task returns from poll, 'interval' commits after transaction.boundary.interval.ms, and 'connector' lets the connector decide (only for connectors that can define transaction boundaries).",
        )
        .default_value("poll")
        .one_of_ignore_case(&["poll", "interval", "connector"])
        .group(EXACTLY_ONCE_GROUP, 2)
        .width(Width::Short)
        .display_name("Transaction Boundary")
        .add()
        .define(
            TRANSACTION_BOUNDARY_INTERVAL_MS,
            ConfigType::Long,
            Importance::Low,
            "With transaction.boundary=interval, how often tasks commit their transaction; unset means the worker's offset.flush.interval.ms. Ignored for other boundaries.",
        )
        .default_null()
        .validator(Validator::Range { min: Some(0.0), max: None })
        .group(EXACTLY_ONCE_GROUP, 3)
        .width(Width::Short)
        .display_name("Transaction boundary interval")
        .add()
        .define(
            OFFSETS_STORAGE_TOPIC,
            ConfigType::String,
            Importance::Low,
            "A topic of this connector's own for its source offsets, created when missing; when unset, the worker's offset.storage.topic holds them (reads of partitions not found here fall back to it). Distributed mode only: standalone workers ignore it.",
        )
        .default_null()
        .validator(Validator::NonEmptyString)
        .group(OFFSETS_TOPIC_GROUP, 1)
        .width(Width::Long)
        .display_name("Offsets topic")
        .add()
}

/// The framework's settings for a connector of this kind.
pub fn framework_config_def(kind: PluginKind) -> ConfigDef {
    match kind {
        PluginKind::Sink => sink_config_def(),
        PluginKind::Source => source_config_def(),
        _ => base_config_def(),
    }
}
