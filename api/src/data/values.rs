//! Kafka's `Values`: inferring a schema and value from a string (`parseString`) and rendering any value as text
//! (`convertToString`), plus the Java number and date formats both of them rely on.

use std::sync::Arc;

use super::logical::{self, BigDecimal, MILLIS_PER_DAY};
use super::{schemas, Schema, SchemaAndValue, SchemaBuilder, SchemaRef, SchemaType, Value};

// ---------------------------------------------------------------------------------------------------------------
// parseString
// ---------------------------------------------------------------------------------------------------------------

/// Parses `text` into a schema and value as Kafka's `Values.parseString` does: `true`/`false`, integers in the
/// smallest fitting type (INT8, INT16, INT32, INT64), other numbers as FLOAT32/FLOAT64 (or Decimal when too large),
/// arrays `[..]`, maps `{..}`, ISO dates (`yyyy-MM-dd`), times (`HH:mm:ss.SSS'Z'`) and timestamps
/// (`yyyy-MM-dd'T'HH:mm:ss.SSS'Z'`, all UTC); anything else is the STRING itself. The literal `null` gives a null
/// schema and value.
pub fn parse_string(text: &str) -> SchemaAndValue {
    if text.is_empty() {
        return SchemaAndValue::new(Some(schemas::string()), Value::String(String::new()));
    }
    let mut parser = ValueParser {
        tokens: Tokenizer::new(text),
    };
    match parser.parse(false) {
        Ok(Some(parsed)) => parsed.into_schema_and_value(),
        Ok(None) => SchemaAndValue::null(),
        // Only embedded values fail; the top level always falls back to a string.
        Err(_) => SchemaAndValue::new(Some(schemas::string()), Value::String(text.to_string())),
    }
}

/// A parsed value whose schema is always known (Java's non-null `SchemaAndValue`).
#[derive(Clone, Debug)]
struct Parsed {
    schema: SchemaRef,
    value: Value,
}

impl Parsed {
    fn new(schema: SchemaRef, value: Value) -> Self {
        Parsed { schema, value }
    }
    fn into_schema_and_value(self) -> SchemaAndValue {
        SchemaAndValue::new(Some(self.schema), self.value)
    }
}

/// Why an embedded value could not be parsed; the caller rewinds and treats the text as a string.
#[derive(Debug)]
struct ParseFailure;

type ParseResult<T> = Result<T, ParseFailure>;

/// Java's `String.trim()`: strips every char up to and including U+0020.
fn java_trim(s: &str) -> &str {
    s.trim_matches(|c: char| c <= ' ')
}

fn is_blank(s: &str) -> bool {
    java_trim(s).is_empty()
}

/// Splits the text into tokens at the unescaped delimiters `: , { } [ ] "`, each delimiter being its own token.
struct Tokenizer<'a> {
    original: &'a str,
    pos: usize,
    next_token: Option<&'a str>,
    previous: Option<&'a str>,
}

impl<'a> Tokenizer<'a> {
    fn new(original: &'a str) -> Self {
        Tokenizer {
            original,
            pos: 0,
            next_token: None,
            previous: None,
        }
    }

    fn position(&self) -> usize {
        self.pos
    }

    /// The position of the next unread token.
    fn mark(&self) -> usize {
        self.pos - self.next_token.map_or(0, str::len)
    }

    fn rewind_to(&mut self, position: usize) {
        self.pos = position;
        self.next_token = None;
        self.previous = None;
    }

    fn can_consume_next_token(&self) -> bool {
        self.pos < self.original.len()
    }

    fn has_next(&self) -> bool {
        self.next_token.is_some() || self.can_consume_next_token()
    }

    fn next(&mut self) -> &'a str {
        let token = match self.next_token.take() {
            Some(t) => t,
            None => self.consume_next_token(),
        };
        self.previous = Some(token);
        token
    }

    /// The text of the next `n` tokens, or None (and nothing consumed) when fewer remain.
    fn next_n(&mut self, n: usize) -> Option<&'a str> {
        let start = self.mark();
        for _ in 0..n {
            if !self.has_next() {
                self.rewind_to(start);
                return None;
            }
            self.next();
        }
        Some(&self.original[start..self.position()])
    }

    fn consume_next_token(&mut self) -> &'a str {
        let bytes = self.original.as_bytes();
        let start = self.pos;
        let mut escaped = false;
        while self.pos < bytes.len() {
            match bytes[self.pos] {
                b'\\' => escaped = !escaped,
                b':' | b',' | b'{' | b'}' | b'[' | b']' | b'"' => {
                    if !escaped {
                        if start < self.pos {
                            return &self.original[start..self.pos];
                        }
                        self.pos += 1;
                        return &self.original[start..start + 1];
                    }
                    escaped = false;
                }
                _ => escaped = false,
            }
            self.pos += 1;
        }
        &self.original[start..self.pos]
    }

    fn previous(&self) -> Option<&'a str> {
        self.previous
    }

    /// Consumes the next non-blank token if, trimmed, it equals `expected`.
    fn can_consume(&mut self, expected: &str) -> bool {
        if self.is_next(expected) {
            self.next_token = None;
            return true;
        }
        false
    }

    fn is_next(&mut self, expected: &str) -> bool {
        let mut token = match self.next_token {
            Some(t) => t,
            None => {
                if !self.has_next() {
                    return false;
                }
                self.consume_next_token()
            }
        };
        while is_blank(token) && self.can_consume_next_token() {
            token = self.consume_next_token();
        }
        self.next_token = Some(token);
        java_trim(token) == expected
    }
}

struct ValueParser<'a> {
    tokens: Tokenizer<'a>,
}

impl ValueParser<'_> {
    /// One value; `Ok(None)` is a null (or nothing left to read).
    fn parse(&mut self, embedded: bool) -> ParseResult<Option<Parsed>> {
        if !self.tokens.has_next() {
            return Ok(None);
        }
        if embedded && self.tokens.can_consume("\"") {
            return Ok(Some(self.parse_quoted_string()));
        }
        if self.can_parse_single_token_literal(embedded, "null") {
            return Ok(None);
        }
        if self.can_parse_single_token_literal(embedded, "true") {
            return Ok(Some(Parsed::new(schemas::boolean(), Value::Boolean(true))));
        }
        if self.can_parse_single_token_literal(embedded, "false") {
            return Ok(Some(Parsed::new(schemas::boolean(), Value::Boolean(false))));
        }

        let start = self.tokens.mark();
        let structured = if self.tokens.can_consume("[") {
            Some(self.parse_array())
        } else if self.tokens.can_consume("{") {
            Some(self.parse_map())
        } else {
            None
        };
        match structured {
            Some(Ok(parsed)) => return Ok(Some(parsed)),
            Some(Err(_)) => self.tokens.rewind_to(start),
            None => {}
        }

        let token = self.tokens.next();
        if is_blank(token) {
            return Ok(Some(Parsed::new(
                schemas::string(),
                Value::String(token.to_string()),
            )));
        }
        self.parse_next_token(embedded, java_trim(token)).map(Some)
    }

    fn can_parse_single_token_literal(&mut self, embedded: bool, literal: &str) -> bool {
        let start = self.tokens.mark();
        if self.tokens.can_consume(literal) && (embedded || !self.tokens.has_next()) {
            return true;
        }
        self.tokens.rewind_to(start);
        false
    }

    fn parse_next_token(&mut self, embedded: bool, token: &str) -> ParseResult<Parsed> {
        let first = token.chars().next().unwrap_or(' ');
        let first_is_digit = first.is_ascii_digit();
        if first_is_digit {
            if let Some(temporal) = self.parse_multiple_tokens_as_temporal(token) {
                return Ok(temporal);
            }
        }
        if first_is_digit || first == '+' || first == '-' {
            if let Some(number) = parse_as_number(token) {
                return Ok(number);
            }
        }
        if embedded {
            return Err(ParseFailure);
        }
        Ok(Parsed::new(
            schemas::string(),
            Value::String(self.tokens.original.to_string()),
        ))
    }

    /// Times and timestamps span five tokens because `:` is a delimiter; try those first, then the token alone.
    fn parse_multiple_tokens_as_temporal(&mut self, token: &str) -> Option<Parsed> {
        let position = self.tokens.mark();
        if let Some(remainder) = self.tokens.next_n(4) {
            let joined = format!("{token}{remainder}");
            if let Some(temporal) = parse_as_temporal(&joined) {
                return Some(temporal);
            }
        }
        self.tokens.rewind_to(position);
        parse_as_temporal(token)
    }

    fn parse_quoted_string(&mut self) -> Parsed {
        let mut content = String::new();
        while self.tokens.has_next() {
            if self.tokens.can_consume("\"") {
                break;
            }
            content.push_str(self.tokens.next());
        }
        // Quoted literals may still be dates, times or timestamps; anything else is a string.
        parse_as_temporal(&content)
            .unwrap_or_else(|| Parsed::new(schemas::string(), Value::String(content)))
    }

    fn parse_array(&mut self) -> ParseResult<Parsed> {
        let mut elements: Vec<Option<Parsed>> = Vec::new();
        let mut merger = SchemaMerger::default();
        while self.tokens.has_next() {
            if self.tokens.can_consume("]") {
                return match merger.common {
                    Some(common) => {
                        let values = elements
                            .into_iter()
                            .map(|e| align(&common, e))
                            .collect::<ParseResult<Vec<_>>>()?;
                        Ok(Parsed::new(
                            SchemaBuilder::array(common).build(),
                            Value::Array(values),
                        ))
                    }
                    // Every element is null, or the elements share no schema.
                    None => Ok(Parsed::new(
                        SchemaBuilder::new(SchemaType::Array).build(),
                        Value::Array(elements.into_iter().map(raw_value).collect()),
                    )),
                };
            }
            if self.tokens.can_consume(",") {
                return Err(ParseFailure); // an empty array element
            }
            let element = self.parse(true)?;
            merger.merge(element.as_ref());
            elements.push(element);

            let position = self.tokens.mark();
            if self.tokens.can_consume("]") {
                self.tokens.rewind_to(position);
            } else if !self.tokens.can_consume(",") {
                return Err(ParseFailure); // elements missing the ',' delimiter
            }
        }
        // Missing an element after ',' or the terminating ']'.
        let _ = self.tokens.previous();
        Err(ParseFailure)
    }

    fn parse_map(&mut self) -> ParseResult<Parsed> {
        let mut entries: Vec<(Parsed, Option<Parsed>)> = Vec::new();
        let mut keys = SchemaMerger::default();
        let mut values = SchemaMerger::default();
        while self.tokens.has_next() {
            if self.tokens.can_consume("}") {
                return self.finish_map(entries, keys, values);
            }
            if self.tokens.can_consume(",") {
                return Err(ParseFailure); // an entry with no key or value
            }
            let key = match self.parse(true)? {
                Some(k) if !k.value.is_null() => k,
                _ => return Err(ParseFailure), // a null key
            };
            if !self.tokens.can_consume(":") {
                return Err(ParseFailure); // missing ':'
            }
            let value = self.parse(true)?;
            self.tokens.can_consume(",");
            keys.merge(Some(&key));
            values.merge(value.as_ref());
            put_entry(&mut entries, key, value);
        }
        Err(ParseFailure) // missing an entry after ',' or the terminating '}'
    }

    fn finish_map(
        &self,
        entries: Vec<(Parsed, Option<Parsed>)>,
        keys: SchemaMerger,
        values: SchemaMerger,
    ) -> ParseResult<Parsed> {
        let mut builder = SchemaBuilder::new(SchemaType::Map);
        let mut out: Vec<(Value, Value)> = Vec::with_capacity(entries.len());
        match (keys.common, values.common) {
            (Some(key_schema), Some(value_schema)) => {
                for (k, v) in entries {
                    let key = align(&key_schema, Some(k))?;
                    let value = align(&value_schema, v)?;
                    put_value(&mut out, key, value);
                }
                builder = SchemaBuilder::map(key_schema, value_schema);
            }
            (Some(key_schema), None) => {
                for (k, v) in entries {
                    let key = align(&key_schema, Some(k))?;
                    put_value(&mut out, key, raw_value(v));
                }
                let mut schema = builder.build_schema();
                schema.key_schema = Some(key_schema);
                return Ok(Parsed::new(Arc::new(schema), Value::Map(out)));
            }
            _ => {
                for (k, v) in entries {
                    put_value(&mut out, k.value, raw_value(v));
                }
            }
        }
        Ok(Parsed::new(builder.build(), Value::Map(out)))
    }
}

fn raw_value(parsed: Option<Parsed>) -> Value {
    parsed.map(|p| p.value).unwrap_or(Value::Null)
}

/// `LinkedHashMap.put`: a repeated key keeps its first position and takes the new value.
fn put_entry(entries: &mut Vec<(Parsed, Option<Parsed>)>, key: Parsed, value: Option<Parsed>) {
    match entries.iter_mut().find(|(k, _)| k.value == key.value) {
        Some(slot) => slot.1 = value,
        None => entries.push((key, value)),
    }
}

fn put_value(entries: &mut Vec<(Value, Value)>, key: Value, value: Value) {
    match entries.iter_mut().find(|(k, _)| *k == key) {
        Some(slot) => slot.1 = value,
        None => entries.push((key, value)),
    }
}

/// Finds a schema every element fits (numbers widen); None once two elements are incompatible.
#[derive(Default)]
struct SchemaMerger {
    common: Option<SchemaRef>,
    incompatible: bool,
}

impl SchemaMerger {
    fn merge(&mut self, latest: Option<&Parsed>) {
        let Some(latest) = latest else { return };
        if self.incompatible {
            return;
        }
        self.common = match self.common.take() {
            None => Some(latest.schema.clone()),
            Some(previous) => merge_schemas(previous, &latest.schema),
        };
        self.incompatible = self.common.is_none();
    }
}

fn merge_schemas(previous: SchemaRef, latest: &SchemaRef) -> Option<SchemaRef> {
    use SchemaType::*;
    let (p, n) = (previous.schema_type, latest.schema_type);
    if p != n {
        let rank = |t: SchemaType| match t {
            Int8 => Some(0),
            Int16 => Some(1),
            Int32 => Some(2),
            Int64 => Some(3),
            Float32 => Some(4),
            Float64 => Some(5),
            _ => None,
        };
        return match (rank(p), rank(n)) {
            (Some(rp), Some(rn)) if rn > rp => Some(latest.clone()),
            (Some(_), Some(_)) => Some(previous),
            _ => None,
        };
    }
    if previous.optional == latest.optional {
        return Some(if previous.optional {
            previous
        } else {
            latest.clone()
        });
    }
    (previous == *latest).then_some(previous)
}

fn temporal_kind(schema: &Schema) -> Option<&'static str> {
    match schema.name.as_deref() {
        Some(logical::DATE) => Some(logical::DATE),
        Some(logical::TIME) => Some(logical::TIME),
        Some(logical::TIMESTAMP) => Some(logical::TIMESTAMP),
        _ => None,
    }
}

/// Epoch millis of a temporal value (Java keeps all three as `java.util.Date`).
fn temporal_millis(kind: &str, value: &Value) -> Option<i64> {
    let n = value.as_i64()?;
    Some(if kind == logical::DATE {
        n * MILLIS_PER_DAY
    } else {
        n
    })
}

/// Converts one element to the common schema, as Kafka's `alignListEntriesWithSchema` (via `convertTo`) does.
fn align(target: &Schema, element: Option<Parsed>) -> ParseResult<Value> {
    let Some(Parsed { schema, value }) = element else {
        return if target.optional {
            Ok(Value::Null)
        } else {
            Err(ParseFailure) // a null value for a schema that requires a value
        };
    };
    let source_temporal = temporal_kind(&schema);
    if let Some(target_kind) = temporal_kind(target) {
        let millis = match source_temporal {
            Some(kind) => temporal_millis(kind, &value).ok_or(ParseFailure)?,
            None => {
                let n = as_long(&value)?;
                return Ok(match target.schema_type {
                    SchemaType::Int64 => Value::Int64(n),
                    _ => Value::Int32(n as i32),
                });
            }
        };
        return Ok(match target_kind {
            logical::DATE => Value::Int32(millis.div_euclid(MILLIS_PER_DAY) as i32),
            logical::TIME => Value::Int32(millis as i32),
            _ => Value::Int64(millis),
        });
    }
    let numeric_source = || match source_temporal {
        Some(_) => Err(ParseFailure), // a java.util.Date is not a number without its schema
        None => Ok(()),
    };
    Ok(match target.schema_type {
        SchemaType::Int8 => {
            numeric_source()?;
            Value::Int8(as_long(&value)? as i8)
        }
        SchemaType::Int16 => {
            numeric_source()?;
            Value::Int16(as_long(&value)? as i16)
        }
        SchemaType::Int32 => {
            numeric_source()?;
            Value::Int32(as_long(&value)? as i32)
        }
        SchemaType::Int64 => {
            numeric_source()?;
            Value::Int64(as_long(&value)?)
        }
        SchemaType::Float32 => {
            numeric_source()?;
            Value::Float32(as_double(&value)? as f32)
        }
        SchemaType::Float64 => {
            numeric_source()?;
            Value::Float64(as_double(&value)?)
        }
        SchemaType::String => match value {
            Value::String(_) => value,
            other => Value::String(convert_to_string(Some(&schema), &other).unwrap_or_default()),
        },
        SchemaType::Boolean => match value {
            Value::Boolean(_) => value,
            _ => Value::Boolean(as_long(&value)? != 0),
        },
        SchemaType::Bytes => match value {
            Value::Bytes(_) => value,
            _ => return Err(ParseFailure),
        },
        SchemaType::Array => match value {
            Value::Array(_) => value,
            _ => return Err(ParseFailure),
        },
        SchemaType::Map => match value {
            Value::Map(_) => value,
            _ => return Err(ParseFailure),
        },
        SchemaType::Struct => match value {
            Value::Struct(_) => value,
            _ => return Err(ParseFailure),
        },
    })
}

fn as_long(value: &Value) -> ParseResult<i64> {
    Ok(match *value {
        Value::Int8(v) => v.into(),
        Value::Int16(v) => v.into(),
        Value::Int32(v) => v.into(),
        Value::Int64(v) => v,
        Value::Float32(v) => v as i64,
        Value::Float64(v) => v as i64,
        _ => return Err(ParseFailure),
    })
}

fn as_double(value: &Value) -> ParseResult<f64> {
    Ok(match *value {
        Value::Float32(v) => v.into(),
        Value::Float64(v) => v,
        _ => as_long(value)? as f64,
    })
}

// ---------------------------------------------------------------------------------------------------------------
// Numbers
// ---------------------------------------------------------------------------------------------------------------

/// A number in Java's `new BigDecimal(String)` grammar: sign, coefficient digits and scale.
struct DecimalText {
    negative: bool,
    /// Coefficient digits without leading zeros (empty for zero).
    coefficient: String,
    scale: i64,
}

fn parse_decimal_text(token: &str) -> Option<DecimalText> {
    let (negative, rest) = match token.as_bytes().first()? {
        b'-' => (true, &token[1..]),
        b'+' => (false, &token[1..]),
        _ => (false, token),
    };
    let (significand, exponent) = match rest.find(['e', 'E']) {
        Some(i) => (&rest[..i], Some(&rest[i + 1..])),
        None => (rest, None),
    };
    let (int_part, frac_part) = significand.split_once('.').unwrap_or((significand, ""));
    if int_part.len() + frac_part.len() == 0
        || !int_part
            .bytes()
            .chain(frac_part.bytes())
            .all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let exponent: i64 = match exponent {
        None => 0,
        Some(e) => {
            let digits = e.strip_prefix(['+', '-']).unwrap_or(e);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let value: i64 = e.parse().ok()?;
            i32::try_from(value).ok()?.into()
        }
    };
    let scale = frac_part.len() as i64 - exponent;
    i32::try_from(scale).ok()?;
    let all = format!("{int_part}{frac_part}");
    let coefficient = all.trim_start_matches('0').to_string();
    Some(DecimalText {
        negative,
        coefficient,
        scale,
    })
}

/// Kafka's `parseAsNumber`: exact integers in the smallest type, else FLOAT32, FLOAT64, or a Decimal.
fn parse_as_number(token: &str) -> Option<Parsed> {
    let d = parse_decimal_text(token)?;
    if let Some(exact) = parse_as_exact_integer(&d) {
        return Some(exact);
    }
    if d.scale != 0 {
        if let Ok(f) = token.parse::<f32>() {
            if f.is_finite() {
                return Some(Parsed::new(schemas::float32(), Value::Float32(f)));
            }
        }
        if let Ok(f) = token.parse::<f64>() {
            if f.is_finite() {
                return Some(Parsed::new(schemas::float64(), Value::Float64(f)));
            }
        }
    }
    let sign = if d.negative { "-" } else { "" };
    let digits = if d.coefficient.is_empty() {
        "0"
    } else {
        &d.coefficient
    };
    let unscaled = BigDecimal::parse(&format!("{sign}{digits}"), Some(0))
        .ok()?
        .unscaled;
    let scale = d.scale as i32;
    Some(Parsed::new(
        logical::decimal(scale),
        Value::Bytes(unscaled.into()),
    ))
}

/// Whole numbers within the range of a long, in the smallest integer type that holds them.
fn parse_as_exact_integer(d: &DecimalText) -> Option<Parsed> {
    let integral: i64 = if d.coefficient.is_empty() {
        0
    } else {
        let int_digits = d.coefficient.len() as i64 - d.scale;
        if !(1..=20).contains(&int_digits) {
            return None; // below 1 or far above 1e19
        }
        let int_digits = int_digits as usize;
        let (int_part, frac_part) = if int_digits >= d.coefficient.len() {
            (
                format!(
                    "{}{}",
                    d.coefficient,
                    "0".repeat(int_digits - d.coefficient.len())
                ),
                "",
            )
        } else {
            (
                d.coefficient[..int_digits].to_string(),
                &d.coefficient[int_digits..],
            )
        };
        if frac_part.bytes().any(|b| b != b'0') {
            return None;
        }
        let magnitude: i128 = int_part.parse().ok()?;
        let signed = if d.negative { -magnitude } else { magnitude };
        i64::try_from(signed).ok()?
    };
    Some(if let Ok(v) = i8::try_from(integral) {
        Parsed::new(schemas::int8(), Value::Int8(v))
    } else if let Ok(v) = i16::try_from(integral) {
        Parsed::new(schemas::int16(), Value::Int16(v))
    } else if let Ok(v) = i32::try_from(integral) {
        Parsed::new(schemas::int32(), Value::Int32(v))
    } else {
        Parsed::new(schemas::int64(), Value::Int64(integral))
    })
}

/// Java's `Double.toString`: plain between 10^-3 and 10^7, else `d.dddE±n`; always a fractional digit.
pub fn java_double_to_string(v: f64) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    java_float_text(v == 0.0, v.is_sign_negative(), &format!("{:e}", v.abs()))
}

/// Java's `Float.toString`, with the shortest digits that identify the float.
pub fn java_float_to_string(v: f32) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    java_float_text(v == 0.0, v.is_sign_negative(), &format!("{:e}", v.abs()))
}

/// Lays out Rust's shortest `{:e}` digits (`d.ddde±x`) the way Java prints floating-point numbers.
fn java_float_text(zero: bool, negative: bool, sci: &str) -> String {
    let mut out = String::with_capacity(sci.len() + 8);
    if negative {
        out.push('-');
    }
    if zero {
        out.push_str("0.0");
        return out;
    }
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let (lead, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if (-3..7).contains(&exp) {
        if exp < 0 {
            out.push_str("0.");
            out.extend(std::iter::repeat_n('0', (-exp - 1) as usize));
            out.push_str(lead);
            out.push_str(frac);
        } else {
            let int_len = exp as usize;
            out.push_str(lead);
            if frac.len() <= int_len {
                out.push_str(frac);
                out.extend(std::iter::repeat_n('0', int_len - frac.len()));
                out.push_str(".0");
            } else {
                out.push_str(&frac[..int_len]);
                out.push('.');
                out.push_str(&frac[int_len..]);
            }
        }
    } else {
        out.push_str(lead);
        out.push('.');
        out.push_str(if frac.is_empty() { "0" } else { frac });
        out.push('E');
        out.push_str(&exp.to_string());
    }
    out
}

/// Java's `BigDecimal.toString()` of an unscaled two's-complement value and a scale (scientific notation when the
/// scale is negative or the number is below 10^-6).
pub fn decimal_to_string(unscaled: &[u8], scale: i32) -> String {
    let plain = BigDecimal {
        unscaled: if unscaled.is_empty() {
            vec![0]
        } else {
            unscaled.to_vec()
        },
        scale: 0,
    }
    .to_plain_string();
    let (sign, digits) = match plain.strip_prefix('-') {
        Some(d) => ("-", d),
        None => ("", plain.as_str()),
    };
    if scale == 0 {
        return plain;
    }
    let adjusted = -(scale as i64) + (digits.len() as i64 - 1);
    if scale > 0 && adjusted >= -6 {
        let scale = scale as usize;
        if digits.len() > scale {
            let split = digits.len() - scale;
            format!("{sign}{}.{}", &digits[..split], &digits[split..])
        } else {
            let zeros = "0".repeat(scale - digits.len());
            format!("{sign}0.{zeros}{digits}")
        }
    } else {
        let rest = if digits.len() > 1 {
            format!(".{}", &digits[1..])
        } else {
            String::new()
        };
        let exp_sign = if adjusted >= 0 { "+" } else { "" };
        format!("{sign}{}{rest}E{exp_sign}{adjusted}", &digits[..1])
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Dates and times (UTC, proleptic Gregorian)
// ---------------------------------------------------------------------------------------------------------------

const ISO_DATE_LENGTH: usize = 10; // yyyy-MM-dd
const ISO_TIME_LENGTH: usize = 13; // HH:mm:ss.SSSZ
const ISO_TIMESTAMP_LENGTH: usize = 24; // yyyy-MM-ddTHH:mm:ss.SSSZ

/// A piece of a `SimpleDateFormat` pattern.
#[derive(Clone, Copy)]
enum Part {
    Number,
    Literal(u8),
}

const DATE_PATTERN: &[Part] = &[
    Part::Number,
    Part::Literal(b'-'),
    Part::Number,
    Part::Literal(b'-'),
    Part::Number,
];
const TIME_PATTERN: &[Part] = &[
    Part::Number,
    Part::Literal(b':'),
    Part::Number,
    Part::Literal(b':'),
    Part::Number,
    Part::Literal(b'.'),
    Part::Number,
    Part::Literal(b'Z'),
];

/// Matches `pattern` at the start of `text` like a lenient `SimpleDateFormat` (numbers take every digit that
/// follows); trailing text is ignored. Returns the numbers and the rest.
fn match_pattern<'t>(text: &'t [u8], pattern: &[Part]) -> Option<(Vec<i64>, &'t [u8])> {
    let mut numbers = Vec::with_capacity(4);
    let mut rest = text;
    for part in pattern {
        match *part {
            Part::Literal(c) => {
                if rest.first() != Some(&c) {
                    return None;
                }
                rest = &rest[1..];
            }
            Part::Number => {
                let len = rest.iter().take_while(|b| b.is_ascii_digit()).count();
                if len == 0 {
                    return None;
                }
                let n = std::str::from_utf8(&rest[..len]).ok()?.parse().ok()?;
                numbers.push(n);
                rest = &rest[len..];
            }
        }
    }
    Some((numbers, rest))
}

fn date_days(text: &[u8]) -> Option<(i64, &[u8])> {
    let (n, rest) = match_pattern(text, DATE_PATTERN)?;
    Some((lenient_days(n[0], n[1], n[2])?, rest))
}

fn time_millis(text: &[u8]) -> Option<i64> {
    let (n, _) = match_pattern(text, TIME_PATTERN)?;
    n[0].checked_mul(3_600_000)?
        .checked_add(n[1].checked_mul(60_000)?)?
        .checked_add(n[2].checked_mul(1000)?)?
        .checked_add(n[3])
}

/// Days since the epoch of year/month/day, letting months and days overflow as a lenient calendar does.
fn lenient_days(year: i64, month: i64, day: i64) -> Option<i64> {
    if year.abs() > 10_000_000 || month.abs() > 1_000_000 || day.abs() > 1_000_000_000 {
        return None;
    }
    let year = year + (month - 1).div_euclid(12);
    let month = (month - 1).rem_euclid(12) + 1;
    Some(days_from_civil(year, month, 1) + day - 1)
}

fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Kafka's `parseAsTemporal`: chooses Time, Timestamp or Date by the text's length.
fn parse_as_temporal(token: &str) -> Option<Parsed> {
    let token = token.replace("\\:", ":");
    let bytes = token.as_bytes();
    match token.chars().count() {
        ISO_TIME_LENGTH => {
            let millis = time_millis(bytes)?;
            Some(Parsed::new(
                logical::time_builder().build(),
                Value::Int32(millis as i32),
            ))
        }
        ISO_TIMESTAMP_LENGTH => {
            let (days, rest) = date_days(bytes)?;
            let rest = rest.strip_prefix(b"T")?;
            let millis = days
                .checked_mul(MILLIS_PER_DAY)?
                .checked_add(time_millis(rest)?)?;
            Some(Parsed::new(
                logical::timestamp_builder().build(),
                Value::Int64(millis),
            ))
        }
        ISO_DATE_LENGTH => {
            let (days, _) = date_days(bytes)?;
            Some(Parsed::new(
                logical::date_builder().build(),
                Value::Int32(i32::try_from(days).ok()?),
            ))
        }
        _ => None,
    }
}

/// `yyyy` as `SimpleDateFormat` prints it: the year of era, at least four digits.
fn format_year(year: i64) -> String {
    let year_of_era = if year <= 0 { 1 - year } else { year };
    format!("{year_of_era:04}")
}

fn format_date_part(millis: i64) -> String {
    let (y, m, d) = civil_from_days(millis.div_euclid(MILLIS_PER_DAY));
    format!("{}-{m:02}-{d:02}", format_year(y))
}

fn format_time_part(millis: i64) -> String {
    let ms = millis.rem_euclid(MILLIS_PER_DAY);
    format!(
        "{:02}:{:02}:{:02}.{:03}Z",
        ms / 3_600_000,
        ms / 60_000 % 60,
        ms / 1000 % 60,
        ms % 1000
    )
}

/// Kafka's `Values.dateFormatFor`: below one day a time, whole days a date, otherwise a timestamp.
fn format_temporal(millis: i64) -> String {
    if millis < MILLIS_PER_DAY {
        format_time_part(millis)
    } else if millis % MILLIS_PER_DAY == 0 {
        format_date_part(millis)
    } else {
        format!("{}T{}", format_date_part(millis), format_time_part(millis))
    }
}

// ---------------------------------------------------------------------------------------------------------------
// convertToString
// ---------------------------------------------------------------------------------------------------------------

/// Renders a value as Kafka's `Values.convertToString` does (None for null): strings as-is, numbers and booleans in
/// Java's format, bytes as base64, Decimals as `BigDecimal.toString`, dates/times/timestamps in ISO-8601 UTC, and
/// arrays, maps and structs in a JSON-like form with quoted, escaped strings.
pub fn convert_to_string(schema: Option<&Schema>, value: &Value) -> Option<String> {
    if value.is_null() {
        return None;
    }
    let mut out = String::new();
    append(&mut out, schema, value, false);
    Some(out)
}

fn append(out: &mut String, schema: Option<&Schema>, value: &Value, embedded: bool) {
    if let Some(schema) = schema {
        if let Some(text) = logical_to_string(schema, value) {
            out.push_str(&text);
            return;
        }
    }
    match value {
        Value::Null => out.push_str("null"),
        Value::Boolean(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int8(v) => out.push_str(&v.to_string()),
        Value::Int16(v) => out.push_str(&v.to_string()),
        Value::Int32(v) => out.push_str(&v.to_string()),
        Value::Int64(v) => out.push_str(&v.to_string()),
        Value::Float32(v) => out.push_str(&java_float_to_string(*v)),
        Value::Float64(v) => out.push_str(&java_double_to_string(*v)),
        Value::String(s) => {
            if embedded {
                out.push('"');
                out.push_str(&s.replace('\\', "\\\\").replace('"', "\\\""));
                out.push('"');
            } else {
                out.push_str(s);
            }
        }
        Value::Bytes(b) => {
            use base64::Engine;
            let encoded = base64::engine::general_purpose::STANDARD.encode(b);
            if embedded {
                out.push('"');
                out.push_str(&encoded);
                out.push('"');
            } else {
                out.push_str(&encoded);
            }
        }
        Value::Array(items) => {
            let element = schema.and_then(|s| s.value_schema.as_deref());
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                append(out, element, item, true);
            }
            out.push(']');
        }
        Value::Map(entries) => {
            let key_schema = schema.and_then(|s| s.key_schema.as_deref());
            let value_schema = schema.and_then(|s| s.value_schema.as_deref());
            out.push('{');
            for (i, (k, v)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                append(out, key_schema, k, true);
                out.push(':');
                append(out, value_schema, v, true);
            }
            out.push('}');
        }
        Value::Struct(s) => {
            out.push('{');
            for (i, field) in s.schema().fields.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                append(out, None, &Value::String(field.name.clone()), true);
                out.push(':');
                let v = s.get(&field.name).unwrap_or(&Value::Null);
                append(out, Some(&field.schema), v, true);
            }
            out.push('}');
        }
    }
}

/// The text of a logical-type value, or None when `schema` is not a logical type this value fits.
fn logical_to_string(schema: &Schema, value: &Value) -> Option<String> {
    match (schema.name.as_deref()?, value) {
        (logical::DECIMAL, Value::Bytes(b)) => {
            let scale = schema.parameter(logical::SCALE)?.parse().ok()?;
            Some(decimal_to_string(b, scale))
        }
        (logical::DATE, Value::Int32(days)) => {
            Some(format_temporal(i64::from(*days) * MILLIS_PER_DAY))
        }
        (logical::TIME, Value::Int32(millis)) => Some(format_temporal(i64::from(*millis))),
        (logical::TIMESTAMP, Value::Int64(millis)) => Some(format_temporal(*millis)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Struct;

    fn parsed(text: &str) -> (Option<SchemaRef>, Value) {
        let sv = parse_string(text);
        (sv.schema, sv.value)
    }

    fn assert_parses(text: &str, schema: SchemaRef, value: Value) {
        let (s, v) = parsed(text);
        assert_eq!(s.as_deref(), Some(&*schema), "schema of {text:?}");
        assert_eq!(v, value, "value of {text:?}");
    }

    fn assert_string(text: &str) {
        assert_parses(text, schemas::string(), Value::String(text.to_string()));
    }

    #[test]
    fn literals_and_blank_strings() {
        assert_parses("true", schemas::boolean(), Value::Boolean(true));
        assert_parses(" false ", schemas::boolean(), Value::Boolean(false));
        assert_eq!(parse_string("null"), SchemaAndValue::null());
        assert_string("");
        assert_string("   ");
        assert_string("true}");
        assert_string("hello world");
        assert_string("host:9092");
        assert_string("1.2.3");
    }

    #[test]
    fn integers_take_the_smallest_type() {
        assert_parses("0", schemas::int8(), Value::Int8(0));
        assert_parses("-128", schemas::int8(), Value::Int8(-128));
        assert_parses("128", schemas::int16(), Value::Int16(128));
        assert_parses("-32769", schemas::int32(), Value::Int32(-32769));
        assert_parses("2147483648", schemas::int64(), Value::Int64(2_147_483_648));
        assert_parses(
            "9223372036854775807",
            schemas::int64(),
            Value::Int64(i64::MAX),
        );
        assert_parses("1.0", schemas::int8(), Value::Int8(1));
        assert_parses("1e2", schemas::int8(), Value::Int8(100));
        assert_parses("+5", schemas::int8(), Value::Int8(5));
    }

    #[test]
    fn other_numbers_are_floats_or_decimals() {
        assert_parses("1.5", schemas::float32(), Value::Float32(1.5));
        assert_parses("-0.25", schemas::float32(), Value::Float32(-0.25));
        assert_parses("1e300", schemas::float64(), Value::Float64(1e300));
        let (s, v) = parsed("123456789012345678901234567890");
        let s = s.unwrap();
        assert_eq!(s.name.as_deref(), Some(logical::DECIMAL));
        assert_eq!(s.parameter("scale"), Some("0"));
        let Value::Bytes(b) = v else { panic!() };
        assert_eq!(decimal_to_string(&b, 0), "123456789012345678901234567890");
        let (s, _) = parsed("1e400");
        assert_eq!(s.unwrap().parameter("scale"), Some("-400"));
        assert_string("1e99999999999");
        assert_string("-abc");
    }

    #[test]
    fn temporal_values() {
        let date = logical::date_builder().build();
        assert_parses("2019-08-23", date.clone(), Value::Int32(18131));
        assert_parses("1970-01-01", date, Value::Int32(0));
        assert_parses(
            "14:34:54.346Z",
            logical::time_builder().build(),
            Value::Int32(52_494_346),
        );
        assert_parses(
            "2019-08-23T14:34:54.346Z",
            logical::timestamp_builder().build(),
            Value::Int64(1_566_570_894_346),
        );
        assert_parses(
            "14\\:34\\:54.346Z",
            logical::time_builder().build(),
            Value::Int32(52_494_346),
        );
        // Ten-digit numbers are not dates.
        assert_parses("1234567890", schemas::int32(), Value::Int32(1_234_567_890));
    }

    #[test]
    fn arrays() {
        let int8s = SchemaBuilder::array(schemas::int8()).build();
        assert_parses(
            "[1, 2, 3]",
            int8s,
            Value::Array(vec![Value::Int8(1), Value::Int8(2), Value::Int8(3)]),
        );
        assert_parses(
            "[1, 1000]",
            SchemaBuilder::array(schemas::int16()).build(),
            Value::Array(vec![Value::Int16(1), Value::Int16(1000)]),
        );
        assert_parses(
            "[1, 2.5]",
            SchemaBuilder::array(schemas::float32()).build(),
            Value::Array(vec![Value::Float32(1.0), Value::Float32(2.5)]),
        );
        assert_parses(
            "[\"a\", \"b,c\"]",
            SchemaBuilder::array(schemas::string()).build(),
            Value::Array(vec!["a".into(), "b,c".into()]),
        );
        assert_parses(
            "[1, \"a\"]",
            SchemaBuilder::new(SchemaType::Array).build(),
            Value::Array(vec![Value::Int8(1), "a".into()]),
        );
        assert_parses(
            "[]",
            SchemaBuilder::new(SchemaType::Array).build(),
            Value::Array(vec![]),
        );
        assert_parses(
            "[null]",
            SchemaBuilder::new(SchemaType::Array).build(),
            Value::Array(vec![Value::Null]),
        );
        assert_parses(
            "[\"2019-08-23\", 1]",
            SchemaBuilder::array(logical::date_builder().build()).build(),
            Value::Array(vec![Value::Int32(18131), Value::Int32(1)]),
        );
        // A null next to typed elements does not fit the non-optional common schema: the whole text is a string.
        assert_string("[1, null]");
        assert_string("[1, 2");
        assert_string("[1,,2]");
        assert_string("[a, b]");
    }

    #[test]
    fn maps() {
        assert_parses(
            "{\"a\": 1, \"b\": 2}",
            SchemaBuilder::map(schemas::string(), schemas::int8()).build(),
            Value::Map(vec![
                ("a".into(), Value::Int8(1)),
                ("b".into(), Value::Int8(2)),
            ]),
        );
        assert_parses(
            "{1: true}",
            SchemaBuilder::map(schemas::int8(), schemas::boolean()).build(),
            Value::Map(vec![(Value::Int8(1), Value::Boolean(true))]),
        );
        let (s, v) = parsed("{\"a\": null}");
        let s = s.unwrap();
        assert_eq!(s.schema_type, SchemaType::Map);
        assert_eq!(s.key_schema.as_deref(), Some(&*schemas::string()));
        assert!(s.value_schema.is_none());
        assert_eq!(v, Value::Map(vec![("a".into(), Value::Null)]));
        assert_parses(
            "{\"a\": [1, 2]}",
            SchemaBuilder::map(
                schemas::string(),
                SchemaBuilder::array(schemas::int8()).build(),
            )
            .build(),
            Value::Map(vec![(
                "a".into(),
                Value::Array(vec![Value::Int8(1), Value::Int8(2)]),
            )]),
        );
        assert_string("{\"a\" 1}");
        assert_string("{null: 1}");
        assert_string("{\"a\": 1");
    }

    #[test]
    fn java_number_formats() {
        assert_eq!(java_double_to_string(1.0), "1.0");
        assert_eq!(java_double_to_string(-0.0), "-0.0");
        assert_eq!(java_double_to_string(123.456), "123.456");
        assert_eq!(java_double_to_string(1e7), "1.0E7");
        assert_eq!(java_double_to_string(1234567.0), "1234567.0");
        assert_eq!(java_double_to_string(0.001), "0.001");
        assert_eq!(java_double_to_string(0.0001), "1.0E-4");
        assert_eq!(java_double_to_string(1.5e-10), "1.5E-10");
        assert_eq!(java_double_to_string(f64::NAN), "NaN");
        assert_eq!(java_float_to_string(0.1), "0.1");
        assert_eq!(java_float_to_string(3.4e38), "3.4E38");
        assert_eq!(decimal_to_string(&[0x00, 0x9c], 2), "1.56");
        assert_eq!(decimal_to_string(&[0xff, 0x64], 2), "-1.56");
        assert_eq!(decimal_to_string(&[0x01], 7), "1E-7");
        assert_eq!(decimal_to_string(&[0x0f], -2), "1.5E+3");
        assert_eq!(decimal_to_string(&[0x05], 3), "0.005");
    }

    #[test]
    fn converts_values_to_strings() {
        assert_eq!(convert_to_string(None, &Value::Null), None);
        assert_eq!(
            convert_to_string(None, &"a\"b".into()).as_deref(),
            Some("a\"b")
        );
        assert_eq!(
            convert_to_string(None, &Value::Float32(1.5)).as_deref(),
            Some("1.5")
        );
        assert_eq!(
            convert_to_string(None, &Value::Bytes(vec![1, 2, 3].into())).as_deref(),
            Some("AQID")
        );
        let list = Value::Array(vec!["a\\\"".into(), Value::Int32(1), Value::Null]);
        assert_eq!(
            convert_to_string(None, &list).as_deref(),
            Some("[\"a\\\\\\\"\",1,null]")
        );
        let map = Value::Map(vec![("k".into(), Value::Boolean(true))]);
        assert_eq!(
            convert_to_string(None, &map).as_deref(),
            Some("{\"k\":true}")
        );
        let schema = SchemaBuilder::struct_()
            .with_field("id", schemas::int32())
            .with_field("d", logical::date_builder().optional().build())
            .build();
        let mut s = Struct::new(schema.clone()).unwrap();
        s.put("id", 7).unwrap();
        s.put("d", Value::Int32(18131)).unwrap();
        assert_eq!(
            convert_to_string(Some(&schema), &Value::Struct(s)).as_deref(),
            Some("{\"id\":7,\"d\":2019-08-23}")
        );
        let ts = logical::timestamp_builder().build();
        assert_eq!(
            convert_to_string(Some(&ts), &Value::Int64(1_566_570_894_346)).as_deref(),
            Some("2019-08-23T14:34:54.346Z")
        );
        let time = logical::time_builder().build();
        assert_eq!(
            convert_to_string(Some(&time), &Value::Int32(52_494_346)).as_deref(),
            Some("14:34:54.346Z")
        );
        let date = logical::date_builder().build();
        assert_eq!(
            convert_to_string(Some(&date), &Value::Int32(18131)).as_deref(),
            Some("2019-08-23")
        );
        let dec = logical::decimal(2);
        assert_eq!(
            convert_to_string(Some(&dec), &Value::Bytes(vec![0x00, 0x9c].into())).as_deref(),
            Some("1.56")
        );
    }

    #[test]
    fn round_trips_through_strings() {
        for text in [
            "true",
            "42",
            "1.5",
            "[1,2,3]",
            "{\"a\":1}",
            "2019-08-23",
            "14:34:54.346Z",
            "2019-08-23T14:34:54.346Z",
            "plain text",
        ] {
            let sv = parse_string(text);
            assert_eq!(
                convert_to_string(sv.schema.as_deref(), &sv.value).as_deref(),
                Some(text)
            );
        }
    }

    #[test]
    fn never_panics_on_odd_input() {
        for text in [
            "\\",
            "\"",
            "[",
            "]",
            "{",
            "}",
            ":",
            ",",
            "[\"",
            "{\"a\":",
            "1:",
            "\\\\:",
            "[[[[",
            "{{}}",
            "é[1]",
            "[é]",
            "99999999999999999999999",
            "-",
            "+",
            ".",
            "1e",
            "e1",
            "[1,]",
            "{,}",
            "0000-00-00",
            "99:99:99.999Z",
            "9999-99-99T99:99:99.999Z",
        ] {
            let _ = parse_string(text);
        }
    }
}
