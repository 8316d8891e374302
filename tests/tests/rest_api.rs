//! The Connect REST API of a standalone worker, checked for Apache Kafka's shapes and status codes end to end.

use std::time::Duration;

use connect_tests::{create_topic, unique_name, wait_until, write_lines, Response, Rest, Worker};
use serde_json::{json, Value};

const SOURCE_CLASS: &str = "org.apache.kafka.connect.file.FileStreamSourceConnector";
const SINK_CLASS: &str = "org.apache.kafka.connect.file.FileStreamSinkConnector";
/// Connector and task state changes are asynchronous; tansu and a cold worker are slow to settle the first time.
const STATE_TIMEOUT: Duration = Duration::from_secs(30);

/// `(connector state, [task states])` from GET /connectors/{name}/status, if it answers 200.
fn states(rest: &Rest, name: &str) -> Option<(String, Vec<String>)> {
    let response = rest.get(&format!("/connectors/{name}/status"));
    if response.status != 200 {
        return None;
    }
    let connector = response.body["connector"]["state"].as_str()?.to_owned();
    let tasks = response.body["tasks"]
        .as_array()?
        .iter()
        .map(|t| t["state"].as_str().unwrap_or("?").to_owned())
        .collect();
    Some((connector, tasks))
}

/// Waits until the connector and all of its (at least one) tasks report `state`; panics with the last status
/// and the worker's log tail otherwise.
#[track_caller]
fn wait_for_state(worker: &Worker, name: &str, state: &str) {
    let rest = worker.rest();
    let ok = wait_until(STATE_TIMEOUT, || {
        states(&rest, name).is_some_and(|(c, tasks)| {
            c == state && !tasks.is_empty() && tasks.iter().all(|t| t == state)
        })
    });
    assert!(
        ok,
        "connector {name} did not reach {state} (connector and tasks) within {STATE_TIMEOUT:?}; last status: {}\n{}",
        rest.get(&format!("/connectors/{name}/status")),
        worker.log_tail_block()
    );
}

#[track_caller]
fn expect_status(worker: &Worker, what: &str, response: &Response, status: u16) {
    assert_eq!(
        response.status,
        status,
        "{what}: expected HTTP {status}, got {response}\n{}",
        worker.log_tail_block()
    );
}

/// Checks the `{"error_code","message"}` error body and returns the message.
#[track_caller]
fn error_message(worker: &Worker, what: &str, response: &Response) -> String {
    assert_eq!(
        response.body["error_code"].as_u64(),
        Some(u64::from(response.status)),
        "{what}: error body must carry error_code = HTTP status; got {response}\n{}",
        worker.log_tail_block()
    );
    response
        .str("message")
        .unwrap_or_else(|| panic!("{what}: error body has no string `message`: {response}"))
        .to_owned()
}

/// Checks the ConnectorInfo shape: name, config (string map with our keys), tasks ([{connector, task}]), type.
#[track_caller]
fn check_connector_info(what: &str, body: &Value, name: &str, config: &Value, kind: &str) {
    assert_eq!(
        body["name"],
        json!(name),
        "{what}: ConnectorInfo.name in {body}"
    );
    assert_eq!(
        body["type"],
        json!(kind),
        "{what}: ConnectorInfo.type in {body}"
    );
    let got = body["config"]
        .as_object()
        .unwrap_or_else(|| panic!("{what}: ConnectorInfo.config is not an object: {body}"));
    for (key, value) in config.as_object().expect("config is an object") {
        assert_eq!(
            got.get(key),
            Some(value),
            "{what}: ConnectorInfo.config[{key}] in {body}"
        );
    }
    assert!(
        got.values().all(Value::is_string),
        "{what}: config values must all be strings: {body}"
    );
    let tasks = body["tasks"]
        .as_array()
        .unwrap_or_else(|| panic!("{what}: ConnectorInfo.tasks is not an array: {body}"));
    for (i, task) in tasks.iter().enumerate() {
        assert_eq!(
            task,
            &json!({"connector": name, "task": i}),
            "{what}: ConnectorInfo.tasks[{i}] in {body}"
        );
    }
}

#[test]
fn connector_lifecycle_over_rest() {
    let data = tempfile::Builder::new()
        .prefix("rest-api-")
        .tempdir()
        .expect("creating a temp dir");
    let input = data.path().join("input.txt");
    write_lines(&input, &["hello", "world"]);
    let topic = unique_name("rest-api");
    create_topic(&topic, 1);
    let file = input.display().to_string();

    let worker = Worker::start_standalone(&[("offset.flush.interval.ms", "1000")], &[]);
    let rest = worker.rest();

    // GET / : ServerInfo.
    let root = rest.get("/");
    expect_status(&worker, "GET /", &root, 200);
    for key in ["version", "commit", "kafka_cluster_id"] {
        assert!(
            root.body.get(key).is_some(),
            "GET / must have `{key}`: {root}"
        );
    }

    // A fresh worker has no connectors.
    let list = rest.get("/connectors");
    expect_status(&worker, "GET /connectors", &list, 200);
    assert_eq!(
        list.body,
        json!([]),
        "a worker started without connectors lists none"
    );

    // POST creates: 201, Location, ConnectorInfo.
    let name = unique_name("rest-source");
    let config =
        json!({"connector.class": SOURCE_CLASS, "tasks.max": "1", "file": file, "topic": topic});
    let created = rest.post_json("/connectors", &json!({"name": name, "config": config}));
    expect_status(&worker, "POST /connectors", &created, 201);
    let location = created
        .location
        .clone()
        .unwrap_or_else(|| panic!("POST /connectors 201 has no Location header"));
    assert!(
        location.ends_with(&format!("/connectors/{name}")),
        "Location {location:?} must point at /connectors/{name}"
    );
    check_connector_info("POST /connectors", &created.body, &name, &config, "source");
    assert_eq!(
        created.body["config"]["name"],
        json!(name),
        "the stored config gets `name` added"
    );

    // Creating it again conflicts.
    let duplicate = rest.post_json("/connectors", &json!({"name": name, "config": config}));
    expect_status(&worker, "duplicate POST /connectors", &duplicate, 409);
    let message = error_message(&worker, "duplicate POST", &duplicate);
    assert!(
        message.contains(&name),
        "409 message should name the connector: {message:?}"
    );

    let list = rest.get("/connectors");
    expect_status(&worker, "GET /connectors", &list, 200);
    assert_eq!(list.body, json!([name]), "GET /connectors after one POST");

    let info = rest.get(&format!("/connectors/{name}"));
    expect_status(&worker, "GET /connectors/{c}", &info, 200);
    check_connector_info("GET /connectors/{c}", &info.body, &name, &config, "source");

    let stored = rest.get(&format!("/connectors/{name}/config"));
    expect_status(&worker, "GET /connectors/{c}/config", &stored, 200);
    let mut expected_config = config.clone();
    expected_config["name"] = json!(name);
    assert_eq!(
        stored.body, expected_config,
        "GET /connectors/{{c}}/config returns the submitted config plus name"
    );

    // Status: RUNNING connector and task, with worker ids.
    wait_for_state(&worker, &name, "RUNNING");
    let status = rest.get(&format!("/connectors/{name}/status"));
    expect_status(&worker, "GET /connectors/{c}/status", &status, 200);
    assert_eq!(status.body["name"], json!(name), "status.name: {status}");
    assert_eq!(
        status.body["type"],
        json!("source"),
        "status.type: {status}"
    );
    let worker_id = status.body["connector"]["worker_id"]
        .as_str()
        .unwrap_or_default();
    assert!(
        worker_id.contains(':'),
        "connector.worker_id must be host:port, got {worker_id:?}: {status}"
    );
    assert_eq!(
        status.body["tasks"][0]["id"],
        json!(0),
        "tasks[0].id: {status}"
    );
    assert_eq!(
        status.body["tasks"][0]["state"],
        json!("RUNNING"),
        "tasks[0].state: {status}"
    );
    assert!(
        status.body["tasks"][0]["worker_id"]
            .as_str()
            .is_some_and(|w| w.contains(':')),
        "tasks[0].worker_id: {status}"
    );
    assert!(
        status.body["connector"].get("trace").is_none(),
        "a healthy connector has no trace: {status}"
    );

    // Tasks: [{id:{connector,task}, config}] with the task class and the connector's settings.
    let tasks = rest.get(&format!("/connectors/{name}/tasks"));
    expect_status(&worker, "GET /connectors/{c}/tasks", &tasks, 200);
    let task_list = tasks
        .body
        .as_array()
        .unwrap_or_else(|| panic!("tasks is not an array: {tasks}"));
    assert_eq!(task_list.len(), 1, "tasks.max=1 gives one task: {tasks}");
    assert_eq!(
        task_list[0]["id"],
        json!({"connector": name, "task": 0}),
        "tasks[0].id: {tasks}"
    );
    assert_eq!(
        task_list[0]["config"]["topic"],
        json!(topic),
        "tasks[0].config.topic: {tasks}"
    );
    assert_eq!(
        task_list[0]["config"]["file"],
        json!(file),
        "tasks[0].config.file: {tasks}"
    );
    assert!(
        task_list[0]["config"]["task.class"].is_string(),
        "tasks[0].config has task.class: {tasks}"
    );

    // Pause and resume: 202 with no body, then the states follow.
    let paused = rest.put_empty(&format!("/connectors/{name}/pause"));
    expect_status(&worker, "PUT pause", &paused, 202);
    wait_for_state(&worker, &name, "PAUSED");
    let resumed = rest.put_empty(&format!("/connectors/{name}/resume"));
    expect_status(&worker, "PUT resume", &resumed, 202);
    wait_for_state(&worker, &name, "RUNNING");

    // PUT config on an existing connector updates it: 200.
    let mut updated_config = config.clone();
    updated_config["batch.size"] = json!("100");
    let updated = rest.put_json(&format!("/connectors/{name}/config"), &updated_config);
    expect_status(
        &worker,
        "PUT /connectors/{c}/config (update)",
        &updated,
        200,
    );
    check_connector_info(
        "PUT config (update)",
        &updated.body,
        &name,
        &updated_config,
        "source",
    );
    let stored = rest.get(&format!("/connectors/{name}/config"));
    assert_eq!(
        stored.body["batch.size"],
        json!("100"),
        "the update is visible in GET config: {stored}"
    );
    wait_for_state(&worker, &name, "RUNNING");

    // PUT config on a new name creates it: 201 with Location.
    let second = unique_name("rest-sink");
    let sink_config = json!({
        "connector.class": "FileStreamSink",
        "tasks.max": "1",
        "file": data.path().join("sink-output.txt").display().to_string(),
        "topics": topic,
    });
    let put_created = rest.put_json(&format!("/connectors/{second}/config"), &sink_config);
    expect_status(
        &worker,
        "PUT /connectors/{new}/config (create)",
        &put_created,
        201,
    );
    assert!(
        put_created
            .location
            .as_deref()
            .is_some_and(|l| l.ends_with(&format!("/connectors/{second}"))),
        "PUT config 201 needs Location /connectors/{second}: {:?}",
        put_created.location
    );
    check_connector_info(
        "PUT config (create)",
        &put_created.body,
        &second,
        &sink_config,
        "sink",
    );

    // A config whose name differs from the URL is rejected.
    let mut renamed = sink_config.clone();
    renamed["name"] = json!("someone-else");
    let mismatch = rest.put_json(&format!("/connectors/{second}/config"), &renamed);
    expect_status(&worker, "PUT config with a mismatched name", &mismatch, 400);
    error_message(&worker, "PUT config with a mismatched name", &mismatch);

    // An invalid config (FileStreamSource without `topic`) is rejected with 400 naming the key, and not created.
    let bad = unique_name("rest-bad");
    let bad_config = json!({"connector.class": "FileStreamSource", "tasks.max": "1", "file": file});
    let rejected = rest.post_json("/connectors", &json!({"name": bad, "config": bad_config}));
    expect_status(&worker, "POST invalid config", &rejected, 400);
    let message = error_message(&worker, "POST invalid config", &rejected);
    assert!(
        message.contains("topic"),
        "the 400 message must name the missing key `topic`: {message:?}"
    );
    expect_status(
        &worker,
        "GET the rejected connector",
        &rest.get(&format!("/connectors/{bad}")),
        404,
    );

    // Unknown connectors: 404 with Kafka's message.
    let unknown = unique_name("no-such-connector");
    let missing = rest.get(&format!("/connectors/{unknown}"));
    expect_status(&worker, "GET unknown connector", &missing, 404);
    assert_eq!(
        error_message(&worker, "GET unknown connector", &missing),
        format!("Connector {unknown} not found")
    );
    expect_status(
        &worker,
        "GET unknown status",
        &rest.get(&format!("/connectors/{unknown}/status")),
        404,
    );
    expect_status(
        &worker,
        "PUT pause unknown",
        &rest.put_empty(&format!("/connectors/{unknown}/pause")),
        404,
    );
    expect_status(
        &worker,
        "DELETE unknown",
        &rest.delete(&format!("/connectors/{unknown}")),
        404,
    );

    // Plugins: both FileStream connectors, with their types.
    let plugins = rest.get("/connector-plugins");
    expect_status(&worker, "GET /connector-plugins", &plugins, 200);
    let plugin_list = plugins
        .body
        .as_array()
        .unwrap_or_else(|| panic!("connector-plugins is not an array: {plugins}"));
    for (class, kind) in [(SOURCE_CLASS, "source"), (SINK_CLASS, "sink")] {
        assert!(
            plugin_list
                .iter()
                .any(|p| p["class"] == json!(class) && p["type"] == json!(kind)),
            "GET /connector-plugins must list {class} with type {kind}: {plugins}"
        );
    }

    // DELETE: 204, then gone.
    for connector in [&name, &second] {
        let deleted = rest.delete(&format!("/connectors/{connector}"));
        expect_status(&worker, "DELETE /connectors/{c}", &deleted, 204);
        let gone = rest.get(&format!("/connectors/{connector}"));
        expect_status(&worker, "GET after DELETE", &gone, 404);
        assert_eq!(
            error_message(&worker, "GET after DELETE", &gone),
            format!("Connector {connector} not found")
        );
    }
    let list = rest.get("/connectors");
    assert_eq!(
        list.body,
        json!([]),
        "no connectors left after deleting both: {list}"
    );
}

/// `connector.client.config.override.policy`: `Principal` lets a connector override only the client principal
/// settings, `None` nothing; a refused override is an error on its key in validation and a 400 on create.
#[test]
fn client_config_override_policy_refuses_overrides() {
    let worker = Worker::start_standalone(
        &[("connector.client.config.override.policy", "Principal")],
        &[],
    );
    let rest = worker.rest();
    let topic = unique_name("override-policy");
    let config = json!({
        "name": "overrides",
        "connector.class": SINK_CLASS,
        "topics": topic,
        "file": worker.dir().join("out.txt").display().to_string(),
        "consumer.override.max.poll.records": "10",
        "consumer.override.security.protocol": "PLAINTEXT",
    });
    let refused = "The 'Principal' policy does not allow 'max.poll.records' to be overridden in the connector configuration.";
    let validated = rest.put_json(
        "/connector-plugins/FileStreamSinkConnector/config/validate",
        &config,
    );
    expect_status(&worker, "validate", &validated, 200);
    assert_eq!(validated.body["error_count"], 1, "{validated}");
    let errors = |key: &str| -> Vec<Value> {
        validated.body["configs"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|c| c["value"]["name"] == key)
            .flat_map(|c| c["value"]["errors"].as_array().cloned().unwrap_or_default())
            .collect()
    };
    assert_eq!(
        errors("consumer.override.max.poll.records"),
        [json!(refused)]
    );
    assert!(errors("consumer.override.security.protocol").is_empty());
    let created = rest.post_json(
        "/connectors",
        &json!({"name": "overrides", "config": config}),
    );
    expect_status(&worker, "create with a refused override", &created, 400);
    let message = error_message(&worker, "create", &created);
    assert!(message.contains(refused), "{message}");
    expect_status(
        &worker,
        "not created",
        &rest.get("/connectors/overrides"),
        404,
    );

    let none =
        Worker::start_standalone(&[("connector.client.config.override.policy", "None")], &[]);
    let created = none.rest().post_json(
        "/connectors",
        &json!({"name": "source-overrides", "config": {
            "connector.class": SOURCE_CLASS,
            "topic": topic,
            "file": none.dir().join("in.txt").display().to_string(),
            "producer.override.linger.ms": "1",
        }}),
    );
    expect_status(&none, "create a source with an override", &created, 400);
    let message = error_message(&none, "create", &created);
    assert!(
        message
            .contains("producer.override.linger.ms: The 'None' policy does not allow 'linger.ms'"),
        "{message}"
    );
}
