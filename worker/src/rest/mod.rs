//! The REST API (Kafka's `ConnectRestServer`): axum routes on `listeners` (http and https), optional basic
//! authentication, errors as `{"error_code","message"}`.

pub mod basic_auth;
pub mod client;
mod config_patch;
pub mod entities;
mod error;
mod forward;
mod handlers;
mod loggers;
mod offsets;
pub mod signature;
pub mod tls;
mod topics;

use std::sync::Arc;

use axum::routing::{get, post, put};
use axum::Router;

use crate::config::worker::WorkerConfig;
use crate::herder::Herder;

pub use error::RestError;

pub type SharedHerder = Arc<dyn Herder>;

/// Every route of the REST API (both modes; in distributed mode, requests only the leader can serve are forwarded
/// to it), behind basic authentication if `auth` is given (checked before anything is forwarded).
pub fn router(herder: SharedHerder, auth: Option<Arc<basic_auth::BasicAuth>>) -> Router {
    let router = Router::new()
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
        .route("/connectors/{name}/fence", put(handlers::fence_zombies))
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
        .layer(axum::middleware::from_fn(forward::forward_to_leader));
    let router = match auth {
        Some(auth) => router.layer(axum::middleware::from_fn_with_state(
            auth,
            basic_auth::require,
        )),
        None => router,
    };
    router.with_state(herder)
}

/// One `listeners` entry: its scheme and the `host:port` it binds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Listener {
    pub https: bool,
    /// `host:port` for binding (empty host = all interfaces; IPv6 hosts in brackets).
    pub bind: String,
}

impl Listener {
    pub fn scheme(&self) -> &'static str {
        if self.https {
            "https"
        } else {
            "http"
        }
    }
}

/// Parses a `listeners` entry, `http://host:port` or `https://host:port` (scheme case-insensitive, empty host = all
/// interfaces, `[v6]` hosts allowed).
pub fn parse_listener(listener: &str) -> Result<Listener, String> {
    let (scheme, rest) = listener
        .split_once("://")
        .ok_or_else(|| format!("Listener {listener} is not of the form http(s)://host:port"))?;
    let https = match scheme.to_ascii_lowercase().as_str() {
        "http" => false,
        "https" => true,
        _ => return Err(unknown_protocol(scheme, listener)),
    };
    let rest = rest.trim_end_matches('/');
    let (host, port) = rest
        .rsplit_once(':')
        .ok_or_else(|| format!("Listener {listener} has no port"))?;
    let port: u16 = port
        .parse()
        .map_err(|_| format!("Listener {listener} has an invalid port"))?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let bind = if host.is_empty() {
        format!("0.0.0.0:{port}")
    } else if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    };
    Ok(Listener { https, bind })
}

fn unknown_protocol(scheme: &str, listener: &str) -> String {
    format!("Listener protocol must be either \"http\" or \"https\", but is {scheme} in {listener}")
}

/// What the REST server needs besides the herder: every listener (with its TLS config if https) and basic auth.
pub struct RestServerSetup {
    pub listeners: Vec<(Listener, Option<Arc<rustls::ServerConfig>>)>,
    pub auth: Option<Arc<basic_auth::BasicAuth>>,
}

impl RestServerSetup {
    /// Checks and loads everything the REST security settings name (listeners, PEM files, JAAS and password files)
    /// so that a mistake stops the worker at startup, and points the worker's REST client at the truststore.
    /// `kafka_opts` is the `KAFKA_OPTS` environment variable.
    pub fn from_worker(
        worker: &WorkerConfig,
        kafka_opts: Option<&str>,
    ) -> Result<RestServerSetup, String> {
        if worker.listeners.is_empty() {
            return Err("`listeners` is empty".into());
        }
        let ssl = tls::ssl_settings(&worker.raw);
        let mut listeners = Vec::new();
        for entry in &worker.listeners {
            let listener = parse_listener(entry)?;
            let tls = if listener.https {
                Some(tls::server_config(&ssl).map_err(|e| format!("listener {entry}: {e}"))?)
            } else {
                None
            };
            listeners.push((listener, tls));
        }
        if let Some(roots) = crate::config::pem::trust_roots(&ssl)? {
            client::trust_roots(&roots);
        }
        if listeners.iter().any(|(_, tls)| tls.is_some()) {
            if let Some((chain, key)) = crate::config::pem::load_keystore(&ssl)? {
                client::identity(&chain, &key);
            }
        }
        let auth =
            basic_auth::BasicAuth::from_settings(&worker.rest_extension_classes, kafka_opts)?;
        Ok(RestServerSetup {
            listeners,
            auth: auth.map(Arc::new),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listeners_parse_like_kafka() {
        let http = |bind: &str| Listener {
            https: false,
            bind: bind.into(),
        };
        assert_eq!(
            parse_listener("http://:8083").unwrap(),
            http("0.0.0.0:8083")
        );
        assert_eq!(
            parse_listener("http://127.0.0.1:18083/").unwrap(),
            http("127.0.0.1:18083")
        );
        assert_eq!(
            parse_listener("HTTPS://[::1]:8443").unwrap(),
            Listener {
                https: true,
                bind: "[::1]:8443".into()
            }
        );
        assert_eq!(parse_listener("https://:8443").unwrap().scheme(), "https");
        assert!(parse_listener("ftp://:21")
            .unwrap_err()
            .contains("must be either \"http\" or \"https\""));
        assert!(parse_listener("http://host").is_err());
        assert!(parse_listener("http://host:99999").is_err());
        assert!(parse_listener("localhost:8083").is_err());
    }
}
