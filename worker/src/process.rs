//! What both worker modes do around their herder: the worker id and Kafka cluster id they report, the REST
//! listeners, and serving until SIGINT/SIGTERM.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, Context, Result};
use rdkafka::consumer::{BaseConsumer, Consumer};
use tracing::{info, warn};

use crate::config::worker::WorkerConfig;
use crate::herder::Herder;
use crate::rest::{self, RestServerSetup, SharedHerder};

/// `host:port` the worker reports as `worker_id` (advertised settings first, then the first listener).
pub fn worker_id(config: &WorkerConfig) -> Result<String> {
    let bind = first_listener(config)?.bind;
    let (bind_host, bind_port) = bind.rsplit_once(':').unwrap_or((&bind, "8083"));
    let host = config.advertised_host.clone().unwrap_or_else(|| {
        if bind_host == "0.0.0.0" {
            std::fs::read_to_string("/etc/hostname")
                .map(|h| h.trim().to_string())
                .unwrap_or_else(|_| "localhost".into())
        } else {
            bind_host.to_string()
        }
    });
    let port = config
        .advertised_port
        .map(|p| p.to_string())
        .unwrap_or_else(|| bind_port.to_string());
    Ok(format!("{host}:{port}"))
}

/// The Kafka cluster id, for `GET /`; logged and left out when Kafka cannot be reached.
pub fn cluster_id(worker: &WorkerConfig) -> Option<String> {
    let bootstrap = &worker.bootstrap_servers;
    let fetched = crate::kafka::internal_client_config(worker)
        .create::<BaseConsumer>()
        .ok()
        .and_then(|consumer| consumer.client().fetch_cluster_id(Duration::from_secs(5)));
    if fetched.is_none() {
        warn!("Could not reach Kafka at {bootstrap} to read its cluster id; continuing");
    }
    fetched
}

fn first_listener(config: &WorkerConfig) -> Result<rest::Listener> {
    let listener = config
        .listeners
        .first()
        .ok_or_else(|| anyhow!("`listeners` is empty"))?;
    rest::parse_listener(listener).map_err(|e| anyhow!(e))
}

/// The URL other workers reach this one at: the first listener's scheme with the worker id.
pub fn advertised_url(config: &WorkerConfig, id: &str) -> Result<String> {
    Ok(format!("{}://{id}/", first_listener(config)?.scheme()))
}

/// The REST listeners, TLS and basic auth settings, loaded and checked (`KAFKA_OPTS` names the JAAS file).
pub fn rest_setup(worker: &WorkerConfig) -> Result<RestServerSetup> {
    let kafka_opts = std::env::var("KAFKA_OPTS").ok();
    RestServerSetup::from_worker(worker, kafka_opts.as_deref())
        .map_err(|e| anyhow!("invalid REST server settings: {e}"))
}

/// Serves the REST API on every listener of `setup` for `herder`, runs `after_listen` (blocking) once the ports are
/// open, then waits for SIGINT/SIGTERM and shuts the herder down.
pub fn serve_until_shutdown<H: Herder + 'static>(
    herder: Arc<H>,
    setup: RestServerSetup,
    id: &str,
    started: Instant,
    after_listen: impl FnOnce(Arc<H>) -> Result<()> + Send + 'static,
) -> Result<()> {
    let shared: SharedHerder = herder.clone();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let app = rest::router(shared, setup.auth.clone());
        let mut servers = Vec::new();
        for (listener, tls) in setup.listeners {
            let bind = &listener.bind;
            let tcp = tokio::net::TcpListener::bind(bind)
                .await
                .with_context(|| format!("cannot listen on {bind}"))?;
            info!(
                "REST server listening on {}://{bind}/{}, worker id {id}, started in {} ms",
                listener.scheme(),
                if setup.auth.is_some() {
                    " (basic auth)"
                } else {
                    ""
                },
                started.elapsed().as_millis()
            );
            let app = app.clone();
            servers.push(match tls {
                Some(tls) => {
                    let tls = rest::tls::TlsListener::new(tcp, tls)?;
                    tokio::spawn(async move { axum::serve(tls, app).await })
                }
                None => tokio::spawn(async move { axum::serve(tcp, app).await }),
            });
        }
        let h = herder.clone();
        tokio::task::spawn_blocking(move || after_listen(h)).await??;
        shutdown_signal().await;
        info!("Shutting down");
        for server in servers {
            server.abort();
        }
        tokio::task::spawn_blocking(move || herder.shutdown()).await?;
        Ok(())
    })
}

/// Resolves on SIGINT or SIGTERM.
async fn shutdown_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = match signal(SignalKind::terminate()) {
        Ok(s) => s,
        Err(_) => return std::future::pending().await,
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}
