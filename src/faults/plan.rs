//! [`FaultPlan`]: the `[faults]` of a chaos case in runtime form; [`FaultSchedule`]: the
//! nemesis's generator, which turns the plan into faults at chosen operations from its own
//! seeded stream (`Purpose::Nemesis`), so one seed replays the same faults at the same
//! operations. Per-request faults are drawn by each actor's proxy from its own stream.

use std::time::Duration;

use rand_pcg::Pcg64;

use super::kind::{format_offset, Fault, FaultKind, PartitionMode, RequestRates};
use crate::engine::seeds::{self, intn, Purpose};

/// What faults a chaos run injects, and how often.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FaultPlan {
    /// kill -9 and restart the server every N actions (0 = never).
    pub server_restart_every: u64,
    /// Basis points (1/100 %) of loop iterations that open a partition window (when none
    /// is open).
    pub partition: u32,
    /// Modes a partition draws from (default: all three).
    pub partition_modes: Vec<PartitionMode>,
    /// Window length in actions, drawn uniformly in `[lo, hi]`.
    pub partition_actions: (u64, u64),
    /// Per-request faults on every actor's proxy.
    pub requests: RequestRates,
    /// Basis points of sync points during which the server is paused (SIGSTOP).
    pub server_pause: u32,
    /// Fixed clock offsets in seconds, one per actor in order (missing = real time).
    pub clock_offsets: Vec<i64>,
    /// Basis points of loop iterations where one actor's clock jumps to a new offset.
    pub clock_jump: u32,
}

/// Clock jumps land between one minute and three days away, either direction.
const JUMP_RANGE_SECS: (i64, i64) = (60, 3 * 86_400);

impl FaultPlan {
    /// True when the plan injects nothing.
    pub fn is_empty(&self) -> bool {
        self.kinds().is_empty()
    }

    /// Every kind this plan can fire; each must fire at least once in a run.
    pub fn kinds(&self) -> Vec<FaultKind> {
        let mut out = Vec::new();
        let mut add = |on: bool, k: FaultKind| {
            if on {
                out.push(k);
            }
        };
        add(self.server_restart_every > 0, FaultKind::ServerRestart);
        add(self.partition > 0, FaultKind::Partition);
        add(self.server_pause > 0, FaultKind::ServerPause);
        add(
            self.clock_jump > 0 || self.clock_offsets.iter().any(|&o| o != 0),
            FaultKind::ClockSkew,
        );
        out.extend(self.requests.kinds());
        out.sort();
        out.dedup();
        out
    }

    /// True when some fault needs libfaketime.
    pub fn needs_faketime(&self) -> bool {
        self.kinds().contains(&FaultKind::ClockSkew)
    }

    /// One line for the seed block.
    pub fn describe(&self) -> String {
        if self.is_empty() {
            return "faults=none".into();
        }
        let mut parts = Vec::new();
        if self.server_restart_every > 0 {
            parts.push(format!(
                "server_restart_every={}",
                self.server_restart_every
            ));
        }
        if self.partition > 0 {
            let modes: Vec<&str> = self.modes().iter().map(|m| m.name()).collect();
            parts.push(format!(
                "partition={}% ({}; {}-{} actions)",
                pct(self.partition),
                modes.join("/"),
                self.partition_actions.0,
                self.partition_actions.1
            ));
        }
        for (k, bp) in &self.requests.basis_points {
            if *bp > 0 {
                parts.push(format!("{}={}%/request", k.name(), pct(*bp)));
            }
        }
        if let Some((lo, hi)) = self.requests.latency {
            parts.push(format!("latency={}-{}ms", lo.as_millis(), hi.as_millis()));
        }
        if let Some(bps) = self.requests.slow_link {
            parts.push(format!("slow_link={bps}B/s"));
        }
        if self.server_pause > 0 {
            parts.push(format!(
                "server_pause={}%/sync point",
                pct(self.server_pause)
            ));
        }
        if !self.clock_offsets.is_empty() {
            let o: Vec<String> = self
                .clock_offsets
                .iter()
                .map(|&s| format_offset(s))
                .collect();
            parts.push(format!("clock=[{}]", o.join(", ")));
        }
        if self.clock_jump > 0 {
            parts.push(format!("clock_jump={}%", pct(self.clock_jump)));
        }
        format!("faults: {}", parts.join(" "))
    }

    fn modes(&self) -> Vec<PartitionMode> {
        if self.partition_modes.is_empty() {
            PartitionMode::ALL.to_vec()
        } else {
            self.partition_modes.clone()
        }
    }
}

/// Basis points as a percentage for people.
fn pct(bp: u32) -> f64 {
    f64::from(bp) / 100.0
}

/// An open partition window.
#[derive(Debug, Clone)]
struct Window {
    fault: Fault,
    heal_at: u64,
}

/// The nemesis's decisions during one chaos run.
pub struct FaultSchedule {
    plan: FaultPlan,
    seed: u64,
    rng: Pcg64,
    window: Option<Window>,
    next_restart: u64,
}

impl FaultSchedule {
    pub fn new(plan: &FaultPlan, seed: u64) -> Self {
        FaultSchedule {
            plan: plan.clone(),
            seed,
            rng: seeds::stream(seed, Purpose::Nemesis),
            window: None,
            next_restart: plan.server_restart_every,
        }
    }

    pub fn plan(&self) -> &FaultPlan {
        &self.plan
    }

    /// Faults that hold for the whole run: per-request rates and fixed clock offsets.
    pub fn initial(&self, actors: &[String]) -> Vec<Fault> {
        let mut out = Vec::new();
        for (i, actor) in actors.iter().enumerate() {
            if !self.plan.requests.is_empty() {
                out.push(Fault::Requests {
                    actor: actor.clone(),
                    rates: self.plan.requests.clone(),
                    seed: self.seed,
                });
            }
            if let Some(&offset) = self.plan.clock_offsets.get(i).filter(|&&o| o != 0) {
                out.push(Fault::ClockSkew {
                    actor: actor.clone(),
                    offset_secs: offset,
                });
            }
        }
        out
    }

    /// After an iteration that brought the action count to `done`: the faults to end, then
    /// the faults to start. Exactly three draws per call, whatever is decided.
    pub fn after_iteration(&mut self, done: u64, actors: &[String]) -> (Vec<Fault>, Vec<Fault>) {
        let open = intn(&mut self.rng, 10_000);
        let shape = intn(&mut self.rng, 1 << 30) as u64;
        let jump = intn(&mut self.rng, 10_000);
        let mut end = Vec::new();
        let mut start = Vec::new();
        if let Some(w) = self.window.take() {
            if done >= w.heal_at {
                end.push(w.fault);
            } else {
                self.window = Some(w);
            }
        }
        let every = self.plan.server_restart_every;
        if every > 0 && done >= self.next_restart {
            start.push(Fault::ServerRestart);
            self.next_restart = (done / every + 1) * every;
        }
        if self.window.is_none() && end.is_empty() && open < self.plan.partition as usize {
            let fault = self.partition(shape, actors);
            let (lo, hi) = self.plan.partition_actions;
            let len = lo + (shape >> 8) % (hi.saturating_sub(lo) + 1);
            self.window = Some(Window {
                fault: fault.clone(),
                heal_at: done + len.max(1),
            });
            start.push(fault);
        }
        if jump < self.plan.clock_jump as usize {
            start.push(self.jump(shape, actors));
        }
        (end, start)
    }

    fn partition(&self, shape: u64, actors: &[String]) -> Fault {
        let modes = self.plan.modes();
        Fault::Partition {
            actor: actors[(shape % actors.len() as u64) as usize].clone(),
            mode: modes[((shape >> 4) % modes.len() as u64) as usize],
        }
    }

    fn jump(&self, shape: u64, actors: &[String]) -> Fault {
        let (lo, hi) = JUMP_RANGE_SECS;
        let magnitude = lo + ((shape >> 12) as i64) % (hi - lo + 1);
        let sign = if shape & (1 << 11) == 0 { 1 } else { -1 };
        Fault::ClockSkew {
            actor: actors[((shape >> 2) % actors.len() as u64) as usize].clone(),
            offset_secs: sign * magnitude,
        }
    }

    /// Before a sync point: pause the server for it? One draw per call.
    pub fn pause_for_sync(&mut self) -> bool {
        intn(&mut self.rng, 10_000) < self.plan.server_pause as usize
    }

    /// The window still open at the end of the run (healed by the final heal).
    pub fn open_window(&self) -> Option<&Fault> {
        self.window.as_ref().map(|w| &w.fault)
    }
}

/// The default window length of a partition, in actions.
pub const DEFAULT_PARTITION_ACTIONS: (u64, u64) = (3, 12);

/// How long td waits for the server in worlds with network faults (td's own default is
/// 30 s, which would make every blackholed request cost half a minute).
pub const FAULT_TD_TIMEOUT: Duration = Duration::from_secs(2);

#[cfg(test)]
mod tests {
    use super::*;

    fn actors() -> Vec<String> {
        vec!["alice".into(), "bob".into()]
    }

    fn plan() -> FaultPlan {
        FaultPlan {
            server_restart_every: 10,
            partition: 2_000,
            partition_actions: DEFAULT_PARTITION_ACTIONS,
            clock_jump: 1_000,
            ..FaultPlan::default()
        }
    }

    fn run(seed: u64) -> Vec<String> {
        let mut s = FaultSchedule::new(&plan(), seed);
        let mut out = Vec::new();
        for done in 1..=100 {
            let (end, start) = s.after_iteration(done, &actors());
            for f in end {
                out.push(format!("{done} end {}", f.describe()));
            }
            for f in start {
                out.push(format!("{done} start {}", f.describe()));
            }
        }
        out
    }

    #[test]
    fn same_seed_same_faults_at_same_operations() {
        assert_eq!(run(7), run(7));
        assert_ne!(run(7), run(8));
    }

    #[test]
    fn windows_open_and_close_and_restarts_keep_their_rhythm() {
        let log = run(3);
        let starts = log.iter().filter(|l| l.contains("start partition")).count();
        let ends = log.iter().filter(|l| l.contains("end partition")).count();
        assert!(starts >= 3, "{log:#?}");
        assert!(ends + 1 >= starts && ends <= starts);
        let restarts = log.iter().filter(|l| l.contains("restart")).count();
        assert_eq!(restarts, 10);
        assert!(log.iter().any(|l| l.contains("clock of")));
    }

    #[test]
    fn kinds_name_what_the_plan_fires() {
        let mut p = plan();
        p.requests.basis_points.insert(FaultKind::LostResponse, 300);
        p.requests.latency = Some((Duration::from_millis(1), Duration::from_millis(5)));
        assert_eq!(
            p.kinds(),
            vec![
                FaultKind::Partition,
                FaultKind::LostResponse,
                FaultKind::Latency,
                FaultKind::ServerRestart,
                FaultKind::ClockSkew
            ]
        );
        assert!(FaultPlan::default().is_empty());
    }
}
