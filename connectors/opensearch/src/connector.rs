//! OpensearchSinkConnector: validates its config (including `connection.url` entries) and gives each of
//! `max_tasks` tasks a copy of it.

use connect_api::config::{ConfigDef, ConfigValue};
use connect_api::{Config, ConnectResult, Connector, ConnectorContext};

use crate::config::{validate_urls, SinkConfig};

pub const CLASS_NAME: &str = "io.aiven.kafka.connect.opensearch.OpensearchSinkConnector";
pub const ALIASES: &[&str] = &["OpensearchSinkConnector", "OpensearchSink"];

#[derive(Default)]
pub struct OpensearchSinkConnector {
    props: Config,
}

impl Connector for OpensearchSinkConnector {
    fn start(&mut self, config: &Config, _context: Box<dyn ConnectorContext>) -> ConnectResult<()> {
        SinkConfig::parse(config)?;
        self.props = config.clone();
        Ok(())
    }

    fn task_configs(&mut self, max_tasks: usize) -> ConnectResult<Vec<Config>> {
        Ok(vec![self.props.clone(); max_tasks])
    }

    fn stop(&mut self) -> ConnectResult<()> {
        Ok(())
    }

    fn validate(&self, config: &Config, def: &ConfigDef) -> Vec<ConfigValue> {
        let mut values = def.validate(config);
        validate_urls(config, &mut values);
        values
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct NoopContext;
    impl ConnectorContext for NoopContext {
        fn request_task_reconfiguration(&self) {}
        fn raise_error(&self, _message: &str) {}
    }

    #[test]
    fn validates_and_copies_config_per_task() {
        let props: Config = [
            (
                "connection.url".to_string(),
                "http://127.0.0.1:9200".to_string(),
            ),
            ("topics".to_string(), "a".to_string()),
        ]
        .into();
        let mut c = OpensearchSinkConnector::default();
        c.start(&props, Box::new(NoopContext)).unwrap();
        assert_eq!(c.task_configs(2).unwrap(), vec![props.clone(); 2]);
        let bad: Config = [("connection.url".to_string(), "not a url".to_string())].into();
        let err = OpensearchSinkConnector::default()
            .start(&bad, Box::new(NoopContext))
            .unwrap_err();
        assert!(err.message().contains("connection.url"), "{err}");
        let values = c.validate(&bad, &crate::config::config_def());
        let url = values.iter().find(|v| v.name == "connection.url").unwrap();
        assert_eq!(url.errors.len(), 1, "{url:?}");
    }
}
