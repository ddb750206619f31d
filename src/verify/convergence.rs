//! Convergence: every table of [`CONVERGENCE_TABLES`] holds the same rows on every actor,
//! each table's whole row count agrees, and so does the number of soft-deleted issues.
//! The first actor is compared with each other one (equality is transitive).

use super::db::{render_row, ReadOnlyDb};
use super::diff::row_diff;
use super::tables::{TableSpec, CONVERGENCE_TABLES};
use super::{pair, ActorDb, CheckResult, VerifyError};

const DELETED_COUNT_SQL: &str = "SELECT COUNT(*) FROM issues WHERE deleted_at IS NOT NULL";

pub fn check(dbs: &[ActorDb]) -> Result<Vec<CheckResult>, VerifyError> {
    if dbs.len() < 2 {
        return Err(VerifyError::Setup(format!(
            "convergence needs at least two actors, got {}",
            dbs.len()
        )));
    }
    let conns = dbs
        .iter()
        .map(|d| ReadOnlyDb::open(&d.path))
        .collect::<Result<Vec<_>, _>>()?;
    let first = Side {
        actor: &dbs[0].actor,
        db: &conns[0],
    };
    let mut out = Vec::new();
    for (other, conn) in dbs.iter().zip(&conns).skip(1) {
        let second = Side {
            actor: &other.actor,
            db: conn,
        };
        for spec in CONVERGENCE_TABLES {
            out.push(compare_rows(spec, &first, &second));
            out.push(compare_count(
                &format!("{} row count", spec.name),
                &spec.count_sql(),
                &first,
                &second,
            ));
        }
        out.push(compare_count(
            "deleted issue count",
            DELETED_COUNT_SQL,
            &first,
            &second,
        ));
    }
    Ok(out)
}

struct Side<'a> {
    actor: &'a str,
    db: &'a ReadOnlyDb,
}

/// Rendered rows of `spec` on one side.
pub fn dump(spec: &TableSpec, db: &ReadOnlyDb) -> Result<Vec<String>, VerifyError> {
    let labels = spec.labels();
    Ok(db
        .rows(&spec.select_sql(), [])?
        .iter()
        .map(|r| render_row(&labels, r))
        .collect())
}

fn compare_rows(spec: &TableSpec, a: &Side<'_>, b: &Side<'_>) -> CheckResult {
    let name = format!("convergence: {} rows {}", spec.name, pair(a.actor, b.actor));
    let (rows_a, rows_b) = match (dump(spec, a.db), dump(spec, b.db)) {
        (Ok(x), Ok(y)) => (x, y),
        (Err(e), _) | (_, Err(e)) => return CheckResult::unknown(name, e.to_string()),
    };
    match row_diff(a.actor, &rows_a, b.actor, &rows_b) {
        None => CheckResult::valid(name, format!("{} identical rows", rows_a.len())),
        Some(diff) => CheckResult::invalid(name, format!("{} diverges: {diff}", spec.name)),
    }
}

fn compare_count(what: &str, sql: &str, a: &Side<'_>, b: &Side<'_>) -> CheckResult {
    let name = format!("convergence: {what} {}", pair(a.actor, b.actor));
    let (n_a, n_b) = match (a.db.count(sql), b.db.count(sql)) {
        (Ok(x), Ok(y)) => (x, y),
        (Err(e), _) | (_, Err(e)) => return CheckResult::unknown(name, e.to_string()),
    };
    let details = format!("{}={n_a} {}={n_b} ({sql})", a.actor, b.actor);
    if n_a == n_b {
        CheckResult::valid(name, details)
    } else {
        CheckResult::invalid(name, format!("{what} diverges: {details}"))
    }
}
