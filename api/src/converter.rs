//! Converters between Connect data and the bytes stored in Kafka (Kafka's `Converter` and `HeaderConverter`).

use crate::connector::Config;
use crate::data::{SchemaAndValue, SchemaRef, Value};
use crate::error::ConnectResult;
use crate::header::Headers;

/// Converts record keys or values. One instance per task and per key/value role.
// The method names are Kafka's (`fromConnectData`/`toConnectData`), kept for recognisability.
#[allow(clippy::wrong_self_convention)]
pub trait Converter: Send {
    /// `config` holds the converter's own keys (the `key.converter.`/`value.converter.` prefix removed).
    fn configure(&mut self, config: &Config, is_key: bool) -> ConnectResult<()>;
    /// Connect data to bytes; `None` means a null Kafka key/value (a tombstone).
    fn from_connect_data(
        &mut self,
        topic: &str,
        headers: &mut Headers,
        schema: Option<&SchemaRef>,
        value: &Value,
    ) -> ConnectResult<Option<Vec<u8>>>;
    /// Bytes (or a null key/value) to Connect data.
    fn to_connect_data(
        &mut self,
        topic: &str,
        headers: &Headers,
        bytes: Option<&[u8]>,
    ) -> ConnectResult<SchemaAndValue>;
}

/// Converts header values.
#[allow(clippy::wrong_self_convention)]
pub trait HeaderConverter: Send {
    fn configure(&mut self, config: &Config) -> ConnectResult<()>;
    fn from_connect_header(
        &mut self,
        topic: &str,
        header_key: &str,
        schema: Option<&SchemaRef>,
        value: &Value,
    ) -> ConnectResult<Option<Vec<u8>>>;
    fn to_connect_header(
        &mut self,
        topic: &str,
        header_key: &str,
        bytes: Option<&[u8]>,
    ) -> ConnectResult<SchemaAndValue>;
}
