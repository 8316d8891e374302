//! Avro binary → Connect value, reading with the writer's schema (the parsed Avro schema) next to the Connect schema
//! `to_connect` derived from it. Every read is bounds-checked: bad input is an error, never a panic.

use connect_api::data::{SchemaRef, SchemaType, Struct, Value};
use connect_api::{ConnectError, ConnectResult};

use super::schema::{AvroSchema, Kind};
use super::to_connect::{is_map_entry, nullable_branch};

/// A cursor over Avro binary data.
pub(crate) struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

fn eof() -> ConnectError {
    ConnectError::data("Avro data ended unexpectedly")
}

impl<'a> Reader<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Reader { data, pos: 0 }
    }

    pub fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }

    #[inline]
    pub fn read_long(&mut self) -> ConnectResult<i64> {
        let mut value: u64 = 0;
        let mut shift = 0;
        loop {
            let b = *self.data.get(self.pos).ok_or_else(eof)?;
            self.pos += 1;
            if shift == 63 && b > 1 {
                return Err(ConnectError::data("Invalid long encoding in Avro data"));
            }
            value |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                break;
            }
            shift += 7;
        }
        Ok((value >> 1) as i64 ^ -((value & 1) as i64))
    }

    #[inline]
    pub fn read_int(&mut self) -> ConnectResult<i32> {
        let v = self.read_long()?;
        i32::try_from(v)
            .map_err(|_| ConnectError::data(format!("Invalid int encoding in Avro data: {v}")))
    }

    #[inline]
    fn take(&mut self, n: usize) -> ConnectResult<&'a [u8]> {
        if n > self.remaining() {
            return Err(eof());
        }
        let out = &self.data[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }

    fn read_len(&mut self) -> ConnectResult<usize> {
        let n = self.read_long()?;
        if n < 0 || n as u64 > self.remaining() as u64 {
            return Err(ConnectError::data(format!(
                "Invalid length {n} in Avro data ({} bytes left)",
                self.remaining()
            )));
        }
        Ok(n as usize)
    }

    pub fn read_boolean(&mut self) -> ConnectResult<bool> {
        match self.take(1)?[0] {
            0 => Ok(false),
            1 => Ok(true),
            b => Err(ConnectError::data(format!(
                "Invalid boolean byte {b} in Avro data"
            ))),
        }
    }

    pub fn read_float(&mut self) -> ConnectResult<f32> {
        let b = self.take(4)?;
        Ok(f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    pub fn read_double(&mut self) -> ConnectResult<f64> {
        let mut a = [0u8; 8];
        a.copy_from_slice(self.take(8)?);
        Ok(f64::from_le_bytes(a))
    }

    pub fn read_bytes(&mut self) -> ConnectResult<&'a [u8]> {
        let n = self.read_len()?;
        self.take(n)
    }

    pub fn read_string(&mut self) -> ConnectResult<String> {
        let bytes = self.read_bytes()?;
        std::str::from_utf8(bytes)
            .map(str::to_string)
            .map_err(|e| ConnectError::data(format!("Invalid UTF-8 string in Avro data: {e}")))
    }

    /// The item count of the next array/map block (0 at the end); a negative count is followed by a byte size.
    pub fn block_count(&mut self) -> ConnectResult<usize> {
        let n = self.read_long()?;
        let count = if n < 0 {
            self.read_long()?;
            n.checked_neg()
                .ok_or_else(|| ConnectError::data("Invalid block count in Avro data"))?
        } else {
            n
        };
        // Every item takes at least one byte except null/empty ones; cap to what can possibly follow.
        if count as u64 > (self.remaining() as u64 + 1) * 8 + 1024 {
            return Err(ConnectError::data(format!(
                "Invalid block count {count} in Avro data"
            )));
        }
        Ok(count as usize)
    }
}

/// Decodes the value of node `index` of `avro` into a value of `schema`.
pub(crate) fn decode(
    r: &mut Reader<'_>,
    avro: &AvroSchema,
    index: usize,
    schema: &SchemaRef,
) -> ConnectResult<Value> {
    let node = avro.node(index);
    Ok(match &node.kind {
        Kind::Null => Value::Null,
        Kind::Boolean => match r.take(1)?[0] {
            0 => Value::Boolean(false),
            1 => Value::Boolean(true),
            b => {
                return Err(ConnectError::data(format!(
                    "Invalid boolean byte {b} in Avro data"
                )))
            }
        },
        Kind::Int => {
            let v = r.read_int()?;
            match schema.schema_type {
                SchemaType::Int8 => Value::Int8(v as i8),
                SchemaType::Int16 => Value::Int16(v as i16),
                _ => Value::Int32(v),
            }
        }
        Kind::Long => Value::Int64(r.read_long()?),
        Kind::Float => {
            let b = r.take(4)?;
            Value::Float32(f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        }
        Kind::Double => {
            let b = r.take(8)?;
            let mut a = [0u8; 8];
            a.copy_from_slice(b);
            Value::Float64(f64::from_le_bytes(a))
        }
        Kind::Bytes => {
            let n = r.read_len()?;
            Value::Bytes(r.take(n)?.to_vec().into())
        }
        Kind::Fixed { size, .. } => Value::Bytes(r.take(*size)?.to_vec().into()),
        Kind::String => {
            let n = r.read_len()?;
            let bytes = r.take(n)?;
            let text = std::str::from_utf8(bytes).map_err(|e| {
                ConnectError::data(format!("Invalid UTF-8 string in Avro data: {e}"))
            })?;
            Value::String(text.to_string())
        }
        Kind::Enum { name, symbols, .. } => {
            let i = r.read_int()?;
            let symbol = usize::try_from(i)
                .ok()
                .and_then(|i| symbols.get(i))
                .ok_or_else(|| {
                    ConnectError::data(format!("Enum index {i} out of range for {name}"))
                })?;
            Value::String(symbol.clone())
        }
        Kind::Array(items) => {
            let mut count = r.block_count()?;
            if is_map_entry(avro, *items) && schema.schema_type == SchemaType::Map {
                let Kind::Record { fields, .. } = &avro.node(*items).kind else {
                    unreachable!("is_map_entry checked the kind")
                };
                let (ks, vs) = map_schemas(schema)?;
                let mut entries = Vec::with_capacity(count.min(1024));
                while count > 0 {
                    for _ in 0..count {
                        let mut key = Value::Null;
                        let mut value = Value::Null;
                        for f in fields {
                            if f.name == "key" {
                                key = decode(r, avro, f.node, ks)?;
                            } else {
                                value = decode(r, avro, f.node, vs)?;
                            }
                        }
                        entries.push((key, value));
                    }
                    count = r.block_count()?;
                }
                Value::Map(entries)
            } else {
                let item_schema = schema
                    .value_schema
                    .as_ref()
                    .ok_or_else(|| ConnectError::data("ARRAY schema has no value schema"))?;
                let mut out = Vec::with_capacity(count.min(1024));
                while count > 0 {
                    for _ in 0..count {
                        out.push(decode(r, avro, *items, item_schema)?);
                    }
                    count = r.block_count()?;
                }
                Value::Array(out)
            }
        }
        Kind::Map(values) => {
            let (_, vs) = map_schemas(schema)?;
            let mut count = r.block_count()?;
            let mut entries = Vec::with_capacity(count.min(1024));
            while count > 0 {
                for _ in 0..count {
                    let n = r.read_len()?;
                    let key = std::str::from_utf8(r.take(n)?)
                        .map_err(|e| {
                            ConnectError::data(format!("Invalid UTF-8 map key in Avro data: {e}"))
                        })?
                        .to_string();
                    entries.push((Value::String(key), decode(r, avro, *values, vs)?));
                }
                count = r.block_count()?;
            }
            Value::Map(entries)
        }
        Kind::Record { fields, .. } => {
            if schema.fields.len() != fields.len() {
                return Err(ConnectError::data(
                    "Avro record and Connect struct schemas differ",
                ));
            }
            let mut st = Struct::new(schema.clone())?;
            for (i, f) in fields.iter().enumerate() {
                let v = decode(r, avro, f.node, &schema.fields[i].schema)?;
                st.put_unchecked(i, v);
            }
            Value::Struct(st)
        }
        Kind::Union(branches) => {
            let i = r.read_long()?;
            let branch = usize::try_from(i)
                .ok()
                .and_then(|i| branches.get(i).copied())
                .ok_or_else(|| {
                    ConnectError::data(format!("Union index {i} out of range in Avro data"))
                })?;
            if matches!(avro.node(branch).kind, Kind::Null) {
                return Ok(Value::Null);
            }
            if nullable_branch(avro, branches).is_some() {
                return decode(r, avro, branch, schema);
            }
            // A Connect Union struct: its fields are the non-null branches, in order.
            let position = branches
                .iter()
                .filter(|&&b| !matches!(avro.node(b).kind, Kind::Null))
                .position(|&b| b == branch)
                .ok_or_else(|| ConnectError::data("Union branch not found"))?;
            let field = schema
                .fields
                .get(position)
                .ok_or_else(|| ConnectError::data("Avro union and Connect Union struct differ"))?;
            let v = decode(r, avro, branch, &field.schema)?;
            let mut st = Struct::new(schema.clone())?;
            st.put_unchecked(position, v);
            Value::Struct(st)
        }
    })
}

fn map_schemas(schema: &SchemaRef) -> ConnectResult<(&SchemaRef, &SchemaRef)> {
    match (&schema.key_schema, &schema.value_schema) {
        (Some(k), Some(v)) => Ok((k, v)),
        _ => Err(ConnectError::data("MAP schema has no key or value schema")),
    }
}
