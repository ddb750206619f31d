//! In-memory fixed one-minute windows (§4.3): a window opens at its first request, admits
//! requests while its count is below the limit, and refusals do not count.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Windows kept before stale ones are swept.
const SWEEP_THRESHOLD: usize = 10_000;

pub struct RateLimiter {
    window: Duration,
    buckets: Mutex<HashMap<String, Window>>,
}

#[derive(Debug, Clone, Copy)]
struct Window {
    opened: Instant,
    count: u32,
}

impl RateLimiter {
    /// A limiter with windows of one minute.
    pub fn per_minute() -> RateLimiter {
        RateLimiter::with_window(Duration::from_secs(60))
    }

    pub fn with_window(window: Duration) -> RateLimiter {
        RateLimiter {
            window,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Admits one request against `bucket` (up to `limit` per window), or returns the whole
    /// seconds until the window closes (at least 1), for `Retry-After`.
    pub fn check(&self, bucket: &str, limit: u32) -> Result<(), u64> {
        self.check_at(bucket, limit, Instant::now())
    }

    fn check_at(&self, bucket: &str, limit: u32, now: Instant) -> Result<(), u64> {
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if buckets.len() >= SWEEP_THRESHOLD {
            let window = self.window;
            buckets.retain(|_, w| now.duration_since(w.opened) < window);
        }
        let w = buckets.entry(bucket.to_string()).or_insert(Window {
            opened: now,
            count: 0,
        });
        if now.duration_since(w.opened) >= self.window {
            *w = Window {
                opened: now,
                count: 0,
            };
        }
        if w.count < limit {
            w.count += 1;
            return Ok(());
        }
        let left = self.window.saturating_sub(now.duration_since(w.opened));
        Err(left.as_secs() + u64::from(left.subsec_nanos() > 0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_window_admits_limit_then_refuses_until_reset() {
        let rl = RateLimiter::per_minute();
        let t0 = Instant::now();
        assert!(rl.check_at("k", 2, t0).is_ok());
        assert!(rl.check_at("k", 2, t0 + Duration::from_secs(1)).is_ok());
        assert_eq!(rl.check_at("k", 2, t0 + Duration::from_secs(10)), Err(50));
        assert_eq!(
            rl.check_at("k", 2, t0 + Duration::from_millis(59_500)),
            Err(1)
        );
        assert!(rl.check_at("other", 2, t0).is_ok());
        assert!(rl.check_at("k", 2, t0 + Duration::from_secs(60)).is_ok());
    }
}
