//! `JsonConverter`: the `{"schema","payload"}` envelope or plain JSON, the schema caches, and the Converter and
//! HeaderConverter entry points.

use connect_api::converter::{Converter, HeaderConverter};
use connect_api::data::{SchemaAndValue, SchemaRef, Value};
use connect_api::header::Headers;
use connect_api::{Config, ConnectError, ConnectResult};

use std::sync::Arc;

use super::cache::{LruCache, SchemaKey};
use super::config::JsonConverterConfig;
use super::decoder::Decoder;
use super::encoder::Encoder;
use super::reader::{JsonError, JsonResult, Reader};
use super::schema::{read_schema, write_schema};
use crate::config::ConverterType;

const ENVELOPE_ERROR: &str = "JsonConverter with schemas.enable requires \"schema\" and \"payload\" fields and may not contain additional fields. If you are trying to deserialize plain JSON data, set schemas.enable=false in your converter configuration.";
const READ_ERROR_PREFIX: &str =
    "Converting byte[] to Kafka Connect data failed due to serialization error: ";

/// The upper bound of the output buffer size remembered between records.
const MAX_SIZE_HINT: usize = 1 << 20;

fn read_error(e: JsonError) -> ConnectError {
    match e {
        JsonError::Syntax(m) => ConnectError::data(format!("{READ_ERROR_PREFIX}{m}")),
        JsonError::Data(m) => ConnectError::data(m),
    }
}

/// Kafka's `org.apache.kafka.connect.json.JsonConverter`, byte-compatible with it.
pub struct JsonConverter {
    config: JsonConverterConfig,
    encoder: Encoder,
    decoder: Decoder,
    /// Schema JSON by schema (equal schemas share an entry); the last one used is checked first by address.
    to_json_schemas: LruCache<SchemaKey, Arc<[u8]>>,
    last_to_json: Option<(SchemaRef, Arc<[u8]>)>,
    /// Schemas by the exact bytes of their JSON form.
    to_connect_schemas: LruCache<Box<[u8]>, SchemaRef>,
    /// The last schema read and its JSON text, matched by a plain comparison before anything else.
    last_to_connect: Option<(Arc<[u8]>, SchemaRef)>,
    size_hint: usize,
}

impl Default for JsonConverter {
    fn default() -> Self {
        Self::with_config(JsonConverterConfig::default())
    }
}

impl JsonConverter {
    /// A converter with Kafka's defaults (schemas enabled), ready to use without `configure`.
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with_config(config: JsonConverterConfig) -> Self {
        JsonConverter {
            encoder: Encoder {
                decimal_format: config.decimal_format,
                replace_null_with_default: config.replace_null_with_default,
            },
            decoder: Decoder {
                replace_null_with_default: config.replace_null_with_default,
            },
            to_json_schemas: LruCache::new(config.schemas_cache_size),
            last_to_json: None,
            to_connect_schemas: LruCache::new(config.schemas_cache_size),
            last_to_connect: None,
            size_hint: 128,
            config,
        }
    }

    pub fn config(&self) -> &JsonConverterConfig {
        &self.config
    }

    /// How many Connect schemas have their JSON form cached.
    pub fn to_json_schema_cache_len(&self) -> usize {
        self.to_json_schemas.len()
    }

    /// How many JSON schemas have their Connect form cached.
    pub fn to_connect_schema_cache_len(&self) -> usize {
        self.to_connect_schemas.len()
    }

    fn configure_as(&mut self, config: &Config, role: ConverterType) -> ConnectResult<()> {
        *self = Self::with_config(JsonConverterConfig::parse(config, role)?);
        Ok(())
    }

    /// Connect data to JSON bytes; None for a null value without a schema (a tombstone).
    pub fn encode(
        &mut self,
        schema: Option<&SchemaRef>,
        value: &Value,
    ) -> ConnectResult<Option<Vec<u8>>> {
        if schema.is_none() && value.is_null() {
            return Ok(None);
        }
        let mut out = Vec::with_capacity(self.size_hint);
        if self.config.schemas_enable {
            out.extend_from_slice(b"{\"schema\":");
            match schema {
                Some(s) => self.write_cached_schema(&mut out, s)?,
                None => out.extend_from_slice(b"null"),
            }
            out.extend_from_slice(b",\"payload\":");
            self.encoder
                .encode(&mut out, schema.map(|s| s.as_ref()), value)?;
            out.push(b'}');
        } else {
            self.encoder
                .encode(&mut out, schema.map(|s| s.as_ref()), value)?;
        }
        self.size_hint = (out.len() + out.len() / 8).clamp(64, MAX_SIZE_HINT);
        Ok(Some(out))
    }

    fn write_cached_schema(&mut self, out: &mut Vec<u8>, schema: &SchemaRef) -> ConnectResult<()> {
        if let Some((last, json)) = &self.last_to_json {
            if SchemaRef::ptr_eq(last, schema) {
                out.extend_from_slice(json);
                return Ok(());
            }
        }
        let key = SchemaKey(schema.clone());
        let json = match self.to_json_schemas.get(&key) {
            Some(json) => json.clone(),
            None => {
                let mut json = Vec::new();
                write_schema(&mut json, Some(schema), &self.encoder)?;
                let json: Arc<[u8]> = json.into();
                self.to_json_schemas.insert(key, json.clone());
                json
            }
        };
        out.extend_from_slice(&json);
        if self.config.schemas_cache_size > 0 {
            self.last_to_json = Some((schema.clone(), json));
        }
        Ok(())
    }

    /// JSON bytes to Connect data; None (a tombstone) gives a null schema and value.
    pub fn decode(&mut self, bytes: Option<&[u8]>) -> ConnectResult<SchemaAndValue> {
        let Some(bytes) = bytes else {
            return Ok(SchemaAndValue::null());
        };
        let mut reader = Reader::new(bytes);
        if self.config.schemas_enable {
            return self.decode_envelope(&mut reader);
        }
        if reader.at_end() {
            // Jackson reads empty input as a missing node, which converts to null.
            return Ok(SchemaAndValue::null());
        }
        let root_number = matches!(reader.peek(), Some(b'-' | b'0'..=b'9'));
        let value = self.decoder.decode(&mut reader, None).map_err(read_error)?;
        if root_number {
            reader.check_root_end().map_err(read_error)?;
        }
        Ok(SchemaAndValue::new(None, value))
    }

    fn decode_envelope(&mut self, r: &mut Reader<'_>) -> ConnectResult<SchemaAndValue> {
        if r.peek() != Some(b'{') {
            if !r.at_end() {
                let root_number = matches!(r.peek(), Some(b'-' | b'0'..=b'9'));
                r.skip_value().map_err(read_error)?;
                if root_number {
                    r.check_root_end().map_err(read_error)?;
                }
            }
            return Err(ConnectError::data(ENVELOPE_ERROR));
        }
        let source = r.bytes();
        let mut schema: Option<JsonResult<Option<SchemaRef>>> = None;
        let mut payload_span: Option<(usize, usize)> = None;
        let mut payload: Option<JsonResult<Value>> = None;
        let mut extra = false;
        r.begin_object().map_err(read_error)?;
        let mut first = true;
        while let Some(key) = r.next_key(first).map_err(read_error)? {
            first = false;
            r.skip_ws();
            let start = r.position();
            match key.as_ref() {
                "schema" => {
                    schema = Some(match &self.last_to_connect {
                        // An object's text cannot be a prefix of a different value: equal bytes, same schema.
                        Some((json, last)) if source[start..].starts_with(json) => {
                            r.set_position(start + json.len());
                            Ok(Some(last.clone()))
                        }
                        _ => {
                            r.skip_value().map_err(read_error)?;
                            self.resolve_schema(&source[start..r.position()])
                        }
                    });
                    payload = None;
                }
                "payload" => {
                    payload = match &schema {
                        // The schema came first (as Kafka writes it): decode in the same pass.
                        Some(Ok(s)) => match self.decoder.decode(r, s.as_ref()) {
                            Ok(v) => Some(Ok(v)),
                            Err(JsonError::Data(m)) => {
                                r.set_position(start);
                                r.skip_value().map_err(read_error)?;
                                Some(Err(JsonError::Data(m)))
                            }
                            Err(syntax) => return Err(read_error(syntax)),
                        },
                        _ => {
                            r.skip_value().map_err(read_error)?;
                            None
                        }
                    };
                    payload_span = Some((start, r.position()));
                }
                _ => {
                    r.skip_value().map_err(read_error)?;
                    extra = true;
                }
            }
        }
        let (Some(schema), Some(span), false) = (schema, payload_span, extra) else {
            return Err(ConnectError::data(ENVELOPE_ERROR));
        };
        let schema = schema.map_err(read_error)?;
        let value = match payload {
            Some(result) => result,
            None => {
                let mut payload_reader = Reader::new(&source[span.0..span.1]);
                self.decoder.decode(&mut payload_reader, schema.as_ref())
            }
        }
        .map_err(read_error)?;
        Ok(SchemaAndValue::new(schema, value))
    }

    fn resolve_schema(&mut self, json: &[u8]) -> JsonResult<Option<SchemaRef>> {
        if json == b"null" {
            return Ok(None);
        }
        if let Some(schema) = self.to_connect_schemas.get(json).cloned() {
            if json.first() == Some(&b'{') {
                self.last_to_connect = Some((json.into(), schema.clone()));
            }
            return Ok(Some(schema));
        }
        let schema = read_schema(json, &self.decoder)?;
        if let Some(s) = &schema {
            self.to_connect_schemas.insert(json.into(), s.clone());
            if self.config.schemas_cache_size > 0 && json.first() == Some(&b'{') {
                self.last_to_connect = Some((json.into(), s.clone()));
            }
        }
        Ok(schema)
    }
}

impl Converter for JsonConverter {
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

impl HeaderConverter for JsonConverter {
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
