//! Device login (§3.3): start (emails an approval link), approve (HTML page), poll (PKCE
//! verifier → API key), and the dev inspection of the last email (§3.4).

use std::collections::HashMap;
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Query, State};
use axum::http::header::{HeaderName, HeaderValue, USER_AGENT};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::{Extension, Json};
use td_core::wire::{
    code, DevicePollRequest, DevicePollResponse, DeviceStartRequest, DeviceStartResponse,
    LastEmail, POLL_COMPLETE, POLL_PENDING,
};

use crate::config::EmailProvider;
use crate::emailaddr::is_valid_address;
use crate::error::{ApiError, ApiResult};
use crate::extract::JsonBody;
use crate::middleware::RequestId;
use crate::state::AppState;
use crate::store::challenges::{self, NewDeviceChallenge, DEVICE_LOGIN};
use crate::store::users;
use crate::tokens::{constant_time_eq, pkce_challenge, random_hex, row_id, sha256_hex};

/// Challenge lifetime.
const EXPIRES_MINUTES: i64 = 15;
/// Suggested poll interval (seconds).
const POLL_INTERVAL: i64 = 5;

/// `POST /v1/auth/device/start`.
pub async fn start(
    State(state): State<AppState>,
    Extension(request_id): Extension<RequestId>,
    peer: Option<ConnectInfo<SocketAddr>>,
    headers: HeaderMap,
    JsonBody(req): JsonBody<DeviceStartRequest>,
) -> ApiResult<Json<DeviceStartResponse>> {
    let email = req.email.trim().to_string();
    if !is_valid_address(&email) {
        return Err(ApiError::bad_request("valid email is required"));
    }
    if req.code_challenge.is_empty() {
        return Err(ApiError::bad_request("code_challenge is required"));
    }
    if req.code_challenge_method != "S256" {
        return Err(ApiError::bad_request("code_challenge_method must be S256"));
    }
    let device_code = random_hex(32);
    let answer = Json(DeviceStartResponse {
        device_code: device_code.clone(),
        expires_in: EXPIRES_MINUTES * 60,
        interval: POLL_INTERVAL,
        email_sent: true,
    });
    // A limited start looks exactly like a successful one but creates and sends nothing.
    let bucket = format!("device-start:{}", users::normalize_email(&email));
    if state.resend.check(&bucket, 1).is_err() {
        tracing::info!(email = %email, "device login start suppressed by resend limit");
        return Ok(answer);
    }
    let lookup = email.clone();
    let Some(user) = state
        .db
        .call(move |c| users::find_by_email(c, &lookup))
        .await?
    else {
        // Non-enumeration: unknown emails get the same answer and no email.
        return Ok(answer);
    };
    let (selector, secret) = (random_hex(16), random_hex(32));
    let challenge = NewDeviceChallenge {
        id: row_id("ec_"),
        email: email.clone(),
        user_id: user.id,
        selector: selector.clone(),
        token_hash: sha256_hex(&secret),
        device_code_hash: sha256_hex(&device_code),
        code_challenge: req.code_challenge,
        code_challenge_method: req.code_challenge_method,
        ip: peer
            .map(|p| p.0.ip().to_canonical().to_string())
            .unwrap_or_default(),
        user_agent: header_text(&headers, USER_AGENT),
        expires_at: challenges::expiry_from_now(EXPIRES_MINUTES),
    };
    state
        .db
        .call(move |c| challenges::insert_device(c, &challenge))
        .await?;
    let link = format!(
        "{}/auth/device/approve?token={selector}.{secret}",
        state.config.email_base_url
    );
    state
        .email
        .send(approval_email(&email, &link, &request_id.0));
    Ok(answer)
}

fn header_text(headers: &HeaderMap, name: HeaderName) -> String {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

fn approval_email(to: &str, link: &str, trace_id: &str) -> LastEmail {
    let text = format!(
        "A CLI login was requested for your td account.\n\nClick the link to approve: {link}\n\n\
         This link expires in 15 minutes. If you did not request this, you can ignore this email."
    );
    let href = html_escape(link);
    let html = format!(
        "<p>A CLI login was requested for your td account.</p>\
         <p><a href=\"{href}\">Approve this login</a></p>\
         <p>Or open this link: {href}</p>\
         <p>This link expires in 15 minutes. If you did not request this, you can ignore this \
         email.</p>"
    );
    LastEmail {
        to: to.to_string(),
        subject: "Approve td CLI login".into(),
        text,
        html,
        purpose: DEVICE_LOGIN.into(),
        trace_id: trace_id.to_string(),
    }
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// What the approval page says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Approval {
    Approved,
    Invalid,
    AlreadyUsed,
    Expired,
}

impl Approval {
    fn title_and_text(self) -> (&'static str, &'static str) {
        match self {
            Approval::Approved => (
                "Device approved",
                "Your CLI login is approved. You can close this window and return to the terminal.",
            ),
            Approval::Invalid => ("Invalid link", "This approval link is not valid."),
            Approval::AlreadyUsed => ("Already used", "This approval link has already been used."),
            Approval::Expired => (
                "Link expired",
                "This approval link has expired. Start the login again from the CLI.",
            ),
        }
    }
}

/// `GET /auth/device/approve?token=<selector>.<secret>`: 400 for a malformed token, else
/// always 200 with the outcome as the page title.
pub async fn approve(
    State(state): State<AppState>,
    query: Option<Query<HashMap<String, String>>>,
) -> ApiResult<Response> {
    let token = query.and_then(|Query(q)| q.get("token").cloned());
    let Some((selector, secret)) = token.as_deref().and_then(|t| t.split_once('.')) else {
        return Ok(page(StatusCode::BAD_REQUEST, Approval::Invalid));
    };
    if selector.is_empty() || secret.is_empty() {
        return Ok(page(StatusCode::BAD_REQUEST, Approval::Invalid));
    }
    let (selector, secret_hash) = (selector.to_string(), sha256_hex(secret));
    let outcome = state
        .db
        .call(move |c| {
            let Some(ch) = challenges::find_by_selector(c, &selector)? else {
                return Ok(Approval::Invalid);
            };
            if ch.purpose != DEVICE_LOGIN {
                return Ok(Approval::Invalid);
            }
            // Status first: a used link says so even after it has expired.
            if ch.status != "pending" {
                return Ok(Approval::AlreadyUsed);
            }
            if ch.is_expired() {
                challenges::mark_expired(c, &ch.id)?;
                return Ok(Approval::Expired);
            }
            if !constant_time_eq(&ch.token_hash, &secret_hash) {
                return Ok(Approval::Invalid);
            }
            if !challenges::mark_verified(c, &ch.id)? {
                return Ok(Approval::AlreadyUsed);
            }
            users::mark_verified(c, &ch.user_id)?;
            Ok(Approval::Approved)
        })
        .await?;
    Ok(page(StatusCode::OK, outcome))
}

fn page(status: StatusCode, outcome: Approval) -> Response {
    let (title, text) = outcome.title_and_text();
    let body = format!(
        "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>{title}</title></head>\
         <body><h1>{title}</h1><p>{text}</p></body></html>\n"
    );
    let mut resp = (status, Html(body)).into_response();
    resp.headers_mut().insert(
        HeaderName::from_static("referrer-policy"),
        HeaderValue::from_static("no-referrer"),
    );
    resp
}

/// `POST /v1/auth/device/poll`.
pub async fn poll(
    State(state): State<AppState>,
    JsonBody(req): JsonBody<DevicePollRequest>,
) -> ApiResult<Json<DevicePollResponse>> {
    if req.device_code.is_empty() || req.code_verifier.is_empty() {
        return Err(ApiError::bad_request(
            "device_code and code_verifier are required",
        ));
    }
    let pending = || {
        Json(DevicePollResponse {
            status: POLL_PENDING.into(),
            ..Default::default()
        })
    };
    let hash = sha256_hex(&req.device_code);
    let found = state
        .db
        .call(move |c| challenges::find_by_device_code_hash(c, &hash))
        .await?;
    let Some(ch) = found else {
        return Ok(pending());
    };
    match ch.status.as_str() {
        "pending" => return Ok(pending()),
        "verified" => {}
        "consumed" => return Err(expired("key already issued for this device login")),
        _ => return Err(expired("device login expired")),
    }
    if !constant_time_eq(&pkce_challenge(&req.code_verifier), &ch.code_challenge) {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            code::INVALID_VERIFIER,
            "code_verifier does not match code_challenge",
        ));
    }
    let issued = state
        .db
        .call(move |c| {
            let Some(user) = users::find_by_id(c, &ch.user_id)? else {
                return Ok(Err(ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    code::INVALID_TOKEN,
                    "user not found",
                )));
            };
            let key = challenges::consume_and_issue_key(c, &ch.id, &user.id)?;
            Ok(key
                .map(|k| (k, user))
                .ok_or_else(|| expired("key already issued for this device login")))
        })
        .await??;
    let (key, user) = issued;
    Ok(Json(DevicePollResponse {
        status: POLL_COMPLETE.into(),
        api_key: Some(key.plaintext),
        user_id: Some(user.id),
        email: Some(user.email),
        expires_at: key.expires_at,
    }))
}

fn expired(message: &str) -> ApiError {
    ApiError::new(StatusCode::GONE, code::EXPIRED, message)
}

/// `GET /internal/dev/last-email`: only with inspection on and the memory provider;
/// otherwise (or before any email) a plain 404.
pub async fn last_email(State(state): State<AppState>) -> Response {
    let enabled = state.config.dev_email_inspect && state.email.provider() == EmailProvider::Memory;
    match state.email.last().filter(|_| enabled) {
        Some(email) => Json(email).into_response(),
        None => (StatusCode::NOT_FOUND, "404 page not found\n").into_response(),
    }
}

/// Legacy `POST /v1/auth/login/start|poll` (§3.6).
pub async fn legacy_disabled() -> ApiError {
    ApiError::new(
        StatusCode::GONE,
        code::ENDPOINT_DISABLED,
        "legacy device login is disabled; use device login",
    )
}
