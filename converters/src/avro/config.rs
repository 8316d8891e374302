//! `AvroConverterConfig`: the Avro converter's keys (Confluent's names, defaults and docs) and their typed values.

use connect_api::config::{ConfigDef, ConfigType, Importance};
use connect_api::{Config, ConnectError, ConnectResult};

use super::subject::SubjectNameStrategy;
use crate::config::{converter_config_def, parse, ConverterType};

pub const SCHEMA_REGISTRY_URL_CONFIG: &str = "schema.registry.url";
pub const BASIC_AUTH_CREDENTIALS_SOURCE_CONFIG: &str = "basic.auth.credentials.source";
pub const USER_INFO_CONFIG: &str = "basic.auth.user.info";
/// Confluent's older name for `basic.auth.user.info`, still honoured when the new one is empty.
pub const SCHEMA_REGISTRY_USER_INFO_CONFIG: &str = "schema.registry.basic.auth.user.info";
pub const AUTO_REGISTER_SCHEMAS_CONFIG: &str = "auto.register.schemas";
pub const USE_LATEST_VERSION_CONFIG: &str = "use.latest.version";
pub const KEY_SUBJECT_NAME_STRATEGY_CONFIG: &str = "key.subject.name.strategy";
pub const VALUE_SUBJECT_NAME_STRATEGY_CONFIG: &str = "value.subject.name.strategy";
pub const SCHEMAS_CACHE_SIZE_CONFIG: &str = "schemas.cache.size";
pub const CONNECT_META_DATA_CONFIG: &str = "connect.meta.data";

/// Where the registry credentials come from (`basic.auth.credentials.source`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum CredentialsSource {
    /// The user info of each `schema.registry.url` (`http://user:password@host:port`), Confluent's default.
    #[default]
    Url,
    /// `basic.auth.user.info` (`user:password`).
    UserInfo,
}

/// The typed Avro converter configuration.
#[derive(Clone, Debug, PartialEq)]
pub struct AvroConverterConfig {
    pub converter_type: ConverterType,
    pub schema_registry_urls: Vec<String>,
    pub credentials_source: CredentialsSource,
    pub user_info: Option<String>,
    pub auto_register_schemas: bool,
    pub use_latest_version: bool,
    pub key_subject_name_strategy: SubjectNameStrategy,
    pub value_subject_name_strategy: SubjectNameStrategy,
    pub schemas_cache_size: usize,
    pub connect_meta_data: bool,
}

impl Default for AvroConverterConfig {
    fn default() -> Self {
        AvroConverterConfig {
            converter_type: ConverterType::Value,
            schema_registry_urls: Vec::new(),
            credentials_source: CredentialsSource::Url,
            user_info: None,
            auto_register_schemas: true,
            use_latest_version: false,
            key_subject_name_strategy: SubjectNameStrategy::TopicName,
            value_subject_name_strategy: SubjectNameStrategy::TopicName,
            schemas_cache_size: 1000,
            connect_meta_data: true,
        }
    }
}

impl AvroConverterConfig {
    /// The keys of Confluent's `AvroConverterConfig` this converter understands.
    pub fn config_def() -> ConfigDef {
        converter_config_def()
            .define(
                SCHEMA_REGISTRY_URL_CONFIG,
                ConfigType::List,
                Importance::High,
                "Comma-separated list of URLs for Schema Registry instances that can be used to register or look up schemas. If you wish to get a connection to a mocked schema registry for testing, you can specify a scope using the 'mock://' pseudo-protocol.",
            )
            .define(
                BASIC_AUTH_CREDENTIALS_SOURCE_CONFIG,
                ConfigType::String,
                Importance::Medium,
                "Specify how to pick the credentials for the Basic authentication header. The supported values are URL and USER_INFO",
            )
            .default_value("URL")
            .one_of(&["URL", "USER_INFO", "SASL_INHERIT"])
            .define(
                USER_INFO_CONFIG,
                ConfigType::Password,
                Importance::Medium,
                "Specify the user info for the Basic authentication in the form of {username}:{password}",
            )
            .default_value("")
            .define(
                SCHEMA_REGISTRY_USER_INFO_CONFIG,
                ConfigType::Password,
                Importance::Medium,
                "Specify the user info for the Basic authentication in the form of {username}:{password}",
            )
            .default_value("")
            .define(
                AUTO_REGISTER_SCHEMAS_CONFIG,
                ConfigType::Boolean,
                Importance::Medium,
                "Specify if the Serializer should attempt to register the Schema with Schema Registry",
            )
            .default_value("true")
            .define(
                USE_LATEST_VERSION_CONFIG,
                ConfigType::Boolean,
                Importance::Low,
                "Specify if the Serializer should use the latest subject version for serialization",
            )
            .default_value("false")
            .define(
                KEY_SUBJECT_NAME_STRATEGY_CONFIG,
                ConfigType::Class,
                Importance::Medium,
                "Determines how to construct the subject name under which the key schema is registered with the schema registry. By default, <topic>-key is used as subject.",
            )
            .default_value(SubjectNameStrategy::TopicName.class_name())
            .define(
                VALUE_SUBJECT_NAME_STRATEGY_CONFIG,
                ConfigType::Class,
                Importance::Medium,
                "Determines how to construct the subject name under which the value schema is registered with the schema registry. By default, <topic>-value is used as subject.",
            )
            .default_value(SubjectNameStrategy::TopicName.class_name())
            .define(
                SCHEMAS_CACHE_SIZE_CONFIG,
                ConfigType::Int,
                Importance::Low,
                "Size of the converted schemas cache",
            )
            .default_value("1000")
            .define(
                CONNECT_META_DATA_CONFIG,
                ConfigType::Boolean,
                Importance::Low,
                "Toggle for enabling/disabling connect converter to add its meta data to the output schema or not",
            )
            .default_value("true")
            .add()
    }

    /// Parses the converter's own keys for the given role.
    pub fn parse(config: &Config, role: ConverterType) -> ConnectResult<Self> {
        let parsed = parse(&Self::config_def(), config, role)?;
        let urls: Vec<String> = parsed
            .list(SCHEMA_REGISTRY_URL_CONFIG)
            .into_iter()
            .map(|u| u.trim().trim_end_matches('/').to_string())
            .filter(|u| !u.is_empty())
            .collect();
        if urls.is_empty() {
            return Err(ConnectError::config(format!(
                "Missing required configuration \"{SCHEMA_REGISTRY_URL_CONFIG}\" which has no default value."
            )));
        }
        for url in &urls {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(ConnectError::config(format!(
                    "Invalid value {url} for configuration {SCHEMA_REGISTRY_URL_CONFIG}: expected an http:// or https:// URL"
                )));
            }
        }
        let credentials_source = match parsed
            .string(BASIC_AUTH_CREDENTIALS_SOURCE_CONFIG)
            .unwrap_or("URL")
        {
            "USER_INFO" => CredentialsSource::UserInfo,
            "SASL_INHERIT" => {
                return Err(ConnectError::config(format!(
                    "{BASIC_AUTH_CREDENTIALS_SOURCE_CONFIG}=SASL_INHERIT is not supported by this AvroConverter; use USER_INFO or URL"
                )))
            }
            _ => CredentialsSource::Url,
        };
        let user_info = [USER_INFO_CONFIG, SCHEMA_REGISTRY_USER_INFO_CONFIG]
            .iter()
            .find_map(|k| parsed.string(k).filter(|s| !s.is_empty()))
            .map(str::to_string);
        if credentials_source == CredentialsSource::UserInfo && user_info.is_none() {
            return Err(ConnectError::config(format!(
                "{BASIC_AUTH_CREDENTIALS_SOURCE_CONFIG}=USER_INFO needs {USER_INFO_CONFIG} (user:password)"
            )));
        }
        let strategy = |key: &str| -> ConnectResult<SubjectNameStrategy> {
            let class = parsed
                .string(key)
                .unwrap_or(SubjectNameStrategy::TopicName.class_name());
            SubjectNameStrategy::from_class_name(class).ok_or_else(|| {
                ConnectError::config(format!(
                    "Invalid value {class} for configuration {key}: Class {class} could not be found."
                ))
            })
        };
        Ok(AvroConverterConfig {
            converter_type: role,
            schema_registry_urls: urls,
            credentials_source,
            user_info,
            auto_register_schemas: parsed.boolean(AUTO_REGISTER_SCHEMAS_CONFIG).unwrap_or(true),
            use_latest_version: parsed.boolean(USE_LATEST_VERSION_CONFIG).unwrap_or(false),
            key_subject_name_strategy: strategy(KEY_SUBJECT_NAME_STRATEGY_CONFIG)?,
            value_subject_name_strategy: strategy(VALUE_SUBJECT_NAME_STRATEGY_CONFIG)?,
            schemas_cache_size: parsed.int(SCHEMAS_CACHE_SIZE_CONFIG).unwrap_or(1000).max(0)
                as usize,
            connect_meta_data: parsed.boolean(CONNECT_META_DATA_CONFIG).unwrap_or(true),
        })
    }

    /// The subject name strategy of this converter's role.
    pub fn subject_name_strategy(&self) -> SubjectNameStrategy {
        match self.converter_type {
            ConverterType::Key => self.key_subject_name_strategy,
            _ => self.value_subject_name_strategy,
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
    fn parses_keys_and_defaults() {
        let c = AvroConverterConfig::parse(
            &props(&[("schema.registry.url", "http://a:1/, http://b:2")]),
            ConverterType::Key,
        )
        .unwrap();
        assert_eq!(c.schema_registry_urls, vec!["http://a:1", "http://b:2"]);
        assert!(c.auto_register_schemas);
        assert!(!c.use_latest_version);
        assert_eq!(c.credentials_source, CredentialsSource::Url);
        assert_eq!(c.subject_name_strategy(), SubjectNameStrategy::TopicName);
        let c = AvroConverterConfig::parse(
            &props(&[
                ("schema.registry.url", "http://a:1"),
                ("basic.auth.credentials.source", "USER_INFO"),
                ("basic.auth.user.info", "u:p"),
                ("auto.register.schemas", "false"),
                ("use.latest.version", "true"),
                (
                    "value.subject.name.strategy",
                    "io.confluent.kafka.serializers.subject.TopicRecordNameStrategy",
                ),
            ]),
            ConverterType::Value,
        )
        .unwrap();
        assert_eq!(c.credentials_source, CredentialsSource::UserInfo);
        assert_eq!(c.user_info.as_deref(), Some("u:p"));
        assert!(!c.auto_register_schemas && c.use_latest_version);
        assert_eq!(
            c.subject_name_strategy(),
            SubjectNameStrategy::TopicRecordName
        );
    }

    #[test]
    fn rejects_missing_url_and_unknown_strategy() {
        let err = AvroConverterConfig::parse(&Config::new(), ConverterType::Value).unwrap_err();
        assert!(err.message().contains("schema.registry.url"), "{err}");
        let err = AvroConverterConfig::parse(
            &props(&[
                ("schema.registry.url", "http://a:1"),
                ("key.subject.name.strategy", "com.example.Nope"),
            ]),
            ConverterType::Key,
        )
        .unwrap_err();
        assert!(err.message().contains("com.example.Nope"), "{err}");
        let err = AvroConverterConfig::parse(
            &props(&[
                ("schema.registry.url", "http://a:1"),
                ("basic.auth.credentials.source", "USER_INFO"),
            ]),
            ConverterType::Key,
        )
        .unwrap_err();
        assert!(err.message().contains("basic.auth.user.info"), "{err}");
        let old_name = AvroConverterConfig::parse(
            &props(&[
                ("schema.registry.url", "http://a:1"),
                ("basic.auth.credentials.source", "USER_INFO"),
                ("schema.registry.basic.auth.user.info", "old:name"),
            ]),
            ConverterType::Key,
        )
        .unwrap();
        assert_eq!(old_name.user_info.as_deref(), Some("old:name"));
        let err = AvroConverterConfig::parse(
            &props(&[
                ("schema.registry.url", "http://a:1"),
                ("basic.auth.credentials.source", "SASL_INHERIT"),
            ]),
            ConverterType::Key,
        )
        .unwrap_err();
        assert!(
            err.message().contains("SASL_INHERIT is not supported"),
            "{err}"
        );
    }
}
