//! FileStreamSource and FileStreamSink, Kafka's `connect/file` example connectors, exported as one plugin library.

/// A plugin library allocates with its own allocator (memory never crosses the ABI); mimalloc, as in the worker,
/// instead of glibc's for the many small values a batch decodes into.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

pub mod sink;
pub mod source;

use connect_api::abi::guest::PluginDef;

pub use sink::task::FileStreamSinkTask;
pub use sink::FileStreamSinkConnector;
pub use source::task::FileStreamSourceTask;
pub use source::FileStreamSourceConnector;

/// The plugin version every connector and task of this library reports.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The plugins this library exports, with Kafka's class names and the aliases Kafka derives from them.
pub fn plugins() -> Vec<PluginDef> {
    vec![
        PluginDef::source::<FileStreamSourceConnector, FileStreamSourceTask>(
            source::CLASS_NAME,
            source::ALIASES,
            VERSION,
            source::config::config_def(),
        ),
        PluginDef::sink::<FileStreamSinkConnector, FileStreamSinkTask>(
            sink::CLASS_NAME,
            sink::ALIASES,
            VERSION,
            sink::config::config_def(),
        ),
    ]
}

connect_api::export_plugins!(plugins);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exports_both_connectors_with_kafka_names() {
        let plugins = plugins();
        assert_eq!(plugins.len(), 2);
        assert_eq!(
            source::CLASS_NAME,
            "org.apache.kafka.connect.file.FileStreamSourceConnector"
        );
        assert_eq!(
            sink::CLASS_NAME,
            "org.apache.kafka.connect.file.FileStreamSinkConnector"
        );
        assert_eq!(
            source::ALIASES,
            ["FileStreamSource", "FileStreamSourceConnector"]
        );
        assert_eq!(sink::ALIASES, ["FileStreamSink", "FileStreamSinkConnector"]);
    }
}
