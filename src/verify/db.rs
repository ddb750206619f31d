//! One in-process, read-only reader for `issues.db` files, with typed rendering.
//!
//! Weak spot §9.5 of the original: it read with the `sqlite3` CLI (NULL printed as '', `|` and
//! newlines ambiguous, errors discarded). Here every value keeps its SQLite type and renders
//! unambiguously: `NULL`, integers bare, reals with a decimal point, text as a JSON string
//! (quotes and newlines escaped), blobs as `x'…'`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::types::Value;
use rusqlite::{Connection, OpenFlags, Params};

use super::VerifyError;

/// The highest pull cursor in a client database's `sync_state` (0 before its first pull).
pub fn pull_cursor(db: &ReadOnlyDb) -> Result<i64, VerifyError> {
    Ok(db
        .rows(
            "SELECT COALESCE(MAX(last_pulled_server_seq), 0) FROM sync_state",
            [],
        )?
        .first()
        .and_then(|row| as_int(&row[0]))
        .unwrap_or(0))
}

/// One result row, values in select order.
pub type Row = Vec<Value>;

/// A database opened read-only (`SQLITE_OPEN_READ_ONLY` plus `PRAGMA query_only`).
pub struct ReadOnlyDb {
    conn: Connection,
    path: PathBuf,
}

impl ReadOnlyDb {
    /// Opens `path` read-only. A missing file is an error (read-only mode never creates one).
    pub fn open(path: &Path) -> Result<Self, VerifyError> {
        let open_err = |source| VerifyError::Open {
            path: path.to_path_buf(),
            source,
        };
        if !path.is_file() {
            return Err(VerifyError::Missing(path.to_path_buf()));
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags).map_err(open_err)?;
        // td may still hold its lock for a moment after exiting a command; wait, don't fail.
        conn.busy_timeout(Duration::from_secs(5))
            .map_err(open_err)?;
        conn.pragma_update(None, "query_only", "ON")
            .map_err(open_err)?;
        Ok(Self {
            conn,
            path: path.to_path_buf(),
        })
    }

    /// The file this reader reads.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `sql` with bound `params` and returns every row with its typed values.
    pub fn rows<P: Params>(&self, sql: &str, params: P) -> Result<Vec<Row>, VerifyError> {
        self.table(sql, params).map(|(_, rows)| rows)
    }

    /// Column names of `sql`'s result, then its rows.
    pub fn table<P: Params>(
        &self,
        sql: &str,
        params: P,
    ) -> Result<(Vec<String>, Vec<Row>), VerifyError> {
        let run = || -> rusqlite::Result<(Vec<String>, Vec<Row>)> {
            let mut stmt = self.conn.prepare(sql)?;
            let names = stmt.column_names().iter().map(|s| s.to_string()).collect();
            let n = stmt.column_count();
            let rows = stmt
                .query_map(params, |r| (0..n).map(|i| r.get::<_, Value>(i)).collect())?
                .collect::<rusqlite::Result<Vec<Row>>>()?;
            Ok((names, rows))
        };
        run().map_err(|source| self.query_err(sql, source))
    }

    /// First column of the single row `sql` returns, as an integer.
    pub fn count(&self, sql: &str) -> Result<i64, VerifyError> {
        self.conn
            .query_row(sql, [], |r| r.get::<_, i64>(0))
            .map_err(|source| self.query_err(sql, source))
    }

    fn query_err(&self, sql: &str, source: rusqlite::Error) -> VerifyError {
        VerifyError::Query {
            path: self.path.clone(),
            sql: sql.to_string(),
            source,
        }
    }
}

/// Runs one read-only query against the database at `path` (for the `sql` step of steps
/// cases): column names and typed rows.
pub fn query(path: &Path, sql: &str) -> Result<(Vec<String>, Vec<Row>), VerifyError> {
    ReadOnlyDb::open(path)?.table(sql, [])
}

/// Renders one value unambiguously (see the module doc).
pub fn render_value(v: &Value) -> String {
    match v {
        Value::Null => "NULL".to_string(),
        Value::Integer(i) => i.to_string(),
        Value::Real(f) => format!("{f:?}"),
        Value::Text(s) => serde_json::to_string(s).unwrap_or_else(|_| format!("{s:?}")),
        Value::Blob(b) => format!("x'{}'", hex::encode(b)),
    }
}

/// Renders a row as `{label: value, …}` with [`render_value`].
pub fn render_row(labels: &[String], row: &[Value]) -> String {
    let mut out = String::from("{");
    for (i, v) in row.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        let label = labels.get(i).map(String::as_str).unwrap_or("?");
        let _ = write!(out, "{label}: {}", render_value(v));
    }
    out.push('}');
    out
}

/// The value as text when it is TEXT, else `None`.
pub fn as_text(v: &Value) -> Option<&str> {
    match v {
        Value::Text(s) => Some(s),
        _ => None,
    }
}

/// The value as an integer when it is INTEGER, else `None`.
pub fn as_int(v: &Value) -> Option<i64> {
    match v {
        Value::Integer(i) => Some(*i),
        _ => None,
    }
}
