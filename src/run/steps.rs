//! A `steps` case: td commands per actor with id capture, syncs, faults, verify lists and
//! SQL assertions, in order. The first failing step stops the case and names itself.

use std::collections::BTreeMap;

use super::outcome::CaseOutcome;
use super::{run_checks, IDEMPOTENCY_ROUNDS};
use crate::case::{self, Expect, FaultStep, SqlExpect, SqlLiteral, Step, StepAction, SyncTarget};
use crate::driver::Driver;
use crate::engine::extract_created_id;
use crate::harness::Harness;
use crate::verify::db;

/// Replaces `{name}` with saved values; unknown names are an error naming them.
fn substitute(s: &str, vars: &BTreeMap<String, String>) -> Result<String, String> {
    case::substitute(s, |name| vars.get(name).map(String::as_str))
        .map_err(|name| format!("{{{name}}} was never saved by an earlier step"))
}

/// Runs the steps; failures are recorded in `out`.
pub fn run(h: &Harness, steps: &[Step], out: &mut CaseOutcome) {
    let mut vars = BTreeMap::new();
    for (i, step) in steps.iter().enumerate() {
        if let Err(msg) = run_step(h, &step.action, &mut vars, out) {
            let at = format!("step {} (line {})", i + 1, step.line);
            out.fail(format!("{at} failed"), format!("{at}: {msg}"));
            return;
        }
    }
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
            let r = h.td(actor, &args).map_err(|e| e.to_string())?;
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
        StepAction::Sync(SyncTarget::All) => h.sync_all().map_err(|e| e.to_string()),
        StepAction::Sync(SyncTarget::Actor(actor)) => {
            let r = h.sync(actor).map_err(|e| e.to_string())?;
            if r.ok() {
                Ok(())
            } else {
                Err(format!(
                    "td sync as {actor} exited {:?}:\n{}",
                    r.code, r.output
                ))
            }
        }
        StepAction::Fault(FaultStep::RestartServer) => {
            h.restart_server().map_err(|e| e.to_string())
        }
        StepAction::Fault(FaultStep::StopServer) => h.stop_server().map_err(|e| e.to_string()),
        StepAction::Fault(FaultStep::StartServer) => h.start_server().map_err(|e| e.to_string()),
        StepAction::Verify(kinds) => {
            let v = run_checks(h, &[], IDEMPOTENCY_ROUNDS, kinds);
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
    }
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
