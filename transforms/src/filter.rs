//! `Filter`: drops every record it sees; combined with a predicate it drops the matching records.

use connect_api::config::ConfigDef;
use connect_api::connector::Config;
use connect_api::transform::Transformation;
use connect_api::{ConnectRecord, ConnectResult};

pub fn config_def() -> ConfigDef {
    ConfigDef::new()
}

/// Drops all records (Kafka's `Filter`).
#[derive(Debug, Default)]
pub struct Filter;

impl Filter {
    pub fn new() -> Self {
        Filter
    }
}

impl Transformation for Filter {
    fn configure(&mut self, _config: &Config) -> ConnectResult<()> {
        Ok(())
    }

    fn apply(&mut self, _record: ConnectRecord) -> ConnectResult<Option<ConnectRecord>> {
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::testing::*;
    use connect_api::data::Value;

    #[test]
    fn drops_everything() {
        let mut t = configured(Filter::new(), &[]);
        assert_eq!(t.apply(record(None, Value::Int32(1))).unwrap(), None);
        assert_eq!(t.apply(record(None, Value::Null)).unwrap(), None);
    }
}
