//! `td create`: validate the new issue, write it (§6.2) and its dependencies.

use anyhow::{bail, Result};
use td_core::model::Issue;
use td_core::{ids, time};

use super::{split_list, Global};
use crate::store::{deps, issues};
use crate::workflow;

#[derive(Debug, clap::Args)]
#[command(args_override_self = true)]
pub struct Args {
    /// Title (words are joined); a leading type word becomes --type.
    pub words: Vec<String>,
    #[arg(long, allow_hyphen_values = true)]
    pub title: Option<String>,
    #[arg(short = 't', long = "type")]
    pub issue_type: Option<String>,
    #[arg(short = 'p', long)]
    pub priority: Option<String>,
    #[arg(long, allow_hyphen_values = true)]
    pub points: Option<i64>,
    #[arg(short = 'l', long = "labels", visible_aliases = ["label", "tags", "tag"], action = clap::ArgAction::Append, allow_hyphen_values = true)]
    pub labels: Vec<String>,
    #[arg(short = 'd', long, visible_aliases = ["desc", "body", "notes"], allow_hyphen_values = true)]
    pub description: Option<String>,
    #[command(flatten)]
    pub text: TextArgs,
    #[arg(long, visible_alias = "epic")]
    pub parent: Option<String>,
    #[command(flatten)]
    pub deps: DepArgs,
    /// Minor issue: may be self-reviewed.
    #[arg(long)]
    pub minor: bool,
    #[arg(long)]
    pub defer: Option<String>,
    #[arg(long)]
    pub due: Option<String>,
}

/// The long-text flags `create` and `update` share. `--description` itself stays with
/// each verb because their aliases differ.
#[derive(Debug, Default, clap::Args)]
pub struct TextArgs {
    #[arg(long)]
    pub description_file: Option<String>,
    #[arg(long, allow_hyphen_values = true)]
    pub acceptance: Option<String>,
    #[arg(long)]
    pub acceptance_file: Option<String>,
}

impl TextArgs {
    /// `(description, acceptance)`, each from its file when one is given.
    pub fn read(self, description: Option<String>) -> Result<(String, String)> {
        let description = text_or_file(description, self.description_file)?;
        let acceptance = text_or_file(self.acceptance, self.acceptance_file)?;
        Ok((description, acceptance))
    }
}

/// The dependency flags `create` and `update` share.
#[derive(Debug, clap::Args)]
pub struct DepArgs {
    #[arg(long = "depends-on", action = clap::ArgAction::Append)]
    pub depends_on: Vec<String>,
    #[arg(long, action = clap::ArgAction::Append)]
    pub blocks: Vec<String>,
}

impl DepArgs {
    /// `(issue, depends_on)` edges for `id`: its `--depends-on` ids, then the ids it
    /// `--blocks`, normalised, in the order given.
    pub fn edges(&self, id: &str) -> Vec<(String, String)> {
        let on = split_list(&self.depends_on)
            .into_iter()
            .map(|d| (id.to_string(), ids::normalize_issue_id(&d)));
        let blocked = split_list(&self.blocks)
            .into_iter()
            .map(|b| (ids::normalize_issue_id(&b), id.to_string()));
        on.chain(blocked).collect()
    }
}

/// Reads `--x` or `--x-file`; empty inline text counts as absent.
fn text_or_file(inline: Option<String>, file: Option<String>) -> Result<String> {
    if let Some(path) = file {
        return std::fs::read_to_string(&path).map_err(|e| anyhow::anyhow!("read {path}: {e}"));
    }
    Ok(inline.unwrap_or_default())
}

/// Validates a title (§8 create): generic words and >200 runes are refused.
pub fn check_title(title: &str) -> Result<()> {
    let t = title.trim();
    if workflow::is_generic_title(t) {
        bail!("title '{t}' is too generic - describe what it does or fixes");
    }
    let n = t.chars().count();
    if n > 200 {
        bail!("title too long ({n} chars, max 200) - move details to description");
    }
    if n < 15 {
        crate::output::warn(format!(
            "title is short ({n} chars); consider a more descriptive title"
        ));
    }
    Ok(())
}

pub fn parse_type(t: &str) -> Result<String> {
    workflow::normalize_type(t).ok_or_else(|| {
        anyhow::anyhow!("invalid type: {t} (valid: bug, feature, task, epic, chore)")
    })
}

pub fn parse_priority(p: &str) -> Result<String> {
    workflow::normalize_priority(p)
        .ok_or_else(|| anyhow::anyhow!("invalid priority: {p} (valid: P0, P1, P2, P3, P4)"))
}

fn resolve_title_and_type(a: &mut Args) -> Result<(String, Option<String>)> {
    let mut words = std::mem::take(&mut a.words);
    let mut ty = a.issue_type.take();
    if ty.is_none() && words.len() >= 2 && workflow::normalize_type(&words[0]).is_some() {
        ty = Some(words.remove(0));
    }
    let title = a
        .title
        .take()
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| words.join(" "));
    if title.trim().is_empty() {
        bail!("title is required");
    }
    if ty.is_none() {
        if let Some((head, rest)) = title.split_once(':') {
            if workflow::normalize_type(head).is_some() && !rest.trim().is_empty() {
                return Ok((rest.trim_start().to_string(), Some(head.to_string())));
            }
        }
    }
    Ok((title, ty))
}

pub fn run(g: &Global, mut a: Args) -> Result<()> {
    let (title, ty) = resolve_title_and_type(&mut a)?;
    check_title(&title)?;
    let issue_type = ty
        .as_deref()
        .map(parse_type)
        .transpose()?
        .unwrap_or_else(|| "task".into());
    let priority = a
        .priority
        .as_deref()
        .map(parse_priority)
        .transpose()?
        .unwrap_or_else(|| "P2".into());
    let points = a.points.unwrap_or(0);
    if !workflow::valid_points(points) {
        bail!("invalid points: {points} (must be Fibonacci: 1,2,3,5,8,13,21)");
    }
    let (description, acceptance) = a.text.read(a.description)?;
    let ctx = g.open(true)?;
    let now = time::db_now();
    let issue = Issue {
        id: ids::issue_id(),
        title,
        description,
        status: "open".into(),
        issue_type,
        priority,
        points,
        labels: split_list(&a.labels),
        parent_id: a.parent.unwrap_or_default(),
        acceptance,
        creator_session: ctx.me().into(),
        created_at: now.clone(),
        updated_at: now,
        minor: a.minor,
        created_branch: crate::git::created_branch(&ctx.base_dir),
        ..Issue::default()
    };
    let t = ctx.begin()?;
    let id = insert_with_retry(&ctx, issue)?;
    let mut warnings = Vec::new();
    for (issue, dep) in a.deps.edges(&id) {
        warnings.extend(link_dep(&ctx, &issue, &dep)?);
    }
    t.commit()?;
    // The e2e takes the first issue id in the combined output: CREATED must come first.
    println!("CREATED {id}");
    warnings.iter().for_each(crate::output::warn);
    Ok(())
}

fn insert_with_retry(ctx: &crate::context::Ctx, mut issue: Issue) -> Result<String> {
    for attempt in 0..4 {
        if attempt > 0 {
            issue.id = ids::issue_id();
        }
        if issues::get(&ctx.conn, &issue.id)?.is_none() {
            issues::create(&ctx.conn, ctx.me(), &issue)?;
            return Ok(issue.id);
        }
    }
    bail!("could not allocate a unique issue id")
}

/// `issue` depends on `dep`; a missing end or a cycle is a warning (returned), not an error.
fn link_dep(ctx: &crate::context::Ctx, issue: &str, dep: &str) -> Result<Option<String>> {
    for end in [issue, dep] {
        if issues::get(&ctx.conn, end)?.is_none() {
            return Ok(Some(format!("issue not found: {end}")));
        }
    }
    if deps::add(&ctx.conn, ctx.me(), issue, dep)? == deps::Added::WouldCycle {
        return Ok(Some(
            "cannot add dependency: would create circular dependency".into(),
        ));
    }
    Ok(None)
}
