//! PostgresConnector: validates its config and runs exactly one task (Debezium ignores `tasks.max`).

use connect_api::config::{ConfigDef, ConfigValue};
use connect_api::{Config, ConnectResult, Connector, ConnectorContext};

use crate::config::{self, PgConfig};

#[derive(Default)]
pub struct PostgresConnector {
    props: Config,
}

impl Connector for PostgresConnector {
    fn start(&mut self, config: &Config, _context: Box<dyn ConnectorContext>) -> ConnectResult<()> {
        PgConfig::parse(config)?;
        self.props = config.clone();
        Ok(())
    }

    fn task_configs(&mut self, _max_tasks: usize) -> ConnectResult<Vec<Config>> {
        Ok(vec![self.props.clone()])
    }

    fn stop(&mut self) -> ConnectResult<()> {
        Ok(())
    }

    fn validate(&self, config: &Config, _def: &ConfigDef) -> Vec<ConfigValue> {
        config::validate(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Noop;
    impl ConnectorContext for Noop {
        fn request_task_reconfiguration(&self) {}
        fn raise_error(&self, _message: &str) {}
    }

    #[test]
    fn one_task_and_required_prefix() {
        let mut p: Config = [
            ("database.hostname", "h"),
            ("database.user", "u"),
            ("database.dbname", "d"),
            ("topic.prefix", "srv"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let mut c = PostgresConnector::default();
        c.start(&p, Box::new(Noop)).unwrap();
        assert_eq!(c.task_configs(4).unwrap().len(), 1);
        p.remove("topic.prefix");
        let err = PostgresConnector::default()
            .start(&p, Box::new(Noop))
            .unwrap_err();
        assert!(err.message().contains("topic.prefix"));
        assert_eq!(crate::plugins().len(), 1);
    }
}
