//! Cross-cutting middleware (§4.1): panic → 500, `X-Request-ID`, request logging, and the
//! per-IP rate limit on auth paths (§4.3).

use std::any::Any;
use std::net::SocketAddr;
use std::time::Instant;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;
use crate::extract::record_refusal;
use crate::state::AppState;
use crate::tokens::random_hex;

/// The request's id (32 hex), also sent as `X-Request-ID` and used as email `trace_id`.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Assigns a request id and echoes it in the response.
pub async fn request_id(mut req: Request, next: Next) -> Response {
    let id = random_hex(16);
    req.extensions_mut().insert(RequestId(id.clone()));
    let mut resp = next.run(req).await;
    if let Ok(value) = HeaderValue::from_str(&id) {
        resp.headers_mut().insert(X_REQUEST_ID.clone(), value);
    }
    resp
}

/// One log line per request.
pub async fn log_requests(req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let id = req
        .extensions()
        .get::<RequestId>()
        .map(|r| r.0.clone())
        .unwrap_or_default();
    let resp = next.run(req).await;
    tracing::info!(
        request_id = %id,
        method = %method,
        path = %path,
        status = resp.status().as_u16(),
        duration_ms = started.elapsed().as_millis() as u64,
        "request"
    );
    resp
}

/// Per-IP windows before routing: device poll counts against OTHER in its own bucket,
/// every other `/auth/…` or `/v1/auth/…` path against AUTH.
pub async fn ip_rate_limit(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    if !(path.starts_with("/auth/") || path.starts_with("/v1/auth/")) {
        return next.run(req).await;
    }
    let ip = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_canonical().to_string())
        .unwrap_or_else(|| "unknown".into());
    let limits = state.config.rate_limits;
    let is_poll = path == "/v1/auth/device/poll" || path == "/v1/auth/login/poll";
    let (class, limit) = if is_poll {
        ("poll", limits.other)
    } else {
        ("auth", limits.auth)
    };
    let bucket = format!("ip-{class}:{ip}:{limit}");
    match state.limiter.check(&bucket, limit) {
        Ok(()) => next.run(req).await,
        Err(retry) => {
            record_refusal(&state, "", &ip, if is_poll { "poll" } else { "auth" });
            ApiError::rate_limited(retry).into_response()
        }
    }
}

/// A panicking handler answers 500 `internal_error`; the server keeps serving.
pub fn panic_response(panic: Box<dyn Any + Send + 'static>) -> Response {
    let detail = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("unknown panic");
    tracing::error!(panic = detail, "handler panicked");
    ApiError::internal("internal server error").into_response()
}
