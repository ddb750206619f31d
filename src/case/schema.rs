//! The on-disk form of a case file: one serde type per table, unknown keys rejected, every
//! value spanned so validation can point at it. What a field means is documented here; what
//! values it takes is checked in `validate`.

use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;

/// Reads only `kind`, to pick the schema.
#[derive(Deserialize)]
pub(super) struct KindProbe {
    pub kind: Option<Spanned<String>>,
    /// Read here for every kind (each kind's own schema accepts the key too).
    pub expect_quarantine: Option<Spanned<Vec<String>>>,
}

/// `kind = "chaos"`: a randomized run.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ChaosFile {
    /// Always `"chaos"`.
    #[allow(dead_code)]
    pub kind: String,
    /// Number of actors: 2 or 3.
    pub actors: Spanned<i64>,
    /// Total actions (> 0). Exactly one of `actions` and `duration`.
    pub actions: Option<Spanned<i64>>,
    /// Wall-clock length: an integer and a unit, `500ms`, `30s`, `5m`, `1h`.
    pub duration: Option<Spanned<String>>,
    /// PRNG seed (≥ 0); omitted = derived from E2E_SEED or the time, and printed.
    pub seed: Option<Spanned<i64>>,
    /// `adaptive` (3–10 actions between syncs, default), `aggressive` (1–3), `random` (1–20).
    pub sync_mode: Option<Spanned<String>>,
    /// Percent of rounds (0–100, default 20) where two actors act on one issue before a sync.
    pub conflict_rate: Option<Spanned<i64>>,
    /// Checks to run after the final sync (default: all), names from
    /// [`CheckKind`](crate::verify::CheckKind).
    pub verify: Option<Spanned<Vec<Spanned<String>>>>,
    /// Skip unless the runner is asked for ignored cases (default false).
    #[serde(default)]
    pub ignored: bool,
    /// Optional fault injection.
    pub faults: Option<FaultsFile>,
    /// Optional outsiders and readers beside the actors.
    pub access: Option<AccessFile>,
    /// Swarm testing (default false): the seed enables a random subset of the actions and
    /// of the `[faults]` kinds, with random weights and rates, and draws the conflict rate
    /// and sync mode; the chosen shape is printed with the seed.
    #[serde(default)]
    pub swarm: bool,
    /// Parallel lanes (default true): between sync points each actor's actions run at once,
    /// one thread per actor; `false` runs one action at a time. Runs with faults never use
    /// them.
    pub lanes: Option<bool>,
    /// Events per push request td sends (1–1000; default td's 500): small values make
    /// every sync cross batch boundaries. Sets `TD_SYNC_PUSH_BATCH` for every td.
    pub push_batch: Option<Spanned<i64>>,
    /// Pull page size td asks for (1–10000; default td's 1000). Sets `TD_SYNC_PULL_LIMIT`.
    pub pull_limit: Option<Spanned<i64>>,
    /// Kinds of remote events a replica may skip (quarantine) without failing the case:
    /// an entity type (`issue_dependencies`) or `action_type:entity_type`.
    #[allow(dead_code)]
    pub expect_quarantine: Option<Spanned<Vec<String>>>,
}

/// `[faults]` of a chaos case. Rates are percentages (0–100, fractions allowed): of loop
/// iterations for windows and clock jumps, of requests for per-request faults, of sync points
/// for pauses. Every enabled kind must fire at least once in the run.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FaultsFile {
    /// Restart the server every N actions (≥ 0, default 0 = never).
    pub server_restart_every: Option<Spanned<i64>>,
    /// % of iterations that cut one actor off for a window of actions.
    pub partition: Option<Spanned<toml::Value>>,
    /// Partition modes to draw from: `refuse`, `blackhole`, `drop_responses` (default all).
    pub partition_modes: Option<Spanned<Vec<Spanned<String>>>>,
    /// Window length in actions, `[lo, hi]` (default `[3, 12]`).
    pub partition_actions: Option<Spanned<Vec<i64>>>,
    /// % of requests whose answer is lost after the server committed them.
    pub lost_response: Option<Spanned<toml::Value>>,
    /// % of requests whose answer is reset halfway through the body.
    pub reset: Option<Spanned<toml::Value>>,
    /// % of requests whose answer is cut short and closed.
    pub truncate: Option<Spanned<toml::Value>>,
    /// % of requests the proxy answers 500 without forwarding.
    pub http_500: Option<Spanned<toml::Value>>,
    /// % of requests answered 503.
    pub http_503: Option<Spanned<toml::Value>>,
    /// % of requests answered 429 with `Retry-After: 1`.
    pub http_429: Option<Spanned<toml::Value>>,
    /// % of push/pull requests during which td-sync is killed -9 (then restarted).
    pub server_kill: Option<Spanned<toml::Value>>,
    /// % of push/pull requests during which the td waiting for them is killed -9.
    pub client_kill: Option<Spanned<toml::Value>>,
    /// % of pull requests (with events) during which the actor's database is write-locked.
    pub busy_db: Option<Spanned<toml::Value>>,
    /// Extra delay per request, `["1ms", "20ms"]` (uniform between the two).
    pub latency: Option<Spanned<Vec<String>>>,
    /// Bodies relayed at this many bytes per second (> 0).
    pub slow_link: Option<Spanned<i64>>,
    /// % of sync points during which the server is paused (SIGSTOP).
    pub server_pause: Option<Spanned<toml::Value>>,
    /// A fixed clock offset per actor, in order: `["+2d", "-3h", "0"]` (needs libfaketime).
    pub clock_skew: Option<Spanned<Vec<String>>>,
    /// % of iterations where one actor's clock jumps (±1 minute to 3 days).
    pub clock_jump: Option<Spanned<toml::Value>>,
}

/// `[access]` of a chaos case: devices beside the actors that try the server's access rules
/// through real clients during the run.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct AccessFile {
    /// A user invited as `reader`: it pulls, its pushes must be refused.
    #[serde(default)]
    pub reader: bool,
    /// A user logged in to the same server and never invited: refused everything.
    #[serde(default)]
    pub outsider: bool,
    /// Remove the reader from the project after this many successful syncs (0 = never):
    /// from then on nothing with a later seq may reach it.
    pub remove_reader_after: Option<Spanned<i64>>,
}

/// `kind = "scenario"`: a named scenario of `src/scenarios/`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ScenarioFile {
    /// Always `"scenario"`.
    #[allow(dead_code)]
    pub kind: String,
    /// Scenario name, snake_case (`dependency_cycle`).
    pub scenario: Spanned<String>,
    /// Number of actors: 2 or 3.
    pub actors: Spanned<i64>,
    /// PRNG seed (≥ 0); omitted = derived and printed.
    pub seed: Option<Spanned<i64>>,
    /// Skip unless ignored cases are requested (default false).
    #[serde(default)]
    pub ignored: bool,
    /// Kinds of remote events a replica may skip (quarantine) without failing the case:
    /// an entity type (`issue_dependencies`) or `action_type:entity_type`.
    #[allow(dead_code)]
    pub expect_quarantine: Option<Spanned<Vec<String>>>,
}

/// `kind = "steps"`: fixed steps.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct StepsFile {
    /// Always `"steps"`.
    #[allow(dead_code)]
    pub kind: String,
    /// Number of actors: 2 or 3.
    pub actors: Spanned<i64>,
    /// Skip unless ignored cases are requested (default false).
    #[serde(default)]
    pub ignored: bool,
    /// The steps, in order (at least one).
    #[serde(default)]
    pub step: Vec<Spanned<StepFile>>,
    /// Kinds of remote events a replica may skip (quarantine) without failing the case:
    /// an entity type (`issue_dependencies`) or `action_type:entity_type`.
    #[allow(dead_code)]
    pub expect_quarantine: Option<Spanned<Vec<String>>>,
}

/// One `[[step]]`: exactly one of `td`, `sync`, `fault`, `heal`, `verify`, `sql`,
/// `concurrent`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct StepFile {
    /// Actor running `td` (required with `td`, not allowed otherwise).
    pub actor: Option<Spanned<String>>,
    /// td arguments (non-empty); `{name}` is replaced by an id an earlier step saved.
    pub td: Option<Spanned<Vec<String>>>,
    /// With `td`: save the `CREATED td-…` id under this name.
    pub save: Option<Spanned<String>>,
    /// With `td` or `sync`: `ok` (default), `fail` or `any`.
    pub expect: Option<Spanned<String>>,
    /// With `td`: text the output must contain.
    pub output_contains: Option<Spanned<String>>,
    /// `"all"` (sync_all) or an actor name (one `td sync`).
    pub sync: Option<Spanned<String>>,
    /// `"restart_server"`, `"stop_server"`, `"start_server"`, or a table
    /// `{ kind = "...", actor = "...", ... }` starting any fault kind (see README).
    pub fault: Option<Spanned<toml::Value>>,
    /// `heal = true`: end every fault (server up, proxies passing, clocks real).
    pub heal: Option<Spanned<bool>>,
    /// Checks to run now (names from [`CheckKind`](crate::verify::CheckKind)).
    pub verify: Option<Spanned<Vec<Spanned<String>>>>,
    /// A read-only query on one actor's database.
    pub sql: Option<Spanned<SqlFile>>,
    /// td commands started at the same moment, one per entry (`{ actor, td }`), each
    /// allowed to succeed or fail; the step ends when all have. Such a step cannot be
    /// replayed exactly (the interleaving is the operating system's).
    pub concurrent: Option<Spanned<Vec<Spanned<ConcurrentFile>>>>,
}

/// One entry of `concurrent = [...]`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ConcurrentFile {
    pub actor: Spanned<String>,
    /// td arguments (non-empty); `{name}` placeholders allowed.
    pub td: Spanned<Vec<String>>,
}

impl StepFile {
    /// The action keys this step gives, in schema order, with their spans.
    pub fn actions(&self) -> Vec<(&'static str, Range<usize>)> {
        given([
            ("td", self.td.as_ref().map(Spanned::span)),
            ("sync", self.sync.as_ref().map(Spanned::span)),
            ("fault", self.fault.as_ref().map(Spanned::span)),
            ("heal", self.heal.as_ref().map(Spanned::span)),
            ("verify", self.verify.as_ref().map(Spanned::span)),
            ("sql", self.sql.as_ref().map(Spanned::span)),
            ("concurrent", self.concurrent.as_ref().map(Spanned::span)),
        ])
    }

    /// The keys that belong to td steps only and that this step gives, with their spans.
    pub fn td_only_keys(&self) -> Vec<(&'static str, Range<usize>)> {
        given([
            ("actor", self.actor.as_ref().map(Spanned::span)),
            ("save", self.save.as_ref().map(Spanned::span)),
            ("expect", self.expect.as_ref().map(Spanned::span)),
            (
                "output_contains",
                self.output_contains.as_ref().map(Spanned::span),
            ),
        ])
    }
}

/// The keys that are present.
fn given<const N: usize>(
    keys: [(&'static str, Option<Range<usize>>); N],
) -> Vec<(&'static str, Range<usize>)> {
    keys.into_iter()
        .filter_map(|(k, span)| span.map(|s| (k, s)))
        .collect()
}

/// `sql = { actor, query, equals | rows }`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SqlFile {
    /// Whose database.
    pub actor: Spanned<String>,
    /// A SELECT (or WITH … SELECT); `{name}` placeholders allowed.
    pub query: Spanned<String>,
    /// The single value of the single row (string, integer, float or boolean = 0/1).
    pub equals: Option<Spanned<toml::Value>>,
    /// Every row, in order, as arrays of values.
    pub rows: Option<Spanned<Vec<Vec<toml::Value>>>>,
}
