//! The quarantine check: a replica holding a skipped remote event fails unless the case
//! declared that kind; the clean world passes.

use crate::support::{assert_invalid, synced_world};
use td_e2e::verify::hygiene::quarantine;

const SKIP: &str = "INSERT INTO sync_skipped_events (server_seq, device_id, action_type, \
                    entity_type, entity_id, reason, error) VALUES (42, 'dev-bob', \
                    'add_dependency', 'issue_dependencies', 'dep_1', 'orphan', 'no issue td-9')";

#[test]
fn no_skipped_event_passes() {
    let w = synced_world();
    let r = quarantine(&w.dbs, &[]);
    assert!(r.passed(), "{}", r.details);
}

#[test]
fn an_undeclared_skipped_event_fails_naming_replica_and_row() {
    let w = synced_world();
    w.exec("bob", SKIP);
    let r = quarantine(&w.dbs, &[]);
    assert_invalid(&r, &["bob:", "add_dependency", "dep_1", "orphan"]);
}

#[test]
fn a_declared_kind_is_allowed_and_counted() {
    let w = synced_world();
    w.exec("bob", SKIP);
    let r = quarantine(&w.dbs, &["issue_dependencies".to_string()]);
    assert!(r.passed(), "{}", r.details);
    assert!(r.details.contains("1 declared"), "{}", r.details);
    let r = quarantine(&w.dbs, &["create:issue_dependencies".to_string()]);
    assert!(!r.passed(), "another action of the kind is not declared");
}
