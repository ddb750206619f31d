//! `TD_ID_SEED`, the test hook that makes ids replay: one seed, one id; another seed, or
//! none, a different one.

use crate::common::{first_issue_id, Project};

/// The id `td create` prints in a fresh project, with `seed` as `TD_ID_SEED` (if any).
fn created_id(seed: Option<&str>) -> String {
    let p = Project::new();
    let mut cmd = p.command("alice", &["create", "seeded ids replay"]);
    if let Some(s) = seed {
        cmd.env("TD_ID_SEED", s);
    }
    let out = cmd.output().expect("run td");
    assert!(out.status.success(), "{out:?}");
    first_issue_id(&String::from_utf8_lossy(&out.stdout)).expect("an issue id")
}

#[test]
fn one_seed_gives_one_id_and_another_seed_another() {
    let a = created_id(Some("12345"));
    assert_eq!(a, created_id(Some("12345")), "one seed, one id");
    assert_ne!(a, created_id(Some("12346")), "another seed, another id");
}

#[test]
fn without_a_usable_seed_ids_are_random() {
    // Two unseeded creates collide only by chance (1 in 2^24).
    assert_ne!(created_id(None), created_id(None));
    assert_ne!(
        created_id(Some("not a number")),
        created_id(Some("not a number"))
    );
}
