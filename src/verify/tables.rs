//! The declarative list of what convergence compares and idempotency hashes, one
//! [`TableSpec`] per synced table (td_core::schema::SYNCED_TABLES), plus [`EXCLUDED`]: the
//! one place that says which columns are not compared as stored, and why.
//!
//! Convergence compares every column of every synced table that the author writes and peers
//! store unchanged — every row, soft-deleted ones included, row ids included (ids travel in
//! the events, so they must agree), plus each table's whole row count. A column is left out
//! only when it legitimately differs per replica; the tests prove every schema column is
//! either compared or listed in [`EXCLUDED`] with its reason. Idempotency hashes every column
//! of the same tables, excluded ones too: a no-op sync must not rewrite even local columns.
//!
//! Stricter than the original on purpose (it compared 16 issue columns, live positions of
//! live boards, and left out notes, reviews and every timestamp).

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

/// A column of a synced table that convergence does not compare as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exclusion {
    pub table: &'static str,
    pub column: &'static str,
    /// The rows it applies to (an SQL condition on the table), `None` for every row. A
    /// scoped exclusion is compared on every other row: the spec selects it as
    /// `CASE WHEN <rows> THEN '<local>' ELSE <column> END AS <column>`.
    pub rows: Option<&'static str>,
    /// Why this column legitimately differs between replicas.
    pub reason: &'static str,
}

const LOCAL_PATH: &str = "local-only (client spec §2.3): td scrubs it from every payload \
    (td_core::wire::LOCAL_ONLY_WORK_SESSION_FIELDS), so each replica keeps its own machine's \
    path and peers keep the default";
const BUILTIN_INIT: &str = "built-in board only: every replica inserts it at its own `td init` \
    (td_core::schema::create, CURRENT_TIMESTAMP); it is never logged or synced";

/// Every column of a synced table convergence does not compare as stored, with its reason.
pub const EXCLUDED: &[Exclusion] = &[
    Exclusion {
        table: "work_sessions",
        column: "worktree_id",
        rows: None,
        reason: LOCAL_PATH,
    },
    Exclusion {
        table: "work_sessions",
        column: "worktree_root",
        rows: None,
        reason: LOCAL_PATH,
    },
    Exclusion {
        table: "work_sessions",
        column: "repo_root",
        rows: None,
        reason: LOCAL_PATH,
    },
    Exclusion {
        table: "boards",
        column: "created_at",
        rows: Some("is_builtin = 1"),
        reason: BUILTIN_INIT,
    },
    Exclusion {
        table: "boards",
        column: "updated_at",
        rows: Some("is_builtin = 1"),
        reason: BUILTIN_INIT,
    },
];

/// The issue fields of client spec §11.9 (scenarios read single fields from it).
pub const ISSUE_FIELDS: &[&str] = &[
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
];

/// issues: every row, soft-deleted ones included, every column. Timestamps compare as
/// stored: every replica (the author too) replays the whole log in seq order, so each cell
/// ends as the last event touching it left it.
pub const ISSUES: TableSpec = TableSpec::whole(
    "issues",
    &[
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
        "implementer_session",
        "reviewer_session",
        "created_at",
        "updated_at",
        "closed_at",
        "deleted_at",
        "minor",
        "created_branch",
        "creator_session",
        "sprint",
        "defer_until",
        "due_date",
        "defer_count",
        "reviewed_at",
        "review_requested_by_session",
        "closed_by_session",
    ],
    &["id"],
);

/// comments.
pub const COMMENTS: TableSpec = TableSpec::whole(
    "comments",
    &["id", "issue_id", "session_id", "text", "created_at"],
    &["issue_id", "id"],
);

/// logs.
pub const LOGS: TableSpec = TableSpec::whole(
    "logs",
    &[
        "id",
        "issue_id",
        "session_id",
        "work_session_id",
        "message",
        "type",
        "timestamp",
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
        "timestamp",
    ],
    &["issue_id", "id"],
);

/// issue_dependencies.
pub const DEPENDENCIES: TableSpec = TableSpec::whole(
    "issue_dependencies",
    &["id", "issue_id", "depends_on_id", "relation_type"],
    &["issue_id", "depends_on_id", "relation_type"],
);

/// boards, the built-in one included (its init timestamps excepted, see [`EXCLUDED`]).
pub const BOARDS: TableSpec = TableSpec::whole(
    "boards",
    &[
        "id",
        "name",
        "last_viewed_at",
        "CASE WHEN is_builtin = 1 THEN '<local>' ELSE created_at END AS created_at",
        "CASE WHEN is_builtin = 1 THEN '<local>' ELSE updated_at END AS updated_at",
        "query",
        "is_builtin",
        "view_mode",
    ],
    &["name", "id"],
);

/// board_issue_positions: every row, soft-deleted ones and those of deleted boards included.
pub const POSITIONS: TableSpec = TableSpec::whole(
    "board_issue_positions",
    &[
        "id",
        "board_id",
        "issue_id",
        "position",
        "added_at",
        "deleted_at",
    ],
    &["board_id", "issue_id", "id"],
);

/// issue_files.
pub const FILES: TableSpec = TableSpec::whole(
    "issue_files",
    &[
        "id",
        "issue_id",
        "file_path",
        "role",
        "linked_sha",
        "linked_at",
    ],
    &["issue_id", "file_path"],
);

/// work_sessions (the local paths excepted, see [`EXCLUDED`]).
pub const WORK_SESSIONS: TableSpec = TableSpec::whole(
    "work_sessions",
    &[
        "id",
        "name",
        "session_id",
        "started_at",
        "ended_at",
        "start_sha",
        "end_sha",
    ],
    &["id"],
);

/// work_session_issues, every row.
pub const WORK_SESSION_ISSUES: TableSpec = TableSpec::whole(
    "work_session_issues",
    &["id", "work_session_id", "issue_id", "tagged_at"],
    &["work_session_id", "issue_id"],
);

/// issue_reviews.
pub const REVIEWS: TableSpec = TableSpec::whole(
    "issue_reviews",
    &[
        "id",
        "issue_id",
        "reviewer_session",
        "decision",
        "summary",
        "requested_by_session",
        "created_at",
        "superseded_at",
        "self_review",
        "reviewed_by",
    ],
    &["issue_id", "id"],
);

/// notes (td itself writes none, but they are a synced table: a peer's must arrive intact).
pub const NOTES: TableSpec = TableSpec::whole(
    "notes",
    &[
        "id",
        "title",
        "content",
        "created_at",
        "updated_at",
        "pinned",
        "archived",
        "deleted_at",
    ],
    &["id"],
);

/// What convergence compares, in report order: every synced table.
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
    REVIEWS,
    NOTES,
];

/// The same table, every column as stored (`SELECT *`): what idempotency hashes.
const fn hashed(spec: TableSpec) -> TableSpec {
    TableSpec {
        columns: &["*"],
        ..spec
    }
}

/// What idempotency hashes: every synced table, every column, excluded ones included.
pub const HASH_TABLES: &[TableSpec] = &[
    hashed(ISSUES),
    hashed(COMMENTS),
    hashed(LOGS),
    hashed(HANDOFFS),
    hashed(DEPENDENCIES),
    hashed(BOARDS),
    hashed(POSITIONS),
    hashed(FILES),
    hashed(WORK_SESSIONS),
    hashed(WORK_SESSION_ISSUES),
    hashed(REVIEWS),
    hashed(NOTES),
];

/// The compared (table, column) pairs, in spec order: bare columns and scoped ones.
pub fn compared() -> Vec<(&'static str, String)> {
    CONVERGENCE_TABLES
        .iter()
        .flat_map(|spec| {
            spec.labels()
                .into_iter()
                .map(move |label| (spec.count_table, label))
        })
        .collect()
}

/// Everything [`CONVERGENCE_TABLES`] and [`EXCLUDED`] fail to account for, given each
/// synced table's real columns (`schema(table)`): a column neither compared nor excluded, a
/// column both compared as stored and excluded, a scoped exclusion whose spec column is not
/// the `CASE` it promises, a spec column or exclusion naming no real column, a synced table
/// without a spec. Empty when the list is complete.
pub fn coverage_gaps(schema: impl Fn(&str) -> Vec<String>) -> Vec<String> {
    let mut gaps = Vec::new();
    for table in td_core::schema::SYNCED_TABLES {
        let real = schema(table);
        let Some(spec) = CONVERGENCE_TABLES.iter().find(|s| s.count_table == *table) else {
            gaps.push(format!("synced table {table} has no TableSpec"));
            continue;
        };
        for (expr, label) in spec.columns.iter().zip(spec.labels()) {
            if !real.contains(&label) {
                gaps.push(format!(
                    "{table}: compared column {expr:?} is not in the schema"
                ));
            }
        }
        for column in &real {
            gaps.extend(column_gap(spec, table, column));
        }
    }
    for e in EXCLUDED {
        if !td_core::schema::SYNCED_TABLES.contains(&e.table)
            || !schema(e.table).contains(&e.column.to_string())
        {
            gaps.push(format!(
                "exclusion {}.{} names no column of a synced table",
                e.table, e.column
            ));
        }
    }
    gaps
}

/// How `column` of `table` is accounted for, or what is wrong with it.
fn column_gap(spec: &TableSpec, table: &str, column: &str) -> Option<String> {
    let exclusion = EXCLUDED
        .iter()
        .find(|e| e.table == table && e.column == column);
    let selected = spec
        .columns
        .iter()
        .zip(spec.labels())
        .find(|(_, label)| label == column)
        .map(|(expr, _)| *expr);
    match (selected, exclusion) {
        (None, None) => Some(format!(
            "{table}.{column} is neither compared nor listed in EXCLUDED"
        )),
        (None, Some(e)) if e.rows.is_some() => Some(format!(
            "{table}.{column} is excluded for some rows only ({}) but not compared on the rest",
            e.rows.unwrap_or_default()
        )),
        (None, Some(_)) => None,
        (Some(expr), None) if is_bare(expr, column) => None,
        (Some(expr), None) => Some(format!(
            "{table}.{column} is compared as {expr:?}, a transformation without an EXCLUDED \
             entry saying why"
        )),
        (Some(expr), Some(e)) => {
            let scoped = e.rows.map(|rows| {
                format!("CASE WHEN {rows} THEN '<local>' ELSE {column} END AS {column}")
            });
            (scoped.as_deref() != Some(expr)).then(|| {
                format!(
                    "{table}.{column} is listed in EXCLUDED ({}) but compared as {expr:?}",
                    e.rows.unwrap_or("every row")
                )
            })
        }
    }
}

/// `column` or `alias.column`: the stored value, untransformed.
fn is_bare(expr: &str, column: &str) -> bool {
    expr == column || expr.rsplit_once('.').is_some_and(|(_, c)| c == column)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fresh_schema() -> rusqlite::Connection {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        td_core::schema::create(&conn).unwrap();
        conn
    }

    fn columns_of(conn: &rusqlite::Connection, table: &str) -> Vec<String> {
        td_core::schema::table_columns(conn, table)
            .unwrap()
            .into_iter()
            .map(|c| c.name)
            .collect()
    }

    #[test]
    fn labels_strip_prefixes_and_aliases() {
        assert_eq!(POSITIONS.labels()[1], "board_id");
        assert_eq!(BOARDS.labels()[3], "created_at");
    }

    #[test]
    fn every_spec_runs_against_the_real_schema() {
        let conn = fresh_schema();
        for spec in CONVERGENCE_TABLES.iter().chain(HASH_TABLES) {
            conn.prepare(&spec.select_sql()).unwrap();
            conn.prepare(&spec.count_sql()).unwrap();
        }
        assert_eq!(
            CONVERGENCE_TABLES.len(),
            td_core::schema::SYNCED_TABLES.len()
        );
        assert_eq!(HASH_TABLES.len(), CONVERGENCE_TABLES.len());
    }

    #[test]
    fn every_synced_column_is_compared_or_excluded_in_the_ddl() {
        let conn = fresh_schema();
        let gaps = coverage_gaps(|t| columns_of(&conn, t));
        assert!(gaps.is_empty(), "{gaps:#?}");
    }

    #[test]
    fn a_new_column_or_a_stale_exclusion_is_a_gap() {
        let conn = fresh_schema();
        conn.execute_batch("ALTER TABLE notes ADD COLUMN color TEXT DEFAULT ''")
            .unwrap();
        let gaps = coverage_gaps(|t| columns_of(&conn, t));
        assert_eq!(
            gaps,
            ["notes.color is neither compared nor listed in EXCLUDED"]
        );
        let gaps = coverage_gaps(|t| {
            let mut cols = columns_of(&conn, t);
            cols.retain(|c| c != "repo_root" && c != "title");
            cols
        });
        assert!(
            gaps.contains(&"issues: compared column \"title\" is not in the schema".to_string()),
            "{gaps:#?}"
        );
        assert!(
            gaps.contains(
                &"exclusion work_sessions.repo_root names no column of a synced table".to_string()
            ),
            "{gaps:#?}"
        );
    }

    #[test]
    fn every_exclusion_has_a_reason() {
        for e in EXCLUDED {
            assert!(e.reason.len() > 20, "{e:?}");
        }
    }
}
