//! The `users` table. Emails are stored and looked up trimmed and lowercased.

use rusqlite::{params, Connection, OptionalExtension, Row, TransactionBehavior};

use super::{now_text, StoreResult};
use crate::tokens::row_id;

/// A user account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: String,
    pub email: String,
    pub is_admin: bool,
    pub email_verified_at: Option<String>,
}

/// The stored form of an email address.
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

const COLUMNS: &str = "id, email, is_admin, email_verified_at";

fn from_row(r: &Row<'_>) -> rusqlite::Result<User> {
    Ok(User {
        id: r.get(0)?,
        email: r.get(1)?,
        is_admin: r.get::<_, i64>(2)? != 0,
        email_verified_at: r.get(3)?,
    })
}

pub fn find_by_email(c: &Connection, email: &str) -> StoreResult<Option<User>> {
    let sql = format!("SELECT {COLUMNS} FROM users WHERE email = ?1");
    Ok(c.query_row(&sql, params![normalize_email(email)], from_row)
        .optional()?)
}

pub fn find_by_id(c: &Connection, id: &str) -> StoreResult<Option<User>> {
    let sql = format!("SELECT {COLUMNS} FROM users WHERE id = ?1");
    Ok(c.query_row(&sql, params![id], from_row).optional()?)
}

/// Returns the user with `email`, creating it if absent; the bool says whether it was
/// created. The first user ever created becomes an admin. One IMMEDIATE transaction, so
/// two concurrent creators cannot both be "first".
pub fn ensure(c: &mut Connection, email: &str) -> StoreResult<(User, bool)> {
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    if let Some(user) = find_by_email(&tx, email)? {
        return Ok((user, false));
    }
    let no_users: bool =
        tx.query_row("SELECT NOT EXISTS (SELECT 1 FROM users)", [], |r| r.get(0))?;
    let user = User {
        id: row_id("u_"),
        email: normalize_email(email),
        is_admin: no_users,
        email_verified_at: None,
    };
    let now = now_text();
    tx.execute(
        "INSERT INTO users (id, email, created_at, updated_at, is_admin)
         VALUES (?1, ?2, ?3, ?3, ?4)",
        params![user.id, user.email, now, user.is_admin as i64],
    )?;
    tx.commit()?;
    Ok((user, true))
}

/// Outcome of granting or revoking admin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdminChange {
    Done(User),
    NoSuchUser,
    /// Revoking would leave no admin.
    LastAdmin,
}

/// Sets or clears `is_admin` for `email`; refuses to revoke the last admin.
pub fn set_admin(c: &mut Connection, email: &str, admin: bool) -> StoreResult<AdminChange> {
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let Some(mut user) = find_by_email(&tx, email)? else {
        return Ok(AdminChange::NoSuchUser);
    };
    if !admin && user.is_admin {
        let admins: i64 =
            tx.query_row("SELECT COUNT(*) FROM users WHERE is_admin = 1", [], |r| {
                r.get(0)
            })?;
        if admins <= 1 {
            return Ok(AdminChange::LastAdmin);
        }
    }
    tx.execute(
        "UPDATE users SET is_admin = ?1, updated_at = ?2 WHERE id = ?3",
        params![admin as i64, now_text(), user.id],
    )?;
    tx.commit()?;
    user.is_admin = admin;
    Ok(AdminChange::Done(user))
}

/// Sets `email_verified_at` if it is still null.
pub fn mark_verified(c: &Connection, user_id: &str) -> StoreResult<()> {
    let now = now_text();
    c.execute(
        "UPDATE users SET email_verified_at = ?1, updated_at = ?1
         WHERE id = ?2 AND email_verified_at IS NULL",
        params![now, user_id],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::schema::open_server_db;

    #[test]
    fn ensure_is_idempotent_and_first_user_is_admin() {
        let dir = tempfile::tempdir().unwrap();
        let db = open_server_db(&dir.path().join("s.db")).unwrap();
        db.with(|c| {
            let (alice, created) = ensure(c, " Alice@Test.local ")?;
            assert!(created && alice.is_admin);
            assert_eq!(alice.email, "alice@test.local");
            let (again, created) = ensure(c, "alice@test.local")?;
            assert!(!created);
            assert_eq!(again.id, alice.id);
            let (bob, _) = ensure(c, "bob@test.local")?;
            assert!(!bob.is_admin);
            assert_eq!(
                set_admin(c, "alice@test.local", false)?,
                AdminChange::LastAdmin
            );
            assert!(matches!(
                set_admin(c, "bob@test.local", true)?,
                AdminChange::Done(_)
            ));
            assert!(matches!(
                set_admin(c, "alice@test.local", false)?,
                AdminChange::Done(_)
            ));
            assert_eq!(set_admin(c, "nobody@x", true)?, AdminChange::NoSuchUser);
            Ok(())
        })
        .unwrap();
    }
}
