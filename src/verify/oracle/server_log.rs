//! The project's event log, read in-process and read-only from the server's own store
//! through [`ServerData`] (`<data_dir>/projects/<project_id>/events.db`, td-sync
//! `store/events.rs`), with each payload parsed.
//!
//! Read raw: nothing of the server's pull path (its scrub of work_session paths included)
//! is used, so a server that stores something other than what it acknowledged is seen as
//! it is. The project is the one every replica's sync_state links to.

use serde_json::Value as Json;

use super::super::ledger::linked_project;
use super::super::server_db::{self, ServerData};
use super::super::{ActorDb, VerifyError};

/// One stored event, payload parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerEvent {
    pub seq: i64,
    pub device_id: String,
    /// `None` when the stored client_action_id is not an integer (a tampered store).
    pub client_action_id: Option<i64>,
    pub action_type: String,
    pub entity_type: String,
    pub entity_id: String,
    /// The parsed payload, or the stored text when it is not JSON.
    pub payload: Result<Json, String>,
    pub client_timestamp: String,
}

impl From<server_db::ServerEvent> for ServerEvent {
    fn from(e: server_db::ServerEvent) -> ServerEvent {
        ServerEvent {
            seq: e.seq,
            client_action_id: e.client_action(),
            payload: serde_json::from_str(&e.payload).map_err(|_| e.payload.clone()),
            device_id: e.device_id,
            action_type: e.action_type,
            entity_type: e.entity_type,
            entity_id: e.entity_id,
            client_timestamp: e.client_timestamp,
        }
    }
}

/// The project every replica is linked to; replicas that are unlinked or disagree leave
/// nothing to fold (an error, so the oracle is Unknown, never a pass).
pub fn project(dbs: &[ActorDb]) -> Result<String, VerifyError> {
    let mut found: Option<String> = None;
    for db in dbs {
        let link =
            linked_project(db)?.map_err(|why| VerifyError::Setup(format!("oracle: {why}")))?;
        match &found {
            Some(p) if *p != link.project_id => {
                return Err(VerifyError::Setup(format!(
                    "oracle: replicas are linked to different projects ({p} and {} on {})",
                    link.project_id, db.actor
                )))
            }
            _ => found = Some(link.project_id),
        }
    }
    found.ok_or_else(|| VerifyError::Setup("oracle: no replica to read".into()))
}

/// Every event of `project_id`'s log, in server_seq order.
pub fn read(server: &ServerData, project_id: &str) -> Result<Vec<ServerEvent>, VerifyError> {
    let store = server.open_events(project_id)?;
    Ok(store.events()?.into_iter().map(ServerEvent::from).collect())
}
