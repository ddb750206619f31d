//! Where a case's seed comes from: the case file, else `E2E_SEED`, else the clock.

/// Picks the seed; `Err` when `E2E_SEED` is set but not a number.
pub fn choose(case_seed: Option<u64>) -> Result<u64, String> {
    if let Some(s) = case_seed {
        return Ok(s);
    }
    match std::env::var("E2E_SEED") {
        Ok(v) if !v.trim().is_empty() => v
            .trim()
            .parse()
            .map_err(|_| format!("E2E_SEED={v:?} is not an unsigned integer")),
        _ => Ok(fresh()),
    }
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
