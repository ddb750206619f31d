//! Sub-seeds: one case seed, one independent `Pcg64` stream per purpose (DESIGN.md
//! "Determinism"), so adding a draw to one purpose does not shift the others.

use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64;

/// What a stream is used for. The name is hashed into the derived seed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Actor, action and target selection.
    Actions,
    /// Every argument value (titles, labels, field choices, edge data).
    Data,
    /// Sync schedule: batch sizes, full vs subset syncs, subset order.
    Sync,
    /// Loop decisions: bursts and conflict rounds.
    Loop,
    /// The nemesis schedule: which fault starts or heals when.
    Nemesis,
    /// A fault proxy's per-request draws (one stream per actor, see [`stream_for`]).
    Proxy,
    /// A swarm run's shape: enabled actions and faults, weights (see `swarm`).
    Swarm,
    /// A parallel lane's actions and targets (one stream per actor, see `lanes`).
    LaneActions,
    /// A parallel lane's argument values (one stream per actor).
    LaneData,
    /// td's ids: one seed per device, mixed with its invocation count (see `harness`).
    Ids,
}

impl Purpose {
    pub fn name(self) -> &'static str {
        match self {
            Purpose::Actions => "actions",
            Purpose::Data => "data",
            Purpose::Sync => "sync",
            Purpose::Loop => "loop",
            Purpose::Nemesis => "nemesis",
            Purpose::Proxy => "proxy",
            Purpose::Swarm => "swarm",
            Purpose::LaneActions => "lane-actions",
            Purpose::LaneData => "lane-data",
            Purpose::Ids => "ids",
        }
    }
}

/// SplitMix64 finaliser: spreads nearby inputs over the whole u64 range.
pub fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// FNV-1a 64 of a purpose name (stable across Rust versions, unlike `DefaultHasher`).
fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01B3)
    })
}

/// The derived seed for `purpose`.
pub fn derive(seed: u64, purpose: Purpose) -> u64 {
    splitmix64(seed ^ fnv1a(purpose.name()))
}

/// A fresh stream for `purpose`.
pub fn stream(seed: u64, purpose: Purpose) -> Pcg64 {
    Pcg64::seed_from_u64(derive(seed, purpose))
}

/// A fresh stream for `purpose` that belongs to one `who` (an actor's proxy, say), so each
/// gets its own draws whatever the others do.
pub fn stream_for(seed: u64, purpose: Purpose, who: &str) -> Pcg64 {
    Pcg64::seed_from_u64(splitmix64(derive(seed, purpose) ^ fnv1a(who)))
}

/// Uniform integer in `[0, n)`; `n` must be > 0. Sampled as u64 so the stream is the same on
/// 32- and 64-bit targets.
pub fn intn(rng: &mut Pcg64, n: usize) -> usize {
    debug_assert!(n > 0, "intn(0)");
    rng.gen_range(0..n as u64) as usize
}

/// The seed block printed at the start of a case (TigerBeetle VOPR style).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeedPlan {
    pub seed: u64,
    pub actions: u64,
    pub data: u64,
    pub sync: u64,
    pub loop_: u64,
}

impl SeedPlan {
    pub fn new(seed: u64) -> Self {
        SeedPlan {
            seed,
            actions: derive(seed, Purpose::Actions),
            data: derive(seed, Purpose::Data),
            sync: derive(seed, Purpose::Sync),
            loop_: derive(seed, Purpose::Loop),
        }
    }
}

impl std::fmt::Display for SeedPlan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "seed={} (actions={:#018x} data={:#018x} sync={:#018x} loop={:#018x}; Pcg64)",
            self.seed, self.actions, self.data, self.sync, self.loop_
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purposes_get_distinct_stable_seeds() {
        let p = SeedPlan::new(42);
        let all = [p.actions, p.data, p.sync, p.loop_];
        for (i, a) in all.iter().enumerate() {
            for b in &all[i + 1..] {
                assert_ne!(a, b);
            }
        }
        assert_eq!(SeedPlan::new(42), p);
        assert_ne!(SeedPlan::new(43).actions, p.actions);
    }

    #[test]
    fn intn_stays_in_range_and_replays() {
        let mut a = stream(7, Purpose::Data);
        let mut b = stream(7, Purpose::Data);
        for n in 1..200 {
            let x = intn(&mut a, n);
            assert!(x < n);
            assert_eq!(x, intn(&mut b, n));
        }
    }
}
