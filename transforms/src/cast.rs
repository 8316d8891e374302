//! `Cast$Key` / `Cast$Value`: casts fields, or the whole key/value, to another primitive type.

use base64::Engine;
use connect_api::config::{ConfigDef, ConfigType, Importance};
use connect_api::connector::Config;
use connect_api::data::logical::{self, BigDecimal};
use connect_api::data::{Schema, SchemaBuilder, SchemaRef, SchemaType, Struct, Value};
use connect_api::transform::Transformation;
use connect_api::{ConnectError, ConnectRecord, ConnectResult};

use crate::util::config::{self as cfg, invalid, java_list, java_split};
use crate::util::java::{self, decimal_scale, temporal_millis};
use crate::util::requirements::{into_map, into_struct};
use crate::util::schema::{copy_basics, field_value, put_fitting, struct_like, SchemaCache};
use crate::util::{map, Side};

pub const SPEC_CONFIG: &str = "spec";
const PURPOSE: &str = "cast types";
const INPUT_TYPES: &str = "[INT8, INT16, INT32, INT64, FLOAT32, FLOAT64, BOOLEAN, STRING, BYTES]";
const OUTPUT_TYPES: &str = "[INT8, INT16, INT32, INT64, FLOAT32, FLOAT64, BOOLEAN, STRING]";

/// The ConfigDef of `Cast$Key` and `Cast$Value`.
pub fn config_def() -> ConfigDef {
    cfg::with_replace_null_with_default(
        ConfigDef::new()
            .define(
                SPEC_CONFIG,
                ConfigType::List,
                Importance::High,
                "List of fields and the type to cast them to of the form field1:type,field2:type to cast fields of \
                 Maps or Structs. A single type to cast the entire value. Valid types are int8, int16, int32, \
                 int64, float32, float64, boolean, and string. Note that binary fields can only be cast to string.",
            )
            .add(),
    )
}

/// Casts fields or the whole key/value to int8..int64, float32/64, boolean or string.
#[derive(Debug)]
pub struct Cast {
    side: Side,
    casts: Vec<(String, SchemaType)>,
    whole: Option<SchemaType>,
    replace_null_with_default: bool,
    cache: SchemaCache,
}

impl Cast {
    pub fn new(side: Side) -> Self {
        Cast {
            side,
            casts: Vec::new(),
            whole: None,
            replace_null_with_default: true,
            cache: SchemaCache::new(),
        }
    }

    fn cast_for(&self, field: &str) -> Option<SchemaType> {
        self.casts.iter().find(|(f, _)| f == field).map(|(_, t)| *t)
    }

    fn build_schema(&self, schema: &Schema) -> ConnectResult<SchemaRef> {
        let mut builder = match self.whole {
            Some(target) => {
                let fresh = SchemaBuilder::new(target);
                // Kafka copies the name of the source schema; a logical-type name would then sit on a type it no
                // longer describes, so those are left off.
                if is_logical(schema) {
                    fresh
                } else {
                    copy_basics(schema, fresh)
                }
            }
            None => {
                let mut builder = struct_like(schema);
                for field in &schema.fields {
                    let field_schema = match self.cast_for(&field.name) {
                        Some(target) => {
                            let mut fb = SchemaBuilder::new(target);
                            if field.schema.optional {
                                fb = fb.optional();
                            }
                            if let Some(default) = &field.schema.default_value {
                                fb = fb.default_value(cast_value(
                                    Some(&field.schema),
                                    default,
                                    target,
                                )?)?;
                            }
                            fb.build()
                        }
                        None => field.schema.clone(),
                    };
                    builder = builder.field(field.name.clone(), field_schema)?;
                }
                builder
            }
        };
        if schema.optional {
            builder = builder.optional();
        }
        if let Some(default) = &schema.default_value {
            let cast_default = match self.whole {
                Some(target) => cast_value(Some(schema), default, target)?,
                None => {
                    let partial = builder.clone().build();
                    Value::Struct(
                        self.cast_struct(into_struct(default.clone(), PURPOSE)?, &partial)?,
                    )
                }
            };
            builder = builder.default_value(cast_default)?;
        }
        Ok(builder.build())
    }

    /// Casts a struct onto `updated`, which has the same fields in the same order.
    fn cast_struct(&self, value: Struct, updated: &SchemaRef) -> ConnectResult<Struct> {
        let mut out = Struct::new(updated.clone())?;
        for (field, target_field) in value.schema().fields.iter().zip(&updated.fields) {
            let original = field_value(&value, field, self.replace_null_with_default);
            match self.cast_for(&field.name) {
                Some(target) => {
                    let cast = cast_value(Some(&field.schema), original, target)?;
                    put_fitting(
                        &mut out,
                        target_field.index,
                        &field.name,
                        &target_field.schema,
                        cast,
                    )?;
                }
                None => out.put_unchecked(target_field.index, original.clone()),
            }
        }
        Ok(out)
    }
}

impl Transformation for Cast {
    fn configure(&mut self, config: &Config) -> ConnectResult<()> {
        let parsed = cfg::parse(&config_def(), config)?;
        let spec = parsed.list(SPEC_CONFIG);
        if spec.is_empty() {
            return Err(ConnectError::config(
                "Must specify at least one field to cast.",
            ));
        }
        let (casts, whole) = parse_field_types(&spec)?;
        self.casts = casts;
        self.whole = whole;
        self.replace_null_with_default = cfg::replace_null_with_default(&parsed);
        self.cache = SchemaCache::new();
        Ok(())
    }

    fn apply(&mut self, mut record: ConnectRecord) -> ConnectResult<Option<ConnectRecord>> {
        if self.side.value(&record).is_null() {
            return Ok(Some(record));
        }
        let (schema, value) = self.side.take(&mut record);
        let (schema, value) = match schema {
            None => match self.whole {
                Some(target) => (None, cast_value(None, &value, target)?),
                None => {
                    let mut entries = into_map(value, PURPOSE)?;
                    for (field, target) in &self.casts {
                        let cast = cast_value(
                            None,
                            map::get(&entries, field).unwrap_or(&Value::Null),
                            *target,
                        )?;
                        map::put(&mut entries, field, cast);
                    }
                    (None, Value::Map(entries))
                }
            },
            Some(schema) => {
                let updated = self
                    .cache
                    .get_or_try_insert(&schema, |s| self.build_schema(s))?;
                let value = match self.whole {
                    Some(target) => cast_value(Some(&schema), &value, target)?,
                    None => {
                        Value::Struct(self.cast_struct(into_struct(value, PURPOSE)?, &updated)?)
                    }
                };
                (Some(updated), value)
            }
        };
        self.side.set(&mut record, schema, value);
        Ok(Some(record))
    }
}

fn is_logical(schema: &Schema) -> bool {
    matches!(
        schema.name.as_deref(),
        Some(logical::DECIMAL | logical::DATE | logical::TIME | logical::TIMESTAMP)
    )
}

/// Parses `spec` into per-field casts or one whole-value cast, with Kafka's errors.
type FieldCasts = (Vec<(String, SchemaType)>, Option<SchemaType>);

fn parse_field_types(spec: &[String]) -> ConnectResult<FieldCasts> {
    let mut casts: Vec<(String, SchemaType)> = Vec::new();
    let mut whole = None;
    for mapping in spec {
        let parts = java_split(mapping, ':');
        match parts.as_slice() {
            [single] => {
                let name = single.trim();
                let target = SchemaType::from_name(name).ok_or_else(|| {
                    ConnectError::config(format!(
                        "No enum constant org.apache.kafka.connect.data.Schema.Type.{}",
                        name.to_uppercase()
                    ))
                })?;
                whole = Some(valid_output(target)?);
            }
            [field, type_name] => {
                let target = SchemaType::from_name(type_name.trim()).ok_or_else(|| {
                    ConnectError::config(format!(
                        "Invalid type found in casting spec: {}",
                        type_name.trim()
                    ))
                })?;
                let target = valid_output(target)?;
                let field = field.trim().to_string();
                match casts.iter_mut().find(|(f, _)| *f == field) {
                    Some(existing) => existing.1 = target,
                    None => casts.push((field, target)),
                }
            }
            _ => {
                return Err(invalid(
                    "renames",
                    &java_list(spec),
                    &format!("Invalid rename mapping: {mapping}"),
                ))
            }
        }
    }
    if whole.is_some() && spec.len() > 1 {
        return Err(ConnectError::config(
            "Cast transformations that specify a type to cast the entire value to may ony specify a single cast \
             in their spec",
        ));
    }
    Ok((casts, whole))
}

fn valid_output(target: SchemaType) -> ConnectResult<SchemaType> {
    if matches!(
        target,
        SchemaType::Bytes | SchemaType::Array | SchemaType::Map | SchemaType::Struct
    ) {
        return Err(ConnectError::config(format!(
            "Cast transformation does not support casting to {target}; supported types are {OUTPUT_TYPES}"
        )));
    }
    Ok(target)
}

/// A cast input, after logical types are reduced to their physical numbers (Kafka's `encodeLogicalType`).
enum Source<'a> {
    Int(i64),
    F32(f32),
    F64(f64),
    Bool(bool),
    Str(&'a str),
    Bytes(&'a [u8]),
    Decimal(BigDecimal),
}

fn out_of_range(text: &str) -> ConnectError {
    ConnectError::data(format!(
        "Value ({text}) was out of range for requested data type"
    ))
}

/// Casts one value (Kafka's `castValueToType`); `schema` is the value's schema when there is one.
pub(crate) fn cast_value(
    schema: Option<&Schema>,
    value: &Value,
    target: SchemaType,
) -> ConnectResult<Value> {
    if value.is_null() {
        return Ok(Value::Null);
    }
    let inferred = schema.map(|s| s.schema_type).or(value.schema_type());
    if let Some(t @ (SchemaType::Array | SchemaType::Map | SchemaType::Struct)) = inferred {
        return Err(ConnectError::data(format!(
            "Cast transformation does not support casting from {t}; supported types are {INPUT_TYPES}"
        )));
    }
    if target == SchemaType::String {
        if let Some(millis) = schema.and_then(|s| temporal_millis(s, value)) {
            return Ok(Value::String(java::iso_date_text(millis)));
        }
    }
    let source = match value {
        Value::Int8(v) => Source::Int((*v).into()),
        Value::Int16(v) => Source::Int((*v).into()),
        Value::Int32(v) => Source::Int((*v).into()),
        Value::Int64(v) => Source::Int(*v),
        Value::Float32(v) => Source::F32(*v),
        Value::Float64(v) => Source::F64(*v),
        Value::Boolean(v) => Source::Bool(*v),
        Value::String(v) => Source::Str(v),
        Value::Bytes(b) => match schema {
            Some(s) if s.name.as_deref() == Some(logical::DECIMAL) => Source::Decimal(BigDecimal {
                unscaled: if b.is_empty() { vec![0] } else { b.to_vec() },
                scale: decimal_scale(s),
            }),
            _ => Source::Bytes(b),
        },
        other => {
            return Err(ConnectError::data(format!(
                "Cast transformation does not support casting from {}; supported types are {INPUT_TYPES}",
                other.type_name()
            )))
        }
    };
    let unexpected = || {
        ConnectError::data(format!(
            "Unexpected type in Cast transformation: {}",
            java::class_string(java::class_name(value))
        ))
    };
    Ok(match target {
        SchemaType::Int8 => Value::Int8(match &source {
            Source::Str(s) => s.parse().map_err(|_| out_of_range(s))?,
            _ => to_i64(&source).ok_or_else(unexpected)? as i8,
        }),
        SchemaType::Int16 => Value::Int16(match &source {
            Source::Str(s) => s.parse().map_err(|_| out_of_range(s))?,
            _ => to_i64(&source).ok_or_else(unexpected)? as i16,
        }),
        SchemaType::Int32 => Value::Int32(match &source {
            Source::Str(s) => s.parse().map_err(|_| out_of_range(s))?,
            _ => to_i64(&source).ok_or_else(unexpected)? as i32,
        }),
        SchemaType::Int64 => Value::Int64(match &source {
            Source::Str(s) => s.parse().map_err(|_| out_of_range(s))?,
            Source::F32(f) => *f as i64,
            Source::F64(f) => *f as i64,
            _ => to_i64(&source).ok_or_else(unexpected)?,
        }),
        SchemaType::Float32 => Value::Float32(match &source {
            Source::Int(i) => *i as f32,
            Source::F32(f) => *f,
            Source::F64(f) => *f as f32,
            Source::Bool(b) => f32::from(u8::from(*b)),
            Source::Str(s) => parse_java_float(s).map_err(|_| out_of_range(s))? as f32,
            Source::Decimal(d) => d.to_plain_string().parse().unwrap_or(f32::NAN),
            Source::Bytes(_) => return Err(unexpected()),
        }),
        SchemaType::Float64 => Value::Float64(match &source {
            Source::Int(i) => *i as f64,
            Source::F32(f) => f64::from(*f),
            Source::F64(f) => *f,
            Source::Bool(b) => f64::from(u8::from(*b)),
            Source::Str(s) => parse_java_float(s).map_err(|_| out_of_range(s))?,
            Source::Decimal(d) => d.to_plain_string().parse().unwrap_or(f64::NAN),
            Source::Bytes(_) => return Err(unexpected()),
        }),
        SchemaType::Boolean => Value::Boolean(match &source {
            Source::Bool(b) => *b,
            Source::Str(s) => s.eq_ignore_ascii_case("true"),
            Source::F32(f) => *f as i64 != 0,
            Source::F64(f) => *f as i64 != 0,
            _ => to_i64(&source).ok_or_else(unexpected)? != 0,
        }),
        SchemaType::String => Value::String(match &source {
            Source::Int(i) => i.to_string(),
            Source::F32(f) => java::float_to_string(*f),
            Source::F64(f) => java::double_to_string(*f),
            Source::Bool(b) => b.to_string(),
            Source::Str(s) => s.to_string(),
            Source::Bytes(b) => base64::engine::general_purpose::STANDARD.encode(b),
            Source::Decimal(d) => java::decimal_to_string(&d.unscaled, d.scale),
        }),
        other => {
            return Err(ConnectError::data(format!(
                "{other} is not supported in the Cast transformation."
            )))
        }
    })
}

/// Java's narrowing of a number to `long` (`Number.longValue()`); the caller narrows further with wrapping.
fn to_i64(source: &Source<'_>) -> Option<i64> {
    Some(match source {
        Source::Int(i) => *i,
        // Java narrows float/double to an int first when the target is byte, short or int.
        Source::F32(f) => i64::from(*f as i32),
        Source::F64(f) => i64::from(*f as i32),
        Source::Bool(b) => i64::from(*b),
        Source::Decimal(d) => decimal_low_bits(d),
        Source::Str(_) | Source::Bytes(_) => return None,
    })
}

/// The low 64 bits of a decimal's integer part (`BigDecimal.longValue()`).
fn decimal_low_bits(d: &BigDecimal) -> i64 {
    let plain = d.to_plain_string();
    let (negative, digits) = match plain.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, plain.as_str()),
    };
    let integer = digits.split('.').next().unwrap_or("0");
    let magnitude = integer.bytes().fold(0u64, |acc, b| {
        acc.wrapping_mul(10).wrapping_add(u64::from(b - b'0'))
    });
    let bits = if negative {
        magnitude.wrapping_neg()
    } else {
        magnitude
    };
    bits as i64
}

/// `Double.parseDouble`: surrounding whitespace and a trailing `f`/`d` type suffix are accepted.
fn parse_java_float(text: &str) -> Result<f64, ()> {
    let trimmed = text.trim_matches(|c: char| c <= ' ');
    let body = trimmed
        .strip_suffix(['f', 'F', 'd', 'D'])
        .filter(|b| !b.is_empty() && !b.ends_with(['e', 'E']))
        .unwrap_or(trimmed);
    match body {
        "NaN" | "+NaN" | "-NaN" => Ok(f64::NAN),
        "Infinity" | "+Infinity" => Ok(f64::INFINITY),
        "-Infinity" => Ok(f64::NEG_INFINITY),
        _ if body
            .bytes()
            .any(|b| b.is_ascii_alphabetic() && !matches!(b, b'e' | b'E')) =>
        {
            Err(())
        }
        _ => body.parse().map_err(|_| ()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::testing::*;
    use connect_api::data::schemas;
    use connect_api::data::SchemaBuilder;

    fn value_cast(spec: &str) -> Cast {
        configured(Cast::new(Side::Value), &[(SPEC_CONFIG, spec)])
    }

    fn whole(spec: &str, schema: Option<SchemaRef>, v: Value) -> ConnectRecord {
        apply(&mut value_cast(spec), record(schema, v))
    }

    #[test]
    fn config_errors() {
        let err =
            |spec: &str| config_error(Cast::new(Side::Key), &[(SPEC_CONFIG, spec)]).to_string();
        assert_eq!(err(""), "Must specify at least one field to cast.");
        assert_eq!(
            err("foo:faketype"),
            "Invalid type found in casting spec: faketype"
        );
        assert_eq!(
            err("foo:array"),
            "Cast transformation does not support casting to ARRAY; supported types are [INT8, INT16, INT32, \
             INT64, FLOAT32, FLOAT64, BOOLEAN, STRING]"
        );
        assert!(err("foo:bytes").contains("does not support casting to BYTES"));
        assert_eq!(
            err("foo:int8:extra"),
            "Invalid value [foo:int8:extra] for configuration renames: Invalid rename mapping: foo:int8:extra"
        );
        assert!(err("foo:int8,int32")
            .starts_with("Cast transformations that specify a type to cast the entire"));
        assert!(err("faketype").contains("No enum constant"));
    }

    #[test]
    fn null_values_pass_through() {
        let original = record(Some(schemas::string()), Value::Null)
            .with_key(Some(schemas::string()), s("key"));
        assert_eq!(
            apply(&mut value_cast("foo:int64"), original.clone()),
            original
        );
        let schemaless = record(None, Value::Null);
        assert_eq!(
            apply(&mut value_cast("foo:int64"), schemaless.clone()),
            schemaless
        );
        let mut key_cast = configured(Cast::new(Side::Key), &[(SPEC_CONFIG, "foo:int64")]);
        let keyless = record(Some(schemas::string()), s("value"))
            .with_key(Some(schemas::string()), Value::Null);
        assert_eq!(apply(&mut key_cast, keyless.clone()), keyless);
    }

    #[test]
    fn whole_key_with_schema() {
        let mut t = configured(Cast::new(Side::Key), &[(SPEC_CONFIG, "int8")]);
        let out = apply(
            &mut t,
            record(Some(schemas::string()), s("bogus"))
                .with_key(Some(schemas::int32()), Value::Int32(42)),
        );
        assert_eq!(out.key_schema.unwrap().schema_type, SchemaType::Int8);
        assert_eq!(out.key, Value::Int8(42));
        assert_eq!(out.value, s("bogus"));
    }

    #[test]
    fn whole_value_with_and_without_schema() {
        let cases = [
            ("int8", Value::Int8(42)),
            ("int16", Value::Int16(42)),
            ("int32", Value::Int32(42)),
            ("int64", Value::Int64(42)),
            ("float32", Value::Float32(42.0)),
            ("float64", Value::Float64(42.0)),
            ("boolean", Value::Boolean(true)),
            ("string", s("42")),
        ];
        for (spec, expected) in cases {
            let out = whole(spec, Some(schemas::int32()), Value::Int32(42));
            assert_eq!(out.value, expected, "{spec}");
            assert_eq!(
                out.value_schema.unwrap().schema_type,
                expected.schema_type().unwrap()
            );
            let out = whole(spec, None, Value::Int32(42));
            assert_eq!(out.value, expected, "{spec} schemaless");
            assert!(out.value_schema.is_none());
        }
        assert_eq!(
            whole("boolean", Some(schemas::int32()), Value::Int32(0)).value,
            Value::Boolean(false)
        );
        assert_eq!(
            whole("boolean", None, Value::Int32(0)).value,
            Value::Boolean(false)
        );
    }

    #[test]
    fn whole_decimal_and_timestamp_to_string() {
        let decimal = BigDecimal::parse("42", None).unwrap();
        let out = whole(
            "string",
            Some(logical::decimal(0)),
            Value::from(decimal.unscaled.clone()),
        );
        assert_eq!(out.value, s("42"));
        assert_eq!(out.value_schema.unwrap().schema_type, SchemaType::String);
        let out = whole(
            "string",
            Some(logical::timestamp_builder().build()),
            Value::Int64(86_400_001),
        );
        assert_eq!(out.value, s("1970-01-02T00:00:00.001Z"));
    }

    #[test]
    fn whole_value_default_is_cast() {
        let schema = SchemaBuilder::float32()
            .default_value(Value::Float32(-42.125))
            .unwrap()
            .build();
        let out = whole("int32", Some(schema), Value::Float32(42.125));
        assert_eq!(out.value, Value::Int32(42));
        assert_eq!(
            out.value_schema.unwrap().default_value,
            Some(Value::Int32(-42))
        );
    }

    #[test]
    fn whole_value_unsupported_type() {
        let err = value_cast("int8")
            .apply(record(None, Value::Array(vec![s("foo")])))
            .unwrap_err();
        assert!(matches!(err, ConnectError::Data(_)));
        assert!(err
            .to_string()
            .contains("does not support casting from ARRAY"));
    }

    #[test]
    fn logical_to_primitive() {
        let mut t = value_cast(
            "date_to_int32:int32,timestamp_to_int64:int64,time_to_int64:int64,decimal_to_int32:int32,\
             timestamp_to_float64:float64,null_timestamp_to_int32:int32",
        );
        let schema = SchemaBuilder::struct_()
            .with_field("date_to_int32", logical::date_builder().build())
            .with_field("timestamp_to_int64", logical::timestamp_builder().build())
            .with_field("time_to_int64", logical::time_builder().build())
            .with_field("decimal_to_int32", logical::decimal(0))
            .with_field("timestamp_to_float64", logical::timestamp_builder().build())
            .with_field(
                "null_timestamp_to_int32",
                logical::timestamp_builder().optional().build(),
            )
            .build();
        let value = Struct::new(schema.clone())
            .unwrap()
            .with("date_to_int32", Value::Int32(1))
            .unwrap()
            .with("timestamp_to_int64", Value::Int64(0))
            .unwrap()
            .with("time_to_int64", Value::Int32(1))
            .unwrap()
            .with(
                "decimal_to_int32",
                Value::from(BigDecimal::parse("2147483648", None).unwrap().unscaled),
            )
            .unwrap()
            .with("timestamp_to_float64", Value::Int64(i64::MAX))
            .unwrap();
        let out = apply(&mut t, record(Some(schema), Value::Struct(value)));
        let v = out.value.as_struct().unwrap();
        assert_eq!(v.get("date_to_int32"), Some(&Value::Int32(1)));
        assert_eq!(v.get("timestamp_to_int64"), Some(&Value::Int64(0)));
        assert_eq!(v.get("time_to_int64"), Some(&Value::Int64(1)));
        assert_eq!(v.get("decimal_to_int32"), Some(&Value::Int32(i32::MIN)));
        assert_eq!(
            v.get("timestamp_to_float64"),
            Some(&Value::Float64(9.223372036854776E18))
        );
        assert_eq!(v.get("null_timestamp_to_int32"), Some(&Value::Null));
        let schema = v.schema();
        assert_eq!(
            schema.field("date_to_int32").unwrap().schema.schema_type,
            SchemaType::Int32
        );
        assert_eq!(
            schema
                .field("timestamp_to_float64")
                .unwrap()
                .schema
                .schema_type,
            SchemaType::Float64
        );
        assert!(
            schema
                .field("null_timestamp_to_int32")
                .unwrap()
                .schema
                .optional
        );
    }

    #[test]
    fn logical_to_string() {
        let mut t = value_cast("date:string,decimal:string,time:string,timestamp:string");
        let schema = SchemaBuilder::struct_()
            .with_field("date", logical::date_builder().build())
            .with_field("decimal", logical::decimal(0))
            .with_field("time", logical::time_builder().build())
            .with_field("timestamp", logical::timestamp_builder().build())
            .build();
        let value = Struct::new(schema.clone())
            .unwrap()
            .with("date", Value::Int32(1))
            .unwrap()
            .with(
                "decimal",
                Value::from(BigDecimal::parse("1982", None).unwrap().unscaled),
            )
            .unwrap()
            .with("time", Value::Int32(3_600_000))
            .unwrap()
            .with("timestamp", Value::Int64(1_700_000_000_123))
            .unwrap();
        let out = apply(&mut t, record(Some(schema), Value::Struct(value)));
        let v = out.value.as_struct().unwrap();
        assert_eq!(v.get("date"), Some(&s("1970-01-02")));
        assert_eq!(v.get("decimal"), Some(&s("1982")));
        assert_eq!(v.get("time"), Some(&s("01:00:00.000")));
        assert_eq!(v.get("timestamp"), Some(&s("2023-11-14T22:13:20.123Z")));
        for f in &v.schema().fields {
            assert_eq!(f.schema.schema_type, SchemaType::String);
        }
    }

    #[test]
    fn fields_with_schema() {
        let mut t = value_cast(
            "int8:int16,int16:int32,int32:int64,int64:boolean,float32:float64,float64:boolean,boolean:int8,\
             string:int32,bigdecimal:string,date:string,optional:int32,bytes:string",
        );
        let schema = SchemaBuilder::struct_()
            .with_field("int8", schemas::int8())
            .with_field("int16", schemas::optional_int16())
            .with_field(
                "int32",
                SchemaBuilder::int32()
                    .default_value(Value::Int32(2))
                    .unwrap()
                    .build(),
            )
            .with_field("int64", schemas::int64())
            .with_field("float32", schemas::float32())
            .with_field(
                "float64",
                SchemaBuilder::float64()
                    .default_value(Value::Float64(-1.125))
                    .unwrap()
                    .build(),
            )
            .with_field("boolean", schemas::boolean())
            .with_field("string", schemas::string())
            .with_field("bigdecimal", logical::decimal(0))
            .with_field("date", logical::date_builder().build())
            .with_field("optional", schemas::optional_float32())
            .with_field("timestamp", logical::timestamp_builder().build())
            .with_field("bytes", schemas::bytes())
            .build();
        let value = Struct::new(schema.clone())
            .unwrap()
            .with("int8", Value::Int8(8))
            .unwrap()
            .with("int16", Value::Int16(16))
            .unwrap()
            .with("int32", Value::Int32(32))
            .unwrap()
            .with("int64", Value::Int64(64))
            .unwrap()
            .with("float32", Value::Float32(32.0))
            .unwrap()
            .with("float64", Value::Float64(-64.0))
            .unwrap()
            .with("boolean", true)
            .unwrap()
            .with(
                "bigdecimal",
                Value::from(BigDecimal::parse("42", None).unwrap().unscaled),
            )
            .unwrap()
            .with("date", Value::Int32(1))
            .unwrap()
            .with("string", "42")
            .unwrap()
            .with("timestamp", Value::Int64(0))
            .unwrap()
            .with(
                "bytes",
                Value::from(vec![0xFE, 0xDC, 0xBA, 0x98, 0x76, 0x54, 0x32, 0x10]),
            )
            .unwrap();
        let out = apply(&mut t, record(Some(schema), Value::Struct(value)));
        let v = out.value.as_struct().unwrap();
        assert_eq!(v.get("int8"), Some(&Value::Int16(8)));
        assert!(v.schema().field("int16").unwrap().schema.optional);
        assert_eq!(v.get("int16"), Some(&Value::Int32(16)));
        assert_eq!(v.get("int32"), Some(&Value::Int64(32)));
        assert_eq!(
            v.schema().field("int32").unwrap().schema.default_value,
            Some(Value::Int64(2))
        );
        assert_eq!(v.get("int64"), Some(&Value::Boolean(true)));
        assert_eq!(v.get("float32"), Some(&Value::Float64(32.0)));
        assert_eq!(v.get("float64"), Some(&Value::Boolean(true)));
        assert_eq!(
            v.schema().field("float64").unwrap().schema.default_value,
            Some(Value::Boolean(true))
        );
        assert_eq!(v.get("boolean"), Some(&Value::Int8(1)));
        assert_eq!(v.get("string"), Some(&Value::Int32(42)));
        assert_eq!(v.get("bigdecimal"), Some(&s("42")));
        assert_eq!(v.get("date"), Some(&s("1970-01-02")));
        assert_eq!(v.get("timestamp"), Some(&Value::Int64(0)));
        assert_eq!(v.get("bytes"), Some(&s("/ty6mHZUMhA=")));
        assert_eq!(v.get("optional"), Some(&Value::Null));
        assert_eq!(
            v.schema().field("optional").unwrap().schema.schema_type,
            SchemaType::Int32
        );
        assert_eq!(
            v.schema()
                .field("timestamp")
                .unwrap()
                .schema
                .name
                .as_deref(),
            Some(logical::TIMESTAMP)
        );
        v.validate().unwrap();
    }

    #[test]
    fn fields_schemaless() {
        let mut t = value_cast(
            "int8:int16,int16:int32,int32:int64,int64:boolean,float32:float64,float64:boolean,boolean:int8,\
             string:int32",
        );
        let value = map(&[
            ("int8", Value::Int8(8)),
            ("int16", Value::Int16(16)),
            ("int32", Value::Int32(32)),
            ("int64", Value::Int64(64)),
            ("float32", Value::Float32(32.0)),
            ("float64", Value::Float64(-64.0)),
            ("boolean", Value::Boolean(true)),
            ("string", s("42")),
        ]);
        let out = apply(&mut t, record(None, value));
        assert!(out.value_schema.is_none());
        let expect = [
            ("int8", Value::Int16(8)),
            ("int16", Value::Int32(16)),
            ("int32", Value::Int64(32)),
            ("int64", Value::Boolean(true)),
            ("float32", Value::Float64(32.0)),
            ("float64", Value::Boolean(true)),
            ("boolean", Value::Int8(1)),
            ("string", Value::Int32(42)),
        ];
        for (k, v) in expect {
            assert_eq!(out.value.map_get(k), Some(&v), "{k}");
        }
    }

    #[test]
    fn number_conversions_follow_java() {
        assert_eq!(
            cast_value(None, &Value::Int32(300), SchemaType::Int8).unwrap(),
            Value::Int8(44)
        );
        assert_eq!(
            cast_value(None, &Value::Float64(1e20), SchemaType::Int32).unwrap(),
            Value::Int32(i32::MAX)
        );
        assert_eq!(
            cast_value(None, &Value::Float64(1e20), SchemaType::Int8).unwrap(),
            Value::Int8(-1)
        );
        assert_eq!(
            cast_value(None, &Value::Float64(0.5), SchemaType::Boolean).unwrap(),
            Value::Boolean(false)
        );
        assert_eq!(
            cast_value(None, &Value::Float64(1e10), SchemaType::String).unwrap(),
            s("1.0E10")
        );
        assert_eq!(
            cast_value(None, &Value::Float32(1.5), SchemaType::String).unwrap(),
            s("1.5")
        );
        assert_eq!(
            cast_value(None, &s(" 2.5 "), SchemaType::Float64).unwrap(),
            Value::Float64(2.5)
        );
        assert_eq!(
            cast_value(None, &s("TRUE"), SchemaType::Boolean).unwrap(),
            Value::Boolean(true)
        );
        let err = cast_value(None, &s("300"), SchemaType::Int8).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Value (300) was out of range for requested data type"
        );
        let err = cast_value(None, &Value::from(vec![1u8]), SchemaType::Int32).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Unexpected type in Cast transformation: class [B"
        );
    }

    #[test]
    fn whole_key_schemaless() {
        let mut t = configured(Cast::new(Side::Key), &[(SPEC_CONFIG, "int8")]);
        let out = apply(
            &mut t,
            record(Some(schemas::string()), s("bogus")).with_key(None, Value::Int32(42)),
        );
        assert!(out.key_schema.is_none());
        assert_eq!(out.key, Value::Int8(42));
    }

    #[test]
    fn schema_is_built_once_per_input_schema() {
        let mut t = value_cast("a:string");
        let schema = SchemaBuilder::struct_()
            .with_field("a", schemas::int32())
            .build();
        let v = || Value::Struct(Struct::new(schema.clone()).unwrap().with("a", 1).unwrap());
        let first = apply(&mut t, record(Some(schema.clone()), v()));
        let second = apply(&mut t, record(Some(schema.clone()), v()));
        assert!(std::sync::Arc::ptr_eq(
            first.value_schema.as_ref().unwrap(),
            second.value_schema.as_ref().unwrap()
        ));
        assert_eq!(second.value.as_struct().unwrap().get("a"), Some(&s("1")));
    }
}
