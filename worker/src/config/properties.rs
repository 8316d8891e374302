//! Java `.properties` parsing with the exact rules of `java.util.Properties.load`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Why a properties text or file could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum PropertiesError {
    /// A `\u` escape not followed by four hex digits (Java throws `IllegalArgumentException`).
    #[error("line {line}: malformed \\uxxxx escape")]
    MalformedEscape { line: usize },
    /// The same, in a file loaded with [`load_properties`].
    #[error("properties file {}: line {line}: malformed \\uxxxx escape", path.display())]
    MalformedEscapeInFile { path: PathBuf, line: usize },
    /// The file could not be read (missing, unreadable, not UTF-8).
    #[error("cannot read properties file {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Parses properties text. Later duplicates of a key replace earlier ones.
pub fn parse_properties(text: &str) -> Result<BTreeMap<String, String>, PropertiesError> {
    let mut map = BTreeMap::new();
    let mut reader = LineReader::new(text);
    while let Some(line) = reader.next_line() {
        let (key, value) = split_key_value(&line.chars);
        let malformed = PropertiesError::MalformedEscape { line: line.number };
        let key = unescape(key).ok_or(malformed)?;
        let malformed = PropertiesError::MalformedEscape { line: line.number };
        let value = unescape(value).ok_or(malformed)?;
        map.insert(key, value);
    }
    Ok(map)
}

/// Reads a UTF-8 properties file (as Kafka's `FileConfigProvider` does) and parses it.
pub fn load_properties(path: &Path) -> Result<BTreeMap<String, String>, PropertiesError> {
    let text = std::fs::read_to_string(path).map_err(|source| PropertiesError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse_properties(&text).map_err(|err| match err {
        PropertiesError::MalformedEscape { line } => PropertiesError::MalformedEscapeInFile {
            path: path.to_path_buf(),
            line,
        },
        other => other,
    })
}

/// Whitespace as `Properties` understands it: space, tab and form feed only.
fn is_blank(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\x0c')
}

fn is_eol(c: char) -> bool {
    c == '\n' || c == '\r'
}

/// One logical line: comments and blank lines removed, continuations joined, escapes still raw.
struct LogicalLine {
    chars: Vec<char>,
    /// 1-based physical line number where the logical line starts.
    number: usize,
}

/// Splits text into logical lines following `Properties.LineReader.readLine`.
struct LineReader {
    chars: Vec<char>,
    /// Physical line number of each char.
    line_numbers: Vec<usize>,
    pos: usize,
}

impl LineReader {
    fn new(text: &str) -> Self {
        let chars: Vec<char> = text.chars().collect();
        let mut line_numbers = Vec::with_capacity(chars.len());
        let mut line = 1;
        for (i, &c) in chars.iter().enumerate() {
            line_numbers.push(line);
            // "\r\n" counts once, at its '\n'.
            if c == '\n' || (c == '\r' && chars.get(i + 1) != Some(&'\n')) {
                line += 1;
            }
        }
        LineReader {
            chars,
            line_numbers,
            pos: 0,
        }
    }

    fn next_line(&mut self) -> Option<LogicalLine> {
        let mut buf: Vec<char> = Vec::new();
        let mut start: Option<usize> = None;
        // Skip leading whitespace of a (continued) line.
        let mut skip_blanks = true;
        // Just joined a continuation: an empty next line ends the logical line.
        let mut continued = false;
        // The buffer ends with an odd number of backslashes.
        let mut backslash = false;

        loop {
            let Some(&c) = self.chars.get(self.pos) else {
                // End of input: a trailing lone backslash is dropped.
                if buf.is_empty() {
                    return None;
                }
                if backslash {
                    buf.pop();
                }
                return Some(Self::finish(buf, start));
            };
            let number = self.line_numbers[self.pos];
            self.pos += 1;

            if skip_blanks {
                if is_blank(c) || (!continued && is_eol(c)) {
                    continue;
                }
                skip_blanks = false;
                continued = false;
            }

            if buf.is_empty() && (c == '#' || c == '!') {
                // Comment: drop the rest of the physical line (a trailing `\` does not continue it).
                while let Some(&next) = self.chars.get(self.pos) {
                    self.pos += 1;
                    if is_eol(next) {
                        break;
                    }
                }
                skip_blanks = true;
                continue;
            }

            if !is_eol(c) {
                start.get_or_insert(number);
                buf.push(c);
                backslash = c == '\\' && !backslash;
                continue;
            }

            // End of a physical line.
            if buf.is_empty() {
                skip_blanks = true;
                continue;
            }
            if self.pos >= self.chars.len() || !backslash {
                if backslash {
                    buf.pop();
                }
                return Some(Self::finish(buf, start));
            }
            // Continuation: drop the backslash, join the next line without its leading whitespace.
            buf.pop();
            skip_blanks = true;
            continued = true;
            backslash = false;
            if c == '\r' && self.chars.get(self.pos) == Some(&'\n') {
                self.pos += 1;
            }
        }
    }

    fn finish(chars: Vec<char>, start: Option<usize>) -> LogicalLine {
        LogicalLine {
            chars,
            number: start.unwrap_or(1),
        }
    }
}

/// Splits a logical line at the first unescaped `=`, `:` or whitespace, as `Properties.load0`.
fn split_key_value(line: &[char]) -> (&[char], &[char]) {
    let mut key_len = 0;
    let mut value_start = line.len();
    let mut has_separator = false;
    let mut backslash = false;
    while key_len < line.len() {
        let c = line[key_len];
        if !backslash && (c == '=' || c == ':') {
            value_start = key_len + 1;
            has_separator = true;
            break;
        }
        if !backslash && is_blank(c) {
            value_start = key_len + 1;
            break;
        }
        backslash = c == '\\' && !backslash;
        key_len += 1;
    }
    // Skip whitespace before the value, and one `=`/`:` if the separator was whitespace.
    while value_start < line.len() {
        let c = line[value_start];
        if !is_blank(c) {
            if !has_separator && (c == '=' || c == ':') {
                has_separator = true;
            } else {
                break;
            }
        }
        value_start += 1;
    }
    (&line[..key_len], &line[value_start..])
}

/// Resolves escapes as `Properties.loadConvert`; `None` for a malformed `\uXXXX`.
/// `\u` escapes are UTF-16 code units, so surrogate pairs combine; a lone surrogate becomes U+FFFD.
fn unescape(chars: &[char]) -> Option<String> {
    let mut units: Vec<u16> = Vec::with_capacity(chars.len());
    let mut encoded = [0u16; 2];
    let mut iter = chars.iter().copied();
    while let Some(c) = iter.next() {
        let c = if c != '\\' {
            c
        } else {
            match iter.next() {
                // A logical line never ends with an unescaped backslash; drop it if it does.
                None => break,
                Some('u') => {
                    let mut unit: u16 = 0;
                    for _ in 0..4 {
                        let digit = iter.next()?.to_digit(16)?;
                        unit = (unit << 4) | digit as u16;
                    }
                    units.push(unit);
                    continue;
                }
                Some('t') => '\t',
                Some('n') => '\n',
                Some('r') => '\r',
                Some('f') => '\x0c',
                Some(other) => other,
            }
        };
        units.extend_from_slice(c.encode_utf16(&mut encoded));
    }
    Some(String::from_utf16_lossy(&units))
}

#[cfg(test)]
mod tests {
    //! Expected values are what `java.util.Properties.load` (JDK 9+) produces for the same text.

    use super::*;

    fn parse(text: &str) -> BTreeMap<String, String> {
        parse_properties(text).expect("valid properties")
    }

    use crate::config::settings_of as map;

    fn malformed_line(text: &str) -> usize {
        match parse_properties(text) {
            Err(PropertiesError::MalformedEscape { line }) => line,
            other => panic!("expected a malformed escape error, got {other:?}"),
        }
    }

    #[test]
    fn empty_and_blank_input() {
        assert!(parse("").is_empty());
        assert!(parse("\n\n \t \x0c \r\n").is_empty());
    }

    #[test]
    fn separators() {
        assert_eq!(parse("a=b"), map(&[("a", "b")]));
        assert_eq!(parse("a:b"), map(&[("a", "b")]));
        assert_eq!(parse("a b"), map(&[("a", "b")]));
        assert_eq!(parse("a\tb"), map(&[("a", "b")]));
        assert_eq!(parse("a\x0cb"), map(&[("a", "b")]));
        assert_eq!(parse("a = b"), map(&[("a", "b")]));
        assert_eq!(parse("a \t:\t b"), map(&[("a", "b")]));
        assert_eq!(parse("   a=b"), map(&[("a", "b")]));
    }

    #[test]
    fn only_the_first_separator_counts() {
        assert_eq!(parse("a==b"), map(&[("a", "=b")]));
        assert_eq!(parse("a = = b"), map(&[("a", "= b")]));
        assert_eq!(parse("a:=b"), map(&[("a", "=b")]));
        assert_eq!(parse("a=:b"), map(&[("a", ":b")]));
        // Whitespace then one `=` or `:` form a single separator; a second one is value.
        assert_eq!(parse("a  :  :b"), map(&[("a", ":b")]));
        assert_eq!(parse("a b = c"), map(&[("a", "b = c")]));
        assert_eq!(
            parse("url=http://h:80/x?y=z"),
            map(&[("url", "http://h:80/x?y=z")])
        );
    }

    #[test]
    fn keys_without_values() {
        assert_eq!(parse("key"), map(&[("key", "")]));
        assert_eq!(parse("key="), map(&[("key", "")]));
        assert_eq!(parse("key   "), map(&[("key", "")]));
        assert_eq!(parse("key = "), map(&[("key", "")]));
    }

    #[test]
    fn empty_keys() {
        assert_eq!(parse("=value"), map(&[("", "value")]));
        assert_eq!(parse(":value"), map(&[("", "value")]));
        assert_eq!(parse("  = value"), map(&[("", "value")]));
    }

    #[test]
    fn value_whitespace() {
        // Trailing whitespace is part of the value; leading whitespace is not unless escaped.
        assert_eq!(parse("a=b  "), map(&[("a", "b  ")]));
        assert_eq!(parse("a=\\ b"), map(&[("a", " b")]));
        assert_eq!(parse("a=\\u0020b"), map(&[("a", " b")]));
        assert_eq!(parse("a=x y\tz"), map(&[("a", "x y\tz")]));
        // Only space, tab and form feed are whitespace: U+3000 is part of the key.
        assert_eq!(parse("a\u{3000}b"), map(&[("a\u{3000}b", "")]));
    }

    #[test]
    fn comments() {
        let text = "# hash\n! bang\n   # indented\n\t! tab\na=b # not a comment\n#x=y\n";
        assert_eq!(parse(text), map(&[("a", "b # not a comment")]));
        assert_eq!(parse("a=b\n# no newline at end"), map(&[("a", "b")]));
        assert_eq!(parse("a=#b"), map(&[("a", "#b")]));
    }

    #[test]
    fn comment_lines_do_not_continue() {
        assert_eq!(parse("# comment \\\na=b"), map(&[("a", "b")]));
        assert_eq!(parse("! comment \\\\\\\na=b"), map(&[("a", "b")]));
    }

    #[test]
    fn continuation_lines() {
        assert_eq!(parse("a=b\\\n   c"), map(&[("a", "bc")]));
        assert_eq!(
            parse("a=one \\\n\t two \\\n three"),
            map(&[("a", "one two three")])
        );
        assert_eq!(parse("ke\\\n  y=v"), map(&[("key", "v")]));
        assert_eq!(parse("a\\\n  =b"), map(&[("a", "b")]));
        assert_eq!(
            parse("fruits=apple, \\\n    banana"),
            map(&[("fruits", "apple, banana")])
        );
    }

    #[test]
    fn continued_line_starting_with_hash_is_not_a_comment() {
        assert_eq!(parse("a=b\\\n#c"), map(&[("a", "b#c")]));
        assert_eq!(parse("a=b\\\n  !c"), map(&[("a", "b!c")]));
    }

    #[test]
    fn empty_line_ends_a_continuation() {
        assert_eq!(parse("a=b\\\n\nc=d"), map(&[("a", "b"), ("c", "d")]));
        assert_eq!(parse("a=b\\\n   \nc=d"), map(&[("a", "b"), ("c", "d")]));
    }

    #[test]
    fn backslash_parity_at_line_end() {
        // Two backslashes: an escaped backslash, no continuation.
        assert_eq!(parse("a=b\\\\\nc=d"), map(&[("a", "b\\"), ("c", "d")]));
        // Three: escaped backslash plus continuation.
        assert_eq!(parse("a=b\\\\\\\n  c"), map(&[("a", "b\\c")]));
        // Four: two escaped backslashes.
        assert_eq!(parse("a=\\\\\\\\\nb"), map(&[("a", "\\\\"), ("b", "")]));
    }

    #[test]
    fn trailing_backslash_at_end_of_input_is_dropped() {
        assert_eq!(parse("a=b\\"), map(&[("a", "b")]));
        assert_eq!(parse("a=b\\\n"), map(&[("a", "b")]));
        assert_eq!(parse("a=b\\\\\\"), map(&[("a", "b\\")]));
        // A lone backslash at the end of input is an empty logical line: key "" with value "".
        assert_eq!(parse("a=b\n\\"), map(&[("a", "b"), ("", "")]));
    }

    #[test]
    fn line_terminators() {
        assert_eq!(
            parse("a=1\r\nb=2\rc=3\nd=4"),
            map(&[("a", "1"), ("b", "2"), ("c", "3"), ("d", "4")])
        );
        assert_eq!(
            parse("a=1\\\r\n  2\r\nb=3"),
            map(&[("a", "12"), ("b", "3")])
        );
        assert_eq!(parse("a=1\\\r  2\rb=3"), map(&[("a", "12"), ("b", "3")]));
        assert_eq!(parse("# c\r\na=1\r\n"), map(&[("a", "1")]));
    }

    #[test]
    fn character_escapes() {
        assert_eq!(parse("a=\\t\\n\\r\\f"), map(&[("a", "\t\n\r\x0c")]));
        assert_eq!(parse("a=\\\\"), map(&[("a", "\\")]));
        assert_eq!(parse("a=C:\\\\dir\\\\file"), map(&[("a", "C:\\dir\\file")]));
        // Unknown escapes drop the backslash; there is no `\b` escape.
        assert_eq!(parse("a=\\q\\b\\\"\\'"), map(&[("a", "qb\"'")]));
        // A Windows path written without doubling loses its backslashes, and `\f` is a form feed.
        assert_eq!(parse("a=C:\\dir\\file"), map(&[("a", "C:dir\x0cile")]));
    }

    #[test]
    fn escaped_separators_and_comment_chars_in_keys() {
        assert_eq!(parse("a\\=b=c"), map(&[("a=b", "c")]));
        assert_eq!(parse("a\\:b:c"), map(&[("a:b", "c")]));
        assert_eq!(parse("a\\ b c"), map(&[("a b", "c")]));
        assert_eq!(parse("\\#k=v"), map(&[("#k", "v")]));
        assert_eq!(parse("\\!k=v"), map(&[("!k", "v")]));
        // An escaped backslash does not escape the following separator.
        assert_eq!(parse("a\\\\=b"), map(&[("a\\", "b")]));
        assert_eq!(parse("a=\\=\\:\\#\\!"), map(&[("a", "=:#!")]));
    }

    #[test]
    fn unicode_escapes() {
        assert_eq!(parse("a=\\u0041\\u00e9\\u00E9"), map(&[("a", "Aéé")]));
        assert_eq!(parse("\\u006b\\u0065y=v"), map(&[("key", "v")]));
        // An escaped separator char is part of the key, not a separator.
        assert_eq!(parse("a\\u003db=c"), map(&[("a=b", "c")]));
        // Surrogate pairs written as two escapes form one character.
        assert_eq!(parse("a=\\uD83D\\uDE00"), map(&[("a", "😀")]));
        // Non-ASCII text is taken as is.
        assert_eq!(parse("ключ=значение 😀"), map(&[("ключ", "значение 😀")]));
        // Java keeps a lone surrogate; a Rust string cannot, so it becomes U+FFFD.
        assert_eq!(parse("a=\\uD800x"), map(&[("a", "\u{FFFD}x")]));
    }

    #[test]
    fn malformed_unicode_escapes_are_errors() {
        assert_eq!(malformed_line("a=\\u00G1"), 1);
        assert_eq!(malformed_line("a=\\u12"), 1);
        assert_eq!(malformed_line("a=\\u"), 1);
        assert_eq!(malformed_line("\\u12=x"), 1);
        assert_eq!(malformed_line("a=1\nb=2\nc=\\u+041"), 3);
        // The error reports the line where the logical line starts.
        assert_eq!(
            malformed_line("# c\n\r\nx=1\\\n  y\r\nbad=\\\n  \\uzzzz"),
            5
        );
    }

    #[test]
    fn escapes_are_checked_per_key_and_value() {
        // `\u00` ends the key at the separator, so it is short even though `=41` follows.
        assert_eq!(malformed_line("\\u00=41"), 1);
    }

    #[test]
    fn later_duplicates_win() {
        assert_eq!(parse("a=1\nb=2\na=3"), map(&[("a", "3"), ("b", "2")]));
    }

    #[test]
    fn byte_order_mark_is_part_of_the_first_key() {
        // Properties.load does not strip a BOM.
        assert_eq!(parse("\u{FEFF}a=b"), map(&[("\u{FEFF}a", "b")]));
    }

    #[test]
    fn realistic_file() {
        let text = "\
# Kafka Connect worker
bootstrap.servers=localhost:9092
key.converter = org.apache.kafka.connect.json.JsonConverter
plugin.path=/usr/share/java,\\
            /opt/connectors
sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required \\
    username=\"alice\" password=\"s3cr=t\";
empty.value=
";
        assert_eq!(
            parse(text),
            map(&[
                ("bootstrap.servers", "localhost:9092"),
                ("key.converter", "org.apache.kafka.connect.json.JsonConverter"),
                ("plugin.path", "/usr/share/java,/opt/connectors"),
                (
                    "sasl.jaas.config",
                    "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"alice\" password=\"s3cr=t\";"
                ),
                ("empty.value", ""),
            ])
        );
    }

    fn temp_file(name: &str, content: &[u8]) -> PathBuf {
        let path = std::env::temp_dir().join(format!(
            "properties-test-{}-{name}.properties",
            std::process::id()
        ));
        std::fs::write(&path, content).expect("write temp file");
        path
    }

    #[test]
    fn load_properties_reads_a_file() {
        let path = temp_file("ok", "a=1\nb=\\u00e9\n".as_bytes());
        let loaded = load_properties(&path);
        std::fs::remove_file(&path).ok();
        assert_eq!(loaded.expect("loads"), map(&[("a", "1"), ("b", "é")]));
    }

    #[test]
    fn load_properties_errors_name_the_file() {
        let missing = std::env::temp_dir().join("properties-test-does-not-exist.properties");
        let err = load_properties(&missing).expect_err("missing file");
        assert!(matches!(err, PropertiesError::Read { .. }));
        assert!(err
            .to_string()
            .contains("properties-test-does-not-exist.properties"));

        let path = temp_file("malformed", b"a=1\nb=\\u00\n");
        let err = load_properties(&path).expect_err("malformed escape");
        std::fs::remove_file(&path).ok();
        match &err {
            PropertiesError::MalformedEscapeInFile { path: p, line } => {
                assert_eq!(p, &path);
                assert_eq!(*line, 2);
            }
            other => panic!("unexpected error {other:?}"),
        }
        assert!(err.to_string().contains(&path.display().to_string()));
        assert!(err.to_string().contains("line 2"));

        let path = temp_file("latin1", b"a=caf\xe9\n");
        let err = load_properties(&path).expect_err("not UTF-8");
        std::fs::remove_file(&path).ok();
        assert!(matches!(err, PropertiesError::Read { .. }));
    }
}
