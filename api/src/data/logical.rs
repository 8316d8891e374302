//! Kafka's logical types (Decimal, Date, Time, Timestamp): names, schemas and conversions to and from their
//! physical representation.

use super::{SchemaBuilder, SchemaRef};
use crate::error::ConnectError;

pub const DECIMAL: &str = "org.apache.kafka.connect.data.Decimal";
pub const DATE: &str = "org.apache.kafka.connect.data.Date";
pub const TIME: &str = "org.apache.kafka.connect.data.Time";
pub const TIMESTAMP: &str = "org.apache.kafka.connect.data.Timestamp";
/// The parameter holding a Decimal's scale.
pub const SCALE: &str = "scale";
pub const MILLIS_PER_DAY: i64 = 86_400_000;

/// `Decimal.builder(scale)`: BYTES named `...Decimal`, version 1, parameter `scale`.
pub fn decimal_builder(scale: i32) -> SchemaBuilder {
    SchemaBuilder::bytes()
        .name(DECIMAL)
        .version(1)
        .parameter(SCALE, scale.to_string())
}
pub fn decimal(scale: i32) -> SchemaRef {
    decimal_builder(scale).build()
}
pub fn date_builder() -> SchemaBuilder {
    SchemaBuilder::int32().name(DATE).version(1)
}
pub fn time_builder() -> SchemaBuilder {
    SchemaBuilder::int32().name(TIME).version(1)
}
pub fn timestamp_builder() -> SchemaBuilder {
    SchemaBuilder::int64().name(TIMESTAMP).version(1)
}

/// A decimal number as an unscaled big-endian two's-complement integer and a scale.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BigDecimal {
    pub unscaled: Vec<u8>,
    pub scale: i32,
}

impl BigDecimal {
    /// Parses a plain decimal string such as `-12.345` (no exponent) into the given scale, or its own scale when
    /// `scale` is None.
    pub fn parse(text: &str, scale: Option<i32>) -> Result<BigDecimal, ConnectError> {
        let bad = || ConnectError::data(format!("Invalid decimal: {text}"));
        let (negative, digits) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text.strip_prefix('+').unwrap_or(text)),
        };
        let (int_part, frac_part) = digits.split_once('.').unwrap_or((digits, ""));
        if int_part.is_empty() && frac_part.is_empty() {
            return Err(bad());
        }
        if !int_part
            .bytes()
            .chain(frac_part.bytes())
            .all(|b| b.is_ascii_digit())
        {
            return Err(bad());
        }
        let own_scale = frac_part.len() as i32;
        let target = scale.unwrap_or(own_scale);
        if target < own_scale && frac_part[target as usize..].bytes().any(|b| b != b'0') {
            return Err(ConnectError::data(format!(
                "Decimal {text} does not fit scale {target}"
            )));
        }
        let mut all: Vec<u8> = int_part.bytes().map(|b| b - b'0').collect();
        let keep = frac_part.len().min(target as usize);
        all.extend(frac_part.bytes().take(keep).map(|b| b - b'0'));
        all.extend(std::iter::repeat_n(
            0,
            (target - keep as i32).max(0) as usize,
        ));
        let magnitude = decimal_digits_to_bytes(&all);
        Ok(BigDecimal {
            unscaled: to_twos_complement(magnitude, negative),
            scale: target,
        })
    }

    /// The plain decimal text (`BigDecimal.toPlainString`).
    pub fn to_plain_string(&self) -> String {
        let negative = self.unscaled.first().is_some_and(|b| b & 0x80 != 0);
        let magnitude = if negative {
            negate(&self.unscaled)
        } else {
            self.unscaled.clone()
        };
        let mut digits = bytes_to_decimal_digits(&magnitude);
        let scale = self.scale.max(0) as usize;
        if digits.len() <= scale {
            let pad = scale + 1 - digits.len();
            digits = "0".repeat(pad) + &digits;
        }
        let mut out = String::new();
        if negative && digits.bytes().any(|b| b != b'0') {
            out.push('-');
        }
        if scale == 0 {
            out.push_str(&digits);
            if self.scale < 0 {
                out.push_str(&"0".repeat((-self.scale) as usize));
            }
        } else {
            let split = digits.len() - scale;
            out.push_str(&digits[..split]);
            out.push('.');
            out.push_str(&digits[split..]);
        }
        out
    }
}

/// Big-endian magnitude bytes from base-10 digits.
fn decimal_digits_to_bytes(digits: &[u8]) -> Vec<u8> {
    let mut bytes: Vec<u8> = vec![0];
    for &d in digits {
        let mut carry = d as u32;
        for b in bytes.iter_mut().rev() {
            let v = (*b as u32) * 10 + carry;
            *b = (v & 0xff) as u8;
            carry = v >> 8;
        }
        while carry > 0 {
            bytes.insert(0, (carry & 0xff) as u8);
            carry >>= 8;
        }
    }
    bytes
}

fn bytes_to_decimal_digits(magnitude: &[u8]) -> String {
    let mut num: Vec<u8> = magnitude.to_vec();
    let mut digits = Vec::new();
    while num.iter().any(|&b| b != 0) {
        let mut rem = 0u32;
        for b in num.iter_mut() {
            let v = (rem << 8) | *b as u32;
            *b = (v / 10) as u8;
            rem = v % 10;
        }
        digits.push(b'0' + rem as u8);
    }
    if digits.is_empty() {
        digits.push(b'0');
    }
    digits.reverse();
    String::from_utf8(digits).unwrap_or_default()
}

/// Two's-complement minimal encoding of a magnitude with a sign, as Java's `BigInteger.toByteArray`.
fn to_twos_complement(mut magnitude: Vec<u8>, negative: bool) -> Vec<u8> {
    while magnitude.len() > 1 && magnitude[0] == 0 {
        magnitude.remove(0);
    }
    if magnitude[0] & 0x80 != 0 {
        magnitude.insert(0, 0);
    }
    if !negative || magnitude.iter().all(|&b| b == 0) {
        return magnitude;
    }
    let mut out = negate(&magnitude);
    while out.len() > 1 && out[0] == 0xff && out[1] & 0x80 != 0 {
        out.remove(0);
    }
    out
}

fn negate(bytes: &[u8]) -> Vec<u8> {
    let mut out: Vec<u8> = bytes.iter().map(|b| !b).collect();
    for b in out.iter_mut().rev() {
        let (v, overflow) = b.overflowing_add(1);
        *b = v;
        if !overflow {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_round_trips_like_java_bigdecimal() {
        // Facts from java.math.BigDecimal/BigInteger: 1.56 at scale 2 is unscaled 156 = 0x009C.
        let d = BigDecimal::parse("1.56", Some(2)).unwrap();
        assert_eq!(d.unscaled, vec![0x00, 0x9c]);
        assert_eq!(d.to_plain_string(), "1.56");
        let n = BigDecimal::parse("-1.56", Some(2)).unwrap();
        assert_eq!(n.unscaled, vec![0xff, 0x64]);
        assert_eq!(n.to_plain_string(), "-1.56");
        assert_eq!(BigDecimal::parse("0", None).unwrap().unscaled, vec![0]);
        assert_eq!(
            BigDecimal::parse("-128", None).unwrap().unscaled,
            vec![0x80]
        );
        assert_eq!(
            BigDecimal::parse("12345678901234567890.5", None)
                .unwrap()
                .to_plain_string(),
            "12345678901234567890.5"
        );
        assert_eq!(
            BigDecimal::parse("0.05", None).unwrap().to_plain_string(),
            "0.05"
        );
        assert!(BigDecimal::parse("1.5x", None).is_err());
        assert!(BigDecimal::parse("1.55", Some(1)).is_err());
    }
}
