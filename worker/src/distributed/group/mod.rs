//! Async client for Kafka's classic group coordinator protocol (JoinGroup/SyncGroup/Heartbeat/LeaveGroup), as Connect workers use it.
//!
//! librdkafka only speaks the `consumer` protocol type, so distributed workers use this small client to join their
//! group with protocol type `connect`. It speaks the Kafka wire protocol directly over a tokio `TcpStream`: the message
//! structs and their encodings come from the `kafka-protocol` crate, the framing (size prefix, request header,
//! correlation check) is done here. At every connection it asks the broker for its `ApiVersions` and uses the highest
//! version both sides support for each call.
//!
//! The client is a plain state machine driven by its owner: call [`GroupMember::join`], then [`GroupMember::sync`], then
//! [`GroupMember::heartbeat`] every `heartbeat_interval_ms` until it reports [`GroupError::RebalanceInProgress`] (or a
//! membership error), then join again. Coordinator errors (`NOT_COORDINATOR`, `COORDINATOR_NOT_AVAILABLE`,
//! `COORDINATOR_LOAD_IN_PROGRESS`) and broken connections are handled inside each call: the coordinator is looked up
//! again, the client reconnects and retries with a bounded exponential backoff.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::{BufMut, Bytes, BytesMut};
use kafka_protocol::messages::find_coordinator_request::FindCoordinatorRequest;
use kafka_protocol::messages::join_group_request::{JoinGroupRequest, JoinGroupRequestProtocol};
use kafka_protocol::messages::leave_group_request::{LeaveGroupRequest, MemberIdentity};
use kafka_protocol::messages::sync_group_request::{SyncGroupRequest, SyncGroupRequestAssignment};
use kafka_protocol::messages::{
    ApiKey, ApiVersionsRequest, GroupId, HeartbeatRequest, RequestHeader, ResponseHeader,
};
use kafka_protocol::messages::{
    ApiVersionsResponse, FindCoordinatorResponse, HeartbeatResponse, JoinGroupResponse,
    LeaveGroupResponse, SyncGroupResponse,
};
use kafka_protocol::messages::{
    SaslAuthenticateRequest, SaslAuthenticateResponse, SaslHandshakeRequest, SaslHandshakeResponse,
};
use kafka_protocol::protocol::{Decodable, Encodable, HeaderVersion, StrBytes, VersionRange};
use kafka_protocol::ResponseError;
use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

mod sasl;
pub use sasl::{Mechanism, SaslCredentials};

/// Versions of each API this client knows how to fill in; the broker's range narrows them at connect time.
const FIND_COORDINATOR_VERSIONS: VersionRange = VersionRange { min: 0, max: 6 };
const JOIN_GROUP_VERSIONS: VersionRange = VersionRange { min: 1, max: 9 };
const SYNC_GROUP_VERSIONS: VersionRange = VersionRange { min: 0, max: 5 };
const HEARTBEAT_VERSIONS: VersionRange = VersionRange { min: 0, max: 4 };
const LEAVE_GROUP_VERSIONS: VersionRange = VersionRange { min: 0, max: 5 };
/// v1: the mechanism's messages follow in SaslAuthenticate requests (v0 sent them as raw frames).
const SASL_HANDSHAKE_VERSIONS: VersionRange = VersionRange { min: 1, max: 1 };
const SASL_AUTHENTICATE_VERSIONS: VersionRange = VersionRange { min: 0, max: 2 };
/// ApiVersions v3 is the flexible version every current broker answers; v0 is the fallback for old ones.
const API_VERSIONS_VERSION: i16 = 3;

const NONE: i16 = 0;
const COORDINATOR_LOAD_IN_PROGRESS: i16 = ResponseError::CoordinatorLoadInProgress.code();
const COORDINATOR_NOT_AVAILABLE: i16 = ResponseError::CoordinatorNotAvailable.code();
const NOT_COORDINATOR: i16 = ResponseError::NotCoordinator.code();
const ILLEGAL_GENERATION: i16 = ResponseError::IllegalGeneration.code();
const UNKNOWN_MEMBER_ID: i16 = ResponseError::UnknownMemberId.code();
const REBALANCE_IN_PROGRESS: i16 = ResponseError::RebalanceInProgress.code();
const UNSUPPORTED_VERSION: i16 = ResponseError::UnsupportedVersion.code();
const MEMBER_ID_REQUIRED: i16 = ResponseError::MemberIdRequired.code();

/// Generation of a member that is not in a group (Java's `Generation.NO_GENERATION`).
const NO_GENERATION: i32 = -1;
/// Most attempts one call makes before it gives up on coordinator errors.
const MAX_ATTEMPTS: u32 = 10;
const BACKOFF_INITIAL: Duration = Duration::from_millis(100);
const BACKOFF_MAX: Duration = Duration::from_secs(2);
/// Lower bound for the timeout of calls that do not wait for other members.
const MIN_REQUEST_TIMEOUT: Duration = Duration::from_secs(5);
/// Extra time a JoinGroup/SyncGroup may take beyond the rebalance timeout (as Java's AbstractCoordinator).
const JOIN_GRACE: Duration = Duration::from_secs(5);
/// Largest response frame accepted.
const MAX_FRAME_BYTES: usize = 100 * 1024 * 1024;
const CLIENT_SOFTWARE_NAME: &str = "connect-rs";

/// How to reach the group and how to behave in it.
#[derive(Debug, Clone)]
pub struct GroupConfig {
    /// `host:port` addresses used to find the group coordinator.
    pub bootstrap: Vec<String>,
    pub group_id: String,
    pub client_id: String,
    pub session_timeout_ms: i32,
    pub rebalance_timeout_ms: i32,
    /// How often the owner should call [`GroupMember::heartbeat`]; the client itself does not schedule heartbeats.
    pub heartbeat_interval_ms: u64,
    /// `connect` for Connect workers.
    pub protocol_type: String,
    /// TLS for every broker connection (`security.protocol` SSL or SASL_SSL); `None` for plaintext.
    pub tls: Option<Arc<rustls::ClientConfig>>,
    /// SASL authentication of every broker connection (`security.protocol` SASL_PLAINTEXT or SASL_SSL).
    pub sasl: Option<SaslCredentials>,
}

/// The outcome of a successful JoinGroup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinResult {
    pub generation_id: i32,
    pub member_id: String,
    pub leader_id: String,
    /// The protocol the coordinator chose among those every member offered.
    pub protocol_name: String,
    /// Every member's id and metadata for the chosen protocol; non-empty only for the leader.
    pub members: Vec<(String, Vec<u8>)>,
}

impl JoinResult {
    /// Whether this member was elected leader and must compute the assignments.
    pub fn is_leader(&self) -> bool {
        self.member_id == self.leader_id
    }
}

/// Why a group call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GroupError {
    /// The group is rebalancing: call [`GroupMember::join`] again.
    #[error("the group is rebalancing; the member must rejoin")]
    RebalanceInProgress,
    /// The coordinator does not know this member (for example after its session expired); the member id was reset,
    /// call [`GroupMember::join`] again.
    #[error("the coordinator does not know this member id; the member must rejoin")]
    UnknownMemberId,
    /// The generation is not the group's current one; call [`GroupMember::join`] again.
    #[error("the generation is not current; the member must rejoin")]
    IllegalGeneration,
    /// The broker is not (or no longer) the group's coordinator and retries ran out.
    #[error("the broker is not the group coordinator")]
    NotCoordinator,
    /// No coordinator could be reached or it is still loading, and retries ran out.
    #[error("the group coordinator is not available")]
    CoordinatorNotAvailable,
    /// Connecting, reading or writing failed, or a call timed out.
    #[error("group coordinator connection: {0}")]
    Io(String),
    /// The broker answered something this client cannot use (bad frame, unsupported versions, bad config).
    #[error("group protocol: {0}")]
    Protocol(String),
    /// SASL authentication failed: wrong credentials, a mechanism the broker does not enable, a broker that could
    /// not prove it knows the password.
    #[error("group connection authentication: {0}")]
    Authentication(String),
    /// Any other error code the coordinator returned (INCONSISTENT_GROUP_PROTOCOL, INVALID_SESSION_TIMEOUT, ...).
    #[error("group coordinator error {code}: {message}")]
    Kafka { code: i16, message: String },
}

impl GroupError {
    /// Maps a non-zero Kafka error code.
    fn from_code(code: i16) -> Self {
        match code {
            REBALANCE_IN_PROGRESS => GroupError::RebalanceInProgress,
            UNKNOWN_MEMBER_ID => GroupError::UnknownMemberId,
            ILLEGAL_GENERATION => GroupError::IllegalGeneration,
            NOT_COORDINATOR => GroupError::NotCoordinator,
            COORDINATOR_NOT_AVAILABLE | COORDINATOR_LOAD_IN_PROGRESS => {
                GroupError::CoordinatorNotAvailable
            }
            _ => GroupError::Kafka {
                code,
                message: ResponseError::try_from_code(code)
                    .map(|e| e.to_string())
                    .unwrap_or_default(),
            },
        }
    }

    /// Errors after which the coordinator must be looked up again (and the connection dropped).
    fn needs_new_coordinator(&self) -> bool {
        matches!(
            self,
            GroupError::NotCoordinator | GroupError::CoordinatorNotAvailable | GroupError::Io(_)
        )
    }

    /// Errors after which the connection cannot be trusted to be at a frame boundary.
    fn breaks_connection(&self) -> bool {
        self.needs_new_coordinator()
            || matches!(
                self,
                GroupError::Protocol(_) | GroupError::Authentication(_)
            )
    }
}

fn codec_error(what: &str, err: impl fmt::Display) -> GroupError {
    GroupError::Protocol(format!("{what}: {err}"))
}

fn api_name(key: i16) -> String {
    ApiKey::try_from(key).map_or_else(|()| format!("api {key}"), |k| format!("{k:?}"))
}

/// A request this client sends, with its API key and response type. (`kafka_protocol::protocol::Request` would need
/// the crate's `broker` feature, which only adds request decoding.)
trait ApiRequest: Encodable + HeaderVersion {
    const KEY: ApiKey;
    type Response: Decodable + HeaderVersion;

    /// Where the top-level error code sits in a response body of `version`, if it has one.
    fn error_code_offset(version: i16) -> Option<usize>;

    /// A response that carries only `error_code`.
    fn error_response(error_code: i16) -> Self::Response;
}

macro_rules! api_request {
    ($($request:ty => $response:ty, $key:ident, $offset:expr;)*) => {
        $(impl ApiRequest for $request {
            const KEY: ApiKey = ApiKey::$key;
            type Response = $response;

            fn error_code_offset(version: i16) -> Option<usize> {
                let offset: fn(i16) -> Option<usize> = $offset;
                offset(version)
            }

            fn error_response(error_code: i16) -> $response {
                <$response>::default().with_error_code(error_code)
            }
        })*
    };
}

/// The error code follows the 4-byte throttle time from version `from` on, and comes first before it.
const fn after_throttle_from(version: i16, from: i16) -> Option<usize> {
    if version >= from {
        Some(4)
    } else {
        Some(0)
    }
}

api_request! {
    ApiVersionsRequest => ApiVersionsResponse, ApiVersions, |_| Some(0);
    // From v4 on the errors are per coordinator key.
    FindCoordinatorRequest => FindCoordinatorResponse, FindCoordinator, |v| if v >= 4 { None } else { after_throttle_from(v, 1) };
    JoinGroupRequest => JoinGroupResponse, JoinGroup, |v| after_throttle_from(v, 2);
    SyncGroupRequest => SyncGroupResponse, SyncGroup, |v| after_throttle_from(v, 1);
    HeartbeatRequest => HeartbeatResponse, Heartbeat, |v| after_throttle_from(v, 1);
    LeaveGroupRequest => LeaveGroupResponse, LeaveGroup, |v| after_throttle_from(v, 1);
    SaslHandshakeRequest => SaslHandshakeResponse, SaslHandshake, |_| Some(0);
    SaslAuthenticateRequest => SaslAuthenticateResponse, SaslAuthenticate, |_| Some(0);
}

/// A broker connection's byte stream: plain TCP or TLS over it.
trait ByteStream: AsyncRead + AsyncWrite + Unpin + Send + Sync {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + Sync> ByteStream for T {}

/// One TCP connection to one broker, with the API versions that broker advertised.
struct Connection {
    addr: String,
    stream: Box<dyn ByteStream>,
    correlation_id: i32,
    client_id: StrBytes,
    /// Broker-supported version range per API key.
    versions: HashMap<i16, VersionRange>,
}

impl Connection {
    /// Connects (with a TLS handshake when `tls` is set) and asks the broker for its API versions.
    async fn open(
        addr: &str,
        client_id: &str,
        tls: Option<&Arc<rustls::ClientConfig>>,
        sasl: Option<&SaslCredentials>,
        timeout: Duration,
    ) -> Result<Self, GroupError> {
        let tcp = match tokio::time::timeout(timeout, TcpStream::connect(addr)).await {
            Ok(Ok(stream)) => stream,
            Ok(Err(e)) => return Err(GroupError::Io(format!("connecting to {addr}: {e}"))),
            Err(_) => {
                return Err(GroupError::Io(format!(
                    "connecting to {addr} timed out after {timeout:?}"
                )))
            }
        };
        // Requests are small and latency matters more than throughput here.
        let _ = tcp.set_nodelay(true);
        let stream: Box<dyn ByteStream> = match tls {
            None => Box::new(tcp),
            Some(config) => {
                let host = addr.rsplit_once(':').map_or(addr, |(host, _)| host);
                let name = ServerName::try_from(host.trim_matches(['[', ']']).to_string())
                    .map_err(|e| GroupError::Io(format!("{addr}: not a TLS server name ({e})")))?;
                let handshake = TlsConnector::from(config.clone()).connect(name, tcp);
                match tokio::time::timeout(timeout, handshake).await {
                    Ok(Ok(stream)) => Box::new(stream),
                    Ok(Err(e)) => {
                        return Err(GroupError::Io(format!("TLS handshake with {addr}: {e}")))
                    }
                    Err(_) => {
                        return Err(GroupError::Io(format!(
                            "TLS handshake with {addr} timed out after {timeout:?}"
                        )))
                    }
                }
            }
        };
        let mut conn = Connection {
            addr: addr.to_string(),
            stream,
            correlation_id: 0,
            client_id: StrBytes::from_string(client_id.to_string()),
            versions: HashMap::new(),
        };
        conn.fetch_api_versions(timeout).await?;
        if let Some(credentials) = sasl {
            conn.authenticate(credentials, timeout).await?;
        }
        Ok(conn)
    }

    /// SaslHandshake naming the mechanism, then the mechanism's messages in SaslAuthenticate requests.
    async fn authenticate(
        &mut self,
        credentials: &SaslCredentials,
        timeout: Duration,
    ) -> Result<(), GroupError> {
        let mechanism = credentials.mechanism.name();
        let failed = |addr: &str, why: String| {
            GroupError::Authentication(format!("SASL {mechanism} with {addr}: {why}"))
        };
        let version = self.version(SaslHandshakeRequest::KEY as i16, SASL_HANDSHAKE_VERSIONS)?;
        let request =
            SaslHandshakeRequest::default().with_mechanism(StrBytes::from_static_str(mechanism));
        let handshake = self.call(&request, version, timeout).await?;
        if handshake.error_code != NONE {
            let enabled: Vec<&str> = handshake.mechanisms.iter().map(|m| m.as_str()).collect();
            return Err(failed(
                &self.addr,
                format!("the broker enables only {}", enabled.join(", ")),
            ));
        }
        let version = self.version(
            SaslAuthenticateRequest::KEY as i16,
            SASL_AUTHENTICATE_VERSIONS,
        )?;
        let nonce = sasl::new_nonce().map_err(|e| failed(&self.addr, e))?;
        let mut exchange = sasl::Exchange::new(credentials.clone(), nonce);
        let mut message = exchange.first_message();
        loop {
            let request = SaslAuthenticateRequest::default().with_auth_bytes(Bytes::from(message));
            let response = self.call(&request, version, timeout).await?;
            if response.error_code != NONE {
                let reason = response.error_message.map_or_else(
                    || GroupError::from_code(response.error_code).to_string(),
                    |m| m.to_string(),
                );
                return Err(failed(&self.addr, reason));
            }
            match exchange
                .answer(&response.auth_bytes)
                .map_err(|e| failed(&self.addr, e))?
            {
                Some(next) => message = next,
                None => return Ok(()),
            }
        }
    }

    async fn fetch_api_versions(&mut self, timeout: Duration) -> Result<(), GroupError> {
        let request = ApiVersionsRequest::default()
            .with_client_software_name(StrBytes::from_static_str(CLIENT_SOFTWARE_NAME))
            .with_client_software_version(StrBytes::from_static_str(env!("CARGO_PKG_VERSION")));
        let mut response = self.call(&request, API_VERSIONS_VERSION, timeout).await?;
        if response.error_code == UNSUPPORTED_VERSION {
            // A broker that does not know v3 answers with a v0 body and its own range: ask again at v0.
            response = self
                .call(&ApiVersionsRequest::default(), 0, timeout)
                .await?;
        }
        if response.error_code != NONE {
            return Err(GroupError::from_code(response.error_code));
        }
        self.versions = response
            .api_keys
            .iter()
            .map(|k| {
                (
                    k.api_key,
                    VersionRange {
                        min: k.min_version,
                        max: k.max_version,
                    },
                )
            })
            .collect();
        Ok(())
    }

    /// The highest version of `key` both this client (`ours`) and the broker support.
    fn version(&self, key: i16, ours: VersionRange) -> Result<i16, GroupError> {
        let theirs = self.versions.get(&key).ok_or_else(|| {
            GroupError::Protocol(format!(
                "broker {} does not support {}",
                self.addr,
                api_name(key)
            ))
        })?;
        let both = ours.intersect(theirs);
        if both.is_empty() {
            return Err(GroupError::Protocol(format!(
                "broker {} supports {} versions {theirs}, this client {ours}",
                self.addr,
                api_name(key)
            )));
        }
        Ok(both.max)
    }

    /// Sends one request and waits for its response, within `timeout`. After an error the connection must be dropped.
    async fn call<R: ApiRequest>(
        &mut self,
        request: &R,
        version: i16,
        timeout: Duration,
    ) -> Result<R::Response, GroupError> {
        match tokio::time::timeout(timeout, self.round_trip(request, version)).await {
            Ok(result) => result,
            Err(_) => Err(GroupError::Io(format!(
                "{} v{version} to {} timed out after {timeout:?}",
                api_name(R::KEY as i16),
                self.addr
            ))),
        }
    }

    async fn round_trip<R: ApiRequest>(
        &mut self,
        request: &R,
        version: i16,
    ) -> Result<R::Response, GroupError> {
        self.correlation_id = self.correlation_id.wrapping_add(1);
        let correlation_id = self.correlation_id;
        let header = RequestHeader::default()
            .with_request_api_key(R::KEY as i16)
            .with_request_api_version(version)
            .with_correlation_id(correlation_id)
            .with_client_id(Some(self.client_id.clone()));

        let mut frame = BytesMut::with_capacity(128);
        frame.put_i32(0); // size, patched below
        header
            .encode(&mut frame, R::header_version(version))
            .map_err(|e| codec_error("encoding request header", e))?;
        request.encode(&mut frame, version).map_err(|e| {
            codec_error(
                &format!("encoding {} v{version}", api_name(R::KEY as i16)),
                e,
            )
        })?;
        let size = i32::try_from(frame.len() - 4)
            .map_err(|_| GroupError::Protocol("request too large".into()))?;
        frame[..4].copy_from_slice(&size.to_be_bytes());

        let addr = self.addr.clone();
        let io_error = |e: std::io::Error| {
            GroupError::Io(format!("{addr} ({}): {e}", api_name(R::KEY as i16)))
        };
        self.stream.write_all(&frame).await.map_err(io_error)?;
        let size = self.stream.read_i32().await.map_err(io_error)?;
        let size = usize::try_from(size)
            .ok()
            .filter(|&s| s <= MAX_FRAME_BYTES)
            .ok_or_else(|| {
                GroupError::Protocol(format!("bad response size {size} from {}", self.addr))
            })?;
        let mut body = vec![0u8; size];
        self.stream.read_exact(&mut body).await.map_err(io_error)?;

        let mut body = Bytes::from(body);
        let response_header =
            ResponseHeader::decode(&mut body, R::Response::header_version(version))
                .map_err(|e| codec_error("decoding response header", e))?;
        if response_header.correlation_id != correlation_id {
            return Err(GroupError::Protocol(format!(
                "{} answered correlation id {} to request {correlation_id}",
                self.addr, response_header.correlation_id
            )));
        }
        let error_code = R::error_code_offset(version)
            .and_then(|at| body.get(at..at + 2))
            .map_or(NONE, |b| i16::from_be_bytes([b[0], b[1]]));
        match R::Response::decode(&mut body.clone(), version) {
            Ok(response) => Ok(response),
            // Error responses that do not decode: librdkafka's mock cluster writes null for non-nullable strings in
            // them (and a broker answers an ApiVersions version it does not know in v0 format). The error code in
            // the fixed prefix is what matters then.
            Err(e) if error_code != NONE => {
                tracing::debug!(addr = %self.addr, api = %api_name(R::KEY as i16), version, error_code, error = %e,
                    "response did not decode; using its error code");
                Ok(R::error_response(error_code))
            }
            Err(e) => Err(codec_error(
                &format!("decoding {} v{version} response", api_name(R::KEY as i16)),
                e,
            )),
        }
    }
}

/// Bounded exponential backoff for one public call.
struct Retry {
    attempts: u32,
    delay: Duration,
    deadline: Instant,
}

impl Retry {
    fn new(budget: Duration) -> Self {
        Retry {
            attempts: 0,
            delay: BACKOFF_INITIAL,
            deadline: Instant::now() + budget,
        }
    }

    /// Counts an attempt that may follow at once (for example MEMBER_ID_REQUIRED); false when attempts ran out.
    fn again_now(&mut self) -> bool {
        self.attempts += 1;
        self.attempts < MAX_ATTEMPTS
    }

    /// Sleeps before the next attempt; false (without sleeping) when attempts or time ran out.
    async fn again_later(&mut self) -> bool {
        if self.attempts + 1 >= MAX_ATTEMPTS || Instant::now() + self.delay > self.deadline {
            return false;
        }
        self.attempts += 1;
        tokio::time::sleep(self.delay).await;
        self.delay = (self.delay * 2).min(BACKOFF_MAX);
        true
    }
}

/// One member of a classic (JoinGroup/SyncGroup) group.
pub struct GroupMember {
    config: GroupConfig,
    coordinator: Option<Connection>,
    member_id: String,
    generation: i32,
    /// Protocol chosen at the last successful join (sent back in SyncGroup v5+).
    protocol_name: Option<String>,
}

impl fmt::Debug for GroupMember {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GroupMember")
            .field("group_id", &self.config.group_id)
            .field("member_id", &self.member_id)
            .field("generation", &self.generation)
            .field("coordinator", &self.coordinator_addr())
            .finish()
    }
}

impl GroupMember {
    /// Finds the group's coordinator through the bootstrap brokers and connects to it.
    pub async fn connect(config: GroupConfig) -> Result<GroupMember, GroupError> {
        if config.bootstrap.is_empty() {
            return Err(GroupError::Protocol("no bootstrap servers".into()));
        }
        if config.group_id.is_empty() {
            return Err(GroupError::Protocol("empty group id".into()));
        }
        let mut member = GroupMember {
            config,
            coordinator: None,
            member_id: String::new(),
            generation: NO_GENERATION,
            protocol_name: None,
        };
        let mut retry = Retry::new(member.short_timeout());
        loop {
            match member.ensure_coordinator().await.map(|_| ()) {
                Ok(()) => return Ok(member),
                Err(e) if member.retry_after(&e, &mut retry).await => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// This member's id ("" before the first join and after leaving or being forgotten by the coordinator).
    pub fn member_id(&self) -> &str {
        &self.member_id
    }

    /// The generation of the last successful join, -1 when not in a generation.
    pub fn generation(&self) -> i32 {
        self.generation
    }

    /// `host:port` of the coordinator this member is connected to, if any.
    pub fn coordinator_addr(&self) -> Option<&str> {
        self.coordinator.as_ref().map(|c| c.addr.as_str())
    }

    pub fn config(&self) -> &GroupConfig {
        &self.config
    }

    /// Joins (or rejoins) the group offering `protocols` (name, metadata) in preference order. Waits until the
    /// coordinator completes the rebalance, which takes until every known member has rejoined.
    pub async fn join(
        &mut self,
        protocols: &[(String, Vec<u8>)],
    ) -> Result<JoinResult, GroupError> {
        let mut retry = Retry::new(self.join_timeout() * 2);
        loop {
            match self.join_once(protocols).await {
                Ok(result) => return Ok(result),
                // The coordinator gave us an id to join with (KIP-394): rejoin with it at once.
                Err(GroupError::Kafka {
                    code: MEMBER_ID_REQUIRED,
                    ..
                }) if retry.again_now() => {}
                // join_once reset the member id: join as a new member at once.
                Err(GroupError::UnknownMemberId) if retry.again_now() => {}
                Err(GroupError::RebalanceInProgress | GroupError::IllegalGeneration)
                    if retry.again_later().await => {}
                Err(e) if self.retry_after(&e, &mut retry).await => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Completes the rebalance for `generation`: the leader passes every member's assignment, followers pass `[]`.
    /// Returns this member's assignment.
    pub async fn sync(
        &mut self,
        generation: i32,
        assignments: &[(String, Vec<u8>)],
    ) -> Result<Vec<u8>, GroupError> {
        let mut retry = Retry::new(self.join_timeout());
        loop {
            match self.sync_once(generation, assignments).await {
                Ok(assignment) => return Ok(assignment),
                Err(e) if self.retry_after(&e, &mut retry).await => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Tells the coordinator this member is alive. [`GroupError::RebalanceInProgress`],
    /// [`GroupError::UnknownMemberId`] and [`GroupError::IllegalGeneration`] mean the member must rejoin.
    pub async fn heartbeat(&mut self) -> Result<(), GroupError> {
        let mut retry = Retry::new(self.short_timeout());
        loop {
            match self.heartbeat_once().await {
                Ok(()) => return Ok(()),
                Err(e) if self.retry_after(&e, &mut retry).await => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Leaves the group so that it rebalances at once instead of after the session timeout. Does nothing when the
    /// member has no id; a coordinator that no longer knows the member counts as success.
    pub async fn leave(&mut self) -> Result<(), GroupError> {
        if self.member_id.is_empty() {
            return Ok(());
        }
        let mut retry = Retry::new(self.short_timeout());
        loop {
            match self.leave_once().await {
                Ok(()) | Err(GroupError::UnknownMemberId) => {
                    tracing::info!(group = %self.config.group_id, member = %self.member_id, "left the group");
                    self.reset(true);
                    return Ok(());
                }
                Err(e) if self.retry_after(&e, &mut retry).await => {}
                Err(e) => return Err(e),
            }
        }
    }

    async fn join_once(
        &mut self,
        protocols: &[(String, Vec<u8>)],
    ) -> Result<JoinResult, GroupError> {
        let timeout = self.join_timeout();
        let group_id = self.group_id();
        let request = JoinGroupRequest::default()
            .with_group_id(group_id)
            .with_session_timeout_ms(self.config.session_timeout_ms)
            .with_rebalance_timeout_ms(self.config.rebalance_timeout_ms)
            .with_member_id(StrBytes::from_string(self.member_id.clone()))
            .with_protocol_type(StrBytes::from_string(self.config.protocol_type.clone()))
            .with_protocols(
                protocols
                    .iter()
                    .map(|(name, metadata)| {
                        JoinGroupRequestProtocol::default()
                            .with_name(StrBytes::from_string(name.clone()))
                            .with_metadata(Bytes::copy_from_slice(metadata))
                    })
                    .collect(),
            );
        tracing::debug!(group = %self.config.group_id, member = %self.member_id, "sending JoinGroup");
        let conn = self.ensure_coordinator().await?;
        let version = conn.version(JoinGroupRequest::KEY as i16, JOIN_GROUP_VERSIONS)?;
        let response = conn.call(&request, version, timeout).await?;
        match response.error_code {
            NONE => {}
            MEMBER_ID_REQUIRED => {
                // Kafka sends this from v4 on; tansu already at v1. Either way the response carries our new id.
                self.member_id = response.member_id.to_string();
                tracing::debug!(group = %self.config.group_id, member = %self.member_id, "coordinator assigned a member id");
                return Err(GroupError::from_code(MEMBER_ID_REQUIRED));
            }
            UNKNOWN_MEMBER_ID => {
                self.reset(true);
                return Err(GroupError::UnknownMemberId);
            }
            code => return Err(GroupError::from_code(code)),
        }
        if let Some(protocol_type) = &response.protocol_type {
            if protocol_type.as_str() != self.config.protocol_type {
                return Err(GroupError::Protocol(format!(
                    "coordinator chose protocol type {protocol_type}, expected {}",
                    self.config.protocol_type
                )));
            }
        }
        let protocol_name = response
            .protocol_name
            .as_ref()
            .map(|p| p.to_string())
            .unwrap_or_default();
        self.member_id = response.member_id.to_string();
        self.generation = response.generation_id;
        self.protocol_name = Some(protocol_name.clone());
        let result = JoinResult {
            generation_id: response.generation_id,
            member_id: self.member_id.clone(),
            leader_id: response.leader.to_string(),
            protocol_name,
            members: response
                .members
                .iter()
                .map(|m| (m.member_id.to_string(), m.metadata.to_vec()))
                .collect(),
        };
        tracing::info!(
            group = %self.config.group_id,
            member = %result.member_id,
            generation = result.generation_id,
            leader = %result.leader_id,
            protocol = %result.protocol_name,
            members = result.members.len(),
            "joined group"
        );
        Ok(result)
    }

    async fn sync_once(
        &mut self,
        generation: i32,
        assignments: &[(String, Vec<u8>)],
    ) -> Result<Vec<u8>, GroupError> {
        let timeout = self.join_timeout();
        let group_id = self.group_id();
        let protocol_type = StrBytes::from_string(self.config.protocol_type.clone());
        let protocol_name = self.protocol_name.clone().map(StrBytes::from_string);
        let member_id = StrBytes::from_string(self.member_id.clone());
        let conn = self.ensure_coordinator().await?;
        let version = conn.version(SyncGroupRequest::KEY as i16, SYNC_GROUP_VERSIONS)?;
        let mut request = SyncGroupRequest::default()
            .with_group_id(group_id)
            .with_generation_id(generation)
            .with_member_id(member_id)
            .with_assignments(
                assignments
                    .iter()
                    .map(|(member, assignment)| {
                        SyncGroupRequestAssignment::default()
                            .with_member_id(StrBytes::from_string(member.clone()))
                            .with_assignment(Bytes::copy_from_slice(assignment))
                    })
                    .collect(),
            );
        if version >= 5 {
            // The coordinator checks these against the group's when present (KIP-559).
            request = request
                .with_protocol_type(Some(protocol_type))
                .with_protocol_name(protocol_name);
        }
        let response = conn.call(&request, version, timeout).await?;
        match response.error_code {
            NONE => Ok(response.assignment.to_vec()),
            code => Err(self.membership_error(code)),
        }
    }

    async fn heartbeat_once(&mut self) -> Result<(), GroupError> {
        if self.member_id.is_empty() {
            return Err(GroupError::UnknownMemberId);
        }
        let timeout = self.short_timeout();
        let request = HeartbeatRequest::default()
            .with_group_id(self.group_id())
            .with_generation_id(self.generation)
            .with_member_id(StrBytes::from_string(self.member_id.clone()));
        let conn = self.ensure_coordinator().await?;
        let version = conn.version(HeartbeatRequest::KEY as i16, HEARTBEAT_VERSIONS)?;
        let response = conn.call(&request, version, timeout).await?;
        match response.error_code {
            NONE => Ok(()),
            code => Err(self.membership_error(code)),
        }
    }

    async fn leave_once(&mut self) -> Result<(), GroupError> {
        let timeout = self.short_timeout();
        let group_id = self.group_id();
        let member_id = StrBytes::from_string(self.member_id.clone());
        let conn = self.ensure_coordinator().await?;
        let version = conn.version(LeaveGroupRequest::KEY as i16, LEAVE_GROUP_VERSIONS)?;
        let request = if version >= 3 {
            let mut member = MemberIdentity::default().with_member_id(member_id);
            if version >= 5 {
                member =
                    member.with_reason(Some(StrBytes::from_static_str("the worker is stopping")));
            }
            LeaveGroupRequest::default()
                .with_group_id(group_id)
                .with_members(vec![member])
        } else {
            LeaveGroupRequest::default()
                .with_group_id(group_id)
                .with_member_id(member_id)
        };
        let response = conn.call(&request, version, timeout).await?;
        if response.error_code != NONE {
            return Err(GroupError::from_code(response.error_code));
        }
        match response.members.iter().find(|m| m.error_code != NONE) {
            Some(m) => Err(GroupError::from_code(m.error_code)),
            None => Ok(()),
        }
    }

    /// Maps an error code of SyncGroup/Heartbeat and forgets what it invalidates, as Java's AbstractCoordinator does.
    fn membership_error(&mut self, code: i16) -> GroupError {
        let error = GroupError::from_code(code);
        match error {
            GroupError::UnknownMemberId => self.reset(true),
            GroupError::IllegalGeneration => self.reset(false),
            _ => {}
        }
        error
    }

    /// Forgets the generation (and the member id when `member_id`), so that the next join starts over.
    fn reset(&mut self, member_id: bool) {
        self.generation = NO_GENERATION;
        self.protocol_name = None;
        if member_id {
            self.member_id.clear();
        }
    }

    /// Decides whether a failed attempt is retried: coordinator errors and broken connections drop the connection
    /// (so the next attempt looks the coordinator up again) and back off; anything else is returned to the caller.
    async fn retry_after(&mut self, error: &GroupError, retry: &mut Retry) -> bool {
        if error.breaks_connection() {
            if let Some(conn) = self.coordinator.take() {
                tracing::debug!(group = %self.config.group_id, coordinator = %conn.addr, %error, "dropping coordinator connection");
            }
        }
        if !error.needs_new_coordinator() {
            return false;
        }
        let again = retry.again_later().await;
        if again {
            tracing::debug!(group = %self.config.group_id, %error, attempt = retry.attempts, "retrying after coordinator error");
        } else {
            tracing::warn!(group = %self.config.group_id, %error, "giving up after coordinator errors");
        }
        again
    }

    async fn ensure_coordinator(&mut self) -> Result<&mut Connection, GroupError> {
        if self.coordinator.is_none() {
            let conn = self.find_coordinator().await?;
            tracing::info!(group = %self.config.group_id, coordinator = %conn.addr, "connected to group coordinator");
            self.coordinator = Some(conn);
        }
        self.coordinator
            .as_mut()
            .ok_or(GroupError::CoordinatorNotAvailable)
    }

    /// Asks the bootstrap brokers, in order, for the group's coordinator and connects to it.
    async fn find_coordinator(&self) -> Result<Connection, GroupError> {
        let mut last_error = GroupError::CoordinatorNotAvailable;
        for addr in &self.config.bootstrap {
            match self.find_coordinator_via(addr).await {
                Ok(conn) => return Ok(conn),
                Err(e) if e.needs_new_coordinator() => {
                    tracing::debug!(group = %self.config.group_id, bootstrap = %addr, error = %e, "FindCoordinator failed");
                    last_error = e;
                }
                Err(e) => return Err(e),
            }
        }
        Err(last_error)
    }

    async fn find_coordinator_via(&self, bootstrap: &str) -> Result<Connection, GroupError> {
        let timeout = self.short_timeout();
        let mut conn = Connection::open(
            bootstrap,
            &self.config.client_id,
            self.config.tls.as_ref(),
            self.config.sasl.as_ref(),
            timeout,
        )
        .await?;
        let version = conn.version(
            FindCoordinatorRequest::KEY as i16,
            FIND_COORDINATOR_VERSIONS,
        )?;
        let key = StrBytes::from_string(self.config.group_id.clone());
        // key_type 0 (group) is the default.
        let request = if version >= 4 {
            FindCoordinatorRequest::default().with_coordinator_keys(vec![key])
        } else {
            FindCoordinatorRequest::default().with_key(key)
        };
        let response = conn.call(&request, version, timeout).await?;
        let (error_code, host, port) = if version >= 4 {
            let coordinator = response
                .coordinators
                .iter()
                .find(|c| c.key.as_str() == self.config.group_id)
                .ok_or_else(|| {
                    GroupError::Protocol(format!(
                        "{bootstrap} answered FindCoordinator without our group"
                    ))
                })?;
            (
                coordinator.error_code,
                coordinator.host.to_string(),
                coordinator.port,
            )
        } else {
            (
                response.error_code,
                response.host.to_string(),
                response.port,
            )
        };
        if error_code != NONE {
            return Err(match GroupError::from_code(error_code) {
                // NOT_COORDINATOR from FindCoordinator means "ask again": treat it as not available yet.
                GroupError::NotCoordinator => GroupError::CoordinatorNotAvailable,
                other => other,
            });
        }
        let coordinator = if host.contains(':') {
            format!("[{host}]:{port}")
        } else {
            format!("{host}:{port}")
        };
        if coordinator == conn.addr {
            return Ok(conn);
        }
        drop(conn);
        Connection::open(
            &coordinator,
            &self.config.client_id,
            self.config.tls.as_ref(),
            self.config.sasl.as_ref(),
            timeout,
        )
        .await
    }

    fn group_id(&self) -> GroupId {
        GroupId(StrBytes::from_string(self.config.group_id.clone()))
    }

    /// Timeout of calls that answer at once (FindCoordinator, Heartbeat, LeaveGroup) and their retry budget.
    fn short_timeout(&self) -> Duration {
        Duration::from_millis(u64::try_from(self.config.session_timeout_ms).unwrap_or(0))
            .max(MIN_REQUEST_TIMEOUT)
    }

    /// Timeout of JoinGroup and SyncGroup, which wait for the other members.
    fn join_timeout(&self) -> Duration {
        Duration::from_millis(u64::try_from(self.config.rebalance_timeout_ms).unwrap_or(0))
            + JOIN_GRACE
    }
}

#[cfg(test)]
mod tests;
