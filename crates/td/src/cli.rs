//! Command-line surface: the clap tree and how parse errors are reported (§5).

use std::process::ExitCode;

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{Parser, Subcommand};

use crate::commands::*;

/// td — local-first issue tracking for humans and agents.
#[derive(Debug, Parser)]
#[command(name = "td", version, about, propagate_version = true)]
pub struct Cli {
    /// Project directory (overrides $TD_WORK_DIR and the current directory).
    #[arg(short = 'w', long = "work-dir", global = true)]
    pub work_dir: Option<String>,
    /// Machine-readable output where supported.
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create .todos/ and the database in the project directory.
    Init(init::Args),
    /// Create an issue.
    #[command(visible_aliases = ["add", "new"])]
    Create(create::Args),
    /// Update one or more issues.
    #[command(visible_alias = "edit")]
    Update(update::Args),
    /// Soft-delete issues.
    Delete(delete::DeleteArgs),
    /// Restore soft-deleted issues.
    Restore(delete::RestoreArgs),
    /// Start work on issues (status in_progress).
    #[command(visible_alias = "begin")]
    Start(start::StartArgs),
    /// Release issues back to open.
    #[command(visible_alias = "stop")]
    Unstart(start::UnstartArgs),
    /// Submit issues for review.
    #[command(visible_aliases = ["submit", "finish"])]
    Review(review::ReviewArgs),
    /// Approve reviewed issues (closes them).
    Approve(review::ApproveArgs),
    /// Reject reviewed issues back to open.
    Reject(review::RejectArgs),
    /// Close issues.
    #[command(visible_aliases = ["done", "complete"])]
    Close(close::CloseArgs),
    /// Reopen closed issues.
    Reopen(close::ReasonArgs),
    /// Mark issues blocked.
    Block(close::ReasonArgs),
    /// Unblock issues.
    Unblock(close::ReasonArgs),
    /// Add or list comments.
    Comments(comments::CommentsArgs),
    /// Add a comment (same as `comments add`).
    Comment(comments::AddArgs),
    /// Log progress, decisions, blockers…
    Log(log::Args),
    /// Record a handoff for an issue.
    Handoff(handoff::Args),
    /// Manage dependencies.
    Dep(dep::Args),
    /// Manage boards.
    Board(board::Args),
    /// Link files to an issue.
    Link(link::LinkArgs),
    /// Unlink files from an issue.
    Unlink(link::UnlinkArgs),
    /// Work sessions.
    Ws(ws::Args),
    /// Show issues.
    Show(show::Args),
    /// List issues.
    #[command(visible_alias = "ls")]
    List(list::Args),
    /// Undo your last action.
    Undo(undo::Args),
    /// Sync with the server.
    Sync(sync::Args),
    /// Manage sync projects.
    #[command(name = "sync-project", visible_alias = "sp")]
    SyncProject(project::Args),
    /// Authentication.
    Auth(auth::Args),
    /// Open the project and exit (the floor of every command; used by benchmarks).
    #[command(hide = true)]
    Noop,
}

/// Parses argv; on failure prints what the user needs and returns the exit code.
pub fn parse(argv: &[String]) -> Result<Cli, ExitCode> {
    match Cli::try_parse_from(argv) {
        Ok(cli) => Ok(cli),
        Err(e) => Err(report(e, argv)),
    }
}

fn report(e: clap::Error, argv: &[String]) -> ExitCode {
    match e.kind() {
        ErrorKind::DisplayHelp
        | ErrorKind::DisplayVersion
        | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = e.print();
            ExitCode::SUCCESS
        }
        ErrorKind::UnknownArgument => {
            let arg = match e.get(ContextKind::InvalidArg) {
                Some(ContextValue::String(s)) => s.clone(),
                _ => "?".into(),
            };
            let flag = arg.split('=').next().unwrap_or(&arg).to_string();
            let cmd = argv.get(1).map(String::as_str).unwrap_or("");
            print_unknown_flag(cmd, &flag);
            ExitCode::from(1)
        }
        _ => {
            let text = e.render().to_string();
            let first = text
                .lines()
                .next()
                .unwrap_or("")
                .trim_start_matches("error: ");
            eprintln!("Error: {first}");
            for line in text.lines().skip(1).filter(|l| !l.trim().is_empty()) {
                eprintln!("{line}");
            }
            ExitCode::from(1)
        }
    }
}

/// The unknown-flag report of §5 (also used by commands whose positionals accept `-x`).
pub fn print_unknown_flag(cmd: &str, flag: &str) {
    eprintln!("Error: unknown flag: {flag}");
    eprintln!("Run 'td {cmd} --help' for usage.");
}

/// True for a token shaped like a flag (`-x`, `--name`, `--name=v`): no whitespace, one or
/// two dashes, then a letter. Text such as `- item`, `-1`, `-` or `--` is not.
pub fn looks_like_flag(v: &str) -> bool {
    let rest = v.strip_prefix("--").or_else(|| v.strip_prefix('-'));
    let Some(rest) = rest else { return false };
    let name = rest.split('=').next().unwrap_or("");
    name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        && !v.contains(char::is_whitespace)
}

/// Free-text positionals accept a leading `-` ("- item"), so clap hands a mistyped flag to
/// them as text. Such a flag-shaped value is refused like an unknown flag (exit 1, nothing
/// written) unless the user passed it after `--`.
pub fn refuse_stray_flags(cmd: &str, values: &[&str]) -> anyhow::Result<()> {
    if std::env::args().any(|a| a == "--") {
        return Ok(());
    }
    match values.iter().find(|v| looks_like_flag(v)) {
        Some(flag) => {
            print_unknown_flag(cmd, flag);
            crate::output::silent()
        }
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn flag_shaped_tokens() {
        for f in ["-x", "--now", "--minor=true", "--dry-run", "-T"] {
            assert!(looks_like_flag(f), "{f}");
        }
        for t in [
            "- item", "-1", "-", "--", "-x marks", "--=x", "text", "", "-é", "---x",
        ] {
            assert!(!looks_like_flag(t), "{t}");
        }
    }
}
