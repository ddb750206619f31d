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

impl ChaosEngine<'_> {
    /// One conflict round; `kind` (0–99) picks its shape. Returns the non-skipped actions.
    /// Without two actors sharing a live issue (or when pinned) it runs one ordinary action.
    pub(crate) fn conflict_round(&mut self, kind: usize) -> Result<u64, EngineError> {
        let shared = match self.pinned {
            // A pinned engine is a partition: no other actor may act.
            Some(_) => None,
            None => self.shared_issue(),
        };
        let Some((a, b, id)) = shared else {
            return Ok(counted(&self.run_action()?));
        };
        let n = if kind < 30 {
            self.field_collision(a, b, &id)?
        } else if kind < 45 {
            self.delete_while_mutate(a, b, &id)?
        } else if kind < 55 {
            self.dependency_cycle(a, b, &id)?
        } else if kind < 70 && self.actors.len() >= 3 {
            self.three_actors(a, b, &id)?
        } else {
            self.paired_round(a, b, &id)?
        };
        Ok(n)
    }

    /// `a` adds `id depends on other`, `b` adds `other depends on id`, for an `other` both
    /// know live; without one it is a paired round.
    fn dependency_cycle(&mut self, a: usize, b: usize, id: &str) -> Result<u64, EngineError> {
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
        let r1 = super::exec::deps::add_edge(self, a, id, &other)?;
        self.stats.record(&r1);
        let r2 = super::exec::deps::add_edge(self, b, &other, id)?;
        self.stats.record(&r2);
        Ok(counted(&r1) + counted(&r2))
    }

    /// Every actor sets a field of one issue all of them know live (the first two the same
    /// field, the third a random one); without such an issue it is a paired round.
    fn three_actors(&mut self, a: usize, b: usize, id: &str) -> Result<u64, EngineError> {
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
        let id = everyone[self.pick_index(everyone.len())]
            .as_str()
            .to_owned();
        let id = id.as_str();
        let flag = FIELDS[self.data.intn(FIELDS.len())];
        let third = FIELDS[self.data.intn(FIELDS.len())];
        let first = self.field_value(flag, a, "");
        let second = self.field_value(flag, b, &first);
        let last = self.field_value(third, c, "");
        let mut n = counted(&self.set_field(a, id, flag, first)?);
        n += counted(&self.set_field(b, id, flag, second)?);
        n += counted(&self.set_field(c, id, third, last)?);
        self.stats.field_collisions += 1;
        Ok(n)
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

    fn field_collision(&mut self, a: usize, b: usize, id: &str) -> Result<u64, EngineError> {
        let flag = FIELDS[self.data.intn(FIELDS.len())];
        let first = self.field_value(flag, a, "");
        let second = self.field_value(flag, b, &first);
        let r1 = self.set_field(a, id, flag, first)?;
        let r2 = self.set_field(b, id, flag, second)?;
        self.stats.field_collisions += 1;
        Ok(counted(&r1) + counted(&r2))
    }

    fn delete_while_mutate(&mut self, a: usize, b: usize, id: &str) -> Result<u64, EngineError> {
        let n = self.focused(id, |e| e.run_named(a, "delete"))?;
        let edits = self.unaware_edits(b, id)?;
        self.stats.delete_mutate += 1;
        Ok(counted(&n) + edits)
    }

    /// The first half of a remote-delete round (the loop pushes the delete, then calls
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
        let edits = 2 + self.pick_index(2);
        let mut n = 0;
        for _ in 0..edits {
            let action = ["update", "comment", "log_progress"][self.pick_index(3)];
            n += counted(&self.focused(id, |e| e.run_named(b, action))?);
        }
        Ok(n)
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

    fn paired_round(&mut self, a: usize, b: usize, id: &str) -> Result<u64, EngineError> {
        let n = self.actors.len();
        let third = (n >= 3 && self.pick_index(3) == 0).then(|| (0..n).find(|&c| c != a && c != b));
        self.focus = Some(id.to_string());
        let result = (|| {
            let mut done = counted(&self.run_action_as(a)?);
            done += counted(&self.run_action_as(b)?);
            if let Some(Some(c)) = third {
                done += counted(&self.run_action_as(c)?);
            }
            Ok(done)
        })();
        self.focus = None;
        result
    }

    /// One actor, one live issue, 5–8 edits with no sync (title, priority, comment, log,
    /// labels, points, sprint). Without a live issue it runs one ordinary action.
    pub(crate) fn burst(&mut self) -> Result<u64, EngineError> {
        let a = match self.pinned {
            Some(a) => a,
            None => select_actor(self.actors.len(), &mut self.pick),
        };
        let Some(id) = self.pick_issue(a, super::selection::Mode::NotDeleted) else {
            return Ok(counted(&self.run_action_as(a)?));
        };
        let edits = 5 + self.pick_index(4);
        self.focus = Some(id.clone());
        let result = (|| {
            let mut n = 0;
            for _ in 0..edits {
                let r = match self.data.intn(7) {
                    0 => self.set_edit(a, &id, "--title")?,
                    1 => self.set_edit(a, &id, "--priority")?,
                    2 => self.run_named(a, "comment")?,
                    3 => self.run_named(a, "log_progress")?,
                    4 => self.set_edit(a, &id, "--labels")?,
                    5 => self.set_edit(a, &id, "--points")?,
                    _ => self.set_edit(a, &id, "--sprint")?,
                };
                n += counted(&r);
            }
            Ok(n)
        })();
        self.focus = None;
        self.stats.bursts += 1;
        self.stats.burst_actions += edits as u64;
        result
    }

    fn set_edit(&mut self, a: usize, id: &str, flag: &str) -> Result<ActionResult, EngineError> {
        let value = self.field_value(flag, a, "");
        self.set_field(a, id, flag, value)
    }
}
