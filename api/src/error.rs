//! The error type every plugin and runtime stage returns, mirroring Kafka's `ConnectException` family.

use thiserror::Error;

/// An error raised by a plugin or by the runtime, with the Kafka exception class it corresponds to.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ConnectError {
    /// Bad configuration (`org.apache.kafka.common.config.ConfigException`).
    #[error("{0}")]
    Config(String),
    /// Data that does not fit its schema or cannot be converted (`org.apache.kafka.connect.errors.DataException`).
    #[error("{0}")]
    Data(String),
    /// A transient failure worth retrying (`org.apache.kafka.connect.errors.RetriableException`).
    #[error("{0}")]
    Retriable(String),
    /// Anything else (`org.apache.kafka.connect.errors.ConnectException`).
    #[error("{0}")]
    Connect(String),
}

impl ConnectError {
    pub fn config(msg: impl Into<String>) -> Self {
        Self::Config(msg.into())
    }
    pub fn data(msg: impl Into<String>) -> Self {
        Self::Data(msg.into())
    }
    pub fn retriable(msg: impl Into<String>) -> Self {
        Self::Retriable(msg.into())
    }
    pub fn connect(msg: impl Into<String>) -> Self {
        Self::Connect(msg.into())
    }

    /// The Java class name Kafka would report for this error (used in traces and DLQ headers).
    pub fn class_name(&self) -> &'static str {
        match self {
            Self::Config(_) => "org.apache.kafka.common.config.ConfigException",
            Self::Data(_) => "org.apache.kafka.connect.errors.DataException",
            Self::Retriable(_) => "org.apache.kafka.connect.errors.RetriableException",
            Self::Connect(_) => "org.apache.kafka.connect.errors.ConnectException",
        }
    }

    pub fn message(&self) -> &str {
        match self {
            Self::Config(m) | Self::Data(m) | Self::Retriable(m) | Self::Connect(m) => m,
        }
    }

    pub fn is_retriable(&self) -> bool {
        matches!(self, Self::Retriable(_))
    }

    /// Numeric code used when the error crosses the plugin ABI.
    pub fn code(&self) -> i32 {
        match self {
            Self::Config(_) => 1,
            Self::Data(_) => 2,
            Self::Retriable(_) => 3,
            Self::Connect(_) => 4,
        }
    }

    /// Rebuilds an error from its ABI code and message; unknown codes become `Connect`.
    pub fn from_code(code: i32, msg: String) -> Self {
        match code {
            1 => Self::Config(msg),
            2 => Self::Data(msg),
            3 => Self::Retriable(msg),
            _ => Self::Connect(msg),
        }
    }

    /// A trace in the shape Kafka shows in task status: `class: message`.
    pub fn trace(&self) -> String {
        format!("{}: {}", self.class_name(), self.message())
    }
}

pub type ConnectResult<T> = Result<T, ConnectError>;
