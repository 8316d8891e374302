//! HTTP basic authentication as Kafka's `BasicAuthSecurityRestExtension` does it: users from the properties file
//! named by the `KafkaConnect` entry of the JAAS file given with `-Djava.security.auth.login.config=` in `KAFKA_OPTS`.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use sha2::{Digest, Sha256};
use tracing::{debug, warn};

use crate::config::jaas::parse_jaas;
use crate::config::properties::load_properties;

/// The REST extension class that turns basic authentication on.
pub const EXTENSION_CLASS: &str =
    "org.apache.kafka.connect.rest.basic.auth.extension.BasicAuthSecurityRestExtension";
/// The only JAAS login module supported (Kafka's own, which reads `user=password` lines).
pub const LOGIN_MODULE: &str =
    "org.apache.kafka.connect.rest.basic.auth.extension.PropertyFileLoginModule";
/// The JAAS entry Kafka's filter logs in with.
pub const JAAS_ENTRY: &str = "KafkaConnect";
/// The JVM system property naming the JAAS file; read from `-D` options in `KAFKA_OPTS`.
pub const JAAS_PROPERTY: &str = "java.security.auth.login.config";
/// Kafka's filter answers a failed login with this plain-text body (and no `WWW-Authenticate` header).
pub const UNAUTHORIZED_BODY: &str = "User cannot access the resource.";

/// The users allowed on the REST API, by name, with the SHA-256 of their password (compared in constant time).
#[derive(Debug)]
pub struct BasicAuth {
    users: BTreeMap<String, [u8; 32]>,
}

impl BasicAuth {
    /// Basic auth as the worker settings and `KAFKA_OPTS` ask for it: `None` unless `rest.extension.classes` lists
    /// [`EXTENSION_CLASS`]. Other extension classes are logged and ignored. Any problem with the JAAS or password
    /// file is an error (the worker must not start unprotected).
    pub fn from_settings(
        extension_classes: &[String],
        kafka_opts: Option<&str>,
    ) -> Result<Option<BasicAuth>, String> {
        let mut enabled = false;
        for class in extension_classes {
            if class == EXTENSION_CLASS {
                enabled = true;
            } else {
                warn!("rest.extension.classes: {class} is not supported by this worker and is ignored");
            }
        }
        if !enabled {
            return Ok(None);
        }
        let jaas = kafka_opts.and_then(jaas_path).ok_or_else(|| {
            format!(
                "rest.extension.classes lists {EXTENSION_CLASS}, but KAFKA_OPTS has no \
                 -D{JAAS_PROPERTY}=<JAAS file>"
            )
        })?;
        let password_file = password_file(Path::new(&jaas))?;
        let users = load_properties(Path::new(&password_file)).map_err(|e| {
            format!(
                "cannot load the basic auth password file {password_file} (named in {jaas}): {e}"
            )
        })?;
        if users.is_empty() {
            warn!("Credential properties file '{password_file}' is empty; all requests will be permitted");
        }
        Ok(Some(BasicAuth::new(users)))
    }

    /// Basic auth for these `user → password` pairs (none: every request passes, as in Kafka).
    pub fn new(users: BTreeMap<String, String>) -> BasicAuth {
        let users = users
            .into_iter()
            .map(|(user, password)| (user, digest(password.as_bytes())))
            .collect();
        BasicAuth { users }
    }

    /// Whether an `Authorization` header value carries the credentials of a known user.
    pub fn permits(&self, authorization: Option<&HeaderValue>) -> bool {
        if self.users.is_empty() {
            return true;
        }
        let Some((user, password)) = authorization.and_then(credentials) else {
            debug!("Request without usable basic credentials");
            return false;
        };
        let given = digest(password.as_bytes());
        match self.users.get(&user) {
            Some(expected) => constant_time_eq(&given, expected),
            None => {
                // Same work as for a known user, so timing does not tell which names exist.
                let _ = constant_time_eq(&given, &[0; 32]);
                debug!("Basic auth for unknown user {user}");
                false
            }
        }
    }
}

fn digest(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

fn constant_time_eq(a: &[u8; 32], b: &[u8; 32]) -> bool {
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

/// `(user, password)` from `Basic base64(user:password)`; like Kafka, the scheme is case-insensitive and the user
/// must not be empty.
fn credentials(value: &HeaderValue) -> Option<(String, String)> {
    let value = value.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if scheme.is_empty() || !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = STANDARD.decode(encoded.trim()).ok()?;
    let decoded = String::from_utf8_lossy(&decoded);
    let (user, password) = decoded.split_once(':')?;
    (!user.is_empty()).then(|| (user.to_string(), password.to_string()))
}

/// The JAAS file named in JVM options: the last `-Djava.security.auth.login.config=<path>` (a leading `=`, Java's
/// "replace the default configuration" form, is dropped; surrounding quotes too).
pub fn jaas_path(jvm_options: &str) -> Option<String> {
    let prefix = format!("-D{JAAS_PROPERTY}=");
    jvm_options
        .split_whitespace()
        .filter_map(|option| option.strip_prefix(prefix.as_str()))
        .next_back()
        .map(|path| {
            path.trim_start_matches('=')
                .trim_matches(|c| c == '"' || c == '\'')
                .to_string()
        })
        .filter(|path| !path.is_empty())
}

/// The `file` option of the `KafkaConnect` entry's [`LOGIN_MODULE`] in the JAAS file at `path`.
fn password_file(path: &Path) -> Result<String, String> {
    let shown = path.display();
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read the JAAS file {shown} (from KAFKA_OPTS): {e}"))?;
    let entries = parse_jaas(&text).map_err(|e| format!("JAAS file {shown}: {e}"))?;
    let modules = entries
        .into_iter()
        .find(|(name, _)| name == JAAS_ENTRY)
        .map(|(_, modules)| modules)
        .ok_or_else(|| format!("JAAS file {shown} has no {JAAS_ENTRY} entry"))?;
    let mut file = None;
    for module in modules {
        if module.class != LOGIN_MODULE {
            return Err(format!(
                "JAAS file {shown}: login module {} is not supported, only {LOGIN_MODULE}",
                module.class
            ));
        }
        file = module.options.get("file").cloned();
    }
    file.filter(|f| !f.trim().is_empty()).ok_or_else(|| {
        format!("JAAS file {shown}: the {JAAS_ENTRY} login module has no file=\"...\" option")
    })
}

/// Kafka's internal inter-worker requests, which its filter lets through without credentials (they are checked with
/// the KIP-507 session key signature instead): `POST /connectors/{name}/tasks` and `PUT /connectors/{name}/fence`.
fn is_internal(method: &Method, path: &str) -> bool {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    match segments.as_slice() {
        ["connectors", name, "tasks"] => method == Method::POST && !name.is_empty(),
        ["connectors", name, "fence"] => method == Method::PUT && !name.is_empty(),
        _ => false,
    }
}

/// Middleware: lets through internal requests and requests with valid credentials, answers 401 otherwise.
pub async fn require(State(auth): State<Arc<BasicAuth>>, request: Request, next: Next) -> Response {
    if is_internal(request.method(), request.uri().path())
        || auth.permits(request.headers().get(header::AUTHORIZATION))
    {
        return next.run(request).await;
    }
    (
        StatusCode::UNAUTHORIZED,
        [(header::CONTENT_TYPE, "text/plain")],
        UNAUTHORIZED_BODY,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    const JAAS: &str = r#"
        // Kafka's usual layout
        KafkaServer { org.example.Other optional; };
        KafkaConnect {
          org.apache.kafka.connect.rest.basic.auth.extension.PropertyFileLoginModule required
          file="/etc/kafka/connect.password" debug=true; /* trailing comment */
        };
    "#;

    #[test]
    fn jaas_entries_parse_with_comments_and_options() {
        let entries = parse_jaas(JAAS).unwrap();
        assert_eq!(entries.len(), 2);
        let (name, modules) = &entries[1];
        assert_eq!(name, "KafkaConnect");
        assert_eq!(modules[0].class, LOGIN_MODULE);
        assert_eq!(modules[0].flag, "required");
        assert_eq!(
            modules[0].options.get("file").map(String::as_str),
            Some("/etc/kafka/connect.password")
        );
        assert_eq!(
            modules[0].options.get("debug").map(String::as_str),
            Some("true")
        );
        assert!(parse_jaas("KafkaConnect { a.B required file=\"x\" };")
            .unwrap_err()
            .contains("expected an option or `;`"));
        assert!(parse_jaas("KafkaConnect { a.B mandatory; };")
            .unwrap_err()
            .contains("invalid control flag mandatory"));
        assert!(parse_jaas("KafkaConnect { a.B required file=\"x; };").is_err());
    }

    #[test]
    fn jaas_path_comes_from_the_last_jvm_option() {
        assert_eq!(
            jaas_path("-Xmx1g -Djava.security.auth.login.config=/a.conf -Dx=y").as_deref(),
            Some("/a.conf")
        );
        assert_eq!(
            jaas_path("-Djava.security.auth.login.config=/a -Djava.security.auth.login.config==/b")
                .as_deref(),
            Some("/b")
        );
        assert_eq!(jaas_path("-Dother=1"), None);
        assert_eq!(jaas_path("-Djava.security.auth.login.config="), None);
    }

    fn header(user_password: &str) -> HeaderValue {
        HeaderValue::from_str(&format!("Basic {}", STANDARD.encode(user_password))).unwrap()
    }

    #[test]
    fn credentials_are_checked_like_kafkas_property_file_module() {
        let users = [("alice", "s3cret:with:colons"), ("bob", "")]
            .into_iter()
            .map(|(u, p)| (u.to_string(), p.to_string()))
            .collect();
        let auth = BasicAuth::new(users);
        assert!(auth.permits(Some(&header("alice:s3cret:with:colons"))));
        assert!(auth.permits(Some(&header("bob:"))));
        assert!(!auth.permits(Some(&header("alice:s3cret"))));
        assert!(!auth.permits(Some(&header("carol:s3cret:with:colons"))));
        assert!(!auth.permits(Some(&header(":s3cret:with:colons"))));
        assert!(!auth.permits(None));
        let lower = HeaderValue::from_str(&format!(
            "basic {}",
            STANDARD.encode("alice:s3cret:with:colons")
        ))
        .unwrap();
        assert!(auth.permits(Some(&lower)));
        assert!(!auth.permits(Some(&HeaderValue::from_static("Bearer abc"))));
        assert!(!auth.permits(Some(&HeaderValue::from_static("Basic !!!"))));
        // An empty password file lets everyone in, as Kafka's PropertyFileLoginModule does.
        assert!(BasicAuth::new(BTreeMap::new()).permits(None));
    }

    #[test]
    fn only_internal_worker_requests_skip_authentication() {
        assert!(is_internal(&Method::POST, "/connectors/a/tasks"));
        assert!(is_internal(&Method::POST, "/connectors/a/tasks/"));
        assert!(is_internal(&Method::PUT, "/connectors/a/fence"));
        assert!(!is_internal(&Method::GET, "/connectors/a/tasks"));
        assert!(!is_internal(&Method::POST, "/connectors/a/tasks/0/restart"));
        assert!(!is_internal(&Method::POST, "/connectors"));
        assert!(!is_internal(&Method::PUT, "/connectors/a/config"));
    }

    #[test]
    fn setup_errors_name_the_missing_piece() {
        let classes = vec![EXTENSION_CLASS.to_string()];
        assert!(BasicAuth::from_settings(&[], None).unwrap().is_none());
        assert!(
            BasicAuth::from_settings(&["com.example.Other".into()], None)
                .unwrap()
                .is_none()
        );
        let err = BasicAuth::from_settings(&classes, Some("-Xmx1g")).unwrap_err();
        assert!(err.contains("KAFKA_OPTS"), "{err}");
        let dir = std::env::temp_dir().join(format!("basic-auth-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let jaas = dir.join("connect-jaas.conf");
        let passwords = dir.join("connect.password");
        std::fs::write(
            &jaas,
            format!(
                "KafkaConnect {{ {LOGIN_MODULE} required file=\"{}\"; }};",
                passwords.display()
            ),
        )
        .unwrap();
        let opts = format!("-D{JAAS_PROPERTY}={}", jaas.display());
        let err = BasicAuth::from_settings(&classes, Some(&opts)).unwrap_err();
        assert!(err.contains(&passwords.display().to_string()), "{err}");
        std::fs::write(&passwords, "alice: secret\n# comment\nbob=pw\n").unwrap();
        let auth = BasicAuth::from_settings(&classes, Some(&opts))
            .unwrap()
            .unwrap();
        assert!(auth.permits(Some(&header("alice:secret"))));
        assert!(auth.permits(Some(&header("bob:pw"))));
        std::fs::write(&jaas, "KafkaConnect { com.example.Ldap required; };").unwrap();
        let err = BasicAuth::from_settings(&classes, Some(&opts)).unwrap_err();
        assert!(err.contains("com.example.Ldap is not supported"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
