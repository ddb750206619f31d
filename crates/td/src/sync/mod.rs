//! Client sync engine (sync spec §5.4, §6.2, §7.1–§7.3). Entry points: [`push`] and
//! [`pull`], both over a [`SyncTransport`]; [`SyncClient`] is the real HTTP one.
//!
//! - `events`: action_log row → push event (§7.2);
//! - `backfill`: create events for rows that never got an action_log row (§7.3);
//! - `push` / `pull`: the two halves of `td sync`, each all-or-nothing locally;
//! - `sizes`: push batch and pull page sizes (env knobs for tests);
//! - `state`: the `sync_state` row; `report`: the lines a run prints;
//! - `http`: [`SyncClient`] (ureq, 30 s timeout) for sync, project, member and login
//!   routes; `login`: the PKCE pair for device login.
//!
//! Apply itself lives in `td_core::apply`.

mod backfill;
mod error;
mod events;
mod http;
mod login;
mod pull;
mod push;
mod report;
mod sizes;
mod state;
mod transport;

#[cfg(test)]
mod tests;

// What the commands use; the rest (reports, Line, SyncTransport, the event mapping) is
// reached through these functions' signatures.
pub use error::SyncError;
pub use http::{request_timeout, SyncClient};
pub use login::pkce_pair;
pub use pull::pull;
pub use push::push;
pub use report::print_all;
pub use state::{load_state, SyncState};
