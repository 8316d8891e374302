//! PostgreSQL CDC end to end: the `connect-postgres` plugin in a real `connect standalone` worker against the
//! PostgreSQL 15 and broker started by `tests/scripts/services.sh up broker postgres`, events read back from Kafka
//! and compared with Debezium's documented shape.
//!
//! Build first: `CARGO_TARGET_DIR=... cargo build --release -p connect-worker -p connect-postgres -p connect-file`,
//! then `cargo test -p connect-tests --test postgres_cdc -- --nocapture`. Each test uses its own database, slot,
//! publication and topic prefix, so they run in parallel.

use std::fs;
use std::path::PathBuf;
use std::sync::{OnceLock, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};

use connect_tests::{
    consume_all, consume_each, consume_until, create_topic, pg_command, postgres_source_props,
    psql, psql_file, service_script, services_up, target_dir, unique_name, wait_until,
    write_properties, Record, Worker,
};
use serde_json::{json, Value};

/// Starts PostgreSQL (and the broker) once per test binary through the project's service script.
fn ensure_services() {
    static UP: OnceLock<Result<(), String>> = OnceLock::new();
    let r = UP.get_or_init(|| services_up(&["broker", "postgres"]));
    if let Err(e) = r {
        panic!("{e}");
    }
}

/// Held shared by every test of this file while it uses the server, and exclusively by the one test that restarts
/// it (a restart waits for every replication client and would break the others' sessions).
static SERVER: RwLock<()> = RwLock::new(());

/// Unique, SQL-safe names for one test: database, slot, publication and topic prefix; holds the shared server lock.
struct Names {
    db: String,
    prefix: String,
    connector: String,
    _server: Option<RwLockReadGuard<'static, ()>>,
}

impl Names {
    fn new(tag: &str) -> Names {
        let shared = SERVER.read().unwrap_or_else(|p| p.into_inner());
        Names::create(tag, Some(shared))
    }
    /// For the test that holds the server exclusively (see [`SERVER`]).
    fn exclusive(tag: &str, _alone: &RwLockWriteGuard<'static, ()>) -> Names {
        Names::create(tag, None)
    }
    fn create(tag: &str, server: Option<RwLockReadGuard<'static, ()>>) -> Names {
        let base = unique_name(tag).replace('-', "_").to_lowercase();
        psql("postgres", &format!("CREATE DATABASE {base}"));
        Names {
            prefix: format!("{base}_srv"),
            connector: format!("{base}-connector"),
            db: base,
            _server: server,
        }
    }
    fn topic(&self, table: &str) -> String {
        format!("{}.public.{table}", self.prefix)
    }
}

/// A plugin dir with the PostgreSQL plugin from the release target dir.
fn plugin_path() -> PathBuf {
    let lib = target_dir().join("release/libconnect_postgres.so");
    assert!(
        lib.is_file(),
        "{} missing: build with cargo build --release -p connect-postgres",
        lib.display()
    );
    let dir = std::env::temp_dir().join(unique_name("pg-plugins"));
    fs::create_dir_all(&dir).expect("plugin dir");
    fs::copy(&lib, dir.join("libconnect_postgres.so")).expect("copying the plugin");
    dir
}

/// Starts a worker with JsonConverter and one PostgresConnector.
fn start_worker(names: &Names, schemas: bool, extra: &[(&str, &str)]) -> (Worker, PathBuf) {
    let plugins = plugin_path();
    let conf_dir = std::env::temp_dir().join(unique_name("pg-conf"));
    fs::create_dir_all(&conf_dir).expect("conf dir");
    let file = conf_dir.join("connector.properties");
    let source = postgres_source_props(&names.connector, &names.db, &names.prefix);
    let mut props: Vec<(&str, &str)> = source.iter().map(|(k, v)| (*k, v.as_str())).collect();
    props.extend_from_slice(extra);
    write_properties(&file, &props);
    let enable = if schemas { "true" } else { "false" };
    let plugin_path = plugins.display().to_string();
    let worker = Worker::start_standalone(
        &[
            ("plugin.path", &plugin_path),
            (
                "key.converter",
                "org.apache.kafka.connect.json.JsonConverter",
            ),
            (
                "value.converter",
                "org.apache.kafka.connect.json.JsonConverter",
            ),
            ("key.converter.schemas.enable", enable),
            ("value.converter.schemas.enable", enable),
            ("offset.flush.interval.ms", "500"),
        ],
        std::slice::from_ref(&file),
    );
    (worker, file)
}

fn parse(bytes: &Option<Vec<u8>>) -> Value {
    match bytes {
        Some(b) => serde_json::from_slice(b).expect("JSON record"),
        None => Value::Null,
    }
}

/// Replaces what changes from run to run (times, LSNs, xids, version) with markers, after checking its type.
fn normalize(mut v: Value) -> Value {
    if let Some(obj) = v.as_object_mut() {
        for k in ["ts_ms", "ts_us", "ts_ns"] {
            if let Some(x) = obj.get_mut(k) {
                assert!(x.is_i64(), "{k} is {x}");
                *x = json!("T");
            }
        }
        if let Some(src) = obj.get_mut("source").and_then(Value::as_object_mut) {
            for k in ["ts_ms", "ts_us", "ts_ns", "txId", "lsn"] {
                let x = src.get_mut(k).expect("source field");
                assert!(x.is_i64(), "source.{k} is {x}");
                *x = json!("N");
            }
            let seq = src.get_mut("sequence").expect("sequence");
            if let Some(s) = seq.as_str() {
                let parsed: Value = serde_json::from_str(s).expect("sequence is a JSON array");
                assert_eq!(parsed.as_array().map(Vec::len), Some(2), "{s}");
                *seq = json!("S");
            }
            src.insert("version".into(), json!("V"));
        }
    }
    v
}

fn source(names: &Names, table: &str, snapshot: &str, sequence: bool) -> Value {
    json!({"version": "V", "connector": "postgresql", "name": names.prefix, "ts_ms": "N", "snapshot": snapshot,
        "db": names.db, "sequence": if sequence { json!("S") } else { Value::Null }, "ts_us": "N", "ts_ns": "N",
        "schema": "public", "table": table, "txId": "N", "lsn": "N", "xmin": null})
}

fn envelope(before: Value, after: Value, source: Value, op: &str) -> Value {
    json!({"before": before, "after": after, "source": source, "transaction": null, "op": op,
        "ts_ms": "T", "ts_us": "T", "ts_ns": "T"})
}

fn dump(worker: &Worker) -> String {
    worker.log_tail(80)
}

#[test]
fn snapshot_then_streaming_emits_debezium_events() {
    ensure_services();
    let names = Names::new("pgcdc");
    psql(
        &names.db,
        "CREATE TABLE customers (id serial PRIMARY KEY, email text NOT NULL, balance numeric(10,2), \
         joined date, flag boolean, data jsonb, seen timestamptz, uid uuid, raw bytea, big bigint, price float8, \
         at timestamp);
         CREATE TABLE orders (id int PRIMARY KEY, customer_id int, note varchar(20));
         ALTER TABLE orders REPLICA IDENTITY FULL;
         INSERT INTO customers (email, balance, joined, flag, data, seen, uid, raw, big, price, at) VALUES
           ('a@x', 12.50, '2024-01-02', true, '{\"k\": 1}', '2024-01-02 03:04:05.5+00',
            'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '\\x0102', 9000000000, 1.5, '2024-01-02 03:04:05.123456'),
           ('b@x', -2.50, NULL, false, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
         INSERT INTO orders VALUES (10, 1, 'first');",
    );
    let customers = names.topic("customers");
    let orders = names.topic("orders");
    create_topic(&customers, 1);
    create_topic(&orders, 1);
    let (worker, _) = start_worker(&names, false, &[]);

    let got = consume_until(&orders, Duration::from_secs(60), |r| !r.is_empty());
    assert_eq!(got.len(), 1, "snapshot of orders: {}", dump(&worker));
    let snap = consume_until(&customers, Duration::from_secs(30), |r| r.len() >= 2);
    assert_eq!(snap.len(), 2, "snapshot of customers: {}", dump(&worker));

    let row1 = json!({"id": 1, "email": "a@x", "balance": "BOI=", "joined": 19724, "flag": true,
        "data": "{\"k\": 1}", "seen": "2024-01-02T03:04:05.5Z", "uid": "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
        "raw": "AQI=", "big": 9000000000i64, "price": 1.5, "at": 1704164645123456i64});
    let row2 = json!({"id": 2, "email": "b@x", "balance": "/wY=", "joined": null, "flag": false, "data": null,
        "seen": null, "uid": null, "raw": null, "big": null, "price": null, "at": null});
    // Tables are read in name order: customers first, orders last.
    assert_eq!(parse(&snap[0].key), json!({"id": 1}));
    assert_eq!(
        normalize(parse(&snap[0].value)),
        envelope(
            Value::Null,
            row1.clone(),
            source(&names, "customers", "first", false),
            "r"
        )
    );
    assert_eq!(
        normalize(parse(&snap[1].value)),
        envelope(
            Value::Null,
            row2.clone(),
            source(&names, "customers", "last_in_data_collection", false),
            "r"
        )
    );
    let order_r = json!({"id": 10, "customer_id": 1, "note": "first"});
    assert_eq!(
        normalize(parse(&got[0].value)),
        envelope(
            Value::Null,
            order_r.clone(),
            source(&names, "orders", "last", false),
            "r"
        )
    );

    psql(
        &names.db,
        "INSERT INTO customers (email, balance, flag) VALUES ('c@x', 999.99, true);
         UPDATE customers SET email = 'a2@x' WHERE id = 1;
         DELETE FROM customers WHERE id = 2;
         UPDATE orders SET note = 'second' WHERE id = 10;
         DELETE FROM orders WHERE id = 10;",
    );
    let all = consume_until(&customers, Duration::from_secs(60), |r| r.len() >= 6);
    assert_eq!(all.len(), 6, "customers events: {}", dump(&worker));
    let row3 = json!({"id": 3, "email": "c@x", "balance": "AYaf", "joined": null, "flag": true, "data": null,
        "seen": null, "uid": null, "raw": null, "big": null, "price": null, "at": null});
    assert_eq!(parse(&all[2].key), json!({"id": 3}));
    assert_eq!(
        normalize(parse(&all[2].value)),
        envelope(
            Value::Null,
            row3,
            source(&names, "customers", "false", true),
            "c"
        )
    );
    let mut row1b = row1.clone();
    row1b["email"] = json!("a2@x");
    // REPLICA IDENTITY DEFAULT and an unchanged key: no `before`.
    assert_eq!(
        normalize(parse(&all[3].value)),
        envelope(
            Value::Null,
            row1b,
            source(&names, "customers", "false", true),
            "u"
        )
    );
    // DEFAULT: `before` of a delete holds only the key columns.
    // (NOT NULL columns the server did not send carry Debezium's fallback value, here "" for `email`.)
    let key_only = json!({"id": 2, "email": "", "balance": null, "joined": null, "flag": null, "data": null,
        "seen": null, "uid": null, "raw": null, "big": null, "price": null, "at": null});
    assert_eq!(parse(&all[4].key), json!({"id": 2}));
    assert_eq!(
        normalize(parse(&all[4].value)),
        envelope(
            key_only,
            Value::Null,
            source(&names, "customers", "false", true),
            "d"
        )
    );
    assert_eq!(parse(&all[5].key), json!({"id": 2}));
    assert!(all[5].value.is_none(), "tombstone after delete");

    let all = consume_until(&orders, Duration::from_secs(30), |r| r.len() >= 4);
    assert_eq!(all.len(), 4, "orders events: {}", dump(&worker));
    let order_u = json!({"id": 10, "customer_id": 1, "note": "second"});
    // REPLICA IDENTITY FULL: whole `before`.
    assert_eq!(
        normalize(parse(&all[1].value)),
        envelope(
            order_r,
            order_u.clone(),
            source(&names, "orders", "false", true),
            "u"
        )
    );
    assert_eq!(
        normalize(parse(&all[2].value)),
        envelope(
            order_u,
            Value::Null,
            source(&names, "orders", "false", true),
            "d"
        )
    );
    assert!(all[3].value.is_none());
}

#[test]
fn schemas_enabled_carry_debezium_schema_names() {
    ensure_services();
    let names = Names::new("pgschema");
    psql(&names.db, "CREATE TABLE items (id bigint PRIMARY KEY, price numeric(8,3), body text); INSERT INTO items VALUES (1, 1.5, 'x');");
    let topic = names.topic("items");
    create_topic(&topic, 1);
    let (worker, _) = start_worker(&names, true, &[]);
    let got = consume_until(&topic, Duration::from_secs(60), |r| !r.is_empty());
    assert_eq!(got.len(), 1, "{}", dump(&worker));
    let key = parse(&got[0].key);
    assert_eq!(
        key,
        json!({"schema": {"type": "struct", "fields": [{"type": "int64", "optional": false, "field": "id"}],
            "optional": false, "name": format!("{}.public.items.Key", names.prefix)}, "payload": {"id": 1}})
    );
    let value = parse(&got[0].value);
    let schema = &value["schema"];
    assert_eq!(
        schema["name"],
        json!(format!("{}.public.items.Envelope", names.prefix))
    );
    assert_eq!(schema["version"], json!(2));
    let fields: Vec<&str> = schema["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        [
            "before",
            "after",
            "source",
            "transaction",
            "op",
            "ts_ms",
            "ts_us",
            "ts_ns"
        ]
    );
    let after = &schema["fields"][1];
    assert_eq!(
        after["name"],
        json!(format!("{}.public.items.Value", names.prefix))
    );
    assert_eq!(
        after["fields"][1],
        json!({"type": "bytes", "optional": true, "name": "org.apache.kafka.connect.data.Decimal", "version": 1,
            "parameters": {"scale": "3", "connect.decimal.precision": "8"}, "field": "price"})
    );
    assert_eq!(
        schema["fields"][2]["name"],
        json!("io.debezium.connector.postgresql.Source")
    );
    assert_eq!(value["payload"]["after"]["body"], json!("x"));
    assert_eq!(value["payload"]["op"], json!("r"));
    assert_eq!(value["payload"]["source"]["snapshot"], json!("last"));
}

/// Kills the worker with SIGKILL while rows are being inserted, restarts it, and checks that every row arrives
/// (duplicates allowed only from the last offset flush window; counted and printed) and that the slot's
/// confirmed flush LSN moved forward after offsets were committed.
#[test]
fn kill9_during_streaming_loses_no_change() {
    ensure_services();
    let names = Names::new("pgkill");
    psql(&names.db, "CREATE TABLE t (id int PRIMARY KEY, v text)");
    let topic = names.topic("t");
    create_topic(&topic, 1);
    let (mut worker, _) = start_worker(&names, false, &[]);
    // The slot exists once the (empty) snapshot is done.
    assert!(
        wait_until(Duration::from_secs(60), || psql(
            "postgres",
            &format!(
                "SELECT count(*) FROM pg_replication_slots WHERE slot_name = '{}' AND active",
                names.db
            )
        ) == "1"),
        "slot not active: {}",
        dump(&worker)
    );
    let insert = |from: usize, to: usize| {
        let stmts: String = (from..=to)
            .map(|i| format!("INSERT INTO t VALUES ({i}, 'row {i}');\n"))
            .collect();
        let file = std::env::temp_dir().join(unique_name("pg-inserts"));
        fs::write(&file, stmts).unwrap();
        let db = names.db.clone();
        std::thread::spawn(move || psql_file(&db, &file))
    };
    let total = 3000;
    insert(1, 1000).join().unwrap();
    let first = consume_until(&topic, Duration::from_secs(60), |r| r.len() >= 1000);
    assert!(first.len() >= 1000, "first 1000 rows: {}", dump(&worker));
    let flushed_before = psql(
        "postgres",
        &format!("SELECT confirmed_flush_lsn - '0/0'::pg_lsn FROM pg_replication_slots WHERE slot_name = '{}'", names.db),
    );
    let writer = insert(1001, 2000);
    std::thread::sleep(Duration::from_millis(700));
    worker.kill9();
    writer.join().unwrap();
    worker.restart();
    insert(2001, total).join().unwrap();
    let started = Instant::now();
    let mut ids = std::collections::HashSet::new();
    let mut scanned = 0;
    consume_until(&topic, Duration::from_secs(120), |r| {
        for rec in &r[scanned..] {
            if let Some(id) = parse(&rec.value)["after"]["id"].as_i64() {
                ids.insert(id);
            }
        }
        scanned = r.len();
        ids.len() == total
    });
    assert_eq!(
        ids.len(),
        total,
        "not every row arrived after kill -9: {}",
        dump(&worker)
    );
    // Everything that is there by now (late duplicates included).
    let records: Vec<Record> = consume_all(&topic, Duration::from_secs(3));
    // Per-key order: each id's first appearance comes in commit (= id) order.
    let mut seen = std::collections::HashSet::new();
    let mut order = Vec::new();
    for r in &records {
        let id = parse(&r.value)["after"]["id"].as_i64().unwrap();
        if seen.insert(id) {
            order.push(id);
        }
    }
    assert!(
        order.windows(2).all(|w| w[0] < w[1]),
        "first appearances out of commit order"
    );
    let duplicates = records.len() - total;
    eprintln!(
        "kill -9 during streaming: {total} rows, {} records, {duplicates} duplicates, complete {:?} after restart",
        records.len(),
        started.elapsed()
    );
    // Duplicates come only from the uncommitted tail before the kill: rows of the batch being written then.
    let mut counts = std::collections::HashMap::new();
    for r in &records {
        *counts
            .entry(parse(&r.value)["after"]["id"].as_i64().unwrap())
            .or_insert(0) += 1;
    }
    let outside: Vec<i64> = counts
        .iter()
        .filter(|(id, n)| **n > 1 && !(1001..=2000).contains(*id))
        .map(|(id, _)| *id)
        .collect();
    assert!(
        outside.is_empty(),
        "duplicates outside the kill window: {outside:?}"
    );
    // One kill replays at most one flush window once: no row is there more than twice.
    assert!(
        counts.values().all(|n| *n <= 2),
        "a row arrived more than twice"
    );
    // The slot's confirmed flush LSN advanced once offsets were committed.
    let slot_sql = format!(
        "SELECT confirmed_flush_lsn - '0/0'::pg_lsn FROM pg_replication_slots WHERE slot_name = '{}'",
        names.db
    );
    let before: f64 = flushed_before.parse().unwrap_or(0.0);
    assert!(
        wait_until(Duration::from_secs(30), || psql("postgres", &slot_sql)
            .parse::<f64>()
            .unwrap_or(0.0)
            > before),
        "confirmed_flush_lsn did not advance"
    );
    worker.stop();
}

#[test]
fn missing_publication_fails_the_task_with_a_fix() {
    ensure_services();
    let names = Names::new("pgnopub");
    psql(&names.db, "CREATE TABLE t (id int PRIMARY KEY)");
    let (worker, _) = start_worker(
        &names,
        false,
        &[("publication.autocreate.mode", "disabled")],
    );
    let rest = worker.rest();
    let mut status = Value::Null;
    let failed = wait_until(Duration::from_secs(30), || {
        let r = rest.get(&format!("/connectors/{}/status", names.connector));
        status = r.body;
        status["tasks"][0]["state"] == json!("FAILED")
    });
    assert!(failed, "task did not fail: {status} {}", dump(&worker));
    let trace = status["tasks"][0]["trace"].as_str().unwrap_or_default();
    assert!(trace.contains("publication.autocreate.mode"), "{trace}");
    assert!(trace.contains(&names.db), "{trace}");
}

/// Streaming throughput for single-row insert transactions, next to `pg_recvlogical` (pgoutput to /dev/null) on
/// the same database and the same WAL. Both slots are created first, then `PG_PERF_ROWS` (default 50,000)
/// single-row transactions are committed, then each reader drains them from its slot and is timed.
/// Run: `cargo test -p connect-tests --test postgres_cdc -- --ignored --nocapture throughput`.
#[test]
#[ignore]
fn throughput_vs_pg_recvlogical() {
    ensure_services();
    let rows: usize = std::env::var("PG_PERF_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50_000);
    let names = Names::new("pgperf");
    let recv_slot = format!("{}_recv", names.db);
    psql(
        &names.db,
        &format!(
            "CREATE TABLE narrow (id int PRIMARY KEY, v int); CREATE PUBLICATION {} FOR ALL TABLES;",
            names.db
        ),
    );
    for slot in [names.db.as_str(), recv_slot.as_str()] {
        psql(
            &names.db,
            &format!("SELECT 1 FROM pg_create_logical_replication_slot('{slot}', 'pgoutput')"),
        );
    }
    let stmts: String = (1..=rows)
        .map(|i| format!("INSERT INTO narrow VALUES ({i}, {i});\n"))
        .collect();
    let file = std::env::temp_dir().join(unique_name("pg-perf"));
    fs::write(&file, stmts).unwrap();
    let t = Instant::now();
    psql_file(&names.db, &file);
    eprintln!(
        "inserted {rows} single-row transactions in {:?}",
        t.elapsed()
    );
    let end_lsn = psql(&names.db, "SELECT pg_current_wal_lsn()");

    let t = Instant::now();
    let st = pg_command("pg_recvlogical", &names.db)
        .args([
            "--slot",
            &recv_slot,
            "--start",
            "--no-loop",
            "-f",
            "/dev/null",
            "-E",
            &end_lsn,
        ])
        .args([
            "-o",
            "proto_version=1",
            "-o",
            &format!("publication_names={}", names.db),
        ])
        .status()
        .unwrap();
    assert!(st.success());
    let recv = t.elapsed();

    let topic = names.topic("narrow");
    create_topic(&topic, 1);
    let t = Instant::now();
    let (worker, _) = start_worker(
        &names,
        false,
        &[
            ("snapshot.mode", "no_data"),
            ("publication.autocreate.mode", "disabled"),
        ],
    );
    let (mut n, mut first) = (0, None);
    let done = consume_each(&topic, Duration::from_secs(300), |_| {
        first.get_or_insert_with(Instant::now);
        n += 1;
        n >= rows
    });
    let ours = t.elapsed();
    assert!(done, "only {n} of {rows} records: {}", dump(&worker));
    // From the first record readable in Kafka to the last: the pipeline's rate without the worker's start.
    let streaming = first.map(|f| f.elapsed()).unwrap_or(ours);
    let rate = |d: Duration| rows as f64 / d.as_secs_f64();
    eprintln!(
        "PERF single-row inserts: pg_recvlogical {:.0} changes/s ({recv:?}); connect-postgres to Kafka {:.0} \
         changes/s first to last record ({streaming:?}), {:.0} changes/s including worker start ({ours:?}); \
         ratio {:.2} ({:.2} including start)",
        rate(recv),
        rate(streaming),
        rate(ours),
        rate(streaming) / rate(recv),
        rate(ours) / rate(recv)
    );
    drop(worker);
    psql(
        "postgres",
        &format!("SELECT pg_drop_replication_slot('{recv_slot}')"),
    );
}

/// The server ends the replication connection (pg_terminate_backend on the walsender): the task reconnects and
/// resumes after the last emitted change, so every row arrives exactly once.
#[test]
fn dropped_replication_connection_reconnects_and_resumes() {
    ensure_services();
    let names = Names::new("pgdrop");
    psql(&names.db, "CREATE TABLE t (id int PRIMARY KEY)");
    let topic = names.topic("t");
    create_topic(&topic, 1);
    let (worker, _) = start_worker(&names, false, &[]);
    let active = format!(
        "SELECT count(*) FROM pg_replication_slots WHERE slot_name = '{}' AND active",
        names.db
    );
    assert!(
        wait_until(Duration::from_secs(60), || psql("postgres", &active) == "1"),
        "slot not active: {}",
        dump(&worker)
    );
    psql(&names.db, "INSERT INTO t SELECT generate_series(1, 100)");
    let got = consume_until(&topic, Duration::from_secs(30), |r| r.len() >= 100);
    assert_eq!(got.len(), 100, "{}", dump(&worker));
    psql(
        "postgres",
        &format!(
            "SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = '{}'",
            names.db
        ),
    );
    psql(&names.db, "INSERT INTO t SELECT generate_series(101, 200)");
    let got = consume_until(&topic, Duration::from_secs(60), |r| r.len() >= 200);
    let ids: Vec<i64> = got
        .iter()
        .filter_map(|r| parse(&r.value)["after"]["id"].as_i64())
        .collect();
    assert_eq!(ids, (1..=200).collect::<Vec<i64>>(), "{}", dump(&worker));
    assert!(worker.log().contains("reconnecting"), "{}", dump(&worker));
}

/// With `heartbeat.interval.ms`, heartbeats go to `__debezium-heartbeat.<prefix>` and an idle slot's confirmed
/// flush LSN follows WAL written elsewhere (another database), so the slot does not pin WAL.
#[test]
fn heartbeats_keep_an_idle_slot_moving() {
    ensure_services();
    let names = Names::new("pghb");
    psql(&names.db, "CREATE TABLE t (id int PRIMARY KEY)");
    let hb_topic = format!("__debezium-heartbeat.{}", names.prefix);
    create_topic(&hb_topic, 1);
    let (worker, _) = start_worker(&names, false, &[("heartbeat.interval.ms", "300")]);
    let got = consume_until(&hb_topic, Duration::from_secs(60), |r| !r.is_empty());
    assert!(!got.is_empty(), "no heartbeat: {}", dump(&worker));
    assert_eq!(parse(&got[0].key), json!({"serverName": names.prefix}));
    assert!(parse(&got[0].value)["ts_ms"].is_i64());
    let slot_sql = format!(
        "SELECT confirmed_flush_lsn - '0/0'::pg_lsn FROM pg_replication_slots WHERE slot_name = '{}'",
        names.db
    );
    let before: f64 = psql("postgres", &slot_sql).parse().unwrap();
    // WAL from other databases: nothing for this slot to emit, only keepalives.
    psql("postgres", "CREATE TABLE IF NOT EXISTS pghb_noise (v int)");
    let moved = wait_until(Duration::from_secs(60), || {
        psql("postgres", "INSERT INTO pghb_noise VALUES (1)");
        psql("postgres", &slot_sql).parse::<f64>().unwrap_or(0.0) > before
    });
    assert!(moved, "idle slot did not advance: {}", dump(&worker));
}

/// kill -9 during the snapshot: the restarted task takes the snapshot again (Debezium's rule: an interrupted
/// snapshot is not resumed), so every row is there, and streaming then continues from the new slot.
#[test]
fn kill9_during_snapshot_snapshots_again() {
    ensure_services();
    let rows = 100_000;
    let names = Names::new("pgsnapkill");
    psql(
        &names.db,
        &format!(
            "CREATE TABLE big (id int PRIMARY KEY, v text); \
             INSERT INTO big SELECT i, 'value ' || i FROM generate_series(1, {rows}) i;"
        ),
    );
    let topic = names.topic("big");
    create_topic(&topic, 1);
    let (mut worker, _) = start_worker(&names, false, &[("snapshot.fetch.size", "1000")]);
    let first = consume_until(&topic, Duration::from_secs(60), |r| r.len() >= 2000);
    assert!(first.len() >= 2000, "{}", dump(&worker));
    worker.kill9();
    let mid_snapshot = first.len() < rows;
    worker.restart();
    let started = Instant::now();
    let mut ids = std::collections::HashSet::new();
    let mut scanned = 0;
    let records = consume_until(&topic, Duration::from_secs(180), |r| {
        for rec in &r[scanned..] {
            if let Some(id) = parse(&rec.value)["after"]["id"].as_i64() {
                ids.insert(id);
            }
        }
        scanned = r.len();
        ids.len() == rows
    });
    assert_eq!(
        ids.len(),
        rows,
        "rows missing after re-snapshot: {}",
        dump(&worker)
    );
    eprintln!(
        "kill -9 during snapshot (mid-snapshot: {mid_snapshot}): {} records for {rows} rows; all rows {:?} after \
         restart ({:.0} rows/s end to end incl. worker start)",
        records.len(),
        started.elapsed(),
        rows as f64 / started.elapsed().as_secs_f64()
    );
    psql(&names.db, "INSERT INTO big VALUES (0, 'streamed')");
    let got = consume_until(&topic, Duration::from_secs(60), |r| {
        r.iter().any(|rec| parse(&rec.value)["op"] == json!("c"))
    });
    assert!(
        got.iter()
            .any(|rec| parse(&rec.value)["after"]["id"] == json!(0)),
        "no streamed insert after the re-snapshot: {}",
        dump(&worker)
    );
}

/// `column.exclude.list` drops a column from `before`/`after` and the value schema, in the snapshot and in
/// streaming; `message.key.columns` gives a table without primary key a key (not filtered by the column list, as
/// in Debezium, so a key column may be absent from the value).
#[test]
fn column_filter_and_message_key_columns() {
    ensure_services();
    let names = Names::new("pgcols");
    psql(
        &names.db,
        "CREATE TABLE people (id int PRIMARY KEY, name text NOT NULL, secret text, email text);
         ALTER TABLE people REPLICA IDENTITY FULL;
         CREATE TABLE events (code text NOT NULL, seq int NOT NULL, note text);
         ALTER TABLE events REPLICA IDENTITY FULL;
         INSERT INTO people VALUES (1, 'ann', 's1', 'a@x');
         INSERT INTO events VALUES ('e1', 1, 'n1');",
    );
    let people = names.topic("people");
    let events = names.topic("events");
    create_topic(&people, 1);
    create_topic(&events, 1);
    let (worker, _) = start_worker(
        &names,
        true,
        &[
            (
                "column.exclude.list",
                "public\\.people\\.secret,public\\.events\\.code",
            ),
            ("message.key.columns", "public\\.events:code,seq"),
        ],
    );
    // Tables are read in name order: events first, people last.
    let snap = consume_until(&people, Duration::from_secs(60), |r| !r.is_empty());
    assert_eq!(snap.len(), 1, "snapshot of people: {}", dump(&worker));
    let field = |t: &str, name: &str, optional: bool| json!({"type": t, "optional": optional, "field": name});
    let people_value = json!({"type": "struct", "fields": [field("int32", "id", false),
        field("string", "name", false), field("string", "email", true)], "optional": true,
        "name": format!("{}.public.people.Value", names.prefix)});
    let snap_value = parse(&snap[0].value);
    let with_field = |mut s: Value, f: &str| {
        s["field"] = json!(f);
        s
    };
    assert_eq!(
        snap_value["schema"]["fields"][0],
        with_field(people_value.clone(), "before")
    );
    assert_eq!(
        snap_value["schema"]["fields"][1],
        with_field(people_value.clone(), "after")
    );
    assert_eq!(parse(&snap[0].key)["payload"], json!({"id": 1}));
    assert_eq!(
        normalize(snap_value["payload"].clone()),
        envelope(
            Value::Null,
            json!({"id": 1, "name": "ann", "email": "a@x"}),
            source(&names, "people", "last", false),
            "r"
        )
    );
    let events_key_schema = json!({"type": "struct", "fields": [field("string", "code", false),
        field("int32", "seq", false)], "optional": false,
        "name": format!("{}.public.events.Key", names.prefix)});
    let got = consume_until(&events, Duration::from_secs(30), |r| !r.is_empty());
    assert_eq!(got.len(), 1, "snapshot of events: {}", dump(&worker));
    assert_eq!(
        parse(&got[0].key),
        json!({"schema": events_key_schema, "payload": {"code": "e1", "seq": 1}})
    );
    assert_eq!(
        normalize(parse(&got[0].value)["payload"].clone()),
        envelope(
            Value::Null,
            json!({"seq": 1, "note": "n1"}),
            source(&names, "events", "first", false),
            "r"
        )
    );

    psql(
        &names.db,
        "INSERT INTO people VALUES (2, 'bob', 's2', 'b@x');
         UPDATE people SET secret = 's3', name = 'ann2' WHERE id = 1;
         INSERT INTO events VALUES ('e2', 2, 'n2');
         DELETE FROM events WHERE code = 'e1';",
    );
    let all = consume_until(&people, Duration::from_secs(60), |r| r.len() >= 3);
    assert_eq!(all.len(), 3, "people events: {}", dump(&worker));
    let upd = parse(&all[2].value);
    // The schema built from the stream's Relation message is the snapshot's.
    assert_eq!(upd["schema"], snap_value["schema"]);
    assert_eq!(
        normalize(parse(&all[1].value)["payload"].clone()),
        envelope(
            Value::Null,
            json!({"id": 2, "name": "bob", "email": "b@x"}),
            source(&names, "people", "false", true),
            "c"
        )
    );
    assert_eq!(
        normalize(upd["payload"].clone()),
        envelope(
            json!({"id": 1, "name": "ann", "email": "a@x"}),
            json!({"id": 1, "name": "ann2", "email": "a@x"}),
            source(&names, "people", "false", true),
            "u"
        )
    );
    let all = consume_until(&events, Duration::from_secs(30), |r| r.len() >= 4);
    assert_eq!(all.len(), 4, "events events: {}", dump(&worker));
    let keys: Vec<Value> = all
        .iter()
        .map(|r| parse(&r.key)["payload"].clone())
        .collect();
    assert_eq!(
        keys,
        [
            json!({"code": "e1", "seq": 1}),
            json!({"code": "e2", "seq": 2}),
            json!({"code": "e1", "seq": 1}),
            json!({"code": "e1", "seq": 1})
        ]
    );
    assert_eq!(parse(&all[1].key)["schema"], events_key_schema);
    assert_eq!(
        normalize(parse(&all[2].value)["payload"].clone()),
        envelope(
            json!({"seq": 1, "note": "n1"}),
            Value::Null,
            source(&names, "events", "false", true),
            "d"
        )
    );
    assert!(all[3].value.is_none(), "tombstone after delete");
}

/// `provide.transaction.metadata`: BEGIN/END on `<prefix>.transaction` with Debezium's schemas, and the
/// `transaction` block (id, total_order, data_collection_order) in each streamed event (snapshot events have
/// none). Also `column.include.list` on one table.
#[test]
fn transaction_metadata_blocks_and_boundaries() {
    ensure_services();
    let names = Names::new("pgtx");
    psql(
        &names.db,
        "CREATE TABLE a (id int PRIMARY KEY, v int); CREATE TABLE b (id int PRIMARY KEY);
         INSERT INTO a VALUES (1, 10);",
    );
    let (ta, tb) = (names.topic("a"), names.topic("b"));
    let tx_topic = format!("{}.transaction", names.prefix);
    for t in [&ta, &tb, &tx_topic] {
        create_topic(t, 1);
    }
    let (worker, _) = start_worker(
        &names,
        true,
        &[
            ("provide.transaction.metadata", "true"),
            ("column.include.list", "public\\.a\\.id,public\\.b\\..*"),
        ],
    );
    let snap = consume_until(&ta, Duration::from_secs(60), |r| !r.is_empty());
    assert_eq!(snap.len(), 1, "snapshot: {}", dump(&worker));
    assert_eq!(
        normalize(parse(&snap[0].value)["payload"].clone()),
        envelope(
            Value::Null,
            json!({"id": 1}),
            source(&names, "a", "last", false),
            "r"
        )
    );
    psql(
        &names.db,
        "BEGIN; INSERT INTO a VALUES (2, 20); INSERT INTO b VALUES (5); UPDATE a SET v = 21 WHERE id = 2; COMMIT;",
    );
    let ev_a = consume_until(&ta, Duration::from_secs(60), |r| r.len() >= 3);
    assert_eq!(ev_a.len(), 3, "events of a: {}", dump(&worker));
    let ev_b = consume_until(&tb, Duration::from_secs(30), |r| !r.is_empty());
    assert_eq!(ev_b.len(), 1, "events of b: {}", dump(&worker));
    let first = parse(&ev_a[1].value)["payload"].clone();
    let tx_id = first["source"]["txId"].as_i64().expect("txId");
    let commit_ms = first["source"]["ts_ms"].as_i64().expect("ts_ms");
    let id = first["transaction"]["id"]
        .as_str()
        .expect("transaction.id")
        .to_string();
    let (xid, lsn) = id.split_once(':').expect("<txId>:<lsn>");
    assert_eq!(xid, tx_id.to_string());
    assert!(lsn.parse::<u64>().is_ok(), "{id}");
    let block = |total: i64, per: i64| json!({"id": id, "total_order": total, "data_collection_order": per});
    let tx_of = |r: &Record| parse(&r.value)["payload"]["transaction"].clone();
    assert_eq!(tx_of(&ev_a[1]), block(1, 1));
    assert_eq!(tx_of(&ev_b[0]), block(2, 1));
    assert_eq!(tx_of(&ev_a[2]), block(3, 2));
    // The schema of the block is Debezium's `event.block`.
    assert_eq!(
        parse(&ev_a[1].value)["schema"]["fields"][3],
        json!({"type": "struct", "fields": [{"type": "string", "optional": false, "field": "id"},
            {"type": "int64", "optional": false, "field": "total_order"},
            {"type": "int64", "optional": false, "field": "data_collection_order"}],
            "optional": true, "name": "event.block", "version": 1, "field": "transaction"})
    );
    assert_eq!(
        normalize(parse(&ev_a[2].value)["payload"].clone())["after"],
        json!({"id": 2})
    );

    let boundaries = consume_until(&tx_topic, Duration::from_secs(30), |r| r.len() >= 2);
    assert_eq!(boundaries.len(), 2, "transaction topic: {}", dump(&worker));
    let key = json!({"schema": {"type": "struct", "fields": [{"type": "string", "optional": false, "field": "id"}],
        "optional": false, "name": "io.debezium.connector.common.TransactionMetadataKey"},
        "payload": {"id": id}});
    let value_schema = json!({"type": "struct", "fields": [
        {"type": "string", "optional": false, "field": "status"},
        {"type": "string", "optional": false, "field": "id"},
        {"type": "int64", "optional": true, "field": "event_count"},
        {"type": "array", "items": {"type": "struct", "fields": [
            {"type": "string", "optional": false, "field": "data_collection"},
            {"type": "int64", "optional": false, "field": "event_count"}], "optional": false},
         "optional": true, "field": "data_collections"},
        {"type": "int64", "optional": false, "field": "ts_ms"}],
        "optional": false, "name": "io.debezium.connector.common.TransactionMetadataValue"});
    assert_eq!(parse(&boundaries[0].key), key);
    assert_eq!(parse(&boundaries[1].key), key);
    assert_eq!(
        parse(&boundaries[0].value),
        json!({"schema": value_schema, "payload": {"status": "BEGIN", "id": id, "event_count": null,
            "data_collections": null, "ts_ms": commit_ms}})
    );
    assert_eq!(
        parse(&boundaries[1].value),
        json!({"schema": value_schema, "payload": {"status": "END", "id": id, "event_count": 3,
            "data_collections": [{"data_collection": "public.a", "event_count": 2},
                                 {"data_collection": "public.b", "event_count": 1}], "ts_ms": commit_ms}})
    );
}

/// p50/p99 latency from COMMIT (the commit time in `source.ts_us`) to the record being readable in Kafka, for
/// single-row transactions committed at `PG_LAT_RATE` (default 5,000) per second for `PG_LAT_SECS` (default 10)
/// seconds. The consumer stamps each record when it reads it (same machine clock as the server).
/// Run: `cargo test --release --workspace --test postgres_cdc -- --ignored --nocapture latency`.
#[test]
#[ignore]
fn latency_commit_to_kafka() {
    ensure_services();
    let env = |k: &str, d: usize| {
        std::env::var(k)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(d)
    };
    let (rate, secs) = (env("PG_LAT_RATE", 5000), env("PG_LAT_SECS", 10));
    let rows = rate * secs;
    let names = Names::new("pglat");
    psql(&names.db, "CREATE TABLE lat (id int PRIMARY KEY, v int)");
    let topic = names.topic("lat");
    create_topic(&topic, 1);
    let (worker, _) = start_worker(&names, false, &[]);
    let active = format!(
        "SELECT count(*) FROM pg_replication_slots WHERE slot_name = '{}' AND active",
        names.db
    );
    assert!(
        wait_until(Duration::from_secs(60), || psql("postgres", &active) == "1"),
        "slot not active: {}",
        dump(&worker)
    );
    // The test server runs with synchronous_commit=off, under which WAL (and so logical decoding) may lag a commit
    // by up to three wal_writer_delay periods (600 ms); the writer uses PostgreSQL's default, on.
    psql(
        &names.db,
        &format!("ALTER DATABASE {} SET synchronous_commit = on", names.db),
    );
    // A first change through the whole path (producer connection and idempotence set-up, topic metadata) before the
    // measured run, so that one-off start-up work is not counted as latency.
    psql(&names.db, "INSERT INTO lat VALUES (0, 0)");
    let warm = consume_until(&topic, Duration::from_secs(60), |r| !r.is_empty());
    assert_eq!(warm.len(), 1, "the warm-up change: {}", dump(&worker));
    // One transaction per row, paced against absolute targets so the average rate holds. The writer starts once the
    // reader below has read the warm-up change, so that the reader's own start-up is not counted either.
    let reading = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let db = names.db.clone();
    let reader_ready = reading.clone();
    let writer = std::thread::spawn(move || {
        while !reader_ready.load(std::sync::atomic::Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(5));
        }
        let t = Instant::now();
        psql(
            &db,
            &format!(
                "DO $$ DECLARE t0 timestamptz := clock_timestamp(); due timestamptz; BEGIN \
                 FOR i IN 1..{rows} LOOP INSERT INTO lat VALUES (i, i); COMMIT; \
                 due := t0 + (i / {rate}.0) * interval '1 second'; \
                 IF clock_timestamp() < due THEN PERFORM pg_sleep(extract(epoch FROM due - clock_timestamp())); \
                 END IF; END LOOP; END $$"
            ),
        );
        t.elapsed()
    });
    let mut lat_us: Vec<i64> = Vec::with_capacity(rows);
    let done = consume_each(&topic, Duration::from_secs(secs as u64 + 120), |r| {
        let seen = now_us();
        let v = parse(&r.value);
        if v["after"]["id"] == 0 {
            reading.store(true, std::sync::atomic::Ordering::SeqCst);
        } else {
            lat_us.push(seen - v["source"]["ts_us"].as_i64().expect("source.ts_us"));
        }
        lat_us.len() >= rows
    });
    let wrote = writer.join().unwrap();
    assert!(
        done,
        "only {} of {rows} records: {}",
        lat_us.len(),
        dump(&worker)
    );
    // Where the slow records fall in the run (seconds from the first record), to tell periodic stalls from noise.
    let slow: Vec<String> = lat_us
        .iter()
        .enumerate()
        .filter(|(_, l)| **l > 100_000)
        .map(|(i, l)| format!("{:.2}s:{}ms", i as f64 / rate as f64, l / 1000))
        .step_by(50)
        .collect();
    eprintln!("slow (>100 ms, every 50th): {slow:?}");
    lat_us.sort_unstable();
    let pct = |p: f64| lat_us[((lat_us.len() - 1) as f64 * p) as usize] as f64 / 1000.0;
    eprintln!(
        "PERF latency COMMIT -> readable in Kafka: {rows} single-row transactions at {:.0}/s achieved (target \
         {rate}/s): p50 {:.1} ms, p90 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        rows as f64 / wrote.as_secs_f64(),
        pct(0.5),
        pct(0.9),
        pct(0.95),
        pct(0.99),
        pct(1.0)
    );
}

fn now_us() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros() as i64)
        .unwrap_or(0)
}

/// Snapshot rows/s for a `PG_SNAP_ROWS` (default 1,000,000) row table, from the first snapshot record readable in
/// Kafka to the last (and including the worker's start).
/// Run: `cargo test --release --workspace --test postgres_cdc -- --ignored --nocapture snapshot_rate`.
#[test]
#[ignore]
fn snapshot_rate_one_million_rows() {
    ensure_services();
    let rows: usize = std::env::var("PG_SNAP_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let names = Names::new("pgsnaprate");
    psql(
        &names.db,
        &format!(
            "CREATE TABLE big (id int PRIMARY KEY, v text, n bigint); \
             INSERT INTO big SELECT i, 'value ' || i, i * 7 FROM generate_series(1, {rows}) i;"
        ),
    );
    let topic = names.topic("big");
    create_topic(&topic, 1);
    let t = Instant::now();
    let (worker, _) = start_worker(&names, false, &[]);
    let (mut n, mut first) = (0, None);
    let done = consume_each(&topic, Duration::from_secs(900), |_| {
        first.get_or_insert_with(Instant::now);
        n += 1;
        n >= rows
    });
    let total = t.elapsed();
    assert!(done, "only {n} of {rows} rows: {}", dump(&worker));
    let snap = first.map(|f| f.elapsed()).unwrap_or(total);
    eprintln!(
        "PERF snapshot of {rows} rows: {:.0} rows/s first to last record ({snap:?}), {:.0} rows/s including worker \
         start ({total:?})",
        rows as f64 / snap.as_secs_f64(),
        rows as f64 / total.as_secs_f64()
    );
}

/// PostgreSQL restarts (through the project's script: a fast shutdown, which waits for replication clients to
/// confirm all WAL, then an immediate one) mid-stream: the task reconnects and resumes after the last emitted
/// change, so every row arrives exactly once and in commit order. Other tests using the same server would see the
/// restart, so this test holds the server alone.
#[test]
fn postgres_restart_mid_stream_resumes() {
    ensure_services();
    let alone = SERVER.write().unwrap_or_else(|p| p.into_inner());
    let names = Names::exclusive("pgrestart", &alone);
    psql(&names.db, "CREATE TABLE t (id int PRIMARY KEY)");
    let topic = names.topic("t");
    create_topic(&topic, 1);
    let (worker, _) = start_worker(&names, false, &[]);
    let active = format!(
        "SELECT count(*) FROM pg_replication_slots WHERE slot_name = '{}' AND active",
        names.db
    );
    assert!(
        wait_until(Duration::from_secs(60), || psql("postgres", &active) == "1"),
        "slot not active: {}",
        dump(&worker)
    );
    psql(&names.db, "INSERT INTO t SELECT generate_series(1, 100)");
    let got = consume_until(&topic, Duration::from_secs(30), |r| r.len() >= 100);
    assert_eq!(got.len(), 100, "{}", dump(&worker));
    service_script("postgres.sh", &["restart"]).unwrap_or_else(|e| panic!("{e}"));
    psql(&names.db, "INSERT INTO t SELECT generate_series(101, 200)");
    let got = consume_until(&topic, Duration::from_secs(90), |r| r.len() >= 200);
    let ids: Vec<i64> = got
        .iter()
        .filter_map(|r| parse(&r.value)["after"]["id"].as_i64())
        .collect();
    assert_eq!(ids, (1..=200).collect::<Vec<i64>>(), "{}", dump(&worker));
    assert!(worker.log().contains("reconnecting"), "{}", dump(&worker));
}

/// WAL retained by the slot falls once offsets are committed: the slot's restart_lsn (the oldest WAL it keeps)
/// moves past the WAL of rows the connector delivered. Heartbeats carry the position between transactions.
#[test]
fn slot_releases_wal_after_offsets_commit() {
    ensure_services();
    let names = Names::new("pgwal");
    psql(&names.db, "CREATE TABLE t (id int PRIMARY KEY, v text)");
    let topic = names.topic("t");
    create_topic(&topic, 1);
    let (worker, _) = start_worker(&names, false, &[("heartbeat.interval.ms", "200")]);
    let slot = |col: &str| {
        psql(
            "postgres",
            &format!(
                "SELECT {col} - '0/0'::pg_lsn FROM pg_replication_slots WHERE slot_name = '{}' AND active",
                names.db
            ),
        )
        .parse::<f64>()
        .ok()
    };
    assert!(
        wait_until(Duration::from_secs(60), || slot("restart_lsn").is_some()),
        "slot not active: {}",
        dump(&worker)
    );
    psql(
        &names.db,
        "INSERT INTO t SELECT i, repeat('x', 200) FROM generate_series(1, 20000) i",
    );
    let written: f64 = psql("postgres", "SELECT pg_current_wal_lsn() - '0/0'::pg_lsn")
        .parse()
        .unwrap();
    let restart_at_insert = slot("restart_lsn").expect("restart_lsn");
    let got = consume_until(&topic, Duration::from_secs(60), |r| r.len() >= 20000);
    assert_eq!(got.len(), 20000, "{}", dump(&worker));
    // The flush position confirmed to the server passes the rows once their offsets are committed; restart_lsn
    // (the oldest WAL the slot keeps) follows at the next running-transactions record decoded after it, which a
    // checkpoint writes (transactions of other databases still running may hold it back, not past its start).
    let released = wait_until(Duration::from_secs(90), || {
        psql("postgres", "CHECKPOINT");
        std::thread::sleep(Duration::from_millis(500));
        slot("confirmed_flush_lsn").unwrap_or(0.0) >= written
            && slot("restart_lsn").unwrap_or(0.0) > restart_at_insert
    });
    let at_insert = written - restart_at_insert;
    assert!(
        released,
        "slot did not release WAL: confirmed_flush_lsn {:?}, restart_lsn {:?}, written {written}, restart_lsn at \
         insert {restart_at_insert}: {}",
        slot("confirmed_flush_lsn"),
        slot("restart_lsn"),
        dump(&worker)
    );
    let now_retained = written - slot("restart_lsn").unwrap_or(0.0);
    eprintln!(
        "WAL retained by the slot behind the rows' end: {at_insert} bytes at the insert, {now_retained} after \
         offsets commit"
    );
}
