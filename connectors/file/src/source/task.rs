//! FileStreamSourceTask: tails a file (or stdin) line by line into STRING records with byte-position offsets.

use std::fs::File;
use std::io::{self, ErrorKind, Read, Seek, SeekFrom};
use std::sync::mpsc::{self, Receiver, TryRecvError};
use std::sync::{Mutex, OnceLock};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use connect_api::data::{schemas, Value};
use connect_api::record::ConnectRecord;
use connect_api::{
    Config, ConnectError, ConnectResult, OffsetMap, SourceRecord, SourceTask, SourceTaskContext,
};

use super::config::SourceConfig;

/// Source partition key: `{"filename": "<file>"}`.
pub const FILENAME_FIELD: &str = "filename";
/// Source offset key: `{"position": <bytes>}`.
pub const POSITION_FIELD: &str = "position";

/// Bytes asked of the file per read; lines are cut straight out of this buffer.
const READ_CHUNK: usize = 64 * 1024;
/// How long a poll waits for data before returning an empty batch (Kafka's `wait(1000)`).
const POLL_WAIT: Duration = Duration::from_secs(1);
/// How often a waiting poll looks again, so that new lines are returned soon after they are written.
const RETRY_STEP: Duration = Duration::from_millis(100);

enum Input {
    File(File),
    Stdin,
}

/// Reads lines and emits one record per line, at most `batch.size` per poll.
///
/// Positions count bytes. Kafka counts decoded chars but skips bytes on restart, which only agrees for ASCII;
/// counting bytes makes the restart skip exact for any UTF-8 content (and is what Kafka's skip already assumes, so
/// an offset written by Java for an ASCII file means the same here).
pub struct FileStreamSourceTask {
    file: Option<String>,
    topic: String,
    batch_size: usize,
    context: Option<Box<dyn SourceTaskContext>>,
    partition: OffsetMap,
    input: Option<Input>,
    /// Bytes read but not yet emitted; `buf[consumed..]` is what is left (at most a partial line plus lines over
    /// the batch limit).
    buf: Vec<u8>,
    consumed: usize,
    /// Byte position in the file just after the last emitted line.
    position: u64,
    warned_missing: bool,
    poll_wait: Duration,
}

impl Default for FileStreamSourceTask {
    fn default() -> Self {
        FileStreamSourceTask {
            file: None,
            topic: String::new(),
            batch_size: 1,
            context: None,
            partition: OffsetMap::new(),
            input: None,
            buf: Vec::new(),
            consumed: 0,
            position: 0,
            warned_missing: false,
            poll_wait: POLL_WAIT,
        }
    }
}

impl SourceTask for FileStreamSourceTask {
    fn start(&mut self, config: &Config, context: Box<dyn SourceTaskContext>) -> ConnectResult<()> {
        let config = SourceConfig::parse(config)?;
        self.partition = OffsetMap::new();
        self.input = None;
        match &config.file {
            Some(file) => {
                self.partition
                    .insert(FILENAME_FIELD.to_string(), file.as_str().into());
            }
            // Tracking offsets for stdin makes no sense: its records carry empty partition and offset maps.
            None => self.input = Some(Input::Stdin),
        }
        self.file = config.file;
        self.topic = config.topic;
        self.batch_size = config.batch_size;
        self.context = Some(context);
        self.buf.clear();
        self.consumed = 0;
        self.position = 0;
        self.warned_missing = false;
        Ok(())
    }

    /// Returns as soon as at least one line is ready, or an empty batch after about a second without data. A last
    /// line without its terminator is held back until the terminator arrives.
    fn poll(&mut self) -> ConnectResult<Vec<SourceRecord>> {
        if self.context.is_none() {
            return Err(ConnectError::connect(
                "FileStreamSourceTask polled before it was started",
            ));
        }
        let deadline = Instant::now() + self.poll_wait;
        let mut records = Vec::new();
        loop {
            if self.input.is_none() {
                self.open()?;
            }
            if self.input.is_some() {
                self.fill(&mut records)?;
                if !records.is_empty() {
                    return Ok(records);
                }
            }
            let now = Instant::now();
            if now >= deadline {
                return Ok(records);
            }
            thread::sleep(RETRY_STEP.min(deadline - now));
        }
    }

    fn stop(&mut self) -> ConnectResult<()> {
        self.input = None;
        self.buf = Vec::new();
        self.consumed = 0;
        Ok(())
    }
}

impl FileStreamSourceTask {
    /// Opens the file and seeks to the committed position; a missing file is waited for (logged once).
    fn open(&mut self) -> ConnectResult<()> {
        let Some(path) = self.file.as_deref() else {
            self.input = Some(Input::Stdin);
            return Ok(());
        };
        let mut file = match File::open(path) {
            Ok(file) => file,
            Err(e) if e.kind() == ErrorKind::NotFound => {
                if !self.warned_missing {
                    eprintln!(
                        "FileStreamSourceTask: couldn't find file {path}, waiting for it to be created"
                    );
                    self.warned_missing = true;
                }
                return Ok(());
            }
            Err(e) => {
                return Err(ConnectError::connect(format!(
                    "Couldn't open file {path} for FileStreamSourceTask: {e}"
                )))
            }
        };
        let position = self.committed_position()?;
        if position > 0 {
            file.seek(SeekFrom::Start(position)).map_err(|e| {
                ConnectError::connect(format!(
                    "Error while trying to seek to previous offset {position} in file {path}: {e}"
                ))
            })?;
        }
        self.position = position;
        self.buf.clear();
        self.consumed = 0;
        self.warned_missing = false;
        self.input = Some(Input::File(file));
        Ok(())
    }

    /// The committed `position` for this file's partition, 0 when there is none.
    fn committed_position(&self) -> ConnectResult<u64> {
        let offset = self
            .context
            .as_ref()
            .and_then(|ctx| ctx.offset(&self.partition));
        match offset.as_ref().and_then(|o| o.get(POSITION_FIELD)) {
            None => Ok(0),
            Some(v) if v.is_null() => Ok(0),
            Some(v) => v.as_u64().ok_or_else(|| {
                ConnectError::connect(format!(
                    "Offset position is the incorrect type: {v} (expected a non-negative integer)"
                ))
            }),
        }
    }

    /// Emits buffered lines, then reads more while the batch has room and data is available.
    fn fill(&mut self, records: &mut Vec<SourceRecord>) -> ConnectResult<()> {
        self.extract_lines(records);
        while records.len() < self.batch_size {
            if self.read_chunk()? == 0 {
                break;
            }
            self.extract_lines(records);
        }
        Ok(())
    }

    /// Cuts complete lines out of the buffer, split on `\n`, `\r\n` or a lone `\r` like Kafka's `extractLine`: a
    /// `\r` that is the last byte read is held back until the next byte tells whether a `\n` follows.
    fn extract_lines(&mut self, records: &mut Vec<SourceRecord>) {
        let timestamp = now_millis();
        while records.len() < self.batch_size {
            let rest = &self.buf[self.consumed..];
            let Some(end) = rest.iter().position(|&b| b == b'\n' || b == b'\r') else {
                break;
            };
            let next = match (rest[end], rest.get(end + 1)) {
                (b'\n', _) => end + 1,
                (_, Some(b'\n')) => end + 2,
                (_, Some(_)) => end + 1,
                (_, None) => break,
            };
            // Invalid UTF-8 becomes U+FFFD, as Java's decoder does; positions still count the original bytes.
            let line = String::from_utf8_lossy(&rest[..end]).into_owned();
            self.consumed += next;
            self.position += next as u64;
            records.push(self.record(line, timestamp));
        }
    }

    fn record(&self, line: String, timestamp: i64) -> SourceRecord {
        let mut offset = OffsetMap::new();
        if self.file.is_some() {
            offset.insert(POSITION_FIELD.to_string(), self.position.into());
        }
        let record = ConnectRecord::new(
            self.topic.clone(),
            Some(schemas::string()),
            Value::String(line),
        )
        .with_timestamp(Some(timestamp));
        SourceRecord::new(self.partition.clone(), offset, record)
    }

    /// Appends whatever the input has ready (up to one chunk) to the buffer; 0 when nothing is available now.
    fn read_chunk(&mut self) -> ConnectResult<usize> {
        if self.consumed > 0 {
            self.buf.drain(..self.consumed);
            self.consumed = 0;
        }
        match &mut self.input {
            Some(Input::File(file)) => {
                let len = self.buf.len();
                self.buf.resize(len + READ_CHUNK, 0);
                let read = loop {
                    match file.read(&mut self.buf[len..]) {
                        Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                        other => break other,
                    }
                };
                let n = *read.as_ref().unwrap_or(&0);
                self.buf.truncate(len + n);
                read.map_err(|e| {
                    ConnectError::connect(format!(
                        "Error reading {} for FileStreamSourceTask: {e}",
                        self.file.as_deref().unwrap_or("stdin")
                    ))
                })
            }
            Some(Input::Stdin) => {
                let chunks = stdin_chunks().lock().unwrap_or_else(|e| e.into_inner());
                match chunks.try_recv() {
                    Ok(chunk) => {
                        self.buf.extend_from_slice(&chunk);
                        Ok(chunk.len())
                    }
                    Err(TryRecvError::Empty | TryRecvError::Disconnected) => Ok(0),
                }
            }
            None => Ok(0),
        }
    }
}

/// Standard input, read by one background thread for the whole process: a read from stdin cannot be interrupted,
/// and a poll must not block, so chunks arrive through a bounded channel that every stdin task (and its
/// restarts) shares. The thread ends at end of input.
fn stdin_chunks() -> &'static Mutex<Receiver<Vec<u8>>> {
    static STDIN: OnceLock<Mutex<Receiver<Vec<u8>>>> = OnceLock::new();
    STDIN.get_or_init(|| {
        let (tx, rx) = mpsc::sync_channel::<Vec<u8>>(16);
        let spawned = thread::Builder::new()
            .name("file-source-stdin".into())
            .spawn(move || {
                let mut stdin = io::stdin().lock();
                let mut chunk = vec![0u8; READ_CHUNK];
                loop {
                    match stdin.read(&mut chunk) {
                        Ok(0) => break,
                        Ok(n) => {
                            if tx.send(chunk[..n].to_vec()).is_err() {
                                break;
                            }
                        }
                        Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                        Err(e) => {
                            eprintln!("FileStreamSourceTask: error reading stdin: {e}");
                            break;
                        }
                    }
                }
            });
        if let Err(e) = spawned {
            eprintln!("FileStreamSourceTask: couldn't start the stdin reader: {e}");
        }
        Mutex::new(rx)
    })
}

fn now_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::path::PathBuf;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    /// A file under the temp dir, removed on drop.
    struct TempFile(PathBuf);

    impl TempFile {
        fn new(name: &str) -> TempFile {
            static COUNTER: AtomicUsize = AtomicUsize::new(0);
            let n = COUNTER.fetch_add(1, Ordering::Relaxed);
            let path = std::env::temp_dir().join(format!(
                "connect-file-src-{}-{n}-{name}.txt",
                std::process::id()
            ));
            let _ = std::fs::remove_file(&path);
            TempFile(path)
        }
        fn path(&self) -> &str {
            self.0.to_str().unwrap()
        }
        fn append(&self, data: &[u8]) {
            let mut f = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&self.0)
                .unwrap();
            f.write_all(data).unwrap();
        }
    }

    impl Drop for TempFile {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }

    /// Returns a stored offset for a stored partition, as the worker's offset reader would.
    #[derive(Default)]
    struct FakeContext {
        stored: Vec<(OffsetMap, OffsetMap)>,
    }

    impl SourceTaskContext for FakeContext {
        fn offset(&self, partition: &OffsetMap) -> Option<OffsetMap> {
            self.stored
                .iter()
                .find(|(p, _)| p == partition)
                .map(|(_, o)| o.clone())
        }
    }

    fn partition(path: &str) -> OffsetMap {
        let mut p = OffsetMap::new();
        p.insert(FILENAME_FIELD.into(), path.into());
        p
    }

    fn start(path: &str, batch_size: usize, context: FakeContext) -> FileStreamSourceTask {
        let config: Config = [
            ("file", path.to_string()),
            ("topic", "lines".to_string()),
            ("batch.size", batch_size.to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        let mut task = FileStreamSourceTask {
            poll_wait: Duration::from_millis(20),
            ..Default::default()
        };
        task.start(&config, Box::new(context)).unwrap();
        task
    }

    fn lines(records: &[SourceRecord]) -> Vec<&str> {
        records
            .iter()
            .map(|r| r.record.value.as_str().unwrap())
            .collect()
    }

    fn positions(records: &[SourceRecord]) -> Vec<u64> {
        records
            .iter()
            .map(|r| r.source_offset[POSITION_FIELD].as_u64().unwrap())
            .collect()
    }

    #[test]
    fn splits_lines_like_kafka_and_shapes_records() {
        let file = TempFile::new("shape");
        file.append(b"a\nb\r\nc\rd\n\ne");
        let mut task = start(file.path(), 100, FakeContext::default());
        let before = now_millis();
        let records = task.poll().unwrap();
        assert_eq!(lines(&records), ["a", "b", "c", "d", ""]);
        assert_eq!(positions(&records), [2, 5, 7, 9, 10]);
        let r = &records[0];
        assert_eq!(r.source_partition, partition(file.path()));
        assert_eq!(r.record.topic, "lines");
        assert_eq!(r.record.kafka_partition, None);
        assert_eq!(r.record.key, Value::Null);
        assert_eq!(r.record.key_schema, None);
        assert_eq!(r.record.value_schema, Some(schemas::string()));
        assert!(!r.record.value_schema.as_ref().unwrap().optional);
        assert!(r.record.timestamp.unwrap() >= before);
        // "e" has no terminator yet.
        assert!(task.poll().unwrap().is_empty());
        task.stop().unwrap();
    }

    #[test]
    fn trailing_cr_waits_for_the_next_byte() {
        let file = TempFile::new("cr");
        file.append(b"x\r");
        let mut task = start(file.path(), 100, FakeContext::default());
        assert!(task.poll().unwrap().is_empty());
        file.append(b"\ny\r");
        let records = task.poll().unwrap();
        assert_eq!(lines(&records), ["x"]);
        assert_eq!(positions(&records), [3]);
        file.append(b"z\n");
        let records = task.poll().unwrap();
        assert_eq!(lines(&records), ["y", "z"]);
        assert_eq!(positions(&records), [5, 7]);
    }

    #[test]
    fn respects_batch_size() {
        let file = TempFile::new("batch");
        file.append(b"1\n2\n3\n4\n5\n");
        let mut task = start(file.path(), 2, FakeContext::default());
        assert_eq!(lines(&task.poll().unwrap()), ["1", "2"]);
        assert_eq!(lines(&task.poll().unwrap()), ["3", "4"]);
        assert_eq!(lines(&task.poll().unwrap()), ["5"]);
        assert!(task.poll().unwrap().is_empty());
    }

    #[test]
    fn resumes_after_the_committed_position_with_multibyte_lines() {
        let file = TempFile::new("resume");
        let content = [
            "ascii",
            "héllo wörld",
            "日本語テキスト",
            "emoji 🎉🚀",
            "last",
        ];
        for line in content {
            file.append(format!("{line}\n").as_bytes());
        }
        let mut first = start(file.path(), 3, FakeContext::default());
        let records = first.poll().unwrap();
        assert_eq!(lines(&records), &content[..3]);
        let expected: u64 = content[..3].iter().map(|l| l.len() as u64 + 1).sum();
        assert_eq!(positions(&records)[2], expected);
        first.stop().unwrap();

        let committed = records[2].source_offset.clone();
        let context = FakeContext {
            stored: vec![(partition(file.path()), committed)],
        };
        let mut second = start(file.path(), 3, context);
        let records = second.poll().unwrap();
        assert_eq!(lines(&records), &content[3..]);
        let total = std::fs::metadata(&file.0).unwrap().len();
        assert_eq!(positions(&records)[1], total);
    }

    #[test]
    fn holds_a_partial_line_until_it_is_completed() {
        let file = TempFile::new("partial");
        file.append(b"abc");
        let mut task = start(file.path(), 100, FakeContext::default());
        assert!(task.poll().unwrap().is_empty());
        file.append(b"def\nghi");
        let records = task.poll().unwrap();
        assert_eq!(lines(&records), ["abcdef"]);
        assert_eq!(positions(&records), [7]);
        file.append(b"\n");
        let records = task.poll().unwrap();
        assert_eq!(lines(&records), ["ghi"]);
        assert_eq!(positions(&records), [11]);
    }

    #[test]
    fn waits_for_the_file_to_appear() {
        let file = TempFile::new("later");
        let mut task = start(file.path(), 100, FakeContext::default());
        assert!(task.poll().unwrap().is_empty());
        assert!(task.poll().unwrap().is_empty());
        file.append(b"one\ntwo\n");
        let records = task.poll().unwrap();
        assert_eq!(lines(&records), ["one", "two"]);
        assert_eq!(positions(&records), [4, 8]);
    }

    #[test]
    fn a_waiting_poll_returns_soon_after_data_arrives() {
        let file = TempFile::new("wake");
        file.append(b"");
        let mut task = start(file.path(), 100, FakeContext::default());
        task.poll_wait = Duration::from_secs(10);
        let path = file.0.clone();
        let writer = thread::spawn(move || {
            thread::sleep(Duration::from_millis(150));
            let mut f = std::fs::OpenOptions::new().append(true).open(path).unwrap();
            f.write_all(b"late\n").unwrap();
        });
        let began = Instant::now();
        let records = task.poll().unwrap();
        writer.join().unwrap();
        assert_eq!(lines(&records), ["late"]);
        assert!(began.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn invalid_utf8_is_replaced_but_counted_in_bytes() {
        let file = TempFile::new("utf8");
        file.append(b"ok\xff\xfe\nnext\n");
        let mut task = start(file.path(), 100, FakeContext::default());
        let records = task.poll().unwrap();
        assert_eq!(lines(&records), ["ok\u{fffd}\u{fffd}", "next"]);
        assert_eq!(positions(&records), [5, 10]);
    }

    #[test]
    fn rejects_an_offset_of_the_wrong_type() {
        let file = TempFile::new("badoffset");
        file.append(b"x\n");
        let mut offset = OffsetMap::new();
        offset.insert(POSITION_FIELD.into(), "twelve".into());
        let context = FakeContext {
            stored: vec![(partition(file.path()), offset)],
        };
        let mut task = start(file.path(), 100, context);
        let err = task.poll().unwrap_err();
        assert!(err
            .message()
            .starts_with("Offset position is the incorrect type"));
    }

    #[test]
    fn reads_100k_lines_quickly() {
        let file = TempFile::new("bulk");
        let mut content = String::new();
        for i in 0..100_000 {
            content.push_str(&format!("line number {i} with some padding text\n"));
        }
        file.append(content.as_bytes());
        let mut task = start(file.path(), 2000, FakeContext::default());
        let began = Instant::now();
        let mut count = 0;
        let mut last = 0;
        let mut polls = 0;
        while count < 100_000 {
            let records = task.poll().unwrap();
            assert!(records.len() <= 2000);
            assert!(!records.is_empty());
            if count == 0 {
                assert_eq!(
                    lines(&records[..1]),
                    ["line number 0 with some padding text"]
                );
            }
            count += records.len();
            last = *positions(&records).last().unwrap();
            polls += 1;
        }
        assert_eq!(count, 100_000);
        assert_eq!(polls, 50);
        assert_eq!(last, content.len() as u64);
        assert!(
            began.elapsed() < Duration::from_secs(10),
            "took {:?}",
            began.elapsed()
        );
    }

    #[test]
    fn poll_before_start_is_an_error() {
        let mut task = FileStreamSourceTask::default();
        assert!(task.poll().is_err());
    }
}
