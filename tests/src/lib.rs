//! End-to-end test harness: test broker, worker processes, a small Connect REST client, file and topic helpers.

// Every helper panics with context on failure (these are test helpers), so tests read as a list of steps.
// Run: `cargo build --release --workspace && cargo test -p connect-tests -- --nocapture`.

pub mod broker;
pub mod files;
pub mod postgres;
pub mod rest;
pub mod tls;
pub mod util;
pub mod worker;

pub use broker::{
    client_config, consume_all, consume_each, consume_n, consume_until, count_records,
    create_topic, ensure_broker, partition_count, produce, read_span, read_time_after_warmup,
    topic_config, try_create_topic, Record,
};
pub use files::{
    append_lines, count_complete_lines, numbered_lines, read_complete_lines, write_lines,
    write_properties,
};
pub use postgres::{pg_command, pg_port, postgres_source_props, psql, psql_file, PG_BIN};
pub use rest::{Response, Rest};
pub use tls::TlsFront;
pub use util::{
    free_port, service_script, services_home, services_up, tail_file, test_python, unique_name,
    wait_until, workspace_root,
};
pub use worker::{
    plugin_dir, plugin_library, target_dir, test_plugin_library, worker_binary, Cluster, Security,
    Worker,
};
