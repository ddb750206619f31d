//! Applying pulled events to a client database (sync spec §7.4–§7.10).
//!
//! Entry point: [`apply_page`], which the caller runs inside its own transaction and
//! follows with [`record_page`]. Apply is pure data replay: it never writes `action_log`
//! and never re-runs workflow logic.
//!
//! - input: [`crate::wire::PullEvent`], one pulled event as the server sends it;
//! - `payload`: decoding and the work_sessions scrub;
//! - `ops`: create (full-row replace), update (field diff), delete, soft delete, restore;
//! - `normalize`: JSON value → SQLite value;
//! - `fk` / `cycle`: orphan pre-check and dependency-cycle resolution;
//! - `conflict`: overwritten-row detection; `record`: the sync bookkeeping rows.

mod conflict;
mod cycle;
mod error;
mod fk;
mod normalize;
mod ops;
mod page;
mod payload;
mod record;
mod tables;
mod timefmt;

#[cfg(test)]
mod tests;

pub use error::{ApplyError, FailureKind};
pub use page::{
    apply_event, apply_page, Conflict, PageOutcome, SkipReason, SkippedEvent, TransientFailure,
};
pub use payload::scrub_local_only;
pub use record::{record_conflict, record_history, record_page, record_skipped, HistoryEntry};
pub use timefmt::event_time_text;
