//! [`Client`]: one td user of a world — an actor or an extra device the harness added —
//! with td runs that panic on failure and in-process reads of its database.

use std::path::PathBuf;
use std::time::Duration;

use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, OpenFlags};
use td_core::schema::quote_ident;
use td_e2e::driver::{Driver, TdOutput};
use td_e2e::engine::extract_created_id;
use td_e2e::harness::Harness;

pub struct Client<'h> {
    h: &'h Harness,
    name: String,
    /// An extra device of `Harness::add_device`, not one of the world's actors.
    device: bool,
}

impl<'h> Client<'h> {
    /// One of the world's actors.
    pub fn actor(h: &'h Harness, name: &str) -> Client<'h> {
        Client {
            h,
            name: name.into(),
            device: false,
        }
    }

    /// An extra device added with `Harness::add_device`.
    pub fn device(h: &'h Harness, name: &str) -> Client<'h> {
        Client {
            h,
            name: name.into(),
            device: true,
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// `td <args>`, whatever its exit (a process that could not run or timed out panics).
    #[track_caller]
    pub fn td(&self, args: &[&str]) -> TdOutput {
        let ran = if self.device {
            self.h.device_td(&self.name, args)
        } else {
            let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
            self.h.td(&self.name, &args)
        };
        ran.unwrap_or_else(|e| panic!("{}: td {args:?}: {e}", self.name))
    }

    /// `td <args>`, asserting exit 0.
    #[track_caller]
    pub fn ok(&self, args: &[&str]) -> TdOutput {
        let out = self.td(args);
        assert!(out.ok(), "{}: td {args:?} failed: {out:#?}", self.name);
        out
    }

    /// `td sync`, asserting exit 0 (actors retry a rate-limit refusal, as the harness does).
    #[track_caller]
    pub fn sync(&self) -> TdOutput {
        if self.device {
            return self.ok(&["sync"]);
        }
        let out = self
            .h
            .sync(&self.name)
            .unwrap_or_else(|e| panic!("{}: td sync: {e}", self.name));
        assert!(out.ok(), "{}: td sync failed: {out:#?}", self.name);
        out
    }

    /// `td create <title> <extra…>`; returns the new issue id.
    #[track_caller]
    pub fn create(&self, title: &str, extra: &[&str]) -> String {
        let mut args = vec!["create", title];
        args.extend_from_slice(extra);
        let out = self.ok(&args);
        extract_created_id(&out.output).unwrap_or_else(|| panic!("no issue id in {out:#?}"))
    }

    /// The project directory, td's working directory.
    pub fn root(&self) -> PathBuf {
        self.h.client_dir(&self.name)
    }

    /// Read-only, as the verifier opens it between commands.
    pub fn db(&self) -> Connection {
        let path = self.root().join(".todos/issues.db");
        let c = Connection::open_with_flags(&path, OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap_or_else(|e| panic!("open {}: {e}", path.display()));
        c.busy_timeout(Duration::from_secs(10))
            .expect("busy timeout");
        c
    }

    /// One integer from `sql`.
    #[track_caller]
    pub fn int(&self, sql: &str) -> i64 {
        self.db()
            .query_row(sql, [], |r| r.get(0))
            .unwrap_or_else(|e| panic!("{}: {sql}: {e}", self.name))
    }

    /// `table.column` of the row with id `id` (panics when the row is missing).
    #[track_caller]
    pub fn field(&self, table: &str, id: &str, column: &str) -> SqlValue {
        let sql = format!(
            "SELECT {} FROM {} WHERE id = ?1",
            quote_ident(column),
            quote_ident(table)
        );
        self.db()
            .query_row(&sql, [id], |r| r.get(0))
            .unwrap_or_else(|e| panic!("{}: {sql} [{id}]: {e}", self.name))
    }

    /// `field` as text (panics on NULL or non-text).
    #[track_caller]
    pub fn text(&self, table: &str, id: &str, column: &str) -> String {
        match self.field(table, id, column) {
            SqlValue::Text(t) => t,
            other => panic!("{}: {table}.{column} of {id} is {other:?}", self.name),
        }
    }

    /// Pending local changes (not yet pushed, not undone).
    pub fn pending(&self) -> i64 {
        self.int("SELECT COUNT(*) FROM action_log WHERE synced_at IS NULL AND undone = 0")
    }
}

/// The single `ERROR:` line of a failed td run (exit 1).
#[track_caller]
pub fn error_line(who: &str, out: &TdOutput) -> String {
    assert_eq!(out.code, Some(1), "{who}: td should fail: {out:#?}");
    let lines: Vec<&str> = out
        .output
        .lines()
        .filter(|l| l.starts_with("ERROR: "))
        .collect();
    assert_eq!(lines.len(), 1, "{who}: want one ERROR line: {out:#?}");
    lines[0].to_string()
}
