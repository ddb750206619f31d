//! `harness.toml`: where the system under test comes from and how a world is set up.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

/// Errors reading `harness.toml`.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("read {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Parse { path: PathBuf, message: String },
}

/// Where td and td-sync come from.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum SutSource {
    /// Build both from this workspace once per run.
    Workspace,
    /// Use prebuilt binaries.
    Paths,
}

/// `[sut]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SutConfig {
    /// `workspace` or `paths`.
    pub source: SutSource,
    /// Cargo profile for `workspace` builds (`dev` or `release`).
    #[serde(default = "default_profile")]
    pub profile: String,
    /// td binary for `paths`.
    pub td: Option<PathBuf>,
    /// td-sync binary for `paths`.
    pub td_sync: Option<PathBuf>,
}

/// `[world]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorldConfig {
    /// Actor names in order.
    pub actors: Vec<String>,
    /// Per-process timeout, e.g. `"60s"`.
    pub command_timeout: String,
    /// Server health budget after a (re)start.
    pub health_timeout: String,
    /// Rounds of `td sync` in `sync_all`.
    pub sync_rounds: usize,
    /// Keep a failed case's world on disk.
    pub keep_failed: bool,
    /// Where worlds are created: a directory, `"auto"` (`/dev/shm` when it is a writable
    /// directory, else the system temp dir) or `"system"` (the system temp dir).
    #[serde(default = "default_temp_root")]
    pub temp_root: String,
}

fn default_temp_root() -> String {
    "auto".into()
}

/// `[reports]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportsConfig {
    /// Report directory, relative to the workspace root.
    pub dir: PathBuf,
}

/// `[faults]`: how fault worlds are tuned, and the liveness bound after heal.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultsConfig {
    /// td's HTTP timeout in worlds with network or server faults (td's own default is
    /// 30 s, which would make every blackholed request cost half a minute).
    #[serde(default = "default_td_timeout")]
    pub td_timeout: String,
    /// td's SQLite busy timeout in worlds with `busy_db` faults (td's own is 5 s).
    #[serde(default = "default_td_busy_timeout")]
    pub td_busy_timeout: String,
    /// After heal, every replica must converge within this many rounds of `td sync`…
    #[serde(default = "default_converge_rounds")]
    pub converge_rounds: usize,
    /// …and this much wall time.
    #[serde(default = "default_converge_timeout")]
    pub converge_timeout: String,
}

impl Default for FaultsConfig {
    fn default() -> Self {
        FaultsConfig {
            td_timeout: default_td_timeout(),
            td_busy_timeout: default_td_busy_timeout(),
            converge_rounds: default_converge_rounds(),
            converge_timeout: default_converge_timeout(),
        }
    }
}

fn default_td_timeout() -> String {
    "1s".into()
}

fn default_td_busy_timeout() -> String {
    "300ms".into()
}

fn default_converge_rounds() -> usize {
    8
}

fn default_converge_timeout() -> String {
    "60s".into()
}

/// `[shrink]`: what happens to a failing case.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShrinkConfig {
    /// Wall-time budget for shrinking one failed case (`"0s"` is not a duration: turn
    /// shrinking off with `E2E_SHRINK=0`). `E2E_SHRINK=<seconds>` overrides it.
    #[serde(default = "default_shrink_budget")]
    pub budget: String,
}

impl Default for ShrinkConfig {
    fn default() -> Self {
        ShrinkConfig {
            budget: default_shrink_budget(),
        }
    }
}

/// `[coverage]`: how much of a chaos run must be real work.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CoverageConfig {
    /// A chaos case fails as "too little work" when more than this share (0–1) of its
    /// recorded actions were skipped (nothing to act on) or refused (an expected failure).
    #[serde(default = "default_max_idle_share")]
    pub max_idle_share: f64,
}

impl Default for CoverageConfig {
    fn default() -> Self {
        CoverageConfig {
            max_idle_share: default_max_idle_share(),
        }
    }
}

fn default_shrink_budget() -> String {
    "120s".into()
}

fn default_max_idle_share() -> f64 {
    0.25
}

/// The whole file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HarnessConfig {
    pub sut: SutConfig,
    pub world: WorldConfig,
    #[serde(default)]
    pub server_env: BTreeMap<String, String>,
    pub reports: ReportsConfig,
    #[serde(default)]
    pub faults: FaultsConfig,
    #[serde(default)]
    pub shrink: ShrinkConfig,
    #[serde(default)]
    pub coverage: CoverageConfig,
    /// Directory the file was read from (relative paths resolve against it).
    #[serde(skip)]
    pub root: PathBuf,
}

fn default_profile() -> String {
    "dev".into()
}

/// Parses a positive duration written as an integer and a unit: `500ms`, `30s`, `5m`, `1h`
/// (the one duration syntax of `harness.toml` and case files).
pub fn parse_duration(s: &str) -> Option<Duration> {
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

impl HarnessConfig {
    /// Reads and validates `path`.
    pub fn load(path: &Path) -> Result<HarnessConfig, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let parse_err = |message: String| ConfigError::Parse {
            path: path.to_path_buf(),
            message,
        };
        let mut cfg: HarnessConfig = toml::from_str(&text).map_err(|e| parse_err(e.to_string()))?;
        cfg.root = path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        cfg.validate().map_err(parse_err)?;
        Ok(cfg)
    }

    /// `harness.toml` at the workspace root (where `CARGO_MANIFEST_DIR` points).
    pub fn load_default() -> Result<HarnessConfig, ConfigError> {
        Self::load(&workspace_root().join("harness.toml"))
    }

    fn validate(&self) -> Result<(), String> {
        if self.world.actors.len() < 2 {
            return Err("[world] actors needs at least two names".into());
        }
        for (key, v) in [
            ("[world] command_timeout", &self.world.command_timeout),
            ("[world] health_timeout", &self.world.health_timeout),
            ("[faults] td_timeout", &self.faults.td_timeout),
            ("[faults] td_busy_timeout", &self.faults.td_busy_timeout),
            ("[faults] converge_timeout", &self.faults.converge_timeout),
            ("[shrink] budget", &self.shrink.budget),
        ] {
            if parse_duration(v).is_none() {
                return Err(format!("{key} = {v:?} is not a duration like \"30s\""));
            }
        }
        let share = self.coverage.max_idle_share;
        if !(0.0..=1.0).contains(&share) {
            return Err(format!(
                "[coverage] max_idle_share must be between 0 and 1, got {share}"
            ));
        }
        if self.faults.converge_rounds < 2 {
            return Err("[faults] converge_rounds must be at least 2".into());
        }
        if self.world.sync_rounds == 0 {
            return Err("[world] sync_rounds must be at least 1".into());
        }
        if self.sut.source == SutSource::Paths
            && (self.sut.td.is_none() || self.sut.td_sync.is_none())
        {
            return Err("[sut] source = \"paths\" needs both td and td_sync".into());
        }
        Ok(())
    }

    pub fn command_timeout(&self) -> Duration {
        parse_duration(&self.world.command_timeout).expect("validated")
    }

    pub fn health_timeout(&self) -> Duration {
        parse_duration(&self.world.health_timeout).expect("validated")
    }

    pub fn td_timeout(&self) -> Duration {
        parse_duration(&self.faults.td_timeout).expect("validated")
    }

    pub fn td_busy_timeout(&self) -> Duration {
        parse_duration(&self.faults.td_busy_timeout).expect("validated")
    }

    pub fn converge_timeout(&self) -> Duration {
        parse_duration(&self.faults.converge_timeout).expect("validated")
    }

    /// How long a failed case may be shrunk: `E2E_SHRINK` (seconds; `0` = never) over
    /// `[shrink] budget`. `None`: shrinking is off.
    pub fn shrink_budget(&self) -> Result<Option<Duration>, String> {
        match std::env::var("E2E_SHRINK") {
            Ok(v) => match v.trim().parse::<u64>() {
                Ok(0) => Ok(None),
                Ok(n) => Ok(Some(Duration::from_secs(n))),
                Err(_) => Err(format!(
                    "E2E_SHRINK={v:?}: expected a whole number of seconds (0 turns shrinking off)"
                )),
            },
            Err(_) => Ok(Some(
                parse_duration(&self.shrink.budget).expect("validated"),
            )),
        }
    }

    /// The directory new worlds go in.
    pub fn temp_root(&self) -> PathBuf {
        match self.world.temp_root.as_str() {
            "system" => std::env::temp_dir(),
            "auto" => {
                let shm = Path::new("/dev/shm");
                let writable = shm.is_dir()
                    && std::fs::metadata(shm).is_ok_and(|m| !m.permissions().readonly());
                if writable {
                    shm.to_path_buf()
                } else {
                    std::env::temp_dir()
                }
            }
            dir => self.root.join(dir),
        }
    }

    /// The report directory, absolute.
    pub fn report_dir(&self) -> PathBuf {
        self.root.join(&self.reports.dir)
    }
}

/// The workspace root: the directory holding the harness's Cargo.toml.
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30s"), Some(Duration::from_secs(30)));
        assert_eq!(parse_duration("250ms"), Some(Duration::from_millis(250)));
        assert_eq!(parse_duration("2m"), Some(Duration::from_secs(120)));
        assert_eq!(parse_duration("x"), None);
        assert_eq!(parse_duration("30"), None, "a unit is required");
        assert_eq!(parse_duration("0s"), None, "zero is not a timeout");
        for bad in [
            "s",
            "-1s",
            "1d",
            "1.5s",
            " 5s",
            "99999999999999999999h",
            "99999999999999999h",
        ] {
            assert_eq!(parse_duration(bad), None, "{bad}");
        }
    }

    #[test]
    fn shipped_config_is_valid() {
        let cfg = HarnessConfig::load_default().unwrap();
        assert_eq!(cfg.world.actors[..2], ["alice", "bob"]);
        assert!(cfg.report_dir().ends_with("target/e2e"));
    }

    #[test]
    fn unknown_keys_are_refused_with_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("harness.toml");
        let text = std::fs::read_to_string(workspace_root().join("harness.toml")).unwrap();
        std::fs::write(&p, text.replace("[world]", "[world]\nbogus = 1")).unwrap();
        let err = HarnessConfig::load(&p).unwrap_err().to_string();
        assert!(
            err.contains("harness.toml") && err.contains("bogus"),
            "{err}"
        );
    }
}
