//! The `memberships` table and project roles (§3.2).

use std::fmt;

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use td_core::wire::Member;

use super::{now_text, StoreResult};

/// A project role; the derived order is the privilege order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    Reader = 1,
    Writer = 2,
    Owner = 3,
}

impl Role {
    pub fn parse(text: &str) -> Option<Role> {
        match text {
            "reader" => Some(Role::Reader),
            "writer" => Some(Role::Writer),
            "owner" => Some(Role::Owner),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Reader => "reader",
            Role::Writer => "writer",
            Role::Owner => "owner",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The caller's role in a project, if any.
pub fn role_of(c: &Connection, project_id: &str, user_id: &str) -> StoreResult<Option<Role>> {
    let role: Option<String> = c
        .query_row(
            "SELECT role FROM memberships WHERE project_id = ?1 AND user_id = ?2",
            params![project_id, user_id],
            |r| r.get(0),
        )
        .optional()?;
    Ok(role.as_deref().and_then(Role::parse))
}

/// Members of a project with their emails, oldest membership first.
pub fn list(c: &Connection, project_id: &str) -> StoreResult<Vec<Member>> {
    let mut stmt = c.prepare(
        "SELECT m.project_id, m.user_id, u.email, m.role, m.invited_by, m.created_at
         FROM memberships m JOIN users u ON u.id = m.user_id
         WHERE m.project_id = ?1 ORDER BY m.created_at, m.rowid",
    )?;
    let rows = stmt.query_map(params![project_id], |r| {
        Ok(Member {
            project_id: r.get(0)?,
            user_id: r.get(1)?,
            email: r.get(2)?,
            role: r.get(3)?,
            invited_by: r.get(4)?,
            created_at: r.get(5)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Result of adding a member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AddOutcome {
    Added(Member),
    AlreadyMember,
}

/// Adds `user_id` (with `email` for the answer) to the project.
pub fn add(
    c: &Connection,
    project_id: &str,
    user_id: &str,
    email: &str,
    role: Role,
    invited_by: &str,
) -> StoreResult<AddOutcome> {
    let now = now_text();
    let n = c.execute(
        "INSERT INTO memberships (project_id, user_id, role, invited_by, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (project_id, user_id) DO NOTHING",
        params![project_id, user_id, role.as_str(), invited_by, now],
    )?;
    if n == 0 {
        return Ok(AddOutcome::AlreadyMember);
    }
    Ok(AddOutcome::Added(Member {
        project_id: project_id.to_string(),
        user_id: user_id.to_string(),
        email: email.to_string(),
        role: role.as_str().to_string(),
        invited_by: invited_by.to_string(),
        created_at: now,
    }))
}

/// Result of changing or removing a membership.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeOutcome {
    Done,
    NotMember,
    /// The change would leave the project without an owner.
    LastOwner,
}

/// Changes a member's role; refuses to demote the only owner.
pub fn set_role(
    c: &mut Connection,
    project_id: &str,
    user_id: &str,
    role: Role,
) -> StoreResult<ChangeOutcome> {
    change(c, project_id, user_id, role != Role::Owner, |tx| {
        tx.execute(
            "UPDATE memberships SET role = ?1 WHERE project_id = ?2 AND user_id = ?3",
            params![role.as_str(), project_id, user_id],
        )
    })
}

/// Removes a member; refuses to remove the only owner.
pub fn remove(c: &mut Connection, project_id: &str, user_id: &str) -> StoreResult<ChangeOutcome> {
    change(c, project_id, user_id, true, |tx| {
        tx.execute(
            "DELETE FROM memberships WHERE project_id = ?1 AND user_id = ?2",
            params![project_id, user_id],
        )
    })
}

/// Runs `write` in a transaction after checking membership and, when the change takes away
/// ownership, that another owner remains.
fn change(
    c: &mut Connection,
    project_id: &str,
    user_id: &str,
    drops_owner: bool,
    write: impl FnOnce(&Connection) -> rusqlite::Result<usize>,
) -> StoreResult<ChangeOutcome> {
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let Some(current) = role_of(&tx, project_id, user_id)? else {
        return Ok(ChangeOutcome::NotMember);
    };
    if drops_owner && current == Role::Owner {
        let owners: i64 = tx.query_row(
            "SELECT COUNT(*) FROM memberships WHERE project_id = ?1 AND role = 'owner'",
            params![project_id],
            |r| r.get(0),
        )?;
        if owners <= 1 {
            return Ok(ChangeOutcome::LastOwner);
        }
    }
    write(&tx)?;
    tx.commit()?;
    Ok(ChangeOutcome::Done)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{projects, schema::open_server_db, users};

    #[test]
    fn roles_order_and_last_owner_rules() {
        assert!(Role::Owner > Role::Writer && Role::Writer > Role::Reader);
        let dir = tempfile::tempdir().unwrap();
        let db = open_server_db(&dir.path().join("s.db")).unwrap();
        db.with(|c| {
            let (a, _) = users::ensure(c, "a@x.io")?;
            let (b, _) = users::ensure(c, "b@x.io")?;
            let p = projects::create(c, "p_0000000000000001", "P", "", &a.id)?;
            assert_eq!(role_of(c, &p.id, &a.id)?, Some(Role::Owner));
            assert!(matches!(
                add(c, &p.id, &b.id, "b@x.io", Role::Reader, &a.id)?,
                AddOutcome::Added(_)
            ));
            assert_eq!(
                add(c, &p.id, &b.id, "b@x.io", Role::Writer, &a.id)?,
                AddOutcome::AlreadyMember
            );
            assert_eq!(
                set_role(c, &p.id, &a.id, Role::Writer)?,
                ChangeOutcome::LastOwner
            );
            assert_eq!(remove(c, &p.id, &a.id)?, ChangeOutcome::LastOwner);
            assert_eq!(set_role(c, &p.id, &b.id, Role::Owner)?, ChangeOutcome::Done);
            assert_eq!(remove(c, &p.id, &a.id)?, ChangeOutcome::Done);
            assert_eq!(remove(c, &p.id, &a.id)?, ChangeOutcome::NotMember);
            let members = list(c, &p.id)?;
            assert_eq!(members.len(), 1);
            assert_eq!(members[0].email, "b@x.io");
            Ok(())
        })
        .unwrap();
    }
}
