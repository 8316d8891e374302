//! Source topic creation (KIP-158): `topic.creation.groups` and `topic.creation.<group>.*` decide the partitions,
//! replication factor and topic configs of topics a source task writes to before they exist.

use std::collections::{BTreeMap, HashSet};

use connect_api::config::split_list;
use connect_api::{Config, ConnectError};
use rdkafka::ClientConfig;
use regex::Regex;
use tracing::info;

use crate::config::connector::TOPIC_CREATION_GROUPS;
use crate::kafka::topics::{create_topic, Created, TopicSettings};

const PREFIX: &str = "topic.creation.";
const DEFAULT_GROUP: &str = "default";
const INCLUDE: &str = "include";
const EXCLUDE: &str = "exclude";
const REPLICATION_FACTOR: &str = "replication.factor";
const PARTITIONS: &str = "partitions";

#[derive(Debug)]
struct Group {
    name: String,
    include: Vec<Regex>,
    exclude: Vec<Regex>,
    settings: TopicSettings,
}

impl Group {
    /// Java's `Pattern.matches`: the whole name must match; an exclusion wins over an inclusion.
    fn matches(&self, topic: &str) -> bool {
        let full = |r: &Regex| r.find(topic).is_some_and(|m| m.len() == topic.len());
        self.include.iter().any(full) && !self.exclude.iter().any(full)
    }
}

/// A connector's topic creation rules, and the topics its task already made sure of.
#[derive(Debug)]
pub struct TopicCreation {
    groups: Vec<Group>,
    default: TopicSettings,
    admin: ClientConfig,
    known: HashSet<String>,
}

/// A setting that failed validation: the key and Kafka's message for it.
pub type InvalidSetting = (String, String);

fn number(config: &Config, key: &str, fallback: Option<i32>) -> Result<i32, InvalidSetting> {
    let Some(raw) = config.get(key).map(|v| v.trim()) else {
        return fallback.ok_or_else(|| {
            (
                key.to_string(),
                format!("Missing required configuration \"{key}\" which has no default value."),
            )
        });
    };
    let value: i32 = raw.parse().map_err(|_| {
        (
            key.to_string(),
            format!("Invalid value {raw} for configuration {key}: Not a number of type SHORT"),
        )
    })?;
    let message = if key.ends_with(REPLICATION_FACTOR) {
        "Replication factor must be positive and not larger than the number of brokers in the Kafka cluster, or -1 to use the broker's default"
    } else {
        "Number of partitions must be positive, or -1 to use the broker's default"
    };
    if value == -1 || value >= 1 {
        Ok(value)
    } else {
        Err((
            key.to_string(),
            format!("Invalid value {value} for configuration {key}: {message}"),
        ))
    }
}

fn patterns(config: &Config, key: &str) -> Result<Vec<Regex>, InvalidSetting> {
    let list = config.get(key).map(|v| split_list(v)).unwrap_or_default();
    list.iter()
        .map(|p| {
            Regex::new(p).map_err(|e| {
                (
                    key.to_string(),
                    format!("Invalid value {p} for configuration {key}: Syntax error in regular expression: {e}"),
                )
            })
        })
        .collect()
}

/// Keys under `topic.creation.<group>.` that are topic configs rather than group settings.
fn topic_configs(config: &Config, group: &str) -> BTreeMap<String, String> {
    let prefix = format!("{PREFIX}{group}.");
    config
        .iter()
        .filter_map(|(k, v)| Some((k.strip_prefix(&prefix)?, v)))
        .filter(|(k, _)| ![INCLUDE, EXCLUDE, REPLICATION_FACTOR, PARTITIONS].contains(k))
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

impl TopicCreation {
    /// Whether a source connector's config asks for topic creation (any `topic.creation.default.*` key).
    pub fn requested(config: &Config) -> bool {
        let default_prefix = format!("{PREFIX}{DEFAULT_GROUP}.");
        config.keys().any(|k| k.starts_with(&default_prefix))
    }

    /// The connector's rules, or `None` when topic creation is off for it (the worker's `topic.creation.enable`
    /// is false, or the connector sets no `topic.creation.default.*`).
    pub fn from_config(
        worker_enabled: bool,
        config: &Config,
        admin: ClientConfig,
    ) -> Result<Option<TopicCreation>, InvalidSetting> {
        if !worker_enabled || !Self::requested(config) {
            return Ok(None);
        }
        let key = |group: &str, setting: &str| format!("{PREFIX}{group}.{setting}");
        let default = TopicSettings {
            replication_factor: number(config, &key(DEFAULT_GROUP, REPLICATION_FACTOR), None)?,
            partitions: number(config, &key(DEFAULT_GROUP, PARTITIONS), None)?,
            configs: topic_configs(config, DEFAULT_GROUP),
        };
        let names = config
            .get(TOPIC_CREATION_GROUPS)
            .map(|g| split_list(g))
            .unwrap_or_default();
        let mut groups = Vec::new();
        for name in names.into_iter().filter(|n| n != DEFAULT_GROUP) {
            // Groups fall back to the default group's partitions and replication factor.
            let settings = TopicSettings {
                replication_factor: number(
                    config,
                    &key(&name, REPLICATION_FACTOR),
                    Some(default.replication_factor),
                )?,
                partitions: number(config, &key(&name, PARTITIONS), Some(default.partitions))?,
                configs: topic_configs(config, &name),
            };
            groups.push(Group {
                include: patterns(config, &key(&name, INCLUDE))?,
                exclude: patterns(config, &key(&name, EXCLUDE))?,
                name,
                settings,
            });
        }
        Ok(Some(TopicCreation {
            groups,
            default,
            admin,
            known: HashSet::new(),
        }))
    }

    /// The group a topic falls in: the first listed group that matches it, else `default`.
    pub fn settings_for(&self, topic: &str) -> (&str, &TopicSettings) {
        self.groups
            .iter()
            .find(|g| g.matches(topic))
            .map(|g| (g.name.as_str(), &g.settings))
            .unwrap_or((DEFAULT_GROUP, &self.default))
    }

    /// Creates `topic` with its group's settings unless this task already saw it; an existing topic is left as it is.
    pub fn ensure(&mut self, topic: &str) -> Result<(), ConnectError> {
        if self.known.contains(topic) {
            return Ok(());
        }
        let (group, settings) = self.settings_for(topic);
        match create_topic(&self.admin, topic, settings)? {
            Created::New => info!(
                "Created topic '{topic}' using creation group '{group}': {} partitions, replication factor {}, configs {:?}",
                settings.partitions, settings.replication_factor, settings.configs
            ),
            Created::Existed => info!("Topic '{topic}' exists; not creating it"),
        }
        self.known.insert(topic.to_string());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::test_support::config;

    fn rules(pairs: &[(&str, &str)]) -> Result<Option<TopicCreation>, InvalidSetting> {
        TopicCreation::from_config(true, &config(pairs), ClientConfig::new())
    }

    #[test]
    fn off_unless_the_worker_enables_it_and_the_default_group_is_set() {
        let defaults = [
            ("topic.creation.default.replication.factor", "1"),
            ("topic.creation.default.partitions", "3"),
        ];
        assert!(rules(&[]).unwrap().is_none());
        assert!(
            TopicCreation::from_config(false, &config(&defaults), ClientConfig::new())
                .unwrap()
                .is_none()
        );
        assert!(rules(&defaults).unwrap().is_some());
    }

    #[test]
    fn the_default_group_needs_both_settings() {
        let err = rules(&[("topic.creation.default.partitions", "3")]).unwrap_err();
        assert_eq!(err.0, "topic.creation.default.replication.factor");
        assert!(
            err.1.contains("Missing required configuration"),
            "{}",
            err.1
        );
        let err = rules(&[
            ("topic.creation.default.partitions", "0"),
            ("topic.creation.default.replication.factor", "-1"),
        ])
        .unwrap_err();
        assert_eq!(
            err.1,
            "Invalid value 0 for configuration topic.creation.default.partitions: Number of partitions must be positive, or -1 to use the broker's default"
        );
    }

    #[test]
    fn first_matching_group_wins_and_inherits_the_default_counts() {
        let creation = rules(&[
            ("topic.creation.groups", "compacted, busy"),
            ("topic.creation.default.replication.factor", "-1"),
            ("topic.creation.default.partitions", "3"),
            ("topic.creation.default.retention.ms", "1000"),
            ("topic.creation.compacted.include", "db\\..*, audit"),
            ("topic.creation.compacted.exclude", "db\\.skip"),
            ("topic.creation.compacted.cleanup.policy", "compact"),
            ("topic.creation.busy.include", ".*"),
            ("topic.creation.busy.partitions", "12"),
        ])
        .unwrap()
        .unwrap();
        let (group, settings) = creation.settings_for("db.orders");
        assert_eq!(group, "compacted");
        assert_eq!(
            settings,
            &TopicSettings {
                partitions: 3,
                replication_factor: -1,
                configs: [("cleanup.policy".to_string(), "compact".to_string())].into(),
            }
        );
        // Excluded from the first group, so the next one that matches takes it.
        assert_eq!(creation.settings_for("db.skip").0, "busy");
        assert_eq!(creation.settings_for("db.skip").1.partitions, 12);
        // Patterns match whole names only.
        assert_eq!(creation.settings_for("audit-log").0, "busy");
        assert_eq!(creation.settings_for("audit").0, "compacted");
    }

    #[test]
    fn groups_without_include_match_nothing() {
        let creation = rules(&[
            ("topic.creation.groups", "empty"),
            ("topic.creation.default.replication.factor", "1"),
            ("topic.creation.default.partitions", "1"),
            ("topic.creation.default.cleanup.policy", "delete"),
        ])
        .unwrap()
        .unwrap();
        let (group, settings) = creation.settings_for("anything");
        assert_eq!(group, "default");
        assert_eq!(settings.configs["cleanup.policy"], "delete");
    }
}
