//! Shared server state: configuration, server.db, the project stores, rate windows and the
//! email sender.

use std::ops::Deref;
use std::sync::Arc;

use crate::config::Config;
use crate::email::EmailSender;
use crate::ratelimit::RateLimiter;
use crate::store::registry::ProjectStores;
use crate::store::Db;

/// Cheap to clone; handlers receive it through axum's `State`.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

pub struct Shared {
    pub config: Config,
    /// server.db.
    pub db: Db,
    pub stores: ProjectStores,
    /// Per-key and per-IP request windows (§4.3).
    pub limiter: RateLimiter,
    /// Device-login starts per email (1 per minute).
    pub resend: RateLimiter,
    pub email: EmailSender,
}

impl AppState {
    pub fn new(shared: Shared) -> AppState {
        AppState(Arc::new(shared))
    }
}

impl Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}
