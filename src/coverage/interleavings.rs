//! The named interleavings a sync system breaks on, found in a run's OperationHistory from
//! evidence: what td reported as done (ok records, their args and output) and when each
//! actor synced. Nothing here trusts the engine's intent ("this was a conflict round"):
//! two writes are *concurrent* when neither actor could have seen the other's write when it
//! made its own — no push by the first writer followed by a pull of the second before the
//! second write. Every sync record counts as a push and a pull whatever its result (a
//! failed sync may still have moved events), so a fault can only hide an interleaving,
//! never invent one.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::history::{OpResult, OperationRecord};

/// The interleavings the default suite must reach somewhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Interleaving {
    /// Two actors set the same field of one issue concurrently.
    SameFieldConflict,
    /// Two actors set different fields of one issue concurrently.
    DifferentFieldConflict,
    /// One actor deletes an issue while another, unaware, writes to it.
    DeleteVsUpdate,
    /// An actor writes to an issue whose deletion another actor had already pushed, before
    /// pulling it.
    UpdateAfterRemoteDelete,
    /// Concurrent `dep add`s by two actors that together close a dependency cycle.
    DependencyCycleAcrossActors,
    /// Three actors write to one issue, pairwise concurrently.
    ThreeActorsOneIssue,
    /// `td undo` of an action the actor had already pushed.
    UndoOfSyncedAction,
    /// One push that needed several batches.
    PushAcrossBatches,
    /// One pull that needed several pages.
    PullAcrossPages,
}

impl Interleaving {
    pub const ALL: [Interleaving; 9] = [
        Interleaving::SameFieldConflict,
        Interleaving::DifferentFieldConflict,
        Interleaving::DeleteVsUpdate,
        Interleaving::UpdateAfterRemoteDelete,
        Interleaving::DependencyCycleAcrossActors,
        Interleaving::ThreeActorsOneIssue,
        Interleaving::UndoOfSyncedAction,
        Interleaving::PushAcrossBatches,
        Interleaving::PullAcrossPages,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Interleaving::SameFieldConflict => "same_field_conflict",
            Interleaving::DifferentFieldConflict => "different_field_conflict",
            Interleaving::DeleteVsUpdate => "delete_vs_update",
            Interleaving::UpdateAfterRemoteDelete => "update_after_remote_delete",
            Interleaving::DependencyCycleAcrossActors => "dependency_cycle_across_actors",
            Interleaving::ThreeActorsOneIssue => "three_actors_one_issue",
            Interleaving::UndoOfSyncedAction => "undo_of_synced_action",
            Interleaving::PushAcrossBatches => "push_across_batches",
            Interleaving::PullAcrossPages => "pull_across_pages",
        }
    }

    pub fn parse(s: &str) -> Option<Interleaving> {
        Interleaving::ALL.into_iter().find(|i| i.name() == s)
    }
}

/// How often one interleaving was reached in a run, and the first time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reached {
    pub count: u64,
    /// History seq of the operation that completed it the first time.
    pub first_seq: u64,
    /// The operations involved, the first time.
    pub example: String,
}

/// Push batch and pull page sizes td ran with (to judge "several batches / pages").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sizes {
    pub push_batch: u64,
    pub pull_limit: u64,
}

/// What one record did, as far as interleavings go.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Op {
    /// Fields (`status`, `title`, …; empty = touched without a field: a comment, a log)
    /// written on issues.
    Write {
        issues: Vec<String>,
        fields: Vec<String>,
        delete: bool,
    },
    DepAdd(String, String),
    Undo,
    /// Other undoable work that names no issue field (boards, files, dep removal).
    Undoable,
    Push,
    Pull,
    PushPull,
    /// `sync_all`: every actor pushes and pulls.
    Everyone,
    None,
}

const STATUS_VERBS: [&str; 14] = [
    "start",
    "unstart",
    "review",
    "approve",
    "reject",
    "close",
    "reopen",
    "block",
    "unblock",
    "bulk_start",
    "bulk_review",
    "bulk_close",
    "cascade_review",
    "restore",
];
const TOUCHES: [&str; 10] = [
    "comment",
    "log_progress",
    "log_blocker",
    "log_decision",
    "log_hypothesis",
    "log_result",
    "handoff",
    "cascade_handoff",
    "link",
    "board_move",
];
const UNDOABLE_OTHER: [&str; 7] = [
    "dep_rm",
    "unlink",
    "board_create",
    "board_edit",
    "board_unposition",
    "board_delete",
    "board_view_mode",
];

/// The positional issue ids of `args` after the verb (up to the first flag).
fn ids(args: &[String]) -> Vec<String> {
    args.iter()
        .skip(1)
        .take_while(|a| !a.starts_with("--"))
        .filter(|a| a.starts_with("td-"))
        .cloned()
        .collect()
}

fn op(r: &OperationRecord) -> Op {
    match r.action.as_str() {
        "sync" => return Op::PushPull,
        "sync_push" => return Op::Push,
        "sync_pull" => return Op::Pull,
        "sync_all" => return Op::Everyone,
        _ => {}
    }
    if r.result != OpResult::Ok {
        return Op::None;
    }
    let Some(args) = r.args.as_deref() else {
        return Op::None;
    };
    let a = r.action.as_str();
    let write = |fields: Vec<String>, delete: bool| Op::Write {
        issues: ids(args),
        fields,
        delete,
    };
    match a {
        "update" | "update_append" | "update_bulk" => {
            let fields = args
                .iter()
                .filter(|f| f.starts_with("--") && *f != "--append")
                .map(|f| f.trim_start_matches('-').to_string())
                .collect();
            write(fields, false)
        }
        "delete" => write(Vec::new(), true),
        "dep_add" if args.len() >= 4 => Op::DepAdd(args[2].clone(), args[3].clone()),
        "undo" => Op::Undo,
        // A new issue nobody else can know yet: undoable, never concurrent.
        "create" | "create_child" => Op::Undoable,
        _ if STATUS_VERBS.contains(&a) => write(vec!["status".into()], false),
        _ if TOUCHES.contains(&a) => Op::Write {
            issues: r
                .target_id
                .split(',')
                .filter(|t| t.starts_with("td-"))
                .map(str::to_string)
                .collect(),
            fields: Vec::new(),
            delete: false,
        },
        _ if UNDOABLE_OTHER.contains(&a) => Op::Undoable,
        _ => Op::None,
    }
}

/// Who synced when: per actor, the indexes of its push-capable and pull-capable records.
struct Syncs {
    pushes: BTreeMap<String, Vec<usize>>,
    pulls: BTreeMap<String, Vec<usize>>,
    everyone: Vec<usize>,
}

impl Syncs {
    fn new(records: &[OperationRecord], ops: &[Op]) -> Syncs {
        let mut s = Syncs {
            pushes: BTreeMap::new(),
            pulls: BTreeMap::new(),
            everyone: Vec::new(),
        };
        for (i, (r, o)) in records.iter().zip(ops).enumerate() {
            let (push, pull) = match o {
                Op::Push => (true, false),
                Op::Pull => (false, true),
                Op::PushPull => (true, true),
                Op::Everyone => {
                    s.everyone.push(i);
                    continue;
                }
                _ => continue,
            };
            if push {
                s.pushes.entry(r.actor.clone()).or_default().push(i);
            }
            if pull {
                s.pulls.entry(r.actor.clone()).or_default().push(i);
            }
        }
        s
    }

    /// The first index in `(after, before)` where `who` pushed (a sync_all counts).
    fn push_between(&self, who: &str, after: usize, before: usize) -> Option<usize> {
        first_in(self.pushes.get(who), after, before)
            .into_iter()
            .chain(first_in(Some(&self.everyone), after, before))
            .min()
    }

    /// Could `reader`, at index `j`, have seen what `writer` wrote at index `i` (< j)?
    fn visible(&self, writer: &str, i: usize, reader: &str, j: usize) -> bool {
        // A sync_all between them propagates everything.
        if first_in(Some(&self.everyone), i, j).is_some() {
            return true;
        }
        match first_in(self.pushes.get(writer), i, j) {
            Some(k) => first_in(self.pulls.get(reader), k, j).is_some(),
            None => false,
        }
    }
}

/// The first index in `list` strictly between `after` and `before`.
fn first_in(list: Option<&Vec<usize>>, after: usize, before: usize) -> Option<usize> {
    let list = list?;
    let at = list.partition_point(|&x| x <= after);
    list.get(at).copied().filter(|&x| x < before)
}

/// "Pushed N events." / "Pulled N events" in a sync's output.
fn counted(output: &str, prefix: &str) -> Option<u64> {
    output.lines().find_map(|l| {
        let rest = l.trim().strip_prefix(prefix)?;
        rest.split_whitespace().next()?.parse().ok()
    })
}

fn describe(r: &OperationRecord) -> String {
    let args = r
        .args
        .as_ref()
        .map(|a| {
            let short: Vec<String> = a.iter().take(4).map(|x| clip(x)).collect();
            short.join(" ")
        })
        .unwrap_or_default();
    format!("#{} {} {}", r.seq, r.actor, args)
}

/// An argument on one line, cut to 24 characters (comments and descriptions are long).
fn clip(arg: &str) -> String {
    let flat = arg.replace(['\n', '\r', '\t'], " ");
    let mut chars = flat.chars();
    let head: String = chars.by_ref().take(24).collect();
    if chars.next().is_some() {
        format!("{head}…")
    } else {
        head
    }
}

/// Every named interleaving `records` (one run's history, in seq order) shows.
pub fn detect(records: &[OperationRecord], sizes: Sizes) -> BTreeMap<Interleaving, Reached> {
    let ops: Vec<Op> = records.iter().map(op).collect();
    let syncs = Syncs::new(records, &ops);
    let mut found = Found::default();
    batches_and_pages(records, sizes, &mut found);
    let writes: Vec<usize> = (0..ops.len())
        .filter(|&i| matches!(ops[i], Op::Write { .. }))
        .collect();
    let concurrent = |i: usize, j: usize| {
        let (a, b) = (&records[i].actor, &records[j].actor);
        a != b && !syncs.visible(a, i, b, j)
    };
    for (x, &i) in writes.iter().enumerate() {
        for &j in &writes[x + 1..] {
            if !concurrent(i, j) {
                continue;
            }
            let (
                Op::Write {
                    issues: ia,
                    fields: fa,
                    delete: da,
                },
                Op::Write {
                    issues: ib,
                    fields: fb,
                    delete: db,
                },
            ) = (&ops[i], &ops[j])
            else {
                continue;
            };
            let Some(issue) = ia.iter().find(|id| ib.contains(id)) else {
                continue;
            };
            let example = || {
                format!(
                    "{} / {} on {issue}",
                    describe(&records[i]),
                    describe(&records[j])
                )
            };
            let seq = records[j].seq;
            if *da && !*db {
                let pushed = syncs.push_between(&records[i].actor, i, j).is_some();
                let kind = if pushed {
                    Interleaving::UpdateAfterRemoteDelete
                } else {
                    Interleaving::DeleteVsUpdate
                };
                found.add(kind, seq, example);
            } else if *db && !*da {
                found.add(Interleaving::DeleteVsUpdate, seq, example);
            } else if !fa.is_empty() && !fb.is_empty() {
                if fa.iter().any(|f| fb.contains(f)) {
                    found.add(Interleaving::SameFieldConflict, seq, example);
                } else {
                    found.add(Interleaving::DifferentFieldConflict, seq, example);
                }
            }
            for &k in writes.iter().filter(|&&k| k > j) {
                let Op::Write { issues: ic, .. } = &ops[k] else {
                    continue;
                };
                if ic.contains(issue) && concurrent(i, k) && concurrent(j, k) {
                    let ex = format!(
                        "{} / {} / {} on {issue}",
                        describe(&records[i]),
                        describe(&records[j]),
                        describe(&records[k])
                    );
                    found.add(Interleaving::ThreeActorsOneIssue, records[k].seq, || ex);
                }
            }
        }
    }
    dependency_cycles(records, &ops, &concurrent, &mut found);
    synced_undos(records, &ops, &syncs, &mut found);
    found.0
}

#[derive(Default)]
struct Found(BTreeMap<Interleaving, Reached>);

impl Found {
    fn add(&mut self, kind: Interleaving, seq: u64, example: impl FnOnce() -> String) {
        match self.0.get_mut(&kind) {
            Some(r) => r.count += 1,
            None => {
                self.0.insert(
                    kind,
                    Reached {
                        count: 1,
                        first_seq: seq,
                        example: example(),
                    },
                );
            }
        }
    }
}

fn batches_and_pages(records: &[OperationRecord], sizes: Sizes, found: &mut Found) {
    for r in records.iter().filter(|r| r.action.starts_with("sync")) {
        if let Some(n) = counted(&r.output, "Pushed ").filter(|&n| n > sizes.push_batch) {
            let ex = || {
                format!(
                    "#{} {} pushed {n} events in batches of {}",
                    r.seq, r.actor, sizes.push_batch
                )
            };
            found.add(Interleaving::PushAcrossBatches, r.seq, ex);
        }
        if let Some(n) = counted(&r.output, "Pulled ").filter(|&n| n > sizes.pull_limit) {
            let ex = || {
                format!(
                    "#{} {} pulled {n} events in pages of {}",
                    r.seq, r.actor, sizes.pull_limit
                )
            };
            found.add(Interleaving::PullAcrossPages, r.seq, ex);
        }
    }
}

/// Concurrent `dep add`s by different actors whose edges, with every dependency added in
/// the run, lie on one cycle.
fn dependency_cycles(
    records: &[OperationRecord],
    ops: &[Op],
    concurrent: &dyn Fn(usize, usize) -> bool,
    found: &mut Found,
) {
    let adds: Vec<(usize, &str, &str)> = ops
        .iter()
        .enumerate()
        .filter_map(|(i, o)| match o {
            Op::DepAdd(a, b) => Some((i, a.as_str(), b.as_str())),
            _ => None,
        })
        .collect();
    let mut graph: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (_, a, b) in &adds {
        graph.entry(a).or_default().insert(b);
    }
    let reaches = |from: &str, to: &str| -> bool {
        let mut seen = BTreeSet::new();
        let mut stack = vec![from];
        while let Some(n) = stack.pop() {
            if n == to {
                return true;
            }
            if seen.insert(n) {
                stack.extend(graph.get(n).into_iter().flatten().copied());
            }
        }
        false
    };
    for (x, &(i, a, b)) in adds.iter().enumerate() {
        for &(j, c, d) in &adds[x + 1..] {
            if concurrent(i, j) && reaches(b, c) && reaches(d, a) {
                let ex = || format!("{} / {}", describe(&records[i]), describe(&records[j]));
                found.add(
                    Interleaving::DependencyCycleAcrossActors,
                    records[j].seq,
                    ex,
                );
            }
        }
    }
}

/// An ok `td undo` whose actor had pushed after its newest undoable action before it.
fn synced_undos(records: &[OperationRecord], ops: &[Op], syncs: &Syncs, found: &mut Found) {
    let undoable = |o: &Op| {
        matches!(o, Op::Undo | Op::Undoable | Op::DepAdd(..))
            || matches!(o, Op::Write { fields, delete, .. } if !fields.is_empty() || *delete)
    };
    for (j, o) in ops.iter().enumerate() {
        if *o != Op::Undo {
            continue;
        }
        let actor = &records[j].actor;
        let last = (0..j)
            .rev()
            .find(|&i| records[i].actor == *actor && undoable(&ops[i]));
        if let Some(i) = last {
            if syncs.push_between(actor, i, j).is_some() {
                let ex = || {
                    let what = records[j]
                        .output
                        .lines()
                        .next()
                        .unwrap_or("")
                        .trim()
                        .to_string();
                    format!(
                        "{} then {} ({what})",
                        describe(&records[i]),
                        describe(&records[j])
                    )
                };
                found.add(Interleaving::UndoOfSyncedAction, records[j].seq, ex);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SIZES: Sizes = Sizes {
        push_batch: 3,
        pull_limit: 4,
    };

    /// A history from `(actor, action, args, output)`, seqs 1, 2, …, every op ok.
    fn history(ops: &[(&str, &str, &str, &str)]) -> Vec<OperationRecord> {
        ops.iter()
            .enumerate()
            .map(|(i, (actor, action, args, output))| {
                let mut r = OperationRecord::new(action, actor, OpResult::Ok);
                r.seq = i as u64 + 1;
                r.args = (!args.is_empty()).then(|| args.split(' ').map(str::to_string).collect());
                r.target_id = r
                    .args
                    .as_ref()
                    .and_then(|a| a.iter().find(|x| x.starts_with("td-")).cloned())
                    .unwrap_or_default();
                r.output = output.to_string();
                r
            })
            .collect()
    }

    fn kinds(ops: &[(&str, &str, &str, &str)]) -> Vec<Interleaving> {
        detect(&history(ops), SIZES).into_keys().collect()
    }

    #[test]
    fn same_and_different_field_writes_between_syncs_conflict() {
        let ops = [
            ("alice", "update", "update td-1 --title a", ""),
            ("bob", "update", "update td-1 --title b", ""),
            ("bob", "update", "update td-1 --priority P1", ""),
        ];
        let found = detect(&history(&ops), SIZES);
        assert_eq!(
            found.keys().copied().collect::<Vec<_>>(),
            [
                Interleaving::SameFieldConflict,
                Interleaving::DifferentFieldConflict
            ]
        );
        assert_eq!(found[&Interleaving::SameFieldConflict].first_seq, 2);
        assert!(found[&Interleaving::SameFieldConflict]
            .example
            .contains("#1 alice update td-1 --title a / #2 bob update td-1 --title b on td-1"));
    }

    #[test]
    fn a_write_seen_through_push_then_pull_is_not_concurrent() {
        let seen = [
            ("alice", "update", "update td-1 --title a", ""),
            ("alice", "sync", "sync", "Pushed 1 events."),
            ("bob", "sync", "sync", "Pulled 1 events (1 applied)."),
            ("bob", "update", "update td-1 --title b", ""),
        ];
        assert_eq!(kinds(&seen), []);
        // Pull before the push: bob could not have seen it.
        let unseen = [
            ("alice", "update", "update td-1 --title a", ""),
            ("bob", "sync_pull", "sync --pull", ""),
            ("alice", "sync_push", "sync --push", ""),
            ("bob", "update", "update td-1 --title b", ""),
        ];
        assert_eq!(kinds(&unseen), [Interleaving::SameFieldConflict]);
        let everyone = [
            ("alice", "update", "update td-1 --title a", ""),
            ("*", "sync_all", "", ""),
            ("bob", "update", "update td-1 --title b", ""),
        ];
        assert_eq!(kinds(&everyone), []);
    }

    #[test]
    fn refused_or_same_actor_writes_are_no_conflict() {
        let mut h = history(&[
            ("alice", "update", "update td-1 --title a", ""),
            ("bob", "update", "update td-1 --title b", ""),
            ("alice", "update", "update td-1 --title c", ""),
        ]);
        h[1].result = OpResult::ExpectedFail;
        assert!(detect(&h, SIZES).is_empty());
    }

    #[test]
    fn deletes_before_and_after_the_deleters_push() {
        let offline = [
            ("alice", "delete", "delete td-1", ""),
            ("bob", "comment", "comments add td-1 hi", ""),
        ];
        assert_eq!(kinds(&offline), [Interleaving::DeleteVsUpdate]);
        let pushed = [
            ("alice", "delete", "delete td-1", ""),
            ("alice", "sync", "sync", ""),
            ("bob", "update", "update td-1 --title late", ""),
        ];
        assert_eq!(kinds(&pushed), [Interleaving::UpdateAfterRemoteDelete]);
        let update_first = [
            ("bob", "update", "update td-1 --title early", ""),
            ("alice", "delete", "delete td-1", ""),
        ];
        assert_eq!(kinds(&update_first), [Interleaving::DeleteVsUpdate]);
    }

    #[test]
    fn three_actors_on_one_issue_need_pairwise_concurrency() {
        let three = [
            ("alice", "update", "update td-1 --title a", ""),
            ("bob", "start", "start td-1 --reason r", ""),
            ("carol", "comment", "comments add td-1 x", ""),
        ];
        assert!(kinds(&three).contains(&Interleaving::ThreeActorsOneIssue));
        let carol_saw_alice = [
            ("alice", "update", "update td-1 --title a", ""),
            ("alice", "sync", "sync", ""),
            ("carol", "sync", "sync", ""),
            ("bob", "start", "start td-1 --reason r", ""),
            ("carol", "comment", "comments add td-1 x", ""),
        ];
        assert!(!kinds(&carol_saw_alice).contains(&Interleaving::ThreeActorsOneIssue));
    }

    #[test]
    fn concurrent_dep_adds_closing_a_cycle() {
        let two = [
            ("alice", "dep_add", "dep add td-1 td-2", ""),
            ("bob", "dep_add", "dep add td-2 td-1", ""),
        ];
        assert_eq!(kinds(&two), [Interleaving::DependencyCycleAcrossActors]);
        let longer = [
            ("alice", "dep_add", "dep add td-2 td-3", ""),
            ("alice", "dep_add", "dep add td-1 td-2", ""),
            ("alice", "sync", "sync", ""),
            ("bob", "sync", "sync", ""),
            ("bob", "dep_add", "dep add td-3 td-1", ""),
        ];
        assert_eq!(
            kinds(&longer),
            [],
            "bob saw alice's edges: td refuses or knows"
        );
        let no_cycle = [
            ("alice", "dep_add", "dep add td-1 td-2", ""),
            ("bob", "dep_add", "dep add td-2 td-3", ""),
        ];
        assert_eq!(kinds(&no_cycle), []);
    }

    #[test]
    fn an_undo_after_pushing_the_undone_action() {
        let synced = [
            ("alice", "update", "update td-1 --title a", ""),
            ("alice", "comment", "comments add td-1 x", ""),
            ("alice", "sync_push", "sync --push", "Pushed 2 events."),
            ("alice", "undo", "undo", "UNDONE: update issue td-1"),
        ];
        assert_eq!(kinds(&synced), [Interleaving::UndoOfSyncedAction]);
        let local = [
            ("alice", "sync", "sync", ""),
            ("alice", "update", "update td-1 --title a", ""),
            ("alice", "undo", "undo", "UNDONE: update issue td-1"),
        ];
        assert_eq!(kinds(&local), []);
        let other_pushed = [
            ("alice", "update", "update td-1 --title a", ""),
            ("bob", "sync", "sync", ""),
            ("alice", "undo", "undo", "UNDONE: update issue td-1"),
        ];
        assert_eq!(kinds(&other_pushed), []);
    }

    #[test]
    fn batches_and_pages_need_more_events_than_one_request_carries() {
        let ops = [
            (
                "alice",
                "sync",
                "sync",
                "Pushed 3 events.\nPulled 4 events (4 applied).",
            ),
            ("bob", "sync_push", "sync --push", "Pushed 4 events."),
            (
                "bob",
                "sync_pull",
                "sync --pull",
                "Pulled 9 events (9 applied).",
            ),
        ];
        let found = detect(&history(&ops), SIZES);
        assert_eq!(
            found.keys().copied().collect::<Vec<_>>(),
            [
                Interleaving::PushAcrossBatches,
                Interleaving::PullAcrossPages
            ]
        );
        assert_eq!(found[&Interleaving::PushAcrossBatches].first_seq, 2);
        assert_eq!(
            found[&Interleaving::PullAcrossPages].example,
            "#3 bob pulled 9 events in pages of 4"
        );
    }

    #[test]
    fn names_round_trip() {
        for k in Interleaving::ALL {
            assert_eq!(Interleaving::parse(k.name()), Some(k));
        }
    }
}
