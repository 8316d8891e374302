//! The status topic as a store (Kafka's `KafkaStatusBackingStore`): this worker's status changes are written in
//! order by a writer thread, and every worker's statuses (and KIP-558 active topics) are read back into caches by a
//! reader thread.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rdkafka::ClientConfig;
use tracing::warn;

use super::active_topics::{
    apply_topic_status, parse_topic_status_key, topic_status_key, ActiveTopicStore, TopicCache,
    TopicStatus,
};
use super::kafka_log::{ensure_topic, KafkaLog, LogRecord, TopicSpec};
use super::status_topic::{connector_status_key, task_status_key, StatusRecord};

const READ_TIMEOUT: Duration = Duration::from_secs(30);
const POLL_INTERVAL: Duration = Duration::from_millis(200);

/// Statuses of every connector and task in the cluster, by status-topic key.
pub struct KafkaStatusStore {
    log: KafkaLog,
    cache: Mutex<BTreeMap<String, StatusRecord>>,
    topics: Mutex<TopicCache>,
    /// Keys and serialized values (`None` = tombstone) to write, in order.
    writes: Mutex<Sender<(String, Option<Vec<u8>>)>>,
    stopping: AtomicBool,
}

/// Kafka's read rule: an UNASSIGNED task status does not replace a RUNNING one of the same or a newer generation.
fn apply(cache: &mut BTreeMap<String, StatusRecord>, key: &str, record: Option<StatusRecord>) {
    match record {
        None => {
            cache.remove(key);
        }
        Some(r) => {
            let stale = r.state == "UNASSIGNED"
                && key.starts_with("status-task-")
                && cache
                    .get(key)
                    .is_some_and(|c| c.state == "RUNNING" && c.generation >= r.generation);
            if !stale {
                cache.insert(key.to_string(), r);
            }
        }
    }
}

impl KafkaStatusStore {
    /// Creates the topic when missing, reads it to the end, and starts the reader and writer threads.
    pub fn open(
        client: &ClientConfig,
        spec: &TopicSpec,
        client_id: &str,
    ) -> Result<Arc<KafkaStatusStore>, String> {
        ensure_topic(client, spec)?;
        let mut producer_side = client.clone();
        producer_side.set("partitioner", "murmur2_random");
        let (tx, rx) = mpsc::channel();
        let store = Arc::new(KafkaStatusStore {
            log: KafkaLog::open(&producer_side, &spec.name, client_id)?,
            cache: Mutex::new(BTreeMap::new()),
            topics: Mutex::new(TopicCache::new()),
            writes: Mutex::new(tx),
            stopping: AtomicBool::new(false),
        });
        store.log.read_to_end(READ_TIMEOUT, |r| store.read(r))?;
        let reader = store.clone();
        std::thread::Builder::new()
            .name("status-reader".into())
            .spawn(move || reader.read_loop())
            .map_err(|e| e.to_string())?;
        let writer = store.clone();
        std::thread::Builder::new()
            .name("status-writer".into())
            .spawn(move || writer.write_loop(rx))
            .map_err(|e| e.to_string())?;
        Ok(store)
    }

    fn read(&self, r: LogRecord<'_>) {
        let Some(key) = r.key.and_then(|k| std::str::from_utf8(k).ok()) else {
            return;
        };
        if let Some((topic, connector)) = parse_topic_status_key(key) {
            let status = match r.value.map(TopicStatus::from_value) {
                None => None,
                Some(Some(status)) => Some(status),
                Some(None) => {
                    warn!("Ignoring topic status record {key}: cannot parse its value");
                    return;
                }
            };
            let mut topics = self.topics.lock().unwrap_or_else(|p| p.into_inner());
            apply_topic_status(&mut topics, &topic, &connector, status);
            return;
        }
        let record = match r.value {
            None => None,
            Some(v) => match StatusRecord::from_value(v) {
                Some(rec) => Some(rec),
                None => {
                    warn!("Ignoring status record {key}: cannot parse its value");
                    return;
                }
            },
        };
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        apply(&mut cache, key, record);
    }

    fn read_loop(&self) {
        while !self.stopping.load(Ordering::SeqCst) {
            let result = self.log.poll(POLL_INTERVAL, |r| self.read(r));
            if let Err(e) = result {
                warn!("Reading the status topic failed: {e}");
                std::thread::sleep(POLL_INTERVAL);
            }
        }
    }

    fn write_loop(&self, rx: Receiver<(String, Option<Vec<u8>>)>) {
        loop {
            match rx.recv_timeout(POLL_INTERVAL) {
                Ok((key, value)) => {
                    if let Err(e) = self.log.send(&key, value.as_deref(), None) {
                        warn!("Could not write status {key}: {e}");
                    }
                }
                Err(RecvTimeoutError::Timeout) if !self.stopping.load(Ordering::SeqCst) => {}
                Err(_) => return,
            }
        }
    }

    /// Records a status (or its removal) in the cache at once and queues it for the topic.
    pub fn put(&self, key: String, record: Option<StatusRecord>) {
        let value = record.as_ref().map(StatusRecord::to_value);
        {
            let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
            apply(&mut cache, &key, record);
        }
        self.send(key, value);
    }

    fn send(&self, key: String, value: Option<Vec<u8>>) {
        let _ = self
            .writes
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .send((key, value));
    }

    pub fn connector(&self, name: &str) -> Option<StatusRecord> {
        let cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        cache.get(&connector_status_key(name)).cloned()
    }

    pub fn task(&self, name: &str, task: u32) -> Option<StatusRecord> {
        let cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        cache.get(&task_status_key(name, task)).cloned()
    }

    /// Writes queued statuses, then stops the threads (they end within a poll interval).
    pub fn stop(&self) {
        self.stopping.store(true, Ordering::SeqCst);
    }
}

/// Active topics live in the status topic: written from here, read back by every worker's reader thread.
impl ActiveTopicStore for KafkaStatusStore {
    fn has_topic(&self, connector: &str, topic: &str) -> bool {
        let topics = self.topics.lock().unwrap_or_else(|p| p.into_inner());
        topics.get(connector).is_some_and(|t| t.contains_key(topic))
    }

    fn put_topic(&self, status: TopicStatus) {
        let key = topic_status_key(&status.topic, &status.connector);
        let value = status.to_value();
        {
            let mut topics = self.topics.lock().unwrap_or_else(|p| p.into_inner());
            let (topic, connector) = (status.topic.clone(), status.connector.clone());
            apply_topic_status(&mut topics, &topic, &connector, Some(status));
        }
        self.send(key, Some(value));
    }

    fn topics(&self, connector: &str) -> Vec<TopicStatus> {
        let topics = self.topics.lock().unwrap_or_else(|p| p.into_inner());
        topics
            .get(connector)
            .map(|t| t.values().cloned().collect())
            .unwrap_or_default()
    }

    fn delete_topic(&self, connector: &str, topic: &str) {
        {
            let mut topics = self.topics.lock().unwrap_or_else(|p| p.into_inner());
            apply_topic_status(&mut topics, topic, connector, None);
        }
        self.send(topic_status_key(topic, connector), None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(state: &str, generation: i32) -> StatusRecord {
        StatusRecord {
            state: state.into(),
            trace: None,
            worker_id: "w:1".into(),
            generation,
        }
    }

    #[test]
    fn unassigned_does_not_replace_a_newer_running_task() {
        let mut cache = BTreeMap::new();
        apply(&mut cache, "status-task-c-0", Some(rec("RUNNING", 3)));
        apply(&mut cache, "status-task-c-0", Some(rec("UNASSIGNED", 2)));
        assert_eq!(cache["status-task-c-0"].state, "RUNNING");
        apply(&mut cache, "status-task-c-0", Some(rec("UNASSIGNED", 4)));
        assert_eq!(cache["status-task-c-0"].state, "UNASSIGNED");
        apply(&mut cache, "status-task-c-0", None);
        assert!(cache.is_empty());
    }
}
