//! Which actors a `sync_all` round still has to sync. An actor whose last successful sync
//! came after the server's last new event already holds everything (it pushed its own
//! changes and pulled the rest in that sync), so a second `td sync` would only re-check
//! idempotency — which the verifier does once at the end. With N actors and one pushing
//! round this makes a two-round `sync_all` 2N-1 syncs instead of 2N.

/// Bookkeeping over one `sync_all`.
#[derive(Debug, Clone)]
pub struct SyncPlan {
    clock: u64,
    /// When each actor last synced successfully.
    synced_at: Vec<Option<u64>>,
    /// When the server last may have gained an event (a push, or a failed sync that may
    /// have pushed before it failed).
    last_push: Option<u64>,
}

impl SyncPlan {
    pub fn new(actors: usize) -> Self {
        SyncPlan {
            clock: 0,
            synced_at: vec![None; actors],
            last_push: None,
        }
    }

    /// Does `actor` need a sync in round `round` (0-based)? Every actor syncs in the first
    /// round: only a sync pushes its local changes.
    pub fn needs(&self, round: usize, actor: usize) -> bool {
        if round == 0 {
            return true;
        }
        match (self.synced_at[actor], self.last_push) {
            (None, _) => true,
            (Some(at), Some(push)) => at < push,
            (Some(_), None) => false,
        }
    }

    /// A sync of `actor` finished with exit 0 and printed `output`.
    pub fn synced(&mut self, actor: usize, output: &str) {
        self.clock += 1;
        self.synced_at[actor] = Some(self.clock);
        if pushed_something(output) {
            self.last_push = Some(self.clock);
        }
    }

    /// A sync of `actor` failed: part of a push may have reached the server.
    pub fn failed(&mut self, _actor: usize) {
        self.clock += 1;
        self.last_push = Some(self.clock);
    }
}

/// False only when td said it pushed nothing new (`Nothing to push.`, `Pushed 0 events.`);
/// anything else (including output we do not recognise) counts as a push.
pub fn pushed_something(output: &str) -> bool {
    !(output.contains("Nothing to push.") || output.contains("Pushed 0 events."))
}

/// False only when td said there was nothing to pull: a pull that applied nothing leaves
/// the replica's rows as they were (a push only marks its own rows synced).
pub fn pulled_something(output: &str) -> bool {
    !output.contains("Nothing to pull.")
}

#[cfg(test)]
mod tests {
    use super::*;

    const PUSHED: &str = "Pushed 3 events.\nPulled 1 events (1 applied).\n";
    const QUIET: &str = "Nothing to push.\nNothing to pull.\n";

    /// Runs `rounds` rounds where `pushes[a]` says whether actor a pushes in round 0.
    fn syncs(pushes: &[bool], rounds: usize) -> Vec<(usize, usize)> {
        let mut plan = SyncPlan::new(pushes.len());
        let mut done = Vec::new();
        for round in 0..rounds {
            for (a, &pushes) in pushes.iter().enumerate() {
                if plan.needs(round, a) {
                    done.push((round, a));
                    let out = if round == 0 && pushes { PUSHED } else { QUIET };
                    plan.synced(a, out);
                }
            }
        }
        done
    }

    #[test]
    fn everyone_pushing_costs_two_n_minus_one() {
        assert_eq!(syncs(&[true, true], 2), [(0, 0), (0, 1), (1, 0)]);
        assert_eq!(syncs(&[true, true, true], 2).len(), 5);
    }

    #[test]
    fn only_actors_that_missed_a_push_sync_again() {
        // Only the first actor pushed: the others pulled it in round 0.
        assert_eq!(syncs(&[true, false, false], 2).len(), 3);
        // Only the last one pushed: everyone before it must pull.
        assert_eq!(
            syncs(&[false, false, true], 2),
            [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1)]
        );
    }

    #[test]
    fn a_failed_sync_makes_everyone_sync_again() {
        let mut plan = SyncPlan::new(2);
        plan.synced(0, QUIET);
        plan.failed(1);
        assert!(plan.needs(1, 0) && plan.needs(1, 1));
    }

    #[test]
    fn unknown_output_counts_as_a_push() {
        assert!(pushed_something("Pushed 2 events."));
        assert!(pushed_something("something else entirely"));
        assert!(!pushed_something("Pushed 0 events.\nNothing to pull."));
        assert!(!pushed_something(QUIET));
        assert!(pulled_something(PUSHED) && !pulled_something(QUIET));
        assert!(pulled_something("ERROR: pull: HTTP 503"));
    }
}
