//! Per-key and per-IP fixed windows (§4.3), answered 429 with `Retry-After`.

use serde_json::json;

use crate::common::{events, pkce_pair, push_body, TestServer, HIGH};
use td_sync::config::RateLimits;

const ALICE: &str = "alice@test.local";

fn assert_limited(r: &crate::common::Resp) {
    r.expect_error(429, "rate_limited", "rate limit exceeded");
    let secs: u64 = r
        .retry_after
        .as_deref()
        .expect("Retry-After")
        .parse()
        .unwrap();
    assert!((1..=60).contains(&secs), "{secs}");
}

#[test]
fn push_and_pull_share_a_bucket_when_limits_are_equal() {
    let s = TestServer::start_with(&[ALICE], |c| {
        c.rate_limits = RateLimits {
            push: 2,
            pull: 2,
            other: 5,
            ..HIGH
        }
    });
    let key = s.login(ALICE);
    let p = s.create_project(&key, "demo");
    s.push(&key, &p, push_body("d", "s", events(1, 1)))
        .expect(200);
    s.pull(&key, &p, "").expect(200);
    assert_limited(&s.push(&key, &p, push_body("d", "s", events(2, 1))));
    assert_limited(&s.pull(&key, &p, ""));
    // Another key has its own budget; 401s spend nothing.
    s.pull("td_live_bogus", &p, "").expect(401);
    // OTHER (5) is a separate bucket: create above used 1.
    for _ in 0..4 {
        s.get("/v1/projects", Some(&key)).expect(200);
    }
    assert_limited(&s.get("/v1/projects", Some(&key)));
    s.get("/healthz", None).expect(200);
}

#[test]
fn auth_paths_are_limited_per_ip_and_poll_uses_other() {
    let s = TestServer::start_with(&[ALICE], |c| {
        c.rate_limits = RateLimits {
            auth: 3,
            other: 2,
            ..HIGH
        }
    });
    let (_, challenge) = pkce_pair();
    let body =
        json!({"email": ALICE, "code_challenge": challenge, "code_challenge_method": "S256"});
    s.post("/v1/auth/device/start", None, body.clone())
        .expect(200);
    s.get("/auth/device/approve?token=a.b", None).expect(200);
    s.post("/v1/auth/device/start", None, body.clone())
        .expect(200);
    assert_limited(&s.post("/v1/auth/device/start", None, body));
    assert_limited(&s.get("/auth/device/approve?token=a.b", None));
    let poll = json!({"device_code": "x", "code_verifier": "y"});
    s.post("/v1/auth/device/poll", None, poll.clone())
        .expect(200);
    s.post("/v1/auth/device/poll", None, poll.clone())
        .expect(200);
    assert_limited(&s.post("/v1/auth/device/poll", None, poll));
}
