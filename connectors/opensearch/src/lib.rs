//! The OpenSearch sink connector (`io.aiven.kafka.connect.opensearch.OpensearchSinkConnector`, Aiven's config keys
//! and defaults), exported as a plugin library. It runs its own tokio runtime: a runtime cannot be shared across
//! the plugin boundary.
//!
//! Layout: `config` (ConfigDef and typed config), `request_builder` (index names, ids, bulk lines), `encoder`
//! (Connect values to JSON), `mapping` (index mappings from schemas), `service` (the `opensearch` client, `_bulk`
//! with retries, per-item outcomes), `task` (batching, in-flight requests, error behaviours, commits).

/// A plugin library allocates with its own allocator (memory never crosses the ABI); mimalloc, as in the worker,
/// instead of glibc's for the many small values a batch decodes into.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

pub mod config;
pub mod connector;
pub mod encoder;
pub mod mapping;
pub mod request_builder;
pub mod service;
pub mod task;

use connect_api::abi::guest::PluginDef;

pub use connector::OpensearchSinkConnector;
pub use task::OpensearchSinkTask;

/// The plugin version the connector and its tasks report.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Warnings go to stderr, which the worker keeps in its log (a plugin library has no access to the worker's
/// `tracing` subscriber).
#[macro_export]
#[doc(hidden)]
macro_rules! log_warn {
    ($($arg:tt)*) => {
        eprintln!("WARN OpensearchSinkTask: {}", format_args!($($arg)*))
    };
}

pub fn plugins() -> Vec<PluginDef> {
    vec![
        PluginDef::sink::<OpensearchSinkConnector, OpensearchSinkTask>(
            connector::CLASS_NAME,
            connector::ALIASES,
            VERSION,
            config::config_def(),
        ),
    ]
}

connect_api::export_plugins!(plugins);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exports_the_aiven_class_name() {
        assert_eq!(plugins().len(), 1);
        assert_eq!(
            connector::CLASS_NAME,
            "io.aiven.kafka.connect.opensearch.OpensearchSinkConnector"
        );
        assert_eq!(connector::ALIASES[0], "OpensearchSinkConnector");
    }
}
