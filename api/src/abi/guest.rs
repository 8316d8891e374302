//! The plugin side of the ABI: turns trait implementations into the exported manifest, dispatches calls, and
//! catches every panic so none unwinds into the worker. Plugin authors only use [`PluginDef`] and
//! [`export_plugins!`](crate::export_plugins).

use std::any::Any;
use std::ffi::c_void;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::OnceLock;

use bytes::Bytes;

use super::codec::{Decoder, Encoder};
use super::{
    host_op, kind, op, role, status, ConnectBuf, ConnectHost, ConnectPluginDescriptor,
    ConnectPluginManifest, ConnectStr, ABI_VERSION,
};
use crate::config::ConfigDef;
use crate::connector::{Connector, ConnectorContext};
use crate::error::{ConnectError, ConnectResult};
use crate::record::{OffsetMap, SinkRecord, SourceRecord, TopicPartition};
use crate::sink::{SinkTask, SinkTaskContext};
use crate::source::{SourceTask, SourceTaskContext, TransactionContext};
use crate::transform::{Predicate, Transformation};

/// A live plugin object inside the library.
pub enum Instance {
    Connector(Box<dyn Connector>),
    SourceTask(Box<dyn SourceTask>),
    SinkTask(Box<dyn SinkTask>),
    Transformation(Box<dyn Transformation>),
    Predicate(Box<dyn Predicate>),
}

type Factory = Box<dyn Fn(u32) -> Option<Instance> + Send + Sync>;

/// One plugin a library exports.
pub struct PluginDef {
    kind: u32,
    class_name: String,
    aliases: Vec<String>,
    version: String,
    config_def: ConfigDef,
    factory: Factory,
}

impl PluginDef {
    /// A source connector `C` whose tasks are `T`.
    pub fn source<C, T>(
        class_name: &str,
        aliases: &[&str],
        version: &str,
        config_def: ConfigDef,
    ) -> Self
    where
        C: Connector + Default + 'static,
        T: SourceTask + Default + 'static,
    {
        Self::new(
            kind::SOURCE,
            class_name,
            aliases,
            version,
            config_def,
            |r| match r {
                role::CONNECTOR => Some(Instance::Connector(Box::<C>::default())),
                role::TASK => Some(Instance::SourceTask(Box::<T>::default())),
                _ => None,
            },
        )
    }

    /// A sink connector `C` whose tasks are `T`.
    pub fn sink<C, T>(
        class_name: &str,
        aliases: &[&str],
        version: &str,
        config_def: ConfigDef,
    ) -> Self
    where
        C: Connector + Default + 'static,
        T: SinkTask + Default + 'static,
    {
        Self::new(
            kind::SINK,
            class_name,
            aliases,
            version,
            config_def,
            |r| match r {
                role::CONNECTOR => Some(Instance::Connector(Box::<C>::default())),
                role::TASK => Some(Instance::SinkTask(Box::<T>::default())),
                _ => None,
            },
        )
    }

    /// A single message transformation, usable in any connector's `transforms` chain.
    pub fn transformation<T>(
        class_name: &str,
        aliases: &[&str],
        version: &str,
        config_def: ConfigDef,
    ) -> Self
    where
        T: Transformation + Default + 'static,
    {
        Self::new(
            kind::TRANSFORMATION,
            class_name,
            aliases,
            version,
            config_def,
            |_| Some(Instance::Transformation(Box::<T>::default())),
        )
    }

    /// A predicate, usable in any connector's `predicates`.
    pub fn predicate<P>(
        class_name: &str,
        aliases: &[&str],
        version: &str,
        config_def: ConfigDef,
    ) -> Self
    where
        P: Predicate + Default + 'static,
    {
        Self::new(
            kind::PREDICATE,
            class_name,
            aliases,
            version,
            config_def,
            |_| Some(Instance::Predicate(Box::<P>::default())),
        )
    }

    fn new(
        kind: u32,
        class_name: &str,
        aliases: &[&str],
        version: &str,
        config_def: ConfigDef,
        factory: impl Fn(u32) -> Option<Instance> + Send + Sync + 'static,
    ) -> Self {
        PluginDef {
            kind,
            class_name: class_name.to_string(),
            aliases: aliases.iter().map(|s| s.to_string()).collect(),
            version: version.to_string(),
            config_def,
            factory: Box::new(factory),
        }
    }
}

/// Exports a library's plugins: `export_plugins!(my_plugins)` where `fn my_plugins() -> Vec<PluginDef>`.
#[macro_export]
macro_rules! export_plugins {
    ($plugins:path) => {
        /// The plugin manifest the Connect worker looks up (see `connect_plugin.h`).
        #[no_mangle]
        pub extern "C" fn connect_plugin_manifest() -> *const $crate::abi::ConnectPluginManifest {
            $crate::abi::guest::manifest($plugins)
        }
    };
}

/// The library's manifest, built once. Strings live in `Library` for as long as the library is loaded.
struct Library {
    plugins: Vec<PluginDef>,
    _strings: Vec<String>,
    descriptors: Vec<ConnectPluginDescriptor>,
    manifest: ConnectPluginManifest,
}

// SAFETY: the raw pointers in the manifest point into this same immutable, never-dropped value.
unsafe impl Send for Library {}
unsafe impl Sync for Library {}

static LIBRARY: OnceLock<Library> = OnceLock::new();

fn cstr(s: &str) -> ConnectStr {
    ConnectStr {
        ptr: s.as_ptr(),
        len: s.len(),
    }
}

/// Builds (once) and returns the manifest for `plugins`. Called by the `export_plugins!` symbol.
pub fn manifest(plugins: fn() -> Vec<PluginDef>) -> *const ConnectPluginManifest {
    let lib = LIBRARY.get_or_init(|| {
        let plugins = catch_unwind(plugins).unwrap_or_default();
        let strings: Vec<String> = plugins
            .iter()
            .flat_map(|p| {
                [
                    p.class_name.clone(),
                    p.aliases.join(","),
                    p.version.clone(),
                    serde_json::to_string(&p.config_def).unwrap_or_else(|_| "{}".into()),
                ]
            })
            .collect();
        let descriptors: Vec<ConnectPluginDescriptor> = plugins
            .iter()
            .zip(strings.chunks(4))
            .map(|(p, s)| ConnectPluginDescriptor {
                kind: p.kind,
                class_name: cstr(&s[0]),
                aliases: cstr(&s[1]),
                version: cstr(&s[2]),
                config_def: cstr(&s[3]),
            })
            .collect();
        let mut lib = Library {
            plugins,
            _strings: strings,
            descriptors,
            manifest: ConnectPluginManifest {
                abi_version: ABI_VERSION,
                plugin_count: 0,
                plugins: std::ptr::null(),
                create,
                destroy,
                call,
                free_buf,
            },
        };
        lib.manifest.plugin_count = lib.descriptors.len() as u32;
        lib.manifest.plugins = lib.descriptors.as_ptr();
        lib
    });
    &lib.manifest
}

/// One instance plus the worker's callbacks for it.
struct GuestInstance {
    instance: Instance,
    host: HostHandle,
    plugin_index: usize,
}

/// The worker's callbacks, usable from any plugin thread.
#[derive(Clone, Copy)]
struct HostHandle(*const ConnectHost);

// SAFETY: the worker guarantees the host struct outlives the instance and that its `call` is thread-safe.
unsafe impl Send for HostHandle {}
unsafe impl Sync for HostHandle {}

impl HostHandle {
    fn call(&self, op: u32, req: &[u8]) -> ConnectResult<Vec<u8>> {
        // SAFETY: see the Send/Sync note; the response buffer is freed with the host's own free_buf.
        unsafe {
            let host = &*self.0;
            let mut resp = ConnectBuf::EMPTY;
            let code = (host.call)(host.ctx, op, req.as_ptr(), req.len(), &mut resp);
            let bytes = resp.as_slice().to_vec();
            (host.free_buf)(resp);
            if code == status::OK {
                Ok(bytes)
            } else {
                Err(ConnectError::from_code(
                    code,
                    String::from_utf8_lossy(&bytes).into_owned(),
                ))
            }
        }
    }

    fn call_quiet(&self, op: u32, req: &[u8]) {
        if let Err(e) = self.call(op, req) {
            eprintln!("connect plugin: host call {op} failed: {e}");
        }
    }
}

impl ConnectorContext for HostHandle {
    fn request_task_reconfiguration(&self) {
        self.call_quiet(host_op::REQUEST_TASK_RECONFIGURATION, &[]);
    }
    fn raise_error(&self, message: &str) {
        self.call_quiet(host_op::RAISE_ERROR, message.as_bytes());
    }
}

impl SourceTaskContext for HostHandle {
    fn offset(&self, partition: &OffsetMap) -> Option<OffsetMap> {
        let mut e = Encoder::new();
        e.offset_map(partition);
        let resp = self.call(host_op::SOURCE_OFFSET, &e.finish()).ok()?;
        Decoder::new(Bytes::from(resp))
            .opt_offset_map()
            .ok()
            .flatten()
    }
    fn transaction_context(&self) -> Option<&dyn TransactionContext> {
        let resp = self
            .call(host_op::SOURCE_HAS_TRANSACTION_CONTEXT, &[])
            .ok()?;
        (resp.first() == Some(&1)).then_some(self as &dyn TransactionContext)
    }
}

impl HostHandle {
    /// Asks the worker to end the transaction: `abort` or commit, after `record` or after the batch.
    fn end_transaction(&self, abort: bool, record: Option<&SourceRecord>) {
        let mut e = Encoder::new();
        e.u8(u8::from(abort)).u8(u8::from(record.is_some()));
        if let Some(record) = record {
            e.source_record(record);
        }
        self.call_quiet(host_op::SOURCE_END_TRANSACTION, &e.finish());
    }
}

impl TransactionContext for HostHandle {
    fn commit_transaction(&self) {
        self.end_transaction(false, None);
    }
    fn commit_transaction_on(&self, record: &SourceRecord) {
        self.end_transaction(false, Some(record));
    }
    fn abort_transaction(&self) {
        self.end_transaction(true, None);
    }
    fn abort_transaction_on(&self, record: &SourceRecord) {
        self.end_transaction(true, Some(record));
    }
}

fn encode_partitions(parts: &[TopicPartition]) -> Vec<u8> {
    let mut e = Encoder::new();
    e.partitions(parts);
    e.finish()
}

impl SinkTaskContext for HostHandle {
    fn offset(&self, partition: &TopicPartition, offset: i64) {
        let mut e = Encoder::new();
        e.str(&partition.topic).i32(partition.partition).i64(offset);
        self.call_quiet(host_op::SINK_OFFSET, &e.finish());
    }
    fn timeout(&self, ms: i64) {
        self.call_quiet(host_op::SINK_TIMEOUT, &ms.to_le_bytes());
    }
    fn assignment(&self) -> Vec<TopicPartition> {
        self.call(host_op::SINK_ASSIGNMENT, &[])
            .and_then(|r| Decoder::new(Bytes::from(r)).partitions())
            .unwrap_or_default()
    }
    fn pause(&self, partitions: &[TopicPartition]) {
        self.call_quiet(host_op::SINK_PAUSE, &encode_partitions(partitions));
    }
    fn resume(&self, partitions: &[TopicPartition]) {
        self.call_quiet(host_op::SINK_RESUME, &encode_partitions(partitions));
    }
    fn request_commit(&self) {
        self.call_quiet(host_op::SINK_REQUEST_COMMIT, &[]);
    }
    fn has_errant_record_reporter(&self) -> bool {
        self.call(host_op::SINK_HAS_REPORTER, &[])
            .map(|r| r.first() == Some(&1))
            .unwrap_or(false)
    }
    fn report(&self, record: &SinkRecord, error: &ConnectError) -> ConnectResult<()> {
        let mut e = Encoder::new();
        e.record(record).i32(error.code()).str(error.message());
        self.call(host_op::SINK_REPORT, &e.finish()).map(|_| ())
    }
}

unsafe extern "C" fn create(plugin_index: u32, role: u32, host: *const ConnectHost) -> *mut c_void {
    let made = catch_unwind(|| {
        let lib = LIBRARY.get()?;
        let def = lib.plugins.get(plugin_index as usize)?;
        (def.factory)(role)
    });
    match made {
        Ok(Some(instance)) => Box::into_raw(Box::new(GuestInstance {
            instance,
            host: HostHandle(host),
            plugin_index: plugin_index as usize,
        }))
        .cast(),
        _ => std::ptr::null_mut(),
    }
}

unsafe extern "C" fn destroy(instance: *mut c_void) {
    if !instance.is_null() {
        // SAFETY: `instance` came from `create` and the worker destroys it once.
        let boxed = unsafe { Box::from_raw(instance.cast::<GuestInstance>()) };
        let _ = catch_unwind(AssertUnwindSafe(move || drop(boxed)));
    }
}

unsafe extern "C" fn free_buf(buf: ConnectBuf) {
    // SAFETY: buffers this library hands out are made by `ConnectBuf::from_vec` here.
    unsafe { buf.free_vec() }
}

fn panic_message(payload: &(dyn Any + Send)) -> String {
    let text = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic payload".to_string());
    format!("plugin panicked: {text}")
}

unsafe extern "C" fn call(
    instance: *mut c_void,
    op: u32,
    req: *const u8,
    req_len: usize,
    resp: *mut ConnectBuf,
) -> i32 {
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        if instance.is_null() {
            return Err(ConnectError::connect("null plugin instance"));
        }
        // SAFETY: the worker passes an instance from `create` and a request buffer valid for this call, and
        // never calls one instance from two threads at once.
        let inst = unsafe { &mut *instance.cast::<GuestInstance>() };
        let request = if req.is_null() {
            &[][..]
        } else {
            unsafe { std::slice::from_raw_parts(req, req_len) }
        };
        dispatch(inst, op, request)
    }));
    let (code, bytes) = match outcome {
        Ok(Ok(bytes)) => (status::OK, bytes),
        Ok(Err(e)) => (e.code(), e.message().as_bytes().to_vec()),
        Err(payload) => (status::PANIC, panic_message(payload.as_ref()).into_bytes()),
    };
    if !resp.is_null() {
        // SAFETY: the worker passes a writable ConnectBuf.
        unsafe { *resp = ConnectBuf::from_vec(bytes) };
    }
    code
}

fn unsupported(op: u32) -> ConnectError {
    ConnectError::connect(format!(
        "operation {op} is not supported by this plugin instance"
    ))
}

fn dispatch(inst: &mut GuestInstance, op: u32, request: &[u8]) -> ConnectResult<Vec<u8>> {
    let host = inst.host;
    let plugin_index = inst.plugin_index;
    let mut req = Decoder::from_slice(request);
    let mut out = Encoder::new();
    match (&mut inst.instance, op) {
        (Instance::Connector(c), op::CONNECTOR_START) => c.start(&req.config()?, Box::new(host))?,
        (Instance::Connector(c), op::CONNECTOR_TASK_CONFIGS) => {
            let max = req.u32()? as usize;
            out.configs(&c.task_configs(max)?);
        }
        (Instance::Connector(c), op::CONNECTOR_STOP) => c.stop()?,
        (Instance::Connector(c), op::CONNECTOR_VALIDATE) => {
            let config = req.config()?;
            let def = LIBRARY
                .get()
                .and_then(|l| l.plugins.get(plugin_index))
                .map(|p| p.config_def.clone())
                .unwrap_or_default();
            let values = c.validate(&config, &def);
            return serde_json::to_vec(&values).map_err(|e| ConnectError::connect(e.to_string()));
        }
        (Instance::Connector(c), op::CONNECTOR_EXACTLY_ONCE_SUPPORT) => {
            out.u8(super::exactly_once_support_code(
                c.exactly_once_support(&req.config()?),
            ));
        }
        (Instance::Connector(c), op::CONNECTOR_CAN_DEFINE_TRANSACTION_BOUNDARIES) => {
            out.u8(u8::from(
                c.can_define_transaction_boundaries(&req.config()?),
            ));
        }
        (Instance::SourceTask(t), op::TASK_START) => t.start(&req.config()?, Box::new(host))?,
        (Instance::SourceTask(t), op::SOURCE_POLL) => {
            let records = t.poll()?;
            out.u32(records.len() as u32);
            records.iter().for_each(|r| {
                out.source_record(r);
            });
        }
        (Instance::SourceTask(t), op::SOURCE_COMMIT) => t.commit()?,
        (Instance::SourceTask(t), op::SOURCE_COMMITS_RECORDS) => {
            out.u8(u8::from(t.commits_records()));
        }
        (Instance::SourceTask(t), op::SOURCE_COMMIT_RECORD) => {
            let (record, metadata) = req.committed_record()?;
            t.commit_record(&record, metadata.as_ref())?;
        }
        (Instance::SourceTask(t), op::TASK_STOP) => t.stop()?,
        (Instance::SinkTask(t), op::TASK_START) => t.start(&req.config()?, Box::new(host))?,
        (Instance::SinkTask(t), op::SINK_OPEN) => t.open(&req.partitions()?)?,
        (Instance::SinkTask(t), op::SINK_PUT) => t.put(req.batch(Decoder::record)?)?,
        (Instance::SinkTask(t), op::SINK_PRE_COMMIT) => {
            out.partition_offsets(&t.pre_commit(req.partition_offsets()?)?);
        }
        (Instance::SinkTask(t), op::SINK_CLOSE) => t.close(&req.partitions()?)?,
        (Instance::SinkTask(t), op::TASK_STOP) => t.stop()?,
        (Instance::Transformation(t), op::CONFIGURE) => t.configure(&req.config()?)?,
        (Instance::Transformation(t), op::TRANSFORM_APPLY) => match t.apply(req.record()?)? {
            Some(record) => {
                out.u8(1).record(&record);
            }
            None => {
                out.u8(0);
            }
        },
        (Instance::Predicate(p), op::CONFIGURE) => p.configure(&req.config()?)?,
        (Instance::Predicate(p), op::PREDICATE_TEST) => {
            out.u8(u8::from(p.test(&req.record()?)?));
        }
        (_, other) => return Err(unsupported(other)),
    }
    Ok(out.finish())
}
