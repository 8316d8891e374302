//! `RecordIsTombstone`: true when the record value is null.

use connect_api::config::ConfigDef;
use connect_api::connector::Config;
use connect_api::transform::Predicate;
use connect_api::{ConnectRecord, ConnectResult};

pub fn config_def() -> ConfigDef {
    ConfigDef::new()
}

/// Matches tombstones.
#[derive(Debug, Default)]
pub struct RecordIsTombstone;

impl RecordIsTombstone {
    pub fn new() -> Self {
        RecordIsTombstone
    }
}

impl Predicate for RecordIsTombstone {
    fn configure(&mut self, _config: &Config) -> ConnectResult<()> {
        Ok(())
    }

    fn test(&mut self, record: &ConnectRecord) -> ConnectResult<bool> {
        Ok(record.value.is_null())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::testing::*;
    use connect_api::data::{schemas, Value};

    #[test]
    fn null_value_is_a_tombstone() {
        let mut p = configured_predicate(RecordIsTombstone::new(), &[]);
        assert!(p.test(&record(None, Value::Null)).unwrap());
        assert!(p
            .test(&record(Some(schemas::optional_string()), Value::Null))
            .unwrap());
        assert!(!p.test(&record(None, s("x"))).unwrap());
        assert!(p.test(&keyed(None, s("key"))).unwrap());
    }
}
