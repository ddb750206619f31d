//! [`Actions`]: a [`ChaosEngine`] inside a scenario, with what the original dropped (weak
//! spot §9.18): every unexpected failure becomes a failed result, and a pinned engine's
//! actions must all have run as its actor (a partition must not leak).

use crate::engine::{ActionResult, ChaosEngine, Outcome};
use crate::harness::Harness;
use crate::verify::diff::truncate_chars;

use super::ctx::Ctx;

/// A labelled engine and what it has done so far.
pub struct Actions<'h> {
    engine: ChaosEngine<'h>,
    label: String,
    pinned: Option<String>,
    /// Actions that ran as someone other than the actor the engine was pinned to.
    leaks: Vec<String>,
    /// Actions drawn while pinned.
    pinned_actions: usize,
    /// Why the engine stopped (a driver or database error), if it did.
    error: Option<String>,
}

impl<'h> Actions<'h> {
    /// An engine over every actor of `h`, its models read from their databases, pinned to
    /// `pinned` when given.
    pub fn new(h: &'h Harness, label: &str, seed: u64, pinned: Option<&str>) -> Self {
        let mut this = Actions {
            engine: match ChaosEngine::new(h, seed) {
                Ok(e) => e,
                Err(e) => panic!("engine over a set-up world: {e}"),
            },
            label: label.to_string(),
            pinned: pinned.map(str::to_string),
            leaks: Vec::new(),
            pinned_actions: 0,
            error: None,
        };
        if let Err(e) = this.engine.pin(pinned) {
            this.error = Some(format!("pin {pinned:?}: {e}"));
        }
        this.refresh_all();
        this
    }

    /// Re-reads every actor's model from its database (after syncs).
    pub fn refresh_all(&mut self) {
        if self.error.is_none() {
            if let Err(e) = self.engine.refresh_all() {
                self.error = Some(format!("refresh: {e}"));
            }
        }
    }

    /// Re-reads `actor`'s model from its database.
    pub fn refresh(&mut self, actor: &str) {
        if self.error.is_none() {
            if let Err(e) = self.engine.refresh_from_db(actor) {
                self.error = Some(format!("refresh {actor}: {e}"));
            }
        }
    }

    /// Pins the engine to `actor` for the following actions (`None` unpins).
    pub fn pin(&mut self, actor: Option<&str>) {
        self.pinned = actor.map(str::to_string);
        if let Err(e) = self.engine.pin(actor) {
            self.error = Some(format!("pin {actor:?}: {e}"));
        }
    }

    /// Runs up to `n` actions; stops at the first engine error.
    pub fn run(&mut self, n: usize) {
        for _ in 0..n {
            if self.error.is_some() {
                return;
            }
            match self.engine.run_action() {
                Ok(r) => self.note_leak(&r),
                Err(e) => self.error = Some(e.to_string()),
            }
        }
    }

    fn note_leak(&mut self, r: &ActionResult) {
        let Some(p) = self.pinned.as_deref() else {
            return;
        };
        self.pinned_actions += 1;
        if p != r.actor {
            let (action, target, actor) = (r.action, &r.target, &r.actor);
            self.leaks.push(format!(
                "{action} {target} ran as {actor} while pinned to {p}"
            ));
        }
    }

    /// Results: the engine ran without error; one failed result per unexpected failure; for
    /// a pinned engine, no action ran as another actor. Passing results carry the counters.
    pub fn report(&self, ctx: &mut Ctx<'_>) {
        let stats = self.engine.stats();
        let counters = format!(
            "{} actions: ok {}, expected refusals {}, unexpected {}, skipped {}",
            stats.total, stats.ok, stats.expected, stats.unexpected, stats.skipped
        );
        match &self.error {
            Some(e) => ctx.fail(
                &format!("{} ran", self.label),
                format!("{e} (after {counters})"),
            ),
            None => ctx.pass(&format!("{} ran", self.label), counters),
        }
        for r in &stats.unexpected_results {
            let why = match &r.outcome {
                Outcome::Unexpected(why) => why.as_str(),
                _ => "",
            };
            let details = format!("{why}; output: {}", truncate_chars(&r.output, 1000));
            ctx.fail(
                &format!(
                    "{} unexpected failure: {} {} [{}]",
                    self.label, r.action, r.target, r.actor
                ),
                details,
            );
        }
        if stats.unexpected_results.is_empty() {
            let details = format!(
                "{} actions, every refusal confirmed as expected",
                stats.total
            );
            ctx.pass(
                &format!("{} had no unexpected failure", self.label),
                details,
            );
        }
        if self.pinned_actions > 0 {
            let what = format!("{} stayed on its pinned actor", self.label);
            if self.leaks.is_empty() {
                let n = self.pinned_actions;
                ctx.pass(
                    &what,
                    format!("all {n} pinned actions ran as the pinned actor"),
                );
            } else {
                ctx.fail(&what, self.leaks.join("; "));
            }
        }
    }
}
