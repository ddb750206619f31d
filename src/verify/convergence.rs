//! Convergence: every table of [`CONVERGENCE_TABLES`] holds the same rows on every actor,
//! each table's whole row count agrees, and so does the number of soft-deleted issues.
//! The first actor is compared with each other one (equality is transitive).

use std::collections::BTreeMap;

use super::db::{render_row, render_value, ReadOnlyDb, Row};
use super::diff::{capped_lines, row_diff};
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

/// Rendered rows of `spec` on one side, labelled with the statement's column names (so a
/// `SELECT *` spec is labelled too).
pub fn dump(spec: &TableSpec, db: &ReadOnlyDb) -> Result<Vec<String>, VerifyError> {
    let (labels, rows) = db.table(&spec.select_sql(), [])?;
    Ok(rows.iter().map(|r| render_row(&labels, r)).collect())
}

fn compare_rows(spec: &TableSpec, a: &Side<'_>, b: &Side<'_>) -> CheckResult {
    let name = format!("convergence: {} rows {}", spec.name, pair(a.actor, b.actor));
    let sql = spec.select_sql();
    let (raw_a, raw_b) = match (a.db.rows(&sql, []), b.db.rows(&sql, [])) {
        (Ok(x), Ok(y)) => (x, y),
        (Err(e), _) | (_, Err(e)) => return CheckResult::unknown(name, e.to_string()),
    };
    let labels = spec.labels();
    let render =
        |rows: &[Row]| -> Vec<String> { rows.iter().map(|r| render_row(&labels, r)).collect() };
    let (rows_a, rows_b) = (render(&raw_a), render(&raw_b));
    match row_diff(a.actor, &rows_a, b.actor, &rows_b) {
        None => CheckResult::valid(name, format!("{} identical rows", rows_a.len())),
        Some(diff) => {
            let cells = cell_diffs(spec, &labels, (a.actor, &raw_a), (b.actor, &raw_b));
            let cells = if cells.is_empty() {
                String::new()
            } else {
                format!("differing cells:{}\n", capped_lines(&cells))
            };
            CheckResult::invalid(name, format!("{} diverges: {cells}{diff}", spec.name))
        }
    }
}

/// For rows present on both sides (same first column, the row id), each column that
/// differs: `issues "td-abc" closed_at: alice NULL vs bob "2026-…"`. Names the table and
/// column outright, so a report says which field diverged, not just which row.
fn cell_diffs(
    spec: &TableSpec,
    labels: &[String],
    (name_a, rows_a): (&str, &[Row]),
    (name_b, rows_b): (&str, &[Row]),
) -> Vec<String> {
    let key = |r: &Row| r.first().map(render_value).unwrap_or_default();
    let mut by_key: BTreeMap<String, Vec<&Row>> = BTreeMap::new();
    for r in rows_b {
        by_key.entry(key(r)).or_default().push(r);
    }
    let mut out = Vec::new();
    for ra in rows_a {
        let k = key(ra);
        // Only an unambiguous pair: a key on several rows is left to the row listing.
        let Some([rb]) = by_key.get(&k).map(Vec::as_slice) else {
            continue;
        };
        for (i, (va, vb)) in ra.iter().zip(rb.iter()).enumerate().skip(1) {
            let (ra_text, rb_text) = (render_value(va), render_value(vb));
            if ra_text != rb_text {
                let label = labels.get(i).map(String::as_str).unwrap_or("?");
                out.push(format!(
                    "{} {k} {label}: {name_a} {ra_text} vs {name_b} {rb_text}",
                    spec.name
                ));
            }
        }
    }
    out
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
