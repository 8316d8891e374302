//! Parsing and validating config values against a ConfigDef, with Kafka's error messages.

use std::collections::BTreeMap;

use thiserror::Error;

use super::{ConfigDef, ConfigKey, ConfigType, ConfigValue, DefaultValue, Validator};

/// A parsed config value.
#[derive(Clone, Debug, PartialEq)]
pub enum TypedValue {
    Null,
    Boolean(bool),
    String(String),
    Int(i32),
    Short(i16),
    Long(i64),
    Double(f64),
    List(Vec<String>),
    Class(String),
    Password(String),
}

/// A config that failed to parse, with Kafka's message (e.g. `Invalid value x for configuration y: ...`).
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("{message}")]
pub struct ConfigParseError {
    pub key: String,
    pub message: String,
}

/// Typed values for every key of a ConfigDef, plus the original strings.
#[derive(Clone, Debug, Default)]
pub struct ParsedConfig {
    values: BTreeMap<String, TypedValue>,
    originals: BTreeMap<String, String>,
}

impl ParsedConfig {
    pub fn get(&self, key: &str) -> Option<&TypedValue> {
        self.values.get(key)
    }
    pub fn string(&self, key: &str) -> Option<&str> {
        match self.values.get(key)? {
            TypedValue::String(s) | TypedValue::Class(s) | TypedValue::Password(s) => Some(s),
            _ => None,
        }
    }
    pub fn int(&self, key: &str) -> Option<i32> {
        match self.values.get(key)? {
            TypedValue::Int(v) => Some(*v),
            TypedValue::Short(v) => Some((*v).into()),
            _ => None,
        }
    }
    pub fn long(&self, key: &str) -> Option<i64> {
        match self.values.get(key)? {
            TypedValue::Long(v) => Some(*v),
            TypedValue::Int(v) => Some((*v).into()),
            TypedValue::Short(v) => Some((*v).into()),
            _ => None,
        }
    }
    pub fn double(&self, key: &str) -> Option<f64> {
        match self.values.get(key)? {
            TypedValue::Double(v) => Some(*v),
            _ => None,
        }
    }
    pub fn boolean(&self, key: &str) -> Option<bool> {
        match self.values.get(key)? {
            TypedValue::Boolean(v) => Some(*v),
            _ => None,
        }
    }
    pub fn list(&self, key: &str) -> Vec<String> {
        match self.values.get(key) {
            Some(TypedValue::List(v)) => v.clone(),
            _ => Vec::new(),
        }
    }
    pub fn originals(&self) -> &BTreeMap<String, String> {
        &self.originals
    }
    /// Original entries whose key starts with `prefix`, with the prefix removed (Kafka's `originalsWithPrefix`).
    pub fn originals_with_prefix(&self, prefix: &str) -> BTreeMap<String, String> {
        with_prefix(&self.originals, prefix)
    }
}

/// Entries whose key starts with `prefix`, with the prefix removed.
pub fn with_prefix(map: &BTreeMap<String, String>, prefix: &str) -> BTreeMap<String, String> {
    map.iter()
        .filter_map(|(k, v)| {
            k.strip_prefix(prefix)
                .map(|rest| (rest.to_string(), v.clone()))
        })
        .collect()
}

pub(super) fn parse(
    def: &ConfigDef,
    props: &BTreeMap<String, String>,
) -> Result<ParsedConfig, ConfigParseError> {
    let mut values = BTreeMap::new();
    for key in def.keys() {
        let value =
            parse_key(key, props.get(&key.name).map(String::as_str)).map_err(|message| {
                ConfigParseError {
                    key: key.name.clone(),
                    message,
                }
            })?;
        values.insert(key.name.clone(), value);
    }
    Ok(ParsedConfig {
        values,
        originals: props.clone(),
    })
}

pub(super) fn validate(def: &ConfigDef, props: &BTreeMap<String, String>) -> Vec<ConfigValue> {
    def.keys()
        .iter()
        .map(|key| {
            let mut cv = ConfigValue::new(&key.name);
            cv.recommended_values = key.recommended_values.clone();
            let raw = props.get(&key.name).map(String::as_str);
            match parse_key(key, raw) {
                Ok(v) => cv.value = display(key, &v),
                Err(e) => {
                    cv.value = raw.map(str::to_string);
                    cv.errors.push(e);
                }
            }
            cv
        })
        .collect()
}

/// Kafka's string form of a parsed value: lists comma-joined, passwords hidden.
fn display(key: &ConfigKey, v: &TypedValue) -> Option<String> {
    Some(match v {
        TypedValue::Null => return None,
        TypedValue::Boolean(b) => b.to_string(),
        TypedValue::String(s) | TypedValue::Class(s) => s.clone(),
        TypedValue::Int(i) => i.to_string(),
        TypedValue::Short(i) => i.to_string(),
        TypedValue::Long(i) => i.to_string(),
        TypedValue::Double(d) => format_number(*d),
        TypedValue::List(l) => l.join(","),
        TypedValue::Password(_) if key.config_type == ConfigType::Password => "[hidden]".into(),
        TypedValue::Password(s) => s.clone(),
    })
}

fn parse_key(key: &ConfigKey, raw: Option<&str>) -> Result<TypedValue, String> {
    let value = match (raw, &key.default) {
        (Some(raw), _) => parse_type(key, raw)?,
        (None, DefaultValue::Required) => {
            return Err(format!(
                "Missing required configuration \"{}\" which has no default value.",
                key.name
            ))
        }
        (None, DefaultValue::Null) => TypedValue::Null,
        (None, DefaultValue::Value(d)) => parse_type(key, d)?,
    };
    if let Some(validator) = &key.validator {
        check(validator, &value).map_err(|msg| invalid(key, raw.unwrap_or("null"), &msg))?;
    }
    Ok(value)
}

fn invalid(key: &ConfigKey, raw: &str, msg: &str) -> String {
    let shown = if key.config_type == ConfigType::Password {
        "[hidden]"
    } else {
        raw
    };
    format!(
        "Invalid value {shown} for configuration {}: {msg}",
        key.name
    )
}

fn parse_type(key: &ConfigKey, raw: &str) -> Result<TypedValue, String> {
    let trimmed = raw.trim();
    let not_a_number = || {
        invalid(
            key,
            raw,
            &format!("Not a number of type {}", key.config_type.name()),
        )
    };
    Ok(match key.config_type {
        ConfigType::Boolean => match trimmed.to_ascii_lowercase().as_str() {
            "true" => TypedValue::Boolean(true),
            "false" => TypedValue::Boolean(false),
            _ => {
                return Err(invalid(
                    key,
                    raw,
                    "Expected value to be either true or false",
                ))
            }
        },
        ConfigType::String => TypedValue::String(trimmed.to_string()),
        ConfigType::Class => TypedValue::Class(trimmed.to_string()),
        ConfigType::Password => TypedValue::Password(raw.to_string()),
        ConfigType::Int => TypedValue::Int(trimmed.parse().map_err(|_| not_a_number())?),
        ConfigType::Short => TypedValue::Short(trimmed.parse().map_err(|_| not_a_number())?),
        ConfigType::Long => TypedValue::Long(trimmed.parse().map_err(|_| not_a_number())?),
        ConfigType::Double => TypedValue::Double(trimmed.parse().map_err(|_| not_a_number())?),
        ConfigType::List => TypedValue::List(split_list(trimmed)),
    })
}

/// Splits a comma list the way Kafka does (whitespace around commas ignored; empty string = empty list).
pub fn split_list(text: &str) -> Vec<String> {
    let text = text.trim();
    if text.is_empty() {
        return Vec::new();
    }
    text.split(',').map(|s| s.trim().to_string()).collect()
}

fn format_number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        v.to_string()
    }
}

fn check(validator: &Validator, value: &TypedValue) -> Result<(), String> {
    if matches!(value, TypedValue::Null) {
        return match validator {
            Validator::NonNull => Err("entry must be non null".into()),
            _ => Ok(()),
        };
    }
    match validator {
        Validator::Range { min, max } => {
            let n = match value {
                TypedValue::Int(v) => f64::from(*v),
                TypedValue::Short(v) => f64::from(*v),
                TypedValue::Long(v) => *v as f64,
                TypedValue::Double(v) => *v,
                _ => return Ok(()),
            };
            if let Some(min) = min.filter(|m| n < *m) {
                return Err(format!("Value must be at least {}", format_number(min)));
            }
            if let Some(max) = max.filter(|m| n > *m) {
                return Err(format!("Value must be no more than {}", format_number(max)));
            }
            Ok(())
        }
        Validator::OneOf {
            values,
            case_insensitive,
        } => {
            let s = as_text(value);
            let ok = if *case_insensitive {
                values.iter().any(|v| v.eq_ignore_ascii_case(&s))
            } else {
                values.contains(&s)
            };
            match (ok, case_insensitive) {
                (true, _) => Ok(()),
                (false, false) => Err(format!("String must be one of: {}", values.join(", "))),
                (false, true) => Err(format!(
                    "String must be one of (case insensitive): {}",
                    values.join(", ")
                )),
            }
        }
        Validator::ListOf { values } => match value {
            TypedValue::List(items) => match items.iter().find(|i| !values.contains(i)) {
                Some(bad) => Err(format!(
                    "Invalid value {bad}. String must be one of: {}",
                    values.join(", ")
                )),
                None => Ok(()),
            },
            _ => Ok(()),
        },
        Validator::NonEmptyString => match as_text(value).is_empty() {
            true => Err("String must be non-empty".into()),
            false => Ok(()),
        },
        Validator::NonEmptyStringWithoutControlChars => {
            let s = as_text(value);
            if s.is_empty() {
                Err("String may not be empty".into())
            } else if s.chars().any(char::is_control) {
                Err("String may not contain control sequences".into())
            } else {
                Ok(())
            }
        }
        Validator::NonNull => Ok(()),
    }
}

fn as_text(value: &TypedValue) -> String {
    match value {
        TypedValue::String(s) | TypedValue::Class(s) | TypedValue::Password(s) => s.clone(),
        TypedValue::List(l) => l.join(","),
        other => format!("{other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::super::*;

    fn def() -> ConfigDef {
        ConfigDef::new()
            .define("file", ConfigType::String, Importance::High, "the file")
            .define("tasks.max", ConfigType::Int, Importance::High, "tasks")
            .default_value("1")
            .at_least(1.0)
            .define("mode", ConfigType::String, Importance::Low, "mode")
            .default_value("a")
            .one_of(&["a", "b"])
            .define("topics", ConfigType::List, Importance::High, "topics")
            .default_value("")
            .add()
    }

    fn props(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn parses_typed_values_and_defaults() {
        let parsed = def()
            .parse(&props(&[("file", " /tmp/x "), ("topics", "a, b ,c")]))
            .unwrap();
        assert_eq!(parsed.string("file"), Some("/tmp/x"));
        assert_eq!(parsed.int("tasks.max"), Some(1));
        assert_eq!(parsed.list("topics"), vec!["a", "b", "c"]);
    }

    #[test]
    fn reports_kafka_messages() {
        let err = def().parse(&props(&[])).unwrap_err();
        assert_eq!(
            err.message,
            "Missing required configuration \"file\" which has no default value."
        );
        let err = def()
            .parse(&props(&[("file", "f"), ("tasks.max", "0")]))
            .unwrap_err();
        assert_eq!(
            err.message,
            "Invalid value 0 for configuration tasks.max: Value must be at least 1"
        );
        let err = def()
            .parse(&props(&[("file", "f"), ("tasks.max", "x")]))
            .unwrap_err();
        assert_eq!(
            err.message,
            "Invalid value x for configuration tasks.max: Not a number of type INT"
        );
        let values = def().validate(&props(&[("mode", "c")]));
        let mode = values.iter().find(|v| v.name == "mode").unwrap();
        assert_eq!(
            mode.errors,
            vec!["Invalid value c for configuration mode: String must be one of: a, b"]
        );
        assert_eq!(values.iter().map(|v| v.errors.len()).sum::<usize>(), 2);
    }
}
