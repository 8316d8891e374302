//! Where the worker keeps source offsets: the `OffsetStore` contract and its implementations.

pub mod active_topics;
pub mod config_topic;
pub mod kafka_log;
mod offsets_file;
mod offsets_topic;
pub mod status_store;
pub mod status_topic;

use connect_api::OffsetMap;
use serde_json::Value as Json;

pub use offsets_file::FileOffsetStore;
pub use offsets_topic::KafkaOffsetStore;

/// Committed source offsets, per connector and source partition.
pub trait OffsetStore: Send + Sync {
    fn get(&self, connector: &str, partition: &OffsetMap) -> Option<OffsetMap>;
    /// Writes offsets durably before returning; a `None` offset removes the partition.
    fn set(
        &self,
        connector: &str,
        offsets: Vec<(OffsetMap, Option<OffsetMap>)>,
    ) -> std::io::Result<()>;
    /// Every committed (partition, offset) of `connector` (KIP-875 `GET /connectors/{name}/offsets`).
    fn connector_offsets(&self, connector: &str) -> Vec<(OffsetMap, OffsetMap)>;
}

/// The connector and partition of an offsets key written by [`offset_key`] (or by Java), if it has that shape.
pub fn parse_offset_key(key: &str) -> Option<(String, OffsetMap)> {
    match serde_json::from_str::<Json>(key).ok()? {
        Json::Array(mut pair) if pair.len() == 2 => match (pair.pop(), pair.pop()) {
            (Some(Json::Object(partition)), Some(Json::String(connector))) => {
                Some((connector, partition))
            }
            _ => None,
        },
        _ => None,
    }
}

/// The offsets-topic key Kafka uses, `["<connector>",{partition}]`, with partition keys sorted so that equal maps
/// give equal keys whatever their insertion order.
pub fn offset_key(connector: &str, partition: &OffsetMap) -> String {
    let sorted: std::collections::BTreeMap<&String, &Json> = partition.iter().collect();
    serde_json::to_string(&(connector, sorted)).unwrap_or_default()
}
