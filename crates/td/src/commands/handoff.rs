//! `td handoff`: record what was done and what remains, then cascade down.

use anyhow::{Context as _, Result};
use td_core::ids;

use super::Global;
use crate::cascade;
use crate::store::entities::{self, HandoffLists};
use crate::store::issues::{self, Guard, Payload};
use crate::store::session_state;

#[derive(Debug, clap::Args)]
#[command(args_override_self = true)]
pub struct Args {
    /// `[id] [message]`
    #[arg(num_args = 0..)]
    pub words: Vec<String>,
    #[command(flatten)]
    pub lists: ListArgs,
    #[arg(short = 'n', long, allow_hyphen_values = true)]
    pub note: Option<String>,
    #[arg(short = 'm', long, allow_hyphen_values = true)]
    pub message: Option<String>,
}

/// The list flags `td handoff` and `td ws handoff` share.
#[derive(Debug, clap::Args)]
pub struct ListArgs {
    #[arg(long, action = clap::ArgAction::Append, allow_hyphen_values = true)]
    pub done: Vec<String>,
    #[arg(long, action = clap::ArgAction::Append, allow_hyphen_values = true)]
    pub remaining: Vec<String>,
    #[arg(long, action = clap::ArgAction::Append, allow_hyphen_values = true)]
    pub decision: Vec<String>,
    #[arg(long, action = clap::ArgAction::Append, allow_hyphen_values = true)]
    pub uncertain: Vec<String>,
}

impl ListArgs {
    /// Each flag's values expanded (see [`expand_items`]) into a handoff's lists.
    pub fn expand(&self) -> Result<HandoffLists> {
        Ok(HandoffLists {
            done: expand_items(&self.done)?,
            remaining: expand_items(&self.remaining)?,
            decisions: expand_items(&self.decision)?,
            uncertain: expand_items(&self.uncertain)?,
        })
    }
}

/// Expands one flag's values: each value is ONE item; `-` = stdin lines, `@path` = file lines.
fn expand_items(values: &[String]) -> Result<Option<Vec<String>>> {
    if values.is_empty() {
        return Ok(None);
    }
    let mut out = Vec::new();
    for v in values {
        if v == "-" {
            let mut s = String::new();
            std::io::Read::read_to_string(&mut std::io::stdin(), &mut s)?;
            out.extend(s.lines().filter(|l| !l.trim().is_empty()).map(String::from));
        } else if let Some(path) = v.strip_prefix('@').filter(|p| !p.is_empty()) {
            let s = std::fs::read_to_string(path).with_context(|| format!("read {path}"))?;
            out.extend(s.lines().filter(|l| !l.trim().is_empty()).map(String::from));
        } else {
            out.push(v.clone());
        }
    }
    Ok(Some(out))
}

pub fn run(g: &Global, a: Args) -> Result<()> {
    if a.words.len() > 2 {
        anyhow::bail!("too many arguments: expected [id] [message]");
    }
    let (mut id, mut extra) = (None, Vec::new());
    for w in &a.words {
        if id.is_none() && ids::looks_like_issue_id(w) {
            id = Some(w.clone());
        } else {
            extra.push(w.clone());
        }
    }
    let mut lists = a.lists.expand()?;
    extra.extend(a.message.clone());
    extra.extend(a.note.clone());
    if !extra.is_empty() {
        lists.done.get_or_insert_with(Vec::new).extend(extra);
    }
    let ctx = g.open(true)?;
    let id = match id {
        Some(i) => i,
        None => session_state::focused(&ctx)?
            .ok_or_else(|| anyhow::anyhow!("no issue specified and no focused issue"))?,
    };
    let t = ctx.begin()?;
    let issue = issues::must_get(&ctx.conn, &id)?;
    let id = issue.id.clone();
    entities::add_handoff(&ctx.conn, ctx.me(), &id, &lists)?;
    let loaded_at = issue.updated_at.clone();
    issues::write_logged(
        &ctx.conn,
        ctx.me(),
        issue,
        "update",
        Guard::UpdatedAt(loaded_at),
        Payload::Plain,
    )?;
    let n = cascade::handoff_down(&ctx, &id)?;
    t.commit()?;
    println!("HANDOFF RECORDED {id}");
    if n > 0 {
        println!("  + {n} descendant(s) received a cascaded handoff");
    }
    println!("\nNext: `td review {id}` to submit for review");
    Ok(())
}
