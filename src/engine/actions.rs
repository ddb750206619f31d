//! The action table (harness spec §2.6): one entry per action — name, weight, executor — in
//! the spec's order, then `undo` (not in the original's table). Weights total 120. Executors live in `exec/` by group.

use super::exec::{boards, deps, family, files, issues, notes, status, undo, worksessions};
use super::stats::ActionResult;
use super::{ChaosEngine, EngineError};

/// Runs one action as the given actor index.
pub type Executor = fn(&mut ChaosEngine<'_>, usize) -> Result<ActionResult, EngineError>;

/// One row of the action table.
pub struct ActionSpec {
    pub name: &'static str,
    pub weight: u32,
    pub exec: Executor,
}

impl std::fmt::Debug for ActionSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}({})", self.name, self.weight)
    }
}

const fn a(name: &'static str, weight: u32, exec: Executor) -> ActionSpec {
    ActionSpec { name, weight, exec }
}

/// The 43 actions of the spec, in its order, and undo.
pub static ACTIONS: [ActionSpec; 44] = [
    // CRUD 32
    a("create", 15, issues::create),
    a("update", 10, issues::update),
    a("update_append", 2, issues::update_append),
    a("delete", 2, issues::delete),
    a("restore", 1, issues::restore),
    a("update_bulk", 2, issues::update_bulk),
    // status 29
    a("start", 7, status::start),
    a("unstart", 1, status::unstart),
    a("review", 5, status::review),
    a("approve", 5, status::approve),
    a("reject", 2, status::reject),
    a("close", 2, status::close),
    a("reopen", 2, status::reopen),
    a("bulk_start", 1, status::bulk_start),
    a("bulk_review", 1, status::bulk_review),
    a("bulk_close", 1, status::bulk_close),
    a("block", 1, status::block),
    a("unblock", 1, status::unblock),
    // comments and logs 20
    a("comment", 10, notes::comment),
    a("log_progress", 4, notes::log_progress),
    a("log_blocker", 2, notes::log_blocker),
    a("log_decision", 2, notes::log_decision),
    a("log_hypothesis", 1, notes::log_hypothesis),
    a("log_result", 1, notes::log_result),
    // dependencies 5
    a("dep_add", 3, deps::dep_add),
    a("dep_rm", 2, deps::dep_rm),
    // boards 8
    a("board_create", 2, boards::board_create),
    a("board_edit", 1, boards::board_edit),
    a("board_move", 2, boards::board_move),
    a("board_unposition", 1, boards::board_unposition),
    a("board_delete", 1, boards::board_delete),
    a("board_view_mode", 1, boards::board_view_mode),
    // handoff 3
    a("handoff", 3, notes::handoff),
    // files 4
    a("link", 3, files::link),
    a("unlink", 1, files::unlink),
    // work sessions 8
    a("ws_start", 2, worksessions::ws_start),
    a("ws_tag", 3, worksessions::ws_tag),
    a("ws_untag", 1, worksessions::ws_untag),
    a("ws_end", 1, worksessions::ws_end),
    a("ws_handoff", 1, worksessions::ws_handoff),
    // parent/child 8
    a("create_child", 4, family::create_child),
    a("cascade_handoff", 2, family::cascade_handoff),
    a("cascade_review", 2, family::cascade_review),
    // undo 3 (a harness addition: the original's chaos never undoes)
    a("undo", 3, undo::undo),
];

/// The table entry named `name`.
pub fn spec(name: &str) -> Option<&'static ActionSpec> {
    ACTIONS.iter().find(|a| a.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::classify::rules_for;

    #[test]
    fn every_action_has_classification_rules() {
        for a in ACTIONS.iter() {
            assert!(rules_for(a.name).is_some(), "{} has no rules", a.name);
        }
    }

    #[test]
    fn group_weights_match_the_spec() {
        let sum = |names: &[&str]| -> u32 { names.iter().map(|n| spec(n).unwrap().weight).sum() };
        assert_eq!(
            sum(&[
                "create",
                "update",
                "update_append",
                "delete",
                "restore",
                "update_bulk"
            ]),
            32
        );
        assert_eq!(
            sum(&[
                "board_create",
                "board_edit",
                "board_move",
                "board_unposition",
                "board_delete",
                "board_view_mode"
            ]),
            8
        );
        assert_eq!(
            sum(&["ws_start", "ws_tag", "ws_untag", "ws_end", "ws_handoff"]),
            8
        );
        assert_eq!(
            sum(&["create_child", "cascade_handoff", "cascade_review"]),
            8
        );
    }
}
