//! A strict JSON reader over bytes (RFC 8259, as Jackson's defaults accept it): tokens, strings without copies when
//! unescaped, numbers as their text, skipping values, and a small tree with source spans for schemas.

use std::borrow::Cow;

use connect_api::data::json_text::plain_prefix_len;

/// Jackson's default maximum nesting depth (`StreamReadConstraints`).
const MAX_DEPTH: usize = 1000;

/// A failure reading JSON: malformed text, or well-formed JSON that does not fit the Connect data model.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum JsonError {
    Syntax(String),
    Data(String),
}

pub(crate) type JsonResult<T> = Result<T, JsonError>;

/// A JSON number as written: its text and whether it is an integer token (no fraction, no exponent).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Number<'a> {
    pub text: &'a str,
    pub integral: bool,
}

/// A parsed JSON value that remembers where each object member's value sits in the source.
#[derive(Clone, Debug)]
pub(crate) enum Tree<'a> {
    Null,
    Bool(bool),
    Number(Number<'a>),
    String(Cow<'a, str>),
    Array(Vec<Tree<'a>>),
    Object(Vec<Member<'a>>),
}

#[derive(Clone, Debug)]
pub(crate) struct Member<'a> {
    pub key: Cow<'a, str>,
    pub value: Tree<'a>,
    /// Byte range of the value in the source.
    pub span: (usize, usize),
}

impl<'a> Tree<'a> {
    /// The last member with this key (Jackson's `ObjectNode` keeps the last of duplicate keys).
    pub fn get(&self, key: &str) -> Option<&Member<'a>> {
        match self {
            Tree::Object(members) => members.iter().rev().find(|m| m.key == key),
            _ => None,
        }
    }
}

pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
    depth: usize,
}

impl<'a> Reader<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        Reader {
            bytes,
            pos: 0,
            depth: 0,
        }
    }

    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    pub fn position(&self) -> usize {
        self.pos
    }

    pub fn set_position(&mut self, pos: usize) {
        self.pos = pos;
    }

    pub fn skip_ws(&mut self) {
        while let Some(&b) = self.bytes.get(self.pos) {
            if matches!(b, b' ' | b'\n' | b'\r' | b'\t') {
                self.pos += 1;
            } else {
                break;
            }
        }
    }

    /// The next non-whitespace byte, not consumed.
    pub fn peek(&mut self) -> Option<u8> {
        self.skip_ws();
        self.bytes.get(self.pos).copied()
    }

    pub fn at_end(&mut self) -> bool {
        self.peek().is_none()
    }

    /// Jackson's `JsonNodeType` name of the value that starts here, for error messages.
    pub fn node_type(&mut self) -> &'static str {
        match self.peek() {
            Some(b'{') => "OBJECT",
            Some(b'[') => "ARRAY",
            Some(b'"') => "STRING",
            Some(b't' | b'f') => "BOOLEAN",
            Some(b'n') => "NULL",
            Some(b'-' | b'0'..=b'9') => "NUMBER",
            Some(_) => "UNKNOWN",
            None => "MISSING",
        }
    }

    /// A syntax error at the current position, with Jackson-style line and column.
    pub fn syntax(&self, message: impl AsRef<str>) -> JsonError {
        let upto = &self.bytes[..self.pos.min(self.bytes.len())];
        let line = upto.iter().filter(|&&b| b == b'\n').count() + 1;
        let column = upto.len() - upto.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1) + 1;
        JsonError::Syntax(format!(
            "{} at [line: {line}, column: {column}]",
            message.as_ref()
        ))
    }

    fn unexpected(&self, expected: &str) -> JsonError {
        match self.bytes.get(self.pos) {
            None => self.syntax(format!("Unexpected end-of-input: expected {expected}")),
            Some(&b) => {
                let shown = if b.is_ascii_graphic() || b == b' ' {
                    (b as char).to_string()
                } else {
                    format!("\\u{b:04x}")
                };
                self.syntax(format!(
                    "Unexpected character ('{shown}' (code {b})): expected {expected}"
                ))
            }
        }
    }

    /// Consumes `byte` (after whitespace) or fails naming what was expected.
    pub fn expect(&mut self, byte: u8, expected: &str) -> JsonResult<()> {
        if self.peek() == Some(byte) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.unexpected(expected))
        }
    }

    fn enter(&mut self) -> JsonResult<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.syntax(format!(
                "Document nesting depth exceeds the maximum allowed ({MAX_DEPTH})"
            )));
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    /// Consumes `{`; then call [`Reader::next_key`] until it returns None.
    pub fn begin_object(&mut self) -> JsonResult<()> {
        self.expect(b'{', "'{'")?;
        self.enter()
    }

    /// The next member's key (its `:` consumed), or None at the closing `}`.
    pub fn next_key(&mut self, first: bool) -> JsonResult<Option<Cow<'a, str>>> {
        match self.peek() {
            Some(b'}') if first => {
                self.pos += 1;
                self.leave();
                return Ok(None);
            }
            _ if first => {}
            Some(b',') => self.pos += 1,
            Some(b'}') => {
                self.pos += 1;
                self.leave();
                return Ok(None);
            }
            _ => return Err(self.unexpected("comma or close marker for Object")),
        }
        if self.peek() != Some(b'"') {
            return Err(self.unexpected("double-quote to start field name"));
        }
        let key = self.string()?;
        self.expect(b':', "a colon to separate field name and value")?;
        Ok(Some(key))
    }

    /// Consumes `[`; then call [`Reader::next_element`] until it returns false.
    pub fn begin_array(&mut self) -> JsonResult<()> {
        self.expect(b'[', "'['")?;
        self.enter()
    }

    /// Whether another element follows (its separator consumed), false at the closing `]`.
    pub fn next_element(&mut self, first: bool) -> JsonResult<bool> {
        match self.peek() {
            Some(b']') => {
                self.pos += 1;
                self.leave();
                Ok(false)
            }
            _ if first => Ok(true),
            Some(b',') => {
                self.pos += 1;
                if self.peek() == Some(b']') {
                    return Err(self.unexpected("a value"));
                }
                Ok(true)
            }
            _ => Err(self.unexpected("comma or close marker for Array")),
        }
    }

    /// Consumes `null` if it comes next.
    pub fn null(&mut self) -> JsonResult<bool> {
        if self.peek() == Some(b'n') {
            self.literal(b"null")?;
            return Ok(true);
        }
        Ok(false)
    }

    /// `true` or `false`, or None (nothing consumed) when the next value is not a boolean.
    pub fn boolean(&mut self) -> JsonResult<Option<bool>> {
        match self.peek() {
            Some(b't') => self.literal(b"true").map(|_| Some(true)),
            Some(b'f') => self.literal(b"false").map(|_| Some(false)),
            _ => Ok(None),
        }
    }

    fn literal(&mut self, word: &[u8]) -> JsonResult<()> {
        let end = self.pos + word.len();
        let ok = self.bytes.get(self.pos..end) == Some(word)
            && !self
                .bytes
                .get(end)
                .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_');
        if !ok {
            let token_end = self.bytes[self.pos..]
                .iter()
                .position(|b| !(b.is_ascii_alphanumeric() || *b == b'_'))
                .map_or(self.bytes.len(), |i| self.pos + i)
                .max(self.pos + 1)
                .min(self.bytes.len());
            let token = String::from_utf8_lossy(&self.bytes[self.pos..token_end]).into_owned();
            return Err(self.syntax(format!(
                "Unrecognized token '{token}': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')"
            )));
        }
        self.pos = end;
        Ok(())
    }

    /// A number token, validated against JSON's grammar.
    pub fn number(&mut self) -> JsonResult<Number<'a>> {
        self.skip_ws();
        let start = self.pos;
        let b = self.bytes;
        let mut i = self.pos;
        if b.get(i) == Some(&b'-') {
            i += 1;
        }
        let int_start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        let int_len = i - int_start;
        if int_len == 0 {
            self.pos = i;
            return Err(
                self.unexpected("digit (0-9) to follow minus sign, for valid numeric value")
            );
        }
        if int_len > 1 && b[int_start] == b'0' {
            self.pos = int_start;
            return Err(self.syntax("Invalid numeric value: Leading zeroes not allowed"));
        }
        let mut integral = true;
        if b.get(i) == Some(&b'.') {
            integral = false;
            i += 1;
            let frac_start = i;
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            if i == frac_start {
                self.pos = i;
                return Err(self.unexpected("Decimal point not followed by a digit"));
            }
        }
        if matches!(b.get(i), Some(b'e' | b'E')) {
            integral = false;
            i += 1;
            if matches!(b.get(i), Some(b'+' | b'-')) {
                i += 1;
            }
            let exp_start = i;
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            if i == exp_start {
                self.pos = i;
                return Err(self.unexpected("Exponent indicator not followed by a digit"));
            }
        }
        self.pos = i;
        // Only ASCII digits and signs were accepted above.
        let text = std::str::from_utf8(&b[start..i]).unwrap_or("0");
        Ok(Number { text, integral })
    }

    /// A string, borrowed when it holds no escapes.
    pub fn string(&mut self) -> JsonResult<Cow<'a, str>> {
        self.expect(b'"', "'\"'")?;
        let start = self.pos;
        let b = self.bytes;
        let i = start + plain_prefix_len(&b[start..]);
        match b.get(i) {
            None => {
                self.pos = i;
                return Err(self.syntax(
                    "Unexpected end-of-input: was expecting closing quote for a string value",
                ));
            }
            Some(b'"') => {
                self.pos = i + 1;
                return self.utf8(start, i).map(Cow::Borrowed);
            }
            Some(&c) if c < 0x20 => {
                self.pos = i;
                return Err(self.control_char(c));
            }
            // A backslash: the string needs unescaping.
            Some(_) => {}
        }
        let mut owned = String::with_capacity(i - start + 16);
        owned.push_str(self.utf8(start, i)?);
        self.pos = i;
        loop {
            match b.get(self.pos) {
                None => {
                    return Err(self.syntax(
                        "Unexpected end-of-input: was expecting closing quote for a string value",
                    ))
                }
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(Cow::Owned(owned));
                }
                Some(b'\\') => {
                    self.pos += 1;
                    self.escape(&mut owned)?;
                }
                Some(&c) if c < 0x20 => return Err(self.control_char(c)),
                Some(_) => {
                    let run_start = self.pos;
                    self.pos += plain_prefix_len(&b[run_start..]);
                    owned.push_str(self.utf8(run_start, self.pos)?);
                }
            }
        }
    }

    fn control_char(&self, c: u8) -> JsonError {
        self.syntax(format!(
            "Illegal unquoted character ((CTRL-CHAR, code {c})): has to be escaped using backslash to be included in string value"
        ))
    }

    fn utf8(&self, start: usize, end: usize) -> JsonResult<&'a str> {
        std::str::from_utf8(&self.bytes[start..end]).map_err(|e| {
            let bad = self.bytes[start + e.valid_up_to()];
            JsonError::Syntax(format!("Invalid UTF-8 start byte 0x{bad:02x}"))
        })
    }

    fn escape(&mut self, out: &mut String) -> JsonResult<()> {
        let Some(&c) = self.bytes.get(self.pos) else {
            return Err(self.syntax("Unexpected end-of-input in character escape sequence"));
        };
        self.pos += 1;
        let ch = match c {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let hi = self.hex4()?;
                if (0xD800..0xDC00).contains(&hi)
                    && self.bytes.get(self.pos..self.pos + 2) == Some(b"\\u")
                {
                    let save = self.pos;
                    self.pos += 2;
                    let lo = self.hex4()?;
                    if (0xDC00..0xE000).contains(&lo) {
                        let code = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                        char::from_u32(code).unwrap_or('\u{FFFD}')
                    } else {
                        self.pos = save;
                        '\u{FFFD}'
                    }
                } else {
                    char::from_u32(hi).unwrap_or('\u{FFFD}')
                }
            }
            other => {
                self.pos -= 1;
                return Err(self.syntax(format!(
                    "Unrecognized character escape '{}' (code {other})",
                    other as char
                )));
            }
        };
        out.push(ch);
        Ok(())
    }

    fn hex4(&mut self) -> JsonResult<u32> {
        let digits = self
            .bytes
            .get(self.pos..self.pos + 4)
            .ok_or_else(|| self.syntax("Unexpected end-of-input in character escape sequence"))?;
        let mut v = 0u32;
        for &d in digits {
            let n = (d as char).to_digit(16).ok_or_else(|| {
                self.syntax(
                    "Unexpected character: expected a hex-digit for character escape sequence",
                )
            })?;
            v = v * 16 + n;
        }
        self.pos += 4;
        Ok(v)
    }

    /// Reads past one value, checking its syntax without building anything.
    pub fn skip_value(&mut self) -> JsonResult<()> {
        match self.peek() {
            Some(b'{') => {
                self.begin_object()?;
                let mut first = true;
                while self.next_key(first)?.is_some() {
                    first = false;
                    self.skip_value()?;
                }
                Ok(())
            }
            Some(b'[') => {
                self.begin_array()?;
                let mut first = true;
                while self.next_element(first)? {
                    first = false;
                    self.skip_value()?;
                }
                Ok(())
            }
            Some(b'"') => self.skip_string(),
            Some(b'-' | b'0'..=b'9') => self.number().map(|_| ()),
            Some(b't' | b'f' | b'n') => {
                if self.null()? {
                    return Ok(());
                }
                self.boolean().map(|_| ())
            }
            Some(_) => Err(self.unexpected(
                "a valid value (JSON String, Number, Array, Object or token 'null', 'true' or 'false')",
            )),
            None => Err(self.unexpected("a value")),
        }
    }

    fn skip_string(&mut self) -> JsonResult<()> {
        // Escapes and UTF-8 are checked by the same code that decodes strings.
        self.string().map(|_| ())
    }

    /// After a root-level scalar, Jackson requires whitespace or the end (trailing values are ignored).
    pub fn check_root_end(&mut self) -> JsonResult<()> {
        match self.bytes.get(self.pos) {
            None | Some(b' ' | b'\n' | b'\r' | b'\t') => Ok(()),
            Some(_) => Err(self.unexpected("space separating root-level values")),
        }
    }

    /// Parses one value into a [`Tree`].
    pub fn tree(&mut self) -> JsonResult<Tree<'a>> {
        match self.peek() {
            Some(b'{') => {
                self.begin_object()?;
                let mut members = Vec::new();
                let mut first = true;
                while let Some(key) = self.next_key(first)? {
                    first = false;
                    self.skip_ws();
                    let start = self.pos;
                    let value = self.tree()?;
                    members.push(Member {
                        key,
                        value,
                        span: (start, self.pos),
                    });
                }
                Ok(Tree::Object(members))
            }
            Some(b'[') => {
                self.begin_array()?;
                let mut items = Vec::new();
                let mut first = true;
                while self.next_element(first)? {
                    first = false;
                    items.push(self.tree()?);
                }
                Ok(Tree::Array(items))
            }
            Some(b'"') => self.string().map(Tree::String),
            Some(b'-' | b'0'..=b'9') => self.number().map(Tree::Number),
            Some(b'n') => self.literal(b"null").map(|_| Tree::Null),
            Some(b't' | b'f') => Ok(Tree::Bool(self.boolean()?.unwrap_or(false))),
            _ => Err(self.unexpected(
                "a valid value (JSON String, Number, Array, Object or token 'null', 'true' or 'false')",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn skip(text: &str) -> JsonResult<()> {
        Reader::new(text.as_bytes()).skip_value()
    }

    #[test]
    fn accepts_valid_json() {
        for ok in [
            "{}",
            "[]",
            "{\"a\":[1,-2.5e10,true,false,null,\"x\\u00e9\\n\"]}",
            " 0 ",
            "-0.0E+1",
            "\"\\ud83d\\ude00\"",
        ] {
            assert_eq!(skip(ok), Ok(()), "{ok}");
        }
    }

    #[test]
    fn rejects_malformed_json() {
        for bad in [
            "{",
            "[1,]",
            "[,1]",
            "{\"a\" 1}",
            "{\"a\":1,}",
            "01",
            "1.",
            "1e",
            "-",
            "tru",
            "nul",
            "\"abc",
            "\"\\x\"",
            "\"a\u{1}\"",
            "{a:1}",
            "[1 2]",
            "\"\\u12\"",
            "+1",
            ".5",
            "truex",
        ] {
            assert!(
                matches!(skip(bad), Err(JsonError::Syntax(_))),
                "{bad} should fail"
            );
        }
    }

    #[test]
    fn decodes_strings() {
        let mut r = Reader::new(br#""a\"b\u00e9\ud83d\ude00\ud800x""#);
        assert_eq!(r.string().unwrap(), "a\"bé😀\u{FFFD}x");
        let mut r = Reader::new(b"\"plain\"");
        assert!(matches!(r.string().unwrap(), Cow::Borrowed("plain")));
    }

    #[test]
    fn limits_nesting() {
        let deep = "[".repeat(5000);
        assert!(matches!(skip(&deep), Err(JsonError::Syntax(m)) if m.contains("nesting depth")));
    }

    #[test]
    fn reports_positions() {
        let err = skip("{\n  \"a\": x}").unwrap_err();
        assert_eq!(
            err,
            JsonError::Syntax(
                "Unexpected character ('x' (code 120)): expected a valid value (JSON String, Number, Array, Object or token 'null', 'true' or 'false') at [line: 2, column: 8]".into()
            )
        );
    }
}
