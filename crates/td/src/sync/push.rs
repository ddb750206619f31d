//! Push (sync spec §5.4): one local transaction covers backfill, reading pending rows,
//! every HTTP batch, marking and bookkeeping; nothing is marked unless every batch was
//! answered.

use std::collections::HashMap;

use rusqlite::{params, Connection, TransactionBehavior};
use td_core::apply::{record_history, HistoryEntry};
use td_core::wire::{PushEvent, PushRequest, REJECT_DUPLICATE};

use super::backfill::backfill;
use super::error::SyncError;
use super::events::{pending_events, PendingEvent};
use super::report::Line;
use super::state::mark_pushed;
use super::transport::SyncTransport;

/// What a push did and what it prints.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PushReport {
    /// Events the server stored (duplicates not counted).
    pub accepted: i64,
    /// Rows marked synced (acks plus duplicates).
    pub marked: usize,
    /// Rows backfill logged before reading pending rows.
    pub backfilled: usize,
    pub lines: Vec<Line>,
}

/// A row the server acknowledged, with its seq; `new` = stored by this push.
struct Acked {
    rowid: i64,
    seq: i64,
    new: bool,
}

/// Pushes every pending action_log row of this database to `project_id`.
pub fn push(
    conn: &mut Connection,
    transport: &dyn SyncTransport,
    device_id: &str,
    session_id: &str,
    project_id: &str,
) -> Result<PushReport, SyncError> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(SyncError::db("begin push transaction"))?;
    let backfilled = backfill(&tx, session_id)?;
    let pending = pending_events(&tx)?;
    if pending.is_empty() {
        tx.commit().map_err(SyncError::db("commit push"))?;
        return Ok(PushReport {
            backfilled,
            lines: vec![Line::Stdout("Nothing to push.".into())],
            ..PushReport::default()
        });
    }
    let mut accepted = 0;
    let mut acked = Vec::new();
    for batch in pending.chunks(super::sizes::push_batch()) {
        let request = PushRequest {
            device_id: device_id.to_string(),
            session_id: session_id.to_string(),
            events: batch.iter().map(|p| p.event.clone()).collect(),
        };
        let response = transport.push(project_id, &request)?;
        accepted += response.accepted;
        acked.extend(acknowledged(batch, &response));
    }
    mark(&tx, &pending, &acked, device_id)?;
    if let Some(max) = acked.iter().map(|a| a.rowid).max() {
        mark_pushed(&tx, project_id, max)?;
    }
    tx.commit().map_err(SyncError::db("commit push"))?;
    Ok(PushReport {
        accepted,
        marked: acked.len(),
        backfilled,
        lines: vec![Line::Stdout(format!("Pushed {accepted} events."))],
    })
}

/// Acks and `duplicate` rejections carrying a seq, restricted to rows of this batch.
fn acknowledged(batch: &[PendingEvent], response: &td_core::wire::PushResponse) -> Vec<Acked> {
    let sent = |id: i64| batch.iter().any(|p| p.rowid == id);
    let acks = response.acks().iter().map(|a| Acked {
        rowid: a.client_action_id,
        seq: a.server_seq,
        new: true,
    });
    let dups = response
        .rejected
        .iter()
        .filter(|r| r.reason == REJECT_DUPLICATE)
        .filter_map(|r| {
            r.server_seq.filter(|s| *s > 0).map(|seq| Acked {
                rowid: r.client_action_id,
                seq,
                new: false,
            })
        });
    acks.chain(dups).filter(|a| sent(a.rowid)).collect()
}

/// Marks acknowledged rows synced and writes one `push` history row per new ack.
fn mark(
    conn: &Connection,
    pending: &[PendingEvent],
    acked: &[Acked],
    device_id: &str,
) -> Result<(), SyncError> {
    let by_rowid: HashMap<i64, &PushEvent> = pending.iter().map(|p| (p.rowid, &p.event)).collect();
    let mut stmt = conn
        .prepare(
            "UPDATE action_log SET synced_at = CURRENT_TIMESTAMP, server_seq = ?1 WHERE rowid = ?2",
        )
        .map_err(SyncError::db("prepare marking"))?;
    for a in acked {
        stmt.execute(params![a.seq, a.rowid])
            .map_err(SyncError::db(format!("mark action_log row {}", a.rowid)))?;
        let Some(ev) = by_rowid.get(&a.rowid).filter(|_| a.new) else {
            continue;
        };
        record_history(
            conn,
            &HistoryEntry {
                direction: "push",
                action_type: &ev.action_type,
                entity_type: &ev.entity_type,
                entity_id: &ev.entity_id,
                server_seq: a.seq,
                device_id,
            },
        )
        .map_err(SyncError::db("record push history"))?;
    }
    Ok(())
}
