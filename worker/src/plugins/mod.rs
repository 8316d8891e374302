//! The plugin registry: connector plugins loaded from `plugin.path`, plus the built-in converters, transforms and
//! predicates linked into the worker; lookup by Kafka class name or alias.

mod instance;
mod library;

use std::path::{Path, PathBuf};

use connect_api::converter::{Converter, HeaderConverter};
use connect_api::plugin::{PluginInfo, PluginKind};
use connect_api::transform::{Predicate, Transformation};
use tracing::{info, warn};

pub use instance::{
    PluginConnector, PluginPredicate, PluginSinkTask, PluginSourceTask, PluginTransformation,
};
pub use library::LibraryPlugin;

type Builtins<T> = Vec<(PluginInfo, fn() -> Box<T>)>;

/// Every plugin this worker can run.
pub struct Plugins {
    /// Connectors, transformations and predicates loaded from `plugin.path`.
    libraries: Vec<LibraryPlugin>,
    converters: Builtins<dyn Converter>,
    header_converters: Builtins<dyn HeaderConverter>,
    transformations: Builtins<dyn Transformation>,
    predicates: Builtins<dyn Predicate>,
}

fn is_library(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("so" | "dylib" | "dll")
    )
}

/// Library files under one `plugin.path` entry: the file itself, or libraries in the directory and its
/// immediate subdirectories (one directory per plugin, as Kafka lays plugins out).
fn library_files(entry: &Path) -> Vec<PathBuf> {
    if entry.is_file() {
        return vec![entry.to_path_buf()];
    }
    let mut found = Vec::new();
    let Ok(dir) = std::fs::read_dir(entry) else {
        warn!(
            "plugin.path entry {} is not readable; skipped",
            entry.display()
        );
        return found;
    };
    let mut paths: Vec<PathBuf> = dir.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            if let Ok(sub) = std::fs::read_dir(&path) {
                let mut inner: Vec<PathBuf> = sub
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| is_library(p))
                    .collect();
                inner.sort();
                found.extend(inner);
            }
        } else if is_library(&path) {
            found.push(path);
        }
    }
    found
}

impl Plugins {
    /// Scans every `plugin.path` entry and registers the built-ins.
    pub fn load(plugin_path: &[String]) -> Plugins {
        let mut libraries: Vec<LibraryPlugin> = Vec::new();
        for entry in plugin_path {
            for file in library_files(Path::new(entry)) {
                match library::open(&file) {
                    Ok(Some(found)) => {
                        for plugin in found {
                            let loadable = plugin.info.kind.is_connector()
                                || matches!(
                                    plugin.info.kind,
                                    PluginKind::Transformation | PluginKind::Predicate
                                );
                            if !loadable {
                                warn!("{}: {} plugins are not loadable from libraries yet; {} skipped", file.display(), plugin.info.kind.name(), plugin.info.class_name);
                            } else if libraries
                                .iter()
                                .any(|c| c.info.class_name == plugin.info.class_name)
                            {
                                warn!(
                                    "{}: plugin {} is already loaded from another library; skipped",
                                    file.display(),
                                    plugin.info.class_name
                                );
                            } else {
                                info!(
                                    "Loaded {} plugin {} {} from {}",
                                    plugin.info.kind.name(),
                                    plugin.info.class_name,
                                    plugin.info.version,
                                    file.display()
                                );
                                libraries.push(plugin);
                            }
                        }
                    }
                    Ok(None) => {}
                    Err(e) => warn!("Skipping plugin library: {e}"),
                }
            }
        }
        Plugins {
            libraries,
            converters: connect_converters::converter_plugins(),
            header_converters: connect_converters::header_converter_plugins(),
            transformations: connect_transforms::transformation_plugins(),
            predicates: connect_transforms::predicate_plugins(),
        }
    }

    /// A connector plugin by class name or alias.
    pub fn connector(&self, name: &str) -> Option<&LibraryPlugin> {
        self.library_plugin(name, |k| k.is_connector())
    }

    fn library_plugin(
        &self,
        name: &str,
        kind: impl Fn(PluginKind) -> bool,
    ) -> Option<&LibraryPlugin> {
        self.libraries
            .iter()
            .find(|p| kind(p.info.kind) && p.info.matches(name))
    }

    pub fn new_converter(&self, name: &str) -> Option<Box<dyn Converter>> {
        find(&self.converters, name)
    }
    pub fn new_header_converter(&self, name: &str) -> Option<Box<dyn HeaderConverter>> {
        find(&self.header_converters, name)
    }
    /// A built-in transformation, else one from a plugin library (None also when the library cannot make one).
    pub fn new_transformation(&self, name: &str) -> Option<Box<dyn Transformation>> {
        find(&self.transformations, name).or_else(|| {
            let plugin = self.library_plugin(name, |k| k == PluginKind::Transformation)?;
            let made = PluginTransformation::create(plugin)
                .map_err(|e| warn!("{e}"))
                .ok()?;
            Some(Box::new(made) as Box<dyn Transformation>)
        })
    }
    /// A built-in predicate, else one from a plugin library.
    pub fn new_predicate(&self, name: &str) -> Option<Box<dyn Predicate>> {
        find(&self.predicates, name).or_else(|| {
            let plugin = self.library_plugin(name, |k| k == PluginKind::Predicate)?;
            let made = PluginPredicate::create(plugin)
                .map_err(|e| warn!("{e}"))
                .ok()?;
            Some(Box::new(made) as Box<dyn Predicate>)
        })
    }

    /// Every plugin's metadata in Kafka's listing order (sinks, sources, transformations, predicates, converters,
    /// header converters), each kind sorted by class name.
    pub fn list(&self, connectors_only: bool) -> Vec<&PluginInfo> {
        let mut all: Vec<&PluginInfo> = self
            .libraries
            .iter()
            .map(|p| &p.info)
            .filter(|info| !connectors_only || info.kind.is_connector())
            .collect();
        if !connectors_only {
            all.extend(self.transformations.iter().map(|(i, _)| i));
            all.extend(self.predicates.iter().map(|(i, _)| i));
            all.extend(self.converters.iter().map(|(i, _)| i));
            all.extend(self.header_converters.iter().map(|(i, _)| i));
        }
        all.sort_by(|a, b| (a.kind, &a.class_name).cmp(&(b.kind, &b.class_name)));
        all
    }

    /// Any plugin's metadata by class name or alias.
    pub fn info(&self, name: &str) -> Option<&PluginInfo> {
        self.list(false).into_iter().find(|i| i.matches(name))
    }
}

fn find<T: ?Sized>(builtins: &Builtins<T>, name: &str) -> Option<Box<T>> {
    builtins
        .iter()
        .find(|(info, _)| info.matches(name))
        .map(|(_, make)| make())
}
