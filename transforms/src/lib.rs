//! connect-transforms: Kafka's built-in SMTs and predicates, Debezium's `ExtractNewRecordState`, and the chain.

pub mod cast;
pub mod chain;
pub mod drop_headers;
pub mod extract_field;
pub mod extract_new_record_state;
pub mod filter;
pub mod flatten;
pub mod header_from;
pub mod hoist_field;
pub mod insert_field;
pub mod insert_header;
pub mod mask_field;
pub mod predicates;
pub mod regex_router;
pub mod registry;
pub mod replace_field;
pub mod set_schema_metadata;
pub mod timestamp_converter;
pub mod timestamp_router;
pub mod util;
pub mod value_to_key;

pub use chain::TransformChain;
pub use registry::{
    builtin_predicate, builtin_predicate_info, builtin_transformation, builtin_transformation_info,
    predicate_plugins, transformation_plugins, PredicateFactory, TransformationFactory,
};
pub use util::Side;
