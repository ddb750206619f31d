//! Client sync engine (sync spec §5.4, §6.2, §7.1–§7.3). Entry points: [`push`] and
//! [`pull`], both over a [`SyncTransport`]; [`SyncClient`] is the real HTTP one.
//!
//! - `events`: action_log row → push event (§7.2);
//! - `backfill`: create events for rows that never got an action_log row (§7.3);
//! - `push` / `pull`: the two halves of `td sync`, each all-or-nothing locally;
//! - `state`: the `sync_state` row; `report`: the lines a run prints;
//! - `http`: [`SyncClient`] (ureq, 30 s timeout) for sync, project, member and login
//!   routes; `login`: the PKCE pair for device login.
//!
//! Apply itself lives in `td_core::apply`.

// Until `td sync` / `td auth` / `td sync-project` call into this module (wired by the
// owner of main.rs and commands/), most items are unused in the binary.
#![allow(dead_code, unused_imports)]

mod backfill;
mod error;
mod events;
mod http;
mod login;
mod pull;
mod push;
mod report;
mod state;
mod transport;

#[cfg(test)]
mod tests;

pub use backfill::backfill;
pub use error::SyncError;
pub use events::{pending_events, row_to_event, PendingEvent};
pub use http::{SyncClient, DEFAULT_TIMEOUT};
pub use login::{pkce_pair, PkcePair};
pub use pull::{pull, PullReport};
pub use push::{push, PushReport};
pub use report::{print_all, Line};
pub use state::{load_state, SyncState};
pub use transport::SyncTransport;
