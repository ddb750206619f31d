//! "Too little work": a chaos run whose actions were mostly skipped (nothing in the model
//! to act on) or refused (td's expected refusals) passes its checks without testing much.

use crate::engine::Stats;
use crate::verify::CheckResult;

/// The check's name in reports.
pub const WORK_CHECK: &str = "work: skips and refusals do not dominate";

/// Idle actions every run may have on top of the share: in a short run a few refusals are
/// chance (3 of 10 is 30 %), not a sign that the run tested little.
pub const IDLE_SLACK: u64 = 3;

/// Fails when more than `max_idle_share` (0–1) of the recorded actions, plus
/// [`IDLE_SLACK`], were skipped or refused, or when nothing was recorded at all.
pub fn work_check(stats: &Stats, max_idle_share: f64) -> CheckResult {
    let total = stats.total;
    if total == 0 {
        return CheckResult::invalid(WORK_CHECK, "too little work: no action was recorded");
    }
    let idle = stats.skipped + stats.expected;
    let pct = |n: u64| 100.0 * n as f64 / total as f64;
    let details = format!(
        "{total} actions: {} skipped ({:.0} %), {} refused ({:.0} %), {} unexpected; limit {:.0} % \
         skipped or refused (+{IDLE_SLACK} actions of slack)",
        stats.skipped,
        pct(stats.skipped),
        stats.expected,
        pct(stats.expected),
        stats.unexpected,
        100.0 * max_idle_share
    );
    if idle as f64 > max_idle_share * total as f64 + IDLE_SLACK as f64 {
        CheckResult::invalid(WORK_CHECK, format!("too little work: {details}"))
    } else {
        CheckResult::valid(WORK_CHECK, details)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{ActionResult, Outcome};

    fn stats(ok: usize, skipped: usize, refused: usize) -> Stats {
        let mut s = Stats::default();
        let mut add = |n: usize, o: Outcome| {
            for _ in 0..n {
                s.record(&ActionResult {
                    action: "update",
                    actor: "alice".into(),
                    target: String::new(),
                    outcome: o.clone(),
                    output: String::new(),
                });
            }
        };
        add(ok, Outcome::Ok);
        add(skipped, Outcome::Skipped("no live issue".into()));
        add(refused, Outcome::Expected("already closed".into()));
        s
    }

    #[test]
    fn mostly_real_work_passes() {
        let r = work_check(&stats(80, 15, 5), 0.25);
        assert!(r.passed(), "{}", r.details);
        assert!(
            r.details.contains("15 skipped (15 %), 5 refused (5 %)"),
            "{}",
            r.details
        );
    }

    #[test]
    fn skips_and_refusals_that_dominate_fail_as_too_little_work() {
        let r = work_check(&stats(10, 21, 0), 0.25);
        assert!(!r.passed());
        assert!(
            r.details
                .starts_with("too little work: 31 actions: 21 skipped"),
            "{}",
            r.details
        );
        assert!(
            !work_check(&stats(70, 10, 20), 0.25).passed(),
            "refusals count too"
        );
        assert!(!work_check(&Stats::default(), 0.25).passed());
    }

    #[test]
    fn a_short_run_has_a_little_slack_and_no_more() {
        assert!(
            work_check(&stats(7, 0, 3), 0.25).passed(),
            "3 of 10 refused"
        );
        assert!(!work_check(&stats(4, 3, 3), 0.25).passed(), "6 of 10 idle");
    }
}
