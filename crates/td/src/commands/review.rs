//! `td review`, `td approve`, `td reject`: the review half of the workflow (§7.2–§7.3).

use anyhow::{anyhow, bail, Result};
use td_core::model::Issue;
use td_core::time;

use super::{each_id, warn_failure, Global, Step, Tally};
use crate::context::Ctx;
use crate::output;
use crate::store::entities::{self, HandoffLists};
use crate::store::issues::{self, Guard, Payload};
use crate::store::reviews::{self, Review};
use crate::store::{history, logs, session_state};
use crate::{cascade, workflow};

#[derive(Debug, clap::Args)]
#[command(args_override_self = true)]
pub struct ReviewArgs {
    #[arg(required = true)]
    pub ids: Vec<String>,
    #[arg(short = 'm', long, visible_aliases = ["message", "comment", "note", "notes"], allow_hyphen_values = true)]
    pub reason: Option<String>,
    /// Minor change: no handoff needed, self-review allowed.
    #[arg(long)]
    pub minor: bool,
}

#[derive(Debug, clap::Args)]
#[command(args_override_self = true)]
pub struct ApproveArgs {
    pub ids: Vec<String>,
    #[arg(short = 'm', long, visible_aliases = ["message", "note", "notes"], allow_hyphen_values = true)]
    pub reason: Option<String>,
    #[arg(short = 'c', long, allow_hyphen_values = true)]
    pub comment: Option<String>,
    /// Approve every in_review issue you may approve.
    #[arg(long)]
    pub all: bool,
    /// Record the review decision without closing.
    #[arg(long)]
    pub record_only: bool,
    /// You reviewed your own work (requires --reason).
    #[arg(long)]
    pub self_review: bool,
    /// Who reviewed it (a sub-agent or another party).
    #[arg(long, allow_hyphen_values = true)]
    pub reviewed_by: Option<String>,
    /// approved | changes_requested (with --record-only).
    #[arg(long)]
    pub decision: Option<String>,
}

#[derive(Debug, clap::Args)]
#[command(args_override_self = true)]
pub struct RejectArgs {
    #[arg(required = true)]
    pub ids: Vec<String>,
    #[arg(short = 'm', long, visible_aliases = ["message", "comment", "note", "notes"], allow_hyphen_values = true)]
    pub reason: Option<String>,
}

fn with_reason(base: &str, reason: Option<&str>) -> String {
    match reason.filter(|r| !r.is_empty()) {
        Some(r) => format!("{base}: {r}"),
        None => base.to_string(),
    }
}

// ---- review ----

pub fn run_review(g: &Global, a: ReviewArgs) -> Result<()> {
    let ctx = g.open(true)?;
    let tally = each_id(&a.ids, |id| review_one(&ctx, id, &a), warn_failure);
    if a.ids.len() > 1 {
        tally.print_skipped("Reviewed");
    }
    Ok(())
}

fn review_one(ctx: &Ctx, id: &str, a: &ReviewArgs) -> Result<Step> {
    let t = ctx.begin()?;
    let Some(mut issue) = issues::get(&ctx.conn, id)? else {
        bail!("issue not found: {id}");
    };
    let id = issue.id.clone();
    if !a.minor && !entities::has_handoff(&ctx.conn, &id)? {
        auto_handoff(ctx, &id)?;
        t.commit()?;
    } else {
        drop(t);
    }
    let t = ctx.begin()?;
    if issue.status == "in_review" {
        bail!("cannot review {id}: already in review\n  Approve it with: td approve {id}");
    }
    if !workflow::can_transition(&issue.status, "in_review") {
        bail!(
            "cannot review {id}: cannot transition {id} from {} to in_review: transition not allowed",
            issue.status
        );
    }
    let from = issue.status.clone();
    issue.status = "in_review".into();
    if issue.implementer_session.is_empty() {
        issue.implementer_session = ctx.me().into();
    }
    issue.review_requested_by_session = ctx.me().into();
    if a.minor {
        issue.minor = true;
    }
    let written = issues::write_logged(
        &ctx.conn,
        ctx.me(),
        issue,
        "review",
        Guard::Status(from),
        Payload::Plain,
    )
    .map_err(|e| anyhow!("cannot review {id}: {}", stale_text(&e)))?;
    let msg = a
        .reason
        .clone()
        .filter(|r| !r.is_empty())
        .unwrap_or_else(|| "Submitted for review".into());
    logs::add(&ctx.conn, ctx.me(), &id, &msg, "progress", "")?;
    session_state::clear_focus_if(ctx, &id)?;
    let cascaded = cascade::review_down(ctx, &id)?;
    let mut lines = Vec::new();
    cascade::up(ctx, &written, "in_review", &mut lines)?;
    t.commit()?;
    println!("REVIEW REQUESTED {id} (session: {})", ctx.me());
    if cascaded > 0 {
        println!("  + {cascaded} descendant(s) also marked for review");
    }
    lines.iter().for_each(|l| println!("{l}"));
    Ok(Step::Done)
}

fn stale_text(e: &anyhow::Error) -> String {
    let t = output::error_text(e);
    if t.contains("status changed from") {
        format!("{t} in another session")
    } else {
        t
    }
}

const ROUTINE: &[&str] = &[
    "started work",
    "submitted for review",
    "approved",
    "rejected",
    "closed",
];
const ROUTINE_PREFIXES: &[&str] = &[
    "submitted for review via ",
    "approved: ",
    "rejected: ",
    "closed: ",
    "cascaded review from ",
    "auto-unblocked (",
];

fn is_substantive(message: &str, log_type: &str) -> bool {
    if log_type != "progress" {
        return true;
    }
    let m = message.trim().to_ascii_lowercase();
    !ROUTINE.contains(&m.as_str()) && !ROUTINE_PREFIXES.iter().any(|p| m.starts_with(p))
}

/// The handoff `review` writes when an issue has none (before the transition is checked).
fn auto_handoff(ctx: &Ctx, id: &str) -> Result<()> {
    let mut stmt = ctx.conn.prepare(
        "SELECT message, type FROM logs WHERE issue_id = ?1 ORDER BY timestamp DESC, rowid DESC",
    )?;
    let rows: Vec<(String, String)> = stmt
        .query_map([id], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let mut done = Vec::new();
    let mut decisions = Vec::new();
    for (m, ty) in rows
        .into_iter()
        .filter(|(m, t)| is_substantive(m, t))
        .take(8)
    {
        if ty == "decision" {
            decisions.push(m);
        } else {
            done.push(m);
        }
    }
    let lists = if done.is_empty() && decisions.is_empty() {
        HandoffLists {
            done: Some(vec!["Auto-generated for review submission".into()]),
            remaining: Some(vec![]),
            decisions: Some(vec![]),
            uncertain: Some(vec![]),
        }
    } else {
        HandoffLists {
            done: Some(done),
            remaining: Some(vec!["see session logs".into()]),
            decisions: Some(decisions),
            uncertain: Some(vec![]),
        }
    };
    entities::add_handoff(&ctx.conn, ctx.me(), id, &lists)?;
    Ok(())
}

// ---- approve ----

pub fn run_approve(g: &Global, mut a: ApproveArgs) -> Result<()> {
    if a.reason.is_none() {
        a.reason = a.comment.take();
    }
    let ctx = g.open(true)?;
    let ids = if a.all {
        reviewable(&ctx)?
    } else {
        a.ids.clone()
    };
    if ids.is_empty() && !a.all {
        bail!("no issues specified");
    }
    let mut tally = Tally::default();
    for id in &ids {
        match approve_one(&ctx, id, &a)? {
            Some(true) => tally.done += 1,
            Some(false) => tally.unchanged += 1,
            None => tally.failed += 1,
        }
    }
    if ids.len() > 1 {
        tally.print_skipped("Approved");
    }
    if a.all {
        return Ok(());
    }
    tally.finish()
}

fn reviewable(ctx: &Ctx) -> Result<Vec<String>> {
    let mut stmt = ctx.conn.prepare(
        "SELECT id FROM issues WHERE status = 'in_review' AND deleted_at IS NULL AND implementer_session != ?1 ORDER BY id",
    )?;
    let rows = stmt.query_map([ctx.me()], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

fn involvement(ctx: &Ctx, issue: &Issue) -> Result<workflow::Involvement> {
    Ok(workflow::Involvement {
        minor: issue.minor,
        is_creator: issue.creator_session == ctx.me(),
        is_implementer: issue.implementer_session == ctx.me(),
        my_impl_history: history::has(&ctx.conn, &issue.id, Some(ctx.me()), history::IMPL)?,
        my_any_history: history::has(&ctx.conn, &issue.id, Some(ctx.me()), &[])?,
        any_impl_history: history::has(&ctx.conn, &issue.id, None, history::IMPL)?,
    })
}

/// `Some(true)` approved, `Some(false)` no-op, `None` skipped (already reported).
/// A status that changed under us is a hard error, as in the original.
fn approve_one(ctx: &Ctx, id: &str, a: &ApproveArgs) -> Result<Option<bool>> {
    let Some(issue) = issues::get(&ctx.conn, id)? else {
        output::warn(format!("issue not found: {id}"));
        return Ok(None);
    };
    let id = issue.id.clone();
    if issue.status == "closed" {
        output::warn(format!("already approved/closed {id}"));
        return Ok(Some(false));
    }
    if a.record_only {
        return record_only(ctx, issue, a);
    }
    let mode = ctx.config.review_policy_mode();
    if mode == "trusted" || mode == "delegated" {
        if let Some(rv) = reviews::active_approval(&ctx.conn, &id)? {
            return close_after_review(ctx, issue, rv, a);
        }
    }
    if !workflow::can_transition(&issue.status, "closed") {
        output::warn(format!(
            "cannot approve {id}: invalid transition from {}",
            issue.status
        ));
        return Ok(None);
    }
    let attributed = a.reviewed_by.as_deref().is_some_and(|r| !r.is_empty());
    if a.self_review && a.reason.as_deref().unwrap_or("").is_empty() {
        output::error(format!("--self-review requires --reason for {id}"));
        return Ok(None);
    }
    if !(attributed || a.self_review) {
        if let Err(msg) = workflow::approve_allowed(&mode, &id, &involvement(ctx, &issue)?) {
            output::error(msg);
            return Ok(None);
        }
    }
    approve_direct(ctx, issue, a, attributed)
}

fn approve_direct(
    ctx: &Ctx,
    issue: Issue,
    a: &ApproveArgs,
    attributed: bool,
) -> Result<Option<bool>> {
    let id = issue.id.clone();
    if issue.status != "in_review" {
        output::warn(format!(
            "cannot approve {id}: status changed from in_review to {} in another session",
            issue.status
        ));
        bail!(
            "issue {id} status changed from in_review to {}",
            issue.status
        );
    }
    let t = ctx.begin()?;
    let (_, payload) = insert_review(ctx, &issue, a, "approved", attributed || a.self_review)?;
    let now = time::db_now();
    let mut new = issue;
    new.status = "closed".into();
    new.reviewer_session = ctx.me().into();
    new.closed_by_session = ctx.me().into();
    new.reviewed_at = Some(now.clone());
    new.closed_at = Some(now);
    let written = issues::write_logged(
        &ctx.conn,
        ctx.me(),
        new,
        "approve",
        Guard::Status("in_review".into()),
        payload,
    )?;
    history::add(&ctx.conn, &id, ctx.me(), "reviewed")?;
    if a.self_review {
        let msg = format!(
            "[{}] Approved (SELF-REVIEW: {})",
            ctx.session.agent_type,
            a.reason.as_deref().unwrap_or("")
        );
        logs::add(&ctx.conn, ctx.me(), &id, &msg, "security", "")?;
    }
    logs::add(
        &ctx.conn,
        ctx.me(),
        &id,
        &with_reason("Approved", a.reason.as_deref()),
        "progress",
        "",
    )?;
    session_state::clear_focus_if(ctx, &id)?;
    let mut lines = Vec::new();
    cascade::after_close(ctx, &written, &mut lines)?;
    t.commit()?;
    println!("APPROVED {id} (reviewer: {})", ctx.me());
    lines.iter().for_each(|l| println!("{l}"));
    Ok(Some(true))
}

/// Supersedes `issue`'s active reviews and records this session's `decision`; returns
/// the new review and the payload tying the issue's write to both.
fn insert_review(
    ctx: &Ctx,
    issue: &Issue,
    a: &ApproveArgs,
    decision: &str,
    self_review: bool,
) -> Result<(Review, Payload)> {
    let prior = reviews::supersede_active(&ctx.conn, ctx.me(), &issue.id)?;
    let review = reviews::insert(
        &ctx.conn,
        ctx.me(),
        Review {
            issue_id: issue.id.clone(),
            reviewer_session: ctx.me().into(),
            decision: decision.into(),
            summary: a.reason.clone().unwrap_or_default(),
            requested_by_session: issue.review_requested_by_session.clone(),
            self_review,
            reviewed_by: a.reviewed_by.clone().unwrap_or_default(),
            ..Review::default()
        },
    )?;
    let payload = Payload::Wrapped {
        created_review_id: review.id.clone(),
        prior_active_review_id: prior.last().cloned().unwrap_or_default(),
    };
    Ok((review, payload))
}

fn close_after_review(
    ctx: &Ctx,
    issue: Issue,
    rv: Review,
    a: &ApproveArgs,
) -> Result<Option<bool>> {
    let id = issue.id.clone();
    let reason = a.reason.clone().filter(|r| !r.is_empty());
    if rv.reviewer_session != ctx.me() && reason.is_none() {
        output::error(format!(
            "--reason is required to close {id} using the review by {}",
            rv.reviewer_session
        ));
        return Ok(None);
    }
    let t = ctx.begin()?;
    let from = issue.status.clone();
    let mut new = issue;
    new.status = "closed".into();
    new.closed_by_session = ctx.me().into();
    new.closed_at = Some(time::db_now());
    let payload = Payload::Wrapped {
        created_review_id: String::new(),
        prior_active_review_id: String::new(),
    };
    let written = issues::write_logged(
        &ctx.conn,
        ctx.me(),
        new,
        "close_after_review",
        Guard::Status(from),
        payload,
    )?;
    history::add(&ctx.conn, &id, ctx.me(), "closed")?;
    let mut msg = format!("Closed after review {} (by {})", rv.id, rv.reviewer_session);
    if let Some(r) = &reason {
        msg = format!("{msg}: {r}");
    }
    logs::add(&ctx.conn, ctx.me(), &id, &msg, "progress", "")?;
    session_state::clear_focus_if(ctx, &id)?;
    let mut lines = Vec::new();
    cascade::after_close(ctx, &written, &mut lines)?;
    t.commit()?;
    println!(
        "APPROVED {id} (closed by {} using review by {})",
        ctx.me(),
        rv.reviewer_session
    );
    lines.iter().for_each(|l| println!("{l}"));
    Ok(Some(true))
}

fn record_only(ctx: &Ctx, issue: Issue, a: &ApproveArgs) -> Result<Option<bool>> {
    let id = issue.id.clone();
    let decision = a.decision.clone().unwrap_or_else(|| "approved".into());
    let refusal = if a.reason.as_deref().unwrap_or("").is_empty() {
        Some(format!("--record-only requires --reason for {id}"))
    } else if issue.status != "in_review" {
        Some(format!(
            "cannot record review for {id}: must be in_review (currently {})",
            issue.status
        ))
    } else if issue.minor {
        Some(format!(
            "cannot record review for {id}: minor issues need no review"
        ))
    } else if decision != "approved" && decision != "changes_requested" {
        Some(format!(
            "invalid decision: {decision} (must be approved or changes_requested)"
        ))
    } else if decision == "approved" && reviews::active_approval(&ctx.conn, &id)?.is_some() {
        Some(format!(
            "cannot record review for {id}: an approval is already recorded"
        ))
    } else {
        None
    };
    if let Some(msg) = refusal {
        output::error(msg);
        return Ok(None);
    }
    let t = ctx.begin()?;
    let (review, payload) = insert_review(ctx, &issue, a, &decision, a.self_review)?;
    let mut new = issue;
    new.reviewer_session = ctx.me().into();
    new.reviewed_at = Some(time::db_now());
    let action = if decision == "approved" {
        "review_approve"
    } else {
        "review_changes_requested"
    };
    issues::write_logged(
        &ctx.conn,
        ctx.me(),
        new,
        action,
        Guard::Status("in_review".into()),
        payload,
    )?;
    history::add(
        &ctx.conn,
        &id,
        ctx.me(),
        if decision == "approved" {
            "review_approved"
        } else {
            "review_changes_requested"
        },
    )?;
    t.commit()?;
    println!("RECORDED {decision} review {} for {id}", review.id);
    Ok(Some(true))
}

// ---- reject ----

pub fn run_reject(g: &Global, a: RejectArgs) -> Result<()> {
    let ctx = g.open(true)?;
    let reason = a.reason.as_deref();
    let tally = each_id(&a.ids, |id| reject_one(&ctx, id, reason), warn_failure);
    if a.ids.len() > 1 {
        tally.print_skipped("Rejected");
    }
    tally.finish()
}

fn reject_one(ctx: &Ctx, id: &str, reason: Option<&str>) -> Result<Step> {
    let t = ctx.begin()?;
    let Some(mut issue) = issues::get(&ctx.conn, id)? else {
        bail!("issue not found: {id}");
    };
    let id = issue.id.clone();
    if issue.status == "open" {
        output::warn(format!("already reopened {id}"));
        return Ok(Step::Unchanged);
    }
    if issue.status != "in_review" {
        bail!(
            "cannot reject {id}: must be in_review (currently {})",
            issue.status
        );
    }
    issue.status = "open".into();
    issue.implementer_session.clear();
    issue.reviewer_session.clear();
    issue.reviewed_at = None;
    issue.review_requested_by_session.clear();
    issues::write_logged(
        &ctx.conn,
        ctx.me(),
        issue,
        "reject",
        Guard::Status("in_review".into()),
        Payload::Plain,
    )
    .map_err(|e| anyhow!("cannot reject {id}: {}", stale_text(&e)))?;
    logs::add(
        &ctx.conn,
        ctx.me(),
        &id,
        &with_reason("Rejected", reason),
        "progress",
        "",
    )?;
    t.commit()?;
    println!("REJECTED {id} → open");
    Ok(Step::Done)
}
