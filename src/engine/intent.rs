//! Intents: what td reported as done, recorded by the executors for the intent oracle
//! (`verify::oracle`).
//!
//! An [`Intent`] says "actor A asked td to make field F of entity E hold value V, and td
//! printed its success line", with the range of action_log rowids the invocation wrote (the
//! actor's highest rowid just before and just after it: td's own clock may be skewed by a
//! fault, rowids are not). The checker finds the row td wrote in that range, follows its
//! `server_seq` into the server's event log, and checks that the value survived end to end
//! (or that a named later event overwrote it). Intents are recorded only for successful
//! invocations, and only for the targets td reported as done (bulk commands).
//!
//! Values are the exact bytes the engine passed, after td's documented parsing (labels are
//! split on commas, trimmed and de-duplicated; that is what td promises to store). Values
//! td chooses itself (a board position's sparse key, the acting session) are not guessed:
//! [`IntentValue::Logged`] and [`IntentValue::ActingSession`] resolve them from the author's
//! own action_log row, and the checker still follows them to the server and the replicas.

use chrono::{SecondsFormat, Utc};
use serde::Serialize;

use super::db::TextColumn;
use super::profile::Timer;
use super::{ChaosEngine, EngineError};

/// The value an intent wants a field to hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IntentValue {
    /// Exactly this text (byte for byte).
    Text(String),
    /// Exactly this integer.
    Int(i64),
    /// SQL NULL (e.g. `deleted_at` after a restore).
    Null,
    /// Anything but NULL (e.g. `deleted_at` after a soft delete: td picks the time).
    NotNull,
    /// Whatever the author's action_log row recorded (td picks it, e.g. a position key).
    Logged,
    /// The session id of the author's action_log row (td writes the acting session).
    ActingSession,
}

impl IntentValue {
    pub fn text(s: impl Into<String>) -> Self {
        IntentValue::Text(s.into())
    }
}

/// Which row an intent is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IntentTarget {
    /// The row with this id (issues, whose ids the engine knows).
    Row(String),
    /// The row whose logged data carries every concrete field value of the intent (a new
    /// comment, an edge, a board named by the engine): td picks the id.
    Matching,
}

/// What the command did to the row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IntentKind {
    /// The fields hold the values (create, update, soft delete, restore, set position).
    Write,
    /// The row is gone (hard delete: dependency removed, file unlinked, board deleted); the
    /// fields only identify it.
    Remove,
}

/// One acknowledged write as the engine meant it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Intent {
    pub actor: String,
    /// The engine action (`update_bulk`, `board_move`, …).
    pub action: String,
    /// Canonical synced table.
    pub table: String,
    pub target: IntentTarget,
    pub kind: IntentKind,
    /// `(column, value)`, in the order the engine gave them.
    pub fields: Vec<(String, IntentValue)>,
    /// The actor's highest action_log rowid before the command (0 for none) and after it:
    /// the rows the command wrote are `first_rowid < rowid <= last_rowid`.
    pub first_rowid: i64,
    pub last_rowid: i64,
    /// UTC, RFC 3339 with nanoseconds, by the harness's clock: when the command was started
    /// and when it was classified (for messages).
    pub started: String,
    pub finished: String,
}

impl Intent {
    /// The value wanted for `column`, if the intent names it.
    pub fn value(&self, column: &str) -> Option<&IntentValue> {
        self.fields
            .iter()
            .find(|(c, _)| c == column)
            .map(|(_, v)| v)
    }

    /// `issues/td-abc123` or `comments/<matching issue_id="td-…", …>` for messages.
    pub fn describe_target(&self) -> String {
        match &self.target {
            IntentTarget::Row(id) => format!("{}/{id}", self.table),
            IntentTarget::Matching => {
                let keys: Vec<String> = self
                    .fields
                    .iter()
                    .filter_map(|(c, v)| match v {
                        IntentValue::Text(t) => Some(format!("{c}={}", short(t))),
                        IntentValue::Int(i) => Some(format!("{c}={i}")),
                        _ => None,
                    })
                    .collect();
                format!("{}/<{}>", self.table, keys.join(", "))
            }
        }
    }
}

/// A JSON-quoted text, cut to 60 characters (messages only).
fn short(t: &str) -> String {
    let cut: String = t.chars().take(60).collect();
    let q = serde_json::to_string(&cut).unwrap_or_else(|_| format!("{cut:?}"));
    if cut.len() < t.len() {
        format!("{q}…")
    } else {
        q
    }
}

/// `now` in the layout of `action_log.timestamp`.
pub fn stamp_now() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Nanos, true)
}

/// The start of one invocation's window ([`ChaosEngine::window`]); [`ChaosEngine::intend`]
/// closes it.
#[derive(Debug, Clone)]
pub(crate) struct Window {
    started: String,
    after_rowid: i64,
}

/// An intent before it is bound to an actor and a window.
pub(crate) struct Wanted {
    pub table: &'static str,
    pub target: IntentTarget,
    pub kind: IntentKind,
    pub fields: Vec<(&'static str, IntentValue)>,
}

impl Wanted {
    /// A write to issue `id`.
    pub fn issue(id: &str, fields: Vec<(&'static str, IntentValue)>) -> Wanted {
        Wanted {
            table: "issues",
            target: IntentTarget::Row(id.to_string()),
            kind: IntentKind::Write,
            fields,
        }
    }

    /// A write to the row of `table` whose logged data carries the concrete `fields`.
    pub fn matching(table: &'static str, fields: Vec<(&'static str, IntentValue)>) -> Wanted {
        Wanted {
            table,
            target: IntentTarget::Matching,
            kind: IntentKind::Write,
            fields,
        }
    }

    /// The removal of the row of `table` identified by `fields`.
    pub fn removal(table: &'static str, fields: Vec<(&'static str, IntentValue)>) -> Wanted {
        Wanted {
            kind: IntentKind::Remove,
            ..Wanted::matching(table, fields)
        }
    }
}

/// td's label parsing (`split_list`): comma-separated, trimmed, empty parts and repeats
/// dropped, stored comma-joined. The intent is what td promises to store for `--labels`.
pub(crate) fn labels_value(arg: &str) -> IntentValue {
    let mut out: Vec<&str> = Vec::new();
    for part in arg.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        if !out.contains(&part) {
            out.push(part);
        }
    }
    IntentValue::Text(out.join(","))
}

/// td's `--append` (`merge_text`): the old text, a blank line, the new one; just the new
/// one when there was nothing.
pub(crate) fn appended(old: &str, new: &str) -> String {
    if old.is_empty() {
        new.to_string()
    } else {
        format!("{old}\n\n{new}")
    }
}

impl ChaosEngine<'_> {
    /// What `--append <column> <text>` will store on issue `id` for actor `a`, read from
    /// its database just before td runs (td appends to exactly that).
    pub(crate) fn append_intent(
        &mut self,
        a: usize,
        id: &str,
        column: &'static str,
        text: &str,
    ) -> Result<Wanted, EngineError> {
        let which = match column {
            "acceptance" => TextColumn::Acceptance,
            _ => TextColumn::Description,
        };
        let timer = Timer::start();
        let old = self.actor_db(a)?.issue_text(id, which)?;
        self.profile.db_reads += timer.stop();
        let value = IntentValue::Text(appended(&old, text));
        Ok(Wanted::issue(id, vec![(column, value)]))
    }

    /// Opens the window of actor `a`'s next command: its highest action_log rowid now.
    pub(crate) fn window(&mut self, a: usize) -> Result<Window, EngineError> {
        let started = stamp_now();
        let after_rowid = self.last_rowid(a)?;
        Ok(Window {
            started,
            after_rowid,
        })
    }

    /// Records `wanted` as done by actor `a` within `window` (closed now).
    pub(crate) fn intend(
        &mut self,
        a: usize,
        window: &Window,
        action: &str,
        wanted: Wanted,
    ) -> Result<(), EngineError> {
        let last_rowid = self.last_rowid(a)?;
        self.intents.push(Intent {
            actor: self.actors[a].clone(),
            action: action.to_string(),
            table: wanted.table.to_string(),
            target: wanted.target,
            kind: wanted.kind,
            fields: wanted
                .fields
                .into_iter()
                .map(|(c, v)| (c.to_string(), v))
                .collect(),
            first_rowid: window.after_rowid,
            last_rowid,
            started: window.started.clone(),
            finished: stamp_now(),
        });
        Ok(())
    }

    /// Drops actor `a`'s intents whose rows td has since marked undone (`td undo`): what
    /// they asked for was taken back on purpose.
    pub(crate) fn withdraw_undone_intents(&mut self, a: usize) -> Result<(), EngineError> {
        let timer = Timer::start();
        let undone = self.actor_db(a)?.undone_rowids()?;
        self.profile.db_reads += timer.stop();
        let actor = self.actors[a].clone();
        self.intents.retain(|i| {
            i.actor != actor
                || !undone
                    .iter()
                    .any(|&r| i.first_rowid < r && r <= i.last_rowid)
        });
        Ok(())
    }

    /// Actor `a`'s highest action_log rowid, through its kept connection.
    fn last_rowid(&mut self, a: usize) -> Result<i64, EngineError> {
        let timer = Timer::start();
        let rowid = self.actor_db(a)?.last_action_rowid()?;
        self.profile.db_reads += timer.stop();
        Ok(rowid)
    }

    /// Every intent recorded so far, in order.
    pub fn intents(&self) -> &[Intent] {
        &self.intents
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_follow_tds_split_list() {
        assert_eq!(labels_value("a, b,,a ,c"), IntentValue::text("a,b,c"));
        assert_eq!(labels_value(""), IntentValue::text(""));
    }

    #[test]
    fn append_follows_tds_merge_text() {
        assert_eq!(appended("", "new words"), "new words");
        assert_eq!(appended("old", "new words"), "old\n\nnew words");
    }

    #[test]
    fn stamps_sort_as_text_in_time_order() {
        let a = stamp_now();
        let b = stamp_now();
        assert!(a <= b);
        assert_eq!(a.len(), "2026-01-02T03:04:05.123456789Z".len());
    }

    #[test]
    fn targets_describe_themselves() {
        let i = Intent {
            actor: "alice".into(),
            action: "comment".into(),
            table: "comments".into(),
            target: IntentTarget::Matching,
            kind: IntentKind::Write,
            fields: vec![
                ("issue_id".into(), IntentValue::text("td-1")),
                ("session_id".into(), IntentValue::ActingSession),
            ],
            first_rowid: 0,
            last_rowid: 0,
            started: String::new(),
            finished: String::new(),
        };
        assert_eq!(i.describe_target(), "comments/<issue_id=\"td-1\">");
        assert_eq!(i.value("issue_id"), Some(&IntentValue::text("td-1")));
    }
}
