//! The `projects` table (soft delete) and its bookkeeping columns.

use rusqlite::{params, Connection, OptionalExtension, Row, TransactionBehavior};
use td_core::wire::Project;

use super::{now_text, StoreResult};

const COLUMNS: &str = "id, name, description, slug, created_at, updated_at, deleted_at";

fn from_row(r: &Row<'_>) -> rusqlite::Result<Project> {
    Ok(Project {
        id: r.get(0)?,
        name: r.get(1)?,
        description: r.get(2)?,
        slug: r.get::<_, Option<String>>(3)?.unwrap_or_default(),
        created_at: r.get(4)?,
        updated_at: r.get(5)?,
        deleted_at: r.get(6)?,
    })
}

/// Name lowercased, runs of characters outside `[a-z0-9]` turned into one `-`, trimmed.
pub fn slug_base(name: &str) -> String {
    let mut out = String::new();
    for ch in name.to_lowercase().chars() {
        if ch.is_ascii_lowercase() || ch.is_ascii_digit() {
            out.push(ch);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').to_string()
}

/// First free slug among `base`, `base-2`, `base-3`, … (empty base → the project id).
fn unique_slug(c: &Connection, name: &str, id: &str) -> StoreResult<String> {
    let base = match slug_base(name) {
        b if b.is_empty() => id.to_string(),
        b => b,
    };
    let mut candidate = base.clone();
    let mut n = 2;
    while c
        .query_row(
            "SELECT 1 FROM projects WHERE slug = ?1",
            params![candidate],
            |_| Ok(()),
        )
        .optional()?
        .is_some()
    {
        candidate = format!("{base}-{n}");
        n += 1;
    }
    Ok(candidate)
}

/// Inserts the project and an `owner` membership for `owner_id` in one transaction.
pub fn create(
    c: &mut Connection,
    id: &str,
    name: &str,
    description: &str,
    owner_id: &str,
) -> StoreResult<Project> {
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let slug = unique_slug(&tx, name, id)?;
    let now = now_text();
    tx.execute(
        "INSERT INTO projects (id, name, description, slug, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
        params![id, name, description, slug, now],
    )?;
    tx.execute(
        "INSERT INTO memberships (project_id, user_id, role, invited_by, created_at)
         VALUES (?1, ?2, 'owner', '', ?3)",
        params![id, owner_id, now],
    )?;
    tx.commit()?;
    Ok(Project {
        id: id.to_string(),
        name: name.to_string(),
        description: description.to_string(),
        slug,
        created_at: now.clone(),
        updated_at: now,
        deleted_at: None,
    })
}

/// The project, soft-deleted or not.
pub fn get(c: &Connection, id: &str) -> StoreResult<Option<Project>> {
    let sql = format!("SELECT {COLUMNS} FROM projects WHERE id = ?1");
    Ok(c.query_row(&sql, params![id], from_row).optional()?)
}

/// The user's non-deleted projects, oldest first.
pub fn list_for_user(c: &Connection, user_id: &str) -> StoreResult<Vec<Project>> {
    let sql = format!(
        "SELECT {} FROM projects p JOIN memberships m ON m.project_id = p.id
         WHERE m.user_id = ?1 AND p.deleted_at IS NULL
         ORDER BY p.created_at, p.rowid",
        COLUMNS
            .split(", ")
            .map(|col| format!("p.{col}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let mut stmt = c.prepare(&sql)?;
    let rows = stmt.query_map(params![user_id], from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Applies the present fields; `None` when the project does not exist.
pub fn update(
    c: &Connection,
    id: &str,
    name: Option<&str>,
    description: Option<&str>,
) -> StoreResult<Option<Project>> {
    let n = c.execute(
        "UPDATE projects SET name = COALESCE(?1, name),
                             description = COALESCE(?2, description),
                             updated_at = ?3
         WHERE id = ?4",
        params![name, description, now_text(), id],
    )?;
    if n == 0 {
        return Ok(None);
    }
    get(c, id)
}

/// Sets `deleted_at` (first deletion wins).
pub fn soft_delete(c: &Connection, id: &str) -> StoreResult<()> {
    let now = now_text();
    c.execute(
        "UPDATE projects SET deleted_at = ?1, updated_at = ?1
         WHERE id = ?2 AND deleted_at IS NULL",
        params![now, id],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{schema::open_server_db, users};

    #[test]
    fn slugs() {
        assert_eq!(slug_base("My  Project!"), "my-project");
        assert_eq!(slug_base("--Ünï--"), "n");
        assert_eq!(slug_base("!!!"), "");
    }

    #[test]
    fn create_list_update_delete() {
        let dir = tempfile::tempdir().unwrap();
        let db = open_server_db(&dir.path().join("s.db")).unwrap();
        db.with(|c| {
            let (u, _) = users::ensure(c, "a@x.io")?;
            let a = create(c, "p_0000000000000001", "Demo", "", &u.id)?;
            let b = create(c, "p_0000000000000002", "demo", "d", &u.id)?;
            let e = create(c, "p_0000000000000003", "***", "", &u.id)?;
            assert_eq!((a.slug.as_str(), b.slug.as_str()), ("demo", "demo-2"));
            assert_eq!(e.slug, e.id);
            let listed: Vec<_> = list_for_user(c, &u.id)?.into_iter().map(|p| p.id).collect();
            assert_eq!(listed, [a.id.clone(), b.id.clone(), e.id.clone()]);
            let upd = update(c, &a.id, None, Some("new"))?.unwrap();
            assert_eq!(
                (upd.name.as_str(), upd.description.as_str()),
                ("Demo", "new")
            );
            soft_delete(c, &b.id)?;
            assert!(get(c, &b.id)?.unwrap().deleted_at.is_some());
            assert_eq!(list_for_user(c, &u.id)?.len(), 2);
            Ok(())
        })
        .unwrap();
    }
}
