//! Where td works and as whom: project root (§1.1), the database, the writer lock,
//! project config and the session identity (§4).

use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _, Result};
use fs2::FileExt;
use rusqlite::{Connection, Transaction, TransactionBehavior};

use crate::config::ProjectConfig;
use crate::session::{self, Session};

/// Everything a command needs once the project is open.
pub struct Ctx {
    pub base_dir: PathBuf,
    pub conn: Connection,
    pub session: Session,
    pub config: ProjectConfig,
    pub json: bool,
    /// The session's due `last_activity` (§4). Written inside the command's first
    /// transaction ([`Ctx::begin`]) so a write command commits once, else on drop.
    touch_at: String,
    _lock: Option<File>,
}

impl Ctx {
    /// The current session id (`ME` in the spec).
    pub fn me(&self) -> &str {
        &self.session.id
    }

    /// Opens the project's database. `write` takes `.todos/db.lock` for the whole command,
    /// so two td processes never interleave a read-check-write sequence.
    pub fn open(work_dir: Option<&str>, json: bool, write: bool) -> Result<Ctx> {
        let base_dir = resolve_base_dir(work_dir)?;
        let todos = base_dir.join(".todos");
        let db_path = todos.join("issues.db");
        if !db_path.exists() {
            bail!("database not found: run 'td init' first");
        }
        let lock = if write {
            Some(acquire_lock(&todos)?)
        } else {
            None
        };
        let conn = open_db(&db_path)?;
        let config = ProjectConfig::load(&todos);
        let (session, touch_at) = session::resolve(&conn, &base_dir)?;
        Ok(Ctx {
            base_dir,
            conn,
            session,
            config,
            json,
            touch_at,
            _lock: lock,
        })
    }

    /// Starts an IMMEDIATE transaction (the write lock up front, so a read-check-write
    /// sequence cannot interleave with another writer) that also carries the session touch:
    /// a commit costs several fsyncs, so the touch must not need one of its own.
    pub fn begin(&self) -> Result<Transaction<'_>> {
        let tx = Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate)
            .context("begin transaction")?;
        session::touch(&tx, &self.session.id, &self.touch_at)?;
        Ok(tx)
    }
}

impl Drop for Ctx {
    /// Read-only commands, refusals and commands that never called [`Ctx::begin`] touch the
    /// session here (a no-op write when a committed transaction already did). Best effort:
    /// `last_activity` is bookkeeping and must not turn a finished command into a failure.
    fn drop(&mut self) {
        let _ = session::touch(&self.conn, &self.session.id, &self.touch_at);
    }
}

/// Opens `issues.db` with the connection policy of §2.1.
pub fn open_db(path: &Path) -> Result<Connection> {
    let conn =
        Connection::open(path).with_context(|| format!("open database {}", path.display()))?;
    td_core::schema::apply_pragmas(&conn).context("configure database")?;
    Ok(conn)
}

/// `.todos/db.lock`: exclusive flock, 5 s budget with 5–50 ms backoff.
pub fn acquire_lock(todos: &Path) -> Result<File> {
    let path = todos.join("db.lock");
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("open {}", path.display()))?;
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut backoff = Duration::from_millis(5);
    loop {
        match file.try_lock_exclusive() {
            Ok(()) => return Ok(file),
            Err(_) if Instant::now() < deadline => {
                std::thread::sleep(backoff);
                backoff = (backoff * 2).min(Duration::from_millis(50));
            }
            Err(e) => bail!(
                "database is locked by another td process ({}): {e}",
                path.display()
            ),
        }
    }
}

/// Start dir: `-w` flag > `$TD_WORK_DIR` > cwd, with a trailing `.todos` stripped.
pub fn start_dir(work_dir: Option<&str>) -> Result<PathBuf> {
    let raw = match work_dir {
        Some(w) if !w.is_empty() => PathBuf::from(w),
        _ => match std::env::var("TD_WORK_DIR") {
            Ok(w) if !w.is_empty() => PathBuf::from(w),
            _ => std::env::current_dir().context("current directory")?,
        },
    };
    let raw = if raw.file_name().is_some_and(|n| n == ".todos") {
        raw.parent().map(Path::to_path_buf).unwrap_or(raw)
    } else {
        raw
    };
    if raw.is_absolute() {
        Ok(raw)
    } else {
        Ok(std::env::current_dir()?.join(raw))
    }
}

/// Project root resolution (§1.1).
pub fn resolve_base_dir(work_dir: Option<&str>) -> Result<PathBuf> {
    let dir = start_dir(work_dir)?;
    if let Some(found) = check_dir(&dir) {
        return Ok(found);
    }
    if let Some(top) = crate::git::toplevel(&dir) {
        if let Some(found) = check_dir(&top) {
            return Ok(found);
        }
    }
    Ok(dir)
}

fn check_dir(dir: &Path) -> Option<PathBuf> {
    if let Ok(target) = std::fs::read_to_string(dir.join(".td-root")) {
        let t = target.trim();
        if !t.is_empty() {
            let p = PathBuf::from(t);
            return Some(if p.is_absolute() { p } else { dir.join(p) });
        }
    }
    if dir.join(".todos").is_dir() {
        return Some(dir.to_path_buf());
    }
    association(dir)
}

fn association(dir: &Path) -> Option<PathBuf> {
    let home = std::env::var_os("HOME")?;
    let path = Path::new(&home).join(".config/td/associations.json");
    let text = std::fs::read_to_string(path).ok()?;
    let map: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&text).ok()?;
    map.get(dir.to_str()?)?.as_str().map(PathBuf::from)
}
