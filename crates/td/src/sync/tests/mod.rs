//! Sync engine tests: real schema in memory, a fake server behind [`SyncTransport`] that
//! assigns seqs, dedups on (device, session, client_action_id), pages and fails on cue.

mod backfill;
mod events;
mod pull;
mod push;
mod roundtrip;

use std::cell::{Cell, RefCell};
use std::collections::HashMap;

use rusqlite::{params, Connection};
use serde_json::Value;
use td_core::wire::{
    Ack, PullEvent, PullParams, PullResponse, PushRequest, PushResponse, Rejection,
};
use td_core::{model, schema, time};

use super::error::SyncError;
use super::state::{load_state, SyncState};
use super::transport::SyncTransport;

pub(super) const PROJECT: &str = "p_test";

/// An in-memory td-sync: one project, one event log.
#[derive(Default)]
pub(super) struct FakeServer {
    log: RefCell<Vec<PullEvent>>,
    seen: RefCell<HashMap<(String, String, i64), i64>>,
    pub pushes: RefCell<Vec<PushRequest>>,
    pub pulls: RefCell<Vec<PullParams>>,
    /// Fail the push call with this 0-based index with a 429.
    pub fail_push: Cell<Option<usize>>,
    /// Fail the pull call with this 0-based index with a 500.
    pub fail_pull: Cell<Option<usize>>,
    /// Server-side page size cap (the real one clamps at 10 000).
    pub page_cap: Cell<Option<usize>>,
}

pub(super) fn rate_limited() -> SyncError {
    SyncError::Http {
        status: 429,
        body: r#"{"error":{"code":"rate_limited","message":"rate limit exceeded"}}"#.into(),
    }
}

impl FakeServer {
    pub fn log_len(&self) -> usize {
        self.log.borrow().len()
    }

    pub fn log(&self) -> Vec<PullEvent> {
        self.log.borrow().clone()
    }
}

impl SyncTransport for FakeServer {
    fn push(&self, project_id: &str, req: &PushRequest) -> Result<PushResponse, SyncError> {
        assert_eq!(project_id, PROJECT);
        let call = self.pushes.borrow().len();
        self.pushes.borrow_mut().push(req.clone());
        if self.fail_push.get() == Some(call) {
            return Err(rate_limited());
        }
        let mut resp = PushResponse::default();
        let mut acks = Vec::new();
        for e in &req.events {
            let key = (
                req.device_id.clone(),
                req.session_id.clone(),
                e.client_action_id,
            );
            if let Some(seq) = self.seen.borrow().get(&key) {
                resp.rejected.push(Rejection {
                    client_action_id: e.client_action_id,
                    reason: "duplicate".into(),
                    server_seq: Some(*seq),
                });
                continue;
            }
            if e.entity_id.is_empty() {
                resp.rejected.push(Rejection {
                    client_action_id: e.client_action_id,
                    reason: "empty entity_id".into(),
                    server_seq: None,
                });
                continue;
            }
            let seq = self.log.borrow().len() as i64 + 1;
            self.seen.borrow_mut().insert(key, seq);
            self.log.borrow_mut().push(PullEvent {
                server_seq: seq,
                device_id: req.device_id.clone(),
                session_id: req.session_id.clone(),
                client_action_id: e.client_action_id,
                action_type: e.action_type.clone(),
                entity_type: e.entity_type.clone(),
                entity_id: e.entity_id.clone(),
                payload: e.payload.clone(),
                client_timestamp: e.client_timestamp.clone(),
            });
            acks.push(Ack {
                client_action_id: e.client_action_id,
                server_seq: seq,
            });
        }
        resp.accepted = acks.len() as i64;
        resp.acks = (!acks.is_empty()).then_some(acks);
        Ok(resp)
    }

    fn pull(&self, project_id: &str, params: &PullParams) -> Result<PullResponse, SyncError> {
        assert_eq!(project_id, PROJECT);
        let call = self.pulls.borrow().len();
        self.pulls.borrow_mut().push(params.clone());
        if self.fail_pull.get() == Some(call) {
            return Err(SyncError::Http {
                status: 500,
                body: r#"{"error":{"code":"internal_error","message":"boom"}}"#.into(),
            });
        }
        let limit = params.limit.unwrap_or(1000) as usize;
        let limit = self.page_cap.get().map_or(limit, |cap| cap.min(limit));
        let events: Vec<PullEvent> = self
            .log
            .borrow()
            .iter()
            .filter(|e| e.server_seq > params.after_server_seq)
            .filter(|e| params.exclude_client.as_deref() != Some(e.device_id.as_str()))
            .take(limit)
            .cloned()
            .collect();
        Ok(PullResponse {
            last_server_seq: events
                .last()
                .map_or(params.after_server_seq, |e| e.server_seq),
            has_more: events.len() == limit,
            events,
        })
    }
}

/// One td client: its database, device and session.
pub(super) struct Client {
    pub conn: Connection,
    pub device: String,
    pub session: String,
}

impl Client {
    pub fn new(name: &str) -> Client {
        let conn = Connection::open_in_memory().unwrap();
        schema::apply_pragmas(&conn).unwrap();
        schema::create(&conn).unwrap();
        link(&conn);
        Client {
            conn,
            device: format!("dev-{name}"),
            session: format!("ses_{name}"),
        }
    }

    pub fn push(&mut self, server: &FakeServer) -> Result<super::push::PushReport, SyncError> {
        super::push(&mut self.conn, server, &self.device, &self.session, PROJECT)
    }

    pub fn pull(&mut self, server: &FakeServer) -> Result<super::pull::PullReport, SyncError> {
        let state = self.state();
        super::pull(&mut self.conn, server, &self.device, &state)
    }

    pub fn state(&self) -> SyncState {
        load_state(&self.conn).unwrap().expect("linked")
    }

    /// Inserts an action_log row stamped now; returns its rowid.
    pub fn log(&self, action: &str, entity: &str, id: &str, prev: &str, new: &str) -> i64 {
        self.conn
            .execute(
                "INSERT INTO action_log (id, session_id, action_type, entity_type, entity_id, \
                 previous_data, new_data, timestamp, undone) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 0)",
                params![
                    td_core::ids::prefixed8("al-"),
                    self.session,
                    action,
                    entity,
                    id,
                    prev,
                    new,
                    time::action_log_now()
                ],
            )
            .unwrap();
        self.conn.last_insert_rowid()
    }

    /// A logged issue create, the way td writes one.
    pub fn create_issue(&self, id: &str, title: &str) {
        let now = time::db_now();
        self.conn
            .execute(
                "INSERT INTO issues (id, title, created_at, updated_at, creator_session) \
                 VALUES (?1, ?2, ?3, ?3, ?4)",
                params![id, title, now, self.session],
            )
            .unwrap();
        let snap = self.issue_json(id).to_string();
        self.log("create", "issue", id, "", &snap);
    }

    /// A logged issue update of one column, previous/new as full snapshots.
    pub fn edit_issue(&self, id: &str, column: &str, value: &str) {
        let prev = self.issue_json(id).to_string();
        let sql = format!("UPDATE issues SET {column} = ?1, updated_at = ?2 WHERE id = ?3");
        self.conn
            .execute(&sql, params![value, time::db_now(), id])
            .unwrap();
        let new = self.issue_json(id).to_string();
        self.log("update", "issue", id, &prev, &new);
    }

    pub fn issue_json(&self, id: &str) -> Value {
        let columns: Vec<String> = schema::table_columns(&self.conn, "issues")
            .unwrap()
            .into_iter()
            .map(|c| c.name)
            .collect();
        self.conn
            .query_row(
                &format!("SELECT {} FROM issues WHERE id = ?1", columns.join(", ")),
                [id],
                |r| model::row_to_json(r, &columns),
            )
            .unwrap()
    }

    pub fn scalar<T: rusqlite::types::FromSql>(&self, sql: &str) -> T {
        self.conn.query_row(sql, [], |r| r.get(0)).unwrap()
    }

    /// The columns the e2e convergence check compares, as text.
    pub fn issues_text(&self) -> String {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT id||'|'||title||'|'||description||'|'||priority||'|'||status||'|'||COALESCE(deleted_at,'') \
                 FROM issues ORDER BY id",
            )
            .unwrap();
        let rows = stmt.query_map([], |r| r.get::<_, String>(0)).unwrap();
        rows.map(Result::unwrap).collect::<Vec<_>>().join("\n")
    }
}

fn link(conn: &Connection) {
    conn.execute(
        "INSERT INTO sync_state (project_id, last_pushed_action_id, last_pulled_server_seq, sync_disabled) \
         VALUES (?1, 0, 0, 0)",
        [PROJECT],
    )
    .unwrap();
}
