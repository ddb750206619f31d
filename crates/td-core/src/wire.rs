//! The td ↔ td-sync wire protocol (sync spec §3.3, §4, §5, §6): request and response bodies,
//! the nested error body, and the local-only payload scrub (§2.3).
//!
//! Request types default every missing field to its zero value (`#[serde(default)]`), as the
//! original Go server does, so "missing" and "empty" are refused with the same message.
//! Unknown fields are ignored. All types serialize and deserialize, so the client and the
//! server share them.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Most events one push request may carry.
pub const MAX_PUSH_BATCH: usize = 1000;
/// Events per push request the td client sends.
pub const CLIENT_PUSH_BATCH: usize = 500;
/// Pull page size when `limit` is absent.
pub const DEFAULT_PULL_LIMIT: i64 = 1000;
/// Larger pull limits are clamped to this.
pub const MAX_PULL_LIMIT: i64 = 10_000;
/// `reason` of a rejection whose dedup key already exists (it carries the original seq).
pub const REJECT_DUPLICATE: &str = "duplicate";
/// `reason` of a rejection for an event with an empty `entity_id`.
pub const REJECT_EMPTY_ENTITY_ID: &str = "empty entity_id";

/// Fields of `work_sessions` payloads that describe the author's machine and never travel.
pub const LOCAL_ONLY_WORK_SESSION_FIELDS: &[&str] = &["worktree_id", "worktree_root", "repo_root"];

/// Error codes the server puts in [`ErrorDetail::code`].
pub mod code {
    pub const BAD_REQUEST: &str = "bad_request";
    pub const UNAUTHORIZED: &str = "unauthorized";
    pub const FORBIDDEN: &str = "forbidden";
    pub const INSUFFICIENT_SCOPE: &str = "insufficient_scope";
    pub const NOT_FOUND: &str = "not_found";
    pub const CONFLICT: &str = "conflict";
    pub const RATE_LIMITED: &str = "rate_limited";
    pub const INTERNAL_ERROR: &str = "internal_error";
    pub const INVALID_VERIFIER: &str = "invalid_verifier";
    pub const INVALID_TOKEN: &str = "invalid_token";
    pub const EXPIRED: &str = "expired";
    pub const NO_EVENTS: &str = "no_events";
    pub const LAST_OWNER: &str = "last_owner";
    pub const ENDPOINT_DISABLED: &str = "endpoint_disabled";
}

/// Every error response: `{"error":{"code":"…","message":"…"}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// The inner object of [`ErrorBody`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDetail {
    pub code: String,
    pub message: String,
}

impl ErrorBody {
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        ErrorBody {
            error: ErrorDetail {
                code: code.to_string(),
                message: message.into(),
            },
        }
    }
}

/// A body that is only a status word: `{"status":"ok"}` from `/healthz`, `{"status":"updated"}`
/// from a member role change.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct StatusBody {
    pub status: String,
    /// Only on an unhealthy `/healthz` (503): `db unreachable`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

// ----------------------------------------------------------------------------------------
// Device login (§3.3)

/// `POST /v1/auth/device/start`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct DeviceStartRequest {
    pub email: String,
    pub code_challenge: String,
    /// Must be `S256`.
    pub code_challenge_method: String,
    /// Ignored by the server.
    pub device_name: String,
}

/// Answer to every non-error device start, whether or not an email was sent.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct DeviceStartResponse {
    /// 64 lowercase hex.
    pub device_code: String,
    /// Seconds (900).
    pub expires_in: i64,
    /// Suggested poll interval in seconds (5).
    pub interval: i64,
    /// Always true.
    pub email_sent: bool,
}

/// `POST /v1/auth/device/poll`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct DevicePollRequest {
    pub device_code: String,
    pub code_verifier: String,
}

/// Poll status while the link has not been approved.
pub const POLL_PENDING: &str = "pending";
/// Poll status carrying the issued key.
pub const POLL_COMPLETE: &str = "complete";

/// `{"status":"pending"}` or `{"status":"complete","api_key","user_id","email","expires_at"}`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct DevicePollResponse {
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// RFC3339.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
}

/// `GET /internal/dev/last-email` (memory provider with inspection enabled).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct LastEmail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub purpose: String,
    pub trace_id: String,
}

// ----------------------------------------------------------------------------------------
// Projects and members (§4.2)

/// A project as the API renders it; times are RFC3339 seconds in UTC.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Project {
    pub id: String,
    pub name: String,
    pub description: String,
    pub slug: String,
    pub created_at: String,
    pub updated_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<String>,
}

/// `POST /v1/projects`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct CreateProjectRequest {
    pub name: String,
    pub description: String,
}

/// `PATCH /v1/projects/{id}`: absent fields are left alone.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct UpdateProjectRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// A membership as the API renders it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Member {
    pub project_id: String,
    pub user_id: String,
    pub email: String,
    /// `owner`, `writer` or `reader`.
    pub role: String,
    pub invited_by: String,
    pub created_at: String,
}

/// `POST /v1/projects/{id}/members`: `email` or `user_id`, plus `role`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct AddMemberRequest {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub email: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub user_id: String,
    pub role: String,
}

/// `PATCH /v1/projects/{id}/members/{user_id}`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct UpdateMemberRequest {
    pub role: String,
}

// ----------------------------------------------------------------------------------------
// Push (§5)

/// `POST /v1/projects/{id}/sync/push`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct PushRequest {
    /// auth.json `device_id` (32 hex).
    pub device_id: String,
    /// The pushing process's current td session id, the same for every event.
    pub session_id: String,
    pub events: Vec<PushEvent>,
}

/// One action_log row on its way up.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct PushEvent {
    /// The action_log rowid.
    pub client_action_id: i64,
    /// Canonical action (`create`, `update`, `delete`, `soft_delete`, `restore`).
    pub action_type: String,
    /// Canonical entity type (plural table name).
    pub entity_type: String,
    pub entity_id: String,
    /// `{"schema_version":1,"new_data":{…},"previous_data":{…}}`.
    pub payload: Value,
    /// RFC3339 (the client sends whole seconds).
    pub client_timestamp: String,
}

/// Answer to a push: acks and rejections, both in request order.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct PushResponse {
    /// Number of events stored by this request (duplicates not counted).
    pub accepted: i64,
    /// `null` when nothing was inserted.
    pub acks: Option<Vec<Ack>>,
    /// Omitted when empty.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rejected: Vec<Rejection>,
}

impl PushResponse {
    /// The acks, treating `null` as empty.
    pub fn acks(&self) -> &[Ack] {
        self.acks.as_deref().unwrap_or(&[])
    }
}

/// A stored event's seq.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Ack {
    pub client_action_id: i64,
    pub server_seq: i64,
}

/// An event not stored by this request. A `duplicate` carries the original seq.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Rejection {
    pub client_action_id: i64,
    pub reason: String,
    /// Present only when non-zero.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server_seq: Option<i64>,
}

// ----------------------------------------------------------------------------------------
// Pull and status (§6)

/// Query of `GET /v1/projects/{id}/sync/pull`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PullParams {
    pub after_server_seq: i64,
    /// `None` = server default (1000).
    pub limit: Option<i64>,
    /// Device id whose events are left out.
    pub exclude_client: Option<String>,
}

impl PullParams {
    /// The query string (without `?`); values are percent-encoded.
    pub fn to_query(&self) -> String {
        let mut q = format!("after_server_seq={}", self.after_server_seq);
        if let Some(limit) = self.limit {
            q.push_str(&format!("&limit={limit}"));
        }
        if let Some(dev) = &self.exclude_client {
            q.push_str("&exclude_client=");
            q.push_str(&percent_encode(dev));
        }
        q
    }
}

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// One page of the event log.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct PullResponse {
    /// Ascending by seq; `[]` when empty.
    pub events: Vec<PullEvent>,
    /// Seq of the last returned event, else the request's `after_server_seq`.
    pub last_server_seq: i64,
    /// True when the page is full (there may be nothing left).
    pub has_more: bool,
}

/// A stored event on its way down.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct PullEvent {
    pub server_seq: i64,
    pub device_id: String,
    pub session_id: String,
    pub client_action_id: i64,
    pub action_type: String,
    pub entity_type: String,
    pub entity_id: String,
    pub payload: Value,
    /// RFC3339 (fraction optional).
    pub client_timestamp: String,
}

/// `GET /v1/projects/{id}/sync/status`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct SyncStatus {
    pub event_count: i64,
    /// 0 when the log is empty.
    pub last_server_seq: i64,
    /// `server_timestamp` text of the latest event; omitted when there is none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_event_time: Option<String>,
}

// ----------------------------------------------------------------------------------------
// Local-only field scrub (§2.3)

/// Removes the local-only fields of `entity_type` (canonical; only `work_sessions` has any)
/// from a payload: at its top level and inside `new_data` / `previous_data`. Anything that is
/// not an object is left alone. Returns true when something was removed.
pub fn scrub_payload(entity_type: &str, payload: &mut Value) -> bool {
    if entity_type != "work_sessions" {
        return false;
    }
    let Value::Object(top) = payload else {
        return false;
    };
    let mut removed = scrub_map(top);
    for side in ["new_data", "previous_data"] {
        if let Some(Value::Object(inner)) = top.get_mut(side) {
            removed |= scrub_map(inner);
        }
    }
    removed
}

fn scrub_map(map: &mut serde_json::Map<String, Value>) -> bool {
    let mut removed = false;
    for field in LOCAL_ONLY_WORK_SESSION_FIELDS {
        removed |= map.remove(*field).is_some();
    }
    removed
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn error_body_is_nested() {
        let body = serde_json::to_value(ErrorBody::new(code::RATE_LIMITED, "rate limit exceeded"))
            .unwrap();
        assert_eq!(
            body,
            json!({"error":{"code":"rate_limited","message":"rate limit exceeded"}})
        );
    }

    #[test]
    fn push_response_shapes() {
        let empty = PushResponse {
            accepted: 0,
            acks: None,
            rejected: vec![Rejection {
                client_action_id: 3,
                reason: REJECT_DUPLICATE.into(),
                server_seq: Some(7),
            }],
        };
        assert_eq!(
            serde_json::to_value(&empty).unwrap(),
            json!({"accepted":0,"acks":null,"rejected":[
                {"client_action_id":3,"reason":"duplicate","server_seq":7}]})
        );
        let ok: PushResponse = serde_json::from_str(
            r#"{"accepted":1,"acks":[{"client_action_id":1,"server_seq":1}]}"#,
        )
        .unwrap();
        assert_eq!(ok.acks().len(), 1);
        assert!(ok.rejected.is_empty());
    }

    #[test]
    fn missing_request_fields_default_to_empty() {
        let req: PushRequest = serde_json::from_str(r#"{"events":[{}]}"#).unwrap();
        assert_eq!(req.device_id, "");
        assert_eq!(req.events[0].payload, Value::Null);
        assert!(serde_json::from_str::<PushRequest>(r#"{"events":"x"}"#).is_err());
    }

    #[test]
    fn pull_query_encodes_device() {
        let p = PullParams {
            after_server_seq: 5,
            limit: Some(10),
            exclude_client: Some("a b".into()),
        };
        assert_eq!(
            p.to_query(),
            "after_server_seq=5&limit=10&exclude_client=a%20b"
        );
    }

    #[test]
    fn scrub_removes_local_fields_only_for_work_sessions() {
        let mut p = json!({"worktree_id":"w","new_data":{"repo_root":"/r","name":"n"},
                           "previous_data":{"worktree_root":"/x"}});
        let mut other = p.clone();
        assert!(scrub_payload("work_sessions", &mut p));
        assert_eq!(p, json!({"new_data":{"name":"n"},"previous_data":{}}));
        assert!(!scrub_payload("issues", &mut other));
        assert!(other.get("worktree_id").is_some());
    }
}
