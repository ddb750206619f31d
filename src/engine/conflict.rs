//! Conflict rounds and bursts (weak spot §9.7): two different actors really act on the same
//! issue before a sync, or one actor piles up unsynced edits of one issue.
//!
//! - field collision (<30 of the round roll): both set the same field to different values;
//! - delete-while-mutate (<45): one deletes, the other makes 2–3 unaware edits;
//! - dependency cycle (<55): on two issues both know, one adds `x depends on y`, the other
//!   `y depends on x` (each is legal locally; together they close a cycle on sync);
//! - three actors (<70, with three actors): each sets a field of one issue all three know,
//!   the first two the same field;
//! - otherwise a paired round: two (sometimes three) distinct actors each run a random
//!   action steered onto the shared issue where the action's target mode allows.
//!
//! The loop runs one more shape itself (it needs a judged sync in the middle): a remote
//! delete — one actor deletes and pushes, the other edits the issue before pulling.

use super::invoke::Subject;
use super::random::{POINTS, PRIORITIES, SPRINTS, TYPES};
use super::selection::{other_actor, select_actor};
use super::stats::ActionResult;
use super::{ChaosEngine, EngineError, Outcome};
use crate::args;

/// The fields a collision may set.
const FIELDS: [&str; 7] = [
    "--title",
    "--priority",
    "--description",
    "--labels",
    "--points",
    "--sprint",
    "--type",
];

fn counted(r: &ActionResult) -> u64 {
    u64::from(!matches!(r.outcome, Outcome::Skipped(_)))
}

/// One actor's part of a round, planned on the main engine (where every model is at hand)
/// and run on that actor's alone: in turn, or in its parallel lane (see `lanes`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LaneItem {
    /// The loop's single action: a table action drawn when it runs, maybe followed by its
    /// undo (see `chaos`).
    Single,
    /// A table action drawn when it runs (a round that found nothing to share).
    Action,
    /// A table action steered onto `id`: `Some` names it, `None` draws it when it runs.
    Focused {
        action: Option<&'static str>,
        id: String,
    },
    /// `update <id> <flag> <value>`, counted as an `update`.
    SetField {
        id: String,
        flag: &'static str,
        value: String,
    },
    /// `dep add <from> <to>`.
    AddEdge { from: String, to: String },
    /// `edits` unsynced edits of `id`, each drawn when it runs.
    Burst { id: String, edits: usize },
}

impl LaneItem {
    /// How many actions it stands for (the loop plans up to its next sync point with it).
    pub(crate) fn weight(&self) -> usize {
        match self {
            LaneItem::Burst { edits, .. } => *edits,
            _ => 1,
        }
    }
}

/// A round's parts, in the order they run one at a time.
pub(crate) type Plan = Vec<(usize, LaneItem)>;

impl ChaosEngine<'_> {
    /// One conflict round, planned then run in turn. Returns the non-skipped actions.
    pub(crate) fn conflict_round(&mut self, kind: usize) -> Result<u64, EngineError> {
        let plan = self.plan_conflict(kind)?;
        self.run_plan(plan)
    }

    /// One burst, planned then run.
    pub(crate) fn burst(&mut self) -> Result<u64, EngineError> {
        let plan = self.plan_burst();
        self.run_plan(plan)
    }

    /// Runs a plan's parts in order; returns the non-skipped actions.
    fn run_plan(&mut self, plan: Plan) -> Result<u64, EngineError> {
        let mut n = 0;
        for (a, item) in plan {
            n += self.run_item(a, &item)?.iter().map(counted).sum::<u64>();
        }
        Ok(n)
    }

    /// Runs one part as actor `a`; returns its results (a burst has several).
    pub(crate) fn run_item(
        &mut self,
        a: usize,
        item: &LaneItem,
    ) -> Result<Vec<ActionResult>, EngineError> {
        Ok(match item {
            LaneItem::Single | LaneItem::Action => vec![self.run_action_as(a)?],
            LaneItem::Focused { action, id } => {
                vec![self.focused(id, |e| match action {
                    Some(name) => e.run_named(a, name),
                    None => e.run_action_as(a),
                })?]
            }
            LaneItem::SetField { id, flag, value } => {
                vec![self.set_field(a, id, flag, value.clone())?]
            }
            LaneItem::AddEdge { from, to } => {
                let r = super::exec::deps::add_edge(self, a, from, to)?;
                self.stats.record(&r);
                vec![r]
            }
            LaneItem::Burst { id, edits } => self.focused(id, |e| e.burst_edits(a, id, *edits))?,
        })
    }

    /// A conflict round's parts; `kind` (0–99) picks its shape. Without two actors sharing a
    /// live issue (or when pinned) it is one ordinary action.
    pub(crate) fn plan_conflict(&mut self, kind: usize) -> Result<Plan, EngineError> {
        let shared = match self.pinned {
            // A pinned engine is a partition: no other actor may act.
            Some(_) => None,
            None => self.shared_issue(),
        };
        let Some((a, b, id)) = shared else {
            let a = match self.pinned {
                Some(a) => a,
                None => select_actor(self.actors.len(), &mut self.pick),
            };
            return Ok(vec![(a, LaneItem::Action)]);
        };
        Ok(if kind < 30 {
            self.field_collision(a, b, &id)
        } else if kind < 45 {
            self.delete_while_mutate(a, b, &id)
        } else if kind < 55 {
            self.dependency_cycle(a, b, &id)
        } else if kind < 70 && self.actors.len() >= 3 {
            self.three_actors(a, b, &id)
        } else {
            self.paired_round(a, b, &id)
        })
    }

    /// `a` adds `id depends on other`, `b` adds `other depends on id`, for an `other` both
    /// know live; without one it is a paired round.
    fn dependency_cycle(&mut self, a: usize, b: usize, id: &str) -> Plan {
        let both: Vec<String> = self.models[a]
            .issues
            .iter()
            .filter(|i| !i.deleted && i.id != id)
            .filter(|i| self.models[b].issue(&i.id).is_some_and(|j| !j.deleted))
            .filter(|i| !self.models[a].has_dep(id, &i.id) && !self.models[b].has_dep(&i.id, id))
            .map(|i| i.id.clone())
            .collect();
        if both.is_empty() {
            return self.paired_round(a, b, id);
        }
        let other = both[self.pick_index(both.len())].clone();
        vec![
            (
                a,
                LaneItem::AddEdge {
                    from: id.to_string(),
                    to: other.clone(),
                },
            ),
            (
                b,
                LaneItem::AddEdge {
                    from: other,
                    to: id.to_string(),
                },
            ),
        ]
    }

    /// Every actor sets a field of one issue all of them know live (the first two the same
    /// field, the third a random one); without such an issue it is a paired round.
    fn three_actors(&mut self, a: usize, b: usize, id: &str) -> Plan {
        let n = self.actors.len();
        let everyone: Vec<String> = self.models[a]
            .issues
            .iter()
            .filter(|i| (0..n).all(|x| self.models[x].issue(&i.id).is_some_and(|j| !j.deleted)))
            .map(|i| i.id.clone())
            .collect();
        let Some(c) = (0..n).find(|&c| c != a && c != b) else {
            return self.paired_round(a, b, id);
        };
        if everyone.is_empty() {
            return self.paired_round(a, b, id);
        }
        let id = everyone[self.pick_index(everyone.len())].clone();
        let flag = FIELDS[self.data.intn(FIELDS.len())];
        let third = FIELDS[self.data.intn(FIELDS.len())];
        let first = self.field_value(flag, a, "");
        let second = self.field_value(flag, b, &first);
        let last = self.field_value(third, c, "");
        self.stats.field_collisions += 1;
        let set = |flag, value| LaneItem::SetField {
            id: id.clone(),
            flag,
            value,
        };
        vec![
            (a, set(flag, first)),
            (b, set(flag, second)),
            (c, set(third, last)),
        ]
    }

    /// Two distinct actors and an issue live in both their models (in `a`'s model order).
    fn shared_issue(&mut self) -> Option<(usize, usize, String)> {
        let n = self.actors.len();
        if n < 2 {
            return None;
        }
        let a = select_actor(n, &mut self.pick);
        let b = other_actor(a, n, &mut self.pick);
        let shared: Vec<String> = self.models[a]
            .issues
            .iter()
            .filter(|i| !i.deleted)
            .filter(|i| self.models[b].issue(&i.id).is_some_and(|j| !j.deleted))
            .map(|i| i.id.clone())
            .collect();
        if shared.is_empty() {
            return None;
        }
        let id = shared[self.pick_index(shared.len())].clone();
        Some((a, b, id))
    }

    /// A value for `flag` that names `actor`, so two actors' values always differ.
    fn field_value(&mut self, flag: &str, actor: usize, avoid: &str) -> String {
        let name = self.actors[actor].clone();
        let pick_other = |e: &mut Self, pool: &[&str]| -> String {
            let choices: Vec<&str> = pool.iter().copied().filter(|v| *v != avoid).collect();
            choices[e.data.intn(choices.len())].to_string()
        };
        match flag {
            "--priority" => pick_other(self, &PRIORITIES),
            "--points" => pick_other(self, &POINTS),
            "--sprint" => pick_other(self, &SPRINTS),
            "--type" => pick_other(self, &TYPES),
            "--labels" => format!("{},from-{name}", self.data.labels(0)),
            // Never start a value with "--": it would read as a flag.
            _ => format!(
                "{} collision from {name} {}",
                flag.trim_start_matches('-'),
                self.data.hex8()
            ),
        }
    }

    /// `update <id> <flag> <value>` as `actor`, counted as an `update` action.
    fn set_field(
        &mut self,
        actor: usize,
        id: &str,
        flag: &str,
        value: String,
    ) -> Result<ActionResult, EngineError> {
        let cmd = args!["update", id, flag, value];
        let step = self.run_td(actor, "update", cmd, &Subject::issue(id))?;
        let r = self.result(actor, "update", id.to_string(), step);
        self.stats.record(&r);
        Ok(r)
    }

    fn field_collision(&mut self, a: usize, b: usize, id: &str) -> Plan {
        let flag = FIELDS[self.data.intn(FIELDS.len())];
        let first = self.field_value(flag, a, "");
        let second = self.field_value(flag, b, &first);
        self.stats.field_collisions += 1;
        let set = |value| LaneItem::SetField {
            id: id.to_string(),
            flag,
            value,
        };
        vec![(a, set(first)), (b, set(second))]
    }

    fn delete_while_mutate(&mut self, a: usize, b: usize, id: &str) -> Plan {
        self.stats.delete_mutate += 1;
        let mut plan = vec![(
            a,
            LaneItem::Focused {
                action: Some("delete"),
                id: id.to_string(),
            },
        )];
        plan.extend(self.plan_unaware_edits(b, id));
        plan
    }

    /// The first half of a remote-delete round (the loop pushes the delete, then runs
    /// [`Self::unaware_edits`]): an actor deletes an issue another actor also holds live.
    /// `None` when pinned or when no two actors share a live issue.
    pub(crate) fn remote_delete(
        &mut self,
    ) -> Result<Option<(usize, usize, String, u64)>, EngineError> {
        if self.pinned.is_some() {
            return Ok(None);
        }
        let Some((a, b, id)) = self.shared_issue() else {
            return Ok(None);
        };
        let r = self.focused(&id, |e| e.run_named(a, "delete"))?;
        self.stats.delete_mutate += 1;
        Ok(Some((a, b, id, counted(&r))))
    }

    /// 2–3 edits (update, comment, progress log) of `id` by `b`, who has not pulled its
    /// deletion. Returns the non-skipped ones.
    pub(crate) fn unaware_edits(&mut self, b: usize, id: &str) -> Result<u64, EngineError> {
        let plan = self.plan_unaware_edits(b, id);
        self.run_plan(plan)
    }

    fn plan_unaware_edits(&mut self, b: usize, id: &str) -> Plan {
        let edits = 2 + self.pick_index(2);
        (0..edits)
            .map(|_| {
                let action = ["update", "comment", "log_progress"][self.pick_index(3)];
                let item = LaneItem::Focused {
                    action: Some(action),
                    id: id.to_string(),
                };
                (b, item)
            })
            .collect()
    }

    /// Runs `f` with selections steered onto `id`.
    fn focused<T>(
        &mut self,
        id: &str,
        f: impl FnOnce(&mut Self) -> Result<T, EngineError>,
    ) -> Result<T, EngineError> {
        self.focus = Some(id.to_string());
        let r = f(self);
        self.focus = None;
        r
    }

    /// Two (sometimes three) actors each run a drawn action steered onto `id`.
    fn paired_round(&mut self, a: usize, b: usize, id: &str) -> Plan {
        let n = self.actors.len();
        let third = (n >= 3 && self.pick_index(3) == 0).then(|| (0..n).find(|&c| c != a && c != b));
        let focused = || LaneItem::Focused {
            action: None,
            id: id.to_string(),
        };
        let mut plan = vec![(a, focused()), (b, focused())];
        if let Some(Some(c)) = third {
            plan.push((c, focused()));
        }
        plan
    }

    /// One actor, one live issue, 5–8 edits with no sync (title, priority, comment, log,
    /// labels, points, sprint). Without a live issue it is one ordinary action.
    pub(crate) fn plan_burst(&mut self) -> Plan {
        let a = match self.pinned {
            Some(a) => a,
            None => select_actor(self.actors.len(), &mut self.pick),
        };
        let Some(id) = self.pick_issue(a, super::selection::Mode::NotDeleted) else {
            return vec![(a, LaneItem::Action)];
        };
        let edits = 5 + self.pick_index(4);
        self.stats.bursts += 1;
        self.stats.burst_actions += edits as u64;
        vec![(a, LaneItem::Burst { id, edits })]
    }

    /// A burst's edits, each drawn now.
    fn burst_edits(
        &mut self,
        a: usize,
        id: &str,
        edits: usize,
    ) -> Result<Vec<ActionResult>, EngineError> {
        (0..edits)
            .map(|_| match self.data.intn(7) {
                0 => self.set_edit(a, id, "--title"),
                1 => self.set_edit(a, id, "--priority"),
                2 => self.run_named(a, "comment"),
                3 => self.run_named(a, "log_progress"),
                4 => self.set_edit(a, id, "--labels"),
                5 => self.set_edit(a, id, "--points"),
                _ => self.set_edit(a, id, "--sprint"),
            })
            .collect()
    }

    fn set_edit(&mut self, a: usize, id: &str, flag: &str) -> Result<ActionResult, EngineError> {
        let value = self.field_value(flag, a, "");
        self.set_field(a, id, flag, value)
    }
}
