//! What both herders use to run work on this worker: finding a connector's plugin, starting a Connector instance
//! and generating its task configs, and spawning source and sink task runners.

use std::sync::Arc;
use std::time::Duration;

use connect_api::config::split_list;
use connect_api::plugin::PluginKind;
use connect_api::{Config, ConnectError, Connector, ConnectorContext};
use connect_transforms::TransformChain;
use tracing::error;

use super::{HerderError, HerderResult};
use crate::config::connector::{
    CONNECTOR_CLASS, NAME, OFFSETS_STORAGE_TOPIC, TASKS_MAX, TASK_CLASS, TOPICS, TOPICS_REGEX,
    TRANSACTION_BOUNDARY, TRANSACTION_BOUNDARY_INTERVAL_MS,
};
use crate::config::providers::ConfigProviders;
use crate::config::worker::WorkerConfig;
use crate::kafka;
use crate::metrics::{Metrics, TaskKind, TaskMetrics};
use crate::plugins::{LibraryPlugin, PluginConnector, PluginSinkTask, PluginSourceTask, Plugins};
use crate::storage::{ConnectorOffsetTopics, LayeredOffsetStore, OffsetStore};
use crate::task::convert::RecordConverters;
use crate::task::dlq::DeadLetterQueue;
use crate::task::errors::ErrorPolicy;
use crate::task::topic_creation::TopicCreation;
use crate::task::{sink, source, State, StatusBoard, TaskHandle, TaskId};

/// Distributed mode's exactly-once source settings (KIP-618).
pub struct ExactlyOnceSource {
    /// Whether `exactly.once.source.support` is `enabled`.
    pub enabled: bool,
    /// `group.id`: task transactional ids are `<group.id>-<connector>-<task>`.
    pub group_id: String,
    /// The worker's offsets topic, where tasks of connectors without their own write their offsets.
    pub offsets_topic: String,
}

impl ExactlyOnceSource {
    /// The transactional id of a task's producer (Kafka's `Worker.taskTransactionalId`).
    pub fn transactional_id(&self, connector: &str, task: u32) -> String {
        format!("{}-{connector}-{task}", self.group_id)
    }
}

/// The worker-wide things connectors and tasks are started with.
pub struct WorkerRuntime {
    pub worker: WorkerConfig,
    pub plugins: Arc<Plugins>,
    pub providers: ConfigProviders,
    pub offsets: Arc<dyn OffsetStore>,
    /// Source connectors' own offsets topics (distributed mode only).
    pub connector_offset_topics: Option<ConnectorOffsetTopics>,
    /// `None` in standalone mode.
    pub exactly_once: Option<ExactlyOnceSource>,
    pub status: Arc<StatusBoard>,
    pub metrics: Arc<Metrics>,
}

impl WorkerRuntime {
    /// The connector plugin named by `connector.class`.
    pub fn plugin_for(&self, config: &Config) -> HerderResult<&LibraryPlugin> {
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

    /// Where a source connector's offsets live: its own `offsets.storage.topic` layered over the worker's topic in
    /// distributed mode, else the worker's store.
    pub fn offset_store(&self, config: &Config) -> Result<Arc<dyn OffsetStore>, String> {
        let own = config
            .get(OFFSETS_STORAGE_TOPIC)
            .map(|t| t.trim())
            .filter(|t| !t.is_empty());
        let (Some(topic), Some(topics)) = (own, &self.connector_offset_topics) else {
            return Ok(self.offsets.clone());
        };
        Ok(match topics.store(topic)? {
            Some(store) => Arc::new(LayeredOffsetStore {
                connector: store,
                worker: self.offsets.clone(),
            }),
            None => self.offsets.clone(),
        })
    }

    /// A source task's transactions when exactly-once support is enabled: its producer gets the task's
    /// transactional id, and its offsets go to the connector's own offsets topic if it has one (copied to the
    /// worker's after each commit), else the worker's.
    fn transactions(
        &self,
        id: &TaskId,
        connector_config: &Config,
        producer: &mut rdkafka::ClientConfig,
    ) -> Option<source::Transactions> {
        let eos = self.exactly_once.as_ref().filter(|e| e.enabled)?;
        producer
            .set(
                "transactional.id",
                eos.transactional_id(&id.connector, id.task),
            )
            .set("enable.idempotence", "true");
        let offsets_topic = connector_config
            .get(OFFSETS_STORAGE_TOPIC)
            .map(|t| t.trim())
            .filter(|t| !t.is_empty())
            .unwrap_or(&eos.offsets_topic)
            .to_string();
        let boundary = match connector_config
            .get(TRANSACTION_BOUNDARY)
            .map(|b| b.trim().to_ascii_lowercase())
            .as_deref()
        {
            Some("interval") => {
                let ms = connector_config
                    .get(TRANSACTION_BOUNDARY_INTERVAL_MS)
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .unwrap_or(self.worker.offset_flush_interval_ms);
                source::Boundary::Interval(Duration::from_millis(ms.max(1)))
            }
            Some("connector") => source::Boundary::Connector,
            _ => source::Boundary::Poll,
        };
        let worker_offsets = (offsets_topic != eos.offsets_topic).then(|| self.offsets.clone());
        Some(source::Transactions {
            connector: id.connector.clone(),
            offsets_topic,
            boundary,
            worker_offsets,
        })
    }

    /// `task.shutdown.graceful.timeout.ms`.
    pub fn grace(&self) -> Duration {
        Duration::from_millis(self.worker.task_shutdown_timeout_ms)
    }

    /// Starts a Connector instance with its (provider-resolved) config and asks it for at most `tasks.max` task
    /// configs, to which `task.class` (and for sinks `topics`/`topics.regex`) are added.
    pub fn start_connector_instance(
        &self,
        name: &str,
        config: &Config,
        kind: PluginKind,
        ctx: Box<dyn ConnectorContext>,
    ) -> Result<(Box<dyn Connector>, Vec<Config>), ConnectError> {
        let started = (|| {
            let resolved = self.providers.resolve_all(config);
            let plugin = self
                .plugin_for(&resolved)
                .map_err(|e| ConnectError::config(e.to_string()))?;
            let mut instance: Box<dyn Connector> = Box::new(PluginConnector::create(plugin)?);
            instance.start(&resolved, ctx)?;
            match self.generate_task_configs(name, instance.as_mut(), config, kind) {
                Ok(configs) => Ok((instance, configs)),
                Err(e) => {
                    let _ = instance.stop();
                    Err(e)
                }
            }
        })();
        self.metrics.connector_started(started.is_ok());
        started
    }

    /// Metrics for a task about to start, registered for `/metrics`; its error policy counts into them.
    fn task_metrics(&self, id: &TaskId, kind: TaskKind, policy: &ErrorPolicy) -> Arc<TaskMetrics> {
        let metrics = Arc::new(TaskMetrics::new(id.clone(), kind, policy.metrics.clone()));
        self.metrics.register_task(&metrics);
        metrics
    }

    /// Everything for `GET /metrics`.
    pub fn render_metrics(&self) -> String {
        self.metrics.render(&self.status)
    }

    /// Asks a running Connector for at most `tasks.max` task configs and adds `task.class` (and for sinks
    /// `topics`/`topics.regex`) to each.
    pub fn generate_task_configs(
        &self,
        name: &str,
        instance: &mut dyn Connector,
        config: &Config,
        kind: PluginKind,
    ) -> Result<Vec<Config>, ConnectError> {
        let resolved = self.providers.resolve_all(config);
        let plugin = self
            .plugin_for(&resolved)
            .map_err(|e| ConnectError::config(e.to_string()))?;
        let max = resolved
            .get(TASKS_MAX)
            .and_then(|t| t.trim().parse::<usize>().ok())
            .unwrap_or(1)
            .max(1);
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
                if let Some(v) = config.get(key).filter(|_| kind == PluginKind::Sink) {
                    c.insert(key.to_string(), v.clone());
                }
            }
        }
        Ok(configs)
    }

    /// Builds and starts one task thread (paused if asked); a task that cannot be built is FAILED with the reason.
    pub fn start_task(
        &self,
        id: &TaskId,
        kind: PluginKind,
        connector_config: &Config,
        task_config: &Config,
        paused: bool,
    ) -> Option<TaskHandle> {
        let name = id.connector.as_str();
        let task = id.task;
        let connector_config = self.providers.resolve_all(connector_config);
        let task_config = self.providers.resolve_all(task_config);
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
            let spawned = match kind {
                PluginKind::Source => {
                    let mut producer = kafka::producer_config(
                        &self.worker,
                        &connector_config,
                        &client_id("producer"),
                    );
                    let transactions = self.transactions(id, &connector_config, &mut producer);
                    source::spawn(source::SourceTaskSetup {
                        id: id.clone(),
                        metrics: self.task_metrics(id, TaskKind::Source, &policy),
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
                        producer,
                        transactions,
                        offsets: self
                            .offset_store(&connector_config)
                            .map_err(ConnectError::connect)?,
                        status: self.status.clone(),
                        policy,
                        flush_interval,
                        flush_timeout: Duration::from_millis(
                            self.worker.offset_flush_timeout_ms.max(1),
                        ),
                    })
                }
                _ => {
                    let regex = connector_config
                        .get(TOPICS_REGEX)
                        .map(|r| r.trim().to_string())
                        .filter(|r| !r.is_empty());
                    sink::spawn(sink::SinkTaskSetup {
                        id: id.clone(),
                        metrics: self.task_metrics(id, TaskKind::Sink, &policy),
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
                        dlq: DeadLetterQueue::create(&self.worker, &connector_config, id)?,
                        connector_class: plugin.info.class_name.clone(),
                    })
                }
            };
            spawned
                .map_err(|e| ConnectError::connect(format!("Could not start the task thread: {e}")))
        })();
        self.metrics.task_started(built.is_ok());
        match built {
            Ok(handle) => {
                if paused {
                    handle.control.pause();
                }
                Some(handle)
            }
            Err(e) => {
                error!("Task {id} failed to start: {e}");
                self.status.set_task(id, State::Failed, Some(e.trace()));
                None
            }
        }
    }

    /// Checks a connector config before it is created or replaced (name matches, config valid); adds `name`.
    pub fn validate_for_put(&self, name: &str, config: &mut Config) -> HerderResult<PluginKind> {
        if let Some(n) = config.get(NAME) {
            if n.trim() != name {
                return Err(HerderError::BadRequest(format!(
                    "Connector name configuration ({}) doesn't match connector name in the URL ({name})",
                    n.trim()
                )));
            }
        }
        config.insert(NAME.to_string(), name.to_string());
        let infos = match super::validate_connector_config(
            &self.plugins,
            self.worker.client_override_policy,
            self.exactly_once.as_ref().map(|e| e.enabled),
            config,
        ) {
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
