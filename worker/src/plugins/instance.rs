//! Plugin instances behind the C ABI, adapted to the connect-api traits; and the worker's side of the host
//! callbacks (offset reads, sink context, connector context) that plugins call back into.

use std::ffi::c_void;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use connect_api::abi::codec::{Decoder, Encoder};
use connect_api::abi::{
    exactly_once_support_from_code, host_op, op, role, status, ConnectBuf, ConnectHost,
};
use connect_api::config::{ConfigDef, ConfigValue};
use connect_api::sink::PartitionOffsets;
use connect_api::transform::{Predicate, Transformation};
use connect_api::{
    Config, ConnectError, ConnectRecord, ConnectResult, Connector, ConnectorContext,
    ExactlyOnceSupport, RecordMetadata, SinkRecord, SinkTask, SinkTaskContext, SourceRecord,
    SourceTask, SourceTaskContext, TopicPartition,
};

use super::library::{LibraryPlugin, PluginLibrary};

/// The contexts a plugin instance may call back into, set when the instance is started.
#[derive(Default)]
struct HostContexts {
    connector: OnceLock<Box<dyn ConnectorContext>>,
    source: OnceLock<Box<dyn SourceTaskContext>>,
    sink: OnceLock<Box<dyn SinkTaskContext>>,
}

/// One live instance inside a plugin library.
struct RawInstance {
    library: Arc<PluginLibrary>,
    handle: *mut c_void,
    /// Boxed so its address is stable for the plugin; points at `contexts`.
    _host: Box<ConnectHost>,
    contexts: Arc<HostContexts>,
    /// Set after a panic: the instance's state is unknown, so it is never called again.
    poisoned: AtomicBool,
    class_name: String,
}

// SAFETY: an instance is used from one thread at a time (the ABI's rule); the handle is opaque.
unsafe impl Send for RawInstance {}

/// A plugin-owned response buffer, freed by the plugin when the last `Bytes` slice of it drops.
struct PluginBuf {
    library: Arc<PluginLibrary>,
    buf: ConnectBuf,
}

// SAFETY: the buffer is plain memory owned by this value until dropped.
unsafe impl Send for PluginBuf {}

impl AsRef<[u8]> for PluginBuf {
    fn as_ref(&self) -> &[u8] {
        // SAFETY: the plugin filled ptr/len and keeps the memory until free_buf.
        unsafe { self.buf.as_slice() }
    }
}

impl Drop for PluginBuf {
    fn drop(&mut self) {
        let buf = std::mem::replace(&mut self.buf, ConnectBuf::EMPTY);
        // SAFETY: returning the plugin's own buffer to its own allocator, once.
        unsafe { (self.library.manifest().free_buf)(buf) };
    }
}

impl RawInstance {
    fn create(plugin: &LibraryPlugin, role: u32) -> ConnectResult<RawInstance> {
        let contexts = Arc::new(HostContexts::default());
        let host = Box::new(ConnectHost {
            ctx: Arc::as_ptr(&contexts) as *mut c_void,
            call: host_call,
            free_buf: host_free_buf,
        });
        let m = plugin.library.manifest();
        // SAFETY: creating an instance as the ABI defines; `host` outlives it (dropped after destroy).
        let handle = unsafe { (m.create)(plugin.index, role, &*host) };
        if handle.is_null() {
            return Err(ConnectError::connect(format!(
                "plugin {} in {} failed to create an instance",
                plugin.info.class_name,
                plugin.library.path.display()
            )));
        }
        Ok(RawInstance {
            library: plugin.library.clone(),
            handle,
            _host: host,
            contexts,
            poisoned: AtomicBool::new(false),
            class_name: plugin.info.class_name.clone(),
        })
    }

    fn call(&self, op: u32, req: &[u8]) -> ConnectResult<Bytes> {
        if self.poisoned.load(Ordering::Relaxed) {
            return Err(ConnectError::connect(format!(
                "{} is unusable after an earlier panic",
                self.class_name
            )));
        }
        let mut resp = ConnectBuf::EMPTY;
        // SAFETY: a live instance, a request valid for the call, and a writable response slot.
        let code = unsafe {
            (self.library.manifest().call)(self.handle, op, req.as_ptr(), req.len(), &mut resp)
        };
        let body = Bytes::from_owner(PluginBuf {
            library: self.library.clone(),
            buf: resp,
        });
        match code {
            status::OK => Ok(body),
            status::PANIC => {
                self.poisoned.store(true, Ordering::Relaxed);
                Err(ConnectError::connect(
                    String::from_utf8_lossy(&body).into_owned(),
                ))
            }
            code => Err(ConnectError::from_code(
                code,
                String::from_utf8_lossy(&body).into_owned(),
            )),
        }
    }
}

impl Drop for RawInstance {
    fn drop(&mut self) {
        // SAFETY: destroying our own instance exactly once; the plugin catches its own panics.
        unsafe { (self.library.manifest().destroy)(self.handle) };
    }
}

fn encode(f: impl FnOnce(&mut Encoder) -> &mut Encoder) -> Vec<u8> {
    let mut e = Encoder::new();
    f(&mut e);
    e.finish()
}

/// A connector living in a plugin library.
pub struct PluginConnector(RawInstance);

impl PluginConnector {
    pub fn create(plugin: &LibraryPlugin) -> ConnectResult<Self> {
        RawInstance::create(plugin, role::CONNECTOR).map(PluginConnector)
    }
}

impl Connector for PluginConnector {
    fn start(&mut self, config: &Config, context: Box<dyn ConnectorContext>) -> ConnectResult<()> {
        let _ = self.0.contexts.connector.set(context);
        self.0
            .call(op::CONNECTOR_START, &encode(|e| e.config(config)))
            .map(drop)
    }
    fn task_configs(&mut self, max_tasks: usize) -> ConnectResult<Vec<Config>> {
        let resp = self.0.call(
            op::CONNECTOR_TASK_CONFIGS,
            &encode(|e| e.u32(max_tasks as u32)),
        )?;
        Decoder::new(resp).configs()
    }
    fn stop(&mut self) -> ConnectResult<()> {
        self.0.call(op::CONNECTOR_STOP, &[]).map(drop)
    }
    fn validate(&self, config: &Config, def: &ConfigDef) -> Vec<ConfigValue> {
        self.0
            .call(op::CONNECTOR_VALIDATE, &encode(|e| e.config(config)))
            .ok()
            .and_then(|resp| serde_json::from_slice(&resp).ok())
            .unwrap_or_else(|| def.validate(config))
    }
    /// Plugins built before the operation existed answer it with an error: they say nothing.
    fn exactly_once_support(&self, config: &Config) -> Option<ExactlyOnceSupport> {
        let resp = self
            .0
            .call(
                op::CONNECTOR_EXACTLY_ONCE_SUPPORT,
                &encode(|e| e.config(config)),
            )
            .ok()?;
        exactly_once_support_from_code(resp.first().copied())
    }
    fn can_define_transaction_boundaries(&self, config: &Config) -> bool {
        self.0
            .call(
                op::CONNECTOR_CAN_DEFINE_TRANSACTION_BOUNDARIES,
                &encode(|e| e.config(config)),
            )
            .is_ok_and(|resp| resp.first() == Some(&1))
    }
}

/// A source task living in a plugin library.
pub struct PluginSourceTask(RawInstance);

impl PluginSourceTask {
    pub fn create(plugin: &LibraryPlugin) -> ConnectResult<Self> {
        RawInstance::create(plugin, role::TASK).map(PluginSourceTask)
    }
}

impl SourceTask for PluginSourceTask {
    fn start(&mut self, config: &Config, context: Box<dyn SourceTaskContext>) -> ConnectResult<()> {
        let _ = self.0.contexts.source.set(context);
        self.0
            .call(op::TASK_START, &encode(|e| e.config(config)))
            .map(drop)
    }
    fn poll(&mut self) -> ConnectResult<Vec<SourceRecord>> {
        let resp = self.0.call(op::SOURCE_POLL, &[])?;
        if resp.is_empty() {
            return Ok(Vec::new());
        }
        Decoder::new(resp).batch(Decoder::source_record)
    }
    fn commit(&mut self) -> ConnectResult<()> {
        self.0.call(op::SOURCE_COMMIT, &[]).map(drop)
    }
    /// Plugins built before the operation existed answer it with an error: they get no `commit_record` calls.
    fn commits_records(&self) -> bool {
        self.0
            .call(op::SOURCE_COMMITS_RECORDS, &[])
            .is_ok_and(|resp| resp.first() == Some(&1))
    }
    fn commit_record(
        &mut self,
        record: &SourceRecord,
        metadata: Option<&RecordMetadata>,
    ) -> ConnectResult<()> {
        self.0
            .call(
                op::SOURCE_COMMIT_RECORD,
                &encode(|e| e.committed_record(record, metadata)),
            )
            .map(drop)
    }
    fn stop(&mut self) -> ConnectResult<()> {
        self.0.call(op::TASK_STOP, &[]).map(drop)
    }
}

/// A sink task living in a plugin library.
pub struct PluginSinkTask(RawInstance);

impl PluginSinkTask {
    pub fn create(plugin: &LibraryPlugin) -> ConnectResult<Self> {
        RawInstance::create(plugin, role::TASK).map(PluginSinkTask)
    }
}

impl SinkTask for PluginSinkTask {
    fn start(&mut self, config: &Config, context: Box<dyn SinkTaskContext>) -> ConnectResult<()> {
        let _ = self.0.contexts.sink.set(context);
        self.0
            .call(op::TASK_START, &encode(|e| e.config(config)))
            .map(drop)
    }
    fn open(&mut self, partitions: &[TopicPartition]) -> ConnectResult<()> {
        self.0
            .call(op::SINK_OPEN, &encode(|e| e.partitions(partitions)))
            .map(drop)
    }
    fn put(&mut self, records: Vec<SinkRecord>) -> ConnectResult<()> {
        self.put_borrowed(&records)
    }
    fn put_borrowed(&mut self, records: &[SinkRecord]) -> ConnectResult<()> {
        let req = encode(|e| {
            e.u32(records.len() as u32);
            for r in records {
                e.record(r);
            }
            e
        });
        self.0.call(op::SINK_PUT, &req).map(drop)
    }
    fn pre_commit(&mut self, offsets: PartitionOffsets) -> ConnectResult<PartitionOffsets> {
        let resp = self.0.call(
            op::SINK_PRE_COMMIT,
            &encode(|e| e.partition_offsets(&offsets)),
        )?;
        Decoder::new(resp).partition_offsets()
    }
    fn close(&mut self, partitions: &[TopicPartition]) -> ConnectResult<()> {
        self.0
            .call(op::SINK_CLOSE, &encode(|e| e.partitions(partitions)))
            .map(drop)
    }
    fn stop(&mut self) -> ConnectResult<()> {
        self.0.call(op::TASK_STOP, &[]).map(drop)
    }
}

/// A transformation living in a plugin library.
pub struct PluginTransformation(RawInstance);

impl PluginTransformation {
    pub fn create(plugin: &LibraryPlugin) -> ConnectResult<Self> {
        RawInstance::create(plugin, role::CONNECTOR).map(PluginTransformation)
    }
}

impl Transformation for PluginTransformation {
    fn configure(&mut self, config: &Config) -> ConnectResult<()> {
        self.0
            .call(op::CONFIGURE, &encode(|e| e.config(config)))
            .map(drop)
    }
    fn apply(&mut self, record: ConnectRecord) -> ConnectResult<Option<ConnectRecord>> {
        let resp = self
            .0
            .call(op::TRANSFORM_APPLY, &encode(|e| e.record(&record)))?;
        let mut d = Decoder::new(resp);
        if d.bool()? {
            d.record().map(Some)
        } else {
            Ok(None)
        }
    }
}

/// A predicate living in a plugin library.
pub struct PluginPredicate(RawInstance);

impl PluginPredicate {
    pub fn create(plugin: &LibraryPlugin) -> ConnectResult<Self> {
        RawInstance::create(plugin, role::CONNECTOR).map(PluginPredicate)
    }
}

impl Predicate for PluginPredicate {
    fn configure(&mut self, config: &Config) -> ConnectResult<()> {
        self.0
            .call(op::CONFIGURE, &encode(|e| e.config(config)))
            .map(drop)
    }
    fn test(&mut self, record: &ConnectRecord) -> ConnectResult<bool> {
        let resp = self
            .0
            .call(op::PREDICATE_TEST, &encode(|e| e.record(record)))?;
        Decoder::new(resp).bool()
    }
}

unsafe extern "C" fn host_free_buf(buf: ConnectBuf) {
    // SAFETY: the worker's own buffers are made by ConnectBuf::from_vec in this binary.
    unsafe { buf.free_vec() }
}

/// Entry point for plugin → worker calls. Never unwinds.
unsafe extern "C" fn host_call(
    ctx: *mut c_void,
    op: u32,
    req: *const u8,
    req_len: usize,
    resp: *mut ConnectBuf,
) -> i32 {
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: ctx is the HostContexts of a live instance; the request is valid for this call.
        let contexts = unsafe { &*(ctx as *const HostContexts) };
        let request = if req.is_null() {
            &[][..]
        } else {
            unsafe { std::slice::from_raw_parts(req, req_len) }
        };
        handle_host_call(contexts, op, request)
    }));
    let (code, body) = match outcome {
        Ok(Ok(body)) => (status::OK, body),
        Ok(Err(e)) => (e.code(), e.message().as_bytes().to_vec()),
        Err(_) => (
            status::PANIC,
            b"worker panicked while serving a plugin callback".to_vec(),
        ),
    };
    if !resp.is_null() {
        // SAFETY: the plugin passes a writable ConnectBuf and returns it through host_free_buf.
        unsafe { *resp = ConnectBuf::from_vec(body) };
    }
    code
}

fn no_context(what: &str) -> ConnectError {
    ConnectError::connect(format!(
        "no {what} context: the instance was not started as one"
    ))
}

fn handle_host_call(contexts: &HostContexts, op: u32, request: &[u8]) -> ConnectResult<Vec<u8>> {
    let mut req = Decoder::from_slice(request);
    let sink = || contexts.sink.get().ok_or_else(|| no_context("sink task"));
    let connector = || {
        contexts
            .connector
            .get()
            .ok_or_else(|| no_context("connector"))
    };
    let source = || {
        contexts
            .source
            .get()
            .ok_or_else(|| no_context("source task"))
    };
    let out = match op {
        host_op::SOURCE_OFFSET => {
            let offset = source()?.offset(&req.offset_map()?);
            encode(|e| e.opt_offset_map(offset.as_ref()))
        }
        host_op::SOURCE_HAS_TRANSACTION_CONTEXT => {
            vec![u8::from(source()?.transaction_context().is_some())]
        }
        host_op::SOURCE_END_TRANSACTION => {
            let source = source()?;
            let context = source.transaction_context().ok_or_else(|| {
                ConnectError::connect(
                    "the task has no transaction context: transaction.boundary is not 'connector' or exactly-once source support is disabled",
                )
            })?;
            let abort = req.bool()?;
            let record = if req.bool()? {
                Some(req.source_record()?)
            } else {
                None
            };
            match (abort, &record) {
                (false, None) => context.commit_transaction(),
                (false, Some(r)) => context.commit_transaction_on(r),
                (true, None) => context.abort_transaction(),
                (true, Some(r)) => context.abort_transaction_on(r),
            }
            Vec::new()
        }
        host_op::REQUEST_TASK_RECONFIGURATION => {
            connector()?.request_task_reconfiguration();
            Vec::new()
        }
        host_op::RAISE_ERROR => {
            connector()?.raise_error(&String::from_utf8_lossy(request));
            Vec::new()
        }
        host_op::SINK_OFFSET => {
            let tp = TopicPartition::new(req.str()?, req.i32()?);
            sink()?.offset(&tp, req.i64()?);
            Vec::new()
        }
        host_op::SINK_TIMEOUT => {
            sink()?.timeout(req.i64()?);
            Vec::new()
        }
        host_op::SINK_ASSIGNMENT => {
            let assignment = sink()?.assignment();
            encode(|e| e.partitions(&assignment))
        }
        host_op::SINK_PAUSE => {
            sink()?.pause(&req.partitions()?);
            Vec::new()
        }
        host_op::SINK_RESUME => {
            sink()?.resume(&req.partitions()?);
            Vec::new()
        }
        host_op::SINK_REQUEST_COMMIT => {
            sink()?.request_commit();
            Vec::new()
        }
        host_op::SINK_HAS_REPORTER => vec![sink()?.has_errant_record_reporter() as u8],
        host_op::SINK_REPORT => {
            let record = req.record()?;
            let error = ConnectError::from_code(req.i32()?, req.str()?);
            sink()?.report(&record, &error)?;
            Vec::new()
        }
        other => {
            return Err(ConnectError::connect(format!(
                "unknown host operation {other}"
            )))
        }
    };
    Ok(out)
}
