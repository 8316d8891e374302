//! The REST API (Kafka's `ConnectRestServer`): axum routes on `listeners`, errors as `{"error_code","message"}`.

mod config_patch;
pub mod entities;
mod error;
mod forward;
mod handlers;
mod loggers;
mod offsets;
pub mod signature;
mod topics;

use std::sync::Arc;

use axum::routing::{get, post, put};
use axum::Router;

use crate::herder::Herder;

pub use error::RestError;

pub type SharedHerder = Arc<dyn Herder>;

/// Every route of the REST API (both modes; in distributed mode, requests only the leader can serve are forwarded
/// to it).
pub fn router(herder: SharedHerder) -> Router {
    Router::new()
        .route("/", get(handlers::server_info))
        .route(
            "/connectors",
            get(handlers::list_connectors).post(handlers::create_connector),
        )
        .route(
            "/connectors/{name}",
            get(handlers::get_connector).delete(handlers::delete_connector),
        )
        .route(
            "/connectors/{name}/config",
            get(handlers::get_config)
                .put(handlers::put_config)
                .patch(config_patch::patch_config),
        )
        .route(
            "/connectors/{name}/offsets",
            get(offsets::get_offsets)
                .patch(offsets::alter_offsets)
                .delete(offsets::reset_offsets),
        )
        .route("/connectors/{name}/status", get(handlers::connector_status))
        .route(
            "/connectors/{name}/tasks",
            get(handlers::task_configs).post(handlers::put_task_configs),
        )
        .route(
            "/connectors/{name}/tasks/{task}/status",
            get(handlers::task_status),
        )
        .route(
            "/connectors/{name}/tasks/{task}/restart",
            post(handlers::restart_task),
        )
        .route(
            "/connectors/{name}/restart",
            post(handlers::restart_connector),
        )
        .route("/connectors/{name}/pause", put(handlers::pause))
        .route("/connectors/{name}/resume", put(handlers::resume))
        .route("/connectors/{name}/stop", put(handlers::stop))
        .route("/connector-plugins", get(handlers::list_plugins))
        .route(
            "/connector-plugins/{plugin}/config",
            get(handlers::plugin_config),
        )
        .route(
            "/connector-plugins/{plugin}/config/validate",
            put(handlers::validate),
        )
        .route("/connectors/{name}/topics", get(topics::active_topics))
        .route("/connectors/{name}/topics/reset", put(topics::reset))
        .route("/admin/loggers", get(loggers::list))
        .route(
            "/admin/loggers/{logger}",
            get(loggers::get).put(loggers::set),
        )
        .route("/health", get(handlers::health))
        .route("/metrics", get(handlers::metrics))
        .fallback(handlers::not_found)
        .method_not_allowed_fallback(handlers::method_not_allowed)
        .layer(axum::middleware::from_fn(forward::forward_to_leader))
        .with_state(herder)
}

/// Where a `listeners` entry binds: `http://host:port` (empty host = all interfaces).
pub fn bind_address(listener: &str) -> Result<String, String> {
    let rest = listener.strip_prefix("http://").ok_or_else(|| {
        format!("Unsupported listener {listener}: only http:// listeners are supported so far")
    })?;
    let rest = rest.trim_end_matches('/');
    let (host, port) = rest
        .rsplit_once(':')
        .ok_or_else(|| format!("Listener {listener} has no port"))?;
    let port: u16 = port
        .parse()
        .map_err(|_| format!("Listener {listener} has an invalid port"))?;
    let host = if host.is_empty() {
        "0.0.0.0"
    } else {
        host.trim_start_matches('[').trim_end_matches(']')
    };
    Ok(format!("{host}:{port}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listeners_parse_like_kafka() {
        assert_eq!(bind_address("http://:8083").unwrap(), "0.0.0.0:8083");
        assert_eq!(
            bind_address("http://127.0.0.1:18083/").unwrap(),
            "127.0.0.1:18083"
        );
        assert!(bind_address("https://:8443").is_err());
        assert!(bind_address("http://host").is_err());
    }
}
