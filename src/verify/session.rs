//! Session guarantees, checked during a run after every successful sync of an actor, not
//! only at the end (a failure "healed later" must not pass):
//!
//! - monotonic reads: the actor's pull cursor never goes back, and an issue it has seen
//!   live never vanishes (or turns deleted) unless a delete in the server's log between the
//!   two syncs explains it;
//! - no resurrection: an issue it has seen deleted is live again only if a restore (or a
//!   re-create) in the log between the two syncs explains it.
//!
//! Entry type: [`SessionMonitor`]; [`SessionMonitor::result`] is the check's verdict.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::db::{as_int, as_text, pull_cursor, ReadOnlyDb};
use super::server_db::{ServerData, ServerEvent};
use super::{CheckResult, VerifyError};

/// What one replica showed after its last successful sync.
#[derive(Debug, Clone, Default)]
struct Seen {
    cursor: i64,
    live: BTreeSet<String>,
    deleted: BTreeSet<String>,
}

/// Watches every actor's replica from one successful sync to the next.
pub struct SessionMonitor {
    server: ServerData,
    project: String,
    seen: BTreeMap<String, Seen>,
    violations: Vec<String>,
    observed: u64,
}

const NAME: &str = "session guarantees: monotonic reads, no resurrection (after every sync)";

impl SessionMonitor {
    pub fn new(server: ServerData, project: impl Into<String>) -> Self {
        SessionMonitor {
            server,
            project: project.into(),
            seen: BTreeMap::new(),
            violations: Vec::new(),
            observed: 0,
        }
    }

    /// After a successful `td sync` of `actor`, whose database is at `db`.
    pub fn after_sync(&mut self, actor: &str, db: &Path) {
        if let Err(e) = self.observe(actor, db) {
            self.violations.push(format!(
                "{actor}: could not read the replica or the log: {e}"
            ));
        }
    }

    fn observe(&mut self, actor: &str, db: &Path) -> Result<(), VerifyError> {
        let now = read(db)?;
        self.observed += 1;
        let Some(before) = self.seen.insert(actor.to_string(), now.clone()) else {
            return Ok(());
        };
        if now.cursor < before.cursor {
            self.violations.push(format!(
                "{actor}: pull cursor went back from {} to {}",
                before.cursor, now.cursor
            ));
            return Ok(());
        }
        let window = self.window(before.cursor, now.cursor)?;
        let explained = |id: &str, actions: &[&str]| {
            window
                .iter()
                .any(|e| e.entity_id == id && actions.contains(&e.action_type.as_str()))
        };
        for id in &before.live {
            let gone = !now.live.contains(id);
            if gone && !explained(id, &["delete", "soft_delete"]) {
                let state = if now.deleted.contains(id) {
                    "turned deleted"
                } else {
                    "vanished"
                };
                self.violations.push(format!(
                    "{actor}: issue {id} {state} between seqs {} and {} with no delete in the \
                     log explaining it",
                    before.cursor, now.cursor
                ));
            }
        }
        for id in &before.deleted {
            if now.live.contains(id) && !explained(id, &["restore", "create"]) {
                self.violations.push(format!(
                    "{actor}: deleted issue {id} came back between seqs {} and {} with no \
                     restore in the log explaining it",
                    before.cursor, now.cursor
                ));
            }
        }
        Ok(())
    }

    /// Issue events with `after < seq <= upto`.
    fn window(&self, after: i64, upto: i64) -> Result<Vec<ServerEvent>, VerifyError> {
        if upto <= after {
            return Ok(Vec::new());
        }
        let events = self.server.open_events(&self.project)?.events()?;
        Ok(events
            .into_iter()
            .filter(|e| e.seq > after && e.seq <= upto)
            .filter(|e| td_core::event::canonical_entity_type(&e.entity_type) == Some("issues"))
            .collect())
    }

    /// Valid when no sync broke a guarantee; names each break otherwise.
    pub fn result(&self) -> CheckResult {
        CheckResult::from_violations(
            NAME,
            format!("{} successful syncs observed", self.observed),
            &self.violations,
        )
    }
}

fn read(db: &Path) -> Result<Seen, VerifyError> {
    let r = ReadOnlyDb::open(db)?;
    let cursor = pull_cursor(&r)?;
    let mut seen = Seen {
        cursor,
        ..Seen::default()
    };
    for row in r.rows("SELECT id, deleted_at IS NOT NULL FROM issues", [])? {
        let id = as_text(&row[0]).unwrap_or_default().to_string();
        if as_int(&row[1]) == Some(1) {
            seen.deleted.insert(id);
        } else {
            seen.live.insert(id);
        }
    }
    Ok(seen)
}
