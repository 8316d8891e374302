//! Worker settings (Kafka's `WorkerConfig`, `StandaloneConfig`, `RestServerConfig`): declared once, parsed into
//! `WorkerConfig`.

use std::collections::BTreeMap;

use connect_api::config::{
    with_prefix, ConfigDef, ConfigParseError, ConfigType, Importance, ParsedConfig,
};

use super::override_policy::{self, OverridePolicy};

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
pub const TOPIC_TRACKING_ENABLE: &str = "topic.tracking.enable";
pub const TOPIC_TRACKING_ALLOW_RESET: &str = "topic.tracking.allow.reset";
pub const CLIENT_CONFIG_OVERRIDE_POLICY: &str = "connector.client.config.override.policy";
pub const REST_EXTENSION_CLASSES: &str = "rest.extension.classes";
// REST server and client TLS (each may also be given with the `listeners.https.` prefix; see `rest::tls`).
pub const SSL_KEYSTORE_TYPE: &str = "ssl.keystore.type";
pub const SSL_KEYSTORE_LOCATION: &str = "ssl.keystore.location";
pub const SSL_KEYSTORE_PASSWORD: &str = "ssl.keystore.password";
pub const SSL_KEYSTORE_CERTIFICATE_CHAIN: &str = "ssl.keystore.certificate.chain";
pub const SSL_KEYSTORE_KEY: &str = "ssl.keystore.key";
pub const SSL_KEY_PASSWORD: &str = "ssl.key.password";
pub const SSL_TRUSTSTORE_TYPE: &str = "ssl.truststore.type";
pub const SSL_TRUSTSTORE_LOCATION: &str = "ssl.truststore.location";
pub const SSL_TRUSTSTORE_PASSWORD: &str = "ssl.truststore.password";
pub const SSL_TRUSTSTORE_CERTIFICATES: &str = "ssl.truststore.certificates";
pub const SSL_CLIENT_AUTH: &str = "ssl.client.auth";
/// Kafka's default key and trust store type; only PEM is supported here.
pub const DEFAULT_STORE_TYPE: &str = "JKS";

pub const GROUP_ID: &str = "group.id";
pub const CONFIG_STORAGE_TOPIC: &str = "config.storage.topic";
pub const CONFIG_STORAGE_REPLICATION_FACTOR: &str = "config.storage.replication.factor";
pub const OFFSET_STORAGE_TOPIC: &str = "offset.storage.topic";
pub const OFFSET_STORAGE_PARTITIONS: &str = "offset.storage.partitions";
pub const OFFSET_STORAGE_REPLICATION_FACTOR: &str = "offset.storage.replication.factor";
pub const STATUS_STORAGE_TOPIC: &str = "status.storage.topic";
pub const STATUS_STORAGE_PARTITIONS: &str = "status.storage.partitions";
pub const STATUS_STORAGE_REPLICATION_FACTOR: &str = "status.storage.replication.factor";
pub const CONNECT_PROTOCOL: &str = "connect.protocol";
pub const SESSION_TIMEOUT_MS: &str = "session.timeout.ms";
pub const HEARTBEAT_INTERVAL_MS: &str = "heartbeat.interval.ms";
pub const REBALANCE_TIMEOUT_MS: &str = "rebalance.timeout.ms";
pub const SCHEDULED_REBALANCE_MAX_DELAY_MS: &str = "scheduled.rebalance.max.delay.ms";
pub const WORKER_SYNC_TIMEOUT_MS: &str = "worker.sync.timeout.ms";
pub const WORKER_UNSYNC_BACKOFF_MS: &str = "worker.unsync.backoff.ms";
pub const INTER_WORKER_KEY_GENERATION_ALGORITHM: &str = "inter.worker.key.generation.algorithm";
pub const INTER_WORKER_KEY_SIZE: &str = "inter.worker.key.size";
pub const INTER_WORKER_KEY_TTL_MS: &str = "inter.worker.key.ttl.ms";
pub const INTER_WORKER_SIGNATURE_ALGORITHM: &str = "inter.worker.signature.algorithm";
pub const INTER_WORKER_VERIFICATION_ALGORITHMS: &str = "inter.worker.verification.algorithms";
/// KIP-618: `disabled`, `preparing` or `enabled`.
pub const EXACTLY_ONCE_SOURCE_SUPPORT: &str = "exactly.once.source.support";

const SIMPLE_HEADER_CONVERTER: &str = "org.apache.kafka.connect.storage.SimpleHeaderConverter";

/// The worker ConfigDef for standalone mode.
pub fn standalone_config_def() -> ConfigDef {
    common_config_def()
        .define(
            OFFSET_STORAGE_FILE,
            ConfigType::String,
            Importance::High,
            "File to store source connector offsets in.",
        )
        .add()
}

/// The worker ConfigDef for distributed mode (Kafka's `DistributedConfig`).
pub fn distributed_config_def() -> ConfigDef {
    common_config_def()
        .define(GROUP_ID, ConfigType::String, Importance::High, "A unique string that identifies the Connect cluster group this worker belongs to.")
        .define(CONFIG_STORAGE_TOPIC, ConfigType::String, Importance::High, "The name of the Kafka topic where connector configurations are stored")
        .define(CONFIG_STORAGE_REPLICATION_FACTOR, ConfigType::Short, Importance::Low, "Replication factor used when creating the configuration storage topic")
        .default_value("3")
        .define(OFFSET_STORAGE_TOPIC, ConfigType::String, Importance::High, "The name of the Kafka topic where source connector offsets are stored")
        .define(OFFSET_STORAGE_PARTITIONS, ConfigType::Int, Importance::Low, "The number of partitions used when creating the offset storage topic")
        .default_value("25")
        .define(OFFSET_STORAGE_REPLICATION_FACTOR, ConfigType::Short, Importance::Low, "Replication factor used when creating the offset storage topic")
        .default_value("3")
        .define(STATUS_STORAGE_TOPIC, ConfigType::String, Importance::High, "The name of the Kafka topic where connector and task status are stored")
        .define(STATUS_STORAGE_PARTITIONS, ConfigType::Int, Importance::Low, "The number of partitions used when creating the status storage topic")
        .default_value("5")
        .define(STATUS_STORAGE_REPLICATION_FACTOR, ConfigType::Short, Importance::Low, "Replication factor used when creating the status storage topic")
        .default_value("3")
        .define(CONNECT_PROTOCOL, ConfigType::String, Importance::Low, "Compatibility mode for Kafka Connect Protocol")
        .default_value("sessioned")
        .one_of_ignore_case(&["eager", "compatible", "sessioned"])
        .define(SESSION_TIMEOUT_MS, ConfigType::Int, Importance::High, "The timeout used to detect worker failures.")
        .default_value("10000")
        .define(HEARTBEAT_INTERVAL_MS, ConfigType::Int, Importance::High, "The expected time between heartbeats to the group coordinator when using Kafka's group management facilities.")
        .default_value("3000")
        .define(REBALANCE_TIMEOUT_MS, ConfigType::Int, Importance::High, "The maximum allowed time for each worker to join the group once a rebalance has begun.")
        .default_value("60000")
        .define(SCHEDULED_REBALANCE_MAX_DELAY_MS, ConfigType::Int, Importance::Low, "The maximum delay that is scheduled in order to wait for the return of one or more departed workers before rebalancing and reassigning their connectors and tasks to the group.")
        .default_value("300000")
        .define(WORKER_SYNC_TIMEOUT_MS, ConfigType::Int, Importance::Medium, "When the worker is out of sync with other workers and needs to resynchronize configurations, wait up to this amount of time before giving up, leaving the group, and waiting a backoff period before rejoining.")
        .default_value("3000")
        .define(WORKER_UNSYNC_BACKOFF_MS, ConfigType::Int, Importance::Medium, "When the worker is out of sync with other workers and fails to catch up within worker.sync.timeout.ms, leave the Connect cluster for this long before rejoining.")
        .default_value("300000")
        .define(INTER_WORKER_KEY_GENERATION_ALGORITHM, ConfigType::String, Importance::Low, "The algorithm to use for generating internal request keys. Only HmacSHA256 is supported by this worker.")
        .default_value("HmacSHA256")
        .one_of(&["HmacSHA256"])
        .define(INTER_WORKER_KEY_SIZE, ConfigType::Int, Importance::Low, "The size of the key to use for signing internal requests, in bits. If null, the default key size for the key generation algorithm will be used.")
        .default_null()
        .define(INTER_WORKER_KEY_TTL_MS, ConfigType::Int, Importance::Low, "The TTL of generated session keys used for internal request validation (in milliseconds)")
        .default_value("3600000")
        .define(INTER_WORKER_SIGNATURE_ALGORITHM, ConfigType::String, Importance::Low, "The algorithm used to sign internal requests. Only HmacSHA256 is supported by this worker.")
        .default_value("HmacSHA256")
        .one_of(&["HmacSHA256"])
        .define(INTER_WORKER_VERIFICATION_ALGORITHMS, ConfigType::List, Importance::Low, "A list of permitted algorithms for verifying internal requests, which must include the algorithm used for the inter.worker.signature.algorithm property.")
        .default_value("HmacSHA256")
        .define(EXACTLY_ONCE_SOURCE_SUPPORT, ConfigType::String, Importance::High, "Whether source tasks run with exactly-once delivery: with 'enabled', each task writes its records and their source offsets in Kafka transactions, and the leader fences out producers of older task generations before new tasks start. 'preparing' is the step of a rolling upgrade before every worker has it: the leader already writes the config topic through a transactional producer, tasks do not use transactions yet.")
        .default_value("disabled")
        .one_of_ignore_case(&["disabled", "preparing", "enabled"])
        .add()
}

/// Settings both modes share.
fn common_config_def() -> ConfigDef {
    ConfigDef::new()
        .define(BOOTSTRAP_SERVERS, ConfigType::List, Importance::High, "A list of host/port pairs used to establish the initial connection to the Kafka cluster.")
        .default_value("localhost:9092")
        .define(KEY_CONVERTER, ConfigType::Class, Importance::High, "Converter class used to convert between Kafka Connect format and the serialized form that is written to Kafka (record keys).")
        .define(VALUE_CONVERTER, ConfigType::Class, Importance::High, "Converter class used to convert between Kafka Connect format and the serialized form that is written to Kafka (record values).")
        .define(HEADER_CONVERTER, ConfigType::Class, Importance::Low, "HeaderConverter class used to convert between Kafka Connect format and the serialized form that is written to Kafka (record headers).")
        .default_value(SIMPLE_HEADER_CONVERTER)
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
        .define(TOPIC_TRACKING_ENABLE, ConfigType::Boolean, Importance::Low, "Enable tracking the set of active topics per connector during runtime.")
        .default_value("true")
        .define(TOPIC_TRACKING_ALLOW_RESET, ConfigType::Boolean, Importance::Low, "If set to true, it allows user requests to reset the set of active topics per connector.")
        .default_value("true")
        .define(CLIENT_CONFIG_OVERRIDE_POLICY, ConfigType::String, Importance::Medium, "Class name or alias of implementation of ConnectorClientConfigOverridePolicy. Defines what client configurations can be overridden by the connector. The default implementation is 'All', meaning connector configurations can override all client properties. The other possible policies in the framework include 'None' to disallow connectors from overriding client properties, and 'Principal' to allow connectors to override only client principals.")
        .default_value("All")
        .one_of(override_policy::POLICY_NAMES)
        .define(REST_EXTENSION_CLASSES, ConfigType::List, Importance::Low, "Comma-separated names of ConnectRestExtension classes. Only org.apache.kafka.connect.rest.basic.auth.extension.BasicAuthSecurityRestExtension is supported (HTTP basic authentication, JAAS file from -Djava.security.auth.login.config in KAFKA_OPTS); others are logged and ignored.")
        .default_value("")
        .define(SSL_KEYSTORE_TYPE, ConfigType::String, Importance::Medium, "The file format of the key store file of https listeners. Only PEM is supported.")
        .default_value(DEFAULT_STORE_TYPE)
        .define(SSL_KEYSTORE_LOCATION, ConfigType::String, Importance::High, "The location of the key store file of https listeners: a PEM file holding the private key and the certificate chain.")
        .default_null()
        .define(SSL_KEYSTORE_PASSWORD, ConfigType::Password, Importance::High, "The store password for the key store file. Not used with PEM key stores.")
        .default_null()
        .define(SSL_KEYSTORE_CERTIFICATE_CHAIN, ConfigType::Password, Importance::High, "Certificate chain in PEM format, given inline instead of ssl.keystore.location.")
        .default_null()
        .define(SSL_KEYSTORE_KEY, ConfigType::Password, Importance::High, "Private key in PEM format (unencrypted PKCS#8, PKCS#1 or SEC1), given inline instead of ssl.keystore.location.")
        .default_null()
        .define(SSL_KEY_PASSWORD, ConfigType::Password, Importance::High, "The password of the private key. Encrypted PEM keys are not supported: decrypt the key instead.")
        .default_null()
        .define(SSL_TRUSTSTORE_TYPE, ConfigType::String, Importance::Medium, "The file format of the trust store file the worker's REST client uses. Only PEM is supported.")
        .default_value(DEFAULT_STORE_TYPE)
        .define(SSL_TRUSTSTORE_LOCATION, ConfigType::String, Importance::High, "The location of the trust store file (PEM certificates) the worker's REST client trusts for https peers; the built-in Mozilla roots if unset.")
        .default_null()
        .define(SSL_TRUSTSTORE_PASSWORD, ConfigType::Password, Importance::High, "The password for the trust store file. Not used with PEM trust stores.")
        .default_null()
        .define(SSL_TRUSTSTORE_CERTIFICATES, ConfigType::Password, Importance::High, "Trusted certificates in PEM format, given inline instead of ssl.truststore.location.")
        .default_null()
        .define(SSL_CLIENT_AUTH, ConfigType::String, Importance::Low, "Whether https listeners request client certificates. Only none is supported.")
        .default_value("none")
        .one_of_ignore_case(&["none", "requested", "required"])
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
    pub topic_tracking_enable: bool,
    pub topic_tracking_allow_reset: bool,
    pub client_override_policy: OverridePolicy,
    pub rest_extension_classes: Vec<String>,
}

/// Distributed mode's settings beyond [`WorkerConfig`].
#[derive(Clone, Debug)]
pub struct DistributedConfig {
    pub group_id: String,
    pub config_topic: String,
    pub config_replication_factor: i32,
    pub offset_topic: String,
    pub offset_partitions: i32,
    pub offset_replication_factor: i32,
    pub status_topic: String,
    pub status_partitions: i32,
    pub status_replication_factor: i32,
    /// `eager`, `compatible` or `sessioned` (lower case).
    pub connect_protocol: String,
    pub session_timeout_ms: i32,
    pub heartbeat_interval_ms: i32,
    pub rebalance_timeout_ms: i32,
    pub scheduled_rebalance_max_delay_ms: i32,
    pub worker_sync_timeout_ms: i32,
    pub worker_unsync_backoff_ms: i32,
    /// Session key size in bytes (`inter.worker.key.size` / 8; 32 by default).
    pub inter_worker_key_bytes: usize,
    pub inter_worker_key_ttl_ms: i64,
    pub inter_worker_verification_algorithms: Vec<String>,
    /// `exactly.once.source.support` is `enabled`: source tasks use transactions (KIP-618).
    pub exactly_once_source: bool,
    /// `exactly.once.source.support` is `preparing` or `enabled`: the leader writes the config topic through a
    /// transactional producer that fences out an older leader's writes.
    pub transactional_leader: bool,
}

impl DistributedConfig {
    /// Extra topic settings for an internal topic: `<prefix>.*` minus `topic`, `partitions` and
    /// `replication.factor` (Kafka passes the rest on to topic creation).
    pub fn topic_settings(
        raw: &BTreeMap<String, String>,
        prefix: &str,
    ) -> BTreeMap<String, String> {
        let mut settings = with_prefix(raw, &format!("{prefix}."));
        for k in ["topic", "partitions", "replication.factor"] {
            settings.remove(k);
        }
        settings
    }
}

impl WorkerConfig {
    pub fn standalone(raw: BTreeMap<String, String>) -> Result<WorkerConfig, ConfigParseError> {
        let parsed: ParsedConfig = standalone_config_def().parse(&raw)?;
        Ok(Self::from_parsed(&parsed, raw))
    }

    /// Parses a distributed worker's properties.
    pub fn distributed(
        raw: BTreeMap<String, String>,
    ) -> Result<(WorkerConfig, DistributedConfig), ConfigParseError> {
        let parsed: ParsedConfig = distributed_config_def().parse(&raw)?;
        let text = |k: &str| parsed.string(k).unwrap_or_default().to_string();
        let int = |k: &str| parsed.int(k).unwrap_or(0);
        let dist = DistributedConfig {
            group_id: text(GROUP_ID),
            config_topic: text(CONFIG_STORAGE_TOPIC),
            config_replication_factor: int(CONFIG_STORAGE_REPLICATION_FACTOR),
            offset_topic: text(OFFSET_STORAGE_TOPIC),
            offset_partitions: int(OFFSET_STORAGE_PARTITIONS),
            offset_replication_factor: int(OFFSET_STORAGE_REPLICATION_FACTOR),
            status_topic: text(STATUS_STORAGE_TOPIC),
            status_partitions: int(STATUS_STORAGE_PARTITIONS),
            status_replication_factor: int(STATUS_STORAGE_REPLICATION_FACTOR),
            connect_protocol: text(CONNECT_PROTOCOL).to_ascii_lowercase(),
            session_timeout_ms: int(SESSION_TIMEOUT_MS),
            heartbeat_interval_ms: int(HEARTBEAT_INTERVAL_MS),
            rebalance_timeout_ms: int(REBALANCE_TIMEOUT_MS),
            scheduled_rebalance_max_delay_ms: int(SCHEDULED_REBALANCE_MAX_DELAY_MS),
            worker_sync_timeout_ms: int(WORKER_SYNC_TIMEOUT_MS),
            worker_unsync_backoff_ms: int(WORKER_UNSYNC_BACKOFF_MS),
            inter_worker_key_bytes: parsed
                .int(INTER_WORKER_KEY_SIZE)
                .map_or(32, |bits| (bits.max(8) / 8) as usize),
            inter_worker_key_ttl_ms: i64::from(int(INTER_WORKER_KEY_TTL_MS).max(1)),
            inter_worker_verification_algorithms: parsed.list(INTER_WORKER_VERIFICATION_ALGORITHMS),
            exactly_once_source: text(EXACTLY_ONCE_SOURCE_SUPPORT).eq_ignore_ascii_case("enabled"),
            transactional_leader: !text(EXACTLY_ONCE_SOURCE_SUPPORT)
                .eq_ignore_ascii_case("disabled"),
        };
        Ok((Self::from_parsed(&parsed, raw), dist))
    }

    fn from_parsed(parsed: &ParsedConfig, raw: BTreeMap<String, String>) -> WorkerConfig {
        let text = |k: &str| parsed.string(k).unwrap_or_default().to_string();
        let millis = |k: &str| parsed.long(k).unwrap_or(0).max(0) as u64;
        WorkerConfig {
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
            topic_tracking_enable: parsed.boolean(TOPIC_TRACKING_ENABLE).unwrap_or(true),
            topic_tracking_allow_reset: parsed.boolean(TOPIC_TRACKING_ALLOW_RESET).unwrap_or(true),
            client_override_policy: OverridePolicy::from_setting(
                parsed.string(CLIENT_CONFIG_OVERRIDE_POLICY),
            ),
            rest_extension_classes: parsed.list(REST_EXTENSION_CLASSES),
            raw,
        }
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

    #[test]
    fn distributed_settings_have_kafkas_defaults() {
        let raw: BTreeMap<String, String> = [
            ("key.converter", "x"),
            ("value.converter", "x"),
            ("group.id", "connect-cluster"),
            ("config.storage.topic", "c"),
            ("offset.storage.topic", "o"),
            ("status.storage.topic", "s"),
            ("connect.protocol", "EAGER"),
            ("offset.storage.cleanup.policy", "delete"),
            ("offset.storage.segment.ms", "1000"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let (worker, d) = WorkerConfig::distributed(raw.clone()).unwrap();
        assert_eq!(worker.offset_file, "");
        assert_eq!(d.group_id, "connect-cluster");
        assert_eq!(
            (
                d.offset_partitions,
                d.status_partitions,
                d.config_replication_factor
            ),
            (25, 5, 3)
        );
        assert_eq!(d.connect_protocol, "eager");
        assert_eq!(
            (
                d.session_timeout_ms,
                d.heartbeat_interval_ms,
                d.scheduled_rebalance_max_delay_ms
            ),
            (10000, 3000, 300000)
        );
        let settings = DistributedConfig::topic_settings(&raw, "offset.storage");
        assert_eq!(settings.get("segment.ms").map(String::as_str), Some("1000"));
        assert!(!settings.contains_key("topic") && !settings.contains_key("partitions"));
        let mut missing = raw;
        missing.remove("group.id");
        assert!(WorkerConfig::distributed(missing).is_err());
    }
}
