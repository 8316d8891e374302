//! `ByteArrayConverter`: BYTES values (or null) out unchanged, any bytes in as an optional BYTES value; the same
//! for headers.

use connect_api::converter::{Converter, HeaderConverter};
use connect_api::data::{schemas, SchemaAndValue, SchemaRef, SchemaType, Value};
use connect_api::header::Headers;
use connect_api::{Config, ConnectError, ConnectResult};

use crate::java::class_of;

/// Kafka's `org.apache.kafka.connect.converters.ByteArrayConverter`.
#[derive(Clone, Copy, Debug, Default)]
pub struct ByteArrayConverter;

impl ByteArrayConverter {
    pub fn new() -> Self {
        ByteArrayConverter
    }

    pub fn encode(
        &self,
        schema: Option<&SchemaRef>,
        value: &Value,
    ) -> ConnectResult<Option<Vec<u8>>> {
        if let Some(s) = schema {
            if s.schema_type != SchemaType::Bytes {
                return Err(ConnectError::data(format!(
                    "Invalid schema type for ByteArrayConverter: {}",
                    s.schema_type
                )));
            }
        }
        match value {
            Value::Null => Ok(None),
            Value::Bytes(b) => Ok(Some(b.to_vec())),
            other => Err(ConnectError::data(format!(
                "ByteArrayConverter is not compatible with objects of type {}",
                class_of(other)
            ))),
        }
    }

    pub fn decode(&self, bytes: Option<&[u8]>) -> SchemaAndValue {
        let value = match bytes {
            Some(b) => Value::Bytes(b.to_vec().into()),
            None => Value::Null,
        };
        SchemaAndValue::new(Some(schemas::optional_bytes()), value)
    }
}

impl Converter for ByteArrayConverter {
    fn configure(&mut self, _config: &Config, _is_key: bool) -> ConnectResult<()> {
        Ok(())
    }

    fn from_connect_data(
        &mut self,
        _topic: &str,
        _headers: &mut Headers,
        schema: Option<&SchemaRef>,
        value: &Value,
    ) -> ConnectResult<Option<Vec<u8>>> {
        self.encode(schema, value)
    }

    fn to_connect_data(
        &mut self,
        _topic: &str,
        _headers: &Headers,
        bytes: Option<&[u8]>,
    ) -> ConnectResult<SchemaAndValue> {
        Ok(self.decode(bytes))
    }
}

impl HeaderConverter for ByteArrayConverter {
    fn configure(&mut self, _config: &Config) -> ConnectResult<()> {
        Ok(())
    }

    fn from_connect_header(
        &mut self,
        _topic: &str,
        _header_key: &str,
        schema: Option<&SchemaRef>,
        value: &Value,
    ) -> ConnectResult<Option<Vec<u8>>> {
        self.encode(schema, value)
    }

    fn to_connect_header(
        &mut self,
        _topic: &str,
        _header_key: &str,
        bytes: Option<&[u8]>,
    ) -> ConnectResult<SchemaAndValue> {
        Ok(self.decode(bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passes_bytes_through() {
        let c = ByteArrayConverter::new();
        let value = Value::Bytes(vec![1, 2, 3].into());
        assert_eq!(
            c.encode(Some(&schemas::bytes()), &value).unwrap(),
            Some(vec![1, 2, 3])
        );
        assert_eq!(c.encode(None, &Value::Null).unwrap(), None);
        assert_eq!(c.decode(Some(&[1, 2, 3])).value, value);
        assert_eq!(
            c.encode(Some(&schemas::string()), &value)
                .unwrap_err()
                .message(),
            "Invalid schema type for ByteArrayConverter: STRING"
        );
        assert_eq!(
            c.encode(None, &"x".into()).unwrap_err().message(),
            "ByteArrayConverter is not compatible with objects of type class java.lang.String"
        );
    }
}
