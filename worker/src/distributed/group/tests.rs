//! Tests of the group client: unit tests, the real test broker (tansu on 127.0.0.1:9092) and librdkafka's mock cluster.
//!
//! Tests named `broker_*` need the test broker (`tests/scripts/services.sh up broker`); they print a note and pass when
//! nothing listens on its port. Tests named `mock_*` host an `rdkafka::mocking::MockCluster` in-process.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rdkafka::mocking::{MockCluster, MockCoordinator};
use rdkafka::types::{RDKafkaApiKey, RDKafkaRespErr};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use super::*;

const BROKER: &str = "127.0.0.1:9092";
const HEARTBEAT_MS: u64 = 300;

fn unique_group(name: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("connect-rs-group-test-{name}-{nanos}")
}

fn config(bootstrap: &str, group_id: &str, client_id: &str) -> GroupConfig {
    GroupConfig {
        bootstrap: bootstrap.split(',').map(str::to_string).collect(),
        group_id: group_id.to_string(),
        client_id: client_id.to_string(),
        // Short so that tansu's first join (about half the session timeout) is quick.
        session_timeout_ms: 6000,
        rebalance_timeout_ms: 10000,
        heartbeat_interval_ms: HEARTBEAT_MS,
        protocol_type: "connect".to_string(),
        tls: None,
        sasl: None,
    }
}

/// Whether the test broker listens; prints why a broker test is skipped otherwise.
fn broker_available(test: &str) -> bool {
    let addr = BROKER.parse().expect("broker address");
    let up = std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(1)).is_ok();
    if !up {
        eprintln!("NOTE: {test} skipped: no test broker on {BROKER} (run tests/scripts/services.sh up broker)");
    }
    up
}

/// Metadata a test worker offers: readable text plus every byte value, to check bytes travel intact.
fn metadata(worker: usize) -> Vec<u8> {
    let mut bytes = format!("worker-{worker}|").into_bytes();
    bytes.extend(0..=255u8);
    bytes
}

fn protocols(worker: usize) -> Vec<(String, Vec<u8>)> {
    vec![
        ("sessioned".to_string(), metadata(worker)),
        ("compatible".to_string(), metadata(worker)),
    ]
}

/// What the leader hands each member: derived from its id and metadata so that the member can check it.
fn expected_assignment(generation: i32, member_id: &str, metadata: &[u8]) -> Vec<u8> {
    let mut bytes = format!("gen {generation} for {member_id}:").into_bytes();
    bytes.extend_from_slice(metadata);
    bytes.extend((0..=255u8).rev());
    bytes
}

fn leader_assignments(join: &JoinResult) -> Vec<(String, Vec<u8>)> {
    join.members
        .iter()
        .map(|(id, meta)| {
            (
                id.clone(),
                expected_assignment(join.generation_id, id, meta),
            )
        })
        .collect()
}

#[derive(Debug)]
enum Event {
    /// A member completed join and sync.
    Synced {
        worker: usize,
        join: JoinResult,
        assignment: Vec<u8>,
    },
    Heartbeat {
        worker: usize,
        generation: i32,
    },
    /// A heartbeat reported REBALANCE_IN_PROGRESS.
    RebalanceSeen {
        worker: usize,
        generation: i32,
    },
    Left {
        worker: usize,
        member_id: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Command {
    Run,
    Leave,
}

/// A worker-like driver: join, sync, heartbeat until the group rebalances, rejoin; leaves when told to.
fn spawn_member(
    worker: usize,
    config: GroupConfig,
    events: mpsc::UnboundedSender<Event>,
) -> (watch::Sender<Command>, JoinHandle<()>) {
    let (commands, mut command) = watch::channel(Command::Run);
    let handle = tokio::spawn(async move {
        let mut member = GroupMember::connect(config).await.expect("connect");
        'rejoin: loop {
            let join = member.join(&protocols(worker)).await.expect("join");
            assert_eq!(join.member_id, member.member_id());
            assert_eq!(join.generation_id, member.generation());
            let assignments = if join.is_leader() {
                leader_assignments(&join)
            } else {
                Vec::new()
            };
            let assignment = match member.sync(join.generation_id, &assignments).await {
                Ok(assignment) => assignment,
                Err(
                    GroupError::RebalanceInProgress
                    | GroupError::IllegalGeneration
                    | GroupError::UnknownMemberId,
                ) => {
                    continue 'rejoin;
                }
                Err(e) => panic!("worker {worker}: sync failed: {e}"),
            };
            let generation = join.generation_id;
            let _ = events.send(Event::Synced {
                worker,
                join,
                assignment,
            });
            loop {
                tokio::select! {
                    _ = command.changed() => {}
                    _ = tokio::time::sleep(Duration::from_millis(HEARTBEAT_MS)) => {}
                }
                if *command.borrow() == Command::Leave {
                    let member_id = member.member_id().to_string();
                    member.leave().await.expect("leave");
                    assert_eq!(member.member_id(), "");
                    assert_eq!(member.generation(), -1);
                    let _ = events.send(Event::Left { worker, member_id });
                    return;
                }
                match member.heartbeat().await {
                    Ok(()) => {
                        let _ = events.send(Event::Heartbeat { worker, generation });
                    }
                    Err(GroupError::RebalanceInProgress) => {
                        let _ = events.send(Event::RebalanceSeen { worker, generation });
                        continue 'rejoin;
                    }
                    Err(GroupError::IllegalGeneration | GroupError::UnknownMemberId) => {
                        continue 'rejoin
                    }
                    Err(e) => panic!("worker {worker}: heartbeat failed: {e}"),
                }
            }
        }
    });
    (commands, handle)
}

/// The latest sync of each worker, and what the events showed so far.
#[derive(Default)]
struct GroupView {
    synced: BTreeMap<usize, (JoinResult, Vec<u8>)>,
    heartbeats: BTreeMap<(usize, i32), usize>,
    rebalances_seen: BTreeSet<(usize, i32)>,
    left: BTreeMap<usize, String>,
}

impl GroupView {
    fn apply(&mut self, event: Event) {
        match event {
            Event::Synced {
                worker,
                join,
                assignment,
            } => {
                self.synced.insert(worker, (join, assignment));
            }
            Event::Heartbeat { worker, generation } => {
                *self.heartbeats.entry((worker, generation)).or_default() += 1
            }
            Event::RebalanceSeen { worker, generation } => {
                self.rebalances_seen.insert((worker, generation));
            }
            Event::Left { worker, member_id } => {
                self.left.insert(worker, member_id);
                self.synced.remove(&worker);
            }
        }
    }

    /// The generation in which exactly `workers` are synced together, once they are.
    fn stable_generation(&self, workers: &BTreeSet<usize>) -> Option<i32> {
        let current: BTreeSet<usize> = self.synced.keys().copied().collect();
        if &current != workers {
            return None;
        }
        let generation = self.synced.values().next()?.0.generation_id;
        if self
            .synced
            .values()
            .any(|(join, _)| join.generation_id != generation)
        {
            return None;
        }
        let leaders: Vec<&JoinResult> = self
            .synced
            .values()
            .map(|(j, _)| j)
            .filter(|j| j.is_leader())
            .collect();
        (leaders.len() == 1 && leaders[0].members.len() == workers.len()).then_some(generation)
    }

    /// Checks the invariants of a stable generation: one leader with every member's metadata, followers without
    /// metadata, every member got exactly the bytes the leader assigned it.
    fn check_generation(&self, workers: &BTreeSet<usize>, generation: i32) {
        let joins: Vec<(usize, &JoinResult, &Vec<u8>)> =
            self.synced.iter().map(|(w, (j, a))| (*w, j, a)).collect();
        let leader_id = &joins[0].1.leader_id;
        let ids: BTreeSet<&str> = joins.iter().map(|(_, j, _)| j.member_id.as_str()).collect();
        assert_eq!(ids.len(), workers.len(), "member ids are unique");
        assert!(
            ids.contains(leader_id.as_str()),
            "the leader is one of the members"
        );
        for (worker, join, assignment) in &joins {
            assert_eq!(join.generation_id, generation);
            assert_eq!(
                &join.leader_id, leader_id,
                "every member sees the same leader"
            );
            assert_eq!(
                join.protocol_name, "sessioned",
                "the coordinator picks the first common protocol"
            );
            if join.is_leader() {
                let by_id: BTreeMap<&str, &Vec<u8>> = join
                    .members
                    .iter()
                    .map(|(id, m)| (id.as_str(), m))
                    .collect();
                assert_eq!(
                    by_id.keys().copied().collect::<BTreeSet<_>>(),
                    ids,
                    "leader sees every member"
                );
                for (w, j, _) in &joins {
                    assert_eq!(
                        by_id[j.member_id.as_str()],
                        &metadata(*w),
                        "metadata of worker {w} intact"
                    );
                }
            } else {
                assert!(join.members.is_empty(), "followers get no member metadata");
            }
            assert_eq!(
                **assignment,
                expected_assignment(generation, &join.member_id, &metadata(*worker)),
                "assignment of worker {worker} intact"
            );
        }
    }
}

/// Applies events until `done` holds for the view, or panics after `timeout`.
async fn wait_for<T>(
    events: &mut mpsc::UnboundedReceiver<Event>,
    view: &mut GroupView,
    timeout: Duration,
    what: &str,
    mut done: impl FnMut(&GroupView) -> Option<T>,
) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(result) = done(view) {
            return result;
        }
        let remaining = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(remaining, events.recv()).await {
            Ok(Some(event)) => view.apply(event),
            Ok(None) => panic!("every member task ended while waiting for {what}"),
            Err(_) => panic!(
                "timed out waiting for {what}; synced: {:?}",
                view.synced
                    .iter()
                    .map(|(w, (j, _))| (w, j.generation_id, j.is_leader()))
                    .collect::<Vec<_>>()
            ),
        }
    }
}

async fn wait_stable(
    events: &mut mpsc::UnboundedReceiver<Event>,
    view: &mut GroupView,
    workers: &BTreeSet<usize>,
) -> i32 {
    let generation = wait_for(
        events,
        view,
        Duration::from_secs(60),
        &format!("workers {workers:?} in one generation"),
        |v| v.stable_generation(workers),
    )
    .await;
    view.check_generation(workers, generation);
    generation
}

async fn wait_heartbeats(
    events: &mut mpsc::UnboundedReceiver<Event>,
    view: &mut GroupView,
    workers: &BTreeSet<usize>,
    generation: i32,
) {
    wait_for(
        events,
        view,
        Duration::from_secs(20),
        "two heartbeats from every member",
        |v| {
            workers
                .iter()
                .all(|w| v.heartbeats.get(&(*w, generation)).copied().unwrap_or(0) >= 2)
                .then_some(())
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn broker_three_members_elect_one_leader_and_sync() {
    if !broker_available("broker_three_members_elect_one_leader_and_sync") {
        return;
    }
    let group = unique_group("three");
    let (tx, mut events) = mpsc::unbounded_channel();
    let members: Vec<_> = (0..3)
        .map(|w| spawn_member(w, config(BROKER, &group, &format!("w{w}")), tx.clone()))
        .collect();
    let mut view = GroupView::default();
    let workers: BTreeSet<usize> = (0..3).collect();
    let generation = wait_stable(&mut events, &mut view, &workers).await;
    wait_heartbeats(&mut events, &mut view, &workers, generation).await;
    for (commands, _) in &members {
        commands.send(Command::Leave).expect("member running");
    }
    for (_, handle) in members {
        handle.await.expect("member task");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn broker_new_member_rebalances_and_leaver_is_gone() {
    if !broker_available("broker_new_member_rebalances_and_leaver_is_gone") {
        return;
    }
    let group = unique_group("rebalance");
    let (tx, mut events) = mpsc::unbounded_channel();
    let mut members: Vec<_> = (0..3)
        .map(|w| spawn_member(w, config(BROKER, &group, &format!("w{w}")), tx.clone()))
        .collect();
    let mut view = GroupView::default();
    let first: BTreeSet<usize> = (0..3).collect();
    let generation1 = wait_stable(&mut events, &mut view, &first).await;
    wait_heartbeats(&mut events, &mut view, &first, generation1).await;

    // A fourth member: the others learn it through REBALANCE_IN_PROGRESS on their heartbeats and rejoin.
    members.push(spawn_member(3, config(BROKER, &group, "w3"), tx.clone()));
    let all: BTreeSet<usize> = (0..4).collect();
    let generation2 = wait_stable(&mut events, &mut view, &all).await;
    assert!(
        generation2 > generation1,
        "new generation {generation2} after {generation1}"
    );
    for w in &first {
        assert!(
            view.rebalances_seen.contains(&(*w, generation1)),
            "worker {w} saw REBALANCE_IN_PROGRESS"
        );
    }
    wait_heartbeats(&mut events, &mut view, &all, generation2).await;

    // Worker 0 leaves: the next generation has the other three only.
    members[0].0.send(Command::Leave).expect("member running");
    let rest: BTreeSet<usize> = (1..4).collect();
    let generation3 = wait_stable(&mut events, &mut view, &rest).await;
    assert!(
        generation3 > generation2,
        "new generation {generation3} after {generation2}"
    );
    let gone = view.left.get(&0).expect("worker 0 left").clone();
    for (join, _) in view.synced.values() {
        assert_ne!(join.member_id, gone);
        assert!(
            join.members.iter().all(|(id, _)| *id != gone),
            "the leaver is not in the next generation"
        );
    }
    wait_heartbeats(&mut events, &mut view, &rest, generation3).await;

    for (commands, _) in &members[1..] {
        commands.send(Command::Leave).expect("member running");
    }
    for (_, handle) in members {
        handle.await.expect("member task");
    }
}

#[tokio::test]
async fn broker_rejects_other_protocol_type() {
    if !broker_available("broker_rejects_other_protocol_type") {
        return;
    }
    let group = unique_group("ptype");
    let mut connect = GroupMember::connect(config(BROKER, &group, "a"))
        .await
        .expect("connect");
    let join = connect.join(&protocols(0)).await.expect("join");
    connect
        .sync(join.generation_id, &leader_assignments(&join))
        .await
        .expect("sync");
    let mut other = config(BROKER, &group, "b");
    other.protocol_type = "consumer".to_string();
    let mut consumer = GroupMember::connect(other).await.expect("connect");
    match consumer.join(&[("range".to_string(), vec![0])]).await {
        Err(GroupError::Kafka { code, .. }) => {
            assert_eq!(code, ResponseError::InconsistentGroupProtocol.code());
        }
        other => panic!("expected INCONSISTENT_GROUP_PROTOCOL, got {other:?}"),
    }
    connect.leave().await.expect("leave");
}

/// A mock cluster with the group's coordinator pinned to broker 1.
///
/// librdkafka's mock advertises JoinGroup up to v6, SyncGroup up to v4 and LeaveGroup up to v4 but parses them only in
/// the versions librdkafka itself sends (it reads JoinGroup/SyncGroup arrays with fixed-width counts, and LeaveGroup
/// as v0-v2). Narrowing what it advertises makes the client negotiate those versions, as it would with an old broker.
fn mock_cluster(group: &str) -> MockCluster<'static, rdkafka::producer::DefaultProducerContext> {
    let cluster = MockCluster::new(3).expect("mock cluster");
    cluster
        .apiversion(RDKafkaApiKey::JoinGroup, Some(0), Some(5))
        .expect("cap JoinGroup");
    cluster
        .apiversion(RDKafkaApiKey::SyncGroup, Some(0), Some(3))
        .expect("cap SyncGroup");
    cluster
        .apiversion(RDKafkaApiKey::LeaveGroup, Some(0), Some(2))
        .expect("cap LeaveGroup");
    cluster
        .coordinator(MockCoordinator::Group(group.to_string()), 1)
        .expect("pin coordinator");
    cluster
}

/// Joins alone and syncs as leader.
async fn join_alone(member: &mut GroupMember) -> JoinResult {
    let join = member.join(&protocols(0)).await.expect("join");
    assert!(join.is_leader());
    let assignment = member
        .sync(join.generation_id, &leader_assignments(&join))
        .await
        .expect("sync");
    assert_eq!(
        assignment,
        expected_assignment(join.generation_id, &join.member_id, &metadata(0))
    );
    join
}

/// Moves the group's coordinator from broker 1 to broker 2 (taking broker 1 down first if asked, as after a broker
/// failure): the member's next heartbeat finds the new coordinator and keeps its membership and generation.
async fn member_follows_the_coordinator_to_broker_2(group: &str, broker_1_down: bool) {
    let cluster = mock_cluster(group);
    let mut member = GroupMember::connect(config(&cluster.bootstrap_servers(), group, "m"))
        .await
        .expect("connect");
    let join = join_alone(&mut member).await;
    member.heartbeat().await.expect("heartbeat");
    let before = member.coordinator_addr().expect("connected").to_string();

    cluster
        .coordinator(MockCoordinator::Group(group.to_string()), 2)
        .expect("move coordinator");
    if broker_1_down {
        cluster.broker_down(1).expect("broker 1 down");
    }
    member
        .heartbeat()
        .await
        .expect("heartbeat after the coordinator moved");
    let after = member.coordinator_addr().expect("connected").to_string();
    assert_ne!(
        before, after,
        "the member reconnected to the new coordinator"
    );
    assert_eq!(member.member_id(), join.member_id);
    assert_eq!(member.generation(), join.generation_id);
    if broker_1_down {
        cluster.broker_up(1).expect("broker 1 up");
    }
    member.leave().await.expect("leave");
}

#[tokio::test]
async fn mock_coordinator_moves_and_member_follows() {
    member_follows_the_coordinator_to_broker_2(&unique_group("mock-move"), false).await;
}

#[tokio::test]
async fn mock_coordinator_broker_down_and_member_follows_the_new_coordinator() {
    member_follows_the_coordinator_to_broker_2(&unique_group("mock-broker-down"), true).await;
}

#[tokio::test]
async fn mock_coordinator_errors_are_retried() {
    use RDKafkaRespErr::*;
    let group = unique_group("mock-errors");
    let cluster = mock_cluster(&group);
    let bootstrap = cluster.bootstrap_servers();

    cluster.request_errors(
        RDKafkaApiKey::FindCoordinator,
        &[
            RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE,
            RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE,
        ],
    );
    let mut member = GroupMember::connect(config(&bootstrap, &group, "m"))
        .await
        .expect("connect");

    cluster.request_errors(
        RDKafkaApiKey::JoinGroup,
        &[
            RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS,
            RD_KAFKA_RESP_ERR_NOT_COORDINATOR,
            RD_KAFKA_RESP_ERR__TRANSPORT,
        ],
    );
    cluster.request_errors(
        RDKafkaApiKey::SyncGroup,
        &[RD_KAFKA_RESP_ERR_NOT_COORDINATOR],
    );
    let join = join_alone(&mut member).await;

    cluster.request_errors(
        RDKafkaApiKey::Heartbeat,
        &[
            RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE,
            RD_KAFKA_RESP_ERR__TRANSPORT,
            RD_KAFKA_RESP_ERR_NOT_COORDINATOR,
        ],
    );
    member.heartbeat().await.expect("heartbeat recovers");
    assert_eq!(member.member_id(), join.member_id);

    cluster.request_errors(
        RDKafkaApiKey::LeaveGroup,
        &[RD_KAFKA_RESP_ERR_NOT_COORDINATOR],
    );
    member.leave().await.expect("leave recovers");
    assert_eq!(member.member_id(), "");
}

#[tokio::test]
async fn mock_membership_errors_reach_the_caller() {
    use RDKafkaRespErr::*;
    let group = unique_group("mock-membership");
    let cluster = mock_cluster(&group);
    let mut cfg = config(&cluster.bootstrap_servers(), &group, "m");
    cfg.session_timeout_ms = 3000; // the mock expires the member that UNKNOWN_MEMBER_ID abandons after this
    let mut member = GroupMember::connect(cfg).await.expect("connect");
    let first = join_alone(&mut member).await;

    cluster.request_errors(
        RDKafkaApiKey::Heartbeat,
        &[RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS],
    );
    assert_eq!(
        member.heartbeat().await,
        Err(GroupError::RebalanceInProgress)
    );
    assert_eq!(
        member.member_id(),
        first.member_id,
        "REBALANCE_IN_PROGRESS keeps the member id"
    );
    let second = join_alone(&mut member).await;
    assert_eq!(second.member_id, first.member_id);
    assert!(second.generation_id > first.generation_id);

    cluster.request_errors(
        RDKafkaApiKey::Heartbeat,
        &[RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION],
    );
    assert_eq!(member.heartbeat().await, Err(GroupError::IllegalGeneration));
    assert_eq!(member.generation(), -1);
    assert_eq!(
        member.member_id(),
        first.member_id,
        "ILLEGAL_GENERATION keeps the member id"
    );
    join_alone(&mut member).await;

    cluster.request_errors(
        RDKafkaApiKey::SyncGroup,
        &[RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS],
    );
    let join = member.join(&protocols(0)).await.expect("join");
    assert_eq!(
        member
            .sync(join.generation_id, &leader_assignments(&join))
            .await,
        Err(GroupError::RebalanceInProgress)
    );

    cluster.request_errors(
        RDKafkaApiKey::Heartbeat,
        &[RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID],
    );
    assert_eq!(member.heartbeat().await, Err(GroupError::UnknownMemberId));
    assert_eq!(
        member.member_id(),
        "",
        "UNKNOWN_MEMBER_ID resets the member id"
    );
    // The mock still holds the old member (the error was injected) until its session expires, so the new one may
    // join as a follower of it, and its expiry rebalances the group once more.
    let mut rejoins = 0;
    let rejoined = loop {
        let join = member
            .join(&protocols(0))
            .await
            .expect("rejoin with a new member id");
        let assignments = if join.is_leader() {
            leader_assignments(&join)
        } else {
            Vec::new()
        };
        match member.sync(join.generation_id, &assignments).await {
            Ok(_) => break join,
            Err(GroupError::RebalanceInProgress) if rejoins < 3 => rejoins += 1,
            Err(e) => panic!("sync after rejoining: {e}"),
        }
    };
    assert!(!rejoined.member_id.is_empty());
    assert_ne!(rejoined.member_id, first.member_id);
    member.heartbeat().await.expect("heartbeat after rejoining");

    member.leave().await.expect("leave");
}

#[tokio::test]
async fn mock_unavailable_coordinator_gives_up_in_bounded_time() {
    let group = unique_group("mock-down");
    let cluster = mock_cluster(&group);
    let errors =
        [RDKafkaRespErr::RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE; 3 * MAX_ATTEMPTS as usize];
    cluster.request_errors(RDKafkaApiKey::FindCoordinator, &errors);
    let started = Instant::now();
    let result = GroupMember::connect(config(&cluster.bootstrap_servers(), &group, "m")).await;
    assert_eq!(result.err(), Some(GroupError::CoordinatorNotAvailable));
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "gave up after {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn nothing_listening_is_an_io_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    drop(listener);
    let mut cfg = config(&addr, "g", "c");
    cfg.session_timeout_ms = 1000; // retry budget: the 5 s minimum
    match GroupMember::connect(cfg).await {
        Err(GroupError::Io(message)) => assert!(message.contains(&addr), "{message}"),
        other => panic!("expected an I/O error, got {other:?}"),
    }
}

/// A fake broker that answers the first request (ApiVersions) with a wrong correlation id.
#[tokio::test]
async fn correlation_mismatch_is_a_protocol_error() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.expect("accept");
        let size = socket.read_i32().await.expect("size");
        let mut request = vec![0u8; usize::try_from(size).expect("size")];
        socket.read_exact(&mut request).await.expect("request");
        assert_eq!(
            i16::from_be_bytes([request[0], request[1]]),
            ApiKey::ApiVersions as i16
        );
        let correlation = i32::from_be_bytes([request[4], request[5], request[6], request[7]]);
        let mut response = Vec::new();
        response.extend_from_slice(&8i32.to_be_bytes());
        response.extend_from_slice(&(correlation + 1).to_be_bytes());
        response.extend_from_slice(&[0, 0, 0, 0]);
        socket.write_all(&response).await.expect("write");
        // Keep the socket open until the client gives up.
        let _ = socket.read_i32().await;
    });
    let result = Connection::open(&addr, "c", None, None, Duration::from_secs(5)).await;
    match result {
        Err(GroupError::Protocol(message)) => assert!(message.contains("correlation"), "{message}"),
        Err(e) => panic!("expected a correlation error, got {e:?}"),
        Ok(_) => panic!("expected a correlation error, got a connection"),
    }
}

/// A fake broker for one connection that speaks ApiVersions, SaslHandshake and the server side of SCRAM-SHA-512 in
/// SaslAuthenticate for user `connect` with `password`, then reads until the client leaves.
async fn fake_scram_broker(password: &'static str) -> String {
    use kafka_protocol::messages::api_versions_response::ApiVersion;
    use kafka_protocol::protocol::Encodable;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.expect("accept");
        let mechanism = Mechanism::ScramSha512;
        let (salt, iterations) = (b"fake-broker-salt".to_vec(), 4096);
        let salted = mechanism.salted_password(password.as_bytes(), &salt, iterations);
        let mut first: Option<(String, String)> = None; // client-first-bare, server-first
        loop {
            let Ok(size) = socket.read_i32().await else {
                return;
            };
            let mut frame = vec![0u8; usize::try_from(size).expect("size")];
            socket.read_exact(&mut frame).await.expect("request");
            let key = ApiKey::try_from(i16::from_be_bytes([frame[0], frame[1]])).expect("api key");
            let version = i16::from_be_bytes([frame[2], frame[3]]);
            let mut body = Bytes::from(frame);
            let header = RequestHeader::decode(&mut body, key.request_header_version(version))
                .expect("request header");
            let mut out = BytesMut::new();
            out.put_i32(0);
            ResponseHeader::default()
                .with_correlation_id(header.correlation_id)
                .encode(&mut out, key.response_header_version(version))
                .expect("response header");
            match key {
                ApiKey::ApiVersions => {
                    let range = |key: ApiKey, min, max| {
                        ApiVersion::default()
                            .with_api_key(key as i16)
                            .with_min_version(min)
                            .with_max_version(max)
                    };
                    ApiVersionsResponse::default()
                        .with_api_keys(vec![
                            range(ApiKey::ApiVersions, 0, 3),
                            range(ApiKey::SaslHandshake, 0, 1),
                            range(ApiKey::SaslAuthenticate, 0, 2),
                        ])
                        .encode(&mut out, version)
                }
                ApiKey::SaslHandshake => {
                    let request = SaslHandshakeRequest::decode(&mut body, version).expect("handshake");
                    let code = if request.mechanism.as_str() == mechanism.name() { 0 } else { 33 };
                    SaslHandshakeResponse::default()
                        .with_error_code(code)
                        .with_mechanisms(vec![StrBytes::from_static_str("SCRAM-SHA-512")])
                        .encode(&mut out, version)
                }
                ApiKey::SaslAuthenticate => {
                    let request =
                        SaslAuthenticateRequest::decode(&mut body, version).expect("authenticate");
                    let message = String::from_utf8(request.auth_bytes.to_vec()).expect("utf-8");
                    let response = match first.take() {
                        None => {
                            let bare = message.strip_prefix("n,,").expect("gs2 header").to_string();
                            let nonce = bare.split_once(",r=").expect("nonce").1;
                            let server_first = format!(
                                "r={nonce}fake,s={},i={iterations}",
                                STANDARD.encode(&salt)
                            );
                            first = Some((bare, server_first.clone()));
                            SaslAuthenticateResponse::default().with_auth_bytes(server_first.into())
                        }
                        Some((bare, server_first)) => {
                            let (without_proof, proof) = message.split_once(",p=").expect("proof");
                            let auth = format!("{bare},{server_first},{without_proof}");
                            let client_key = mechanism.hmac(&salted, b"Client Key");
                            let signature = mechanism.hmac(&mechanism.hash(&client_key), auth.as_bytes());
                            let expected: Vec<u8> =
                                client_key.iter().zip(&signature).map(|(k, s)| k ^ s).collect();
                            if STANDARD.decode(proof).ok() == Some(expected) {
                                let server_key = mechanism.hmac(&salted, b"Server Key");
                                let verifier = mechanism.hmac(&server_key, auth.as_bytes());
                                let server_final = format!("v={}", STANDARD.encode(verifier));
                                SaslAuthenticateResponse::default().with_auth_bytes(server_final.into())
                            } else {
                                SaslAuthenticateResponse::default()
                                    .with_error_code(58)
                                    .with_error_message(Some(StrBytes::from_static_str(
                                        "Authentication failed during authentication due to invalid credentials \
                                         with SASL mechanism SCRAM-SHA-512",
                                    )))
                            }
                        }
                    };
                    response.encode(&mut out, version)
                }
                other => panic!("the fake broker got {other:?}"),
            }
            .expect("response body");
            let size = i32::try_from(out.len() - 4).expect("size");
            out[..4].copy_from_slice(&size.to_be_bytes());
            socket.write_all(&out).await.expect("write");
        }
    });
    addr
}

/// SaslHandshake and SaslAuthenticate on the wire, against a fake broker running the server side of SCRAM: the right
/// password opens the connection, a wrong one fails with the broker's message.
#[tokio::test]
async fn scram_authentication_over_the_wire() {
    let credentials = |password: &str| SaslCredentials {
        mechanism: Mechanism::ScramSha512,
        username: "connect".into(),
        password: password.into(),
    };
    let addr = fake_scram_broker("right").await;
    let timeout = Duration::from_secs(5);
    Connection::open(&addr, "c", None, Some(&credentials("right")), timeout)
        .await
        .expect("authenticated");
    let mut plain = credentials("right");
    plain.mechanism = Mechanism::Plain;
    for (refused, why) in [
        (credentials("wrong"), "invalid credentials"),
        (plain, "enables only SCRAM-SHA-512"),
    ] {
        let addr = fake_scram_broker("right").await;
        match Connection::open(&addr, "c", None, Some(&refused), timeout).await {
            Err(GroupError::Authentication(message)) => assert!(message.contains(why), "{message}"),
            other => panic!(
                "expected an authentication error ({why}), got {:?}",
                other.err()
            ),
        }
    }
}

#[test]
fn error_codes_map_to_group_errors() {
    assert_eq!(GroupError::from_code(27), GroupError::RebalanceInProgress);
    assert_eq!(GroupError::from_code(25), GroupError::UnknownMemberId);
    assert_eq!(GroupError::from_code(22), GroupError::IllegalGeneration);
    assert_eq!(GroupError::from_code(16), GroupError::NotCoordinator);
    assert_eq!(
        GroupError::from_code(15),
        GroupError::CoordinatorNotAvailable
    );
    assert_eq!(
        GroupError::from_code(14),
        GroupError::CoordinatorNotAvailable
    );
    match GroupError::from_code(23) {
        GroupError::Kafka { code: 23, message } => assert!(!message.is_empty()),
        other => panic!("unexpected {other:?}"),
    }
    assert!(GroupError::Io("x".into()).needs_new_coordinator());
    assert!(!GroupError::RebalanceInProgress.needs_new_coordinator());
    assert!(GroupError::Protocol("x".into()).breaks_connection());
}

#[test]
fn join_result_knows_its_leader() {
    let join = JoinResult {
        generation_id: 0,
        member_id: "a".into(),
        leader_id: "a".into(),
        protocol_name: "sessioned".into(),
        members: Vec::new(),
    };
    assert!(join.is_leader());
    assert!(!JoinResult {
        leader_id: "b".into(),
        ..join
    }
    .is_leader());
}
