//! `td board`: named issue views with an optional TDQ query and explicit positions (§8).

use anyhow::{bail, Result};

use super::{tx, Global};
use crate::output;
use crate::store::boards::{self, Board};
use crate::store::issues;
use crate::tdq;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub cmd: BoardCmd,
}

#[derive(Debug, clap::Subcommand)]
pub enum BoardCmd {
    /// Create a board.
    Create(CreateArgs),
    /// Rename a board, change its query or view mode.
    Edit(EditArgs),
    /// Put an issue at a 1-based slot on a board.
    Move(MoveArgs),
    /// Remove an issue's explicit position on a board.
    Unposition(UnpositionArgs),
    /// Delete a board.
    Delete(DeleteArgs),
    /// List boards.
    #[command(visible_alias = "ls")]
    List,
}

#[derive(Debug, clap::Args)]
#[command(args_override_self = true)]
pub struct CreateArgs {
    /// `<name>` (exactly one).
    pub names: Vec<String>,
    /// TDQ query selecting the board's issues.
    #[arg(short = 'q', long, allow_hyphen_values = true)]
    pub query: Option<String>,
}

#[derive(Debug, clap::Args)]
#[command(args_override_self = true)]
pub struct EditArgs {
    /// Board id (`bd-…`) or name.
    pub board: String,
    #[arg(short = 'n', long, allow_hyphen_values = true)]
    pub name: Option<String>,
    #[arg(short = 'q', long, allow_hyphen_values = true)]
    pub query: Option<String>,
    /// swimlanes | backlog
    #[arg(long)]
    pub view_mode: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct MoveArgs {
    pub board: String,
    pub issue: String,
    #[arg(allow_hyphen_values = true)]
    pub slot: String,
}

#[derive(Debug, clap::Args)]
pub struct UnpositionArgs {
    pub board: String,
    pub issue: String,
}

#[derive(Debug, clap::Args)]
pub struct DeleteArgs {
    pub board: String,
}

pub fn run(g: &Global, a: Args) -> Result<()> {
    match a.cmd {
        BoardCmd::Create(c) => create(g, c),
        BoardCmd::Edit(e) => edit(g, e),
        BoardCmd::Move(m) => move_issue(g, m),
        BoardCmd::Unposition(u) => unposition(g, u),
        BoardCmd::Delete(d) => delete(g, d),
        BoardCmd::List => list(g),
    }
}

fn check_query(q: &str) -> Result<()> {
    tdq::validate(q).map_err(|e| anyhow::anyhow!("invalid query: {e}"))
}

fn create(g: &Global, a: CreateArgs) -> Result<()> {
    let name = match a.names.as_slice() {
        [] => bail!("board name is required"),
        [n] => n.trim(),
        _ => bail!("too many arguments: expected one board name (quote names with spaces)"),
    };
    if name.is_empty() {
        bail!("board name is required");
    }
    let query = a.query.unwrap_or_default();
    check_query(&query)?;
    let ctx = g.open(true)?;
    let t = tx(&ctx)?;
    let b = boards::create(&ctx.conn, ctx.me(), name, &query)?;
    t.commit()?;
    println!("Created board {} ({})", b.name, b.id);
    Ok(())
}

fn edit(g: &Global, a: EditArgs) -> Result<()> {
    if let Some(m) = &a.view_mode {
        if m != "swimlanes" && m != "backlog" {
            bail!("invalid view mode: {m} (must be 'swimlanes' or 'backlog')");
        }
    }
    if let Some(q) = &a.query {
        check_query(q)?;
    }
    let ctx = g.open(true)?;
    let t = tx(&ctx)?;
    let prev = writable(boards::resolve(&ctx.conn, &a.board)?, "modify")?;
    let mut new = prev.clone();
    if let Some(n) = a.name.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
        new.name = n.to_string();
    }
    if let Some(q) = a.query {
        new.query = q;
    }
    if let Some(m) = a.view_mode {
        new.view_mode = m;
    }
    let b = boards::update(&ctx.conn, ctx.me(), &prev, &new)?;
    t.commit()?;
    println!("Updated board {}", b.name);
    Ok(())
}

/// Builtin boards can be neither modified nor deleted.
fn writable(b: Board, verb: &str) -> Result<Board> {
    if b.is_builtin {
        bail!("cannot {verb} builtin board");
    }
    Ok(b)
}

fn move_issue(g: &Global, a: MoveArgs) -> Result<()> {
    let slot = match a.slot.trim().parse::<i64>() {
        Ok(n) if n >= 1 => usize::try_from(n).unwrap_or(usize::MAX),
        _ => bail!("Position must be a positive integer"),
    };
    let ctx = g.open(true)?;
    let t = tx(&ctx)?;
    let b = boards::resolve(&ctx.conn, &a.board)?;
    let issue = issues::must_get(&ctx.conn, &a.issue)?;
    boards::move_to_slot(&ctx.conn, ctx.me(), &b.id, &issue.id, slot)?;
    t.commit()?;
    println!("Set {} to position {slot} on {}", issue.id, b.name);
    Ok(())
}

fn unposition(g: &Global, a: UnpositionArgs) -> Result<()> {
    let ctx = g.open(true)?;
    let t = tx(&ctx)?;
    let b = boards::resolve(&ctx.conn, &a.board)?;
    let id = issues::get(&ctx.conn, &a.issue)?
        .map_or_else(|| td_core::ids::normalize_issue_id(&a.issue), |i| i.id);
    boards::unposition(&ctx.conn, ctx.me(), &b.id, &id)?;
    t.commit()?;
    println!("Removed explicit position for {id} on {}", b.name);
    Ok(())
}

fn delete(g: &Global, a: DeleteArgs) -> Result<()> {
    let ctx = g.open(true)?;
    let t = tx(&ctx)?;
    let b = writable(boards::resolve(&ctx.conn, &a.board)?, "delete")?;
    boards::delete(&ctx.conn, ctx.me(), &b)?;
    t.commit()?;
    println!("Deleted board {}", b.name);
    Ok(())
}

fn list(g: &Global) -> Result<()> {
    let ctx = g.open(false)?;
    for b in boards::list(&ctx.conn)? {
        let n = boards::live_positions(&ctx.conn, &b.id)?.len();
        let query = if b.query.is_empty() {
            String::new()
        } else {
            format!("  query: {}", output::one_line(&b.query))
        };
        println!(
            "{}  {}  [{}]  {n} positioned{query}",
            b.id,
            output::one_line(&b.name),
            b.view_mode
        );
    }
    Ok(())
}
