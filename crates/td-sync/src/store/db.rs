//! One SQLite connection per store behind a mutex, with the durability pragmas of §2.5.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use rusqlite::{Connection, OpenFlags};

use super::{StoreError, StoreResult};

/// Opens `path` with `journal_mode=TRUNCATE`, `synchronous=NORMAL`, `busy_timeout=5000` and
/// `foreign_keys=ON`. With `create` false a missing file is an error instead of a new
/// empty database.
pub fn open_connection(path: &Path, create: bool) -> StoreResult<Connection> {
    let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX
        | OpenFlags::SQLITE_OPEN_URI;
    if create {
        flags |= OpenFlags::SQLITE_OPEN_CREATE;
    }
    let open_err = |source| StoreError::Open {
        path: path.to_path_buf(),
        source,
    };
    let conn = Connection::open_with_flags(path, flags).map_err(open_err)?;
    conn.busy_timeout(std::time::Duration::from_millis(5000))
        .map_err(open_err)?;
    conn.pragma_update(None, "journal_mode", "TRUNCATE")
        .map_err(open_err)?;
    conn.pragma_update(None, "synchronous", "NORMAL")
        .map_err(open_err)?;
    conn.pragma_update(None, "foreign_keys", "ON")
        .map_err(open_err)?;
    Ok(conn)
}

/// A store's single connection, shared by every request.
#[derive(Clone)]
pub struct Db {
    conn: Arc<Mutex<Connection>>,
    path: Arc<PathBuf>,
}

impl Db {
    pub fn new(conn: Connection, path: &Path) -> Db {
        Db {
            conn: Arc::new(Mutex::new(conn)),
            path: Arc::new(path.to_path_buf()),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `f` with the connection locked, on the calling thread. A panic in an earlier
    /// holder poisons the mutex; the connection is still usable (an open transaction was
    /// rolled back when its guard unwound), so the poison is cleared.
    pub fn with<R>(&self, f: impl FnOnce(&mut Connection) -> StoreResult<R>) -> StoreResult<R> {
        let mut guard: MutexGuard<'_, Connection> = self
            .conn
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        f(&mut guard)
    }

    /// Runs `f` on tokio's blocking pool with the connection locked.
    pub async fn call<R, F>(&self, f: F) -> StoreResult<R>
    where
        R: Send + 'static,
        F: FnOnce(&mut Connection) -> StoreResult<R> + Send + 'static,
    {
        let db = self.clone();
        tokio::task::spawn_blocking(move || db.with(f))
            .await
            .map_err(|e| StoreError::Task(e.to_string()))?
    }
}
