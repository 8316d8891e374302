//! `TopicNameMatches`: true when the whole topic name matches `pattern`.

use connect_api::config::{ConfigDef, ConfigType, Importance, Validator};
use connect_api::connector::Config;
use connect_api::transform::Predicate;
use connect_api::{ConnectRecord, ConnectResult};

use crate::util::config as cfg;
use crate::util::regex::JavaRegex;

pub const PATTERN_CONFIG: &str = "pattern";

pub fn config_def() -> ConfigDef {
    ConfigDef::new()
        .define(
            PATTERN_CONFIG,
            ConfigType::String,
            Importance::Medium,
            "A Java regular expression for matching against the name of a topic.",
        )
        .validator(Validator::NonEmptyString)
        .add()
}

/// Matches records by topic name.
#[derive(Debug, Default)]
pub struct TopicNameMatches {
    pattern: Option<JavaRegex>,
}

impl TopicNameMatches {
    pub fn new() -> Self {
        Self::default()
    }
}

impl Predicate for TopicNameMatches {
    fn configure(&mut self, config: &Config) -> ConnectResult<()> {
        let parsed = cfg::parse(&config_def(), config)?;
        self.pattern = Some(JavaRegex::compile(
            PATTERN_CONFIG,
            parsed.string(PATTERN_CONFIG).unwrap_or_default(),
        )?);
        Ok(())
    }

    fn test(&mut self, record: &ConnectRecord) -> ConnectResult<bool> {
        Ok(self
            .pattern
            .as_ref()
            .is_some_and(|p| p.matches(&record.topic)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::testing::*;
    use connect_api::data::Value;

    fn topic(name: &str) -> ConnectRecord {
        ConnectRecord::new(name, None, Value::Null)
    }

    #[test]
    fn matches_whole_topic() {
        let mut p =
            configured_predicate(TopicNameMatches::new(), &[(PATTERN_CONFIG, "my-prefix-.*")]);
        assert!(p.test(&topic("my-prefix-")).unwrap());
        assert!(p.test(&topic("my-prefix-foo")).unwrap());
        assert!(!p.test(&topic("x-my-prefix-")).unwrap());
        assert!(!p.test(&topic("x-my-prefix-foo")).unwrap());
        assert!(!p.test(&topic("your-prefix-")).unwrap());
        assert!(!p.test(&topic("")).unwrap());
    }

    #[test]
    fn config_errors() {
        let err = |pairs: &[(&str, &str)]| {
            let mut p = TopicNameMatches::new();
            p.configure(&props(pairs)).unwrap_err().to_string()
        };
        assert_eq!(
            err(&[]),
            "Missing required configuration \"pattern\" which has no default value."
        );
        assert_eq!(
            err(&[(PATTERN_CONFIG, "")]),
            "Invalid value  for configuration pattern: String must be non-empty"
        );
        assert!(err(&[(PATTERN_CONFIG, "[")])
            .starts_with("Invalid value [ for configuration pattern: Invalid regex:"));
    }
}
