//! `SimpleHeaderConverter`: header values written as UTF-8 text (`Values.convertToString`) and read back with their
//! type inferred (`Values.parseString`).

use connect_api::converter::HeaderConverter;
use connect_api::data::values::{convert_to_string, parse_string};
use connect_api::data::{SchemaAndValue, SchemaRef, Value};
use connect_api::{Config, ConnectResult};

/// Kafka's `org.apache.kafka.connect.storage.SimpleHeaderConverter`; it has no configuration.
#[derive(Clone, Copy, Debug, Default)]
pub struct SimpleHeaderConverter;

impl SimpleHeaderConverter {
    pub fn new() -> Self {
        SimpleHeaderConverter
    }
}

impl HeaderConverter for SimpleHeaderConverter {
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
        Ok(convert_to_string(schema.map(|s| s.as_ref()), value).map(String::into_bytes))
    }

    fn to_connect_header(
        &mut self,
        _topic: &str,
        _header_key: &str,
        bytes: Option<&[u8]>,
    ) -> ConnectResult<SchemaAndValue> {
        Ok(match bytes {
            None => SchemaAndValue::null(),
            // Java decodes with replacement characters, so parsing always has text to work on.
            Some(b) => parse_string(&String::from_utf8_lossy(b)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use connect_api::data::{logical, schemas, SchemaBuilder};

    fn round_trip(schema: Option<SchemaRef>, value: Value) -> (Vec<u8>, SchemaAndValue) {
        let mut c = SimpleHeaderConverter::new();
        let bytes = c
            .from_connect_header("t", "h", schema.as_ref(), &value)
            .unwrap()
            .unwrap();
        let back = c.to_connect_header("t", "h", Some(&bytes)).unwrap();
        (bytes, back)
    }

    #[test]
    fn writes_text_and_infers_types_back() {
        let (bytes, back) = round_trip(Some(schemas::int32()), Value::Int32(42));
        assert_eq!(bytes, b"42");
        assert_eq!(
            back,
            SchemaAndValue::new(Some(schemas::int8()), Value::Int8(42))
        );

        let (bytes, back) = round_trip(Some(schemas::string()), "hello".into());
        assert_eq!(bytes, b"hello");
        assert_eq!(back.value, "hello".into());

        let ts = logical::timestamp_builder().build();
        let (bytes, back) = round_trip(Some(ts.clone()), Value::Int64(1_566_570_894_346));
        assert_eq!(bytes, b"2019-08-23T14:34:54.346Z");
        assert_eq!(
            back,
            SchemaAndValue::new(Some(ts), Value::Int64(1_566_570_894_346))
        );

        let list = SchemaBuilder::array(schemas::int32()).build();
        let (bytes, back) = round_trip(
            Some(list),
            Value::Array(vec![Value::Int32(1), Value::Int32(2)]),
        );
        assert_eq!(bytes, b"[1,2]");
        assert_eq!(
            back.value,
            Value::Array(vec![Value::Int8(1), Value::Int8(2)])
        );
    }

    #[test]
    fn nulls_stay_null() {
        let mut c = SimpleHeaderConverter::new();
        assert_eq!(
            c.from_connect_header("t", "h", None, &Value::Null).unwrap(),
            None
        );
        assert_eq!(
            c.to_connect_header("t", "h", None).unwrap(),
            SchemaAndValue::null()
        );
    }
}
