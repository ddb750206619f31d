//! The `issues.db` schema (client spec §2): final DDL, connection policy, init rows.

use rusqlite::Connection;

/// Value of `schema_info(key='version')`.
pub const SCHEMA_VERSION: &str = "38";

/// Id of the built-in board every client creates identically at init.
pub const BUILTIN_BOARD_ID: &str = "bd-all-issues";

/// Tables whose rows travel through sync, in dependency order (parents first).
pub const SYNCED_TABLES: &[&str] = &[
    "issues",
    "logs",
    "comments",
    "handoffs",
    "boards",
    "work_sessions",
    "board_issue_positions",
    "issue_dependencies",
    "issue_files",
    "work_session_issues",
    "issue_reviews",
    "notes",
];

/// The final DDL, columns in the original's physical order.
pub const DDL: &str = r#"
CREATE TABLE IF NOT EXISTS issues (
  id TEXT PRIMARY KEY, title TEXT NOT NULL, description TEXT DEFAULT '',
  status TEXT NOT NULL DEFAULT 'open', type TEXT NOT NULL DEFAULT 'task',
  priority TEXT NOT NULL DEFAULT 'P2', points INTEGER DEFAULT 0, labels TEXT DEFAULT '',
  parent_id TEXT DEFAULT '', acceptance TEXT DEFAULT '',
  implementer_session TEXT DEFAULT '', reviewer_session TEXT DEFAULT '',
  created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
  closed_at DATETIME, deleted_at DATETIME, minor INTEGER DEFAULT 0,
  created_branch TEXT DEFAULT '', creator_session TEXT DEFAULT '', sprint TEXT DEFAULT '',
  defer_until TEXT, due_date TEXT, defer_count INTEGER DEFAULT 0,
  reviewed_at DATETIME, review_requested_by_session TEXT DEFAULT '', closed_by_session TEXT DEFAULT '');
CREATE TABLE IF NOT EXISTS logs (id TEXT PRIMARY KEY, issue_id TEXT DEFAULT '', session_id TEXT NOT NULL,
  work_session_id TEXT DEFAULT '', message TEXT NOT NULL, type TEXT NOT NULL DEFAULT 'progress',
  timestamp DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP);
CREATE TABLE IF NOT EXISTS handoffs (id TEXT PRIMARY KEY, issue_id TEXT NOT NULL, session_id TEXT NOT NULL,
  done TEXT DEFAULT '[]', remaining TEXT DEFAULT '[]', decisions TEXT DEFAULT '[]',
  uncertain TEXT DEFAULT '[]', timestamp DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
  FOREIGN KEY (issue_id) REFERENCES issues(id) ON DELETE CASCADE);
CREATE TABLE IF NOT EXISTS comments (id TEXT PRIMARY KEY, issue_id TEXT NOT NULL, session_id TEXT NOT NULL,
  text TEXT NOT NULL, created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
  FOREIGN KEY (issue_id) REFERENCES issues(id) ON DELETE CASCADE);
CREATE TABLE IF NOT EXISTS issue_dependencies (id TEXT PRIMARY KEY, issue_id TEXT NOT NULL,
  depends_on_id TEXT NOT NULL, relation_type TEXT NOT NULL DEFAULT 'depends_on',
  UNIQUE(issue_id, depends_on_id, relation_type),
  FOREIGN KEY (issue_id) REFERENCES issues(id) ON DELETE CASCADE,
  FOREIGN KEY (depends_on_id) REFERENCES issues(id) ON DELETE CASCADE);
CREATE TABLE IF NOT EXISTS issue_files (id TEXT PRIMARY KEY, issue_id TEXT NOT NULL, file_path TEXT NOT NULL,
  role TEXT NOT NULL DEFAULT 'implementation', linked_sha TEXT DEFAULT '',
  linked_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP, UNIQUE(issue_id, file_path),
  FOREIGN KEY (issue_id) REFERENCES issues(id) ON DELETE CASCADE);
CREATE TABLE IF NOT EXISTS boards (id TEXT PRIMARY KEY, name TEXT NOT NULL COLLATE NOCASE,
  last_viewed_at DATETIME, created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP, query TEXT NOT NULL DEFAULT '',
  is_builtin INTEGER NOT NULL DEFAULT 0, view_mode TEXT NOT NULL DEFAULT 'swimlanes');
CREATE TABLE IF NOT EXISTS board_issue_positions (id TEXT PRIMARY KEY, board_id TEXT NOT NULL,
  issue_id TEXT NOT NULL, position INTEGER NOT NULL, added_at DATETIME DEFAULT CURRENT_TIMESTAMP,
  deleted_at DATETIME, UNIQUE(board_id, issue_id),
  FOREIGN KEY (board_id) REFERENCES boards(id) ON DELETE CASCADE,
  FOREIGN KEY (issue_id) REFERENCES issues(id) ON DELETE CASCADE);
CREATE TABLE IF NOT EXISTS work_sessions (id TEXT PRIMARY KEY, name TEXT NOT NULL, session_id TEXT NOT NULL,
  worktree_id TEXT DEFAULT '', worktree_root TEXT DEFAULT '', repo_root TEXT DEFAULT '',
  started_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP, ended_at DATETIME,
  start_sha TEXT DEFAULT '', end_sha TEXT DEFAULT '');
CREATE TABLE IF NOT EXISTS work_session_issues (id TEXT PRIMARY KEY, work_session_id TEXT NOT NULL,
  issue_id TEXT NOT NULL, tagged_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
  UNIQUE(work_session_id, issue_id),
  FOREIGN KEY (work_session_id) REFERENCES work_sessions(id) ON DELETE CASCADE,
  FOREIGN KEY (issue_id) REFERENCES issues(id) ON DELETE CASCADE);
CREATE TABLE IF NOT EXISTS issue_reviews (id TEXT PRIMARY KEY, issue_id TEXT NOT NULL,
  reviewer_session TEXT NOT NULL, decision TEXT NOT NULL, summary TEXT NOT NULL DEFAULT '',
  requested_by_session TEXT DEFAULT '', created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
  superseded_at DATETIME, self_review INTEGER NOT NULL DEFAULT 0, reviewed_by TEXT NOT NULL DEFAULT '',
  FOREIGN KEY (issue_id) REFERENCES issues(id));
CREATE TABLE IF NOT EXISTS action_log (id TEXT NOT NULL PRIMARY KEY, session_id TEXT NOT NULL,
  action_type TEXT NOT NULL, entity_type TEXT NOT NULL, entity_id TEXT NOT NULL,
  previous_data TEXT DEFAULT '', new_data TEXT DEFAULT '',
  timestamp DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP, undone INTEGER DEFAULT 0,
  synced_at DATETIME, server_seq INTEGER);
CREATE TABLE IF NOT EXISTS sync_state (project_id TEXT PRIMARY KEY, last_pushed_action_id INTEGER DEFAULT 0,
  last_pulled_server_seq INTEGER DEFAULT 0, last_sync_at DATETIME, sync_disabled INTEGER DEFAULT 0);
CREATE TABLE IF NOT EXISTS sessions (id TEXT PRIMARY KEY, name TEXT DEFAULT '', branch TEXT DEFAULT '',
  agent_type TEXT DEFAULT '', agent_pid INTEGER DEFAULT 0, context_id TEXT DEFAULT '',
  match_context_id TEXT DEFAULT '', worktree_id TEXT DEFAULT '', worktree_root TEXT DEFAULT '',
  repo_root TEXT DEFAULT '', previous_session_id TEXT DEFAULT '',
  started_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP, ended_at DATETIME, last_activity DATETIME);
CREATE TABLE IF NOT EXISTS session_state (session_id TEXT NOT NULL, worktree_id TEXT DEFAULT '',
  focused_issue_id TEXT DEFAULT '', active_work_session_id TEXT DEFAULT '',
  updated_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP, PRIMARY KEY(session_id, worktree_id));
CREATE TABLE IF NOT EXISTS issue_session_history (id TEXT PRIMARY KEY, issue_id TEXT NOT NULL,
  session_id TEXT NOT NULL, action TEXT NOT NULL, created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
  FOREIGN KEY (issue_id) REFERENCES issues(id) ON DELETE CASCADE);
CREATE TABLE IF NOT EXISTS git_snapshots (id TEXT PRIMARY KEY, issue_id TEXT NOT NULL, event TEXT NOT NULL,
  commit_sha TEXT NOT NULL, branch TEXT NOT NULL, dirty_files INTEGER DEFAULT 0,
  timestamp DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
  FOREIGN KEY (issue_id) REFERENCES issues(id) ON DELETE CASCADE);
CREATE TABLE IF NOT EXISTS schema_info (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sync_conflicts (id INTEGER PRIMARY KEY AUTOINCREMENT, entity_type TEXT NOT NULL,
  entity_id TEXT NOT NULL, server_seq INTEGER NOT NULL, local_data JSON, remote_data JSON,
  overwritten_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP);
CREATE TABLE IF NOT EXISTS sync_history (id INTEGER PRIMARY KEY AUTOINCREMENT, direction TEXT NOT NULL,
  action_type TEXT NOT NULL, entity_type TEXT NOT NULL, entity_id TEXT NOT NULL, server_seq INTEGER,
  device_id TEXT DEFAULT '', timestamp DATETIME DEFAULT CURRENT_TIMESTAMP);
CREATE TABLE IF NOT EXISTS sync_skipped_events (server_seq INTEGER PRIMARY KEY, device_id TEXT NOT NULL DEFAULT '',
  action_type TEXT NOT NULL DEFAULT '', entity_type TEXT NOT NULL DEFAULT '',
  entity_id TEXT NOT NULL DEFAULT '', reason TEXT NOT NULL, error TEXT NOT NULL DEFAULT '',
  payload JSON, skipped_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP);
CREATE TABLE IF NOT EXISTS notes (id TEXT PRIMARY KEY, title TEXT NOT NULL, content TEXT NOT NULL,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL, pinned INTEGER DEFAULT 0,
  archived INTEGER DEFAULT 0, deleted_at TEXT);

CREATE INDEX IF NOT EXISTS idx_issues_status ON issues(status);
CREATE INDEX IF NOT EXISTS idx_issues_priority ON issues(priority);
CREATE INDEX IF NOT EXISTS idx_issues_type ON issues(type);
CREATE INDEX IF NOT EXISTS idx_issues_parent ON issues(parent_id);
CREATE INDEX IF NOT EXISTS idx_issues_deleted ON issues(deleted_at);
CREATE INDEX IF NOT EXISTS idx_issues_deleted_status ON issues(deleted_at, status);
CREATE INDEX IF NOT EXISTS idx_logs_issue ON logs(issue_id);
CREATE INDEX IF NOT EXISTS idx_logs_ws ON logs(work_session_id);
CREATE INDEX IF NOT EXISTS idx_logs_timestamp ON logs(timestamp);
CREATE INDEX IF NOT EXISTS idx_handoffs_issue ON handoffs(issue_id);
CREATE INDEX IF NOT EXISTS idx_comments_issue ON comments(issue_id);
CREATE INDEX IF NOT EXISTS idx_issue_files_issue ON issue_files(issue_id);
CREATE INDEX IF NOT EXISTS idx_deps_depends_on ON issue_dependencies(depends_on_id);
CREATE INDEX IF NOT EXISTS idx_action_log_session ON action_log(session_id);
CREATE INDEX IF NOT EXISTS idx_action_log_timestamp ON action_log(timestamp);
CREATE INDEX IF NOT EXISTS idx_action_log_entity ON action_log(entity_id, action_type);
CREATE INDEX IF NOT EXISTS idx_action_log_pending ON action_log(synced_at, undone);
CREATE INDEX IF NOT EXISTS idx_sessions_key ON sessions(branch, agent_type, agent_pid, match_context_id, worktree_id);
CREATE INDEX IF NOT EXISTS idx_reviews_issue ON issue_reviews(issue_id);
CREATE INDEX IF NOT EXISTS idx_reviews_active ON issue_reviews(issue_id) WHERE superseded_at IS NULL;
CREATE INDEX IF NOT EXISTS idx_ish_issue ON issue_session_history(issue_id, session_id);
"#;

/// SQLite's busy timeout: 5 s, or `TD_BUSY_TIMEOUT_MS` (a test harness shortens it so a
/// held lock costs less wall time; see docs/deviations.md).
pub fn busy_timeout() -> std::time::Duration {
    std::env::var("TD_BUSY_TIMEOUT_MS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .map_or(
            std::time::Duration::from_millis(5000),
            std::time::Duration::from_millis,
        )
}

/// Pragmas applied on every open (client spec §2.1). Rollback journal, not WAL, so
/// external readers between commands always see a complete, committed file.
pub fn apply_pragmas(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(busy_timeout())?;
    // Apply prepares one statement shape per table and payload shape; keep them all.
    conn.set_prepared_statement_cache_capacity(128);
    conn.pragma_update(None, "journal_mode", "TRUNCATE")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(())
}

/// Creates every table, the version row and the built-in board. Idempotent.
pub fn create(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(DDL)?;
    conn.execute(
        "INSERT OR IGNORE INTO schema_info(key, value) VALUES ('version', ?1)",
        [SCHEMA_VERSION],
    )?;
    conn.execute(
        "INSERT OR IGNORE INTO boards(id, name, query, is_builtin, view_mode) \
         VALUES (?1, 'All Issues', '', 1, 'swimlanes')",
        [BUILTIN_BOARD_ID],
    )?;
    Ok(())
}

/// True when `column` of `table` is declared exactly `TEXT` with default `''`
/// (sync normalization maps JSON null to '' for those, NULL otherwise).
pub fn column_is_text_default_empty(
    conn: &Connection,
    table: &str,
    column: &str,
) -> rusqlite::Result<bool> {
    Ok(table_columns(conn, table)?
        .into_iter()
        .any(|c| c.name == column && c.decl_type == "TEXT" && c.default.as_deref() == Some("''")))
}

/// One row of `PRAGMA table_info`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnInfo {
    pub name: String,
    pub decl_type: String,
    pub not_null: bool,
    pub default: Option<String>,
    pub primary_key: bool,
}

/// Columns of `table` in physical order (empty when the table does not exist).
pub fn table_columns(conn: &Connection, table: &str) -> rusqlite::Result<Vec<ColumnInfo>> {
    let mut stmt = conn.prepare(&format!("PRAGMA table_info({})", quote_ident(table)))?;
    let rows = stmt.query_map([], |r| {
        Ok(ColumnInfo {
            name: r.get(1)?,
            decl_type: r.get::<_, Option<String>>(2)?.unwrap_or_default(),
            not_null: r.get::<_, i64>(3)? != 0,
            default: r.get(4)?,
            primary_key: r.get::<_, i64>(5)? != 0,
        })
    })?;
    rows.collect()
}

/// Quotes an SQL identifier (table/column names are never bound parameters).
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_is_idempotent_and_seeds_builtin_board() {
        let conn = Connection::open_in_memory().unwrap();
        apply_pragmas(&conn).unwrap();
        create(&conn).unwrap();
        create(&conn).unwrap();
        let n: i64 = conn
            .query_row(
                "SELECT COUNT(*) FROM boards WHERE is_builtin = 1",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(n, 1);
        let v: String = conn
            .query_row(
                "SELECT value FROM schema_info WHERE key='version'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(v, "38");
    }

    #[test]
    fn text_default_empty_detection() {
        let conn = Connection::open_in_memory().unwrap();
        create(&conn).unwrap();
        assert!(column_is_text_default_empty(&conn, "issues", "description").unwrap());
        assert!(!column_is_text_default_empty(&conn, "issues", "closed_at").unwrap());
        assert!(!column_is_text_default_empty(&conn, "issues", "defer_until").unwrap());
        assert!(column_is_text_default_empty(&conn, "boards", "query").unwrap());
    }
}
