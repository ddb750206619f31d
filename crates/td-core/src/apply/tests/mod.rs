//! Apply-engine tests against the real schema in memory. One file per rule group.

mod create;
mod cycle;
mod delete;
mod failures;
mod normalize;
mod page;
mod update;

use rusqlite::Connection;
use serde_json::{json, Value};

use super::{apply_page, PageOutcome, SkipReason, SkippedEvent};
use crate::schema;
use crate::wire::PullEvent;

pub(super) const ALICE: &str = "dev-alice";
pub(super) const BOB: &str = "dev-bob";
pub(super) const TS: &str = "2026-01-02T03:04:05Z";

/// A fresh client database with the real schema and pragmas.
pub(super) fn db() -> Connection {
    let conn = Connection::open_in_memory().unwrap();
    schema::apply_pragmas(&conn).unwrap();
    schema::create(&conn).unwrap();
    conn
}

/// An event with `{schema_version:1,new_data,previous_data}`.
pub(super) fn ev(
    seq: i64,
    device: &str,
    action: &str,
    entity: &str,
    id: &str,
    new_data: Value,
    previous_data: Value,
) -> PullEvent {
    PullEvent {
        server_seq: seq,
        device_id: device.into(),
        session_id: "ses_000001".into(),
        client_action_id: seq,
        action_type: action.into(),
        entity_type: entity.into(),
        entity_id: id.into(),
        payload: json!({"schema_version":1,"new_data":new_data,"previous_data":previous_data}),
        client_timestamp: TS.into(),
    }
}

/// An event with empty new_data and previous_data (delete, soft_delete, restore).
pub(super) fn bare(seq: i64, device: &str, action: &str, entity: &str, id: &str) -> PullEvent {
    ev(seq, device, action, entity, id, json!({}), json!({}))
}

/// Returns `e` with its client timestamp set to `ts`.
pub(super) fn at(mut e: PullEvent, ts: &str) -> PullEvent {
    e.client_timestamp = ts.into();
    e
}

/// `create` of a full-row snapshot.
pub(super) fn create(seq: i64, entity: &str, id: &str, new_data: Value) -> PullEvent {
    ev(seq, ALICE, "create", entity, id, new_data, json!({}))
}

/// Issue JSON the way td logs it (labels as an array, minor as a bool).
pub(super) fn issue(id: &str, title: &str) -> Value {
    json!({"id":id,"title":title,"status":"open","type":"task","priority":"P2","points":0,
           "labels":[],"implementer_session":"","creator_session":"ses_aaaaaa",
           "reviewer_session":"","created_at":"2026-01-02T03:04:05.123+02:00",
           "updated_at":"2026-01-02T03:04:05.123+02:00","minor":false,"defer_count":0})
}

/// Returns `v` with `key` set.
pub(super) fn with(mut v: Value, key: &str, val: Value) -> Value {
    v.as_object_mut().unwrap().insert(key.into(), val);
    v
}

/// Applies a page with no prior sync, asserting no transient failure.
pub(super) fn apply(conn: &Connection, events: &[PullEvent]) -> PageOutcome {
    let out = apply_page(conn, events, ALICE, None);
    assert_eq!(out.transient, None, "unexpected transient failure");
    out
}

/// Asserts exactly one event was skipped, quarantined, with `needle` in its error.
pub(super) fn assert_quarantined<'a>(out: &'a PageOutcome, needle: &str) -> &'a SkippedEvent {
    assert_eq!(out.skipped.len(), 1);
    let s = &out.skipped[0];
    assert_eq!(s.reason, SkipReason::Quarantined);
    assert!(s.error.contains(needle), "{}", s.error);
    s
}

/// One value as text (`NULL` for null), with its SQLite type: `text:abc`, `integer:1`.
pub(super) fn cell(conn: &Connection, sql: &str, id: &str) -> String {
    conn.query_row(
        &format!("SELECT typeof(x) || ':' || COALESCE(x, 'NULL') FROM ({sql}) WHERE id = ?1"),
        [id],
        |r| r.get(0),
    )
    .unwrap_or_else(|e| panic!("{sql} / {id}: {e}"))
}

/// Shorthand: one column of one row of one table, typed.
pub(super) fn col(conn: &Connection, table: &str, column: &str, id: &str) -> String {
    cell(conn, &format!("SELECT id, {column} AS x FROM {table}"), id)
}

pub(super) fn count(conn: &Connection, table: &str) -> i64 {
    conn.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))
        .unwrap()
}

/// Every synced table, every row and value with its type, in id order.
pub(super) fn dump(conn: &Connection) -> String {
    let mut out = String::new();
    for table in schema::SYNCED_TABLES {
        let mut stmt = conn
            .prepare(&format!("SELECT * FROM {table} ORDER BY id"))
            .unwrap();
        let n = stmt.column_count();
        let rows = stmt
            .query_map([], |r| {
                let vals: Vec<Value> = (0..n)
                    .map(|i| super::normalize::to_json(r.get_ref(i).unwrap()))
                    .collect();
                Ok(Value::Array(vals).to_string())
            })
            .unwrap();
        for row in rows {
            out.push_str(&format!("{table}: {}\n", row.unwrap()));
        }
    }
    out
}
