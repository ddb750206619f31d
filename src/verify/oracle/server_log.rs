//! The project's event log, read in-process and read-only from the server's store
//! (`<SYNC_PROJECT_DATA_DIR>/<project_id>/events.db`, td-sync `store/events.rs`).
//!
//! Read raw: the payload is the stored text, parsed here; nothing of the server's pull path
//! (its scrub of work_session paths included) is used, so a server that stores something
//! other than what it acknowledged is seen as it is.

use std::path::{Path, PathBuf};

use rusqlite::types::Value;
use serde_json::Value as Json;

use super::super::db::{as_int, as_text, ReadOnlyDb};
use super::super::VerifyError;

/// Where the harness's server keeps a project's event log: the world's `server-data/`
/// holds `server.db` and `projects/` (the harness sets `SYNC_PROJECT_DATA_DIR` to it), and
/// td-sync keeps one `events.db` per project directory.
pub fn events_db_path(world_dir: &Path, project_id: &str) -> PathBuf {
    world_dir
        .join("server-data")
        .join("projects")
        .join(project_id)
        .join("events.db")
}

/// One stored event.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerEvent {
    pub seq: i64,
    pub device_id: String,
    pub session_id: String,
    pub client_action_id: i64,
    pub action_type: String,
    pub entity_type: String,
    pub entity_id: String,
    /// The parsed payload, or the stored text when it is not JSON.
    pub payload: Result<Json, String>,
    pub client_timestamp: String,
}

const SELECT: &str = "SELECT server_seq, device_id, session_id, client_action_id, action_type, \
    entity_type, entity_id, payload, client_timestamp FROM events ORDER BY server_seq";

/// Every event of the log at `path`, in server_seq order.
pub fn read(path: &Path) -> Result<Vec<ServerEvent>, VerifyError> {
    let db = ReadOnlyDb::open(path)?;
    let rows = db.rows(SELECT, [])?;
    rows.iter()
        .map(|r| event(r).ok_or_else(|| bad_row(path, r)))
        .collect()
}

fn event(r: &[Value]) -> Option<ServerEvent> {
    let text = |i: usize| as_text(r.get(i)?).map(str::to_string);
    let raw = text(7)?;
    Some(ServerEvent {
        seq: as_int(r.first()?)?,
        device_id: text(1)?,
        session_id: text(2)?,
        client_action_id: as_int(r.get(3)?)?,
        action_type: text(4)?,
        entity_type: text(5)?,
        entity_id: text(6)?,
        payload: serde_json::from_str(&raw).map_err(|_| raw),
        client_timestamp: text(8)?,
    })
}

fn bad_row(path: &Path, r: &[Value]) -> VerifyError {
    let shown: Vec<String> = r.iter().map(super::super::db::render_value).collect();
    VerifyError::Setup(format!(
        "oracle: {} has an events row of unexpected types: [{}]",
        path.display(),
        shown.join(", ")
    ))
}
