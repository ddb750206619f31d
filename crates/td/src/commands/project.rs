//! `td sync-project create|link|invite|list` (client spec §10).

use anyhow::{bail, Result};
use rusqlite::params;

use super::Global;
use crate::context::Ctx;
use crate::sync::{self as engine, SyncClient};
use crate::{output, user_config};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub cmd: Cmd,
}

#[derive(Debug, clap::Subcommand)]
pub enum Cmd {
    /// Create a project on the server and link this database to it.
    Create {
        name: String,
        #[arg(long, default_value = "", allow_hyphen_values = true)]
        description: String,
    },
    /// Link this database to an existing project.
    Link {
        project_id: String,
        /// Reset synced rows without asking when switching projects.
        #[arg(short = 'f', long)]
        force: bool,
    },
    /// Add a member by email (role owner|writer|reader, default writer).
    Invite { email: String, role: Option<String> },
    /// List your projects.
    List,
}

fn client() -> Result<SyncClient> {
    let auth = user_config::load_auth();
    if auth.api_key.is_empty() {
        bail!("not logged in (run: td auth login)");
    }
    Ok(SyncClient::new(
        &user_config::server_url(&auth),
        Some(&auth.api_key),
        engine::request_timeout(),
    ))
}

pub fn run(g: &Global, a: Args) -> Result<()> {
    match a.cmd {
        Cmd::Create { name, description } => create(g, &name, &description),
        Cmd::Link { project_id, force } => {
            let ctx = g.open(true)?;
            client()?;
            link(&ctx, &project_id, force)?;
            println!("Linked to project {project_id}");
            Ok(())
        }
        Cmd::Invite { email, role } => invite(g, &email, role.as_deref().unwrap_or("writer")),
        Cmd::List => list(),
    }
}

fn create(g: &Global, name: &str, description: &str) -> Result<()> {
    let client = client()?;
    let ctx = g.open(true)?;
    let p = client
        .create_project(name, description)
        .map_err(|e| anyhow::anyhow!("create project: {e}"))?;
    match link(&ctx, &p.id, true) {
        Ok(()) => println!("Created and linked to project {name} ({})", p.id),
        Err(e) => {
            println!("Created project {name} ({})", p.id);
            output::warn(format!("could not link: {e}"));
        }
    }
    Ok(())
}

/// Keeps exactly one sync_state row. Switching projects resets synced rows so they are
/// pushed to the new project.
fn link(ctx: &Ctx, project_id: &str, force: bool) -> Result<()> {
    let tx = super::tx(ctx)?;
    let current = engine::load_state(&ctx.conn)?.map(|s| s.project_id);
    if current.as_deref().is_some_and(|c| c != project_id) {
        let synced: i64 = ctx.conn.query_row(
            "SELECT COUNT(*) FROM action_log WHERE synced_at IS NOT NULL",
            [],
            |r| r.get(0),
        )?;
        if synced > 0 {
            if !force {
                bail!("already linked to {} with {synced} synced events; use -f to relink and re-sync them", current.unwrap_or_default());
            }
            let n = ctx.conn.execute("UPDATE action_log SET synced_at = NULL, server_seq = NULL WHERE synced_at IS NOT NULL", [])?;
            println!("Reset {n} events for re-sync");
        }
    }
    ctx.conn.execute("DELETE FROM sync_state", [])?;
    ctx.conn.execute(
        "INSERT INTO sync_state (project_id, last_pushed_action_id, last_pulled_server_seq, sync_disabled) VALUES (?1, 0, 0, 0)",
        params![project_id],
    )?;
    tx.commit()?;
    Ok(())
}

fn invite(g: &Global, email: &str, role: &str) -> Result<()> {
    if !matches!(role, "owner" | "writer" | "reader") {
        bail!("invalid role \"{role}\" (must be owner, writer, or reader)");
    }
    let client = client()?;
    let ctx = g.open(false)?;
    let Some(state) = engine::load_state(&ctx.conn)? else {
        bail!("project not linked (run: td sync-project link <id>)");
    };
    let m = client
        .add_member(&state.project_id, email, role)
        .map_err(|e| anyhow::anyhow!("invite: {e}"))?;
    println!("Added {email} as {} (user {})", m.role, m.user_id);
    Ok(())
}

fn list() -> Result<()> {
    let projects = client()?
        .list_projects()
        .map_err(|e| anyhow::anyhow!("list projects: {e}"))?;
    if projects.is_empty() {
        println!("No projects.");
    }
    for p in projects {
        println!("{}  {}", p.id, p.name);
    }
    Ok(())
}
