//! Issue lifecycles: rapid_create_delete (spec §6.4) and create_delete_recreate (bash
//! test_create_delete_recreate). Both track the deleted-ness every issue must have and assert
//! it per issue on every actor — a delete that does not stick (tombstone violation) or a
//! restore that is lost fails.

use rand::seq::SliceRandom;
use rand::Rng;
use rand_pcg::Pcg64;

use super::ctx::Ctx;
use super::rng;
use crate::driver::Driver;
use crate::engine::random::DataGen;
use crate::harness::Harness;
use crate::verify::CheckResult;

/// An issue by position, with the deleted-ness it must have after the next full sync.
struct Tracked {
    label: String,
    id: String,
    deleted: bool,
}

/// One result per actor: every tracked issue has its expected deleted-ness.
fn expect_states(c: &mut Ctx<'_>, stage: &str, issues: &[Tracked]) {
    for actor in c.harness().actors() {
        let mut wrong = Vec::new();
        for t in issues {
            match c.deleted(&actor, &t.id) {
                Ok(Some(d)) if d == t.deleted => {}
                Ok(Some(d)) => wrong.push(format!(
                    "{} ({}) deleted={d}, expected {}",
                    t.label, t.id, t.deleted
                )),
                Ok(None) => wrong.push(format!("{} ({}) is missing", t.label, t.id)),
                Err(e) => {
                    c.unknown(&format!("{stage}: deleted states [{actor}]"), e.to_string());
                    return;
                }
            }
        }
        let deleted = issues.iter().filter(|t| t.deleted).count();
        let ok = format!(
            "{} issues: {deleted} deleted, {} live, as expected",
            issues.len(),
            issues.len() - deleted
        );
        let details = if wrong.is_empty() {
            ok
        } else {
            wrong.join("; ")
        };
        c.check(
            &format!("{stage}: deleted states [{actor}]"),
            wrong.is_empty(),
            details,
        );
    }
}

const RAPID: usize = 10;

pub fn rapid_create_delete(h: &Harness, seed: u64) -> Vec<CheckResult> {
    let mut c = Ctx::new(h, "rapid_create_delete");
    let Some(mut issues) = create_rapid(&mut c) else {
        return c.finish();
    };
    let mut actor = rng(seed, "rapid-actors");
    for (stage, verb, targets) in rapid_plan(seed) {
        for i in targets {
            let who = pick_actor(&mut actor);
            let marker = if verb == "delete" {
                "DELETED"
            } else {
                "RESTORED"
            };
            if c.ok(who, &[verb, &issues[i].id], marker).is_some() {
                issues[i].deleted = verb == "delete";
            }
        }
        if !c.sync_all(&format!("sync {stage}")) {
            return c.finish();
        }
        expect_states(&mut c, stage, &issues);
        c.converge_stage(stage, &["alice", "bob"]);
    }
    c.finish()
}

/// alice creates the ten issues; `None` (after a failed result) unless all ten exist.
fn create_rapid(c: &mut Ctx<'_>) -> Option<Vec<Tracked>> {
    let mut issues = Vec::new();
    for i in 0..RAPID {
        let title = format!("rapid-create-delete-{i}");
        if let Some(id) = c.create("alice", &title, &["--type", "task", "--priority", "P2"]) {
            let label = format!("issue {i}");
            issues.push(Tracked {
                label,
                id,
                deleted: false,
            });
        }
    }
    let created = format!("created {}/{RAPID}", issues.len());
    c.check("create phase", issues.len() == RAPID, created)
        .then_some(issues)
}

/// The four stages: (name, verb, issue positions). Deletes all, restores five drawn from the
/// seed, re-deletes three of those.
fn rapid_plan(seed: u64) -> [(&'static str, &'static str, Vec<usize>); 4] {
    let all: Vec<usize> = (0..RAPID).collect();
    let mut restored = all.clone();
    restored.shuffle(&mut rng(seed, "rapid-targets"));
    restored.truncate(5);
    let redeleted = restored[..3].to_vec();
    [
        ("after creates", "", vec![]),
        ("after deletes", "delete", all),
        ("after restores", "restore", restored),
        ("after re-deletes", "delete", redeleted),
    ]
}

const CYCLES: usize = 8;
const RACES: usize = 5;
const BIASED: usize = 20;

pub fn create_delete_recreate(h: &Harness, seed: u64) -> Vec<CheckResult> {
    let mut c = Ctx::new(h, "create_delete_recreate");
    let mut data = DataGen::new(rng(seed, "recreate-data"));
    let mut draw = rng(seed, "recreate-choices");
    let mut issues = Vec::new();
    cycles(&mut c, &mut data, &mut draw, &mut issues);
    races(&mut c, &mut draw, &mut issues);
    biased(&mut c, &mut data, &mut draw, &mut issues);
    if c.sync_all("final sync") {
        expect_states(&mut c, "final", &issues);
        c.converge();
    }
    c.finish()
}

fn other(actor: &str) -> &'static str {
    if actor == "alice" {
        "bob"
    } else {
        "alice"
    }
}

fn pick_actor(draw: &mut Pcg64) -> &'static str {
    ["alice", "bob"][draw.gen_range(0..2)]
}

/// `actor` pushes, then the other pulls.
fn propagate(c: &mut Ctx<'_>, actor: &str, step: &str) -> bool {
    c.sync(actor, step) && c.sync(other(actor), step)
}

/// create → sync → delete → sync → recreate with a similar title (15 % edge titles).
fn cycles(c: &mut Ctx<'_>, data: &mut DataGen, draw: &mut Pcg64, issues: &mut Vec<Tracked>) {
    for k in 0..CYCLES {
        let (creator, deleter) = (pick_actor(draw), pick_actor(draw));
        let title = data.title(150).value;
        let Some(id) = c.create(creator, &title, &[]) else {
            continue;
        };
        issues.push(Tracked {
            label: format!("cycle {k} original"),
            id: id.clone(),
            deleted: false,
        });
        if !propagate(c, creator, &format!("cycle {k}: sync the create")) {
            return;
        }
        if c.ok(deleter, &["delete", &id], "DELETED").is_some() {
            issues.last_mut().expect("pushed").deleted = true;
        }
        if !propagate(c, deleter, &format!("cycle {k}: sync the delete")) {
            return;
        }
        let again = format!("{title} (recreated)");
        if let Some(id) = c.create(other(deleter), &again, &[]) {
            issues.push(Tracked {
                label: format!("cycle {k} recreated"),
                id,
                deleted: false,
            });
        }
    }
}

/// One actor deletes a synced issue while the other, unaware, edits it and creates its
/// replacement; the delete must stick and both the edit and the replacement must arrive.
fn races(c: &mut Ctx<'_>, draw: &mut Pcg64, issues: &mut Vec<Tracked>) {
    for k in 0..RACES {
        let title = format!("delete-vs-create race {k}");
        let Some(id) = c.create("alice", &title, &[]) else {
            continue;
        };
        if !propagate(c, "alice", &format!("race {k}: sync the shared issue")) {
            return;
        }
        let deleter = pick_actor(draw);
        let editor = other(deleter);
        let edited = format!("{title} edited while deleted");
        let deleted = c.ok(deleter, &["delete", &id], "DELETED").is_some();
        let edit_ok = c
            .ok(editor, &["update", &id, "--title", &edited], "UPDATED")
            .is_some();
        let replacement = c.create(editor, &title, &[]);
        let first = if draw.gen_bool(0.5) { deleter } else { editor };
        if !(propagate(c, first, &format!("race {k}: {first} pushes first"))
            && c.sync_all(&format!("race {k}: sync_all")))
        {
            return;
        }
        if edit_ok {
            c.expect_field_everywhere(
                &format!("race {k}: the unaware edit arrived"),
                &id,
                "title",
                &super::query::text(&edited),
            );
        }
        issues.push(Tracked {
            label: format!("race {k} shared"),
            id,
            deleted,
        });
        if let Some(id) = replacement {
            issues.push(Tracked {
                label: format!("race {k} replacement"),
                id,
                deleted: false,
            });
        }
    }
}

/// 30 % create, 20 % delete, 10 % restore, 40 % update by a random actor; each pushed at
/// once and pulled by the other, so program order is server order and the expected state is
/// that of the last delete or restore.
fn biased(c: &mut Ctx<'_>, data: &mut DataGen, draw: &mut Pcg64, issues: &mut Vec<Tracked>) {
    for k in 0..BIASED {
        let actor = pick_actor(draw);
        biased_action(c, data, draw, issues, actor, k);
        if !propagate(c, actor, &format!("biased action {k}: sync")) {
            return;
        }
    }
}

fn biased_action(
    c: &mut Ctx<'_>,
    data: &mut DataGen,
    draw: &mut Pcg64,
    issues: &mut Vec<Tracked>,
    actor: &str,
    k: usize,
) {
    let roll = draw.gen_range(0..100);
    let positions = |deleted: bool| -> Vec<usize> {
        (0..issues.len())
            .filter(|&i| issues[i].deleted == deleted)
            .collect()
    };
    let (live, dead) = (positions(false), positions(true));
    let (verb, from) = match roll {
        30..=49 if !live.is_empty() => ("delete", live),
        50..=59 if !dead.is_empty() => ("restore", dead),
        60.. if !live.is_empty() => ("update", live),
        _ => ("create", Vec::new()),
    };
    let title = data.title(150).value;
    let Some(&i) = from.get(draw.gen_range(0..from.len().max(1))) else {
        if let Some(id) = c.create(actor, &title, &[]) {
            let label = format!("biased {k} create");
            issues.push(Tracked {
                label,
                id,
                deleted: false,
            });
        }
        return;
    };
    let id = issues[i].id.clone();
    let done = match verb {
        "delete" => c.ok(actor, &["delete", &id], "DELETED"),
        "restore" => c.ok(actor, &["restore", &id], "RESTORED"),
        _ => c.ok(actor, &["update", &id, "--title", &title], "UPDATED"),
    };
    if done.is_some() && verb != "update" {
        issues[i].deleted = verb == "delete";
    }
}
