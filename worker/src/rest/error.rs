//! REST errors: herder errors and bad requests as Kafka's status codes and `{"error_code","message"}` body.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::entities::ErrorMessage;
use super::forward::ForwardTo;
use crate::herder::HerderError;

#[derive(Debug)]
pub struct RestError {
    pub status: StatusCode,
    pub message: String,
    /// Set when the request must be served by another worker (see `forward.rs`).
    pub forward: Option<ForwardTo>,
}

impl RestError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        RestError {
            status,
            message: message.into(),
            forward: None,
        }
    }
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }
}

impl From<HerderError> for RestError {
    fn from(e: HerderError) -> Self {
        let status = match &e {
            HerderError::NotFound(_) => StatusCode::NOT_FOUND,
            HerderError::AlreadyExists(_) | HerderError::Conflict(_) => StatusCode::CONFLICT,
            HerderError::NotLeader(leader) => {
                let mut error = RestError::new(StatusCode::CONFLICT, e.to_string());
                error.forward = Some(ForwardTo(leader.clone()));
                return error;
            }
            HerderError::BadRequest(_) => StatusCode::BAD_REQUEST,
            HerderError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            HerderError::Forbidden(_) => StatusCode::FORBIDDEN,
            HerderError::ServiceUnavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        };
        RestError::new(status, e.to_string())
    }
}

impl IntoResponse for RestError {
    fn into_response(self) -> Response {
        let body = ErrorMessage {
            error_code: self.status.as_u16(),
            message: self.message,
        };
        let mut response = (self.status, Json(body)).into_response();
        if let Some(forward) = self.forward {
            response.extensions_mut().insert(forward);
        }
        response
    }
}
