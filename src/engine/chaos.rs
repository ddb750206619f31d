//! The chaos loop (harness spec §4.1, with the bash suite's conflict machinery, §8.3):
//! actions, bursts and conflict rounds between syncs; full `sync_all`s interleaved with
//! syncs of a random subset of actors in random order; the models refreshed from each synced
//! actor's database; an optional server restart every N actions through a [`Nemesis`].

use std::sync::Arc;
use std::time::{Duration, Instant};

use rand_pcg::Pcg64;

use super::seeds::{self, intn, Purpose};
use super::{ChaosEngine, EngineError};
use crate::driver::{Driver, DriverError};
use crate::history::{OpResult, OperationHistory, OperationRecord};

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
    /// Restart the server every N actions (0 = never); needs a [`Nemesis`].
    pub server_restart_every: u64,
}

impl ChaosConfig {
    /// `actions` actions, adaptive syncs, 20 % conflict rounds, 5 % bursts (bash used 10 %,
    /// which spends ~40 % of the actions on burst edits), 30 % subset syncs.
    pub fn new(seed: u64, actions: u64) -> Self {
        ChaosConfig {
            seed,
            budget: Budget::Actions(actions),
            sync_mode: SyncMode::Adaptive,
            conflict_rate: 20,
            burst_rate: 5,
            subset_sync_rate: 30,
            server_restart_every: 0,
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
             subset-sync-rate={}% server-restart-every={}",
            seeds::SeedPlan::new(self.seed),
            self.sync_mode.as_str(),
            self.conflict_rate,
            self.burst_rate,
            self.subset_sync_rate,
            self.server_restart_every
        )
    }
}

/// Faults the harness can inject; the engine only says when.
pub trait Nemesis {
    /// Stops and restarts the sync server, returning once it is healthy again.
    fn restart_server(&self) -> Result<(), DriverError>;
}

/// Where the loop is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub actions_done: u64,
    /// `None` for duration budgets.
    pub total: Option<u64>,
    pub syncs: u64,
    pub unexpected: u64,
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
}

/// The loop's result. The engine is returned so the caller can heal (`sync_all`), refresh
/// the models and hand them to the verifier.
pub struct ChaosOutcome<'d> {
    pub engine: ChaosEngine<'d>,
    pub actions_done: u64,
    pub iterations: u64,
    /// Sync points (a full `sync_all` or a subset round), failed ones included.
    pub syncs: u64,
    pub sync_errors: Vec<String>,
    pub restarts: u64,
    pub elapsed: Duration,
    /// False when the run stopped on wall time.
    pub replayable: bool,
}

/// Runs the chaos loop on `driver` until the budget is spent. Infrastructure failures
/// (driver spawn errors, database reads, a failed restart) stop it with an error; failed td
/// commands are results in the engine's stats, failed syncs are listed in the outcome.
pub fn run_chaos<'d>(
    driver: &'d dyn Driver,
    config: &ChaosConfig,
    hooks: ChaosHooks<'_>,
) -> Result<ChaosOutcome<'d>, EngineError> {
    if config.server_restart_every > 0 && hooks.nemesis.is_none() {
        return Err(EngineError::Config(
            "server_restart_every needs a nemesis to restart the server".into(),
        ));
    }
    let mut engine = ChaosEngine::new(driver, config.seed)?.with_history(hooks.history);
    engine.refresh_all()?;
    let mut run = Run {
        config,
        nemesis: hooks.nemesis,
        loop_rng: seeds::stream(config.seed, Purpose::Loop),
        schedule: Schedule::new(config),
        start: Instant::now(),
        done: 0,
        iterations: 0,
        syncs: 0,
        sync_errors: Vec::new(),
        restarts: 0,
        next_restart: config.server_restart_every,
    };
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
        restarts: run.restarts,
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
    loop_rng: Pcg64,
    schedule: Schedule,
    start: Instant,
    done: u64,
    iterations: u64,
    syncs: u64,
    sync_errors: Vec<String>,
    restarts: u64,
    next_restart: u64,
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
        self.maybe_restart()?;
        if self.schedule.since >= self.schedule.next {
            self.sync_point(engine)?;
            self.schedule.redraw();
        }
        Ok(())
    }

    fn maybe_restart(&mut self) -> Result<(), EngineError> {
        let every = self.config.server_restart_every;
        if every == 0 || self.done < self.next_restart {
            return Ok(());
        }
        let nemesis = self.nemesis.expect("checked at start");
        nemesis.restart_server().map_err(EngineError::Nemesis)?;
        self.restarts += 1;
        self.next_restart = (self.done / every + 1) * every;
        Ok(())
    }

    /// A full `sync_all`, or (subset_sync_rate %) `td sync` for 1..=n actors in random
    /// order; each synced actor's model is then re-read from its database.
    fn sync_point(&mut self, engine: &mut ChaosEngine<'_>) -> Result<(), EngineError> {
        self.syncs += 1;
        let n = engine.actors.len();
        let rng = &mut self.schedule.rng;
        if intn(rng, 100) < self.config.subset_sync_rate as usize {
            let mut order: Vec<usize> = (0..n).collect();
            for i in (1..n).rev() {
                order.swap(i, intn(rng, i + 1));
            }
            order.truncate(1 + intn(rng, n));
            for a in order {
                self.sync_one(engine, a);
                engine.refresh_index(a)?;
            }
            return Ok(());
        }
        let started = Instant::now();
        let result = engine.driver.sync_all();
        let error = result.err().map(|e| format!("sync_all: {e}"));
        record_sync(
            &engine.history,
            "sync_all",
            "*",
            started,
            "",
            error.as_deref(),
        );
        self.sync_errors.extend(error);
        engine.refresh_all()
    }

    fn sync_one(&mut self, engine: &ChaosEngine<'_>, a: usize) {
        let actor = &engine.actors[a];
        let started = Instant::now();
        let (output, error) = match engine.driver.sync(actor) {
            Ok(out) if out.ok() => (out.output, None),
            Ok(out) => {
                let why = format!("sync {actor}: exit {:?}: {}", out.code, out.output.trim());
                (out.output, Some(why))
            }
            Err(e) => (String::new(), Some(format!("sync {actor}: {e}"))),
        };
        record_sync(
            &engine.history,
            "sync",
            actor,
            started,
            &output,
            error.as_deref(),
        );
        self.sync_errors.extend(error);
    }
}

fn record_sync(
    history: &OperationHistory,
    action: &str,
    actor: &str,
    started: Instant,
    output: &str,
    error: Option<&str>,
) {
    let result = match error {
        None => OpResult::Ok,
        Some(_) => OpResult::UnexpectedFail,
    };
    let mut rec = OperationRecord::new(action, actor, result);
    rec.output = output.to_string();
    rec.duration_ns = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
    rec.error = error.unwrap_or_default().to_string();
    if action == "sync" {
        rec.args = Some(vec!["sync".to_string()]);
    }
    history.record(rec);
}
