//! The five operations (sync spec §7.5). Each returns the old row when it replaced an
//! existing one (the only case that may be recorded as a conflict).

use rusqlite::{params_from_iter, Connection, OptionalExtension};
use serde_json::{Map, Value};

use super::cycle::{self, Decision};
use super::error::{ApplyError, FailureKind};
use super::fk;
use super::normalize::{is_identifier, json_eq, row_to_map, to_sql};
use super::payload::{unwrap_issue, Payload};
use super::tables::{TableCache, TableInfo};
use super::timefmt::event_time_text;
use crate::schema::quote_ident;

/// The old row a replace overwrote, as a JSON object of all its columns.
pub(crate) type OldRow = Option<Map<String, Value>>;

/// One event's target, already validated.
pub(crate) struct Target<'a> {
    pub table: &'a str,
    pub id: &'a str,
    /// The event's server_seq (the cycle rule needs to know where in the log it stands).
    pub seq: i64,
}

/// create = full-row replace; dependency creates are cycle-checked first.
pub(crate) fn create(
    conn: &Connection,
    tables: &mut TableCache,
    target: &Target<'_>,
    payload: &Payload,
) -> Result<OldRow, ApplyError> {
    let fields = unwrap_issue(target.table, &payload.new_data);
    if target.table == "issue_dependencies"
        && cycle::resolve(conn, &fields, target.seq, target.id)? == Decision::Skip
    {
        return Ok(None);
    }
    let info = tables.get(conn, target.table)?;
    let old = load_row(conn, info, target)?;
    replace(conn, info, target, fields, old.is_none())?;
    Ok(old)
}

/// update = partial UPDATE of the fields previous→new changed; falls back to
/// replace-if-exists, so it never inserts.
pub(crate) fn update(
    conn: &Connection,
    tables: &mut TableCache,
    target: &Target<'_>,
    payload: &Payload,
) -> Result<OldRow, ApplyError> {
    let new = unwrap_issue(target.table, &payload.new_data);
    let prev = unwrap_issue(target.table, &payload.previous_data);
    if new.is_empty() && prev.is_empty() {
        return Err(ApplyError::NoFields);
    }
    let info = tables.get(conn, target.table)?;
    if !prev.is_empty() && partial_update(conn, info, target, &prev, &new)? {
        return Ok(None);
    }
    let Some(old) = load_row(conn, info, target)? else {
        return Ok(None);
    };
    replace(conn, info, target, new, false)?;
    Ok(Some(old))
}

/// Hard delete; an issue's children first lose their parent_id.
pub(crate) fn delete(conn: &Connection, target: &Target<'_>) -> Result<(), ApplyError> {
    if target.table == "issues" {
        conn.execute(
            "UPDATE issues SET parent_id = '' WHERE parent_id = ?1",
            [target.id],
        )
        .map_err(ApplyError::sql(format!("clear children of {}", target.id)))?;
    }
    let sql = format!("DELETE FROM {} WHERE id = ?1", quote_ident(target.table));
    conn.execute(&sql, [target.id])
        .map_err(ApplyError::sql(format!(
            "delete {}/{}",
            target.table, target.id
        )))?;
    Ok(())
}

/// Soft delete: `deleted_at` = the event time, and `updated_at` too where the table has
/// one. The spec leaves updated_at untouched, but the author's own delete stamps it (td
/// writes `deleted_at = updated_at = NOW`), so author and peers disagreed on it for good;
/// stamping the event time everywhere (the author replays its own event as well) makes every
/// replica hold the same row. See docs/deviations.md.
pub(crate) fn soft_delete(
    conn: &Connection,
    tables: &mut TableCache,
    target: &Target<'_>,
    client_timestamp: &str,
) -> Result<(), ApplyError> {
    let set = if tables.get(conn, target.table)?.has_column("updated_at") {
        "deleted_at = ?1, updated_at = ?1"
    } else {
        "deleted_at = ?1"
    };
    set_at_event_time(conn, target, client_timestamp, set, "soft delete")
}

/// Restore: clears `deleted_at`, `updated_at` = the event time.
pub(crate) fn restore(
    conn: &Connection,
    target: &Target<'_>,
    client_timestamp: &str,
) -> Result<(), ApplyError> {
    let set = "deleted_at = NULL, updated_at = ?1";
    set_at_event_time(conn, target, client_timestamp, set, "restore")
}

/// `UPDATE <table> SET <set> WHERE id = ?2` with `?1` = the event time as stored text; a
/// timestamp that does not parse is refused before anything is written.
fn set_at_event_time(
    conn: &Connection,
    target: &Target<'_>,
    client_timestamp: &str,
    set: &str,
    what: &str,
) -> Result<(), ApplyError> {
    let at = event_time_text(client_timestamp)
        .ok_or_else(|| ApplyError::BadTimestamp(client_timestamp.to_string()))?;
    let sql = format!(
        "UPDATE {} SET {set} WHERE id = ?2",
        quote_ident(target.table)
    );
    conn.execute(&sql, [at.as_str(), target.id])
        .map_err(ApplyError::sql(format!(
            "{what} {}/{}",
            target.table, target.id
        )))?;
    Ok(())
}

/// Tables other tables reference with `ON DELETE CASCADE`.
const CASCADE_PARENTS: &[&str] = &["issues", "boards", "work_sessions"];

/// A full-row replace with exactly the payload's known columns: absent columns get their
/// defaults (sync spec §9.2). For the original's `INSERT OR REPLACE` that also deleted the
/// old row, which fired ON DELETE CASCADE and wiped children (a board edit lost every
/// position of the board on every client; a replayed issue create lost comments whose
/// events came earlier). Parents are therefore replaced in place with an upsert that sets
/// every column from the would-be-inserted row (`excluded.*` holds defaults for absent
/// columns): the same row, no cascade. See docs/deviations.md.
fn replace(
    conn: &Connection,
    info: &TableInfo,
    target: &Target<'_>,
    mut fields: Map<String, Value>,
    fresh_insert: bool,
) -> Result<(), ApplyError> {
    if fields.is_empty() {
        return Err(ApplyError::NoFields);
    }
    fields.insert("id".into(), Value::String(target.id.to_string()));
    if fresh_insert {
        fk::precheck(conn, info, target.table, target.id, &fields)?;
    }
    let known: Vec<(&String, &Value)> = fields.iter().filter(|(k, _)| info.has_column(k)).collect();
    if known.len() <= 1 {
        return Err(ApplyError::NoKnownFields);
    }
    let columns: Vec<String> = known.iter().map(|(k, _)| quote_ident(k)).collect();
    let marks: Vec<String> = (1..=known.len()).map(|i| format!("?{i}")).collect();
    let sql = if CASCADE_PARENTS.contains(&target.table) {
        let sets: Vec<String> = info
            .columns
            .iter()
            .filter(|c| c.as_str() != "id")
            .map(|c| format!("{0} = excluded.{0}", quote_ident(c)))
            .collect();
        format!(
            "INSERT INTO {} ({}) VALUES ({}) ON CONFLICT(id) DO UPDATE SET {}",
            quote_ident(target.table),
            columns.join(", "),
            marks.join(", "),
            sets.join(", ")
        )
    } else {
        format!(
            "INSERT OR REPLACE INTO {} ({}) VALUES ({})",
            quote_ident(target.table),
            columns.join(", "),
            marks.join(", ")
        )
    };
    let values = known.iter().map(|(k, v)| to_sql(info, target.table, k, v));
    conn.prepare_cached(&sql)
        .and_then(|mut s| s.execute(params_from_iter(values)))
        .map_err(ApplyError::sql(format!(
            "replace {}/{}",
            target.table, target.id
        )))?;
    Ok(())
}

/// Writes the diff as `UPDATE … SET … WHERE id = ?`. Ok(true) when a row was updated;
/// Ok(false) sends the caller to its fallback (empty diff, no such row, permanent error).
fn partial_update(
    conn: &Connection,
    info: &TableInfo,
    target: &Target<'_>,
    prev: &Map<String, Value>,
    new: &Map<String, Value>,
) -> Result<bool, ApplyError> {
    let changes: Vec<(String, Value)> = diff(prev, new)
        .into_iter()
        .filter(|(k, _)| is_identifier(k) && info.has_column(k))
        .collect();
    if changes.is_empty() {
        return Ok(false);
    }
    let sets: Vec<String> = changes
        .iter()
        .enumerate()
        .map(|(i, (k, _))| format!("{} = ?{}", quote_ident(k), i + 1))
        .collect();
    let sql = format!(
        "UPDATE {} SET {} WHERE id = ?{}",
        quote_ident(target.table),
        sets.join(", "),
        changes.len() + 1
    );
    let mut values: Vec<rusqlite::types::Value> = changes
        .iter()
        .map(|(k, v)| to_sql(info, target.table, k, v))
        .collect();
    values.push(target.id.to_string().into());
    match conn
        .prepare_cached(&sql)
        .and_then(|mut s| s.execute(params_from_iter(values)))
    {
        Ok(n) => Ok(n > 0),
        Err(e) => {
            let err = ApplyError::sql(format!("update {}/{}", target.table, target.id))(e);
            match err.kind() {
                FailureKind::Transient => Err(err),
                _ => Ok(false),
            }
        }
    }
}

/// Every new key (except `id`) missing from or different in prev, plus every prev key
/// (except `id`) missing from new, as null. In new's key order, then prev's.
fn diff(prev: &Map<String, Value>, new: &Map<String, Value>) -> Vec<(String, Value)> {
    let changed = new
        .iter()
        .filter(|(k, v)| *k != "id" && !prev.get(*k).is_some_and(|p| json_eq(p, v)))
        .map(|(k, v)| (k.clone(), v.clone()));
    let dropped = prev
        .keys()
        .filter(|k| *k != "id" && !new.contains_key(*k))
        .map(|k| (k.clone(), Value::Null));
    changed.chain(dropped).collect()
}

/// The current row, all columns, or None.
fn load_row(
    conn: &Connection,
    info: &TableInfo,
    target: &Target<'_>,
) -> Result<OldRow, ApplyError> {
    let columns: Vec<String> = info.columns.iter().map(|c| quote_ident(c)).collect();
    let sql = format!(
        "SELECT {} FROM {} WHERE id = ?1",
        columns.join(", "),
        quote_ident(target.table)
    );
    conn.prepare_cached(&sql)
        .and_then(|mut s| s.query_row([target.id], |row| row_to_map(&info.columns, row)))
        .optional()
        .map_err(ApplyError::sql(format!(
            "read {}/{}",
            target.table, target.id
        )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn diff_takes_changed_and_dropped_keys_but_never_id() {
        let prev = obj(json!({"id":"a","title":"x","points":1,"sprint":"s1"}));
        let new = obj(json!({"id":"b","title":"y","points":1.0,"labels":["a"]}));
        let d = diff(&prev, &new);
        assert_eq!(
            d,
            vec![
                ("title".into(), json!("y")),
                ("labels".into(), json!(["a"])),
                ("sprint".into(), Value::Null),
            ]
        );
    }
}
