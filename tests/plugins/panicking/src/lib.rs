//! Test plugins that panic on purpose: `PanickingSource` panics in `poll` after a few records, `PanickingSink`
//! panics in `put`. The worker must turn only their task FAILED, with the panic message as the trace.

use connect_api::abi::guest::PluginDef;
use connect_api::config::{ConfigDef, ConfigType, Importance};
use connect_api::data::{schemas, Value};
use connect_api::{
    Config, ConnectRecord, ConnectResult, Connector, ConnectorContext, SinkRecord, SinkTask,
    SinkTaskContext,
};
use connect_api::{OffsetMap, SourceRecord, SourceTask, SourceTaskContext};

/// The panic message the tests look for in the task trace.
pub const PANIC_MESSAGE: &str = "deliberate test panic";

#[derive(Default)]
struct PassThroughConnector {
    config: Config,
}

impl Connector for PassThroughConnector {
    fn start(&mut self, config: &Config, _context: Box<dyn ConnectorContext>) -> ConnectResult<()> {
        self.config = config.clone();
        Ok(())
    }
    fn task_configs(&mut self, _max_tasks: usize) -> ConnectResult<Vec<Config>> {
        Ok(vec![self.config.clone()])
    }
    fn stop(&mut self) -> ConnectResult<()> {
        Ok(())
    }
}

#[derive(Default)]
struct PanickingSourceTask {
    topic: String,
    polls: u32,
}

impl SourceTask for PanickingSourceTask {
    fn start(
        &mut self,
        config: &Config,
        _context: Box<dyn SourceTaskContext>,
    ) -> ConnectResult<()> {
        self.topic = config.get("topic").cloned().unwrap_or_default();
        Ok(())
    }
    fn poll(&mut self) -> ConnectResult<Vec<SourceRecord>> {
        self.polls += 1;
        if self.polls > 3 {
            panic!("{PANIC_MESSAGE} in poll");
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
        let record = ConnectRecord::new(
            &self.topic,
            Some(schemas::string()),
            Value::from(format!("poll-{}", self.polls)),
        );
        Ok(vec![SourceRecord::new(
            OffsetMap::new(),
            OffsetMap::new(),
            record,
        )])
    }
    fn stop(&mut self) -> ConnectResult<()> {
        Ok(())
    }
}

#[derive(Default)]
struct PanickingSinkTask;

impl SinkTask for PanickingSinkTask {
    fn start(&mut self, _config: &Config, _context: Box<dyn SinkTaskContext>) -> ConnectResult<()> {
        Ok(())
    }
    fn put(&mut self, records: Vec<SinkRecord>) -> ConnectResult<()> {
        if !records.is_empty() {
            panic!("{PANIC_MESSAGE} in put");
        }
        Ok(())
    }
    fn stop(&mut self) -> ConnectResult<()> {
        Ok(())
    }
}

fn plugins() -> Vec<PluginDef> {
    let source_def = ConfigDef::new()
        .define(
            "topic",
            ConfigType::String,
            Importance::High,
            "Topic to write to.",
        )
        .add();
    vec![
        PluginDef::source::<PassThroughConnector, PanickingSourceTask>(
            "io.connectrs.test.PanickingSourceConnector",
            &["PanickingSource"],
            env!("CARGO_PKG_VERSION"),
            source_def,
        ),
        PluginDef::sink::<PassThroughConnector, PanickingSinkTask>(
            "io.connectrs.test.PanickingSinkConnector",
            &["PanickingSink"],
            env!("CARGO_PKG_VERSION"),
            ConfigDef::new(),
        ),
    ]
}

connect_api::export_plugins!(plugins);
