//! KIP-875 connector offsets for both herders: a source connector's offsets in the offset store, a sink
//! connector's committed consumer group offsets, in Kafka's `ConnectorOffsets` shape and with its messages.

use std::sync::Arc;

use connect_api::config::split_list;
use connect_api::plugin::PluginKind;
use connect_api::{Config, OffsetMap};
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use tracing::warn;

use super::runtime::WorkerRuntime;
use super::{HerderError, HerderResult};
use crate::config::connector::{TOPICS, TOPICS_REGEX};
use crate::kafka;
use crate::kafka::group_offsets::{self, Subscription, TopicPartitionOffsets};
use crate::storage::OffsetStore;

/// Keys of a sink connector's partitions and offsets (Kafka's `SinkUtils`).
const KAFKA_TOPIC: &str = "kafka_topic";
const KAFKA_PARTITION: &str = "kafka_partition";
const KAFKA_OFFSET: &str = "kafka_offset";

/// One partition's offset (`null` offset in an alter request: reset that partition).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConnectorOffset {
    #[serde(default)]
    pub partition: Option<OffsetMap>,
    #[serde(default)]
    pub offset: Option<OffsetMap>,
}

/// `{"offsets":[{"partition":{...},"offset":{...}}]}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConnectorOffsets {
    pub offsets: Vec<ConnectorOffset>,
}

/// 400 unless the connector is STOPPED with no tasks (`stopped`).
pub fn require_stopped(name: &str, stopped: bool) -> HerderResult<()> {
    if stopped {
        return Ok(());
    }
    Err(HerderError::BadRequest(format!(
        "Connectors must be in the STOPPED state before their offsets can be modified. This can be done for the specified connector by issuing a 'PUT' request to the '/connectors/{name}/stop' endpoint"
    )))
}

/// Kafka's success message. Our connectors have no `alterOffsets` hook, so like a Java connector that does not
/// override it, the framework cannot know whether the connector also keeps offsets elsewhere.
fn success(reset: bool) -> String {
    let kind = if reset { "reset" } else { "altered" };
    format!(
        "The Connect framework-managed offsets for this connector have been {kind} successfully. However, if this connector manages offsets externally, they will need to be manually {kind} in the system that the connector uses."
    )
}

/// The sink's consumer settings (its group) and the topics it consumes.
fn sink_client(
    rt: &WorkerRuntime,
    name: &str,
    config: &Config,
) -> (rdkafka::ClientConfig, Vec<String>, Option<String>) {
    let resolved = rt.providers.resolve_all(config);
    let client = kafka::consumer_config(
        &rt.worker,
        &resolved,
        name,
        &format!("connector-worker-offsets-{name}"),
    );
    let topics = resolved
        .get(TOPICS)
        .map(|t| split_list(t))
        .unwrap_or_default();
    let regex = resolved
        .get(TOPICS_REGEX)
        .map(|r| r.trim().to_string())
        .filter(|r| !r.is_empty());
    (client, topics, regex)
}

/// The connector's current offsets.
pub fn read(
    rt: &WorkerRuntime,
    name: &str,
    config: &Config,
    kind: PluginKind,
) -> HerderResult<ConnectorOffsets> {
    let offsets = if kind == PluginKind::Sink {
        let (client, topics, regex) = sink_client(rt, name, config);
        let subscription = Subscription {
            topics: &topics,
            regex: regex.as_deref(),
        };
        group_offsets::committed(&client, &subscription)
            .map_err(|e| {
                warn!("Failed to retrieve consumer group offsets for sink connector {name}: {e}");
                HerderError::Internal(format!(
                    "Failed to retrieve consumer group offsets for sink connector {name}"
                ))
            })?
            .into_iter()
            .filter_map(|((topic, partition), offset)| {
                Some(ConnectorOffset {
                    partition: Some(sink_partition(&topic, partition)),
                    offset: Some(sink_offset(offset?)),
                })
            })
            .collect()
    } else {
        source_store(rt, name, config)?
            .connector_offsets(name)
            .into_iter()
            .map(|(partition, offset)| ConnectorOffset {
                partition: Some(partition),
                offset: Some(offset),
            })
            .collect()
    };
    Ok(ConnectorOffsets { offsets })
}

/// Alters (`Some`) or resets (`None`) the offsets of a connector whose tasks are stopped; returns Kafka's message.
pub fn modify(
    rt: &WorkerRuntime,
    name: &str,
    config: &Config,
    kind: PluginKind,
    offsets: Option<Vec<ConnectorOffset>>,
) -> HerderResult<String> {
    let reset = offsets.is_none();
    if kind == PluginKind::Sink {
        let (client, topics, regex) = sink_client(rt, name, config);
        let subscription = Subscription {
            topics: &topics,
            regex: regex.as_deref(),
        };
        let (result, failure) = match offsets {
            None => (
                group_offsets::delete_group(&client),
                format!("Failed to reset consumer group offsets for sink connector {name}"),
            ),
            Some(offsets) => (
                group_offsets::alter(&client, &subscription, &parse_sink_offsets(offsets)?),
                format!("Failed to alter consumer group offsets for connector {name}"),
            ),
        };
        result.map_err(|e| {
            warn!("{failure}: {e}");
            HerderError::Internal(failure)
        })?;
    } else {
        let store = source_store(rt, name, config)?;
        let writes = match offsets {
            None => store
                .connector_offsets(name)
                .into_iter()
                .map(|(partition, _)| (partition, None))
                .collect(),
            Some(offsets) => parse_source_offsets(offsets)?,
        };
        if !writes.is_empty() {
            store.set(name, writes).map_err(|e| {
                HerderError::Internal(format!(
                    "Failed to modify offsets for source connector {name}: {e}"
                ))
            })?;
        }
    }
    Ok(success(reset))
}

/// The offset store of source connector `name` (its own topic, if it has one).
fn source_store(
    rt: &WorkerRuntime,
    name: &str,
    config: &Config,
) -> HerderResult<Arc<dyn OffsetStore>> {
    rt.offset_store(config).map_err(|e| {
        HerderError::Internal(format!(
            "Failed to open the offsets topic of source connector {name}: {e}"
        ))
    })
}

fn sink_partition(topic: &str, partition: i32) -> OffsetMap {
    let mut map = OffsetMap::new();
    map.insert(KAFKA_TOPIC.into(), Json::from(topic));
    map.insert(KAFKA_PARTITION.into(), Json::from(partition));
    map
}

fn sink_offset(offset: i64) -> OffsetMap {
    let mut map = OffsetMap::new();
    map.insert(KAFKA_OFFSET.into(), Json::from(offset));
    map
}

/// A JSON scalar as Java's `String.valueOf` prints it (both `10` and `"10"` are accepted as numbers).
fn as_text(value: &Json) -> String {
    match value {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Kafka's `SinkUtils.parseSinkConnectorOffsets`, with its 400 messages.
fn parse_sink_offsets(offsets: Vec<ConnectorOffset>) -> HerderResult<TopicPartitionOffsets> {
    let bad = |m: String| HerderError::BadRequest(m);
    let mut parsed = TopicPartitionOffsets::new();
    for ConnectorOffset { partition, offset } in offsets {
        let partition = partition.ok_or_else(|| {
            bad("The partition for a sink connector offset cannot be null or missing".into())
        })?;
        let (Some(topic), Some(number)) =
            (partition.get(KAFKA_TOPIC), partition.get(KAFKA_PARTITION))
        else {
            return Err(bad(format!(
                "The partition for a sink connector offset must contain the keys '{KAFKA_TOPIC}' and '{KAFKA_PARTITION}'"
            )));
        };
        if topic.is_null() {
            return Err(bad(
                "Kafka topic names must be valid strings and may not be null".into(),
            ));
        }
        if number.is_null() {
            return Err(bad(
                "Kafka partitions must be valid numbers and may not be null".into(),
            ));
        }
        let number: i32 = as_text(number).parse().map_err(|_| {
            bad(format!(
                "Failed to parse the following Kafka partition value in the provided offsets: '{}'. Partition values for sink connectors need to be integers.",
                as_text(number)
            ))
        })?;
        let offset = match offset {
            None => None,
            Some(offset) => {
                let value = offset.get(KAFKA_OFFSET).ok_or_else(|| {
                    bad(format!(
                        "The offset for a sink connector should either be null or contain the key '{KAFKA_OFFSET}'"
                    ))
                })?;
                Some(as_text(value).parse::<i64>().map_err(|_| {
                    bad(format!(
                        "Failed to parse the following Kafka offset value in the provided offsets: '{}'. Offset values for sink connectors need to be integers.",
                        as_text(value)
                    ))
                })?)
            }
        };
        parsed.insert((as_text(topic), number), offset);
    }
    Ok(parsed)
}

/// Source offsets as the offset store takes them; maps may hold only primitive values (Kafka's
/// `OffsetUtils.validateFormat`, a DataException and so a 500 there).
fn parse_source_offsets(
    offsets: Vec<ConnectorOffset>,
) -> HerderResult<Vec<(OffsetMap, Option<OffsetMap>)>> {
    let check = |map: &OffsetMap| {
        for (key, value) in map {
            let kind = match value {
                Json::Array(_) => "ARRAY",
                Json::Object(_) => "MAP",
                _ => continue,
            };
            return Err(HerderError::Internal(format!(
                "Offsets may only contain primitive types as values, but field {key} contains {kind}"
            )));
        }
        Ok(())
    };
    offsets
        .into_iter()
        .map(|ConnectorOffset { partition, offset }| {
            let partition = partition.ok_or_else(|| {
                HerderError::BadRequest("Source partitions may not be null".into())
            })?;
            check(&partition)?;
            if let Some(offset) = &offset {
                check(offset)?;
            }
            Ok((partition, offset))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn entry(value: Json) -> ConnectorOffset {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn sink_offsets_parse_like_kafka() {
        let parsed = parse_sink_offsets(vec![
            entry(json!({"partition": {"kafka_topic": "t", "kafka_partition": 1}, "offset": {"kafka_offset": 5}})),
            entry(json!({"partition": {"kafka_topic": "t", "kafka_partition": "2"}, "offset": {"kafka_offset": "7"}})),
            entry(json!({"partition": {"kafka_topic": "t", "kafka_partition": 3}, "offset": null})),
        ])
        .unwrap();
        assert_eq!(parsed.get(&("t".to_string(), 1)), Some(&Some(5)));
        assert_eq!(parsed.get(&("t".to_string(), 2)), Some(&Some(7)));
        assert_eq!(parsed.get(&("t".to_string(), 3)), Some(&None));

        let error = |value: Json| match parse_sink_offsets(vec![entry(value)]) {
            Err(HerderError::BadRequest(m)) => m,
            other => panic!("expected a 400, got {other:?}"),
        };
        assert!(
            error(json!({"partition": {"kafka_topic": "t"}, "offset": null}))
                .contains("must contain the keys 'kafka_topic' and 'kafka_partition'")
        );
        assert!(error(
            json!({"partition": {"kafka_topic": "t", "kafka_partition": "x"}, "offset": null})
        )
        .starts_with(
            "Failed to parse the following Kafka partition value in the provided offsets: 'x'"
        ));
        assert!(error(json!({"partition": {"kafka_topic": "t", "kafka_partition": 0}, "offset": {"position": 1}})).contains("should either be null or contain the key 'kafka_offset'"));
        assert!(error(json!({"offset": null})).contains("cannot be null or missing"));
    }

    #[test]
    fn source_offsets_must_hold_primitive_values() {
        let ok = parse_source_offsets(vec![entry(
            json!({"partition": {"filename": "/a"}, "offset": {"position": 3}}),
        )])
        .unwrap();
        assert_eq!(ok[0].1.as_ref().unwrap()["position"], json!(3));
        assert!(matches!(
            parse_source_offsets(vec![entry(json!({"partition": {"filename": "/a"}, "offset": {"position": [1]}}))]),
            Err(HerderError::Internal(m)) if m.ends_with("field position contains ARRAY")
        ));
        assert!(matches!(
            parse_source_offsets(vec![entry(json!({"offset": {"position": 1}}))]),
            Err(HerderError::BadRequest(_))
        ));
    }
}
