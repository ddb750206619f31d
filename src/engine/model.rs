//! One actor's model of its td database: what the engine believes that actor's `issues.db`
//! holds. Every collection keeps insertion order (issues are referred to by position), so a
//! replay with the same seed walks the same candidates in the same order.

/// Workflow status of an issue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    Open,
    InProgress,
    Blocked,
    InReview,
    Closed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::InProgress => "in_progress",
            Status::Blocked => "blocked",
            Status::InReview => "in_review",
            Status::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Some(match s {
            "open" => Status::Open,
            "in_progress" => Status::InProgress,
            "blocked" => Status::Blocked,
            "in_review" => Status::InReview,
            "closed" => Status::Closed,
            _ => return None,
        })
    }
}

/// What the model knows about one issue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueModel {
    pub id: String,
    pub status: Status,
    pub deleted: bool,
    pub minor: bool,
    /// Parent issue id, `""` for none.
    pub parent: String,
    /// Index of the creating actor, when known.
    pub creator: Option<usize>,
    /// This actor is the implementer or has start/unstart history for the issue (td's
    /// "involved" rule for self-approval, client spec §7.3).
    pub involved: bool,
}

impl IssueModel {
    pub fn new(id: &str, creator: Option<usize>) -> Self {
        IssueModel {
            id: id.to_string(),
            status: Status::Open,
            deleted: false,
            minor: false,
            parent: String::new(),
            creator,
            involved: false,
        }
    }
}

/// A file linked to an issue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileLink {
    pub issue: String,
    pub path: String,
    pub role: String,
}

/// One actor's model (harness spec §2.1, made per actor: weak spot §9.19).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Model {
    pub issues: Vec<IssueModel>,
    /// `(issue, depends_on)` pairs in insertion order.
    pub deps: Vec<(String, String)>,
    /// Non-builtin board names in insertion order.
    pub boards: Vec<String>,
    pub files: Vec<FileLink>,
    /// Name of the active work session, if any.
    pub work_session: Option<String>,
    /// Issues tagged into the active work session.
    pub tagged: Vec<String>,
}

impl Model {
    pub fn issue(&self, id: &str) -> Option<&IssueModel> {
        self.issues.iter().find(|i| i.id == id)
    }

    pub fn issue_mut(&mut self, id: &str) -> Option<&mut IssueModel> {
        self.issues.iter_mut().find(|i| i.id == id)
    }

    /// Adds a newly created issue (no duplicate ids).
    pub fn track_created(&mut self, issue: IssueModel) {
        match self.issue_mut(&issue.id) {
            Some(existing) => *existing = issue,
            None => self.issues.push(issue),
        }
    }

    pub fn set_status(&mut self, id: &str, status: Status) {
        if let Some(i) = self.issue_mut(id) {
            i.status = status;
        }
    }

    pub fn set_deleted(&mut self, id: &str, deleted: bool) {
        if let Some(i) = self.issue_mut(id) {
            i.deleted = deleted;
        }
    }

    /// `start`: in progress and implemented by this actor.
    pub fn started(&mut self, id: &str) {
        if let Some(i) = self.issue_mut(id) {
            i.status = Status::InProgress;
            i.involved = true;
        }
    }

    /// `review` of `id`: it and every non-deleted descendant that is open or in progress go
    /// to in_review (td cascades to all descendants, client spec §7.5).
    pub fn reviewed(&mut self, id: &str) {
        self.set_status(id, Status::InReview);
        for child in self.descendants(id) {
            if let Some(i) = self.issue_mut(&child) {
                if !i.deleted && matches!(i.status, Status::Open | Status::InProgress) {
                    i.status = Status::InReview;
                }
            }
        }
    }

    /// Non-deleted descendants of `id`, breadth first, in model order per level.
    pub fn descendants(&self, id: &str) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let mut frontier = vec![id.to_string()];
        while let Some(parent) = frontier.pop() {
            for i in &self.issues {
                let fresh = i.id != id && !out.contains(&i.id);
                if i.parent == parent && !i.deleted && fresh {
                    out.push(i.id.clone());
                    frontier.insert(0, i.id.clone());
                }
            }
        }
        out
    }

    /// `close`/`approve` of `id`: closed, then td's auto-unblock of blocked dependents whose
    /// dependencies are now all closed (client spec §7.5).
    pub fn closed(&mut self, id: &str) {
        self.set_status(id, Status::Closed);
        let dependents: Vec<String> = self
            .deps
            .iter()
            .filter(|(_, on)| on == id)
            .map(|(d, _)| d.clone())
            .collect();
        for d in dependents {
            let blocked = self.issue(&d).is_some_and(|i| i.status == Status::Blocked);
            if blocked && self.all_deps_closed(&d) {
                self.set_status(&d, Status::Open);
            }
        }
    }

    fn all_deps_closed(&self, id: &str) -> bool {
        self.deps
            .iter()
            .filter(|(d, _)| d == id)
            .all(|(_, on)| self.issue(on).is_some_and(|i| i.status == Status::Closed))
    }

    pub fn has_dep(&self, from: &str, to: &str) -> bool {
        self.deps.iter().any(|(a, b)| a == from && b == to)
    }

    pub fn add_dep(&mut self, from: &str, to: &str) {
        if !self.has_dep(from, to) {
            self.deps.push((from.to_string(), to.to_string()));
        }
    }

    pub fn remove_dep(&mut self, from: &str, to: &str) {
        self.deps.retain(|(a, b)| !(a == from && b == to));
    }

    /// `link`: INSERT OR REPLACE on (issue, path).
    pub fn link(&mut self, issue: &str, path: &str, role: &str) {
        let link = FileLink {
            issue: issue.to_string(),
            path: path.to_string(),
            role: role.to_string(),
        };
        match self
            .files
            .iter_mut()
            .find(|f| f.issue == issue && f.path == path)
        {
            Some(existing) => *existing = link,
            None => self.files.push(link),
        }
    }

    pub fn unlink(&mut self, issue: &str, path: &str) {
        self.files.retain(|f| !(f.issue == issue && f.path == path));
    }

    pub fn tag(&mut self, id: &str) {
        if !self.tagged.iter().any(|t| t == id) {
            self.tagged.push(id.to_string());
        }
    }

    pub fn end_work_session(&mut self) {
        self.work_session = None;
        self.tagged.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model_with(ids: &[(&str, &str, Status)]) -> Model {
        let mut m = Model::default();
        for (id, parent, status) in ids {
            let mut i = IssueModel::new(id, Some(0));
            i.parent = parent.to_string();
            i.status = *status;
            m.track_created(i);
        }
        m
    }

    #[test]
    fn review_cascades_to_all_descendants() {
        let mut m = model_with(&[
            ("p", "", Status::InProgress),
            ("c1", "p", Status::InProgress),
            ("c2", "p", Status::Open),
            ("g1", "c1", Status::Open),
            ("g2", "c1", Status::Closed),
            ("x", "", Status::Open),
        ]);
        m.reviewed("p");
        let status = |id: &str| m.issue(id).unwrap().status;
        assert_eq!(status("p"), Status::InReview);
        assert_eq!(status("c1"), Status::InReview);
        assert_eq!(status("c2"), Status::InReview);
        assert_eq!(status("g1"), Status::InReview, "grandchildren too");
        assert_eq!(status("g2"), Status::Closed);
        assert_eq!(status("x"), Status::Open);
    }

    #[test]
    fn close_auto_unblocks_dependents() {
        let mut m = model_with(&[
            ("a", "", Status::Open),
            ("b", "", Status::Open),
            ("d", "", Status::Blocked),
            ("e", "", Status::Blocked),
        ]);
        m.add_dep("d", "a");
        m.add_dep("e", "a");
        m.add_dep("e", "b");
        m.closed("a");
        assert_eq!(m.issue("d").unwrap().status, Status::Open);
        assert_eq!(
            m.issue("e").unwrap().status,
            Status::Blocked,
            "b still open"
        );
    }

    #[test]
    fn links_replace_and_unlink() {
        let mut m = Model::default();
        m.link("td-1", "a.md", "test");
        m.link("td-1", "a.md", "config");
        assert_eq!(m.files.len(), 1);
        assert_eq!(m.files[0].role, "config");
        m.unlink("td-1", "a.md");
        assert!(m.files.is_empty());
    }
}
