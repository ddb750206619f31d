//! `td sync [--push] [--pull] [--status]` (sync spec §7.1).

use anyhow::{bail, Result};

use super::Global;
use crate::sync::{self as engine, SyncClient};
use crate::{output, user_config};

#[derive(Debug, clap::Args)]
#[command(args_override_self = true)]
pub struct Args {
    /// Only push local changes.
    #[arg(long)]
    pub push: bool,
    /// Only pull remote changes.
    #[arg(long)]
    pub pull: bool,
    /// Show sync status only.
    #[arg(long)]
    pub status: bool,
}

pub fn run(g: &Global, a: Args) -> Result<()> {
    let auth = user_config::load_auth();
    if auth.api_key.is_empty() {
        bail!("not logged in (run: td auth login)");
    }
    let mut ctx = g.open(true)?;
    let Some(state) = engine::load_state(&ctx.conn)? else {
        bail!("project not linked (run: td sync-project link <id>)");
    };
    let client = SyncClient::new(
        &user_config::server_url(&auth),
        Some(&auth.api_key),
        engine::request_timeout(),
    );
    if a.status {
        return status(&ctx.conn, &client, &state);
    }
    let check: String = ctx.conn.query_row("PRAGMA quick_check", [], |r| r.get(0))?;
    if check != "ok" {
        bail!("local database is corrupt; sync aborted before making changes: {check}");
    }
    let device = user_config::device_id(&auth);
    let me = ctx.me().to_string();
    if !a.pull {
        match engine::push(&mut ctx.conn, &client, &device, &me, &state.project_id) {
            Ok(r) => engine::print_all(&r.lines),
            Err(e) => return fail(&e, "push"),
        }
    }
    if !a.push {
        match engine::pull(&mut ctx.conn, &client, &device, &state) {
            Ok(r) => engine::print_all(&r.lines),
            Err(e) => return fail(&e, "pull"),
        }
    }
    Ok(())
}

/// `ERROR: push: HTTP 401: {…}` etc. The raw status and body stay in the line (the
/// original shows exactly this against the nested error body), so `429` is visible.
fn fail(e: &engine::SyncError, phase: &str) -> Result<()> {
    output::error(e.report(phase));
    output::silent()
}

fn status(
    conn: &rusqlite::Connection,
    client: &SyncClient,
    state: &engine::SyncState,
) -> Result<()> {
    let pending: i64 = conn.query_row(
        "SELECT COUNT(*) FROM action_log WHERE synced_at IS NULL",
        [],
        |r| r.get(0),
    )?;
    let skipped: i64 =
        conn.query_row("SELECT COUNT(*) FROM sync_skipped_events", [], |r| r.get(0))?;
    println!("Project: {}", state.project_id);
    println!("Pending events: {pending}");
    println!("Last pulled seq: {}", state.last_pulled_server_seq);
    println!(
        "Last sync: {}",
        state.last_sync_at.as_deref().unwrap_or("never")
    );
    println!("Skipped remote events: {skipped}");
    match client.sync_status(&state.project_id) {
        Ok(s) => println!(
            "Server: {} events, last seq {}",
            s.event_count, s.last_server_seq
        ),
        Err(e) => output::warn(format!("server status: {e}")),
    }
    Ok(())
}
