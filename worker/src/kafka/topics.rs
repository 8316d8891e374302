//! Topic creation through the admin client, for every topic the runtime creates: source topics under KIP-158, the
//! sink dead letter queue, the internal topics.

use std::collections::BTreeMap;
use std::time::Duration;

use connect_api::ConnectError;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::ClientConfig;

/// What a topic is created with.
#[derive(Clone, Debug, PartialEq)]
pub struct TopicSettings {
    /// `-1` means the broker's default, as in Kafka.
    pub partitions: i32,
    pub replication_factor: i32,
    pub configs: BTreeMap<String, String>,
}

/// What `create_topic` found.
#[derive(Debug, PartialEq)]
pub enum Created {
    New,
    Existed,
}

/// Creates `topic` with `settings` (`-1` partitions or replication factor: the broker's default); a topic that
/// already exists is left untouched.
pub fn create_topic(
    admin: &ClientConfig,
    topic: &str,
    settings: &TopicSettings,
) -> Result<Created, ConnectError> {
    let failed = |e: &dyn std::fmt::Display| {
        ConnectError::connect(format!("Unable to create topic '{topic}': {e}"))
    };
    let client: AdminClient<DefaultClientContext> = admin.create().map_err(|e| failed(&e))?;
    let mut new_topic = NewTopic::new(
        topic,
        settings.partitions,
        TopicReplication::Fixed(settings.replication_factor),
    );
    for (k, v) in &settings.configs {
        new_topic = new_topic.set(k, v);
    }
    let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(30)));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| failed(&e))?;
    let results = runtime
        .block_on(client.create_topics([&new_topic], &options))
        .map_err(|e| failed(&e))?;
    match results.into_iter().next() {
        Some(Ok(_)) => Ok(Created::New),
        Some(Err((_, RDKafkaErrorCode::TopicAlreadyExists))) => Ok(Created::Existed),
        Some(Err((_, code))) => Err(failed(&code)),
        None => Err(failed(&"the broker returned no result")),
    }
}
