//! A crafted td-sync data directory: server.db's projects table and one events.db per
//! project, with td-sync's DDL (crates/td-sync/src/store/{schema,events}.rs) restated, and
//! a mirror that stores an actor's synced action_log rows the way td-sync would.

use std::path::{Path, PathBuf};

use rusqlite::{params, Connection};
use serde_json::{json, Value};
use td_e2e::verify::{ActorDb, LedgerActor, ServerData};

use super::World;

/// The project every crafted actor is linked to.
pub const PROJECT: &str = "p_00000000000000a1";

const PROJECTS_DDL: &str = "CREATE TABLE projects (id TEXT PRIMARY KEY, name TEXT NOT NULL, \
    description TEXT NOT NULL DEFAULT '', created_at DATETIME NOT NULL, \
    updated_at DATETIME NOT NULL, deleted_at DATETIME, event_count INTEGER NOT NULL DEFAULT 0, \
    last_event_at DATETIME, slug TEXT)";

/// td-sync's events table; `{unique}` is the dedup key (left out to craft a broken store).
const EVENTS_DDL: &str = "CREATE TABLE events (
    server_seq INTEGER PRIMARY KEY AUTOINCREMENT, device_id TEXT NOT NULL,
    session_id TEXT NOT NULL, client_action_id INTEGER NOT NULL, action_type TEXT NOT NULL,
    entity_type TEXT NOT NULL, entity_id TEXT NOT NULL, payload JSON NOT NULL,
    client_timestamp DATETIME NOT NULL, server_timestamp DATETIME DEFAULT CURRENT_TIMESTAMP
    {unique})";

/// One crafted server data directory.
pub struct Server {
    pub dir: PathBuf,
}

impl Server {
    /// `server-data/` under `root` with `projects`, each with an empty events store.
    pub fn new(root: &Path, projects: &[&str]) -> Server {
        Self::build(root, projects, true)
    }

    /// Like [`Server::new`], but the events tables lack the UNIQUE dedup key.
    pub fn without_dedup_key(root: &Path, projects: &[&str]) -> Server {
        Self::build(root, projects, false)
    }

    fn build(root: &Path, projects: &[&str], unique: bool) -> Server {
        let dir = root.join("server-data");
        std::fs::create_dir_all(&dir).unwrap();
        let server = Connection::open(dir.join("server.db")).unwrap();
        server.execute_batch(PROJECTS_DDL).unwrap();
        let key = if unique {
            ", UNIQUE (device_id, session_id, client_action_id)"
        } else {
            ""
        };
        for p in projects {
            server
                .execute(
                    "INSERT INTO projects (id, name, created_at, updated_at) \
                     VALUES (?1, ?1, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')",
                    [p],
                )
                .unwrap();
            let path = dir.join("projects").join(p).join("events.db");
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            Connection::open(&path)
                .unwrap()
                .execute_batch(&EVENTS_DDL.replace("{unique}", key))
                .unwrap();
        }
        Server { dir }
    }

    pub fn data(&self) -> ServerData {
        ServerData::new(&self.dir)
    }

    pub fn events_path(&self, project: &str) -> PathBuf {
        self.dir.join("projects").join(project).join("events.db")
    }

    /// Runs `sql` (a batch) on `project`'s events.db.
    pub fn exec(&self, project: &str, sql: &str) {
        Connection::open(self.events_path(project))
            .unwrap()
            .execute_batch(sql)
            .unwrap_or_else(|e| panic!("{project}: {e}\n{sql}"));
    }

    /// Stores every row of `actor` that carries a server_seq at that seq, as td-sync stores
    /// what td pushes: canonical names, `{schema_version,new_data,previous_data}`, whole
    /// seconds, `client_action_id` = rowid, pushed as `device` in session `e2e-<actor>`.
    pub fn mirror(&self, w: &World, actor: &str, device: &str) {
        let client = Connection::open(w.path(actor)).unwrap();
        let mut stmt = client
            .prepare(
                "SELECT rowid, action_type, entity_type, entity_id, previous_data, new_data, \
                 timestamp, server_seq FROM action_log WHERE server_seq IS NOT NULL",
            )
            .unwrap();
        let rows: Vec<Synced> = stmt
            .query_map([], |r| {
                Ok(Synced {
                    rowid: r.get(0)?,
                    action: r.get(1)?,
                    entity: r.get(2)?,
                    id: r.get(3)?,
                    prev: r.get(4)?,
                    new: r.get(5)?,
                    ts: r.get(6)?,
                    seq: r.get(7)?,
                })
            })
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        let events = Connection::open(self.events_path(PROJECT)).unwrap();
        for Synced {
            rowid,
            action,
            entity,
            id,
            prev,
            new,
            ts,
            seq,
        } in rows
        {
            let payload =
                json!({"schema_version": 1, "new_data": side(&new), "previous_data": side(&prev)});
            events
                .execute(
                    "INSERT INTO events (server_seq, device_id, session_id, client_action_id, \
                     action_type, entity_type, entity_id, payload, client_timestamp) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                    params![
                        seq,
                        device,
                        format!("e2e-{actor}"),
                        rowid,
                        td_core::event::canonical_action(&action),
                        td_core::event::canonical_entity_type(&entity).unwrap(),
                        id,
                        payload.to_string(),
                        whole_seconds(&ts),
                    ],
                )
                .unwrap();
        }
    }
}

/// One synced action_log row, as the mirror reads it.
struct Synced {
    rowid: i64,
    action: String,
    entity: String,
    id: String,
    prev: String,
    new: String,
    ts: String,
    seq: i64,
}

fn side(text: &str) -> Value {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Null) | Err(_) => json!({}),
        Ok(v) => v,
    }
}

/// `2026-01-01T00:00:00.123Z` → `2026-01-01T00:00:00Z` (the crafted rows are all UTC).
fn whole_seconds(ts: &str) -> String {
    match ts.split_once('.') {
        Some((base, _)) => format!("{base}Z"),
        None => ts.to_string(),
    }
}

/// `actor`'s database with its device id `dev-<actor>`.
pub fn ledger_actor(w: &World, actor: &str) -> LedgerActor {
    LedgerActor::new(ActorDb::new(actor, w.path(actor)), device(actor))
}

pub fn device(actor: &str) -> String {
    format!("dev-{actor}")
}
