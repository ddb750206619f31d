//! The nemesis (Jepsen's word): every fault the harness can inject into a world, started by
//! [`Nemesis::invoke`] and ended by [`Nemesis::heal`]. Entry types: [`Nemesis`] and
//! [`WorldFaults`], the faults of one world.
//!
//! - `kind`: [`FaultKind`] (the names reports and case files use) and [`Fault`];
//! - `proxy`: the per-actor HTTP fault proxy between td and td-sync;
//! - `server`: the td-sync process — kill -9, restart, SIGSTOP/SIGCONT;
//! - `core`: what the proxies and the nemesis share (in-flight kills, database locks, counts,
//!   postconditions), `clock`: per-actor clock skew with libfaketime;
//! - `plan`: the `[faults]` rates of a case and the seeded schedule that turns them into
//!   faults at chosen operations.
//!
//! Every fault is recorded in the world's `OperationHistory` when it fires (`fault:<kind>`)
//! and when it heals (`heal:<kind>`).

pub mod clock;
mod core;
mod kind;
pub mod plan;
pub mod proxy;
pub mod server;
mod world;

pub use self::core::FaultCore;
pub use kind::{format_offset, Fault, FaultKind, PartitionMode, RequestRates};
pub use plan::{FaultPlan, FaultSchedule};
pub use proxy::bugs::{BugInjector, BugPlant};
pub use server::ServerControl;
pub use world::WorldFaults;

/// Why a fault could not be started or healed.
#[derive(Debug, thiserror::Error)]
pub enum FaultError {
    #[error("{fault}: {message}")]
    Invoke { fault: String, message: String },
    #[error("heal: {0}")]
    Heal(String),
    #[error(transparent)]
    NoFaketime(#[from] clock::NoFaketime),
}

/// Faults the harness can inject; the engine only says which and when.
pub trait Nemesis {
    /// Starts `fault`; returns once it is in effect.
    fn invoke(&self, fault: &Fault) -> Result<(), FaultError>;
    /// Ends one windowed fault (a partition, a pause) that `invoke` started; a no-op for
    /// faults that need no ending of their own.
    fn end(&self, fault: &Fault) -> Result<(), FaultError>;
    /// Ends every active fault; returns once the world is whole again (server up and
    /// running, every proxy passing traffic, every lock released, every clock real).
    fn heal(&self) -> Result<(), FaultError>;
    /// How many times faults have touched `actor`'s traffic or processes so far. A failed
    /// operation during which this moved has an unknown outcome (`info`), not a failure.
    fn disturbances(&self, actor: &str) -> u64;
    /// True while `actor` cannot reach a working server (partitioned, server paused or
    /// down). Windows open and close only between operations, so a failure that ends while
    /// this holds is explained by it.
    fn cut_off(&self, actor: &str) -> bool;
    /// Called after every operation of `actor`: ends faults that last one operation (a held
    /// database lock) and checks what they must have left behind.
    fn after_op(&self, actor: &str, ok: bool);
}
