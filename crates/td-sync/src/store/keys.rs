//! The `api_keys` table (§3.1): only the SHA-256 of a key is stored.

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};

use super::{format_time, now_text, StoreResult};
use crate::tokens::{api_key_prefix, new_api_key, row_id, sha256_hex};

/// A freshly issued key; `plaintext` is shown once and never stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedKey {
    pub id: String,
    pub plaintext: String,
    pub name: String,
    pub scopes: String,
    /// RFC3339 seconds, or `None` for keys that never expire.
    pub expires_at: Option<String>,
}

/// The caller behind a valid key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyOwner {
    pub key_id: String,
    pub user_id: String,
    pub email: String,
    pub is_admin: bool,
    /// Comma-separated scopes.
    pub scopes: String,
}

impl KeyOwner {
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.split(',').any(|s| s.trim() == scope)
    }
}

/// Creates a key for `user_id`.
pub fn issue(
    c: &Connection,
    user_id: &str,
    name: &str,
    scopes: &str,
    expires_at: Option<DateTime<Utc>>,
) -> StoreResult<IssuedKey> {
    let plaintext = new_api_key();
    let key = IssuedKey {
        id: row_id("ak_"),
        name: name.to_string(),
        scopes: scopes.to_string(),
        expires_at: expires_at.map(format_time),
        plaintext,
    };
    c.execute(
        "INSERT INTO api_keys (id, user_id, key_hash, key_prefix, name, scopes, expires_at,
                               created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            key.id,
            user_id,
            sha256_hex(&key.plaintext),
            api_key_prefix(&key.plaintext),
            key.name,
            key.scopes,
            key.expires_at,
            now_text()
        ],
    )?;
    Ok(key)
}

/// How stale `last_used_at` may get before a request refreshes it.
pub const LAST_USED_PRECISION_SECS: i64 = 60;

/// Looks a plaintext key up by its hash; unknown or expired keys give `None`. A hit
/// records `last_used_at` (to the minute).
pub fn authenticate(c: &Connection, plaintext: &str) -> StoreResult<Option<KeyOwner>> {
    let now = now_text();
    let found = c
        .query_row(
            "SELECT k.id, k.user_id, u.email, u.is_admin, k.scopes
             FROM api_keys k JOIN users u ON u.id = k.user_id
             WHERE k.key_hash = ?1 AND (k.expires_at IS NULL OR k.expires_at > ?2)",
            params![sha256_hex(plaintext), now],
            |r| {
                Ok(KeyOwner {
                    key_id: r.get(0)?,
                    user_id: r.get(1)?,
                    email: r.get(2)?,
                    is_admin: r.get::<_, i64>(3)? != 0,
                    scopes: r.get(4)?,
                })
            },
        )
        .optional()?;
    if let Some(owner) = &found {
        // At most one write per key per minute: every commit costs an fsync, and this runs
        // on every authenticated request.
        let stale = format_time(Utc::now() - chrono::Duration::seconds(LAST_USED_PRECISION_SECS));
        c.execute(
            "UPDATE api_keys SET last_used_at = ?1
             WHERE id = ?2 AND (last_used_at IS NULL OR last_used_at <= ?3)",
            params![now, owner.key_id, stale],
        )?;
    }
    Ok(found)
}

/// Deletes key `key_id` of `user_id`; false when there was no such key.
pub fn revoke(c: &Connection, user_id: &str, key_id: &str) -> StoreResult<bool> {
    let n = c.execute(
        "DELETE FROM api_keys WHERE id = ?1 AND user_id = ?2",
        params![key_id, user_id],
    )?;
    Ok(n > 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{schema::open_server_db, users};

    #[test]
    fn issue_authenticate_expire_revoke() {
        let dir = tempfile::tempdir().unwrap();
        let db = open_server_db(&dir.path().join("s.db")).unwrap();
        db.with(|c| {
            let (u, _) = users::ensure(c, "a@x.io")?;
            let key = issue(c, &u.id, "k", "sync", None)?;
            let owner = authenticate(c, &key.plaintext)?.expect("valid key");
            assert_eq!(owner.user_id, u.id);
            assert!(owner.has_scope("sync"));
            assert!(authenticate(c, "td_live_nope")?.is_none());
            let past = Utc::now() - chrono::Duration::seconds(5);
            let old = issue(c, &u.id, "old", "sync", Some(past))?;
            assert!(authenticate(c, &old.plaintext)?.is_none());
            assert!(revoke(c, &u.id, &key.id)?);
            assert!(!revoke(c, &u.id, &key.id)?);
            assert!(authenticate(c, &key.plaintext)?.is_none());
            Ok(())
        })
        .unwrap();
    }
}
