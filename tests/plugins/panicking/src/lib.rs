//! Test plugins: `PanickingSource` panics in `poll` after a few records and `PanickingSink` in `put` (the worker must
//! turn only their task FAILED, with the panic message as the trace); `UppercaseValue` and `ValueContains`, a
//! transformation and a predicate shipped through the plugin ABI; `GeneratorSource` and `DiscardSink`, the cheapest
//! possible connectors, for measuring the runtime's own pipeline cost against the raw Kafka client.

/// A plugin library allocates with its own allocator (memory never crosses the ABI); mimalloc, as in the worker,
/// instead of glibc's for the many small values a batch decodes into.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use connect_api::abi::guest::PluginDef;
use connect_api::config::{ConfigDef, ConfigType, Importance};
use connect_api::data::{schemas, Value};
use connect_api::transform::{Predicate, Transformation};
use connect_api::{
    Config, ConnectRecord, ConnectResult, Connector, ConnectorContext, SinkRecord, SinkTask,
    SinkTaskContext,
};
use connect_api::{
    ConnectError, ExactlyOnceSupport, OffsetMap, RecordMetadata, SourceRecord, SourceTask,
    SourceTaskContext,
};

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
    /// `tasks` copies of the connector config (1 unless configured), at most `tasks.max`.
    fn task_configs(&mut self, max_tasks: usize) -> ConnectResult<Vec<Config>> {
        let tasks = self
            .config
            .get("tasks")
            .and_then(|t| t.trim().parse().ok())
            .unwrap_or(1)
            .clamp(1, max_tasks.max(1));
        Ok(vec![self.config.clone(); tasks])
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

/// Emits `records` string values of `value.size` bytes (`record-<n>` padded with `x`) to `topic`, `batch.size` per
/// poll, with the sequence number as source offset (resuming after it); idles once all were emitted. With
/// `commit.records.file`, it asks for `commit_record` calls and appends `<seq> <topic> <partition> <offset>` (or
/// `<seq> -` for a record not written) to that file for each. With `transaction.commit.every` N (and
/// `transaction.boundary=connector`), it asks for its transaction to end after every record whose `seq + 1` is a
/// multiple of N: an abort if `seq` is listed in `transaction.abort.at`, else a commit.
#[derive(Default)]
struct GeneratorSourceTask {
    topic: String,
    records: u64,
    batch: u64,
    value_size: usize,
    next: u64,
    commit_records: Option<std::fs::File>,
    /// `transaction.commit.every` and `transaction.abort.at`, with the context to ask through.
    boundaries: Option<(u64, Vec<u64>, Box<dyn SourceTaskContext>)>,
}

/// The generator's connector: as [`PassThroughConnector`], and it says what its config sets of exactly-once
/// support (`declares.exactly.once`: supported or unsupported) and of transaction boundaries (it can define them
/// when `transaction.commit.every` is set).
#[derive(Default)]
struct GeneratorConnector(PassThroughConnector);

impl Connector for GeneratorConnector {
    fn start(&mut self, config: &Config, context: Box<dyn ConnectorContext>) -> ConnectResult<()> {
        self.0.start(config, context)
    }
    fn task_configs(&mut self, max_tasks: usize) -> ConnectResult<Vec<Config>> {
        self.0.task_configs(max_tasks)
    }
    fn stop(&mut self) -> ConnectResult<()> {
        self.0.stop()
    }
    fn exactly_once_support(&self, config: &Config) -> Option<ExactlyOnceSupport> {
        match config.get("declares.exactly.once").map(String::as_str) {
            Some("supported") => Some(ExactlyOnceSupport::Supported),
            Some("unsupported") => Some(ExactlyOnceSupport::Unsupported),
            _ => None,
        }
    }
    fn can_define_transaction_boundaries(&self, config: &Config) -> bool {
        config.contains_key("transaction.commit.every")
    }
}

impl SourceTask for GeneratorSourceTask {
    fn start(&mut self, config: &Config, context: Box<dyn SourceTaskContext>) -> ConnectResult<()> {
        let number = |key: &str, default: u64| -> ConnectResult<u64> {
            config.get(key).map_or(Ok(default), |v| {
                v.trim()
                    .parse()
                    .map_err(|_| ConnectError::config(format!("{key} must be a number")))
            })
        };
        self.topic = config.get("topic").cloned().unwrap_or_default();
        self.records = number("records", 1_000_000)?;
        self.batch = number("batch.size", 1000)?.max(1);
        self.value_size = number("value.size", 100)? as usize;
        if let Some(path) = config.get("commit.records.file") {
            let file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .map_err(|e| ConnectError::connect(format!("{path}: {e}")))?;
            self.commit_records = Some(file);
        }
        self.next = context
            .offset(&generator_partition())
            .and_then(|o| o.get("seq").and_then(|s| s.as_u64()))
            .map_or(0, |last| last + 1);
        if config.contains_key("transaction.commit.every") {
            let every = number("transaction.commit.every", 1)?.max(1);
            let abort_at = config
                .get("transaction.abort.at")
                .map(|list| {
                    list.split(',')
                        .filter_map(|s| s.trim().parse().ok())
                        .collect()
                })
                .unwrap_or_default();
            if context.transaction_context().is_none() {
                return Err(ConnectError::connect(
                    "transaction.commit.every needs a transaction context",
                ));
            }
            self.boundaries = Some((every, abort_at, context));
        }
        Ok(())
    }
    fn poll(&mut self) -> ConnectResult<Vec<SourceRecord>> {
        if self.next >= self.records {
            std::thread::sleep(std::time::Duration::from_millis(100));
            return Ok(Vec::new());
        }
        let end = (self.next + self.batch).min(self.records);
        let records = (self.next..end)
            .map(|seq| {
                let mut value = format!("record-{seq}");
                if value.len() < self.value_size {
                    value.push_str(&"x".repeat(self.value_size - value.len()));
                }
                let mut offset = OffsetMap::new();
                offset.insert("seq".into(), seq.into());
                SourceRecord::new(
                    generator_partition(),
                    offset,
                    ConnectRecord::new(&self.topic, Some(schemas::string()), Value::from(value)),
                )
            })
            .collect::<Vec<_>>();
        if let Some((every, abort_at, context)) = &self.boundaries {
            let transactions = context.transaction_context().expect("checked at start");
            for (seq, record) in (self.next..end).zip(&records) {
                if (seq + 1) % every == 0 {
                    if abort_at.contains(&seq) {
                        transactions.abort_transaction_on(record);
                    } else {
                        transactions.commit_transaction_on(record);
                    }
                }
            }
        }
        self.next = end;
        Ok(records)
    }
    fn commits_records(&self) -> bool {
        self.commit_records.is_some()
    }
    fn commit_record(
        &mut self,
        record: &SourceRecord,
        metadata: Option<&RecordMetadata>,
    ) -> ConnectResult<()> {
        use std::io::Write;
        let seq = record.source_offset.get("seq").cloned().unwrap_or_default();
        let line = match metadata {
            Some(m) => format!("{seq} {} {} {}\n", m.topic, m.partition, m.offset),
            None => format!("{seq} -\n"),
        };
        if let Some(file) = &mut self.commit_records {
            file.write_all(line.as_bytes())
                .map_err(|e| ConnectError::connect(e.to_string()))?;
        }
        Ok(())
    }
    fn stop(&mut self) -> ConnectResult<()> {
        Ok(())
    }
}

fn generator_partition() -> OffsetMap {
    let mut partition = OffsetMap::new();
    partition.insert("generator".into(), "0".into());
    partition
}

/// Drops every record it is given.
#[derive(Default)]
struct DiscardSinkTask;

impl SinkTask for DiscardSinkTask {
    fn start(&mut self, _config: &Config, _context: Box<dyn SinkTaskContext>) -> ConnectResult<()> {
        Ok(())
    }
    fn put(&mut self, records: Vec<SinkRecord>) -> ConnectResult<()> {
        drop(records);
        Ok(())
    }
    fn stop(&mut self) -> ConnectResult<()> {
        Ok(())
    }
}

/// Upper-cases a string value and appends `suffix`; other values are a DataException.
#[derive(Default)]
struct UppercaseValue {
    suffix: String,
}

impl Transformation for UppercaseValue {
    fn configure(&mut self, config: &Config) -> ConnectResult<()> {
        self.suffix = config.get("suffix").cloned().unwrap_or_default();
        Ok(())
    }
    fn apply(&mut self, mut record: ConnectRecord) -> ConnectResult<Option<ConnectRecord>> {
        let Value::String(text) = &record.value else {
            return Err(ConnectError::data("UppercaseValue needs a string value"));
        };
        record.value = Value::from(format!("{}{}", text.to_uppercase(), self.suffix));
        Ok(Some(record))
    }
}

/// True when a string value contains `text`.
#[derive(Default)]
struct ValueContains {
    text: String,
}

impl Predicate for ValueContains {
    fn configure(&mut self, config: &Config) -> ConnectResult<()> {
        self.text = config
            .get("text")
            .cloned()
            .ok_or_else(|| ConnectError::config("ValueContains needs 'text'"))?;
        Ok(())
    }
    fn test(&mut self, record: &ConnectRecord) -> ConnectResult<bool> {
        Ok(matches!(&record.value, Value::String(s) if s.contains(&self.text)))
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
        PluginDef::source::<GeneratorConnector, GeneratorSourceTask>(
            "io.connectrs.test.GeneratorSourceConnector",
            &["GeneratorSource"],
            env!("CARGO_PKG_VERSION"),
            ConfigDef::new()
                .define(
                    "topic",
                    ConfigType::String,
                    Importance::High,
                    "Topic to write to.",
                )
                .add(),
        ),
        PluginDef::sink::<PassThroughConnector, DiscardSinkTask>(
            "io.connectrs.test.DiscardSinkConnector",
            &["DiscardSink"],
            env!("CARGO_PKG_VERSION"),
            ConfigDef::new(),
        ),
        PluginDef::transformation::<UppercaseValue>(
            "io.connectrs.test.UppercaseValue",
            &["UppercaseValue"],
            env!("CARGO_PKG_VERSION"),
            ConfigDef::new()
                .define(
                    "suffix",
                    ConfigType::String,
                    Importance::Low,
                    "Appended to every value.",
                )
                .default_value("")
                .add(),
        ),
        PluginDef::predicate::<ValueContains>(
            "io.connectrs.test.ValueContains",
            &["ValueContains"],
            env!("CARGO_PKG_VERSION"),
            ConfigDef::new(),
        ),
    ]
}

connect_api::export_plugins!(plugins);
