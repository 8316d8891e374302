//! FileStreamSource → Kafka → FileStreamSink in one standalone worker: exactness, throughput, and kill -9 recovery.

// Run with `cargo test -p connect-tests --test file_pipeline -- --nocapture` to see throughput and duplicate counts.

use std::collections::HashSet;
use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use connect_tests::{
    consume_all, consume_n, count_complete_lines, create_topic, produce, read_complete_lines,
    unique_name, wait_until, write_lines, write_properties, Worker,
};
use tempfile::TempDir;

const LINES: usize = 100_000;
/// Every line is exactly this long plus `\n`, so a file's line count can be read from its size.
const LINE_LEN: usize = 100;

/// `line-000042 ` followed by padding up to 100 bytes; the padding depends on the number, so that a line spliced
/// from two others does not look valid.
fn line(i: usize) -> String {
    let mut line = format!("line-{i:06} ");
    let pad = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut j = i;
    while line.len() < LINE_LEN {
        line.push(pad[j % pad.len()] as char);
        j = j / 3 + 7;
    }
    line
}

fn input_lines() -> Vec<String> {
    (1..=LINES).map(line).collect()
}

/// A FileStreamSource and a FileStreamSink connector config, with unique names.
struct Pipeline {
    data: TempDir,
    topic: String,
    source_name: String,
    sink_name: String,
    input: PathBuf,
    output: PathBuf,
}

impl Drop for Pipeline {
    /// Keeps the input, output and connector files of a failed test for a post-mortem.
    fn drop(&mut self) {
        if std::thread::panicking() {
            let dir =
                std::mem::replace(&mut self.data, tempfile::tempdir().expect("temp dir")).keep();
            eprintln!("pipeline files kept in {}", dir.display());
        }
    }
}

/// Serialises the tests of this file: each one loads both cores, and the throughput report should not measure
/// two pipelines at once. (Poisoning is ignored: a failed test must not fail the next one.)
fn one_pipeline_at_a_time() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Pipeline {
    /// Creates the topic with one partition (so the sink sees the source's order) and names the files.
    fn new() -> Pipeline {
        let data = tempfile::Builder::new()
            .prefix("file-pipeline-")
            .tempdir()
            .expect("creating a data temp dir");
        let topic = unique_name("file-pipeline");
        create_topic(&topic, 1);
        Pipeline {
            input: data.path().join("input.txt"),
            output: data.path().join("output.txt"),
            source_name: unique_name("file-source"),
            sink_name: unique_name("file-sink"),
            topic,
            data,
        }
    }

    fn source_properties(&self, extra: &[(&str, &str)]) -> PathBuf {
        let path = self.data.path().join("source.properties");
        let input = self.input.display().to_string();
        let mut props = vec![
            ("name", self.source_name.as_str()),
            ("connector.class", "FileStreamSource"),
            ("tasks.max", "1"),
            ("file", input.as_str()),
            ("topic", self.topic.as_str()),
        ];
        props.extend_from_slice(extra);
        write_properties(&path, &props);
        path
    }

    fn sink_properties(&self) -> PathBuf {
        let path = self.data.path().join("sink.properties");
        let output = self.output.display().to_string();
        write_properties(
            &path,
            &[
                ("name", self.sink_name.as_str()),
                ("connector.class", "FileStreamSink"),
                ("tasks.max", "1"),
                ("file", output.as_str()),
                ("topics", self.topic.as_str()),
            ],
        );
        path
    }

    /// The sink as a JSON connector file (the `POST /connectors` body shape), which `connect standalone` accepts too.
    fn sink_json(&self) -> PathBuf {
        let path = self.data.path().join("sink.json");
        let body = serde_json::json!({
            "name": self.sink_name,
            "config": {
                "connector.class": "org.apache.kafka.connect.file.FileStreamSinkConnector",
                "tasks.max": "1",
                "file": self.output.display().to_string(),
                "topics": self.topic,
            }
        });
        std::fs::write(
            &path,
            serde_json::to_vec_pretty(&body).expect("serialising JSON"),
        )
        .unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
        path
    }
}

/// Lines in a file that only ever receives whole `LINE_LEN`-byte lines, from its size (cheap enough to poll often).
fn lines_by_size(path: &Path) -> usize {
    std::fs::metadata(path)
        .map(|m| m.len() as usize / (LINE_LEN + 1))
        .unwrap_or(0)
}

/// Explains how `output` (the `what`) differs from `expected`: lengths, first difference, extra and missing counts.
fn describe_difference(what: &str, expected: &[String], output: &[String]) -> String {
    let first = expected.iter().zip(output).position(|(a, b)| a != b);
    let expected_set: HashSet<&String> = expected.iter().collect();
    let output_set: HashSet<&String> = output.iter().collect();
    let missing = expected_set.difference(&output_set).count();
    let unexpected = output_set.difference(&expected_set).count();
    let mut text = format!(
        "{what} has {} lines, input {}; {missing} input lines missing, {unexpected} distinct lines not in the input, \
         {} duplicate lines",
        output.len(),
        expected.len(),
        output.len() - output_set.len()
    );
    match first {
        Some(i) => {
            text += &format!(
                "\nfirst difference at line {}:\n  want {:?}\n  got  {:?}",
                i + 1,
                expected[i],
                output[i]
            )
        }
        None => text += "\none is a prefix of the other",
    }
    text
}

#[test]
fn file_to_kafka_to_file() {
    let _serial = one_pipeline_at_a_time();
    let pipeline = Pipeline::new();
    let lines = input_lines();
    write_lines(&pipeline.input, &lines);
    let source = pipeline.source_properties(&[("batch.size", "2000")]);
    let sink = pipeline.sink_properties();

    let started = Instant::now();
    let mut worker =
        Worker::start_standalone(&[("offset.flush.interval.ms", "1000")], &[source, sink]);
    let mut first_output: Option<Instant> = None;
    let mut seen = 0;
    let complete = wait_until(Duration::from_secs(120), || {
        seen = count_complete_lines(&pipeline.output);
        if seen > 0 && first_output.is_none() {
            first_output = Some(Instant::now());
        }
        seen >= LINES
    });
    let total = started.elapsed();
    assert!(
        complete,
        "after 120 s the sink output {} has {seen} of {LINES} lines\n{}",
        pipeline.output.display(),
        worker.log_tail_block()
    );
    let streaming = first_output.map(|t| t.elapsed()).unwrap_or_default();
    println!(
        "file_to_kafka_to_file: {LINES} records in {total:.2?} from worker start = {:.0} records/s \
         (including startup and the sink's first group join, ~5 s on tansu); {:.0} records/s from the first output line",
        LINES as f64 / total.as_secs_f64(),
        LINES as f64 / streaming.as_secs_f64().max(0.001),
    );

    let output = read_complete_lines(&pipeline.output);
    assert!(
        output == lines,
        "output differs from input: {}\n{}",
        describe_difference("the output file", &lines, &output),
        worker.log_tail_block()
    );

    // Nothing more may arrive later (a late duplicate would break exactness just the same).
    std::thread::sleep(Duration::from_secs(2));
    let later = count_complete_lines(&pipeline.output);
    assert_eq!(
        later,
        LINES,
        "output grew to {later} lines after it was complete\n{}",
        worker.log_tail_block()
    );

    // The topic holds every line exactly once, in order, as a String-converted value.
    let records = consume_all(&pipeline.topic, Duration::from_secs(3));
    let values: Vec<String> = records.iter().map(|r| r.value_str()).collect();
    assert!(
        values == lines,
        "topic {} differs from the input: {}",
        pipeline.topic,
        describe_difference("the topic", &lines, &values)
    );

    let status = worker.stop();
    println!("file_to_kafka_to_file: worker exited after SIGTERM with {status}");
}

/// Appends the input lines to a file at a fixed rate on a background thread.
struct SlowWriter {
    written: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
}

impl SlowWriter {
    fn start(path: &Path, lines: Vec<String>, lines_per_second: usize) -> SlowWriter {
        let written = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .unwrap_or_else(|e| panic!("opening {}: {e}", path.display()));
        let (written2, stop2) = (written.clone(), stop.clone());
        let handle = std::thread::spawn(move || {
            let started = Instant::now();
            let mut done = 0;
            while done < lines.len() && !stop2.load(Ordering::Relaxed) {
                let due = ((started.elapsed().as_secs_f64() * lines_per_second as f64) as usize
                    + 1)
                .min(lines.len());
                if due > done {
                    // One write per chunk of whole lines.
                    let chunk: String = lines[done..due]
                        .iter()
                        .flat_map(|l| [l.as_str(), "\n"])
                        .collect();
                    file.write_all(chunk.as_bytes())
                        .expect("appending to the input file");
                    done = due;
                    written2.store(done, Ordering::Relaxed);
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        });
        SlowWriter {
            written,
            stop,
            handle: Some(handle),
        }
    }

    fn written(&self) -> usize {
        self.written.load(Ordering::Relaxed)
    }

    fn finish(mut self) -> usize {
        self.handle
            .take()
            .expect("joined once")
            .join()
            .expect("input writer thread panicked");
        self.written()
    }
}

impl Drop for SlowWriter {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(handle) = self.handle.take() {
            let _ = handle.join();
        }
    }
}

/// Kill -9 mid-stream, restart on the same offsets file: every line must arrive; duplicates are allowed but bounded.
///
/// To kill while records are really in flight, whatever the pipeline's speed, the input is not written up front:
/// a thread appends it at `RATE` lines/s (FileStreamSource tails its file, as in Kafka), so the whole input takes
/// 20 s to appear. The worker is killed once the output holds half the lines *and* has been growing for 3 s (3
/// flush intervals, so both the source offsets and the sink's group offsets have been committed at least once).
/// The writer keeps appending while the worker is down; the restarted worker must pick up where its committed
/// positions say and deliver the rest.
#[test]
fn survives_sigkill() {
    const RATE: usize = 5_000;
    const KILL_AT: usize = LINES / 2;
    let _serial = one_pipeline_at_a_time();
    let pipeline = Pipeline::new();
    let lines = input_lines();
    write_lines(&pipeline.input, &lines[..1]);
    let writer = SlowWriter::start(&pipeline.input, lines[1..].to_vec(), RATE);
    let source = pipeline.source_properties(&[]);
    let sink = pipeline.sink_json();

    let mut worker =
        Worker::start_standalone(&[("offset.flush.interval.ms", "1000")], &[source, sink]);
    let deadline = Instant::now() + Duration::from_secs(180);
    let mut first_output: Option<Instant> = None;
    loop {
        let out = lines_by_size(&pipeline.output);
        if out > 0 && first_output.is_none() {
            first_output = Some(Instant::now());
        }
        let steady = first_output.is_some_and(|t| t.elapsed() >= Duration::from_secs(3));
        if out >= KILL_AT && steady {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the sink output did not reach {KILL_AT} lines within 180 s (has {out}; {} written to the input)\n{}",
            writer.written() + 1,
            worker.log_tail_block()
        );
        assert!(
            worker.is_running(),
            "worker died on its own before the kill\n{}",
            worker.log_tail_block()
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    worker.kill9();
    let at_kill = lines_by_size(&pipeline.output);
    println!(
        "survives_sigkill: kill -9 with {at_kill} of {LINES} lines in the output ({:.0}%), {} written to the input",
        at_kill as f64 * 100.0 / LINES as f64,
        writer.written() + 1
    );
    if at_kill >= LINES {
        println!("survives_sigkill: WARNING: the output was already complete at the kill; the restart proves less");
    }

    worker.restart();
    let expected: HashSet<&str> = lines.iter().map(String::as_str).collect();
    let mut present = 0;
    let all_there = wait_until(Duration::from_secs(180), || {
        if !worker.is_running() {
            return true; // reported below
        }
        if lines_by_size(&pipeline.output) < LINES {
            return false;
        }
        let output = read_complete_lines(&pipeline.output);
        let got: HashSet<&str> = output.iter().map(String::as_str).collect();
        present = expected.iter().filter(|l| got.contains(*l)).count();
        present == LINES
    });
    assert!(
        worker.is_running(),
        "the restarted worker exited on its own\n{}",
        worker.log_tail_block()
    );
    assert!(
        all_there,
        "after the restart, only {present} of {LINES} distinct input lines reached the output within 180 s \
         ({} lines in it)\n{}",
        count_complete_lines(&pipeline.output),
        worker.log_tail_block()
    );
    assert_eq!(
        writer.finish() + 1,
        LINES,
        "the input writer did not write every line"
    );
    // Let any redelivery still in flight land before counting duplicates, then stop cleanly.
    std::thread::sleep(Duration::from_secs(3));
    worker.stop();

    let raw = std::fs::read(&pipeline.output).expect("reading the output");
    assert_eq!(
        raw.last(),
        Some(&b'\n'),
        "the output ends in the middle of a line after a clean stop"
    );
    let output = read_complete_lines(&pipeline.output);
    let (valid, torn): (Vec<&str>, Vec<&str>) = output
        .iter()
        .map(String::as_str)
        .partition(|l| expected.contains(l));

    // A kill -9 can cut the sink's last write mid-line (Kafka's FileStreamSink writes through a PrintStream, with
    // no atomicity either); the restarted sink then appends a redelivered whole line to that fragment. So at most
    // one line per kill may be foreign, and it must be a fragment followed by a complete input line.
    assert!(
        torn.len() <= 1,
        "{} output lines are not input lines (at most 1 torn line per kill): {:?}",
        torn.len(),
        &torn[..torn.len().min(5)]
    );
    for t in &torn {
        assert!(
            expected.iter().any(|l| t.len() > l.len() && t.ends_with(l)),
            "output line {t:?} is neither an input line nor a torn fragment followed by one"
        );
        println!("survives_sigkill: torn line from the kill: {t:?}");
    }

    let unique: HashSet<&str> = valid.iter().copied().collect();
    let missing: Vec<&&str> = expected
        .iter()
        .filter(|l| !unique.contains(**l))
        .take(5)
        .collect();
    assert!(
        missing.is_empty(),
        "input lines missing from the output, e.g. {missing:?}"
    );
    assert_eq!(
        unique, expected,
        "the output's distinct lines differ from the input's"
    );

    let duplicates = valid.len() - unique.len();
    println!(
        "survives_sigkill: duplicates: {duplicates} (output {} lines for {LINES} input lines)",
        output.len()
    );
    // At-least-once: after the kill, the source re-reads what it read since its last offset flush and the sink
    // re-consumes what it consumed since its last group commit: one flush window (1 s, about RATE lines) on each
    // side, plus a burst if either was catching up. A worker that lost or ignored either committed position would
    // instead replay everything before the kill, at least KILL_AT = 50,000 lines, so this bound also proves that
    // both positions were saved and used.
    assert!(
        duplicates < 50_000,
        "{duplicates} duplicate lines: more than one flush window of source and sink was replayed\n{}",
        worker.log_tail_block()
    );
}

/// Reads `topic` on another thread until it holds `LINES` records; returns when the last one arrived.
fn read_all_in_background(topic: &str) -> JoinHandle<Instant> {
    let topic = topic.to_string();
    std::thread::spawn(move || {
        let records = consume_n(&topic, LINES, Duration::from_secs(120));
        assert_eq!(records.len(), LINES, "records in {topic}");
        Instant::now()
    })
}

/// The source half (file → Kafka) against the raw rdkafka producer sending the same lines to the same broker, in
/// the same run. Prints both rates and their ratio; asserts only that every record arrived (no timing assertions).
#[test]
fn source_throughput_against_raw_producer() {
    let _serial = one_pipeline_at_a_time();
    let lines = input_lines();

    // Both sides are timed the same way: from the first record sent until a reader already waiting on the topic
    // has every record.
    let raw_topic = unique_name("raw-producer");
    create_topic(&raw_topic, 1);
    let reader = read_all_in_background(&raw_topic);
    let started = Instant::now();
    produce(
        &raw_topic,
        lines.iter().map(|l| (b"".as_slice(), l.as_bytes())),
    );
    let raw = reader.join().expect("raw reader thread") - started;

    let pipeline = Pipeline::new();
    write_lines(&pipeline.input, &lines);
    let source = pipeline.source_properties(&[("batch.size", "2000")]);
    let reader = read_all_in_background(&pipeline.topic);
    let started = Instant::now();
    let worker = Worker::start_standalone(&[("offset.flush.interval.ms", "50")], &[source]);
    let connect = reader.join().expect("worker reader thread") - started;
    // Offsets are committed only for acknowledged records: the final position must follow.
    let end = format!(r#""position":{}"#, LINES * (LINE_LEN + 1));
    let offsets = worker.offsets_file();
    let committed = wait_until(Duration::from_secs(30), || {
        std::fs::read_to_string(&offsets).is_ok_and(|o| o.contains(&end))
    });
    assert!(
        committed,
        "source offsets never reached {end}\n{}",
        worker.log_tail_block()
    );

    let raw_rate = LINES as f64 / raw.as_secs_f64();
    let connect_rate = LINES as f64 / connect.as_secs_f64();
    println!(
        "source_throughput_against_raw_producer: until a reader has every record: raw rdkafka producer {raw_rate:.0} records/s \
         ({raw:.2?}); \
         FileStreamSource worker {connect_rate:.0} records/s ({connect:.2?}, from process start); ratio {:.2}",
        connect_rate / raw_rate
    );
}
