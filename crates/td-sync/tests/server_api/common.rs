//! An in-process td-sync on port 0 with a temp data dir, and a small HTTP client on ureq.

use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use td_sync::config::{EmailProvider, RateLimits};
use td_sync::{Config, ServerHandle};
use tempfile::TempDir;

/// Limits high enough that only the rate-limit tests ever see a 429.
pub const HIGH: RateLimits = RateLimits {
    auth: 10_000,
    push: 10_000,
    pull: 10_000,
    other: 10_000,
};

pub struct TestServer {
    pub dir: TempDir,
    http: Http,
    handle: Option<ServerHandle>,
}

impl std::ops::Deref for TestServer {
    type Target = Http;

    fn deref(&self) -> &Http {
        &self.http
    }
}

/// A client for one server base URL.
pub struct Http {
    pub base: String,
    agent: ureq::Agent,
}

impl TestServer {
    /// A server with `users` created beforehand (the first one is admin), memory email with
    /// inspection, and high rate limits.
    pub fn start(users: &[&str]) -> TestServer {
        TestServer::start_with(users, |_| {})
    }

    pub fn start_with(users: &[&str], tweak: impl FnOnce(&mut Config)) -> TestServer {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut config = Config::in_dir(dir.path());
        config.email_provider = EmailProvider::Memory;
        config.dev_email_inspect = true;
        config.email_base_url = "http://localhost:1".into();
        config.rate_limits = HIGH;
        config.shutdown_timeout = Duration::from_secs(5);
        tweak(&mut config);
        for email in users {
            admin(&config, &["create-user", "--email", email]);
        }
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind port 0");
        let handle = td_sync::start(listener, config).expect("start server");
        TestServer {
            dir,
            http: Http::new(&handle.url()),
            handle: Some(handle),
        }
    }

    pub fn db_path(&self) -> std::path::PathBuf {
        self.dir.path().join("server.db")
    }

    /// Stops the server and waits for it.
    pub fn stop(&mut self) {
        if let Some(h) = self.handle.take() {
            h.shutdown().expect("clean shutdown");
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.stop();
    }
}

impl Http {
    pub fn new(base: &str) -> Http {
        let agent = ureq::AgentBuilder::new()
            .timeout(Duration::from_secs(60))
            .build();
        Http {
            base: base.to_string(),
            agent,
        }
    }

    /// Sends a request; any status comes back as a [`Resp`], transport errors panic.
    pub fn call(&self, method: &str, path: &str, key: Option<&str>, body: Body) -> Resp {
        self.try_call(method, path, key, body)
            .unwrap_or_else(|e| panic!("{method} {path}: transport error {e}"))
    }

    /// Like [`Http::call`], returning transport errors (connection refused, reset…).
    pub fn try_call(
        &self,
        method: &str,
        path: &str,
        key: Option<&str>,
        body: Body,
    ) -> Result<Resp, Box<ureq::Error>> {
        let mut req = self.agent.request(method, &format!("{}{path}", self.base));
        if let Some(key) = key {
            req = req.set("Authorization", &format!("Bearer {key}"));
        }
        let result = match body {
            Body::None => req.call(),
            Body::Json(v) => req.send_json(v),
            Body::Raw(bytes) => req
                .set("Content-Type", "application/json")
                .send_bytes(&bytes),
        };
        match result {
            Ok(r) | Err(ureq::Error::Status(_, r)) => Ok(Resp::read(r)),
            Err(e) => Err(Box::new(e)),
        }
    }

    pub fn get(&self, path: &str, key: Option<&str>) -> Resp {
        self.call("GET", path, key, Body::None)
    }

    pub fn post(&self, path: &str, key: Option<&str>, body: Value) -> Resp {
        self.call("POST", path, key, Body::Json(body))
    }

    /// Device login as §3.3 describes the harness doing it; returns the API key.
    pub fn login(&self, email: &str) -> String {
        let (verifier, challenge) = pkce_pair();
        let start = self.post(
            "/v1/auth/device/start",
            None,
            json!({"email": email, "code_challenge": challenge,
                   "code_challenge_method": "S256", "device_name": "test"}),
        );
        start.expect(200);
        let code = start.json()["device_code"].as_str().unwrap().to_string();
        let link = self.approval_link(email);
        let page = self.agent.get(&self.local(&link)).call().expect("approve");
        assert_eq!(page.status(), 200);
        let poll = self.post(
            "/v1/auth/device/poll",
            None,
            json!({"device_code": code, "code_verifier": verifier}),
        );
        poll.expect(200);
        assert_eq!(poll.json()["status"], "complete", "{}", poll.body);
        poll.json()["api_key"].as_str().unwrap().to_string()
    }

    /// The approval link of the last email, which must be addressed to `email`.
    pub fn approval_link(&self, email: &str) -> String {
        let mail = self.get("/internal/dev/last-email", None);
        mail.expect(200);
        assert_eq!(mail.json()["to"], email);
        let text = mail.json()["text"].as_str().unwrap().to_string();
        let at = text
            .find("/auth/device/approve?token=")
            .expect("link in email");
        let start = text[..at].rfind("http").expect("absolute link");
        let end = text[at..]
            .find(char::is_whitespace)
            .map_or(text.len(), |n| at + n);
        text[start..end].to_string()
    }

    /// Re-points an emailed link (built from the configured base URL) at this server.
    pub fn local(&self, link: &str) -> String {
        let path = &link[link.find("/auth/").unwrap()..];
        format!("{}{path}", self.base)
    }

    /// Creates a project as `key`; returns its id.
    pub fn create_project(&self, key: &str, name: &str) -> String {
        let r = self.post("/v1/projects", Some(key), json!({"name": name}));
        r.expect(201);
        r.json()["id"].as_str().unwrap().to_string()
    }

    /// Adds `email` to the project as `role` (as the owner `key`).
    pub fn add_member(&self, key: &str, project: &str, email: &str, role: &str) -> Value {
        let r = self.post(
            &format!("/v1/projects/{project}/members"),
            Some(key),
            json!({"email": email, "role": role}),
        );
        r.expect(201);
        r.json()
    }

    pub fn push(&self, key: &str, project: &str, body: Value) -> Resp {
        self.post(
            &format!("/v1/projects/{project}/sync/push"),
            Some(key),
            body,
        )
    }

    pub fn pull(&self, key: &str, project: &str, query: &str) -> Resp {
        self.get(
            &format!("/v1/projects/{project}/sync/pull?{query}"),
            Some(key),
        )
    }
}

/// Runs an admin command against the server's DB.
pub fn admin(config: &Config, args: &[&str]) -> String {
    let mut v: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    v.push("--db".into());
    v.push(config.server_db_path.display().to_string());
    td_sync::admin::run(&v, None).expect("admin command")
}

pub enum Body {
    None,
    Json(Value),
    Raw(Vec<u8>),
}

#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub body: String,
    pub retry_after: Option<String>,
    pub content_type: Option<String>,
    pub referrer_policy: Option<String>,
    pub request_id: Option<String>,
}

impl Resp {
    fn read(r: ureq::Response) -> Resp {
        let header = |n: &str| r.header(n).map(str::to_string);
        let (retry_after, content_type, referrer_policy, request_id) = (
            header("Retry-After"),
            header("Content-Type"),
            header("Referrer-Policy"),
            header("X-Request-ID"),
        );
        let status = r.status();
        let body = r.into_string().expect("read body");
        Resp {
            status,
            body,
            retry_after,
            content_type,
            referrer_policy,
            request_id,
        }
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {}", self.body))
    }

    pub fn expect(&self, status: u16) {
        assert_eq!(self.status, status, "body: {}", self.body);
    }

    /// Asserts status and the nested error body's code and message.
    pub fn expect_error(&self, status: u16, code: &str, message: &str) {
        self.expect(status);
        let v = self.json();
        assert_eq!(v["error"]["code"], code, "body: {}", self.body);
        assert_eq!(v["error"]["message"], message, "body: {}", self.body);
    }

    /// Asserts status and that the body is the nested error shape with `code`.
    pub fn expect_code(&self, status: u16, code: &str) {
        self.expect(status);
        assert_eq!(self.json()["error"]["code"], code, "body: {}", self.body);
    }
}

/// verifier = base64url(32 random bytes), challenge = base64url(SHA-256(verifier)).
pub fn pkce_pair() -> (String, String) {
    let mut raw = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut raw);
    let verifier = URL_SAFE_NO_PAD.encode(raw);
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}

/// `n` push events with client_action_ids `first..first+n`.
pub fn events(first: i64, n: i64) -> Vec<Value> {
    (first..first + n)
        .map(|i| {
            json!({
                "client_action_id": i,
                "action_type": "create",
                "entity_type": "issues",
                "entity_id": format!("td-{i:06}"),
                "payload": {"schema_version": 1, "new_data": {"id": format!("td-{i:06}"),
                            "title": format!("issue {i}")}, "previous_data": {}},
                "client_timestamp": "2026-01-02T03:04:05Z",
            })
        })
        .collect()
}

/// A push body from `device`/`session`.
pub fn push_body(device: &str, session: &str, events: Vec<Value>) -> Value {
    json!({"device_id": device, "session_id": session, "events": events})
}

/// The seqs of a push response's acks, in order.
pub fn ack_seqs(resp: &Resp) -> Vec<i64> {
    resp.json()["acks"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|x| x["server_seq"].as_i64().unwrap())
                .collect()
        })
        .unwrap_or_default()
}
