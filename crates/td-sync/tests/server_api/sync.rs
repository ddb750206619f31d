//! Push, pull, dedup, contiguous seqs, status, snapshot (§5, §6).

use std::sync::Arc;

use serde_json::{json, Value};

use crate::common::{ack_seqs, events, push_body, TestServer};

const ALICE: &str = "alice@test.local";

fn setup() -> (TestServer, String, String) {
    let s = TestServer::start(&[ALICE]);
    let key = s.login(ALICE);
    let p = s.create_project(&key, "demo");
    (s, key, p)
}

fn pull_all(s: &TestServer, key: &str, p: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut after = 0;
    loop {
        let page = s.pull(key, p, &format!("after_server_seq={after}&limit=1000"));
        page.expect(200);
        let v = page.json();
        let evs = v["events"].as_array().unwrap().clone();
        if evs.is_empty() {
            return out;
        }
        after = v["last_server_seq"].as_i64().unwrap();
        out.extend(evs);
    }
}

#[test]
fn five_thousand_events_in_five_pushes_get_seqs_1_to_5000() {
    let (s, key, p) = setup();
    let mut seqs = Vec::new();
    for batch in 0..5 {
        let r = s.push(
            &key,
            &p,
            push_body("dev1", "ses_a", events(batch * 1000 + 1, 1000)),
        );
        r.expect(200);
        assert_eq!(r.json()["accepted"], 1000);
        assert!(
            r.json().get("rejected").is_none(),
            "rejected omitted when empty"
        );
        seqs.extend(ack_seqs(&r));
    }
    assert_eq!(seqs, (1..=5000).collect::<Vec<i64>>());
    let pulled = pull_all(&s, &key, &p);
    let pulled_seqs: Vec<i64> = pulled
        .iter()
        .map(|e| e["server_seq"].as_i64().unwrap())
        .collect();
    assert_eq!(pulled_seqs, seqs);
    assert_eq!(pulled[41]["client_action_id"], 42);
    assert_eq!(pulled[41]["entity_id"], "td-000042");
    assert_eq!(pulled[41]["device_id"], "dev1");
    assert_eq!(pulled[41]["session_id"], "ses_a");
    assert_eq!(pulled[41]["payload"]["new_data"]["title"], "issue 42");
    assert_eq!(pulled[41]["client_timestamp"], "2026-01-02T03:04:05Z");
}

#[test]
fn identical_retry_answers_duplicates_with_original_seqs_and_leaves_no_gap() {
    let (s, key, p) = setup();
    let first = s.push(&key, &p, push_body("dev1", "ses_a", events(1, 3)));
    assert_eq!(ack_seqs(&first), [1, 2, 3]);
    let retry = s.push(&key, &p, push_body("dev1", "ses_a", events(1, 3)));
    retry.expect(200);
    let v = retry.json();
    assert_eq!(v["accepted"], 0);
    assert_eq!(v["acks"], Value::Null);
    assert_eq!(
        v["rejected"],
        json!([{"client_action_id":1,"reason":"duplicate","server_seq":1},
               {"client_action_id":2,"reason":"duplicate","server_seq":2},
               {"client_action_id":3,"reason":"duplicate","server_seq":3}])
    );
    // Same rowids from another session or device are new events.
    let other = s.push(&key, &p, push_body("dev1", "ses_b", events(1, 1)));
    assert_eq!(ack_seqs(&other), [4]);
    let mixed = s.push(&key, &p, push_body("dev1", "ses_a", events(3, 2)));
    assert_eq!(mixed.json()["accepted"], 1);
    assert_eq!(ack_seqs(&mixed), [5]);
    assert_eq!(mixed.json()["rejected"][0]["server_seq"], 3);
}

#[test]
fn empty_entity_id_is_rejected_per_event() {
    let (s, key, p) = setup();
    let mut evs = events(1, 3);
    evs[1]["entity_id"] = json!("");
    let r = s.push(&key, &p, push_body("d", "s", evs));
    assert_eq!(ack_seqs(&r), [1, 2]);
    assert_eq!(
        r.json()["rejected"],
        json!([{"client_action_id": 2, "reason": "empty entity_id"}])
    );
}

#[test]
fn types_are_normalized_and_work_sessions_scrubbed() {
    let (s, key, p) = setup();
    let mut evs = events(1, 3);
    evs[0]["entity_type"] = json!("issue");
    evs[0]["action_type"] = json!("board_update");
    evs[1]["entity_type"] = json!("board_position");
    evs[1]["action_type"] = json!("soft_delete");
    evs[2]["entity_type"] = json!("work_session");
    evs[2]["action_type"] = json!("start");
    evs[2]["payload"] = json!({"schema_version":1, "worktree_id":"w",
        "new_data":{"id":"ws-1","name":"n","worktree_root":"/secret","repo_root":"/r"},
        "previous_data":{"worktree_id":"x"}});
    evs[2]["client_timestamp"] = json!("2026-01-02T05:04:05.123+02:00");
    s.push(&key, &p, push_body("d", "s", evs)).expect(200);
    let pulled = pull_all(&s, &key, &p);
    let kinds: Vec<(Value, Value)> = pulled
        .iter()
        .map(|e| (e["entity_type"].clone(), e["action_type"].clone()))
        .collect();
    assert_eq!(
        kinds,
        [
            (json!("issues"), json!("create")),
            (json!("board_issue_positions"), json!("soft_delete")),
            (json!("work_sessions"), json!("update")),
        ]
    );
    assert_eq!(
        pulled[2]["payload"],
        json!({"schema_version":1,"new_data":{"id":"ws-1","name":"n"},"previous_data":{}})
    );
    assert_eq!(
        pulled[2]["client_timestamp"],
        "2026-01-02T05:04:05.123+02:00"
    );
    // Scrubbed before storing, not only when serving.
    let db = s.dir.path().join("projects").join(&p).join("events.db");
    let conn = rusqlite::Connection::open(db).unwrap();
    let raw: String = conn
        .query_row("SELECT payload FROM events WHERE server_seq = 3", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert!(
        !raw.contains("worktree") && !raw.contains("repo_root"),
        "{raw}"
    );
}

#[test]
fn pull_paging_limits_and_exclude_client() {
    let (s, key, p) = setup();
    s.push(&key, &p, push_body("devA", "s", events(1, 3)))
        .expect(200);
    s.push(&key, &p, push_body("devB", "s", events(1, 2)))
        .expect(200);
    let page = s.pull(&key, &p, "after_server_seq=1&limit=2").json();
    assert_eq!(page["last_server_seq"], 3);
    assert_eq!(page["has_more"], true);
    assert_eq!(page["events"].as_array().unwrap().len(), 2);
    let rest = s.pull(&key, &p, "after_server_seq=3&limit=2").json();
    assert_eq!(
        (rest["last_server_seq"].as_i64(), rest["has_more"].as_bool()),
        (Some(5), Some(true))
    );
    let empty = s.pull(&key, &p, "after_server_seq=5&limit=2").json();
    assert_eq!(
        empty,
        json!({"events": [], "last_server_seq": 5, "has_more": false})
    );
    let defaults = s
        .get(&format!("/v1/projects/{p}/sync/pull"), Some(&key))
        .json();
    assert_eq!(defaults["events"].as_array().unwrap().len(), 5);
    assert_eq!(defaults["has_more"], false);
    let clamped = s.pull(&key, &p, "limit=999999");
    clamped.expect(200);
    assert_eq!(clamped.json()["events"].as_array().unwrap().len(), 5);
    let others = s.pull(&key, &p, "exclude_client=devA").json();
    let seqs: Vec<i64> = others["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["server_seq"].as_i64().unwrap())
        .collect();
    assert_eq!(seqs, [4, 5]);
}

#[test]
fn status_and_snapshot() {
    let (s, key, p) = setup();
    let st = s.get(&format!("/v1/projects/{p}/sync/status"), Some(&key));
    st.expect(200);
    assert_eq!(st.json(), json!({"event_count": 0, "last_server_seq": 0}));
    s.push(&key, &p, push_body("d", "s", events(1, 4)))
        .expect(200);
    let v = s
        .get(&format!("/v1/projects/{p}/sync/status"), Some(&key))
        .json();
    assert_eq!(
        (v["event_count"].as_i64(), v["last_server_seq"].as_i64()),
        (Some(4), Some(4))
    );
    let t = v["last_event_time"].as_str().unwrap();
    assert_eq!(t.len(), "2026-01-02 03:04:05".len(), "{t}");
    // This server builds no snapshots; §6.4 allows answering no_events always.
    s.get(&format!("/v1/projects/{p}/sync/snapshot"), Some(&key))
        .expect_code(404, "no_events");
}

#[test]
fn concurrent_pushes_never_interleave() {
    let (s, key, p) = setup();
    let s = Arc::new(s);
    let workers: Vec<_> = (0..4)
        .map(|w| {
            let (s, key, p) = (Arc::clone(&s), key.clone(), p.clone());
            std::thread::spawn(move || {
                (0..10)
                    .map(|round| {
                        let body = push_body(&format!("dev{w}"), "s", events(round * 50 + 1, 50));
                        let r = s.push(&key, &p, body);
                        r.expect(200);
                        ack_seqs(&r)
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut all = Vec::new();
    for w in workers {
        for seqs in w.join().expect("worker") {
            assert_eq!(seqs.len(), 50);
            assert_eq!(
                seqs.last().unwrap() - seqs[0],
                49,
                "batch not contiguous: {seqs:?}"
            );
            assert!(seqs.windows(2).all(|x| x[1] == x[0] + 1));
            all.extend(seqs);
        }
    }
    all.sort_unstable();
    assert_eq!(all, (1..=2000).collect::<Vec<i64>>());
    let pulled = pull_all(&s, &key, &p);
    assert_eq!(pulled.len(), 2000);
}
