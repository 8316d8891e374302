//! `TimestampConverter$Key` / `$Value`: converts between unix numbers, strings, Date, Time and Timestamp (UTC).

use connect_api::config::{ConfigDef, ConfigType, Importance};
use connect_api::connector::Config;
use connect_api::data::logical::{self, MILLIS_PER_DAY};
use connect_api::data::{schemas, Schema, SchemaRef, SchemaType, Struct, Value};
use connect_api::transform::Transformation;
use connect_api::{ConnectError, ConnectRecord, ConnectResult};

use crate::util::config as cfg;
use crate::util::date_format::DateFormat;
use crate::util::java::{class_name, class_string};
use crate::util::requirements::{into_map, into_struct};
use crate::util::schema::{field_value, put_fitting, struct_like, SchemaCache};
use crate::util::{map, Side};

pub const FIELD_CONFIG: &str = "field";
pub const TARGET_TYPE_CONFIG: &str = "target.type";
pub const FORMAT_CONFIG: &str = "format";
pub const UNIX_PRECISION_CONFIG: &str = "unix.precision";
const PURPOSE: &str = "converting timestamp formats";

pub fn config_def() -> ConfigDef {
    cfg::with_replace_null_with_default(
        ConfigDef::new()
            .define(
                FIELD_CONFIG,
                ConfigType::String,
                Importance::High,
                "The field containing the timestamp, or empty if the entire value is a timestamp",
            )
            .default_value("")
            .define(
                TARGET_TYPE_CONFIG,
                ConfigType::String,
                Importance::High,
                "The desired timestamp representation: string, unix, Date, Time, or Timestamp",
            )
            .one_of(&["string", "unix", "Date", "Time", "Timestamp"])
            .define(
                FORMAT_CONFIG,
                ConfigType::String,
                Importance::Medium,
                "A SimpleDateFormat-compatible format for the timestamp. Used to generate the output when \
                 type=string or used to parse the input if the input is a string.",
            )
            .default_value("")
            .define(
                UNIX_PRECISION_CONFIG,
                ConfigType::String,
                Importance::Low,
                "The desired Unix precision for the timestamp: seconds, milliseconds, microseconds, or \
                 nanoseconds. Used to generate the output when type=unix or used to parse the input if the input \
                 is a Long.Note: This SMT will cause precision loss during conversions from, and to, values with \
                 sub-millisecond components.",
            )
            .default_value("milliseconds")
            .one_of(&["nanoseconds", "microseconds", "milliseconds", "seconds"])
            .add(),
    )
}

/// The timestamp representations this SMT converts between.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimestampType {
    String,
    Unix,
    Date,
    Time,
    Timestamp,
}

impl TimestampType {
    fn from_config(name: &str) -> Option<Self> {
        Some(match name {
            "string" => Self::String,
            "unix" => Self::Unix,
            "Date" => Self::Date,
            "Time" => Self::Time,
            "Timestamp" => Self::Timestamp,
            _ => return None,
        })
    }

    /// The schema of this representation.
    fn schema(self, optional: bool) -> SchemaRef {
        match (self, optional) {
            (Self::String, false) => schemas::string(),
            (Self::String, true) => schemas::optional_string(),
            (Self::Unix, false) => schemas::int64(),
            (Self::Unix, true) => schemas::optional_int64(),
            (Self::Date, o) => optional_if(logical::date_builder(), o),
            (Self::Time, o) => optional_if(logical::time_builder(), o),
            (Self::Timestamp, o) => optional_if(logical::timestamp_builder(), o),
        }
    }

    /// Kafka's `timestampTypeFromSchema`.
    fn from_schema(schema: &Schema) -> ConnectResult<Self> {
        Ok(match (schema.name.as_deref(), schema.schema_type) {
            (Some(logical::TIMESTAMP), _) => Self::Timestamp,
            (Some(logical::DATE), _) => Self::Date,
            (Some(logical::TIME), _) => Self::Time,
            (_, SchemaType::String) => Self::String,
            (_, SchemaType::Int64) => Self::Unix,
            _ => {
                return Err(ConnectError::connect(format!(
                    "Schema {} does not correspond to a known timestamp type format",
                    describe(schema)
                )))
            }
        })
    }

    /// Kafka's `inferTimestampType` for schemaless values (logical values arrive as their physical numbers, so
    /// a Long is read as `unix`).
    fn infer(value: &Value) -> ConnectResult<Self> {
        match value {
            Value::Int64(_) => Ok(Self::Unix),
            Value::String(_) => Ok(Self::String),
            other => Err(ConnectError::data(format!(
                "TimestampConverter does not support {} objects as timestamps",
                class_string(class_name(other))
            ))),
        }
    }
}

fn optional_if(builder: connect_api::data::SchemaBuilder, optional: bool) -> SchemaRef {
    if optional {
        builder.optional().build()
    } else {
        builder.build()
    }
}

fn describe(schema: &Schema) -> String {
    format!(
        "Schema{{{}:{}}}",
        schema.name.as_deref().unwrap_or(""),
        schema.schema_type
    )
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Precision {
    Seconds,
    Milliseconds,
    Microseconds,
    Nanoseconds,
}

/// Converts timestamps between representations.
#[derive(Debug)]
pub struct TimestampConverter {
    side: Side,
    field: String,
    target: TimestampType,
    format: Option<DateFormat>,
    precision: Precision,
    replace_null_with_default: bool,
    cache: SchemaCache,
}

impl TimestampConverter {
    pub fn new(side: Side) -> Self {
        TimestampConverter {
            side,
            field: String::new(),
            target: TimestampType::Timestamp,
            format: None,
            precision: Precision::Milliseconds,
            replace_null_with_default: true,
            cache: SchemaCache::new(),
        }
    }

    /// Epoch milliseconds of `value` in representation `source`.
    fn to_raw(&self, source: TimestampType, value: &Value) -> ConnectResult<i64> {
        let found = || class_string(class_name(value));
        match (source, value) {
            (TimestampType::String, Value::String(text)) => {
                let format = self.format.as_ref().ok_or_else(|| {
                    ConnectError::data(
                        "TimestampConverter requires format option to be specified when using string timestamps",
                    )
                })?;
                format.parse(text).ok_or_else(|| {
                    ConnectError::data(format!(
                        "Could not parse timestamp: value ({text}) does not match pattern ({})",
                        format.pattern()
                    ))
                })
            }
            (TimestampType::String, _) => Err(ConnectError::data(format!(
                "Expected string timestamp to be a String, but found {}",
                found()
            ))),
            (TimestampType::Unix, Value::Int64(v)) => Ok(match self.precision {
                Precision::Seconds => v.saturating_mul(1000),
                Precision::Milliseconds => *v,
                Precision::Microseconds => v / 1000,
                Precision::Nanoseconds => v / 1_000_000,
            }),
            (TimestampType::Unix, _) => Err(ConnectError::data(format!(
                "Expected Unix timestamp to be a Long, but found {}",
                found()
            ))),
            (TimestampType::Date, Value::Int32(days)) => Ok(i64::from(*days) * MILLIS_PER_DAY),
            (TimestampType::Time, Value::Int32(millis)) => Ok(i64::from(*millis)),
            (TimestampType::Timestamp, Value::Int64(millis)) => Ok(*millis),
            (kind, _) => Err(ConnectError::data(format!(
                "Expected {kind:?} to be a java.util.Date, but found {}",
                found()
            ))),
        }
    }

    /// `millis` in the target representation.
    fn to_target(&self, millis: i64) -> ConnectResult<Value> {
        Ok(match self.target {
            TimestampType::String => Value::String(
                self.format
                    .as_ref()
                    .map(|f| f.format(millis))
                    .unwrap_or_default(),
            ),
            TimestampType::Unix => Value::Int64(match self.precision {
                Precision::Seconds => millis / 1000,
                Precision::Milliseconds => millis,
                Precision::Microseconds => millis.saturating_mul(1000),
                Precision::Nanoseconds => millis.saturating_mul(1_000_000),
            }),
            TimestampType::Date => {
                let days = millis.div_euclid(MILLIS_PER_DAY);
                Value::Int32(i32::try_from(days).map_err(|_| {
                    ConnectError::data(format!(
                        "Timestamp {millis} is out of range for the Date type"
                    ))
                })?)
            }
            TimestampType::Time => Value::Int32(millis.rem_euclid(MILLIS_PER_DAY) as i32),
            TimestampType::Timestamp => Value::Int64(millis),
        })
    }

    /// Kafka's `convertTimestamp`: `source` is None for schemaless values (inferred from the value).
    fn convert(&self, value: &Value, source: Option<TimestampType>) -> ConnectResult<Value> {
        if value.is_null() {
            return Ok(Value::Null);
        }
        let source = match source {
            Some(s) => s,
            None => TimestampType::infer(value)?,
        };
        self.to_target(self.to_raw(source, value)?)
    }

    fn build_struct_schema(&self, schema: &Schema) -> ConnectResult<SchemaRef> {
        let mut builder = struct_like(schema);
        for field in &schema.fields {
            let field_schema = if field.name == self.field {
                self.target.schema(field.schema.optional)
            } else {
                field.schema.clone()
            };
            builder = builder.field(field.name.clone(), field_schema)?;
        }
        if schema.optional {
            builder = builder.optional();
        }
        if let Some(Value::Struct(default)) = &schema.default_value {
            let without_default = builder.clone().build();
            let converted = self.convert_struct(default, &without_default)?;
            builder = builder.default_value(Value::Struct(converted))?;
        }
        Ok(builder.build())
    }

    fn convert_struct(&self, value: &Struct, updated: &SchemaRef) -> ConnectResult<Struct> {
        let mut out = Struct::new(updated.clone())?;
        for (field, target) in value.schema().fields.iter().zip(&updated.fields) {
            let v = field_value(value, field, self.replace_null_with_default);
            if field.name == self.field {
                let converted =
                    self.convert(v, Some(TimestampType::from_schema(&field.schema)?))?;
                put_fitting(
                    &mut out,
                    field.index,
                    &field.name,
                    &target.schema,
                    converted,
                )?;
            } else {
                out.put_unchecked(field.index, v.clone());
            }
        }
        Ok(out)
    }
}

impl Transformation for TimestampConverter {
    fn configure(&mut self, config: &Config) -> ConnectResult<()> {
        let parsed = cfg::parse(&config_def(), config)?;
        self.field = parsed.string(FIELD_CONFIG).unwrap_or_default().to_string();
        self.target = parsed
            .string(TARGET_TYPE_CONFIG)
            .and_then(TimestampType::from_config)
            .unwrap_or(TimestampType::Timestamp);
        let pattern = parsed.string(FORMAT_CONFIG).unwrap_or_default();
        if self.target == TimestampType::String && pattern.trim().is_empty() {
            return Err(ConnectError::config(
                "TimestampConverter requires format option to be specified when using string timestamps",
            ));
        }
        self.format = if pattern.trim().is_empty() {
            None
        } else {
            Some(DateFormat::new(pattern).map_err(|_| {
                ConnectError::config(format!(
                    "TimestampConverter requires a SimpleDateFormat-compatible pattern for string timestamps: \
                     {pattern}"
                ))
            })?)
        };
        self.precision = match parsed.string(UNIX_PRECISION_CONFIG) {
            Some("seconds") => Precision::Seconds,
            Some("microseconds") => Precision::Microseconds,
            Some("nanoseconds") => Precision::Nanoseconds,
            _ => Precision::Milliseconds,
        };
        self.replace_null_with_default = cfg::replace_null_with_default(&parsed);
        self.cache = SchemaCache::new();
        Ok(())
    }

    fn apply(&mut self, mut record: ConnectRecord) -> ConnectResult<Option<ConnectRecord>> {
        let (schema, value) = self.side.take(&mut record);
        let (schema, value) = match schema {
            None if value.is_null() || self.field.is_empty() => (None, self.convert(&value, None)?),
            None => {
                let mut entries = into_map(value, PURPOSE)?;
                let converted = self.convert(
                    map::get(&entries, &self.field).unwrap_or(&Value::Null),
                    None,
                )?;
                map::put(&mut entries, &self.field, converted);
                (None, Value::Map(entries))
            }
            Some(schema) if self.field.is_empty() => {
                let converted = self.convert(&value, Some(TimestampType::from_schema(&schema)?))?;
                (Some(self.target.schema(schema.optional)), converted)
            }
            Some(schema) => {
                let updated = self
                    .cache
                    .get_or_try_insert(&schema, |s| self.build_struct_schema(s))?;
                let value = match value {
                    Value::Null => Value::Null,
                    other => {
                        Value::Struct(self.convert_struct(&into_struct(other, PURPOSE)?, &updated)?)
                    }
                };
                (Some(updated), value)
            }
        };
        self.side.set(&mut record, schema, value);
        Ok(Some(record))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::testing::*;
    use connect_api::data::SchemaBuilder;

    // Facts from Kafka's TimestampConverterTest: 1970-01-02T00:00:01.234Z.
    const DATE_PLUS_TIME_UNIX: i64 = 86_401_234;
    const DATE_PLUS_TIME_UNIX_MICROS: i64 = DATE_PLUS_TIME_UNIX * 1000 + 123;
    const DATE_PLUS_TIME_UNIX_NANOS: i64 = DATE_PLUS_TIME_UNIX_MICROS * 1000 + 456;
    const DATE_PLUS_TIME_UNIX_SECONDS: i64 = 86_401;
    const DATE_DAYS: i32 = 1;
    const TIME_MILLIS: i32 = 1234;
    const STRING_DATE_FMT: &str = "yyyy MM dd HH mm ss SSS z";
    const DATE_PLUS_TIME_STRING: &str = "1970 01 02 00 00 01 234 UTC";

    fn xform(pairs: &[(&str, &str)]) -> TimestampConverter {
        configured(TimestampConverter::new(Side::Value), pairs)
    }

    fn target(t: &str) -> TimestampConverter {
        xform(&[(TARGET_TYPE_CONFIG, t)])
    }

    fn timestamp() -> SchemaRef {
        logical::timestamp_builder().build()
    }

    #[test]
    fn config_errors() {
        let err = |pairs: &[(&str, &str)]| {
            config_error(TimestampConverter::new(Side::Value), pairs).to_string()
        };
        assert!(err(&[]).contains("\"target.type\""));
        assert_eq!(
            err(&[(TARGET_TYPE_CONFIG, "invalid")]),
            "Invalid value invalid for configuration target.type: String must be one of: string, unix, Date, \
             Time, Timestamp"
        );
        assert!(err(&[
            (TARGET_TYPE_CONFIG, "unix"),
            (UNIX_PRECISION_CONFIG, "invalid")
        ])
        .contains("unix.precision"));
        assert_eq!(
            err(&[(TARGET_TYPE_CONFIG, "string")]),
            "TimestampConverter requires format option to be specified when using string timestamps"
        );
        assert_eq!(
            err(&[(TARGET_TYPE_CONFIG, "string"), (FORMAT_CONFIG, "bad-format")]),
            "TimestampConverter requires a SimpleDateFormat-compatible pattern for string timestamps: bad-format"
        );
        xform(&[
            (TARGET_TYPE_CONFIG, "unix"),
            (UNIX_PRECISION_CONFIG, "seconds"),
        ]);
    }

    #[test]
    fn schemaless_conversions() {
        let ts = Value::Int64(DATE_PLUS_TIME_UNIX);
        let out = apply(&mut target("Timestamp"), record(None, ts.clone()));
        assert_eq!((out.value_schema, out.value), (None, ts.clone()));
        assert_eq!(
            apply(&mut target("Date"), record(None, ts.clone())).value,
            Value::Int32(DATE_DAYS)
        );
        assert_eq!(
            apply(&mut target("Time"), record(None, ts.clone())).value,
            Value::Int32(TIME_MILLIS)
        );
        assert_eq!(
            apply(&mut target("unix"), record(None, ts.clone())).value,
            ts
        );
        let mut t = xform(&[
            (TARGET_TYPE_CONFIG, "string"),
            (FORMAT_CONFIG, STRING_DATE_FMT),
        ]);
        assert_eq!(
            apply(&mut t, record(None, ts.clone())).value,
            s(DATE_PLUS_TIME_STRING)
        );
        let mut t = xform(&[
            (TARGET_TYPE_CONFIG, "Timestamp"),
            (FORMAT_CONFIG, STRING_DATE_FMT),
        ]);
        assert_eq!(
            apply(&mut t, record(None, s(DATE_PLUS_TIME_STRING))).value,
            ts
        );
    }

    #[test]
    fn with_schema_from_timestamp() {
        let ts = || record(Some(timestamp()), Value::Int64(DATE_PLUS_TIME_UNIX));
        let out = apply(&mut target("Timestamp"), ts());
        assert_eq!(out.value_schema, Some(timestamp()));
        assert_eq!(out.value, Value::Int64(DATE_PLUS_TIME_UNIX));
        let out = apply(&mut target("Date"), ts());
        assert_eq!(out.value_schema, Some(logical::date_builder().build()));
        assert_eq!(out.value, Value::Int32(DATE_DAYS));
        let out = apply(&mut target("Time"), ts());
        assert_eq!(out.value_schema, Some(logical::time_builder().build()));
        assert_eq!(out.value, Value::Int32(TIME_MILLIS));
        let out = apply(&mut target("unix"), ts());
        assert_eq!(out.value_schema, Some(schemas::int64()));
        assert_eq!(out.value, Value::Int64(DATE_PLUS_TIME_UNIX));
        let mut t = xform(&[
            (TARGET_TYPE_CONFIG, "string"),
            (FORMAT_CONFIG, STRING_DATE_FMT),
        ]);
        let out = apply(&mut t, ts());
        assert_eq!(out.value_schema, Some(schemas::string()));
        assert_eq!(out.value, s(DATE_PLUS_TIME_STRING));
    }

    #[test]
    fn with_schema_to_timestamp() {
        let expect = |schema: SchemaRef, v: Value, millis: i64| {
            let out = apply(
                &mut xform(&[
                    (TARGET_TYPE_CONFIG, "Timestamp"),
                    (FORMAT_CONFIG, STRING_DATE_FMT),
                ]),
                record(Some(schema), v),
            );
            assert_eq!(out.value_schema, Some(timestamp()));
            assert_eq!(out.value, Value::Int64(millis));
        };
        expect(
            logical::date_builder().build(),
            Value::Int32(DATE_DAYS),
            MILLIS_PER_DAY,
        );
        expect(
            logical::time_builder().build(),
            Value::Int32(TIME_MILLIS),
            1234,
        );
        expect(
            schemas::int64(),
            Value::Int64(DATE_PLUS_TIME_UNIX),
            DATE_PLUS_TIME_UNIX,
        );
        expect(
            schemas::string(),
            s(DATE_PLUS_TIME_STRING),
            DATE_PLUS_TIME_UNIX,
        );
    }

    #[test]
    fn null_values_and_fields() {
        let optional = |b: connect_api::data::SchemaBuilder| b.optional().build();
        let sources = [
            schemas::optional_int64(),
            optional(logical::time_builder()),
            optional(logical::date_builder()),
            schemas::optional_string(),
            optional(logical::timestamp_builder()),
        ];
        for (target_type, expected) in [
            ("Timestamp", optional(logical::timestamp_builder())),
            ("unix", schemas::optional_int64()),
            ("Time", optional(logical::time_builder())),
            ("Date", optional(logical::date_builder())),
            ("string", schemas::optional_string()),
        ] {
            for source in &sources {
                let mut t = xform(&[
                    (TARGET_TYPE_CONFIG, target_type),
                    (FORMAT_CONFIG, STRING_DATE_FMT),
                ]);
                let out = apply(&mut t, record(Some(source.clone()), Value::Null));
                assert_eq!(out.value_schema, Some(expected.clone()));
                assert_eq!(out.value, Value::Null);

                let mut t = xform(&[
                    (TARGET_TYPE_CONFIG, target_type),
                    (FORMAT_CONFIG, STRING_DATE_FMT),
                    (FIELD_CONFIG, "ts"),
                ]);
                let builder = SchemaBuilder::struct_()
                    .with_field("ts", source.clone())
                    .with_field("other", schemas::string());
                let expected_struct = SchemaBuilder::struct_()
                    .with_field("ts", expected.clone())
                    .with_field("other", schemas::string());
                let value = Struct::new(builder.clone().build())
                    .unwrap()
                    .with("other", "test")
                    .unwrap();
                let out = apply(
                    &mut t,
                    record(Some(builder.clone().build()), Value::Struct(value)),
                );
                assert_eq!(out.value_schema, Some(expected_struct.clone().build()));
                assert_eq!(out.value.as_struct().unwrap().get("ts"), Some(&Value::Null));
                let out = apply(
                    &mut t,
                    record(Some(builder.optional().build()), Value::Null),
                );
                assert_eq!(out.value_schema, Some(expected_struct.optional().build()));
                assert_eq!(out.value, Value::Null);

                // Schemaless nulls.
                let out = apply(&mut t, record(None, Value::Null));
                assert_eq!((out.value_schema, out.value), (None, Value::Null));
            }
        }
    }

    #[test]
    fn field_conversions() {
        let mut t = xform(&[(TARGET_TYPE_CONFIG, "Date"), (FIELD_CONFIG, "ts")]);
        let out = apply(
            &mut t,
            record(None, map(&[("ts", Value::Int64(DATE_PLUS_TIME_UNIX))])),
        );
        assert_eq!(out.value, map(&[("ts", Value::Int32(DATE_DAYS))]));

        for (precision, raw, expected) in [
            ("milliseconds", DATE_PLUS_TIME_UNIX, DATE_PLUS_TIME_UNIX),
            (
                "microseconds",
                DATE_PLUS_TIME_UNIX_MICROS,
                DATE_PLUS_TIME_UNIX,
            ),
            (
                "nanoseconds",
                DATE_PLUS_TIME_UNIX_NANOS,
                DATE_PLUS_TIME_UNIX,
            ),
            ("seconds", DATE_PLUS_TIME_UNIX_SECONDS, 86_401_000),
        ] {
            let mut t = xform(&[
                (TARGET_TYPE_CONFIG, "Timestamp"),
                (FIELD_CONFIG, "ts"),
                (UNIX_PRECISION_CONFIG, precision),
            ]);
            let schema = SchemaBuilder::struct_()
                .with_field("ts", schemas::int64())
                .with_field("other", schemas::string())
                .build();
            let value = Struct::new(schema.clone())
                .unwrap()
                .with("ts", raw)
                .unwrap()
                .with("other", "test")
                .unwrap();
            let out = apply(&mut t, record(Some(schema), Value::Struct(value)));
            let expected_schema = SchemaBuilder::struct_()
                .with_field("ts", timestamp())
                .with_field("other", schemas::string())
                .build();
            assert_eq!(out.value_schema, Some(expected_schema));
            let v = out.value.as_struct().unwrap();
            assert_eq!(v.get("ts"), Some(&Value::Int64(expected)), "{precision}");
            assert_eq!(v.get("other"), Some(&s("test")));
        }
    }

    #[test]
    fn string_to_unix_with_precisions() {
        for (precision, expected) in [
            ("microseconds", 86_401_234_000),
            ("nanoseconds", 86_401_234_000_000),
            ("seconds", DATE_PLUS_TIME_UNIX_SECONDS),
        ] {
            let mut t = xform(&[
                (TARGET_TYPE_CONFIG, "unix"),
                (UNIX_PRECISION_CONFIG, precision),
                (FORMAT_CONFIG, STRING_DATE_FMT),
            ]);
            assert_eq!(
                apply(&mut t, record(None, s(DATE_PLUS_TIME_STRING))).value,
                Value::Int64(expected)
            );
        }
    }

    #[test]
    fn key_and_errors() {
        let mut t = configured(
            TimestampConverter::new(Side::Key),
            &[(TARGET_TYPE_CONFIG, "Timestamp")],
        );
        let out = apply(&mut t, keyed(None, Value::Int64(DATE_PLUS_TIME_UNIX)));
        assert_eq!(
            (out.key_schema, out.key),
            (None, Value::Int64(DATE_PLUS_TIME_UNIX))
        );

        let err = target("Timestamp")
            .apply(record(None, Value::Int32(1)))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "TimestampConverter does not support class java.lang.Integer objects as timestamps"
        );
        let mut t = xform(&[(TARGET_TYPE_CONFIG, "unix"), (FORMAT_CONFIG, "yyyy-MM-dd")]);
        let err = t.apply(record(None, s("nope"))).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Could not parse timestamp: value (nope) does not match pattern (yyyy-MM-dd)"
        );
        let err = target("unix")
            .apply(record(Some(schemas::int32()), Value::Int32(1)))
            .unwrap_err();
        assert!(err
            .to_string()
            .contains("does not correspond to a known timestamp type format"));
    }
}
