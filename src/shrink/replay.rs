//! Replaying a candidate: its steps, then `sync = "all"` and the failed checks, as a steps
//! case in a fresh world (the world hook applied). A candidate counts as failing only when
//! the target check fails, by signature. Candidates of one batch run at once on the rayon
//! pool; results are cached, and candidates that use a `{name}` no earlier step saves are
//! refused without a run.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use rayon::prelude::*;

use super::ddmin::Oracle;
use super::signature::Signature;
use super::simplify::actors_needed;
use crate::case::{self, Case, CaseKind, Step, StepAction, StepsCase};
use crate::config::HarnessConfig;
use crate::run::{run_case_in, CaseOutcome, Status, WorldHook};

/// Replays candidates against one target check.
pub struct Replayer<'a> {
    pub cfg: &'a HarnessConfig,
    pub hook: Option<WorldHook>,
    pub target: Signature,
    /// Appended to every candidate: the final sync and the checks that failed.
    pub tail: Vec<Step>,
    pub name: String,
    pub expect_quarantine: Vec<String>,
    pub deadline: Instant,
    replays: AtomicUsize,
    cache: Mutex<HashMap<String, bool>>,
}

impl<'a> Replayer<'a> {
    pub fn new(
        cfg: &'a HarnessConfig,
        hook: Option<WorldHook>,
        target: Signature,
        tail: Vec<Step>,
        name: String,
        expect_quarantine: Vec<String>,
        deadline: Instant,
    ) -> Replayer<'a> {
        Replayer {
            cfg,
            hook,
            target,
            tail,
            name,
            expect_quarantine,
            deadline,
            replays: AtomicUsize::new(0),
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// Worlds run so far.
    pub fn replays(&self) -> usize {
        self.replays.load(Ordering::SeqCst)
    }

    /// The steps case of a candidate body.
    pub fn case_of(&self, body: &[Step]) -> Case {
        let steps: Vec<Step> = body.iter().chain(&self.tail).cloned().collect();
        Case {
            name: self.name.clone(),
            path: PathBuf::new(),
            ignored: false,
            kind: CaseKind::Steps(StepsCase {
                actors: actors_needed(&steps),
                steps,
            }),
            expect_quarantine: self.expect_quarantine.clone(),
        }
    }

    /// Runs `body` (then the tail) in a fresh world.
    pub fn outcome(&self, body: &[Step]) -> CaseOutcome {
        self.replays.fetch_add(1, Ordering::SeqCst);
        run_case_in(
            self.cfg,
            &self.case_of(body),
            None,
            self.hook.as_ref(),
            false,
        )
    }

    /// True when `out` failed with the target check.
    pub fn hit(&self, out: &CaseOutcome) -> bool {
        out.status != Status::Errored && Signature::failing(&out.checks).contains(&self.target)
    }

    /// True when `body` (then the tail) fails with the target check.
    pub fn fails(&self, body: &[Step]) -> bool {
        if !placeholders_saved(body) {
            return false;
        }
        let key = format!("{body:?}");
        if let Some(hit) = self
            .cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
        {
            return *hit;
        }
        let out = self.outcome(body);
        let hit = self.hit(&out);
        self.cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key, hit);
        hit
    }
}

impl Oracle<Step> for Replayer<'_> {
    fn first_failing(&self, batch: &[Vec<Step>]) -> Option<usize> {
        let hits: Vec<bool> = batch.par_iter().map(|c| self.fails(c)).collect();
        hits.iter().position(|h| *h)
    }

    fn out_of_time(&self) -> bool {
        Instant::now() >= self.deadline
    }

    fn width(&self) -> usize {
        rayon::current_num_threads().max(1)
    }
}

/// True when every `{name}` a step uses was saved by an earlier step.
pub fn placeholders_saved(steps: &[Step]) -> bool {
    let mut saved: Vec<&str> = Vec::new();
    for s in steps {
        let texts: Vec<&str> = match &s.action {
            StepAction::Td { args, .. } => args.iter().map(String::as_str).collect(),
            StepAction::Sql { query, .. } => vec![query.as_str()],
            StepAction::Concurrent(cmds) => cmds
                .iter()
                .flat_map(|c| c.args.iter().map(String::as_str))
                .collect(),
            _ => Vec::new(),
        };
        if texts
            .iter()
            .flat_map(|t| case::placeholders(t))
            .any(|p| !saved.contains(&p))
        {
            return false;
        }
        if let StepAction::Td { save: Some(n), .. } = &s.action {
            saved.push(n.as_str());
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::Expect;
    use crate::shrink::translate::step;

    fn td(args: &[&str], save: Option<&str>) -> Step {
        step(StepAction::Td {
            actor: "alice".into(),
            args: args.iter().map(|s| s.to_string()).collect(),
            save: save.map(str::to_string),
            expect: Expect::Ok,
            output_contains: None,
        })
    }

    #[test]
    fn placeholders_must_be_saved_earlier() {
        let create = td(&["create", "t"], Some("i1"));
        let close = td(&["close", "{i1}"], None);
        assert!(placeholders_saved(&[create.clone(), close.clone()]));
        assert!(!placeholders_saved(std::slice::from_ref(&close)));
        assert!(!placeholders_saved(&[close, create]));
    }
}
