//! The config topic's records (`KafkaConfigBackingStore`): keys, JSON values, and the state they build up —
//! connector configs, task configs applied atomically by commit records, target states, restart requests, the
//! session key and exactly-once task count records — with Kafka's semantics for incomplete task sets and deleted connectors.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Value as Json};
use tracing::warn;

use crate::herder::TargetState;

pub type Props = BTreeMap<String, String>;

pub fn connector_key(name: &str) -> String {
    format!("connector-{name}")
}
pub fn task_key(name: &str, task: u32) -> String {
    format!("task-{name}-{task}")
}
pub fn commit_key(name: &str) -> String {
    format!("commit-{name}")
}
pub fn target_state_key(name: &str) -> String {
    format!("target-state-{name}")
}
pub fn restart_key(name: &str) -> String {
    format!("restart-connector-{name}")
}
/// The task count record of an exactly-once source connector (KIP-618).
pub fn task_count_key(name: &str) -> String {
    format!("tasks-fencing-{name}")
}
pub const SESSION_KEY: &str = "session-key";
/// Prefix of `logger-cluster-<namespace>` records (KIP-976).
pub const LOGGER_CLUSTER_PREFIX: &str = "logger-cluster-";

pub fn logger_cluster_key(namespace: &str) -> String {
    format!("{LOGGER_CLUSTER_PREFIX}{namespace}")
}
/// `{"level":"DEBUG"}`.
pub fn logger_level_value(level: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({ "level": level })).unwrap_or_default()
}
/// The level of a logger record; `None` (logged) when the value is null or has no string `level`, as Kafka skips it.
pub fn logger_level_of(namespace: &str, value: Option<&[u8]>) -> Option<String> {
    let level = value
        .and_then(|v| serde_json::from_slice::<Json>(v).ok())
        .and_then(|j| j.get("level").and_then(Json::as_str).map(str::to_string));
    if level.is_none() {
        warn!(
            "Ignoring the logging level record for namespace {namespace}: it has no `level` string"
        );
    }
    level
}

/// `{"properties":{...}}`, the value of connector and task config records.
pub fn properties_value(props: &Props) -> Vec<u8> {
    serde_json::to_vec(&json!({ "properties": props })).unwrap_or_default()
}
/// `{"tasks":N}`.
pub fn commit_value(tasks: usize) -> Vec<u8> {
    serde_json::to_vec(&json!({ "tasks": tasks })).unwrap_or_default()
}
/// `{"task-count":N}`.
pub fn task_count_value(tasks: usize) -> Vec<u8> {
    serde_json::to_vec(&json!({ "task-count": tasks })).unwrap_or_default()
}
/// `{"state":...,"state.v2":...}`; `state` says PAUSED for STOPPED so that older workers understand it.
pub fn target_state_value(state: TargetState) -> Vec<u8> {
    let (v1, v2) = match state {
        TargetState::Started => ("STARTED", "STARTED"),
        TargetState::Paused => ("PAUSED", "PAUSED"),
        TargetState::Stopped => ("PAUSED", "STOPPED"),
    };
    serde_json::to_vec(&json!({ "state": v1, "state.v2": v2 })).unwrap_or_default()
}
/// `{"include-tasks":bool,"only-failed":bool}`.
pub fn restart_value(include_tasks: bool, only_failed: bool) -> Vec<u8> {
    serde_json::to_vec(&json!({ "include-tasks": include_tasks, "only-failed": only_failed }))
        .unwrap_or_default()
}

/// `{"key":"<base64>","algorithm":"HmacSHA256","creation-timestamp":<ms>}`.
pub fn session_key_value(key: &SessionKey) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "key": key.key,
        "algorithm": key.algorithm,
        "creation-timestamp": key.creation_timestamp,
    }))
    .unwrap_or_default()
}

/// A restart request read from the config topic.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RestartRequest {
    pub connector: String,
    pub include_tasks: bool,
    pub only_failed: bool,
}

/// The shared session key for internal request signing (KIP-507).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionKey {
    pub key: String,
    pub algorithm: String,
    pub creation_timestamp: i64,
}

/// Everything the config topic says, as of `offset` (the next offset to read).
#[derive(Clone, Debug, Default)]
pub struct ClusterConfigState {
    pub offset: i64,
    pub connectors: BTreeMap<String, Props>,
    pub target_states: BTreeMap<String, TargetState>,
    /// Committed task configs per connector.
    pub tasks: BTreeMap<String, Vec<Props>>,
    /// Connectors whose last commit did not find all of its task configs: the leader must regenerate them.
    pub inconsistent: BTreeSet<String>,
    pub session_key: Option<SessionKey>,
    /// The latest task count record per connector: how many task producers to fence before the next generation.
    pub task_count_records: BTreeMap<String, u32>,
    /// Connectors whose latest task configs were committed after their latest task count record: their
    /// exactly-once tasks may start only after a round of zombie fencing.
    pub pending_fencing: BTreeSet<String>,
    /// Task configs seen but not yet committed.
    pending: BTreeMap<String, BTreeMap<u32, Props>>,
}

fn properties_of(value: &Json) -> Option<Props> {
    let props = value.get("properties")?.as_object()?;
    Some(
        props
            .iter()
            .map(|(k, v)| {
                (
                    k.clone(),
                    v.as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| v.to_string()),
                )
            })
            .collect(),
    )
}

/// Splits `task-<connector>-<n>`: the last part is the task number, the middle the connector name.
fn parse_task_key(rest: &str) -> Option<(String, u32)> {
    let (name, task) = rest.rsplit_once('-')?;
    Some((name.to_string(), task.parse().ok()?))
}

fn as_flag(v: Option<&Json>) -> bool {
    v.and_then(Json::as_bool).unwrap_or(false)
}

impl ClusterConfigState {
    pub fn target_state(&self, connector: &str) -> TargetState {
        self.target_states
            .get(connector)
            .copied()
            .unwrap_or(TargetState::Started)
    }

    /// Applies one record read at `offset`; returns a restart request when the record is one.
    pub fn apply(
        &mut self,
        offset: i64,
        key: &str,
        value: Option<&[u8]>,
    ) -> Option<RestartRequest> {
        self.offset = offset + 1;
        let json: Option<Json> = match value {
            None => None,
            Some(bytes) => match serde_json::from_slice(bytes) {
                Ok(j) => Some(j),
                Err(e) => {
                    warn!("Ignoring config topic record {key} at offset {offset}: not JSON ({e})");
                    return None;
                }
            },
        };
        if let Some(name) = key.strip_prefix("connector-") {
            match json.as_ref().and_then(properties_of) {
                Some(props) => {
                    self.connectors.insert(name.to_string(), props);
                }
                None => {
                    self.connectors.remove(name);
                    self.tasks.remove(name);
                    self.target_states.remove(name);
                    self.inconsistent.remove(name);
                    self.pending.remove(name);
                    self.task_count_records.remove(name);
                    self.pending_fencing.remove(name);
                }
            }
        } else if let Some(rest) = key.strip_prefix("task-") {
            let Some((name, task)) = parse_task_key(rest) else {
                warn!("Ignoring config topic record with an invalid task key {key}");
                return None;
            };
            if let Some(props) = json.as_ref().and_then(properties_of) {
                self.pending.entry(name).or_default().insert(task, props);
            }
        } else if let Some(name) = key.strip_prefix("commit-") {
            let count = json
                .as_ref()
                .and_then(|j| j.get("tasks"))
                .and_then(Json::as_u64)
                .unwrap_or(0) as u32;
            let buffered = self.pending.remove(name).unwrap_or_default();
            if !self.connectors.contains_key(name) {
                return None;
            }
            if (0..count).all(|t| buffered.contains_key(&t)) {
                let tasks = (0..count).map(|t| buffered[&t].clone()).collect();
                self.tasks.insert(name.to_string(), tasks);
                self.inconsistent.remove(name);
                self.pending_fencing.insert(name.to_string());
            } else {
                warn!("Commit of {count} task configs for {name} at offset {offset} is missing some; marking it inconsistent");
                self.inconsistent.insert(name.to_string());
            }
        } else if let Some(name) = key.strip_prefix("tasks-fencing-") {
            match json
                .as_ref()
                .and_then(|j| j.get("task-count"))
                .and_then(Json::as_u64)
            {
                Some(count) => {
                    self.task_count_records
                        .insert(name.to_string(), count as u32);
                    self.pending_fencing.remove(name);
                }
                None => warn!("Ignoring task count record {key} at offset {offset}: no task-count"),
            }
        } else if let Some(name) = key.strip_prefix("target-state-") {
            match json {
                None => {
                    self.target_states.remove(name);
                }
                Some(j) => {
                    let state = j
                        .get("state.v2")
                        .or_else(|| j.get("state"))
                        .and_then(Json::as_str);
                    let parsed = match state {
                        Some("STARTED") => TargetState::Started,
                        Some("PAUSED") => TargetState::Paused,
                        Some("STOPPED") => TargetState::Stopped,
                        other => {
                            warn!("Ignoring target state {other:?} for {name}");
                            return None;
                        }
                    };
                    self.target_states.insert(name.to_string(), parsed);
                }
            }
        } else if let Some(name) = key.strip_prefix("restart-connector-") {
            let j = json?;
            return Some(RestartRequest {
                connector: name.to_string(),
                include_tasks: as_flag(j.get("include-tasks")),
                only_failed: as_flag(j.get("only-failed")),
            });
        } else if key == SESSION_KEY {
            if let Some(j) = json {
                self.session_key = Some(SessionKey {
                    key: j
                        .get("key")
                        .and_then(Json::as_str)
                        .unwrap_or_default()
                        .to_string(),
                    algorithm: j
                        .get("algorithm")
                        .and_then(Json::as_str)
                        .unwrap_or_default()
                        .to_string(),
                    creation_timestamp: j
                        .get("creation-timestamp")
                        .and_then(Json::as_i64)
                        .unwrap_or(0),
                });
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(pairs: &[(&str, &str)]) -> Props {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn values_are_kafkas_json() {
        assert_eq!(
            properties_value(&props(&[("a", "1")])),
            br#"{"properties":{"a":"1"}}"#
        );
        assert_eq!(commit_value(2), br#"{"tasks":2}"#);
        assert_eq!(
            target_state_value(TargetState::Stopped),
            br#"{"state":"PAUSED","state.v2":"STOPPED"}"#
        );
        assert_eq!(
            restart_value(true, false),
            br#"{"include-tasks":true,"only-failed":false}"#
        );
        assert_eq!(
            logger_cluster_key("connect_worker::task"),
            "logger-cluster-connect_worker::task"
        );
        assert_eq!(logger_level_value("DEBUG"), br#"{"level":"DEBUG"}"#);
        assert_eq!(
            logger_level_of("x", Some(br#"{"level":"warn"}"#)).as_deref(),
            Some("warn")
        );
        assert_eq!(logger_level_of("x", None), None);
    }

    #[test]
    fn task_count_records_end_the_pending_fencing_of_a_commit() {
        let mut s = ClusterConfigState::default();
        assert_eq!(task_count_key("c"), "tasks-fencing-c");
        assert_eq!(task_count_value(3), br#"{"task-count":3}"#);
        s.apply(0, "connector-c", Some(&properties_value(&props(&[]))));
        s.apply(1, "task-c-0", Some(br#"{"properties":{}}"#));
        s.apply(2, "commit-c", Some(br#"{"tasks":1}"#));
        assert!(s.pending_fencing.contains("c"));
        assert_eq!(s.task_count_records.get("c"), None);
        s.apply(3, "tasks-fencing-c", Some(&task_count_value(1)));
        assert!(!s.pending_fencing.contains("c"));
        assert_eq!(s.task_count_records["c"], 1);
        // A new generation is pending again; a record without a count changes nothing.
        s.apply(4, "commit-c", Some(br#"{"tasks":0}"#));
        s.apply(5, "tasks-fencing-c", Some(br#"{}"#));
        assert!(s.pending_fencing.contains("c"));
        assert_eq!(s.task_count_records["c"], 1);
        // Deleting the connector forgets both.
        s.apply(6, "connector-c", None);
        assert!(s.pending_fencing.is_empty() && s.task_count_records.is_empty());
    }

    #[test]
    fn task_configs_apply_only_on_a_complete_commit() {
        let mut s = ClusterConfigState::default();
        s.apply(
            0,
            "connector-my-conn",
            Some(&properties_value(&props(&[("tasks.max", "2")]))),
        );
        s.apply(1, "task-my-conn-0", Some(br#"{"properties":{"t":"0"}}"#));
        assert!(!s.tasks.contains_key("my-conn"), "not before the commit");
        s.apply(2, "commit-my-conn", Some(br#"{"tasks":2}"#));
        assert!(s.inconsistent.contains("my-conn"), "task 1 is missing");
        s.apply(3, "task-my-conn-0", Some(br#"{"properties":{"t":"0"}}"#));
        s.apply(4, "task-my-conn-1", Some(br#"{"properties":{"t":"1"}}"#));
        s.apply(5, "commit-my-conn", Some(br#"{"tasks":2}"#));
        assert_eq!(s.tasks["my-conn"].len(), 2);
        assert_eq!(s.tasks["my-conn"][1]["t"], "1");
        assert!(!s.inconsistent.contains("my-conn"));
        assert_eq!(s.offset, 6);
    }

    #[test]
    fn target_states_deletes_and_restarts() {
        let mut s = ClusterConfigState::default();
        s.apply(0, "connector-c", Some(br#"{"properties":{}}"#));
        assert_eq!(s.target_state("c"), TargetState::Started);
        s.apply(1, "target-state-c", Some(br#"{"state":"PAUSED"}"#));
        assert_eq!(s.target_state("c"), TargetState::Paused);
        s.apply(
            2,
            "target-state-c",
            Some(br#"{"state":"PAUSED","state.v2":"STOPPED"}"#),
        );
        assert_eq!(s.target_state("c"), TargetState::Stopped);
        let r = s
            .apply(3, "restart-connector-c", Some(br#"{"include-tasks":true}"#))
            .unwrap();
        assert!(r.include_tasks && !r.only_failed);
        s.apply(4, "connector-c", None);
        assert!(s.connectors.is_empty() && s.target_states.is_empty());
        s.apply(5, "commit-c", Some(br#"{"tasks":0}"#));
        assert!(
            s.tasks.is_empty(),
            "a commit for a deleted connector is ignored"
        );
        s.apply(
            6,
            "session-key",
            Some(br#"{"key":"a2V5","algorithm":"HmacSHA256","creation-timestamp":5}"#),
        );
        assert_eq!(s.session_key.as_ref().unwrap().creation_timestamp, 5);
        assert_eq!(
            session_key_value(s.session_key.as_ref().unwrap()),
            br#"{"key":"a2V5","algorithm":"HmacSHA256","creation-timestamp":5}"#
        );
    }
}
