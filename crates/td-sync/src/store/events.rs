//! A project's event log (`<project>/events.db`, §2.2): seqs are assigned by SQLite
//! AUTOINCREMENT inside the push transaction, so one request's events are contiguous, and
//! the dedup key makes retries answer with the original seqs.

use rusqlite::types::Type;
use rusqlite::{params, Connection, OptionalExtension, Row, TransactionBehavior};
use serde_json::Value;
use td_core::wire::{scrub_payload, PullEvent, SyncStatus};

use super::StoreResult;

const DDL: &str = r#"
CREATE TABLE IF NOT EXISTS events (
    server_seq INTEGER PRIMARY KEY AUTOINCREMENT,
    device_id TEXT NOT NULL,
    session_id TEXT NOT NULL,
    client_action_id INTEGER NOT NULL,
    action_type TEXT NOT NULL,
    entity_type TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    payload JSON NOT NULL,
    client_timestamp DATETIME NOT NULL,
    server_timestamp DATETIME DEFAULT CURRENT_TIMESTAMP,
    UNIQUE (device_id, session_id, client_action_id)
);
CREATE INDEX IF NOT EXISTS idx_events_entity ON events (entity_type, entity_id);
"#;

/// Creates the events table if absent (idempotent; events.db has no version).
pub fn init(c: &Connection) -> StoreResult<()> {
    c.execute_batch(DDL)?;
    Ok(())
}

/// One validated, normalized event ready to store.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    pub client_action_id: i64,
    /// Canonical action.
    pub action_type: &'static str,
    /// Canonical entity type.
    pub entity_type: &'static str,
    pub entity_id: String,
    /// Scrubbed payload as JSON text.
    pub payload: String,
    /// Normalized RFC3339.
    pub client_timestamp: String,
}

/// What happened to one pushed event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Stored(i64),
    /// The dedup key existed; carries the original seq.
    Duplicate(i64),
    EmptyEntityId,
}

/// Stores a batch in one transaction, in order. The dedup key is looked up before inserting
/// (an `ON CONFLICT DO NOTHING` insert would still burn an AUTOINCREMENT value and leave a
/// gap in the seqs). Returns one outcome per event; nothing is
/// stored if any statement fails.
pub fn append(
    c: &mut Connection,
    device_id: &str,
    session_id: &str,
    events: &[NewEvent],
) -> StoreResult<Vec<Outcome>> {
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut out = Vec::with_capacity(events.len());
    {
        let mut insert = tx.prepare_cached(
            "INSERT INTO events (device_id, session_id, client_action_id, action_type,
                                 entity_type, entity_id, payload, client_timestamp)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?;
        let mut existing = tx.prepare_cached(
            "SELECT server_seq FROM events
             WHERE device_id = ?1 AND session_id = ?2 AND client_action_id = ?3",
        )?;
        for ev in events {
            if ev.entity_id.is_empty() {
                out.push(Outcome::EmptyEntityId);
                continue;
            }
            let key = params![device_id, session_id, ev.client_action_id];
            if let Some(seq) = existing.query_row(key, |r| r.get(0)).optional()? {
                out.push(Outcome::Duplicate(seq));
                continue;
            }
            insert.execute(params![
                device_id,
                session_id,
                ev.client_action_id,
                ev.action_type,
                ev.entity_type,
                ev.entity_id,
                ev.payload,
                ev.client_timestamp
            ])?;
            out.push(Outcome::Stored(tx.last_insert_rowid()));
        }
    }
    tx.commit()?;
    Ok(out)
}

fn pull_event(r: &Row<'_>) -> rusqlite::Result<PullEvent> {
    let entity_type: String = r.get(5)?;
    let raw: String = r.get(7)?;
    let mut payload: Value = serde_json::from_str(&raw)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(7, Type::Text, Box::new(e)))?;
    // Rows stored before a scrub rule existed must not leak local paths either.
    scrub_payload(&entity_type, &mut payload);
    Ok(PullEvent {
        server_seq: r.get(0)?,
        device_id: r.get(1)?,
        session_id: r.get(2)?,
        client_action_id: r.get(3)?,
        action_type: r.get(4)?,
        entity_type,
        entity_id: r.get(6)?,
        payload,
        client_timestamp: r.get(8)?,
    })
}

/// Events with seq > `after` (and device ≠ `exclude`), ascending, at most `limit`.
pub fn pull(
    c: &Connection,
    after: i64,
    limit: i64,
    exclude: Option<&str>,
) -> StoreResult<Vec<PullEvent>> {
    let mut stmt = c.prepare_cached(
        "SELECT server_seq, device_id, session_id, client_action_id, action_type, entity_type,
                entity_id, payload, client_timestamp
         FROM events
         WHERE server_seq > ?1 AND (?2 IS NULL OR device_id != ?2)
         ORDER BY server_seq LIMIT ?3",
    )?;
    let rows = stmt.query_map(params![after, exclude, limit], pull_event)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Count, last seq and the latest row's server_timestamp.
pub fn status(c: &Connection) -> StoreResult<SyncStatus> {
    let (event_count, last_server_seq) = c.query_row(
        "SELECT COUNT(*), COALESCE(MAX(server_seq), 0) FROM events",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let last_event_time = c
        .query_row(
            "SELECT server_timestamp FROM events ORDER BY server_seq DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .optional()?;
    Ok(SyncStatus {
        event_count,
        last_server_seq,
        last_event_time,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ev(id: i64, entity_id: &str) -> NewEvent {
        NewEvent {
            client_action_id: id,
            action_type: "create",
            entity_type: "work_sessions",
            entity_id: entity_id.into(),
            payload: json!({"new_data":{"name":"x","repo_root":"/leak"}}).to_string(),
            client_timestamp: "2026-01-02T03:04:05Z".into(),
        }
    }

    #[test]
    fn append_dedups_and_pull_scrubs() {
        let mut c = Connection::open_in_memory().unwrap();
        init(&c).unwrap();
        let out = append(&mut c, "d", "s", &[ev(1, "ws-1"), ev(2, ""), ev(1, "ws-1")]).unwrap();
        assert_eq!(
            out,
            [
                Outcome::Stored(1),
                Outcome::EmptyEntityId,
                Outcome::Duplicate(1)
            ]
        );
        let out = append(&mut c, "d", "s2", &[ev(1, "ws-1")]).unwrap();
        assert_eq!(out, [Outcome::Stored(2)]);
        let page = pull(&c, 0, 10, None).unwrap();
        assert_eq!(page.len(), 2);
        assert_eq!(page[0].payload, json!({"new_data":{"name":"x"}}));
        assert!(pull(&c, 0, 10, Some("d")).unwrap().is_empty());
        let st = status(&c).unwrap();
        assert_eq!((st.event_count, st.last_server_seq), (2, 2));
        assert!(st.last_event_time.is_some());
    }
}
