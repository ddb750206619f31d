//! Outcome classification, per action (weak spot §9.3).
//!
//! Each action has a success marker (what td prints when it did the work) and the exact
//! refusal texts td prints for that action (client spec §8). A refusal is only *expected* once
//! [`Confirm`] has been checked against the acting actor's own database by the engine: a
//! refusal that claims the model drifted ("status changed", "(currently X)") while the
//! database agrees with the model is an unexpected failure. Nothing else is expected — no
//! broad words like `already` or `not found`.

use crate::driver::TdOutput;

/// How an action ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    /// td refused for a reason the actor's database confirms.
    Expected(String),
    /// Anything else: the run fails.
    Unexpected(String),
    /// Precondition unmet in the model; td was not run.
    Skipped(String),
}

impl Outcome {
    pub fn is_ok(&self) -> bool {
        matches!(self, Outcome::Ok)
    }

    /// Short label: `ok`, `exp_fail`, `UNEXP_FAIL`, `skip`.
    pub fn label(&self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Expected(_) => "exp_fail",
            Outcome::Unexpected(_) => "UNEXP_FAIL",
            Outcome::Skipped(_) => "skip",
        }
    }

    /// Severity for combining several invocations of one action: the worst one wins.
    fn rank(&self) -> u8 {
        match self {
            Outcome::Ok => 0,
            Outcome::Skipped(_) => 1,
            Outcome::Expected(_) => 2,
            Outcome::Unexpected(_) => 3,
        }
    }

    /// The worse of two outcomes.
    pub fn worst(self, other: Outcome) -> Outcome {
        if other.rank() > self.rank() {
            other
        } else {
            self
        }
    }
}

/// What must hold in the actor's database for a refusal to be expected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confirm {
    /// Some target's status in the DB differs from the model's (the model drifted).
    Status,
    /// A target is not minor and this actor implemented it or has start/unstart history.
    Implementer,
    /// A target is not minor and was created by this actor.
    Creator,
    /// This actor has any local history row for a target.
    History,
    /// A target is in_review and not minor.
    InReview,
    /// The board does not exist (any case).
    BoardGone,
    /// The issue has no live position on the board.
    NotPositioned,
    /// Adding `a depends on b` would close a cycle in the DB's dependencies.
    DepCycle,
    /// The dependency row already exists.
    DepExists,
    /// The actor has an active work session.
    WsActive,
    /// The actor has no active work session.
    WsInactive,
    /// The file is not linked to the issue.
    FileGone,
    /// The message the engine sent was empty (deliberate edge data).
    EmptyMessage,
    /// The actor's session has no undoable action_log row left.
    NothingToUndo,
    /// The dependency is not in the DB (an undo of its add found it removed already).
    DepGone,
}

impl Confirm {
    /// A confirmed refusal of this kind means the model was wrong about the database; the
    /// engine then re-reads the actor's model.
    pub fn is_drift(self) -> bool {
        matches!(
            self,
            Confirm::Status
                | Confirm::BoardGone
                | Confirm::FileGone
                | Confirm::DepExists
                | Confirm::WsActive
                | Confirm::WsInactive
                | Confirm::DepGone
        )
    }
}

/// A refusal td prints for an action: a pattern matched within one output line (`*` matches
/// any run of characters; a leading `^` anchors at the line start) and what confirms it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refusal {
    pub pattern: &'static str,
    pub confirm: Confirm,
}

/// What td prints when the action did its work. `{id}` stands for a target id; when
/// checking "any line", it stands for any issue id (`td-`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Success {
    /// At least one line matches. For bulk commands (several targets, `{id}` in the
    /// pattern) every target without its own success line must have a confirmed refusal.
    Any(&'static str),
    /// A line matches for every target.
    Each(&'static str),
}

impl Success {
    fn pattern(self) -> &'static str {
        match self {
            Success::Any(p) | Success::Each(p) => p,
        }
    }
}

/// Classification rules of one action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rules {
    pub success: Success,
    pub refusals: &'static [Refusal],
}

const fn r(pattern: &'static str, confirm: Confirm) -> Refusal {
    Refusal { pattern, confirm }
}

const NONE: &[Refusal] = &[];

const START: &[Refusal] = &[
    r("already started td-", Confirm::Status),
    r(
        "cannot start *: already in_progress under session",
        Confirm::Status,
    ),
    r(
        "cannot start *: already in_progress with no recorded implementer",
        Confirm::Status,
    ),
    r(
        "cannot start *: invalid transition from closed",
        Confirm::Status,
    ),
    r("cannot start blocked issue: ", Confirm::Status),
];
const UNSTART: &[Refusal] = &[
    r("already unstarted td-", Confirm::Status),
    r("issue not in_progress: * (status: ", Confirm::Status),
];
const REVIEW: &[Refusal] = &[
    r("cannot review *: already in review", Confirm::Status),
    r(
        "cannot review *: cannot transition * to in_review",
        Confirm::Status,
    ),
    r("cannot review *: status changed from ", Confirm::Status),
];
const APPROVE: &[Refusal] = &[
    r(
        "cannot approve: you implemented this issue",
        Confirm::Implementer,
    ),
    r("status changed from in_review to ", Confirm::Status),
    r("already approved/closed td-", Confirm::Status),
];
const REJECT: &[Refusal] = &[
    r("already reopened td-", Confirm::Status),
    r(
        "cannot reject *: must be in_review (currently ",
        Confirm::Status,
    ),
    r("status changed from in_review to ", Confirm::Status),
];
const CLOSE: &[Refusal] = &[
    r("cannot close own implementation: ", Confirm::Implementer),
    r(
        "cannot close: * has implementation history and requires review",
        Confirm::Creator,
    ),
    r(
        "cannot close: you created * and it requires review",
        Confirm::Creator,
    ),
    r("cannot close *: issue is in review", Confirm::InReview),
    r("cannot close: you previously worked on ", Confirm::History),
    r("already closed td-", Confirm::Status),
    r("status changed from ", Confirm::Status),
];
const REOPEN: &[Refusal] = &[
    r("already reopened td-", Confirm::Status),
    r("is not closed (status: ", Confirm::Status),
];
const BLOCK: &[Refusal] = &[
    r("already blocked td-", Confirm::Status),
    r(
        "cannot block *: invalid transition from closed",
        Confirm::Status,
    ),
];
const UNBLOCK: &[Refusal] = &[
    r("already unblocked td-", Confirm::Status),
    r("is not blocked (status: ", Confirm::Status),
];
const LOG: &[Refusal] = &[r("no message provided", Confirm::EmptyMessage)];
const DEP_ADD: &[Refusal] = &[
    r(
        "cannot add dependency: would create circular dependency",
        Confirm::DepCycle,
    ),
    r("already depends on td-", Confirm::DepExists),
];
const BOARD: &[Refusal] = &[r("board not found: ", Confirm::BoardGone)];
const UNPOSITION: &[Refusal] = &[
    r("board not found: ", Confirm::BoardGone),
    r("issue not positioned on board", Confirm::NotPositioned),
];
const UNLINK: &[Refusal] = &[r("^UNLINKED 0 file", Confirm::FileGone)];
const WS_START: &[Refusal] = &[r("work session already active", Confirm::WsActive)];
const WS_ACTIVE_NEEDED: &[Refusal] = &[r("no active work session", Confirm::WsInactive)];
/// Undo refuses when nothing is left, or when what it would revert is already gone (a pulled
/// event removed the dependency or the link) or reverting would close a cycle.
const UNDO: &[Refusal] = &[
    r(
        "^No actions to undo in current session",
        Confirm::NothingToUndo,
    ),
    r(
        "failed to undo: * no longer depends on td-",
        Confirm::DepGone,
    ),
    r(
        "failed to undo: cannot add dependency: would create circular dependency",
        Confirm::DepCycle,
    ),
    r(
        "failed to undo: * is no longer linked to td-",
        Confirm::FileGone,
    ),
];

const fn rules(success: Success, refusals: &'static [Refusal]) -> Rules {
    Rules { success, refusals }
}

/// The rules of a table action (`None` for unknown names).
pub fn rules_for(action: &str) -> Option<Rules> {
    use Success::{Any, Each};
    Some(match action {
        "create" | "create_child" => rules(Any("^CREATED td-"), NONE),
        "update" | "update_append" | "update_bulk" => rules(Each("^UPDATED {id}"), NONE),
        "delete" => rules(Each("^DELETED {id}"), NONE),
        "restore" => rules(Each("^RESTORED {id}"), NONE),
        "start" | "bulk_start" => rules(Any("^STARTED {id}"), START),
        "unstart" => rules(Any("^UNSTARTED {id}"), UNSTART),
        "review" | "bulk_review" | "cascade_review" => rules(Any("^REVIEW REQUESTED {id}"), REVIEW),
        "approve" => rules(Any("^APPROVED {id}"), APPROVE),
        "reject" => rules(Any("^REJECTED {id}"), REJECT),
        "close" | "bulk_close" => rules(Any("^CLOSED {id}"), CLOSE),
        "reopen" => rules(Any("^REOPENED {id}"), REOPEN),
        "block" => rules(Any("^BLOCKED {id}"), BLOCK),
        "unblock" => rules(Any("^UNBLOCKED {id}"), UNBLOCK),
        "comment" => rules(Each("^COMMENT ADDED {id}"), NONE),
        "log_progress" | "log_blocker" | "log_decision" | "log_hypothesis" | "log_result" => {
            rules(Each("^LOGGED {id}"), LOG)
        }
        "dep_add" => rules(Any("^ADDED: td-* depends on td-"), DEP_ADD),
        "dep_rm" => rules(Any("^REMOVED: td-* no longer depends on td-"), NONE),
        "board_create" => rules(Any("^Created board "), NONE),
        "board_edit" | "board_view_mode" => rules(Any("^Updated board "), BOARD),
        "board_move" => rules(Any("^Set td-* to position "), BOARD),
        "board_unposition" => rules(Any("^Removed explicit position for td-"), UNPOSITION),
        "board_delete" => rules(Any("^Deleted board "), BOARD),
        "handoff" | "cascade_handoff" => rules(Each("^HANDOFF RECORDED {id}"), NONE),
        "link" => rules(Any("^LINKED 1 file to td-"), NONE),
        "unlink" => rules(Any("^UNLINKED 1 file"), UNLINK),
        "ws_start" => rules(Any("^WORK SESSION STARTED: ws-"), WS_START),
        "ws_tag" => rules(Each("^TAGGED {id} "), WS_ACTIVE_NEEDED),
        "ws_untag" => rules(Each("^UNTAGGED {id} "), WS_ACTIVE_NEEDED),
        "ws_end" => rules(Any("^WORK SESSION ENDED"), WS_ACTIVE_NEEDED),
        "ws_handoff" => rules(Any("^HANDOFF RECORDED ws-"), WS_ACTIVE_NEEDED),
        "undo" => rules(Any("^UNDONE: "), UNDO),
        _ => return None,
    })
}

/// The first stage: what the output says, before any database confirmation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Ok,
    /// td printed one of this action's refusals.
    Refused(Refusal),
    Failed(String),
}

/// Judges one td invocation by the action's rules. `targets` fill `{id}` in success markers.
pub fn judge(rules: &Rules, out: &TdOutput, targets: &[String]) -> Verdict {
    let Some(code) = out.code else {
        return Verdict::Failed("killed (timeout or signal)".to_string());
    };
    if code == 0 && succeeded(rules.success, &out.output, targets) {
        return Verdict::Ok;
    }
    if let Some(refusal) = rules
        .refusals
        .iter()
        .find(|r| matches_line(r.pattern, &out.output))
    {
        return Verdict::Refused(*refusal);
    }
    if code == 0 {
        let marker = rules.success.pattern();
        Verdict::Failed(format!("exit 0 but no success line `{marker}`"))
    } else {
        Verdict::Failed(format!(
            "exit {code} without a refusal td prints for this action"
        ))
    }
}

fn succeeded(success: Success, output: &str, targets: &[String]) -> bool {
    match success {
        Success::Any(p) => matches_line(&p.replace("{id}", "td-"), output),
        Success::Each(p) => {
            !targets.is_empty()
                && targets
                    .iter()
                    .all(|id| matches_line(&p.replace("{id}", id), output))
        }
    }
}

/// The targets td reports success for (all of them for `Each` rules that passed).
pub fn succeeded_targets(rules: &Rules, output: &str, targets: &[String]) -> Vec<String> {
    let p = rules.success.pattern();
    targets
        .iter()
        .filter(|id| !p.contains("{id}") || matches_line(&p.replace("{id}", id), output))
        .cloned()
        .collect()
}

/// True when some line of `text` matches `pattern` (`*` wildcard, optional `^` anchor).
pub fn matches_line(pattern: &str, text: &str) -> bool {
    let (anchored, pattern) = match pattern.strip_prefix('^') {
        Some(rest) => (true, rest),
        None => (false, pattern),
    };
    text.lines().any(|line| glob_line(pattern, anchored, line))
}

fn glob_line(pattern: &str, anchored: bool, line: &str) -> bool {
    let mut rest = line;
    for (i, piece) in pattern.split('*').enumerate() {
        if i == 0 && anchored {
            match rest.strip_prefix(piece) {
                Some(r) => rest = r,
                None => return false,
            }
            continue;
        }
        match rest.find(piece) {
            Some(pos) => rest = &rest[pos + piece.len()..],
            None => return false,
        }
    }
    true
}

/// Full classification given a confirmation oracle: `confirm(kind, targets)` answers whether
/// the actor's database confirms a refusal of `kind` about `targets`. For a bulk command that
/// succeeded for some targets, each remaining target is judged on its own output lines.
pub fn classify<E>(
    rules: &Rules,
    out: &TdOutput,
    targets: &[String],
    mut confirm: impl FnMut(Confirm, &[String]) -> Result<bool, E>,
) -> Result<Outcome, E> {
    let first = classify_one(rules, out, targets, &mut confirm)?;
    let bulk = matches!(rules.success, Success::Any(p) if p.contains("{id}")) && targets.len() > 1;
    if first != Outcome::Ok || !bulk {
        return Ok(first);
    }
    let done = succeeded_targets(rules, &out.output, targets);
    let mut worst = Outcome::Ok;
    for id in targets.iter().filter(|t| !done.contains(t)) {
        let lines: Vec<&str> = out
            .output
            .lines()
            .filter(|l| l.contains(id.as_str()))
            .collect();
        let own = TdOutput {
            output: lines.join("\n"),
            code: Some(1),
            duration: out.duration,
        };
        worst = worst.worst(classify_one(
            rules,
            &own,
            std::slice::from_ref(id),
            &mut confirm,
        )?);
    }
    Ok(worst)
}

fn classify_one<E>(
    rules: &Rules,
    out: &TdOutput,
    targets: &[String],
    confirm: &mut impl FnMut(Confirm, &[String]) -> Result<bool, E>,
) -> Result<Outcome, E> {
    Ok(match judge(rules, out, targets) {
        Verdict::Ok => Outcome::Ok,
        Verdict::Failed(why) => Outcome::Unexpected(why),
        Verdict::Refused(refusal) => {
            if confirm(refusal.confirm, targets)? {
                Outcome::Expected(format!("refused: {}", refusal.pattern))
            } else {
                Outcome::Unexpected(format!(
                    "refused with `{}` but the actor's database contradicts it ({:?})",
                    refusal.pattern, refusal.confirm
                ))
            }
        }
    })
}

/// The id td printed for a create: the first line `CREATED td-<6–8 hex>` (weak spot §9.16:
/// not the first `td-` substring, which could be a path like `td-e2e-…`).
pub fn extract_created_id(output: &str) -> Option<String> {
    output.lines().find_map(|line| {
        let rest = line.trim().strip_prefix("CREATED td-")?;
        let hex: String = rest.chars().take_while(|c| c.is_ascii_hexdigit()).collect();
        let after = rest[hex.len()..].chars().next();
        let lower = hex.chars().all(|c| !c.is_ascii_uppercase());
        let ends = after.is_none_or(char::is_whitespace);
        ((6..=8).contains(&hex.len()) && lower && ends).then(|| format!("td-{hex}"))
    })
}

#[cfg(test)]
#[path = "classify_tests.rs"]
mod tests;
