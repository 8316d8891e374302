//! `connector.client.config.override.policy` (KIP-458): which `producer.override.*`, `consumer.override.*` and
//! `admin.override.*` settings a connector config may carry.

use connect_api::config::with_prefix;
use connect_api::plugin::PluginKind;
use connect_api::Config;

/// The names the worker setting accepts: Kafka's aliases and its policy class names.
pub const POLICY_NAMES: &[&str] = &[
    "All",
    "None",
    "Principal",
    "AllConnectorClientConfigOverridePolicy",
    "NoneConnectorClientConfigOverridePolicy",
    "PrincipalConnectorClientConfigOverridePolicy",
    "org.apache.kafka.connect.connector.policy.AllConnectorClientConfigOverridePolicy",
    "org.apache.kafka.connect.connector.policy.NoneConnectorClientConfigOverridePolicy",
    "org.apache.kafka.connect.connector.policy.PrincipalConnectorClientConfigOverridePolicy",
];

/// The client settings the `Principal` policy lets a connector override.
const PRINCIPAL_SETTINGS: &[&str] = &["sasl.jaas.config", "sasl.mechanism", "security.protocol"];

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum OverridePolicy {
    #[default]
    All,
    None,
    Principal,
}

impl OverridePolicy {
    /// The policy a (validated) worker setting names; `All` when unset.
    pub fn from_setting(value: Option<&str>) -> OverridePolicy {
        let name = value.unwrap_or("All").trim();
        let simple = name.rsplit('.').next().unwrap_or(name);
        match simple.trim_end_matches("ConnectorClientConfigOverridePolicy") {
            "None" => OverridePolicy::None,
            "Principal" => OverridePolicy::Principal,
            _ => OverridePolicy::All,
        }
    }

    /// Kafka's policy name, as its error messages give it.
    fn name(self) -> &'static str {
        match self {
            OverridePolicy::All => "All",
            OverridePolicy::None => "None",
            OverridePolicy::Principal => "Principal",
        }
    }

    fn allows(self, client_setting: &str) -> bool {
        match self {
            OverridePolicy::All => true,
            OverridePolicy::None => false,
            OverridePolicy::Principal => PRINCIPAL_SETTINGS.contains(&client_setting),
        }
    }

    /// `(connector config key, error)` for every override the policy refuses, checking the prefixes Kafka checks for
    /// this kind of connector (sources: producer and admin; sinks: consumer and admin).
    pub fn violations(self, config: &Config, kind: PluginKind) -> Vec<(String, String)> {
        let prefixes: &[&str] = match kind {
            PluginKind::Source => &["producer.override.", "admin.override."],
            PluginKind::Sink => &["consumer.override.", "admin.override."],
            _ => &[],
        };
        let mut refused = Vec::new();
        for prefix in prefixes {
            for setting in with_prefix(config, prefix).into_keys() {
                if !self.allows(&setting) {
                    refused.push((
                        format!("{prefix}{setting}"),
                        format!(
                            "The '{}' policy does not allow '{setting}' to be overridden in the connector configuration.",
                            self.name()
                        ),
                    ));
                }
            }
        }
        refused
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::test_support::config;

    #[test]
    fn aliases_and_class_names_name_the_same_policy() {
        assert_eq!(OverridePolicy::from_setting(None), OverridePolicy::All);
        assert_eq!(
            OverridePolicy::from_setting(Some("None")),
            OverridePolicy::None
        );
        assert_eq!(
            OverridePolicy::from_setting(Some(
                "org.apache.kafka.connect.connector.policy.PrincipalConnectorClientConfigOverridePolicy"
            )),
            OverridePolicy::Principal
        );
        assert_eq!(
            OverridePolicy::from_setting(Some("NoneConnectorClientConfigOverridePolicy")),
            OverridePolicy::None
        );
        for name in POLICY_NAMES {
            let policy = OverridePolicy::from_setting(Some(name));
            assert!(name.contains(policy.name()), "{name} → {policy:?}");
        }
    }

    #[test]
    fn each_policy_refuses_what_kafkas_does() {
        let c = config(&[
            ("producer.override.acks", "1"),
            ("producer.override.security.protocol", "SSL"),
            ("consumer.override.max.poll.records", "10"),
            ("admin.override.sasl.mechanism", "PLAIN"),
        ]);
        assert!(OverridePolicy::All
            .violations(&c, PluginKind::Source)
            .is_empty());
        let none = OverridePolicy::None.violations(&c, PluginKind::Source);
        let keys: Vec<&str> = none.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            keys,
            [
                "producer.override.acks",
                "producer.override.security.protocol",
                "admin.override.sasl.mechanism"
            ]
        );
        assert_eq!(
            none[0].1,
            "The 'None' policy does not allow 'acks' to be overridden in the connector configuration."
        );
        let principal = OverridePolicy::Principal.violations(&c, PluginKind::Sink);
        assert_eq!(
            principal,
            [(
                "consumer.override.max.poll.records".to_string(),
                "The 'Principal' policy does not allow 'max.poll.records' to be overridden in the connector configuration.".to_string()
            )]
        );
    }
}
