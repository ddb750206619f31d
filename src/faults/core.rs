//! [`FaultCore`]: what the nemesis and the proxies share in one world — the server, the td
//! processes in flight, database locks, the fault counts and the history — and the
//! postconditions faults must leave behind.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::mpsc;
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use super::kind::FaultKind;
use super::proxy::ProxyHooks;
use super::server::ServerControl;
use crate::history::{OpResult, OperationHistory, OperationRecord};

/// A write lock held on an actor's database by a thread of the harness.
struct DbLock {
    release: mpsc::Sender<()>,
    thread: JoinHandle<()>,
    cursor_before: i64,
}

/// Shared by the nemesis and every proxy of a world.
pub struct FaultCore {
    pub server: ServerControl,
    pub history: Arc<OperationHistory>,
    db_paths: BTreeMap<String, PathBuf>,
    td_pids: Mutex<BTreeMap<String, u32>>,
    db_locks: Mutex<BTreeMap<String, DbLock>>,
    counts: Mutex<BTreeMap<FaultKind, u64>>,
    violations: Mutex<Vec<String>>,
    /// Requests at the server now, and the most there ever were at once.
    in_flight: Mutex<(i64, i64)>,
    /// A lock is released by the next `after_op`, or after this long at the latest.
    lock_hold_max: Duration,
}

fn locked<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl FaultCore {
    pub fn new(
        server: ServerControl,
        history: Arc<OperationHistory>,
        db_paths: BTreeMap<String, PathBuf>,
        lock_hold_max: Duration,
    ) -> Self {
        FaultCore {
            server,
            history,
            db_paths,
            td_pids: Mutex::new(BTreeMap::new()),
            db_locks: Mutex::new(BTreeMap::new()),
            counts: Mutex::new(BTreeMap::new()),
            violations: Mutex::new(Vec::new()),
            in_flight: Mutex::new((0, 0)),
            lock_hold_max,
        }
    }

    /// Remembers (or forgets) the pid of `actor`'s running td.
    pub fn watch_td(&self, actor: &str, pid: Option<u32>) {
        let mut pids = locked(&self.td_pids);
        match pid {
            Some(p) => pids.insert(actor.to_string(), p),
            None => pids.remove(actor),
        };
    }

    /// Counts one fault and records it in the history (`fault:<kind>` or `heal:<kind>`).
    pub fn record(&self, kind: FaultKind, actor: &str, heal: bool, detail: &str) {
        if !heal {
            *locked(&self.counts).entry(kind).or_default() += 1;
        }
        let action = if heal {
            kind.heal_action()
        } else {
            kind.action()
        };
        let mut rec = OperationRecord::new(&action, actor, OpResult::Ok);
        rec.output = detail.to_string();
        self.history.record(rec);
    }

    /// Faults fired so far, per kind.
    pub fn counts(&self) -> BTreeMap<FaultKind, u64> {
        locked(&self.counts).clone()
    }

    /// A postcondition a fault left broken.
    pub fn violation(&self, text: String) {
        locked(&self.violations).push(text);
    }

    pub fn violations(&self) -> Vec<String> {
        locked(&self.violations).clone()
    }

    /// The most requests the proxies had in flight at the server at once.
    pub fn max_in_flight(&self) -> i64 {
        locked(&self.in_flight).1
    }

    /// After an operation of `actor`: releases a database lock taken during it and checks
    /// what the lock must have caused — the sync failed, and its pull cursor did not move.
    pub fn after_op(&self, actor: &str, op_ok: bool) {
        let Some(lock) = locked(&self.db_locks).remove(actor) else {
            return;
        };
        let _ = lock.release.send(());
        let _ = lock.thread.join();
        let after = self.cursor(actor);
        for v in judge_lock(actor, op_ok, lock.cursor_before, after) {
            self.violation(v);
        }
    }

    /// Releases every lock (heal), without judging.
    pub fn release_all(&self) {
        let locks: Vec<DbLock> = std::mem::take(&mut *locked(&self.db_locks))
            .into_values()
            .collect();
        for lock in locks {
            let _ = lock.release.send(());
            let _ = lock.thread.join();
        }
    }

    fn db_path(&self, actor: &str) -> Result<&PathBuf, String> {
        self.db_paths
            .get(actor)
            .ok_or_else(|| format!("unknown actor {actor}"))
    }

    /// The actor's pull cursor (0 before its first pull).
    pub fn cursor(&self, actor: &str) -> Result<i64, String> {
        let path = self.db_path(actor)?;
        let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)
            .map_err(|e| format!("open {}: {e}", path.display()))?;
        read_cursor(&conn).map_err(|e| format!("read cursor of {}: {e}", path.display()))
    }
}

/// What a sync under a held write lock must show: it failed, and its cursor did not move.
fn judge_lock(actor: &str, op_ok: bool, before: i64, after: Result<i64, String>) -> Vec<String> {
    let mut out = Vec::new();
    if op_ok {
        out.push(format!(
            "busy_db: td sync of {actor} reported success while the harness held a write \
             lock on its database during the pull"
        ));
    }
    match after {
        Ok(after) if after != before => out.push(format!(
            "busy_db: the pull cursor of {actor} moved from {before} to {after} although the \
             page could not be applied under the lock"
        )),
        Ok(_) => {}
        Err(e) => out.push(format!("busy_db: read {actor}'s cursor: {e}")),
    }
    out
}

fn read_cursor(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row(
        "SELECT COALESCE(MAX(last_pulled_server_seq), 0) FROM sync_state",
        [],
        |r| r.get(0),
    )
}

/// Opens `path`, reads the cursor, takes `BEGIN IMMEDIATE` and holds it until released.
fn hold_lock(path: PathBuf, hold_max: Duration) -> Result<DbLock, String> {
    let (ready_tx, ready_rx) = mpsc::channel::<Result<i64, String>>();
    let (release, release_rx) = mpsc::channel::<()>();
    let thread = std::thread::Builder::new()
        .name("busy-db".into())
        .spawn(move || {
            let taken = (|| {
                let conn = Connection::open(&path)?;
                conn.busy_timeout(Duration::from_secs(2))?;
                let cursor = read_cursor(&conn)?;
                conn.execute_batch("BEGIN IMMEDIATE")?;
                Ok::<_, rusqlite::Error>((conn, cursor))
            })();
            match taken {
                Ok((conn, cursor)) => {
                    let _ = ready_tx.send(Ok(cursor));
                    let _ = release_rx.recv_timeout(hold_max);
                    let _ = conn.execute_batch("ROLLBACK");
                }
                Err(e) => {
                    let _ = ready_tx.send(Err(format!("lock {}: {e}", path.display())));
                }
            }
        })
        .map_err(|e| format!("spawn lock thread: {e}"))?;
    match ready_rx.recv_timeout(Duration::from_secs(10)) {
        Ok(Ok(cursor_before)) => Ok(DbLock {
            release,
            thread,
            cursor_before,
        }),
        Ok(Err(e)) => {
            let _ = thread.join();
            Err(e)
        }
        Err(_) => Err("lock thread did not answer".into()),
    }
}

impl ProxyHooks for FaultCore {
    fn kill_server(&self) -> Result<String, String> {
        let pid = self.server.pid();
        self.server.kill()?;
        let port = self.server.start()?;
        Ok(format!(
            "kill -9 of td-sync (pid {}) before the answer went back; restarted on port {port}",
            pid.map_or_else(|| "?".into(), |p| p.to_string())
        ))
    }

    fn kill_client(&self, actor: &str) -> Result<String, String> {
        let pid = *locked(&self.td_pids)
            .get(actor)
            .ok_or_else(|| format!("no td of {actor} is running"))?;
        // SAFETY: the pid belongs to our unreaped child (watch_td forgets it before the
        // harness waits for it), so it cannot name another process.
        let rc = unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
        if rc != 0 {
            return Err(format!("kill {pid}: {}", std::io::Error::last_os_error()));
        }
        Ok(format!("kill -9 of td (pid {pid})"))
    }

    fn lock_db(&self, actor: &str) -> Result<String, String> {
        let path = self.db_path(actor)?.clone();
        let lock = hold_lock(path, self.lock_hold_max)?;
        let cursor = lock.cursor_before;
        if let Some(old) = locked(&self.db_locks).insert(actor.to_string(), lock) {
            let _ = old.release.send(());
            let _ = old.thread.join();
        }
        Ok(format!(
            "the harness holds a write lock on {actor}'s database while the page is applied \
             (cursor {cursor})"
        ))
    }

    fn fired(&self, actor: &str, kind: FaultKind, detail: &str) {
        self.record(kind, actor, false, detail);
    }

    fn in_flight(&self, delta: i64) {
        let mut n = locked(&self.in_flight);
        n.0 += delta;
        n.1 = n.1.max(n.0);
    }
}

impl Drop for FaultCore {
    fn drop(&mut self) {
        self.release_all();
    }
}

#[cfg(test)]
mod tests {
    use super::judge_lock;

    #[test]
    fn a_failed_sync_with_a_still_cursor_is_fine() {
        assert!(judge_lock("alice", false, 7, Ok(7)).is_empty());
    }

    #[test]
    fn crafted_violations_are_named() {
        let v = judge_lock("alice", false, 7, Ok(9));
        assert_eq!(v.len(), 1);
        assert!(v[0].contains("moved from 7 to 9"), "{v:?}");
        let v = judge_lock("alice", true, 7, Ok(7));
        assert!(v[0].contains("reported success"), "{v:?}");
        let v = judge_lock("alice", false, 7, Err("gone".into()));
        assert!(v[0].contains("gone"), "{v:?}");
    }
}
