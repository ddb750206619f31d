//! parent_delete_cascade (bash test_parent_delete_cascade): soft-deleting a parent never
//! deletes its children nor clears their parent_id, on any actor — with a concurrent edit of
//! a child, with grandchildren, with many children, and through rapid delete/restore cycles.

use rand::Rng;
use rand_pcg::Pcg64;

use super::ctx::Ctx;
use super::query::text;
use super::rng;
use crate::harness::Harness;
use crate::verify::CheckResult;

/// What must hold after the final sync: `deleted` issues soft-deleted, every `(child,
/// parent)` live with its parent_id intact, and `titles` carrying their edited titles.
#[derive(Default)]
struct Expect {
    deleted: Vec<(String, String)>,
    children: Vec<(String, String, String)>,
    titles: Vec<(String, String, String)>,
}

pub fn parent_delete_cascade(h: &Harness, seed: u64) -> Vec<CheckResult> {
    let mut c = Ctx::new(h, "parent_delete_cascade");
    let mut draw = rng(seed, "parent-actors");
    let mut expect = Expect::default();
    let ok = family(&mut c, &mut draw, &mut expect, "basic", 2, false)
        && family(
            &mut c,
            &mut draw,
            &mut expect,
            "concurrent child edit",
            1,
            true,
        )
        && grandchildren(&mut c, &mut draw, &mut expect)
        && family(&mut c, &mut draw, &mut expect, "eight children", 8, false)
        && rapid_cycles(&mut c, &mut draw, &mut expect);
    if !ok || !c.sync_all("final sync") {
        return c.finish();
    }
    for (label, id) in &expect.deleted {
        c.expect_deleted_everywhere(label, id, true);
    }
    for (label, id, parent) in &expect.children {
        c.expect_deleted_everywhere(label, id, false);
        c.expect_field_everywhere(label, id, "parent_id", &text(parent));
    }
    for (label, id, title) in &expect.titles {
        c.expect_field_everywhere(label, id, "title", &text(title));
    }
    let orphans = "SELECT COUNT(*) FROM issues c WHERE c.parent_id != '' \
                   AND NOT EXISTS (SELECT 1 FROM issues p WHERE p.id = c.parent_id)";
    for actor in ["alice", "bob"] {
        c.expect_count(
            "every parent_id names an existing issue",
            actor,
            orphans,
            [],
            0,
        );
    }
    c.converge();
    c.finish()
}

fn pick(draw: &mut Pcg64) -> &'static str {
    ["alice", "bob"][draw.gen_range(0..2)]
}

fn other(actor: &str) -> &'static str {
    if actor == "alice" {
        "bob"
    } else {
        "alice"
    }
}

/// Creates `parent` and children of it as `actor`, pushes them and lets the other pull.
fn create_family(
    c: &mut Ctx<'_>,
    actor: &str,
    case: &str,
    parent: Option<&str>,
    n: usize,
) -> Option<Vec<String>> {
    let mut ids = Vec::new();
    for i in 0..n {
        let title = format!("parent-delete {case} child {i}");
        let mut args = vec!["--type", "task"];
        if let Some(p) = parent {
            args.extend(["--parent", p]);
        }
        ids.push(c.create(actor, &title, &args)?);
    }
    Some(ids)
}

fn propagate(c: &mut Ctx<'_>, actor: &str, step: &str) -> bool {
    c.sync(actor, step) && c.sync(other(actor), step)
}

/// A parent with `n` children; one actor deletes the parent, and with `edit` the other
/// concurrently retitles the first child.
fn family(
    c: &mut Ctx<'_>,
    draw: &mut Pcg64,
    e: &mut Expect,
    case: &str,
    n: usize,
    edit: bool,
) -> bool {
    let creator = pick(draw);
    let Some(parent) = c.create(
        creator,
        &format!("parent-delete {case} parent"),
        &["--type", "epic"],
    ) else {
        return false;
    };
    let Some(children) = create_family(c, creator, case, Some(&parent), n) else {
        return false;
    };
    if !propagate(c, creator, &format!("{case}: sync the family")) {
        return false;
    }
    let deleter = pick(draw);
    if c.ok(deleter, &["delete", &parent], "DELETED").is_none() {
        return false;
    }
    if edit {
        let title = format!("parent-delete {case} child edited during the delete");
        let args = ["update", &children[0], "--title", &title];
        if c.ok(other(deleter), &args, "UPDATED").is_some() {
            e.titles
                .push((format!("{case}: edited child"), children[0].clone(), title));
        }
    }
    e.deleted.push((format!("{case}: parent"), parent.clone()));
    for (i, child) in children.into_iter().enumerate() {
        e.children
            .push((format!("{case}: child {i}"), child, parent.clone()));
    }
    true
}

/// parent → child → grandchild; parent and child deleted (by different actors when drawn so).
fn grandchildren(c: &mut Ctx<'_>, draw: &mut Pcg64, e: &mut Expect) -> bool {
    let case = "grandchildren";
    let creator = pick(draw);
    let Some(top) = c.create(
        creator,
        "parent-delete grandchildren top",
        &["--type", "epic"],
    ) else {
        return false;
    };
    let Some(mid) = create_family(c, creator, "grandchildren mid", Some(&top), 1) else {
        return false;
    };
    let Some(leaf) = create_family(c, creator, "grandchildren leaf", Some(&mid[0]), 1) else {
        return false;
    };
    if !propagate(c, creator, "grandchildren: sync the family") {
        return false;
    }
    let ok = c.ok(pick(draw), &["delete", &top], "DELETED").is_some()
        && c.ok(pick(draw), &["delete", &mid[0]], "DELETED").is_some();
    e.deleted.push((format!("{case}: top"), top.clone()));
    e.deleted.push((format!("{case}: middle"), mid[0].clone()));
    e.titles.push((
        format!("{case}: middle keeps its title"),
        mid[0].clone(),
        "parent-delete grandchildren mid child 0".into(),
    ));
    e.children
        .push((format!("{case}: leaf"), leaf[0].clone(), mid[0].clone()));
    ok
}

/// Three delete/restore cycles of one parent by one actor without syncing, then a final
/// delete; the child must come through intact.
fn rapid_cycles(c: &mut Ctx<'_>, draw: &mut Pcg64, e: &mut Expect) -> bool {
    let case = "rapid cycles";
    let creator = pick(draw);
    let Some(parent) = c.create(
        creator,
        "parent-delete rapid cycles parent",
        &["--type", "epic"],
    ) else {
        return false;
    };
    let Some(child) = create_family(c, creator, case, Some(&parent), 1) else {
        return false;
    };
    if !propagate(c, creator, "rapid cycles: sync the family") {
        return false;
    }
    let actor = pick(draw);
    for _ in 0..3 {
        if c.ok(actor, &["delete", &parent], "DELETED").is_none()
            || c.ok(actor, &["restore", &parent], "RESTORED").is_none()
        {
            return false;
        }
    }
    if c.ok(actor, &["delete", &parent], "DELETED").is_none() {
        return false;
    }
    e.deleted.push((format!("{case}: parent"), parent.clone()));
    e.children
        .push((format!("{case}: child"), child[0].clone(), parent));
    true
}
