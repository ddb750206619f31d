//! The one router: every route of §4.2 and the middleware stack of §4.1.

use axum::extract::DefaultBodyLimit;
use axum::middleware::{from_fn, from_fn_with_state};
use axum::routing::{get, patch, post};
use axum::Router;
use tower_http::catch_panic::CatchPanicLayer;

use crate::api::{device, health, members, projects, sync};
use crate::middleware;
use crate::state::AppState;

/// Request bodies above this are refused as `invalid json body`.
pub const MAX_BODY_BYTES: usize = 10 * 1024 * 1024;

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/v1/auth/device/start", post(device::start))
        .route("/v1/auth/device/poll", post(device::poll))
        .route("/auth/device/approve", get(device::approve))
        .route("/v1/auth/login/start", post(device::legacy_disabled))
        .route("/v1/auth/login/poll", post(device::legacy_disabled))
        .route("/internal/dev/last-email", get(device::last_email))
        .route("/v1/projects", post(projects::create).get(projects::list))
        .route(
            "/v1/projects/:id",
            get(projects::get)
                .patch(projects::update)
                .delete(projects::delete),
        )
        .route(
            "/v1/projects/:id/members",
            post(members::add).get(members::list),
        )
        .route(
            "/v1/projects/:id/members/:user_id",
            patch(members::update).delete(members::remove),
        )
        .route("/v1/projects/:id/sync/push", post(sync::push))
        .route("/v1/projects/:id/sync/pull", get(sync::pull))
        .route("/v1/projects/:id/sync/status", get(sync::status))
        .route("/v1/projects/:id/sync/snapshot", get(sync::snapshot))
        .fallback(health::not_found)
        // Layers wrap outward: the last one added runs first.
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(from_fn_with_state(state.clone(), middleware::ip_rate_limit))
        .layer(from_fn(middleware::log_requests))
        .layer(from_fn(middleware::request_id))
        .layer(CatchPanicLayer::custom(middleware::panic_response))
        .with_state(state)
}
