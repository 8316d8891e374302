//! The I/O: an `opensearch` client over every `connection.url` (round robin), `_bulk` requests with retries and
//! exponential, jittered backoff, per-item results classified, and index creation.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use opensearch::auth::{ClientCertificate, Credentials};
use opensearch::cert::{Certificate, CertificateValidation};
use opensearch::http::headers::HeaderMap;
use opensearch::http::transport::{Connection, ConnectionPool, TransportBuilder};
use opensearch::http::Method;
use opensearch::http::StatusCode;
use opensearch::indices::{
    IndicesCreateParts, IndicesExistsIndexTemplateParts, IndicesExistsParts,
    IndicesPutIndexTemplateParts,
};
use opensearch::{BulkParts, OpenSearch};
use serde::Deserialize;

use crate::config::SinkConfig;

/// Round robin over the configured URLs.
#[derive(Clone, Debug)]
struct RoundRobin {
    connections: Arc<Vec<Connection>>,
    next: Arc<AtomicUsize>,
}

impl ConnectionPool for RoundRobin {
    fn next(&self) -> Connection {
        let i = self.next.fetch_add(1, Ordering::Relaxed) % self.connections.len();
        self.connections[i].clone()
    }
}

/// Item errors OpenSearch reports for documents it cannot index as given (Confluent's "malformed" list).
const MALFORMED_ERRORS: &[&str] = &[
    "mapper_parsing_exception",
    "strict_dynamic_mapping_exception",
    "illegal_argument_exception",
    "action_request_validation_exception",
    "document_parsing_exception",
];

/// How one bulk item ended.
#[derive(Clone, Debug, PartialEq)]
pub enum ItemOutcome {
    Ok,
    /// `version_conflict_engine_exception`; `external` when the request carried an external version.
    VersionConflict {
        reason: String,
    },
    Malformed {
        reason: String,
    },
    /// Any other rejection, or a retriable one after the last retry.
    Failed {
        reason: String,
    },
}

/// The result of one bulk batch: one outcome per item, in order, or a whole-request failure.
pub type BatchResult = Result<Vec<ItemOutcome>, String>;

#[derive(Deserialize)]
struct BulkResponse {
    errors: bool,
    #[serde(default)]
    items: Vec<serde_json::Map<String, serde_json::Value>>,
}

#[derive(Deserialize)]
struct ErrorsOnly {
    errors: bool,
}

/// A cloneable handle on the cluster.
#[derive(Clone)]
pub struct Service {
    client: OpenSearch,
    max_retries: u32,
    retry_backoff: Duration,
}

impl Service {
    pub fn new(config: &SinkConfig) -> Result<Service, String> {
        let connections = config.urls.iter().cloned().map(Connection::new).collect();
        let pool = RoundRobin {
            connections: Arc::new(connections),
            next: Arc::new(AtomicUsize::new(0)),
        };
        // The crate offers one overall timeout; connecting plus reading the answer must fit in it.
        let mut builder = TransportBuilder::new(pool)
            .disable_proxy()
            .timeout(config.connection_timeout + config.read_timeout);
        if let (Some(user), Some(password)) = (&config.username, &config.password) {
            builder = builder.auth(Credentials::Basic(user.clone(), password.clone()));
        }
        if config.trust_all_certificates {
            builder = builder.cert_validation(CertificateValidation::None);
        } else if let Some(path) = &config.tls.truststore {
            let pem = read_pem(path, crate::config::TRUSTSTORE_LOCATION)?;
            let certificate = Certificate::from_pem(&pem).map_err(|e| {
                format!("Could not read the certificates in {}: {e}", path.display())
            })?;
            builder = builder.cert_validation(CertificateValidation::Full(certificate));
        }
        if let Some(path) = &config.tls.keystore {
            if config.username.is_some() && config.password.is_some() {
                return Err(format!(
                    "{} and connection.username/password are both set; the client authenticates with one of them",
                    crate::config::KEYSTORE_LOCATION
                ));
            }
            let pem = read_pem(path, crate::config::KEYSTORE_LOCATION)?;
            builder = builder.auth(Credentials::Certificate(ClientCertificate::Pem(pem)));
        }
        let transport = builder
            .build()
            .map_err(|e| format!("Could not create the OpenSearch client: {e}"))?;
        Ok(Service {
            client: OpenSearch::new(transport),
            max_retries: config.max_retries,
            retry_backoff: config.retry_backoff,
        })
    }

    /// Backoff before retry `attempt` (1-based): `retry.backoff.ms * 2^(attempt-1)`, capped at a minute, with
    /// up to 50% jitter.
    fn backoff(&self, attempt: u32) -> Duration {
        let base = self
            .retry_backoff
            .saturating_mul(1u32 << (attempt - 1).min(16))
            .min(Duration::from_secs(60));
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        base + base.mul_f64(f64::from(nanos % 500) / 1000.0)
    }

    /// Sends the items (each its NDJSON lines) as `_bulk` requests until every item has a final outcome:
    /// whole-request failures (connection errors, timeouts, 429, 5xx) and retriable items (429, 5xx) are retried
    /// up to `max.retries` times; other failures are final.
    pub async fn bulk(&self, items: Vec<Bytes>) -> BatchResult {
        let mut outcomes: Vec<Option<ItemOutcome>> = vec![None; items.len()];
        let mut pending: Vec<usize> = (0..items.len()).collect();
        let mut attempt = 0u32;
        loop {
            let body: Vec<Bytes> = pending.iter().map(|&i| items[i].clone()).collect();
            let last_try = attempt >= self.max_retries;
            match self.send_bulk(body).await {
                Err(SendError::Fatal(e)) => return Err(e),
                Err(SendError::Retriable(e)) if last_try => {
                    return Err(format!(
                        "Bulk request failed after {} attempts: {e}",
                        attempt + 1
                    ))
                }
                Err(SendError::Retriable(e)) => {
                    crate::log_warn!(
                        "Bulk request failed, retrying (attempt {}): {e}",
                        attempt + 1
                    );
                }
                Ok(None) => {
                    for &i in &pending {
                        outcomes[i] = Some(ItemOutcome::Ok);
                    }
                    pending.clear();
                }
                Ok(Some(results)) => {
                    if results.len() != pending.len() {
                        return Err(format!(
                            "Bulk response has {} items for a request of {}",
                            results.len(),
                            pending.len()
                        ));
                    }
                    let mut retry = Vec::new();
                    for (&i, result) in pending.iter().zip(results) {
                        match result {
                            ItemResult::Final(outcome) => outcomes[i] = Some(outcome),
                            ItemResult::Retriable(reason) if last_try => {
                                outcomes[i] = Some(ItemOutcome::Failed {
                                    reason: format!("{reason} (after {} attempts)", attempt + 1),
                                })
                            }
                            ItemResult::Retriable(_) => {
                                retry.push(i);
                            }
                        }
                    }
                    pending = retry;
                }
            }
            if pending.is_empty() {
                return Ok(outcomes
                    .into_iter()
                    .map(|o| o.unwrap_or(ItemOutcome::Ok))
                    .collect());
            }
            attempt += 1;
            tokio::time::sleep(self.backoff(attempt)).await;
        }
    }

    /// One `_bulk` call: Ok(None) when no item failed, Ok(Some(results)) with one result per item otherwise.
    async fn send_bulk(&self, body: Vec<Bytes>) -> Result<Option<Vec<ItemResult>>, SendError> {
        let response = self
            .client
            .bulk(BulkParts::None)
            .body(body)
            .send()
            .await
            .map_err(|e| SendError::Retriable(describe(&e)))?;
        let status = response.status_code();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| SendError::Retriable(describe(&e)))?;
        if !status.is_success() {
            let text = String::from_utf8_lossy(&bytes[..bytes.len().min(2000)]).into_owned();
            let e = format!("HTTP {status}: {text}");
            return Err(
                if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
                    SendError::Retriable(e)
                } else {
                    SendError::Fatal(e)
                },
            );
        }
        let quick: ErrorsOnly = serde_json::from_slice(&bytes)
            .map_err(|e| SendError::Fatal(format!("Unreadable bulk response: {e}")))?;
        if !quick.errors {
            return Ok(None);
        }
        let full: BulkResponse = serde_json::from_slice(&bytes)
            .map_err(|e| SendError::Fatal(format!("Unreadable bulk response: {e}")))?;
        debug_assert!(full.errors);
        Ok(Some(full.items.iter().map(classify).collect()))
    }

    /// Creates `index` (with `mapping` when given) unless it exists.
    pub async fn ensure_index(
        &self,
        index: &str,
        mapping: Option<serde_json::Value>,
    ) -> Result<(), String> {
        let exists = self
            .client
            .indices()
            .exists(IndicesExistsParts::Index(&[index]))
            .send()
            .await
            .map_err(|e| {
                format!(
                    "Could not check whether index {index} exists: {}",
                    describe(&e)
                )
            })?;
        if exists.status_code() == StatusCode::OK {
            return Ok(());
        }
        let body = match mapping {
            Some(m) => serde_json::json!({ "mappings": m }),
            None => serde_json::json!({}),
        };
        let response = self
            .client
            .indices()
            .create(IndicesCreateParts::Index(index))
            .body(body)
            .send()
            .await
            .map_err(|e| format!("Could not create index {index}: {}", describe(&e)))?;
        let status = response.status_code();
        if status.is_success() {
            return Ok(());
        }
        let text = response.text().await.unwrap_or_default();
        // Another task may have created it meanwhile.
        if text.contains("resource_already_exists_exception") {
            return Ok(());
        }
        Err(format!(
            "Could not create index {index}: HTTP {status}: {text}"
        ))
    }

    /// Creates the data stream `stream` unless an index or data stream of that name exists: first its index
    /// template (`index_patterns: [stream]`, priority 200, the timestamp field), unless a template of that name
    /// exists, then `PUT _data_stream/<stream>`, as Aiven's connector does.
    pub async fn ensure_data_stream(
        &self,
        stream: &str,
        timestamp_field: &str,
    ) -> Result<(), String> {
        let exists = self
            .client
            .indices()
            .exists(IndicesExistsParts::Index(&[stream]))
            .send()
            .await
            .map_err(|e| {
                format!(
                    "Could not check whether data stream {stream} exists: {}",
                    describe(&e)
                )
            })?;
        if exists.status_code() == StatusCode::OK {
            return Ok(());
        }
        let template = data_stream_template_name(stream);
        let template_exists = self
            .client
            .indices()
            .exists_index_template(IndicesExistsIndexTemplateParts::Name(&template))
            .send()
            .await
            .map_err(|e| {
                format!(
                    "Could not check whether index template {template} exists: {}",
                    describe(&e)
                )
            })?;
        if template_exists.status_code() != StatusCode::OK {
            let body = serde_json::json!({
                "index_patterns": [stream],
                "priority": 200,
                "data_stream": { "timestamp_field": { "name": timestamp_field } },
            });
            let response = self
                .client
                .indices()
                .put_index_template(IndicesPutIndexTemplateParts::Name(&template))
                .body(body)
                .send()
                .await
                .map_err(|e| {
                    format!(
                        "Could not create index template {template}: {}",
                        describe(&e)
                    )
                })?;
            accept_created(response, &format!("index template {template}")).await?;
        }
        let response = self
            .client
            .send(
                Method::Put,
                &format!("/_data_stream/{stream}"),
                HeaderMap::new(),
                None::<&()>,
                None::<()>,
                None,
            )
            .await
            .map_err(|e| format!("Could not create data stream {stream}: {}", describe(&e)))?;
        accept_created(response, &format!("data stream {stream}")).await
    }
}

/// The bytes of a PEM file named by `key`; other formats (JKS, PKCS12) are rejected with the reason.
fn read_pem(path: &std::path::Path, key: &str) -> Result<Vec<u8>, String> {
    let bytes =
        std::fs::read(path).map_err(|e| format!("Could not read {key}={}: {e}", path.display()))?;
    if !String::from_utf8_lossy(&bytes).contains("-----BEGIN ") {
        return Err(format!(
            "{key}={} is not a PEM file: this connector reads PEM trust and key stores only (convert JKS or PKCS12 stores, e.g. with keytool -exportcert -rfc or openssl pkcs12 -nodes)",
            path.display()
        ));
    }
    Ok(bytes)
}

/// An error with its causes (a TLS failure shows only as "error sending request" without them).
fn describe(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// Ok for a success or an "already exists" answer (another task may have created the resource meanwhile).
async fn accept_created(
    response: opensearch::http::response::Response,
    what: &str,
) -> Result<(), String> {
    let status = response.status_code();
    if status.is_success() {
        return Ok(());
    }
    let text = response.text().await.unwrap_or_default();
    if text.contains("resource_already_exists_exception") || text.contains("already exists") {
        return Ok(());
    }
    Err(format!("Could not create {what}: HTTP {status}: {text}"))
}

/// The index template Aiven's connector creates for a data stream it creates.
pub fn data_stream_template_name(stream: &str) -> String {
    format!("{stream}-connector-data-stream-template")
}

enum SendError {
    Retriable(String),
    Fatal(String),
}

enum ItemResult {
    Final(ItemOutcome),
    Retriable(String),
}

/// One bulk item (`{"index": {...}}`, `{"update": ...}`, `{"delete": ...}`) → its outcome.
fn classify(item: &serde_json::Map<String, serde_json::Value>) -> ItemResult {
    let Some(body) = item.values().next() else {
        return ItemResult::Final(ItemOutcome::Failed {
            reason: "empty bulk item".into(),
        });
    };
    let status = body.get("status").and_then(|s| s.as_u64()).unwrap_or(0);
    let Some(error) = body.get("error") else {
        // Success, or a delete of a missing document (404, result not_found), which is what a delete wants.
        return ItemResult::Final(ItemOutcome::Ok);
    };
    let kind = error.get("type").and_then(|t| t.as_str()).unwrap_or("");
    let reason = format!(
        "{kind}: {} (status {status})",
        error
            .get("reason")
            .and_then(|r| r.as_str())
            .unwrap_or_default()
    );
    if status == 429 || status >= 500 {
        return ItemResult::Retriable(reason);
    }
    if kind == "version_conflict_engine_exception" || status == 409 {
        return ItemResult::Final(ItemOutcome::VersionConflict { reason });
    }
    let caused_by = error
        .get("caused_by")
        .and_then(|c| c.get("type"))
        .and_then(|t| t.as_str())
        .unwrap_or("");
    if MALFORMED_ERRORS.contains(&kind) || MALFORMED_ERRORS.contains(&caused_by) {
        return ItemResult::Final(ItemOutcome::Malformed { reason });
    }
    ItemResult::Final(ItemOutcome::Failed { reason })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(json: &str) -> ItemResult {
        classify(&serde_json::from_str(json).unwrap())
    }

    #[test]
    fn item_classification() {
        assert!(matches!(
            item(r#"{"index":{"_id":"a","status":201,"result":"created"}}"#),
            ItemResult::Final(ItemOutcome::Ok)
        ));
        assert!(matches!(
            item(r#"{"delete":{"_id":"a","status":404,"result":"not_found"}}"#),
            ItemResult::Final(ItemOutcome::Ok)
        ));
        assert!(matches!(
            item(
                r#"{"index":{"status":409,"error":{"type":"version_conflict_engine_exception","reason":"x"}}}"#
            ),
            ItemResult::Final(ItemOutcome::VersionConflict { .. })
        ));
        assert!(matches!(
            item(
                r#"{"index":{"status":400,"error":{"type":"mapper_parsing_exception","reason":"bad"}}}"#
            ),
            ItemResult::Final(ItemOutcome::Malformed { .. })
        ));
        assert!(matches!(
            item(
                r#"{"index":{"status":429,"error":{"type":"es_rejected_execution_exception","reason":"busy"}}}"#
            ),
            ItemResult::Retriable(_)
        ));
        assert!(matches!(
            item(
                r#"{"index":{"status":403,"error":{"type":"cluster_block_exception","reason":"ro"}}}"#
            ),
            ItemResult::Final(ItemOutcome::Failed { .. })
        ));
    }

    #[test]
    fn trust_stores_must_be_pem() {
        let dir = std::env::temp_dir().join(format!("os-tls-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let jks = dir.join("truststore.jks");
        std::fs::write(&jks, [0xfe, 0xed, 0xfe, 0xed, 0, 0, 0, 2]).unwrap();
        let err = read_pem(&jks, crate::config::TRUSTSTORE_LOCATION).unwrap_err();
        assert!(
            err.contains("not a PEM file") && err.contains("truststore.location"),
            "{err}"
        );
        let missing =
            read_pem(&dir.join("missing.pem"), crate::config::KEYSTORE_LOCATION).unwrap_err();
        assert!(missing.contains("keystore.location"), "{missing}");
        let pem = dir.join("ca.pem");
        std::fs::write(
            &pem,
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        )
        .unwrap();
        assert!(read_pem(&pem, crate::config::TRUSTSTORE_LOCATION).is_ok());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
