//! `td delete` / `td restore`: soft delete and undelete (always exit 0).

use anyhow::Result;

use super::Global;
use crate::output;
use crate::store::issues;

#[derive(Debug, clap::Args)]
#[command(args_override_self = true)]
pub struct DeleteArgs {
    #[arg(required = true)]
    pub ids: Vec<String>,
    #[arg(short = 'f', long)]
    pub force: bool,
    #[arg(short = 'y', long)]
    pub yes: bool,
}

#[derive(Debug, clap::Args)]
#[command(args_override_self = true)]
pub struct RestoreArgs {
    #[arg(required = true)]
    pub ids: Vec<String>,
}

pub fn run_delete(g: &Global, a: DeleteArgs) -> Result<()> {
    let ctx = g.open(true)?;
    for id in &a.ids {
        let t = ctx.begin()?;
        match issues::soft_delete(&ctx.conn, ctx.me(), id) {
            Ok(_) => {
                t.commit()?;
                println!("DELETED {id}");
            }
            Err(e) => output::error(format!("failed to delete {id}: {}", output::error_text(&e))),
        }
    }
    Ok(())
}

pub fn run_restore(g: &Global, a: RestoreArgs) -> Result<()> {
    let ctx = g.open(true)?;
    for id in &a.ids {
        let t = ctx.begin()?;
        match issues::restore(&ctx.conn, ctx.me(), id) {
            Ok(_) => {
                t.commit()?;
                println!("RESTORED {id}");
            }
            Err(e) => output::error(format!(
                "failed to restore {id}: {}",
                output::error_text(&e)
            )),
        }
    }
    Ok(())
}
