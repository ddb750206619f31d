//! The ledger: the actors' acknowledged writes against the server's own event stores.
//!
//! The client-side checks ([`super::events`]) can only see what the actors believe. These
//! read td-sync's stores ([`super::server_db`]) and hold the server to what it acknowledged:
//! - `ledger_acked`: every action_log row its client marked synced with server_seq S is the
//!   event stored at S — the actor's device, `client_action_id` = the rowid, the same entity
//!   type and id, action, payload (as td pushes it, [`super::pushed`]) and second;
//! - `ledger_no_duplicate`: no dedup key (device, session, client action) under two seqs,
//!   and no action stored more often than its author logged it;
//! - `ledger_dense`: each project's seqs are exactly 1..N, and AUTOINCREMENT handed out no
//!   seq beyond N (a seq handed out and gone is an acknowledged write that vanished).
//!
//! Whose row is an acknowledgement: in td only `push` writes `action_log.server_seq`
//! (pulled events are replayed without action_log rows, td_core::apply), so every synced
//! row is its author's own. The check does not lean on that alone: the server's event at
//! S names the device that pushed it, and a row whose seq holds another device's event is
//! reported as such (with the actor owning that device), never silently skipped.

use std::collections::BTreeMap;
use std::path::Path;

use rusqlite::types::Value;
use serde_json::Value as Json;

use super::db::{as_text, render_value, ReadOnlyDb};
use super::pushed::{canonical_json, json_differences, load_rows, map_row, unix_seconds, LogRow};
use super::server_db::{ServerData, ServerEvent};
use super::{ActorDb, CheckResult, VerifyError};

/// Payload fields named per mismatch before the rest is left out.
const FIELDS_SHOWN: usize = 6;

/// One actor as the ledger sees it: its database and the device id td pushes as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerActor {
    pub db: ActorDb,
    pub device_id: String,
}

impl LedgerActor {
    pub fn new(db: ActorDb, device_id: impl Into<String>) -> Self {
        Self {
            db,
            device_id: device_id.into(),
        }
    }

    /// The device id from the actor's `auth.json` (what td sends as `device_id`).
    pub fn from_auth_file(db: ActorDb, auth_json: &Path) -> Result<Self, VerifyError> {
        let err = |reason: String| VerifyError::Device {
            path: auth_json.to_path_buf(),
            reason,
        };
        let text = std::fs::read_to_string(auth_json).map_err(|e| err(e.to_string()))?;
        let v: Json = serde_json::from_str(&text).map_err(|e| err(e.to_string()))?;
        let id = v["device_id"]
            .as_str()
            .filter(|s| !s.is_empty())
            .ok_or_else(|| err("no device_id string".into()))?;
        Ok(Self::new(db, id))
    }

    fn name(&self) -> &str {
        &self.db.actor
    }
}

/// The project an actor's sync_state links it to, and its pull cursor as stored.
pub(super) struct Link {
    pub project_id: String,
    pub cursor: Value,
}

/// The single sync_state row, `Err(violation)` when there is none or more than one.
pub(super) fn linked_project(db: &ActorDb) -> Result<Result<Link, String>, VerifyError> {
    let conn = ReadOnlyDb::open(&db.path)?;
    let rows = conn.rows(
        "SELECT project_id, last_pulled_server_seq FROM sync_state ORDER BY project_id",
        [],
    )?;
    Ok(match rows.as_slice() {
        [one] => Ok(Link {
            project_id: as_text(&one[0])
                .map(str::to_string)
                .unwrap_or_else(|| render_value(&one[0])),
            cursor: one[1].clone(),
        }),
        [] => Err(format!("{} has no sync_state row (never linked)", db.actor)),
        many => Err(format!(
            "{} has {} sync_state rows (td keeps one)",
            db.actor,
            many.len()
        )),
    })
}

/// Which actor pushes as `device` (for messages).
fn owner_of<'a>(actors: &'a [LedgerActor], device: &str) -> &'a str {
    actors
        .iter()
        .find(|a| a.device_id == device)
        .map(LedgerActor::name)
        .unwrap_or("no actor")
}

// ---- ledger_acked ----

pub fn acked(actors: &[LedgerActor], server: &ServerData) -> Result<Vec<CheckResult>, VerifyError> {
    let mut out = Vec::new();
    for actor in actors {
        let name = format!("ledger acked [{}]", actor.name());
        let rows = load_rows(&actor.db)?;
        let claimed: Vec<&LogRow> = rows
            .iter()
            .filter(|r| !matches!(r.server_seq, Value::Null) || !matches!(r.synced_at, Value::Null))
            .collect();
        if claimed.is_empty() {
            out.push(CheckResult::valid(name, "no acknowledged rows"));
            continue;
        }
        let link = match linked_project(&actor.db)? {
            Ok(l) => l,
            Err(v) => {
                let v = format!("{v}, yet {} rows are marked synced", claimed.len());
                out.push(CheckResult::from_violations(name, String::new(), &[v]));
                continue;
            }
        };
        let store = match server.open_events(&link.project_id) {
            Ok(s) => s,
            Err(VerifyError::Missing(p)) => {
                let v = format!(
                    "LOST: {} rows of {} are marked synced to project {}, whose event store {} \
                     does not exist",
                    claimed.len(),
                    actor.name(),
                    link.project_id,
                    p.display()
                );
                out.push(CheckResult::from_violations(name, String::new(), &[v]));
                continue;
            }
            Err(e) => return Err(e),
        };
        let by_seq: BTreeMap<i64, ServerEvent> =
            store.events()?.into_iter().map(|e| (e.seq, e)).collect();
        let violations: Vec<String> = claimed
            .iter()
            .filter_map(|r| ack_violation(r, actor, actors, &by_seq, &link.project_id))
            .collect();
        let ok = format!(
            "{} acknowledged rows are the events at their seqs in {} (device {}, client action, \
             entity, action, payload, second)",
            claimed.len(),
            link.project_id,
            actor.device_id
        );
        out.push(CheckResult::from_violations(name, ok, &violations));
    }
    Ok(out)
}

/// What is wrong with one acknowledged row, if anything.
fn ack_violation(
    row: &LogRow,
    actor: &LedgerActor,
    actors: &[LedgerActor],
    by_seq: &BTreeMap<i64, ServerEvent>,
    project: &str,
) -> Option<String> {
    let who = row.label();
    let Some(seq) = row.seq() else {
        return Some(match &row.server_seq {
            Value::Null => format!(
                "{who} is marked synced (synced_at {}) without a server_seq: the ack cannot be \
                 checked",
                render_value(&row.synced_at)
            ),
            other => format!(
                "{who} has a server_seq that is not an integer: {}",
                render_value(other)
            ),
        });
    };
    let Some(ev) = by_seq.get(&seq) else {
        return Some(format!(
            "LOST: {who} was acknowledged at seq {seq}, but project {project} holds no event {seq}"
        ));
    };
    if ev.device_id != actor.device_id {
        return Some(format!(
            "{who} was acknowledged at seq {seq}, but the server holds another device's event \
             there (device {:?}, {}): {}",
            ev.device_id,
            owner_of(actors, &ev.device_id),
            ev.render()
        ));
    }
    if ev.client_action() != Some(row.rowid) {
        return Some(format!(
            "{who} was acknowledged at seq {seq}, but the server holds client action {} of \
             this device there: {}",
            render_value(&ev.client_action_id),
            ev.render()
        ));
    }
    let pushed = match map_row(row) {
        Ok(p) => p,
        Err(why) => {
            return Some(format!(
                "{who} is acknowledged at seq {seq}, yet td never pushes it ({why}); server \
                 holds {}",
                ev.render()
            ))
        }
    };
    let mut diffs = Vec::new();
    if ev.entity_type != pushed.entity_type {
        diffs.push(format!(
            "entity_type: client {:?} vs server {:?}",
            pushed.entity_type, ev.entity_type
        ));
    }
    if ev.entity_id != pushed.entity_id {
        diffs.push(format!(
            "entity_id: client {:?} vs server {:?}",
            pushed.entity_id, ev.entity_id
        ));
    }
    if ev.action_type != pushed.action_type {
        diffs.push(format!(
            "action_type: client {:?} (from {:?}) vs server {:?}",
            pushed.action_type, row.action_type, ev.action_type
        ));
    }
    match unix_seconds(&ev.client_timestamp) {
        Some(t) if t == pushed.timestamp => {}
        _ => diffs.push(format!(
            "client_timestamp: client {:?} vs server {:?}",
            row.timestamp, ev.client_timestamp
        )),
    }
    match serde_json::from_str::<Json>(&ev.payload) {
        Ok(p) if p == pushed.payload => {}
        Ok(p) => diffs.extend(json_differences(&pushed.payload, &p, FIELDS_SHOWN)),
        Err(e) => diffs.push(format!("server payload is not JSON ({e}): {}", ev.payload)),
    }
    if diffs.is_empty() {
        return None;
    }
    Some(format!(
        "{who} acknowledged at seq {seq} differs from what the server holds: {}; server holds {}",
        diffs.join("; "),
        ev.render()
    ))
}

// ---- ledger_no_duplicate ----

pub fn no_duplicate(
    actors: &[LedgerActor],
    server: &ServerData,
) -> Result<Vec<CheckResult>, VerifyError> {
    // What each actor logged, by content: the most copies of an action the server may hold.
    let mut logged: BTreeMap<&str, BTreeMap<String, Vec<i64>>> = BTreeMap::new();
    for a in actors {
        let by_content = logged.entry(a.device_id.as_str()).or_default();
        for row in load_rows(&a.db)? {
            if let Ok(p) = map_row(&row) {
                by_content
                    .entry(p.content_key())
                    .or_default()
                    .push(row.rowid);
            }
        }
    }
    let mut out = Vec::new();
    for project in server.projects()? {
        let name = format!("ledger no duplicate [{}]", project.id);
        let events = match server.open_events(&project.id) {
            Ok(store) => store.events()?,
            Err(VerifyError::Missing(p)) => {
                out.push(missing_store(name, &project.id, &p));
                continue;
            }
            Err(e) => return Err(e),
        };
        let mut violations = same_dedup_key(&events, actors);
        violations.extend(extra_copies(&events, actors, &logged));
        let ok = format!(
            "{} events: no dedup key twice, no action stored more often than its author logged it",
            events.len()
        );
        out.push(CheckResult::from_violations(name, ok, &violations));
    }
    if out.is_empty() {
        out.push(CheckResult::unknown(
            "ledger no duplicate",
            "server.db lists no project",
        ));
    }
    Ok(out)
}

fn missing_store(name: String, project: &str, path: &Path) -> CheckResult {
    CheckResult::invalid(
        name,
        format!(
            "project {project} is in server.db but its event store {} does not exist",
            path.display()
        ),
    )
}

/// (device, session, client action) under more than one seq (events.db's UNIQUE key).
fn same_dedup_key(events: &[ServerEvent], actors: &[LedgerActor]) -> Vec<String> {
    let mut groups: BTreeMap<(&str, &str, String), Vec<i64>> = BTreeMap::new();
    for e in events {
        groups
            .entry((
                e.device_id.as_str(),
                e.session_id.as_str(),
                render_value(&e.client_action_id),
            ))
            .or_default()
            .push(e.seq);
    }
    groups
        .into_iter()
        .filter(|(_, seqs)| seqs.len() > 1)
        .map(|((device, session, action), seqs)| {
            format!(
                "DUPLICATE: client action {action} of device {device:?} ({}), session \
                 {session:?} is stored at seqs {seqs:?}",
                owner_of(actors, device)
            )
        })
        .collect()
}

/// The content of a stored event, keyed as [`super::pushed::Pushed::content_key`] keys a
/// client row (an unparseable payload or timestamp is kept as raw text: still comparable).
fn stored_content_key(e: &ServerEvent) -> String {
    let ts = unix_seconds(&e.client_timestamp)
        .map(|t| t.to_string())
        .unwrap_or_else(|| format!("{:?}", e.client_timestamp));
    let payload = serde_json::from_str::<Json>(&e.payload)
        .map(|p| canonical_json(&p))
        .unwrap_or_else(|_| e.payload.clone());
    format!(
        "{}/{} {} @{ts} {payload}",
        e.entity_type, e.entity_id, e.action_type
    )
}

/// Per device and content: more stored copies than the author logged. For a device no
/// actor holds there is no log to ask; there the same client action id twice is the tell.
fn extra_copies(
    events: &[ServerEvent],
    actors: &[LedgerActor],
    logged: &BTreeMap<&str, BTreeMap<String, Vec<i64>>>,
) -> Vec<String> {
    let mut stored: BTreeMap<(&str, String), Vec<&ServerEvent>> = BTreeMap::new();
    for e in events {
        stored
            .entry((e.device_id.as_str(), stored_content_key(e)))
            .or_default()
            .push(e);
    }
    let mut out = Vec::new();
    for ((device, key), copies) in stored {
        let seqs: Vec<String> = copies
            .iter()
            .map(|e| {
                format!(
                    "{} (session {:?}, client action {})",
                    e.seq,
                    e.session_id,
                    render_value(&e.client_action_id)
                )
            })
            .collect();
        let first = copies[0];
        let what = format!(
            "{}/{} {} at {:?}",
            first.entity_type, first.entity_id, first.action_type, first.client_timestamp
        );
        match logged.get(device) {
            Some(by_content) => {
                let rowids = by_content.get(&key).cloned().unwrap_or_default();
                let owner = owner_of(actors, device);
                if rowids.is_empty() {
                    out.push(format!(
                        "UNLOGGED: {what} from {owner} (device {device:?}) is stored at seqs \
                         [{}], but {owner}'s action_log has no such action",
                        seqs.join(", ")
                    ));
                } else if copies.len() > rowids.len() {
                    out.push(format!(
                        "DUPLICATE: {what} from {owner} (device {device:?}) is stored {} times, \
                         at seqs [{}], but {owner} logged it {} time(s) (rowids {rowids:?})",
                        copies.len(),
                        seqs.join(", "),
                        rowids.len()
                    ));
                }
            }
            None => {
                let mut ids: Vec<String> = copies
                    .iter()
                    .map(|e| render_value(&e.client_action_id))
                    .collect();
                ids.sort();
                ids.dedup();
                if copies.len() > ids.len() {
                    out.push(format!(
                        "DUPLICATE: {what} from device {device:?} (no actor) is stored {} \
                         times under {} client action id(s), at seqs [{}]",
                        copies.len(),
                        ids.len(),
                        seqs.join(", ")
                    ));
                }
            }
        }
    }
    out
}

// ---- ledger_dense ----

pub fn dense(server: &ServerData) -> Result<Vec<CheckResult>, VerifyError> {
    let mut out = Vec::new();
    for project in server.projects()? {
        let name = format!("ledger dense [{}]", project.id);
        let store = match server.open_events(&project.id) {
            Ok(s) => s,
            Err(VerifyError::Missing(p)) => {
                out.push(missing_store(name, &project.id, &p));
                continue;
            }
            Err(e) => return Err(e),
        };
        let seqs: Vec<i64> = store.events()?.iter().map(|e| e.seq).collect();
        let handed_out = store.sequence()?;
        let violations = seq_violations(&seqs, handed_out);
        let ok = match seqs.len() {
            0 => "no events, none handed out".to_string(),
            n => format!("{n} events, seqs exactly 1..{n}"),
        };
        out.push(CheckResult::from_violations(name, ok, &violations));
    }
    if out.is_empty() {
        out.push(CheckResult::unknown(
            "ledger dense",
            "server.db lists no project",
        ));
    }
    Ok(out)
}

/// Gaps, repeats and non-positive seqs in sorted `seqs`; seqs handed out beyond the last.
fn seq_violations(seqs: &[i64], handed_out: i64) -> Vec<String> {
    let mut out = Vec::new();
    let mut expected = 1;
    for &s in seqs {
        if s < expected {
            out.push(if s < 1 {
                format!("seq {s} is not positive")
            } else {
                format!("REPEAT: seq {s} is stored more than once")
            });
            continue;
        }
        if s > expected {
            out.push(format!(
                "GAP: {} missing (next stored seq is {s})",
                range(expected, s - 1)
            ));
        }
        expected = s + 1;
    }
    let last = expected - 1;
    if handed_out > last {
        out.push(format!(
            "GAP: {} handed out (sqlite_sequence = {handed_out}) and gone",
            range(last + 1, handed_out)
        ));
    }
    out
}

/// `seq 3` or `seqs 3..5`.
fn range(a: i64, b: i64) -> String {
    if a == b {
        format!("seq {a}")
    } else {
        format!("seqs {a}..{b}")
    }
}

#[cfg(test)]
mod tests {
    use super::seq_violations;

    #[test]
    fn dense_seqs_pass_and_every_defect_is_named() {
        assert!(seq_violations(&[1, 2, 3], 3).is_empty());
        assert!(seq_violations(&[], 0).is_empty());
        assert_eq!(
            seq_violations(&[1, 2, 5, 5, 6], 6),
            vec![
                "GAP: seqs 3..4 missing (next stored seq is 5)".to_string(),
                "REPEAT: seq 5 is stored more than once".to_string(),
            ]
        );
        assert_eq!(
            seq_violations(&[2], 4),
            vec![
                "GAP: seq 1 missing (next stored seq is 2)".to_string(),
                "GAP: seqs 3..4 handed out (sqlite_sequence = 4) and gone".to_string(),
            ]
        );
        assert_eq!(seq_violations(&[0, 1], 1), vec!["seq 0 is not positive"]);
    }
}
