//! Route handlers: each translates one HTTP request into a herder call (run off the async threads, since plugin
//! calls may block) and the result into Kafka's JSON and status code.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use connect_api::plugin::PluginKind;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value as Json_;

use super::entities::{ConfigKeyInfo, CreateConnectorRequest, PluginInfo, ServerInfo};
use super::{RestError, SharedHerder};
use crate::config::connector::{framework_config_def, CONNECTOR_CLASS};
use crate::herder::{Herder, HerderError, TargetState};

pub(super) type RestResult = Result<Response, RestError>;

/// Kafka's Connect REST API version this worker implements.
const CONNECT_API_VERSION: &str = "4.1.0";

/// Runs a herder call on the blocking pool.
pub(super) async fn call<T: Send + 'static>(
    herder: &SharedHerder,
    f: impl FnOnce(&dyn Herder) -> T + Send + 'static,
) -> Result<T, RestError> {
    let h = herder.clone();
    tokio::task::spawn_blocking(move || f(h.as_ref()))
        .await
        .map_err(|e| {
            RestError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("request handler failed: {e}"),
            )
        })
}

pub(super) fn json<T: serde::Serialize>(status: StatusCode, body: &T) -> Response {
    (status, Json(body)).into_response()
}

pub(super) fn parse<T: DeserializeOwned>(body: &Bytes) -> Result<T, RestError> {
    serde_json::from_slice(body)
        .map_err(|e| RestError::bad_request(format!("Cannot deserialize request body: {e}")))
}

/// A config value as Jackson coerces any JSON scalar to a string; `None` for JSON null.
pub(super) fn config_text(value: Json_) -> Option<String> {
    match value {
        Json_::String(s) => Some(s),
        Json_::Null => None,
        other => Some(other.to_string()),
    }
}

/// A config map whose values may be any JSON scalar (Jackson coerces them to strings, so do we).
fn parse_config(value: BTreeMap<String, Json_>) -> Result<BTreeMap<String, String>, RestError> {
    value
        .into_iter()
        .map(|(k, v)| {
            config_text(v).map(|v| (k.clone(), v)).ok_or_else(|| {
                RestError::bad_request(format!(
                    "Null value can not be supplied as the configuration value for {k}."
                ))
            })
        })
        .collect()
}

pub async fn server_info(State(h): State<SharedHerder>) -> Response {
    let info = ServerInfo {
        version: CONNECT_API_VERSION.to_string(),
        commit: format!("connect-rs-{}", env!("CARGO_PKG_VERSION")),
        kafka_cluster_id: h.kafka_cluster_id(),
    };
    json(StatusCode::OK, &info)
}

pub async fn health(State(h): State<SharedHerder>) -> Response {
    if h.started() {
        json(
            StatusCode::OK,
            &serde_json::json!({"status": "healthy", "message": "Worker has completed startup and is ready to handle requests."}),
        )
    } else {
        json(
            StatusCode::SERVICE_UNAVAILABLE,
            &serde_json::json!({"status": "starting", "message": "Worker is still starting up. The worker has not joined its group and received an assignment yet."}),
        )
    }
}

/// `GET /metrics`: this worker's metrics in the Prometheus text format.
pub async fn metrics(State(h): State<SharedHerder>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        h.metrics(),
    )
        .into_response()
}

pub async fn list_connectors(
    State(h): State<SharedHerder>,
    query: axum::extract::RawQuery,
) -> RestResult {
    let raw = query.0.unwrap_or_default();
    let expand: Vec<String> = form_urlencoded::parse(raw.as_bytes())
        .filter(|(k, _)| k == "expand")
        .map(|(_, v)| v.into_owned())
        .collect();
    let (status, info) = (
        expand.iter().any(|e| e == "status"),
        expand.iter().any(|e| e == "info"),
    );
    call(&h, move |h| {
        let names = h.connectors();
        if !status && !info {
            return json(StatusCode::OK, &names);
        }
        let mut out = serde_json::Map::new();
        for name in names {
            let mut entry = serde_json::Map::new();
            if status {
                let Ok(s) = h.connector_status(&name) else {
                    continue;
                };
                entry.insert("status".into(), serde_json::to_value(s).unwrap_or_default());
            }
            if info {
                let Ok(i) = h.connector_info(&name) else {
                    continue;
                };
                entry.insert("info".into(), serde_json::to_value(i).unwrap_or_default());
            }
            out.insert(name, Json_::Object(entry));
        }
        json(StatusCode::OK, &out)
    })
    .await
}

pub async fn create_connector(State(h): State<SharedHerder>, body: Bytes) -> RestResult {
    let req: CreateConnectorRequest = parse(&body)?;
    let name = req
        .name
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty());
    let Some(name) = name else {
        return Err(RestError::bad_request(
            "Connector name cannot be null or empty",
        ));
    };
    let initial_state = match req.initial_state.as_deref() {
        None => None,
        Some(s) => Some(TargetState::from_initial_state(s).ok_or_else(|| {
            RestError::bad_request(format!(
                "Invalid initial state {s}: must be one of RUNNING, PAUSED, STOPPED"
            ))
        })?),
    };
    let config = req.config.unwrap_or_default();
    let location = format!("/connectors/{name}");
    let (_, info) = call(&h, move |h| {
        h.put_connector_config(&name, config, false, initial_state)
    })
    .await??;
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(info),
    )
        .into_response())
}

pub async fn get_connector(State(h): State<SharedHerder>, Path(name): Path<String>) -> RestResult {
    Ok(json(
        StatusCode::OK,
        &call(&h, move |h| h.connector_info(&name)).await??,
    ))
}

pub async fn delete_connector(
    State(h): State<SharedHerder>,
    Path(name): Path<String>,
) -> RestResult {
    call(&h, move |h| h.delete_connector(&name)).await??;
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub async fn get_config(State(h): State<SharedHerder>, Path(name): Path<String>) -> RestResult {
    Ok(json(
        StatusCode::OK,
        &call(&h, move |h| h.connector_config(&name)).await??,
    ))
}

pub async fn put_config(
    State(h): State<SharedHerder>,
    Path(name): Path<String>,
    body: Bytes,
) -> RestResult {
    let config = parse_config(parse(&body)?)?;
    let location = format!("/connectors/{name}");
    let (created, info) = call(&h, move |h| {
        h.put_connector_config(&name, config, true, None)
    })
    .await??;
    if created {
        Ok((
            StatusCode::CREATED,
            [(header::LOCATION, location)],
            Json(info),
        )
            .into_response())
    } else {
        Ok(json(StatusCode::OK, &info))
    }
}

pub async fn connector_status(
    State(h): State<SharedHerder>,
    Path(name): Path<String>,
) -> RestResult {
    Ok(json(
        StatusCode::OK,
        &call(&h, move |h| h.connector_status(&name)).await??,
    ))
}

pub async fn task_configs(State(h): State<SharedHerder>, Path(name): Path<String>) -> RestResult {
    Ok(json(
        StatusCode::OK,
        &call(&h, move |h| h.task_configs(&name)).await??,
    ))
}

pub async fn task_status(
    State(h): State<SharedHerder>,
    Path((name, task)): Path<(String, u32)>,
) -> RestResult {
    Ok(json(
        StatusCode::OK,
        &call(&h, move |h| h.task_status(&name, task)).await??,
    ))
}

pub async fn restart_task(
    State(h): State<SharedHerder>,
    Path((name, task)): Path<(String, u32)>,
) -> RestResult {
    call(&h, move |h| h.restart_task(&name, task)).await??;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Checks the KIP-507 signature of an internal request's body.
async fn verify_internal(
    h: &SharedHerder,
    headers: &axum::http::HeaderMap,
    body: Bytes,
) -> Result<(), RestError> {
    let header = |n: &str| {
        headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let (signature, algorithm) = (
        header(super::signature::SIGNATURE_HEADER),
        header(super::signature::ALGORITHM_HEADER),
    );
    call(h, move |h| {
        h.verify_internal_request(&body, signature.as_deref(), algorithm.as_deref())
    })
    .await??;
    Ok(())
}

/// Internal: task configs from the worker running the connector, for the leader to write.
pub async fn put_task_configs(
    State(h): State<SharedHerder>,
    Path(name): Path<String>,
    headers: axum::http::HeaderMap,
    body: Bytes,
) -> RestResult {
    verify_internal(&h, &headers, body.clone()).await?;
    let configs: Vec<BTreeMap<String, Json_>> = parse(&body)?;
    let configs = configs
        .into_iter()
        .map(parse_config)
        .collect::<Result<Vec<_>, _>>()?;
    call(&h, move |h| h.put_task_configs(&name, configs)).await??;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Internal: a round of zombie fencing for an exactly-once source connector, done by the leader (KIP-618).
pub async fn fence_zombies(
    State(h): State<SharedHerder>,
    Path(name): Path<String>,
    headers: axum::http::HeaderMap,
    body: Bytes,
) -> RestResult {
    verify_internal(&h, &headers, body).await?;
    call(&h, move |h| h.fence_zombies(&name)).await??;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize)]
pub struct RestartQuery {
    #[serde(default, rename = "includeTasks")]
    include_tasks: bool,
    #[serde(default, rename = "onlyFailed")]
    only_failed: bool,
}

pub async fn restart_connector(
    State(h): State<SharedHerder>,
    Path(name): Path<String>,
    Query(q): Query<RestartQuery>,
) -> RestResult {
    let plan = call(&h, move |h| {
        h.restart_connector(&name, q.include_tasks, q.only_failed)
    })
    .await??;
    match plan {
        Some(plan) if q.include_tasks || q.only_failed => Ok(json(StatusCode::ACCEPTED, &plan)),
        _ => Ok(StatusCode::NO_CONTENT.into_response()),
    }
}

pub async fn pause(State(h): State<SharedHerder>, Path(name): Path<String>) -> RestResult {
    call(&h, move |h| h.pause_connector(&name)).await??;
    Ok(StatusCode::ACCEPTED.into_response())
}

pub async fn resume(State(h): State<SharedHerder>, Path(name): Path<String>) -> RestResult {
    call(&h, move |h| h.resume_connector(&name)).await??;
    Ok(StatusCode::ACCEPTED.into_response())
}

pub async fn stop(State(h): State<SharedHerder>, Path(name): Path<String>) -> RestResult {
    call(&h, move |h| h.stop_connector(&name)).await??;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize)]
pub struct PluginsQuery {
    #[serde(rename = "connectorsOnly")]
    connectors_only: Option<bool>,
}

pub async fn list_plugins(
    State(h): State<SharedHerder>,
    Query(q): Query<PluginsQuery>,
) -> Response {
    let plugins: Vec<PluginInfo> = h
        .plugins()
        .list(q.connectors_only.unwrap_or(true))
        .into_iter()
        .map(|p| PluginInfo {
            class: p.class_name.clone(),
            plugin_type: p.kind.name().to_string(),
            version: Some(p.version.clone()).filter(|v| !v.is_empty() && v != "undefined"),
        })
        .collect();
    json(StatusCode::OK, &plugins)
}

pub async fn plugin_config(
    State(h): State<SharedHerder>,
    Path(plugin): Path<String>,
) -> RestResult {
    let info = h.plugins().info(&plugin).ok_or_else(|| {
        RestError::new(StatusCode::NOT_FOUND, format!("Unknown plugin {plugin}."))
    })?;
    let mut def = info.config_def.clone();
    if info.kind.is_connector() {
        def = def.merge(&framework_config_def(info.kind));
    }
    let keys: Vec<ConfigKeyInfo> = def.keys().iter().map(ConfigKeyInfo::from).collect();
    Ok(json(StatusCode::OK, &keys))
}

/// Kafka's check that `connector.class` matches the plugin named in the path (trailing `Connector` ignored).
fn normalize(class: &str) -> String {
    class.strip_suffix("Connector").unwrap_or(class).to_string()
}

pub async fn validate(
    State(h): State<SharedHerder>,
    Path(plugin): Path<String>,
    body: Bytes,
) -> RestResult {
    let config = parse_config(parse(&body)?)?;
    let Some(class) = config.get(CONNECTOR_CLASS).cloned() else {
        return Err(HerderError::BadRequest(format!(
            "Connector config {config:?} contains no connector type"
        ))
        .into());
    };
    if !normalize(&class).ends_with(&normalize(&plugin)) {
        return Err(RestError::bad_request(format!(
            "Included connector type {class} does not match request type {plugin}"
        )));
    }
    if h.plugins()
        .info(&class)
        .is_some_and(|i| !i.kind.is_connector() || i.kind == PluginKind::Converter)
    {
        return Err(RestError::bad_request(format!(
            "{class} is not a connector"
        )));
    }
    Ok(json(
        StatusCode::OK,
        &call(&h, move |h| h.validate(&config)).await??,
    ))
}

pub async fn not_found() -> RestError {
    RestError::new(StatusCode::NOT_FOUND, "HTTP 404 Not Found")
}

pub async fn method_not_allowed() -> RestError {
    RestError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "HTTP 405 Method Not Allowed",
    )
}
