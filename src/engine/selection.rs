//! Target selection (harness spec §2.2–§2.4): actors, issues by mode, and the weighted
//! action draw. Candidates are always walked in model order, never a map's order.

use rand_pcg::Pcg64;

use super::actions::{ActionSpec, ACTIONS};
use super::model::{IssueModel, Model, Status};
use super::seeds::intn;

/// Which issues qualify as a target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    NotDeleted,
    Deleted,
    /// Not deleted and in this status.
    Status(Status),
    /// Not deleted and not closed (bulk_close).
    NotClosed,
}

impl Mode {
    pub fn matches(self, issue: &IssueModel) -> bool {
        match self {
            Mode::Deleted => issue.deleted,
            Mode::NotDeleted => !issue.deleted,
            Mode::Status(s) => !issue.deleted && issue.status == s,
            Mode::NotClosed => !issue.deleted && issue.status != Status::Closed,
        }
    }
}

/// Uniform pick among the model's issues matching `mode`, in model order; `None` (and no
/// draw) when there are none. A `focus` issue that matches is taken without a draw — that is
/// how conflict rounds steer two actors onto one issue.
pub fn select_issue(
    model: &Model,
    mode: Mode,
    focus: Option<&str>,
    rng: &mut Pcg64,
) -> Option<String> {
    if let Some(f) = focus {
        if model.issue(f).is_some_and(|i| mode.matches(i)) {
            return Some(f.to_string());
        }
    }
    let candidates: Vec<&IssueModel> = model.issues.iter().filter(|i| mode.matches(i)).collect();
    if candidates.is_empty() {
        return None;
    }
    Some(candidates[intn(rng, candidates.len())].id.clone())
}

/// `count` picks of `mode`, duplicates dropped (first occurrence kept).
pub fn select_distinct(
    model: &Model,
    mode: Mode,
    count: usize,
    focus: Option<&str>,
    rng: &mut Pcg64,
) -> Vec<String> {
    let mut picked: Vec<String> = Vec::new();
    for _ in 0..count {
        if let Some(id) = select_issue(model, mode, focus, rng) {
            if !picked.contains(&id) {
                picked.push(id);
            }
        }
    }
    picked
}

/// Uniform actor index.
pub fn select_actor(actors: usize, rng: &mut Pcg64) -> usize {
    intn(rng, actors)
}

/// A uniformly drawn actor index other than `actor` (one draw; needs ≥2 actors).
pub fn other_actor(actor: usize, actors: usize, rng: &mut Pcg64) -> usize {
    let k = intn(rng, actors - 1);
    if k >= actor {
        k + 1
    } else {
        k
    }
}

/// Sum of all action weights (120).
pub fn total_weight() -> u32 {
    ACTIONS.iter().map(|a| a.weight).sum()
}

/// The table's weights, indexed like [`ACTIONS`].
pub fn table_weights() -> Vec<u32> {
    ACTIONS.iter().map(|a| a.weight).collect()
}

/// The weighted action draw: `roll = Intn(total) + 1`, first cumulative weight ≥ roll.
pub fn select_action(rng: &mut Pcg64) -> &'static ActionSpec {
    let weights = table_weights();
    &ACTIONS[select_weighted(&weights, rng).unwrap_or(0)]
}

/// A weighted draw over `weights` (indexed like [`ACTIONS`]): `roll = Intn(total) + 1`,
/// first cumulative weight ≥ roll. `None` (and no draw) when every weight is 0.
pub fn select_weighted(weights: &[u32], rng: &mut Pcg64) -> Option<usize> {
    let total: u32 = weights.iter().sum();
    if total == 0 {
        return None;
    }
    let roll = intn(rng, total as usize) as u32 + 1;
    let mut cumulative = 0;
    for (i, w) in weights.iter().enumerate() {
        cumulative += w;
        if cumulative >= roll {
            return Some(i);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::seeds::{stream, Purpose};

    #[test]
    fn weights_sum_to_120_over_44_unique_actions() {
        assert_eq!(ACTIONS.len(), 44);
        assert_eq!(total_weight(), 120);
        let mut names: Vec<&str> = ACTIONS.iter().map(|a| a.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), 44);
    }

    #[test]
    fn selection_frequencies_follow_weights() {
        let mut rng = stream(123, Purpose::Actions);
        let n = 10_000.0;
        let mut counts = vec![0u32; ACTIONS.len()];
        for _ in 0..10_000 {
            let a = select_action(&mut rng);
            let idx = ACTIONS.iter().position(|x| x.name == a.name).unwrap();
            counts[idx] += 1;
        }
        for (a, &c) in ACTIONS.iter().zip(&counts) {
            let p = f64::from(a.weight) / 120.0;
            let expected = n * p;
            let sigma = (n * p * (1.0 - p)).sqrt();
            let diff = (f64::from(c) - expected).abs();
            assert!(
                diff <= 4.5 * sigma,
                "{}: {c} draws, expected {expected:.0}±{sigma:.0}",
                a.name
            );
            assert!(c > 0, "{} never drawn", a.name);
        }
        assert!(counts[0] >= 1100, "create is the heaviest action");
    }

    #[test]
    fn weighted_draw_skips_zero_weights_and_empty_tables() {
        let mut rng = stream(9, Purpose::Actions);
        let mut w = vec![0u32; ACTIONS.len()];
        assert_eq!(select_weighted(&w, &mut rng), None);
        w[3] = 2;
        w[7] = 1;
        for _ in 0..200 {
            assert!(matches!(select_weighted(&w, &mut rng), Some(3 | 7)));
        }
    }

    #[test]
    fn issue_selection_respects_mode_and_focus() {
        let mut m = Model::default();
        for (id, status, deleted) in [
            ("a", Status::Open, false),
            ("b", Status::Closed, false),
            ("c", Status::Open, true),
        ] {
            let mut i = IssueModel::new(id, None);
            i.status = status;
            i.deleted = deleted;
            m.track_created(i);
        }
        let mut rng = stream(1, Purpose::Actions);
        for _ in 0..50 {
            assert_eq!(
                select_issue(&m, Mode::Status(Status::Open), None, &mut rng).as_deref(),
                Some("a")
            );
            assert_eq!(
                select_issue(&m, Mode::Deleted, None, &mut rng).as_deref(),
                Some("c")
            );
        }
        assert_eq!(
            select_issue(&m, Mode::NotDeleted, Some("b"), &mut rng).as_deref(),
            Some("b")
        );
        assert_eq!(
            select_issue(&m, Mode::Status(Status::Blocked), None, &mut rng),
            None
        );
        let picks = select_distinct(&m, Mode::NotDeleted, 10, None, &mut rng);
        assert_eq!(picks.len(), 2);
    }

    #[test]
    fn other_actor_is_uniform_and_never_self() {
        let mut rng = stream(5, Purpose::Actions);
        let mut seen = [0u32; 3];
        for _ in 0..3000 {
            let o = other_actor(1, 3, &mut rng);
            assert_ne!(o, 1);
            seen[o] += 1;
        }
        assert!(seen[0] > 1300 && seen[2] > 1300, "{seen:?}");
    }
}
