//! Session guarantees, checked during a run after every successful sync of an actor, not
//! only at the end (a failure "healed later" must not pass):
//!
//! - monotonic reads: the actor's pull cursor never goes back, and an issue it has seen
//!   live never vanishes (or turns deleted) unless a delete in the server's log between the
//!   two syncs explains it;
//! - no resurrection: an issue it has seen deleted is live again only if a restore (or a
//!   re-create) in the log between the two syncs explains it;
//! - read-your-writes: each issue write of its own that the server acknowledged in that
//!   window shows with the value it wrote, unless a later event in the window touched the
//!   issue.
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
        let since = self.seen.get(actor).map_or(0, |s| s.cursor);
        if now.cursor >= since {
            let window = self.window(since, now.cursor)?;
            self.read_your_writes(actor, db, since, now.cursor, &window)?;
        }
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

    /// The actor's own issue writes acknowledged at seqs in `(after, upto]` must show with
    /// the values they wrote, unless a later event in the window touched the same issue.
    fn read_your_writes(
        &mut self,
        actor: &str,
        db: &Path,
        after: i64,
        upto: i64,
        window: &[ServerEvent],
    ) -> Result<(), VerifyError> {
        let r = ReadOnlyDb::open(db)?;
        let own = r.rows(
            "SELECT server_seq, action_type, entity_id, COALESCE(previous_data, ''), \
             COALESCE(new_data, '') FROM action_log WHERE server_seq > ?1 AND server_seq <= ?2 \
             AND entity_type IN ('issue', 'issues') AND action_type IN ('create', 'update') \
             AND undone = 0 ORDER BY server_seq",
            [after, upto],
        )?;
        for row in own {
            let (seq, id) = (as_int(&row[0]).unwrap_or(0), as_text(&row[2]).unwrap_or(""));
            if window.iter().any(|e| e.entity_id == id && e.seq > seq) {
                continue;
            }
            let prev = json_fields(as_text(&row[3]).unwrap_or(""));
            let new = json_fields(as_text(&row[4]).unwrap_or(""));
            for field in RYW_FIELDS {
                let Some(want) = new.get(*field).filter(|v| prev.get(*field) != Some(*v)) else {
                    continue;
                };
                let held = r.rows(&format!("SELECT {field} FROM issues WHERE id = ?1"), [id])?;
                let held = held
                    .first()
                    .map(|row| as_text(&row[0]).unwrap_or("").to_string());
                if held.as_deref() != Some(want.as_str()) {
                    self.violations.push(format!(
                        "{actor}: its write acknowledged at seq {seq} set {id}.{field} = \
                         {want:?}, but its replica holds {held:?} and no later event touched {id}"
                    ));
                }
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

/// Text fields read-your-writes compares (as td writes them into `new_data`).
const RYW_FIELDS: &[&str] = &[
    "title",
    "description",
    "status",
    "type",
    "priority",
    "acceptance",
];

/// The string fields of an entity JSON (`null` and absent read as absent).
fn json_fields(text: &str) -> BTreeMap<String, String> {
    let Ok(serde_json::Value::Object(map)) = serde_json::from_str::<serde_json::Value>(text) else {
        return BTreeMap::new();
    };
    map.into_iter()
        .filter_map(|(k, v)| v.as_str().map(|s| (k, s.to_string())))
        .collect()
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
