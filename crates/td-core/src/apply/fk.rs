//! Foreign-key pre-check for fresh inserts (sync spec §7.7): a child whose cascade parent
//! is gone is an orphan, dropped on every peer, instead of a constraint failure.

use rusqlite::{Connection, OptionalExtension};
use serde_json::{Map, Value};

use super::error::ApplyError;
use super::tables::TableInfo;
use crate::schema::quote_ident;

/// Fails with [`ApplyError::Orphan`] when a cascade FK value names a missing parent row.
/// Soft-deleted parents count as present. Does nothing when foreign keys are off.
pub(crate) fn precheck(
    conn: &Connection,
    info: &TableInfo,
    table: &str,
    id: &str,
    fields: &Map<String, Value>,
) -> Result<(), ApplyError> {
    if info.cascade_fks.is_empty() || !foreign_keys_on(conn)? {
        return Ok(());
    }
    for fk in &info.cascade_fks {
        let key = match fields.get(&fk.column) {
            Some(Value::String(s)) if !s.is_empty() => Value::String(s.clone()),
            Some(Value::Number(n)) => Value::Number(n.clone()),
            _ => continue,
        };
        if !parent_exists(conn, &fk.parent, &fk.parent_column, &key)? {
            return Err(ApplyError::Orphan {
                table: table.to_string(),
                id: id.to_string(),
                column: fk.column.clone(),
                parent: fk.parent.clone(),
                parent_id: match key {
                    Value::String(s) => s,
                    other => other.to_string(),
                },
            });
        }
    }
    Ok(())
}

fn foreign_keys_on(conn: &Connection) -> Result<bool, ApplyError> {
    conn.prepare_cached("PRAGMA foreign_keys")
        .and_then(|mut s| s.query_row([], |r| r.get::<_, i64>(0)))
        .map(|v| v != 0)
        .map_err(ApplyError::sql("read PRAGMA foreign_keys"))
}

fn parent_exists(
    conn: &Connection,
    parent: &str,
    column: &str,
    key: &Value,
) -> Result<bool, ApplyError> {
    let sql = format!(
        "SELECT 1 FROM {} WHERE {} = ?1 LIMIT 1",
        quote_ident(parent),
        quote_ident(column)
    );
    let bound: rusqlite::types::Value = match key {
        Value::String(s) => s.clone().into(),
        Value::Number(n) => n
            .as_i64()
            .map(rusqlite::types::Value::Integer)
            .unwrap_or_else(|| rusqlite::types::Value::Real(n.as_f64().unwrap_or_default())),
        _ => rusqlite::types::Value::Null,
    };
    conn.prepare_cached(&sql)
        .and_then(|mut s| s.query_row([bound], |_| Ok(())))
        .optional()
        .map(|found| found.is_some())
        .map_err(ApplyError::sql(format!("look up {parent}/{column}")))
}
