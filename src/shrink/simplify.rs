//! Per-step simplification after ddmin: fewer actors, fewer flags, shorter text. Each
//! function proposes candidates (whole step lists); the shrinker keeps the first one that
//! still fails with the same check and asks again, until nothing simpler fails.

use crate::case::{FaultStep, Step, StepAction, SyncTarget, DEFAULT_ACTORS};
use crate::faults::Fault;

/// Longest text an argument keeps when shortened.
const SHORT_TEXT: usize = 16;

/// Every simplification of `steps`, boldest first: merging one actor into another, all
/// texts shortened at once, then each optional flag dropped, then each text shortened.
pub fn candidates(steps: &[Step]) -> Vec<Vec<Step>> {
    let mut out = Vec::new();
    let used = actors_used(steps);
    for (bi, b) in DEFAULT_ACTORS.iter().enumerate().rev() {
        if !used.contains(&b.to_string()) {
            continue;
        }
        for a in DEFAULT_ACTORS.iter().take(bi) {
            out.push(rename_actor(steps, b, a));
        }
    }
    let all_short = map_td_args(steps, |_, args| args.iter().map(|a| shorten(a)).collect());
    if all_short != steps {
        out.push(all_short);
    }
    for (i, s) in steps.iter().enumerate() {
        let StepAction::Td { args, .. } = &s.action else {
            continue;
        };
        for (from, to) in flag_spans(args) {
            let mut next = steps.to_vec();
            if let StepAction::Td { args, .. } = &mut next[i].action {
                args.drain(from..to);
            }
            out.push(next);
        }
        for (j, a) in args.iter().enumerate() {
            let short = shorten(a);
            if short != *a {
                let mut next = steps.to_vec();
                if let StepAction::Td { args, .. } = &mut next[i].action {
                    args[j] = short;
                }
                out.push(next);
            }
        }
    }
    out
}

/// How many actors `steps` need: the highest default actor they name, at least two.
pub fn actors_needed(steps: &[Step]) -> usize {
    let used = actors_used(steps);
    let top = DEFAULT_ACTORS
        .iter()
        .rposition(|a| used.contains(&a.to_string()))
        .map_or(0, |i| i + 1);
    top.max(2)
}

fn actors_used(steps: &[Step]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in steps {
        let who = match &s.action {
            StepAction::Td { actor, .. } | StepAction::Sql { actor, .. } => Some(actor),
            StepAction::Sync {
                target: SyncTarget::Actor(a),
                ..
            } => Some(a),
            StepAction::Fault(FaultStep::Invoke(
                Fault::Partition { actor, .. }
                | Fault::ClockSkew { actor, .. }
                | Fault::Requests { actor, .. },
            )) => Some(actor),
            _ => None,
        };
        let many: Vec<&String> = match &s.action {
            StepAction::Concurrent(cmds) => cmds.iter().map(|c| &c.actor).collect(),
            _ => who.into_iter().collect(),
        };
        for a in many {
            if !out.contains(a) {
                out.push(a.clone());
            }
        }
    }
    out
}

/// `steps` with actor `from` played by `to` everywhere.
fn rename_actor(steps: &[Step], from: &str, to: &str) -> Vec<Step> {
    let swap = |a: &mut String| {
        if a == from {
            *a = to.to_string();
        }
    };
    let mut out = steps.to_vec();
    for s in &mut out {
        match &mut s.action {
            StepAction::Td { actor, .. } | StepAction::Sql { actor, .. } => swap(actor),
            StepAction::Sync {
                target: SyncTarget::Actor(a),
                ..
            } => swap(a),
            StepAction::Fault(FaultStep::Invoke(
                Fault::Partition { actor, .. }
                | Fault::ClockSkew { actor, .. }
                | Fault::Requests { actor, .. },
            )) => swap(actor),
            StepAction::Concurrent(cmds) => cmds.iter_mut().for_each(|c| swap(&mut c.actor)),
            _ => {}
        }
    }
    out
}

fn map_td_args(steps: &[Step], f: impl Fn(usize, &[String]) -> Vec<String>) -> Vec<Step> {
    let mut out = steps.to_vec();
    for (i, s) in out.iter_mut().enumerate() {
        if let StepAction::Td { args, .. } = &mut s.action {
            *args = f(i, args);
        }
    }
    out
}

/// Free text shortened to its first words (at most [`SHORT_TEXT`] characters); flags,
/// placeholders and short words stay as they are.
fn shorten(arg: &str) -> String {
    if is_flag(arg) || arg.contains('{') || arg.chars().count() <= SHORT_TEXT {
        return arg.to_string();
    }
    let first_line = arg.lines().next().unwrap_or("");
    let mut out = String::new();
    for word in first_line.split(" ") {
        if word.is_empty() {
            continue;
        }
        let sep = usize::from(!out.is_empty());
        if out.chars().count() + sep + word.chars().count() > SHORT_TEXT {
            break;
        }
        if sep == 1 {
            out.push(' ');
        }
        out.push_str(word);
    }
    if out.is_empty() {
        out = first_line.chars().take(SHORT_TEXT).collect();
    }
    if out.trim().is_empty() {
        "x".into()
    } else {
        out
    }
}

/// `--flag` or `-q`: a dash and no whitespace (`- item` is text).
fn is_flag(arg: &str) -> bool {
    arg.len() > 1 && arg.starts_with('-') && !arg.contains(char::is_whitespace)
}

/// Index ranges of each `--flag` (with its value when the next argument is not a flag),
/// past the verb and its positional arguments.
fn flag_spans(args: &[String]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut i = 1;
    while i < args.len() {
        if is_flag(&args[i]) {
            let takes_value = args.get(i + 1).is_some_and(|n| !is_flag(n));
            let end = if takes_value { i + 2 } else { i + 1 };
            out.push((i, end));
            i = end;
        } else {
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::Expect;
    use crate::shrink::translate::step;

    fn td(actor: &str, args: &[&str]) -> Step {
        step(StepAction::Td {
            actor: actor.into(),
            args: args.iter().map(|s| s.to_string()).collect(),
            save: None,
            expect: Expect::Ok,
            output_contains: None,
        })
    }

    #[test]
    fn text_gets_short_flags_and_placeholders_stay() {
        assert_eq!(shorten("Remove retry logic using new API"), "Remove retry");
        assert_eq!(shorten("--description"), "--description");
        assert_eq!(shorten("{i1}"), "{i1}");
        assert_eq!(shorten("- Performance meets SLA\n- more"), "- Performance");
        assert_eq!(
            shorten("security,feature,ci,performance"),
            "security,feature"
        );
    }

    #[test]
    fn flags_with_and_without_values() {
        let args: Vec<String> = ["create", "t", "--type", "bug", "--minor", "--points", "3"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(flag_spans(&args), vec![(2, 4), (4, 5), (5, 7)]);
    }

    #[test]
    fn actor_merges_come_first_and_count_actors() {
        let steps = vec![
            td("alice", &["create", "a long title for this one"]),
            td("carol", &["create", "b", "--minor"]),
            step(StepAction::Sync {
                target: SyncTarget::Actor("carol".into()),
                expect: Expect::Ok,
            }),
        ];
        assert_eq!(actors_needed(&steps), 3);
        let c = candidates(&steps);
        assert_eq!(actors_needed(&c[0]), 2, "carol played by alice");
        assert!(c
            .iter()
            .any(|s| matches!(&s[1].action, StepAction::Td { args, .. } if args.len() == 2)));
        assert!(c.iter().any(
            |s| matches!(&s[0].action, StepAction::Td { args, .. } if args[1] == "a long title for")
        ));
        assert_eq!(actors_needed(&steps[..1]), 2);
    }
}
