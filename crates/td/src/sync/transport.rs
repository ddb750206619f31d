//! The two requests push and pull need, behind a trait so they run against a fake.

use td_core::wire::{PullParams, PullResponse, PushRequest, PushResponse};

use super::error::SyncError;

/// How push and pull talk to the server.
pub trait SyncTransport {
    /// `POST /v1/projects/{project_id}/sync/push`.
    fn push(&self, project_id: &str, request: &PushRequest) -> Result<PushResponse, SyncError>;
    /// `GET /v1/projects/{project_id}/sync/pull?…`.
    fn pull(&self, project_id: &str, params: &PullParams) -> Result<PullResponse, SyncError>;
}
