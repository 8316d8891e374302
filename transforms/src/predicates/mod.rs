//! The built-in predicates: `TopicNameMatches`, `HasHeaderKey` and `RecordIsTombstone`.

pub mod has_header_key;
pub mod record_is_tombstone;
pub mod topic_name_matches;

pub use has_header_key::HasHeaderKey;
pub use record_is_tombstone::RecordIsTombstone;
pub use topic_name_matches::TopicNameMatches;
