//! JSON payloads to Connect values, in one pass over the bytes: guided by a schema (Kafka's `convertToConnect`) or
//! schemaless (integers as INT64, other numbers as FLOAT64, objects as maps, arrays as arrays).

use std::collections::HashMap;

use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine;
use connect_api::data::logical::{self, BigDecimal, MILLIS_PER_DAY};
use connect_api::data::{Schema, SchemaRef, SchemaType, Struct, Value};

use super::reader::{JsonError, JsonResult, Number, Reader};

/// Standard base64, padding optional (Jackson accepts both).
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

fn data(message: impl Into<String>) -> JsonError {
    JsonError::Data(message.into())
}

/// Converts JSON values to Connect values.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Decoder {
    /// `replace.null.with.default`: a JSON null where the schema has a default becomes that default.
    pub replace_null_with_default: bool,
}

impl Decoder {
    /// One value: with a schema, checked against it; without, with types inferred from the JSON.
    pub fn decode(&self, r: &mut Reader<'_>, schema: Option<&SchemaRef>) -> JsonResult<Value> {
        match schema {
            Some(schema) => self.typed(r, schema),
            None => self.schemaless(r),
        }
    }

    /// The value a JSON null (or a missing struct field) stands for under `schema`.
    fn null_for(&self, schema: &Schema) -> JsonResult<Value> {
        if self.replace_null_with_default {
            if let Some(default) = &schema.default_value {
                return Ok(default.clone());
            }
        }
        if schema.optional {
            return Ok(Value::Null);
        }
        Err(data(format!(
            "Invalid null value for required {} field",
            schema.schema_type
        )))
    }

    fn typed(&self, r: &mut Reader<'_>, schema: &SchemaRef) -> JsonResult<Value> {
        if r.null()? {
            return self.null_for(schema);
        }
        if let Some(name) = schema.name.as_deref() {
            match (name, schema.schema_type) {
                (logical::DECIMAL, SchemaType::Bytes) => return decimal(r, schema),
                (logical::DATE, SchemaType::Int32) => return date_or_time(r, "Date"),
                (logical::TIME, SchemaType::Int32) => return date_or_time(r, "Time"),
                (logical::TIMESTAMP, SchemaType::Int64) => return timestamp(r),
                _ => {}
            }
        }
        let ty = schema.schema_type;
        Ok(match ty {
            SchemaType::Boolean => match r.boolean()? {
                Some(b) => Value::Boolean(b),
                None => return Err(mismatch(ty, "a boolean", r)),
            },
            SchemaType::Int8 => Value::Int8(integer(r, ty, i8::MIN.into(), i8::MAX.into())? as i8),
            SchemaType::Int16 => {
                Value::Int16(integer(r, ty, i16::MIN.into(), i16::MAX.into())? as i16)
            }
            SchemaType::Int32 => {
                Value::Int32(integer(r, ty, i32::MIN.into(), i32::MAX.into())? as i32)
            }
            SchemaType::Int64 => Value::Int64(integer(r, ty, i64::MIN, i64::MAX)?),
            SchemaType::Float32 => Value::Float32(float::<f32>(r, ty)?),
            SchemaType::Float64 => Value::Float64(float::<f64>(r, ty)?),
            SchemaType::String => {
                if r.peek() != Some(b'"') {
                    return Err(mismatch(ty, "a string", r));
                }
                Value::String(r.string()?.into_owned())
            }
            SchemaType::Bytes => Value::Bytes(bytes(r)?.into()),
            SchemaType::Array => {
                if r.peek() != Some(b'[') {
                    return Err(mismatch(ty, "an array", r));
                }
                let element = schema.value_schema.as_ref();
                let mut items = Vec::new();
                r.begin_array()?;
                let mut first = true;
                while r.next_element(first)? {
                    first = false;
                    items.push(self.decode(r, element)?);
                }
                Value::Array(items)
            }
            SchemaType::Map => self.map(r, schema)?,
            SchemaType::Struct => self.structure(r, schema)?,
        })
    }

    fn map(&self, r: &mut Reader<'_>, schema: &SchemaRef) -> JsonResult<Value> {
        let values = schema.value_schema.as_ref();
        let string_keys = schema
            .key_schema
            .as_ref()
            .is_none_or(|k| k.schema_type == SchemaType::String);
        if string_keys {
            if r.peek() != Some(b'{') {
                return Err(data(format!(
                    "Maps with string fields should be encoded as JSON objects, but found {}",
                    r.node_type()
                )));
            }
            return self.object(r, values);
        }
        if r.peek() != Some(b'[') {
            return Err(data(format!(
                "Maps with non-string fields should be encoded as JSON array of tuples, but found {}",
                r.node_type()
            )));
        }
        let keys = schema.key_schema.as_ref();
        let mut entries: Vec<(Value, Value)> = Vec::new();
        r.begin_array()?;
        let mut first = true;
        while r.next_element(first)? {
            first = false;
            if r.peek() != Some(b'[') {
                return Err(data(format!(
                    "Found invalid map entry instead of array tuple: {}",
                    r.node_type()
                )));
            }
            r.begin_array()?;
            let mut size = 0;
            let mut key = Value::Null;
            let mut value = Value::Null;
            while r.next_element(size == 0)? {
                match size {
                    0 => key = self.decode(r, keys)?,
                    1 => value = self.decode(r, values)?,
                    _ => r.skip_value()?,
                }
                size += 1;
            }
            if size != 2 {
                return Err(data(format!(
                    "Found invalid map entry, expected length 2 but found :{size}"
                )));
            }
            put_entry(&mut entries, key, value);
        }
        Ok(Value::Map(entries))
    }

    /// A JSON object as a map with string keys; a repeated key keeps its first position and last value.
    fn object(&self, r: &mut Reader<'_>, values: Option<&SchemaRef>) -> JsonResult<Value> {
        let mut map = StringMap::default();
        r.begin_object()?;
        let mut first = true;
        while let Some(key) = r.next_key(first)? {
            first = false;
            let value = self.decode(r, values)?;
            map.insert(key.into_owned(), value);
        }
        Ok(Value::Map(map.entries))
    }

    fn structure(&self, r: &mut Reader<'_>, schema: &SchemaRef) -> JsonResult<Value> {
        if r.peek() != Some(b'{') {
            return Err(data(format!(
                "Structs should be encoded as JSON objects, but found {}",
                r.node_type()
            )));
        }
        let fields = &schema.fields;
        let mut out = Struct::new(schema.clone()).map_err(|e| data(e.message().to_string()))?;
        let mut seen = vec![false; fields.len()];
        let mut expected = 0;
        r.begin_object()?;
        let mut first = true;
        while let Some(key) = r.next_key(first)? {
            first = false;
            // Fields usually arrive in schema order: try the next one before searching.
            let index = if fields.get(expected).is_some_and(|f| f.name == *key) {
                Some(expected)
            } else {
                fields.iter().position(|f| f.name == *key)
            };
            match index {
                Some(i) => {
                    out.put_unchecked(i, self.typed(r, &fields[i].schema)?);
                    seen[i] = true;
                    expected = i + 1;
                }
                None => r.skip_value()?,
            }
        }
        for (i, field) in fields.iter().enumerate() {
            if !seen[i] {
                out.put_unchecked(i, self.null_for(&field.schema)?);
            }
        }
        Ok(Value::Struct(out))
    }

    fn schemaless(&self, r: &mut Reader<'_>) -> JsonResult<Value> {
        Ok(match r.peek() {
            Some(b'{') => self.object(r, None)?,
            Some(b'[') => {
                let mut items = Vec::new();
                r.begin_array()?;
                let mut first = true;
                while r.next_element(first)? {
                    first = false;
                    items.push(self.schemaless(r)?);
                }
                Value::Array(items)
            }
            Some(b'"') => Value::String(r.string()?.into_owned()),
            Some(b'-' | b'0'..=b'9') => {
                let n = r.number()?;
                if n.integral {
                    Value::Int64(wrapping_i64(n.text))
                } else {
                    Value::Float64(n.text.parse().unwrap_or(0.0))
                }
            }
            Some(b'n') => {
                r.null()?;
                Value::Null
            }
            Some(b't' | b'f') => Value::Boolean(r.boolean()?.unwrap_or(false)),
            _ => {
                r.skip_value()?;
                Value::Null
            }
        })
    }
}

fn mismatch(ty: SchemaType, expected: &str, r: &mut Reader<'_>) -> JsonError {
    data(format!(
        "Invalid value for {ty} schema: expected {expected} but found {}",
        r.node_type()
    ))
}

fn is_number_start(b: Option<u8>) -> bool {
    matches!(b, Some(b'-' | b'0'..=b'9'))
}

/// An integer within `[min, max]`; a fractional JSON number is accepted only when it is a whole number.
fn integer(r: &mut Reader<'_>, ty: SchemaType, min: i64, max: i64) -> JsonResult<i64> {
    if !is_number_start(r.peek()) {
        return Err(mismatch(ty, "an integer", r));
    }
    let n = r.number()?;
    let out_of_range = || {
        data(format!(
            "Invalid value for {ty} schema: {} is out of range",
            n.text
        ))
    };
    let v = if n.integral {
        n.text.parse::<i64>().map_err(|_| out_of_range())?
    } else {
        let f: f64 = n.text.parse().unwrap_or(f64::NAN);
        if f.fract() != 0.0 || !f.is_finite() {
            return Err(data(format!(
                "Invalid value for {ty} schema: {} is not an integer",
                n.text
            )));
        }
        if !(-9.223_372_036_854_775e18..9.223_372_036_854_775e18).contains(&f) {
            return Err(out_of_range());
        }
        f as i64
    };
    if v < min || v > max {
        return Err(out_of_range());
    }
    Ok(v)
}

/// A floating-point number; the strings Jackson writes for NaN and the infinities are accepted too.
fn float<F: std::str::FromStr>(r: &mut Reader<'_>, ty: SchemaType) -> JsonResult<F> {
    let parse = |text: &str| {
        text.parse::<F>().map_err(|_| {
            data(format!(
                "Invalid value for {ty} schema: {text} is not a number"
            ))
        })
    };
    match r.peek() {
        Some(b'"') => match r.string()?.as_ref() {
            special @ ("NaN" | "Infinity" | "-Infinity") => parse(special),
            other => Err(data(format!(
                "Invalid value for {ty} schema: expected a number but found STRING \"{other}\""
            ))),
        },
        b if is_number_start(b) => parse(r.number()?.text),
        _ => Err(mismatch(ty, "a number", r)),
    }
}

fn bytes(r: &mut Reader<'_>) -> JsonResult<Vec<u8>> {
    if r.peek() != Some(b'"') {
        return Err(mismatch(SchemaType::Bytes, "a base64 string", r));
    }
    let text = r.string()?;
    BASE64
        .decode(text.as_bytes())
        .map_err(|e| data(format!("Invalid bytes field: {e}")))
}

/// The low 64 bits of an integer of any size, as Java's `BigInteger.longValue()`.
fn wrapping_i64(text: &str) -> i64 {
    if let Ok(v) = text.parse() {
        return v;
    }
    let (negative, digits) = match text.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, text),
    };
    let magnitude = digits.bytes().fold(0u64, |acc, d| {
        acc.wrapping_mul(10)
            .wrapping_add(u64::from(d.wrapping_sub(b'0')))
    });
    if negative {
        (magnitude as i64).wrapping_neg()
    } else {
        magnitude as i64
    }
}

fn decimal_scale(schema: &Schema) -> JsonResult<i32> {
    schema
        .parameter(logical::SCALE)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| data("Invalid Decimal schema: scale parameter not found."))
}

/// A Decimal from a JSON number (rescaled to the schema's scale) or from base64 of its unscaled bytes.
fn decimal(r: &mut Reader<'_>, schema: &Schema) -> JsonResult<Value> {
    let scale = decimal_scale(schema)?;
    match r.peek() {
        b if is_number_start(b) => {
            let n = r.number()?;
            Ok(Value::Bytes(rescale(n, scale)?.into()))
        }
        Some(b'"') => {
            let text = r.string()?;
            match BASE64.decode(text.as_bytes()) {
                Ok(b) if !b.is_empty() => Ok(Value::Bytes(b.into())),
                Ok(_) => Err(data("Invalid bytes for Decimal field: Zero length BigInteger")),
                Err(e) => Err(data(format!("Invalid bytes for Decimal field: {e}"))),
            }
        }
        _ => Err(data(format!(
            "Invalid type for Decimal, underlying representation should be numeric or bytes but was {}",
            r.node_type()
        ))),
    }
}

/// The unscaled two's-complement bytes of a JSON number at `scale`; digits that would be lost are an error.
pub(crate) fn rescale(n: Number<'_>, scale: i32) -> JsonResult<Vec<u8>> {
    let bad = || {
        data(format!(
            "Decimal value {} does not fit the schema's scale {scale}",
            n.text
        ))
    };
    let (mantissa, exponent) = match n.text.find(['e', 'E']) {
        Some(i) => (
            &n.text[..i],
            n.text[i + 1..].parse::<i64>().map_err(|_| bad())?,
        ),
        None => (n.text, 0),
    };
    let (sign, unsigned) = match mantissa.strip_prefix('-') {
        Some(m) => ("-", m),
        None => ("", mantissa),
    };
    let (int_part, frac_part) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    let own_scale = frac_part.len() as i64 - exponent;
    let mut digits = format!("{int_part}{frac_part}");
    let shift = i64::from(scale) - own_scale;
    if shift >= 0 {
        if shift > 10_000 {
            return Err(bad());
        }
        digits.extend(std::iter::repeat_n('0', shift as usize));
    } else {
        let drop = (-shift) as usize;
        if drop > digits.len() {
            if digits.bytes().any(|b| b != b'0') {
                return Err(bad());
            }
            digits = "0".into();
        } else {
            if digits[digits.len() - drop..].bytes().any(|b| b != b'0') {
                return Err(bad());
            }
            digits.truncate(digits.len() - drop);
        }
    }
    if digits.is_empty() {
        digits.push('0');
    }
    BigDecimal::parse(&format!("{sign}{digits}"), Some(0))
        .map(|d| d.unscaled)
        .map_err(|_| bad())
}

fn date_or_time(r: &mut Reader<'_>, kind: &str) -> JsonResult<Value> {
    let invalid = |r: &mut Reader<'_>| {
        data(format!(
            "Invalid type for {kind}, underlying representation should be integer but was {}",
            r.node_type()
        ))
    };
    if !is_number_start(r.peek()) {
        return Err(invalid(r));
    }
    let start = r.position();
    let n = r.number()?;
    let value = match n.text.parse::<i32>() {
        Ok(v) if n.integral => v,
        _ => {
            r.set_position(start);
            return Err(invalid(r));
        }
    };
    if kind == "Time" && !(0..=MILLIS_PER_DAY).contains(&i64::from(value)) {
        return Err(data(
            "Time values must use number of milliseconds greater than 0 and less than 86400000",
        ));
    }
    Ok(Value::Int32(value))
}

fn timestamp(r: &mut Reader<'_>) -> JsonResult<Value> {
    if is_number_start(r.peek()) {
        let start = r.position();
        let n = r.number()?;
        if n.integral {
            return Ok(Value::Int64(wrapping_i64(n.text)));
        }
        r.set_position(start);
    }
    Err(data(format!(
        "Invalid type for Timestamp, underlying representation should be integral but was {}",
        r.node_type()
    )))
}

/// `HashMap.put` for maps with any keys: a repeated key keeps its first position and takes the new value.
fn put_entry(entries: &mut Vec<(Value, Value)>, key: Value, value: Value) {
    // Large non-string-keyed maps skip the (quadratic) duplicate check.
    if entries.len() <= 64 {
        if let Some(slot) = entries.iter_mut().find(|(k, _)| *k == key) {
            slot.1 = value;
            return;
        }
    }
    entries.push((key, value));
}

/// Builds a map with string keys, de-duplicating keys as Jackson's `ObjectNode` does.
#[derive(Default)]
struct StringMap {
    entries: Vec<(Value, Value)>,
    index: Option<HashMap<String, usize>>,
}

impl StringMap {
    const LINEAR_LIMIT: usize = 16;

    fn insert(&mut self, key: String, value: Value) {
        if self.index.is_none() && self.entries.len() >= Self::LINEAR_LIMIT {
            let index = self
                .entries
                .iter()
                .enumerate()
                .filter_map(|(i, (k, _))| k.as_str().map(|k| (k.to_string(), i)))
                .collect();
            self.index = Some(index);
        }
        let existing = match &self.index {
            Some(index) => index.get(&key).copied(),
            None => self
                .entries
                .iter()
                .position(|(k, _)| k.as_str() == Some(&key)),
        };
        match existing {
            Some(i) => self.entries[i].1 = value,
            None => {
                if let Some(index) = &mut self.index {
                    index.insert(key.clone(), self.entries.len());
                }
                self.entries.push((Value::String(key), value));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(text: &str) -> Number<'_> {
        Number {
            text,
            integral: !text.contains(['.', 'e', 'E']),
        }
    }

    #[test]
    fn rescales_decimals() {
        assert_eq!(rescale(n("1.56"), 2).unwrap(), vec![0x00, 0x9c]);
        assert_eq!(rescale(n("1.5"), 2).unwrap(), vec![0x00, 0x96]);
        assert_eq!(rescale(n("-1.56"), 2).unwrap(), vec![0xff, 0x64]);
        assert_eq!(rescale(n("156E-2"), 2).unwrap(), vec![0x00, 0x9c]);
        assert_eq!(rescale(n("1.5600"), 2).unwrap(), vec![0x00, 0x9c]);
        assert_eq!(rescale(n("0"), 2).unwrap(), vec![0x00]);
        assert!(rescale(n("1.555"), 2).is_err());
        assert!(rescale(n("1e100000"), 2).is_err());
    }

    #[test]
    fn wraps_big_integers_like_java() {
        assert_eq!(wrapping_i64("18446744073709551617"), 1);
        assert_eq!(wrapping_i64("-18446744073709551617"), -1);
        assert_eq!(wrapping_i64("42"), 42);
    }

    #[test]
    fn string_maps_keep_first_position_and_last_value() {
        let mut map = StringMap::default();
        for i in 0..40 {
            map.insert(format!("k{}", i % 20), Value::Int64(i));
        }
        assert_eq!(map.entries.len(), 20);
        assert_eq!(map.entries[0], ("k0".into(), Value::Int64(20)));
    }
}
