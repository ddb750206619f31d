//! `GET /healthz` and the JSON 404 for unknown routes.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use td_core::wire::StatusBody;

use crate::error::ApiError;
use crate::state::AppState;

/// 200 `{"status":"ok"}` while server.db answers, else 503.
pub async fn healthz(State(state): State<AppState>) -> Response {
    let ping = state
        .db
        .call(|c| Ok(c.query_row("SELECT 1", [], |r| r.get::<_, i64>(0))?))
        .await;
    match ping {
        Ok(_) => Json(StatusBody {
            status: "ok".into(),
            detail: None,
        })
        .into_response(),
        Err(err) => {
            tracing::error!(error = %err, "health check");
            let body = StatusBody {
                status: "error".into(),
                detail: Some("db unreachable".into()),
            };
            (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response()
        }
    }
}

/// Unknown routes.
pub async fn not_found() -> ApiError {
    ApiError::not_found("not found")
}
