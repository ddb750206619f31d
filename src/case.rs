//! Case files: the TOML schema, its validation and discovery. Entry points: [`discover`],
//! [`load_named`], [`parse`]; runtime type [`Case`].
//!
//! One file = one case, named by its path under `cases/` without `.toml`
//! (`scenarios/dependency-cycle`). Three kinds, told apart by `kind`: `chaos`, `scenario`,
//! `steps` (see DESIGN.md "Case files"). The on-disk types (`*File`, private, every field
//! documented, unknown keys rejected) are separate from the runtime types the runner uses;
//! every error names the file, the line and column, and the key (`step[2].expect`).

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use crate::verify::CheckKind;

/// Actor names by position; a case with `actors = N` uses the first N.
pub const DEFAULT_ACTORS: [&str; 3] = ["alice", "bob", "carol"];

// ---------------------------------------------------------------------------------------
// Runtime types
// ---------------------------------------------------------------------------------------

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
    pub length: RunLength,
    /// `None`: derive from E2E_SEED or the time, and print it.
    pub seed: Option<u64>,
    pub sync_mode: SyncMode,
    /// Percent (0–100) of rounds where two actors act on one issue before a sync.
    pub conflict_rate: u8,
    /// Checks to run after the final sync, in file order (all of them when omitted).
    pub verify: Vec<CheckKind>,
    pub faults: Faults,
}

/// How long a chaos run lasts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunLength {
    Actions(u64),
    /// Wall clock: such a run cannot be replayed action for action.
    Duration(Duration),
}

/// How many actions run between syncs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncMode {
    /// 3–10 actions between syncs.
    Adaptive,
    /// 1–3.
    Aggressive,
    /// 1–20.
    Random,
}

impl SyncMode {
    /// Inclusive range of actions between syncs.
    pub fn batch_range(self) -> (u32, u32) {
        match self {
            SyncMode::Adaptive => (3, 10),
            SyncMode::Aggressive => (1, 3),
            SyncMode::Random => (1, 20),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SyncMode::Adaptive => "adaptive",
            SyncMode::Aggressive => "aggressive",
            SyncMode::Random => "random",
        }
    }
}

/// Faults injected during a chaos run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Faults {
    /// Restart the server every N actions; 0 = never.
    pub server_restart_every: u64,
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
    Sync(SyncTarget),
    Fault(FaultStep),
    Verify(Vec<CheckKind>),
    /// Run a read-only query on `actor`'s database and compare typed values.
    Sql {
        actor: String,
        query: String,
        expect: SqlExpect,
    },
}

/// Expected exit status of a td step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    Ok,
    Fail,
    Any,
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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultStep {
    RestartServer,
    StopServer,
    StartServer,
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

/// Why a case file is broken: file, line, column, key and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct CaseError {
    pub file: PathBuf,
    /// 1-based; 0 when the error concerns the whole file (it could not be read).
    pub line: usize,
    /// 1-based, in characters.
    pub column: usize,
    /// Dotted key path (`faults.server_restart_every`, `step[2].expect`), when known.
    pub key: Option<String>,
    pub message: String,
}

impl fmt::Display for CaseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if self.line > 0 {
            write!(f, ":{}:{}", self.line, self.column)?;
        }
        if let Some(key) = &self.key {
            write!(f, ": key `{key}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

// ---------------------------------------------------------------------------------------
// On-disk types (the file format)
// ---------------------------------------------------------------------------------------

/// Reads only `kind`, to pick the schema.
#[derive(Deserialize)]
struct KindProbe {
    kind: Option<Spanned<String>>,
}

/// `kind = "chaos"`: a randomized run.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChaosFile {
    /// Always `"chaos"`.
    #[allow(dead_code)]
    kind: String,
    /// Number of actors: 2 or 3.
    actors: Spanned<i64>,
    /// Total actions (> 0). Exactly one of `actions` and `duration`.
    actions: Option<Spanned<i64>>,
    /// Wall-clock length: an integer and a unit, `500ms`, `30s`, `5m`, `1h`.
    duration: Option<Spanned<String>>,
    /// PRNG seed (≥ 0); omitted = derived from E2E_SEED or the time, and printed.
    seed: Option<Spanned<i64>>,
    /// `adaptive` (3–10 actions between syncs, default), `aggressive` (1–3), `random` (1–20).
    sync_mode: Option<Spanned<String>>,
    /// Percent of rounds (0–100, default 20) where two actors act on one issue before a sync.
    conflict_rate: Option<Spanned<i64>>,
    /// Checks to run after the final sync (default: all), names from [`CheckKind`].
    verify: Option<Spanned<Vec<Spanned<String>>>>,
    /// Skip unless the runner is asked for ignored cases (default false).
    #[serde(default)]
    ignored: bool,
    /// Optional fault injection.
    faults: Option<FaultsFile>,
}

/// `[faults]` of a chaos case.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FaultsFile {
    /// Restart the server every N actions (≥ 0, default 0 = never).
    server_restart_every: Option<Spanned<i64>>,
}

/// `kind = "scenario"`: a named scenario of `src/scenarios/`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ScenarioFile {
    /// Always `"scenario"`.
    #[allow(dead_code)]
    kind: String,
    /// Scenario name, snake_case (`dependency_cycle`).
    scenario: Spanned<String>,
    /// Number of actors: 2 or 3.
    actors: Spanned<i64>,
    /// PRNG seed (≥ 0); omitted = derived and printed.
    seed: Option<Spanned<i64>>,
    /// Skip unless ignored cases are requested (default false).
    #[serde(default)]
    ignored: bool,
}

/// `kind = "steps"`: fixed steps.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StepsFile {
    /// Always `"steps"`.
    #[allow(dead_code)]
    kind: String,
    /// Number of actors: 2 or 3.
    actors: Spanned<i64>,
    /// Skip unless ignored cases are requested (default false).
    #[serde(default)]
    ignored: bool,
    /// The steps, in order (at least one).
    #[serde(default)]
    step: Vec<Spanned<StepFile>>,
}

/// One `[[step]]`: exactly one of `td`, `sync`, `fault`, `verify`, `sql`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StepFile {
    /// Actor running `td` (required with `td`, not allowed otherwise).
    actor: Option<Spanned<String>>,
    /// td arguments (non-empty); `{name}` is replaced by an id an earlier step saved.
    td: Option<Spanned<Vec<String>>>,
    /// With `td`: save the `CREATED td-…` id under this name.
    save: Option<Spanned<String>>,
    /// With `td`: `ok` (default), `fail` or `any`.
    expect: Option<Spanned<String>>,
    /// With `td`: text the output must contain.
    output_contains: Option<Spanned<String>>,
    /// `"all"` (sync_all) or an actor name (one `td sync`).
    sync: Option<Spanned<String>>,
    /// `restart_server`, `stop_server` or `start_server`.
    fault: Option<Spanned<String>>,
    /// Checks to run now (names from [`CheckKind`]).
    verify: Option<Spanned<Vec<Spanned<String>>>>,
    /// A read-only query on one actor's database.
    sql: Option<Spanned<SqlFile>>,
}

/// `sql = { actor, query, equals | rows }`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SqlFile {
    /// Whose database.
    actor: Spanned<String>,
    /// A SELECT (or WITH … SELECT); `{name}` placeholders allowed.
    query: Spanned<String>,
    /// The single value of the single row (string, integer, float or boolean = 0/1).
    equals: Option<Spanned<toml::Value>>,
    /// Every row, in order, as arrays of values.
    rows: Option<Spanned<Vec<Vec<toml::Value>>>>,
}

// ---------------------------------------------------------------------------------------
// Parsing and validation
// ---------------------------------------------------------------------------------------

/// Parses and validates one case file's text. `name` and `path` are recorded in the case
/// and in errors.
pub fn parse(name: &str, path: &Path, text: &str) -> Result<Case, CaseError> {
    let cx = Cx { path, text };
    let probe: KindProbe = toml::from_str(text).map_err(|e| cx.toml_error(&e))?;
    let Some(kind) = probe.kind else {
        return Err(cx.error(
            0..0,
            Some("kind".into()),
            "missing key `kind` (chaos, scenario or steps)",
        ));
    };
    let (ignored, kind) = match kind.get_ref().as_str() {
        "chaos" => chaos(&cx, toml::from_str(text).map_err(|e| cx.toml_error(&e))?)?,
        "scenario" => scenario(&cx, toml::from_str(text).map_err(|e| cx.toml_error(&e))?)?,
        "steps" => steps(&cx, toml::from_str(text).map_err(|e| cx.toml_error(&e))?)?,
        other => {
            return Err(cx.error(
                kind.span(),
                Some("kind".into()),
                format!("unknown kind {other:?} (expected chaos, scenario or steps)"),
            ))
        }
    };
    Ok(Case {
        name: name.to_string(),
        path: path.to_path_buf(),
        ignored,
        kind,
    })
}

/// The file being parsed, for locating errors.
struct Cx<'a> {
    path: &'a Path,
    text: &'a str,
}

impl Cx<'_> {
    fn error(
        &self,
        span: Range<usize>,
        key: Option<String>,
        message: impl Into<String>,
    ) -> CaseError {
        let (line, column) = line_col(self.text, span.start);
        CaseError {
            file: self.path.to_path_buf(),
            line,
            column,
            key,
            message: message.into(),
        }
    }

    /// A syntax, type, missing- or unknown-key error from toml/serde.
    fn toml_error(&self, e: &toml::de::Error) -> CaseError {
        let span = e.span().unwrap_or(0..0);
        let key = key_of_toml_error(self.text, span.start, e.message());
        self.error(span, key, e.message().trim().replace('\n', "; "))
    }
}

/// 1-based line and character column of byte `offset`.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, text[line_start..offset].chars().count() + 1)
}

/// The key a toml error is about: named in the message (unknown/missing/duplicate), else the
/// key right before the error on its line; prefixed with the enclosing table (`faults.`,
/// `step[2].`) and any inline tables open at that point (`sql.`).
fn key_of_toml_error(text: &str, offset: usize, message: &str) -> Option<String> {
    let offset = offset.min(text.len());
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let before = &text[line_start..offset];
    let named = ["unknown field `", "missing field `", "duplicate key `"]
        .iter()
        .find_map(|p| {
            message
                .split_once(p)
                .and_then(|(_, rest)| rest.split_once('`'))
        })
        .map(|(k, _)| k.to_string());
    let key = named.or_else(|| key_before(before))?;
    // A missing-field span starts at the inline table's own `{`.
    let mut path = open_inline_tables(before, text[offset..].starts_with('{'));
    if path.last() == Some(&key) {
        path.pop();
    }
    let mut parts: Vec<String> = table_at(text, offset).into_iter().collect();
    parts.extend(path);
    parts.push(key);
    Some(parts.join("."))
}

/// The bare key of a `key =` that `s` ends with.
fn key_before(s: &str) -> Option<String> {
    let s = s.trim_end().strip_suffix('=')?.trim_end();
    let start = s
        .char_indices()
        .rev()
        .find(|(_, c)| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')))
        .map_or(0, |(i, c)| i + c.len_utf8());
    let key = &s[start..];
    (!key.is_empty()).then(|| key.to_string())
}

/// Keys of the inline tables (`key = {`) still open at the end of `line` (quoted text
/// skipped); `open_at_end` counts a `{` right at the end as open.
fn open_inline_tables(line: &str, open_at_end: bool) -> Vec<String> {
    let mut stack = Vec::new();
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        match (quote, c) {
            (Some('"'), '\\') if !escaped => {
                escaped = true;
                continue;
            }
            (Some(q), c) if c == q && !escaped => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '{') => stack.push(key_before(&line[..i]).unwrap_or_default()),
            (None, '}') => {
                stack.pop();
            }
            _ => {}
        }
        escaped = false;
    }
    if open_at_end && quote.is_none() {
        stack.push(key_before(line).unwrap_or_default());
    }
    stack.retain(|k| !k.is_empty());
    stack
}

/// The table header governing `offset`: `faults`, or `step[N]` (1-based) for `[[step]]`.
fn table_at(text: &str, offset: usize) -> Option<String> {
    let offset = offset.min(text.len());
    let mut current = None;
    let mut steps = 0;
    let mut pos = 0;
    for line in text.split_inclusive('\n') {
        if pos > offset {
            break;
        }
        pos += line.len();
        let Some((name, array)) = header(line) else {
            continue;
        };
        current = Some(if array && name == "step" {
            steps += 1;
            format!("step[{steps}]")
        } else {
            name.to_string()
        });
    }
    current
}

/// `(name, is_array)` of a `[name]` / `[[name]]` header line (not an array value line).
fn header(line: &str) -> Option<(&str, bool)> {
    let t = line.trim();
    let (inner, rest, array) = if let Some(r) = t.strip_prefix("[[") {
        let (inner, rest) = r.split_once("]]")?;
        (inner, rest, true)
    } else {
        let (inner, rest) = t.strip_prefix('[')?.split_once(']')?;
        (inner, rest, false)
    };
    let rest = rest.trim();
    let name = inner.trim();
    let is_key = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    (is_key && (rest.is_empty() || rest.starts_with('#'))).then_some((name, array))
}

fn actors(cx: &Cx<'_>, v: &Spanned<i64>) -> Result<usize, CaseError> {
    match *v.get_ref() {
        2 => Ok(2),
        3 => Ok(3),
        n => Err(cx.error(
            v.span(),
            Some("actors".into()),
            format!("actors must be 2 or 3, got {n}"),
        )),
    }
}

fn seed(cx: &Cx<'_>, v: Option<&Spanned<i64>>) -> Result<Option<u64>, CaseError> {
    v.map(|s| {
        u64::try_from(*s.get_ref()).map_err(|_| {
            cx.error(
                s.span(),
                Some("seed".into()),
                format!("seed must be ≥ 0, got {}", s.get_ref()),
            )
        })
    })
    .transpose()
}

fn chaos(cx: &Cx<'_>, f: ChaosFile) -> Result<(bool, CaseKind), CaseError> {
    let length = match (&f.actions, &f.duration) {
        (Some(a), None) if *a.get_ref() > 0 => RunLength::Actions(*a.get_ref() as u64),
        (Some(a), None) => {
            return Err(cx.error(
                a.span(),
                Some("actions".into()),
                format!("actions must be > 0, got {}", a.get_ref()),
            ))
        }
        (None, Some(d)) => RunLength::Duration(parse_duration(d.get_ref()).ok_or_else(|| {
            cx.error(
                d.span(),
                Some("duration".into()),
                format!(
                    "invalid duration {:?} (an integer > 0 and ms, s, m or h: \"30s\")",
                    d.get_ref()
                ),
            )
        })?),
        (Some(_), Some(d)) => {
            return Err(cx.error(
                d.span(),
                Some("duration".into()),
                "give either `actions` or `duration`, not both",
            ))
        }
        (None, None) => {
            return Err(cx.error(
                0..0,
                Some("actions".into()),
                "missing `actions` (or `duration`)",
            ))
        }
    };
    let sync_mode = match f.sync_mode.as_ref() {
        None => SyncMode::Adaptive,
        Some(m) => match m.get_ref().as_str() {
            "adaptive" => SyncMode::Adaptive,
            "aggressive" => SyncMode::Aggressive,
            "random" => SyncMode::Random,
            other => {
                return Err(cx.error(
                    m.span(),
                    Some("sync_mode".into()),
                    format!("unknown sync_mode {other:?} (adaptive, aggressive or random)"),
                ))
            }
        },
    };
    let conflict_rate = match f.conflict_rate.as_ref() {
        None => 20,
        Some(c) => u8::try_from(*c.get_ref())
            .ok()
            .filter(|c| *c <= 100)
            .ok_or_else(|| {
                cx.error(
                    c.span(),
                    Some("conflict_rate".into()),
                    format!("conflict_rate must be 0–100, got {}", c.get_ref()),
                )
            })?,
    };
    let verify = match f.verify.as_ref() {
        None => CheckKind::ALL.to_vec(),
        Some(v) => check_names(cx, "verify", v)?,
    };
    let server_restart_every = match f
        .faults
        .as_ref()
        .and_then(|x| x.server_restart_every.as_ref())
    {
        None => 0,
        Some(n) => u64::try_from(*n.get_ref()).map_err(|_| {
            cx.error(
                n.span(),
                Some("faults.server_restart_every".into()),
                format!("server_restart_every must be ≥ 0, got {}", n.get_ref()),
            )
        })?,
    };
    let case = ChaosCase {
        actors: actors(cx, &f.actors)?,
        length,
        seed: seed(cx, f.seed.as_ref())?,
        sync_mode,
        conflict_rate,
        verify,
        faults: Faults {
            server_restart_every,
        },
    };
    Ok((f.ignored, CaseKind::Chaos(case)))
}

/// `500ms`, `30s`, `5m`, `1h` (> 0).
fn parse_duration(s: &str) -> Option<Duration> {
    let digits = s.chars().take_while(char::is_ascii_digit).count();
    let n: u64 = s[..digits].parse().ok().filter(|n| *n > 0)?;
    match &s[digits..] {
        "ms" => Some(Duration::from_millis(n)),
        "s" => Some(Duration::from_secs(n)),
        "m" => Some(Duration::from_secs(n.checked_mul(60)?)),
        "h" => Some(Duration::from_secs(n.checked_mul(3600)?)),
        _ => None,
    }
}

/// A non-empty list of distinct check names.
fn check_names(
    cx: &Cx<'_>,
    key: &str,
    v: &Spanned<Vec<Spanned<String>>>,
) -> Result<Vec<CheckKind>, CaseError> {
    if v.get_ref().is_empty() {
        return Err(cx.error(
            v.span(),
            Some(key.into()),
            format!("`{key}` needs at least one check: {}", CheckKind::names()),
        ));
    }
    let mut out = Vec::new();
    for name in v.get_ref() {
        let kind = CheckKind::parse(name.get_ref()).ok_or_else(|| {
            cx.error(
                name.span(),
                Some(key.into()),
                format!(
                    "unknown check {:?} (expected one of: {})",
                    name.get_ref(),
                    CheckKind::names()
                ),
            )
        })?;
        if out.contains(&kind) {
            return Err(cx.error(
                name.span(),
                Some(key.into()),
                format!("check {kind} is listed twice"),
            ));
        }
        out.push(kind);
    }
    Ok(out)
}

fn scenario(cx: &Cx<'_>, f: ScenarioFile) -> Result<(bool, CaseKind), CaseError> {
    let name = f.scenario.get_ref();
    let snake = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !snake {
        return Err(cx.error(
            f.scenario.span(),
            Some("scenario".into()),
            format!("scenario must be a snake_case name like \"dependency_cycle\", got {name:?}"),
        ));
    }
    let case = ScenarioCase {
        scenario: name.clone(),
        actors: actors(cx, &f.actors)?,
        seed: seed(cx, f.seed.as_ref())?,
    };
    Ok((f.ignored, CaseKind::Scenario(case)))
}

fn steps(cx: &Cx<'_>, f: StepsFile) -> Result<(bool, CaseKind), CaseError> {
    let n = actors(cx, &f.actors)?;
    if f.step.is_empty() {
        return Err(cx.error(
            0..0,
            Some("step".into()),
            "a steps case needs at least one [[step]]",
        ));
    }
    let mut v = StepValidator {
        cx,
        actors: &DEFAULT_ACTORS[..n],
        saved: Vec::new(),
    };
    let steps = f
        .step
        .iter()
        .enumerate()
        .map(|(i, s)| v.step(i + 1, s))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((f.ignored, CaseKind::Steps(StepsCase { actors: n, steps })))
}

/// Validates steps in order, tracking the names saved so far.
struct StepValidator<'a> {
    cx: &'a Cx<'a>,
    actors: &'a [&'static str],
    saved: Vec<String>,
}

impl StepValidator<'_> {
    fn step(&mut self, index: usize, s: &Spanned<StepFile>) -> Result<Step, CaseError> {
        let key = |k: &str| Some(format!("step[{index}].{k}"));
        let f = s.get_ref();
        let present: Vec<(&str, Range<usize>)> = [
            ("td", f.td.as_ref().map(Spanned::span)),
            ("sync", f.sync.as_ref().map(Spanned::span)),
            ("fault", f.fault.as_ref().map(Spanned::span)),
            ("verify", f.verify.as_ref().map(Spanned::span)),
            ("sql", f.sql.as_ref().map(Spanned::span)),
        ]
        .into_iter()
        .filter_map(|(k, span)| span.map(|sp| (k, sp)))
        .collect();
        let action = match present.as_slice() {
            [] => {
                return Err(self.cx.error(
                    s.span(),
                    Some(format!("step[{index}]")),
                    "a step needs exactly one of td, sync, fault, verify, sql; it has none",
                ))
            }
            [(only, _)] => *only,
            [(first, _), (second, span), ..] => {
                return Err(self.cx.error(
                    span.clone(),
                    key(second),
                    format!("a step does exactly one of td, sync, fault, verify, sql; this one has both `{first}` and `{second}`"),
                ))
            }
        };
        if action != "td" {
            self.reject_td_only_keys(index, f)?;
        }
        let action = match action {
            "td" => self.td(index, f)?,
            "sync" => self.sync(index, f.sync.as_ref().expect("present"))?,
            "fault" => self.fault(index, f.fault.as_ref().expect("present"))?,
            "verify" => StepAction::Verify(check_names(
                self.cx,
                &format!("step[{index}].verify"),
                f.verify.as_ref().expect("present"),
            )?),
            _ => self.sql(index, f.sql.as_ref().expect("present"))?,
        };
        Ok(Step {
            line: line_col(self.cx.text, s.span().start).0,
            action,
        })
    }

    fn reject_td_only_keys(&self, index: usize, f: &StepFile) -> Result<(), CaseError> {
        let td_only = [
            ("actor", f.actor.as_ref().map(Spanned::span)),
            ("save", f.save.as_ref().map(Spanned::span)),
            ("expect", f.expect.as_ref().map(Spanned::span)),
            (
                "output_contains",
                f.output_contains.as_ref().map(Spanned::span),
            ),
        ];
        match td_only.into_iter().find_map(|(k, s)| s.map(|s| (k, s))) {
            None => Ok(()),
            Some((k, span)) => Err(self.cx.error(
                span,
                Some(format!("step[{index}].{k}")),
                format!("`{k}` belongs to td steps only"),
            )),
        }
    }

    fn actor(&self, key: String, v: &Spanned<String>) -> Result<String, CaseError> {
        if self.actors.contains(&v.get_ref().as_str()) {
            return Ok(v.get_ref().clone());
        }
        Err(self.cx.error(
            v.span(),
            Some(key),
            format!(
                "unknown actor {:?} (this case has {})",
                v.get_ref(),
                self.actors.join(", ")
            ),
        ))
    }

    fn td(&mut self, index: usize, f: &StepFile) -> Result<StepAction, CaseError> {
        let td = f.td.as_ref().expect("present");
        let Some(actor) = f.actor.as_ref() else {
            return Err(self.cx.error(
                td.span(),
                Some(format!("step[{index}].actor")),
                "a td step needs `actor`",
            ));
        };
        let actor = self.actor(format!("step[{index}].actor"), actor)?;
        if td.get_ref().is_empty() {
            return Err(self.cx.error(
                td.span(),
                Some(format!("step[{index}].td")),
                "td needs at least one argument",
            ));
        }
        for arg in td.get_ref() {
            self.placeholders_known(index, "td", td.span(), arg)?;
        }
        let expect = match f.expect.as_ref() {
            None => Expect::Ok,
            Some(e) => match e.get_ref().as_str() {
                "ok" => Expect::Ok,
                "fail" => Expect::Fail,
                "any" => Expect::Any,
                other => {
                    return Err(self.cx.error(
                        e.span(),
                        Some(format!("step[{index}].expect")),
                        format!("expect must be ok, fail or any, got {other:?}"),
                    ))
                }
            },
        };
        let save = f.save.as_ref().map(|s| self.save(index, s)).transpose()?;
        Ok(StepAction::Td {
            actor,
            args: td.get_ref().clone(),
            save,
            expect,
            output_contains: f.output_contains.as_ref().map(|o| o.get_ref().clone()),
        })
    }

    fn save(&mut self, index: usize, s: &Spanned<String>) -> Result<String, CaseError> {
        let name = s.get_ref();
        let ok = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        let key = Some(format!("step[{index}].save"));
        if !ok {
            return Err(self.cx.error(
                s.span(),
                key,
                format!("save name must be letters, digits or _, got {name:?}"),
            ));
        }
        if self.saved.contains(name) {
            return Err(self.cx.error(
                s.span(),
                key,
                format!("{{{name}}} is already saved by an earlier step"),
            ));
        }
        self.saved.push(name.clone());
        Ok(name.clone())
    }

    /// Every `{name}` in `text` was saved by an earlier step.
    fn placeholders_known(
        &self,
        index: usize,
        key: &str,
        span: Range<usize>,
        text: &str,
    ) -> Result<(), CaseError> {
        for name in placeholders(text) {
            if !self.saved.iter().any(|s| s == name) {
                return Err(self.cx.error(
                    span,
                    Some(format!("step[{index}].{key}")),
                    format!("{{{name}}} is used before any step saved it"),
                ));
            }
        }
        Ok(())
    }

    fn sync(&self, index: usize, v: &Spanned<String>) -> Result<StepAction, CaseError> {
        if v.get_ref() == "all" {
            return Ok(StepAction::Sync(SyncTarget::All));
        }
        let actor = self
            .actor(format!("step[{index}].sync"), v)
            .map_err(|mut e| {
                e.message = format!("sync must be \"all\" or an actor name; {}", e.message);
                e
            })?;
        Ok(StepAction::Sync(SyncTarget::Actor(actor)))
    }

    fn fault(&self, index: usize, v: &Spanned<String>) -> Result<StepAction, CaseError> {
        let fault = match v.get_ref().as_str() {
            "restart_server" => FaultStep::RestartServer,
            "stop_server" => FaultStep::StopServer,
            "start_server" => FaultStep::StartServer,
            other => {
                return Err(self.cx.error(
                    v.span(),
                    Some(format!("step[{index}].fault")),
                    format!(
                        "unknown fault {other:?} (restart_server, stop_server or start_server)"
                    ),
                ))
            }
        };
        Ok(StepAction::Fault(fault))
    }

    fn sql(&self, index: usize, v: &Spanned<SqlFile>) -> Result<StepAction, CaseError> {
        let f = v.get_ref();
        let key = |k: &str| Some(format!("step[{index}].sql.{k}"));
        let actor = self.actor(format!("step[{index}].sql.actor"), &f.actor)?;
        let query = f.query.get_ref();
        let head = query.trim_start().to_ascii_lowercase();
        if !(head.starts_with("select") || head.starts_with("with")) {
            return Err(self.cx.error(
                f.query.span(),
                key("query"),
                "query must be a SELECT (or WITH … SELECT)",
            ));
        }
        self.placeholders_known(index, "sql.query", f.query.span(), query)?;
        let expect = match (&f.equals, &f.rows) {
            (Some(e), None) => {
                SqlExpect::Equals(self.literal(index, "sql.equals", e.span(), e.get_ref())?)
            }
            (None, Some(r)) => SqlExpect::Rows(
                r.get_ref()
                    .iter()
                    .map(|row| {
                        row.iter()
                            .map(|c| self.literal(index, "sql.rows", r.span(), c))
                            .collect()
                    })
                    .collect::<Result<_, _>>()?,
            ),
            _ => {
                return Err(self.cx.error(
                    v.span(),
                    key("equals"),
                    "sql needs exactly one of `equals` and `rows`",
                ))
            }
        };
        Ok(StepAction::Sql {
            actor,
            query: query.clone(),
            expect,
        })
    }

    /// A typed value of a sql step; text may hold `{name}` placeholders like the query.
    fn literal(
        &self,
        index: usize,
        key: &str,
        span: Range<usize>,
        v: &toml::Value,
    ) -> Result<SqlLiteral, CaseError> {
        Ok(match v {
            toml::Value::String(s) => {
                self.placeholders_known(index, key, span, s)?;
                SqlLiteral::Text(s.clone())
            }
            toml::Value::Integer(i) => SqlLiteral::Integer(*i),
            toml::Value::Float(f) => SqlLiteral::Real(*f),
            toml::Value::Boolean(b) => SqlLiteral::Integer(i64::from(*b)),
            other => {
                return Err(self.cx.error(
                    span,
                    Some(format!("step[{index}].{key}")),
                    format!(
                        "expected a string, integer, float or boolean, got {}",
                        other.type_str()
                    ),
                ))
            }
        })
    }
}

/// The `{name}` placeholders of `text` (letters, digits, `_`).
pub fn placeholders(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) => {
                let name = &after[..close];
                if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                    out.push(name);
                }
                rest = &after[close + 1..];
            }
            None => break,
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// Discovery
// ---------------------------------------------------------------------------------------

/// Every `**/*.toml` under `root` (the `cases/` directory), sorted by name. A file that does
/// not parse is kept with its error. A missing root yields no cases.
pub fn discover(root: &Path) -> Vec<DiscoveredCase> {
    let mut files = Vec::new();
    let mut broken = Vec::new();
    collect_tomls(root, &mut files, &mut broken);
    let mut out: Vec<DiscoveredCase> = files.iter().map(|p| load(root, p)).collect();
    out.extend(broken);
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// The case named `name` (`chaos/adaptive-2`) without scanning: `root/<name>.toml`, or
/// `None` when no such file exists.
pub fn load_named(root: &Path, name: &str) -> Option<DiscoveredCase> {
    let path = root.join(format!("{name}.toml"));
    path.is_file().then(|| load(root, &path))
}

/// Reads and parses one file below `root`.
pub fn load(root: &Path, path: &Path) -> DiscoveredCase {
    let name = case_name(root, path);
    let case = match std::fs::read_to_string(path) {
        Ok(text) => parse(&name, path, &text),
        Err(e) => Err(whole_file_error(path, format!("cannot read: {e}"))),
    };
    DiscoveredCase {
        name,
        path: path.to_path_buf(),
        case,
    }
}

/// `chaos/adaptive-2` for `root/chaos/adaptive-2.toml`.
pub fn case_name(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path).with_extension("");
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

fn whole_file_error(path: &Path, message: String) -> CaseError {
    CaseError {
        file: path.to_path_buf(),
        line: 0,
        column: 0,
        key: None,
        message,
    }
}

/// Recursive walk; unreadable directories become broken entries.
fn collect_tomls(dir: &Path, files: &mut Vec<PathBuf>, broken: &mut Vec<DiscoveredCase>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return,
        Err(e) => {
            broken.push(DiscoveredCase {
                name: dir.display().to_string(),
                path: dir.to_path_buf(),
                case: Err(whole_file_error(dir, format!("cannot list directory: {e}"))),
            });
            return;
        }
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_tomls(&path, files, broken);
        } else if path.extension().is_some_and(|e| e == "toml") {
            files.push(path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::line_col;

    #[test]
    fn line_and_column_count_characters() {
        assert_eq!(line_col("ab\nçd = x", 9), (2, 6));
        assert_eq!(line_col("", 0), (1, 1));
    }
}
