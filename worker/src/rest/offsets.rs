//! KIP-875 offsets endpoints: `GET`, `PATCH` (alter) and `DELETE` (reset) `/connectors/{name}/offsets`.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;

use super::handlers::{call, json, parse, RestResult};
use super::{RestError, SharedHerder};
use crate::herder::ConnectorOffset;

/// The alter request: `{"offsets":[{"partition":{...},"offset":{...}|null}]}`.
#[derive(Deserialize)]
struct AlterRequest {
    #[serde(default)]
    offsets: Option<Vec<ConnectorOffset>>,
}

fn message(text: String) -> serde_json::Value {
    serde_json::json!({ "message": text })
}

pub async fn get_offsets(State(h): State<SharedHerder>, Path(name): Path<String>) -> RestResult {
    let offsets = call(&h, move |h| h.connector_offsets(&name)).await??;
    Ok(json(StatusCode::OK, &offsets))
}

pub async fn alter_offsets(
    State(h): State<SharedHerder>,
    Path(name): Path<String>,
    body: Bytes,
) -> RestResult {
    let request: AlterRequest = parse(&body)?;
    let offsets = request.offsets.filter(|o| !o.is_empty()).ok_or_else(|| {
        RestError::bad_request(
            "Partitions / offsets need to be provided for an alter offsets request",
        )
    })?;
    let text = call(&h, move |h| {
        h.modify_connector_offsets(&name, Some(offsets))
    })
    .await??;
    Ok(json(StatusCode::OK, &message(text)))
}

pub async fn reset_offsets(State(h): State<SharedHerder>, Path(name): Path<String>) -> RestResult {
    let text = call(&h, move |h| h.modify_connector_offsets(&name, None)).await??;
    Ok(json(StatusCode::OK, &message(text)))
}
