//! A tiny blocking Connect REST client on ureq: non-2xx statuses come back as data; only transport errors panic.

use std::fmt;
use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::Value;
use ureq::tls::{Certificate, ClientCert, RootCerts, TlsConfig};
use ureq::{Agent, RequestBuilder};

/// Longer than Kafka's 90 s herder request timeout would be pointless in tests; 60 s is plenty.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// A REST client bound to one base URL such as `http://127.0.0.1:8083`.
#[derive(Clone)]
pub struct Rest {
    base: String,
    agent: Agent,
    /// `Authorization` header sent with every request, if set (see [`with_basic_auth`](Self::with_basic_auth)).
    authorization: Option<String>,
}

/// One HTTP answer: status, body parsed as JSON (`Null` if empty, a JSON string if it is not JSON), raw text,
/// and the headers the tests look at.
#[derive(Clone, Debug)]
pub struct Response {
    pub status: u16,
    pub body: Value,
    pub text: String,
    pub location: Option<String>,
    pub content_type: Option<String>,
}

impl fmt::Display for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "HTTP {} {}",
            self.status,
            if self.text.is_empty() {
                "(no body)"
            } else {
                &self.text
            }
        )
    }
}

impl Response {
    /// `body[key]` as a string, if it is one.
    pub fn str(&self, key: &str) -> Option<&str> {
        self.body.get(key).and_then(Value::as_str)
    }
}

impl Rest {
    pub fn new(base_url: &str) -> Self {
        Self::with_tls(base_url, None, None)
    }

    /// A client that trusts only the PEM certificates in `root_pem` for https (Mozilla's roots if `None`) and, with
    /// `client_pem` (a PEM private key and certificate chain), presents that certificate when the server asks.
    pub fn with_tls(base_url: &str, root_pem: Option<&[u8]>, client_pem: Option<&[u8]>) -> Self {
        let mut config = Agent::config_builder()
            .http_status_as_error(false)
            // The machines may have http_proxy set; the worker is on loopback.
            .proxy(None)
            .timeout_global(Some(REQUEST_TIMEOUT));
        if root_pem.is_some() || client_pem.is_some() {
            let mut tls = TlsConfig::builder();
            if let Some(pem) = root_pem {
                let roots = pem_certificates(pem);
                assert!(!roots.is_empty(), "no PEM certificate in the given root");
                tls = tls.root_certs(RootCerts::new_with_certs(&roots));
            }
            if let Some(pem) = client_pem {
                let key = ureq::tls::parse_pem(pem)
                    .find_map(|item| match item {
                        Ok(ureq::tls::PemItem::PrivateKey(key)) => Some(key),
                        _ => None,
                    })
                    .expect("no PEM private key in the given client certificate");
                tls = tls.client_cert(Some(ClientCert::new_with_certs(
                    &pem_certificates(pem),
                    key,
                )));
            }
            config = config.tls_config(tls.build());
        }
        Rest {
            base: base_url.trim_end_matches('/').to_owned(),
            agent: Agent::new_with_config(config.build()),
            authorization: None,
        }
    }

    /// The same client, sending HTTP basic credentials with every request.
    pub fn with_basic_auth(mut self, user: &str, password: &str) -> Self {
        let encoded = STANDARD.encode(format!("{user}:{password}"));
        self.authorization = Some(format!("Basic {encoded}"));
        self
    }

    fn authorize<B>(&self, request: RequestBuilder<B>) -> RequestBuilder<B> {
        match &self.authorization {
            Some(value) => request.header("Authorization", value),
            None => request,
        }
    }

    /// `POST /connectors` until the worker answers 201 (a distributed worker refuses writes while it joins its
    /// group or has not read the config topic yet); panics with the last answer after 120 s.
    #[track_caller]
    pub fn create_connector(&self, name: &str, config: Value) {
        let body = serde_json::json!({ "name": name, "config": config });
        let mut last = String::new();
        let created = crate::util::wait_until(Duration::from_secs(120), || {
            let r = self.post_json("/connectors", &body);
            last = r.to_string();
            r.status == 201
        });
        assert!(created, "creating {name} did not succeed: {last}");
    }

    pub fn base_url(&self) -> &str {
        &self.base
    }

    fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    #[track_caller]
    pub fn get(&self, path: &str) -> Response {
        let url = self.url(path);
        finish("GET", &url, self.authorize(self.agent.get(&url)).call())
    }

    #[track_caller]
    pub fn post_json(&self, path: &str, body: &Value) -> Response {
        let url = self.url(path);
        finish(
            "POST",
            &url,
            self.authorize(self.agent.post(&url)).send_json(body),
        )
    }

    #[track_caller]
    pub fn put_json(&self, path: &str, body: &Value) -> Response {
        let url = self.url(path);
        finish(
            "PUT",
            &url,
            self.authorize(self.agent.put(&url)).send_json(body),
        )
    }

    #[track_caller]
    pub fn patch_json(&self, path: &str, body: &Value) -> Response {
        let url = self.url(path);
        finish(
            "PATCH",
            &url,
            self.authorize(self.agent.patch(&url)).send_json(body),
        )
    }

    /// PUT without a body (pause, resume, stop).
    #[track_caller]
    pub fn put_empty(&self, path: &str) -> Response {
        let url = self.url(path);
        finish(
            "PUT",
            &url,
            self.authorize(self.agent.put(&url)).send_empty(),
        )
    }

    #[track_caller]
    pub fn delete(&self, path: &str) -> Response {
        let url = self.url(path);
        finish(
            "DELETE",
            &url,
            self.authorize(self.agent.delete(&url)).call(),
        )
    }

    /// GET with a short timeout that reports transport errors instead of panicking (readiness polling).
    pub fn try_get(&self, path: &str, timeout: Duration) -> Result<Response, String> {
        let url = self.url(path);
        let result = self
            .authorize(self.agent.get(&url))
            .config()
            .timeout_global(Some(timeout))
            .build()
            .call();
        read_response(result).map_err(|e| format!("GET {url}: {e}"))
    }
}

#[track_caller]
fn finish(
    method: &str,
    url: &str,
    result: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
) -> Response {
    read_response(result)
        .unwrap_or_else(|e| panic!("{method} {url} failed without an HTTP answer: {e}"))
}

fn read_response(
    result: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
) -> Result<Response, ureq::Error> {
    let mut response = result?;
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let location = header("location");
    let content_type = header("content-type");
    let status = response.status().as_u16();
    let text = response.body_mut().read_to_string()?;
    let body = if text.trim().is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|_| Value::String(text.clone()))
    };
    Ok(Response {
        status,
        body,
        text,
        location,
        content_type,
    })
}

/// The certificates of a PEM text, in order.
fn pem_certificates(pem: &[u8]) -> Vec<Certificate<'static>> {
    ureq::tls::parse_pem(pem)
        .filter_map(|item| match item {
            Ok(ureq::tls::PemItem::Certificate(cert)) => Some(cert),
            _ => None,
        })
        .collect()
}
