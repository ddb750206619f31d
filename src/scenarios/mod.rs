//! Named scenarios (harness spec §6 and the bash suite's §8.2), each a Rust function a
//! `kind = "scenario"` case calls. Entry type: [`Scenario`]; the registry is [`all`] and
//! [`find`]. (Registry being filled in; this compiles on its own.)

pub mod ctx;
mod engine_run;
pub mod query;

use crate::harness::Harness;
use crate::verify::CheckResult;

/// One named scenario.
#[derive(Debug, Clone, Copy)]
pub struct Scenario {
    pub name: &'static str,
    pub actors: usize,
    pub late: &'static [&'static str],
    pub replay_note: Option<&'static str>,
    pub run: fn(&Harness, u64) -> Vec<CheckResult>,
}

pub fn all() -> &'static [Scenario] {
    &[]
}

pub fn find(name: &str) -> Option<&'static Scenario> {
    all().iter().find(|s| s.name == name)
}
