//! One module per verb group; [`dispatch`] routes a parsed command line to it.

pub mod auth;
pub mod board;
pub mod close;
pub mod comments;
pub mod create;
pub mod delete;
pub mod dep;
pub mod handoff;
pub mod init;
pub mod link;
pub mod list;
pub mod log;
pub mod project;
pub mod review;
pub mod show;
pub mod start;
pub mod sync;
pub mod undo;
pub mod update;
pub mod ws;

use anyhow::Result;
use rusqlite::Transaction;

use crate::cli::{Cli, Command};
use crate::context::Ctx;
use crate::output;
use crate::store::session_state;

/// Global flags every command may need.
pub struct Global {
    pub work_dir: Option<String>,
    pub json: bool,
}

impl Global {
    /// Opens the project; `write` takes the writer lock for the whole command.
    pub fn open(&self, write: bool) -> Result<Ctx> {
        Ctx::open(self.work_dir.as_deref(), self.json, write)
    }
}

/// Starts the command's IMMEDIATE transaction (see [`Ctx::begin`]): the write lock up
/// front, and the session touch riding in the same commit.
pub fn tx(ctx: &Ctx) -> Result<Transaction<'_>> {
    ctx.begin()
}

/// What happened to one id of a bulk command.
pub enum Step {
    Done,
    Unchanged,
}

/// Counts of a bulk command's per-id outcomes.
#[derive(Debug, Default)]
pub struct Tally {
    pub done: usize,
    pub unchanged: usize,
    pub failed: usize,
}

impl Tally {
    /// Exit 1 iff nothing was done and something failed (the already-reported case).
    pub fn finish(&self) -> Result<()> {
        if self.done == 0 && self.failed > 0 {
            crate::output::silent()
        } else {
            Ok(())
        }
    }

    /// `\n<Past> N, skipped M` on stdout, where skipped counts no-ops and failures.
    pub fn print_skipped(&self, past: &str) {
        println!(
            "\n{past} {}, skipped {}",
            self.done,
            self.unchanged + self.failed
        );
    }

    /// `\n<Past> N, unchanged M, failed K` on stdout.
    pub fn print_counts(&self, past: &str) {
        println!(
            "\n{past} {}, unchanged {}, failed {}",
            self.done, self.unchanged, self.failed
        );
    }
}

/// Runs `one` for each id in order, tallying its outcomes. A failure is handed to
/// `report` (each verb's printing policy) and the loop carries on with the next id.
pub fn each_id(
    ids: &[String],
    mut one: impl FnMut(&str) -> Result<Step>,
    mut report: impl FnMut(&str, &anyhow::Error),
) -> Tally {
    let mut tally = Tally::default();
    for id in ids {
        match one(id) {
            Ok(Step::Done) => tally.done += 1,
            Ok(Step::Unchanged) => tally.unchanged += 1,
            Err(e) => {
                report(id, &e);
                tally.failed += 1;
            }
        }
    }
    tally
}

/// The usual failure policy of a bulk verb: a `Warning:` line, then on to the next id.
pub fn warn_failure(_id: &str, e: &anyhow::Error) {
    output::warn(output::error_text(e));
}

/// The failure policy of verbs whose per-id failures are errors: an `ERROR:` line.
pub fn error_failure(_id: &str, e: &anyhow::Error) {
    output::error(output::error_text(e));
}

pub fn dispatch(cli: Cli) -> Result<()> {
    let g = Global {
        work_dir: cli.work_dir,
        json: cli.json,
    };
    match cli.command {
        Command::Init(a) => init::run(&g, a),
        Command::Create(a) => create::run(&g, a),
        Command::Update(a) => update::run(&g, a),
        Command::Delete(a) => delete::run_delete(&g, a),
        Command::Restore(a) => delete::run_restore(&g, a),
        Command::Start(a) => start::run_start(&g, a),
        Command::Unstart(a) => start::run_unstart(&g, a),
        Command::Review(a) => review::run_review(&g, a),
        Command::Approve(a) => review::run_approve(&g, a),
        Command::Reject(a) => review::run_reject(&g, a),
        Command::Close(a) => close::run_close(&g, a),
        Command::Reopen(a) => close::run_reopen(&g, a),
        Command::Block(a) => close::run_block(&g, a),
        Command::Unblock(a) => close::run_unblock(&g, a),
        Command::Comments(a) => comments::run(&g, a),
        Command::Comment(a) => comments::run_add(&g, a),
        Command::Log(a) => log::run(&g, a),
        Command::Handoff(a) => handoff::run(&g, a),
        Command::Dep(a) => dep::run(&g, a),
        Command::Board(a) => board::run(&g, a),
        Command::Link(a) => link::run_link(&g, a),
        Command::Unlink(a) => link::run_unlink(&g, a),
        Command::Ws(a) => ws::run(&g, a),
        Command::Show(a) => show::run(&g, a),
        Command::List(a) => list::run(&g, a),
        Command::Undo(a) => undo::run(&g, a),
        Command::Sync(a) => sync::run(&g, a),
        Command::SyncProject(a) => project::run(&g, a),
        Command::Auth(a) => auth::run(&g, a),
        Command::Noop => g.open(false).map(|_| ()),
    }
}

/// The given ids, or else the focused issue; neither is an error.
pub fn ids_or_focus(ctx: &Ctx, ids: &[String]) -> Result<Vec<String>> {
    let ids: Vec<String> = if ids.is_empty() {
        session_state::focused(ctx)?.into_iter().collect()
    } else {
        ids.to_vec()
    };
    if ids.is_empty() {
        anyhow::bail!("no issue specified and no focused issue");
    }
    Ok(ids)
}

/// Splits comma lists from repeated flags, trimmed, empty parts and duplicates dropped.
pub fn split_list(values: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for v in values {
        for part in v.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            if !out.iter().any(|o| o == part) {
                out.push(part.to_string());
            }
        }
    }
    out
}
