//! The intent oracle: are the replicas *right*, not only in agreement?
//!
//! Every other check compares replicas with each other, which misses a bug every replica
//! shares: a server that alters what it stores (the author re-applies its own echo, so all
//! agree), a merge that keeps the older write, a restore that forgets a field, a write all
//! replicas lost the same way. The oracle instead
//!
//! 1. reads the project's event log from the server's store, read-only and in process
//!    (`server_log`), and folds it in server_seq order with the apply rules restated in
//!    `fold` — never td-core's apply code, which is what is being checked — into the value
//!    every field of every synced row should hold, with the event that wrote it (`state`);
//! 2. compares every field of every row on every replica with it (`compare`), skipping only
//!    what `local` lists as unpredictable from the log, with the reason;
//! 3. follows every intent the engine recorded (what td reported as done, `engine::intent`)
//!    through the author's action_log, the server's event at the acknowledged seq (`intents`),
//!    and the final replicas (`survival`).
//!
//! Schema facts come from td's DDL (`schema`); values are normalized as SQLite stores them
//! (`value`); `carried` says what one write carries per column; `names` names events.

mod carried;
mod compare;
mod cycle;
mod fold;
mod intents;
pub mod local;
mod names;
mod payload;
mod removal;
mod replica;
mod schema;
mod server_log;
mod state;
mod survival;
mod value;

pub use payload::{canonical_action, canonical_table};

use super::{all_label, ActorDb, CheckResult, ServerData, VerifyError};
use crate::engine::Intent;

/// What the oracle reads.
pub struct OracleInput<'a> {
    /// The server's data directory (the log of the project the replicas are linked to).
    pub server: &'a ServerData,
    pub dbs: &'a [ActorDb],
    /// What td reported as done (empty outside chaos runs).
    pub intents: &'a [Intent],
}

/// Folds the server log, compares every replica with it, and follows every intent: one
/// result per synced table, one for the server log, one for the intents.
pub fn check(input: &OracleInput<'_>) -> Result<Vec<CheckResult>, VerifyError> {
    let schema = schema::Schema::load()?;
    let project = server_log::project(input.dbs)?;
    let events = server_log::read(input.server, &project)?;
    let replicas = input
        .dbs
        .iter()
        .map(|d| replica::read(&schema, d))
        .collect::<Result<Vec<_>, _>>()?;
    let names = names::Names::new(&events, &replicas);
    let expected = fold::fold(&schema, &events);
    let label = all_label(input.dbs);
    let mut out = vec![log_result(&expected, &names, &label)];
    out.extend(compare::check(
        &schema, &expected, &replicas, &names, &label,
    ));
    let world = intents::World {
        schema: &schema,
        replicas: &replicas,
        expected: &expected,
        names: &names,
    };
    out.push(intents::check(&world, input.intents, &label));
    Ok(out)
}

/// The fold itself: always a pass (the rules decide what an event does), listing the events
/// that had no effect, so a failure elsewhere can be read against them.
fn log_result(expected: &state::Expected, names: &names::Names<'_>, label: &str) -> CheckResult {
    let mut details = format!(
        "folded {} server event(s); {} had no effect under the apply rules",
        expected.events,
        expected.no_effect.len()
    );
    for n in expected.no_effect.iter().take(10) {
        details.push_str(&format!("\n  {}: {}", names.seq(n.seq), n.why));
    }
    if expected.no_effect.len() > 10 {
        details.push_str(&format!("\n  … and {} more", expected.no_effect.len() - 10));
    }
    details.push_str(&format!(
        "\nnot predictable from the log: {}",
        local::summary()
    ));
    CheckResult::valid(format!("oracle: server log {label}"), details)
}
