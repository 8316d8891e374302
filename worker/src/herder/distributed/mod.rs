//! Distributed mode's herder (Kafka's `DistributedHerder`): REST requests answered from the config and status
//! topics, writes that only the leader may do forwarded to it, and a herder thread that keeps this worker in the
//! group and runs what the assignment gives it.

mod member;
mod work;

use std::collections::{BTreeMap, BTreeSet};
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use connect_api::plugin::PluginKind;
use connect_api::Config;
use rdkafka::ClientConfig;
use tracing::{info, warn};

use super::offsets::{self, ConnectorOffset, ConnectorOffsets};
use super::runtime::{ExactlyOnceSource, WorkerRuntime};
use super::{apply_config_patch, Herder, HerderError, HerderResult, TargetState};
use crate::config::override_policy::OverridePolicy;
use crate::config::providers::ConfigProviders;
use crate::config::worker::{DistributedConfig, WorkerConfig};
use crate::distributed::group::SaslCredentials;
use crate::distributed::protocol::ConnectProtocol;
use crate::plugins::Plugins;
use crate::rest::entities::{
    ConnectorInfo, ConnectorState, ConnectorStateInfo, ConnectorTaskId, TaskInfo, TaskState,
};
use crate::rest::signature;
use crate::storage::active_topics::{ActiveTopicStore, TopicTracking};
use crate::storage::config_topic::{
    commit_key, commit_value, connector_key, logger_cluster_key, logger_level_of,
    logger_level_value, properties_value, restart_key, restart_value, target_state_key,
    target_state_value, task_count_key, task_count_value, task_key, ClusterConfigState,
    RestartRequest, LOGGER_CLUSTER_PREFIX,
};
use crate::storage::kafka_log::{ensure_topic, KafkaLog, TopicSpec, TransactionalWriter};
use crate::storage::status_store::KafkaStatusStore;
use crate::storage::status_topic::{connector_status_key, task_status_key, StatusRecord};
use crate::storage::{ConnectorOffsetTopics, KafkaOffsetStore};
use crate::task::{State, Status, StatusBoard, StatusListener, StatusSubject, TaskId};

/// How long a REST request waits for a rebalance in progress to finish before answering 409.
const GROUP_WAIT: Duration = Duration::from_secs(30);
/// How long reading the config topic to its end may take.
const CONFIG_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// What REST requests need to know about this worker's place in the group.
#[derive(Clone, Debug, Default)]
struct GroupView {
    /// False until the first assignment, and while a rebalance is under way.
    stable: bool,
    leader: bool,
    /// Whether the group runs the `sessioned` protocol (internal requests are signed).
    sessioned: bool,
    leader_url: Option<String>,
    /// Tasks this worker runs.
    owned_tasks: BTreeSet<TaskId>,
    /// Leader only: the REST URL of the worker running each task.
    task_owners: BTreeMap<TaskId, String>,
}

/// Work the REST side hands to the herder thread.
#[derive(Default)]
struct Requests {
    rejoin: bool,
    /// Connectors that asked for task reconfiguration.
    reconfigure: BTreeSet<String>,
    /// Tasks of this worker to restart (`POST .../tasks/{t}/restart`).
    restart_tasks: Vec<TaskId>,
}

/// State shared by the REST side and the herder thread.
struct Inner {
    rt: WorkerRuntime,
    dist: DistributedConfig,
    protocol: ConnectProtocol,
    worker_id: String,
    /// The advertised REST URL, `http://host:port/`.
    url: String,
    cluster_id: Option<String>,
    config_log: KafkaLog,
    /// With `exactly.once.source.support` `preparing` or `enabled`: the leader's transactional config topic writer.
    leader_writer: Option<LeaderWriter>,
    config: Mutex<ClusterConfigState>,
    /// Restart requests read from the config topic, for the herder thread.
    restarts: Mutex<Vec<RestartRequest>>,
    statuses: Arc<KafkaStatusStore>,
    topic_tracking: TopicTracking,
    /// Set once the config topic was read at startup: later `logger-cluster-*` records apply (KIP-976).
    apply_logger_records: AtomicBool,
    generation: Arc<AtomicI32>,
    group: Mutex<GroupView>,
    group_changed: Condvar,
    requests: Mutex<Requests>,
    wakeup: Condvar,
    /// Serializes rounds of zombie fencing.
    fencing: Mutex<()>,
    /// TLS and SASL of the group connection, from the worker's top-level security settings (read once at start).
    group_tls: Option<Arc<rustls::ClientConfig>>,
    group_sasl: Option<SaslCredentials>,
    /// Set once the first assignment was applied.
    started: AtomicBool,
    stopping: AtomicBool,
}

/// The leader's fencable config topic writer (Kafka's `claimWritePrivileges`): claimed, with transactional id
/// `connect-cluster-<group.id>`, by the first privileged write of each generation in which this worker leads, which
/// fences out the writer of any older leader still running.
struct LeaderWriter {
    client: ClientConfig,
    transactional_id: String,
    /// The generation the writer was claimed in, and the writer (`None` once a write failed: fenced out by a newer
    /// leader, or broken; this worker then rejoins and claims again only in a new generation).
    claimed: Mutex<Option<(i32, Option<TransactionalWriter>)>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Inner {
    /// Reads the config topic up to its current end (`to_end`) or whatever is already there, applying records.
    fn read_config(&self, to_end: bool) -> Result<(), String> {
        let mut state = lock(&self.config);
        let mut restarts = Vec::new();
        let mut logger_levels = Vec::new();
        let live_loggers = self.apply_logger_records.load(Ordering::SeqCst);
        let apply = |r: crate::storage::kafka_log::LogRecord<'_>| {
            let Some(key) = r.key.and_then(|k| std::str::from_utf8(k).ok()) else {
                return;
            };
            if let Some(namespace) = key.strip_prefix(LOGGER_CLUSTER_PREFIX) {
                if live_loggers {
                    if let Some(level) = logger_level_of(namespace, r.value) {
                        logger_levels.push((namespace.to_string(), level));
                    }
                }
            }
            if let Some(restart) = state.apply(r.offset, key, r.value) {
                restarts.push(restart);
            }
        };
        let result = if to_end {
            self.config_log.read_to_end(CONFIG_READ_TIMEOUT, apply)
        } else {
            self.config_log.poll(Duration::ZERO, apply)
        };
        drop(state);
        for (namespace, level) in logger_levels {
            crate::logging::loggers().set_level(&namespace, &level);
        }
        if !restarts.is_empty() {
            lock(&self.restarts).extend(restarts);
            self.wake();
        }
        result
    }

    fn snapshot(&self) -> ClusterConfigState {
        lock(&self.config).clone()
    }

    fn wake(&self) {
        let _guard = lock(&self.requests);
        self.wakeup.notify_all();
    }

    fn request(&self, f: impl FnOnce(&mut Requests)) {
        let mut r = lock(&self.requests);
        f(&mut r);
        self.wakeup.notify_all();
    }

    /// Waits until this worker is in a stable group generation (or `GROUP_WAIT` passes).
    fn group_view(&self) -> GroupView {
        let deadline = Instant::now() + GROUP_WAIT;
        let mut view = lock(&self.group);
        while !view.stable && !self.stopping.load(Ordering::SeqCst) {
            let now = Instant::now();
            if now >= deadline {
                break;
            }
            view = self
                .group_changed
                .wait_timeout(view, deadline - now)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
        view.clone()
    }

    /// The group view if this worker is the leader, else `NotLeader` with the leader's URL (for forwarding).
    fn require_leader(&self) -> HerderResult<GroupView> {
        let view = self.group_view();
        if view.stable && view.leader {
            Ok(view)
        } else if view.stable {
            Err(HerderError::NotLeader(view.leader_url))
        } else {
            Err(HerderError::NotLeader(None))
        }
    }

    fn send_config(&self, key: &str, value: Option<&[u8]>) -> HerderResult<()> {
        self.config_log
            .send(key, value, Some(0))
            .map_err(|e| HerderError::Internal(format!("Failed to write to the config topic: {e}")))
    }

    /// Leader-only config writes (connector and task configs, commit, task count, restart requests, session keys):
    /// through the fencable writer, as one transaction, when exactly-once source support is `preparing` or
    /// `enabled`; else record by record like any write.
    fn send_privileged(&self, records: &[(String, Option<Vec<u8>>)]) -> HerderResult<()> {
        let Some(leader) = &self.leader_writer else {
            return records
                .iter()
                .try_for_each(|(key, value)| self.send_config(key, value.as_deref()));
        };
        let generation = self.generation.load(Ordering::SeqCst);
        let mut claimed = lock(&leader.claimed);
        if claimed.as_ref().map(|(g, _)| *g) != Some(generation) {
            let writer = TransactionalWriter::open(
                &leader.client,
                &self.dist.config_topic,
                &leader.transactional_id,
            )
            .map_err(|e| {
                HerderError::Internal(format!(
                    "Failed to claim write privileges on the config topic: {e}"
                ))
            })?;
            info!("Claimed write privileges on the config topic as the leader of generation {generation}");
            *claimed = Some((generation, Some(writer)));
        }
        let Some((_, Some(writer))) = claimed.as_ref() else {
            return Err(HerderError::Internal(
                "This worker lost its write privileges on the config topic (fenced out by a newer leader?); it rejoins the group"
                    .into(),
            ));
        };
        writer.send_all(records, 0).map_err(|e| {
            if let Some((_, writer)) = claimed.as_mut() {
                *writer = None;
            }
            self.request(|r| r.rejoin = true);
            HerderError::Internal(format!(
                "Failed to write to the config topic as the leader (fenced out by a newer leader?): {e}"
            ))
        })
    }

    fn read_config_to_end(&self) -> HerderResult<()> {
        self.read_config(true).map_err(|e| {
            HerderError::Internal(format!("Failed to read the config topic to its end: {e}"))
        })
    }

    /// Leader: writes a connector's task configs and their commit record (Kafka's `putTaskConfigs` order).
    fn write_task_configs(&self, name: &str, configs: &[Config]) -> HerderResult<()> {
        self.read_config_to_end()?;
        let tasks: Vec<(String, Option<Vec<u8>>)> = configs
            .iter()
            .enumerate()
            .map(|(i, c)| (task_key(name, i as u32), Some(properties_value(c))))
            .collect();
        self.send_privileged(&tasks)?;
        self.read_config_to_end()?;
        self.send_privileged(&[(commit_key(name), Some(commit_value(configs.len())))])?;
        self.read_config_to_end()?;
        info!(
            "Wrote {} task config(s) for connector {name}",
            configs.len()
        );
        Ok(())
    }

    /// Leader: a round of zombie fencing for an exactly-once source connector (Kafka's `fenceZombieSourceTasks`).
    /// When its latest task configs came after its latest task count record, the producers of the generation that
    /// record counted are fenced out (not needed when both generations have one task: the new task fences the old
    /// one itself), then a task count record for the current generation is written.
    fn fence_zombies(&self, name: &str) -> HerderResult<()> {
        self.require_leader()?;
        let _one_at_a_time = lock(&self.fencing);
        self.read_config_to_end()?;
        let state = self.snapshot();
        let config = state.connectors.get(name).ok_or_else(|| not_found(name))?;
        if self.connector_kind(config) != Some(PluginKind::Source) {
            return Err(HerderError::BadRequest(format!(
                "Connector {name} is not a source connector"
            )));
        }
        if !state.pending_fencing.contains(name) {
            return Ok(());
        }
        let count = state.tasks.get(name).map_or(0, Vec::len);
        let previous = state.task_count_records.get(name).copied();
        if let (Some(previous), Some(eos)) = (previous, &self.rt.exactly_once) {
            if previous != 1 || count != 1 {
                let ids: Vec<String> = (0..previous)
                    .map(|task| eos.transactional_id(name, task))
                    .collect();
                let admin = crate::kafka::admin_config(&self.rt.worker, config);
                crate::kafka::fence_producers(&admin, &ids).map_err(|e| {
                    HerderError::Internal(format!("Failed to perform zombie fencing: {e}"))
                })?;
                info!("Fenced out the producers of {previous} older task(s) of {name}");
            }
        }
        self.send_privileged(&[(task_count_key(name), Some(task_count_value(count)))])?;
        self.read_config_to_end()
    }

    /// Makes sure a round of zombie fencing happened before an exactly-once task of `name` starts: done here on
    /// the leader, else asked of the leader (`PUT /connectors/{name}/fence`, signed).
    fn ensure_fenced(&self, name: &str) -> Result<(), String> {
        let view = lock(&self.group).clone();
        if view.leader {
            return self.fence_zombies(name).map_err(|e| e.to_string());
        }
        let url = view.leader_url.ok_or("no leader is known")?;
        let key = lock(&self.config).session_key.clone();
        member::fence_on_leader(&url, name, key.as_ref())?;
        self.read_config_to_end().map_err(|e| e.to_string())
    }

    fn connector_kind(&self, config: &Config) -> Option<PluginKind> {
        self.rt.plugin_for(config).ok().map(|p| p.info.kind)
    }
}

/// The distributed herder; cheap to share (`Arc`).
pub struct DistributedHerder {
    inner: Arc<Inner>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

/// Everything the herder is built from.
pub struct DistributedSetup {
    pub worker: WorkerConfig,
    pub dist: DistributedConfig,
    pub worker_id: String,
    pub url: String,
    pub cluster_id: Option<String>,
    pub plugins: Arc<Plugins>,
    pub providers: ConfigProviders,
    /// TLS and SASL of the group connection (`kafka::tls::group_connection_tls`,
    /// `kafka::security::group_connection_sasl`).
    pub group_tls: Option<Arc<rustls::ClientConfig>>,
    pub group_sasl: Option<SaslCredentials>,
}

fn not_found(name: &str) -> HerderError {
    HerderError::NotFound(format!("Connector {name} not found"))
}

impl DistributedHerder {
    /// Creates the internal topics when missing, reads them, and starts the herder thread, which joins the group.
    pub fn start(setup: DistributedSetup) -> Result<DistributedHerder, String> {
        let DistributedSetup {
            worker,
            dist,
            worker_id,
            url,
            cluster_id,
            plugins,
            providers,
            group_tls,
            group_sasl,
        } = setup;
        let protocol = ConnectProtocol::from_str(&dist.connect_protocol)
            .map_err(|e| format!("invalid connect.protocol: {e}"))?;
        let client = crate::kafka::internal_client_config(&worker);
        let client_base = format!("{}-", dist.group_id);
        let spec = |name: &str, partitions: i32, rf: i32, prefix: &str| TopicSpec {
            name: name.to_string(),
            partitions,
            replication_factor: rf,
            configs: DistributedConfig::topic_settings(&worker.raw, prefix),
        };

        let offsets_spec = spec(
            &dist.offset_topic,
            dist.offset_partitions,
            dist.offset_replication_factor,
            "offset.storage",
        );
        let offsets = Arc::new(KafkaOffsetStore::open(
            &client,
            &offsets_spec,
            &format!("{client_base}offsets"),
        )?);
        let connector_offset_topics = ConnectorOffsetTopics::new(
            client.clone(),
            offsets_spec,
            format!("{client_base}offsets"),
        );
        let statuses = KafkaStatusStore::open(
            &client,
            &spec(
                &dist.status_topic,
                dist.status_partitions,
                dist.status_replication_factor,
                "status.storage",
            ),
            &format!("{client_base}statuses"),
        )?;
        let config_spec = spec(
            &dist.config_topic,
            1,
            dist.config_replication_factor,
            "config.storage",
        );
        ensure_topic(&client, &config_spec)?;
        // With exactly-once source support the leader's config writes are transactions: read only committed ones.
        let mut config_client = client.clone();
        if dist.exactly_once_source {
            config_client.set("isolation.level", "read_committed");
        }
        let config_log = KafkaLog::open(
            &config_client,
            &dist.config_topic,
            &format!("{client_base}configs"),
        )?;
        if config_log.partition_count() > 1 {
            return Err(format!(
                "Topic '{}' supplied via the 'config.storage.topic' property is required to have a single partition in order to guarantee consistency of connector configurations, but found {} partitions.",
                dist.config_topic,
                config_log.partition_count()
            ));
        }

        let leader_writer = dist.transactional_leader.then(|| LeaderWriter {
            client: client.clone(),
            transactional_id: format!("connect-cluster-{}", dist.group_id),
            claimed: Mutex::new(None),
        });
        let generation = Arc::new(AtomicI32::new(-1));
        let listener: StatusListener = {
            let statuses = statuses.clone();
            let worker_id = worker_id.clone();
            let generation = generation.clone();
            Box::new(move |subject: StatusSubject, status: &Status| {
                let (key, cached) = match subject {
                    StatusSubject::Connector(name) => {
                        (connector_status_key(&name), statuses.connector(&name))
                    }
                    StatusSubject::Task(id) => (
                        task_status_key(&id.connector, id.task),
                        statuses.task(&id.connector, id.task),
                    ),
                };
                let record = StatusRecord {
                    state: status.state.name().to_string(),
                    trace: status.trace.clone(),
                    worker_id: worker_id.clone(),
                    generation: generation.load(Ordering::SeqCst),
                };
                // Kafka's `putSafe` for UNASSIGNED: a worker giving work up does not overwrite the status that a
                // newer generation's owner already wrote.
                let superseded = status.state == State::Unassigned
                    && cached.is_some_and(|c| !record.may_replace(&c));
                if !superseded {
                    statuses.put(key, Some(record));
                }
            })
        };
        let topic_tracking =
            TopicTracking::new(&worker, statuses.clone() as Arc<dyn ActiveTopicStore>);
        let inner = Arc::new(Inner {
            rt: WorkerRuntime {
                worker,
                plugins,
                providers,
                offsets,
                connector_offset_topics: Some(connector_offset_topics),
                exactly_once: Some(ExactlyOnceSource {
                    enabled: dist.exactly_once_source,
                    group_id: dist.group_id.clone(),
                    offsets_topic: dist.offset_topic.clone(),
                }),
                status: Arc::new(
                    StatusBoard::with_listener(listener)
                        .with_active_topics(topic_tracking.store.clone()),
                ),
                metrics: Arc::default(),
            },
            dist,
            protocol,
            worker_id,
            url,
            cluster_id,
            config_log,
            leader_writer,
            config: Mutex::new(ClusterConfigState::default()),
            restarts: Mutex::new(Vec::new()),
            statuses,
            topic_tracking,
            apply_logger_records: AtomicBool::new(false),
            generation,
            group: Mutex::new(GroupView::default()),
            group_changed: Condvar::new(),
            requests: Mutex::new(Requests::default()),
            wakeup: Condvar::new(),
            fencing: Mutex::new(()),
            group_tls,
            group_sasl,
            started: AtomicBool::new(false),
            stopping: AtomicBool::new(false),
        });
        inner.read_config(true)?;
        // Restart requests and logger levels older than this worker are not for it.
        lock(&inner.restarts).clear();
        inner.apply_logger_records.store(true, Ordering::SeqCst);
        let thread_inner = inner.clone();
        let thread = std::thread::Builder::new()
            .name("herder".into())
            .spawn(move || member::HerderLoop::new(thread_inner).run())
            .map_err(|e| e.to_string())?;
        Ok(DistributedHerder {
            inner,
            thread: Mutex::new(Some(thread)),
        })
    }

    fn status_of(&self, record: Option<StatusRecord>) -> Option<(String, String, Option<String>)> {
        record.map(|r| (r.state, r.worker_id, r.trace))
    }
}

impl Herder for DistributedHerder {
    fn worker_id(&self) -> &str {
        &self.inner.worker_id
    }

    fn kafka_cluster_id(&self) -> Option<String> {
        self.inner.cluster_id.clone()
    }

    fn started(&self) -> bool {
        self.inner.started.load(Ordering::SeqCst)
    }

    fn plugins(&self) -> &Plugins {
        &self.inner.rt.plugins
    }

    fn client_override_policy(&self) -> OverridePolicy {
        self.inner.rt.worker.client_override_policy
    }

    fn metrics(&self) -> String {
        self.inner.rt.render_metrics()
    }

    fn connectors(&self) -> Vec<String> {
        lock(&self.inner.config)
            .connectors
            .keys()
            .cloned()
            .collect()
    }

    fn connector_info(&self, name: &str) -> HerderResult<ConnectorInfo> {
        let state = self.inner.snapshot();
        let config = state
            .connectors
            .get(name)
            .cloned()
            .ok_or_else(|| not_found(name))?;
        let tasks = state.tasks.get(name).map_or(0, Vec::len) as u32;
        Ok(ConnectorInfo {
            name: name.to_string(),
            tasks: (0..tasks)
                .map(|task| ConnectorTaskId {
                    connector: name.to_string(),
                    task,
                })
                .collect(),
            connector_type: self
                .inner
                .connector_kind(&config)
                .map_or("unknown", PluginKind::name)
                .to_string(),
            config,
        })
    }

    fn connector_config(&self, name: &str) -> HerderResult<Config> {
        lock(&self.inner.config)
            .connectors
            .get(name)
            .cloned()
            .ok_or_else(|| not_found(name))
    }

    fn put_connector_config(
        &self,
        name: &str,
        mut config: Config,
        allow_replace: bool,
        initial_state: Option<TargetState>,
    ) -> HerderResult<(bool, ConnectorInfo)> {
        let kind = self.inner.rt.validate_for_put(name, &mut config)?;
        self.inner.require_leader()?;
        self.inner.read_config_to_end()?;
        let previous_tasks = {
            let state = lock(&self.inner.config);
            let exists = state.connectors.contains_key(name);
            if exists && !allow_replace {
                return Err(HerderError::AlreadyExists(format!(
                    "Connector {name} already exists"
                )));
            }
            exists.then(|| state.tasks.get(name).map_or(0, Vec::len) as u32)
        };
        if previous_tasks.is_none() {
            if let Some(target) = initial_state {
                self.inner
                    .send_config(&target_state_key(name), Some(&target_state_value(target)))?;
            }
        }
        self.inner
            .send_privileged(&[(connector_key(name), Some(properties_value(&config)))])?;
        self.inner.read_config_to_end()?;
        info!("Connector {name} config written to the config topic");
        Ok((
            previous_tasks.is_none(),
            ConnectorInfo {
                name: name.to_string(),
                config,
                tasks: (0..previous_tasks.unwrap_or(0))
                    .map(|task| ConnectorTaskId {
                        connector: name.to_string(),
                        task,
                    })
                    .collect(),
                connector_type: kind.name().to_string(),
            },
        ))
    }

    /// Kafka patches on the leader, against the config topic read to end: a follower's local copy may not hold a
    /// connector created a moment ago through another worker.
    fn patch_connector_config(
        &self,
        name: &str,
        patch: BTreeMap<String, Option<String>>,
    ) -> HerderResult<ConnectorInfo> {
        self.inner.require_leader()?;
        self.inner.read_config_to_end()?;
        let config = apply_config_patch(self.connector_config(name)?, patch);
        self.put_connector_config(name, config, true, None)
            .map(|(_, info)| info)
    }

    fn delete_connector(&self, name: &str) -> HerderResult<()> {
        self.inner.require_leader()?;
        self.inner.read_config_to_end()?;
        if !lock(&self.inner.config).connectors.contains_key(name) {
            return Err(not_found(name));
        }
        self.inner
            .send_privileged(&[(connector_key(name), None), (target_state_key(name), None)])?;
        self.inner.read_config_to_end()?;
        self.inner.topic_tracking.reset(name);
        info!("Connector {name} deleted");
        Ok(())
    }

    fn connector_status(&self, name: &str) -> HerderResult<ConnectorStateInfo> {
        let no_status = || HerderError::NotFound(format!("No status found for connector {name}"));
        let state = self.inner.snapshot();
        let config = state.connectors.get(name).ok_or_else(no_status)?;
        let (cstate, worker_id, trace) = self
            .status_of(self.inner.statuses.connector(name))
            .ok_or_else(no_status)?;
        let count = state.tasks.get(name).map_or(0, Vec::len) as u32;
        let tasks = (0..count)
            .filter_map(|t| {
                self.status_of(self.inner.statuses.task(name, t)).map(
                    |(state, worker_id, trace)| TaskState {
                        id: t,
                        state,
                        worker_id,
                        trace,
                    },
                )
            })
            .collect();
        Ok(ConnectorStateInfo {
            name: name.to_string(),
            connector: ConnectorState {
                state: cstate,
                worker_id,
                trace,
            },
            tasks,
            connector_type: self
                .inner
                .connector_kind(config)
                .map_or("unknown", PluginKind::name)
                .to_string(),
        })
    }

    fn task_status(&self, name: &str, task: u32) -> HerderResult<TaskState> {
        let (state, worker_id, trace) = self
            .status_of(self.inner.statuses.task(name, task))
            .filter(|_| lock(&self.inner.config).connectors.contains_key(name))
            .ok_or_else(|| {
                HerderError::NotFound(format!("No status found for task {name}-{task}"))
            })?;
        Ok(TaskState {
            id: task,
            state,
            worker_id,
            trace,
        })
    }

    fn task_configs(&self, name: &str) -> HerderResult<Vec<TaskInfo>> {
        let state = lock(&self.inner.config);
        if !state.connectors.contains_key(name) {
            return Err(not_found(name));
        }
        Ok(state
            .tasks
            .get(name)
            .map(|tasks| {
                tasks
                    .iter()
                    .enumerate()
                    .map(|(i, c)| TaskInfo {
                        id: ConnectorTaskId {
                            connector: name.to_string(),
                            task: i as u32,
                        },
                        config: c.clone(),
                    })
                    .collect()
            })
            .unwrap_or_default())
    }

    fn pause_connector(&self, name: &str) -> HerderResult<()> {
        if !lock(&self.inner.config).connectors.contains_key(name) {
            return Err(not_found(name));
        }
        self.inner.send_config(
            &target_state_key(name),
            Some(&target_state_value(TargetState::Paused)),
        )
    }

    fn resume_connector(&self, name: &str) -> HerderResult<()> {
        if !lock(&self.inner.config).connectors.contains_key(name) {
            return Err(not_found(name));
        }
        self.inner.send_config(
            &target_state_key(name),
            Some(&target_state_value(TargetState::Started)),
        )
    }

    fn stop_connector(&self, name: &str) -> HerderResult<()> {
        self.inner.require_leader()?;
        self.inner.read_config_to_end()?;
        if !lock(&self.inner.config).connectors.contains_key(name) {
            return Err(not_found(name));
        }
        self.inner.write_task_configs(name, &[])?;
        self.inner.send_config(
            &target_state_key(name),
            Some(&target_state_value(TargetState::Stopped)),
        )?;
        self.inner.read_config_to_end()
    }

    fn restart_connector(
        &self,
        name: &str,
        include_tasks: bool,
        only_failed: bool,
    ) -> HerderResult<Option<ConnectorStateInfo>> {
        self.inner.require_leader()?;
        self.inner.read_config_to_end()?;
        if !lock(&self.inner.config).connectors.contains_key(name) {
            return Err(HerderError::NotFound(format!("Unknown connector: {name}")));
        }
        let plan = self.connector_status(name).ok().map(|mut plan| {
            let failed = |s: &str| s == "FAILED";
            if !only_failed || failed(&plan.connector.state) {
                plan.connector.state = "RESTARTING".into();
            }
            if include_tasks {
                for t in plan.tasks.iter_mut() {
                    if !only_failed || failed(&t.state) {
                        t.state = "RESTARTING".into();
                    }
                }
            }
            plan
        });
        self.inner.send_privileged(&[(
            restart_key(name),
            Some(restart_value(include_tasks, only_failed)),
        )])?;
        self.inner.read_config_to_end()?;
        if !include_tasks && !only_failed {
            return Ok(None);
        }
        plan.map(Some)
            .ok_or_else(|| HerderError::NotFound(format!("Status for connector {name} not found")))
    }

    fn restart_task(&self, name: &str, task: u32) -> HerderResult<()> {
        let unknown = || HerderError::NotFound(format!("Unknown task: {name}-{task}"));
        let count = lock(&self.inner.config).tasks.get(name).map_or(0, Vec::len) as u32;
        if task >= count {
            return Err(unknown());
        }
        let id = TaskId {
            connector: name.to_string(),
            task,
        };
        let view = self.inner.group_view();
        if view.owned_tasks.contains(&id) {
            self.inner.request(|r| r.restart_tasks.push(id));
            return Ok(());
        }
        if view.leader {
            return Err(HerderError::NotLeader(view.task_owners.get(&id).cloned()));
        }
        Err(HerderError::NotLeader(
            view.leader_url.filter(|_| view.stable),
        ))
    }

    fn connector_offsets(&self, name: &str) -> HerderResult<ConnectorOffsets> {
        let config = self.connector_config(name)?;
        let kind = self.inner.rt.plugin_for(&config)?.info.kind;
        offsets::read(&self.inner.rt, name, &config, kind)
    }

    fn modify_connector_offsets(
        &self,
        name: &str,
        offsets: Option<Vec<ConnectorOffset>>,
    ) -> HerderResult<String> {
        self.inner.require_leader()?;
        self.inner.read_config_to_end()?;
        let state = self.inner.snapshot();
        let config = state.connectors.get(name).ok_or_else(|| not_found(name))?;
        let stopped = state.target_states.get(name) == Some(&TargetState::Stopped)
            && state.tasks.get(name).is_none_or(Vec::is_empty);
        offsets::require_stopped(name, stopped)?;
        let kind = self.inner.rt.plugin_for(config)?.info.kind;
        offsets::modify(&self.inner.rt, name, config, kind, offsets)
    }

    fn verify_internal_request(
        &self,
        body: &[u8],
        signature: Option<&str>,
        algorithm: Option<&str>,
    ) -> HerderResult<()> {
        if !lock(&self.inner.group).sessioned {
            return Ok(());
        }
        let (Some(signature), Some(algorithm)) = (signature, algorithm) else {
            return Err(HerderError::BadRequest(
                "Internal request missing required signature".into(),
            ));
        };
        let permitted = &self.inner.dist.inter_worker_verification_algorithms;
        if !permitted.iter().any(|a| a == algorithm) {
            return Err(HerderError::BadRequest(format!(
                "This worker does not support the '{algorithm}' key signing algorithm used by other workers. This worker is currently configured to use: {permitted:?}. Check that all workers' configuration files permit the same set of signature algorithms, and correct any misconfigured worker and restart it."
            )));
        }
        let Some(key) = lock(&self.inner.config).session_key.clone() else {
            return Err(HerderError::ServiceUnavailable(
                "This worker has not read a session key from the config topic yet; try again shortly".into(),
            ));
        };
        if signature::verify(&key.key, body, signature) {
            Ok(())
        } else {
            Err(HerderError::Forbidden(
                "Internal request contained invalid signature.".into(),
            ))
        }
    }

    fn exactly_once_checks(&self) -> Option<bool> {
        Some(self.inner.dist.exactly_once_source)
    }

    fn fence_zombies(&self, name: &str) -> HerderResult<()> {
        self.inner.fence_zombies(name)
    }

    fn put_task_configs(&self, name: &str, configs: Vec<Config>) -> HerderResult<()> {
        self.inner.require_leader()?;
        self.inner.read_config_to_end()?;
        if !lock(&self.inner.config).connectors.contains_key(name) {
            return Err(not_found(name));
        }
        self.inner.write_task_configs(name, &configs)
    }

    fn topic_tracking(&self) -> TopicTracking {
        self.inner.topic_tracking.clone()
    }

    /// Any worker writes the record; every worker (this one included) applies it when it reads it back.
    fn set_cluster_logger_level(&self, namespace: &str, level: &str) -> HerderResult<()> {
        self.inner.send_config(
            &logger_cluster_key(namespace),
            Some(&logger_level_value(level)),
        )
    }

    fn shutdown(&self) {
        self.inner.stopping.store(true, Ordering::SeqCst);
        self.inner.wake();
        self.inner.group_changed.notify_all();
        if let Some(thread) = lock(&self.thread).take() {
            if thread.join().is_err() {
                warn!("The herder thread panicked");
            }
        }
        self.inner.statuses.stop();
    }
}
