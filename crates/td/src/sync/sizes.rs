//! How many events one push request carries and how many one pull page asks for. The
//! defaults are the original's (500 and 1,000); `TD_SYNC_PUSH_BATCH` and
//! `TD_SYNC_PULL_LIMIT` lower them so a test can cross batch and page boundaries with a
//! handful of events. Values outside what the server accepts fall back to the default.

use td_core::wire::{CLIENT_PUSH_BATCH, DEFAULT_PULL_LIMIT, MAX_PULL_LIMIT, MAX_PUSH_BATCH};

/// Events per push request: `TD_SYNC_PUSH_BATCH` when it is 1..=1000, else 500.
pub fn push_batch() -> usize {
    parse(
        std::env::var("TD_SYNC_PUSH_BATCH").ok().as_deref(),
        MAX_PUSH_BATCH as i64,
    )
    .map_or(CLIENT_PUSH_BATCH, |n| n as usize)
}

/// Pull page size: `TD_SYNC_PULL_LIMIT` when it is 1..=10000, else 1000.
pub fn pull_limit() -> i64 {
    parse(
        std::env::var("TD_SYNC_PULL_LIMIT").ok().as_deref(),
        MAX_PULL_LIMIT,
    )
    .unwrap_or(DEFAULT_PULL_LIMIT)
}

fn parse(v: Option<&str>, max: i64) -> Option<i64> {
    v?.trim()
        .parse::<i64>()
        .ok()
        .filter(|n| (1..=max).contains(n))
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn only_positive_values_up_to_the_server_maximum() {
        assert_eq!(parse(Some("3"), 1000), Some(3));
        assert_eq!(parse(Some(" 1000 "), 1000), Some(1000));
        assert_eq!(parse(Some("1001"), 1000), None);
        assert_eq!(parse(Some("0"), 1000), None);
        assert_eq!(parse(Some("-2"), 1000), None);
        assert_eq!(parse(Some("many"), 1000), None);
        assert_eq!(parse(None, 1000), None);
    }
}
