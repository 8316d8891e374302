//! Connector config validation as Kafka's `AbstractHerder.validateConnectorConfig` reports it: framework keys,
//! the connector's own keys, unknown keys, sink topic rules and transform/predicate types.

use std::collections::BTreeSet;

use connect_api::config::{split_list, ConfigDef, ConfigValue};
use connect_api::plugin::PluginKind;
use connect_api::{Config, Connector, ExactlyOnceSupport};
use rdkafka::ClientConfig;

use super::{HerderError, HerderResult};
use crate::config::connector::{
    framework_config_def, CONNECTOR_CLASS, EXACTLY_ONCE_SUPPORT, PREDICATES, TOPICS, TOPICS_REGEX,
    TRANSACTION_BOUNDARY, TRANSFORMS,
};
use crate::config::override_policy::OverridePolicy;
use crate::plugins::{PluginConnector, Plugins};
use crate::rest::entities::{ConfigInfo, ConfigInfos, ConfigKeyInfo, ConfigValueInfo};
use crate::task::topic_creation::TopicCreation;

fn add_error(values: &mut [ConfigValue], key: &str, message: &str) {
    if let Some(v) = values.iter_mut().find(|v| v.name == key) {
        v.errors.push(message.to_string());
    }
}

/// Sink `topics`/`topics.regex` rules (`SinkConnectorConfig.validate`).
fn check_sink_topics(config: &Config, values: &mut [ConfigValue]) {
    let topics = config
        .get(TOPICS)
        .map(|t| split_list(t))
        .unwrap_or_default();
    let regex = config
        .get(TOPICS_REGEX)
        .map(|r| r.trim().to_string())
        .unwrap_or_default();
    if !topics.is_empty() && !regex.is_empty() {
        let msg = "topics and topics.regex are mutually exclusive options, but both are set.";
        add_error(values, TOPICS, msg);
        add_error(values, TOPICS_REGEX, msg);
    } else if topics.is_empty() && regex.is_empty() {
        let msg = "Must configure one of topics or topics.regex";
        add_error(values, TOPICS, msg);
        add_error(values, TOPICS_REGEX, msg);
    } else if !regex.is_empty() && regex::Regex::new(&regex).is_err() {
        add_error(values, TOPICS_REGEX, &format!("Invalid regex: {regex}"));
    }
}

/// `topic.creation.<group>.*` settings (Kafka validates them when the connector uses topic creation).
fn check_topic_creation(config: &Config, values: &mut Vec<ConfigValue>) {
    if let Err((key, message)) = TopicCreation::from_config(true, config, ClientConfig::new()) {
        match values.iter_mut().find(|v| v.name == key) {
            Some(v) => v.errors.push(message),
            None => values.push(ConfigValue {
                value: config.get(&key).cloned(),
                errors: vec![message],
                ..ConfigValue::new(key)
            }),
        }
    }
}

/// `transforms.<alias>.type` and `predicates.<alias>.type` must name known plugins.
fn check_chain(plugins: &Plugins, config: &Config, values: &mut [ConfigValue]) {
    for (list, prefix, is_transform) in [
        (TRANSFORMS, "transforms", true),
        (PREDICATES, "predicates", false),
    ] {
        let aliases = config.get(list).map(|t| split_list(t)).unwrap_or_default();
        let mut seen = BTreeSet::new();
        for alias in aliases {
            if !seen.insert(alias.clone()) {
                add_error(values, list, &format!("Duplicate alias provided: {alias}"));
                continue;
            }
            let type_key = format!("{prefix}.{alias}.type");
            match config.get(&type_key).map(|s| s.trim()) {
                None | Some("") => add_error(
                    values,
                    list,
                    &format!(
                        "Missing required configuration \"{type_key}\" which has no default value."
                    ),
                ),
                Some(class) => {
                    let known = if is_transform {
                        plugins.new_transformation(class).is_some()
                    } else {
                        plugins.new_predicate(class).is_some()
                    };
                    if !known {
                        let kind = if is_transform {
                            "Transformation"
                        } else {
                            "Predicate"
                        };
                        add_error(values, list, &format!("Invalid value {class} for configuration {type_key}: Class {class} could not be found or is not a {kind}."));
                    }
                }
            }
        }
    }
}

/// KIP-618 checks of a source connector, as distributed workers make them whether or not exactly-once support is
/// enabled: what the connector says of `exactly.once.support=required` and `transaction.boundary=connector`.
fn check_exactly_once(
    connector: &dyn Connector,
    config: &Config,
    enabled: bool,
    values: &mut [ConfigValue],
) {
    let setting = |values: &[ConfigValue], key: &str| {
        let value = values.iter().find(|v| v.name == key)?;
        value.errors.is_empty().then(|| {
            config
                .get(key)
                .map(|v| v.trim().to_ascii_lowercase())
                .unwrap_or_default()
        })
    };
    if setting(values, EXACTLY_ONCE_SUPPORT).as_deref() == Some("required") {
        if !enabled {
            add_error(
                values,
                EXACTLY_ONCE_SUPPORT,
                "This worker does not have exactly-once source support enabled.",
            );
        }
        match connector.exactly_once_support(config) {
            Some(ExactlyOnceSupport::Supported) => {}
            Some(ExactlyOnceSupport::Unsupported) => add_error(values, EXACTLY_ONCE_SUPPORT, "The connector does not support exactly-once semantics with the provided configuration."),
            None => add_error(values, EXACTLY_ONCE_SUPPORT, "The connector does not implement the API required for preflight validation of exactly-once source support. Please consult the documentation for the connector to determine whether it supports exactly-once semantics, and then consider reconfiguring the connector to use the value \"requested\" for this property (which will disable this preflight check and allow the connector to be created)."),
        }
    }
    if setting(values, TRANSACTION_BOUNDARY).as_deref() == Some("connector")
        && !connector.can_define_transaction_boundaries(config)
    {
        add_error(values, TRANSACTION_BOUNDARY, "The connector does not support connector-defined transaction boundaries with the given configuration. Please reconfigure it to use a different transaction boundary definition.");
    }
}

/// Client overrides the worker's `connector.client.config.override.policy` refuses, each an error on its key.
fn check_client_overrides(
    policy: OverridePolicy,
    kind: PluginKind,
    config: &Config,
    values: &mut Vec<ConfigValue>,
) {
    for (key, message) in policy.violations(config, kind) {
        values.push(ConfigValue {
            value: config.get(&key).cloned(),
            errors: vec![message],
            ..ConfigValue::new(key)
        });
    }
}

/// Validates a connector config: `Err` only when it names no usable connector class. `exactly_once` is `None` in
/// standalone mode, else whether the worker has exactly-once source support enabled.
pub fn validate_connector_config(
    plugins: &Plugins,
    policy: OverridePolicy,
    exactly_once: Option<bool>,
    config: &Config,
) -> HerderResult<ConfigInfos> {
    let Some(class) = config.get(CONNECTOR_CLASS).map(|c| c.trim().to_string()) else {
        return Err(HerderError::BadRequest(format!(
            "Connector config {config:?} contains no connector type"
        )));
    };
    let plugin = plugins.connector(&class).ok_or_else(|| {
        HerderError::Internal(format!(
            "Failed to find any class that implements Connector and which name matches {class}"
        ))
    })?;
    let framework = framework_config_def(plugin.info.kind);
    let mut values = framework.validate(config);
    if plugin.info.kind == PluginKind::Sink {
        check_sink_topics(config, &mut values);
    }
    let connector = PluginConnector::create(plugin);
    if plugin.info.kind == PluginKind::Source {
        check_topic_creation(config, &mut values);
        if let (Some(enabled), Ok(connector)) = (exactly_once, &connector) {
            check_exactly_once(connector, config, enabled, &mut values);
        }
    }
    check_chain(plugins, config, &mut values);
    check_client_overrides(policy, plugin.info.kind, config, &mut values);
    let own_values = match connector {
        Ok(connector) => Connector::validate(&connector, config, &plugin.info.config_def),
        Err(e) => vec![ConfigValue {
            errors: vec![e.to_string()],
            ..ConfigValue::new(CONNECTOR_CLASS)
        }],
    };
    let all_def: ConfigDef = framework.clone().merge(&plugin.info.config_def);
    let mut configs = Vec::new();
    for (key, value) in config {
        if all_def.key(key).is_none() && !values.iter().any(|v| &v.name == key) {
            let v = ConfigValue {
                value: Some(value.clone()),
                ..ConfigValue::new(key.clone())
            };
            configs.push(ConfigInfo {
                definition: None,
                value: Some(v.into()),
            });
        }
    }
    for v in values.into_iter().chain(own_values) {
        let definition = all_def.key(&v.name).map(ConfigKeyInfo::from);
        configs.push(ConfigInfo {
            definition,
            value: Some(ConfigValueInfo::from(v)),
        });
    }
    let error_count = configs
        .iter()
        .filter_map(|c| c.value.as_ref())
        .map(|v| v.errors.len())
        .sum();
    let mut groups = framework.groups();
    for g in plugin.info.config_def.groups() {
        if !groups.contains(&g) {
            groups.push(g);
        }
    }
    Ok(ConfigInfos {
        name: class,
        error_count,
        groups,
        configs,
    })
}
