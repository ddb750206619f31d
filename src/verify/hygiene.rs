//! What must not happen quietly during a case, whatever the replicas end up holding:
//!
//! - `server_log`: td-sync panicked or answered 5xx (the fault proxy's injected answers never
//!   reach the server, so every 5xx in its log is the server's own);
//! - `quarantine`: a replica skipped a remote event (`sync_skipped_events`) that the case did
//!   not declare expected — a quarantined event is data one replica silently lacks.

use super::db::{render_row, ReadOnlyDb};
use super::{ActorDb, CheckResult};

/// Lines of the server log that show a panic or a 5xx answer.
pub fn server_log_findings(log: &str) -> Vec<String> {
    log.lines()
        .filter(|l| {
            l.contains("panicked at")
                || l.split_whitespace().any(|w| {
                    w.strip_prefix("status=")
                        .is_some_and(|s| s.len() == 3 && s.starts_with('5'))
                })
        })
        .map(|l| l.trim().to_string())
        .collect()
}

/// `server log: no panic, no 5xx`.
pub fn server_log(log: &str) -> CheckResult {
    let found = server_log_findings(log);
    CheckResult::from_violations(
        "server log: no panic, no 5xx",
        format!("{} log lines scanned", log.lines().count()),
        &found,
    )
}

/// True when `allowed` declares a skipped event of this kind: its entity type, or
/// `action_type:entity_type`.
fn declared(allowed: &[String], action: &str, entity: &str) -> bool {
    allowed
        .iter()
        .any(|a| a == entity || *a == format!("{action}:{entity}"))
}

/// `quarantine: no undeclared skipped remote event`, over every replica.
pub fn quarantine(dbs: &[ActorDb], allowed: &[String]) -> CheckResult {
    let name = "quarantine: no undeclared skipped remote event";
    let mut found = Vec::new();
    let mut declared_count = 0;
    for db in dbs {
        let rows = ReadOnlyDb::open(&db.path).and_then(|r| {
            r.table(
                "SELECT server_seq, action_type, entity_type, entity_id, reason, error \
                 FROM sync_skipped_events ORDER BY server_seq",
                [],
            )
        });
        let (cols, rows) = match rows {
            Ok(t) => t,
            Err(e) => return CheckResult::unknown(name, e.to_string()),
        };
        for row in rows {
            let text = |i: usize| match &row[i] {
                rusqlite::types::Value::Text(t) => t.clone(),
                _ => String::new(),
            };
            if declared(allowed, &text(1), &text(2)) {
                declared_count += 1;
                continue;
            }
            found.push(format!("{}: {}", db.actor, render_row(&cols, &row)));
        }
    }
    CheckResult::from_violations(
        name,
        format!(
            "no skipped remote event on {} replica(s) ({declared_count} declared ones)",
            dbs.len()
        ),
        &found,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLEAN: &str = "2026-12-03T08:46:03Z INFO td_sync::middleware: request method=GET \
                         path=/healthz status=200 duration_ms=0\n";

    #[test]
    fn a_clean_log_passes() {
        assert!(server_log(CLEAN).passed());
    }

    #[test]
    fn a_5xx_or_a_panic_fails_and_is_quoted() {
        let log = format!(
            "{CLEAN}2026-12-03T08:46:04Z INFO request method=POST path=/v1/x status=500 \
             duration_ms=3\nthread 'tokio-runtime-worker' panicked at src/api/sync.rs:10:5:\n"
        );
        let r = server_log(&log);
        assert!(!r.passed());
        assert!(r.details.contains("status=500"), "{}", r.details);
        assert!(r.details.contains("panicked at"), "{}", r.details);
        assert!(r.details.starts_with("2 violation(s)"), "{}", r.details);
    }

    #[test]
    fn status_must_be_a_whole_5xx_code() {
        assert!(server_log("x status=404 y\nz status=5000\n").passed());
    }

    #[test]
    fn declarations_match_entity_or_action_and_entity() {
        let allowed = vec![
            "issue_dependencies".to_string(),
            "update:issues".to_string(),
        ];
        assert!(declared(&allowed, "add_dependency", "issue_dependencies"));
        assert!(declared(&allowed, "update", "issues"));
        assert!(!declared(&allowed, "create", "issues"));
    }
}
