//! `AvroConverter`: the Converter entry points, the Confluent wire format (magic byte 0, 4-byte big-endian schema
//! id, Avro binary), schema registration or lookup per subject, and the caches that keep the registry off the hot
//! path (schema → id, id → writer schema, the last schema used).

use std::collections::HashMap;
use std::sync::Arc;

use connect_api::converter::Converter;
use connect_api::data::{SchemaAndValue, SchemaRef, Value};
use connect_api::header::Headers;
use connect_api::{Config, ConnectError, ConnectResult};
use serde_json::Value as Json;

use super::config::AvroConverterConfig;
use super::decoder::{decode, Reader};
use super::encoder::encode;
use super::from_connect::avro_schema_json;
use super::registry_client::{RegistryClient, RegistryError};
use super::schema::{same_layout, AvroSchema};
use super::schemaless::{
    decode_schemaless, encode_schemaless, ANYTHING_FULL_NAME, ANYTHING_SCHEMA,
};
use super::to_connect::to_connect_schema;
use super::{CONNECT_VERSION_PROP, MAGIC_BYTE};
use crate::config::ConverterType;
use crate::json::cache::{LruCache, SchemaKey};

/// The Avro form of one Connect schema: the registered text and the name subject strategies use.
struct WriteSchema {
    text: Arc<str>,
    record_name: String,
}

/// A writer schema fetched by id, with the Connect schema it reads into (None: schemaless `Anything` data).
struct ReadSchema {
    avro: Arc<AvroSchema>,
    connect: Option<SchemaRef>,
}

/// Confluent's `io.confluent.connect.avro.AvroConverter`.
pub struct AvroConverter {
    config: AvroConverterConfig,
    client: Option<RegistryClient>,
    write_schemas: LruCache<SchemaKey, Arc<WriteSchema>>,
    /// Schema id by (subject, schema text).
    ids: HashMap<(String, Arc<str>), i32>,
    /// The last (schema, topic) written and its id, matched by pointer first.
    last_write: Option<(SchemaRef, String, i32)>,
    /// The last topic schemaless data was written to and the id of the Anything schema there.
    last_schemaless: Option<(String, i32)>,
    /// Writer schemas by id: the parsed schema and its text.
    writer_schemas: HashMap<i32, (Arc<AvroSchema>, Arc<str>)>,
    /// Connect schemas by (topic, id) (the registry version may depend on the subject).
    read_schemas: HashMap<(String, i32), Arc<ReadSchema>>,
    last_read: Option<(String, i32, Arc<ReadSchema>)>,
    size_hint: usize,
}

impl Default for AvroConverter {
    fn default() -> Self {
        Self::new()
    }
}

fn registry_error(context: String, e: RegistryError) -> ConnectError {
    ConnectError::data(format!("{context}: {e}"))
}

impl AvroConverter {
    /// An unconfigured converter; `configure` must be called before use (it needs `schema.registry.url`).
    pub fn new() -> Self {
        AvroConverter {
            config: AvroConverterConfig::default(),
            client: None,
            write_schemas: LruCache::new(1000),
            ids: HashMap::new(),
            last_write: None,
            last_schemaless: None,
            writer_schemas: HashMap::new(),
            read_schemas: HashMap::new(),
            last_read: None,
            size_hint: 64,
        }
    }

    pub fn with_config(config: AvroConverterConfig) -> Self {
        let mut c = Self::new();
        c.write_schemas = LruCache::new(config.schemas_cache_size.max(1));
        c.client = Some(RegistryClient::new(&config));
        c.config = config;
        c
    }

    pub fn config(&self) -> &AvroConverterConfig {
        &self.config
    }

    fn is_key(&self) -> bool {
        self.config.converter_type == ConverterType::Key
    }

    fn client(&mut self) -> ConnectResult<&mut RegistryClient> {
        self.client
            .as_mut()
            .ok_or_else(|| ConnectError::connect("AvroConverter used before configure()"))
    }

    /// Connect data to Confluent wire-format bytes; None for a null value (a tombstone).
    pub fn encode(
        &mut self,
        topic: &str,
        schema: Option<&SchemaRef>,
        value: &Value,
    ) -> ConnectResult<Option<Vec<u8>>> {
        let Some(schema) = schema else {
            if value.is_null() {
                return Ok(None);
            }
            return self.encode_schemaless(topic, value).map(Some);
        };
        if value.is_null() {
            if schema.optional || schema.default_value.is_some() {
                return Ok(None);
            }
            return Err(ConnectError::data(format!(
                "Failed to serialize Avro data from topic {topic}: Found null value for non-optional schema"
            )));
        }
        let id = match &self.last_write {
            Some((s, t, id)) if SchemaRef::ptr_eq(s, schema) && t == topic => *id,
            _ => {
                let id = self.schema_id(topic, schema)?;
                self.last_write = Some((schema.clone(), topic.to_string(), id));
                id
            }
        };
        let mut out = Vec::with_capacity(self.size_hint);
        out.push(MAGIC_BYTE);
        out.extend_from_slice(&id.to_be_bytes());
        encode(&mut out, schema, value).map_err(|e| {
            ConnectError::data(format!(
                "Failed to serialize Avro data from topic {topic}: {}",
                e.message()
            ))
        })?;
        self.size_hint = (out.len() + out.len() / 8).clamp(64, 1 << 20);
        Ok(Some(out))
    }

    /// A value without a schema, as AvroData's `Anything` record.
    fn encode_schemaless(&mut self, topic: &str, value: &Value) -> ConnectResult<Vec<u8>> {
        let id = match &self.last_schemaless {
            Some((t, id)) if t == topic => *id,
            _ => {
                let w = WriteSchema {
                    text: ANYTHING_SCHEMA.into(),
                    record_name: ANYTHING_FULL_NAME.to_string(),
                };
                let id = self.id_for(topic, &w)?;
                self.last_schemaless = Some((topic.to_string(), id));
                id
            }
        };
        let mut out = Vec::with_capacity(self.size_hint);
        out.push(MAGIC_BYTE);
        out.extend_from_slice(&id.to_be_bytes());
        encode_schemaless(&mut out, value).map_err(|e| {
            ConnectError::data(format!(
                "Failed to serialize Avro data from topic {topic}: {}",
                e.message()
            ))
        })?;
        Ok(out)
    }

    fn write_schema(&mut self, schema: &SchemaRef) -> ConnectResult<Arc<WriteSchema>> {
        let key = SchemaKey(schema.clone());
        if let Some(w) = self.write_schemas.get(&key) {
            return Ok(w.clone());
        }
        let json = avro_schema_json(schema, self.config.connect_meta_data)?;
        let record_name = match &json {
            Json::Object(o) if o.get("type").and_then(Json::as_str) == Some("record") => {
                let name = o.get("name").and_then(Json::as_str).unwrap_or_default();
                match o.get("namespace").and_then(Json::as_str) {
                    Some(ns) if !ns.is_empty() => format!("{ns}.{name}"),
                    _ => name.to_string(),
                }
            }
            Json::Object(o) => o
                .get("type")
                .and_then(Json::as_str)
                .unwrap_or("record")
                .to_string(),
            Json::String(t) => t.clone(),
            _ => "union".to_string(),
        };
        let w = Arc::new(WriteSchema {
            text: json.to_string().into(),
            record_name,
        });
        self.write_schemas.insert(key, w.clone());
        Ok(w)
    }

    /// The registry id for `schema` on `topic`: registered (`auto.register.schemas`), the subject's latest
    /// (`use.latest.version`) or looked up, then cached.
    fn schema_id(&mut self, topic: &str, schema: &SchemaRef) -> ConnectResult<i32> {
        let w = self.write_schema(schema)?;
        self.id_for(topic, &w)
    }

    fn id_for(&mut self, topic: &str, w: &WriteSchema) -> ConnectResult<i32> {
        let subject =
            self.config
                .subject_name_strategy()
                .subject(topic, self.is_key(), &w.record_name);
        let cache_key = (subject, w.text.clone());
        if let Some(id) = self.ids.get(&cache_key) {
            return Ok(*id);
        }
        let subject = cache_key.0.clone();
        let fail = |what: &str, e: RegistryError| {
            registry_error(
                format!(
                    "Failed to serialize Avro data from topic {topic}: {what} (subject {subject})"
                ),
                e,
            )
        };
        let id = if self.config.auto_register_schemas {
            let text = w.text.clone();
            self.client()?
                .register(&subject, &text)
                .map_err(|e| fail("Error registering Avro schema", e))?
        } else if self.config.use_latest_version {
            let (id, version, latest) = self
                .client()?
                .latest(&subject)
                .map_err(|e| fail("Error retrieving latest version of Avro schema", e))?;
            // The record is written by its own schema; the latest one must read the same bytes the same way.
            let same = match (AvroSchema::parse(&latest), AvroSchema::parse(&w.text)) {
                (Ok(latest), Ok(own)) => same_layout(&own, &latest),
                _ => false,
            };
            if !same {
                return Err(ConnectError::data(format!(
                    "Failed to serialize Avro data from topic {topic}: use.latest.version: the latest schema of subject {subject} (version {version}, id {id}) does not have the layout of the record's schema {} (same types, field names and order, union branches); this converter writes records with their own schema's layout",
                    w.text
                )));
            }
            id
        } else {
            let text = w.text.clone();
            self.client()?
                .lookup(&subject, &text)
                .map_err(|e| fail("Error retrieving Avro schema", e))?
                .0
        };
        if self.ids.len() >= self.config.schemas_cache_size.max(1) {
            self.ids.clear();
        }
        self.ids.insert(cache_key, id);
        Ok(id)
    }

    /// Confluent wire-format bytes to Connect data, read with the writer's schema; None gives a null.
    pub fn decode(&mut self, topic: &str, bytes: Option<&[u8]>) -> ConnectResult<SchemaAndValue> {
        let Some(bytes) = bytes else {
            return Ok(SchemaAndValue::null());
        };
        let fail = |m: String| {
            ConnectError::data(format!(
                "Failed to deserialize data for topic {topic} to Avro: {m}"
            ))
        };
        if bytes.len() < 5 || bytes[0] != MAGIC_BYTE {
            return Err(fail("Unknown magic byte!".to_string()));
        }
        let id = i32::from_be_bytes([bytes[1], bytes[2], bytes[3], bytes[4]]);
        let read = match &self.last_read {
            Some((t, last_id, r)) if *last_id == id && t == topic => r.clone(),
            _ => {
                let r = self
                    .read_schema(topic, id)
                    .map_err(|e| fail(e.message().to_string()))?;
                self.last_read = Some((topic.to_string(), id, r.clone()));
                r
            }
        };
        let mut reader = Reader::new(&bytes[5..]);
        let value = match &read.connect {
            Some(connect) => decode(&mut reader, &read.avro, read.avro.root, connect),
            None => decode_schemaless(&mut reader, 0),
        }
        .map_err(|e| {
            fail(format!(
                "Error deserializing Avro message for id {id}: {}",
                e.message()
            ))
        })?;
        Ok(SchemaAndValue::new(read.connect.clone(), value))
    }

    fn read_schema(&mut self, topic: &str, id: i32) -> ConnectResult<Arc<ReadSchema>> {
        let key = (topic.to_string(), id);
        if let Some(r) = self.read_schemas.get(&key) {
            return Ok(r.clone());
        }
        let what = if self.is_key() { "key" } else { "value" };
        let (avro, text) = match self.writer_schemas.get(&id) {
            Some(found) => found.clone(),
            None => {
                let text: Arc<str> = self
                    .client()?
                    .schema_by_id(id)
                    .map_err(|e| {
                        registry_error(
                            format!("Error retrieving Avro {what} schema for id {id}"),
                            e,
                        )
                    })?
                    .into();
                let avro = Arc::new(AvroSchema::parse(&text).map_err(|e| {
                    ConnectError::data(format!(
                        "Error retrieving Avro {what} schema for id {id}: {}",
                        e.message()
                    ))
                })?);
                self.writer_schemas.insert(id, (avro.clone(), text.clone()));
                (avro, text)
            }
        };
        // Like Confluent's converter, a schema without connect.version takes its registry version in the subject
        // (looked up once per topic and id; a failed lookup leaves the version unset).
        let schemaless = avro.record_name() == ANYTHING_FULL_NAME;
        let version = if schemaless
            || avro
                .node(avro.root)
                .props
                .contains_key(CONNECT_VERSION_PROP)
        {
            None
        } else {
            let subject = self.config.subject_name_strategy().subject(
                topic,
                self.is_key(),
                &avro.record_name(),
            );
            self.client
                .as_mut()
                .and_then(|c| c.lookup(&subject, &text).ok())
                .map(|(_, v)| v)
                .filter(|v| *v > 0)
        };
        let connect = if schemaless {
            None
        } else {
            Some(to_connect_schema(
                &avro,
                version,
                self.config.connect_meta_data,
            )?)
        };
        let r = Arc::new(ReadSchema { avro, connect });
        if self.read_schemas.len() >= self.config.schemas_cache_size.max(1) {
            self.read_schemas.clear();
        }
        self.read_schemas.insert(key, r.clone());
        Ok(r)
    }
}

impl Converter for AvroConverter {
    fn configure(&mut self, config: &Config, is_key: bool) -> ConnectResult<()> {
        *self = Self::with_config(AvroConverterConfig::parse(
            config,
            ConverterType::for_key(is_key),
        )?);
        Ok(())
    }

    fn from_connect_data(
        &mut self,
        topic: &str,
        _headers: &mut Headers,
        schema: Option<&SchemaRef>,
        value: &Value,
    ) -> ConnectResult<Option<Vec<u8>>> {
        self.encode(topic, schema, value)
    }

    fn to_connect_data(
        &mut self,
        topic: &str,
        _headers: &Headers,
        bytes: Option<&[u8]>,
    ) -> ConnectResult<SchemaAndValue> {
        self.decode(topic, bytes)
    }
}
