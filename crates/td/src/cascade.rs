//! Cascades (§7.5): review and handoff down, epic status up, auto-unblock.
//! Each generated change gets its own action_log rows so it syncs like any other.

use anyhow::Result;
use td_core::model::Issue;

use crate::context::Ctx;
use crate::store::entities::{self, HandoffLists};
use crate::store::issues::{self, Guard, Payload};
use crate::store::{deps, logs};

/// Submits every open/in_progress descendant of `parent` for review; returns the count.
pub fn review_down(ctx: &Ctx, parent: &str) -> Result<usize> {
    let mut n = 0;
    for mut d in issues::descendants(&ctx.conn, parent)? {
        if d.status != "open" && d.status != "in_progress" {
            continue;
        }
        d.status = "in_review".into();
        if d.implementer_session.is_empty() {
            d.implementer_session = ctx.me().into();
        }
        d.review_requested_by_session = ctx.me().into();
        write_cascaded(ctx, d, "review", &format!("Cascaded review from {parent}"))?;
        n += 1;
    }
    Ok(n)
}

/// Gives every open/in_progress descendant without a handoff a cascaded one.
pub fn handoff_down(ctx: &Ctx, parent: &str) -> Result<usize> {
    let mut n = 0;
    for d in issues::descendants(&ctx.conn, parent)? {
        if (d.status != "open" && d.status != "in_progress")
            || entities::has_handoff(&ctx.conn, &d.id)?
        {
            continue;
        }
        let lists = HandoffLists {
            done: Some(vec![format!("Cascaded from {parent}")]),
            ..Default::default()
        };
        entities::add_handoff(&ctx.conn, ctx.me(), &d.id, &lists)?;
        progress(ctx, &d.id, &format!("Cascaded handoff from {parent}"))?;
        n += 1;
    }
    Ok(n)
}

/// Moves epic ancestors of `child` to `target` (in_review or closed) when all their
/// non-deleted children are there; prints one line per cascaded parent.
pub fn up(ctx: &Ctx, child: &Issue, target: &str, out: &mut Vec<String>) -> Result<()> {
    let mut current = child.clone();
    while !current.parent_id.is_empty() {
        let Some(mut parent) = issues::get(&ctx.conn, &current.parent_id)? else {
            break;
        };
        if parent.issue_type != "epic" || parent.status == target || parent.status == "closed" {
            break;
        }
        let kids = issues::children(&ctx.conn, &parent.id)?;
        let done = kids
            .iter()
            .all(|k| k.status == target || (target == "in_review" && k.status == "closed"));
        if kids.is_empty() || !done {
            break;
        }
        parent.status = target.into();
        if target == "closed" {
            parent.closed_at = Some(td_core::time::db_now());
        }
        let action = if target == "closed" {
            "close"
        } else {
            "review"
        };
        let pid = parent.id.clone();
        let msg = format!("Auto-cascaded to {target} (all children complete)");
        let written = write_cascaded(ctx, parent, action, &msg)?;
        out.push(format!("  ↑ Parent {pid} auto-cascaded to {target}"));
        if target == "closed" {
            unblock_dependents(ctx, &pid, out)?;
        }
        current = written;
    }
    Ok(())
}

/// Reopens blocked dependents of `closed_id` whose dependencies are now all closed.
pub fn unblock_dependents(ctx: &Ctx, closed_id: &str, out: &mut Vec<String>) -> Result<()> {
    for dep_id in deps::dependents(&ctx.conn, closed_id)? {
        let Some(mut d) = issues::get(&ctx.conn, &dep_id)? else {
            continue;
        };
        if d.status != "blocked" {
            continue;
        }
        let mut all_closed = true;
        for b in deps::depends_on(&ctx.conn, &dep_id)? {
            if issues::get(&ctx.conn, &b)?.is_some_and(|i| i.status != "closed") {
                all_closed = false;
            }
        }
        if !all_closed {
            continue;
        }
        d.status = "open".into();
        let msg = format!("Auto-unblocked (dependency {closed_id} closed)");
        write_cascaded(ctx, d, "unblock", &msg)?;
        out.push(format!("  ↓ Dependent {dep_id} auto-unblocked"));
    }
    Ok(())
}

/// Writes one cascaded change and its progress log line. Unguarded: the cascade runs
/// inside the triggering command's transaction, which already holds the write lock.
fn write_cascaded(ctx: &Ctx, issue: Issue, action: &str, msg: &str) -> Result<Issue> {
    let id = issue.id.clone();
    let written = issues::write_logged(
        &ctx.conn,
        ctx.me(),
        issue,
        action,
        Guard::None,
        Payload::Plain,
    )?;
    progress(ctx, &id, msg)?;
    Ok(written)
}

/// Logs a cascade's `progress` line on `id`.
fn progress(ctx: &Ctx, id: &str, msg: &str) -> Result<()> {
    logs::add(&ctx.conn, ctx.me(), id, msg, "progress", "")?;
    Ok(())
}

/// After an issue reached closed: cascade up and unblock its dependents.
pub fn after_close(ctx: &Ctx, issue: &Issue, out: &mut Vec<String>) -> Result<()> {
    up(ctx, issue, "closed", out)?;
    unblock_dependents(ctx, &issue.id, out)
}
