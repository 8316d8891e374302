//! `JsonConverterConfig`: the JSON converter's keys, defaults and docs, and their typed values.

use connect_api::config::{ConfigDef, ConfigType, Importance, Width};
use connect_api::{Config, ConnectResult};

use crate::config::{converter_config_def, parse, ConverterType};

pub const SCHEMAS_ENABLE_CONFIG: &str = "schemas.enable";
pub const SCHEMAS_CACHE_SIZE_CONFIG: &str = "schemas.cache.size";
pub const DECIMAL_FORMAT_CONFIG: &str = "decimal.format";
pub const REPLACE_NULL_WITH_DEFAULT_CONFIG: &str = "replace.null.with.default";

/// How Decimal values are written (`decimal.format`, KIP-481).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum DecimalFormat {
    /// Base64 of the unscaled two's-complement bytes (the default).
    #[default]
    Base64,
    /// A plain JSON number.
    Numeric,
}

/// The typed JSON converter configuration.
#[derive(Clone, Debug, PartialEq)]
pub struct JsonConverterConfig {
    pub converter_type: ConverterType,
    pub schemas_enable: bool,
    pub schemas_cache_size: usize,
    pub decimal_format: DecimalFormat,
    pub replace_null_with_default: bool,
}

impl Default for JsonConverterConfig {
    fn default() -> Self {
        JsonConverterConfig {
            converter_type: ConverterType::Value,
            schemas_enable: true,
            schemas_cache_size: 1000,
            decimal_format: DecimalFormat::Base64,
            replace_null_with_default: true,
        }
    }
}

impl JsonConverterConfig {
    /// Kafka's `JsonConverterConfig.configDef()`.
    pub fn config_def() -> ConfigDef {
        converter_config_def()
            .define(
                SCHEMAS_ENABLE_CONFIG,
                ConfigType::Boolean,
                Importance::High,
                "Include schemas within each of the serialized values and keys.",
            )
            .default_value("true")
            .group("Schemas", 0)
            .width(Width::Medium)
            .display_name("Enable Schemas")
            .define(
                SCHEMAS_CACHE_SIZE_CONFIG,
                ConfigType::Int,
                Importance::High,
                "The maximum number of schemas that can be cached in this converter instance.",
            )
            .default_value("1000")
            .group("Schemas", 1)
            .width(Width::Medium)
            .display_name("Schema Cache Size")
            .define(
                DECIMAL_FORMAT_CONFIG,
                ConfigType::String,
                Importance::Low,
                "Controls which format this converter will serialize decimals in. This value is case insensitive and can be either 'BASE64' (default) or 'NUMERIC'",
            )
            .default_value("BASE64")
            .one_of_ignore_case(&["BASE64", "NUMERIC"])
            .group("Serialization", 0)
            .width(Width::Medium)
            .display_name("Decimal Format")
            .define(
                REPLACE_NULL_WITH_DEFAULT_CONFIG,
                ConfigType::Boolean,
                Importance::Low,
                "Whether to replace fields that have a default value and that are null to the default value. When set to true, the default value is used, otherwise null is used.",
            )
            .default_value("true")
            .group("Serialization", 1)
            .width(Width::Medium)
            .display_name("Replace null with default")
            .add()
    }

    /// Parses the converter's own keys for the given role.
    pub fn parse(config: &Config, role: ConverterType) -> ConnectResult<Self> {
        let parsed = parse(&Self::config_def(), config, role)?;
        let decimal_format = match parsed
            .string(DECIMAL_FORMAT_CONFIG)
            .unwrap_or("BASE64")
            .to_ascii_uppercase()
            .as_str()
        {
            "NUMERIC" => DecimalFormat::Numeric,
            _ => DecimalFormat::Base64,
        };
        Ok(JsonConverterConfig {
            converter_type: role,
            schemas_enable: parsed.boolean(SCHEMAS_ENABLE_CONFIG).unwrap_or(true),
            schemas_cache_size: parsed.int(SCHEMAS_CACHE_SIZE_CONFIG).unwrap_or(1000).max(0)
                as usize,
            decimal_format,
            replace_null_with_default: parsed
                .boolean(REPLACE_NULL_WITH_DEFAULT_CONFIG)
                .unwrap_or(true),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_keys_and_defaults() {
        let defaults = JsonConverterConfig::parse(&Config::new(), ConverterType::Key).unwrap();
        assert_eq!(
            defaults,
            JsonConverterConfig {
                converter_type: ConverterType::Key,
                ..Default::default()
            }
        );
        let mut props = Config::new();
        props.insert("schemas.enable".into(), "false".into());
        props.insert("schemas.cache.size".into(), "7".into());
        props.insert("decimal.format".into(), "numeric".into());
        props.insert("replace.null.with.default".into(), "false".into());
        let c = JsonConverterConfig::parse(&props, ConverterType::Value).unwrap();
        assert!(!c.schemas_enable);
        assert_eq!(c.schemas_cache_size, 7);
        assert_eq!(c.decimal_format, DecimalFormat::Numeric);
        assert!(!c.replace_null_with_default);
    }

    #[test]
    fn rejects_bad_values_with_kafka_messages() {
        let mut props = Config::new();
        props.insert("decimal.format".into(), "HEX".into());
        let err = JsonConverterConfig::parse(&props, ConverterType::Value).unwrap_err();
        assert!(
            err.message()
                .starts_with("Invalid value HEX for configuration decimal.format"),
            "{err}"
        );
    }
}
