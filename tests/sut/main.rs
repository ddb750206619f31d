//! The system under test end to end: the real td-sync binary and real td clients, each test
//! in its own [`Harness`](td_e2e::harness::Harness) world (server on its own port, actors
//! with their own HOME and database, real device login, one project).
//!
//! - `server_binary`: admin commands, startup, SIGKILL + restart, SIGTERM;
//! - `sync`: every entity kind, field merges, delete/restore/undo, dependency cycles;
//! - `sync_faults`: the server killed while idle and in the middle of a big push;
//! - `sync_security`: readers, outsiders and bad keys refused;
//! - `client`, `db`, `world`: the test-side views (one td user, database comparisons, world
//!   setup) over the harness.

mod client;
mod db;
mod world;

mod server_binary;
mod sync;
mod sync_faults;
mod sync_security;
