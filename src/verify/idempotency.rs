//! Idempotency: once converged, more `sync_all` rounds change nothing in the 10 tables of
//! [`HASH_TABLES`] (deleted_at included). A change fails with the rows that changed, not just
//! two hashes.

use std::path::Path;

use sha2::{Digest, Sha256};

use super::convergence::dump;
use super::db::ReadOnlyDb;
use super::diff::row_diff;
use super::tables::HASH_TABLES;
use super::{CheckResult, VerifyError};
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
        let rows = dump(spec, &db)?;
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
            return Ok(results(&actors, &baseline, &now, round));
        }
    }
    Ok(actors
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
        .collect())
}

fn results(
    actors: &[String],
    before: &[Snapshot],
    after: &[Snapshot],
    round: usize,
) -> Vec<CheckResult> {
    actors
        .iter()
        .zip(before.iter().zip(after))
        .map(|(actor, (b, a))| {
            let name = format!("idempotency [{actor}]");
            if a == b {
                return CheckResult::valid(name, format!("unchanged through round {round}"));
            }
            let mut details = format!(
                "sync_all round {round} changed {actor}: hash {} -> {}",
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
