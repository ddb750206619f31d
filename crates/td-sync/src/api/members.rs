//! `/v1/projects/{id}/members[/{user_id}]` (§4.2). Where the original answers 500 (invalid
//! role, existing membership, removing a non-member) these answer 400 / 409 / 404.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use td_core::wire::{code, AddMemberRequest, Member, StatusBody, UpdateMemberRequest};

use crate::emailaddr::is_valid_address;
use crate::error::{ApiError, ApiResult};
use crate::extract::{JsonBody, MemberParam, Owner, ProjectAccess, Reader};
use crate::state::AppState;
use crate::store::members::{self, AddOutcome, ChangeOutcome, Role};
use crate::store::users;

fn parse_role(text: &str) -> ApiResult<Role> {
    if text.is_empty() {
        return Err(ApiError::bad_request("role is required"));
    }
    Role::parse(text).ok_or_else(|| {
        ApiError::bad_request(format!(
            "invalid role {text:?}: must be owner, writer or reader"
        ))
    })
}

/// `POST …/members` → 201. By email (creating the user if absent) or by user_id.
pub async fn add(
    State(state): State<AppState>,
    access: ProjectAccess<Owner>,
    JsonBody(req): JsonBody<AddMemberRequest>,
) -> ApiResult<(StatusCode, Json<Member>)> {
    let email = req.email.trim().to_string();
    let user_id = req.user_id.trim().to_string();
    if email.is_empty() && user_id.is_empty() {
        return Err(ApiError::bad_request("user_id or email is required"));
    }
    let role = parse_role(&req.role)?;
    if !email.is_empty() && !is_valid_address(&email) {
        return Err(ApiError::bad_request("valid email is required"));
    }
    let (project_id, invited_by) = (access.project_id, access.key.user_id);
    let outcome = state
        .db
        .call(move |c| {
            let user = if email.is_empty() {
                users::find_by_id(c, &user_id)?
            } else {
                Some(users::ensure(c, &email)?.0)
            };
            let Some(user) = user else {
                return Ok(None);
            };
            // The answer echoes the email as the caller wrote it.
            let shown = if email.is_empty() { user.email } else { email };
            members::add(c, &project_id, &user.id, &shown, role, &invited_by).map(Some)
        })
        .await?;
    match outcome {
        None => Err(ApiError::not_found("user not found")),
        Some(AddOutcome::AlreadyMember) => Err(ApiError::conflict(
            "user is already a member of this project",
        )),
        Some(AddOutcome::Added(member)) => Ok((StatusCode::CREATED, Json(member))),
    }
}

/// `GET …/members`.
pub async fn list(
    State(state): State<AppState>,
    access: ProjectAccess<Reader>,
) -> ApiResult<Json<Vec<Member>>> {
    let id = access.project_id;
    Ok(Json(state.db.call(move |c| members::list(c, &id)).await?))
}

/// `PATCH …/members/{user_id}` → 200 `{"status":"updated"}`.
pub async fn update(
    State(state): State<AppState>,
    access: ProjectAccess<Owner>,
    MemberParam(user_id): MemberParam,
    JsonBody(req): JsonBody<UpdateMemberRequest>,
) -> ApiResult<Json<StatusBody>> {
    let role = parse_role(&req.role)?;
    let id = access.project_id;
    let outcome = state
        .db
        .call(move |c| members::set_role(c, &id, &user_id, role))
        .await?;
    change_result(outcome)?;
    Ok(Json(StatusBody {
        status: "updated".into(),
        detail: None,
    }))
}

/// `DELETE …/members/{user_id}` → 204.
pub async fn remove(
    State(state): State<AppState>,
    access: ProjectAccess<Owner>,
    MemberParam(user_id): MemberParam,
) -> ApiResult<StatusCode> {
    let id = access.project_id;
    let outcome = state
        .db
        .call(move |c| members::remove(c, &id, &user_id))
        .await?;
    change_result(outcome)?;
    Ok(StatusCode::NO_CONTENT)
}

fn change_result(outcome: ChangeOutcome) -> ApiResult<()> {
    match outcome {
        ChangeOutcome::Done => Ok(()),
        ChangeOutcome::NotMember => Err(ApiError::not_found("membership not found")),
        ChangeOutcome::LastOwner => Err(ApiError::new(
            StatusCode::CONFLICT,
            code::LAST_OWNER,
            "cannot remove or demote the last owner",
        )),
    }
}
