//! Where a chaos run's wall time goes: td processes run for actions, td syncs, model
//! refreshes, database reads (refusal confirmation, prediction checks) and the observers
//! called after syncs. Whatever is left of the wall time is the loop's own bookkeeping.
//! Parallel lanes count each td process once in its own lane and the overlap between lanes
//! once (`td_overlap`); their refreshes and reads are summed over the lanes, so with lanes
//! "the rest" is a floor.

use std::time::{Duration, Instant};

/// Accumulated time per kind of work, with counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Profile {
    pub td_actions: Duration,
    pub td_action_runs: u64,
    pub td_syncs: Duration,
    pub td_sync_runs: u64,
    pub refresh: Duration,
    pub refreshes: u64,
    /// Refreshes not needed: nothing ran for the actor and its sync applied nothing.
    pub refreshes_skipped: u64,
    pub db_reads: Duration,
    pub observers: Duration,
    /// How much of `td_actions` ran while another lane's td process also ran (parallel
    /// lanes, see `lanes`): the sum of the processes' times less the time any of them ran.
    pub td_overlap: Duration,
    /// Wall time of the parallel lane segments, and how many there were.
    pub lanes: Duration,
    pub lane_segments: u64,
}

/// One timed section: `let t = Timer::start(); …; profile.refresh += t.stop();`.
pub struct Timer(Instant);

impl Timer {
    pub fn start() -> Self {
        Timer(Instant::now())
    }

    pub fn stop(self) -> Duration {
        self.0.elapsed()
    }
}

impl Profile {
    /// Wall time during which at least one td process ran.
    pub fn in_td(&self) -> Duration {
        (self.td_actions + self.td_syncs).saturating_sub(self.td_overlap)
    }

    /// Adds a parallel lane's figures (its td time counts once per process; the caller
    /// records the overlap between lanes).
    pub fn absorb(&mut self, lane: &Profile) {
        self.td_actions += lane.td_actions;
        self.td_action_runs += lane.td_action_runs;
        self.td_syncs += lane.td_syncs;
        self.td_sync_runs += lane.td_sync_runs;
        self.refresh += lane.refresh;
        self.refreshes += lane.refreshes;
        self.refreshes_skipped += lane.refreshes_skipped;
        self.db_reads += lane.db_reads;
        self.observers += lane.observers;
    }

    /// One line per kind of work with its share of `wall`, then the rest.
    pub fn render(&self, wall: Duration) -> String {
        let share = |d: Duration| 100.0 * d.as_secs_f64() / wall.as_secs_f64().max(1e-9);
        let accounted = self.in_td() + self.refresh + self.db_reads + self.observers;
        let rest = wall.saturating_sub(accounted);
        let rows = [
            (
                "td processes for actions",
                self.td_actions,
                format!("{} runs", self.td_action_runs),
            ),
            (
                "td sync processes",
                self.td_syncs,
                format!("{} runs", self.td_sync_runs),
            ),
            (
                "model refreshes",
                self.refresh,
                format!(
                    "{} done, {} skipped",
                    self.refreshes, self.refreshes_skipped
                ),
            ),
            ("database reads", self.db_reads, String::new()),
            (
                "parallel lanes (overlap -)",
                self.td_overlap,
                format!(
                    "{} segments, {:.1} ms",
                    self.lane_segments,
                    self.lanes.as_secs_f64() * 1e3
                ),
            ),
            ("observers after syncs", self.observers, String::new()),
            ("loop bookkeeping (rest)", rest, String::new()),
        ];
        rows.iter()
            .map(|(name, d, note)| {
                format!(
                    "  {name:<26} {:>8.1} ms {:>5.1}%  {note}\n",
                    d.as_secs_f64() * 1e3,
                    share(*d)
                )
            })
            .collect()
    }

    /// Share of `wall` spent outside td processes, in percent.
    pub fn outside_td_percent(&self, wall: Duration) -> f64 {
        let outside = wall.saturating_sub(self.in_td());
        100.0 * outside.as_secs_f64() / wall.as_secs_f64().max(1e-9)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_accounts_for_the_rest() {
        let p = Profile {
            td_actions: Duration::from_millis(600),
            td_action_runs: 10,
            td_syncs: Duration::from_millis(200),
            td_sync_runs: 4,
            refresh: Duration::from_millis(100),
            refreshes: 4,
            refreshes_skipped: 2,
            db_reads: Duration::from_millis(50),
            observers: Duration::ZERO,
            ..Profile::default()
        };
        let wall = Duration::from_secs(1);
        let text = p.render(wall);
        assert!(text.contains("td processes for actions"), "{text}");
        assert!(text.contains(" 60.0%"), "{text}");
        assert!(text.contains("4 done, 2 skipped"), "{text}");
        let rest = text.lines().last().unwrap();
        assert!(rest.contains("50.0 ms") && rest.contains("5.0%"), "{rest}");
        assert!((p.outside_td_percent(wall) - 20.0).abs() < 1e-9);
    }

    #[test]
    fn overlapping_lanes_count_their_td_time_once() {
        let p = Profile {
            td_actions: Duration::from_millis(900),
            td_overlap: Duration::from_millis(300),
            ..Profile::default()
        };
        assert_eq!(p.in_td(), Duration::from_millis(600));
        assert!((p.outside_td_percent(Duration::from_secs(1)) - 40.0).abs() < 1e-9);
    }
}
