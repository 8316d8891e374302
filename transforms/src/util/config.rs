//! SMT config parsing (Kafka's `SimpleConfig`), shared keys, and Kafka's messages for checks ConfigDef lacks.

use connect_api::config::{ConfigDef, ConfigType, Importance, ParsedConfig};
use connect_api::connector::Config;
use connect_api::{ConnectError, ConnectResult};

/// `replace.null.with.default` (KIP-1040, Kafka 3.9).
pub const REPLACE_NULL_WITH_DEFAULT: &str = "replace.null.with.default";
const REPLACE_NULL_WITH_DEFAULT_DOC: &str =
    "Whether to replace fields that have a default value and that are null \
     to the default value. When set to true, the default value is used, otherwise null is used.";

/// Parses `props` against `def`, failing with Kafka's message for the first bad key.
pub fn parse(def: &ConfigDef, props: &Config) -> ConnectResult<ParsedConfig> {
    def.parse(props)
        .map_err(|e| ConnectError::config(e.message))
}

/// Adds `replace.null.with.default` (boolean, default true) to a ConfigDef.
pub fn with_replace_null_with_default(def: ConfigDef) -> ConfigDef {
    def.define(
        REPLACE_NULL_WITH_DEFAULT,
        ConfigType::Boolean,
        Importance::Medium,
        REPLACE_NULL_WITH_DEFAULT_DOC,
    )
    .default_value("true")
    .add()
}

/// The parsed `replace.null.with.default` (true when absent from the ConfigDef).
pub fn replace_null_with_default(parsed: &ParsedConfig) -> bool {
    parsed.boolean(REPLACE_NULL_WITH_DEFAULT).unwrap_or(true)
}

/// Kafka's `ConfigException(name, value, message)` text.
pub fn invalid(key: &str, value: &str, message: &str) -> ConnectError {
    ConnectError::config(format!(
        "Invalid value {value} for configuration {key}: {message}"
    ))
}

/// Java's `List.toString()`: `[a, b]`.
pub fn java_list(items: &[String]) -> String {
    format!("[{}]", items.join(", "))
}

/// A required, non-empty list (Kafka's `NonEmptyListValidator`: `Invalid value [] for configuration x: Empty list`).
pub fn non_empty_list(parsed: &ParsedConfig, key: &str) -> ConnectResult<Vec<String>> {
    let list = parsed.list(key);
    if list.is_empty() {
        return Err(invalid(key, &java_list(&list), "Empty list"));
    }
    Ok(list)
}

/// An optional string key: `None` when unset or explicitly null.
pub fn optional_string(parsed: &ParsedConfig, key: &str) -> Option<String> {
    parsed.string(key).map(str::to_string)
}

/// Java's `String.split(regex)` for a literal single-character separator: trailing empty strings are dropped.
pub fn java_split(text: &str, separator: char) -> Vec<&str> {
    let mut parts: Vec<&str> = text.split(separator).collect();
    while parts.len() > 1 && parts.last().is_some_and(|p| p.is_empty()) {
        parts.pop();
    }
    if parts.len() == 1 && parts[0].is_empty() && !text.is_empty() {
        parts.clear();
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_split_drops_trailing_empties() {
        assert_eq!(java_split("a:b", ':'), vec!["a", "b"]);
        assert_eq!(java_split("a:", ':'), vec!["a"]);
        assert_eq!(java_split("a::", ':'), vec!["a"]);
        assert_eq!(java_split(":a", ':'), vec!["", "a"]);
        assert_eq!(java_split("", ':'), vec![""]);
        assert_eq!(java_split(":", ':'), Vec::<&str>::new());
    }

    #[test]
    fn non_empty_list_message() {
        let def = ConfigDef::new()
            .define("fields", ConfigType::List, Importance::High, "")
            .add();
        let props = [("fields".to_string(), String::new())]
            .into_iter()
            .collect();
        let parsed = parse(&def, &props).unwrap();
        assert_eq!(
            non_empty_list(&parsed, "fields").unwrap_err().to_string(),
            "Invalid value [] for configuration fields: Empty list"
        );
    }
}
