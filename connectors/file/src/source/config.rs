//! The FileStreamSource ConfigDef (`file`, `topic`, `batch.size`) and the typed config a task runs with.

use connect_api::config::{ConfigDef, ConfigType, Importance, Validator};
use connect_api::{Config, ConnectError, ConnectResult};

pub const FILE_CONFIG: &str = "file";
pub const TOPIC_CONFIG: &str = "topic";
pub const TASK_BATCH_SIZE_CONFIG: &str = "batch.size";
pub const DEFAULT_TASK_BATCH_SIZE: i32 = 2000;

/// Kafka's `FileStreamSourceConnector.CONFIG_DEF`, key for key.
///
/// `topic` is a STRING with `NonEmptyString`, as in current Kafka. Kafka before 3.3 declared it a LIST and rejected
/// more than one entry ("'topic' in FileStreamSourceConnector configuration requires definition of a single topic");
/// current Kafka does no such check (a comma is simply not a legal topic character), and neither do we.
pub fn config_def() -> ConfigDef {
    ConfigDef::new()
        .define(
            FILE_CONFIG,
            ConfigType::String,
            Importance::High,
            "Source filename. If not specified, the standard input will be used",
        )
        .default_null()
        .define(
            TOPIC_CONFIG,
            ConfigType::String,
            Importance::High,
            "The topic to publish data to",
        )
        .validator(Validator::NonEmptyString)
        .define(
            TASK_BATCH_SIZE_CONFIG,
            ConfigType::Int,
            Importance::Low,
            "The maximum number of records the source task can read from the file each time it is polled",
        )
        .default_value(DEFAULT_TASK_BATCH_SIZE.to_string())
        .add()
}

/// A parsed source config.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceConfig {
    /// The file to read; None (unset or empty) means standard input.
    pub file: Option<String>,
    pub topic: String,
    /// Records per poll, at least 1 (Kafka returns after the first record when `batch.size` is 0 or negative).
    pub batch_size: usize,
}

impl SourceConfig {
    /// Parses `props` against [`config_def`], failing with Kafka's ConfigException message.
    pub fn parse(props: &Config) -> ConnectResult<SourceConfig> {
        let parsed = config_def()
            .parse(props)
            .map_err(|e| ConnectError::config(e.message))?;
        let file = parsed
            .string(FILE_CONFIG)
            .filter(|f| !f.is_empty())
            .map(str::to_string);
        let topic = parsed.string(TOPIC_CONFIG).unwrap_or_default().to_string();
        let batch_size = parsed
            .int(TASK_BATCH_SIZE_CONFIG)
            .unwrap_or(DEFAULT_TASK_BATCH_SIZE)
            .max(1) as usize;
        Ok(SourceConfig {
            file,
            topic,
            batch_size,
        })
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

    fn errors(props: &Config) -> Vec<(String, Vec<String>)> {
        config_def()
            .validate(props)
            .into_iter()
            .filter(|v| !v.errors.is_empty())
            .map(|v| (v.name, v.errors))
            .collect()
    }

    #[test]
    fn missing_topic_is_reported_by_validate_and_parse() {
        let p = props(&[("file", "/tmp/in.txt")]);
        assert_eq!(
            errors(&p),
            vec![(
                "topic".to_string(),
                vec![
                    "Missing required configuration \"topic\" which has no default value."
                        .to_string()
                ]
            )]
        );
        let err = SourceConfig::parse(&p).unwrap_err();
        assert_eq!(
            err,
            ConnectError::config(
                "Missing required configuration \"topic\" which has no default value."
            )
        );
    }

    #[test]
    fn empty_topic_and_bad_batch_size_are_rejected() {
        let p = props(&[("topic", ""), ("batch.size", "many")]);
        assert_eq!(
            errors(&p),
            vec![
                (
                    "topic".to_string(),
                    vec![
                        "Invalid value  for configuration topic: String must be non-empty"
                            .to_string()
                    ]
                ),
                (
                    "batch.size".to_string(),
                    vec![
                        "Invalid value many for configuration batch.size: Not a number of type INT"
                            .to_string()
                    ]
                ),
            ]
        );
    }

    #[test]
    fn defaults_and_stdin() {
        let c = SourceConfig::parse(&props(&[("topic", "t")])).unwrap();
        assert_eq!(
            c,
            SourceConfig {
                file: None,
                topic: "t".into(),
                batch_size: 2000
            }
        );
        let c = SourceConfig::parse(&props(&[("topic", "t"), ("file", ""), ("batch.size", "0")]))
            .unwrap();
        assert_eq!(c.file, None);
        assert_eq!(c.batch_size, 1);
        let c = SourceConfig::parse(&props(&[("topic", "t"), ("file", "in.txt")])).unwrap();
        assert_eq!(c.file.as_deref(), Some("in.txt"));
    }
}
