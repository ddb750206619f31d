//! [`SyncClient`]: the td-sync HTTP API over ureq (blocking, one agent, 30 s timeout).

use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Serialize;
use td_core::wire::{
    AddMemberRequest, CreateProjectRequest, DevicePollRequest, DevicePollResponse,
    DeviceStartRequest, DeviceStartResponse, Member, Project, PullParams, PullResponse,
    PushRequest, PushResponse, SyncStatus,
};

use super::error::SyncError;
use super::transport::SyncTransport;

/// Per-request timeout of `td sync` (sync spec §7.1).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// A td-sync server as seen by one API key.
#[derive(Debug, Clone)]
pub struct SyncClient {
    base_url: String,
    api_key: Option<String>,
    agent: ureq::Agent,
}

impl SyncClient {
    /// A client for `base_url` (e.g. `http://localhost:8080`); `api_key` is sent as a
    /// bearer token when present.
    pub fn new(base_url: &str, api_key: Option<&str>, timeout: Duration) -> SyncClient {
        SyncClient {
            base_url: base_url.trim_end_matches('/').to_string(),
            api_key: api_key.map(str::to_string),
            agent: ureq::AgentBuilder::new().timeout(timeout).build(),
        }
    }

    /// `POST /v1/projects` → the new project (201).
    pub fn create_project(&self, name: &str, description: &str) -> Result<Project, SyncError> {
        let body = CreateProjectRequest {
            name: name.into(),
            description: description.into(),
        };
        self.send("POST", "/v1/projects", Some(&body), "create project")
    }

    /// `GET /v1/projects` → the caller's projects.
    pub fn list_projects(&self) -> Result<Vec<Project>, SyncError> {
        self.send::<(), _>("GET", "/v1/projects", None, "list projects")
    }

    /// `POST /v1/projects/{id}/members` by email.
    pub fn add_member(
        &self,
        project_id: &str,
        email: &str,
        role: &str,
    ) -> Result<Member, SyncError> {
        let body = AddMemberRequest {
            email: email.into(),
            user_id: String::new(),
            role: role.into(),
        };
        let path = format!("/v1/projects/{project_id}/members");
        self.send("POST", &path, Some(&body), "add member")
    }

    /// `GET /v1/projects/{id}/sync/status`.
    pub fn sync_status(&self, project_id: &str) -> Result<SyncStatus, SyncError> {
        let path = format!("/v1/projects/{project_id}/sync/status");
        self.send::<(), _>("GET", &path, None, "sync status")
    }

    /// `POST /v1/auth/device/start` (no key needed).
    pub fn device_start(
        &self,
        request: &DeviceStartRequest,
    ) -> Result<DeviceStartResponse, SyncError> {
        self.send(
            "POST",
            "/v1/auth/device/start",
            Some(request),
            "device start",
        )
    }

    /// `POST /v1/auth/device/poll` (no key needed).
    pub fn device_poll(
        &self,
        request: &DevicePollRequest,
    ) -> Result<DevicePollResponse, SyncError> {
        self.send("POST", "/v1/auth/device/poll", Some(request), "device poll")
    }

    /// Sends one request and decodes a 2xx JSON answer; ≥ 400 → [`SyncError::Http`] with
    /// the raw body.
    fn send<B: Serialize, T: DeserializeOwned>(
        &self,
        method: &str,
        path: &str,
        body: Option<&B>,
        what: &'static str,
    ) -> Result<T, SyncError> {
        let mut request = self
            .agent
            .request(method, &format!("{}{}", self.base_url, path));
        if let Some(key) = &self.api_key {
            request = request.set("Authorization", &format!("Bearer {key}"));
        }
        let result = match body {
            Some(b) => request.send_json(b),
            None => request.call(),
        };
        let response = result.map_err(http_error)?;
        response.into_json::<T>().map_err(|e| SyncError::Decode {
            what,
            message: e.to_string(),
        })
    }
}

fn http_error(err: ureq::Error) -> SyncError {
    match err {
        ureq::Error::Status(status, response) => SyncError::Http {
            status,
            body: response
                .into_string()
                .unwrap_or_else(|e| format!("<unreadable body: {e}>")),
        },
        ureq::Error::Transport(t) => SyncError::Transport(t.to_string()),
    }
}

impl SyncTransport for SyncClient {
    fn push(&self, project_id: &str, request: &PushRequest) -> Result<PushResponse, SyncError> {
        let path = format!("/v1/projects/{project_id}/sync/push");
        self.send("POST", &path, Some(request), "push")
    }

    fn pull(&self, project_id: &str, params: &PullParams) -> Result<PullResponse, SyncError> {
        let path = format!("/v1/projects/{project_id}/sync/pull?{}", params.to_query());
        self.send::<(), _>("GET", &path, None, "pull")
    }
}
