//! Read-only access to one actor's `issues.db`: the snapshot the model is rebuilt from, and
//! the facts that confirm a refusal. Opened with `SQLITE_OPEN_READ_ONLY` (weak spot §9.5),
//! bound parameters only.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{params, Connection, OpenFlags, OptionalExtension};

/// A database read failed.
#[derive(Debug, thiserror::Error)]
#[error("read {path}: {source}")]
pub struct DbError {
    pub path: PathBuf,
    #[source]
    pub source: rusqlite::Error,
}

/// One issue row as the model needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueRow {
    pub id: String,
    pub status: String,
    pub deleted: bool,
    pub minor: bool,
    pub parent: String,
    pub creator_session: String,
    pub implementer_session: String,
}

/// Everything the model is rebuilt from, in rowid (insertion) order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// This actor's own session ids (the `sessions` table is local-only).
    pub sessions: Vec<String>,
    pub issues: Vec<IssueRow>,
    /// Issue ids with a started/unstarted history row of one of this actor's sessions.
    pub worked: BTreeSet<String>,
    pub deps: Vec<(String, String)>,
    pub boards: Vec<String>,
    pub files: Vec<(String, String, String)>,
    /// `(work session id, name)` of the active work session.
    pub work_session: Option<(String, String)>,
    pub tagged: Vec<String>,
}

/// The issue text columns `--append` extends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextColumn {
    Description,
    Acceptance,
}

/// A read-only connection to an actor's database.
pub struct ActorDb {
    conn: Connection,
    path: PathBuf,
}

type Res<T> = Result<T, DbError>;

impl ActorDb {
    pub fn open(path: &Path) -> Res<Self> {
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let err = |source| DbError {
            path: path.to_path_buf(),
            source,
        };
        let conn = Connection::open_with_flags(path, flags).map_err(err)?;
        conn.busy_timeout(Duration::from_secs(5)).map_err(err)?;
        Ok(ActorDb {
            conn,
            path: path.to_path_buf(),
        })
    }

    fn err(&self, source: rusqlite::Error) -> DbError {
        DbError {
            path: self.path.clone(),
            source,
        }
    }

    fn strings(&self, sql: &str, args: impl rusqlite::Params) -> Res<Vec<String>> {
        let mut stmt = self.conn.prepare(sql).map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(args, |r| r.get::<_, String>(0))
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    fn pairs(&self, sql: &str) -> Res<Vec<(String, String)>> {
        let mut stmt = self.conn.prepare(sql).map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    fn exists(&self, sql: &str, args: impl rusqlite::Params) -> Res<bool> {
        let found: Option<i64> = self
            .conn
            .query_row(sql, args, |r| r.get(0))
            .optional()
            .map_err(|e| self.err(e))?;
        Ok(found.is_some())
    }

    /// This actor's session ids.
    pub fn sessions(&self) -> Res<Vec<String>> {
        self.strings("SELECT id FROM sessions ORDER BY rowid", [])
    }

    /// Whether one of `sessions` has an action_log row `td undo` would pick (not undone,
    /// not a side-effect row: logs, comments, work sessions, reviews).
    pub fn has_undoable(&self, sessions: &[String]) -> Res<bool> {
        for s in sessions {
            let found = self.exists(
                "SELECT 1 FROM action_log WHERE session_id = ?1 AND undone = 0 AND entity_type \
                 NOT IN ('logs', 'comments', 'work_sessions', 'work_session_issues', 'issue_review', \
                 'issue_reviews') \
                 LIMIT 1",
                [s],
            )?;
            if found {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// The row `td undo` would revert for one of `sessions`: `(entity_type, action_type,
    /// previous_data, new_data)` of the newest undoable row (timestamp text, then rowid).
    pub fn newest_undoable(
        &self,
        sessions: &[String],
    ) -> Res<Option<(String, String, String, String)>> {
        let mut best: Option<(String, i64, [String; 4])> = None;
        for s in sessions {
            let row = self
                .conn
                .query_row(
                    "SELECT timestamp, rowid, entity_type, action_type, \
                     COALESCE(previous_data, ''), COALESCE(new_data, '') FROM action_log \
                     WHERE session_id = ?1 AND undone = 0 AND entity_type NOT IN ('logs', \
                     'comments', 'work_sessions', 'work_session_issues', 'issue_review', \
                     'issue_reviews') ORDER BY timestamp DESC, rowid DESC LIMIT 1",
                    [s],
                    |r| {
                        Ok((
                            r.get::<_, String>(0)?,
                            r.get::<_, i64>(1)?,
                            [r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?],
                        ))
                    },
                )
                .optional()
                .map_err(|e| self.err(e))?;
            if let Some(row) = row {
                if best.as_ref().is_none_or(|b| (&row.0, row.1) > (&b.0, b.1)) {
                    best = Some(row);
                }
            }
        }
        Ok(best.map(|(_, _, [e, a, p, n])| (e, a, p, n)))
    }

    /// The full snapshot for a model refresh.
    pub fn snapshot(&self) -> Res<Snapshot> {
        let sessions = self.sessions()?;
        let work_session = self.active_work_session()?;
        let tagged = match &work_session {
            Some((ws, _)) => self.strings(
                "SELECT issue_id FROM work_session_issues WHERE work_session_id = ?1 \
                 ORDER BY rowid",
                [ws],
            )?,
            None => Vec::new(),
        };
        Ok(Snapshot {
            issues: self.issues()?,
            worked: self.worked(&sessions)?,
            sessions,
            deps: self.pairs(
                "SELECT issue_id, depends_on_id FROM issue_dependencies \
                 WHERE relation_type = 'depends_on' ORDER BY rowid",
            )?,
            boards: self.strings(
                "SELECT name FROM boards WHERE is_builtin = 0 ORDER BY rowid",
                [],
            )?,
            files: self.files()?,
            work_session,
            tagged,
        })
    }

    fn issues(&self) -> Res<Vec<IssueRow>> {
        let sql = "SELECT id, status, deleted_at IS NOT NULL, COALESCE(minor, 0), \
                   COALESCE(parent_id, ''), COALESCE(creator_session, ''), \
                   COALESCE(implementer_session, '') FROM issues ORDER BY rowid";
        let mut stmt = self.conn.prepare(sql).map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok(IssueRow {
                    id: r.get(0)?,
                    status: r.get(1)?,
                    deleted: r.get(2)?,
                    minor: r.get::<_, i64>(3)? != 0,
                    parent: r.get(4)?,
                    creator_session: r.get(5)?,
                    implementer_session: r.get(6)?,
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    fn worked(&self, sessions: &[String]) -> Res<BTreeSet<String>> {
        let mut out = BTreeSet::new();
        for s in sessions {
            out.extend(self.strings(
                "SELECT issue_id FROM issue_session_history \
                 WHERE session_id = ?1 AND action IN ('started', 'unstarted')",
                [s],
            )?);
        }
        Ok(out)
    }

    fn files(&self) -> Res<Vec<(String, String, String)>> {
        let sql = "SELECT issue_id, file_path, role FROM issue_files ORDER BY rowid";
        let mut stmt = self.conn.prepare(sql).map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    /// The active work session of this actor: one referenced from `session_state` that has
    /// not ended (`session_state` is local-only, so every row is this actor's).
    pub fn active_work_session(&self) -> Res<Option<(String, String)>> {
        self.conn
            .query_row(
                "SELECT ws.id, ws.name FROM session_state ss \
                 JOIN work_sessions ws ON ws.id = ss.active_work_session_id \
                 WHERE ws.ended_at IS NULL ORDER BY ss.rowid LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    /// `(status, minor)` of an issue, `None` when absent.
    pub fn issue_status(&self, id: &str) -> Res<Option<(String, bool)>> {
        self.conn
            .query_row(
                "SELECT status, COALESCE(minor, 0) FROM issues WHERE id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get::<_, i64>(1)? != 0)),
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    /// True when the issue exists and is soft-deleted.
    pub fn issue_deleted(&self, id: &str) -> Res<bool> {
        self.exists(
            "SELECT 1 FROM issues WHERE id = ?1 AND deleted_at IS NOT NULL",
            [id],
        )
    }

    /// Not minor, and one of `sessions` implements it or has start/unstart history.
    pub fn implemented_by(&self, id: &str, sessions: &[String]) -> Res<bool> {
        for s in sessions {
            let hit = self.exists(
                "SELECT 1 FROM issues WHERE id = ?1 AND COALESCE(minor, 0) = 0 AND \
                 (implementer_session = ?2 OR EXISTS (SELECT 1 FROM issue_session_history \
                  WHERE issue_id = ?1 AND session_id = ?2 AND action IN ('started', 'unstarted')))",
                params![id, s],
            )?;
            if hit {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Not minor and created by one of `sessions`.
    pub fn created_by(&self, id: &str, sessions: &[String]) -> Res<bool> {
        for s in sessions {
            let hit = self.exists(
                "SELECT 1 FROM issues WHERE id = ?1 AND COALESCE(minor, 0) = 0 \
                 AND creator_session = ?2",
                params![id, s],
            )?;
            if hit {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// One of `sessions` has any local history row for the issue.
    pub fn has_history(&self, id: &str, sessions: &[String]) -> Res<bool> {
        for s in sessions {
            let hit = self.exists(
                "SELECT 1 FROM issue_session_history WHERE issue_id = ?1 AND session_id = ?2",
                params![id, s],
            )?;
            if hit {
                return Ok(true);
            }
        }
        Ok(false)
    }

    pub fn board_exists(&self, name: &str) -> Res<bool> {
        self.exists(
            "SELECT 1 FROM boards WHERE name = ?1 COLLATE NOCASE",
            [name],
        )
    }

    /// The issue has a live position on a board of that name.
    pub fn positioned(&self, board: &str, issue: &str) -> Res<bool> {
        self.exists(
            "SELECT 1 FROM board_issue_positions p JOIN boards b ON b.id = p.board_id \
             WHERE b.name = ?1 COLLATE NOCASE AND p.issue_id = ?2 AND p.deleted_at IS NULL",
            params![board, issue],
        )
    }

    pub fn dep_exists(&self, from: &str, to: &str) -> Res<bool> {
        self.exists(
            "SELECT 1 FROM issue_dependencies WHERE issue_id = ?1 AND depends_on_id = ?2",
            params![from, to],
        )
    }

    /// `from depends on to` would close a cycle: `to == from`, or `to` already reaches `from`.
    pub fn would_cycle(&self, from: &str, to: &str) -> Res<bool> {
        if from == to {
            return Ok(true);
        }
        let edges = self.pairs(
            "SELECT issue_id, depends_on_id FROM issue_dependencies \
             WHERE relation_type = 'depends_on'",
        )?;
        let mut seen = BTreeSet::new();
        let mut stack = vec![to.to_string()];
        while let Some(node) = stack.pop() {
            if node == from {
                return Ok(true);
            }
            if seen.insert(node.clone()) {
                stack.extend(
                    edges
                        .iter()
                        .filter(|(a, _)| *a == node)
                        .map(|(_, b)| b.clone()),
                );
            }
        }
        Ok(false)
    }

    pub fn file_linked(&self, issue: &str, path: &str) -> Res<bool> {
        self.exists(
            "SELECT 1 FROM issue_files WHERE issue_id = ?1 AND file_path = ?2",
            params![issue, path],
        )
    }

    /// The highest action_log rowid (0 when empty): where the next command's rows start.
    pub fn last_action_rowid(&self) -> Res<i64> {
        self.conn
            .query_row("SELECT COALESCE(MAX(rowid), 0) FROM action_log", [], |r| {
                r.get(0)
            })
            .map_err(|e| self.err(e))
    }

    /// Issue `id`'s description or acceptance (`""` when empty or absent).
    pub fn issue_text(&self, id: &str, column: TextColumn) -> Res<String> {
        let sql = match column {
            TextColumn::Acceptance => "SELECT COALESCE(acceptance, '') FROM issues WHERE id = ?1",
            TextColumn::Description => "SELECT COALESCE(description, '') FROM issues WHERE id = ?1",
        };
        let found: Option<String> = self
            .conn
            .query_row(sql, [id], |r| r.get(0))
            .optional()
            .map_err(|e| self.err(e))?;
        Ok(found.unwrap_or_default())
    }

    /// Rowids of the action_log rows td marked undone, ascending.
    pub fn undone_rowids(&self) -> Res<Vec<i64>> {
        let mut stmt = self
            .conn
            .prepare("SELECT rowid FROM action_log WHERE undone = 1 ORDER BY rowid")
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| r.get::<_, i64>(0))
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }
}

#[cfg(test)]
pub(crate) mod testdb {
    //! A real td schema database for tests, filled with bound inserts.
    use rusqlite::{params, Connection};
    use std::path::Path;

    pub fn create(path: &Path, session: &str) -> Connection {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let conn = Connection::open(path).unwrap();
        td_core::schema::create(&conn).unwrap();
        conn.execute("INSERT INTO sessions (id) VALUES (?1)", [session])
            .unwrap();
        conn
    }

    pub fn issue(conn: &Connection, id: &str, status: &str, creator: &str, parent: &str) {
        conn.execute(
            "INSERT INTO issues (id, title, status, creator_session, parent_id) \
             VALUES (?1, ?1, ?2, ?3, ?4)",
            params![id, status, creator, parent],
        )
        .unwrap();
    }
}

#[cfg(test)]
mod tests {
    use super::testdb;
    use super::*;
    use rusqlite::params;

    #[test]
    fn snapshot_and_confirmations() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".todos/issues.db");
        let conn = testdb::create(&path, "ses_aaaaaa");
        testdb::issue(&conn, "td-000001", "open", "ses_aaaaaa", "");
        testdb::issue(&conn, "td-000002", "in_progress", "ses_bbbbbb", "td-000001");
        conn.execute(
            "UPDATE issues SET implementer_session = 'ses_aaaaaa' WHERE id = 'td-000002'",
            [],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO issue_dependencies (id, issue_id, depends_on_id) VALUES \
             ('dep_1', 'td-000001', 'td-000002')",
            [],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO boards (id, name) VALUES ('bd-1', 'chaos-board-1')",
            [],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO work_sessions (id, name, session_id) VALUES ('ws-1', 'w', 'ses_aaaaaa')",
            [],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO session_state (session_id, active_work_session_id) VALUES (?1, 'ws-1')",
            params!["ses_aaaaaa"],
        )
        .unwrap();
        drop(conn);

        let db = ActorDb::open(&path).unwrap();
        let snap = db.snapshot().unwrap();
        assert_eq!(snap.sessions, ["ses_aaaaaa"]);
        assert_eq!(snap.issues.len(), 2);
        assert_eq!(snap.issues[1].parent, "td-000001");
        assert_eq!(snap.deps, [("td-000001".into(), "td-000002".into())]);
        assert_eq!(snap.boards, ["chaos-board-1"], "builtin board excluded");
        assert_eq!(snap.work_session, Some(("ws-1".into(), "w".into())));

        let me = snap.sessions.clone();
        assert!(db.implemented_by("td-000002", &me).unwrap());
        assert!(!db.implemented_by("td-000001", &me).unwrap());
        assert!(db.created_by("td-000001", &me).unwrap());
        assert!(!db.created_by("td-000002", &me).unwrap());
        assert!(db.would_cycle("td-000002", "td-000001").unwrap());
        assert!(!db.would_cycle("td-000001", "td-000002").unwrap());
        assert!(db.board_exists("CHAOS-BOARD-1").unwrap());
        assert!(!db.positioned("chaos-board-1", "td-000001").unwrap());
        assert_eq!(
            db.issue_status("td-000002").unwrap(),
            Some(("in_progress".into(), false))
        );
        assert_eq!(db.issue_status("td-ffffff").unwrap(), None);
    }

    #[test]
    fn missing_database_is_an_error_with_the_path() {
        let err = ActorDb::open(Path::new("/nonexistent/dir/issues.db"))
            .err()
            .unwrap();
        assert!(err.to_string().contains("/nonexistent/dir/issues.db"));
    }
}
