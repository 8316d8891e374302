//! The OpenSearch sink's ConfigDef (Aiven's `OpenSearchSinkConnectorConfig` keys and defaults, for what this
//! connector supports) and its typed, validated form.

use std::collections::HashSet;
use std::time::Duration;

use connect_api::config::{ConfigDef, ConfigType, Importance, ParsedConfig, Validator};
use connect_api::{Config, ConnectError, ConnectResult};

pub const CONNECTION_URL: &str = "connection.url";
pub const CONNECTION_USERNAME: &str = "connection.username";
pub const CONNECTION_PASSWORD: &str = "connection.password";
pub const CONNECTION_TIMEOUT_MS: &str = "connection.timeout.ms";
pub const READ_TIMEOUT_MS: &str = "read.timeout.ms";
pub const TRUST_ALL_CERTIFICATES: &str = "connection.trust.all.certificates";
pub const BATCH_SIZE: &str = "batch.size";
pub const MAX_IN_FLIGHT_REQUESTS: &str = "max.in.flight.requests";
pub const MAX_BUFFERED_RECORDS: &str = "max.buffered.records";
pub const LINGER_MS: &str = "linger.ms";
pub const FLUSH_TIMEOUT_MS: &str = "flush.timeout.ms";
pub const MAX_RETRIES: &str = "max.retries";
pub const RETRY_BACKOFF_MS: &str = "retry.backoff.ms";
pub const KEY_IGNORE: &str = "key.ignore";
pub const KEY_IGNORE_ID_STRATEGY: &str = "key.ignore.id.strategy";
pub const TOPIC_KEY_IGNORE: &str = "topic.key.ignore";
pub const SCHEMA_IGNORE: &str = "schema.ignore";
pub const TOPIC_SCHEMA_IGNORE: &str = "topic.schema.ignore";
pub const COMPACT_MAP_ENTRIES: &str = "compact.map.entries";
pub const DROP_INVALID_MESSAGE: &str = "drop.invalid.message";
pub const BEHAVIOR_ON_NULL_VALUES: &str = "behavior.on.null.values";
pub const BEHAVIOR_ON_MALFORMED_DOCUMENTS: &str = "behavior.on.malformed.documents";
pub const BEHAVIOR_ON_VERSION_CONFLICT: &str = "behavior.on.version.conflict";
pub const INDEX_WRITE_METHOD: &str = "index.write.method";
pub const DATA_STREAM_ENABLED: &str = "data.stream.enabled";
pub const DATA_STREAM_PREFIX: &str = "data.stream.prefix";
pub const DATA_STREAM_TIMESTAMP_FIELD: &str = "data.stream.timestamp.field";
/// The timestamp field the connector fills from the record timestamp when a document lacks it.
pub const DEFAULT_TIMESTAMP_FIELD: &str = "@timestamp";
pub const TRUSTSTORE_LOCATION: &str = "connection.ssl.truststore.location";
pub const TRUSTSTORE_TYPE: &str = "connection.ssl.truststore.type";
pub const TRUSTSTORE_PASSWORD: &str = "connection.ssl.truststore.password";
pub const KEYSTORE_LOCATION: &str = "connection.ssl.keystore.location";
pub const KEYSTORE_TYPE: &str = "connection.ssl.keystore.type";
pub const KEYSTORE_PASSWORD: &str = "connection.ssl.keystore.password";
pub const KEY_PASSWORD: &str = "connection.ssl.key.password";
pub const ENDPOINT_IDENTIFICATION_ALGORITHM: &str =
    "connection.ssl.endpoint.identification.algorithm";

const CONNECTOR_GROUP: &str = "Connector";
const DATA_GROUP: &str = "Data Conversion";
const DATA_STREAM_GROUP: &str = "Data Stream";
const TLS_GROUP: &str = "TLS Configuration for HTTPS";

/// Aiven's `OpenSearchSinkConnectorConfig.CONFIG` for the keys this connector implements.
pub fn config_def() -> ConfigDef {
    let mut order = 0;
    let mut next = || {
        order += 1;
        order
    };
    ConfigDef::new()
        .define(CONNECTION_URL, ConfigType::List, Importance::High,
            "List of OpenSearch HTTP connection URLs e.g. ``http://eshost1:9200,http://eshost2:9200``.")
        .group(CONNECTOR_GROUP, next()).display_name("Connection URLs")
        .define(CONNECTION_USERNAME, ConfigType::String, Importance::Medium,
            "The username used to authenticate with OpenSearch. The default is the null, and authentication will only be performed if both the username and password are non-null.")
        .default_null().group(CONNECTOR_GROUP, next()).display_name("Connection Username")
        .define(CONNECTION_PASSWORD, ConfigType::Password, Importance::Medium,
            "The password used to authenticate with OpenSearch. The default is the null, and authentication will only be performed if both the username and password are non-null.")
        .default_null().group(CONNECTOR_GROUP, next()).display_name("Connection Password")
        .define(TRUST_ALL_CERTIFICATES, ConfigType::Boolean, Importance::Low,
            "Trust all certificates of https connection URLs (do not validate them).")
        .default_value("false").group(CONNECTOR_GROUP, next()).display_name("Trust all certificates")
        .define(BATCH_SIZE, ConfigType::Int, Importance::Medium,
            "The number of records to process as a batch when writing to OpenSearch.")
        .default_value("2000").at_least(1.0).group(CONNECTOR_GROUP, next()).display_name("Batch Size")
        .define(MAX_IN_FLIGHT_REQUESTS, ConfigType::Int, Importance::Medium,
            "The maximum number of indexing requests that can be in-flight to OpenSearch before blocking further requests.")
        .default_value("5").at_least(1.0).group(CONNECTOR_GROUP, next()).display_name("Max In-flight Requests")
        .define(MAX_BUFFERED_RECORDS, ConfigType::Int, Importance::Low,
            "The maximum number of records each task will buffer before blocking acceptance of more records. This config can be used to limit the memory usage for each task.")
        .default_value("20000").at_least(1.0).group(CONNECTOR_GROUP, next()).display_name("Max Buffered Records")
        .define(LINGER_MS, ConfigType::Long, Importance::Low,
            "Linger time in milliseconds for batching.")
        .default_value("1").between(0.0, 604_800_000.0).group(CONNECTOR_GROUP, next()).display_name("Linger (ms)")
        .define(FLUSH_TIMEOUT_MS, ConfigType::Long, Importance::Low,
            "The timeout in milliseconds to use for periodic flushing, and when waiting for buffer space to be made available by completed requests as records are added. If this timeout is exceeded the task will fail.")
        .default_value("10000").at_least(1000.0).group(CONNECTOR_GROUP, next()).display_name("Flush Timeout (ms)")
        .define(MAX_RETRIES, ConfigType::Int, Importance::Low,
            "The maximum number of retries that are allowed for failed indexing requests. If the retry attempts are exhausted the task will fail.")
        .default_value("5").at_least(0.0).group(CONNECTOR_GROUP, next()).display_name("Max Retries")
        .define(RETRY_BACKOFF_MS, ConfigType::Long, Importance::Low,
            "How long to wait in milliseconds before attempting the first retry of a failed indexing request. This connector uses exponential backoff with jitter.")
        .default_value("100").at_least(0.0).group(CONNECTOR_GROUP, next()).display_name("Retry Backoff (ms)")
        .define(CONNECTION_TIMEOUT_MS, ConfigType::Int, Importance::Low,
            "How long to wait in milliseconds when establishing a connection to the OpenSearch server. The task fails if the client fails to connect to the server in this interval, and will need to be restarted.")
        .default_value("1000").at_least(0.0).group(CONNECTOR_GROUP, next()).display_name("Connection Timeout")
        .define(READ_TIMEOUT_MS, ConfigType::Int, Importance::Low,
            "How long to wait in milliseconds for the OpenSearch server to send a response. The task fails if any read operation times out, and will need to be restarted to resume further operations.")
        .default_value("3000").at_least(0.0).group(CONNECTOR_GROUP, next()).display_name("Read Timeout")
        .define(KEY_IGNORE, ConfigType::Boolean, Importance::High,
            "Whether to ignore the record key for the purpose of forming the OpenSearch document ID. When this is set to ``true``, document IDs will be generated according to the ``key.ignore.id.strategy`` strategy.")
        .default_value("false").group(DATA_GROUP, next()).display_name("Ignore Key mode")
        .define(KEY_IGNORE_ID_STRATEGY, ConfigType::String, Importance::Low,
            "Specifies the strategy to generate the Document ID. Only applicable when ``key.ignore`` is true or specific topics are configured using ``topic.key.ignore``. Available strategies none: no Doc ID is added; record.key: record key is used as the Doc ID; topic.partition.offset: a combination of topic, partition, and offset is used as the Doc ID.")
        .default_value("topic.partition.offset").one_of(&["none", "record.key", "topic.partition.offset"])
        .group(DATA_GROUP, next()).display_name("Key ignore ID strategy")
        .define(TOPIC_KEY_IGNORE, ConfigType::List, Importance::Low,
            "List of topics for which ``key.ignore`` should be ``true``.")
        .default_value("").group(DATA_GROUP, next()).display_name("Topics for 'Ignore Key' mode")
        .define(SCHEMA_IGNORE, ConfigType::Boolean, Importance::Low,
            "Whether to ignore schemas during indexing. When this is set to ``true``, the record schema will be ignored for the purpose of registering an OpenSearch mapping. OpenSearch will infer the mapping from the data (dynamic mapping needs to be enabled by the user).")
        .default_value("false").group(DATA_GROUP, next()).display_name("Ignore Schema mode")
        .define(TOPIC_SCHEMA_IGNORE, ConfigType::List, Importance::Low,
            "List of topics for which ``schema.ignore`` should be ``true``.")
        .default_value("").group(DATA_GROUP, next()).display_name("Topics for 'Ignore Schema' mode")
        .define(COMPACT_MAP_ENTRIES, ConfigType::Boolean, Importance::Low,
            "Defines how map entries with string keys within record values should be written to JSON. When this is set to ``true``, these entries are written compactly as ``\"entryKey\": \"entryValue\"``. Otherwise, map entries with string keys are written as a nested document ``{\"key\": \"entryKey\", \"value\": \"entryValue\"}``.")
        .default_value("true").group(DATA_GROUP, next()).display_name("Compact Map Entries")
        .define(DROP_INVALID_MESSAGE, ConfigType::Boolean, Importance::Low,
            "Whether to drop kafka message when it cannot be converted to output message.")
        .default_value("false").group(DATA_GROUP, next()).display_name("Drop invalid messages")
        .define(BEHAVIOR_ON_NULL_VALUES, ConfigType::String, Importance::Low,
            "How to handle records with a non-null key and a null value (i.e. Kafka tombstone records). Valid options are 'ignore', 'delete', and 'fail'.")
        .default_value("ignore").one_of_ignore_case(&["ignore", "delete", "fail"])
        .group(DATA_GROUP, next()).display_name("Behavior for null-valued records")
        .define(BEHAVIOR_ON_MALFORMED_DOCUMENTS, ConfigType::String, Importance::Low,
            "How to handle records that OpenSearch rejects due to some malformation of the document itself, such as an index mapping conflict or a field name containing illegal characters. Valid options are 'ignore', 'warn', 'fail' and 'report'.")
        .default_value("fail").one_of_ignore_case(&["ignore", "warn", "fail", "report"])
        .group(DATA_GROUP, next()).display_name("Behavior on malformed documents")
        .define(BEHAVIOR_ON_VERSION_CONFLICT, ConfigType::String, Importance::Low,
            "How to handle records that OpenSearch rejects due to document's version conflicts. Valid options are 'ignore', 'warn', 'fail' and 'report'. Conflicts of externally versioned writes (a replayed record older than the stored document) are always ignored.")
        .default_value("fail").one_of_ignore_case(&["ignore", "warn", "fail", "report"])
        .group(DATA_GROUP, next()).display_name("Behavior on document's version conflict")
        .define(INDEX_WRITE_METHOD, ConfigType::String, Importance::Low,
            "The method used to write data into OpenSearch index. The default value is ``insert`` which means that the record with the same document id will be replaced. The ``upsert`` will create a new document if one does not exist or will update the existing document.")
        .default_value("insert").one_of_ignore_case(&["insert", "upsert"])
        .group(DATA_GROUP, next()).display_name("Index write method")
        .define(DATA_STREAM_ENABLED, ConfigType::Boolean, Importance::Medium,
            "Enable use of data streams. If set to true the connector will write to data streams instead of regular indices. Default is false.")
        .default_value("false").group(DATA_STREAM_GROUP, next()).display_name("Data streams enabled")
        .define(DATA_STREAM_PREFIX, ConfigType::String, Importance::Medium,
            "Generic data stream name to write into. If set, it will be used to construct the final data stream name in the form of {data.stream.prefix}-{topic}.")
        .default_null().validator(Validator::NonEmptyString).group(DATA_STREAM_GROUP, next()).display_name("Data stream prefix")
        .define(DATA_STREAM_TIMESTAMP_FIELD, ConfigType::String, Importance::Medium,
            "The Kafka record field to use as the timestamp for the @timestamp field in documents sent to a data stream. The default is @timestamp.")
        .default_value(DEFAULT_TIMESTAMP_FIELD).validator(Validator::NonEmptyString).group(DATA_STREAM_GROUP, next()).display_name("Data stream timestamp field")
        .define(TRUSTSTORE_LOCATION, ConfigType::String, Importance::High,
            "The location of the trust store file: PEM certificates of the certificate authorities to trust (JKS and PKCS12 stores are not read by this connector).")
        .default_null().group(TLS_GROUP, next()).display_name("Trust store location")
        .define(TRUSTSTORE_TYPE, ConfigType::String, Importance::Medium,
            "The file format of the trust store file; this connector reads PEM files whatever the type says, and rejects other files.")
        .default_value("JKS").group(TLS_GROUP, next()).display_name("Trust store type")
        .define(TRUSTSTORE_PASSWORD, ConfigType::Password, Importance::High,
            "The password for the trust store file (PEM trust stores have none).")
        .default_null().group(TLS_GROUP, next()).display_name("Trust store password")
        .define(KEYSTORE_LOCATION, ConfigType::String, Importance::High,
            "The location of the key store file for client authentication: a PEM file with the client certificate chain and its unencrypted private key.")
        .default_null().group(TLS_GROUP, next()).display_name("Key store location")
        .define(KEYSTORE_TYPE, ConfigType::String, Importance::Medium,
            "The file format of the key store file; this connector reads PEM files whatever the type says, and rejects other files.")
        .default_value("JKS").group(TLS_GROUP, next()).display_name("Key store type")
        .define(KEYSTORE_PASSWORD, ConfigType::Password, Importance::High,
            "The store password for the key store file (PEM key stores have none).")
        .default_null().group(TLS_GROUP, next()).display_name("Key store password")
        .define(KEY_PASSWORD, ConfigType::Password, Importance::High,
            "The password of the private key in the key store file; encrypted keys are not supported by this connector.")
        .default_null().group(TLS_GROUP, next()).display_name("Key password")
        .define(ENDPOINT_IDENTIFICATION_ALGORITHM, ConfigType::String, Importance::Low,
            "The endpoint identification algorithm to validate server hostname using server certificate; only the default 'https' is supported with a trust store (use connection.trust.all.certificates to skip validation entirely).")
        .default_value("https").group(TLS_GROUP, next()).display_name("Endpoint identification algorithm")
        .add()
}

/// What to do with a tombstone (`behavior.on.null.values`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NullValueBehavior {
    Ignore,
    Delete,
    Fail,
}

/// What to do with a rejected item (`behavior.on.malformed.documents`, `behavior.on.version.conflict`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ItemErrorBehavior {
    Ignore,
    Warn,
    Fail,
    Report,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WriteMethod {
    Insert,
    Upsert,
}

/// How ids are made when the key is ignored (`key.ignore.id.strategy`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IdStrategy {
    None,
    RecordKey,
    TopicPartitionOffset,
}

/// A parsed and validated sink config.
#[derive(Clone, Debug, PartialEq)]
pub struct SinkConfig {
    pub urls: Vec<url::Url>,
    pub username: Option<String>,
    pub password: Option<String>,
    pub trust_all_certificates: bool,
    pub batch_size: usize,
    pub max_in_flight_requests: usize,
    pub max_buffered_records: usize,
    pub linger: Duration,
    pub flush_timeout: Duration,
    pub max_retries: u32,
    pub retry_backoff: Duration,
    pub connection_timeout: Duration,
    pub read_timeout: Duration,
    pub key_ignore: bool,
    pub key_ignore_id_strategy: IdStrategy,
    pub topic_key_ignore: HashSet<String>,
    pub schema_ignore: bool,
    pub topic_schema_ignore: HashSet<String>,
    pub compact_map_entries: bool,
    pub drop_invalid_message: bool,
    pub behavior_on_null_values: NullValueBehavior,
    pub behavior_on_malformed_documents: ItemErrorBehavior,
    pub behavior_on_version_conflict: ItemErrorBehavior,
    pub index_write_method: WriteMethod,
    /// Set when writing to data streams instead of indices.
    pub data_stream: Option<DataStream>,
    pub tls: Tls,
}

/// Data stream settings (`data.stream.*`).
#[derive(Clone, Debug, PartialEq)]
pub struct DataStream {
    pub prefix: Option<String>,
    pub timestamp_field: String,
}

/// TLS settings for https URLs (`connection.ssl.*`): PEM files only.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Tls {
    pub truststore: Option<std::path::PathBuf>,
    pub keystore: Option<std::path::PathBuf>,
    pub verify_hostname: bool,
}

fn item_behavior(parsed: &ParsedConfig, key: &str) -> ItemErrorBehavior {
    match lower(parsed, key).as_str() {
        "ignore" => ItemErrorBehavior::Ignore,
        "warn" => ItemErrorBehavior::Warn,
        "report" => ItemErrorBehavior::Report,
        _ => ItemErrorBehavior::Fail,
    }
}

fn lower(parsed: &ParsedConfig, key: &str) -> String {
    parsed.string(key).unwrap_or_default().to_ascii_lowercase()
}

fn non_negative(parsed: &ParsedConfig, key: &str) -> u64 {
    let v = parsed
        .long(key)
        .or_else(|| parsed.int(key).map(i64::from))
        .unwrap_or(0);
    u64::try_from(v).unwrap_or(0)
}

/// Parses `connection.url`: a non-empty list of http(s) URLs; the error names the key and the bad entry.
pub fn parse_urls(list: &[String]) -> Result<Vec<url::Url>, String> {
    if list.is_empty() {
        return Err(format!(
            "Invalid value  for configuration {CONNECTION_URL}: at least one URL is required"
        ));
    }
    list.iter()
        .map(|raw| {
            let url = url::Url::parse(raw).map_err(|e| {
                format!("Invalid value {raw} for configuration {CONNECTION_URL}: {e}")
            })?;
            if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
                return Err(format!(
                    "Invalid value {raw} for configuration {CONNECTION_URL}: expected an http:// or https:// URL with a host"
                ));
            }
            Ok(url)
        })
        .collect()
}

impl SinkConfig {
    pub fn parse(props: &Config) -> ConnectResult<SinkConfig> {
        let parsed = config_def()
            .parse(props)
            .map_err(|e| ConnectError::config(e.message))?;
        let urls = parse_urls(&parsed.list(CONNECTION_URL)).map_err(ConnectError::config)?;
        let username = parsed.string(CONNECTION_USERNAME).map(str::to_string);
        let password = |key| match parsed.get(key) {
            Some(connect_api::config::TypedValue::Password(p)) => Some(p.clone()),
            _ => None,
        };
        let password_value = password(CONNECTION_PASSWORD);
        if password(KEY_PASSWORD).is_some() {
            return Err(ConnectError::config(format!(
                "{KEY_PASSWORD} is set, but this connector reads only unencrypted PEM private keys from {KEYSTORE_LOCATION}"
            )));
        }
        let tls = Tls {
            truststore: parsed.string(TRUSTSTORE_LOCATION).map(Into::into),
            keystore: parsed.string(KEYSTORE_LOCATION).map(Into::into),
            verify_hostname: !parsed
                .string(ENDPOINT_IDENTIFICATION_ALGORITHM)
                .is_some_and(str::is_empty),
        };
        if !tls.verify_hostname && tls.truststore.is_some() {
            return Err(ConnectError::config(format!(
                "{ENDPOINT_IDENTIFICATION_ALGORITHM}='' (no hostname verification) is not supported together with {TRUSTSTORE_LOCATION}; give the server a certificate for its host name, or set connection.trust.all.certificates=true"
            )));
        }
        let ms = |key| Duration::from_millis(non_negative(&parsed, key));
        let count = |key| non_negative(&parsed, key).max(1) as usize;
        let config = SinkConfig {
            urls,
            username,
            password: password_value,
            trust_all_certificates: parsed.boolean(TRUST_ALL_CERTIFICATES).unwrap_or(false),
            batch_size: count(BATCH_SIZE),
            max_in_flight_requests: count(MAX_IN_FLIGHT_REQUESTS),
            max_buffered_records: count(MAX_BUFFERED_RECORDS),
            linger: ms(LINGER_MS),
            flush_timeout: ms(FLUSH_TIMEOUT_MS),
            max_retries: u32::try_from(non_negative(&parsed, MAX_RETRIES)).unwrap_or(u32::MAX),
            retry_backoff: ms(RETRY_BACKOFF_MS),
            connection_timeout: ms(CONNECTION_TIMEOUT_MS),
            read_timeout: ms(READ_TIMEOUT_MS),
            key_ignore: parsed.boolean(KEY_IGNORE).unwrap_or(false),
            key_ignore_id_strategy: match parsed.string(KEY_IGNORE_ID_STRATEGY) {
                Some("none") => IdStrategy::None,
                Some("record.key") => IdStrategy::RecordKey,
                _ => IdStrategy::TopicPartitionOffset,
            },
            topic_key_ignore: parsed.list(TOPIC_KEY_IGNORE).into_iter().collect(),
            schema_ignore: parsed.boolean(SCHEMA_IGNORE).unwrap_or(false),
            topic_schema_ignore: parsed.list(TOPIC_SCHEMA_IGNORE).into_iter().collect(),
            compact_map_entries: parsed.boolean(COMPACT_MAP_ENTRIES).unwrap_or(true),
            drop_invalid_message: parsed.boolean(DROP_INVALID_MESSAGE).unwrap_or(false),
            behavior_on_null_values: match lower(&parsed, BEHAVIOR_ON_NULL_VALUES).as_str() {
                "delete" => NullValueBehavior::Delete,
                "fail" => NullValueBehavior::Fail,
                _ => NullValueBehavior::Ignore,
            },
            behavior_on_malformed_documents: item_behavior(
                &parsed,
                BEHAVIOR_ON_MALFORMED_DOCUMENTS,
            ),
            behavior_on_version_conflict: item_behavior(&parsed, BEHAVIOR_ON_VERSION_CONFLICT),
            index_write_method: if lower(&parsed, INDEX_WRITE_METHOD) == "upsert" {
                WriteMethod::Upsert
            } else {
                WriteMethod::Insert
            },
            data_stream: parsed
                .boolean(DATA_STREAM_ENABLED)
                .unwrap_or(false)
                .then(|| DataStream {
                    prefix: parsed.string(DATA_STREAM_PREFIX).map(str::to_string),
                    timestamp_field: parsed
                        .string(DATA_STREAM_TIMESTAMP_FIELD)
                        .unwrap_or(DEFAULT_TIMESTAMP_FIELD)
                        .to_string(),
                }),
            tls,
        };
        if config.data_stream.is_some() && config.index_write_method == WriteMethod::Upsert {
            return Err(ConnectError::config(format!(
                "Data streams do not support upsert index write method ({DATA_STREAM_ENABLED}=true with {INDEX_WRITE_METHOD}=upsert)"
            )));
        }
        Ok(config)
    }

    /// Whether the record key is ignored for `topic` (`key.ignore` or `topic.key.ignore`).
    pub fn ignores_key(&self, topic: &str) -> bool {
        self.key_ignore || self.topic_key_ignore.contains(topic)
    }

    /// Whether the schema is ignored for `topic` (`schema.ignore` or `topic.schema.ignore`).
    pub fn ignores_schema(&self, topic: &str) -> bool {
        self.schema_ignore || self.topic_schema_ignore.contains(topic)
    }

    /// `retry_on_conflict` for upserts: min(max.in.flight.requests, 5), as Confluent's sink.
    pub fn retry_on_conflict(&self) -> usize {
        self.max_in_flight_requests.min(5)
    }
}

/// Validation beyond the ConfigDef: `connection.url` entries must be http(s) URLs. Used by the connector's
/// `validate` so that `/config/validate` shows the error on the key.
pub fn validate_urls(props: &Config, values: &mut [connect_api::config::ConfigValue]) {
    let Some(raw) = props.get(CONNECTION_URL) else {
        return;
    };
    if let Err(e) = parse_urls(&connect_api::config::split_list(raw)) {
        if let Some(v) = values.iter_mut().find(|v| v.name == CONNECTION_URL) {
            if v.errors.is_empty() {
                v.errors.push(e);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(pairs: &[(&str, &str)]) -> Config {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_are_aivens() {
        let c = SinkConfig::parse(&props(&[(CONNECTION_URL, "http://localhost:9200")])).unwrap();
        assert_eq!(c.urls.len(), 1);
        assert_eq!(c.batch_size, 2000);
        assert_eq!(c.max_in_flight_requests, 5);
        assert_eq!(c.max_buffered_records, 20000);
        assert_eq!(c.linger, Duration::from_millis(1));
        assert_eq!(c.flush_timeout, Duration::from_millis(10000));
        assert_eq!(c.max_retries, 5);
        assert_eq!(c.retry_backoff, Duration::from_millis(100));
        assert_eq!(c.connection_timeout, Duration::from_millis(1000));
        assert_eq!(c.read_timeout, Duration::from_millis(3000));
        assert!(!c.key_ignore && !c.schema_ignore && c.compact_map_entries);
        assert_eq!(c.behavior_on_null_values, NullValueBehavior::Ignore);
        assert_eq!(c.behavior_on_malformed_documents, ItemErrorBehavior::Fail);
        assert_eq!(c.behavior_on_version_conflict, ItemErrorBehavior::Fail);
        assert_eq!(c.index_write_method, WriteMethod::Insert);
        assert_eq!(c.key_ignore_id_strategy, IdStrategy::TopicPartitionOffset);
        assert_eq!((c.username, c.password), (None, None));
    }

    #[test]
    fn parses_lists_and_enums_case_insensitively() {
        let c = SinkConfig::parse(&props(&[
            (CONNECTION_URL, "http://a:9200, https://b:9201"),
            (CONNECTION_USERNAME, "admin"),
            (CONNECTION_PASSWORD, "secret"),
            (BEHAVIOR_ON_NULL_VALUES, "DELETE"),
            (BEHAVIOR_ON_MALFORMED_DOCUMENTS, "warn"),
            (INDEX_WRITE_METHOD, "Upsert"),
            (TOPIC_KEY_IGNORE, "t1,t2"),
            (BATCH_SIZE, "10"),
        ]))
        .unwrap();
        assert_eq!(c.urls.len(), 2);
        assert_eq!(c.urls[1].as_str(), "https://b:9201/");
        assert_eq!(c.username.as_deref(), Some("admin"));
        assert_eq!(c.password.as_deref(), Some("secret"));
        assert_eq!(c.behavior_on_null_values, NullValueBehavior::Delete);
        assert_eq!(c.behavior_on_malformed_documents, ItemErrorBehavior::Warn);
        assert_eq!(c.index_write_method, WriteMethod::Upsert);
        assert!(c.ignores_key("t2") && !c.ignores_key("t3"));
        assert_eq!(c.batch_size, 10);
    }

    #[test]
    fn errors_name_the_key() {
        let cases: &[(&[(&str, &str)], &str)] = &[
            (&[], CONNECTION_URL),
            (&[(CONNECTION_URL, "localhost:9200")], CONNECTION_URL),
            (&[(CONNECTION_URL, "ftp://host")], CONNECTION_URL),
            (
                &[(CONNECTION_URL, "http://h"), (BATCH_SIZE, "0")],
                BATCH_SIZE,
            ),
            (
                &[(CONNECTION_URL, "http://h"), (BATCH_SIZE, "x")],
                BATCH_SIZE,
            ),
            (
                &[
                    (CONNECTION_URL, "http://h"),
                    (BEHAVIOR_ON_NULL_VALUES, "drop"),
                ],
                BEHAVIOR_ON_NULL_VALUES,
            ),
            (
                &[
                    (CONNECTION_URL, "http://h"),
                    (BEHAVIOR_ON_MALFORMED_DOCUMENTS, "x"),
                ],
                BEHAVIOR_ON_MALFORMED_DOCUMENTS,
            ),
            (
                &[(CONNECTION_URL, "http://h"), (INDEX_WRITE_METHOD, "merge")],
                INDEX_WRITE_METHOD,
            ),
            (
                &[(CONNECTION_URL, "http://h"), (KEY_IGNORE, "maybe")],
                KEY_IGNORE,
            ),
            (
                &[(CONNECTION_URL, "http://h"), (MAX_RETRIES, "-1")],
                MAX_RETRIES,
            ),
        ];
        for (pairs, key) in cases {
            let err = SinkConfig::parse(&props(pairs)).unwrap_err();
            assert!(err.message().contains(key), "{pairs:?}: {err}");
        }
    }

    #[test]
    fn validate_reports_per_key() {
        let p = props(&[(CONNECTION_URL, "nohost"), (LINGER_MS, "-5")]);
        let mut values = config_def().validate(&p);
        validate_urls(&p, &mut values);
        let errors = |name: &str| {
            values
                .iter()
                .find(|v| v.name == name)
                .map(|v| v.errors.clone())
                .unwrap()
        };
        assert_eq!(errors(CONNECTION_URL).len(), 1);
        assert!(errors(LINGER_MS)[0].contains(LINGER_MS));
        assert!(errors(BATCH_SIZE).is_empty());
    }

    #[test]
    fn tls_and_data_stream_settings() {
        let c = SinkConfig::parse(&props(&[
            (CONNECTION_URL, "https://h:9200"),
            (TRUSTSTORE_LOCATION, "/etc/ca.pem"),
            (TRUSTSTORE_TYPE, "PEM"),
            (DATA_STREAM_ENABLED, "true"),
        ]))
        .unwrap();
        assert_eq!(
            c.tls.truststore.as_deref(),
            Some(std::path::Path::new("/etc/ca.pem"))
        );
        assert!(c.tls.verify_hostname && c.tls.keystore.is_none());
        let stream = c.data_stream.unwrap();
        assert_eq!(
            (stream.prefix, stream.timestamp_field.as_str()),
            (None, "@timestamp")
        );
        let c = SinkConfig::parse(&props(&[(CONNECTION_URL, "http://h")])).unwrap();
        assert_eq!(
            (c.data_stream, c.tls),
            (
                None,
                Tls {
                    verify_hostname: true,
                    ..Tls::default()
                }
            )
        );
        for bad in [
            &[(KEY_PASSWORD, "x")][..],
            &[
                (TRUSTSTORE_LOCATION, "/ca.pem"),
                (ENDPOINT_IDENTIFICATION_ALGORITHM, ""),
            ],
            &[(DATA_STREAM_PREFIX, "")],
        ] {
            let mut pairs = vec![(CONNECTION_URL, "https://h")];
            pairs.extend_from_slice(bad);
            assert!(SinkConfig::parse(&props(&pairs)).is_err(), "{bad:?}");
        }
    }
}
