//! `/admin/loggers` (Kafka's `LoggingResource`): list and read log levels, and set one on this worker or, with
//! `?scope=cluster`, on every worker of the cluster.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::Value as Json;
use tracing::warn;

use super::handlers::{call, json, parse};
use super::{RestError, SharedHerder};
use crate::logging::{is_valid_level, loggers};

type RestResult = Result<Response, RestError>;

/// `{"<logger>":{"level","last_modified"}}` for `root` and every logger with a level of its own, sorted.
pub async fn list() -> Response {
    json(StatusCode::OK, &loggers().all())
}

pub async fn get(Path(name): Path<String>) -> RestResult {
    let level = loggers().level(&name).ok_or_else(|| {
        RestError::new(StatusCode::NOT_FOUND, format!("Logger {name} not found."))
    })?;
    Ok(json(StatusCode::OK, &level))
}

/// `{"level":"DEBUG"}`: `scope=worker` (the default; unknown scopes fall back to it) answers 200 with the affected
/// logger names, `scope=cluster` answers 204 once the level is written for every worker.
pub async fn set(
    State(h): State<SharedHerder>,
    Path(namespace): Path<String>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> RestResult {
    let request: BTreeMap<String, Json> = parse(&body)?;
    let level = match request.get("level") {
        None | Some(Json::Null) => None,
        Some(Json::String(s)) => Some(s.clone()),
        Some(other) => Some(other.to_string()),
    }
    .ok_or_else(|| {
        RestError::bad_request("Desired 'level' parameter was not specified in request.")
    })?;
    if !is_valid_level(&level) {
        return Err(RestError::new(
            StatusCode::NOT_FOUND,
            format!("invalid log level '{level}'."),
        ));
    }
    let scope = form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .find(|(k, _)| k == "scope")
        .map_or_else(|| "worker".to_string(), |(_, v)| v.to_ascii_lowercase());
    if scope == "cluster" {
        call(&h, move |h| h.set_cluster_logger_level(&namespace, &level)).await??;
        return Ok(StatusCode::NO_CONTENT.into_response());
    }
    if scope != "worker" {
        warn!("Received invalid scope '{scope}' in request to adjust logging level; will default to worker");
    }
    let affected = loggers().set_level(&namespace, &level);
    Ok(json(StatusCode::OK, &affected))
}
