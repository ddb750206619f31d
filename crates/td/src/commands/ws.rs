//! `td ws`: work sessions — a named stretch of work with tagged issues, ended by a
//! handoff for each of them (§8). The active work session lives in session_state.

use std::path::Path;

use anyhow::{anyhow, bail, Result};

use super::handoff::ListArgs;
use super::review::{self, ReviewArgs};
use super::{each_id, error_failure, start, tx, Global, Step};
use crate::context::Ctx;
use crate::store::entities::{self, HandoffLists};
use crate::store::issues;
use crate::store::work_sessions::{self, Place, WorkSession};
use crate::store::{self, logs, session_state};
use crate::{git, output};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub cmd: WsCmd,
}

#[derive(Debug, clap::Subcommand)]
pub enum WsCmd {
    /// Start a named work session.
    Start(StartArgs),
    /// Tag issues to the active work session (starting open ones).
    Tag(TagArgs),
    /// Untag issues from the active work session.
    Untag(IdsArgs),
    /// End the active work session without handoffs.
    End,
    /// Record a handoff for every tagged issue and end the work session.
    Handoff(HandoffArgs),
    /// Log a message to the active work session's tagged issues.
    Log(LogArgs),
    /// Show the active work session.
    #[command(visible_alias = "status")]
    Current,
}

#[derive(Debug, clap::Args)]
pub struct StartArgs {
    pub name: String,
}

#[derive(Debug, clap::Args)]
#[command(args_override_self = true)]
pub struct TagArgs {
    #[arg(required = true)]
    pub ids: Vec<String>,
    /// Only tag; do not start open issues.
    #[arg(long)]
    pub no_start: bool,
}

#[derive(Debug, clap::Args)]
pub struct IdsArgs {
    #[arg(required = true)]
    pub ids: Vec<String>,
}

#[derive(Debug, clap::Args)]
#[command(args_override_self = true)]
pub struct HandoffArgs {
    #[command(flatten)]
    pub lists: ListArgs,
    /// Keep the work session open.
    #[arg(long = "continue")]
    pub keep_going: bool,
    /// Submit the tagged in_progress issues for review afterwards.
    #[arg(long)]
    pub review: bool,
}

#[derive(Debug, clap::Args)]
#[command(args_override_self = true)]
pub struct LogArgs {
    #[arg(allow_hyphen_values = true)]
    pub message: String,
    #[arg(short = 't', long = "type")]
    pub log_type: Option<String>,
    #[arg(long)]
    pub blocker: bool,
    #[arg(long)]
    pub decision: bool,
    #[arg(long)]
    pub result: bool,
}

pub fn run(g: &Global, a: Args) -> Result<()> {
    match a.cmd {
        WsCmd::Start(s) => start(g, &s.name),
        WsCmd::Tag(t) => tag(g, &t),
        WsCmd::Untag(u) => untag(g, &u.ids),
        WsCmd::End => end(g),
        WsCmd::Handoff(h) => handoff(g, &h),
        WsCmd::Log(l) => log(g, &l),
        WsCmd::Current => current(g),
    }
}

/// The active work session of this session scope, if its row exists and is not ended.
fn active(ctx: &Ctx) -> Result<Option<WorkSession>> {
    let Some(id) = session_state::active_work_session(ctx)? else {
        return Ok(None);
    };
    Ok(work_sessions::get(&ctx.conn, &id)?.filter(|ws| ws.ended_at.is_none()))
}

fn must_active(ctx: &Ctx, hint: bool) -> Result<WorkSession> {
    active(ctx)?.ok_or_else(|| {
        if hint {
            anyhow!("no active work session. Run 'td ws start <name>' first")
        } else {
            anyhow!("no active work session")
        }
    })
}

fn start(g: &Global, name: &str) -> Result<()> {
    let ctx = g.open(true)?;
    if let Some(ws) = active(&ctx)? {
        bail!("work session already active: {}", ws.id);
    }
    let t = tx(&ctx)?;
    let place = Place {
        worktree_id: &ctx.session.worktree_id,
        worktree_root: "",
        repo_root: "",
    };
    let ws = work_sessions::create(&ctx.conn, ctx.me(), name, &head_sha(&ctx.base_dir), &place)?;
    session_state::set_active_work_session(&ctx, &ws.id)?;
    t.commit()?;
    println!("WORK SESSION STARTED: {}", ws.id);
    println!("Name: {}", output::one_line(&ws.name));
    println!();
    println!("Tag issues with: td ws tag <issue-ids>");
    println!("Log progress with: td ws log \"message\"");
    Ok(())
}

fn tag(g: &Global, a: &TagArgs) -> Result<()> {
    let ctx = g.open(true)?;
    let ws = must_active(&ctx, true)?;
    each_id(
        &a.ids,
        |id| tag_one(&ctx, &ws, id, !a.no_start),
        error_failure,
    );
    Ok(())
}

/// Tags one issue and, when asked and it is open, starts it — one transaction.
fn tag_one(ctx: &Ctx, ws: &WorkSession, id: &str, auto_start: bool) -> Result<Step> {
    let t = tx(ctx)?;
    let id = issues::must_get(&ctx.conn, id)?.id;
    work_sessions::tag(&ctx.conn, ctx.me(), &ws.id, &id)?;
    store::invalidate_approval(&ctx.conn, ctx.me(), &id)?;
    let issue = issues::must_get(&ctx.conn, &id)?;
    let started = auto_start && issue.status == "open";
    if started {
        start::claim(ctx, issue)?;
        let msg = "Started (via work session)";
        logs::add(&ctx.conn, ctx.me(), &id, msg, "progress", &ws.id)?;
    }
    t.commit()?;
    println!("TAGGED {id} → {}", ws.id);
    if started {
        println!("STARTED {id} (session: {})", ctx.me());
    }
    Ok(Step::Done)
}

fn untag(g: &Global, ids: &[String]) -> Result<()> {
    let ctx = g.open(true)?;
    let ws = must_active(&ctx, false)?;
    let untag_one = |id: &str| -> Result<Step> {
        let t = tx(&ctx)?;
        let id = issues::must_get(&ctx.conn, id)?.id;
        work_sessions::untag(&ctx.conn, ctx.me(), &ws.id, &id)?;
        store::invalidate_approval(&ctx.conn, ctx.me(), &id)?;
        t.commit()?;
        println!("UNTAGGED {id} from {}", ws.id);
        Ok(Step::Done)
    };
    each_id(ids, untag_one, error_failure);
    Ok(())
}

fn end(g: &Global) -> Result<()> {
    let ctx = g.open(true)?;
    let ws = must_active(&ctx, false)?;
    let tagged = work_sessions::tagged(&ctx.conn, &ws.id)?;
    let handed_off = work_sessions::handoff_since(&ctx.conn, ctx.me(), &tagged, &ws.started_at)?;
    let t = tx(&ctx)?;
    work_sessions::end(&ctx.conn, ctx.me(), &ws, &head_sha(&ctx.base_dir))?;
    session_state::set_active_work_session(&ctx, "")?;
    t.commit()?;
    if !handed_off {
        output::warn(format!("No handoff recorded for {}", ws.id));
    }
    let mut open_work = Vec::new();
    for id in &tagged {
        if issues::get(&ctx.conn, id)?.is_some_and(|i| i.status == "in_progress") {
            open_work.push(id.clone());
        }
    }
    if !open_work.is_empty() {
        println!("Tagged issues remain in_progress: {}", open_work.join(", "));
    }
    println!("WORK SESSION ENDED");
    Ok(())
}

fn handoff(g: &Global, a: &HandoffArgs) -> Result<()> {
    let to_review = {
        let ctx = g.open(true)?;
        let ws = must_active(&ctx, false)?;
        let mut lists = a.lists.expand()?;
        if [
            &lists.done,
            &lists.remaining,
            &lists.decisions,
            &lists.uncertain,
        ]
        .iter()
        .all(|l| l.as_ref().is_none_or(Vec::is_empty))
        {
            lists = lists_from_logs(&work_sessions::logs(&ctx.conn, &ws.id)?);
        }
        record_handoffs(&ctx, &ws, &lists, a.keep_going)?
    };
    if a.review && !to_review.is_empty() {
        review::run_review(
            g,
            ReviewArgs {
                ids: to_review,
                reason: None,
                minor: false,
            },
        )?;
    }
    Ok(())
}

/// Writes one handoff per tagged issue (and ends the work session unless `keep_going`);
/// returns the tagged issues still in_progress.
fn record_handoffs(
    ctx: &Ctx,
    ws: &WorkSession,
    lists: &HandoffLists,
    keep_going: bool,
) -> Result<Vec<String>> {
    let tagged = work_sessions::tagged(&ctx.conn, &ws.id)?;
    let t = tx(ctx)?;
    let mut generated = Vec::new();
    let mut in_progress = Vec::new();
    for id in &tagged {
        let Some(issue) = issues::get(&ctx.conn, id)? else {
            continue;
        };
        let mine = HandoffLists {
            remaining: filter_remaining(lists.remaining.as_deref(), id),
            ..lists.clone()
        };
        entities::add_handoff(&ctx.conn, ctx.me(), id, &mine)?;
        let count = |l: &Option<Vec<String>>| l.as_ref().map_or(0, Vec::len);
        generated.push(format!(
            "  {id}: done={}, remaining={}",
            count(&mine.done),
            count(&mine.remaining)
        ));
        if issue.status == "in_progress" {
            in_progress.push(id.clone());
        }
    }
    if !keep_going {
        work_sessions::end(&ctx.conn, ctx.me(), ws, &head_sha(&ctx.base_dir))?;
        session_state::set_active_work_session(ctx, "")?;
    }
    t.commit()?;
    println!("HANDOFF RECORDED {}", ws.id);
    if !generated.is_empty() {
        println!("Generated handoffs:");
        generated.iter().for_each(|l| println!("{l}"));
    }
    if keep_going {
        println!("\nWork session continues: {}", ws.id);
    } else {
        println!("\nWork session ended.");
        println!("Next: `td ws start <name>` to begin a new work session");
    }
    Ok(in_progress)
}

/// Fills the lists from the work session's logs when no list flag was given.
fn lists_from_logs(entries: &[(String, String)]) -> HandoffLists {
    let mut lists = HandoffLists::default();
    for (ty, msg) in entries {
        let target = match ty.as_str() {
            "progress" | "result" => &mut lists.done,
            "decision" => &mut lists.decisions,
            "blocker" => &mut lists.uncertain,
            _ => continue,
        };
        let items = target.get_or_insert_with(Vec::new);
        // `ws log` writes one row per tagged issue; the handoff wants each message once.
        if !items.contains(msg) {
            items.push(msg.clone());
        }
    }
    lists
}

/// Remaining items for `id`: items naming `(id)` lose that tag, items naming another
/// `(td-…)` are dropped, the rest are shared. An empty result is a nil list.
fn filter_remaining(items: Option<&[String]>, id: &str) -> Option<Vec<String>> {
    let own = format!("({id})");
    let kept: Vec<String> = items?
        .iter()
        .filter_map(|item| {
            if item.contains(&own) {
                Some(item.replace(&own, "").trim().to_string())
            } else if item.contains("(td-") {
                None
            } else {
                Some(item.clone())
            }
        })
        .collect();
    (!kept.is_empty()).then_some(kept)
}

fn log(g: &Global, a: &LogArgs) -> Result<()> {
    if a.message.trim().is_empty() {
        bail!("no message provided. Use: td ws log \"message\"");
    }
    let ty = match (&a.log_type, a.blocker, a.decision, a.result) {
        (Some(t), ..) => t.clone(),
        (None, true, ..) => "blocker".into(),
        (None, false, true, _) => "decision".into(),
        (None, false, false, true) => "result".into(),
        _ => "progress".into(),
    };
    let ctx = g.open(true)?;
    let ws = must_active(&ctx, true)?;
    let mut targets = work_sessions::tagged(&ctx.conn, &ws.id)?;
    if targets.is_empty() {
        // Logs have no FK: an untargeted entry still belongs to the work session.
        targets.push(String::new());
    }
    let t = tx(&ctx)?;
    for issue in &targets {
        logs::add(&ctx.conn, ctx.me(), issue, &a.message, &ty, &ws.id)?;
    }
    t.commit()?;
    println!("LOGGED {} [{ty}]", ws.id);
    Ok(())
}

fn current(g: &Global) -> Result<()> {
    let ctx = g.open(false)?;
    let Some(ws) = active(&ctx)? else {
        println!("No active work session");
        return Ok(());
    };
    println!("{}: {}", ws.id, output::one_line(&ws.name));
    println!("Started: {}", ws.started_at);
    let tagged = work_sessions::tagged(&ctx.conn, &ws.id)?;
    if tagged.is_empty() {
        println!("Tagged: none");
    } else {
        println!("Tagged: {}", tagged.join(", "));
    }
    Ok(())
}

/// The commit HEAD points at, or '' outside git (start_sha/end_sha).
fn head_sha(dir: &Path) -> String {
    let Some(top) = git::toplevel(dir) else {
        return String::new();
    };
    let git_dir = top.join(".git");
    let read = |p: &Path| std::fs::read_to_string(p).ok();
    let Some(head) = read(&git_dir.join("HEAD")) else {
        return String::new();
    };
    let head = head.trim();
    let Some(reference) = head.strip_prefix("ref: ") else {
        return head.to_string();
    };
    if let Some(sha) = read(&git_dir.join(reference)) {
        return sha.trim().to_string();
    }
    read(&git_dir.join("packed-refs"))
        .and_then(|packed| {
            packed.lines().find_map(|l| {
                let (sha, name) = l.split_once(' ')?;
                (name == reference).then(|| sha.to_string())
            })
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn remaining_is_filtered_per_issue() {
        let items = v(&[
            "shared item",
            "fix parser (td-aaaaaa)",
            "write docs (td-bbbbbb)",
            "",
        ]);
        assert_eq!(
            filter_remaining(Some(&items), "td-aaaaaa"),
            Some(v(&["shared item", "fix parser", ""]))
        );
        assert_eq!(
            filter_remaining(Some(&items), "td-cccccc"),
            Some(v(&["shared item", ""]))
        );
        assert_eq!(filter_remaining(Some(&v(&["x (td-1)"])), "td-2"), None);
        assert_eq!(filter_remaining(None, "td-2"), None);
    }

    #[test]
    fn logs_fill_the_lists_once_per_message() {
        let entries = [
            ("progress".to_string(), "did a".to_string()),
            ("progress".to_string(), "did a".to_string()),
            ("result".to_string(), "got b".to_string()),
            ("decision".to_string(), "chose c".to_string()),
            ("blocker".to_string(), "stuck d".to_string()),
            ("hypothesis".to_string(), "maybe e".to_string()),
        ];
        let l = lists_from_logs(&entries);
        assert_eq!(l.done, Some(v(&["did a", "got b"])));
        assert_eq!(l.decisions, Some(v(&["chose c"])));
        assert_eq!(l.uncertain, Some(v(&["stuck d"])));
        assert_eq!(l.remaining, None);
    }
}
