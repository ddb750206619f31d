//! `td show`: one issue in human or JSON form (deleted issues too).

use anyhow::Result;
use rusqlite::Connection;
use serde_json::{json, Value};
use td_core::model::Issue;

use super::Global;
use crate::output::{self, one_line};
use crate::store::issues;

#[derive(Debug, clap::Args)]
#[command(args_override_self = true)]
pub struct Args {
    #[arg(required = true)]
    pub ids: Vec<String>,
    #[arg(long)]
    pub short: bool,
    #[arg(long)]
    pub tree: bool,
    /// Output format (`json`).
    #[arg(short = 'f', long)]
    pub format: Option<String>,
}

pub fn run(g: &Global, a: Args) -> Result<()> {
    let ctx = g.open(false)?;
    let json_out = ctx.json || a.format.as_deref() == Some("json");
    let mut failed = false;
    for id in &a.ids {
        let Some(issue) = issues::get(&ctx.conn, id)? else {
            output::error(format!("issue not found: {id}"));
            failed = true;
            continue;
        };
        if json_out {
            println!(
                "{}",
                serde_json::to_string_pretty(&show_json(&ctx.conn, &issue)?)?
            );
        } else {
            print_human(&ctx.conn, &issue, a.short)?;
        }
    }
    if failed {
        return output::silent();
    }
    Ok(())
}

fn logs(conn: &Connection, id: &str) -> Result<Vec<(String, String, String)>> {
    let mut stmt = conn.prepare(
        "SELECT type, message, timestamp FROM logs WHERE issue_id = ?1 ORDER BY timestamp, rowid",
    )?;
    let rows = stmt.query_map([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

fn latest_handoff(conn: &Connection, id: &str) -> Result<Option<Value>> {
    let mut stmt = conn.prepare(
        "SELECT session_id, done, remaining, decisions, uncertain, timestamp FROM handoffs WHERE issue_id = ?1 ORDER BY timestamp DESC, rowid DESC LIMIT 1",
    )?;
    let mut rows = stmt.query([id])?;
    let Some(r) = rows.next()? else {
        return Ok(None);
    };
    let list = |i: usize| -> rusqlite::Result<Value> {
        let t: Option<String> = r.get(i)?;
        Ok(t.and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or(Value::Null))
    };
    Ok(Some(json!({
        "session_id": r.get::<_, String>(0)?,
        "done": list(1)?, "remaining": list(2)?, "decisions": list(3)?, "uncertain": list(4)?,
        "timestamp": r.get::<_, String>(5)?,
    })))
}

fn show_json(conn: &Connection, issue: &Issue) -> Result<Value> {
    let mut v = issue.to_json();
    let m = v.as_object_mut().expect("issue JSON is an object");
    m.insert("labels".into(), json!(issue.labels));
    for k in [
        "description",
        "parent_id",
        "acceptance",
        "review_requested_by_session",
        "closed_by_session",
    ] {
        m.entry(k).or_insert(json!(""));
    }
    m.insert(
        "handoff".into(),
        latest_handoff(conn, &issue.id)?.unwrap_or(Value::Null),
    );
    let logs: Vec<Value> = logs(conn, &issue.id)?
        .into_iter()
        .map(|(t, msg, ts)| json!({"type": t, "message": msg, "timestamp": ts}))
        .collect();
    m.insert("logs".into(), json!(logs));
    Ok(v)
}

fn print_human(conn: &Connection, i: &Issue, short: bool) -> Result<()> {
    println!("{}: {}", i.id, one_line(&i.title));
    let deleted = if i.deleted_at.is_some() {
        " (deleted)"
    } else {
        ""
    };
    println!("Status: [{}]{deleted}", i.status);
    let mut meta = format!("Type: {} | Priority: {}", i.issue_type, i.priority);
    if i.points > 0 {
        meta.push_str(&format!(" | Points: {}", i.points));
    }
    if i.minor {
        meta.push_str(" | Minor");
    }
    println!("{meta}");
    if short {
        return Ok(());
    }
    if !i.labels.is_empty() {
        println!("Labels: {}", i.labels.join(", "));
    }
    if !i.parent_id.is_empty() {
        println!("Parent: {}", i.parent_id);
    }
    if !i.implementer_session.is_empty() {
        println!("Implementer: {}", i.implementer_session);
    }
    if !i.description.is_empty() {
        println!("\nDescription:\n{}", i.description);
    }
    if !i.acceptance.is_empty() {
        println!("\nAcceptance:\n{}", i.acceptance);
    }
    let logs = logs(conn, &i.id)?;
    if !logs.is_empty() {
        println!("\nLogs:");
        for (t, msg, ts) in logs {
            println!("  [{ts}] ({t}) {}", one_line(&msg));
        }
    }
    Ok(())
}
