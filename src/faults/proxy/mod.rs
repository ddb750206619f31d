//! The per-actor fault proxy: each actor's td reaches td-sync through its own proxy on
//! `127.0.0.1:0`. It understands one HTTP/1.1 exchange at a time ([`http`]) and acts on it
//! ([`conn`]): partitions, lost answers, resets, truncation, injected 500/503/429, latency
//! and a slow link, and the in-flight hooks (kill the server or the client, lock the
//! client's database) that [`ProxyHooks`] carries out. Decisions come from a seeded stream
//! per actor, drawn a fixed number of times per request, so one seed replays the same faults
//! at the same requests.

pub mod bugs;
mod conn;
pub mod http;

use std::collections::BTreeMap;
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU16, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use rand_pcg::Pcg64;

use super::kind::{FaultKind, PartitionMode, RequestRates};

/// What the proxy asks the world to do when a fault needs more than the network.
pub trait ProxyHooks: Send + Sync {
    /// kill -9 td-sync now (a request is in flight), then start it again on the same data.
    fn kill_server(&self) -> Result<String, String>;
    /// kill -9 the td process of `actor` that is waiting for an answer.
    fn kill_client(&self, actor: &str) -> Result<String, String>;
    /// Take a write lock on `actor`'s database, held until the world releases it.
    fn lock_db(&self, actor: &str) -> Result<String, String>;
    /// A fault fired on `actor`'s traffic (for the history and the counts).
    fn fired(&self, actor: &str, kind: FaultKind, detail: &str);
    /// A request started (+1) or finished (-1) at the server, so a world knows how many
    /// requests it really had in flight at once.
    fn in_flight(&self, delta: i64);
}

/// One actor's proxy. Dropping it closes every connection and joins every thread.
pub struct Proxy {
    port: u16,
    shared: Arc<Shared>,
    accept: Option<JoinHandle<()>>,
}

struct Shared {
    actor: String,
    /// The server's current port, shared by every proxy of a world (0 = down).
    upstream: Arc<AtomicU16>,
    hooks: Arc<dyn ProxyHooks>,
    state: Mutex<State>,
    /// Live sockets (client and upstream sides), so closing can unblock their threads.
    open: Mutex<BTreeMap<u64, TcpStream>>,
    threads: Mutex<Vec<JoinHandle<()>>>,
    next_id: AtomicU64,
    closing: AtomicBool,
    /// Bumped by every heal, so held connections know to let go.
    heal_epoch: AtomicU64,
    /// Bound on any single wait on a socket.
    io_timeout: Duration,
    /// A planted bug injector (test-only; see [`bugs`]).
    bug: Mutex<Option<Arc<bugs::BugPlant>>>,
}

struct State {
    partition: Option<PartitionMode>,
    rates: RequestRates,
    rng: Pcg64,
    /// Requests a fault touched (the engine uses it to tell `info` from a failure).
    disturbances: u64,
    fired: BTreeMap<FaultKind, u64>,
}

impl Proxy {
    /// Starts a proxy for `actor` in front of the server at `upstream`.
    pub fn start(
        actor: &str,
        upstream: Arc<AtomicU16>,
        hooks: Arc<dyn ProxyHooks>,
        rng: Pcg64,
        io_timeout: Duration,
    ) -> std::io::Result<Proxy> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let port = listener.local_addr()?.port();
        let shared = Arc::new(Shared {
            actor: actor.to_string(),
            upstream,
            hooks,
            state: Mutex::new(State {
                partition: None,
                rates: RequestRates::default(),
                rng,
                disturbances: 0,
                fired: BTreeMap::new(),
            }),
            open: Mutex::new(BTreeMap::new()),
            threads: Mutex::new(Vec::new()),
            next_id: AtomicU64::new(1),
            closing: AtomicBool::new(false),
            heal_epoch: AtomicU64::new(0),
            io_timeout,
            bug: Mutex::new(None),
        });
        let s = Arc::clone(&shared);
        let accept = std::thread::Builder::new()
            .name(format!("proxy-{actor}"))
            .spawn(move || accept_loop(listener, s))?;
        Ok(Proxy {
            port,
            shared,
            accept: Some(accept),
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn set_partition(&self, mode: Option<PartitionMode>) {
        self.shared.state().partition = mode;
        if mode.is_none() {
            self.shared.heal_epoch.fetch_add(1, Ordering::SeqCst);
        }
    }

    pub fn partition(&self) -> Option<PartitionMode> {
        self.shared.state().partition
    }

    /// Sets the per-request faults and the stream they are drawn from.
    pub fn set_rates(&self, rates: RequestRates, rng: Pcg64) {
        let mut st = self.shared.state();
        st.rates = rates;
        st.rng = rng;
    }

    /// Ends the partition and the per-request faults; held connections let go.
    pub fn heal(&self) {
        {
            let mut st = self.shared.state();
            st.partition = None;
            st.rates = RequestRates::default();
        }
        self.shared.heal_epoch.fetch_add(1, Ordering::SeqCst);
    }

    /// Plants a bug injector in this proxy (test-only: no case file reaches it). Heal does
    /// not remove it: a buggy server stays buggy.
    pub fn plant_bug(&self, plant: Arc<bugs::BugPlant>) {
        *self.shared.bug.lock().unwrap_or_else(|e| e.into_inner()) = Some(plant);
    }

    /// How many requests a fault has touched so far.
    pub fn disturbances(&self) -> u64 {
        self.shared.state().disturbances
    }

    /// Faults fired so far, per kind.
    pub fn fired(&self) -> BTreeMap<FaultKind, u64> {
        self.shared.state().fired.clone()
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let s = &self.shared;
        s.closing.store(true, Ordering::SeqCst);
        s.heal_epoch.fetch_add(1, Ordering::SeqCst);
        for stream in s.lock_open().values() {
            let _ = stream.shutdown(Shutdown::Both);
        }
        // Wake the accept loop so it sees `closing`.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(t) = self.accept.take() {
            let _ = t.join();
        }
        let threads: Vec<_> =
            std::mem::take(&mut *s.threads.lock().unwrap_or_else(|e| e.into_inner()));
        for t in threads {
            let _ = t.join();
        }
    }
}

fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    for stream in listener.incoming() {
        if shared.closing.load(Ordering::SeqCst) {
            break;
        }
        let Ok(stream) = stream else { continue };
        let s = Arc::clone(&shared);
        let spawned = std::thread::Builder::new()
            .name(format!("proxy-{}-conn", shared.actor))
            .spawn(move || conn::serve(&s, stream));
        if let Ok(handle) = spawned {
            let mut threads = shared.threads.lock().unwrap_or_else(|e| e.into_inner());
            threads.retain(|t| !t.is_finished());
            threads.push(handle);
        }
    }
}

impl Shared {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn bug(&self) -> Option<Arc<bugs::BugPlant>> {
        self.bug.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn lock_open(&self) -> MutexGuard<'_, BTreeMap<u64, TcpStream>> {
        self.open.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Remembers a socket so closing can shut it; returns its key.
    fn track(&self, stream: &TcpStream) -> Option<u64> {
        let id = self.next_id.fetch_add(1, Ordering::SeqCst);
        let clone = stream.try_clone().ok()?;
        self.lock_open().insert(id, clone);
        if self.closing.load(Ordering::SeqCst) {
            let _ = stream.shutdown(Shutdown::Both);
        }
        Some(id)
    }

    fn untrack(&self, id: Option<u64>) {
        if let Some(id) = id {
            self.lock_open().remove(&id);
        }
    }

    /// Counts a firing and tells the world.
    fn fire(&self, kind: FaultKind, disturbing: bool, detail: &str) {
        {
            let mut st = self.state();
            *st.fired.entry(kind).or_default() += 1;
            if disturbing {
                st.disturbances += 1;
            }
        }
        self.hooks.fired(&self.actor, kind, detail);
    }
}
