//! FileStreamSinkTask: appends each record's value and a newline to a file (created if missing) or standard output.

use std::fs::OpenOptions;
use std::io::{self, BufWriter, Write};

use connect_api::sink::PartitionOffsets;
use connect_api::{Config, ConnectError, ConnectResult, SinkRecord, SinkTask, SinkTaskContext};

use super::config::SinkConfig;
use super::format;

/// Output buffer size; `flush()` (called before every offset commit) empties it.
const WRITE_BUFFER: usize = 64 * 1024;

/// Writes `String.valueOf(value)` + `\n` per record, as Kafka's `PrintStream.println` does on Linux.
#[derive(Default)]
pub struct FileStreamSinkTask {
    filename: Option<String>,
    out: Option<BufWriter<Box<dyn Write + Send>>>,
}

impl SinkTask for FileStreamSinkTask {
    fn start(&mut self, config: &Config, _context: Box<dyn SinkTaskContext>) -> ConnectResult<()> {
        let config = SinkConfig::parse(config)?;
        let target: Box<dyn Write + Send> = match &config.file {
            None => Box::new(io::stdout()),
            Some(path) => Box::new(
                OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .map_err(|e| {
                        ConnectError::connect(format!(
                            "Couldn't find or create file '{path}' for FileStreamSinkTask: {e}"
                        ))
                    })?,
            ),
        };
        self.out = Some(BufWriter::with_capacity(WRITE_BUFFER, target));
        self.filename = config.file;
        Ok(())
    }

    fn put(&mut self, records: Vec<SinkRecord>) -> ConnectResult<()> {
        let out = self.writer()?;
        let result = records.iter().try_for_each(|record| {
            format::write_value(out, &record.value, record.value_schema.as_deref())?;
            out.write_all(b"\n")
        });
        result.map_err(|e| self.io_error("write to", e))
    }

    fn flush(&mut self, _offsets: &PartitionOffsets) -> ConnectResult<()> {
        let result = self.writer()?.flush();
        result.map_err(|e| self.io_error("flush", e))
    }

    fn stop(&mut self) -> ConnectResult<()> {
        let result = match self.out.take() {
            Some(mut out) => out.flush(),
            None => Ok(()),
        };
        result.map_err(|e| self.io_error("flush", e))
    }
}

impl FileStreamSinkTask {
    fn writer(&mut self) -> ConnectResult<&mut BufWriter<Box<dyn Write + Send>>> {
        self.out
            .as_mut()
            .ok_or_else(|| ConnectError::connect("FileStreamSinkTask used before it was started"))
    }

    fn io_error(&self, action: &str, e: io::Error) -> ConnectError {
        let target = self.filename.as_deref().unwrap_or("stdout");
        ConnectError::connect(format!(
            "Couldn't {action} {target} in FileStreamSinkTask: {e}"
        ))
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use connect_api::data::{schemas, Value};
    use connect_api::record::ConnectRecord;
    use connect_api::TopicPartition;

    use super::*;

    struct TempFile(PathBuf);

    impl TempFile {
        fn new(name: &str) -> TempFile {
            static COUNTER: AtomicUsize = AtomicUsize::new(0);
            let n = COUNTER.fetch_add(1, Ordering::Relaxed);
            let path = std::env::temp_dir().join(format!(
                "connect-file-sink-{}-{n}-{name}.txt",
                std::process::id()
            ));
            let _ = std::fs::remove_file(&path);
            TempFile(path)
        }
        fn path(&self) -> &str {
            self.0.to_str().unwrap()
        }
        fn read(&self) -> String {
            std::fs::read_to_string(&self.0).unwrap()
        }
    }

    impl Drop for TempFile {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }

    struct FakeContext;

    impl SinkTaskContext for FakeContext {
        fn offset(&self, _partition: &TopicPartition, _offset: i64) {}
        fn timeout(&self, _ms: i64) {}
        fn assignment(&self) -> Vec<TopicPartition> {
            vec![TopicPartition::new("t", 0)]
        }
        fn pause(&self, _partitions: &[TopicPartition]) {}
        fn resume(&self, _partitions: &[TopicPartition]) {}
        fn request_commit(&self) {}
        fn has_errant_record_reporter(&self) -> bool {
            false
        }
        fn report(&self, _record: &SinkRecord, _error: &ConnectError) -> ConnectResult<()> {
            Ok(())
        }
    }

    fn record(offset: i64, value: Value) -> SinkRecord {
        let schema = match value {
            Value::String(_) => Some(schemas::string()),
            _ => None,
        };
        let mut r = ConnectRecord::new("t", schema, value);
        r.kafka_partition = Some(0);
        r.kafka_offset = Some(offset);
        r
    }

    fn start(path: &str) -> FileStreamSinkTask {
        let mut task = FileStreamSinkTask::default();
        let config: Config = [("file".to_string(), path.to_string())].into();
        task.start(&config, Box::new(FakeContext)).unwrap();
        task
    }

    #[test]
    fn appends_values_and_nulls_and_flushes() {
        let file = TempFile::new("append");
        let mut task = start(file.path());
        task.put(vec![
            record(0, Value::from("first line")),
            record(1, Value::Null),
            record(2, Value::Int64(42)),
            record(3, Value::Boolean(false)),
            record(4, Value::Float64(2.0)),
        ])
        .unwrap();
        let offsets: PartitionOffsets = [(TopicPartition::new("t", 0), 5)].into();
        let committable = task.pre_commit(offsets.clone()).unwrap();
        assert_eq!(committable, offsets);
        assert_eq!(file.read(), "first line\nnull\n42\nfalse\n2.0\n");
        task.stop().unwrap();
    }

    #[test]
    fn appends_to_an_existing_file_across_restarts() {
        let file = TempFile::new("restart");
        std::fs::write(&file.0, "already here\n").unwrap();
        let mut task = start(file.path());
        task.put(vec![record(0, Value::from("é ünïcode"))]).unwrap();
        task.stop().unwrap();
        let mut task = start(file.path());
        task.put(vec![record(1, Value::from("again"))]).unwrap();
        task.flush(&PartitionOffsets::new()).unwrap();
        assert_eq!(file.read(), "already here\né ünïcode\nagain\n");
        task.stop().unwrap();
    }

    #[test]
    fn unwritable_file_fails_start_with_kafka_message() {
        let mut task = FileStreamSinkTask::default();
        let config: Config = [(
            "file".to_string(),
            "/nonexistent-dir-for-connect-file/out.txt".to_string(),
        )]
        .into();
        let err = task.start(&config, Box::new(FakeContext)).unwrap_err();
        assert!(
            err.message().starts_with(
                "Couldn't find or create file '/nonexistent-dir-for-connect-file/out.txt' for FileStreamSinkTask"
            ),
            "{err}"
        );
    }

    #[test]
    fn put_before_start_is_an_error() {
        let mut task = FileStreamSinkTask::default();
        assert!(task.put(vec![record(0, Value::Null)]).is_err());
    }
}
