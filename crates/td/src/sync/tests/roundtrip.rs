//! Two clients through the fake server: push, pull, converge (sync spec §7.9).

use super::*;

fn sync(c: &mut Client, server: &FakeServer) {
    c.push(server).unwrap();
    c.pull(server).unwrap();
}

#[test]
fn concurrent_edits_of_different_fields_converge_with_both() {
    let server = FakeServer::default();
    let (mut alice, mut bob) = (Client::new("alice"), Client::new("bob"));
    alice.create_issue("td-000001", "base");
    sync(&mut alice, &server);
    sync(&mut bob, &server);
    alice.edit_issue("td-000001", "title", "alice title");
    bob.edit_issue("td-000001", "priority", "P0");
    bob.edit_issue("td-000001", "description", "bob desc");
    for _ in 0..2 {
        sync(&mut alice, &server);
        sync(&mut bob, &server);
    }
    assert_eq!(alice.issues_text(), bob.issues_text());
    assert!(
        alice
            .issues_text()
            .contains("td-000001|alice title|bob desc|P0|open|"),
        "{}",
        alice.issues_text()
    );
}

#[test]
fn same_field_race_is_won_by_the_later_push() {
    let server = FakeServer::default();
    let (mut alice, mut bob) = (Client::new("alice"), Client::new("bob"));
    alice.create_issue("td-000001", "base");
    sync(&mut alice, &server);
    sync(&mut bob, &server);
    alice.edit_issue("td-000001", "title", "alice");
    bob.edit_issue("td-000001", "title", "bob");
    alice.push(&server).unwrap();
    bob.push(&server).unwrap();
    alice.pull(&server).unwrap();
    bob.pull(&server).unwrap();
    assert_eq!(alice.issues_text(), bob.issues_text());
    assert!(
        alice.issues_text().contains("|bob|"),
        "{}",
        alice.issues_text()
    );
}

#[test]
fn a_converged_sync_changes_nothing() {
    let server = FakeServer::default();
    let (mut alice, mut bob) = (Client::new("alice"), Client::new("bob"));
    alice.create_issue("td-000001", "a");
    bob.create_issue("td-000002", "b");
    for _ in 0..2 {
        sync(&mut alice, &server);
        sync(&mut bob, &server);
    }
    let before = (alice.issues_text(), server.log_len());
    let a = alice.push(&server).unwrap();
    let p = alice.pull(&server).unwrap();
    assert_eq!(a.lines[0].text(), "Nothing to push.");
    assert_eq!(p.lines[0].text(), "Nothing to pull.");
    assert_eq!((alice.issues_text(), server.log_len()), before);
    assert_eq!(alice.issues_text(), bob.issues_text());
}
