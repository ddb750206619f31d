//! The `sync_state` row: which project this database syncs with and how far it got.

use rusqlite::{Connection, OptionalExtension};

use super::error::SyncError;

/// The linked project and its cursors (at most one row; client spec §10).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SyncState {
    pub project_id: String,
    pub last_pushed_action_id: i64,
    pub last_pulled_server_seq: i64,
    /// `YYYY-MM-DD HH:MM:SS` UTC, or None before the first sync.
    pub last_sync_at: Option<String>,
}

/// Reads the sync_state row, None when the project is not linked.
pub fn load_state(conn: &Connection) -> Result<Option<SyncState>, SyncError> {
    conn.query_row(
        "SELECT project_id, COALESCE(last_pushed_action_id, 0), \
         COALESCE(last_pulled_server_seq, 0), last_sync_at FROM sync_state \
         ORDER BY rowid LIMIT 1",
        [],
        |r| {
            Ok(SyncState {
                project_id: r.get(0)?,
                last_pushed_action_id: r.get(1)?,
                last_pulled_server_seq: r.get(2)?,
                last_sync_at: r.get(3)?,
            })
        },
    )
    .optional()
    .map_err(SyncError::db("read sync_state"))
}

/// `MAX(last_pulled_server_seq)`: backfill runs only while it is 0.
pub(crate) fn max_pulled_seq(conn: &Connection) -> Result<i64, SyncError> {
    conn.query_row(
        "SELECT COALESCE(MAX(last_pulled_server_seq), 0) FROM sync_state",
        [],
        |r| r.get(0),
    )
    .map_err(SyncError::db("read pull cursor"))
}

/// After a push: the highest acknowledged rowid and the sync time.
pub(crate) fn mark_pushed(
    conn: &Connection,
    project_id: &str,
    max_action_id: i64,
) -> Result<(), SyncError> {
    conn.execute(
        "UPDATE sync_state SET last_pushed_action_id = ?1, last_sync_at = CURRENT_TIMESTAMP \
         WHERE project_id = ?2",
        rusqlite::params![max_action_id, project_id],
    )
    .map(|_| ())
    .map_err(SyncError::db("update sync_state after push"))
}

/// After a committed pull page: the new cursor and the sync time.
pub(crate) fn mark_pulled(conn: &Connection, project_id: &str, seq: i64) -> Result<(), SyncError> {
    conn.execute(
        "UPDATE sync_state SET last_pulled_server_seq = ?1, last_sync_at = CURRENT_TIMESTAMP \
         WHERE project_id = ?2",
        rusqlite::params![seq, project_id],
    )
    .map(|_| ())
    .map_err(SyncError::db("update sync_state after pull"))
}
