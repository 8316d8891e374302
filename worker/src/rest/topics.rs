//! KIP-558 routes (Kafka's `ConnectorsResource` topic methods): `GET /connectors/{name}/topics` and
//! `PUT /connectors/{name}/topics/reset`, answered by any worker from its copy of the active topics.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::handlers::{call, json};
use super::{RestError, SharedHerder};

type RestResult = Result<Response, RestError>;

fn forbidden(message: &str) -> RestError {
    RestError::new(StatusCode::FORBIDDEN, message)
}

/// `{"<name>":{"topics":[...]}}`; an unknown connector has no topics (Kafka does not answer 404 here).
pub async fn active_topics(State(h): State<SharedHerder>, Path(name): Path<String>) -> RestResult {
    let tracking = h.topic_tracking();
    if tracking.store.is_none() {
        return Err(forbidden("Topic tracking is disabled."));
    }
    let topics = call(&h, {
        let name = name.clone();
        move |_| tracking.topic_names(&name)
    })
    .await?;
    Ok(json(StatusCode::OK, &json!({ name: { "topics": topics } })))
}

/// Forgets the connector's active topics (tombstones in the status topic); 202 as Kafka.
pub async fn reset(State(h): State<SharedHerder>, Path(name): Path<String>) -> RestResult {
    let tracking = h.topic_tracking();
    if tracking.store.is_none() {
        return Err(forbidden("Topic tracking is disabled."));
    }
    if !tracking.allow_reset {
        return Err(forbidden("Topic tracking reset is disabled."));
    }
    call(&h, move |_| tracking.reset(&name)).await?;
    Ok(StatusCode::ACCEPTED.into_response())
}
