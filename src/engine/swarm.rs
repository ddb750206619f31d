//! Swarm testing (FoundationDB, TigerBeetle): each seed runs a differently shaped workload.
//! From its own stream (`Purpose::Swarm`) the seed enables a random subset of the actions
//! (create and update always stay, so every run does work) with random weights, keeps a
//! random subset of the case's fault kinds with rates scaled up to twice, and draws the
//! conflict rate and sync mode. The shape is printed with the seed, so a failing run is
//! replayed from the seed alone. Conflict rounds and bursts keep their own verbs (update,
//! comment, progress log, delete, dep add) whatever the shape.

use std::fmt::Write as _;

use super::actions::ACTIONS;
use super::chaos::SyncMode;
use super::seeds::{self, intn, Purpose};
use crate::faults::FaultPlan;

/// Actions every swarm keeps (with their table weight): a run must create and touch issues.
const ALWAYS: [&str; 2] = ["create", "update"];

/// One seed's workload shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SwarmShape {
    /// Weights indexed like [`ACTIONS`]; 0 = disabled.
    pub weights: Vec<u32>,
    pub conflict_rate: u32,
    pub sync_mode: SyncMode,
    pub faults: FaultPlan,
}

impl SwarmShape {
    /// Draws the shape of `seed` over the case's fault plan `base`.
    pub fn draw(seed: u64, base: &FaultPlan) -> SwarmShape {
        let mut rng = seeds::stream(seed, Purpose::Swarm);
        let weights = ACTIONS
            .iter()
            .map(|a| {
                if ALWAYS.contains(&a.name) {
                    a.weight
                } else if intn(&mut rng, 100) < 60 {
                    1 + intn(&mut rng, 2 * a.weight as usize) as u32
                } else {
                    0
                }
            })
            .collect();
        let conflict_rate = intn(&mut rng, 61) as u32;
        let sync_mode =
            [SyncMode::Adaptive, SyncMode::Aggressive, SyncMode::Random][intn(&mut rng, 3)];
        let faults = shape_faults(base, &mut rng);
        SwarmShape {
            weights,
            conflict_rate,
            sync_mode,
            faults,
        }
    }

    /// Enabled actions with weights and the disabled ones, for the seed block.
    pub fn describe(&self) -> String {
        let mut on = String::new();
        let mut off = Vec::new();
        for (a, w) in ACTIONS.iter().zip(&self.weights) {
            if *w > 0 {
                let _ = write!(on, "{}{}={w}", if on.is_empty() { "" } else { "," }, a.name);
            } else {
                off.push(a.name);
            }
        }
        format!("swarm: actions [{on}] off [{}]", off.join(","))
    }
}

/// Each kind of `base` kept with probability 1/2; kept rates scaled by 100–200 %.
fn shape_faults(base: &FaultPlan, rng: &mut rand_pcg::Pcg64) -> FaultPlan {
    let keep = |rng: &mut rand_pcg::Pcg64| intn(rng, 2) == 0;
    let scale = |bp: u32, rng: &mut rand_pcg::Pcg64| bp * (100 + intn(rng, 101) as u32) / 100;
    let mut f = base.clone();
    if f.server_restart_every > 0 && !keep(rng) {
        f.server_restart_every = 0;
    }
    if f.partition > 0 {
        f.partition = if keep(rng) {
            scale(f.partition, rng)
        } else {
            0
        };
    }
    if f.server_pause > 0 {
        f.server_pause = if keep(rng) {
            scale(f.server_pause, rng)
        } else {
            0
        };
    }
    if f.clock_jump > 0 {
        f.clock_jump = if keep(rng) {
            scale(f.clock_jump, rng)
        } else {
            0
        };
    }
    for bp in f.requests.basis_points.values_mut() {
        if *bp > 0 {
            *bp = if keep(rng) { scale(*bp, rng) } else { 0 };
        }
    }
    if f.requests.latency.is_some() && !keep(rng) {
        f.requests.latency = None;
    }
    if f.requests.slow_link.is_some() && !keep(rng) {
        f.requests.slow_link = None;
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::faults::FaultKind;

    fn base() -> FaultPlan {
        let mut f = FaultPlan {
            server_restart_every: 30,
            ..FaultPlan::default()
        };
        f.requests.basis_points.insert(FaultKind::LostResponse, 300);
        f.requests.basis_points.insert(FaultKind::Http500, 300);
        f
    }

    #[test]
    fn a_seed_replays_its_shape_and_seeds_differ() {
        assert_eq!(SwarmShape::draw(7, &base()), SwarmShape::draw(7, &base()));
        let shapes: Vec<SwarmShape> = (0..8).map(|s| SwarmShape::draw(s, &base())).collect();
        assert!(shapes.windows(2).any(|w| w[0].weights != w[1].weights));
        assert!(shapes.windows(2).any(|w| w[0].faults != w[1].faults));
    }

    #[test]
    fn create_and_update_always_stay_and_subsets_vary() {
        let mut off_somewhere = vec![false; ACTIONS.len()];
        for seed in 0..40 {
            let s = SwarmShape::draw(seed, &base());
            for name in ALWAYS {
                let i = ACTIONS.iter().position(|a| a.name == name).unwrap();
                assert_eq!(s.weights[i], ACTIONS[i].weight);
            }
            let on = s.weights.iter().filter(|w| **w > 0).count();
            assert!(on > 2 && on < ACTIONS.len(), "seed {seed}: {on} actions on");
            for (i, w) in s.weights.iter().enumerate() {
                off_somewhere[i] |= *w == 0;
            }
            assert!(s.conflict_rate <= 60);
            // Kinds only ever drop out; kept rates never shrink.
            for k in s.faults.kinds() {
                assert!(base().kinds().contains(&k));
            }
            for (k, bp) in &s.faults.requests.basis_points {
                assert!(*bp == 0 || *bp >= base().requests.basis_points[k]);
            }
            assert!(s
                .describe()
                .starts_with("swarm: actions [create=15,update=10"));
        }
        let never_off: Vec<&str> = ACTIONS
            .iter()
            .zip(&off_somewhere)
            .filter(|(_, off)| !**off)
            .map(|(a, _)| a.name)
            .collect();
        assert_eq!(never_off, ALWAYS);
    }
}
