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
    /// A whole table, every row: name, FROM and counted table are all `table`.
    const fn whole(
        table: &'static str,
        columns: &'static [&'static str],
        order: &'static [&'static str],
    ) -> Self {
        Self {
            name: table,
            from: table,
            columns,
            filter: None,
            order,
            count_table: table,
        }
    }

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

/// The 16 issue columns of client spec §11.9, wrapped in `$head` and `$tail`: written once,
/// so the compared, hashed and queried column lists cannot drift apart.
macro_rules! issue_columns {
    ($($head:literal),* ; $($tail:literal),*) => {
        &[
            $($head,)*
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
            $($tail,)*
        ]
    };
}

/// The 16 issue columns of client spec §11.9 alone (scenarios read single fields from it).
pub const ISSUE_FIELDS: &[&str] = issue_columns!(;);

/// issues for convergence: every row, deleted ones included. Deleted-ness, not the
/// timestamp: peers apply a soft delete with the event's whole-second client timestamp while
/// the author wrote its own NOW (sync spec §9.16).
pub const ISSUES: TableSpec = TableSpec::whole(
    "issues",
    issue_columns!("id"; "deleted_at IS NOT NULL AS deleted"),
    &["id"],
);

/// issues for the idempotency hash, with the raw `deleted_at`: it must see any rewrite.
pub const ISSUES_HASHED: TableSpec = TableSpec {
    columns: issue_columns!("id"; "deleted_at"),
    ..ISSUES
};

/// comments.
pub const COMMENTS: TableSpec = TableSpec::whole(
    "comments",
    &["id", "issue_id", "text", "session_id"],
    &["issue_id", "id"],
);

/// logs.
pub const LOGS: TableSpec = TableSpec::whole(
    "logs",
    &[
        "id",
        "issue_id",
        "type",
        "message",
        "session_id",
        "work_session_id",
    ],
    &["issue_id", "id"],
);

/// handoffs.
pub const HANDOFFS: TableSpec = TableSpec::whole(
    "handoffs",
    &[
        "id",
        "issue_id",
        "session_id",
        "done",
        "remaining",
        "decisions",
        "uncertain",
    ],
    &["issue_id", "id"],
);

/// issue_dependencies.
pub const DEPENDENCIES: TableSpec = TableSpec::whole(
    "issue_dependencies",
    &["id", "issue_id", "depends_on_id", "relation_type"],
    &["issue_id", "depends_on_id", "relation_type"],
);

/// boards, the built-in one included.
pub const BOARDS: TableSpec = TableSpec::whole(
    "boards",
    &["id", "name", "is_builtin", "query", "view_mode"],
    &["name", "id"],
);

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
pub const FILES: TableSpec = TableSpec::whole(
    "issue_files",
    &["id", "issue_id", "file_path", "role"],
    &["issue_id", "file_path"],
);

/// work_sessions.
pub const WORK_SESSIONS: TableSpec =
    TableSpec::whole("work_sessions", &["id", "name", "session_id"], &["id"]);

/// work_session_issues, every row.
pub const WORK_SESSION_ISSUES: TableSpec = TableSpec::whole(
    "work_session_issues",
    &["id", "work_session_id", "issue_id"],
    &["work_session_id", "issue_id"],
);

/// The checked tables in report order, `$issues` first: convergence and the hash differ
/// only in how they read issues.
macro_rules! checked_tables {
    ($issues:expr) => {
        &[
            $issues,
            COMMENTS,
            LOGS,
            HANDOFFS,
            DEPENDENCIES,
            BOARDS,
            POSITIONS,
            FILES,
            WORK_SESSIONS,
            WORK_SESSION_ISSUES,
        ]
    };
}

/// What convergence compares, in report order.
pub const CONVERGENCE_TABLES: &[TableSpec] = checked_tables!(ISSUES);

/// The 10 tables of the idempotency hash (harness spec §5.3), deleted_at included.
pub const HASH_TABLES: &[TableSpec] = checked_tables!(ISSUES_HASHED);

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
