//! Partitioners (Confluent's Default, Field, TimeBased, Daily, Hourly), timestamp extractors (Wallclock, Record,
//! RecordField) and the Joda-Time pattern subset `path.format` needs. A partitioner turns a record into its
//! "encoded partition", the directory part of the object key.

use chrono::{DateTime, Datelike, Timelike};
use connect_api::data::Value;
use connect_api::{ConnectError, ConnectResult, SinkRecord};

use crate::config::{
    LOCALE, PARTITIONER_CLASS, PARTITION_DURATION, PARTITION_FIELD, PATH_FORMAT, TIMESTAMP_FIELD,
    TIMEZONE,
};

const PACKAGE: &str = "io.confluent.connect.storage.partitioner.";

/// A time zone as a fixed offset from UTC (the subset of Joda's `DateTimeZone.forID` without a tz database).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimeZone {
    pub offset_ms: i64,
}

impl TimeZone {
    /// `UTC`, `GMT`, `Z`, `Etc/UTC`, or `±HH:mm` / `±HHmm` / `±HH`, optionally after `UTC`/`GMT`.
    pub fn parse(text: &str) -> Option<TimeZone> {
        let t = text.trim();
        if matches!(t, "UTC" | "GMT" | "Z" | "Etc/UTC" | "Etc/GMT" | "UCT") {
            return Some(TimeZone { offset_ms: 0 });
        }
        let t = t
            .strip_prefix("UTC")
            .or_else(|| t.strip_prefix("GMT"))
            .unwrap_or(t);
        let (sign, rest) = match t.as_bytes().first()? {
            b'+' => (1, &t[1..]),
            b'-' => (-1, &t[1..]),
            _ => return None,
        };
        let digits: String = rest.chars().filter(|c| *c != ':').collect();
        if !digits.chars().all(|c| c.is_ascii_digit()) || !matches!(digits.len(), 2 | 4) {
            return None;
        }
        let hours: i64 = digits[..2].parse().ok()?;
        let minutes: i64 = if digits.len() == 4 {
            digits[2..].parse().ok()?
        } else {
            0
        };
        if hours > 18 || minutes > 59 {
            return None;
        }
        Some(TimeZone {
            offset_ms: sign * (hours * 3_600_000 + minutes * 60_000),
        })
    }
}

/// Where a record's timestamp comes from (Confluent's `timestamp.extractor`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TimestampExtractor {
    Wallclock,
    Record,
    RecordField(String),
}

impl TimestampExtractor {
    pub fn parse(name: &str, field: &str) -> Option<TimestampExtractor> {
        let short = name
            .rsplit(['.', '$'])
            .next()
            .unwrap_or(name)
            .trim_end_matches("TimestampExtractor");
        match short {
            "Wallclock" => Some(Self::Wallclock),
            "Record" => Some(Self::Record),
            "RecordField" => Some(Self::RecordField(field.to_string())),
            _ => None,
        }
    }

    /// Whether replays extract the same timestamps (needed for exactly-once time rotation).
    pub fn deterministic(&self) -> bool {
        !matches!(self, Self::Wallclock)
    }

    pub fn extract(&self, record: &SinkRecord, now_ms: i64) -> ConnectResult<i64> {
        match self {
            Self::Wallclock => Ok(now_ms),
            Self::Record => record.timestamp.ok_or_else(|| {
                ConnectError::data(format!(
                    "Unable to determine timestamp using timestamp.extractor Record for record from {}-{} at offset {}",
                    record.topic,
                    record.kafka_partition.unwrap_or(-1),
                    record.kafka_offset.unwrap_or(-1)
                ))
            }),
            Self::RecordField(field) => {
                let value = field_value(&record.value, field).ok_or_else(|| {
                    ConnectError::data(format!(
                        "Unable to find {TIMESTAMP_FIELD} '{field}' in the record value"
                    ))
                })?;
                match value {
                    Value::Int64(v) => Ok(*v),
                    Value::Int32(v) => Ok(i64::from(*v)),
                    Value::String(s) => DateTime::parse_from_rfc3339(s)
                        .map(|d| d.timestamp_millis())
                        .map_err(|e| {
                            ConnectError::data(format!(
                                "Unable to parse {TIMESTAMP_FIELD} '{field}' value {s:?} as an ISO-8601 timestamp: {e}"
                            ))
                        }),
                    other => Err(ConnectError::data(format!(
                        "Unsupported type {} for {TIMESTAMP_FIELD} '{field}'",
                        other.type_name()
                    ))),
                }
            }
        }
    }
}

/// A top-level field of a Struct value or a string-keyed Map value; `a.b` descends into nested ones.
fn field_value<'a>(value: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(value, |v, name| match v {
        Value::Struct(s) => s.get(name),
        Value::Map(_) => v.map_get(name),
        _ => None,
    })
}

/// The configured partitioner.
#[derive(Clone, Debug, PartialEq)]
pub enum PartitionerConfig {
    Default,
    Field(Vec<String>),
    Time {
        duration_ms: i64,
        path_format: Vec<PatternItem>,
        timezone: TimeZone,
        extractor: TimestampExtractor,
    },
}

impl PartitionerConfig {
    #[allow(clippy::too_many_arguments)]
    pub fn parse(
        class: &str,
        fields: Vec<String>,
        duration_ms: i64,
        path_format: &str,
        locale: &str,
        timezone: Option<TimeZone>,
        extractor: TimestampExtractor,
    ) -> ConnectResult<PartitionerConfig> {
        let short = class.strip_prefix(PACKAGE).unwrap_or(class);
        let (duration_ms, path_format) = match short {
            "DefaultPartitioner" => return Ok(Self::Default),
            "FieldPartitioner" => {
                if fields.is_empty() {
                    return Err(ConnectError::config(format!(
                        "Invalid value \"\" for configuration {PARTITION_FIELD}: FieldPartitioner needs at least one field"
                    )));
                }
                return Ok(Self::Field(fields));
            }
            "TimeBasedPartitioner" => (duration_ms, path_format.to_string()),
            // Confluent builds these with the directory delimiter; '/' is substituted at key-building time.
            "DailyPartitioner" => (86_400_000, "'year'=YYYY/'month'=MM/'day'=dd".to_string()),
            "HourlyPartitioner" => (
                3_600_000,
                "'year'=YYYY/'month'=MM/'day'=dd/'hour'=HH".to_string(),
            ),
            _ => {
                return Err(ConnectError::config(format!(
                    "Invalid value {class} for configuration {PARTITIONER_CLASS}: supported are {PACKAGE}{{Default,Field,TimeBased,Daily,Hourly}}Partitioner"
                )))
            }
        };
        if duration_ms <= 0 {
            return Err(ConnectError::config(format!(
                "Invalid value {duration_ms} for configuration {PARTITION_DURATION}: {short} needs a positive partition duration"
            )));
        }
        if path_format.is_empty() {
            return Err(ConnectError::config(format!(
                "Invalid value \"\" for configuration {PATH_FORMAT}: Path format cannot be empty."
            )));
        }
        if locale.is_empty() {
            return Err(ConnectError::config(format!(
                "Invalid value \"\" for configuration {LOCALE}: Locale cannot be empty."
            )));
        }
        let timezone = timezone.ok_or_else(|| {
            ConnectError::config(format!(
                "Invalid value \"\" for configuration {TIMEZONE}: Timezone cannot be empty."
            ))
        })?;
        let path_format = parse_pattern(&path_format).map_err(|why| {
            ConnectError::config(format!(
                "Invalid value {path_format} for configuration {PATH_FORMAT}: {why}"
            ))
        })?;
        Ok(Self::Time {
            duration_ms,
            path_format,
            timezone,
            extractor,
        })
    }

    /// The record's encoded partition (`partition=3`, `region=eu/id=7`, `year=2024/month=05/day=01`), with
    /// `directory.delim` between path elements.
    pub fn encode(&self, record: &SinkRecord, now_ms: i64, delim: &str) -> ConnectResult<String> {
        match self {
            Self::Default => Ok(format!("partition={}", record.kafka_partition.unwrap_or(0))),
            Self::Field(fields) => {
                let mut parts = Vec::with_capacity(fields.len());
                for name in fields {
                    let text = match field_value(&record.value, name) {
                        None | Some(Value::Null) => "null".to_string(),
                        Some(Value::String(s)) => s.clone(),
                        Some(Value::Boolean(b)) => b.to_string(),
                        Some(Value::Int8(v)) => v.to_string(),
                        Some(Value::Int16(v)) => v.to_string(),
                        Some(Value::Int32(v)) => v.to_string(),
                        Some(Value::Int64(v)) => v.to_string(),
                        Some(other) => {
                            return Err(ConnectError::data(format!(
                                "Error encoding partition: field '{name}' ({PARTITION_FIELD}) has unsupported type {}",
                                other.type_name()
                            )))
                        }
                    };
                    parts.push(format!("{name}={text}"));
                }
                Ok(parts.join(delim))
            }
            Self::Time {
                duration_ms,
                path_format,
                timezone,
                extractor,
            } => {
                let ts = extractor.extract(record, now_ms)?;
                let bucket = time_bucket(ts, *duration_ms, *timezone);
                Ok(format_pattern(path_format, bucket, *timezone).replace('/', delim))
            }
        }
    }

    /// The extractor used for `rotate.interval.ms` (Confluent uses the partitioner's; others have none).
    pub fn extractor(&self) -> Option<&TimestampExtractor> {
        match self {
            Self::Time { extractor, .. } => Some(extractor),
            _ => None,
        }
    }
}

/// Confluent's `TimeBasedPartitioner.getPartition`: floors the local time to the duration, back to UTC millis.
pub fn time_bucket(ts: i64, duration_ms: i64, tz: TimeZone) -> i64 {
    let local = ts + tz.offset_ms;
    (local / duration_ms) * duration_ms - tz.offset_ms
}

/// One element of a parsed Joda pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PatternItem {
    Literal(String),
    Field(char, usize),
}

/// Parses the Joda-Time `DateTimeFormat` pattern subset used for paths: quoted literals, `''`, and the numeric
/// fields y Y M d D H k h K m s S e a.
pub fn parse_pattern(pattern: &str) -> Result<Vec<PatternItem>, String> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut items = Vec::new();
    let mut literal = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\'' {
            if chars.get(i + 1) == Some(&'\'') {
                literal.push('\'');
                i += 2;
                continue;
            }
            let mut j = i + 1;
            loop {
                match chars.get(j) {
                    None => return Err("unterminated quote".into()),
                    Some('\'') if chars.get(j + 1) == Some(&'\'') => {
                        literal.push('\'');
                        j += 2;
                    }
                    Some('\'') => break,
                    Some(ch) => {
                        literal.push(*ch);
                        j += 1;
                    }
                }
            }
            i = j + 1;
        } else if c.is_ascii_alphabetic() {
            let mut n = 1;
            while chars.get(i + n) == Some(&c) {
                n += 1;
            }
            let supported = "yYMdDHkhKmsSea";
            if !supported.contains(c) || (c == 'M' && n > 2) {
                return Err(format!(
                    "pattern letter '{}' is not supported (numeric fields {supported} only)",
                    c.to_string().repeat(n)
                ));
            }
            if !literal.is_empty() {
                items.push(PatternItem::Literal(std::mem::take(&mut literal)));
            }
            items.push(PatternItem::Field(c, n));
            i += n;
        } else {
            literal.push(c);
            i += 1;
        }
    }
    if !literal.is_empty() {
        items.push(PatternItem::Literal(literal));
    }
    Ok(items)
}

/// Formats UTC millis `ts` in zone `tz` with a parsed pattern.
pub fn format_pattern(items: &[PatternItem], ts: i64, tz: TimeZone) -> String {
    let local = DateTime::from_timestamp_millis(ts + tz.offset_ms)
        .unwrap_or_default()
        .naive_utc();
    let mut out = String::new();
    for item in items {
        match item {
            PatternItem::Literal(s) => out.push_str(s),
            PatternItem::Field(c, n) => {
                let n = *n;
                let value: i64 = match c {
                    'y' | 'Y' => {
                        let year = i64::from(local.year());
                        if n == 2 {
                            out.push_str(&format!("{:02}", year.rem_euclid(100)));
                            continue;
                        }
                        year
                    }
                    'M' => i64::from(local.month()),
                    'd' => i64::from(local.day()),
                    'D' => i64::from(local.ordinal()),
                    'H' => i64::from(local.hour()),
                    'k' => i64::from(if local.hour() == 0 { 24 } else { local.hour() }),
                    'h' => i64::from(match local.hour() % 12 {
                        0 => 12,
                        h => h,
                    }),
                    'K' => i64::from(local.hour() % 12),
                    'm' => i64::from(local.minute()),
                    's' => i64::from(local.second()),
                    'S' => {
                        let millis = format!("{:03}", local.and_utc().timestamp_subsec_millis());
                        let digits: String = millis
                            .chars()
                            .chain(std::iter::repeat('0'))
                            .take(n)
                            .collect();
                        out.push_str(&digits);
                        continue;
                    }
                    'e' => i64::from(local.weekday().number_from_monday()),
                    'a' => {
                        out.push_str(if local.hour() < 12 { "AM" } else { "PM" });
                        continue;
                    }
                    _ => 0,
                };
                out.push_str(&format!("{value:0n$}"));
            }
        }
    }
    out
}

/// Key of the object holding records of `topic`/`kafka_partition` from `start_offset` on:
/// `<topics.dir>/<topic>/<encoded partition>/<topic>+<partition>+<offset padded>.<ext>` (Confluent's
/// `TopicPartitionWriter.getCommitFilename` + `S3SinkTask` layout).
#[allow(clippy::too_many_arguments)]
pub fn object_key(
    topics_dir: &str,
    directory_delim: &str,
    file_delim: &str,
    zero_pad: usize,
    topic: &str,
    encoded_partition: &str,
    kafka_partition: i32,
    start_offset: i64,
    extension: &str,
) -> String {
    let dir = if topics_dir.is_empty() {
        format!("{topic}{directory_delim}{encoded_partition}")
    } else {
        format!("{topics_dir}{directory_delim}{topic}{directory_delim}{encoded_partition}")
    };
    format!(
        "{dir}{directory_delim}{topic}{file_delim}{kafka_partition}{file_delim}{start_offset:0zero_pad$}{extension}"
    )
}

#[cfg(test)]
mod tests {
    use connect_api::data::{schemas, SchemaBuilder, Struct};

    use super::*;

    fn rec(value: Value, ts: Option<i64>) -> SinkRecord {
        let mut r = SinkRecord::new("orders", None, value).with_timestamp(ts);
        r.kafka_partition = Some(3);
        r.kafka_offset = Some(1200);
        r
    }

    #[test]
    fn keys_are_confluents() {
        let key = object_key(
            "topics",
            "/",
            "+",
            10,
            "orders",
            "partition=3",
            3,
            1200,
            ".json",
        );
        assert_eq!(key, "topics/orders/partition=3/orders+3+0000001200.json");
        let key = object_key("", "/", "+", 10, "t", "partition=0", 0, 0, ".bin");
        assert_eq!(key, "t/partition=0/t+0+0000000000.bin");
        let key = object_key("data", "_", "-", 3, "t", "a=1", 2, 12345, ".json.gz");
        assert_eq!(key, "data_t_a=1_t-2-12345.json.gz");
    }

    #[test]
    fn default_and_field_partitioners() {
        let p = PartitionerConfig::Default;
        assert_eq!(
            p.encode(&rec(Value::Null, None), 0, "/").unwrap(),
            "partition=3"
        );

        let schema = SchemaBuilder::struct_()
            .with_field("region", schemas::string())
            .with_field("id", schemas::int32())
            .with_field("ok", schemas::boolean())
            .with_field("f", schemas::float64())
            .build();
        let s = Struct::new(schema)
            .unwrap()
            .with("region", "eu")
            .unwrap()
            .with("id", 7)
            .unwrap()
            .with("ok", true)
            .unwrap()
            .with("f", 1.5)
            .unwrap();
        let fp = PartitionerConfig::Field(vec!["region".into(), "id".into(), "ok".into()]);
        let r = rec(Value::Struct(s.clone()), None);
        assert_eq!(fp.encode(&r, 0, "/").unwrap(), "region=eu/id=7/ok=true");
        let missing = PartitionerConfig::Field(vec!["nope".into()]);
        assert_eq!(missing.encode(&r, 0, "/").unwrap(), "nope=null");
        let bad = PartitionerConfig::Field(vec!["f".into()]);
        assert!(bad.encode(&r, 0, "/").is_err());
        let map = Value::Map(vec![("region".into(), "us".into())]);
        let fp = PartitionerConfig::Field(vec!["region".into()]);
        assert_eq!(fp.encode(&rec(map, None), 0, "/").unwrap(), "region=us");
    }

    #[test]
    fn time_partitioners() {
        // 2024-05-01T13:45:12.345Z
        let ts = 1_714_571_112_345;
        let hourly = PartitionerConfig::parse(
            "io.confluent.connect.storage.partitioner.HourlyPartitioner",
            vec![],
            -1,
            "",
            "en-US",
            TimeZone::parse("UTC"),
            TimestampExtractor::Record,
        )
        .unwrap();
        let r = rec(Value::Null, Some(ts));
        assert_eq!(
            hourly.encode(&r, 0, "/").unwrap(),
            "year=2024/month=05/day=01/hour=13"
        );
        let daily = PartitionerConfig::parse(
            "DailyPartitioner",
            vec![],
            -1,
            "",
            "en",
            TimeZone::parse("+11:00"),
            TimestampExtractor::Record,
        )
        .unwrap();
        assert_eq!(
            daily.encode(&r, 0, "/").unwrap(),
            "year=2024/month=05/day=02"
        );
        let custom = PartitionerConfig::parse(
            "TimeBasedPartitioner",
            vec![],
            15 * 60_000,
            "YYYY-MM-dd'T'HH-mm",
            "en",
            TimeZone::parse("UTC"),
            TimestampExtractor::Wallclock,
        )
        .unwrap();
        assert_eq!(custom.encode(&r, ts, "/").unwrap(), "2024-05-01T13-45");
        assert!(PartitionerConfig::parse(
            "TimeBasedPartitioner",
            vec![],
            1000,
            "MMM",
            "en",
            TimeZone::parse("UTC"),
            TimestampExtractor::Wallclock,
        )
        .unwrap_err()
        .message()
        .contains(PATH_FORMAT));
        assert!(PartitionerConfig::parse(
            "HourlyPartitioner",
            vec![],
            -1,
            "",
            "en",
            None,
            TimestampExtractor::Wallclock,
        )
        .unwrap_err()
        .message()
        .contains(TIMEZONE));
    }

    #[test]
    fn extractors_and_zones() {
        assert_eq!(
            TimeZone::parse("-05:30").unwrap().offset_ms,
            -(5 * 3_600_000 + 1_800_000)
        );
        assert_eq!(TimeZone::parse("UTC+02").unwrap().offset_ms, 7_200_000);
        assert!(TimeZone::parse("Europe/Paris").is_none());
        assert_eq!(
            TimestampExtractor::parse("io.confluent.connect.storage.partitioner.TimeBasedPartitioner$RecordFieldTimestampExtractor", "ts"),
            Some(TimestampExtractor::RecordField("ts".into()))
        );
        assert_eq!(
            TimestampExtractor::parse("RecordField", "ts"),
            Some(TimestampExtractor::RecordField("ts".into()))
        );
        let ex = TimestampExtractor::RecordField("ts".into());
        let v = Value::Map(vec![("ts".into(), Value::Int64(42))]);
        assert_eq!(ex.extract(&rec(v, None), 0).unwrap(), 42);
        let v = Value::Map(vec![("ts".into(), "2024-05-01T00:00:00Z".into())]);
        assert_eq!(ex.extract(&rec(v, None), 0).unwrap(), 1_714_521_600_000);
        assert!(TimestampExtractor::Record
            .extract(&rec(Value::Null, None), 0)
            .is_err());
        assert_eq!(
            time_bucket(1_714_571_112_345, 3_600_000, TimeZone { offset_ms: 0 }),
            1_714_568_400_000
        );
    }
}
