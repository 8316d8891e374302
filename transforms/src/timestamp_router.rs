//! `TimestampRouter`: sets the topic from `topic.format` with `${topic}` and the formatted record `${timestamp}`.

use connect_api::config::{ConfigDef, ConfigType, Importance};
use connect_api::connector::Config;
use connect_api::transform::Transformation;
use connect_api::{ConnectError, ConnectRecord, ConnectResult};

use crate::util::config as cfg;
use crate::util::date_format::DateFormat;

pub const TOPIC_FORMAT_CONFIG: &str = "topic.format";
pub const TIMESTAMP_FORMAT_CONFIG: &str = "timestamp.format";

pub fn config_def() -> ConfigDef {
    ConfigDef::new()
        .define(
            TOPIC_FORMAT_CONFIG,
            ConfigType::String,
            Importance::High,
            "Format string which can contain <code>${topic}</code> and <code>${timestamp}</code> as placeholders \
             for the topic and timestamp, respectively.",
        )
        .default_value("${topic}-${timestamp}")
        .define(
            TIMESTAMP_FORMAT_CONFIG,
            ConfigType::String,
            Importance::High,
            "Format string for the timestamp that is compatible with <code>java.text.SimpleDateFormat</code>.",
        )
        .default_value("yyyyMMdd")
        .add()
}

/// Routes records to a topic derived from their timestamp.
#[derive(Debug)]
pub struct TimestampRouter {
    topic_format: String,
    timestamp_format: DateFormat,
}

impl Default for TimestampRouter {
    fn default() -> Self {
        TimestampRouter {
            topic_format: "${topic}-${timestamp}".into(),
            timestamp_format: DateFormat::new("yyyyMMdd").expect("default pattern"),
        }
    }
}

impl TimestampRouter {
    pub fn new() -> Self {
        Self::default()
    }
}

impl Transformation for TimestampRouter {
    fn configure(&mut self, config: &Config) -> ConnectResult<()> {
        let parsed = cfg::parse(&config_def(), config)?;
        self.topic_format = parsed
            .string(TOPIC_FORMAT_CONFIG)
            .unwrap_or_default()
            .to_string();
        let pattern = parsed.string(TIMESTAMP_FORMAT_CONFIG).unwrap_or_default();
        self.timestamp_format = DateFormat::new(pattern)
            .map_err(|e| cfg::invalid(TIMESTAMP_FORMAT_CONFIG, pattern, &e))?;
        Ok(())
    }

    fn apply(&mut self, mut record: ConnectRecord) -> ConnectResult<Option<ConnectRecord>> {
        let timestamp = record.timestamp.ok_or_else(|| {
            ConnectError::data(format!(
                "Timestamp missing on record: ConnectRecord{{topic='{}', kafkaPartition={}, timestamp=null}}",
                record.topic,
                record.kafka_partition.map_or("null".to_string(), |p| p.to_string())
            ))
        })?;
        let formatted = self.timestamp_format.format(timestamp);
        record.topic = self
            .topic_format
            .replace("${topic}", &record.topic)
            .replace("${timestamp}", &formatted);
        Ok(Some(record))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::testing::*;
    use connect_api::data::Value;

    #[test]
    fn default_configuration() {
        let mut t = configured(TimestampRouter::new(), &[]);
        // 2017-01-03T06:30:01.864Z, as in Kafka's TimestampRouterTest.
        let r = record(None, Value::Null).with_timestamp(Some(1_483_425_001_864));
        assert_eq!(apply(&mut t, r).topic, "topic-20170103");
    }

    #[test]
    fn custom_formats() {
        let mut t = configured(
            TimestampRouter::new(),
            &[
                (TOPIC_FORMAT_CONFIG, "${timestamp}_${topic}"),
                (TIMESTAMP_FORMAT_CONFIG, "yyyy-MM-dd'T'HH"),
            ],
        );
        let r = record(None, Value::Null).with_timestamp(Some(1_483_425_001_864));
        assert_eq!(apply(&mut t, r).topic, "2017-01-03T06_topic");
    }

    #[test]
    fn missing_timestamp_and_bad_format() {
        let mut t = configured(TimestampRouter::new(), &[]);
        let err = t.apply(record(None, Value::Null)).unwrap_err();
        assert!(err.to_string().starts_with("Timestamp missing on record: "));
        assert_eq!(
            config_error(
                TimestampRouter::new(),
                &[(TIMESTAMP_FORMAT_CONFIG, "bogus")]
            )
            .to_string(),
            "Invalid value bogus for configuration timestamp.format: Illegal pattern character 'b'"
        );
    }
}
