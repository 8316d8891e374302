//! A small PostgreSQL client for the streaming replication protocol (a `replication=database` connection):
//! startup and authentication (trust, cleartext, MD5, SCRAM-SHA-256), simple queries such as
//! `CREATE_REPLICATION_SLOT`, and the CopyBoth stream opened by `START_REPLICATION`.

use std::fmt;

use bytes::{Buf, BytesMut};
use postgres_protocol::authentication::sasl::{ChannelBinding, ScramSha256, SCRAM_SHA_256};
use postgres_protocol::message::frontend;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Session settings that make text values parse the same way everywhere (pgoutput and snapshot queries).
pub const SESSION_SETTINGS: &[(&str, &str)] = &[
    ("DateStyle", "ISO"),
    ("TimeZone", "UTC"),
    ("IntervalStyle", "postgres"),
    ("extra_float_digits", "3"),
    ("bytea_output", "hex"),
];

/// An error from the server (with its SQLSTATE) or from the connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PgError {
    Server { code: String, message: String },
    Io(String),
    Protocol(String),
}

impl PgError {
    pub fn code(&self) -> Option<&str> {
        match self {
            PgError::Server { code, .. } => Some(code),
            _ => None,
        }
    }
    /// A dropped or refused connection, or a server shutting down: worth reconnecting.
    pub fn is_transient(&self) -> bool {
        match self {
            PgError::Io(_) => true,
            PgError::Server { code, .. } => {
                code.starts_with("08")
                    || code.starts_with("57P")
                    || code == "55006"
                    || code == "53300"
            }
            PgError::Protocol(_) => false,
        }
    }
}

impl fmt::Display for PgError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PgError::Server { code, message } => write!(f, "{message} (SQLSTATE {code})"),
            PgError::Io(m) => write!(f, "connection error: {m}"),
            PgError::Protocol(m) => write!(f, "protocol error: {m}"),
        }
    }
}

impl std::error::Error for PgError {}

impl From<std::io::Error> for PgError {
    fn from(e: std::io::Error) -> Self {
        PgError::Io(e.to_string())
    }
}

impl From<tokio_postgres::Error> for PgError {
    fn from(e: tokio_postgres::Error) -> Self {
        match e.as_db_error() {
            Some(db) => PgError::Server {
                code: db.code().code().to_string(),
                message: db.message().to_string(),
            },
            None => PgError::Io(e.to_string()),
        }
    }
}

/// Connection parameters.
#[derive(Clone, Debug)]
pub struct ConnParams {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub password: Option<String>,
    pub dbname: String,
}

/// One backend message: its tag and body.
pub struct BackendMessage {
    pub tag: u8,
    pub body: BytesMut,
}

/// Parses an ErrorResponse body into (code, message).
fn error_fields(body: &[u8]) -> PgError {
    let mut code = String::new();
    let mut message = String::new();
    let mut detail = String::new();
    let mut hint = String::new();
    let mut rest = body;
    while let Some((&t, tail)) = rest.split_first() {
        if t == 0 {
            break;
        }
        let end = tail.iter().position(|&b| b == 0).unwrap_or(tail.len());
        let v = String::from_utf8_lossy(&tail[..end]).into_owned();
        match t {
            b'C' => code = v,
            b'M' => message = v,
            b'D' => detail = v,
            b'H' => hint = v,
            _ => {}
        }
        rest = tail.get(end + 1..).unwrap_or(&[]);
    }
    if !detail.is_empty() {
        message = format!("{message}; detail: {detail}");
    }
    if !hint.is_empty() {
        message = format!("{message}; hint: {hint}");
    }
    PgError::Server { code, message }
}

/// A replication connection.
pub struct ReplicationConnection {
    stream: TcpStream,
    buf: BytesMut,
    out: BytesMut,
}

fn io_err(e: std::io::Error) -> PgError {
    PgError::Io(e.to_string())
}

impl ReplicationConnection {
    /// Connects with `replication=database` and authenticates.
    pub async fn connect(p: &ConnParams) -> Result<ReplicationConnection, PgError> {
        let stream = TcpStream::connect((p.host.as_str(), p.port)).await?;
        stream.set_nodelay(true).ok();
        let mut conn = ReplicationConnection {
            stream,
            buf: BytesMut::with_capacity(64 * 1024),
            out: BytesMut::new(),
        };
        let mut params: Vec<(&str, &str)> = vec![
            ("user", p.user.as_str()),
            ("database", p.dbname.as_str()),
            ("replication", "database"),
            ("application_name", "connect-postgres"),
            ("client_encoding", "UTF8"),
        ];
        params.extend_from_slice(SESSION_SETTINGS);
        frontend::startup_message(params.iter().copied(), &mut conn.out).map_err(io_err)?;
        conn.flush().await?;
        conn.authenticate(p).await?;
        Ok(conn)
    }

    async fn flush(&mut self) -> Result<(), PgError> {
        self.stream.write_all(&self.out).await?;
        self.out.clear();
        Ok(())
    }

    /// Reads until one whole message is buffered. Cancel-safe: a partial read stays in the buffer.
    pub async fn read_message(&mut self) -> Result<BackendMessage, PgError> {
        loop {
            if let Some(m) = self.try_message()? {
                return Ok(m);
            }
            // Keep a large spare capacity: BytesMut alone would grow 64 bytes at a time once split to nothing.
            if self.buf.capacity() - self.buf.len() < 16 * 1024 {
                self.buf.reserve(128 * 1024);
            }
            let n = self.stream.read_buf(&mut self.buf).await?;
            if n == 0 {
                return Err(PgError::Io("server closed the connection".into()));
            }
        }
    }

    /// A message already in the buffer, if one is complete.
    pub fn try_message(&mut self) -> Result<Option<BackendMessage>, PgError> {
        if self.buf.len() < 5 {
            return Ok(None);
        }
        let len = u32::from_be_bytes([self.buf[1], self.buf[2], self.buf[3], self.buf[4]]) as usize;
        if len < 4 {
            return Err(PgError::Protocol(format!("bad message length {len}")));
        }
        if self.buf.len() < len + 1 {
            self.buf.reserve(len + 1 - self.buf.len());
            return Ok(None);
        }
        let tag = self.buf[0];
        self.buf.advance(5);
        let body = self.buf.split_to(len - 4);
        Ok(Some(BackendMessage { tag, body }))
    }

    async fn authenticate(&mut self, p: &ConnParams) -> Result<(), PgError> {
        let password = || {
            p.password.clone().ok_or_else(|| PgError::Server {
                code: "28P01".into(),
                message: format!(
                    "the server asks a password for user {} but database.password is not set",
                    p.user
                ),
            })
        };
        let mut scram: Option<ScramSha256> = None;
        loop {
            let m = self.read_message().await?;
            match m.tag {
                b'R' => {
                    let kind = i32::from_be_bytes(m.body[..4].try_into().unwrap_or_default());
                    match kind {
                        0 => {}
                        3 => {
                            frontend::password_message(password()?.as_bytes(), &mut self.out)
                                .map_err(io_err)?;
                            self.flush().await?;
                        }
                        5 => {
                            let salt: [u8; 4] = m.body[4..8].try_into().unwrap_or_default();
                            let hash = postgres_protocol::authentication::md5_hash(
                                p.user.as_bytes(),
                                password()?.as_bytes(),
                                salt,
                            );
                            frontend::password_message(hash.as_bytes(), &mut self.out)
                                .map_err(io_err)?;
                            self.flush().await?;
                        }
                        10 => {
                            let mechanisms = String::from_utf8_lossy(&m.body[4..]).into_owned();
                            if !mechanisms.split('\0').any(|s| s == SCRAM_SHA_256) {
                                return Err(PgError::Protocol(format!(
                                    "unsupported SASL mechanisms {mechanisms:?}"
                                )));
                            }
                            let s = ScramSha256::new(
                                password()?.as_bytes(),
                                ChannelBinding::unsupported(),
                            );
                            frontend::sasl_initial_response(
                                SCRAM_SHA_256,
                                s.message(),
                                &mut self.out,
                            )
                            .map_err(io_err)?;
                            self.flush().await?;
                            scram = Some(s);
                        }
                        11 => {
                            let s = scram.as_mut().ok_or_else(|| {
                                PgError::Protocol("unexpected SASL continue".into())
                            })?;
                            s.update(&m.body[4..]).map_err(io_err)?;
                            frontend::sasl_response(s.message(), &mut self.out).map_err(io_err)?;
                            self.flush().await?;
                        }
                        12 => {
                            let s = scram
                                .as_mut()
                                .ok_or_else(|| PgError::Protocol("unexpected SASL final".into()))?;
                            s.finish(&m.body[4..]).map_err(io_err)?;
                        }
                        k => {
                            return Err(PgError::Protocol(format!(
                                "unsupported authentication method {k}"
                            )))
                        }
                    }
                }
                b'E' => return Err(error_fields(&m.body)),
                b'Z' => return Ok(()),
                _ => {}
            }
        }
    }

    /// Runs a simple query and returns its rows as text columns.
    pub async fn simple_query(&mut self, sql: &str) -> Result<Vec<Vec<Option<String>>>, PgError> {
        frontend::query(sql, &mut self.out).map_err(io_err)?;
        self.flush().await?;
        let mut rows = Vec::new();
        let mut error = None;
        loop {
            let m = self.read_message().await?;
            match m.tag {
                b'D' => {
                    let mut r = crate::pgoutput::Reader::new(&m.body);
                    let n = r.i16().map_err(|e| PgError::Protocol(e.0))?;
                    let mut row = Vec::with_capacity(n.max(0) as usize);
                    for _ in 0..n {
                        let len = r.i32().map_err(|e| PgError::Protocol(e.0))?;
                        if len < 0 {
                            row.push(None);
                        } else {
                            let mut s = Vec::with_capacity(len as usize);
                            for _ in 0..len {
                                s.push(r.u8().map_err(|e| PgError::Protocol(e.0))?);
                            }
                            row.push(Some(String::from_utf8_lossy(&s).into_owned()));
                        }
                    }
                    rows.push(row);
                }
                b'E' => error = Some(error_fields(&m.body)),
                b'Z' => {
                    return match error {
                        Some(e) => Err(e),
                        None => Ok(rows),
                    }
                }
                _ => {}
            }
        }
    }

    /// Sends `START_REPLICATION ...` and waits for the CopyBoth response.
    pub async fn start_replication(&mut self, sql: &str) -> Result<(), PgError> {
        frontend::query(sql, &mut self.out).map_err(io_err)?;
        self.flush().await?;
        loop {
            let m = self.read_message().await?;
            match m.tag {
                b'W' => return Ok(()),
                b'E' => {
                    let e = error_fields(&m.body);
                    // Drain to ReadyForQuery so that the error is the whole story.
                    return Err(e);
                }
                _ => {}
            }
        }
    }

    /// Sends one CopyData message (a standby status update) and flushes.
    pub async fn send_copy_data(&mut self, data: &[u8]) -> Result<(), PgError> {
        frontend::CopyData::new(data)
            .map_err(io_err)?
            .write(&mut self.out);
        self.flush().await
    }

    /// Turns a message of the CopyBoth stream into its payload; None for messages to ignore.
    pub fn copy_payload(m: BackendMessage) -> Result<Option<BytesMut>, PgError> {
        match m.tag {
            b'd' => Ok(Some(m.body)),
            b'E' => Err(error_fields(&m.body)),
            b'c' => Err(PgError::Io("server ended the replication stream".into())),
            _ => Ok(None),
        }
    }
}

/// Quotes an identifier for SQL (`"name"` with doubled quotes).
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Quotes a string literal for SQL.
pub fn quote_literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_response_fields() {
        let body = b"SERROR\0C42704\0Mreplication slot \"x\" does not exist\0\0";
        assert_eq!(
            error_fields(body),
            PgError::Server {
                code: "42704".into(),
                message: "replication slot \"x\" does not exist".into()
            }
        );
        assert!(PgError::Io("x".into()).is_transient());
        assert!(!error_fields(body).is_transient());
        assert_eq!(quote_ident("a\"b"), "\"a\"\"b\"");
        assert_eq!(quote_literal("it's"), "'it''s'");
    }
}
