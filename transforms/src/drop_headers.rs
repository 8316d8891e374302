//! `DropHeaders`: removes every header whose key is one of the configured names.

use std::collections::HashSet;

use connect_api::config::{ConfigDef, ConfigType, Importance};
use connect_api::connector::Config;
use connect_api::transform::Transformation;
use connect_api::{ConnectRecord, ConnectResult};

use crate::util::config as cfg;

pub const HEADERS_CONFIG: &str = "headers";

pub fn config_def() -> ConfigDef {
    ConfigDef::new()
        .define(
            HEADERS_CONFIG,
            ConfigType::List,
            Importance::High,
            "The name of the headers to be removed.",
        )
        .add()
}

/// Drops the configured headers from every record.
#[derive(Debug, Default)]
pub struct DropHeaders {
    headers: HashSet<String>,
}

impl DropHeaders {
    pub fn new() -> Self {
        Self::default()
    }
}

impl Transformation for DropHeaders {
    fn configure(&mut self, config: &Config) -> ConnectResult<()> {
        let parsed = cfg::parse(&config_def(), config)?;
        self.headers = cfg::non_empty_list(&parsed, HEADERS_CONFIG)?
            .into_iter()
            .collect();
        Ok(())
    }

    fn apply(&mut self, mut record: ConnectRecord) -> ConnectResult<Option<ConnectRecord>> {
        if record.headers.iter().any(|h| self.headers.contains(&h.key)) {
            record.headers.retain(|h| !self.headers.contains(&h.key));
        }
        Ok(Some(record))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::testing::*;
    use connect_api::data::{schemas, Value};
    use connect_api::header::Headers;

    fn with_headers(keys: &[&str]) -> ConnectRecord {
        let mut r = record(None, Value::Null);
        let mut headers = Headers::new();
        for k in keys {
            headers.add(*k, Some(schemas::string()), s(&format!("{k}-value")));
        }
        r.headers = headers;
        r
    }

    fn keys(r: &ConnectRecord) -> Vec<String> {
        r.headers.iter().map(|h| h.key.clone()).collect()
    }

    #[test]
    fn drops_named_headers_including_duplicates() {
        let mut t = configured(DropHeaders::new(), &[(HEADERS_CONFIG, "dont-copy-me")]);
        let out = apply(
            &mut t,
            with_headers(&["existing", "dont-copy-me", "another", "dont-copy-me"]),
        );
        assert_eq!(keys(&out), vec!["existing", "another"]);
        let mut t = configured(DropHeaders::new(), &[(HEADERS_CONFIG, "a,b")]);
        assert_eq!(
            keys(&apply(&mut t, with_headers(&["a", "c", "b"]))),
            vec!["c"]
        );
    }

    #[test]
    fn missing_headers_are_fine() {
        let mut t = configured(DropHeaders::new(), &[(HEADERS_CONFIG, "x")]);
        assert_eq!(keys(&apply(&mut t, with_headers(&["a"]))), vec!["a"]);
        assert!(apply(&mut t, with_headers(&[])).headers.is_empty());
    }

    #[test]
    fn config_errors() {
        assert_eq!(
            config_error(DropHeaders::new(), &[]).to_string(),
            "Missing required configuration \"headers\" which has no default value."
        );
        assert_eq!(
            config_error(DropHeaders::new(), &[(HEADERS_CONFIG, "")]).to_string(),
            "Invalid value [] for configuration headers: Empty list"
        );
    }
}
