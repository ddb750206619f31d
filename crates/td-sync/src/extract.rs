//! Request extractors: JSON bodies with the API's error shape, the authenticated caller
//! (§3.1) and project access (scope, membership and minimum role, §3.2), each followed by
//! the per-key rate limit of its route class (§4.3). Order matters: key → scope → role →
//! rate limit, so refused callers do not spend rate budget; put body extractors last.

use std::marker::PhantomData;

use axum::async_trait;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::http::StatusCode;
use serde::de::DeserializeOwned;
use td_core::wire::code;

use crate::config::RateLimits;
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::keys::{self, KeyOwner};
use crate::store::members::{self, Role};
use crate::store::now_text;

/// A JSON request body. Unreadable, oversize (the body cap), undecodable or wrongly typed
/// bodies are all 400 `invalid json body`.
pub struct JsonBody<T>(pub T);

#[async_trait]
impl<S, T> FromRequest<S> for JsonBody<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|_| ApiError::invalid_json())?;
        // Every request body is an object; serde alone would also take `[…]` for a struct.
        let is_object = bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
        if !is_object {
            return Err(ApiError::invalid_json());
        }
        serde_json::from_slice(&bytes)
            .map(JsonBody)
            .map_err(|_| ApiError::invalid_json())
    }
}

/// A per-key rate class.
pub trait RateClass: Send + Sync + 'static {
    const NAME: &'static str;
    fn limit(limits: &RateLimits) -> u32;
}

pub struct Push;
pub struct Pull;
pub struct Other;

impl RateClass for Push {
    const NAME: &'static str = "push";
    fn limit(l: &RateLimits) -> u32 {
        l.push
    }
}

impl RateClass for Pull {
    const NAME: &'static str = "pull";
    fn limit(l: &RateLimits) -> u32 {
        l.pull
    }
}

impl RateClass for Other {
    const NAME: &'static str = "other";
    fn limit(l: &RateLimits) -> u32 {
        l.other
    }
}

/// A minimum project role.
pub trait MinRole: Send + Sync + 'static {
    const ROLE: Role;
}

pub struct Reader;
pub struct Writer;
pub struct Owner;

impl MinRole for Reader {
    const ROLE: Role = Role::Reader;
}

impl MinRole for Writer {
    const ROLE: Role = Role::Writer;
}

impl MinRole for Owner {
    const ROLE: Role = Role::Owner;
}

/// The owner of a valid API key, rate-limited in class `C`.
pub struct Caller<C: RateClass = Other> {
    pub key: KeyOwner,
    _class: PhantomData<C>,
}

#[async_trait]
impl<C: RateClass> FromRequestParts<AppState> for Caller<C> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let key = authenticate(parts, state).await?;
        rate_limit::<C>(state, &key)?;
        Ok(Caller {
            key,
            _class: PhantomData,
        })
    }
}

/// A caller who is at least an `R` of the project named by the `id` path segment.
pub struct ProjectAccess<R: MinRole, C: RateClass = Other> {
    pub key: KeyOwner,
    pub project_id: String,
    _marker: PhantomData<(R, C)>,
}

#[async_trait]
impl<R: MinRole, C: RateClass> FromRequestParts<AppState> for ProjectAccess<R, C> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let key = authenticate(parts, state).await?;
        require_sync_scope(&key)?;
        let project_id = path_param(parts, state, "id").await?;
        match member_role(state, &project_id, &key.user_id).await? {
            None => {
                return Err(ApiError::forbidden(format!(
                    "not a member of project {project_id}"
                )))
            }
            Some(have) if have < R::ROLE => {
                return Err(ApiError::forbidden(format!(
                    "insufficient permissions: have {have}, need {}",
                    R::ROLE
                )))
            }
            Some(_) => {}
        }
        rate_limit::<C>(state, &key)?;
        Ok(ProjectAccess {
            key,
            project_id,
            _marker: PhantomData,
        })
    }
}

/// Checks `Authorization: Bearer <key>` against api_keys.
async fn authenticate(parts: &Parts, state: &AppState) -> Result<KeyOwner, ApiError> {
    let header = parts
        .headers
        .get(AUTHORIZATION)
        .ok_or_else(|| ApiError::unauthorized("missing authorization header"))?;
    let token = header
        .to_str()
        .ok()
        .and_then(|h| h.strip_prefix("Bearer "))
        .ok_or_else(|| ApiError::unauthorized("invalid authorization format"))?
        .trim()
        .to_string();
    state
        .db
        .call(move |c| keys::authenticate(c, &token))
        .await?
        .ok_or_else(|| ApiError::unauthorized("invalid or expired api key"))
}

/// Project routes need scope `sync` (or `impersonation:read`, or an admin user).
fn require_sync_scope(key: &KeyOwner) -> Result<(), ApiError> {
    if key.is_admin || key.has_scope("sync") || key.has_scope("impersonation:read") {
        return Ok(());
    }
    Err(ApiError::new(
        StatusCode::FORBIDDEN,
        code::INSUFFICIENT_SCOPE,
        "api key lacks the sync scope",
    ))
}

async fn member_role(
    state: &AppState,
    project_id: &str,
    user_id: &str,
) -> Result<Option<Role>, ApiError> {
    let (pid, uid) = (project_id.to_string(), user_id.to_string());
    Ok(state
        .db
        .call(move |c| members::role_of(c, &pid, &uid))
        .await?)
}

/// A named path segment of the matched route.
pub async fn path_param(
    parts: &mut Parts,
    state: &AppState,
    name: &str,
) -> Result<String, ApiError> {
    let Path(params) = Path::<Vec<(String, String)>>::from_request_parts(parts, state)
        .await
        .map_err(|e| ApiError::bad_request(format!("invalid path: {e}")))?;
    params
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
        .ok_or_else(|| ApiError::internal(format!("route has no {name} segment")))
}

/// Per-key window; the bucket is the key id plus the numeric limit, so classes with equal
/// limits share one budget (as the original does).
fn rate_limit<C: RateClass>(state: &AppState, key: &KeyOwner) -> Result<(), ApiError> {
    let limit = C::limit(&state.config.rate_limits);
    let bucket = format!("key:{}:{limit}", key.key_id);
    state.limiter.check(&bucket, limit).map_err(|retry| {
        record_refusal(state, &key.key_id, "", C::NAME);
        ApiError::rate_limited(retry)
    })
}

/// Writes a `rate_limit_events` audit row in the background; failures are only logged.
pub fn record_refusal(state: &AppState, key_id: &str, ip: &str, class: &'static str) {
    let db = state.db.clone();
    let (key_id, ip) = (key_id.to_string(), ip.to_string());
    tokio::task::spawn_blocking(move || {
        let res = db.with(|c| {
            c.execute(
                "INSERT INTO rate_limit_events (key_id, ip, endpoint_class, created_at)
                 VALUES (?1, ?2, ?3, ?4)",
                rusqlite::params![key_id, ip, class, now_text()],
            )?;
            Ok(())
        });
        if let Err(err) = res {
            tracing::warn!(error = %err, "record rate limit event");
        }
    });
}

/// The `user_id` path segment of member routes.
pub struct MemberParam(pub String);

#[async_trait]
impl FromRequestParts<AppState> for MemberParam {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        path_param(parts, state, "user_id").await.map(MemberParam)
    }
}
