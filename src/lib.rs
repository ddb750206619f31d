//! td-e2e: an end-to-end sync test harness for td and td-sync.
//!
//! Jepsen's nouns as modules: [`engine`] (generator), [`driver`] + `harness` (client),
//! `faults` (nemesis), [`history`], [`verify`] (checker), [`scenarios`], [`report`] (JSON,
//! JUnit, HTML),
//! and [`case`] (the TOML case schema the runner in `tests/e2e.rs` reads).

pub mod case;
pub mod config;
pub mod coverage;
pub mod driver;
pub mod engine;
pub mod faults;
pub mod harness;
pub mod history;
pub mod report;
pub mod run;
pub mod scenarios;
pub mod shrink;
pub mod sync_plan;
pub mod verify;
