//! The intent oracle against crafted worlds: a server event log written by hand, each
//! author's action_log rows, and replicas built by td-core's real apply from the log the
//! replicas pulled. A clean world passes (and a rich log folds exactly like td-core's
//! apply); each crafted divergence — including ones every replica shares, which convergence
//! cannot see — fails and is named.

use std::path::PathBuf;

use crate::support::{assert_all_valid, assert_invalid, failing_names, result, World};
use rusqlite::{params, Connection};
use serde_json::{json, Value as Json};
use td_e2e::engine::{Intent, IntentKind, IntentTarget, IntentValue};
use td_e2e::verify::{CheckResult, ServerData, Verifier};

const ID: &str = "td-aaa111";

/// The server's events table (td-sync `store/events.rs`), restated for the fixture.
const EVENTS_DDL: &str = "CREATE TABLE events (
    server_seq INTEGER PRIMARY KEY AUTOINCREMENT, device_id TEXT NOT NULL,
    session_id TEXT NOT NULL, client_action_id INTEGER NOT NULL, action_type TEXT NOT NULL,
    entity_type TEXT NOT NULL, entity_id TEXT NOT NULL, payload JSON NOT NULL,
    client_timestamp DATETIME NOT NULL, server_timestamp DATETIME DEFAULT CURRENT_TIMESTAMP,
    UNIQUE (device_id, session_id, client_action_id))";

/// One write: its author, td's action_log action and entity type, the canonical action the
/// server stores, the entity id and both snapshots.
#[derive(Clone)]
struct Ev {
    author: &'static str,
    td_action: &'static str,
    action: &'static str,
    entity: &'static str,
    id: String,
    prev: Json,
    new: Json,
}

fn ev(author: &'static str, td_action: &'static str, entity: &'static str, id: &str) -> Ev {
    let action = match td_action {
        "create" | "add_dependency" | "board_create" | "board_set_position" | "link_file" => {
            "create"
        }
        "remove_dependency" | "board_delete" | "hard_delete" => "delete",
        "delete" | "board_unposition" => "soft_delete",
        "restore" => "restore",
        _ => "update",
    };
    Ev {
        author,
        td_action,
        action,
        entity,
        id: id.to_string(),
        prev: Json::Null,
        new: Json::Null,
    }
}

impl Ev {
    fn new_data(mut self, v: Json) -> Ev {
        self.new = v;
        self
    }
    fn prev(mut self, v: Json) -> Ev {
        self.prev = v;
        self
    }
}

/// action_log timestamp of seq `n` (inside its intent's window).
fn logged_at(n: i64) -> String {
    format!("2026-01-01T00:{:02}:{:02}.500000000Z", n / 60, n % 60)
}

fn window(n: i64, frac: &str) -> String {
    format!("2026-01-01T00:{:02}:{:02}.{frac}Z", n / 60, n % 60)
}

/// An issue snapshot as td logs it (Go omit-empty: empty strings left out) with overrides.
fn issue(at: i64, overrides: Json) -> Json {
    let stamp = format!("2026-01-01T00:00:{at:02}Z");
    let mut m = json!({
        "id": ID, "title": "first title", "status": "open", "type": "task",
        "priority": "P2", "points": 0, "implementer_session": "",
        "creator_session": "ses_alice", "reviewer_session": "",
        "created_at": "2026-01-01T00:00:01Z", "updated_at": stamp,
        "minor": false, "defer_count": 0
    });
    for (k, v) in overrides.as_object().unwrap() {
        if v.is_null() {
            m.as_object_mut().unwrap().remove(k);
        } else {
            m[k] = v.clone();
        }
    }
    m
}

/// The base history: alice creates the issue (1), bob retitles it (2), alice, who has not
/// seen bob's title, reprioritises (3: field-level merge keeps bob's title), bob comments
/// (4), alice retitles last (5).
fn base_log() -> Vec<Ev> {
    vec![
        ev("alice", "create", "issue", ID).new_data(issue(1, json!({}))),
        ev("bob", "update", "issue", ID)
            .prev(issue(1, json!({})))
            .new_data(issue(2, json!({"title": "bob's title"}))),
        ev("alice", "update", "issue", ID)
            .prev(issue(1, json!({})))
            .new_data(issue(3, json!({"priority": "P0"}))),
        ev("bob", "create", "comments", "cm-1").new_data(json!({
            "id": "cm-1", "issue_id": ID, "session_id": "ses_bob",
            "text": "it's \"quoted\"\nand multi-line 🔥", "created_at": "2026-01-01T00:00:04Z"
        })),
        ev("alice", "update", "issue", ID)
            .prev(issue(3, json!({"priority": "P0"})))
            .new_data(issue(
                5,
                json!({"priority": "P0", "title": "alice's later title"}),
            )),
    ]
}

/// The intent of the write at `seq` of `log` by `author`, its window the author's one
/// action_log row for it (each author numbers its rows 1, 2, … in log order).
fn intent(
    log: &[Ev],
    seq: i64,
    author: &str,
    action: &str,
    table: &str,
    target: IntentTarget,
    fields: &[(&str, IntentValue)],
) -> Intent {
    let upto = usize::try_from(seq).unwrap().min(log.len());
    let rowid = log[..upto].iter().filter(|e| e.author == author).count() as i64;
    Intent {
        actor: author.into(),
        action: action.into(),
        table: table.into(),
        target,
        kind: IntentKind::Write,
        fields: fields
            .iter()
            .map(|(c, v)| (c.to_string(), v.clone()))
            .collect(),
        first_rowid: rowid - 1,
        last_rowid: rowid,
        started: window(seq, "400000000"),
        finished: window(seq, "600000000"),
    }
}

fn text(s: &str) -> IntentValue {
    IntentValue::Text(s.into())
}

fn row(id: &str) -> IntentTarget {
    IntentTarget::Row(id.into())
}

/// What the engine would have recorded for the base history.
fn base_intents() -> Vec<Intent> {
    let log = base_log();
    let intent = |seq, author, action, table, target, fields: &[(&str, IntentValue)]| {
        intent(&log, seq, author, action, table, target, fields)
    };
    vec![
        intent(
            1,
            "alice",
            "create",
            "issues",
            row(ID),
            &[
                ("title", text("first title")),
                ("priority", text("P2")),
                ("status", text("open")),
                ("creator_session", IntentValue::ActingSession),
            ],
        ),
        intent(
            2,
            "bob",
            "update",
            "issues",
            row(ID),
            &[("title", text("bob's title"))],
        ),
        intent(
            3,
            "alice",
            "update",
            "issues",
            row(ID),
            &[("priority", text("P0"))],
        ),
        intent(
            4,
            "bob",
            "comment",
            "comments",
            IntentTarget::Matching,
            &[
                ("issue_id", text(ID)),
                ("text", text("it's \"quoted\"\nand multi-line 🔥")),
                ("session_id", IntentValue::ActingSession),
            ],
        ),
        intent(
            5,
            "alice",
            "update",
            "issues",
            row(ID),
            &[("title", text("alice's later title"))],
        ),
    ]
}

/// A crafted world: two replicas linked to project `p_test`, and the server's data
/// directory holding that project's event log.
struct Lab {
    w: World,
    server: PathBuf,
    events_db: PathBuf,
}

type Tamper<'a> = &'a dyn Fn(i64, &mut Json);

fn untouched(_: i64, _: &mut Json) {}

impl Lab {
    fn new() -> Lab {
        let w = World::new(&["alice", "bob"]);
        w.exec_all("INSERT INTO sync_state (project_id) VALUES ('p_test')");
        let server = w.dir.path().join("server");
        let events_db = ServerData::new(&server).events_db("p_test");
        std::fs::create_dir_all(events_db.parent().unwrap()).unwrap();
        Connection::open(&events_db)
            .unwrap()
            .execute_batch(EVENTS_DDL)
            .unwrap();
        Lab {
            w,
            server,
            events_db,
        }
    }

    /// Publishes `log`: the server stores each payload after `server`, every author logs
    /// its rows (acknowledged), and every replica applies the log after `pulled` with
    /// td-core's apply.
    fn publish(&self, log: &[Ev], server: Tamper<'_>, pulled: Tamper<'_>) -> Vec<i64> {
        let srv = Connection::open(&self.events_db).unwrap();
        let mut rowids = Vec::new();
        let mut pulls = Vec::new();
        for (i, e) in log.iter().enumerate() {
            let seq = i as i64 + 1;
            let author = Connection::open(self.w.path(e.author)).unwrap();
            let data = |v: &Json| {
                if v.is_null() {
                    String::new()
                } else {
                    v.to_string()
                }
            };
            author
                .execute(
                    "INSERT INTO action_log (id, session_id, action_type, entity_type, entity_id, \
                     previous_data, new_data, timestamp, undone, synced_at, server_seq) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 0, '2026-01-01 01:00:00', ?9)",
                    params![
                        format!("al-{seq}"),
                        format!("ses_{}", e.author),
                        e.td_action,
                        e.entity,
                        e.id,
                        data(&e.prev),
                        data(&e.new),
                        logged_at(seq),
                        seq
                    ],
                )
                .unwrap();
            let rowid = author.last_insert_rowid();
            rowids.push(rowid);
            let entity = td_core::event::canonical_entity_type(e.entity).unwrap();
            let payload = json!({"schema_version": 1, "new_data": e.new, "previous_data": e.prev});
            let mut stored = payload.clone();
            server(seq, &mut stored);
            let stamp = format!("2026-01-01T00:{:02}:{:02}Z", seq / 60, seq % 60);
            srv.execute(
                "INSERT INTO events (server_seq, device_id, session_id, client_action_id, \
                 action_type, entity_type, entity_id, payload, client_timestamp) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![
                    seq,
                    format!("dev-{}", e.author),
                    format!("ses_{}", e.author),
                    rowid,
                    e.action,
                    entity,
                    e.id,
                    stored.to_string(),
                    stamp
                ],
            )
            .unwrap();
            let mut applied = payload;
            pulled(seq, &mut applied);
            pulls.push(td_core::wire::PullEvent {
                server_seq: seq,
                device_id: format!("dev-{}", e.author),
                session_id: format!("ses_{}", e.author),
                client_action_id: rowid,
                action_type: e.action.into(),
                entity_type: entity.into(),
                entity_id: e.id.clone(),
                payload: applied,
                client_timestamp: stamp,
            });
        }
        for d in &self.w.dbs {
            let conn = Connection::open(&d.path).unwrap();
            td_core::schema::apply_pragmas(&conn).unwrap();
            let out = td_core::apply::apply_page(&conn, &pulls, &format!("dev-{}", d.actor), None);
            assert!(out.transient.is_none(), "{out:?}");
        }
        rowids
    }

    fn oracle(&self, intents: &[Intent]) -> Vec<CheckResult> {
        let mut v = Verifier::new();
        v.oracle(&ServerData::new(&self.server), &self.w.dbs, intents)
            .to_vec()
    }

    fn converged(&self) -> bool {
        let mut v = Verifier::new();
        v.convergence(&self.w.dbs);
        v.all_passed()
    }
}

fn retitle(seq: i64, to: &'static str) -> impl Fn(i64, &mut Json) {
    move |s, p| {
        if s == seq {
            p["new_data"]["title"] = json!(to);
        }
    }
}

#[test]
fn clean_world_passes_and_follows_every_intent() {
    let lab = Lab::new();
    lab.publish(&base_log(), &untouched, &untouched);
    let results = lab.oracle(&base_intents());
    assert_all_valid(&results);
    let r = result(&results, "oracle: intents [alice, bob]");
    assert!(
        r.details.starts_with("5 intent(s), 10 field value(s)"),
        "{}",
        r.details
    );
    assert!(
        r.details.contains("3 value(s) later overwritten"),
        "{}",
        r.details
    );
    let r = result(&results, "oracle: issues [alice, bob]");
    assert!(r.details.starts_with("1 row(s)"), "{}", r.details);
}

/// The server alters the title it stores; both replicas (the author re-applying its own
/// echo) hold the same wrong title, so convergence passes. The oracle's tables agree with
/// the log too; the intent does not.
#[test]
fn same_wrong_title_on_every_replica_fails_the_intent() {
    let lab = Lab::new();
    let altered = retitle(5, "alice's later title (altered by the server)");
    lab.publish(&base_log(), &altered, &altered);
    assert!(lab.converged(), "every replica holds the same wrong title");
    let results = lab.oracle(&base_intents());
    assert_eq!(failing_names(&results), ["oracle: intents [alice, bob]"]);
    assert_invalid(
        &results[results.len() - 1],
        &[
            "issues/td-aaa111 by alice (update,",
            "acknowledged at seq 5 (alice, update issues/td-aaa111)",
            "the server's event stores title = \"alice's later title (altered by the server)\" \
             where td wrote \"alice's later title\"",
        ],
    );
}

/// Two writes to one field (bob's at 2, alice's at 5); every replica kept the older one.
#[test]
fn merge_that_kept_the_older_write_fails() {
    let lab = Lab::new();
    lab.publish(&base_log(), &untouched, &untouched);
    lab.w.exec_all(&format!(
        "UPDATE issues SET title = 'bob''s title' WHERE id = '{ID}'"
    ));
    assert!(lab.converged(), "both replicas agree on the wrong title");
    let results = lab.oracle(&base_intents());
    assert_invalid(
        result(&results, "oracle: issues [alice, bob]"),
        &[
            "issues/td-aaa111 title: alice \"bob's title\", bob \"bob's title\"; \
             want \"alice's later title\" from seq 5 (alice, update issues/td-aaa111) via its data",
        ],
    );
    assert_invalid(
        result(&results, "oracle: intents [alice, bob]"),
        &[
            "write lost: title = \"alice's later title\" acknowledged at seq 5",
            "alice holds \"bob's title\", bob holds \"bob's title\"",
        ],
    );
}

fn restore_log() -> Vec<Ev> {
    let described = json!({"description": "the description, with 'quotes'"});
    vec![
        ev("alice", "create", "issue", ID).new_data(issue(1, json!({}))),
        ev("bob", "update", "issue", ID)
            .prev(issue(1, json!({})))
            .new_data(issue(2, described.clone())),
        ev("bob", "delete", "issue", ID).prev(issue(2, described.clone())),
        ev("alice", "restore", "issue", ID)
            .prev(issue(2, described.clone()))
            .new_data(issue(4, described)),
    ]
}

/// A restore that rebuilt the row and forgot the description, and one that forgot to
/// clear deleted_at.
#[test]
fn restore_that_forgot_a_field_fails() {
    let lab = Lab::new();
    lab.publish(&restore_log(), &untouched, &untouched);
    let restored = [intent(
        &restore_log(),
        4,
        "alice",
        "restore",
        "issues",
        row(ID),
        &[("deleted_at", IntentValue::Null)],
    )];
    assert_all_valid(&lab.oracle(&restored));
    lab.w.exec_all(&format!(
        "UPDATE issues SET description = '' WHERE id = '{ID}'"
    ));
    let results = lab.oracle(&restored);
    assert_invalid(
        result(&results, "oracle: issues [alice, bob]"),
        &["issues/td-aaa111 description: alice \"\", bob \"\"; \
           want \"the description, with 'quotes'\" from seq 2 (bob, update issues/td-aaa111)"],
    );
    lab.w.exec(
        "bob",
        &format!("UPDATE issues SET deleted_at = '2026-01-01 00:00:03+00:00' WHERE id = '{ID}'"),
    );
    let results = lab.oracle(&restored);
    assert_invalid(
        result(&results, "oracle: issues [alice, bob]"),
        &[
            "issues/td-aaa111 deleted_at: alice NULL, bob \"2026-01-01 00:00:03+00:00\"; \
           want NULL from seq 4 (alice, restore issues/td-aaa111) via its event time",
        ],
    );
    assert_invalid(
        result(&results, "oracle: intents [alice, bob]"),
        &[
            "write lost: deleted_at = NULL acknowledged at seq 4",
            "bob holds \"2026-01-01",
        ],
    );
}

/// Alice's priority (seq 3) is acknowledged and in the log, but no replica has it.
#[test]
fn write_lost_by_every_replica_fails() {
    let lab = Lab::new();
    lab.publish(&base_log(), &untouched, &untouched);
    lab.w.exec_all(&format!(
        "UPDATE issues SET priority = 'P2' WHERE id = '{ID}'"
    ));
    assert!(lab.converged());
    let results = lab.oracle(&base_intents());
    assert_invalid(
        result(&results, "oracle: issues [alice, bob]"),
        &["issues/td-aaa111 priority: alice \"P2\", bob \"P2\"; \
           want \"P0\" from seq 3 (alice, update issues/td-aaa111) via its data"],
    );
    assert_invalid(
        result(&results, "oracle: intents [alice, bob]"),
        &[
            "issues/td-aaa111 by alice (update,",
            "write lost: priority = \"P0\" acknowledged at seq 3 (alice, update issues/td-aaa111), \
             but alice holds \"P2\", bob holds \"P2\"; no later event wrote priority \
             (the log's last write to it is seq 3 (alice, update issues/td-aaa111) via its data = \"P0\")",
        ],
    );
}

/// The replicas hold what alice wrote, but the server's event at the acknowledged seq
/// carries another value (e.g. rewritten after everyone pulled).
#[test]
fn intent_acknowledged_at_a_seq_whose_event_differs_fails() {
    let lab = Lab::new();
    let rewritten = |s: i64, p: &mut Json| {
        if s == 3 {
            p["new_data"]["priority"] = json!("P1");
        }
    };
    lab.publish(&base_log(), &rewritten, &untouched);
    let results = lab.oracle(&base_intents());
    assert_invalid(
        result(&results, "oracle: intents [alice, bob]"),
        &[
            "acknowledged at seq 3 (alice, update issues/td-aaa111) but the server's event \
           stores priority = \"P1\" where td wrote \"P0\"",
        ],
    );
    assert_invalid(
        result(&results, "oracle: issues [alice, bob]"),
        &["priority: alice \"P0\", bob \"P0\"; want \"P1\" from seq 3"],
    );
}

/// td printed success, but its action_log row carries another value, or was never pushed.
#[test]
fn intent_td_logged_differently_or_never_pushed_fails() {
    let lab = Lab::new();
    lab.publish(&base_log(), &untouched, &untouched);
    let mut intents = base_intents();
    intents[1].fields[0].1 = text("bob's title, as typed");
    let results = lab.oracle(&intents);
    assert_invalid(
        result(&results, "oracle: intents [alice, bob]"),
        &[
            "issues/td-aaa111 by bob (update,",
            "logs title = \"bob's title\" where \"bob's title, as typed\" was asked",
        ],
    );
    lab.w.exec(
        "alice",
        "UPDATE action_log SET server_seq = NULL, synced_at = NULL WHERE server_seq = 3",
    );
    let results = lab.oracle(&base_intents());
    assert_invalid(
        result(&results, "oracle: intents [alice, bob]"),
        &["(update td-aaa111) was never acknowledged by the server (server_seq is NULL)"],
    );
    let mut outside = intent(
        &base_log(),
        4,
        "bob",
        "comment",
        "comments",
        IntentTarget::Matching,
        &[("issue_id", text(ID))],
    );
    // A command that wrote no row at all.
    (outside.first_rowid, outside.last_rowid) = (9, 9);
    let outside = [outside];
    let results = lab.oracle(&outside);
    assert_invalid(
        result(&results, "oracle: intents [alice, bob]"),
        &["td printed success but wrote no matching comments row to its action_log (rowids 10..=9"],
    );
}

/// A row only one replica has, and one it lost.
#[test]
fn extra_and_missing_rows_are_named() {
    let lab = Lab::new();
    lab.publish(&base_log(), &untouched, &untouched);
    lab.w.exec(
        "alice",
        &format!("INSERT INTO comments (id, issue_id, session_id, text) VALUES ('cm-x', '{ID}', 's', 'never synced')"),
    );
    lab.w.exec("bob", "DELETE FROM comments WHERE id = 'cm-1'");
    let results = lab.oracle(&[]);
    assert_invalid(
        result(&results, "oracle: comments [alice, bob]"),
        &[
            "comments/cm-1: missing on bob; the log keeps it (written by seq 4 (bob, create comments/cm-1))",
            "comments/cm-x: present on alice but the log has no such row (no server event creates it)",
        ],
    );
}

/// Every rule the fold restates, on one log; replicas built by td-core's apply must equal
/// the fold field for field (a differential test of the restatement).
#[test]
fn rich_log_folds_exactly_like_td_core_apply() {
    let lab = Lab::new();
    let i2 = "td-bbb222";
    let child = "td-ccc333";
    let other = |id: &str, at: i64, extra: Json| {
        let mut v = issue(at, extra);
        v["id"] = json!(id);
        v
    };
    let dep = |id: &str, from: &str, to: &str| json!({"id": id, "issue_id": from, "depends_on_id": to, "relation_type": "depends_on"});
    let log = vec![
        ev("alice", "create", "issue", ID).new_data(issue(1, json!({"labels": ["a", "b"]}))),
        ev("bob", "create", "issue", i2).new_data(other(i2, 2, json!({"points": 3.0}))),
        ev("bob", "create", "issue", child).new_data(other(child, 3, json!({"parent_id": i2}))),
        // The cycle rule: b→a arrives after a→b and "td-aaa111|td-bbb222" sorts first, so
        // the incoming b→a is dropped; b→c arrives after c→b and sorts first, so it
        // replaces c→b.
        ev("alice", "add_dependency", "dependency", "dep-ab").new_data(dep("dep-ab", ID, i2)),
        ev("bob", "add_dependency", "dependency", "dep-ba").new_data(dep("dep-ba", i2, ID)),
        ev("bob", "add_dependency", "dependency", "dep-cb").new_data(dep("dep-cb", child, i2)),
        ev("alice", "add_dependency", "dependency", "dep-bc").new_data(dep("dep-bc", i2, child)),
        // A board, two positions, a soft-deleted position, then the board is deleted.
        ev("alice", "board_create", "board", "bd-1").new_data(json!({
            "id": "bd-1", "name": "Board", "query": "", "is_builtin": false,
            "view_mode": "swimlanes", "created_at": "2026-01-01T00:00:08Z",
            "updated_at": "2026-01-01T00:00:08Z"})),
        ev("alice", "board_set_position", "board_position", "bip-1").new_data(json!({
            "id": "bip-1", "board_id": "bd-1", "issue_id": ID, "position": 65536,
            "added_at": "2026-01-01T00:00:09Z"})),
        ev("bob", "board_unposition", "board_position", "bip-1")
            .prev(json!({"id": "bip-1", "board_id": "bd-1", "issue_id": ID, "position": 65536})),
        ev("bob", "board_create", "board", "bd-2").new_data(json!({
            "id": "bd-2", "name": "Kept", "query": "status = open", "is_builtin": false,
            "view_mode": "backlog", "created_at": "2026-01-01T00:00:11Z",
            "updated_at": "2026-01-01T00:00:11Z"})),
        ev("bob", "board_set_position", "board_position", "bip-2").new_data(json!({
            "id": "bip-2", "board_id": "bd-2", "issue_id": i2, "position": 3,
            "added_at": "2026-01-01T00:00:12Z"})),
        ev("alice", "board_delete", "board", "bd-1").prev(json!({"id": "bd-1", "name": "Board"})),
        // A position on the deleted board is an orphan.
        ev("bob", "board_set_position", "board_position", "bip-3").new_data(json!({
            "id": "bip-3", "board_id": "bd-1", "issue_id": i2, "position": 1,
            "added_at": "2026-01-01T00:00:14Z"})),
        // Two link rows for one (issue, path): the later replaces the earlier.
        ev("alice", "link_file", "file_link", "if-1").new_data(json!({
            "id": "if-1", "issue_id": ID, "file_path": "src/a.rs", "role": "test",
            "linked_sha": "", "linked_at": "2026-01-01T00:00:15Z"})),
        ev("bob", "link_file", "file_link", "if-2").new_data(json!({
            "id": "if-2", "issue_id": ID, "file_path": "src/a.rs", "role": "config",
            "linked_sha": "", "linked_at": "2026-01-01T00:00:16Z"})),
        // A work session with local paths (scrubbed), ended with an empty previous_data.
        ev("alice", "create", "work_sessions", "ws-1").new_data(json!({
            "id": "ws-1", "name": "session", "session_id": "ses_alice",
            "started_at": "2026-01-01T00:00:17Z", "start_sha": "", "repo_root": "/home/alice"})),
        ev("alice", "update", "work_sessions", "ws-1").new_data(json!({
            "id": "ws-1", "name": "session", "session_id": "ses_alice",
            "started_at": "2026-01-01T00:00:17Z", "ended_at": "2026-01-01T00:00:18Z",
            "start_sha": "", "end_sha": "abc"})),
        // An update of a row nobody has never inserts; a comment on a missing issue is an
        // orphan; a soft delete, then a hard delete of the parent clears the child's
        // parent_id and cascades its comments and edges.
        ev("bob", "update", "issue", "td-404404")
            .prev(other("td-404404", 1, json!({})))
            .new_data(other("td-404404", 19, json!({"title": "ghost"}))),
        ev("bob", "create", "comments", "cm-9").new_data(json!({
            "id": "cm-9", "issue_id": "td-404404", "session_id": "ses_bob", "text": "lost",
            "created_at": "2026-01-01T00:00:20Z"})),
        ev("bob", "create", "comments", "cm-2").new_data(json!({
            "id": "cm-2", "issue_id": i2, "session_id": "ses_bob", "text": "goes with i2",
            "created_at": "2026-01-01T00:00:21Z"})),
        ev("alice", "delete", "issue", ID).prev(issue(1, json!({}))),
        ev("bob", "hard_delete", "issue", i2).prev(other(i2, 2, json!({}))),
        // Wrapped issue payloads (approve/review) on both sides.
        ev("alice", "approve", "issue", child)
            .prev(json!({"issue": other(child, 3, json!({"parent_id": i2}))}))
            .new_data(
                json!({"issue": other(child, 24, json!({"status": "closed", "parent_id": null})),
                        "created_review_id": "rv-1"}),
            ),
        // Bad events: an unknown entity, a non-object new_data.
        ev("bob", "update", "git_snapshot", "gs-1").new_data(json!({"id": "gs-1"})),
        ev("bob", "update", "issue", child)
            .new_data(json!({"issue": 5}))
            .prev(json!([1])),
    ];
    lab.publish(&log, &untouched, &untouched);
    let results = lab.oracle(&[]);
    assert_all_valid(&results);
    let log_result = result(&results, "oracle: server log [alice, bob]");
    for needle in [
        "folded 26 server event(s)",
        "cycle rule: td-bbb222 → td-aaa111 would close a cycle",
        "orphan: board_issue_positions.board_id references missing boards/bd-1",
        "update of issues/td-404404, which does not exist",
        "orphan: comments.issue_id references missing issues/td-404404",
        "invalid entity type \"git_snapshots\"",
        "no known fields in payload",
    ] {
        assert!(
            log_result.details.contains(needle),
            "{needle}: {}",
            log_result.details
        );
    }
    // b→c replaced c→b, and the hard delete of b cascaded both of b's edges away.
    let r = result(&results, "oracle: issue_dependencies [alice, bob]");
    assert!(r.details.starts_with("0 row(s)"), "{}", r.details);
    let r = result(&results, "oracle: issue_files [alice, bob]");
    assert!(
        r.details.starts_with("1 row(s)"),
        "if-2 replaced if-1: {}",
        r.details
    );
}

/// The flagship case on a real world: td-sync stores an altered title between alice's push
/// and every pull (alice included, re-applying her own echo). Both replicas then agree on
/// the wrong title, so convergence passes; the oracle follows alice's intent to the
/// server's event and fails there.
#[test]
fn real_world_server_that_alters_a_title_is_caught() {
    use td_e2e::config::HarnessConfig;
    use td_e2e::driver::Driver;
    use td_e2e::engine::{extract_created_id, intent::stamp_now};
    use td_e2e::harness::{Harness, WorldOptions};
    use td_e2e::verify::ActorDb;

    let cfg = HarnessConfig::load_default().expect("harness.toml");
    let h = Harness::setup(&cfg, &WorldOptions::actors(2)).expect("world");
    let title = "a title the server will alter, with 'quotes' 🔥";
    let last_rowid = || -> i64 {
        Connection::open(h.db_path("alice"))
            .unwrap()
            .query_row("SELECT COALESCE(MAX(rowid), 0) FROM action_log", [], |r| {
                r.get(0)
            })
            .unwrap()
    };
    let first_rowid = last_rowid();
    let started = stamp_now();
    let args: Vec<String> = ["create", title, "--priority", "P1"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let out = h.td("alice", &args).unwrap();
    let finished = stamp_now();
    let last_rowid = last_rowid();
    assert!(out.ok(), "{}", out.output);
    let id = extract_created_id(&out.output).expect("created id");
    let push = h.td("alice", &["sync".into(), "--push".into()]).unwrap();
    assert!(push.ok(), "{}", push.output);
    let server = ServerData::new(h.world_dir().join("server-data"));
    let events_db = server.events_db(&h.project_id());
    {
        let server = Connection::open(&events_db).unwrap();
        server
            .busy_timeout(std::time::Duration::from_secs(5))
            .unwrap();
        let n = server
            .execute(
                "UPDATE events SET payload = json_set(payload, '$.new_data.title', ?1) \
                 WHERE entity_id = ?2 AND action_type = 'create'",
                params!["a title the server ALTERED", id],
            )
            .unwrap();
        assert_eq!(n, 1);
    }
    h.sync_all().expect("sync_all");
    let dbs = ActorDb::all_from(&h);
    let mut v = Verifier::new();
    v.convergence(&dbs);
    assert!(
        v.all_passed(),
        "both replicas hold the altered title: {}",
        v.summary()
    );
    let intents = [Intent {
        actor: "alice".into(),
        action: "create".into(),
        table: "issues".into(),
        target: IntentTarget::Row(id.clone()),
        kind: IntentKind::Write,
        fields: vec![
            ("title".into(), text(title)),
            ("priority".into(), text("P1")),
        ],
        first_rowid,
        last_rowid,
        started,
        finished,
    }];
    let results = v.oracle(&server, &dbs, &intents).to_vec();
    assert_eq!(
        failing_names(&results),
        ["oracle: intents [alice, bob]"],
        "{results:#?}"
    );
    assert_invalid(
        result(&results, "oracle: intents [alice, bob]"),
        &[
            &format!("issues/{id} by alice (create,"),
            "(alice, create issues/",
            "the server's event stores title = \"a title the server ALTERED\" where td wrote \
             \"a title the server will alter, with 'quotes' 🔥\"",
        ],
    );
}

/// Alice re-sets a priority her snapshot already holds while bob's change (earlier in the
/// log) is still unpulled: the update's diff does not carry the field, so bob's value stands.
/// The documented diff rule, not a lost write: the oracle passes and says why.
#[test]
fn same_value_write_under_the_diff_rule_is_explained_not_failed() {
    let lab = Lab::new();
    let p3 = json!({"priority": "P3"});
    let log = vec![
        ev("alice", "create", "issue", ID).new_data(issue(1, p3.clone())),
        ev("bob", "update", "issue", ID)
            .prev(issue(1, p3.clone()))
            .new_data(issue(2, json!({"priority": "P2"}))),
        ev("alice", "update", "issue", ID)
            .prev(issue(1, p3))
            .new_data(issue(3, json!({"priority": "P3", "title": "retitled too"}))),
    ];
    lab.publish(&log, &untouched, &untouched);
    let intents = [intent(
        &log,
        3,
        "alice",
        "update",
        "issues",
        row(ID),
        &[("priority", text("P3")), ("title", text("retitled too"))],
    )];
    let results = lab.oracle(&intents);
    assert_all_valid(&results);
    let r = result(&results, "oracle: intents [alice, bob]");
    assert!(
        r.details.contains(
            "priority = \"P3\" was already in the author's previous_data, so the diff rule \
             keeps seq 2 (bob, update issues/td-aaa111) via its data = \"P2\""
        ),
        "{}",
        r.details
    );
}

/// Without one project every replica is linked to, there is no log to fold: Unknown, never
/// a pass.
#[test]
fn replicas_without_one_linked_project_are_unknown() {
    let lab = Lab::new();
    lab.publish(&base_log(), &untouched, &untouched);
    lab.w
        .exec("bob", "UPDATE sync_state SET project_id = 'p_other'");
    let results = lab.oracle(&[]);
    assert_eq!(results.len(), 1, "{results:#?}");
    assert_eq!(results[0].verdict, td_e2e::verify::Verdict::Unknown);
    assert!(
        results[0]
            .details
            .contains("replicas are linked to different projects (p_test and p_other on bob)"),
        "{results:#?}"
    );
    lab.w.exec("bob", "DELETE FROM sync_state");
    let results = lab.oracle(&[]);
    assert!(
        results[0].details.contains("bob has no sync_state row"),
        "{results:#?}"
    );
}
