//! Connect group-protocol payloads, byte-exact with Java's `ConnectProtocol` (v0) and `IncrementalCooperativeConnectProtocol` (v1/v2).

// All encodings use Kafka protocol primitive types, big-endian:
// `STRING` = int16 length + UTF-8 bytes, `ARRAY` = int32 count (-1 = null for nullable arrays) + elements,
// `NULLABLE_BYTES` = int32 length (-1 = null) + bytes.
// Metadata (JoinGroup protocol metadata):
// - v0: `version:int16, url:STRING, config_offset:INT64`
// - v1/v2: v0 fields + `allocation:NULLABLE_BYTES` (the member's current assignment, encoded as an
//   assignment of the same version, or null)
// Assignment (SyncGroup member assignment):
// - v0: `version:int16, error:INT16, leader:STRING, leader_url:STRING, config_offset:INT64,
//   assignment:ARRAY[{connector:STRING, tasks:ARRAY[INT32]}]`
// - v1/v2: v0 fields with a nullable assignment array, then `revoked:nullable ARRAY[...]`, `delay:INT32`
// Decoding follows Java's schema reader with `tolerateMissingFieldsWithDefaults`: trailing fields that are
// entirely absent take their defaults (null arrays/bytes, delay 0), so v0 payloads decode with the v1 decoder.
// A field that is only partly present is an error. Any version >= 0 is accepted and parsed as the newest
// known layout (forward compatibility). Decoding never panics.

use std::fmt;
use std::str::FromStr;

/// The JoinGroup `protocol_type` used by Connect workers.
pub const PROTOCOL_TYPE: &str = "connect";
/// Eager protocol version (`default`).
pub const CONNECT_PROTOCOL_V0: i16 = 0;
/// Incremental cooperative protocol version (`compatible`).
pub const CONNECT_PROTOCOL_V1: i16 = 1;
/// Incremental cooperative protocol with session keys (`sessioned`).
pub const CONNECT_PROTOCOL_V2: i16 = 2;
/// Sentinel task id meaning "the Connector instance itself" in the assignment array.
pub const CONNECTOR_TASK: i32 = -1;
/// Assignment error code: no error.
pub const NO_ERROR: i16 = 0;
/// Assignment error code: the leader's config snapshot is behind some member's config offset.
pub const CONFIG_MISMATCH: i16 = 1;

/// Errors from decoding (or, for oversized values, encoding) protocol payloads.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProtocolError {
    /// The buffer ended in the middle of a field.
    #[error("truncated payload: reading {field} needs {needed} bytes at offset {offset}, only {available} left")]
    Truncated {
        /// The field being read.
        field: &'static str,
        /// Bytes needed.
        needed: usize,
        /// Offset in the buffer.
        offset: usize,
        /// Bytes available.
        available: usize,
    },
    /// A version below 0 (Java: "Unsupported subscription version").
    #[error("unsupported connect protocol version: {0}")]
    UnsupportedVersion(i16),
    /// A non-nullable length or count was negative.
    #[error("{field} has invalid negative length {len}")]
    NegativeLength {
        /// The field being read.
        field: &'static str,
        /// The length found.
        len: i64,
    },
    /// A STRING field was not valid UTF-8.
    #[error("{0} is not valid UTF-8")]
    InvalidUtf8(&'static str),
    /// A task id below -1 was found, or a task id too large to encode.
    #[error("invalid task id {task} for connector {connector}")]
    InvalidTaskId {
        /// Connector the task belongs to.
        connector: String,
        /// The offending id.
        task: i64,
    },
    /// A value does not fit its wire type (string longer than 32767 bytes, too many elements).
    #[error("{0} is too large to encode")]
    TooLarge(&'static str),
    /// `connect.protocol` value or protocol name not recognised.
    #[error("unknown connect protocol: {0:?}")]
    UnknownProtocol(String),
}

/// The `connect.protocol` modes (`ConnectProtocolCompatibility` in Java).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum ConnectProtocol {
    /// `eager`: protocol name `default`, version 0.
    Eager,
    /// `compatible`: protocol name `compatible`, version 1.
    Compatible,
    /// `sessioned` (the default): protocol name `sessioned`, version 2.
    #[default]
    Sessioned,
}

impl ConnectProtocol {
    /// All modes, from oldest to newest.
    pub const ALL: [ConnectProtocol; 3] = [Self::Eager, Self::Compatible, Self::Sessioned];

    /// The protocol name sent in JoinGroup (`default`, `compatible`, `sessioned`).
    pub fn protocol_name(self) -> &'static str {
        match self {
            Self::Eager => "default",
            Self::Compatible => "compatible",
            Self::Sessioned => "sessioned",
        }
    }

    /// The `connect.protocol` config value (`eager`, `compatible`, `sessioned`).
    pub fn config_value(self) -> &'static str {
        match self {
            Self::Eager => "eager",
            Self::Compatible => "compatible",
            Self::Sessioned => "sessioned",
        }
    }

    /// The protocol version (0, 1, 2) written in metadata and assignment headers.
    pub fn version(self) -> i16 {
        match self {
            Self::Eager => CONNECT_PROTOCOL_V0,
            Self::Compatible => CONNECT_PROTOCOL_V1,
            Self::Sessioned => CONNECT_PROTOCOL_V2,
        }
    }

    /// Whether the incremental cooperative assignor is used (v1 and v2).
    pub fn is_incremental(self) -> bool {
        self != Self::Eager
    }

    /// The mode for a JoinGroup protocol name (case-insensitive, as Java's `fromProtocol`).
    pub fn from_protocol_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|p| p.protocol_name().eq_ignore_ascii_case(name))
    }

    /// The mode for a protocol version; versions above 2 are not known modes.
    pub fn from_version(version: i16) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.version() == version)
    }

    /// The protocols a worker configured with this mode offers in JoinGroup, most preferred first.
    pub fn offered(self) -> &'static [ConnectProtocol] {
        match self {
            Self::Eager => &[Self::Eager],
            Self::Compatible => &[Self::Compatible, Self::Eager],
            Self::Sessioned => &[Self::Sessioned, Self::Compatible, Self::Eager],
        }
    }
}

/// The JoinGroup protocols a worker in `mode` offers, most preferred first: (protocol name, metadata encoded
/// with that protocol's version), as Java's `metadataRequest`. Eager gets v0 metadata (no allocation).
pub fn join_group_protocols(
    mode: ConnectProtocol,
    metadata: &WorkerMetadata,
) -> Result<Vec<(&'static str, Vec<u8>)>, ProtocolError> {
    mode.offered()
        .iter()
        .map(|p| Ok((p.protocol_name(), metadata.encode(p.version())?)))
        .collect()
}

impl fmt::Display for ConnectProtocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.config_value())
    }
}

impl FromStr for ConnectProtocol {
    type Err = ProtocolError;

    /// Parses a `connect.protocol` config value, case-insensitively.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|p| p.config_value().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| ProtocolError::UnknownProtocol(s.to_string()))
    }
}

/// A member's assignment (or, in v1/v2 metadata, its current allocation).
///
/// In incremental (v1/v2) assignments from the leader, `connectors`/`tasks` are the *newly* assigned items and
/// `revoked_*` the items to stop; in v0 (eager) they are the member's full assignment.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Assignment {
    /// [`NO_ERROR`] or [`CONFIG_MISMATCH`].
    pub error: i16,
    /// The leader's member id.
    pub leader: String,
    /// The leader's advertised REST URL.
    pub leader_url: String,
    /// The config topic offset the assignment was computed at.
    pub config_offset: i64,
    /// Assigned connector ids (the Connector instances).
    pub connectors: Vec<String>,
    /// Assigned tasks as (connector, task number).
    pub tasks: Vec<(String, u32)>,
    /// Revoked connector ids (v1/v2 only).
    pub revoked_connectors: Vec<String>,
    /// Revoked tasks (v1/v2 only).
    pub revoked_tasks: Vec<(String, u32)>,
    /// Delay in ms after which the member should rejoin (v1/v2 only; 0 = none).
    pub delay_ms: i32,
}

impl Assignment {
    /// Whether this assignment carries an error code.
    pub fn failed(&self) -> bool {
        self.error != NO_ERROR
    }

    /// Whether anything is assigned or revoked.
    pub fn is_empty(&self) -> bool {
        self.connectors.is_empty()
            && self.tasks.is_empty()
            && self.revoked_connectors.is_empty()
            && self.revoked_tasks.is_empty()
    }

    /// Encodes as a v0 assignment when `version == 0`, otherwise with the v1 layout and `version` in the header.
    ///
    /// Groups are ordered as Java's `LinkedHashMap`: connectors first (de-duplicated, given order, each getting
    /// task id -1), then tasks in the given order appended to their connector's group.
    /// Empty assigned/revoked sets are written as empty arrays (count 0), never null, as Java does.
    pub fn encode(&self, version: i16) -> Result<Vec<u8>, ProtocolError> {
        if version < 0 {
            return Err(ProtocolError::UnsupportedVersion(version));
        }
        let mut w = Writer::default();
        w.i16(version);
        w.i16(self.error);
        w.string(&self.leader, "leader")?;
        w.string(&self.leader_url, "leader_url")?;
        w.i64(self.config_offset);
        write_groups(&mut w, &self.connectors, &self.tasks)?;
        if version >= CONNECT_PROTOCOL_V1 {
            write_groups(&mut w, &self.revoked_connectors, &self.revoked_tasks)?;
            w.i32(self.delay_ms);
        }
        Ok(w.buf)
    }

    /// Decodes an assignment of any version >= 0, returning the header version too.
    pub fn decode_versioned(buf: &[u8]) -> Result<(i16, Self), ProtocolError> {
        let mut r = Reader::new(buf);
        let version = r.i16("version")?;
        if version < 0 {
            return Err(ProtocolError::UnsupportedVersion(version));
        }
        let error = r.i16("error")?;
        let leader = r.string("leader")?;
        let leader_url = r.string("leader_url")?;
        let config_offset = r.i64("config_offset")?;
        let mut a = Assignment {
            error,
            leader,
            leader_url,
            config_offset,
            ..Assignment::default()
        };
        // Missing trailing fields take their defaults (null arrays, delay 0).
        if !r.is_empty() {
            if let Some((c, t)) = read_groups(&mut r, "assignment")? {
                a.connectors = c;
                a.tasks = t;
            }
        }
        if !r.is_empty() {
            if let Some((c, t)) = read_groups(&mut r, "revoked")? {
                a.revoked_connectors = c;
                a.revoked_tasks = t;
            }
        }
        if !r.is_empty() {
            a.delay_ms = r.i32("delay")?;
        }
        Ok((version, a))
    }

    /// Decodes an assignment of any version >= 0.
    pub fn decode(buf: &[u8]) -> Result<Self, ProtocolError> {
        Self::decode_versioned(buf).map(|(_, a)| a)
    }
}

/// A worker's JoinGroup metadata.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WorkerMetadata {
    /// The worker's advertised REST URL, e.g. `http://host:8083/`.
    pub url: String,
    /// The latest config topic offset the worker has read.
    pub config_offset: i64,
    /// The worker's current assignment (v1/v2 only; `None` is encoded as null).
    pub allocation: Option<Assignment>,
}

impl WorkerMetadata {
    /// Encodes as v0 (`version == 0`, allocation dropped) or v1/v2 (allocation encoded with the same version).
    pub fn encode(&self, version: i16) -> Result<Vec<u8>, ProtocolError> {
        if version < 0 {
            return Err(ProtocolError::UnsupportedVersion(version));
        }
        let mut w = Writer::default();
        w.i16(version);
        w.string(&self.url, "url")?;
        w.i64(self.config_offset);
        if version >= CONNECT_PROTOCOL_V1 {
            match &self.allocation {
                None => w.i32(-1),
                Some(a) => {
                    let bytes = a.encode(version)?;
                    let len = i32::try_from(bytes.len())
                        .map_err(|_| ProtocolError::TooLarge("allocation"))?;
                    w.i32(len);
                    w.buf.extend_from_slice(&bytes);
                }
            }
        }
        Ok(w.buf)
    }

    /// Decodes metadata of any version >= 0, returning the header version too.
    pub fn decode_versioned(buf: &[u8]) -> Result<(i16, Self), ProtocolError> {
        let mut r = Reader::new(buf);
        let version = r.i16("version")?;
        if version < 0 {
            return Err(ProtocolError::UnsupportedVersion(version));
        }
        let url = r.string("url")?;
        let config_offset = r.i64("config_offset")?;
        let allocation = if r.is_empty() {
            None
        } else {
            match r.nullable_bytes("allocation")? {
                None => None,
                Some(bytes) => Some(Assignment::decode(bytes)?),
            }
        };
        Ok((
            version,
            WorkerMetadata {
                url,
                config_offset,
                allocation,
            },
        ))
    }

    /// Decodes metadata of any version >= 0.
    pub fn decode(buf: &[u8]) -> Result<Self, ProtocolError> {
        Self::decode_versioned(buf).map(|(_, m)| m)
    }
}

/// Writes `ARRAY[{connector:STRING, tasks:ARRAY[INT32]}]` grouped by connector in Java's order.
fn write_groups(
    w: &mut Writer,
    connectors: &[String],
    tasks: &[(String, u32)],
) -> Result<(), ProtocolError> {
    let mut groups: Vec<(&str, Vec<i32>)> = Vec::new();
    fn group<'a, 'g>(groups: &'g mut Vec<(&'a str, Vec<i32>)>, name: &'a str) -> &'g mut Vec<i32> {
        let idx = match groups.iter().position(|(n, _)| *n == name) {
            Some(i) => i,
            None => {
                groups.push((name, Vec::new()));
                groups.len() - 1
            }
        };
        &mut groups[idx].1
    }
    for c in connectors {
        let ids = group(&mut groups, c);
        if !ids.contains(&CONNECTOR_TASK) {
            ids.push(CONNECTOR_TASK);
        }
    }
    for (c, t) in tasks {
        let id = i32::try_from(*t).map_err(|_| ProtocolError::InvalidTaskId {
            connector: c.clone(),
            task: i64::from(*t),
        })?;
        group(&mut groups, c).push(id);
    }
    w.count(groups.len(), "assignment")?;
    for (name, ids) in groups {
        w.string(name, "connector")?;
        w.count(ids.len(), "tasks")?;
        for id in ids {
            w.i32(id);
        }
    }
    Ok(())
}

type Groups = (Vec<String>, Vec<(String, u32)>);

/// Reads a nullable connector-assignment array; `None` when null.
fn read_groups(r: &mut Reader<'_>, field: &'static str) -> Result<Option<Groups>, ProtocolError> {
    let count = r.i32(field)?;
    if count < 0 {
        // Java treats any negative count of a nullable array as null.
        return Ok(None);
    }
    let mut connectors = Vec::new();
    let mut tasks = Vec::new();
    for _ in 0..count {
        let connector = r.string("connector")?;
        let n = r.i32("tasks")?;
        if n < 0 {
            return Err(ProtocolError::NegativeLength {
                field: "tasks",
                len: i64::from(n),
            });
        }
        for _ in 0..n {
            let id = r.i32("task id")?;
            if id == CONNECTOR_TASK {
                connectors.push(connector.clone());
            } else if id >= 0 {
                tasks.push((connector.clone(), id as u32));
            } else {
                return Err(ProtocolError::InvalidTaskId {
                    connector,
                    task: i64::from(id),
                });
            }
        }
    }
    Ok(Some((connectors, tasks)))
}

#[derive(Default)]
struct Writer {
    buf: Vec<u8>,
}

impl Writer {
    fn i16(&mut self, v: i16) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }
    fn i32(&mut self, v: i32) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }
    fn i64(&mut self, v: i64) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }
    fn count(&mut self, n: usize, field: &'static str) -> Result<(), ProtocolError> {
        let n = i32::try_from(n).map_err(|_| ProtocolError::TooLarge(field))?;
        self.i32(n);
        Ok(())
    }
    fn string(&mut self, s: &str, field: &'static str) -> Result<(), ProtocolError> {
        let len = i16::try_from(s.len()).map_err(|_| ProtocolError::TooLarge(field))?;
        self.i16(len);
        self.buf.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }

    fn is_empty(&self) -> bool {
        self.pos >= self.buf.len()
    }

    fn take(&mut self, n: usize, field: &'static str) -> Result<&'a [u8], ProtocolError> {
        let available = self.buf.len() - self.pos;
        if n > available {
            return Err(ProtocolError::Truncated {
                field,
                needed: n,
                offset: self.pos,
                available,
            });
        }
        let out = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }

    fn array<const N: usize>(&mut self, field: &'static str) -> Result<[u8; N], ProtocolError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N, field)?);
        Ok(out)
    }

    fn i16(&mut self, field: &'static str) -> Result<i16, ProtocolError> {
        Ok(i16::from_be_bytes(self.array(field)?))
    }

    fn i32(&mut self, field: &'static str) -> Result<i32, ProtocolError> {
        Ok(i32::from_be_bytes(self.array(field)?))
    }

    fn i64(&mut self, field: &'static str) -> Result<i64, ProtocolError> {
        Ok(i64::from_be_bytes(self.array(field)?))
    }

    fn string(&mut self, field: &'static str) -> Result<String, ProtocolError> {
        let len = self.i16(field)?;
        if len < 0 {
            return Err(ProtocolError::NegativeLength {
                field,
                len: i64::from(len),
            });
        }
        let bytes = self.take(len as usize, field)?;
        String::from_utf8(bytes.to_vec()).map_err(|_| ProtocolError::InvalidUtf8(field))
    }

    fn nullable_bytes(&mut self, field: &'static str) -> Result<Option<&'a [u8]>, ProtocolError> {
        let len = self.i32(field)?;
        if len < 0 {
            return Ok(None);
        }
        self.take(len as usize, field).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Decodes a hex string with optional whitespace and `|` separators into bytes.
    fn hex(s: &str) -> Vec<u8> {
        let digits: Vec<u8> = s
            .bytes()
            .filter(|b| b.is_ascii_hexdigit())
            .map(|b| (b as char).to_digit(16).unwrap() as u8)
            .collect();
        assert_eq!(digits.len() % 2, 0, "odd hex length");
        digits.chunks(2).map(|p| (p[0] << 4) | p[1]).collect()
    }

    fn cat(parts: &[&str]) -> Vec<u8> {
        parts.iter().flat_map(|p| hex(p)).collect()
    }

    fn t(c: &str, i: u32) -> (String, u32) {
        (c.to_string(), i)
    }

    fn s(v: &str) -> String {
        v.to_string()
    }

    #[test]
    fn protocol_modes() {
        assert_eq!(ConnectProtocol::default(), ConnectProtocol::Sessioned);
        assert_eq!(
            "EAGER".parse::<ConnectProtocol>().unwrap(),
            ConnectProtocol::Eager
        );
        assert_eq!(
            "Compatible".parse::<ConnectProtocol>().unwrap(),
            ConnectProtocol::Compatible
        );
        assert_eq!(
            "sessioned".parse::<ConnectProtocol>().unwrap(),
            ConnectProtocol::Sessioned
        );
        assert!(matches!(
            "default".parse::<ConnectProtocol>(),
            Err(ProtocolError::UnknownProtocol(_))
        ));
        assert_eq!(ConnectProtocol::Eager.protocol_name(), "default");
        assert_eq!(ConnectProtocol::Compatible.protocol_name(), "compatible");
        assert_eq!(ConnectProtocol::Sessioned.protocol_name(), "sessioned");
        assert_eq!(
            ConnectProtocol::from_protocol_name("DEFAULT"),
            Some(ConnectProtocol::Eager)
        );
        assert_eq!(ConnectProtocol::from_protocol_name("eager"), None);
        assert_eq!(
            ConnectProtocol::from_version(2),
            Some(ConnectProtocol::Sessioned)
        );
        assert_eq!(ConnectProtocol::from_version(3), None);
        let v: Vec<i16> = ConnectProtocol::ALL.iter().map(|p| p.version()).collect();
        assert_eq!(v, [0, 1, 2]);
        let names = |p: ConnectProtocol| -> Vec<&str> {
            p.offered().iter().map(|p| p.protocol_name()).collect()
        };
        assert_eq!(
            names(ConnectProtocol::Sessioned),
            ["sessioned", "compatible", "default"]
        );
        assert_eq!(
            names(ConnectProtocol::Compatible),
            ["compatible", "default"]
        );
        assert_eq!(names(ConnectProtocol::Eager), ["default"]);
        assert_eq!(ConnectProtocol::Sessioned.to_string(), "sessioned");
    }

    #[test]
    fn join_group_protocols_per_mode() {
        let m = WorkerMetadata {
            url: s("u"),
            config_offset: 3,
            allocation: None,
        };
        let offered = join_group_protocols(ConnectProtocol::Sessioned, &m).unwrap();
        let names: Vec<&str> = offered.iter().map(|(n, _)| *n).collect();
        assert_eq!(names, ["sessioned", "compatible", "default"]);
        assert_eq!(&offered[0].1[..2], &[0, 2]);
        assert_eq!(&offered[1].1[..2], &[0, 1]);
        assert_eq!(offered[2].1, m.encode(0).unwrap());
        let eager = join_group_protocols(ConnectProtocol::Eager, &m).unwrap();
        assert_eq!(eager, vec![("default", m.encode(0).unwrap())]);
    }

    #[test]
    fn metadata_v0_bytes() {
        let m = WorkerMetadata {
            url: s("http://a:8083/"),
            config_offset: 5,
            allocation: None,
        };
        let expected = cat(&[
            "0000",                         // version = 0
            "000e",                         // url length 14
            "687474703a2f2f613a383038332f", // "http://a:8083/"
            "0000000000000005",             // config offset 5
        ]);
        assert_eq!(m.encode(0).unwrap(), expected);
        assert_eq!(
            WorkerMetadata::decode_versioned(&expected).unwrap(),
            (0, m.clone())
        );
        // An allocation is not part of v0 metadata.
        let with_alloc = WorkerMetadata {
            allocation: Some(Assignment::default()),
            ..m
        };
        assert_eq!(with_alloc.encode(0).unwrap(), expected);
    }

    #[test]
    fn metadata_v1_null_allocation_bytes() {
        let m = WorkerMetadata {
            url: s("u"),
            config_offset: -1,
            allocation: None,
        };
        let expected = cat(&[
            "0001",             // version = 1
            "0001 75",          // url "u"
            "ffffffffffffffff", // config offset -1
            "ffffffff",         // allocation: null bytes
        ]);
        assert_eq!(m.encode(1).unwrap(), expected);
        assert_eq!(WorkerMetadata::decode_versioned(&expected).unwrap(), (1, m));
    }

    #[test]
    fn metadata_v2_with_allocation_bytes() {
        let alloc = Assignment {
            error: NO_ERROR,
            leader: s("L"),
            leader_url: s("U"),
            config_offset: 7,
            connectors: vec![s("c")],
            tasks: vec![t("c", 0)],
            ..Assignment::default()
        };
        let m = WorkerMetadata {
            url: s("w"),
            config_offset: 7,
            allocation: Some(alloc),
        };
        let alloc_bytes = cat(&[
            "0002",             // version 2
            "0000",             // error
            "0001 4c",          // leader "L"
            "0001 55",          // leader url "U"
            "0000000000000007", // config offset 7
            "00000001",         // assignment: 1 group
            "0001 63",          //   connector "c"
            "00000002",         //   2 task ids
            "ffffffff",         //   -1 = the connector itself
            "00000000",         //   task 0
            "00000000",         // revoked: empty array
            "00000000",         // delay 0
        ]);
        assert_eq!(alloc_bytes.len(), 45);
        let mut expected = cat(&[
            "0002",             // version 2
            "0001 77",          // url "w"
            "0000000000000007", // config offset 7
            "0000002d",         // allocation length 45
        ]);
        expected.extend_from_slice(&alloc_bytes);
        assert_eq!(m.encode(2).unwrap(), expected);
        assert_eq!(WorkerMetadata::decode_versioned(&expected).unwrap(), (2, m));
    }

    #[test]
    fn assignment_v0_bytes() {
        // Two connectors, tasks of two connectors; groups in Java's LinkedHashMap order:
        // connectors first, then tasks appended to their connector (creating groups as needed).
        let a = Assignment {
            error: CONFIG_MISMATCH,
            leader: s("ld"),
            leader_url: s("http://l/"),
            config_offset: 0x0102,
            connectors: vec![s("b"), s("a")],
            tasks: vec![t("a", 1), t("x", 3), t("b", 0)],
            ..Assignment::default()
        };
        let expected = cat(&[
            "0000",                               // version 0
            "0001",                               // error CONFIG_MISMATCH
            "0002 6c64",                          // leader "ld"
            "0009 687474703a2f2f6c2f",            // leader url "http://l/"
            "0000000000000102",                   // config offset 258
            "00000003",                           // 3 groups
            "0001 62 00000002 ffffffff 00000000", // "b": [-1, 0]
            "0001 61 00000002 ffffffff 00000001", // "a": [-1, 1]
            "0001 78 00000001 00000003",          // "x": [3]
        ]);
        assert_eq!(a.encode(0).unwrap(), expected);
        let decoded = Assignment::decode(&expected).unwrap();
        assert_eq!(decoded.connectors, vec![s("b"), s("a")]);
        assert_eq!(decoded.tasks, vec![t("b", 0), t("a", 1), t("x", 3)]);
        assert_eq!(decoded.error, CONFIG_MISMATCH);
        assert_eq!(decoded.delay_ms, 0);
        assert!(decoded.revoked_connectors.is_empty() && decoded.revoked_tasks.is_empty());
    }

    #[test]
    fn assignment_v1_bytes_with_revocations_and_delay() {
        let a = Assignment {
            error: NO_ERROR,
            leader: s("m1"),
            leader_url: s("u1"),
            config_offset: 42,
            connectors: vec![],
            tasks: vec![t("c1", 2)],
            revoked_connectors: vec![s("c2")],
            revoked_tasks: vec![t("c2", 0), t("c2", 1)],
            delay_ms: 300_000,
        };
        let expected = cat(&[
            "0001",                                          // version 1
            "0000",                                          // error
            "0002 6d31",                                     // leader "m1"
            "0002 7531",                                     // leader url "u1"
            "000000000000002a",                              // offset 42
            "00000001",                                      // assignment: 1 group
            "0002 6331 00000001 00000002",                   //   "c1": [2]
            "00000001",                                      // revoked: 1 group
            "0002 6332 00000003 ffffffff 00000000 00000001", // "c2": [-1, 0, 1]
            "000493e0",                                      // delay 300000
        ]);
        assert_eq!(a.encode(1).unwrap(), expected);
        assert_eq!(Assignment::decode_versioned(&expected).unwrap(), (1, a));
    }

    #[test]
    fn empty_assignment_encodes_empty_arrays() {
        let a = Assignment::default();
        let expected = cat(&[
            "0002",             // version 2
            "0000",             // error
            "0000",             // leader ""
            "0000",             // leader url ""
            "0000000000000000", // offset 0
            "00000000",         // assignment: 0 groups
            "00000000",         // revoked: 0 groups
            "00000000",         // delay
        ]);
        assert_eq!(a.encode(2).unwrap(), expected);
        assert_eq!(Assignment::decode(&expected).unwrap(), a);
    }

    #[test]
    fn null_arrays_decode_as_empty() {
        let bytes = cat(&[
            "0001 0000 0000 0000 0000000000000003", // header, error, "", "", offset 3
            "ffffffff",                             // assignment: null
            "ffffffff",                             // revoked: null
            "00000005",                             // delay 5
        ]);
        let a = Assignment::decode(&bytes).unwrap();
        assert!(a.connectors.is_empty() && a.tasks.is_empty());
        assert_eq!(a.config_offset, 3);
        assert_eq!(a.delay_ms, 5);
    }

    #[test]
    fn v0_payloads_decode_with_v1_decoder() {
        let a = Assignment {
            error: NO_ERROR,
            leader: s("leader"),
            leader_url: s("http://leader:8083/"),
            config_offset: 9,
            connectors: vec![s("conn")],
            tasks: vec![t("conn", 0), t("conn", 1)],
            ..Assignment::default()
        };
        let v0 = a.encode(0).unwrap();
        let (version, decoded) = Assignment::decode_versioned(&v0).unwrap();
        assert_eq!(version, 0);
        assert_eq!(decoded, a);

        let m = WorkerMetadata {
            url: s("http://w:8083/"),
            config_offset: 12,
            allocation: None,
        };
        let (version, decoded) = WorkerMetadata::decode_versioned(&m.encode(0).unwrap()).unwrap();
        assert_eq!(version, 0);
        assert_eq!(decoded, m);
    }

    #[test]
    fn missing_trailing_fields_take_defaults() {
        let full = Assignment {
            connectors: vec![s("c")],
            revoked_tasks: vec![t("d", 4)],
            delay_ms: 77,
            ..Assignment::default()
        }
        .encode(1)
        .unwrap();
        // Without the delay: delay defaults to 0.
        let no_delay = Assignment::decode(&full[..full.len() - 4]).unwrap();
        assert_eq!(no_delay.delay_ms, 0);
        assert_eq!(no_delay.revoked_tasks, vec![t("d", 4)]);
        // Header + fixed fields only: everything empty.
        let fixed_len = 2 + 2 + 2 + 2 + 8;
        let bare = Assignment::decode(&full[..fixed_len]).unwrap();
        assert_eq!(bare, Assignment::default());
    }

    #[test]
    fn higher_versions_are_parsed_as_known() {
        let a = Assignment {
            leader: s("x"),
            tasks: vec![t("c", 3)],
            revoked_connectors: vec![s("c")],
            delay_ms: 1,
            ..Assignment::default()
        };
        let bytes = a.encode(7).unwrap();
        assert_eq!(&bytes[..2], &[0, 7]);
        assert_eq!(
            Assignment::decode_versioned(&bytes).unwrap(),
            (7, a.clone())
        );
        let m = WorkerMetadata {
            url: s("u"),
            config_offset: 1,
            allocation: Some(a),
        };
        assert_eq!(
            WorkerMetadata::decode_versioned(&m.encode(5).unwrap()).unwrap(),
            (5, m)
        );
    }

    #[test]
    fn negative_versions_rejected() {
        let bytes = cat(&["ffff", "0001 75", "0000000000000000"]);
        assert_eq!(
            WorkerMetadata::decode(&bytes),
            Err(ProtocolError::UnsupportedVersion(-1))
        );
        assert_eq!(
            Assignment::default().encode(-1),
            Err(ProtocolError::UnsupportedVersion(-1))
        );
    }

    #[test]
    fn truncated_inputs_error_without_panic() {
        let a = Assignment {
            error: NO_ERROR,
            leader: s("leader-1"),
            leader_url: s("http://l:8083/"),
            config_offset: 100,
            connectors: vec![s("c1"), s("c2")],
            tasks: vec![t("c1", 0), t("c2", 5)],
            revoked_connectors: vec![s("c3")],
            revoked_tasks: vec![t("c3", 0)],
            delay_ms: 10,
        };
        let m = WorkerMetadata {
            url: s("http://w:8083/"),
            config_offset: 100,
            allocation: Some(a.clone()),
        };
        for version in 0..=2 {
            let bytes = a.encode(version).unwrap();
            let v0_fixed = 2 + 2 + (2 + 8) + (2 + 14) + 8;
            for cut in 0..bytes.len() {
                let r = Assignment::decode(&bytes[..cut]);
                // Cuts exactly on a field boundary after the fixed part are valid (defaults apply);
                // everything else must be an error.
                if r.is_ok() {
                    assert!(cut >= v0_fixed, "v{version} cut {cut} decoded");
                }
            }
            let mbytes = m.encode(version).unwrap();
            for cut in 0..mbytes.len() {
                let r = WorkerMetadata::decode(&mbytes[..cut]);
                if r.is_ok() {
                    assert!(
                        cut >= 2 + 2 + 14 + 8,
                        "v{version} metadata cut {cut} decoded"
                    );
                }
            }
        }
        // Specific cuts: inside the leader string, inside the delay.
        let bytes = a.encode(1).unwrap();
        assert!(matches!(
            Assignment::decode(&bytes[..7]),
            Err(ProtocolError::Truncated {
                field: "leader",
                ..
            })
        ));
        assert!(matches!(
            Assignment::decode(&bytes[..bytes.len() - 2]),
            Err(ProtocolError::Truncated { field: "delay", .. })
        ));
        // Metadata whose allocation length exceeds the payload.
        let mbytes = m.encode(1).unwrap();
        assert!(matches!(
            WorkerMetadata::decode(&mbytes[..mbytes.len() - 1]),
            Err(ProtocolError::Truncated {
                field: "allocation",
                ..
            })
        ));
        assert!(Assignment::decode(&[]).is_err());
        assert!(WorkerMetadata::decode(&[0]).is_err());
    }

    #[test]
    fn malformed_inputs_error() {
        // Negative string length.
        let bytes = cat(&["0000", "ffff"]);
        assert!(matches!(
            WorkerMetadata::decode(&bytes),
            Err(ProtocolError::NegativeLength { field: "url", .. })
        ));
        // Invalid UTF-8 in the url.
        let bytes = cat(&["0000", "0001 ff", "0000000000000000"]);
        assert_eq!(
            WorkerMetadata::decode(&bytes),
            Err(ProtocolError::InvalidUtf8("url"))
        );
        // Task id below -1.
        let bytes = cat(&[
            "0001 0000 0000 0000 0000000000000000",
            "00000001 0001 63 00000001 fffffffe",
        ]);
        assert!(matches!(
            Assignment::decode(&bytes),
            Err(ProtocolError::InvalidTaskId { task: -2, .. })
        ));
        // Huge array count with no data.
        let bytes = cat(&["0001 0000 0000 0000 0000000000000000", "7fffffff"]);
        assert!(matches!(
            Assignment::decode(&bytes),
            Err(ProtocolError::Truncated { .. })
        ));
        // Encoding a too-long string fails instead of truncating.
        let long = "x".repeat(40_000);
        let a = Assignment {
            leader: long,
            ..Assignment::default()
        };
        assert_eq!(a.encode(1), Err(ProtocolError::TooLarge("leader")));
        let big_task = Assignment {
            tasks: vec![t("c", u32::MAX)],
            ..Assignment::default()
        };
        assert!(matches!(
            big_task.encode(1),
            Err(ProtocolError::InvalidTaskId { .. })
        ));
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        // Deterministic pseudo-random inputs plus single-byte corruptions of a valid payload.
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..5_000 {
            let len = (next() % 64) as usize;
            let bytes: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            let _ = Assignment::decode(&bytes);
            let _ = WorkerMetadata::decode(&bytes);
        }
        let valid = WorkerMetadata {
            url: s("http://w/"),
            config_offset: 1,
            allocation: Some(Assignment {
                connectors: vec![s("c")],
                tasks: vec![t("c", 0)],
                revoked_tasks: vec![t("d", 1)],
                ..Assignment::default()
            }),
        }
        .encode(2)
        .unwrap();
        for i in 0..valid.len() {
            for b in [0x00, 0x7f, 0x80, 0xff] {
                let mut bytes = valid.clone();
                bytes[i] = b;
                let _ = WorkerMetadata::decode(&bytes);
                let _ = Assignment::decode(&bytes[i..]);
            }
        }
    }

    #[test]
    fn round_trips_all_versions() {
        let a = Assignment {
            error: CONFIG_MISMATCH,
            leader: s("connect-1-2b3c"),
            leader_url: s("http://ünïcode:8083/"),
            config_offset: i64::MAX,
            connectors: vec![s("a"), s("b")],
            tasks: vec![t("a", 0), t("a", 1), t("b", 0), t("c", 9)],
            revoked_connectors: vec![s("z")],
            revoked_tasks: vec![t("z", 0)],
            delay_ms: i32::MAX,
        };
        for version in 1..=2 {
            assert_eq!(Assignment::decode(&a.encode(version).unwrap()).unwrap(), a);
            let m = WorkerMetadata {
                url: s("http://w/"),
                config_offset: -1,
                allocation: Some(a.clone()),
            };
            assert_eq!(
                WorkerMetadata::decode(&m.encode(version).unwrap()).unwrap(),
                m
            );
        }
        // v0 drops revocations and delay.
        let v0 = Assignment::decode(&a.encode(0).unwrap()).unwrap();
        assert_eq!(
            v0,
            Assignment {
                revoked_connectors: vec![],
                revoked_tasks: vec![],
                delay_ms: 0,
                ..a.clone()
            }
        );
        // Duplicate connector ids collapse to one -1 entry.
        let dup = Assignment {
            connectors: vec![s("a"), s("a")],
            ..Assignment::default()
        };
        assert_eq!(
            Assignment::decode(&dup.encode(1).unwrap())
                .unwrap()
                .connectors,
            vec![s("a")]
        );
    }
}
