//! PostgreSQL column types to Connect schemas with Debezium's semantic names, and PostgreSQL's text output of a
//! value (what pgoutput v1 and simple queries deliver) to the Connect value Debezium would emit.

use base64::Engine;
use connect_api::data::logical::BigDecimal;
use connect_api::data::{logical, SchemaBuilder, SchemaRef, SchemaType, Struct, Value};

use crate::config::{BinaryMode, DecimalMode, TimePrecision};

pub mod oid {
    pub const BOOL: u32 = 16;
    pub const BYTEA: u32 = 17;
    pub const CHAR: u32 = 18;
    pub const NAME: u32 = 19;
    pub const INT8: u32 = 20;
    pub const INT2: u32 = 21;
    pub const INT4: u32 = 23;
    pub const TEXT: u32 = 25;
    pub const OID: u32 = 26;
    pub const JSON: u32 = 114;
    pub const XML: u32 = 142;
    pub const FLOAT4: u32 = 700;
    pub const FLOAT8: u32 = 701;
    pub const MONEY: u32 = 790;
    pub const BPCHAR: u32 = 1042;
    pub const VARCHAR: u32 = 1043;
    pub const DATE: u32 = 1082;
    pub const TIME: u32 = 1083;
    pub const TIMESTAMP: u32 = 1114;
    pub const TIMESTAMPTZ: u32 = 1184;
    pub const INTERVAL: u32 = 1186;
    pub const TIMETZ: u32 = 1266;
    pub const NUMERIC: u32 = 1700;
    pub const UUID: u32 = 2950;
    pub const JSONB: u32 = 3802;
}

/// How values are converted (the value-conversion keys of the config).
#[derive(Clone, Debug)]
pub struct Conversion {
    pub decimal: DecimalMode,
    pub time: TimePrecision,
    pub binary: BinaryMode,
    pub placeholder: String,
}

/// What is known about a column: its type and nullability.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ColumnType {
    pub name: String,
    pub type_oid: u32,
    pub type_modifier: i32,
    pub optional: bool,
}

const MICRO_TIMESTAMP: &str = "io.debezium.time.MicroTimestamp";
const TIMESTAMP: &str = "io.debezium.time.Timestamp";
const MICRO_TIME: &str = "io.debezium.time.MicroTime";
const TIME: &str = "io.debezium.time.Time";
const DATE: &str = "io.debezium.time.Date";
const ZONED_TIMESTAMP: &str = "io.debezium.time.ZonedTimestamp";
const ZONED_TIME: &str = "io.debezium.time.ZonedTime";
const MICRO_DURATION: &str = "io.debezium.time.MicroDuration";
const VARIABLE_SCALE_DECIMAL: &str = "io.debezium.data.VariableScaleDecimal";

/// Fractional-second precision of time/timestamp columns (6 when unconstrained).
fn time_precision(typmod: i32) -> i32 {
    if typmod < 0 {
        6
    } else {
        typmod & 0xffff
    }
}

/// (precision, scale) of a numeric column, None when unconstrained.
fn numeric_precision(typmod: i32) -> Option<(i32, i32)> {
    if typmod < 4 {
        return None;
    }
    let t = typmod - 4;
    Some(((t >> 16) & 0xffff, t & 0xffff))
}

fn variable_scale_decimal_schema() -> SchemaBuilder {
    SchemaBuilder::struct_()
        .name(VARIABLE_SCALE_DECIMAL)
        .version(1)
        .doc("Variable scaled decimal")
        .with_field("scale", connect_api::data::schemas::int32())
        .with_field("value", connect_api::data::schemas::bytes())
}

/// The Connect schema Debezium gives a column of this type.
pub fn column_schema(conv: &Conversion, col: &ColumnType) -> SchemaRef {
    let b = match col.type_oid {
        oid::BOOL => SchemaBuilder::boolean(),
        oid::INT2 => SchemaBuilder::int16(),
        oid::INT4 => SchemaBuilder::int32(),
        oid::INT8 | oid::OID => SchemaBuilder::int64(),
        oid::FLOAT4 => SchemaBuilder::float32(),
        oid::FLOAT8 => SchemaBuilder::float64(),
        oid::NUMERIC | oid::MONEY => match conv.decimal {
            DecimalMode::Double => SchemaBuilder::float64(),
            DecimalMode::String => SchemaBuilder::string(),
            DecimalMode::Precise => match (col.type_oid, numeric_precision(col.type_modifier)) {
                (oid::MONEY, _) => logical::decimal_builder(2),
                (_, Some((p, s))) => logical::decimal_builder(s)
                    .parameter("connect.decimal.precision", p.to_string()),
                (_, None) => variable_scale_decimal_schema(),
            },
        },
        oid::BYTEA => match conv.binary {
            BinaryMode::Bytes => SchemaBuilder::bytes(),
            _ => SchemaBuilder::string(),
        },
        oid::JSON | oid::JSONB => SchemaBuilder::string()
            .name("io.debezium.data.Json")
            .version(1),
        oid::XML => SchemaBuilder::string()
            .name("io.debezium.data.Xml")
            .version(1),
        oid::UUID => SchemaBuilder::string()
            .name("io.debezium.data.Uuid")
            .version(1),
        oid::TIMESTAMPTZ => SchemaBuilder::string().name(ZONED_TIMESTAMP).version(1),
        oid::TIMETZ => SchemaBuilder::string().name(ZONED_TIME).version(1),
        oid::INTERVAL => SchemaBuilder::int64().name(MICRO_DURATION).version(1),
        oid::DATE => match conv.time {
            TimePrecision::Connect => logical::date_builder(),
            _ => SchemaBuilder::int32().name(DATE).version(1),
        },
        oid::TIME => match conv.time {
            TimePrecision::Connect => logical::time_builder(),
            TimePrecision::Adaptive if time_precision(col.type_modifier) <= 3 => {
                SchemaBuilder::int32().name(TIME).version(1)
            }
            _ => SchemaBuilder::int64().name(MICRO_TIME).version(1),
        },
        oid::TIMESTAMP => match conv.time {
            TimePrecision::Connect => logical::timestamp_builder(),
            _ if time_precision(col.type_modifier) <= 3 => {
                SchemaBuilder::int64().name(TIMESTAMP).version(1)
            }
            _ => SchemaBuilder::int64().name(MICRO_TIMESTAMP).version(1),
        },
        _ => SchemaBuilder::string(),
    };
    if col.optional {
        b.optional().build()
    } else {
        b.build()
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// (year, month, day) of days since 1970-01-01.
pub fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn parse_date(text: &str) -> Option<i64> {
    let (text, bc) = match text.strip_suffix(" BC") {
        Some(t) => (t, true),
        None => (text, false),
    };
    let mut parts = text.splitn(3, '-');
    let mut y: i64 = parts.next()?.parse().ok()?;
    let m: i64 = parts.next()?.parse().ok()?;
    let d: i64 = parts.next()?.parse().ok()?;
    if bc {
        y = 1 - y;
    }
    Some(days_from_civil(y, m, d))
}

/// Microseconds since midnight of `HH:MM:SS[.ffffff]`.
fn parse_time(text: &str) -> Option<i64> {
    let mut parts = text.splitn(3, ':');
    let h: i64 = parts.next()?.parse().ok()?;
    let m: i64 = parts.next()?.parse().ok()?;
    let sec = parts.next()?;
    let (s, frac) = sec.split_once('.').unwrap_or((sec, ""));
    let s: i64 = s.parse().ok()?;
    let mut f = 0i64;
    for (i, c) in frac.chars().take(6).enumerate() {
        f += (c.to_digit(10)? as i64) * 10i64.pow(5 - i as u32);
    }
    Some(((h * 60 + m) * 60 + s) * 1_000_000 + f)
}

/// Splits a trailing `+HH[:MM[:SS]]`/`-HH...` offset off a time text; returns (time, offset seconds).
fn split_offset(text: &str) -> Option<(&str, i64)> {
    let pos = text.rfind(['+', '-'])?;
    let (t, off) = text.split_at(pos);
    let sign = if off.starts_with('-') { -1 } else { 1 };
    let mut secs = 0i64;
    for (i, p) in off[1..].split(':').enumerate() {
        let v: i64 = p.parse().ok()?;
        secs += v * [3600, 60, 1].get(i)?;
    }
    Some((t, sign * secs))
}

/// Microseconds since the epoch of `YYYY-MM-DD HH:MM:SS[.f]` (plus an optional offset for timestamptz).
fn parse_timestamp(text: &str, with_zone: bool) -> Option<i64> {
    let (text, bc) = match text.strip_suffix(" BC") {
        Some(t) => (t, true),
        None => (text, false),
    };
    let (date, time) = text.split_once(' ')?;
    let (time, offset) = if with_zone {
        split_offset(time)?
    } else {
        (time, 0)
    };
    let days = if bc {
        parse_date(&format!("{date} BC"))?
    } else {
        parse_date(date)?
    };
    Some(days * 86_400_000_000 + parse_time(time)? - offset * 1_000_000)
}

/// ISO-8601 UTC text as Java's `ISO_OFFSET_DATE_TIME` prints an instant (fraction without trailing zeros).
pub fn iso_instant(micros: i64) -> String {
    let days = micros.div_euclid(86_400_000_000);
    let rem = micros.rem_euclid(86_400_000_000);
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}T{}Z", iso_time(rem))
}

fn iso_time(micros_of_day: i64) -> String {
    let secs = micros_of_day / 1_000_000;
    let frac = micros_of_day % 1_000_000;
    let mut out = format!("{:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60);
    if frac != 0 {
        let f = format!("{frac:06}");
        out.push('.');
        out.push_str(f.trim_end_matches('0'));
    }
    out
}

/// Microseconds of a PostgreSQL interval in the default `postgres` IntervalStyle (`1 year 2 mons 3 days 04:05:06`),
/// months counted as 365.25/12 days as Debezium does.
fn parse_interval(text: &str) -> Option<f64> {
    let mut total = 0f64;
    let mut tokens = text.split_whitespace().peekable();
    while let Some(tok) = tokens.next() {
        if tok.contains(':') {
            let (neg, t) = match tok.strip_prefix('-') {
                Some(t) => (true, t),
                None => (false, tok.strip_prefix('+').unwrap_or(tok)),
            };
            let mut parts = t.splitn(3, ':');
            let h: f64 = parts.next()?.parse().ok()?;
            let m: f64 = parts.next()?.parse().ok()?;
            let s: f64 = parts.next().unwrap_or("0").parse().ok()?;
            let us = ((h * 60.0 + m) * 60.0 + s) * 1e6;
            total += if neg { -us } else { us };
            continue;
        }
        let n: f64 = tok.parse().ok()?;
        let unit = tokens.next()?;
        let day = 86_400e6;
        let month = 365.25 / 12.0 * day;
        total += n * match unit.trim_end_matches('s') {
            "year" => 12.0 * month,
            "mon" => month,
            "day" => day,
            _ => return None,
        };
    }
    Some(total.round())
}

fn parse_bytea(text: &str) -> Option<Vec<u8>> {
    let hex = text.strip_prefix("\\x")?;
    (0..hex.len() / 2)
        .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok())
        .collect()
}

fn parse_float(text: &str) -> Option<f64> {
    match text {
        "NaN" => Some(f64::NAN),
        "Infinity" => Some(f64::INFINITY),
        "-Infinity" => Some(f64::NEG_INFINITY),
        t => t.parse().ok(),
    }
}

/// Debezium's values for `timestamp` ±infinity.
const POSITIVE_INFINITY_MICROS: i64 = 9_223_372_036_825_200_000;
const NEGATIVE_INFINITY_MICROS: i64 = -9_223_372_036_832_400_000;

/// Converts PostgreSQL's text output of a column value into the Connect value of [`column_schema`].
pub fn convert(conv: &Conversion, col: &ColumnType, text: &str) -> Result<Value, String> {
    let bad = || {
        format!(
            "cannot convert value {text:?} of column {} (type oid {})",
            col.name, col.type_oid
        )
    };
    Ok(match col.type_oid {
        oid::BOOL => Value::Boolean(text == "t" || text == "true"),
        oid::INT2 => Value::Int16(text.parse().map_err(|_| bad())?),
        oid::INT4 => Value::Int32(text.parse().map_err(|_| bad())?),
        oid::INT8 | oid::OID => Value::Int64(text.parse().map_err(|_| bad())?),
        oid::FLOAT4 => Value::Float32(parse_float(text).ok_or_else(bad)? as f32),
        oid::FLOAT8 => Value::Float64(parse_float(text).ok_or_else(bad)?),
        oid::NUMERIC | oid::MONEY => {
            let plain: String = if col.type_oid == oid::MONEY {
                text.chars()
                    .filter(|c| c.is_ascii_digit() || *c == '.' || *c == '-')
                    .collect()
            } else {
                text.to_string()
            };
            match conv.decimal {
                DecimalMode::String => {
                    Value::String(if plain == "NaN" { "NAN".into() } else { plain })
                }
                DecimalMode::Double => Value::Float64(parse_float(&plain).ok_or_else(bad)?),
                DecimalMode::Precise => {
                    if plain == "NaN" || plain.contains("Infinity") {
                        return Ok(Value::Null);
                    }
                    let scale = match (col.type_oid, numeric_precision(col.type_modifier)) {
                        (oid::MONEY, _) => Some(2),
                        (_, Some((_, s))) => Some(s),
                        (_, None) => None,
                    };
                    let d = BigDecimal::parse(&plain, scale).map_err(|_| bad())?;
                    if scale.is_some() {
                        Value::Bytes(d.unscaled.into())
                    } else {
                        let schema = variable_scale_decimal_schema().build();
                        let mut s = Struct::new(schema).map_err(|e| e.to_string())?;
                        s.put_unchecked(0, Value::Int32(d.scale));
                        s.put_unchecked(1, Value::Bytes(d.unscaled.into()));
                        Value::Struct(s)
                    }
                }
            }
        }
        oid::BYTEA => {
            let bytes = parse_bytea(text).ok_or_else(bad)?;
            match conv.binary {
                BinaryMode::Bytes => Value::Bytes(bytes.into()),
                BinaryMode::Base64 => {
                    Value::String(base64::engine::general_purpose::STANDARD.encode(bytes))
                }
                BinaryMode::Base64UrlSafe => {
                    Value::String(base64::engine::general_purpose::URL_SAFE.encode(bytes))
                }
                BinaryMode::Hex => {
                    Value::String(bytes.iter().map(|b| format!("{b:02x}")).collect())
                }
            }
        }
        oid::TIMESTAMPTZ => match text {
            "infinity" => Value::String("infinity".into()),
            "-infinity" => Value::String("-infinity".into()),
            _ => Value::String(iso_instant(parse_timestamp(text, true).ok_or_else(bad)?)),
        },
        oid::TIMETZ => {
            let (t, off) = split_offset(text).ok_or_else(bad)?;
            let us = (parse_time(t).ok_or_else(bad)? - off * 1_000_000).rem_euclid(86_400_000_000);
            Value::String(format!("{}Z", iso_time(us)))
        }
        oid::INTERVAL => Value::Int64(parse_interval(text).ok_or_else(bad)? as i64),
        oid::DATE => match text {
            "infinity" | "-infinity" => Value::Null,
            _ => Value::Int32(parse_date(text).ok_or_else(bad)? as i32),
        },
        oid::TIME => {
            let us = if text == "24:00:00" {
                86_400_000_000
            } else {
                parse_time(text).ok_or_else(bad)?
            };
            match conv.time {
                TimePrecision::Connect => Value::Int32((us / 1000) as i32),
                TimePrecision::Adaptive if time_precision(col.type_modifier) <= 3 => {
                    Value::Int32((us / 1000) as i32)
                }
                _ => Value::Int64(us),
            }
        }
        oid::TIMESTAMP => {
            let us = match text {
                "infinity" => POSITIVE_INFINITY_MICROS,
                "-infinity" => NEGATIVE_INFINITY_MICROS,
                _ => parse_timestamp(text, false).ok_or_else(bad)?,
            };
            if conv.time == TimePrecision::Connect || time_precision(col.type_modifier) <= 3 {
                Value::Int64(us.div_euclid(1000))
            } else {
                Value::Int64(us)
            }
        }
        _ => Value::String(text.to_string()),
    })
}

/// The value Debezium substitutes for a missing value of a NOT NULL column (e.g. the non-key columns of a
/// REPLICA IDENTITY DEFAULT delete): zero, false, the empty string, the epoch.
pub fn fallback(conv: &Conversion, col: &ColumnType) -> Value {
    let schema = column_schema(conv, col);
    match schema.schema_type {
        SchemaType::Int8 => Value::Int8(0),
        SchemaType::Int16 => Value::Int16(0),
        SchemaType::Int32 => Value::Int32(0),
        SchemaType::Int64 => Value::Int64(0),
        SchemaType::Float32 => Value::Float32(0.0),
        SchemaType::Float64 => Value::Float64(0.0),
        SchemaType::Boolean => Value::Boolean(false),
        SchemaType::String if schema.name.as_deref() == Some(ZONED_TIMESTAMP) => {
            Value::String("1970-01-01T00:00:00Z".into())
        }
        SchemaType::String if schema.name.as_deref() == Some(ZONED_TIME) => {
            Value::String("00:00:00Z".into())
        }
        SchemaType::String => Value::String(String::new()),
        SchemaType::Bytes if schema.name.as_deref() == Some(logical::DECIMAL) => {
            Value::Bytes(vec![0].into())
        }
        SchemaType::Bytes => Value::Bytes(Vec::new().into()),
        SchemaType::Struct => {
            let mut s = match Struct::new(variable_scale_decimal_schema().build()) {
                Ok(s) => s,
                Err(_) => return Value::Null,
            };
            s.put_unchecked(0, Value::Int32(0));
            s.put_unchecked(1, Value::Bytes(vec![0].into()));
            Value::Struct(s)
        }
        SchemaType::Array | SchemaType::Map => Value::Null,
    }
}

/// The placeholder Debezium puts in a column whose unchanged TOAST value the server did not send.
pub fn unavailable(conv: &Conversion, col: &ColumnType) -> Value {
    match col.type_oid {
        oid::BYTEA if conv.binary == BinaryMode::Bytes => {
            Value::Bytes(conv.placeholder.clone().into_bytes().into())
        }
        oid::TEXT | oid::VARCHAR | oid::BPCHAR | oid::JSON | oid::JSONB | oid::XML | oid::BYTEA => {
            Value::String(conv.placeholder.clone())
        }
        oid::NUMERIC if conv.decimal == DecimalMode::String => {
            Value::String(conv.placeholder.clone())
        }
        oid::NUMERIC
        | oid::INT2
        | oid::INT4
        | oid::INT8
        | oid::BOOL
        | oid::FLOAT4
        | oid::FLOAT8
        | oid::DATE
        | oid::TIME
        | oid::TIMESTAMP
        | oid::INTERVAL
        | oid::OID
        | oid::MONEY => Value::Null,
        _ => Value::String(conv.placeholder.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conv() -> Conversion {
        Conversion {
            decimal: DecimalMode::Precise,
            time: TimePrecision::Adaptive,
            binary: BinaryMode::Bytes,
            placeholder: "__debezium_unavailable_value".into(),
        }
    }
    fn col(type_oid: u32, type_modifier: i32) -> ColumnType {
        ColumnType {
            name: "c".into(),
            type_oid,
            type_modifier,
            optional: true,
        }
    }

    #[test]
    fn schemas_follow_debezium_names() {
        let c = conv();
        let s = column_schema(&c, &col(oid::NUMERIC, ((10 << 16) | 2) + 4));
        assert_eq!(
            s.name.as_deref(),
            Some("org.apache.kafka.connect.data.Decimal")
        );
        assert_eq!(s.parameter("scale"), Some("2"));
        assert_eq!(s.parameter("connect.decimal.precision"), Some("10"));
        assert!(s.optional);
        let s = column_schema(&c, &col(oid::NUMERIC, -1));
        assert_eq!(
            s.name.as_deref(),
            Some("io.debezium.data.VariableScaleDecimal")
        );
        assert_eq!(
            column_schema(&c, &col(oid::TIMESTAMP, -1)).name.as_deref(),
            Some("io.debezium.time.MicroTimestamp")
        );
        assert_eq!(
            column_schema(&c, &col(oid::TIMESTAMP, 3)).name.as_deref(),
            Some("io.debezium.time.Timestamp")
        );
        assert_eq!(
            column_schema(&c, &col(oid::TIME, 2)).name.as_deref(),
            Some("io.debezium.time.Time")
        );
        assert_eq!(
            column_schema(&c, &col(oid::DATE, -1)).name.as_deref(),
            Some("io.debezium.time.Date")
        );
        assert_eq!(
            column_schema(&c, &col(oid::JSONB, -1)).name.as_deref(),
            Some("io.debezium.data.Json")
        );
        let mut cc = c.clone();
        cc.time = TimePrecision::Connect;
        assert_eq!(
            column_schema(&cc, &col(oid::TIMESTAMP, -1)).name.as_deref(),
            Some("org.apache.kafka.connect.data.Timestamp")
        );
    }

    #[test]
    fn converts_text_values() {
        let c = conv();
        assert_eq!(
            convert(&c, &col(oid::INT4, -1), "42").unwrap(),
            Value::Int32(42)
        );
        assert_eq!(
            convert(&c, &col(oid::BOOL, -1), "t").unwrap(),
            Value::Boolean(true)
        );
        assert_eq!(
            convert(&c, &col(oid::NUMERIC, ((10 << 16) | 2) + 4), "1.56").unwrap(),
            Value::Bytes(vec![0x00, 0x9c].into())
        );
        assert_eq!(
            convert(&c, &col(oid::DATE, -1), "2019-01-02").unwrap(),
            Value::Int32(17898)
        );
        assert_eq!(
            convert(&c, &col(oid::TIMESTAMP, -1), "2019-01-02 03:04:05.5").unwrap(),
            Value::Int64(1_546_398_245_500_000)
        );
        assert_eq!(
            convert(&c, &col(oid::TIMESTAMPTZ, -1), "2019-01-02 05:04:05.25+02").unwrap(),
            Value::String("2019-01-02T03:04:05.25Z".into())
        );
        assert_eq!(
            convert(&c, &col(oid::TIME, -1), "01:00:00.000001").unwrap(),
            Value::Int64(3_600_000_001)
        );
        assert_eq!(
            convert(&c, &col(oid::BYTEA, -1), "\\x01ff").unwrap(),
            Value::Bytes(vec![1, 255].into())
        );
        assert_eq!(
            convert(&c, &col(oid::INTERVAL, -1), "1 day 01:00:00").unwrap(),
            Value::Int64(90_000_000_000)
        );
        assert_eq!(civil_from_days(17898), (2019, 1, 2));
        assert_eq!(iso_instant(0), "1970-01-01T00:00:00Z");
    }
}
