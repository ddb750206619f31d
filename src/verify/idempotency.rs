//! Idempotency and replay from nothing: once converged, another `sync_all` round changes
//! nothing in the tables of [`HASH_TABLES`]; a fresh device that joins with an empty database
//! and pulls the whole log equals the replicas; an existing replica that pulls the whole log
//! again from cursor 0 changes nothing. A change fails with the rows that changed, not just
//! two hashes.

use std::path::Path;

use sha2::{Digest, Sha256};

use super::db::ReadOnlyDb;
use super::diff::row_diff;
use super::tables::HASH_TABLES;
use super::{convergence, ActorDb, CheckResult, VerifyError};
use crate::driver::Driver;

/// The rendered rows of every hashed table of one database.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Snapshot {
    tables: Vec<(&'static str, Vec<String>)>,
    hash: String,
}

fn snapshot(path: &Path) -> Result<Snapshot, VerifyError> {
    let db = ReadOnlyDb::open(path)?;
    let mut hasher = Sha256::new();
    let mut tables = Vec::new();
    for spec in HASH_TABLES {
        let rows = convergence::dump(spec, &db)?;
        hasher.update(spec.name.as_bytes());
        hasher.update(b"\n");
        for r in &rows {
            hasher.update(r.as_bytes());
            hasher.update(b"\n");
        }
        tables.push((spec.name, rows));
    }
    Ok(Snapshot {
        tables,
        hash: hex::encode(hasher.finalize()),
    })
}

/// SHA-256 (hex) over the typed rendering of the 10 hashed tables of the database at `path`.
pub fn db_hash(path: &Path) -> Result<String, VerifyError> {
    Ok(snapshot(path)?.hash)
}

pub fn check(driver: &dyn Driver, rounds: usize) -> Result<Vec<CheckResult>, VerifyError> {
    if rounds == 0 {
        return Err(VerifyError::Setup(
            "idempotency needs at least one sync_all round".to_string(),
        ));
    }
    let actors = driver.actors();
    let baseline = actors
        .iter()
        .map(|a| snapshot(&driver.db_path(a)))
        .collect::<Result<Vec<_>, _>>()?;
    for round in 1..=rounds {
        if let Err(e) = driver.sync_all() {
            return Ok(vec![CheckResult::invalid(
                format!("idempotency [round {round}]"),
                format!("sync_all failed in round {round} of {rounds}: {e}"),
            )]);
        }
        let now = actors
            .iter()
            .map(|a| snapshot(&driver.db_path(a)))
            .collect::<Result<Vec<_>, _>>()?;
        if now != baseline {
            return Ok(results(
                &actors,
                &baseline,
                &now,
                &format!("sync_all round {round}"),
            ));
        }
    }
    let mut out: Vec<CheckResult> = actors
        .iter()
        .zip(&baseline)
        .map(|(a, s)| {
            CheckResult::valid(
                format!("idempotency [{a}]"),
                format!(
                    "{rounds} sync_all rounds left hash {} unchanged",
                    &s.hash[..12]
                ),
            )
        })
        .collect();
    out.extend(fresh_device(driver, &actors[0]));
    out.push(repull(driver, &actors[0], &baseline[0])?);
    Ok(out)
}

/// A new device with an empty database pulls the whole log and must equal `first` in every
/// compared table and column.
fn fresh_device(driver: &dyn Driver, first: &str) -> Vec<CheckResult> {
    let name = "replay: a fresh device rebuilds every replica from the log";
    let path = match driver.fresh_replica() {
        Ok(p) => p,
        Err(e) => return vec![CheckResult::unknown(name, e.to_string())],
    };
    let dbs = [
        ActorDb::new(first, driver.db_path(first)),
        ActorDb::new("fresh device", path),
    ];
    match convergence::check(&dbs) {
        Ok(results) => results
            .into_iter()
            .map(|r| CheckResult::new(format!("replay: {}", r.name), r.verdict, r.details))
            .collect(),
        Err(e) => vec![CheckResult::unknown(name, e.to_string())],
    }
}

/// `actor` pulls the whole log again from cursor 0: nothing may change.
fn repull(driver: &dyn Driver, actor: &str, before: &Snapshot) -> Result<CheckResult, VerifyError> {
    let name = format!("replay: re-pull from cursor 0 changes nothing [{actor}]");
    if let Err(e) = driver.rewind_cursor(actor) {
        return Ok(CheckResult::unknown(name, e.to_string()));
    }
    let out = driver.sync(actor)?;
    if !out.ok() {
        return Ok(CheckResult::invalid(
            name,
            format!(
                "td sync after the rewind failed: exit {:?}: {}",
                out.code, out.output
            ),
        ));
    }
    if !out.output.contains("Nothing to push.") {
        return Ok(CheckResult::invalid(
            name,
            format!(
                "{actor} had nothing pending, yet the sync after the rewind pushed: {}",
                out.output.trim()
            ),
        ));
    }
    let after = snapshot(&driver.db_path(actor))?;
    if &after == before {
        return Ok(CheckResult::valid(
            name,
            format!(
                "{} re-applied, hash {} unchanged",
                out.output.trim().replace('\n', " "),
                &after.hash[..12]
            ),
        ));
    }
    let mut r = results(
        &[actor.to_string()],
        std::slice::from_ref(before),
        &[after],
        "the re-pull from cursor 0",
    )
    .remove(0);
    r.name = name;
    Ok(r)
}

fn results(
    actors: &[String],
    before: &[Snapshot],
    after: &[Snapshot],
    what: &str,
) -> Vec<CheckResult> {
    actors
        .iter()
        .zip(before.iter().zip(after))
        .map(|(actor, (b, a))| {
            let name = format!("idempotency [{actor}]");
            if a == b {
                return CheckResult::valid(name, format!("unchanged through {what}"));
            }
            let mut details = format!(
                "{what} changed {actor}: hash {} -> {}",
                &b.hash[..12],
                &a.hash[..12]
            );
            for ((table, rows_b), (_, rows_a)) in b.tables.iter().zip(&a.tables) {
                let before_name = format!("{actor} before");
                let after_name = format!("{actor} after");
                if let Some(d) = row_diff(&before_name, rows_b, &after_name, rows_a) {
                    details.push_str(&format!("\n{table}: {d}"));
                }
            }
            CheckResult::invalid(name, details)
        })
        .collect()
}
