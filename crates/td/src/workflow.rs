//! Workflow rules (§7): the status machine, the review policy and the close policy.
//! Pure functions over what the caller loaded, so they are unit tested without a DB.

/// Every status an issue can have.
pub const STATUSES: &[&str] = &["open", "in_progress", "blocked", "in_review", "closed"];

/// The allowed edges of §7.1 (no self-edges).
pub fn can_transition(from: &str, to: &str) -> bool {
    matches!(
        (from, to),
        ("open", "in_progress" | "blocked" | "in_review" | "closed")
            | ("in_progress", "open" | "blocked" | "in_review" | "closed")
            | ("blocked", "open" | "in_progress" | "closed")
            | ("in_review", "open" | "in_progress" | "closed")
            | ("closed", "open")
    )
}

/// What the approve eligibility check knows about the caller and the issue.
#[derive(Debug, Clone, Default)]
pub struct Involvement {
    pub minor: bool,
    pub is_creator: bool,
    pub is_implementer: bool,
    /// ME has a started/unstarted history row for the issue.
    pub my_impl_history: bool,
    /// ME has any history row for the issue.
    pub my_any_history: bool,
    /// Any session has a started/unstarted history row for the issue.
    pub any_impl_history: bool,
}

/// Review policy (§7.3): `Ok(())` when ME may approve without an attribution.
pub fn approve_allowed(mode: &str, id: &str, inv: &Involvement) -> Result<(), String> {
    if inv.minor {
        return Ok(());
    }
    let involved = inv.is_implementer || inv.my_impl_history;
    match mode {
        "strict" if involved || inv.is_creator || inv.my_any_history => Err(format!(
            "cannot approve: you were involved with {id} (created, started, or previously worked on)"
        )),
        "balanced" if involved => Err(format!(
            "cannot approve your own implementation of {id}"
        )),
        "delegated" if involved => Err(format!(
            "cannot approve: you were involved with {id} (created, started, or previously worked on)"
        )),
        "trusted" | "" if involved => Err(format!(
            "cannot approve: you implemented this issue, so approving it needs an attribution. \
             If a sub-agent or another party reviewed it, name them: --reviewed-by \"<who>\". \
             If you reviewed your own work, say so: --self-review --reason \"...\" ({id})"
        )),
        _ => Ok(()),
    }
}

/// Close policy (§7.4) for a loaded, not-in-review issue: `Ok(())` when ME may close.
pub fn close_allowed(id: &str, status: &str, inv: &Involvement) -> Result<(), String> {
    if inv.minor {
        return Ok(());
    }
    if inv.is_creator && status == "open" && !inv.any_impl_history && !inv.is_implementer {
        return Ok(());
    }
    if inv.is_implementer || inv.my_impl_history {
        return Err(format!("cannot close own implementation: {id}"));
    }
    if inv.is_creator {
        return Err(if inv.any_impl_history {
            format!("cannot close: {id} has implementation history and requires review")
        } else {
            format!("cannot close: you created {id} and it requires review")
        });
    }
    if inv.my_any_history {
        return Err(format!("cannot close: you previously worked on {id}"));
    }
    Ok(())
}

/// Normalizes a priority (`0..4`, `p0..p4`, words) to `P0`–`P4`.
pub fn normalize_priority(p: &str) -> Option<String> {
    let l = p.trim().to_ascii_lowercase();
    let n = match l.as_str() {
        "0" | "p0" | "critical" | "crit" | "urgent" | "highest" => 0,
        "1" | "p1" | "high" => 1,
        "2" | "p2" | "medium" | "med" | "normal" => 2,
        "3" | "p3" | "low" => 3,
        "4" | "p4" | "lowest" | "trivial" | "backlog" => 4,
        _ => return None,
    };
    Some(format!("P{n}"))
}

/// Normalizes a type (`story` → feature).
pub fn normalize_type(t: &str) -> Option<String> {
    let l = t.trim().to_ascii_lowercase();
    match l.as_str() {
        "bug" | "feature" | "task" | "epic" | "chore" => Some(l),
        "story" => Some("feature".into()),
        _ => None,
    }
}

/// Fibonacci story points (0 = unset).
pub fn valid_points(p: i64) -> bool {
    matches!(p, 0 | 1 | 2 | 3 | 5 | 8 | 13 | 21)
}

/// Generic titles refused by create.
pub fn is_generic_title(t: &str) -> bool {
    const GENERIC: &[&str] = &[
        "task", "issue", "bug", "feature", "fix", "update", "change", "todo", "work", "item",
        "thing", "stuff", "test", "new", "add",
    ];
    GENERIC.contains(&t.trim().to_ascii_lowercase().as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transition_table() {
        assert!(can_transition("open", "closed"));
        assert!(can_transition("in_review", "in_progress"));
        assert!(!can_transition("blocked", "in_review"));
        assert!(!can_transition("closed", "in_progress"));
        assert!(!can_transition("open", "open"));
        for s in STATUSES {
            assert_eq!(can_transition(s, "open"), *s != "open");
        }
    }

    #[test]
    fn trusted_policy_lets_creator_but_not_implementer_approve() {
        let creator = Involvement {
            is_creator: true,
            ..Default::default()
        };
        assert!(approve_allowed("trusted", "td-1", &creator).is_ok());
        let implementer = Involvement {
            is_implementer: true,
            ..Default::default()
        };
        let err = approve_allowed("trusted", "td-1", &implementer).unwrap_err();
        assert!(err.contains("--self-review"));
        let minor = Involvement {
            minor: true,
            is_implementer: true,
            ..Default::default()
        };
        assert!(approve_allowed("trusted", "td-1", &minor).is_ok());
        assert!(approve_allowed("strict", "td-1", &creator).is_err());
    }

    #[test]
    fn close_policy_order() {
        let fresh_creator = Involvement {
            is_creator: true,
            ..Default::default()
        };
        assert!(close_allowed("td-1", "open", &fresh_creator).is_ok());
        assert_eq!(
            close_allowed("td-1", "in_progress", &fresh_creator).unwrap_err(),
            "cannot close: you created td-1 and it requires review"
        );
        let started_elsewhere = Involvement {
            is_creator: true,
            any_impl_history: true,
            ..Default::default()
        };
        assert!(close_allowed("td-1", "open", &started_elsewhere)
            .unwrap_err()
            .contains("implementation history"));
        let implementer = Involvement {
            is_implementer: true,
            ..Default::default()
        };
        assert_eq!(
            close_allowed("td-1", "in_progress", &implementer).unwrap_err(),
            "cannot close own implementation: td-1"
        );
        let stranger = Involvement::default();
        assert!(close_allowed("td-1", "in_progress", &stranger).is_ok());
        let worked = Involvement {
            my_any_history: true,
            ..Default::default()
        };
        assert!(close_allowed("td-1", "open", &worked)
            .unwrap_err()
            .contains("previously worked"));
    }

    #[test]
    fn normalizers() {
        assert_eq!(normalize_priority("p1").as_deref(), Some("P1"));
        assert_eq!(normalize_priority("high").as_deref(), Some("P1"));
        assert_eq!(normalize_priority("P9"), None);
        assert_eq!(normalize_type("story").as_deref(), Some("feature"));
        assert_eq!(normalize_type("spike"), None);
        assert!(valid_points(21) && !valid_points(4));
        assert!(is_generic_title(" Task ") && !is_generic_title("Fix login"));
    }

    #[test]
    fn every_edge_of_the_status_machine() {
        let allowed = [
            ("open", "in_progress"),
            ("open", "blocked"),
            ("open", "in_review"),
            ("open", "closed"),
            ("in_progress", "open"),
            ("in_progress", "blocked"),
            ("in_progress", "in_review"),
            ("in_progress", "closed"),
            ("blocked", "open"),
            ("blocked", "in_progress"),
            ("blocked", "closed"),
            ("in_review", "open"),
            ("in_review", "in_progress"),
            ("in_review", "closed"),
            ("closed", "open"),
        ];
        for from in STATUSES {
            for to in STATUSES {
                assert_eq!(
                    can_transition(from, to),
                    allowed.contains(&(from, to)),
                    "{from} -> {to}"
                );
            }
        }
        assert!(!can_transition("open", "deferred"));
        assert!(!can_transition("Open", "closed"), "statuses are lowercase");
    }

    #[test]
    fn unstart_history_is_involvement_in_every_mode() {
        let released = Involvement {
            my_impl_history: true,
            my_any_history: true,
            ..Default::default()
        };
        for mode in ["trusted", "delegated", "balanced", "strict", ""] {
            assert!(approve_allowed(mode, "td-1", &released).is_err(), "{mode}");
        }
        let delegated = approve_allowed("delegated", "td-1", &released).unwrap_err();
        assert_eq!(
            delegated,
            "cannot approve: you were involved with td-1 (created, started, or previously worked on)"
        );
        assert!(approve_allowed("balanced", "td-1", &released)
            .unwrap_err()
            .contains("cannot approve your own"));
    }

    #[test]
    fn creators_and_reviewers_by_mode() {
        let creator = Involvement {
            is_creator: true,
            my_any_history: true,
            ..Default::default()
        };
        for mode in ["trusted", "delegated", "balanced", ""] {
            assert!(approve_allowed(mode, "td-1", &creator).is_ok(), "{mode}");
        }
        assert!(approve_allowed("strict", "td-1", &creator).is_err());
        // strict also refuses any earlier local history (e.g. a previous review).
        let reviewed_before = Involvement {
            my_any_history: true,
            ..Default::default()
        };
        assert!(approve_allowed("strict", "td-1", &reviewed_before).is_err());
        assert!(approve_allowed("trusted", "td-1", &reviewed_before).is_ok());
        // Someone else's implementation history does not involve ME.
        let others = Involvement {
            any_impl_history: true,
            ..Default::default()
        };
        assert!(approve_allowed("strict", "td-1", &others).is_ok());
        let minor = Involvement {
            minor: true,
            is_creator: true,
            is_implementer: true,
            my_impl_history: true,
            my_any_history: true,
            any_impl_history: true,
        };
        for mode in ["trusted", "delegated", "balanced", "strict"] {
            assert!(approve_allowed(mode, "td-1", &minor).is_ok(), "{mode}");
        }
        assert!(close_allowed("td-1", "in_progress", &minor).is_ok());
    }

    #[test]
    fn close_checks_run_in_the_spec_order() {
        // Implementer beats creator (rule 2 before rule 3).
        let both = Involvement {
            is_creator: true,
            is_implementer: true,
            ..Default::default()
        };
        assert_eq!(
            close_allowed("td-1", "open", &both).unwrap_err(),
            "cannot close own implementation: td-1"
        );
        // A creator whose own start/unstart history exists is "own implementation" too.
        let released = Involvement {
            is_creator: true,
            my_impl_history: true,
            my_any_history: true,
            any_impl_history: true,
            ..Default::default()
        };
        assert_eq!(
            close_allowed("td-1", "open", &released).unwrap_err(),
            "cannot close own implementation: td-1"
        );
        // Rule 1 only holds for an open issue.
        let creator = Involvement {
            is_creator: true,
            my_any_history: true,
            ..Default::default()
        };
        assert!(close_allowed("td-1", "open", &creator).is_ok());
        assert!(close_allowed("td-1", "blocked", &creator).is_err());
    }

    #[test]
    fn every_accepted_spelling() {
        for (input, want) in [
            ("0", "P0"),
            ("p0", "P0"),
            ("P0", "P0"),
            ("critical", "P0"),
            ("1", "P1"),
            (" P1 ", "P1"),
            ("HIGH", "P1"),
            ("2", "P2"),
            ("medium", "P2"),
            ("3", "P3"),
            ("low", "P3"),
            ("4", "P4"),
            ("p4", "P4"),
            ("lowest", "P4"),
        ] {
            assert_eq!(normalize_priority(input).as_deref(), Some(want), "{input}");
        }
        for bad in ["", "5", "P5", "-1", "p", "high!"] {
            assert_eq!(normalize_priority(bad), None, "{bad}");
        }
        for t in ["bug", "feature", "task", "epic", "chore"] {
            assert_eq!(normalize_type(t).as_deref(), Some(t));
            assert_eq!(normalize_type(&t.to_uppercase()).as_deref(), Some(t));
        }
        assert_eq!(normalize_type(""), None);
        let fib = [0, 1, 2, 3, 5, 8, 13, 21];
        for p in -2..30 {
            assert_eq!(valid_points(p), fib.contains(&p), "{p}");
        }
        for word in [
            "task", "issue", "bug", "feature", "fix", "update", "change", "todo", "work", "item",
            "thing", "stuff", "test", "new", "add",
        ] {
            assert!(is_generic_title(word), "{word}");
            assert!(is_generic_title(&word.to_uppercase()), "{word}");
        }
        for fine in ["fix login", "tasks", "new feature flag", "x", ""] {
            assert!(!is_generic_title(fine), "{fine}");
        }
    }
}
