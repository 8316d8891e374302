//! The built-in converters and header converters as the worker lists and creates them: Kafka class names, aliases
//! (the simple class name and the name without its `Converter` suffix, as Kafka derives them), version and
//! ConfigDef.

use connect_api::config::ConfigDef;
use connect_api::converter::{Converter, HeaderConverter};
use connect_api::plugin::{PluginInfo, PluginKind};

use crate::avro::{self, AvroConverter, AvroConverterConfig};
use crate::bytearray::{self, ByteArrayConverter};
use crate::config::converter_config_def;
use crate::header::{self, SimpleHeaderConverter};
use crate::json::{self, JsonConverter, JsonConverterConfig};
use crate::number::{
    BooleanConverter, DoubleConverter, DoubleType, FloatConverter, FloatType, IntegerConverter,
    IntegerType, LongConverter, LongType, NumberType, ShortConverter, ShortType,
};
use crate::string::{self, StringConverter, StringConverterConfig};

/// Creates a fresh, unconfigured converter.
pub type ConverterFactory = fn() -> Box<dyn Converter>;
/// Creates a fresh, unconfigured header converter.
pub type HeaderConverterFactory = fn() -> Box<dyn HeaderConverter>;

/// Kafka's aliases for a plugin class: its simple name, and that name without the suffix of each plugin type it
/// implements (`JsonConverter` gives `Json`; `SimpleHeaderConverter` gives `Simple`).
fn aliases(class_name: &str, is_converter: bool, is_header_converter: bool) -> Vec<String> {
    let simple = class_name.rsplit('.').next().unwrap_or(class_name);
    let mut out = vec![simple.to_string()];
    let mut prune = |suffix: &str| {
        if let Some(pruned) = simple.strip_suffix(suffix) {
            if !pruned.is_empty() && !out.iter().any(|a| a == pruned) {
                out.push(pruned.to_string());
            }
        }
    };
    if is_converter {
        prune("Converter");
    }
    if is_header_converter {
        prune("HeaderConverter");
    }
    out
}

fn info(
    kind: PluginKind,
    class_name: &str,
    also_converter: bool,
    config_def: ConfigDef,
) -> PluginInfo {
    let is_converter = kind == PluginKind::Converter || also_converter;
    PluginInfo {
        kind,
        class_name: class_name.to_string(),
        aliases: aliases(class_name, is_converter, true),
        version: env!("CARGO_PKG_VERSION").to_string(),
        config_def,
    }
}

/// Every built-in converter (`key.converter`/`value.converter`), with the factory that creates it.
pub fn converter_plugins() -> Vec<(PluginInfo, ConverterFactory)> {
    let kind = PluginKind::Converter;
    vec![
        (
            info(
                kind,
                json::CLASS_NAME,
                true,
                JsonConverterConfig::config_def(),
            ),
            || Box::new(JsonConverter::new()),
        ),
        (
            info(
                kind,
                string::CLASS_NAME,
                true,
                StringConverterConfig::config_def(),
            ),
            || Box::new(StringConverter::new()),
        ),
        (
            info(kind, bytearray::CLASS_NAME, true, converter_config_def()),
            || Box::new(ByteArrayConverter::new()),
        ),
        (
            info(
                kind,
                BooleanConverter::CLASS_NAME,
                true,
                converter_config_def(),
            ),
            || Box::new(BooleanConverter::new()),
        ),
        (
            info(kind, DoubleType::CLASS_NAME, true, converter_config_def()),
            || Box::new(DoubleConverter::new()),
        ),
        (
            info(kind, FloatType::CLASS_NAME, true, converter_config_def()),
            || Box::new(FloatConverter::new()),
        ),
        (
            info(kind, IntegerType::CLASS_NAME, true, converter_config_def()),
            || Box::new(IntegerConverter::new()),
        ),
        (
            info(kind, LongType::CLASS_NAME, true, converter_config_def()),
            || Box::new(LongConverter::new()),
        ),
        (
            info(kind, ShortType::CLASS_NAME, true, converter_config_def()),
            || Box::new(ShortConverter::new()),
        ),
        (
            info(
                kind,
                avro::CLASS_NAME,
                false,
                AvroConverterConfig::config_def(),
            ),
            || Box::new(AvroConverter::new()),
        ),
    ]
}

/// Every built-in header converter (`header.converter`), with the factory that creates it.
pub fn header_converter_plugins() -> Vec<(PluginInfo, HeaderConverterFactory)> {
    let kind = PluginKind::HeaderConverter;
    vec![
        (
            info(kind, header::CLASS_NAME, false, ConfigDef::new()),
            || Box::new(SimpleHeaderConverter::new()),
        ),
        (
            info(
                kind,
                string::CLASS_NAME,
                true,
                StringConverterConfig::config_def(),
            ),
            || Box::new(StringConverter::new()),
        ),
        (
            info(
                kind,
                json::CLASS_NAME,
                true,
                JsonConverterConfig::config_def(),
            ),
            || Box::new(JsonConverter::new()),
        ),
        (
            info(kind, bytearray::CLASS_NAME, true, converter_config_def()),
            || Box::new(ByteArrayConverter::new()),
        ),
        (
            info(
                kind,
                BooleanConverter::CLASS_NAME,
                true,
                converter_config_def(),
            ),
            || Box::new(BooleanConverter::new()),
        ),
        (
            info(kind, DoubleType::CLASS_NAME, true, converter_config_def()),
            || Box::new(DoubleConverter::new()),
        ),
        (
            info(kind, FloatType::CLASS_NAME, true, converter_config_def()),
            || Box::new(FloatConverter::new()),
        ),
        (
            info(kind, IntegerType::CLASS_NAME, true, converter_config_def()),
            || Box::new(IntegerConverter::new()),
        ),
        (
            info(kind, LongType::CLASS_NAME, true, converter_config_def()),
            || Box::new(LongConverter::new()),
        ),
        (
            info(kind, ShortType::CLASS_NAME, true, converter_config_def()),
            || Box::new(ShortConverter::new()),
        ),
    ]
}

/// A new converter by class name or alias (`org.apache.kafka.connect.json.JsonConverter`, `JsonConverter`, `Json`).
pub fn new_converter(name: &str) -> Option<Box<dyn Converter>> {
    converter_plugins()
        .into_iter()
        .find(|(info, _)| info.matches(name))
        .map(|(_, create)| create())
}

/// A new header converter by class name or alias.
pub fn new_header_converter(name: &str) -> Option<Box<dyn HeaderConverter>> {
    header_converter_plugins()
        .into_iter()
        .find(|(info, _)| info.matches(name))
        .map(|(_, create)| create())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_kafka_class_names_and_aliases() {
        let converters = converter_plugins();
        assert_eq!(converters.len(), 10);
        let json = &converters[0].0;
        assert_eq!(
            json.class_name,
            "org.apache.kafka.connect.json.JsonConverter"
        );
        assert_eq!(json.aliases, vec!["JsonConverter", "Json"]);
        assert_eq!(json.version, env!("CARGO_PKG_VERSION"));
        assert!(json.config_def.key("schemas.enable").is_some());
        assert!(json.config_def.key("converter.type").is_some());
        let headers = header_converter_plugins();
        assert_eq!(
            headers[0].0.aliases,
            vec!["SimpleHeaderConverter", "Simple"]
        );
        assert!(headers[0].0.config_def.keys().is_empty());
        let infos = converters
            .iter()
            .map(|(i, _)| i)
            .chain(headers.iter().map(|(i, _)| i));
        for info in infos {
            assert!(
                info.class_name.starts_with("org.apache.kafka.connect.")
                    || info.class_name == "io.confluent.connect.avro.AvroConverter",
                "{}",
                info.class_name
            );
        }
        let avro = &converters[9].0;
        assert_eq!(avro.aliases, vec!["AvroConverter", "Avro"]);
        assert!(avro.config_def.key("schema.registry.url").is_some());
    }

    #[test]
    fn creates_by_name_or_alias() {
        for name in [
            "org.apache.kafka.connect.json.JsonConverter",
            "JsonConverter",
            "Json",
            "StringConverter",
            "org.apache.kafka.connect.converters.ByteArrayConverter",
            "IntegerConverter",
            "BooleanConverter",
            "io.confluent.connect.avro.AvroConverter",
            "AvroConverter",
        ] {
            assert!(new_converter(name).is_some(), "{name}");
        }
        assert!(new_converter("SimpleHeaderConverter").is_none());
        assert!(
            new_header_converter("org.apache.kafka.connect.storage.SimpleHeaderConverter")
                .is_some()
        );
        assert!(new_header_converter("Simple").is_some());
        assert!(new_header_converter("StringConverter").is_some());
        assert!(new_converter("Nope").is_none());
    }
}
