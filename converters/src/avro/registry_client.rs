//! A blocking Schema Registry REST client (Confluent's API): register, look up, fetch by id, latest version; fails
//! over between the `schema.registry.url` entries on connection errors, sends Basic auth from `basic.auth.*`.

use std::fmt;
use std::time::Duration;

use base64::Engine;
use serde_json::{json, Value as Json};
use ureq::Agent;

use super::config::{AvroConverterConfig, CredentialsSource};

const CONTENT_TYPE: &str = "application/vnd.schemaregistry.v1+json";
const ACCEPT: &str = "application/vnd.schemaregistry.v1+json, application/vnd.schemaregistry+json; qs=0.9, application/json; qs=0.5";
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// A failed registry call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RegistryError {
    /// The registry answered with an error (`{"error_code","message"}`), as Confluent's `RestClientException`.
    Http {
        status: u16,
        error_code: i64,
        message: String,
    },
    /// No registry URL could be reached.
    Unreachable(String),
    /// The registry answered something that is not the expected JSON.
    Protocol(String),
}

impl RegistryError {
    /// The registry's error code (`40403` for an unknown schema id), if it answered with one.
    pub fn error_code(&self) -> Option<i64> {
        match self {
            Self::Http { error_code, .. } => Some(*error_code),
            _ => None,
        }
    }
}

impl fmt::Display for RegistryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Http {
                error_code,
                message,
                ..
            } => write!(f, "{message}; error code: {error_code}"),
            Self::Unreachable(m) | Self::Protocol(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for RegistryError {}

/// One registry base URL and the Authorization header to send to it.
#[derive(Clone, Debug)]
struct Endpoint {
    base: String,
    authorization: Option<String>,
}

/// The client; `current` is the URL that last worked (tried first).
pub struct RegistryClient {
    agent: Agent,
    endpoints: Vec<Endpoint>,
    current: usize,
}

fn basic(user_info: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(user_info)
    )
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push(h * 16 + l);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A path segment with everything but unreserved characters percent-encoded.
fn encode_segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Splits `http://user:pass@host:port/path` into the URL without user info and the decoded user info.
fn split_user_info(url: &str) -> (String, Option<String>) {
    let Some((scheme, rest)) = url.split_once("://") else {
        return (url.to_string(), None);
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    match authority.rsplit_once('@') {
        Some((user_info, host)) => (
            format!("{scheme}://{host}{}", &rest[authority_end..]),
            Some(percent_decode(user_info)),
        ),
        None => (url.to_string(), None),
    }
}

impl RegistryClient {
    pub fn new(config: &AvroConverterConfig) -> Self {
        let endpoints = config
            .schema_registry_urls
            .iter()
            .map(|url| {
                let (base, url_user_info) = split_user_info(url);
                let authorization = match config.credentials_source {
                    CredentialsSource::UserInfo => config.user_info.as_deref().map(basic),
                    CredentialsSource::Url => url_user_info.as_deref().map(basic),
                };
                Endpoint {
                    base: base.trim_end_matches('/').to_string(),
                    authorization,
                }
            })
            .collect();
        let agent = Agent::new_with_config(
            Agent::config_builder()
                .http_status_as_error(false)
                // Like the Java client, ignore http_proxy variables: registries are reached directly.
                .proxy(None)
                .timeout_global(Some(REQUEST_TIMEOUT))
                .build(),
        );
        RegistryClient {
            agent,
            endpoints,
            current: 0,
        }
    }

    /// The configured base URLs (without user info).
    pub fn urls(&self) -> Vec<String> {
        self.endpoints.iter().map(|e| e.base.clone()).collect()
    }

    /// One call, tried on each URL in turn (starting with the last that worked) until one answers.
    fn call(
        &mut self,
        method: &str,
        path: &str,
        body: Option<&Json>,
    ) -> Result<Json, RegistryError> {
        let mut failures = Vec::new();
        for attempt in 0..self.endpoints.len() {
            let index = (self.current + attempt) % self.endpoints.len();
            let endpoint = &self.endpoints[index];
            let url = format!("{}{path}", endpoint.base);
            let result = match (method, body) {
                ("POST", Some(b)) => {
                    let mut req = self
                        .agent
                        .post(&url)
                        .header("Content-Type", CONTENT_TYPE)
                        .header("Accept", ACCEPT);
                    if let Some(auth) = &endpoint.authorization {
                        req = req.header("Authorization", auth);
                    }
                    req.send(b.to_string())
                }
                _ => {
                    let mut req = self.agent.get(&url).header("Accept", ACCEPT);
                    if let Some(auth) = &endpoint.authorization {
                        req = req.header("Authorization", auth);
                    }
                    req.call()
                }
            };
            match result {
                Ok(mut response) => {
                    self.current = index;
                    let status = response.status().as_u16();
                    let text = response.body_mut().read_to_string().unwrap_or_default();
                    let json: Option<Json> = serde_json::from_str(&text).ok();
                    if (200..300).contains(&status) {
                        return json.ok_or_else(|| {
                            RegistryError::Protocol(format!(
                                "Schema Registry {method} {url} answered {status} with a body that is not JSON: {text}"
                            ))
                        });
                    }
                    let (error_code, message) = match &json {
                        Some(j) => (
                            j.get("error_code")
                                .and_then(Json::as_i64)
                                .unwrap_or(i64::from(status)),
                            j.get("message")
                                .and_then(Json::as_str)
                                .map(str::to_string)
                                .unwrap_or_else(|| text.clone()),
                        ),
                        None => (
                            i64::from(status),
                            if text.is_empty() {
                                format!("HTTP {status}")
                            } else {
                                text.clone()
                            },
                        ),
                    };
                    return Err(RegistryError::Http {
                        status,
                        error_code,
                        message,
                    });
                }
                Err(e) => failures.push(format!("{url}: {e}")),
            }
        }
        Err(RegistryError::Unreachable(format!(
            "Schema Registry unreachable ({})",
            failures.join("; ")
        )))
    }

    fn id_of(json: &Json) -> Result<i32, RegistryError> {
        json.get("id")
            .and_then(Json::as_i64)
            .and_then(|i| i32::try_from(i).ok())
            .ok_or_else(|| {
                RegistryError::Protocol(format!("Schema Registry answer has no schema id: {json}"))
            })
    }

    /// `POST /subjects/{subject}/versions`: registers (or finds) `schema` under `subject`; returns its id.
    pub fn register(&mut self, subject: &str, schema: &str) -> Result<i32, RegistryError> {
        let path = format!("/subjects/{}/versions", encode_segment(subject));
        let answer = self.call("POST", &path, Some(&json!({ "schema": schema })))?;
        Self::id_of(&answer)
    }

    /// `POST /subjects/{subject}`: the id and version of `schema` under `subject`.
    pub fn lookup(&mut self, subject: &str, schema: &str) -> Result<(i32, i32), RegistryError> {
        let path = format!("/subjects/{}", encode_segment(subject));
        let answer = self.call("POST", &path, Some(&json!({ "schema": schema })))?;
        let version = answer.get("version").and_then(Json::as_i64).unwrap_or(-1) as i32;
        Ok((Self::id_of(&answer)?, version))
    }

    /// `GET /schemas/ids/{id}`: the schema text.
    pub fn schema_by_id(&mut self, id: i32) -> Result<String, RegistryError> {
        let answer = self.call("GET", &format!("/schemas/ids/{id}"), None)?;
        if let Some(kind) = answer.get("schemaType").and_then(Json::as_str) {
            if kind != "AVRO" {
                return Err(RegistryError::Protocol(format!(
                    "Schema {id} is a {kind} schema, not an Avro schema"
                )));
            }
        }
        answer
            .get("schema")
            .and_then(Json::as_str)
            .map(str::to_string)
            .ok_or_else(|| {
                RegistryError::Protocol(format!("Schema Registry answer has no schema: {answer}"))
            })
    }

    /// `GET /subjects/{subject}/versions/latest`: (id, version, schema text).
    pub fn latest(&mut self, subject: &str) -> Result<(i32, i32, String), RegistryError> {
        let path = format!("/subjects/{}/versions/latest", encode_segment(subject));
        let answer = self.call("GET", &path, None)?;
        let version = answer.get("version").and_then(Json::as_i64).unwrap_or(-1) as i32;
        let schema = answer
            .get("schema")
            .and_then(Json::as_str)
            .map(str::to_string)
            .ok_or_else(|| {
                RegistryError::Protocol(format!("Schema Registry answer has no schema: {answer}"))
            })?;
        Ok((Self::id_of(&answer)?, version, schema))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_user_info_and_encodes_subjects() {
        assert_eq!(
            split_user_info("http://us%40er:p%3Ass@host:8081/x"),
            (
                "http://host:8081/x".to_string(),
                Some("us@er:p:ss".to_string())
            )
        );
        assert_eq!(
            split_user_info("http://host:1"),
            ("http://host:1".to_string(), None)
        );
        assert_eq!(encode_segment("a b/c-d.e"), "a%20b%2Fc-d.e");
        assert_eq!(basic("u:p"), "Basic dTpw");
    }
}
