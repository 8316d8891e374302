//! `StringConverter`: writes any value's Java `toString()` in the configured charset and reads bytes back as an
//! optional STRING; the same for headers.

use connect_api::converter::{Converter, HeaderConverter};
use connect_api::data::{schemas, SchemaAndValue, SchemaRef, Value};
use connect_api::header::Headers;
use connect_api::{Config, ConnectResult};

use super::config::StringConverterConfig;
use super::java_text::to_java_string;
use crate::config::ConverterType;

/// Kafka's `org.apache.kafka.connect.storage.StringConverter`.
#[derive(Clone, Debug, Default)]
pub struct StringConverter {
    config: StringConverterConfig,
}

impl StringConverter {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with_config(config: StringConverterConfig) -> Self {
        StringConverter { config }
    }

    /// The bytes of the value's text; None for null. BYTES values are passed through unchanged.
    pub fn encode(&self, schema: Option<&SchemaRef>, value: &Value) -> Option<Vec<u8>> {
        match value {
            Value::Null => None,
            Value::Bytes(b) => Some(b.to_vec()),
            Value::String(s) => Some(self.config.encoding.encode(s)),
            other => Some(
                self.config
                    .encoding
                    .encode(&to_java_string(schema.map(|s| s.as_ref()), other)),
            ),
        }
    }

    /// An optional STRING schema with the decoded text, or null.
    pub fn decode(&self, bytes: Option<&[u8]>) -> SchemaAndValue {
        let value = match bytes {
            Some(b) => Value::String(self.config.encoding.decode(b)),
            None => Value::Null,
        };
        SchemaAndValue::new(Some(schemas::optional_string()), value)
    }

    fn configure_as(&mut self, config: &Config, role: ConverterType) -> ConnectResult<()> {
        self.config = StringConverterConfig::parse(config, role)?;
        Ok(())
    }
}

impl Converter for StringConverter {
    fn configure(&mut self, config: &Config, is_key: bool) -> ConnectResult<()> {
        self.configure_as(config, ConverterType::for_key(is_key))
    }

    fn from_connect_data(
        &mut self,
        _topic: &str,
        _headers: &mut Headers,
        schema: Option<&SchemaRef>,
        value: &Value,
    ) -> ConnectResult<Option<Vec<u8>>> {
        Ok(self.encode(schema, value))
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

impl HeaderConverter for StringConverter {
    fn configure(&mut self, config: &Config) -> ConnectResult<()> {
        self.configure_as(config, ConverterType::Header)
    }

    fn from_connect_header(
        &mut self,
        _topic: &str,
        _header_key: &str,
        schema: Option<&SchemaRef>,
        value: &Value,
    ) -> ConnectResult<Option<Vec<u8>>> {
        Ok(self.encode(schema, value))
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
    use crate::string::Charset;

    #[test]
    fn converts_strings_both_ways() {
        let mut c = StringConverter::new();
        let mut headers = Headers::new();
        let bytes = c
            .from_connect_data("t", &mut headers, None, &"héllo".into())
            .unwrap();
        assert_eq!(bytes.as_deref(), Some("héllo".as_bytes()));
        assert_eq!(
            c.from_connect_data("t", &mut headers, None, &Value::Int32(42))
                .unwrap()
                .as_deref(),
            Some(&b"42"[..])
        );
        assert_eq!(
            c.from_connect_data("t", &mut headers, None, &Value::Null)
                .unwrap(),
            None
        );
        let sv = c
            .to_connect_data("t", &headers, Some("héllo".as_bytes()))
            .unwrap();
        assert_eq!(sv.schema, Some(schemas::optional_string()));
        assert_eq!(sv.value, "héllo".into());
        let null = c.to_connect_data("t", &headers, None).unwrap();
        assert_eq!(
            null,
            SchemaAndValue::new(Some(schemas::optional_string()), Value::Null)
        );
    }

    #[test]
    fn honours_converter_encoding() {
        let mut c = StringConverter::new();
        let mut config = Config::new();
        config.insert("converter.encoding".into(), "ISO-8859-1".into());
        Converter::configure(&mut c, &config, false).unwrap();
        assert_eq!(c.config.encoding, Charset::Latin1);
        let mut headers = Headers::new();
        assert_eq!(
            c.from_connect_data("t", &mut headers, None, &"é".into())
                .unwrap(),
            Some(vec![0xe9])
        );
        assert_eq!(
            c.to_connect_data("t", &headers, Some(&[0xe9]))
                .unwrap()
                .value,
            "é".into()
        );
        config.insert("converter.encoding".into(), "KLINGON".into());
        let err = Converter::configure(&mut c, &config, false).unwrap_err();
        assert!(err.message().starts_with("Unsupported encoding KLINGON"));
    }
}
