//! The bookkeeping rows a pull (and push) writes: `sync_skipped_events`,
//! `sync_conflicts`, `sync_history` (sync spec §5.4, §6.2, §7.7, §7.9).

use rusqlite::{params, Connection};

use super::page::{Conflict, PageOutcome, SkippedEvent};
use crate::wire::PullEvent;

/// One `sync_history` row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEntry<'a> {
    /// `push` or `pull`.
    pub direction: &'a str,
    pub action_type: &'a str,
    pub entity_type: &'a str,
    pub entity_id: &'a str,
    pub server_seq: i64,
    /// Pull: the event author's device; push: our own.
    pub device_id: &'a str,
}

/// Records a skipped/quarantined event, replacing any earlier record for its seq.
pub fn record_skipped(conn: &Connection, s: &SkippedEvent) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT OR REPLACE INTO sync_skipped_events \
         (server_seq, device_id, action_type, entity_type, entity_id, reason, error, payload, skipped_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, strftime('%Y-%m-%d %H:%M:%S', 'now'))",
    )?
    .execute(params![
            s.server_seq,
            s.device_id,
            s.action_type,
            s.entity_type,
            s.entity_id,
            s.reason.as_str(),
            s.error,
            s.payload.to_string()
        ])?;
    Ok(())
}

/// Records an overwritten local row.
pub fn record_conflict(conn: &Connection, c: &Conflict) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO sync_conflicts \
         (entity_type, entity_id, server_seq, local_data, remote_data, overwritten_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, strftime('%Y-%m-%d %H:%M:%S', 'now'))",
    )?
    .execute(params![
        c.entity_type,
        c.entity_id,
        c.server_seq,
        c.local_data.to_string(),
        c.remote_data.to_string()
    ])?;
    Ok(())
}

/// Appends one `sync_history` row stamped now (UTC).
pub fn record_history(conn: &Connection, e: &HistoryEntry<'_>) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO sync_history \
         (direction, action_type, entity_type, entity_id, server_seq, device_id, timestamp) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, strftime('%Y-%m-%d %H:%M:%S', 'now'))",
    )?
    .execute(params![
        e.direction,
        e.action_type,
        e.entity_type,
        e.entity_id,
        e.server_seq,
        e.device_id
    ])?;
    Ok(())
}

/// Writes a committed page's bookkeeping: its conflicts, its skipped events and one
/// `pull` history row per received event (author's device id).
pub fn record_page(
    conn: &Connection,
    events: &[PullEvent],
    outcome: &PageOutcome,
) -> rusqlite::Result<()> {
    for c in &outcome.conflicts {
        record_conflict(conn, c)?;
    }
    for s in &outcome.skipped {
        record_skipped(conn, s)?;
    }
    for ev in events {
        record_history(
            conn,
            &HistoryEntry {
                direction: "pull",
                action_type: &ev.action_type,
                entity_type: &ev.entity_type,
                entity_id: &ev.entity_id,
                server_seq: ev.server_seq,
                device_id: &ev.device_id,
            },
        )?;
    }
    Ok(())
}
