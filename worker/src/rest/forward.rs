//! Forwarding of requests a non-leader cannot serve (Kafka's `HerderRequestHandler.completeOrForwardRequest`): a
//! middleware re-issues the request to the leader with `forward=true|false` and passes its answer back.

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{header, HeaderValue, Method, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tracing::debug;

use super::RestError;

/// Largest request body the middleware buffers.
const MAX_BODY_BYTES: usize = 64 * 1024 * 1024;
/// How long a forwarded request may take (Kafka's herder request timeout).
const FORWARD_TIMEOUT: Duration = Duration::from_secs(90);

/// Set on a response whose request must be served by the worker at this URL (the leader); `None` when no leader
/// is known (a rebalance is under way).
#[derive(Clone, Debug)]
pub struct ForwardTo(pub Option<String>);

const CONFLICT: &str =
    "Cannot complete request because of a conflicting operation (e.g. worker rebalance)";
const NO_LEADER: &str = "Cannot complete request momentarily due to no known leader URL, likely because a rebalance was underway.";

/// The target URL with the original query (minus `forward`) plus the next `forward` value.
fn target_url(base: &str, uri: &Uri, forward: bool) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (k, v) in form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes()) {
        if k != "forward" {
            query.append_pair(&k, &v);
        }
    }
    query.append_pair("forward", if forward { "true" } else { "false" });
    format!(
        "{}{}?{}",
        base.trim_end_matches('/'),
        uri.path(),
        query.finish()
    )
}

/// Runs the request; if the handler answers with [`ForwardTo`], sends it on per Kafka's rules.
pub async fn forward_to_leader(request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_BODY_BYTES).await {
        Ok(b) => b,
        Err(e) => {
            return RestError::bad_request(format!("Cannot read the request body: {e}"))
                .into_response()
        }
    };
    let method = parts.method.clone();
    let uri = parts.uri.clone();
    // Authorization as Kafka copies it (KAFKA-8404: the leader checks basic auth too), and the KIP-507 signature of
    // internal requests.
    let copied: Vec<(String, HeaderValue)> = [
        header::AUTHORIZATION.as_str(),
        super::signature::SIGNATURE_HEADER,
        super::signature::ALGORITHM_HEADER,
    ]
    .into_iter()
    .filter_map(|n| parts.headers.get(n).map(|v| (n.to_string(), v.clone())))
    .collect();
    let response = next
        .run(Request::from_parts(parts, Body::from(bytes.clone())))
        .await;
    let Some(ForwardTo(leader)) = response.extensions().get::<ForwardTo>().cloned() else {
        return response;
    };
    let previous = form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes())
        .find(|(k, _)| k == "forward")
        .map(|(_, v)| v.into_owned());
    let next_forward = match previous.as_deref() {
        None => true,
        Some(v) if v.eq_ignore_ascii_case("true") => false,
        Some(_) => return RestError::new(StatusCode::CONFLICT, CONFLICT).into_response(),
    };
    let Some(leader) = leader.filter(|l| !l.is_empty()) else {
        return RestError::new(StatusCode::CONFLICT, NO_LEADER).into_response();
    };
    let url = target_url(&leader, &uri, next_forward);
    debug!("Forwarding {method} {uri} to {url}");
    let sent = tokio::task::spawn_blocking(move || send(method, &url, bytes, copied)).await;
    match sent {
        Ok(Ok(r)) => r,
        Ok(Err(e)) => e.into_response(),
        Err(e) => RestError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("forwarding failed: {e}"),
        )
        .into_response(),
    }
}

/// Sends one request and returns the target's status and body as they are.
fn send(
    method: Method,
    url: &str,
    body: Bytes,
    headers: Vec<(String, HeaderValue)>,
) -> Result<Response, RestError> {
    let agent = super::client::agent(FORWARD_TIMEOUT);
    let mut request = ureq::http::Request::builder()
        .method(method)
        .uri(url)
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::ACCEPT, "application/json");
    for (name, value) in headers {
        request = request.header(name, value);
    }
    let request = request.body(body.to_vec()).map_err(|e| {
        RestError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("cannot build the forwarded request: {e}"),
        )
    })?;
    let mut answer = agent.run(request).map_err(|e| {
        RestError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("IO Error trying to forward REST request: {e}"),
        )
    })?;
    let status =
        StatusCode::from_u16(answer.status().as_u16()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let location = answer.headers().get(header::LOCATION).cloned();
    let content_type = answer.headers().get(header::CONTENT_TYPE).cloned();
    let text = answer.body_mut().read_to_vec().map_err(|e| {
        RestError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("IO Error reading the forwarded response: {e}"),
        )
    })?;
    let mut response = (status, text).into_response();
    if let Some(l) = location {
        response.headers_mut().insert(header::LOCATION, l);
    }
    if let Some(c) = content_type {
        response.headers_mut().insert(header::CONTENT_TYPE, c);
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarded_urls_keep_other_params_and_set_forward() {
        let uri: Uri = "/connectors/a/restart?includeTasks=true&forward=true"
            .parse()
            .unwrap();
        assert_eq!(
            target_url("http://10.0.0.1:8083/", &uri, false),
            "http://10.0.0.1:8083/connectors/a/restart?includeTasks=true&forward=false"
        );
        let plain: Uri = "/connectors".parse().unwrap();
        assert_eq!(
            target_url("http://h:1", &plain, true),
            "http://h:1/connectors?forward=true"
        );
    }
}
