//! The declarative list of what convergence compares and idempotency hashes (client spec
//! §11.9), one [`TableSpec`] per table, so both checks read exactly the same rows.
//!
//! Stricter than the original on purpose: every table also compares its row id (ids travel
//! in the events, so they must agree), issues include soft-deleted rows with their
//! deleted-ness, work_session_issues are compared whole (no join hiding deleted issues), and
//! each table also has a row count over the whole table.

/// One compared table: `SELECT <columns> FROM <from> [WHERE <filter>] ORDER BY <order>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableSpec {
    /// Name used in result names and messages.
    pub name: &'static str,
    /// FROM clause (a table, or a join).
    pub from: &'static str,
    /// Select expressions; `expr AS label` names a computed column.
    pub columns: &'static [&'static str],
    /// Optional WHERE clause.
    pub filter: Option<&'static str>,
    /// ORDER BY expressions (a total order, so dumps are stable).
    pub order: &'static [&'static str],
    /// Table whose full row count must also agree (soft-deleted and filtered rows included).
    pub count_table: &'static str,
}

impl TableSpec {
    /// The select statement for this spec.
    pub fn select_sql(&self) -> String {
        let mut sql = format!("SELECT {} FROM {}", self.columns.join(", "), self.from);
        if let Some(f) = self.filter {
            sql.push_str(" WHERE ");
            sql.push_str(f);
        }
        sql.push_str(" ORDER BY ");
        sql.push_str(&self.order.join(", "));
        sql
    }

    /// `SELECT COUNT(*)` over the whole [`TableSpec::count_table`].
    pub fn count_sql(&self) -> String {
        format!("SELECT COUNT(*) FROM {}", self.count_table)
    }

    /// Display labels of the columns (`AS` alias, else the name after any `t.` prefix).
    pub fn labels(&self) -> Vec<String> {
        self.columns.iter().map(|c| label_of(c)).collect()
    }
}

fn label_of(expr: &str) -> String {
    if let Some((_, alias)) = expr.rsplit_once(" AS ") {
        return alias.trim().to_string();
    }
    expr.rsplit('.').next().unwrap_or(expr).trim().to_string()
}

/// The 16 issue columns of client spec §11.9, preceded by the id.
const ISSUE_COLUMNS_WITH_DELETED: &[&str] = &[
    "id",
    "title",
    "description",
    "status",
    "type",
    "priority",
    "points",
    "labels",
    "parent_id",
    "acceptance",
    "minor",
    "sprint",
    "created_branch",
    "implementer_session",
    "reviewer_session",
    "creator_session",
    // Deleted-ness, not the timestamp: peers apply a soft delete with the event's
    // whole-second client timestamp while the author wrote its own NOW (sync spec §9.16).
    "deleted_at IS NOT NULL AS deleted",
];

/// Same columns with the raw `deleted_at` value: the idempotency hash must see any rewrite.
const ISSUE_COLUMNS_WITH_DELETED_AT: &[&str] = &[
    "id",
    "title",
    "description",
    "status",
    "type",
    "priority",
    "points",
    "labels",
    "parent_id",
    "acceptance",
    "minor",
    "sprint",
    "created_branch",
    "implementer_session",
    "reviewer_session",
    "creator_session",
    "deleted_at",
];

/// issues for convergence: every row, deleted ones included.
pub const ISSUES: TableSpec = TableSpec {
    name: "issues",
    from: "issues",
    columns: ISSUE_COLUMNS_WITH_DELETED,
    filter: None,
    order: &["id"],
    count_table: "issues",
};

/// issues for the idempotency hash.
pub const ISSUES_HASHED: TableSpec = TableSpec {
    columns: ISSUE_COLUMNS_WITH_DELETED_AT,
    ..ISSUES
};

/// comments.
pub const COMMENTS: TableSpec = TableSpec {
    name: "comments",
    from: "comments",
    columns: &["id", "issue_id", "text", "session_id"],
    filter: None,
    order: &["issue_id", "id"],
    count_table: "comments",
};

/// logs.
pub const LOGS: TableSpec = TableSpec {
    name: "logs",
    from: "logs",
    columns: &[
        "id",
        "issue_id",
        "type",
        "message",
        "session_id",
        "work_session_id",
    ],
    filter: None,
    order: &["issue_id", "id"],
    count_table: "logs",
};

/// handoffs.
pub const HANDOFFS: TableSpec = TableSpec {
    name: "handoffs",
    from: "handoffs",
    columns: &[
        "id",
        "issue_id",
        "session_id",
        "done",
        "remaining",
        "decisions",
        "uncertain",
    ],
    filter: None,
    order: &["issue_id", "id"],
    count_table: "handoffs",
};

/// issue_dependencies.
pub const DEPENDENCIES: TableSpec = TableSpec {
    name: "issue_dependencies",
    from: "issue_dependencies",
    columns: &["id", "issue_id", "depends_on_id", "relation_type"],
    filter: None,
    order: &["issue_id", "depends_on_id", "relation_type"],
    count_table: "issue_dependencies",
};

/// boards, the built-in one included.
pub const BOARDS: TableSpec = TableSpec {
    name: "boards",
    from: "boards",
    columns: &["id", "name", "is_builtin", "query", "view_mode"],
    filter: None,
    order: &["name", "id"],
    count_table: "boards",
};

/// Live positions whose board still exists.
pub const POSITIONS: TableSpec = TableSpec {
    name: "board_issue_positions",
    from: "board_issue_positions p JOIN boards b ON b.id = p.board_id",
    columns: &["p.id", "p.board_id", "p.issue_id", "p.position"],
    filter: Some("p.deleted_at IS NULL"),
    order: &["p.board_id", "p.issue_id"],
    count_table: "board_issue_positions",
};

/// issue_files.
pub const FILES: TableSpec = TableSpec {
    name: "issue_files",
    from: "issue_files",
    columns: &["id", "issue_id", "file_path", "role"],
    filter: None,
    order: &["issue_id", "file_path"],
    count_table: "issue_files",
};

/// work_sessions.
pub const WORK_SESSIONS: TableSpec = TableSpec {
    name: "work_sessions",
    from: "work_sessions",
    columns: &["id", "name", "session_id"],
    filter: None,
    order: &["id"],
    count_table: "work_sessions",
};

/// work_session_issues, every row.
pub const WORK_SESSION_ISSUES: TableSpec = TableSpec {
    name: "work_session_issues",
    from: "work_session_issues",
    columns: &["id", "work_session_id", "issue_id"],
    filter: None,
    order: &["work_session_id", "issue_id"],
    count_table: "work_session_issues",
};

/// What convergence compares, in report order.
pub const CONVERGENCE_TABLES: &[TableSpec] = &[
    ISSUES,
    COMMENTS,
    LOGS,
    HANDOFFS,
    DEPENDENCIES,
    BOARDS,
    POSITIONS,
    FILES,
    WORK_SESSIONS,
    WORK_SESSION_ISSUES,
];

/// The 10 tables of the idempotency hash (harness spec §5.3), deleted_at included.
pub const HASH_TABLES: &[TableSpec] = &[
    ISSUES_HASHED,
    COMMENTS,
    LOGS,
    HANDOFFS,
    DEPENDENCIES,
    BOARDS,
    POSITIONS,
    FILES,
    WORK_SESSIONS,
    WORK_SESSION_ISSUES,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_strip_prefixes_and_aliases() {
        assert_eq!(POSITIONS.labels()[1], "board_id");
        assert_eq!(ISSUES.labels().last().unwrap(), "deleted");
    }

    #[test]
    fn every_spec_runs_against_the_real_schema() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        td_core::schema::create(&conn).unwrap();
        for spec in CONVERGENCE_TABLES.iter().chain(HASH_TABLES) {
            conn.prepare(&spec.select_sql()).unwrap();
            conn.prepare(&spec.count_sql()).unwrap();
        }
        assert_eq!(HASH_TABLES.len(), 10);
    }
}
