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

/// The per-request timeout: `TD_SYNC_TIMEOUT` (`500ms`, `2s`, or plain seconds) when set
/// and valid, else [`DEFAULT_TIMEOUT`]. A test harness shortens it so a request that is
/// never answered costs seconds, not half a minute.
pub fn request_timeout() -> Duration {
    std::env::var("TD_SYNC_TIMEOUT")
        .ok()
        .and_then(|v| parse_timeout(&v))
        .unwrap_or(DEFAULT_TIMEOUT)
}

fn parse_timeout(v: &str) -> Option<Duration> {
    let v = v.trim();
    let d = if let Some(ms) = v.strip_suffix("ms") {
        Duration::from_millis(ms.parse().ok()?)
    } else {
        Duration::from_secs(v.strip_suffix('s').unwrap_or(v).parse().ok()?)
    };
    (!d.is_zero()).then_some(d)
}

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

#[cfg(test)]
mod tests {
    #[test]
    fn timeout_override_parses_units_and_rejects_nonsense() {
        assert_eq!(parse_timeout("500ms"), Some(Duration::from_millis(500)));
        assert_eq!(parse_timeout("2s"), Some(Duration::from_secs(2)));
        assert_eq!(parse_timeout("3"), Some(Duration::from_secs(3)));
        assert_eq!(parse_timeout("0"), None);
        assert_eq!(parse_timeout("soon"), None);
    }

    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::TcpListener;
    use std::sync::mpsc;

    use td_core::wire::PushEvent;

    use super::*;

    /// Serves one canned response on a fresh port; the request's head and body come back
    /// on the channel.
    fn serve_once(status: &str, body: &str) -> (String, mpsc::Receiver<String>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let response = format!(
            "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let (stream, _) = listener.accept().unwrap();
            stream
                .set_read_timeout(Some(Duration::from_secs(10)))
                .unwrap();
            let mut reader = BufReader::new(stream);
            let mut request = String::new();
            let mut length = 0;
            loop {
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap();
                }
                request.push_str(&line);
                if line == "\r\n" || line.is_empty() {
                    break;
                }
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            request.push_str(&String::from_utf8_lossy(&body));
            reader.get_mut().write_all(response.as_bytes()).unwrap();
            tx.send(request).unwrap();
        });
        (url, rx)
    }

    fn received(rx: &mpsc::Receiver<String>) -> String {
        rx.recv_timeout(Duration::from_secs(10)).unwrap()
    }

    #[test]
    fn error_status_keeps_the_raw_body() {
        let body = r#"{"error":{"code":"rate_limited","message":"rate limit exceeded"}}"#;
        let (url, rx) = serve_once("429 Too Many Requests", body);
        let client = SyncClient::new(&url, Some("td_key"), DEFAULT_TIMEOUT);
        let params = PullParams {
            after_server_seq: 7,
            limit: Some(1000),
            exclude_client: None,
        };
        let err = client.pull("p_1", &params).unwrap_err();
        assert_eq!(err.to_string(), format!("HTTP 429: {body}"));
        assert_eq!(err.status(), Some(429));
        let request = received(&rx);
        assert!(
            request.starts_with("GET /v1/projects/p_1/sync/pull?after_server_seq=7&limit=1000 "),
            "{request}"
        );
        assert!(
            request.contains("Authorization: Bearer td_key\r\n"),
            "{request}"
        );
    }

    #[test]
    fn push_sends_json_and_decodes_the_answer() {
        let (url, rx) = serve_once(
            "200 OK",
            r#"{"accepted":1,"acks":[{"client_action_id":3,"server_seq":9}]}"#,
        );
        let client = SyncClient::new(&url, Some("k"), DEFAULT_TIMEOUT);
        let request = PushRequest {
            device_id: "d".into(),
            session_id: "s".into(),
            events: vec![PushEvent {
                client_action_id: 3,
                ..PushEvent::default()
            }],
        };
        let resp = client.push("p_1", &request).unwrap();
        assert_eq!(resp.acks()[0].server_seq, 9);
        let sent = received(&rx);
        assert!(
            sent.starts_with("POST /v1/projects/p_1/sync/push "),
            "{sent}"
        );
        let body = &sent[sent.find("\r\n\r\n").unwrap() + 4..];
        let decoded: PushRequest = serde_json::from_str(body).unwrap();
        assert_eq!(decoded, request);
    }

    #[test]
    fn unreachable_server_is_a_transport_error() {
        // Bind then drop: nothing listens on the port any more.
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let client = SyncClient::new(&format!("http://127.0.0.1:{port}"), None, DEFAULT_TIMEOUT);
        let err = client.list_projects().unwrap_err();
        assert!(err.to_string().starts_with("http request: "), "{err}");
        assert_eq!(err.status(), None);
    }
}
