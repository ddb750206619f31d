//! File link executors. The linked file is written into the acting actor's directory only.

use super::Exec;
use crate::args;
use crate::engine::intent::{IntentValue, Wanted};
use crate::engine::invoke::Subject;
use crate::engine::selection::Mode;
use crate::engine::{ChaosEngine, EngineError};

const DIRS: [&str; 6] = ["src", "tests", "docs", "internal", "cmd", "pkg"];
const EXTS: [&str; 5] = ["go", "md", "sh", "yaml", "json"];
const ROLES: [&str; 4] = ["implementation", "test", "reference", "config"];

/// The link of `path` to `issue`, as its row's fields.
fn file_key(issue: &str, path: &str) -> Vec<(&'static str, IntentValue)> {
    vec![
        ("issue_id", IntentValue::text(issue)),
        ("file_path", IntentValue::text(path)),
    ]
}

fn file_subject(issue: &str, path: &str) -> Subject {
    let mut s = Subject::issue(issue);
    s.file = Some((issue.to_string(), path.to_string()));
    s
}

/// link (3): `<dir>_file_<n>.<ext>` (a flat name) with a role.
pub fn link(e: &mut ChaosEngine<'_>, a: usize) -> Exec {
    let Some(id) = e.pick_issue(a, Mode::NotDeleted) else {
        return Ok(e.skip(a, "link", "no live issue"));
    };
    let dir = e.data.choice(&DIRS);
    let ext = e.data.choice(&EXTS);
    let n = 1 + e.data.intn(999);
    let role = e.data.choice(&ROLES);
    let path = format!("{dir}_file_{n}.{ext}");
    let full = e.driver.client_dir(&e.actors[a]).join(&path);
    std::fs::write(&full, crate::run::LINKED_FILE_TEXT).map_err(|source| EngineError::Io {
        path: full.clone(),
        source,
    })?;
    let cmd = args!["link", id.as_str(), path.as_str(), "--role", role];
    let window = e.window(a)?;
    let step = e.run_td(a, "link", cmd, &file_subject(&id, &path))?;
    if step.outcome.is_ok() {
        e.model_mut(a).link(&id, &path, role);
        let mut fields = file_key(&id, &path);
        fields.push(("role", IntentValue::text(role)));
        e.intend(a, &window, "link", Wanted::matching("issue_files", fields))?;
    }
    Ok(e.result(a, "link", format!("{id}~{path}"), step))
}

/// unlink (1): a tracked link, picked by position.
pub fn unlink(e: &mut ChaosEngine<'_>, a: usize) -> Exec {
    let n = e.models[a].files.len();
    if n == 0 {
        return Ok(e.skip(a, "unlink", "no tracked link"));
    }
    let idx = e.pick_index(n);
    let f = e.models[a].files[idx].clone();
    let cmd = args!["unlink", f.issue.as_str(), f.path.as_str()];
    let window = e.window(a)?;
    let step = e.run_td(a, "unlink", cmd, &file_subject(&f.issue, &f.path))?;
    if step.outcome.is_ok() {
        e.model_mut(a).unlink(&f.issue, &f.path);
        let wanted = Wanted::removal("issue_files", file_key(&f.issue, &f.path));
        e.intend(a, &window, "unlink", wanted)?;
    }
    Ok(e.result(a, "unlink", format!("{}~{}", f.issue, f.path), step))
}
