//! PostgresConnectorTask: owns the library's tokio runtime and the background streamer; `poll()` drains the
//! bounded queue, `commit()` turns the offset the worker committed into the slot's flush LSN.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use connect_api::{
    Config, ConnectError, ConnectResult, OffsetMap, SourceRecord, SourceTask, SourceTaskContext,
};
use serde_json::json;
use tokio::runtime::Runtime;
use tokio::sync::mpsc;

use crate::config::PgConfig;
use crate::replication::quote_literal;
use crate::stream::{self, Item, Shared};
use crate::types::Conversion;

#[derive(Default)]
pub struct PostgresConnectorTask {
    runtime: Option<Runtime>,
    rx: Option<mpsc::Receiver<Item>>,
    shared: Arc<Shared>,
    context: Option<Box<dyn SourceTaskContext>>,
    partition: OffsetMap,
    config: Option<PgConfig>,
    failed: Option<String>,
}

impl SourceTask for PostgresConnectorTask {
    fn start(&mut self, config: &Config, context: Box<dyn SourceTaskContext>) -> ConnectResult<()> {
        let cfg = PgConfig::parse(config)?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("connect-postgres")
            .enable_all()
            .build()
            .map_err(|e| ConnectError::connect(format!("cannot start the tokio runtime: {e}")))?;
        self.partition = OffsetMap::new();
        self.partition
            .insert("server".into(), json!(cfg.topic_prefix));
        let stored = context.offset(&self.partition);
        let (tx, rx) = mpsc::channel(cfg.max_queue_size);
        self.shared = Arc::new(Shared::default());
        let conv = Conversion {
            decimal: cfg.decimal_mode,
            time: cfg.time_precision,
            binary: cfg.binary_mode,
            placeholder: cfg.placeholder.clone(),
        };
        runtime.spawn(stream::run(
            cfg.clone(),
            conv,
            self.shared.clone(),
            tx,
            stored,
        ));
        self.runtime = Some(runtime);
        self.rx = Some(rx);
        self.context = Some(context);
        self.config = Some(cfg);
        Ok(())
    }

    fn poll(&mut self) -> ConnectResult<Vec<SourceRecord>> {
        if let Some(msg) = &self.failed {
            return Err(ConnectError::connect(msg.clone()));
        }
        let (Some(rt), Some(rx), Some(cfg)) = (&self.runtime, &mut self.rx, &self.config) else {
            return Ok(Vec::new());
        };
        let max = cfg.max_batch_size;
        let wait = Duration::from_millis(cfg.poll_interval_ms.max(1));
        let mut out = Vec::new();
        let deadline = Instant::now() + wait;
        while out.len() < max {
            let item = match rx.try_recv() {
                Ok(item) => Some(item),
                Err(mpsc::error::TryRecvError::Disconnected) => break,
                Err(mpsc::error::TryRecvError::Empty) if !out.is_empty() => break,
                Err(mpsc::error::TryRecvError::Empty) => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        break;
                    }
                    rt.block_on(async {
                        tokio::time::timeout(left, rx.recv()).await.ok().flatten()
                    })
                }
            };
            match item {
                Some(Item::Record(r)) => out.push(*r),
                Some(Item::Failed(msg)) => {
                    self.failed = Some(msg.clone());
                    if out.is_empty() {
                        return Err(ConnectError::connect(msg));
                    }
                    break;
                }
                None => break,
            }
        }
        Ok(out)
    }

    fn commit(&mut self) -> ConnectResult<()> {
        let Some(context) = &self.context else {
            return Ok(());
        };
        if let Some(offset) = context.offset(&self.partition) {
            if let Some(lsn) = self.shared.flush_for_offset(&offset) {
                self.shared.advance_flush(lsn);
            }
        }
        Ok(())
    }

    fn stop(&mut self) -> ConnectResult<()> {
        self.shared.stopping.store(true, Ordering::SeqCst);
        self.rx = None;
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_timeout(Duration::from_secs(5));
        }
        if let Some(cfg) = self.config.take() {
            if cfg.slot_drop_on_stop {
                drop_slot(&cfg);
            }
        }
        Ok(())
    }
}

/// `slot.drop.on.stop`: drops the slot once the replication connection is gone.
fn drop_slot(cfg: &PgConfig) {
    let Ok(rt) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    else {
        return;
    };
    let cfg = cfg.clone();
    rt.block_on(async move {
        let mut c = tokio_postgres::Config::new();
        c.host(&cfg.host).port(cfg.port).user(&cfg.user).dbname(&cfg.dbname);
        if let Some(p) = &cfg.password {
            c.password(p);
        }
        let Ok((client, conn)) = c.connect(tokio_postgres::NoTls).await else { return };
        tokio::spawn(async move {
            let _ = conn.await;
        });
        let sql = format!(
            "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = {}",
            quote_literal(&cfg.slot_name)
        );
        for _ in 0..20 {
            if client.simple_query(&sql).await.is_ok() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    });
}
