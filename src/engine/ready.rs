//! Which actions can do work on an actor's model right now. The action draw only offers
//! ready actions (an unready one would only be skipped), so a run spends its budget on
//! td invocations instead of skips. The predicates mirror each executor's own skip
//! condition; an executor that still finds nothing to do (a random pick that collides)
//! skips as before and is counted.

use super::model::{IssueModel, Model, Status};

fn live(m: &Model) -> impl Iterator<Item = &IssueModel> {
    m.issues.iter().filter(|i| !i.deleted)
}

fn any_status(m: &Model, s: Status) -> bool {
    live(m).any(|i| i.status == s)
}

fn count_live(m: &Model, f: impl Fn(&IssueModel) -> bool) -> usize {
    live(m).filter(|i| f(i)).count()
}

/// A live child whose live parent satisfies `parent_ok` and which satisfies `child_ok`.
fn pair(
    m: &Model,
    parent_ok: impl Fn(&IssueModel) -> bool,
    child_ok: impl Fn(&IssueModel) -> bool,
) -> bool {
    live(m)
        .filter(|c| !c.parent.is_empty() && child_ok(c))
        .any(|c| {
            m.issue(&c.parent)
                .is_some_and(|p| !p.deleted && parent_ok(p))
        })
}

/// Whether `action` has something to act on in `m` (unknown names: true).
pub fn ready(action: &str, m: &Model) -> bool {
    let has_live = live(m).next().is_some();
    let in_progress = |i: &IssueModel| i.status == Status::InProgress;
    match action {
        "update" | "update_append" | "delete" | "close" | "comment" | "log_progress"
        | "log_blocker" | "log_decision" | "log_hypothesis" | "log_result" | "link"
        | "create_child" => has_live,
        "restore" => m.issues.iter().any(|i| i.deleted),
        "update_bulk" => count_live(m, |_| true) >= 2,
        "dep_add" => {
            let ids: Vec<&str> = live(m).map(|i| i.id.as_str()).collect();
            ids.iter()
                .any(|a| ids.iter().any(|b| a != b && !m.has_dep(a, b)))
        }
        "dep_rm" => !m.deps.is_empty(),
        "start" => any_status(m, Status::Open),
        "unstart" | "review" | "handoff" => any_status(m, Status::InProgress),
        "approve" | "reject" => any_status(m, Status::InReview),
        "reopen" => any_status(m, Status::Closed),
        "unblock" => any_status(m, Status::Blocked),
        "block" => any_status(m, Status::Open) || any_status(m, Status::InProgress),
        "bulk_start" => count_live(m, |i| i.status == Status::Open) >= 2,
        "bulk_review" => count_live(m, in_progress) >= 2,
        "bulk_close" => count_live(m, |i| i.status != Status::Closed) >= 2,
        "board_edit" | "board_delete" | "board_view_mode" => !m.boards.is_empty(),
        "board_move" | "board_unposition" => !m.boards.is_empty() && has_live,
        "unlink" => !m.files.is_empty(),
        "ws_start" => m.work_session.is_none(),
        "ws_tag" => m.work_session.is_some() && has_live,
        "ws_untag" => m.work_session.is_some() && !m.tagged.is_empty(),
        "ws_end" | "ws_handoff" => m.work_session.is_some(),
        "cascade_handoff" => pair(m, in_progress, |_| true),
        "cascade_review" => pair(m, in_progress, in_progress),
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_model_offers_only_what_needs_nothing() {
        let m = Model::default();
        for a in [
            "update",
            "delete",
            "start",
            "board_move",
            "dep_add",
            "ws_end",
            "restore",
        ] {
            assert!(!ready(a, &m), "{a}");
        }
        for a in ["create", "board_create", "ws_start", "undo"] {
            assert!(ready(a, &m), "{a}");
        }
    }

    #[test]
    fn statuses_boards_and_pairs_unlock_their_actions() {
        let mut m = Model::default();
        let mut a = IssueModel::new("td-a", Some(0));
        a.status = Status::InProgress;
        let mut b = IssueModel::new("td-b", Some(0));
        b.parent = "td-a".into();
        m.track_created(a);
        m.track_created(b);
        assert!(ready("dep_add", &m) && ready("review", &m) && ready("start", &m));
        assert!(ready("cascade_handoff", &m) && !ready("cascade_review", &m));
        assert!(!ready("approve", &m) && !ready("board_move", &m));
        m.boards.push("b1".into());
        assert!(ready("board_move", &m));
        m.add_dep("td-a", "td-b");
        m.add_dep("td-b", "td-a");
        assert!(!ready("dep_add", &m) && ready("dep_rm", &m));
    }
}
