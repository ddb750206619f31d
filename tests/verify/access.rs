//! The access check on a replica: an outsider or removed member holding an issue it may not
//! see, or a cursor past what it may read, fails with both named.

use crate::support::World;
use td_e2e::verify::access::holds_none;

#[test]
fn a_replica_holding_what_it_may_not_see_fails() {
    let w = World::new(&["outsider"]);
    let ids = vec!["td-secret".to_string()];
    let clean = holds_none(&w.path("outsider"), "outsider", &ids, 0).unwrap();
    assert!(clean.passed(), "{}", clean.details);
    w.exec(
        "outsider",
        "INSERT INTO issues (id, title) VALUES ('td-secret', 's');
         INSERT INTO sync_state (project_id, last_pulled_server_seq) VALUES ('p', 7);",
    );
    let r = holds_none(&w.path("outsider"), "outsider", &ids, 3).unwrap();
    assert!(!r.passed());
    assert!(
        r.details.contains("outsider holds issue td-secret"),
        "{}",
        r.details
    );
    assert!(
        r.details.contains("cursor is at 7, past 3"),
        "{}",
        r.details
    );
}
