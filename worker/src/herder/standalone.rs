//! Standalone mode's herder: connectors live in this process only; configs come from the command line and REST,
//! source offsets from the offsets file.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use connect_api::config::split_list;
use connect_api::plugin::PluginKind;
use connect_api::{Config, ConnectError, Connector, ConnectorContext};
use connect_transforms::TransformChain;
use tracing::{error, info, warn};

use super::{HerderError, HerderResult, TargetState};
use crate::config::connector::{
    CONNECTOR_CLASS, NAME, TASKS_MAX, TASK_CLASS, TOPICS, TOPICS_REGEX,
};
use crate::config::providers::ConfigProviders;
use crate::config::worker::WorkerConfig;
use crate::kafka;
use crate::plugins::{LibraryPlugin, PluginConnector, PluginSinkTask, PluginSourceTask, Plugins};
use crate::rest::entities::{
    ConnectorInfo, ConnectorState, ConnectorStateInfo, ConnectorTaskId, TaskInfo, TaskState,
};
use crate::storage::OffsetStore;
use crate::task::convert::RecordConverters;
use crate::task::dlq::DeadLetterQueue;
use crate::task::errors::ErrorPolicy;
use crate::task::topic_creation::TopicCreation;
use crate::task::{sink, source, State, StatusBoard, TaskHandle, TaskId};

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
    worker: WorkerConfig,
    worker_id: String,
    cluster_id: Option<String>,
    plugins: Arc<Plugins>,
    providers: ConfigProviders,
    offsets: Arc<dyn OffsetStore>,
    status: Arc<StatusBoard>,
    connectors: Mutex<BTreeMap<String, ConnectorEntry>>,
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
        StandaloneHerder {
            worker,
            worker_id,
            cluster_id,
            plugins,
            providers,
            offsets,
            status: Arc::new(StatusBoard::default()),
            connectors: Mutex::new(BTreeMap::new()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<String, ConnectorEntry>> {
        self.connectors.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn plugin_for(&self, config: &Config) -> HerderResult<&LibraryPlugin> {
        let class = config
            .get(CONNECTOR_CLASS)
            .map(|c| c.trim())
            .unwrap_or_default();
        self.plugins.connector(class).ok_or_else(|| {
            HerderError::BadRequest(format!(
                "Failed to find any class that implements Connector and which name matches {class}"
            ))
        })
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

    fn grace(&self) -> Duration {
        Duration::from_millis(self.worker.task_shutdown_timeout_ms)
    }

    /// Starts the connector instance and its tasks per the entry's target state.
    fn start_connector(&self, name: &str, entry: &mut ConnectorEntry, with_tasks: bool) {
        if entry.target == TargetState::Stopped {
            self.status.set_connector(name, State::Stopped, None);
            return;
        }
        let resolved = self.providers.resolve_all(&entry.config);
        let started = self.plugin_for(&resolved).map_err(|e| ConnectError::config(e.to_string())).and_then(|plugin| {
            let mut instance: Box<dyn Connector> = Box::new(PluginConnector::create(plugin)?);
            let ctx = ConnectorCtx { name: name.to_string(), status: self.status.clone() };
            instance.start(&resolved, Box::new(ctx))?;
            let max = resolved.get(TASKS_MAX).and_then(|t| t.trim().parse::<usize>().ok()).unwrap_or(1).max(1);
            let mut configs = instance.task_configs(max)?;
            if configs.len() > max {
                return Err(ConnectError::connect(format!(
                    "The connector {name} has generated {} tasks, which is greater than {max}, the maximum number of tasks it is configured to create.",
                    configs.len()
                )));
            }
            for c in configs.iter_mut() {
                c.insert(TASK_CLASS.to_string(), plugin.info.class_name.clone());
                for key in [TOPICS, TOPICS_REGEX] {
                    if let Some(v) = entry.config.get(key).filter(|_| entry.kind == PluginKind::Sink) {
                        c.insert(key.to_string(), v.clone());
                    }
                }
            }
            Ok((instance, configs))
        });
        match started {
            Ok((instance, configs)) => {
                entry.instance = Some(instance);
                entry.task_configs = configs;
                let state = if entry.target == TargetState::Paused {
                    State::Paused
                } else {
                    State::Running
                };
                self.status.set_connector(name, state, None);
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
                self.status
                    .set_connector(name, State::Failed, Some(e.trace()));
            }
        }
    }

    /// Builds and starts one task thread; a task that cannot be built is FAILED with the reason.
    fn start_task(&self, name: &str, entry: &ConnectorEntry, task: u32) -> Option<TaskHandle> {
        let id = TaskId {
            connector: name.to_string(),
            task,
        };
        let connector_config = self.providers.resolve_all(&entry.config);
        let task_config = self
            .providers
            .resolve_all(&entry.task_configs[task as usize]);
        let client_id = |role: &str| format!("connector-{role}-{name}-{task}");
        let built = (|| -> Result<TaskHandle, ConnectError> {
            let plugin = self
                .plugin_for(&connector_config)
                .map_err(|e| ConnectError::config(e.to_string()))?;
            let converters =
                RecordConverters::build(&self.plugins, &self.worker, &connector_config)?;
            let plugins = self.plugins.clone();
            let transforms = TransformChain::from_config(
                &connector_config,
                &|n| plugins.new_transformation(n),
                &|n| plugins.new_predicate(n),
            )?;
            let policy = ErrorPolicy::from_config(&connector_config);
            let flush_interval = Duration::from_millis(self.worker.offset_flush_interval_ms.max(1));
            let spawned = match entry.kind {
                PluginKind::Source => source::spawn(source::SourceTaskSetup {
                    id: id.clone(),
                    task: Box::new(PluginSourceTask::create(plugin)?),
                    topic_creation: TopicCreation::from_config(
                        self.worker.topic_creation_enable,
                        &connector_config,
                        kafka::admin_config(&self.worker, &connector_config),
                    )
                    .map_err(|(_, message)| ConnectError::config(message))?,
                    task_config,
                    converters,
                    transforms,
                    producer: kafka::producer_config(
                        &self.worker,
                        &connector_config,
                        &client_id("producer"),
                    ),
                    offsets: self.offsets.clone(),
                    status: self.status.clone(),
                    policy,
                    flush_interval,
                    flush_timeout: Duration::from_millis(
                        self.worker.offset_flush_timeout_ms.max(1),
                    ),
                }),
                _ => {
                    let regex = connector_config
                        .get(TOPICS_REGEX)
                        .map(|r| r.trim().to_string())
                        .filter(|r| !r.is_empty());
                    sink::spawn(sink::SinkTaskSetup {
                        id: id.clone(),
                        task: Box::new(PluginSinkTask::create(plugin)?),
                        task_config,
                        converters,
                        transforms,
                        consumer: kafka::consumer_config(
                            &self.worker,
                            &connector_config,
                            name,
                            &client_id("consumer"),
                        ),
                        topics: connector_config
                            .get(TOPICS)
                            .map(|t| split_list(t))
                            .unwrap_or_default(),
                        topics_regex: regex,
                        status: self.status.clone(),
                        policy,
                        flush_interval,
                        max_poll_records: kafka::max_poll_records(&self.worker, &connector_config),
                        dlq: DeadLetterQueue::create(&self.worker, &connector_config, &id)?,
                        connector_class: plugin.info.class_name.clone(),
                    })
                }
            };
            spawned
                .map_err(|e| ConnectError::connect(format!("Could not start the task thread: {e}")))
        })();
        match built {
            Ok(handle) => {
                if entry.target == TargetState::Paused {
                    handle.control.pause();
                }
                Some(handle)
            }
            Err(e) => {
                error!("Task {id} failed to start: {e}");
                self.status.set_task(&id, State::Failed, Some(e.trace()));
                None
            }
        }
    }

    fn start_tasks(&self, name: &str, entry: &mut ConnectorEntry) {
        entry.tasks = (0..entry.task_configs.len())
            .map(|i| self.start_task(name, entry, i as u32))
            .collect();
    }

    fn stop_tasks(&self, name: &str, entry: &mut ConnectorEntry) {
        let grace = self.grace();
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

    fn validate_for_put(&self, name: &str, config: &mut Config) -> HerderResult<PluginKind> {
        if let Some(n) = config.get(NAME) {
            if n.trim() != name {
                return Err(HerderError::BadRequest(format!(
                    "Connector name configuration ({}) doesn't match connector name in the URL ({name})",
                    n.trim()
                )));
            }
        }
        config.insert(NAME.to_string(), name.to_string());
        let infos = match super::validate_connector_config(&self.plugins, config) {
            Ok(infos) => infos,
            Err(HerderError::Internal(msg)) => return Err(HerderError::BadRequest(format!(
                "Connector configuration is invalid and contains the following 1 error(s):\n{CONNECTOR_CLASS}: {msg}\nYou can also find the above list of errors at the endpoint `/connector-plugins/{{connectorType}}/config/validate`"
            ))),
            Err(e) => return Err(e),
        };
        if infos.error_count > 0 {
            let lines = infos.error_lines();
            return Err(HerderError::BadRequest(format!(
                "Connector configuration is invalid and contains the following {} error(s):\n{}\nYou can also find the above list of errors at the endpoint `/connector-plugins/{{connectorType}}/config/validate`",
                lines.len(),
                lines.join("\n")
            )));
        }
        Ok(self.plugin_for(config)?.info.kind)
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
        &self.plugins
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
        let kind = self.validate_for_put(name, &mut config)?;
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
        self.status.remove_connector(name);
        self.start_connector(name, entry, true);
        Ok((created, self.info(name, entry)))
    }

    fn delete_connector(&self, name: &str) -> HerderResult<()> {
        let mut map = self.lock();
        let mut entry = map.remove(name).ok_or_else(|| not_found(name))?;
        self.stop_connector_instance(name, &mut entry);
        self.status.remove_connector(name);
        info!("Connector {name} deleted");
        Ok(())
    }

    fn connector_status(&self, name: &str) -> HerderResult<ConnectorStateInfo> {
        let map = self.lock();
        let entry = map.get(name).ok_or_else(|| {
            HerderError::NotFound(format!("No status found for connector {name}"))
        })?;
        let c = self
            .status
            .connector(name)
            .unwrap_or(super::super::task::Status {
                state: State::Unassigned,
                trace: None,
            });
        let tasks = (0..entry.task_configs.len() as u32)
            .map(|t| {
                let s = self.status.task(&TaskId {
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
            .status
            .connector(name)
            .is_some_and(|s| s.state == State::Running)
        {
            self.status.set_connector(name, State::Paused, None);
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
                    .status
                    .connector(name)
                    .is_some_and(|s| s.state == State::Paused)
                {
                    self.status.set_connector(name, State::Running, None);
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
        self.status.remove_connector(name);
        self.status.set_connector(name, State::Stopped, None);
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
                        .status
                        .task(&id)
                        .is_some_and(|s| s.state == State::Failed)
                    {
                        if let Some(h) = entry.tasks.get_mut(i).and_then(Option::take) {
                            h.stop_and_wait(self.grace());
                        }
                        self.status.set_task(&id, State::Restarting, None);
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
            h.stop_and_wait(self.grace());
        }
        let handle = self.start_task(name, entry, task);
        entry.tasks[i] = handle;
        Ok(())
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
