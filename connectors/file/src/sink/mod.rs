//! FileStreamSinkConnector: validates its config and gives each of `max_tasks` tasks a copy of it.

pub mod config;
pub mod format;
pub mod task;

use connect_api::{Config, ConnectResult, Connector, ConnectorContext};

use self::config::SinkConfig;

pub const CLASS_NAME: &str = "org.apache.kafka.connect.file.FileStreamSinkConnector";
pub const ALIASES: &[&str] = &["FileStreamSink", "FileStreamSinkConnector"];

/// Appends record values to one file (or standard output).
#[derive(Default)]
pub struct FileStreamSinkConnector {
    props: Config,
}

impl Connector for FileStreamSinkConnector {
    fn start(&mut self, config: &Config, _context: Box<dyn ConnectorContext>) -> ConnectResult<()> {
        let parsed = SinkConfig::parse(config)?;
        self.props = config.clone();
        eprintln!(
            "FileStreamSinkConnector: starting file sink connector writing to {}",
            parsed.file.as_deref().unwrap_or("standard output")
        );
        Ok(())
    }

    fn task_configs(&mut self, max_tasks: usize) -> ConnectResult<Vec<Config>> {
        Ok(vec![self.props.clone(); max_tasks])
    }

    fn stop(&mut self) -> ConnectResult<()> {
        Ok(())
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
    fn one_config_copy_per_task() {
        let props: Config = [
            ("file".to_string(), "/tmp/out".to_string()),
            ("topics".to_string(), "a,b".to_string()),
        ]
        .into();
        let mut c = FileStreamSinkConnector::default();
        c.start(&props, Box::new(NoopContext)).unwrap();
        assert_eq!(c.task_configs(3).unwrap(), vec![props.clone(); 3]);
        assert_eq!(c.task_configs(1).unwrap(), vec![props]);
        c.stop().unwrap();
    }
}
