//! `connect standalone`: reads the worker and connector files, loads plugins, serves REST and runs the
//! connectors in this process until SIGINT/SIGTERM.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{anyhow, bail, Context, Result};
use tracing::info;

use crate::config::connector::NAME;
use crate::config::properties::load_properties;
use crate::config::providers::ConfigProviders;
use crate::config::worker::WorkerConfig;
use crate::herder::{Herder, StandaloneHerder};
use crate::plugins::Plugins;
use crate::process::{cluster_id, rest_setup, serve_until_shutdown, worker_id};
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
    let rest = rest_setup(&worker)?;
    let connectors = connector_files
        .iter()
        .map(|f| load_connector_file(f))
        .collect::<Result<Vec<_>>>()?;
    let plugins = Arc::new(Plugins::load(&worker.plugin_path));
    let offsets = Arc::new(FileOffsetStore::open(&worker.offset_file)?);
    let id = worker_id(&worker)?;
    let cluster_id = cluster_id(&worker);
    let herder = Arc::new(StandaloneHerder::new(
        worker,
        id.clone(),
        cluster_id,
        plugins,
        providers,
        offsets,
    ));
    serve_until_shutdown(herder, rest, &id, started, move |herder| {
        for (name, config) in connectors {
            match herder.put_connector_config(&name.clone(), config, false, None) {
                Ok((_, info)) => info!("Created connector {}", info.name),
                Err(e) => bail!("Failed to create connector from the command line: {e}"),
            }
        }
        Ok(())
    })
}
