//! Storage: server.db (accounts, keys, projects, memberships, login challenges) and one
//! event store per project. Every function here is synchronous and takes a `Connection`;
//! the async side reaches them through [`Db::call`], which runs them on tokio's blocking
//! pool with the store's single connection locked.

pub mod challenges;
mod db;
pub mod events;
pub mod keys;
pub mod members;
pub mod projects;
pub mod registry;
pub mod schema;
pub mod users;

use std::path::PathBuf;

pub use db::{open_connection, Db};

/// What can go wrong in storage. Messages name the file or the operation.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("open database {path}: {source}")]
    Open {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("create directory {path}: {source}")]
    CreateDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("project database {0} does not exist")]
    MissingProjectDb(PathBuf),
    #[error("invalid project id {0:?}")]
    InvalidProjectId(String),
    #[error("server.db schema version {found} is newer than the supported {supported}")]
    SchemaTooNew { found: i64, supported: i64 },
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("storage task did not finish: {0}")]
    Task(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// UTC now as RFC3339 seconds (`2026-01-02T03:04:05Z`), the layout server.db stores and the
/// API renders; it sorts as text in time order.
pub fn now_text() -> String {
    format_time(chrono::Utc::now())
}

/// Formats an instant the way [`now_text`] does.
pub fn format_time(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}
