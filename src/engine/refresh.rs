//! Rebuilding an actor's model from its own database after a sync (weak spot §9.19).
//! Known items keep their positions; new ones are appended in the database's insertion
//! order, so positions stay stable and replays walk the same candidates.

use super::db::Snapshot;
use super::model::{FileLink, IssueModel, Model, Status};
use super::profile::Timer;
use super::{ChaosEngine, EngineError};

impl<'d> ChaosEngine<'d> {
    /// Rebuilds `actor`'s model (issues with status, deleted, minor, parent, creator; deps;
    /// boards; files; work session and tags) from its database, read-only.
    pub fn refresh_from_db(&mut self, actor: &str) -> Result<(), EngineError> {
        let idx = self.actor_index(actor)?;
        self.refresh_index(idx)
    }

    /// Refreshes every actor, in actor order.
    pub fn refresh_all(&mut self) -> Result<(), EngineError> {
        for idx in 0..self.actors.len() {
            self.load_sessions(idx)?;
        }
        for idx in 0..self.actors.len() {
            self.refresh_index(idx)?;
        }
        Ok(())
    }

    /// Refreshes `idx` unless nothing can have changed its rows since the last refresh: no
    /// td command ran for it and its syncs applied nothing.
    pub(crate) fn refresh_if_stale(&mut self, idx: usize) -> Result<(), EngineError> {
        if self.stale[idx] {
            return self.refresh_index(idx);
        }
        self.profile.refreshes_skipped += 1;
        Ok(())
    }

    /// Marks `idx`'s model as possibly behind its database.
    pub(crate) fn mark_stale(&mut self, idx: usize) {
        self.stale[idx] = true;
    }

    pub(crate) fn refresh_index(&mut self, idx: usize) -> Result<(), EngineError> {
        let timer = Timer::start();
        self.stale[idx] = false;
        self.reread(idx)?;
        self.profile.refresh += timer.stop();
        self.profile.refreshes += 1;
        Ok(())
    }

    fn reread(&mut self, idx: usize) -> Result<(), EngineError> {
        // Creator mapping needs every actor's sessions; learn the ones still unknown (not
        // from a lane: the other actors' databases belong to their own lanes).
        for other in 0..self.actors.len() {
            if other != idx && self.sessions[other].is_empty() && self.lane.is_none() {
                self.load_sessions(other)?;
            }
        }
        let snap = self.actor_db(idx)?.snapshot()?;
        self.sessions[idx] = snap.sessions.clone();
        let rebuilt = self.rebuild(idx, snap)?;
        self.models[idx] = rebuilt;
        Ok(())
    }

    /// Reads an actor's session ids; an actor without a database yet keeps an empty list.
    fn load_sessions(&mut self, idx: usize) -> Result<(), EngineError> {
        if self.driver.db_path(&self.actors[idx]).exists() {
            self.sessions[idx] = self.actor_db(idx)?.sessions()?;
        }
        Ok(())
    }

    fn creator_of(&self, session: &str) -> Option<usize> {
        self.sessions
            .iter()
            .position(|s| s.iter().any(|x| x == session))
    }

    fn rebuild(&self, idx: usize, snap: Snapshot) -> Result<Model, EngineError> {
        let old = &self.models[idx];
        let me = &snap.sessions;
        let mut issues = Vec::with_capacity(snap.issues.len());
        for row in &snap.issues {
            let status = Status::parse(&row.status).ok_or_else(|| EngineError::BadStatus {
                actor: self.actors[idx].clone(),
                issue: row.id.clone(),
                status: row.status.clone(),
            })?;
            let known = old.issue(&row.id);
            issues.push(IssueModel {
                id: row.id.clone(),
                status,
                deleted: row.deleted,
                minor: row.minor,
                parent: row.parent.clone(),
                creator: self
                    .creator_of(&row.creator_session)
                    .or_else(|| known.and_then(|k| k.creator)),
                involved: me.contains(&row.implementer_session) || snap.worked.contains(&row.id),
            });
        }
        let files = snap
            .files
            .into_iter()
            .map(|(issue, path, role)| FileLink { issue, path, role })
            .collect();
        Ok(Model {
            issues: keep_order(&old.issues, issues, |i| i.id.clone()),
            deps: keep_order(&old.deps, snap.deps, Clone::clone),
            boards: keep_order(&old.boards, snap.boards, Clone::clone),
            files: keep_order(&old.files, files, |f| (f.issue.clone(), f.path.clone())),
            work_session: snap.work_session.map(|(_, name)| name),
            tagged: keep_order(&old.tagged, snap.tagged, Clone::clone),
        })
    }
}

/// `fresh` reordered: items already in `old` first, in `old`'s order, then the rest in
/// `fresh`'s order. Items missing from `fresh` are dropped.
fn keep_order<T, K: PartialEq>(old: &[T], fresh: Vec<T>, key: impl Fn(&T) -> K) -> Vec<T> {
    let mut rest: Vec<Option<T>> = fresh.into_iter().map(Some).collect();
    let mut out = Vec::with_capacity(rest.len());
    for o in old {
        let k = key(o);
        if let Some(slot) = rest
            .iter_mut()
            .find(|s| s.as_ref().is_some_and(|t| key(t) == k))
        {
            out.extend(slot.take());
        }
    }
    out.extend(rest.into_iter().flatten());
    out
}

#[cfg(test)]
mod tests {
    use super::keep_order;

    #[test]
    fn keep_order_keeps_known_positions() {
        let old = vec![3, 1, 2];
        let fresh = vec![1, 2, 5, 3, 4];
        assert_eq!(keep_order(&old, fresh, |x| *x), vec![3, 1, 2, 5, 4]);
        assert_eq!(keep_order(&old, vec![2, 9], |x| *x), vec![2, 9]);
    }
}
