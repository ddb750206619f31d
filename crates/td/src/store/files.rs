//! issue_files (§6.4): files linked to an issue, hard-deleted on unlink.

use anyhow::{Context as _, Result};
use rusqlite::{params, Connection};
use serde_json::{json, Value};
use td_core::{ids, model::object, time};

use super::action_log::{self, Entry};
use super::json_text;

/// One `issue_files` row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileLink {
    pub id: String,
    pub issue_id: String,
    pub file_path: String,
    pub role: String,
    pub linked_sha: String,
    pub linked_at: String,
}

impl FileLink {
    /// `{id,issue_id,file_path,role,linked_sha,linked_at(RFC3339)}`.
    pub fn to_json(&self) -> Value {
        let at = time::to_wire_seconds(&self.linked_at).unwrap_or_else(|| self.linked_at.clone());
        object([
            ("id", json!(self.id)),
            ("issue_id", json!(self.issue_id)),
            ("file_path", json!(self.file_path)),
            ("role", json!(self.role)),
            ("linked_sha", json!(self.linked_sha)),
            ("linked_at", json!(at)),
        ])
    }

    /// Reads the JSON of [`FileLink::to_json`] (undo of an unlink).
    pub fn from_json(v: &Value) -> Option<FileLink> {
        let s = |k: &str| v.get(k).and_then(Value::as_str).map(String::from);
        let linked_at = s("linked_at")
            .and_then(|t| time::parse_any(&t))
            .map_or_else(time::db_now, |t| time::db_format(&t));
        Some(FileLink {
            id: s("id").unwrap_or_default(),
            issue_id: s("issue_id").filter(|x| !x.is_empty())?,
            file_path: s("file_path").filter(|x| !x.is_empty())?,
            role: s("role").unwrap_or_else(|| "implementation".into()),
            linked_sha: s("linked_sha").unwrap_or_default(),
            linked_at,
        })
    }
}

/// Files linked to `issue_id`, by path.
pub fn list(conn: &Connection, issue_id: &str) -> Result<Vec<FileLink>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, issue_id, file_path, role, linked_sha, linked_at FROM issue_files \
         WHERE issue_id = ?1 ORDER BY file_path",
    )?;
    let rows = stmt.query_map([issue_id], |r| {
        Ok(FileLink {
            id: r.get(0)?,
            issue_id: r.get(1)?,
            file_path: r.get(2)?,
            role: r.get(3)?,
            linked_sha: r.get::<_, Option<String>>(4)?.unwrap_or_default(),
            linked_at: r.get(5)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// `INSERT OR REPLACE`s the link (linked_at = `link.linked_at`), logged `link_file`.
/// `link.id` is derived from issue and path.
pub fn link(conn: &Connection, me: &str, link: &FileLink) -> Result<FileLink> {
    let mut link = link.clone();
    link.id = ids::issue_file_id(&link.issue_id, &link.file_path);
    conn.execute(
        "INSERT OR REPLACE INTO issue_files (id, issue_id, file_path, role, linked_sha, linked_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            link.id,
            link.issue_id,
            link.file_path,
            link.role,
            link.linked_sha,
            link.linked_at
        ],
    )
    .with_context(|| format!("link {} to {}", link.file_path, link.issue_id))?;
    action_log::record(
        conn,
        me,
        Entry {
            action_type: "link_file",
            entity_type: "issue_files",
            entity_id: &link.id,
            previous: String::new(),
            new: json_text(&link.to_json()),
        },
    )?;
    Ok(link)
}

/// Deletes the link of `file_path` if present (logged `unlink_file` with the removed row
/// as previous_data); returns whether one was removed.
pub fn unlink(conn: &Connection, me: &str, issue_id: &str, file_path: &str) -> Result<bool> {
    let found = list(conn, issue_id)?
        .into_iter()
        .find(|f| f.file_path == file_path);
    let Some(prev) = found else {
        return Ok(false);
    };
    conn.execute("DELETE FROM issue_files WHERE id = ?1", [&prev.id])
        .with_context(|| format!("unlink {file_path} from {issue_id}"))?;
    action_log::record(
        conn,
        me,
        Entry {
            action_type: "unlink_file",
            entity_type: "issue_files",
            entity_id: &prev.id,
            previous: json_text(&prev.to_json()),
            new: String::new(),
        },
    )?;
    Ok(true)
}
