//! What td pushes for one `action_log` row, restated here so the ledger checks can compare
//! the client's row with what the server stored without running td's code.
//!
//! td's mapping (crates/td/src/sync/events.rs, sync spec §7.2), restated:
//! - a row is pushed while `synced_at IS NULL AND undone = 0`, in rowid order, as
//!   `client_action_id = rowid`; it stays pending forever when its `id` is empty, its entity
//!   type is outside the client allowlist, a data column is not JSON, or its timestamp does
//!   not parse;
//! - payload = `{"schema_version": 1, "new_data": N, "previous_data": P}` where each side is
//!   the column's JSON (empty, NULL or `null` → `{}`), with the local-only work-session
//!   fields removed from the top level and from both sides;
//! - `client_timestamp` = the row's timestamp cut to whole seconds.
//!
//! The entity and action names go through td_core's taxonomy (the same pure tables
//! [`super::log`] uses): the ledger asks whether the server kept what was pushed, not
//! whether the taxonomy is right, and a second copy of it could only drift.

use std::fmt::Write as _;

use rusqlite::types::Value;
use serde_json::{json, Map, Value as Json};
use td_core::event::{canonical_action, canonical_entity_type, is_client_entity};
use td_core::wire::LOCAL_ONLY_WORK_SESSION_FIELDS;

use super::db::{as_int, as_text, render_value, ReadOnlyDb};
use super::{ActorDb, VerifyError};

/// One action_log row with everything the mapping reads.
#[derive(Debug, Clone)]
pub struct LogRow {
    pub actor: String,
    pub rowid: i64,
    pub id: Option<String>,
    pub action_type: String,
    pub entity_type: String,
    pub entity_id: String,
    pub previous_data: Option<String>,
    pub new_data: Option<String>,
    pub timestamp: String,
    pub undone: bool,
    pub synced_at: Value,
    /// As stored (NULL while pending; anything else that is not an integer is reported).
    pub server_seq: Value,
}

impl LogRow {
    pub fn seq(&self) -> Option<i64> {
        as_int(&self.server_seq)
    }

    /// True while td would still push it (before the mapping's own refusals).
    pub fn pending(&self) -> bool {
        matches!(self.synced_at, Value::Null) && !self.undone
    }

    /// `alice rowid 12 (al-1a2b3c4d) issue/td-abc update` — who and what, for messages.
    pub fn label(&self) -> String {
        format!(
            "{} rowid {} ({}) {}/{} {}",
            self.actor,
            self.rowid,
            self.id.as_deref().unwrap_or("no id"),
            self.entity_type,
            self.entity_id,
            self.action_type
        )
    }
}

/// The event td pushes for a row.
#[derive(Debug, Clone, PartialEq)]
pub struct Pushed {
    pub entity_type: &'static str,
    pub action_type: &'static str,
    pub entity_id: String,
    pub payload: Json,
    /// Unix seconds of the client timestamp.
    pub timestamp: i64,
}

impl Pushed {
    /// The identity of one client action's content: who-independent, seq-independent.
    pub fn content_key(&self) -> String {
        format!(
            "{}/{} {} @{} {}",
            self.entity_type,
            self.entity_id,
            self.action_type,
            self.timestamp,
            canonical_json(&self.payload)
        )
    }
}

/// Why td never pushes a row.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unpushable {
    #[error("empty action_log id")]
    EmptyId,
    #[error("entity type {0:?} is outside the client allowlist")]
    NotClientEntity(String),
    #[error("{0} is not JSON")]
    BadJson(&'static str),
    #[error("timestamp {0:?} does not parse")]
    BadTimestamp(String),
}

/// The event td would push for `row`, or why it never would.
pub fn map_row(row: &LogRow) -> Result<Pushed, Unpushable> {
    if row.id.as_deref().unwrap_or("").is_empty() {
        return Err(Unpushable::EmptyId);
    }
    let entity_type = canonical_entity_type(&row.entity_type)
        .filter(|t| is_client_entity(t))
        .ok_or_else(|| Unpushable::NotClientEntity(row.entity_type.clone()))?;
    let new_data = embed(row.new_data.as_deref()).ok_or(Unpushable::BadJson("new_data"))?;
    let previous_data =
        embed(row.previous_data.as_deref()).ok_or(Unpushable::BadJson("previous_data"))?;
    let mut payload = json!({
        "schema_version": 1,
        "new_data": new_data,
        "previous_data": previous_data,
    });
    scrub(entity_type, &mut payload);
    let timestamp = unix_seconds(&row.timestamp)
        .ok_or_else(|| Unpushable::BadTimestamp(row.timestamp.clone()))?;
    Ok(Pushed {
        entity_type,
        action_type: canonical_action(&row.action_type),
        entity_id: row.entity_id.clone(),
        payload,
        timestamp,
    })
}

/// A data column as JSON: empty/NULL/`null` → `{}`; text that is not JSON → None.
fn embed(text: Option<&str>) -> Option<Json> {
    let text = text.unwrap_or("").trim();
    if text.is_empty() {
        return Some(json!({}));
    }
    match serde_json::from_str::<Json>(text).ok()? {
        Json::Null => Some(json!({})),
        v => Some(v),
    }
}

/// Local paths of a work session never leave the machine (top level and both sides).
fn scrub(entity_type: &str, payload: &mut Json) {
    if entity_type != "work_sessions" {
        return;
    }
    let strip = |m: &mut Map<String, Json>| {
        for f in LOCAL_ONLY_WORK_SESSION_FIELDS {
            m.remove(*f);
        }
    };
    if let Json::Object(top) = payload {
        strip(top);
        for side in ["new_data", "previous_data"] {
            if let Some(Json::Object(inner)) = top.get_mut(side) {
                strip(inner);
            }
        }
    }
}

/// Unix seconds of a timestamp in any layout td writes (whole seconds: the wire cuts the
/// fraction, so two texts of the same second are the same event time).
pub fn unix_seconds(text: &str) -> Option<i64> {
    td_core::time::parse_any(text).map(|t| t.timestamp())
}

/// JSON text with every object's keys sorted, at every depth: two payloads are the same
/// action whatever order their keys were written in (serde_json keeps insertion order here).
pub fn canonical_json(v: &Json) -> String {
    let mut out = String::new();
    write_canonical(v, &mut out);
    out
}

fn write_canonical(v: &Json, out: &mut String) {
    match v {
        Json::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                let _ = write!(out, "{}:", Json::String(k.clone()));
                write_canonical(&m[k], out);
            }
            out.push('}');
        }
        Json::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// Paths where two JSON values differ (`new_data.title: client "a" vs server "b"`), at
/// most `max`, so a failure names the field instead of printing two whole payloads.
pub fn json_differences(client: &Json, server: &Json, max: usize) -> Vec<String> {
    let mut out = Vec::new();
    diff_at("", client, server, &mut out, max);
    out
}

fn diff_at(path: &str, a: &Json, b: &Json, out: &mut Vec<String>, max: usize) {
    if out.len() >= max || a == b {
        return;
    }
    if let (Json::Object(x), Json::Object(y)) = (a, b) {
        let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
        keys.sort();
        keys.dedup();
        for k in keys {
            let sub = if path.is_empty() {
                k.clone()
            } else {
                format!("{path}.{k}")
            };
            match (x.get(k), y.get(k)) {
                (Some(p), Some(q)) => diff_at(&sub, p, q, out, max),
                (Some(p), None) => out.push(format!("{sub}: client {p} vs server absent")),
                (None, Some(q)) => out.push(format!("{sub}: client absent vs server {q}")),
                (None, None) => {}
            }
            if out.len() >= max {
                return;
            }
        }
        return;
    }
    let at = if path.is_empty() { "payload" } else { path };
    out.push(format!("{at}: client {a} vs server {b}"));
}

/// Every action_log row of `db`, in rowid order.
pub fn load_rows(db: &ActorDb) -> Result<Vec<LogRow>, VerifyError> {
    let conn = ReadOnlyDb::open(&db.path)?;
    let rows = conn.rows(
        "SELECT rowid, id, action_type, entity_type, entity_id, previous_data, new_data, \
         timestamp, undone, synced_at, server_seq FROM action_log ORDER BY rowid",
        [],
    )?;
    Ok(rows
        .into_iter()
        .map(|r| LogRow {
            actor: db.actor.clone(),
            rowid: as_int(&r[0]).unwrap_or_default(),
            id: opt_text(&r[1]),
            action_type: text(&r[2]),
            entity_type: text(&r[3]),
            entity_id: text(&r[4]),
            previous_data: opt_text(&r[5]),
            new_data: opt_text(&r[6]),
            timestamp: opt_text(&r[7]).unwrap_or_default(),
            undone: as_int(&r[8]).is_some_and(|u| u != 0),
            synced_at: r[9].clone(),
            server_seq: r[10].clone(),
        })
        .collect())
}

fn text(v: &Value) -> String {
    as_text(v)
        .map(str::to_string)
        .unwrap_or_else(|| render_value(v))
}

fn opt_text(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        other => Some(text(other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(entity: &str, new: &str, prev: &str) -> LogRow {
        LogRow {
            actor: "alice".into(),
            rowid: 3,
            id: Some("al-1".into()),
            action_type: "board_unposition".into(),
            entity_type: entity.into(),
            entity_id: "x".into(),
            previous_data: Some(prev.into()),
            new_data: Some(new.into()),
            timestamp: "2026-01-02T03:04:05.999999999Z".into(),
            undone: false,
            synced_at: Value::Null,
            server_seq: Value::Null,
        }
    }

    #[test]
    fn mapping_matches_the_wire_shape() {
        let p = map_row(&row("board_position", "", "null")).unwrap();
        assert_eq!(p.entity_type, "board_issue_positions");
        assert_eq!(p.action_type, "soft_delete");
        assert_eq!(
            p.payload,
            json!({"schema_version": 1, "new_data": {}, "previous_data": {}})
        );
        assert_eq!(p.timestamp, unix_seconds("2026-01-02T03:04:05Z").unwrap());
        let ws = map_row(&row(
            "work_session",
            r#"{"name":"w","repo_root":"/home/x"}"#,
            r#"{"worktree_root":"/w"}"#,
        ))
        .unwrap();
        assert_eq!(ws.payload["new_data"], json!({"name": "w"}));
        assert_eq!(ws.payload["previous_data"], json!({}));
    }

    #[test]
    fn unpushable_rows_say_why() {
        assert_eq!(
            map_row(&row("sessions", "{}", "")),
            Err(Unpushable::NotClientEntity("sessions".into()))
        );
        assert_eq!(
            map_row(&row("issue", "{oops", "")),
            Err(Unpushable::BadJson("new_data"))
        );
        let mut r = row("issue", "", "");
        r.id = Some(String::new());
        assert_eq!(map_row(&r), Err(Unpushable::EmptyId));
    }

    #[test]
    fn canonical_json_ignores_key_order_and_diffs_name_the_field() {
        let a: Json =
            serde_json::from_str(r#"{"b":1,"a":{"y":[1,{"d":2,"c":3}],"x":"s"}}"#).unwrap();
        let b: Json =
            serde_json::from_str(r#"{"a":{"x":"s","y":[1,{"c":3,"d":2}]},"b":1}"#).unwrap();
        assert_eq!(canonical_json(&a), canonical_json(&b));
        assert_eq!(
            canonical_json(&a),
            r#"{"a":{"x":"s","y":[1,{"c":3,"d":2}]},"b":1}"#
        );
        let c = json!({"new_data": {"title": "x", "gone": 1}});
        let d = json!({"new_data": {"title": "y"}});
        assert_eq!(
            json_differences(&c, &d, 5),
            vec![
                "new_data.gone: client 1 vs server absent".to_string(),
                r#"new_data.title: client "x" vs server "y""#.to_string()
            ]
        );
    }
}
