//! Where a case's seed comes from: the case file, else `E2E_SEED`, else the clock.

/// Picks the seed; `Err` when `E2E_SEED` is set but not a number.
pub fn choose(case_seed: Option<u64>) -> Result<u64, String> {
    match case_seed {
        Some(s) => Ok(s),
        None => env_seed().unwrap_or_else(|| Ok(fresh())),
    }
}

/// `E2E_SEED` when set to a number, else `default` (for tests that pin a seed but honour
/// replays; a malformed value falls back too).
pub fn from_env_or(default: u64) -> u64 {
    env_seed().and_then(Result::ok).unwrap_or(default)
}

/// `E2E_SEED` when set and not blank: the number, or why it is not one.
fn env_seed() -> Option<Result<u64, String>> {
    let v = std::env::var("E2E_SEED").ok()?;
    let t = v.trim();
    (!t.is_empty()).then(|| {
        t.parse()
            .map_err(|_| format!("E2E_SEED={v:?} is not an unsigned integer"))
    })
}

/// A fresh seed from the clock (printed with every case, so still replayable).
pub fn fresh() -> u64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    // Mix in the thread id so parallel cases started in the same nanosecond differ.
    let tid = format!("{:?}", std::thread::current().id());
    now.as_nanos() as u64
        ^ tid
            .bytes()
            .fold(0u64, |h, b| h.wrapping_mul(31).wrapping_add(b as u64))
}
