//! Apply failures and their classification (sync spec §7.7): by error kind, never by text.

use rusqlite::ErrorCode;

/// How a failed event is handled by the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// The parent row is missing: the child is dropped on every peer (`orphaned_parent`).
    Orphan,
    /// Replaying cannot succeed: quarantined, cursor advances (`quarantined`).
    Permanent,
    /// May succeed later (busy, I/O, …): the whole page is rolled back.
    Transient,
}

/// Why one event could not be applied.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error("invalid entity type: {0}")]
    InvalidEntityType(String),
    #[error("empty entity id")]
    EmptyEntityId,
    #[error("unknown action type: {0}")]
    UnknownAction(String),
    #[error("nil payload")]
    NilPayload,
    #[error("undecodable payload: {0}")]
    BadPayload(String),
    #[error("payload has no fields")]
    NoFields,
    #[error("no known fields in payload")]
    NoKnownFields,
    #[error("no such table: {0}")]
    NoSuchTable(String),
    #[error("invalid client_timestamp: {0:?}")]
    BadTimestamp(String),
    #[error("orphaned {table}/{id}: {column} references missing {parent}/{parent_id}")]
    Orphan {
        table: String,
        id: String,
        column: String,
        parent: String,
        parent_id: String,
    },
    #[error("{context}: {source}")]
    Sql {
        context: String,
        #[source]
        source: rusqlite::Error,
    },
}

impl ApplyError {
    /// Wraps a SQLite error with what was being done.
    pub(crate) fn sql(context: impl Into<String>) -> impl FnOnce(rusqlite::Error) -> Self {
        let context = context.into();
        move |source| ApplyError::Sql { context, source }
    }

    /// Classifies the failure (sync spec §7.7).
    pub fn kind(&self) -> FailureKind {
        match self {
            ApplyError::Orphan { .. } => FailureKind::Orphan,
            ApplyError::Sql { source, .. } => sqlite_kind(source),
            _ => FailureKind::Permanent,
        }
    }
}

/// Constraint violations, datatype mismatches and SQL logic errors (no such table or
/// column: our SQL is generated, so only a schema mismatch produces them) are permanent;
/// everything else, recognised (busy, locked, I/O, full, cannot open, interrupt, misuse of
/// a closed connection) or not, is transient.
pub(crate) fn sqlite_kind(err: &rusqlite::Error) -> FailureKind {
    let rusqlite::Error::SqliteFailure(failure, _) = err else {
        return FailureKind::Transient;
    };
    match failure.code {
        ErrorCode::ConstraintViolation
        | ErrorCode::TypeMismatch
        | ErrorCode::TooBig
        | ErrorCode::ParameterOutOfRange => FailureKind::Permanent,
        ErrorCode::Unknown if failure.extended_code == rusqlite::ffi::SQLITE_ERROR => {
            FailureKind::Permanent
        }
        _ => FailureKind::Transient,
    }
}
