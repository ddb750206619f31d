//! Writing a shrunk case: a comment block saying where it came from, then a `kind =
//! "steps"` case in the schema the runner reads. The text is parsed back with the strict
//! case parser before it is written, so a file the runner would refuse is never left behind.

use std::fmt::Write as _;

use crate::case::{Expect, FaultStep, SqlExpect, SqlLiteral, Step, StepAction, SyncTarget};
use crate::faults::{Fault, FaultKind};

/// What the comment block of a shrunk file says.
#[derive(Debug, Clone)]
pub struct Provenance {
    pub original: String,
    pub seed: Option<u64>,
    pub failing_check: String,
    pub steps_before: usize,
    pub steps_after: usize,
    pub replays: usize,
    pub seconds: f64,
    /// Further lines (what was left out, what a replay cannot promise, the command).
    pub notes: Vec<String>,
}

/// The whole file.
pub fn render(p: &Provenance, actors: usize, steps: &[Step], quarantine: &[String]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# Shrunk by td-e2e from a failing run.");
    let _ = writeln!(out, "#   original case: {}", p.original);
    let seed = p
        .seed
        .map_or_else(|| "none (steps case)".into(), |s| s.to_string());
    let _ = writeln!(out, "#   seed:          {seed}");
    let _ = writeln!(out, "#   failing check: {}", p.failing_check);
    let _ = writeln!(
        out,
        "#   steps:         {} before, {} after",
        p.steps_before, p.steps_after
    );
    let _ = writeln!(
        out,
        "#   time spent:    {:.1} s, {} replays in fresh worlds",
        p.seconds, p.replays
    );
    for n in &p.notes {
        for line in n.lines() {
            let _ = writeln!(out, "# {line}");
        }
    }
    out.push_str("kind = \"steps\"\n");
    let _ = writeln!(out, "actors = {actors}");
    if !quarantine.is_empty() {
        let _ = writeln!(out, "expect_quarantine = {}", strings(quarantine));
    }
    for s in steps {
        out.push('\n');
        out.push_str("[[step]]\n");
        out.push_str(&render_step(&s.action));
    }
    out
}

fn quote(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

fn strings(items: &[String]) -> String {
    let parts: Vec<String> = items.iter().map(|s| quote(s)).collect();
    format!("[{}]", parts.join(", "))
}

fn expect_line(e: Expect) -> String {
    match e {
        Expect::Ok => String::new(),
        Expect::Fail => "expect = \"fail\"\n".into(),
        Expect::Any => "expect = \"any\"\n".into(),
    }
}

fn render_step(a: &StepAction) -> String {
    match a {
        StepAction::Td {
            actor,
            args,
            save,
            expect,
            output_contains,
        } => {
            let mut s = format!("actor = {}\ntd = {}\n", quote(actor), strings(args));
            if let Some(n) = save {
                let _ = writeln!(s, "save = {}", quote(n));
            }
            s.push_str(&expect_line(*expect));
            if let Some(o) = output_contains {
                let _ = writeln!(s, "output_contains = {}", quote(o));
            }
            s
        }
        StepAction::Sync { target, expect } => {
            let who = match target {
                SyncTarget::All => "all",
                SyncTarget::Actor(a) => a.as_str(),
            };
            format!("sync = {}\n{}", quote(who), expect_line(*expect))
        }
        StepAction::Fault(f) => format!("fault = {}\n", fault_value(f)),
        StepAction::Concurrent(cmds) => {
            let items: Vec<String> = cmds
                .iter()
                .map(|c| {
                    format!(
                        "  {{ actor = {}, td = {} }},\n",
                        quote(&c.actor),
                        strings(&c.args)
                    )
                })
                .collect();
            format!("concurrent = [\n{}]\n", items.concat())
        }
        StepAction::Heal => "heal = true\n".into(),
        StepAction::Verify(kinds) => {
            let names: Vec<String> = kinds.iter().map(|k| k.as_str().to_string()).collect();
            format!("verify = {}\n", strings(&names))
        }
        StepAction::Sql {
            actor,
            query,
            expect,
        } => {
            let want = match expect {
                SqlExpect::Equals(v) => format!("equals = {}", literal(v)),
                SqlExpect::Rows(rows) => {
                    let rows: Vec<String> = rows
                        .iter()
                        .map(|r| {
                            let vals: Vec<String> = r.iter().map(literal).collect();
                            format!("[{}]", vals.join(", "))
                        })
                        .collect();
                    format!("rows = [{}]", rows.join(", "))
                }
            };
            format!(
                "sql = {{ actor = {}, query = {}, {want} }}\n",
                quote(actor),
                quote(query)
            )
        }
    }
}

fn literal(v: &SqlLiteral) -> String {
    match v {
        SqlLiteral::Text(t) => quote(t),
        SqlLiteral::Integer(i) => i.to_string(),
        SqlLiteral::Real(r) => toml::Value::Float(*r).to_string(),
    }
}

/// A clock offset in the case syntax: the largest unit that divides it.
fn offset_text(secs: i64) -> String {
    let sign = if secs < 0 { '-' } else { '+' };
    let n = secs.unsigned_abs();
    let (v, unit) = [(86_400, "d"), (3_600, "h"), (60, "m")]
        .into_iter()
        .find(|(len, _)| n.is_multiple_of(*len))
        .map_or((n, "s"), |(len, u)| (n / len, u));
    format!("{sign}{v}{unit}")
}

fn ms(d: std::time::Duration) -> String {
    quote(&format!("{}ms", d.as_millis().max(1)))
}

fn fault_value(f: &FaultStep) -> String {
    let fault = match f {
        FaultStep::RestartServer => return quote("restart_server"),
        FaultStep::StopServer => return quote("stop_server"),
        FaultStep::StartServer => return quote("start_server"),
        FaultStep::Invoke(fault) => fault,
    };
    match fault {
        Fault::Partition { actor, mode } => format!(
            "{{ kind = \"partition\", actor = {}, mode = {} }}",
            quote(actor),
            quote(mode.name())
        ),
        Fault::ServerRestart => quote("restart_server"),
        Fault::ServerPause => "{ kind = \"server_pause\" }".into(),
        Fault::ClockSkew { actor, offset_secs } => format!(
            "{{ kind = \"clock_skew\", actor = {}, offset = {} }}",
            quote(actor),
            quote(&offset_text(*offset_secs))
        ),
        Fault::Requests { actor, rates, .. } => {
            let a = quote(actor);
            if let Some((lo, hi)) = rates.latency {
                return format!(
                    "{{ kind = \"latency\", actor = {a}, ms = [{}, {}] }}",
                    ms(lo),
                    ms(hi)
                );
            }
            if let Some(bps) = rates.slow_link {
                return format!("{{ kind = \"slow_link\", actor = {a}, bytes_per_sec = {bps} }}");
            }
            let (kind, bp) = rates
                .basis_points
                .iter()
                .next()
                .map_or((FaultKind::Reset, 10_000), |(k, b)| (*k, *b));
            let pct = toml::Value::Float(f64::from(bp) / 100.0).to_string();
            format!(
                "{{ kind = {}, actor = {a}, percent = {pct} }}",
                quote(kind.name())
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::{parse, CaseKind, ConcurrentTd};
    use crate::faults::PartitionMode;
    use crate::shrink::translate::step;
    use crate::verify::CheckKind;

    #[test]
    fn written_files_parse_back_to_the_same_steps() {
        let steps = vec![
            step(StepAction::Td {
                actor: "alice".into(),
                args: vec!["create".into(), "a \"quoted\"\nline".into()],
                save: Some("i1".into()),
                expect: Expect::Ok,
                output_contains: None,
            }),
            step(StepAction::Td {
                actor: "bob".into(),
                args: vec!["close".into(), "{i1}".into()],
                save: None,
                expect: Expect::Any,
                output_contains: Some("x".into()),
            }),
            step(StepAction::Fault(FaultStep::Invoke(Fault::Partition {
                actor: "bob".into(),
                mode: PartitionMode::DropResponses,
            }))),
            step(StepAction::Fault(FaultStep::Invoke(Fault::ClockSkew {
                actor: "alice".into(),
                offset_secs: -7_200,
            }))),
            step(StepAction::Fault(FaultStep::Invoke(Fault::every_request(
                "alice",
                FaultKind::LostResponse,
            )))),
            step(StepAction::Fault(FaultStep::RestartServer)),
            step(StepAction::Heal),
            step(StepAction::Sync {
                target: SyncTarget::Actor("bob".into()),
                expect: Expect::Ok,
            }),
            step(StepAction::Sync {
                target: SyncTarget::All,
                expect: Expect::Any,
            }),
            step(StepAction::Verify(vec![
                CheckKind::Convergence,
                CheckKind::LedgerAcked,
            ])),
            step(StepAction::Concurrent(vec![
                ConcurrentTd {
                    actor: "alice".into(),
                    args: vec!["sync".into()],
                },
                ConcurrentTd {
                    actor: "bob".into(),
                    args: vec!["show".into(), "{i1}".into()],
                },
            ])),
            step(StepAction::Sql {
                actor: "bob".into(),
                query: "SELECT status FROM issues WHERE id = '{i1}'".into(),
                expect: SqlExpect::Rows(vec![vec![
                    SqlLiteral::Text("closed".into()),
                    SqlLiteral::Integer(3),
                    SqlLiteral::Real(1.5),
                ]]),
            }),
        ];
        let p = Provenance {
            original: "chaos/x".into(),
            seed: Some(7),
            failing_check: "ledger acked".into(),
            steps_before: 300,
            steps_after: 11,
            replays: 42,
            seconds: 12.5,
            notes: vec!["run it:\n  cargo test".into()],
        };
        let text = render(&p, 2, &steps, &["board_issue_positions".to_string()]);
        assert!(text.starts_with("# Shrunk by td-e2e"), "{text}");
        let case = parse("regressions/x", std::path::Path::new("x.toml"), &text)
            .unwrap_or_else(|e| panic!("{e}\n{text}"));
        let CaseKind::Steps(s) = case.kind else {
            panic!()
        };
        let got: Vec<StepAction> = s.steps.into_iter().map(|s| s.action).collect();
        let want: Vec<StepAction> = steps.into_iter().map(|s| s.action).collect();
        assert_eq!(got, want, "{text}");
        assert_eq!(
            case.expect_quarantine,
            vec!["board_issue_positions".to_string()]
        );
    }
}
