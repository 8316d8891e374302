//! Log levels behind `/admin/loggers` (Kafka's `Loggers`): Kafka's `root` logger is the default level, every other
//! logger is a tracing target prefix (`connect_worker::task`, `connect_file`), and each change rebuilds the
//! subscriber's `EnvFilter` through a reload handle so that it applies at once.

use std::collections::BTreeMap;
use std::str::FromStr;
use std::sync::{Mutex, OnceLock};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;
use tracing::{info, warn};
use tracing_subscriber::filter::Directive;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{reload, EnvFilter, Registry};

/// Kafka's name for the root logger; here it is the level of every target no other logger covers.
pub const ROOT_LOGGER: &str = "root";

/// A logger's level as the REST API shows it (Kafka's `LoggerLevel`); `last_modified` is set by API changes only.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LoggerLevel {
    pub level: String,
    pub last_modified: Option<i64>,
}

/// The tracing level for one of log4j's level names (case-insensitive), which Kafka's API accepts.
fn tracing_level(level: &str) -> Option<&'static str> {
    match level.to_ascii_uppercase().as_str() {
        "ALL" | "TRACE" => Some("trace"),
        "DEBUG" => Some("debug"),
        "INFO" => Some("info"),
        "WARN" => Some("warn"),
        "ERROR" | "FATAL" => Some("error"),
        "OFF" => Some("off"),
        _ => None,
    }
}

/// Whether Kafka accepts `level` as a log level.
pub fn is_valid_level(level: &str) -> bool {
    tracing_level(level).is_some()
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// The levels in force.
#[derive(Debug, PartialEq)]
struct Levels {
    root: LoggerLevel,
    loggers: BTreeMap<String, LoggerLevel>,
    /// `RUST_LOG` directives that are not a plain `[target=]level` (span or field filters), kept as they are.
    passthrough: Vec<String>,
}

impl Levels {
    /// From `RUST_LOG` (`info` when unset): a bare level is `root`, `target=level` a logger.
    fn from_env(rust_log: Option<&str>) -> Levels {
        let initial = |level: &str| LoggerLevel {
            level: level.to_ascii_uppercase(),
            last_modified: None,
        };
        let mut levels = Levels {
            root: initial("INFO"),
            loggers: BTreeMap::new(),
            passthrough: Vec::new(),
        };
        let Some(spec) = rust_log.filter(|s| !s.trim().is_empty()) else {
            return levels;
        };
        // An EnvFilter with no bare level enables nothing beyond its directives.
        levels.root = initial("OFF");
        for directive in spec.split(',').map(str::trim).filter(|d| !d.is_empty()) {
            match directive.split_once('=') {
                None if is_valid_level(directive) => levels.root = initial(directive),
                Some((target, level)) if is_valid_level(level) && !target.contains(['[', '{']) => {
                    levels.loggers.insert(target.to_string(), initial(level));
                }
                _ => levels.passthrough.push(directive.to_string()),
            }
        }
        levels
    }

    /// The filter these levels describe; a logger name tracing cannot use as a target is left out (and logged).
    fn filter(&self) -> EnvFilter {
        let mut directives = vec![tracing_level(&self.root.level)
            .unwrap_or("info")
            .to_string()];
        for (name, l) in &self.loggers {
            directives.push(format!(
                "{name}={}",
                tracing_level(&l.level).unwrap_or("info")
            ));
        }
        directives.extend(self.passthrough.iter().cloned());
        directives
            .iter()
            .filter_map(|d| match Directive::from_str(d) {
                Ok(d) => Some(d),
                Err(e) => {
                    warn!("Log level directive {d} has no effect: {e}");
                    None
                }
            })
            .fold(EnvFilter::default(), EnvFilter::add_directive)
    }

    /// The level a logger inherits: that of the longest logger name it starts with, else root's.
    fn effective(&self, namespace: &str) -> &str {
        self.loggers
            .iter()
            .filter(|(name, _)| namespace.starts_with(name.as_str()))
            .max_by_key(|(name, _)| name.len())
            .map_or(&self.root.level, |(_, l)| &l.level)
    }

    /// Kafka's `Loggers.setLevel`: `root` sets every logger; any other name sets itself and every logger whose name
    /// starts with it. Returns the affected logger names, sorted.
    fn set(&mut self, namespace: &str, level: &str, now: i64) -> Vec<String> {
        let level = level.to_ascii_uppercase();
        let update = |l: &mut LoggerLevel| {
            if l.level != level {
                l.level = level.clone();
                l.last_modified = Some(now);
            }
        };
        let mut affected = Vec::new();
        if namespace.eq_ignore_ascii_case(ROOT_LOGGER) {
            for (name, l) in self.loggers.iter_mut() {
                update(l);
                affected.push(name.clone());
            }
            update(&mut self.root);
            affected.push(ROOT_LOGGER.to_string());
        } else {
            if !self.loggers.contains_key(namespace) && self.effective(namespace) != level {
                self.loggers.insert(
                    namespace.to_string(),
                    LoggerLevel {
                        level: level.clone(),
                        last_modified: Some(now),
                    },
                );
            }
            for (name, l) in self
                .loggers
                .iter_mut()
                .filter(|(name, _)| name.starts_with(namespace))
            {
                update(l);
                if name != namespace {
                    affected.push(name.clone());
                }
            }
            affected.push(namespace.to_string());
        }
        affected.sort();
        affected
    }
}

/// This process's log levels and the handle that applies them.
pub struct Loggers {
    levels: Mutex<Levels>,
    handle: Option<reload::Handle<EnvFilter, Registry>>,
}

static LOGGERS: OnceLock<Loggers> = OnceLock::new();

/// Installs the process's subscriber (stderr, levels from `RUST_LOG`) with its filter behind a reload handle.
pub fn init() {
    let levels = Levels::from_env(std::env::var("RUST_LOG").ok().as_deref());
    let (filter, handle) = reload::Layer::new(levels.filter());
    tracing_subscriber::registry()
        .with(filter)
        .with(tracing_subscriber::fmt::layer().with_writer(std::io::stderr))
        .init();
    let _ = LOGGERS.set(Loggers {
        levels: Mutex::new(levels),
        handle: Some(handle),
    });
}

/// The process's loggers (without [`init`], levels are only recorded, as in unit tests).
pub fn loggers() -> &'static Loggers {
    LOGGERS.get_or_init(|| Loggers {
        levels: Mutex::new(Levels::from_env(std::env::var("RUST_LOG").ok().as_deref())),
        handle: None,
    })
}

impl Loggers {
    /// Every logger with a level, plus `root`, sorted by name (`GET /admin/loggers`).
    pub fn all(&self) -> BTreeMap<String, LoggerLevel> {
        let levels = self.levels.lock().unwrap_or_else(|p| p.into_inner());
        let mut all = levels.loggers.clone();
        all.insert(ROOT_LOGGER.to_string(), levels.root.clone());
        all
    }

    /// One logger's level; `None` for a name that has no level of its own.
    pub fn level(&self, name: &str) -> Option<LoggerLevel> {
        let levels = self.levels.lock().unwrap_or_else(|p| p.into_inner());
        if name.eq_ignore_ascii_case(ROOT_LOGGER) {
            return Some(levels.root.clone());
        }
        levels.loggers.get(name).cloned()
    }

    /// Sets `namespace` and the loggers under it to `level` (a valid level name) and applies the new filter.
    pub fn set_level(&self, namespace: &str, level: &str) -> Vec<String> {
        if !is_valid_level(level) {
            warn!("Ignoring invalid log level '{level}' for namespace {namespace}");
            return Vec::new();
        }
        let mut levels = self.levels.lock().unwrap_or_else(|p| p.into_inner());
        let affected = levels.set(namespace, level, now_ms());
        if let Some(handle) = &self.handle {
            if let Err(e) = handle.reload(levels.filter()) {
                warn!("Could not apply the new log levels: {e}");
            }
        }
        drop(levels);
        info!(
            "Set level of namespace {namespace} and children to {}",
            level.to_ascii_uppercase()
        );
        affected
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn level(l: &str, at: Option<i64>) -> LoggerLevel {
        LoggerLevel {
            level: l.into(),
            last_modified: at,
        }
    }

    #[test]
    fn rust_log_becomes_root_and_loggers() {
        let l = Levels::from_env(Some("warn,connect_worker::task=debug,x[span]=trace"));
        assert_eq!(l.root, level("WARN", None));
        assert_eq!(l.loggers["connect_worker::task"], level("DEBUG", None));
        assert_eq!(l.passthrough, ["x[span]=trace"]);
        assert_eq!(Levels::from_env(None).root.level, "INFO");
        assert_eq!(Levels::from_env(Some("a=debug")).root.level, "OFF");
    }

    #[test]
    fn setting_a_namespace_covers_its_children_like_kafka() {
        let mut l = Levels::from_env(Some("info,connect_worker::task=debug"));
        assert_eq!(
            l.set("connect_worker", "trace", 7),
            ["connect_worker", "connect_worker::task"]
        );
        assert_eq!(l.loggers["connect_worker"], level("TRACE", Some(7)));
        assert_eq!(l.loggers["connect_worker::task"], level("TRACE", Some(7)));
        // Already at the inherited level: reported, but no level of its own.
        assert_eq!(l.set("connect_file", "info", 8), ["connect_file"]);
        assert!(!l.loggers.contains_key("connect_file"));
        assert_eq!(
            l.set("ROOT", "error", 9),
            ["connect_worker", "connect_worker::task", "root"]
        );
        assert_eq!(l.root, level("ERROR", Some(9)));
        assert_eq!(l.loggers["connect_worker::task"].level, "ERROR");
        assert!(is_valid_level("fatal") && !is_valid_level("verbose"));
    }
}
