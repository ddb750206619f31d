//! One td-sync process of a world: spawn with a clean environment, learn its port, wait
//! for health while watching the child, SIGKILL and reap.

use std::fs::OpenOptions;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running server.
pub struct ServerProc {
    pub child: Child,
    pub port: u16,
}

impl Drop for ServerProc {
    fn drop(&mut self) {
        crate::harness::process::kill_and_reap(&mut self.child);
    }
}

/// How to start a server for one world.
#[derive(Debug, Clone)]
pub struct ServerSpec {
    pub binary: PathBuf,
    pub world: PathBuf,
    pub env: Vec<(String, String)>,
    pub health_timeout: Duration,
    /// Host part of `SYNC_LISTEN_ADDR`: `127.0.0.1` for worlds; empty gives td-sync's
    /// Go-style `:PORT`, every interface, IPv6 and IPv4 (tests of the listener itself).
    pub listen_host: String,
}

impl ServerSpec {
    fn data(&self) -> PathBuf {
        self.world.join("server-data")
    }

    pub fn log_path(&self) -> PathBuf {
        self.world.join("server.log")
    }

    /// Appends a line to server.log (why a restart moved port, for instance).
    pub fn note(&self, line: &str) {
        let _ = OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log_path())
            .and_then(|mut f| std::io::Write::write_all(&mut f, format!("{line}\n").as_bytes()));
    }

    fn addr_file(&self) -> PathBuf {
        self.world.join("server.addr")
    }

    /// Starts td-sync on `port` (0 = let the kernel pick) and waits until it is healthy.
    pub fn start(&self, port: u16) -> Result<ServerProc, String> {
        let _ = std::fs::remove_file(self.addr_file());
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log_path())
            .map_err(|e| format!("open server log: {e}"))?;
        let log2 = log
            .try_clone()
            .map_err(|e| format!("open server log: {e}"))?;
        let mut cmd = Command::new(&self.binary);
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", &self.world)
            .current_dir(&self.world)
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log2);
        for (k, v) in self.base_env(port) {
            cmd.env(k, v);
        }
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        die_with_parent(&mut cmd);
        let child = cmd
            .spawn()
            .map_err(|e| format!("spawn {}: {e}", self.binary.display()))?;
        let mut proc = ServerProc { child, port };
        proc.port = self.await_healthy(&mut proc.child)?;
        Ok(proc)
    }

    fn base_env(&self, port: u16) -> Vec<(String, String)> {
        let data = self.data();
        let s = |p: &Path| p.to_string_lossy().into_owned();
        vec![
            (
                "SYNC_LISTEN_ADDR".into(),
                format!("{}:{port}", self.listen_host),
            ),
            ("SYNC_ADDR_FILE".into(), s(&self.addr_file())),
            ("SYNC_SERVER_DB_PATH".into(), s(&data.join("server.db"))),
            ("SYNC_PROJECT_DATA_DIR".into(), s(&data.join("projects"))),
            ("SYNC_ALLOW_SIGNUP".into(), "true".into()),
            ("SYNC_EMAIL_PROVIDER".into(), "memory".into()),
            ("SYNC_DEV_EMAIL_INSPECT".into(), "1".into()),
        ]
    }

    /// Polls for the address file and `/healthz`, failing at once if the child exits.
    fn await_healthy(&self, child: &mut Child) -> Result<u16, String> {
        let deadline = Instant::now() + self.health_timeout;
        let mut wait = Duration::from_millis(2);
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                return Err(format!(
                    "server process exited ({status}) before becoming healthy"
                ));
            }
            if let Some(port) = self.read_port() {
                if health_ok(port) {
                    return Ok(port);
                }
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "server not healthy after {:?}",
                    self.health_timeout
                ));
            }
            std::thread::sleep(wait);
            wait = (wait * 2).min(Duration::from_millis(50));
        }
    }

    fn read_port(&self) -> Option<u16> {
        let text = std::fs::read_to_string(self.addr_file()).ok()?;
        text.trim().rsplit(':').next()?.parse().ok()
    }
}

fn health_ok(port: u16) -> bool {
    ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(2))
        .build()
        .get(&format!("http://127.0.0.1:{port}/healthz"))
        .call()
        .is_ok_and(|r| r.status() == 200)
}

/// Linux: the server gets SIGKILL if the thread that spawned it dies, so a harness
/// killed mid-case leaves no server behind.
fn die_with_parent(cmd: &mut Command) {
    use std::os::unix::process::CommandExt;
    // SAFETY: prctl is async-signal-safe; the closure allocates nothing.
    unsafe {
        cmd.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            Ok(())
        });
    }
}
