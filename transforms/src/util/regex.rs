//! Java-style topic regexes: whole-string `matches()` and `replaceFirst` with Java's `$1`/`${name}` syntax.

use regex::{Captures, Regex};

use crate::util::config::invalid;
use connect_api::ConnectResult;

/// A pattern compiled twice: anchored for `matches()`, unanchored for `find()`/`replaceFirst`.
#[derive(Clone, Debug)]
pub struct JavaRegex {
    pattern: String,
    full: Regex,
    find: Regex,
}

impl JavaRegex {
    /// Compiles `pattern` for config key `key`; a bad pattern is Kafka's `RegexValidator` error.
    pub fn compile(key: &str, pattern: &str) -> ConnectResult<JavaRegex> {
        let err = |e: regex::Error| invalid(key, pattern, &format!("Invalid regex: {e}"));
        Ok(JavaRegex {
            pattern: pattern.to_string(),
            full: Regex::new(&format!(r"\A(?:{pattern})\z")).map_err(err)?,
            find: Regex::new(pattern).map_err(err)?,
        })
    }

    pub fn pattern(&self) -> &str {
        &self.pattern
    }

    /// `pattern.matcher(text).matches()`.
    pub fn matches(&self, text: &str) -> bool {
        self.full.is_match(text)
    }

    pub fn group_count(&self) -> usize {
        self.find.captures_len() - 1
    }

    /// `matcher.replaceFirst(replacement)`.
    pub fn replace_first(&self, text: &str, replacement: &Replacement) -> Result<String, String> {
        match self.find.captures(text) {
            Some(caps) => expand_first(text, &caps, replacement),
            None => Ok(text.to_string()),
        }
    }

    /// `if (matcher.matches()) return matcher.replaceFirst(replacement)`, with a single regex search when the
    /// first match already spans the whole text (the usual case).
    pub fn replace_if_matches(
        &self,
        text: &str,
        replacement: &Replacement,
    ) -> Result<Option<String>, String> {
        let Some(caps) = self.find.captures(text) else {
            return Ok(None);
        };
        let whole = caps.get(0).expect("group 0");
        let spans_all = whole.start() == 0 && whole.end() == text.len();
        if !spans_all && !self.full.is_match(text) {
            return Ok(None);
        }
        expand_first(text, &caps, replacement).map(Some)
    }
}

fn expand_first(
    text: &str,
    caps: &Captures<'_>,
    replacement: &Replacement,
) -> Result<String, String> {
    let whole = caps.get(0).expect("group 0");
    let mut out = String::with_capacity(text.len() + 16);
    out.push_str(&text[..whole.start()]);
    replacement.expand(caps, &mut out)?;
    out.push_str(&text[whole.end()..]);
    Ok(out)
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Part {
    Literal(String),
    Group(usize),
    Named(String),
}

/// A parsed Java replacement string, or the error Java's `appendReplacement` would raise.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Replacement {
    parts: Result<Vec<Part>, String>,
}

impl Replacement {
    /// Parses `text` for `regex`, resolving `$12` greedily against its group count as Java does.
    pub fn parse(text: &str, regex: &JavaRegex) -> Replacement {
        let names: Vec<&str> = regex.find.capture_names().flatten().collect();
        Replacement {
            parts: parse_replacement(text, regex.group_count(), &names),
        }
    }

    fn expand(&self, caps: &Captures<'_>, out: &mut String) -> Result<(), String> {
        for part in self.parts.as_ref().map_err(Clone::clone)? {
            match part {
                Part::Literal(text) => out.push_str(text),
                Part::Group(n) => out.push_str(caps.get(*n).map_or("", |m| m.as_str())),
                Part::Named(name) => out.push_str(caps.name(name).map_or("", |m| m.as_str())),
            }
        }
        Ok(())
    }
}

fn parse_replacement(text: &str, group_count: usize, names: &[&str]) -> Result<Vec<Part>, String> {
    let chars: Vec<char> = text.chars().collect();
    let mut parts = Vec::new();
    let mut literal = String::new();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '\\' => {
                let escaped = chars
                    .get(i + 1)
                    .ok_or("character to be escaped is missing")?;
                literal.push(*escaped);
                i += 2;
            }
            '$' => {
                let next = chars
                    .get(i + 1)
                    .ok_or("Illegal group reference: group index is missing")?;
                if !literal.is_empty() {
                    parts.push(Part::Literal(std::mem::take(&mut literal)));
                }
                if *next == '{' {
                    let close = chars[i + 2..]
                        .iter()
                        .position(|c| *c == '}')
                        .ok_or("named capturing group is missing trailing '}'")?;
                    let name: String = chars[i + 2..i + 2 + close].iter().collect();
                    if name.is_empty() {
                        return Err("named capturing group has 0 length name".into());
                    }
                    if !names.contains(&name.as_str()) {
                        return Err(format!("No group with name {{{name}}}"));
                    }
                    parts.push(Part::Named(name));
                    i += close + 3;
                } else {
                    let first = next.to_digit(10).ok_or("Illegal group reference")? as usize;
                    let mut group = first;
                    i += 2;
                    while let Some(d) = chars.get(i).and_then(|c| c.to_digit(10)) {
                        let candidate = group * 10 + d as usize;
                        if candidate > group_count {
                            break;
                        }
                        group = candidate;
                        i += 1;
                    }
                    if group > group_count {
                        return Err(format!("No group {group}"));
                    }
                    parts.push(Part::Group(group));
                }
            }
            c => {
                literal.push(c);
                i += 1;
            }
        }
    }
    if !literal.is_empty() {
        parts.push(Part::Literal(literal));
    }
    Ok(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn replace(pattern: &str, replacement: &str, text: &str) -> Result<String, String> {
        let re = JavaRegex::compile("regex", pattern).unwrap();
        re.replace_first(text, &Replacement::parse(replacement, &re))
    }

    #[test]
    fn java_replacement_syntax() {
        assert_eq!(
            replace("(.*)", "prefix-$1", "orders").unwrap(),
            "prefix-orders"
        );
        assert_eq!(replace("(a)(b)", "$2$1$12", "ab").unwrap(), "baa2");
        assert_eq!(replace("(?P<x>a)", "${x}!", "a").unwrap(), "a!");
        assert_eq!(replace("a", "\\$1", "a").unwrap(), "$1");
        assert_eq!(replace("(a)|(b)", "[$2]", "a").unwrap(), "[]");
        assert!(replace("a", "$1", "a").unwrap_err().contains("No group 1"));
        assert!(replace("a", "$x", "a")
            .unwrap_err()
            .contains("Illegal group reference"));
        assert!(replace("a", "x\\", "a").is_err());
        assert_eq!(
            replace("a", "${y}", "a").unwrap_err(),
            "No group with name {y}"
        );
    }

    #[test]
    fn matches_is_whole_string() {
        let re = JavaRegex::compile("regex", "a|ab").unwrap();
        assert!(re.matches("ab"));
        assert!(!re.matches("abc"));
        let err = JavaRegex::compile("regex", "(").unwrap_err().to_string();
        assert!(err.starts_with("Invalid value ( for configuration regex: Invalid regex: "));
    }
}
