//! Transforms and predicates in running connectors: listed by the REST API under Kafka's class names, applied in
//! order on the source and sink sides, with predicates (and `negate`) deciding where they apply.

use std::time::Duration;

use connect_tests::{
    consume_n, count_complete_lines, create_topic, produce, read_complete_lines, unique_name,
    wait_until, write_lines, Worker,
};
use serde_json::{json, Value};

/// Every transformation Apache Kafka ships, with the `$Key`/`$Value` variants it has, and Debezium's unwrap SMT.
const TRANSFORMATIONS: &[&str] = &[
    "Cast$Key",
    "Cast$Value",
    "DropHeaders",
    "ExtractField$Key",
    "ExtractField$Value",
    "Filter",
    "Flatten$Key",
    "Flatten$Value",
    "HeaderFrom$Key",
    "HeaderFrom$Value",
    "HoistField$Key",
    "HoistField$Value",
    "InsertField$Key",
    "InsertField$Value",
    "InsertHeader",
    "MaskField$Key",
    "MaskField$Value",
    "RegexRouter",
    "ReplaceField$Key",
    "ReplaceField$Value",
    "SetSchemaMetadata$Key",
    "SetSchemaMetadata$Value",
    "TimestampConverter$Key",
    "TimestampConverter$Value",
    "TimestampRouter",
    "ValueToKey",
];
const PREDICATES: &[&str] = &["HasHeaderKey", "RecordIsTombstone", "TopicNameMatches"];

#[test]
fn connector_plugins_lists_every_transformation_and_predicate() {
    let worker = Worker::start_standalone(&[], &[]);
    let response = worker.rest().get("/connector-plugins?connectorsOnly=false");
    assert_eq!(response.status, 200, "{response}");
    let listed: Vec<(String, String)> = response
        .body
        .as_array()
        .expect("an array of plugins")
        .iter()
        .map(|p| {
            let class = p["class"].as_str().unwrap_or_default().to_owned();
            (class, p["type"].as_str().unwrap_or_default().to_owned())
        })
        .collect();
    let has = |class: &str, kind: &str| listed.iter().any(|(c, k)| c == class && k == kind);
    for name in TRANSFORMATIONS {
        let class = format!("org.apache.kafka.connect.transforms.{name}");
        assert!(has(&class, "transformation"), "{class} missing: {listed:?}");
    }
    for name in PREDICATES {
        let class = format!("org.apache.kafka.connect.transforms.predicates.{name}");
        assert!(has(&class, "predicate"), "{class} missing: {listed:?}");
    }
    assert!(has(
        "io.debezium.transforms.ExtractNewRecordState",
        "transformation"
    ));

    // The default listing stays connectors only, as in Kafka.
    let default = worker.rest().get("/connector-plugins");
    let kinds: Vec<&str> = default
        .body
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|p| p["type"].as_str())
        .collect();
    assert!(
        kinds.iter().all(|k| *k == "source" || *k == "sink"),
        "{kinds:?}"
    );
}

#[test]
fn chains_run_in_order_on_both_sides_with_predicates() {
    let dir = tempfile::tempdir().expect("temp dir");
    let input = dir.path().join("input.txt");
    let kept = dir.path().join("kept.txt");
    let dropped = dir.path().join("dropped.txt");
    let lines: Vec<String> = (0..500).map(|i| format!("line {i}")).collect();
    write_lines(&input, &lines);
    let source_topic = unique_name("chain-in");
    let routed = source_topic.replace("chain-in", "chain-out");
    // One partition, so that the sinks see the file's order (the broker would auto-create several).
    create_topic(&routed, 1);

    // FileStreamSink writes its file out on each offset flush.
    let worker = Worker::start_standalone(
        &[
            ("consumer.session.timeout.ms", "6000"),
            ("offset.flush.interval.ms", "500"),
        ],
        &[],
    );
    let rest = worker.rest();
    let json_values = json!({
        "value.converter": "org.apache.kafka.connect.json.JsonConverter",
        "value.converter.schemas.enable": "false",
    });
    // Source: wrap each line in a struct, add a static field, then route chain-in-* to chain-out-*.
    let mut source = json!({
        "connector.class": "FileStreamSource",
        "file": input.display().to_string(),
        "topic": source_topic,
        "transforms": "hoist,origin,route",
        "transforms.hoist.type": "org.apache.kafka.connect.transforms.HoistField$Value",
        "transforms.hoist.field": "line",
        "transforms.origin.type": "InsertField$Value",
        "transforms.origin.static.field": "origin",
        "transforms.origin.static.value": "file",
        "transforms.route.type": "org.apache.kafka.connect.transforms.RegexRouter",
        "transforms.route.regex": "(.*)chain-in(.*)",
        "transforms.route.replacement": "$1chain-out$2",
    });
    merge(&mut source, &json_values);
    let created = rest.post_json(
        "/connectors",
        &json!({"name": unique_name("chain-source"), "config": source}),
    );
    assert_eq!(created.status, 201, "{created}");

    let records = consume_n(&routed, lines.len(), Duration::from_secs(60));
    let first: Value = serde_json::from_str(&records[0].value_str()).expect("JSON value");
    assert_eq!(first, json!({"line": "line 0", "origin": "file"}));

    // Sinks: extract the field back; a Filter applies only where its predicate says so.
    // The filtering sink also reads a second topic its predicate does not match, to prove it consumes and writes.
    let other = unique_name("chain-other");
    create_topic(&other, 1);
    let others: Vec<String> = (0..3).map(|i| format!("other {i}")).collect();
    produce(
        &other,
        others
            .iter()
            .map(|l| (b"".as_slice(), json!({"line": l}).to_string())),
    );
    let sink = |file: &std::path::Path, negate: bool| {
        let topics = if negate {
            routed.clone()
        } else {
            format!("{routed},{other}")
        };
        let mut config = json!({
            "connector.class": "FileStreamSink",
            "file": file.display().to_string(),
            "topics": topics,
            "consumer.override.session.timeout.ms": "6000",
            "transforms": "drop,extract",
            "transforms.drop.type": "Filter",
            "transforms.drop.predicate": "isOut",
            "transforms.drop.negate": negate.to_string(),
            "transforms.extract.type": "ExtractField$Value",
            "transforms.extract.field": "line",
            "predicates": "isOut",
            "predicates.isOut.type": "org.apache.kafka.connect.transforms.predicates.TopicNameMatches",
            "predicates.isOut.pattern": ".*chain-out.*",
        });
        merge(&mut config, &json_values);
        config
    };
    for (file, negate) in [(&kept, true), (&dropped, false)] {
        let body = json!({"name": unique_name("chain-sink"), "config": sink(file, negate)});
        let created = rest.post_json("/connectors", &body);
        assert_eq!(created.status, 201, "{created}");
    }
    let complete = wait_until(Duration::from_secs(60), || {
        count_complete_lines(&kept) >= lines.len()
    });
    assert!(
        complete,
        "kept output has {} lines\n{}\n{}",
        count_complete_lines(&kept),
        rest.get("/connectors?expand=status"),
        worker.log_tail_block()
    );
    assert_eq!(read_complete_lines(&kept), lines);
    // The other sink wrote the unmatched topic's records and filtered every record of the matched one.
    let wrote_others = wait_until(Duration::from_secs(30), || {
        count_complete_lines(&dropped) >= others.len()
    });
    assert!(
        wrote_others,
        "filtering sink output: {:?}",
        read_complete_lines(&dropped)
    );
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(
        read_complete_lines(&dropped),
        others,
        "the filtering sink let a matched record through"
    );
}

/// Copies every key of `extra` into `config`.
fn merge(config: &mut Value, extra: &Value) {
    for (key, value) in extra.as_object().expect("object") {
        config[key] = value.clone();
    }
}
