//! The secured REST API end to end: HTTP basic auth from a JAAS file in `KAFKA_OPTS`, https listeners with PEM keys.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use connect_tests::{
    ensure_broker, free_port, unique_name, worker_binary, write_properties, Rest, Security, Worker,
};
use serde_json::json;
use tempfile::TempDir;

const BASIC_AUTH_EXTENSION: &str =
    "org.apache.kafka.connect.rest.basic.auth.extension.BasicAuthSecurityRestExtension";
const LOGIN_MODULE: &str =
    "org.apache.kafka.connect.rest.basic.auth.extension.PropertyFileLoginModule";
/// A worker that refuses its settings exits before it connects anywhere; this is a generous bound.
const FAILED_START_TIMEOUT: Duration = Duration::from_secs(30);

/// Writes `connect-jaas.conf` naming `password_file` in `dir`; returns the `KAFKA_OPTS` value that points at it.
fn jaas_options(dir: &Path, password_file: &Path) -> String {
    let jaas = dir.join("connect-jaas.conf");
    let text = format!(
        "KafkaConnect {{\n  {LOGIN_MODULE} required\n  file=\"{}\";\n}};\n",
        password_file.display()
    );
    std::fs::write(&jaas, text).expect("writing the JAAS file");
    format!(
        "-Xmx256m -Djava.security.auth.login.config={}",
        jaas.display()
    )
}

/// Runs `connect standalone` with the usual test defaults plus `props` and `env`, expecting it to exit on its own;
/// returns its output. Panics if it is still running after [`FAILED_START_TIMEOUT`] or exits with success.
#[track_caller]
fn failed_start(props: &[(&str, &str)], env: &[(&str, &str)]) -> String {
    let dir = TempDir::new().expect("temp dir");
    let offsets = dir.path().join("connect.offsets");
    let listener = format!("http://127.0.0.1:{}", free_port());
    let mut all = vec![
        ("bootstrap.servers", ensure_broker()),
        (
            "key.converter",
            "org.apache.kafka.connect.storage.StringConverter".into(),
        ),
        (
            "value.converter",
            "org.apache.kafka.connect.storage.StringConverter".into(),
        ),
        (
            "offset.storage.file.filename",
            offsets.display().to_string(),
        ),
        ("listeners", listener),
    ];
    for (k, v) in props {
        all.retain(|(key, _)| key != k);
        all.push((*k, (*v).to_string()));
    }
    let pairs: Vec<(&str, &str)> = all.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let file = dir.path().join("worker.properties");
    write_properties(&file, &pairs);
    let log = dir.path().join("worker.log");
    let out = std::fs::File::create(&log).expect("creating the log");
    let mut child = Command::new(worker_binary())
        .arg("standalone")
        .arg(&file)
        .envs(env.iter().copied())
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(out.try_clone().expect("cloning the log handle"))
        .stderr(out)
        .spawn()
        .expect("spawning the worker");
    let deadline = Instant::now() + FAILED_START_TIMEOUT;
    let status = loop {
        if let Some(status) = child.try_wait().expect("waiting for the worker") {
            break status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "the worker kept running with invalid settings; log:\n{}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(
        !status.success(),
        "the worker exited with success; log:\n{text}"
    );
    text
}

#[test]
fn basic_auth_lets_only_known_users_in() {
    let dir = TempDir::new().expect("temp dir");
    let passwords = dir.path().join("connect.password");
    std::fs::write(
        &passwords,
        "# users of the REST API\nalice: s3cret\nbob=other\n",
    )
    .unwrap();
    let kafka_opts = jaas_options(dir.path(), &passwords);
    let classes = format!("{BASIC_AUTH_EXTENSION},com.example.UnknownRestExtension");
    let worker = Worker::start_standalone_secured(
        &[("rest.extension.classes", &classes)],
        Security {
            basic_auth: Some(("alice".into(), "s3cret".into())),
            env: vec![("KAFKA_OPTS".into(), kafka_opts)],
            ..Security::default()
        },
    );

    let anonymous = Rest::new(&worker.url());
    let response = anonymous.get("/connectors");
    assert_eq!(response.status, 401, "no credentials: {response}");
    assert_eq!(response.text, "User cannot access the resource.");
    let response = anonymous.get("/");
    assert_eq!(response.status, 401, "GET / is protected too: {response}");
    let wrong = Rest::new(&worker.url()).with_basic_auth("alice", "s3cret-not");
    assert_eq!(wrong.get("/connectors").status, 401);
    let unknown = Rest::new(&worker.url()).with_basic_auth("mallory", "s3cret");
    assert_eq!(unknown.get("/connectors").status, 401);
    let creation = json!({"name": "x", "config": {"connector.class": "FileStreamSource"}});
    assert_eq!(anonymous.post_json("/connectors", &creation).status, 401);

    let rest = worker.rest();
    let response = rest.get("/connectors");
    assert_eq!(response.status, 200, "{response}");
    assert!(response.body.is_array(), "{response}");
    let name = unique_name("basic-auth-source");
    let file = dir.path().join("input.txt");
    std::fs::write(&file, "").unwrap();
    let created = rest.post_json(
        "/connectors",
        &json!({"name": name, "config": {
            "connector.class": "FileStreamSource",
            "file": file.display().to_string(),
            "topic": unique_name("basic-auth-topic"),
            "tasks.max": "1",
        }}),
    );
    assert_eq!(
        created.status,
        201,
        "{created}\n{}",
        worker.log_tail_block()
    );
    let other_user = Rest::new(&worker.url()).with_basic_auth("bob", "other");
    let listed = other_user.get("/connectors");
    assert_eq!(listed.status, 200, "{listed}");
    assert_eq!(listed.body, json!([name]));

    assert!(
        worker
            .log()
            .contains("com.example.UnknownRestExtension is not supported"),
        "no warning about the unknown extension class\n{}",
        worker.log_tail_block()
    );
}

#[test]
fn a_missing_password_file_stops_the_worker() {
    let dir = TempDir::new().expect("temp dir");
    let passwords = dir.path().join("no-such.password");
    let kafka_opts = jaas_options(dir.path(), &passwords);
    let log = failed_start(
        &[("rest.extension.classes", BASIC_AUTH_EXTENSION)],
        &[("KAFKA_OPTS", &kafka_opts)],
    );
    assert!(
        log.contains(&passwords.display().to_string()),
        "the error does not name the password file:\n{log}"
    );
    let log = failed_start(&[("rest.extension.classes", BASIC_AUTH_EXTENSION)], &[]);
    assert!(
        log.contains("KAFKA_OPTS") && log.contains("java.security.auth.login.config"),
        "the error does not say where the JAAS file is expected:\n{log}"
    );
}

/// Settings for a self-signed leaf certificate for 127.0.0.1 with extended key usage `{usage}` (`CA:FALSE`: rustls
/// refuses a CA certificate as the server's own, which is what a bare `openssl req -x509` makes).
fn leaf_config(usage: &str) -> String {
    format!(
        "[req]
distinguished_name = dn
x509_extensions = leaf
prompt = no
[dn]
CN = 127.0.0.1
[leaf]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = {usage}
subjectAltName = IP:127.0.0.1
"
    )
}

/// A self-signed server certificate for 127.0.0.1 made with the `openssl` CLI: `(dir, key+chain PEM file, cert PEM)`.
fn self_signed() -> (TempDir, std::path::PathBuf, Vec<u8>) {
    self_signed_for("serverAuth")
}

/// A self-signed certificate for `usage` (`serverAuth`, `clientAuth`): `(dir, key+chain PEM file, cert PEM)`.
fn self_signed_for(usage: &str) -> (TempDir, std::path::PathBuf, Vec<u8>) {
    let dir = TempDir::new().expect("temp dir");
    std::fs::write(dir.path().join("leaf.cnf"), leaf_config(usage)).unwrap();
    let out = Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "key.pem", "-out",
            "cert.pem", "-days", "2", "-config", "leaf.cnf",
        ])
        .current_dir(dir.path())
        .output()
        .expect("running openssl (needed to make a test certificate)");
    assert!(
        out.status.success(),
        "openssl: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let key = std::fs::read(dir.path().join("key.pem")).unwrap();
    let cert = std::fs::read(dir.path().join("cert.pem")).unwrap();
    let keystore = dir.path().join("keystore.pem");
    std::fs::write(&keystore, [key, cert.clone()].concat()).unwrap();
    (dir, keystore, cert)
}

#[test]
fn https_listener_serves_tls_with_a_pem_keystore() {
    let (_dir, keystore, cert) = self_signed();
    let https_port = free_port();
    let http_port = free_port();
    // The harness talks to the port of the last listener: the https one.
    let listeners = format!("http://127.0.0.1:{http_port},https://127.0.0.1:{https_port}");
    let worker = Worker::start_standalone_secured(
        &[
            ("listeners", &listeners),
            ("listeners.https.ssl.keystore.type", "PEM"),
            (
                "listeners.https.ssl.keystore.location",
                &keystore.display().to_string(),
            ),
        ],
        Security {
            root_cert_pem: Some(cert),
            ..Security::default()
        },
    );
    let url = worker.url();
    assert_eq!(url, format!("https://127.0.0.1:{https_port}"));

    let response = worker.rest().get("/");
    assert_eq!(response.status, 200, "{response}");
    assert!(response.str("version").is_some(), "{response}");
    assert_eq!(worker.rest().get("/connectors").body, json!([]));

    let plain = Rest::new(&format!("http://127.0.0.1:{https_port}"));
    let answer = plain.try_get("/", Duration::from_secs(5));
    assert!(
        answer.is_err(),
        "plain http to the https port answered: {answer:?}"
    );
    let untrusting = Rest::new(&url);
    let answer = untrusting.try_get("/", Duration::from_secs(5));
    assert!(
        answer.is_err(),
        "a client without the test root accepted the certificate: {answer:?}"
    );

    let http = Rest::new(&format!("http://127.0.0.1:{http_port}"));
    let response = http.get("/");
    assert_eq!(
        response.status, 200,
        "the http listener next to https: {response}"
    );
}

#[test]
fn a_jks_keystore_is_refused_with_a_hint_to_convert_it() {
    let dir = TempDir::new().expect("temp dir");
    let jks = dir.path().join("keystore.jks");
    std::fs::write(&jks, b"not really a keystore").unwrap();
    let listener = format!("https://127.0.0.1:{}", free_port());
    let log = failed_start(
        &[
            ("listeners", &listener),
            ("ssl.keystore.location", &jks.display().to_string()),
            ("ssl.keystore.password", "changeit"),
        ],
        &[],
    );
    assert!(
        log.contains("ssl.keystore.type=JKS is not supported") && log.contains("convert it to PEM"),
        "no clear JKS error:\n{log}"
    );
}

/// `listeners.https.ssl.client.auth` (Kafka's mutual TLS for the REST API): with `required`, only a client whose
/// certificate the REST trust store vouches for gets an answer; with `requested`, a client without a certificate gets
/// in too, but one with an untrusted certificate does not.
#[test]
fn client_certificates_are_checked_against_the_rest_truststore() {
    let (_server_dir, keystore, server_cert) = self_signed();
    let (trusted_dir, trusted, trusted_cert) = self_signed_for("clientAuth");
    let (_other_dir, untrusted, _) = self_signed_for("clientAuth");
    let trusted_pem = std::fs::read(&trusted).unwrap();
    let untrusted_pem = std::fs::read(&untrusted).unwrap();
    let truststore = trusted_dir.path().join("truststore.pem");
    std::fs::write(&truststore, &trusted_cert).unwrap();

    for mode in ["required", "requested"] {
        let listener = format!("https://127.0.0.1:{}", free_port());
        let (keystore, truststore) = (
            keystore.display().to_string(),
            truststore.display().to_string(),
        );
        let worker = Worker::start_standalone_secured(
            &[
                ("listeners", &listener),
                ("listeners.https.ssl.keystore.type", "PEM"),
                ("listeners.https.ssl.keystore.location", &keystore),
                ("listeners.https.ssl.truststore.type", "PEM"),
                ("listeners.https.ssl.truststore.location", &truststore),
                ("listeners.https.ssl.client.auth", mode),
            ],
            Security {
                root_cert_pem: Some(server_cert.clone()),
                client_cert_pem: Some(trusted_pem.clone()),
                ..Security::default()
            },
        );
        let response = worker.rest().get("/connectors");
        assert_eq!(response.status, 200, "{mode}, trusted client: {response}");

        let stranger = Rest::with_tls(&worker.url(), Some(&server_cert), Some(&untrusted_pem));
        let answer = stranger.try_get("/connectors", Duration::from_secs(5));
        assert!(
            answer.is_err(),
            "{mode}: a client with an untrusted certificate got an answer: {answer:?}"
        );

        let anonymous = Rest::with_tls(&worker.url(), Some(&server_cert), None);
        let answer = anonymous.try_get("/connectors", Duration::from_secs(5));
        match mode {
            "required" => assert!(
                answer.is_err(),
                "required: a client without a certificate got an answer: {answer:?}"
            ),
            _ => assert_eq!(
                answer
                    .expect("requested: a client without a certificate is let in")
                    .status,
                200
            ),
        }
    }
}
