//! Issue rows: lookup, create (§6.2), the logged update (§6.1), soft delete and restore.

use anyhow::{bail, Context as _, Result};
use rusqlite::{params, Connection, OptionalExtension};
use serde_json::Value;
use td_core::model::{Issue, ISSUE_COLUMNS};
use td_core::{ids, time};

use super::action_log::{self, Entry};
use super::{json_text, reviews};

/// Loads an issue by id (bare hex accepted), deleted ones included.
pub fn get(conn: &Connection, id: &str) -> Result<Option<Issue>> {
    let id = ids::normalize_issue_id(id);
    let sql = format!("SELECT {ISSUE_COLUMNS} FROM issues WHERE id = ?1");
    conn.prepare_cached(&sql)?
        .query_row([&id], Issue::from_row)
        .optional()
        .with_context(|| format!("load issue {id}"))
}

/// Loads an issue or fails with `issue not found: <id>`.
pub fn must_get(conn: &Connection, id: &str) -> Result<Issue> {
    match get(conn, id)? {
        Some(i) => Ok(i),
        None => bail!("issue not found: {id}"),
    }
}

/// Non-deleted direct children.
pub fn children(conn: &Connection, parent_id: &str) -> Result<Vec<Issue>> {
    let sql = format!(
        "SELECT {ISSUE_COLUMNS} FROM issues WHERE parent_id = ?1 AND deleted_at IS NULL ORDER BY created_at, id"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map([parent_id], Issue::from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Non-deleted descendants, breadth first.
pub fn descendants(conn: &Connection, root: &str) -> Result<Vec<Issue>> {
    let mut out: Vec<Issue> = Vec::new();
    let mut queue = vec![root.to_string()];
    while let Some(p) = queue.pop() {
        for c in children(conn, &p)? {
            if c.id != root && !out.iter().any(|o| o.id == c.id) {
                queue.insert(0, c.id.clone());
                out.push(c);
            }
        }
    }
    Ok(out)
}

/// Inserts a new issue (§6.2): row, `create` action_log row, history `created`.
pub fn create(conn: &Connection, me: &str, issue: &Issue) -> Result<()> {
    conn.execute(
        "INSERT INTO issues (id, title, description, status, type, priority, points, labels, \
         parent_id, acceptance, implementer_session, reviewer_session, created_at, updated_at, \
         minor, created_branch, creator_session, sprint, defer_count) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, '', '', ?11, ?11, ?12, ?13, ?14, ?15, 0)",
        params![
            issue.id,
            issue.title,
            issue.description,
            issue.status,
            issue.issue_type,
            issue.priority,
            issue.points,
            issue.labels_text(),
            issue.parent_id,
            issue.acceptance,
            issue.created_at,
            issue.minor,
            issue.created_branch,
            issue.creator_session,
            issue.sprint,
        ],
    )
    .context("insert issue")?;
    action_log::record(
        conn,
        me,
        Entry {
            action_type: "create",
            entity_type: "issue",
            entity_id: &issue.id,
            previous: String::new(),
            new: json_text(&issue.to_json()),
        },
    )?;
    super::history::add(conn, &issue.id, me, "created")
}

/// What the caller loaded, checked against the current row before writing.
#[derive(Debug, Clone)]
pub enum Guard {
    /// No check (cascades, undo).
    None,
    /// The row's updated_at must still be what the caller loaded.
    UpdatedAt(String),
    /// The row's status must still be this.
    Status(String),
}

/// How the action_log new_data is shaped.
pub enum Payload {
    /// The issue JSON itself.
    Plain,
    /// `{"issue":…, "created_review_id"?, "prior_active_review_id"?}`.
    Wrapped {
        created_review_id: String,
        prior_active_review_id: String,
    },
}

/// The logged issue update of §6.1. Returns the issue as written.
pub fn write_logged(
    conn: &Connection,
    me: &str,
    mut new: Issue,
    action: &str,
    guard: Guard,
    payload: Payload,
) -> Result<Issue> {
    let prev = must_get(conn, &new.id)?;
    check_guard(&prev, &guard)?;
    if new.status == "open" {
        new.implementer_session.clear();
    }
    if invalidates_review(&prev, &new) {
        reviews::supersede_active(conn, me, &prev.id)?;
    }
    new.updated_at = time::db_now();
    update_row(conn, &new)?;
    let new_json = match payload {
        Payload::Plain => new.to_json(),
        Payload::Wrapped {
            created_review_id,
            prior_active_review_id,
        } => wrap(&new, &created_review_id, &prior_active_review_id),
    };
    action_log::record(
        conn,
        me,
        Entry {
            action_type: action,
            entity_type: "issue",
            entity_id: &new.id,
            previous: json_text(&prev.to_json()),
            new: json_text(&new_json),
        },
    )?;
    Ok(new)
}

fn wrap(issue: &Issue, created: &str, prior: &str) -> Value {
    let mut m = serde_json::Map::new();
    m.insert("issue".into(), issue.to_json());
    if !created.is_empty() {
        m.insert("created_review_id".into(), Value::from(created));
    }
    if !prior.is_empty() {
        m.insert("prior_active_review_id".into(), Value::from(prior));
    }
    Value::Object(m)
}

fn check_guard(prev: &Issue, guard: &Guard) -> Result<()> {
    match guard {
        Guard::None => Ok(()),
        Guard::UpdatedAt(at) if *at != prev.updated_at => bail!(
            "issue {} was modified after it was loaded (loaded {at}, now {})",
            prev.id,
            prev.updated_at
        ),
        Guard::Status(s) if *s != prev.status => {
            bail!(
                "issue {} status changed from {s} to {}",
                prev.id,
                prev.status
            )
        }
        _ => Ok(()),
    }
}

fn invalidates_review(prev: &Issue, new: &Issue) -> bool {
    prev.title != new.title
        || prev.description != new.description
        || prev.issue_type != new.issue_type
        || prev.priority != new.priority
        || prev.minor != new.minor
        || prev.parent_id != new.parent_id
        || (prev.status == "in_review" && new.status != "in_review" && new.status != "closed")
        || (prev.status == "closed" && new.status == "open")
}

fn update_row(conn: &Connection, i: &Issue) -> Result<()> {
    conn.prepare_cached(
        "UPDATE issues SET title = ?2, description = ?3, status = ?4, type = ?5, priority = ?6, \
         points = ?7, labels = ?8, parent_id = ?9, acceptance = ?10, implementer_session = ?11, \
         reviewer_session = ?12, closed_at = ?13, deleted_at = ?14, minor = ?15, \
         created_branch = ?16, creator_session = ?17, sprint = ?18, defer_until = ?19, \
         due_date = ?20, defer_count = ?21, reviewed_at = ?22, review_requested_by_session = ?23, \
         closed_by_session = ?24, updated_at = ?25 WHERE id = ?1",
    )?
    .execute(params![
        i.id,
        i.title,
        i.description,
        i.status,
        i.issue_type,
        i.priority,
        i.points,
        i.labels_text(),
        i.parent_id,
        i.acceptance,
        i.implementer_session,
        i.reviewer_session,
        i.closed_at,
        i.deleted_at,
        i.minor,
        i.created_branch,
        i.creator_session,
        i.sprint,
        i.defer_until,
        i.due_date,
        i.defer_count,
        i.reviewed_at,
        i.review_requested_by_session,
        i.closed_by_session,
        i.updated_at,
    ])
    .with_context(|| format!("update issue {}", i.id))?;
    Ok(())
}

/// Soft delete: deleted_at = updated_at = NOW, logged `delete` with previous JSON.
pub fn soft_delete(conn: &Connection, me: &str, id: &str) -> Result<Issue> {
    let prev = must_get(conn, id)?;
    let now = time::db_now();
    conn.execute(
        "UPDATE issues SET deleted_at = ?2, updated_at = ?2 WHERE id = ?1",
        params![prev.id, now],
    )?;
    action_log::record(
        conn,
        me,
        Entry {
            action_type: "delete",
            entity_type: "issue",
            entity_id: &prev.id,
            previous: json_text(&prev.to_json()),
            new: String::new(),
        },
    )?;
    Ok(prev)
}

/// Restore: deleted_at = NULL, updated_at = NOW, logged `restore` with both snapshots.
pub fn restore(conn: &Connection, me: &str, id: &str) -> Result<Issue> {
    let prev = must_get(conn, id)?;
    conn.execute(
        "UPDATE issues SET deleted_at = NULL, updated_at = ?2 WHERE id = ?1",
        params![prev.id, time::db_now()],
    )?;
    let new = must_get(conn, &prev.id)?;
    action_log::record(
        conn,
        me,
        Entry {
            action_type: "restore",
            entity_type: "issue",
            entity_id: &prev.id,
            previous: json_text(&prev.to_json()),
            new: json_text(&new.to_json()),
        },
    )?;
    Ok(new)
}
