//! `td dep`: issue dependencies (§7.6, §8). `td dep A B` = `td dep add A B` = "A depends
//! on B". `dep add` always exits 0; `dep rm` exits 1 when an issue is missing.

use anyhow::{bail, Result};

use super::{split_list, tx, Global};
use crate::context::Ctx;
use crate::output;
use crate::store::{self, deps, issues};

#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true, args_override_self = true)]
pub struct Args {
    #[command(subcommand)]
    pub cmd: Option<DepCmd>,
    /// `<issue> <dep>...` (same as `dep add`); `<issue>` alone lists its dependencies.
    pub words: Vec<String>,
    /// Comma-separated dependencies (same as extra positionals).
    #[arg(long = "depends-on", action = clap::ArgAction::Append)]
    pub depends_on: Vec<String>,
}

#[derive(Debug, clap::Subcommand)]
pub enum DepCmd {
    /// `<issue>` depends on each `<dep>`.
    Add(AddArgs),
    /// Remove the dependency of `<issue>` on `<dep>`.
    #[command(visible_alias = "remove")]
    Rm(RmArgs),
}

#[derive(Debug, clap::Args)]
#[command(args_override_self = true)]
pub struct AddArgs {
    /// `<issue> <dep>...`
    #[arg(required = true)]
    pub words: Vec<String>,
    #[arg(long = "depends-on", action = clap::ArgAction::Append)]
    pub depends_on: Vec<String>,
}

#[derive(Debug, clap::Args)]
pub struct RmArgs {
    pub issue: String,
    pub dep: String,
}

pub fn run(g: &Global, a: Args) -> Result<()> {
    match a.cmd {
        Some(DepCmd::Add(add)) => run_add(g, &add.words, &add.depends_on),
        Some(DepCmd::Rm(rm)) => run_rm(g, &rm.issue, &rm.dep),
        None if a.words.len() == 1 && a.depends_on.is_empty() => list(g, &a.words[0]),
        None if a.words.is_empty() => bail!("usage: td dep add <issue> <dependency>..."),
        None => run_add(g, &a.words, &a.depends_on),
    }
}

fn run_add(g: &Global, words: &[String], depends_on: &[String]) -> Result<()> {
    let (issue, rest) = words.split_first().expect("clap requires an issue");
    let mut wanted: Vec<String> = rest.to_vec();
    wanted.extend(split_list(depends_on));
    if wanted.is_empty() {
        bail!("no dependencies given: td dep add <issue> <dependency>...");
    }
    let ctx = g.open(true)?;
    let added = add_all(&ctx, issue, &wanted);
    if wanted.len() > 1 {
        println!("\nAdded {added} dependencies");
    }
    Ok(())
}

/// Adds `issue` → each of `wanted`, reporting per dependency; returns how many were added.
/// Failures are printed, never returned (`dep add` exits 0).
pub fn add_all(ctx: &Ctx, issue: &str, wanted: &[String]) -> usize {
    let mut added = 0;
    for dep in wanted {
        match add_one(ctx, issue, dep) {
            Ok(true) => added += 1,
            Ok(false) => {}
            Err(e) => output::error(output::error_text(&e)),
        }
    }
    added
}

/// One dependency in one transaction: rows, action_log, approval invalidation.
fn add_one(ctx: &Ctx, issue: &str, dep: &str) -> Result<bool> {
    let t = tx(ctx)?;
    let a = issues::must_get(&ctx.conn, issue)?;
    let b = issues::must_get(&ctx.conn, dep)?;
    match deps::add(&ctx.conn, ctx.me(), &a.id, &b.id)? {
        deps::Added::WouldCycle => {
            bail!("cannot add dependency: would create circular dependency")
        }
        deps::Added::AlreadyExists => {
            output::warn(format!("{} already depends on {}", a.id, b.id));
            Ok(false)
        }
        deps::Added::Added => {
            store::invalidate_approval(&ctx.conn, ctx.me(), &a.id)?;
            t.commit()?;
            println!("ADDED: {} depends on {}", a.id, b.id);
            println!("  {}: {}", a.id, output::one_line(&a.title));
            println!(
                "  └── now depends on: {}: {}",
                b.id,
                output::one_line(&b.title)
            );
            Ok(true)
        }
    }
}

fn run_rm(g: &Global, issue: &str, dep: &str) -> Result<()> {
    let ctx = g.open(true)?;
    let t = tx(&ctx)?;
    let a = issues::must_get(&ctx.conn, issue)?;
    let b = issues::must_get(&ctx.conn, dep)?;
    if deps::remove(&ctx.conn, ctx.me(), &a.id, &b.id)? {
        store::invalidate_approval(&ctx.conn, ctx.me(), &a.id)?;
    }
    t.commit()?;
    println!("REMOVED: {} no longer depends on {}", a.id, b.id);
    Ok(())
}

fn list(g: &Global, issue: &str) -> Result<()> {
    let ctx = g.open(false)?;
    let a = issues::must_get(&ctx.conn, issue)?;
    let on = deps::depends_on(&ctx.conn, &a.id)?;
    let by = deps::dependents(&ctx.conn, &a.id)?;
    println!("{}: {}", a.id, output::one_line(&a.title));
    print_group("Depends on", &on, &ctx)?;
    print_group("Blocks", &by, &ctx)
}

fn print_group(label: &str, ids: &[String], ctx: &Ctx) -> Result<()> {
    if ids.is_empty() {
        println!("{label}: none");
        return Ok(());
    }
    println!("{label}:");
    for id in ids {
        match issues::get(&ctx.conn, id)? {
            Some(i) => println!("  {id}: {} [{}]", output::one_line(&i.title), i.status),
            None => println!("  {id}"),
        }
    }
    Ok(())
}
