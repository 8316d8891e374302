//! Standalone mode's herder: connectors live in this process only; configs come from the command line and REST,
//! source offsets from the offsets file.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use connect_api::plugin::PluginKind;
use connect_api::{Config, ConnectError, Connector, ConnectorContext};
use tracing::{error, info, warn};

use super::offsets::{self, ConnectorOffset, ConnectorOffsets};
use super::runtime::WorkerRuntime;
use super::{HerderError, HerderResult, TargetState};
use crate::config::override_policy::OverridePolicy;
use crate::config::providers::ConfigProviders;
use crate::config::worker::WorkerConfig;
use crate::plugins::Plugins;
use crate::rest::entities::{
    ConnectorInfo, ConnectorState, ConnectorStateInfo, ConnectorTaskId, TaskInfo, TaskState,
};
use crate::storage::active_topics::{MemoryActiveTopics, TopicTracking};
use crate::storage::OffsetStore;
use crate::task::{State, StatusBoard, TaskHandle, TaskId};

/// One connector this worker runs.
struct ConnectorEntry {
    config: Config,
    kind: PluginKind,
    target: TargetState,
    instance: Option<Box<dyn Connector>>,
    task_configs: Vec<Config>,
    tasks: Vec<Option<TaskHandle>>,
}

pub struct StandaloneHerder {
    rt: WorkerRuntime,
    worker_id: String,
    cluster_id: Option<String>,
    connectors: Mutex<BTreeMap<String, ConnectorEntry>>,
    topic_tracking: TopicTracking,
}

/// Lets a connector fail itself from another thread (`ConnectorContext.raiseError`).
struct ConnectorCtx {
    name: String,
    status: Arc<StatusBoard>,
}

impl ConnectorContext for ConnectorCtx {
    fn request_task_reconfiguration(&self) {
        warn!("Connector {} requested task reconfiguration; standalone mode applies it on the next restart", self.name);
    }
    fn raise_error(&self, message: &str) {
        error!("Connector {} raised an error: {message}", self.name);
        self.status.set_connector(
            &self.name,
            State::Failed,
            Some(ConnectError::connect(message).trace()),
        );
    }
}

fn not_found(name: &str) -> HerderError {
    HerderError::NotFound(format!("Connector {name} not found"))
}

impl StandaloneHerder {
    pub fn new(
        worker: WorkerConfig,
        worker_id: String,
        cluster_id: Option<String>,
        plugins: Arc<Plugins>,
        providers: ConfigProviders,
        offsets: Arc<dyn OffsetStore>,
    ) -> Self {
        let topic_tracking = TopicTracking::new(&worker, Arc::new(MemoryActiveTopics::default()));
        StandaloneHerder {
            rt: WorkerRuntime {
                worker,
                plugins,
                providers,
                offsets,
                connector_offset_topics: None,
                exactly_once: None,
                status: Arc::new(
                    StatusBoard::default().with_active_topics(topic_tracking.store.clone()),
                ),
                metrics: Arc::default(),
            },
            worker_id,
            cluster_id,
            connectors: Mutex::new(BTreeMap::new()),
            topic_tracking,
        }
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<String, ConnectorEntry>> {
        self.connectors.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn info(&self, name: &str, entry: &ConnectorEntry) -> ConnectorInfo {
        ConnectorInfo {
            name: name.to_string(),
            config: entry.config.clone(),
            tasks: (0..entry.task_configs.len() as u32)
                .map(|task| ConnectorTaskId {
                    connector: name.to_string(),
                    task,
                })
                .collect(),
            connector_type: entry.kind.name().to_string(),
        }
    }

    /// Starts the connector instance and its tasks per the entry's target state.
    fn start_connector(&self, name: &str, entry: &mut ConnectorEntry, with_tasks: bool) {
        if entry.target == TargetState::Stopped {
            self.rt.status.set_connector(name, State::Stopped, None);
            return;
        }
        let ctx = ConnectorCtx {
            name: name.to_string(),
            status: self.rt.status.clone(),
        };
        let started =
            self.rt
                .start_connector_instance(name, &entry.config, entry.kind, Box::new(ctx));
        match started {
            Ok((instance, configs)) => {
                entry.instance = Some(instance);
                entry.task_configs = configs;
                let state = if entry.target == TargetState::Paused {
                    State::Paused
                } else {
                    State::Running
                };
                self.rt.status.set_connector(name, state, None);
                info!(
                    "Connector {name} started with {} task(s)",
                    entry.task_configs.len()
                );
                if with_tasks {
                    self.start_tasks(name, entry);
                }
            }
            Err(e) => {
                error!("Connector {name} failed to start: {e}");
                self.rt
                    .status
                    .set_connector(name, State::Failed, Some(e.trace()));
            }
        }
    }

    fn start_task(&self, name: &str, entry: &ConnectorEntry, task: u32) -> Option<TaskHandle> {
        let id = TaskId {
            connector: name.to_string(),
            task,
        };
        self.rt.start_task(
            &id,
            entry.kind,
            &entry.config,
            &entry.task_configs[task as usize],
            entry.target == TargetState::Paused,
        )
    }

    fn start_tasks(&self, name: &str, entry: &mut ConnectorEntry) {
        entry.tasks = (0..entry.task_configs.len())
            .map(|i| self.start_task(name, entry, i as u32))
            .collect();
    }

    fn stop_tasks(&self, name: &str, entry: &mut ConnectorEntry) {
        let grace = self.rt.grace();
        for (i, handle) in entry.tasks.drain(..).enumerate() {
            if let Some(h) = handle {
                if !h.stop_and_wait(grace) {
                    warn!(
                        "Task {name}-{i} did not stop within {} ms; abandoning it",
                        grace.as_millis()
                    );
                }
            }
        }
    }

    fn stop_connector_instance(&self, name: &str, entry: &mut ConnectorEntry) {
        self.stop_tasks(name, entry);
        if let Some(mut instance) = entry.instance.take() {
            if let Err(e) = instance.stop() {
                warn!("Connector {name} failed to stop cleanly: {e}");
            }
        }
    }
}

impl super::Herder for StandaloneHerder {
    fn worker_id(&self) -> &str {
        &self.worker_id
    }

    fn kafka_cluster_id(&self) -> Option<String> {
        self.cluster_id.clone()
    }

    fn plugins(&self) -> &Plugins {
        &self.rt.plugins
    }

    fn client_override_policy(&self) -> OverridePolicy {
        self.rt.worker.client_override_policy
    }

    fn metrics(&self) -> String {
        self.rt.render_metrics()
    }

    fn connectors(&self) -> Vec<String> {
        self.lock().keys().cloned().collect()
    }

    fn connector_info(&self, name: &str) -> HerderResult<ConnectorInfo> {
        let map = self.lock();
        let entry = map.get(name).ok_or_else(|| not_found(name))?;
        Ok(self.info(name, entry))
    }

    fn connector_config(&self, name: &str) -> HerderResult<Config> {
        self.lock()
            .get(name)
            .map(|e| e.config.clone())
            .ok_or_else(|| not_found(name))
    }

    fn put_connector_config(
        &self,
        name: &str,
        mut config: Config,
        allow_replace: bool,
        initial_state: Option<TargetState>,
    ) -> HerderResult<(bool, ConnectorInfo)> {
        let kind = self.rt.validate_for_put(name, &mut config)?;
        let mut map = self.lock();
        let created = match map.get_mut(name) {
            Some(_) if !allow_replace => {
                return Err(HerderError::AlreadyExists(format!(
                    "Connector {name} already exists"
                )))
            }
            Some(entry) => {
                self.stop_connector_instance(name, entry);
                entry.config = config;
                entry.kind = kind;
                false
            }
            None => {
                let target = initial_state.unwrap_or(TargetState::Started);
                map.insert(
                    name.to_string(),
                    ConnectorEntry {
                        config,
                        kind,
                        target,
                        instance: None,
                        task_configs: Vec::new(),
                        tasks: Vec::new(),
                    },
                );
                true
            }
        };
        let entry = map.get_mut(name).expect("just inserted");
        self.rt.status.remove_connector(name);
        self.start_connector(name, entry, true);
        Ok((created, self.info(name, entry)))
    }

    fn delete_connector(&self, name: &str) -> HerderResult<()> {
        let mut map = self.lock();
        let mut entry = map.remove(name).ok_or_else(|| not_found(name))?;
        self.stop_connector_instance(name, &mut entry);
        self.rt.status.remove_connector(name);
        self.topic_tracking.reset(name);
        info!("Connector {name} deleted");
        Ok(())
    }

    fn connector_status(&self, name: &str) -> HerderResult<ConnectorStateInfo> {
        let map = self.lock();
        let entry = map.get(name).ok_or_else(|| {
            HerderError::NotFound(format!("No status found for connector {name}"))
        })?;
        let c = self
            .rt
            .status
            .connector(name)
            .unwrap_or(super::super::task::Status {
                state: State::Unassigned,
                trace: None,
            });
        let tasks = (0..entry.task_configs.len() as u32)
            .map(|t| {
                let s = self.rt.status.task(&TaskId {
                    connector: name.to_string(),
                    task: t,
                });
                let (state, trace) = s
                    .map(|s| (s.state, s.trace))
                    .unwrap_or((State::Unassigned, None));
                TaskState {
                    id: t,
                    state: state.name().to_string(),
                    worker_id: self.worker_id.clone(),
                    trace,
                }
            })
            .collect();
        Ok(ConnectorStateInfo {
            name: name.to_string(),
            connector: ConnectorState {
                state: c.state.name().to_string(),
                worker_id: self.worker_id.clone(),
                trace: c.trace,
            },
            tasks,
            connector_type: entry.kind.name().to_string(),
        })
    }

    fn task_status(&self, name: &str, task: u32) -> HerderResult<TaskState> {
        let status = self.connector_status(name).map_err(|_| {
            HerderError::NotFound(format!("No status found for task {name}-{task}"))
        })?;
        status
            .tasks
            .into_iter()
            .find(|t| t.id == task)
            .ok_or_else(|| HerderError::NotFound(format!("No status found for task {name}-{task}")))
    }

    fn task_configs(&self, name: &str) -> HerderResult<Vec<TaskInfo>> {
        let map = self.lock();
        let entry = map.get(name).ok_or_else(|| not_found(name))?;
        Ok(entry
            .task_configs
            .iter()
            .enumerate()
            .map(|(i, c)| TaskInfo {
                id: ConnectorTaskId {
                    connector: name.to_string(),
                    task: i as u32,
                },
                config: c.clone(),
            })
            .collect())
    }

    fn pause_connector(&self, name: &str) -> HerderResult<()> {
        let mut map = self.lock();
        let entry = map.get_mut(name).ok_or_else(|| not_found(name))?;
        if entry.target == TargetState::Stopped {
            return Ok(());
        }
        entry.target = TargetState::Paused;
        if self
            .rt
            .status
            .connector(name)
            .is_some_and(|s| s.state == State::Running)
        {
            self.rt.status.set_connector(name, State::Paused, None);
        }
        entry.tasks.iter().flatten().for_each(|t| t.control.pause());
        Ok(())
    }

    fn resume_connector(&self, name: &str) -> HerderResult<()> {
        let mut map = self.lock();
        let entry = map.get_mut(name).ok_or_else(|| not_found(name))?;
        match entry.target {
            TargetState::Stopped => {
                entry.target = TargetState::Started;
                self.start_connector(name, entry, true);
            }
            _ => {
                entry.target = TargetState::Started;
                if self
                    .rt
                    .status
                    .connector(name)
                    .is_some_and(|s| s.state == State::Paused)
                {
                    self.rt.status.set_connector(name, State::Running, None);
                }
                entry
                    .tasks
                    .iter()
                    .flatten()
                    .for_each(|t| t.control.resume());
            }
        }
        Ok(())
    }

    fn stop_connector(&self, name: &str) -> HerderResult<()> {
        let mut map = self.lock();
        let entry = map.get_mut(name).ok_or_else(|| not_found(name))?;
        self.stop_connector_instance(name, entry);
        entry.target = TargetState::Stopped;
        entry.task_configs.clear();
        self.rt.status.remove_connector(name);
        self.rt.status.set_connector(name, State::Stopped, None);
        Ok(())
    }

    fn restart_connector(
        &self,
        name: &str,
        include_tasks: bool,
        only_failed: bool,
    ) -> HerderResult<Option<ConnectorStateInfo>> {
        {
            let mut map = self.lock();
            let entry = map
                .get_mut(name)
                .ok_or_else(|| HerderError::NotFound(format!("Unknown connector: {name}")))?;
            let connector_failed = self
                .rt
                .status
                .connector(name)
                .is_some_and(|s| s.state == State::Failed);
            if !include_tasks {
                if !only_failed || connector_failed {
                    let previous = entry.task_configs.clone();
                    if let Some(mut instance) = entry.instance.take() {
                        let _ = instance.stop();
                    }
                    let tasks = std::mem::take(&mut entry.tasks);
                    self.start_connector(name, entry, false);
                    entry.tasks = tasks;
                    if entry.task_configs != previous {
                        self.stop_tasks(name, entry);
                        self.start_tasks(name, entry);
                    }
                }
                return Ok(None);
            }
            if !only_failed || connector_failed {
                self.stop_connector_instance(name, entry);
                self.start_connector(name, entry, true);
            } else {
                for i in 0..entry.task_configs.len() {
                    let id = TaskId {
                        connector: name.to_string(),
                        task: i as u32,
                    };
                    if self
                        .rt
                        .status
                        .task(&id)
                        .is_some_and(|s| s.state == State::Failed)
                    {
                        if let Some(h) = entry.tasks.get_mut(i).and_then(Option::take) {
                            h.stop_and_wait(self.rt.grace());
                        }
                        self.rt.status.set_task(&id, State::Restarting, None);
                        entry.tasks[i] = self.start_task(name, entry, i as u32);
                    }
                }
            }
        }
        super::Herder::connector_status(self, name).map(Some)
    }

    fn restart_task(&self, name: &str, task: u32) -> HerderResult<()> {
        let mut map = self.lock();
        let unknown = || HerderError::NotFound(format!("Unknown task: {name}-{task}"));
        let entry = map.get_mut(name).ok_or_else(unknown)?;
        let i = task as usize;
        if i >= entry.task_configs.len() {
            return Err(unknown());
        }
        if let Some(h) = entry.tasks.get_mut(i).and_then(Option::take) {
            h.stop_and_wait(self.rt.grace());
        }
        let handle = self.start_task(name, entry, task);
        entry.tasks[i] = handle;
        Ok(())
    }

    fn topic_tracking(&self) -> TopicTracking {
        self.topic_tracking.clone()
    }

    fn connector_offsets(&self, name: &str) -> HerderResult<ConnectorOffsets> {
        let (config, kind) = {
            let map = self.lock();
            let entry = map.get(name).ok_or_else(|| not_found(name))?;
            (entry.config.clone(), entry.kind)
        };
        offsets::read(&self.rt, name, &config, kind)
    }

    fn modify_connector_offsets(
        &self,
        name: &str,
        offsets: Option<Vec<ConnectorOffset>>,
    ) -> HerderResult<String> {
        // Held throughout, so that the connector cannot be resumed while its offsets are written.
        let map = self.lock();
        let entry = map.get(name).ok_or_else(|| not_found(name))?;
        offsets::require_stopped(
            name,
            entry.target == TargetState::Stopped && entry.task_configs.is_empty(),
        )?;
        offsets::modify(&self.rt, name, &entry.config, entry.kind, offsets)
    }

    fn shutdown(&self) {
        let mut map = self.lock();
        let names: Vec<String> = map.keys().cloned().collect();
        for name in names {
            if let Some(entry) = map.get_mut(&name) {
                self.stop_connector_instance(&name, entry);
            }
        }
    }
}
