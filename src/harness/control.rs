//! Direct access to a world's server for tests of td-sync itself: `td-sync admin`, the
//! server's own databases, graceful shutdown and the listen address. The nemesis's
//! kill -9 / restart live in [`crate::faults::ServerControl`]; these are the rest.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};
use std::time::Duration;

use super::sut::Binaries;
use super::world::Harness;
use super::HarnessError;
use crate::driver::{DriverError, TdOutput};

/// Runs `td-sync admin <args> --db <db>` (no server needed) with a clean environment,
/// killed after `timeout`. Output is stdout and stderr interleaved.
pub fn admin(
    bins: &Binaries,
    db: &Path,
    args: &[&str],
    timeout: Duration,
) -> Result<TdOutput, DriverError> {
    let mut cmd = Command::new(&bins.td_sync);
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .arg("admin")
        .args(args)
        .arg("--db")
        .arg(db);
    super::process::run(cmd, b"", timeout)
}

impl Harness {
    /// `<world>/server-data/server.db`: users, keys, projects, memberships.
    pub fn server_db_path(&self) -> PathBuf {
        self.world_dir().join("server-data/server.db")
    }

    /// The project's event log on the server (`projects/<id>/events.db`).
    pub fn events_db_path(&self) -> PathBuf {
        self.world_dir()
            .join("server-data/projects")
            .join(self.project_id())
            .join("events.db")
    }

    /// `td-sync admin <args>` against this world's server database; works whether the
    /// server runs or not (the harness itself creates users this way).
    pub fn server_admin(&self, args: &[&str]) -> Result<TdOutput, HarnessError> {
        let timeout = self.config().command_timeout();
        Ok(admin(
            self.binaries(),
            &self.server_db_path(),
            args,
            timeout,
        )?)
    }

    /// One integer from the project's events.db, read-only (the server may be running).
    pub fn server_int(&self, sql: &str) -> Result<i64, HarnessError> {
        let path = self.events_db_path();
        let read = || -> rusqlite::Result<i64> {
            let c = rusqlite::Connection::open_with_flags(
                &path,
                rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
            )?;
            c.busy_timeout(Duration::from_secs(10))?;
            c.query_row(sql, [], |r| r.get(0))
        };
        read().map_err(|e| HarnessError::setup(format!("{sql} on {}", path.display()), e))
    }

    /// The number of events the server holds for the project.
    pub fn server_event_count(&self) -> Result<i64, HarnessError> {
        self.server_int("SELECT COUNT(*) FROM events")
    }

    /// SIGTERM and reap: how the server ended a graceful shutdown.
    pub fn terminate_server(&self, timeout: Duration) -> Result<ExitStatus, HarnessError> {
        self.faults()
            .core()
            .server
            .terminate(timeout)
            .map_err(|e| HarnessError::setup("terminate_server", e))
    }

    /// From the next (re)start on, `SYNC_LISTEN_ADDR` is `<host>:<port>`; `""` gives the
    /// Go-style `:PORT` (every interface, dual stack). Worlds use `127.0.0.1`.
    pub fn set_server_listen_host(&self, host: &str) {
        self.faults().core().server.set_listen_host(host);
    }
}
