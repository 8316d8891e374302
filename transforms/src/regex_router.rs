//! `RegexRouter`: renames the topic when the whole topic name matches `regex`, using Java's `$1` replacements.

use connect_api::config::{ConfigDef, ConfigType, Importance};
use connect_api::connector::Config;
use connect_api::transform::Transformation;
use connect_api::{ConnectError, ConnectRecord, ConnectResult};

use crate::util::config as cfg;
use crate::util::regex::{JavaRegex, Replacement};

pub const REGEX_CONFIG: &str = "regex";
pub const REPLACEMENT_CONFIG: &str = "replacement";

pub fn config_def() -> ConfigDef {
    ConfigDef::new()
        .define(
            REGEX_CONFIG,
            ConfigType::String,
            Importance::High,
            "Regular expression to use for matching.",
        )
        .define(
            REPLACEMENT_CONFIG,
            ConfigType::String,
            Importance::High,
            "Replacement string.",
        )
        .add()
}

/// Rewrites the topic of records whose topic matches.
#[derive(Debug, Default)]
pub struct RegexRouter {
    regex: Option<JavaRegex>,
    replacement: Option<Replacement>,
}

impl RegexRouter {
    pub fn new() -> Self {
        Self::default()
    }
}

impl Transformation for RegexRouter {
    fn configure(&mut self, config: &Config) -> ConnectResult<()> {
        let parsed = cfg::parse(&config_def(), config)?;
        let regex = JavaRegex::compile(
            REGEX_CONFIG,
            parsed.string(REGEX_CONFIG).unwrap_or_default(),
        )?;
        self.replacement = Some(Replacement::parse(
            parsed.string(REPLACEMENT_CONFIG).unwrap_or_default(),
            &regex,
        ));
        self.regex = Some(regex);
        Ok(())
    }

    fn apply(&mut self, mut record: ConnectRecord) -> ConnectResult<Option<ConnectRecord>> {
        if let (Some(regex), Some(replacement)) = (&self.regex, &self.replacement) {
            if let Some(topic) = regex
                .replace_if_matches(&record.topic, replacement)
                .map_err(ConnectError::data)?
            {
                record.topic = topic;
            }
        }
        Ok(Some(record))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::testing::*;
    use connect_api::data::Value;

    fn route(regex: &str, replacement: &str, topic: &str) -> String {
        let mut t = configured(
            RegexRouter::new(),
            &[(REGEX_CONFIG, regex), (REPLACEMENT_CONFIG, replacement)],
        );
        let mut r = record(None, Value::Null);
        r.topic = topic.to_string();
        apply(&mut t, r).topic
    }

    #[test]
    fn cases_from_kafka() {
        assert_eq!(route("(.*)", "prefix-$1", "orig"), "prefix-orig");
        assert_eq!(route("(.*)", "$1-suffix", "orig"), "orig-suffix");
        assert_eq!(
            route("(.*)SOMETHING(.*)", "$1$2", "blahSOMETHINGblah"),
            "blahblah"
        );
        assert_eq!(route("(.*)SOMETHING(.*)", "$1$2", "SOMETHING"), "");
        assert_eq!(route("(.*)SOMETHING(.*)", "$1$2", "SOMETHINGblah"), "blah");
        assert_eq!(route("(.*)SOMETHING(.*)", "$1$2", "blahSOMETHING"), "blah");
        assert_eq!(route("blah", "$0-suffix", "blahblah"), "blahblah");
        assert_eq!(route("SOMETHING", "NOTHING", "blah"), "blah");
        assert_eq!(
            route(
                "(.*)-(\\d\\d\\d\\d)(\\d\\d)(\\d\\d)",
                "$1-$2",
                "logs-20200101"
            ),
            "logs-2020"
        );
    }

    #[test]
    fn config_errors() {
        assert!(config_error(RegexRouter::new(), &[(REGEX_CONFIG, "x")])
            .to_string()
            .contains("\"replacement\""));
        assert!(config_error(
            RegexRouter::new(),
            &[(REGEX_CONFIG, "("), (REPLACEMENT_CONFIG, "x")]
        )
        .to_string()
        .starts_with("Invalid value ( for configuration regex: Invalid regex:"));
    }

    #[test]
    fn bad_replacement_fails_on_matching_records_only() {
        let mut t = configured(
            RegexRouter::new(),
            &[(REGEX_CONFIG, "a"), (REPLACEMENT_CONFIG, "$9")],
        );
        let mut r = record(None, Value::Null);
        r.topic = "b".into();
        assert_eq!(apply(&mut t, r.clone()).topic, "b");
        r.topic = "a".into();
        assert_eq!(t.apply(r).unwrap_err().to_string(), "No group 9");
    }
}
