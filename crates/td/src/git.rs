//! Minimal git discovery without spawning git: toplevel and current branch.

use std::path::{Path, PathBuf};

/// The nearest ancestor holding `.git` (dir or worktree file).
pub fn toplevel(dir: &Path) -> Option<PathBuf> {
    dir.ancestors()
        .find(|d| d.join(".git").exists())
        .map(Path::to_path_buf)
}

/// Current branch: `default` outside git, `detached-<sha8>` on a detached HEAD.
pub fn branch(dir: &Path) -> String {
    let Some(top) = toplevel(dir) else {
        return "default".into();
    };
    let head = std::fs::read_to_string(top.join(".git/HEAD")).unwrap_or_default();
    let head = head.trim();
    if let Some(r) = head.strip_prefix("ref: refs/heads/") {
        r.to_string()
    } else if head.len() >= 8 {
        format!("detached-{}", &head[..8])
    } else {
        "default".into()
    }
}

/// Branch recorded on created issues: '' outside git.
pub fn created_branch(dir: &Path) -> String {
    if toplevel(dir).is_some() {
        branch(dir)
    } else {
        String::new()
    }
}
