//! Distributed mode's source offsets on `offset.storage.topic` (Kafka's `KafkaOffsetBackingStore`): key
//! `["<connector>",{partition}]`, JSON offset value, null = tombstone; read to the end at startup and before every get.

use std::collections::BTreeMap;
use std::io;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use connect_api::OffsetMap;
use rdkafka::ClientConfig;
use serde_json::Value as Json;
use tracing::warn;

use super::kafka_log::{ensure_topic, KafkaLog, LogRecord, TopicSpec};
use super::{offset_key, parse_offset_key, OffsetStore};

/// How long a read to the end of the offsets topic may take.
const READ_TIMEOUT: Duration = Duration::from_secs(30);

/// Offsets kept in memory, mirrored from and written to the offsets topic.
pub struct KafkaOffsetStore {
    log: KafkaLog,
    /// Offset maps by canonical key (see [`offset_key`]).
    data: Mutex<BTreeMap<String, OffsetMap>>,
}

/// The canonical key of a record key read from the topic, or `None` (logged) when it is not
/// `["<connector>",{partition}]` (Java writes the same JSON, possibly with another map order).
fn canonical_key(raw: &[u8]) -> Option<String> {
    let parsed: Json = match serde_json::from_slice(raw) {
        Ok(j) => j,
        Err(e) => {
            warn!("Ignoring offsets topic record whose key is not JSON: {e}");
            return None;
        }
    };
    match parsed.as_array().map(Vec::as_slice) {
        Some([Json::String(connector), Json::Object(partition)]) => {
            Some(offset_key(connector, partition))
        }
        Some([Json::String(_), Json::Null]) => None,
        _ => {
            warn!(
                "Ignoring offsets topic record with key {parsed}: not a [connector, partition] pair"
            );
            None
        }
    }
}

impl KafkaOffsetStore {
    /// Creates the topic when missing (compacted), then reads it to the end.
    pub fn open(
        client: &ClientConfig,
        spec: &TopicSpec,
        client_id: &str,
    ) -> Result<KafkaOffsetStore, String> {
        ensure_topic(client, spec)?;
        let mut producer_side = client.clone();
        // Java's default partitioner (murmur2 of the key), so that Java and Rust workers put a key in the same
        // partition and compaction keeps only its newest offset.
        producer_side.set("partitioner", "murmur2_random");
        let store = KafkaOffsetStore {
            log: KafkaLog::open(&producer_side, &spec.name, client_id)?,
            data: Mutex::new(BTreeMap::new()),
        };
        store.read_to_end()?;
        Ok(store)
    }

    fn read_to_end(&self) -> Result<(), String> {
        let mut data = self.data.lock().unwrap_or_else(|p| p.into_inner());
        self.log.read_to_end(READ_TIMEOUT, |r: LogRecord<'_>| {
            let Some(key) = r.key.and_then(canonical_key) else {
                return;
            };
            match r.value.map(serde_json::from_slice::<Json>) {
                None => {
                    data.remove(&key);
                }
                Some(Ok(Json::Object(offset))) => {
                    data.insert(key, offset);
                }
                Some(Ok(Json::Null)) => {
                    data.remove(&key);
                }
                Some(other) => warn!(
                    "Ignoring offsets topic record {key} at {}/{}: the value is not a JSON object ({other:?})",
                    r.partition, r.offset
                ),
            }
        })
    }
}

impl OffsetStore for KafkaOffsetStore {
    fn get(&self, connector: &str, partition: &OffsetMap) -> Option<OffsetMap> {
        // Another worker may have run this connector's task until a moment ago: read its last commits first.
        if let Err(e) = self.read_to_end() {
            warn!("Could not read the offsets topic to its end: {e}");
        }
        let data = self.data.lock().unwrap_or_else(|p| p.into_inner());
        data.get(&offset_key(connector, partition)).cloned()
    }

    fn set(&self, connector: &str, offsets: Vec<(OffsetMap, Option<OffsetMap>)>) -> io::Result<()> {
        let records: Vec<(String, Option<Vec<u8>>)> = offsets
            .iter()
            .map(|(partition, offset)| {
                let value = offset
                    .as_ref()
                    .map(|o| serde_json::to_vec(o).unwrap_or_default());
                (offset_key(connector, partition), value)
            })
            .collect();
        self.log.send_all(&records).map_err(io::Error::other)?;
        let mut data = self.data.lock().unwrap_or_else(|p| p.into_inner());
        for ((key, _), (_, offset)) in records.into_iter().zip(offsets) {
            match offset {
                Some(o) => data.insert(key, o),
                None => data.remove(&key),
            };
        }
        Ok(())
    }

    fn connector_offsets(&self, connector: &str) -> Vec<(OffsetMap, OffsetMap)> {
        if let Err(e) = self.read_to_end() {
            warn!("Could not read the offsets topic to its end: {e}");
        }
        let data = self.data.lock().unwrap_or_else(|p| p.into_inner());
        data.iter()
            .filter_map(|(key, offset)| {
                let (c, partition) = parse_offset_key(key)?;
                (c == connector).then(|| (partition, offset.clone()))
            })
            .collect()
    }
}

/// Source connectors' own offsets topics (`offsets.storage.topic`, KIP-618) in distributed mode: each is created
/// with the worker offsets topic's settings when missing and opened once, then shared by the connector's tasks and
/// its offsets REST calls.
pub struct ConnectorOffsetTopics {
    client: ClientConfig,
    /// The worker's offsets topic: its name, partitions, replication factor and topic configs.
    worker_topic: TopicSpec,
    client_id: String,
    opened: Mutex<BTreeMap<String, Arc<KafkaOffsetStore>>>,
}

impl ConnectorOffsetTopics {
    pub fn new(client: ClientConfig, worker_topic: TopicSpec, client_id: String) -> Self {
        ConnectorOffsetTopics {
            client,
            worker_topic,
            client_id,
            opened: Mutex::new(BTreeMap::new()),
        }
    }

    /// The store on `topic`, or `None` when that is the worker's own offsets topic.
    pub fn store(&self, topic: &str) -> Result<Option<Arc<KafkaOffsetStore>>, String> {
        if topic == self.worker_topic.name {
            return Ok(None);
        }
        let mut opened = self.opened.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(store) = opened.get(topic) {
            return Ok(Some(store.clone()));
        }
        let spec = TopicSpec {
            name: topic.to_string(),
            ..self.worker_topic.clone()
        };
        let store = Arc::new(KafkaOffsetStore::open(
            &self.client,
            &spec,
            &format!("{}-{topic}", self.client_id),
        )?);
        opened.insert(topic.to_string(), store.clone());
        Ok(Some(store))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_written_by_java_are_read_whatever_their_map_order() {
        let java = br#"["file-src",{"z":1,"filename":"/tmp/a"}]"#;
        assert_eq!(
            canonical_key(java).as_deref(),
            Some(r#"["file-src",{"filename":"/tmp/a","z":1}]"#)
        );
        assert_eq!(canonical_key(br#"["file-src",null]"#), None);
        assert_eq!(canonical_key(br#"{"not":"a list"}"#), None);
        assert_eq!(canonical_key(br#"[1,{}]"#), None);
        assert_eq!(canonical_key(b"not json"), None);
    }
}
