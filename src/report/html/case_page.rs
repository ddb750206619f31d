//! `html/<case>.html`: the case's facts and failure, the timeline with its legend, the
//! selected operation's details, the verifications table, and the diverged entities.

use std::collections::BTreeMap;
use std::fmt::Write;

use serde_json::json;

use super::entities::{diverged, touches};
use super::escape::{esc, script_json};
use super::timeline;
use super::{page, status_text};
use crate::history::{go_duration, OperationRecord};
use crate::report::ChaosReport;
use crate::run::CaseOutcome;
use crate::verify::{CheckResult, Verdict};

/// Links listed per diverged entity; the rest are counted (all stay highlighted).
const MAX_OP_LINKS: usize = 60;

/// The page of one finished case.
pub fn render_case(o: &CaseOutcome) -> String {
    let ids = diverged(&o.checks, &o.details);
    let hot: Vec<bool> = o
        .history
        .iter()
        .map(|r| ids.keys().any(|id| touches(r, id)))
        .collect();
    let mut body = String::new();
    let depth = o.name.matches('/').count() + 1;
    let _ = write!(
        body,
        r#"<p><a href="{}index.html">all cases</a></p><h1>{}</h1>"#,
        "../".repeat(depth),
        esc(&o.name)
    );
    body.push_str(&facts(o));
    if !o.passed() {
        let _ = write!(
            body,
            r#"<h2>Failure</h2><div class="failure"><pre>{}</pre></div>"#,
            esc(&o.failure_text())
        );
    }
    body.push_str(&timeline_section(&o.history, &hot));
    body.push_str(&verifications(&o.checks));
    body.push_str(&entities_section(&o.history, &ids));
    page(&format!("{} — td-e2e", o.name), &body)
}

fn facts(o: &CaseOutcome) -> String {
    let mut rows = vec![
        (
            "status",
            format!(
                r#"<span class="status-{0}">{0}</span>"#,
                status_text(o.status)
            ),
        ),
        ("duration", esc(&format!("{:.2?}", o.duration))),
        ("operations", o.history.len().to_string()),
    ];
    if let Some(seed) = o.seed {
        rows.push(("seed", seed.to_string()));
    }
    if let Some(phase) = o.failed_phase {
        rows.push(("failed in phase", esc(phase)));
    }
    if let Some(w) = &o.world {
        rows.push(("world kept at", esc(&w.display().to_string())));
    }
    if let Some(why) = &o.not_replayable {
        rows.push(("not replayable", esc(why)));
    }
    if let Some(r) = &o.chaos_report {
        rows.extend(chaos_facts(r));
    }
    rows.push((
        "replay",
        format!("<code>{}</code>", esc(&o.replay_command())),
    ));
    let phases: Vec<String> = o
        .phase_times
        .iter()
        .map(|(p, d)| format!("{p} {d:.2?}"))
        .collect();
    if !phases.is_empty() {
        rows.push(("phases", esc(&phases.join(", "))));
    }
    let mut s = String::from(r#"<table class="facts">"#);
    for (k, v) in rows {
        let _ = write!(s, "<tr><td>{k}</td><td>{v}</td></tr>");
    }
    s.push_str("</table>");
    s
}

/// What the ChaosReport adds: sync points, faults per kind, convergence after heal.
fn chaos_facts(r: &ChaosReport) -> Vec<(&'static str, String)> {
    let mut rows = vec![("sync points", r.sync_stats.count.to_string())];
    if let Some(f) = &r.faults {
        let kinds: Vec<String> = f.injected.iter().map(|(k, n)| format!("{k} {n}")).collect();
        let text = format!(
            "{}; {} operations with unknown outcome",
            kinds.join(", "),
            f.info_ops
        );
        rows.push(("faults injected", esc(&text)));
    }
    if let Some(c) = &r.convergence {
        let text = format!("{} rounds, {} ms after heal", c.rounds, c.millis);
        rows.push(("converged", text));
    }
    rows
}

const LEGEND: &str = r#"<p class="legend"><span><i class="ok"></i>ok</span><span><i class="expected_fail"></i>expected failure</span><span><i class="unexpected_fail"></i>unexpected failure</span><span><i class="info"></i>info (outcome unknown)</span><span><i class="skip"></i>skipped</span><span><i class="sync"></i>sync (↑pushed ↓pulled)</span><span><i class="hot"></i>touches a diverged entity</span><span><i style="background:#f5a62355;border:1px solid #f5a623"></i>fault window</span></p>"#;

fn timeline_section(records: &[OperationRecord], hot: &[bool]) -> String {
    if records.is_empty() {
        return "<h2>Timeline</h2><p>No operations were recorded.</p>".to_string();
    }
    let l = timeline::layout(records);
    let mut s = String::from("<h2>Timeline</h2>");
    s.push_str(LEGEND);
    let _ = write!(
        s,
        r#"{}<div id="tip" hidden></div>{}"#,
        timeline::svg(records, &l, hot),
        DETAIL_PANEL
    );
    let _ = write!(
        s,
        r#"<script type="application/json" id="ops-data">{}</script>"#,
        script_json(&ops_json(records))
    );
    s
}

/// Filled by the script when a mark is clicked.
const DETAIL_PANEL: &str = r#"<div id="op-detail" hidden><b>#<span data-f="seq"></span> <span data-f="action"></span></b> by <span data-f="actor"></span> <span data-f="target"></span> — <span data-f="result"></span>, <span data-f="dur"></span>, at <span data-f="time"></span><div>command: <code data-f="cmd"></code></div><div>output:</div><pre data-f="output"></pre><div>error:</div><pre data-f="error"></pre></div>"#;

/// The records as the script needs them, in the same order as the marks' `data-i`.
fn ops_json(records: &[OperationRecord]) -> serde_json::Value {
    let ops: Vec<serde_json::Value> = records
        .iter()
        .map(|r| {
            json!({
                "seq": r.seq,
                "time": r.timestamp,
                "actor": r.actor,
                "action": r.action,
                "target": r.target_id,
                "cmd": command(r),
                "output": r.output,
                "result": r.result.as_str(),
                "dur": go_duration(r.duration_ns),
                "error": r.error,
            })
        })
        .collect();
    serde_json::Value::Array(ops)
}

/// `td <args>` with arguments holding spaces or quotes quoted; empty when the record has no
/// command (faults, skips).
fn command(r: &OperationRecord) -> String {
    let Some(args) = &r.args else {
        return String::new();
    };
    let words: Vec<String> = args
        .iter()
        .map(|a| {
            if !a.is_empty()
                && a.chars()
                    .all(|c| !c.is_whitespace() && c != '"' && c != '\'')
            {
                a.clone()
            } else {
                format!("{a:?}")
            }
        })
        .collect();
    format!("td {}", words.join(" "))
}

fn verdict_class(v: Verdict) -> &'static str {
    match v {
        Verdict::Valid => "pass",
        Verdict::Invalid => "fail",
        Verdict::Unknown => "unknown",
    }
}

fn verifications(checks: &[CheckResult]) -> String {
    let mut s = String::from("<h2>Verifications</h2>");
    if checks.is_empty() {
        s.push_str("<p>No checks ran.</p>");
        return s;
    }
    s.push_str(
        r#"<table id="verifications"><tr><th>verdict</th><th>check</th><th>details</th></tr>"#,
    );
    for c in checks {
        let class = verdict_class(c.verdict);
        let row = if c.passed() { "pass" } else { "fail" };
        let _ = write!(
            s,
            r#"<tr class="check {row}"><td class="verdict-{class}">{}</td><td>{}</td><td><pre>{}</pre></td></tr>"#,
            c.verdict,
            esc(&c.name),
            esc(&c.details)
        );
    }
    s.push_str("</table>");
    s
}

/// Per id a failing check names: the checks, and links to the operations that touched it
/// (click the id to dim every other mark on the timeline).
fn entities_section(records: &[OperationRecord], ids: &BTreeMap<String, Vec<String>>) -> String {
    if ids.is_empty() {
        return String::new();
    }
    let mut s = String::from(
        r#"<h2>Diverged entities</h2><table id="entities"><tr><th>entity</th><th>named by</th><th>operations that touched it</th></tr>"#,
    );
    for (id, checks) in ids {
        let touching: Vec<usize> = (0..records.len())
            .filter(|&i| touches(&records[i], id))
            .collect();
        let data_ops: Vec<String> = touching.iter().map(|i| i.to_string()).collect();
        let _ = write!(
            s,
            r##"<tr><td><a class="focus-id" href="#" data-ops="{}">{}</a></td><td>{}</td><td>"##,
            data_ops.join(" "),
            esc(id),
            esc(&checks.join("; "))
        );
        for &i in touching.iter().take(MAX_OP_LINKS) {
            let r = &records[i];
            let _ = write!(
                s,
                r##"<a class="op-link" href="#" data-i="{i}">#{} {} {}</a> "##,
                r.seq,
                esc(&r.actor),
                esc(&r.action)
            );
        }
        if touching.len() > MAX_OP_LINKS {
            let _ = write!(s, "and {} more", touching.len() - MAX_OP_LINKS);
        }
        if touching.is_empty() {
            s.push_str("none recorded");
        }
        s.push_str("</td></tr>");
    }
    s.push_str("</table>");
    s
}
