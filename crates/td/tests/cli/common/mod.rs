//! Shared test support for every td integration test: a throw-away td project driven
//! through the real binary (own HOME, inherited `TD_*` variables removed, a fixed
//! `TD_SESSION_ID` per actor, stdin /dev/null, killed after a timeout), and read helpers
//! over its database.
//!
//! Every test binary includes this module but uses only part of it.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, OpenFlags, OptionalExtension, ToSql};
use serde_json::Value;
use sha2::{Digest, Sha256};
use tempfile::TempDir;

/// The td binary under test.
pub const TD: &str = env!("CARGO_BIN_EXE_td");

/// Budget for one td invocation; generous because the machine is shared.
pub const TIMEOUT: Duration = Duration::from_secs(60);

/// What one td run produced.
#[derive(Debug, Clone)]
pub struct Out {
    pub stdout: String,
    pub stderr: String,
    pub code: i32,
}

impl Out {
    /// stdout + stderr, as the e2e harness sees it.
    pub fn combined(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }

    /// Panics with the whole output unless the exit code is `code`.
    #[track_caller]
    pub fn expect_code(&self, code: i32) -> &Out {
        assert_eq!(self.code, code, "unexpected exit code; output:\n{self:#?}");
        self
    }

    #[track_caller]
    pub fn ok(&self) -> &Out {
        self.expect_code(0)
    }

    /// The first `td-<hex>` in stdout (how the e2e extracts created ids).
    pub fn issue_id(&self) -> String {
        first_issue_id(&self.stdout).unwrap_or_else(|| panic!("no issue id in {self:#?}"))
    }
}

/// First `td-` followed by hex digits.
pub fn first_issue_id(text: &str) -> Option<String> {
    let start = text.find("td-")?;
    let hex: String = text[start + 3..]
        .chars()
        .take_while(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        .collect();
    (!hex.is_empty()).then(|| format!("td-{hex}"))
}

/// A td project in a temp dir, with its own HOME.
pub struct Project {
    _tmp: TempDir,
    pub root: PathBuf,
    pub home: PathBuf,
}

impl Project {
    /// A fresh project after `td init` (run as alice).
    pub fn new() -> Project {
        let p = Project::bare();
        p.td(&["init"]).ok();
        p
    }

    /// An empty directory: no `.todos/` yet.
    pub fn bare() -> Project {
        let tmp = tempfile::Builder::new()
            .prefix("td-it-")
            .tempdir()
            .expect("create temp dir");
        let root = tmp.path().join("proj");
        let home = tmp.path().join("home");
        std::fs::create_dir_all(&root).expect("create project dir");
        std::fs::create_dir_all(&home).expect("create home dir");
        Project {
            _tmp: tmp,
            root,
            home,
        }
    }

    pub fn db_path(&self) -> PathBuf {
        self.root.join(".todos").join("issues.db")
    }

    /// `td <args>` as alice.
    pub fn td(&self, args: &[&str]) -> Out {
        self.td_as("alice", args)
    }

    /// `td <args>` as `actor` (TD_SESSION_ID), stdin /dev/null like the e2e harness.
    pub fn td_as(&self, actor: &str, args: &[&str]) -> Out {
        run(self.command(actor, args), None)
    }

    /// `td <args>` as `actor` with `dir` as the working directory.
    pub fn td_in(&self, dir: &Path, actor: &str, args: &[&str]) -> Out {
        let mut cmd = self.command(actor, args);
        cmd.current_dir(dir);
        run(cmd, None)
    }

    /// `td <args>` as alice, asserting exit 0.
    #[track_caller]
    pub fn ok(&self, args: &[&str]) -> Out {
        let out = self.td(args);
        assert_eq!(out.code, 0, "td {args:?} failed: {out:?}");
        out
    }

    /// `td <args>` as alice, asserting exit 1 with `text` in the combined output.
    #[track_caller]
    pub fn fails(&self, args: &[&str], text: &str) -> Out {
        let out = self.td(args);
        assert_eq!(out.code, 1, "td {args:?} should fail: {out:?}");
        assert!(
            out.combined().contains(text),
            "td {args:?}: want {text:?} in {out:?}"
        );
        out
    }

    /// `td <args>` as `actor` with `input` piped on stdin.
    pub fn td_stdin(&self, actor: &str, args: &[&str], input: &str) -> Out {
        run(self.command(actor, args), Some(input.as_bytes().to_vec()))
    }

    /// The configured command: cwd = project, HOME = private, inherited TD_*/SYNC_* gone.
    pub fn command(&self, actor: &str, args: &[&str]) -> Command {
        let mut cmd = Command::new(TD);
        cmd.args(args).current_dir(&self.root);
        for (k, _) in std::env::vars_os() {
            let k = k.to_string_lossy().into_owned();
            if k.starts_with("TD_") || k.starts_with("SYNC_") || k.starts_with("GIT_") {
                cmd.env_remove(&k);
            }
        }
        cmd.env("HOME", &self.home)
            .env("TD_SESSION_ID", actor)
            .env("TD_ANALYTICS", "0");
        cmd
    }

    /// `td create <title> <extra…>` as alice; returns the new id.
    pub fn create(&self, title: &str, extra: &[&str]) -> String {
        self.create_as("alice", title, extra)
    }

    pub fn create_as(&self, actor: &str, title: &str, extra: &[&str]) -> String {
        let mut args = vec!["create", title];
        args.extend_from_slice(extra);
        let out = self.td_as(actor, &args);
        out.ok();
        out.issue_id()
    }

    /// Writes a file under the project root (parents created).
    pub fn write(&self, rel: &str, content: &str) -> PathBuf {
        let p = self.root.join(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(&p, content).expect("write file");
        p
    }

    /// A writable connection, for crafting states the CLI cannot reach quickly.
    pub fn conn_rw(&self) -> Connection {
        Connection::open(self.db_path()).expect("open issues.db")
    }

    /// A read-only connection (what the e2e verifier does between commands).
    pub fn conn(&self) -> Connection {
        let conn = Connection::open_with_flags(
            self.db_path(),
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .expect("open issues.db read-only");
        conn.busy_timeout(Duration::from_secs(10)).unwrap();
        conn
    }

    /// One row of `issues` as column → value (JSON-ish: NULL, integer, text).
    pub fn issue(&self, id: &str) -> Row {
        self.row("SELECT * FROM issues WHERE id = ?1", &[id])
            .unwrap_or_else(|| panic!("issue {id} not in the database"))
    }

    /// The first row of `sql` as column → value.
    pub fn row(&self, sql: &str, params: &[&str]) -> Option<Row> {
        self.rows(sql, params).into_iter().next()
    }

    /// All rows of `sql` as column → value maps.
    pub fn rows(&self, sql: &str, params: &[&str]) -> Vec<Row> {
        let conn = self.conn();
        let mut stmt = conn.prepare(sql).expect("prepare");
        let names: Vec<String> = stmt.column_names().iter().map(|s| s.to_string()).collect();
        let rows = stmt
            .query_map(rusqlite::params_from_iter(params.iter()), |r| {
                let mut m = serde_json::Map::new();
                for (i, n) in names.iter().enumerate() {
                    m.insert(n.clone(), sql_to_json(r.get::<_, SqlValue>(i)?));
                }
                Ok(Row(m))
            })
            .expect("query");
        rows.collect::<rusqlite::Result<_>>().expect("read rows")
    }

    /// `SELECT COUNT(*) …` (or any single integer) with text parameters.
    pub fn count(&self, sql: &str, params: &[&str]) -> i64 {
        let params: Vec<&dyn ToSql> = params.iter().map(|p| p as &dyn ToSql).collect();
        self.int(sql, &params)
    }

    /// One integer from `sql`.
    pub fn int(&self, sql: &str, params: &[&dyn ToSql]) -> i64 {
        self.conn()
            .query_row(sql, params, |r| r.get(0))
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    /// One optional text from `sql` (None when no row or NULL).
    pub fn text(&self, sql: &str, params: &[&dyn ToSql]) -> Option<String> {
        self.conn()
            .query_row(sql, params, |r| r.get::<_, Option<String>>(0))
            .optional()
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
            .flatten()
    }

    pub fn action_count(&self) -> i64 {
        self.count("SELECT COUNT(*) FROM action_log", &[])
    }

    /// action_log rows in rowid order.
    pub fn actions(&self) -> Vec<Action> {
        self.actions_where("1 = 1", &[])
    }

    /// action_log rows with rowid > `after`, in rowid order.
    pub fn actions_since(&self, after: i64) -> Vec<Action> {
        let after = after.to_string();
        self.actions_where("rowid > CAST(?1 AS INTEGER)", &[&after])
    }

    /// action_log rows about one entity, in rowid order.
    pub fn actions_for(&self, entity_id: &str) -> Vec<Action> {
        self.actions_where("entity_id = ?1", &[entity_id])
    }

    /// `(action_type, entity_type)` of the action_log rows after `after`.
    pub fn kinds_since(&self, after: i64) -> Vec<(String, String)> {
        self.actions_since(after)
            .into_iter()
            .map(|a| (a.action_type, a.entity_type))
            .collect()
    }

    fn actions_where(&self, cond: &str, params: &[&str]) -> Vec<Action> {
        let sql = format!(
            "SELECT rowid, session_id, action_type, entity_type, entity_id, \
             COALESCE(previous_data, ''), COALESCE(new_data, ''), undone, timestamp, id \
             FROM action_log WHERE {cond} ORDER BY rowid"
        );
        let conn = self.conn();
        let mut stmt = conn.prepare(&sql).expect("prepare");
        let rows = stmt
            .query_map(rusqlite::params_from_iter(params.iter()), |r| {
                let (previous_text, new_text): (String, String) = (r.get(5)?, r.get(6)?);
                Ok(Action {
                    rowid: r.get(0)?,
                    id: r.get(9)?,
                    session_id: r.get(1)?,
                    action_type: r.get(2)?,
                    entity_type: r.get(3)?,
                    entity_id: r.get(4)?,
                    previous: parse_json(&previous_text),
                    new: parse_json(&new_text),
                    previous_text,
                    new_text,
                    undone: r.get(7)?,
                    timestamp: r.get(8)?,
                })
            })
            .expect("query action_log");
        rows.collect::<rusqlite::Result<_>>()
            .expect("read action_log")
    }

    pub fn max_action_rowid(&self) -> i64 {
        self.count("SELECT COALESCE(MAX(rowid), 0) FROM action_log", &[])
    }

    /// The session id td resolves for `actor` (runs the hidden `noop`, then reads it back).
    pub fn session_of(&self, actor: &str) -> String {
        self.td_as(actor, &["noop"]).ok();
        let agent = format!("explicit_{actor}");
        let r = self
            .row(
                "SELECT id FROM sessions WHERE agent_type = ?1 \
                 ORDER BY COALESCE(last_activity, started_at) DESC LIMIT 1",
                &[&agent],
            )
            .expect("session row");
        r.str("id")
    }

    /// Total rows in every table that a command could write (to prove "nothing written").
    pub fn snapshot(&self) -> Snapshot {
        let tables = [
            "issues",
            "logs",
            "comments",
            "handoffs",
            "issue_dependencies",
            "issue_reviews",
            "issue_session_history",
            "action_log",
        ];
        let counts = tables
            .iter()
            .map(|t| {
                (
                    t.to_string(),
                    self.count(&format!("SELECT COUNT(*) FROM {t}"), &[]),
                )
            })
            .collect();
        let issues = self.rows("SELECT * FROM issues ORDER BY id", &[]);
        Snapshot { counts, issues }
    }

    /// `PRAGMA integrity_check` result text.
    pub fn integrity(&self) -> String {
        self.conn()
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .expect("integrity_check")
    }
}

/// Row counts and full issue rows: equal snapshots mean nothing was written.
#[derive(Debug, PartialEq)]
pub struct Snapshot {
    pub counts: Vec<(String, i64)>,
    pub issues: Vec<Row>,
}

/// One action_log row with its payloads parsed (`Value::Null` for NULL or '') and as
/// stored ('' for NULL), for byte-exact comparisons.
#[derive(Debug, Clone)]
pub struct Action {
    pub rowid: i64,
    pub id: String,
    pub session_id: String,
    pub action_type: String,
    pub entity_type: String,
    pub entity_id: String,
    pub previous: Value,
    pub new: Value,
    pub previous_text: String,
    pub new_text: String,
    pub undone: i64,
    pub timestamp: String,
}

impl Action {
    /// `(action_type, entity_type)` for compact comparisons.
    pub fn kind(&self) -> (&str, &str) {
        (&self.action_type, &self.entity_type)
    }

    /// `(action_type, entity_type, entity_id)`: what was done to which row.
    pub fn target(&self) -> (&str, &str, &str) {
        (&self.action_type, &self.entity_type, &self.entity_id)
    }

    /// The issue snapshot in new_data (unwrapping `{"issue":…}`).
    pub fn new_issue(&self) -> &Value {
        self.new.get("issue").unwrap_or(&self.new)
    }
}

/// A row as column → JSON value.
#[derive(Debug, Clone, PartialEq)]
pub struct Row(pub serde_json::Map<String, Value>);

impl Row {
    /// Text column ('' for NULL); panics on a missing column.
    pub fn str(&self, col: &str) -> String {
        match self.0.get(col) {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Null) => String::new(),
            Some(v) => v.to_string(),
            None => panic!("no column {col} in {self:?}"),
        }
    }

    pub fn int(&self, col: &str) -> i64 {
        self.0
            .get(col)
            .and_then(Value::as_i64)
            .unwrap_or_else(|| panic!("column {col} is not an integer in {self:?}"))
    }

    pub fn is_null(&self, col: &str) -> bool {
        matches!(self.0.get(col), Some(Value::Null))
    }
}

fn sql_to_json(v: SqlValue) -> Value {
    match v {
        SqlValue::Null => Value::Null,
        SqlValue::Integer(i) => Value::from(i),
        SqlValue::Real(f) => Value::from(f),
        SqlValue::Text(t) => Value::from(t),
        SqlValue::Blob(b) => Value::from(format!("<blob {} bytes>", b.len())),
    }
}

fn parse_json(text: &str) -> Value {
    if text.is_empty() {
        return Value::Null;
    }
    serde_json::from_str(text).unwrap_or_else(|e| panic!("bad JSON {text:?}: {e}"))
}

/// Expected `(action_type, entity_type)` pairs, to compare with [`Project::kinds_since`].
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

/// Runs `cmd` to completion within [`TIMEOUT`]; a hung process is killed and the test fails.
pub fn run(mut cmd: Command, stdin: Option<Vec<u8>>) -> Out {
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    });
    let mut child = cmd.spawn().expect("spawn td");
    if let Some(input) = stdin {
        let mut pipe = child.stdin.take().expect("stdin pipe");
        pipe.write_all(&input).expect("write stdin");
    }
    let pid = child.id();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    let output = match rx.recv_timeout(TIMEOUT) {
        Ok(r) => r.expect("wait for td"),
        Err(_) => {
            kill(pid);
            let _ = rx.recv();
            panic!("td timed out after {TIMEOUT:?}: {cmd:?}");
        }
    };
    Out {
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        code: output.status.code().unwrap_or(-1),
    }
}

/// SIGKILL by pid (the child is owned by a waiter thread that reaps it).
pub fn kill(pid: u32) {
    // SAFETY: kill(2) with a pid we spawned and have not reaped yet.
    unsafe {
        libc::kill(pid as libc::pid_t, libc::SIGKILL);
    }
}

/// Spawns td without waiting (for kill tests); stdout/stderr discarded.
pub fn spawn_quiet(mut cmd: Command) -> Child {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    cmd.spawn().expect("spawn td")
}

/// Waits for `child` within [`TIMEOUT`], killing it on expiry; returns the exit code.
pub fn wait_bounded(child: Child) -> Option<i32> {
    let pid = child.id();
    let (tx, rx) = mpsc::channel();
    let mut child = child;
    std::thread::spawn(move || {
        let _ = tx.send(child.wait());
    });
    match rx.recv_timeout(TIMEOUT) {
        Ok(r) => r.expect("wait").code(),
        Err(_) => {
            kill(pid);
            let _ = rx.recv();
            panic!("td process {pid} did not finish within {TIMEOUT:?}");
        }
    }
}

/// The 17 edge strings of e2e-harness §3.1, verbatim.
pub fn edge_strings() -> Vec<String> {
    vec![
        String::new(),
        "x".into(),
        "A".repeat(1200),
        "🔥🐛✅🚀💀🎉".into(),
        "测试中文数据处理".into(),
        "مرحبا بالعالم".into(),
        "line one\nline two\nline three".into(),
        "\ttabs\tand   spaces   ".into(),
        "it's a test with 'single quotes'".into(),
        "she said \"hello world\"".into(),
        "path\\\\to\\\\file and \\\\n not a newline".into(),
        "emoji🔥 with 'quotes' and \"doubles\" and \\backslash".into(),
        "'; DROP TABLE issues; --".into(),
        "Robert\"); DELETE FROM sync_events WHERE (\"1\"=\"1".into(),
        "<script>alert('xss')</script>".into(),
        "{\"key\": \"value\", \"nested\": {\"a\": 1}}".into(),
        "%s %d %x %n %%".into(),
    ]
}

/// Values that begin with `-` (acceptance lines, dashes, flag look-alikes).
pub fn hyphen_strings() -> Vec<String> {
    vec![
        "- All tests pass".into(),
        "- All tests pass\n- No regressions in CI".into(),
        "-x".into(),
        "--not-a-flag".into(),
        "-".into(),
        "--".into(),
        "-1".into(),
    ]
}

/// Path of a file inside the project.
pub fn in_project(p: &Project, rel: &str) -> PathBuf {
    Path::new(&p.root).join(rel)
}
