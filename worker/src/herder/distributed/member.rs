//! The herder thread: joins the worker group, computes assignments when it is the leader, applies this worker's
//! assignment (revoking and starting only what changed), reacts to config topic changes, and publishes task configs.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine;
use connect_api::Config;
use tokio::sync::Mutex as AsyncMutex;
use tracing::{debug, info, warn};

use super::work::Work;
use super::{lock, GroupView, Inner};
use crate::distributed::assignor::{
    config_mismatch_assignments, eager_assign, incremental_assign, max_config_offset,
    ConnectorsAndTasks, IncrementalAssignorState, IncrementalInput,
};
use crate::distributed::group::{GroupConfig, GroupError, GroupMember};
use crate::distributed::protocol::{
    join_group_protocols, Assignment, ConnectProtocol, WorkerMetadata, PROTOCOL_TYPE,
};
use crate::rest::signature::{self, HMAC_SHA256};
use crate::storage::config_topic::{
    session_key_value, ClusterConfigState, SessionKey, SESSION_KEY,
};
use crate::task::TaskId;

/// How often the herder thread looks at the config topic and its queues when nothing wakes it.
const TICK: Duration = Duration::from_millis(250);
/// Pause before retrying a failed join or a failed task config publication.
const RETRY_BACKOFF: Duration = Duration::from_millis(500);

type Member = Arc<AsyncMutex<GroupMember>>;

pub(super) struct HerderLoop {
    inner: Arc<Inner>,
    runtime: tokio::runtime::Runtime,
    member: Option<Member>,
    /// The leader's assignor memory (reset when another worker leads).
    assignor: IncrementalAssignorState,
    /// What this worker was assigned (its full current set).
    assigned: ConnectorsAndTasks,
    /// The last assignment received (leader id and URL for the metadata).
    last_assignment: Assignment,
    /// The config snapshot the running work was last reconciled with.
    applied: ClusterConfigState,
    work: Work,
    /// A rebalance the assignment asked for after its delay.
    scheduled_rejoin: Option<Instant>,
    last_completed_generation: i32,
    /// Bumped before a rejoin that must start a new generation (see [`HerderLoop::metadata`]).
    metadata_epoch: i32,
    /// Task configs that could not be published yet.
    unpublished: BTreeMap<String, Vec<Config>>,
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

fn task_id((connector, task): &(String, u32)) -> TaskId {
    TaskId {
        connector: connector.clone(),
        task: *task,
    }
}

/// Connectors and their committed task counts, as the assignors take them.
fn configured(state: &ClusterConfigState) -> BTreeMap<String, u32> {
    state
        .connectors
        .keys()
        .map(|c| (c.clone(), state.tasks.get(c).map_or(0, Vec::len) as u32))
        .collect()
}

impl HerderLoop {
    pub fn new(inner: Arc<Inner>) -> HerderLoop {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("group-member")
            .enable_all()
            .build()
            .expect("building the group member runtime");
        let applied = inner.snapshot();
        HerderLoop {
            inner,
            runtime,
            member: None,
            assignor: IncrementalAssignorState::default(),
            assigned: ConnectorsAndTasks::default(),
            last_assignment: Assignment::default(),
            applied,
            work: Work::default(),
            scheduled_rejoin: None,
            last_completed_generation: -1,
            metadata_epoch: 0,
            unpublished: BTreeMap::new(),
        }
    }

    fn stopping(&self) -> bool {
        self.inner.stopping.load(Ordering::SeqCst)
    }

    pub fn run(mut self) {
        let mut need_join = true;
        while !self.stopping() {
            if self.scheduled_rejoin.is_some_and(|t| Instant::now() >= t) {
                self.scheduled_rejoin = None;
                self.metadata_epoch = self.metadata_epoch.wrapping_add(1);
                need_join = true;
            }
            need_join |= std::mem::take(&mut lock(&self.inner.requests).rejoin);
            if need_join {
                match self.rebalance() {
                    Ok(rejoin) => need_join = rejoin,
                    Err(e) => {
                        warn!("Joining the worker group failed: {e}; retrying");
                        self.set_unstable();
                        std::thread::sleep(RETRY_BACKOFF);
                        continue;
                    }
                }
            }
            if let Err(e) = self.inner.read_config(false) {
                warn!("Reading the config topic failed: {e}");
            }
            need_join |= self.reconcile();
            self.process_requests();
            self.process_restarts();
            self.retry_unpublished();
            self.rotate_session_key();
            if need_join {
                continue;
            }
            let requests = lock(&self.inner.requests);
            let idle = requests.reconfigure.is_empty()
                && requests.restart_tasks.is_empty()
                && !requests.rejoin;
            if idle && !self.stopping() {
                let _ = self.inner.wakeup.wait_timeout(requests, TICK);
            }
        }
        info!("Stopping the connectors and tasks of this worker");
        self.work.stop_all(&self.inner, false);
        if let Some(member) = self.member.take() {
            let left = self
                .runtime
                .block_on(async move { member.lock().await.leave().await });
            if let Err(e) = left {
                warn!("Leaving the worker group failed: {e}");
            }
        }
    }

    fn set_unstable(&self) {
        let mut view = lock(&self.inner.group);
        view.stable = false;
    }

    fn member(&mut self) -> Result<Member, GroupError> {
        if let Some(m) = &self.member {
            return Ok(m.clone());
        }
        let d = &self.inner.dist;
        let config = GroupConfig {
            bootstrap: self
                .inner
                .rt
                .worker
                .bootstrap_servers
                .split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect(),
            group_id: d.group_id.clone(),
            client_id: format!("{}-{}", d.group_id, self.inner.worker_id),
            session_timeout_ms: d.session_timeout_ms,
            rebalance_timeout_ms: d.rebalance_timeout_ms,
            heartbeat_interval_ms: d.heartbeat_interval_ms.max(1) as u64,
            protocol_type: PROTOCOL_TYPE.to_string(),
            tls: self.inner.group_tls.clone(),
            sasl: self.inner.group_sasl.clone(),
        };
        let member = self.runtime.block_on(GroupMember::connect(config))?;
        let member = Arc::new(AsyncMutex::new(member));
        self.spawn_heartbeats(member.clone());
        self.member = Some(member.clone());
        Ok(member)
    }

    /// Heartbeats on the member runtime while the group is stable, so that slow work on the herder thread does
    /// not cost this worker its membership; a heartbeat that says "rejoin" wakes the herder thread.
    fn spawn_heartbeats(&self, member: Member) {
        let inner = self.inner.clone();
        let interval = Duration::from_millis(self.inner.dist.heartbeat_interval_ms.max(100) as u64);
        self.runtime.spawn(async move {
            loop {
                tokio::time::sleep(interval).await;
                if inner.stopping.load(Ordering::SeqCst) {
                    return;
                }
                if !lock(&inner.group).stable {
                    continue;
                }
                let result = member.lock().await.heartbeat().await;
                match result {
                    Ok(()) => {}
                    Err(e) => {
                        debug!("Heartbeat: {e}; rejoining");
                        inner.request(|r| r.rejoin = true);
                    }
                }
            }
        });
    }

    /// This worker's JoinGroup metadata.
    fn metadata(&self, config_offset: i64) -> WorkerMetadata {
        let allocation = (self.inner.protocol.is_incremental() && self.member_generation() >= 0)
            .then(|| Assignment {
                leader: self.last_assignment.leader.clone(),
                leader_url: self.last_assignment.leader_url.clone(),
                config_offset: self.last_assignment.config_offset,
                connectors: self.assigned.connectors.iter().cloned().collect(),
                tasks: self.assigned.tasks.iter().cloned().collect(),
                // Assignors read only the connectors and tasks of an allocation (Java's too). An epoch in the
                // otherwise unused delay field makes the metadata of a delayed rejoin new: Kafka starts a new
                // generation whenever the leader rejoins, but the test broker (tansu) keeps the generation, and
                // hands back its old assignments, when no member's metadata changed, which would leave delayed
                // or load-balancing reassignments undelivered. Bumped only for such rejoins, so that members
                // rejoining at different moments do not keep restarting each other's rebalances.
                delay_ms: self.metadata_epoch,
                ..Assignment::default()
            });
        WorkerMetadata {
            url: self.inner.url.clone(),
            config_offset,
            allocation,
        }
    }

    fn member_generation(&self) -> i32 {
        self.last_completed_generation
    }

    /// One JoinGroup/SyncGroup round and the application of its assignment. Returns whether another round is
    /// needed at once (revocations, a config mismatch).
    fn rebalance(&mut self) -> Result<bool, String> {
        self.inner.rt.metrics.rebalance.started();
        self.set_unstable();
        self.inner.read_config(true)?;
        let snapshot = self.inner.snapshot();
        if self.inner.protocol == ConnectProtocol::Eager {
            // Eager members give everything up before joining.
            self.work.stop_all(&self.inner, true);
            self.assigned = ConnectorsAndTasks::default();
        }
        let metadata = self.metadata(snapshot.offset);
        let protocols: Vec<(String, Vec<u8>)> =
            join_group_protocols(self.inner.protocol, &metadata)
                .map_err(|e| e.to_string())?
                .into_iter()
                .map(|(n, m)| (n.to_string(), m))
                .collect();
        let member = self.member().map_err(|e| e.to_string())?;
        let (join, my_assignment, protocol, kept_generation) = {
            let mut m = self.runtime.block_on(member.lock());
            let join = self
                .runtime
                .block_on(m.join(&protocols))
                .map_err(|e| e.to_string())?;
            let protocol = ConnectProtocol::from_protocol_name(&join.protocol_name)
                .ok_or_else(|| format!("unknown group protocol {}", join.protocol_name))?;
            let assignments = if join.is_leader() {
                self.assign(&join.members, &join.member_id, join.generation_id, protocol)?
            } else {
                Vec::new()
            };
            let mut kept_generation = false;
            let mut bytes = self
                .runtime
                .block_on(m.sync(join.generation_id, &assignments))
                .map_err(|e| e.to_string())?;
            let computed = assignments.iter().find(|(id, _)| *id == join.member_id);
            if let Some((_, mine)) = computed.filter(|(_, mine)| {
                join.generation_id == self.last_completed_generation && *mine != bytes
            }) {
                // Kafka starts a new generation whenever the leader rejoins. The test broker (tansu) keeps the
                // generation when the leader's metadata did not change, and SyncGroup then hands back the
                // generation's first assignment. The leader's own new assignment is authoritative for itself.
                warn!(
                    "The coordinator kept generation {} and returned its earlier assignment; applying the one this leader computed",
                    join.generation_id
                );
                bytes = mine.clone();
                kept_generation = true;
            }
            let assignment = Assignment::decode(&bytes).map_err(|e| e.to_string())?;
            (join, assignment, protocol, kept_generation)
        };
        self.last_completed_generation = join.generation_id;
        info!(
            "Joined group {} at generation {} as {} ({}; protocol {}): assigned connectors {:?}, tasks {:?}, revoked connectors {:?}, tasks {:?}, delay {} ms",
            self.inner.dist.group_id,
            join.generation_id,
            join.member_id,
            if join.is_leader() { "leader" } else { "follower" },
            protocol,
            my_assignment.connectors,
            my_assignment.tasks,
            my_assignment.revoked_connectors,
            my_assignment.revoked_tasks,
            my_assignment.delay_ms
        );
        if my_assignment.failed() {
            warn!("The leader's config is behind (config mismatch); reading the config topic and rejoining");
            self.inner.read_config(true)?;
            return Ok(true);
        }
        if my_assignment.config_offset > self.inner.snapshot().offset {
            let sync = Duration::from_millis(self.inner.dist.worker_sync_timeout_ms.max(1) as u64);
            let deadline = Instant::now() + sync;
            while self.inner.snapshot().offset < my_assignment.config_offset {
                if Instant::now() >= deadline {
                    warn!(
                        "Could not catch up with the config topic to offset {}; rejoining",
                        my_assignment.config_offset
                    );
                    return Ok(true);
                }
                self.inner.read_config(true)?;
            }
        }
        self.inner
            .generation
            .store(join.generation_id, Ordering::SeqCst);
        self.inner.rt.metrics.rebalance.completed(
            join.generation_id,
            &my_assignment.leader,
            &protocol.to_string(),
        );
        let others = join.members.len() > 1;
        let rejoin =
            self.apply_assignment(&join.member_id, join.is_leader(), protocol, my_assignment);
        if kept_generation && others {
            // The other members got stale assignments too: rejoin with new metadata to deliver theirs.
            self.metadata_epoch = self.metadata_epoch.wrapping_add(1);
            return Ok(true);
        }
        Ok(rejoin)
    }

    /// The leader's assignments for every member, encoded for SyncGroup.
    fn assign(
        &mut self,
        members: &[(String, Vec<u8>)],
        leader_id: &str,
        generation: i32,
        protocol: ConnectProtocol,
    ) -> Result<Vec<(String, Vec<u8>)>, String> {
        let decoded: Vec<(String, WorkerMetadata)> = members
            .iter()
            .map(|(id, m)| {
                WorkerMetadata::decode(m)
                    .map(|meta| (id.clone(), meta))
                    .map_err(|e| format!("member {id} sent bad metadata: {e}"))
            })
            .collect::<Result<_, _>>()?;
        let mut snapshot = self.inner.snapshot();
        if let Some(max) = max_config_offset(&decoded).filter(|m| *m > snapshot.offset) {
            self.inner.read_config(true)?;
            snapshot = self.inner.snapshot();
            if max > snapshot.offset {
                warn!("A member has read the config topic further ({max}) than the leader ({}): config mismatch", snapshot.offset);
                let out = config_mismatch_assignments(
                    decoded.iter().map(|(id, _)| id.as_str()),
                    leader_id,
                    &self.inner.url,
                    max,
                );
                return encode_all(out, protocol);
            }
        }
        let connectors = configured(&snapshot);
        let urls: BTreeMap<&str, &str> = decoded
            .iter()
            .map(|(id, m)| (id.as_str(), m.url.as_str()))
            .collect();
        let (assignments, all): (
            BTreeMap<String, Assignment>,
            BTreeMap<String, ConnectorsAndTasks>,
        ) = if protocol.is_incremental() {
            let outcome = incremental_assign(
                &IncrementalInput {
                    members: &decoded,
                    connectors: &connectors,
                    leader: leader_id,
                    leader_url: &self.inner.url,
                    config_offset: snapshot.offset,
                    now_ms: now_ms(),
                    max_delay_ms: self.inner.dist.scheduled_rebalance_max_delay_ms,
                    generation_id: generation,
                    last_completed_generation_id: self.last_completed_generation,
                },
                std::mem::take(&mut self.assignor),
            );
            self.assignor = outcome.state;
            (outcome.assignments, outcome.all_assigned)
        } else {
            let out = eager_assign(
                &decoded,
                &connectors,
                leader_id,
                &self.inner.url,
                snapshot.offset,
            );
            let all = out
                .iter()
                .map(|(m, a)| {
                    (
                        m.clone(),
                        ConnectorsAndTasks {
                            connectors: a.connectors.iter().cloned().collect(),
                            tasks: a.tasks.iter().cloned().collect(),
                        },
                    )
                })
                .collect();
            (out, all)
        };
        let mut owners = BTreeMap::new();
        for (member, items) in &all {
            if let Some(url) = urls.get(member.as_str()) {
                for t in &items.tasks {
                    owners.insert(task_id(t), url.to_string());
                }
            }
        }
        lock(&self.inner.group).task_owners = owners;
        encode_all(assignments, protocol)
    }

    /// Stops what was revoked, starts what is new, and publishes the group view. Returns whether to rejoin now.
    fn apply_assignment(
        &mut self,
        member_id: &str,
        leader: bool,
        protocol: ConnectProtocol,
        a: Assignment,
    ) -> bool {
        if !leader {
            // A new leader starts from scratch, as Java's does.
            self.assignor = IncrementalAssignorState::default();
        }
        self.last_assignment = Assignment {
            leader: a.leader.clone(),
            leader_url: a.leader_url.clone(),
            config_offset: a.config_offset,
            ..Assignment::default()
        };
        let snapshot = self.inner.snapshot();
        let revoked_tasks: Vec<TaskId> = a.revoked_tasks.iter().map(task_id).collect();
        if protocol.is_incremental() {
            self.work
                .stop_tasks(&self.inner, &revoked_tasks, true, false);
            for c in &a.revoked_connectors {
                self.work.stop_connector(&self.inner, c, true, false);
                self.assigned.connectors.remove(c);
            }
            for t in &a.revoked_tasks {
                self.assigned.tasks.remove(t);
            }
        } else {
            // Eager: the assignment is the whole set (everything was stopped before joining).
            self.assigned = ConnectorsAndTasks::default();
        }
        self.assigned
            .connectors
            .extend(a.connectors.iter().cloned());
        self.assigned.tasks.extend(a.tasks.iter().cloned());
        {
            let mut view = lock(&self.inner.group);
            let task_owners = if leader {
                std::mem::take(&mut view.task_owners)
            } else {
                BTreeMap::new()
            };
            *view = GroupView {
                stable: true,
                leader,
                sessioned: protocol == ConnectProtocol::Sessioned,
                leader_url: Some(a.leader_url.clone()).filter(|u| !u.is_empty()),
                owned_tasks: self.assigned.tasks.iter().map(task_id).collect(),
                task_owners,
            };
            self.inner.group_changed.notify_all();
        }
        debug!("Member {member_id} now runs {:?}", self.assigned);
        // Work kept across the rebalance catches up with config records read since it was last reconciled.
        for (name, configs) in self.work.reconcile(&self.inner, &snapshot) {
            self.publish(&name, configs, &snapshot);
        }
        for c in &a.connectors {
            if let Some(configs) = self.work.start_connector(&self.inner, c, &snapshot) {
                self.publish(c, configs, &snapshot);
            }
        }
        for t in &a.tasks {
            self.work.start_task(&self.inner, &task_id(t), &snapshot);
        }
        self.applied = snapshot;
        self.inner.started.store(true, Ordering::SeqCst);
        self.scheduled_rejoin =
            (a.delay_ms > 0).then(|| Instant::now() + Duration::from_millis(a.delay_ms as u64));
        protocol.is_incremental()
            && (!a.revoked_connectors.is_empty() || !a.revoked_tasks.is_empty())
    }

    /// Reacts to config topic changes since the last look. Returns whether the group must rebalance (connectors or
    /// task counts changed).
    fn reconcile(&mut self) -> bool {
        let current = self.inner.snapshot();
        if current.offset == self.applied.offset {
            return false;
        }
        let rebalance = configured(&current) != configured(&self.applied);
        for (name, configs) in self.work.reconcile(&self.inner, &current) {
            self.publish(&name, configs, &current);
        }
        self.applied = current;
        if rebalance {
            info!("Connectors or task counts changed in the config topic; rebalancing");
        }
        rebalance
    }

    /// Task reconfiguration requests and task restarts asked through REST.
    fn process_requests(&mut self) {
        let (reconfigure, restarts) = {
            let mut r = lock(&self.inner.requests);
            (
                std::mem::take(&mut r.reconfigure),
                std::mem::take(&mut r.restart_tasks),
            )
        };
        let snapshot = self.inner.snapshot();
        for name in reconfigure {
            if let Some(configs) = self.work.regenerate(&self.inner, &name) {
                self.publish(&name, configs, &snapshot);
            }
        }
        for id in restarts {
            self.work.restart_task(&self.inner, &id, &snapshot);
        }
    }

    /// Restart requests from the config topic: each worker restarts what it runs.
    fn process_restarts(&mut self) {
        let requests = std::mem::take(&mut *lock(&self.inner.restarts));
        if requests.is_empty() {
            return;
        }
        let snapshot = self.inner.snapshot();
        for r in requests {
            let failed = |state: Option<String>| state.as_deref() == Some("FAILED");
            let connector_failed =
                failed(self.inner.statuses.connector(&r.connector).map(|s| s.state));
            let restart_connector = !r.only_failed || connector_failed;
            if restart_connector && self.work.connectors().contains(&r.connector) {
                info!("Restarting connector {}", r.connector);
                self.work
                    .stop_connector(&self.inner, &r.connector, false, false);
                self.inner.rt.status.set_connector(
                    &r.connector,
                    crate::task::State::Restarting,
                    None,
                );
                if let Some(configs) =
                    self.work
                        .start_connector(&self.inner, &r.connector, &snapshot)
                {
                    self.publish(&r.connector, configs, &snapshot);
                }
            }
            if !r.include_tasks {
                continue;
            }
            for id in self.work.tasks() {
                if id.connector != r.connector {
                    continue;
                }
                let task_failed = failed(
                    self.inner
                        .statuses
                        .task(&id.connector, id.task)
                        .map(|s| s.state),
                );
                if !r.only_failed || task_failed {
                    info!("Restarting task {id}");
                    self.work.restart_task(&self.inner, &id, &snapshot);
                }
            }
        }
    }

    /// Leader of a `sessioned` group: writes a new session key when there is none or it is older than
    /// `inter.worker.key.ttl.ms` (KIP-507).
    fn rotate_session_key(&mut self) {
        let view = lock(&self.inner.group).clone();
        if !(view.stable && view.leader && view.sessioned) {
            return;
        }
        let now = now_ms();
        let current = lock(&self.inner.config).session_key.clone();
        let due = current.is_none_or(|k| {
            k.creation_timestamp
                .saturating_add(self.inner.dist.inter_worker_key_ttl_ms)
                <= now
        });
        if !due {
            return;
        }
        let mut bytes = vec![0u8; self.inner.dist.inter_worker_key_bytes];
        if let Err(e) = std::fs::File::open("/dev/urandom")
            .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut bytes))
        {
            warn!("Cannot generate a session key: {e}");
            return;
        }
        let key = SessionKey {
            key: base64::engine::general_purpose::STANDARD.encode(&bytes),
            algorithm: HMAC_SHA256.to_string(),
            creation_timestamp: now,
        };
        let written = self
            .inner
            .send_privileged(&[(SESSION_KEY.to_string(), Some(session_key_value(&key)))])
            .and_then(|()| self.inner.read_config_to_end());
        match written {
            Ok(()) => info!("Wrote a new session key"),
            Err(e) => warn!("Could not write a new session key: {e}"),
        }
    }

    /// Publishes a connector's task configs when they differ from the committed ones: written directly by the
    /// leader, sent to the leader's internal endpoint by other workers.
    fn publish(&mut self, name: &str, configs: Vec<Config>, state: &ClusterConfigState) {
        let unchanged =
            state.tasks.get(name) == Some(&configs) && !state.inconsistent.contains(name);
        if unchanged {
            self.unpublished.remove(name);
            return;
        }
        let view = lock(&self.inner.group).clone();
        let result = if view.leader {
            self.inner
                .write_task_configs(name, &configs)
                .map_err(|e| e.to_string())
        } else {
            match &view.leader_url {
                Some(url) => {
                    let key = lock(&self.inner.config).session_key.clone();
                    send_to_leader(url, name, &configs, key.as_ref())
                }
                None => Err("no leader is known".to_string()),
            }
        };
        match result {
            Ok(()) => {
                self.unpublished.remove(name);
            }
            Err(e) => {
                warn!("Could not publish the task configs of {name}: {e}; retrying");
                self.unpublished.insert(name.to_string(), configs);
            }
        }
    }

    fn retry_unpublished(&mut self) {
        if self.unpublished.is_empty() {
            return;
        }
        std::thread::sleep(RETRY_BACKOFF);
        let snapshot = self.inner.snapshot();
        let pending = std::mem::take(&mut self.unpublished);
        for (name, configs) in pending {
            if snapshot.connectors.contains_key(&name) && self.work.connectors().contains(&name) {
                self.publish(&name, configs, &snapshot);
            }
        }
    }
}

fn encode_all(
    assignments: BTreeMap<String, Assignment>,
    protocol: ConnectProtocol,
) -> Result<Vec<(String, Vec<u8>)>, String> {
    assignments
        .into_iter()
        .map(|(m, a)| {
            a.encode(protocol.version())
                .map(|bytes| (m, bytes))
                .map_err(|e| e.to_string())
        })
        .collect()
}

/// `POST <leader>/connectors/<name>/tasks?forward=true` with the task configs (Kafka's internal endpoint).
fn send_to_leader(
    leader_url: &str,
    name: &str,
    configs: &[Config],
    key: Option<&SessionKey>,
) -> Result<(), String> {
    let body = serde_json::to_vec(configs).map_err(|e| e.to_string())?;
    let call = InternalCall {
        put: false,
        action: "tasks",
        timeout: Duration::from_secs(15),
    };
    call.send(leader_url, name, &body, key)
}

/// `PUT <leader>/connectors/<name>/fence?forward=true`: asks the leader for a round of zombie fencing.
pub(super) fn fence_on_leader(
    leader_url: &str,
    name: &str,
    key: Option<&SessionKey>,
) -> Result<(), String> {
    let call = InternalCall {
        put: true,
        action: "fence",
        timeout: Duration::from_secs(90),
    };
    call.send(leader_url, name, b"", key)
}

/// An internal request to the leader (`<method> <leader>/connectors/<name>/<action>?forward=true`), signed with the
/// session key (KIP-507) when there is one.
struct InternalCall {
    /// PUT, else POST.
    put: bool,
    action: &'static str,
    timeout: Duration,
}

impl InternalCall {
    fn send(
        &self,
        leader_url: &str,
        name: &str,
        body: &[u8],
        key: Option<&SessionKey>,
    ) -> Result<(), String> {
        let agent = crate::rest::client::agent(self.timeout);
        let url = format!(
            "{}/connectors/{}/{}?forward=true",
            leader_url.trim_end_matches('/'),
            path_segment(name),
            self.action
        );
        let (method, request) = if self.put {
            ("PUT", agent.put(&url))
        } else {
            ("POST", agent.post(&url))
        };
        let mut request = request.header("Content-Type", "application/json");
        if let Some(signed) = key.and_then(|k| signature::sign(&k.key, body)) {
            request = request
                .header(signature::SIGNATURE_HEADER, signed)
                .header(signature::ALGORITHM_HEADER, HMAC_SHA256);
        }
        let mut response = request
            .send(body)
            .map_err(|e| format!("{method} {url}: {e}"))?;
        if response.status().is_success() {
            Ok(())
        } else {
            let text = response.body_mut().read_to_string().unwrap_or_default();
            Err(format!("{method} {url}: HTTP {} {text}", response.status()))
        }
    }
}

/// Percent-encodes a connector name for use as one URL path segment (RFC 3986 unreserved characters stay).
fn path_segment(name: &str) -> String {
    name.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connector_names_are_encoded_as_one_path_segment() {
        assert_eq!(path_segment("my-conn_1.x~"), "my-conn_1.x~");
        assert_eq!(path_segment("a b/c?é"), "a%20b%2Fc%3F%C3%A9");
    }

    #[test]
    fn assignors_see_committed_task_counts() {
        let mut state = ClusterConfigState::default();
        state.apply(0, "connector-a", Some(br#"{"properties":{}}"#));
        state.apply(1, "connector-b", Some(br#"{"properties":{}}"#));
        state.apply(2, "task-a-0", Some(br#"{"properties":{}}"#));
        state.apply(3, "task-a-1", Some(br#"{"properties":{}}"#));
        state.apply(4, "commit-a", Some(br#"{"tasks":2}"#));
        let counts: Vec<(String, u32)> = configured(&state).into_iter().collect();
        assert_eq!(counts, vec![("a".to_string(), 2), ("b".to_string(), 0)]);
    }
}
