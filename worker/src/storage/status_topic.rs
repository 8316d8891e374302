//! The status topic's records (`KafkaStatusBackingStore`): `status-connector-<name>` and `status-task-<name>-<n>`
//! with `{"state","trace","worker_id","generation"}`, and the rule for which update wins.

use serde_json::{json, Value as Json};

/// A status entry as written to the status topic.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusRecord {
    pub state: String,
    pub trace: Option<String>,
    pub worker_id: String,
    pub generation: i32,
}

pub fn connector_status_key(name: &str) -> String {
    format!("status-connector-{name}")
}
pub fn task_status_key(name: &str, task: u32) -> String {
    format!("status-task-{name}-{task}")
}

impl StatusRecord {
    /// The JSON value, fields in Kafka's order.
    pub fn to_value(&self) -> Vec<u8> {
        let v = json!({ "state": self.state, "trace": self.trace, "worker_id": self.worker_id, "generation": self.generation });
        serde_json::to_vec(&v).unwrap_or_default()
    }

    pub fn from_value(bytes: &[u8]) -> Option<StatusRecord> {
        let j: Json = serde_json::from_slice(bytes).ok()?;
        Some(StatusRecord {
            state: j.get("state")?.as_str()?.to_string(),
            trace: j.get("trace").and_then(Json::as_str).map(str::to_string),
            worker_id: j
                .get("worker_id")
                .and_then(Json::as_str)
                .unwrap_or_default()
                .to_string(),
            generation: j.get("generation").and_then(Json::as_i64).unwrap_or(0) as i32,
        })
    }

    /// Kafka's "safe" write rule: an update replaces `current` only if it comes from the same worker or from an
    /// equal or newer generation.
    pub fn may_replace(&self, current: &StatusRecord) -> bool {
        self.worker_id == current.worker_id || self.generation >= current.generation
    }
}

/// What a status key refers to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StatusKey {
    Connector(String),
    Task(String, u32),
}

/// Parses `status-connector-<name>` and `status-task-<name>-<n>`.
pub fn parse_status_key(key: &str) -> Option<StatusKey> {
    if let Some(name) = key.strip_prefix("status-connector-") {
        return Some(StatusKey::Connector(name.to_string()));
    }
    let rest = key.strip_prefix("status-task-")?;
    let (name, task) = rest.rsplit_once('-')?;
    Some(StatusKey::Task(name.to_string(), task.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_values_and_keys_match_kafka() {
        let r = StatusRecord {
            state: "RUNNING".into(),
            trace: None,
            worker_id: "10.0.0.5:8083".into(),
            generation: 3,
        };
        assert_eq!(
            r.to_value(),
            br#"{"state":"RUNNING","trace":null,"worker_id":"10.0.0.5:8083","generation":3}"#
        );
        assert_eq!(StatusRecord::from_value(&r.to_value()), Some(r.clone()));
        assert_eq!(
            parse_status_key("status-task-my-conn-12"),
            Some(StatusKey::Task("my-conn".into(), 12))
        );
        assert_eq!(
            parse_status_key("status-connector-a-b"),
            Some(StatusKey::Connector("a-b".into()))
        );
        assert_eq!(parse_status_key("status-topic-x:connector-y"), None);
        let older = StatusRecord {
            generation: 2,
            worker_id: "other:8083".into(),
            ..r.clone()
        };
        assert!(!older.may_replace(&r));
        assert!(
            StatusRecord {
                generation: 1,
                ..r.clone()
            }
            .may_replace(&r),
            "same worker always wins"
        );
    }
}
