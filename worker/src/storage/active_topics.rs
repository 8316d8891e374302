//! KIP-558 active topics: the topics each connector's tasks produced to or consumed from, as Kafka's `TopicStatus`
//! records (`status-topic-<topic>:connector-<name>` in the status topic), kept in memory in standalone mode.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use serde_json::{json, Value as Json};

use crate::config::worker::WorkerConfig;

const KEY_PREFIX: &str = "status-topic-";
const KEY_SEPARATOR: &str = ":connector-";

/// That a task of `connector` used `topic`, first seen at `discover_timestamp` (ms since the epoch).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TopicStatus {
    pub topic: String,
    pub connector: String,
    pub task: u32,
    pub discover_timestamp: i64,
}

/// `status-topic-<topic>:connector-<connector>`.
pub fn topic_status_key(topic: &str, connector: &str) -> String {
    format!("{KEY_PREFIX}{topic}{KEY_SEPARATOR}{connector}")
}

/// `(topic, connector)` of a topic status key, as Kafka splits it (at the first `:`, which no topic name contains).
pub fn parse_topic_status_key(key: &str) -> Option<(String, String)> {
    let rest = key.strip_prefix(KEY_PREFIX)?;
    let (topic, connector) = rest.split_once(KEY_SEPARATOR)?;
    (!topic.is_empty() && !topic.contains(':') && !connector.is_empty())
        .then(|| (topic.to_string(), connector.to_string()))
}

impl TopicStatus {
    /// `{"topic":{"name","connector","task","discoverTimestamp"}}`, fields in Kafka's order.
    pub fn to_value(&self) -> Vec<u8> {
        let v = json!({ "topic": {
            "name": self.topic,
            "connector": self.connector,
            "task": self.task,
            "discoverTimestamp": self.discover_timestamp,
        }});
        serde_json::to_vec(&v).unwrap_or_default()
    }

    pub fn from_value(bytes: &[u8]) -> Option<TopicStatus> {
        let j: Json = serde_json::from_slice(bytes).ok()?;
        let t = j.get("topic")?;
        Some(TopicStatus {
            topic: t.get("name")?.as_str()?.to_string(),
            connector: t.get("connector")?.as_str()?.to_string(),
            task: u32::try_from(t.get("task")?.as_i64()?).ok()?,
            discover_timestamp: t.get("discoverTimestamp")?.as_i64()?,
        })
    }
}

/// Where active topics are kept (Kafka's `StatusBackingStore` topic methods).
pub trait ActiveTopicStore: Send + Sync {
    /// Whether the connector already has `topic` as active (asked per record, so it clones nothing).
    fn has_topic(&self, connector: &str, topic: &str) -> bool;
    fn put_topic(&self, status: TopicStatus);
    /// Every active topic of a connector, by topic name.
    fn topics(&self, connector: &str) -> Vec<TopicStatus>;
    /// Forgets one topic of a connector (a tombstone in the status topic).
    fn delete_topic(&self, connector: &str, topic: &str);
}

/// Active topics by connector, then topic: the cache both stores keep.
pub type TopicCache = BTreeMap<String, BTreeMap<String, TopicStatus>>;

/// Applies one status-topic record (`None` = tombstone) to a cache.
pub fn apply_topic_status(
    cache: &mut TopicCache,
    topic: &str,
    connector: &str,
    status: Option<TopicStatus>,
) {
    match status {
        Some(s) => {
            cache
                .entry(connector.to_string())
                .or_default()
                .insert(topic.to_string(), s);
        }
        None => {
            if let Some(topics) = cache.get_mut(connector) {
                topics.remove(topic);
                if topics.is_empty() {
                    cache.remove(connector);
                }
            }
        }
    }
}

/// Standalone mode's store (Kafka's `MemoryStatusBackingStore`).
#[derive(Default)]
pub struct MemoryActiveTopics(Mutex<TopicCache>);

impl ActiveTopicStore for MemoryActiveTopics {
    fn has_topic(&self, connector: &str, topic: &str) -> bool {
        let cache = self.0.lock().unwrap_or_else(|p| p.into_inner());
        cache.get(connector).is_some_and(|t| t.contains_key(topic))
    }
    fn put_topic(&self, status: TopicStatus) {
        let mut cache = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let (topic, connector) = (status.topic.clone(), status.connector.clone());
        apply_topic_status(&mut cache, &topic, &connector, Some(status));
    }
    fn topics(&self, connector: &str) -> Vec<TopicStatus> {
        let cache = self.0.lock().unwrap_or_else(|p| p.into_inner());
        cache
            .get(connector)
            .map(|t| t.values().cloned().collect())
            .unwrap_or_default()
    }
    fn delete_topic(&self, connector: &str, topic: &str) {
        let mut cache = self.0.lock().unwrap_or_else(|p| p.into_inner());
        apply_topic_status(&mut cache, topic, connector, None);
    }
}

/// Topic tracking as the worker is configured (`topic.tracking.enable`, `topic.tracking.allow.reset`).
#[derive(Clone)]
pub struct TopicTracking {
    /// `None` when tracking is disabled.
    pub store: Option<Arc<dyn ActiveTopicStore>>,
    pub allow_reset: bool,
}

impl TopicTracking {
    pub fn new(worker: &WorkerConfig, store: Arc<dyn ActiveTopicStore>) -> TopicTracking {
        TopicTracking {
            store: worker.topic_tracking_enable.then_some(store),
            allow_reset: worker.topic_tracking_allow_reset,
        }
    }

    /// Names of a connector's active topics (empty for an unknown connector, as in Kafka).
    pub fn topic_names(&self, connector: &str) -> Vec<String> {
        self.store
            .as_ref()
            .map(|s| s.topics(connector).into_iter().map(|t| t.topic).collect())
            .unwrap_or_default()
    }

    /// Forgets every active topic of a connector (on reset and on deletion).
    pub fn reset(&self, connector: &str) {
        if let Some(store) = &self.store {
            for t in store.topics(connector) {
                store.delete_topic(connector, &t.topic);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_are_kafkas() {
        let s = TopicStatus {
            topic: "orders".into(),
            connector: "my-sink".into(),
            task: 2,
            discover_timestamp: 1_700_000_000_123,
        };
        assert_eq!(
            s.to_value(),
            br#"{"topic":{"name":"orders","connector":"my-sink","task":2,"discoverTimestamp":1700000000123}}"#
        );
        assert_eq!(TopicStatus::from_value(&s.to_value()), Some(s));
        assert_eq!(
            topic_status_key("orders", "my-sink"),
            "status-topic-orders:connector-my-sink"
        );
        assert_eq!(
            parse_topic_status_key("status-topic-a.b:connector-c:connector-d"),
            Some(("a.b".into(), "c:connector-d".into()))
        );
        assert_eq!(parse_topic_status_key("status-topic-:connector-c"), None);
        assert_eq!(parse_topic_status_key("status-task-c-0"), None);
    }

    #[test]
    fn memory_store_resets_one_connector_only() {
        let store = MemoryActiveTopics::default();
        for (topic, connector) in [("t1", "a"), ("t2", "a"), ("t1", "b")] {
            store.put_topic(TopicStatus {
                topic: topic.into(),
                connector: connector.into(),
                task: 0,
                discover_timestamp: 1,
            });
        }
        let tracking = TopicTracking {
            store: Some(Arc::new(store)),
            allow_reset: true,
        };
        assert_eq!(tracking.topic_names("a"), ["t1", "t2"]);
        tracking.reset("a");
        assert!(tracking.topic_names("a").is_empty());
        assert_eq!(tracking.topic_names("b"), ["t1"]);
    }
}
