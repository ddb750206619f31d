//! `td log`: progress, decisions, blockers… on an issue.

use std::io::Read;

use anyhow::{bail, Result};
use td_core::ids;

use super::Global;
use crate::store::{issues, logs, session_state};

#[derive(Debug, clap::Args)]
#[command(args_override_self = true)]
pub struct Args {
    /// `[issue-id] <message>` (either order). Two single-value positionals rather than a
    /// list: a message may then start with `-` ("- item") while flags after it still parse.
    #[arg(allow_hyphen_values = true)]
    pub first: Option<String>,
    #[arg(allow_hyphen_values = true)]
    pub second: Option<String>,
    #[arg(short = 'i', long, visible_alias = "task", short_alias = 'T')]
    pub issue: Option<String>,
    #[arg(short = 't', long = "type")]
    pub log_type: Option<String>,
    #[arg(long)]
    pub blocker: bool,
    #[arg(long)]
    pub decision: bool,
    #[arg(long)]
    pub hypothesis: bool,
    #[arg(long)]
    pub tried: bool,
    #[arg(long)]
    pub result: bool,
}

fn log_type(a: &Args) -> (String, bool) {
    if let Some(t) = &a.log_type {
        return (t.clone(), true);
    }
    let flags = [
        (a.blocker, "blocker"),
        (a.decision, "decision"),
        (a.hypothesis, "hypothesis"),
        (a.tried, "tried"),
        (a.result, "result"),
    ];
    match flags.iter().find(|(on, _)| *on) {
        Some((_, t)) => (t.to_string(), true),
        None => ("progress".into(), false),
    }
}

/// "stdin has data" = stdin is not a character device (the original's rule).
fn stdin_message() -> String {
    use std::os::unix::fs::FileTypeExt;
    let is_char = std::fs::metadata("/dev/stdin")
        .map(|m| m.file_type().is_char_device())
        .unwrap_or(true);
    let mut s = String::new();
    if !is_char {
        let _ = std::io::stdin().read_to_string(&mut s);
    }
    s.trim_end().to_string()
}

pub fn run(g: &Global, a: Args) -> Result<()> {
    let given: Vec<&str> = [&a.first, &a.second]
        .into_iter()
        .flatten()
        .map(String::as_str)
        .collect();
    crate::cli::refuse_stray_flags("log", &given)?;
    let (mut id, mut message) = (a.issue.clone(), String::new());
    match (a.first.clone(), a.second.clone()) {
        (Some(x), Some(y)) if ids::looks_like_issue_id(&y) && !ids::looks_like_issue_id(&x) => {
            id = Some(y);
            message = x;
        }
        (Some(x), Some(y)) => {
            id = Some(x);
            message = y;
        }
        (Some(x), None) if ids::looks_like_issue_id(&x) => id = Some(x),
        (Some(x), None) => message = x,
        _ => {}
    }
    if message.is_empty() {
        message = stdin_message();
    }
    if message.is_empty() {
        bail!("no message provided. Use: td log \"message\" or pipe input");
    }
    let ctx = g.open(true)?;
    let id = match id {
        Some(i) => i,
        None => session_state::focused(&ctx)?
            .ok_or_else(|| anyhow::anyhow!("no issue specified and no focused issue"))?,
    };
    let (ty, explicit) = log_type(&a);
    let t = ctx.begin()?;
    let issue = issues::must_get(&ctx.conn, &id)?;
    let ws = session_state::active_work_session(&ctx)?.unwrap_or_default();
    logs::add(&ctx.conn, ctx.me(), &issue.id, &message, &ty, &ws)?;
    t.commit()?;
    if explicit {
        println!("LOGGED {} [{ty}]", issue.id);
    } else {
        println!("LOGGED {}", issue.id);
    }
    Ok(())
}
