//! S3SinkTask: one [`PartitionWriter`] per assigned Kafka partition; `put` writes, `pre_commit` releases only the
//! offsets whose records are durably in S3, `close`/`stop` abort what is not.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use connect_api::sink::PartitionOffsets;
use connect_api::{
    Config, ConnectError, ConnectResult, SinkRecord, SinkTask, SinkTaskContext, TopicPartition,
};

use crate::config::{NullBehavior, S3SinkConfig, NULL_VALUES};
use crate::storage::Storage;
use crate::writer::PartitionWriter;

#[derive(Default)]
pub struct S3SinkTask {
    config: Option<S3SinkConfig>,
    /// Shared with the threads that commit rotated files in the background.
    storage: Option<Arc<Storage>>,
    context: Option<Box<dyn SinkTaskContext>>,
    writers: HashMap<TopicPartition, PartitionWriter>,
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

impl S3SinkTask {
    fn parts(&self) -> ConnectResult<(&S3SinkConfig, &Arc<Storage>)> {
        match (&self.config, &self.storage) {
            (Some(c), Some(s)) => Ok((c, s)),
            _ => Err(ConnectError::connect(
                "S3SinkTask used before it was started",
            )),
        }
    }
}

impl SinkTask for S3SinkTask {
    fn start(&mut self, config: &Config, context: Box<dyn SinkTaskContext>) -> ConnectResult<()> {
        let config = S3SinkConfig::parse(config)?;
        let storage = Storage::new(&config)?;
        match storage.check_bucket() {
            Ok(()) => {}
            // Unreachable now is not fatal: uploads retry, and the task stays RUNNING.
            Err(e) if e.is_retriable() => eprintln!("connect-s3: {e}"),
            Err(e) => return Err(e),
        }
        context.timeout(config.retry_backoff_ms.max(100) as i64);
        self.context = Some(context);
        self.config = Some(config);
        self.storage = Some(Arc::new(storage));
        Ok(())
    }

    fn open(&mut self, partitions: &[TopicPartition]) -> ConnectResult<()> {
        let (config, storage) = self.parts()?;
        let dir = if config.topics_dir.is_empty() {
            String::new()
        } else {
            format!("{}{}", config.topics_dir, config.directory_delim)
        };
        for tp in partitions {
            // Multipart uploads left by a task that crashed while owning this partition are garbage: abort them.
            let prefix = format!("{dir}{}{}", tp.topic, config.directory_delim);
            let file_prefix = format!(
                "{}{}{}{}",
                tp.topic, config.file_delim, tp.partition, config.file_delim
            );
            let aborted = storage.abort_stale_uploads(&prefix, &file_prefix);
            if aborted > 0 {
                eprintln!("connect-s3: aborted {aborted} incomplete multipart upload(s) of {tp}");
            }
        }
        for tp in partitions {
            self.writers
                .insert(tp.clone(), PartitionWriter::new(tp.clone()));
        }
        Ok(())
    }

    fn put(&mut self, records: Vec<SinkRecord>) -> ConnectResult<()> {
        let (config, storage) = match (&self.config, &self.storage) {
            (Some(c), Some(s)) => (c, s),
            _ => {
                return Err(ConnectError::connect(
                    "S3SinkTask used before it was started",
                ))
            }
        };
        let now = now_ms();
        // Also on the empty put() after an idle poll: scheduled and wall-clock rotations happen without new records.
        for writer in self.writers.values_mut() {
            writer.settle(storage, config)?;
            writer.rotate_if_due(storage, config, now)?;
        }
        let mut rejected = Vec::new();
        // Consecutive records mostly share a partition: its writer is looked up once per run of them.
        for run in
            records.chunk_by(|a, b| a.kafka_partition == b.kafka_partition && a.topic == b.topic)
        {
            let tp = TopicPartition::new(run[0].topic.clone(), run[0].kafka_partition.unwrap_or(0));
            let writer = self
                .writers
                .entry(tp)
                .or_insert_with_key(|tp| PartitionWriter::new(tp.clone()));
            for record in run {
                let offset = record.kafka_offset.unwrap_or(0);
                if writer.already_seen(offset) {
                    continue;
                }
                if record.value.is_null() {
                    match config.null_behavior {
                        NullBehavior::Ignore => {
                            writer.advance(offset);
                            continue;
                        }
                        NullBehavior::Fail => {
                            return Err(ConnectError::connect(format!(
                                "Null valued records are not writeable with current {NULL_VALUES} 'fail' setting (record {}-{} at offset {offset})",
                                record.topic,
                                record.kafka_partition.unwrap_or(0)
                            )))
                        }
                    }
                }
                match writer.write(storage, config, record, now) {
                    Ok(()) => {}
                    Err(ConnectError::Data(msg)) => {
                        writer.advance(offset);
                        rejected.push((record, ConnectError::Data(msg)));
                    }
                    Err(e) => return Err(e),
                }
                // Report as we go, so a failing reporter stops the batch at this record.
                for (rec, err) in rejected.drain(..) {
                    match &self.context {
                        Some(ctx) if ctx.has_errant_record_reporter() => ctx.report(rec, &err)?,
                        _ => return Err(err),
                    }
                }
            }
        }
        Ok(())
    }

    fn pre_commit(&mut self, _offsets: PartitionOffsets) -> ConnectResult<PartitionOffsets> {
        let (config, storage) = match (&self.config, &self.storage) {
            (Some(c), Some(s)) => (c, s),
            _ => return Ok(PartitionOffsets::new()),
        };
        let now = now_ms();
        let mut out = PartitionOffsets::new();
        for (tp, writer) in &mut self.writers {
            if let Err(e) = writer.rotate_if_due(storage, config, now) {
                eprintln!("connect-s3: time-based rotation of {tp} failed, will retry: {e}");
            }
            match writer.committable(&**storage) {
                Ok(Some(offset)) => {
                    out.insert(tp.clone(), offset);
                }
                Ok(None) => {}
                Err(e) => eprintln!("connect-s3: committing files of {tp} failed, will retry: {e}"),
            }
        }
        Ok(out)
    }

    fn close(&mut self, partitions: &[TopicPartition]) -> ConnectResult<()> {
        for tp in partitions {
            if let (Some(mut writer), Some(storage)) = (self.writers.remove(tp), &self.storage) {
                writer.abort(&**storage);
            }
        }
        Ok(())
    }

    fn stop(&mut self) -> ConnectResult<()> {
        if let Some(storage) = &self.storage {
            for writer in self.writers.values_mut() {
                writer.abort(&**storage);
            }
        }
        self.writers.clear();
        Ok(())
    }
}

impl S3SinkTask {
    /// For tests and metrics: records held in open files per partition.
    pub fn buffered(&self) -> u64 {
        self.writers.values().map(PartitionWriter::buffered).sum()
    }
}
