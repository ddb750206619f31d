//! `td init`: create `.todos/` and the database.

use std::io::Write;

use anyhow::{Context as _, Result};

use super::Global;
use crate::context;

#[derive(Debug, clap::Args)]
#[command(args_override_self = true)]
pub struct Args {}

pub fn run(g: &Global, _a: Args) -> Result<()> {
    let base = context::start_dir(g.work_dir.as_deref())?;
    let todos = base.join(".todos");
    if todos.exists() {
        crate::output::warn(".todos/ already exists");
        return Ok(());
    }
    std::fs::create_dir_all(&todos).with_context(|| format!("create {}", todos.display()))?;
    let conn = context::open_db(&todos.join("issues.db"))?;
    td_core::schema::create(&conn).context("create schema")?;
    let session = crate::session::get_or_create(&conn, &base)?;
    if let Some(top) = crate::git::toplevel(&base) {
        add_gitignore(&top)?;
    }
    let mut out = std::io::stdout().lock();
    writeln!(out, "INITIALIZED {}", todos.display())?;
    writeln!(out, "Session: {}", session.id)?;
    writeln!(out)?;
    writeln!(out, "Tell your agents: run `td create \"<title>\"` to track work and `td start <id>` to claim it.")?;
    Ok(())
}

fn add_gitignore(top: &std::path::Path) -> Result<()> {
    let path = top.join(".gitignore");
    let existing = std::fs::read_to_string(&path).unwrap_or_default();
    if existing.lines().any(|l| l.trim() == ".todos/") {
        return Ok(());
    }
    let sep = if existing.is_empty() || existing.ends_with('\n') {
        ""
    } else {
        "\n"
    };
    std::fs::write(&path, format!("{existing}{sep}.todos/\n")).context("update .gitignore")
}
