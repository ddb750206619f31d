//! The three checks that act through a Driver (idempotency, read-your-writes, field-level
//! merge), against a fake Driver over crafted databases.

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use crate::support::{
    assert_all_valid, assert_invalid, failing_names, result, synced_world, World,
};
use rusqlite::{params, Connection};
use td_e2e::driver::{Driver, DriverError, TdOutput};
use td_e2e::verify::{
    CheckKind, CheckResult, IssueOwner, Verdict, Verifier, VerifyContext, MERGE_TITLE,
};

/// How the fake's `sync_all` spreads edits made since the last sync.
#[derive(Clone, Copy, PartialEq)]
enum Merge {
    /// Each edit's one field reaches everyone (what td-sync must do).
    FieldLevel,
    /// The editor's whole row overwrites everyone's (last writer wins the row).
    WholeRow,
}

/// A td edit recorded for replay at the next sync.
struct Op {
    id: String,
    column: &'static str,
    value: String,
    /// The editor's title and priority right after the edit.
    row: (String, String),
    create: bool,
}

#[derive(Default)]
struct Faults {
    /// `td show` of this id exits 1.
    show_fails: Option<String>,
    /// `td show` prints this title instead of the stored one.
    show_title: Option<String>,
    /// `td show` prints this id instead of the asked one.
    show_id: Option<String>,
    /// td edits append this to the title they store.
    title_suffix: Option<String>,
    /// td create exits 1.
    create_fails: bool,
    /// sync_all call number (1-based) that fails.
    sync_fails_at: Option<usize>,
    /// sync_all call number and (actor, sql) run on that call.
    churn_at: Option<(usize, &'static str, &'static str)>,
    /// td returns a spawn error.
    spawn_error: bool,
    /// td panics.
    panic: bool,
}

struct Fake {
    world: World,
    merge: Merge,
    faults: Faults,
    ops: Mutex<Vec<Op>>,
    syncs: Mutex<usize>,
}

impl Fake {
    fn new(merge: Merge, faults: Faults) -> Fake {
        Fake {
            world: synced_world(),
            merge,
            faults,
            ops: Mutex::new(Vec::new()),
            syncs: Mutex::new(0),
        }
    }

    fn conn(&self, actor: &str) -> Connection {
        Connection::open(self.world.path(actor)).unwrap()
    }

    fn output(text: String, code: i32) -> Result<TdOutput, DriverError> {
        Ok(TdOutput {
            output: text,
            code: Some(code),
            duration: Duration::from_millis(1),
        })
    }

    fn create(&self, actor: &str, title: &str) -> Result<TdOutput, DriverError> {
        if self.faults.create_fails {
            return Fake::output("ERROR: database is locked\n".into(), 1);
        }
        let id = "td-f00d01".to_string();
        self.conn(actor)
            .execute(
                // Fixed timestamps: convergence compares them, and the replicas are written
                // at different moments.
                "INSERT INTO issues (id, title, created_at, updated_at) \
                 VALUES (?1, ?2, '2026-01-01 00:00:00', '2026-01-01 00:00:00')",
                params![id, title],
            )
            .unwrap();
        self.ops.lock().unwrap().push(Op {
            id: id.clone(),
            column: "title",
            value: title.to_string(),
            row: (title.to_string(), "P2".to_string()),
            create: true,
        });
        Fake::output(format!("CREATED {id}\n"), 0)
    }

    fn edit(
        &self,
        actor: &str,
        id: &str,
        flag: &str,
        value: &str,
    ) -> Result<TdOutput, DriverError> {
        let (column, value) = match flag {
            "--title" => (
                "title",
                format!(
                    "{value}{}",
                    self.faults.title_suffix.as_deref().unwrap_or("")
                ),
            ),
            "--priority" => ("priority", value.to_string()),
            other => panic!("fake td: unexpected flag {other}"),
        };
        let conn = self.conn(actor);
        let sql = format!("UPDATE issues SET {column} = ?1 WHERE id = ?2");
        conn.execute(&sql, params![value, id]).unwrap();
        let row = conn
            .query_row(
                "SELECT title, priority FROM issues WHERE id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        self.ops.lock().unwrap().push(Op {
            id: id.into(),
            column,
            value,
            row,
            create: false,
        });
        Fake::output(format!("UPDATED {id}\n"), 0)
    }

    fn show(&self, actor: &str, id: &str) -> Result<TdOutput, DriverError> {
        if self.faults.show_fails.as_deref() == Some(id) {
            return Fake::output(format!("ERROR: issue not found: {id}\n"), 1);
        }
        let (title, status, kind, priority): (String, String, String, String) = self
            .conn(actor)
            .query_row(
                "SELECT title, status, type, priority FROM issues WHERE id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .unwrap();
        let shown = serde_json::json!({
            "id": self.faults.show_id.clone().unwrap_or(id.to_string()),
            "title": self.faults.show_title.clone().unwrap_or(title),
            "status": status,
            "type": kind,
            "priority": priority,
            "logs": [],
            "handoff": null,
        });
        Fake::output(format!("Warning: stale focus\n{shown:#}\n"), 0)
    }

    fn replay(&self) {
        let ops: Vec<Op> = self.ops.lock().unwrap().drain(..).collect();
        for d in &self.world.dbs {
            let conn = Connection::open(&d.path).unwrap();
            for op in &ops {
                if op.create {
                    conn.execute(
                        "INSERT OR IGNORE INTO issues (id, title, created_at, updated_at) \
                         VALUES (?1, ?2, '2026-01-01 00:00:00', '2026-01-01 00:00:00')",
                        params![op.id, op.value],
                    )
                    .unwrap();
                } else if self.merge == Merge::FieldLevel {
                    let sql = format!("UPDATE issues SET {} = ?1 WHERE id = ?2", op.column);
                    conn.execute(&sql, params![op.value, op.id]).unwrap();
                } else {
                    conn.execute(
                        "UPDATE issues SET title = ?1, priority = ?2 WHERE id = ?3",
                        params![op.row.0, op.row.1, op.id],
                    )
                    .unwrap();
                }
            }
        }
    }
}

impl Driver for Fake {
    fn actors(&self) -> Vec<String> {
        self.world.dbs.iter().map(|d| d.actor.clone()).collect()
    }

    fn td(&self, actor: &str, args: &[String]) -> Result<TdOutput, DriverError> {
        if self.faults.spawn_error {
            return Err(DriverError::Spawn {
                program: "td".into(),
                source: std::io::Error::other("no such binary"),
            });
        }
        assert!(!self.faults.panic, "fake td panicked");
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        match a.as_slice() {
            ["create", title] => self.create(actor, title),
            ["edit", id, flag, value] => self.edit(actor, id, flag, value),
            ["show", id, "--json"] => self.show(actor, id),
            other => panic!("fake td: unexpected args {other:?}"),
        }
    }

    fn sync(&self, _actor: &str) -> Result<TdOutput, DriverError> {
        unreachable!("the verifier syncs through sync_all")
    }

    fn sync_all(&self) -> Result<(), DriverError> {
        let n = {
            let mut s = self.syncs.lock().unwrap();
            *s += 1;
            *s
        };
        if self.faults.sync_fails_at == Some(n) {
            return Err(DriverError::Other(
                "bob: ERROR: push: connection refused".into(),
            ));
        }
        self.replay();
        if let Some((at, actor, sql)) = self.faults.churn_at {
            if at == n {
                self.world.exec(actor, sql);
            }
        }
        Ok(())
    }

    fn db_path(&self, actor: &str) -> PathBuf {
        self.world.path(actor)
    }

    fn client_dir(&self, actor: &str) -> PathBuf {
        self.world.path(actor).parent().unwrap().to_path_buf()
    }
}

fn owners() -> Vec<IssueOwner> {
    vec![
        IssueOwner::new("td-aaa111", "alice"),
        IssueOwner::new("td-bbb222", "bob"),
    ]
}

fn idempotency(fake: &Fake, rounds: usize) -> Vec<CheckResult> {
    Verifier::new().idempotency(fake, rounds).to_vec()
}

#[test]
fn stable_databases_are_idempotent() {
    let fake = Fake::new(Merge::FieldLevel, Faults::default());
    let results = idempotency(&fake, 3);
    // The fake cannot add a device or rewind a cursor: those replay steps are Unknown.
    let (replay, results): (Vec<_>, Vec<_>) = results
        .into_iter()
        .partition(|r| r.name.starts_with("replay:"));
    assert_eq!(replay.len(), 2);
    assert!(
        replay.iter().all(|r| r.verdict == Verdict::Unknown),
        "{replay:?}"
    );
    assert_all_valid(&results);
    assert_eq!(results.len(), 2);
    assert!(
        results[1]
            .details
            .starts_with("3 sync_all rounds left hash "),
        "{}",
        results[1].details
    );
    assert_eq!(*fake.syncs.lock().unwrap(), 3);
}

#[test]
fn a_sync_that_rewrites_deleted_at_fails_idempotency_with_the_rows() {
    let faults = Faults {
        churn_at: Some((
            2,
            "bob",
            "UPDATE issues SET deleted_at = '2026-01-01 00:00:00+00:00' WHERE id = 'td-bbb222'",
        )),
        ..Faults::default()
    };
    let fake = Fake::new(Merge::FieldLevel, faults);
    let results = idempotency(&fake, 3);
    assert_eq!(failing_names(&results), vec!["idempotency [bob]"]);
    assert_invalid(
        result(&results, "idempotency [bob]"),
        &[
            "sync_all round 2 changed bob: hash ",
            "issues: bob before has 2 rows, bob after has 2 rows; 1 only on bob before, 1 only on bob after",
            r#"only on bob before: {id: "td-bbb222", title: "second""#,
            r#"deleted_at: "2026-01-01", minor"#,
            r#"deleted_at: "2026-01-01 00:00:00+00:00", minor"#,
        ],
    );
    assert!(result(&results, "idempotency [alice]").passed());
    assert_eq!(
        *fake.syncs.lock().unwrap(),
        2,
        "stops at the first changing round"
    );
}

#[test]
fn a_failing_sync_fails_idempotency() {
    let fake = Fake::new(
        Merge::FieldLevel,
        Faults {
            sync_fails_at: Some(1),
            ..Faults::default()
        },
    );
    let results = idempotency(&fake, 3);
    assert_eq!(results.len(), 1);
    assert_invalid(
        &results[0],
        &["sync_all failed in round 1 of 3", "connection refused"],
    );
}

#[test]
fn zero_rounds_is_unknown() {
    let fake = Fake::new(Merge::FieldLevel, Faults::default());
    assert_eq!(idempotency(&fake, 0)[0].verdict, Verdict::Unknown);
}

fn ryw(fake: &Fake, owners: &[IssueOwner]) -> Vec<CheckResult> {
    Verifier::new().read_your_writes(fake, owners).to_vec()
}

#[test]
fn owners_read_their_issues() {
    let fake = Fake::new(Merge::FieldLevel, Faults::default());
    let results = ryw(&fake, &owners());
    assert_all_valid(&results);
    assert_eq!(results[0].name, "read-your-writes [alice]");
    assert_eq!(results[1].details, "bob read its 1 issues as stored");
}

#[test]
fn an_unreadable_issue_fails_its_owner() {
    let faults = Faults {
        show_fails: Some("td-bbb222".into()),
        ..Faults::default()
    };
    let results = ryw(&Fake::new(Merge::FieldLevel, faults), &owners());
    assert_eq!(failing_names(&results), vec!["read-your-writes [bob]"]);
    assert_invalid(
        &results[1],
        &[r#"td-bbb222: bob cannot read it: exit Some(1): "ERROR: issue not found: td-bbb222""#],
    );
}

#[test]
fn a_shown_title_unlike_the_database_fails() {
    let faults = Faults {
        show_title: Some("other".into()),
        ..Faults::default()
    };
    let results = ryw(&Fake::new(Merge::FieldLevel, faults), &owners());
    assert_invalid(
        &results[0],
        &[r#"td-aaa111: title: show has "other", database has "first""#],
    );
}

#[test]
fn an_id_that_merely_contains_the_asked_id_fails() {
    // The original passed when the output contained the id as a substring.
    let faults = Faults {
        show_id: Some("td-aaa1119".into()),
        ..Faults::default()
    };
    let results = ryw(&Fake::new(Merge::FieldLevel, faults), &owners()[..1]);
    assert_invalid(
        &results[0],
        &[r#"id: show has "td-aaa1119", database has "td-aaa111""#],
    );
}

#[test]
fn without_owners_they_come_from_the_data_and_can_fail() {
    let results = ryw(&Fake::new(Merge::FieldLevel, Faults::default()), &[]);
    assert_eq!(results[0].details, "alice read its 1 issues as stored");
    let faults = Faults {
        show_title: Some("other".into()),
        ..Faults::default()
    };
    let results = ryw(&Fake::new(Merge::FieldLevel, faults), &[]);
    assert_invalid(&results[0], &[r#"title: show has "other""#]);
}

#[test]
fn a_driver_that_cannot_spawn_or_panics_is_unknown() {
    for faults in [
        Faults {
            spawn_error: true,
            ..Faults::default()
        },
        Faults {
            panic: true,
            ..Faults::default()
        },
    ] {
        let results = ryw(&Fake::new(Merge::FieldLevel, faults), &owners());
        assert_eq!(results.len(), 1);
        assert_eq!(results[0].verdict, Verdict::Unknown, "{results:?}");
    }
}

fn merge(fake: &Fake) -> Vec<CheckResult> {
    Verifier::new().field_merge(fake, "alice", "bob").to_vec()
}

#[test]
fn field_level_merge_keeps_both_fields_everywhere() {
    let results = merge(&Fake::new(Merge::FieldLevel, Faults::default()));
    assert_all_valid(&results);
    assert_eq!(results.len(), 2);
    assert_eq!(
        results[0].details,
        r#"both fields preserved: td-f00d01 on alice: title="merged-title-from-A" (want "merged-title-from-A"), priority="P0" (want "P0"), deleted_at=NULL"#
    );
}

#[test]
fn whole_row_last_writer_wins_loses_the_title() {
    let results = merge(&Fake::new(Merge::WholeRow, Faults::default()));
    assert_eq!(
        failing_names(&results),
        vec!["field-level merge [alice]", "field-level merge [bob]"]
    );
    assert_invalid(
        &results[0],
        &[r#"title="field-merge-test-issue" (want "merged-title-from-A"), priority="P0""#],
    );
}

#[test]
fn a_title_that_only_contains_the_expected_one_fails() {
    let faults = Faults {
        title_suffix: Some(" (copy)".into()),
        ..Faults::default()
    };
    let results = merge(&Fake::new(Merge::FieldLevel, faults));
    assert_invalid(&results[0], &[&format!(r#"title="{MERGE_TITLE} (copy)""#)]);
}

#[test]
fn a_failed_setup_fails_the_experiment() {
    let results = merge(&Fake::new(
        Merge::FieldLevel,
        Faults {
            create_fails: true,
            ..Faults::default()
        },
    ));
    assert_eq!(results.len(), 1);
    assert_eq!(results[0].name, "field-level merge setup");
    assert_invalid(
        &results[0],
        &["alice: td create exited Some(1)", "database is locked"],
    );
    let results = merge(&Fake::new(
        Merge::FieldLevel,
        Faults {
            sync_fails_at: Some(2),
            ..Faults::default()
        },
    ));
    assert_invalid(
        &results[0],
        &["second sync_all: bob: ERROR: push: connection refused"],
    );
}

#[test]
fn every_check_runs_by_name_through_the_context() {
    let fake = Fake::new(Merge::FieldLevel, Faults::default());
    let owners = owners();
    let ctx = VerifyContext {
        driver: &fake,
        owners: &owners,
        idempotency_rounds: 2,
        server: None,
        intents: &[],
    };
    let mut v = Verifier::new();
    for kind in CheckKind::ALL {
        assert!(!v.run(kind, &ctx).is_empty(), "{kind} added no result");
    }
    // The fake has no server: the five server-side checks say so (Unknown, never a pass);
    // tests/verify/ledger.rs runs them through a context with one, tests/verify/oracle.rs
    // the oracle.
    // Nor can it add a device or rewind a cursor: the replay steps are Unknown too.
    let unknown: Vec<&str> = v
        .failed()
        .iter()
        .filter(|r| !r.name.starts_with("replay:"))
        .map(|r| {
            assert_eq!(r.verdict, Verdict::Unknown, "{r:?}");
            assert!(
                r.details.contains("needs the server's data directory"),
                "{r:?}"
            );
            r.name.as_str()
        })
        .collect();
    for r in v.failed().iter().filter(|r| r.name.starts_with("replay:")) {
        assert_eq!(r.verdict, Verdict::Unknown, "{r:?}");
        assert!(r.details.contains("this driver cannot"), "{r:?}");
    }
    assert_eq!(
        unknown,
        [
            "ledger_acked",
            "ledger_no_duplicate",
            "ledger_dense",
            "heads",
            "oracle"
        ]
    );
    assert!(
        v.summary()
            .starts_with("Verify: 39 passed, 0 failed, 7 unknown"),
        "{}",
        v.summary()
    );
}
