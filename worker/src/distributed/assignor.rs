//! The group leader's assignment computation (Kafka's EagerAssignor and IncrementalCooperativeAssignor, KIP-415) as pure functions.

// Nothing here does I/O or reads a clock: the caller passes `now_ms`, the members' decoded metadata and the
// configured connectors, and keeps the [`IncrementalAssignorState`] between rebalances (the leader only; a
// worker that is not the leader keeps a default state, and a new leader starts from the default state as Java's
// does).

use std::collections::{BTreeMap, BTreeSet};

use super::protocol::{Assignment, WorkerMetadata, CONFIG_MISMATCH, NO_ERROR};

/// A task id: (connector name, task number).
pub type TaskId = (String, u32);

/// A set of connectors and tasks.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConnectorsAndTasks {
    /// Connector ids.
    pub connectors: BTreeSet<String>,
    /// Task ids.
    pub tasks: BTreeSet<TaskId>,
}

impl ConnectorsAndTasks {
    /// Whether both sets are empty.
    pub fn is_empty(&self) -> bool {
        self.connectors.is_empty() && self.tasks.is_empty()
    }

    fn add_all(&mut self, other: &ConnectorsAndTasks) {
        self.connectors.extend(other.connectors.iter().cloned());
        self.tasks.extend(other.tasks.iter().cloned());
    }

    fn minus(&self, subtract: &[&ConnectorsAndTasks]) -> ConnectorsAndTasks {
        let mut out = self.clone();
        for s in subtract {
            out.connectors.retain(|c| !s.connectors.contains(c));
            out.tasks.retain(|t| !s.tasks.contains(t));
        }
        out
    }

    fn intersects(&self, other: &ConnectorsAndTasks) -> bool {
        self.connectors.iter().any(|c| other.connectors.contains(c))
            || self.tasks.iter().any(|t| other.tasks.contains(t))
    }
}

/// Builds an assignment without revocations or delay.
fn plain_assignment(error: i16, leader: &str, leader_url: &str, config_offset: i64) -> Assignment {
    Assignment {
        error,
        leader: leader.to_string(),
        leader_url: leader_url.to_string(),
        config_offset,
        ..Assignment::default()
    }
}

/// The assignments sent when the leader's config snapshot is behind `max_offset` (the largest offset any member
/// reported) and cannot catch up: [`CONFIG_MISMATCH`], nothing assigned or revoked, the max offset.
pub fn config_mismatch_assignments<'a>(
    member_ids: impl IntoIterator<Item = &'a str>,
    leader: &str,
    leader_url: &str,
    max_offset: i64,
) -> BTreeMap<String, Assignment> {
    member_ids
        .into_iter()
        .map(|m| {
            (
                m.to_string(),
                plain_assignment(CONFIG_MISMATCH, leader, leader_url, max_offset),
            )
        })
        .collect()
}

/// The largest config offset reported by any member (`None` for no members).
pub fn max_config_offset(members: &[(String, WorkerMetadata)]) -> Option<i64> {
    members.iter().map(|(_, m)| m.config_offset).max()
}

/// Kafka's EagerAssignor: sorts connectors and members, assigns connectors round-robin, then every task (connectors
/// in order, tasks by number) round-robin over the same circular member iterator. Every member receives its full
/// assignment (possibly empty); nothing is revoked (eager members revoke everything before joining).
pub fn eager_assign(
    members: &[(String, WorkerMetadata)],
    connectors: &BTreeMap<String, u32>,
    leader: &str,
    leader_url: &str,
    config_offset: i64,
) -> BTreeMap<String, Assignment> {
    let ids: Vec<&str> = members
        .iter()
        .map(|(id, _)| id.as_str())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut out: BTreeMap<String, Assignment> = ids
        .iter()
        .map(|m| {
            (
                m.to_string(),
                plain_assignment(NO_ERROR, leader, leader_url, config_offset),
            )
        })
        .collect();
    if ids.is_empty() {
        return out;
    }
    let mut next = ids.iter().cycle();
    for name in connectors.keys() {
        if let Some(m) = next.next() {
            if let Some(a) = out.get_mut(*m) {
                a.connectors.push(name.clone());
            }
        }
    }
    for (name, &count) in connectors {
        for task in 0..count {
            if let Some(m) = next.next() {
                if let Some(a) = out.get_mut(*m) {
                    a.tasks.push((name.clone(), task));
                }
            }
        }
    }
    out
}

/// The incremental cooperative assignor's memory between rebalances (the fields of Java's
/// `IncrementalCooperativeAssignor`). Start from [`Default`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncrementalAssignorState {
    /// Everything assigned (or held as lost) after the last computed assignment, minus what it revoked.
    pub previous_assignment: ConnectorsAndTasks,
    /// What the last computed assignment revoked.
    pub previous_revocation: ConnectorsAndTasks,
    /// Members that had no load while lost work was being held; they receive the lost work when the delay ends.
    pub candidate_workers: BTreeSet<String>,
    /// When (ms) the held lost work may be reassigned or the next revocation may happen; 0 = nothing scheduled.
    pub scheduled_rebalance_ms: i64,
    /// The delay (ms) sent with the last assignment.
    pub delay_ms: i32,
    /// The generation the last assignment was computed for (-1 = none).
    pub previous_generation_id: i32,
    /// The members of the last computed assignment.
    pub previous_members: BTreeSet<String>,
    /// Whether the last computed assignment performed load-balancing revocations.
    pub revoked_in_previous: bool,
    /// Successive rounds that wanted load-balancing revocations (drives the exponential backoff).
    pub num_successive_revoking_rebalances: u32,
}

impl Default for IncrementalAssignorState {
    fn default() -> Self {
        IncrementalAssignorState {
            previous_assignment: ConnectorsAndTasks::default(),
            previous_revocation: ConnectorsAndTasks::default(),
            candidate_workers: BTreeSet::new(),
            scheduled_rebalance_ms: 0,
            delay_ms: 0,
            previous_generation_id: -1,
            previous_members: BTreeSet::new(),
            revoked_in_previous: false,
            num_successive_revoking_rebalances: 0,
        }
    }
}

/// Inputs of one incremental cooperative assignment.
#[derive(Debug, Clone, Copy)]
pub struct IncrementalInput<'a> {
    /// Members (member id, decoded metadata); `allocation` is the member's current assignment.
    pub members: &'a [(String, WorkerMetadata)],
    /// Configured connectors with their task counts (the leader's config snapshot).
    pub connectors: &'a BTreeMap<String, u32>,
    /// The leader's member id.
    pub leader: &'a str,
    /// The leader's REST URL.
    pub leader_url: &'a str,
    /// Config offset to put in the assignments.
    pub config_offset: i64,
    /// Current time in ms.
    pub now_ms: i64,
    /// `scheduled.rebalance.max.delay.ms`.
    pub max_delay_ms: i32,
    /// The generation being assigned.
    pub generation_id: i32,
    /// The last generation whose assignment completed (the coordinator's `lastCompletedGenerationId`); when it
    /// differs from the state's `previous_generation_id`, the previous assignment view is discarded.
    pub last_completed_generation_id: i32,
}

/// Result of one incremental cooperative assignment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncrementalOutcome {
    /// Per member: newly assigned and revoked connectors/tasks, plus the delay.
    pub assignments: BTreeMap<String, Assignment>,
    /// Per member: everything it will run once it applies its assignment (the leader's view).
    pub all_assigned: BTreeMap<String, ConnectorsAndTasks>,
    /// The state to pass to the next call.
    pub state: IncrementalAssignorState,
}

/// Delay before a successive load-balancing revocation: Java's `ExponentialBackoff(1, 40, maxDelay, 0)`
/// (0 when `max_delay_ms` is 0), i.e. `min(40^attempt, max_delay_ms)`.
pub fn revoking_backoff_ms(attempt: u32, max_delay_ms: i32) -> i32 {
    if max_delay_ms <= 0 {
        return 0;
    }
    if max_delay_ms <= 1 {
        return 1;
    }
    let mut v: i64 = 1;
    for _ in 0..attempt {
        v = v.saturating_mul(40);
        if v >= i64::from(max_delay_ms) {
            return max_delay_ms;
        }
    }
    v as i32
}

/// One worker's load, in the order its items were reported (revocations take the first items).
#[derive(Debug, Clone)]
struct WorkerLoad {
    worker: String,
    connectors: Vec<String>,
    tasks: Vec<TaskId>,
}

impl WorkerLoad {
    fn is_empty(&self) -> bool {
        self.connectors.is_empty() && self.tasks.is_empty()
    }

    fn remove(&mut self, items: &ConnectorsAndTasks) {
        self.connectors.retain(|c| !items.connectors.contains(c));
        self.tasks.retain(|t| !items.tasks.contains(t));
    }
}

/// Kafka's IncrementalCooperativeAssignor (trunk behaviour): computes each member's newly assigned and revoked
/// connectors and tasks, holding lost work for `scheduled.rebalance.max.delay.ms`, and returns the updated state.
pub fn incremental_assign(
    input: &IncrementalInput<'_>,
    state: IncrementalAssignorState,
) -> IncrementalOutcome {
    let mut st = state;
    let now = input.now_ms;

    // Members' current allocations, in member-id order (duplicate member ids: the last wins).
    let mut member_loads: BTreeMap<&str, WorkerLoad> = BTreeMap::new();
    for (id, meta) in input.members {
        let (connectors, tasks) = match &meta.allocation {
            Some(a) => (dedup(&a.connectors), dedup(&a.tasks)),
            None => (Vec::new(), Vec::new()),
        };
        member_loads.insert(
            id.as_str(),
            WorkerLoad {
                worker: id.clone(),
                connectors,
                tasks,
            },
        );
    }
    if member_loads.is_empty() {
        return IncrementalOutcome {
            assignments: BTreeMap::new(),
            all_assigned: BTreeMap::new(),
            state: st,
        };
    }
    let member_sets: BTreeMap<&str, ConnectorsAndTasks> = member_loads
        .iter()
        .map(|(id, wl)| {
            (
                *id,
                ConnectorsAndTasks {
                    connectors: wl.connectors.iter().cloned().collect(),
                    tasks: wl.tasks.iter().cloned().collect(),
                },
            )
        })
        .collect();

    if st.previous_generation_id != input.last_completed_generation_id {
        // The previous view may be stale (the last assignment may never have been synced).
        st.previous_assignment = ConnectorsAndTasks::default();
    }

    let configured = ConnectorsAndTasks {
        connectors: input.connectors.keys().cloned().collect(),
        tasks: input
            .connectors
            .iter()
            .flat_map(|(c, &n)| (0..n).map(move |t| (c.clone(), t)))
            .collect(),
    };

    let mut active = ConnectorsAndTasks::default();
    for set in member_sets.values() {
        active.add_all(set);
    }

    // A previous revocation that did not take effect: re-base on what members actually run.
    if !st.previous_revocation.is_empty() {
        if st.previous_revocation.intersects(&active) {
            st.previous_assignment = active.clone();
        }
        st.previous_revocation = ConnectorsAndTasks::default();
    }

    let deleted = st.previous_assignment.minus(&[&configured]);
    let duplicated = duplicated_items(&member_sets);
    let lost = st.previous_assignment.minus(&[&active, &deleted]);
    let created = configured.minus(&[&st.previous_assignment, &active]);

    // Current assignment excluding deleted items (the base for the incremental diff).
    let current: BTreeMap<&str, WorkerLoad> = member_loads
        .iter()
        .map(|(id, wl)| {
            let mut wl = wl.clone();
            wl.remove(&deleted);
            (*id, wl)
        })
        .collect();

    let mut to_revoke: BTreeMap<String, ConnectorsAndTasks> = BTreeMap::new();
    let mut next: Vec<WorkerLoad> = member_loads.values().cloned().collect();
    for wl in &mut next {
        let mine = &member_sets[wl.worker.as_str()];
        let revoke = ConnectorsAndTasks {
            connectors: mine
                .connectors
                .iter()
                .filter(|c| deleted.connectors.contains(*c) || duplicated.connectors.contains(*c))
                .cloned()
                .collect(),
            tasks: mine
                .tasks
                .iter()
                .filter(|t| deleted.tasks.contains(*t) || duplicated.tasks.contains(*t))
                .cloned()
                .collect(),
        };
        wl.remove(&revoke);
        if !revoke.is_empty() {
            to_revoke.insert(wl.worker.clone(), revoke);
        }
    }

    let lost_to_reassign =
        handle_lost_assignments(&mut st, &lost, &mut next, now, input.max_delay_ms);

    if st.delay_ms == 0 {
        let balancing = load_balancing_revocations(&configured, &next);
        if st.revoked_in_previous && !balancing.is_empty() {
            st.num_successive_revoking_rebalances =
                st.num_successive_revoking_rebalances.saturating_add(1);
            st.delay_ms =
                revoking_backoff_ms(st.num_successive_revoking_rebalances, input.max_delay_ms);
            if st.delay_ms != 0 {
                // Skip revocations this round; members rejoin after the delay.
                st.scheduled_rebalance_ms = now.saturating_add(i64::from(st.delay_ms));
            } else {
                apply_revocations(&mut to_revoke, &mut next, &balancing);
            }
        } else if !balancing.is_empty() {
            apply_revocations(&mut to_revoke, &mut next, &balancing);
            st.revoked_in_previous = true;
        } else if st.revoked_in_previous {
            // Converged: reset the backoff.
            st.revoked_in_previous = false;
            st.num_successive_revoking_rebalances = 0;
        }
    } else {
        st.revoked_in_previous = false;
    }

    let mut to_assign = created;
    to_assign.add_all(&lost_to_reassign);
    assign_connectors(&mut next, &to_assign.connectors);
    assign_tasks(&mut next, &to_assign.tasks);

    // Previous assignment for the next round: everything assigned now, minus revocations, plus all lost work.
    let mut previous = ConnectorsAndTasks::default();
    for wl in &next {
        previous.connectors.extend(wl.connectors.iter().cloned());
        previous.tasks.extend(wl.tasks.iter().cloned());
    }
    for revoked in to_revoke.values() {
        previous = previous.minus(&[revoked]);
        st.previous_revocation.add_all(revoked);
    }
    previous.add_all(&lost);
    st.previous_assignment = previous;
    st.previous_generation_id = input.generation_id;
    st.previous_members = member_loads.keys().map(|k| k.to_string()).collect();

    let mut assignments = BTreeMap::new();
    let mut all_assigned = BTreeMap::new();
    for wl in &next {
        let cur = &current[wl.worker.as_str()];
        let revoked = to_revoke.get(&wl.worker).cloned().unwrap_or_default();
        let mut a = plain_assignment(
            NO_ERROR,
            input.leader,
            input.leader_url,
            input.config_offset,
        );
        a.connectors = wl
            .connectors
            .iter()
            .filter(|c| !cur.connectors.contains(c))
            .cloned()
            .collect();
        a.tasks = wl
            .tasks
            .iter()
            .filter(|t| !cur.tasks.contains(t))
            .cloned()
            .collect();
        a.revoked_connectors = revoked.connectors.into_iter().collect();
        a.revoked_tasks = revoked.tasks.into_iter().collect();
        a.delay_ms = st.delay_ms;
        assignments.insert(wl.worker.clone(), a);
        all_assigned.insert(
            wl.worker.clone(),
            ConnectorsAndTasks {
                connectors: wl.connectors.iter().cloned().collect(),
                tasks: wl.tasks.iter().cloned().collect(),
            },
        );
    }

    IncrementalOutcome {
        assignments,
        all_assigned,
        state: st,
    }
}

/// Removes repeated items, keeping the first occurrence of each.
fn dedup<T: Ord + Clone>(items: &[T]) -> Vec<T> {
    let mut seen = BTreeSet::new();
    items
        .iter()
        .filter(|i| seen.insert((*i).clone()))
        .cloned()
        .collect()
}

/// Connectors and tasks currently held by more than one member.
fn duplicated_items(member_sets: &BTreeMap<&str, ConnectorsAndTasks>) -> ConnectorsAndTasks {
    let mut connector_counts: BTreeMap<&String, usize> = BTreeMap::new();
    let mut task_counts: BTreeMap<&TaskId, usize> = BTreeMap::new();
    for set in member_sets.values() {
        for c in &set.connectors {
            *connector_counts.entry(c).or_default() += 1;
        }
        for t in &set.tasks {
            *task_counts.entry(t).or_default() += 1;
        }
    }
    ConnectorsAndTasks {
        connectors: connector_counts
            .into_iter()
            .filter(|(_, n)| *n > 1)
            .map(|(c, _)| c.clone())
            .collect(),
        tasks: task_counts
            .into_iter()
            .filter(|(_, n)| *n > 1)
            .map(|(t, _)| t.clone())
            .collect(),
    }
}

fn apply_revocations(
    to_revoke: &mut BTreeMap<String, ConnectorsAndTasks>,
    next: &mut [WorkerLoad],
    revocations: &BTreeMap<String, ConnectorsAndTasks>,
) {
    for (worker, items) in revocations {
        to_revoke.entry(worker.clone()).or_default().add_all(items);
    }
    for wl in next {
        if let Some(items) = revocations.get(&wl.worker) {
            wl.remove(items);
        }
    }
}

/// Java's `handleLostAssignments`: decides whether lost work is reassigned now (returned, or put directly on
/// candidate workers in `next`) or held while a delayed rebalance is pending (updating the delay).
fn handle_lost_assignments(
    st: &mut IncrementalAssignorState,
    lost: &ConnectorsAndTasks,
    next: &mut [WorkerLoad],
    now: i64,
    max_delay_ms: i32,
) -> ConnectorsAndTasks {
    if lost.is_empty() && !st.revoked_in_previous {
        reset_delay(st);
        return ConnectorsAndTasks::default();
    }

    let active_members: BTreeSet<&str> = next.iter().map(|w| w.worker.as_str()).collect();
    let nobody_left = st
        .previous_members
        .iter()
        .all(|m| active_members.contains(m.as_str()));
    if st.scheduled_rebalance_ms <= 0 && nobody_left {
        // Probably members that missed the previous assignment: reassign as new work.
        return lost.clone();
    }
    if max_delay_ms <= 0 {
        return lost.clone();
    }

    if st.scheduled_rebalance_ms > 0 && now >= st.scheduled_rebalance_ms {
        // The delay expired: lost work goes to the candidate workers, or is treated as new work.
        let candidates: Vec<usize> = st
            .candidate_workers
            .iter()
            .filter_map(|c| next.iter().position(|w| &w.worker == c))
            .collect();
        let mut reassign = ConnectorsAndTasks::default();
        if candidates.is_empty() {
            reassign = lost.clone();
        } else {
            for (i, c) in lost.connectors.iter().enumerate() {
                next[candidates[i % candidates.len()]]
                    .connectors
                    .push(c.clone());
            }
            for (i, t) in lost.tasks.iter().enumerate() {
                next[candidates[i % candidates.len()]].tasks.push(t.clone());
            }
        }
        reset_delay(st);
        st.revoked_in_previous = false;
        reassign
    } else {
        st.candidate_workers.extend(
            next.iter()
                .filter(|w| w.is_empty())
                .map(|w| w.worker.clone()),
        );
        if now < st.scheduled_rebalance_ms {
            let remaining = st.scheduled_rebalance_ms.saturating_sub(now);
            st.delay_ms = remaining.min(i64::from(max_delay_ms)).max(0) as i32;
        } else {
            st.delay_ms = max_delay_ms;
        }
        st.scheduled_rebalance_ms = now.saturating_add(i64::from(st.delay_ms));
        ConnectorsAndTasks::default()
    }
}

fn reset_delay(st: &mut IncrementalAssignorState) {
    st.candidate_workers.clear();
    st.scheduled_rebalance_ms = 0;
    st.delay_ms = 0;
}

/// Revocations that bring every worker down to at most its balanced share (floor, or floor + 1 for as many
/// workers as the remainder allows), connectors and tasks counted separately against the configured totals.
fn load_balancing_revocations(
    configured: &ConnectorsAndTasks,
    workers: &[WorkerLoad],
) -> BTreeMap<String, ConnectorsAndTasks> {
    let mut result: BTreeMap<String, ConnectorsAndTasks> = BTreeMap::new();
    if workers.iter().all(WorkerLoad::is_empty) || configured.is_empty() {
        return result;
    }
    let connector_sizes: Vec<usize> = workers.iter().map(|w| w.connectors.len()).collect();
    for (i, n) in revocation_counts(configured.connectors.len(), &connector_sizes) {
        result
            .entry(workers[i].worker.clone())
            .or_default()
            .connectors
            .extend(workers[i].connectors.iter().take(n).cloned());
    }
    let task_sizes: Vec<usize> = workers.iter().map(|w| w.tasks.len()).collect();
    for (i, n) in revocation_counts(configured.tasks.len(), &task_sizes) {
        result
            .entry(workers[i].worker.clone())
            .or_default()
            .tasks
            .extend(workers[i].tasks.iter().take(n).cloned());
    }
    result
}

/// For one resource kind: (worker index, how many to revoke) so that no worker exceeds its share.
fn revocation_counts(total: usize, sizes: &[usize]) -> Vec<(usize, usize)> {
    let workers = sizes.len();
    if workers == 0 {
        return Vec::new();
    }
    let min = total / workers;
    let extras = total % workers;
    let at_min = sizes.iter().filter(|&&n| n == min).count();
    let at_extra = sizes.iter().filter(|&&n| n == min + 1).count();
    if at_extra == extras && at_min + at_extra == workers {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut allocated_extras = 0;
    for (i, &size) in sizes.iter().enumerate() {
        if size <= min {
            continue;
        }
        let max_for_worker = if allocated_extras < extras {
            allocated_extras += 1;
            if size == min + 1 {
                continue;
            }
            min + 1
        } else {
            min
        };
        out.push((i, size - max_for_worker));
    }
    out
}

/// Java's `assignConnectors`: sort by connector load (stable), then fill the least-loaded level round-robin.
fn assign_connectors(workers: &mut [WorkerLoad], connectors: &BTreeSet<String>) {
    workers.sort_by_key(|w| w.connectors.len());
    fill_levels(workers, connectors.iter().cloned(), |w| &mut w.connectors);
}

/// Java's `assignTasks`: sort by task load (stable), then fill the least-loaded level round-robin.
fn assign_tasks(workers: &mut [WorkerLoad], tasks: &BTreeSet<TaskId>) {
    workers.sort_by_key(|w| w.tasks.len());
    fill_levels(workers, tasks.iter().cloned(), |w| &mut w.tasks);
}

/// Repeatedly gives one item to each worker whose load is not above the first (least-loaded) worker's load,
/// in list order, until the items run out.
fn fill_levels<T>(
    workers: &mut [WorkerLoad],
    items: impl Iterator<Item = T>,
    field: impl Fn(&mut WorkerLoad) -> &mut Vec<T>,
) {
    if workers.is_empty() {
        return;
    }
    let mut items = items.peekable();
    while items.peek().is_some() {
        let first_load = field(&mut workers[0]).len();
        let up_to = (0..workers.len())
            .find(|&i| field(&mut workers[i]).len() > first_load)
            .unwrap_or(workers.len());
        for w in workers.iter_mut().take(up_to) {
            match items.next() {
                Some(item) => field(w).push(item),
                None => break,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> String {
        v.to_string()
    }

    fn meta(url: &str, allocation: Option<Assignment>) -> WorkerMetadata {
        WorkerMetadata {
            url: s(url),
            config_offset: 0,
            allocation,
        }
    }

    fn connectors(spec: &[(&str, u32)]) -> BTreeMap<String, u32> {
        spec.iter().map(|(c, n)| (s(c), *n)).collect()
    }

    #[test]
    fn eager_round_robin_matches_java_order() {
        let members = vec![
            (s("w2"), meta("http://w2/", None)),
            (s("w1"), meta("http://w1/", None)),
        ];
        let conns = connectors(&[("b", 2), ("a", 3)]);
        let out = eager_assign(&members, &conns, "w1", "http://w1/", 7);
        // Sorted members [w1, w2]; connectors a->w1, b->w2; tasks a0->w1, a1->w2, a2->w1, b0->w2, b1->w1.
        let w1 = &out["w1"];
        let w2 = &out["w2"];
        assert_eq!(w1.connectors, vec![s("a")]);
        assert_eq!(w2.connectors, vec![s("b")]);
        assert_eq!(w1.tasks, vec![(s("a"), 0), (s("a"), 2), (s("b"), 1)]);
        assert_eq!(w2.tasks, vec![(s("a"), 1), (s("b"), 0)]);
        for a in out.values() {
            assert_eq!(a.leader, "w1");
            assert_eq!(a.leader_url, "http://w1/");
            assert_eq!(a.config_offset, 7);
            assert_eq!(a.error, NO_ERROR);
            assert_eq!(a.delay_ms, 0);
        }
        // A member without work still gets an (empty) assignment.
        let three = vec![
            (s("a"), meta("u", None)),
            (s("b"), meta("u", None)),
            (s("c"), meta("u", None)),
        ];
        let out = eager_assign(&three, &connectors(&[("x", 0)]), "a", "u", 0);
        assert_eq!(out.len(), 3);
        assert_eq!(out["a"].connectors, vec![s("x")]);
        assert!(out["b"].is_empty() && out["c"].is_empty());
        assert!(eager_assign(&[], &conns, "a", "u", 0).is_empty());
    }

    #[test]
    fn config_mismatch_assignment_shape() {
        let members = vec![(s("a"), meta("u", None)), (s("b"), meta("u", None))];
        assert_eq!(max_config_offset(&members), Some(0));
        let out =
            config_mismatch_assignments(members.iter().map(|(m, _)| m.as_str()), "a", "ua", 99);
        assert_eq!(out.len(), 2);
        for a in out.values() {
            assert_eq!(a.error, CONFIG_MISMATCH);
            assert_eq!(a.config_offset, 99);
            assert!(a.is_empty());
        }
    }

    #[test]
    fn backoff_sequence() {
        assert_eq!(revoking_backoff_ms(1, 0), 0);
        assert_eq!(revoking_backoff_ms(0, 300_000), 1);
        assert_eq!(revoking_backoff_ms(1, 300_000), 40);
        assert_eq!(revoking_backoff_ms(2, 300_000), 1_600);
        assert_eq!(revoking_backoff_ms(3, 300_000), 64_000);
        assert_eq!(revoking_backoff_ms(4, 300_000), 300_000);
        assert_eq!(revoking_backoff_ms(100, 300_000), 300_000);
    }

    #[test]
    fn revocation_counts_balancing() {
        // 8 tasks over 2 workers currently [8, 0]: revoke 4 from the first.
        assert_eq!(revocation_counts(8, &[8, 0]), vec![(0, 4)]);
        // Balanced already.
        assert!(revocation_counts(8, &[4, 4]).is_empty());
        assert!(revocation_counts(7, &[4, 3]).is_empty());
        // 8 over 3 workers [4, 4, 0]: floor 2, two extras: 4->3, 4->3.
        assert_eq!(revocation_counts(8, &[4, 4, 0]), vec![(0, 1), (1, 1)]);
        // 2 connectors over 3 workers [1, 1, 0]: balanced.
        assert!(revocation_counts(2, &[1, 1, 0]).is_empty());
    }

    /// A simulated cluster of workers applying incremental assignments, for multi-round scenarios.
    struct Sim {
        workers: BTreeMap<String, (Vec<String>, Vec<TaskId>)>,
        state: IncrementalAssignorState,
        generation: i32,
        now: i64,
        max_delay: i32,
        connectors: BTreeMap<String, u32>,
    }

    impl Sim {
        fn new(workers: &[&str], conns: &[(&str, u32)], max_delay: i32) -> Self {
            Sim {
                workers: workers
                    .iter()
                    .map(|w| (s(w), (Vec::new(), Vec::new())))
                    .collect(),
                state: IncrementalAssignorState::default(),
                generation: 0,
                now: 1_000,
                max_delay,
                connectors: connectors(conns),
            }
        }

        /// Runs one rebalance through the wire encodings (v2), applies it and returns the assignments.
        fn round(&mut self) -> BTreeMap<String, Assignment> {
            let members: Vec<(String, WorkerMetadata)> = self
                .workers
                .iter()
                .map(|(id, (c, t))| {
                    let alloc = if c.is_empty() && t.is_empty() {
                        None
                    } else {
                        Some(Assignment {
                            connectors: c.clone(),
                            tasks: t.clone(),
                            ..Assignment::default()
                        })
                    };
                    let m = meta(&format!("http://{id}/"), alloc);
                    let decoded = WorkerMetadata::decode(&m.encode(2).unwrap()).unwrap();
                    (id.clone(), decoded)
                })
                .collect();
            let leader = members[0].0.clone();
            let input = IncrementalInput {
                members: &members,
                connectors: &self.connectors,
                leader: &leader,
                leader_url: "http://leader/",
                config_offset: 5,
                now_ms: self.now,
                max_delay_ms: self.max_delay,
                generation_id: self.generation + 1,
                last_completed_generation_id: self.generation,
            };
            let out = incremental_assign(&input, std::mem::take(&mut self.state));
            self.generation += 1;
            self.state = out.state;
            for (id, a) in &out.assignments {
                let a = Assignment::decode(&a.encode(2).unwrap()).unwrap();
                let (c, t) = self.workers.get_mut(id).unwrap();
                c.retain(|x| !a.revoked_connectors.contains(x));
                t.retain(|x| !a.revoked_tasks.contains(x));
                c.extend(a.connectors.iter().cloned());
                t.extend(a.tasks.iter().cloned());
            }
            for (id, all) in &out.all_assigned {
                let (c, t) = &self.workers[id];
                assert_eq!(&c.iter().cloned().collect::<BTreeSet<_>>(), &all.connectors);
                assert_eq!(&t.iter().cloned().collect::<BTreeSet<_>>(), &all.tasks);
            }
            out.assignments
        }

        /// Runs rounds (advancing time by any delay) until one assigns, revokes and delays nothing.
        fn converge(&mut self) -> usize {
            for rounds in 1..=20 {
                let out = self.round();
                let delay = out.values().map(|a| a.delay_ms).max().unwrap_or(0);
                if out.values().all(|a| a.is_empty()) && delay == 0 {
                    return rounds;
                }
                self.now += i64::from(delay);
            }
            panic!("did not converge");
        }

        fn load(&self, w: &str) -> (usize, usize) {
            let (c, t) = &self.workers[w];
            (c.len(), t.len())
        }

        fn assert_balanced_and_complete(&self) {
            let mut seen_c = BTreeMap::new();
            let mut seen_t = BTreeMap::new();
            for (c, t) in self.workers.values() {
                for x in c {
                    *seen_c.entry(x.clone()).or_insert(0) += 1;
                }
                for x in t {
                    *seen_t.entry(x.clone()).or_insert(0) += 1;
                }
            }
            let expected_c: BTreeMap<String, i32> =
                self.connectors.keys().map(|c| (c.clone(), 1)).collect();
            let expected_t: BTreeMap<TaskId, i32> = self
                .connectors
                .iter()
                .flat_map(|(c, &n)| (0..n).map(move |t| ((c.clone(), t), 1)))
                .collect();
            assert_eq!(seen_c, expected_c, "every connector exactly once");
            assert_eq!(seen_t, expected_t, "every task exactly once");
            let cs: Vec<usize> = self.workers.values().map(|(c, _)| c.len()).collect();
            let ts: Vec<usize> = self.workers.values().map(|(_, t)| t.len()).collect();
            assert!(
                cs.iter().max().unwrap() - cs.iter().min().unwrap() <= 1,
                "{cs:?}"
            );
            assert!(
                ts.iter().max().unwrap() - ts.iter().min().unwrap() <= 1,
                "{ts:?}"
            );
        }
    }

    impl Sim {
        fn add(&mut self, w: &str) {
            assert!(self.workers.insert(s(w), (vec![], vec![])).is_none());
        }

        /// Sorted per-worker (connector counts, task counts), as Kafka's `assert*Allocations`.
        fn allocations(&self) -> (Vec<usize>, Vec<usize>) {
            let mut c: Vec<usize> = self.workers.values().map(|(c, _)| c.len()).collect();
            let mut t: Vec<usize> = self.workers.values().map(|(_, t)| t.len()).collect();
            c.sort_unstable();
            t.sort_unstable();
            (c, t)
        }

        fn assert_allocations(&self, connectors: &[usize], tasks: &[usize]) {
            assert_eq!(self.allocations(), (connectors.to_vec(), tasks.to_vec()));
        }

        fn sleep(&mut self, ms: i32) {
            self.now += i64::from(ms);
        }
    }

    fn no_revocations(out: &BTreeMap<String, Assignment>) -> bool {
        out.values()
            .all(|a| a.revoked_connectors.is_empty() && a.revoked_tasks.is_empty())
    }

    fn nothing_assigned(out: &BTreeMap<String, Assignment>) -> bool {
        out.values().all(Assignment::is_empty)
    }

    const C3: [(&str, u32); 3] = [("connector1", 4), ("connector2", 4), ("connector3", 4)];

    // Scenarios below follow Kafka's IncrementalCooperativeAssignorTest (same inputs, same expected
    // sorted allocation counts and delays).

    #[test]
    fn kafka_assignments_when_workers_join_after_revocations() {
        let mut sim = Sim::new(&["worker1"], &C3, 300_000);
        sim.round();
        assert_eq!(sim.state.delay_ms, 0);
        sim.assert_allocations(&[3], &[12]);
        sim.add("worker2");
        sim.round();
        sim.assert_allocations(&[0, 2], &[0, 6]);
        // Successive revoking rebalance: no revocations, a backoff delay instead.
        sim.add("worker3");
        let out = sim.round();
        assert!(sim.state.delay_ms > 0);
        assert!(no_revocations(&out));
        sim.assert_allocations(&[0, 1, 2], &[3, 3, 6]);
        // After the backoff expires, revocations happen again.
        sim.sleep(sim.state.delay_ms);
        sim.add("worker4");
        sim.round();
        sim.assert_allocations(&[0, 0, 1, 1], &[0, 3, 3, 3]);
        sim.add("worker5");
        sim.round();
        assert!(sim.state.delay_ms > 40);
        sim.assert_allocations(&[0, 0, 1, 1, 1], &[1, 2, 3, 3, 3]);
        sim.sleep(sim.state.delay_ms);
        sim.add("worker6");
        sim.round();
        assert_eq!(sim.state.delay_ms, 0);
        sim.assert_allocations(&[0, 0, 0, 1, 1, 1], &[0, 1, 2, 2, 2, 2]);
        sim.round();
        sim.assert_allocations(&[0, 0, 0, 1, 1, 1], &[2, 2, 2, 2, 2, 2]);
        sim.assert_balanced_and_complete();
    }

    #[test]
    fn kafka_immediate_revocations_when_max_delay_is_0() {
        let mut sim = Sim::new(&["worker1"], &C3, 0);
        sim.round();
        sim.assert_allocations(&[3], &[12]);
        sim.add("worker2");
        sim.round();
        sim.assert_allocations(&[0, 2], &[0, 6]);
        sim.add("worker3");
        sim.round();
        assert_eq!(sim.state.delay_ms, 0);
        sim.assert_allocations(&[0, 1, 1], &[3, 3, 4]);
        let out = sim.round();
        assert!(no_revocations(&out));
        sim.assert_allocations(&[1, 1, 1], &[4, 4, 4]);
        sim.assert_balanced_and_complete();
    }

    #[test]
    fn kafka_successive_revocations_when_max_delay_is_1() {
        let mut sim = Sim::new(&["worker1"], &C3, 1);
        sim.round();
        sim.add("worker2");
        sim.round();
        sim.assert_allocations(&[0, 2], &[0, 6]);
        sim.add("worker3");
        sim.round();
        assert_eq!(sim.state.delay_ms, 1);
        sim.assert_allocations(&[0, 1, 2], &[3, 3, 6]);
    }

    #[test]
    fn kafka_worker_joining_during_delayed_rebalance() {
        let mut sim = Sim::new(&["worker1"], &C3, 300_000);
        sim.round();
        sim.add("worker2");
        sim.round();
        sim.assert_allocations(&[0, 2], &[0, 6]);
        sim.add("worker3");
        let out = sim.round();
        assert!(sim.state.delay_ms > 0);
        assert!(no_revocations(&out));
        sim.assert_allocations(&[0, 1, 2], &[3, 3, 6]);
        sim.sleep(sim.state.delay_ms / 2);
        sim.add("worker4");
        let out = sim.round();
        assert!(sim.state.delay_ms > 0);
        assert!(no_revocations(&out));
        sim.assert_allocations(&[0, 0, 1, 2], &[0, 3, 3, 6]);
        sim.sleep(sim.state.delay_ms);
        sim.add("worker5");
        sim.round();
        assert_eq!(sim.state.delay_ms, 0);
        sim.assert_allocations(&[0, 0, 0, 1, 1], &[0, 0, 2, 3, 3]);
        let out = sim.round();
        assert_eq!(sim.state.delay_ms, 0);
        assert!(no_revocations(&out));
        sim.assert_allocations(&[0, 0, 1, 1, 1], &[2, 2, 2, 3, 3]);
        sim.assert_balanced_and_complete();
    }

    #[test]
    fn kafka_worker_leaves_permanently() {
        let delay = 300_000;
        let mut sim = Sim::new(&["worker1", "worker2"], &C3[..2], delay);
        sim.round();
        sim.assert_allocations(&[1, 1], &[4, 4]);
        sim.workers.remove("worker2");
        let out = sim.round();
        assert_eq!(sim.state.delay_ms, delay);
        assert!(nothing_assigned(&out));
        sim.sleep(delay / 2);
        let out = sim.round();
        assert_eq!(sim.state.delay_ms, delay / 2);
        assert!(nothing_assigned(&out));
        sim.sleep(delay / 2 + 1);
        sim.round();
        assert_eq!(sim.state.delay_ms, 0);
        sim.assert_allocations(&[2], &[8]);
        sim.assert_balanced_and_complete();
    }

    #[test]
    fn kafka_worker_bounces() {
        let delay = 300_000;
        let mut sim = Sim::new(&["worker1", "worker2"], &C3[..2], delay);
        sim.round();
        sim.workers.remove("worker2");
        let out = sim.round();
        assert_eq!(sim.state.delay_ms, delay);
        assert!(nothing_assigned(&out));
        sim.sleep(delay / 2);
        sim.round();
        assert_eq!(sim.state.delay_ms, delay / 2);
        sim.sleep(delay / 4);
        // The worker returns (empty) before the delay expires: still nothing reassigned.
        sim.add("worker2");
        let out = sim.round();
        assert_eq!(sim.state.delay_ms, delay / 4);
        assert!(nothing_assigned(&out));
        sim.sleep(delay / 4);
        let out = sim.round();
        assert_eq!(sim.state.delay_ms, 0);
        assert!(no_revocations(&out));
        sim.assert_allocations(&[1, 1], &[4, 4]);
        sim.assert_balanced_and_complete();
    }

    #[test]
    fn kafka_leader_bounces() {
        let mut sim = Sim::new(&["worker1", "worker2", "worker3"], &C3[..2], 300_000);
        sim.round();
        sim.assert_allocations(&[0, 1, 1], &[2, 3, 3]);
        // The leader leaves; the new leader starts from a clean assignor state.
        sim.workers.remove("worker1");
        sim.state = IncrementalAssignorState::default();
        sim.round();
        assert_eq!(sim.state.delay_ms, 0);
        sim.assert_allocations(&[1, 1], &[4, 4]);
        // The old leader returns as a new worker: revocation first, then reassignment.
        sim.add("worker1");
        sim.round();
        assert_eq!(sim.state.delay_ms, 0);
        sim.assert_allocations(&[0, 1, 1], &[0, 3, 3]);
        let out = sim.round();
        assert!(no_revocations(&out));
        sim.assert_allocations(&[0, 1, 1], &[2, 3, 3]);
        sim.assert_balanced_and_complete();
    }

    fn counts(out: &BTreeMap<String, Assignment>, w: &str) -> (usize, usize, usize, usize) {
        let a = &out[w];
        (
            a.connectors.len(),
            a.tasks.len(),
            a.revoked_connectors.len(),
            a.revoked_tasks.len(),
        )
    }

    #[test]
    fn worker_joins_gets_work_after_revocation() {
        // Kafka's testTaskAssignmentWhenWorkerJoins: 2 connectors x 4 tasks.
        let mut sim = Sim::new(
            &["worker1"],
            &[("connector1", 4), ("connector2", 4)],
            300_000,
        );
        let out = sim.round();
        assert_eq!(counts(&out, "worker1"), (2, 8, 0, 0));
        assert_eq!(out["worker1"].delay_ms, 0);

        // worker2 joins: worker1 revokes 1 connector and 4 tasks, worker2 gets nothing yet.
        sim.workers.insert(s("worker2"), (vec![], vec![]));
        let out = sim.round();
        assert_eq!(counts(&out, "worker1"), (0, 0, 1, 4));
        assert_eq!(counts(&out, "worker2"), (0, 0, 0, 0));
        // Follow-up rebalance triggered by the revocation: worker2 receives the revoked work.
        let out = sim.round();
        assert_eq!(counts(&out, "worker1"), (0, 0, 0, 0));
        assert_eq!(counts(&out, "worker2"), (1, 4, 0, 0));
        assert_eq!(sim.load("worker1"), (1, 4));
        assert_eq!(sim.load("worker2"), (1, 4));

        // worker3 joins: tasks 8/3 -> floor 2 with 2 extras: workers 1 and 2 each revoke one task.
        sim.workers.insert(s("worker3"), (vec![], vec![]));
        let out = sim.round();
        assert_eq!(counts(&out, "worker1"), (0, 0, 0, 1));
        assert_eq!(counts(&out, "worker2"), (0, 0, 0, 1));
        assert_eq!(counts(&out, "worker3"), (0, 0, 0, 0));
        let out = sim.round();
        assert_eq!(counts(&out, "worker3"), (0, 2, 0, 0));
        sim.converge();
        sim.assert_balanced_and_complete();
        assert_eq!(sim.load("worker3"), (0, 2));
    }

    #[test]
    fn departed_worker_work_waits_for_delay_then_moves() {
        let mut sim = Sim::new(
            &["w1", "w2", "w3"],
            &[("a", 3), ("b", 3), ("c", 3)],
            300_000,
        );
        sim.converge();
        sim.assert_balanced_and_complete();
        let lost_load = sim.load("w3");
        let (lost_c, lost_t) = sim.workers.remove("w3").unwrap();
        assert!(!lost_t.is_empty());

        // w3 departs: nothing reassigned, full delay announced.
        let out = sim.round();
        for a in out.values() {
            assert_eq!(a.delay_ms, 300_000);
            assert!(a.connectors.is_empty() && a.tasks.is_empty());
            assert!(a.revoked_connectors.is_empty() && a.revoked_tasks.is_empty());
        }
        assert_eq!(sim.state.scheduled_rebalance_ms, sim.now + 300_000);

        // Another rebalance 100 s later: still held, remaining delay announced.
        sim.now += 100_000;
        let out = sim.round();
        for a in out.values() {
            assert_eq!(a.delay_ms, 200_000);
            assert!(a.connectors.is_empty() && a.tasks.is_empty());
        }

        // The delay expires: the lost work is spread over the remaining workers.
        sim.now += 200_000;
        let out = sim.round();
        let new_c: usize = out.values().map(|a| a.connectors.len()).sum();
        let new_t: usize = out.values().map(|a| a.tasks.len()).sum();
        assert_eq!((new_c, new_t), lost_load);
        let assigned: BTreeSet<TaskId> = out.values().flat_map(|a| a.tasks.clone()).collect();
        assert_eq!(assigned, lost_t.into_iter().collect());
        let assigned_c: BTreeSet<String> =
            out.values().flat_map(|a| a.connectors.clone()).collect();
        assert_eq!(assigned_c, lost_c.into_iter().collect());
        assert!(out.values().all(|a| a.delay_ms == 0));
        sim.converge();
        sim.assert_balanced_and_complete();
    }

    #[test]
    fn departed_worker_replaced_within_delay_goes_to_candidate() {
        let mut sim = Sim::new(&["w1", "w2"], &[("a", 2), ("b", 2)], 10_000);
        sim.converge();
        let lost_load = sim.load("w2");
        sim.workers.remove("w2");
        let out = sim.round();
        assert_eq!(out["w1"].delay_ms, 10_000);
        // A replacement joins while the delay is pending: it becomes a candidate and gets nothing yet.
        sim.workers.insert(s("w3"), (vec![], vec![]));
        sim.now += 4_000;
        let out = sim.round();
        assert_eq!(out["w3"].delay_ms, 6_000);
        assert!(out["w3"].is_empty() && out["w1"].is_empty());
        assert!(sim.state.candidate_workers.contains("w3"));
        // Delay over: the candidate receives all the lost work; w1 keeps its own.
        sim.now += 6_000;
        let out = sim.round();
        assert_eq!(
            (out["w3"].connectors.len(), out["w3"].tasks.len()),
            lost_load
        );
        assert!(out["w1"].is_empty());
        sim.converge();
        sim.assert_balanced_and_complete();
    }

    #[test]
    fn zero_delay_reassigns_at_once() {
        let mut sim = Sim::new(&["w1", "w2", "w3"], &[("a", 4), ("b", 2)], 0);
        sim.converge();
        let (lost_c, lost_t) = sim.workers.remove("w2").unwrap();
        let out = sim.round();
        assert!(out.values().all(|a| a.delay_ms == 0));
        let assigned_t: BTreeSet<TaskId> = out.values().flat_map(|a| a.tasks.clone()).collect();
        let assigned_c: BTreeSet<String> =
            out.values().flat_map(|a| a.connectors.clone()).collect();
        assert_eq!(assigned_t, lost_t.into_iter().collect());
        assert_eq!(assigned_c, lost_c.into_iter().collect());
        sim.converge();
        sim.assert_balanced_and_complete();
    }

    #[test]
    fn deleted_connectors_are_revoked() {
        let mut sim = Sim::new(&["w1", "w2"], &[("keep", 2), ("gone", 3)], 300_000);
        sim.converge();
        sim.connectors.remove("gone");
        let out = sim.round();
        let revoked_c: Vec<String> = out
            .values()
            .flat_map(|a| a.revoked_connectors.clone())
            .collect();
        let revoked_t: BTreeSet<TaskId> =
            out.values().flat_map(|a| a.revoked_tasks.clone()).collect();
        assert_eq!(revoked_c, vec![s("gone")]);
        assert_eq!(
            revoked_t,
            (0..3).map(|t| (s("gone"), t)).collect::<BTreeSet<_>>()
        );
        assert!(out.values().all(|a| a.connectors.is_empty()));
        sim.converge();
        sim.assert_balanced_and_complete();
    }

    #[test]
    fn new_connector_goes_to_least_loaded() {
        let mut sim = Sim::new(&["w1", "w2"], &[("a", 1)], 300_000);
        sim.converge();
        let holder = if sim.load("w1").0 == 1 { "w1" } else { "w2" };
        let other = if holder == "w1" { "w2" } else { "w1" };
        sim.connectors.insert(s("b"), 1);
        let out = sim.round();
        assert_eq!(out[other].connectors, vec![s("b")]);
        assert_eq!(out[other].tasks, vec![(s("b"), 0)]);
        assert!(out[holder].is_empty());
    }

    #[test]
    fn duplicated_assignments_are_revoked_then_reassigned_once() {
        let conns = connectors(&[("a", 2)]);
        let alloc = |c: Vec<String>, t: Vec<TaskId>| {
            Some(Assignment {
                connectors: c,
                tasks: t,
                ..Assignment::default()
            })
        };
        let members = vec![
            (
                s("w1"),
                meta("u1", alloc(vec![s("a")], vec![(s("a"), 0), (s("a"), 1)])),
            ),
            (s("w2"), meta("u2", alloc(vec![s("a")], vec![(s("a"), 1)]))),
        ];
        let input = IncrementalInput {
            members: &members,
            connectors: &conns,
            leader: "w1",
            leader_url: "u1",
            config_offset: 1,
            now_ms: 0,
            max_delay_ms: 300_000,
            generation_id: 1,
            last_completed_generation_id: -1,
        };
        let out = incremental_assign(&input, IncrementalAssignorState::default());
        assert_eq!(out.assignments["w1"].revoked_connectors, vec![s("a")]);
        assert_eq!(out.assignments["w1"].revoked_tasks, vec![(s("a"), 1)]);
        assert_eq!(out.assignments["w2"].revoked_connectors, vec![s("a")]);
        assert_eq!(out.assignments["w2"].revoked_tasks, vec![(s("a"), 1)]);
        assert_eq!(out.all_assigned["w1"].tasks.len(), 1);
        assert!(out.all_assigned["w2"].is_empty());
    }

    #[test]
    fn successive_revocations_back_off() {
        // Two revoking rounds in a row: the second is deferred by the exponential backoff (40 ms).
        let mut sim = Sim::new(&["w1"], &[("a", 6)], 300_000);
        sim.converge();
        sim.workers.insert(s("w2"), (vec![], vec![]));
        let out = sim.round();
        assert_eq!(counts(&out, "w1"), (0, 0, 0, 3));
        assert!(sim.state.revoked_in_previous);
        // Before the follow-up rebalance, a third worker joins: another revocation is wanted.
        sim.workers.insert(s("w3"), (vec![], vec![]));
        let out = sim.round();
        assert!(out.values().all(|a| a.delay_ms == 40));
        assert!(out
            .values()
            .all(|a| a.revoked_tasks.is_empty() && a.revoked_connectors.is_empty()));
        // The 3 revoked tasks were still assigned as new work (to w2 and w3).
        let new_t: usize = out.values().map(|a| a.tasks.len()).sum();
        assert_eq!(new_t, 3);
        sim.now += 40;
        sim.converge();
        sim.assert_balanced_and_complete();
    }

    #[test]
    fn convergence_from_scratch_and_scale_out() {
        let conns = [("a", 7), ("b", 3), ("c", 1), ("d", 0), ("e", 12)];
        let mut sim = Sim::new(&["w1", "w2", "w3"], &conns, 300_000);
        sim.converge();
        sim.assert_balanced_and_complete();
        for w in ["w4", "w5"] {
            sim.workers.insert(s(w), (vec![], vec![]));
            sim.converge();
            sim.assert_balanced_and_complete();
        }
        // Scale out to 7 at once.
        sim.workers.insert(s("w6"), (vec![], vec![]));
        sim.workers.insert(s("w7"), (vec![], vec![]));
        sim.converge();
        sim.assert_balanced_and_complete();
    }

    #[test]
    fn randomized_membership_changes_converge_balanced() {
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut rnd = move |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n) as usize
        };
        let names: Vec<String> = (0..8).map(|i| format!("w{i}")).collect();
        for scenario in 0..60 {
            let n_conns = 1 + rnd(6);
            let conns: Vec<(String, u32)> = (0..n_conns)
                .map(|i| (format!("c{i}"), rnd(9) as u32))
                .collect();
            let conn_refs: Vec<(&str, u32)> = conns.iter().map(|(c, n)| (c.as_str(), *n)).collect();
            let max_delay = if scenario % 2 == 0 { 0 } else { 300_000 };
            let start = 1 + rnd(3);
            let initial: Vec<&str> = names[..start].iter().map(String::as_str).collect();
            let mut sim = Sim::new(&initial, &conn_refs, max_delay);
            sim.converge();
            sim.assert_balanced_and_complete();
            for _ in 0..4 {
                match rnd(4) {
                    0 | 1 => {
                        let absent: Vec<&String> = names
                            .iter()
                            .filter(|n| !sim.workers.contains_key(*n))
                            .collect();
                        if let Some(w) = absent.get(rnd(absent.len().max(1) as u64)) {
                            sim.workers.insert((*w).clone(), (vec![], vec![]));
                        }
                    }
                    2 if sim.workers.len() > 1 => {
                        let present: Vec<String> = sim.workers.keys().cloned().collect();
                        sim.workers.remove(&present[rnd(present.len() as u64)]);
                    }
                    _ => {
                        let c = format!("c{}", rnd(8));
                        if sim.connectors.remove(&c).is_none() {
                            sim.connectors.insert(c, rnd(6) as u32);
                        }
                    }
                }
                sim.converge();
                sim.assert_balanced_and_complete();
            }
        }
    }

    #[test]
    fn generation_mismatch_discards_previous_view() {
        let members = vec![(s("w1"), meta("u", None))];
        let conns = connectors(&[("a", 1)]);
        let mut input = IncrementalInput {
            members: &members,
            connectors: &conns,
            leader: "w1",
            leader_url: "u",
            config_offset: 0,
            now_ms: 0,
            max_delay_ms: 300_000,
            generation_id: 1,
            last_completed_generation_id: -1,
        };
        let out = incremental_assign(&input, IncrementalAssignorState::default());
        assert_eq!(out.assignments["w1"].connectors, vec![s("a")]);
        // The assignment was never synced (w1 still reports nothing) and the generation moved on:
        // the leader must not treat the work as lost and wait; it reassigns it.
        input.generation_id = 3;
        input.last_completed_generation_id = 2;
        let out = incremental_assign(&input, out.state);
        assert_eq!(out.assignments["w1"].connectors, vec![s("a")]);
        assert_eq!(out.assignments["w1"].delay_ms, 0);
    }

    #[test]
    fn empty_group_yields_nothing() {
        let conns = connectors(&[("a", 1)]);
        let input = IncrementalInput {
            members: &[],
            connectors: &conns,
            leader: "w1",
            leader_url: "u",
            config_offset: 0,
            now_ms: 0,
            max_delay_ms: 0,
            generation_id: 1,
            last_completed_generation_id: -1,
        };
        let out = incremental_assign(&input, IncrementalAssignorState::default());
        assert!(out.assignments.is_empty());
    }
}
