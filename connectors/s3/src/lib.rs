//! The Confluent S3 sink (`io.confluent.connect.s3.S3SinkConnector`) as a plugin library: same config keys, the
//! same object layout (`<topics.dir>/<topic>/<encoded partition>/<topic>+<partition>+<start offset>.<ext>`) and the
//! same exactly-once commit protocol (deterministic file names, offsets released only after the upload).

/// A plugin library allocates with its own allocator (memory never crosses the ABI); mimalloc, as in the worker,
/// instead of glibc's for the many small values a batch decodes into.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

pub mod avro_file;
pub mod config;
pub mod format;
pub mod parquet_file;
pub mod partitioner;
pub mod storage;
pub mod task;
pub mod writer;

use connect_api::abi::guest::PluginDef;
use connect_api::{Config, ConnectResult, Connector, ConnectorContext};

pub use task::S3SinkTask;

pub const CLASS_NAME: &str = "io.confluent.connect.s3.S3SinkConnector";
pub const ALIASES: &[&str] = &["S3Sink", "S3SinkConnector"];
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Validates the config and gives each task a copy; Kafka assigns the partitions.
#[derive(Default)]
pub struct S3SinkConnector {
    props: Config,
}

impl Connector for S3SinkConnector {
    fn start(&mut self, config: &Config, _context: Box<dyn ConnectorContext>) -> ConnectResult<()> {
        config::S3SinkConfig::parse(config)?;
        self.props = config.clone();
        Ok(())
    }

    fn task_configs(&mut self, max_tasks: usize) -> ConnectResult<Vec<Config>> {
        Ok(vec![self.props.clone(); max_tasks])
    }

    fn stop(&mut self) -> ConnectResult<()> {
        Ok(())
    }
}

pub fn plugins() -> Vec<PluginDef> {
    vec![PluginDef::sink::<S3SinkConnector, S3SinkTask>(
        CLASS_NAME,
        ALIASES,
        VERSION,
        config::config_def(),
    )]
}

connect_api::export_plugins!(plugins);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exports_confluent_class_name() {
        assert_eq!(plugins().len(), 1);
        assert_eq!(CLASS_NAME, "io.confluent.connect.s3.S3SinkConnector");
        assert!(ALIASES.contains(&"S3SinkConnector"));
    }
}
