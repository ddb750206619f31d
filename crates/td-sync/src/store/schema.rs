//! server.db DDL (§2.1) in its final shape, recorded as schema version 6 (§2.6).

use std::path::Path;

use rusqlite::{params, Connection, OptionalExtension};

use super::{open_connection, Db, StoreError, StoreResult};

/// The version the original reaches after its migrations 2–6.
pub const SCHEMA_VERSION: i64 = 6;

const DDL: &str = r#"
CREATE TABLE IF NOT EXISTS schema_info (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS users (
    id TEXT PRIMARY KEY,
    email TEXT UNIQUE NOT NULL,
    email_verified_at DATETIME,
    created_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL,
    is_admin INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS api_keys (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    key_hash TEXT UNIQUE NOT NULL,
    key_prefix TEXT NOT NULL,
    name TEXT NOT NULL DEFAULT '',
    scopes TEXT NOT NULL DEFAULT 'sync',
    expires_at DATETIME,
    last_used_at DATETIME,
    created_at DATETIME NOT NULL
);
CREATE INDEX IF NOT EXISTS idx_api_keys_user ON api_keys(user_id);
CREATE TABLE IF NOT EXISTS projects (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    created_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL,
    deleted_at DATETIME,
    event_count INTEGER NOT NULL DEFAULT 0,
    last_event_at DATETIME,
    slug TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS idx_projects_slug ON projects(slug);
CREATE TABLE IF NOT EXISTS memberships (
    project_id TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('owner', 'writer', 'reader')),
    invited_by TEXT NOT NULL DEFAULT '',
    created_at DATETIME NOT NULL,
    PRIMARY KEY (project_id, user_id)
);
CREATE INDEX IF NOT EXISTS idx_memberships_user ON memberships(user_id);
CREATE TABLE IF NOT EXISTS invitations (
    id TEXT PRIMARY KEY,
    project_id TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('owner', 'writer', 'reader')),
    invited_by TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'pending',
    created_at DATETIME NOT NULL,
    accepted_at DATETIME
);
CREATE TABLE IF NOT EXISTS sync_cursors (
    project_id TEXT NOT NULL,
    client_id TEXT NOT NULL,
    last_event_id INTEGER NOT NULL DEFAULT 0,
    last_sync_at DATETIME,
    PRIMARY KEY (project_id, client_id)
);
CREATE TABLE IF NOT EXISTS auth_requests (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL,
    device_code TEXT UNIQUE NOT NULL,
    user_code TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    expires_at DATETIME NOT NULL,
    verified_at DATETIME,
    api_key_id TEXT,
    created_at DATETIME NOT NULL
);
CREATE TABLE IF NOT EXISTS auth_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    auth_request_id TEXT NOT NULL DEFAULT '',
    email TEXT NOT NULL DEFAULT '',
    event_type TEXT NOT NULL,
    metadata TEXT NOT NULL DEFAULT '{}',
    created_at DATETIME NOT NULL
);
CREATE TABLE IF NOT EXISTS rate_limit_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    key_id TEXT NOT NULL DEFAULT '',
    ip TEXT NOT NULL DEFAULT '',
    endpoint_class TEXT NOT NULL,
    created_at DATETIME NOT NULL
);
CREATE TABLE IF NOT EXISTS auth_email_challenges (
    id TEXT PRIMARY KEY,
    purpose TEXT NOT NULL CHECK (purpose IN ('web_login', 'device_login', 'email_verify', 'admin_login')),
    email TEXT NOT NULL,
    user_id TEXT NOT NULL DEFAULT '',
    selector TEXT UNIQUE NOT NULL,
    token_hash TEXT NOT NULL,
    otp_hash TEXT NOT NULL DEFAULT '',
    device_code_hash TEXT NOT NULL DEFAULT '',
    code_challenge TEXT NOT NULL DEFAULT '',
    code_challenge_method TEXT NOT NULL DEFAULT '',
    redirect_uri TEXT NOT NULL DEFAULT '',
    state_hash TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'verified', 'consumed', 'expired', 'failed', 'suppressed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    ip TEXT NOT NULL DEFAULT '',
    user_agent TEXT NOT NULL DEFAULT '',
    expires_at DATETIME NOT NULL,
    verified_at DATETIME,
    consumed_at DATETIME,
    created_at DATETIME NOT NULL
);
CREATE INDEX IF NOT EXISTS idx_challenges_device_code ON auth_email_challenges(device_code_hash);
"#;

/// Opens (creating the parent directory and the file if needed) and migrates server.db.
pub fn open_server_db(path: &Path) -> StoreResult<Db> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|source| StoreError::CreateDir {
            path: parent.to_path_buf(),
            source,
        })?;
    }
    let mut conn = open_connection(path, true)?;
    migrate(&mut conn)?;
    Ok(Db::new(conn, path))
}

/// Creates the final shape and records version 6. Idempotent; refuses a newer version.
pub fn migrate(conn: &mut Connection) -> StoreResult<()> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    tx.execute_batch(DDL)?;
    let found: Option<String> = tx
        .query_row(
            "SELECT value FROM schema_info WHERE key = 'version'",
            [],
            |r| r.get(0),
        )
        .optional()?;
    let found = found.and_then(|v| v.parse::<i64>().ok()).unwrap_or(0);
    if found > SCHEMA_VERSION {
        return Err(StoreError::SchemaTooNew {
            found,
            supported: SCHEMA_VERSION,
        });
    }
    if found < SCHEMA_VERSION {
        tx.execute(
            "INSERT OR REPLACE INTO schema_info (key, value) VALUES ('version', ?1)",
            params![SCHEMA_VERSION.to_string()],
        )?;
    }
    tx.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_creates_parent_and_records_version_6_idempotently() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data/server.db");
        for _ in 0..2 {
            let db = open_server_db(&path).unwrap();
            let v: String = db
                .with(|c| {
                    Ok(c.query_row(
                        "SELECT value FROM schema_info WHERE key='version'",
                        [],
                        |r| r.get(0),
                    )?)
                })
                .unwrap();
            assert_eq!(v, "6");
            let mode: String = db
                .with(|c| Ok(c.query_row("PRAGMA journal_mode", [], |r| r.get(0))?))
                .unwrap();
            assert_eq!(mode, "truncate");
        }
    }
}
