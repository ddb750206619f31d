//! `td start` / `td unstart`: claim work and release it (§7.2).

use anyhow::{bail, Result};

use super::{each_id, ids_or_focus, warn_failure, Global, Step};
use td_core::model::Issue;

use crate::context::Ctx;
use crate::output;
use crate::store::issues::{self, Guard, Payload};
use crate::store::{history, logs, session_state};
use crate::workflow;

#[derive(Debug, clap::Args)]
#[command(args_override_self = true)]
pub struct StartArgs {
    #[arg(required = true)]
    pub ids: Vec<String>,
    #[arg(long, allow_hyphen_values = true)]
    pub reason: Option<String>,
    /// Start even if blocked.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, clap::Args)]
#[command(args_override_self = true)]
pub struct UnstartArgs {
    pub ids: Vec<String>,
    #[arg(long, allow_hyphen_values = true)]
    pub reason: Option<String>,
    #[arg(long)]
    pub session: Option<String>,
    #[arg(long)]
    pub stale: bool,
    #[arg(long)]
    pub force: bool,
}

pub fn run_start(g: &Global, a: StartArgs) -> Result<()> {
    let ctx = g.open(true)?;
    let tally = each_id(&a.ids, |id| start_one(&ctx, id, &a), warn_failure);
    if a.ids.len() == 1 && tally.done == 1 {
        session_state::set_focus(&ctx, &td_core::ids::normalize_issue_id(&a.ids[0]))?;
    }
    if a.ids.len() > 1 {
        tally.print_skipped("Started");
    }
    tally.finish()
}

fn start_one(ctx: &Ctx, id: &str, a: &StartArgs) -> Result<Step> {
    let t = ctx.begin()?;
    let Some(issue) = issues::get(&ctx.conn, id)? else {
        bail!("issue not found: {id}");
    };
    let id = issue.id.clone();
    if issue.status == "in_progress" {
        if issue.implementer_session == ctx.me() {
            output::warn(format!("already started {id}"));
            return Ok(Step::Unchanged);
        }
        if issue.implementer_session.is_empty() {
            bail!("cannot start {id}: already in_progress with no recorded implementer");
        }
        bail!(
            "cannot start {id}: already in_progress under session {}",
            issue.implementer_session
        );
    }
    if !workflow::can_transition(&issue.status, "in_progress") {
        bail!(
            "cannot start {id}: invalid transition from {}",
            issue.status
        );
    }
    if issue.status == "blocked" && !a.force {
        bail!("cannot start blocked issue: {id} (use --force to override)");
    }
    claim(ctx, issue)?;
    let msg = a
        .reason
        .clone()
        .filter(|r| !r.is_empty())
        .unwrap_or_else(|| "Started work".into());
    let ws = session_state::active_work_session(ctx)?.unwrap_or_default();
    logs::add(&ctx.conn, ctx.me(), &id, &msg, "progress", &ws)?;
    t.commit()?;
    println!("STARTED {id} (session: {})", ctx.me());
    Ok(Step::Done)
}

/// Moves `issue` to in_progress under this session (guarded by its `updated_at`) and
/// records the start in the session history; `td start` and `td ws tag` share it.
pub fn claim(ctx: &Ctx, mut issue: Issue) -> Result<()> {
    let id = issue.id.clone();
    let loaded_at = issue.updated_at.clone();
    issue.status = "in_progress".into();
    issue.implementer_session = ctx.me().into();
    issues::write_logged(
        &ctx.conn,
        ctx.me(),
        issue,
        "start",
        Guard::UpdatedAt(loaded_at),
        Payload::Plain,
    )?;
    history::add(&ctx.conn, &id, ctx.me(), "started")
}

pub fn run_unstart(g: &Global, a: UnstartArgs) -> Result<()> {
    let ctx = g.open(true)?;
    let ids = ids_or_focus(&ctx, &a.ids)?;
    let reason = a.reason.as_deref();
    let tally = each_id(&ids, |id| unstart_one(&ctx, id, reason), warn_failure);
    if ids.len() > 1 {
        tally.print_counts("Unstarted");
    }
    tally.finish()
}

fn unstart_one(ctx: &Ctx, id: &str, reason: Option<&str>) -> Result<Step> {
    let t = ctx.begin()?;
    let Some(mut issue) = issues::get(&ctx.conn, id)? else {
        bail!("issue not found: {id}");
    };
    let id = issue.id.clone();
    if issue.status == "open" && issue.implementer_session.is_empty() {
        output::warn(format!("already unstarted {id}"));
        return Ok(Step::Unchanged);
    }
    if issue.status != "open" && issue.status != "in_progress" {
        bail!("issue not in_progress: {id} (status: {})", issue.status);
    }
    let from = issue.status.clone();
    issue.status = "open".into();
    issue.implementer_session.clear();
    issues::write_logged(
        &ctx.conn,
        ctx.me(),
        issue,
        "reopen",
        Guard::Status(from),
        Payload::Plain,
    )?;
    history::add(&ctx.conn, &id, ctx.me(), "unstarted")?;
    let msg = reason
        .filter(|r| !r.is_empty())
        .unwrap_or("Reverted to open");
    logs::add(&ctx.conn, ctx.me(), &id, msg, "progress", "")?;
    session_state::clear_focus_if(ctx, &id)?;
    t.commit()?;
    println!("UNSTARTED {id} → open");
    Ok(Step::Done)
}
