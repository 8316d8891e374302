//! The stable, C-compatible plugin ABI: the manifest a plugin library exports, the host callbacks, operation codes
//! and status codes. `api/include/connect_plugin.h` is the same contract for C; `guest` is the Rust plugin side.

pub mod codec;
pub mod guest;

use std::ffi::c_void;

use crate::connector::ExactlyOnceSupport;

/// Bumped on any incompatible change; the worker skips libraries built against another version.
pub const ABI_VERSION: u32 = 1;
/// The one symbol every plugin library exports: `const ConnectPluginManifest *connect_plugin_manifest(void)`.
pub const MANIFEST_SYMBOL: &[u8] = b"connect_plugin_manifest\0";

/// Bytes owned by whichever side allocated them; hand them back to that side's `free_buf`.
#[repr(C)]
#[derive(Debug)]
pub struct ConnectBuf {
    pub ptr: *mut u8,
    pub len: usize,
    pub cap: usize,
}

impl ConnectBuf {
    pub const EMPTY: ConnectBuf = ConnectBuf {
        ptr: std::ptr::null_mut(),
        len: 0,
        cap: 0,
    };

    /// Hands a Rust vector over; free it with [`ConnectBuf::free_vec`] in the same library.
    pub fn from_vec(v: Vec<u8>) -> ConnectBuf {
        let mut v = std::mem::ManuallyDrop::new(v);
        ConnectBuf {
            ptr: v.as_mut_ptr(),
            len: v.len(),
            cap: v.capacity(),
        }
    }

    /// Frees a buffer made by [`ConnectBuf::from_vec`] in this same library.
    ///
    /// # Safety
    /// `self` must come from `from_vec` of this library and not have been freed.
    pub unsafe fn free_vec(self) {
        if !self.ptr.is_null() {
            drop(unsafe { Vec::from_raw_parts(self.ptr, self.len, self.cap) });
        }
    }

    /// The bytes, borrowed.
    ///
    /// # Safety
    /// `ptr`/`len` must describe live memory.
    pub unsafe fn as_slice(&self) -> &[u8] {
        if self.ptr.is_null() || self.len == 0 {
            &[]
        } else {
            unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
        }
    }
}

/// A borrowed UTF-8 string in the manifest (static for the library's lifetime).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct ConnectStr {
    pub ptr: *const u8,
    pub len: usize,
}

impl ConnectStr {
    /// # Safety
    /// `ptr`/`len` must describe live UTF-8 (or any bytes; invalid UTF-8 is replaced).
    pub unsafe fn to_string_lossy(&self) -> String {
        if self.ptr.is_null() {
            return String::new();
        }
        String::from_utf8_lossy(unsafe { std::slice::from_raw_parts(self.ptr, self.len) })
            .into_owned()
    }
}

/// Called by a plugin to reach the worker: `op` is one of [`host_op`]; the response buffer is the host's.
pub type HostCallFn = unsafe extern "C" fn(
    ctx: *mut c_void,
    op: u32,
    req: *const u8,
    req_len: usize,
    resp: *mut ConnectBuf,
) -> i32;
pub type FreeBufFn = unsafe extern "C" fn(buf: ConnectBuf);

/// What the worker hands a plugin instance at creation; valid until the instance is destroyed.
#[repr(C)]
pub struct ConnectHost {
    pub ctx: *mut c_void,
    pub call: HostCallFn,
    pub free_buf: FreeBufFn,
}

/// One plugin in a library.
#[repr(C)]
pub struct ConnectPluginDescriptor {
    /// One of [`kind`].
    pub kind: u32,
    pub class_name: ConnectStr,
    /// Comma-separated short names (e.g. `FileStreamSource`).
    pub aliases: ConnectStr,
    pub version: ConnectStr,
    /// The plugin's ConfigDef as JSON (`{"keys":[...]}`, see the header).
    pub config_def: ConnectStr,
}

pub type CreateFn =
    unsafe extern "C" fn(plugin_index: u32, role: u32, host: *const ConnectHost) -> *mut c_void;
pub type DestroyFn = unsafe extern "C" fn(instance: *mut c_void);
pub type CallFn = unsafe extern "C" fn(
    instance: *mut c_void,
    op: u32,
    req: *const u8,
    req_len: usize,
    resp: *mut ConnectBuf,
) -> i32;

/// What `connect_plugin_manifest()` returns. `abi_version` stays the first field in every version.
#[repr(C)]
pub struct ConnectPluginManifest {
    pub abi_version: u32,
    pub plugin_count: u32,
    pub plugins: *const ConnectPluginDescriptor,
    pub create: CreateFn,
    pub destroy: DestroyFn,
    pub call: CallFn,
    pub free_buf: FreeBufFn,
}

pub type ManifestFn = unsafe extern "C" fn() -> *const ConnectPluginManifest;

/// Plugin kinds in the manifest.
pub mod kind {
    pub const SOURCE: u32 = 1;
    pub const SINK: u32 = 2;
    pub const CONVERTER: u32 = 3;
    pub const HEADER_CONVERTER: u32 = 4;
    pub const TRANSFORMATION: u32 = 5;
    pub const PREDICATE: u32 = 6;
}

/// What `create` makes: the connector itself or one of its tasks (transformations and predicates ignore it).
pub mod role {
    pub const CONNECTOR: u32 = 0;
    pub const TASK: u32 = 1;
}

/// Status codes returned by `call`; 1–4 match `ConnectError::code`.
pub mod status {
    pub const OK: i32 = 0;
    pub const PANIC: i32 = 5;
    pub const UNSUPPORTED: i32 = 6;
}

/// Operations the worker asks of a plugin instance (request → response, both in the codec's encoding).
pub mod op {
    /// config → empty
    pub const CONNECTOR_START: u32 = 1;
    /// u32 max tasks → configs
    pub const CONNECTOR_TASK_CONFIGS: u32 = 2;
    pub const CONNECTOR_STOP: u32 = 3;
    /// config → JSON array of ConfigValue
    pub const CONNECTOR_VALIDATE: u32 = 4;
    /// config → u8: 0 the connector does not say, 1 supported, 2 unsupported. A plugin that does not know the
    /// operation says nothing.
    pub const CONNECTOR_EXACTLY_ONCE_SUPPORT: u32 = 5;
    /// config → u8, 1 if its tasks can define transaction boundaries; unknown means no.
    pub const CONNECTOR_CAN_DEFINE_TRANSACTION_BOUNDARIES: u32 = 6;
    /// config → empty
    pub const TASK_START: u32 = 10;
    pub const TASK_STOP: u32 = 11;
    /// empty → u32 count, source records
    pub const SOURCE_POLL: u32 = 12;
    pub const SOURCE_COMMIT: u32 = 13;
    /// Response: u8, 1 if the task wants `SOURCE_COMMIT_RECORD` calls. A plugin that does not know the operation
    /// (status `UNSUPPORTED` or any error) gets none.
    pub const SOURCE_COMMITS_RECORDS: u32 = 14;
    /// Request: the source record as polled, then u8 (1 = written) and, if written, topic str, partition i32,
    /// offset i64, timestamp opt_i64.
    pub const SOURCE_COMMIT_RECORD: u32 = 15;
    /// partitions → empty
    pub const SINK_OPEN: u32 = 20;
    /// u32 count, records → empty
    pub const SINK_PUT: u32 = 21;
    /// partition offsets → partition offsets
    pub const SINK_PRE_COMMIT: u32 = 22;
    /// partitions → empty
    pub const SINK_CLOSE: u32 = 23;
    /// config → empty (a transformation or predicate instance)
    pub const CONFIGURE: u32 = 30;
    /// record → u8 kept (0: dropped), then the record when kept
    pub const TRANSFORM_APPLY: u32 = 31;
    /// record → u8 (1: true)
    pub const PREDICATE_TEST: u32 = 32;
}

/// `CONNECTOR_EXACTLY_ONCE_SUPPORT`'s answer on the wire: 0 the connector says nothing, 1 supported, 2 unsupported.
pub fn exactly_once_support_code(support: Option<ExactlyOnceSupport>) -> u8 {
    match support {
        None => 0,
        Some(ExactlyOnceSupport::Supported) => 1,
        Some(ExactlyOnceSupport::Unsupported) => 2,
    }
}

/// Reads [`exactly_once_support_code`]'s answer; anything else, or no answer, says nothing.
pub fn exactly_once_support_from_code(code: Option<u8>) -> Option<ExactlyOnceSupport> {
    match code {
        Some(1) => Some(ExactlyOnceSupport::Supported),
        Some(2) => Some(ExactlyOnceSupport::Unsupported),
        _ => None,
    }
}

/// Operations a plugin asks of the worker through `ConnectHost.call`.
pub mod host_op {
    /// offset map (partition) → u8 present, offset map
    pub const SOURCE_OFFSET: u32 = 100;
    /// → u8, 1 if the task has a transaction context (connector-defined transaction boundaries)
    pub const SOURCE_HAS_TRANSACTION_CONTEXT: u32 = 103;
    /// u8 (0 commit, 1 abort), then u8 (1 if a source record follows: on that record, else at the end of the batch)
    pub const SOURCE_END_TRANSACTION: u32 = 104;
    pub const REQUEST_TASK_RECONFIGURATION: u32 = 101;
    /// string message
    pub const RAISE_ERROR: u32 = 102;
    /// topic, i32 partition, i64 offset
    pub const SINK_OFFSET: u32 = 110;
    /// i64 ms
    pub const SINK_TIMEOUT: u32 = 111;
    /// → partitions
    pub const SINK_ASSIGNMENT: u32 = 112;
    /// partitions
    pub const SINK_PAUSE: u32 = 113;
    /// partitions
    pub const SINK_RESUME: u32 = 114;
    pub const SINK_REQUEST_COMMIT: u32 = 115;
    /// → u8
    pub const SINK_HAS_REPORTER: u32 = 116;
    /// record, i32 error code, string message → empty, or an error status when the task must fail
    pub const SINK_REPORT: u32 = 117;
}
