//! Kills in flight and overlapping pushes (the fault proxy's scenarios):
//!
//! - `kill_during_push`: round after round, an actor's push is answered by the server and
//!   then td-sync (even rounds) or the td waiting for the answer (odd rounds) is killed -9
//!   before the answer arrives; in the end no event is lost and none is stored twice.
//! - `slow_link_overlap`: three actors push at once through slow links, so their pushes
//!   are really inside the server together; the store keeps its promise (seqs 1..N, one
//!   event per client action) and everyone converges.

use std::collections::BTreeMap;

use rusqlite::{Connection, OpenFlags};

use super::ctx::Ctx;
use crate::driver::Driver;
use crate::faults::{Fault, FaultKind, Nemesis, RequestRates};
use crate::harness::Harness;
use crate::verify::CheckResult;

/// Kill rounds in the default suite, and in the soak.
pub const KILL_ROUNDS: usize = 24;
pub const KILL_ROUNDS_SOAK: usize = 200;

pub fn kill_during_push(h: &Harness, _seed: u64) -> Vec<CheckResult> {
    kill_loop(h, "kill_during_push", KILL_ROUNDS)
}

pub fn kill_during_push_soak(h: &Harness, _seed: u64) -> Vec<CheckResult> {
    kill_loop(h, "kill_during_push_soak", KILL_ROUNDS_SOAK)
}

fn every_request(actor: &str, kind: FaultKind) -> Fault {
    let mut rates = RequestRates::default();
    rates.basis_points.insert(kind, 10_000);
    Fault::Requests {
        actor: actor.into(),
        rates,
        seed: 0,
    }
}

fn kill_loop(h: &Harness, name: &'static str, rounds: usize) -> Vec<CheckResult> {
    let mut c = Ctx::new(h, name);
    let actors = h.actors();
    for round in 0..rounds {
        let actor = actors[round % actors.len()].as_str();
        for i in 0..2 {
            if c.create(actor, &format!("round {round} issue {i} by {actor}"), &[])
                .is_none()
            {
                return c.finish();
            }
        }
        let kind = if round % 2 == 0 {
            FaultKind::ServerKill
        } else {
            FaultKind::ClientKill
        };
        if let Err(e) = h.faults().invoke(&every_request(actor, kind)) {
            c.fail("invoke", e.to_string());
            return c.finish();
        }
        let out = h.sync(actor);
        let killed = out.as_ref().is_ok_and(|o| !o.ok());
        if !c.check(
            &format!("round {round}: {} during {actor}'s push", kind.name()),
            killed,
            format!("{out:?}"),
        ) {
            return c.finish();
        }
        if let Err(e) = h.faults().heal() {
            c.fail("heal", e.to_string());
            return c.finish();
        }
        if round % 4 == 3 && !c.sync_all(&format!("round {round}: sync_all")) {
            return c.finish();
        }
    }
    let counts = h.faults().counts();
    let kills = counts.get(&FaultKind::ServerKill).copied().unwrap_or(0)
        + counts.get(&FaultKind::ClientKill).copied().unwrap_or(0);
    c.check(
        "every round killed a push in flight",
        kills as usize >= rounds,
        format!("{kills} kills in {rounds} rounds"),
    );
    if c.sync_all("final sync_all") {
        c.extend(ledger(h, &actors));
        c.converge();
    }
    c.finish()
}

pub fn slow_link_overlap(h: &Harness, _seed: u64) -> Vec<CheckResult> {
    let mut c = Ctx::new(h, "slow_link_overlap");
    let actors = h.actors();
    for a in &actors {
        for i in 0..12 {
            let title = format!("{a} offline issue {i} {}", "padding ".repeat(12));
            if c.create(a, &title, &[]).is_none() {
                return c.finish();
            }
        }
    }
    let rates = RequestRates {
        slow_link: Some(40_000),
        ..RequestRates::default()
    };
    for a in &actors {
        let fault = Fault::Requests {
            actor: a.clone(),
            rates: rates.clone(),
            seed: 0,
        };
        if let Err(e) = h.faults().invoke(&fault) {
            c.fail("invoke", e.to_string());
            return c.finish();
        }
    }
    let outs: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = actors.iter().map(|a| s.spawn(move || h.sync(a))).collect();
        handles
            .into_iter()
            .map(|t| t.join().expect("sync thread"))
            .collect()
    });
    for (a, out) in actors.iter().zip(outs) {
        let ok = out.as_ref().is_ok_and(|o| o.ok());
        c.check(&format!("{a}'s concurrent push"), ok, format!("{out:?}"));
    }
    let overlap = h.faults().core().max_in_flight();
    c.check(
        "pushes overlapped inside the server",
        overlap >= 2,
        format!("at most {overlap} request(s) were at the server at once"),
    );
    let _ = h.faults().heal();
    if c.sync_all("final sync_all") {
        c.extend(ledger(h, &actors));
        c.converge();
    }
    c.finish()
}

/// No lost and no duplicated event: the server's seqs are 1..N, each client action is
/// stored once, and every row an actor authored is marked with the seq that stores it.
fn ledger(h: &Harness, actors: &[String]) -> Vec<CheckResult> {
    let mut out = Vec::new();
    let events = match server_events(h) {
        Ok(e) => e,
        Err(e) => return vec![CheckResult::unknown("ledger: read the server store", e)],
    };
    let dense = events
        .iter()
        .enumerate()
        .all(|(i, e)| e.seq == i as i64 + 1);
    out.push(result(
        "ledger: seqs are exactly 1..N",
        dense,
        format!("{} events", events.len()),
    ));
    let mut by_key: BTreeMap<(String, String, i64), Vec<i64>> = BTreeMap::new();
    for e in &events {
        by_key
            .entry((e.device.clone(), e.session.clone(), e.client_action_id))
            .or_default()
            .push(e.seq);
    }
    let twice: Vec<String> = by_key
        .iter()
        .filter(|(_, seqs)| seqs.len() > 1)
        .map(|(k, seqs)| format!("{k:?} stored at seqs {seqs:?}"))
        .collect();
    out.push(result(
        "ledger: no client action stored twice",
        twice.is_empty(),
        twice.join("\n"),
    ));
    let mut lost = Vec::new();
    for a in actors {
        if let Err(e) = authored_rows_stored(h, a, &events, &mut lost) {
            lost.push(format!("{a}: {e}"));
        }
    }
    out.push(result(
        "ledger: every authored row is stored at its seq",
        lost.is_empty(),
        lost.join("\n"),
    ));
    out
}

fn result(name: &str, ok: bool, details: String) -> CheckResult {
    if ok {
        CheckResult::valid(name, details)
    } else {
        CheckResult::invalid(name, details)
    }
}

struct Event {
    seq: i64,
    device: String,
    session: String,
    client_action_id: i64,
}

fn server_events(h: &Harness) -> Result<Vec<Event>, String> {
    let path = h
        .world_dir()
        .join("server-data/projects")
        .join(h.project_id())
        .join("events.db");
    let conn = Connection::open_with_flags(&path, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|e| format!("open {}: {e}", path.display()))?;
    let mut stmt = conn
        .prepare(
            "SELECT server_seq, device_id, session_id, client_action_id FROM events \
             ORDER BY server_seq",
        )
        .map_err(|e| e.to_string())?;
    let rows = stmt
        .query_map([], |r| {
            Ok(Event {
                seq: r.get(0)?,
                device: r.get(1)?,
                session: r.get(2)?,
                client_action_id: r.get(3)?,
            })
        })
        .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
        .map_err(|e| e.to_string())?;
    Ok(rows)
}

/// Every row `actor` wrote must be acknowledged with a seq at which the server holds that
/// very row (same device, same client action id); none may be left pending.
fn authored_rows_stored(
    h: &Harness,
    actor: &str,
    events: &[Event],
    lost: &mut Vec<String>,
) -> Result<(), String> {
    let auth = h.home_dir(actor).join(".config/td/auth.json");
    let text = std::fs::read_to_string(&auth).map_err(|e| format!("{}: {e}", auth.display()))?;
    let json: serde_json::Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    let device = json["device_id"].as_str().unwrap_or_default().to_string();
    let path = h.db_path(actor);
    let conn = Connection::open_with_flags(&path, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|e| format!("open {}: {e}", path.display()))?;
    let mut stmt = conn
        .prepare("SELECT rowid, server_seq, undone, entity_type FROM action_log ORDER BY rowid")
        .map_err(|e| e.to_string())?;
    let rows = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, Option<i64>>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, String>(3)?,
            ))
        })
        .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
        .map_err(|e| e.to_string())?;
    for (rowid, seq, undone, entity) in rows {
        let stored = |s: i64| {
            events
                .get(usize::try_from(s - 1).unwrap_or(usize::MAX))
                .is_some_and(|e| e.client_action_id == rowid && e.device == device)
        };
        match seq {
            Some(s) if stored(s) => {}
            Some(s) => lost.push(format!(
                "{actor} action_log row {rowid} was acknowledged at seq {s}, but the server \
                 holds another event there"
            )),
            None if undone == 0 && td_core::event::canonical_entity_type(&entity).is_some() => lost
                .push(format!(
                    "{actor} action_log row {rowid} ({entity}) never pushed"
                )),
            None => {}
        }
    }
    Ok(())
}
