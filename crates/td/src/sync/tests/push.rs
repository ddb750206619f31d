//! Push (sync spec §5.4, §8.1).

use super::*;
use crate::sync::report::Line;

fn pending(c: &Client) -> i64 {
    c.scalar("SELECT COUNT(*) FROM action_log WHERE synced_at IS NULL")
}

#[test]
fn nothing_pending_sends_no_request() {
    let server = FakeServer::default();
    let mut c = Client::new("a");
    let r = c.push(&server).unwrap();
    assert_eq!(r.lines, vec![Line::Stdout("Nothing to push.".into())]);
    assert!(server.pushes.borrow().is_empty());
}

#[test]
fn acked_rows_are_marked_with_their_seq_and_bookkept() {
    let server = FakeServer::default();
    let mut c = Client::new("a");
    c.create_issue("td-000001", "a");
    c.edit_issue("td-000001", "title", "b");
    let r = c.push(&server).unwrap();
    assert_eq!(r.lines, vec![Line::Stdout("Pushed 2 events.".into())]);
    assert_eq!(pending(&c), 0);
    let seqs: String = c.scalar("SELECT group_concat(rowid||':'||server_seq, ',') FROM action_log");
    assert_eq!(seqs, "1:1,2:2");
    let state = c.state();
    assert_eq!(state.last_pushed_action_id, 2);
    assert!(state.last_sync_at.is_some());
    let history: String = c.scalar(
        "SELECT group_concat(direction||' '||action_type||' '||entity_type||' '||server_seq||' '||device_id, ',') FROM sync_history",
    );
    assert_eq!(
        history,
        "push create issues 1 dev-a,push update issues 2 dev-a"
    );
    let req = &server.pushes.borrow()[0];
    assert_eq!(
        (req.device_id.as_str(), req.session_id.as_str()),
        ("dev-a", "ses_a")
    );
}

#[test]
fn batches_of_500_in_rowid_order() {
    let server = FakeServer::default();
    let mut c = Client::new("a");
    for i in 0..1201 {
        c.log(
            "create",
            "logs",
            &format!("lg-{i:08}"),
            "",
            r#"{"message":"m"}"#,
        );
    }
    let r = c.push(&server).unwrap();
    assert_eq!(r.accepted, 1201);
    let sizes: Vec<usize> = server
        .pushes
        .borrow()
        .iter()
        .map(|p| p.events.len())
        .collect();
    assert_eq!(sizes, vec![500, 500, 201]);
    let ids: Vec<i64> = server.log().iter().map(|e| e.client_action_id).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(pending(&c), 0);
}

#[test]
fn failed_batch_marks_nothing_and_retry_marks_duplicates_with_original_seqs() {
    let server = FakeServer::default();
    let mut c = Client::new("a");
    for i in 0..600 {
        c.log("create", "logs", &format!("lg-{i:08}"), "", "{}");
    }
    server.fail_push.set(Some(1));
    let err = c.push(&server).unwrap_err();
    assert_eq!(
        err.report("push"),
        r#"push: HTTP 429: {"error":{"code":"rate_limited","message":"rate limit exceeded"}}"#
    );
    assert_eq!(server.log_len(), 500, "the server kept the first batch");
    assert_eq!(pending(&c), 600, "but nothing was marked");
    assert_eq!(c.state().last_sync_at, None);

    server.fail_push.set(None);
    let r = c.push(&server).unwrap();
    assert_eq!(r.lines, vec![Line::Stdout("Pushed 100 events.".into())]);
    assert_eq!((r.accepted, r.marked), (100, 600));
    assert_eq!(pending(&c), 0);
    let seq_of_first: i64 = c.scalar("SELECT server_seq FROM action_log WHERE rowid = 1");
    assert_eq!(seq_of_first, 1, "original seq from the duplicate rejection");
    assert_eq!(c.state().last_pushed_action_id, 600);
    let history: i64 = c.scalar("SELECT COUNT(*) FROM sync_history");
    assert_eq!(history, 100, "history rows for new acks only");
}

#[test]
fn failed_push_discards_backfilled_rows() {
    let server = FakeServer::default();
    let mut c = Client::new("a");
    c.conn
        .execute(
            "INSERT INTO issues (id, title) VALUES ('td-000001', 'unlogged')",
            [],
        )
        .unwrap();
    server.fail_push.set(Some(0));
    assert!(c.push(&server).is_err());
    let rows: i64 = c.scalar("SELECT COUNT(*) FROM action_log");
    assert_eq!(rows, 0);
    server.fail_push.set(None);
    let r = c.push(&server).unwrap();
    assert_eq!((r.backfilled, r.accepted), (1, 1));
}

#[test]
fn other_rejections_stay_pending() {
    let server = FakeServer::default();
    let mut c = Client::new("a");
    c.log("create", "logs", "", "", "{}");
    c.log("create", "logs", "lg-1", "", "{}");
    let r = c.push(&server).unwrap();
    assert_eq!(r.lines, vec![Line::Stdout("Pushed 1 events.".into())]);
    assert_eq!(pending(&c), 1);
    assert_eq!(c.state().last_pushed_action_id, 2);
}
