//! A `steps` case: td commands per actor with id capture, syncs, faults, verify lists and
//! SQL assertions, in order. The first failing step stops the case and names itself.

use std::collections::BTreeMap;

use super::outcome::CaseOutcome;
use super::{run_checks, IDEMPOTENCY_ROUNDS};
use crate::case::{
    self, ConcurrentTd, Expect, FaultStep, SqlExpect, SqlLiteral, Step, StepAction, SyncTarget,
};
use crate::driver::{Driver, TdOutput};
use crate::engine::extract_created_id;
use crate::faults::{Fault, FaultKind, Nemesis};
use crate::harness::Harness;
use crate::history::{OpResult, OperationRecord};
use crate::verify::db;

/// Replaces `{name}` with saved values; unknown names are an error naming them.
fn substitute(s: &str, vars: &BTreeMap<String, String>) -> Result<String, String> {
    case::substitute(s, |name| vars.get(name).map(String::as_str))
        .map_err(|name| format!("{{{name}}} was never saved by an earlier step"))
}

/// Every fault kind the steps invoke (the world is tuned for them before setup).
pub fn fault_kinds(steps: &[Step]) -> Vec<FaultKind> {
    let mut out: Vec<FaultKind> = steps
        .iter()
        .flat_map(|s| match &s.action {
            StepAction::Fault(FaultStep::Invoke(f)) => match f {
                Fault::Requests { rates, .. } => rates.kinds(),
                other => other.kind().into_iter().collect(),
            },
            StepAction::Fault(_) => vec![FaultKind::ServerRestart],
            _ => Vec::new(),
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Runs the steps; failures are recorded in `out`. Then the faults the steps started must
/// have fired and left their postconditions intact.
pub fn run(h: &Harness, steps: &[Step], out: &mut CaseOutcome) {
    let mut vars = BTreeMap::new();
    out.enter("steps");
    for (i, step) in steps.iter().enumerate() {
        if let Err(msg) = run_step(h, &step.action, &mut vars, out) {
            let at = format!("step {} (line {})", i + 1, step.line);
            out.fail(format!("{at} failed"), format!("{at}: {msg}"));
            out.history = h.history().records();
            return;
        }
    }
    out.enter("verify");
    out.add_checks(fault_results(h, steps));
    out.history = h.history().records();
}

/// Invoked faults that never fired, and broken fault postconditions.
fn fault_results(h: &Harness, steps: &[Step]) -> Vec<crate::verify::CheckResult> {
    let counts = h.faults().counts();
    let invoked: Vec<FaultKind> = fault_kinds(steps)
        .into_iter()
        .filter(|k| *k != FaultKind::ServerRestart)
        .collect();
    let mut out = Vec::new();
    if !invoked.is_empty() {
        let silent: Vec<&str> = invoked
            .iter()
            .filter(|k| counts.get(k).copied().unwrap_or(0) == 0)
            .map(|k| k.name())
            .collect();
        let name = "faults: every invoked kind fired";
        out.push(if silent.is_empty() {
            crate::verify::CheckResult::valid(name, super::chaos::render_counts(&counts))
        } else {
            crate::verify::CheckResult::invalid(
                name,
                format!("invoked but never fired: {}", silent.join(", ")),
            )
        });
    }
    let broken = h.faults().core().violations();
    if !broken.is_empty() {
        out.push(crate::verify::CheckResult::from_violations(
            "faults: postconditions",
            "",
            &broken,
        ));
    }
    out
}

fn run_step(
    h: &Harness,
    step: &StepAction,
    vars: &mut BTreeMap<String, String>,
    out: &mut CaseOutcome,
) -> Result<(), String> {
    match step {
        StepAction::Td {
            actor,
            args,
            save,
            expect,
            output_contains,
        } => {
            let args = args
                .iter()
                .map(|a| substitute(a, vars))
                .collect::<Result<Vec<_>, _>>()?;
            ensure_link_target(h, actor, &args)?;
            let r = h.td(actor, &args).map_err(|e| e.to_string())?;
            record(h, actor, "td", &args, &r, r.ok() || *expect != Expect::Ok);
            h.faults().after_op(actor, r.ok());
            let shown = format!(
                "td {} (as {actor}) exited {:?}:\n{}",
                args.join(" "),
                r.code,
                r.output.trim_end()
            );
            match (expect, r.ok()) {
                (Expect::Ok, false) => return Err(format!("expected success; {shown}")),
                (Expect::Fail, true) => return Err(format!("expected failure; {shown}")),
                _ => {}
            }
            if let Some(want) = output_contains {
                if !r.output.contains(want.as_str()) {
                    return Err(format!("output lacks {want:?}; {shown}"));
                }
            }
            if let Some(name) = save {
                let id = extract_created_id(&r.output)
                    .ok_or_else(|| format!("no created td- id to save as {{{name}}}; {shown}"))?;
                vars.insert(name.clone(), id);
            }
            Ok(())
        }
        StepAction::Sync {
            target: SyncTarget::All,
            expect,
        } => {
            let started = std::time::Instant::now();
            let done = h.sync_all();
            record_sync_all(h, started.elapsed(), &done, *expect);
            match (done, expect) {
                (Ok(()), Expect::Fail) => Err("expected sync_all to fail; it succeeded".into()),
                (Err(e), Expect::Ok) => Err(e.to_string()),
                _ => Ok(()),
            }
        }
        StepAction::Sync {
            target: SyncTarget::Actor(actor),
            expect,
        } => sync_step(h, actor, *expect),
        StepAction::Fault(FaultStep::RestartServer) => {
            h.restart_server().map_err(|e| e.to_string())
        }
        StepAction::Fault(FaultStep::StopServer) => h.stop_server().map_err(|e| e.to_string()),
        StepAction::Fault(FaultStep::StartServer) => h.start_server().map_err(|e| e.to_string()),
        StepAction::Fault(FaultStep::Invoke(f)) => h.faults().invoke(f).map_err(|e| e.to_string()),
        StepAction::Heal => h.faults().heal().map_err(|e| e.to_string()),
        StepAction::Verify(kinds) => {
            let v = run_checks(h, &[], &[], IDEMPOTENCY_ROUNDS, kinds);
            let failed = !v.all_passed();
            out.add_checks(v.into_results());
            if failed {
                Err("verify failed (see the failing checks above)".into())
            } else {
                Ok(())
            }
        }
        StepAction::Sql {
            actor,
            query,
            expect,
        } => sql_step(h, actor, &substitute(query, vars)?, expect, vars),
        StepAction::Concurrent(cmds) => {
            out.not_replayable = Some(
                "it has a concurrent step: the operating system picks the interleaving".into(),
            );
            concurrent_step(h, cmds, vars)
        }
    }
}

/// Starts every command at once (one thread each) and waits for all; each may succeed or
/// fail, and each is recorded in the history.
fn concurrent_step(
    h: &Harness,
    cmds: &[ConcurrentTd],
    vars: &BTreeMap<String, String>,
) -> Result<(), String> {
    let mut runs = Vec::new();
    for c in cmds {
        let args = c
            .args
            .iter()
            .map(|a| substitute(a, vars))
            .collect::<Result<Vec<_>, _>>()?;
        ensure_link_target(h, &c.actor, &args)?;
        runs.push((c.actor.as_str(), args));
    }
    let results: Vec<Result<TdOutput, String>> = std::thread::scope(|scope| {
        let handles: Vec<_> = runs
            .iter()
            .map(|(actor, args)| scope.spawn(move || h.td(actor, args).map_err(|e| e.to_string())))
            .collect();
        handles
            .into_iter()
            .map(|t| {
                t.join()
                    .unwrap_or_else(|_| Err("a concurrent td thread panicked".into()))
            })
            .collect()
    });
    for ((actor, args), r) in runs.iter().zip(results) {
        let r = r?;
        let action = if args.first().map(String::as_str) == Some("sync") {
            "sync"
        } else {
            "td"
        };
        record(h, actor, action, args, &r, true);
        h.faults().after_op(actor, r.ok());
    }
    Ok(())
}

/// What the chaos engine writes into a file before it links it.
pub const LINKED_FILE_TEXT: &str = "chaos-generated\n";

/// `td link <id> <path>` needs the file in the actor's directory: a relative path that is
/// missing there is written first (with the chaos engine's text), so a case translated
/// from a chaos run links what the run linked.
fn ensure_link_target(h: &Harness, actor: &str, args: &[String]) -> Result<(), String> {
    let (Some("link"), Some(path)) = (args.first().map(String::as_str), args.get(2)) else {
        return Ok(());
    };
    let rel = std::path::Path::new(path);
    if path.starts_with('-') || rel.is_absolute() || path.contains("..") {
        return Ok(());
    }
    let full = h.client_dir(actor).join(rel);
    if full.exists() {
        return Ok(());
    }
    std::fs::write(&full, LINKED_FILE_TEXT)
        .map_err(|e| format!("write {} for td link: {e}", full.display()))
}

fn sync_step(h: &Harness, actor: &str, expect: Expect) -> Result<(), String> {
    let args = vec!["sync".to_string()];
    let r = h.sync(actor).map_err(|e| e.to_string())?;
    h.faults().after_op(actor, r.ok());
    record(h, actor, "sync", &args, &r, r.ok() || expect != Expect::Ok);
    match (expect, r.ok()) {
        (Expect::Ok, false) => Err(format!(
            "td sync as {actor} exited {:?}:\n{}",
            r.code, r.output
        )),
        (Expect::Fail, true) => Err(format!(
            "expected td sync as {actor} to fail; it succeeded:\n{}",
            r.output
        )),
        _ => Ok(()),
    }
}

/// Records a step's td run in the world's history (a failure the step expected is
/// `expected_fail`).
fn record(
    h: &Harness,
    actor: &str,
    action: &str,
    args: &[String],
    r: &TdOutput,
    as_expected: bool,
) {
    let result = match (r.ok(), as_expected) {
        (true, _) => OpResult::Ok,
        (false, true) => OpResult::ExpectedFail,
        (false, false) => OpResult::UnexpectedFail,
    };
    let mut rec = OperationRecord::new(action, actor, result);
    // The issue the run acted on, so the HTML report can highlight it when a check names it.
    rec.target_id = crate::report::html::entities::target_of(args, &r.output);
    rec.args = Some(args.to_vec());
    rec.output = r.output.clone();
    rec.duration_ns = u64::try_from(r.duration.as_nanos()).unwrap_or(u64::MAX);
    h.history().record(rec);
}

/// Records a `sync = "all"` step as one `sync_all` operation (its syncs are the driver's).
fn record_sync_all(
    h: &Harness,
    took: std::time::Duration,
    done: &Result<(), crate::driver::DriverError>,
    expect: Expect,
) {
    let result = match (done, expect) {
        (Ok(()), _) => OpResult::Ok,
        (Err(_), Expect::Ok) => OpResult::UnexpectedFail,
        (Err(_), _) => OpResult::ExpectedFail,
    };
    let mut rec = OperationRecord::new("sync_all", "*", result);
    rec.duration_ns = u64::try_from(took.as_nanos()).unwrap_or(u64::MAX);
    if let Err(e) = done {
        rec.error = e.to_string();
    }
    h.history().record(rec);
}

fn sql_step(
    h: &Harness,
    actor: &str,
    query: &str,
    expect: &SqlExpect,
    vars: &BTreeMap<String, String>,
) -> Result<(), String> {
    let (cols, rows) = db::query(&h.db_path(actor), query).map_err(|e| e.to_string())?;
    let shown = || {
        let body: Vec<String> = rows
            .iter()
            .take(10)
            .map(|r| format!("  {}", db::render_row(&cols, r)))
            .collect();
        format!(
            "sql on {actor}: {query}\n got {} row(s):\n{}",
            rows.len(),
            body.join("\n")
        )
    };
    let lit = |l: &SqlLiteral| -> Result<SqlLiteral, String> {
        Ok(match l {
            SqlLiteral::Text(t) => SqlLiteral::Text(substitute(t, vars)?),
            other => other.clone(),
        })
    };
    match expect {
        SqlExpect::Equals(want) => {
            let want = lit(want)?;
            match rows.as_slice() {
                [row] if row.len() == 1 && want.matches(&row[0]) => Ok(()),
                _ => Err(format!("want a single value {want}; {}", shown())),
            }
        }
        SqlExpect::Rows(want) => {
            let want = want
                .iter()
                .map(|r| r.iter().map(lit).collect::<Result<Vec<_>, _>>())
                .collect::<Result<Vec<_>, _>>()?;
            let same = rows.len() == want.len()
                && rows
                    .iter()
                    .zip(&want)
                    .all(|(g, w)| g.len() == w.len() && w.iter().zip(g).all(|(l, v)| l.matches(v)));
            if same {
                Ok(())
            } else {
                let w: Vec<String> = want
                    .iter()
                    .map(|r| {
                        r.iter()
                            .map(ToString::to_string)
                            .collect::<Vec<_>>()
                            .join(", ")
                    })
                    .collect();
                Err(format!("want rows [{}]; {}", w.join("; "), shown()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn substitution() {
        let vars = BTreeMap::from([("p".to_string(), "td-abc123".to_string())]);
        assert_eq!(substitute("id = '{p}'", &vars).unwrap(), "id = 'td-abc123'");
        assert_eq!(substitute("{\"json\": 1}", &vars).unwrap(), "{\"json\": 1}");
        assert!(substitute("{q}", &vars).unwrap_err().contains("{q}"));
    }
}
