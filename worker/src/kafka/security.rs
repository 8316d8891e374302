//! Kafka's Java client security settings (`security.protocol`, `sasl.*`, `ssl.*`) in librdkafka's terms, so that a
//! worker file written for Kafka Connect reaches a secured cluster unchanged where librdkafka can do the same thing.

use std::collections::BTreeMap;

use tracing::warn;

use crate::config::jaas::parse_jaas;
use crate::config::pem::setting;
use crate::distributed::group::{Mechanism, SaslCredentials};

/// Top-level worker settings that configure a client's connection security (Kafka applies them to the worker's own
/// clients and to connector admin clients).
pub fn is_security_setting(key: &str) -> bool {
    key == "security.protocol" || key.starts_with("sasl.") || key.starts_with("ssl.")
}

/// Java settings with no librdkafka counterpart: the JVM's TLS provider knobs and login class hooks.
const JAVA_ONLY: &[&str] = &[
    "ssl.protocol",
    "ssl.enabled.protocols",
    "ssl.provider",
    "ssl.trustmanager.algorithm",
    "ssl.keymanager.algorithm",
    "ssl.secure.random.implementation",
    "ssl.engine.factory.class",
    "ssl.truststore.password",
    "security.providers",
    "sasl.login.class",
    "sasl.login.callback.handler.class",
    "sasl.client.callback.handler.class",
];

/// Rewrites Java security settings in `settings` to librdkafka's; settings librdkafka already understands under the
/// same name (`security.protocol`, `ssl.key.password`, `sasl.kerberos.service.name`, ...) stay. What cannot be
/// expressed (a JKS store, a login module other than PLAIN or SCRAM) is dropped with a warning naming the fix.
pub fn translate(settings: &mut BTreeMap<String, String>) {
    if let Some(jaas) = settings.remove("sasl.jaas.config") {
        match credentials(&jaas) {
            Ok((username, password)) => {
                settings.entry("sasl.username".into()).or_insert(username);
                settings.entry("sasl.password".into()).or_insert(password);
            }
            Err(e) => warn!("sasl.jaas.config ignored: {e}"),
        }
    }
    if let Some(mechanism) = settings.remove("sasl.mechanism") {
        settings
            .entry("sasl.mechanisms".into())
            .or_insert(mechanism);
    }
    translate_truststore(settings);
    translate_keystore(settings);
    // Java turns host name verification off with an empty value; librdkafka with `none`.
    if let Some(algorithm) = settings.get_mut("ssl.endpoint.identification.algorithm") {
        if algorithm.trim().is_empty() {
            *algorithm = "none".into();
        }
    }
    for key in JAVA_ONLY {
        settings.remove(*key);
    }
}

/// The SASL mechanism and credentials of the worker's own group connection, from its top-level `security.protocol`,
/// `sasl.mechanism` (Kafka's default, GSSAPI, is refused) and `sasl.jaas.config`; `None` unless the protocol is
/// SASL_PLAINTEXT or SASL_SSL.
pub fn group_connection_sasl(
    settings: &BTreeMap<String, String>,
) -> Result<Option<SaslCredentials>, String> {
    let protocol = setting(settings, "security.protocol").unwrap_or("PLAINTEXT");
    if !protocol.to_ascii_uppercase().starts_with("SASL_") {
        return Ok(None);
    }
    let mechanism = Mechanism::parse(setting(settings, "sasl.mechanism").unwrap_or("GSSAPI"))?;
    let jaas = setting(settings, "sasl.jaas.config").ok_or_else(|| {
        format!(
            "security.protocol={protocol} needs sasl.jaas.config with a PLAIN or SCRAM login module's username and \
             password"
        )
    })?;
    let (username, password) = credentials(jaas).map_err(|e| format!("sasl.jaas.config: {e}"))?;
    Ok(Some(SaslCredentials {
        mechanism,
        username,
        password,
    }))
}

/// The user name and password of a PLAIN or SCRAM login module line (`<class> required username="..."
/// password="...";`).
fn credentials(jaas: &str) -> Result<(String, String), String> {
    let entries = parse_jaas(&format!("client {{ {jaas} }};"))?;
    let module = entries
        .into_iter()
        .flat_map(|(_, modules)| modules)
        .next()
        .ok_or("no login module")?;
    if !(module.class.ends_with(".PlainLoginModule") || module.class.ends_with(".ScramLoginModule"))
    {
        return Err(format!(
            "login module {} is not supported; librdkafka takes PLAIN and SCRAM credentials (or set its own \
             sasl.* settings, e.g. sasl.oauthbearer.config)",
            module.class
        ));
    }
    let option = |name: &str| {
        module
            .options
            .get(name)
            .cloned()
            .ok_or_else(|| format!("{} has no {name} option", module.class))
    };
    Ok((option("username")?, option("password")?))
}

/// `ssl.truststore.*` → `ssl.ca.location` / `ssl.ca.pem` (librdkafka reads CA certificates as PEM only).
fn translate_truststore(settings: &mut BTreeMap<String, String>) {
    let kind = settings
        .remove("ssl.truststore.type")
        .unwrap_or_else(|| "JKS".into());
    if let Some(pem) = settings.remove("ssl.truststore.certificates") {
        settings.entry("ssl.ca.pem".into()).or_insert(pem);
    }
    if let Some(location) = settings.remove("ssl.truststore.location") {
        if kind.eq_ignore_ascii_case("PEM") {
            settings.entry("ssl.ca.location".into()).or_insert(location);
        } else {
            warn!(
                "ssl.truststore.location {location} ignored: librdkafka reads trust stores in PEM only, not {kind}; \
                 convert it to PEM and set ssl.truststore.type=PEM"
            );
        }
    }
}

/// `ssl.keystore.*` → librdkafka's PKCS#12 key store (same names) or PEM certificate and key.
fn translate_keystore(settings: &mut BTreeMap<String, String>) {
    let kind = settings
        .remove("ssl.keystore.type")
        .unwrap_or_else(|| "JKS".into());
    if let Some(chain) = settings.remove("ssl.keystore.certificate.chain") {
        settings
            .entry("ssl.certificate.pem".into())
            .or_insert(chain);
    }
    if let Some(key) = settings.remove("ssl.keystore.key") {
        settings.entry("ssl.key.pem".into()).or_insert(key);
    }
    let Some(location) = settings.remove("ssl.keystore.location") else {
        return;
    };
    let password = settings.remove("ssl.keystore.password");
    if kind.eq_ignore_ascii_case("PKCS12") {
        settings.insert("ssl.keystore.location".into(), location);
        if let Some(p) = password {
            settings.insert("ssl.keystore.password".into(), p);
        }
    } else if kind.eq_ignore_ascii_case("PEM") {
        // One PEM file holds the certificate chain and the private key (protected by `ssl.key.password`).
        settings
            .entry("ssl.certificate.location".into())
            .or_insert(location.clone());
        settings
            .entry("ssl.key.location".into())
            .or_insert(location);
    } else {
        warn!(
            "ssl.keystore.location {location} ignored: librdkafka reads key stores as PKCS12 or PEM, not {kind}; \
             convert it and set ssl.keystore.type"
        );
    }
}

#[cfg(test)]
mod tests {
    use rdkafka::producer::BaseProducer;
    use rdkafka::ClientConfig;

    use super::*;

    fn translated(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        let mut settings: BTreeMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        translate(&mut settings);
        settings
    }

    fn client(settings: &BTreeMap<String, String>) -> Result<BaseProducer, String> {
        let mut config = ClientConfig::new();
        config.set("bootstrap.servers", "127.0.0.1:1");
        for (k, v) in settings {
            config.set(k, v);
        }
        config.create().map_err(|e| e.to_string())
    }

    #[test]
    fn java_sasl_settings_become_librdkafka_credentials() {
        let java = [
            ("security.protocol", "SASL_PLAINTEXT"),
            ("sasl.mechanism", "SCRAM-SHA-512"),
            (
                "sasl.jaas.config",
                "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"alice\" \
                 password=\"s3cr=t\";",
            ),
            ("sasl.login.callback.handler.class", "com.example.Handler"),
        ];
        let untranslated: BTreeMap<String, String> = java
            .iter()
            .filter(|(k, _)| *k == "sasl.jaas.config")
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let Err(refused) = client(&untranslated) else {
            panic!("librdkafka took sasl.jaas.config");
        };
        assert!(refused.contains("sasl.jaas.config"), "{refused}");

        let settings = translated(&java);
        assert_eq!(
            settings,
            BTreeMap::from([
                (
                    "security.protocol".to_string(),
                    "SASL_PLAINTEXT".to_string()
                ),
                ("sasl.mechanisms".to_string(), "SCRAM-SHA-512".to_string()),
                ("sasl.username".to_string(), "alice".to_string()),
                ("sasl.password".to_string(), "s3cr=t".to_string()),
            ])
        );
        // SCRAM needs librdkafka built with OpenSSL (rdkafka's `ssl` feature): the translated settings make a client.
        client(&settings).expect("a SCRAM client from the translated settings");
        let plain = translated(&[
            ("security.protocol", "SASL_PLAINTEXT"),
            ("sasl.mechanism", "PLAIN"),
            (
                "sasl.jaas.config",
                "org.apache.kafka.common.security.plain.PlainLoginModule required username=bob password=pw;",
            ),
        ]);
        assert_eq!(plain.get("sasl.username").map(String::as_str), Some("bob"));
        assert_eq!(plain.get("sasl.password").map(String::as_str), Some("pw"));
        client(&plain).expect("a client from the translated settings");
    }

    #[test]
    fn the_group_connection_takes_plain_or_scram_credentials_from_the_worker_settings() {
        use crate::config::settings_of as settings;
        let scram = "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"connect\" \
                     password=\"pw\";";
        let sasl = group_connection_sasl(&settings(&[
            ("security.protocol", "SASL_SSL"),
            ("sasl.mechanism", "SCRAM-SHA-256"),
            ("sasl.jaas.config", scram),
        ]))
        .unwrap()
        .expect("credentials");
        assert_eq!(
            (
                sasl.mechanism,
                sasl.username.as_str(),
                sasl.password.as_str()
            ),
            (Mechanism::ScramSha256, "connect", "pw")
        );
        assert!(format!("{sasl:?}").contains("[hidden]") && !format!("{sasl:?}").contains("pw"));
        assert_eq!(
            group_connection_sasl(&settings(&[("security.protocol", "SSL")])),
            Ok(None)
        );
        let gssapi = group_connection_sasl(&settings(&[
            ("security.protocol", "SASL_PLAINTEXT"),
            ("sasl.jaas.config", scram),
        ]))
        .unwrap_err();
        assert!(
            gssapi.contains("sasl.mechanism=GSSAPI is not supported"),
            "{gssapi}"
        );
        let missing = group_connection_sasl(&settings(&[
            ("security.protocol", "SASL_PLAINTEXT"),
            ("sasl.mechanism", "PLAIN"),
        ]))
        .unwrap_err();
        assert!(missing.contains("needs sasl.jaas.config"), "{missing}");
    }

    #[test]
    fn unsupported_login_modules_and_jks_stores_are_dropped() {
        let settings = translated(&[
            (
                "sasl.jaas.config",
                "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required;",
            ),
            ("ssl.truststore.location", "/etc/kafka/truststore.jks"),
            ("ssl.truststore.password", "changeit"),
            ("ssl.keystore.location", "/etc/kafka/keystore.jks"),
            ("ssl.keystore.password", "changeit"),
            ("ssl.enabled.protocols", "TLSv1.3"),
        ]);
        assert!(settings.is_empty(), "{settings:?}");
    }

    #[test]
    fn pem_and_pkcs12_stores_map_to_librdkafka_names() {
        let settings = translated(&[
            ("security.protocol", "SSL"),
            ("ssl.truststore.type", "PEM"),
            ("ssl.truststore.location", "/etc/kafka/ca.pem"),
            ("ssl.keystore.type", "PKCS12"),
            ("ssl.keystore.location", "/etc/kafka/client.p12"),
            ("ssl.keystore.password", "pw"),
            ("ssl.endpoint.identification.algorithm", ""),
        ]);
        assert_eq!(
            settings,
            BTreeMap::from([
                ("security.protocol".to_string(), "SSL".to_string()),
                (
                    "ssl.ca.location".to_string(),
                    "/etc/kafka/ca.pem".to_string()
                ),
                (
                    "ssl.keystore.location".to_string(),
                    "/etc/kafka/client.p12".to_string()
                ),
                ("ssl.keystore.password".to_string(), "pw".to_string()),
                (
                    "ssl.endpoint.identification.algorithm".to_string(),
                    "none".to_string()
                ),
            ])
        );
        let pem = translated(&[
            ("ssl.keystore.type", "PEM"),
            ("ssl.keystore.location", "/etc/kafka/client.pem"),
            ("ssl.key.password", "pw"),
            ("ssl.truststore.type", "PEM"),
            ("ssl.truststore.certificates", "-----BEGIN CERTIFICATE-----"),
        ]);
        assert_eq!(
            pem,
            BTreeMap::from([
                (
                    "ssl.certificate.location".to_string(),
                    "/etc/kafka/client.pem".to_string()
                ),
                (
                    "ssl.key.location".to_string(),
                    "/etc/kafka/client.pem".to_string()
                ),
                ("ssl.key.password".to_string(), "pw".to_string()),
                (
                    "ssl.ca.pem".to_string(),
                    "-----BEGIN CERTIFICATE-----".to_string()
                ),
            ])
        );
    }
}
