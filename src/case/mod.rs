//! Case files: the TOML schema, its validation and discovery. Entry type: [`Case`] (a
//! validated case); entry points [`discover`], [`load_named`] and [`parse`].
//!
//! One file = one case, named by its path under `cases/` without `.toml`
//! (`scenarios/dependency-cycle`). Three kinds, told apart by `kind`: `chaos`, `scenario`,
//! `steps` (see DESIGN.md "Case files"). The on-disk types (`schema`, every field documented,
//! unknown keys rejected) are separate from the runtime types here; every error names the
//! file, the line and column, and the key (`step[2].expect`).
//!
//! - `schema`: the on-disk serde types; `validate`, `validate_steps`: parsing them into the
//!   runtime types; `error`: [`CaseError`] and how it locates line, column and key;
//! - `placeholder`: `{name}` placeholders of steps; `discover`: finding and loading files.

mod discover;
mod error;
mod placeholder;
mod schema;
mod validate;
mod validate_faults;
mod validate_steps;

use std::fmt;
use std::path::PathBuf;

pub use discover::{case_name, discover, load, load_named};
pub use error::CaseError;
pub use placeholder::{placeholders, substitute};
pub use validate::parse;

/// The engine owns how a chaos run is paced and bounded; a case names them directly.
pub use crate::engine::{Budget, SyncMode};
pub use crate::faults::FaultPlan;

use crate::verify::CheckKind;

/// Actor names by position; a case with `actors = N` uses the first N.
pub const DEFAULT_ACTORS: [&str; 3] = ["alice", "bob", "carol"];

/// A file found by [`discover`]: its name and either the case or why it is broken (a broken
/// case is one failing trial; the others still run).
#[derive(Debug, Clone)]
pub struct DiscoveredCase {
    /// Path under the cases root without `.toml`, `/`-separated.
    pub name: String,
    pub path: PathBuf,
    pub case: Result<Case, CaseError>,
}

/// A validated case.
#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    pub name: String,
    pub path: PathBuf,
    /// Runs only under `--ignored` / `--include-ignored`.
    pub ignored: bool,
    pub kind: CaseKind,
    /// Remote-event kinds a replica may quarantine without failing the case.
    pub expect_quarantine: Vec<String>,
}

impl Case {
    /// Number of actors (2 or 3).
    pub fn actors(&self) -> usize {
        match &self.kind {
            CaseKind::Chaos(c) => c.actors,
            CaseKind::Scenario(s) => s.actors,
            CaseKind::Steps(s) => s.actors,
        }
    }

    /// The actor names this case uses.
    pub fn actor_names(&self) -> &'static [&'static str] {
        &DEFAULT_ACTORS[..self.actors()]
    }

    /// The fixed seed, if the file gives one.
    pub fn seed(&self) -> Option<u64> {
        match &self.kind {
            CaseKind::Chaos(c) => c.seed,
            CaseKind::Scenario(s) => s.seed,
            CaseKind::Steps(_) => None,
        }
    }
}

/// What a case does.
// A suite holds a few dozen of these, read once: boxing the chaos variant would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum CaseKind {
    Chaos(ChaosCase),
    Scenario(ScenarioCase),
    Steps(StepsCase),
}

impl CaseKind {
    /// `chaos`, `scenario` or `steps`.
    pub fn label(&self) -> &'static str {
        match self {
            CaseKind::Chaos(_) => "chaos",
            CaseKind::Scenario(_) => "scenario",
            CaseKind::Steps(_) => "steps",
        }
    }
}

/// A randomized chaos run.
#[derive(Debug, Clone, PartialEq)]
pub struct ChaosCase {
    pub actors: usize,
    /// An action count, or wall time (such a run cannot be replayed action for action).
    pub budget: Budget,
    /// `None`: derive from E2E_SEED or the time, and print it.
    pub seed: Option<u64>,
    pub sync_mode: SyncMode,
    /// Percent (0–100) of rounds where two actors act on one issue before a sync.
    pub conflict_rate: u8,
    /// Checks to run after the final sync, in file order (all of them when omitted).
    pub verify: Vec<CheckKind>,
    /// Faults injected during the run (none by default).
    pub faults: FaultPlan,
    /// Readers and outsiders beside the actors (none by default).
    pub access: AccessPlan,
    /// Swarm testing: the seed picks which actions and fault kinds run, and their weights.
    pub swarm: bool,
    /// Parallel lanes between sync points (see `engine::lanes`; runs with faults never use
    /// them).
    pub lanes: bool,
    /// td's push batch and pull page sizes (td's defaults when `None`).
    pub sizes: SyncSizes,
}

/// Push batch and pull page sizes a chaos case gives td (`None`: td's own 500 and 1000).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SyncSizes {
    pub push_batch: Option<u64>,
    pub pull_limit: Option<u64>,
}

impl SyncSizes {
    /// The td environment that sets them.
    pub fn td_env(&self) -> Vec<(String, String)> {
        let mut env = Vec::new();
        if let Some(n) = self.push_batch {
            env.push(("TD_SYNC_PUSH_BATCH".to_string(), n.to_string()));
        }
        if let Some(n) = self.pull_limit {
            env.push(("TD_SYNC_PULL_LIMIT".to_string(), n.to_string()));
        }
        env
    }

    /// The sizes td uses: the configured ones or td's defaults (500, 1000).
    pub fn effective(&self) -> (u64, u64) {
        (
            self.push_batch.unwrap_or(500),
            self.pull_limit.unwrap_or(1000),
        )
    }
}

/// Devices beside the actors that try the access rules during a chaos run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AccessPlan {
    pub reader: bool,
    pub outsider: bool,
    /// Successful syncs after which the reader is removed (0 = never).
    pub remove_reader_after: u64,
}

impl AccessPlan {
    pub fn is_empty(&self) -> bool {
        !self.reader && !self.outsider
    }
}

/// A named scenario from `src/scenarios/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioCase {
    pub scenario: String,
    pub actors: usize,
    pub seed: Option<u64>,
}

/// A fixed list of steps (what the shrinker writes).
#[derive(Debug, Clone, PartialEq)]
pub struct StepsCase {
    pub actors: usize,
    pub steps: Vec<Step>,
}

/// One step and the line of its `[[step]]` header (for failure messages).
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub line: usize,
    pub action: StepAction,
}

/// What a step does.
#[derive(Debug, Clone, PartialEq)]
pub enum StepAction {
    /// Run `td <args>` as `actor`; `{name}` placeholders are replaced by saved ids.
    Td {
        actor: String,
        args: Vec<String>,
        /// Capture the `CREATED td-…` id under this name.
        save: Option<String>,
        expect: Expect,
        /// The output must contain this text.
        output_contains: Option<String>,
    },
    /// `td sync` by one actor or `sync_all`, expected to succeed, fail or either.
    Sync {
        target: SyncTarget,
        expect: Expect,
    },
    Fault(FaultStep),
    /// End every fault.
    Heal,
    Verify(Vec<CheckKind>),
    /// Run a read-only query on `actor`'s database and compare typed values.
    Sql {
        actor: String,
        query: String,
        expect: SqlExpect,
    },
    /// td commands started at once (each may succeed or fail); not exactly replayable.
    Concurrent(Vec<ConcurrentTd>),
}

/// One command of a `concurrent` step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConcurrentTd {
    pub actor: String,
    pub args: Vec<String>,
}

/// Expected exit status of a td step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    Ok,
    Fail,
    Any,
}

impl Expect {
    /// `ok`, `fail` or `any`.
    pub fn parse(s: &str) -> Option<Expect> {
        Some(match s {
            "ok" => Expect::Ok,
            "fail" => Expect::Fail,
            "any" => Expect::Any,
            _ => return None,
        })
    }
}

/// Who syncs in a sync step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncTarget {
    /// `sync_all`.
    All,
    /// One `td sync` by this actor.
    Actor(String),
}

/// A fault step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FaultStep {
    RestartServer,
    StopServer,
    StartServer,
    /// Any fault of the nemesis (partition, per-request faults, pause, clock skew).
    Invoke(crate::faults::Fault),
}

impl FaultStep {
    /// `restart_server`, `stop_server` or `start_server`.
    pub fn parse(s: &str) -> Option<FaultStep> {
        Some(match s {
            "restart_server" => FaultStep::RestartServer,
            "stop_server" => FaultStep::StopServer,
            "start_server" => FaultStep::StartServer,
            _ => return None,
        })
    }
}

/// What a sql step expects.
#[derive(Debug, Clone, PartialEq)]
pub enum SqlExpect {
    /// Exactly one row with one column holding this value.
    Equals(SqlLiteral),
    /// Exactly these rows, in order.
    Rows(Vec<Vec<SqlLiteral>>),
}

/// A typed value in a sql step (TOML has no NULL: test for it with `IS NULL` in the query).
#[derive(Debug, Clone, PartialEq)]
pub enum SqlLiteral {
    Text(String),
    Integer(i64),
    Real(f64),
}

impl SqlLiteral {
    /// True when `v` has this type and value (TEXT '1' is not INTEGER 1; booleans are 0/1).
    pub fn matches(&self, v: &rusqlite::types::Value) -> bool {
        use rusqlite::types::Value;
        match (self, v) {
            (SqlLiteral::Text(a), Value::Text(b)) => a == b,
            (SqlLiteral::Integer(a), Value::Integer(b)) => a == b,
            (SqlLiteral::Real(a), Value::Real(b)) => a == b,
            _ => false,
        }
    }
}

impl fmt::Display for SqlLiteral {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SqlLiteral::Text(s) => write!(f, "{s:?}"),
            SqlLiteral::Integer(i) => write!(f, "{i}"),
            SqlLiteral::Real(r) => write!(f, "{r:?}"),
        }
    }
}
