//! `InsertHeader`: adds a header with a fixed value, parsed from `value.literal` with Kafka's `Values.parseString`.

use connect_api::config::{ConfigDef, ConfigType, Importance, Validator};
use connect_api::connector::Config;
use connect_api::data::values::parse_string;
use connect_api::data::SchemaAndValue;
use connect_api::transform::Transformation;
use connect_api::{ConnectRecord, ConnectResult};

use crate::util::config as cfg;

pub const HEADER_CONFIG: &str = "header";
pub const VALUE_LITERAL_CONFIG: &str = "value.literal";

pub fn config_def() -> ConfigDef {
    ConfigDef::new()
        .define(
            HEADER_CONFIG,
            ConfigType::String,
            Importance::High,
            "The name of the header.",
        )
        .validator(Validator::NonNull)
        .define(
            VALUE_LITERAL_CONFIG,
            ConfigType::String,
            Importance::High,
            "The literal value that is to be set as the header value on all records.",
        )
        .validator(Validator::NonNull)
        .add()
}

/// Adds one header with a literal value to every record.
#[derive(Debug, Default)]
pub struct InsertHeader {
    header: String,
    literal: SchemaAndValue,
}

impl InsertHeader {
    pub fn new() -> Self {
        Self::default()
    }
}

impl Transformation for InsertHeader {
    fn configure(&mut self, config: &Config) -> ConnectResult<()> {
        let parsed = cfg::parse(&config_def(), config)?;
        self.header = parsed.string(HEADER_CONFIG).unwrap_or_default().to_string();
        self.literal = parse_string(parsed.string(VALUE_LITERAL_CONFIG).unwrap_or_default());
        Ok(())
    }

    fn apply(&mut self, mut record: ConnectRecord) -> ConnectResult<Option<ConnectRecord>> {
        record.headers.add(
            self.header.clone(),
            self.literal.schema.clone(),
            self.literal.value.clone(),
        );
        Ok(Some(record))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::testing::*;
    use connect_api::data::{schemas, Value};

    fn xform(header: &str, literal: &str) -> InsertHeader {
        configured(
            InsertHeader::new(),
            &[(HEADER_CONFIG, header), (VALUE_LITERAL_CONFIG, literal)],
        )
    }

    #[test]
    fn inserts_parsed_literal_after_existing_headers() {
        let mut t = xform("inserted", "inserted-value");
        let mut r = record(None, Value::Null);
        r.headers
            .add("existing", Some(schemas::string()), s("existing-value"));
        let out = apply(&mut t, r);
        let all: Vec<_> = out
            .headers
            .iter()
            .map(|h| (h.key.as_str(), h.value.clone()))
            .collect();
        assert_eq!(
            all,
            vec![
                ("existing", s("existing-value")),
                ("inserted", s("inserted-value"))
            ]
        );
        assert_eq!(
            out.headers.last_with_name("inserted").unwrap().schema,
            Some(schemas::string())
        );
    }

    #[test]
    fn same_header_name_twice() {
        let mut t = xform("existing", "inserted-value");
        let mut r = record(None, Value::Null);
        r.headers
            .add("existing", Some(schemas::string()), s("existing-value"));
        let out = apply(&mut t, r);
        assert_eq!(out.headers.all_with_name("existing").count(), 2);
        assert_eq!(
            out.headers.last_with_name("existing").unwrap().value,
            s("inserted-value")
        );
    }

    #[test]
    fn literal_types_are_inferred() {
        let out = apply(&mut xform("h", "42"), record(None, Value::Null));
        let h = out.headers.last_with_name("h").unwrap();
        assert_eq!(h.value, Value::Int8(42));
        assert_eq!(h.schema, Some(schemas::int8()));
        let out = apply(&mut xform("h", "true"), record(None, Value::Null));
        assert_eq!(
            out.headers.last_with_name("h").unwrap().value,
            Value::Boolean(true)
        );
    }

    #[test]
    fn config_errors() {
        assert_eq!(
            config_error(InsertHeader::new(), &[(VALUE_LITERAL_CONFIG, "v")]).to_string(),
            "Missing required configuration \"header\" which has no default value."
        );
        assert_eq!(
            config_error(InsertHeader::new(), &[(HEADER_CONFIG, "h")]).to_string(),
            "Missing required configuration \"value.literal\" which has no default value."
        );
    }
}
