//! Who may see what, end to end: what an outsider, a reader and a removed member may hold,
//! and what the server's store may hold from them.
//!
//! - `no_events_from`: the store holds no event pushed by a device that may not write;
//! - `none_after`: a removed member's device pushed nothing the store kept after removal;
//! - `holds_none`: a replica that may not read (an outsider, a removed member for what came
//!   after its removal) holds none of the given issues and never moved its cursor past `max`.

use std::path::Path;

use super::db::{as_text, pull_cursor, ReadOnlyDb};
use super::server_db::ServerEvent;
use super::{CheckResult, VerifyError};

/// No stored event came from any of `devices` (`(who, device_id)`).
pub fn no_events_from(events: &[ServerEvent], devices: &[(String, String)]) -> CheckResult {
    let found: Vec<String> = events
        .iter()
        .filter_map(|e| {
            let (who, _) = devices.iter().find(|(_, d)| *d == e.device_id)?;
            Some(format!(
                "{who} (may not write) authored stored event {}",
                e.render()
            ))
        })
        .collect();
    let names: Vec<&str> = devices.iter().map(|(w, _)| w.as_str()).collect();
    CheckResult::from_violations(
        "access: the store holds no event from a non-writer",
        format!("{} events, none from {}", events.len(), names.join(", ")),
        &found,
    )
}

/// `who` (device `device`) got no event stored after seq `removed_at`.
pub fn none_after(events: &[ServerEvent], who: &str, device: &str, removed_at: i64) -> CheckResult {
    let found: Vec<String> = events
        .iter()
        .filter(|e| e.device_id == device && e.seq > removed_at)
        .map(|e| {
            format!(
                "{who} pushed after its removal at seq {removed_at}: {}",
                e.render()
            )
        })
        .collect();
    CheckResult::from_violations(
        format!("access: removed {who} pushed nothing after its removal"),
        format!("no event of {who} after seq {removed_at}"),
        &found,
    )
}

/// `who`'s replica at `db` holds none of `ids` and its pull cursor is at most `max`.
pub fn holds_none(
    db: &Path,
    who: &str,
    ids: &[String],
    max: i64,
) -> Result<CheckResult, VerifyError> {
    let r = ReadOnlyDb::open(db)?;
    let mut found = Vec::new();
    for row in r.rows("SELECT id FROM issues", [])? {
        let id = as_text(&row[0]).unwrap_or_default();
        if ids.iter().any(|i| i == id) {
            found.push(format!("{who} holds issue {id}, which it may not see"));
        }
    }
    let cursor = pull_cursor(&r)?;
    if cursor > max {
        found.push(format!("{who}'s pull cursor is at {cursor}, past {max}"));
    }
    Ok(CheckResult::from_violations(
        format!("access: {who} received nothing it may not see"),
        format!("none of {} issues, cursor {cursor} ≤ {max}", ids.len()),
        &found,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::types::Value;

    fn ev(seq: i64, device: &str) -> ServerEvent {
        ServerEvent {
            seq,
            device_id: device.into(),
            session_id: "s".into(),
            client_action_id: Value::Integer(seq),
            action_type: "create".into(),
            entity_type: "issues".into(),
            entity_id: format!("td-{seq}"),
            payload: "{}".into(),
            client_timestamp: "2026-01-01T00:00:00Z".into(),
        }
    }

    #[test]
    fn an_event_from_a_reader_fails() {
        let devices = vec![("reader".to_string(), "dev-r".to_string())];
        assert!(no_events_from(&[ev(1, "dev-a")], &devices).passed());
        let r = no_events_from(&[ev(1, "dev-a"), ev(2, "dev-r")], &devices);
        assert!(!r.passed());
        assert!(
            r.details
                .contains("reader (may not write) authored stored event"),
            "{}",
            r.details
        );
    }

    #[test]
    fn a_push_after_removal_fails() {
        let events = [ev(1, "dev-b"), ev(5, "dev-b")];
        assert!(none_after(&events[..1], "bob", "dev-b", 3).passed());
        let r = none_after(&events, "bob", "dev-b", 3);
        assert!(!r.passed());
        assert!(
            r.details.contains("after its removal at seq 3"),
            "{}",
            r.details
        );
    }
}
