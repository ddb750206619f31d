//! Boards and their explicit issue positions (§6.4, §8 board): every write paired with
//! its action_log row.

use anyhow::{bail, Context as _, Result};
use chrono::Utc;
use rusqlite::{params, Connection, OptionalExtension, Row};
use serde_json::{json, Value};
use td_core::{ids, model::object, time};

use super::action_log::{self, Entry};
use super::json_text;

/// Gap between neighbouring sparse position keys.
pub const SPACING: i64 = 65536;

/// One `boards` row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Board {
    pub id: String,
    pub name: String,
    pub last_viewed_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub query: String,
    pub is_builtin: bool,
    pub view_mode: String,
}

const COLUMNS: &str =
    "id, name, last_viewed_at, created_at, updated_at, query, is_builtin, view_mode";

impl Board {
    fn from_row(r: &Row) -> rusqlite::Result<Board> {
        Ok(Board {
            id: r.get(0)?,
            name: r.get(1)?,
            last_viewed_at: r.get(2)?,
            created_at: r.get(3)?,
            updated_at: r.get(4)?,
            query: r.get::<_, Option<String>>(5)?.unwrap_or_default(),
            is_builtin: r.get::<_, i64>(6)? != 0,
            view_mode: r.get(7)?,
        })
    }

    /// Board JSON: `{id,name,query,is_builtin,view_mode,last_viewed_at*,created_at,updated_at}`.
    pub fn to_json(&self) -> Value {
        let mut m = serde_json::Map::new();
        m.insert("id".into(), json!(self.id));
        m.insert("name".into(), json!(self.name));
        m.insert("query".into(), json!(self.query));
        m.insert("is_builtin".into(), json!(self.is_builtin));
        m.insert("view_mode".into(), json!(self.view_mode));
        if let Some(t) = &self.last_viewed_at {
            m.insert("last_viewed_at".into(), json!(time::db_to_json(t)));
        }
        m.insert(
            "created_at".into(),
            json!(time::db_to_json(&self.created_at)),
        );
        m.insert(
            "updated_at".into(),
            json!(time::db_to_json(&self.updated_at)),
        );
        Value::Object(m)
    }

    /// Reads Board JSON back (undo of a delete or an edit); timestamps to column layout.
    pub fn from_json(v: &Value) -> Option<Board> {
        let o = v.as_object()?;
        let s = |k: &str| o.get(k).and_then(Value::as_str).map(String::from);
        let t = |k: &str| {
            s(k).filter(|x| !x.is_empty())
                .map(|x| time::parse_any(&x).map_or(x, |p| time::db_format(&p)))
        };
        Some(Board {
            id: s("id").filter(|i| !i.is_empty())?,
            name: s("name")?,
            last_viewed_at: t("last_viewed_at"),
            created_at: t("created_at").unwrap_or_else(time::db_now),
            updated_at: t("updated_at").unwrap_or_else(time::db_now),
            query: s("query").unwrap_or_default(),
            is_builtin: o
                .get("is_builtin")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            view_mode: s("view_mode").unwrap_or_else(|| "swimlanes".into()),
        })
    }
}

pub fn get(conn: &Connection, id: &str) -> Result<Option<Board>> {
    let sql = format!("SELECT {COLUMNS} FROM boards WHERE id = ?1");
    Ok(conn.query_row(&sql, [id], Board::from_row).optional()?)
}

/// A board ref: `bd-…` by id, anything else by name (case-insensitive, oldest wins).
pub fn resolve(conn: &Connection, reference: &str) -> Result<Board> {
    let found = if reference.starts_with("bd-") {
        get(conn, reference)?
    } else {
        let sql = format!(
            "SELECT {COLUMNS} FROM boards WHERE name = ?1 COLLATE NOCASE ORDER BY created_at, rowid LIMIT 1"
        );
        conn.query_row(&sql, [reference], Board::from_row)
            .optional()?
    };
    match found {
        Some(b) => Ok(b),
        None => bail!("board not found: {reference}"),
    }
}

/// All boards, oldest first.
pub fn list(conn: &Connection) -> Result<Vec<Board>> {
    let sql = format!("SELECT {COLUMNS} FROM boards ORDER BY created_at, rowid");
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map([], Board::from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

fn insert_row(conn: &Connection, b: &Board) -> Result<()> {
    conn.execute(
        "INSERT INTO boards (id, name, last_viewed_at, created_at, updated_at, query, is_builtin, view_mode) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            b.id,
            b.name,
            b.last_viewed_at,
            b.created_at,
            b.updated_at,
            b.query,
            b.is_builtin,
            b.view_mode
        ],
    )
    .with_context(|| format!("insert board {}", b.id))?;
    Ok(())
}

fn log_board(
    conn: &Connection,
    me: &str,
    action: &str,
    id: &str,
    prev: Option<&Board>,
    new: Option<&Board>,
) -> Result<()> {
    let text = |b: Option<&Board>| b.map(|b| json_text(&b.to_json())).unwrap_or_default();
    action_log::record(
        conn,
        me,
        Entry {
            action_type: action,
            entity_type: "board",
            entity_id: id,
            previous: text(prev),
            new: text(new),
        },
    )?;
    Ok(())
}

/// Inserts a new board (view mode swimlanes), logged `board_create`.
pub fn create(conn: &Connection, me: &str, name: &str, query: &str) -> Result<Board> {
    let now = time::db_now();
    let b = Board {
        id: ids::board_id(),
        name: name.to_string(),
        last_viewed_at: None,
        created_at: now.clone(),
        updated_at: now,
        query: query.to_string(),
        is_builtin: false,
        view_mode: "swimlanes".into(),
    };
    insert_row(conn, &b)?;
    log_board(conn, me, "board_create", &b.id, None, Some(&b))?;
    Ok(b)
}

/// Re-inserts a deleted board exactly as it was (undo of a delete), logged `action`.
pub fn reinsert(conn: &Connection, me: &str, b: &Board, action: &str) -> Result<()> {
    insert_row(conn, b)?;
    log_board(conn, me, action, &b.id, None, Some(b))
}

/// Writes name, query and view mode of `new` (updated_at = NOW), logged `board_update`
/// with `prev` as loaded before the edit.
pub fn update(conn: &Connection, me: &str, prev: &Board, new: &Board) -> Result<Board> {
    let mut new = new.clone();
    new.updated_at = time::db_now();
    conn.execute(
        "UPDATE boards SET name = ?2, query = ?3, view_mode = ?4, updated_at = ?5 WHERE id = ?1",
        params![new.id, new.name, new.query, new.view_mode, new.updated_at],
    )
    .with_context(|| format!("update board {}", new.id))?;
    log_board(conn, me, "board_update", &new.id, Some(prev), Some(&new))?;
    Ok(new)
}

/// Soft-deletes the board's live positions (each logged), then hard-deletes the board.
pub fn delete(conn: &Connection, me: &str, b: &Board) -> Result<()> {
    for p in live_positions(conn, &b.id)? {
        unposition(conn, me, &b.id, &p.issue_id)?;
    }
    conn.execute("DELETE FROM boards WHERE id = ?1", [&b.id])
        .with_context(|| format!("delete board {}", b.id))?;
    log_board(conn, me, "board_delete", &b.id, Some(b), None)
}

// ---- positions ----

/// A live (not soft-deleted) explicit position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Position {
    pub id: String,
    pub issue_id: String,
    pub position: i64,
}

/// Live positions of a board, ascending.
pub fn live_positions(conn: &Connection, board_id: &str) -> Result<Vec<Position>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, issue_id, position FROM board_issue_positions \
         WHERE board_id = ?1 AND deleted_at IS NULL ORDER BY position, issue_id",
    )?;
    let rows = stmt.query_map([board_id], |r| {
        Ok(Position {
            id: r.get(0)?,
            issue_id: r.get(1)?,
            position: r.get(2)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Upserts the position (reviving a soft-deleted row), logged `board_set_position`.
pub fn set_position(
    conn: &Connection,
    me: &str,
    board_id: &str,
    issue_id: &str,
    position: i64,
) -> Result<()> {
    let id = ids::board_position_id(board_id, issue_id);
    conn.execute(
        "INSERT OR REPLACE INTO board_issue_positions (id, board_id, issue_id, position, added_at, deleted_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, NULL)",
        params![id, board_id, issue_id, position, time::db_now()],
    )
    .with_context(|| format!("position {issue_id} on {board_id}"))?;
    let added = Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let new = object([
        ("id", json!(id)),
        ("board_id", json!(board_id)),
        ("issue_id", json!(issue_id)),
        ("position", json!(position)),
        ("added_at", json!(added)),
    ]);
    action_log::record(
        conn,
        me,
        Entry {
            action_type: "board_set_position",
            entity_type: "board_issue_positions",
            entity_id: &id,
            previous: String::new(),
            new: json_text(&new),
        },
    )?;
    Ok(())
}

/// Soft-deletes the live position of `issue_id`, logged `board_unposition`.
pub fn unposition(conn: &Connection, me: &str, board_id: &str, issue_id: &str) -> Result<()> {
    let live: Option<(String, i64)> = conn
        .query_row(
            "SELECT id, position FROM board_issue_positions \
             WHERE board_id = ?1 AND issue_id = ?2 AND deleted_at IS NULL",
            params![board_id, issue_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let Some((id, position)) = live else {
        bail!("issue not positioned on board: {issue_id}");
    };
    let now = time::db_format(&Utc::now().fixed_offset());
    conn.execute(
        "UPDATE board_issue_positions SET deleted_at = ?2 WHERE id = ?1",
        params![id, now],
    )?;
    let prev = object([
        ("id", json!(id)),
        ("board_id", json!(board_id)),
        ("issue_id", json!(issue_id)),
        ("position", json!(position)),
    ]);
    action_log::record(
        conn,
        me,
        Entry {
            action_type: "board_unposition",
            entity_type: "board_issue_positions",
            entity_id: &id,
            previous: json_text(&prev),
            new: String::new(),
        },
    )?;
    Ok(())
}

/// The sparse key for `slot` (1-based) among ascending `keys`; `None` when the gap is
/// exhausted and the board must be respaced first.
pub fn sparse_key(keys: &[i64], slot: usize) -> Option<i64> {
    let (Some(&first), Some(&last)) = (keys.first(), keys.last()) else {
        return Some(SPACING);
    };
    if slot <= 1 {
        return Some(first - SPACING);
    }
    if slot > keys.len() {
        return Some(last + SPACING);
    }
    let (before, after) = (keys[slot - 2], keys[slot - 1]);
    // Integer midpoint without overflow, truncating toward zero like the original.
    let mid = ((i128::from(before) + i128::from(after)) / 2) as i64;
    (mid != before && mid != after).then_some(mid)
}

/// Moves `issue_id` to `slot`, respacing every live position to 65536·k first when the
/// neighbours leave no room (each rewrite logged).
pub fn move_to_slot(
    conn: &Connection,
    me: &str,
    board_id: &str,
    issue_id: &str,
    slot: usize,
) -> Result<i64> {
    let live = live_positions(conn, board_id)?;
    let keys: Vec<i64> = live.iter().map(|p| p.position).collect();
    let key = match sparse_key(&keys, slot) {
        Some(k) => k,
        None => {
            for (k, p) in live.iter().enumerate() {
                set_position(conn, me, board_id, &p.issue_id, SPACING * (k as i64 + 1))?;
            }
            let respaced: Vec<i64> = (1..=live.len() as i64).map(|k| SPACING * k).collect();
            sparse_key(&respaced, slot).context("no room for the position after respacing")?
        }
    };
    set_position(conn, me, board_id, issue_id, key)?;
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparse_keys() {
        assert_eq!(sparse_key(&[], 5), Some(SPACING));
        assert_eq!(sparse_key(&[100, 200], 1), Some(100 - SPACING));
        assert_eq!(sparse_key(&[100, 200], 0), Some(100 - SPACING));
        assert_eq!(sparse_key(&[100, 200], 3), Some(200 + SPACING));
        assert_eq!(sparse_key(&[100, 200], 99), Some(200 + SPACING));
        assert_eq!(sparse_key(&[100, 200], 2), Some(150));
        assert_eq!(sparse_key(&[-3, 0], 2), Some(-1));
        assert_eq!(sparse_key(&[100, 101], 2), None);
        assert_eq!(sparse_key(&[7, 7], 2), None);
    }
}
