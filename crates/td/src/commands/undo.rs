//! `td undo`: reverts the newest undoable action of the current session (§9.2) by
//! writing a compensating action (a normal new action_log row, so a second undo undoes
//! the undo) and marking the original row `undone=1`, all in one transaction.

use anyhow::{anyhow, bail, Context as _, Result};
use rusqlite::{params, OptionalExtension};
use serde_json::Value;
use td_core::model::Issue;
use td_core::time;

use super::{tx, Global};
use crate::context::Ctx;
use crate::output;
use crate::store::action_log::{self, Entry};
use crate::store::boards::{self, Board};
use crate::store::files::{self, FileLink};
use crate::store::issues::{self, Guard, Payload};
use crate::store::{self, deps, reviews};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// List this session's recent actions instead of undoing one.
    #[arg(long)]
    pub list: bool,
}

/// Entity types undo never picks (their rows are side effects of other actions, or work
/// session bookkeeping). The original also picks `work_session_issues` rows (ws tag/untag)
/// and then fails on them (`unknown entity type`), which leaves every later undo of the
/// session failing until another undoable action; they are skipped like `work_sessions`.
const SKIPPED: &str = "('logs', 'comments', 'work_sessions', 'work_session_issues', \
                       'issue_review', 'issue_reviews')";

/// Issue actions undone by writing previous_data back.
const SNAPSHOT_ACTIONS: &[&str] = &[
    "update",
    "start",
    "review",
    "approve",
    "reject",
    "block",
    "unblock",
    "close",
    "reopen",
    "review_approve",
    "review_changes_requested",
    "close_after_review",
];

/// One action_log row.
#[derive(Debug)]
struct Action {
    id: String,
    action_type: String,
    entity_type: String,
    entity_id: String,
    previous: String,
    new: String,
}

pub fn run(g: &Global, a: Args) -> Result<()> {
    if a.list {
        return list(&g.open(false)?);
    }
    let ctx = g.open(true)?;
    let t = tx(&ctx)?;
    let Some(act) = newest(&ctx)? else {
        println!("No actions to undo in current session ({})", ctx.me());
        return Ok(());
    };
    compensate(&ctx, &act).map_err(|e| anyhow!("failed to undo: {}", output::error_text(&e)))?;
    ctx.conn
        .execute("UPDATE action_log SET undone = 1 WHERE id = ?1", [&act.id])
        .context("mark action undone")?;
    t.commit()?;
    println!(
        "UNDONE: {} {} {}",
        act.action_type, act.entity_type, act.entity_id
    );
    Ok(())
}

/// The session's newest undoable row (timestamp text order; rowid breaks ties).
fn newest(ctx: &Ctx) -> Result<Option<Action>> {
    let sql = format!(
        "SELECT id, action_type, entity_type, entity_id, previous_data, new_data FROM action_log \
         WHERE session_id = ?1 AND undone = 0 AND entity_type NOT IN {SKIPPED} \
         ORDER BY timestamp DESC, rowid DESC LIMIT 1"
    );
    let text = |r: &rusqlite::Row, i| r.get::<_, Option<String>>(i).map(Option::unwrap_or_default);
    Ok(ctx
        .conn
        .query_row(&sql, params![ctx.me()], |r| {
            Ok(Action {
                id: r.get(0)?,
                action_type: r.get(1)?,
                entity_type: r.get(2)?,
                entity_id: r.get(3)?,
                previous: text(r, 4)?,
                new: text(r, 5)?,
            })
        })
        .optional()?)
}

fn compensate(ctx: &Ctx, act: &Action) -> Result<()> {
    match act.entity_type.as_str() {
        "issue" => undo_issue(ctx, act),
        "issue_dependencies" => undo_dependency(ctx, act),
        "issue_files" => undo_file(ctx, act),
        "board_issue_positions" => undo_position(ctx, act),
        "board" => undo_board(ctx, act),
        "handoff" => undo_handoff(ctx, act),
        other => bail!("unknown entity type: {other}"),
    }
}

fn json(text: &str, what: &str) -> Result<Value> {
    serde_json::from_str(text).with_context(|| format!("parse {what}"))
}

/// previous_data, or new_data when previous is empty (payloads of older rows).
fn prev_or_new(act: &Action) -> Result<Value> {
    if act.previous.trim().is_empty() {
        json(&act.new, "new_data")
    } else {
        json(&act.previous, "previous_data")
    }
}

fn field<'a>(v: &'a Value, key: &str) -> Result<&'a str> {
    v.get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| anyhow!("payload has no {key}"))
}

// ---- issue ----

fn undo_issue(ctx: &Ctx, act: &Action) -> Result<()> {
    let (conn, me, id) = (&ctx.conn, ctx.me(), act.entity_id.as_str());
    match act.action_type.as_str() {
        "create" | "restore" => issues::soft_delete(conn, me, id).map(drop),
        "delete" => issues::restore(conn, me, id).map(drop),
        a if SNAPSHOT_ACTIONS.contains(&a) => restore_snapshot(ctx, act),
        other => bail!("unknown action type: {other}"),
    }
}

/// Sets back what the undone action changed (unguarded); an approval wrapper also loses its
/// review. Fields the action did not change keep their current values: the original writes
/// the whole previous_data back, which also reverted what others did since — undoing an edit
/// of an issue another actor had deleted meanwhile brought it back to life on every replica.
fn restore_snapshot(ctx: &Ctx, act: &Action) -> Result<()> {
    let mut prev = Issue::from_json(&json(&act.previous, "previous_data")?)
        .filter(|i| !i.id.is_empty())
        .ok_or_else(|| anyhow!("previous_data is not an issue"))?;
    let new: Value = serde_json::from_str(&act.new).unwrap_or(Value::Null);
    if let Some(current) = issues::get(&ctx.conn, &prev.id)? {
        if let Some(after) = Issue::from_json(&new) {
            prev = revert_changed(&current, &prev, &after);
        }
        keep_stored_times(&mut prev, &current);
    }
    if let Some(created) = new.get("created_review_id").and_then(Value::as_str) {
        reviews::delete(&ctx.conn, ctx.me(), created)?;
    }
    if let Some(prior) = new.get("prior_active_review_id").and_then(Value::as_str) {
        reviews::unsupersede(&ctx.conn, ctx.me(), prior)?;
    }
    issues::write_logged(
        &ctx.conn,
        ctx.me(),
        prev,
        "update",
        Guard::None,
        Payload::Plain,
    )?;
    Ok(())
}

/// `current` with every field that differs between `before` and `after` (the undone
/// action's previous and new data) set back to its `before` value.
fn revert_changed(current: &Issue, before: &Issue, after: &Issue) -> Issue {
    let (before, after) = (before.to_json(), after.to_json());
    let mut out = match current.to_json() {
        Value::Object(m) => m,
        _ => return Issue::from_json(&before).unwrap_or_else(|| current.clone()),
    };
    if let (Some(b), Some(a)) = (before.as_object(), after.as_object()) {
        for (k, v) in b {
            if a.get(k) != Some(v) {
                out.insert(k.clone(), v.clone());
            }
        }
    }
    Issue::from_json(&Value::Object(out)).unwrap_or_else(|| current.clone())
}

/// A snapshot timestamp naming the instant the row already stores keeps the stored text.
/// The compensating event leaves unchanged values out of its diff, so replicas keep their
/// text for them; rewriting it here in another layout (`2026-01-02 03:04:05+00:00` for a
/// stored `2026-01-02T03:04:05Z`) would leave the author's row differing from every
/// replica's, and a fresh replica's, forever.
fn keep_stored_times(snapshot: &mut Issue, stored: &Issue) {
    let same = |a: &str, b: &str| matches!((time::parse_any(a), time::parse_any(b)), (Some(x), Some(y)) if x == y);
    let keep = |snap: &mut Option<String>, cur: &Option<String>| {
        if let (Some(s), Some(c)) = (snap.as_deref(), cur.as_deref()) {
            if same(s, c) {
                *snap = Some(c.to_string());
            }
        }
    };
    keep(&mut snapshot.reviewed_at, &stored.reviewed_at);
    keep(&mut snapshot.closed_at, &stored.closed_at);
    keep(&mut snapshot.deleted_at, &stored.deleted_at);
    keep(&mut snapshot.defer_until, &stored.defer_until);
    keep(&mut snapshot.due_date, &stored.due_date);
    if same(&snapshot.created_at, &stored.created_at) {
        snapshot.created_at = stored.created_at.clone();
    }
}

// ---- links ----

fn undo_dependency(ctx: &Ctx, act: &Action) -> Result<()> {
    let (conn, me) = (&ctx.conn, ctx.me());
    let issue = match act.action_type.as_str() {
        "add_dependency" => {
            let v = json(&act.new, "new_data")?;
            let (a, b) = (field(&v, "issue_id")?, field(&v, "depends_on_id")?);
            if !deps::remove(conn, me, a, b)? {
                bail!("{a} no longer depends on {b}");
            }
            a.to_string()
        }
        // The original reads new_data here, which is '' for removals; previous_data
        // holds the removed row.
        "remove_dependency" => {
            let v = prev_or_new(act)?;
            let (a, b) = (field(&v, "issue_id")?, field(&v, "depends_on_id")?);
            if deps::add(conn, me, a, b)? == deps::Added::WouldCycle {
                bail!("cannot add dependency: would create circular dependency");
            }
            a.to_string()
        }
        other => bail!("unknown action type: {other}"),
    };
    store::invalidate_approval(conn, me, &issue)
}

fn undo_file(ctx: &Ctx, act: &Action) -> Result<()> {
    let (conn, me) = (&ctx.conn, ctx.me());
    let issue = match act.action_type.as_str() {
        "link_file" => {
            let v = json(&act.new, "new_data")?;
            let (issue, path) = (field(&v, "issue_id")?, field(&v, "file_path")?);
            if !files::unlink(conn, me, issue, path)? {
                bail!("{path} is no longer linked to {issue}");
            }
            issue.to_string()
        }
        // Re-link from previous_data (the original reads the empty new_data and fails).
        "unlink_file" => {
            let link = FileLink::from_json(&prev_or_new(act)?)
                .ok_or_else(|| anyhow!("payload is not a file link"))?;
            files::link(conn, me, &link)?.issue_id
        }
        other => bail!("unknown action type: {other}"),
    };
    store::invalidate_approval(conn, me, &issue)
}

fn undo_position(ctx: &Ctx, act: &Action) -> Result<()> {
    let (conn, me) = (&ctx.conn, ctx.me());
    match act.action_type.as_str() {
        "board_set_position" => {
            let v = json(&act.new, "new_data")?;
            boards::unposition(conn, me, field(&v, "board_id")?, field(&v, "issue_id")?)
        }
        "board_unposition" => {
            let v = prev_or_new(act)?;
            let board = field(&v, "board_id")?;
            if boards::get(conn, board)?.is_none() {
                bail!("board not found: {board}");
            }
            let position = v
                .get("position")
                .and_then(Value::as_i64)
                .ok_or_else(|| anyhow!("payload has no position"))?;
            boards::set_position(conn, me, board, field(&v, "issue_id")?, position)
        }
        other => bail!("unknown action type: {other}"),
    }
}

// ---- boards and handoffs ----

fn undo_board(ctx: &Ctx, act: &Action) -> Result<()> {
    let (conn, me, id) = (&ctx.conn, ctx.me(), act.entity_id.as_str());
    let snapshot = || {
        Board::from_json(&json(&act.previous, "previous_data")?)
            .ok_or_else(|| anyhow!("previous_data is not a board"))
    };
    match act.action_type.as_str() {
        "board_create" => {
            let b = boards::get(conn, id)?.ok_or_else(|| anyhow!("board not found: {id}"))?;
            boards::delete(conn, me, &b)
        }
        // Logged as board_create rather than the original's `restore`: boards have no
        // deleted_at, so a `restore` event could not be applied by other clients.
        "board_delete" => {
            let b = snapshot()?;
            if boards::get(conn, &b.id)?.is_some() {
                bail!("board {} already exists", b.id);
            }
            boards::reinsert(conn, me, &b, "board_create")
        }
        "board_update" => {
            let old = snapshot()?;
            let current = boards::get(conn, id)?.ok_or_else(|| anyhow!("board not found: {id}"))?;
            boards::update(conn, me, &current, &old).map(drop)
        }
        other => bail!("unknown action type: {other}"),
    }
}

fn undo_handoff(ctx: &Ctx, act: &Action) -> Result<()> {
    // `delete` is how rows logged before `handoff_delete` existed spell the removal.
    if matches!(act.action_type.as_str(), "handoff_delete" | "delete") {
        return reinsert_handoff(ctx, act);
    }
    let n = ctx
        .conn
        .execute("DELETE FROM handoffs WHERE id = ?1", [&act.entity_id])
        .context("delete handoff")?;
    if n == 0 {
        bail!("handoff not found: {}", act.entity_id);
    }
    action_log::record(
        &ctx.conn,
        ctx.me(),
        Entry {
            // A hard delete on the wire: the original's `delete` maps to soft_delete, which
            // every peer quarantines (handoffs have no deleted_at), so the author lost the
            // handoff while every peer kept it (docs/deviations.md).
            action_type: "handoff_delete",
            entity_type: "handoff",
            entity_id: &act.entity_id,
            previous: act.new.clone(),
            new: String::new(),
        },
    )?;
    Ok(())
}

/// Undo of an undone handoff: the deleted row comes back from previous_data (which holds
/// the handoff's original payload), logged like a new handoff.
fn reinsert_handoff(ctx: &Ctx, act: &Action) -> Result<()> {
    let v = json(&act.previous, "previous_data")?;
    let list = |k: &str| {
        v.get(k)
            .and_then(Value::as_str)
            .unwrap_or("null")
            .to_string()
    };
    let stamp = v
        .get("timestamp")
        .and_then(Value::as_str)
        .and_then(td_core::time::parse_any)
        .map_or_else(td_core::time::db_now, |t| td_core::time::db_format(&t));
    ctx.conn
        .execute(
            "INSERT INTO handoffs (id, issue_id, session_id, done, remaining, decisions, uncertain, timestamp) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                act.entity_id,
                field(&v, "issue_id")?,
                field(&v, "session_id")?,
                list("done"),
                list("remaining"),
                list("decisions"),
                list("uncertain"),
                stamp
            ],
        )
        .context("re-insert handoff")?;
    action_log::record(
        &ctx.conn,
        ctx.me(),
        Entry {
            action_type: "handoff",
            entity_type: "handoff",
            entity_id: &act.entity_id,
            previous: String::new(),
            new: act.previous.clone(),
        },
    )?;
    Ok(())
}

// ---- --list ----

fn list(ctx: &Ctx) -> Result<()> {
    let sql = format!(
        "SELECT timestamp, action_type, entity_type, entity_id, undone, entity_type IN {SKIPPED} \
         FROM action_log WHERE session_id = ?1 ORDER BY timestamp DESC, rowid DESC LIMIT 20"
    );
    let mut stmt = ctx.conn.prepare(&sql)?;
    let rows = stmt.query_map([ctx.me()], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, i64>(4)? != 0,
            r.get::<_, bool>(5)?,
        ))
    })?;
    let rows: Vec<_> = rows.collect::<rusqlite::Result<_>>()?;
    if rows.is_empty() {
        println!("No actions in current session ({})", ctx.me());
        return Ok(());
    }
    println!("Recent actions (session {}), newest first:", ctx.me());
    for (ts, action, entity, id, undone, skipped) in rows {
        let note = if undone {
            "  [undone]"
        } else if skipped {
            "  [not undoable]"
        } else {
            ""
        };
        println!("  {ts}  {action} {entity} {id}{note}");
    }
    Ok(())
}
