//! Avro object container files (`.avro`) as Confluent's AvroFormat writes them: the writer schema is the one
//! Confluent's AvroData derives from the Connect schema (connect-converters' Avro mapping), records go in blocks of
//! about 64 KB compressed with `avro.codec` (null, deflate, snappy).

use std::io::Write;

use connect_api::data::{Schema, Value};
use connect_api::{ConnectError, ConnectResult};
use connect_converters::avro::{avro_schema_json, encode_binary, write_long};
use flate2::write::DeflateEncoder;
use flate2::Compression;

/// Bytes of encoded records gathered before a block is written (Avro's default sync interval).
const BLOCK_BYTES: usize = 64_000;

/// The `avro.codec` values this connector writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AvroCodec {
    Null,
    Deflate,
    Snappy,
}

impl AvroCodec {
    pub fn parse(name: &str) -> Option<AvroCodec> {
        match name {
            "null" | "" => Some(Self::Null),
            "deflate" => Some(Self::Deflate),
            "snappy" => Some(Self::Snappy),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Null => "null",
            Self::Deflate => "deflate",
            Self::Snappy => "snappy",
        }
    }
}

/// Encodes one record value as Avro binary of its Connect schema (the check made before a record is accepted).
pub fn encode_value(
    value: &Value,
    schema: Option<&Schema>,
    out: &mut Vec<u8>,
) -> ConnectResult<()> {
    let schema = schema.ok_or_else(|| {
        ConnectError::data(
            "AvroFormat needs records with a value schema (a converter that provides one)",
        )
    })?;
    encode_binary(out, schema, value)
}

/// One container file being written: header first, then a block each time enough records are gathered.
pub struct AvroFileWriter {
    codec: AvroCodec,
    sync: [u8; 16],
    block: Vec<u8>,
    block_count: i64,
    /// Finished bytes (header and blocks) not yet taken by the uploader.
    out: Vec<u8>,
}

impl AvroFileWriter {
    /// Starts a file for records of `schema`; `seed` (the object key) makes the sync marker, and so the whole
    /// file, the same when the same records are written again.
    pub fn new(schema: &Schema, codec: AvroCodec, seed: &str) -> ConnectResult<AvroFileWriter> {
        let schema_text = avro_schema_json(schema, true)?.to_string();
        let sync = sync_marker(seed);
        let mut out = b"Obj\x01".to_vec();
        write_long(&mut out, 2);
        for (key, value) in [
            ("avro.schema", schema_text.as_bytes()),
            ("avro.codec", codec.name().as_bytes()),
        ] {
            write_long(&mut out, key.len() as i64);
            out.extend_from_slice(key.as_bytes());
            write_long(&mut out, value.len() as i64);
            out.extend_from_slice(value);
        }
        write_long(&mut out, 0);
        out.extend_from_slice(&sync);
        Ok(AvroFileWriter {
            codec,
            sync,
            block: Vec::new(),
            block_count: 0,
            out,
        })
    }

    /// Adds one record already encoded by [`encode_value`].
    pub fn append(&mut self, encoded: &[u8]) {
        self.block.extend_from_slice(encoded);
        self.block_count += 1;
        if self.block.len() >= BLOCK_BYTES {
            self.write_block();
        }
    }

    fn write_block(&mut self) {
        if self.block_count == 0 {
            return;
        }
        let data = match self.codec {
            AvroCodec::Null => std::mem::take(&mut self.block),
            AvroCodec::Deflate => {
                let mut enc = DeflateEncoder::new(Vec::new(), Compression::default());
                // Writing into a Vec cannot fail.
                let _ = enc.write_all(&self.block);
                enc.finish().unwrap_or_default()
            }
            AvroCodec::Snappy => {
                let mut data = snap::raw::Encoder::new()
                    .compress_vec(&self.block)
                    .unwrap_or_default();
                data.extend_from_slice(&crc32fast::hash(&self.block).to_be_bytes());
                data
            }
        };
        self.block.clear();
        write_long(&mut self.out, self.block_count);
        write_long(&mut self.out, data.len() as i64);
        self.out.extend_from_slice(&data);
        self.out.extend_from_slice(&self.sync);
        self.block_count = 0;
    }

    /// The finished bytes, for the uploader to take from.
    pub fn ready(&mut self) -> &mut Vec<u8> {
        &mut self.out
    }

    pub fn ready_len(&self) -> usize {
        self.out.len()
    }

    /// Writes the last block and returns every byte not taken yet.
    pub fn finish(mut self) -> Vec<u8> {
        self.write_block();
        self.out
    }
}

/// 16 bytes derived from `seed` (two FNV-1a hashes with different offsets).
fn sync_marker(seed: &str) -> [u8; 16] {
    let fnv = |basis: u64| {
        seed.bytes().fold(basis, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        })
    };
    let mut sync = [0u8; 16];
    sync[..8].copy_from_slice(&fnv(0xcbf2_9ce4_8422_2325).to_be_bytes());
    sync[8..].copy_from_slice(&fnv(0x6c62_272e_07bb_0142).to_be_bytes());
    sync
}

#[cfg(test)]
mod tests {
    use connect_api::data::{schemas, SchemaBuilder, Struct};

    use super::*;

    #[test]
    fn container_layout_and_determinism() {
        let schema = SchemaBuilder::struct_()
            .name("com.example.Row")
            .with_field("id", schemas::int32())
            .build();
        let row =
            |i: i32| Value::Struct(Struct::new(schema.clone()).unwrap().with("id", i).unwrap());
        let write = |codec| {
            let mut w = AvroFileWriter::new(&schema, codec, "k").unwrap();
            for i in 0..3 {
                let mut b = Vec::new();
                encode_value(&row(i), Some(&schema), &mut b).unwrap();
                w.append(&b);
            }
            w.finish()
        };
        let file = write(AvroCodec::Null);
        assert!(file.starts_with(b"Obj\x01"));
        let text = String::from_utf8_lossy(&file);
        assert!(text.contains("\"name\":\"Row\""), "{text}");
        // Metadata values are Avro bytes: zig-zag length (4 -> 8), then the text.
        assert!(text.contains("avro.codec\u{8}null"), "{text}");
        // One block: 3 records, 3 bytes (zig-zag 0, 1, 2 = 0, 2, 4), then the sync marker.
        let sync = sync_marker("k");
        assert!(file.ends_with(&[&[6u8, 6, 0, 2, 4][..], &sync[..]].concat()));
        assert_eq!(file, write(AvroCodec::Null));
        assert!(String::from_utf8_lossy(&write(AvroCodec::Snappy)).contains("snappy"));
        assert!(encode_value(&Value::from("x"), None, &mut Vec::new()).is_err());
    }
}
