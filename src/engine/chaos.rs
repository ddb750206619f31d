//! The chaos loop (harness spec §4.1, with the bash suite's conflict machinery, §8.3):
//! actions, bursts and conflict rounds between syncs; full `sync_all`s interleaved with
//! syncs of a random subset of actors in random order; the models refreshed from each synced
//! actor's database; faults from a [`FaultSchedule`] injected through a [`Nemesis`].

use std::sync::Arc;
use std::time::{Duration, Instant};

use rand_pcg::Pcg64;

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
        }
    }

    /// The derived parameters, for the seed block a case prints first.
    pub fn describe(&self) -> String {
        let budget = match self.budget {
            Budget::Actions(n) => format!("actions={n}"),
            Budget::Duration(d) => format!("duration={d:?} (wall clock: not replayable)"),
        };
        let (lo, hi) = self.sync_mode.batch();
        format!(
            "{} {budget} sync-mode={} ({lo}-{hi}) conflict-rate={}% burst-rate={}% \
             subset-sync-rate={}% {}",
            seeds::SeedPlan::new(self.seed),
            self.sync_mode.as_str(),
            self.conflict_rate,
            self.burst_rate,
            self.subset_sync_rate,
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
        self.iterations += 1;
        let n = if intn(&mut self.loop_rng, 100) < self.config.burst_rate as usize {
            engine.burst()?
        } else if intn(&mut self.loop_rng, 100) < self.config.conflict_rate as usize {
            let kind = intn(&mut self.loop_rng, 100);
            engine.conflict_round(kind)?
        } else {
            let r = engine.run_action()?;
            u64::from(!matches!(r.outcome, super::Outcome::Skipped(_)))
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
                let _ = self.sync_one(engine, a);
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
                let (end, output) = self.sync_one_said(engine, a);
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
        self.sync_one_said(engine, a).0
    }

    /// [`Self::sync_one`], with what td printed.
    fn sync_one_said(&mut self, engine: &mut ChaosEngine<'_>, a: usize) -> (SyncEnd, String) {
        let actor = engine.actors[a].clone();
        let actor = actor.as_str();
        let before = self.nemesis.map_or(0, |n| n.disturbances(actor));
        let started = Instant::now();
        let synced = engine.driver.sync(actor);
        engine.profile.td_syncs += started.elapsed();
        engine.profile.td_sync_runs += 1;
        let applied_nothing = matches!(&synced, Ok(o) if o.ok() && !pulled_something(&o.output));
        if !applied_nothing {
            engine.mark_stale(a);
        }
        let observing = Timer::start();
        let (output, end) = match synced {
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
        if let (SyncEnd::Ok, Some(observe)) = (&end, self.after_sync.as_mut()) {
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
        record_sync(&engine.history, "sync", actor, started, &output, result);
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

/// Rounds of a full sync point in worlds with a nemesis (as `[world] sync_rounds`).
const SYNC_ALL_ROUNDS: usize = 2;

fn record_sync(
    history: &OperationHistory,
    action: &str,
    actor: &str,
    started: Instant,
    output: &str,
    failure: Option<(OpResult, &str)>,
) {
    let (result, error) = failure.unwrap_or((OpResult::Ok, ""));
    let mut rec = OperationRecord::new(action, actor, result);
    rec.output = output.to_string();
    rec.duration_ns = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
    rec.error = error.to_string();
    if action == "sync" {
        rec.args = Some(vec!["sync".to_string()]);
    }
    history.record(rec);
}
