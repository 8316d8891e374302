//! Java's `Object.toString()` of Connect values, which is what `StringConverter` writes: `Struct{a=1}`, `[1, 2]`,
//! `{k=v}`, `Double.toString`, `BigDecimal.toString` and `java.util.Date.toString` (in UTC).

use base64::Engine;
use connect_api::data::logical::{self, MILLIS_PER_DAY};
use connect_api::data::values::{decimal_to_string, java_double_to_string, java_float_to_string};
use connect_api::data::{Schema, Value};

/// The text Java would print for this value (bytes, which Java prints as an object id, are base64 here).
pub(crate) fn to_java_string(schema: Option<&Schema>, value: &Value) -> String {
    let mut out = String::new();
    append(&mut out, schema, value);
    out
}

fn append(out: &mut String, schema: Option<&Schema>, value: &Value) {
    if let Some(text) = schema.and_then(|s| logical_text(s, value)) {
        out.push_str(&text);
        return;
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
        Value::String(s) => out.push_str(s),
        Value::Bytes(b) => out.push_str(&base64::engine::general_purpose::STANDARD.encode(b)),
        Value::Array(items) => {
            let element = schema.and_then(|s| s.value_schema.as_deref());
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                append(out, element, item);
            }
            out.push(']');
        }
        Value::Map(entries) => {
            let keys = schema.and_then(|s| s.key_schema.as_deref());
            let values = schema.and_then(|s| s.value_schema.as_deref());
            out.push('{');
            for (i, (k, v)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                append(out, keys, k);
                out.push('=');
                append(out, values, v);
            }
            out.push('}');
        }
        Value::Struct(s) => {
            out.push_str("Struct{");
            let mut first = true;
            for (field, v) in s.iter() {
                if v.is_null() {
                    continue;
                }
                if !first {
                    out.push(',');
                }
                first = false;
                out.push_str(&field.name);
                out.push('=');
                append(out, Some(&field.schema), v);
            }
            out.push('}');
        }
    }
}

fn logical_text(schema: &Schema, value: &Value) -> Option<String> {
    match (schema.name.as_deref()?, value) {
        (logical::DECIMAL, Value::Bytes(b)) => {
            let scale = schema.parameter(logical::SCALE)?.parse().ok()?;
            Some(decimal_to_string(b, scale))
        }
        (logical::DATE, Value::Int32(days)) => Some(java_date(i64::from(*days) * MILLIS_PER_DAY)),
        (logical::TIME, Value::Int32(millis)) => Some(java_date(i64::from(*millis))),
        (logical::TIMESTAMP, Value::Int64(millis)) => Some(java_date(*millis)),
        _ => None,
    }
}

const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// `java.util.Date.toString()` in UTC: `EEE MMM dd HH:mm:ss zzz yyyy`.
fn java_date(millis: i64) -> String {
    let days = millis.div_euclid(MILLIS_PER_DAY);
    let ms = millis.rem_euclid(MILLIS_PER_DAY);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{} {} {day:02} {:02}:{:02}:{:02} UTC {year}",
        DAYS[days.rem_euclid(7) as usize],
        MONTHS[(month - 1) as usize],
        ms / 3_600_000,
        ms / 60_000 % 60,
        ms / 1000 % 60
    )
}

/// Year, month and day of a day count since 1970-01-01 (proleptic Gregorian).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use connect_api::data::{schemas, SchemaBuilder, Struct};

    #[test]
    fn prints_like_java_to_string() {
        assert_eq!(to_java_string(None, &Value::Float64(1.0)), "1.0");
        assert_eq!(
            to_java_string(None, &Value::Array(vec![Value::Int32(1), Value::Null])),
            "[1, null]"
        );
        assert_eq!(
            to_java_string(None, &Value::Map(vec![("k".into(), Value::Boolean(true))])),
            "{k=true}"
        );
        let schema = SchemaBuilder::struct_()
            .with_field("a", schemas::int32())
            .with_field("b", schemas::optional_string())
            .with_field("c", schemas::string())
            .build();
        let s = Struct::new(schema)
            .unwrap()
            .with("a", 1)
            .unwrap()
            .with("c", "x")
            .unwrap();
        assert_eq!(to_java_string(None, &Value::Struct(s)), "Struct{a=1,c=x}");
        let ts = logical::timestamp_builder().build();
        assert_eq!(
            to_java_string(Some(&ts), &Value::Int64(1_566_570_894_346)),
            "Fri Aug 23 14:34:54 UTC 2019"
        );
        let date = logical::date_builder().build();
        assert_eq!(
            to_java_string(Some(&date), &Value::Int32(0)),
            "Thu Jan 01 00:00:00 UTC 1970"
        );
    }
}
