//! Raw HTTP to a world's server, bypassing td and the fault proxies: for tests and
//! benchmarks of td-sync itself (pushes of crafted events, paged pulls, membership changes
//! td has no verb for).

use std::time::Duration;

use serde_json::Value;

use super::world::Harness;
use super::HarnessError;

/// A client of one server's `/v1` API.
pub struct Api {
    base: String,
    agent: ureq::Agent,
}

/// A server's answer, whatever its status.
#[derive(Debug, Clone)]
pub struct ApiResponse {
    pub status: u16,
    pub body: String,
}

impl ApiResponse {
    /// The body as JSON (an error names the status and the body).
    pub fn json(&self) -> Result<Value, HarnessError> {
        serde_json::from_str(&self.body).map_err(|e| {
            HarnessError::setup(
                format!("decode HTTP {} answer", self.status),
                format!("{e}: {}", self.body),
            )
        })
    }
}

impl Api {
    /// A client of the server at `base` (`http://host:port`).
    pub fn new(base: &str) -> Api {
        Api {
            base: base.trim_end_matches('/').to_string(),
            agent: ureq::AgentBuilder::new()
                .timeout(Duration::from_secs(60))
                .build(),
        }
    }

    /// `method path` with an optional bearer key and JSON body. Any HTTP status is an
    /// answer; only transport failures (refused, reset: a dead server) are errors.
    pub fn call(
        &self,
        method: &str,
        path: &str,
        key: Option<&str>,
        body: Option<&Value>,
    ) -> Result<ApiResponse, HarnessError> {
        let mut req = self.agent.request(method, &format!("{}{path}", self.base));
        if let Some(key) = key {
            req = req.set("Authorization", &format!("Bearer {key}"));
        }
        let sent = match body {
            Some(v) => req.send_json(v),
            None => req.call(),
        };
        let resp = match sent {
            Ok(r) | Err(ureq::Error::Status(_, r)) => r,
            Err(e) => return Err(HarnessError::setup(format!("{method} {path}"), e)),
        };
        let status = resp.status();
        let body = resp
            .into_string()
            .map_err(HarnessError::io(format!("read answer of {method} {path}")))?;
        Ok(ApiResponse { status, body })
    }

    /// `POST /v1/projects/<project>/sync/push`.
    pub fn push(
        &self,
        key: &str,
        project: &str,
        body: &Value,
    ) -> Result<ApiResponse, HarnessError> {
        let path = format!("/v1/projects/{project}/sync/push");
        self.call("POST", &path, Some(key), Some(body))
    }

    /// `GET /v1/projects/<project>/sync/pull?after_server_seq=<after>` (server's page size).
    pub fn pull(&self, key: &str, project: &str, after: i64) -> Result<ApiResponse, HarnessError> {
        let path = format!("/v1/projects/{project}/sync/pull?after_server_seq={after}");
        self.call("GET", &path, Some(key), None)
    }

    /// Every event of the project in seq order, page by page.
    pub fn pull_all(&self, key: &str, project: &str) -> Result<Vec<Value>, HarnessError> {
        let mut out = Vec::new();
        loop {
            let after = out.last().and_then(|e: &Value| e["server_seq"].as_i64());
            let page = self.pull(key, project, after.unwrap_or(0))?.json()?;
            let events = page["events"].as_array().cloned().unwrap_or_default();
            if events.is_empty() {
                return Ok(out);
            }
            out.extend(events);
        }
    }
}

impl Harness {
    /// Raw HTTP to this world's server (not through any proxy).
    pub fn api(&self) -> Api {
        Api::new(&self.server_url())
    }
}
