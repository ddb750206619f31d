//! A recording fake [`Driver`] for testing the generator without processes (Jepsen's
//! `simulate`): it records every invocation, answers with the lines td prints on success,
//! and keeps a tiny real td-schema database per actor (issues with status, deps, boards,
//! files, work sessions) so model
//! refreshes and refusal confirmations read real SQLite. `sync` copies unknown issues from
//! the other actors. Ids are deterministic. A responder can override any answer.

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use rusqlite::{params, Connection};

use crate::driver::{Driver, DriverError, TdOutput};
use crate::engine::db::testdb;

type Responder =
    Box<dyn Fn(&str, &[String]) -> Option<Result<TdOutput, DriverError>> + Send + Sync>;

pub struct FakeDriver {
    dir: tempfile::TempDir,
    actors: Vec<String>,
    calls: Mutex<Vec<(String, Vec<String>)>>,
    /// Per actor: issues it created (ids must not depend on how parallel lanes interleave).
    next_id: Mutex<Vec<u64>>,
    responder: Option<Responder>,
}

pub fn out(text: &str, code: i32) -> TdOutput {
    TdOutput {
        output: text.to_string(),
        code: Some(code),
        duration: Duration::from_millis(1),
    }
}

impl FakeDriver {
    pub fn new(actors: usize) -> Self {
        let names = ["alice", "bob", "carol"][..actors]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let f = FakeDriver {
            dir: tempfile::tempdir().expect("tempdir"),
            actors: names,
            calls: Mutex::new(Vec::new()),
            next_id: Mutex::new(vec![0; actors]),
            responder: None,
        };
        for (i, a) in f.actors.iter().enumerate() {
            testdb::create(&f.db_path(a), &session(i));
        }
        f
    }

    pub fn with_responder(
        mut self,
        r: impl Fn(&str, &[String]) -> Option<Result<TdOutput, DriverError>> + Send + Sync + 'static,
    ) -> Self {
        self.responder = Some(Box::new(r));
        self
    }

    /// Every `td` invocation so far per actor, in order (parallel lanes interleave the
    /// actors' commands; each actor's own sequence is what a seed fixes).
    pub fn calls_by_actor(&self) -> std::collections::BTreeMap<String, Vec<Vec<String>>> {
        let mut out = std::collections::BTreeMap::<String, Vec<Vec<String>>>::new();
        for (actor, args) in self.calls() {
            out.entry(actor).or_default().push(args);
        }
        out
    }

    /// Every `td` invocation so far: (actor, args).
    pub fn calls(&self) -> Vec<(String, Vec<String>)> {
        self.calls.lock().unwrap().clone()
    }

    /// A read-write connection to an actor's database (tests craft states with it).
    pub fn conn(&self, actor: &str) -> Connection {
        Connection::open(self.db_path(actor)).unwrap()
    }

    fn index(&self, actor: &str) -> usize {
        self.actors.iter().position(|a| a == actor).unwrap()
    }

    fn next_issue_id(&self, actor: &str) -> String {
        let i = self.index(actor);
        let mut next = self.next_id.lock().unwrap();
        next[i] += 1;
        let n = (i as u64) << 20 | next[i];
        // An odd multiplier is a bijection mod 2^24: distinct, random-looking ids.
        format!("td-{:06x}", (n * 0x9E3779) & 0xFF_FFFF)
    }

    fn simulate(&self, actor: &str, args: &[String]) -> TdOutput {
        let me = session(self.index(actor));
        let conn = self.conn(actor);
        let ids: Vec<&str> = args
            .iter()
            .skip(1)
            .map(String::as_str)
            .take_while(|a| !a.starts_with('-'))
            .collect();
        let set = |status: &str, implementer: Option<&str>| {
            for id in &ids {
                conn.execute(
                    "UPDATE issues SET status = ?1, \
                     implementer_session = COALESCE(?2, implementer_session) WHERE id = ?3",
                    params![status, implementer, id],
                )
                .unwrap();
            }
        };
        let lines = |prefix: &str, suffix: &str| -> String {
            ids.iter()
                .map(|id| format!("{prefix}{id}{suffix}\n"))
                .collect()
        };
        match args[0].as_str() {
            "create" => self.create(&conn, actor, &me, args),
            "update" => out(&lines("UPDATED ", ""), 0),
            "delete" => {
                conn.execute(
                    "UPDATE issues SET deleted_at = '2026-01-01' WHERE id = ?1",
                    [ids[0]],
                )
                .unwrap();
                out(&lines("DELETED ", ""), 0)
            }
            "restore" => {
                conn.execute(
                    "UPDATE issues SET deleted_at = NULL WHERE id = ?1",
                    [ids[0]],
                )
                .unwrap();
                out(&lines("RESTORED ", ""), 0)
            }
            "start" => {
                set("in_progress", Some(&me));
                out(&lines("STARTED ", &format!(" (session: {me})")), 0)
            }
            "unstart" => {
                set("open", Some(""));
                out(&lines("UNSTARTED ", " → open"), 0)
            }
            "review" => {
                set("in_review", None);
                out(&lines("REVIEW REQUESTED ", &format!(" (session: {me})")), 0)
            }
            "approve" => {
                set("closed", None);
                out(&lines("APPROVED ", &format!(" (reviewer: {me})")), 0)
            }
            "reject" | "reopen" | "unblock" => {
                set("open", Some(""));
                let verb = args[0].to_uppercase();
                out(&lines(&format!("{verb}ED "), ""), 0)
            }
            "close" => {
                set("closed", None);
                out(&lines("CLOSED ", ""), 0)
            }
            "block" => {
                set("blocked", None);
                out(&lines("BLOCKED ", ""), 0)
            }
            "comments" => out(&format!("COMMENT ADDED {}\n", args[2]), 0),
            "log" => match args.last().map(String::as_str) {
                Some("") => out(
                    "Error: no message provided. Use: td log \"message\" or pipe input\n",
                    1,
                ),
                _ => out(&format!("LOGGED {}\n", args[2]), 0),
            },
            "dep" => dep(&conn, args),
            "board" => board(&conn, args),
            "handoff" => out(&format!("HANDOFF RECORDED {}\n", args[1]), 0),
            "link" | "unlink" => link(&conn, args),
            "ws" => ws(&conn, &me, args),
            // The fake keeps no action_log: there is never anything to undo.
            "sync" if args.iter().any(|a| a == "--pull") => {
                self.pull(actor);
                out("Pulled 0 events (0 applied).\n", 0)
            }
            "sync" => out("Nothing to push.\n", 0),
            "undo" => out(
                &format!("No actions to undo in current session ({me})\n"),
                0,
            ),
            other => out(&format!("Error: unknown command \"{other}\"\n"), 1),
        }
    }

    fn create(&self, conn: &Connection, actor: &str, me: &str, args: &[String]) -> TdOutput {
        let id = self.next_issue_id(actor);
        let flag = |name: &str| {
            args.iter()
                .position(|a| a == name)
                .map(|i| args[i + 1].clone())
                .unwrap_or_default()
        };
        let minor = args.iter().any(|a| a == "--minor");
        conn.execute(
            "INSERT INTO issues (id, title, creator_session, parent_id, minor) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![id, args[1], me, flag("--parent"), minor],
        )
        .unwrap();
        out(&format!("CREATED {id}\n"), 0)
    }

    /// Pull: copy every issue this actor lacks from the others (status as they have it).
    fn pull(&self, actor: &str) {
        let conn = self.conn(actor);
        for other in self.actors.iter().filter(|a| *a != actor) {
            let path = self.db_path(other);
            exec(
                &conn,
                "ATTACH DATABASE ?1 AS other",
                [path.to_str().unwrap()],
            );
            exec(
                &conn,
                "INSERT OR IGNORE INTO issues \
                 (id, title, status, creator_session, parent_id, minor, deleted_at) \
                 SELECT id, title, status, creator_session, parent_id, minor, deleted_at \
                 FROM other.issues ORDER BY rowid",
                [],
            );
            exec(&conn, "DETACH DATABASE other", []);
        }
    }
}

fn session(i: usize) -> String {
    format!("ses_{:06x}", i + 1)
}

fn exec(conn: &Connection, sql: &str, args: impl rusqlite::Params) {
    conn.execute(sql, args).unwrap();
}

fn dep(conn: &Connection, args: &[String]) -> TdOutput {
    let (from, to) = (&args[2], &args[3]);
    if args[1] == "add" {
        exec(
            conn,
            "INSERT OR REPLACE INTO issue_dependencies (id, issue_id, depends_on_id) \
             VALUES (?1 || '>' || ?2, ?1, ?2)",
            params![from, to],
        );
        return out(&format!("ADDED: {from} depends on {to}\n"), 0);
    }
    exec(
        conn,
        "DELETE FROM issue_dependencies WHERE issue_id = ?1 AND depends_on_id = ?2",
        params![from, to],
    );
    out(&format!("REMOVED: {from} no longer depends on {to}\n"), 0)
}

fn board(conn: &Connection, args: &[String]) -> TdOutput {
    let name = &args[2];
    match args[1].as_str() {
        "create" => {
            exec(
                conn,
                "INSERT INTO boards (id, name) VALUES ('bd-' || ?1, ?1)",
                [name],
            );
            out(&format!("Created board {name} (bd-00000001)\n"), 0)
        }
        "edit" => out(&format!("Updated board {name}\n"), 0),
        "move" => out(
            &format!("Set {} to position {} on {name}\n", args[3], args[4]),
            0,
        ),
        // The fake keeps no positions, so td's refusal is the truthful answer.
        "unposition" => out(
            &format!("Error: issue not positioned on board: {}\n", args[3]),
            1,
        ),
        "delete" => {
            exec(conn, "DELETE FROM boards WHERE name = ?1", [name]);
            out(&format!("Deleted board {name}\n"), 0)
        }
        other => out(&format!("Error: unknown board command {other}\n"), 1),
    }
}

fn link(conn: &Connection, args: &[String]) -> TdOutput {
    let (issue, path) = (&args[1], &args[2]);
    if args[0] == "link" {
        exec(
            conn,
            "INSERT OR REPLACE INTO issue_files (id, issue_id, file_path, role) \
             VALUES (?1 || '~' || ?2, ?1, ?2, ?3)",
            params![issue, path, args[4]],
        );
        return out(&format!("LINKED 1 file to {issue}\n"), 0);
    }
    exec(
        conn,
        "DELETE FROM issue_files WHERE issue_id = ?1 AND file_path = ?2",
        params![issue, path],
    );
    out(&format!("UNLINKED 1 file(s) from {issue}\n"), 0)
}

fn ws(conn: &Connection, me: &str, args: &[String]) -> TdOutput {
    let ws_id = format!("ws-{}", &me[me.len() - 4..]);
    match args[1].as_str() {
        "start" => {
            exec(conn, "DELETE FROM work_sessions WHERE id = ?1", [&ws_id]);
            exec(
                conn,
                "DELETE FROM work_session_issues WHERE work_session_id = ?1",
                [&ws_id],
            );
            exec(
                conn,
                "INSERT INTO work_sessions (id, name, session_id) VALUES (?1, ?2, ?3)",
                params![ws_id, args[2], me],
            );
            exec(
                conn,
                "INSERT OR REPLACE INTO session_state (session_id, active_work_session_id) \
                 VALUES (?1, ?2)",
                params![me, ws_id],
            );
            out(
                &format!("WORK SESSION STARTED: {ws_id}\nName: {}\n", args[2]),
                0,
            )
        }
        "tag" => {
            exec(
                conn,
                "INSERT OR IGNORE INTO work_session_issues (id, work_session_id, issue_id) \
                 VALUES (?1 || ?2, ?1, ?2)",
                params![ws_id, args[2]],
            );
            out(&format!("TAGGED {} → {ws_id}\n", args[2]), 0)
        }
        "untag" => {
            exec(
                conn,
                "DELETE FROM work_session_issues WHERE work_session_id = ?1 AND issue_id = ?2",
                params![ws_id, args[2]],
            );
            out(&format!("UNTAGGED {} from {ws_id}\n", args[2]), 0)
        }
        "end" | "handoff" => {
            exec(
                conn,
                "UPDATE work_sessions SET ended_at = '2026-01-01' WHERE id = ?1",
                [&ws_id],
            );
            if args[1] == "end" {
                out(
                    &format!("Warning: No handoff recorded for {ws_id}\nWORK SESSION ENDED\n"),
                    0,
                )
            } else {
                out(
                    &format!("HANDOFF RECORDED {ws_id}\nGenerated handoffs:\n"),
                    0,
                )
            }
        }
        other => out(&format!("Error: unknown ws command {other}\n"), 1),
    }
}

impl Driver for FakeDriver {
    fn actors(&self) -> Vec<String> {
        self.actors.clone()
    }

    fn td(&self, actor: &str, args: &[String]) -> Result<TdOutput, DriverError> {
        if !self.actors.iter().any(|a| a == actor) {
            return Err(DriverError::UnknownActor(actor.to_string()));
        }
        self.calls
            .lock()
            .unwrap()
            .push((actor.to_string(), args.to_vec()));
        if let Some(answer) = self.responder.as_ref().and_then(|r| r(actor, args)) {
            return answer;
        }
        Ok(self.simulate(actor, args))
    }

    fn sync(&self, actor: &str) -> Result<TdOutput, DriverError> {
        self.pull(actor);
        Ok(out("Nothing to push.\nPulled 0 events (0 applied).\n", 0))
    }

    fn sync_all(&self) -> Result<(), DriverError> {
        for _ in 0..2 {
            for a in &self.actors {
                self.pull(a);
            }
        }
        Ok(())
    }

    fn db_path(&self, actor: &str) -> PathBuf {
        self.client_dir(actor).join(".todos/issues.db")
    }

    fn client_dir(&self, actor: &str) -> PathBuf {
        self.dir.path().join(format!("client-{actor}"))
    }
}
