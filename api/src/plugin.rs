//! Plugin metadata as the worker lists it: kind, class name, aliases, version and ConfigDef.

use crate::config::ConfigDef;

/// The kinds of plugin Kafka Connect knows, with the names `GET /connector-plugins` reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PluginKind {
    Sink,
    Source,
    Transformation,
    Predicate,
    Converter,
    HeaderConverter,
}

impl PluginKind {
    pub fn name(self) -> &'static str {
        match self {
            Self::Sink => "sink",
            Self::Source => "source",
            Self::Transformation => "transformation",
            Self::Predicate => "predicate",
            Self::Converter => "converter",
            Self::HeaderConverter => "header_converter",
        }
    }

    pub fn is_connector(self) -> bool {
        matches!(self, Self::Sink | Self::Source)
    }

    /// From the ABI's `kind` code.
    pub fn from_abi(code: u32) -> Option<Self> {
        use crate::abi::kind;
        Some(match code {
            kind::SOURCE => Self::Source,
            kind::SINK => Self::Sink,
            kind::CONVERTER => Self::Converter,
            kind::HEADER_CONVERTER => Self::HeaderConverter,
            kind::TRANSFORMATION => Self::Transformation,
            kind::PREDICATE => Self::Predicate,
            _ => return None,
        })
    }
}

/// Everything the worker knows about a plugin without instantiating it.
#[derive(Clone, Debug)]
pub struct PluginInfo {
    pub kind: PluginKind,
    pub class_name: String,
    pub aliases: Vec<String>,
    pub version: String,
    pub config_def: ConfigDef,
}

impl PluginInfo {
    /// Whether `name` is this plugin's class name or one of its aliases (Kafka matches both).
    pub fn matches(&self, name: &str) -> bool {
        self.class_name == name || self.aliases.iter().any(|a| a == name)
    }
}
