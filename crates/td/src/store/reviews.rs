//! issue_reviews rows: insert, supersede, and the active approval.

use anyhow::{Context as _, Result};
use rusqlite::{params, Connection, OptionalExtension, Row};
use serde_json::{json, Map, Value};
use td_core::{ids, time};

use super::action_log::{self, Entry};
use super::json_text;

/// One issue_reviews row.
#[derive(Debug, Clone, Default)]
pub struct Review {
    pub id: String,
    pub issue_id: String,
    pub reviewer_session: String,
    pub decision: String,
    pub summary: String,
    pub requested_by_session: String,
    pub created_at: String,
    pub superseded_at: Option<String>,
    pub self_review: bool,
    pub reviewed_by: String,
}

const COLUMNS: &str = "id, issue_id, reviewer_session, decision, summary, requested_by_session, \
    created_at, superseded_at, self_review, reviewed_by";

impl Review {
    fn from_row(r: &Row) -> rusqlite::Result<Review> {
        Ok(Review {
            id: r.get(0)?,
            issue_id: r.get(1)?,
            reviewer_session: r.get(2)?,
            decision: r.get(3)?,
            summary: r.get::<_, Option<String>>(4)?.unwrap_or_default(),
            requested_by_session: r.get::<_, Option<String>>(5)?.unwrap_or_default(),
            created_at: r.get(6)?,
            superseded_at: r.get(7)?,
            self_review: r.get::<_, i64>(8)? != 0,
            reviewed_by: r.get::<_, Option<String>>(9)?.unwrap_or_default(),
        })
    }

    /// Review JSON (omit-empty fields as the original).
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("id".into(), json!(self.id));
        m.insert("issue_id".into(), json!(self.issue_id));
        m.insert("reviewer_session".into(), json!(self.reviewer_session));
        m.insert("decision".into(), json!(self.decision));
        if !self.summary.is_empty() {
            m.insert("summary".into(), json!(self.summary));
        }
        if !self.requested_by_session.is_empty() {
            m.insert(
                "requested_by_session".into(),
                json!(self.requested_by_session),
            );
        }
        m.insert(
            "created_at".into(),
            json!(time::db_to_json(&self.created_at)),
        );
        if let Some(s) = &self.superseded_at {
            m.insert("superseded_at".into(), json!(time::db_to_json(s)));
        }
        m.insert("self_review".into(), json!(self.self_review));
        if !self.reviewed_by.is_empty() {
            m.insert("reviewed_by".into(), json!(self.reviewed_by));
        }
        Value::Object(m)
    }
}

/// Active (not superseded) reviews of an issue, oldest first.
pub fn active(conn: &Connection, issue_id: &str) -> Result<Vec<Review>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM issue_reviews WHERE issue_id = ?1 AND superseded_at IS NULL ORDER BY created_at, id"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map([issue_id], Review::from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The newest active review with decision `approved`.
pub fn active_approval(conn: &Connection, issue_id: &str) -> Result<Option<Review>> {
    Ok(active(conn, issue_id)?
        .into_iter()
        .rev()
        .find(|r| r.decision == "approved"))
}

pub fn get(conn: &Connection, id: &str) -> Result<Option<Review>> {
    let sql = format!("SELECT {COLUMNS} FROM issue_reviews WHERE id = ?1");
    Ok(conn.query_row(&sql, [id], Review::from_row).optional()?)
}

/// Supersedes every active review (each logged `update`/`issue_reviews`); returns their ids.
pub fn supersede_active(conn: &Connection, me: &str, issue_id: &str) -> Result<Vec<String>> {
    let mut ids_out = Vec::new();
    for prev in active(conn, issue_id)? {
        let mut new = prev.clone();
        new.superseded_at = Some(time::db_now());
        conn.execute(
            "UPDATE issue_reviews SET superseded_at = ?2 WHERE id = ?1",
            params![new.id, new.superseded_at],
        )
        .context("supersede review")?;
        log_update(conn, me, &prev, &new)?;
        ids_out.push(prev.id);
    }
    Ok(ids_out)
}

/// Clears superseded_at (undo of an approval), logged.
pub fn unsupersede(conn: &Connection, me: &str, id: &str) -> Result<()> {
    if let Some(prev) = get(conn, id)? {
        let mut new = prev.clone();
        new.superseded_at = None;
        conn.execute(
            "UPDATE issue_reviews SET superseded_at = NULL WHERE id = ?1",
            [id],
        )?;
        log_update(conn, me, &prev, &new)?;
    }
    Ok(())
}

fn log_update(conn: &Connection, me: &str, prev: &Review, new: &Review) -> Result<()> {
    action_log::record(
        conn,
        me,
        Entry {
            action_type: "update",
            entity_type: "issue_reviews",
            entity_id: &new.id,
            previous: json_text(&prev.to_json()),
            new: json_text(&new.to_json()),
        },
    )?;
    Ok(())
}

/// Inserts a review row (logged `create`/`issue_reviews`).
pub fn insert(conn: &Connection, me: &str, mut r: Review) -> Result<Review> {
    r.created_at = time::db_now();
    r.id = action_log::insert_fresh(
        || ids::prefixed8("rv-"),
        |id| {
            conn.execute(
                "INSERT INTO issue_reviews (id, issue_id, reviewer_session, decision, summary, \
                 requested_by_session, created_at, superseded_at, self_review, reviewed_by) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, NULL, ?8, ?9)",
                params![
                    id,
                    r.issue_id,
                    r.reviewer_session,
                    r.decision,
                    r.summary,
                    r.requested_by_session,
                    r.created_at,
                    r.self_review,
                    r.reviewed_by
                ],
            )
        },
    )
    .context("insert review")?;
    action_log::record(
        conn,
        me,
        Entry {
            action_type: "create",
            entity_type: "issue_reviews",
            entity_id: &r.id,
            previous: String::new(),
            new: json_text(&r.to_json()),
        },
    )?;
    Ok(r)
}

/// Deletes a review row (undo of an approval), logged `review_delete`.
pub fn delete(conn: &Connection, me: &str, id: &str) -> Result<()> {
    if let Some(prev) = get(conn, id)? {
        conn.execute("DELETE FROM issue_reviews WHERE id = ?1", [id])?;
        action_log::record(
            conn,
            me,
            Entry {
                action_type: "review_delete",
                entity_type: "issue_reviews",
                entity_id: id,
                previous: json_text(&prev.to_json()),
                new: String::new(),
            },
        )?;
    }
    Ok(())
}
