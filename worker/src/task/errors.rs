//! A connector's `errors.*` policy as the task runners apply it: tolerance and error logging (the dead letter
//! queue itself is `dlq.rs`).

use connect_api::config::split_list;
use connect_api::{Config, ConnectError};
use tracing::{error, warn};

/// Where in the pipeline an error happened (Kafka's `Stage`).
#[derive(Clone, Copy, Debug)]
pub enum Stage {
    KeyConverter,
    ValueConverter,
    HeaderConverter,
    Transformation,
    KafkaProduce,
    TaskPut,
}

impl Stage {
    pub fn name(self) -> &'static str {
        match self {
            Self::KeyConverter => "KEY_CONVERTER",
            Self::ValueConverter => "VALUE_CONVERTER",
            Self::HeaderConverter => "HEADER_CONVERTER",
            Self::Transformation => "TRANSFORMATION",
            Self::KafkaProduce => "KAFKA_PRODUCE",
            Self::TaskPut => "TASK_PUT",
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct ErrorPolicy {
    pub tolerate_all: bool,
    pub log: bool,
    pub log_messages: bool,
}

impl ErrorPolicy {
    pub fn from_config(config: &Config) -> Self {
        let flag = |k: &str| {
            config
                .get(k)
                .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
        };
        ErrorPolicy {
            tolerate_all: config
                .get("errors.tolerance")
                .is_some_and(|v| v.trim().eq_ignore_ascii_case("all")),
            log: flag("errors.log.enable"),
            log_messages: flag("errors.log.include.messages"),
        }
    }

    /// Applies the policy to one failed record: `Ok` means skip it and go on; `Err` means the task must fail.
    pub fn handle(
        &self,
        task: &str,
        stage: Stage,
        error: ConnectError,
        describe: impl FnOnce() -> String,
    ) -> Result<(), ConnectError> {
        if self.log {
            let detail = if self.log_messages {
                describe()
            } else {
                String::new()
            };
            error!("Error encountered in task {task}. Executing stage '{}' with class '{}'{detail}: {error}", stage.name(), error.class_name());
        }
        if self.tolerate_all {
            if !self.log {
                warn!(
                    "Task {task} skipped a record that failed in stage {}: {error}",
                    stage.name()
                );
            }
            return Ok(());
        }
        Err(ConnectError::connect(format!(
            "Tolerance exceeded in error handler. Stage {}: {}",
            stage.name(),
            error.trace()
        )))
    }
}

/// `topics` as a list, for sinks.
pub fn topics(config: &Config) -> Vec<String> {
    config
        .get("topics")
        .map(|t| split_list(t))
        .unwrap_or_default()
}
