//! `/v1/projects` and `/v1/projects/{id}` (§4.2).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use td_core::wire::{CreateProjectRequest, Project, UpdateProjectRequest};

use crate::error::{ApiError, ApiResult};
use crate::extract::{Caller, JsonBody, Owner, ProjectAccess, Reader, Writer};
use crate::state::AppState;
use crate::store::projects;
use crate::tokens::row_id;

/// `POST /v1/projects` → 201. The event store is created first; if the rows cannot be
/// written its directory is removed again.
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(req): JsonBody<CreateProjectRequest>,
) -> ApiResult<(StatusCode, Json<Project>)> {
    let name = req.name.trim().to_string();
    if name.is_empty() {
        return Err(ApiError::bad_request("name is required"));
    }
    let id = row_id("p_");
    let user_id = caller.key.user_id;
    let owner = user_id.clone();
    let st = state.clone();
    let created = tokio::task::spawn_blocking(move || {
        st.stores.create(&id)?;
        let res = st
            .db
            .with(|c| projects::create(c, &id, &name, &req.description, &owner));
        if res.is_err() {
            st.stores.discard(&id);
        }
        res
    })
    .await
    .map_err(|e| ApiError::internal(format!("create project task: {e}")))??;
    tracing::info!(project_id = %created.id, user_id = %user_id, "project created");
    Ok((StatusCode::CREATED, Json(created)))
}

/// `GET /v1/projects`: the caller's live projects, oldest first.
pub async fn list(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Vec<Project>>> {
    let user_id = caller.key.user_id;
    let list = state
        .db
        .call(move |c| projects::list_for_user(c, &user_id))
        .await?;
    Ok(Json(list))
}

/// `GET /v1/projects/{id}`; soft-deleted projects are 404.
pub async fn get(
    State(state): State<AppState>,
    access: ProjectAccess<Reader>,
) -> ApiResult<Json<Project>> {
    let id = access.project_id;
    let found = state.db.call(move |c| projects::get(c, &id)).await?;
    found
        .filter(|p| p.deleted_at.is_none())
        .map(Json)
        .ok_or_else(|| ApiError::not_found("project not found"))
}

/// `PATCH /v1/projects/{id}`.
pub async fn update(
    State(state): State<AppState>,
    access: ProjectAccess<Writer>,
    JsonBody(req): JsonBody<UpdateProjectRequest>,
) -> ApiResult<Json<Project>> {
    let name = req.name.map(|n| n.trim().to_string());
    if name.as_deref() == Some("") {
        return Err(ApiError::bad_request("name cannot be empty"));
    }
    let id = access.project_id;
    let updated = state
        .db
        .call(move |c| projects::update(c, &id, name.as_deref(), req.description.as_deref()))
        .await?;
    updated
        .map(Json)
        .ok_or_else(|| ApiError::not_found("project not found"))
}

/// `DELETE /v1/projects/{id}` → 204 (soft delete).
pub async fn delete(
    State(state): State<AppState>,
    access: ProjectAccess<Owner>,
) -> ApiResult<StatusCode> {
    let id = access.project_id;
    state
        .db
        .call(move |c| projects::soft_delete(c, &id))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
