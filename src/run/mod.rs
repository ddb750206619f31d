//! Running one case end to end. Entry points: [`Suite::discover`], [`execute`],
//! [`write_reports`]; the runner in `tests/e2e.rs` is a thin shell around them.

mod chaos;
mod outcome;
mod seed;

pub use chaos::{history_json, run as run_chaos_case, ChaosParams};
pub use outcome::{CaseOutcome, Status};
pub use seed::{choose as choose_seed, fresh as fresh_seed};

/// `E2E_SEED` when set, else `default` (for tests that pin a seed but honour replays).
pub fn seed_from_env_or(default: u64) -> u64 {
    std::env::var("E2E_SEED")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(default)
}
