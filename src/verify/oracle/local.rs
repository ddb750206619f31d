//! The one place listing what the server log cannot predict: fields a replica legitimately
//! holds its own value in, and why. The comparison skips exactly these, nothing else.

/// When a listed field is not predictable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    /// On every replica, always.
    Always,
    /// On every replica, when the row's last full-row write left the column out and the
    /// column defaults to `CURRENT_TIMESTAMP` (the apply time, which differs per replica).
    DefaultedToApplyTime,
    /// On every replica, for the built-in row every client creates itself at `td init`.
    InitRow,
}

/// One unpredictable field (`column` `*` = every column with that condition).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalField {
    pub table: &'static str,
    pub column: &'static str,
    pub when: When,
    pub why: &'static str,
}

const fn field(
    table: &'static str,
    column: &'static str,
    when: When,
    why: &'static str,
) -> LocalField {
    LocalField {
        table,
        column,
        when,
        why,
    }
}

/// Every unpredictable field.
pub const LOCAL_FIELDS: &[LocalField] = &[
    field(
        "work_sessions",
        "worktree_id",
        When::Always,
        "local by design (sync spec §2.3): scrubbed from every payload, each client keeps its own",
    ),
    field(
        "work_sessions",
        "worktree_root",
        When::Always,
        "local by design (sync spec §2.3): scrubbed from every payload, each client keeps its own",
    ),
    field(
        "work_sessions",
        "repo_root",
        When::Always,
        "local by design (sync spec §2.3): scrubbed from every payload, each client keeps its own",
    ),
    field(
        "boards",
        "created_at",
        When::InitRow,
        "the built-in board is created by every client at td init, never synced",
    ),
    field(
        "boards",
        "updated_at",
        When::InitRow,
        "the built-in board is created by every client at td init, never synced",
    ),
    field(
        "*",
        "*",
        When::DefaultedToApplyTime,
        "a full-row write without the column stores CURRENT_TIMESTAMP at apply time",
    ),
];

/// The entry for `table.column` with condition `when`, if listed.
pub fn listed(table: &str, column: &str, when: When) -> Option<&'static LocalField> {
    LOCAL_FIELDS.iter().find(|f| {
        f.when == when
            && (f.table == table || f.table == "*")
            && (f.column == column || f.column == "*")
    })
}

/// Columns of `table` that are unpredictable on every replica, always.
pub fn always(table: &str, column: &str) -> bool {
    listed(table, column, When::Always).is_some()
}

/// One line per listed field, for a passing result's details.
pub fn summary() -> String {
    LOCAL_FIELDS
        .iter()
        .map(|f| format!("{}.{} ({:?})", f.table, f.column, f.when))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups() {
        assert!(always("work_sessions", "repo_root"));
        assert!(!always("issues", "title"));
        assert!(listed("comments", "created_at", When::DefaultedToApplyTime).is_some());
        assert!(listed("issues", "updated_at", When::Always).is_none());
    }
}
