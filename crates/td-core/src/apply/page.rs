//! Applying one pulled page (sync spec §7.4, §6.2): per event in seq order, each in its
//! own savepoint so a failed event leaves no partial writes behind.

use rusqlite::Connection;
use serde_json::{Map, Value};

use super::conflict::is_conflict;
use super::error::{ApplyError, FailureKind};
use super::ops::{self, OldRow, Target};
use super::payload::{decode, scrub_local_only};
use super::tables::TableCache;
use crate::event::{canonical_entity_type, is_client_entity};
use crate::time::parse_any;
use crate::wire::PullEvent;

/// Why an event was recorded in `sync_skipped_events`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SkipReason {
    OrphanedParent,
    Quarantined,
}

impl SkipReason {
    /// The `reason` column text.
    pub fn as_str(self) -> &'static str {
        match self {
            SkipReason::OrphanedParent => "orphaned_parent",
            SkipReason::Quarantined => "quarantined",
        }
    }
}

/// An event that was skipped (orphan) or quarantined (permanent failure).
#[derive(Debug, Clone, PartialEq)]
pub struct SkippedEvent {
    pub server_seq: i64,
    pub device_id: String,
    pub action_type: String,
    pub entity_type: String,
    pub entity_id: String,
    pub reason: SkipReason,
    pub error: String,
    /// The full pulled payload.
    pub payload: Value,
}

/// A local row a remote replace overwrote while it had unsynced-looking changes.
#[derive(Debug, Clone, PartialEq)]
pub struct Conflict {
    pub entity_type: String,
    pub entity_id: String,
    pub server_seq: i64,
    /// The overwritten row (local-only fields scrubbed).
    pub local_data: Value,
    /// The event's new_data.
    pub remote_data: Value,
}

/// Transient failures of a page: the caller must roll the page back and keep its cursor.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{failed} remote event(s) failed (first: seq={first_seq}: {first_error})")]
pub struct TransientFailure {
    pub failed: usize,
    pub first_seq: i64,
    pub first_error: String,
}

/// What applying a page did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PageOutcome {
    /// Events whose apply returned without error (incl. cycle skips and no-op updates).
    pub applied: usize,
    /// Events in the page (own events included).
    pub received: usize,
    pub skipped: Vec<SkippedEvent>,
    pub conflicts: Vec<Conflict>,
    /// Set when any event failed transiently.
    pub transient: Option<TransientFailure>,
}

/// Applies `events` in server_seq order. Run it inside the caller's transaction; on
/// `transient.is_some()` roll that transaction back, else record the outcome with
/// [`super::record_page`] and advance the cursor. `last_sync_at` is the sync_state value
/// read before this sync (conflict detection only).
pub fn apply_page(
    conn: &Connection,
    events: &[PullEvent],
    own_device_id: &str,
    last_sync_at: Option<&str>,
) -> PageOutcome {
    let last_sync = last_sync_at
        .and_then(parse_any)
        .map(|t| t.with_timezone(&chrono::Utc));
    let mut order: Vec<&PullEvent> = events.iter().collect();
    order.sort_by_key(|e| e.server_seq);
    let mut tables = TableCache::default();
    let mut out = PageOutcome {
        received: events.len(),
        ..PageOutcome::default()
    };
    for ev in order {
        match in_savepoint(conn, |c| apply_cached(c, &mut tables, ev)) {
            Ok(old) => {
                out.applied += 1;
                if let Some(c) = conflict_for(ev, old, own_device_id, last_sync) {
                    out.conflicts.push(c);
                }
            }
            Err(err) => note_failure(&mut out, ev, &err),
        }
    }
    out
}

/// Applies one event outside any page bookkeeping (no savepoint). Returns the row a
/// replace overwrote, if any.
pub fn apply_event(conn: &Connection, event: &PullEvent) -> Result<OldRow, ApplyError> {
    apply_cached(conn, &mut TableCache::default(), event)
}

fn apply_cached(
    conn: &Connection,
    tables: &mut TableCache,
    ev: &PullEvent,
) -> Result<OldRow, ApplyError> {
    let table = canonical_entity_type(&ev.entity_type)
        .filter(|t| is_client_entity(t))
        .ok_or_else(|| ApplyError::InvalidEntityType(ev.entity_type.clone()))?;
    let payload = decode(table, &ev.payload)?;
    if ev.entity_id.is_empty() {
        return Err(ApplyError::EmptyEntityId);
    }
    let target = Target {
        table,
        id: &ev.entity_id,
        seq: ev.server_seq,
    };
    match ev.action_type.as_str() {
        "create" => ops::create(conn, tables, &target, &payload),
        "update" => ops::update(conn, tables, &target, &payload),
        "delete" => ops::delete(conn, &target).map(|()| None),
        "soft_delete" => {
            ops::soft_delete(conn, tables, &target, &ev.client_timestamp).map(|()| None)
        }
        "restore" => ops::restore(conn, &target, &ev.client_timestamp).map(|()| None),
        other => Err(ApplyError::UnknownAction(other.to_string())),
    }
}

/// Runs `f` inside a savepoint, rolling back to it on error.
fn in_savepoint<T>(
    conn: &Connection,
    f: impl FnOnce(&Connection) -> Result<T, ApplyError>,
) -> Result<T, ApplyError> {
    conn.prepare_cached("SAVEPOINT td_apply_event")
        .and_then(|mut s| s.execute([]).map(|_| ()))
        .map_err(ApplyError::sql("open savepoint"))?;
    let result = f(conn);
    let end = match result {
        Ok(_) => Ok(()),
        Err(_) => conn
            .prepare_cached("ROLLBACK TO td_apply_event")
            .and_then(|mut s| s.execute([]).map(|_| ())),
    };
    end.and_then(|()| {
        conn.prepare_cached("RELEASE td_apply_event")
            .and_then(|mut s| s.execute([]).map(|_| ()))
    })
    .map_err(ApplyError::sql("close savepoint"))?;
    result
}

fn conflict_for(
    ev: &PullEvent,
    old: OldRow,
    own_device_id: &str,
    last_sync: Option<chrono::DateTime<chrono::Utc>>,
) -> Option<Conflict> {
    let mut old = old?;
    if !is_conflict(&old, &ev.device_id, own_device_id, last_sync) {
        return None;
    }
    let table = canonical_entity_type(&ev.entity_type).unwrap_or_default();
    scrub_local_only(table, &mut old);
    let mut remote = ev
        .payload
        .get("new_data")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_else(Map::new);
    scrub_local_only(table, &mut remote);
    Some(Conflict {
        entity_type: ev.entity_type.clone(),
        entity_id: ev.entity_id.clone(),
        server_seq: ev.server_seq,
        local_data: Value::Object(old),
        remote_data: Value::Object(remote),
    })
}

fn note_failure(out: &mut PageOutcome, ev: &PullEvent, err: &ApplyError) {
    let reason = match err.kind() {
        FailureKind::Orphan => SkipReason::OrphanedParent,
        FailureKind::Permanent => SkipReason::Quarantined,
        FailureKind::Transient => {
            match out.transient.as_mut() {
                Some(t) => t.failed += 1,
                None => {
                    out.transient = Some(TransientFailure {
                        failed: 1,
                        first_seq: ev.server_seq,
                        first_error: err.to_string(),
                    })
                }
            }
            return;
        }
    };
    out.skipped.push(SkippedEvent {
        server_seq: ev.server_seq,
        device_id: ev.device_id.clone(),
        action_type: ev.action_type.clone(),
        entity_type: ev.entity_type.clone(),
        entity_id: ev.entity_id.clone(),
        reason,
        error: err.to_string(),
        payload: ev.payload.clone(),
    });
}
