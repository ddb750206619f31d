//! Parallel lanes: between two sync points an actor's td commands touch only its own
//! database (td has no autosync), so the actors' actions can run at once, one thread per
//! actor, and the run still replays exactly.
//!
//! What keeps it exact: each lane draws its actions and values from its own streams
//! ([`Purpose::LaneActions`], [`Purpose::LaneData`], one per actor), reads and writes only
//! its own model and database, and records into its own history, which the join appends to
//! the run's in actor order. So every actor runs the same commands in the same order
//! whatever the threads do, and the history reads the same in every replay. The one action
//! that reaches across actors, an approval handed over to another actor, stops its lane and
//! runs at the join, before the lanes go on.

use std::collections::VecDeque;
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rand_pcg::Pcg64;

use super::conflict::LaneItem;
use super::db::ActorDb;
use super::exec::status::approve_handover;
use super::intent::Intent;
use super::model::Model;
use super::profile::{Profile, Timer};
use super::random::DataGen;
use super::seeds::{self, Purpose};
use super::stats::{ActionResult, Stats};
use super::{ChaosEngine, EngineError, Outcome};
use crate::driver::Driver;
use crate::history::OperationHistory;

/// One actor's lane draws.
#[derive(Debug, Clone)]
pub(crate) struct LaneStreams {
    pick: Pcg64,
    data: DataGen,
}

impl LaneStreams {
    pub(crate) fn for_actors(seed: u64, actors: &[String]) -> Vec<Option<LaneStreams>> {
        actors
            .iter()
            .map(|a| {
                Some(LaneStreams {
                    pick: seeds::stream_for(seed, Purpose::LaneActions, a),
                    data: DataGen::new(seeds::stream_for(seed, Purpose::LaneData, a)),
                })
            })
            .collect()
    }
}

/// What a lane takes to its thread and brings back.
struct LaneState {
    actor: usize,
    model: Model,
    streams: LaneStreams,
    db: Option<ActorDb>,
    stale: bool,
    /// Parts still to run, in order.
    queue: VecDeque<LaneItem>,
}

/// A lane's return from one segment.
struct LaneEnd {
    state: LaneState,
    sessions: Vec<String>,
    stats: Stats,
    profile: Profile,
    intents: Vec<Intent>,
    spans: Vec<(Instant, Instant)>,
    history: Arc<OperationHistory>,
    results: Vec<ActionResult>,
    deferred: Option<Deferred>,
    error: Option<EngineError>,
}

/// An approval a lane handed over: by `actor`'s lane, of issue `id`; `single` when it was
/// a loop's single action (which an undo may follow).
#[derive(Debug, Clone)]
struct Deferred {
    actor: usize,
    id: String,
    single: bool,
}

/// What every lane reads and nobody writes.
struct Shared<'d> {
    driver: &'d dyn Driver,
    actors: Vec<String>,
    sessions: Vec<Vec<String>>,
    weights: Vec<u32>,
    seed: u64,
}

/// Decides after a lane's successful action whether the same actor undoes it at once.
pub(crate) type UndoFollows = fn(&ActionResult, &mut Pcg64) -> bool;

impl<'d> ChaosEngine<'d> {
    /// Runs each actor's queue of parts, the actors at once, and returns the results in
    /// actor order (a handed-over approval after its lane's segment). `undo` says which
    /// successful table actions the same actor undoes at once.
    pub(crate) fn run_lanes(
        &mut self,
        queues: Vec<VecDeque<LaneItem>>,
        undo: UndoFollows,
    ) -> Result<Vec<ActionResult>, EngineError> {
        let mut queues = queues;
        let mut results = Vec::new();
        while queues.iter().any(|q| !q.is_empty()) {
            let ends = self.segment(&mut queues, undo);
            let mut first_error = None;
            let mut deferred = Vec::new();
            let mut undid = Vec::new();
            for end in ends {
                let a = end.state.actor;
                if end
                    .results
                    .iter()
                    .any(|r| r.action == "undo" && r.outcome.is_ok())
                {
                    undid.push(a);
                }
                results.extend(end.results.iter().cloned());
                deferred.extend(end.deferred.clone());
                if first_error.is_none() {
                    first_error = end.error;
                }
                queues[a] = self.join(
                    end.state,
                    end.sessions,
                    end.stats,
                    &end.profile,
                    end.intents,
                );
                for rec in end.history.records() {
                    self.history.record(rec);
                }
            }
            // Every lane is home now. An undo may have taken back an action of an earlier
            // segment, whose intent its lane never held: withdraw those here.
            for a in undid {
                self.withdraw_undone_intents(a)?;
            }
            if let Some(e) = first_error {
                return Err(e);
            }
            for d in deferred {
                self.hand_over(d, undo, &mut results)?;
            }
        }
        Ok(results)
    }

    /// Runs a deferred approval as the actor it is handed to, counted like any action, and
    /// (like a single action) maybe followed by that actor's undo, drawn from the lane.
    fn hand_over(
        &mut self,
        d: Deferred,
        undo: UndoFollows,
        results: &mut Vec<ActionResult>,
    ) -> Result<(), EngineError> {
        let r = approve_handover(self, d.actor, &d.id)?;
        self.stats.record(&r);
        self.check_prediction(d.actor, &r)?;
        let streams = self.lane_streams[d.actor]
            .as_mut()
            .expect("every lane is home at the join");
        let follow = d.single && undo(&r, &mut streams.pick);
        let approver = r.actor.clone();
        results.push(r);
        if follow {
            results.push(self.run_named_as(&approver, "undo")?);
        }
        Ok(())
    }

    /// One parallel segment: every lane with work runs until it is done or defers.
    fn segment(&mut self, queues: &mut [VecDeque<LaneItem>], undo: UndoFollows) -> Vec<LaneEnd> {
        let timer = Timer::start();
        let shared = Shared {
            driver: self.driver,
            actors: self.actors.clone(),
            sessions: self.sessions.clone(),
            weights: self.weights.clone(),
            seed: self.seeds.seed,
        };
        let mut states = Vec::new();
        for (a, queue) in queues.iter_mut().enumerate() {
            if !queue.is_empty() {
                states.push(self.split(a, std::mem::take(queue)));
            }
        }
        let ends: Vec<LaneEnd> = std::thread::scope(|s| {
            let handles: Vec<_> = states
                .into_iter()
                .map(|st| {
                    let shared = &shared;
                    s.spawn(move || run_lane(shared, st, undo))
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
                .collect()
        });
        let spans: Vec<(Instant, Instant)> = ends.iter().flat_map(|e| e.spans.clone()).collect();
        self.profile.td_overlap += overlap(&spans);
        self.profile.lanes += timer.stop();
        self.profile.lane_segments += 1;
        ends
    }

    /// Takes actor `a`'s state out for its lane.
    fn split(&mut self, a: usize, queue: VecDeque<LaneItem>) -> LaneState {
        let streams = self.lane_streams[a]
            .take()
            .expect("a lane's streams are home between segments");
        let db = self.dbs.borrow_mut()[a]
            .take()
            .and_then(|rc| Rc::try_unwrap(rc).ok());
        LaneState {
            actor: a,
            model: std::mem::take(&mut self.models[a]),
            streams,
            db,
            stale: self.stale[a],
            queue,
        }
    }

    /// Puts a lane's state back and adds what it counted; returns the parts it left.
    fn join(
        &mut self,
        st: LaneState,
        sessions: Vec<String>,
        stats: Stats,
        profile: &Profile,
        intents: Vec<Intent>,
    ) -> VecDeque<LaneItem> {
        let a = st.actor;
        self.models[a] = st.model;
        self.lane_streams[a] = Some(st.streams);
        self.dbs.borrow_mut()[a] = st.db.map(Rc::new);
        self.stale[a] = st.stale;
        self.sessions[a] = sessions;
        self.stats.absorb(stats);
        self.profile.absorb(profile);
        self.intents.extend(intents);
        st.queue
    }

    /// Inside a lane: stops the lane with `a`'s approval of `id` to hand over at the join.
    pub(crate) fn defer_handover(&mut self, a: usize, id: String) -> ActionResult {
        self.deferred = Some((a, id.clone()));
        ActionResult {
            action: "approve",
            actor: self.actors[a].clone(),
            target: id,
            outcome: Outcome::Skipped("handed over at the lanes' join".into()),
            output: String::new(),
        }
    }
}

/// A lane's thread: an engine holding only this actor's state runs its actions.
fn run_lane(shared: &Shared<'_>, mut st: LaneState, undo: UndoFollows) -> LaneEnd {
    let a = st.actor;
    let n = shared.actors.len();
    let history = Arc::new(OperationHistory::new());
    let mut e = ChaosEngine::new(shared.driver, shared.seed)
        .expect("the main engine has actors")
        .with_history(Arc::clone(&history))
        .with_weights(&shared.weights);
    e.lane = Some(a);
    e.sessions = shared.sessions.clone();
    e.models = vec![Model::default(); n];
    e.models[a] = std::mem::take(&mut st.model);
    e.pick = st.streams.pick.clone();
    e.data = st.streams.data.clone();
    e.stale[a] = st.stale;
    e.dbs.borrow_mut()[a] = st.db.take().map(Rc::new);
    let mut results = Vec::new();
    let (single, error) = match lane_parts(&mut e, a, &mut st.queue, &mut results, undo) {
        Ok(single) => (single, None),
        Err(err) => (false, Some(err)),
    };
    st.model = std::mem::take(&mut e.models[a]);
    st.streams = LaneStreams {
        pick: e.pick.clone(),
        data: e.data.clone(),
    };
    st.stale = e.stale[a];
    st.db = e.dbs.borrow_mut()[a]
        .take()
        .and_then(|rc| Rc::try_unwrap(rc).ok());
    LaneEnd {
        sessions: std::mem::take(&mut e.sessions[a]),
        stats: std::mem::take(&mut e.stats),
        profile: e.profile,
        intents: std::mem::take(&mut e.intents),
        spans: std::mem::take(&mut e.td_spans),
        deferred: e
            .deferred
            .take()
            .map(|(actor, id)| Deferred { actor, id, single }),
        history,
        results,
        error,
        state: st,
    }
}

/// Runs `a`'s parts in order (a single action maybe followed by its undo) until none is
/// left, a handover defers, or an error stops the lane. Returns whether a deferred
/// handover came from a single action.
fn lane_parts(
    e: &mut ChaosEngine<'_>,
    a: usize,
    queue: &mut VecDeque<LaneItem>,
    results: &mut Vec<ActionResult>,
    undo: UndoFollows,
) -> Result<bool, EngineError> {
    while let Some(item) = queue.pop_front() {
        let single = item == LaneItem::Single;
        let done = e.run_item(a, &item)?;
        if e.deferred.is_some() {
            return Ok(single);
        }
        let follow = single && done.first().is_some_and(|r| undo(r, &mut e.pick));
        results.extend(done);
        if follow {
            results.push(e.run_named(a, "undo")?);
        }
    }
    Ok(false)
}

/// How much longer the spans add up to than the time any of them covers.
fn overlap(spans: &[(Instant, Instant)]) -> Duration {
    let total: Duration = spans
        .iter()
        .map(|(s, e)| e.saturating_duration_since(*s))
        .sum();
    let mut sorted = spans.to_vec();
    sorted.sort();
    let mut covered = Duration::ZERO;
    let mut current: Option<(Instant, Instant)> = None;
    for (s, e) in sorted {
        current = match current {
            Some((cs, ce)) if s <= ce => Some((cs, ce.max(e))),
            Some((cs, ce)) => {
                covered += ce - cs;
                Some((s, e))
            }
            None => Some((s, e)),
        };
    }
    if let Some((cs, ce)) = current {
        covered += ce - cs;
    }
    total.saturating_sub(covered)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlap_counts_shared_time_once() {
        let t0 = Instant::now();
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        // 0-10 and 5-15 overlap by 5; 20-30 stands alone.
        let spans = [(at(0), at(10)), (at(20), at(30)), (at(5), at(15))];
        assert_eq!(overlap(&spans), Duration::from_millis(5));
        assert_eq!(overlap(&[]), Duration::ZERO);
        // One span inside another: the inner one is all overlap.
        assert_eq!(
            overlap(&[(at(0), at(10)), (at(2), at(4))]),
            Duration::from_millis(2)
        );
    }
}
