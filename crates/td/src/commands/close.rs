//! `td close`, `td reopen`, `td block`, `td unblock` (§7.2, §7.4).

use anyhow::{bail, Result};
use td_core::time;

use super::{each_id, ids_or_focus, warn_failure, Global, Step};
use crate::context::Ctx;
use crate::output;
use crate::store::issues::{self, Guard, Payload};
use crate::store::{history, logs, session_state};
use crate::{cascade, workflow};

#[derive(Debug, clap::Args)]
#[command(args_override_self = true)]
pub struct CloseArgs {
    pub ids: Vec<String>,
    #[arg(short = 'm', long, visible_aliases = ["comment", "message", "notes"], allow_hyphen_values = true)]
    pub reason: Option<String>,
    #[arg(short = 'n', long, allow_hyphen_values = true)]
    pub note: Option<String>,
    /// Close your own work anyway, recording why.
    #[arg(long, allow_hyphen_values = true)]
    pub self_close_exception: Option<String>,
    /// Administrative close, recording why.
    #[arg(long, allow_hyphen_values = true)]
    pub admin: Option<String>,
}

#[derive(Debug, clap::Args)]
#[command(args_override_self = true)]
pub struct ReasonArgs {
    #[arg(required = true)]
    pub ids: Vec<String>,
    #[arg(short = 'm', long, allow_hyphen_values = true)]
    pub reason: Option<String>,
}

fn with_reason(base: &str, reason: Option<&str>) -> String {
    match reason.filter(|r| !r.is_empty()) {
        Some(r) => format!("{base}: {r}"),
        None => base.to_string(),
    }
}

pub fn run_close(g: &Global, mut a: CloseArgs) -> Result<()> {
    if a.reason.is_none() {
        a.reason = a.note.take();
    }
    let ctx = g.open(true)?;
    let ids = ids_or_focus(&ctx, &a.ids)?;
    let tally = each_id(&ids, |id| close_one(&ctx, id, &a), report_close_failure);
    if ids.len() > 1 {
        tally.print_skipped("Closed");
    }
    tally.finish()
}

/// §7.4: a missing id is a warning, not a refusal; a refused close is an error, with
/// the review hint when review is the way forward.
fn report_close_failure(id: &str, e: &anyhow::Error) {
    let text = output::error_text(e);
    if text.starts_with("issue not found") {
        output::warn(&text);
        return;
    }
    output::error(&text);
    if text.starts_with("cannot close") {
        output::error(format!("  Submit for review: td review {id}"));
    }
}

fn close_one(ctx: &Ctx, id: &str, a: &CloseArgs) -> Result<Step> {
    let t = ctx.begin()?;
    let Some(mut issue) = issues::get(&ctx.conn, id)? else {
        bail!("issue not found: {id}");
    };
    let id = issue.id.clone();
    if issue.status == "closed" {
        output::warn(format!("already closed {id}"));
        return Ok(Step::Unchanged);
    }
    if !workflow::can_transition(&issue.status, "closed") {
        bail!(
            "cannot close {id}: invalid transition from {}",
            issue.status
        );
    }
    if issue.status == "in_review" && !issue.minor {
        bail!(
            "cannot close {id}: issue is in review; use 'td approve {id}' to close reviewed work"
        );
    }
    let exception = a.admin.clone().or_else(|| a.self_close_exception.clone());
    let inv = workflow::Involvement {
        minor: issue.minor,
        is_creator: issue.creator_session == ctx.me(),
        is_implementer: issue.implementer_session == ctx.me(),
        my_impl_history: history::has(&ctx.conn, &id, Some(ctx.me()), history::IMPL)?,
        my_any_history: history::has(&ctx.conn, &id, Some(ctx.me()), &[])?,
        any_impl_history: history::has(&ctx.conn, &id, None, history::IMPL)?,
    };
    let refused = workflow::close_allowed(&id, &issue.status, &inv).err();
    if let (Some(msg), None) = (&refused, &exception) {
        bail!("{msg}");
    }
    let from = issue.status.clone();
    issue.status = "closed".into();
    issue.closed_by_session = ctx.me().into();
    issue.closed_at = Some(time::db_now());
    let written = issues::write_logged(
        &ctx.conn,
        ctx.me(),
        issue,
        "close",
        Guard::Status(from),
        Payload::Plain,
    )?;
    if let (Some(_), Some(why)) = (&refused, &exception) {
        let kind = if a.admin.is_some() {
            "ADMIN"
        } else {
            "SELF-CLOSE EXCEPTION"
        };
        let msg = format!("[{}] Closed ({kind}: {why})", ctx.session.agent_type);
        logs::add(&ctx.conn, ctx.me(), &id, &msg, "security", "")?;
    }
    let msg = match &a.admin {
        Some(x) => format!("Closed (ADMIN: {x})"),
        None => with_reason("Closed", a.reason.as_deref()),
    };
    logs::add(&ctx.conn, ctx.me(), &id, &msg, "progress", "")?;
    session_state::clear_focus_if(ctx, &id)?;
    let mut lines = Vec::new();
    cascade::after_close(ctx, &written, &mut lines)?;
    t.commit()?;
    println!("CLOSED {id}");
    lines.iter().for_each(|l| println!("{l}"));
    Ok(Step::Done)
}

/// One status verb: its checks and what it writes.
struct Verb {
    name: &'static str,
    past: &'static str,
    action: &'static str,
    target: &'static str,
    log_base: &'static str,
    log_type: &'static str,
    summary: bool,
}

const REOPEN: Verb = Verb {
    name: "reopen",
    past: "Reopened",
    action: "reopen",
    target: "open",
    log_base: "Reopened",
    log_type: "progress",
    summary: true,
};
const BLOCK: Verb = Verb {
    name: "block",
    past: "Blocked",
    action: "block",
    target: "blocked",
    log_base: "Blocked",
    log_type: "blocker",
    summary: false,
};
const UNBLOCK: Verb = Verb {
    name: "unblock",
    past: "Unblocked",
    action: "unblock",
    target: "open",
    log_base: "Unblocked",
    log_type: "progress",
    summary: true,
};

pub fn run_reopen(g: &Global, a: ReasonArgs) -> Result<()> {
    run_verb(g, a, &REOPEN)
}

pub fn run_block(g: &Global, a: ReasonArgs) -> Result<()> {
    run_verb(g, a, &BLOCK)
}

pub fn run_unblock(g: &Global, a: ReasonArgs) -> Result<()> {
    run_verb(g, a, &UNBLOCK)
}

fn run_verb(g: &Global, a: ReasonArgs, v: &Verb) -> Result<()> {
    let ctx = g.open(true)?;
    let reason = a.reason.as_deref();
    let tally = each_id(&a.ids, |id| verb_one(&ctx, id, reason, v), warn_failure);
    if v.summary && a.ids.len() > 1 {
        tally.print_counts(v.past);
    }
    tally.finish()
}

/// The verb's refusal for the current status, `Ok(false)` for a no-op.
fn precheck(id: &str, status: &str, v: &Verb) -> Result<bool> {
    match (v.name, status) {
        ("reopen", "open") => Ok(false),
        ("reopen", s) if s != "closed" => bail!("{id} is not closed (status: {s})"),
        ("block", "blocked") => Ok(false),
        ("block", s) if !workflow::can_transition(s, "blocked") => {
            bail!("cannot block {id}: invalid transition from {s}")
        }
        ("unblock", "open") => Ok(false),
        ("unblock", s) if s != "blocked" => bail!("{id} is not blocked (status: {s})"),
        _ => Ok(true),
    }
}

fn verb_one(ctx: &Ctx, id: &str, reason: Option<&str>, v: &Verb) -> Result<Step> {
    let t = ctx.begin()?;
    let Some(mut issue) = issues::get(&ctx.conn, id)? else {
        bail!("issue not found: {id}");
    };
    let id = issue.id.clone();
    if !precheck(&id, &issue.status, v)? {
        let already = match v.name {
            "reopen" => "already reopened",
            "block" => "already blocked",
            _ => "already unblocked",
        };
        output::warn(format!("{already} {id}"));
        return Ok(Step::Unchanged);
    }
    let loaded_at = issue.updated_at.clone();
    issue.status = v.target.into();
    if v.name == "reopen" {
        issue.reviewer_session.clear();
        issue.closed_at = None;
    }
    issues::write_logged(
        &ctx.conn,
        ctx.me(),
        issue,
        v.action,
        Guard::UpdatedAt(loaded_at),
        Payload::Plain,
    )?;
    logs::add(
        &ctx.conn,
        ctx.me(),
        &id,
        &with_reason(v.log_base, reason),
        v.log_type,
        "",
    )?;
    t.commit()?;
    println!("{} {id}", v.past.to_ascii_uppercase());
    Ok(Step::Done)
}
