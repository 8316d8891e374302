//! One Kafka partition's writer (Confluent's `TopicPartitionWriter`): routes records to one open file per encoded
//! partition, streams each file to S3 as multipart parts of `s3.part.size`, and commits all open files together on
//! `flush.size`, `rotate.interval.ms` or `rotate.schedule.interval.ms`. A file is named after the offset of its first
//! record, so a replay from the last committed offset rewrites the same keys with the same bytes; the offset
//! released to the consumer group only advances once every file holding earlier records is durably in S3. A rotated
//! file set is completed on a background thread while the next one fills; at most one set is completing at a time.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::thread::JoinHandle;

use bytes::Bytes;
use connect_api::data::SchemaRef;
use connect_api::{ConnectError, ConnectResult, SinkRecord, TopicPartition};

use crate::config::S3SinkConfig;
use crate::format::{encode_record, ObjectStream, StreamKind};
use crate::partitioner::{object_key, TimestampExtractor};
use crate::storage::{PendingPart, Storage};

/// The S3 calls a writer makes (a trait so that rotation logic is testable without a server).
pub trait ObjectStore {
    fn put_object(&self, key: &str, body: Vec<u8>) -> ConnectResult<()>;
    fn create_multipart(&self, key: &str) -> ConnectResult<String>;
    /// Starts uploading part `number` (1-based); its ETag comes from [`PendingPart::wait`].
    fn start_part(&self, key: &str, upload_id: &str, number: i32, body: Bytes) -> PendingPart;
    fn complete_multipart(&self, key: &str, upload_id: &str, etags: &[String])
        -> ConnectResult<()>;
    fn abort_multipart(&self, key: &str, upload_id: &str);
}

impl ObjectStore for Storage {
    fn put_object(&self, key: &str, body: Vec<u8>) -> ConnectResult<()> {
        Storage::put_object(self, key, body)
    }
    fn create_multipart(&self, key: &str) -> ConnectResult<String> {
        Storage::create_multipart(self, key)
    }
    fn start_part(&self, key: &str, upload_id: &str, number: i32, body: Bytes) -> PendingPart {
        Storage::start_part(self, key, upload_id, number, body)
    }
    fn complete_multipart(
        &self,
        key: &str,
        upload_id: &str,
        etags: &[String],
    ) -> ConnectResult<()> {
        Storage::complete_multipart(self, key, upload_id, etags)
    }
    fn abort_multipart(&self, key: &str, upload_id: &str) {
        Storage::abort_multipart(self, key, upload_id)
    }
}

/// A part whose upload was started; its bytes stay until S3 acknowledged them, so a failure can resend them.
struct InFlightPart {
    number: i32,
    body: Bytes,
    pending: PendingPart,
}

/// One object being written. Bytes leave memory only once S3 acknowledged them, so a failed call can be retried.
/// One part uploads in the background while the next one fills, so encoding and uploading overlap; memory per
/// open file stays within two parts plus the stream's unfilled part.
struct FileWriter {
    key: String,
    stream: Option<ObjectStream>,
    /// Parts taken from the stream but not yet started or whose upload failed, oldest first.
    unsent: VecDeque<(i32, Bytes)>,
    in_flight: Option<InFlightPart>,
    next_part: i32,
    /// The end of the stream once finished, until uploaded.
    tail: Option<Bytes>,
    upload_id: Option<String>,
    etags: Vec<String>,
}

impl FileWriter {
    fn new(key: String, kind: StreamKind, schema: Option<&SchemaRef>) -> ConnectResult<FileWriter> {
        Ok(FileWriter {
            stream: Some(ObjectStream::new(kind, &key, schema.map(|s| &**s))?),
            key,
            unsent: VecDeque::new(),
            in_flight: None,
            next_part: 1,
            tail: None,
            upload_id: None,
            etags: Vec::new(),
        })
    }

    fn upload_id(&mut self, store: &dyn ObjectStore) -> ConnectResult<String> {
        if let Some(id) = &self.upload_id {
            return Ok(id.clone());
        }
        let id = store.create_multipart(&self.key)?;
        self.upload_id = Some(id.clone());
        Ok(id)
    }

    /// Waits for the part uploading in the background; on failure it goes back to the front of `unsent`.
    fn wait_in_flight(&mut self) -> ConnectResult<()> {
        if let Some(part) = self.in_flight.take() {
            match part.pending.wait() {
                Ok(etag) => self.etags.push(etag),
                Err(e) => {
                    self.unsent.push_front((part.number, part.body));
                    return Err(e);
                }
            }
        }
        Ok(())
    }

    /// Starts the oldest unsent part once the previous one is acknowledged (parts complete in order).
    fn start_next(&mut self, store: &dyn ObjectStore) -> ConnectResult<()> {
        if self.unsent.is_empty() {
            return Ok(());
        }
        self.wait_in_flight()?;
        let id = self.upload_id(store)?;
        if let Some((number, body)) = self.unsent.pop_front() {
            let pending = store.start_part(&self.key, &id, number, body.clone());
            self.in_flight = Some(InFlightPart {
                number,
                body,
                pending,
            });
        }
        Ok(())
    }

    /// Sends every unsent part and waits until all are acknowledged.
    fn send_all(&mut self, store: &dyn ObjectStore) -> ConnectResult<()> {
        while !self.unsent.is_empty() {
            self.start_next(store)?;
        }
        self.wait_in_flight()
    }

    /// Takes full parts of `part_size` from the stream and starts their upload.
    fn upload_ready_parts(
        &mut self,
        store: &dyn ObjectStore,
        part_size: usize,
    ) -> ConnectResult<()> {
        self.start_next(store)?;
        while let Some(stream) = self.stream.as_mut().filter(|s| s.ready_len() >= part_size) {
            let part = Bytes::from(stream.take_part(part_size));
            self.unsent.push_back((self.next_part, part));
            self.next_part += 1;
            self.start_next(store)?;
        }
        Ok(())
    }

    /// Makes the object visible: a single PUT if no part was sent, else the last part and CompleteMultipartUpload.
    fn commit(&mut self, store: &dyn ObjectStore) -> ConnectResult<()> {
        self.send_all(store)?;
        if let Some(stream) = self.stream.take() {
            self.tail = Some(Bytes::from(stream.finish()?));
        }
        match self.upload_id.clone() {
            None => {
                let tail = self.tail.clone().unwrap_or_default();
                store.put_object(&self.key, tail.to_vec())?;
            }
            Some(id) => {
                if let Some(tail) = self.tail.take().filter(|t| !t.is_empty()) {
                    self.unsent.push_back((self.next_part, tail));
                    self.next_part += 1;
                    self.send_all(store)?;
                }
                store.complete_multipart(&self.key, &id, &self.etags)?;
            }
        }
        Ok(())
    }

    fn abort(&mut self, store: &dyn ObjectStore) {
        // Let a running part finish first, so it cannot land after the abort.
        let _ = self.wait_in_flight();
        if let Some(id) = self.upload_id.take() {
            store.abort_multipart(&self.key, &id);
        }
    }
}

/// The writer of one Kafka partition.
pub struct PartitionWriter {
    tp: TopicPartition,
    /// The next offset this writer accepts; earlier ones are redeliveries of records it already holds.
    expected: Option<i64>,
    /// The offset the consumer group may commit: everything before it is in S3 (or was skipped).
    committed: Option<i64>,
    files: BTreeMap<String, FileWriter>,
    /// Records in the open file set (Confluent's `recordCount`).
    record_count: u64,
    base_timestamp: Option<i64>,
    current_encoded: Option<String>,
    /// The value schema of the open file set: a record with another one starts new files (Confluent's
    /// `schema.compatibility=NONE`).
    current_schema: Option<SchemaRef>,
    next_scheduled_rotation: Option<i64>,
    /// The previous file set, being made visible in the background.
    closing: Option<ClosingSet>,
    scratch: Vec<u8>,
}

/// Commits every file, handing each back with its result (a failed one keeps its bytes for a retry).
fn commit_each(
    files: impl IntoIterator<Item = FileWriter>,
    store: &dyn ObjectStore,
) -> Vec<(FileWriter, ConnectResult<()>)> {
    files
        .into_iter()
        .map(|mut file| {
            let result = file.commit(store);
            (file, result)
        })
        .collect()
}

/// A rotated file set being committed, and the offset it releases once every file is visible.
struct ClosingSet {
    release: Option<i64>,
    state: Closing,
}

enum Closing {
    /// Committing on a background thread, which hands every file back with its result.
    Running(JoinHandle<Vec<(FileWriter, ConnectResult<()>)>>),
    /// Files whose commit failed; they keep their bytes and are retried.
    Failed(Vec<FileWriter>),
}

impl ClosingSet {
    /// True when waiting for it would not block (finished, or failed and due for a retry).
    fn ready(&self) -> bool {
        match &self.state {
            Closing::Running(handle) => handle.is_finished(),
            Closing::Failed(_) => true,
        }
    }
}

impl PartitionWriter {
    pub fn new(tp: TopicPartition) -> PartitionWriter {
        PartitionWriter {
            tp,
            expected: None,
            committed: None,
            files: BTreeMap::new(),
            record_count: 0,
            base_timestamp: None,
            current_encoded: None,
            current_schema: None,
            next_scheduled_rotation: None,
            closing: None,
            scratch: Vec::new(),
        }
    }

    /// True for a record this writer already took (a batch redelivered after a retriable error).
    pub fn already_seen(&self, offset: i64) -> bool {
        self.expected.is_some_and(|e| offset < e)
    }

    /// Marks `offset` as handled without writing it (ignored null, record sent to the DLQ).
    pub fn advance(&mut self, offset: i64) {
        self.expected = Some(offset + 1);
        if self.files.is_empty() && self.closing.is_none() {
            self.committed = self.expected;
        }
    }

    /// Number of records in the open files.
    pub fn buffered(&self) -> u64 {
        self.record_count
    }

    /// The offset to commit for this partition, if any record was handled since it was opened: waits for the file
    /// set completing in the background first, so that the offset covers it.
    pub fn committable(&mut self, store: &dyn ObjectStore) -> ConnectResult<Option<i64>> {
        self.finish_closing(store)?;
        Ok(self.committed)
    }

    /// Finishes work a failed call left behind: a due size rotation and full parts.
    pub fn settle<S: ObjectStore + Send + Sync + 'static>(
        &mut self,
        store: &Arc<S>,
        config: &S3SinkConfig,
    ) -> ConnectResult<()> {
        if self.closing.as_ref().is_some_and(ClosingSet::ready) {
            self.finish_closing(&**store)?;
        }
        if self.record_count >= config.flush_size {
            return self.commit_files(store);
        }
        for file in self.files.values_mut() {
            file.upload_ready_parts(&**store, config.part_size)?;
        }
        Ok(())
    }

    /// Writes one record (not `already_seen`, value not null). A data error leaves the writer untouched.
    pub fn write<S: ObjectStore + Send + Sync + 'static>(
        &mut self,
        store: &Arc<S>,
        config: &S3SinkConfig,
        record: &SinkRecord,
        now_ms: i64,
    ) -> ConnectResult<()> {
        self.settle(store, config)?;
        let offset = record.kafka_offset.unwrap_or(0);
        let encoded = config
            .partitioner
            .encode(record, now_ms, &config.directory_delim)?;
        self.scratch.clear();
        encode_record(
            config.format,
            &config.bytearray_separator,
            &record.value,
            record.value_schema.as_deref(),
            &mut self.scratch,
        )?;
        let timestamp = self.rotation_timestamp(config, record, now_ms)?;
        if self.rotate_on_time(config, &encoded, timestamp, now_ms)
            || self.schema_changed(record.value_schema.as_ref())
        {
            self.commit_files(store)?;
        }

        if self.record_count == 0 {
            self.base_timestamp = timestamp;
            if config.rotate_schedule_interval_ms > 0 {
                let tz = config.timezone.map_or(0, |t| t.offset_ms);
                let interval = config.rotate_schedule_interval_ms;
                self.next_scheduled_rotation = Some(((now_ms + tz) / interval + 1) * interval - tz);
            }
        }
        let file = match self.files.entry(encoded.clone()) {
            std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::btree_map::Entry::Vacant(e) => {
                let key = object_key(
                    &config.topics_dir,
                    &config.directory_delim,
                    &config.file_delim,
                    config.zero_pad_width,
                    &record.topic,
                    &encoded,
                    record.kafka_partition.unwrap_or(0),
                    offset,
                    &config.extension(),
                );
                e.insert(FileWriter::new(
                    key,
                    config.stream_kind(),
                    record.value_schema.as_ref(),
                )?)
            }
        };
        if let Some(stream) = file.stream.as_mut() {
            stream.write(&self.scratch, &record.value)?;
        }
        self.record_count += 1;
        self.current_encoded = Some(encoded);
        self.current_schema = record.value_schema.clone();
        self.expected = Some(offset + 1);
        self.settle(store, config)
    }

    /// The timestamp `rotate.interval.ms` measures: the partitioner's extractor. As in Confluent, partitioners
    /// without one (Default, Field) have no periodic rotation.
    fn rotation_timestamp(
        &self,
        config: &S3SinkConfig,
        record: &SinkRecord,
        now_ms: i64,
    ) -> ConnectResult<Option<i64>> {
        match config.partitioner.extractor() {
            Some(extractor) if config.rotate_interval_ms > 0 => {
                extractor.extract(record, now_ms).map(Some)
            }
            _ => Ok(None),
        }
    }

    /// Confluent's `rotateOnTime`: interval elapsed since the file set's first record, encoded partition changed
    /// (with `rotate.interval.ms`), or the wall-clock schedule is due.
    fn rotate_on_time(
        &self,
        config: &S3SinkConfig,
        encoded: &str,
        timestamp: Option<i64>,
        now_ms: i64,
    ) -> bool {
        if self.record_count == 0 {
            return false;
        }
        let periodic = config.rotate_interval_ms > 0
            && match (timestamp, self.base_timestamp) {
                (Some(ts), Some(base)) => {
                    ts - base >= config.rotate_interval_ms
                        || self.current_encoded.as_deref() != Some(encoded)
                }
                _ => false,
            };
        let scheduled = config.rotate_schedule_interval_ms > 0
            && self.next_scheduled_rotation.is_some_and(|t| now_ms >= t);
        periodic || scheduled
    }

    /// True when the open files hold records of another value schema than `schema`.
    fn schema_changed(&self, schema: Option<&SchemaRef>) -> bool {
        self.record_count > 0
            && match (&self.current_schema, schema) {
                (Some(a), Some(b)) => !SchemaRef::ptr_eq(a, b) && a != b,
                (None, None) => false,
                _ => true,
            }
    }

    /// Time-driven rotation while no record arrives (called on every offset commit).
    pub fn rotate_if_due<S: ObjectStore + Send + Sync + 'static>(
        &mut self,
        store: &Arc<S>,
        config: &S3SinkConfig,
        now_ms: i64,
    ) -> ConnectResult<()> {
        if self.record_count == 0 {
            return Ok(());
        }
        let scheduled = config.rotate_schedule_interval_ms > 0
            && self.next_scheduled_rotation.is_some_and(|t| now_ms >= t);
        let wallclock = config.rotate_interval_ms > 0
            && config.partitioner.extractor() == Some(&TimestampExtractor::Wallclock)
            && self
                .base_timestamp
                .is_some_and(|b| now_ms - b >= config.rotate_interval_ms);
        if scheduled || wallclock || self.record_count >= config.flush_size {
            self.commit_files(store)?;
        }
        Ok(())
    }

    /// Starts committing every open file in the background (after the previous set finished); only when all are in
    /// S3 does the committable offset advance, see [`Self::finish_closing`].
    fn commit_files<S: ObjectStore + Send + Sync + 'static>(
        &mut self,
        store: &Arc<S>,
    ) -> ConnectResult<()> {
        self.finish_closing(&**store)?;
        let files = std::mem::take(&mut self.files);
        self.record_count = 0;
        self.base_timestamp = None;
        self.current_encoded = None;
        self.current_schema = None;
        self.next_scheduled_rotation = None;
        if files.is_empty() {
            self.committed = self.expected;
            return Ok(());
        }
        let store = Arc::clone(store);
        let handle = std::thread::spawn(move || commit_each(files.into_values(), &*store));
        self.closing = Some(ClosingSet {
            release: self.expected,
            state: Closing::Running(handle),
        });
        Ok(())
    }

    /// Waits for the file set committing in the background, retrying files whose commit failed. The committable
    /// offset advances only once every file of the set is visible.
    fn finish_closing(&mut self, store: &dyn ObjectStore) -> ConnectResult<()> {
        let Some(set) = self.closing.take() else {
            return Ok(());
        };
        let results = match set.state {
            Closing::Running(handle) => handle.join().map_err(|_| {
                ConnectError::connect(
                    "the S3 commit thread panicked; the records of its files will be consumed again",
                )
            })?,
            Closing::Failed(files) => commit_each(files, store),
        };
        let mut failed = Vec::new();
        let mut first_error = None;
        for (file, result) in results {
            if let Err(e) = result {
                first_error.get_or_insert(e);
                failed.push(file);
            }
        }
        if let Some(e) = first_error {
            self.closing = Some(ClosingSet {
                release: set.release,
                state: Closing::Failed(failed),
            });
            return Err(e);
        }
        // Records skipped since the rotation (nulls, DLQ) are covered too when no file is open.
        self.committed = if self.files.is_empty() {
            self.expected
        } else {
            set.release
        };
        Ok(())
    }

    /// Drops open files (aborting their multipart uploads); their records will be consumed again. A set still
    /// committing is waited for; if it failed, its uploads are aborted as well.
    pub fn abort(&mut self, store: &dyn ObjectStore) {
        if self.finish_closing(store).is_err() {
            if let Some(ClosingSet {
                state: Closing::Failed(files),
                ..
            }) = self.closing.take()
            {
                for mut file in files {
                    file.abort(store);
                }
            }
        }
        for file in self.files.values_mut() {
            file.abort(store);
        }
        self.files.clear();
        self.record_count = 0;
    }

    pub fn topic_partition(&self) -> &TopicPartition {
        &self.tp
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::collections::BTreeMap;
    use std::sync::Mutex;

    use connect_api::data::Value;
    use connect_api::{Config, ConnectError};

    use super::*;

    /// An in-memory bucket that can be told to fail the next calls.
    #[derive(Default)]
    pub struct MemStore {
        pub objects: Mutex<BTreeMap<String, Vec<u8>>>,
        uploads: Mutex<BTreeMap<String, Vec<(i32, Bytes)>>>,
        pub fail_next: Mutex<u32>,
        pub calls: Mutex<Vec<String>>,
    }

    impl MemStore {
        fn check(&self, call: &str) -> ConnectResult<()> {
            self.calls.lock().unwrap().push(call.to_string());
            let mut f = self.fail_next.lock().unwrap();
            if *f > 0 {
                *f -= 1;
                return Err(ConnectError::retriable("injected failure"));
            }
            Ok(())
        }
        pub fn text(&self, key: &str) -> String {
            String::from_utf8(self.objects.lock().unwrap()[key].clone()).unwrap()
        }
        pub fn keys(&self) -> Vec<String> {
            self.objects.lock().unwrap().keys().cloned().collect()
        }
    }

    impl ObjectStore for MemStore {
        fn put_object(&self, key: &str, body: Vec<u8>) -> ConnectResult<()> {
            self.check("put")?;
            self.objects.lock().unwrap().insert(key.to_string(), body);
            Ok(())
        }
        fn create_multipart(&self, key: &str) -> ConnectResult<String> {
            self.check("create")?;
            self.uploads
                .lock()
                .unwrap()
                .insert(key.to_string(), Vec::new());
            Ok(key.to_string())
        }
        fn start_part(&self, _key: &str, id: &str, n: i32, body: Bytes) -> PendingPart {
            // Runs at once; a failure shows when the writer waits for the part, as with a real upload.
            let result = self.check("part").map(|()| {
                self.uploads
                    .lock()
                    .unwrap()
                    .get_mut(id)
                    .unwrap()
                    .push((n, body));
                format!("etag{n}")
            });
            PendingPart::new(move || result)
        }
        fn complete_multipart(&self, key: &str, id: &str, etags: &[String]) -> ConnectResult<()> {
            self.check("complete")?;
            let parts = self.uploads.lock().unwrap().remove(id).unwrap();
            assert_eq!(parts.len(), etags.len());
            let body = parts.iter().flat_map(|(_, b)| b.to_vec()).collect();
            self.objects.lock().unwrap().insert(key.to_string(), body);
            Ok(())
        }
        fn abort_multipart(&self, _key: &str, id: &str) {
            self.calls.lock().unwrap().push("abort".into());
            self.uploads.lock().unwrap().remove(id);
        }
    }

    pub fn config(pairs: &[(&str, &str)]) -> S3SinkConfig {
        let mut props: Config = [
            ("s3.bucket.name", "b"),
            ("flush.size", "3"),
            (
                "format.class",
                "io.confluent.connect.s3.format.json.JsonFormat",
            ),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        for (k, v) in pairs {
            props.insert(k.to_string(), v.to_string());
        }
        S3SinkConfig::parse(&props).unwrap()
    }

    pub fn rec(offset: i64, value: Value, ts: i64) -> SinkRecord {
        let mut r = SinkRecord::new("t", None, value).with_timestamp(Some(ts));
        r.kafka_partition = Some(0);
        r.kafka_offset = Some(offset);
        r
    }

    fn write_all(
        w: &mut PartitionWriter,
        s: &Arc<MemStore>,
        c: &S3SinkConfig,
        recs: &[SinkRecord],
    ) {
        for r in recs {
            if !w.already_seen(r.kafka_offset.unwrap()) {
                w.write(s, c, r, 0).unwrap();
            }
        }
    }

    #[test]
    fn rotates_on_flush_size_and_names_files_by_first_offset() {
        let store = Arc::new(MemStore::default());
        let c = config(&[]);
        let mut w = PartitionWriter::new(TopicPartition::new("t", 0));
        let recs: Vec<_> = (0..7).map(|i| rec(i, Value::Int64(i), 0)).collect();
        write_all(&mut w, &store, &c, &recs);
        // The second set commits in the background; asking for the offset waits for it.
        assert_eq!(w.committable(&*store).unwrap(), Some(6));
        assert_eq!(
            store.keys(),
            [
                "topics/t/partition=0/t+0+0000000000.json",
                "topics/t/partition=0/t+0+0000000003.json"
            ]
        );
        assert_eq!(
            store.text("topics/t/partition=0/t+0+0000000003.json"),
            "3\n4\n5\n"
        );
        assert_eq!(w.buffered(), 1);
        // A redelivered batch is skipped.
        write_all(&mut w, &store, &c, &recs);
        assert_eq!(w.buffered(), 1);
    }

    #[test]
    fn failed_commit_is_retried_without_losing_or_duplicating() {
        let store = Arc::new(MemStore::default());
        let c = config(&[]);
        let mut w = PartitionWriter::new(TopicPartition::new("t", 0));
        w.write(&store, &c, &rec(10, "a".into(), 0), 0).unwrap();
        w.write(&store, &c, &rec(11, "b".into(), 0), 0).unwrap();
        *store.fail_next.lock().unwrap() = 1;
        // The third record rotates the set; its PUT fails on the commit thread, so the offset stays where it was.
        w.write(&store, &c, &rec(12, "c".into(), 0), 0).unwrap();
        assert!(w.committable(&*store).unwrap_err().is_retriable());
        // The next write retries the failed set first.
        assert!(w.already_seen(12));
        w.write(&store, &c, &rec(13, "d".into(), 0), 0).unwrap();
        assert_eq!(
            store.text("topics/t/partition=0/t+0+0000000010.json"),
            "\"a\"\n\"b\"\n\"c\"\n"
        );
        assert_eq!(w.committable(&*store).unwrap(), Some(13));
    }

    #[test]
    fn multipart_parts_of_part_size() {
        let store = Arc::new(MemStore::default());
        let mut c = config(&[("flush.size", "1000")]);
        c.part_size = 10;
        let mut w = PartitionWriter::new(TopicPartition::new("t", 0));
        for i in 0..1000 {
            w.write(&store, &c, &rec(i, "abcd".into(), 0), 0).unwrap();
        }
        assert_eq!(w.committable(&*store).unwrap(), Some(1000));
        let calls = store.calls.lock().unwrap();
        assert_eq!(calls.iter().filter(|c| *c == "create").count(), 1);
        assert_eq!(calls.iter().filter(|c| *c == "part").count(), 700);
        drop(calls);
        assert_eq!(
            store.text("topics/t/partition=0/t+0+0000000000.json"),
            "\"abcd\"\n".repeat(1000)
        );
    }

    #[test]
    fn a_failure_at_any_call_is_retried_without_losing_or_duplicating_bytes() {
        let recs: Vec<_> = (0..10)
            .map(|i| rec(i, Value::from(format!("r{i}")), 0))
            .collect();
        let expected: String = (0..10).map(|i| format!("\"r{i}\"\n")).collect();
        let mut c = config(&[("flush.size", "10")]);
        // 5-byte lines, 8-byte parts: parts are cut mid-line and one uploads while the next fills.
        c.part_size = 8;
        for fail_before in 0..recs.len() {
            let store = Arc::new(MemStore::default());
            let mut w = PartitionWriter::new(TopicPartition::new("t", 0));
            let mut failures = 0;
            for (i, r) in recs.iter().enumerate() {
                if i == fail_before {
                    *store.fail_next.lock().unwrap() = 1;
                }
                // The worker redelivers the record after a retriable error, unless the writer already took it.
                while !w.already_seen(r.kafka_offset.unwrap()) {
                    if let Err(e) = w.write(&store, &c, r, 0) {
                        assert!(e.is_retriable(), "{e}");
                        failures += 1;
                    }
                }
            }
            // The set commits in the background; a failure there shows when the offset is asked for.
            let committed = loop {
                match w.committable(&*store) {
                    Ok(offset) => break offset,
                    Err(e) => {
                        assert!(e.is_retriable(), "{e}");
                        failures += 1;
                    }
                }
            };
            let injected = *store.fail_next.lock().unwrap() == 0;
            assert_eq!(
                failures,
                usize::from(injected),
                "failure before record {fail_before}"
            );
            assert_eq!(
                store.text("topics/t/partition=0/t+0+0000000000.json"),
                expected
            );
            assert_eq!(committed, Some(10));
        }
    }

    #[test]
    fn rotates_on_record_time_and_partition_change() {
        let store = Arc::new(MemStore::default());
        let c = config(&[
            ("flush.size", "100"),
            ("rotate.interval.ms", "1000"),
            (
                "partitioner.class",
                "io.confluent.connect.storage.partitioner.TimeBasedPartitioner",
            ),
            ("partition.duration.ms", "1001"),
            ("path.format", "'t'=SSS"),
            ("locale", "en-US"),
            ("timezone", "UTC"),
            ("timestamp.extractor", "Record"),
        ]);
        let mut w = PartitionWriter::new(TopicPartition::new("t", 0));
        for (o, ts) in [(0, 0), (1, 999), (2, 1000), (3, 1001), (4, 1002)] {
            w.write(&store, &c, &rec(o, Value::Int64(o), ts), 0)
                .unwrap();
        }
        // 2 rotates by time (1000 - 0 >= 1000), 3 by partition change (bucket 1001 -> 't'=001).
        assert_eq!(w.committable(&*store).unwrap(), Some(3));
        assert_eq!(
            store.keys(),
            [
                "topics/t/t=000/t+0+0000000000.json",
                "topics/t/t=000/t+0+0000000002.json"
            ]
        );
        assert_eq!(w.buffered(), 2);

        // Default partitioner: rotate.interval.ms has no effect (no extractor), as in Confluent.
        let c = config(&[("flush.size", "100"), ("rotate.interval.ms", "1")]);
        let mut w = PartitionWriter::new(TopicPartition::new("t", 1));
        for o in 0..5 {
            w.write(&store, &c, &rec(o, Value::Int64(o), o * 1000), 0)
                .unwrap();
        }
        assert_eq!(w.buffered(), 5);
    }

    #[test]
    fn schema_change_rotates_and_avro_files_stay_whole() {
        use connect_api::data::{schemas, SchemaBuilder, Struct};
        let store = Arc::new(MemStore::default());
        let c = config(&[
            ("flush.size", "100"),
            (
                "format.class",
                "io.confluent.connect.s3.format.avro.AvroFormat",
            ),
        ]);
        let a = SchemaBuilder::struct_()
            .with_field("id", schemas::int32())
            .build();
        let b = SchemaBuilder::struct_()
            .with_field("id", schemas::int64())
            .build();
        let mut w = PartitionWriter::new(TopicPartition::new("t", 0));
        let with = |offset, schema: &SchemaRef, v: Value| {
            let row = Struct::new(schema.clone()).unwrap().with("id", v).unwrap();
            let mut r = rec(offset, Value::Struct(row), 0);
            r.value_schema = Some(schema.clone());
            r
        };
        w.write(&store, &c, &with(0, &a, Value::Int32(1)), 0)
            .unwrap();
        w.write(&store, &c, &with(1, &a, Value::Int32(2)), 0)
            .unwrap();
        assert!(store.keys().is_empty());
        w.write(&store, &c, &with(2, &b, Value::Int64(3)), 0)
            .unwrap();
        assert_eq!(w.committable(&*store).unwrap(), Some(2));
        assert_eq!(store.keys(), ["topics/t/partition=0/t+0+0000000000.avro"]);
        let file =
            store.objects.lock().unwrap()["topics/t/partition=0/t+0+0000000000.avro"].clone();
        assert!(file.starts_with(b"Obj\x01"));
        // A record without a schema is a data error that leaves the writer as it was.
        assert!(matches!(
            w.write(&store, &c, &rec(3, Value::Int32(4), 0), 0),
            Err(ConnectError::Data(_))
        ));
        assert_eq!(w.buffered(), 1);
    }

    #[test]
    fn scheduled_rotation_on_commit_and_abort() {
        let store = Arc::new(MemStore::default());
        let c = config(&[
            ("flush.size", "100"),
            ("rotate.schedule.interval.ms", "60000"),
            ("timezone", "UTC"),
        ]);
        let mut w = PartitionWriter::new(TopicPartition::new("t", 0));
        w.write(&store, &c, &rec(5, "x".into(), 0), 1_000).unwrap();
        w.rotate_if_due(&store, &c, 59_999).unwrap();
        assert_eq!(w.committable(&*store).unwrap(), None);
        w.rotate_if_due(&store, &c, 60_000).unwrap();
        assert_eq!(w.committable(&*store).unwrap(), Some(6));
        assert_eq!(store.keys(), ["topics/t/partition=0/t+0+0000000005.json"]);

        let mut c2 = config(&[("flush.size", "100")]);
        c2.part_size = 1;
        w.write(&store, &c2, &rec(6, "y".into(), 0), 0).unwrap();
        w.abort(&*store);
        assert!(store.calls.lock().unwrap().contains(&"abort".to_string()));
        assert_eq!(w.buffered(), 0);
    }
}
