//! action_log agreement, event counts and monotonic server_seq.
//!
//! The original compared server_seqs "present on both sides", which is vacuous: only the
//! author's own pushed rows carry a seq, so two actors share none. What can and must hold
//! instead (and each part can fail):
//! - agreement: no seq is claimed by two actors (one event, one author), every actor is linked
//!   to the same project, and every actor's pull cursor stands at the same seq, at or past
//!   every pushed seq (everyone pulled the whole log);
//! - counts: nothing is left pending after the final sync, a row has a seq iff it is marked
//!   synced, and the issues/comments/logs/work_sessions on disk are exactly the ones some
//!   actor's synced create made (those tables are never hard-deleted by td);
//! - monotonic: seqs are integers > 0, strictly increasing, never duplicated.

use std::collections::{BTreeMap, BTreeSet};

use super::db::{as_int, render_value, ReadOnlyDb};
use super::log::{load_all, union_by_seq, Event};
use super::{all_label, ActorDb, CheckResult, VerifyError};

/// Tables no td verb hard-deletes: their rows must match the synced creates one to one.
const CREATED_ONLY_TABLES: &[&str] = &["issues", "comments", "logs", "work_sessions"];

pub fn agreement(dbs: &[ActorDb]) -> Result<Vec<CheckResult>, VerifyError> {
    let logs = load_all(dbs)?;
    let union = union_by_seq(&logs);
    let mut violations = shared_seqs(&union);
    let cursors = read_cursors(dbs)?;
    let max_seq = union.last().and_then(|e| e.seq()).unwrap_or(0);
    violations.extend(cursor_violations(&cursors, max_seq));
    let per_actor: Vec<String> = dbs
        .iter()
        .zip(&logs)
        .map(|(d, l)| {
            format!(
                "{} {}",
                d.actor,
                l.iter().filter(|e| e.seq().is_some()).count()
            )
        })
        .collect();
    let ok = format!(
        "{} synced events ({}), highest seq {max_seq}, no seq on two actors; one project; \
         every pull cursor at {max_seq} or later and equal",
        union.len(),
        per_actor.join(", ")
    );
    let name = format!("action_log agreement {}", all_label(dbs));
    Ok(vec![CheckResult::from_violations(name, ok, &violations)])
}

/// Seqs that more than one actor's log carries.
fn shared_seqs(union: &[&Event]) -> Vec<String> {
    let mut out = Vec::new();
    for group in union.chunk_by(|x, y| x.seq() == y.seq()) {
        let actors: BTreeSet<&str> = group.iter().map(|e| e.actor.as_str()).collect();
        if actors.len() < 2 {
            continue;
        }
        let same = group.windows(2).all(|w| {
            (&w[0].action_type, &w[0].entity, &w[0].entity_id)
                == (&w[1].action_type, &w[1].entity, &w[1].entity_id)
        });
        let rows: Vec<String> = group.iter().map(|e| e.render()).collect();
        out.push(format!(
            "server_seq {} is claimed by {} actors ({}): {}",
            group[0].seq().unwrap_or_default(),
            actors.len(),
            if same {
                "same event logged twice"
            } else {
                "different events"
            },
            rows.join(" / ")
        ));
    }
    out
}

/// One actor's sync_state rows: (project_id, last_pulled_server_seq).
struct Cursor {
    actor: String,
    rows: Vec<(String, rusqlite::types::Value)>,
}

fn read_cursors(dbs: &[ActorDb]) -> Result<Vec<Cursor>, VerifyError> {
    dbs.iter()
        .map(|d| {
            let db = ReadOnlyDb::open(&d.path)?;
            let rows = db.rows(
                "SELECT project_id, last_pulled_server_seq FROM sync_state ORDER BY project_id",
                [],
            )?;
            Ok(Cursor {
                actor: d.actor.clone(),
                rows: rows
                    .into_iter()
                    .map(|r| (render_value(&r[0]), r[1].clone()))
                    .collect(),
            })
        })
        .collect()
}

fn cursor_violations(cursors: &[Cursor], max_seq: i64) -> Vec<String> {
    let mut out = Vec::new();
    let mut positions = Vec::new();
    let mut projects = BTreeMap::new();
    for c in cursors {
        match c.rows.as_slice() {
            [] => out.push(format!("{} has no sync_state row (never linked)", c.actor)),
            [(project, pulled)] => {
                projects.insert(c.actor.as_str(), project.clone());
                match as_int(pulled) {
                    Some(p) if p < max_seq => out.push(format!(
                        "{}'s pull cursor is {p}, behind server_seq {max_seq} pushed by an actor",
                        c.actor
                    )),
                    Some(p) => positions.push((c.actor.as_str(), p)),
                    None => out.push(format!(
                        "{}'s last_pulled_server_seq is not an integer: {}",
                        c.actor,
                        render_value(pulled)
                    )),
                }
            }
            many => out.push(format!(
                "{} has {} sync_state rows (td keeps one)",
                c.actor,
                many.len()
            )),
        }
    }
    let distinct: BTreeSet<&String> = projects.values().collect();
    if distinct.len() > 1 {
        out.push(format!(
            "actors are linked to different projects: {projects:?}"
        ));
    }
    if positions.windows(2).any(|w| w[0].1 != w[1].1) {
        out.push(format!("pull cursors differ: {positions:?}"));
    }
    out
}

pub fn counts(dbs: &[ActorDb]) -> Result<Vec<CheckResult>, VerifyError> {
    let logs = load_all(dbs)?;
    let created = synced_creates(&logs);
    let mut out = Vec::new();
    for (db, log) in dbs.iter().zip(&logs) {
        let mut violations = push_violations(log);
        let conn = ReadOnlyDb::open(&db.path)?;
        let mut sizes = Vec::new();
        for table in CREATED_ONLY_TABLES {
            let on_disk = ids_of(&conn, table)?;
            sizes.push(format!("{} {table}", on_disk.len()));
            violations.extend(created_vs_rows(&db.actor, table, &created, &on_disk));
        }
        let synced = log.iter().filter(|e| e.seq().is_some()).count();
        let ok = format!(
            "{synced} events pushed, none pending; {} rows match the synced creates",
            sizes.join(", ")
        );
        let name = format!("event counts [{}]", db.actor);
        out.push(CheckResult::from_violations(name, ok, &violations));
    }
    Ok(out)
}

/// Pending rows after the final sync, and rows whose seq and synced_at disagree.
fn push_violations(log: &[Event]) -> Vec<String> {
    let mut out = Vec::new();
    for e in log {
        let has_seq = !matches!(e.seq_value, rusqlite::types::Value::Null);
        let synced = !matches!(e.synced_at, rusqlite::types::Value::Null);
        if has_seq != synced {
            out.push(format!(
                "server_seq and synced_at disagree (synced_at {}): {}",
                render_value(&e.synced_at),
                e.render()
            ));
        } else if !synced && !e.undone {
            out.push(format!("pending, never pushed: {}", e.render()));
        }
    }
    out
}

/// entity → id → the first synced create of it (over all actors).
fn synced_creates(logs: &[Vec<Event>]) -> BTreeMap<String, BTreeMap<String, &Event>> {
    let mut out: BTreeMap<String, BTreeMap<String, &Event>> = BTreeMap::new();
    for e in union_by_seq(logs).into_iter().filter(|e| e.is_create()) {
        out.entry(e.entity.clone())
            .or_default()
            .entry(e.entity_id.clone())
            .or_insert(e);
    }
    out
}

fn ids_of(conn: &ReadOnlyDb, table: &str) -> Result<BTreeSet<String>, VerifyError> {
    let sql = format!("SELECT id FROM {table}");
    Ok(conn
        .rows(&sql, [])?
        .iter()
        .map(|r| {
            super::db::as_text(&r[0])
                .map(str::to_string)
                .unwrap_or_else(|| render_value(&r[0]))
        })
        .collect())
}

fn created_vs_rows(
    actor: &str,
    table: &str,
    created: &BTreeMap<String, BTreeMap<String, &Event>>,
    on_disk: &BTreeSet<String>,
) -> Vec<String> {
    let empty = BTreeMap::new();
    let made = created.get(table).unwrap_or(&empty);
    let mut out = Vec::new();
    for (id, e) in made {
        if !on_disk.contains(id) {
            out.push(format!(
                "{table} row {id:?} is missing on {actor}, created by {}",
                e.render()
            ));
        }
    }
    for id in on_disk.iter().filter(|id| !made.contains_key(*id)) {
        out.push(format!(
            "{table} row {id:?} on {actor} has no synced create in any actor's action_log"
        ));
    }
    out
}

pub fn monotonic(dbs: &[ActorDb]) -> Result<Vec<CheckResult>, VerifyError> {
    let logs = load_all(dbs)?;
    let mut out = Vec::new();
    for (db, log) in dbs.iter().zip(&logs) {
        let name = format!("monotonic server_seq [{}]", db.actor);
        let (violations, seqs) = seq_violations(log);
        let ok = match (seqs.first(), seqs.last()) {
            (Some(a), Some(b)) => format!(
                "{} events, server_seq {a}..{b}, strictly increasing",
                seqs.len()
            ),
            _ => "no synced events".to_string(),
        };
        out.push(CheckResult::from_violations(name, ok, &violations));
    }
    Ok(out)
}

/// Non-integer or non-positive seqs, and duplicates; also returns the sorted integer seqs.
fn seq_violations(log: &[Event]) -> (Vec<String>, Vec<i64>) {
    let mut violations = Vec::new();
    let mut with_seq: Vec<&Event> = Vec::new();
    for e in log {
        match (&e.seq_value, e.seq()) {
            (rusqlite::types::Value::Null, _) => {}
            (_, Some(s)) if s > 0 => with_seq.push(e),
            (_, Some(s)) => {
                violations.push(format!("server_seq {s} is not positive: {}", e.render()))
            }
            (_, None) => violations.push(format!("server_seq is not an integer: {}", e.render())),
        }
    }
    with_seq.sort_by_key(|e| e.seq());
    for w in with_seq.windows(2) {
        if w[1].seq() <= w[0].seq() {
            violations.push(format!(
                "server_seq {} is not greater than its predecessor: {} after {}",
                w[1].seq().unwrap_or_default(),
                w[1].render(),
                w[0].render()
            ));
        }
    }
    let seqs = with_seq.iter().filter_map(|e| e.seq()).collect();
    (violations, seqs)
}
