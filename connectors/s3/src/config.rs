//! The S3 sink's ConfigDef (Confluent's key names and defaults for what this connector implements) and its typed
//! form. Every validation error names the key it is about.

use connect_api::config::{ConfigDef, ConfigType, Importance, ParsedConfig};
use connect_api::{Config, ConnectError, ConnectResult};

use crate::avro_file::AvroCodec;
use crate::format::{FormatKind, StreamKind};
use crate::parquet_file::ParquetCodec;
use crate::partitioner::{PartitionerConfig, TimeZone, TimestampExtractor};

pub const BUCKET: &str = "s3.bucket.name";
pub const REGION: &str = "s3.region";
pub const STORE_URL: &str = "store.url";
pub const PATH_STYLE: &str = "s3.path.style.access.enabled";
pub const ACCESS_KEY: &str = "aws.access.key.id";
pub const SECRET_KEY: &str = "aws.secret.access.key";
pub const PART_SIZE: &str = "s3.part.size";
pub const FLUSH_SIZE: &str = "flush.size";
pub const ROTATE_INTERVAL: &str = "rotate.interval.ms";
pub const ROTATE_SCHEDULE: &str = "rotate.schedule.interval.ms";
pub const TIMEZONE: &str = "timezone";
pub const TOPICS_DIR: &str = "topics.dir";
pub const DIRECTORY_DELIM: &str = "directory.delim";
pub const FILE_DELIM: &str = "file.delim";
pub const ZERO_PAD: &str = "filename.offset.zero.pad.width";
pub const FORMAT_CLASS: &str = "format.class";
pub const COMPRESSION: &str = "s3.compression.type";
pub const COMPRESSION_LEVEL: &str = "s3.compression.level";
pub const AVRO_CODEC: &str = "avro.codec";
pub const PARQUET_CODEC: &str = "parquet.codec";
pub const BYTEARRAY_EXTENSION: &str = "format.bytearray.extension";
pub const BYTEARRAY_SEPARATOR: &str = "format.bytearray.separator";
pub const PARTITIONER_CLASS: &str = "partitioner.class";
pub const PARTITION_FIELD: &str = "partition.field.name";
pub const PARTITION_DURATION: &str = "partition.duration.ms";
pub const PATH_FORMAT: &str = "path.format";
pub const LOCALE: &str = "locale";
pub const TIMESTAMP_EXTRACTOR: &str = "timestamp.extractor";
pub const TIMESTAMP_FIELD: &str = "timestamp.field";
pub const NULL_VALUES: &str = "behavior.on.null.values";
pub const PART_RETRIES: &str = "s3.part.retries";
pub const RETRY_BACKOFF: &str = "s3.retry.backoff.ms";

/// S3's minimum multipart part size (all parts but the last).
pub const MIN_PART_SIZE: i64 = 5 * 1024 * 1024;

/// Confluent's `S3SinkConnectorConfig` + `StorageCommonConfig` + `PartitionerConfig` keys this connector supports.
pub fn config_def() -> ConfigDef {
    use ConfigType::*;
    use Importance::*;
    ConfigDef::new()
        .define(BUCKET, String, High, "The S3 Bucket.")
        .add()
        .define(REGION, String, Medium, "The AWS region to be used the connector.")
        .default_value("us-west-2")
        .define(STORE_URL, String, High, "Store's connection URL, if applicable (S3-compatible endpoints such as MinIO).")
        .default_null()
        .define(PATH_STYLE, Boolean, Low, "Specifies whether or not to enable path style access to the bucket used by the connector")
        .default_value("true")
        .define(ACCESS_KEY, String, High, "The AWS access key ID used to authenticate personal AWS credentials.")
        .default_value("")
        .define(SECRET_KEY, Password, High, "The secret access key used to authenticate personal AWS credentials.")
        .default_null()
        .define(PART_SIZE, Int, High, "The Part Size in S3 Multi-part Uploads.")
        .default_value("26214400")
        .between(MIN_PART_SIZE as f64, i32::MAX as f64)
        .define(FLUSH_SIZE, Int, High, "Number of records written to store before invoking file commits.")
        .at_least(1.0)
        .define(ROTATE_INTERVAL, Long, High, "The time interval in milliseconds to invoke file commits, measured with the partitioner's timestamp extractor.")
        .default_value("-1")
        .define(ROTATE_SCHEDULE, Long, Medium, "The time interval in milliseconds to periodically invoke file commits, on the wall clock aligned to timezone.")
        .default_value("-1")
        .define(TIMEZONE, String, Medium, "The timezone to use when partitioning with TimeBasedPartitioner and for scheduled rotation (UTC, GMT, Z or a fixed offset such as +02:00).")
        .default_value("")
        .define(TOPICS_DIR, String, High, "Top level directory to store the data ingested from Kafka.")
        .default_value("topics")
        .define(DIRECTORY_DELIM, String, Medium, "Directory delimiter pattern")
        .default_value("/")
        .define(FILE_DELIM, String, Medium, "File delimiter pattern")
        .default_value("+")
        .define(ZERO_PAD, Int, Low, "Width to zero-pad offsets in store's filenames if offsets are too short in order to provide fixed-width filenames that can be ordered by simple lexicographic sorting.")
        .default_value("10")
        .at_least(0.0)
        .define(FORMAT_CLASS, Class, High, "The format class to use when writing data to the store.")
        .add()
        .define(COMPRESSION, String, Low, "Compression type for files written to S3. Applied when using JsonFormat or ByteArrayFormat.")
        .default_value("none")
        .one_of(&["none", "gzip"])
        .define(COMPRESSION_LEVEL, Int, Low, "Compression level for gzip; -1 is the Deflater default.")
        .default_value("-1")
        .between(-1.0, 9.0)
        .define(AVRO_CODEC, String, Low, "The Avro compression codec to be used for output files: null, deflate or snappy.")
        .default_value("null")
        .define(PARQUET_CODEC, String, Low, "The Parquet compression codec to be used for output files: none, snappy or gzip.")
        .default_value("snappy")
        .define(BYTEARRAY_EXTENSION, String, Low, "Output file extension for ByteArrayFormat.")
        .default_value(".bin")
        .define(BYTEARRAY_SEPARATOR, String, Low, "String inserted between records for ByteArrayFormat (default: line separator).")
        .default_null()
        .define(PARTITIONER_CLASS, Class, High, "The partitioner to use when writing data to the store.")
        .default_value("io.confluent.connect.storage.partitioner.DefaultPartitioner")
        .define(PARTITION_FIELD, List, Medium, "The name of the partitioning field when FieldPartitioner is used.")
        .default_value("")
        .define(PARTITION_DURATION, Long, Medium, "The duration of a partition milliseconds used by TimeBasedPartitioner.")
        .default_value("-1")
        .define(PATH_FORMAT, String, Medium, "This configuration is used to set the format of the data directories when partitioning with TimeBasedPartitioner (Joda-Time pattern).")
        .default_value("")
        .define(LOCALE, String, Medium, "The locale to use when partitioning with TimeBasedPartitioner.")
        .default_value("")
        .define(TIMESTAMP_EXTRACTOR, String, Medium, "The extractor that gets the timestamp for records when partitioning with TimeBasedPartitioner: Wallclock, Record or RecordField.")
        .default_value("Wallclock")
        .define(TIMESTAMP_FIELD, String, Medium, "The record field to be used as timestamp by the timestamp extractor (RecordField).")
        .default_value("timestamp")
        .define(NULL_VALUES, String, Low, "How to handle records with a null value (i.e. Kafka tombstone records): ignore or fail.")
        .default_value("fail")
        .one_of_ignore_case(&["ignore", "fail", "write"])
        .define(PART_RETRIES, Int, Medium, "Maximum number of retry attempts for failed requests to S3 (exponential backoff).")
        .default_value("3")
        .at_least(0.0)
        .define(RETRY_BACKOFF, Long, Low, "How long to wait in milliseconds before the first retry of a failed S3 request; doubled on each retry.")
        .default_value("200")
        .at_least(0.0)
        .add()
}

/// What to do with a record whose value is null.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NullBehavior {
    Ignore,
    Fail,
}

/// A parsed, validated S3 sink config.
#[derive(Clone, Debug)]
pub struct S3SinkConfig {
    pub bucket: String,
    pub region: String,
    pub store_url: Option<String>,
    pub path_style: bool,
    pub access_key: Option<String>,
    pub secret_key: Option<String>,
    pub part_size: usize,
    pub flush_size: u64,
    pub rotate_interval_ms: i64,
    pub rotate_schedule_interval_ms: i64,
    pub timezone: Option<TimeZone>,
    pub topics_dir: String,
    pub directory_delim: String,
    pub file_delim: String,
    pub zero_pad_width: usize,
    pub format: FormatKind,
    pub gzip: Option<u32>,
    pub avro_codec: AvroCodec,
    pub parquet_codec: ParquetCodec,
    pub bytearray_extension: String,
    pub bytearray_separator: Vec<u8>,
    pub partitioner: PartitionerConfig,
    pub null_behavior: NullBehavior,
    pub part_retries: u32,
    pub retry_backoff_ms: u64,
}

fn invalid(key: &str, value: &str, why: &str) -> ConnectError {
    ConnectError::config(format!(
        "Invalid value {value} for configuration {key}: {why}"
    ))
}

fn text(parsed: &ParsedConfig, key: &str) -> String {
    parsed.string(key).unwrap_or_default().trim().to_string()
}

impl S3SinkConfig {
    pub fn parse(props: &Config) -> ConnectResult<S3SinkConfig> {
        let parsed = config_def()
            .parse(props)
            .map_err(|e| ConnectError::config(e.message))?;
        let bucket = text(&parsed, BUCKET);
        if bucket.is_empty() {
            return Err(invalid(BUCKET, "\"\"", "the bucket name must not be empty"));
        }
        let format_class = text(&parsed, FORMAT_CLASS);
        let format = FormatKind::from_class(&format_class).ok_or_else(|| {
            invalid(
                FORMAT_CLASS,
                &format_class,
                "supported formats are io.confluent.connect.s3.format.json.JsonFormat, \
                 io.confluent.connect.s3.format.avro.AvroFormat, \
                 io.confluent.connect.s3.format.parquet.ParquetFormat and \
                 io.confluent.connect.s3.format.bytearray.ByteArrayFormat",
            )
        })?;
        let gzip = match text(&parsed, COMPRESSION).as_str() {
            "gzip" => {
                let level = parsed.int(COMPRESSION_LEVEL).unwrap_or(-1);
                Some(if level < 0 { 6 } else { level as u32 })
            }
            _ => None,
        };
        let codec_text = text(&parsed, AVRO_CODEC);
        let avro_codec = AvroCodec::parse(&codec_text).ok_or_else(|| {
            invalid(
                AVRO_CODEC,
                &codec_text,
                "supported codecs are null, deflate and snappy",
            )
        })?;
        let codec_text = text(&parsed, PARQUET_CODEC);
        let parquet_codec = ParquetCodec::parse(&codec_text).ok_or_else(|| {
            invalid(
                PARQUET_CODEC,
                &codec_text,
                "supported codecs are none, snappy and gzip",
            )
        })?;
        let tz_text = text(&parsed, TIMEZONE);
        let timezone = if tz_text.is_empty() {
            None
        } else {
            Some(TimeZone::parse(&tz_text).ok_or_else(|| {
                invalid(
                    TIMEZONE,
                    &tz_text,
                    "supported time zones are UTC, GMT, Z and fixed offsets such as +02:00",
                )
            })?)
        };
        let rotate_schedule_interval_ms = parsed.long(ROTATE_SCHEDULE).unwrap_or(-1);
        if rotate_schedule_interval_ms > 0 && timezone.is_none() {
            return Err(ConnectError::config(format!(
                "Missing required configuration \"{TIMEZONE}\": {ROTATE_SCHEDULE} requires a timezone"
            )));
        }
        let extractor_text = text(&parsed, TIMESTAMP_EXTRACTOR);
        let extractor = TimestampExtractor::parse(&extractor_text, &text(&parsed, TIMESTAMP_FIELD))
            .ok_or_else(|| {
                invalid(
                    TIMESTAMP_EXTRACTOR,
                    &extractor_text,
                    "supported extractors are Wallclock, Record and RecordField",
                )
            })?;
        let partitioner = PartitionerConfig::parse(
            &text(&parsed, PARTITIONER_CLASS),
            parsed.list(PARTITION_FIELD),
            parsed.long(PARTITION_DURATION).unwrap_or(-1),
            &text(&parsed, PATH_FORMAT),
            &text(&parsed, LOCALE),
            timezone,
            extractor,
        )?;
        let null_behavior = match text(&parsed, NULL_VALUES).to_ascii_lowercase().as_str() {
            "ignore" => NullBehavior::Ignore,
            "fail" => NullBehavior::Fail,
            other => {
                return Err(invalid(
                    NULL_VALUES,
                    other,
                    "'write' needs store.kafka.keys, which this connector does not support; use ignore or fail",
                ))
            }
        };
        let access_key = Some(text(&parsed, ACCESS_KEY)).filter(|s| !s.is_empty());
        let secret_key = parsed
            .string(SECRET_KEY)
            .map(str::to_string)
            .filter(|s| !s.is_empty());
        if access_key.is_some() != secret_key.is_some() {
            return Err(ConnectError::config(format!(
                "Invalid configuration {ACCESS_KEY}/{SECRET_KEY}: both must be set, or neither"
            )));
        }
        let store_url = parsed
            .string(STORE_URL)
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty());
        if let Some(url) = &store_url {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(invalid(
                    STORE_URL,
                    url,
                    "must start with http:// or https://",
                ));
            }
        }
        Ok(S3SinkConfig {
            bucket,
            region: text(&parsed, REGION),
            store_url,
            path_style: parsed.boolean(PATH_STYLE).unwrap_or(true),
            access_key,
            secret_key,
            part_size: parsed.int(PART_SIZE).unwrap_or(26_214_400) as usize,
            flush_size: parsed.int(FLUSH_SIZE).unwrap_or(1) as u64,
            rotate_interval_ms: parsed.long(ROTATE_INTERVAL).unwrap_or(-1),
            rotate_schedule_interval_ms,
            timezone,
            topics_dir: text(&parsed, TOPICS_DIR),
            directory_delim: parsed.string(DIRECTORY_DELIM).unwrap_or("/").to_string(),
            file_delim: parsed.string(FILE_DELIM).unwrap_or("+").to_string(),
            zero_pad_width: parsed.int(ZERO_PAD).unwrap_or(10) as usize,
            format,
            gzip,
            avro_codec,
            parquet_codec,
            bytearray_extension: parsed
                .string(BYTEARRAY_EXTENSION)
                .unwrap_or(".bin")
                .to_string(),
            bytearray_separator: parsed
                .string(BYTEARRAY_SEPARATOR)
                .map(|s| s.as_bytes().to_vec())
                .unwrap_or_else(|| b"\n".to_vec()),
            partitioner,
            null_behavior,
            part_retries: parsed.int(PART_RETRIES).unwrap_or(3) as u32,
            retry_backoff_ms: parsed.long(RETRY_BACKOFF).unwrap_or(200) as u64,
        })
    }

    /// How each file's bytes are produced.
    pub fn stream_kind(&self) -> StreamKind {
        match (self.format, self.gzip) {
            (FormatKind::Avro, _) => StreamKind::Avro(self.avro_codec),
            (FormatKind::Parquet, _) => StreamKind::Parquet(self.parquet_codec, self.part_size),
            (_, Some(level)) => StreamKind::Gzip(level),
            (_, None) => StreamKind::Plain,
        }
    }

    /// The file extension Confluent uses: `.json`, `.bin` (or `format.bytearray.extension`), plus `.gz` for gzip.
    pub fn extension(&self) -> String {
        let base = match self.format {
            FormatKind::Json => ".json".to_string(),
            FormatKind::ByteArray => self.bytearray_extension.clone(),
            FormatKind::Avro => return ".avro".to_string(),
            FormatKind::Parquet => return self.parquet_codec.extension().to_string(),
        };
        if self.gzip.is_some() {
            base + ".gz"
        } else {
            base
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn props(pairs: &[(&str, &str)]) -> Config {
        let mut c: Config = [
            (BUCKET, "b"),
            (FLUSH_SIZE, "3"),
            (
                FORMAT_CLASS,
                "io.confluent.connect.s3.format.json.JsonFormat",
            ),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        for (k, v) in pairs {
            c.insert(k.to_string(), v.to_string());
        }
        c
    }

    fn err(pairs: &[(&str, &str)]) -> String {
        S3SinkConfig::parse(&props(pairs))
            .unwrap_err()
            .message()
            .to_string()
    }

    #[test]
    fn defaults_are_confluents() {
        let c = S3SinkConfig::parse(&props(&[])).unwrap();
        assert_eq!(c.region, "us-west-2");
        assert_eq!(c.part_size, 26_214_400);
        assert_eq!(c.topics_dir, "topics");
        assert_eq!(
            (c.directory_delim.as_str(), c.file_delim.as_str()),
            ("/", "+")
        );
        assert_eq!(c.zero_pad_width, 10);
        assert_eq!(c.rotate_interval_ms, -1);
        assert_eq!(c.null_behavior, NullBehavior::Fail);
        assert_eq!((c.part_retries, c.retry_backoff_ms), (3, 200));
        assert!(c.path_style);
        assert_eq!(c.extension(), ".json");
        let gz = S3SinkConfig::parse(&props(&[(COMPRESSION, "gzip")])).unwrap();
        assert_eq!(gz.extension(), ".json.gz");
        let bin = S3SinkConfig::parse(&props(&[(
            FORMAT_CLASS,
            "io.confluent.connect.s3.format.bytearray.ByteArrayFormat",
        )]))
        .unwrap();
        assert_eq!(bin.extension(), ".bin");
        assert_eq!(bin.bytearray_separator, b"\n");
        let parquet = S3SinkConfig::parse(&props(&[(
            FORMAT_CLASS,
            "io.confluent.connect.s3.format.parquet.ParquetFormat",
        )]))
        .unwrap();
        assert_eq!(parquet.extension(), ".snappy.parquet");
        let avro = S3SinkConfig::parse(&props(&[(FORMAT_CLASS, "AvroFormat")])).unwrap();
        assert_eq!(avro.extension(), ".avro");
    }

    #[test]
    fn errors_name_the_key() {
        let mut missing = props(&[]);
        missing.remove(FLUSH_SIZE);
        let e = S3SinkConfig::parse(&missing).unwrap_err();
        assert!(e.message().contains(FLUSH_SIZE), "{e}");
        assert!(err(&[(FLUSH_SIZE, "0")]).contains(FLUSH_SIZE));
        assert!(err(&[(PART_SIZE, "1000")]).contains(PART_SIZE));
        assert!(err(&[(FORMAT_CLASS, "x.Y")]).contains(FORMAT_CLASS));
        assert!(err(&[(COMPRESSION, "snappy")]).contains(COMPRESSION));
        assert!(err(&[(AVRO_CODEC, "bzip3")]).contains(AVRO_CODEC));
        assert!(err(&[(PARQUET_CODEC, "lzo")]).contains(PARQUET_CODEC));
        assert!(err(&[(NULL_VALUES, "write")]).contains(NULL_VALUES));
        assert!(err(&[(TIMEZONE, "Mars/Base")]).contains(TIMEZONE));
        assert!(err(&[(ROTATE_SCHEDULE, "1000")]).contains(TIMEZONE));
        assert!(err(&[(STORE_URL, "localhost:9000")]).contains(STORE_URL));
        assert!(err(&[(ACCESS_KEY, "k")]).contains(SECRET_KEY));
        assert!(err(&[(TIMESTAMP_EXTRACTOR, "Foo")]).contains(TIMESTAMP_EXTRACTOR));
        assert!(err(&[(
            PARTITIONER_CLASS,
            "io.confluent.connect.storage.partitioner.FieldPartitioner"
        )])
        .contains(PARTITION_FIELD));
        assert!(err(&[(
            PARTITIONER_CLASS,
            "io.confluent.connect.storage.partitioner.TimeBasedPartitioner"
        )])
        .contains(PARTITION_DURATION));
        assert!(err(&[(PARTITIONER_CLASS, "com.example.Mine")]).contains(PARTITIONER_CLASS));
    }
}
