//! One actor's `action_log` as typed events: what the event checks (agreement, counts,
//! monotonic, causal) read.
//!
//! Only the author's own pushed rows carry a server_seq (pulled events write no action_log
//! rows, sync spec §9.5), so the union of all actors' synced rows is the server's log as the
//! actors know it, each seq with exactly one author.

use rusqlite::types::Value;

use super::db::{as_int, as_text, render_value, ReadOnlyDb};
use super::{ActorDb, VerifyError};

/// One action_log row.
#[derive(Debug, Clone)]
pub struct Event {
    pub actor: String,
    pub rowid: i64,
    /// server_seq as stored (NULL when not pushed; any non-integer is a violation).
    pub seq_value: Value,
    pub synced_at: Value,
    pub undone: bool,
    pub entity_type: String,
    /// Canonical table name (td_core taxonomy), or the lowercased raw name.
    pub entity: String,
    pub action_type: String,
    /// Canonical action (create, update, delete, soft_delete, restore).
    pub action: &'static str,
    pub entity_id: String,
    /// For issue events: the `status` in previous_data (`None` when absent or not JSON).
    pub prev_status: Option<String>,
    /// For issue events: the `status` in new_data.
    pub new_status: Option<String>,
}

impl Event {
    /// The server_seq when it is an integer.
    pub fn seq(&self) -> Option<i64> {
        as_int(&self.seq_value)
    }

    pub fn is_create(&self) -> bool {
        self.action == "create"
    }

    /// `issues/td-abc` — the entity this event is about.
    pub fn key(&self) -> (String, String) {
        (self.entity.clone(), self.entity_id.clone())
    }

    /// Unambiguous one-line rendering for messages.
    pub fn render(&self) -> String {
        format!(
            "{{actor: {:?}, rowid: {}, server_seq: {}, action_type: {:?}, entity_type: {:?}, entity_id: {:?}}}",
            self.actor,
            self.rowid,
            render_value(&self.seq_value),
            self.action_type,
            self.entity_type,
            self.entity_id
        )
    }
}

/// Status inside a snapshot, plain or wrapped (`{"issue":{…}}`, client spec §6.1).
const STATUS_OF: &str =
    "coalesce(json_extract({c}, '$.status'), json_extract({c}, '$.issue.status'))";

fn status_expr(column: &str) -> String {
    format!(
        "CASE WHEN lower(entity_type) IN ('issue', 'issues') AND json_valid({column}) \
         AND json_type({column}) = 'object' THEN {} END",
        STATUS_OF.replace("{c}", column)
    )
}

/// Every action_log row of `db`, in rowid (local, push) order.
pub fn load(db: &ActorDb) -> Result<Vec<Event>, VerifyError> {
    let conn = ReadOnlyDb::open(&db.path)?;
    let sql = format!(
        "SELECT rowid, server_seq, synced_at, undone, entity_type, action_type, entity_id, \
         {}, {} FROM action_log ORDER BY rowid",
        status_expr("previous_data"),
        status_expr("new_data")
    );
    conn.rows(&sql, [])?
        .into_iter()
        .map(|row| Ok(event_from_row(&db.actor, row)))
        .collect()
}

fn event_from_row(actor: &str, row: Vec<Value>) -> Event {
    let text = |v: &Value| {
        as_text(v)
            .map(str::to_string)
            .unwrap_or_else(|| render_value(v))
    };
    let entity_type = text(&row[4]);
    let action_type = text(&row[5]);
    let entity = td_core::event::canonical_entity_type(&entity_type)
        .map(str::to_string)
        .unwrap_or_else(|| entity_type.to_ascii_lowercase());
    Event {
        actor: actor.to_string(),
        rowid: as_int(&row[0]).unwrap_or_default(),
        seq_value: row[1].clone(),
        synced_at: row[2].clone(),
        undone: as_int(&row[3]).is_some_and(|u| u != 0),
        action: td_core::event::canonical_action(&action_type),
        entity,
        entity_type,
        action_type,
        entity_id: text(&row[6]),
        prev_status: as_text(&row[7]).map(str::to_string),
        new_status: as_text(&row[8]).map(str::to_string),
    }
}

/// Every actor's events, in actor order.
pub fn load_all(dbs: &[ActorDb]) -> Result<Vec<Vec<Event>>, VerifyError> {
    dbs.iter().map(load).collect()
}

/// All synced events (integer seq) of all actors, ordered by seq then actor order.
pub fn union_by_seq(logs: &[Vec<Event>]) -> Vec<&Event> {
    let mut all: Vec<&Event> = logs
        .iter()
        .flatten()
        .filter(|e| e.seq().is_some())
        .collect();
    all.sort_by_key(|e| e.seq());
    all
}
