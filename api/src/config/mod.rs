//! ConfigDef: config keys declared once (type, default, docs, validator) and used for parsing, validation,
//! `/config/validate` and generated docs alike, as Kafka's `ConfigDef`.

mod parse;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use parse::{split_list, with_prefix, ConfigParseError, ParsedConfig, TypedValue};

/// The type of a config key (Kafka's `ConfigDef.Type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum ConfigType {
    Boolean,
    String,
    Int,
    Short,
    Long,
    Double,
    List,
    Class,
    Password,
}

impl ConfigType {
    pub fn name(self) -> &'static str {
        match self {
            Self::Boolean => "BOOLEAN",
            Self::String => "STRING",
            Self::Int => "INT",
            Self::Short => "SHORT",
            Self::Long => "LONG",
            Self::Double => "DOUBLE",
            Self::List => "LIST",
            Self::Class => "CLASS",
            Self::Password => "PASSWORD",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "UPPERCASE")]
pub enum Importance {
    #[default]
    High,
    Medium,
    Low,
}

impl Importance {
    pub fn name(self) -> &'static str {
        match self {
            Self::High => "HIGH",
            Self::Medium => "MEDIUM",
            Self::Low => "LOW",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "UPPERCASE")]
pub enum Width {
    #[default]
    None,
    Short,
    Medium,
    Long,
}

impl Width {
    pub fn name(self) -> &'static str {
        match self {
            Self::None => "NONE",
            Self::Short => "SHORT",
            Self::Medium => "MEDIUM",
            Self::Long => "LONG",
        }
    }
}

/// A key's default: none at all (the key is required), an explicit null, or a value in its string form.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum DefaultValue {
    #[default]
    Required,
    Null,
    Value(String),
}

/// Declarative validators, so that a ConfigDef can cross the plugin boundary as data.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Validator {
    /// Numeric range, inclusive, either bound optional (Kafka's `Range.atLeast`/`between`).
    Range { min: Option<f64>, max: Option<f64> },
    /// One of the listed strings (Kafka's `ValidString` / `CaseInsensitiveValidString`).
    OneOf {
        values: Vec<String>,
        case_insensitive: bool,
    },
    /// Every list element is one of the listed strings (Kafka's `ValidList`).
    ListOf { values: Vec<String> },
    /// A non-empty string (Kafka's `NonEmptyString`).
    NonEmptyString,
    /// A non-empty string without ISO control characters (`NonEmptyStringWithoutControlChars`).
    NonEmptyStringWithoutControlChars,
    /// A non-null value.
    NonNull,
}

/// One declared config key.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConfigKey {
    pub name: String,
    pub config_type: ConfigType,
    #[serde(default)]
    pub default: DefaultValue,
    #[serde(default)]
    pub validator: Option<Validator>,
    #[serde(default)]
    pub importance: Importance,
    #[serde(default)]
    pub documentation: String,
    #[serde(default)]
    pub group: Option<String>,
    #[serde(default)]
    pub order_in_group: i32,
    #[serde(default)]
    pub width: Width,
    #[serde(default)]
    pub display_name: String,
    #[serde(default)]
    pub dependents: Vec<String>,
    #[serde(default)]
    pub recommended_values: Vec<String>,
}

impl ConfigKey {
    pub fn required(&self) -> bool {
        self.default == DefaultValue::Required
    }

    /// The default as Kafka's `ConfigKeyInfo.default_value` shows it.
    pub fn default_string(&self) -> Option<String> {
        match &self.default {
            DefaultValue::Value(_) if self.config_type == ConfigType::Password => {
                Some("[hidden]".into())
            }
            DefaultValue::Value(v) => Some(v.clone()),
            _ => None,
        }
    }
}

/// The result of validating one key (Kafka's `ConfigValue`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConfigValue {
    pub name: String,
    pub value: Option<String>,
    #[serde(default)]
    pub recommended_values: Vec<String>,
    pub errors: Vec<String>,
    pub visible: bool,
}

impl ConfigValue {
    pub fn new(name: impl Into<String>) -> Self {
        ConfigValue {
            name: name.into(),
            value: None,
            recommended_values: Vec::new(),
            errors: Vec::new(),
            visible: true,
        }
    }
}

/// An ordered set of config keys.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
pub struct ConfigDef {
    keys: Vec<ConfigKey>,
}

impl ConfigDef {
    pub fn new() -> Self {
        Self::default()
    }

    /// Starts the definition of one key; finish it with [`KeyBuilder::add`] or chain more `define` calls.
    pub fn define(
        self,
        name: &str,
        config_type: ConfigType,
        importance: Importance,
        doc: &str,
    ) -> KeyBuilder {
        KeyBuilder {
            def: self,
            key: ConfigKey {
                name: name.to_string(),
                config_type,
                default: DefaultValue::Required,
                validator: None,
                importance,
                documentation: doc.to_string(),
                group: None,
                order_in_group: -1,
                width: Width::None,
                display_name: name.to_string(),
                dependents: Vec::new(),
                recommended_values: Vec::new(),
            },
        }
    }

    /// Adds a fully built key, replacing any earlier key of the same name.
    pub fn add_key(mut self, key: ConfigKey) -> Self {
        self.keys.retain(|k| k.name != key.name);
        self.keys.push(key);
        self
    }

    /// Appends every key of `other` not already defined here.
    pub fn merge(mut self, other: &ConfigDef) -> Self {
        for key in &other.keys {
            if self.key(&key.name).is_none() {
                self.keys.push(key.clone());
            }
        }
        self
    }

    pub fn keys(&self) -> &[ConfigKey] {
        &self.keys
    }

    pub fn key(&self, name: &str) -> Option<&ConfigKey> {
        self.keys.iter().find(|k| k.name == name)
    }

    /// Group names in first-seen order.
    pub fn groups(&self) -> Vec<String> {
        let mut groups: Vec<String> = Vec::new();
        for g in self.keys.iter().filter_map(|k| k.group.as_ref()) {
            if !groups.contains(g) {
                groups.push(g.clone());
            }
        }
        groups
    }

    /// Parses `props` into typed values, failing on the first bad key (Kafka's `ConfigDef.parse`).
    pub fn parse(
        &self,
        props: &BTreeMap<String, String>,
    ) -> Result<ParsedConfig, ConfigParseError> {
        parse::parse(self, props)
    }

    /// Validates every key and reports per-key errors without failing (Kafka's `ConfigDef.validate`).
    pub fn validate(&self, props: &BTreeMap<String, String>) -> Vec<ConfigValue> {
        parse::validate(self, props)
    }
}

/// Fluent definition of one key (the Rust shape of Kafka's `ConfigDef.define(...)` overloads).
pub struct KeyBuilder {
    def: ConfigDef,
    key: ConfigKey,
}

impl KeyBuilder {
    pub fn default_value(mut self, v: impl Into<String>) -> Self {
        self.key.default = DefaultValue::Value(v.into());
        self
    }
    pub fn default_null(mut self) -> Self {
        self.key.default = DefaultValue::Null;
        self
    }
    pub fn validator(mut self, v: Validator) -> Self {
        if let Validator::OneOf { values, .. } = &v {
            self.key.recommended_values = values.clone();
        }
        self.key.validator = Some(v);
        self
    }
    pub fn at_least(self, min: f64) -> Self {
        self.validator(Validator::Range {
            min: Some(min),
            max: None,
        })
    }
    pub fn between(self, min: f64, max: f64) -> Self {
        self.validator(Validator::Range {
            min: Some(min),
            max: Some(max),
        })
    }
    pub fn one_of(self, values: &[&str]) -> Self {
        self.validator(Validator::OneOf {
            values: values.iter().map(|s| s.to_string()).collect(),
            case_insensitive: false,
        })
    }
    pub fn one_of_ignore_case(self, values: &[&str]) -> Self {
        self.validator(Validator::OneOf {
            values: values.iter().map(|s| s.to_string()).collect(),
            case_insensitive: true,
        })
    }
    pub fn group(mut self, group: &str, order: i32) -> Self {
        self.key.group = Some(group.to_string());
        self.key.order_in_group = order;
        self
    }
    pub fn width(mut self, width: Width) -> Self {
        self.key.width = width;
        self
    }
    pub fn display_name(mut self, name: &str) -> Self {
        self.key.display_name = name.to_string();
        self
    }
    pub fn dependents(mut self, deps: &[&str]) -> Self {
        self.key.dependents = deps.iter().map(|s| s.to_string()).collect();
        self
    }
    /// Finishes this key and starts the next one.
    pub fn define(
        self,
        name: &str,
        config_type: ConfigType,
        importance: Importance,
        doc: &str,
    ) -> KeyBuilder {
        self.add().define(name, config_type, importance, doc)
    }
    /// Finishes this key.
    pub fn add(self) -> ConfigDef {
        self.def.add_key(self.key)
    }
}

impl From<KeyBuilder> for ConfigDef {
    fn from(b: KeyBuilder) -> ConfigDef {
        b.add()
    }
}
