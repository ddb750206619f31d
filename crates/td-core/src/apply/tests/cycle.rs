//! Dependency-cycle resolution (sync spec §7.8).

use serde_json::json;

use super::*;

const A: &str = "td-aaaaaa";
const B: &str = "td-bbbbbb";
const C: &str = "td-cccccc";

fn dep(seq: i64, device: &str, from: &str, to: &str) -> PullEvent {
    let id = format!("dep_{from}_{to}");
    let data = json!({"id":id,"issue_id":from,"depends_on_id":to,"relation_type":"depends_on"});
    ev(
        seq,
        device,
        "create",
        "issue_dependencies",
        &id,
        data,
        json!({}),
    )
}

fn issues(conn: &Connection) {
    apply(
        conn,
        &[
            create(1, "issues", A, issue(A, "a")),
            create(2, "issues", B, issue(B, "b")),
            create(3, "issues", C, issue(C, "c")),
        ],
    );
}

fn edges(conn: &Connection) -> Vec<String> {
    let mut stmt = conn
        .prepare("SELECT issue_id || '>' || depends_on_id FROM issue_dependencies ORDER BY 1")
        .unwrap();
    let rows = stmt.query_map([], |r| r.get(0)).unwrap();
    rows.map(Result::unwrap).collect()
}

/// Alice adds A→B, Bob adds B→A offline; the server orders them either way. Each client
/// starts from its own local edge and replays the whole log.
#[test]
fn reverse_edge_race_converges_to_the_smaller_edge_in_either_order() {
    for alice_first in [true, false] {
        let (sa, sb) = if alice_first { (10, 11) } else { (11, 10) };
        let log = [dep(sa, ALICE, A, B), dep(sb, BOB, B, A)];
        for local in [dep(0, ALICE, A, B), dep(0, BOB, B, A)] {
            let conn = db();
            issues(&conn);
            apply(&conn, std::slice::from_ref(&local));
            let out = apply(&conn, &log);
            assert_eq!(out.applied, 2, "cycle skips count as applied");
            assert_eq!(
                edges(&conn),
                vec![format!("{A}>{B}")],
                "alice_first={alice_first} local={}",
                local.entity_id
            );
        }
    }
}

#[test]
fn self_dependency_is_skipped() {
    let conn = db();
    issues(&conn);
    let out = apply(&conn, &[dep(5, BOB, A, A)]);
    assert_eq!((out.applied, out.skipped.len()), (1, 0));
    assert!(edges(&conn).is_empty());
}

#[test]
fn longer_cycle_with_larger_incoming_edge_is_skipped() {
    let conn = db();
    issues(&conn);
    apply(&conn, &[dep(5, ALICE, A, B), dep(6, ALICE, B, C)]);
    apply(&conn, &[dep(7, BOB, C, A)]);
    assert_eq!(edges(&conn), vec![format!("{A}>{B}"), format!("{B}>{C}")]);
}

#[test]
fn only_the_direct_reverse_edge_is_removed_so_longer_cycles_persist() {
    let conn = db();
    issues(&conn);
    apply(&conn, &[dep(5, ALICE, B, C), dep(6, ALICE, C, A)]);
    apply(&conn, &[dep(7, BOB, A, B)]);
    assert_eq!(
        edges(&conn),
        vec![format!("{A}>{B}"), format!("{B}>{C}"), format!("{C}>{A}")]
    );
}

#[test]
fn non_depends_on_relations_do_not_form_cycles() {
    let conn = db();
    issues(&conn);
    conn.execute(
        "INSERT INTO issue_dependencies VALUES ('dep_r', ?1, ?2, 'relates_to')",
        [B, A],
    )
    .unwrap();
    apply(&conn, &[dep(5, BOB, A, B)]);
    assert_eq!(edges(&conn).len(), 2);
}

/// What td writes locally for `dep add` / `dep rm`, with the seq its push got (None = not
/// pushed yet).
fn own_row(conn: &Connection, action: &str, from: &str, to: &str, seq: Option<i64>) {
    let id = format!("dep_{from}_{to}");
    let data = json!({"id":id,"issue_id":from,"depends_on_id":to,"relation_type":"depends_on"})
        .to_string();
    let (prev, new) = if action == "add_dependency" {
        (String::new(), data)
    } else {
        (data, String::new())
    };
    conn.execute(
        "INSERT INTO action_log (id, session_id, action_type, entity_type, entity_id, previous_data, new_data, timestamp, server_seq) \
         VALUES (?1, 'ses', ?2, 'issue_dependencies', ?3, ?4, ?5, ?6, ?7)",
        rusqlite::params![format!("al-{action}-{seq:?}-{from}"), action, id, prev, new, TS, seq],
    )
    .unwrap();
    if action == "add_dependency" {
        conn.execute(
            "INSERT OR REPLACE INTO issue_dependencies (id, issue_id, depends_on_id) VALUES (?1, ?2, ?3)",
            [&id, from, to],
        )
        .unwrap();
    } else {
        conn.execute("DELETE FROM issue_dependencies WHERE id = ?1", [&id])
            .unwrap();
    }
}

fn rm(seq: i64, device: &str, from: &str, to: &str) -> PullEvent {
    let id = format!("dep_{from}_{to}");
    let data = json!({"id":id,"issue_id":from,"depends_on_id":to,"relation_type":"depends_on"});
    ev(
        seq,
        device,
        "delete",
        "issue_dependencies",
        &id,
        json!({}),
        data,
    )
}

/// The log: 4 bob adds A→B, 5 alice adds B→A (closes a cycle, sorts larger: skipped),
/// 6 bob removes A→B. Its outcome is no edge at all, and every client must reach it,
/// although bob had already removed A→B locally and alice had B→A locally when they pulled.
#[test]
fn a_retracted_edge_does_not_let_the_skipped_reverse_edge_in() {
    let log = [dep(4, BOB, A, B), dep(5, ALICE, B, A), rm(6, BOB, A, B)];
    // bob: A→B pulled back already (cursor 4), then removed locally and pushed as seq 6.
    let bob = db();
    issues(&bob);
    own_row(&bob, "add_dependency", A, B, Some(4));
    own_row(&bob, "remove_dependency", A, B, Some(6));
    apply(&bob, &log[1..]);
    assert_eq!(edges(&bob), Vec::<String>::new(), "bob");
    // alice: added B→A before ever pulling A→B; pulls the whole log.
    let alice = db();
    issues(&alice);
    own_row(&alice, "add_dependency", B, A, Some(5));
    apply(&alice, &log);
    assert_eq!(edges(&alice), Vec::<String>::new(), "alice");
    // carol saw none of it locally.
    let carol = db();
    issues(&carol);
    apply(&carol, &log);
    assert_eq!(edges(&carol), Vec::<String>::new(), "carol");
}

/// An edge added locally and not pushed yet stays: the pull decides on the log's edges, but
/// never throws away a pending local change.
#[test]
fn pending_local_edge_survives_a_pull() {
    let conn = db();
    issues(&conn);
    own_row(&conn, "add_dependency", B, C, None);
    apply(&conn, &[dep(4, BOB, A, B)]);
    assert_eq!(edges(&conn), vec![format!("{A}>{B}"), format!("{B}>{C}")]);
}
