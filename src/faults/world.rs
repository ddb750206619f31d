//! [`WorldFaults`]: the nemesis of one world — a proxy per actor, the server control, clock
//! offsets — and its [`Nemesis`] implementation.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use super::clock;
use super::core::FaultCore;
use super::kind::{format_offset, Fault, FaultKind};
use super::proxy::Proxy;
use super::{FaultError, Nemesis};
use crate::engine::seeds;

/// An actor's clock: its offset, and the action_log rowid after which the skew must show.
#[derive(Debug, Clone, Copy, Default)]
struct Clock {
    offset: i64,
    confirm_after: Option<i64>,
}

/// The faults of one world. Dropping it closes the proxies, then the server goes with the
/// core.
pub struct WorldFaults {
    proxies: BTreeMap<String, Proxy>,
    core: Arc<FaultCore>,
    clocks: Mutex<BTreeMap<String, Clock>>,
    db_paths: BTreeMap<String, PathBuf>,
}

/// How far a skewed timestamp may sit from the expected instant (process time included).
const SKEW_TOLERANCE_SECS: i64 = 30;

impl WorldFaults {
    /// Starts one pass-through proxy per actor in front of `core`'s server.
    pub fn new(
        core: Arc<FaultCore>,
        db_paths: BTreeMap<String, PathBuf>,
        io_timeout: Duration,
    ) -> std::io::Result<WorldFaults> {
        let mut proxies = BTreeMap::new();
        for actor in db_paths.keys() {
            let hooks: Arc<dyn super::proxy::ProxyHooks> = core.clone();
            let rng = seeds::stream_for(0, seeds::Purpose::Proxy, actor);
            let proxy = Proxy::start(actor, core.server.upstream(), hooks, rng, io_timeout)?;
            proxies.insert(actor.clone(), proxy);
        }
        Ok(WorldFaults {
            proxies,
            core,
            clocks: Mutex::new(BTreeMap::new()),
            db_paths,
        })
    }

    pub fn core(&self) -> &FaultCore {
        &self.core
    }

    /// The URL `actor`'s td syncs with (its proxy).
    pub fn proxy_url(&self, actor: &str) -> Option<String> {
        self.proxies.get(actor).map(Proxy::url)
    }

    /// Plants `bug` in every actor's proxy; it fires once for the whole world. Test-only:
    /// reachable from the harness's own tests and benches, never from a case file.
    pub fn plant_bug(
        &self,
        bug: super::proxy::bugs::BugInjector,
    ) -> Arc<super::proxy::bugs::BugPlant> {
        let plant = Arc::new(super::proxy::bugs::BugPlant::new(bug));
        for proxy in self.proxies.values() {
            proxy.plant_bug(Arc::clone(&plant));
        }
        plant
    }

    /// Faults fired so far, per kind.
    pub fn counts(&self) -> BTreeMap<FaultKind, u64> {
        self.core.counts()
    }

    /// Extra environment for `actor`'s td (clock skew), or an error when the skew cannot be
    /// applied.
    pub fn td_env(&self, actor: &str) -> Result<Vec<(String, String)>, FaultError> {
        let offset = self.clocks().get(actor).map_or(0, |c| c.offset);
        if offset == 0 {
            return Ok(Vec::new());
        }
        Ok(clock::env(&clock::library()?, offset))
    }

    fn clocks(&self) -> MutexGuard<'_, BTreeMap<String, Clock>> {
        self.clocks.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn proxy(&self, actor: &str) -> Result<&Proxy, String> {
        self.proxies
            .get(actor)
            .ok_or_else(|| format!("unknown actor {actor}"))
    }

    fn set_clock(&self, actor: &str, offset: i64) -> Result<(), String> {
        clock::library().map_err(|e| e.to_string())?;
        let mark = self.newest_local_row(actor)?.map_or(0, |(rowid, _)| rowid);
        self.clocks().insert(
            actor.to_string(),
            Clock {
                offset,
                confirm_after: (offset != 0).then_some(mark),
            },
        );
        Ok(())
    }

    /// The newest action_log row `actor` wrote itself and has not pushed yet.
    fn newest_local_row(&self, actor: &str) -> Result<Option<(i64, String)>, String> {
        let path = self
            .db_paths
            .get(actor)
            .ok_or_else(|| format!("unknown actor {actor}"))?;
        let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)
            .map_err(|e| format!("open {}: {e}", path.display()))?;
        let row = conn.query_row(
            "SELECT rowid, timestamp FROM action_log WHERE synced_at IS NULL \
             ORDER BY rowid DESC LIMIT 1",
            [],
            |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)),
        );
        match row {
            Ok(r) => Ok(Some(r)),
            Err(rusqlite::Error::QueryReturnedNoRows) => Ok(None),
            Err(e) => Err(format!("read action_log of {actor}: {e}")),
        }
    }

    /// Proves a new skew took effect: the first row `actor` writes under it must carry a
    /// timestamp moved by the offset.
    fn confirm_clock(&self, actor: &str) {
        let Some(clock) = self.clocks().get(actor).copied() else {
            return;
        };
        let Some(mark) = clock.confirm_after else {
            return;
        };
        let Ok(Some((rowid, stamp))) = self.newest_local_row(actor) else {
            return;
        };
        if rowid <= mark {
            return;
        }
        if let Some(c) = self.clocks().get_mut(actor) {
            c.confirm_after = None;
        }
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        if !clock::shows_offset(&stamp, now, clock.offset, SKEW_TOLERANCE_SECS) {
            self.core.violation(format!(
                "clock_skew: {actor} should run at {} but its new action_log row {rowid} is \
                 stamped {stamp:?} (real time now: {now} s since the epoch)",
                format_offset(clock.offset),
            ));
        }
    }
}

fn invoke_err(fault: &Fault) -> impl FnOnce(String) -> FaultError + '_ {
    move |message| FaultError::Invoke {
        fault: fault.describe(),
        message,
    }
}

impl Nemesis for WorldFaults {
    fn invoke(&self, fault: &Fault) -> Result<(), FaultError> {
        let core = &self.core;
        let actor = fault.actor().unwrap_or("*");
        match fault {
            Fault::Partition { actor, mode } => {
                self.proxy(actor)
                    .map_err(invoke_err(fault))?
                    .set_partition(Some(*mode));
                core.record(FaultKind::Partition, actor, false, &fault.describe());
                return Ok(());
            }
            Fault::ServerRestart => {
                core.server.restart().map_err(invoke_err(fault))?;
            }
            Fault::ServerPause => core.server.pause().map_err(invoke_err(fault))?,
            Fault::ClockSkew { actor, offset_secs } => {
                if let Err(e) = clock::library() {
                    return Err(e.into());
                }
                self.set_clock(actor, *offset_secs)
                    .map_err(invoke_err(fault))?;
            }
            Fault::Requests { actor, rates, seed } => {
                let proxy = self.proxy(actor).map_err(invoke_err(fault))?;
                proxy.set_rates(
                    rates.clone(),
                    seeds::stream_for(*seed, seeds::Purpose::Proxy, actor),
                );
                // Armed, not fired: each firing is counted by the proxy when it happens.
                let mut rec = crate::history::OperationRecord::new(
                    "fault:arm",
                    actor,
                    crate::history::OpResult::Ok,
                );
                rec.output = fault.describe();
                core.history.record(rec);
                return Ok(());
            }
        }
        if let Some(kind) = fault.kind() {
            core.record(kind, actor, false, &fault.describe());
        }
        Ok(())
    }

    fn end(&self, fault: &Fault) -> Result<(), FaultError> {
        match fault {
            Fault::Partition { actor, mode } => {
                self.proxy(actor)
                    .map_err(FaultError::Heal)?
                    .set_partition(None);
                self.core
                    .record(FaultKind::Partition, actor, true, mode.name());
            }
            Fault::ServerPause => {
                self.core.server.resume().map_err(FaultError::Heal)?;
                self.core
                    .record(FaultKind::ServerPause, "*", true, "SIGCONT td-sync");
            }
            _ => {}
        }
        Ok(())
    }

    fn heal(&self) -> Result<(), FaultError> {
        let core = &self.core;
        for (actor, proxy) in &self.proxies {
            if let Some(mode) = proxy.partition() {
                core.record(FaultKind::Partition, actor, true, mode.name());
            }
            proxy.heal();
        }
        if core.server.is_paused() {
            core.server.resume().map_err(FaultError::Heal)?;
            core.record(FaultKind::ServerPause, "*", true, "SIGCONT td-sync");
        }
        if !core.server.is_running() {
            let port = core.server.start().map_err(FaultError::Heal)?;
            core.record(
                FaultKind::ServerRestart,
                "*",
                true,
                &format!("td-sync started on port {port}"),
            );
        }
        core.release_all();
        let skewed: Vec<String> = std::mem::take(&mut *self.clocks())
            .into_iter()
            .filter(|(_, c)| c.offset != 0)
            .map(|(a, _)| a)
            .collect();
        for actor in skewed {
            core.record(
                FaultKind::ClockSkew,
                &actor,
                true,
                "clock back to real time",
            );
        }
        Ok(())
    }

    fn disturbances(&self, actor: &str) -> u64 {
        self.proxies.get(actor).map_or(0, Proxy::disturbances)
    }

    fn cut_off(&self, actor: &str) -> bool {
        self.proxies
            .get(actor)
            .is_some_and(|p| p.partition().is_some())
            || self.core.server.is_paused()
            || !self.core.server.is_running()
    }

    fn after_op(&self, actor: &str, ok: bool) {
        self.core.after_op(actor, ok);
        self.confirm_clock(actor);
    }
}
