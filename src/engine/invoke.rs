//! Running one td command for an action: invoke through the driver, classify by the action's
//! rules (confirming refusals against the actor's DB), record it in the history, and heal the
//! model when a refusal proves it drifted.

use std::time::Duration;

use super::classify::{self, Confirm, Outcome};
use super::model::Status;
use super::profile::Timer;
use super::stats::ActionResult;
use super::{ChaosEngine, EngineError};
use crate::driver::{DriverError, TdOutput};
use crate::history::{OpResult, OperationRecord};

/// What an action is about, for refusal confirmation and the history's target.
#[derive(Debug, Clone, Default)]
pub(crate) struct Subject {
    pub issues: Vec<String>,
    pub board: String,
    pub dep: Option<(String, String)>,
    pub file: Option<(String, String)>,
    pub empty_message: bool,
}

impl Subject {
    pub fn issue(id: &str) -> Self {
        Self::issues(&[id.to_string()])
    }

    pub fn issues(ids: &[String]) -> Self {
        Subject {
            issues: ids.to_vec(),
            ..Subject::default()
        }
    }
}

/// One classified td invocation.
#[derive(Debug, Clone)]
pub(crate) struct Step {
    pub output: TdOutput,
    pub outcome: Outcome,
}

impl<'d> ChaosEngine<'d> {
    /// Runs `td <args>` as `actor` for `action` and classifies it. A td timeout is an
    /// unexpected result (td hung); any other driver error stops the engine.
    pub(crate) fn run_td(
        &mut self,
        actor: usize,
        action: &'static str,
        args: Vec<String>,
        subject: &Subject,
    ) -> Result<Step, EngineError> {
        let name = self.actors[actor].clone();
        self.stale[actor] = true;
        let output = match self.driver.td(&name, &args) {
            Ok(out) => out,
            Err(DriverError::Timeout {
                timeout, output, ..
            }) => TdOutput {
                output,
                code: None,
                duration: timeout,
            },
            Err(source) => {
                return Err(EngineError::Driver {
                    actor: name,
                    command: args.join(" "),
                    source,
                })
            }
        };
        let rules = classify::rules_for(action)
            .unwrap_or_else(|| panic!("action {action} has no classification rules"));
        self.profile.td_actions += output.duration;
        self.profile.td_action_runs += 1;
        if self.lane.is_some() {
            let end = std::time::Instant::now();
            self.td_spans.push((end - output.duration, end));
        }
        let mut drift = false;
        let timer = Timer::start();
        let outcome = classify::classify(&rules, &output, &subject.issues, |kind, targets| {
            drift |= kind.is_drift();
            self.confirm(actor, kind, subject, targets)
        })?;
        self.profile.db_reads += timer.stop();
        self.record_op(actor, action, Some(args), subject, &output, &outcome);
        if drift && matches!(outcome, Outcome::Expected(_)) {
            // The refusal proved the model wrong; re-read this actor's truth.
            self.refresh_index(actor)?;
        }
        Ok(Step { output, outcome })
    }

    /// Records a skipped action (no td invocation) and returns its result.
    pub(crate) fn skip(&mut self, actor: usize, action: &'static str, why: &str) -> ActionResult {
        let outcome = Outcome::Skipped(why.to_string());
        let empty = TdOutput {
            output: String::new(),
            code: None,
            duration: Duration::ZERO,
        };
        self.record_op(actor, action, None, &Subject::default(), &empty, &outcome);
        ActionResult {
            action,
            actor: self.actors[actor].clone(),
            target: String::new(),
            outcome,
            output: String::new(),
        }
    }

    /// The action result of a finished step.
    pub(crate) fn result(
        &self,
        actor: usize,
        action: &'static str,
        target: String,
        step: Step,
    ) -> ActionResult {
        ActionResult {
            action,
            actor: self.actors[actor].clone(),
            target,
            outcome: step.outcome,
            output: step.output.output,
        }
    }

    fn record_op(
        &self,
        actor: usize,
        action: &str,
        args: Option<Vec<String>>,
        subject: &Subject,
        out: &TdOutput,
        outcome: &Outcome,
    ) {
        let (result, error) = match outcome {
            Outcome::Ok => (OpResult::Ok, String::new()),
            Outcome::Expected(why) => (OpResult::ExpectedFail, why.clone()),
            Outcome::Unexpected(why) => (OpResult::UnexpectedFail, why.clone()),
            Outcome::Skipped(why) => (OpResult::Skip, why.clone()),
        };
        let mut rec = OperationRecord::new(action, &self.actors[actor], result);
        rec.target_id = subject.issues.join(",");
        rec.args = args;
        rec.output = out.output.clone();
        rec.duration_ns = u64::try_from(out.duration.as_nanos()).unwrap_or(u64::MAX);
        rec.error = error;
        self.history.record(rec);
    }

    /// Does `actor`'s database confirm a refusal of kind `kind` about `subject`?
    fn confirm(
        &self,
        actor: usize,
        kind: Confirm,
        subject: &Subject,
        targets: &[String],
    ) -> Result<bool, EngineError> {
        if kind == Confirm::EmptyMessage {
            return Ok(subject.empty_message);
        }
        let db = self.actor_db(actor)?;
        let me = db.sessions()?;
        let any = |f: &dyn Fn(&str) -> Result<bool, super::db::DbError>| {
            targets
                .iter()
                .try_fold(false, |acc, id| Ok::<_, EngineError>(acc || f(id)?))
        };
        let first = targets.first().map(String::as_str).unwrap_or("");
        Ok(match kind {
            Confirm::Status => any(&|id| {
                let model = self.models[actor].issue(id).map(|i| i.status);
                let db_status = db.issue_status(id)?.and_then(|(s, _)| Status::parse(&s));
                Ok(db_status.is_some() && db_status != model)
            })?,
            Confirm::Implementer => any(&|id| db.implemented_by(id, &me))?,
            Confirm::Creator => any(&|id| db.created_by(id, &me))?,
            Confirm::History => any(&|id| db.has_history(id, &me))?,
            Confirm::InReview => any(&|id| {
                Ok(db
                    .issue_status(id)?
                    .is_some_and(|(s, minor)| s == "in_review" && !minor))
            })?,
            Confirm::BoardGone => !db.board_exists(&subject.board)?,
            Confirm::NotPositioned => !db.positioned(&subject.board, first)?,
            Confirm::DepCycle => match &subject.dep {
                Some((from, to)) => db.would_cycle(from, to)?,
                None => false,
            },
            Confirm::DepExists => match &subject.dep {
                Some((from, to)) => db.dep_exists(from, to)?,
                None => false,
            },
            Confirm::WsActive => db.active_work_session()?.is_some(),
            Confirm::WsInactive => db.active_work_session()?.is_none(),
            Confirm::FileGone => match &subject.file {
                Some((issue, path)) => !db.file_linked(issue, path)?,
                None => false,
            },
            Confirm::EmptyMessage => subject.empty_message,
            Confirm::NothingToUndo => !db.has_undoable(&me)?,
            Confirm::DepGone => match &subject.dep {
                Some((from, to)) => !db.dep_exists(from, to)?,
                None => false,
            },
        })
    }
}
