//! Shrinking: a failing case becomes a minimal `steps` case anyone can read, run and commit.
//! Entry point: [`shrink`] (the failed case, its history and check results in; the written
//! file and the figures out).
//!
//! - `translate`: the OperationHistory as steps, created ids as `save`/`{name}`;
//! - `signature`: which check failed (check name and entity kind), the identity a
//!   candidate must keep;
//! - `ddmin`: the shortest failing prefix, then delta debugging over the steps;
//! - `simplify`: fewer actors, fewer flags, shorter text, one change at a time;
//! - `replay`: each candidate in a fresh world, a batch at a time on the rayon pool;
//! - `writer`: the case file with its provenance comment block, parsed back before writing.

pub mod ddmin;
pub mod proof;
pub mod replay;
pub mod signature;
pub mod simplify;
pub mod translate;
pub mod writer;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::case::{self, Case, CaseKind, Expect, Step, StepAction, SyncTarget};
use crate::config::HarnessConfig;
use crate::history::OperationRecord;
use crate::run::WorldHook;
use crate::verify::{CheckKind, CheckResult};

pub use signature::Signature;

/// Why a failed case could not be shrunk.
#[derive(Debug, thiserror::Error)]
pub enum ShrinkError {
    #[error("no check failed (the case failed before or outside its checks), so there is no check for a shrunk case to keep failing")]
    NoFailingCheck,
    #[error("the failing checks exist only in chaos runs, not in steps cases: {0}")]
    OnlyInChaos(String),
    #[error("the run recorded no replayable step")]
    NothingToReplay,
    #[error("replaying the {steps} translated steps in a fresh world did not fail `{check}` again: {got}")]
    NotReproduced {
        check: Signature,
        steps: usize,
        got: String,
    },
    #[error("the shrunk case does not parse back: {0}")]
    Invalid(String),
    #[error("write {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// A failed run, as the shrinker needs it.
pub struct ShrinkRequest<'a> {
    pub case: &'a Case,
    pub seed: Option<u64>,
    /// The run's OperationHistory (chaos and scenario cases are translated from it).
    pub history: &'a [OperationRecord],
    /// Every check result of the run.
    pub checks: &'a [CheckResult],
}

/// How to shrink.
#[derive(Clone)]
pub struct ShrinkOptions {
    pub budget: Duration,
    /// Written files go to `<out_dir>/<case name>.toml`.
    pub out_dir: PathBuf,
    /// Applied to every replay world (the tests plant bug injectors with it).
    pub hook: Option<WorldHook>,
}

/// What shrinking produced.
#[derive(Debug, Clone)]
pub struct ShrinkSummary {
    pub path: PathBuf,
    pub case_name: String,
    pub out_dir: PathBuf,
    pub target: Signature,
    pub steps_before: usize,
    /// Steps of the written case, its final sync and verify included.
    pub steps_after: usize,
    pub replays: usize,
    pub elapsed: Duration,
    /// False when the budget ran out before the result was 1-minimal.
    pub finished: bool,
    /// The shrunk steps (the written file's, tail included).
    pub steps: Vec<Step>,
}

impl ShrinkSummary {
    /// The command that runs the written file (shrinking off, so it is not rewritten).
    pub fn command(&self) -> String {
        let root = crate::config::workspace_root();
        let dir = self.out_dir.strip_prefix(&root).unwrap_or(&self.out_dir);
        format!(
            "E2E_SHRINK=0 E2E_CASES_DIR={} cargo test --test e2e -- --exact {}",
            dir.display(),
            self.case_name
        )
    }

    /// Steps before over steps after.
    pub fn ratio(&self) -> f64 {
        self.steps_before as f64 / self.steps_after.max(1) as f64
    }

    /// One paragraph for a failure message.
    pub fn describe(&self) -> String {
        format!(
            "shrunk to {} steps (from {}, {:.0}x; {} replays, {:.1} s{}) still failing `{}`: {}\nrun it: {}",
            self.steps_after,
            self.steps_before,
            self.ratio(),
            self.replays,
            self.elapsed.as_secs_f64(),
            if self.finished { "" } else { ", budget ran out" },
            self.target,
            self.path.display(),
            self.command()
        )
    }
}

/// Shrinks a failed run into a steps case and writes it.
pub fn shrink(
    cfg: &HarnessConfig,
    req: &ShrinkRequest<'_>,
    opts: &ShrinkOptions,
) -> Result<ShrinkSummary, ShrinkError> {
    let start = Instant::now();
    let failing = Signature::failing(req.checks);
    if failing.is_empty() {
        return Err(ShrinkError::NoFailingCheck);
    }
    let Some(target) = failing.iter().find(|s| s.check_kind().is_some()).cloned() else {
        let names: Vec<&str> = failing.iter().map(Signature::as_str).collect();
        return Err(ShrinkError::OnlyInChaos(names.join(", ")));
    };
    let mut kinds: Vec<CheckKind> = Vec::new();
    for k in failing.iter().filter_map(|s| s.check_kind().flatten()) {
        if !kinds.contains(&k) {
            kinds.push(k);
        }
    }
    let (body, dropped) = match &req.case.kind {
        CaseKind::Steps(s) => (s.steps.clone(), Default::default()),
        _ => {
            let t = translate::translate(req.history);
            (t.steps, t.dropped)
        }
    };
    if body.is_empty() {
        return Err(ShrinkError::NothingToReplay);
    }
    let mut tail = vec![translate::step(StepAction::Sync {
        target: SyncTarget::All,
        expect: Expect::Any,
    })];
    if !kinds.is_empty() {
        tail.push(translate::step(StepAction::Verify(kinds)));
    }
    let replayer = replay::Replayer::new(
        cfg,
        opts.hook.clone(),
        target.clone(),
        tail.clone(),
        req.case.name.clone(),
        req.case.expect_quarantine.clone(),
        start + opts.budget,
    );
    let first = replayer.outcome(&body);
    if !replayer.hit(&first) {
        let got: Vec<String> = Signature::failing(&first.checks)
            .iter()
            .map(ToString::to_string)
            .collect();
        return Err(ShrinkError::NotReproduced {
            check: target,
            steps: body.len(),
            got: if first.passed() {
                "it passed".into()
            } else {
                let detail: String = first
                    .details
                    .first()
                    .map(|d| d.chars().take(600).collect())
                    .unwrap_or_default();
                format!("it failed with [{}]: {detail}", got.join(", "))
            },
        });
    }
    let steps_before = body.len();
    let mut best = ddmin::shortest_prefix(&body, &replayer);
    best = ddmin::ddmin(best, &replayer);
    let simplified = simplify_all(best.clone(), &replayer);
    if simplified != best {
        best = ddmin::ddmin(simplified, &replayer);
    }
    let finished = !ddmin::Oracle::out_of_time(&replayer);
    let shrunk = replayer.case_of(&best);
    let CaseKind::Steps(steps) = &shrunk.kind else {
        unreachable!("the replayer builds steps cases")
    };
    let mut summary = ShrinkSummary {
        path: opts.out_dir.join(format!("{}.toml", req.case.name)),
        case_name: req.case.name.clone(),
        out_dir: opts.out_dir.clone(),
        target,
        steps_before,
        steps_after: steps.steps.len(),
        replays: replayer.replays(),
        elapsed: start.elapsed(),
        finished,
        steps: steps.steps.clone(),
    };
    let mut notes = vec![
        format!(
            "{} kind `{}`; a candidate was kept only when `{}` failed again.",
            req.case.name,
            req.case.kind.label(),
            summary.target
        ),
        "run it:".to_string(),
        format!("  {}", summary.command()),
        "keep it: move it into cases/regressions/ under a name that says what it pins.".to_string(),
    ];
    if !summary.finished {
        notes.push("the time budget ran out: a smaller case may exist".into());
    }
    if !dropped.is_empty() {
        let left: Vec<String> = dropped.iter().map(|(k, n)| format!("{k} x{n}")).collect();
        notes.push(format!(
            "left out (not replayable as steps; they happened by chance inside a request): {}",
            left.join(", ")
        ));
    }
    let provenance = writer::Provenance {
        original: req.case.name.clone(),
        seed: req.seed,
        failing_check: summary.target.to_string(),
        steps_before,
        steps_after: summary.steps_after,
        replays: summary.replays,
        seconds: summary.elapsed.as_secs_f64(),
        notes,
    };
    let text = writer::render(
        &provenance,
        steps.actors,
        &steps.steps,
        &req.case.expect_quarantine,
    );
    case::parse(&req.case.name, &summary.path, &text)
        .map_err(|e| ShrinkError::Invalid(format!("{e}\n{text}")))?;
    write(&summary.path, &text)?;
    summary.elapsed = start.elapsed();
    Ok(summary)
}

/// Greedy simplification: the first simpler candidate that still fails, again and again.
fn simplify_all(mut best: Vec<Step>, replayer: &replay::Replayer<'_>) -> Vec<Step> {
    use ddmin::Oracle;
    loop {
        let candidates = simplify::candidates(&best);
        let mut improved = false;
        for batch in candidates.chunks(replayer.width()) {
            if replayer.out_of_time() {
                return best;
            }
            if let Some(i) = replayer.first_failing(batch) {
                best = batch[i].clone();
                improved = true;
                break;
            }
        }
        if !improved {
            return best;
        }
    }
}

fn write(path: &Path, text: &str) -> Result<(), ShrinkError> {
    let err = |source| ShrinkError::Write {
        path: path.to_path_buf(),
        source,
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(err)?;
    }
    std::fs::write(path, text).map_err(err)
}
