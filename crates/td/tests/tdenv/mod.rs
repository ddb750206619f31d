//! Shared helper for the td integration tests (dep/board/link/ws/undo): a fresh project in
//! a temp dir with its own HOME, td run as a child process (inherited `TD_*` variables
//! cleared, a fixed `TD_SESSION_ID` per actor, stdin /dev/null, killed after a timeout),
//! and read-only access to the database.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, OptionalExtension};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// No td invocation in these tests should take more than a fraction of this.
const TIMEOUT: Duration = Duration::from_secs(30);

/// One finished td process.
#[derive(Debug)]
pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Out {
    /// stdout + stderr, as the e2e harness sees it.
    pub fn all(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
}

/// A project directory initialised with `td init`, acting as `alice` by default.
pub struct Env {
    _tmp: tempfile::TempDir,
    pub home: PathBuf,
    pub root: PathBuf,
}

impl Env {
    pub fn new() -> Env {
        let tmp = tempfile::tempdir().expect("temp dir");
        let home = tmp.path().join("home");
        let root = tmp.path().join("client-alice");
        std::fs::create_dir_all(&home).expect("mkdir home");
        std::fs::create_dir_all(&root).expect("mkdir root");
        let env = Env {
            _tmp: tmp,
            home,
            root,
        };
        env.ok(&["init"]);
        env
    }

    /// Runs td as alice in the project root.
    pub fn td(&self, args: &[&str]) -> Out {
        self.td_full(&self.root, "alice", args)
    }

    /// Runs td as `actor` in the project root.
    pub fn td_as(&self, actor: &str, args: &[&str]) -> Out {
        self.td_full(&self.root, actor, args)
    }

    /// Runs td as `actor` with `dir` as the working directory.
    pub fn td_full(&self, dir: &Path, actor: &str, args: &[&str]) -> Out {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_td"));
        cmd.args(args)
            .current_dir(dir)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", &self.home)
            .env("TD_SESSION_ID", actor)
            .env("TD_ANALYTICS", "0");
        run(cmd)
    }

    /// Runs td as alice and asserts exit 0.
    pub fn ok(&self, args: &[&str]) -> Out {
        let out = self.td(args);
        assert_eq!(out.code, 0, "td {args:?} failed: {out:?}");
        out
    }

    /// Runs td as alice and asserts exit 1 with `text` in the combined output.
    pub fn fails(&self, args: &[&str], text: &str) -> Out {
        let out = self.td(args);
        assert_eq!(out.code, 1, "td {args:?} should fail: {out:?}");
        assert!(
            out.all().contains(text),
            "td {args:?}: want {text:?} in {out:?}"
        );
        out
    }

    /// Creates an issue as alice; returns its id.
    pub fn create(&self, title: &str) -> String {
        self.create_as("alice", title)
    }

    pub fn create_as(&self, actor: &str, title: &str) -> String {
        let out = self.td_as(actor, &["create", title]);
        assert_eq!(out.code, 0, "create failed: {out:?}");
        let id = out
            .stdout
            .split_whitespace()
            .find(|w| w.starts_with("td-"))
            .expect("CREATED <id>");
        id.to_string()
    }

    /// Writes a file under the project root (parents created).
    pub fn write(&self, rel: &str, content: &str) -> PathBuf {
        let p = self.root.join(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(&p, content).expect("write file");
        p
    }

    /// A read-only connection (as the e2e verifier reads the file).
    pub fn db(&self) -> Connection {
        Connection::open_with_flags(
            self.root.join(".todos/issues.db"),
            OpenFlags::SQLITE_OPEN_READ_ONLY,
        )
        .expect("open db")
    }

    /// A writable connection, for crafting states the CLI cannot reach quickly.
    pub fn db_rw(&self) -> Connection {
        Connection::open(self.root.join(".todos/issues.db")).expect("open db")
    }

    /// One integer from `sql`.
    pub fn int(&self, sql: &str, params: &[&dyn rusqlite::ToSql]) -> i64 {
        self.db()
            .query_row(sql, params, |r| r.get(0))
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    /// One optional text from `sql` (None when no row or NULL).
    pub fn text(&self, sql: &str, params: &[&dyn rusqlite::ToSql]) -> Option<String> {
        self.db()
            .query_row(sql, params, |r| r.get::<_, Option<String>>(0))
            .optional()
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
            .flatten()
    }

    /// The session id td uses for `actor` (after it ran at least once).
    pub fn session_of(&self, actor: &str) -> String {
        self.text(
            "SELECT id FROM sessions WHERE agent_type = ?1",
            &[&format!("explicit_{actor}")],
        )
        .expect("actor has a session")
    }

    /// The highest action_log rowid so far (0 when empty).
    pub fn mark(&self) -> i64 {
        self.int("SELECT COALESCE(MAX(rowid), 0) FROM action_log", &[])
    }

    /// action_log rows after `mark`, in rowid order.
    pub fn actions_since(&self, mark: i64) -> Vec<Action> {
        let db = self.db();
        let mut stmt = db
            .prepare(
                "SELECT rowid, id, session_id, action_type, entity_type, entity_id, \
                 COALESCE(previous_data, ''), COALESCE(new_data, ''), undone \
                 FROM action_log WHERE rowid > ?1 ORDER BY rowid",
            )
            .expect("prepare");
        let rows = stmt
            .query_map([mark], |r| {
                Ok(Action {
                    rowid: r.get(0)?,
                    id: r.get(1)?,
                    session_id: r.get(2)?,
                    action_type: r.get(3)?,
                    entity_type: r.get(4)?,
                    entity_id: r.get(5)?,
                    previous: r.get(6)?,
                    new: r.get(7)?,
                    undone: r.get::<_, i64>(8)? != 0,
                })
            })
            .expect("query");
        rows.map(|r| r.expect("row")).collect()
    }

    /// `(action_type, entity_type)` of the rows after `mark`.
    pub fn kinds_since(&self, mark: i64) -> Vec<(String, String)> {
        self.actions_since(mark)
            .into_iter()
            .map(|a| (a.action_type, a.entity_type))
            .collect()
    }
}

/// One action_log row.
#[derive(Debug, Clone)]
pub struct Action {
    pub rowid: i64,
    pub id: String,
    pub session_id: String,
    pub action_type: String,
    pub entity_type: String,
    pub entity_id: String,
    pub previous: String,
    pub new: String,
    pub undone: bool,
}

impl Action {
    pub fn new_json(&self) -> Value {
        serde_json::from_str(&self.new).unwrap_or_else(|e| panic!("new_data of {self:?}: {e}"))
    }

    pub fn prev_json(&self) -> Value {
        serde_json::from_str(&self.previous)
            .unwrap_or_else(|e| panic!("previous_data of {self:?}: {e}"))
    }
}

/// Expected `(action_type, entity_type)` pairs.
pub fn kinds(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(a, e)| (a.to_string(), e.to_string()))
        .collect()
}

/// Keys of a JSON object, in order.
pub fn keys(v: &Value) -> Vec<String> {
    v.as_object()
        .expect("JSON object")
        .keys()
        .cloned()
        .collect()
}

/// `<prefix>` + the first 16 hex of sha256(`input`) (the deterministic link ids of §3).
pub fn digest_id(prefix: &str, input: &str) -> String {
    let hex = hex::encode(Sha256::digest(input.as_bytes()));
    format!("{prefix}{}", &hex[..16])
}

/// Runs `cmd` with stdin /dev/null; kills it if it outlives [`TIMEOUT`].
fn run(mut cmd: Command) -> Out {
    let child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn td");
    let pid = child.id();
    let (tx, rx) = mpsc::channel();
    let waiter = std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    let result = match rx.recv_timeout(TIMEOUT) {
        Ok(r) => r,
        Err(_) => {
            // SAFETY: kill(2) on the pid of our own unreaped child; the waiter reaps it.
            unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
            let _ = waiter.join();
            panic!("td timed out after {TIMEOUT:?}: {cmd:?}");
        }
    };
    waiter.join().expect("waiter thread");
    let out = result.expect("wait for td");
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}
