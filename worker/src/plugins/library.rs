//! Opening one plugin library: the manifest symbol, the ABI version check, and the plugin descriptors.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use connect_api::abi::{ConnectPluginManifest, ManifestFn, ABI_VERSION, MANIFEST_SYMBOL};
use connect_api::config::ConfigDef;
use connect_api::plugin::{PluginInfo, PluginKind};
use tracing::{debug, warn};

/// A loaded plugin library; kept alive by every instance created from it.
pub struct PluginLibrary {
    pub path: PathBuf,
    manifest: *const ConnectPluginManifest,
    // Declared last so it is dropped (unloaded) after everything that points into it.
    _lib: libloading::Library,
}

// SAFETY: the manifest is immutable static data of the library, which stays loaded while this value lives.
unsafe impl Send for PluginLibrary {}
unsafe impl Sync for PluginLibrary {}

impl PluginLibrary {
    pub fn manifest(&self) -> &ConnectPluginManifest {
        // SAFETY: checked non-null at load; valid while the library is loaded.
        unsafe { &*self.manifest }
    }
}

/// A plugin found in a library: its metadata and where to create instances.
#[derive(Clone)]
pub struct LibraryPlugin {
    pub library: Arc<PluginLibrary>,
    pub index: u32,
    pub info: PluginInfo,
}

/// Opens `path`; `Ok(None)` when it is not a Connect plugin or speaks another ABI version (logged).
pub fn open(path: &Path) -> Result<Option<Vec<LibraryPlugin>>, String> {
    // SAFETY: loading a library runs its initialisers; plugin.path is trusted configuration, as in Kafka.
    let lib = unsafe { libloading::Library::new(path) }
        .map_err(|e| format!("cannot load {}: {e}", path.display()))?;
    // SAFETY: the symbol's type is fixed by the ABI.
    let manifest_fn = match unsafe { lib.get::<ManifestFn>(MANIFEST_SYMBOL) } {
        Ok(f) => *f,
        Err(_) => {
            debug!(
                "{} has no connect_plugin_manifest symbol; not a Connect plugin",
                path.display()
            );
            return Ok(None);
        }
    };
    // SAFETY: calling the plugin's manifest function as the ABI defines it.
    let manifest = unsafe { manifest_fn() };
    if manifest.is_null() {
        return Err(format!(
            "{}: connect_plugin_manifest returned null",
            path.display()
        ));
    }
    // SAFETY: abi_version is the first field in every ABI version.
    let abi_version = unsafe { *(manifest as *const u32) };
    if abi_version != ABI_VERSION {
        warn!(
            "Skipping plugin library {}: it was built for plugin ABI version {abi_version}, this worker supports version {ABI_VERSION}",
            path.display()
        );
        return Ok(None);
    }
    let library = Arc::new(PluginLibrary {
        path: path.to_path_buf(),
        manifest,
        _lib: lib,
    });
    let m = library.manifest();
    let mut plugins = Vec::new();
    for index in 0..m.plugin_count {
        // SAFETY: `plugins` holds `plugin_count` descriptors.
        let d = unsafe { &*m.plugins.add(index as usize) };
        let Some(kind) = PluginKind::from_abi(d.kind) else {
            warn!(
                "{}: plugin {index} has unknown kind {}; skipped",
                path.display(),
                d.kind
            );
            continue;
        };
        // SAFETY: descriptor strings are static data of the library.
        let (class_name, aliases, version, config_json) = unsafe {
            (
                d.class_name.to_string_lossy(),
                d.aliases.to_string_lossy(),
                d.version.to_string_lossy(),
                d.config_def.to_string_lossy(),
            )
        };
        let config_def = serde_json::from_str::<ConfigDef>(&config_json).unwrap_or_else(|e| {
            warn!("{}: plugin {class_name} has an unreadable ConfigDef ({e}); listing it without config keys", path.display());
            ConfigDef::new()
        });
        let aliases = aliases
            .split(',')
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .map(str::to_string)
            .collect();
        let info = PluginInfo {
            kind,
            class_name,
            aliases,
            version,
            config_def,
        };
        plugins.push(LibraryPlugin {
            library: library.clone(),
            index,
            info,
        });
    }
    Ok(Some(plugins))
}
