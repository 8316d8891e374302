//! What both worker modes do around their herder: the worker id and Kafka cluster id they report, the REST
//! listener, and serving until SIGINT/SIGTERM.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, Context, Result};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::ClientConfig;
use tracing::{info, warn};

use crate::config::worker::WorkerConfig;
use crate::herder::Herder;
use crate::rest::{self, SharedHerder};

/// `host:port` the worker reports as `worker_id` (advertised settings first, then the first listener).
pub fn worker_id(config: &WorkerConfig) -> Result<String> {
    let listener = config
        .listeners
        .first()
        .ok_or_else(|| anyhow!("`listeners` is empty"))?;
    let bind = rest::bind_address(listener).map_err(|e| anyhow!(e))?;
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
pub fn cluster_id(bootstrap: &str) -> Option<String> {
    let fetched = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .create::<BaseConsumer>()
        .ok()
        .and_then(|consumer| consumer.client().fetch_cluster_id(Duration::from_secs(5)));
    if fetched.is_none() {
        warn!("Could not reach Kafka at {bootstrap} to read its cluster id; continuing");
    }
    fetched
}

/// The address the REST API binds: the first of `listeners` (the others are not served yet, which is logged).
pub fn rest_bind_address(worker: &WorkerConfig) -> Result<String> {
    if worker.listeners.len() > 1 {
        warn!(
            "Only the first listener ({}) is served so far",
            worker.listeners[0]
        );
    }
    let first = worker
        .listeners
        .first()
        .ok_or_else(|| anyhow!("`listeners` is empty"))?;
    rest::bind_address(first).map_err(|e| anyhow!(e))
}

/// Serves the REST API on `bind` for `herder`, runs `after_listen` (blocking) once the port is open, then waits for
/// SIGINT/SIGTERM and shuts the herder down.
pub fn serve_until_shutdown<H: Herder + 'static>(
    herder: Arc<H>,
    bind: &str,
    id: &str,
    started: Instant,
    after_listen: impl FnOnce(Arc<H>) -> Result<()> + Send + 'static,
) -> Result<()> {
    let shared: SharedHerder = herder.clone();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(bind)
            .await
            .with_context(|| format!("cannot listen on {bind}"))?;
        info!(
            "REST server listening on http://{bind}/, worker id {id}, started in {} ms",
            started.elapsed().as_millis()
        );
        let server = tokio::spawn(async move { axum::serve(listener, rest::router(shared)).await });
        let h = herder.clone();
        tokio::task::spawn_blocking(move || after_listen(h)).await??;
        shutdown_signal().await;
        info!("Shutting down");
        server.abort();
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
