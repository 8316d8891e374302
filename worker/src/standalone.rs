//! `connect standalone`: reads the worker and connector files, loads plugins, serves REST and runs the
//! connectors in this process until SIGINT/SIGTERM.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::ClientConfig;
use tracing::{info, warn};

use crate::config::connector::NAME;
use crate::config::properties::load_properties;
use crate::config::providers::ConfigProviders;
use crate::config::worker::WorkerConfig;
use crate::herder::{Herder, StandaloneHerder};
use crate::plugins::Plugins;
use crate::rest::{self, SharedHerder};
use crate::storage::FileOffsetStore;

/// A connector file: `.properties`, or `.json` either as `{"name","config"}` or as a flat config map.
pub fn load_connector_file(path: &Path) -> Result<(String, BTreeMap<String, String>)> {
    let config: BTreeMap<String, String> = if path.extension().is_some_and(|e| e == "json") {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let json: serde_json::Value = serde_json::from_str(&text)
            .with_context(|| format!("{} is not valid JSON", path.display()))?;
        let (name, map) = match json.get("config") {
            Some(c) => (
                json.get("name")
                    .and_then(|n| n.as_str())
                    .map(str::to_string),
                c.clone(),
            ),
            None => (None, json),
        };
        let mut config: BTreeMap<String, String> = map
            .as_object()
            .ok_or_else(|| {
                anyhow!(
                    "{}: the connector config must be a JSON object",
                    path.display()
                )
            })?
            .iter()
            .map(|(k, v)| {
                (
                    k.clone(),
                    v.as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| v.to_string()),
                )
            })
            .collect();
        if let Some(name) = name {
            config.insert(NAME.to_string(), name);
        }
        config
    } else {
        load_properties(path)?
    };
    let name = config
        .get(NAME)
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty());
    let name = name.ok_or_else(|| anyhow!("{}: connector config has no `name`", path.display()))?;
    Ok((name, config))
}

/// `host:port` the worker reports as `worker_id` (advertised settings first, then the first listener).
pub(crate) fn worker_id(config: &WorkerConfig) -> Result<String> {
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

/// The Kafka cluster id, for `GET /`.
pub(crate) fn fetch_cluster_id(bootstrap: &str) -> Option<String> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .create()
        .ok()?;
    consumer.client().fetch_cluster_id(Duration::from_secs(5))
}

pub fn run(worker_file: &Path, connector_files: &[&Path]) -> Result<()> {
    let started = Instant::now();
    let raw = load_properties(worker_file)?;
    let providers =
        ConfigProviders::from_worker_config(&raw).context("invalid config.providers settings")?;
    let worker = WorkerConfig::standalone(providers.resolve_all(&raw))
        .context("invalid worker configuration")?;
    if worker.offset_file.is_empty() {
        bail!("Missing required configuration \"offset.storage.file.filename\"");
    }
    let connectors = connector_files
        .iter()
        .map(|f| load_connector_file(f))
        .collect::<Result<Vec<_>>>()?;
    let plugins = Arc::new(Plugins::load(&worker.plugin_path));
    let offsets = Arc::new(FileOffsetStore::open(&worker.offset_file)?);
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
    let herder = Arc::new(StandaloneHerder::new(
        worker,
        id.clone(),
        cluster_id,
        plugins,
        providers,
        offsets,
    ));
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
        for (name, config) in connectors {
            let h = herder.clone();
            let created = tokio::task::spawn_blocking(move || {
                h.put_connector_config(&name.clone(), config, false, None)
            })
            .await?;
            match created {
                Ok((_, info)) => info!("Created connector {}", info.name),
                Err(e) => bail!("Failed to create connector from the command line: {e}"),
            }
        }
        shutdown_signal().await;
        info!("Shutting down");
        server.abort();
        let h = herder.clone();
        tokio::task::spawn_blocking(move || h.shutdown()).await?;
        Ok(())
    })
}

/// Resolves on SIGINT or SIGTERM.
pub(crate) async fn shutdown_signal() {
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
