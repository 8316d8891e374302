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
pub use offsets_topic::{ConnectorOffsetTopics, KafkaOffsetStore};

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

/// A source connector's offsets on its own topic layered over the worker's (Kafka's `ConnectorOffsetBackingStore`):
/// reads prefer the connector's topic and fall back to the worker's; removals go to the worker's topic first, so that
/// a reset partition does not reappear from it; writes go to the connector's topic, then are copied to the worker's
/// (a failed copy is only logged, as in Kafka).
pub struct LayeredOffsetStore {
    pub connector: std::sync::Arc<dyn OffsetStore>,
    pub worker: std::sync::Arc<dyn OffsetStore>,
}

/// The secondary write of offsets already committed to a connector's own topic: copied to the worker's topic for
/// tools that read only that one; a failure is logged and changes nothing for the connector.
pub fn copy_to_worker_store(
    worker: &dyn OffsetStore,
    connector: &str,
    offsets: Vec<(OffsetMap, Option<OffsetMap>)>,
) {
    if offsets.is_empty() {
        return;
    }
    if let Err(e) = worker.set(connector, offsets) {
        tracing::warn!("Failed to copy offsets of {connector} to the worker's offsets topic: {e}");
    }
}

impl OffsetStore for LayeredOffsetStore {
    fn get(&self, connector: &str, partition: &OffsetMap) -> Option<OffsetMap> {
        self.connector
            .get(connector, partition)
            .or_else(|| self.worker.get(connector, partition))
    }

    fn set(
        &self,
        connector: &str,
        offsets: Vec<(OffsetMap, Option<OffsetMap>)>,
    ) -> std::io::Result<()> {
        let removals: Vec<_> = offsets
            .iter()
            .filter(|(_, offset)| offset.is_none())
            .cloned()
            .collect();
        if !removals.is_empty() {
            self.worker.set(connector, removals)?;
        }
        let regular: Vec<_> = offsets
            .iter()
            .filter(|(_, offset)| offset.is_some())
            .cloned()
            .collect();
        self.connector.set(connector, offsets)?;
        copy_to_worker_store(self.worker.as_ref(), connector, regular);
        Ok(())
    }

    fn connector_offsets(&self, connector: &str) -> Vec<(OffsetMap, OffsetMap)> {
        let merged: std::collections::BTreeMap<String, (OffsetMap, OffsetMap)> = self
            .worker
            .connector_offsets(connector)
            .into_iter()
            .chain(self.connector.connector_offsets(connector))
            .map(|(partition, offset)| (offset_key(connector, &partition), (partition, offset)))
            .collect();
        merged.into_values().collect()
    }
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use serde_json::json;

    use super::*;

    fn file_store(name: &str) -> Arc<dyn OffsetStore> {
        let path = std::env::temp_dir().join(format!(
            "connect-layered-offsets-{}-{name}",
            std::process::id()
        ));
        let _ = std::fs::remove_file(&path);
        Arc::new(FileOffsetStore::open(path).expect("offsets file"))
    }

    fn map(v: Json) -> OffsetMap {
        v.as_object().cloned().expect("an object")
    }

    #[test]
    fn layered_store_reads_through_writes_its_own_then_the_workers_and_removes_from_both() {
        let (worker, own) = (file_store("worker"), file_store("own"));
        let (a, b) = (map(json!({"f": "a"})), map(json!({"f": "b"})));
        worker
            .set(
                "c",
                vec![
                    (a.clone(), Some(map(json!({"pos": 1})))),
                    (b.clone(), Some(map(json!({"pos": 2})))),
                ],
            )
            .unwrap();
        let layered = LayeredOffsetStore {
            connector: own.clone(),
            worker: worker.clone(),
        };
        assert_eq!(layered.get("c", &a), Some(map(json!({"pos": 1}))));
        layered
            .set("c", vec![(a.clone(), Some(map(json!({"pos": 5}))))])
            .unwrap();
        assert_eq!(layered.get("c", &a), Some(map(json!({"pos": 5}))));
        assert_eq!(own.get("c", &a), Some(map(json!({"pos": 5}))));
        // Copied to the worker's store after the connector's own, as Kafka's secondary write.
        assert_eq!(worker.get("c", &a), Some(map(json!({"pos": 5}))));
        let mut listed = layered.connector_offsets("c");
        listed.sort_by_key(|(p, _)| p["f"].to_string());
        assert_eq!(
            listed,
            vec![
                (a.clone(), map(json!({"pos": 5}))),
                (b.clone(), map(json!({"pos": 2})))
            ]
        );
        layered.set("c", vec![(b.clone(), None)]).unwrap();
        assert_eq!(layered.get("c", &b), None);
        assert_eq!(worker.get("c", &b), None);
    }
}
