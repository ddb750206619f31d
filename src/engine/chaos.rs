//! The chaos loop (harness spec §4.1, with the bash suite's conflict machinery, §8.3):
//! actions, bursts and conflict rounds between syncs; full `sync_all`s interleaved with
//! syncs of a random subset of actors in random order; the models refreshed from each synced
//! actor's database; faults from a [`FaultSchedule`] injected through a [`Nemesis`].

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rand_pcg::Pcg64;

use super::conflict::LaneItem;
use super::profile::Timer;
use super::seeds::{self, intn, Purpose};
use super::{ChaosEngine, EngineError};
use crate::driver::Driver;
use crate::faults::{Fault, FaultPlan, FaultSchedule, Nemesis};
use crate::history::{OpResult, OperationHistory, OperationRecord};
use crate::sync_plan::{pulled_something, SyncPlan};

/// How often the loop syncs: a batch size drawn uniformly from the mode's range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncMode {
    /// 3–10 actions between syncs.
    Adaptive,
    /// 1–3.
    Aggressive,
    /// 1–20.
    Random,
}

impl SyncMode {
    pub fn batch(self) -> (usize, usize) {
        match self {
            SyncMode::Adaptive => (3, 10),
            SyncMode::Aggressive => (1, 3),
            SyncMode::Random => (1, 20),
        }
    }

    pub fn parse(s: &str) -> Option<SyncMode> {
        Some(match s {
            "adaptive" => SyncMode::Adaptive,
            "aggressive" => SyncMode::Aggressive,
            "random" => SyncMode::Random,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SyncMode::Adaptive => "adaptive",
            SyncMode::Aggressive => "aggressive",
            SyncMode::Random => "random",
        }
    }
}

/// When the loop stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Budget {
    /// After this many non-skipped actions (replayable).
    Actions(u64),
    /// After this much wall time (not replayable action for action).
    Duration(Duration),
}

/// Runtime chaos parameters (the case file's on-disk form lives in `case/schema.rs`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChaosConfig {
    pub seed: u64,
    pub budget: Budget,
    pub sync_mode: SyncMode,
    /// % of iterations that are conflict rounds (two actors on one issue before a sync).
    pub conflict_rate: u32,
    /// % of iterations that are bursts (one actor, 5–8 unsynced edits of one issue).
    pub burst_rate: u32,
    /// % of sync points that sync a random subset of actors in random order instead of
    /// a full `sync_all`.
    pub subset_sync_rate: u32,
    /// Faults to inject (restarts, partitions, per-request faults, pauses, clocks); a
    /// non-empty plan needs a [`Nemesis`].
    pub faults: FaultPlan,
    /// % of the actors synced in a subset round that run `td sync --push` or `td sync
    /// --pull` alone (half each) instead of a full `td sync`.
    pub partial_sync_rate: u32,
    /// Action weights indexed like the action table (`None`: the table's own).
    pub weights: Option<Vec<u32>>,
    /// The swarm shape's description when the seed shaped this run (see `swarm`).
    pub swarm: Option<String>,
    /// Run the actors' actions between two sync points at once, one lane per actor (see
    /// `lanes`); only without faults, whose windows open and close between actions.
    pub lanes: bool,
}

impl ChaosConfig {
    /// `actions` actions, adaptive syncs, 20 % conflict rounds, 5 % bursts (bash used 10 %,
    /// which spends ~40 % of the actions on burst edits), 30 % subset syncs, no faults.
    pub fn new(seed: u64, actions: u64) -> Self {
        ChaosConfig {
            seed,
            budget: Budget::Actions(actions),
            sync_mode: SyncMode::Adaptive,
            conflict_rate: 20,
            burst_rate: 5,
            subset_sync_rate: 30,
            faults: FaultPlan::default(),
            partial_sync_rate: 20,
            weights: None,
            swarm: None,
            lanes: true,
        }
    }

    /// Whether this run uses parallel lanes.
    pub fn parallel(&self) -> bool {
        self.lanes && self.faults.is_empty()
    }

    /// This config reshaped by its seed's swarm draw (actions and weights, fault kinds and
    /// rates, conflict rate, sync mode); the budget and everything else stay.
    pub fn swarmed(self) -> Self {
        let shape = super::swarm::SwarmShape::draw(self.seed, &self.faults);
        ChaosConfig {
            sync_mode: shape.sync_mode,
            conflict_rate: shape.conflict_rate,
            faults: shape.faults.clone(),
            swarm: Some(shape.describe()),
            weights: Some(shape.weights),
            ..self
        }
    }

    /// The derived parameters, for the seed block a case prints first.
    pub fn describe(&self) -> String {
        let budget = match self.budget {
            Budget::Actions(n) => format!("actions={n}"),
            Budget::Duration(d) => format!("duration={d:?} (wall clock: not replayable)"),
        };
        let (lo, hi) = self.sync_mode.batch();
        let swarm = self
            .swarm
            .as_ref()
            .map_or_else(String::new, |s| format!(" {s}"));
        format!(
            "{} {budget} sync-mode={} ({lo}-{hi}) conflict-rate={}% burst-rate={}% \
             subset-sync-rate={}% partial-sync-rate={}% lanes={} {}{swarm}",
            seeds::SeedPlan::new(self.seed),
            self.sync_mode.as_str(),
            self.conflict_rate,
            self.burst_rate,
            self.subset_sync_rate,
            self.partial_sync_rate,
            if self.parallel() { "parallel" } else { "off" },
            self.faults.describe()
        )
    }
}

/// Where the loop is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub actions_done: u64,
    /// `None` for duration budgets.
    pub total: Option<u64>,
    pub syncs: u64,
    pub unexpected: u64,
    /// Faults started by the schedule so far (per-request firings are counted by the world).
    pub faults: u64,
    pub elapsed: Duration,
}

/// What the loop is connected to besides the driver.
#[derive(Default)]
pub struct ChaosHooks<'h> {
    /// Every td invocation, sync and skip is recorded here (kept by the caller even when
    /// the loop stops with an error).
    pub history: Arc<OperationHistory>,
    pub nemesis: Option<&'h dyn Nemesis>,
    /// Called after every loop iteration.
    pub progress: Option<&'h mut dyn FnMut(&Progress)>,
    /// Called with the actor's name after each of its successful syncs (session guarantees
    /// are checked there, during the run).
    pub after_sync: Option<&'h mut dyn FnMut(&str)>,
}

/// The loop's result. The engine is returned so the caller can heal (`sync_all`), refresh
/// the models and hand them to the verifier.
pub struct ChaosOutcome<'d> {
    pub engine: ChaosEngine<'d>,
    pub actions_done: u64,
    pub iterations: u64,
    /// Sync points (a full `sync_all` or a subset round), failed ones included.
    pub syncs: u64,
    /// Syncs that failed with no fault to explain it (each one is a finding).
    pub sync_errors: Vec<String>,
    /// Syncs whose outcome a fault made unknown (`info` in the history).
    pub info_syncs: u64,
    /// Faults the schedule started (restarts, partitions, pauses, clock jumps).
    pub faults_started: u64,
    pub elapsed: Duration,
    /// False when the run stopped on wall time.
    pub replayable: bool,
}

/// Runs the chaos loop on `driver` until the budget is spent. Infrastructure failures
/// (driver spawn errors, database reads, a fault that cannot be injected) stop it with an
/// error; failed td commands are results in the engine's stats; failed syncs are `info`
/// when a fault explains them and listed in `sync_errors` otherwise.
pub fn run_chaos<'d>(
    driver: &'d dyn Driver,
    config: &ChaosConfig,
    hooks: ChaosHooks<'_>,
) -> Result<ChaosOutcome<'d>, EngineError> {
    if !config.faults.is_empty() && hooks.nemesis.is_none() {
        return Err(EngineError::Config(format!(
            "{} needs a nemesis to inject them",
            config.faults.describe()
        )));
    }
    let mut engine = ChaosEngine::new(driver, config.seed)?.with_history(hooks.history);
    if let Some(w) = &config.weights {
        engine = engine.with_weights(w);
    }
    engine.refresh_all()?;
    let faults = FaultSchedule::new(&config.faults, config.seed);
    let mut run = Run {
        config,
        nemesis: hooks.nemesis,
        after_sync: hooks.after_sync,
        loop_rng: seeds::stream(config.seed, Purpose::Loop),
        schedule: Schedule::new(config),
        faults,
        start: Instant::now(),
        done: 0,
        iterations: 0,
        syncs: 0,
        sync_errors: Vec::new(),
        info_syncs: 0,
        faults_started: 0,
    };
    let initial = run.faults.initial(&engine.actors);
    run.invoke_all(&initial)?;
    let mut progress = hooks.progress;
    while !run.finished() {
        run.iterate(&mut engine)?;
        if let Some(cb) = progress.as_mut() {
            cb(&run.progress(&engine));
        }
    }
    Ok(ChaosOutcome {
        engine,
        actions_done: run.done,
        iterations: run.iterations,
        syncs: run.syncs,
        sync_errors: run.sync_errors,
        info_syncs: run.info_syncs,
        faults_started: run.faults_started,
        elapsed: run.start.elapsed(),
        replayable: matches!(config.budget, Budget::Actions(_)),
    })
}

/// The sync schedule: its own stream (batch sizes, subset choice and order).
struct Schedule {
    rng: Pcg64,
    lo: usize,
    hi: usize,
    next: usize,
    since: usize,
}

impl Schedule {
    fn new(config: &ChaosConfig) -> Self {
        let (lo, hi) = config.sync_mode.batch();
        let mut s = Schedule {
            rng: seeds::stream(config.seed, Purpose::Sync),
            lo,
            hi,
            next: 0,
            since: 0,
        };
        s.redraw();
        s
    }

    fn redraw(&mut self) {
        self.next = self.lo + intn(&mut self.rng, self.hi - self.lo + 1);
        self.since = 0;
    }
}

struct Run<'c, 'n> {
    config: &'c ChaosConfig,
    nemesis: Option<&'n dyn Nemesis>,
    after_sync: Option<&'n mut dyn FnMut(&str)>,
    loop_rng: Pcg64,
    schedule: Schedule,
    faults: FaultSchedule,
    start: Instant,
    done: u64,
    iterations: u64,
    syncs: u64,
    sync_errors: Vec<String>,
    info_syncs: u64,
    faults_started: u64,
}

/// How one sync ended.
enum SyncEnd {
    Ok,
    /// Failed, and a fault explains it: the outcome is unknown.
    Info(String),
    /// Failed with nothing to explain it.
    Failed(String),
}

impl Run<'_, '_> {
    fn finished(&self) -> bool {
        match self.config.budget {
            // Skips do not count toward the target; the valve stops a model that can only
            // skip (bash's 5× rule).
            Budget::Actions(n) => self.done >= n || self.iterations >= n.saturating_mul(5),
            Budget::Duration(d) => self.start.elapsed() >= d,
        }
    }

    fn progress(&self, engine: &ChaosEngine<'_>) -> Progress {
        Progress {
            actions_done: self.done,
            total: match self.config.budget {
                Budget::Actions(n) => Some(n),
                Budget::Duration(_) => None,
            },
            syncs: self.syncs,
            unexpected: engine.stats.unexpected,
            faults: self.faults_started,
            elapsed: self.start.elapsed(),
        }
    }

    fn iterate(&mut self, engine: &mut ChaosEngine<'_>) -> Result<(), EngineError> {
        let n = if self.config.parallel() {
            self.lanes(engine)?
        } else {
            self.iterations += 1;
            match self.draw_round() {
                Round::Single => self.single(engine)?,
                round => self.round(engine, round)?,
            }
        };
        self.done += n;
        self.schedule.since += n as usize;
        if let Some(nemesis) = self.nemesis {
            for actor in &engine.actors {
                nemesis.after_op(actor, true);
            }
        }
        self.nemesis_step(engine)?;
        if self.schedule.since >= self.schedule.next {
            self.sync_point(engine)?;
            self.schedule.redraw();
        }
        Ok(())
    }

    /// A burst, a conflict round or a single action, drawn from the loop stream.
    fn draw_round(&mut self) -> Round {
        if intn(&mut self.loop_rng, 100) < self.config.burst_rate as usize {
            Round::Burst
        } else if intn(&mut self.loop_rng, 100) < self.config.conflict_rate as usize {
            Round::Conflict(intn(&mut self.loop_rng, 100))
        } else {
            Round::Single
        }
    }

    /// Runs a burst or a conflict round; returns the actions that counted.
    fn round(&mut self, engine: &mut ChaosEngine<'_>, round: Round) -> Result<u64, EngineError> {
        match round {
            Round::Burst => engine.burst(),
            Round::Conflict(kind) if (REMOTE_DELETE..REMOTE_DELETE + 10).contains(&kind) => {
                self.remote_delete_round(engine)
            }
            Round::Conflict(kind) => engine.conflict_round(kind),
            Round::Single => self.single(engine),
        }
    }

    /// One drawn action, maybe followed by its undo.
    fn single(&mut self, engine: &mut ChaosEngine<'_>) -> Result<u64, EngineError> {
        let r = engine.run_action()?;
        let mut n = counts(&r);
        if undo_follows(&r, &mut self.loop_rng) {
            n += counts(&engine.run_named_as(&r.actor, "undo")?);
        }
        Ok(n)
    }

    /// Parallel lanes: up to the next sync point, single actions are queued each to an
    /// actor drawn from the actions stream, and rounds are planned into the actors' queues;
    /// every actor's queue then runs as its lane, all at once. A round is planned on fresh
    /// models (the queues so far run first); a remote delete, which needs a judged push in
    /// the middle, runs alone.
    fn lanes(&mut self, engine: &mut ChaosEngine<'_>) -> Result<u64, EngineError> {
        let n_actors = engine.actors.len();
        let mut queues = vec![VecDeque::new(); n_actors];
        let mut planned = 0usize;
        let mut n = 0;
        while self.schedule.since + planned < self.schedule.next && !self.spent(planned) {
            self.iterations += 1;
            let round = self.draw_round();
            if round == Round::Single {
                let a = super::selection::select_actor(n_actors, &mut engine.pick);
                queues[a].push_back(LaneItem::Single);
                planned += 1;
                continue;
            }
            let ran = std::mem::replace(&mut queues, vec![VecDeque::new(); n_actors]);
            n += run_counted(engine, ran)?;
            if let Round::Conflict(kind) = round {
                if (REMOTE_DELETE..REMOTE_DELETE + 10).contains(&kind) {
                    n += self.remote_delete_round(engine)?;
                    return Ok(n);
                }
            }
            let plan = match round {
                Round::Burst => engine.plan_burst(),
                Round::Conflict(kind) => engine.plan_conflict(kind)?,
                Round::Single => unreachable!("queued above"),
            };
            for (a, item) in plan {
                planned += item.weight();
                queues[a].push_back(item);
            }
        }
        Ok(n + run_counted(engine, queues)?)
    }

    /// Whether `planned` more actions would reach the action budget.
    fn spent(&self, planned: usize) -> bool {
        match self.config.budget {
            Budget::Actions(n) => self.done + planned as u64 >= n,
            Budget::Duration(_) => false,
        }
    }

    /// One actor deletes an issue another holds live and pushes (`td sync --push`); the
    /// other then edits it before pulling. Without a shared live issue: a conflict round.
    fn remote_delete_round(&mut self, engine: &mut ChaosEngine<'_>) -> Result<u64, EngineError> {
        let Some((a, b, id, deleted)) = engine.remote_delete()? else {
            return engine.conflict_round(REMOTE_DELETE + 10);
        };
        self.sync_verb(engine, a, SyncVerb::PushOnly);
        engine.refresh_index(a)?;
        Ok(deleted + engine.unaware_edits(b, &id)?)
    }

    /// The schedule's faults after this iteration: windows that close, faults that start.
    fn nemesis_step(&mut self, engine: &ChaosEngine<'_>) -> Result<(), EngineError> {
        if self.config.faults.is_empty() {
            return Ok(());
        }
        let (end, start) = self.faults.after_iteration(self.done, &engine.actors);
        let nemesis = self.nemesis.expect("checked at start");
        for f in &end {
            nemesis.end(f).map_err(EngineError::Nemesis)?;
        }
        self.invoke_all(&start)
    }

    fn invoke_all(&mut self, faults: &[Fault]) -> Result<(), EngineError> {
        let Some(nemesis) = self.nemesis else {
            return Ok(());
        };
        for f in faults {
            nemesis.invoke(f).map_err(EngineError::Nemesis)?;
            self.faults_started += u64::from(f.kind().is_some());
        }
        Ok(())
    }

    /// A full `sync_all`, or (subset_sync_rate %) `td sync` for 1..=n actors in random
    /// order; each synced actor's model is then re-read from its database. The server may
    /// be paused for one actor's sync first.
    fn sync_point(&mut self, engine: &mut ChaosEngine<'_>) -> Result<(), EngineError> {
        self.syncs += 1;
        if !self.config.faults.is_empty() && self.faults.pause_for_sync() {
            // One sync against the stopped server: its requests queue and time out.
            self.invoke_all(&[Fault::ServerPause])?;
            let first = intn(&mut self.schedule.rng, engine.actors.len());
            self.sync_one(engine, first);
            let nemesis = self.nemesis.expect("checked at start");
            nemesis
                .end(&Fault::ServerPause)
                .map_err(EngineError::Nemesis)?;
            engine.refresh_if_stale(first)?;
        }
        self.sync_point_inner(engine)
    }

    fn sync_point_inner(&mut self, engine: &mut ChaosEngine<'_>) -> Result<(), EngineError> {
        let n = engine.actors.len();
        let rng = &mut self.schedule.rng;
        if intn(rng, 100) < self.config.subset_sync_rate as usize {
            let mut order: Vec<usize> = (0..n).collect();
            for i in (1..n).rev() {
                order.swap(i, intn(rng, i + 1));
            }
            order.truncate(1 + intn(rng, n));
            for a in order {
                let verb = SyncVerb::draw(&mut self.schedule.rng, self.config.partial_sync_rate);
                let _ = self.sync_verb(engine, a, verb);
                engine.refresh_if_stale(a)?;
            }
            return Ok(());
        }
        self.sync_everyone(engine);
        (0..n).try_for_each(|a| engine.refresh_if_stale(a))
    }

    /// Every actor, round after round, one by one (each sync's outcome judged on its own),
    /// skipping those that already hold everything ([`SyncPlan`]). An actor a fault kept
    /// from syncing sits out the later rounds (it would only wait for the same timeout).
    fn sync_everyone(&mut self, engine: &mut ChaosEngine<'_>) {
        let n = engine.actors.len();
        let mut sat_out = vec![false; n];
        let mut plan = SyncPlan::new(n);
        for round in 0..SYNC_ALL_ROUNDS {
            for (a, out) in sat_out.iter_mut().enumerate() {
                if *out || !plan.needs(round, a) {
                    continue;
                }
                let (end, output) = self.sync_verb_said(engine, a, SyncVerb::Full);
                match end {
                    SyncEnd::Ok => plan.synced(a, &output),
                    SyncEnd::Info(_) => {
                        *out = true;
                        plan.failed(a);
                    }
                    SyncEnd::Failed(_) => plan.failed(a),
                }
            }
        }
    }

    fn sync_one(&mut self, engine: &mut ChaosEngine<'_>, a: usize) -> SyncEnd {
        self.sync_verb(engine, a, SyncVerb::Full)
    }

    /// `td sync`, `td sync --push` or `td sync --pull` as actor `a`, judged and recorded.
    fn sync_verb(&mut self, engine: &mut ChaosEngine<'_>, a: usize, verb: SyncVerb) -> SyncEnd {
        self.sync_verb_said(engine, a, verb).0
    }

    /// [`Self::sync_verb`], with what td printed.
    fn sync_verb_said(
        &mut self,
        engine: &mut ChaosEngine<'_>,
        a: usize,
        verb: SyncVerb,
    ) -> (SyncEnd, String) {
        let actor = engine.actors[a].clone();
        let actor = actor.as_str();
        let before = self.nemesis.map_or(0, |n| n.disturbances(actor));
        let started = Instant::now();
        let ran = match verb {
            SyncVerb::Full => engine.driver.sync(actor),
            _ => engine.driver.td(actor, &verb.args()),
        };
        engine.profile.td_syncs += started.elapsed();
        engine.profile.td_sync_runs += 1;
        let applied_nothing = matches!(&ran, Ok(o) if o.ok() && !pulled_something(&o.output));
        if !applied_nothing {
            engine.mark_stale(a);
        }
        let observing = Timer::start();
        let (output, end) = match ran {
            Ok(out) if out.ok() => (out.output, SyncEnd::Ok),
            Ok(out) => {
                let why = format!("sync {actor}: exit {:?}: {}", out.code, out.output.trim());
                (out.output, self.judge(actor, before, why))
            }
            Err(e) => {
                let why = format!("sync {actor}: {e}");
                (String::new(), self.judge(actor, before, why))
            }
        };
        if let Some(n) = self.nemesis {
            n.after_op(actor, matches!(end, SyncEnd::Ok));
        }
        // Session guarantees are judged after full syncs only: a push alone pulls nothing,
        // a pull alone leaves local writes unpushed.
        if let (SyncEnd::Ok, SyncVerb::Full, Some(observe)) = (&end, verb, self.after_sync.as_mut())
        {
            observe(actor);
        }
        engine.profile.observers += observing.stop();
        let result = match &end {
            SyncEnd::Ok => None,
            SyncEnd::Info(why) => {
                self.info_syncs += 1;
                Some((OpResult::Info, why.as_str()))
            }
            SyncEnd::Failed(why) => Some((OpResult::UnexpectedFail, why.as_str())),
        };
        record_sync(&engine.history, verb, actor, started, &output, result);
        if let SyncEnd::Failed(why) = &end {
            self.sync_errors.push(why.clone());
        }
        (end, output)
    }

    /// A failed sync is `info` when a fault touched it or cut the actor off.
    fn judge(&self, actor: &str, before: u64, why: String) -> SyncEnd {
        let explained = self
            .nemesis
            .is_some_and(|n| n.disturbances(actor) != before || n.cut_off(actor));
        if explained {
            SyncEnd::Info(why)
        } else {
            SyncEnd::Failed(why)
        }
    }
}

/// What the loop draws for one iteration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Round {
    Single,
    Burst,
    /// A conflict round of this kind (0..100; see `conflict` and [`REMOTE_DELETE`]).
    Conflict(usize),
}

/// Runs the queues as parallel lanes; returns the actions that counted.
fn run_counted(
    engine: &mut ChaosEngine<'_>,
    queues: Vec<VecDeque<LaneItem>>,
) -> Result<u64, EngineError> {
    Ok(engine
        .run_lanes(queues, undo_follows)?
        .iter()
        .map(counts)
        .sum())
}

/// 1 for an action that ran (skips do not count toward the budget).
fn counts(r: &super::ActionResult) -> u64 {
    u64::from(!matches!(r.outcome, super::Outcome::Skipped(_)))
}

/// Undo right after a successful action: over a run, undo meets every kind td can revert in
/// proportion to how often it happens (the table's own `undo` mostly meets the most
/// frequent ones). Draws only after an undoable success.
fn undo_follows(r: &super::ActionResult, rng: &mut Pcg64) -> bool {
    r.outcome.is_ok() && UNDOABLE.contains(&r.action) && intn(rng, 100) < UNDO_FOLLOW_RATE
}

/// % of successful undoable actions the same actor undoes at once.
const UNDO_FOLLOW_RATE: usize = 6;

/// Actions whose row `td undo` picks (comments, logs and work-session rows it skips).
const UNDOABLE: &[&str] = &[
    "create",
    "create_child",
    "unlink",
    "cascade_handoff",
    "cascade_review",
    "update",
    "update_append",
    "delete",
    "restore",
    "update_bulk",
    "start",
    "unstart",
    "review",
    "approve",
    "reject",
    "close",
    "reopen",
    "bulk_start",
    "bulk_review",
    "bulk_close",
    "block",
    "unblock",
    "dep_add",
    "dep_rm",
    "board_create",
    "board_edit",
    "board_move",
    "board_unposition",
    "board_delete",
    "board_view_mode",
    "handoff",
    "link",
];

/// Conflict-round rolls `REMOTE_DELETE..REMOTE_DELETE + 10` are remote-delete rounds (taken
/// from the paired rounds' share, see `conflict`).
const REMOTE_DELETE: usize = 80;

/// Which sync command an actor runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SyncVerb {
    Full,
    PushOnly,
    PullOnly,
}

impl SyncVerb {
    /// Full, or (`partial_rate` %) push-only or pull-only, half each.
    fn draw(rng: &mut Pcg64, partial_rate: u32) -> SyncVerb {
        if intn(rng, 100) >= partial_rate as usize {
            return SyncVerb::Full;
        }
        if intn(rng, 2) == 0 {
            SyncVerb::PushOnly
        } else {
            SyncVerb::PullOnly
        }
    }

    /// The history's action name.
    fn action(self) -> &'static str {
        match self {
            SyncVerb::Full => "sync",
            SyncVerb::PushOnly => "sync_push",
            SyncVerb::PullOnly => "sync_pull",
        }
    }

    fn args(self) -> Vec<String> {
        let mut args = vec!["sync".to_string()];
        match self {
            SyncVerb::Full => {}
            SyncVerb::PushOnly => args.push("--push".into()),
            SyncVerb::PullOnly => args.push("--pull".into()),
        }
        args
    }
}

/// Rounds of a full sync point in worlds with a nemesis (as `[world] sync_rounds`).
const SYNC_ALL_ROUNDS: usize = 2;

fn record_sync(
    history: &OperationHistory,
    verb: impl Into<SyncName>,
    actor: &str,
    started: Instant,
    output: &str,
    failure: Option<(OpResult, &str)>,
) {
    let (result, error) = failure.unwrap_or((OpResult::Ok, ""));
    let SyncName(action, args) = verb.into();
    let mut rec = OperationRecord::new(action, actor, result);
    rec.output = output.to_string();
    rec.duration_ns = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
    rec.error = error.to_string();
    rec.args = args;
    history.record(rec);
}

/// A sync record's action name and args (`sync_all` has none).
struct SyncName(&'static str, Option<Vec<String>>);

impl From<SyncVerb> for SyncName {
    fn from(v: SyncVerb) -> Self {
        SyncName(v.action(), Some(v.args()))
    }
}

impl From<&'static str> for SyncName {
    fn from(action: &'static str) -> Self {
        SyncName(action, None)
    }
}
