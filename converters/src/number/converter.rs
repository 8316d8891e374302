//! `NumberConverter`: one fixed-size number type each way, as Kafka's abstract `NumberConverter`, for values and
//! headers.

use std::marker::PhantomData;

use connect_api::converter::{Converter, HeaderConverter};
use connect_api::data::{SchemaAndValue, SchemaRef, Value};
use connect_api::header::Headers;
use connect_api::{Config, ConnectError, ConnectResult};

use super::types::NumberType;
use crate::config::{converter_config_def, parse, ConverterType};
use crate::java::class_of;

/// A converter for one number type `T`.
pub struct NumberConverter<T: NumberType> {
    _type: PhantomData<T>,
}

impl<T: NumberType> Default for NumberConverter<T> {
    fn default() -> Self {
        NumberConverter { _type: PhantomData }
    }
}

impl<T: NumberType> NumberConverter<T> {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn encode(&self, value: &Value) -> ConnectResult<Option<Vec<u8>>> {
        if value.is_null() {
            return Ok(None);
        }
        T::to_bytes(value).map(Some).ok_or_else(|| {
            ConnectError::data(format!(
                "Failed to serialize to {} (was {}): ",
                T::TYPE_NAME,
                class_of(value)
            ))
        })
    }

    pub fn decode(&self, bytes: Option<&[u8]>) -> ConnectResult<SchemaAndValue> {
        let value = match bytes {
            None => Value::Null,
            Some(b) if b.len() == T::SIZE => T::from_bytes(b),
            Some(_) => {
                return Err(ConnectError::data(format!(
                    "Failed to deserialize {}: Size of data received by {} is not {}",
                    T::TYPE_NAME,
                    T::DESERIALIZER,
                    T::SIZE
                )))
            }
        };
        Ok(SchemaAndValue::new(Some(T::schema()), value))
    }
}

impl<T: NumberType> Converter for NumberConverter<T> {
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
        _schema: Option<&SchemaRef>,
        value: &Value,
    ) -> ConnectResult<Option<Vec<u8>>> {
        self.encode(value)
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

impl<T: NumberType> HeaderConverter for NumberConverter<T> {
    fn configure(&mut self, config: &Config) -> ConnectResult<()> {
        parse(&converter_config_def(), config, ConverterType::Header).map(|_| ())
    }

    fn from_connect_header(
        &mut self,
        _topic: &str,
        _header_key: &str,
        _schema: Option<&SchemaRef>,
        value: &Value,
    ) -> ConnectResult<Option<Vec<u8>>> {
        self.encode(value)
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
    use crate::number::{
        DoubleConverter, FloatConverter, IntegerConverter, LongConverter, ShortConverter,
    };
    use connect_api::data::schemas;

    #[test]
    fn uses_kafka_serde_byte_formats() {
        assert_eq!(
            IntegerConverter::new().encode(&Value::Int32(-2)).unwrap(),
            Some(vec![0xff, 0xff, 0xff, 0xfe])
        );
        assert_eq!(
            ShortConverter::new().encode(&Value::Int16(0x0102)).unwrap(),
            Some(vec![1, 2])
        );
        assert_eq!(
            LongConverter::new().encode(&Value::Int64(1)).unwrap(),
            Some(vec![0, 0, 0, 0, 0, 0, 0, 1])
        );
        assert_eq!(
            FloatConverter::new().encode(&Value::Float32(1.0)).unwrap(),
            Some(vec![0x3f, 0x80, 0, 0])
        );
        assert_eq!(
            DoubleConverter::new().encode(&Value::Float64(1.0)).unwrap(),
            Some(vec![0x3f, 0xf0, 0, 0, 0, 0, 0, 0])
        );
        assert_eq!(IntegerConverter::new().encode(&Value::Null).unwrap(), None);
        let sv = LongConverter::new()
            .decode(Some(&[0, 0, 0, 0, 0, 0, 1, 0]))
            .unwrap();
        assert_eq!(
            sv,
            SchemaAndValue::new(Some(schemas::optional_int64()), Value::Int64(256))
        );
        assert_eq!(
            IntegerConverter::new().decode(None).unwrap(),
            SchemaAndValue::new(Some(schemas::optional_int32()), Value::Null)
        );
    }

    #[test]
    fn reports_kafka_errors() {
        let err = IntegerConverter::new().decode(Some(&[1, 2])).unwrap_err();
        assert_eq!(
            err.message(),
            "Failed to deserialize Integer: Size of data received by IntegerDeserializer is not 4"
        );
        let err = DoubleConverter::new().decode(Some(&[1])).unwrap_err();
        assert_eq!(
            err.message(),
            "Failed to deserialize Double: Size of data received by Deserializer is not 8"
        );
        let err = IntegerConverter::new().encode(&"x".into()).unwrap_err();
        assert_eq!(
            err.message(),
            "Failed to serialize to Integer (was class java.lang.String): "
        );
    }
}
