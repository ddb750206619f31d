//! Board executors. A `board not found` refusal is expected only when the actor's database
//! has no such board (then the model is re-read).

use super::Exec;
use crate::args;
use crate::engine::intent::{IntentValue, Wanted};
use crate::engine::invoke::Subject;
use crate::engine::random::BOARD_QUERIES;
use crate::engine::selection::Mode;
use crate::engine::ChaosEngine;

fn board_subject(board: &str, issue: Option<&str>) -> Subject {
    let mut s = match issue {
        Some(id) => Subject::issue(id),
        None => Subject::default(),
    };
    s.board = board.to_string();
    s
}

/// The board named `name` (the engine knows boards by name; td logs the name).
fn board_key(name: &str) -> Vec<(&'static str, IntentValue)> {
    vec![("name", IntentValue::text(name))]
}

/// Issue `id`'s position row on the command's board: live at td's key (`moved`), or
/// soft-deleted.
fn position_key(id: &str, moved: bool) -> Vec<(&'static str, IntentValue)> {
    let mut fields = vec![
        ("issue_id", IntentValue::text(id)),
        ("board_id", IntentValue::Logged),
    ];
    if moved {
        fields.push(("position", IntentValue::Logged));
        fields.push(("deleted_at", IntentValue::Null));
    } else {
        fields.push(("deleted_at", IntentValue::NotNull));
    }
    fields
}

/// A tracked board picked by position.
fn pick_board(e: &mut ChaosEngine<'_>, a: usize) -> Option<String> {
    let n = e.models[a].boards.len();
    if n == 0 {
        return None;
    }
    let idx = e.pick_index(n);
    Some(e.models[a].boards[idx].clone())
}

/// board_create (2): `chaos-board-<hex8>`, 50 % with one of the first five queries.
pub fn board_create(e: &mut ChaosEngine<'_>, a: usize) -> Exec {
    let name = format!("chaos-board-{}", e.data.hex8());
    let mut cmd = args!["board", "create", name.as_str()];
    let mut query = "";
    if e.data.intn(2) == 1 {
        query = e.data.choice(&BOARD_QUERIES[..5]);
        cmd.extend(args!["-q", query]);
    }
    let window = e.window(a)?;
    let step = e.run_td(a, "board_create", cmd, &board_subject(&name, None))?;
    if step.outcome.is_ok() {
        e.model_mut(a).boards.push(name.clone());
        let mut fields = board_key(&name);
        fields.push(("query", IntentValue::text(query)));
        fields.push(("view_mode", IntentValue::text("swimlanes")));
        fields.push(("is_builtin", IntentValue::Int(0)));
        e.intend(
            a,
            &window,
            "board_create",
            Wanted::matching("boards", fields),
        )?;
    }
    Ok(e.result(a, "board_create", name, step))
}

/// board_edit (1): a new query from all six.
pub fn board_edit(e: &mut ChaosEngine<'_>, a: usize) -> Exec {
    let Some(board) = pick_board(e, a) else {
        return Ok(e.skip(a, "board_edit", "no board"));
    };
    let query = e.data.choice(&BOARD_QUERIES);
    let cmd = args!["board", "edit", board.as_str(), "-q", query];
    let window = e.window(a)?;
    let step = e.run_td(a, "board_edit", cmd, &board_subject(&board, None))?;
    if step.outcome.is_ok() {
        let mut fields = board_key(&board);
        fields.push(("query", IntentValue::text(query)));
        e.intend(a, &window, "board_edit", Wanted::matching("boards", fields))?;
    }
    Ok(e.result(a, "board_edit", board, step))
}

/// board_move (2): a live issue to slot 1–100.
pub fn board_move(e: &mut ChaosEngine<'_>, a: usize) -> Exec {
    let Some(board) = pick_board(e, a) else {
        return Ok(e.skip(a, "board_move", "no board"));
    };
    let Some(id) = e.pick_issue(a, Mode::NotDeleted) else {
        return Ok(e.skip(a, "board_move", "no live issue"));
    };
    let pos = (1 + e.data.intn(100)).to_string();
    let cmd = args!["board", "move", board.as_str(), id.as_str(), pos];
    let window = e.window(a)?;
    let step = e.run_td(a, "board_move", cmd, &board_subject(&board, Some(&id)))?;
    if step.outcome.is_ok() {
        // td turns the slot into a sparse key and names the board by id: both are taken
        // from its own action_log row.
        let fields = position_key(&id, true);
        let wanted = Wanted::matching("board_issue_positions", fields);
        e.intend(a, &window, "board_move", wanted)?;
    }
    Ok(e.result(a, "board_move", format!("{board}:{id}"), step))
}

/// board_unposition (1): refused unless positioned — expected only when the DB agrees.
pub fn board_unposition(e: &mut ChaosEngine<'_>, a: usize) -> Exec {
    let Some(board) = pick_board(e, a) else {
        return Ok(e.skip(a, "board_unposition", "no board"));
    };
    let Some(id) = e.pick_issue(a, Mode::NotDeleted) else {
        return Ok(e.skip(a, "board_unposition", "no live issue"));
    };
    let cmd = args!["board", "unposition", board.as_str(), id.as_str()];
    let window = e.window(a)?;
    let step = e.run_td(
        a,
        "board_unposition",
        cmd,
        &board_subject(&board, Some(&id)),
    )?;
    if step.outcome.is_ok() {
        let fields = position_key(&id, false);
        let wanted = Wanted::matching("board_issue_positions", fields);
        e.intend(a, &window, "board_unposition", wanted)?;
    }
    Ok(e.result(a, "board_unposition", format!("{board}:{id}"), step))
}

/// board_delete (1): removes the board at the picked position.
pub fn board_delete(e: &mut ChaosEngine<'_>, a: usize) -> Exec {
    let Some(board) = pick_board(e, a) else {
        return Ok(e.skip(a, "board_delete", "no board"));
    };
    let cmd = args!["board", "delete", board.as_str()];
    let window = e.window(a)?;
    let step = e.run_td(a, "board_delete", cmd, &board_subject(&board, None))?;
    if step.outcome.is_ok() {
        e.model_mut(a).boards.retain(|b| *b != board);
        let wanted = Wanted::removal("boards", board_key(&board));
        e.intend(a, &window, "board_delete", wanted)?;
    }
    Ok(e.result(a, "board_delete", board, step))
}

/// board_view_mode (1): swimlanes or backlog.
pub fn board_view_mode(e: &mut ChaosEngine<'_>, a: usize) -> Exec {
    let Some(board) = pick_board(e, a) else {
        return Ok(e.skip(a, "board_view_mode", "no board"));
    };
    let mode = e.data.choice(&["swimlanes", "backlog"]);
    let cmd = args!["board", "edit", board.as_str(), "--view-mode", mode];
    let window = e.window(a)?;
    let step = e.run_td(a, "board_view_mode", cmd, &board_subject(&board, None))?;
    if step.outcome.is_ok() {
        let mut fields = board_key(&board);
        fields.push(("view_mode", IntentValue::text(mode)));
        e.intend(
            a,
            &window,
            "board_view_mode",
            Wanted::matching("boards", fields),
        )?;
    }
    Ok(e.result(a, "board_view_mode", board, step))
}
