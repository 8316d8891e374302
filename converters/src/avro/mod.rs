//! Confluent's `AvroConverter` (`io.confluent.connect.avro.AvroConverter`): Avro binary in the Schema Registry wire
//! format, with the Connect ⇄ Avro schema mapping of Confluent's `AvroData`.

mod config;
mod converter;
mod decoder;
mod encoder;
mod from_connect;
mod registry_client;
mod schema;
mod schemaless;
mod subject;
mod to_connect;

#[cfg(test)]
mod tests;

pub use config::{AvroConverterConfig, CredentialsSource};
pub use converter::AvroConverter;
/// Connect value → Avro binary (no wire-format header), for writers of Avro data files.
pub use encoder::{encode as encode_binary, write_long};
pub use from_connect::avro_schema_json;
pub use registry_client::{RegistryClient, RegistryError};
pub use subject::SubjectNameStrategy;

/// Confluent's class name for this converter.
pub const CLASS_NAME: &str = "io.confluent.connect.avro.AvroConverter";

/// The first byte of every record in the Confluent wire format.
pub const MAGIC_BYTE: u8 = 0;

/// The namespace Confluent's `AvroData` gives to the records it names itself.
pub(crate) const NAMESPACE: &str = "io.confluent.connect.avro";
/// The record name of a Connect struct that has no name.
pub(crate) const DEFAULT_SCHEMA_NAME: &str = "ConnectDefault";
/// The record name of one entry of a map whose keys are not plain strings.
pub(crate) const MAP_ENTRY_TYPE_NAME: &str = "MapEntry";
/// The Connect struct name standing for a general Avro union.
pub(crate) const AVRO_TYPE_UNION: &str = "io.confluent.connect.avro.Union";
/// The Connect parameter naming the Avro enum a string came from.
pub(crate) const AVRO_TYPE_ENUM: &str = "io.confluent.connect.avro.Enum";
pub(crate) const AVRO_RECORD_DOC_PROP: &str = "io.confluent.connect.avro.record.doc";
pub(crate) const AVRO_FIELD_DOC_PREFIX_PROP: &str = "io.confluent.connect.avro.field.doc.";
pub(crate) const AVRO_FIELD_DEFAULT_FLAG_PROP: &str = "io.confluent.connect.avro.field.default";
pub(crate) const AVRO_ENUM_DOC_PREFIX_PROP: &str = "io.confluent.connect.avro.enum.doc.";
pub(crate) const AVRO_ENUM_DEFAULT_PREFIX_PROP: &str = "io.confluent.connect.avro.enum.default.";
pub(crate) const CONNECT_NAME_PROP: &str = "connect.name";
pub(crate) const CONNECT_DOC_PROP: &str = "connect.doc";
pub(crate) const CONNECT_VERSION_PROP: &str = "connect.version";
pub(crate) const CONNECT_DEFAULT_VALUE_PROP: &str = "connect.default";
pub(crate) const CONNECT_PARAMETERS_PROP: &str = "connect.parameters";
pub(crate) const CONNECT_INTERNAL_TYPE_NAME: &str = "connect.internal.type";
pub(crate) const CONNECT_TYPE_PROP: &str = "connect.type";
pub(crate) const CONNECT_AVRO_DECIMAL_PRECISION_PROP: &str = "connect.decimal.precision";
pub(crate) const CONNECT_AVRO_FIXED_SIZE_PROP: &str = "connect.fixed.size";
pub(crate) const CONNECT_AVRO_DECIMAL_PRECISION_DEFAULT: i64 = 64;
