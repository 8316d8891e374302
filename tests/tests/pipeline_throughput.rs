//! The runtime's own pipeline cost (issue 6's figures): a generator source → JsonConverter → producer, and a
//! consumer → JsonConverter → discard sink, each next to the raw rdkafka client moving the same records on the same
//! broker in the same run. Measurements only (ignored by default; no timing assertions):
//! `cargo test --release --workspace --test pipeline_throughput -- --ignored --nocapture`.

use std::collections::BTreeMap;
use std::fs;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use connect_tests::{
    consume_n, create_topic, produce, read_span, read_time_after_warmup, test_plugin_library,
    unique_name, write_properties, Worker,
};

const RECORDS: usize = 2_000_000;
/// The generator's string length; as JSON (schemas.enable=false) each value is this plus two quotes.
const VALUE_SIZE: usize = 100;
/// The sink half is timed from this record on: a consumer's first fetch responses (up to 50 MB each) arrive before
/// it hands out its first record, so timing from the first record left a third of a pre-filled topic untimed.
const WARMUP: usize = 200_000;

fn json_value(seq: usize) -> String {
    let mut value = format!("record-{seq}");
    value.push_str(&"x".repeat(VALUE_SIZE - value.len()));
    format!("\"{value}\"")
}

/// Reads `topic` until it holds `RECORDS` records; returns when the first and the last of them arrived, so that
/// start-up (of a worker, of a producer) is outside the measured span for both sides alike. Returns after the reader
/// had time to reach its first fetch of the empty new topic: a reader still starting when a 1.5 s production began
/// saw its first record near the end and reported the whole topic as if produced in 30 ms.
fn read_all_in_background(topic: &str) -> JoinHandle<(Instant, Instant)> {
    let topic = topic.to_string();
    let reader = std::thread::spawn(move || read_span(&topic, RECORDS, Duration::from_secs(300)));
    std::thread::sleep(Duration::from_secs(2));
    reader
}

/// Worker properties for a JSON pipeline with the test plugins on `plugin.path`.
fn json_worker_props(plugins: &str) -> Vec<(&'static str, String)> {
    vec![
        ("plugin.path", plugins.to_string()),
        (
            "value.converter",
            "org.apache.kafka.connect.json.JsonConverter".into(),
        ),
        ("value.converter.schemas.enable", "false".into()),
        ("offset.flush.interval.ms", "1000".into()),
    ]
}

/// `name{labels}` → value from `GET /metrics`.
fn scrape(worker: &Worker) -> BTreeMap<String, f64> {
    worker
        .rest()
        .get("/metrics")
        .text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.rsplit_once(' '))
        .filter_map(|(k, v)| Some((k.to_string(), v.parse().ok()?)))
        .collect()
}

#[test]
#[ignore = "measurement; run by hand with --ignored --nocapture"]
fn generator_source_and_discard_sink_against_raw_client() {
    let plugins = tempfile::tempdir().unwrap();
    fs::copy(
        test_plugin_library(),
        plugins.path().join("libconnect_test_plugins.so"),
    )
    .unwrap();
    let plugins_path = plugins.path().display().to_string();
    let props = json_worker_props(&plugins_path);
    let props: Vec<(&str, &str)> = props.iter().map(|(k, v)| (*k, v.as_str())).collect();

    // Source half: both timed by a reader already waiting, from the first record it reads to the last.
    let raw_topic = unique_name("raw-json");
    create_topic(&raw_topic, 1);
    let reader = read_all_in_background(&raw_topic);
    produce(&raw_topic, (0..RECORDS).map(|i| (b"", json_value(i))));
    let (first, last) = reader.join().expect("raw reader");
    let raw_source = last - first;

    let topic = unique_name("generated");
    create_topic(&topic, 1);
    let connector = plugins.path().join("generator.properties");
    let (records, value_size) = (RECORDS.to_string(), VALUE_SIZE.to_string());
    write_properties(
        &connector,
        &[
            ("name", "generator"),
            ("connector.class", "GeneratorSource"),
            ("topic", &topic),
            ("records", &records),
            ("value.size", &value_size),
            ("batch.size", "2000"),
        ],
    );
    let reader = read_all_in_background(&topic);
    let worker = Worker::start_standalone(&props, &[connector]);
    let (first, last) = reader.join().expect("generated reader");
    let connect_source = last - first;
    let first = consume_n(&topic, 1, Duration::from_secs(10));
    assert_eq!(first[0].value_str(), json_value(0), "same record bytes");
    drop(worker);

    // Sink half: the raw consumer is timed from its WARMUP-th record read to its last. The discard sink is timed by
    // its own counter of records handed to `put`, scraped from /metrics every 100 ms (scraping more often takes CPU
    // from the task on two cores): from the first scrape past WARMUP to the last scrape before the end, so that
    // neither end waits for a scrape.
    let raw_sink = read_time_after_warmup(&raw_topic, RECORDS, WARMUP, Duration::from_secs(300));

    let worker = Worker::start_standalone(&props, &[]);
    let created = worker.rest().post_json(
        "/connectors",
        &serde_json::json!({"name": "discard", "config": {
            "connector.class": "DiscardSink", "topics": raw_topic,
            "consumer.override.session.timeout.ms": "6000"}}),
    );
    assert_eq!(created.status, 201, "{created}");
    let sent =
        "kafka_connect_sink_task_metrics_sink_record_send_total{connector=\"discard\",task=\"0\"}";
    let (mut samples, deadline) = (Vec::new(), Instant::now() + Duration::from_secs(180));
    let done = loop {
        let count = scrape(&worker).get(sent).copied().unwrap_or(0.0) as usize;
        if count >= RECORDS {
            break true;
        }
        if count >= WARMUP {
            samples.push((Instant::now(), count));
        }
        if Instant::now() > deadline {
            break false;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(
        done,
        "discard sink did not get every record\n{}",
        worker.log_tail_block()
    );
    let (Some(first), Some(last)) = (samples.first(), samples.last()) else {
        panic!("no scrape between records {WARMUP} and {RECORDS}: make RECORDS larger");
    };
    assert!(
        last.1 > first.1,
        "only one scrape in the measured span: make RECORDS larger"
    );
    let (connect_sink, sink_counted) = (last.0 - first.0, last.1 - first.1);

    let rate = |d: Duration| RECORDS as f64 / d.as_secs_f64();
    let sink_rate = |d: Duration| (RECORDS - WARMUP) as f64 / d.as_secs_f64();
    let connect_sink_rate = sink_counted as f64 / connect_sink.as_secs_f64();
    println!(
        "pipeline_throughput: {RECORDS} records, {} bytes each as JSON\n\
         source: raw rdkafka producer {:.0} rec/s ({raw_source:.2?}); generator→JsonConverter→producer worker {:.0} rec/s \
         ({connect_source:.2?}); ratio {:.2}\n\
         sink, records {WARMUP} to {RECORDS}: raw rdkafka consumer {:.0} rec/s ({raw_sink:.2?}); \
         consumer→JsonConverter→discard sink {:.0} rec/s ({sink_counted} records in {connect_sink:.2?} between /metrics \
         scrapes); ratio {:.2}",
        VALUE_SIZE + 2,
        rate(raw_source),
        rate(connect_source),
        rate(connect_source) / rate(raw_source),
        sink_rate(raw_sink),
        connect_sink_rate,
        connect_sink_rate / sink_rate(raw_sink),
    );
}
