//! Decoding of the pgoutput logical replication protocol (version 1) and of the streaming replication framing
//! around it (XLogData `w`, primary keepalive `k`), plus the standby status update `r` we send back.

use std::fmt;

/// Microseconds between 1970-01-01 and PostgreSQL's epoch 2000-01-01.
pub const PG_EPOCH_OFFSET_MICROS: i64 = 946_684_800_000_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError(pub String);

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "pgoutput decoding error: {}", self.0)
    }
}

impl std::error::Error for DecodeError {}

type Result<T> = std::result::Result<T, DecodeError>;

/// A big-endian cursor over one message.
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        if self.pos + n > self.buf.len() {
            return Err(DecodeError(format!(
                "message truncated: wanted {n} bytes at {} of {}",
                self.pos,
                self.buf.len()
            )));
        }
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }
    pub fn u8(&mut self) -> Result<u8> {
        Ok(self.take(1)?[0])
    }
    pub fn i16(&mut self) -> Result<i16> {
        Ok(i16::from_be_bytes(
            self.take(2)?.try_into().unwrap_or_default(),
        ))
    }
    pub fn i32(&mut self) -> Result<i32> {
        Ok(i32::from_be_bytes(
            self.take(4)?.try_into().unwrap_or_default(),
        ))
    }
    pub fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_be_bytes(
            self.take(4)?.try_into().unwrap_or_default(),
        ))
    }
    pub fn i64(&mut self) -> Result<i64> {
        Ok(i64::from_be_bytes(
            self.take(8)?.try_into().unwrap_or_default(),
        ))
    }
    pub fn u64(&mut self) -> Result<u64> {
        Ok(u64::from_be_bytes(
            self.take(8)?.try_into().unwrap_or_default(),
        ))
    }
    pub fn cstr(&mut self) -> Result<String> {
        let rest = &self.buf[self.pos..];
        let end = rest
            .iter()
            .position(|&b| b == 0)
            .ok_or_else(|| DecodeError("unterminated string".into()))?;
        let s = String::from_utf8_lossy(&rest[..end]).into_owned();
        self.pos += end + 1;
        Ok(s)
    }
    pub fn rest(&mut self) -> &'a [u8] {
        let s = &self.buf[self.pos..];
        self.pos = self.buf.len();
        s
    }
}

/// One message of the CopyBoth stream from the server.
#[derive(Debug, Clone, PartialEq)]
pub enum ServerMessage<'a> {
    /// `w`: WAL data starting at `wal_start`.
    XLogData {
        wal_start: u64,
        wal_end: u64,
        send_time: i64,
        data: &'a [u8],
    },
    /// `k`: keepalive; `reply` asks for a status update at once.
    Keepalive {
        wal_end: u64,
        send_time: i64,
        reply: bool,
    },
}

pub fn parse_server_message(buf: &[u8]) -> Result<ServerMessage<'_>> {
    let mut r = Reader::new(buf);
    match r.u8()? {
        b'w' => Ok(ServerMessage::XLogData {
            wal_start: r.u64()?,
            wal_end: r.u64()?,
            send_time: r.i64()?,
            data: r.rest(),
        }),
        b'k' => Ok(ServerMessage::Keepalive {
            wal_end: r.u64()?,
            send_time: r.i64()?,
            reply: r.u8()? != 0,
        }),
        t => Err(DecodeError(format!(
            "unknown replication message type {:?}",
            t as char
        ))),
    }
}

/// The standby status update `r` (written, flushed, applied LSNs, client time, reply request).
pub fn standby_status_update(written: u64, flushed: u64, applied: u64, now_micros: i64) -> Vec<u8> {
    let mut out = Vec::with_capacity(34);
    out.push(b'r');
    out.extend_from_slice(&written.to_be_bytes());
    out.extend_from_slice(&flushed.to_be_bytes());
    out.extend_from_slice(&applied.to_be_bytes());
    out.extend_from_slice(&(now_micros - PG_EPOCH_OFFSET_MICROS).to_be_bytes());
    out.push(0);
    out
}

/// One column of a tuple.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TupleValue {
    Null,
    /// An unchanged TOASTed value that the server did not send.
    UnchangedToast,
    Text(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelationColumn {
    /// Part of the replica identity key.
    pub key: bool,
    pub name: String,
    pub type_oid: u32,
    pub type_modifier: i32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relation {
    pub oid: u32,
    pub namespace: String,
    pub name: String,
    /// `d` default, `n` nothing, `f` full, `i` index.
    pub replica_identity: u8,
    pub columns: Vec<RelationColumn>,
}

/// A decoded pgoutput message.
#[derive(Debug, Clone, PartialEq)]
pub enum PgOutput {
    Begin {
        final_lsn: u64,
        /// Microseconds since the Unix epoch.
        commit_time: i64,
        xid: u32,
    },
    Commit {
        commit_lsn: u64,
        end_lsn: u64,
        commit_time: i64,
    },
    Origin,
    Relation(Relation),
    Type {
        oid: u32,
        namespace: String,
        name: String,
    },
    Insert {
        relation: u32,
        new: Vec<TupleValue>,
    },
    Update {
        relation: u32,
        /// Old key columns (`K`) or the whole old row (`O`), if the server sent them.
        old: Option<(u8, Vec<TupleValue>)>,
        new: Vec<TupleValue>,
    },
    Delete {
        relation: u32,
        old: (u8, Vec<TupleValue>),
    },
    Truncate {
        options: u8,
        relations: Vec<u32>,
    },
    Message {
        transactional: bool,
        prefix: String,
        content: Vec<u8>,
    },
}

fn tuple(r: &mut Reader<'_>) -> Result<Vec<TupleValue>> {
    let n = r.i16()?;
    let mut out = Vec::with_capacity(n.max(0) as usize);
    for _ in 0..n {
        out.push(match r.u8()? {
            b'n' => TupleValue::Null,
            b'u' => TupleValue::UnchangedToast,
            b't' | b'b' => {
                let len = r.i32()?;
                let bytes = r.take(len.max(0) as usize)?;
                TupleValue::Text(String::from_utf8_lossy(bytes).into_owned())
            }
            k => {
                return Err(DecodeError(format!(
                    "unknown tuple column kind {:?}",
                    k as char
                )))
            }
        });
    }
    Ok(out)
}

fn pg_time(t: i64) -> i64 {
    t + PG_EPOCH_OFFSET_MICROS
}

/// Decodes one pgoutput message (the payload of an XLogData).
pub fn decode(buf: &[u8]) -> Result<PgOutput> {
    let mut r = Reader::new(buf);
    let tag = r.u8()?;
    Ok(match tag {
        b'B' => PgOutput::Begin {
            final_lsn: r.u64()?,
            commit_time: pg_time(r.i64()?),
            xid: r.u32()?,
        },
        b'C' => {
            let _flags = r.u8()?;
            PgOutput::Commit {
                commit_lsn: r.u64()?,
                end_lsn: r.u64()?,
                commit_time: pg_time(r.i64()?),
            }
        }
        b'O' => PgOutput::Origin,
        b'R' => {
            let oid = r.u32()?;
            let namespace = r.cstr()?;
            let name = r.cstr()?;
            let replica_identity = r.u8()?;
            let n = r.i16()?;
            let mut columns = Vec::with_capacity(n.max(0) as usize);
            for _ in 0..n {
                let flags = r.u8()?;
                columns.push(RelationColumn {
                    key: flags & 1 != 0,
                    name: r.cstr()?,
                    type_oid: r.u32()?,
                    type_modifier: r.i32()?,
                });
            }
            PgOutput::Relation(Relation {
                oid,
                namespace: if namespace.is_empty() {
                    "pg_catalog".into()
                } else {
                    namespace
                },
                name,
                replica_identity,
                columns,
            })
        }
        b'Y' => PgOutput::Type {
            oid: r.u32()?,
            namespace: r.cstr()?,
            name: r.cstr()?,
        },
        b'I' => {
            let relation = r.u32()?;
            match r.u8()? {
                b'N' => {}
                k => {
                    return Err(DecodeError(format!(
                        "insert: expected N, got {:?}",
                        k as char
                    )))
                }
            }
            PgOutput::Insert {
                relation,
                new: tuple(&mut r)?,
            }
        }
        b'U' => {
            let relation = r.u32()?;
            let mut kind = r.u8()?;
            let mut old = None;
            if kind == b'K' || kind == b'O' {
                old = Some((kind, tuple(&mut r)?));
                kind = r.u8()?;
            }
            if kind != b'N' {
                return Err(DecodeError(format!(
                    "update: expected N, got {:?}",
                    kind as char
                )));
            }
            PgOutput::Update {
                relation,
                old,
                new: tuple(&mut r)?,
            }
        }
        b'D' => {
            let relation = r.u32()?;
            let kind = r.u8()?;
            if kind != b'K' && kind != b'O' {
                return Err(DecodeError(format!(
                    "delete: expected K or O, got {:?}",
                    kind as char
                )));
            }
            PgOutput::Delete {
                relation,
                old: (kind, tuple(&mut r)?),
            }
        }
        b'T' => {
            let n = r.i32()?;
            let options = r.u8()?;
            let mut relations = Vec::with_capacity(n.max(0) as usize);
            for _ in 0..n {
                relations.push(r.u32()?);
            }
            PgOutput::Truncate { options, relations }
        }
        b'M' => {
            let flags = r.u8()?;
            let _lsn = r.u64()?;
            let prefix = r.cstr()?;
            let len = r.i32()?;
            let content = r.take(len.max(0) as usize)?.to_vec();
            PgOutput::Message {
                transactional: flags & 1 != 0,
                prefix,
                content,
            }
        }
        t => {
            return Err(DecodeError(format!(
                "unknown pgoutput message {:?}",
                t as char
            )))
        }
    })
}

/// `X/Y` text form of an LSN, as PostgreSQL prints it.
pub fn format_lsn(lsn: u64) -> String {
    format!("{:X}/{:X}", lsn >> 32, lsn & 0xffff_ffff)
}

pub fn parse_lsn(text: &str) -> Option<u64> {
    let (hi, lo) = text.split_once('/')?;
    Some((u64::from_str_radix(hi, 16).ok()? << 32) | u64::from_str_radix(lo, 16).ok()?)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Builds pgoutput messages byte by byte (as the server's `logicalrep_write_*` functions lay them out).
    pub struct Msg(pub Vec<u8>);
    impl Msg {
        pub fn new(tag: u8) -> Self {
            Msg(vec![tag])
        }
        pub fn u8(mut self, v: u8) -> Self {
            self.0.push(v);
            self
        }
        pub fn i16(mut self, v: i16) -> Self {
            self.0.extend_from_slice(&v.to_be_bytes());
            self
        }
        pub fn i32(mut self, v: i32) -> Self {
            self.0.extend_from_slice(&v.to_be_bytes());
            self
        }
        pub fn u64(mut self, v: u64) -> Self {
            self.0.extend_from_slice(&v.to_be_bytes());
            self
        }
        pub fn s(mut self, v: &str) -> Self {
            self.0.extend_from_slice(v.as_bytes());
            self.0.push(0);
            self
        }
        pub fn text(self, v: &str) -> Self {
            let mut m = self.u8(b't').i32(v.len() as i32);
            m.0.extend_from_slice(v.as_bytes());
            m
        }
    }

    #[test]
    fn decodes_begin_commit() {
        let m = Msg::new(b'B').u64(0x1_0000_0010).u64(1_000_000).i32(777);
        assert_eq!(
            decode(&m.0).unwrap(),
            PgOutput::Begin {
                final_lsn: 0x1_0000_0010,
                commit_time: PG_EPOCH_OFFSET_MICROS + 1_000_000,
                xid: 777
            }
        );
        let m = Msg::new(b'C').u8(0).u64(100).u64(120).u64(5);
        assert_eq!(
            decode(&m.0).unwrap(),
            PgOutput::Commit {
                commit_lsn: 100,
                end_lsn: 120,
                commit_time: PG_EPOCH_OFFSET_MICROS + 5
            }
        );
    }

    #[test]
    fn decodes_relation_and_rows() {
        let m = Msg::new(b'R')
            .i32(16384)
            .s("public")
            .s("t")
            .u8(b'd')
            .i16(2)
            .u8(1)
            .s("id")
            .i32(23)
            .i32(-1)
            .u8(0)
            .s("v")
            .i32(25)
            .i32(-1);
        let PgOutput::Relation(rel) = decode(&m.0).unwrap() else {
            panic!()
        };
        assert_eq!(rel.oid, 16384);
        assert_eq!((rel.namespace.as_str(), rel.name.as_str()), ("public", "t"));
        assert!(rel.columns[0].key && !rel.columns[1].key);
        assert_eq!(rel.columns[1].type_oid, 25);

        let m = Msg::new(b'I').i32(16384).u8(b'N').i16(2).text("1").u8(b'n');
        assert_eq!(
            decode(&m.0).unwrap(),
            PgOutput::Insert {
                relation: 16384,
                new: vec![TupleValue::Text("1".into()), TupleValue::Null]
            }
        );
        let m = Msg::new(b'U')
            .i32(1)
            .u8(b'K')
            .i16(2)
            .text("1")
            .u8(b'n')
            .u8(b'N')
            .i16(2)
            .text("2")
            .u8(b'u');
        assert_eq!(
            decode(&m.0).unwrap(),
            PgOutput::Update {
                relation: 1,
                old: Some((b'K', vec![TupleValue::Text("1".into()), TupleValue::Null])),
                new: vec![TupleValue::Text("2".into()), TupleValue::UnchangedToast]
            }
        );
        let m = Msg::new(b'U').i32(1).u8(b'N').i16(1).text("x");
        assert!(matches!(
            decode(&m.0).unwrap(),
            PgOutput::Update { old: None, .. }
        ));
        let m = Msg::new(b'D').i32(1).u8(b'O').i16(1).text("x");
        assert!(matches!(
            decode(&m.0).unwrap(),
            PgOutput::Delete { old: (b'O', _), .. }
        ));
        let m = Msg::new(b'T').i32(2).u8(0).i32(5).i32(6);
        assert_eq!(
            decode(&m.0).unwrap(),
            PgOutput::Truncate {
                options: 0,
                relations: vec![5, 6]
            }
        );
        assert!(decode(&Msg::new(b'I').i32(1).u8(b'N').i16(1).u8(b't').i32(9).0).is_err());
        assert!(decode(b"Z").is_err());
    }

    #[test]
    fn replication_framing() {
        let mut w = vec![b'w'];
        w.extend_from_slice(&10u64.to_be_bytes());
        w.extend_from_slice(&20u64.to_be_bytes());
        w.extend_from_slice(&0i64.to_be_bytes());
        w.extend_from_slice(b"B...");
        assert_eq!(
            parse_server_message(&w).unwrap(),
            ServerMessage::XLogData {
                wal_start: 10,
                wal_end: 20,
                send_time: 0,
                data: b"B..."
            }
        );
        let mut k = vec![b'k'];
        k.extend_from_slice(&7u64.to_be_bytes());
        k.extend_from_slice(&0i64.to_be_bytes());
        k.push(1);
        assert_eq!(
            parse_server_message(&k).unwrap(),
            ServerMessage::Keepalive {
                wal_end: 7,
                send_time: 0,
                reply: true
            }
        );
        let r = standby_status_update(1, 2, 3, PG_EPOCH_OFFSET_MICROS);
        assert_eq!(r.len(), 34);
        assert_eq!(r[0], b'r');
        assert_eq!(&r[9..17], &2u64.to_be_bytes());
        assert_eq!(parse_lsn("16/B374D848"), Some(0x16_B374_D848));
        assert_eq!(format_lsn(0x16_B374_D848), "16/B374D848");
    }
}
