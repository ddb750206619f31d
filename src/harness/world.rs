//! [`Harness`]: one isolated world per case — temp dir, a td-sync server on its own port,
//! actors with their own HOME and database, real device login — and the td driver.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::RngCore;
use serde_json::json;

use super::HarnessError;
use crate::config::HarnessConfig;
use crate::driver::{Driver, DriverError, TdOutput};
use crate::engine::seeds::Purpose;
use crate::faults::{FaultCore, ServerControl, WorldFaults};
use crate::harness::server::ServerSpec;
use crate::harness::sut::Binaries;
use crate::history::OperationHistory;

/// What a world looks like.
#[derive(Debug, Clone)]
pub struct WorldOptions {
    /// Number of actors (2 or 3) taken from `[world] actors`.
    pub actors: usize,
    /// Actors that get an account and a database but join the project only on
    /// [`Harness::join`] (late join).
    pub late: Vec<String>,
    /// Extra environment for every td the world runs (timeouts of fault cases).
    pub td_env: Vec<(String, String)>,
    /// Seeds td's ids (`TD_ID_SEED`, one derived value per invocation of each actor), so a
    /// replay of the case's seed gets the same ids; `None` leaves them random.
    pub id_seed: Option<u64>,
}

impl WorldOptions {
    pub fn actors(n: usize) -> WorldOptions {
        WorldOptions {
            actors: n,
            late: Vec::new(),
            td_env: Vec::new(),
            id_seed: None,
        }
    }
}

/// One world. Dropping it closes the proxies and kills the server; the directory goes away
/// unless [`Harness::keep`].
pub struct Harness {
    // Declared first so it drops first: no server or proxy outlives the directory.
    faults: WorldFaults,
    cfg: HarnessConfig,
    bins: Binaries,
    dir: Option<tempfile::TempDir>,
    root: PathBuf,
    actors: Vec<String>,
    td_env: Vec<(String, String)>,
    project_id: Mutex<String>,
    ids: IdSeeds,
}

impl Harness {
    /// Builds (once per process) and sets up a world: users, server, proxies, device logins,
    /// the project and its members.
    pub fn setup(cfg: &HarnessConfig, opts: &WorldOptions) -> Result<Harness, HarnessError> {
        let bins =
            crate::harness::sut::binaries(cfg).map_err(|e| HarnessError::setup("build", e))?;
        let n = opts.actors.clamp(2, cfg.world.actors.len());
        let actors: Vec<String> = cfg.world.actors[..n].to_vec();
        let dir = tempfile::Builder::new()
            .prefix("td-e2e-")
            .tempdir_in(cfg.temp_root())
            .map_err(HarnessError::io("create the world directory"))?;
        let root = dir.path().to_path_buf();
        let spec = ServerSpec {
            binary: bins.td_sync.clone(),
            world: root.clone(),
            env: cfg.server_env.clone().into_iter().collect(),
            health_timeout: cfg.health_timeout(),
            listen_host: "127.0.0.1".into(),
        };
        let db_paths: BTreeMap<String, PathBuf> = actors
            .iter()
            .map(|a| (a.clone(), client_dir_in(&root, a).join(".todos/issues.db")))
            .collect();
        let core = Arc::new(FaultCore::new(
            ServerControl::new(spec),
            Arc::new(OperationHistory::new()),
            db_paths.clone(),
            cfg.command_timeout(),
        ));
        let faults = WorldFaults::new(core, db_paths, cfg.command_timeout())
            .map_err(HarnessError::io("start the fault proxies"))?;
        let h = Harness {
            faults,
            cfg: cfg.clone(),
            bins,
            dir: Some(dir),
            root,
            actors,
            td_env: opts.td_env.clone(),
            project_id: Mutex::new(String::new()),
            ids: IdSeeds::new(opts.id_seed),
        };
        h.build_world(&opts.late)?;
        Ok(h)
    }

    fn build_world(&self, late: &[String]) -> Result<(), HarnessError> {
        for a in &self.actors {
            for d in [self.client_dir(a), self.home_dir(a).join(".config/td")] {
                std::fs::create_dir_all(&d)
                    .map_err(HarnessError::io(format!("mkdir {}", d.display())))?;
            }
        }
        std::fs::create_dir_all(self.root.join("server-data"))
            .map_err(HarnessError::io("mkdir server-data"))?;
        for a in &self.actors {
            self.create_user(a)?;
        }
        self.start_server()?;
        for a in &self.actors {
            self.expect_ok(a, &["init"], "init")?;
            self.login(a)?;
        }
        self.create_project()?;
        for a in self.actors.iter().skip(1).filter(|a| !late.contains(a)) {
            self.join(a)?;
        }
        Ok(())
    }

    pub(super) fn expect_ok(
        &self,
        actor: &str,
        args: &[&str],
        step: &str,
    ) -> Result<TdOutput, HarnessError> {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let out = self.td(actor, &args)?;
        if !out.ok() {
            return Err(HarnessError::setup(
                format!("{step} {actor}"),
                format!("exit {:?}: {}", out.code, out.output),
            ));
        }
        Ok(out)
    }

    pub(super) fn create_user(&self, actor: &str) -> Result<(), HarnessError> {
        let out = self.server_admin(&["create-user", "--email", &email(actor)])?;
        if !out.ok() {
            return Err(HarnessError::setup(
                format!("create-user {actor}"),
                out.output,
            ));
        }
        Ok(())
    }

    fn login(&self, actor: &str) -> Result<(), HarnessError> {
        // The device login goes straight to the server; only sync traffic is faulted.
        let creds = crate::harness::auth::device_login(&self.server_url(), &email(actor))
            .map_err(|e| HarnessError::setup(format!("auth {actor}"), e))?;
        let mut id = [0u8; 16];
        rand::RngCore::fill_bytes(&mut rand::thread_rng(), &mut id);
        let auth = json!({
            "api_key": creds.api_key, "device_id": hex::encode(id), "email": creds.email,
            "server_url": self.actor_url(actor), "user_id": creds.user_id,
        });
        self.write_actor_file(actor, "auth.json", &auth, 0o600)?;
        self.write_sync_config(actor)
    }

    fn write_sync_config(&self, actor: &str) -> Result<(), HarnessError> {
        let config = json!({"sync": {"url": self.actor_url(actor), "enabled": true, "snapshot_threshold": 0,
            "auto": {"enabled": false, "on_start": false, "debounce": "2s", "interval": "10s", "pull": true}}});
        self.write_actor_file(actor, "config.json", &config, 0o644)
    }

    pub(super) fn write_actor_file(
        &self,
        actor: &str,
        name: &str,
        v: &serde_json::Value,
        mode: u32,
    ) -> Result<(), HarnessError> {
        use std::os::unix::fs::PermissionsExt;
        let path = self.home_dir(actor).join(".config/td").join(name);
        let text = serde_json::to_string_pretty(v).expect("json");
        std::fs::write(&path, text)
            .map_err(HarnessError::io(format!("write {}", path.display())))?;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode))
            .map_err(HarnessError::io(format!("chmod {}", path.display())))
    }

    fn create_project(&self) -> Result<(), HarnessError> {
        let owner = &self.actors[0];
        let out = self.expect_ok(
            owner,
            &["sync-project", "create", "e2e-test"],
            "create project",
        )?;
        let pid = extract_project_id(&out.output).ok_or_else(|| {
            HarnessError::setup(
                "create project",
                format!("no project ID from: {}", out.output),
            )
        })?;
        *self.project_id.lock().expect("lock") = pid.clone();
        self.expect_ok(owner, &["sync-project", "link", &pid], "link")?;
        self.expect_ok(owner, &["sync"], "initial sync")?;
        Ok(())
    }

    /// Invites `actor` (as the first actor) and links its database to the project.
    pub fn join(&self, actor: &str) -> Result<(), HarnessError> {
        let pid = self.project_id();
        self.expect_ok(
            &self.actors[0],
            &["sync-project", "invite", &email(actor), "writer"],
            "invite",
        )?;
        self.expect_ok(actor, &["sync-project", "link", &pid], "link")?;
        Ok(())
    }

    // ---- accessors ----

    pub fn world_dir(&self) -> &Path {
        &self.root
    }

    pub fn project_id(&self) -> String {
        self.project_id.lock().expect("lock").clone()
    }

    /// The server itself (not through a proxy).
    pub fn server_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.faults.core().server.port())
    }

    /// What `actor`'s td talks to: its fault proxy.
    pub fn actor_url(&self, actor: &str) -> String {
        self.faults
            .proxy_url(actor)
            .unwrap_or_else(|| self.server_url())
    }

    /// The world's nemesis: proxies, server control, clocks.
    pub fn faults(&self) -> &WorldFaults {
        &self.faults
    }

    /// The world's operation history (td operations the engine records, every fault).
    pub fn history(&self) -> Arc<OperationHistory> {
        Arc::clone(&self.faults.core().history)
    }

    pub fn home_dir(&self, actor: &str) -> PathBuf {
        self.root.join(format!("home-{actor}"))
    }

    /// Pid of the running server, if any (tests use it to prove nothing outlives a world).
    pub fn server_pid(&self) -> Option<u32> {
        self.faults.core().server.pid()
    }

    pub fn server_log(&self) -> String {
        std::fs::read_to_string(self.root.join("server.log")).unwrap_or_default()
    }

    pub fn config(&self) -> &HarnessConfig {
        &self.cfg
    }

    /// The td and td-sync binaries this world runs.
    pub fn binaries(&self) -> &Binaries {
        &self.bins
    }

    /// Keeps the world directory on disk (a failed case) and returns its path.
    pub fn keep(&mut self) -> PathBuf {
        if let Some(d) = self.dir.take() {
            let _ = d.keep();
        }
        self.root.clone()
    }

    // ---- the server (the nemesis does the same through `faults()`) ----

    /// Adds server environment that applies from the next (re)start on.
    pub fn set_server_env(&self, key: &str, value: &str) {
        self.faults.core().server.add_env(key, value);
    }

    /// SIGKILLs the server and reaps it (crash semantics).
    pub fn stop_server(&self) -> Result<(), HarnessError> {
        self.faults
            .core()
            .server
            .kill()
            .map_err(|e| HarnessError::setup("stop_server", e))
    }

    /// Starts the server on the same data, on the same port when it is still free, else on
    /// a fresh one; the proxies follow it, so no actor's config changes.
    pub fn start_server(&self) -> Result<(), HarnessError> {
        self.faults.core().server.start().map(|_| ()).map_err(|e| {
            HarnessError::setup(
                "start_server",
                format!("{e}\n--- server log ---\n{}", self.server_log()),
            )
        })
    }

    /// Stop then start.
    pub fn restart_server(&self) -> Result<(), HarnessError> {
        self.stop_server()?;
        self.start_server()
    }

    /// `td <args>` as `actor` with extra environment for this one run (benchmarks use
    /// `TD_SYNC_URL` to go around the proxy).
    pub fn td_with_env(
        &self,
        actor: &str,
        args: &[String],
        env: &[(String, String)],
    ) -> Result<TdOutput, DriverError> {
        self.run_td_env(actor, args, env)
    }

    fn run_td(&self, actor: &str, args: &[String]) -> Result<TdOutput, DriverError> {
        self.run_td_env(actor, args, &[])
    }

    fn run_td_env(
        &self,
        actor: &str,
        args: &[String],
        extra: &[(String, String)],
    ) -> Result<TdOutput, DriverError> {
        if !self.actors.iter().any(|a| a == actor) {
            return Err(DriverError::UnknownActor(actor.into()));
        }
        self.spawn_td(actor, args, extra)
    }

    /// Runs td in `home-<who>` / `client-<who>` of this world (an actor, or an extra device
    /// such as a fresh replica).
    pub(super) fn spawn_td(
        &self,
        actor: &str,
        args: &[String],
        extra: &[(String, String)],
    ) -> Result<TdOutput, DriverError> {
        let mut cmd = Command::new(&self.bins.td);
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.home_dir(actor))
            .env("TD_SESSION_ID", format!("e2e-{actor}"))
            .env(
                "TD_ENABLE_FEATURE",
                "sync_cli,sync_autosync,sync_monitor_prompt",
            )
            .env("TD_ANALYTICS", "0")
            .current_dir(self.client_dir(actor))
            .args(args);
        for (k, v) in self.td_env.iter().chain(extra) {
            cmd.env(k, v);
        }
        let seeded = extra.iter().any(|(k, _)| k == td_core::ids::ID_SEED_ENV);
        if !seeded {
            if let Some(seed) = self.ids.next(actor) {
                cmd.env(td_core::ids::ID_SEED_ENV, seed.to_string());
            }
        }
        let skew = self
            .faults
            .td_env(actor)
            .map_err(|e| DriverError::Other(e.to_string()))?;
        let skewed = !skew.is_empty();
        for (k, v) in skew {
            cmd.env(k, v);
        }
        let stdin: &[u8] = if args.first().map(String::as_str) == Some("init") {
            b"n\n"
        } else {
            b""
        };
        let core = self.faults.core();
        let spawned = std::sync::atomic::AtomicU32::new(0);
        let out =
            crate::harness::process::run_watched(cmd, stdin, self.cfg.command_timeout(), &|pid| {
                if let Some(p) = pid {
                    spawned.store(p, std::sync::atomic::Ordering::SeqCst);
                }
                core.watch_td(actor, pid)
            });
        if skewed {
            crate::faults::clock::remove_leftovers(spawned.into_inner());
        }
        out
    }
}

/// Per-invocation seeds for td's ids: the world's seed, the device and how many times it
/// ran td before. Each device's invocations come in a fixed order (parallel lanes keep each
/// actor's own order), so a replay hands every invocation the same seed.
struct IdSeeds {
    seed: Option<u64>,
    runs: Mutex<std::collections::HashMap<String, u64>>,
}

impl IdSeeds {
    fn new(seed: Option<u64>) -> Self {
        IdSeeds {
            seed,
            runs: Mutex::new(std::collections::HashMap::new()),
        }
    }

    /// The seed of `device`'s next invocation (a fresh one: its count goes up).
    fn next(&self, device: &str) -> Option<u64> {
        self.seed?;
        let mut runs = self.runs.lock().unwrap_or_else(|e| e.into_inner());
        let n = runs.entry(device.to_string()).or_insert(0);
        *n += 1;
        self.of(device, *n)
    }

    /// The seed `device`'s last invocation got (a retry of it reuses it).
    fn last(&self, device: &str) -> Option<u64> {
        let n = *self
            .runs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(device)?;
        self.of(device, n)
    }

    fn of(&self, device: &str, n: u64) -> Option<u64> {
        let device_seed =
            crate::engine::seeds::stream_for(self.seed?, Purpose::Ids, device).next_u64();
        Some(crate::engine::seeds::splitmix64(device_seed ^ n))
    }
}

fn client_dir_in(root: &Path, actor: &str) -> PathBuf {
    root.join(format!("client-{actor}"))
}

/// `<actor>@test.local`.
pub fn email(actor: &str) -> String {
    format!("{actor}@test.local")
}

/// First token starting with `p_` (split on whitespace, parens, commas), trailing
/// punctuation stripped.
pub fn extract_project_id(output: &str) -> Option<String> {
    output
        .split(|c: char| c.is_whitespace() || "(),".contains(c))
        .find(|t| t.starts_with("p_"))
        .map(|t| t.trim_end_matches(|c| ".,;:!?)".contains(c)).to_string())
}

/// True for output that reports a rate-limit refusal (not any word containing "rate").
pub fn is_rate_limited(output: &str) -> bool {
    let l = output.to_ascii_lowercase();
    l.contains("http 429") || l.contains("rate_limited") || l.contains("rate limit exceeded")
}

impl Driver for Harness {
    fn actors(&self) -> Vec<String> {
        self.actors.clone()
    }

    fn td(&self, actor: &str, args: &[String]) -> Result<TdOutput, DriverError> {
        self.run_td(actor, args)
    }

    fn sync(&self, actor: &str) -> Result<TdOutput, DriverError> {
        let mut wait = Duration::from_millis(500);
        let sync = ["sync".to_string()];
        let mut out = self.run_td(actor, &sync)?;
        // A retry is the same sync again: it reuses the first run's id seed, so how often
        // the rate limit (a wall-clock window) answered does not shift later ids.
        let again: Vec<(String, String)> = self
            .ids
            .last(actor)
            .map(|seed| (td_core::ids::ID_SEED_ENV.to_string(), seed.to_string()))
            .into_iter()
            .collect();
        for _ in 0..4 {
            if out.ok() || !is_rate_limited(&out.output) {
                break;
            }
            // Rate windows are a minute long: back off as the server asks.
            std::thread::sleep(wait);
            wait *= 2;
            out = self.run_td_env(actor, &sync, &again)?;
        }
        Ok(out)
    }

    fn sync_all(&self) -> Result<(), DriverError> {
        let mut plan = crate::sync_plan::SyncPlan::new(self.actors.len());
        for round in 0..self.cfg.world.sync_rounds {
            for (i, a) in self.actors.iter().enumerate() {
                if !plan.needs(round, i) {
                    continue;
                }
                let out = self.sync(a)?;
                if !out.ok() {
                    return Err(DriverError::Other(format!(
                        "sync {a} round {round}: exit {:?}\n{}",
                        out.code, out.output
                    )));
                }
                plan.synced(i, &out.output);
            }
        }
        Ok(())
    }

    fn db_path(&self, actor: &str) -> PathBuf {
        self.client_dir(actor).join(".todos/issues.db")
    }

    fn client_dir(&self, actor: &str) -> PathBuf {
        client_dir_in(&self.root, actor)
    }

    fn fresh_replica(&self) -> Result<PathBuf, DriverError> {
        super::replica::fresh(self)
    }

    fn rewind_cursor(&self, actor: &str) -> Result<(), DriverError> {
        super::replica::rewind(self, actor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn project_id_extraction() {
        assert_eq!(
            extract_project_id("Created and linked to project e2e-test (p_0123abcd4567ef89)")
                .as_deref(),
            Some("p_0123abcd4567ef89")
        );
        assert_eq!(
            extract_project_id("Linked to project p_ab."),
            Some("p_ab".into())
        );
        assert_eq!(extract_project_id("nothing"), None);
    }

    #[test]
    fn rate_limit_markers_are_specific() {
        assert!(is_rate_limited(
            "ERROR: push: HTTP 429: {\"error\":{\"code\":\"rate_limited\"}}"
        ));
        assert!(!is_rate_limited("ERROR: failed to generate migrate plan"));
        assert!(!is_rate_limited("accurate rate of progress"));
    }

    #[test]
    fn id_seeds_replay_per_device_and_differ_across_devices_and_runs() {
        let (a, b) = (IdSeeds::new(Some(7)), IdSeeds::new(Some(7)));
        let alice: Vec<_> = (0..3).map(|_| a.next("alice")).collect();
        // bob's runs in between do not move alice's seeds (lanes interleave the actors).
        b.next("bob");
        let again: Vec<_> = (0..3).map(|_| b.next("alice")).collect();
        assert_eq!(alice, again);
        assert_ne!(alice[0], alice[1]);
        assert_ne!(a.next("bob"), IdSeeds::new(Some(7)).next("alice"));
        assert_ne!(IdSeeds::new(Some(8)).next("alice"), alice[0]);
        assert_eq!(IdSeeds::new(None).next("alice"), None);
        // A retry reuses the last seed and does not move the count.
        let c = IdSeeds::new(Some(7));
        let first = c.next("alice");
        assert_eq!(c.last("alice"), first);
        assert_eq!(c.next("alice"), alice[1]);
        assert_eq!(IdSeeds::new(Some(7)).last("alice"), None);
    }
}
