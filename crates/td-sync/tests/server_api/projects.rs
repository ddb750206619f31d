//! Projects and members (§4.2).

use serde_json::json;

use crate::common::{Body, TestServer};

const ALICE: &str = "alice@test.local";

#[test]
fn project_lifecycle() {
    let s = TestServer::start(&[ALICE]);
    let key = s.login(ALICE);
    let r = s.post(
        "/v1/projects",
        Some(&key),
        json!({"name": "My Project", "description": "d"}),
    );
    r.expect(201);
    let p = r.json();
    let id = p["id"].as_str().unwrap().to_string();
    assert!(id.starts_with("p_") && id.len() == 18);
    assert_eq!(
        (p["name"].as_str(), p["slug"].as_str()),
        (Some("My Project"), Some("my-project"))
    );
    assert!(p.get("deleted_at").is_none());
    assert!(s
        .dir
        .path()
        .join("projects")
        .join(&id)
        .join("events.db")
        .is_file());
    let second = s
        .post("/v1/projects", Some(&key), json!({"name": "my project"}))
        .json();
    assert_eq!(second["slug"], "my-project-2");

    let listed = s.get("/v1/projects", Some(&key)).json();
    let ids: Vec<_> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].clone())
        .collect();
    assert_eq!(ids, [json!(id), second["id"].clone()]);

    let members = s
        .get(&format!("/v1/projects/{id}/members"), Some(&key))
        .json();
    assert_eq!(members.as_array().unwrap().len(), 1);
    assert_eq!(members[0]["role"], "owner");
    assert_eq!(members[0]["email"], ALICE);
    assert_eq!(members[0]["invited_by"], "");

    let patched = s.call(
        "PATCH",
        &format!("/v1/projects/{id}"),
        Some(&key),
        Body::Json(json!({"name": "Renamed"})),
    );
    patched.expect(200);
    assert_eq!(
        (
            patched.json()["name"].as_str(),
            patched.json()["description"].as_str()
        ),
        (Some("Renamed"), Some("d"))
    );

    s.call(
        "DELETE",
        &format!("/v1/projects/{id}"),
        Some(&key),
        Body::None,
    )
    .expect(204);
    s.get(&format!("/v1/projects/{id}"), Some(&key))
        .expect_error(404, "not_found", "project not found");
    assert_eq!(
        s.get("/v1/projects", Some(&key))
            .json()
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn members_add_by_email_creates_users_and_protects_the_last_owner() {
    let s = TestServer::start(&[ALICE]);
    let key = s.login(ALICE);
    let alice_id = s.get("/v1/projects", Some(&key)); // exercise list on a fresh user
    assert_eq!(alice_id.json(), json!([]));
    let p = s.create_project(&key, "demo");
    let m = s.add_member(&key, &p, "New.User@Test.local", "writer");
    assert_eq!(
        m["email"], "New.User@Test.local",
        "echoes the request's email"
    );
    assert_eq!(m["role"], "writer");
    assert_eq!(m["project_id"], p);
    let new_id = m["user_id"].as_str().unwrap().to_string();
    assert!(new_id.starts_with("u_"));
    let owner_id = s
        .get(&format!("/v1/projects/{p}/members"), Some(&key))
        .json()[0]["user_id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(m["invited_by"], owner_id);
    // The created user exists (lowercased) and can log in.
    let cfg = td_sync::Config::in_dir(s.dir.path());
    let out = crate::common::admin(&cfg, &["create-user", "--email", "new.user@test.local"]);
    assert_eq!(
        out,
        format!("user already exists: new.user@test.local ({new_id})\n")
    );
    let new_key = s.login("new.user@test.local");
    s.get(&format!("/v1/projects/{p}"), Some(&new_key))
        .expect(200);

    let me = format!("/v1/projects/{p}/members/{owner_id}");
    s.call(
        "PATCH",
        &me,
        Some(&key),
        Body::Json(json!({"role": "reader"})),
    )
    .expect_code(409, "last_owner");
    s.call("DELETE", &me, Some(&key), Body::None)
        .expect_code(409, "last_owner");
    let them = format!("/v1/projects/{p}/members/{new_id}");
    let up = s.call(
        "PATCH",
        &them,
        Some(&key),
        Body::Json(json!({"role": "owner"})),
    );
    up.expect(200);
    assert_eq!(up.json(), json!({"status": "updated"}));
    s.call("DELETE", &me, Some(&key), Body::None).expect(204);
    s.get(&format!("/v1/projects/{p}"), Some(&key))
        .expect_code(403, "forbidden");
}
