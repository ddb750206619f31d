//! The client side of a world (Jepsen's "client"). Entry type: [`Harness`], one isolated
//! world per case — temp dir, a td-sync server on its own port, actors with their own HOME
//! and database, real device login — and the td driver.
//!
//! - `world`: [`Harness`] itself (setup, accessors, the td driver);
//! - `server`: one td-sync process (spawn, port, health, kill);
//! - `auth`: the real device login; `process`: children with timeouts, always reaped;
//! - `sut`: the td and td-sync binaries, built once per process;
//! - `error`: [`HarnessError`], the one error type of world setup and changes;
//! - `control`: `td-sync admin`, the server's databases, SIGTERM, the listen address;
//! - `api`: raw HTTP to the server (tests and benchmarks of td-sync itself);
//! - `seed`: thousands of pending issues written straight into a client database.

pub mod api;
pub mod auth;
pub mod control;
mod error;
pub mod process;
mod replica;
pub mod seed;
pub mod server;
pub mod sut;
mod world;

pub use error::HarnessError;
pub use world::{email, extract_project_id, is_rate_limited, Harness, WorldOptions};
