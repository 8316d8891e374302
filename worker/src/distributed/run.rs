//! `connect distributed`: reads the worker file, loads plugins, starts the distributed herder (internal topics,
//! group membership) and serves REST until SIGINT/SIGTERM.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{anyhow, Context, Result};
use tracing::info;

use crate::config::properties::load_properties;
use crate::config::providers::ConfigProviders;
use crate::config::worker::WorkerConfig;
use crate::herder::{DistributedHerder, DistributedSetup};
use crate::plugins::Plugins;
use crate::process::{advertised_url, cluster_id, rest_setup, serve_until_shutdown, worker_id};

/// Runs a distributed worker until SIGINT/SIGTERM.
pub fn run(worker_file: &Path) -> Result<()> {
    let started = Instant::now();
    let raw = load_properties(worker_file)?;
    let providers =
        ConfigProviders::from_worker_config(&raw).context("invalid config.providers settings")?;
    let (worker, dist) = WorkerConfig::distributed(providers.resolve_all(&raw))
        .context("invalid worker configuration")?;
    // Group connection settings the worker cannot use (a JKS store, GSSAPI, missing credentials) stop it here with
    // the reason instead of failing every join.
    let group_tls = crate::kafka::tls::group_connection_tls(&worker.raw).map_err(|e| anyhow!(e))?;
    let group_sasl =
        crate::kafka::security::group_connection_sasl(&worker.raw).map_err(|e| anyhow!(e))?;
    let rest = rest_setup(&worker)?;
    let plugins = Arc::new(Plugins::load(&worker.plugin_path));
    let id = worker_id(&worker)?;
    let cluster_id = cluster_id(&worker);
    let url = advertised_url(&worker, &id)?;
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
            group_tls,
            group_sasl,
        })
        .map_err(|e| anyhow!("cannot start the distributed herder: {e}"))?,
    );
    serve_until_shutdown(herder, rest, &id, started, |_| Ok(()))
}
