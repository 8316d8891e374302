//! `StringConverterConfig`: `converter.encoding` on top of `converter.type`.

use connect_api::config::{ConfigDef, ConfigType, Importance, Width};
use connect_api::{Config, ConnectError, ConnectResult};

use super::charset::Charset;
use crate::config::{converter_config_def, parse, ConverterType};

pub const ENCODING_CONFIG: &str = "converter.encoding";

/// The typed StringConverter configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct StringConverterConfig {
    pub encoding: Charset,
}

impl StringConverterConfig {
    /// Kafka's `StringConverterConfig.configDef()`.
    pub fn config_def() -> ConfigDef {
        converter_config_def()
            .define(
                ENCODING_CONFIG,
                ConfigType::String,
                Importance::High,
                "The name of the Java character set to use for encoding strings as byte arrays.",
            )
            .default_value("UTF-8")
            .width(Width::Medium)
            .display_name("Encoding")
            .add()
    }

    pub fn parse(config: &Config, role: ConverterType) -> ConnectResult<Self> {
        let parsed = parse(&Self::config_def(), config, role)?;
        let name = parsed.string(ENCODING_CONFIG).unwrap_or("UTF-8");
        let encoding = Charset::for_name(name).ok_or_else(|| {
            ConnectError::config(format!(
                "Unsupported encoding {name} (supported: UTF-8, ISO-8859-1, US-ASCII, UTF-16, UTF-16BE, UTF-16LE)"
            ))
        })?;
        Ok(StringConverterConfig { encoding })
    }
}
