//! Pull (sync spec §6.2): page by page from the cursor, each page applied and recorded in
//! its own transaction; the cursor moves only when a page commits.

use rusqlite::{Connection, TransactionBehavior};
use td_core::apply::{apply_page, record_page, Conflict};
use td_core::wire::{PullParams, PullResponse};

use super::error::SyncError;
use super::report::Line;
use super::state::{mark_pulled, SyncState};
use super::transport::SyncTransport;

/// Conflict lines listed before `... and N more`.
const MAX_CONFLICT_LINES: usize = 10;

/// What a pull did and what it prints.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PullReport {
    /// Events received, own events included.
    pub received: usize,
    /// Events applied without error (cycle skips and no-op updates included).
    pub applied: usize,
    /// Orphaned or quarantined events.
    pub skipped: usize,
    pub conflicts: Vec<Conflict>,
    /// The cursor after the last committed page.
    pub cursor: i64,
    pub lines: Vec<Line>,
}

/// Pulls every event after `state.last_pulled_server_seq` and applies it. `state` is the
/// row read at the start of `td sync` (its `last_sync_at` predates this run's push).
/// Always without `exclude_client`: own events are re-applied so every client replays
/// the whole log in seq order.
pub fn pull(
    conn: &mut Connection,
    transport: &dyn SyncTransport,
    own_device_id: &str,
    state: &SyncState,
) -> Result<PullReport, SyncError> {
    let mut report = PullReport {
        cursor: state.last_pulled_server_seq,
        ..PullReport::default()
    };
    loop {
        let params = PullParams {
            after_server_seq: report.cursor,
            limit: Some(super::sizes::pull_limit()),
            exclude_client: None,
        };
        let page = transport.pull(&state.project_id, &params)?;
        if page.events.is_empty() {
            break;
        }
        check_advances(&page, report.cursor)?;
        apply_and_commit(conn, &page, own_device_id, state, &mut report)?;
        if !page.has_more {
            break;
        }
    }
    report.lines = lines(&report);
    Ok(report)
}

fn check_advances(page: &PullResponse, cursor: i64) -> Result<(), SyncError> {
    if page.last_server_seq <= cursor {
        return Err(SyncError::Protocol(format!(
            "page of {} events ends at seq {} which is not after cursor {cursor}",
            page.events.len(),
            page.last_server_seq
        )));
    }
    Ok(())
}

/// One page in one transaction: apply, bookkeeping, cursor; a transient failure rolls
/// all of it back.
fn apply_and_commit(
    conn: &mut Connection,
    page: &PullResponse,
    own_device_id: &str,
    state: &SyncState,
    report: &mut PullReport,
) -> Result<(), SyncError> {
    // Deferred, like the original: a writer holding the lock makes the page's first write
    // fail as a transient apply error (page rolled back, cursor kept).
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Deferred)
        .map_err(SyncError::db("begin pull transaction"))?;
    let outcome = apply_page(
        &tx,
        &page.events,
        own_device_id,
        state.last_sync_at.as_deref(),
    );
    if let Some(failure) = outcome.transient {
        return Err(SyncError::Apply(failure));
    }
    record_page(&tx, &page.events, &outcome).map_err(SyncError::db("record pulled page"))?;
    mark_pulled(&tx, &state.project_id, page.last_server_seq)?;
    tx.commit().map_err(SyncError::db("commit pulled page"))?;
    report.cursor = page.last_server_seq;
    report.received += outcome.received;
    report.applied += outcome.applied;
    report.skipped += outcome.skipped.len();
    report.conflicts.extend(outcome.conflicts);
    Ok(())
}

/// `Nothing to pull.` / `Pulled N events (M applied).` plus the warnings.
fn lines(report: &PullReport) -> Vec<Line> {
    if report.received == 0 {
        return vec![Line::Stdout("Nothing to pull.".into())];
    }
    let mut out = vec![Line::Stdout(format!(
        "Pulled {} events ({} applied).",
        report.received, report.applied
    ))];
    if report.skipped > 0 {
        out.push(Line::Stderr(format!(
            "Warning: {} remote event(s) skipped and recorded; see `td sync status`",
            report.skipped
        )));
    }
    if !report.conflicts.is_empty() {
        out.push(Line::Stderr(format!(
            "Warning: {} local records overwritten by remote changes:",
            report.conflicts.len()
        )));
        for c in report.conflicts.iter().take(MAX_CONFLICT_LINES) {
            out.push(Line::Stdout(format!(
                "  {}/{} (seq {})",
                c.entity_type, c.entity_id, c.server_seq
            )));
        }
        if report.conflicts.len() > MAX_CONFLICT_LINES {
            out.push(Line::Stdout(format!(
                "  ... and {} more",
                report.conflicts.len() - MAX_CONFLICT_LINES
            )));
        }
    }
    out
}
