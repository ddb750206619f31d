//! The event taxonomy (sync spec §7.2): one `action_log` row = one event. Maps td's
//! entity and action names to the canonical ones that travel on the wire.

/// Canonical actions an event may carry.
pub const CANONICAL_ACTIONS: &[&str] = &["create", "update", "delete", "soft_delete", "restore"];

/// Canonical entity types td pushes and applies (the client allowlist): the synced tables.
pub const CLIENT_ENTITY_TYPES: &[&str] = crate::schema::SYNCED_TABLES;

/// Maps an entity type (singular alias or canonical plural, any case) to its canonical
/// table name. Returns `None` for names outside the taxonomy. Server-valid but never
/// pushed by td: sessions, git_snapshots, issue_session_history.
pub fn canonical_entity_type(entity_type: &str) -> Option<&'static str> {
    let lower = entity_type.to_ascii_lowercase();
    Some(match lower.as_str() {
        "issue" | "issues" => "issues",
        "log" | "logs" => "logs",
        "comment" | "comments" => "comments",
        "handoff" | "handoffs" => "handoffs",
        "board" | "boards" => "boards",
        "note" | "notes" => "notes",
        "board_position" | "board_issue_positions" => "board_issue_positions",
        "dependency" | "issue_dependencies" => "issue_dependencies",
        "file_link" | "issue_files" => "issue_files",
        "work_session" | "work_sessions" => "work_sessions",
        "work_session_issue" | "work_session_issues" => "work_session_issues",
        "issue_review" | "issue_reviews" => "issue_reviews",
        "session" | "sessions" => "sessions",
        "git_snapshot" | "git_snapshots" => "git_snapshots",
        "issue_session_history" | "issue_session_histories" => "issue_session_history",
        _ => return None,
    })
}

/// True for canonical entity types td itself pushes and applies.
pub fn is_client_entity(canonical: &str) -> bool {
    CLIENT_ENTITY_TYPES.contains(&canonical)
}

/// Maps a td action_type (any case) to its canonical action. Unknown names are updates.
pub fn canonical_action(action_type: &str) -> &'static str {
    let lower = action_type.to_ascii_lowercase();
    match lower.as_str() {
        "create" | "handoff" | "add_dependency" | "link_file" | "board_create" | "board_update"
        | "board_add_issue" | "board_set_position" | "work_session_tag" => "create",
        "remove_dependency" | "unlink_file" | "board_delete" | "work_session_untag"
        | "review_delete" | "handoff_delete" => "delete",
        "delete" | "board_unposition" | "board_remove_issue" | "soft_delete" => "soft_delete",
        "restore" => "restore",
        _ => "update",
    }
}

/// Normalizes an incoming action type on the server: canonical names are kept,
/// anything else goes through [`canonical_action`].
pub fn normalize_action(action_type: &str) -> &'static str {
    CANONICAL_ACTIONS
        .iter()
        .find(|a| **a == action_type)
        .copied()
        .unwrap_or_else(|| canonical_action(action_type))
}

/// action_log entity_type aliases per canonical table (used by backfill's
/// "already logged" test).
pub fn entity_aliases(canonical: &str) -> &'static [&'static str] {
    match canonical {
        "issues" => &["issue", "issues"],
        "logs" => &["log", "logs"],
        "comments" => &["comment", "comments"],
        "handoffs" => &["handoff", "handoffs"],
        "boards" => &["board", "boards"],
        "notes" => &["note", "notes"],
        "board_issue_positions" => &["board_position", "board_issue_positions"],
        "issue_dependencies" => &["dependency", "issue_dependencies"],
        "issue_files" => &["file_link", "issue_files"],
        "work_sessions" => &["work_session", "work_sessions"],
        "work_session_issues" => &["work_session_issue", "work_session_issues"],
        "issue_reviews" => &["issue_review", "issue_reviews"],
        _ => &[],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entity_aliases_map_to_canonical() {
        assert_eq!(canonical_entity_type("issue"), Some("issues"));
        assert_eq!(canonical_entity_type("ISSUES"), Some("issues"));
        assert_eq!(
            canonical_entity_type("board_position"),
            Some("board_issue_positions")
        );
        assert_eq!(canonical_entity_type("file_link"), Some("issue_files"));
        assert_eq!(canonical_entity_type("bogus"), None);
        assert!(!is_client_entity("sessions"));
    }

    #[test]
    fn actions_map_per_taxonomy() {
        assert_eq!(canonical_action("board_update"), "create");
        assert_eq!(canonical_action("handoff"), "create");
        assert_eq!(canonical_action("remove_dependency"), "delete");
        assert_eq!(canonical_action("handoff_delete"), "delete");
        assert_eq!(canonical_action("delete"), "soft_delete");
        assert_eq!(canonical_action("board_unposition"), "soft_delete");
        assert_eq!(canonical_action("restore"), "restore");
        assert_eq!(canonical_action("approve"), "update");
        assert_eq!(canonical_action("whatever"), "update");
        assert_eq!(normalize_action("soft_delete"), "soft_delete");
        assert_eq!(normalize_action("delete"), "delete");
        assert_eq!(normalize_action("board_unposition"), "soft_delete");
    }
}
