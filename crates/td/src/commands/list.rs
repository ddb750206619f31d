//! `td list`: one line per issue (closed and deleted hidden by default).

use anyhow::Result;
use rusqlite::types::Value;
use td_core::model::{Issue, ISSUE_COLUMNS};

use super::Global;
use crate::output::one_line;

#[derive(Debug, clap::Args)]
#[command(args_override_self = true)]
pub struct Args {
    /// TDQ query (validated; filters are not evaluated yet).
    pub query: Vec<String>,
    /// Include closed and deferred issues.
    #[arg(short = 'a', long)]
    pub all: bool,
    #[arg(short = 'n', long, default_value_t = 50)]
    pub limit: usize,
    #[arg(short = 's', long, action = clap::ArgAction::Append)]
    pub status: Vec<String>,
    #[arg(long)]
    pub filter: Option<String>,
}

pub fn run(g: &Global, a: Args) -> Result<()> {
    let ctx = g.open(false)?;
    let statuses: Vec<String> = super::split_list(&a.status);
    let mut sql = format!("SELECT {ISSUE_COLUMNS} FROM issues WHERE deleted_at IS NULL");
    // ?1 = limit, ?2.. = the requested statuses (bound, never spliced into the SQL).
    let mut binds: Vec<Value> = vec![Value::Integer(a.limit as i64)];
    if !a.all && !statuses.iter().any(|s| s == "all") {
        if statuses.is_empty() {
            sql.push_str(" AND status != 'closed'");
        } else {
            let marks: Vec<String> = (2..statuses.len() + 2).map(|i| format!("?{i}")).collect();
            sql.push_str(&format!(" AND status IN ({})", marks.join(", ")));
            binds.extend(statuses.iter().cloned().map(Value::Text));
        }
    }
    sql.push_str(" ORDER BY priority ASC, created_at ASC, id ASC LIMIT ?1");
    let mut stmt = ctx.conn.prepare(&sql)?;
    let rows: Vec<Issue> = stmt
        .query_map(rusqlite::params_from_iter(binds), Issue::from_row)?
        .collect::<rusqlite::Result<_>>()?;
    if ctx.json {
        let v: Vec<_> = rows.iter().map(Issue::to_json).collect();
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(());
    }
    if rows.is_empty() {
        println!("No issues found");
    }
    for i in rows {
        let pts = if i.points > 0 {
            format!("{}pts  ", i.points)
        } else {
            String::new()
        };
        println!(
            "{}  [{}]  {}  {}{}  [{}]",
            i.id,
            i.priority,
            one_line(&i.title),
            pts,
            i.issue_type,
            i.status
        );
    }
    Ok(())
}
