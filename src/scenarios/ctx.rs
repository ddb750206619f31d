//! [`Ctx`]: what every scenario does — run td as an actor with its exit status and success
//! text checked, sync, and collect named results. A failed command is one Invalid result
//! naming the command and carrying its output (the original ignored most of them).

use crate::driver::{Driver, DriverError, TdOutput};
use crate::engine::extract_created_id;
use crate::harness::Harness;
use crate::history::{OpResult, OperationRecord};
use crate::report::html::entities::target_of;
use crate::verify::diff::truncate_chars;
use crate::verify::{ActorDb, CheckResult, Verifier};

/// Characters of one argument shown in a result name before it is cut.
const ARG_CHARS: usize = 48;
/// Characters of a command's output kept in a failure.
const OUTPUT_CHARS: usize = 2000;

/// A scenario's running state: the world, the results so far, command counters.
pub struct Ctx<'h> {
    h: &'h Harness,
    scenario: &'static str,
    results: Vec<CheckResult>,
    commands: usize,
    failed_commands: usize,
}

impl<'h> Ctx<'h> {
    pub fn new(h: &'h Harness, scenario: &'static str) -> Self {
        Ctx {
            h,
            scenario,
            results: Vec::new(),
            commands: 0,
            failed_commands: 0,
        }
    }

    pub fn harness(&self) -> &'h Harness {
        self.h
    }

    /// `<scenario>: <what>`.
    pub fn name(&self, what: &str) -> String {
        format!("{}: {what}", self.scenario)
    }

    pub fn pass(&mut self, what: &str, details: impl Into<String>) {
        self.results
            .push(CheckResult::valid(self.name(what), details));
    }

    pub fn fail(&mut self, what: &str, details: impl Into<String>) {
        self.results
            .push(CheckResult::invalid(self.name(what), details));
    }

    pub fn unknown(&mut self, what: &str, details: impl Into<String>) {
        self.results
            .push(CheckResult::unknown(self.name(what), details));
    }

    /// Valid with `details` when `ok`, else Invalid with them; returns `ok`.
    pub fn check(&mut self, what: &str, ok: bool, details: impl Into<String>) -> bool {
        if ok {
            self.pass(what, details);
        } else {
            self.fail(what, details);
        }
        ok
    }

    /// `got == want`, with both in the details.
    pub fn expect_eq<T: PartialEq + std::fmt::Debug>(
        &mut self,
        what: &str,
        got: T,
        want: T,
    ) -> bool {
        let ok = got == want;
        let details = if ok {
            format!("{got:?}")
        } else {
            format!("expected {want:?}, got {got:?}")
        };
        self.check(what, ok, details)
    }

    /// Adds results produced elsewhere (verifier checks).
    pub fn extend(&mut self, results: impl IntoIterator<Item = CheckResult>) {
        self.results.extend(results);
    }

    /// Runs `td <args>` as `actor`; a driver error (spawn, timeout) is a failed result. The
    /// caller judges the output itself (often a refusal it wants), so a non-zero exit is
    /// recorded as an expected failure.
    pub fn run(&mut self, actor: &str, args: &[&str]) -> Option<TdOutput> {
        let out = self.exec(actor, args)?;
        let result = if out.ok() {
            OpResult::Ok
        } else {
            OpResult::ExpectedFail
        };
        self.record(actor, args, Ok(&out), result);
        Some(out)
    }

    /// Runs td without recording the operation (the caller records it once judged).
    fn exec(&mut self, actor: &str, args: &[&str]) -> Option<TdOutput> {
        self.commands += 1;
        let owned: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        match self.h.td(actor, &owned) {
            Ok(out) => Some(out),
            Err(e) => {
                self.failed_commands += 1;
                self.record(actor, args, Err(&e), OpResult::UnexpectedFail);
                self.fail(&command_label(actor, args), format!("could not run: {e}"));
                None
            }
        }
    }

    /// Adds one td run to the world's OperationHistory, so a scenario case has a timeline
    /// like a chaos case (action: the td verb; target: the ids it acted on).
    fn record(
        &self,
        actor: &str,
        args: &[&str],
        out: Result<&TdOutput, &DriverError>,
        result: OpResult,
    ) {
        let mut rec = OperationRecord::new(args.first().copied().unwrap_or("td"), actor, result);
        let owned: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        match out {
            Ok(o) => {
                rec.target_id = target_of(&owned, &o.output);
                rec.output = o.output.clone();
                rec.duration_ns = u64::try_from(o.duration.as_nanos()).unwrap_or(u64::MAX);
            }
            Err(e) => {
                rec.target_id = target_of(&owned, "");
                rec.error = e.to_string();
            }
        }
        rec.args = Some(owned);
        self.h.history().record(rec);
    }

    /// Runs `td <args>` as `actor` and requires exit 0 and `marker` in its output (several
    /// td verbs exit 0 even when the item failed, so the exit status alone proves nothing).
    pub fn ok(&mut self, actor: &str, args: &[&str], marker: &str) -> Option<TdOutput> {
        let out = self.exec(actor, args)?;
        self.judge(actor, args, &out, marker).then_some(out)
    }

    /// Counts and judges a command run elsewhere (on another thread) like [`Ctx::ok`].
    pub fn judge_run(
        &mut self,
        actor: &str,
        args: &[&str],
        out: Result<TdOutput, DriverError>,
        marker: &str,
    ) -> bool {
        self.commands += 1;
        match out {
            Ok(out) => self.judge(actor, args, &out, marker),
            Err(e) => {
                self.failed_commands += 1;
                self.record(actor, args, Err(&e), OpResult::UnexpectedFail);
                self.fail(&command_label(actor, args), format!("could not run: {e}"));
                false
            }
        }
    }

    fn judge(&mut self, actor: &str, args: &[&str], out: &TdOutput, marker: &str) -> bool {
        if out.ok() && out.output.contains(marker) {
            self.record(actor, args, Ok(out), OpResult::Ok);
            return true;
        }
        self.record(actor, args, Ok(out), OpResult::UnexpectedFail);
        self.failed_commands += 1;
        let details = format!(
            "expected exit 0 and {marker:?} in the output, got exit {}: {}",
            exit_text(out),
            truncate_chars(&out.output, OUTPUT_CHARS)
        );
        self.fail(&command_label(actor, args), details);
        false
    }

    /// `td create <title> <extra…>` as `actor`; the new id, or a failed result.
    pub fn create(&mut self, actor: &str, title: &str, extra: &[&str]) -> Option<String> {
        let mut args = vec!["create", title];
        args.extend_from_slice(extra);
        let out = self.ok(actor, &args, "CREATED td-")?;
        let id = extract_created_id(&out.output);
        if id.is_none() {
            let what = command_label(actor, &args);
            self.fail(&what, format!("no issue id in output: {}", out.output));
        }
        id
    }

    /// `td sync` as `actor` (retried only on rate limits); a failure names `step`.
    pub fn sync(&mut self, actor: &str, step: &str) -> bool {
        self.commands += 1;
        let out = self.h.sync(actor);
        let result = match &out {
            Ok(o) if o.ok() => OpResult::Ok,
            _ => OpResult::UnexpectedFail,
        };
        self.record(actor, &["sync"], out.as_ref(), result);
        let failure = match out {
            Ok(out) if out.ok() => return true,
            Ok(out) => format!(
                "td sync as {actor}: exit {}: {}",
                exit_text(&out),
                truncate_chars(&out.output, OUTPUT_CHARS)
            ),
            Err(e) => format!("td sync as {actor}: {e}"),
        };
        self.failed_commands += 1;
        self.fail(step, failure);
        false
    }

    /// `sync_rounds` rounds of `td sync` over `actors` in order (a subset of the world, e.g.
    /// before a late joiner has joined).
    pub fn sync_actors(&mut self, actors: &[&str], step: &str) -> bool {
        for _ in 0..self.h.config().world.sync_rounds {
            for a in actors {
                if !self.sync(a, step) {
                    return false;
                }
            }
        }
        true
    }

    /// `sync_all` over every actor; a failure names `step`.
    pub fn sync_all(&mut self, step: &str) -> bool {
        let actors = self.h.actors();
        let names: Vec<&str> = actors.iter().map(String::as_str).collect();
        self.sync_actors(&names, step)
    }

    /// Full convergence (every table, row counts, deleted count) over every actor.
    pub fn converge(&mut self) {
        let mut v = Verifier::new();
        v.convergence(&ActorDb::all_from(self.h));
        self.results.extend(v.into_results());
    }

    /// Full convergence over `actors` at an intermediate stage; result names start with
    /// `<scenario>: <stage>: ` so they differ from the final convergence's.
    pub fn converge_stage(&mut self, stage: &str, actors: &[&str]) {
        let dbs: Vec<ActorDb> = actors
            .iter()
            .map(|a| ActorDb::new(*a, self.h.db_path(a)))
            .collect();
        let mut v = Verifier::new();
        v.convergence(&dbs);
        let prefix = self.name(stage);
        self.results
            .extend(v.into_results().into_iter().map(|mut r| {
                r.name = format!("{prefix}: {}", r.name);
                r
            }));
    }

    /// Every result, closed by one about the commands: all succeeded, or how many failed.
    pub fn finish(mut self) -> Vec<CheckResult> {
        let what = "every td command succeeded";
        if self.failed_commands == 0 {
            let details = format!(
                "{} commands exited 0 with their success text",
                self.commands
            );
            self.pass(what, details);
        } else {
            let details = format!(
                "{} of {} commands failed (listed above)",
                self.failed_commands, self.commands
            );
            self.fail(what, details);
        }
        self.results
    }
}

fn exit_text(out: &TdOutput) -> String {
    match out.code {
        Some(c) => c.to_string(),
        None => "none (killed)".to_string(),
    }
}

/// `td create "a title" --type task [alice]`, long arguments cut.
pub fn command_label(actor: &str, args: &[&str]) -> String {
    let shown: Vec<String> = args.iter().map(|a| shell_word(a)).collect();
    format!("td {} [{actor}]", shown.join(" "))
}

fn shell_word(arg: &str) -> String {
    let cut = truncate_chars(arg, ARG_CHARS);
    let plain = !cut.is_empty()
        && cut
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.,/:=@+".contains(c));
    if plain {
        cut
    } else {
        format!("{cut:?}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_quote_and_cut_arguments() {
        assert_eq!(
            command_label("alice", &["create", "two words", "--type", "task"]),
            "td create \"two words\" --type task [alice]"
        );
        let long = "x".repeat(100);
        let label = command_label("bob", &["update", "td-abc123", "-d", &long]);
        assert!(label.contains("…(+52 chars)"), "{label}");
        assert_eq!(
            command_label("bob", &["comment", ""]),
            "td comment \"\" [bob]"
        );
    }
}
