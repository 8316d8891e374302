//! `connect distributed`: reads the worker file, loads plugins, starts the distributed herder (internal topics,
//! group membership) and serves REST until SIGINT/SIGTERM.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{anyhow, Context, Result};
use tracing::{info, warn};

use crate::config::properties::load_properties;
use crate::config::providers::ConfigProviders;
use crate::config::worker::WorkerConfig;
use crate::herder::{DistributedHerder, DistributedSetup, Herder};
use crate::plugins::Plugins;
use crate::rest::{self, SharedHerder};
use crate::standalone::{fetch_cluster_id, shutdown_signal, worker_id};

pub fn run(worker_file: &Path) -> Result<()> {
    let started = Instant::now();
    let raw = load_properties(worker_file)?;
    let providers =
        ConfigProviders::from_worker_config(&raw).context("invalid config.providers settings")?;
    let (worker, dist) = WorkerConfig::distributed(providers.resolve_all(&raw))
        .context("invalid worker configuration")?;
    let plugins = Arc::new(Plugins::load(&worker.plugin_path));
    let id = worker_id(&worker)?;
    let bind = rest::bind_address(&worker.listeners[0]).map_err(|e| anyhow!(e))?;
    if worker.listeners.len() > 1 {
        warn!(
            "Only the first listener ({}) is served so far",
            worker.listeners[0]
        );
    }
    let cluster_id = fetch_cluster_id(&worker.bootstrap_servers);
    if cluster_id.is_none() {
        warn!(
            "Could not reach Kafka at {} to read its cluster id; continuing",
            worker.bootstrap_servers
        );
    }
    let url = format!("http://{id}/");
    info!(
        "Starting distributed worker {id} in group {} (config topic {}, offsets {}, status {})",
        dist.group_id, dist.config_topic, dist.offset_topic, dist.status_topic
    );
    let herder = Arc::new(
        DistributedHerder::start(DistributedSetup {
            worker,
            dist,
            worker_id: id.clone(),
            url,
            cluster_id,
            plugins,
            providers,
        })
        .map_err(|e| anyhow!("cannot start the distributed herder: {e}"))?,
    );
    let shared: SharedHerder = herder.clone();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(&bind)
            .await
            .with_context(|| format!("cannot listen on {bind}"))?;
        info!(
            "REST server listening on http://{bind}/, worker id {id}, started in {} ms",
            started.elapsed().as_millis()
        );
        let server = tokio::spawn(async move { axum::serve(listener, rest::router(shared)).await });
        shutdown_signal().await;
        info!("Shutting down");
        server.abort();
        let h = herder.clone();
        tokio::task::spawn_blocking(move || h.shutdown()).await?;
        Ok(())
    })
}
