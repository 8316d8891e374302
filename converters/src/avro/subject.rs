//! Subject name strategies (Confluent's `TopicNameStrategy`, `RecordNameStrategy`, `TopicRecordNameStrategy`):
//! which registry subject a record's schema belongs to.

/// How the subject of a key or value schema is named.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SubjectNameStrategy {
    /// `<topic>-key` / `<topic>-value` (the default).
    TopicName,
    /// The fully qualified record name.
    RecordName,
    /// `<topic>-<fully qualified record name>`.
    TopicRecordName,
}

impl SubjectNameStrategy {
    pub fn class_name(self) -> &'static str {
        match self {
            Self::TopicName => "io.confluent.kafka.serializers.subject.TopicNameStrategy",
            Self::RecordName => "io.confluent.kafka.serializers.subject.RecordNameStrategy",
            Self::TopicRecordName => {
                "io.confluent.kafka.serializers.subject.TopicRecordNameStrategy"
            }
        }
    }

    /// Accepts Confluent's full class names and their simple names.
    pub fn from_class_name(name: &str) -> Option<Self> {
        let name = name.trim();
        [Self::TopicName, Self::RecordName, Self::TopicRecordName]
            .into_iter()
            .find(|s| {
                let class = s.class_name();
                name == class || Some(name) == class.rsplit('.').next()
            })
    }

    /// The subject for a schema whose Avro full name is `record_name` (the type name for non-records).
    pub fn subject(self, topic: &str, is_key: bool, record_name: &str) -> String {
        match self {
            Self::TopicName => format!("{topic}-{}", if is_key { "key" } else { "value" }),
            Self::RecordName => record_name.to_string(),
            Self::TopicRecordName => format!("{topic}-{record_name}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_subjects_as_confluent() {
        let t = SubjectNameStrategy::TopicName;
        assert_eq!(t.subject("orders", true, "x.Y"), "orders-key");
        assert_eq!(t.subject("orders", false, "x.Y"), "orders-value");
        assert_eq!(
            SubjectNameStrategy::RecordName.subject("orders", false, "x.Y"),
            "x.Y"
        );
        assert_eq!(
            SubjectNameStrategy::TopicRecordName.subject("orders", true, "x.Y"),
            "orders-x.Y"
        );
        assert_eq!(
            SubjectNameStrategy::from_class_name("RecordNameStrategy"),
            Some(SubjectNameStrategy::RecordName)
        );
        assert_eq!(SubjectNameStrategy::from_class_name("Other"), None);
    }
}
