//! Running one case end to end. Entry type: [`Suite`] (the config and every discovered
//! case); entry points [`Suite::discover`] and [`execute`]. The runner in
//! `tests/e2e.rs` is a thin shell around them.
//!
//! A case runs in named phases: world setup, the case's own work (chaos loop with faults,
//! scenario, or steps), heal (`sync_all`), final reads and verification. A failed case keeps
//! its world on disk.
//!
//! - `chaos`, `scenario`, `steps`: one file per case kind; `seed`: where seeds come from;
//! - `outcome`: what a case produced and its failure text (the files: `crate::report`).

mod access;
mod chaos;
mod liveness;
mod outcome;
pub(crate) mod replay_check;
mod scenario;
mod seed;
mod select;
mod steps;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::time::Instant;

pub use crate::report::write_reports;
pub use chaos::{run as run_chaos_case, ChaosParams};
pub use outcome::{CaseOutcome, Status};
pub use seed::{choose as choose_seed, fresh as fresh_seed, from_env_or as seed_from_env_or};
pub use steps::LINKED_FILE_TEXT;

use crate::case::{self, Case, CaseKind, DiscoveredCase};
use crate::config::{self, HarnessConfig};
use crate::driver::Driver;
use crate::engine::ChaosConfig;
use crate::engine::Intent;
use crate::faults::FaultKind;
use crate::harness::{Harness, WorldOptions};
use crate::scenarios::Scenario;
use crate::verify::{hygiene, ActorDb, CheckKind, IssueOwner, ServerSide, Verifier, VerifyContext};

/// Extra `sync_all` rounds of the idempotency check, in chaos and steps cases alike.
pub const IDEMPOTENCY_ROUNDS: usize = 1;

/// One discovered case file, loaded or broken.
pub type CaseEntry = DiscoveredCase;

/// Everything a run needs: the config, where cases and reports live, the cases.
pub struct Suite {
    pub cfg: HarnessConfig,
    pub cases_dir: PathBuf,
    pub report_dir: PathBuf,
    pub entries: Vec<CaseEntry>,
    /// Per entry: its seed, chosen once at discovery (file > `E2E_SEED` > clock), or why
    /// none could be chosen. Steps cases have no randomness: `Ok(None)`.
    pub seeds: Vec<Result<Option<u64>, String>>,
}

/// A broken case is ignored only if it says so; one that cannot be read runs (and fails).
pub trait Ignored {
    fn ignored(&self) -> bool;
}

impl Ignored for CaseEntry {
    fn ignored(&self) -> bool {
        self.case.as_ref().is_ok_and(|c| c.ignored)
    }
}

impl Suite {
    /// Loads `harness.toml` and discovers `cases/**/*.toml` (`E2E_CASES_DIR` and
    /// `E2E_REPORT_DIR` override the two directories, for the runner's own tests). With an
    /// exact name, only that file is read, and a name that is no case is an error listing
    /// the nearest names (so is one that could leave the cases directory).
    pub fn discover(exact: Option<&str>) -> Result<Suite, String> {
        if let Some(name) = exact {
            select::check_exact_name(name)?;
        }
        let cfg = HarnessConfig::load_default().map_err(|e| e.to_string())?;
        let cases_dir = std::env::var_os("E2E_CASES_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| config::workspace_root().join("cases"));
        let report_dir = std::env::var_os("E2E_REPORT_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| cfg.report_dir());
        let entries = match exact.and_then(|n| case::load_named(&cases_dir, n)) {
            Some(one) => vec![one],
            None => case::discover(&cases_dir),
        };
        if let Some(name) = exact {
            select::check_exact_match(name, entries.iter().map(|e| e.name.as_str()))?;
        }
        let seeds = entries.iter().map(seed_of).collect();
        Ok(Suite {
            cfg,
            cases_dir,
            report_dir,
            entries,
            seeds,
        })
    }

    /// The selected entries, longest expected run first, so the pool's last worlds are
    /// short ones and no single long case runs alone at the end (greedy LPT scheduling).
    pub fn longest_first(&self, selected: &[usize]) -> Vec<usize> {
        let mut order = selected.to_vec();
        order.sort_by_key(|&i| std::cmp::Reverse(self.cost_estimate(i)));
        order
    }

    /// A rough cost in "td invocations" (only the order matters).
    fn cost_estimate(&self, i: usize) -> u64 {
        let Ok(case) = &self.entries[i].case else {
            return 0;
        };
        match &case.kind {
            CaseKind::Chaos(c) => match c.budget {
                crate::engine::Budget::Actions(n) => n,
                // About 50 actions a second.
                crate::engine::Budget::Duration(d) => d.as_secs() * 50,
            },
            CaseKind::Scenario(_) => 60,
            CaseKind::Steps(s) => s.steps.len() as u64,
        }
    }

    /// The seed block printed before any case runs: one line per selected case with its
    /// seed and every derived parameter, so a run can be replayed from its log.
    pub fn seed_block(&self, selected: &[usize]) -> String {
        let mut out = String::new();
        for &i in selected {
            let (Ok(case), Ok(Some(seed))) = (&self.entries[i].case, &self.seeds[i]) else {
                continue;
            };
            out.push_str(&format!("seed {}: {}\n", case.name, describe(case, *seed)));
        }
        out
    }
}

fn seed_of(entry: &CaseEntry) -> Result<Option<u64>, String> {
    match &entry.case {
        Ok(c) if matches!(c.kind, CaseKind::Steps(_)) => Ok(None),
        Ok(c) => choose_seed(c.seed()).map(Some),
        Err(_) => Ok(None),
    }
}

/// Runs entry `index` of the suite; never panics (a panic is an errored outcome) and
/// always reaps its world.
pub fn execute(suite: &Suite, index: usize) -> CaseOutcome {
    let start = Instant::now();
    let entry = &suite.entries[index];
    let mut out = match (&entry.case, &suite.seeds[index]) {
        (Err(e), _) => CaseOutcome::errored(&entry.name, format!("malformed case file: {e}")),
        (Ok(_), Err(e)) => CaseOutcome::errored(&entry.name, e.clone()),
        (Ok(case), Ok(seed)) => catch_unwind(AssertUnwindSafe(|| run_case(suite, case, *seed)))
            .unwrap_or_else(|p| {
                let msg = p
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_else(|| "panic".into());
                CaseOutcome::errored(&entry.name, format!("the case panicked: {msg}"))
            }),
    };
    if let (Status::Failed, Ok(case)) = (out.status, &entry.case) {
        out.shrunk = shrink_failed(suite, case, &out);
    }
    out.page = Some(crate::report::files::case_file(
        &suite.report_dir,
        "html",
        &entry.name,
        "html",
    ));
    out.duration = start.elapsed();
    out
}

/// Shrinks a failed case within the budget (`E2E_SHRINK`, `[shrink] budget`); the text
/// for its failure message, or `None` when shrinking is off.
fn shrink_failed(suite: &Suite, case: &Case, out: &CaseOutcome) -> Option<String> {
    let budget = match suite.cfg.shrink_budget() {
        Ok(Some(b)) => b,
        Ok(None) => return None,
        Err(e) => return Some(format!("not shrunk: {e}")),
    };
    let req = crate::shrink::ShrinkRequest {
        case,
        seed: out.seed,
        history: &out.history,
        checks: &out.checks,
    };
    let opts = crate::shrink::ShrinkOptions {
        budget,
        out_dir: suite.report_dir.join("shrunk"),
        hook: None,
    };
    Some(match crate::shrink::shrink(&suite.cfg, &req, &opts) {
        Ok(s) => s.describe(),
        Err(e) => format!("not shrunk: {e}"),
    })
}

fn world_options(cfg: &HarnessConfig, case: &Case, scenario: Option<&Scenario>) -> WorldOptions {
    let mut opts = WorldOptions::actors(case.actors());
    if let Some(sc) = scenario {
        opts.actors = opts.actors.max(sc.actors);
        opts.late = sc.late.iter().map(|s| s.to_string()).collect();
    }
    let faults = case_faults(case);
    if !faults.is_empty() {
        // A request that is never answered must cost seconds, not td's 30 s.
        let ms = cfg.td_timeout().as_millis();
        opts.td_env
            .push(("TD_SYNC_TIMEOUT".into(), format!("{ms}ms")));
    }
    if let CaseKind::Chaos(c) = &case.kind {
        opts.td_env.extend(c.sizes.td_env());
    }
    if faults.contains(&FaultKind::BusyDb) {
        let ms = cfg.td_busy_timeout().as_millis();
        opts.td_env
            .push(("TD_BUSY_TIMEOUT_MS".into(), ms.to_string()));
    }
    opts
}

/// Every fault kind a case can inject.
fn case_faults(case: &Case) -> Vec<FaultKind> {
    match &case.kind {
        CaseKind::Chaos(c) => c.faults.kinds(),
        CaseKind::Steps(s) => steps::fault_kinds(&s.steps),
        CaseKind::Scenario(_) => Vec::new(),
    }
}

/// Something done to every fresh world of a case before it runs (the shrinker's tests
/// plant bug injectors this way).
pub type WorldHook = std::sync::Arc<dyn Fn(&Harness) + Send + Sync>;

fn run_case(suite: &Suite, case: &Case, seed: Option<u64>) -> CaseOutcome {
    let mut out = run_case_in(&suite.cfg, case, seed, None, suite.cfg.world.keep_failed);
    if replay_check::enabled() && out.status != Status::Errored {
        replay_twice(suite, case, seed, &mut out);
    }
    out
}

/// `E2E_REPLAY_CHECK=1`: runs the case again with the same seed and compares the two
/// normalised operation sequences (a case that cannot be replayed exactly says so instead).
fn replay_twice(suite: &Suite, case: &Case, seed: Option<u64>, out: &mut CaseOutcome) {
    if let Some(why) = &out.not_replayable {
        out.details.push(format!(
            "{}: skipped, this case cannot be replayed exactly: {why}",
            replay_check::NAME
        ));
        return;
    }
    let second = run_case_in(&suite.cfg, case, seed, None, false);
    out.add_checks(vec![replay_check::compare(&out.history, &second.history)]);
}

/// Runs `case` in a fresh world set up from `cfg`, `hook` applied to the world first;
/// `keep_failed`: keep a failed case's world on disk.
pub fn run_case_in(
    cfg: &HarnessConfig,
    case: &Case,
    seed: Option<u64>,
    hook: Option<&WorldHook>,
    keep_failed: bool,
) -> CaseOutcome {
    let mut out = CaseOutcome::new(&case.name);
    out.seed = seed;
    let seed = seed.unwrap_or(0);
    let scenario = match scenario::resolve(case) {
        Ok(s) => s,
        Err(e) => return CaseOutcome::errored(&case.name, e),
    };
    if case_faults(case).contains(&FaultKind::ClockSkew) {
        if let Err(e) = crate::faults::clock::library() {
            return CaseOutcome::errored(&case.name, format!("cannot run this case: {e}"));
        }
    }
    let mut opts = world_options(cfg, case, scenario);
    // Seeded cases get td ids that replay too; a case without a seed keeps them random.
    opts.id_seed = out.seed;
    let mut h = match Harness::setup(cfg, &opts) {
        Ok(h) => h,
        Err(e) => {
            let mut o = CaseOutcome::errored(&case.name, format!("world setup failed: {e}"));
            o.seed = out.seed;
            return o;
        }
    };
    if let Some(hook) = hook {
        hook(&h);
    }
    match &case.kind {
        CaseKind::Chaos(_) => chaos::run(&h, &chaos_params(case, seed), &mut out),
        CaseKind::Scenario(_) => {
            let sc = scenario.expect("a scenario case's scenario is resolved before setup");
            scenario::run(&h, sc, seed, &mut out)
        }
        CaseKind::Steps(s) => steps::run(&h, &s.steps, &mut out),
    }
    // Chaos cases add these themselves, so their ChaosReport carries them.
    if out.status != Status::Errored && !matches!(case.kind, CaseKind::Chaos(_)) {
        out.add_checks(hygiene_checks(&h, &case.expect_quarantine));
    }
    if !out.passed() && keep_failed {
        if let Ok(json) = crate::report::files::history_json(&out.history) {
            let _ = std::fs::write(h.world_dir().join("history.json"), json);
        }
        out.world = Some(h.keep());
    }
    out
}

/// A case's seed and every parameter derived from it.
fn describe(case: &Case, seed: u64) -> String {
    match &case.kind {
        CaseKind::Chaos(_) => format!(
            "actors={} {}",
            case.actors(),
            chaos_params(case, seed).config.describe()
        ),
        CaseKind::Scenario(s) => format!("{seed} scenario={} actors={}", s.scenario, case.actors()),
        CaseKind::Steps(_) => String::new(),
    }
}

fn chaos_params(case: &Case, seed: u64) -> ChaosParams {
    let CaseKind::Chaos(c) = &case.kind else {
        unreachable!("chaos_params on a non-chaos case")
    };
    let mut config = ChaosConfig {
        budget: c.budget,
        sync_mode: c.sync_mode,
        conflict_rate: u32::from(c.conflict_rate),
        faults: c.faults.clone(),
        lanes: c.lanes,
        ..ChaosConfig::new(seed, 0)
    };
    if c.swarm {
        config = config.swarmed();
    }
    let checks = if c.verify.is_empty() {
        CheckKind::ALL.to_vec()
    } else {
        c.verify.clone()
    };
    ChaosParams {
        config,
        checks,
        idempotency_rounds: IDEMPOTENCY_ROUNDS,
        expect_quarantine: case.expect_quarantine.clone(),
        access: c.access,
        sizes: {
            let (push_batch, pull_limit) = c.sizes.effective();
            crate::coverage::Sizes {
                push_batch,
                pull_limit,
            }
        },
    }
}

/// What must not have happened quietly in any case: a server panic or 5xx, an undeclared
/// quarantined event.
fn hygiene_checks(h: &Harness, expect_quarantine: &[String]) -> Vec<crate::verify::CheckResult> {
    vec![
        hygiene::server_log(&h.server_log()),
        hygiene::quarantine(&ActorDb::all_from(h), expect_quarantine),
    ]
}

/// Where the ledger checks read in a world: td-sync's data directory (the harness points
/// `SYNC_SERVER_DB_PATH` and `SYNC_PROJECT_DATA_DIR` into `server-data/`) and the auth.json
/// device login wrote into each actor's HOME.
pub fn server_side(h: &Harness) -> ServerSide {
    ServerSide {
        data_dir: h.world_dir().join("server-data"),
        auth_files: h
            .actors()
            .into_iter()
            .map(|a| {
                let auth = h.home_dir(&a).join(".config/td/auth.json");
                (a, auth)
            })
            .collect(),
    }
}

/// Runs `kinds` in order against the world `h` and collects their results. `intents` are
/// the chaos engine's (empty for steps cases).
fn run_checks(
    h: &Harness,
    owners: &[IssueOwner],
    intents: &[Intent],
    idempotency_rounds: usize,
    kinds: &[CheckKind],
) -> Verifier {
    let ctx = VerifyContext {
        driver: h,
        owners,
        idempotency_rounds,
        server: Some(server_side(h)),
        intents,
    };
    let mut verifier = Verifier::new();
    for kind in kinds {
        verifier.run(*kind, &ctx);
    }
    verifier
}
