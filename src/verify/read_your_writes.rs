//! Read-your-writes: each listed issue is shown by its owner (`td show <id> --json`) with the
//! exact id, title, status, type and priority the owner's database holds. One result per
//! owner; any unreadable issue fails it (the original's summary passed regardless).

use rusqlite::types::Value;

use super::db::{as_text, render_value, ReadOnlyDb};
use super::{CheckResult, IssueOwner, VerifyError};
use crate::driver::{Driver, DriverError};

/// Fields compared between `td show --json` and the owner's database row.
const FIELDS: &[&str] = &["title", "status", "type", "priority"];

pub fn check(driver: &dyn Driver, owners: &[IssueOwner]) -> Result<Vec<CheckResult>, VerifyError> {
    let derived;
    let owners = if owners.is_empty() {
        derived = IssueOwner::from_data(&super::ActorDb::all_from(driver))?;
        &derived[..]
    } else {
        owners
    };
    if owners.is_empty() {
        return Ok(vec![CheckResult::valid(
            "read-your-writes",
            "no non-deleted issues to check",
        )]);
    }
    let mut order: Vec<&str> = Vec::new();
    for o in owners {
        if !order.contains(&o.owner.as_str()) {
            order.push(&o.owner);
        }
    }
    order
        .into_iter()
        .map(|owner| {
            let ids: Vec<&str> = owners
                .iter()
                .filter(|o| o.owner == owner)
                .map(|o| o.issue_id.as_str())
                .collect();
            check_owner(driver, owner, &ids)
        })
        .collect()
}

fn check_owner(driver: &dyn Driver, owner: &str, ids: &[&str]) -> Result<CheckResult, VerifyError> {
    let db = ReadOnlyDb::open(&driver.db_path(owner))?;
    let mut violations = Vec::new();
    for id in ids {
        if let Some(problem) = check_issue(driver, &db, owner, id)? {
            violations.push(format!("{id}: {problem}"));
        }
    }
    let name = format!("read-your-writes [{owner}]");
    let ok = format!("{owner} read its {} issues as stored", ids.len());
    Ok(CheckResult::from_violations(name, ok, &violations))
}

/// `None` when the owner reads the issue as stored, else what is wrong.
fn check_issue(
    driver: &dyn Driver,
    db: &ReadOnlyDb,
    owner: &str,
    id: &str,
) -> Result<Option<String>, VerifyError> {
    let args = vec!["show".to_string(), id.to_string(), "--json".to_string()];
    let out = match driver.td(owner, &args) {
        Ok(out) => out,
        Err(e @ DriverError::Timeout { .. }) => return Ok(Some(e.to_string())),
        Err(e) => return Err(e.into()),
    };
    if !out.ok() {
        return Ok(Some(format!(
            "{owner} cannot read it: exit {:?}: {:?}",
            out.code,
            out.output.trim()
        )));
    }
    let Some(shown) = first_json_object(&out.output) else {
        return Ok(Some(format!(
            "no JSON object in the output: {:?}",
            out.output.trim()
        )));
    };
    let stored = db.rows(
        "SELECT id, title, status, type, priority FROM issues WHERE id = ?1",
        [id],
    )?;
    let Some(row) = stored.first() else {
        return Ok(Some(format!("not in {owner}'s database")));
    };
    Ok(compare(&shown, row))
}

/// The first JSON object in `output` (td may print warnings around it).
fn first_json_object(output: &str) -> Option<serde_json::Value> {
    let start = output.find('{')?;
    serde_json::Deserializer::from_str(&output[start..])
        .into_iter::<serde_json::Value>()
        .next()?
        .ok()
        .filter(serde_json::Value::is_object)
}

fn compare(shown: &serde_json::Value, row: &[Value]) -> Option<String> {
    let mut diffs = Vec::new();
    for (i, field) in std::iter::once(&"id").chain(FIELDS).enumerate() {
        let want = as_text(&row[i]);
        let got = shown.get(*field).and_then(serde_json::Value::as_str);
        if got != want {
            diffs.push(format!(
                "{field}: show has {}, database has {}",
                shown
                    .get(*field)
                    .map_or("nothing".to_string(), |v| v.to_string()),
                render_value(&row[i])
            ));
        }
    }
    (!diffs.is_empty()).then(|| diffs.join("; "))
}
