//! The built-in plugins: `PluginInfo` (class, alias, version, ConfigDef) and constructor, with lookups by name.

use std::sync::LazyLock;

use connect_api::config::ConfigDef;
use connect_api::plugin::{PluginInfo, PluginKind};
use connect_api::transform::{Predicate, Transformation};

use crate::predicates::{has_header_key, record_is_tombstone, topic_name_matches};
use crate::predicates::{HasHeaderKey, RecordIsTombstone, TopicNameMatches};
use crate::util::Side;
use crate::*;

/// Package of Kafka's built-in SMTs.
pub const TRANSFORMS_PACKAGE: &str = "org.apache.kafka.connect.transforms.";
/// Package of Kafka's built-in predicates.
pub const PREDICATES_PACKAGE: &str = "org.apache.kafka.connect.transforms.predicates.";
/// Debezium's `ExtractNewRecordState`.
pub const EXTRACT_NEW_RECORD_STATE_CLASS: &str = "io.debezium.transforms.ExtractNewRecordState";

/// Constructs an unconfigured transformation.
pub type TransformationFactory = fn() -> Box<dyn Transformation>;
/// Constructs an unconfigured predicate.
pub type PredicateFactory = fn() -> Box<dyn Predicate>;

fn info(kind: PluginKind, class_name: String, alias: &str, config_def: ConfigDef) -> PluginInfo {
    PluginInfo {
        kind,
        class_name,
        aliases: vec![alias.to_string()],
        version: env!("CARGO_PKG_VERSION").to_string(),
        config_def,
    }
}

fn kafka(simple: &str, config_def: ConfigDef) -> PluginInfo {
    info(
        PluginKind::Transformation,
        format!("{TRANSFORMS_PACKAGE}{simple}"),
        simple,
        config_def,
    )
}

macro_rules! key_value {
    ($list:ident, $simple:literal, $module:ident :: $ty:ident) => {
        $list.push((
            kafka(concat!($simple, "$Key"), $module::config_def()),
            (|| Box::new($module::$ty::new(Side::Key)) as Box<dyn Transformation>)
                as TransformationFactory,
        ));
        $list.push((
            kafka(concat!($simple, "$Value"), $module::config_def()),
            (|| Box::new($module::$ty::new(Side::Value)) as Box<dyn Transformation>)
                as TransformationFactory,
        ));
    };
}

macro_rules! single {
    ($list:ident, $simple:literal, $module:ident :: $ty:ident) => {
        $list.push((
            kafka($simple, $module::config_def()),
            (|| Box::new($module::$ty::new()) as Box<dyn Transformation>) as TransformationFactory,
        ));
    };
}

#[allow(clippy::vec_init_then_push)]
static TRANSFORMATIONS: LazyLock<Vec<(PluginInfo, TransformationFactory)>> = LazyLock::new(|| {
    let mut list: Vec<(PluginInfo, TransformationFactory)> = Vec::with_capacity(27);
    key_value!(list, "Cast", cast::Cast);
    single!(list, "DropHeaders", drop_headers::DropHeaders);
    key_value!(list, "ExtractField", extract_field::ExtractField);
    single!(list, "Filter", filter::Filter);
    key_value!(list, "Flatten", flatten::Flatten);
    key_value!(list, "HeaderFrom", header_from::HeaderFrom);
    key_value!(list, "HoistField", hoist_field::HoistField);
    key_value!(list, "InsertField", insert_field::InsertField);
    single!(list, "InsertHeader", insert_header::InsertHeader);
    key_value!(list, "MaskField", mask_field::MaskField);
    single!(list, "RegexRouter", regex_router::RegexRouter);
    key_value!(list, "ReplaceField", replace_field::ReplaceField);
    key_value!(
        list,
        "SetSchemaMetadata",
        set_schema_metadata::SetSchemaMetadata
    );
    key_value!(
        list,
        "TimestampConverter",
        timestamp_converter::TimestampConverter
    );
    single!(list, "TimestampRouter", timestamp_router::TimestampRouter);
    single!(list, "ValueToKey", value_to_key::ValueToKey);
    list.push((
        info(
            PluginKind::Transformation,
            EXTRACT_NEW_RECORD_STATE_CLASS.to_string(),
            "ExtractNewRecordState",
            extract_new_record_state::config_def(),
        ),
        || {
            Box::new(extract_new_record_state::ExtractNewRecordState::new())
                as Box<dyn Transformation>
        },
    ));
    list
});

static PREDICATES: LazyLock<Vec<(PluginInfo, PredicateFactory)>> = LazyLock::new(|| {
    let predicate = |simple: &str, def: ConfigDef| {
        info(
            PluginKind::Predicate,
            format!("{PREDICATES_PACKAGE}{simple}"),
            simple,
            def,
        )
    };
    vec![
        (
            predicate("HasHeaderKey", has_header_key::config_def()),
            (|| Box::new(HasHeaderKey::new()) as Box<dyn Predicate>) as PredicateFactory,
        ),
        (
            predicate("RecordIsTombstone", record_is_tombstone::config_def()),
            || Box::new(RecordIsTombstone::new()) as Box<dyn Predicate>,
        ),
        (
            predicate("TopicNameMatches", topic_name_matches::config_def()),
            || Box::new(TopicNameMatches::new()) as Box<dyn Predicate>,
        ),
    ]
});

/// Every built-in transformation with its metadata and constructor.
pub fn transformation_plugins() -> Vec<(PluginInfo, TransformationFactory)> {
    TRANSFORMATIONS.clone()
}

/// Every built-in predicate with its metadata and constructor.
pub fn predicate_plugins() -> Vec<(PluginInfo, PredicateFactory)> {
    PREDICATES.clone()
}

/// A new built-in transformation, by full class name or alias (`Cast$Value`, `RegexRouter`).
pub fn builtin_transformation(name: &str) -> Option<Box<dyn Transformation>> {
    TRANSFORMATIONS
        .iter()
        .find(|(i, _)| i.matches(name))
        .map(|(_, make)| make())
}

/// A new built-in predicate, by full class name or alias.
pub fn builtin_predicate(name: &str) -> Option<Box<dyn Predicate>> {
    PREDICATES
        .iter()
        .find(|(i, _)| i.matches(name))
        .map(|(_, make)| make())
}

/// The metadata of a built-in transformation, by full class name or alias.
pub fn builtin_transformation_info(name: &str) -> Option<&'static PluginInfo> {
    TRANSFORMATIONS
        .iter()
        .map(|(i, _)| i)
        .find(|i| i.matches(name))
}

/// The metadata of a built-in predicate, by full class name or alias.
pub fn builtin_predicate_info(name: &str) -> Option<&'static PluginInfo> {
    PREDICATES.iter().map(|(i, _)| i).find(|i| i.matches(name))
}

/// The full class name for a built-in alias; other names are returned as given.
pub(crate) fn canonical_class(name: &str) -> String {
    builtin_transformation_info(name)
        .or_else(|| builtin_predicate_info(name))
        .map_or_else(|| name.to_string(), |i| i.class_name.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kafka_smt_is_registered_with_alias_and_version() {
        let names: Vec<String> = transformation_plugins()
            .iter()
            .map(|(i, _)| i.class_name.clone())
            .collect();
        assert_eq!(names.len(), 27);
        for simple in [
            "Cast$Key",
            "Cast$Value",
            "DropHeaders",
            "ExtractField$Key",
            "ExtractField$Value",
            "Filter",
            "Flatten$Key",
            "Flatten$Value",
            "HeaderFrom$Key",
            "HeaderFrom$Value",
            "HoistField$Key",
            "HoistField$Value",
            "InsertField$Key",
            "InsertField$Value",
            "InsertHeader",
            "MaskField$Key",
            "MaskField$Value",
            "RegexRouter",
            "ReplaceField$Key",
            "ReplaceField$Value",
            "SetSchemaMetadata$Key",
            "SetSchemaMetadata$Value",
            "TimestampConverter$Key",
            "TimestampConverter$Value",
            "TimestampRouter",
            "ValueToKey",
        ] {
            let full = format!("{TRANSFORMS_PACKAGE}{simple}");
            assert!(names.contains(&full), "{full}");
            assert!(builtin_transformation(&full).is_some());
            assert!(builtin_transformation(simple).is_some());
            assert_eq!(
                builtin_transformation_info(simple).unwrap().version,
                env!("CARGO_PKG_VERSION")
            );
        }
        assert!(builtin_transformation(EXTRACT_NEW_RECORD_STATE_CLASS).is_some());
        assert!(builtin_transformation("ExtractNewRecordState").is_some());
        assert!(builtin_transformation("Nope").is_none());
        assert_eq!(
            canonical_class("Cast$Value"),
            "org.apache.kafka.connect.transforms.Cast$Value"
        );
    }

    #[test]
    fn predicates_are_registered() {
        for simple in ["TopicNameMatches", "HasHeaderKey", "RecordIsTombstone"] {
            assert!(builtin_predicate(simple).is_some());
            assert!(builtin_predicate(&format!("{PREDICATES_PACKAGE}{simple}")).is_some());
            assert_eq!(
                builtin_predicate_info(simple).unwrap().kind,
                PluginKind::Predicate
            );
        }
    }

    #[test]
    fn config_defs_describe_the_keys() {
        let cast = builtin_transformation_info("Cast$Value").unwrap();
        assert!(cast.config_def.key("spec").unwrap().required());
        assert!(cast.config_def.key("replace.null.with.default").is_some());
        let router = builtin_transformation_info("TimestampRouter").unwrap();
        assert_eq!(
            router
                .config_def
                .key("topic.format")
                .unwrap()
                .default_string()
                .as_deref(),
            Some("${topic}-${timestamp}")
        );
        let matches = builtin_predicate_info("TopicNameMatches").unwrap();
        assert!(matches.config_def.key("pattern").is_some());
    }
}
