//! Running tasks: ids, states and the status board, the control handle a herder holds for each task thread, and
//! what source and sink runners share.

pub mod convert;
pub mod dlq;
pub mod errors;
pub mod sink;
pub mod source;
pub mod topic_creation;
pub mod transaction_context;

use std::collections::BTreeMap;
use std::fmt;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::storage::active_topics::{ActiveTopicStore, TopicStatus};

/// `<connector>-<n>`, as Kafka's `ConnectorTaskId`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TaskId {
    pub connector: String,
    pub task: u32,
}

impl fmt::Display for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.connector, self.task)
    }
}

/// Runtime states as Kafka's `AbstractStatus.State`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    Unassigned,
    Running,
    Paused,
    Failed,
    Restarting,
    Stopped,
}

impl State {
    pub fn name(self) -> &'static str {
        match self {
            Self::Unassigned => "UNASSIGNED",
            Self::Running => "RUNNING",
            Self::Paused => "PAUSED",
            Self::Failed => "FAILED",
            Self::Restarting => "RESTARTING",
            Self::Stopped => "STOPPED",
        }
    }
}

/// One status entry: a state, and the trace when FAILED.
#[derive(Clone, Debug, PartialEq)]
pub struct Status {
    pub state: State,
    pub trace: Option<String>,
}

/// What a status change is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StatusSubject {
    Connector(String),
    Task(TaskId),
}

/// Told of every status change (distributed mode writes them to the status topic).
pub type StatusListener = Box<dyn Fn(StatusSubject, &Status) + Send + Sync>;

/// The current status of every connector and task on this worker.
#[derive(Default)]
pub struct StatusBoard {
    connectors: Mutex<BTreeMap<String, Status>>,
    tasks: Mutex<BTreeMap<TaskId, Status>>,
    listener: Option<StatusListener>,
    /// Where tasks record the topics they use (KIP-558); `None` when topic tracking is disabled.
    active_topics: Option<Arc<dyn ActiveTopicStore>>,
}

impl StatusBoard {
    /// A board that also tells `listener` of every change.
    pub fn with_listener(listener: StatusListener) -> StatusBoard {
        StatusBoard {
            listener: Some(listener),
            ..StatusBoard::default()
        }
    }

    /// Tasks also record the topics they use in `store` (when tracking is enabled).
    pub fn with_active_topics(mut self, store: Option<Arc<dyn ActiveTopicStore>>) -> StatusBoard {
        self.active_topics = store;
        self
    }

    /// Kafka's `WorkerTask.recordActiveTopic`: the first time a task of the connector uses `topic`, it is recorded.
    pub fn record_active_topic(&self, id: &TaskId, topic: &str) {
        let Some(store) = &self.active_topics else {
            return;
        };
        if !store.has_topic(&id.connector, topic) {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_millis() as i64);
            store.put_topic(TopicStatus {
                topic: topic.to_string(),
                connector: id.connector.clone(),
                task: id.task,
                discover_timestamp: now,
            });
        }
    }

    pub fn set_connector(&self, name: &str, state: State, trace: Option<String>) {
        let status = Status { state, trace };
        self.connectors
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(name.to_string(), status.clone());
        if let Some(listener) = &self.listener {
            listener(StatusSubject::Connector(name.to_string()), &status);
        }
    }
    pub fn set_task(&self, id: &TaskId, state: State, trace: Option<String>) {
        let status = Status { state, trace };
        self.tasks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id.clone(), status.clone());
        if let Some(listener) = &self.listener {
            listener(StatusSubject::Task(id.clone()), &status);
        }
    }
    pub fn connector(&self, name: &str) -> Option<Status> {
        self.connectors
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(name)
            .cloned()
    }
    pub fn task(&self, id: &TaskId) -> Option<Status> {
        self.tasks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(id)
            .cloned()
    }
    /// Forgets a connector and all its tasks.
    pub fn remove_connector(&self, name: &str) {
        self.connectors
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(name);
        self.tasks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|id, _| id.connector != name);
    }
    /// Every connector and task status at one moment.
    pub fn snapshot(&self) -> (BTreeMap<String, Status>, BTreeMap<TaskId, Status>) {
        let connectors = self
            .connectors
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let tasks = self.tasks.lock().unwrap_or_else(|p| p.into_inner()).clone();
        (connectors, tasks)
    }
    pub fn remove_task(&self, id: &TaskId) {
        self.tasks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(id);
    }
}

const RUN: u8 = 0;
const PAUSE: u8 = 1;
const STOP: u8 = 2;

/// What the herder asks of a running task thread.
#[derive(Default)]
pub struct TaskControl {
    target: AtomicU8,
}

impl TaskControl {
    pub fn pause(&self) {
        let _ = self
            .target
            .compare_exchange(RUN, PAUSE, Ordering::SeqCst, Ordering::SeqCst);
    }
    pub fn resume(&self) {
        let _ = self
            .target
            .compare_exchange(PAUSE, RUN, Ordering::SeqCst, Ordering::SeqCst);
    }
    pub fn stop(&self) {
        self.target.store(STOP, Ordering::SeqCst);
    }
    pub fn is_paused(&self) -> bool {
        self.target.load(Ordering::SeqCst) == PAUSE
    }
    pub fn is_stopping(&self) -> bool {
        self.target.load(Ordering::SeqCst) == STOP
    }
}

/// A running task thread.
pub struct TaskHandle {
    pub control: Arc<TaskControl>,
    pub thread: JoinHandle<()>,
}

impl TaskHandle {
    /// Asks the task to stop and waits up to `timeout` for its thread; a task that does not stop in time is
    /// abandoned (its thread ends when its plugin call returns), as Kafka does.
    pub fn stop_and_wait(self, timeout: Duration) -> bool {
        self.control.stop();
        let deadline = std::time::Instant::now() + timeout;
        while !self.thread.is_finished() {
            if std::time::Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = self.thread.join();
        true
    }
}
