//! Field paths (KIP-821): `field.syntax.version` V1 (one name) or V2 (dotted nested path with backtick quoting).

use connect_api::config::{ConfigDef, ConfigType, Importance, ParsedConfig};
use connect_api::data::{Field, Schema, Struct, Value};
use connect_api::{ConnectError, ConnectResult};

use super::map;
use super::requirements::{require_map_or_null, require_struct_or_null};
use super::schema::named_field_value;

pub const FIELD_SYNTAX_VERSION_CONFIG: &str = "field.syntax.version";
const FIELD_SYNTAX_VERSION_DOC: &str = "Defines the version of the syntax to access fields. If set to `V1`, then \
     the field paths are limited to access the elements at the root level of the struct or map. If set to `V2`, \
     the syntax will support accessing nested elements. To access nested elements, dotted notation is used. If dots \
     are already included in the field name, then backtick pairs can be used to wrap field names containing dots. \
     E.g. to access the subfield `baz` from a field named \"foo.bar\" in a struct/map the following format can be \
     used to access its elements: \"`foo.bar`.baz\".";

/// The field path syntax (Kafka's `FieldSyntaxVersion`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum FieldSyntaxVersion {
    #[default]
    V1,
    V2,
}

impl FieldSyntaxVersion {
    /// Adds `field.syntax.version` (default `V1`, case-insensitive `V1`/`V2`) to a ConfigDef.
    pub fn define(def: ConfigDef) -> ConfigDef {
        def.define(
            FIELD_SYNTAX_VERSION_CONFIG,
            ConfigType::String,
            Importance::High,
            FIELD_SYNTAX_VERSION_DOC,
        )
        .default_value("V1")
        .one_of_ignore_case(&["V1", "V2"])
        .display_name("Field syntax version")
        .add()
    }

    pub fn from_config(parsed: &ParsedConfig) -> Self {
        match parsed.string(FIELD_SYNTAX_VERSION_CONFIG) {
            Some(v) if v.eq_ignore_ascii_case("V2") => FieldSyntaxVersion::V2,
            _ => FieldSyntaxVersion::V1,
        }
    }
}

/// A path of one or more field names into nested Structs or Maps (Kafka's `SingleFieldPath`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SingleFieldPath {
    steps: Vec<String>,
}

impl SingleFieldPath {
    pub fn new(path: &str, version: FieldSyntaxVersion) -> ConnectResult<Self> {
        let steps = match version {
            FieldSyntaxVersion::V1 => vec![path.to_string()],
            FieldSyntaxVersion::V2 => parse_v2(path)?,
        };
        Ok(SingleFieldPath { steps })
    }

    pub fn steps(&self) -> &[String] {
        &self.steps
    }

    fn split(&self) -> Option<(&[String], &str)> {
        let (last, parents) = self.steps.split_last()?;
        Some((parents, last))
    }

    /// The field at this path in `schema`, or `None` if any step is missing.
    pub fn field_from<'a>(&self, schema: &'a Schema) -> Option<&'a Field> {
        let (parents, last) = self.split()?;
        let mut current = schema;
        for step in parents {
            current = &current.field(step)?.schema;
        }
        current.field(last)
    }

    /// The value at this path in a Struct (null when a step is missing or a parent is null).
    pub fn value_from_struct(
        &self,
        s: &Struct,
        replace_null_with_default: bool,
    ) -> ConnectResult<Value> {
        let Some((parents, last)) = self.split() else {
            return Ok(Value::Null);
        };
        let mut current = s;
        for step in parents {
            let Some(sub) = named_field_value(current, step, replace_null_with_default) else {
                return Ok(Value::Null);
            };
            match require_struct_or_null(sub, "nested field access")? {
                Some(next) => current = next,
                None => return Ok(Value::Null),
            }
        }
        Ok(named_field_value(current, last, replace_null_with_default)
            .cloned()
            .unwrap_or(Value::Null))
    }

    /// The value at this path in a schemaless Map (null when a step is missing).
    pub fn value_from_map(&self, entries: &[(Value, Value)]) -> ConnectResult<Value> {
        let Some((parents, last)) = self.split() else {
            return Ok(Value::Null);
        };
        let mut current = entries;
        for step in parents {
            match require_map_or_null(
                map::get(current, step).unwrap_or(&Value::Null),
                "nested field access",
            )? {
                Some(next) => current = next,
                None => return Ok(Value::Null),
            }
        }
        Ok(map::get(current, last).cloned().unwrap_or(Value::Null))
    }
}

fn incomplete_backtick(path: &str, at: usize) -> ConnectError {
    ConnectError::config(format!(
        "Incomplete backtick pair in path: [{path}], consider adding a backslash before backtick at position {at} \
         to escape it"
    ))
}

/// Splits a V2 path into steps. Positions are byte offsets; every delimiter is ASCII, so slicing stays on UTF-8
/// boundaries, and reported positions count characters as Java does.
fn parse_v2(path: &str) -> ConnectResult<Vec<String>> {
    const BACKTICK: u8 = b'`';
    const DOT: u8 = b'.';
    const BACKSLASH: u8 = b'\\';
    let bytes = path.as_bytes();
    let char_pos = |byte: usize| path[..byte].chars().count();
    let find = |byte: u8, from: usize| {
        bytes[from..]
            .iter()
            .position(|b| *b == byte)
            .map(|p| p + from)
    };
    let mut steps = Vec::new();
    let mut idx = 0;
    while idx < bytes.len() {
        if bytes[idx] != BACKTICK {
            let start = idx;
            match find(DOT, idx) {
                Some(dot) => {
                    steps.push(path[start..dot].to_string());
                    idx = dot + 1;
                }
                None => {
                    steps.push(path[start..].to_string());
                    idx = bytes.len();
                }
            }
            continue;
        }
        let opening = idx;
        idx += 1;
        let mut field = String::new();
        let mut start = idx;
        loop {
            let Some(tick) = find(BACKTICK, idx) else {
                return Err(incomplete_backtick(path, char_pos(opening)));
            };
            idx = tick;
            let escaped = bytes[idx - 1] == BACKSLASH;
            if idx >= bytes.len() - 1 {
                if escaped {
                    return Err(incomplete_backtick(path, char_pos(opening)));
                }
                field.push_str(&path[start..idx]);
                steps.push(field);
                idx += 1;
                break;
            }
            if bytes[idx + 1] != DOT {
                idx += 1;
                continue;
            }
            if escaped {
                field.push_str(&path[start..idx - 1]);
                field.push('`');
                idx += 1;
                start = idx;
                continue;
            }
            field.push_str(&path[start..idx]);
            steps.push(field);
            idx += 2;
            break;
        }
    }
    if path.ends_with('.') {
        steps.push(String::new());
    }
    Ok(steps)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v2(path: &str) -> Vec<String> {
        SingleFieldPath::new(path, FieldSyntaxVersion::V2)
            .unwrap()
            .steps
    }

    #[test]
    fn v1_is_a_single_step() {
        for p in ["foo.bar.baz", "foo`bar`", "foo.`bar.baz`"] {
            assert_eq!(
                SingleFieldPath::new(p, FieldSyntaxVersion::V1)
                    .unwrap()
                    .steps,
                vec![p]
            );
        }
    }

    #[test]
    fn v2_steps_match_kafka() {
        // Cases from Kafka's FieldPathNotationTest.
        assert_eq!(v2(".."), vec!["", "", ""]);
        assert_eq!(v2("foo.."), vec!["foo", "", ""]);
        assert_eq!(v2(".bar."), vec!["", "bar", ""]);
        assert_eq!(v2("..baz"), vec!["", "", "baz"]);
        assert!(v2("").is_empty());
        assert_eq!(v2("foobarbaz"), vec!["foobarbaz"]);
        assert_eq!(v2("foo.bar.baz"), vec!["foo", "bar", "baz"]);
        assert_eq!(v2("foo`bar`baz"), vec!["foo`bar`baz"]);
        assert_eq!(v2("`foo.bar.baz`"), vec!["foo.bar.baz"]);
        assert_eq!(v2("foo.`bar.baz`"), vec!["foo", "bar.baz"]);
        assert_eq!(v2("`foo.bar`.baz"), vec!["foo.bar", "baz"]);
        assert_eq!(v2("foo.`bar`.baz"), vec!["foo", "bar", "baz"]);
        assert_eq!(v2("foo.``bar.baz`"), vec!["foo", "`bar.baz"]);
        assert_eq!(v2("foo.`bar.baz``"), vec!["foo", "bar.baz`"]);
        assert_eq!(v2("foo.`ba`r.baz`"), vec!["foo", "ba`r.baz"]);
        assert_eq!(v2("foo.ba`r.baz"), vec!["foo", "ba`r", "baz"]);
        assert_eq!(v2("foo.``bar``.baz"), vec!["foo", "`bar`", "baz"]);
        assert_eq!(v2("``foo.bar.baz``"), vec!["`foo.bar.baz`"]);
        assert_eq!(v2("foo.`bar\\`.baz`"), vec!["foo", "bar`.baz"]);
        assert_eq!(v2("foo.`bar.`baz`"), vec!["foo", "bar.`baz"]);
        assert_eq!(v2("foo.`bar\\`.`baz`"), vec!["foo", "bar`.`baz"]);
        assert_eq!(v2("foo.`bar\\\\`.\\`baz`"), vec!["foo", "bar\\`.\\`baz"]);
    }

    #[test]
    fn v2_incomplete_backticks_fail() {
        for (path, pos) in [
            ("`foo.bar.baz", 0),
            ("foo.`bar.baz", 4),
            ("foo.bar.`baz", 8),
            ("foo.bar.`baz\\`", 8),
        ] {
            let err = SingleFieldPath::new(path, FieldSyntaxVersion::V2).unwrap_err();
            assert_eq!(
                err.to_string(),
                format!(
                    "Incomplete backtick pair in path: [{path}], consider adding a backslash before backtick at \
                     position {pos} to escape it"
                )
            );
        }
    }
}
