//! Coverage: proof that a run did enough of the right work.
//!
//! - `work`: the per-case "too little work" check (skips and refusals must not dominate);
//! - `interleavings`: the named interleavings a run's history shows, found from evidence;
//! - `suite`: the suite-level "sometimes" check — every interleaving reached by some case.

pub mod interleavings;
pub mod suite;
pub mod work;

pub use interleavings::{detect, Interleaving, Reached, Sizes};
pub use suite::SuiteCoverage;
pub use work::work_check;
