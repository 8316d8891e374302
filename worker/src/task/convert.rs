//! The key, value and header converters of one task, chosen and configured as Kafka does: the connector's
//! converter settings when it names a converter, else the worker's.

use connect_api::config::with_prefix;
use connect_api::converter::{Converter, HeaderConverter};
use connect_api::header::Headers;
use connect_api::{Config, ConnectError, ConnectRecord, ConnectResult};

use crate::config::worker::WorkerConfig;
use crate::plugins::Plugins;
use crate::task::errors::Stage;

pub struct RecordConverters {
    key: Box<dyn Converter>,
    value: Box<dyn Converter>,
    header: Box<dyn HeaderConverter>,
    /// Class names of the key, value and header converters, for error context.
    classes: [String; 3],
}

/// The converter class and its settings for one role (`key.converter`, `value.converter`, `header.converter`).
fn choose(role: &str, worker: &WorkerConfig, connector: &Config) -> (String, Config) {
    match connector.get(role).filter(|c| !c.trim().is_empty()) {
        Some(class) => (
            class.trim().to_string(),
            with_prefix(connector, &format!("{role}.")),
        ),
        None => {
            let class = match role {
                "key.converter" => &worker.key_converter,
                "value.converter" => &worker.value_converter,
                _ => &worker.header_converter,
            };
            (class.clone(), worker.with_prefix(&format!("{role}.")))
        }
    }
}

fn unknown(class: &str) -> ConnectError {
    ConnectError::config(format!(
        "Failed to find any class that implements Converter and which name matches {class}"
    ))
}

impl RecordConverters {
    pub fn build(
        plugins: &Plugins,
        worker: &WorkerConfig,
        connector: &Config,
    ) -> ConnectResult<RecordConverters> {
        let make = |role: &str, is_key: bool| -> ConnectResult<(Box<dyn Converter>, String)> {
            let (class, settings) = choose(role, worker, connector);
            let mut c = plugins
                .new_converter(&class)
                .ok_or_else(|| unknown(&class))?;
            c.configure(&settings, is_key)?;
            Ok((c, class))
        };
        let (header_class, settings) = choose("header.converter", worker, connector);
        let mut header = plugins
            .new_header_converter(&header_class)
            .ok_or_else(|| unknown(&header_class))?;
        header.configure(&settings)?;
        let (key, key_class) = make("key.converter", true)?;
        let (value, value_class) = make("value.converter", false)?;
        let classes = [key_class, value_class, header_class];
        Ok(RecordConverters {
            key,
            value,
            header,
            classes,
        })
    }

    /// The converter class that runs in `stage` (empty for other stages).
    pub fn class_name(&self, stage: Stage) -> &str {
        match stage {
            Stage::KeyConverter => &self.classes[0],
            Stage::ValueConverter => &self.classes[1],
            Stage::HeaderConverter => &self.classes[2],
            _ => "",
        }
    }

    /// Connect record → Kafka key, value and headers. The error carries the failing stage.
    #[allow(clippy::type_complexity)]
    pub fn to_kafka(
        &mut self,
        record: &mut ConnectRecord,
    ) -> Result<
        (
            Option<Vec<u8>>,
            Option<Vec<u8>>,
            Vec<(String, Option<Vec<u8>>)>,
        ),
        (Stage, ConnectError),
    > {
        let topic = record.topic.as_str();
        let mut headers = std::mem::take(&mut record.headers);
        let key = self
            .key
            .from_connect_data(topic, &mut headers, record.key_schema.as_ref(), &record.key)
            .map_err(|e| (Stage::KeyConverter, e))?;
        let value = self
            .value
            .from_connect_data(
                topic,
                &mut headers,
                record.value_schema.as_ref(),
                &record.value,
            )
            .map_err(|e| (Stage::ValueConverter, e))?;
        let mut raw_headers = Vec::with_capacity(headers.len());
        for h in &headers {
            let bytes = self
                .header
                .from_connect_header(topic, &h.key, h.schema.as_ref(), &h.value)
                .map_err(|e| (Stage::HeaderConverter, e))?;
            raw_headers.push((h.key.clone(), bytes));
        }
        record.headers = headers;
        Ok((key, value, raw_headers))
    }

    /// Kafka key, value and headers → the Connect parts of a record (schemas, values, headers).
    pub fn to_connect(
        &mut self,
        topic: &str,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        raw_headers: &[(&str, Option<&[u8]>)],
        record: &mut ConnectRecord,
    ) -> Result<(), (Stage, ConnectError)> {
        let mut headers = Headers::new();
        for (name, bytes) in raw_headers {
            let sv = self
                .header
                .to_connect_header(topic, name, *bytes)
                .map_err(|e| (Stage::HeaderConverter, e))?;
            headers.add(*name, sv.schema, sv.value);
        }
        let k = self
            .key
            .to_connect_data(topic, &headers, key)
            .map_err(|e| (Stage::KeyConverter, e))?;
        let v = self
            .value
            .to_connect_data(topic, &headers, value)
            .map_err(|e| (Stage::ValueConverter, e))?;
        record.key_schema = k.schema;
        record.key = k.value;
        record.value_schema = v.schema;
        record.value = v.value;
        record.headers = headers;
        Ok(())
    }
}
