//! [`ServerControl`]: the world's td-sync process and every way the nemesis hurts it —
//! kill -9, restart on the same data, SIGSTOP/SIGCONT. The current port is published in an
//! atomic that every actor's proxy forwards to, so a server that comes back on a new port
//! needs no client config rewritten.

use std::process::ExitStatus;
use std::sync::atomic::{AtomicBool, AtomicU16, Ordering};
use std::sync::{mpsc, Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::harness::server::{ServerProc, ServerSpec};

type SpawnRequest = (ServerSpec, u16, mpsc::Sender<Result<ServerProc, String>>);

/// Servers die with the thread that spawned them (PR_SET_PDEATHSIG), so every spawn happens
/// on one thread that lives as long as the world — not on a proxy thread that kills and
/// restarts the server in flight and then ends.
struct Spawner {
    tx: Option<mpsc::Sender<SpawnRequest>>,
    thread: Option<JoinHandle<()>>,
}

impl Spawner {
    fn new() -> Spawner {
        let (tx, rx) = mpsc::channel::<SpawnRequest>();
        let thread = std::thread::Builder::new()
            .name("td-sync-spawner".into())
            .spawn(move || {
                for (spec, port, reply) in rx {
                    let _ = reply.send(spec.start(port));
                }
            })
            .expect("spawn the server spawner thread");
        Spawner {
            tx: Some(tx),
            thread: Some(thread),
        }
    }

    fn start(&self, spec: &ServerSpec, port: u16) -> Result<ServerProc, String> {
        let (reply, answer) = mpsc::channel();
        self.tx
            .as_ref()
            .ok_or("spawner closed")?
            .send((spec.clone(), port, reply))
            .map_err(|_| "the spawner thread is gone".to_string())?;
        answer
            .recv()
            .map_err(|_| "the spawner thread died".to_string())?
    }
}

impl Drop for Spawner {
    fn drop(&mut self) {
        self.tx.take();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The server of one world.
pub struct ServerControl {
    spawner: Spawner,
    spec: Mutex<ServerSpec>,
    proc: Mutex<Option<ServerProc>>,
    /// The port proxies forward to; 0 while the server is down.
    upstream: Arc<AtomicU16>,
    /// The last port the server listened on (restarts try it first).
    last_port: AtomicU16,
    paused: AtomicBool,
}

impl ServerControl {
    pub fn new(spec: ServerSpec) -> Self {
        ServerControl {
            spawner: Spawner::new(),
            spec: Mutex::new(spec),
            proc: Mutex::new(None),
            upstream: Arc::new(AtomicU16::new(0)),
            last_port: AtomicU16::new(0),
            paused: AtomicBool::new(false),
        }
    }

    fn slot(&self) -> MutexGuard<'_, Option<ServerProc>> {
        self.proc.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn spec(&self) -> MutexGuard<'_, ServerSpec> {
        self.spec.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The port every proxy forwards to.
    pub fn upstream(&self) -> Arc<AtomicU16> {
        Arc::clone(&self.upstream)
    }

    /// The port the server listens on now (0 = down).
    pub fn port(&self) -> u16 {
        self.upstream.load(Ordering::SeqCst)
    }

    pub fn pid(&self) -> Option<u32> {
        self.slot().as_ref().map(|p| p.child.id())
    }

    pub fn is_running(&self) -> bool {
        self.slot().is_some()
    }

    /// Adds server environment that applies from the next (re)start on.
    pub fn add_env(&self, key: &str, value: &str) {
        self.spec().env.push((key.into(), value.into()));
    }

    /// Sets the host of `SYNC_LISTEN_ADDR` from the next (re)start on (see
    /// [`ServerSpec::listen_host`]).
    pub fn set_listen_host(&self, host: &str) {
        self.spec().listen_host = host.into();
    }

    /// Starts the server on the same data, on its last port when that is still free, else
    /// on a fresh one (noted in server.log); returns the port.
    pub fn start(&self) -> Result<u16, String> {
        let mut slot = self.slot();
        if slot.is_some() {
            return Err("server already running".into());
        }
        let spec = self.spec();
        let old = self.last_port.load(Ordering::SeqCst);
        let proc = match self.spawner.start(&spec, old) {
            Ok(p) => p,
            Err(e) if old != 0 => {
                spec.note(&format!(
                    "restart on port {old} failed ({e}); starting on a fresh port"
                ));
                self.spawner.start(&spec, 0)?
            }
            Err(e) => return Err(e),
        };
        let port = proc.port;
        *slot = Some(proc);
        self.paused.store(false, Ordering::SeqCst);
        self.last_port.store(port, Ordering::SeqCst);
        self.upstream.store(port, Ordering::SeqCst);
        Ok(port)
    }

    /// SIGKILL and reap (crash semantics: whatever the server had not committed is gone).
    pub fn kill(&self) -> Result<(), String> {
        let proc = self.slot().take().ok_or("server not running")?;
        self.upstream.store(0, Ordering::SeqCst);
        drop(proc);
        self.paused.store(false, Ordering::SeqCst);
        Ok(())
    }

    /// SIGTERM (graceful shutdown) and reap; returns how the process ended, or an error when
    /// it has not exited within `timeout` (it is then SIGKILLed, as every dropped server is).
    pub fn terminate(&self, timeout: Duration) -> Result<ExitStatus, String> {
        self.signal(libc::SIGTERM)?;
        let mut proc = self.slot().take().ok_or("server not running")?;
        self.upstream.store(0, Ordering::SeqCst);
        self.paused.store(false, Ordering::SeqCst);
        let deadline = Instant::now() + timeout;
        loop {
            match proc.child.try_wait() {
                Ok(Some(status)) => return Ok(status),
                Ok(None) if Instant::now() < deadline => {
                    // Child has no blocking wait with a deadline; poll briefly.
                    std::thread::sleep(Duration::from_millis(10));
                }
                Ok(None) => return Err(format!("server still running {timeout:?} after SIGTERM")),
                Err(e) => return Err(format!("wait for the server: {e}")),
            }
        }
    }

    /// kill -9, then start on the same data.
    pub fn restart(&self) -> Result<u16, String> {
        self.kill()?;
        self.start()
    }

    /// SIGSTOP: the server keeps its sockets, so requests queue up and time out.
    pub fn pause(&self) -> Result<(), String> {
        self.signal(libc::SIGSTOP)?;
        self.paused.store(true, Ordering::SeqCst);
        Ok(())
    }

    /// SIGCONT after a pause (a no-op when not paused).
    pub fn resume(&self) -> Result<(), String> {
        if !self.paused.swap(false, Ordering::SeqCst) {
            return Ok(());
        }
        self.signal(libc::SIGCONT)
    }

    pub fn is_paused(&self) -> bool {
        self.paused.load(Ordering::SeqCst)
    }

    fn signal(&self, sig: libc::c_int) -> Result<(), String> {
        let slot = self.slot();
        let proc = slot.as_ref().ok_or("server not running")?;
        // SAFETY: kill(2) on our own unreaped child: the pid cannot have been reused.
        let rc = unsafe { libc::kill(proc.child.id() as libc::pid_t, sig) };
        if rc != 0 {
            return Err(format!("signal {sig}: {}", std::io::Error::last_os_error()));
        }
        Ok(())
    }
}

impl Drop for ServerControl {
    fn drop(&mut self) {
        // A stopped process still dies of SIGKILL; resume anyway so nothing waits on it.
        let _ = self.resume();
        self.slot().take();
    }
}
