//! `td link` / `td unlink`: files attached to an issue (§8). Patterns are globbed relative
//! to the current directory; stored paths are relative to the project root with `/`.

use std::path::{Component, Path, PathBuf};

use anyhow::{bail, Context as _, Result};
use sha2::{Digest, Sha256};

use super::{split_list, tx, Global};
use crate::context::Ctx;
use crate::output;
use crate::store::files::{self, FileLink};
use crate::store::{self, issues};

#[derive(Debug, clap::Args)]
#[command(args_override_self = true)]
pub struct LinkArgs {
    pub id: String,
    /// Files, directories or glob patterns (relative to the current directory).
    pub patterns: Vec<String>,
    /// Free-text role of the files.
    #[arg(long, default_value = "implementation", allow_hyphen_values = true)]
    pub role: String,
    /// Expand directories recursively (`--recursive=false` for direct children only).
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, num_args = 0..=1,
          require_equals = true, default_missing_value = "true")]
    pub recursive: bool,
    /// Add dependencies instead of (or as well as) linking files.
    #[arg(long = "depends-on", action = clap::ArgAction::Append)]
    pub depends_on: Vec<String>,
}

#[derive(Debug, clap::Args)]
pub struct UnlinkArgs {
    pub id: String,
    /// Linked paths or glob patterns.
    #[arg(required = true)]
    pub patterns: Vec<String>,
}

pub fn run_link(g: &Global, a: LinkArgs) -> Result<()> {
    let ctx = g.open(true)?;
    let issue = issues::must_get(&ctx.conn, &a.id)?;
    let deps = split_list(&a.depends_on);
    if !deps.is_empty() {
        super::dep::add_all(&ctx, &issue.id, &deps);
        if a.patterns.is_empty() {
            return Ok(());
        }
    }
    if a.patterns.is_empty() {
        bail!("no file patterns given: td link <id> <file-pattern>...");
    }
    let found = expand_patterns(&a.patterns, a.recursive);
    if found.is_empty() {
        bail!("no files found matching any pattern");
    }
    let cwd = std::env::current_dir().context("current directory")?;
    let t = tx(&ctx)?;
    let mut linked = 0;
    for file in found {
        let Some(rel) = relative_to_root(&ctx.base_dir, &cwd, &file) else {
            output::warn(format!(
                "skipping {}: outside the project root",
                file.display()
            ));
            continue;
        };
        let sha = file_sha(&file)?;
        let link = FileLink {
            id: String::new(),
            issue_id: issue.id.clone(),
            file_path: rel,
            role: a.role.clone(),
            linked_sha: sha,
            linked_at: td_core::time::db_now(),
        };
        files::link(&ctx.conn, ctx.me(), &link)?;
        linked += 1;
    }
    if linked > 0 {
        store::invalidate_approval(&ctx.conn, ctx.me(), &issue.id)?;
    }
    t.commit()?;
    let noun = if linked == 1 { "file" } else { "files" };
    println!("LINKED {linked} {noun} to {}", issue.id);
    Ok(())
}

pub fn run_unlink(g: &Global, a: UnlinkArgs) -> Result<()> {
    let ctx = g.open(true)?;
    let cwd = std::env::current_dir().context("current directory")?;
    let t = tx(&ctx)?;
    let issue = issues::must_get(&ctx.conn, &a.id)?;
    let mut removed = 0;
    for f in files::list(&ctx.conn, &issue.id)? {
        if a.patterns
            .iter()
            .any(|p| path_matches(&f.file_path, p, &ctx, &cwd))
            && files::unlink(&ctx.conn, ctx.me(), &issue.id, &f.file_path)?
        {
            removed += 1;
        }
    }
    if removed > 0 {
        store::invalidate_approval(&ctx.conn, ctx.me(), &issue.id)?;
    }
    t.commit()?;
    println!("UNLINKED {removed} file(s) from {}", issue.id);
    Ok(())
}

/// `*` stops at `/`, like a shell glob over paths.
const PATH_MATCH: glob::MatchOptions = glob::MatchOptions {
    case_sensitive: true,
    require_literal_separator: true,
    require_literal_leading_dot: false,
};

/// A stored path matches a pattern given as is or made root-relative, literally or as glob.
fn path_matches(stored: &str, pattern: &str, ctx: &Ctx, cwd: &Path) -> bool {
    let rel = relative_to_root(&ctx.base_dir, cwd, Path::new(pattern));
    [Some(pattern.to_string()), rel]
        .into_iter()
        .flatten()
        .any(|p| {
            p == stored || glob::Pattern::new(&p).is_ok_and(|g| g.matches_with(stored, PATH_MATCH))
        })
}

/// Files named by the patterns: glob matches, else the literal path; directories expanded.
fn expand_patterns(patterns: &[String], recursive: bool) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = Vec::new();
    for pattern in patterns {
        let mut hits: Vec<PathBuf> = glob::glob(pattern)
            .map(|paths| paths.flatten().collect())
            .unwrap_or_default();
        if hits.is_empty() && Path::new(pattern).exists() {
            hits.push(PathBuf::from(pattern));
        }
        for hit in hits {
            if hit.is_dir() {
                collect_dir(&hit, recursive, &mut out);
            } else if hit.is_file() {
                out.push(hit);
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

fn collect_dir(dir: &Path, recursive: bool, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_file() {
            out.push(p);
        } else if recursive && p.is_dir() && !is_tool_dir(&p) {
            collect_dir(&p, recursive, out);
        }
    }
}

/// td's own and git's directories are never linked wholesale.
fn is_tool_dir(p: &Path) -> bool {
    p.file_name().is_some_and(|n| n == ".todos" || n == ".git")
}

/// `file` relative to the project root with `/` separators, cleaned; `None` if outside.
pub fn relative_to_root(base: &Path, cwd: &Path, file: &Path) -> Option<String> {
    let abs = clean(&cwd.join(file));
    let base = clean(base);
    let rel = match abs.strip_prefix(&base) {
        Ok(r) => r.to_path_buf(),
        Err(_) => {
            // Symlinked roots (e.g. /tmp → /private/tmp): compare canonical forms.
            let (a, b) = (abs.canonicalize().ok()?, base.canonicalize().ok()?);
            a.strip_prefix(&b).ok()?.to_path_buf()
        }
    };
    let parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    (!parts.is_empty()).then(|| parts.join("/"))
}

/// Lexical normalization: drops `.` and resolves `..` without touching the filesystem.
fn clean(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

fn file_sha(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).with_context(|| format!("read {}", path.display()))?;
    Ok(hex::encode(Sha256::digest(&bytes)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_root_relative_with_slashes() {
        let base = Path::new("/p/root");
        let cwd = Path::new("/p/root/sub");
        assert_eq!(
            relative_to_root(base, cwd, Path::new("a/b.go")).as_deref(),
            Some("sub/a/b.go")
        );
        assert_eq!(
            relative_to_root(base, cwd, Path::new("../x.md")).as_deref(),
            Some("x.md")
        );
        assert_eq!(
            relative_to_root(base, cwd, Path::new("./../y/./z.sh")).as_deref(),
            Some("y/z.sh")
        );
        assert_eq!(relative_to_root(base, cwd, Path::new("../../out")), None);
        assert_eq!(relative_to_root(base, cwd, Path::new("/etc/passwd")), None);
    }
}
