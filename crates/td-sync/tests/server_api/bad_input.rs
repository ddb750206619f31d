//! Bad input is a 4xx with the nested error body, never a 5xx, and the server keeps serving.

use serde_json::{json, Value};

use crate::common::{events, push_body, Body, TestServer};

const ALICE: &str = "alice@test.local";

fn setup() -> (TestServer, String, String) {
    let s = TestServer::start(&[ALICE]);
    let key = s.login(ALICE);
    let p = s.create_project(&key, "demo");
    (s, key, p)
}

fn raw(
    s: &TestServer,
    method: &str,
    path: &str,
    key: Option<&str>,
    body: &str,
) -> crate::common::Resp {
    s.call(method, path, key, Body::Raw(body.as_bytes().to_vec()))
}

#[test]
fn malformed_and_mistyped_json_is_400_invalid_json_body() {
    let (s, key, p) = setup();
    let push = format!("/v1/projects/{p}/sync/push");
    let cases: Vec<(&str, String, &str)> = vec![
        ("POST", push.clone(), "{"),
        ("POST", push.clone(), ""),
        ("POST", push.clone(), "null"),
        ("POST", push.clone(), "[]"),
        (
            "POST",
            push.clone(),
            r#"{"device_id":"d","session_id":"s","events":"x"}"#,
        ),
        (
            "POST",
            push.clone(),
            r#"{"device_id":5,"session_id":"s","events":[]}"#,
        ),
        (
            "POST",
            push.clone(),
            r#"{"device_id":"d","session_id":"s","events":[{"client_action_id":"one"}]}"#,
        ),
        ("POST", "/v1/projects".into(), "{\"name\":"),
        ("POST", "/v1/projects".into(), r#"{"name":["x"]}"#),
        ("PATCH", format!("/v1/projects/{p}"), r#"{"name":7}"#),
        ("POST", format!("/v1/projects/{p}/members"), "not json"),
        ("POST", "/v1/auth/device/start".into(), "{{"),
        (
            "POST",
            "/v1/auth/device/poll".into(),
            r#"{"device_code":1}"#,
        ),
    ];
    for (method, path, body) in cases {
        raw(&s, method, &path, Some(&key), body).expect_error(
            400,
            "bad_request",
            "invalid json body",
        );
    }
    s.get("/healthz", None).expect(200);
}

#[test]
fn push_validation_refuses_the_whole_request() {
    let (s, key, p) = setup();
    let mut bad_type = events(1, 3);
    bad_type[2]["entity_type"] = json!("widgets");
    let mut bad_ts = events(1, 3);
    bad_ts[1]["client_timestamp"] = json!("2026-01-02 03:04:05");
    let mut no_ts = events(1, 2);
    no_ts[1].as_object_mut().unwrap().remove("client_timestamp");
    let mut bad_payload = events(1, 2);
    bad_payload[0]["payload"] = json!("text");
    let cases: Vec<(Value, String)> = vec![
        (
            json!({"session_id":"s","events":events(1,1)}),
            "device_id is required".into(),
        ),
        (
            json!({"device_id":"d","events":events(1,1)}),
            "session_id is required".into(),
        ),
        (
            json!({"device_id":"d","session_id":"s"}),
            "events array is empty".into(),
        ),
        (push_body("d", "s", vec![]), "events array is empty".into()),
        (
            push_body("d", "s", events(1, 1001)),
            "batch size 1001 exceeds max 1000".into(),
        ),
        (
            push_body("d", "s", bad_type),
            "invalid entity_type: widgets".into(),
        ),
        (
            push_body("d", "s", bad_ts),
            "invalid timestamp for action 2".into(),
        ),
        (
            push_body("d", "s", no_ts),
            "invalid timestamp for action 2".into(),
        ),
        (
            push_body("d", "s", bad_payload),
            "invalid payload for action 1: must be a JSON object".into(),
        ),
    ];
    for (body, message) in cases {
        s.push(&key, &p, body)
            .expect_error(400, "bad_request", &message);
    }
    let st = s
        .get(&format!("/v1/projects/{p}/sync/status"), Some(&key))
        .json();
    assert_eq!(st["event_count"], 0, "nothing stored by refused pushes");
    // Whole-second and fractional RFC3339 are both fine.
    let mut ok = events(1, 2);
    ok[1]["client_timestamp"] = json!("2026-01-02T03:04:05.999999Z");
    s.push(&key, &p, push_body("d", "s", ok)).expect(200);
}

#[test]
fn oversize_body_is_400_and_the_server_keeps_serving() {
    let (s, key, p) = setup();
    let big = format!(
        r#"{{"device_id":"d","session_id":"s","events":[],"pad":"{}"}}"#,
        "x".repeat(td_sync::MAX_BODY_BYTES + 1)
    );
    raw(
        &s,
        "POST",
        &format!("/v1/projects/{p}/sync/push"),
        Some(&key),
        &big,
    )
    .expect_error(400, "bad_request", "invalid json body");
    s.push(&key, &p, push_body("d", "s", events(1, 1)))
        .expect(200);
}

#[test]
fn pull_query_validation() {
    let (s, key, p) = setup();
    for q in ["after_server_seq=x", "after_server_seq=1.5"] {
        s.pull(&key, &p, q)
            .expect_error(400, "bad_request", "invalid after_server_seq");
    }
    for q in ["limit=0", "limit=-1", "limit=abc"] {
        s.pull(&key, &p, q)
            .expect_error(400, "bad_request", "invalid limit");
    }
}

#[test]
fn project_and_member_input_errors() {
    let (s, key, p) = setup();
    s.post("/v1/projects", Some(&key), json!({})).expect_error(
        400,
        "bad_request",
        "name is required",
    );
    s.post("/v1/projects", Some(&key), json!({"name": "  "}))
        .expect_error(400, "bad_request", "name is required");
    s.call(
        "PATCH",
        &format!("/v1/projects/{p}"),
        Some(&key),
        Body::Json(json!({"name": ""})),
    )
    .expect_error(400, "bad_request", "name cannot be empty");
    let members = format!("/v1/projects/{p}/members");
    s.post(&members, Some(&key), json!({"role": "reader"}))
        .expect_error(400, "bad_request", "user_id or email is required");
    s.post(&members, Some(&key), json!({"email": "b@test.local"}))
        .expect_error(400, "bad_request", "role is required");
    s.post(
        &members,
        Some(&key),
        json!({"email": "b@test.local", "role": "admin"}),
    )
    .expect_code(400, "bad_request");
    s.post(
        &members,
        Some(&key),
        json!({"email": "not an email", "role": "reader"}),
    )
    .expect_code(400, "bad_request");
    s.post(
        &members,
        Some(&key),
        json!({"user_id": "u_0000000000000000", "role": "reader"}),
    )
    .expect_code(404, "not_found");
    s.post(
        &members,
        Some(&key),
        json!({"email": "b@test.local", "role": "reader"}),
    )
    .expect(201);
    s.post(
        &members,
        Some(&key),
        json!({"email": "B@test.local", "role": "writer"}),
    )
    .expect_code(409, "conflict");
    let ghost = format!("{members}/u_0000000000000000");
    s.call("DELETE", &ghost, Some(&key), Body::None)
        .expect_code(404, "not_found");
    s.call(
        "PATCH",
        &ghost,
        Some(&key),
        Body::Json(json!({"role": "reader"})),
    )
    .expect_code(404, "not_found");
    s.call(
        "PATCH",
        &ghost,
        Some(&key),
        Body::Json(json!({"role": "boss"})),
    )
    .expect_code(400, "bad_request");
}

#[test]
fn unknown_routes_are_404_json_and_wrong_methods_405() {
    let (s, key, p) = setup();
    for path in ["/nope", "/v1/nope", "/v1/projects/x/y/z", "/auth/nope"] {
        s.get(path, Some(&key))
            .expect_error(404, "not_found", "not found");
    }
    assert_eq!(
        s.call(
            "PUT",
            &format!("/v1/projects/{p}/sync/push"),
            Some(&key),
            Body::None
        )
        .status,
        405
    );
    let r = s.get("/healthz", None);
    r.expect(200);
    assert_eq!(r.json(), json!({"status": "ok"}));
    assert_eq!(r.content_type.as_deref(), Some("application/json"));
    assert_eq!(r.request_id.as_deref().map(str::len), Some(32));
}
