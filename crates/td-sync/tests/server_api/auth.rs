//! Device login (§3.3), the dev email inspection (§3.4) and legacy routes (§3.6).

use serde_json::json;

use crate::common::{pkce_pair, TestServer};

const ALICE: &str = "alice@test.local";

fn start_body(email: &str, challenge: &str) -> serde_json::Value {
    json!({"email": email, "code_challenge": challenge, "code_challenge_method": "S256",
           "device_name": "laptop"})
}

#[test]
fn device_login_end_to_end_and_reuse_is_refused() {
    let s = TestServer::start(&[ALICE]);
    let (verifier, challenge) = pkce_pair();
    let start = s.post("/v1/auth/device/start", None, start_body(ALICE, &challenge));
    start.expect(200);
    let v = start.json();
    let code = v["device_code"].as_str().unwrap().to_string();
    assert_eq!(code.len(), 64);
    assert!(code
        .bytes()
        .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
    assert_eq!(
        (v["expires_in"].as_i64(), v["interval"].as_i64()),
        (Some(900), Some(5))
    );
    assert_eq!(v["email_sent"], true);

    let mail = s.get("/internal/dev/last-email", None).json();
    assert_eq!(mail["subject"], "Approve td CLI login");
    assert_eq!(mail["purpose"], "device_login");
    assert_eq!(mail["trace_id"].as_str().unwrap().len(), 32);
    let text = mail["text"].as_str().unwrap();
    assert!(text.starts_with("A CLI login was requested for your td account.\n\nClick the link to approve: http://localhost:1/auth/device/approve?token="), "{text}");
    assert!(text.ends_with("\n\nThis link expires in 15 minutes. If you did not request this, you can ignore this email."));

    let poll_body = json!({"device_code": code, "code_verifier": verifier});
    let pending = s.post("/v1/auth/device/poll", None, poll_body.clone());
    pending.expect(200);
    assert_eq!(pending.json(), json!({"status": "pending"}));

    let link = s.local(&s.approval_link(ALICE));
    let page = s.get(&link.replace(&s.base, ""), None);
    page.expect(200);
    assert!(
        page.body.contains("<title>Device approved</title>"),
        "{}",
        page.body
    );
    assert_eq!(page.referrer_policy.as_deref(), Some("no-referrer"));

    let done = s.post("/v1/auth/device/poll", None, poll_body.clone());
    done.expect(200);
    let d = done.json();
    assert_eq!(d["status"], "complete");
    assert_eq!(d["email"], ALICE);
    assert!(d["user_id"].as_str().unwrap().starts_with("u_"));
    assert!(d["expires_at"].as_str().unwrap().ends_with('Z'));
    let key = d["api_key"].as_str().unwrap();
    assert!(key.starts_with("td_live_") && key.len() == 40);
    s.get("/v1/projects", Some(key)).expect(200);

    s.post("/v1/auth/device/poll", None, poll_body)
        .expect_error(410, "expired", "key already issued for this device login");
    let again = s.get(&link.replace(&s.base, ""), None);
    again.expect(200);
    assert!(again.body.contains("<title>Already used</title>"));
}

#[test]
fn unknown_email_looks_the_same_but_sends_nothing() {
    let s = TestServer::start(&[ALICE]);
    let (verifier, challenge) = pkce_pair();
    let r = s.post(
        "/v1/auth/device/start",
        None,
        start_body("nobody@test.local", &challenge),
    );
    r.expect(200);
    let v = r.json();
    assert_eq!(v["email_sent"], true);
    assert_eq!(v["device_code"].as_str().unwrap().len(), 64);
    assert_eq!(s.get("/internal/dev/last-email", None).status, 404);
    let poll = s.post(
        "/v1/auth/device/poll",
        None,
        json!({"device_code": v["device_code"], "code_verifier": verifier}),
    );
    assert_eq!(poll.json(), json!({"status": "pending"}));
}

#[test]
fn second_start_within_a_minute_sends_nothing() {
    let s = TestServer::start(&[ALICE]);
    let (_, challenge) = pkce_pair();
    s.post("/v1/auth/device/start", None, start_body(ALICE, &challenge))
        .expect(200);
    let first = s.get("/internal/dev/last-email", None).json();
    let second = s.post(
        "/v1/auth/device/start",
        None,
        start_body("ALICE@test.local", &challenge),
    );
    second.expect(200);
    assert_eq!(second.json()["email_sent"], true);
    assert_eq!(s.get("/internal/dev/last-email", None).json(), first);
}

#[test]
fn wrong_verifier_is_refused_and_does_not_consume() {
    let s = TestServer::start(&[ALICE]);
    let (verifier, challenge) = pkce_pair();
    let code = s
        .post("/v1/auth/device/start", None, start_body(ALICE, &challenge))
        .json()["device_code"]
        .clone();
    let link = s.local(&s.approval_link(ALICE));
    s.get(&link.replace(&s.base, ""), None).expect(200);
    let (other, _) = pkce_pair();
    s.post(
        "/v1/auth/device/poll",
        None,
        json!({"device_code": code, "code_verifier": other}),
    )
    .expect_code(401, "invalid_verifier");
    let ok = s.post(
        "/v1/auth/device/poll",
        None,
        json!({"device_code": code, "code_verifier": verifier}),
    );
    assert_eq!(ok.json()["status"], "complete");
}

#[test]
fn start_and_poll_validate_their_input() {
    let s = TestServer::start(&[ALICE]);
    let (_, challenge) = pkce_pair();
    for email in ["", "not-an-email", "a@", "@b"] {
        s.post("/v1/auth/device/start", None, start_body(email, &challenge))
            .expect_error(400, "bad_request", "valid email is required");
    }
    s.post("/v1/auth/device/start", None, start_body(ALICE, ""))
        .expect_error(400, "bad_request", "code_challenge is required");
    s.post(
        "/v1/auth/device/start",
        None,
        json!({"email": ALICE, "code_challenge": challenge, "code_challenge_method": "plain"}),
    )
    .expect_error(400, "bad_request", "code_challenge_method must be S256");
    for body in [
        json!({}),
        json!({"device_code": "x"}),
        json!({"code_verifier": "y"}),
    ] {
        s.post("/v1/auth/device/poll", None, body).expect_error(
            400,
            "bad_request",
            "device_code and code_verifier are required",
        );
    }
}

#[test]
fn approve_page_titles_for_bad_tokens() {
    let s = TestServer::start(&[ALICE]);
    for (path, status, title) in [
        ("/auth/device/approve", 400, "Invalid link"),
        ("/auth/device/approve?token=nodot", 400, "Invalid link"),
        ("/auth/device/approve?token=.x", 400, "Invalid link"),
        ("/auth/device/approve?token=abc.def", 200, "Invalid link"),
    ] {
        let r = s.get(path, None);
        assert_eq!(r.status, status, "{path}");
        assert!(
            r.body.contains(&format!("<title>{title}</title>")),
            "{path}: {}",
            r.body
        );
        assert_eq!(r.referrer_policy.as_deref(), Some("no-referrer"));
    }
    let (_, challenge) = pkce_pair();
    s.post("/v1/auth/device/start", None, start_body(ALICE, &challenge))
        .expect(200);
    let link = s.local(&s.approval_link(ALICE));
    let (head, _) = link.rsplit_once('.').unwrap();
    let wrong = format!("{head}.{}", "0".repeat(64)).replace(&s.base, "");
    let r = s.get(&wrong, None);
    r.expect(200);
    assert!(r.body.contains("<title>Invalid link</title>"));
    // The right secret still works afterwards.
    assert!(s
        .get(&link.replace(&s.base, ""), None)
        .body
        .contains("Device approved"));
}

#[test]
fn last_email_is_gated() {
    let s = TestServer::start_with(&[ALICE], |c| c.dev_email_inspect = false);
    let (_, challenge) = pkce_pair();
    s.post("/v1/auth/device/start", None, start_body(ALICE, &challenge))
        .expect(200);
    assert_eq!(s.get("/internal/dev/last-email", None).status, 404);
}

#[test]
fn legacy_login_is_disabled() {
    let s = TestServer::start(&[ALICE]);
    for path in ["/v1/auth/login/start", "/v1/auth/login/poll"] {
        s.post(path, None, json!({}))
            .expect_code(410, "endpoint_disabled");
    }
}
