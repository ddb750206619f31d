//! Read-only, in-process reads of td-sync's own stores (the server's side of the story).
//!
//! Layout under the server's data directory (`<world>/server-data`, the harness points
//! `SYNC_SERVER_DB_PATH` and `SYNC_PROJECT_DATA_DIR` there): `server.db` lists the projects,
//! and `projects/<project_id>/events.db` holds each project's event log, one row per stored
//! event, `server_seq` assigned by AUTOINCREMENT (crates/td-sync/src/store/events.rs).
//!
//! Every column keeps its SQLite type: a tampered or corrupt store must show up as a
//! violation naming the value, not as a reader error that hides it.

use std::path::{Path, PathBuf};

use rusqlite::types::Value;

use super::db::{as_int, as_text, render_value, ReadOnlyDb};
use super::VerifyError;

/// The server's data directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerData {
    dir: PathBuf,
}

/// One row of a project's `events` table.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerEvent {
    /// Always an integer in a sound store (`INTEGER PRIMARY KEY`).
    pub seq: i64,
    pub device_id: String,
    pub session_id: String,
    /// As stored: an integer in a sound store, anything in a tampered one.
    pub client_action_id: Value,
    pub action_type: String,
    pub entity_type: String,
    pub entity_id: String,
    /// The stored JSON text, unparsed (the checks parse it and report text that is not JSON).
    pub payload: String,
    pub client_timestamp: String,
}

impl ServerEvent {
    /// The client action id when it is an integer.
    pub fn client_action(&self) -> Option<i64> {
        as_int(&self.client_action_id)
    }

    /// Unambiguous one-line rendering for messages (payload last: it may be cut).
    pub fn render(&self) -> String {
        format!(
            "{{server_seq: {}, device_id: {:?}, session_id: {:?}, client_action_id: {}, \
             action_type: {:?}, entity_type: {:?}, entity_id: {:?}, client_timestamp: {:?}, \
             payload: {}}}",
            self.seq,
            self.device_id,
            self.session_id,
            render_value(&self.client_action_id),
            self.action_type,
            self.entity_type,
            self.entity_id,
            self.client_timestamp,
            self.payload
        )
    }
}

/// A project as server.db lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Project {
    pub id: String,
    /// Soft-deleted projects keep their store; it must still keep its promises.
    pub deleted: bool,
}

impl ServerData {
    pub fn new(dir: impl AsRef<Path>) -> Self {
        Self {
            dir: dir.as_ref().to_path_buf(),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn server_db(&self) -> PathBuf {
        self.dir.join("server.db")
    }

    /// `projects/<project_id>/events.db`.
    pub fn events_db(&self, project_id: &str) -> PathBuf {
        self.dir.join("projects").join(project_id).join("events.db")
    }

    /// Every project server.db knows, deleted ones included, by id.
    pub fn projects(&self) -> Result<Vec<Project>, VerifyError> {
        let db = ReadOnlyDb::open(&self.server_db())?;
        Ok(db
            .rows(
                "SELECT id, deleted_at IS NOT NULL FROM projects ORDER BY id",
                [],
            )?
            .into_iter()
            .map(|r| Project {
                id: text(&r[0]),
                deleted: as_int(&r[1]).is_some_and(|d| d != 0),
            })
            .collect())
    }

    /// Opens one project's event store. The id comes from an actor's database, so one that
    /// is not a single plain path component is refused rather than joined into a path.
    pub fn open_events(&self, project_id: &str) -> Result<EventStore, VerifyError> {
        let plain = !project_id.is_empty()
            && project_id != ".."
            && project_id != "."
            && !project_id.contains(['/', '\\', '\0']);
        if !plain {
            return Err(VerifyError::Setup(format!(
                "project id {project_id:?} cannot name an event store"
            )));
        }
        Ok(EventStore {
            db: ReadOnlyDb::open(&self.events_db(project_id))?,
        })
    }
}

/// One project's `events.db`, open read-only.
pub struct EventStore {
    db: ReadOnlyDb,
}

impl EventStore {
    /// Every stored event, by seq.
    pub fn events(&self) -> Result<Vec<ServerEvent>, VerifyError> {
        let rows = self.db.rows(
            "SELECT server_seq, device_id, session_id, client_action_id, action_type, \
             entity_type, entity_id, payload, client_timestamp FROM events ORDER BY server_seq",
            [],
        )?;
        rows.into_iter()
            .map(|r| {
                let seq = as_int(&r[0]).ok_or_else(|| {
                    VerifyError::Setup(format!(
                        "{}: server_seq {} is not an integer",
                        self.db.path().display(),
                        render_value(&r[0])
                    ))
                })?;
                Ok(ServerEvent {
                    seq,
                    device_id: text(&r[1]),
                    session_id: text(&r[2]),
                    client_action_id: r[3].clone(),
                    action_type: text(&r[4]),
                    entity_type: text(&r[5]),
                    entity_id: text(&r[6]),
                    payload: text(&r[7]),
                    client_timestamp: text(&r[8]),
                })
            })
            .collect()
    }

    /// The highest stored seq (the head a pull cursor must reach), 0 for an empty store.
    pub fn head(&self) -> Result<i64, VerifyError> {
        self.db
            .count("SELECT COALESCE(MAX(server_seq), 0) FROM events")
    }

    /// The highest seq AUTOINCREMENT has handed out (`sqlite_sequence`), 0 before the first
    /// insert. Above the highest stored seq it means events were assigned and then vanished.
    pub fn sequence(&self) -> Result<i64, VerifyError> {
        let rows = self
            .db
            .rows("SELECT seq FROM sqlite_sequence WHERE name = 'events'", [])?;
        Ok(rows.first().and_then(|r| as_int(&r[0])).unwrap_or(0))
    }

    pub fn path(&self) -> &Path {
        self.db.path()
    }
}

/// Text as is; any other type rendered (so a tampered type is visible, not an error).
fn text(v: &Value) -> String {
    as_text(v)
        .map(str::to_string)
        .unwrap_or_else(|| render_value(v))
}
