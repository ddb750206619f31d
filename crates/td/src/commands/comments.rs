//! `td comments add|<id>` and `td comment`.

use anyhow::{bail, Result};

use super::Global;
use crate::store::{entities, issues};

#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct CommentsArgs {
    #[command(subcommand)]
    pub cmd: Option<CommentsCmd>,
    /// List the comments of this issue.
    pub id: Option<String>,
}

#[derive(Debug, clap::Subcommand)]
pub enum CommentsCmd {
    /// Add a comment.
    Add(AddArgs),
}

#[derive(Debug, clap::Args)]
#[command(args_override_self = true)]
pub struct AddArgs {
    pub id: String,
    #[arg(allow_hyphen_values = true)]
    pub text: String,
}

pub fn run(g: &Global, a: CommentsArgs) -> Result<()> {
    match (a.cmd, a.id) {
        (Some(CommentsCmd::Add(add)), _) => run_add(g, add),
        (None, Some(id)) => list(g, &id),
        (None, None) => bail!("usage: td comments add <id> <text> | td comments <id>"),
    }
}

pub fn run_add(g: &Global, a: AddArgs) -> Result<()> {
    crate::cli::refuse_stray_flags("comments add", &[&a.text])?;
    let ctx = g.open(true)?;
    let t = ctx.begin()?;
    let issue = issues::must_get(&ctx.conn, &a.id)?;
    entities::add_comment(&ctx.conn, ctx.me(), &issue.id, &a.text)?;
    t.commit()?;
    println!("COMMENT ADDED {}", issue.id);
    Ok(())
}

fn list(g: &Global, id: &str) -> Result<()> {
    let ctx = g.open(false)?;
    let issue = issues::must_get(&ctx.conn, id)?;
    let mut stmt = ctx
        .conn
        .prepare("SELECT session_id, text, created_at FROM comments WHERE issue_id = ?1 ORDER BY created_at, rowid")?;
    let rows: Vec<(String, String, String)> = stmt
        .query_map([&issue.id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<rusqlite::Result<_>>()?;
    if rows.is_empty() {
        println!("No comments on {}", issue.id);
    }
    for (ses, text, at) in rows {
        println!("[{at}] {ses}: {text}");
    }
    Ok(())
}
