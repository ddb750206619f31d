//! Causal ordering that can fail (weak spot §9.1: the original's could not).
//!
//! Per actor: td pushes pending rows in rowid order and the server numbers them in request
//! order, so an actor's synced rows must carry increasing seqs in rowid order. An inversion
//! means an ack landed on the wrong row; it is reported with what it breaks (an entity's
//! create after its update, a review before its start).
//!
//! Over all actors (their synced rows merged by seq; each seq has one author):
//! - an entity with a synced create has no other event before its first create, whoever
//!   pushed either (deterministic ids such as `bip_`/`dep_` can be created by two actors);
//! - an event that is not a create is about an entity some actor's synced create made. The one
//!   exemption is a `work_session_untag` of a never-tagged pair: td logs the untag even when
//!   no row existed (client spec §6.4);
//! - every issue event that is not a create found the issue in a status (its previous_data)
//!   that an earlier event set (a create or any event's new_data): "start precedes review"
//!   generalised so that it holds under concurrency — a review that found `in_progress` needs
//!   an earlier start; a review straight from `open` (legal in td) needs none.

use std::collections::{BTreeMap, BTreeSet};

use super::log::{load_all, union_by_seq, Event};
use super::{all_label, ActorDb, CheckResult, VerifyError};

pub fn check(dbs: &[ActorDb]) -> Result<Vec<CheckResult>, VerifyError> {
    let logs = load_all(dbs)?;
    let mut out = Vec::new();
    for (db, log) in dbs.iter().zip(&logs) {
        let name = format!("causal ordering [{}]", db.actor);
        let synced: Vec<&Event> = log.iter().filter(|e| e.seq().is_some()).collect();
        let ok = format!("{} synced events in local order", synced.len());
        out.push(CheckResult::from_violations(
            name,
            ok,
            &local_order(&synced),
        ));
    }
    let union = union_by_seq(&logs);
    let mut violations = creates_first(&union);
    violations.extend(status_chain(&union));
    let ok = format!(
        "{} events by seq: every event after its entity's create, every found status set earlier",
        union.len()
    );
    let name = format!("causal ordering {}", all_label(dbs));
    out.push(CheckResult::from_violations(name, ok, &violations));
    Ok(out)
}

/// Synced rows (in rowid order) whose seq does not exceed every earlier row's seq.
fn local_order(synced: &[&Event]) -> Vec<String> {
    let mut out = Vec::new();
    let mut highest: Option<&Event> = None;
    for e in synced {
        if let Some(h) = highest {
            if e.seq() <= h.seq() {
                out.push(format!(
                    "local order inverted{}: {} was logged after {} but got a lower or equal seq",
                    what_it_breaks(h, e),
                    e.render(),
                    h.render()
                ));
                continue;
            }
        }
        highest = Some(e);
    }
    out
}

fn what_it_breaks(earlier: &Event, later: &Event) -> &'static str {
    if earlier.key() != later.key() {
        ""
    } else if earlier.is_create() {
        " (the entity's create must precede its other events)"
    } else if earlier.action_type == "start" && later.action_type == "review" {
        " (start must precede review)"
    } else {
        " (same entity)"
    }
}

/// Rule 1 and 2 of the module doc over the merged log.
fn creates_first(union: &[&Event]) -> Vec<String> {
    let mut first_create: BTreeMap<(String, String), &Event> = BTreeMap::new();
    for e in union.iter().filter(|e| e.is_create()) {
        first_create.entry(e.key()).or_insert(e);
    }
    let mut out = Vec::new();
    for e in union.iter().filter(|e| !e.is_create()) {
        if e.entity == "work_session_issues" && e.action == "delete" {
            continue;
        }
        match first_create.get(&e.key()) {
            None => out.push(format!(
                "{} is about {}/{} but no actor's log has a synced create of it",
                e.render(),
                e.entity,
                e.entity_id
            )),
            Some(c) if c.seq() > e.seq() => out.push(format!(
                "{} precedes the first create of {}/{}: {}",
                e.render(),
                e.entity,
                e.entity_id,
                c.render()
            )),
            Some(_) => {}
        }
    }
    out
}

/// Rule 3 of the module doc: every found status was set by an earlier event.
fn status_chain(union: &[&Event]) -> Vec<String> {
    let mut established: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    let mut out = Vec::new();
    for e in union.iter().filter(|e| e.entity == "issues") {
        if !e.is_create() {
            match e.prev_status.as_deref() {
                None => out.push(format!(
                    "{} has no status in its previous_data (client spec §6.1 logs JSON(prev))",
                    e.render()
                )),
                Some(found) => {
                    let known = established.get(e.entity_id.as_str());
                    if !known.is_some_and(|s| s.contains(found)) {
                        out.push(missing_cause(e, found));
                    }
                }
            }
        }
        if let Some(new) = e.new_status.as_deref() {
            established.entry(&e.entity_id).or_default().insert(new);
        }
    }
    out
}

fn missing_cause(e: &Event, found: &str) -> String {
    let hint = if found == "in_progress" {
        " (no start precedes it)"
    } else {
        ""
    };
    format!(
        "{} found {}/{} {found:?} but no earlier event set that status{hint}",
        e.render(),
        e.entity,
        e.entity_id
    )
}
