//! A real td-sync process on a loopback port, with its data dir in a temp dir. The first
//! start binds port 0 and reads the port from `SYNC_ADDR_FILE`; restarts reuse it (the
//! server sets SO_REUSEADDR), as the e2e harness does after a SIGKILL.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use super::bins;
use super::process::{run, Out, Running};

/// How long a start may take before the test fails.
const START_TIMEOUT: Duration = Duration::from_secs(30);
/// Admin commands are quick; this is only a safety net.
const ADMIN_TIMEOUT: Duration = Duration::from_secs(30);

pub struct Server {
    data: PathBuf,
    port: u16,
    proc: Option<Running>,
    starts: u32,
}

impl Server {
    /// A server over `<dir>/server-data`, not started yet (admin commands work already).
    pub fn new(dir: &Path) -> Server {
        let data = dir.join("server-data");
        std::fs::create_dir_all(&data).expect("create server data dir");
        Server {
            data,
            port: 0,
            proc: None,
            starts: 0,
        }
    }

    pub fn db_path(&self) -> PathBuf {
        self.data.join("server.db")
    }

    /// `<data>/projects/<id>/events.db`.
    pub fn events_db(&self, project_id: &str) -> PathBuf {
        self.data
            .join("projects")
            .join(project_id)
            .join("events.db")
    }

    /// `http://127.0.0.1:<port>` (valid once started).
    pub fn url(&self) -> String {
        assert_ne!(self.port, 0, "server not started");
        format!("http://127.0.0.1:{}", self.port)
    }

    /// `td-sync admin <args> --db <server.db>`.
    pub fn admin(&self, args: &[&str]) -> Out {
        let mut cmd = Command::new(bins::td_sync());
        cmd.arg("admin")
            .args(args)
            .arg("--db")
            .arg(self.db_path())
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default());
        run(cmd, ADMIN_TIMEOUT)
    }

    /// Creates the user `email` (idempotent).
    pub fn create_user(&self, email: &str) {
        let out = self.admin(&["create-user", "--email", email]).ok();
        assert!(out.stdout.contains(email), "{out:#?}");
    }

    /// Starts the process (first time on a free port, later on the same one) and waits
    /// until `/healthz` answers 200.
    pub fn start(&mut self) {
        assert!(self.proc.is_none(), "server already running");
        self.starts += 1;
        let addr_file = self.data.join(format!("addr-{}", self.starts));
        let log = File::create(self.data.join(format!("server-{}.log", self.starts)))
            .expect("create server log");
        let mut cmd = Command::new(bins::td_sync());
        cmd.current_dir(&self.data)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .envs(self.env(&addr_file))
            .stdout(log.try_clone().expect("dup log"))
            .stderr(log);
        let mut proc = Running::spawn(cmd, false);
        let deadline = Instant::now() + START_TIMEOUT;
        let started = wait_for_port(&mut proc, &addr_file, deadline).and_then(|port| {
            self.port = port;
            wait_healthy(&mut proc, &self.url(), deadline)
        });
        if let Err(why) = started {
            drop(proc);
            panic!("td-sync did not start: {why}; log:\n{}", self.log_tail());
        }
        self.proc = Some(proc);
    }

    fn env(&self, addr_file: &Path) -> Vec<(&'static str, String)> {
        let s = |p: &Path| p.display().to_string();
        vec![
            ("SYNC_LISTEN_ADDR", format!("127.0.0.1:{}", self.port)),
            ("SYNC_ADDR_FILE", s(addr_file)),
            ("SYNC_SERVER_DB_PATH", s(&self.db_path())),
            ("SYNC_PROJECT_DATA_DIR", s(&self.data.join("projects"))),
            ("SYNC_EMAIL_PROVIDER", "memory".into()),
            ("SYNC_DEV_EMAIL_INSPECT", "1".into()),
            ("SYNC_ALLOW_SIGNUP", "true".into()),
            ("SYNC_LOG_FORMAT", "text".into()),
            ("SYNC_LOG_LEVEL", "info".into()),
            ("SYNC_RATE_LIMIT_AUTH", "1000".into()),
            ("SYNC_RATE_LIMIT_PUSH", "10000".into()),
            ("SYNC_RATE_LIMIT_PULL", "10000".into()),
            ("SYNC_RATE_LIMIT_OTHER", "10000".into()),
        ]
    }

    /// The running server's process id.
    pub fn pid(&self) -> u32 {
        self.proc.as_ref().expect("server not running").pid()
    }

    /// SIGKILL and reap, as the harness does (no graceful shutdown).
    pub fn kill9(&mut self) {
        let mut proc = self.proc.take().expect("server not running");
        proc.kill();
    }

    /// The last lines of the current log, for failure messages.
    pub fn log_tail(&self) -> String {
        let path = self.data.join(format!("server-{}.log", self.starts));
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }
}

fn wait_for_port(proc: &mut Running, addr_file: &Path, deadline: Instant) -> Result<u16, String> {
    loop {
        if let Ok(text) = std::fs::read_to_string(addr_file) {
            let addr: std::net::SocketAddr = text
                .trim()
                .parse()
                .map_err(|e| format!("bad address {text:?} in SYNC_ADDR_FILE: {e}"))?;
            return Ok(addr.port());
        }
        if !proc.alive() {
            return Err("exited during startup".into());
        }
        if Instant::now() > deadline {
            return Err("never wrote its address".into());
        }
        // Nothing to block on for a file appearing; poll briefly.
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn wait_healthy(proc: &mut Running, url: &str, deadline: Instant) -> Result<(), String> {
    let agent = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(2))
        .build();
    loop {
        if let Ok(resp) = agent.get(&format!("{url}/healthz")).call() {
            if resp.status() == 200 {
                return Ok(());
            }
        }
        if !proc.alive() {
            return Err("exited before /healthz answered".into());
        }
        if Instant::now() > deadline {
            return Err("/healthz never answered 200".into());
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}
