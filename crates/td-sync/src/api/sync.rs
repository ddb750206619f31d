//! `/v1/projects/{id}/sync/{push,pull,status,snapshot}` (§5, §6).

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::DateTime;
use td_core::event::{canonical_entity_type, normalize_action};
use td_core::wire::{
    code, scrub_payload, Ack, PullResponse, PushEvent, PushRequest, PushResponse, Rejection,
    SyncStatus, DEFAULT_PULL_LIMIT, MAX_PULL_LIMIT, MAX_PUSH_BATCH, REJECT_DUPLICATE,
    REJECT_EMPTY_ENTITY_ID,
};

use crate::error::{ApiError, ApiResult};
use crate::extract::{JsonBody, Other, ProjectAccess, Pull, Push, Reader, Writer};
use crate::state::AppState;
use crate::store::events::{self, NewEvent, Outcome};
use crate::store::StoreError;

/// `POST …/sync/push`: validates the whole request, stores it in one transaction, answers
/// after the commit. The original's optional post-commit bookkeeping (projects.event_count,
/// sync_cursors) is skipped: nothing reads it and its commit tripled push latency.
pub async fn push(
    State(state): State<AppState>,
    access: ProjectAccess<Writer, Push>,
    JsonBody(req): JsonBody<PushRequest>,
) -> ApiResult<Json<PushResponse>> {
    let batch = validate_push(&req)?;
    let ids: Vec<i64> = batch.iter().map(|e| e.client_action_id).collect();
    let project_id = access.project_id;
    let st = state.clone();
    let (device_id, session_id) = (req.device_id, req.session_id);
    let outcomes = tokio::task::spawn_blocking(move || {
        let store = st.stores.get(&project_id)?;
        store.with(|c| events::append(c, &device_id, &session_id, &batch))
    })
    .await
    .map_err(|e| ApiError::internal(format!("push task: {e}")))?
    .map_err(store_failure)?;
    Ok(Json(push_response(&ids, &outcomes)))
}

/// A missing events.db is the one storage failure the original names.
fn store_failure(err: StoreError) -> ApiError {
    match err {
        StoreError::MissingProjectDb(_) | StoreError::Open { .. } => {
            tracing::error!(error = %err, "open project store");
            ApiError::internal("failed to open project database")
        }
        other => other.into(),
    }
}

/// Whole-request checks of §5.2 step 1, then normalization into storable events.
fn validate_push(req: &PushRequest) -> ApiResult<Vec<NewEvent>> {
    if req.device_id.is_empty() {
        return Err(ApiError::bad_request("device_id is required"));
    }
    if req.session_id.is_empty() {
        return Err(ApiError::bad_request("session_id is required"));
    }
    if req.events.is_empty() {
        return Err(ApiError::bad_request("events array is empty"));
    }
    if req.events.len() > MAX_PUSH_BATCH {
        return Err(ApiError::bad_request(format!(
            "batch size {} exceeds max {MAX_PUSH_BATCH}",
            req.events.len()
        )));
    }
    req.events.iter().map(normalize_event).collect()
}

fn normalize_event(ev: &PushEvent) -> ApiResult<NewEvent> {
    let entity_type = canonical_entity_type(&ev.entity_type)
        .ok_or_else(|| ApiError::bad_request(format!("invalid entity_type: {}", ev.entity_type)))?;
    let ts = DateTime::parse_from_rfc3339(&ev.client_timestamp).map_err(|_| {
        ApiError::bad_request(format!(
            "invalid timestamp for action {}",
            ev.client_action_id
        ))
    })?;
    if !ev.payload.is_object() {
        return Err(ApiError::bad_request(format!(
            "invalid payload for action {}: must be a JSON object",
            ev.client_action_id
        )));
    }
    let mut payload = ev.payload.clone();
    scrub_payload(entity_type, &mut payload);
    Ok(NewEvent {
        client_action_id: ev.client_action_id,
        action_type: normalize_action(&ev.action_type),
        entity_type,
        entity_id: ev.entity_id.clone(),
        payload: payload.to_string(),
        client_timestamp: td_core::time::json_format(&ts),
    })
}

fn push_response(ids: &[i64], outcomes: &[Outcome]) -> PushResponse {
    let mut acks = Vec::new();
    let mut rejected = Vec::new();
    for (&client_action_id, outcome) in ids.iter().zip(outcomes) {
        match *outcome {
            Outcome::Stored(server_seq) => acks.push(Ack {
                client_action_id,
                server_seq,
            }),
            Outcome::Duplicate(seq) => rejected.push(Rejection {
                client_action_id,
                reason: REJECT_DUPLICATE.into(),
                server_seq: Some(seq).filter(|s| *s != 0),
            }),
            Outcome::EmptyEntityId => rejected.push(Rejection {
                client_action_id,
                reason: REJECT_EMPTY_ENTITY_ID.into(),
                server_seq: None,
            }),
        }
    }
    PushResponse {
        accepted: acks.len() as i64,
        acks: (!acks.is_empty()).then_some(acks),
        rejected,
    }
}

/// Parsed pull query.
struct PullQuery {
    after: i64,
    limit: i64,
    exclude: Option<String>,
}

fn parse_pull_query(q: &HashMap<String, String>) -> ApiResult<PullQuery> {
    let after = match q.get("after_server_seq").filter(|v| !v.is_empty()) {
        None => 0,
        Some(v) => v
            .parse::<i64>()
            .map_err(|_| ApiError::bad_request("invalid after_server_seq"))?,
    };
    let limit = match q.get("limit").filter(|v| !v.is_empty()) {
        None => DEFAULT_PULL_LIMIT,
        Some(v) => v
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 1)
            .ok_or_else(|| ApiError::bad_request("invalid limit"))?
            .min(MAX_PULL_LIMIT),
    };
    let exclude = q.get("exclude_client").filter(|v| !v.is_empty()).cloned();
    Ok(PullQuery {
        after,
        limit,
        exclude,
    })
}

/// `GET …/sync/pull?after_server_seq=&limit=&exclude_client=`.
pub async fn pull(
    State(state): State<AppState>,
    access: ProjectAccess<Reader, Pull>,
    query: Option<Query<HashMap<String, String>>>,
) -> ApiResult<Json<PullResponse>> {
    let q = parse_pull_query(&query.map(|Query(q)| q).unwrap_or_default())?;
    let project_id = access.project_id;
    let st = state.clone();
    let page = tokio::task::spawn_blocking(move || {
        let store = st.stores.get(&project_id)?;
        let events = store.with(|c| events::pull(c, q.after, q.limit, q.exclude.as_deref()))?;
        let last = events.last().map_or(q.after, |e| e.server_seq);
        Ok::<_, StoreError>(PullResponse {
            has_more: events.len() as i64 == q.limit,
            last_server_seq: last,
            events,
        })
    })
    .await
    .map_err(|e| ApiError::internal(format!("pull task: {e}")))?
    .map_err(store_failure)?;
    Ok(Json(page))
}

/// `GET …/sync/status`.
pub async fn status(
    State(state): State<AppState>,
    access: ProjectAccess<Reader, Other>,
) -> ApiResult<Json<SyncStatus>> {
    let project_id = access.project_id;
    let st = state.clone();
    let status = tokio::task::spawn_blocking(move || {
        let store = st.stores.get(&project_id)?;
        store.with(|c| events::status(c))
    })
    .await
    .map_err(|e| ApiError::internal(format!("status task: {e}")))?
    .map_err(store_failure)?;
    Ok(Json(status))
}

/// `GET …/sync/snapshot`: this server builds no snapshots, so it always answers 404
/// `no_events` and clients fall back to a normal pull (§6.4 allows this).
pub async fn snapshot(_access: ProjectAccess<Reader, Other>) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        code::NO_EVENTS,
        "no snapshot available; pull events instead",
    )
}
