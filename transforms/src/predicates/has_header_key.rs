//! `HasHeaderKey`: true when the record has at least one header with the configured name.

use connect_api::config::{ConfigDef, ConfigType, Importance, Validator};
use connect_api::connector::Config;
use connect_api::transform::Predicate;
use connect_api::{ConnectRecord, ConnectResult};

use crate::util::config as cfg;

pub const NAME_CONFIG: &str = "name";

pub fn config_def() -> ConfigDef {
    ConfigDef::new()
        .define(
            NAME_CONFIG,
            ConfigType::String,
            Importance::Medium,
            "The header name.",
        )
        .validator(Validator::NonEmptyString)
        .add()
}

/// Matches records carrying a header.
#[derive(Debug, Default)]
pub struct HasHeaderKey {
    name: String,
}

impl HasHeaderKey {
    pub fn new() -> Self {
        Self::default()
    }
}

impl Predicate for HasHeaderKey {
    fn configure(&mut self, config: &Config) -> ConnectResult<()> {
        let parsed = cfg::parse(&config_def(), config)?;
        self.name = parsed.string(NAME_CONFIG).unwrap_or_default().to_string();
        Ok(())
    }

    fn test(&mut self, record: &ConnectRecord) -> ConnectResult<bool> {
        Ok(record.headers.iter().any(|h| h.key == self.name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::testing::*;
    use connect_api::data::Value;

    fn with_headers(keys: &[&str]) -> ConnectRecord {
        let mut r = record(None, Value::Null);
        for k in keys {
            r.headers.add(*k, None, Value::Null);
        }
        r
    }

    #[test]
    fn tests_header_presence() {
        let mut p = configured_predicate(HasHeaderKey::new(), &[(NAME_CONFIG, "foo")]);
        assert!(!p.test(&with_headers(&[])).unwrap());
        assert!(!p.test(&with_headers(&["bar"])).unwrap());
        assert!(p.test(&with_headers(&["foo"])).unwrap());
        assert!(p
            .test(&with_headers(&["bar", "foo", "bar", "foo"]))
            .unwrap());
    }

    #[test]
    fn name_is_required_and_non_empty() {
        let mut p = HasHeaderKey::new();
        assert_eq!(
            p.configure(&props(&[])).unwrap_err().to_string(),
            "Missing required configuration \"name\" which has no default value."
        );
        assert_eq!(
            p.configure(&props(&[(NAME_CONFIG, "")]))
                .unwrap_err()
                .to_string(),
            "Invalid value  for configuration name: String must be non-empty"
        );
    }
}
