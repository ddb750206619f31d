//! The generator (Jepsen's noun): [`ChaosEngine`] drives td through a
//! [`Driver`](crate::driver::Driver) with weighted random actions, and [`run_chaos`] is the
//! chaos loop around it (syncs, conflict rounds, bursts, faults via
//! [`crate::faults::Nemesis`]).
//!
//! - `actions`: the action table (name, weight, executor); executors in `exec/`;
//! - `selection`: actor, issue and action draws; `random`: edge data and content;
//! - `model`: one model per actor, refreshed from that actor's DB (`refresh`, `db`);
//! - `ready`: which actions have something to act on (the draw offers only those);
//! - `swarm`: a seed's random subset of actions and faults with random weights;
//! - `classify`: per-action success and refusal texts, confirmed against the actor's DB;
//! - `invoke`: running one td command, classifying it, recording it in the history;
//! - `stats`: counters and `summary()`; `seeds`: per-purpose sub-seeds;
//! - `chaos`, `conflict`: the loop, its sync schedule, conflict rounds and bursts.

pub mod actions;
mod chaos;
pub mod classify;
mod conflict;
pub mod db;
mod exec;
pub mod intent;
mod invoke;
mod lanes;
pub mod model;
pub mod profile;
pub mod random;
pub mod ready;
mod refresh;
pub mod seeds;
pub mod selection;
mod stats;
pub mod swarm;

#[cfg(test)]
mod fake;
#[cfg(test)]
mod tests;

use std::sync::Arc;

use rand_pcg::Pcg64;

pub use chaos::{run_chaos, Budget, ChaosConfig, ChaosHooks, ChaosOutcome, Progress, SyncMode};
pub use classify::{extract_created_id, Outcome};
pub use intent::{Intent, IntentKind, IntentTarget, IntentValue};
pub use model::{IssueModel, Model, Status};
pub use seeds::SeedPlan;
pub use stats::{ActionResult, ActionStats, Stats};

use crate::driver::{Driver, DriverError};
use crate::history::OperationHistory;
use random::DataGen;
use seeds::Purpose;

/// Why the engine could not go on (as opposed to an action failing, which is a result).
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("driver has no actors")]
    NoActors,
    #[error("chaos config: {0}")]
    Config(String),
    #[error("unknown actor {0}")]
    UnknownActor(String),
    #[error("td {command} as {actor}: {source}")]
    Driver {
        actor: String,
        command: String,
        #[source]
        source: DriverError,
    },
    #[error(transparent)]
    Db(#[from] db::DbError),
    #[error("write {path}: {source}")]
    Io {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{actor}'s database has issue {issue} with unknown status {status:?}")]
    BadStatus {
        actor: String,
        issue: String,
        status: String,
    },
    #[error("nemesis: {0}")]
    Nemesis(#[source] crate::faults::FaultError),
}

/// The chaos engine: per-actor models, the random streams, stats, and the history.
pub struct ChaosEngine<'d> {
    driver: &'d dyn Driver,
    actors: Vec<String>,
    models: Vec<Model>,
    /// Each actor's own session ids, learned from its DB (empty until the first refresh).
    sessions: Vec<Vec<String>>,
    /// Actor, action and target draws.
    pick: Pcg64,
    /// Argument values.
    data: DataGen,
    stats: Stats,
    history: Arc<OperationHistory>,
    /// When set, every action runs as this actor and approve never switches actors.
    pinned: Option<usize>,
    /// Issue that selections prefer (conflict rounds).
    focus: Option<String>,
    seeds: SeedPlan,
    /// What td reported as done, for the intent oracle (see `intent`).
    intents: Vec<Intent>,
    /// Where the run's time went (see `profile`).
    profile: profile::Profile,
    /// Per actor: a td command ran or a sync applied something since the last refresh.
    stale: Vec<bool>,
    /// Per actor: its read-only connection, opened on first use and kept (SQLite parses the
    /// whole schema for every new connection; a kept one re-reads only changed pages).
    dbs: std::cell::RefCell<Vec<Option<std::rc::Rc<db::ActorDb>>>>,
    /// Action weights, indexed like [`actions::ACTIONS`] (the table's, or a swarm's).
    weights: Vec<u32>,
    /// Per actor: the draws of its parallel lane (see `lanes`); `None` while out on one.
    lane_streams: Vec<Option<lanes::LaneStreams>>,
    /// Set on the engine of a parallel lane: the one actor whose state it holds.
    lane: Option<usize>,
    /// A lane's approval handed over to another actor, to run when the lanes join.
    deferred: Option<(usize, String)>,
    /// A lane's td process runs (start, end), to count overlapping lanes' time once.
    td_spans: Vec<(std::time::Instant, std::time::Instant)>,
}

impl<'d> ChaosEngine<'d> {
    /// A fresh engine with empty models. Call [`refresh_all`](Self::refresh_all) once the
    /// actors' databases exist to learn what they already hold.
    pub fn new(driver: &'d dyn Driver, seed: u64) -> Result<Self, EngineError> {
        let actors = driver.actors();
        if actors.is_empty() {
            return Err(EngineError::NoActors);
        }
        let n = actors.len();
        Ok(ChaosEngine {
            driver,
            models: vec![Model::default(); actors.len()],
            sessions: vec![Vec::new(); actors.len()],
            actors,
            pick: seeds::stream(seed, Purpose::Actions),
            data: DataGen::new(seeds::stream(seed, Purpose::Data)),
            stats: Stats::default(),
            history: Arc::new(OperationHistory::new()),
            pinned: None,
            focus: None,
            seeds: SeedPlan::new(seed),
            intents: Vec::new(),
            profile: profile::Profile::default(),
            stale: vec![true; n],
            dbs: std::cell::RefCell::new(vec![None; n]),
            weights: selection::table_weights(),
            lane_streams: lanes::LaneStreams::for_actors(seed, &driver.actors()),
            lane: None,
            deferred: None,
            td_spans: Vec::new(),
        })
    }

    /// Draws actions with these weights (indexed like [`actions::ACTIONS`]) instead of the
    /// table's; a wrong length keeps the table's.
    pub fn with_weights(mut self, weights: &[u32]) -> Self {
        if weights.len() == actions::ACTIONS.len() {
            self.weights = weights.to_vec();
        }
        self
    }

    /// Records into `history` instead of a private one.
    pub fn with_history(mut self, history: Arc<OperationHistory>) -> Self {
        self.history = history;
        self
    }

    /// Runs every action as `actor` (a partition: approve never switches actors); `None`
    /// draws the actor per action again.
    pub fn pin(&mut self, actor: Option<&str>) -> Result<(), EngineError> {
        self.pinned = actor.map(|a| self.actor_index(a)).transpose()?;
        Ok(())
    }

    pub fn actors(&self) -> &[String] {
        &self.actors
    }

    pub fn seeds(&self) -> SeedPlan {
        self.seeds
    }

    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// Where the run's time went so far.
    pub fn profile(&self) -> &profile::Profile {
        &self.profile
    }

    pub fn summary(&self) -> String {
        self.stats.summary()
    }

    pub fn history(&self) -> &Arc<OperationHistory> {
        &self.history
    }

    /// The model of `actor`.
    pub fn model(&self, actor: &str) -> Option<&Model> {
        let idx = self.actors.iter().position(|a| a == actor)?;
        Some(&self.models[idx])
    }

    /// The creating actor of every non-deleted issue any model knows, deduplicated, in actor
    /// then model order (what a read-your-writes check needs).
    pub fn live_issues_by_creator(&self) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = Vec::new();
        for model in &self.models {
            for issue in model.issues.iter().filter(|i| !i.deleted) {
                if out.iter().any(|(id, _)| *id == issue.id) {
                    continue;
                }
                if let Some(c) = issue.creator {
                    out.push((issue.id.clone(), self.actors[c].clone()));
                }
            }
        }
        out
    }

    /// Tracks an issue created outside the engine (a scenario's seed issue) in `actor`'s model.
    pub fn track_created_issue(&mut self, actor: &str, id: &str) -> Result<(), EngineError> {
        let idx = self.actor_index(actor)?;
        self.models[idx].track_created(IssueModel::new(id, Some(idx)));
        Ok(())
    }

    /// Actor `idx`'s kept read-only connection (opened now if it is the first use; an actor
    /// without a database yet gets the error, and the next call tries again).
    pub(crate) fn actor_db(&self, idx: usize) -> Result<std::rc::Rc<db::ActorDb>, db::DbError> {
        if let Some(db) = &self.dbs.borrow()[idx] {
            return Ok(std::rc::Rc::clone(db));
        }
        let db = std::rc::Rc::new(db::ActorDb::open(&self.driver.db_path(&self.actors[idx]))?);
        self.dbs.borrow_mut()[idx] = Some(std::rc::Rc::clone(&db));
        Ok(db)
    }

    fn actor_index(&self, actor: &str) -> Result<usize, EngineError> {
        self.actors
            .iter()
            .position(|a| a == actor)
            .ok_or_else(|| EngineError::UnknownActor(actor.to_string()))
    }

    /// After a successful action on one issue: the acting actor's database must hold the
    /// status the model now predicts for it (a drift here is a td bug or a model bug, and
    /// either would make later classifications wrong).
    fn check_prediction(&mut self, actor: usize, r: &ActionResult) -> Result<(), EngineError> {
        let id = r.target.as_str();
        let single = id.starts_with("td-") && !id.contains([',', '_', ':', '~', ' ']);
        if !matches!(r.outcome, Outcome::Ok) || !single || r.actor != self.actors[actor] {
            return Ok(());
        }
        let Some(model) = self.models[actor].issue(id) else {
            return Ok(());
        };
        let predicted = (!model.deleted).then(|| model.status.as_str().to_string());
        self.stats.predictions_checked += 1;
        let timer = profile::Timer::start();
        let db = self.actor_db(actor)?;
        let actual = match db.issue_status(id)? {
            Some((status, _)) if !db.issue_deleted(id)? => Some(status),
            _ => None,
        };
        self.profile.db_reads += timer.stop();
        if predicted != actual {
            self.stats.model_drift.push(format!(
                "{} by {}: the model predicts {id} {}, the database holds {}",
                r.action,
                r.actor,
                predicted.as_deref().unwrap_or("deleted"),
                actual.as_deref().unwrap_or("deleted or absent")
            ));
        }
        Ok(())
    }

    /// Draws an actor (unless pinned) and an action, runs it, and counts the result.
    pub fn run_action(&mut self) -> Result<ActionResult, EngineError> {
        let actor = match self.pinned {
            Some(a) => a,
            None => selection::select_actor(self.actors.len(), &mut self.pick),
        };
        self.run_action_as(actor)
    }

    /// `n` actions; results in order.
    pub fn run_n(&mut self, n: usize) -> Result<Vec<ActionResult>, EngineError> {
        (0..n).map(|_| self.run_action()).collect()
    }

    /// Draws an action among those ready on `actor`'s model and runs it as that actor.
    pub(crate) fn run_action_as(&mut self, actor: usize) -> Result<ActionResult, EngineError> {
        let model = &self.models[actor];
        let offered: Vec<u32> = actions::ACTIONS
            .iter()
            .zip(&self.weights)
            .map(|(a, &w)| if ready::ready(a.name, model) { w } else { 0 })
            .collect();
        // Nothing ready (a swarm without create on an empty model): create needs nothing.
        let idx = selection::select_weighted(&offered, &mut self.pick).unwrap_or(0);
        self.execute(&actions::ACTIONS[idx], actor)
    }

    /// Runs the named table action as the actor called `actor`.
    pub(crate) fn run_named_as(
        &mut self,
        actor: &str,
        name: &str,
    ) -> Result<ActionResult, EngineError> {
        let idx = self.actor_index(actor)?;
        self.run_named(idx, name)
    }

    /// Runs the named table action as `actor` (conflict rounds, bursts, tests).
    pub(crate) fn run_named(
        &mut self,
        actor: usize,
        name: &str,
    ) -> Result<ActionResult, EngineError> {
        let spec = actions::spec(name).unwrap_or_else(|| panic!("no action {name}"));
        self.execute(spec, actor)
    }

    /// Runs `spec` as `actor`, counts the result and checks the model's prediction.
    fn execute(
        &mut self,
        spec: &actions::ActionSpec,
        actor: usize,
    ) -> Result<ActionResult, EngineError> {
        let result = (spec.exec)(self, actor)?;
        if self.deferred.is_some() {
            // A handover a lane deferred: counted when it runs, at the lanes' join.
            return Ok(result);
        }
        self.stats.record(&result);
        self.check_prediction(actor, &result)?;
        Ok(result)
    }
}
