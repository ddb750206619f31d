//! `td update` / `td edit`: apply the given fields to each id (logged update, §6.1).

use anyhow::{bail, Result};
use td_core::model::Issue;

use super::create::{parse_priority, parse_type, DepArgs, TextArgs};
use super::{split_list, Global};
use crate::context::Ctx;
use crate::store::issues::{self, Guard, Payload};
use crate::store::{deps, entities};
use crate::{output, workflow};

#[derive(Debug, clap::Args)]
#[command(args_override_self = true)]
pub struct Args {
    #[arg(required = true)]
    pub ids: Vec<String>,
    #[arg(long, allow_hyphen_values = true)]
    pub title: Option<String>,
    #[arg(short = 'd', long, visible_aliases = ["desc", "body"], allow_hyphen_values = true)]
    pub description: Option<String>,
    #[command(flatten)]
    pub text: TextArgs,
    #[arg(long = "type")]
    pub issue_type: Option<String>,
    #[arg(long)]
    pub priority: Option<String>,
    #[arg(long, allow_hyphen_values = true)]
    pub points: Option<i64>,
    #[arg(short = 'l', long, allow_hyphen_values = true)]
    pub labels: Option<String>,
    #[arg(long, allow_hyphen_values = true)]
    pub sprint: Option<String>,
    #[arg(long)]
    pub parent: Option<String>,
    #[command(flatten)]
    pub deps: DepArgs,
    /// Append to description/acceptance instead of replacing.
    #[arg(long)]
    pub append: bool,
    #[arg(long)]
    pub status: Option<String>,
    /// Also add this comment.
    #[arg(short = 'm', long, allow_hyphen_values = true)]
    pub comment: Option<String>,
    #[arg(long)]
    pub defer: Option<String>,
    #[arg(long)]
    pub due: Option<String>,
}

struct Fields {
    description: String,
    acceptance: String,
}

pub fn run(g: &Global, mut a: Args) -> Result<()> {
    let (description, acceptance) = std::mem::take(&mut a.text).read(a.description.take())?;
    let fields = Fields {
        description,
        acceptance,
    };
    let ctx = g.open(true)?;
    for id in a.ids.clone() {
        if let Err(e) = update_one(&ctx, &id, &a, &fields) {
            output::error(output::error_text(&e));
            continue;
        }
        println!("UPDATED {id}");
    }
    Ok(())
}

fn update_one(ctx: &Ctx, id: &str, a: &Args, f: &Fields) -> Result<()> {
    let t = ctx.begin()?;
    let loaded = issues::must_get(&ctx.conn, id)?;
    let new = apply_fields(loaded.clone(), a, f)?;
    let id = loaded.id.clone();
    issues::write_logged(
        &ctx.conn,
        ctx.me(),
        new,
        "update",
        Guard::UpdatedAt(loaded.updated_at),
        Payload::Plain,
    )?;
    for (issue, dep) in a.deps.edges(&id) {
        add_dep(ctx, &issue, &dep)?;
    }
    if let Some(c) = &a.comment {
        entities::add_comment(&ctx.conn, ctx.me(), &id, c)?;
    }
    t.commit()?;
    Ok(())
}

fn add_dep(ctx: &Ctx, issue: &str, dep: &str) -> Result<()> {
    issues::must_get(&ctx.conn, issue)?;
    issues::must_get(&ctx.conn, dep)?;
    if deps::add(&ctx.conn, ctx.me(), issue, dep)? == deps::Added::WouldCycle {
        bail!("cannot add dependency: would create circular dependency");
    }
    Ok(())
}

fn merge_text(old: &str, new: &str, append: bool) -> String {
    if append && !old.is_empty() {
        format!("{old}\n\n{new}")
    } else {
        new.to_string()
    }
}

fn apply_fields(mut i: Issue, a: &Args, f: &Fields) -> Result<Issue> {
    if let Some(t) = a.title.as_deref().filter(|t| !t.is_empty()) {
        super::create::check_title(t)?;
        i.title = t.to_string();
    }
    if !f.description.is_empty() {
        i.description = merge_text(&i.description, &f.description, a.append);
    }
    if !f.acceptance.is_empty() {
        i.acceptance = merge_text(&i.acceptance, &f.acceptance, a.append);
    }
    if let Some(t) = &a.issue_type {
        i.issue_type = parse_type(t)?;
    }
    if let Some(p) = &a.priority {
        i.priority = parse_priority(p)?;
    }
    if let Some(p) = a.points {
        if !workflow::valid_points(p) {
            bail!("invalid points: {p} (valid: 1, 2, 3, 5, 8, 13, 21)");
        }
        i.points = p;
    }
    if let Some(l) = &a.labels {
        i.labels = split_list(std::slice::from_ref(l));
    }
    if let Some(s) = &a.sprint {
        i.sprint = s.clone();
    }
    if let Some(p) = &a.parent {
        i.parent_id = p.clone();
    }
    if let Some(s) = &a.status {
        apply_status(&mut i, s)?;
    }
    Ok(i)
}

fn apply_status(i: &mut Issue, s: &str) -> Result<()> {
    let s = s.trim().to_ascii_lowercase();
    if !workflow::STATUSES.contains(&s.as_str()) {
        bail!("invalid status: {s} (valid: open, in_progress, blocked, in_review, closed)");
    }
    if s != i.status && !workflow::can_transition(&i.status, &s) {
        bail!("invalid transition from {} to {s} for {}", i.status, i.id);
    }
    i.status = s;
    Ok(())
}
