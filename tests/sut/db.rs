//! Reading client databases for comparisons: synced tables row by row (typed values, so
//! `1` and `'1'` differ), and content hashes for "nothing changed" checks.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use rusqlite::types::Value as SqlValue;
use rusqlite::Connection;
use sha2::{Digest, Sha256};
use td_core::schema::{quote_ident, table_columns, SYNCED_TABLES};

/// Columns that legitimately differ between clients, left out where the condition holds
/// (None = always): the author's machine paths of a work session never travel (sync spec
/// §2.3), and every client creates the built-in board itself at `td init`.
const LOCAL_ONLY: &[(&str, &str, Option<&str>)] = &[
    ("work_sessions", "worktree_id", None),
    ("work_sessions", "worktree_root", None),
    ("work_sessions", "repo_root", None),
    ("boards", "created_at", Some("is_builtin = 1")),
    ("boards", "updated_at", Some("is_builtin = 1")),
];

/// The select expression of `column`, None when it is never compared.
fn compared(table: &str, column: &str) -> Option<String> {
    let ident = quote_ident(column);
    match LOCAL_ONLY
        .iter()
        .find(|(t, c, _)| *t == table && *c == column)
    {
        None => Some(ident),
        Some((_, _, None)) => None,
        Some((_, _, Some(cond))) => Some(format!("CASE WHEN {cond} THEN NULL ELSE {ident} END")),
    }
}

/// Every synced table → its rows (all columns but [`LOCAL_ONLY`]) rendered as text,
/// ordered by id.
pub type Snapshot = BTreeMap<String, Vec<String>>;

pub fn synced_snapshot(conn: &Connection) -> Snapshot {
    SYNCED_TABLES
        .iter()
        .map(|t| (t.to_string(), rows_of(conn, t, "id", Some(&[]))))
        .collect()
}

/// Rows of `table` ordered by `order`, each as `col=value|…`. For a comparison
/// (`skip` given) the [`LOCAL_ONLY`] columns and those in `skip` are masked.
fn rows_of(conn: &Connection, table: &str, order: &str, skip: Option<&[&str]>) -> Vec<String> {
    let (columns, list): (Vec<String>, Vec<String>) = table_columns(conn, table)
        .expect("table_info")
        .into_iter()
        .filter_map(|c| {
            let expr = match skip {
                Some(skip) if skip.contains(&c.name.as_str()) => return None,
                Some(_) => compared(table, &c.name)?,
                None => quote_ident(&c.name),
            };
            Some((c.name, expr))
        })
        .unzip();
    let sql = format!(
        "SELECT {} FROM {} ORDER BY {order}",
        list.join(", "),
        quote_ident(table)
    );
    let mut stmt = conn.prepare(&sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    let rows = stmt
        .query_map([], |r| {
            let mut line = String::new();
            for (i, c) in columns.iter().enumerate() {
                let v: SqlValue = r.get(i)?;
                let _ = write!(line, "{c}={v:?}|");
            }
            Ok(line)
        })
        .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    rows
}

/// Panics with the first difference between two snapshots.
#[track_caller]
pub fn assert_same(left_name: &str, left: &Snapshot, right_name: &str, right: &Snapshot) {
    for (table, l) in left {
        let r = &right[table];
        if l == r {
            continue;
        }
        let only_l: Vec<&String> = l.iter().filter(|x| !r.contains(x)).collect();
        let only_r: Vec<&String> = r.iter().filter(|x| !l.contains(x)).collect();
        panic!(
            "{table} differs ({} vs {} rows)\nonly on {left_name}:\n  {}\nonly on {right_name}:\n  {}",
            l.len(),
            r.len(),
            join(&only_l),
            join(&only_r)
        );
    }
}

fn join(rows: &[&String]) -> String {
    rows.iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join("\n  ")
}

/// Table → SHA-256 over its rows (all columns, rowid order), for each of `tables`.
pub fn hash_tables(conn: &Connection, tables: &[&str]) -> BTreeMap<String, String> {
    tables
        .iter()
        .map(|t| {
            let mut h = Sha256::new();
            for row in rows_of(conn, t, "rowid", None) {
                h.update(row.as_bytes());
                h.update(b"\n");
            }
            (t.to_string(), hex::encode(h.finalize()))
        })
        .collect()
}

/// Names of the tables whose hashes differ.
pub fn changed_tables(
    before: &BTreeMap<String, String>,
    after: &BTreeMap<String, String>,
) -> Vec<String> {
    before
        .iter()
        .filter(|(t, h)| after.get(*t) != Some(*h))
        .map(|(t, _)| t.clone())
        .collect()
}

/// Every table of the client database (synced and local), for "a sync changed nothing".
pub fn all_tables(conn: &Connection) -> Vec<String> {
    let mut stmt = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        .expect("list tables");
    let names = stmt
        .query_map([], |r| r.get::<_, String>(0))
        .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
        .expect("list tables");
    names
}
