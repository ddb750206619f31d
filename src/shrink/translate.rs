//! From a recorded run to `steps`: every td command, sync and replayable fault of the
//! OperationHistory becomes one step, in history order. Ids a command created become
//! `save = "iN"` on that step and `{iN}` wherever later steps use them, so the steps run in
//! any world. What cannot be replayed as a step is counted and named, never silently lost.

use std::collections::BTreeMap;

use crate::case::{ConcurrentTd, Expect, FaultStep, Step, StepAction, SyncTarget};
use crate::engine::extract_created_id;
use crate::faults::{Fault, FaultKind, PartitionMode};
use crate::history::{OpResult, OperationRecord};

/// The steps of a history and what was left out.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Translation {
    pub steps: Vec<Step>,
    /// Per left-out action (`fault:lost_response`, …): how many records.
    pub dropped: BTreeMap<String, usize>,
}

/// A step without a file line (the shrinker makes it).
pub fn step(action: StepAction) -> Step {
    Step { line: 0, action }
}

/// Translates `records` (in history order).
pub fn translate(records: &[OperationRecord]) -> Translation {
    let mut t = Translation::default();
    let mut names: Vec<(String, String)> = Vec::new();
    let kept: Vec<&OperationRecord> = records
        .iter()
        .filter(|r| r.result != OpResult::Skip)
        .collect();
    for group in overlapping(&kept) {
        if let [r] = group.as_slice() {
            match action_of(r, &mut names) {
                Some(a) => t.steps.push(step(a)),
                None => *t.dropped.entry(r.action.clone()).or_default() += 1,
            }
            continue;
        }
        // Truly concurrent commands: one `concurrent` step (ids they create cannot be
        // saved: which command printed which id is a race).
        let cmds: Vec<ConcurrentTd> = group
            .iter()
            .filter_map(|r| {
                let args = r.args.as_ref().filter(|a| !a.is_empty())?;
                Some(ConcurrentTd {
                    actor: r.actor.clone(),
                    args: args.iter().map(|a| with_placeholders(a, &names)).collect(),
                })
            })
            .collect();
        for r in group
            .iter()
            .filter(|r| r.args.as_ref().is_none_or(Vec::is_empty))
        {
            *t.dropped.entry(r.action.clone()).or_default() += 1;
        }
        match cmds.len() {
            0 => {}
            1 => t.steps.push(step(StepAction::Td {
                actor: cmds[0].actor.clone(),
                args: cmds[0].args.clone(),
                save: None,
                expect: Expect::Any,
                output_contains: None,
            })),
            _ => t.steps.push(step(StepAction::Concurrent(cmds))),
        }
    }
    t
}

/// When a record's operation started and ended, from its timestamp (taken when it ended)
/// and its duration.
fn span(r: &OperationRecord) -> Option<(i64, i64)> {
    let end = chrono::DateTime::parse_from_rfc3339(&r.timestamp)
        .ok()?
        .timestamp_nanos_opt()?;
    let start = end - i64::try_from(r.duration_ns).ok()?;
    Some((start, end))
}

/// Consecutive td commands whose run times overlap form one group (they ran at once) when
/// their order could matter: a sync is among them, or one actor ran twice. Local commands of
/// different actors commute (each touches only its own database; chaos runs them at once in
/// parallel lanes), so they stay steps of their own. Every other record is a group of its
/// own; records without a readable time never group.
fn overlapping<'r>(records: &[&'r OperationRecord]) -> Vec<Vec<&'r OperationRecord>> {
    let mut out: Vec<Vec<&OperationRecord>> = Vec::new();
    let mut group_end: Option<i64> = None;
    for r in records {
        let is_td = r.args.as_ref().is_some_and(|a| !a.is_empty()) && r.duration_ns > 0;
        let sp = span(r).filter(|_| is_td);
        match (sp, group_end, out.last_mut()) {
            (Some((start, end)), Some(g), Some(last)) if start < g && order_matters(last, r) => {
                last.push(r);
                group_end = Some(g.max(end));
            }
            _ => {
                out.push(vec![r]);
                group_end = sp.map(|(_, end)| end);
            }
        }
    }
    out
}

/// Whether running `r` at once with `group` can end differently from running them in turn.
fn order_matters(group: &[&OperationRecord], r: &OperationRecord) -> bool {
    talks_to_server(r)
        || group
            .iter()
            .any(|g| talks_to_server(g) || g.actor == r.actor)
}

/// td verbs that reach the server (everything else touches only the actor's database).
fn talks_to_server(r: &OperationRecord) -> bool {
    let verb = r.args.as_ref().and_then(|a| a.first()).map(String::as_str);
    r.action.starts_with("sync") || matches!(verb, Some("sync" | "sync-project" | "sp" | "auth"))
}

/// `ok` for operations that succeeded, `any` for the rest (an expected refusal, or an
/// outcome a fault made unknown) and for `td undo`: what it reverts may be gone in a replay
/// (td's ids are random, and id-ordered tie-breaks such as the cycle rule can then keep the
/// other edge), and its refusal is not the failure being shrunk.
fn expect_of(r: &OperationRecord) -> Expect {
    let undo = r.args.as_ref().and_then(|a| a.first()).map(String::as_str) == Some("undo");
    if r.result == OpResult::Ok && !undo {
        Expect::Ok
    } else {
        Expect::Any
    }
}

fn action_of(r: &OperationRecord, names: &mut Vec<(String, String)>) -> Option<StepAction> {
    match r.action.as_str() {
        "sync" => Some(StepAction::Sync {
            target: SyncTarget::Actor(r.actor.clone()),
            expect: expect_of(r),
        }),
        "sync_all" => Some(StepAction::Sync {
            target: SyncTarget::All,
            expect: expect_of(r),
        }),
        a if a.starts_with("heal:") => Some(StepAction::Heal),
        a if a.starts_with("fault:") => fault_of(&a["fault:".len()..], r),
        _ => {
            let args = r.args.as_ref().filter(|a| !a.is_empty())?;
            let args = args.iter().map(|a| with_placeholders(a, names)).collect();
            let save = extract_created_id(&r.output).map(|id| {
                let name = format!("i{}", names.len() + 1);
                names.push((id, name.clone()));
                name
            });
            Some(StepAction::Td {
                actor: r.actor.clone(),
                args,
                save,
                expect: expect_of(r),
                output_contains: None,
            })
        }
    }
}

/// `arg` with every id saved so far replaced by its `{name}`.
fn with_placeholders(arg: &str, names: &[(String, String)]) -> String {
    let mut out = arg.to_string();
    // Longest ids first, so no id is replaced inside a longer one.
    let mut by_len: Vec<&(String, String)> = names.iter().collect();
    by_len.sort_by_key(|(id, _)| std::cmp::Reverse(id.len()));
    for (id, name) in by_len {
        out = out.replace(id.as_str(), &format!("{{{name}}}"));
    }
    out
}

/// The fault steps a steps case can replay exactly: partitions, server restarts and
/// pauses, clock skew. Per-request firings (lost answers, resets, injected statuses, kills
/// in flight, busy databases) happened by chance inside one request and are left out.
fn fault_of(kind: &str, r: &OperationRecord) -> Option<StepAction> {
    let invoke = |f: Fault| Some(StepAction::Fault(FaultStep::Invoke(f)));
    match FaultKind::parse(kind)? {
        FaultKind::ServerRestart => Some(StepAction::Fault(FaultStep::RestartServer)),
        FaultKind::ServerPause => invoke(Fault::ServerPause),
        FaultKind::Partition => {
            // "partition <actor> (<mode>)"
            let rest = r.output.strip_prefix("partition ")?;
            let (actor, mode) = rest.split_once(" (")?;
            let mode = PartitionMode::parse(mode.strip_suffix(')')?)?;
            invoke(Fault::Partition {
                actor: actor.to_string(),
                mode,
            })
        }
        FaultKind::ClockSkew => {
            // "clock of <actor> at <offset>"
            let rest = r.output.strip_prefix("clock of ")?;
            let (actor, offset) = rest.split_once(" at ")?;
            invoke(Fault::ClockSkew {
                actor: actor.to_string(),
                offset_secs: parse_offset_text(offset)?,
            })
        }
        _ => None,
    }
}

/// Reads back `format_offset`'s `+2d3h` text.
fn parse_offset_text(s: &str) -> Option<i64> {
    let (sign, mut rest) = match s.as_bytes().first()? {
        b'+' => (1, &s[1..]),
        b'-' => (-1, &s[1..]),
        _ => return None,
    };
    let mut total = 0i64;
    while !rest.is_empty() {
        let digits = rest.chars().take_while(char::is_ascii_digit).count();
        let n: i64 = rest[..digits].parse().ok()?;
        let unit = rest[digits..].chars().next()?;
        total += n * match unit {
            'd' => 86_400,
            'h' => 3_600,
            'm' => 60,
            's' => 1,
            _ => return None,
        };
        rest = &rest[digits + 1..];
    }
    Some(sign * total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::faults::format_offset;

    fn rec(
        action: &str,
        actor: &str,
        args: &[&str],
        output: &str,
        result: OpResult,
    ) -> OperationRecord {
        let mut r = OperationRecord::new(action, actor, result);
        r.args = (!args.is_empty()).then(|| args.iter().map(|s| s.to_string()).collect());
        r.output = output.into();
        r
    }

    #[test]
    fn ids_become_placeholders_and_skips_vanish() {
        let h = vec![
            rec(
                "create",
                "alice",
                &["create", "a title", "--type", "bug"],
                "CREATED td-ab12cd\n",
                OpResult::Ok,
            ),
            rec("delete", "bob", &[], "", OpResult::Skip),
            rec("sync", "alice", &["sync"], "Pushed 1 events.", OpResult::Ok),
            rec(
                "create",
                "bob",
                &["create", "child", "--parent", "td-ab12cd"],
                "CREATED td-0000ff\n",
                OpResult::Ok,
            ),
            rec(
                "close",
                "bob",
                &["close", "td-0000ff", "--reason", "x"],
                "",
                OpResult::ExpectedFail,
            ),
            rec("sync_all", "*", &[], "", OpResult::Ok),
        ];
        let t = translate(&h);
        assert_eq!(t.steps.len(), 5);
        assert!(t.dropped.is_empty());
        let StepAction::Td { save, .. } = &t.steps[0].action else {
            panic!()
        };
        assert_eq!(save.as_deref(), Some("i1"));
        let StepAction::Td { args, save, .. } = &t.steps[2].action else {
            panic!()
        };
        assert_eq!(args, &["create", "child", "--parent", "{i1}"]);
        assert_eq!(save.as_deref(), Some("i2"));
        let StepAction::Td { args, expect, .. } = &t.steps[3].action else {
            panic!()
        };
        assert_eq!(args[1], "{i2}");
        assert_eq!(*expect, Expect::Any);
        assert_eq!(
            t.steps[4].action,
            StepAction::Sync {
                target: SyncTarget::All,
                expect: Expect::Ok
            }
        );
    }

    /// `args` run as `actor` for `ms`, ending at second `end` of 10:00.
    fn timed(args: &[&str], actor: &str, end: &str, ms: u64) -> OperationRecord {
        let mut r = rec(args[0], actor, args, "", OpResult::Ok);
        r.timestamp = format!("2026-12-03T10:00:{end}Z");
        r.duration_ns = ms * 1_000_000;
        r
    }

    #[test]
    fn overlapping_commands_become_one_concurrent_step() {
        let at = |end, ms, actor| timed(&["sync"], actor, end, ms);
        // Three syncs running at once, then one after them.
        let h = vec![
            at("01.000", 500, "alice"),
            at("01.100", 600, "bob"),
            at("01.200", 700, "carol"),
            at("02.000", 100, "alice"),
        ];
        let t = translate(&h);
        assert_eq!(t.steps.len(), 2, "{:?}", t.steps);
        let StepAction::Concurrent(cmds) = &t.steps[0].action else {
            panic!("{:?}", t.steps[0])
        };
        let who: Vec<&str> = cmds.iter().map(|c| c.actor.as_str()).collect();
        assert_eq!(who, ["alice", "bob", "carol"]);
        assert!(matches!(t.steps[1].action, StepAction::Sync { .. }));
    }

    #[test]
    fn overlapping_local_commands_of_different_actors_stay_steps() {
        let at = |end, ms, actor| timed(&["create", "t"], actor, end, ms);
        // Two parallel lanes: alice's and bob's commands overlap but commute.
        let h = vec![
            at("01.000", 500, "alice"),
            at("01.100", 600, "bob"),
            at("01.300", 100, "bob"),
        ];
        let t = translate(&h);
        assert_eq!(t.steps.len(), 3, "{:?}", t.steps);
        assert!(t
            .steps
            .iter()
            .all(|s| matches!(s.action, StepAction::Td { .. })));
        // A server verb of another actor still groups.
        let h = vec![
            at("01.000", 500, "alice"),
            timed(&["auth", "status"], "bob", "01.100", 600),
        ];
        assert_eq!(translate(&h).steps.len(), 1);
        // One actor twice at once is still a concurrent step.
        let h = vec![at("01.000", 500, "alice"), at("01.100", 600, "alice")];
        let t = translate(&h);
        assert_eq!(t.steps.len(), 1, "{:?}", t.steps);
        assert!(matches!(t.steps[0].action, StepAction::Concurrent(_)));
    }

    #[test]
    fn replayable_faults_become_steps_the_rest_is_counted() {
        let h = vec![
            rec(
                "fault:partition",
                "bob",
                &[],
                "partition bob (blackhole)",
                OpResult::Ok,
            ),
            rec("heal:partition", "bob", &[], "blackhole", OpResult::Ok),
            rec(
                "fault:server_restart",
                "*",
                &[],
                "kill -9 and restart td-sync",
                OpResult::Ok,
            ),
            rec("fault:lost_response", "alice", &[], "POST …", OpResult::Ok),
            rec(
                "fault:arm",
                "alice",
                &[],
                "per-request faults",
                OpResult::Ok,
            ),
            rec(
                "fault:clock_skew",
                "carol",
                &[],
                &format!("clock of carol at {}", format_offset(-93_600)),
                OpResult::Ok,
            ),
        ];
        let t = translate(&h);
        assert_eq!(
            t.steps[0].action,
            StepAction::Fault(FaultStep::Invoke(Fault::Partition {
                actor: "bob".into(),
                mode: PartitionMode::Blackhole
            }))
        );
        assert_eq!(t.steps[1].action, StepAction::Heal);
        assert_eq!(
            t.steps[2].action,
            StepAction::Fault(FaultStep::RestartServer)
        );
        assert_eq!(
            t.steps[3].action,
            StepAction::Fault(FaultStep::Invoke(Fault::ClockSkew {
                actor: "carol".into(),
                offset_secs: -93_600
            }))
        );
        assert_eq!(t.dropped.get("fault:lost_response"), Some(&1));
        assert_eq!(t.dropped.get("fault:arm"), Some(&1));
    }
}
