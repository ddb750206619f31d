//! Sync failures. HTTP errors render as `HTTP <status>: <body>` so the harness finds
//! `429` in the output (sync spec §4.1, §9.1).

use td_core::apply::TransientFailure;

/// Why a push or pull stopped. Local changes of the failed step were rolled back.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The server answered ≥ 400; `body` is the raw response body.
    #[error("HTTP {status}: {body}")]
    Http { status: u16, body: String },
    /// No HTTP answer: connection refused, timeout, bad URL…
    #[error("http request: {0}")]
    Transport(String),
    /// A 2xx answer whose body did not decode.
    #[error("decode {what} response: {message}")]
    Decode { what: &'static str, message: String },
    /// The server broke the protocol (e.g. a page that does not advance the cursor).
    #[error("protocol: {0}")]
    Protocol(String),
    /// A page had transient apply failures; it was rolled back, the cursor kept.
    #[error("{0}; batch rolled back and sync cursor preserved")]
    Apply(TransientFailure),
    /// A local database step failed.
    #[error("{context}: {source}")]
    Db {
        context: String,
        #[source]
        source: rusqlite::Error,
    },
}

impl SyncError {
    /// Wraps a SQLite error with what was being done.
    pub(crate) fn db(context: impl Into<String>) -> impl FnOnce(rusqlite::Error) -> Self {
        let context = context.into();
        move |source| SyncError::Db { context, source }
    }

    /// The HTTP status, when the server answered with an error (tests assert on it).
    #[cfg(test)]
    pub fn status(&self) -> Option<u16> {
        match self {
            SyncError::Http { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The text after `ERROR: ` for a failure during `phase` (`push` / `pull`):
    /// `push: HTTP 429: {…}`, or `apply events: …` for a rolled-back page (sync spec §6.2).
    pub fn report(&self, phase: &str) -> String {
        match self {
            SyncError::Apply(_) => format!("apply events: {self}"),
            _ => format!("{phase}: {self}"),
        }
    }
}
