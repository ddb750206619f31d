//! Kills in flight and overlapping pushes (the fault proxy's scenarios):
//!
//! - `kill_during_push`: round after round, an actor's push is answered by the server and
//!   then td-sync (even rounds) or the td waiting for the answer (odd rounds) is killed -9
//!   before the answer arrives; in the end no event is lost and none is stored twice.
//! - `slow_link_overlap`: three actors push at once through slow links, so their pushes
//!   are really inside the server together; the store keeps its promise (seqs 1..N, one
//!   event per client action) and everyone converges.

use super::ctx::Ctx;
use crate::driver::Driver;
use crate::faults::{Fault, FaultKind, Nemesis, RequestRates};
use crate::harness::Harness;
use crate::verify::{CheckKind, CheckResult, Verifier, VerifyContext};

/// Kill rounds in the default suite, and in the soak.
pub const KILL_ROUNDS: usize = 24;
pub const KILL_ROUNDS_SOAK: usize = 200;

pub fn kill_during_push(h: &Harness, _seed: u64) -> Vec<CheckResult> {
    kill_loop(h, "kill_during_push", KILL_ROUNDS)
}

pub fn kill_during_push_soak(h: &Harness, _seed: u64) -> Vec<CheckResult> {
    kill_loop(h, "kill_during_push_soak", KILL_ROUNDS_SOAK)
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
        if let Err(e) = h.faults().invoke(&Fault::every_request(actor, kind)) {
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
        c.extend(ledger(h));
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
        c.extend(ledger(h));
        c.converge();
    }
    c.finish()
}

/// No lost and no duplicated event, checked on the server's own stores: every acknowledged
/// row stored at its seq, no client action twice, seqs 1..N, every replica at the head.
fn ledger(h: &Harness) -> Vec<CheckResult> {
    let ctx = VerifyContext {
        driver: h,
        owners: &[],
        idempotency_rounds: 0,
        server: Some(crate::run::server_side(h)),
        intents: &[],
    };
    let mut v = Verifier::new();
    for kind in [
        CheckKind::LedgerAcked,
        CheckKind::LedgerNoDuplicate,
        CheckKind::LedgerDense,
        CheckKind::Heads,
    ] {
        v.run(kind, &ctx);
    }
    v.into_results()
}
