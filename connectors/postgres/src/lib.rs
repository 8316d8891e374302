//! Debezium-compatible PostgreSQL CDC source connector (`io.debezium.connector.postgresql.PostgresConnector`):
//! logical replication with pgoutput over the streaming replication protocol, Debezium's change-event format and
//! offsets, exported as a plugin library.

/// Decoding and snapshot rows allocate many small values; mimalloc made the snapshot markedly faster than glibc's
/// allocator did (figures in issue 7's note).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

pub mod config;
pub mod connector;
pub mod event;
pub mod pgoutput;
pub mod replication;
pub mod stream;
pub mod task;
pub mod types;

use connect_api::abi::guest::PluginDef;

pub use connector::PostgresConnector;
pub use task::PostgresConnectorTask;

pub const VERSION: &str = env!("CARGO_PKG_VERSION");
pub const CLASS_NAME: &str = "io.debezium.connector.postgresql.PostgresConnector";
pub const ALIASES: &[&str] = &["PostgresConnector"];

/// The plugins this library exports.
pub fn plugins() -> Vec<PluginDef> {
    vec![
        PluginDef::source::<PostgresConnector, PostgresConnectorTask>(
            CLASS_NAME,
            ALIASES,
            VERSION,
            config::config_def(),
        ),
    ]
}

connect_api::export_plugins!(plugins);
