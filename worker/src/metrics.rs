//! Worker and task metrics under Kafka's group and metric names (`ConnectMetricsRegistry`), kept in atomics by the
//! task threads and rendered in the Prometheus text format for `GET /metrics`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::task::{State, StatusBoard, TaskId};

/// Rates cover the last minute, as Kafka's two 30-second samples (`metrics.sample.window.ms` ×
/// `metrics.num.samples`) do.
const RATE_WINDOW_SECS: u64 = 60;
/// One counting slot per second of the window, plus slack so a slot is never reused inside the window.
const SLOTS: usize = 64;

fn unix_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

fn unix_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or_default()
}

/// A running total and its rate over the last minute. Written by one task thread, read by any REST thread.
#[derive(Debug)]
pub struct Counter {
    total: AtomicU64,
    slots: [AtomicU64; SLOTS],
    stamps: [AtomicU64; SLOTS],
}

impl Default for Counter {
    fn default() -> Self {
        Counter {
            total: AtomicU64::new(0),
            slots: [const { AtomicU64::new(0) }; SLOTS],
            stamps: [const { AtomicU64::new(0) }; SLOTS],
        }
    }
}

impl Counter {
    pub fn add(&self, n: u64) {
        if n == 0 {
            return;
        }
        self.total.fetch_add(n, Relaxed);
        let now = unix_secs();
        let slot = now as usize % SLOTS;
        if self.stamps[slot].swap(now, Relaxed) != now {
            self.slots[slot].store(0, Relaxed);
        }
        self.slots[slot].fetch_add(n, Relaxed);
    }

    pub fn total(&self) -> u64 {
        self.total.load(Relaxed)
    }

    /// Per second over the last minute, or over the time since `since` when that is shorter.
    pub fn rate(&self, since: Instant) -> f64 {
        let now = unix_secs();
        let sum: u64 = (0..SLOTS)
            .filter(|&i| {
                let stamp = self.stamps[i].load(Relaxed);
                stamp <= now && now - stamp < RATE_WINDOW_SECS
            })
            .map(|i| self.slots[i].load(Relaxed))
            .sum();
        let span = since
            .elapsed()
            .as_secs_f64()
            .clamp(1.0, RATE_WINDOW_SECS as f64);
        sum as f64 / span
    }
}

/// Count, sum and maximum of a measured value (batch times, batch sizes).
#[derive(Debug, Default)]
pub struct Stat {
    count: AtomicU64,
    sum: AtomicU64,
    max: AtomicU64,
}

impl Stat {
    pub fn record(&self, value: u64) {
        self.count.fetch_add(1, Relaxed);
        self.sum.fetch_add(value, Relaxed);
        self.max.fetch_max(value, Relaxed);
    }
    pub fn record_millis(&self, elapsed: Duration) {
        self.record(elapsed.as_millis() as u64);
    }
    pub fn count(&self) -> u64 {
        self.count.load(Relaxed)
    }
    pub fn max(&self) -> u64 {
        self.max.load(Relaxed)
    }
    pub fn avg(&self) -> f64 {
        match self.count() {
            0 => 0.0,
            n => self.sum.load(Relaxed) as f64 / n as f64,
        }
    }
}

/// A current level and the highest it reached.
#[derive(Debug, Default)]
pub struct Gauge {
    current: AtomicU64,
    max: AtomicU64,
}

impl Gauge {
    pub fn set(&self, value: u64) {
        self.current.store(value, Relaxed);
        self.max.fetch_max(value, Relaxed);
    }
}

/// `task-error-metrics`: what the `errors.*` policy and the dead letter queue did.
#[derive(Debug, Default)]
pub struct ErrorMetrics {
    /// Failed attempts, retried ones included.
    pub record_failures: AtomicU64,
    /// Records that ended in an error after their retries.
    pub record_errors: AtomicU64,
    pub records_skipped: AtomicU64,
    pub retries: AtomicU64,
    pub errors_logged: AtomicU64,
    pub dlq_produce_requests: AtomicU64,
    pub dlq_produce_failures: AtomicU64,
    pub last_error_timestamp: AtomicU64,
}

impl ErrorMetrics {
    pub fn record_error(&self) {
        self.record_failures.fetch_add(1, Relaxed);
        self.record_errors.fetch_add(1, Relaxed);
        self.last_error_timestamp.store(unix_millis(), Relaxed);
    }
    pub fn record_retry(&self) {
        self.record_failures.fetch_add(1, Relaxed);
        self.retries.fetch_add(1, Relaxed);
    }
    pub fn record_dlq(&self, sent: bool) {
        self.dlq_produce_requests.fetch_add(1, Relaxed);
        if !sent {
            self.dlq_produce_failures.fetch_add(1, Relaxed);
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TaskKind {
    Source,
    Sink,
}

/// One task's metrics: `connector-task-metrics`, `source-task-metrics` or `sink-task-metrics`, and
/// `task-error-metrics`.
#[derive(Debug)]
pub struct TaskMetrics {
    id: TaskId,
    kind: TaskKind,
    started: Instant,
    /// Records polled from the source task / read from Kafka by the sink's consumer.
    pub records_in: Counter,
    /// Records written to Kafka after the transformations / sent to the sink task's `put`.
    pub records_out: Counter,
    /// Time of the source task's `poll` / the sink task's `put`, in ms.
    pub batch_time: Stat,
    pub batch_size: Stat,
    /// Source records sent but not yet acknowledged.
    pub active: Gauge,
    /// Offset commits: duration (ms) of each successful one, and the failures.
    pub commits: Stat,
    pub commit_failures: AtomicU64,
    /// Sink commits skipped because there was nothing new to commit.
    pub commit_skips: AtomicU64,
    pub partition_count: AtomicU64,
    pub errors: Arc<ErrorMetrics>,
}

impl TaskMetrics {
    pub fn new(id: TaskId, kind: TaskKind, errors: Arc<ErrorMetrics>) -> Self {
        TaskMetrics {
            id,
            kind,
            started: Instant::now(),
            records_in: Counter::default(),
            records_out: Counter::default(),
            batch_time: Stat::default(),
            batch_size: Stat::default(),
            active: Gauge::default(),
            commits: Stat::default(),
            commit_failures: AtomicU64::new(0),
            commit_skips: AtomicU64::new(0),
            partition_count: AtomicU64::new(0),
            errors,
        }
    }
}

/// `connect-worker-metrics` startup counters.
#[derive(Debug, Default)]
struct Startups {
    attempts: AtomicU64,
    successes: AtomicU64,
    failures: AtomicU64,
}

impl Startups {
    fn record(&self, ok: bool) {
        self.attempts.fetch_add(1, Relaxed);
        let counter = if ok { &self.successes } else { &self.failures };
        counter.fetch_add(1, Relaxed);
    }
}

/// `connect-worker-rebalance-metrics` (distributed mode): the group membership of this worker.
#[derive(Debug, Default)]
pub struct RebalanceMetrics {
    state: Mutex<RebalanceState>,
}

#[derive(Debug, Default)]
struct RebalanceState {
    /// Since when the current rebalance runs, if one does.
    started: Option<Instant>,
    /// When the last rebalance completed (unix ms), if one did.
    completed_at: Option<u64>,
    completed: u64,
    total_ms: u64,
    max_ms: u64,
    epoch: i32,
    leader: String,
    protocol: String,
}

impl RebalanceMetrics {
    /// A JoinGroup round begins (the worker is rebalancing until it applies an assignment).
    pub fn started(&self) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        state.started.get_or_insert_with(Instant::now);
    }

    /// An assignment of generation `epoch`, computed by `leader`, was applied.
    pub fn completed(&self, epoch: i32, leader: &str, protocol: &str) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let took = state
            .started
            .take()
            .map_or(0, |t| t.elapsed().as_millis() as u64);
        state.completed += 1;
        state.total_ms += took;
        state.max_ms = state.max_ms.max(took);
        state.completed_at = Some(unix_millis());
        state.epoch = epoch;
        state.leader = leader.to_string();
        state.protocol = protocol.to_string();
    }

    /// Kafka's attributes; the leader and protocol names as labels of a metric valued 1. Nothing before the
    /// worker first joins (standalone workers never do).
    fn render_into(&self, out: &mut Families) {
        let state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if state.completed == 0 && state.started.is_none() {
            return;
        }
        let group = "connect-worker-rebalance-metrics";
        out.add(group, "leader-name", &[("leader", &state.leader)], 1.0);
        out.add(
            group,
            "connect-protocol",
            &[("protocol", &state.protocol)],
            1.0,
        );
        out.add(group, "epoch", &[], f64::from(state.epoch));
        out.add(
            group,
            "completed-rebalances-total",
            &[],
            state.completed as f64,
        );
        out.add(
            group,
            "rebalancing",
            &[],
            if state.started.is_some() { 1.0 } else { 0.0 },
        );
        out.add(group, "rebalance-max-time-ms", &[], state.max_ms as f64);
        let avg = match state.completed {
            0 => 0.0,
            n => state.total_ms as f64 / n as f64,
        };
        out.add(group, "rebalance-avg-time-ms", &[], avg);
        if let Some(at) = state.completed_at {
            out.add(
                group,
                "time-since-last-rebalance-ms",
                &[],
                unix_millis().saturating_sub(at) as f64,
            );
        }
    }
}

/// The worker's metrics registry. Task metrics live as long as their task runner holds them.
#[derive(Default)]
pub struct Metrics {
    connector_startups: Startups,
    task_startups: Startups,
    tasks: Mutex<Vec<Weak<TaskMetrics>>>,
    pub rebalance: RebalanceMetrics,
}

impl Metrics {
    pub fn connector_started(&self, ok: bool) {
        self.connector_startups.record(ok);
    }

    pub fn task_started(&self, ok: bool) {
        self.task_startups.record(ok);
    }

    /// Registers a new task's metrics; they disappear from `/metrics` when the task runner drops them.
    pub fn register_task(&self, metrics: &Arc<TaskMetrics>) {
        let mut tasks = self.tasks.lock().unwrap_or_else(|p| p.into_inner());
        tasks.retain(|t| t.strong_count() > 0);
        tasks.push(Arc::downgrade(metrics));
    }

    fn live_tasks(&self) -> Vec<Arc<TaskMetrics>> {
        let mut tasks = self.tasks.lock().unwrap_or_else(|p| p.into_inner());
        tasks.retain(|t| t.strong_count() > 0);
        let mut live: Vec<_> = tasks.iter().filter_map(Weak::upgrade).collect();
        live.sort_by(|a, b| a.id.cmp(&b.id));
        live
    }

    /// Everything in the Prometheus text format (0.0.4), named `kafka_connect_<group>_<metric>` with `-` as `_`.
    pub fn render(&self, status: &StatusBoard) -> String {
        let (connectors, tasks) = status.snapshot();
        let mut out = Families::default();
        let worker = "connect-worker-metrics";
        out.add(worker, "connector-count", &[], connectors.len() as f64);
        out.add(worker, "task-count", &[], tasks.len() as f64);
        for (prefix, startups) in [
            ("connector", &self.connector_startups),
            ("task", &self.task_startups),
        ] {
            let attempts = startups.attempts.load(Relaxed);
            let successes = startups.successes.load(Relaxed);
            let failures = startups.failures.load(Relaxed);
            let percent = |n: u64| match attempts {
                0 => 0.0,
                a => n as f64 / a as f64,
            };
            out.add(
                worker,
                &format!("{prefix}-startup-attempts-total"),
                &[],
                attempts as f64,
            );
            out.add(
                worker,
                &format!("{prefix}-startup-success-total"),
                &[],
                successes as f64,
            );
            out.add(
                worker,
                &format!("{prefix}-startup-success-percentage"),
                &[],
                percent(successes),
            );
            out.add(
                worker,
                &format!("{prefix}-startup-failure-total"),
                &[],
                failures as f64,
            );
            out.add(
                worker,
                &format!("{prefix}-startup-failure-percentage"),
                &[],
                percent(failures),
            );
        }
        for (name, connector) in &connectors {
            let labels = [("connector", name.as_str())];
            let count = |state: State| {
                tasks
                    .iter()
                    .filter(|(id, s)| &id.connector == name && s.state == state)
                    .count() as f64
            };
            let total = tasks.keys().filter(|id| &id.connector == name).count();
            out.add(worker, "connector-total-task-count", &labels, total as f64);
            for (metric, state) in [
                ("connector-running-task-count", State::Running),
                ("connector-paused-task-count", State::Paused),
                ("connector-failed-task-count", State::Failed),
                ("connector-unassigned-task-count", State::Unassigned),
                ("connector-restarting-task-count", State::Restarting),
            ] {
                out.add(worker, metric, &labels, count(state));
            }
            let state = connector.state.name().to_ascii_lowercase();
            out.add(
                "connector-metrics",
                "status",
                &[("connector", name.as_str()), ("status", &state)],
                1.0,
            );
        }
        for (id, task_status) in &tasks {
            let task = id.task.to_string();
            let state = task_status.state.name().to_ascii_lowercase();
            out.add(
                "connector-task-metrics",
                "status",
                &[
                    ("connector", &id.connector),
                    ("task", &task),
                    ("status", &state),
                ],
                1.0,
            );
        }
        self.rebalance.render_into(&mut out);
        for task in self.live_tasks() {
            task.render_into(&mut out);
        }
        out.text()
    }
}

impl TaskMetrics {
    fn render_into(&self, out: &mut Families) {
        let task = self.id.task.to_string();
        let labels = [("connector", self.id.connector.as_str()), ("task", &task)];
        let common = "connector-task-metrics";
        let commits = self.commits.count();
        let failures = self.commit_failures.load(Relaxed);
        let share = |n: u64| match commits + failures {
            0 => 0.0,
            all => n as f64 / all as f64,
        };
        out.add(
            common,
            "offset-commit-max-time-ms",
            &labels,
            self.commits.max() as f64,
        );
        out.add(
            common,
            "offset-commit-avg-time-ms",
            &labels,
            self.commits.avg(),
        );
        out.add(
            common,
            "offset-commit-success-percentage",
            &labels,
            share(commits),
        );
        out.add(
            common,
            "offset-commit-failure-percentage",
            &labels,
            share(failures),
        );
        out.add(
            common,
            "batch-size-max",
            &labels,
            self.batch_size.max() as f64,
        );
        out.add(common, "batch-size-avg", &labels, self.batch_size.avg());
        let (group, into, out_name, batch) = match self.kind {
            TaskKind::Source => (
                "source-task-metrics",
                "source-record-poll",
                "source-record-write",
                "poll-batch",
            ),
            TaskKind::Sink => (
                "sink-task-metrics",
                "sink-record-read",
                "sink-record-send",
                "put-batch",
            ),
        };
        for (name, counter) in [(into, &self.records_in), (out_name, &self.records_out)] {
            out.add(
                group,
                &format!("{name}-total"),
                &labels,
                counter.total() as f64,
            );
            out.add(
                group,
                &format!("{name}-rate"),
                &labels,
                counter.rate(self.started),
            );
        }
        out.add(
            group,
            &format!("{batch}-max-time-ms"),
            &labels,
            self.batch_time.max() as f64,
        );
        out.add(
            group,
            &format!("{batch}-avg-time-ms"),
            &labels,
            self.batch_time.avg(),
        );
        match self.kind {
            TaskKind::Source => {
                let active = "source-record-active-count";
                out.add(
                    group,
                    active,
                    &labels,
                    self.active.current.load(Relaxed) as f64,
                );
                out.add(
                    group,
                    &format!("{active}-max"),
                    &labels,
                    self.active.max.load(Relaxed) as f64,
                );
            }
            TaskKind::Sink => {
                let skips = self.commit_skips.load(Relaxed) as f64;
                out.add(
                    group,
                    "partition-count",
                    &labels,
                    self.partition_count.load(Relaxed) as f64,
                );
                out.add(
                    group,
                    "offset-commit-completion-total",
                    &labels,
                    commits as f64,
                );
                out.add(group, "offset-commit-skip-total", &labels, skips);
            }
        }
        let errors = "task-error-metrics";
        let e = &self.errors;
        for (name, value) in [
            ("total-record-failures", &e.record_failures),
            ("total-record-errors", &e.record_errors),
            ("total-records-skipped", &e.records_skipped),
            ("total-retries", &e.retries),
            ("total-errors-logged", &e.errors_logged),
            ("deadletterqueue-produce-requests", &e.dlq_produce_requests),
            ("deadletterqueue-produce-failures", &e.dlq_produce_failures),
            ("last-error-timestamp", &e.last_error_timestamp),
        ] {
            out.add(errors, name, &labels, value.load(Relaxed) as f64);
        }
    }
}

/// Samples grouped by metric name, as the text format wants each family in one block.
#[derive(Default)]
struct Families(BTreeMap<String, Vec<String>>);

impl Families {
    fn add(&mut self, group: &str, metric: &str, labels: &[(&str, &str)], value: f64) {
        let name = format!("kafka_connect_{group}_{metric}").replace('-', "_");
        let mut sample = name.clone();
        if !labels.is_empty() {
            sample.push('{');
            for (i, (k, v)) in labels.iter().enumerate() {
                if i > 0 {
                    sample.push(',');
                }
                let escaped = v
                    .replace('\\', "\\\\")
                    .replace('"', "\\\"")
                    .replace('\n', "\\n");
                let _ = write!(sample, "{k}=\"{escaped}\"");
            }
            sample.push('}');
        }
        let _ = write!(sample, " {value}");
        self.0.entry(name).or_default().push(sample);
    }

    fn text(self) -> String {
        let mut text = String::new();
        for (name, samples) in self.0 {
            let _ = writeln!(text, "# TYPE {name} gauge");
            for sample in samples {
                text.push_str(&sample);
                text.push('\n');
            }
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counter_keeps_total_and_rate() {
        let counter = Counter::default();
        counter.add(30);
        counter.add(0);
        counter.add(30);
        assert_eq!(counter.total(), 60);
        // Started "now": the span is clamped to one second, so the whole window's 60 records count.
        assert_eq!(counter.rate(Instant::now()), 60.0);
    }

    #[test]
    fn stat_tracks_count_average_and_max() {
        let stat = Stat::default();
        assert_eq!(stat.avg(), 0.0);
        stat.record(2);
        stat.record(10);
        assert_eq!((stat.count(), stat.max(), stat.avg()), (2, 10, 6.0));
    }

    #[test]
    fn render_uses_kafka_names_and_labels() {
        let metrics = Metrics::default();
        let status = StatusBoard::default();
        let id = TaskId {
            connector: "my \"src\"".into(),
            task: 0,
        };
        status.set_connector(&id.connector, State::Running, None);
        status.set_task(&id, State::Running, None);
        metrics.task_started(true);
        let task = Arc::new(TaskMetrics::new(
            id.clone(),
            TaskKind::Source,
            Arc::default(),
        ));
        metrics.register_task(&task);
        task.records_in.add(5);
        task.errors.record_error();
        let text = metrics.render(&status);
        let labels = r#"{connector="my \"src\"",task="0"}"#;
        assert!(
            text.contains("kafka_connect_connect_worker_metrics_task_count 1\n"),
            "{text}"
        );
        assert!(text
            .contains("kafka_connect_connect_worker_metrics_task_startup_success_percentage 1\n"));
        assert!(text.contains(&format!(
            "kafka_connect_source_task_metrics_source_record_poll_total{labels} 5\n"
        )));
        assert!(text.contains(&format!(
            "kafka_connect_task_error_metrics_total_record_errors{labels} 1\n"
        )));
        assert!(text.contains(
            r#"kafka_connect_connector_task_metrics_status{connector="my \"src\"",task="0",status="running"} 1"#
        ));
        assert_eq!(
            text.matches("# TYPE kafka_connect_source_task_metrics_source_record_poll_total gauge")
                .count(),
            1
        );
        drop(task);
        assert!(
            !metrics.render(&status).contains("source_record_poll_total"),
            "dropped with its task"
        );
    }

    #[test]
    fn rebalance_metrics_appear_once_the_worker_joins() {
        let metrics = Metrics::default();
        let status = StatusBoard::default();
        let group = "kafka_connect_connect_worker_rebalance_metrics";
        assert!(!metrics.render(&status).contains(group), "standalone");
        metrics.rebalance.started();
        let text = metrics.render(&status);
        assert!(text.contains(&format!("{group}_rebalancing 1\n")), "{text}");
        assert!(text.contains(&format!("{group}_completed_rebalances_total 0\n")));
        metrics.rebalance.completed(3, "worker-1-abc", "sessioned");
        let text = metrics.render(&status);
        for line in [
            "_rebalancing 0",
            "_completed_rebalances_total 1",
            "_epoch 3",
            r#"_leader_name{leader="worker-1-abc"} 1"#,
            r#"_connect_protocol{protocol="sessioned"} 1"#,
        ] {
            assert!(text.contains(&format!("{group}{line}\n")), "{line}: {text}");
        }
        assert!(text.contains(&format!("{group}_time_since_last_rebalance_ms ")));
    }
}
