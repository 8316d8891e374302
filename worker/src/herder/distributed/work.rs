//! The connectors and tasks this worker runs in distributed mode: started, restarted, paused and stopped as its
//! assignment and the config topic say.

use std::collections::BTreeMap;
use std::sync::Arc;

use connect_api::plugin::PluginKind;
use connect_api::{Config, ConnectError, Connector, ConnectorContext};
use tracing::{error, info, warn};

use super::{Inner, TargetState};
use crate::storage::config_topic::ClusterConfigState;
use crate::storage::status_topic::{connector_status_key, task_status_key};
use crate::task::{State, TaskHandle, TaskId};

/// Lets a connector ask for new task configs or fail itself from any thread.
struct ConnectorCtx {
    name: String,
    inner: Arc<Inner>,
}

impl ConnectorContext for ConnectorCtx {
    fn request_task_reconfiguration(&self) {
        let name = self.name.clone();
        self.inner.request(|r| {
            r.reconfigure.insert(name);
        });
    }
    fn raise_error(&self, message: &str) {
        error!("Connector {} raised an error: {message}", self.name);
        self.inner.rt.status.set_connector(
            &self.name,
            State::Failed,
            Some(ConnectError::connect(message).trace()),
        );
    }
}

struct RunningConnector {
    /// The config it was started with.
    config: Config,
    target: TargetState,
    kind: Option<PluginKind>,
    instance: Option<Box<dyn Connector>>,
}

struct RunningTask {
    config: Config,
    target: TargetState,
    handle: Option<TaskHandle>,
}

/// Assigned connectors and tasks and their running instances.
#[derive(Default)]
pub(super) struct Work {
    connectors: BTreeMap<String, RunningConnector>,
    tasks: BTreeMap<TaskId, RunningTask>,
}

impl Work {
    pub fn connectors(&self) -> Vec<String> {
        self.connectors.keys().cloned().collect()
    }

    pub fn tasks(&self) -> Vec<TaskId> {
        self.tasks.keys().cloned().collect()
    }

    /// Starts an assigned connector; returns the task configs it generated (to be published by the caller).
    pub fn start_connector(
        &mut self,
        inner: &Arc<Inner>,
        name: &str,
        state: &ClusterConfigState,
    ) -> Option<Vec<Config>> {
        if self.connectors.contains_key(name) {
            return None;
        }
        let Some(config) = state.connectors.get(name).cloned() else {
            warn!("Assigned connector {name} has no config; skipping it");
            return None;
        };
        let target = state.target_state(name);
        let kind = inner.connector_kind(&config);
        let mut entry = RunningConnector {
            config: config.clone(),
            target,
            kind,
            instance: None,
        };
        let status = &inner.rt.status;
        let generated = match (target, kind) {
            (TargetState::Stopped, _) => {
                status.set_connector(name, State::Stopped, None);
                None
            }
            (_, None) => {
                let e = inner.rt.plugin_for(&config).err().map(|e| e.to_string());
                status.set_connector(
                    name,
                    State::Failed,
                    Some(ConnectError::config(e.unwrap_or_default()).trace()),
                );
                None
            }
            (_, Some(kind)) => {
                let ctx = ConnectorCtx {
                    name: name.to_string(),
                    inner: inner.clone(),
                };
                match inner
                    .rt
                    .start_connector_instance(name, &config, kind, Box::new(ctx))
                {
                    Ok((instance, configs)) => {
                        entry.instance = Some(instance);
                        let s = if target == TargetState::Paused {
                            State::Paused
                        } else {
                            State::Running
                        };
                        status.set_connector(name, s, None);
                        info!(
                            "Connector {name} started; it asks for {} task(s)",
                            configs.len()
                        );
                        Some(configs)
                    }
                    Err(e) => {
                        error!("Connector {name} failed to start: {e}");
                        status.set_connector(name, State::Failed, Some(e.trace()));
                        None
                    }
                }
            }
        };
        self.connectors.insert(name.to_string(), entry);
        generated
    }

    /// Stops a connector instance; `revoked` writes UNASSIGNED, `deleted` removes its status.
    pub fn stop_connector(&mut self, inner: &Inner, name: &str, revoked: bool, deleted: bool) {
        let Some(mut entry) = self.connectors.remove(name) else {
            return;
        };
        if let Some(mut instance) = entry.instance.take() {
            if let Err(e) = instance.stop() {
                warn!("Connector {name} failed to stop cleanly: {e}");
            }
            info!("Connector {name} stopped");
        }
        if deleted {
            inner.statuses.put(connector_status_key(name), None);
        } else if revoked {
            inner.rt.status.set_connector(name, State::Unassigned, None);
        }
    }

    /// Asks a running connector for its task configs again.
    pub fn regenerate(&mut self, inner: &Inner, name: &str) -> Option<Vec<Config>> {
        let entry = self.connectors.get_mut(name)?;
        let kind = entry.kind?;
        let instance = entry.instance.as_mut()?;
        match inner
            .rt
            .generate_task_configs(name, instance.as_mut(), &entry.config, kind)
        {
            Ok(configs) => Some(configs),
            Err(e) => {
                error!("Connector {name} failed to generate task configs: {e}");
                inner
                    .rt
                    .status
                    .set_connector(name, State::Failed, Some(e.trace()));
                None
            }
        }
    }

    /// Starts an assigned task with its committed config.
    pub fn start_task(&mut self, inner: &Inner, id: &TaskId, state: &ClusterConfigState) {
        if self.tasks.contains_key(id) {
            return;
        }
        let Some(task_config) = state
            .tasks
            .get(&id.connector)
            .and_then(|t| t.get(id.task as usize))
            .cloned()
        else {
            warn!("Assigned task {id} has no committed config; skipping it");
            return;
        };
        let Some(connector_config) = state.connectors.get(&id.connector) else {
            warn!("Assigned task {id} belongs to an unknown connector; skipping it");
            return;
        };
        let target = state.target_state(&id.connector);
        let kind = inner.connector_kind(connector_config);
        let exactly_once = inner.rt.exactly_once.as_ref().is_some_and(|e| e.enabled);
        if exactly_once
            && kind == Some(PluginKind::Source)
            && state.pending_fencing.contains(&id.connector)
        {
            // Producers of an older generation of this connector's tasks must not write once this one runs.
            if let Err(e) = inner.ensure_fenced(&id.connector) {
                error!("Task {id} cannot start: {e}");
                let e = ConnectError::connect(format!("Failed to perform zombie fencing: {e}"));
                inner.rt.status.set_task(id, State::Failed, Some(e.trace()));
                self.tasks.insert(
                    id.clone(),
                    RunningTask {
                        config: task_config,
                        target,
                        handle: None,
                    },
                );
                return;
            }
        }
        let handle = match kind {
            Some(kind) => inner.rt.start_task(
                id,
                kind,
                connector_config,
                &task_config,
                target != TargetState::Started,
            ),
            None => {
                let e = inner.rt.plugin_for(connector_config).err();
                inner.rt.status.set_task(
                    id,
                    State::Failed,
                    Some(
                        ConnectError::config(e.map(|e| e.to_string()).unwrap_or_default()).trace(),
                    ),
                );
                None
            }
        };
        if handle.is_some() {
            info!("Task {id} started");
        }
        self.tasks.insert(
            id.clone(),
            RunningTask {
                config: task_config,
                target,
                handle,
            },
        );
    }

    /// Stops tasks (all asked at once, then awaited); `revoked` writes UNASSIGNED, `deleted` removes their status.
    pub fn stop_tasks(&mut self, inner: &Inner, ids: &[TaskId], revoked: bool, deleted: bool) {
        let stopping: Vec<(TaskId, RunningTask)> = ids
            .iter()
            .filter_map(|id| self.tasks.remove(id).map(|t| (id.clone(), t)))
            .collect();
        for (_, t) in &stopping {
            if let Some(h) = &t.handle {
                h.control.stop();
            }
        }
        let grace = inner.rt.grace();
        for (id, t) in stopping {
            if let Some(h) = t.handle {
                if !h.stop_and_wait(grace) {
                    warn!(
                        "Task {id} did not stop within {} ms; abandoning it",
                        grace.as_millis()
                    );
                }
                info!("Task {id} stopped");
            }
            if deleted {
                inner
                    .statuses
                    .put(task_status_key(&id.connector, id.task), None);
            } else if revoked {
                inner.rt.status.set_task(&id, State::Unassigned, None);
            }
        }
    }

    /// Restarts one task with its committed config.
    pub fn restart_task(&mut self, inner: &Inner, id: &TaskId, state: &ClusterConfigState) {
        if self.tasks.contains_key(id) {
            self.stop_tasks(inner, std::slice::from_ref(id), false, false);
            inner.rt.status.set_task(id, State::Restarting, None);
            self.start_task(inner, id, state);
        }
    }

    /// Applies config changes to what runs here; returns connectors whose (re)generated task configs must be
    /// published.
    pub fn reconcile(
        &mut self,
        inner: &Arc<Inner>,
        state: &ClusterConfigState,
    ) -> Vec<(String, Vec<Config>)> {
        let mut publish = Vec::new();
        // Tasks first: deleted connectors, changed task configs, target states.
        let mut gone = Vec::new();
        let mut restart = Vec::new();
        for (id, t) in self.tasks.iter_mut() {
            if !state.connectors.contains_key(&id.connector) {
                gone.push(id.clone());
                continue;
            }
            match state
                .tasks
                .get(&id.connector)
                .and_then(|c| c.get(id.task as usize))
            {
                Some(c) if *c != t.config => restart.push(id.clone()),
                // Not (or no longer) configured: the next rebalance revokes it; keep it paused meanwhile.
                None => {
                    if let Some(h) = &t.handle {
                        h.control.pause();
                    }
                }
                _ => {}
            }
            let target = state.target_state(&id.connector);
            if target != t.target {
                t.target = target;
                if let Some(h) = &t.handle {
                    if target == TargetState::Started {
                        h.control.resume();
                    } else {
                        h.control.pause();
                    }
                }
            }
        }
        self.stop_tasks(inner, &gone, false, true);
        for id in restart {
            info!("Task {id} has a new config; restarting it");
            self.restart_task(inner, &id, state);
        }
        // Then connectors.
        let names: Vec<String> = self.connectors.keys().cloned().collect();
        for name in names {
            let Some(config) = state.connectors.get(&name) else {
                self.stop_connector(inner, &name, false, true);
                continue;
            };
            let entry = &self.connectors[&name];
            let target = state.target_state(&name);
            let restarting = *config != entry.config
                || (entry.target == TargetState::Stopped) != (target == TargetState::Stopped);
            if restarting {
                self.stop_connector(inner, &name, false, false);
                if let Some(configs) = self.start_connector(inner, &name, state) {
                    publish.push((name.clone(), configs));
                }
                continue;
            }
            if target != entry.target {
                if let Some(e) = self.connectors.get_mut(&name) {
                    e.target = target;
                    if e.instance.is_some() {
                        let s = if target == TargetState::Paused {
                            State::Paused
                        } else {
                            State::Running
                        };
                        inner.rt.status.set_connector(&name, s, None);
                    }
                }
            }
            if state.inconsistent.contains(&name) {
                if let Some(configs) = self.regenerate(inner, &name) {
                    publish.push((name.clone(), configs));
                }
            }
        }
        publish
    }

    /// Stops everything (shutdown, or an eager rebalance).
    pub fn stop_all(&mut self, inner: &Inner, revoked: bool) {
        let tasks = self.tasks();
        self.stop_tasks(inner, &tasks, revoked, false);
        for name in self.connectors() {
            self.stop_connector(inner, &name, revoked, false);
        }
    }
}
