//! td-sync: the td sync server, as a library with a thin binary.
//!
//! Entry points: [`App`] (open storage, then [`App::serve`] on a bound tokio listener),
//! [`serve`] (both in one call), [`start`] (on a background thread, returning a
//! [`ServerHandle`]; tests bind port 0), [`listen::bind`] (Go-style `SYNC_LISTEN_ADDR`) and
//! [`admin::run`] (the offline `td-sync admin` commands).
//!
//! Map: `router` holds every route and the middleware stack; `api/` the handlers;
//! `extract` authentication, membership/role and per-key rate limits; `store/` server.db
//! and the per-project event stores; `ratelimit`, `email`, `tokens`, `config`, `logging`.

pub mod admin;
mod api;
mod app;
pub mod config;
mod email;
mod emailaddr;
mod error;
mod extract;
pub mod listen;
pub mod logging;
mod middleware;
mod ratelimit;
mod router;
mod state;
pub mod store;
mod tokens;

pub use app::{serve, start, App, LaunchError, ServerHandle};
pub use config::Config;
pub use router::MAX_BODY_BYTES;
