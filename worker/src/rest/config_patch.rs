//! KIP-477 `PATCH /connectors/{name}/config`: merges the body into the stored config (a null value removes the key).

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde_json::Value;

use super::handlers::{call, config_text, json, parse, RestResult};
use super::SharedHerder;

pub async fn patch_config(
    State(h): State<SharedHerder>,
    Path(name): Path<String>,
    body: Bytes,
) -> RestResult {
    let patch: BTreeMap<String, Value> = parse(&body)?;
    let patch = patch
        .into_iter()
        .map(|(k, v)| (k, config_text(v)))
        .collect();
    let info = call(&h, move |h| h.patch_connector_config(&name, patch)).await??;
    Ok(json(StatusCode::OK, &info))
}
