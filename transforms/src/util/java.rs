//! Java-compatible text: class names in Kafka's error messages, number/decimal `toString`, ISO date formats.

use connect_api::data::logical;
use connect_api::data::{Schema, Value};

use super::date_format::DateFormat;

/// The Java class of a Connect value, as `value.getClass().getName()` would print it.
pub fn class_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Boolean(_) => "java.lang.Boolean",
        Value::Int8(_) => "java.lang.Byte",
        Value::Int16(_) => "java.lang.Short",
        Value::Int32(_) => "java.lang.Integer",
        Value::Int64(_) => "java.lang.Long",
        Value::Float32(_) => "java.lang.Float",
        Value::Float64(_) => "java.lang.Double",
        Value::String(_) => "java.lang.String",
        Value::Bytes(_) => "[B",
        Value::Array(_) => "java.util.ArrayList",
        Value::Map(_) => "java.util.HashMap",
        Value::Struct(_) => "org.apache.kafka.connect.data.Struct",
    }
}

/// The Java class of a value whose schema may name a logical type (`java.util.Date`, `java.math.BigDecimal`).
pub fn class_name_with_schema(schema: Option<&Schema>, value: &Value) -> &'static str {
    match schema.and_then(|s| s.name.as_deref()) {
        Some(logical::DATE | logical::TIME | logical::TIMESTAMP) if !value.is_null() => {
            "java.util.Date"
        }
        Some(logical::DECIMAL) if !value.is_null() => "java.math.BigDecimal",
        _ => class_name(value),
    }
}

/// `value.getClass().toString()`: `class java.lang.String`.
pub fn class_string(name: &str) -> String {
    format!("class {name}")
}

/// Java's `Double.toString`.
pub fn double_to_string(v: f64) -> String {
    connect_api::data::values::java_double_to_string(v)
}

/// Java's `Float.toString`.
pub fn float_to_string(v: f32) -> String {
    connect_api::data::values::java_float_to_string(v)
}

/// Java's `BigDecimal.toString()` of a Decimal's unscaled bytes.
pub fn decimal_to_string(unscaled: &[u8], scale: i32) -> String {
    connect_api::data::values::decimal_to_string(unscaled, scale)
}

/// The scale of a Decimal schema (0 when the parameter is missing or bad).
pub fn decimal_scale(schema: &Schema) -> i32 {
    schema
        .parameter(logical::SCALE)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

/// Epoch milliseconds of a Date/Time/Timestamp physical value (`None` for other schemas or values).
pub fn temporal_millis(schema: &Schema, value: &Value) -> Option<i64> {
    match (schema.name.as_deref()?, value) {
        (logical::DATE, Value::Int32(days)) => Some(i64::from(*days) * logical::MILLIS_PER_DAY),
        (logical::TIME, Value::Int32(millis)) => Some(i64::from(*millis)),
        (logical::TIMESTAMP, Value::Int64(millis)) => Some(*millis),
        _ => None,
    }
}

/// Kafka's `Values.dateFormatFor(date).format(date)`: a time (`HH:mm:ss.SSS`) below one day, a date (`yyyy-MM-dd`)
/// on a whole day, otherwise an ISO timestamp (`yyyy-MM-dd'T'HH:mm:ss.SSS'Z'`), all UTC.
pub fn iso_date_text(millis: i64) -> String {
    let pattern = if millis < logical::MILLIS_PER_DAY {
        "HH:mm:ss.SSS"
    } else if millis % logical::MILLIS_PER_DAY == 0 {
        "yyyy-MM-dd"
    } else {
        "yyyy-MM-dd'T'HH:mm:ss.SSS'Z'"
    };
    DateFormat::new(pattern)
        .map(|f| f.format(millis))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_formats_follow_values_date_format_for() {
        assert_eq!(iso_date_text(86_400_000), "1970-01-02");
        assert_eq!(iso_date_text(3_600_000), "01:00:00.000");
        assert_eq!(iso_date_text(86_400_001), "1970-01-02T00:00:00.001Z");
    }
}
