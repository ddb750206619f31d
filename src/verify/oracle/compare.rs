//! Every field of every synced row on every replica against the fold's expected value.
//! One result per table; a failure names the row, the column, what each replica holds,
//! the value that should have won and the event that wrote it.

use std::collections::BTreeSet;

use rusqlite::types::Value;

use super::super::db::render_value;
use super::super::CheckResult;
use super::local::{self, When};
use super::names::Names;
use super::replica::Replica;
use super::schema::{Schema, SYNCED};
use super::state::{Cell, Expect, Expected, Row};

/// Compares every replica with `expected`, table by table.
pub fn check(
    schema: &Schema,
    expected: &Expected,
    replicas: &[Replica],
    names: &Names<'_>,
    label: &str,
) -> Vec<CheckResult> {
    SYNCED
        .iter()
        .filter(|t| schema.table(t).is_some())
        .map(|table| {
            let (violations, fields) = table_violations(table, expected, replicas, names);
            let rows = expected.table(table).count();
            CheckResult::from_violations(
                format!("oracle: {table} {label}"),
                format!(
                    "{rows} row(s), {fields} field value(s) on {} replica(s) equal the fold of \
                     {} server event(s)",
                    replicas.len(),
                    expected.events
                ),
                &violations,
            )
        })
        .collect()
}

/// Violations of one table, and how many field values were compared.
fn table_violations(
    table: &str,
    expected: &Expected,
    replicas: &[Replica],
    names: &Names<'_>,
) -> (Vec<String>, usize) {
    let mut out = Vec::new();
    let mut compared = 0;
    let mut ids: BTreeSet<&String> = expected.table(table).map(|(id, _)| id).collect();
    for r in replicas {
        ids.extend(r.rows.get(table).into_iter().flat_map(|m| m.keys()));
    }
    for id in ids {
        match expected.row(table, id) {
            Some(want) => {
                missing_rows(table, id, want, replicas, names, &mut out);
                compared += field_violations(table, id, want, replicas, names, &mut out);
            }
            None => extra_rows(table, id, expected, replicas, names, &mut out),
        }
    }
    (out, compared)
}

fn missing_rows(
    table: &str,
    id: &str,
    want: &Row,
    replicas: &[Replica],
    names: &Names<'_>,
    out: &mut Vec<String>,
) {
    let lacking: Vec<&str> = replicas
        .iter()
        .filter(|r| r.row(table, id).is_none())
        .map(|r| r.actor.as_str())
        .collect();
    if !lacking.is_empty() {
        out.push(format!(
            "{table}/{id}: missing on {}; the log keeps it (written by {})",
            lacking.join(", "),
            names.seq(want.created.seq)
        ));
    }
}

fn extra_rows(
    table: &str,
    id: &str,
    expected: &Expected,
    replicas: &[Replica],
    names: &Names<'_>,
    out: &mut Vec<String>,
) {
    let holders: Vec<&str> = replicas
        .iter()
        .filter(|r| r.row(table, id).is_some())
        .map(|r| r.actor.as_str())
        .collect();
    let why = match expected.removed.get(&(table.to_string(), id.to_string())) {
        Some(gone) => format!("{} by {}", gone.why, names.seq(gone.seq)),
        None => "no server event creates it".to_string(),
    };
    out.push(format!(
        "{table}/{id}: present on {} but the log has no such row ({why})",
        holders.join(", ")
    ));
}

/// True when this cell is not predictable from the log (see `local`).
fn excused(table: &str, column: &str, cell: &Cell) -> bool {
    if local::always(table, column) {
        return true;
    }
    cell.expect == Expect::ApplyTime
        && (local::listed(table, column, When::DefaultedToApplyTime).is_some()
            || local::listed(table, column, When::InitRow).is_some())
}

/// Pushes one violation per column where a replica differs; returns how many values were
/// compared.
fn field_violations(
    table: &str,
    id: &str,
    want: &Row,
    replicas: &[Replica],
    names: &Names<'_>,
    out: &mut Vec<String>,
) -> usize {
    let mut compared = 0;
    for (column, cell) in &want.cells {
        let mut differs = false;
        let mut held = Vec::new();
        for r in replicas {
            let Some(row) = r.row(table, id) else {
                continue;
            };
            let got = row.get(column);
            held.push(format!(
                "{} {}",
                r.actor,
                got.map_or("<no such column>".to_string(), render_value)
            ));
            if excused(table, column, cell) {
                continue;
            }
            compared += 1;
            let wanted = cell.value();
            if got != wanted {
                differs = true;
            }
        }
        if differs {
            out.push(format!(
                "{table}/{id} {column}: {}; want {} from {}",
                held.join(", "),
                cell.value()
                    .map_or("<apply time>".to_string(), render_value),
                names.writer(&cell.by)
            ));
        }
    }
    compared
}

/// A value for messages.
pub fn shown(v: Option<&Value>) -> String {
    v.map_or("<absent>".to_string(), render_value)
}
