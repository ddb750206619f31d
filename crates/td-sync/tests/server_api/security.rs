//! Refusals: 401 without a valid key, 403 for non-members, too-low roles and wrong scopes.

use serde_json::{json, Value};

use crate::common::{admin, events, push_body, Body, TestServer};

const ALICE: &str = "alice@test.local";
const BOB: &str = "bob@test.local";
const CAROL: &str = "carol@test.local";

/// Every /v1 route outside /v1/auth, with a body where it takes one.
fn routes(p: &str) -> Vec<(&'static str, String, Body)> {
    let push = push_body("d", "s", events(1, 1));
    vec![
        ("GET", "/v1/projects".into(), Body::None),
        (
            "POST",
            "/v1/projects".into(),
            Body::Json(json!({"name": "x"})),
        ),
        ("GET", format!("/v1/projects/{p}"), Body::None),
        (
            "PATCH",
            format!("/v1/projects/{p}"),
            Body::Json(json!({"name": "y"})),
        ),
        ("DELETE", format!("/v1/projects/{p}"), Body::None),
        ("GET", format!("/v1/projects/{p}/members"), Body::None),
        (
            "POST",
            format!("/v1/projects/{p}/members"),
            Body::Json(json!({"email": "z@test.local", "role": "reader"})),
        ),
        (
            "PATCH",
            format!("/v1/projects/{p}/members/u_0000000000000000"),
            Body::Json(json!({"role": "writer"})),
        ),
        (
            "DELETE",
            format!("/v1/projects/{p}/members/u_0000000000000000"),
            Body::None,
        ),
        (
            "POST",
            format!("/v1/projects/{p}/sync/push"),
            Body::Json(push),
        ),
        ("GET", format!("/v1/projects/{p}/sync/pull"), Body::None),
        ("GET", format!("/v1/projects/{p}/sync/status"), Body::None),
        ("GET", format!("/v1/projects/{p}/sync/snapshot"), Body::None),
    ]
}

fn call_raw_auth(s: &TestServer, method: &str, path: &str, auth: &str) -> (u16, Value) {
    let req = ureq::request(method, &format!("{}{path}", s.base)).set("Authorization", auth);
    let resp = match req.call() {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("{e}"),
    };
    (resp.status(), resp.into_json().unwrap())
}

#[test]
fn every_v1_route_needs_a_valid_key() {
    let s = TestServer::start(&[ALICE]);
    let key = s.login(ALICE);
    let p = s.create_project(&key, "demo");
    let expired_key = {
        // A key that exists but has expired.
        let conn = rusqlite::Connection::open(s.db_path()).unwrap();
        let k = "td_live_EXPIREDEXPIREDEXPIREDEXPIRED00";
        let hash = hex_sha256(k);
        conn.execute(
            "INSERT INTO api_keys (id, user_id, key_hash, key_prefix, expires_at, created_at)
             SELECT 'ak_old', id, ?1, 'EXPIRED', '2000-01-01T00:00:00Z', '2000-01-01T00:00:00Z'
             FROM users LIMIT 1",
            [hash],
        )
        .unwrap();
        k.to_string()
    };
    for (method, path, body) in routes(&p) {
        s.call(method, &path, None, body).expect_error(
            401,
            "unauthorized",
            "missing authorization header",
        );
        for (auth, message) in [
            (format!("Basic {key}"), "invalid authorization format"),
            (format!("bearer {key}"), "invalid authorization format"),
            (
                "Bearer td_live_wrong".to_string(),
                "invalid or expired api key",
            ),
            (
                format!("Bearer {expired_key}"),
                "invalid or expired api key",
            ),
        ] {
            let (status, v) = call_raw_auth(&s, method, &path, &auth);
            assert_eq!(status, 401, "{method} {path} {auth}");
            assert_eq!(v["error"]["message"], message, "{method} {path}");
        }
    }
    // Still a member and all: nothing above changed the project.
    s.get(&format!("/v1/projects/{p}"), Some(&key)).expect(200);
}

fn hex_sha256(text: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(text.as_bytes()))
}

#[test]
fn non_members_get_403_on_every_project_route_even_admins() {
    let s = TestServer::start(&[ALICE, BOB]);
    let (alice, bob) = (s.login(ALICE), s.login(BOB));
    let p = s.create_project(&bob, "bobs");
    for pid in [p.as_str(), "p_ffffffffffffffff", "nonexistent"] {
        for (method, path, body) in routes(pid)
            .into_iter()
            .filter(|r| r.1.contains("/projects/"))
        {
            // alice is the server admin: no membership bypass.
            s.call(method, &path, Some(&alice), body).expect_error(
                403,
                "forbidden",
                &format!("not a member of project {pid}"),
            );
        }
    }
    assert_eq!(s.get("/v1/projects", Some(&alice)).json(), json!([]));
}

#[test]
fn readers_and_writers_are_limited_by_role() {
    let s = TestServer::start(&[ALICE, BOB, CAROL]);
    let (alice, bob, carol) = (s.login(ALICE), s.login(BOB), s.login(CAROL));
    let p = s.create_project(&alice, "demo");
    let bob_id = s.add_member(&alice, &p, BOB, "reader")["user_id"]
        .as_str()
        .unwrap()
        .to_string();
    s.add_member(&alice, &p, CAROL, "writer");
    let members = format!("/v1/projects/{p}/members");
    let bob_member = format!("{members}/{bob_id}");
    let reader_refused = [
        (
            "POST",
            format!("/v1/projects/{p}/sync/push"),
            Body::Json(push_body("d", "s", events(1, 1))),
            "writer",
        ),
        (
            "PATCH",
            format!("/v1/projects/{p}"),
            Body::Json(json!({"name": "n"})),
            "writer",
        ),
        ("DELETE", format!("/v1/projects/{p}"), Body::None, "owner"),
        (
            "POST",
            members.clone(),
            Body::Json(json!({"email": "x@test.local", "role": "reader"})),
            "owner",
        ),
        (
            "PATCH",
            bob_member.clone(),
            Body::Json(json!({"role": "writer"})),
            "owner",
        ),
        ("DELETE", bob_member.clone(), Body::None, "owner"),
    ];
    for (method, path, body, need) in reader_refused {
        s.call(method, &path, Some(&bob), body).expect_error(
            403,
            "forbidden",
            &format!("insufficient permissions: have reader, need {need}"),
        );
    }
    let writer_refused = [
        ("DELETE", format!("/v1/projects/{p}"), Body::None),
        (
            "POST",
            members.clone(),
            Body::Json(json!({"email": "x@test.local", "role": "reader"})),
        ),
        (
            "PATCH",
            bob_member.clone(),
            Body::Json(json!({"role": "writer"})),
        ),
        ("DELETE", bob_member.clone(), Body::None),
    ];
    for (method, path, body) in writer_refused {
        s.call(method, &path, Some(&carol), body).expect_error(
            403,
            "forbidden",
            "insufficient permissions: have writer, need owner",
        );
    }
    // What they may do.
    s.push(&carol, &p, push_body("d", "s", events(1, 2)))
        .expect(200);
    s.call(
        "PATCH",
        &format!("/v1/projects/{p}"),
        Some(&carol),
        Body::Json(json!({"description": "d"})),
    )
    .expect(200);
    assert_eq!(
        s.pull(&bob, &p, "").json()["events"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    s.get(&format!("/v1/projects/{p}/sync/status"), Some(&bob))
        .expect(200);
    s.get(&format!("/v1/projects/{p}"), Some(&bob)).expect(200);
    assert_eq!(
        s.get(&members, Some(&bob)).json().as_array().unwrap().len(),
        3
    );
    // The refused push stored nothing.
    assert_eq!(
        s.get(&format!("/v1/projects/{p}/sync/status"), Some(&bob))
            .json()["event_count"],
        2
    );
}

#[test]
fn keys_without_the_sync_scope_cannot_use_project_routes() {
    let s = TestServer::start(&[ALICE, BOB]);
    let alice = s.login(ALICE);
    let p = s.create_project(&alice, "demo");
    let cfg = td_sync::Config::in_dir(s.dir.path());
    let out = admin(
        &cfg,
        &[
            "create-key",
            "--email",
            ALICE,
            "--name",
            "ro",
            "--scopes",
            "admin:read",
        ],
    );
    let scoped = out
        .lines()
        .find_map(|l| l.strip_prefix("key: "))
        .unwrap()
        .to_string();
    // While alice is admin the scope does not matter; after losing admin it does.
    s.get(&format!("/v1/projects/{p}"), Some(&scoped))
        .expect(200);
    admin(&cfg, &["grant", "--email", BOB]);
    admin(&cfg, &["revoke", "--email", ALICE]);
    s.get(&format!("/v1/projects/{p}"), Some(&scoped))
        .expect_code(403, "insufficient_scope");
    s.get(&format!("/v1/projects/{p}"), Some(&alice))
        .expect(200);
    s.get("/v1/projects", Some(&scoped)).expect(200);
}
