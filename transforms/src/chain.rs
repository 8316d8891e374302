//! `TransformChain`: builds a connector's `transforms`/`predicates` config and applies the stages in order.

use std::collections::{BTreeMap, HashSet};

use connect_api::config::split_list;
use connect_api::transform::{Predicate, Transformation};
use connect_api::{ConnectError, ConnectRecord, ConnectResult};

use crate::registry::canonical_class;
use crate::util::config::java_list;

pub const TRANSFORMS_CONFIG: &str = "transforms";
pub const PREDICATES_CONFIG: &str = "predicates";
pub const TYPE_CONFIG: &str = "type";
pub const PREDICATE_CONFIG: &str = "predicate";
pub const NEGATE_CONFIG: &str = "negate";

struct StagePredicate {
    alias: String,
    class: String,
    predicate: Box<dyn Predicate>,
    negate: bool,
}

struct Stage {
    alias: String,
    class: String,
    transformation: Box<dyn Transformation>,
    predicate: Option<StagePredicate>,
}

/// A connector's ordered transformation stages.
#[derive(Default)]
pub struct TransformChain {
    stages: Vec<Stage>,
}

impl std::fmt::Debug for TransformChain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.stages()).finish()
    }
}

/// Kafka's `ConfigException(name, value, message)`.
fn invalid(key: &str, value: &str, message: &str) -> ConnectError {
    ConnectError::config(format!(
        "Invalid value {value} for configuration {key}: {message}"
    ))
}

/// Rewrites a plugin's config error so that it names the prefixed key (`transforms.t.spec`), as Kafka's enriched
/// connector ConfigDef reports it.
fn prefixed(error: ConnectError, prefix: &str) -> ConnectError {
    let ConnectError::Config(message) = &error else {
        return error;
    };
    if let Some(rest) = message.strip_prefix("Missing required configuration \"") {
        return ConnectError::config(format!("Missing required configuration \"{prefix}{rest}"));
    }
    if message.starts_with("Invalid value ") {
        if let Some(at) = message.find(" for configuration ") {
            let (head, tail) = message.split_at(at + " for configuration ".len());
            return ConnectError::config(format!("{head}{prefix}{tail}"));
        }
    }
    error
}

fn aliases(config: &BTreeMap<String, String>, key: &str) -> ConnectResult<Vec<String>> {
    let list = split_list(config.get(key).map(String::as_str).unwrap_or(""));
    let unique: HashSet<&String> = list.iter().collect();
    if unique.len() < list.len() {
        return Err(invalid(key, &java_list(&list), "Duplicate alias provided."));
    }
    Ok(list)
}

fn with_prefix(config: &BTreeMap<String, String>, prefix: &str) -> BTreeMap<String, String> {
    connect_api::config::with_prefix(config, prefix)
}

impl TransformChain {
    /// An empty chain (no `transforms`).
    pub fn empty() -> Self {
        Self::default()
    }

    /// Builds the chain from a connector config (`transforms`, `transforms.<alias>.type|predicate|negate|<keys>`,
    /// `predicates`, `predicates.<alias>.type|<keys>`), with Kafka's messages for bad configs.
    pub fn from_config(
        config: &BTreeMap<String, String>,
        transformation: &dyn Fn(&str) -> Option<Box<dyn Transformation>>,
        predicate: &dyn Fn(&str) -> Option<Box<dyn Predicate>>,
    ) -> Result<TransformChain, ConnectError> {
        let transform_aliases = aliases(config, TRANSFORMS_CONFIG)?;
        let predicate_aliases = aliases(config, PREDICATES_CONFIG)?;

        // Every listed predicate must be valid, whether or not a transformation uses it.
        for alias in &predicate_aliases {
            Self::predicate(config, alias, true, predicate)?;
        }

        let mut stages = Vec::with_capacity(transform_aliases.len());
        for alias in &transform_aliases {
            let prefix = format!("{TRANSFORMS_CONFIG}.{alias}.");
            let type_key = format!("{prefix}{TYPE_CONFIG}");
            let class = config.get(&type_key).map(|c| c.trim().to_string());
            let Some(class) = class.filter(|c| !c.is_empty()) else {
                return Err(invalid(&type_key, "null", "Not a Transformation"));
            };
            let mut transformation = transformation(&class).ok_or_else(|| {
                invalid(
                    &type_key,
                    &class,
                    &format!("Class {class} could not be found."),
                )
            })?;

            let negate_key = format!("{prefix}{NEGATE_CONFIG}");
            let predicate_key = format!("{prefix}{PREDICATE_CONFIG}");
            if config.contains_key(&negate_key) && !config.contains_key(&predicate_key) {
                return Err(ConnectError::config(format!(
                    "Config '{negate_key}' was provided but there is no config '{predicate_key}' defining a \
                     predicate to be negated."
                )));
            }
            let negate = match config
                .get(&negate_key)
                .map(|v| v.trim().to_ascii_lowercase())
            {
                None => false,
                Some(v) if v == "true" => true,
                Some(v) if v == "false" => false,
                Some(_) => {
                    return Err(invalid(
                        &negate_key,
                        &config[&negate_key],
                        "Expected value to be either true or false",
                    ))
                }
            };

            let mut props = with_prefix(config, &prefix);
            props.remove(PREDICATE_CONFIG);
            props.remove(NEGATE_CONFIG);
            transformation
                .configure(&props)
                .map_err(|e| prefixed(e, &prefix))?;

            let stage_predicate = match config.get(&predicate_key).map(|p| p.trim()) {
                None => None,
                Some(predicate_alias) => {
                    let listed = predicate_aliases.iter().any(|p| p == predicate_alias);
                    let (class, instance) =
                        Self::predicate(config, predicate_alias, listed, predicate)?;
                    Some(StagePredicate {
                        alias: predicate_alias.to_string(),
                        class,
                        predicate: instance,
                        negate,
                    })
                }
            };
            stages.push(Stage {
                alias: alias.clone(),
                class: canonical_class(&class),
                transformation,
                predicate: stage_predicate,
            });
        }
        Ok(TransformChain { stages })
    }

    /// A new, configured predicate for `predicates.<alias>.*`.
    fn predicate(
        config: &BTreeMap<String, String>,
        alias: &str,
        listed: bool,
        lookup: &dyn Fn(&str) -> Option<Box<dyn Predicate>>,
    ) -> ConnectResult<(String, Box<dyn Predicate>)> {
        let prefix = format!("{PREDICATES_CONFIG}.{alias}.");
        let type_key = format!("{prefix}{TYPE_CONFIG}");
        let class = config
            .get(&type_key)
            .map(|c| c.trim().to_string())
            .filter(|c| !c.is_empty());
        let Some(class) = class else {
            return Err(if listed {
                invalid(&type_key, "null", "Not a Predicate")
            } else {
                ConnectError::config(format!("Unknown configuration '{type_key}'"))
            });
        };
        let mut instance = lookup(&class).ok_or_else(|| {
            invalid(
                &type_key,
                &class,
                &format!("Class {class} could not be found."),
            )
        })?;
        instance
            .configure(&with_prefix(config, &prefix))
            .map_err(|e| prefixed(e, &prefix))?;
        Ok((canonical_class(&class), instance))
    }

    /// Applies the stages in order; `None` means a stage dropped the record. An error names the stage.
    pub fn apply(
        &mut self,
        mut record: ConnectRecord,
    ) -> Result<Option<ConnectRecord>, ConnectError> {
        for stage in &mut self.stages {
            if let Some(p) = &mut stage.predicate {
                let matched = p.predicate.test(&record).map_err(|e| {
                    stage_error(
                        e,
                        &format!(
                            "predicate '{}' ({}) of transformation '{}'",
                            p.alias, p.class, stage.alias
                        ),
                    )
                })?;
                if matched == p.negate {
                    continue;
                }
            }
            match stage.transformation.apply(record) {
                Ok(Some(next)) => record = next,
                Ok(None) => return Ok(None),
                Err(e) => {
                    return Err(stage_error(
                        e,
                        &format!("transformation '{}' ({})", stage.alias, stage.class),
                    ))
                }
            }
        }
        Ok(Some(record))
    }

    pub fn is_empty(&self) -> bool {
        self.stages.is_empty()
    }

    pub fn len(&self) -> usize {
        self.stages.len()
    }

    /// (alias, class name) of each stage, in order.
    pub fn stages(&self) -> impl Iterator<Item = (&str, &str)> {
        self.stages
            .iter()
            .map(|s| (s.alias.as_str(), s.class.as_str()))
    }
}

/// Keeps the error kind (so retriable stays retriable) and prefixes the stage.
fn stage_error(error: ConnectError, stage: &str) -> ConnectError {
    let message = format!("Error in {stage}: {}", error.message());
    match error {
        ConnectError::Config(_) => ConnectError::Config(message),
        ConnectError::Data(_) => ConnectError::Data(message),
        ConnectError::Retriable(_) => ConnectError::Retriable(message),
        ConnectError::Connect(_) => ConnectError::Connect(message),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::{builtin_predicate, builtin_transformation};
    use crate::util::testing::{props, s};
    use connect_api::data::Value;

    fn chain(pairs: &[(&str, &str)]) -> ConnectResult<TransformChain> {
        TransformChain::from_config(&props(pairs), &builtin_transformation, &builtin_predicate)
    }

    fn err(pairs: &[(&str, &str)]) -> String {
        chain(pairs).unwrap_err().to_string()
    }

    fn on_topic(topic: &str) -> ConnectRecord {
        ConnectRecord::new(topic, None, s("v"))
    }

    #[test]
    fn empty_chain_passes_records() {
        let mut c = chain(&[]).unwrap();
        assert!(c.is_empty());
        assert_eq!(c.apply(on_topic("a")).unwrap(), Some(on_topic("a")));
    }

    #[test]
    fn stages_apply_in_order() {
        let mut c = chain(&[
            ("transforms", "a, b"),
            (
                "transforms.a.type",
                "org.apache.kafka.connect.transforms.RegexRouter",
            ),
            ("transforms.a.regex", "(.*)"),
            ("transforms.a.replacement", "$1-x"),
            ("transforms.b.type", "RegexRouter"),
            ("transforms.b.regex", "(.*)-x"),
            ("transforms.b.replacement", "y-$1"),
        ])
        .unwrap();
        assert_eq!(c.len(), 2);
        assert_eq!(c.apply(on_topic("t")).unwrap().unwrap().topic, "y-t");
        let stages: Vec<_> = c.stages().collect();
        assert_eq!(
            stages[1],
            ("b", "org.apache.kafka.connect.transforms.RegexRouter")
        );
    }

    #[test]
    fn predicates_gate_stages() {
        let base = [
            ("transforms", "drop"),
            ("transforms.drop.type", "Filter"),
            ("transforms.drop.predicate", "isFoo"),
            ("predicates", "isFoo"),
            (
                "predicates.isFoo.type",
                "org.apache.kafka.connect.transforms.predicates.TopicNameMatches",
            ),
            ("predicates.isFoo.pattern", "foo.*"),
        ];
        let mut c = chain(&base).unwrap();
        assert_eq!(c.apply(on_topic("foo1")).unwrap(), None);
        assert!(c.apply(on_topic("bar")).unwrap().is_some());

        let mut negated = base.to_vec();
        negated.push(("transforms.drop.negate", "true"));
        let mut c = chain(&negated).unwrap();
        assert!(c.apply(on_topic("foo1")).unwrap().is_some());
        assert_eq!(c.apply(on_topic("bar")).unwrap(), None);
    }

    #[test]
    fn predicate_alias_need_not_be_listed() {
        let mut c = chain(&[
            ("transforms", "drop"),
            ("transforms.drop.type", "Filter"),
            ("transforms.drop.predicate", "tomb"),
            ("predicates.tomb.type", "RecordIsTombstone"),
        ])
        .unwrap();
        assert_eq!(
            c.apply(ConnectRecord::new("t", None, Value::Null)).unwrap(),
            None
        );
    }

    #[test]
    fn config_errors_use_kafka_messages() {
        assert_eq!(
            err(&[("transforms", "dangler")]),
            "Invalid value null for configuration transforms.dangler.type: Not a Transformation"
        );
        assert_eq!(
            err(&[("transforms", "a"), ("transforms.a.type", "uninstantiable")]),
            "Invalid value uninstantiable for configuration transforms.a.type: Class uninstantiable could not be found."
        );
        assert_eq!(
            err(&[("transforms", "a, a"), ("transforms.a.type", "Filter")]),
            "Invalid value [a, a] for configuration transforms: Duplicate alias provided."
        );
        assert_eq!(
            err(&[("transforms", "a"), ("transforms.a.type", "Filter"), ("transforms.a.negate", "true")]),
            "Config 'transforms.a.negate' was provided but there is no config 'transforms.a.predicate' defining a \
             predicate to be negated."
        );
        assert_eq!(
            err(&[("transforms", "a"), ("transforms.a.type", "Cast$Value")]),
            "Missing required configuration \"transforms.a.spec\" which has no default value."
        );
        assert_eq!(
            err(&[
                ("transforms", "a"),
                ("transforms.a.type", "ValueToKey"),
                ("transforms.a.fields", "")
            ]),
            "Invalid value [] for configuration transforms.a.fields: Empty list"
        );
        assert_eq!(
            err(&[
                ("transforms", "a"),
                ("transforms.a.type", "Filter"),
                ("transforms.a.predicate", "p"),
                ("predicates", "p")
            ]),
            "Invalid value null for configuration predicates.p.type: Not a Predicate"
        );
        assert_eq!(
            err(&[
                ("transforms", "a"),
                ("transforms.a.type", "Filter"),
                ("transforms.a.predicate", "nope")
            ]),
            "Unknown configuration 'predicates.nope.type'"
        );
        assert_eq!(
            err(&[("predicates", "p"), ("predicates.p.type", "HasHeaderKey")]),
            "Missing required configuration \"predicates.p.name\" which has no default value."
        );
        assert_eq!(
            err(&[
                ("transforms", "a"),
                ("transforms.a.type", "Filter"),
                ("transforms.a.predicate", "p"),
                ("transforms.a.negate", "maybe"),
                ("predicates", "p"),
                ("predicates.p.type", "RecordIsTombstone"),
            ]),
            "Invalid value maybe for configuration transforms.a.negate: Expected value to be either true or false"
        );
    }

    #[test]
    fn apply_errors_name_the_stage() {
        let mut c = chain(&[
            ("transforms", "extract"),
            ("transforms.extract.type", "ExtractField$Value"),
            ("transforms.extract.field", "id"),
        ])
        .unwrap();
        let e = c
            .apply(ConnectRecord::new("t", None, Value::Int32(1)))
            .unwrap_err();
        assert!(matches!(e, ConnectError::Data(_)));
        assert_eq!(
            e.to_string(),
            "Error in transformation 'extract' (org.apache.kafka.connect.transforms.ExtractField$Value): Only Map \
             objects supported in absence of schema for [field extraction], found: java.lang.Integer"
        );
    }

    #[test]
    fn debezium_unwrap_then_route_by_alias() {
        let mut c = chain(&[
            ("transforms", "unwrap,route"),
            (
                "transforms.unwrap.type",
                "io.debezium.transforms.ExtractNewRecordState",
            ),
            ("transforms.unwrap.delete.tombstone.handling.mode", "drop"),
            ("transforms.route.type", "RegexRouter"),
            ("transforms.route.regex", "([^.]+)\\.([^.]+)\\.([^.]+)"),
            ("transforms.route.replacement", "$3"),
        ])
        .unwrap();
        let stages: Vec<_> = c.stages().collect();
        assert_eq!(stages[0].1, "io.debezium.transforms.ExtractNewRecordState");
        // A non-envelope passes the unwrap stage and is still routed.
        let out = c.apply(on_topic("server.public.orders")).unwrap().unwrap();
        assert_eq!(out.topic, "orders");
        // A tombstone is dropped by the unwrap stage.
        assert_eq!(
            c.apply(ConnectRecord::new(
                "server.public.orders",
                None,
                Value::Null
            ))
            .unwrap(),
            None
        );
    }

    #[test]
    fn chain_can_move_to_a_task_thread() {
        fn assert_send<T: Send>() {}
        assert_send::<TransformChain>();
    }
}
