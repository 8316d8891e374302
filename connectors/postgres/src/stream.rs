//! The background side of the task, on the library's own tokio runtime: prepares publication and slot, takes the
//! snapshot (from the slot's exported snapshot), then streams pgoutput changes into the bounded queue that
//! `poll()` drains. Reconnects after a dropped connection and resumes after the last emitted change; sends the
//! flush LSN that `commit()` decided in standby status updates.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use connect_api::{OffsetMap, SourceRecord};
use serde_json::{json, Value as Json};
use tokio::sync::mpsc;
use tokio_postgres::{NoTls, SimpleQueryMessage};

use crate::config::{AutocreateMode, PgConfig, SnapshotMode};
use crate::event::{
    now_micros, ColumnSelection, EventContext, Row, SourceInfo, TableSchema, TxBlock, TxBoundary,
};
use crate::pgoutput::{self, format_lsn, parse_lsn, PgOutput, Relation, ServerMessage, TupleValue};
use crate::replication::{
    quote_ident, quote_literal, ConnParams, PgError, ReplicationConnection, SESSION_SETTINGS,
};
use crate::types::{ColumnType, Conversion};

/// What the background sends to `poll()`.
pub enum Item {
    Record(Box<SourceRecord>),
    /// The task must fail with this message.
    Failed(String),
}

/// A transaction whose changes were all emitted: (commit LSN, LSN of its last emitted change, end LSN).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CompletedTx {
    pub commit_lsn: u64,
    pub last_lsn: u64,
    pub last_events: u64,
    pub end_lsn: u64,
}

/// State shared between the task thread and the background.
#[derive(Default)]
pub struct Shared {
    /// The LSN confirmed to the server as flushed (only ever grows).
    pub flush_lsn: AtomicU64,
    pub completed: Mutex<VecDeque<CompletedTx>>,
    pub stopping: AtomicBool,
}

const COMPLETED_KEEP: usize = 100_000;

impl Shared {
    /// The flush LSN that a committed source offset allows: the end of its transaction when the offset is the
    /// transaction's last change, else the end of the last transaction completed before it.
    pub fn flush_for_offset(&self, offset: &OffsetMap) -> Option<u64> {
        if offset.get("snapshot").is_some() {
            return None;
        }
        let proc = offset.get("lsn_proc").and_then(Json::as_u64)?;
        let commit = offset.get("lsn_commit").and_then(Json::as_u64);
        let lsn = offset.get("lsn").and_then(Json::as_u64);
        let events = offset
            .get("lsn_events_processed")
            .and_then(Json::as_u64)
            .unwrap_or(1);
        if let (Some(commit), Some(lsn)) = (commit, lsn) {
            let done = self.completed.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(tx) = done.iter().rev().find(|t| t.commit_lsn == commit) {
                if tx.last_lsn == lsn && tx.last_events == events {
                    return Some(tx.end_lsn.max(proc));
                }
            }
        }
        Some(proc)
    }

    pub fn advance_flush(&self, lsn: u64) {
        self.flush_lsn.fetch_max(lsn, Ordering::SeqCst);
    }
}

/// The position of the last emitted change, used to skip what the server sends again.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Position {
    pub commit_lsn: u64,
    pub lsn: u64,
    pub events: u64,
}

impl Position {
    pub fn from_offset(offset: &OffsetMap) -> Option<Position> {
        Some(Position {
            commit_lsn: offset.get("lsn_commit").and_then(Json::as_u64)?,
            lsn: offset.get("lsn").and_then(Json::as_u64)?,
            events: offset
                .get("lsn_events_processed")
                .and_then(Json::as_u64)
                .unwrap_or(1),
        })
    }

    /// Whether the change at (`commit_lsn`, `lsn`, `events`) was already emitted.
    pub fn covers(&self, commit_lsn: u64, lsn: u64, events: u64) -> bool {
        commit_lsn < self.commit_lsn
            || (commit_lsn == self.commit_lsn && (lsn, events) <= (self.lsn, self.events))
    }
}

/// A failure with what to do about it.
struct Fatal(String);

fn fatal_from(e: PgError, what: &str, cfg: &PgConfig) -> Fatal {
    let hint = match e.code() {
        Some("42501") => format!(
            " Grant user '{}' the needed rights: REPLICATION (ALTER ROLE {} REPLICATION), CREATE on database '{}' \
             if the connector creates the publication, ownership of the tables or superuser for FOR ALL TABLES, and \
             SELECT on the captured tables.",
            cfg.user, cfg.user, cfg.dbname
        ),
        Some("55000") => " Check that wal_level=logical and max_replication_slots/max_wal_senders leave room.".into(),
        Some("28000") | Some("28P01") => " Check database.user/database.password and pg_hba.conf (a replication \
            connection needs a 'replication' or 'all' database entry)."
            .into(),
        Some("3D000") => " Check database.dbname.".into(),
        _ => String::new(),
    };
    Fatal(format!("{what} failed: {e}.{hint}"))
}

/// The background loop; sends `Item::Failed` on a fatal error.
pub async fn run(
    cfg: PgConfig,
    conv: Conversion,
    shared: Arc<Shared>,
    tx: mpsc::Sender<Item>,
    stored: Option<OffsetMap>,
) {
    let mut stream = Streamer::new(cfg, conv, shared, tx.clone());
    if let Err(Fatal(msg)) = stream.main(stored).await {
        if !stream.shared.stopping.load(Ordering::SeqCst) {
            tracing_log(&format!("PostgreSQL connector failed: {msg}"));
            let _ = tx.send(Item::Failed(msg)).await;
        }
    }
}

fn tracing_log(msg: &str) {
    eprintln!("connect-postgres: {msg}");
}

enum RelEntry {
    Captured(Box<TableSchema>),
    Ignored,
}

struct Streamer {
    cfg: PgConfig,
    conv: Conversion,
    ctx: EventContext,
    shared: Arc<Shared>,
    tx: mpsc::Sender<Item>,
    params: ConnParams,
    /// Last emitted change.
    position: Position,
    /// End LSN of the last transaction completely processed.
    lsn_proc: u64,
    /// Commit LSN of the previous transaction (for `source.sequence`).
    last_commit: Option<u64>,
    last_offset: Option<OffsetMap>,
}

struct TxState {
    final_lsn: u64,
    commit_time: i64,
    xid: u32,
    last_lsn: u64,
    events_at_lsn: u64,
    emitted_last: Option<(u64, u64)>,
    /// Transaction metadata: `<xid>:<LSN of BEGIN>`.
    id: String,
    /// Events of captured tables so far (those replayed after a restart included), per `schema.table`.
    counts: Vec<(String, i64)>,
    /// Whether BEGIN went to the transaction topic (it goes before the first emitted event).
    begun: bool,
}

impl TxState {
    /// Counts one event of `schema.table` and returns its `transaction` block.
    fn count(&mut self, collection: String) -> TxBlock {
        let total_order = self.counts.iter().map(|(_, n)| n).sum::<i64>() + 1;
        let data_collection_order = match self.counts.iter_mut().find(|(c, _)| *c == collection) {
            Some((_, n)) => {
                *n += 1;
                *n
            }
            None => {
                self.counts.push((collection, 1));
                1
            }
        };
        TxBlock {
            id: self.id.clone(),
            total_order,
            data_collection_order,
        }
    }
}

impl Streamer {
    fn new(cfg: PgConfig, conv: Conversion, shared: Arc<Shared>, tx: mpsc::Sender<Item>) -> Self {
        let params = ConnParams {
            host: cfg.host.clone(),
            port: cfg.port,
            user: cfg.user.clone(),
            password: cfg.password.clone(),
            dbname: cfg.dbname.clone(),
        };
        Streamer {
            ctx: EventContext::new(&cfg.topic_prefix, &cfg.dbname),
            cfg,
            conv,
            shared,
            tx,
            params,
            position: Position::default(),
            lsn_proc: 0,
            last_commit: None,
            last_offset: None,
        }
    }

    /// The value/key column selection of `schema.table` under the column filters and `message.key.columns`.
    fn table_schema(
        &self,
        schema: &str,
        table: &str,
        columns: Vec<ColumnType>,
        pk: &[String],
    ) -> TableSchema {
        let included = |c: &str| self.cfg.column_included(schema, table, c);
        let select = ColumnSelection {
            primary_key: pk,
            message_key: self.cfg.message_key_columns(schema, table),
            included: &included,
        };
        TableSchema::new(
            &self.cfg.topic_prefix,
            &self.conv,
            schema,
            table,
            columns,
            &select,
        )
    }

    async fn emit(&self, record: SourceRecord) -> Result<(), Fatal> {
        self.tx
            .send(Item::Record(Box::new(record)))
            .await
            .map_err(|_| Fatal("the task stopped".into()))
    }

    async fn sql(&self) -> Result<tokio_postgres::Client, PgError> {
        let mut c = tokio_postgres::Config::new();
        c.host(&self.params.host)
            .port(self.params.port)
            .user(&self.params.user)
            .dbname(&self.params.dbname)
            .application_name("connect-postgres")
            .connect_timeout(Duration::from_secs(30));
        if let Some(p) = &self.params.password {
            c.password(p);
        }
        let opts: Vec<String> = SESSION_SETTINGS
            .iter()
            .map(|(k, v)| format!("-c {k}={v}"))
            .collect();
        c.options(opts.join(" "));
        let (client, conn) = c.connect(NoTls).await?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        Ok(client)
    }

    async fn main(&mut self, stored: Option<OffsetMap>) -> Result<(), Fatal> {
        let cfg = self.cfg.clone();
        let sql = self
            .sql()
            .await
            .map_err(|e| fatal_from(e, "Connecting to PostgreSQL", &cfg))?;
        self.ensure_publication(&sql).await?;
        let mut repl = ReplicationConnection::connect(&self.params)
            .await
            .map_err(|e| fatal_from(e, "Opening a replication connection", &cfg))?;
        let slot_rows = simple(
            &sql,
            &format!(
                "SELECT confirmed_flush_lsn::text, plugin, database FROM pg_replication_slots WHERE slot_name = {}",
                quote_literal(&cfg.slot_name)
            ),
        )
        .await
        .map_err(|e| fatal_from(e, "Reading pg_replication_slots", &cfg))?;
        let slot = slot_rows.first().cloned();
        if let Some(row) = &slot {
            if row.get(2).and_then(|d| d.as_deref()) != Some(cfg.dbname.as_str())
                || row.get(1).and_then(|p| p.as_deref()) != Some("pgoutput")
            {
                return Err(Fatal(format!(
                    "Replication slot '{}' exists but belongs to database {:?} with plugin {:?}; choose another slot.name \
                     or drop that slot",
                    cfg.slot_name,
                    row.get(2).cloned().flatten(),
                    row.get(1).cloned().flatten()
                )));
            }
        }
        let snapshot_incomplete = stored.as_ref().is_some_and(|o| {
            o.get("snapshot").is_some()
                && o.get("last_snapshot_record").and_then(Json::as_bool) != Some(true)
                && o.get("snapshot_completed").and_then(Json::as_bool) != Some(true)
        });
        let no_offset = stored.is_none();
        let need_snapshot = match cfg.snapshot_mode {
            SnapshotMode::Initial | SnapshotMode::InitialOnly => no_offset || snapshot_incomplete,
            SnapshotMode::Always => true,
            SnapshotMode::NoData => false,
            SnapshotMode::WhenNeeded => no_offset || snapshot_incomplete || slot.is_none(),
        };
        if slot.is_none() && !no_offset && !need_snapshot {
            return Err(Fatal(format!(
                "Replication slot '{}' does not exist, but the connector has committed offsets: the changes since \
                 then are no longer available. Recreate the slot and accept the loss, or restart with \
                 snapshot.mode=when_needed (or always) to take a new snapshot.",
                cfg.slot_name
            )));
        }
        let start_lsn;
        if need_snapshot {
            if slot.is_some() {
                repl.simple_query(&format!(
                    "DROP_REPLICATION_SLOT {} WAIT",
                    quote_ident(&cfg.slot_name)
                ))
                .await
                .map_err(|e| {
                    fatal_from(
                        e,
                        "Dropping the old replication slot before a new snapshot",
                        &cfg,
                    )
                })?;
            }
            let rows = repl
                .simple_query(&format!(
                    "CREATE_REPLICATION_SLOT {} LOGICAL pgoutput EXPORT_SNAPSHOT",
                    quote_ident(&cfg.slot_name)
                ))
                .await
                .map_err(|e| fatal_from(e, "Creating the replication slot", &cfg))?;
            let row = rows
                .first()
                .ok_or_else(|| Fatal("CREATE_REPLICATION_SLOT returned no row".into()))?;
            let consistent = row
                .get(1)
                .cloned()
                .flatten()
                .and_then(|l| parse_lsn(&l))
                .unwrap_or(0);
            let snapshot_name = row.get(2).cloned().flatten().unwrap_or_default();
            self.snapshot(&sql, &snapshot_name, consistent).await?;
            if cfg.snapshot_mode == SnapshotMode::InitialOnly {
                tracing_log("snapshot.mode=initial_only: snapshot complete, not streaming");
                return Ok(());
            }
            start_lsn = consistent;
        } else {
            if cfg.snapshot_mode == SnapshotMode::InitialOnly {
                return Ok(());
            }
            if slot.is_none() {
                let rows = repl
                    .simple_query(&format!(
                        "CREATE_REPLICATION_SLOT {} LOGICAL pgoutput NOEXPORT_SNAPSHOT",
                        quote_ident(&cfg.slot_name)
                    ))
                    .await
                    .map_err(|e| fatal_from(e, "Creating the replication slot", &cfg))?;
                start_lsn = rows
                    .first()
                    .and_then(|r| r.get(1).cloned().flatten())
                    .and_then(|l| parse_lsn(&l))
                    .unwrap_or(0);
            } else {
                let confirmed = slot
                    .as_ref()
                    .and_then(|r| r.first().cloned().flatten())
                    .and_then(|l| parse_lsn(&l))
                    .unwrap_or(0);
                let stored_proc = stored
                    .as_ref()
                    .and_then(|o| o.get("lsn_proc").or_else(|| o.get("lsn")))
                    .and_then(Json::as_u64)
                    .unwrap_or(0);
                start_lsn = stored_proc.max(confirmed);
                if let Some(p) = stored.as_ref().and_then(Position::from_offset) {
                    self.position = p;
                }
            }
        }
        self.lsn_proc = start_lsn;
        drop(sql);
        self.stream_forever(Some(repl)).await
    }

    async fn ensure_publication(&self, sql: &tokio_postgres::Client) -> Result<(), Fatal> {
        let cfg = &self.cfg;
        let exists = !simple(
            sql,
            &format!(
                "SELECT 1 FROM pg_publication WHERE pubname = {}",
                quote_literal(&cfg.publication_name)
            ),
        )
        .await
        .map_err(|e| fatal_from(e, "Reading pg_publication", cfg))?
        .is_empty();
        let create_hint = |e| {
            fatal_from(
                e,
                &format!("Creating publication '{}'", cfg.publication_name),
                cfg,
            )
        };
        match cfg.autocreate {
            AutocreateMode::Disabled if !exists => Err(Fatal(format!(
                "Publication '{}' does not exist and publication.autocreate.mode is 'disabled': create it (CREATE \
                 PUBLICATION {} FOR TABLE ...) or set publication.autocreate.mode to all_tables or filtered",
                cfg.publication_name,
                quote_ident(&cfg.publication_name)
            ))),
            AutocreateMode::Disabled => Ok(()),
            AutocreateMode::AllTables if exists => Ok(()),
            AutocreateMode::AllTables => {
                sql.batch_execute(&format!(
                    "CREATE PUBLICATION {} FOR ALL TABLES{}",
                    quote_ident(&cfg.publication_name),
                    self.publish_clause()
                ))
                .await
                .map_err(|e| create_hint(e.into()))
            }
            AutocreateMode::Filtered => {
                let tables = self.captured_tables(sql).await?;
                if tables.is_empty() {
                    return Err(Fatal(format!(
                        "No table matches table.include.list/table.exclude.list, so publication '{}' cannot be \
                         created in filtered mode",
                        cfg.publication_name
                    )));
                }
                let list: Vec<String> = tables
                    .iter()
                    .map(|(_, s, t)| format!("{}.{}", quote_ident(s), quote_ident(t)))
                    .collect();
                let stmt = if exists {
                    format!("ALTER PUBLICATION {} SET TABLE {}", quote_ident(&cfg.publication_name), list.join(", "))
                } else {
                    format!(
                        "CREATE PUBLICATION {} FOR TABLE {}{}",
                        quote_ident(&cfg.publication_name),
                        list.join(", "),
                        self.publish_clause()
                    )
                };
                sql.batch_execute(&stmt).await.map_err(|e| create_hint(e.into()))
            }
        }
    }

    fn publish_clause(&self) -> String {
        let c = &self.cfg;
        if !(c.skip_create || c.skip_update || c.skip_delete || c.skip_truncate) {
            return String::new();
        }
        let ops: Vec<&str> = [
            (!c.skip_create, "insert"),
            (!c.skip_update, "update"),
            (!c.skip_delete, "delete"),
            (!c.skip_truncate, "truncate"),
        ]
        .iter()
        .filter(|(keep, _)| *keep)
        .map(|(_, op)| *op)
        .collect();
        format!(" WITH (publish = {})", quote_literal(&ops.join(", ")))
    }

    /// (oid, schema, table) of every captured ordinary or partitioned table, in name order.
    async fn captured_tables(
        &self,
        sql: &tokio_postgres::Client,
    ) -> Result<Vec<(u32, String, String)>, Fatal> {
        let rows = simple(
            sql,
            "SELECT c.oid::text, n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND n.nspname NOT IN ('pg_catalog', \
             'information_schema') AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%' \
             ORDER BY n.nspname, c.relname",
        )
        .await
        .map_err(|e| fatal_from(e, "Listing tables", &self.cfg))?;
        Ok(rows
            .into_iter()
            .filter_map(|r| {
                let oid = r.first()?.as_ref()?.parse().ok()?;
                Some((oid, r.get(1)?.clone()?, r.get(2)?.clone()?))
            })
            .filter(|(_, s, t)| self.cfg.table_included(s, t))
            .collect())
    }

    /// Columns (name, type, typmod, nullable; generated and dropped columns left out) and primary key of a table.
    async fn table_info(
        &self,
        sql: &tokio_postgres::Client,
        oid: u32,
    ) -> Result<(Vec<ColumnType>, Vec<String>), PgError> {
        let cols = simple(
            sql,
            &format!(
                "SELECT attname, atttypid::text, atttypmod::text, (NOT attnotnull)::text FROM pg_attribute \
                 WHERE attrelid = {oid} AND attnum > 0 AND NOT attisdropped AND attgenerated = '' ORDER BY attnum"
            ),
        )
        .await?;
        let columns = cols
            .into_iter()
            .filter_map(|r| {
                Some(ColumnType {
                    name: r.first()?.clone()?,
                    type_oid: r.get(1)?.as_ref()?.parse().ok()?,
                    type_modifier: r.get(2)?.as_ref()?.parse().ok()?,
                    optional: r.get(3)?.as_deref() == Some("true"),
                })
            })
            .collect();
        let pk = simple(
            sql,
            &format!(
                "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = \
                 ANY(i.indkey) WHERE i.indrelid = {oid} AND i.indisprimary ORDER BY array_position(i.indkey::int2[], \
                 a.attnum)"
            ),
        )
        .await?
        .into_iter()
        .filter_map(|r| r.first().cloned().flatten())
        .collect();
        Ok((columns, pk))
    }

    /// Reads every captured table inside the slot's exported snapshot and emits `op: r` events.
    async fn snapshot(
        &mut self,
        sql: &tokio_postgres::Client,
        snapshot_name: &str,
        lsn: u64,
    ) -> Result<(), Fatal> {
        let cfg = self.cfg.clone();
        let err = |e: PgError| fatal_from(e, "Snapshot", &cfg);
        sql.batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
            .await
            .map_err(|e| err(e.into()))?;
        if !snapshot_name.is_empty() {
            sql.batch_execute(&format!(
                "SET TRANSACTION SNAPSHOT {}",
                quote_literal(snapshot_name)
            ))
            .await
            .map_err(|e| err(e.into()))?;
        }
        let xid: Option<i64> = simple(sql, "SELECT txid_current()::text")
            .await
            .map_err(err)?
            .first()
            .and_then(|r| r.first().cloned().flatten())
            .and_then(|x| x.parse().ok());
        let tables = self.captured_tables(sql).await?;
        tracing_log(&format!(
            "snapshot of {} table(s) at LSN {} (slot '{}')",
            tables.len(),
            format_lsn(lsn),
            cfg.slot_name
        ));
        let mut pending: Option<(Arc<TableSchema>, Row, bool)> = None;
        let mut first_overall = true;
        for (oid, schema, table) in tables {
            let (columns, pk) = self.table_info(sql, oid).await.map_err(err)?;
            if columns.is_empty() {
                continue;
            }
            let ts = Arc::new(self.table_schema(&schema, &table, columns, &pk));
            let select: Vec<String> = ts.columns.iter().map(|c| quote_ident(&c.name)).collect();
            sql.batch_execute(&format!(
                "DECLARE connect_snapshot NO SCROLL CURSOR FOR SELECT {} FROM {}.{}",
                select.join(", "),
                quote_ident(&schema),
                quote_ident(&table)
            ))
            .await
            .map_err(|e| err(e.into()))?;
            let mut first_in_table = true;
            loop {
                let msgs = sql
                    .simple_query(&format!(
                        "FETCH FORWARD {} FROM connect_snapshot",
                        cfg.snapshot_fetch_size
                    ))
                    .await
                    .map_err(|e| err(e.into()))?;
                let mut n = 0;
                for m in msgs {
                    let SimpleQueryMessage::Row(row) = m else {
                        continue;
                    };
                    n += 1;
                    let cols: Vec<Option<&str>> = (0..row.len()).map(|i| row.get(i)).collect();
                    let value = ts.row_from_text(&self.conv, &cols).map_err(Fatal)?;
                    if let Some((pt, prow, pfirst_in_table)) = pending.take() {
                        let same_table = Arc::ptr_eq(&pt, &ts);
                        let marker = if first_overall {
                            "first"
                        } else if pfirst_in_table {
                            "first_in_data_collection"
                        } else if !same_table {
                            "last_in_data_collection"
                        } else {
                            "true"
                        };
                        first_overall = false;
                        self.emit_snapshot(&pt, prow, marker, lsn, xid).await?;
                    }
                    pending = Some((ts.clone(), value, first_in_table));
                    first_in_table = false;
                }
                if n < cfg.snapshot_fetch_size {
                    break;
                }
            }
            sql.batch_execute("CLOSE connect_snapshot")
                .await
                .map_err(|e| err(e.into()))?;
        }
        if let Some((pt, prow, _)) = pending.take() {
            self.emit_snapshot(&pt, prow, "last", lsn, xid).await?;
        }
        sql.batch_execute("COMMIT")
            .await
            .map_err(|e| err(e.into()))?;
        tracing_log("snapshot completed");
        Ok(())
    }

    async fn emit_snapshot(
        &mut self,
        table: &TableSchema,
        row: Row,
        marker: &'static str,
        lsn: u64,
        xid: Option<i64>,
    ) -> Result<(), Fatal> {
        let now = now_micros();
        let info = SourceInfo {
            ts_us: now,
            snapshot: marker,
            sequence: None,
            tx_id: xid,
            lsn: Some(lsn as i64),
            transaction: None,
        };
        let mut offset = OffsetMap::new();
        offset.insert("last_snapshot_record".into(), json!(marker == "last"));
        offset.insert("lsn".into(), json!(lsn));
        if let Some(x) = xid {
            offset.insert("txId".into(), json!(x));
        }
        offset.insert("ts_usec".into(), json!(now));
        offset.insert("snapshot".into(), json!("INITIAL"));
        offset.insert("snapshot_completed".into(), json!(marker == "last"));
        let key = table.key(&row);
        let rec = self.ctx.change(
            table,
            "r",
            key,
            None,
            Some(table.value(&row)),
            &info,
            offset,
        );
        self.emit(rec).await
    }

    /// Streams from the slot, reconnecting after transient failures.
    async fn stream_forever(
        &mut self,
        mut repl: Option<ReplicationConnection>,
    ) -> Result<(), Fatal> {
        let mut backoff = Duration::from_millis(500);
        loop {
            if self.shared.stopping.load(Ordering::SeqCst) {
                return Ok(());
            }
            let result = self.stream_session(repl.take()).await;
            match result {
                Ok(()) => return Ok(()),
                Err(SessionError::Fatal(f)) => return Err(f),
                Err(SessionError::Pg(e)) if e.is_transient() => {
                    tracing_log(&format!(
                        "replication stream interrupted ({e}); reconnecting in {backoff:?}"
                    ));
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(10));
                }
                Err(SessionError::Pg(e)) => {
                    return Err(fatal_from(e, "Streaming changes", &self.cfg))
                }
            }
        }
    }

    async fn stream_session(
        &mut self,
        repl: Option<ReplicationConnection>,
    ) -> Result<(), SessionError> {
        let sql = self.sql().await?;
        let mut repl = match repl {
            Some(r) => r,
            None => ReplicationConnection::connect(&self.params).await?,
        };
        let start = self
            .lsn_proc
            .max(self.shared.flush_lsn.load(Ordering::SeqCst));
        repl.start_replication(&format!(
            "START_REPLICATION SLOT {} LOGICAL {} (proto_version '1', publication_names {})",
            quote_ident(&self.cfg.slot_name),
            format_lsn(start),
            quote_literal(&quote_ident(&self.cfg.publication_name))
        ))
        .await?;
        tracing_log(&format!(
            "streaming from slot '{}' at LSN {}",
            self.cfg.slot_name,
            format_lsn(start)
        ));
        let mut relations: HashMap<u32, RelEntry> = HashMap::new();
        let mut txs: Option<TxState> = None;
        let mut sent_flush = 0u64;
        let status_every = Duration::from_millis(self.cfg.status_update_interval_ms.max(100));
        let mut last_status = tokio::time::Instant::now();
        let mut tick = tokio::time::interval(Duration::from_millis(200));
        let heartbeat_every = Duration::from_millis(self.cfg.heartbeat_interval_ms);
        let mut last_heartbeat = tokio::time::Instant::now();
        loop {
            if self.shared.stopping.load(Ordering::SeqCst) {
                return Ok(());
            }
            let msg = tokio::select! {
                m = repl.read_message() => Some(m?),
                _ = tick.tick() => None,
            };
            let mut reply = false;
            if let Some(m) = msg {
                let Some(payload) = ReplicationConnection::copy_payload(m)? else {
                    continue;
                };
                match pgoutput::parse_server_message(&payload)
                    .map_err(|e| SessionError::Pg(PgError::Protocol(e.0)))?
                {
                    ServerMessage::Keepalive {
                        wal_end: end,
                        reply: r,
                        ..
                    } => {
                        reply = r;
                        // Between transactions, everything before the server's sent position was decoded and
                        // delivered: heartbeats carry it, so that an idle slot advances too.
                        if txs.is_none() {
                            self.lsn_proc = self.lsn_proc.max(end);
                        }
                    }
                    ServerMessage::XLogData {
                        wal_start, data, ..
                    } => {
                        let out = pgoutput::decode(data)
                            .map_err(|e| SessionError::Pg(PgError::Protocol(e.0)))?;
                        self.handle(&sql, &mut relations, &mut txs, wal_start, out)
                            .await?;
                    }
                }
            }
            let flush = self.shared.flush_lsn.load(Ordering::SeqCst);
            if reply || flush > sent_flush || last_status.elapsed() >= status_every {
                let update = pgoutput::standby_status_update(flush, flush, flush, now_micros());
                repl.send_copy_data(&update).await?;
                sent_flush = flush;
                last_status = tokio::time::Instant::now();
            }
            if self.cfg.heartbeat_interval_ms > 0
                && txs.is_none()
                && last_heartbeat.elapsed() >= heartbeat_every
            {
                last_heartbeat = tokio::time::Instant::now();
                let mut offset = self.last_offset.clone().unwrap_or_default();
                offset.insert("lsn_proc".into(), json!(self.lsn_proc));
                offset.insert("ts_usec".into(), json!(now_micros()));
                let rec = self.ctx.heartbeat(&self.cfg.heartbeat_topic, offset);
                self.emit(rec).await.map_err(SessionError::Fatal)?;
            }
        }
    }

    async fn handle(
        &mut self,
        sql: &tokio_postgres::Client,
        relations: &mut HashMap<u32, RelEntry>,
        txs: &mut Option<TxState>,
        lsn: u64,
        msg: PgOutput,
    ) -> Result<(), SessionError> {
        match msg {
            PgOutput::Begin {
                final_lsn,
                commit_time,
                xid,
            } => {
                *txs = Some(TxState {
                    final_lsn,
                    commit_time,
                    xid,
                    last_lsn: 0,
                    events_at_lsn: 0,
                    emitted_last: None,
                    id: format!("{xid}:{lsn}"),
                    counts: Vec::new(),
                    begun: false,
                });
            }
            PgOutput::Commit {
                commit_lsn,
                end_lsn,
                ..
            } => {
                if let Some(t) = txs.take() {
                    if t.begun {
                        let end = TxBoundary {
                            id: &t.id,
                            ts_ms: t.commit_time.div_euclid(1000),
                            end: Some(&t.counts),
                        };
                        let offset = self.last_offset.clone().unwrap_or_default();
                        let rec = self
                            .ctx
                            .transaction(&self.cfg.transaction_topic, &end, offset);
                        self.emit(rec).await.map_err(SessionError::Fatal)?;
                    }
                    if let Some((last_lsn, last_events)) = t.emitted_last {
                        let mut done = self
                            .shared
                            .completed
                            .lock()
                            .unwrap_or_else(|p| p.into_inner());
                        done.push_back(CompletedTx {
                            commit_lsn: t.final_lsn,
                            last_lsn,
                            last_events,
                            end_lsn,
                        });
                        while done.len() > COMPLETED_KEEP {
                            done.pop_front();
                        }
                    }
                }
                self.lsn_proc = self.lsn_proc.max(end_lsn);
                self.last_commit = Some(commit_lsn);
            }
            PgOutput::Relation(rel) => {
                let entry = if self.cfg.table_included(&rel.namespace, &rel.name) {
                    RelEntry::Captured(Box::new(self.relation_schema(sql, &rel).await?))
                } else {
                    RelEntry::Ignored
                };
                relations.insert(rel.oid, entry);
            }
            PgOutput::Insert { relation, new } => {
                self.change(relations, txs, lsn, relation, "c", None, Some(new))
                    .await?;
            }
            PgOutput::Update { relation, old, new } => {
                self.change(
                    relations,
                    txs,
                    lsn,
                    relation,
                    "u",
                    old.map(|o| o.1),
                    Some(new),
                )
                .await?;
            }
            PgOutput::Delete { relation, old } => {
                self.change(relations, txs, lsn, relation, "d", Some(old.1), None)
                    .await?;
            }
            PgOutput::Truncate {
                relations: rels, ..
            } => {
                for rel in rels {
                    self.change(relations, txs, lsn, rel, "t", None, None)
                        .await?;
                }
            }
            PgOutput::Type { .. } | PgOutput::Origin | PgOutput::Message { .. } => {}
        }
        Ok(())
    }

    async fn relation_schema(
        &self,
        sql: &tokio_postgres::Client,
        rel: &Relation,
    ) -> Result<TableSchema, PgError> {
        let (catalog, pk) = self.table_info(sql, rel.oid).await?;
        let columns = rel
            .columns
            .iter()
            .map(|c| ColumnType {
                name: c.name.clone(),
                type_oid: c.type_oid,
                type_modifier: c.type_modifier,
                optional: catalog
                    .iter()
                    .find(|k| k.name == c.name)
                    .is_none_or(|k| k.optional),
            })
            .collect();
        Ok(self.table_schema(&rel.namespace, &rel.name, columns, &pk))
    }

    #[allow(clippy::too_many_arguments)]
    async fn change(
        &mut self,
        relations: &HashMap<u32, RelEntry>,
        txs: &mut Option<TxState>,
        lsn: u64,
        relation: u32,
        op: &'static str,
        old: Option<Vec<TupleValue>>,
        new: Option<Vec<TupleValue>>,
    ) -> Result<(), SessionError> {
        let Some(tx) = txs.as_mut() else {
            return Err(SessionError::Pg(PgError::Protocol(
                "change outside a transaction".into(),
            )));
        };
        let table = match relations.get(&relation) {
            Some(RelEntry::Captured(t)) => t,
            Some(RelEntry::Ignored) => return Ok(()),
            None => {
                return Err(SessionError::Pg(PgError::Protocol(format!(
                    "change for relation {relation} before its Relation message"
                ))))
            }
        };
        let skipped = match op {
            "c" => self.cfg.skip_create,
            "u" => self.cfg.skip_update,
            "d" => self.cfg.skip_delete,
            _ => self.cfg.skip_truncate,
        };
        if lsn == tx.last_lsn {
            tx.events_at_lsn += 1;
        } else {
            tx.last_lsn = lsn;
            tx.events_at_lsn = 1;
        }
        let events = tx.events_at_lsn;
        let block = (self.cfg.provide_tx_metadata && !skipped)
            .then(|| tx.count(format!("{}.{}", table.schema, table.table)));
        if self.position.covers(tx.final_lsn, lsn, events) {
            return Ok(());
        }
        if block.is_some() && !tx.begun {
            tx.begun = true;
            // BEGIN carries the previous event's offset: committing it must not skip this transaction's changes.
            let offset = self.last_offset.clone().unwrap_or_else(|| {
                let mut o = OffsetMap::new();
                o.insert("lsn_proc".into(), json!(self.lsn_proc));
                o
            });
            let begin = TxBoundary {
                id: &tx.id,
                ts_ms: tx.commit_time.div_euclid(1000),
                end: None,
            };
            let rec = self
                .ctx
                .transaction(&self.cfg.transaction_topic, &begin, offset);
            self.emit(rec).await.map_err(SessionError::Fatal)?;
        }
        self.position = Position {
            commit_lsn: tx.final_lsn,
            lsn,
            events,
        };
        tx.emitted_last = Some((lsn, events));
        let message_type = match op {
            "c" => "INSERT",
            "u" => "UPDATE",
            "d" => "DELETE",
            _ => "TRUNCATE",
        };
        let mut offset = OffsetMap::new();
        offset.insert("lsn_proc".into(), json!(self.lsn_proc));
        offset.insert("messageType".into(), json!(message_type));
        offset.insert("lsn_commit".into(), json!(tx.final_lsn));
        offset.insert("lsn".into(), json!(lsn));
        offset.insert("lsn_events_processed".into(), json!(events));
        offset.insert("txId".into(), json!(tx.xid));
        offset.insert("ts_usec".into(), json!(tx.commit_time));
        self.last_offset = Some(offset.clone());
        if skipped {
            return Ok(());
        }
        let info = SourceInfo {
            ts_us: tx.commit_time,
            snapshot: "false",
            sequence: Some(format!(
                "[{},\"{}\"]",
                self.last_commit
                    .map(|l| format!("\"{l}\""))
                    .unwrap_or_else(|| "null".into()),
                lsn
            )),
            tx_id: Some(tx.xid as i64),
            lsn: Some(lsn as i64),
            transaction: block,
        };
        let conv = &self.conv;
        let before = old
            .map(|o| table.row(conv, &o))
            .transpose()
            .map_err(SessionError::bad_data)?;
        let after = new
            .map(|n| table.row(conv, &n))
            .transpose()
            .map_err(SessionError::bad_data)?;
        let key = if op == "t" {
            None
        } else {
            after
                .as_ref()
                .or(before.as_ref())
                .and_then(|r| table.key(r))
        };
        let table = table.clone();
        let rec = self.ctx.change(
            &table,
            op,
            key.clone(),
            before.map(|r| table.value(&r)),
            after.map(|r| table.value(&r)),
            &info,
            offset.clone(),
        );
        self.emit(rec).await.map_err(SessionError::Fatal)?;
        if op == "d" && self.cfg.tombstones_on_delete {
            if let Some(k) = key {
                let rec = self.ctx.tombstone(&table, k, offset);
                self.emit(rec).await.map_err(SessionError::Fatal)?;
            }
        }
        Ok(())
    }
}

enum SessionError {
    Pg(PgError),
    Fatal(Fatal),
}

impl SessionError {
    /// A value that cannot be converted: the task fails (Debezium's `event.processing.failure.handling.mode=fail`).
    fn bad_data(msg: String) -> SessionError {
        SessionError::Fatal(Fatal(msg))
    }
}

impl From<PgError> for SessionError {
    fn from(e: PgError) -> Self {
        SessionError::Pg(e)
    }
}

impl From<tokio_postgres::Error> for SessionError {
    fn from(e: tokio_postgres::Error) -> Self {
        SessionError::Pg(e.into())
    }
}

/// A simple query on the SQL connection, rows as text.
async fn simple(
    sql: &tokio_postgres::Client,
    query: &str,
) -> Result<Vec<Vec<Option<String>>>, PgError> {
    let msgs = sql.simple_query(query).await?;
    Ok(msgs
        .into_iter()
        .filter_map(|m| match m {
            SimpleQueryMessage::Row(r) => {
                Some((0..r.len()).map(|i| r.get(i).map(str::to_string)).collect())
            }
            _ => None,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offset(v: serde_json::Value) -> OffsetMap {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn flush_only_past_completed_transactions() {
        let s = Shared::default();
        s.completed.lock().unwrap().push_back(CompletedTx {
            commit_lsn: 500,
            last_lsn: 450,
            last_events: 1,
            end_lsn: 520,
        });
        // Mid-transaction: only up to the previous transaction's end.
        let mid = offset(
            json!({"lsn_proc": 300, "lsn_commit": 500, "lsn": 400, "lsn_events_processed": 1}),
        );
        assert_eq!(s.flush_for_offset(&mid), Some(300));
        // Last change of a completed transaction: its end.
        let last = offset(
            json!({"lsn_proc": 300, "lsn_commit": 500, "lsn": 450, "lsn_events_processed": 1}),
        );
        assert_eq!(s.flush_for_offset(&last), Some(520));
        // Snapshot offsets never move the slot.
        assert_eq!(
            s.flush_for_offset(&offset(json!({"snapshot": "INITIAL", "lsn": 9}))),
            None
        );
        s.advance_flush(520);
        s.advance_flush(300);
        assert_eq!(s.flush_lsn.load(Ordering::SeqCst), 520);
    }

    #[test]
    fn resume_position_skips_emitted_changes() {
        let p = Position::from_offset(&offset(
            json!({"lsn_commit": 500, "lsn": 400, "lsn_events_processed": 2}),
        ))
        .unwrap();
        assert!(p.covers(300, 350, 1));
        assert!(p.covers(500, 400, 2));
        assert!(p.covers(500, 390, 1));
        assert!(!p.covers(500, 400, 3));
        assert!(!p.covers(500, 410, 1));
        assert!(!p.covers(600, 100, 1));
    }
}
