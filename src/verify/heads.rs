//! Heads, after heal: every actor has pushed everything and pulled everything.
//!
//! Per actor: no action_log row td would still push (pending and mappable, see
//! [`super::pushed`]; rows td can never push are the event-count check's business), and
//! its pull cursor (`sync_state.last_pulled_server_seq`) equals the head of its project as
//! the server's own store has it — not as the other actors believe it
//! ([`super::events`] compares the actors with each other).

use rusqlite::types::Value;

use super::db::{as_int, render_value};
use super::ledger::linked_project;
use super::pushed::{load_rows, map_row};
use super::server_db::ServerData;
use super::{ActorDb, CheckResult, VerifyError};

pub fn check(dbs: &[ActorDb], server: &ServerData) -> Result<Vec<CheckResult>, VerifyError> {
    let mut out = Vec::new();
    for db in dbs {
        let name = format!("heads [{}]", db.actor);
        let mut violations: Vec<String> = load_rows(db)?
            .iter()
            .filter(|r| r.pending() && map_row(r).is_ok())
            .map(|r| format!("PENDING: {} was never pushed", r.label()))
            .collect();
        let mut ok = String::from("nothing pending");
        match linked_project(db)? {
            Err(v) => violations.push(v),
            Ok(link) => match server.open_events(&link.project_id) {
                Err(VerifyError::Missing(p)) => violations.push(format!(
                    "{} is linked to {}, whose event store {} does not exist",
                    db.actor,
                    link.project_id,
                    p.display()
                )),
                Err(e) => return Err(e),
                Ok(store) => {
                    let head = store.head()?;
                    match cursor_violation(&db.actor, &link.cursor, head, &link.project_id) {
                        Some(v) => violations.push(v),
                        None => {
                            ok = format!(
                                "nothing pending; pull cursor at the server head {head} of {}",
                                link.project_id
                            )
                        }
                    }
                }
            },
        }
        out.push(CheckResult::from_violations(name, ok, &violations));
    }
    Ok(out)
}

fn cursor_violation(actor: &str, cursor: &Value, head: i64, project: &str) -> Option<String> {
    let Some(c) = as_int(cursor) else {
        return Some(format!(
            "{actor}'s last_pulled_server_seq is not an integer: {}",
            render_value(cursor)
        ));
    };
    match c.cmp(&head) {
        std::cmp::Ordering::Equal => None,
        std::cmp::Ordering::Less => Some(format!(
            "BEHIND: {actor}'s pull cursor is {c}, the server head of {project} is {head} \
             (seqs {}..{head} never pulled)",
            c + 1
        )),
        std::cmp::Ordering::Greater => Some(format!(
            "AHEAD: {actor}'s pull cursor is {c}, past the server head {head} of {project} \
             (events it pulled are gone from the server, or it skipped seqs)"
        )),
    }
}
