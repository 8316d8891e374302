//! `BooleanConverter`: a BOOLEAN as one byte, 0 or 1 (Kafka's `BooleanSerializer`), for values and headers.

use connect_api::converter::{Converter, HeaderConverter};
use connect_api::data::{schemas, SchemaAndValue, SchemaRef, SchemaType, Value};
use connect_api::header::Headers;
use connect_api::{Config, ConnectError, ConnectResult};

use crate::config::{converter_config_def, parse, ConverterType};
use crate::java::class_of;

/// Kafka's `org.apache.kafka.connect.converters.BooleanConverter`.
#[derive(Clone, Copy, Debug, Default)]
pub struct BooleanConverter;

impl BooleanConverter {
    pub const CLASS_NAME: &'static str = "org.apache.kafka.connect.converters.BooleanConverter";

    pub fn new() -> Self {
        BooleanConverter
    }

    pub fn encode(
        &self,
        schema: Option<&SchemaRef>,
        value: &Value,
    ) -> ConnectResult<Option<Vec<u8>>> {
        if let Some(s) = schema {
            if s.schema_type != SchemaType::Boolean {
                return Err(ConnectError::data(format!(
                    "Invalid schema type for BooleanConverter: {}",
                    s.schema_type
                )));
            }
        }
        match value {
            Value::Null => Ok(None),
            Value::Boolean(b) => Ok(Some(vec![u8::from(*b)])),
            other => Err(ConnectError::data(format!(
                "BooleanConverter is not compatible with objects of type {}",
                class_of(other)
            ))),
        }
    }

    pub fn decode(&self, bytes: Option<&[u8]>) -> ConnectResult<SchemaAndValue> {
        let value = match bytes {
            None => Value::Null,
            Some([0]) => Value::Boolean(false),
            Some([1]) => Value::Boolean(true),
            Some([other]) => {
                return Err(ConnectError::data(format!(
                    "Failed to deserialize boolean: Unexpected byte received by BooleanDeserializer: {}",
                    *other as i8
                )))
            }
            Some(_) => {
                return Err(ConnectError::data(
                    "Failed to deserialize boolean: Size of data received by BooleanDeserializer is not 1",
                ))
            }
        };
        Ok(SchemaAndValue::new(
            Some(schemas::optional_boolean()),
            value,
        ))
    }
}

impl Converter for BooleanConverter {
    fn configure(&mut self, config: &Config, is_key: bool) -> ConnectResult<()> {
        parse(
            &converter_config_def(),
            config,
            ConverterType::for_key(is_key),
        )
        .map(|_| ())
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
        self.decode(bytes)
    }
}

impl HeaderConverter for BooleanConverter {
    fn configure(&mut self, config: &Config) -> ConnectResult<()> {
        parse(&converter_config_def(), config, ConverterType::Header).map(|_| ())
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
        self.decode(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_byte_each_way() {
        let c = BooleanConverter::new();
        assert_eq!(
            c.encode(None, &Value::Boolean(true)).unwrap(),
            Some(vec![1])
        );
        assert_eq!(
            c.encode(None, &Value::Boolean(false)).unwrap(),
            Some(vec![0])
        );
        assert_eq!(c.decode(Some(&[1])).unwrap().value, Value::Boolean(true));
        assert_eq!(
            c.decode(Some(&[0xff])).unwrap_err().message(),
            "Failed to deserialize boolean: Unexpected byte received by BooleanDeserializer: -1"
        );
        assert_eq!(
            c.encode(Some(&schemas::int32()), &Value::Boolean(true))
                .unwrap_err()
                .message(),
            "Invalid schema type for BooleanConverter: INT32"
        );
    }
}
