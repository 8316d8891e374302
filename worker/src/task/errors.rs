//! A connector's `errors.*` policy as the task runners apply it: retries of retriable failures, tolerance and
//! error logging (the dead letter queue itself is `dlq.rs`).

use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::{Duration, Instant};

use connect_api::config::split_list;
use connect_api::{Config, ConnectError};
use tracing::{debug, error, warn};

use crate::config::connector::{
    ERRORS_LOG_ENABLE, ERRORS_LOG_INCLUDE_MESSAGES, ERRORS_RETRY_DELAY_MAX_MS,
    ERRORS_RETRY_TIMEOUT, ERRORS_TOLERANCE,
};
use crate::metrics::ErrorMetrics;

/// The first delay between retries; it doubles per attempt up to `errors.retry.delay.max.ms` (Kafka's
/// `RetryWithToleranceOperator.RETRIES_DELAY_MIN_MS`).
const RETRY_DELAY_MIN: Duration = Duration::from_millis(300);

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

/// How long retriable failures are retried (`errors.retry.timeout`).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub enum RetryTimeout {
    /// `0`, the default: one attempt.
    #[default]
    None,
    /// `-1`: retry for as long as the failure stays retriable.
    Infinite,
    Limited(Duration),
}

#[derive(Clone, Debug, Default)]
pub struct ErrorPolicy {
    pub tolerate_all: bool,
    pub log: bool,
    pub log_messages: bool,
    pub retry_timeout: RetryTimeout,
    pub retry_delay_max: Duration,
    /// Counted for `task-error-metrics`.
    pub metrics: Arc<ErrorMetrics>,
}

impl ErrorPolicy {
    pub fn from_config(config: &Config) -> Self {
        let flag = |k: &str| {
            config
                .get(k)
                .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
        };
        let millis = |k: &str, default: i64| {
            config
                .get(k)
                .and_then(|v| v.trim().parse::<i64>().ok())
                .unwrap_or(default)
        };
        let retry_timeout = match millis(ERRORS_RETRY_TIMEOUT, 0) {
            -1 => RetryTimeout::Infinite,
            ms if ms > 0 => RetryTimeout::Limited(Duration::from_millis(ms as u64)),
            _ => RetryTimeout::None,
        };
        ErrorPolicy {
            tolerate_all: config
                .get(ERRORS_TOLERANCE)
                .is_some_and(|v| v.trim().eq_ignore_ascii_case("all")),
            log: flag(ERRORS_LOG_ENABLE),
            log_messages: flag(ERRORS_LOG_INCLUDE_MESSAGES),
            retry_timeout,
            retry_delay_max: Duration::from_millis(
                millis(ERRORS_RETRY_DELAY_MAX_MS, 60_000).max(0) as u64,
            ),
            metrics: Arc::default(),
        }
    }

    /// Runs `op` on `input`, and again on a copy of it after a backoff each time it fails with a retriable error,
    /// until it succeeds, fails otherwise, or `errors.retry.timeout` runs out (Kafka's `execAndRetry`). The input is
    /// cloned only when retries are configured.
    pub fn retry<I: Clone, T>(
        &self,
        input: I,
        mut op: impl FnMut(I) -> Result<T, (Stage, ConnectError)>,
    ) -> Result<T, (Stage, ConnectError)> {
        if self.retry_timeout == RetryTimeout::None {
            return op(input);
        }
        let started = Instant::now();
        let deadline = match self.retry_timeout {
            RetryTimeout::Limited(timeout) => Some(started + timeout),
            _ => None,
        };
        let mut attempt: u32 = 0;
        loop {
            let (stage, error) = match op(input.clone()) {
                Ok(done) => return Ok(done),
                Err(failure) => failure,
            };
            let now = Instant::now();
            if !error.is_retriable() || deadline.is_some_and(|d| now >= d) {
                return Err((stage, error));
            }
            attempt += 1;
            self.metrics.record_retry();
            let mut delay = self.backoff(attempt);
            if let Some(deadline) = deadline {
                delay = delay.min(deadline - now);
            }
            debug!(
                "Retrying stage {} after {delay:?} (attempt {attempt}): {error}",
                stage.name()
            );
            std::thread::sleep(delay);
        }
    }

    /// The delay before retry `attempt` (1-based): 300 ms doubled per attempt; past `errors.retry.delay.max.ms`, a
    /// random delay below that maximum, as Kafka adds jitter.
    fn backoff(&self, attempt: u32) -> Duration {
        let doubled = RETRY_DELAY_MIN.saturating_mul(1u32 << (attempt - 1).min(20));
        if doubled <= self.retry_delay_max {
            return doubled;
        }
        let max_ms = self.retry_delay_max.as_millis().max(1) as u64;
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos() as u64)
            .unwrap_or_default();
        Duration::from_millis(nanos % max_ms)
    }

    /// Applies the policy to one failed record: `Ok` means skip it and go on; `Err` means the task must fail.
    pub fn handle(
        &self,
        task: &str,
        stage: Stage,
        error: ConnectError,
        describe: impl FnOnce() -> String,
    ) -> Result<(), ConnectError> {
        self.metrics.record_error();
        if self.log {
            self.metrics.errors_logged.fetch_add(1, Relaxed);
            let detail = if self.log_messages {
                describe()
            } else {
                String::new()
            };
            error!("Error encountered in task {task}. Executing stage '{}' with class '{}'{detail}: {error}", stage.name(), error.class_name());
        }
        if self.tolerate_all {
            self.metrics.records_skipped.fetch_add(1, Relaxed);
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

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(timeout: &str, delay_max: &str) -> ErrorPolicy {
        let mut config = Config::new();
        config.insert(ERRORS_RETRY_TIMEOUT.into(), timeout.into());
        config.insert(ERRORS_RETRY_DELAY_MAX_MS.into(), delay_max.into());
        ErrorPolicy::from_config(&config)
    }

    /// An operation that fails with `error` for its first `failures` attempts, counting attempts.
    fn flaky(
        failures: usize,
        error: ConnectError,
        attempts: &mut usize,
    ) -> impl FnMut(u8) -> Result<u8, (Stage, ConnectError)> + '_ {
        move |input| {
            *attempts += 1;
            if *attempts <= failures {
                Err((Stage::ValueConverter, error.clone()))
            } else {
                Ok(input + 1)
            }
        }
    }

    #[test]
    fn retriable_failures_are_retried_until_they_succeed() {
        let mut attempts = 0;
        let result = policy("10000", "10")
            .retry(41, flaky(2, ConnectError::retriable("busy"), &mut attempts));
        assert_eq!(result.map_err(|e| e.1.to_string()), Ok(42));
        assert_eq!(attempts, 3);
    }

    #[test]
    fn no_retries_by_default() {
        let mut attempts = 0;
        let result =
            policy("0", "10").retry(1, flaky(1, ConnectError::retriable("busy"), &mut attempts));
        assert!(matches!(result, Err((_, ConnectError::Retriable(_)))));
        assert_eq!(attempts, 1);
    }

    #[test]
    fn other_failures_are_not_retried() {
        let mut attempts = 0;
        let result =
            policy("-1", "10").retry(1, flaky(5, ConnectError::data("bad"), &mut attempts));
        assert!(matches!(
            result,
            Err((Stage::ValueConverter, ConnectError::Data(_)))
        ));
        assert_eq!(attempts, 1);
    }

    #[test]
    fn retries_stop_at_the_timeout() {
        let mut attempts = 0;
        let result = policy("700", "100").retry(
            1,
            flaky(usize::MAX, ConnectError::retriable("down"), &mut attempts),
        );
        assert!(matches!(result, Err((_, ConnectError::Retriable(_)))));
        // 300 ms, then delays capped below 100 ms: more than two attempts fit in 700 ms, not unboundedly many.
        assert!(attempts > 2, "attempts {attempts}");
    }

    #[test]
    fn backoff_doubles_from_300_ms_up_to_the_maximum() {
        let p = policy("-1", "1000");
        assert_eq!(p.backoff(1), Duration::from_millis(300));
        assert_eq!(p.backoff(2), Duration::from_millis(600));
        assert!(p.backoff(3) < Duration::from_millis(1000));
        assert_eq!(p.retry_timeout, RetryTimeout::Infinite);
    }
}
