//! The connector's ConfigDef (Debezium's key names and defaults for what this connector supports) and the typed
//! config the task runs with. Every validation error names its key.

use connect_api::config::{ConfigDef, ConfigType, ConfigValue, Importance, Validator};
use connect_api::{Config, ConnectError, ConnectResult};
use regex::Regex;

pub const HOSTNAME: &str = "database.hostname";
pub const PORT: &str = "database.port";
pub const USER: &str = "database.user";
pub const PASSWORD: &str = "database.password";
pub const DBNAME: &str = "database.dbname";
pub const SSLMODE: &str = "database.sslmode";
pub const TOPIC_PREFIX: &str = "topic.prefix";
pub const PLUGIN_NAME: &str = "plugin.name";
pub const SLOT_NAME: &str = "slot.name";
pub const SLOT_DROP_ON_STOP: &str = "slot.drop.on.stop";
pub const PUBLICATION_NAME: &str = "publication.name";
pub const PUBLICATION_AUTOCREATE: &str = "publication.autocreate.mode";
pub const TABLE_INCLUDE: &str = "table.include.list";
pub const TABLE_EXCLUDE: &str = "table.exclude.list";
pub const COLUMN_INCLUDE: &str = "column.include.list";
pub const COLUMN_EXCLUDE: &str = "column.exclude.list";
pub const MESSAGE_KEY_COLUMNS: &str = "message.key.columns";
pub const PROVIDE_TX_METADATA: &str = "provide.transaction.metadata";
pub const TOPIC_TRANSACTION: &str = "topic.transaction";
pub const SNAPSHOT_MODE: &str = "snapshot.mode";
pub const SNAPSHOT_FETCH_SIZE: &str = "snapshot.fetch.size";
pub const TOMBSTONES_ON_DELETE: &str = "tombstones.on.delete";
pub const DECIMAL_MODE: &str = "decimal.handling.mode";
pub const TIME_PRECISION_MODE: &str = "time.precision.mode";
pub const BINARY_MODE: &str = "binary.handling.mode";
pub const MAX_BATCH_SIZE: &str = "max.batch.size";
pub const MAX_QUEUE_SIZE: &str = "max.queue.size";
pub const POLL_INTERVAL: &str = "poll.interval.ms";
pub const HEARTBEAT_INTERVAL: &str = "heartbeat.interval.ms";
pub const HEARTBEAT_PREFIX: &str = "topic.heartbeat.prefix";
pub const SKIPPED_OPERATIONS: &str = "skipped.operations";
pub const STATUS_UPDATE_INTERVAL: &str = "status.update.interval.ms";
pub const UNAVAILABLE_PLACEHOLDER: &str = "unavailable.value.placeholder";

/// Debezium's defaults.
pub const DEFAULT_PLACEHOLDER: &str = "__debezium_unavailable_value";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SnapshotMode {
    Initial,
    InitialOnly,
    NoData,
    Always,
    WhenNeeded,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AutocreateMode {
    AllTables,
    Filtered,
    Disabled,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DecimalMode {
    Precise,
    Double,
    String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimePrecision {
    Adaptive,
    AdaptiveTimeMicroseconds,
    Connect,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryMode {
    Bytes,
    Base64,
    Base64UrlSafe,
    Hex,
}

/// Debezium's `PostgresConnectorConfig` keys that this connector implements.
pub fn config_def() -> ConfigDef {
    ConfigDef::new()
        .define(HOSTNAME, ConfigType::String, Importance::High, "Resolvable hostname or IP address of the database server.")
        .validator(Validator::NonEmptyString)
        .define(PORT, ConfigType::Int, Importance::High, "Port of the database server.")
        .default_value("5432")
        .between(1.0, 65535.0)
        .define(USER, ConfigType::String, Importance::High, "Name of the database user to be used when connecting to the database.")
        .validator(Validator::NonEmptyString)
        .define(PASSWORD, ConfigType::Password, Importance::High, "Password of the database user to be used when connecting to the database.")
        .default_null()
        .define(DBNAME, ConfigType::String, Importance::High, "The name of the database from which the connector should capture changes")
        .validator(Validator::NonEmptyString)
        .define(SSLMODE, ConfigType::String, Importance::Medium, "Whether to use an encrypted connection to Postgres; only 'disable' and 'prefer' (which falls back to plain text) are supported by this build.")
        .default_value("prefer")
        .one_of_ignore_case(&["disable", "allow", "prefer", "require", "verify-ca", "verify-full"])
        .define(TOPIC_PREFIX, ConfigType::String, Importance::High, "Topic prefix that identifies and provides a namespace for the particular database server/cluster is capturing changes. The topic prefix should be unique across all other connectors.")
        .validator(Validator::NonEmptyStringWithoutControlChars)
        .define(PLUGIN_NAME, ConfigType::String, Importance::Medium, "The name of the Postgres logical decoding plugin installed on the server; this build supports 'pgoutput'.")
        .default_value("pgoutput")
        .one_of_ignore_case(&["pgoutput", "decoderbufs"])
        .define(SLOT_NAME, ConfigType::String, Importance::Medium, "The name of the Postgres logical decoding slot created for streaming changes from a plugin.")
        .default_value("debezium")
        .validator(Validator::NonEmptyString)
        .define(SLOT_DROP_ON_STOP, ConfigType::Boolean, Importance::Medium, "Whether or not to drop the logical replication slot when the connector finishes orderly.")
        .default_value("false")
        .define(PUBLICATION_NAME, ConfigType::String, Importance::Medium, "The name of the Postgres 10+ publication used for streaming changes from a plugin.")
        .default_value("dbz_publication")
        .validator(Validator::NonEmptyString)
        .define(PUBLICATION_AUTOCREATE, ConfigType::String, Importance::Medium, "Applies only when streaming changes using pgoutput: all_tables, disabled or filtered.")
        .default_value("all_tables")
        .one_of_ignore_case(&["all_tables", "disabled", "filtered"])
        .define(TABLE_INCLUDE, ConfigType::List, Importance::High, "The tables for which changes are to be captured (anchored regular expressions on schema.table).")
        .default_null()
        .define(TABLE_EXCLUDE, ConfigType::List, Importance::High, "A comma-separated list of regular expressions that match the fully-qualified names of tables to be excluded from monitoring.")
        .default_null()
        .define(COLUMN_INCLUDE, ConfigType::List, Importance::Medium, "Regular expressions matching columns to include in change events (anchored, case-insensitive, on schema.table.column).")
        .default_null()
        .define(COLUMN_EXCLUDE, ConfigType::List, Importance::Medium, "Regular expressions matching columns to exclude from change events (anchored, case-insensitive, on schema.table.column).")
        .default_null()
        .define(MESSAGE_KEY_COLUMNS, ConfigType::String, Importance::Low, "A semicolon-separated list of expressions that match fully-qualified tables and column(s) to be used as message key. Each expression must match the pattern '<fully-qualified table name>:<key columns>', where the table names could be defined as (SCHEMA_NAME.TABLE_NAME) and the key columns are a comma-separated list of columns representing the custom key.")
        .default_null()
        .define(PROVIDE_TX_METADATA, ConfigType::Boolean, Importance::Low, "Enables transaction metadata extraction together with event counting.")
        .default_value("false")
        .define(TOPIC_TRANSACTION, ConfigType::String, Importance::Low, "The name of the transaction metadata topic after the topic prefix (<topic.prefix>.<topic.transaction>).")
        .default_value("transaction")
        .define(SNAPSHOT_MODE, ConfigType::String, Importance::Low, "The criteria for running a snapshot upon startup of the connector: initial, initial_only, no_data, always, when_needed.")
        .default_value("initial")
        .one_of_ignore_case(&["initial", "initial_only", "no_data", "never", "always", "when_needed"])
        .define(SNAPSHOT_FETCH_SIZE, ConfigType::Int, Importance::Medium, "The maximum number of records that should be loaded into memory while performing a snapshot.")
        .default_value("10240")
        .at_least(1.0)
        .define(TOMBSTONES_ON_DELETE, ConfigType::Boolean, Importance::Medium, "Whether delete operations should be represented by a delete event and a subsequent tombstone event (true) or only by a delete event (false).")
        .default_value("true")
        .define(DECIMAL_MODE, ConfigType::String, Importance::Medium, "Specify how DECIMAL and NUMERIC columns should be represented in change events: precise, string or double.")
        .default_value("precise")
        .one_of_ignore_case(&["precise", "string", "double"])
        .define(TIME_PRECISION_MODE, ConfigType::String, Importance::Medium, "Time, date, and timestamps can be represented with different kinds of precisions: adaptive, adaptive_time_microseconds, connect.")
        .default_value("adaptive")
        .one_of_ignore_case(&["adaptive", "adaptive_time_microseconds", "connect"])
        .define(BINARY_MODE, ConfigType::String, Importance::Low, "Specify how binary (blob, binary, etc.) columns should be represented in change events: bytes, base64, base64-url-safe, hex.")
        .default_value("bytes")
        .one_of_ignore_case(&["bytes", "base64", "base64-url-safe", "hex"])
        .define(MAX_BATCH_SIZE, ConfigType::Int, Importance::Medium, "Maximum size of each batch of source records.")
        .default_value("2048")
        .at_least(1.0)
        .define(MAX_QUEUE_SIZE, ConfigType::Int, Importance::Medium, "Maximum size of the queue for change events read from the database log but not yet recorded or forwarded. Should be larger than the maximum batch size.")
        .default_value("8192")
        .at_least(1.0)
        .define(POLL_INTERVAL, ConfigType::Long, Importance::Medium, "Time to wait for new change events to appear after receiving no events, given in milliseconds.")
        .default_value("500")
        .at_least(0.0)
        .define(HEARTBEAT_INTERVAL, ConfigType::Int, Importance::Medium, "Length of an interval in milli-seconds in in which the connector periodically sends heartbeat messages to a heartbeat topic. Use 0 to disable heartbeat messages.")
        .default_value("0")
        .at_least(0.0)
        .define(HEARTBEAT_PREFIX, ConfigType::String, Importance::Low, "The prefix that is used to name heartbeat topics.")
        .default_value("__debezium-heartbeat")
        .define(SKIPPED_OPERATIONS, ConfigType::List, Importance::Low, "The comma-separated list of operations to skip during streaming: c (insert/create), u (update), d (delete), t (truncate), none.")
        .default_value("t")
        .validator(Validator::ListOf { values: ["c", "u", "d", "t", "none"].iter().map(|s| s.to_string()).collect() })
        .define(STATUS_UPDATE_INTERVAL, ConfigType::Int, Importance::Low, "Frequency for sending replication connection status updates to the server, given in milliseconds.")
        .default_value("10000")
        .at_least(0.0)
        .define(UNAVAILABLE_PLACEHOLDER, ConfigType::String, Importance::Medium, "Specify the constant that will be provided by Debezium to indicate that the original value is unavailable and not provided by the database.")
        .default_value(DEFAULT_PLACEHOLDER)
        .add()
}

/// A parsed, cross-checked connector config.
#[derive(Clone, Debug)]
pub struct PgConfig {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub password: Option<String>,
    pub dbname: String,
    pub topic_prefix: String,
    pub slot_name: String,
    pub slot_drop_on_stop: bool,
    pub publication_name: String,
    pub autocreate: AutocreateMode,
    pub table_include: Vec<Regex>,
    pub table_exclude: Vec<Regex>,
    pub column_include: Vec<Regex>,
    pub column_exclude: Vec<Regex>,
    /// `message.key.columns`: (table regex on `schema.table`, key column names), first match wins.
    pub message_key_columns: Vec<(Regex, Vec<String>)>,
    pub provide_tx_metadata: bool,
    /// `<topic.prefix>.<topic.transaction>`.
    pub transaction_topic: String,
    pub snapshot_mode: SnapshotMode,
    pub snapshot_fetch_size: usize,
    pub tombstones_on_delete: bool,
    pub decimal_mode: DecimalMode,
    pub time_precision: TimePrecision,
    pub binary_mode: BinaryMode,
    pub max_batch_size: usize,
    pub max_queue_size: usize,
    pub poll_interval_ms: u64,
    pub heartbeat_interval_ms: u64,
    pub heartbeat_topic: String,
    pub skip_create: bool,
    pub skip_update: bool,
    pub skip_delete: bool,
    pub skip_truncate: bool,
    pub status_update_interval_ms: u64,
    pub placeholder: String,
}

fn bad(key: &str, value: &str, why: &str) -> ConnectError {
    ConnectError::config(format!(
        "Invalid value {value} for configuration {key}: {why}"
    ))
}

fn regexes(key: &str, items: &[String]) -> ConnectResult<Vec<Regex>> {
    items.iter().map(|p| anchored(key, p, "")).collect()
}

/// A whole-string match of `pattern`; `flags` such as `(?i)` go in front.
fn anchored(key: &str, pattern: &str, flags: &str) -> ConnectResult<Regex> {
    Regex::new(&format!("{flags}^(?:{pattern})$")).map_err(|e| {
        bad(
            key,
            pattern,
            &format!("not a valid regular expression: {e}"),
        )
    })
}

/// Column lists match case-insensitively, as Debezium's do.
fn column_regexes(key: &str, items: &[String]) -> ConnectResult<Vec<Regex>> {
    items.iter().map(|p| anchored(key, p, "(?i)")).collect()
}

/// `message.key.columns`: `<table regex>:<col>[,<col>...]` entries separated by `;`.
fn key_columns(value: &str) -> ConnectResult<Vec<(Regex, Vec<String>)>> {
    let why = "must be a semicolon-separated list of '<fully-qualified table regex>:<column>[,<column>...]' entries";
    value
        .split(';')
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .map(|entry| {
            let (table, cols) = entry
                .rsplit_once(':')
                .ok_or_else(|| bad(MESSAGE_KEY_COLUMNS, value, why))?;
            let cols: Vec<String> = cols.split(',').map(|c| c.trim().to_string()).collect();
            if table.trim().is_empty() || cols.iter().any(|c| c.is_empty()) {
                return Err(bad(MESSAGE_KEY_COLUMNS, value, why));
            }
            Ok((anchored(MESSAGE_KEY_COLUMNS, table.trim(), "(?i)")?, cols))
        })
        .collect()
}

impl PgConfig {
    pub fn parse(props: &Config) -> ConnectResult<PgConfig> {
        let p = config_def()
            .parse(props)
            .map_err(|e| ConnectError::config(e.message))?;
        let s = |k: &str| p.string(k).unwrap_or_default().to_string();
        let lower = |k: &str| s(k).to_ascii_lowercase();
        let plugin = lower(PLUGIN_NAME);
        if plugin != "pgoutput" {
            return Err(bad(
                PLUGIN_NAME,
                &plugin,
                "only 'pgoutput' is supported by this connector (set plugin.name=pgoutput)",
            ));
        }
        let sslmode = lower(SSLMODE);
        if !matches!(sslmode.as_str(), "disable" | "allow" | "prefer") {
            return Err(bad(
                SSLMODE,
                &sslmode,
                "TLS is not supported by this build; use disable or prefer",
            ));
        }
        let include = p.list(TABLE_INCLUDE);
        let exclude = p.list(TABLE_EXCLUDE);
        if !include.is_empty() && !exclude.is_empty() {
            return Err(ConnectError::config(format!(
                "Invalid value for configuration {TABLE_EXCLUDE}: \"{TABLE_INCLUDE}\" is already specified"
            )));
        }
        let column_include = p.list(COLUMN_INCLUDE);
        let column_exclude = p.list(COLUMN_EXCLUDE);
        if !column_include.is_empty() && !column_exclude.is_empty() {
            return Err(ConnectError::config(format!(
                "Invalid value for configuration {COLUMN_EXCLUDE}: \"{COLUMN_INCLUDE}\" is already specified"
            )));
        }
        let max_batch_size = p.int(MAX_BATCH_SIZE).unwrap_or(2048) as usize;
        let max_queue_size = p.int(MAX_QUEUE_SIZE).unwrap_or(8192) as usize;
        if max_queue_size <= max_batch_size {
            return Err(bad(
                MAX_QUEUE_SIZE,
                &max_queue_size.to_string(),
                &format!("must be larger than the maximum batch size ({MAX_BATCH_SIZE}={max_batch_size})"),
            ));
        }
        let skipped: Vec<String> = p.list(SKIPPED_OPERATIONS);
        let has = |op: &str| skipped.iter().any(|s| s == op);
        let prefix = s(TOPIC_PREFIX);
        Ok(PgConfig {
            host: s(HOSTNAME),
            port: p.int(PORT).unwrap_or(5432) as u16,
            user: s(USER),
            password: p.string(PASSWORD).map(str::to_string),
            dbname: s(DBNAME),
            heartbeat_topic: format!("{}.{prefix}", s(HEARTBEAT_PREFIX)),
            slot_name: s(SLOT_NAME),
            slot_drop_on_stop: p.boolean(SLOT_DROP_ON_STOP).unwrap_or(false),
            publication_name: s(PUBLICATION_NAME),
            autocreate: match lower(PUBLICATION_AUTOCREATE).as_str() {
                "filtered" => AutocreateMode::Filtered,
                "disabled" => AutocreateMode::Disabled,
                _ => AutocreateMode::AllTables,
            },
            table_include: regexes(TABLE_INCLUDE, &include)?,
            table_exclude: regexes(TABLE_EXCLUDE, &exclude)?,
            column_include: column_regexes(COLUMN_INCLUDE, &column_include)?,
            column_exclude: column_regexes(COLUMN_EXCLUDE, &column_exclude)?,
            message_key_columns: key_columns(p.string(MESSAGE_KEY_COLUMNS).unwrap_or_default())?,
            provide_tx_metadata: p.boolean(PROVIDE_TX_METADATA).unwrap_or(false),
            transaction_topic: format!("{prefix}.{}", s(TOPIC_TRANSACTION)),
            snapshot_mode: match lower(SNAPSHOT_MODE).as_str() {
                "initial_only" => SnapshotMode::InitialOnly,
                "no_data" | "never" => SnapshotMode::NoData,
                "always" => SnapshotMode::Always,
                "when_needed" => SnapshotMode::WhenNeeded,
                _ => SnapshotMode::Initial,
            },
            snapshot_fetch_size: p.int(SNAPSHOT_FETCH_SIZE).unwrap_or(10240).max(1) as usize,
            tombstones_on_delete: p.boolean(TOMBSTONES_ON_DELETE).unwrap_or(true),
            decimal_mode: match lower(DECIMAL_MODE).as_str() {
                "double" => DecimalMode::Double,
                "string" => DecimalMode::String,
                _ => DecimalMode::Precise,
            },
            time_precision: match lower(TIME_PRECISION_MODE).as_str() {
                "adaptive_time_microseconds" => TimePrecision::AdaptiveTimeMicroseconds,
                "connect" => TimePrecision::Connect,
                _ => TimePrecision::Adaptive,
            },
            binary_mode: match lower(BINARY_MODE).as_str() {
                "base64" => BinaryMode::Base64,
                "base64-url-safe" => BinaryMode::Base64UrlSafe,
                "hex" => BinaryMode::Hex,
                _ => BinaryMode::Bytes,
            },
            max_batch_size,
            max_queue_size,
            poll_interval_ms: p.long(POLL_INTERVAL).unwrap_or(500).clamp(0, 5000) as u64,
            heartbeat_interval_ms: p.int(HEARTBEAT_INTERVAL).unwrap_or(0) as u64,
            skip_create: has("c"),
            skip_update: has("u"),
            skip_delete: has("d"),
            skip_truncate: has("t"),
            status_update_interval_ms: p.int(STATUS_UPDATE_INTERVAL).unwrap_or(10000) as u64,
            placeholder: s(UNAVAILABLE_PLACEHOLDER),
            topic_prefix: prefix,
        })
    }

    /// Whether `schema.table` is captured under the include/exclude lists (system schemas never are).
    pub fn table_included(&self, schema: &str, table: &str) -> bool {
        if matches!(schema, "pg_catalog" | "information_schema") || schema.starts_with("pg_toast") {
            return false;
        }
        let full = format!("{schema}.{table}");
        if !self.table_include.is_empty() {
            return self.table_include.iter().any(|r| r.is_match(&full));
        }
        !self.table_exclude.iter().any(|r| r.is_match(&full))
    }

    /// Whether `schema.table.column` goes into the value under the column include/exclude lists (the key is not
    /// filtered, as in Debezium).
    pub fn column_included(&self, schema: &str, table: &str, column: &str) -> bool {
        let full = format!("{schema}.{table}.{column}");
        if !self.column_include.is_empty() {
            return self.column_include.iter().any(|r| r.is_match(&full));
        }
        !self.column_exclude.iter().any(|r| r.is_match(&full))
    }

    /// The `message.key.columns` entry for `schema.table`, if any.
    pub fn message_key_columns(&self, schema: &str, table: &str) -> Option<&[String]> {
        let full = format!("{schema}.{table}");
        self.message_key_columns
            .iter()
            .find(|(r, _)| r.is_match(&full))
            .map(|(_, cols)| cols.as_slice())
    }
}

/// `/config/validate`: the ConfigDef checks plus the cross-key checks of [`PgConfig::parse`], attached to the key
/// they concern.
pub fn validate(props: &Config) -> Vec<ConfigValue> {
    let mut values = config_def().validate(props);
    if values.iter().all(|v| v.errors.is_empty()) {
        if let Err(e) = PgConfig::parse(props) {
            let msg = e.message().to_string();
            let key = [
                PLUGIN_NAME,
                SSLMODE,
                TABLE_EXCLUDE,
                TABLE_INCLUDE,
                COLUMN_EXCLUDE,
                COLUMN_INCLUDE,
                MESSAGE_KEY_COLUMNS,
                MAX_QUEUE_SIZE,
            ]
            .into_iter()
            .find(|k| msg.contains(&format!("configuration {k}")))
            .unwrap_or(TOPIC_PREFIX);
            if let Some(v) = values.iter_mut().find(|v| v.name == key) {
                v.errors.push(msg);
            }
        }
    }
    values
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(pairs: &[(&str, &str)]) -> Config {
        let mut c: Config = [
            (HOSTNAME, "localhost"),
            (USER, "postgres"),
            (DBNAME, "db"),
            (TOPIC_PREFIX, "srv"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        for (k, v) in pairs {
            c.insert(k.to_string(), v.to_string());
        }
        c
    }

    #[test]
    fn defaults_are_debeziums() {
        let c = PgConfig::parse(&props(&[])).unwrap();
        assert_eq!(c.port, 5432);
        assert_eq!(c.slot_name, "debezium");
        assert_eq!(c.publication_name, "dbz_publication");
        assert_eq!(c.autocreate, AutocreateMode::AllTables);
        assert_eq!(c.snapshot_mode, SnapshotMode::Initial);
        assert_eq!(c.snapshot_fetch_size, 10240);
        assert!(c.tombstones_on_delete);
        assert_eq!(c.decimal_mode, DecimalMode::Precise);
        assert_eq!(c.time_precision, TimePrecision::Adaptive);
        assert_eq!((c.max_batch_size, c.max_queue_size), (2048, 8192));
        assert_eq!(c.poll_interval_ms, 500);
        assert!(c.skip_truncate && !c.skip_create);
        assert_eq!(c.heartbeat_topic, "__debezium-heartbeat.srv");
        assert_eq!(c.placeholder, "__debezium_unavailable_value");
    }

    #[test]
    fn errors_name_the_key() {
        let mut p = props(&[]);
        p.remove(TOPIC_PREFIX);
        let e = PgConfig::parse(&p).unwrap_err();
        assert!(e.message().contains("\"topic.prefix\""), "{e}");
        let e = PgConfig::parse(&props(&[(SNAPSHOT_MODE, "sometimes")])).unwrap_err();
        assert!(e.message().contains("snapshot.mode"), "{e}");
        let e = PgConfig::parse(&props(&[(PLUGIN_NAME, "decoderbufs")])).unwrap_err();
        assert!(e.message().contains("plugin.name"), "{e}");
        let e =
            PgConfig::parse(&props(&[(MAX_QUEUE_SIZE, "10"), (MAX_BATCH_SIZE, "20")])).unwrap_err();
        assert!(e.message().contains("max.queue.size"), "{e}");
        let v = validate(&props(&[(MAX_QUEUE_SIZE, "10"), (MAX_BATCH_SIZE, "20")]));
        let errs: Vec<_> = v.iter().filter(|v| !v.errors.is_empty()).collect();
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].name, MAX_QUEUE_SIZE);
    }

    #[test]
    fn table_filters_are_anchored() {
        let c = PgConfig::parse(&props(&[(TABLE_INCLUDE, "public.a.*,inv\\.orders")])).unwrap();
        assert!(c.table_included("public", "abc"));
        assert!(c.table_included("inv", "orders"));
        assert!(!c.table_included("inv", "orders2"));
        assert!(!c.table_included("x", "public.a"));
        let c = PgConfig::parse(&props(&[(TABLE_EXCLUDE, "public\\.b")])).unwrap();
        assert!(c.table_included("public", "a"));
        assert!(!c.table_included("public", "b"));
        assert!(!c.table_included("pg_catalog", "pg_class"));
    }

    #[test]
    fn column_filters_match_schema_table_column() {
        let c = PgConfig::parse(&props(&[(
            COLUMN_EXCLUDE,
            "public\\.t\\.secret,.*\\.PASS.*",
        )]))
        .unwrap();
        assert!(c.column_included("public", "t", "id"));
        assert!(!c.column_included("public", "t", "secret"));
        assert!(c.column_included("public", "t2", "secret"));
        assert!(!c.column_included("s", "u", "password"));
        let c = PgConfig::parse(&props(&[(COLUMN_INCLUDE, "public\\.t\\.(id|name)")])).unwrap();
        assert!(c.column_included("public", "t", "name"));
        assert!(!c.column_included("public", "t", "other"));
        let both = props(&[(COLUMN_INCLUDE, "a"), (COLUMN_EXCLUDE, "b")]);
        let e = PgConfig::parse(&both).unwrap_err();
        assert!(e.message().contains(COLUMN_EXCLUDE), "{e}");
        let v = validate(&both);
        let errs: Vec<_> = v.iter().filter(|v| !v.errors.is_empty()).collect();
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].name, COLUMN_EXCLUDE);
        let e = PgConfig::parse(&props(&[(COLUMN_INCLUDE, "(")])).unwrap_err();
        assert!(e.message().contains(COLUMN_INCLUDE), "{e}");
    }

    #[test]
    fn message_key_columns_parse_and_match() {
        let c = PgConfig::parse(&props(&[(
            MESSAGE_KEY_COLUMNS,
            "public.orders:a,b; .*\\.log:ts",
        )]))
        .unwrap();
        assert_eq!(
            c.message_key_columns("public", "orders"),
            Some(&["a".to_string(), "b".to_string()][..])
        );
        assert_eq!(
            c.message_key_columns("x", "log"),
            Some(&["ts".to_string()][..])
        );
        assert_eq!(c.message_key_columns("public", "orders2"), None);
        for wrong in ["public.orders", "public.orders:", ":a", "t:a,,b"] {
            let p = props(&[(MESSAGE_KEY_COLUMNS, wrong)]);
            let e = PgConfig::parse(&p).unwrap_err();
            assert!(e.message().contains(MESSAGE_KEY_COLUMNS), "{wrong}: {e}");
            let v = validate(&p);
            assert!(
                v.iter()
                    .any(|v| v.name == MESSAGE_KEY_COLUMNS && !v.errors.is_empty()),
                "{wrong}"
            );
        }
    }

    #[test]
    fn transaction_metadata_is_off_by_default() {
        let c = PgConfig::parse(&props(&[])).unwrap();
        assert!(!c.provide_tx_metadata);
        assert_eq!(c.transaction_topic, "srv.transaction");
    }
}
