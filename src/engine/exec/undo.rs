//! undo (3): `td undo` reverts the newest undoable action of the actor's session (an
//! issue write, a dependency, a file link, a board position, a board, a handoff), synced or
//! not. What it reverted is whatever td says; the model is re-read from the database and
//! the intents of the rows td marked undone are withdrawn (the compensating row is an
//! ordinary later event, which the oracle follows like any other).

use serde_json::Value;

use super::Exec;
use crate::args;
use crate::engine::invoke::Subject;
use crate::engine::{ChaosEngine, EngineError};

/// `UNDONE: <action_type> <entity_type> <entity_id>` → `(action_type, entity_type, id)`.
pub fn undone(output: &str) -> Option<(String, String, String)> {
    let line = output
        .lines()
        .find_map(|l| l.trim().strip_prefix("UNDONE: "))?;
    let mut parts = line.splitn(3, ' ');
    let action = parts.next()?.to_string();
    let entity = parts.next()?.to_string();
    let id = parts.next().unwrap_or("").to_string();
    Some((action, entity, id))
}

/// What the row undo will revert is about, so a refusal can be confirmed against the DB: the
/// dependency of an add/remove, the file of a link/unlink.
fn subject(e: &ChaosEngine<'_>, a: usize) -> Result<Subject, EngineError> {
    let db = e.actor_db(a)?;
    let mut s = Subject::default();
    let Some((entity, _action, previous, new)) = db.newest_undoable(&db.sessions()?)? else {
        return Ok(s);
    };
    let data: Value = serde_json::from_str(&new)
        .or_else(|_| serde_json::from_str(&previous))
        .unwrap_or(Value::Null);
    let field = |k: &str| {
        data.get(k)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    match entity.as_str() {
        "issue_dependencies" => s.dep = Some((field("issue_id"), field("depends_on_id"))),
        "issue_files" => s.file = Some((field("issue_id"), field("file_path"))),
        _ => {}
    }
    Ok(s)
}

pub fn undo(e: &mut ChaosEngine<'_>, a: usize) -> Exec {
    let subject = subject(e, a)?;
    let step = e.run_td(a, "undo", args!["undo"], &subject)?;
    let target = undone(&step.output.output)
        .map(|(action, entity, id)| format!("{action}:{entity}:{id}"))
        .unwrap_or_default();
    if step.outcome.is_ok() {
        e.withdraw_undone_intents(a)?;
        e.refresh_index(a)?;
    }
    Ok(e.result(a, "undo", target, step))
}

#[cfg(test)]
mod tests {
    use super::undone;

    #[test]
    fn reads_tds_undone_line() {
        assert_eq!(
            undone("UNDONE: update issue td-ab12\n"),
            Some(("update".into(), "issue".into(), "td-ab12".into()))
        );
        assert_eq!(
            undone("UNDONE: add issue_dependencies td-a:td-b"),
            Some((
                "add".into(),
                "issue_dependencies".into(),
                "td-a:td-b".into()
            ))
        );
        assert_eq!(
            undone("No actions to undo in current session (ses_1)"),
            None
        );
    }
}
