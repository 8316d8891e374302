//! FileStreamSourceConnector: validates its config and hands the whole of it to exactly one task.

pub mod config;
pub mod task;

use connect_api::{Config, ConnectResult, Connector, ConnectorContext, ExactlyOnceSupport};

use self::config::SourceConfig;

pub const CLASS_NAME: &str = "org.apache.kafka.connect.file.FileStreamSourceConnector";
pub const ALIASES: &[&str] = &["FileStreamSource", "FileStreamSourceConnector"];

/// Reads one file (or standard input) into one topic.
#[derive(Default)]
pub struct FileStreamSourceConnector {
    props: Config,
}

impl Connector for FileStreamSourceConnector {
    fn start(&mut self, config: &Config, _context: Box<dyn ConnectorContext>) -> ConnectResult<()> {
        let parsed = SourceConfig::parse(config)?;
        self.props = config.clone();
        eprintln!(
            "FileStreamSourceConnector: starting file source connector reading from {}",
            parsed.file.as_deref().unwrap_or("standard input")
        );
        Ok(())
    }

    /// Only one input stream makes sense: one task config, a copy of the connector's, whatever `max_tasks` is.
    fn task_configs(&mut self, _max_tasks: usize) -> ConnectResult<Vec<Config>> {
        Ok(vec![self.props.clone()])
    }

    fn stop(&mut self) -> ConnectResult<()> {
        Ok(())
    }

    /// As Kafka's: a file can be re-read from a committed position, standard input cannot.
    fn exactly_once_support(&self, config: &Config) -> Option<ExactlyOnceSupport> {
        let file = config.get("file").map(|f| f.trim()).unwrap_or_default();
        Some(if file.is_empty() {
            ExactlyOnceSupport::Unsupported
        } else {
            ExactlyOnceSupport::Supported
        })
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

    fn props(pairs: &[(&str, &str)]) -> Config {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn always_one_task_with_the_connector_config() {
        let p = props(&[
            ("connector.class", "FileStreamSource"),
            ("file", "/tmp/x"),
            ("topic", "t"),
        ]);
        let mut c = FileStreamSourceConnector::default();
        c.start(&p, Box::new(NoopContext)).unwrap();
        for max in [1, 3, 10] {
            assert_eq!(c.task_configs(max).unwrap(), vec![p.clone()]);
        }
        c.stop().unwrap();
    }

    #[test]
    fn exactly_once_is_supported_for_a_file_not_for_standard_input() {
        let c = FileStreamSourceConnector::default();
        assert_eq!(
            c.exactly_once_support(&props(&[("file", "/tmp/x")])),
            Some(ExactlyOnceSupport::Supported)
        );
        for p in [props(&[]), props(&[("file", " ")])] {
            assert_eq!(
                c.exactly_once_support(&p),
                Some(ExactlyOnceSupport::Unsupported)
            );
        }
    }

    #[test]
    fn start_fails_without_topic() {
        let mut c = FileStreamSourceConnector::default();
        let err = c
            .start(&props(&[("file", "/tmp/x")]), Box::new(NoopContext))
            .unwrap_err();
        assert_eq!(
            err.class_name(),
            "org.apache.kafka.common.config.ConfigException"
        );
        let errors: Vec<_> = c
            .validate(&props(&[("file", "/tmp/x")]), &config::config_def())
            .into_iter()
            .flat_map(|v| v.errors)
            .collect();
        assert_eq!(
            errors,
            vec!["Missing required configuration \"topic\" which has no default value."]
        );
    }
}
