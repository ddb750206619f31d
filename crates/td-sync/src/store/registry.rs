//! The per-project event stores under `SYNC_PROJECT_DATA_DIR`: created with the project,
//! opened lazily afterwards and kept open (one connection each).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::{events, open_connection, Db, StoreError, StoreResult};
use crate::tokens::is_project_id;

pub struct ProjectStores {
    dir: PathBuf,
    open: Mutex<HashMap<String, Db>>,
}

impl ProjectStores {
    pub fn new(dir: &Path) -> ProjectStores {
        ProjectStores {
            dir: dir.to_path_buf(),
            open: Mutex::new(HashMap::new()),
        }
    }

    /// `<dir>/<project_id>`; refuses ids that are not `p_` + 16 hex, so no request can
    /// steer a path.
    fn project_dir(&self, project_id: &str) -> StoreResult<PathBuf> {
        if !is_project_id(project_id) {
            return Err(StoreError::InvalidProjectId(project_id.to_string()));
        }
        Ok(self.dir.join(project_id))
    }

    /// Creates `<project>/events.db` (and its directory) and keeps it open.
    pub fn create(&self, project_id: &str) -> StoreResult<()> {
        let dir = self.project_dir(project_id)?;
        std::fs::create_dir_all(&dir).map_err(|source| StoreError::CreateDir {
            path: dir.clone(),
            source,
        })?;
        let path = dir.join("events.db");
        let conn = open_connection(&path, true)?;
        events::init(&conn)?;
        self.lock()
            .insert(project_id.to_string(), Db::new(conn, &path));
        Ok(())
    }

    /// Removes a project directory after a failed creation.
    pub fn discard(&self, project_id: &str) {
        self.lock().remove(project_id);
        if let Ok(dir) = self.project_dir(project_id) {
            if let Err(err) = std::fs::remove_dir_all(&dir) {
                tracing::warn!(path = %dir.display(), error = %err, "remove project dir");
            }
        }
    }

    /// The open store, opening an existing events.db on first use. A missing file is
    /// [`StoreError::MissingProjectDb`]. Blocking: call from a blocking context.
    pub fn get(&self, project_id: &str) -> StoreResult<Db> {
        let mut open = self.lock();
        if let Some(db) = open.get(project_id) {
            return Ok(db.clone());
        }
        let path = self.project_dir(project_id)?.join("events.db");
        if !path.is_file() {
            return Err(StoreError::MissingProjectDb(path));
        }
        let conn = open_connection(&path, false)?;
        events::init(&conn)?;
        let db = Db::new(conn, &path);
        open.insert(project_id.to_string(), db.clone());
        Ok(db)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Db>> {
        self.open.lock().unwrap_or_else(|p| p.into_inner())
    }
}
