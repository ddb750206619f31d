//! Action executors by group. Each draws its targets from the actor's model (actions
//! stream) and its argument values from the data stream, in the spec's order, runs td, and
//! updates the actor's model only when the action succeeded.

pub mod boards;
pub mod deps;
pub mod family;
pub mod files;
pub mod issues;
pub mod notes;
pub mod status;
pub mod undo;
pub mod worksessions;

use super::model::Model;
use super::random::Text;
use super::seeds::intn;
use super::selection::{self, Mode};
use super::stats::ActionResult;
use super::{ChaosEngine, EngineError};

/// An executor's result type.
pub type Exec = Result<ActionResult, EngineError>;

impl ChaosEngine<'_> {
    /// A target of `mode` from `actor`'s model (the focus issue first, if it qualifies).
    pub(crate) fn pick_issue(&mut self, actor: usize, mode: Mode) -> Option<String> {
        selection::select_issue(
            &self.models[actor],
            mode,
            self.focus.as_deref(),
            &mut self.pick,
        )
    }

    /// `count` distinct targets of `mode`.
    pub(crate) fn pick_distinct(&mut self, actor: usize, mode: Mode, count: usize) -> Vec<String> {
        selection::select_distinct(
            &self.models[actor],
            mode,
            count,
            self.focus.as_deref(),
            &mut self.pick,
        )
    }

    /// Uniform index in `[0, n)` from the actions stream.
    pub(crate) fn pick_index(&mut self, n: usize) -> usize {
        intn(&mut self.pick, n)
    }

    /// Counts generated edge data (create, update, create_child, comment, logs).
    pub(crate) fn count_edge(&mut self, texts: &[&Text]) {
        self.stats.edge_data += texts.iter().filter(|t| t.edge).count() as u64;
    }

    pub(crate) fn model_mut(&mut self, actor: usize) -> &mut Model {
        &mut self.models[actor]
    }
}
