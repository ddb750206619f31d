//! The client side of the Jepsen split: how the engine, scenarios and verifier drive td.
//!
//! [`Driver`] is implemented by the real [`crate::harness::Harness`] (real processes) and by
//! recording fakes in tests, so the generator and checkers can be tested without processes.

use std::path::PathBuf;
use std::time::Duration;

/// What one td invocation produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TdOutput {
    /// stdout and stderr, interleaved as the process wrote them.
    pub output: String,
    /// Exit code; `None` when the process was killed (timeout or signal).
    pub code: Option<i32>,
    /// Wall time of the process.
    pub duration: Duration,
}

impl TdOutput {
    /// True when the process exited with status 0.
    pub fn ok(&self) -> bool {
        self.code == Some(0)
    }
}

/// Why a command could not be run at all (as opposed to running and failing).
#[derive(Debug, thiserror::Error)]
pub enum DriverError {
    #[error("unknown actor: {0}")]
    UnknownActor(String),
    #[error("spawn {program}: {source}")]
    Spawn {
        program: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{command} timed out after {timeout:?}; output so far:\n{output}")]
    Timeout {
        command: String,
        timeout: Duration,
        output: String,
    },
    #[error("{0}")]
    Other(String),
}

/// Drives td as a set of named actors sharing one sync server.
pub trait Driver: Send + Sync {
    /// Actor names in their fixed order (alice, bob[, carol]).
    fn actors(&self) -> Vec<String>;
    /// Runs `td <args>` as `actor` (its own cwd, HOME and session).
    fn td(&self, actor: &str, args: &[String]) -> Result<TdOutput, DriverError>;
    /// Runs `td sync` for `actor`, retrying only on rate-limit refusals.
    fn sync(&self, actor: &str) -> Result<TdOutput, DriverError>;
    /// Sync rounds over every actor until all have everything.
    fn sync_all(&self) -> Result<(), DriverError>;
    /// `client-<actor>/.todos/issues.db`.
    fn db_path(&self, actor: &str) -> PathBuf;
    /// `client-<actor>/`, the actor's working directory.
    fn client_dir(&self, actor: &str) -> PathBuf;
    /// Adds a new device with an empty database that joins and pulls the whole log;
    /// returns its database. Drivers that cannot add devices say so (the check is then
    /// unknown, never a pass).
    fn fresh_replica(&self) -> Result<PathBuf, DriverError> {
        Err(DriverError::Other("this driver cannot add a device".into()))
    }
    /// Rewinds `actor`'s pull cursor to 0 so its next sync pulls the whole log again.
    fn rewind_cursor(&self, actor: &str) -> Result<(), DriverError> {
        Err(DriverError::Other(format!(
            "this driver cannot rewind {actor}'s cursor"
        )))
    }
}

/// Convenience: `args!["create", title]` → `Vec<String>`.
#[macro_export]
macro_rules! args {
    ($($a:expr),* $(,)?) => { vec![$(::std::string::String::from($a)),*] };
}
