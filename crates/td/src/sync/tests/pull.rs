//! Pull (sync spec §6.2, §8.1).

use serde_json::json;
use td_core::wire::PullEvent;

use super::*;
use crate::sync::report::Line;

/// Appends events straight to the server log, as another device's push would.
fn remote(server: &FakeServer, events: Vec<(&str, &str, &str, Value)>) {
    let req = PushRequest {
        device_id: "dev-remote".into(),
        session_id: "ses_remote".into(),
        events: events
            .into_iter()
            .enumerate()
            .map(|(i, (action, entity, id, new))| td_core::wire::PushEvent {
                client_action_id: (server.log_len() + i + 1) as i64,
                action_type: action.into(),
                entity_type: entity.into(),
                entity_id: id.into(),
                payload: json!({"schema_version":1,"new_data":new,"previous_data":{}}),
                client_timestamp: "2026-01-02T03:04:05Z".into(),
            })
            .collect(),
    };
    server.push(PROJECT, &req).unwrap();
}

fn issue(id: &str, title: &str) -> Value {
    json!({"id":id,"title":title,"status":"open","updated_at":"2026-01-02T03:04:05Z"})
}

#[test]
fn empty_log_prints_nothing_to_pull_and_keeps_the_cursor() {
    let server = FakeServer::default();
    let mut c = Client::new("a");
    let r = c.pull(&server).unwrap();
    assert_eq!(r.lines, vec![Line::Stdout("Nothing to pull.".into())]);
    assert_eq!(c.state().last_pulled_server_seq, 0);
    assert_eq!(c.state().last_sync_at, None);
    let p = &server.pulls.borrow()[0];
    assert_eq!(
        (p.after_server_seq, p.limit, p.exclude_client.as_deref()),
        (0, Some(1000), None)
    );
}

#[test]
fn pages_are_applied_recorded_and_advance_the_cursor() {
    let server = FakeServer::default();
    server.page_cap.set(Some(2));
    let ids = [
        "td-00000a",
        "td-00000b",
        "td-00000c",
        "td-00000d",
        "td-00000e",
    ];
    let creates = |ids: &[&'static str]| -> Vec<(&'static str, &'static str, &'static str, Value)> {
        ids.iter()
            .map(|id| ("create", "issues", *id, issue(id, "t")))
            .collect()
    };
    remote(&server, creates(&ids[..4]));
    let mut c = Client::new("a");
    c.pull(&server).unwrap();
    let afters = |s: &FakeServer| -> Vec<i64> {
        s.pulls
            .borrow()
            .iter()
            .map(|p| p.after_server_seq)
            .collect()
    };
    assert_eq!(
        afters(&server),
        vec![0, 2, 4],
        "a full last page has has_more; the next is empty"
    );
    remote(&server, creates(&ids[4..]));
    let r = c.pull(&server).unwrap();
    assert_eq!(
        r.lines,
        vec![Line::Stdout("Pulled 1 events (1 applied).".into())]
    );
    assert_eq!(
        afters(&server),
        vec![0, 2, 4, 4],
        "a short page ends the loop"
    );
    assert_eq!(c.state().last_pulled_server_seq, 5);
    assert!(c.state().last_sync_at.is_some());
    let history: i64 = c.scalar(
        "SELECT COUNT(*) FROM sync_history WHERE direction = 'pull' AND device_id = 'dev-remote'",
    );
    assert_eq!(history, 5);
    let issues: i64 = c.scalar("SELECT COUNT(*) FROM issues");
    assert_eq!(issues, 5);
    let action_log: i64 = c.scalar("SELECT COUNT(*) FROM action_log");
    assert_eq!(action_log, 0, "pulled events write no action_log rows");
}

#[test]
fn failed_request_keeps_committed_pages() {
    let server = FakeServer::default();
    server.page_cap.set(Some(2));
    remote(
        &server,
        vec![
            ("create", "issues", "td-00000a", issue("td-00000a", "a")),
            ("create", "issues", "td-00000b", issue("td-00000b", "b")),
            ("create", "issues", "td-00000c", issue("td-00000c", "c")),
        ],
    );
    server.fail_pull.set(Some(1));
    let mut c = Client::new("a");
    let err = c.pull(&server).unwrap_err();
    assert!(
        err.report("pull").starts_with("pull: HTTP 500: {"),
        "{}",
        err.report("pull")
    );
    assert_eq!(c.state().last_pulled_server_seq, 2);
    server.fail_pull.set(None);
    let r = c.pull(&server).unwrap();
    assert_eq!(r.received, 1);
    assert_eq!(c.state().last_pulled_server_seq, 3);
}

#[test]
fn skipped_events_warn_and_still_advance_the_cursor() {
    let server = FakeServer::default();
    remote(
        &server,
        vec![
            (
                "create",
                "comments",
                "cm-1",
                json!({"id":"cm-1","issue_id":"td-gone00","session_id":"s","text":"x"}),
            ),
            ("frobnicate", "issues", "td-00000a", issue("td-00000a", "a")),
            ("create", "issues", "td-00000b", issue("td-00000b", "b")),
        ],
    );
    let mut c = Client::new("a");
    let r = c.pull(&server).unwrap();
    assert_eq!(
        r.lines,
        vec![
            Line::Stdout("Pulled 3 events (1 applied).".into()),
            Line::Stderr(
                "Warning: 2 remote event(s) skipped and recorded; see `td sync status`".into()
            ),
        ]
    );
    assert_eq!(c.state().last_pulled_server_seq, 3);
    let reasons: String = c.scalar("SELECT group_concat(reason, ',') FROM (SELECT reason FROM sync_skipped_events ORDER BY server_seq)");
    assert_eq!(reasons, "orphaned_parent,quarantined");
}

#[test]
fn overwritten_local_rows_are_listed() {
    let server = FakeServer::default();
    let mut c = Client::new("a");
    let ids: Vec<String> = (0..12).map(|i| format!("td-0000{i:02x}")).collect();
    for id in &ids {
        c.create_issue(id, "local");
    }
    c.conn
        .execute(
            "UPDATE sync_state SET last_sync_at = '2000-01-01 00:00:00'",
            [],
        )
        .unwrap();
    remote(
        &server,
        ids.iter()
            .map(|id| ("create", "issues", id.as_str(), issue(id, "remote")))
            .collect(),
    );
    let r = c.pull(&server).unwrap();
    assert_eq!(r.conflicts.len(), 12);
    let texts: Vec<&str> = r.lines.iter().map(Line::text).collect();
    assert_eq!(
        texts[1],
        "Warning: 12 local records overwritten by remote changes:"
    );
    assert_eq!(texts[2], "  issues/td-000000 (seq 1)");
    assert_eq!(texts[11], "  issues/td-000009 (seq 10)");
    assert_eq!(texts[12], "  ... and 2 more");
    assert_eq!(texts.len(), 13);
    assert!(matches!(r.lines[1], Line::Stderr(_)) && matches!(r.lines[2], Line::Stdout(_)));
    let stored: i64 = c.scalar("SELECT COUNT(*) FROM sync_conflicts");
    assert_eq!(stored, 12);
}

/// Another writer holds the database lock: the page fails transiently, is rolled back
/// entirely and the cursor stays; the retry applies it.
#[test]
fn transient_apply_failure_rolls_the_page_back() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("issues.db");
    let mut conn = Connection::open(&path).unwrap();
    schema::create(&conn).unwrap();
    conn.execute("INSERT INTO sync_state (project_id) VALUES (?1)", [PROJECT])
        .unwrap();
    conn.busy_timeout(std::time::Duration::ZERO).unwrap();
    let holder = Connection::open(&path).unwrap();
    let server = FakeServer::default();
    remote(
        &server,
        vec![
            ("create", "issues", "td-00000a", issue("td-00000a", "a")),
            ("create", "issues", "td-00000b", issue("td-00000b", "b")),
        ],
    );
    let state = load_state(&conn).unwrap().unwrap();

    holder.execute_batch("BEGIN IMMEDIATE").unwrap();
    let err = crate::sync::pull(&mut conn, &server, "dev-a", &state).unwrap_err();
    holder.execute_batch("ROLLBACK").unwrap();
    let text = err.report("pull");
    assert!(
        text.starts_with("apply events: 2 remote event(s) failed (first: seq=1: ")
            && text.ends_with("; batch rolled back and sync cursor preserved"),
        "{text}"
    );
    let cursor: i64 = conn
        .query_row("SELECT last_pulled_server_seq FROM sync_state", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(cursor, 0);

    let r = crate::sync::pull(&mut conn, &server, "dev-a", &state).unwrap();
    assert_eq!((r.received, r.applied, r.cursor), (2, 2, 2));
}

#[test]
fn a_page_that_does_not_advance_is_refused() {
    struct Stuck;
    impl SyncTransport for Stuck {
        fn push(&self, _: &str, _: &PushRequest) -> Result<PushResponse, SyncError> {
            unreachable!()
        }
        fn pull(&self, _: &str, p: &PullParams) -> Result<PullResponse, SyncError> {
            let ev: PullEvent = serde_json::from_value(json!({"server_seq": 1})).unwrap();
            Ok(PullResponse {
                events: vec![ev],
                last_server_seq: p.after_server_seq,
                has_more: true,
            })
        }
    }
    let mut c = Client::new("a");
    let state = c.state();
    let err = crate::sync::pull(&mut c.conn, &Stuck, "dev-a", &state).unwrap_err();
    assert!(matches!(err, SyncError::Protocol(_)), "{err}");
}
