//! Field-level merge: a fresh, targeted experiment (harness spec §5.3). Actor A creates an
//! issue, everyone syncs, A retitles it while B reprioritises it without syncing in between,
//! everyone syncs again; every actor's database must then hold exactly A's title and B's
//! priority (exact equality, where the original matched substrings). It adds an issue to
//! the world, so run it after the checks that read the chaos data.

use super::db::{as_text, render_value, ReadOnlyDb};
use super::{CheckResult, VerifyError};
use crate::driver::{Driver, TdOutput};

/// Title the experiment creates the issue with.
pub const MERGE_TITLE_ORIGINAL: &str = "field-merge-test-issue";
/// Title actor A sets.
pub const MERGE_TITLE: &str = "merged-title-from-A";
/// Priority actor B sets.
pub const MERGE_PRIORITY: &str = "P0";

const SETUP: &str = "field-level merge setup";

pub fn check(driver: &dyn Driver, a: &str, b: &str) -> Result<Vec<CheckResult>, VerifyError> {
    let created = run(driver, a, &["create", MERGE_TITLE_ORIGINAL])?;
    let Some(id) = created_id(&created.output).filter(|_| created.ok()) else {
        return Ok(vec![setup_failure(a, "create", &created)]);
    };
    if let Err(e) = driver.sync_all() {
        return Ok(vec![CheckResult::invalid(
            SETUP,
            format!("first sync_all: {e}"),
        )]);
    }
    let edit_a = run(driver, a, &["edit", &id, "--title", MERGE_TITLE])?;
    if !edit_a.ok() {
        return Ok(vec![setup_failure(a, "edit --title", &edit_a)]);
    }
    let edit_b = run(driver, b, &["edit", &id, "--priority", MERGE_PRIORITY])?;
    if !edit_b.ok() {
        return Ok(vec![setup_failure(b, "edit --priority", &edit_b)]);
    }
    if let Err(e) = driver.sync_all() {
        return Ok(vec![CheckResult::invalid(
            SETUP,
            format!("second sync_all: {e}"),
        )]);
    }
    driver
        .actors()
        .iter()
        .map(|actor| verify_actor(driver, actor, &id))
        .collect()
}

fn run(driver: &dyn Driver, actor: &str, args: &[&str]) -> Result<TdOutput, VerifyError> {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    Ok(driver.td(actor, &args)?)
}

fn setup_failure(actor: &str, what: &str, out: &TdOutput) -> CheckResult {
    CheckResult::invalid(
        SETUP,
        format!(
            "{actor}: td {what} exited {:?}: {:?}",
            out.code,
            out.output.trim()
        ),
    )
}

/// The id of a `CREATED td-<hex>` line (not the first `td-` substring: paths contain those).
fn created_id(output: &str) -> Option<String> {
    output.lines().find_map(|line| {
        let id = line
            .trim()
            .strip_prefix("CREATED ")?
            .split_whitespace()
            .next()?;
        td_core::ids::looks_like_issue_id(id).then(|| id.to_string())
    })
}

fn verify_actor(driver: &dyn Driver, actor: &str, id: &str) -> Result<CheckResult, VerifyError> {
    let name = format!("field-level merge [{actor}]");
    let db = ReadOnlyDb::open(&driver.db_path(actor))?;
    let rows = db.rows(
        "SELECT title, priority, deleted_at FROM issues WHERE id = ?1",
        [id],
    )?;
    let Some(row) = rows.first() else {
        return Ok(CheckResult::invalid(
            name,
            format!("{id} is missing on {actor}"),
        ));
    };
    let title_ok = as_text(&row[0]) == Some(MERGE_TITLE);
    let priority_ok = as_text(&row[1]) == Some(MERGE_PRIORITY);
    let live = matches!(row[2], rusqlite::types::Value::Null);
    let got = format!(
        "{id} on {actor}: title={} (want {MERGE_TITLE:?}), priority={} (want {MERGE_PRIORITY:?}), deleted_at={}",
        render_value(&row[0]),
        render_value(&row[1]),
        render_value(&row[2])
    );
    Ok(if title_ok && priority_ok && live {
        CheckResult::valid(name, format!("both fields preserved: {got}"))
    } else {
        CheckResult::invalid(name, got)
    })
}

#[cfg(test)]
mod tests {
    use super::created_id;

    #[test]
    fn created_id_reads_the_created_line_only() {
        assert_eq!(
            created_id("warning in /tmp/td-e2e-x\nCREATED td-a1b2c3\n").as_deref(),
            Some("td-a1b2c3")
        );
        assert_eq!(created_id("see td-abcdef"), None);
    }
}
