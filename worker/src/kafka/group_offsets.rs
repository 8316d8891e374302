//! A sink connector's consumer group offsets (KIP-875), read and written from outside the group while its tasks
//! are stopped: committed offsets through a consumer that never joins, resets by deleting the group.

use std::collections::BTreeMap;
use std::time::Duration;

use rdkafka::admin::{AdminClient, AdminOptions};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::error::RDKafkaErrorCode;
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use regex::Regex;

/// How long one broker call of an offsets request may take (Kafka's REST request timeout is 90 s).
const TIMEOUT: Duration = Duration::from_secs(30);

/// A topic partition's committed offset (`None`: no offset, i.e. reset).
pub type TopicPartitionOffsets = BTreeMap<(String, i32), Option<i64>>;

/// The topics a sink consumes: the `topics` list, or every topic matching `topics.regex`.
pub struct Subscription<'a> {
    pub topics: &'a [String],
    pub regex: Option<&'a str>,
}

fn consumer(config: &ClientConfig) -> Result<BaseConsumer, String> {
    config
        .create()
        .map_err(|e| format!("cannot create a consumer: {e}"))
}

fn group_id(config: &ClientConfig) -> String {
    config.get("group.id").unwrap_or_default().to_string()
}

/// The committed offsets of the consumer's group (`group.id` in `config`) for every partition of the subscribed
/// topics. librdkafka has no "list all offsets of a group" call, so the partitions come from the topic metadata.
pub fn committed(
    config: &ClientConfig,
    subscription: &Subscription<'_>,
) -> Result<TopicPartitionOffsets, String> {
    let consumer = consumer(config)?;
    let regex = subscription
        .regex
        .map(|r| {
            Regex::new(&format!("^(?:{r})$")).map_err(|e| format!("invalid topics.regex: {e}"))
        })
        .transpose()?;
    let metadata = consumer
        .fetch_metadata(None, TIMEOUT)
        .map_err(|e| format!("cannot fetch topic metadata: {e}"))?;
    let mut partitions = TopicPartitionList::new();
    for topic in metadata.topics() {
        let wanted = subscription.topics.iter().any(|t| t == topic.name())
            || regex.as_ref().is_some_and(|r| r.is_match(topic.name()));
        if wanted {
            for p in topic.partitions() {
                partitions.add_partition(topic.name(), p.id());
            }
        }
    }
    if partitions.count() == 0 {
        return Ok(BTreeMap::new());
    }
    let committed = consumer
        .committed_offsets(partitions, TIMEOUT)
        .map_err(|e| {
            format!(
                "cannot fetch the committed offsets of group {}: {e}",
                group_id(config)
            )
        })?;
    Ok(committed
        .elements()
        .iter()
        .filter_map(|e| match e.offset() {
            Offset::Offset(o) => Some(((e.topic().to_string(), e.partition()), Some(o))),
            _ => None,
        })
        .collect())
}

/// Commits the given offsets for the group (which must have no members). A `None` offset removes the partition's
/// committed offset: librdkafka cannot delete single offsets (Kafka's OffsetDelete), so the group is deleted and
/// the offsets it should keep are committed again.
pub fn alter(
    config: &ClientConfig,
    subscription: &Subscription<'_>,
    offsets: &TopicPartitionOffsets,
) -> Result<(), String> {
    ensure_no_members(config)?;
    let mut to_commit: TopicPartitionOffsets = offsets
        .iter()
        .filter(|(_, o)| o.is_some())
        .map(|(tp, o)| (tp.clone(), *o))
        .collect();
    if offsets.values().any(Option::is_none) {
        let mut kept = committed(config, subscription)?;
        kept.retain(|tp, _| !offsets.contains_key(tp));
        to_commit.extend(kept);
        delete_empty_group(config)?;
    }
    if to_commit.is_empty() {
        return Ok(());
    }
    let mut list = TopicPartitionList::new();
    for ((topic, partition), offset) in &to_commit {
        let offset = Offset::Offset(offset.unwrap_or_default());
        list.add_partition_offset(topic, *partition, offset)
            .map_err(|e| format!("invalid offset for {topic}-{partition}: {e}"))?;
    }
    consumer(config)?
        .commit(&list, CommitMode::Sync)
        .map_err(|e| format!("cannot commit offsets for group {}: {e}", group_id(config)))
}

/// Fails while the group still has members, as Kafka's admin calls do (GroupNotEmpty, UnknownMemberId): a
/// stopped connector's task consumers leave the group a moment after its status says STOPPED, and a broker may
/// not refuse a change under live members (the test broker deleted such a group and then broke the next join).
fn ensure_no_members(config: &ClientConfig) -> Result<(), String> {
    let group = group_id(config);
    let groups = consumer(config)?
        .fetch_group_list(Some(&group), TIMEOUT)
        .map_err(|e| format!("cannot describe group {group}: {e}"))?;
    let members: usize = groups
        .groups()
        .iter()
        .filter(|g| g.name() == group)
        .map(|g| g.members().len())
        .sum();
    if members > 0 {
        return Err(format!(
            "consumer group {group} still has {members} active member(s); the connector's tasks have not all \
             shut down yet"
        ));
    }
    Ok(())
}

/// Deletes the group and with it every committed offset; a group that does not exist is already reset.
pub fn delete_group(config: &ClientConfig) -> Result<(), String> {
    ensure_no_members(config)?;
    delete_empty_group(config)
}

/// [`delete_group`] once the group is known to have no members.
fn delete_empty_group(config: &ClientConfig) -> Result<(), String> {
    let group = group_id(config);
    let admin: AdminClient<DefaultClientContext> = config
        .create()
        .map_err(|e| format!("cannot create an admin client: {e}"))?;
    let options = AdminOptions::new().request_timeout(Some(TIMEOUT));
    let results = block_on(admin.delete_groups(&[group.as_str()], &options))?
        .map_err(|e| format!("cannot delete group {group}: {e}"))?;
    for result in results {
        match result {
            Ok(_) | Err((_, RDKafkaErrorCode::GroupIdNotFound)) => {}
            Err((_, code)) => return Err(format!("cannot delete group {group}: {code}")),
        }
    }
    Ok(())
}

/// Runs an rdkafka admin future to completion on this (blocking) thread.
fn block_on<F: std::future::Future>(future: F) -> Result<F::Output, String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start a runtime for an admin call: {e}"))?;
    Ok(runtime.block_on(future))
}
