//! The plugin ABI end to end: a C plugin compiled here with the system compiler loads, runs and resumes from its
//! offsets; panicking plugins fail only their own task while the worker and REST keep working; a library built
//! for another ABI version is skipped with a log line naming both versions; transformations and predicates from a
//! plugin library are listed and run in connectors' chains.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use connect_tests::{
    consume_n, consume_until, create_topic, plugin_library, test_plugin_library, unique_name,
    wait_until, workspace_root, write_lines, Worker,
};
use serde_json::json;

const C_CLASS: &str = "io.connectrs.test.CCounterSourceConnector";
const WRONG_ABI_CLASS: &str = "io.connectrs.test.WrongAbiConnector";

/// Compiles the C test plugin into `dir/<file>` with extra compiler flags.
fn compile_c_plugin(dir: &Path, file: &str, flags: &[&str]) -> PathBuf {
    let root = workspace_root();
    let out = dir.join(file);
    let result = Command::new("cc")
        .args(["-shared", "-fPIC", "-O2", "-Wall", "-Werror"])
        .arg("-I")
        .arg(root.join("api/include"))
        .args(flags)
        .arg("-o")
        .arg(&out)
        .arg(root.join("tests/plugins/c/counter_source.c"))
        .output()
        .expect("running the system C compiler (cc)");
    assert!(
        result.status.success(),
        "cc failed: {}",
        String::from_utf8_lossy(&result.stderr)
    );
    out
}

/// A plugin directory with the FileStream plugins, the panicking Rust plugins and both C builds.
fn plugin_dir() -> tempfile::TempDir {
    let dir = tempfile::Builder::new()
        .prefix("abi-plugins-")
        .tempdir()
        .unwrap();
    fs::copy(plugin_library(), dir.path().join("libconnect_file.so")).unwrap();
    fs::copy(
        test_plugin_library(),
        dir.path().join("libconnect_test_plugins.so"),
    )
    .unwrap();
    compile_c_plugin(dir.path(), "libccounter.so", &[]);
    let class = format!("-DPLUGIN_CLASS_NAME=\"{WRONG_ABI_CLASS}\"");
    compile_c_plugin(
        dir.path(),
        "libwrongabi.so",
        &["-DPLUGIN_ABI_VERSION=99", &class],
    );
    fs::write(dir.path().join("libnotaplugin.so"), b"not an ELF file").unwrap();
    dir
}

fn task_state(worker: &Worker, connector: &str) -> (String, String) {
    let status = worker
        .rest()
        .get(&format!("/connectors/{connector}/status"));
    let task = &status.body["tasks"][0];
    (
        task["state"].as_str().unwrap_or("").to_string(),
        task["trace"].as_str().unwrap_or("").to_string(),
    )
}

fn values(records: &[connect_tests::Record]) -> Vec<String> {
    records.iter().map(|r| r.value_str()).collect()
}

#[test]
fn c_plugin_runs_and_resumes_from_its_offsets_and_wrong_abi_is_skipped() {
    let plugins = plugin_dir();
    let dir = plugins.path().display().to_string();
    let mut worker = Worker::start_standalone(
        &[("plugin.path", &dir), ("offset.flush.interval.ms", "500")],
        &[],
    );
    let rest = worker.rest();

    let listed = rest.get("/connector-plugins").text;
    assert!(listed.contains(C_CLASS), "C plugin not listed: {listed}");
    assert!(
        !listed.contains(WRONG_ABI_CLASS),
        "wrong-ABI plugin must be skipped: {listed}"
    );
    let log = fs::read_to_string(worker.log_path()).unwrap();
    assert!(
        log.contains("libwrongabi.so: it was built for plugin ABI version 99, this worker supports version 1"),
        "no skip line naming the file and both versions in the log:\n{log}"
    );
    assert!(
        log.contains("libnotaplugin.so"),
        "the non-library file should be reported as skipped"
    );

    let topic = unique_name("c-counter");
    create_topic(&topic, 1);
    let config = json!({"connector.class": "CCounterSource", "topic": topic, "count": "300"});
    let created = rest.post_json(
        "/connectors",
        &json!({"name": "c-source", "config": config}),
    );
    assert_eq!(created.status, 201, "{created}");
    let first = consume_n(&topic, 300, Duration::from_secs(60));
    let expected: Vec<String> = (0..300).map(|n| format!("c-record-{n}")).collect();
    assert_eq!(values(&first), expected);

    // The C plugin asked the worker for its committed offset through the host callback: after a restart and a
    // larger count it continues at 300 instead of starting over.
    assert!(wait_until(Duration::from_secs(10), || fs::read_to_string(
        worker.dir().join("connect.offsets")
    )
    .is_ok_and(|o| o.contains(r#"{"n":300}"#))));
    worker.stop();
    worker.restart();
    let mut config = config;
    config["count"] = json!("350");
    // Standalone keeps no connector configs across restarts (as in Kafka), so this creates the connector again.
    let recreated = worker
        .rest()
        .put_json("/connectors/c-source/config", &config);
    assert_eq!(recreated.status, 201, "{recreated}");
    let all = consume_n(&topic, 350, Duration::from_secs(60));
    let expected: Vec<String> = (0..350).map(|n| format!("c-record-{n}")).collect();
    assert_eq!(
        values(&all),
        expected,
        "resumed exactly after the committed offset"
    );
}

#[test]
fn panics_fail_only_their_own_task() {
    let plugins = plugin_dir();
    let dir = plugins.path().display().to_string();
    let worker = Worker::start_standalone(&[("plugin.path", &dir)], &[]);
    let rest = worker.rest();
    let topic = unique_name("panics");
    create_topic(&topic, 1);

    let healthy = json!({"connector.class": "CCounterSource", "topic": topic, "count": "100000"});
    assert_eq!(
        rest.post_json(
            "/connectors",
            &json!({"name": "healthy", "config": healthy})
        )
        .status,
        201
    );
    let source = json!({"connector.class": "PanickingSource", "topic": unique_name("panic-src")});
    assert_eq!(
        rest.post_json(
            "/connectors",
            &json!({"name": "bad-source", "config": source})
        )
        .status,
        201
    );
    let sink = json!({"connector.class": "PanickingSink", "topics": topic, "consumer.override.session.timeout.ms": "6000"});
    assert_eq!(
        rest.post_json("/connectors", &json!({"name": "bad-sink", "config": sink}))
            .status,
        201
    );

    for (name, place) in [("bad-source", "in poll"), ("bad-sink", "in put")] {
        assert!(
            wait_until(Duration::from_secs(60), || task_state(&worker, name).0
                == "FAILED"),
            "{name} should fail; status {:?}",
            task_state(&worker, name)
        );
        let (_, trace) = task_state(&worker, name);
        assert!(
            trace.contains(&format!("deliberate test panic {place}")),
            "{name} trace: {trace}"
        );
    }
    // The worker, REST and the other task are unaffected.
    assert_eq!(task_state(&worker, "healthy").0, "RUNNING");
    let before = consume_until(&topic, Duration::from_secs(5), |r| r.len() >= 1000).len();
    assert!(
        before >= 1000,
        "the healthy C source keeps producing (saw {before})"
    );
    assert_eq!(rest.get("/").status, 200);
    let another = json!({"connector.class": "FileStreamSource", "file": "/etc/hostname", "topic": unique_name("after")});
    assert_eq!(
        rest.post_json(
            "/connectors",
            &json!({"name": "after-panic", "config": another})
        )
        .status,
        201
    );
    // A restarted panicking task panics again and fails again, but never takes the worker down.
    assert_eq!(
        rest.post_json("/connectors/bad-source/tasks/0/restart", &json!({}))
            .status,
        204
    );
    assert!(wait_until(Duration::from_secs(30), || task_state(
        &worker,
        "bad-source"
    )
    .0 == "FAILED"));
    assert_eq!(rest.get("/connectors").status, 200);
}

#[test]
fn transformations_and_predicates_load_from_plugin_libraries() {
    let plugins = plugin_dir();
    let dir = plugins.path().display().to_string();
    let worker = Worker::start_standalone(&[("plugin.path", &dir)], &[]);
    let rest = worker.rest();

    let listed = rest.get("/connector-plugins?connectorsOnly=false");
    let kind_of = |class: &str| {
        listed
            .body
            .as_array()
            .expect("plugins")
            .iter()
            .find(|p| p["class"] == class)
            .map(|p| p["type"].clone())
    };
    assert_eq!(
        kind_of("io.connectrs.test.UppercaseValue"),
        Some(json!("transformation")),
        "{listed}"
    );
    assert_eq!(
        kind_of("io.connectrs.test.ValueContains"),
        Some(json!("predicate")),
        "{listed}"
    );
    let connectors_only = rest.get("/connector-plugins");
    assert!(
        !connectors_only.body.to_string().contains("UppercaseValue"),
        "{connectors_only}"
    );
    let config = rest.get("/connector-plugins/UppercaseValue/config");
    assert_eq!(config.status, 200, "{config}");
    assert_eq!(config.body[0]["name"], "suffix", "{config}");

    // Upper-case every line (plugin transformation), then drop the ones containing SKIP (built-in Filter with the
    // plugin predicate).
    let data = tempfile::tempdir().expect("temp dir");
    let input = data.path().join("input.txt");
    write_lines(&input, &["one", "skip me", "two"]);
    let topic = unique_name("plugin-smt");
    create_topic(&topic, 1);
    let source = json!({
        "connector.class": "FileStreamSource",
        "file": input.display().to_string(),
        "topic": topic,
        "transforms": "upper,dropSkipped",
        "transforms.upper.type": "io.connectrs.test.UppercaseValue",
        "transforms.upper.suffix": "!",
        "transforms.dropSkipped.type": "Filter",
        "transforms.dropSkipped.predicate": "skipped",
        "predicates": "skipped",
        "predicates.skipped.type": "ValueContains",
        "predicates.skipped.text": "SKIP",
    });
    let created = rest.post_json(
        "/connectors",
        &json!({"name": "plugin-smt", "config": source}),
    );
    assert_eq!(created.status, 201, "{created}");
    let records = consume_n(&topic, 2, Duration::from_secs(30));
    assert_eq!(values(&records), vec!["ONE!", "TWO!"]);
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(
        values(&consume_until(&topic, Duration::from_secs(1), |_| false)),
        vec!["ONE!", "TWO!"],
        "the filtered line must not arrive"
    );

    // A plugin predicate's configure error fails the task with the plugin's message, as in Kafka (its ConfigDef
    // declares nothing, so validation accepts the config).
    let mut missing_text = source.clone();
    missing_text
        .as_object_mut()
        .expect("object")
        .remove("predicates.skipped.text");
    let created = rest.post_json(
        "/connectors",
        &json!({"name": "plugin-smt-bad", "config": missing_text}),
    );
    assert_eq!(created.status, 201, "{created}");
    assert!(
        wait_until(Duration::from_secs(30), || task_state(
            &worker,
            "plugin-smt-bad"
        )
        .0 == "FAILED"),
        "{:?}",
        task_state(&worker, "plugin-smt-bad")
    );
    let (_, trace) = task_state(&worker, "plugin-smt-bad");
    assert!(trace.contains("ValueContains needs 'text'"), "{trace}");
    assert_eq!(task_state(&worker, "plugin-smt").0, "RUNNING");
}

#[test]
fn commit_record_reports_where_each_record_was_written_or_that_it_was_dropped() {
    let plugins = plugin_dir();
    let dir = plugins.path().display().to_string();
    let worker = Worker::start_standalone(&[("plugin.path", &dir)], &[]);
    let rest = worker.rest();
    let topic = unique_name("commit-record");
    create_topic(&topic, 1);
    let commits = plugins.path().join("commits.txt");
    // 30 records; the built-in Filter drops record-7 (and no other: the values are not padded).
    let config = json!({
        "connector.class": "GeneratorSource",
        "topic": topic,
        "records": "30",
        "batch.size": "4",
        "value.size": "0",
        "commit.records.file": commits.display().to_string(),
        "transforms": "dropSeven",
        "transforms.dropSeven.type": "Filter",
        "transforms.dropSeven.predicate": "seven",
        "predicates": "seven",
        "predicates.seven.type": "ValueContains",
        "predicates.seven.text": "record-7",
    });
    let created = rest.post_json("/connectors", &json!({"name": "commits", "config": config}));
    assert_eq!(created.status, 201, "{created}");
    consume_n(&topic, 29, Duration::from_secs(30));
    let mut lines = Vec::new();
    let complete = wait_until(Duration::from_secs(30), || {
        lines = fs::read_to_string(&commits)
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect();
        lines.len() >= 30
    });
    assert!(complete, "commit_record calls: {lines:?}");
    // A dropped record is reported at once, written ones when Kafka acknowledges them (in order: one partition).
    let seq = |line: &String| line.split(' ').next().and_then(|n| n.parse::<u32>().ok());
    let written: Vec<Option<u32>> = lines
        .iter()
        .filter(|l| !l.ends_with(" -"))
        .map(seq)
        .collect();
    assert!(
        written.windows(2).all(|w| w[0] < w[1]),
        "acknowledgements out of order: {lines:?}"
    );
    lines.sort_by_key(seq);
    let mut expected = Vec::new();
    let mut offset = 0;
    for seq in 0..30 {
        if seq == 7 {
            expected.push("7 -".to_string());
        } else {
            expected.push(format!("{seq} {topic} 0 {offset}"));
            offset += 1;
        }
    }
    assert_eq!(lines, expected);
}
