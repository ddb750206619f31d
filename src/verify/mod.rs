//! The checker of the Jepsen split. Entry type: [`Verifier`].
//!
//! Every check of harness spec §5.3, each a hard failure (none of §5.4's downgrades). Checks
//! read the actors' `issues.db` files in-process and read-only ([`db`]); the three that must
//! act (idempotency, read-your-writes, field-level merge) go through a [`Driver`]. A check
//! answers [`Verdict::Valid`], [`Verdict::Invalid`] or [`Verdict::Unknown`]; a database error
//! or a panic inside a check is Unknown with the error, never a pass.
//!
//! One file per check family: `convergence` (tables of [`tables`]),
//! `events` (action_log agreement, event counts, monotonic server_seq), `causal`,
//! `ledger` (the actors' acknowledged writes against the server's own stores, read through
//! [`server_db`]; td's push mapping restated in `pushed`), `heads`, `idempotency`,
//! `read_your_writes`, `field_merge`; [`oracle`] checks the replicas against the server log's
//! fold and the engine's intents (right, not only in agreement).

pub mod access;
mod causal;
mod convergence;
pub mod db;
pub mod diff;
mod events;
mod field_merge;
mod heads;
pub mod hygiene;
mod idempotency;
mod ledger;
mod log;
pub mod oracle;
mod pushed;
mod read_your_writes;
pub mod server_db;
pub mod session;
pub mod tables;

use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use crate::driver::{Driver, DriverError};
use crate::engine::Intent;

pub use field_merge::{MERGE_PRIORITY, MERGE_TITLE, MERGE_TITLE_ORIGINAL};
pub use idempotency::db_hash;
pub use ledger::LedgerActor;
pub use server_db::ServerData;

/// What a check concluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Verdict {
    /// The property holds.
    Valid,
    /// The property is violated; details name the rows.
    Invalid,
    /// The check could not decide (database error, harness error, panic).
    Unknown,
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Verdict::Valid => "PASS",
            Verdict::Invalid => "FAIL",
            Verdict::Unknown => "UNKNOWN",
        })
    }
}

/// One named outcome of a check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckResult {
    /// `<check>: <what> [<actors>]`, e.g. `convergence: issues rows [alice vs bob]`.
    pub name: String,
    pub verdict: Verdict,
    /// For a pass, what was verified; otherwise the first differing rows on each side.
    pub details: String,
}

impl CheckResult {
    pub fn new(name: impl Into<String>, verdict: Verdict, details: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            verdict,
            details: details.into(),
        }
    }

    pub fn valid(name: impl Into<String>, details: impl Into<String>) -> Self {
        Self::new(name, Verdict::Valid, details)
    }

    pub fn invalid(name: impl Into<String>, details: impl Into<String>) -> Self {
        Self::new(name, Verdict::Invalid, details)
    }

    pub fn unknown(name: impl Into<String>, details: impl Into<String>) -> Self {
        Self::new(name, Verdict::Unknown, details)
    }

    /// Valid or Invalid from a list of violations (empty = valid with `ok_details`).
    pub fn from_violations(
        name: impl Into<String>,
        ok_details: impl Into<String>,
        violations: &[String],
    ) -> Self {
        let (name, ok_details) = (name.into(), ok_details.into());
        if violations.is_empty() {
            return Self::valid(name, ok_details);
        }
        let details = format!(
            "{} violation(s):{}",
            violations.len(),
            diff::capped_lines(violations)
        );
        Self::invalid(name, details)
    }

    /// True only for [`Verdict::Valid`].
    pub fn passed(&self) -> bool {
        self.verdict == Verdict::Valid
    }
}

/// Why a check could not run (turned into an Unknown result, never a pass).
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("database {0} does not exist")]
    Missing(PathBuf),
    #[error("open {path} read-only: {source}")]
    Open {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error("query on {path} failed: {source} (sql: {sql})")]
    Query {
        path: PathBuf,
        sql: String,
        #[source]
        source: rusqlite::Error,
    },
    #[error("driver: {0}")]
    Driver(#[from] DriverError),
    #[error("device id from {path}: {reason}")]
    Device { path: PathBuf, reason: String },
    #[error("{0}")]
    Setup(String),
}

/// One actor's database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActorDb {
    pub actor: String,
    pub path: PathBuf,
}

impl ActorDb {
    pub fn new(actor: impl Into<String>, path: impl AsRef<Path>) -> Self {
        Self {
            actor: actor.into(),
            path: path.as_ref().to_path_buf(),
        }
    }

    /// Every actor of `driver`, in its fixed order, with its `issues.db`.
    pub fn all_from(driver: &dyn Driver) -> Vec<ActorDb> {
        driver
            .actors()
            .into_iter()
            .map(|a| {
                let path = driver.db_path(&a);
                ActorDb::new(a, path)
            })
            .collect()
    }
}

/// An issue the engine believes is not deleted, with the actor that created it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueOwner {
    pub issue_id: String,
    pub owner: String,
}

impl IssueOwner {
    pub fn new(issue_id: impl Into<String>, owner: impl Into<String>) -> Self {
        Self {
            issue_id: issue_id.into(),
            owner: owner.into(),
        }
    }

    /// Owners read from the data: every issue an actor created itself (a `create` row in its
    /// own action_log) that its database still holds undeleted. Nothing has to be handed in,
    /// so read-your-writes can fail in every case that runs it.
    pub fn from_data(dbs: &[ActorDb]) -> Result<Vec<IssueOwner>, VerifyError> {
        let mut out = Vec::new();
        for db in dbs {
            let rows = db::ReadOnlyDb::open(&db.path)?.rows(
                "SELECT DISTINCT a.entity_id FROM action_log a \
                 JOIN issues i ON i.id = a.entity_id AND i.deleted_at IS NULL \
                 WHERE a.action_type = 'create' AND a.entity_type IN ('issue', 'issues') \
                 ORDER BY a.rowid",
                [],
            )?;
            out.extend(rows.iter().filter_map(|r| {
                db::as_text(&r[0]).map(|id| IssueOwner::new(id, db.actor.clone()))
            }));
        }
        Ok(out)
    }
}

/// The fixed set of check names a case's `verify` list may use.
///
/// The last four read the server's own stores (modules `ledger` and `heads`); each is its
/// own kind so a failure report names the broken promise, and a case can ask for one alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CheckKind {
    Convergence,
    ActionLog,
    EventCounts,
    Monotonic,
    Causal,
    /// Every acknowledged action_log row is the server's event at its seq.
    LedgerAcked,
    /// No client action stored twice.
    LedgerNoDuplicate,
    /// Each project's seqs are exactly 1..N.
    LedgerDense,
    /// Nothing pending, every pull cursor at the server's head.
    Heads,
    Idempotency,
    ReadYourWrites,
    FieldMerge,
    Oracle,
}

impl CheckKind {
    /// Every check, in the order a chaos case runs them: the read-only ones first (the
    /// ledger, heads and the oracle see the world exactly as heal left it), field_merge last
    /// (it mutates).
    pub const ALL: [CheckKind; 13] = [
        CheckKind::Convergence,
        CheckKind::ActionLog,
        CheckKind::EventCounts,
        CheckKind::Monotonic,
        CheckKind::Causal,
        CheckKind::LedgerAcked,
        CheckKind::LedgerNoDuplicate,
        CheckKind::LedgerDense,
        CheckKind::Heads,
        CheckKind::Oracle,
        CheckKind::Idempotency,
        CheckKind::ReadYourWrites,
        CheckKind::FieldMerge,
    ];

    /// The name used in case files.
    pub fn as_str(self) -> &'static str {
        match self {
            CheckKind::Convergence => "convergence",
            CheckKind::ActionLog => "action_log",
            CheckKind::EventCounts => "event_counts",
            CheckKind::Monotonic => "monotonic",
            CheckKind::Causal => "causal",
            CheckKind::LedgerAcked => "ledger_acked",
            CheckKind::LedgerNoDuplicate => "ledger_no_duplicate",
            CheckKind::LedgerDense => "ledger_dense",
            CheckKind::Heads => "heads",
            CheckKind::Idempotency => "idempotency",
            CheckKind::ReadYourWrites => "read_your_writes",
            CheckKind::FieldMerge => "field_merge",
            CheckKind::Oracle => "oracle",
        }
    }

    /// Parses a case-file name; `None` for names outside the fixed set.
    pub fn parse(name: &str) -> Option<CheckKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// The valid names, comma-separated (for error messages).
    pub fn names() -> String {
        Self::ALL.map(CheckKind::as_str).join(", ")
    }
}

impl fmt::Display for CheckKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What [`Verifier::run`] needs to run any check.
pub struct VerifyContext<'a> {
    pub driver: &'a dyn Driver,
    /// Non-deleted issues and their owners, for read_your_writes.
    pub owners: &'a [IssueOwner],
    /// Extra `sync_all` rounds for idempotency (the original uses 3).
    pub idempotency_rounds: usize,
    /// The server's stores and the actors' device ids, for the ledger checks and heads;
    /// `None` (a driver without a server) makes those checks Unknown, never a pass.
    pub server: Option<ServerSide>,
    /// What td reported as done (the chaos engine's intents; empty otherwise).
    pub intents: &'a [Intent],
}

/// Where the server-side checks read: the server's data directory and, per actor, the
/// `auth.json` that holds the device id td pushes as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerSide {
    pub data_dir: PathBuf,
    pub auth_files: Vec<(String, PathBuf)>,
}

impl ServerSide {
    /// Every actor of `dbs` with its device id; an actor without an auth file is an error.
    pub fn ledger_actors(&self, dbs: &[ActorDb]) -> Result<Vec<LedgerActor>, VerifyError> {
        dbs.iter()
            .map(|db| {
                let auth = self
                    .auth_files
                    .iter()
                    .find(|(a, _)| *a == db.actor)
                    .map(|(_, p)| p)
                    .ok_or_else(|| {
                        VerifyError::Setup(format!("no auth.json given for {}", db.actor))
                    })?;
                LedgerActor::from_auth_file(db.clone(), auth)
            })
            .collect()
    }
}

/// Collects check results.
#[derive(Debug, Default)]
pub struct Verifier {
    results: Vec<CheckResult>,
}

impl Verifier {
    pub fn new() -> Self {
        Self::default()
    }

    /// Every result so far, in the order the checks ran.
    pub fn results(&self) -> &[CheckResult] {
        &self.results
    }

    pub fn into_results(self) -> Vec<CheckResult> {
        self.results
    }

    /// True when no result is Invalid or Unknown (and, as in the original, for no results).
    pub fn all_passed(&self) -> bool {
        self.results.iter().all(CheckResult::passed)
    }

    /// The Invalid and Unknown results.
    pub fn failed(&self) -> Vec<&CheckResult> {
        self.results.iter().filter(|r| !r.passed()).collect()
    }

    /// `Verify: P passed, F failed, U unknown`, then `  FAIL: <name> — <details>` (or
    /// `UNKNOWN:`) per non-passing result.
    pub fn summary(&self) -> String {
        let count = |v| self.results.iter().filter(|r| r.verdict == v).count();
        let mut out = format!(
            "Verify: {} passed, {} failed, {} unknown",
            count(Verdict::Valid),
            count(Verdict::Invalid),
            count(Verdict::Unknown)
        );
        for r in self.failed() {
            out.push_str(&format!("\n  {}: {} — {}", r.verdict, r.name, r.details));
        }
        out
    }

    /// Runs one named check with what `ctx` provides; returns the results it added.
    pub fn run(&mut self, kind: CheckKind, ctx: &VerifyContext<'_>) -> &[CheckResult] {
        let dbs = ActorDb::all_from(ctx.driver);
        match kind {
            CheckKind::Convergence => self.convergence(&dbs),
            CheckKind::ActionLog => self.action_log(&dbs),
            CheckKind::EventCounts => self.event_counts(&dbs),
            CheckKind::Monotonic => self.monotonic(&dbs),
            CheckKind::Causal => self.causal(&dbs),
            CheckKind::LedgerAcked
            | CheckKind::LedgerNoDuplicate
            | CheckKind::LedgerDense
            | CheckKind::Heads => self.server_check(kind, ctx.server.as_ref(), &dbs),
            CheckKind::Idempotency => self.idempotency(ctx.driver, ctx.idempotency_rounds),
            CheckKind::ReadYourWrites => self.read_your_writes(ctx.driver, ctx.owners),
            CheckKind::Oracle => match &ctx.server {
                Some(side) => self.oracle(&ServerData::new(&side.data_dir), &dbs, ctx.intents),
                None => self.push(vec![CheckResult::unknown(
                    "oracle",
                    "needs the server's data directory (no server side in this context)",
                )]),
            },
            CheckKind::FieldMerge => {
                let actors = ctx.driver.actors();
                match (actors.first(), actors.get(1)) {
                    (Some(a), Some(b)) => self.field_merge(ctx.driver, a, b),
                    _ => self.push(vec![CheckResult::unknown(
                        "field-level merge",
                        "needs at least two actors",
                    )]),
                }
            }
        }
    }

    /// Every table of [`tables::CONVERGENCE_TABLES`] (rows and whole-table counts) and the
    /// deleted issue count, the first actor against each other actor.
    pub fn convergence(&mut self, dbs: &[ActorDb]) -> &[CheckResult] {
        let out = guarded("convergence", || convergence::check(dbs));
        self.push(out)
    }

    /// No server_seq claimed by two actors; every actor's pull cursor at the same seq, at or
    /// past every pushed seq.
    pub fn action_log(&mut self, dbs: &[ActorDb]) -> &[CheckResult] {
        let out = guarded("action_log agreement", || events::agreement(dbs));
        self.push(out)
    }

    /// Per actor: nothing left pending, synced rows marked consistently, and the issues,
    /// comments, logs and work sessions on disk exactly those some actor's synced create made.
    pub fn event_counts(&mut self, dbs: &[ActorDb]) -> &[CheckResult] {
        let out = guarded("event counts", || events::counts(dbs));
        self.push(out)
    }

    /// Per actor: server_seq values are integers > 0, strictly increasing, no duplicates.
    pub fn monotonic(&mut self, dbs: &[ActorDb]) -> &[CheckResult] {
        let out = guarded("monotonic server_seq", || events::monotonic(dbs));
        self.push(out)
    }

    /// Per actor (local order = seq order) and over all actors' events by seq (creates first,
    /// a status an event found was set by an earlier event, e.g. start before review).
    pub fn causal(&mut self, dbs: &[ActorDb]) -> &[CheckResult] {
        let out = guarded("causal ordering", || causal::check(dbs));
        self.push(out)
    }

    /// A server-side check with what `server` points at (Unknown without it).
    fn server_check(
        &mut self,
        kind: CheckKind,
        server: Option<&ServerSide>,
        dbs: &[ActorDb],
    ) -> &[CheckResult] {
        let Some(side) = server else {
            return self.push(vec![CheckResult::unknown(
                kind.as_str(),
                "needs the server's data directory and the actors' auth.json (no server side \
                 in this context)",
            )]);
        };
        let data = ServerData::new(&side.data_dir);
        if kind == CheckKind::LedgerDense {
            return self.ledger_dense(&data);
        }
        if kind == CheckKind::Heads {
            return self.heads(dbs, &data);
        }
        let actors = match side.ledger_actors(dbs) {
            Ok(a) => a,
            Err(e) => return self.push(vec![CheckResult::unknown(kind.as_str(), e.to_string())]),
        };
        match kind {
            CheckKind::LedgerAcked => self.ledger_acked(&actors, &data),
            _ => self.ledger_no_duplicate(&actors, &data),
        }
    }

    /// Per actor: every row marked synced with server_seq S is the server's event at S
    /// (device, client action, entity, action, payload, second).
    pub fn ledger_acked(&mut self, actors: &[LedgerActor], server: &ServerData) -> &[CheckResult] {
        let out = guarded("ledger acked", || ledger::acked(actors, server));
        self.push(out)
    }

    /// Per project: no dedup key under two seqs, no action stored more often than logged.
    pub fn ledger_no_duplicate(
        &mut self,
        actors: &[LedgerActor],
        server: &ServerData,
    ) -> &[CheckResult] {
        let out = guarded("ledger no duplicate", || {
            ledger::no_duplicate(actors, server)
        });
        self.push(out)
    }

    /// Per project: seqs exactly 1..N, none handed out beyond N.
    pub fn ledger_dense(&mut self, server: &ServerData) -> &[CheckResult] {
        let out = guarded("ledger dense", || ledger::dense(server));
        self.push(out)
    }

    /// Per actor: nothing left to push, pull cursor at the server's head.
    pub fn heads(&mut self, dbs: &[ActorDb], server: &ServerData) -> &[CheckResult] {
        let out = guarded("heads", || heads::check(dbs, server));
        self.push(out)
    }

    /// The replicas against the fold of the server's event log (every field of every synced
    /// row) and every intent followed end to end; see [`oracle`].
    pub fn oracle(
        &mut self,
        server: &ServerData,
        dbs: &[ActorDb],
        intents: &[Intent],
    ) -> &[CheckResult] {
        let input = oracle::OracleInput {
            server,
            dbs,
            intents,
        };
        let out = guarded("oracle", || oracle::check(&input));
        self.push(out)
    }

    /// Hash every actor, then `rounds` × (`sync_all`, re-hash); any change fails with the
    /// rows that changed.
    pub fn idempotency(&mut self, driver: &dyn Driver, rounds: usize) -> &[CheckResult] {
        let out = guarded("idempotency", || idempotency::check(driver, rounds));
        self.push(out)
    }

    /// Every listed issue is shown by its owner (`td show <id> --json`) as its database has it.
    pub fn read_your_writes(
        &mut self,
        driver: &dyn Driver,
        owners: &[IssueOwner],
    ) -> &[CheckResult] {
        let out = guarded("read-your-writes", || {
            read_your_writes::check(driver, owners)
        });
        self.push(out)
    }

    /// The targeted experiment: `a` retitles, `b` reprioritises one issue concurrently; after
    /// `sync_all` every actor must hold exactly both changes.
    pub fn field_merge(&mut self, driver: &dyn Driver, a: &str, b: &str) -> &[CheckResult] {
        let out = guarded("field-level merge", || field_merge::check(driver, a, b));
        self.push(out)
    }

    fn push(&mut self, results: Vec<CheckResult>) -> &[CheckResult] {
        let start = self.results.len();
        self.results.extend(results);
        &self.results[start..]
    }
}

/// Runs a check, turning an error or a panic into one Unknown result named `name`.
fn guarded(
    name: &str,
    f: impl FnOnce() -> Result<Vec<CheckResult>, VerifyError>,
) -> Vec<CheckResult> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(results)) if results.is_empty() => {
            vec![CheckResult::unknown(name, "the check produced no result")]
        }
        Ok(Ok(results)) => results,
        Ok(Err(e)) => vec![CheckResult::unknown(name, e.to_string())],
        Err(panic) => vec![CheckResult::unknown(
            name,
            format!("panic inside the check: {}", panic_message(&*panic)),
        )],
    }
}

fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "non-string panic payload".to_string()
    }
}

/// `[alice vs bob]`-style label for result names.
fn pair(a: &str, b: &str) -> String {
    format!("[{a} vs {b}]")
}

/// `[alice, bob]`-style label for results over several actors.
fn all_label(dbs: &[ActorDb]) -> String {
    let names: Vec<&str> = dbs.iter().map(|d| d.actor.as_str()).collect();
    format!("[{}]", names.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panics_and_errors_are_unknown_never_pass() {
        let r = guarded("x", || panic!("boom"));
        assert_eq!(r[0].verdict, Verdict::Unknown);
        assert!(r[0].details.contains("boom"));
        let r = guarded("x", || Err(VerifyError::Setup("no db".into())));
        assert_eq!(r[0].verdict, Verdict::Unknown);
        let r = guarded("x", || Ok(vec![]));
        assert_eq!(r[0].verdict, Verdict::Unknown);
    }

    #[test]
    fn summary_lists_failures_and_unknowns() {
        let mut v = Verifier::new();
        v.push(vec![
            CheckResult::valid("a", "ok"),
            CheckResult::invalid("b", "bad"),
            CheckResult::unknown("c", "err"),
        ]);
        assert!(!v.all_passed());
        assert_eq!(v.failed().len(), 2);
        assert_eq!(
            v.summary(),
            "Verify: 1 passed, 1 failed, 1 unknown\n  FAIL: b — bad\n  UNKNOWN: c — err"
        );
    }

    #[test]
    fn check_names_round_trip() {
        for k in CheckKind::ALL {
            assert_eq!(CheckKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(CheckKind::parse("bogus"), None);
    }
}
